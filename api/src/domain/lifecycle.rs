//! The approval lifecycle: submitting actions (validated, idempotent, routed by the active policy)
//! and deciding them step by step with quorum and segregation of duties. Every state change and
//! its audit events commit in one transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use countersign_entity::enums::{DecisionKind, RequestStatus, Route, StepStatus, WorkflowMode};
use countersign_entity::{approval_request, approval_step, decision, used_link, workflow};
use rust_decimal::Decimal;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{Principal, ROLE_AGENT};
use crate::domain::audit::{self, EventDraft, EventKind, content_hash, format_time};
use crate::domain::policy::{
    CompiledPolicy, Evaluation, Evaluator, OwnedFacts, RouteKind, StepSpec, evaluate_off_thread,
    sample_pick,
};
use crate::domain::workflows::WorkflowKey;
use crate::domain::{execution, guardrails};
use crate::error::{AppError, AppResult};
use crate::store::{Store, is_unique_violation, now};

const MAX_ACTION_BYTES: usize = 256 * 1024;
const MAX_CONTEXT_BYTES: usize = 64 * 1024;

/// A citation the AI used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// Title.
    pub title: String,
    /// Link.
    pub url: Option<String>,
    /// Quoted excerpt.
    pub excerpt: Option<String>,
}

/// Input of `submitAction`, as received.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitInput {
    /// Workflow key.
    pub workflow_key: String,
    /// Idempotency key (per tenant).
    pub idempotency_key: String,
    /// Action type.
    pub action_type: String,
    /// Title for reviewers.
    pub title: String,
    /// The proposed action (JSON object).
    pub action: Value,
    /// The AI's reasoning.
    pub recommendation: Option<String>,
    /// The AI's confidence, 0..1.
    pub confidence: Option<f64>,
    /// Money at stake.
    pub amount: Option<Decimal>,
    /// ISO 4217 currency.
    pub currency: Option<String>,
    /// Risk flags.
    pub risk_flags: Option<Vec<String>>,
    /// Citations.
    pub sources: Option<Vec<Source>>,
    /// Context visible to policy rules (JSON object).
    pub context: Option<Value>,
    /// Model name.
    pub model: Option<String>,
    /// Prompt version.
    pub prompt_version: Option<String>,
    /// Cost of producing the recommendation.
    pub cost_usd: Option<Decimal>,
    /// The agent's own handle (a JSON object): returned on the request and its events. Left out
    /// of the fingerprint's JSON when absent, so requests stored before it existed replay alike.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation: Option<Value>,
}

/// The largest `correlation` accepted, in bytes of compact JSON.
pub const MAX_CORRELATION_BYTES: usize = 8 * 1024;

/// What `submitAction` returns.
#[derive(Debug, Clone)]
pub struct SubmitOutcome {
    /// The stored request (new or the earlier one with the same idempotency key).
    pub request: approval_request::Model,
    /// False when the idempotency key matched an existing request.
    pub created: bool,
}

fn check_len(path: &str, value: &str, min: usize, max: usize) -> AppResult<()> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(AppError::bad_input(
            path,
            format!("must be {min}-{max} characters (got {n})"),
        ));
    }
    Ok(())
}

fn check_token(path: &str, value: &str, max: usize) -> AppResult<()> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:-/".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_input(
            path,
            format!(
                "{value:?} must be 1-{max} characters of letters, digits, '_', '.', ':', '-' or '/'"
            ),
        ))
    }
}

fn check_money(path: &str, value: Option<Decimal>) -> AppResult<()> {
    if let Some(v) = value {
        if v.is_sign_negative() && !v.is_zero() {
            return Err(AppError::bad_input(path, "must not be negative"));
        }
        if v > Decimal::new(1_000_000_000_000_000, 0) || v.scale() > 8 {
            return Err(AppError::bad_input(
                path,
                "must be below 10^15 with at most 8 decimals",
            ));
        }
    }
    Ok(())
}

