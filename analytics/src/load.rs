//! Loading a tenant's requests, with what their steps and decisions add up to, from the database
//! in one statement, and keeping them current: [`TenantAnalytics`] holds the rows in memory and, on each refresh, reads
//! only the requests that audit events after its last `seq` touched.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use countersign_entity::enums::{RequestStatus, Route as DbRoute};
use countersign_entity::{approval_request, audit_event, tenant, workflow};
use futures::TryStreamExt;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, Iterable, PaginatorTrait,
    QueryFilter, QuerySelect, Statement, StreamTrait, Value,
};
use uuid::Uuid;

use crate::AnalyticsError;
use crate::compute::Frame;
use crate::report::RoiSettings;
use crate::rows::{RequestFacts, RequestRows, Route, Status};

/// Requests read per `IN (…)` query when refreshing a set of ids.
const ID_CHUNK: usize = 500;

/// Beyond this many touched requests a refresh reloads everything: one pass over the tables is
/// cheaper than many `IN` lookups.
const RELOAD_ABOVE: usize = 50_000;

/// A tenant's opened steps (`$1`): which is open now, its due time, when it was decided.
pub(crate) const STEPS_SQL: &str = "SELECT request_id, status = 'OPEN' AS open, due_at, decided_at \
     FROM approval_steps {not_indexed} WHERE tenant_id = $1 AND opened_at IS NOT NULL";

/// A tenant's votes: one row per APPROVE or REJECT decision.
pub(crate) const DECISIONS_SQL: &str = "SELECT request_id FROM decisions {not_indexed} \
     WHERE tenant_id = $1 AND decision IN ('APPROVE', 'REJECT')";

/// A tenant's requests, route and status as the codes of [`Route`] and [`Status`] (`{route}` and
/// `{status}` are CASE expressions made from the entities' enums).
const REQUESTS_SQL: &str = "SELECT id, workflow_key, {route}, {status}, \
     (edit_patch IS NOT NULL AND edit_patch <> '[]') AS edited, cost_usd, qa_sampled, \
     COALESCE(qa_verdict = 'INCORRECT', FALSE) AS incorrect, reason_code, submitted_at, \
     decided_at, updated_at \
     FROM approval_requests {not_indexed} WHERE tenant_id = $1";

/// A code no route or status has: the CASE expressions' ELSE.
const UNKNOWN: i32 = -1;

fn route(r: DbRoute) -> Route {
    match r {
        DbRoute::Auto => Route::Auto,
        DbRoute::Human => Route::Human,
        DbRoute::Reject => Route::Reject,
    }
}

fn status(s: RequestStatus) -> Status {
    match s {
        RequestStatus::Pending => Status::Pending,
        RequestStatus::Approved => Status::Approved,
        RequestStatus::Rejected => Status::Rejected,
        RequestStatus::Expired => Status::Expired,
        RequestStatus::Cancelled => Status::Cancelled,
        RequestStatus::Executed => Status::Executed,
        RequestStatus::ExecutionFailed => Status::ExecutionFailed,
        RequestStatus::RolledBack => Status::RolledBack,
    }
}

/// `CASE column WHEN '<stored value>' THEN <code> … ELSE -1 END` over every value of an enum.
fn case_of<E: ActiveEnum<Value = String> + Iterable>(
    column: &str,
    code: impl Fn(E) -> u8,
) -> String {
    let arms: String = E::iter()
        .map(|e| format!("WHEN '{}' THEN {} ", e.to_value(), code(e)))
        .collect();
    format!("CASE {column} {arms}ELSE {UNKNOWN} END")
}

/// The requests' statement, with the CASE expressions filled in.
pub(crate) fn requests_sql() -> String {
    REQUESTS_SQL
        .replace("{route}", &case_of::<DbRoute>("route", |r| route(r) as u8))
        .replace(
            "{status}",
            &case_of::<RequestStatus>("status", |s| status(s) as u8),
        )
}

