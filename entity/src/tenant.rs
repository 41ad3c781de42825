//! `tenants` table: one row per tenant, holding the audit hash-chain head.
//! The id is an externally chosen string, not generated.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A tenant row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    /// Tenant identifier.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Sequence number of the latest audit event.
    pub audit_seq: i64,
    /// Hash of the latest audit event.
    pub audit_head_hash: String,
    /// Creation time.
    pub created_at: DateTimeUtc,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
