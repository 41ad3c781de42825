//! Approval request queries and the submit/decide mutations.

use crate::graphql::scalars::Decimal;
use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::ContextExt;
use super::scalars::Duration;
use super::types::{
    ApprovalRequest, ApprovalRequestConnection, DecisionKind, RequestStatus, Route,
};
use crate::domain::lifecycle::{self, Source};
use crate::domain::requests::{self, RequestQuery as DomainQuery, page_size};
use crate::error::{ApiResult, AppError, AppResult};

/// Parses an ID argument as a UUID, naming `path` when it is not one.
pub(crate) fn parse_id(id: &ID, path: &str) -> AppResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(path, format!("{:?} is not a valid id", id.as_str())))
}

/// The domain form of a submission.
pub(crate) fn to_submit_input(input: SubmitActionInput) -> lifecycle::SubmitInput {
    lifecycle::SubmitInput {
        workflow_key: input.workflow_key,
        idempotency_key: input.idempotency_key,
        action_type: input.action_type,
        title: input.title,
        action: input.action.0,
        recommendation: input.recommendation,
        confidence: input.confidence,
        amount: input.amount.map(Into::into),
        currency: input.currency,
        risk_flags: input.risk_flags,
        sources: input.sources.map(|s| {
            s.into_iter()
                .map(|s| Source {
                    title: s.title,
                    url: s.url,
                    excerpt: s.excerpt,
                })
                .collect()
        }),
        context: input.context.map(|c| c.0),
        model: input.model,
        prompt_version: input.prompt_version,
        cost_usd: input.cost_usd.map(Into::into),
        correlation: input.correlation.map(|c| c.0),
    }
}

/// A citation the AI used.
/// A reason code and how many times it was given.
#[derive(SimpleObject)]
pub struct ReasonCodeUse {
    /// The code, as reviewers typed it.
    pub code: String,
    /// Rejections and QA verdicts that gave it.
    pub count: i64,
}

#[derive(InputObject)]
pub struct SourceInput {
    /// Title.
    pub title: String,
    /// Link.
    pub url: Option<String>,
    /// Quoted excerpt.
    pub excerpt: Option<String>,
}

/// Input of `submitAction`.
#[derive(InputObject)]
pub struct SubmitActionInput {
    /// Workflow key.
    pub workflow_key: String,
    /// Same key, same tenant → the same request back, nothing new stored.
    pub idempotency_key: String,
    /// e.g. "refund.issue", "email.send".
    pub action_type: String,
    /// Title for reviewers.
    pub title: String,
    /// The proposed action / AI draft, as the execution layer will receive it (a JSON object).
    pub action: Json<Value>,
    /// The AI's reasoning or summary for the reviewer.
    pub recommendation: Option<String>,
    /// 0..1.
    pub confidence: Option<f64>,
    /// Money at stake, if any.
    pub amount: Option<Decimal>,
    /// ISO 4217.
    pub currency: Option<String>,
    /// Risk flags, visible to policy rules.
    pub risk_flags: Option<Vec<String>>,
    /// Citations: what data the AI used.
    pub sources: Option<Vec<SourceInput>>,
    /// e.g. customer history, visible to policy rules (a JSON object).
    pub context: Option<Json<Value>>,
    /// Model name.
    pub model: Option<String>,
    /// Prompt version.
    pub prompt_version: Option<String>,
    /// What producing this recommendation cost.
    pub cost_usd: Option<Decimal>,
    /// Your own handle for this action (a JSON object of at most 8 KiB, stored as given): a run
    /// id, a thread id, the key of a saved run state. Returned as `ApprovalRequest.correlation`
    /// and in every event about the request, so the answer finds its way back to the right run.
    /// Part of the idempotency fingerprint.
    pub correlation: Option<Json<Value>>,
}

/// What `submitAction` returns.
#[derive(SimpleObject)]
pub struct SubmitActionPayload {
    /// The request.
    pub request: ApprovalRequest,
    /// The route the policy chose.
    pub route: Route,
    /// False when the idempotency key matched an existing request.
    pub created: bool,
}