fn route_of(code: i32, id: Uuid) -> Result<Route, AnalyticsError> {
    [Route::Auto, Route::Human, Route::Reject]
        .into_iter()
        .find(|r| *r as i32 == code)
        .ok_or_else(|| AnalyticsError::Data(format!("request {id}: unknown route")))
}

fn status_of(code: i32, id: Uuid) -> Result<Status, AnalyticsError> {
    [
        Status::Pending,
        Status::Approved,
        Status::Rejected,
        Status::Expired,
        Status::Cancelled,
        Status::Executed,
        Status::ExecutionFailed,
        Status::RolledBack,
    ]
    .into_iter()
    .find(|s| *s as i32 == code)
    .ok_or_else(|| AnalyticsError::Data(format!("request {id}: unknown status")))
}

/// What a request's opened steps and its votes add up to, folded as their rows stream in. Kept
/// small (one per request with steps, all held during a full load): counts in two bytes (a
/// request has at most 10 steps with quorums of at most 50), times in microseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tally {
    opened: u16,
    /// Closed by a decision after their due time.
    breached: u16,
    /// Closed without a decision (skipped when the request expired or was cancelled, so open
    /// until then), with a due time.
    undecided: u16,
    decisions: u16,
    /// Due time of the step open now ([`NO_TIME`] when none).
    open_due_us: i64,
    /// The latest due time of the undecided ones ([`NO_TIME`] when none). Steps open one at a
    /// time, so at most one opened step closes without a decision: comparing the request's end
    /// with this due time counts them exactly.
    undecided_due_us: i64,
}

/// No time, in a [`Tally`].
const NO_TIME: i64 = i64::MIN;

impl Default for Tally {
    fn default() -> Self {
        Tally {
            opened: 0,
            breached: 0,
            undecided: 0,
            decisions: 0,
            open_due_us: NO_TIME,
            undecided_due_us: NO_TIME,
        }
    }
}

/// The tallies of a tenant's requests (or some of them), by request.
#[derive(Debug, Default)]
pub(crate) struct Tallies(HashMap<Uuid, Tally>);

impl Tallies {
    pub(crate) fn step(
        &mut self,
        request: Uuid,
        open: bool,
        due: Option<DateTime<Utc>>,
        decided: Option<DateTime<Utc>>,
    ) {
        let t = self.0.entry(request).or_default();
        t.opened = t.opened.saturating_add(1);
        let Some(due) = due else { return };
        match (open, decided) {
            (true, _) => t.open_due_us = due.timestamp_micros(),
            (false, Some(decided)) => {
                t.breached = t.breached.saturating_add(u16::from(decided > due));
            }
            (false, None) => {
                t.undecided = t.undecided.saturating_add(1);
                t.undecided_due_us = t.undecided_due_us.max(due.timestamp_micros());
            }
        }
    }

    pub(crate) fn decision(&mut self, request: Uuid) {
        let t = self.0.entry(request).or_default();
        t.decisions = t.decisions.saturating_add(1);
    }

    pub(crate) fn take(&mut self, request: &Uuid) -> Tally {
        self.0.remove(request).unwrap_or_default()
    }
}

/// One request as read, before its tally is added.
pub(crate) struct RequestRow<'a> {
    pub(crate) id: Uuid,
    pub(crate) workflow_key: String,
    pub(crate) route: i32,
    pub(crate) status: i32,
    pub(crate) edited: bool,
    pub(crate) cost_usd: Option<&'a str>,
    pub(crate) sampled: bool,
    pub(crate) incorrect: bool,
    pub(crate) reason_code: Option<String>,
    pub(crate) submitted_at: DateTime<Utc>,
    pub(crate) decided_at: Option<DateTime<Utc>>,
    pub(crate) updated_at: DateTime<Utc>,
}

