//! The Model Context Protocol server at `/mcp`: Streamable HTTP (stateless, JSON responses)
//! through the official Rust SDK, `rmcp`. An MCP client is just another caller: the same bearer
//! credentials as `/graphql` (an API key, normally), the same roles, and every tool goes through
//! the same domain functions, so tenant isolation and every invariant hold alike.
//!
//! Tools (their names are the contract): `list_workflows`, `submit_action`, `get_request`,
//! `wait_for_decision`, `report_execution`, `cancel_request`, and `request_permission` (the
//! permission-prompt shape coding agents use). Each result has structured content and one
//! paragraph a model can read; a failure is a tool error (`isError`) whose structured content is
//! `{code, message, path}` with the codes of the GraphQL API, never a transport failure.

mod args;
mod text;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use countersign_entity::approval_request;
use countersign_entity::enums::{RequestStatus, WorkflowMode};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::transport::StreamableHttpServerConfig;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::tower::StreamableHttpService;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use sea_orm::ActiveEnum;
use serde_json::{Map, Value, json};

use self::args::{
    CancelArgs, NoArgs, PermissionArgs, ReportArgs, RequestArgs, SubmitArgs, WaitArgs, parse,
    request_id, schema,
};
use self::text::{Runner, summary};
use crate::AppState;
use crate::auth::{self, Principal};
use crate::domain::execution::{self, ReportInput};
use crate::domain::lifecycle::{self, SubmitInput};
use crate::domain::{request_view, requests, waiting, workflows};
use crate::error::{AppError, AppResult};

/// What the server tells a client about itself when it connects.
const INSTRUCTIONS: &str = "Countersign decides whether an action you propose may run. Submit it \
with submit_action (the workflow, your own idempotency key, the action as a JSON object, and \
facts such as amount and confidence); the workflow's policy approves it at once, routes it to \
people, or refuses it. While it is PENDING, do not run it: call wait_for_decision until the \
status changes. Only on APPROVED run request.finalAction (reviewers may have edited it), then \
report the outcome with report_execution.";

/// How often a waiting answer sends a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Waits (`wait_for_decision`, `request_permission`) one caller may have open at once on one
/// replica; more are `RATE_LIMITED`, so one agent cannot hold every connection.
pub const MAX_WAITS_PER_CALLER: usize = 16;

/// The `/mcp` routes: the MCP service behind the bearer check.
pub(crate) fn router(state: AppState) -> Router {
    let settings = &state.settings;
    // Stateless: any replica serves any call, and nothing is kept between calls but the
    // database. Each answer is a short event stream with keep-alive comments, so a wait of a
    // minute or more survives proxies that cut idle connections. The Host check of the SDK
    // guards servers without credentials against DNS rebinding; every call here carries a
    // bearer credential, and the Origin of browsers is checked below against
    // COUNTERSIGN_CORS_ORIGINS, as for WebSockets.
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(false)
        .with_sse_keep_alive(Some(KEEP_ALIVE))
        .with_sse_retry(None)
        .with_max_request_body_bytes(settings.max_body_bytes)
        .disable_allowed_hosts()
        .disable_allowed_origins();
    let server = McpServer::new(state.clone());
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service("/mcp", service)
        .layer(axum::middleware::from_fn_with_state(state, authenticate))
}

/// Resolves the caller before the SDK sees the request: no credential, no MCP. The principal
/// travels in the request's extensions, which the SDK hands to the tools.
async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if let Err(why) = crate::http::check_ws_origin(request.headers(), &state.settings) {
        return (StatusCode::FORBIDDEN, why).into_response();
    }
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let auth = auth::authenticate(&state, header).await;
    crate::telemetry::record_principal(&auth);
    match auth.0 {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(e @ AppError::Unauthenticated(_)) => {
            let message = e.to_string();
            // RFC 6750: no error code when no credential was sent at all.
            let challenge = if header.is_none() {
                "Bearer realm=\"countersign\"".to_owned()
            } else {
                format!(
                    "Bearer realm=\"countersign\", error=\"invalid_token\", error_description=\"{}\"",
                    message.replace(['"', '\\'], "'")
                )
            };
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, challenge)],
                axum::Json(json!({ "error": { "code": e.code(), "message": message } })),
            )
                .into_response()
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "error": { "code": e.code(), "message": e.to_string() } })),
        )
            .into_response(),
    }
}

