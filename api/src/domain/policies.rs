//! The policy lifecycle with four eyes: propose (compiled and validated), activate by a second
//! admin, decline, and the one-admin emergency rollback to a version that was active before.
//! Every step is audited with who and why.

use countersign_entity::enums::PolicyStatus;
use countersign_entity::{policy_version, workflow};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{Principal, ROLE_ADMIN};
use crate::domain::audit::{self, EventDraft, EventKind, content_hash};
use crate::domain::workflows::{self, validate_policy};
use crate::error::{AppError, AppResult};
use crate::store::{Store, WriteTxn, lock_tenant, now};

fn check_text(path: &str, text: &str, required: bool) -> AppResult<String> {
    let text = text.trim();
    if (required && text.is_empty()) || text.chars().count() > 2000 {
        let what = if required { "1-2000" } else { "at most 2000" };
        return Err(AppError::bad_input(
            path,
            format!("must be {what} characters"),
        ));
    }
    Ok(text.to_owned())
}

async fn locked_workflow(
    txn: &WriteTxn,
    caller: &Principal,
    key: &str,
) -> AppResult<workflow::Model> {
    lock_tenant(&**txn, &caller.tenant).await?;
    workflow::Entity::find()
        .filter(workflow::Column::TenantId.eq(caller.tenant.as_str()))
        .filter(workflow::Column::Key.eq(key))
        .lock(LockType::NoKeyUpdate)
        .one(&**txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("workflow {key:?}")))
}

async fn version_row(
    conn: &impl ConnectionTrait,
    wf: &workflow::Model,
    version: i32,
) -> AppResult<policy_version::Model> {
    // Here the version comes from the caller: a missing one is NOT_FOUND, not internal.
    workflows::find_policy(conn, wf, version)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!("policy version {version} of workflow {:?}", wf.key))
        })
}

/// Only a PROPOSED version can be activated or declined.
fn ensure_proposed(target: &policy_version::Model) -> AppResult<()> {
    if target.status != PolicyStatus::Proposed {
        return Err(AppError::Conflict(format!(
            "policy version {} is {:?}, not PROPOSED",
            target.version, target.status
        )));
    }
    Ok(())
}