pub(crate) fn facts(r: RequestRow<'_>, t: Tally) -> Result<RequestFacts, AnalyticsError> {
    let cost_usd = match r.cost_usd {
        Some(c) => Decimal::from_str(c)
            .map_err(|_| AnalyticsError::Data(format!("request {}: costUsd {c:?}", r.id)))?,
        None => Decimal::ZERO,
    };
    let route = route_of(r.route, r.id)?;
    let status = status_of(r.status, r.id)?;
    let decided_by_people = route == Route::Human
        && matches!(
            status,
            Status::Approved
                | Status::Rejected
                | Status::Executed
                | Status::ExecutionFailed
                | Status::RolledBack
        );
    let late_undecided =
        if t.undecided_due_us != NO_TIME && r.updated_at.timestamp_micros() > t.undecided_due_us {
            t.undecided
        } else {
            0
        };
    Ok(RequestFacts {
        id: r.id,
        workflow_key: r.workflow_key,
        submitted_at: r.submitted_at,
        route,
        status,
        edited: r.edited,
        cost_usd,
        sampled: r.sampled,
        sampled_incorrect: r.incorrect,
        reason_code: r.reason_code,
        human_decided_at: if decided_by_people {
            r.decided_at
        } else {
            None
        },
        decisions: t.decisions.into(),
        steps_opened: t.opened.into(),
        steps_breached: u32::from(t.breached) + u32::from(late_undecided),
        open_step_due: (t.open_due_us != NO_TIME)
            .then(|| DateTime::from_timestamp_micros(t.open_due_us))
            .flatten(),
    })
}

/// `sql` for the tenant, narrowed to `ids` (by `id_column`) when given.
fn statement(
    backend: DbBackend,
    sql: &str,
    tenant_id: &str,
    ids: Option<&[Uuid]>,
    id_column: &str,
) -> Statement {
    let mut sql = sql.replace("{not_indexed}", "");
    let mut values: Vec<Value> = vec![tenant_id.into()];
    if let Some(ids) = ids {
        let list = (2..ids.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" AND {id_column} IN ({list})"));
        values.extend(ids.iter().map(|id| Value::from(*id)));
    }
    Statement::from_sql_and_values(backend, sql, values)
}

/// Reads the facts of a tenant's requests, all of them or those in `ids`, through the pool:
/// the steps and votes first, tallied per request, then the requests, each handed to `sink`
/// with its tally. Three plain scans; the database neither sorts nor joins.
async fn read_pooled<C, F>(
    db: &C,
    tenant_id: &str,
    ids: Option<&[Uuid]>,
    mut sink: F,
) -> Result<(), AnalyticsError>
where
    C: ConnectionTrait + StreamTrait,
    F: FnMut(RequestFacts) -> Result<(), AnalyticsError>,
{
    let backend = ConnectionTrait::get_database_backend(db);
    let mut tallies = Tallies::default();
    let stmt = statement(backend, STEPS_SQL, tenant_id, ids, "request_id");
    let mut rows = Box::pin(db.stream_raw(stmt).await?);
    while let Some(row) = rows.try_next().await? {
        tallies.step(
            row.try_get_by_index(0)?,
            row.try_get_by_index(1)?,
            row.try_get_by_index(2)?,
            row.try_get_by_index(3)?,
        );
    }
    drop(rows);
    let stmt = statement(backend, DECISIONS_SQL, tenant_id, ids, "request_id");
    let mut rows = Box::pin(db.stream_raw(stmt).await?);
    while let Some(row) = rows.try_next().await? {
        tallies.decision(row.try_get_by_index(0)?);
    }
    drop(rows);
    let stmt = statement(backend, &requests_sql(), tenant_id, ids, "id");
    let mut rows = Box::pin(db.stream_raw(stmt).await?);
    while let Some(row) = rows.try_next().await? {
        let id: Uuid = row.try_get_by_index(0)?;
        let cost: Option<String> = row.try_get_by_index(5)?;
        let r = RequestRow {
            id,
            workflow_key: row.try_get_by_index(1)?,
            route: row.try_get_by_index(2)?,
            status: row.try_get_by_index(3)?,
            edited: row.try_get_by_index(4)?,
            cost_usd: cost.as_deref(),
            sampled: row.try_get_by_index(6)?,
            incorrect: row.try_get_by_index(7)?,
            reason_code: row.try_get_by_index(8)?,
            submitted_at: row.try_get_by_index(9)?,
            decided_at: row.try_get_by_index(10)?,
            updated_at: row.try_get_by_index(11)?,
        };
        let tally = tallies.take(&id);
        sink(facts(r, tally)?)?;
    }
    Ok(())
}