/// Input of `decide`.
#[derive(InputObject)]
pub struct DecideInput {
    /// Request id.
    pub request_id: ID,
    /// APPROVE or REJECT.
    pub decision: DecisionKind,
    /// Expected ApprovalRequest.version; a stale value gives CONFLICT.
    pub expected_version: Option<i32>,
    /// For APPROVE: the action as the reviewer edited it; stored beside the original with an RFC 6902 JSON Patch.
    pub edited_action: Option<Json<Value>>,
    /// Required for REJECT.
    pub reason_code: Option<String>,
    /// Comment.
    pub comment: Option<String>,
}

impl DecideInput {
    fn into_domain(self, base: &str, via: lifecycle::Via) -> AppResult<lifecycle::DecideInput> {
        Ok(lifecycle::DecideInput {
            request_id: parse_id(&self.request_id, &format!("{base}.requestId"))?,
            decision: self.decision.into(),
            expected_version: self.expected_version,
            edited_action: self.edited_action.map(|j| j.0),
            reason_code: self.reason_code,
            comment: self.comment,
            expected_step: None,
            via,
        })
    }
}

/// Filter of `approvalRequests`.
#[derive(InputObject, Default)]
pub struct RequestFilter {
    /// Only this workflow.
    pub workflow_key: Option<String>,
    /// Only these statuses.
    pub status: Option<Vec<RequestStatus>>,
    /// Only this route.
    pub route: Option<Route>,
    /// Submitted at or after.
    pub submitted_from: Option<DateTime<Utc>>,
    /// Submitted before.
    pub submitted_to: Option<DateTime<Utc>>,
    /// Only PENDING requests submitted longer ago than this (e.g. "PT4H"): what has waited too long.
    pub waiting_longer_than: Option<Duration>,
}

/// Request queries.
#[derive(Default)]
pub struct RequestQuery;

#[Object]
impl RequestQuery {
    /// One request; null when it does not exist in the caller's tenant or the caller may not see it.
    async fn approval_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<Option<ApprovalRequest>> {
        let p = ctx.principal()?;
        let id = parse_id(&id, "id")?;
        Ok(requests::get(ctx.state()?.store.db(), p, id)
            .await?
            .map(ApprovalRequest))
    }

