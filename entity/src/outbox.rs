//! `outbox` table: signed webhook deliveries written in the transaction that approved (or rolled
//! back) an action, and delivered afterwards by the outbox worker under a lease.

use crate::enums::OutboxStatus;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An outbox row: one delivery, retried under one `webhook_id` until it succeeds or runs out of
/// attempts.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// Workflow whose webhook receives it.
    pub workflow_id: Uuid,
    /// The request it concerns.
    pub request_id: Uuid,
    /// The `webhook-id` header: the same on every attempt (receivers deduplicate by it).
    #[sea_orm(unique)]
    pub webhook_id: String,
    /// `action.approved` or `action.rolled_back`.
    pub event_type: String,
    /// The JSON body, exactly as sent and signed.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// Attempts started so far.
    pub attempts: i32,
    /// Attempts allowed before the delivery fails.
    pub max_attempts: i32,
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
