//! One analytics row per request, kept column by column in the buffers polars reads: a frame
//! built from the rows shares their columns instead of copying them. Rows are upserted by request
//! id: a request that changes (decided, executed, sampled…) is rewritten in place, a new one is
//! appended.
//!
//! A column is written in place while no frame holds it. A write while a frame (a report being
//! computed) still holds it copies that column first: copy on write, per column.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::datatypes::ArrowDataType;
use polars_arrow::types::NativeType;
use polars_buffer::Buffer;
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

/// The `reason` code of a request without a reason.
pub const NO_REASON: u32 = u32::MAX;

/// The `open_due_us` of a request without an open step with a due time: never before now.
pub const NO_DUE: i64 = i64::MAX;

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

/// A column of fixed-width values: owned while it is written, lent to frames without a copy.
#[derive(Clone, Debug, Default)]
struct Values<T> {
    owned: Vec<T>,
    /// The values, when a frame was built since the last write (`owned` is then empty).
    lent: Option<Buffer<T>>,
}

impl<T: NativeType> Values<T> {
    fn with_capacity(n: usize) -> Self {
        Values {
            owned: Vec::with_capacity(n),
            lent: None,
        }
    }

    /// The values to write: taken back from the frames without a copy when none holds them
    /// any more, copied when one does.
    fn write(&mut self) -> &mut Vec<T> {
        if let Some(lent) = self.lent.take() {
            self.owned = lent.to_vec();
        }
        &mut self.owned
    }

    /// The values for a frame (no copy).
    fn lend(&mut self) -> Buffer<T> {
        let owned = &mut self.owned;
        self.lent
            .get_or_insert_with(|| Buffer::from_vec(std::mem::take(owned)))
            .clone()
    }

    /// A polars column of the values, with `validity` (true = not null) if given.
    fn column<P>(&mut self, name: &str, dtype: ArrowDataType, validity: Option<Bitmap>) -> Column
    where
        P: PolarsNumericType<Native = T>,
        ChunkedArray<P>: IntoSeries,
    {
        let array = PrimitiveArray::new(dtype, self.lend(), validity);
        ChunkedArray::<P>::with_chunk(name.into(), array)
            .into_series()
            .into_column()
    }
}

/// A column of booleans, packed as bits: owned while it is written, lent to frames.
#[derive(Clone, Debug, Default)]
struct Flags {
    owned: MutableBitmap,
    lent: Option<Bitmap>,
}

impl Flags {
    fn with_capacity(n: usize) -> Self {
        Flags {
            owned: MutableBitmap::with_capacity(n),
            lent: None,
        }
    }

    fn write(&mut self) -> &mut MutableBitmap {
        if let Some(lent) = self.lent.take() {
            self.owned = lent.make_mut();
        }
        &mut self.owned
    }

    fn lend(&mut self) -> Bitmap {
        let owned = &mut self.owned;
        self.lent
            .get_or_insert_with(|| std::mem::take(owned).into())
            .clone()
    }

    fn column(&mut self, name: &str) -> Column {
        BooleanChunked::from_bitmap(name.into(), self.lend())
            .into_series()
            .into_column()
    }
}

/// Finds a request's row by id without a hash map over every request: the ids in row order,
/// searched by bisection (directly when they are in id order, as a full load usually reads them,
/// or through a permutation sorting them), and a map of the rows added since.
#[derive(Clone, Debug, Default)]
struct IdIndex {
    /// Id of each row.
    ids: Vec<Uuid>,
    /// Rows `0..searchable` are searched by bisection; later ones are in `recent`.
    searchable: usize,
    /// Those rows ordered by id, unless their ids are in order already.
    permutation: Option<Vec<u32>>,
    /// Rows added after the last sort.
    recent: HashMap<Uuid, u32>,
}

impl IdIndex {
    fn with_capacity(n: usize) -> Self {
        IdIndex {
            ids: Vec::with_capacity(n),
            ..IdIndex::default()
        }
    }

