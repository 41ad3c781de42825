//! The HTTP shell: `/graphql` (POST, and GET for queries only), `/graphql/ws`, `/healthz`,
//! `/export/…` (see `export`), `/mcp` (see `mcp`), the web console (see `console`), with body limits, request ids, tracing and CORS.
//!
//! `/graphql` follows the GraphQL-over-HTTP specification: the response media type is chosen by
//! `Accept` (`application/graphql-response+json` or `application/json`; `*/*` or none means
//! `application/json`), a POST body must be `application/json`, and a request that fails before
//! execution (syntax, validation, variables) has no `data` entry and, with
//! `application/graphql-response+json`, the status 400. The credential is resolved before the
//! body is even read: a caller without one gets a cheap 401 and nothing is parsed, unless
//! `public_introspection` lets an introspection-only query through.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_graphql::Name;
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, ServerError, Variables};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::auth::{self, Auth};
use crate::config::{Settings, parse_origin};
use crate::error::AppError;
use crate::graphql::AppSchema;

/// Longest error message sent back, in bytes: a message never echoes a large request.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 400;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

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
    // Browser clients on other origins: only the API routes answer CORS.
    let mut api = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/export/{file}", get(crate::export::export));
    if let Some(cors) = cors_layer(&app.settings) {
        api = api.layer(cors);
    }
    Router::new()
        .merge(api)
        .route("/graphql/ws", get(graphql_ws))
        // The web console (see `console`): its files, and its page for every other browser route.
        .route("/graphiql", get(crate::console::graphiql))
        .route("/assets/{*path}", get(crate::console::asset))
        .fallback(crate::console::page)
        // Operations: liveness, readiness, Prometheus metrics (see `ops`).
        .route("/healthz", get(crate::ops::healthz))
        .route("/readyz", get(crate::ops::readyz))
        .route("/metrics", get(crate::ops::metrics))
        .with_state(HttpState {
            app: app.clone(),
            schema,
        })
        // Agents speaking the Model Context Protocol (see `mcp`).
        .merge(crate::mcp::router(app.clone()))
        // Email decision links: a confirmation page, and its POST that decides (see `pages`).
        .merge(
            Router::new()
                .route(
                    "/links/{token}",
                    get(crate::pages::confirm).post(crate::pages::decide),
                )
                // Slack's buttons and dialogs (see `slack`).
                .route(
                    "/integrations/slack/interactions",
                    axum::routing::post(crate::slack::interactions),
                )
                .with_state(app),
        )
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The CORS layer for `cors_origins`; none (same-origin only) when the setting is unset.
/// Credentials travel in the `Authorization` header only, so credentials mode (cookies) is never
/// allowed.
fn cors_layer(settings: &Settings) -> Option<CorsLayer> {
    let origins = match settings.cors_origins() {
        Ok(origins) => origins,
        Err(e) => {
            // Checked when the application is built; fail closed should it be reached anyway.
            tracing::error!(error = %e, "CORS disabled");
            return None;
        }
    };
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let request_id = HeaderName::from_static("x-request-id");
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                request_id.clone(),
                HeaderName::from_static("x-countersign-client"),
            ])
            .expose_headers([request_id, header::CONTENT_DISPOSITION])
            .max_age(Duration::from_secs(600)),
    )
}

/// Whether a WebSocket upgrade may proceed, judged by its `Origin`: none (not a browser), the
/// server's own host, or one of `cors_origins`. The error says why, for a 403.
pub(crate) fn check_ws_origin(headers: &HeaderMap, settings: &Settings) -> Result<(), String> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let refused = |why: &str| {
        Err(format!(
            "origin {} refused: {why}; list it in COUNTERSIGN_CORS_ORIGINS to allow it",
            truncate(&String::from_utf8_lossy(origin.as_bytes()), 200)
        ))
    };
    let Ok(origin) = origin.to_str() else {
        return refused("it is not ASCII");
    };
    let Ok(origin) = parse_origin(origin) else {
        return refused("it is not an http(s) origin");
    };
    let (scheme, authority) = origin.split_once("://").unwrap_or(("", &origin));
    let own = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|host| parse_origin(&format!("{scheme}://{host}")).ok());
    if own
        .as_deref()
        .and_then(|o| o.split_once("://"))
        .map(|(_, a)| a)
        == Some(authority)
    {
        return Ok(());
    }
    match settings.cors_origins() {
        Ok(allowed) if allowed.contains(&origin) => Ok(()),
        _ => refused("it is neither this server's host nor an allowed origin"),
    }
}

