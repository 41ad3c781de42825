//! Dry runs of policies: `simulate` routes given actions through the active or a candidate policy;
//! `backtest` replays stored requests of a time range through a candidate policy and reports how
//! routing would change. Neither stores anything.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use countersign_entity::approval_request;
use countersign_entity::enums::Route;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::{Principal, ROLE_ADMIN, ROLE_AUDITOR};
use crate::domain::lifecycle::{SubmitInput, find_duplicate, route_of};
use crate::domain::policy::{
    ActionFacts, Budget, CompiledPolicy, Evaluation, Evaluator, compile_stored_policy, off_thread,
};
use crate::domain::workflows::{self, validate_policy};
use crate::error::{AppError, AppResult};
use crate::store::{Store, now};

/// Most actions one simulation takes.
pub const MAX_SIMULATED: usize = 1_000;
const BACKTEST_PAGE: u64 = 5_000;

/// Where one action would go.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteDecision {
    /// AUTO, HUMAN or REJECT, after the exception override.
    pub route: Route,
    /// The rule that matched; `None` for the default.
    pub matched_rule: Option<String>,
    /// Roles of the steps, in order (HUMAN).
    pub steps: Vec<String>,
    /// Exceptions the action would carry.
    pub exceptions: Vec<String>,
    /// The action's risk flags.
    pub risk_flags: Vec<String>,
    /// Reason code (REJECT).
    pub reason_code: Option<String>,
}

impl RouteDecision {
    fn from_eval(eval: Evaluation, risk_flags: Vec<String>) -> Self {
        RouteDecision {
            route: route_of(eval.route),
            matched_rule: eval.matched_rule,
            steps: eval.steps.into_iter().map(|s| s.role).collect(),
            exceptions: eval.exceptions,
            risk_flags,
            reason_code: eval.reason_code,
        }
    }
}

/// One request whose route would change.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteChange {
    /// Request id.
    pub request_id: Uuid,
    /// Route it got.
    pub was: Route,
    /// Route the candidate would give.
    pub would_be: Route,
    /// Rule of the candidate that matched.
    pub matched_rule: Option<String>,
}

/// Backtest result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BacktestReport {
    /// Requests replayed.
    pub total: u64,
    /// Would route AUTO.
    pub would_auto: u64,
    /// Would route HUMAN.
    pub would_human: u64,
    /// Would route REJECT.
    pub would_reject: u64,
    /// Requests whose route would change.
    pub changed: u64,
    /// The changes, oldest first, at most `max_changes`.
    pub changes: Vec<RouteChange>,
    /// True when `changes` was cut at `max_changes`.
    pub changes_truncated: bool,
}

fn may_dry_run(caller: &Principal, what: &str) -> AppResult<()> {
    caller.require_any(&[ROLE_ADMIN, ROLE_AUDITOR], what)
}

async fn candidate_or_active(
    store: &Store,
    wf: &countersign_entity::workflow::Model,
    policy: Option<&Value>,
) -> AppResult<CompiledPolicy> {
    match policy {
        Some(p) => Ok(validate_policy(p, "policy")?.1),
        None => {
            let active = workflows::policy(store.db(), wf, wf.active_policy_version).await?;
            let doc: Value = serde_json::from_str(&active.document)?;
            compile_stored_policy(&doc).map_err(AppError::internal)
        }
    }
}

/// Routes each action through `policy` (or the active one) as a submission would, without the
/// workflow's mode and without storing anything. Duplicates are looked up among stored requests.
/// The rules run off the async threads, each action within the evaluator's deadline as in a
/// submission.
pub async fn simulate(
    store: &Store,
    caller: &Principal,
    workflow_key: &str,
    policy: Option<&Value>,
    actions: Vec<SubmitInput>,
    evaluator: &Evaluator,
) -> AppResult<Vec<RouteDecision>> {
    may_dry_run(caller, "simulatePolicy")?;
    if actions.len() > MAX_SIMULATED {
        return Err(AppError::bad_input(
            "actions",
            format!("at most {MAX_SIMULATED} actions"),
        ));
    }
    let wf = workflows::get(store.db(), &caller.tenant, workflow_key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("workflow {workflow_key:?}")))?;
    let compiled = candidate_or_active(store, &wf, policy).await?;
    let at = now();
    for (i, action) in actions.iter().enumerate() {
        action.validate().map_err(|e| match e {
            AppError::BadInput { mut path, message } => {
                if path.first().is_some_and(|p| p == "input") {
                    path.splice(0..1, ["actions".to_owned(), i.to_string()]);
                }
                AppError::BadInput { path, message }
            }
            other => other,
        })?;
    }
    let facts: Vec<_> = actions.iter().map(|a| a.facts(&wf.key)).collect();
    let eval_timeout = evaluator.timeout();
    let (compiled, evals) = off_thread(evaluator, move |cancel| {
        let evals: Vec<Evaluation> = facts
            .iter()
            .map(|f| {
                compiled.evaluate_within(&f.facts(), &Budget::new(eval_timeout, cancel.clone()))
            })
            .collect();
        (compiled, evals)
    })
    .await?;
    let mut out = Vec::with_capacity(actions.len());
    for (action, mut eval) in actions.iter().zip(evals) {
        if let Some(key) = &eval.duplicate_key
            && find_duplicate(store.db(), wf.id, key, at - compiled.duplicate_window)
                .await?
                .is_some()
        {
            eval.exceptions.push("duplicate".to_owned());
        }
        compiled.apply_overrides(&mut eval, false);
        out.push(RouteDecision::from_eval(
            eval,
            action.risk_flags.clone().unwrap_or_default(),
        ));
    }
    Ok(out)
}