    fn get(&self, id: &Uuid) -> Option<usize> {
        if let Some(row) = self.recent.get(id) {
            return Some(*row as usize);
        }
        let searchable = self.ids.get(..self.searchable)?;
        match &self.permutation {
            None => searchable.binary_search(id).ok(),
            Some(order) => {
                let at = order
                    .binary_search_by(|row| {
                        searchable
                            .get(*row as usize)
                            .map_or(std::cmp::Ordering::Less, |held| held.cmp(id))
                    })
                    .ok()?;
                order.get(at).map(|row| *row as usize)
            }
        }
    }

    /// Adds a row for `id`, which no row has.
    fn push(&mut self, id: Uuid) {
        let row = self.ids.len() as u32;
        self.ids.push(id);
        self.recent.insert(id, row);
        // Sorting again costs a pass over every row: do it once the map holds a sixteenth of
        // them (and at least a few thousand), so each new row pays a constant share.
        if self.recent.len() > 4096 && self.recent.len() * 16 > self.ids.len() {
            self.sort();
        }
    }

    /// Adds a row for `id`, which no row has, without indexing it: for a bulk load, which
    /// [`IdIndex::sort`]s once at the end.
    fn push_unindexed(&mut self, id: Uuid) {
        self.ids.push(id);
    }

    /// Makes every row searchable by bisection.
    fn sort(&mut self) {
        self.permutation = if self.ids.is_sorted() {
            None
        } else {
            let mut pairs: Vec<(Uuid, u32)> = self.ids.iter().copied().zip(0u32..).collect();
            pairs.sort_unstable();
            Some(pairs.into_iter().map(|(_, row)| row).collect())
        };
        self.searchable = self.ids.len();
        self.recent.clear();
    }
}

/// The request rows of one tenant, column by column, upserted by request id.
///
/// Codes and counts are the smallest integers that hold them: route and status fit a byte; day,
/// week and month indexes (since 1970) two bytes until 2149; a request has at most 10 steps with
/// quorums of at most 50, so its decisions and steps fit two bytes.
#[derive(Clone, Debug, Default)]
pub struct RequestRows {
    index: IdIndex,
    pub workflows: Dictionary,
    pub reasons: Dictionary,
    workflow: Values<u32>,
    submitted_us: Values<i64>,
    day: Values<u16>,
    week: Values<u16>,
    month: Values<u16>,
    route: Values<u8>,
    status: Values<u8>,
    edited: Flags,
    cost: Values<i128>,
    sampled: Flags,
    incorrect: Flags,
    reason: Values<u32>,
    cycle_s: Values<f64>,
    has_cycle: Flags,
    decisions: Values<u16>,
    steps_opened: Values<u16>,
    steps_breached: Values<u16>,
    open_due_us: Values<i64>,
}

/// One row's values, converted for the columns.
struct Row {
    workflow: u32,
    submitted_us: i64,
    day: u16,
    week: u16,
    month: u16,
    route: u8,
    status: u8,
    edited: bool,
    cost: i128,
    sampled: bool,
    incorrect: bool,
    reason: u32,
    cycle_s: Option<f64>,
    decisions: u16,
    steps_opened: u16,
    steps_breached: u16,
    open_due_us: i64,
}

fn small(value: i32, what: &str, id: Uuid) -> Result<u16, AnalyticsError> {
    u16::try_from(value).map_err(|_| {
        AnalyticsError::Data(format!(
            "request {id}: its {what} index {value} is outside 1970-2149"
        ))
    })
}

