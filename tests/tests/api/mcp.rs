//! The MCP server at `/mcp`, driven by the official Rust SDK's client over Streamable HTTP: the
//! tools, their structured results and texts, errors as tool errors with our codes, tenant
//! isolation, and `request_permission` (allow with edits, deny after a reject, deny on timeout).

use countersign_tests::{TestApp, db_tests};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    permission_workflow;
    mcp_client_lists_submits_waits_and_reports,
    mcp_failures_are_tool_errors_with_codes_and_write_nothing,
    mcp_callers_see_only_their_tenant,
    mcp_waits_are_capped_per_caller,
    request_permission_allows_with_the_edited_input,
    request_permission_denies_after_a_reject_and_by_policy,
    request_permission_denies_on_timeout_and_when_unconfigured,
);

fn permission_workflow(settings: &mut countersign::config::Settings) {
    settings.mcp_permission_workflow = Some("shell".to_owned());
}

type Client = RunningService<RoleClient, ()>;

async fn connect(app: &TestApp, credential: &str) -> Client {
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", app.base))
        .auth_header(credential);
    ().serve(StreamableHttpClientTransport::from_config(config))
        .await
        .expect("MCP client connects")
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments are an object");
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("{tool}: a tool result, not a protocol error: {e}"))
}

fn structured(result: &CallToolResult) -> Value {
    result
        .structured_content
        .clone()
        .expect("structured content")
}

fn text(result: &CallToolResult) -> String {
    result.content[0]
        .as_text()
        .expect("a text block")
        .text
        .clone()
}

/// The tool error's `{code, message, path}`.
fn tool_error(result: &CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(true), "a tool error: {result:?}");
    structured(result)
}

