//! `decisions` table: individual reviewer decisions on a request.
//! One decision per actor per request.

use crate::enums::DecisionKind;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A decision row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "decisions")]
pub struct Model {
    /// Decision id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// Request decided on.
    pub request_id: Uuid,
    /// Step index the decision applies to.
    pub step_idx: Option<i32>,
    /// Deciding principal.
    pub actor: String,
    /// Approve or reject.
    pub decision: DecisionKind,
    /// Reason code.
    pub reason_code: Option<String>,
    /// Free-text comment.
    #[sea_orm(column_type = "Text")]
    pub comment: Option<String>,
    /// Whether the actor edited the action.
    pub edited: bool,
    /// Hash of the action the actor saw.
    pub action_hash: Option<String>,
    /// Creation time.
    pub created_at: DateTimeUtc,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
