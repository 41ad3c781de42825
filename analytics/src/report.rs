//! The report: plain Rust values, one field per figure in `analytics.md`. Rates and durations
//! are `Option<f64>` (null when the denominator is zero); money is exact `Decimal`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// Which requests a report covers: by workflow and by submission time in `[from, to)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Only these workflows; `None` means all of them.
    pub workflow_keys: Option<Vec<String>>,
    /// Submitted at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Submitted before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Bucket size of the series.
    pub granularity: Granularity,
}

/// Series bucket size; buckets are UTC and weeks start on Monday.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Granularity {
    /// Calendar days.
    #[default]
    Day,
    /// Weeks starting Monday 00:00 UTC.
    Week,
    /// Calendar months.
    Month,
}

/// A workflow's ROI settings (the defaults of analytics.md when it gives none).
#[derive(Clone, Debug, PartialEq)]
pub struct RoiSettings {
    /// Manual minutes an auto-approved action saves.
    pub minutes_saved_per_auto: f64,
    /// Minutes saved when a person approves the AI draft.
    pub minutes_saved_per_assisted: f64,
    /// Reviewer minutes one human decision takes.
    pub reviewer_minutes_per_decision: f64,
    /// Loaded hourly cost of a reviewer.
    pub hourly_rate_usd: Decimal,
}

impl Default for RoiSettings {
    fn default() -> Self {
        RoiSettings {
            minutes_saved_per_auto: 10.0,
            minutes_saved_per_assisted: 5.0,
            reviewer_minutes_per_decision: 2.0,
            hourly_rate_usd: Decimal::new(6000, 2),
        }
    }
}

/// Counts of requests, by how they were routed and where they are now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub submitted: u64,
    pub auto_approved: u64,
    pub human_approved: u64,
    pub rejected: u64,
    pub pending: u64,
    pub expired: u64,
    pub cancelled: u64,
    pub executed: u64,
    pub execution_failed: u64,
    pub rolled_back: u64,
    pub sampled: u64,
    pub sampled_incorrect: u64,
}

impl Totals {
    /// autoApproved + humanApproved + rejected.
    pub fn decided(&self) -> u64 {
        self.auto_approved + self.human_approved + self.rejected
    }

    /// executionFailed + rolledBack + sampledIncorrect.
    pub fn errors(&self) -> u64 {
        self.execution_failed + self.rolled_back + self.sampled_incorrect
    }
}

/// Seconds from submission to the final human decision.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CycleTime {
    pub count: u64,
    pub p50_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
    pub p99_seconds: Option<f64>,
    pub mean_seconds: Option<f64>,
}

/// One rejection reason and its share of all rejected requests.
#[derive(Clone, Debug, PartialEq)]
pub struct ReasonCount {
    pub reason_code: String,
    pub count: u64,
    pub share: f64,
}

/// What the requests cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CostSummary {
    pub ai_cost_usd: Decimal,
    pub review_cost_usd: Decimal,
    pub total_cost_usd: Decimal,
    pub cost_per_request_usd: Option<Decimal>,
}

/// What the automation saved.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RoiSummary {
    pub hours_saved: f64,
    pub value_saved_usd: Decimal,
    pub net_value_usd: Decimal,
    pub roi: Option<f64>,
}

/// The figures of one workflow.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowMetrics {
    pub workflow_key: String,
    pub totals: Totals,
    pub auto_approval_rate: Option<f64>,
    pub rejection_rate: Option<f64>,
    pub error_rate: Option<f64>,
    pub cycle_time: CycleTime,
    pub cost: CostSummary,
    pub roi: RoiSummary,
}

/// The counts of one bucket of the series.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesPoint {
    pub bucket_start: DateTime<Utc>,
    pub submitted: u64,
    pub auto_approved: u64,
    pub human_approved: u64,
    pub rejected: u64,
    pub errors: u64,
    pub p50_cycle_seconds: Option<f64>,
    pub ai_cost_usd: Decimal,
}

/// Every figure of analytics.md for one filter.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub totals: Totals,
    pub auto_approval_rate: Option<f64>,
    pub human_approval_rate: Option<f64>,
    pub rejection_rate: Option<f64>,
    pub edit_rate: Option<f64>,
    pub error_rate: Option<f64>,
    pub sla_breach_rate: Option<f64>,
    pub cycle_time: CycleTime,
    pub rejection_reasons: Vec<ReasonCount>,
    pub cost: CostSummary,
    pub roi: RoiSummary,
    pub by_workflow: Vec<WorkflowMetrics>,
    pub series: Vec<SeriesPoint>,
}

/// `n / d`, or null when `d` is zero.
pub(crate) fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}
