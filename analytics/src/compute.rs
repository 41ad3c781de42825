//! From a request frame to a [`Report`]: pure functions, polars doing the filtering, grouping,
//! counting, percentiles and exact Decimal sums; Rust doing the money arithmetic of analytics.md.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use polars::prelude::*;
use rust_decimal::Decimal;

use crate::AnalyticsError;
use crate::report::*;
use crate::rows::{NO_REASON, Route, Status, col, money_from_units, week_index};

/// A tenant's request frame with the dictionaries its codes index.
#[derive(Clone, Debug)]
pub struct Frame {
    /// One row per request (columns in [`crate::rows::col`]).
    pub df: DataFrame,
    /// Workflow key of each `workflow` code.
    pub workflows: Vec<String>,
    /// Reason code of each `reason` code.
    pub reasons: Vec<String>,
}

/// The most buckets a series may have; a longer range must use a coarser granularity.
pub const MAX_BUCKETS: i64 = 10_000;

// Names of the aggregated columns.
const SUBMITTED: &str = "n_submitted";
const AUTO: &str = "n_auto";
const HUMAN: &str = "n_human";
const REJECTED: &str = "n_rejected";
const PENDING: &str = "n_pending";
const EXPIRED: &str = "n_expired";
const CANCELLED: &str = "n_cancelled";
const EXECUTED: &str = "n_executed";
const FAILED: &str = "n_failed";
const ROLLED_BACK: &str = "n_rolled_back";
const SAMPLED: &str = "n_sampled";
const INCORRECT: &str = "n_incorrect";
const EDITED: &str = "n_edited";
const DECISIONS: &str = "n_decisions";
const STEPS_OPENED: &str = "n_steps_opened";
const STEPS_BREACHED: &str = "n_steps_breached";
const CYCLE_N: &str = "cycle_n";
const P50: &str = "p50";
const P90: &str = "p90";
const P99: &str = "p99";
const MEAN: &str = "mean";
const AI_COST: &str = "ai_cost";
const ERRORS: &str = "n_errors";
const BUCKET: &str = "bucket";

fn status_is(status: Status) -> Expr {
    col(col::STATUS).eq(lit(status as u8))
}

fn route_is(route: Route) -> Expr {
    col(col::ROUTE).eq(lit(route as u8))
}

/// Human-routed and approved by people (later execution outcomes still count).
fn human_approved() -> Expr {
    route_is(Route::Human).and(
        status_is(Status::Approved)
            .or(status_is(Status::Executed))
            .or(status_is(Status::ExecutionFailed))
            .or(status_is(Status::RolledBack)),
    )
}

/// Count of rows where `flag` holds: the flags are summed as they are (bits), and only the count
/// is widened, so no column of 64-bit integers is made per row.
fn count(flag: Expr, name: &str) -> Expr {
    tally(flag).alias(name)
}

/// The number of rows where `flag` holds, as an Int64.
fn tally(flag: Expr) -> Expr {
    flag.sum().cast(DataType::Int64)
}

/// Sum of a column of small counts, accumulated by polars in 64 bits.
fn sum(column: &str, name: &str) -> Expr {
    col(column).sum().cast(DataType::Int64).alias(name)
}

fn cycle_quantile(q: f64, name: &str) -> Expr {
    col(col::CYCLE_S)
        .quantile(lit(q), QuantileMethod::Linear)
        .alias(name)
}

/// The row mask of a filter: workflows and `[from, to)` by submission time.
fn mask(frame: &Frame, filter: &Filter) -> Expr {
    let mut m = lit(true);
    if let Some(from) = filter.from {
        m = m.and(col(col::SUBMITTED_US).gt_eq(lit(from.timestamp_micros())));
    }
    if let Some(to) = filter.to {
        m = m.and(col(col::SUBMITTED_US).lt(lit(to.timestamp_micros())));
    }
    if let Some(keys) = &filter.workflow_keys {
        // Each key once, looked up in a map: the mask grows with the distinct workflows named,
        // never with repeats, and its OR tree is balanced (a left-deep chain of thousands of
        // ORs made polars' optimizer super-linear and deep enough to exhaust a stack).
        let codes: HashMap<&str, u32> = frame
            .workflows
            .iter()
            .enumerate()
            .filter_map(|(i, w)| Some((w.as_str(), u32::try_from(i).ok()?)))
            .collect();
        let wanted: BTreeSet<u32> = keys
            .iter()
            .filter_map(|k| codes.get(k.as_str()).copied())
            .collect();
        let terms: Vec<Expr> = wanted
            .into_iter()
            .map(|code| col(col::WORKFLOW).eq(lit(code)))
            .collect();
        m = m.and(any_of(terms));
    }
    m
}