/// An API key, as agents normally connect.
async fn api_key(app: &TestApp, tenant: &str, principal: &str, roles: &[&str]) -> String {
    let admin = app.token(tenant, "alice-admin", &["admin"]);
    app.data(
        &admin,
        "mutation($p: String!, $r: [String!]!) { createApiKey(principal: $p, roles: $r) { key } }",
        json!({ "p": principal, "r": roles }),
    )
    .await["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn refund_args(key: &str, amount: &str) -> Value {
    json!({
        "workflowKey": "refunds",
        "idempotencyKey": key,
        "actionType": "refund.issue",
        "title": format!("Refund {key}"),
        "action": { "order": key, "amount": amount },
        "confidence": 0.95,
        "amount": amount,
        "currency": "USD",
        "correlation": { "runId": key },
    })
}

async fn until_listening(app: &TestApp) {
    countersign_tests::eventually("a waiter to listen", || async {
        app.state.events.broadcast_head(TENANT).map(|_| ())
    })
    .await;
}

async fn mcp_client_lists_submits_waits_and_reports(app: &TestApp) {
    let mut policy = refund_policy();
    policy["default"]["steps"][0]["sla"] = json!("PT4H");
    create_workflow(app, "refunds", policy).await;
    let key = api_key(app, TENANT, "refund-bot", &["agent"]).await;
    let client = connect(app, &key).await;

    let mut names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cancel_request",
            "get_request",
            "list_workflows",
            "report_execution",
            "request_permission",
            "submit_action",
            "wait_for_decision"
        ]
    );
    let tools = client.list_all_tools().await.unwrap();
    let submit = tools.iter().find(|t| t.name == "submit_action").unwrap();
    let required = submit.input_schema["required"].as_array().unwrap();
    assert!(required.contains(&json!("idempotencyKey")), "{required:?}");
    assert_eq!(submit.input_schema["additionalProperties"], false);

    let listed = call(&client, "list_workflows", json!({})).await;
    let workflows = &structured(&listed)["workflows"];
    assert_eq!(workflows[0]["key"], "refunds");
    assert_eq!(workflows[0]["mode"], "ACTIVE");
    assert_eq!(workflows[0]["acceptsActions"], true);
    assert_eq!(workflows[0]["executedBy"], "AGENT");
    assert!(
        text(&listed).starts_with("1 workflow: refunds"),
        "{}",
        text(&listed)
    );

    // A small clean refund is approved by policy at once.
    let auto = call(&client, "submit_action", refund_args("mcp-auto", "20.00")).await;
    let s = structured(&auto);
    assert_eq!(
        (s["status"].as_str(), s["route"].as_str()),
        (Some("APPROVED"), Some("AUTO"))
    );
    assert!(
        text(&auto).starts_with("Approved by policy rule \"small-clean\". Run request.finalAction"),
        "{}",
        text(&auto)
    );

    // A larger one goes to people: the steps, the due time and what to do in the text.
    let human = call(&client, "submit_action", refund_args("mcp-1", "200.00")).await;
    assert_ne!(human.is_error, Some(true), "{human:?}");
    let s = structured(&human);
    assert_eq!(s["status"], "PENDING");
    assert_eq!(s["route"], "HUMAN");
    assert_eq!(s["created"], true);
    assert_eq!(s["steps"][0]["role"], "support_agent");
    assert!(s["dueAt"].is_string());
    assert_eq!(s["request"]["correlation"], json!({ "runId": "mcp-1" }));
    assert_eq!(s["request"]["amount"], "200.00");
    let t = text(&human);
    assert!(
        t.starts_with("Pending: waiting for support_agent (quorum 1), due ")
            && t.contains(" UTC on "),
        "{t}"
    );
    let id = s["requestId"].as_str().unwrap().to_owned();

    // The same key and fields again: the same request, not a second one.
    let again = call(&client, "submit_action", refund_args("mcp-1", "200.00")).await;
    assert_eq!(structured(&again)["requestId"], id.as_str());
    assert_eq!(structured(&again)["created"], false);

    // No decision within the timeout: back with the request still pending.
    let waited = call(
        &client,
        "wait_for_decision",
        json!({ "requestId": id, "timeoutSeconds": 1 }),
    )
    .await;
    assert_eq!(structured(&waited)["status"], "PENDING");

    // Waiting, a reviewer edits and approves through GraphQL: the waiter wakes with the edit.
    let waiter = {
        let client = connect(app, &key).await;
        let id = id.clone();
        tokio::spawn(async move {
            let result = call(
                &client,
                "wait_for_decision",
                json!({ "requestId": id, "timeoutSeconds": 60 }),
            )
            .await;
            client.cancel().await.ok();
            result
        })
    };
    until_listening(app).await;
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let edited = json!({ "order": "mcp-1", "amount": "150.00" });
    decide(
        app,
        &rita,
        json!({ "requestId": id, "decision": "APPROVE", "editedAction": edited }),
    )
    .await;
    let decided = waiter.await.unwrap();
    let s = structured(&decided);
    assert_eq!(s["status"], "APPROVED");
    assert_eq!(s["request"]["finalAction"], edited);
    assert_eq!(s["request"]["decisions"][0]["actor"], "rita");
    let t = text(&decided);
    assert!(
        t.starts_with("Approved by rita. A reviewer edited the action"),
        "{t}"
    );

    let reported = call(
        &client,
        "report_execution",
        json!({ "requestId": id, "success": true, "externalRef": "re_123" }),
    )
    .await;
    assert_eq!(structured(&reported)["status"], "EXECUTED");
    let got = call(&client, "get_request", json!({ "requestId": id })).await;
    assert_eq!(structured(&got)["request"]["externalRef"], "re_123");
    assert_eq!(
        text(&got),
        format!("Approved and executed (external reference re_123). Request {id}.")
    );
    // The structured content as JSON too, for clients that show a model only text.
    let json: Value = serde_json::from_str(&got.content[1].as_text().unwrap().text).unwrap();
    assert_eq!(json, structured(&got));

    // Cancelling a pending one of its own.
    let other = call(&client, "submit_action", refund_args("mcp-2", "300.00")).await;
    let other = structured(&other)["requestId"].as_str().unwrap().to_owned();
    let cancelled = call(
        &client,
        "cancel_request",
        json!({ "requestId": other, "reason": "customer withdrew" }),
    )
    .await;
    assert_eq!(structured(&cancelled)["status"], "CANCELLED");
    assert!(text(&cancelled).starts_with("Cancelled"));

    // Everything went through the audit log like any other caller's work.
    assert_eq!(
        audit_types(app, &id).await,
        [
            "REQUEST_SUBMITTED",
            "STEP_OPENED",
            "STEP_APPROVED",
            "REQUEST_APPROVED",
            "EXECUTION_REPORTED"
        ]
    );
    client.cancel().await.ok();
}