/// The response media type, chosen by `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    Json,
    GraphqlResponseJson,
}

impl MediaType {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::Json => "application/json; charset=utf-8",
            MediaType::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
        })
    }
}

/// Picks the media type by `Accept`: the acceptable one of highest quality, preferring
/// `application/graphql-response+json` on a tie; `*/*`, `application/*` or no header mean
/// `application/json`. `None` when the client accepts neither.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.iter().all(|v| v.trim().is_empty()) {
        return Some(MediaType::Json);
    }
    let mut best: Option<(u32, u8, MediaType)> = None;
    for range in values.iter().flat_map(|v| v.split(',')) {
        let mut parts = range.split(';');
        let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut quality = 1000;
        for param in parts {
            if let Some((key, value)) = param.split_once('=')
                && key.trim().eq_ignore_ascii_case("q")
            {
                quality = value
                    .trim()
                    .parse::<f32>()
                    .map_or(0, |q| (q.clamp(0.0, 1.0) * 1000.0).round() as u32);
            }
        }
        let (rank, media) = match mime.as_str() {
            GRAPHQL_RESPONSE_JSON => (2, MediaType::GraphqlResponseJson),
            APPLICATION_JSON => (1, MediaType::Json),
            "application/*" | "*/*" => (0, MediaType::Json),
            _ => continue,
        };
        if quality == 0 {
            continue;
        }
        if best.is_none_or(|(q, r, _)| (quality, rank) > (q, r)) {
            best = Some((quality, rank, media));
        }
    }
    best.map(|(_, _, media)| media)
}

/// A response of errors only, in the documented shape, each with `extensions.code`.
fn error_response(media: MediaType, status: StatusCode, code: &str, message: &str) -> Response {
    error_response_with(media, status, code, message, None)
}

