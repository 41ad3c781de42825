//! Abuse resistance inside the schema: what one operation may ask for (fields with fragments
//! expanded, aliases, expensive root fields, list lengths), NUL bytes in any string, analytics
//! run many times at once, and one request's share of the connection pool. Each limit is a
//! `BAD_USER_INPUT` naming it, over HTTP and WebSocket alike.

use std::time::{Duration, Instant};

use countersign::config::Settings;
use countersign::seed::{SeedOptions, seed};
use countersign_tests::{TestApp, db_tests};
use serde_json::{Value, json};

use crate::common::*;
use crate::wsclient::{Incoming, WsClient};

db_tests!(
    analytics_aliases_beyond_the_cap_are_refused,
    many_analytics_queries_at_once_all_succeed,
    fragment_bombs_are_refused_before_they_are_expanded,
    aliases_are_capped_per_operation,
    list_arguments_are_bounded_everywhere,
    nul_bytes_are_refused_in_every_string,
);

db_tests!(
    small_pool;
    many_aliases_of_a_connection_leave_the_pool_to_other_tenants,
);

fn small_pool(settings: &mut Settings) {
    settings.db_max_connections = 4;
}

fn auditor(app: &TestApp) -> String {
    app.token(TENANT, "audrey", &["auditor"])
}

/// Asserts the body is one `BAD_USER_INPUT` error whose message mentions every one of `words`;
/// returns the error.
#[track_caller]
fn assert_refused(what: &str, body: &Value, words: &[&str]) -> Value {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: expected an error: {body}"));
    assert_eq!(errors.len(), 1, "{what}: one error expected: {body}");
    let err = errors[0].clone();
    assert_eq!(
        err["extensions"]["code"], "BAD_USER_INPUT",
        "{what}: {body}"
    );
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "{what}: nothing runs: {body}"
    );
    let message = err["message"].as_str().unwrap_or_default();
    for w in words {
        assert!(
            message.contains(w),
            "{what}: {message:?} should mention {w:?}"
        );
    }
    assert!(message.len() < 300, "{what}: keep it short: {message:?}");
    err
}

fn aliases(field: &str, selection: &str, n: usize) -> String {
    let fields: Vec<String> = (0..n)
        .map(|i| format!("a{i}: {field} {selection}"))
        .collect();
    format!("query {{ {} }}", fields.join(" "))
}

async fn analytics_aliases_beyond_the_cap_are_refused(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    submit(app, refund("refunds", "r-1", "20.00")).await;
    let body = app
        .gql(
            &auditor(app),
            &aliases("analytics", "{ totals { submitted } }", 500),
            json!({}),
        )
        .await;
    let err = assert_refused(
        "500 aliases of analytics",
        &body,
        &["analytics", "at most 2"],
    );
    assert_eq!(err["extensions"]["field"], json!(["analytics"]));
    // Fragments do not hide them: the same fields, spread from fragments at the root.
    let spread = "query { ...A ...B } fragment A on QueryRoot { x: analytics { totals { submitted } } y: analytics { totals { submitted } } } fragment B on QueryRoot { z: analytics { totals { submitted } } }";
    let body = app.gql(&auditor(app), spread, json!({})).await;
    assert_refused("three aliases from fragments", &body, &["at most 2"]);
    // Two are fine; the same alias in two fragments is one execution.
    let data = app
        .data(
            &auditor(app),
            &aliases("analytics", "{ totals { submitted } }", 2),
            json!({}),
        )
        .await;
    assert_eq!(data["a0"]["totals"]["submitted"], 1);
    assert_eq!(data["a1"]["totals"]["submitted"], 1);
    let merged = "query { ...A ...B } fragment A on QueryRoot { x: analytics { totals { submitted } } } fragment B on QueryRoot { x: analytics { totals { submitted } } y: analytics { totals { pending } } }";
    let data = app.data(&auditor(app), merged, json!({})).await;
    assert_eq!(data["x"]["totals"]["submitted"], 1);
}

