//! What time does on its own (policy point 7): overdue steps are escalated to the policy's
//! `escalation.toRole`, and pending requests past `expireAfter` become EXPIRED — never REJECTED or
//! APPROVED. Each item is claimed in its own transaction with `FOR NO KEY UPDATE SKIP LOCKED`, so
//! with several replicas on one PostgreSQL exactly one of them acts on it, once.

use chrono::{DateTime, Utc};
use countersign_entity::enums::{RequestStatus, StepStatus};
use countersign_entity::{approval_request, approval_step};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::audit::{self, EventDraft, EventKind, format_time};
use crate::error::AppResult;
use crate::store::Store;

/// The actor recorded on events nobody in particular caused.
pub const SYSTEM_ACTOR: &str = "system";

/// Open steps that are due at `now`, have an escalation role and were not escalated yet.
fn escalation_due(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(approval_step::Column::Status.eq(StepStatus::Open))
        .add(approval_step::Column::DueAt.lte(now))
        .add(approval_step::Column::EscalationRole.is_not_null())
        .add(approval_step::Column::EscalatedAt.is_null())
}

/// Pending requests whose expiry time has come.
fn expiry_due(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(approval_request::Column::Status.eq(RequestStatus::Pending))
        .add(approval_request::Column::ExpiresAt.lte(now))
}

/// Escalates up to `batch` overdue steps (oldest due first); returns how many this call escalated.
/// Steps another replica holds or already escalated are left alone; a failure on one step is
/// logged and the others still run.
pub async fn escalate_due(store: &Store, now: DateTime<Utc>, batch: u64) -> AppResult<usize> {
    let candidates: Vec<(Uuid, Uuid)> = approval_step::Entity::find()
        .select_only()
        .column(approval_step::Column::Id)
        .column(approval_step::Column::RequestId)
        .filter(escalation_due(now))
        .order_by_asc(approval_step::Column::DueAt)
        .order_by_asc(approval_step::Column::Id)
        .limit(batch)
        .into_tuple()
        .all(store.db())
        .await?;
    let mut acted = 0;
    for (step_id, request_id) in candidates {
        match escalate_one(store, step_id, request_id, now).await {
            Ok(true) => acted += 1,
            Ok(false) => {}
            Err(e) => tracing::error!(
                %step_id, %request_id, error = %e, "escalating an overdue step failed"
            ),
        }
    }
    Ok(acted)
}