/// `a OR b OR …` as a balanced tree (depth log₂ n); `false` when empty.
fn any_of(mut terms: Vec<Expr>) -> Expr {
    if terms.is_empty() {
        return lit(false);
    }
    while terms.len() > 1 {
        let mut next = Vec::with_capacity(terms.len().div_ceil(2));
        let mut it = terms.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => a.or(b),
                None => a,
            });
        }
        terms = next;
    }
    terms.pop().unwrap_or_else(|| lit(false))
}

/// The aggregations of a group of requests: every count of `Totals` and the rest.
fn aggregations(now_us: i64) -> Vec<Expr> {
    // A request with no open step due holds NO_DUE there, which is never before now.
    let open_breached = tally(col(col::OPEN_DUE_US).lt(lit(now_us)));
    vec![
        len().cast(DataType::Int64).alias(SUBMITTED),
        count(route_is(Route::Auto), AUTO),
        count(human_approved(), HUMAN),
        count(status_is(Status::Rejected), REJECTED),
        count(status_is(Status::Pending), PENDING),
        count(status_is(Status::Expired), EXPIRED),
        count(status_is(Status::Cancelled), CANCELLED),
        // The last execution report was a success: executed, or executed and rolled back since.
        count(
            status_is(Status::Executed).or(status_is(Status::RolledBack)),
            EXECUTED,
        ),
        count(status_is(Status::ExecutionFailed), FAILED),
        count(status_is(Status::RolledBack), ROLLED_BACK),
        count(col(col::SAMPLED), SAMPLED),
        count(col(col::INCORRECT), INCORRECT),
        count(human_approved().and(col(col::EDITED)), EDITED),
        sum(col::DECISIONS, DECISIONS),
        sum(col::STEPS_OPENED, STEPS_OPENED),
        (col(col::STEPS_BREACHED).sum().cast(DataType::Int64) + open_breached)
            .alias(STEPS_BREACHED),
        col(col::CYCLE_S)
            .count()
            .cast(DataType::Int64)
            .alias(CYCLE_N),
        cycle_quantile(0.5, P50),
        cycle_quantile(0.9, P90),
        cycle_quantile(0.99, P99),
        col(col::CYCLE_S).mean().alias(MEAN),
        col(col::COST).sum().alias(AI_COST),
    ]
}

/// One aggregated row, read back from polars.
#[derive(Clone, Debug, Default)]
struct Agg {
    totals: Totals,
    edited: u64,
    decisions: u64,
    steps_opened: u64,
    steps_breached: u64,
    cycle: CycleTime,
    ai_cost: Decimal,
}

fn get_u64(df: &DataFrame, name: &str, row: usize) -> Result<u64, AnalyticsError> {
    let v = df.column(name)?.i64()?.get(row).unwrap_or(0);
    Ok(u64::try_from(v).unwrap_or(0))
}

fn get_f64(df: &DataFrame, name: &str, row: usize) -> Result<Option<f64>, AnalyticsError> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.get(row).filter(|v| v.is_finite()))
}

fn get_money(df: &DataFrame, name: &str, row: usize) -> Result<Decimal, AnalyticsError> {
    let c = df.column(name)?;
    let units = c.decimal()?.physical().get(row).unwrap_or(0);
    money_from_units(units)
}

fn read_agg(df: &DataFrame, row: usize) -> Result<Agg, AnalyticsError> {
    let totals = Totals {
        submitted: get_u64(df, SUBMITTED, row)?,
        auto_approved: get_u64(df, AUTO, row)?,
        human_approved: get_u64(df, HUMAN, row)?,
        rejected: get_u64(df, REJECTED, row)?,
        pending: get_u64(df, PENDING, row)?,
        expired: get_u64(df, EXPIRED, row)?,
        cancelled: get_u64(df, CANCELLED, row)?,
        executed: get_u64(df, EXECUTED, row)?,
        execution_failed: get_u64(df, FAILED, row)?,
        rolled_back: get_u64(df, ROLLED_BACK, row)?,
        sampled: get_u64(df, SAMPLED, row)?,
        sampled_incorrect: get_u64(df, INCORRECT, row)?,
    };
    let cycle_n = get_u64(df, CYCLE_N, row)?;
    let cycle = CycleTime {
        count: cycle_n,
        p50_seconds: get_f64(df, P50, row)?,
        p90_seconds: get_f64(df, P90, row)?,
        p99_seconds: get_f64(df, P99, row)?,
        mean_seconds: get_f64(df, MEAN, row)?,
    };
    Ok(Agg {
        totals,
        edited: get_u64(df, EDITED, row)?,
        decisions: get_u64(df, DECISIONS, row)?,
        steps_opened: get_u64(df, STEPS_OPENED, row)?,
        steps_breached: get_u64(df, STEPS_BREACHED, row)?,
        cycle,
        ai_cost: get_money(df, AI_COST, row)?,
    })
}