/// Before, every analytics query computed at once on polars' shared thread pool, and a few
/// hundred at once nested deep enough in a pool thread's stack to abort the process.
async fn many_analytics_queries_at_once_all_succeed(app: &TestApp) {
    let seeded = seed(&app.state.store, SeedOptions::new(TENANT, 20_000))
        .await
        .unwrap();
    assert_eq!(seeded.requests, 20_000);
    let query = aliases(
        "analytics",
        "{ totals { submitted } byWorkflow { workflowKey } }",
        2,
    );
    let token = auditor(app);
    let runs = (0..250).map(|_| {
        let (app, token, query) = (&*app, token.clone(), query.clone());
        async move { app.gql(&token, &query, json!({})).await }
    });
    let bodies = futures::future::join_all(runs).await;
    for body in &bodies {
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["a0"]["totals"]["submitted"], 20_000, "{body}");
        assert_eq!(body["data"]["a1"]["totals"]["submitted"], 20_000, "{body}");
    }
    // And 16 at once on a small tenant: each a different filter, all answered.
    let other = app.token("small", "sam", &["auditor"]);
    let admin_small = app.token("small", "ada", &["admin"]);
    app.data(
        &admin_small,
        CREATE_WORKFLOW,
        json!({ "input": { "key": "refunds", "name": "Refunds", "policy": refund_policy() } }),
    )
    .await;
    let runs = (0..16).map(|i| {
        let (app, token) = (&*app, other.clone());
        async move {
            app.gql(
                &token,
                "query($f: AnalyticsFilter) { analytics(filter: $f) { totals { submitted } } }",
                json!({ "f": { "workflowKeys": [format!("wf{i}"), "refunds"] } }),
            )
            .await
        }
    });
    for body in futures::future::join_all(runs).await {
        assert_eq!(
            body["data"]["analytics"]["totals"]["submitted"], 0,
            "{body}"
        );
    }
}

/// `query { ...F0 }` where each fragment spreads the next one ten times: 10^levels fields.
fn fragment_bomb(levels: usize) -> String {
    let mut q = String::from("query { ...F0 }");
    for level in 0..levels {
        let next = format!("...F{} ", level + 1);
        q.push_str(&format!(
            " fragment F{level} on QueryRoot {{ {} }}",
            next.repeat(10)
        ));
    }
    q.push_str(&format!(
        " fragment F{levels} on QueryRoot {{ __typename }}"
    ));
    q
}