async fn mcp_failures_are_tool_errors_with_codes_and_write_nothing(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let events = app.count("audit_events").await;

    // No credential, or a bad one: the HTTP answer is 401 with a Bearer challenge.
    let response = app
        .client
        .post(format!("{}/mcp", app.base))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer ")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNAUTHENTICATED");
    let stranger = ().serve(StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", app.base))
            .auth_header("cs_not_a_key"),
    ));
    assert!(stranger.await.is_err(), "an unknown key cannot connect");

    let client = connect(app, &agent(app)).await;
    let mut money_as_number = refund_args("bad-1", "200.00");
    money_as_number["amount"] = json!(200.1);
    let mut unknown_field = refund_args("bad-2", "200.00");
    unknown_field["amout"] = json!("200.00");
    let mut missing = refund_args("bad-3", "200.00");
    missing.as_object_mut().unwrap().remove("idempotencyKey");
    let mut not_object = refund_args("bad-4", "200.00");
    not_object["action"] = json!("refund it");
    let mut nul = refund_args("bad-7", "200.00");
    nul["title"] = json!("Refund\u{0}");
    let mut bad_confidence = refund_args("bad-5", "200.00");
    bad_confidence["confidence"] = json!(1.5);
    let mut unknown_workflow = refund_args("bad-6", "200.00");
    unknown_workflow["workflowKey"] = json!("nope");
    for (what, args, code, path) in [
        (
            "money as a number",
            money_as_number,
            "BAD_USER_INPUT",
            json!(["amount"]),
        ),
        (
            "a misspelt field",
            unknown_field,
            "BAD_USER_INPUT",
            json!(["amout"]),
        ),
        ("no idempotency key", missing, "BAD_USER_INPUT", json!([])),
        (
            "an action that is not an object",
            not_object,
            "BAD_USER_INPUT",
            json!(["action"]),
        ),
        (
            "confidence above 1",
            bad_confidence,
            "BAD_USER_INPUT",
            json!(["confidence"]),
        ),
        (
            "an unknown workflow",
            unknown_workflow,
            "BAD_USER_INPUT",
            json!(["workflowKey"]),
        ),
    ] {
        let result = call(&client, "submit_action", args).await;
        let e = tool_error(&result);
        assert_eq!(e["code"], code, "{what}: {e}");
        assert_eq!(e["path"], path, "{what}: {e}");
        assert!(
            text(&result).starts_with(&format!("{code}: ")),
            "{what}: {}",
            text(&result)
        );
    }
    let e = tool_error(
        &call(
            &client,
            "submit_action",
            json!({ "workflowKey": "refunds", "idempotencyKey": "k", "actionType": "refund.issue",
                    "title": "t", "action": {}, "amount": 12 }),
        )
        .await,
    );
    assert!(
        e["message"].as_str().unwrap().contains("decimal string"),
        "money as a number says why: {e}"
    );

    // A reviewer may not submit; an agent may not wait longer than a minute.
    let reviewer = connect(app, &app.token(TENANT, "rita", &["support_agent"])).await;
    let e = tool_error(&call(&reviewer, "submit_action", refund_args("rita-1", "20.00")).await);
    assert_eq!(e["code"], "FORBIDDEN");
    for (tool, args, code) in [
        (
            "wait_for_decision",
            json!({ "requestId": uuid::Uuid::now_v7(), "timeoutSeconds": 61 }),
            "BAD_USER_INPUT",
        ),
        (
            "get_request",
            json!({ "requestId": "not-an-id" }),
            "BAD_USER_INPUT",
        ),
        (
            "get_request",
            json!({ "requestId": uuid::Uuid::now_v7() }),
            "NOT_FOUND",
        ),
        ("no_such_tool", json!({}), "NOT_FOUND"),
    ] {
        let e = tool_error(&call(&client, tool, args.clone()).await);
        assert_eq!(e["code"], code, "{tool} {args}: {e}");
    }

    assert_eq!(
        app.count("approval_requests").await,
        0,
        "nothing was written"
    );
    assert_eq!(app.count("audit_events").await, events);
    client.cancel().await.ok();
    reviewer.cancel().await.ok();
}