    /// Waits for a decision: answers as soon as the request is no longer PENDING (approved,
    /// rejected, expired, cancelled…), or after `timeoutSeconds` (1–60) with the request as it
    /// stands — check `status`, and call again to keep waiting. For its submitter and anyone
    /// who may read it; woken by the audit tail, on any replica.
    async fn await_decision(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = 25, validator(minimum = 1, maximum = 60))] timeout_seconds: i32,
    ) -> ApiResult<ApprovalRequest> {
        let p = ctx.principal()?;
        let id = parse_id(&id, "id")?;
        let state = ctx.state()?;
        // The validator keeps it within 1..=60.
        let secs = u64::try_from(timeout_seconds).unwrap_or(25);
        let request = crate::domain::waiting::await_decision(
            &state.store,
            &state.events,
            state.shutdown.clone(),
            p,
            id,
            std::time::Duration::from_secs(secs),
        )
        .await?;
        Ok(ApprovalRequest(request))
    }

    /// Pending requests whose open step the caller may decide now (role held, not yet acted, not the submitter), oldest due first.
    async fn approval_queue(
        &self,
        ctx: &Context<'_>,
        workflow_key: Option<String>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> ApiResult<ApprovalRequestConnection> {
        let p = ctx.principal()?;
        let first = page_size(Some(first), 50)?;
        let page = crate::domain::queue::queue(
            ctx.state()?.store.db(),
            p,
            workflow_key.as_deref(),
            first,
            after.as_deref(),
        )
        .await?;
        Ok(page.into())
    }

    /// Reason codes given before in the tenant (rejections and INCORRECT QA verdicts), the most
    /// used first: what a reviewer picks from when rejecting. Any signed-in caller.
    async fn reason_codes(
        &self,
        ctx: &Context<'_>,
        workflow_key: Option<String>,
        #[graphql(default = 50, validator(minimum = 1, maximum = 500))] first: i32,
    ) -> ApiResult<Vec<ReasonCodeUse>> {
        let p = ctx.principal()?;
        let codes = requests::reason_codes(
            ctx.state()?.store.db(),
            p,
            workflow_key.as_deref(),
            first as u64,
        )
        .await?;
        Ok(codes
            .into_iter()
            .map(|(code, count)| ReasonCodeUse { code, count })
            .collect())
    }

    /// Requests the caller may see, newest first.
    async fn approval_requests(
        &self,
        ctx: &Context<'_>,
        filter: Option<RequestFilter>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> ApiResult<ApprovalRequestConnection> {
        let p = ctx.principal()?;
        let first = page_size(Some(first), 50)?;
        let f = filter.unwrap_or_default();
        let query = DomainQuery {
            workflow_key: f.workflow_key,
            status: f.status.map(|s| s.into_iter().map(Into::into).collect()),
            route: f.route.map(Into::into),
            submitted_from: f.submitted_from,
            submitted_to: f.submitted_to,
            waiting_longer_than: f.waiting_longer_than.map(|d| d.0),
        };
        let page =
            requests::list(ctx.state()?.store.db(), p, &query, first, after.as_deref()).await?;
        Ok(page.into())
    }
}

/// Request mutations.
#[derive(Default)]
pub struct RequestMutation;

#[Object]
impl RequestMutation {
    /// Submits a proposed action (agent). Idempotent per tenant by `idempotencyKey`.
    async fn submit_action(
        &self,
        ctx: &Context<'_>,
        input: SubmitActionInput,
    ) -> ApiResult<SubmitActionPayload> {
        let p = ctx.principal()?;
        let state = ctx.state()?;
        state.check_submit_rate(p)?;
        let input = to_submit_input(input);
        let outcome = lifecycle::submit(&state.store, p, input, &state.evaluator).await?;
        Ok(SubmitActionPayload {
            route: outcome.request.route.into(),
            request: ApprovalRequest(outcome.request),
            created: outcome.created,
        })
    }

    /// Approves (optionally with an edited action) or rejects the open step of a request.
    async fn decide(&self, ctx: &Context<'_>, input: DecideInput) -> ApiResult<ApprovalRequest> {
        let p = ctx.principal()?;
        let input = input.into_domain("input", super::via(ctx))?;
        Ok(ApprovalRequest(
            lifecycle::decide(&ctx.state()?.store, p, input, "input").await?,
        ))
    }

    /// Many decisions in one call (approval fatigue): each item succeeds or fails on its own, in order.
    async fn decide_many(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<DecideInput>,
    ) -> ApiResult<Vec<DecideResult>> {
        let p = ctx.principal()?;
        if inputs.len() > MAX_BATCH {
            return Err(AppError::bad_input(
                "inputs",
                format!("at most {MAX_BATCH} decisions per call"),
            )
            .into());
        }
        let store = &ctx.state()?.store;
        let mut results = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            let base = format!("inputs.{i}");
            let request_id = input.request_id.clone();
            let outcome = match input.into_domain(&base, super::via(ctx)) {
                Ok(input) => lifecycle::decide(store, p, input, &base).await,
                Err(e) => Err(e),
            };
            results.push(match outcome {
                Ok(r) => DecideResult {
                    request_id,
                    request: Some(ApprovalRequest(r)),
                    error: None,
                },
                Err(e) => DecideResult {
                    request_id,
                    request: None,
                    error: Some(UserError {
                        code: e.code().to_owned(),
                        message: e.to_string(),
                        path: (!e.path().is_empty()).then(|| e.path().to_vec()),
                    }),
                },
            });
        }
        Ok(results)
    }

    /// Cancels a PENDING request (its submitter or an admin, reason required).
    async fn cancel_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> ApiResult<ApprovalRequest> {
        let p = ctx.principal()?;
        let id = parse_id(&id, "id")?;
        Ok(ApprovalRequest(
            lifecycle::cancel(&ctx.state()?.store, p, id, &reason).await?,
        ))
    }
}

/// Most decisions one `decideMany` call takes.
pub const MAX_BATCH: usize = 1_000;

/// Why one item of a batch failed.
#[derive(SimpleObject)]
pub struct UserError {
    /// The error code, as `extensions.code` would carry it.
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// Field path, for BAD_USER_INPUT.
    pub path: Option<Vec<String>>,
}

/// One item of `decideMany`: the request, or the error.
#[derive(SimpleObject)]
pub struct DecideResult {
    /// The item's request id, as given.
    pub request_id: ID,
    /// The request after the decision; null on error.
    pub request: Option<ApprovalRequest>,
    /// Why the item failed; null on success.
    pub error: Option<UserError>,
}
