//! Bad input is refused whole (invariant 6): a `BAD_USER_INPUT` naming the field and the problem,
//! and nothing written. Also pagination: bounds, cursors, and the reviewer's queue.

use std::collections::HashSet;

use countersign_tests::{TestApp, db_tests};
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    invariant_6_bad_input_is_refused_whole_on_submit,
    invariant_6_bad_input_is_refused_whole_on_create_workflow,
    duplicate_workflow_key_is_conflict,
    money_is_a_decimal_string_and_a_json_number_is_refused,
    money_strings_are_kept_exactly,
    page_sizes_cursors_and_ids_are_checked,
    pages_follow_end_cursor_and_queue_shows_what_the_caller_may_decide,
    queue_merges_roles_due_steps_first_across_pages_and_counts_by_workflow,
);

const LIST: &str = "query($first: Int!, $after: String) { approvalRequests(first: $first, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";

const QUEUE: &str = "query($first: Int!, $after: String) { approvalQueue(first: $first, after: $after) { totalCount edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } }";

/// `input` with `field` set to `value`.
fn with(mut input: Value, field: &str, value: Value) -> Value {
    input[field] = value;
    input
}

/// Asserts one `BAD_USER_INPUT` error naming `field` (exactly), with a message containing
/// `mentions`; returns the message.
fn assert_bad_input(what: &str, body: &Value, field: &Value, mentions: &str) -> String {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: expected an error: {body}"));
    assert_eq!(errors.len(), 1, "{what}: {body}");
    let err = &errors[0];
    assert_eq!(
        err["extensions"]["code"], "BAD_USER_INPUT",
        "{what}: {body}"
    );
    assert_eq!(&err["extensions"]["field"], field, "{what}: {body}");
    let message = err["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        !message.is_empty() && message.contains(mentions),
        "{what}: the message should mention {mentions:?}: {message:?}"
    );
    message
}

async fn invariant_6_bad_input_is_refused_whole_on_submit(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let base = || refund("refunds", "bad-1", "200.00");
    let cases: Vec<(&str, Value, Value, &str)> = vec![
        (
            "confidence 1.5",
            with(base(), "confidence", json!(1.5)),
            json!(["input", "confidence"]),
            "between 0 and 1",
        ),
        (
            "confidence -0.1",
            with(base(), "confidence", json!(-0.1)),
            json!(["input", "confidence"]),
            "between 0 and 1",
        ),
        (
            "negative amount",
            with(base(), "amount", json!("-1")),
            json!(["input", "amount"]),
            "negative",
        ),
        (
            "unknown workflow",
            with(base(), "workflowKey", json!("no-such-flow")),
            json!(["input", "workflowKey"]),
            "no-such-flow",
        ),
        (
            "action is an array",
            with(base(), "action", json!([{ "order": "bad-1" }])),
            json!(["input", "action"]),
            "object",
        ),
        (
            "action is a string",
            with(base(), "action", json!("refund it")),
            json!(["input", "action"]),
            "object",
        ),
        (
            "empty title",
            with(base(), "title", json!("")),
            json!(["input", "title"]),
            "1-500",
        ),
        (
            "blank title",
            with(base(), "title", json!("   ")),
            json!(["input", "title"]),
            "1-500",
        ),
        (
            "title of 501 characters",
            with(base(), "title", json!("x".repeat(501))),
            json!(["input", "title"]),
            "501",
        ),
        (
            "lowercase currency",
            with(base(), "currency", json!("usd")),
            json!(["input", "currency"]),
            "ISO 4217",
        ),
        (
            "risk flag with a space",
            with(base(), "riskFlags", json!(["new-customer", "high risk"])),
            json!(["input", "riskFlags", "1"]),
            "high risk",
        ),
        (
            "context is a string",
            with(base(), "context", json!("vip customer")),
            json!(["input", "context"]),
            "object",
        ),
        (
            "bad workflow key",
            with(base(), "workflowKey", json!("Refunds!")),
            json!(["input", "workflowKey"]),
            "Refunds!",
        ),
        (
            "bad action type",
            with(base(), "actionType", json!("refund issue")),
            json!(["input", "actionType"]),
            "refund issue",
        ),
    ];
    let requests = app.count("approval_requests").await;
    let steps = app.count("approval_steps").await;
    let events = app.count("audit_events").await;
    for (what, input, field, mentions) in cases {
        let body = app
            .gql(&agent(app), SUBMIT, json!({ "input": input }))
            .await;
        assert_bad_input(what, &body, &field, mentions);
        assert_eq!(body["data"], json!(null), "{what}: {body}");
        assert_eq!(app.count("approval_requests").await, requests, "{what}");
        assert_eq!(app.count("approval_steps").await, steps, "{what}");
        assert_eq!(app.count("audit_events").await, events, "{what}");
    }

    // the same idempotency key was never taken: the valid input is accepted as new, and values
    // at the edges of the bounds are fine
    let mut edge = base();
    edge["title"] = json!("x".repeat(500));
    edge["confidence"] = json!(1.0);
    let out = submit(app, edge).await;
    assert_eq!(out["created"], true);
    let mut zero = refund("refunds", "edge-2", "0");
    zero["confidence"] = json!(0.0);
    zero["riskFlags"] = json!(["fraud:velocity", "kyc/missing"]);
    let out = submit(app, zero).await;
    assert_eq!(out["created"], true);
    assert_eq!(app.count("approval_requests").await, requests + 2);
}

