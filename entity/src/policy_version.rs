//! `policy_versions` table: versioned routing policy documents per workflow.
//! The document is stored as JSON text.

use crate::enums::PolicyStatus;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A policy version row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "policy_versions")]
pub struct Model {
    /// Policy version id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// Workflow this policy belongs to.
    pub workflow_id: Uuid,
    /// Version number within the workflow.
    pub version: i32,
    /// Lifecycle status.
    pub status: PolicyStatus,
    /// Policy document, as JSON text.
    #[sea_orm(column_type = "Text")]
    pub document: String,
    /// Optional note from the proposer.
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    /// Principal that proposed this version.
    pub proposed_by: String,
    /// Principal that activated this version.
    pub activated_by: Option<String>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Activation time.
    pub activated_at: Option<DateTimeUtc>,
    /// Reason for the latest status change.
    #[sea_orm(column_type = "Text")]
    pub status_reason: Option<String>,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