async fn mcp_callers_see_only_their_tenant(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let ours = connect(app, &agent(app)).await;
    let submitted = call(&ours, "submit_action", refund_args("iso-1", "200.00")).await;
    let id = structured(&submitted)["requestId"]
        .as_str()
        .unwrap()
        .to_owned();

    let key = api_key(app, "globex", "refund-bot", &["agent", "admin"]).await;
    let theirs = connect(app, &key).await;
    for (tool, args) in [
        ("get_request", json!({ "requestId": id })),
        (
            "wait_for_decision",
            json!({ "requestId": id, "timeoutSeconds": 1 }),
        ),
        (
            "cancel_request",
            json!({ "requestId": id, "reason": "mine now" }),
        ),
        (
            "report_execution",
            json!({ "requestId": id, "success": true }),
        ),
    ] {
        let e = tool_error(&call(&theirs, tool, args).await);
        assert_eq!(e["code"], "NOT_FOUND", "{tool}: {e}");
    }
    // Another agent of the same tenant does not see it, and may not cancel it (as in GraphQL).
    let colleague = connect(app, &app.token(TENANT, "other-bot", &["agent"])).await;
    for (tool, args, code) in [
        ("get_request", json!({ "requestId": id }), "NOT_FOUND"),
        (
            "cancel_request",
            json!({ "requestId": id, "reason": "mine now" }),
            "FORBIDDEN",
        ),
    ] {
        let e = tool_error(&call(&colleague, tool, args).await);
        assert_eq!(e["code"], code, "{tool}: {e}");
    }
    colleague.cancel().await.ok();
    let listed = call(&theirs, "list_workflows", json!({})).await;
    assert_eq!(structured(&listed)["workflows"], json!([]));
    // Their submission to a workflow of the same key is theirs alone.
    let e = tool_error(&call(&theirs, "submit_action", refund_args("iso-1", "200.00")).await);
    assert_eq!(
        e["code"], "BAD_USER_INPUT",
        "no refunds workflow in globex: {e}"
    );
    assert_eq!(e["path"], json!(["workflowKey"]));
    let still = request(app, &admin(app), &id).await;
    assert_eq!(still["status"], "PENDING");
    ours.cancel().await.ok();
    theirs.cancel().await.ok();
}

/// The workflow `request_permission` submits to: `Read` runs at once, `sudo` never, the rest
/// goes to an operator.
async fn shell_workflow(app: &TestApp) {
    create_workflow(
        app,
        "shell",
        json!({
            "rules": [
                { "name": "reads", "when": "action_type == 'Read'", "route": "AUTO" },
                { "name": "no-sudo", "when": "has(action.command) && action.command.startsWith('sudo')",
                  "route": "REJECT", "reasonCode": "privileged" }
            ],
            "default": { "route": "HUMAN", "steps": [ { "role": "operator" } ] }
        }),
    )
    .await;
}

fn permission(tool: &str, input: Value, tool_use_id: &str) -> Value {
    json!({ "tool_name": tool, "input": input, "tool_use_id": tool_use_id })
}