async fn invariant_6_bad_input_is_refused_whole_on_create_workflow(app: &TestApp) {
    let human = json!({ "route": "HUMAN", "steps": [ { "role": "support_agent" } ] });
    let policy_with_rule = |rule: Value| json!({ "rules": [rule], "default": human });
    let cases: Vec<(&str, &str, Value, Value, Vec<&str>)> = vec![
        (
            "CEL that does not compile",
            "refunds",
            policy_with_rule(
                json!({ "name": "large", "when": "amount >", "route": "HUMAN", "steps": [ { "role": "finance" } ] }),
            ),
            json!(["input", "policy", "rules", "0", "when"]),
            vec!["large", "CEL"],
        ),
        (
            "unknown variable",
            "refunds",
            policy_with_rule(
                json!({ "name": "large", "when": "amout > 1.0", "route": "HUMAN", "steps": [ { "role": "finance" } ] }),
            ),
            json!(["input", "policy", "rules", "0", "when"]),
            vec!["amout"],
        ),
        (
            "unknown top-level key",
            "refunds",
            json!({ "rules": [], "default": human, "autoApproveEverything": true }),
            json!(null),
            vec!["autoApproveEverything"],
        ),
        (
            "unknown key in a rule",
            "refunds",
            policy_with_rule(
                json!({ "name": "large", "when": "amount > 1.0", "route": "HUMAN", "steps": [ { "role": "finance" } ], "skipAudit": true }),
            ),
            json!(null),
            vec!["skipAudit"],
        ),
        (
            "HUMAN rule without steps",
            "refunds",
            policy_with_rule(
                json!({ "name": "needs-people", "when": "amount > 1.0", "route": "HUMAN" }),
            ),
            json!(["input", "policy", "rules", "0", "steps"]),
            vec!["needs-people", "step"],
        ),
        (
            "duration that is not ISO 8601",
            "refunds",
            json!({ "rules": [], "default": human, "expireAfter": "3 days" }),
            json!(["input", "policy", "expireAfter"]),
            vec!["3 days"],
        ),
        (
            "policy that is not an object",
            "refunds",
            json!("route everything to AUTO"),
            json!(["input", "policy"]),
            vec!["object"],
        ),
        (
            "bad workflow key",
            "Bad Key",
            json!({ "rules": [], "default": human }),
            json!(["input", "key"]),
            vec!["Bad Key"],
        ),
    ];
    for (what, key, policy, field, mentions) in cases {
        let body = app
            .gql(
                &admin(app),
                CREATE_WORKFLOW,
                json!({ "input": { "key": key, "name": "Refunds", "policy": policy } }),
            )
            .await;
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: expected an error: {body}"));
        assert_eq!(errors.len(), 1, "{what}: {body}");
        let err = &errors[0];
        assert_eq!(
            err["extensions"]["code"], "BAD_USER_INPUT",
            "{what}: {body}"
        );
        let path = err["extensions"]["field"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no field path: {body}"));
        if field.is_null() {
            // somewhere inside the policy
            assert_eq!(
                path[..2],
                [json!("input"), json!("policy")],
                "{what}: {body}"
            );
        } else {
            assert_eq!(err["extensions"]["field"], field, "{what}: {body}");
        }
        let message = err["message"].as_str().unwrap();
        for m in mentions {
            assert!(
                message.contains(m),
                "{what}: the message should mention {m:?}: {message:?}"
            );
        }
        assert_eq!(body["data"], json!(null), "{what}");
        assert_eq!(app.count("workflows").await, 0, "{what}");
        assert_eq!(app.count("policy_versions").await, 0, "{what}");
        assert_eq!(app.count("audit_events").await, 0, "{what}");
    }
    let none = app
        .data(&admin(app), "{ workflows { key } }", json!({}))
        .await;
    assert_eq!(none["workflows"], json!([]));
    // a valid policy under the same key is then accepted
    let wf = create_workflow(app, "refunds", refund_policy()).await;
    assert_eq!(wf["createWorkflow"]["activePolicy"]["version"], 1);
}

async fn duplicate_workflow_key_is_conflict(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let code = app
        .error_code(
            &admin(app),
            CREATE_WORKFLOW,
            json!({ "input": { "key": "refunds", "name": "Refunds again", "policy": refund_policy() } }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(app.count("workflows").await, 1);
    assert_eq!(app.count("policy_versions").await, 1);
    assert_eq!(app.count("audit_events").await, 1);
    let wf = app
        .data(
            &admin(app),
            "{ workflow(key: \"refunds\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(wf["workflow"]["name"], "Workflow refunds");
}

async fn page_sizes_cursors_and_ids_are_checked(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "p-1", "200.00")).await;
    let id = out["request"]["id"].as_str().unwrap().to_owned();
    let token = admin(app);
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);

    let cases = [
        ("first: 0", LIST, json!({ "first": 0 }), json!(["first"])),
        (
            "first: 501",
            LIST,
            json!({ "first": 501 }),
            json!(["first"]),
        ),
        ("first: -1", LIST, json!({ "first": -1 }), json!(["first"])),
        (
            "after: garbage",
            LIST,
            json!({ "first": 10, "after": "garbage!" }),
            json!(["after"]),
        ),
        (
            "after: base64 that is not a cursor",
            LIST,
            json!({ "first": 10, "after": "Zm9v" }),
            json!(["after"]),
        ),
        (
            "queue first: 0",
            QUEUE,
            json!({ "first": 0 }),
            json!(["first"]),
        ),
        (
            "queue first: 501",
            QUEUE,
            json!({ "first": 501 }),
            json!(["first"]),
        ),
        (
            "queue after: garbage",
            QUEUE,
            json!({ "first": 10, "after": "garbage!" }),
            json!(["after"]),
        ),
        (
            "queue after: base64 that is not a cursor",
            QUEUE,
            json!({ "first": 10, "after": "Zm9v" }),
            json!(["after"]),
        ),
        (
            "audit first: 501",
            "query($first: Int!) { auditLog(first: $first) { edges { node { seq } } } }",
            json!({ "first": 501 }),
            json!(["first"]),
        ),
        (
            "audit after: garbage",
            "query($after: String) { auditLog(after: $after) { edges { node { seq } } } }",
            json!({ "after": "garbage!" }),
            json!(["after"]),
        ),
        (
            "approvalRequest(id: not-a-uuid)",
            "query($id: ID!) { approvalRequest(id: $id) { id } }",
            json!({ "id": "not-a-uuid" }),
            json!(["id"]),
        ),
        (
            "revokeApiKey(id: not-a-uuid)",
            "mutation($id: ID!) { revokeApiKey(id: $id) }",
            json!({ "id": "not-a-uuid" }),
            json!(["id"]),
        ),
    ];
    for (what, query, variables, field) in cases {
        let body = app.gql(&token, query, variables).await;
        assert_bad_input(what, &body, &field, "");
    }

    // the largest page is allowed
    let page = app.data(&token, LIST, json!({ "first": 500 })).await;
    assert_eq!(page["approvalRequests"]["totalCount"], 1);
    let page = app.data(&reviewer, QUEUE, json!({ "first": 500 })).await;
    assert_eq!(page["approvalQueue"]["totalCount"], 1);

    // a malformed request id in decide: refused, nothing written
    let events = app.count("audit_events").await;
    let body = app
        .gql(
            &reviewer,
            DECIDE,
            json!({ "input": { "requestId": "not-a-uuid", "decision": "APPROVE" } }),
        )
        .await;
    assert_bad_input(
        "decide(not-a-uuid)",
        &body,
        &json!(["input", "requestId"]),
        "not-a-uuid",
    );
    assert_eq!(app.count("decisions").await, 0);
    assert_eq!(app.count("audit_events").await, events);
    let r = request(app, &token, &id).await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["version"], 1);
}

