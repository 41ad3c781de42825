//! What the server tells its operators: log set-up (text or JSON, colour only on a terminal, a
//! span per request with its id and principal), and Prometheus metrics — counters and
//! histograms recorded where things happen, plus gauges read from the database at scrape time.
//!
//! The `metrics` recorder is process-wide and installed once; every `Application` in the process
//! (several in the tests) records into it. Gauges that describe one server (its database, its
//! pool) are never stored in it: each scrape computes them into a recorder of its own.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest, NextRequest,
};
use async_graphql::{Response, ServerResult};
use chrono::{DateTime, Utc};
use countersign_entity::enums::{DecisionKind, OutboxStatus, RequestStatus, StepStatus};
use countersign_entity::{approval_request, approval_step, outbox};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait,
};
use tracing_subscriber::EnvFilter;

use crate::auth::Auth;
use crate::compute::ComputeSlots;
use crate::config::LogFormat;
use crate::store::Store;

// ---------------------------------------------------------------------------------------------
// Logs

/// The default filter when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn";

/// Builds the log subscriber: `format`, writing to `writer`, with ANSI colours only when `ansi`.
pub fn log_subscriber<W>(
    format: LogFormat,
    writer: W,
    ansi: bool,
    filter: EnvFilter,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.with_ansi(ansi).finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .finish(),
        ),
    }
}

/// Installs the process's log subscriber on stderr: `RUST_LOG` (or the default filter), colours
/// only when stderr is a terminal.
pub fn init_logging(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let ansi = std::io::stderr().is_terminal();
    // A second call (or a subscriber set by an embedding program) keeps the first one.
    let _ = tracing::subscriber::set_global_default(log_subscriber(
        format,
        std::io::stderr,
        ansi,
        filter,
    ));
}

/// The span of one HTTP request: its id (`x-request-id`, set before this runs) and, once the
/// credential is checked, the principal's subject and tenant.
pub fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %loggable_path(request.uri().path()),
        request_id,
        subject = tracing::field::Empty,
        tenant = tracing::field::Empty,
    )
}

/// The path as logged: a decision link's token is a credential, so it never reaches the logs.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/links/") {
        "/links/{token}"
    } else {
        path
    }
}

/// Records an authenticated caller on the current (request) span.
pub fn record_principal(auth: &Auth) {
    if let Ok(principal) = &auth.0 {
        let span = tracing::Span::current();
        span.record("subject", principal.subject.as_str());
        span.record("tenant", principal.tenant.as_str());
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics recorded where things happen

/// Latency buckets, in seconds.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Distinct operation names kept as labels; later new names count as `other`, so a client
/// inventing names cannot grow the series without bound.
const MAX_OPERATION_NAMES: usize = 200;

/// The process-wide recorder's handle; `None` when another recorder was installed first (an
/// embedding program's), in which case `/metrics` shows only the scrape-time gauges.
fn recorder() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&DURATION_BUCKETS)
                .map_err(|e| tracing::warn!(error = %e, "metrics buckets refused"))
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot install the metrics recorder; /metrics shows database gauges only");
                    None
                }
            }
        })
        .as_ref()
}

/// Installs the process-wide recorder (once); called when a server is built.
pub fn install_metrics() {
    let _ = recorder();
}

/// An `submitAction` that stored a new request, by the route the policy gave it.
pub fn submitted(tenant: &str, workflow: &str, route: &'static str) {
    metrics::counter!("countersign_submissions_total",
        "tenant" => tenant.to_owned(), "workflow" => workflow.to_owned(), "route" => route)
    .increment(1);
}

/// One group commit of submissions: how many it carried and how long its transaction took.
pub fn intake_committed(started: Instant, submissions: usize) {
    metrics::histogram!("countersign_intake_batch_size").record(submissions as f64);
    metrics::histogram!("countersign_intake_commit_duration_seconds")
        .record(started.elapsed().as_secs_f64());
}

/// A decision recorded on a step (`APPROVE` or `REJECT`).
pub fn decided(tenant: &str, workflow: &str, decision: DecisionKind) {
    let decision = match decision {
        DecisionKind::Approve => "APPROVE",
        DecisionKind::Reject => "REJECT",
    };
    metrics::counter!("countersign_decisions_total",
        "tenant" => tenant.to_owned(), "workflow" => workflow.to_owned(), "decision" => decision)
    .increment(1);
}

/// A guardrail switched a workflow to MANUAL_ONLY.
pub fn guardrail_tripped(tenant: &str, workflow: &str, guardrail: &'static str) {
    metrics::counter!("countersign_guardrail_trips_total",
        "tenant" => tenant.to_owned(), "workflow" => workflow.to_owned(), "guardrail" => guardrail)
    .increment(1);
}