/// Asks in the background; returns the answer's structured content once a person decided.
async fn ask_in_background(
    app: &TestApp,
    arguments: Value,
) -> (String, tokio::task::JoinHandle<(Value, String)>) {
    let client = connect(app, &agent(app)).await;
    let asking = tokio::spawn(async move {
        let result = call(&client, "request_permission", arguments).await;
        client.cancel().await.ok();
        assert_ne!(result.is_error, Some(true), "{result:?}");
        (structured(&result), text(&result))
    });
    let admin = admin(app);
    let id = countersign_tests::eventually("the permission request", || async {
        let page = app
            .data(
                &admin,
                "{ approvalRequests(first: 1) { edges { node { id } } } }",
                json!({}),
            )
            .await;
        page["approvalRequests"]["edges"][0]["node"]["id"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    until_listening(app).await;
    (id, asking)
}

async fn request_permission_allows_with_the_edited_input(app: &TestApp) {
    shell_workflow(app).await;
    let input = json!({ "command": "rm -rf build", "description": "Clean the build" });
    let (id, asking) = ask_in_background(app, permission("Bash", input, "toolu_01")).await;
    let r = request(app, &admin(app), &id).await;
    assert_eq!(r["status"], "PENDING");
    let operator = app.token(TENANT, "olga", &["operator"]);
    let edited = json!({ "command": "rm -rf build/tmp", "description": "Clean the build" });
    decide(
        app,
        &operator,
        json!({ "requestId": id, "decision": "APPROVE", "editedAction": edited }),
    )
    .await;
    let (answer, text) = asking.await.unwrap();
    assert_eq!(
        answer,
        json!({ "behavior": "allow", "updatedInput": edited })
    );
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        answer,
        "the text is the JSON"
    );

    // The request a reviewer saw: the tool as the action type, its input as the action.
    let q = "query($id: ID!) { approvalRequest(id: $id) { actionType title action submittedBy } }";
    let r = app.data(&admin(app), q, json!({ "id": id })).await["approvalRequest"].clone();
    assert_eq!(r["actionType"], "Bash");
    assert_eq!(r["title"], "Bash: rm -rf build");
    assert_eq!(r["action"]["command"], "rm -rf build");
    assert_eq!(r["submittedBy"], "refund-bot");

    // Asking again with the same tool_use_id answers from the same request at once.
    let client = connect(app, &agent(app)).await;
    let again = call(
        &client,
        "request_permission",
        permission(
            "Bash",
            json!({ "command": "rm -rf build", "description": "Clean the build" }),
            "toolu_01",
        ),
    )
    .await;
    assert_eq!(structured(&again)["behavior"], "allow");
    assert_eq!(app.count("approval_requests").await, 1);
    client.cancel().await.ok();
}

async fn request_permission_denies_after_a_reject_and_by_policy(app: &TestApp) {
    shell_workflow(app).await;
    let (id, asking) = ask_in_background(
        app,
        permission("Bash", json!({ "command": "git push --force" }), "toolu_02"),
    )
    .await;
    let operator = app.token(TENANT, "olga", &["operator"]);
    decide(
        app,
        &operator,
        json!({ "requestId": id, "decision": "REJECT", "reasonCode": "force_push",
                "comment": "never on main" }),
    )
    .await;
    let (answer, _) = asking.await.unwrap();
    assert_eq!(answer["behavior"], "deny");
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.starts_with("Rejected by olga with reason \"force_push\" (never on main)"),
        "{message}"
    );
    assert!(answer.get("updatedInput").is_none());

    // Decided by the policy at once: allowed, and refused.
    let client = connect(app, &agent(app)).await;
    let read = call(
        &client,
        "request_permission",
        permission("Read", json!({ "file_path": "/etc/hosts" }), "toolu_03"),
    )
    .await;
    assert_eq!(
        structured(&read),
        json!({ "behavior": "allow", "updatedInput": { "file_path": "/etc/hosts" } })
    );
    let sudo = call(
        &client,
        "request_permission",
        permission("Bash", json!({ "command": "sudo reboot" }), "toolu_04"),
    )
    .await;
    let answer = structured(&sudo);
    assert_eq!(answer["behavior"], "deny");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("Rejected by policy rule \"no-sudo\""),
        "{answer}"
    );
    // A call that cannot become a request is a deny that says why, never an allow.
    let bad = call(
        &client,
        "request_permission",
        json!({ "tool_name": "Bash", "input": { "command": "ls" } }),
    )
    .await;
    let answer = structured(&bad);
    assert_eq!(answer["behavior"], "deny");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("BAD_USER_INPUT"),
        "{answer}"
    );
    client.cancel().await.ok();
}

