//! Guardrails (policy.md 9): after each final outcome the workflow's figures over the trailing
//! window are checked against the active policy's bounds; exceeding one switches the workflow to
//! MANUAL_ONLY with reason `guardrail:<name>` and a GUARDRAIL_TRIPPED event, in the same
//! transaction as the outcome that tipped it. A person sets the mode back.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use countersign_entity::enums::{RequestStatus, SampleVerdict, WorkflowMode};
use countersign_entity::{approval_request, audit_event, workflow};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::audit::{self, EventDraft, EventKind};
use crate::domain::duration::format_duration;
use crate::domain::policy::{GuardrailBounds, compiled_version};
use crate::domain::workflows;
use crate::error::{AppError, AppResult};

/// The figures a guardrail looks at, over one trailing window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFigures {
    /// Requests approved in the window (AUTO or by people, whatever happened after).
    pub approved: u64,
    /// Requests rejected in the window.
    pub rejected: u64,
    /// Execution failures, rollbacks and INCORRECT sample verdicts in the window.
    pub errors: u64,
    /// AI cost of the requests submitted in the window.
    pub ai_cost_usd: Decimal,
}

impl WindowFigures {
    /// Final outcomes: approved + rejected.
    pub fn outcomes(&self) -> u64 {
        self.approved + self.rejected
    }
    /// errors / approved; `None` without approvals.
    pub fn error_rate(&self) -> Option<f64> {
        (self.approved > 0).then(|| self.errors as f64 / self.approved as f64)
    }
    /// rejected / (approved + rejected); `None` without outcomes.
    pub fn rejection_rate(&self) -> Option<f64> {
        (self.outcomes() > 0).then(|| self.rejected as f64 / self.outcomes() as f64)
    }
}

/// A bound that was exceeded.
#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    /// `error_rate`, `rejection_rate` or `ai_cost_per_hour`.
    pub name: &'static str,
    /// The measured value.
    pub value: f64,
    /// The bound it exceeded.
    pub bound: f64,
}

/// Which bound, if any, the figures exceed (checked in the order error, rejection, cost), once
/// `minSamples` outcomes exist.
pub fn evaluate(bounds: &GuardrailBounds, figures: &WindowFigures) -> Option<Trip> {
    if figures.outcomes() < u64::from(bounds.min_samples) {
        return None;
    }
    if let (Some(bound), Some(value)) = (bounds.max_error_rate, figures.error_rate())
        && value > bound
    {
        return Some(Trip {
            name: "error_rate",
            value,
            bound,
        });
    }
    if let (Some(bound), Some(value)) = (bounds.max_rejection_rate, figures.rejection_rate())
        && value > bound
    {
        return Some(Trip {
            name: "rejection_rate",
            value,
            bound,
        });
    }
    if let Some(bound) = bounds.max_ai_cost_usd_per_hour {
        let hours =
            Decimal::from(bounds.window.num_milliseconds().max(1)) / Decimal::from(3_600_000);
        let per_hour = figures.ai_cost_usd / hours;
        if per_hour > bound {
            return Some(Trip {
                name: "ai_cost_per_hour",
                value: per_hour.round_dp(4).to_f64().unwrap_or(f64::MAX),
                bound: bound.to_f64().unwrap_or(f64::MAX),
            });
        }
    }
    None
}

/// Loads the window's figures for one workflow.
pub async fn window_figures(
    conn: &impl ConnectionTrait,
    workflow_id: Uuid,
    since: DateTime<Utc>,
) -> AppResult<WindowFigures> {
    use approval_request::Column as C;
    let base = || approval_request::Entity::find().filter(C::WorkflowId.eq(workflow_id));
    let approved = base()
        .filter(C::DecidedAt.gte(since))
        .filter(C::Status.is_in([
            RequestStatus::Approved,
            RequestStatus::Executed,
            RequestStatus::ExecutionFailed,
            RequestStatus::RolledBack,
        ]))
        .count(conn)
        .await?;
    let rejected = base()
        .filter(C::DecidedAt.gte(since))
        .filter(C::Status.eq(RequestStatus::Rejected))
        .count(conn)
        .await?;
    let failed = base()
        .filter(C::UpdatedAt.gte(since))
        .filter(C::Status.is_in([RequestStatus::ExecutionFailed, RequestStatus::RolledBack]))
        .count(conn)
        .await?;
    let incorrect = base()
        .filter(C::QaReviewedAt.gte(since))
        .filter(C::QaVerdict.eq(SampleVerdict::Incorrect))
        .count(conn)
        .await?;
    let costs: Vec<Option<String>> = base()
        .filter(C::SubmittedAt.gte(since))
        .filter(C::CostUsd.is_not_null())
        .select_only()
        .column(C::CostUsd)
        .into_tuple()
        .all(conn)
        .await?;
    let mut ai_cost_usd = Decimal::ZERO;
    for cost in costs.into_iter().flatten() {
        ai_cost_usd += Decimal::from_str(&cost).map_err(AppError::internal)?;
    }
    Ok(WindowFigures {
        approved,
        rejected,
        errors: failed + incorrect,
        ai_cost_usd,
    })
}

