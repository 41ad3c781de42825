//! `workflows` table: an approval workflow per tenant, keyed by `key`.
//! Also stores the savings parameters used for ROI analytics.

use crate::enums::WorkflowMode;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A workflow row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "workflows")]
pub struct Model {
    /// Workflow id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// Tenant-unique workflow key.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Optional description.
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// Operating mode.
    pub mode: WorkflowMode,
    /// Why the mode was last changed.
    #[sea_orm(column_type = "Text")]
    pub mode_reason: Option<String>,
    /// Currently active policy version number.
    pub active_policy_version: i32,
    /// Minutes saved per auto-approved request.
    pub minutes_saved_per_auto: f64,
    /// Minutes saved per human-assisted request.
    pub minutes_saved_per_assisted: f64,
    /// Reviewer minutes spent per decision.
    pub reviewer_minutes_per_decision: f64,
    /// Hourly rate in USD, as a decimal string.
    #[sea_orm(column_type = "Text")]
    pub hourly_rate_usd: String,
    /// Principal that created the workflow.
    pub created_by: String,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last update time.
    pub updated_at: DateTimeUtc,
    /// Execution webhook: where approved actions are POSTed; none when agents report execution.
    #[sea_orm(column_type = "Text")]
    pub webhook_url: Option<String>,
    /// Signing secret of the webhook (`whsec_<base64>`), as given: it must stay usable to sign,
    /// so it is stored, but it is never returned, logged, serialized or audited.
    #[serde(skip_serializing, default)]
    pub webhook_secret: Option<StoredSecret>,
    /// Delivery attempts per action before it fails.
    pub webhook_max_attempts: Option<i32>,
    /// Where reviewers are told about its approvals: a JSON array of channel configurations
    /// (kind, slackChannel, emails, remindBeforeMs); none or empty sends nothing.
    #[sea_orm(column_type = "Text")]
    pub notification_channels: Option<String>,
}

/// A webhook signing secret as stored. Its `Debug` hides the value, so a logged row never
/// carries it.
#[derive(Clone, PartialEq, Eq, DeriveValueType, Serialize, Deserialize)]
#[sea_orm(column_type = "Text")]
pub struct StoredSecret(pub String);

impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredSecret([redacted])")
    }
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