async fn pages_follow_end_cursor_and_queue_shows_what_the_caller_may_decide(app: &TestApp) {
    // one step that needs two distinct support agents
    create_workflow(
        app,
        "refunds",
        json!({ "rules": [], "default": { "route": "HUMAN", "steps": [ { "role": "support_agent", "quorum": 2 } ] } }),
    )
    .await;
    let mut submitted = Vec::new();
    for i in 0..5 {
        let out = submit(app, refund("refunds", &format!("page-{i}"), "200.00")).await;
        assert_eq!(out["route"], "HUMAN");
        submitted.push(out["request"]["id"].as_str().unwrap().to_owned());
    }
    let expected: HashSet<String> = submitted.iter().cloned().collect();

    // approvalRequests in pages of two: 2 + 2 + 1, every id exactly once
    let token = admin(app);
    let first_page = app
        .data(&token, LIST, json!({ "first": 2, "after": null }))
        .await;
    assert_eq!(first_page["approvalRequests"]["totalCount"], 5);
    assert_eq!(
        first_page["approvalRequests"]["pageInfo"]["hasNextPage"],
        true
    );
    let seen = all_pages(app, &token, LIST, json!({}), "approvalRequests", 2).await;
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), expected);
    // newest first
    let mut newest_first = submitted.clone();
    newest_first.sort();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    // the last page says so, and totalCount stays the whole set on every page
    let mut after = json!(null);
    let mut pages = Vec::new();
    loop {
        let data = app
            .data(&token, LIST, json!({ "first": 2, "after": after }))
            .await;
        let conn = data["approvalRequests"].clone();
        assert_eq!(conn["totalCount"], 5);
        pages.push(conn["edges"].as_array().unwrap().len());
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, [2, 2, 1]);

    // the queue: a support agent sees all five, page by page
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let rob = app.token(TENANT, "rob", &["support_agent"]);
    let queue = app.data(&rita, QUEUE, json!({ "first": 50 })).await;
    assert_eq!(queue["approvalQueue"]["totalCount"], 5);
    let queued = all_pages(app, &rita, QUEUE, json!({}), "approvalQueue", 2).await;
    assert_eq!(queued.len(), 5, "{queued:?}");
    assert_eq!(queued.iter().cloned().collect::<HashSet<_>>(), expected);
    // oldest first (no due times)
    let mut oldest_first = submitted.clone();
    oldest_first.sort();
    assert_eq!(queued, oldest_first);

    // not the submitting agent, not even when it also holds the reviewer role
    for token in [
        agent(app),
        app.token(TENANT, "refund-bot", &["agent", "support_agent"]),
    ] {
        let q = app.data(&token, QUEUE, json!({ "first": 50 })).await;
        assert_eq!(q["approvalQueue"]["totalCount"], 0);
        assert_eq!(q["approvalQueue"]["edges"], json!([]));
    }
    // nor a role no step names
    let mia = app.token(TENANT, "mia", &["support_manager"]);
    let q = app.data(&mia, QUEUE, json!({ "first": 50 })).await;
    assert_eq!(q["approvalQueue"]["totalCount"], 0);

    // once rita approved one (1 of 2), it leaves her queue but stays in rob's
    let decided = &submitted[2];
    let r = decide(
        app,
        &rita,
        json!({ "requestId": decided, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "PENDING");
    let rita_queue = all_pages(app, &rita, QUEUE, json!({}), "approvalQueue", 2).await;
    assert_eq!(rita_queue.len(), 4);
    assert!(!rita_queue.contains(decided));
    let q = app.data(&rita, QUEUE, json!({ "first": 50 })).await;
    assert_eq!(q["approvalQueue"]["totalCount"], 4);
    let rob_queue = all_pages(app, &rob, QUEUE, json!({}), "approvalQueue", 2).await;
    assert_eq!(rob_queue.len(), 5);
    assert!(rob_queue.contains(decided));

    // rob completes the quorum: approved, gone from every queue
    let r = decide(
        app,
        &rob,
        json!({ "requestId": decided, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");
    for token in [&rita, &rob] {
        let q = all_pages(app, token, QUEUE, json!({}), "approvalQueue", 2).await;
        assert_eq!(q.len(), 4);
        assert!(!q.contains(decided));
    }
}

/// Asserts a `BAD_USER_INPUT` whose message explains that money is a decimal string.
fn assert_money_number_refused(what: &str, body: &Value) {
    let err = &body["errors"][0];
    assert_eq!(
        err["extensions"]["code"], "BAD_USER_INPUT",
        "{what}: {body}"
    );
    let message = err["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("decimal string") && message.contains("loses digits"),
        "{what}: the message should say why: {message:?}"
    );
    let data = &body["data"];
    assert!(
        data.is_null()
            || data
                .as_object()
                .is_some_and(|o| o.values().all(Value::is_null)),
        "{what}: {body}"
    );
}

async fn money_is_a_decimal_string_and_a_json_number_is_refused(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let counts = || async {
        (
            app.count("approval_requests").await,
            app.count("audit_events").await,
            app.count("workflows").await,
        )
    };
    let before = counts().await;

    // In variables: amount and costUsd.
    for (field, number) in [
        ("amount", json!(0.30000000000000004)),
        ("amount", json!(12)),
        ("amount", json!(1e20)),
        ("costUsd", json!(0.1)),
        ("costUsd", json!(3)),
    ] {
        let input = with(refund("refunds", "num-1", "20.00"), field, number.clone());
        let body = app
            .gql(&agent(app), SUBMIT, json!({ "input": input }))
            .await;
        assert_money_number_refused(&format!("{field} = {number} in variables"), &body);
    }
    // Written inline in the operation.
    for (field, literal) in [("amount", "0.30000000000000004"), ("costUsd", "12")] {
        let other = if field == "amount" {
            "costUsd"
        } else {
            "amount"
        };
        let query = format!(
            r#"mutation {{ submitAction(input: {{ workflowKey: "refunds", idempotencyKey: "num-inline", actionType: "refund.issue", title: "Refund", action: {{ order: "A-1" }}, {field}: {literal}, {other}: "1.00" }}) {{ route }} }}"#
        );
        let body = app.gql(&agent(app), &query, json!({})).await;
        assert_money_number_refused(&format!("{field}: {literal} inline"), &body);
    }
    // hourlyRateUsd of createWorkflow, in variables and inline.
    let body = app
        .gql(
            &admin(app),
            CREATE_WORKFLOW,
            json!({ "input": { "key": "num-wf", "name": "Numbers", "policy": refund_policy(), "roi": { "hourlyRateUsd": 60.5 } } }),
        )
        .await;
    assert_money_number_refused("hourlyRateUsd in variables", &body);
    let body = app
        .gql(
            &admin(app),
            r#"mutation($p: JSON!) { createWorkflow(input: { key: "num-wf", name: "Numbers", policy: $p, roi: { hourlyRateUsd: 60.5 } }) { key } }"#,
            json!({ "p": refund_policy() }),
        )
        .await;
    assert_money_number_refused("hourlyRateUsd inline", &body);
    // Strings that are not plain decimals are refused too.
    for text in ["1e3", "+5", " 5", "5.", "0x10", "NaN", "1.2.3", "12,50"] {
        let input = with(refund("refunds", "str-1", "20.00"), "amount", json!(text));
        let body = app
            .gql(&agent(app), SUBMIT, json!({ "input": input }))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{text:?}: {body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("decimal"),
            "{text:?}: {body}"
        );
    }
    assert_eq!(counts().await, before, "nothing was written");
}

async fn money_strings_are_kept_exactly(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    const READ: &str = "query($id: ID!) { approvalRequest(id: $id) { amount costUsd } }";
    // Every digit of a large amount survives (as a JSON number it would become 1e15).
    let mut input = refund("refunds", "big-1", "999999999999999.99999999");
    input["costUsd"] = json!("0.00000001");
    let out = submit(app, input).await;
    let id = out["request"]["id"].as_str().unwrap_or_default().to_owned();
    let read = app.data(&admin(app), READ, json!({ "id": id })).await;
    assert_eq!(
        read["approvalRequest"],
        json!({ "amount": "999999999999999.99999999", "costUsd": "0.00000001" })
    );
    // 0.30000000000000004 as a string arrives exactly, and the amount's documented limit of 8
    // decimals refuses it rather than rounding it.
    let before = app.count("approval_requests").await;
    let input = with(
        refund("refunds", "exact-1", "20"),
        "amount",
        json!("0.30000000000000004"),
    );
    let body = app
        .gql(&agent(app), SUBMIT, json!({ "input": input }))
        .await;
    assert_bad_input(
        "17 decimals",
        &body,
        &json!(["input", "amount"]),
        "8 decimals",
    );
    assert_eq!(app.count("approval_requests").await, before);
    let input = with(
        refund("refunds", "exact-2", "20"),
        "amount",
        json!("0.30000001"),
    );
    let out = submit(app, input).await;
    let id = out["request"]["id"].as_str().unwrap_or_default().to_owned();
    let read = app.data(&admin(app), READ, json!({ "id": id })).await;
    assert_eq!(read["approvalRequest"]["amount"], "0.30000001");
    // More digits than a decimal holds exactly is refused, not rounded.
    let input = with(
        refund("refunds", "exact-3", "20"),
        "amount",
        json!("0.30000000000000000000000000001"),
    );
    let body = app
        .gql(&agent(app), SUBMIT, json!({ "input": input }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("28 digits"),
        "{body}"
    );

    // hourlyRateUsd keeps its 27 digits.
    let data = app
        .data(
            &admin(app),
            "mutation($p: JSON!) { createWorkflow(input: { key: \"rates\", name: \"Rates\", policy: $p, roi: { hourlyRateUsd: \"123456789012345678.123456789\" } }) { roi { hourlyRateUsd } } }",
            json!({ "p": refund_policy() }),
        )
        .await;
    assert_eq!(
        data["createWorkflow"]["roi"]["hourlyRateUsd"],
        "123456789012345678.123456789"
    );
}

/// The queue is read as one index range per role the caller holds; the merged order must still be
/// due steps first (soonest due first), then steps without a due time (oldest first), with no
/// request lost or repeated at a page boundary, and the count and the workflow filter agree.
async fn queue_merges_roles_due_steps_first_across_pages_and_counts_by_workflow(app: &TestApp) {
    // refunds: large amounts go to finance with a 2-hour SLA, the rest to support without one;
    // invoices: support with a 1-hour SLA.
    create_workflow(
        app,
        "refunds",
        json!({ "rules": [ { "name": "large", "when": "amount >= 500.0", "route": "HUMAN",
                             "steps": [ { "role": "finance", "sla": "PT2H" } ] } ],
                "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] } }),
    )
    .await;
    create_workflow(
        app,
        "invoices",
        json!({ "rules": [], "default": { "route": "HUMAN", "steps": [ { "role": "support_agent", "sla": "PT1H" } ] } }),
    )
    .await;
    let mut large = Vec::new();
    let mut small = Vec::new();
    let mut invoices = Vec::new();
    for i in 0..3 {
        large.push(id_of(
            &submit(app, refund("refunds", &format!("large-{i}"), "900.00")).await,
        ));
        small.push(id_of(
            &submit(app, refund("refunds", &format!("small-{i}"), "20.00")).await,
        ));
        invoices.push(id_of(
            &submit(app, refund("invoices", &format!("inv-{i}"), "70.00")).await,
        ));
    }
    // Due soonest first: every invoice (1 h) before every large refund (2 h), each group in
    // submission order; then the undated small refunds, oldest first.
    let expected: Vec<String> = invoices
        .iter()
        .chain(&large)
        .chain(&small)
        .cloned()
        .collect();
    let both = app.token(TENANT, "nina", &["finance", "support_agent"]);
    for page in [1, 2, 4, 50] {
        assert_eq!(
            all_pages(app, &both, QUEUE, json!({}), "approvalQueue", page).await,
            expected,
            "pages of {page}"
        );
    }
    let q = app.data(&both, QUEUE, json!({ "first": 1 })).await;
    assert_eq!(q["approvalQueue"]["totalCount"], 9);
    // One role: only its steps, in the same order.
    let finance = app.token(TENANT, "fred", &["finance"]);
    assert_eq!(
        all_pages(app, &finance, QUEUE, json!({}), "approvalQueue", 2).await,
        large
    );
    // The workflow filter narrows the page and the count alike.
    let by_workflow = "query($k: String) { approvalQueue(workflowKey: $k, first: 50) { totalCount edges { node { id } } } }";
    let q = app
        .data(&both, by_workflow, json!({ "k": "refunds" }))
        .await;
    assert_eq!(q["approvalQueue"]["totalCount"], 6);
    let ids: Vec<String> = q["approvalQueue"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, large.iter().chain(&small).cloned().collect::<Vec<_>>());
    // Decided requests leave the page and the count at once.
    let r = decide(
        app,
        &both,
        json!({ "requestId": invoices[0], "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");
    let q = app.data(&both, QUEUE, json!({ "first": 50 })).await;
    assert_eq!(q["approvalQueue"]["totalCount"], 8);
    assert_eq!(
        all_pages(app, &both, QUEUE, json!({}), "approvalQueue", 3).await,
        expected[1..].to_vec()
    );
}

fn id_of(out: &Value) -> String {
    out["request"]["id"].as_str().unwrap().to_owned()
}