/// One MCP server value per call (the SDK's factory clones it); all of it is shared state.
#[derive(Clone)]
struct McpServer {
    state: AppState,
    tools: Arc<Vec<Tool>>,
    waits: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open wait of a caller; counted down when dropped.
struct WaitSlot {
    waits: Arc<Mutex<HashMap<String, usize>>>,
    key: String,
}

impl Drop for WaitSlot {
    fn drop(&mut self) {
        let mut waits = self.waits.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = waits.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                waits.remove(&self.key);
            }
        }
    }
}

fn tool(name: &'static str, description: &'static str, input: JsonObject) -> Tool {
    Tool::new(name, description, Arc::new(input))
}

impl McpServer {
    fn new(state: AppState) -> McpServer {
        let read_only = |title: &str| ToolAnnotations::with_title(title).read_only(true);
        let tools = vec![
            tool(
                "list_workflows",
                "The workflows you may submit actions to, with each one's description, mode \
                 (ACTIVE, MANUAL_ONLY: every action goes to people, PAUSED: nothing is accepted) \
                 and who runs approved actions (AGENT: you, WEBHOOK: Countersign).",
                schema::<NoArgs>(),
            )
            .with_annotations(read_only("List workflows")),
            tool(
                "submit_action",
                "Propose an action for approval. The workflow's policy approves it at once \
                 (route AUTO), sends it to people (HUMAN: status PENDING, with the steps and due \
                 time), or refuses it (REJECT). Never run a PENDING or REJECTED action. Safe to \
                 retry with the same idempotencyKey.",
                schema::<SubmitArgs>(),
            )
            .with_annotations(ToolAnnotations::with_title("Submit an action").destructive(false)),
            tool(
                "get_request",
                "A request as it stands now: status, route, steps, decisions and the final \
                 action (edits included).",
                schema::<RequestArgs>(),
            )
            .with_annotations(read_only("Get a request")),
            tool(
                "wait_for_decision",
                "Wait until the request is no longer PENDING (approved, rejected, expired, \
                 cancelled), at most timeoutSeconds (1-60, default 25); then it is returned as it \
                 stands. Still PENDING means no decision yet: call again to keep waiting.",
                schema::<WaitArgs>(),
            )
            .with_annotations(read_only("Wait for a decision")),
            tool(
                "report_execution",
                "After running an APPROVED action (request.finalAction), report the outcome: \
                 success with the external reference, or the error.",
                schema::<ReportArgs>(),
            )
            .with_annotations(
                ToolAnnotations::with_title("Report execution")
                    .destructive(false)
                    .idempotent(true),
            ),
            tool(
                "cancel_request",
                "Withdraw a PENDING request you submitted, with a reason.",
                schema::<CancelArgs>(),
            )
            .with_annotations(
                ToolAnnotations::with_title("Cancel a request")
                    .destructive(true)
                    .idempotent(true),
            ),
            tool(
                "request_permission",
                "Permission prompt for an agent's own tools: asks Countersign before the tool \
                 runs. Answers {\"behavior\":\"allow\",\"updatedInput\":{...}} (run with that \
                 input, reviewer edits included) or {\"behavior\":\"deny\",\"message\":\"...\"}.",
                schema::<PermissionArgs>(),
            )
            .with_annotations(ToolAnnotations::with_title("Request permission").destructive(false)),
        ];
        McpServer {
            state,
            tools: Arc::new(tools),
            waits: Arc::default(),
        }
    }

    /// A slot for one more wait of `caller`, or `RATE_LIMITED`.
    fn wait_slot(&self, caller: &Principal) -> AppResult<WaitSlot> {
        let key = format!("{}\u{1f}{}", caller.tenant, caller.subject);
        let mut waits = self.waits.lock().unwrap_or_else(|p| p.into_inner());
        let n = waits.entry(key.clone()).or_insert(0);
        if *n >= MAX_WAITS_PER_CALLER {
            return Err(AppError::RateLimited(format!(
                "{} already has {MAX_WAITS_PER_CALLER} waits open; let one finish first",
                caller.subject
            )));
        }
        *n += 1;
        Ok(WaitSlot {
            waits: self.waits.clone(),
            key,
        })
    }