/// [`error_response`], with the correlation id of an `INTERNAL` error when there is one.
fn error_response_with(
    media: MediaType,
    status: StatusCode,
    code: &str,
    message: &str,
    correlation_id: Option<uuid::Uuid>,
) -> Response {
    // Written in the order of the GraphQL spec's examples: message, then extensions.
    let message = Value::String(truncate(message, MAX_ERROR_MESSAGE_BYTES));
    let code = Value::String(code.to_owned());
    let correlation = correlation_id
        .map(|id| format!(r#","correlationId":"{id}""#))
        .unwrap_or_default();
    let body = format!(
        r#"{{"errors":[{{"message":{message},"extensions":{{"code":{code}{correlation}}}}}]}}"#
    );
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    resp
}

fn bad_request(media: MediaType, status: StatusCode, message: &str) -> Response {
    error_response(media, status, "BAD_USER_INPUT", message)
}

/// The cheap refusal of a caller without a valid credential: 401 with `WWW-Authenticate`.
fn unauthenticated(media: MediaType, headers: &HeaderMap, why: &AppError) -> Response {
    let AppError::Unauthenticated(why) = why else {
        // The credential could not be checked (e.g. no database connection in time): the
        // caller is not told its credential is bad, and may retry.
        let correlation_id = match why {
            AppError::Internal { correlation_id } => Some(*correlation_id),
            _ => None,
        };
        let mut resp = error_response_with(
            media,
            StatusCode::SERVICE_UNAVAILABLE,
            why.code(),
            &why.to_string(),
            correlation_id,
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return resp;
    };
    let mut resp = error_response(media, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", why);
    let challenge = if headers.contains_key(header::AUTHORIZATION) {
        r#"Bearer error="invalid_token""#
    } else {
        "Bearer"
    };
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    resp
}

fn not_acceptable() -> Response {
    bad_request(
        MediaType::Json,
        StatusCode::NOT_ACCEPTABLE,
        "this endpoint answers application/graphql-response+json or application/json: \
         send Accept with one of them (or */*)",
    )
}

/// The caller, resolved from `Authorization` before anything else is looked at. `Err` is the
/// finished refusal; `Ok(auth)` may still be unauthenticated when public introspection is on
/// (the query is then checked by [`prepare`]).
async fn gate(
    s: &HttpState,
    headers: &HeaderMap,
    media: Option<MediaType>,
) -> Result<Auth, Response> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let started = std::time::Instant::now();
    let auth = auth::authenticate(&s.app, header).await;
    crate::telemetry::record_principal(&auth);
    if let Err(why) = &auth.0
        && (!s.app.settings.public_introspection || !matches!(why, AppError::Unauthenticated(_)))
    {
        crate::telemetry::graphql_refused(started, why.code());
        return Err(unauthenticated(
            media.unwrap_or(MediaType::Json),
            headers,
            why,
        ));
    }
    Ok(auth)
}

/// A GraphQL-over-HTTP request, its parameters checked.
struct Params {
    query: String,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
}

/// Checks the parameters of a POST body or a GET query string; the error is for a person.
fn params(
    query: Option<Value>,
    operation_name: Option<Value>,
    variables: Option<Value>,
    extensions: Option<Value>,
) -> Result<Params, String> {
    let query = match query {
        Some(Value::String(q)) => q,
        None | Some(Value::Null) => {
            return Err(
                "the request has no query: send {\"query\": \"<GraphQL document>\"} \
                 (with optional operationName, variables and extensions)"
                    .into(),
            );
        }
        Some(other) => {
            return Err(format!(
                "query must be a string holding a GraphQL document, not {}",
                kind(&other)
            ));
        }
    };
    let operation_name = match operation_name {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name),
        Some(other) => {
            return Err(format!(
                "operationName must be a string or null, not {}",
                kind(&other)
            ));
        }
    };
    let variables = match variables {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(other) => {
            return Err(format!(
                "variables must be an object (a map of variable names to values) or null, not {}",
                kind(&other)
            ));
        }
    };
    match extensions {
        None | Some(Value::Null | Value::Object(_)) => {}
        Some(other) => {
            return Err(format!(
                "extensions must be an object or null, not {}",
                kind(&other)
            ));
        }
    }
    Ok(Params {
        query,
        operation_name,
        variables,
    })
}

/// "a string", "an object", …: what a JSON value is, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses a POST body: a JSON object with `query` and the optional parameters.
fn post_params(body: &[u8]) -> Result<Params, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(
            "the request body is empty: send a JSON object such as {\"query\": \"{ me { subject } }\"}"
                .into(),
        );
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the request body is not valid JSON: {e}"))?;
    let mut object = match value {
        Value::Object(object) => object,
        Value::Array(_) => {
            return Err(
                "batched requests are not supported: send one JSON object per request".into(),
            );
        }
        other => {
            return Err(format!(
                "the request body must be a JSON object with a query, not {}",
                kind(&other)
            ));
        }
    };
    params(
        object.remove("query"),
        object.remove("operationName"),
        object.remove("variables"),
        object.remove("extensions"),
    )
}

/// Checks `Content-Type: application/json` (charset, if given, UTF-8).
fn check_content_type(headers: &HeaderMap) -> Result<(), String> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err("the request has no Content-Type: send the body as application/json".into());
    };
    let value = value.to_str().unwrap_or("").to_ascii_lowercase();
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or("").trim();
    if mime != APPLICATION_JSON {
        return Err(format!(
            "Content-Type {} is not supported: send the body as application/json",
            truncate(mime, 100)
        ));
    }
    for param in parts {
        if let Some((key, charset)) = param.split_once('=')
            && key.trim() == "charset"
            && !matches!(charset.trim().trim_matches('"'), "utf-8" | "utf8")
        {
            return Err(format!(
                "charset {} is not supported: send the body in UTF-8",
                truncate(charset.trim(), 40)
            ));
        }
    }
    Ok(())
}