/// Loads the facts of a tenant's requests: all of them, or those in `ids`.
pub async fn load_requests<C>(
    db: &C,
    tenant_id: &str,
    ids: Option<&[Uuid]>,
) -> Result<Vec<RequestFacts>, AnalyticsError>
where
    C: ConnectionTrait + StreamTrait,
{
    let mut out = Vec::new();
    let chunks: Vec<Option<&[Uuid]>> = match ids {
        None => vec![None],
        Some(ids) => ids.chunks(ID_CHUNK).map(Some).collect(),
    };
    for chunk in chunks {
        read_pooled(db, tenant_id, chunk, |f| {
            out.push(f);
            Ok(())
        })
        .await?;
    }
    Ok(out)
}

/// Loads every request of a tenant straight into rows sized by a count first. On a SQLite file
/// the rows are read on a blocking thread through a connection of its own (`sqlite_file`), not
/// through the pool, whose driver hands each row from its worker thread to the caller's.
pub async fn load_rows<C>(
    db: &C,
    sqlite_file: Option<&Path>,
    tenant_id: &str,
) -> Result<RequestRows, AnalyticsError>
where
    C: ConnectionTrait + StreamTrait,
{
    let mut rows = match sqlite_file {
        Some(file) => {
            let (file, tenant) = (file.to_owned(), tenant_id.to_owned());
            tokio::task::spawn_blocking(move || crate::sqlite::read(&file, &tenant))
                .await
                .map_err(|e| AnalyticsError::Data(format!("the load stopped: {e}")))??
        }
        None => {
            let n = approval_request::Entity::find()
                .filter(approval_request::Column::TenantId.eq(tenant_id))
                .count(db)
                .await?;
            // Rows added between the count and the read only make the vectors grow once.
            let mut rows = RequestRows::with_capacity(usize::try_from(n).unwrap_or(0));
            read_pooled(db, tenant_id, None, |f| rows.append_new(&f)).await?;
            rows
        }
    };
    rows.seal();
    Ok(rows)
}

/// Each workflow's ROI settings.
pub async fn load_settings<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
) -> Result<HashMap<String, RoiSettings>, AnalyticsError> {
    let rows = workflow::Entity::find()
        .filter(workflow::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for w in rows {
        let rate = Decimal::from_str(&w.hourly_rate_usd).map_err(|_| {
            AnalyticsError::Data(format!(
                "workflow {}: hourlyRateUsd {:?}",
                w.key, w.hourly_rate_usd
            ))
        })?;
        out.insert(
            w.key,
            RoiSettings {
                minutes_saved_per_auto: w.minutes_saved_per_auto,
                minutes_saved_per_assisted: w.minutes_saved_per_assisted,
                reviewer_minutes_per_decision: w.reviewer_minutes_per_decision,
                hourly_rate_usd: rate,
            },
        );
    }
    Ok(out)
}

/// The tenant's last audit seq (0 when it has none).
async fn head<C: ConnectionTrait>(db: &C, tenant_id: &str) -> Result<i64, AnalyticsError> {
    Ok(tenant::Entity::find_by_id(tenant_id.to_owned())
        .one(db)
        .await?
        .map_or(0, |t| t.audit_seq))
}

/// How a refresh went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refresh {
    /// Audit seq the rows reflect now.
    pub seq: i64,
    /// Requests read from the database by this refresh.
    pub requests_read: usize,
    /// True when everything was reloaded.
    pub full: bool,
}