    async fn call(&self, caller: &Principal, name: &str, arguments: Option<JsonObject>) -> Reply {
        let result = match name {
            "list_workflows" => self.list_workflows(caller, arguments).await,
            "submit_action" => self.submit_action(caller, arguments).await,
            "get_request" => self.get_request(caller, arguments).await,
            "wait_for_decision" => self.wait_for_decision(caller, arguments).await,
            "report_execution" => self.report_execution(caller, arguments).await,
            "cancel_request" => self.cancel_request(caller, arguments).await,
            "request_permission" => return self.request_permission(caller, arguments).await,
            other => Err(AppError::NotFound(format!(
                "tool {other:?} (tools/list names them)"
            ))),
        };
        result.unwrap_or_else(|e| Reply::error(&e))
    }

    async fn list_workflows(
        &self,
        caller: &Principal,
        arguments: Option<JsonObject>,
    ) -> AppResult<Reply> {
        parse::<NoArgs>(arguments)?;
        let rows = workflows::list(self.state.store.db(), &caller.tenant).await?;
        let mut lines = Vec::new();
        let list: Vec<Value> = rows
            .iter()
            .map(|w| {
                let runner = runner(w.webhook_url.is_some());
                lines.push(format!(
                    "{} ({}, {}){}",
                    w.key,
                    w.name,
                    w.mode.to_value(),
                    w.description
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ));
                json!({
                    "key": w.key,
                    "name": w.name,
                    "description": w.description,
                    "mode": w.mode.to_value(),
                    "acceptsActions": w.mode != WorkflowMode::Paused,
                    "policyVersion": w.active_policy_version,
                    "executedBy": runner.name(),
                })
            })
            .collect();
        let text = match lines.len() {
            0 => "No workflows yet: an administrator creates them.".to_owned(),
            n => format!(
                "{n} workflow{}: {}.",
                if n == 1 { "" } else { "s" },
                lines.join("; ")
            ),
        };
        Ok(Reply::ok(text, json!({ "workflows": list })))
    }

    async fn submit_action(
        &self,
        caller: &Principal,
        arguments: Option<JsonObject>,
    ) -> AppResult<Reply> {
        let input = parse::<SubmitArgs>(arguments)?.into_input();
        self.state.check_submit_rate(caller)?;
        let outcome =
            lifecycle::submit(&self.state.store, caller, input, &self.state.evaluator).await?;
        let mut reply = self.request_reply(&outcome.request).await?;
        reply.structured["created"] = json!(outcome.created);
        if !outcome.created {
            reply.text = format!("Already submitted with this idempotencyKey. {}", reply.text);
        }
        Ok(reply)
    }