async fn fragment_bombs_are_refused_before_they_are_expanded(app: &TestApp) {
    let token = admin(app);
    for levels in [7, 9, 19] {
        let query = fragment_bomb(levels);
        let started = Instant::now();
        let body = app.gql(&token, &query, json!({})).await;
        assert_refused(
            &format!("10^{levels} fields"),
            &body,
            &["fields", "at most 5000"],
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "refused cheaply: {:?}",
            started.elapsed()
        );
    }
    // A chain of fragments nested deeper than the limit is refused, not recursed into.
    let mut chain = String::from("query { ...F0 }");
    for i in 0..2_000 {
        chain.push_str(&format!(" fragment F{i} on QueryRoot {{ ...F{} }}", i + 1));
    }
    chain.push_str(" fragment F2000 on QueryRoot { __typename }");
    let body = app.gql(&token, &chain, json!({})).await;
    assert_refused("a 2,000-fragment chain", &body, &["nest more than 32"]);
    // A document within the limits still runs.
    let data = app.data(&token, &fragment_bomb(3), json!({})).await;
    assert_eq!(data["__typename"], "QueryRoot");
    // The same check guards WebSocket operations.
    let mut ws = WsClient::ready(&app.base, &token).await;
    ws.send(json!({ "id": "bomb", "type": "subscribe", "payload": { "query": fragment_bomb(9) } }))
        .await;
    match ws.recv().await {
        Incoming::Text(v) => {
            assert_eq!(v["type"], "error", "{v}");
            assert_eq!(v["id"], "bomb", "{v}");
            assert_eq!(
                v["payload"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{v}"
            );
            let message = v["payload"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains("at most 5000"), "{v}");
        }
        other => panic!("expected an error message, got {other:?}"),
    }
    ws.close().await;
}

async fn aliases_are_capped_per_operation(app: &TestApp) {
    let token = admin(app);
    let body = app
        .gql(&token, &aliases("me", "{ subject }", 101), json!({}))
        .await;
    assert_refused("101 aliases", &body, &["101 aliases", "at most 100"]);
    let data = app
        .data(&token, &aliases("me", "{ subject }", 100), json!({}))
        .await;
    assert_eq!(data["a99"]["subject"], "alice-admin");
    // Aliases inside fragments count once per spread.
    let q = format!(
        "query {{ ...M ...M2 }} fragment M on QueryRoot {{ {} }} fragment M2 on QueryRoot {{ ...M }}",
        (0..60)
            .map(|i| format!("m{i}: me {{ subject }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let body = app.gql(&token, &q, json!({})).await;
    assert_refused("60 aliases spread twice", &body, &["120 aliases"]);
}

async fn list_arguments_are_bounded_everywhere(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    submit(app, refund("refunds", "r-1", "20.00")).await;
    let token = admin(app);
    let keys = |n: usize| -> Vec<String> { (0..n).map(|i| format!("wf-{i}")).collect() };
    const ANALYTICS: &str =
        "query($f: AnalyticsFilter) { analytics(filter: $f) { totals { submitted } } }";

    // 3,000 workflow keys: the generic bound, naming the variable's field.
    let started = Instant::now();
    let body = app
        .gql(
            &token,
            ANALYTICS,
            json!({ "f": { "workflowKeys": keys(3_000) } }),
        )
        .await;
    let err = assert_refused("3,000 workflowKeys", &body, &["3000 items", "at most 1000"]);
    assert_eq!(err["extensions"]["field"], json!(["f", "workflowKeys"]));
    assert!(started.elapsed() < Duration::from_secs(5));
    // 101: within the generic bound, over analytics' own.
    let body = app
        .gql(
            &token,
            ANALYTICS,
            json!({ "f": { "workflowKeys": keys(101) } }),
        )
        .await;
    let err = assert_refused("101 workflowKeys", &body, &["at most 100 workflow keys"]);
    assert_eq!(
        err["extensions"]["field"],
        json!(["filter", "workflowKeys"])
    );
    // 100, repeats included, are fine.
    let mut hundred = keys(99);
    hundred.push("refunds".into());
    let data = app
        .data(
            &token,
            ANALYTICS,
            json!({ "f": { "workflowKeys": hundred } }),
        )
        .await;
    assert_eq!(data["analytics"]["totals"]["submitted"], 1);

    // 100,000 audit types: was "too many SQL variables" (INTERNAL) on SQLite.
    let types: Vec<String> = (0..100_000).map(|i| format!("t{i}")).collect();
    let body = app
        .gql(
            &token,
            "query($f: AuditFilter) { auditLog(filter: $f) { edges { node { seq } } } }",
            json!({ "f": { "types": types } }),
        )
        .await;
    assert_refused(
        "100,000 audit types",
        &body,
        &["100000 items", "at most 1000"],
    );
    // 1,000 exactly is accepted.
    let types: Vec<String> = (0..1_000).map(|i| format!("t{i}")).collect();
    app.data(
        &token,
        "query($f: AuditFilter) { auditLog(filter: $f) { edges { node { seq } } } }",
        json!({ "f": { "types": types } }),
    )
    .await;

    // Inline literals are bounded the same way.
    let statuses = vec!["PENDING"; 1_001].join(", ");
    let q = format!(
        "query {{ approvalRequests(filter: {{ status: [{statuses}] }}) {{ totalCount }} }}"
    );
    let err = assert_refused(
        "1,001 inline statuses",
        &app.gql(&token, &q, json!({})).await,
        &["1001 items"],
    );
    assert_eq!(
        err["extensions"]["field"],
        json!(["approvalRequests", "filter", "status"])
    );
    // Mutations' list arguments too, and nothing is written.
    let roles: Vec<String> = (0..1_001).map(|i| format!("role{i}")).collect();
    let body = app
        .gql(
            &token,
            "mutation($r: [String!]!) { createApiKey(principal: \"bot\", roles: $r) { id } }",
            json!({ "r": roles }),
        )
        .await;
    assert_refused("1,001 roles", &body, &["1001 items"]);
    assert_eq!(app.count("api_keys").await, 0);
    let inputs: Vec<Value> = (0..1_001)
        .map(|_| json!({ "requestId": "00000000-0000-0000-0000-000000000000", "decision": "APPROVE", "expectedVersion": 1 }))
        .collect();
    let body = app
        .gql(
            &token,
            "mutation($i: [DecideInput!]!) { decideMany(inputs: $i) { requestId } }",
            json!({ "i": inputs }),
        )
        .await;
    assert_refused("1,001 decisions", &body, &["1001 items"]);
    // A JSON scalar may hold a longer array: it is data, not a list argument.
    let mut input = refund("refunds", "long-json", "20.00");
    input["action"]["lines"] = json!(vec![1; 20_000]);
    let created = submit(app, input).await;
    assert_eq!(created["created"], true);
}

async fn nul_bytes_are_refused_in_every_string(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let requests = app.count("approval_requests").await;
    let audit = app.count("audit_events").await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut input = refund("refunds", "nul-1", "20.00");
        f(&mut input);
        json!({ "input": input })
    };
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "a string field",
            with(&|i| i["title"] = json!("Refund\u{0}")),
            json!(["input", "title"]),
        ),
        (
            "a JSON value",
            with(&|i| i["action"]["note"] = json!("sorry\u{0}")),
            json!(["input", "action", "note"]),
        ),
        (
            "a JSON key",
            with(&|i| i["action"]["bad\u{0}key"] = json!(1)),
            json!(["input", "action", "bad\u{0}key"]),
        ),
        (
            "a string in a nested list",
            with(&|i| i["sources"][0]["title"] = json!("\u{0}")),
            json!(["input", "sources", "0", "title"]),
        ),
        (
            "the idempotency key",
            with(&|i| i["idempotencyKey"] = json!("k\u{0}")),
            json!(["input", "idempotencyKey"]),
        ),
    ];
    for (what, variables, field) in cases {
        let body = app.gql(&agent(app), SUBMIT, variables).await;
        let err = assert_refused(what, &body, &["NUL"]);
        assert_eq!(err["extensions"]["field"], field, "{what}");
    }
    assert_eq!(app.count("approval_requests").await, requests);
    assert_eq!(app.count("audit_events").await, audit);

    // A filter string, a list item, an inline literal, a mutation argument.
    let token = admin(app);
    let queries: Vec<(&str, &str, Value)> = vec![
        (
            "a filter string",
            "query($f: RequestFilter) { approvalRequests(filter: $f) { totalCount } }",
            json!({ "f": { "workflowKey": "refunds\u{0}" } }),
        ),
        (
            "a list item of a filter",
            "query($f: AuditFilter) { auditLog(filter: $f) { edges { node { seq } } } }",
            json!({ "f": { "types": ["request.submitted", "x\u{0}"] } }),
        ),
        (
            "an inline literal",
            "query { workflow(key: \"ref\\u0000unds\") { key } }",
            json!({}),
        ),
        (
            "an inline JSON literal",
            "query { simulatePolicy(workflowKey: \"refunds\", actions: [{ workflowKey: \"refunds\", idempotencyKey: \"s\", actionType: \"refund.issue\", title: \"t\", action: { note: \"a\\u0000\" } }]) { route } }",
            json!({}),
        ),
        (
            "a mutation's reason",
            "mutation($r: String!) { setWorkflowMode(workflowKey: \"refunds\", mode: PAUSED, reason: $r) { mode } }",
            json!({ "r": "because\u{0}" }),
        ),
    ];
    for (what, query, variables) in queries {
        let body = app.gql(&token, query, variables).await;
        assert_refused(what, &body, &["NUL"]);
    }
    let mode = app
        .data(
            &token,
            "query { workflow(key: \"refunds\") { mode } }",
            json!({}),
        )
        .await;
    assert_eq!(mode["workflow"]["mode"], "ACTIVE");
    assert_eq!(app.count("audit_events").await, audit);
}

/// One request's root fields resolve a few at a time, so a request of many aliases cannot take
/// the whole pool: another tenant's submission goes through meanwhile.
async fn many_aliases_of_a_connection_leave_the_pool_to_other_tenants(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    for i in 0..5 {
        submit(app, refund("refunds", &format!("r-{i}"), "20.00")).await;
    }
    let admin_b = app.token("beta", "bea", &["admin"]);
    let agent_b = app.token("beta", "bot", &["agent"]);
    app.data(
        &admin_b,
        CREATE_WORKFLOW,
        json!({ "input": { "key": "refunds", "name": "Refunds", "policy": refund_policy() } }),
    )
    .await;
    let heavy = aliases(
        "approvalRequests",
        "{ totalCount edges { node { id steps { status } decisions { actor } } } }",
        25,
    );
    let body = app
        .gql(
            &admin(app),
            &aliases("approvalRequests", "{ totalCount }", 26),
            json!({}),
        )
        .await;
    assert_refused(
        "26 aliases of approvalRequests",
        &body,
        &["approvalRequests", "at most 25"],
    );
    let token = admin(app);
    let heavy_runs = (0..8).map(|_| {
        let (app, token, heavy) = (&*app, token.clone(), heavy.clone());
        async move { app.gql(&token, &heavy, json!({})).await }
    });
    let submit_b = async {
        let mut bodies = Vec::new();
        for i in 0..5 {
            bodies.push(
                app.gql(
                    &agent_b,
                    SUBMIT,
                    json!({ "input": refund("refunds", &format!("b-{i}"), "20.00") }),
                )
                .await,
            );
        }
        bodies
    };
    let (heavy_bodies, submitted) = tokio::join!(futures::future::join_all(heavy_runs), submit_b);
    for body in heavy_bodies {
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["a24"]["totalCount"], 5, "{body}");
    }
    for body in submitted {
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["submitAction"]["created"], true, "{body}");
    }
}