/// Checks the workflow after a final outcome, inside the outcome's transaction; trips it to
/// MANUAL_ONLY when a bound is exceeded. Returns the trip, if one happened now.
pub async fn check_after_outcome(
    txn: &impl ConnectionTrait,
    tenant: &str,
    workflow_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<Option<Trip>> {
    let Some(wf) = workflow::Entity::find_by_id(workflow_id).one(txn).await? else {
        return Ok(None);
    };
    // Only a workflow running on its policy can trip: MANUAL_ONLY already routes to people and
    // PAUSED takes nothing new.
    if wf.mode != WorkflowMode::Active {
        return Ok(None);
    }
    let policy = workflows::policy(txn, &wf, wf.active_policy_version).await?;
    let Some(bounds) = compiled_version(policy.id, &policy.document)
        .map_err(AppError::internal)?
        .guardrails
        .clone()
    else {
        return Ok(None);
    };
    // When a person set the workflow back to ACTIVE, only what happened since counts: the
    // outcomes that tripped it must not trip it again at the next request.
    let reset_at = audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(tenant))
        .filter(audit_event::Column::WorkflowKey.eq(wf.key.as_str()))
        .filter(audit_event::Column::EventType.eq(EventKind::WorkflowModeChanged.as_str()))
        .order_by_desc(audit_event::Column::Seq)
        .one(txn)
        .await?
        .map(|e| e.at);
    let since = match reset_at {
        Some(reset) if reset > at - bounds.window => reset,
        _ => at - bounds.window,
    };
    let figures = window_figures(txn, wf.id, since).await?;
    let Some(trip) = evaluate(&bounds, &figures) else {
        return Ok(None);
    };
    // Re-read under lock: a person or another outcome may have changed the mode meanwhile.
    let wf = workflow::Entity::find_by_id(workflow_id)
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("workflow vanished during guardrail check"))?;
    if wf.mode != WorkflowMode::Active {
        return Ok(None);
    }
    let reason = format!("guardrail:{}", trip.name);
    let key = wf.key.clone();
    let mut row: workflow::ActiveModel = wf.into();
    row.mode = Set(WorkflowMode::ManualOnly);
    row.mode_reason = Set(Some(reason.clone()));
    row.updated_at = Set(at);
    row.update(txn).await?;
    audit::append(
        txn,
        tenant,
        at,
        vec![
            EventDraft::new(
                EventKind::GuardrailTripped,
                "system",
                json!({
                    "guardrail": trip.name,
                    "value": trip.value,
                    "bound": trip.bound,
                    "window": format_duration(bounds.window),
                    "outcomes": figures.outcomes(),
                    "approved": figures.approved,
                    "rejected": figures.rejected,
                    "errors": figures.errors,
                    "aiCostUsd": figures.ai_cost_usd.to_string(),
                    "policyVersion": policy.version,
                    "from": "ACTIVE",
                    "to": "MANUAL_ONLY",
                    "reason": reason,
                }),
            )
            .workflow(&key),
        ],
    )
    .await?;
    crate::telemetry::guardrail_tripped(tenant, &key, trip.name);
    tracing::warn!(workflow = %key, tenant, guardrail = trip.name, value = trip.value, bound = trip.bound, "guardrail tripped: workflow switched to MANUAL_ONLY");
    Ok(Some(trip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds() -> GuardrailBounds {
        GuardrailBounds {
            window: chrono::Duration::hours(1),
            min_samples: 10,
            max_error_rate: Some(0.05),
            max_rejection_rate: Some(0.4),
            max_ai_cost_usd_per_hour: Some(Decimal::new(5000, 2)),
        }
    }

    fn figures(approved: u64, rejected: u64, errors: u64, cost: &str) -> WindowFigures {
        WindowFigures {
            approved,
            rejected,
            errors,
            ai_cost_usd: Decimal::from_str(cost).unwrap_or_default(),
        }
    }

    #[test]
    fn nothing_trips_below_min_samples() {
        assert_eq!(evaluate(&bounds(), &figures(5, 4, 5, "1000")), None);
    }

    #[test]
    fn each_bound_trips_on_its_own() {
        assert_eq!(
            evaluate(&bounds(), &figures(20, 0, 1, "0")),
            None,
            "1/20 = 5% is not above 5%"
        );
        assert_eq!(
            evaluate(&bounds(), &figures(20, 0, 2, "0")).map(|t| t.name),
            Some("error_rate")
        );
        assert_eq!(
            evaluate(&bounds(), &figures(6, 5, 0, "0")).map(|t| t.name),
            Some("rejection_rate")
        );
        assert_eq!(
            evaluate(&bounds(), &figures(6, 4, 0, "0")),
            None,
            "4/10 = 40% is not above 40%"
        );
        assert_eq!(
            evaluate(&bounds(), &figures(10, 0, 0, "50.00")),
            None,
            "50/h is not above 50/h"
        );
        let trip = evaluate(&bounds(), &figures(10, 0, 0, "50.01"))
            .unwrap_or_else(|| panic!("cost should trip"));
        assert_eq!(
            (trip.name, trip.value, trip.bound),
            ("ai_cost_per_hour", 50.01, 50.0)
        );
    }

    #[test]
    fn cost_per_hour_scales_with_the_window() {
        let mut b = bounds();
        b.window = chrono::Duration::minutes(30);
        // 30 USD in half an hour is 60 USD per hour.
        assert_eq!(
            evaluate(&b, &figures(10, 0, 0, "30")).map(|t| t.name),
            Some("ai_cost_per_hour")
        );
    }
}
