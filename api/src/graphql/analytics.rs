//! `analytics(filter)`: every figure of analytics.md, for auditors and admins. The resolver maps
//! the filter in and the analytics crate's report out; the work happens in
//! `domain::analytics`.

use crate::graphql::scalars::Decimal;
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::ContextExt;
use crate::error::ApiResult;
use countersign_analytics as a;

/// Bucket size of the series (UTC; weeks start on Monday).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum Granularity {
    #[default]
    Day,
    Week,
    Month,
}

/// Which requests a report covers.
#[derive(InputObject, Default)]
pub struct AnalyticsFilter {
    /// Only these workflows (all when absent).
    pub workflow_keys: Option<Vec<String>>,
    /// Submitted at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Submitted before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Bucket size of `series`.
    #[graphql(default_with = "Some(Granularity::Day)")]
    pub granularity: Option<Granularity>,
}

impl From<AnalyticsFilter> for a::Filter {
    fn from(f: AnalyticsFilter) -> Self {
        a::Filter {
            workflow_keys: f.workflow_keys,
            from: f.from,
            to: f.to,
            granularity: match f.granularity.unwrap_or_default() {
                Granularity::Day => a::Granularity::Day,
                Granularity::Week => a::Granularity::Week,
                Granularity::Month => a::Granularity::Month,
            },
        }
    }
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Requests by route and by current status.
#[derive(SimpleObject)]
pub struct Totals {
    /// Requests submitted in range (REJECT-routed included).
    submitted: i64,
    /// Routed AUTO (approved at submission).
    auto_approved: i64,
    /// Routed HUMAN and approved by people (later execution outcomes still count).
    human_approved: i64,
    /// Ended REJECTED: by a person, or routed REJECT.
    rejected: i64,
    /// Still pending.
    pending: i64,
    /// Expired before a decision.
    expired: i64,
    /// Cancelled.
    cancelled: i64,
    /// Last execution report was a success (rolled-back ones included).
    executed: i64,
    /// Last execution report was a failure.
    execution_failed: i64,
    /// Rolled back after execution.
    rolled_back: i64,
    /// Auto-approved requests picked for QA.
    sampled: i64,
    /// Sampled requests judged INCORRECT.
    sampled_incorrect: i64,
}

impl From<a::Totals> for Totals {
    fn from(t: a::Totals) -> Self {
        Totals {
            submitted: int(t.submitted),
            auto_approved: int(t.auto_approved),
            human_approved: int(t.human_approved),
            rejected: int(t.rejected),
            pending: int(t.pending),
            expired: int(t.expired),
            cancelled: int(t.cancelled),
            executed: int(t.executed),
            execution_failed: int(t.execution_failed),
            rolled_back: int(t.rolled_back),
            sampled: int(t.sampled),
            sampled_incorrect: int(t.sampled_incorrect),
        }
    }
}

/// Seconds from submission to the final human decision (linear-interpolated percentiles).
#[derive(SimpleObject)]
pub struct CycleTime {
    /// Human-routed requests decided by people.
    count: i64,
    p50_seconds: Option<f64>,
    p90_seconds: Option<f64>,
    p99_seconds: Option<f64>,
    mean_seconds: Option<f64>,
}

impl From<a::CycleTime> for CycleTime {
    fn from(c: a::CycleTime) -> Self {
        CycleTime {
            count: int(c.count),
            p50_seconds: c.p50_seconds,
            p90_seconds: c.p90_seconds,
            p99_seconds: c.p99_seconds,
            mean_seconds: c.mean_seconds,
        }
    }
}

/// A rejection reason and its share of all rejected requests.
#[derive(SimpleObject)]
pub struct ReasonCount {
    reason_code: String,
    count: i64,
    share: f64,
}

/// What the requests cost (AI plus reviewer time).
#[derive(SimpleObject)]
pub struct CostSummary {
    /// Sum of costUsd.
    ai_cost_usd: Decimal,
    /// Human decisions × reviewerMinutesPerDecision / 60 × hourlyRateUsd, per workflow (to the cent).
    review_cost_usd: Decimal,
    /// aiCostUsd + reviewCostUsd.
    total_cost_usd: Decimal,
    /// totalCostUsd / submitted (to 4 decimals); null without requests.
    cost_per_request_usd: Option<Decimal>,
}

impl From<a::CostSummary> for CostSummary {
    fn from(c: a::CostSummary) -> Self {
        CostSummary {
            ai_cost_usd: c.ai_cost_usd.into(),
            review_cost_usd: c.review_cost_usd.into(),
            total_cost_usd: c.total_cost_usd.into(),
            cost_per_request_usd: c.cost_per_request_usd.map(Into::into),
        }
    }
}

/// What the automation saved.
#[derive(SimpleObject)]
pub struct RoiSummary {
    /// (autoApproved × minutesSavedPerAuto + humanApproved × minutesSavedPerAssisted) / 60.
    hours_saved: f64,
    /// hoursSaved × hourlyRateUsd, per workflow (to the cent).
    value_saved_usd: Decimal,
    /// valueSavedUsd − totalCostUsd.
    net_value_usd: Decimal,
    /// netValueUsd / totalCostUsd; null when nothing was spent.
    roi: Option<f64>,
}

impl From<a::RoiSummary> for RoiSummary {
    fn from(r: a::RoiSummary) -> Self {
        RoiSummary {
            hours_saved: r.hours_saved,
            value_saved_usd: r.value_saved_usd.into(),
            net_value_usd: r.net_value_usd.into(),
            roi: r.roi,
        }
    }
}

/// The figures of one workflow.
#[derive(SimpleObject)]
pub struct WorkflowMetrics {
    workflow_key: String,
    totals: Totals,
    auto_approval_rate: Option<f64>,
    rejection_rate: Option<f64>,
    error_rate: Option<f64>,
    cycle_time: CycleTime,
    cost: CostSummary,
    roi: RoiSummary,
}

/// The counts of one bucket.
#[derive(SimpleObject)]
pub struct SeriesPoint {
    /// First instant of the bucket (UTC).
    bucket_start: DateTime<Utc>,
    submitted: i64,
    auto_approved: i64,
    human_approved: i64,
    rejected: i64,
    /// executionFailed + rolledBack + sampledIncorrect.
    errors: i64,
    p50_cycle_seconds: Option<f64>,
    ai_cost_usd: Decimal,
}

/// Every figure of docs/analytics.md for one filter; rates are null when their denominator is zero.
#[derive(SimpleObject)]
pub struct AnalyticsReport {
    totals: Totals,
    /// autoApproved / decided.
    auto_approval_rate: Option<f64>,
    /// humanApproved / decided.
    human_approval_rate: Option<f64>,
    /// rejected / decided.
    rejection_rate: Option<f64>,
    /// Human approvals with an edited action / humanApproved.
    edit_rate: Option<f64>,
    /// (executionFailed + rolledBack + sampledIncorrect) / (autoApproved + humanApproved).
    error_rate: Option<f64>,
    /// Human steps decided after their due time or still open past it / human steps opened.
    sla_breach_rate: Option<f64>,
    cycle_time: CycleTime,
    /// Most frequent first.
    rejection_reasons: Vec<ReasonCount>,
    cost: CostSummary,
    roi: RoiSummary,
    /// One entry per workflow (in the filter), by key.
    by_workflow: Vec<WorkflowMetrics>,
    /// Every bucket of the range, empty ones included.
    series: Vec<SeriesPoint>,
}

impl From<a::Report> for AnalyticsReport {
    fn from(r: a::Report) -> Self {
        AnalyticsReport {
            totals: r.totals.into(),
            auto_approval_rate: r.auto_approval_rate,
            human_approval_rate: r.human_approval_rate,
            rejection_rate: r.rejection_rate,
            edit_rate: r.edit_rate,
            error_rate: r.error_rate,
            sla_breach_rate: r.sla_breach_rate,
            cycle_time: r.cycle_time.into(),
            rejection_reasons: r
                .rejection_reasons
                .into_iter()
                .map(|c| ReasonCount {
                    reason_code: c.reason_code,
                    count: int(c.count),
                    share: c.share,
                })
                .collect(),
            cost: r.cost.into(),
            roi: r.roi.into(),
            by_workflow: r
                .by_workflow
                .into_iter()
                .map(|w| WorkflowMetrics {
                    workflow_key: w.workflow_key,
                    totals: w.totals.into(),
                    auto_approval_rate: w.auto_approval_rate,
                    rejection_rate: w.rejection_rate,
                    error_rate: w.error_rate,
                    cycle_time: w.cycle_time.into(),
                    cost: w.cost.into(),
                    roi: w.roi.into(),
                })
                .collect(),
            series: r
                .series
                .into_iter()
                .map(|p| SeriesPoint {
                    bucket_start: p.bucket_start,
                    submitted: int(p.submitted),
                    auto_approved: int(p.auto_approved),
                    human_approved: int(p.human_approved),
                    rejected: int(p.rejected),
                    errors: int(p.errors),
                    p50_cycle_seconds: p.p50_cycle_seconds,
                    ai_cost_usd: p.ai_cost_usd.into(),
                })
                .collect(),
        }
    }
}

/// Analytics queries.
#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// Monitoring and ROI figures, exactly as docs/analytics.md defines them (auditor, admin).
    async fn analytics(
        &self,
        ctx: &Context<'_>,
        filter: Option<AnalyticsFilter>,
    ) -> ApiResult<AnalyticsReport> {
        let caller = ctx.principal()?;
        let state = ctx.state()?;
        let report = state
            .analytics
            .report(&state.store, caller, filter.unwrap_or_default().into())
            .await?;
        Ok(report.into())
    }
}