    async fn get_request(
        &self,
        caller: &Principal,
        arguments: Option<JsonObject>,
    ) -> AppResult<Reply> {
        let id = request_id(&parse::<RequestArgs>(arguments)?.request_id)?;
        let request = requests::get(self.state.store.db(), caller, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("request {id}")))?;
        self.request_reply(&request).await
    }

    async fn wait_for_decision(
        &self,
        caller: &Principal,
        arguments: Option<JsonObject>,
    ) -> AppResult<Reply> {
        let args = parse::<WaitArgs>(arguments)?;
        let id = request_id(&args.request_id)?;
        if !(1..=60).contains(&args.timeout_seconds) {
            return Err(AppError::bad_input(
                "timeoutSeconds",
                "must be between 1 and 60",
            ));
        }
        let _slot = self.wait_slot(caller)?;
        let request = self
            .wait(caller, id, Duration::from_secs(args.timeout_seconds.into()))
            .await?;
        self.request_reply(&request).await
    }

    async fn report_execution(
        &self,
        caller: &Principal,
        arguments: Option<JsonObject>,
    ) -> AppResult<Reply> {
        let args = parse::<ReportArgs>(arguments)?;
        let input = ReportInput {
            request_id: request_id(&args.request_id)?,
            success: args.success,
            external_ref: args.external_ref,
            error: args.error,
        };
        let request = execution::report_execution(&self.state.store, caller, input).await?;
        self.request_reply(&request).await
    }

    async fn cancel_request(
        &self,
        caller: &Principal,
        arguments: Option<JsonObject>,
    ) -> AppResult<Reply> {
        let args = parse::<CancelArgs>(arguments)?;
        let id = request_id(&args.request_id)?;
        let request = lifecycle::cancel(&self.state.store, caller, id, &args.reason).await?;
        self.request_reply(&request).await
    }

    /// Submits the tool call to the configured workflow and waits for people; only an APPROVED
    /// request is an allow, with the final (possibly edited) input. Every failure is a deny
    /// that says why, so a permission prompt always gets an answer it can act on.
    async fn request_permission(&self, caller: &Principal, arguments: Option<JsonObject>) -> Reply {
        match self.permission(caller, arguments).await {
            Ok(reply) => reply,
            Err(e) => Reply::deny(format!(
                "Countersign refused the request ({}): {e}",
                e.code()
            )),
        }
    }

    async fn permission(
        &self,
        caller: &Principal,
        arguments: Option<JsonObject>,
    ) -> AppResult<Reply> {
        let args = parse::<PermissionArgs>(arguments)?;
        let settings = &self.state.settings;
        let Some(workflow) = settings.mcp_permission_workflow.clone() else {
            return Ok(Reply::deny(
                "no permission workflow is configured on the Countersign server \
                 (COUNTERSIGN_MCP_PERMISSION_WORKFLOW), so nothing can be allowed"
                    .to_owned(),
            ));
        };
        let _slot = self.wait_slot(caller)?;
        // A workflow whose approved actions Countersign delivers itself would run the tool a
        // second time, through its webhook.
        if workflows::get(self.state.store.db(), &caller.tenant, &workflow)
            .await?
            .is_some_and(|w| w.webhook_url.is_some())
        {
            return Ok(Reply::deny(format!(
                "the permission workflow {workflow:?} has an execution webhook, so an approval \
                 would run twice; an administrator must remove it (setExecutionWebhook) first"
            )));
        }
        let input = SubmitInput {
            workflow_key: workflow,
            idempotency_key: args.tool_use_id,
            action_type: args.tool_name.clone(),
            title: permission_title(&args.tool_name, &args.input),
            action: Value::Object(args.input),
            recommendation: None,
            confidence: None,
            amount: None,
            currency: None,
            risk_flags: None,
            sources: None,
            context: None,
            model: None,
            prompt_version: None,
            cost_usd: None,
            correlation: None,
        };
        self.state.check_submit_rate(caller)?;
        let outcome =
            lifecycle::submit(&self.state.store, caller, input, &self.state.evaluator).await?;
        let timeout = Duration::from_secs(settings.mcp_permission_timeout_seconds);
        let mut request = self.wait(caller, outcome.request.id, timeout).await?;
        if request.status == RequestStatus::Pending && *self.state.shutdown.borrow() {
            // The wait ended because this server is stopping, not because time ran out: the
            // request stays pending, and asking again with the same tool_use_id resumes it.
            return Ok(Reply::deny(format!(
                "the Countersign server is restarting; ask again with the same tool_use_id to keep \
                 waiting (request {} is still pending)",
                request.id
            )));
        }
        if request.status == RequestStatus::Pending {
            // Nobody decided in time: the agent is told no, and the request leaves the
            // reviewers' queue rather than wait for an approval nobody will use.
            let reason = format!(
                "request_permission waited {} s without a decision; the agent was denied",
                timeout.as_secs()
            );
            request = match lifecycle::cancel(&self.state.store, caller, request.id, &reason).await
            {
                Ok(request) => request,
                // Decided meanwhile (or cancelled by someone else): answer with what it is now.
                Err(AppError::Conflict(_)) => {
                    requests::get(self.state.store.db(), caller, request.id)
                        .await?
                        .ok_or_else(|| AppError::NotFound(format!("request {}", request.id)))?
                }
                Err(e) => return Err(e),
            };
            if request.status == RequestStatus::Cancelled {
                return Ok(Reply::deny(format!(
                    "no decision within {} s (request {}), so the tool call is not allowed; it was \
                     withdrawn from the reviewers' queue",
                    timeout.as_secs(),
                    request.id
                )));
            }
        }
        let view = request_view::load(self.state.store.db(), &request).await?;
        if request.status == RequestStatus::Approved {
            return Ok(Reply::allow(view["finalAction"].clone()));
        }
        let why = summary(&view, Runner::Agent);
        Ok(Reply::deny(format!("{why} (request {})", request.id)))
    }

    /// `awaitDecision`: back as soon as the request is decided, or at the timeout.
    async fn wait(
        &self,
        caller: &Principal,
        id: uuid::Uuid,
        timeout: Duration,
    ) -> AppResult<approval_request::Model> {
        waiting::await_decision(
            &self.state.store,
            &self.state.events,
            self.state.shutdown.clone(),
            caller,
            id,
            timeout,
        )
        .await
    }

    /// The result for a request: the request as the API shows it, with the facts an agent acts
    /// on at the top, and the paragraph that says what they mean.
    async fn request_reply(&self, request: &approval_request::Model) -> AppResult<Reply> {
        let db = self.state.store.db();
        let view = request_view::load(db, request).await?;
        let webhook = workflows::get(db, &request.tenant_id, &request.workflow_key)
            .await?
            .is_some_and(|w| w.webhook_url.is_some());
        let runner = runner(webhook);
        let structured = json!({
            "requestId": view["id"],
            "status": view["status"],
            "route": view["route"],
            "dueAt": view["dueAt"],
            "steps": view["steps"],
            "executedBy": runner.name(),
            "request": view,
        });
        Ok(Reply::ok(summary(&view, runner), structured))
    }
}