impl SubmitInput {
    /// Refuses anything out of bounds, naming the field (under `input`); nothing is stored on
    /// failure.
    pub(crate) fn validate(&self) -> AppResult<()> {
        WorkflowKey::parse(&self.workflow_key, "input.workflowKey")?;
        check_len("input.idempotencyKey", &self.idempotency_key, 1, 200)?;
        if self.idempotency_key.chars().any(char::is_control) {
            return Err(AppError::bad_input(
                "input.idempotencyKey",
                "must not contain control characters",
            ));
        }
        check_token("input.actionType", &self.action_type, 128)?;
        check_len("input.title", self.title.trim(), 1, 500)?;
        if !self.action.is_object() {
            return Err(AppError::bad_input("input.action", "must be a JSON object"));
        }
        if serde_json::to_vec(&self.action)?.len() > MAX_ACTION_BYTES {
            return Err(AppError::bad_input(
                "input.action",
                format!("is larger than {MAX_ACTION_BYTES} bytes"),
            ));
        }
        if let Some(r) = &self.recommendation {
            check_len("input.recommendation", r, 0, 20_000)?;
        }
        if let Some(c) = self.confidence
            && (!c.is_finite() || !(0.0..=1.0).contains(&c))
        {
            return Err(AppError::bad_input(
                "input.confidence",
                "must be between 0 and 1",
            ));
        }
        check_money("input.amount", self.amount)?;
        check_money("input.costUsd", self.cost_usd)?;
        if let Some(cur) = &self.currency
            && (cur.len() != 3 || !cur.chars().all(|c| c.is_ascii_uppercase()))
        {
            return Err(AppError::bad_input(
                "input.currency",
                "must be an ISO 4217 code such as \"USD\"",
            ));
        }
        if let Some(flags) = &self.risk_flags {
            if flags.len() > 50 {
                return Err(AppError::bad_input(
                    "input.riskFlags",
                    "at most 50 risk flags",
                ));
            }
            for (i, f) in flags.iter().enumerate() {
                check_token(&format!("input.riskFlags.{i}"), f, 64)?;
            }
        }
        if let Some(sources) = &self.sources {
            if sources.len() > 50 {
                return Err(AppError::bad_input("input.sources", "at most 50 sources"));
            }
            for (i, s) in sources.iter().enumerate() {
                check_len(&format!("input.sources.{i}.title"), &s.title, 1, 500)?;
                if let Some(url) = &s.url {
                    check_len(&format!("input.sources.{i}.url"), url, 1, 2048)?;
                }
                if let Some(ex) = &s.excerpt {
                    check_len(&format!("input.sources.{i}.excerpt"), ex, 0, 10_000)?;
                }
            }
        }
        if let Some(ctx) = &self.context {
            if !ctx.is_object() {
                return Err(AppError::bad_input(
                    "input.context",
                    "must be a JSON object",
                ));
            }
            if serde_json::to_vec(ctx)?.len() > MAX_CONTEXT_BYTES {
                return Err(AppError::bad_input(
                    "input.context",
                    format!("is larger than {MAX_CONTEXT_BYTES} bytes"),
                ));
            }
        }
        if let Some(c) = &self.correlation {
            if !c.is_object() {
                return Err(AppError::bad_input(
                    "input.correlation",
                    "must be a JSON object (for example {\"runId\": \"…\"})",
                ));
            }
            if serde_json::to_vec(c)?.len() > MAX_CORRELATION_BYTES {
                return Err(AppError::bad_input(
                    "input.correlation",
                    format!("is larger than {MAX_CORRELATION_BYTES} bytes"),
                ));
            }
        }
        if let Some(m) = &self.model {
            check_len("input.model", m, 1, 200)?;
        }
        if let Some(p) = &self.prompt_version {
            check_len("input.promptVersion", p, 1, 200)?;
        }
        Ok(())
    }

    /// What the policy sees of this input.
    pub(crate) fn facts(&self, workflow: &str) -> OwnedFacts {
        OwnedFacts {
            workflow: workflow.to_owned(),
            action_type: self.action_type.clone(),
            action: self.action.clone(),
            amount: self.amount,
            confidence: self.confidence,
            currency: self.currency.clone(),
            risk_flags: self.risk_flags.clone().unwrap_or_default(),
            context: self.context.clone(),
            model: self.model.clone(),
            prompt_version: self.prompt_version.clone(),
        }
    }

    /// Hash of the whole input (money normalized), to tell a retry from a reuse of the key.
    fn fingerprint(&self) -> AppResult<String> {
        let mut normalized = self.clone();
        normalized.amount = normalized.amount.map(|a| a.normalize());
        normalized.cost_usd = normalized.cost_usd.map(|a| a.normalize());
        content_hash(&serde_json::to_value(&normalized)?)
    }
}

pub(crate) fn route_of(kind: RouteKind) -> Route {
    match kind {
        RouteKind::Auto => Route::Auto,
        RouteKind::Human => Route::Human,
        RouteKind::Reject => Route::Reject,
    }
}