/// Escalates one step in its own transaction; false when there was nothing (left) to do.
async fn escalate_one(
    store: &Store,
    step_id: Uuid,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let txn = store.begin().await?;
    // The request row is the claim, locked before the step as `decide` does, so the two never wait
    // for each other in opposite orders. A row locked elsewhere (another replica escalating it, a
    // decision in flight) is skipped now and looked at again on the next pass.
    let Some(request) = approval_request::Entity::find_by_id(request_id)
        .filter(approval_request::Column::Status.eq(RequestStatus::Pending))
        .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
        .one(&*txn)
        .await?
    else {
        return Ok(false);
    };
    // Re-read under the lock, in a new statement: whoever held the request before may have
    // escalated or decided this step meanwhile.
    let Some(step) = approval_step::Entity::find_by_id(step_id)
        .filter(escalation_due(now))
        .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
        .one(&*txn)
        .await?
    else {
        return Ok(false);
    };
    let (Some(to_role), Some(due_at)) = (step.escalation_role.clone(), step.due_at) else {
        return Ok(false);
    };
    let res = approval_step::Entity::update_many()
        .set(approval_step::ActiveModel {
            escalated_to: Set(Some(to_role.clone())),
            escalated_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(approval_step::Column::Id.eq(step.id))
        .filter(approval_step::Column::EscalatedAt.is_null())
        .exec(&*txn)
        .await?;
    if res.rows_affected != 1 {
        return Ok(false);
    }
    if !bump_version(&*txn, &request, now, None).await? {
        return Ok(false);
    }
    let event = EventDraft::new(
        EventKind::RequestEscalated,
        SYSTEM_ACTOR,
        json!({
            "step": step.idx,
            "role": step.role,
            "toRole": to_role,
            "dueAt": format_time(due_at),
        }),
    )
    .workflow(&request.workflow_key)
    .request(request.id);
    audit::append(&*txn, &request.tenant_id, now, vec![event]).await?;
    txn.commit().await?;
    tracing::info!(%request_id, step = step.idx, %to_role, "overdue step escalated");
    Ok(true)
}

/// Expires up to `batch` pending requests past their expiry time (oldest first); returns how
/// many this call expired. Requests another replica holds or already expired are left alone; a
/// failure on one request is logged and the others still run.
pub async fn expire_due(store: &Store, now: DateTime<Utc>, batch: u64) -> AppResult<usize> {
    let candidates: Vec<Uuid> = approval_request::Entity::find()
        .select_only()
        .column(approval_request::Column::Id)
        .filter(expiry_due(now))
        .order_by_asc(approval_request::Column::ExpiresAt)
        .order_by_asc(approval_request::Column::Id)
        .limit(batch)
        .into_tuple()
        .all(store.db())
        .await?;
    let mut acted = 0;
    for request_id in candidates {
        match expire_one(store, request_id, now).await {
            Ok(true) => acted += 1,
            Ok(false) => {}
            Err(e) => tracing::error!(%request_id, error = %e, "expiring a request failed"),
        }
    }
    Ok(acted)
}

/// Expires one request in its own transaction; false when there was nothing (left) to do.
async fn expire_one(store: &Store, request_id: Uuid, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = store.begin().await?;
    // On PostgreSQL a row committed by another replica meanwhile is re-checked against the WHERE
    // clause (no longer PENDING: gone); one still being worked on is skipped.
    let Some(request) = approval_request::Entity::find_by_id(request_id)
        .filter(expiry_due(now))
        .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
        .one(&*txn)
        .await?
    else {
        return Ok(false);
    };
    let Some(expires_at) = request.expires_at else {
        return Ok(false);
    };
    let open_step = approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(request.id))
        .filter(approval_step::Column::Status.eq(StepStatus::Open))
        .one(&*txn)
        .await?
        .map(|s| s.idx);
    if !bump_version(&*txn, &request, now, Some(RequestStatus::Expired)).await? {
        return Ok(false);
    }
    // Nobody decided: the request and its steps keep `decided_at` empty.
    approval_step::Entity::update_many()
        .set(approval_step::ActiveModel {
            status: Set(StepStatus::Skipped),
            ..Default::default()
        })
        .filter(approval_step::Column::RequestId.eq(request.id))
        .filter(approval_step::Column::Status.is_in([StepStatus::Open, StepStatus::Waiting]))
        .exec(&*txn)
        .await?;
    let event = EventDraft::new(
        EventKind::RequestExpired,
        SYSTEM_ACTOR,
        json!({
            "expiredAt": format_time(expires_at),
            "submittedAt": format_time(request.submitted_at),
            "openStep": open_step,
        }),
    )
    .workflow(&request.workflow_key)
    .request(request.id);
    audit::append(&*txn, &request.tenant_id, now, vec![event]).await?;
    txn.commit().await?;
    tracing::info!(%request_id, "pending request expired");
    Ok(true)
}

/// Moves the request's version forward (and, when given, ends it in `status` with no current
/// step); false when the version moved meanwhile. The optimistic check backs up the row lock, as
/// in `decide`.
async fn bump_version(
    conn: &impl ConnectionTrait,
    request: &approval_request::Model,
    now: DateTime<Utc>,
    status: Option<RequestStatus>,
) -> AppResult<bool> {
    let mut update = approval_request::ActiveModel {
        version: Set(request.version + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(status) = status {
        update.status = Set(status);
        update.current_step = Set(None);
        update.due_at = Set(None);
    }
    let res = approval_request::Entity::update_many()
        .set(update)
        .filter(approval_request::Column::Id.eq(request.id))
        .filter(approval_request::Column::Version.eq(request.version))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}