/// One webhook delivery attempt: `delivered`, `retrying` (failed, tried again later) or
/// `failed` (failed for the last time).
pub fn webhook_attempted(outcome: &'static str) {
    metrics::counter!("countersign_webhook_attempts_total", "outcome" => outcome).increment(1);
}

/// One scheduler tick: how long it took and what it did.
pub fn scheduler_ticked(started: Instant, expired: usize, escalated: usize) {
    metrics::histogram!("countersign_scheduler_tick_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("countersign_scheduler_expired_total").increment(expired as u64);
    metrics::counter!("countersign_scheduler_escalated_total").increment(escalated as u64);
}

/// A `/graphql` request refused at the HTTP layer before its body was read (no valid
/// credential): counted with the operation `unread` and the refusal's code.
pub fn graphql_refused(started: Instant, code: &str) {
    let outcome = code.to_owned();
    metrics::counter!("countersign_graphql_requests_total",
        "operation" => "unread", "outcome" => outcome.clone())
    .increment(1);
    metrics::histogram!("countersign_graphql_request_duration_seconds",
        "operation" => "unread", "outcome" => outcome)
    .record(started.elapsed().as_secs_f64());
}

/// A GraphQL operation name as a label: the name when it is a short identifier, `anonymous`
/// without one, `other` otherwise.
fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) = name else {
        return "anonymous".into();
    };
    let identifier = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier {
        return "other".into();
    }
    let Ok(mut seen) = SEEN.get_or_init(Mutex::default).lock() else {
        return "other".into();
    };
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".into()
    }
}

/// `ok`, or the first error's `extensions.code` (errors without one are the caller's input,
/// as the schema's own extension labels them).
fn outcome_label(response: &Response) -> String {
    let Some(first) = response.errors.first() else {
        return "ok".into();
    };
    let code = first
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .and_then(|v| match v {
            async_graphql::Value::String(s) => Some(s.as_str()),
            _ => None,
        })
        .unwrap_or("BAD_USER_INPUT");
    if code.len() <= 32 && code.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        code.to_owned()
    } else {
        "OTHER".into()
    }
}

/// The schema extension that counts and times GraphQL requests by operation name and outcome,
/// and puts the caller on the request's log span.
pub struct GraphqlMetrics;

impl ExtensionFactory for GraphqlMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GraphqlRequest::default())
    }
}

/// One request's state: the operation name as sent, then as resolved.
#[derive(Default)]
struct GraphqlRequest {
    operation: Mutex<Option<String>>,
}