async fn find_by_idempotency_key(
    conn: &impl ConnectionTrait,
    tenant: &str,
    key: &str,
) -> AppResult<Option<approval_request::Model>> {
    Ok(approval_request::Entity::find()
        .filter(approval_request::Column::TenantId.eq(tenant))
        .filter(approval_request::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?)
}

fn replay(existing: approval_request::Model, fingerprint: &str) -> AppResult<SubmitOutcome> {
    if existing.input_hash != fingerprint {
        return Err(AppError::Conflict(format!(
            "idempotency key {:?} was already used for a different action (request {}); use a new key",
            existing.idempotency_key, existing.id
        )));
    }
    Ok(SubmitOutcome {
        request: existing,
        created: false,
    })
}

/// How many times a submission is prepared again when its workflow changed (mode or active
/// policy) between its evaluation and its commit.
const MAX_PREPARES: usize = 3;

/// Submits an action: validate, route it through the active policy (off the async threads,
/// within the evaluator's deadline), then hand it to the tenant's appender
/// ([`crate::domain::intake`]), which stores it with its steps and audit events together with
/// the submissions that arrived meanwhile, in one transaction, and answers after the commit. A
/// known idempotency key replays the stored request.
pub async fn submit(
    store: &Store,
    caller: &Principal,
    input: SubmitInput,
    evaluator: &Evaluator,
) -> AppResult<SubmitOutcome> {
    caller.require_any(&[ROLE_AGENT], "submitAction")?;
    input.validate()?;
    let fingerprint = input.fingerprint()?;
    let intake = store.intake();
    let mut fresh = false;
    for _ in 0..MAX_PREPARES {
        let wf = intake
            .workflow(store.db(), &caller.tenant, &input.workflow_key, fresh)
            .await?;
        let wf = match wf {
            Some(wf) => wf,
            None if fresh => {
                return Err(AppError::bad_input(
                    "input.workflowKey",
                    format!("no workflow {:?} in this tenant", input.workflow_key),
                ));
            }
            None => {
                fresh = true;
                continue;
            }
        };
        if wf.mode == WorkflowMode::Paused {
            if !fresh {
                // The remembered row may be stale: only the database may refuse.
                fresh = true;
                continue;
            }
            return paused(store, caller, &input, &fingerprint, wf.key).await;
        }
        let compiled = intake.policy(store.db(), &wf).await?;
        let (compiled, eval) =
            evaluate_off_thread(evaluator, compiled, input.facts(&wf.key)).await?;
        let prepared = Prepared {
            tenant: caller.tenant.clone(),
            submitted_by: caller.subject.clone(),
            input: input.clone(),
            fingerprint: fingerprint.clone(),
            id: Uuid::now_v7(),
            at: now(),
            compiled,
            eval,
            workflow: wf,
        };
        match intake.append(store, prepared).await {
            Ok(outcome) => {
                if outcome.created {
                    crate::telemetry::submitted(
                        &caller.tenant,
                        &outcome.request.workflow_key,
                        route_name(outcome.request.route),
                    );
                }
                return Ok(outcome);
            }
            Err(Appended::Retry) => fresh = true,
            Err(Appended::Failed(AppError::WorkflowPaused(key))) => {
                return paused(store, caller, &input, &fingerprint, key).await;
            }
            Err(Appended::Failed(e)) => return Err(e),
        }
    }
    Err(AppError::Conflict(format!(
        "workflow {:?} kept changing while the action was submitted; submit it again",
        input.workflow_key
    )))
}

/// A paused workflow takes nothing new, but a retry of an action it took still answers.
async fn paused(
    store: &Store,
    caller: &Principal,
    input: &SubmitInput,
    fingerprint: &str,
    key: String,
) -> AppResult<SubmitOutcome> {
    match find_by_idempotency_key(store.db(), &caller.tenant, &input.idempotency_key).await? {
        Some(existing) => replay(existing, fingerprint),
        None => Err(AppError::WorkflowPaused(key)),
    }
}

/// Why the appender did not store a submission.
#[derive(Debug)]
pub(crate) enum Appended {
    /// Its workflow changed (mode or active policy) after it was evaluated: evaluate again.
    Retry,
    /// It failed, alone.
    Failed(AppError),
}

/// A submission validated and evaluated, waiting for its appender: everything but the facts
/// that depend on what was stored before it (duplicates, the audit head).
pub(crate) struct Prepared {
    pub tenant: String,
    pub submitted_by: String,
    pub input: SubmitInput,
    pub fingerprint: String,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The workflow as evaluated; the appender checks it still is so.
    pub workflow: workflow::Model,
    pub compiled: Arc<CompiledPolicy>,
    /// The evaluation before overrides (a duplicate found at commit still adds its exception).
    pub eval: Evaluation,
}

/// What a prepared submission writes, once its duplicate is known.
pub(crate) struct Built {
    pub row: approval_request::Model,
    pub steps: Vec<approval_step::Model>,
    pub events: Vec<EventDraft>,
}

impl Prepared {
    /// The duplicate key's lookup window starts here.
    pub fn duplicate_since(&self) -> DateTime<Utc> {
        self.at - self.compiled.duplicate_window
    }

    /// The idempotency key answered by an existing request: replay it, or CONFLICT when the
    /// key was used for another action.
    pub fn replay(&self, existing: approval_request::Model) -> AppResult<SubmitOutcome> {
        replay(existing, &self.fingerprint)
    }

    /// The request, its steps and its audit events, with `duplicate_of` the earlier request
    /// with the same duplicate key (if any). Pure.
    pub fn build(&self, duplicate_of: Option<Uuid>) -> AppResult<Built> {
        let input = &self.input;
        let wf = &self.workflow;
        let compiled = &self.compiled;
        let (at, id) = (self.at, self.id);
        let mut eval = self.eval.clone();
        if duplicate_of.is_some() {
            eval.exceptions.push("duplicate".to_owned());
        }
        compiled.apply_overrides(&mut eval, wf.mode == WorkflowMode::ManualOnly);
        let policy_version = wf.active_policy_version;
        let risk_flags = input.risk_flags.clone().unwrap_or_default();
        let action_hash = content_hash(&input.action)?;
        let route = route_of(eval.route);
        let (status, decided_at, reason_code) = match eval.route {
            RouteKind::Auto => (RequestStatus::Approved, Some(at), None),
            RouteKind::Human => (RequestStatus::Pending, None, None),
            RouteKind::Reject => (RequestStatus::Rejected, Some(at), eval.reason_code.clone()),
        };
        let qa_sampled = eval.route == RouteKind::Auto && sample_pick(id, eval.sample_rate);
        let first_due = eval.steps.first().and_then(|s| s.sla).map(|sla| at + sla);
        let row = approval_request::Model {
            id,
            tenant_id: self.tenant.clone(),
            workflow_id: wf.id,
            workflow_key: wf.key.clone(),
            policy_version,
            matched_rule: eval.matched_rule.clone(),
            route,
            status,
            version: 1,
            idempotency_key: input.idempotency_key.clone(),
            input_hash: self.fingerprint.clone(),
            action_type: input.action_type.clone(),
            title: input.title.trim().to_owned(),
            action: serde_json::to_string(&input.action)?,
            final_action: serde_json::to_string(&input.action)?,
            edit_patch: None,
            final_action_hash: action_hash.clone(),
            recommendation: input.recommendation.clone(),
            confidence: input.confidence,
            amount: input.amount.map(|a| a.to_string()),
            currency: input.currency.clone(),
            risk_flags: serde_json::to_string(&risk_flags)?,
            exceptions: serde_json::to_string(&eval.exceptions)?,
            duplicate_key: eval.duplicate_key.clone(),
            duplicate_of,
            sources: serde_json::to_string(&input.sources.clone().unwrap_or_default())?,
            context: input
                .context
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
            correlation: input
                .correlation
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
            model: input.model.clone(),
            prompt_version: input.prompt_version.clone(),
            cost_usd: input.cost_usd.map(|c| c.to_string()),
            qa_sampled,
            qa_role: qa_sampled.then(|| eval.sample_role.clone()).flatten(),
            qa_verdict: None,
            qa_reason_code: None,
            qa_comment: None,
            qa_reviewed_by: None,
            qa_reviewed_at: None,
            current_step: (eval.route == RouteKind::Human).then_some(0),
            due_at: first_due,
            reason_code: reason_code.clone(),
            submitted_by: self.submitted_by.clone(),
            submitted_at: at,
            decided_at,
            expires_at: (eval.route == RouteKind::Human)
                .then(|| compiled.expire_after.map(|d| at + d))
                .flatten(),
            executed_at: None,
            external_ref: None,
            execution_error: None,
            updated_at: at,
        };
        let mut events = vec![EventDraft::new(
            EventKind::RequestSubmitted,
            &self.submitted_by,
            json!({
                "actionType": input.action_type,
                "title": row.title,
                "idempotencyKey": input.idempotency_key,
                "action": input.action,
                "actionHash": action_hash,
                "recommendation": input.recommendation,
                "confidence": input.confidence,
                "amount": row.amount,
                "currency": input.currency,
                "riskFlags": risk_flags,
                "sources": input.sources.clone().unwrap_or_default(),
                "context": input.context,
                "correlation": input.correlation,
                "model": input.model,
                "promptVersion": input.prompt_version,
                "costUsd": row.cost_usd,
                "policyVersion": policy_version,
                "route": route_name(route),
                "matchedRule": eval.matched_rule,
                "exceptions": eval.exceptions,
                "duplicateOf": duplicate_of,
                "overrideReason": eval.override_reason,
            }),
        )];
        let mut steps = Vec::new();
        match eval.route {
            RouteKind::Auto => events.push(EventDraft::new(
                EventKind::AutoApproved,
                "system",
                json!({
                    "rule": eval.matched_rule,
                    "policyVersion": policy_version,
                    "finalActionHash": action_hash,
                    "qaSampled": qa_sampled,
                    "sampleRate": eval.sample_rate,
                }),
            )),
            RouteKind::Reject => events.push(EventDraft::new(
                EventKind::RequestRejected,
                "system",
                json!({ "by": "policy", "rule": eval.matched_rule, "reasonCode": reason_code, "policyVersion": policy_version }),
            )),
            RouteKind::Human => {
                steps = step_rows(&self.tenant, id, &eval, compiled.escalation_role.as_deref(), at);
                if let Some(first) = eval.steps.first() {
                    events.push(step_opened(0, first, first_due));
                }
            }
        }
        let events = events
            .into_iter()
            .map(|e| e.workflow(&wf.key).request(id))
            .collect();
        Ok(Built { row, steps, events })
    }
}

/// A request in one of these states is not repeated by a later one with its duplicate key.
pub(crate) const NOT_DUPLICATED: [RequestStatus; 3] = [
    RequestStatus::Rejected,
    RequestStatus::Cancelled,
    RequestStatus::Expired,
];

/// The latest request of the workflow with the same duplicate key submitted since `since` that
/// still counts (not REJECTED, CANCELLED or EXPIRED).
pub(crate) async fn find_duplicate(
    conn: &impl ConnectionTrait,
    workflow_id: Uuid,
    key: &str,
    since: DateTime<Utc>,
) -> AppResult<Option<Uuid>> {
    Ok(approval_request::Entity::find()
        .filter(approval_request::Column::WorkflowId.eq(workflow_id))
        .filter(approval_request::Column::DuplicateKey.eq(key))
        .filter(approval_request::Column::SubmittedAt.gte(since))
        .filter(approval_request::Column::Status.is_not_in(NOT_DUPLICATED))
        .order_by_desc(approval_request::Column::SubmittedAt)
        .one(conn)
        .await?
        .map(|r| r.id))
}

/// The stored route name.
pub(crate) fn route_name(route: Route) -> &'static str {
    match route {
        Route::Auto => "AUTO",
        Route::Human => "HUMAN",
        Route::Reject => "REJECT",
    }
}

