//! `approval_steps` table: ordered reviewer steps of an approval request.
//! Each step needs `quorum` approvals from `role`.

use crate::enums::StepStatus;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An approval step row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "approval_steps")]
pub struct Model {
    /// Step id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// Request this step belongs to.
    pub request_id: Uuid,
    /// Zero-based step index.
    pub idx: i32,
    /// Reviewer role.
    pub role: String,
    /// Approvals required.
    pub quorum: i32,
    /// Approvals received.
    pub approvals: i32,
    /// Step status.
    pub status: StepStatus,
    /// SLA in milliseconds (policies allow fractional seconds).
    pub sla_ms: Option<i64>,
    /// Time the step opened.
    pub opened_at: Option<DateTimeUtc>,
    /// Due time.
    pub due_at: Option<DateTimeUtc>,
    /// Role escalated to.
    /// Role this step escalates to once overdue (from the policy), if any.
    pub escalation_role: Option<String>,
    /// Role it escalated to, once it did.
    pub escalated_to: Option<String>,
    /// Escalation time.
    pub escalated_at: Option<DateTimeUtc>,
    /// Decision time.
    pub decided_at: Option<DateTimeUtc>,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
