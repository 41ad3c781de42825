//! GraphQL output types and enums: thin views over stored rows. Field resolvers that need more
//! rows (steps, decisions, history, policies) load them on demand.

use crate::graphql::scalars::Decimal;
use async_graphql::{ComplexObject, Context, Enum, ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use countersign_entity::enums as db;
use countersign_entity::{
    approval_request, approval_step, audit_event, decision, outbox, policy_version, workflow,
};
use serde_json::Value;
use std::str::FromStr;

use super::ContextExt;
use super::loaders::{CorrelationLoader, DecisionsLoader, StepsLoader};
use crate::auth::{ROLE_ADMIN, ROLE_AUDITOR};
use crate::domain::audit::AuditQuery;
use crate::domain::lifecycle::Source as DomainSource;
use crate::domain::{audit, execution, requests, workflows};
use crate::error::{ApiResult, AppError};
use async_graphql::dataloader::DataLoader;

macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident => $db:path { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
        #[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
        pub enum $name { $(#[allow(missing_docs)] $variant),+ }
        impl From<$db> for $name {
            fn from(v: $db) -> Self { match v { $(<$db>::$variant => $name::$variant),+ } }
        }
        impl From<$name> for $db {
            fn from(v: $name) -> Self { match v { $($name::$variant => <$db>::$variant),+ } }
        }
    };
}

mirror_enum!(/// Operating mode of a workflow.
    WorkflowMode => db::WorkflowMode { Active, ManualOnly, Paused });
mirror_enum!(/// The route a policy chose.
    Route => db::Route { Auto, Human, Reject });
mirror_enum!(/// Status of an approval request.
    RequestStatus => db::RequestStatus { Pending, Approved, Rejected, Expired, Cancelled, Executed, ExecutionFailed, RolledBack });
mirror_enum!(/// Status of an approval step.
    StepStatus => db::StepStatus { Waiting, Open, Approved, Rejected, Skipped });
mirror_enum!(/// A reviewer's decision.
    DecisionKind => db::DecisionKind { Approve, Reject });
mirror_enum!(/// Status of a policy version.
    PolicyStatus => db::PolicyStatus { Proposed, Active, Superseded, Declined });
mirror_enum!(/// A QA verdict on a sampled request.
    SampleVerdict => db::SampleVerdict { Correct, Incorrect });
mirror_enum!(/// Status of a webhook delivery.
    DeliveryStatus => db::OutboxStatus { Pending, Delivered, Failed });

fn json_text(text: &str) -> ApiResult<Json<Value>> {
    Ok(Json(
        serde_json::from_str(text).map_err(AppError::internal)?,
    ))
}

fn decimal_text(text: &Option<String>) -> ApiResult<Option<Decimal>> {
    text.as_deref()
        .map(|t| {
            rust_decimal::Decimal::from_str(t)
                .map(Decimal)
                .map_err(|e| AppError::internal(e).into())
        })
        .transpose()
}

/// ROI assumptions of a workflow.
#[derive(SimpleObject)]
pub struct RoiSettings {
    /// Manual minutes an auto-approved action saves.
    pub minutes_saved_per_auto: f64,
    /// Minutes saved when a person approves the AI draft.
    pub minutes_saved_per_assisted: f64,
    /// Minutes a person spends per decision.
    pub reviewer_minutes_per_decision: f64,
    /// Hourly rate of the people involved.
    pub hourly_rate_usd: Decimal,
}

/// A workflow: a kind of action, its policy and its mode.
pub struct Workflow(pub workflow::Model);

#[Object]
impl Workflow {
    /// Key, unique in the tenant.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// ACTIVE, MANUAL_ONLY or PAUSED.
    async fn mode(&self) -> WorkflowMode {
        self.0.mode.into()
    }
    /// Why the mode was last changed.
    async fn mode_reason(&self) -> Option<&str> {
        self.0.mode_reason.as_deref()
    }
    /// The policy version in force.
    async fn active_policy(&self, ctx: &Context<'_>) -> ApiResult<PolicyVersion> {
        let state = ctx.state()?;
        Ok(PolicyVersion(
            workflows::policy(state.store.db(), &self.0, self.0.active_policy_version).await?,
        ))
    }
    /// Where reviewers are told about its approvals (empty: nowhere).
    async fn notification_channels(&self) -> Vec<super::notifications::ChannelView> {
        super::notifications::channels_of(&self.0)
    }
    /// Every policy version, oldest first.
    async fn policies(&self, ctx: &Context<'_>) -> ApiResult<Vec<PolicyVersion>> {
        let state = ctx.state()?;
        Ok(workflows::policies(state.store.db(), &self.0)
            .await?
            .into_iter()
            .map(PolicyVersion)
            .collect())
    }
    /// ROI assumptions.
    async fn roi(&self) -> ApiResult<RoiSettings> {
        Ok(RoiSettings {
            minutes_saved_per_auto: self.0.minutes_saved_per_auto,
            minutes_saved_per_assisted: self.0.minutes_saved_per_assisted,
            reviewer_minutes_per_decision: self.0.reviewer_minutes_per_decision,
            hourly_rate_usd: Decimal(
                rust_decimal::Decimal::from_str(&self.0.hourly_rate_usd)
                    .map_err(AppError::internal)?,
            ),
        })
    }
    /// Where approved actions are delivered, if anywhere (the signing secret is never shown).
    async fn execution_webhook_url(&self) -> Option<&str> {
        self.0.webhook_url.as_deref()
    }
    /// Delivery attempts per action, when a webhook is set.
    async fn execution_webhook_max_attempts(&self) -> Option<i32> {
        self.0.webhook_max_attempts
    }
    /// Creation time.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One version of a workflow's policy.
pub struct PolicyVersion(pub policy_version::Model);

#[Object]
impl PolicyVersion {
    /// Version number, from 1.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// PROPOSED, ACTIVE, SUPERSEDED or DECLINED.
    async fn status(&self) -> PolicyStatus {
        self.0.status.into()
    }
    /// The policy document (admin and auditor only, FORBIDDEN otherwise: its rules say how an
    /// action gets auto-approved).
    async fn document(&self, ctx: &Context<'_>) -> ApiResult<Json<Value>> {
        ctx.principal()?
            .require_any(&[ROLE_ADMIN, ROLE_AUDITOR], "reading a policy document")?;
        json_text(&self.0.document)
    }
    /// Note given when proposed.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Who proposed it.
    async fn proposed_by(&self) -> &str {
        &self.0.proposed_by
    }
    /// Who activated it.
    async fn activated_by(&self) -> Option<&str> {
        self.0.activated_by.as_deref()
    }
    /// When proposed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When activated.
    async fn activated_at(&self) -> Option<DateTime<Utc>> {
        self.0.activated_at
    }
    /// Why it was declined or rolled back to.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
}

/// A citation the AI used.
#[derive(SimpleObject)]
pub struct Source {
    /// Title.
    pub title: String,
    /// Link.
    pub url: Option<String>,
    /// Quoted excerpt.
    pub excerpt: Option<String>,
}

/// An action an agent proposed, with its route, steps, decisions and history.
pub struct ApprovalRequest(pub approval_request::Model);

#[Object]
impl ApprovalRequest {
    /// Request id (UUIDv7).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Workflow key.
    async fn workflow_key(&self) -> &str {
        &self.0.workflow_key
    }
    /// The policy version that routed it.
    async fn policy_version(&self) -> i32 {
        self.0.policy_version
    }
    /// The rule that matched; null when the default applied.
    async fn matched_rule(&self) -> Option<&str> {
        self.0.matched_rule.as_deref()
    }
    /// AUTO, HUMAN or REJECT (after safety overrides).
    async fn route(&self) -> Route {
        self.0.route.into()
    }
    /// Current status.
    async fn status(&self) -> RequestStatus {
        self.0.status.into()
    }
    /// Optimistic-concurrency version; pass it as `expectedVersion` to `decide`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Action type.
    async fn action_type(&self) -> &str {
        &self.0.action_type
    }
    /// Title for reviewers.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The action as submitted.
    async fn action(&self) -> ApiResult<Json<Value>> {
        json_text(&self.0.action)
    }
    /// The action as approved (equals `action` unless a reviewer edited it).
    async fn final_action(&self) -> ApiResult<Json<Value>> {
        json_text(&self.0.final_action)
    }
    /// SHA-256 of the canonical JSON of `finalAction`: what approvals bind to.
    async fn final_action_hash(&self) -> &str {
        &self.0.final_action_hash
    }
    /// RFC 6902 patch from `action` to `finalAction`.
    async fn edit_patch(&self) -> ApiResult<Option<Json<Value>>> {
        self.0.edit_patch.as_deref().map(json_text).transpose()
    }
    /// The AI's reasoning.
    async fn recommendation(&self) -> Option<&str> {
        self.0.recommendation.as_deref()
    }
    /// The AI's confidence, 0..1.
    async fn confidence(&self) -> Option<f64> {
        self.0.confidence
    }
    /// Money at stake.
    async fn amount(&self) -> ApiResult<Option<Decimal>> {
        decimal_text(&self.0.amount)
    }
    /// ISO 4217 currency.
    async fn currency(&self) -> Option<&str> {
        self.0.currency.as_deref()
    }
    /// Risk flags.
    async fn risk_flags(&self) -> ApiResult<Vec<String>> {
        Ok(serde_json::from_str(&self.0.risk_flags).map_err(AppError::internal)?)
    }
    /// Failed validations, `duplicate`, `rule_error:<name>`.
    async fn exceptions(&self) -> ApiResult<Vec<String>> {
        Ok(serde_json::from_str(&self.0.exceptions).map_err(AppError::internal)?)
    }
    /// The earlier request this one duplicates.
    async fn duplicate_of(&self) -> Option<ID> {
        self.0.duplicate_of.map(|id| ID(id.to_string()))
    }
    /// Citations.
    async fn sources(&self) -> ApiResult<Vec<Source>> {
        let sources: Vec<DomainSource> =
            serde_json::from_str(&self.0.sources).map_err(AppError::internal)?;
        Ok(sources
            .into_iter()
            .map(|s| Source {
                title: s.title,
                url: s.url,
                excerpt: s.excerpt,
            })
            .collect())
    }
    /// Context given at submission.
    async fn context(&self) -> ApiResult<Option<Json<Value>>> {
        self.0.context.as_deref().map(json_text).transpose()
    }
    /// The submitting agent's correlation handle, exactly as given.
    async fn correlation(&self) -> ApiResult<Option<Json<Value>>> {
        self.0.correlation.as_deref().map(json_text).transpose()
    }
    /// Model name.
    async fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }
    /// Prompt version.
    async fn prompt_version(&self) -> Option<&str> {
        self.0.prompt_version.as_deref()
    }
    /// What producing the recommendation cost.
    async fn cost_usd(&self) -> ApiResult<Option<Decimal>> {
        decimal_text(&self.0.cost_usd)
    }
    /// Picked for QA sampling.
    async fn qa_sampled(&self) -> bool {
        self.0.qa_sampled
    }
    /// QA verdict, once given.
    async fn qa_verdict(&self) -> Option<SampleVerdict> {
        self.0.qa_verdict.map(Into::into)
    }
    /// Reason code of the QA verdict (required for INCORRECT).
    async fn qa_reason_code(&self) -> Option<&str> {
        self.0.qa_reason_code.as_deref()
    }
    /// Comment of the QA verdict.
    async fn qa_comment(&self) -> Option<&str> {
        self.0.qa_comment.as_deref()
    }
    /// Who gave the QA verdict.
    async fn qa_reviewed_by(&self) -> Option<&str> {
        self.0.qa_reviewed_by.as_deref()
    }
    /// When the QA verdict was given.
    async fn qa_reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.qa_reviewed_at
    }
    /// Rejection reason code.
    async fn reason_code(&self) -> Option<&str> {
        self.0.reason_code.as_deref()
    }
    /// Approval steps, in order.
    async fn steps(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApprovalStep>> {
        let loader = ctx
            .data::<DataLoader<StepsLoader>>()
            .map_err(|e| AppError::internal(e.message))?;
        let steps = loader.load_one(self.0.id).await?.unwrap_or_default();
        Ok(steps.into_iter().map(ApprovalStep).collect())
    }
    /// Index of the open step; null when none is open.
    async fn current_step(&self) -> Option<i32> {
        self.0.current_step
    }
    /// Decisions, in order.
    async fn decisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Decision>> {
        let loader = ctx
            .data::<DataLoader<DecisionsLoader>>()
            .map_err(|e| AppError::internal(e.message))?;
        let decisions = loader.load_one(self.0.id).await?.unwrap_or_default();
        Ok(decisions.into_iter().map(Decision).collect())
    }
    /// Messages sent (or waiting) about it: channel, kind, recipient, status, attempts (admin,
    /// auditor: recipients are people's addresses).
    async fn notifications(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<super::notifications::Notification>> {
        let caller = ctx.principal()?;
        if !caller.reads_everything() {
            return Err(crate::error::AppError::Forbidden(
                "notifications needs one of the roles: admin, auditor".into(),
            )
            .into());
        }
        let state = ctx.state()?;
        Ok(
            crate::domain::notifications::of_request(state.store.db(), self.0.id)
                .await?
                .into_iter()
                .map(super::notifications::Notification)
                .collect(),
        )
    }
    /// Audit events of this request, in order.
    async fn history(&self, ctx: &Context<'_>) -> ApiResult<Vec<AuditEvent>> {
        let state = ctx.state()?;
        let query = AuditQuery {
            request_id: Some(self.0.id),
            ..Default::default()
        };
        Ok(
            audit::list(state.store.db(), &self.0.tenant_id, &query, 10_000)
                .await?
                .into_iter()
                .map(AuditEvent)
                .collect(),
        )
    }
    /// Who submitted it.
    async fn submitted_by(&self) -> &str {
        &self.0.submitted_by
    }
    /// When it was submitted.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// When the open step is due.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    /// When it expires if still pending.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// When it was approved or rejected.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    /// When it was executed.
    async fn executed_at(&self) -> Option<DateTime<Utc>> {
        self.0.executed_at
    }
    /// Reference of the executed action in the target system.
    async fn external_ref(&self) -> Option<&str> {
        self.0.external_ref.as_deref()
    }
    /// Why execution failed (EXECUTION_FAILED), as reported by the agent or the webhook delivery.
    async fn execution_error(&self) -> Option<&str> {
        self.0.execution_error.as_deref()
    }
    /// Webhook deliveries of this request (approval, rollback), oldest first.
    async fn deliveries(&self, ctx: &Context<'_>) -> ApiResult<Vec<WebhookDelivery>> {
        let state = ctx.state()?;
        Ok(execution::deliveries(state.store.db(), self.0.id)
            .await?
            .into_iter()
            .map(WebhookDelivery)
            .collect())
    }
}

/// One outbound webhook delivery: the same `webhookId` on every attempt.
pub struct WebhookDelivery(pub outbox::Model);

#[Object]
impl WebhookDelivery {
    /// The `webhook-id` header; receivers deduplicate by it.
    async fn webhook_id(&self) -> &str {
        &self.0.webhook_id
    }
    /// `action.approved` or `action.rolled_back`.
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    /// PENDING, DELIVERED or FAILED.
    async fn status(&self) -> DeliveryStatus {
        self.0.status.into()
    }
    /// Attempts started so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// Attempts allowed.
    async fn max_attempts(&self) -> i32 {
        self.0.max_attempts
    }
    /// HTTP status of the last attempt, when one came back.
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }
    /// Why the last attempt got no answer (`timeout`, `connect`, …).
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// Not attempted again before this time (while PENDING).
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }
    /// When it was queued.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When a receiver acknowledged it.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
}

/// One approval step.
pub struct ApprovalStep(pub approval_step::Model);

#[Object]
impl ApprovalStep {
    /// Position, from 0.
    async fn index(&self) -> i32 {
        self.0.idx
    }
    /// Role whose holders may approve.
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// Distinct approvals needed.
    async fn quorum(&self) -> i32 {
        self.0.quorum
    }
    /// Approvals so far.
    async fn approvals(&self) -> i32 {
        self.0.approvals
    }
    /// WAITING, OPEN, APPROVED, REJECTED or SKIPPED.
    async fn status(&self) -> StepStatus {
        self.0.status.into()
    }
    /// When it opened.
    async fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.0.opened_at
    }
    /// When it is due.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    /// Role it escalated to, once overdue.
    async fn escalated_to(&self) -> Option<&str> {
        self.0.escalated_to.as_deref()
    }
}