fn step_opened(index: i32, step: &StepSpec, due: Option<DateTime<Utc>>) -> EventDraft {
    EventDraft::new(
        EventKind::StepOpened,
        "system",
        json!({ "step": index, "role": step.role, "quorum": step.quorum, "dueAt": due.map(format_time) }),
    )
}

fn step_rows(
    tenant: &str,
    request_id: Uuid,
    eval: &Evaluation,
    escalation_role: Option<&str>,
    at: DateTime<Utc>,
) -> Vec<approval_step::Model> {
    eval.steps
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let first = i == 0;
            approval_step::Model {
                id: Uuid::now_v7(),
                tenant_id: tenant.to_owned(),
                request_id,
                idx: i as i32,
                role: spec.role.clone(),
                quorum: spec.quorum as i32,
                approvals: 0,
                status: if first {
                    StepStatus::Open
                } else {
                    StepStatus::Waiting
                },
                sla_ms: spec.sla.map(|d| d.num_milliseconds()),
                opened_at: first.then_some(at),
                due_at: if first {
                    spec.sla.map(|d| at + d)
                } else {
                    None
                },
                // Only steps with a due time can become overdue.
                escalation_role: spec.sla.and(escalation_role.map(str::to_owned)),
                escalated_to: None,
                escalated_at: None,
                decided_at: None,
            }
        })
        .collect()
}

