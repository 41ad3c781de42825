//! `approval_requests` table: one submitted action awaiting or past approval.
//! JSON payloads and money amounts are stored as TEXT.

use crate::enums::{RequestStatus, Route, SampleVerdict};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An approval request row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "approval_requests")]
pub struct Model {
    /// Request id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// Workflow id.
    pub workflow_id: Uuid,
    /// Workflow key (denormalised).
    pub workflow_key: String,
    /// Policy version used for routing.
    pub policy_version: i32,
    /// Name of the policy rule that matched.
    pub matched_rule: Option<String>,
    /// Routing outcome.
    pub route: Route,
    /// Current status.
    pub status: RequestStatus,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Client-supplied idempotency key.
    pub idempotency_key: String,
    /// Hash of the submitted input.
    pub input_hash: String,
    /// Action type.
    pub action_type: String,
    /// Human-readable title.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// Proposed action, as JSON text.
    #[sea_orm(column_type = "Text")]
    pub action: String,
    /// Final action after edits, as JSON text.
    #[sea_orm(column_type = "Text")]
    pub final_action: String,
    /// JSON patch applied by reviewers, as JSON text.
    #[sea_orm(column_type = "Text")]
    pub edit_patch: Option<String>,
    /// Hash of the final action.
    pub final_action_hash: String,
    /// Recommendation from the submitter/model.
    #[sea_orm(column_type = "Text")]
    pub recommendation: Option<String>,
    /// Model confidence.
    pub confidence: Option<f64>,
    /// Amount, as a decimal string.
    #[sea_orm(column_type = "Text")]
    pub amount: Option<String>,
    /// Currency code.
    pub currency: Option<String>,
    /// Risk flags, as JSON text.
    #[sea_orm(column_type = "Text")]
    pub risk_flags: String,
    /// Exceptions, as JSON text.
    #[sea_orm(column_type = "Text")]
    pub exceptions: String,
    /// Duplicate-detection key.
    pub duplicate_key: Option<String>,
    /// Request this one duplicates.
    pub duplicate_of: Option<Uuid>,
    /// Sources, as JSON text.
    #[sea_orm(column_type = "Text")]
    pub sources: String,
    /// Extra context, as JSON text.
    #[sea_orm(column_type = "Text")]
    pub context: Option<String>,
    /// The submitting agent's correlation handle (a JSON object), as JSON text.
    #[sea_orm(column_type = "Text", nullable)]
    pub correlation: Option<String>,
    /// Model name.
    pub model: Option<String>,
    /// Prompt version.
    pub prompt_version: Option<String>,
    /// Model cost in USD, as a decimal string.
    #[sea_orm(column_type = "Text")]
    pub cost_usd: Option<String>,
    /// Whether the request was sampled for QA.
    pub qa_sampled: bool,
    /// Role assigned to QA review.
    pub qa_role: Option<String>,
    /// QA verdict.
    pub qa_verdict: Option<SampleVerdict>,
    /// QA reason code.
    pub qa_reason_code: Option<String>,
    /// QA comment.
    #[sea_orm(column_type = "Text")]
    pub qa_comment: Option<String>,
    /// QA reviewer.
    pub qa_reviewed_by: Option<String>,
    /// QA review time.
    pub qa_reviewed_at: Option<DateTimeUtc>,
    /// Index of the current approval step.
    pub current_step: Option<i32>,
    /// Due time of the current step.
    pub due_at: Option<DateTimeUtc>,
    /// Reason code of the final decision.
    pub reason_code: Option<String>,
    /// Submitting principal.
    pub submitted_by: String,
    /// Submission time.
    pub submitted_at: DateTimeUtc,
    /// Decision time.
    pub decided_at: Option<DateTimeUtc>,
    /// Expiry time.
    pub expires_at: Option<DateTimeUtc>,
    /// Execution time.
    pub executed_at: Option<DateTimeUtc>,
    /// External reference from the executor.
    pub external_ref: Option<String>,
    /// Last update time.
    pub updated_at: DateTimeUtc,
    /// Why execution failed, as reported by the agent or the webhook delivery.
    #[sea_orm(column_type = "Text")]
    pub execution_error: Option<String>,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