async fn graphql_post(State(s): State<HttpState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let media = negotiate(&parts.headers);
    let auth = match gate(&s, &parts.headers, media).await {
        Ok(auth) => auth,
        Err(refusal) => return refusal,
    };
    let Some(media) = media else {
        return not_acceptable();
    };
    if let Err(why) = check_content_type(&parts.headers) {
        return bad_request(media, StatusCode::UNSUPPORTED_MEDIA_TYPE, &why);
    }
    let limit = s.app.settings.max_body_bytes;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return bad_request(
                media,
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the request body could not be read in full or is larger than {limit} bytes \
                     (COUNTERSIGN_MAX_BODY_BYTES)"
                ),
            );
        }
    };
    let params = match post_params(&bytes) {
        Ok(params) => params,
        Err(why) => return bad_request(media, StatusCode::BAD_REQUEST, &why),
    };
    execute(&s, media, &parts.headers, auth, params).await
}

/// GET serves queries only: a mutation over GET could be triggered by a link or a prefetch.
async fn graphql_get(State(s): State<HttpState>, request: Request) -> Response {
    let (parts, _body): (_, Body) = request.into_parts();
    let media = negotiate(&parts.headers);
    let auth = match gate(&s, &parts.headers, media).await {
        Ok(auth) => auth,
        Err(refusal) => return refusal,
    };
    let Some(media) = media else {
        return not_acceptable();
    };
    let pairs: Vec<(String, String)> =
        match serde_urlencoded::from_str(parts.uri.query().unwrap_or("")) {
            Ok(pairs) => pairs,
            Err(e) => {
                return bad_request(
                    media,
                    StatusCode::BAD_REQUEST,
                    &format!("the query string is not valid URL encoding: {e}"),
                );
            }
        };
    let mut query = None;
    let mut operation_name = None;
    let mut variables = None;
    let mut extensions = None;
    for (key, value) in pairs {
        let json_param = |name: &str| {
            serde_json::from_str::<Value>(&value)
                .map_err(|e| format!("the {name} parameter is not valid JSON: {e}"))
        };
        let slot = match key.as_str() {
            "query" => {
                query = Some(Value::String(value));
                continue;
            }
            "operationName" => {
                operation_name = Some(Value::String(value));
                continue;
            }
            "variables" => &mut variables,
            "extensions" => &mut extensions,
            _ => continue,
        };
        match json_param(&key) {
            Ok(v) => *slot = Some(v),
            Err(why) => return bad_request(media, StatusCode::BAD_REQUEST, &why),
        }
    }
    let params = match params(query, operation_name, variables, extensions) {
        Ok(params) => params,
        Err(why) => return bad_request(media, StatusCode::BAD_REQUEST, &why),
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
            let mut resp = bad_request(
                media,
                StatusCode::METHOD_NOT_ALLOWED,
                "only queries may be sent with GET; send mutations and subscriptions with POST",
            );
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return resp;
        }
    }
    execute(&s, media, &parts.headers, auth, params).await
}

/// Runs the operation and writes the response in `media`.
async fn execute(
    s: &HttpState,
    media: MediaType,
    headers: &HeaderMap,
    auth: Auth,
    params: Params,
) -> Response {
    let mut req = async_graphql::Request::new(params.query);
    if let Some(variables) = params.variables {
        req = req.variables(Variables::from_json(Value::Object(variables)));
    }
    if let Some(name) = params.operation_name {
        req = req.operation_name(name);
    }
    match async_graphql::parser::parse_query(&req.query) {
        Ok(doc) => {
            if let Err(why) = &auth.0 {
                // Only public introspection gets here without a credential, and only with a
                // document that asks for nothing else.
                if !introspection_only(&doc) || expanded_selections(&doc).is_none() {
                    return unauthenticated(media, headers, why);
                }
                req = req.only_introspection();
            }
            let operation_name = req.operation_name.as_deref();
            if let Some(err) = missing_variable(&doc, operation_name, &req.variables) {
                return graphql_response(media, async_graphql::Response::from_errors(vec![err]));
            }
            req.set_parsed_query(doc);
        }
        // The schema reports the syntax error; a caller without a credential hears only that.
        Err(_) => {
            if let Err(why) = &auth.0 {
                return unauthenticated(media, headers, why);
            }
        }
    }
    let client = crate::graphql::ClientKind::of(headers);
    let response = s.schema.execute(req.data(auth).data(client)).await;
    graphql_response(media, response)
}