fn count(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

impl RequestRows {
    /// Empty rows with room for `n` requests.
    pub fn with_capacity(n: usize) -> Self {
        RequestRows {
            index: IdIndex::with_capacity(n),
            workflows: Dictionary::default(),
            reasons: Dictionary::default(),
            workflow: Values::with_capacity(n),
            submitted_us: Values::with_capacity(n),
            day: Values::with_capacity(n),
            week: Values::with_capacity(n),
            month: Values::with_capacity(n),
            route: Values::with_capacity(n),
            status: Values::with_capacity(n),
            edited: Flags::with_capacity(n),
            cost: Values::with_capacity(n),
            sampled: Flags::with_capacity(n),
            incorrect: Flags::with_capacity(n),
            reason: Values::with_capacity(n),
            cycle_s: Values::with_capacity(n),
            has_cycle: Flags::with_capacity(n),
            decisions: Values::with_capacity(n),
            steps_opened: Values::with_capacity(n),
            steps_breached: Values::with_capacity(n),
            open_due_us: Values::with_capacity(n),
        }
    }

    /// Number of requests held.
    pub fn len(&self) -> usize {
        self.index.ids.len()
    }

    /// True when no request is held.
    pub fn is_empty(&self) -> bool {
        self.index.ids.is_empty()
    }

    fn row(&mut self, facts: &RequestFacts) -> Result<Row, AnalyticsError> {
        let day = day_index(facts.submitted_at);
        Ok(Row {
            workflow: self.workflows.intern(&facts.workflow_key),
            submitted_us: facts.submitted_at.timestamp_micros(),
            day: small(day, "day", facts.id)?,
            week: small(week_index(day), "week", facts.id)?,
            month: small(month_index(facts.submitted_at), "month", facts.id)?,
            route: facts.route as u8,
            status: facts.status as u8,
            edited: facts.edited,
            cost: money_units(facts.cost_usd)?,
            sampled: facts.sampled,
            incorrect: facts.sampled_incorrect,
            reason: facts
                .reason_code
                .as_deref()
                .map_or(NO_REASON, |r| self.reasons.intern(r)),
            cycle_s: facts.human_decided_at.map(|at| {
                (at - facts.submitted_at)
                    .num_microseconds()
                    .unwrap_or(i64::MAX) as f64
                    / 1e6
            }),
            decisions: count(facts.decisions),
            steps_opened: count(facts.steps_opened),
            steps_breached: count(facts.steps_breached),
            open_due_us: facts.open_step_due.map_or(NO_DUE, |d| d.timestamp_micros()),
        })
    }

    fn push_row(&mut self, r: Row) {
        self.workflow.write().push(r.workflow);
        self.submitted_us.write().push(r.submitted_us);
        self.day.write().push(r.day);
        self.week.write().push(r.week);
        self.month.write().push(r.month);
        self.route.write().push(r.route);
        self.status.write().push(r.status);
        self.edited.write().push(r.edited);
        self.cost.write().push(r.cost);
        self.sampled.write().push(r.sampled);
        self.incorrect.write().push(r.incorrect);
        self.reason.write().push(r.reason);
        self.cycle_s.write().push(r.cycle_s.unwrap_or(0.0));
        self.has_cycle.write().push(r.cycle_s.is_some());
        self.decisions.write().push(r.decisions);
        self.steps_opened.write().push(r.steps_opened);
        self.steps_breached.write().push(r.steps_breached);
        self.open_due_us.write().push(r.open_due_us);
    }

    fn set_row(&mut self, i: usize, r: Row) {
        fn set<T: NativeType>(values: &mut Values<T>, i: usize, v: T) {
            if let Some(slot) = values.write().get_mut(i) {
                *slot = v;
            }
        }
        fn set_flag(flags: &mut Flags, i: usize, v: bool) {
            let bits = flags.write();
            if i < bits.len() {
                bits.set(i, v);
            }
        }
        set(&mut self.workflow, i, r.workflow);
        set(&mut self.submitted_us, i, r.submitted_us);
        set(&mut self.day, i, r.day);
        set(&mut self.week, i, r.week);
        set(&mut self.month, i, r.month);
        set(&mut self.route, i, r.route);
        set(&mut self.status, i, r.status);
        set_flag(&mut self.edited, i, r.edited);
        set(&mut self.cost, i, r.cost);
        set_flag(&mut self.sampled, i, r.sampled);
        set_flag(&mut self.incorrect, i, r.incorrect);
        set(&mut self.reason, i, r.reason);
        set(&mut self.cycle_s, i, r.cycle_s.unwrap_or(0.0));
        set_flag(&mut self.has_cycle, i, r.cycle_s.is_some());
        set(&mut self.decisions, i, r.decisions);
        set(&mut self.steps_opened, i, r.steps_opened);
        set(&mut self.steps_breached, i, r.steps_breached);
        set(&mut self.open_due_us, i, r.open_due_us);
    }

    /// Adds the request, or rewrites its row when it is already held.
    pub fn upsert(&mut self, facts: &RequestFacts) -> Result<(), AnalyticsError> {
        let row = self.row(facts)?;
        match self.index.get(&facts.id) {
            Some(i) => self.set_row(i, row),
            None => {
                self.index.push(facts.id);
                self.push_row(row);
            }
        }
        Ok(())
    }

    /// Adds a request no row has, leaving it out of the id index until [`RequestRows::seal`]:
    /// for loading every request of a tenant, whose ids the database keeps unique.
    pub fn append_new(&mut self, facts: &RequestFacts) -> Result<(), AnalyticsError> {
        let row = self.row(facts)?;
        self.index.push_unindexed(facts.id);
        self.push_row(row);
        Ok(())
    }

    /// Indexes the rows added by [`RequestRows::append_new`].
    pub fn seal(&mut self) {
        self.index.sort();
    }

    /// The rows as a polars frame, sharing the columns (no copy of the values).
    pub fn to_frame(&mut self) -> Result<DataFrame, AnalyticsError> {
        use col::*;
        let height = self.len();
        let cycle_valid = self.has_cycle.lend();
        let cost = {
            let array = PrimitiveArray::new(ArrowDataType::Int128, self.cost.lend(), None);
            Int128Chunked::with_chunk(COST.into(), array)
                .into_decimal_unchecked(38, MONEY_SCALE as usize)
                .into_series()
                .into_column()
        };
        let frame = DataFrame::new(
            height,
            vec![
                self.workflow
                    .column::<UInt32Type>(WORKFLOW, ArrowDataType::UInt32, None),
                self.submitted_us
                    .column::<Int64Type>(SUBMITTED_US, ArrowDataType::Int64, None),
                self.day
                    .column::<UInt16Type>(DAY, ArrowDataType::UInt16, None),
                self.week
                    .column::<UInt16Type>(WEEK, ArrowDataType::UInt16, None),
                self.month
                    .column::<UInt16Type>(MONTH, ArrowDataType::UInt16, None),
                self.route
                    .column::<UInt8Type>(ROUTE, ArrowDataType::UInt8, None),
                self.status
                    .column::<UInt8Type>(STATUS, ArrowDataType::UInt8, None),
                self.edited.column(EDITED),
                cost,
                self.sampled.column(SAMPLED),
                self.incorrect.column(INCORRECT),
                self.reason
                    .column::<UInt32Type>(REASON, ArrowDataType::UInt32, None),
                self.cycle_s.column::<Float64Type>(
                    CYCLE_S,
                    ArrowDataType::Float64,
                    Some(cycle_valid),
                ),
                self.decisions
                    .column::<UInt16Type>(DECISIONS, ArrowDataType::UInt16, None),
                self.steps_opened
                    .column::<UInt16Type>(STEPS_OPENED, ArrowDataType::UInt16, None),
                self.steps_breached.column::<UInt16Type>(
                    STEPS_BREACHED,
                    ArrowDataType::UInt16,
                    None,
                ),
                self.open_due_us
                    .column::<Int64Type>(OPEN_DUE_US, ArrowDataType::Int64, None),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(n: u32) -> RequestFacts {
        RequestFacts {
            id: Uuid::now_v7(),
            workflow_key: format!("wf-{}", n % 3),
            submitted_at: DateTime::from_timestamp(1_780_000_000 + i64::from(n), 0)
                .unwrap_or_default(),
            route: Route::Human,
            status: Status::Pending,
            edited: false,
            cost_usd: Decimal::new(i64::from(n), 2),
            sampled: false,
            sampled_incorrect: false,
            reason_code: None,
            human_decided_at: None,
            decisions: 0,
            steps_opened: 1,
            steps_breached: 0,
            open_step_due: None,
        }
    }

    fn statuses(df: &DataFrame) -> Vec<u8> {
        df.column(col::STATUS)
            .unwrap()
            .u8()
            .unwrap()
            .into_no_null_iter()
            .collect()
    }

    #[test]
    fn rows_are_found_by_id_whatever_order_they_were_loaded_in() {
        let mut loaded: Vec<RequestFacts> = (0..100).map(facts).collect();
        loaded.swap(3, 70);
        for in_order in [true, false] {
            let mut rows = RequestRows::default();
            let order: Vec<&RequestFacts> = if in_order {
                let mut sorted: Vec<&RequestFacts> = loaded.iter().collect();
                sorted.sort_by_key(|f| f.id);
                sorted
            } else {
                loaded.iter().collect()
            };
            for f in &order {
                rows.append_new(f).unwrap();
            }
            rows.seal();
            assert_eq!(rows.index.permutation.is_none(), in_order);
            for (i, f) in order.iter().enumerate() {
                assert_eq!(rows.index.get(&f.id), Some(i));
            }
        }
    }

    #[test]
    fn rows_are_found_by_id_after_a_bulk_load_and_after_many_additions() {
        let mut rows = RequestRows::with_capacity(10);
        let loaded: Vec<RequestFacts> = (0..10).map(facts).collect();
        for f in &loaded {
            rows.append_new(f).unwrap();
        }
        rows.seal();
        // Enough additions that the index sorts itself again on the way.
        let added: Vec<RequestFacts> = (10..9_000).map(facts).collect();
        for f in &added {
            rows.upsert(f).unwrap();
        }
        for (i, f) in loaded.iter().chain(&added).enumerate() {
            assert_eq!(rows.index.get(&f.id), Some(i), "row of request {i}");
        }
        assert_eq!(rows.index.get(&Uuid::now_v7()), None);
        // Rewriting any of them replaces its row; none is added.
        for f in [&loaded[3], &added[0], &added[8_000]] {
            let mut changed = f.clone();
            changed.status = Status::Approved;
            rows.upsert(&changed).unwrap();
        }
        assert_eq!(rows.len(), 9_000);
        let s = statuses(&rows.to_frame().unwrap());
        let approved: Vec<usize> = (0..s.len())
            .filter(|i| s[*i] == Status::Approved as u8)
            .collect();
        assert_eq!(approved, vec![3, 10, 8_010]);
    }

    #[test]
    fn a_frame_keeps_its_values_when_the_rows_change_after_it_was_built() {
        let mut rows = RequestRows::default();
        let first = facts(1);
        rows.upsert(&first).unwrap();
        let before = rows.to_frame().unwrap();
        let mut changed = first.clone();
        changed.status = Status::Rejected;
        changed.reason_code = Some("late".into());
        rows.upsert(&changed).unwrap();
        rows.upsert(&facts(2)).unwrap();
        // The frame built before is untouched (its columns were copied before the write)…
        assert_eq!(before.height(), 1);
        assert_eq!(statuses(&before), vec![Status::Pending as u8]);
        // …and one built now shows the change.
        let after = rows.to_frame().unwrap();
        assert_eq!(
            statuses(&after),
            vec![Status::Rejected as u8, Status::Pending as u8]
        );
        drop((before, after));
        // With no frame left, a write takes the columns back without copying them.
        let lent = rows.status.lend();
        let address = lent.as_slice().as_ptr();
        drop(lent);
        changed.status = Status::Approved;
        rows.upsert(&changed).unwrap();
        assert_eq!(rows.status.write().as_ptr(), address);
        assert_eq!(rows.status.write()[0], Status::Approved as u8);
    }
}