/// Stores a new PROPOSED version (admin); it routes nothing until a second admin activates it.
pub async fn propose(
    store: &Store,
    caller: &Principal,
    key: &str,
    policy: &Value,
    note: Option<&str>,
) -> AppResult<policy_version::Model> {
    caller.require_any(&[ROLE_ADMIN], "proposePolicy")?;
    let (doc, _) = validate_policy(policy, "policy")?;
    let note = note
        .map(|n| check_text("note", n, false))
        .transpose()?
        .filter(|n| !n.is_empty());
    let document = serde_json::to_value(&doc)?;
    let txn = store.begin().await?;
    let wf = locked_workflow(&txn, caller, key).await?;
    let last = policy_version::Entity::find()
        .filter(policy_version::Column::WorkflowId.eq(wf.id))
        .order_by_desc(policy_version::Column::Version)
        .one(&*txn)
        .await?
        .map_or(0, |p| p.version);
    let at = now();
    let row = policy_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(caller.tenant.clone()),
        workflow_id: Set(wf.id),
        version: Set(last + 1),
        status: Set(PolicyStatus::Proposed),
        document: Set(serde_json_canonicalizer::to_string(&document)?),
        note: Set(note.clone()),
        proposed_by: Set(caller.subject.clone()),
        activated_by: Set(None),
        created_at: Set(at),
        activated_at: Set(None),
        status_reason: Set(None),
    }
    .insert(&*txn)
    .await?;
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![
            EventDraft::new(
                EventKind::PolicyProposed,
                &caller.subject,
                json!({ "version": row.version, "note": note, "policyHash": content_hash(&document)?, "policy": document }),
            )
            .workflow(&wf.key),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Makes `version` the one that routes new requests; the previous ACTIVE becomes SUPERSEDED.
async fn make_active(
    txn: &WriteTxn,
    caller: &Principal,
    wf: &workflow::Model,
    target: policy_version::Model,
    reason: Option<&str>,
) -> AppResult<(policy_version::Model, i32)> {
    let at = now();
    let previous = wf.active_policy_version;
    policy_version::Entity::update_many()
        .col_expr(
            policy_version::Column::Status,
            Expr::value(PolicyStatus::Superseded),
        )
        .filter(policy_version::Column::WorkflowId.eq(wf.id))
        .filter(policy_version::Column::Status.eq(PolicyStatus::Active))
        .exec(&**txn)
        .await?;
    let mut row: policy_version::ActiveModel = target.into();
    row.status = Set(PolicyStatus::Active);
    row.activated_by = Set(Some(caller.subject.clone()));
    row.activated_at = Set(Some(at));
    row.status_reason = Set(reason.map(str::to_owned));
    let row = row.update(&**txn).await?;
    let mut w: workflow::ActiveModel = wf.clone().into();
    w.active_policy_version = Set(row.version);
    w.updated_at = Set(at);
    w.update(&**txn).await?;
    Ok((row, previous))
}

/// Activates a PROPOSED version (admin other than its proposer).
pub async fn activate(
    store: &Store,
    caller: &Principal,
    key: &str,
    version: i32,
) -> AppResult<policy_version::Model> {
    caller.require_any(&[ROLE_ADMIN], "activatePolicy")?;
    let txn = store.begin().await?;
    let wf = locked_workflow(&txn, caller, key).await?;
    let target = version_row(&*txn, &wf, version).await?;
    ensure_proposed(&target)?;
    if target.proposed_by == caller.subject {
        return Err(AppError::Forbidden(
            "four eyes: who proposed a policy version cannot activate it; ask another admin".into(),
        ));
    }
    let proposed_by = target.proposed_by.clone();
    let (row, previous) = make_active(&txn, caller, &wf, target, None).await?;
    audit::append(
        &*txn,
        &caller.tenant,
        row.activated_at.unwrap_or_else(now),
        vec![
            EventDraft::new(
                EventKind::PolicyActivated,
                &caller.subject,
                json!({ "version": version, "previousVersion": previous, "proposedBy": proposed_by }),
            )
            .workflow(&wf.key),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Declines a PROPOSED version (any admin, reason required).
pub async fn decline(
    store: &Store,
    caller: &Principal,
    key: &str,
    version: i32,
    reason: &str,
) -> AppResult<policy_version::Model> {
    caller.require_any(&[ROLE_ADMIN], "declinePolicy")?;
    let reason = check_text("reason", reason, true)?;
    let txn = store.begin().await?;
    let wf = locked_workflow(&txn, caller, key).await?;
    let target = version_row(&*txn, &wf, version).await?;
    ensure_proposed(&target)?;
    let at = now();
    let mut row: policy_version::ActiveModel = target.into();
    row.status = Set(PolicyStatus::Declined);
    row.status_reason = Set(Some(reason.clone()));
    let row = row.update(&*txn).await?;
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![
            EventDraft::new(
                EventKind::PolicyDeclined,
                &caller.subject,
                json!({ "version": version, "reason": reason }),
            )
            .workflow(&wf.key),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Re-activates a version that was ACTIVE before (emergency path: one admin, reason required).
pub async fn rollback(
    store: &Store,
    caller: &Principal,
    key: &str,
    to_version: i32,
    reason: &str,
) -> AppResult<policy_version::Model> {
    caller.require_any(&[ROLE_ADMIN], "rollbackPolicy")?;
    let reason = check_text("reason", reason, true)?;
    let txn = store.begin().await?;
    let wf = locked_workflow(&txn, caller, key).await?;
    let target = version_row(&*txn, &wf, to_version).await?;
    match target.status {
        PolicyStatus::Superseded if target.activated_at.is_some() => {}
        PolicyStatus::Active => {
            return Err(AppError::Conflict(format!(
                "policy version {to_version} is already active"
            )));
        }
        _ => {
            return Err(AppError::Conflict(format!(
                "policy version {to_version} was never active; only a version that was active before can be rolled back to"
            )));
        }
    }
    let (row, previous) = make_active(&txn, caller, &wf, target, Some(&reason)).await?;
    audit::append(
        &*txn,
        &caller.tenant,
        row.activated_at.unwrap_or_else(now),
        vec![
            EventDraft::new(
                EventKind::PolicyRolledBack,
                &caller.subject,
                json!({ "fromVersion": previous, "toVersion": to_version, "reason": reason }),
            )
            .workflow(&wf.key),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}