impl GraphqlRequest {
    fn set_operation(&self, name: Option<&str>) {
        if let (Some(name), Ok(mut slot)) = (name, self.operation.lock()) {
            *slot = Some(name.to_owned());
        }
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for GraphqlRequest {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let response = next.run(ctx).await;
        let name = self.operation.lock().ok().and_then(|n| n.clone());
        let operation = operation_label(name.as_deref());
        let outcome = outcome_label(&response);
        metrics::histogram!("countersign_graphql_request_duration_seconds",
            "operation" => operation.clone(), "outcome" => outcome.clone())
        .record(started.elapsed().as_secs_f64());
        metrics::counter!("countersign_graphql_requests_total",
            "operation" => operation, "outcome" => outcome)
        .increment(1);
        response
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: async_graphql::Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        self.set_operation(request.operation_name.as_deref());
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        // The name the document gave the operation that runs (a sole named operation may be
        // sent without `operationName`).
        self.set_operation(operation_name);
        next.run(ctx, operation_name).await
    }
}

// ---------------------------------------------------------------------------------------------
// The scrape

/// Renders every metric: the process-wide counters and histograms, then this server's gauges
/// read from its database, its pool and its compute `pools` now.
pub async fn render(store: &Store, pools: &[&ComputeSlots]) -> Result<String, DbErr> {
    let gauges = scrape_gauges(store, pools).await?;
    let mut text = String::new();
    if let Some(handle) = recorder() {
        handle.run_upkeep();
        text.push_str(&handle.render());
    }
    text.push_str(&gauges);
    Ok(text)
}

/// Gauges of one server, recorded into a recorder of their own (never the global one, which
/// other servers in the process share) and rendered by it.
async fn scrape_gauges(store: &Store, pools: &[&ComputeSlots]) -> Result<String, DbErr> {
    let now = crate::store::now();
    let db = store.db();
    let backend = db.get_database_backend();
    let all = |query: sea_orm::sea_query::SelectStatement| db.query_all_raw(backend.build(&query));
    let queues = all(approval_request::Entity::find()
        .select_only()
        .column(approval_request::Column::TenantId)
        .column(approval_request::Column::WorkflowKey)
        .column_as(approval_request::Column::Id.count(), "n")
        .column_as(approval_request::Column::SubmittedAt.min(), "oldest")
        .filter(approval_request::Column::Status.eq(RequestStatus::Pending))
        .group_by(approval_request::Column::TenantId)
        .group_by(approval_request::Column::WorkflowKey)
        .into_query())
    .await?;
    let outbox_rows = all(outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Status)
        .column_as(outbox::Column::Id.count(), "n")
        .column_as(outbox::Column::CreatedAt.min(), "oldest")
        .filter(outbox::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Failed]))
        .group_by(outbox::Column::Status)
        .into_query())
    .await?;
    // What the scheduler should have acted on by now and has not: overdue steps it escalates
    // and pending requests past their expiry.
    let due_steps = all(approval_step::Entity::find()
        .select_only()
        .column_as(approval_step::Column::DueAt.min(), "oldest")
        .filter(approval_step::Column::Status.eq(StepStatus::Open))
        .filter(approval_step::Column::DueAt.lte(now))
        .filter(approval_step::Column::EscalationRole.is_not_null())
        .filter(approval_step::Column::EscalatedAt.is_null())
        .into_query())
    .await?;
    let due_requests = all(approval_request::Entity::find()
        .select_only()
        .column_as(approval_request::Column::ExpiresAt.min(), "oldest")
        .filter(approval_request::Column::Status.eq(RequestStatus::Pending))
        .filter(approval_request::Column::ExpiresAt.lte(now))
        .into_query())
    .await?;
    let overdue = due_steps
        .iter()
        .chain(&due_requests)
        .filter_map(|r| oldest(r, "oldest"))
        .min();
    let status_of =
        |row: &sea_orm::QueryResult| row.try_get::<String>("", "status").unwrap_or_default();
    let pending = outbox_rows.iter().find(|r| status_of(r) == "PENDING");
    let failed = outbox_rows.iter().find(|r| status_of(r) == "FAILED");
    let count = |row: Option<&sea_orm::QueryResult>| {
        row.and_then(|r| r.try_get::<i64>("", "n").ok())
            .unwrap_or_default()
    };

    let recorder = PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || {
        for row in &queues {
            let tenant: String = row.try_get("", "tenant_id").unwrap_or_default();
            let workflow: String = row.try_get("", "workflow_key").unwrap_or_default();
            let n: i64 = row.try_get("", "n").unwrap_or_default();
            let labels = [("tenant", tenant), ("workflow", workflow)];
            metrics::gauge!("countersign_queue_depth", &labels).set(n as f64);
            metrics::gauge!("countersign_queue_oldest_pending_age_seconds", &labels)
                .set(age(now, oldest(row, "oldest")));
        }
        metrics::gauge!("countersign_outbox_backlog").set(count(pending) as f64);
        metrics::gauge!("countersign_outbox_oldest_pending_age_seconds")
            .set(age(now, pending.and_then(|r| oldest(r, "oldest"))));
        metrics::gauge!("countersign_outbox_failed").set(count(failed) as f64);
        metrics::gauge!("countersign_scheduler_lag_seconds").set(age(now, overdue));
        let (size, idle) = pool_use(store);
        metrics::gauge!("countersign_db_pool_connections", "state" => "idle").set(idle as f64);
        metrics::gauge!("countersign_db_pool_connections", "state" => "in_use")
            .set((size as usize).saturating_sub(idle) as f64);
        for pool in pools {
            let gauge = |state: &'static str, n: usize| {
                metrics::gauge!("countersign_compute_slots", "pool" => pool.name(), "state" => state)
                    .set(n as f64);
            };
            gauge("size", pool.size());
            gauge("in_use", pool.in_use());
            gauge("waiting", pool.waiting());
        }
    });
    Ok(recorder.handle().render())
}

/// Seconds from `since` to `now`; 0 when there is nothing.
fn age(now: DateTime<Utc>, since: Option<DateTime<Utc>>) -> f64 {
    since.map_or(0.0, |t| {
        ((now - t).num_milliseconds().max(0) as f64) / 1000.0
    })
}

/// A `MIN(timestamp)` column: a timestamp on PostgreSQL, the stored text on SQLite.
fn oldest(row: &sea_orm::QueryResult, column: &str) -> Option<DateTime<Utc>> {
    if let Ok(Some(t)) = row.try_get::<Option<DateTime<Utc>>>("", column) {
        return Some(t);
    }
    let text: String = row.try_get::<Option<String>>("", column).ok()??;
    DateTime::parse_from_rfc3339(&text)
        .or_else(|_| DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f%:z"))
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f")
                .map(|t| t.and_utc())
        })
        .ok()
}

/// The pool's open connections and how many of them are idle.
fn pool_use(store: &Store) -> (u32, usize) {
    let db = store.db();
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_bounded_identifiers() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("Submit_1")), "Submit_1");
        assert_eq!(operation_label(Some("drop table; --")), "other");
        assert_eq!(operation_label(Some(&"a".repeat(65))), "other");
        assert_eq!(operation_label(Some("1abc")), "other");
    }
}
