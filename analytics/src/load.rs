//! Loading a tenant's requests, steps and decisions from the database into [`RequestFacts`], and
//! keeping them current: [`TenantAnalytics`] holds the rows in memory and, on each refresh, reads
//! only the requests that audit events after its last `seq` touched.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use countersign_entity::enums::{
    DecisionKind, RequestStatus, Route as DbRoute, SampleVerdict, StepStatus,
};
use countersign_entity::{
    approval_request, approval_step, audit_event, decision, tenant, workflow,
};
use futures::TryStreamExt;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    StreamTrait,
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

#[derive(Debug, FromQueryResult)]
struct RequestRow {
    id: Uuid,
    workflow_key: String,
    route: DbRoute,
    status: RequestStatus,
    edit_patch: Option<String>,
    cost_usd: Option<String>,
    qa_sampled: bool,
    qa_verdict: Option<SampleVerdict>,
    reason_code: Option<String>,
    submitted_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, FromQueryResult)]
struct StepRow {
    request_id: Uuid,
    status: StepStatus,
    opened_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, FromQueryResult)]
struct DecisionCount {
    request_id: Uuid,
    n: i64,
}

/// What the steps of one request add up to.
#[derive(Clone, Copy, Debug, Default)]
struct StepFacts {
    opened: u32,
    /// Closed by a decision after the due time.
    breached_decided: u32,
    open_due: Option<DateTime<Utc>>,
    /// Due times of steps closed without a decision (skipped when the request expired or was
    /// cancelled): late when the request ended after them.
    undecided_dues: [Option<DateTime<Utc>>; 2],
    undecided_more: u32,
}

impl StepFacts {
    fn add(&mut self, s: &StepRow) {
        if s.opened_at.is_none() {
            return;
        }
        self.opened += 1;
        let Some(due) = s.due_at else { return };
        match (s.status, s.decided_at) {
            (StepStatus::Open, _) => self.open_due = Some(due),
            (_, Some(decided)) => self.breached_decided += u32::from(decided > due),
            (_, None) => match self.undecided_dues.iter_mut().find(|d| d.is_none()) {
                Some(slot) => *slot = Some(due),
                None => self.undecided_more += 1,
            },
        }
    }
}

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

fn facts(
    r: RequestRow,
    steps: Option<&StepFacts>,
    decisions: i64,
) -> Result<RequestFacts, AnalyticsError> {
    let cost_usd = match &r.cost_usd {
        Some(c) => Decimal::from_str(c)
            .map_err(|_| AnalyticsError::Data(format!("request {}: costUsd {c:?}", r.id)))?,
        None => Decimal::ZERO,
    };
    let route = route(r.route);
    let status = status(r.status);
    let decided_by_people = route == Route::Human
        && matches!(
            status,
            Status::Approved
                | Status::Rejected
                | Status::Executed
                | Status::ExecutionFailed
                | Status::RolledBack
        );
    let steps = steps.copied().unwrap_or_default();
    // A step skipped at expiry or cancellation was open until the request ended.
    let ended = r.updated_at;
    let breached_undecided = steps
        .undecided_dues
        .iter()
        .flatten()
        .filter(|due| ended > **due)
        .count() as u32
        + steps.undecided_more;
    Ok(RequestFacts {
        id: r.id,
        workflow_key: r.workflow_key,
        submitted_at: r.submitted_at,
        route,
        status,
        edited: r.edit_patch.as_deref().is_some_and(|p| p.trim() != "[]"),
        cost_usd,
        sampled: r.qa_sampled,
        sampled_incorrect: r.qa_verdict == Some(SampleVerdict::Incorrect),
        reason_code: r.reason_code,
        human_decided_at: if decided_by_people {
            r.decided_at
        } else {
            None
        },
        decisions: u32::try_from(decisions).unwrap_or(u32::MAX),
        steps_opened: steps.opened,
        steps_breached: steps.breached_decided + breached_undecided,
        open_step_due: steps.open_due,
    })
}

