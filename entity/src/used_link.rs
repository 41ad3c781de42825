//! `used_links` table: the decision links that decided something, so each works once.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A used link.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "used_links")]
pub struct Model {
    /// The link's id (signed into it).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// The request it decided.
    pub request_id: Uuid,
    /// Who used it.
    pub used_by: String,
    /// When.
    pub used_at: DateTimeUtc,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