/// Cost and ROI of one workflow's aggregate under its settings.
fn cost_and_roi(agg: &Agg, roi: &RoiSettings) -> (CostSummary, RoiSummary) {
    let decisions = Decimal::from(agg.decisions);
    let minutes = |m: f64| Decimal::from_f64_retain(m).unwrap_or_default();
    let sixty = Decimal::from(60);
    // Multiply first, divide last: the hourly rate is exact, the minutes are settings.
    let review = (decisions * minutes(roi.reviewer_minutes_per_decision) * roi.hourly_rate_usd
        / sixty)
        .round_dp(2);
    let cost = summarize_cost(agg.ai_cost, review, agg.totals.submitted);
    let saved_minutes = Decimal::from(agg.totals.auto_approved)
        * minutes(roi.minutes_saved_per_auto)
        + Decimal::from(agg.totals.human_approved) * minutes(roi.minutes_saved_per_assisted);
    let hours_saved = (agg.totals.auto_approved as f64 * roi.minutes_saved_per_auto
        + agg.totals.human_approved as f64 * roi.minutes_saved_per_assisted)
        / 60.0;
    let value = (saved_minutes * roi.hourly_rate_usd / sixty).round_dp(2);
    (cost, summarize_roi(hours_saved, value, cost.total_cost_usd))
}

fn summarize_cost(ai: Decimal, review: Decimal, submitted: u64) -> CostSummary {
    let total = ai + review;
    CostSummary {
        ai_cost_usd: ai.normalize(),
        review_cost_usd: review,
        total_cost_usd: total.normalize(),
        cost_per_request_usd: (submitted > 0)
            .then(|| (total / Decimal::from(submitted)).round_dp(4).normalize()),
    }
}

fn summarize_roi(hours_saved: f64, value: Decimal, total_cost: Decimal) -> RoiSummary {
    let net = value - total_cost;
    let roi = if total_cost.is_zero() {
        None
    } else {
        use rust_decimal::prelude::ToPrimitive;
        (net / total_cost).to_f64()
    };
    RoiSummary {
        hours_saved,
        value_saved_usd: value,
        net_value_usd: net.normalize(),
        roi,
    }
}

/// The rejection reasons of the masked rows, most frequent first (ties by code).
fn rejection_reasons(
    frame: &Frame,
    rows: LazyFrame,
    rejected: u64,
) -> Result<Vec<ReasonCount>, AnalyticsError> {
    let df = rows
        .filter(status_is(Status::Rejected))
        .group_by([col(col::REASON)])
        .agg([len().cast(DataType::Int64).alias(SUBMITTED)])
        .collect()?;
    let reasons = df.column(col::REASON)?.u32()?;
    let counts = df.column(SUBMITTED)?.i64()?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let code = match reasons.get(i).filter(|r| *r != NO_REASON) {
            Some(r) => frame
                .reasons
                .get(r as usize)
                .cloned()
                .unwrap_or_else(|| format!("#{r}")),
            None => "unspecified".to_owned(),
        };
        let n = u64::try_from(counts.get(i).unwrap_or(0)).unwrap_or(0);
        out.push(ReasonCount {
            reason_code: code,
            count: n,
            share: ratio(n, rejected).unwrap_or(0.0),
        });
    }
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.reason_code.cmp(&b.reason_code))
    });
    Ok(out)
}

/// The first instant of bucket `index` at `granularity`.
pub fn bucket_start(granularity: Granularity, index: i32) -> DateTime<Utc> {
    let epoch = Utc.timestamp_opt(0, 0).single().unwrap_or_default();
    match granularity {
        Granularity::Day => epoch + Duration::days(index.into()),
        Granularity::Week => epoch + Duration::days(i64::from(index) * 7 - 3),
        Granularity::Month => {
            let year = 1970 + index.div_euclid(12);
            let month = index.rem_euclid(12) as u32 + 1;
            NaiveDate::from_ymd_opt(year, month, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
                .unwrap_or(epoch)
        }
    }
}

/// The bucket holding instant `at`.
pub fn bucket_of(granularity: Granularity, at: DateTime<Utc>) -> i32 {
    let day = crate::rows::day_index(at);
    match granularity {
        Granularity::Day => day,
        Granularity::Week => week_index(day),
        Granularity::Month => crate::rows::month_index(at),
    }
}

fn bucket_column(granularity: Granularity) -> &'static str {
    match granularity {
        Granularity::Day => col::DAY,
        Granularity::Week => col::WEEK,
        Granularity::Month => col::MONTH,
    }
}