/// A required variable (non-null type, no default) of the operation to run that has no value:
/// a variable coercion error of the request, found before execution (the schema would only
/// notice it when a resolver reads the variable).
fn missing_variable(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Option<ServerError> {
    let operation = doc
        .operations
        .iter()
        .find(|(name, _)| match (operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        })?
        .1;
    operation.node.variable_definitions.iter().find_map(|def| {
        let def = &def.node;
        let name = def.name.node.as_str();
        let given = variables
            .get(name)
            .is_some_and(|v| *v != async_graphql::Value::Null);
        if def.var_type.node.nullable || def.default_value.is_some() || given {
            return None;
        }
        let mut err = ServerError::new(
            format!(
                "variable ${name} of required type {} was not provided",
                def.var_type.node
            ),
            Some(def.name.pos),
        );
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", "BAD_USER_INPUT");
        err.extensions = Some(ext);
        Some(err)
    })
}

/// True when every operation is a query whose root fields (through fragments) are only
/// `__schema`, `__type` and `__typename`. Each fragment is looked at once.
fn introspection_only(doc: &ExecutableDocument) -> bool {
    let mut stack: Vec<&SelectionSet> = Vec::new();
    for (_, op) in doc.operations.iter() {
        if op.node.ty != OperationType::Query {
            return false;
        }
        stack.push(&op.node.selection_set.node);
    }
    let mut seen = HashSet::new();
    while let Some(set) = stack.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    if !matches!(
                        field.node.name.node.as_str(),
                        "__schema" | "__type" | "__typename"
                    ) {
                        return false;
                    }
                }
                Selection::InlineFragment(inline) => stack.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if seen.insert(name.clone()) {
                        match doc.fragments.get(name) {
                            Some(fragment) => stack.push(&fragment.node.selection_set.node),
                            None => return false,
                        }
                    }
                }
            }
        }
    }
    true
}

/// Selections a document without a credential may expand to, fragments inlined: a full
/// introspection query (GraphiQL's) is a few hundred.
const PUBLIC_MAX_SELECTIONS: u64 = 5_000;

/// The fields of a selection set at any depth, and the fragment spreads in it (not followed).
fn local_selections(set: &SelectionSet) -> (u64, Vec<&Name>) {
    let mut fields = 0u64;
    let mut spreads = Vec::new();
    let mut stack = vec![set];
    while let Some(set) = stack.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    fields += 1;
                    stack.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => stack.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => spreads.push(&spread.node.fragment_name.node),
            }
        }
    }
    (fields, spreads)
}