/// One person's decision.
pub struct Decision(pub decision::Model);

#[Object]
impl Decision {
    /// Step index decided.
    async fn step(&self) -> Option<i32> {
        self.0.step_idx
    }
    /// Who decided.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// APPROVE or REJECT.
    async fn decision(&self) -> DecisionKind {
        self.0.decision.into()
    }
    /// Reason code.
    async fn reason_code(&self) -> Option<&str> {
        self.0.reason_code.as_deref()
    }
    /// Comment.
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }
    /// Whether this decision edited the action.
    async fn edited(&self) -> bool {
        self.0.edited
    }
    /// SHA-256 of the action as this person approved it.
    async fn action_hash(&self) -> Option<&str> {
        self.0.action_hash.as_deref()
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One audit event.
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    /// Per tenant, gap-free, from 1.
    async fn seq(&self) -> i64 {
        self.0.seq
    }
    /// Event id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Event type, e.g. REQUEST_SUBMITTED.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Principal id, or `system`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// Workflow key.
    async fn workflow_key(&self) -> Option<&str> {
        self.0.workflow_key.as_deref()
    }
    /// Request id.
    async fn request_id(&self) -> Option<ID> {
        self.0.request_id.map(|id| ID(id.to_string()))
    }
    /// The correlation handle its submitting agent gave the request this event is about (null
    /// for events of no request, or a request submitted without one).
    async fn correlation(&self, ctx: &Context<'_>) -> ApiResult<Option<Json<Value>>> {
        let Some(request_id) = self.0.request_id else {
            return Ok(None);
        };
        let loader = ctx
            .data::<DataLoader<CorrelationLoader>>()
            .map_err(|e| AppError::internal(e.message))?;
        loader
            .load_one(request_id)
            .await?
            .as_deref()
            .map(json_text)
            .transpose()
    }
    /// What changed. A policy document in it (`policy`) is shown to admins and auditors only;
    /// others see the rest (`policyHash` included).
    async fn data(&self, ctx: &Context<'_>) -> ApiResult<Json<Value>> {
        let mut data = json_text(&self.0.data)?;
        if !ctx.principal()?.reads_everything()
            && let Some(fields) = data.0.as_object_mut()
        {
            fields.remove("policy");
        }
        Ok(data)
    }
    /// Hash of the previous event (hex).
    async fn prev_hash(&self) -> &str {
        &self.0.prev_hash
    }
    /// SHA-256 of prevHash ‖ canonical event (hex).
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

/// Relay page info.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// More after `endCursor`.
    pub has_next_page: bool,
    /// Cursor of the last edge.
    pub end_cursor: Option<String>,
}