/// Input of `decide`.
#[derive(Debug, Clone)]
pub struct DecideInput {
    /// Request id.
    pub request_id: Uuid,
    /// APPROVE or REJECT.
    pub decision: DecisionKind,
    /// Expected `version`; stale → CONFLICT.
    pub expected_version: Option<i32>,
    /// For APPROVE: the action as the reviewer edited it.
    pub edited_action: Option<Value>,
    /// Required for REJECT.
    pub reason_code: Option<String>,
    /// Free comment.
    pub comment: Option<String>,
    /// The step the decision is for, when the channel bound it to one (an email link); another
    /// open step → CONFLICT.
    pub expected_step: Option<i32>,
    /// Where the decision came from, recorded on its audit event.
    pub via: Via,
}

/// The channel a decision came through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Via {
    /// The API (GraphQL).
    #[default]
    Api,
    /// The web console (which uses the API, and says so).
    Console,
    /// A Slack button, by the Slack user.
    Slack {
        /// The clicker's Slack user id.
        user_id: String,
    },
    /// An email decision link (works once: recorded in the deciding transaction).
    Email {
        /// The link's id.
        link_id: Uuid,
    },
}

impl Via {
    /// The name recorded as the decision's `channel`.
    pub fn name(&self) -> &'static str {
        match self {
            Via::Api => "api",
            Via::Console => "console",
            Via::Slack { .. } => "slack",
            Via::Email { .. } => "email",
        }
    }
}