/// Replays the workflow's requests submitted in `[from, to)` through `policy`. The evaluation runs
/// off the async runtime, a page at a time; a request that was a duplicate stays one.
#[allow(clippy::too_many_arguments)] // one argument per GraphQL argument, plus the budget
pub async fn backtest(
    store: &Store,
    caller: &Principal,
    workflow_key: &str,
    policy: &Value,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    max_changes: usize,
    evaluator: &Evaluator,
) -> AppResult<BacktestReport> {
    may_dry_run(caller, "backtestPolicy")?;
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(AppError::bad_input("from", "from must be before to"));
    }
    let wf = workflows::get(store.db(), &caller.tenant, workflow_key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("workflow {workflow_key:?}")))?;
    let mut compiled = candidate_or_active(store, &wf, Some(policy)).await?;
    let mut report = BacktestReport::default();
    let mut after: Option<Uuid> = None;
    loop {
        let mut cond = Condition::all().add(approval_request::Column::WorkflowId.eq(wf.id));
        if let Some(f) = from {
            cond = cond.add(approval_request::Column::SubmittedAt.gte(f));
        }
        if let Some(t) = to {
            cond = cond.add(approval_request::Column::SubmittedAt.lt(t));
        }
        if let Some(a) = after {
            cond = cond.add(approval_request::Column::Id.gt(a));
        }
        let page = approval_request::Entity::find()
            .filter(cond)
            .order_by_asc(approval_request::Column::Id)
            .limit(BACKTEST_PAGE)
            .all(store.db())
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let full = page.len() as u64 == BACKTEST_PAGE;
        let key = wf.key.clone();
        let eval_timeout = evaluator.timeout();
        let (back, results) = off_thread(evaluator, move |cancel| {
            let results: AppResult<Vec<(Uuid, Route, RouteDecision)>> = page
                .iter()
                .map(|r| {
                    let budget = Budget::new(eval_timeout, cancel.clone());
                    replay(&compiled, &key, r, &budget)
                })
                .collect();
            (compiled, results)
        })
        .await?;
        compiled = back;
        for (id, was, decision) in results? {
            report.total += 1;
            match decision.route {
                Route::Auto => report.would_auto += 1,
                Route::Human => report.would_human += 1,
                Route::Reject => report.would_reject += 1,
            }
            if decision.route != was {
                report.changed += 1;
                if report.changes.len() < max_changes {
                    report.changes.push(RouteChange {
                        request_id: id,
                        was,
                        would_be: decision.route,
                        matched_rule: decision.matched_rule,
                    });
                } else {
                    report.changes_truncated = true;
                }
            }
        }
        if !full {
            break;
        }
    }
    Ok(report)
}

fn replay(
    compiled: &CompiledPolicy,
    workflow: &str,
    r: &approval_request::Model,
    budget: &std::sync::Arc<Budget>,
) -> AppResult<(Uuid, Route, RouteDecision)> {
    let action: Value = serde_json::from_str(&r.action)?;
    let context: Option<Value> = r.context.as_deref().map(serde_json::from_str).transpose()?;
    let risk_flags: Vec<String> = serde_json::from_str(&r.risk_flags)?;
    let stored_exceptions: Vec<String> = serde_json::from_str(&r.exceptions)?;
    let amount = r
        .amount
        .as_deref()
        .map(Decimal::from_str)
        .transpose()
        .map_err(AppError::internal)?;
    let facts = ActionFacts {
        workflow,
        action_type: &r.action_type,
        action: &action,
        amount,
        confidence: r.confidence,
        currency: r.currency.as_deref(),
        risk_flags: &risk_flags,
        context: context.as_ref(),
        model: r.model.as_deref(),
        prompt_version: r.prompt_version.as_deref(),
    };
    let mut eval = compiled.evaluate_within(&facts, budget);
    if stored_exceptions.iter().any(|e| e == "duplicate") {
        eval.exceptions.push("duplicate".to_owned());
    }
    compiled.apply_overrides(&mut eval, false);
    Ok((r.id, r.route, RouteDecision::from_eval(eval, risk_flags)))
}
