//! String-backed enums stored as `VARCHAR(24)` columns.
//! Database values are SCREAMING_SNAKE_CASE strings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Operating mode of a workflow.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum WorkflowMode {
    /// Policy routing is applied normally.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Every request is routed to a human.
    #[sea_orm(string_value = "MANUAL_ONLY")]
    ManualOnly,
    /// New requests are not accepted.
    #[sea_orm(string_value = "PAUSED")]
    Paused,
}

/// Lifecycle status of a policy version.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum PolicyStatus {
    /// Proposed, awaiting activation.
    #[sea_orm(string_value = "PROPOSED")]
    Proposed,
    /// Currently in force.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Replaced by a newer version.
    #[sea_orm(string_value = "SUPERSEDED")]
    Superseded,
    /// Proposal was declined.
    #[sea_orm(string_value = "DECLINED")]
    Declined,
}

/// Routing outcome for a request.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Route {
    /// Approved automatically.
    #[sea_orm(string_value = "AUTO")]
    Auto,
    /// Sent to human reviewers.
    #[sea_orm(string_value = "HUMAN")]
    Human,
    /// Rejected automatically.
    #[sea_orm(string_value = "REJECT")]
    Reject,
}

/// Status of an approval request.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum RequestStatus {
    /// Awaiting decisions.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Approved.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// Rejected.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Expired before a decision.
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    /// Cancelled by the submitter.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    /// Approved action was executed.
    #[sea_orm(string_value = "EXECUTED")]
    Executed,
    /// Execution of the approved action failed.
    #[sea_orm(string_value = "EXECUTION_FAILED")]
    ExecutionFailed,
    /// Executed action was rolled back.
    #[sea_orm(string_value = "ROLLED_BACK")]
    RolledBack,
}

/// Status of one approval step.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum StepStatus {
    /// Waiting for earlier steps.
    #[sea_orm(string_value = "WAITING")]
    Waiting,
    /// Open for decisions.
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// Quorum reached.
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    /// Rejected at this step.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    /// Skipped.
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
}

/// Kind of a reviewer decision.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum DecisionKind {
    /// Approve.
    #[sea_orm(string_value = "APPROVE")]
    Approve,
    /// Reject.
    #[sea_orm(string_value = "REJECT")]
    Reject,
}

/// QA verdict on a sampled request.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum SampleVerdict {
    /// The routing/decision was correct.
    #[sea_orm(string_value = "CORRECT")]
    Correct,
    /// The routing/decision was incorrect.
    #[sea_orm(string_value = "INCORRECT")]
    Incorrect,
}

/// Delivery status of an outbox row.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum OutboxStatus {
    /// Waiting to be (re)tried.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// A receiver acknowledged it with a 2xx.
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Every attempt failed (or the webhook was removed before it left).
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// Whether an event-webhook subscription receives deliveries.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum SubscriptionStatus {
    /// Deliveries leave as events happen.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Turned off by an admin, or by the server after failing for too long; deliveries wait.
    #[sea_orm(string_value = "DISABLED")]
    Disabled,
}

/// What a notification tells a reviewer.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum NotificationKind {
    /// A step opened: an approval is waiting for the step's role.
    #[sea_orm(string_value = "APPROVAL_WAITING")]
    ApprovalWaiting,
    /// The step is due soon and still open.
    #[sea_orm(string_value = "REMINDER")]
    Reminder,
    /// The step was overdue and went to the escalation role.
    #[sea_orm(string_value = "ESCALATION")]
    Escalation,
    /// The request expired undecided.
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    /// A Slack message about the step is brought up to date (a decision, an outcome): it shows
    /// who decided, and its buttons are gone.
    #[sea_orm(string_value = "MESSAGE_UPDATE")]
    MessageUpdate,
}

/// The channel a notification goes through.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum NotificationChannel {
    /// A Slack channel, through the Slack Web API.
    #[sea_orm(string_value = "SLACK")]
    Slack,
    /// Email over SMTP.
    #[sea_orm(string_value = "EMAIL")]
    Email,
}

/// Where a notification is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum NotificationStatus {
    /// Waiting to be (re)tried, or for its time (a reminder).
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Accepted by the mail server or the Slack API.
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Every attempt failed, or the channel refused it for good.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Not sent because it no longer applied (the step was decided before its reminder).
    #[sea_orm(string_value = "SKIPPED")]
    Skipped,
}