/// What a fetch read, to be applied.
#[derive(Debug)]
pub struct Update {
    /// Every request, when everything was read.
    full: Option<RequestRows>,
    /// The requests read again, otherwise.
    facts: Vec<RequestFacts>,
    settings: HashMap<String, RoiSettings>,
    head: i64,
}

/// One tenant's analytics rows, kept in memory and brought up to date from the audit log.
#[derive(Debug, Default)]
pub struct TenantAnalytics {
    rows: RequestRows,
    settings: HashMap<String, RoiSettings>,
    seq: i64,
    loaded: bool,
    frame: Option<Arc<Frame>>,
}

impl TenantAnalytics {
    /// Audit seq the rows reflect.
    pub fn seq(&self) -> i64 {
        self.seq
    }

    /// Requests held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no request is held.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Each workflow's ROI settings as of the last refresh.
    pub fn settings(&self) -> &HashMap<String, RoiSettings> {
        &self.settings
    }

    /// Reads what changed since the last refresh: the first time everything, afterwards the
    /// requests that audit events after the last seen seq name. `None` when nothing changed.
    /// Only reads; [`TenantAnalytics::apply`] folds the result in (off the async runtime).
    ///
    /// `sqlite_file` is the database's file when it is SQLite (a full load reads it directly).
    pub async fn fetch<C>(
        &self,
        db: &C,
        sqlite_file: Option<&Path>,
        tenant_id: &str,
    ) -> Result<Option<Update>, AnalyticsError>
    where
        C: ConnectionTrait + StreamTrait,
    {
        // The head first: every change up to it is committed, and rows read afterwards are at
        // least that new (a later change only makes a later refresh read the row again).
        let head = head(db, tenant_id).await?;
        if self.loaded && head == self.seq {
            return Ok(None);
        }
        let touched = if self.loaded {
            let ids: Vec<Option<Uuid>> = audit_event::Entity::find()
                .select_only()
                .column(audit_event::Column::RequestId)
                .distinct()
                .filter(audit_event::Column::TenantId.eq(tenant_id))
                .filter(audit_event::Column::Seq.gt(self.seq))
                .filter(audit_event::Column::Seq.lte(head))
                .filter(audit_event::Column::RequestId.is_not_null())
                .into_tuple()
                .all(db)
                .await?;
            let ids: Vec<Uuid> = ids
                .into_iter()
                .flatten()
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            (ids.len() <= RELOAD_ABOVE).then_some(ids)
        } else {
            None
        };
        let (full, facts) = match touched {
            Some(ids) => (None, load_requests(db, tenant_id, Some(&ids)).await?),
            None => (
                Some(load_rows(db, sqlite_file, tenant_id).await?),
                Vec::new(),
            ),
        };
        Ok(Some(Update {
            full,
            facts,
            settings: load_settings(db, tenant_id).await?,
            head,
        }))
    }

    /// Folds a fetched update into the rows (CPU work: call it off the async runtime).
    pub fn apply(&mut self, update: Update) -> Result<Refresh, AnalyticsError> {
        // The frame lets go of the columns first, so the writes below need not copy them.
        self.frame = None;
        let full = update.full.is_some();
        let requests_read = match update.full {
            Some(rows) => {
                self.rows = rows;
                self.rows.len()
            }
            None => {
                for f in &update.facts {
                    self.rows.upsert(f)?;
                }
                update.facts.len()
            }
        };
        self.settings = update.settings;
        self.seq = update.head;
        self.loaded = true;
        Ok(Refresh {
            seq: update.head,
            requests_read,
            full,
        })
    }

    /// The rows as a frame, built once per change (without copying the columns) and shared
    /// until the next.
    pub fn frame(&mut self) -> Result<Arc<Frame>, AnalyticsError> {
        if let Some(frame) = &self.frame {
            return Ok(frame.clone());
        }
        let frame = Arc::new(Frame {
            df: self.rows.to_frame()?,
            workflows: self.rows.workflows.values().to_vec(),
            reasons: self.rows.reasons.values().to_vec(),
        });
        self.frame = Some(frame.clone());
        Ok(frame)
    }
}
