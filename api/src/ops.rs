//! Endpoints for operators: `/healthz` (liveness: the process answers; it touches nothing, so a
//! database outage never gets healthy replicas restarted), `/readyz` (readiness: the database
//! answers and carries every migration of this binary) and `/metrics` (Prometheus text, behind
//! an optional bearer token).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::AppState;

/// Liveness: answers as long as the process serves requests.
pub async fn healthz() -> Response {
    (StatusCode::OK, Json(json!({ "status": "ok" }))).into_response()
}

/// Readiness: 200 when the database answers and no migration of this binary is pending; 503
/// with the reason otherwise.
pub async fn readyz(State(app): State<AppState>) -> Response {
    let not_ready = |reason: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "reason": reason })),
        )
            .into_response()
    };
    if let Err(e) = app.store.ping().await {
        tracing::warn!(error = %e, "readiness: database unreachable");
        return not_ready("database unreachable".into());
    }
    match crate::pending_migrations(&app.store).await {
        Ok(0) => (StatusCode::OK, Json(json!({ "status": "ready" }))).into_response(),
        Ok(n) => not_ready(format!(
            "{n} database migration(s) not applied: run `countersign migrate` or start with COUNTERSIGN_MIGRATE=true"
        )),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: cannot read the migration status");
            not_ready(
                "cannot read the migration status (was the database migrated by a newer version?)"
                    .into(),
            )
        }
    }
}

/// Prometheus metrics in the text exposition format.
pub async fn metrics(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &app.settings.metrics_token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        // Compared as digests, so the time taken says nothing about how much of it matched.
        let matches = sent.is_some_and(|sent| {
            Sha256::digest(sent.as_bytes()) == Sha256::digest(token.expose_secret().as_bytes())
        });
        if !matches {
            let mut resp = (
                StatusCode::UNAUTHORIZED,
                "metrics need Authorization: Bearer <COUNTERSIGN_METRICS_TOKEN>\n",
            )
                .into_response();
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return resp;
        }
    }
    let pools = [app.evaluator.slots(), app.analytics.slots()];
    match crate::telemetry::render(&app.store, &pools).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the database");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "metrics unavailable: the database did not answer\n",
            )
                .into_response()
        }
    }
}