impl DecideInput {
    fn validate(&self, base: &str) -> AppResult<()> {
        match self.decision {
            DecisionKind::Reject => {
                let Some(code) = &self.reason_code else {
                    return Err(AppError::bad_input(
                        &format!("{base}.reasonCode"),
                        "a REJECT needs a reasonCode",
                    ));
                };
                check_token(&format!("{base}.reasonCode"), code, 64)?;
                if self.edited_action.is_some() {
                    return Err(AppError::bad_input(
                        &format!("{base}.editedAction"),
                        "editedAction goes with APPROVE only",
                    ));
                }
            }
            DecisionKind::Approve => {
                if let Some(code) = &self.reason_code {
                    check_token(&format!("{base}.reasonCode"), code, 64)?;
                }
                if let Some(edited) = &self.edited_action {
                    if !edited.is_object() {
                        return Err(AppError::bad_input(
                            &format!("{base}.editedAction"),
                            "must be a JSON object",
                        ));
                    }
                    if serde_json::to_vec(edited)?.len() > MAX_ACTION_BYTES {
                        return Err(AppError::bad_input(
                            &format!("{base}.editedAction"),
                            format!("is larger than {MAX_ACTION_BYTES} bytes"),
                        ));
                    }
                }
            }
        }
        if let Some(c) = &self.comment {
            check_len(&format!("{base}.comment"), c, 0, 10_000)?;
        }
        Ok(())
    }
}

