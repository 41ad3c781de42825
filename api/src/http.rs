//! The HTTP shell: `/graphql` (POST, and GET for queries only), `/graphiql`, `/healthz`,
//! `/export/…` (see `export`), with
//! body limits, request ids and tracing.

use async_graphql::Variables;
use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::auth::Auth;
use crate::graphql::AppSchema;

#[derive(Clone)]
struct HttpState {
    app: AppState,
    schema: AppSchema,
}

impl axum::extract::FromRef<HttpState> for AppState {
    fn from_ref(s: &HttpState) -> AppState {
        s.app.clone()
    }
}

/// The router.
pub fn router(app: AppState, schema: AppSchema) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let max_body = app.settings.max_body_bytes;
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .route("/graphiql", get(graphiql))
        .route("/export/{file}", get(crate::export::export))
        // Operations: liveness, readiness, Prometheus metrics (see `ops`).
        .route("/healthz", get(crate::ops::healthz))
        .route("/readyz", get(crate::ops::readyz))
        .route("/metrics", get(crate::ops::metrics))
        .with_state(HttpState { app, schema })
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

async fn graphql_post(
    State(s): State<HttpState>,
    auth: Auth,
    req: GraphQLRequest,
) -> GraphQLResponse {
    s.schema.execute(req.into_inner().data(auth)).await.into()
}

/// GraphQL-over-HTTP GET parameters (`variables` and `extensions` are JSON text).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: String,
    operation_name: Option<String>,
    variables: Option<String>,
}

/// GET serves queries only: a mutation over GET could be triggered by a link or a prefetch.
async fn graphql_get(
    State(s): State<HttpState>,
    auth: Auth,
    params: Result<Query<GetParams>, QueryRejection>,
) -> Response {
    let bad = |message: String, status: StatusCode| {
        let body = json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_USER_INPUT" } }] });
        (status, Json(body)).into_response()
    };
    let Query(params) = match params {
        Ok(p) => p,
        Err(e) => {
            return bad(
                format!("invalid GraphQL GET request: {e}"),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let variables = match params
        .variables
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>)
        .transpose()
    {
        Ok(v) => v.map(Variables::from_json).unwrap_or_default(),
        Err(e) => {
            return bad(
                format!("variables is not JSON: {e}"),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    if let Ok(doc) = async_graphql::parser::parse_query(&params.query) {
        let is_mutation = doc.operations.iter().any(|(name, op)| {
            let selected = match (&params.operation_name, name) {
                (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
                (None, _) => true,
                (Some(_), None) => false,
            };
            selected && op.node.ty != OperationType::Query
        });
        if is_mutation {
            let mut resp = bad(
                "only queries may be sent with GET; send mutations and subscriptions with POST"
                    .into(),
                StatusCode::METHOD_NOT_ALLOWED,
            );
            resp.headers_mut()
                .insert(axum::http::header::ALLOW, HeaderValue::from_static("POST"));
            return resp;
        }
    }
    let mut req = async_graphql::Request::new(params.query)
        .variables(variables)
        .data(auth);
    if let Some(name) = params.operation_name {
        req = req.operation_name(name);
    }
    GraphQLResponse::from(s.schema.execute(req).await).into_response()
}

async fn graphql_ws(
    State(s): State<HttpState>,
    headers: axum::http::HeaderMap,
    ws: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    crate::ws::upgrade(ws, headers, s.app, s.schema).await
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}