fn runner(webhook: bool) -> Runner {
    if webhook {
        Runner::Webhook
    } else {
        Runner::Agent
    }
}

/// "Bash: rm -rf build" — the tool and what it would do, in one line for the reviewer.
fn permission_title(tool: &str, input: &Map<String, Value>) -> String {
    let what = ["command", "file_path", "path", "url", "query"]
        .iter()
        .find_map(|key| input.get(*key).and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| Value::Object(input.clone()).to_string());
    let mut title = format!(
        "{tool}: {}",
        what.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    if title.chars().count() > 200 {
        title = title.chars().take(199).collect::<String>() + "…";
    }
    title
}

/// A tool's answer: the paragraph and the structured content (an object).
struct Reply {
    text: String,
    structured: Value,
    error: bool,
}

impl Reply {
    fn ok(text: String, structured: Value) -> Reply {
        Reply {
            text,
            structured,
            error: false,
        }
    }

    /// A tool error with the GraphQL API's code, message and field path.
    fn error(e: &AppError) -> Reply {
        // Paths name fields under the GraphQL argument `input`; tool arguments have no wrapper.
        let path: Vec<&String> = match e.path() {
            [first, rest @ ..] if first == "input" => rest.iter().collect(),
            all => all.iter().collect(),
        };
        let message = crate::http::truncate(&e.to_string(), crate::http::MAX_ERROR_MESSAGE_BYTES);
        Reply {
            text: format!("{}: {message}", e.code()),
            structured: json!({ "code": e.code(), "message": message, "path": path }),
            error: true,
        }
    }

    /// The permission-prompt answers: the text is the JSON itself.
    fn allow(updated_input: Value) -> Reply {
        let answer = json!({ "behavior": "allow", "updatedInput": updated_input });
        Reply::ok(answer.to_string(), answer)
    }

    fn deny(message: String) -> Reply {
        let answer = json!({ "behavior": "deny", "message": message });
        Reply::ok(answer.to_string(), answer)
    }

    fn into_result(self) -> CallToolResult {
        // The paragraph first; then, for clients that show a model only text, the structured
        // content as JSON (unless the paragraph already is that JSON).
        let json = self.structured.to_string();
        let mut blocks = vec![ContentBlock::text(self.text.clone())];
        if json != self.text {
            blocks.push(ContentBlock::text(json));
        }
        let mut result = if self.error {
            CallToolResult::error(blocks)
        } else {
            CallToolResult::success(blocks)
        };
        result.structured_content = Some(self.structured);
        result
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "countersign",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Principal>())
            .cloned();
        let reply = match caller {
            // A client that goes away cancels the call: a wait ends with it.
            Some(caller) => tokio::select! {
                reply = self.call(&caller, &request.name, request.arguments) => reply,
                () = context.ct.cancelled() => Reply::error(&AppError::Conflict(
                    "the client cancelled the call".into(),
                )),
            },
            // The middleware always puts it there; fail closed should it be missing.
            None => Reply::error(&AppError::Unauthenticated(
                "no credential reached the MCP server".to_owned(),
            )),
        };
        Ok(reply.into_result().into())
    }
}