/// Decides the open step of a request: one vote, counted towards the step's quorum; the last
/// approval of the last step approves the request, any rejection rejects it.
pub async fn decide(
    store: &Store,
    caller: &Principal,
    input: DecideInput,
    base: &str,
) -> AppResult<approval_request::Model> {
    input.validate(base)?;
    let txn = store.begin().await?;
    let request = approval_request::Entity::find_by_id(input.request_id)
        .filter(approval_request::Column::TenantId.eq(caller.tenant.as_str()))
        .lock(LockType::NoKeyUpdate)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("approval request {}", input.request_id)))?;
    if let Some(expected) = input.expected_version
        && expected != request.version
    {
        return Err(AppError::Conflict(format!(
            "request {} is at version {}, not {expected}; reload and decide again",
            request.id, request.version
        )));
    }
    if request.status != RequestStatus::Pending {
        return Err(AppError::Conflict(format!(
            "request {} is {:?}, no longer pending",
            request.id, request.status
        )));
    }
    let steps = approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(request.id))
        .order_by_asc(approval_step::Column::Idx)
        .all(&*txn)
        .await?;
    let Some(step) = steps.iter().find(|s| s.status == StepStatus::Open).cloned() else {
        return Err(AppError::internal(format!(
            "pending request {} has no open step",
            request.id
        )));
    };
    if let Some(expected) = input.expected_step
        && expected != step.idx
    {
        return Err(AppError::Conflict(format!(
            "request {} is at step {}, not {expected}",
            request.id, step.idx
        )));
    }
    let may_decide = caller.has_role(&step.role)
        || step
            .escalated_to
            .as_deref()
            .is_some_and(|r| caller.has_role(r));
    if !may_decide {
        let roles = std::iter::once(step.role.clone())
            .chain(step.escalated_to.clone())
            .collect::<Vec<_>>()
            .join(" or ");
        return Err(AppError::Forbidden(format!(
            "step {} of this request needs the role {roles}",
            step.idx
        )));
    }
    if caller.subject == request.submitted_by {
        return Err(AppError::Forbidden(
            "segregation of duties: the submitter cannot decide its own action".into(),
        ));
    }
    let earlier = decision::Entity::find()
        .filter(decision::Column::RequestId.eq(request.id))
        .filter(decision::Column::Actor.eq(caller.subject.as_str()))
        .one(&*txn)
        .await?;
    if let Some(earlier) = earlier {
        return Err(if earlier.step_idx == Some(step.idx) {
            AppError::Conflict(format!(
                "{} already decided step {} of this request",
                caller.subject, step.idx
            ))
        } else {
            AppError::Forbidden(format!(
                "segregation of duties: {} already approved step {} of this request",
                caller.subject,
                earlier.step_idx.unwrap_or_default()
            ))
        });
    }

    let at = now();
    let mut update = approval_request::ActiveModel {
        version: Set(request.version + 1),
        updated_at: Set(at),
        ..Default::default()
    };
    let mut events = Vec::new();
    let mut action_hash = request.final_action_hash.clone();
    let mut edited = false;
    let mut patch_value = None;
    let mut reached_outcome = false;
    if let Some(edited_action) = &input.edited_action {
        let current: Value = serde_json::from_str(&request.final_action)?;
        if edited_action != &current {
            let original: Value = serde_json::from_str(&request.action)?;
            let patch = serde_json::to_value(json_patch::diff(&original, edited_action))?;
            action_hash = content_hash(edited_action)?;
            update.final_action = Set(serde_json::to_string(edited_action)?);
            update.edit_patch = Set(Some(serde_json::to_string(&patch)?));
            update.final_action_hash = Set(action_hash.clone());
            edited = true;
            patch_value = Some(patch);
        }
    }
    let decision_row = decision::Model {
        id: Uuid::now_v7(),
        tenant_id: caller.tenant.clone(),
        request_id: request.id,
        step_idx: Some(step.idx),
        actor: caller.subject.clone(),
        decision: input.decision,
        reason_code: input.reason_code.clone(),
        comment: input.comment.clone(),
        edited,
        action_hash: (input.decision == DecisionKind::Approve).then(|| action_hash.clone()),
        created_at: at,
    };
    match decision_row
        .into_active_model()
        .reset_all()
        .insert(&*txn)
        .await
    {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(format!(
                "{} already decided this request",
                caller.subject
            )));
        }
        Err(e) => return Err(e.into()),
    }

    let mut base_data = json!({
        "step": step.idx,
        "role": step.role,
        "reasonCode": input.reason_code,
        "comment": input.comment,
        "edited": edited,
        "patch": patch_value,
        "channel": input.via.name(),
    });
    match &input.via {
        Via::Slack { user_id } => base_data["slackUserId"] = json!(user_id),
        Via::Email { link_id } => {
            base_data["linkId"] = json!(link_id);
            // The link works once: a second use meets this row.
            let used = used_link::Model {
                id: *link_id,
                tenant_id: caller.tenant.clone(),
                request_id: request.id,
                used_by: caller.subject.clone(),
                used_at: at,
            };
            match used.into_active_model().reset_all().insert(&*txn).await {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(AppError::Conflict("this link was already used".into()));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Via::Api | Via::Console => {}
    }
    match input.decision {
        DecisionKind::Reject => {
            set_step(&*txn, &step, StepStatus::Rejected, step.approvals, at).await?;
            for later in steps.iter().filter(|s| s.idx > step.idx) {
                set_step(&*txn, later, StepStatus::Skipped, later.approvals, at).await?;
            }
            update.status = Set(RequestStatus::Rejected);
            reached_outcome = true;
            update.reason_code = Set(input.reason_code.clone());
            update.decided_at = Set(Some(at));
            update.current_step = Set(None);
            update.due_at = Set(None);
            let mut data = base_data;
            data["by"] = json!("person");
            events.push(EventDraft::new(
                EventKind::RequestRejected,
                &caller.subject,
                data,
            ));
        }
        DecisionKind::Approve => {
            let approvals = step.approvals + 1;
            let mut data = base_data;
            data["approvals"] = json!(approvals);
            data["quorum"] = json!(step.quorum);
            data["actionHash"] = json!(action_hash);
            if approvals < step.quorum {
                set_step(&*txn, &step, StepStatus::Open, approvals, at).await?;
                events.push(EventDraft::new(
                    EventKind::ApprovalRecorded,
                    &caller.subject,
                    data,
                ));
            } else {
                set_step(&*txn, &step, StepStatus::Approved, approvals, at).await?;
                events.push(EventDraft::new(
                    EventKind::StepApproved,
                    &caller.subject,
                    data,
                ));
                match steps.iter().find(|s| s.idx == step.idx + 1) {
                    Some(next) => {
                        let due = next
                            .sla_ms
                            .map(|ms| at + chrono::Duration::milliseconds(ms));
                        let mut next_row: approval_step::ActiveModel = next.clone().into();
                        next_row.status = Set(StepStatus::Open);
                        next_row.opened_at = Set(Some(at));
                        next_row.due_at = Set(due);
                        next_row.update(&*txn).await?;
                        update.current_step = Set(Some(next.idx));
                        update.due_at = Set(due);
                        let spec = StepSpec {
                            role: next.role.clone(),
                            quorum: next.quorum as u32,
                            sla: next.sla_ms.map(chrono::Duration::milliseconds),
                        };
                        events.push(step_opened(next.idx, &spec, due));
                    }
                    None => {
                        update.status = Set(RequestStatus::Approved);
                        reached_outcome = true;
                        update.decided_at = Set(Some(at));
                        update.current_step = Set(None);
                        update.due_at = Set(None);
                        events.push(EventDraft::new(
                            EventKind::RequestApproved,
                            &caller.subject,
                            json!({
                                "finalActionHash": action_hash,
                                "edited": edited || request.edit_patch.is_some(),
                                "steps": steps.len(),
                            }),
                        ));
                    }
                }
            }
        }
    }
    // The optimistic check backs up the row lock: exactly one writer moves a version forward.
    let updated = approval_request::Entity::update_many()
        .set(update)
        .filter(approval_request::Column::Id.eq(request.id))
        .filter(approval_request::Column::Version.eq(request.version))
        .exec_with_returning(&*txn)
        .await?
        .pop()
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "request {} changed meanwhile; reload and decide again",
                request.id
            ))
        })?;
    let events = events
        .into_iter()
        .map(|e| e.workflow(&request.workflow_key).request(request.id))
        .collect();
    // The head is locked from here to the commit: only what needs the log's order follows.
    let (_, wf) =
        audit::append_for_workflow(&*txn, &caller.tenant, at, events, request.workflow_id).await?;
    if reached_outcome
        && wf.mode == WorkflowMode::Active
        && store
            .intake()
            .policy(store.db(), &wf)
            .await?
            .guardrails
            .is_some()
    {
        guardrails::check_after_outcome(&*txn, &caller.tenant, request.workflow_id, at).await?;
    }
    // Execution: the final approval of a workflow with a webhook is queued for delivery here, in
    // the approving transaction.
    if updated.status == RequestStatus::Approved && wf.webhook_url.is_some() {
        execution::enqueue_approval(&*txn, &wf, &updated).await?;
    }
    txn.commit().await?;
    crate::telemetry::decided(&caller.tenant, &updated.workflow_key, input.decision);
    Ok(updated)
}

