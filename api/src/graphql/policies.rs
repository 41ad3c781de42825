//! Policy lifecycle mutations and the dry runs (simulate, backtest).

use async_graphql::{Context, ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ContextExt;
use super::requests::{SubmitActionInput, to_submit_input};
use super::types::{PolicyVersion, Route};
use crate::domain::{policies, simulation};
use crate::error::ApiResult;

/// Where one action would be routed.
#[derive(SimpleObject)]
pub struct RouteDecision {
    /// AUTO, HUMAN or REJECT (after the exception override).
    pub route: Route,
    /// The rule that matched; null for the default.
    pub matched_rule: Option<String>,
    /// Roles of the approval steps, in order.
    pub steps: Vec<String>,
    /// Exceptions the action would carry.
    pub exceptions: Vec<String>,
    /// The action's risk flags.
    pub risk_flags: Vec<String>,
    /// Reason code for REJECT.
    pub reason_code: Option<String>,
}

/// A request whose route would change.
#[derive(SimpleObject)]
pub struct RouteChange {
    /// Request id.
    pub request_id: ID,
    /// Route it got.
    pub was: Route,
    /// Route the candidate policy would give.
    pub would_be: Route,
    /// Rule of the candidate that matched.
    pub matched_rule: Option<String>,
}

/// How routing would change under a candidate policy.
#[derive(SimpleObject)]
pub struct BacktestReport {
    /// Requests replayed.
    pub total: i64,
    /// Would route AUTO.
    pub would_auto: i64,
    /// Would route HUMAN.
    pub would_human: i64,
    /// Would route REJECT.
    pub would_reject: i64,
    /// Requests whose route would change.
    pub changed: i64,
    /// The changes, oldest first (at most `maxChanges`).
    pub changes: Vec<RouteChange>,
    /// True when `changes` was cut at `maxChanges`.
    pub changes_truncated: bool,
}

/// Dry-run queries.
#[derive(Default)]
pub struct PolicyQuery;

#[Object]
impl PolicyQuery {
    /// Routes each given action through a policy without storing anything: a dry run (admin, auditor).
    async fn simulate_policy(
        &self,
        ctx: &Context<'_>,
        workflow_key: String,
        policy: Option<Json<Value>>,
        actions: Vec<SubmitActionInput>,
    ) -> ApiResult<Vec<RouteDecision>> {
        let p = ctx.principal()?;
        let actions = actions.into_iter().map(to_submit_input).collect();
        let state = ctx.state()?;
        let decisions = simulation::simulate(
            &state.store,
            p,
            &workflow_key,
            policy.as_ref().map(|j| &j.0),
            actions,
            &state.evaluator,
        )
        .await?;
        Ok(decisions
            .into_iter()
            .map(|d| RouteDecision {
                route: d.route.into(),
                matched_rule: d.matched_rule,
                steps: d.steps,
                exceptions: d.exceptions,
                risk_flags: d.risk_flags,
                reason_code: d.reason_code,
            })
            .collect())
    }

    /// Replays the stored requests submitted in [from, to) through a candidate policy: how routing would change. Stores nothing (admin, auditor).
    async fn backtest_policy(
        &self,
        ctx: &Context<'_>,
        workflow_key: String,
        policy: Json<Value>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(default = 1000, validator(minimum = 0, maximum = 100000))] max_changes: i32,
    ) -> ApiResult<BacktestReport> {
        let p = ctx.principal()?;
        let state = ctx.state()?;
        let r = simulation::backtest(
            &state.store,
            p,
            &workflow_key,
            &policy.0,
            from,
            to,
            max_changes as usize,
            &state.evaluator,
        )
        .await?;
        Ok(BacktestReport {
            total: r.total as i64,
            would_auto: r.would_auto as i64,
            would_human: r.would_human as i64,
            would_reject: r.would_reject as i64,
            changed: r.changed as i64,
            changes: r
                .changes
                .into_iter()
                .map(|c| RouteChange {
                    request_id: ID(c.request_id.to_string()),
                    was: c.was.into(),
                    would_be: c.would_be.into(),
                    matched_rule: c.matched_rule,
                })
                .collect(),
            changes_truncated: r.changes_truncated,
        })
    }
}

/// Policy lifecycle mutations.
#[derive(Default)]
pub struct PolicyMutation;

#[Object]
impl PolicyMutation {
    /// Proposes a new policy version (admin); compiled and validated like createWorkflow, it routes nothing until activated.
    async fn propose_policy(
        &self,
        ctx: &Context<'_>,
        workflow_key: String,
        policy: Json<Value>,
        note: Option<String>,
    ) -> ApiResult<PolicyVersion> {
        let p = ctx.principal()?;
        let v = policies::propose(
            &ctx.state()?.store,
            p,
            &workflow_key,
            &policy.0,
            note.as_deref(),
        )
        .await?;
        Ok(PolicyVersion(v))
    }

    /// Activates a PROPOSED version; refused (FORBIDDEN) when the caller proposed it.
    async fn activate_policy(
        &self,
        ctx: &Context<'_>,
        workflow_key: String,
        version: i32,
    ) -> ApiResult<PolicyVersion> {
        let p = ctx.principal()?;
        Ok(PolicyVersion(
            policies::activate(&ctx.state()?.store, p, &workflow_key, version).await?,
        ))
    }

    /// Declines a PROPOSED version (admin, reason required).
    async fn decline_policy(
        &self,
        ctx: &Context<'_>,
        workflow_key: String,
        version: i32,
        reason: String,
    ) -> ApiResult<PolicyVersion> {
        let p = ctx.principal()?;
        Ok(PolicyVersion(
            policies::decline(&ctx.state()?.store, p, &workflow_key, version, &reason).await?,
        ))
    }

    /// Re-activates a version that was ACTIVE before (emergency path, one admin).
    async fn rollback_policy(
        &self,
        ctx: &Context<'_>,
        workflow_key: String,
        to_version: i32,
        reason: String,
    ) -> ApiResult<PolicyVersion> {
        let p = ctx.principal()?;
        Ok(PolicyVersion(
            policies::rollback(&ctx.state()?.store, p, &workflow_key, to_version, &reason).await?,
        ))
    }
}
