//! `event_deliveries` table: one event for one subscription, written in the transaction of the
//! event and delivered afterwards, signed, by the event-webhook worker.

use crate::enums::OutboxStatus;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A delivery, retried under one `webhook_id` until it succeeds or runs out of attempts.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "event_deliveries")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// The subscription it is for.
    pub subscription_id: Uuid,
    /// The `webhook-id` header: the same on every attempt (receivers deduplicate by it).
    #[sea_orm(unique)]
    pub webhook_id: String,
    /// e.g. `request.rejected`.
    pub event_type: String,
    /// `seq` of the audit event it reports: the order of deliveries.
    pub audit_seq: i64,
    /// The request it concerns, if any: deliveries about one request leave in event order.
    pub request_id: Option<Uuid>,
    /// The JSON body, exactly as sent and signed.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// Attempts started so far.
    pub attempts: i32,
    /// PENDING, DELIVERED or FAILED.
    pub status: OutboxStatus,
    /// Not to be attempted before this time.
    pub next_attempt_at: DateTimeUtc,
    /// Lease: a replica is delivering it until this time.
    pub claimed_until: Option<DateTimeUtc>,
    /// HTTP status of the last attempt, when one came back.
    pub last_status_code: Option<i32>,
    /// Error kind of the last attempt, when it failed.
    #[sea_orm(column_type = "Text")]
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: DateTimeUtc,
    /// When a receiver acknowledged it (2xx).
    pub delivered_at: Option<DateTimeUtc>,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
