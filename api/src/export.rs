//! `GET /export/requests.{csv,parquet,jsonl}` and `GET /export/audit.{csv,parquet,jsonl}`:
//! auditor/admin exports for warehouses and spreadsheets, with the filters of `approvalRequests`
//! and `auditLog` as query parameters. Streamed: pages are read from the database and encoded on
//! a blocking thread as the client reads, so memory stays bounded by a page whatever the size.

use std::io::Write;
use std::str::FromStr;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use countersign_analytics::export::{Encoder, Format, Page};
use countersign_entity::approval_request;
use countersign_entity::enums::{RequestStatus, Route};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{Auth, ROLE_ADMIN, ROLE_AUDITOR};
use crate::compute::ComputeSlots;
use crate::domain::audit::{self, AuditQuery};
use crate::error::{AppError, AppResult};

/// Rows read and encoded at a time.
const PAGE: u64 = 2_000;
/// Bytes gathered before a chunk goes to the client.
const CHUNK: usize = 64 * 1024;

/// Filters of `/export/requests.*` (those of `approvalRequests`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestParams {
    workflow_key: Option<String>,
    /// Comma-separated statuses, e.g. `APPROVED,EXECUTED`.
    status: Option<String>,
    route: Option<String>,
    submitted_from: Option<String>,
    submitted_to: Option<String>,
}

/// Filters of `/export/audit.*` (those of `auditLog`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditParams {
    workflow_key: Option<String>,
    request_id: Option<String>,
    /// Comma-separated event types.
    types: Option<String>,
    after_seq: Option<i64>,
}

struct RequestFilter {
    workflow_key: Option<String>,
    statuses: Option<Vec<RequestStatus>>,
    route: Option<Route>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

fn status_of(name: &str) -> Option<RequestStatus> {
    Some(match name {
        "PENDING" => RequestStatus::Pending,
        "APPROVED" => RequestStatus::Approved,
        "REJECTED" => RequestStatus::Rejected,
        "EXPIRED" => RequestStatus::Expired,
        "CANCELLED" => RequestStatus::Cancelled,
        "EXECUTED" => RequestStatus::Executed,
        "EXECUTION_FAILED" => RequestStatus::ExecutionFailed,
        "ROLLED_BACK" => RequestStatus::RolledBack,
        _ => return None,
    })
}

fn time_param(value: Option<&str>, name: &str) -> AppResult<Option<DateTime<Utc>>> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| AppError::bad_input(name, "must be an RFC 3339 date-time"))
        })
        .transpose()
}

