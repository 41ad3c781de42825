//! `api_keys` table: hashed API keys bound to a tenant principal.
//! Only the hash and a short prefix of each key are stored.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An API key row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    /// Key id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// Principal the key authenticates as.
    pub principal: String,
    /// Roles granted, as a JSON array text.
    #[sea_orm(column_type = "Text")]
    pub roles: String,
    /// Optional human label.
    pub label: Option<String>,
    /// Hash of the secret key.
    #[sea_orm(unique)]
    pub key_hash: String,
    /// Displayable key prefix.
    pub key_prefix: String,
    /// Principal that created the key.
    pub created_by: String,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTimeUtc>,
    /// Principal that revoked the key.
    pub revoked_by: Option<String>,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
