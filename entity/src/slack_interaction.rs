//! `slack_interactions` table: the Slack interactions already handled, by the hash of their
//! signature, so a replayed payload is refused (entries older than the 5-minute signature window
//! are removed).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A handled interaction.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "slack_interactions")]
pub struct Model {
    /// SHA-256 (hex) of the `X-Slack-Signature` header.
    #[sea_orm(primary_key, auto_increment = false)]
    pub signature_hash: String,
    /// When it arrived.
    pub received_at: DateTimeUtc,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