impl RequestParams {
    fn parse(self) -> AppResult<RequestFilter> {
        let statuses = self
            .status
            .map(|list| {
                list.split(',')
                    .map(|s| {
                        status_of(s.trim()).ok_or_else(|| {
                            AppError::bad_input("status", format!("unknown status {s:?}"))
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()
            })
            .transpose()?;
        let route = self
            .route
            .map(|r| match r.as_str() {
                "AUTO" => Ok(Route::Auto),
                "HUMAN" => Ok(Route::Human),
                "REJECT" => Ok(Route::Reject),
                _ => Err(AppError::bad_input("route", format!("unknown route {r:?}"))),
            })
            .transpose()?;
        Ok(RequestFilter {
            workflow_key: self.workflow_key,
            statuses,
            route,
            from: time_param(self.submitted_from.as_deref(), "submittedFrom")?,
            to: time_param(self.submitted_to.as_deref(), "submittedTo")?,
        })
    }
}

impl AuditParams {
    fn parse(self) -> AppResult<AuditQuery> {
        let request_id = self
            .request_id
            .map(|id| {
                Uuid::from_str(&id)
                    .map_err(|_| AppError::bad_input("requestId", "must be a request id"))
            })
            .transpose()?;
        if self.after_seq.is_some_and(|s| s < 0) {
            return Err(AppError::bad_input("afterSeq", "must not be negative"));
        }
        Ok(AuditQuery {
            workflow_key: self.workflow_key,
            request_id,
            types: self
                .types
                .map(|t| t.split(',').map(|s| s.trim().to_owned()).collect()),
            after_seq: self.after_seq,
        })
    }
}

/// An error as JSON with the same code a GraphQL error would carry.
fn error_response(e: AppError) -> Response {
    let status = match &e {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::BadInput { .. } => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body = json!({ "error": { "code": e.code(), "message": e.to_string(), "path": e.path() } });
    (status, axum::Json(body)).into_response()
}

/// Which export, from the file name.
fn parse_file(file: &str) -> AppResult<(bool, Format)> {
    let (table, ext) = file.rsplit_once('.').unwrap_or((file, ""));
    let format = Format::from_extension(ext).ok_or_else(|| {
        AppError::NotFound(format!("export {file:?} (formats: csv, parquet, jsonl)"))
    })?;
    match table {
        "requests" => Ok((true, format)),
        "audit" => Ok((false, format)),
        _ => Err(AppError::NotFound(format!(
            "export {file:?} (tables: requests, audit)"
        ))),
    }
}

/// `GET /export/{file}`.
pub async fn export(
    State(app): State<AppState>,
    auth: Auth,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    match start(app, auth, &file, query.as_deref().unwrap_or_default()) {
        Ok(response) => response,
        Err(e) => error_response(e),
    }
}

fn start(app: AppState, auth: Auth, file: &str, query: &str) -> AppResult<Response> {
    let caller = auth.principal()?.clone();
    let (requests, format) = parse_file(file)?;
    caller.require_any(&[ROLE_AUDITOR, ROLE_ADMIN], "exports")?;
    let bad_params = |e: serde_urlencoded::de::Error| AppError::bad_input("query", e.to_string());
    let (pages_tx, pages_rx) = mpsc::channel::<Page>(2);
    let (bytes_tx, bytes_rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let tenant = caller.tenant.clone();
    let slots = app.analytics.slots().clone();
    if requests {
        let filter = serde_urlencoded::from_str::<RequestParams>(query)
            .map_err(bad_params)?
            .parse()?;
        tokio::spawn(read_requests(
            app,
            tenant,
            filter,
            pages_tx,
            bytes_tx.clone(),
        ));
    } else {
        let query = serde_urlencoded::from_str::<AuditParams>(query)
            .map_err(bad_params)?
            .parse()?;
        tokio::spawn(read_audit(app, tenant, query, pages_tx, bytes_tx.clone()));
    }
    tokio::task::spawn_blocking(move || encode(requests, format, &slots, pages_rx, bytes_tx));
    let body = Body::from_stream(async_stream::stream! {
        let mut rx = bytes_rx;
        while let Some(chunk) = rx.recv().await {
            yield chunk;
        }
    });
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// Ends the body with an error: the client sees a cut-off transfer, never a silently short file.
async fn fail(bytes: &mpsc::Sender<Result<Bytes, std::io::Error>>, e: AppError) {
    tracing::error!(error = %e, "export failed");
    let _ = bytes.send(Err(std::io::Error::other(e.to_string()))).await;
}

async fn read_requests(
    app: AppState,
    tenant: String,
    filter: RequestFilter,
    pages: mpsc::Sender<Page>,
    bytes: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    use approval_request::Column as C;
    // Keyset by (submitted_at, id): served by the (tenant_id, submitted_at) index, so every page
    // costs the same however deep into the history it is.
    let mut after: Option<(DateTime<Utc>, Uuid)> = None;
    loop {
        let mut q = approval_request::Entity::find().filter(C::TenantId.eq(&tenant));
        if let Some(key) = &filter.workflow_key {
            q = q.filter(C::WorkflowKey.eq(key));
        }
        if let Some(statuses) = &filter.statuses {
            q = q.filter(C::Status.is_in(statuses.iter().copied()));
        }
        if let Some(route) = filter.route {
            q = q.filter(C::Route.eq(route));
        }
        if let Some(from) = filter.from {
            q = q.filter(C::SubmittedAt.gte(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(C::SubmittedAt.lt(to));
        }
        if let Some((at, id)) = after {
            // The plain bound lets the planner start the index range at the cursor; the OR
            // alone is only a row filter, and PostgreSQL would scan from the start every page.
            q = q.filter(C::SubmittedAt.gte(at)).filter(
                Condition::any().add(C::SubmittedAt.gt(at)).add(
                    Condition::all()
                        .add(C::SubmittedAt.eq(at))
                        .add(C::Id.gt(id)),
                ),
            );
        }
        let turn = match app.analytics.export_reads().acquire().await {
            Ok(turn) => turn,
            Err(e) => return fail(&bytes, e).await,
        };
        let rows = match q
            .order_by_asc(C::SubmittedAt)
            .order_by_asc(C::Id)
            .limit(PAGE)
            .all(app.store.db())
            .await
        {
            Ok(rows) => rows,
            Err(e) => return fail(&bytes, AppError::internal(e)).await,
        };
        drop(turn);
        let full = rows.len() as u64 == PAGE;
        after = rows.last().map(|r| (r.submitted_at, r.id));
        if !rows.is_empty() && pages.send(Page::Requests(rows)).await.is_err() {
            return; // the client went away
        }
        if !full {
            return;
        }
    }
}

async fn read_audit(
    app: AppState,
    tenant: String,
    mut query: AuditQuery,
    pages: mpsc::Sender<Page>,
    bytes: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    loop {
        let turn = match app.analytics.export_reads().acquire().await {
            Ok(turn) => turn,
            Err(e) => return fail(&bytes, e).await,
        };
        let rows = match audit::list(app.store.db(), &tenant, &query, PAGE).await {
            Ok(rows) => rows,
            Err(e) => return fail(&bytes, e).await,
        };
        drop(turn);
        let full = rows.len() as u64 == PAGE;
        query.after_seq = rows.last().map(|e| e.seq).or(query.after_seq);
        if !rows.is_empty() && pages.send(Page::Audit(rows)).await.is_err() {
            return;
        }
        if !full {
            return;
        }
    }
}

/// Gathers encoded bytes into chunks for the response body.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Encodes pages as they arrive (blocking thread); the file is complete when the reader is done.
/// polars encodes on its shared rayon pool, so each page (and the file's end) is encoded holding
/// a slot of the analytics pool: many exports at once wait their turn as reports do, instead of
/// nesting on rayon's workers.
fn encode(
    requests: bool,
    format: Format,
    slots: &ComputeSlots,
    mut pages: mpsc::Receiver<Page>,
    bytes: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let out = ChunkWriter {
        buf: Vec::with_capacity(CHUNK),
        tx: bytes.clone(),
    };
    let mut encoder = if requests {
        Encoder::requests(format, out)
    } else {
        Encoder::audit(format, out)
    };
    let result = (|| -> Result<(), String> {
        while let Some(page) = pages.blocking_recv() {
            let _slot = slots.acquire_blocking().map_err(|e| e.to_string())?;
            encoder.write(&page).map_err(|e| e.to_string())?;
        }
        let _slot = slots.acquire_blocking().map_err(|e| e.to_string())?;
        encoder.finish().map_err(|e| e.to_string())
    })();
    if let Err(e) = result {
        tracing::warn!(error = %e, "export encoding stopped");
        let _ = bytes.blocking_send(Err(std::io::Error::other(e)));
    }
}
