//! Event-webhook deliveries, claimed and recorded like the execution outbox (a lease per claim,
//! `SKIP LOCKED`, `attempts` as the fence) by the same worker. Two rules of their own: a delivery
//! about a request waits while an earlier one about the same request to the same subscription is
//! still pending (event order per request), and a subscription that has failed every attempt for
//! longer than the configured period is disabled, with an audit event that says so.

use std::time::Duration;

use chrono::{DateTime, Utc};
use countersign_entity::enums::{OutboxStatus, SubscriptionStatus};
use countersign_entity::{event_delivery, webhook_subscription};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::outbox::{Attempt, Next, OutboxConfig};
use crate::domain::audit::{self, EventDraft, EventKind};
use crate::domain::execution::{SigningSecret, stored_secret};
use crate::domain::timeouts::SYSTEM_ACTOR;
use crate::error::{AppError, AppResult};
use crate::store::{Store, now};

/// An event delivery this replica holds the lease of.
#[derive(Debug)]
pub struct EventClaim {
    /// The row as claimed (`attempts` counts this attempt).
    pub delivery: event_delivery::Model,
    pub(super) url: String,
    pub(super) secret: SigningSecret,
}

/// Due PENDING deliveries not under a live lease.
fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(event_delivery::Column::Status.eq(OutboxStatus::Pending))
        .add(event_delivery::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(event_delivery::Column::ClaimedUntil.is_null())
                .add(event_delivery::Column::ClaimedUntil.lt(now)),
        )
}

/// Claims up to `limit` due deliveries of ACTIVE subscriptions, oldest event first, leaving out
/// any with an earlier pending delivery about the same request to the same subscription.
pub async fn claim_due(
    store: &Store,
    now: DateTime<Utc>,
    limit: u64,
    lease: Duration,
) -> AppResult<Vec<EventClaim>> {
    let active = Query::select()
        .column(webhook_subscription::Column::Id)
        .from(webhook_subscription::Entity)
        .and_where(webhook_subscription::Column::Status.eq(SubscriptionStatus::Active))
        .to_owned();
    let earlier = Alias::new("earlier");
    let col = |c: event_delivery::Column| Expr::col((earlier.clone(), c));
    let outer = |c: event_delivery::Column| Expr::col((event_delivery::Entity, c));
    let earlier_pending = Query::select()
        .expr(Expr::val(1))
        .from_as(event_delivery::Entity, earlier.clone())
        .and_where(col(event_delivery::Column::SubscriptionId).equals((
            event_delivery::Entity,
            event_delivery::Column::SubscriptionId,
        )))
        .and_where(
            col(event_delivery::Column::RequestId)
                .equals((event_delivery::Entity, event_delivery::Column::RequestId)),
        )
        .and_where(col(event_delivery::Column::Status).eq(OutboxStatus::Pending))
        .and_where(
            col(event_delivery::Column::AuditSeq).lt(outer(event_delivery::Column::AuditSeq)),
        )
        .to_owned();
    let candidates: Vec<Uuid> = event_delivery::Entity::find()
        .select_only()
        .column(event_delivery::Column::Id)
        .filter(claimable(now))
        .filter(event_delivery::Column::SubscriptionId.in_subquery(active))
        .filter(Expr::exists(earlier_pending).not())
        .order_by_asc(event_delivery::Column::NextAttemptAt)
        .order_by_asc(event_delivery::Column::AuditSeq)
        .limit(limit)
        .into_tuple()
        .all(store.db())
        .await?;
    let mut claims = Vec::new();
    for id in candidates {
        match claim_one(store, id, now, lease).await {
            Ok(Some(claim)) => claims.push(claim),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(delivery_id = %id, error = %e, "claiming an event delivery failed")
            }
        }
    }
    Ok(claims)
}