async fn request_permission_denies_on_timeout_and_when_unconfigured(app: &TestApp) {
    let impatient = TestApp::spawn_with(app.db_kind, |s| {
        s.mcp_permission_workflow = Some("shell".to_owned());
        s.mcp_permission_timeout_seconds = 1;
    })
    .await
    .unwrap();
    shell_workflow(&impatient).await;
    let client = connect(&impatient, &agent(&impatient)).await;
    let answer = structured(
        &call(
            &client,
            "request_permission",
            permission("Bash", json!({ "command": "make deploy" }), "toolu_05"),
        )
        .await,
    );
    assert_eq!(
        answer["behavior"], "deny",
        "a pending request is never an allow"
    );
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("no decision within 1 s"),
        "{answer}"
    );
    // It left the reviewers' queue.
    let q = "{ approvalRequests(first: 1) { edges { node { status } } } }";
    let page = impatient.data(&admin(&impatient), q, json!({})).await;
    assert_eq!(
        page["approvalRequests"]["edges"][0]["node"]["status"],
        "CANCELLED"
    );
    client.cancel().await.ok();
    impatient.cleanup().await;

    let unconfigured = TestApp::spawn(app.db_kind).await.unwrap();
    let client = connect(&unconfigured, &agent(&unconfigured)).await;
    let answer = structured(
        &call(
            &client,
            "request_permission",
            permission("Bash", json!({ "command": "ls" }), "toolu_06"),
        )
        .await,
    );
    assert_eq!(answer["behavior"], "deny");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("COUNTERSIGN_MCP_PERMISSION_WORKFLOW"),
        "{answer}"
    );
    client.cancel().await.ok();
    unconfigured.cleanup().await;
}

async fn mcp_waits_are_capped_per_caller(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let client = connect(app, &agent(app)).await;
    let submitted = call(&client, "submit_action", refund_args("cap-1", "200.00")).await;
    let id = structured(&submitted)["requestId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut waiters = Vec::new();
    for _ in 0..countersign::mcp::MAX_WAITS_PER_CALLER {
        let client = connect(app, &agent(app)).await;
        let id = id.clone();
        waiters.push(tokio::spawn(async move {
            // The probe below may hold a slot for a moment: a waiter refused then asks again.
            let result = loop {
                let result = call(
                    &client,
                    "wait_for_decision",
                    json!({ "requestId": id, "timeoutSeconds": 60 }),
                )
                .await;
                if result.is_error != Some(true) {
                    break result;
                }
                assert_eq!(structured(&result)["code"], "RATE_LIMITED");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            };
            client.cancel().await.ok();
            result
        }));
    }
    // Once every slot is taken, one more wait is refused at once.
    let refused = countersign_tests::eventually("the waits to be capped", || async {
        let result = call(
            &client,
            "wait_for_decision",
            json!({ "requestId": id, "timeoutSeconds": 1 }),
        )
        .await;
        (result.is_error == Some(true)).then(|| structured(&result))
    })
    .await;
    assert_eq!(refused["code"], "RATE_LIMITED", "{refused}");
    // Another caller is not held back; the decision releases every waiter.
    let other = connect(app, &app.token(TENANT, "rita", &["support_agent"])).await;
    let seen = call(&other, "get_request", json!({ "requestId": id })).await;
    assert_eq!(structured(&seen)["status"], "PENDING");
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    decide(
        app,
        &rita,
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    for waiter in waiters {
        assert_eq!(structured(&waiter.await.unwrap())["status"], "APPROVED");
    }
    let again = call(
        &client,
        "wait_for_decision",
        json!({ "requestId": id, "timeoutSeconds": 1 }),
    )
    .await;
    assert_eq!(
        structured(&again)["status"],
        "APPROVED",
        "the slots are free again"
    );
    client.cancel().await.ok();
    other.cancel().await.ok();
}
