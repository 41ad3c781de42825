//! Execution mutations: a workflow's webhook, agents' execution reports and rollbacks.

use async_graphql::{Context, ID, InputObject, Object};
use secrecy::SecretString;

use super::ContextExt;
use super::requests::parse_id;
use super::types::{ApprovalRequest, Workflow};
use crate::domain::execution::{self, DEFAULT_MAX_ATTEMPTS, ReportInput, WebhookInput};
use crate::error::ApiResult;

/// Outbound delivery of approved actions, signed per the Standard Webhooks spec (webhook-id,
/// webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 over id.timestamp.body>);
/// retried with backoff, the same webhook-id on every attempt.
#[derive(InputObject)]
pub struct ExecutionWebhookInput {
    /// http(s) URL without credentials, at most 2048 characters; its host must be in
    /// COUNTERSIGN_WEBHOOK_ALLOWED_HOSTS when that is set.
    pub url: String,
    /// `whsec_` + base64 of 24-64 random bytes. Stored to sign with; never returned.
    pub signing_secret: String,
    /// Attempts per delivery, 1-20.
    #[graphql(default_with = "Some(DEFAULT_MAX_ATTEMPTS)")]
    pub max_attempts: Option<i32>,
}

/// An agent's report on an approved action it executed.
#[derive(InputObject)]
pub struct ReportExecutionInput {
    /// The APPROVED request.
    pub request_id: ID,
    /// Whether the action ran.
    pub success: bool,
    /// The action's id in the target system (up to 500 characters).
    pub external_ref: Option<String>,
    /// Why it failed, with `success: false` (up to 4000 characters).
    pub error: Option<String>,
}

/// Execution mutations.
#[derive(Default)]
pub struct ExecutionMutation;

#[Object]
impl ExecutionMutation {
    /// Where approved actions of this workflow are delivered (admin); null stops webhook
    /// delivery (agents then report execution). Audited as EXECUTION_WEBHOOK_SET, never with the
    /// secret.
    async fn set_execution_webhook(
        &self,
        ctx: &Context<'_>,
        workflow_key: String,
        input: Option<ExecutionWebhookInput>,
    ) -> ApiResult<Workflow> {
        let p = ctx.principal()?;
        let state = ctx.state()?;
        let input = input.map(|i| WebhookInput {
            url: i.url,
            signing_secret: SecretString::from(i.signing_secret),
            max_attempts: i.max_attempts,
        });
        let allowed = state.settings.webhook_allowed_hosts.as_deref();
        let wf = execution::set_webhook(&state.store, allowed, p, &workflow_key, input).await?;
        Ok(Workflow(wf))
    }

    /// Reports how an APPROVED action went (its submitting agent or an admin): EXECUTED with
    /// `externalRef`, or EXECUTION_FAILED with `error`. Refused (CONFLICT) for a workflow whose
    /// webhook delivers its actions.
    async fn report_execution(
        &self,
        ctx: &Context<'_>,
        input: ReportExecutionInput,
    ) -> ApiResult<ApprovalRequest> {
        let p = ctx.principal()?;
        let input = ReportInput {
            request_id: parse_id(&input.request_id, "input.requestId")?,
            success: input.success,
            external_ref: input.external_ref,
            error: input.error,
        };
        let r = execution::report_execution(&ctx.state()?.store, p, input).await?;
        Ok(ApprovalRequest(r))
    }

    /// Rolls an EXECUTED action back (admin, reason required): ROLLED_BACK, audited as
    /// ACTION_ROLLED_BACK; with a webhook, an `action.rolled_back` delivery goes out.
    async fn rollback_action(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> ApiResult<ApprovalRequest> {
        let p = ctx.principal()?;
        let id = parse_id(&id, "id")?;
        let r = execution::rollback(&ctx.state()?.store, p, id, &reason).await?;
        Ok(ApprovalRequest(r))
    }
}