/// How many fields the document's operations select with every fragment spread inlined, in
/// time linear in the document; `None` when that is over [`PUBLIC_MAX_SELECTIONS`] or a
/// fragment is unknown or spreads itself. This keeps a caller without a credential from
/// handing the schema a few hundred bytes of nested spreads that expand to millions.
fn expanded_selections(doc: &ExecutableDocument) -> Option<u64> {
    let locals: HashMap<&Name, (u64, Vec<&Name>)> = doc
        .fragments
        .iter()
        .map(|(name, f)| (name, local_selections(&f.node.selection_set.node)))
        .collect();
    let mut sizes: HashMap<&Name, u64> = HashMap::new();
    for start in locals.keys().copied() {
        if sizes.contains_key(start) {
            continue;
        }
        // Depth-first, children before parents, without recursion.
        let mut path: Vec<(&Name, usize)> = vec![(start, 0)];
        let mut on_path: HashSet<&Name> = HashSet::from([start]);
        while let Some(&(name, next)) = path.last() {
            let (fields, spreads) = locals.get(name)?;
            if let Some(&child) = spreads.get(next) {
                if let Some(top) = path.last_mut() {
                    top.1 += 1;
                }
                if sizes.contains_key(child) {
                    continue;
                }
                if !locals.contains_key(child) || !on_path.insert(child) {
                    return None;
                }
                path.push((child, 0));
                continue;
            }
            let mut total = *fields;
            for spread in spreads {
                total = total.saturating_add(*sizes.get(spread)?);
            }
            if total > PUBLIC_MAX_SELECTIONS {
                return None;
            }
            sizes.insert(name, total);
            on_path.remove(name);
            path.pop();
        }
    }
    let mut total = 0u64;
    for (_, op) in doc.operations.iter() {
        let (fields, spreads) = local_selections(&op.node.selection_set.node);
        total = total.saturating_add(fields);
        for spread in spreads {
            total = total.saturating_add(*sizes.get(spread)?);
        }
    }
    (total <= PUBLIC_MAX_SELECTIONS).then_some(total)
}

/// Writes a GraphQL response. A response that failed before execution (no error has a path and
/// there is no data: syntax, validation, variable coercion, operation selection) is a request
/// error: it has no `data` entry, and with `application/graphql-response+json` the status 400.
fn graphql_response(media: MediaType, response: async_graphql::Response) -> Response {
    let request_error = !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    let cache_control = response.cache_control.value();
    let extra_headers = response.http_headers.clone();
    let mut response = response;
    for err in &mut response.errors {
        err.message = shorten(&err.message);
    }
    // Serialized from the GraphQL response itself, so fields keep the order of the selection.
    let body = if request_error {
        #[derive(serde::Serialize)]
        struct RequestError<'a> {
            errors: &'a [async_graphql::ServerError],
        }
        serde_json::to_string(&RequestError {
            errors: &response.errors,
        })
    } else {
        serde_json::to_string(&response)
    };
    let body = match body {
        Ok(body) => body,
        Err(_) => {
            let err = crate::error::AppError::internal("a GraphQL response did not serialize");
            return error_response(
                media,
                StatusCode::INTERNAL_SERVER_ERROR,
                err.code(),
                &err.to_string(),
            );
        }
    };
    let status = if request_error && media == MediaType::GraphqlResponseJson {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut resp = (status, body).into_response();
    let out = resp.headers_mut();
    for (name, value) in &extra_headers {
        out.append(name, value.clone());
    }
    out.insert(header::CONTENT_TYPE, media.content_type());
    if let Some(value) = cache_control.and_then(|v| HeaderValue::from_str(&v).ok()) {
        out.insert(header::CACHE_CONTROL, value);
    }
    resp
}

/// An error message fit to send: a syntax error as one line with its position and what was
/// expected (the parser's own message quotes the offending line of the query, however long),
/// and anything at most [`MAX_ERROR_MESSAGE_BYTES`].
fn shorten(message: &str) -> String {
    if let Some(position) = message.strip_prefix(" --> ") {
        let position = position.lines().next().unwrap_or("").trim();
        let (line, column) = position.split_once(':').unwrap_or((position, "?"));
        let expected = message
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("= "))
            .unwrap_or("invalid syntax");
        let one_line = format!("syntax error at line {line}, column {column}: {expected}");
        return truncate(&one_line, MAX_ERROR_MESSAGE_BYTES);
    }
    truncate(message, MAX_ERROR_MESSAGE_BYTES)
}

/// `text` cut to at most `max` bytes on a character boundary, with `…` when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

async fn graphql_ws(
    State(s): State<HttpState>,
    headers: HeaderMap,
    ws: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    crate::ws::upgrade(ws, headers, s.app, s.schema).await
}
