//! Shared fixtures: the workflow policies and operations most scenarios use.

use countersign_tests::TestApp;
use serde_json::{Value, json};

pub const TENANT: &str = "acme";

pub const CREATE_WORKFLOW: &str = "mutation($input: CreateWorkflowInput!) { createWorkflow(input: $input) { key name mode activePolicy { version status } } }";

pub const SUBMIT: &str = "mutation($input: SubmitActionInput!) { submitAction(input: $input) { created route request { id status version route matchedRule exceptions qaSampled currentStep policyVersion finalActionHash steps { index role quorum approvals status dueAt } } } }";

pub const DECIDE: &str = "mutation($input: DecideInput!) { decide(input: $input) { id status version currentStep finalAction editPatch finalActionHash reasonCode steps { index status approvals } decisions { actor decision edited step reasonCode } } }";

pub const REQUEST: &str = "query($id: ID!) { approvalRequest(id: $id) { id status version route action finalAction editPatch finalActionHash reasonCode currentStep steps { index role status approvals quorum } decisions { actor decision step edited } history { seq type actor data } } }";

/// Threshold pattern: small clean refunds AUTO, large ones to two steps, sanctions REJECT.
pub fn refund_policy() -> Value {
    json!({
        "rules": [
            { "name": "blocked-country", "when": "has(context.country) && context.country in ['XX']", "route": "REJECT", "reasonCode": "sanctions" },
            { "name": "large", "when": "amount >= 1000.0", "route": "HUMAN",
              "steps": [ { "role": "support_manager" }, { "role": "finance", "quorum": 2 } ] },
            { "name": "small-clean", "when": "amount < 50.0 && confidence >= 0.9 && size(risk_flags) == 0", "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] }
    })
}

/// Invoices: small ones AUTO, others to an AP clerk; the same vendor and invoice number within
/// 30 days is a duplicate.
pub fn payables_policy() -> Value {
    json!({
        "rules": [ { "name": "small", "when": "amount < 1000.0", "route": "AUTO" } ],
        "default": { "route": "HUMAN", "steps": [ { "role": "ap_clerk" } ] },
        "duplicateKey": "action.vendor_id + ':' + action.invoice_number",
        "duplicateWindow": "P30D"
    })
}

pub fn admin(app: &TestApp) -> String {
    app.token(TENANT, "alice-admin", &["admin"])
}

pub fn agent(app: &TestApp) -> String {
    app.token(TENANT, "refund-bot", &["agent"])
}

pub async fn create_workflow(app: &TestApp, key: &str, policy: Value) -> Value {
    app.data(
        &admin(app),
        CREATE_WORKFLOW,
        json!({ "input": { "key": key, "name": format!("Workflow {key}"), "policy": policy } }),
    )
    .await
}

/// A refund submission with the given amount and idempotency key.
pub fn refund(workflow: &str, key: &str, amount: &str) -> Value {
    json!({
        "workflowKey": workflow,
        "idempotencyKey": key,
        "actionType": "refund.issue",
        "title": format!("Refund {key}"),
        "action": { "order": key, "amount": amount, "note": "Sorry for the trouble" },
        "recommendation": "Customer is eligible under policy 4.2",
        "confidence": 0.95,
        "amount": amount,
        "currency": "USD",
        "sources": [ { "title": "Order history", "url": "https://crm.example/orders/1" } ],
        "model": "gpt-test",
        "promptVersion": "refunds-v3",
        "costUsd": "0.0125"
    })
}

pub async fn submit(app: &TestApp, input: Value) -> Value {
    app.data(&agent(app), SUBMIT, json!({ "input": input }))
        .await["submitAction"]
        .clone()
}

pub async fn decide(app: &TestApp, token: &str, input: Value) -> Value {
    app.data(token, DECIDE, json!({ "input": input })).await["decide"].clone()
}

pub async fn request(app: &TestApp, token: &str, id: &str) -> Value {
    app.data(token, REQUEST, json!({ "id": id })).await["approvalRequest"].clone()
}

pub async fn audit_types(app: &TestApp, request_id: &str) -> Vec<String> {
    let r = request(app, &admin(app), request_id).await;
    r["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows `endCursor` through the connection `field` of `query` (run with `vars` besides
/// `first` and `after`) in pages of `first`; returns the ids in order.
pub async fn all_pages(
    app: &TestApp,
    token: &str,
    query: &str,
    vars: Value,
    field: &str,
    first: i64,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = Value::Null;
    for _ in 0..1000 {
        let mut page_vars = vars.clone();
        page_vars["first"] = json!(first);
        page_vars["after"] = after.clone();
        let data = app.data(token, query, page_vars).await;
        let conn = &data[field];
        let edges = conn["edges"].as_array().unwrap();
        assert!(edges.len() as i64 <= first, "{conn}");
        for e in edges {
            ids.push(e["node"]["id"].as_str().unwrap().to_owned());
        }
        if edges.is_empty() || conn["pageInfo"]["hasNextPage"] == false {
            assert_eq!(conn["pageInfo"]["hasNextPage"], false);
            return ids;
        }
        assert_eq!(
            edges.len() as i64,
            first,
            "a page before the last is full: {conn}"
        );
        assert_eq!(
            conn["pageInfo"]["endCursor"],
            edges.last().unwrap()["cursor"],
            "endCursor is the last edge's cursor"
        );
        after = conn["pageInfo"]["endCursor"].clone();
    }
    panic!("paging did not end");
}