/// The series: every bucket from the filter's start (or the first request) to its end (or the
/// last request), empty buckets included.
fn series(rows: LazyFrame, filter: &Filter) -> Result<Vec<SeriesPoint>, AnalyticsError> {
    let df = rows
        .group_by([col(bucket_column(filter.granularity))
            .cast(DataType::Int32)
            .alias(BUCKET)])
        .agg([
            len().cast(DataType::Int64).alias(SUBMITTED),
            count(route_is(Route::Auto), AUTO),
            count(human_approved(), HUMAN),
            count(status_is(Status::Rejected), REJECTED),
            // executionFailed + rolledBack + sampledIncorrect, as errorRate counts them: a
            // request rolled back and judged incorrect counts twice.
            (tally(status_is(Status::ExecutionFailed))
                + tally(status_is(Status::RolledBack))
                + tally(col(col::INCORRECT)))
            .alias(ERRORS),
            cycle_quantile(0.5, P50),
            col(col::COST).sum().alias(AI_COST),
        ])
        .collect()?;
    let buckets = df.column(BUCKET)?.i32()?;
    let mut present = BTreeMap::new();
    for i in 0..df.height() {
        if let Some(b) = buckets.get(i) {
            present.insert(b, i);
        }
    }
    let first = filter
        .from
        .map(|f| bucket_of(filter.granularity, f))
        .or_else(|| present.keys().next().copied());
    let last = filter
        .to
        .map(|t| bucket_of(filter.granularity, t - Duration::microseconds(1)))
        .or_else(|| present.keys().next_back().copied());
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Vec::new());
    };
    if i64::from(last) - i64::from(first) + 1 > MAX_BUCKETS {
        return Err(AnalyticsError::Range(format!(
            "the range spans more than {MAX_BUCKETS} {:?} buckets; narrow it or use a coarser granularity",
            filter.granularity
        )));
    }
    let mut out = Vec::new();
    for b in first..=last {
        let start = bucket_start(filter.granularity, b);
        out.push(match present.get(&b) {
            Some(&i) => SeriesPoint {
                bucket_start: start,
                submitted: get_u64(&df, SUBMITTED, i)?,
                auto_approved: get_u64(&df, AUTO, i)?,
                human_approved: get_u64(&df, HUMAN, i)?,
                rejected: get_u64(&df, REJECTED, i)?,
                errors: get_u64(&df, ERRORS, i)?,
                p50_cycle_seconds: get_f64(&df, P50, i)?,
                ai_cost_usd: get_money(&df, AI_COST, i)?,
            },
            None => SeriesPoint {
                bucket_start: start,
                submitted: 0,
                auto_approved: 0,
                human_approved: 0,
                rejected: 0,
                errors: 0,
                p50_cycle_seconds: None,
                ai_cost_usd: Decimal::ZERO,
            },
        });
    }
    Ok(out)
}