async fn claim_one(
    store: &Store,
    id: Uuid,
    now: DateTime<Utc>,
    lease: Duration,
) -> AppResult<Option<EventClaim>> {
    let txn = store.begin().await?;
    let Some(row) = event_delivery::Entity::find_by_id(id)
        .filter(claimable(now))
        .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
        .one(&*txn)
        .await?
    else {
        return Ok(None);
    };
    let Some(sub) = webhook_subscription::Entity::find_by_id(row.subscription_id)
        .one(&*txn)
        .await?
        .filter(|s| s.status == SubscriptionStatus::Active)
    else {
        return Ok(None);
    };
    let secret = stored_secret(&sub.secret)?;
    let until =
        now + chrono::Duration::from_std(lease).map_err(|e| AppError::internal(e.to_string()))?;
    let attempts = row.attempts + 1;
    event_delivery::Entity::update_many()
        .set(event_delivery::ActiveModel {
            attempts: Set(attempts),
            claimed_until: Set(Some(until)),
            ..Default::default()
        })
        .filter(event_delivery::Column::Id.eq(row.id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(Some(EventClaim {
        delivery: event_delivery::Model {
            attempts,
            claimed_until: Some(until),
            ..row
        },
        url: sub.url,
        secret,
    }))
}

/// Records an attempt in one transaction: the delivery (delivered, retry later, or failed) and
/// the subscription's failing period — cleared by a success, started by the first failure, and
/// ending in DISABLED (audited) once it is longer than `event_disable_after`. Nothing is
/// written when the lease was lost meanwhile or the subscription was deleted.
pub async fn record(
    store: &Store,
    claim: &EventClaim,
    attempt: &Attempt,
    config: &OutboxConfig,
) -> AppResult<()> {
    let d = &claim.delivery;
    let at = now();
    let txn = store.begin().await?;
    let Some(row) = event_delivery::Entity::find_by_id(d.id)
        .filter(event_delivery::Column::Status.eq(OutboxStatus::Pending))
        .filter(event_delivery::Column::Attempts.eq(d.attempts))
        .lock(LockType::NoKeyUpdate)
        .one(&*txn)
        .await?
    else {
        tracing::warn!(webhook_id = %d.webhook_id, attempt = d.attempts,
            "event delivery finished after its lease was taken over or its subscription deleted; not recorded");
        return Ok(());
    };
    let next = Next::after(attempt, row.attempts, config.event_max_attempts, config, at)?;
    let succeeded = next.status == OutboxStatus::Delivered;
    let mut update = event_delivery::ActiveModel {
        status: Set(next.status),
        claimed_until: Set(None),
        last_status_code: Set(attempt.status.map(i32::from)),
        last_error: Set(attempt.error.map(str::to_owned)),
        ..Default::default()
    };
    if succeeded {
        update.delivered_at = Set(Some(at));
    }
    if let Some(retry_at) = next.retry_at {
        update.next_attempt_at = Set(retry_at);
    }
    event_delivery::Entity::update_many()
        .set(update)
        .filter(event_delivery::Column::Id.eq(row.id))
        .exec(&*txn)
        .await?;
    let sub = webhook_subscription::Entity::find_by_id(row.subscription_id)
        .lock(LockType::NoKeyUpdate)
        .one(&*txn)
        .await?;
    if let Some(sub) = sub {
        if succeeded {
            if sub.failing_since.is_some() {
                set_failing_since(&*txn, sub.id, None).await?;
            }
        } else {
            let since = sub.failing_since.unwrap_or(at);
            if sub.failing_since.is_none() {
                set_failing_since(&*txn, sub.id, Some(at)).await?;
            }
            let failing_for = (at - since).to_std().unwrap_or_default();
            if sub.status == SubscriptionStatus::Active && failing_for >= config.event_disable_after
            {
                disable(&*txn, &sub, since, attempt, at).await?;
            }
        }
    }
    txn.commit().await?;
    crate::telemetry::webhook_attempted(next.outcome);
    Ok(())
}

async fn set_failing_since(
    txn: &impl sea_orm::ConnectionTrait,
    id: Uuid,
    since: Option<DateTime<Utc>>,
) -> AppResult<()> {
    webhook_subscription::Entity::update_many()
        .col_expr(
            webhook_subscription::Column::FailingSince,
            Expr::value(since),
        )
        .filter(webhook_subscription::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

async fn disable(
    txn: &impl sea_orm::ConnectionTrait,
    sub: &webhook_subscription::Model,
    since: DateTime<Utc>,
    attempt: &Attempt,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let last = attempt.describe();
    let reason = format!(
        "every delivery failed since {} (last: {last}); fix the receiver, then enable it again",
        audit::format_time(since)
    );
    webhook_subscription::Entity::update_many()
        .set(webhook_subscription::ActiveModel {
            status: Set(SubscriptionStatus::Disabled),
            disabled_reason: Set(Some(reason.clone())),
            updated_at: Set(at),
            ..Default::default()
        })
        .filter(webhook_subscription::Column::Id.eq(sub.id))
        .exec(txn)
        .await?;
    audit::append(
        txn,
        &sub.tenant_id,
        at,
        vec![EventDraft::new(
            EventKind::WebhookSubscriptionDisabled,
            SYSTEM_ACTOR,
            json!({
                "subscriptionId": sub.id.hyphenated().to_string(),
                "url": sub.url,
                "failingSince": audit::format_time(since),
                "lastStatusCode": attempt.status,
                "lastError": attempt.error,
                "reason": reason,
            }),
        )],
    )
    .await?;
    tracing::warn!(subscription_id = %sub.id, "event-webhook subscription disabled after failing");
    Ok(())
}
