//! One analytics row per request, kept column by column so a polars frame is built from it with a
//! copy per column. Rows are upserted by request id: a request that changes (decided, executed,
//! sampled…) replaces its row in place; a new one is appended.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use polars::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::AnalyticsError;

/// How a request was routed when it was submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Route {
    Auto = 0,
    Human = 1,
    Reject = 2,
}

/// Where a request is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Pending = 0,
    Approved = 1,
    Rejected = 2,
    Expired = 3,
    Cancelled = 4,
    Executed = 5,
    ExecutionFailed = 6,
    RolledBack = 7,
}

/// Money is held in units of 10⁻⁸ USD (the finest a cost may be given in), as polars
/// `Decimal(38, 8)`: sums are exact.
pub const MONEY_SCALE: u32 = 8;

/// What the analytics need of one request, resolved from its row, steps and decisions.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestFacts {
    pub id: Uuid,
    pub workflow_key: String,
    pub submitted_at: DateTime<Utc>,
    pub route: Route,
    pub status: Status,
    /// The final action differs from the AI's draft.
    pub edited: bool,
    /// costUsd (zero when not given).
    pub cost_usd: Decimal,
    /// Picked for QA sampling.
    pub sampled: bool,
    /// The QA verdict was INCORRECT.
    pub sampled_incorrect: bool,
    /// Why it was rejected (the person's reasonCode, or the REJECT rule's).
    pub reason_code: Option<String>,
    /// When a person made the final decision (human-routed requests that were approved or
    /// rejected by people).
    pub human_decided_at: Option<DateTime<Utc>>,
    /// Human decisions (votes) recorded on it.
    pub decisions: u32,
    /// Human steps that were opened.
    pub steps_opened: u32,
    /// Opened steps that closed after their due time.
    pub steps_breached: u32,
    /// Due time of the step open now, if it has one: it breaches once the clock passes it.
    pub open_step_due: Option<DateTime<Utc>>,
}

/// Column names of the request frame.
pub mod col {
    pub const WORKFLOW: &str = "workflow";
    pub const SUBMITTED_US: &str = "submitted_us";
    pub const DAY: &str = "day";
    pub const WEEK: &str = "week";
    pub const MONTH: &str = "month";
    pub const ROUTE: &str = "route";
    pub const STATUS: &str = "status";
    pub const EDITED: &str = "edited";
    pub const COST: &str = "cost";
    pub const SAMPLED: &str = "sampled";
    pub const INCORRECT: &str = "incorrect";
    pub const REASON: &str = "reason";
    pub const CYCLE_S: &str = "cycle_s";
    pub const DECISIONS: &str = "decisions";
    pub const STEPS_OPENED: &str = "steps_opened";
    pub const STEPS_BREACHED: &str = "steps_breached";
    pub const OPEN_DUE_US: &str = "open_due_us";
}

/// Interns strings as dense `u32` codes (workflow keys, reason codes).
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    codes: HashMap<String, u32>,
    values: Vec<String>,
}

impl Dictionary {
    /// The code of `value`, adding it when new.
    pub fn intern(&mut self, value: &str) -> u32 {
        if let Some(code) = self.codes.get(value) {
            return *code;
        }
        let code = self.values.len() as u32;
        self.values.push(value.to_owned());
        self.codes.insert(value.to_owned(), code);
        code
    }

    /// The code of `value`, if it was ever interned.
    pub fn code(&self, value: &str) -> Option<u32> {
        self.codes.get(value).copied()
    }

    /// The value of `code`.
    pub fn value(&self, code: u32) -> Option<&str> {
        self.values.get(code as usize).map(String::as_str)
    }

    /// Every value, by code.
    pub fn values(&self) -> &[String] {
        &self.values
    }
}

/// Days since 1970-01-01 (UTC) of an instant.
pub fn day_index(at: DateTime<Utc>) -> i32 {
    at.timestamp().div_euclid(86_400) as i32
}

/// Index of the Monday-started week holding `day` (1970-01-01 was a Thursday).
pub fn week_index(day: i32) -> i32 {
    (day + 3).div_euclid(7)
}

/// Months since January 1970 of an instant.
pub fn month_index(at: DateTime<Utc>) -> i32 {
    (at.year() - 1970) * 12 + at.month0() as i32
}

/// The request rows of one tenant, column by column, upserted by request id.
#[derive(Clone, Debug, Default)]
pub struct RequestRows {
    index: HashMap<Uuid, usize>,
    pub workflows: Dictionary,
    pub reasons: Dictionary,
    workflow: Vec<u32>,
    submitted_us: Vec<i64>,
    day: Vec<i32>,
    week: Vec<i32>,
    month: Vec<i32>,
    route: Vec<u32>,
    status: Vec<u32>,
    edited: Vec<bool>,
    cost: Vec<i128>,
    sampled: Vec<bool>,
    incorrect: Vec<bool>,
    reason: Vec<Option<u32>>,
    cycle_s: Vec<Option<f64>>,
    decisions: Vec<u32>,
    steps_opened: Vec<u32>,
    steps_breached: Vec<u32>,
    open_due_us: Vec<Option<i64>>,
}

