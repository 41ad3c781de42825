//! Workflow queries and mutations.

use crate::graphql::scalars::Decimal;
use async_graphql::{Context, InputObject, Json, Object};
use serde_json::Value;

use super::ContextExt;
use super::types::{Workflow, WorkflowMode};
use crate::domain::workflows::{self, NewWorkflow, RoiInput};
use crate::error::ApiResult;

/// Input of `createWorkflow`.
#[derive(InputObject)]
pub struct CreateWorkflowInput {
    /// `[a-z0-9][a-z0-9_-]{1,62}`, unique in the tenant.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Policy document; becomes version 1, ACTIVE.
    pub policy: Json<Value>,
    /// ROI assumptions (defaults in docs/analytics.md).
    pub roi: Option<RoiSettingsInput>,
}

/// ROI assumptions.
#[derive(InputObject)]
pub struct RoiSettingsInput {
    /// Manual minutes an auto-approved action saves (default 10).
    pub minutes_saved_per_auto: Option<f64>,
    /// Minutes saved when a person approves the AI draft (default 5).
    pub minutes_saved_per_assisted: Option<f64>,
    /// Minutes a person spends per decision (default 2).
    pub reviewer_minutes_per_decision: Option<f64>,
    /// Hourly rate (default "60.00").
    pub hourly_rate_usd: Option<Decimal>,
}

/// Workflow queries.
#[derive(Default)]
pub struct WorkflowQuery;

#[Object]
impl WorkflowQuery {
    /// Every workflow of the caller's tenant.
    async fn workflows(&self, ctx: &Context<'_>) -> ApiResult<Vec<Workflow>> {
        let p = ctx.principal()?;
        let rows = workflows::list(ctx.state()?.store.db(), &p.tenant).await?;
        Ok(rows.into_iter().map(Workflow).collect())
    }

    /// One workflow by key; null when the tenant has none.
    async fn workflow(&self, ctx: &Context<'_>, key: String) -> ApiResult<Option<Workflow>> {
        let p = ctx.principal()?;
        Ok(workflows::get(ctx.state()?.store.db(), &p.tenant, &key)
            .await?
            .map(Workflow))
    }
}

/// Workflow mutations.
#[derive(Default)]
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    /// Creates a workflow whose policy becomes version 1, ACTIVE (admin).
    async fn create_workflow(
        &self,
        ctx: &Context<'_>,
        input: CreateWorkflowInput,
    ) -> ApiResult<Workflow> {
        let p = ctx.principal()?;
        let input = NewWorkflow {
            key: input.key,
            name: input.name,
            description: input.description,
            policy: input.policy.0,
            roi: input.roi.map(|r| RoiInput {
                minutes_saved_per_auto: r.minutes_saved_per_auto,
                minutes_saved_per_assisted: r.minutes_saved_per_assisted,
                reviewer_minutes_per_decision: r.reviewer_minutes_per_decision,
                hourly_rate_usd: r.hourly_rate_usd.map(Into::into),
            }),
        };
        Ok(Workflow(
            workflows::create(&ctx.state()?.store, p, input).await?,
        ))
    }

    /// Kill switch (admin, reason required): PAUSED refuses new actions, MANUAL_ONLY sends every
    /// action to people, ACTIVE restores policy routing. Audited as WORKFLOW_MODE_CHANGED.
    async fn set_workflow_mode(
        &self,
        ctx: &Context<'_>,
        workflow_key: String,
        mode: WorkflowMode,
        reason: String,
    ) -> ApiResult<Workflow> {
        let p = ctx.principal()?;
        let wf = workflows::set_mode(&ctx.state()?.store, p, &workflow_key, mode.into(), &reason)
            .await?;
        Ok(Workflow(wf))
    }
}