fn request_columns() -> impl Iterator<Item = approval_request::Column> {
    use approval_request::Column as C;
    [
        C::Id,
        C::WorkflowKey,
        C::Route,
        C::Status,
        C::EditPatch,
        C::CostUsd,
        C::QaSampled,
        C::QaVerdict,
        C::ReasonCode,
        C::SubmittedAt,
        C::DecidedAt,
        C::UpdatedAt,
    ]
    .into_iter()
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
    let chunks: Vec<Option<&[Uuid]>> = match ids {
        None => vec![None],
        Some(ids) => ids.chunks(ID_CHUNK).map(Some).collect(),
    };
    let mut out = Vec::new();
    for chunk in chunks {
        // Steps first, folded per request.
        let mut steps: HashMap<Uuid, StepFacts> = HashMap::new();
        let mut q = approval_step::Entity::find()
            .select_only()
            .columns([
                approval_step::Column::RequestId,
                approval_step::Column::Status,
                approval_step::Column::OpenedAt,
                approval_step::Column::DueAt,
                approval_step::Column::DecidedAt,
            ])
            .filter(approval_step::Column::TenantId.eq(tenant_id))
            .filter(approval_step::Column::OpenedAt.is_not_null());
        if let Some(ids) = chunk {
            q = q.filter(approval_step::Column::RequestId.is_in(ids.iter().copied()));
        }
        let mut stream = q.into_model::<StepRow>().stream(db).await?;
        while let Some(s) = stream.try_next().await? {
            steps.entry(s.request_id).or_default().add(&s);
        }
        drop(stream);

        let mut q = decision::Entity::find()
            .select_only()
            .column(decision::Column::RequestId)
            .column_as(Expr::col(decision::Column::Id).count(), "n")
            .filter(decision::Column::TenantId.eq(tenant_id))
            .filter(decision::Column::Decision.is_in([DecisionKind::Approve, DecisionKind::Reject]))
            .group_by(decision::Column::RequestId);
        if let Some(ids) = chunk {
            q = q.filter(decision::Column::RequestId.is_in(ids.iter().copied()));
        }
        let decisions: HashMap<Uuid, i64> = q
            .into_model::<DecisionCount>()
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.request_id, d.n))
            .collect();

        let mut q = approval_request::Entity::find()
            .select_only()
            .columns(request_columns())
            .filter(approval_request::Column::TenantId.eq(tenant_id));
        if let Some(ids) = chunk {
            q = q.filter(approval_request::Column::Id.is_in(ids.iter().copied()));
        }
        let mut stream = q.into_model::<RequestRow>().stream(db).await?;
        while let Some(r) = stream.try_next().await? {
            let id = r.id;
            out.push(facts(
                r,
                steps.get(&id),
                decisions.get(&id).copied().unwrap_or(0),
            )?);
        }
    }
    Ok(out)
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
    full: bool,
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
    pub async fn fetch<C>(&self, db: &C, tenant_id: &str) -> Result<Option<Update>, AnalyticsError>
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
        Ok(Some(Update {
            full: touched.is_none(),
            facts: load_requests(db, tenant_id, touched.as_deref()).await?,
            settings: load_settings(db, tenant_id).await?,
            head,
        }))
    }

    /// Folds a fetched update into the rows (CPU work: call it off the async runtime).
    pub fn apply(&mut self, update: Update) -> Result<Refresh, AnalyticsError> {
        if update.full {
            self.rows = RequestRows::default();
        }
        for f in &update.facts {
            self.rows.upsert(f)?;
        }
        self.settings = update.settings;
        self.seq = update.head;
        self.loaded = true;
        self.frame = None;
        Ok(Refresh {
            seq: update.head,
            requests_read: update.facts.len(),
            full: update.full,
        })
    }

    /// The rows as a frame, built once per change and shared until the next.
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