async fn set_step(
    conn: &impl ConnectionTrait,
    step: &approval_step::Model,
    status: StepStatus,
    approvals: i32,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let mut row: approval_step::ActiveModel = step.clone().into();
    row.status = Set(status);
    row.approvals = Set(approvals);
    if status != StepStatus::Open {
        row.decided_at = Set(Some(at));
    }
    row.update(conn).await?;
    Ok(())
}

/// Cancels a PENDING request (its submitter or an admin, reason required): CANCELLED, open and
/// waiting steps SKIPPED, audited as REQUEST_CANCELLED.
pub async fn cancel(
    store: &Store,
    caller: &Principal,
    id: Uuid,
    reason: &str,
) -> AppResult<approval_request::Model> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(AppError::bad_input(
            "reason",
            "a reason of 1-2000 characters is required",
        ));
    }
    let txn = store.begin().await?;
    let request = approval_request::Entity::find_by_id(id)
        .filter(approval_request::Column::TenantId.eq(caller.tenant.as_str()))
        .lock(LockType::NoKeyUpdate)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("approval request {id}")))?;
    if request.submitted_by != caller.subject && !caller.has_role(crate::auth::ROLE_ADMIN) {
        return Err(AppError::Forbidden(
            "only the submitter or an admin may cancel a request".into(),
        ));
    }
    if request.status != RequestStatus::Pending {
        return Err(AppError::Conflict(format!(
            "request {id} is {:?}; only PENDING requests can be cancelled",
            request.status
        )));
    }
    let at = now();
    approval_step::Entity::update_many()
        .col_expr(
            approval_step::Column::Status,
            sea_orm::sea_query::Expr::value(StepStatus::Skipped),
        )
        .col_expr(
            approval_step::Column::DecidedAt,
            sea_orm::sea_query::Expr::value(Some(at)),
        )
        .filter(approval_step::Column::RequestId.eq(id))
        .filter(approval_step::Column::Status.is_in([StepStatus::Open, StepStatus::Waiting]))
        .exec(&*txn)
        .await?;
    let update = approval_request::ActiveModel {
        status: Set(RequestStatus::Cancelled),
        current_step: Set(None),
        due_at: Set(None),
        version: Set(request.version + 1),
        updated_at: Set(at),
        ..Default::default()
    };
    approval_request::Entity::update_many()
        .set(update)
        .filter(approval_request::Column::Id.eq(id))
        .exec(&*txn)
        .await?;
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![
            EventDraft::new(
                EventKind::RequestCancelled,
                &caller.subject,
                json!({ "reason": reason, "step": request.current_step, "bySubmitter": request.submitted_by == caller.subject }),
            )
            .workflow(&request.workflow_key)
            .request(id),
        ],
    )
    .await?;
    let updated = approval_request::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::internal("request vanished"))?;
    txn.commit().await?;
    Ok(updated)
}