/// An edge of a request connection.
#[derive(SimpleObject)]
pub struct ApprovalRequestEdge {
    /// Cursor.
    pub cursor: String,
    /// The request.
    pub node: ApprovalRequest,
}

/// A page of requests.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ApprovalRequestConnection {
    /// Edges.
    pub edges: Vec<ApprovalRequestEdge>,
    /// Paging.
    pub page_info: PageInfo,
    #[graphql(skip)]
    pub total: requests::Count,
}

#[ComplexObject]
impl ApprovalRequestConnection {
    /// Matching requests across all pages. Counted only when selected: leave it out of queries
    /// that page through large results and do not show it.
    async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let n = self.total.run(ctx.state()?.store.db()).await?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<requests::Page> for ApprovalRequestConnection {
    fn from(page: requests::Page) -> Self {
        let end_cursor = page.items.last().map(|(c, _)| c.clone());
        ApprovalRequestConnection {
            edges: page
                .items
                .into_iter()
                .map(|(cursor, r)| ApprovalRequestEdge {
                    cursor,
                    node: ApprovalRequest(r),
                })
                .collect(),
            page_info: PageInfo {
                has_next_page: page.has_next,
                end_cursor,
            },
            total: page.total,
        }
    }
}

/// An edge of an audit connection.
#[derive(SimpleObject)]
pub struct AuditEventEdge {
    /// Cursor.
    pub cursor: String,
    /// The event.
    pub node: AuditEvent,
}

/// A page of audit events.
#[derive(SimpleObject)]
pub struct AuditEventConnection {
    /// Edges.
    pub edges: Vec<AuditEventEdge>,
    /// Paging.
    pub page_info: PageInfo,
}