impl RequestRows {
    /// Number of requests held.
    pub fn len(&self) -> usize {
        self.workflow.len()
    }

    /// True when no request is held.
    pub fn is_empty(&self) -> bool {
        self.workflow.is_empty()
    }

    /// Adds the request, or replaces its row when it is already held.
    pub fn upsert(&mut self, facts: &RequestFacts) -> Result<(), AnalyticsError> {
        let workflow = self.workflows.intern(&facts.workflow_key);
        let reason = facts.reason_code.as_deref().map(|r| self.reasons.intern(r));
        let submitted_us = facts.submitted_at.timestamp_micros();
        let day = day_index(facts.submitted_at);
        let cost = money_units(facts.cost_usd)?;
        let cycle_s = facts.human_decided_at.map(|at| {
            (at - facts.submitted_at)
                .num_microseconds()
                .unwrap_or(i64::MAX) as f64
                / 1e6
        });
        let open_due_us = facts.open_step_due.map(|d| d.timestamp_micros());
        let i = match self.index.get(&facts.id) {
            Some(i) => *i,
            None => {
                let i = self.len();
                self.index.insert(facts.id, i);
                self.workflow.push(0);
                self.submitted_us.push(0);
                self.day.push(0);
                self.week.push(0);
                self.month.push(0);
                self.route.push(0);
                self.status.push(0);
                self.edited.push(false);
                self.cost.push(0);
                self.sampled.push(false);
                self.incorrect.push(false);
                self.reason.push(None);
                self.cycle_s.push(None);
                self.decisions.push(0);
                self.steps_opened.push(0);
                self.steps_breached.push(0);
                self.open_due_us.push(None);
                i
            }
        };
        self.workflow[i] = workflow;
        self.submitted_us[i] = submitted_us;
        self.day[i] = day;
        self.week[i] = week_index(day);
        self.month[i] = month_index(facts.submitted_at);
        self.route[i] = facts.route as u32;
        self.status[i] = facts.status as u32;
        self.edited[i] = facts.edited;
        self.cost[i] = cost;
        self.sampled[i] = facts.sampled;
        self.incorrect[i] = facts.sampled_incorrect;
        self.reason[i] = reason;
        self.cycle_s[i] = cycle_s;
        self.decisions[i] = facts.decisions;
        self.steps_opened[i] = facts.steps_opened;
        self.steps_breached[i] = facts.steps_breached;
        self.open_due_us[i] = open_due_us;
        Ok(())
    }

    /// The rows as a polars frame (one copy per column).
    pub fn to_frame(&self) -> Result<DataFrame, AnalyticsError> {
        use col::*;
        let cost = Int128Chunked::from_vec(COST.into(), self.cost.clone())
            .into_decimal_unchecked(38, MONEY_SCALE as usize)
            .into_series();
        let frame = DataFrame::new(
            self.len(),
            vec![
                Column::new(WORKFLOW.into(), &self.workflow),
                Column::new(SUBMITTED_US.into(), &self.submitted_us),
                Column::new(DAY.into(), &self.day),
                Column::new(WEEK.into(), &self.week),
                Column::new(MONTH.into(), &self.month),
                Column::new(ROUTE.into(), &self.route),
                Column::new(STATUS.into(), &self.status),
                Column::new(EDITED.into(), &self.edited),
                cost.into_column(),
                Column::new(SAMPLED.into(), &self.sampled),
                Column::new(INCORRECT.into(), &self.incorrect),
                Column::new(REASON.into(), &self.reason),
                Column::new(CYCLE_S.into(), &self.cycle_s),
                Column::new(DECISIONS.into(), &self.decisions),
                Column::new(STEPS_OPENED.into(), &self.steps_opened),
                Column::new(STEPS_BREACHED.into(), &self.steps_breached),
                Column::new(OPEN_DUE_US.into(), &self.open_due_us),
            ],
        )?;
        Ok(frame)
    }
}

/// A money amount in units of 10⁻⁸ USD; more decimals than that is an error (submissions are
/// validated to at most 8).
pub fn money_units(amount: Decimal) -> Result<i128, AnalyticsError> {
    let mut scaled = amount;
    scaled.rescale(MONEY_SCALE);
    if scaled != amount {
        return Err(AnalyticsError::Data(format!(
            "money amount {amount} has more than {MONEY_SCALE} decimals"
        )));
    }
    Ok(scaled.mantissa())
}

/// A sum in units of 10⁻⁸ USD back as a Decimal.
pub fn money_from_units(units: i128) -> Result<Decimal, AnalyticsError> {
    Decimal::try_from_i128_with_scale(units, MONEY_SCALE)
        .map(|d| d.normalize())
        .map_err(|_| AnalyticsError::Data(format!("money sum {units}e-8 is out of range")))
}
