//! `reviewers` table: the tenant's reviewer directory. A decision that arrives without a bearer
//! token (a Slack button, an email link) is made as one of these entries, with its roles.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A reviewer.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "reviewers")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// The principal id decisions are made as (the `sub` of the person's tokens).
    pub subject: String,
    /// Display name.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Where email notifications go.
    #[sea_orm(column_type = "Text")]
    pub email: Option<String>,
    /// The person's Slack user id (`U…`).
    pub slack_user_id: Option<String>,
    /// JSON array of role names.
    #[sea_orm(column_type = "Text")]
    pub roles: String,
    /// Inactive entries receive nothing and may decide nothing.
    pub active: bool,
    /// Admin who last changed it.
    pub updated_by: String,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