/// Every figure of analytics.md for `filter` over `frame`, as of `now` (which decides whether a
/// step still open is past its due time). `settings` holds each workflow's ROI settings; a
/// workflow missing from it uses the defaults. Every workflow in `settings` (narrowed by the
/// filter) gets a `byWorkflow` entry, also when it has no request in range.
pub fn compute(
    frame: &Frame,
    settings: &HashMap<String, RoiSettings>,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Report, AnalyticsError> {
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(AnalyticsError::Range(
            "from must not be after to".to_owned(),
        ));
    }
    // Filtered once: the four computations below read the same rows. With no filter the frame
    // is used as it is (its columns are shared, not copied).
    let rows = if filter.from.is_none() && filter.to.is_none() && filter.workflow_keys.is_none() {
        frame.df.clone().lazy()
    } else {
        frame
            .df
            .clone()
            .lazy()
            .filter(mask(frame, filter))
            .collect()?
            .lazy()
    };
    let aggs = aggregations(now.timestamp_micros());

    // Per workflow.
    let per_wf = rows
        .clone()
        .group_by([col(col::WORKFLOW)])
        .agg(aggs.clone())
        .collect()?;
    let codes = per_wf.column(col::WORKFLOW)?.u32()?;
    let mut by_key: BTreeMap<String, Agg> = BTreeMap::new();
    for i in 0..per_wf.height() {
        if let Some(key) = codes.get(i).and_then(|c| frame.workflows.get(c as usize)) {
            by_key.insert(key.clone(), read_agg(&per_wf, i)?);
        }
    }
    let named: Option<HashSet<&str>> = filter
        .workflow_keys
        .as_ref()
        .map(|keys| keys.iter().map(String::as_str).collect());
    for key in settings.keys() {
        let wanted = named.as_ref().is_none_or(|n| n.contains(key.as_str()));
        if wanted {
            by_key.entry(key.clone()).or_default();
        }
    }
    let defaults = RoiSettings::default();
    let mut by_workflow = Vec::with_capacity(by_key.len());
    let (mut review_total, mut value_total, mut hours_total) = (Decimal::ZERO, Decimal::ZERO, 0.0);
    for (key, agg) in &by_key {
        let (cost, roi) = cost_and_roi(agg, settings.get(key).unwrap_or(&defaults));
        review_total += cost.review_cost_usd;
        value_total += roi.value_saved_usd;
        hours_total += roi.hours_saved;
        let t = agg.totals;
        by_workflow.push(WorkflowMetrics {
            workflow_key: key.clone(),
            totals: t,
            auto_approval_rate: ratio(t.auto_approved, t.decided()),
            rejection_rate: ratio(t.rejected, t.decided()),
            error_rate: ratio(t.errors(), t.auto_approved + t.human_approved),
            cycle_time: agg.cycle,
            cost,
            roi,
        });
    }

    // Overall.
    let overall = rows.clone().select(aggs).collect()?;
    let agg = read_agg(&overall, 0)?;
    let t = agg.totals;
    let cost = summarize_cost(agg.ai_cost, review_total, t.submitted);
    let roi = summarize_roi(hours_total, value_total, cost.total_cost_usd);
    Ok(Report {
        totals: t,
        auto_approval_rate: ratio(t.auto_approved, t.decided()),
        human_approval_rate: ratio(t.human_approved, t.decided()),
        rejection_rate: ratio(t.rejected, t.decided()),
        edit_rate: ratio(agg.edited, t.human_approved),
        error_rate: ratio(t.errors(), t.auto_approved + t.human_approved),
        sla_breach_rate: ratio(agg.steps_breached, agg.steps_opened),
        cycle_time: agg.cycle,
        rejection_reasons: rejection_reasons(frame, rows.clone(), t.rejected)?,
        cost,
        roi,
        by_workflow,
        series: series(rows, filter)?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rust_decimal::Decimal;
    use uuid::Uuid;

    use super::*;
    use crate::rows::{RequestFacts, RequestRows};

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// A request submitted on 2026-03-`day` at 09:00 in workflow `wf`.
    fn req(wf: &str, day: u32, route: Route, status: Status) -> RequestFacts {
        RequestFacts {
            id: Uuid::now_v7(),
            workflow_key: wf.to_owned(),
            submitted_at: at(day, 9),
            route,
            status,
            edited: false,
            cost_usd: Decimal::ZERO,
            sampled: false,
            sampled_incorrect: false,
            reason_code: None,
            human_decided_at: None,
            decisions: 0,
            steps_opened: 0,
            steps_breached: 0,
            open_step_due: None,
        }
    }

    /// A human-routed request decided by people `secs` seconds after submission.
    fn human(wf: &str, day: u32, status: Status, secs: i64) -> RequestFacts {
        let mut r = req(wf, day, Route::Human, status);
        r.human_decided_at = Some(r.submitted_at + Duration::seconds(secs));
        r.decisions = 1;
        r.steps_opened = 1;
        r
    }

    fn frame_of(facts: &[RequestFacts]) -> Frame {
        let mut rows = RequestRows::default();
        for f in facts {
            rows.upsert(f).unwrap();
        }
        Frame {
            df: rows.to_frame().unwrap(),
            workflows: rows.workflows.values().to_vec(),
            reasons: rows.reasons.values().to_vec(),
        }
    }

    /// Equal within floating-point noise.
    #[track_caller]
    fn close(actual: Option<f64>, expected: f64) {
        let a = actual.expect("a value, not null");
        assert!((a - expected).abs() < 1e-9, "{a} != {expected}");
    }

    fn report(facts: &[RequestFacts], filter: &Filter) -> Report {
        compute(&frame_of(facts), &HashMap::new(), filter, at(28, 0)).unwrap()
    }

    #[test]
    fn empty_input_gives_zero_counts_and_null_rates() {
        let r = report(&[], &Filter::default());
        assert_eq!(r.totals, Totals::default());
        for rate in [
            r.auto_approval_rate,
            r.human_approval_rate,
            r.rejection_rate,
            r.edit_rate,
            r.error_rate,
            r.sla_breach_rate,
        ] {
            assert_eq!(rate, None);
        }
        assert_eq!(r.cycle_time, CycleTime::default());
        assert_eq!(r.cost.cost_per_request_usd, None);
        assert_eq!(r.cost.total_cost_usd, Decimal::ZERO);
        assert_eq!(r.roi.roi, None);
        assert!(r.rejection_reasons.is_empty());
        assert!(r.by_workflow.is_empty());
        assert!(r.series.is_empty());
    }

    #[test]
    fn counts_and_rates_follow_the_definitions() {
        let mut facts = vec![
            req("refunds", 2, Route::Auto, Status::Approved),
            req("refunds", 2, Route::Auto, Status::Executed),
            req("refunds", 2, Route::Auto, Status::RolledBack),
            human("refunds", 3, Status::Approved, 60),
            human("refunds", 3, Status::ExecutionFailed, 120),
            human("refunds", 3, Status::Rejected, 180),
            req("refunds", 3, Route::Reject, Status::Rejected),
            req("refunds", 4, Route::Human, Status::Pending),
            req("refunds", 4, Route::Human, Status::Expired),
            req("refunds", 4, Route::Human, Status::Cancelled),
        ];
        facts[0].sampled = true;
        facts[1].sampled = true;
        facts[1].sampled_incorrect = true;
        facts[3].edited = true;
        facts[5].reason_code = Some("wrong_amount".into());
        facts[6].reason_code = Some("blocked_country".into());
        let r = report(&facts, &Filter::default());
        let t = r.totals;
        assert_eq!(
            (t.submitted, t.auto_approved, t.human_approved, t.rejected),
            (10, 3, 2, 2)
        );
        assert_eq!((t.pending, t.expired, t.cancelled), (1, 1, 1));
        // The rolled-back request's last execution report was a success.
        assert_eq!((t.executed, t.execution_failed, t.rolled_back), (2, 1, 1));
        assert_eq!((t.sampled, t.sampled_incorrect), (2, 1));
        assert_eq!(r.auto_approval_rate, Some(3.0 / 7.0));
        assert_eq!(r.human_approval_rate, Some(2.0 / 7.0));
        assert_eq!(r.rejection_rate, Some(2.0 / 7.0));
        assert_eq!(r.edit_rate, Some(0.5));
        // (executionFailed 1 + rolledBack 1 + sampledIncorrect 1) / (3 + 2)
        assert_eq!(r.error_rate, Some(3.0 / 5.0));
        // Cycle time over the three human decisions: 60, 120, 180 s.
        assert_eq!(r.cycle_time.count, 3);
        assert_eq!(r.cycle_time.p50_seconds, Some(120.0));
        close(r.cycle_time.p90_seconds, 168.0);
        close(r.cycle_time.p99_seconds, 178.8);
        assert_eq!(r.cycle_time.mean_seconds, Some(120.0));
        // The series counts errors as errorRate does: failed + rolled back + incorrect.
        let errors: u64 = r.series.iter().map(|p| p.errors).sum();
        assert_eq!(errors, 3);
        // Reasons: most frequent first, then by code; shares of all rejected.
        assert_eq!(
            r.rejection_reasons,
            vec![
                ReasonCount {
                    reason_code: "blocked_country".into(),
                    count: 1,
                    share: 0.5
                },
                ReasonCount {
                    reason_code: "wrong_amount".into(),
                    count: 1,
                    share: 0.5
                },
            ]
        );
    }

    #[test]
    fn percentiles_of_a_single_value_are_that_value() {
        let r = report(&[human("a", 2, Status::Approved, 42)], &Filter::default());
        let c = r.cycle_time;
        assert_eq!(c.count, 1);
        assert_eq!(
            (c.p50_seconds, c.p90_seconds, c.p99_seconds, c.mean_seconds),
            (Some(42.0), Some(42.0), Some(42.0), Some(42.0))
        );
    }

    #[test]
    fn percentiles_interpolate_linearly() {
        // 1..=10 s: p50 = 5.5, p90 = 9.1, p99 = 9.91 (numpy's "linear").
        let facts: Vec<_> = (1..=10)
            .map(|s| human("a", 2, Status::Approved, s))
            .collect();
        let c = report(&facts, &Filter::default()).cycle_time;
        assert_eq!(c.p50_seconds, Some(5.5));
        close(c.p90_seconds, 9.1);
        close(c.p99_seconds, 9.91);
        assert_eq!(c.mean_seconds, Some(5.5));
    }

    #[test]
    fn money_sums_are_exact_to_the_cent_and_below() {
        // 0.1 + 0.2 a thousand times each: floating point would drift, Decimal does not.
        let mut facts = Vec::new();
        for i in 0..2000 {
            let mut r = req("a", 2, Route::Auto, Status::Approved);
            r.cost_usd = if i % 2 == 0 { dec("0.1") } else { dec("0.2") };
            facts.push(r);
        }
        let mut tiny = req("a", 3, Route::Auto, Status::Approved);
        tiny.cost_usd = dec("0.00000001");
        facts.push(tiny);
        let r = report(&facts, &Filter::default());
        assert_eq!(r.cost.ai_cost_usd, dec("300.00000001"));
        assert_eq!(r.series[0].ai_cost_usd, dec("300"));
        assert_eq!(r.series[1].ai_cost_usd, dec("0.00000001"));
        // Review cost: no decisions; total = ai; per request = total / 2001, to 4 places.
        assert_eq!(r.cost.review_cost_usd, Decimal::ZERO);
        assert_eq!(r.cost.total_cost_usd, dec("300.00000001"));
        assert_eq!(r.cost.cost_per_request_usd, Some(dec("0.1499")));
    }

    #[test]
    fn cost_and_roi_use_each_workflows_settings() {
        let mut a = req("a", 2, Route::Auto, Status::Approved);
        a.cost_usd = dec("1.50");
        let mut b = human("b", 2, Status::Approved, 30);
        b.decisions = 3;
        b.cost_usd = dec("0.25");
        let settings = HashMap::from([
            ("a".to_owned(), RoiSettings::default()),
            (
                "b".to_owned(),
                RoiSettings {
                    minutes_saved_per_auto: 1.0,
                    minutes_saved_per_assisted: 12.0,
                    reviewer_minutes_per_decision: 4.0,
                    hourly_rate_usd: dec("90.00"),
                },
            ),
            ("idle".to_owned(), RoiSettings::default()),
        ]);
        let r = compute(&frame_of(&[a, b]), &settings, &Filter::default(), at(28, 0)).unwrap();
        let keys: Vec<_> = r
            .by_workflow
            .iter()
            .map(|w| w.workflow_key.as_str())
            .collect();
        assert_eq!(keys, ["a", "b", "idle"]);
        let (wa, wb, idle) = (&r.by_workflow[0], &r.by_workflow[1], &r.by_workflow[2]);
        // a: 1 auto × 10 min at $60/h = $10 saved; no review; cost 1.50.
        assert_eq!(wa.cost.review_cost_usd, Decimal::ZERO);
        assert_eq!(wa.roi.hours_saved, 10.0 / 60.0);
        assert_eq!(wa.roi.value_saved_usd, dec("10.00"));
        assert_eq!(wa.roi.net_value_usd, dec("8.5"));
        close(wa.roi.roi, 8.5 / 1.5);
        // b: 3 decisions × 4 min at $90/h = $18 review; 1 assisted × 12 min = $18 saved.
        assert_eq!(wb.cost.review_cost_usd, dec("18.00"));
        assert_eq!(wb.cost.total_cost_usd, dec("18.25"));
        assert_eq!(wb.roi.value_saved_usd, dec("18.00"));
        assert_eq!(wb.roi.net_value_usd, dec("-0.25"));
        // A workflow without requests: zero counts, null rates, no ROI.
        assert_eq!(idle.totals, Totals::default());
        assert_eq!((idle.auto_approval_rate, idle.roi.roi), (None, None));
        // Overall: sums of the workflows.
        assert_eq!(r.cost.ai_cost_usd, dec("1.75"));
        assert_eq!(r.cost.review_cost_usd, dec("18.00"));
        assert_eq!(r.cost.total_cost_usd, dec("19.75"));
        assert_eq!(r.cost.cost_per_request_usd, Some(dec("9.875")));
        assert_eq!(r.roi.value_saved_usd, dec("28.00"));
        assert_eq!(r.roi.net_value_usd, dec("8.25"));
        assert_eq!(r.roi.hours_saved, 10.0 / 60.0 + 12.0 / 60.0);
        close(r.roi.roi, 8.25 / 19.75);
    }

    #[test]
    fn sla_breaches_count_late_decisions_and_steps_still_open_past_due() {
        let mut on_time = human("a", 2, Status::Approved, 60);
        on_time.steps_opened = 2;
        let mut late = human("a", 2, Status::Approved, 60);
        late.steps_opened = 2;
        late.steps_breached = 1;
        let mut open_overdue = req("a", 3, Route::Human, Status::Pending);
        open_overdue.steps_opened = 1;
        open_overdue.open_step_due = Some(at(27, 0));
        let mut open_in_time = req("a", 3, Route::Human, Status::Pending);
        open_in_time.steps_opened = 1;
        open_in_time.open_step_due = Some(at(28, 1));
        let r = report(
            &[on_time, late, open_overdue, open_in_time],
            &Filter::default(),
        );
        assert_eq!(r.sla_breach_rate, Some(2.0 / 6.0));
    }

    #[test]
    fn filter_narrows_by_workflow_and_half_open_range() {
        let facts = vec![
            req("a", 1, Route::Auto, Status::Approved),
            req("a", 2, Route::Auto, Status::Approved),
            req("b", 2, Route::Auto, Status::Approved),
            req("a", 3, Route::Auto, Status::Approved),
        ];
        let filter = Filter {
            workflow_keys: Some(vec!["a".into(), "unknown".into()]),
            from: Some(at(2, 0)),
            to: Some(at(3, 9)), // the day-3 request at 09:00 is excluded: `to` is exclusive
            granularity: Granularity::Day,
        };
        let r = report(&facts, &filter);
        assert_eq!(r.totals.submitted, 1);
        // The series runs from `from` to `to` (day 2 and day 3, the latter empty).
        assert_eq!(r.series.len(), 2);
        assert_eq!(r.series[0].bucket_start, at(2, 0));
        assert_eq!(r.series[1].bucket_start, at(3, 0));
        assert_eq!((r.series[0].submitted, r.series[1].submitted), (1, 0));
        assert_eq!(r.series[1].p50_cycle_seconds, None);
        // Only "a" is reported per workflow (no settings known: only workflows with rows).
        assert_eq!(r.by_workflow.len(), 1);
        // A filter naming only unknown workflows matches nothing.
        let none = Filter {
            workflow_keys: Some(vec!["zzz".into()]),
            ..Filter::default()
        };
        assert_eq!(report(&facts, &none).totals.submitted, 0);
    }

    #[test]
    fn many_workflow_keys_cost_linear_time() {
        // 3,000 keys, repeats and unknown ones among them, over 40 workflows: before, each key
        // added a link to one OR chain and this took minutes (super-linear in the keys).
        let facts: Vec<_> = (0..4_000)
            .map(|i| req(&format!("wf{}", i % 40), 2, Route::Auto, Status::Approved))
            .collect();
        let keys: Vec<String> = (0..3_000)
            .map(|i| match i % 3 {
                0 => format!("wf{}", i % 20),
                1 => format!("unknown{i}"),
                _ => "wf0".to_owned(),
            })
            .collect();
        let filter = Filter {
            workflow_keys: Some(keys),
            ..Filter::default()
        };
        let started = std::time::Instant::now();
        let r = report(&facts, &filter);
        // wf0..wf19, 100 requests each.
        assert_eq!(r.totals.submitted, 2_000);
        assert_eq!(r.by_workflow.len(), 20);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn any_of_is_balanced_and_exact() {
        let facts: Vec<_> = (0..7)
            .map(|i| req(&format!("w{i}"), 2, Route::Auto, Status::Approved))
            .collect();
        for n in 0..=7 {
            let filter = Filter {
                workflow_keys: Some((0..n).map(|i| format!("w{i}")).collect()),
                ..Filter::default()
            };
            assert_eq!(report(&facts, &filter).totals.submitted, n as u64);
        }
    }

    #[test]
    fn weeks_start_monday_and_months_on_the_first() {
        // 2026-03-01 is a Sunday, 2026-03-02 a Monday.
        let facts = vec![
            req("a", 1, Route::Auto, Status::Approved),
            req("a", 2, Route::Auto, Status::Approved),
            req("a", 8, Route::Auto, Status::Approved),
            req("a", 9, Route::Auto, Status::Approved),
        ];
        let weekly = report(
            &facts,
            &Filter {
                granularity: Granularity::Week,
                ..Filter::default()
            },
        );
        let starts: Vec<_> = weekly
            .series
            .iter()
            .map(|p| (p.bucket_start, p.submitted))
            .collect();
        assert_eq!(
            starts,
            vec![
                (Utc.with_ymd_and_hms(2026, 2, 23, 0, 0, 0).unwrap(), 1),
                (at(2, 0), 2),
                (at(9, 0), 1)
            ]
        );
        let monthly = report(
            &facts,
            &Filter {
                granularity: Granularity::Month,
                ..Filter::default()
            },
        );
        assert_eq!(monthly.series.len(), 1);
        assert_eq!(monthly.series[0].bucket_start, at(1, 0));
        assert_eq!(monthly.series[0].submitted, 4);
        for g in [Granularity::Day, Granularity::Week, Granularity::Month] {
            for day in 1..=28 {
                let t = at(day, 13);
                let b = bucket_start(g, bucket_of(g, t));
                assert!(b <= t && t - b < Duration::days(31), "{g:?} {t}");
            }
        }
    }

    #[test]
    fn upsert_replaces_a_changed_request() {
        let mut r = human("a", 2, Status::Approved, 10);
        let mut rows = RequestRows::default();
        rows.upsert(&req("a", 2, Route::Human, Status::Pending))
            .unwrap();
        let first = req("a", 2, Route::Human, Status::Pending);
        rows.upsert(&first).unwrap();
        r.id = first.id;
        rows.upsert(&r).unwrap();
        assert_eq!(rows.len(), 2);
        let frame = Frame {
            df: rows.to_frame().unwrap(),
            workflows: rows.workflows.values().to_vec(),
            reasons: rows.reasons.values().to_vec(),
        };
        let rep = compute(&frame, &HashMap::new(), &Filter::default(), at(28, 0)).unwrap();
        assert_eq!((rep.totals.pending, rep.totals.human_approved), (1, 1));
    }

    #[test]
    fn bad_ranges_are_refused() {
        let backwards = Filter {
            from: Some(at(3, 0)),
            to: Some(at(2, 0)),
            ..Filter::default()
        };
        assert!(matches!(
            compute(&frame_of(&[]), &HashMap::new(), &backwards, at(28, 0)),
            Err(AnalyticsError::Range(_))
        ));
        let huge = Filter {
            from: Some(Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).unwrap()),
            to: Some(at(2, 0)),
            ..Filter::default()
        };
        assert!(matches!(
            compute(&frame_of(&[]), &HashMap::new(), &huge, at(28, 0)),
            Err(AnalyticsError::Range(_))
        ));
    }
}
