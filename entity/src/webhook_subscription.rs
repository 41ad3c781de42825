//! `webhook_subscriptions` table: an admin's subscription of a URL to event types of the tenant
//! (the notification backbone; the execution webhook of a workflow is a different thing).

use crate::enums::SubscriptionStatus;
use crate::workflow::StoredSecret;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A subscription.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_subscriptions")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// Where deliveries go.
    #[sea_orm(column_type = "Text")]
    pub url: String,
    /// What it is for.
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// JSON array of the event types it receives.
    #[sea_orm(column_type = "Text")]
    pub event_types: String,
    /// JSON array of workflow keys; empty means every workflow of the tenant.
    #[sea_orm(column_type = "Text")]
    pub workflow_keys: String,
    /// Signing secret (`whsec_<base64>`): stored to sign, never returned after creation or
    /// rotation, never logged, serialized or audited.
    #[serde(skip_serializing)]
    pub secret: StoredSecret,
    /// ACTIVE or DISABLED.
    pub status: SubscriptionStatus,
    /// Why it was disabled.
    #[sea_orm(column_type = "Text")]
    pub disabled_reason: Option<String>,
    /// First failed attempt since the last success.
    pub failing_since: Option<DateTimeUtc>,
    /// Admin who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
