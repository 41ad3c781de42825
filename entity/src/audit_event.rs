//! `audit_events` table: append-only, hash-chained audit log per tenant.
//! `data` holds canonical JSON text; `hash` chains to `prev_hash`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An audit event row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// Event id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// Per-tenant sequence number.
    pub seq: i64,
    /// Event type.
    pub event_type: String,
    /// Event time.
    pub at: DateTimeUtc,
    /// Acting principal.
    pub actor: String,
    /// Workflow key, if any.
    pub workflow_key: Option<String>,
    /// Request id, if any.
    pub request_id: Option<Uuid>,
    /// Event payload, as canonical JSON text.
    #[sea_orm(column_type = "Text")]
    pub data: String,
    /// Hash of the previous event.
    pub prev_hash: String,
    /// Hash of this event.
    pub hash: String,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
