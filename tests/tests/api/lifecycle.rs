//! The approval lifecycle end to end: routing, steps with quorum, edits bound by hash, rejection,
//! optimistic versions, idempotency and racing approvals.

use countersign_tests::{TestApp, db_tests};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    auto_route_is_approved_at_once_with_rule_recorded,
    reject_route_is_refused_with_reason_code,
    human_route_runs_sequential_steps_with_quorum,
    approval_with_edit_stores_patch_and_binds_hash,
    reject_at_any_step_rejects_and_skips_the_rest,
    reject_requires_reason_code,
    stale_expected_version_is_conflict,
    decided_request_cannot_be_decided_again,
    idempotent_resubmission_returns_the_same_request,
    idempotency_key_reused_with_other_content_is_conflict,
    concurrent_resubmission_stores_one_request,
    invariant_5_racing_approvals_of_last_slot_give_one_transition,
    quorum_collects_concurrent_distinct_approvals,
    concurrent_submissions_are_stored_once_each_in_order_of_the_chain,
    a_pause_racing_submissions_takes_none_after_it,
);

async fn auto_route_is_approved_at_once_with_rule_recorded(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "r-1", "20.00")).await;
    assert_eq!(out["created"], true);
    assert_eq!(out["route"], "AUTO");
    let req = &out["request"];
    assert_eq!(req["status"], "APPROVED");
    assert_eq!(req["matchedRule"], "small-clean");
    assert_eq!(req["policyVersion"], 1);
    assert_eq!(req["steps"], json!([]));
    let types = audit_types(app, req["id"].as_str().unwrap()).await;
    assert_eq!(types, ["REQUEST_SUBMITTED", "AUTO_APPROVED"]);
    // the submission event records the AI decision record as given
    let r = request(app, &admin(app), req["id"].as_str().unwrap()).await;
    let submitted = &r["history"][0]["data"];
    assert_eq!(
        submitted["recommendation"],
        "Customer is eligible under policy 4.2"
    );
    assert_eq!(submitted["confidence"], 0.95);
    assert_eq!(submitted["model"], "gpt-test");
    assert_eq!(submitted["promptVersion"], "refunds-v3");
    assert_eq!(submitted["sources"][0]["title"], "Order history");
    let approved = &r["history"][1];
    assert_eq!(approved["actor"], "system");
    assert_eq!(approved["data"]["rule"], "small-clean");
    assert_eq!(approved["data"]["finalActionHash"], req["finalActionHash"]);
}

async fn reject_route_is_refused_with_reason_code(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let mut input = refund("refunds", "r-x", "20.00");
    input["context"] = json!({ "country": "XX" });
    let out = submit(app, input).await;
    assert_eq!(out["route"], "REJECT");
    assert_eq!(out["request"]["status"], "REJECTED");
    let r = request(app, &admin(app), out["request"]["id"].as_str().unwrap()).await;
    assert_eq!(r["reasonCode"], "sanctions");
    assert_eq!(r["history"][1]["type"], "REQUEST_REJECTED");
    assert_eq!(r["history"][1]["data"]["reasonCode"], "sanctions");
}

async fn human_route_runs_sequential_steps_with_quorum(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "big-1", "2500.00")).await;
    assert_eq!(out["route"], "HUMAN");
    let req = &out["request"];
    let id = req["id"].as_str().unwrap();
    assert_eq!(req["status"], "PENDING");
    assert_eq!(req["currentStep"], 0);
    assert_eq!(req["steps"][0]["status"], "OPEN");
    assert_eq!(req["steps"][1]["status"], "WAITING");
    assert_eq!(req["steps"][1]["quorum"], 2);

    let manager = app.token(TENANT, "mia", &["support_manager"]);
    let fin1 = app.token(TENANT, "fred", &["finance"]);
    let fin2 = app.token(TENANT, "fiona", &["finance"]);

    // finance cannot act while step 0 is open
    let code = app
        .error_code(
            &fin1,
            DECIDE,
            json!({ "input": { "requestId": id, "decision": "APPROVE" } }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");

    let r = decide(
        app,
        &manager,
        json!({ "requestId": id, "decision": "APPROVE", "expectedVersion": 1 }),
    )
    .await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["currentStep"], 1);
    assert_eq!(r["version"], 2);
    assert_eq!(r["steps"][0]["status"], "APPROVED");
    assert_eq!(r["steps"][1]["status"], "OPEN");

    let r = decide(
        app,
        &fin1,
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(
        r["status"], "PENDING",
        "quorum 2 needs a second finance approval"
    );
    assert_eq!(r["steps"][1]["approvals"], 1);

    let r = decide(
        app,
        &fin2,
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(r["currentStep"], json!(null));
    assert_eq!(r["steps"][1]["status"], "APPROVED");
    assert_eq!(r["decisions"].as_array().unwrap().len(), 3);

    let types = audit_types(app, id).await;
    assert_eq!(
        types,
        [
            "REQUEST_SUBMITTED",
            "STEP_OPENED",
            "STEP_APPROVED",
            "STEP_OPENED",
            "APPROVAL_RECORDED",
            "STEP_APPROVED",
            "REQUEST_APPROVED"
        ]
    );
}

async fn approval_with_edit_stores_patch_and_binds_hash(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "mid-1", "200.00")).await;
    let id = out["request"]["id"].as_str().unwrap();
    let original_hash = out["request"]["finalActionHash"]
        .as_str()
        .unwrap()
        .to_owned();
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    let edited =
        json!({ "order": "mid-1", "amount": "150.00", "note": "Partial refund as agreed" });
    let r = decide(app, &reviewer, json!({ "requestId": id, "decision": "APPROVE", "editedAction": edited, "comment": "reduced" })).await;
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(r["finalAction"], edited);
    assert_ne!(r["finalActionHash"].as_str().unwrap(), original_hash);
    let patch = r["editPatch"].as_array().unwrap();
    assert!(
        patch
            .iter()
            .any(|op| op["op"] == "replace" && op["path"] == "/amount" && op["value"] == "150.00"),
        "{patch:?}"
    );
    assert_eq!(r["decisions"][0]["edited"], true);

    let full = request(app, &admin(app), id).await;
    assert_eq!(
        full["action"]["amount"], "200.00",
        "the original is kept beside the edit"
    );
    let approved = full["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "REQUEST_APPROVED")
        .unwrap();
    assert_eq!(
        approved["data"]["finalActionHash"], r["finalActionHash"],
        "the approval records the hash of what was approved"
    );
    assert_eq!(approved["data"]["edited"], true);
}

async fn reject_at_any_step_rejects_and_skips_the_rest(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "big-2", "5000")).await;
    let id = out["request"]["id"].as_str().unwrap();
    let manager = app.token(TENANT, "mia", &["support_manager"]);
    let r = decide(app, &manager, json!({ "requestId": id, "decision": "REJECT", "reasonCode": "policy_violation", "comment": "no receipt" })).await;
    assert_eq!(r["status"], "REJECTED");
    assert_eq!(r["reasonCode"], "policy_violation");
    assert_eq!(r["steps"][0]["status"], "REJECTED");
    assert_eq!(r["steps"][1]["status"], "SKIPPED");
    let types = audit_types(app, id).await;
    assert_eq!(types.last().unwrap(), "REQUEST_REJECTED");
}

async fn reject_requires_reason_code(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "mid-2", "300")).await;
    let id = out["request"]["id"].as_str().unwrap();
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    let body = app
        .gql(
            &reviewer,
            DECIDE,
            json!({ "input": { "requestId": id, "decision": "REJECT" } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!(["input", "reasonCode"])
    );
    let r = request(app, &admin(app), id).await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["decisions"], json!([]));
}

async fn stale_expected_version_is_conflict(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "big-3", "1500")).await;
    let id = out["request"]["id"].as_str().unwrap();
    let manager = app.token(TENANT, "mia", &["support_manager"]);
    let code = app
        .error_code(
            &manager,
            DECIDE,
            json!({ "input": { "requestId": id, "decision": "APPROVE", "expectedVersion": 7 } }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    let r = request(app, &admin(app), id).await;
    assert_eq!(r["version"], 1);
    assert_eq!(r["decisions"], json!([]));
}

async fn decided_request_cannot_be_decided_again(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "mid-3", "100")).await;
    let id = out["request"]["id"].as_str().unwrap();
    let r1 = app.token(TENANT, "rita", &["support_agent"]);
    let r2 = app.token(TENANT, "rob", &["support_agent"]);
    decide(app, &r1, json!({ "requestId": id, "decision": "APPROVE" })).await;
    let code = app
        .error_code(
            &r2,
            DECIDE,
            json!({ "input": { "requestId": id, "decision": "REJECT", "reasonCode": "late" } }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
}

async fn idempotent_resubmission_returns_the_same_request(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let first = submit(app, refund("refunds", "dup-1", "500")).await;
    let events_before = app.count("audit_events").await;
    let again = submit(app, refund("refunds", "dup-1", "500")).await;
    assert_eq!(again["created"], false);
    assert_eq!(again["request"]["id"], first["request"]["id"]);
    assert_eq!(app.count("approval_requests").await, 1);
    assert_eq!(
        app.count("audit_events").await,
        events_before,
        "a replay writes nothing"
    );
}

async fn idempotency_key_reused_with_other_content_is_conflict(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    submit(app, refund("refunds", "dup-2", "500")).await;
    let code = app
        .error_code(
            &agent(app),
            SUBMIT,
            json!({ "input": refund("refunds", "dup-2", "900") }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(app.count("approval_requests").await, 1);
}

async fn concurrent_resubmission_stores_one_request(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let token = agent(app);
    let results = join_all((0..16).map(|_| {
        let token = token.clone();
        async move {
            app.gql(
                &token,
                SUBMIT,
                json!({ "input": refund("refunds", "race-key", "700") }),
            )
            .await
        }
    }))
    .await;
    let mut ids = std::collections::HashSet::new();
    let mut created = 0;
    for body in &results {
        assert!(
            body.get("errors").is_none(),
            "every resubmission answers with the request: {body}"
        );
        ids.insert(
            body["data"]["submitAction"]["request"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        if body["data"]["submitAction"]["created"] == true {
            created += 1;
        }
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(created, 1);
    assert_eq!(app.count("approval_requests").await, 1);
    let submitted = app
        .data(
            &admin(app),
            "{ auditLog(filter: { types: [\"REQUEST_SUBMITTED\"] }) { edges { node { seq } } } }",
            json!({}),
        )
        .await;
    assert_eq!(submitted["auditLog"]["edges"].as_array().unwrap().len(), 1);
}

async fn invariant_5_racing_approvals_of_last_slot_give_one_transition(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "race-1", "120")).await;
    let id = out["request"]["id"].as_str().unwrap().to_owned();
    let reviewers: Vec<String> = (0..12)
        .map(|i| app.token(TENANT, &format!("reviewer-{i}"), &["support_agent"]))
        .collect();
    let results = join_all(reviewers.iter().map(|token| {
        let id = id.clone();
        async move { app.gql(token, DECIDE, json!({ "input": { "requestId": id, "decision": "APPROVE", "expectedVersion": 1 } })).await }
    }))
    .await;
    let ok = results.iter().filter(|b| b.get("errors").is_none()).count();
    let conflicts = results
        .iter()
        .filter(|b| b["errors"][0]["extensions"]["code"] == "CONFLICT")
        .count();
    assert_eq!(ok, 1, "exactly one approval wins: {results:?}");
    assert_eq!(
        conflicts,
        reviewers.len() - 1,
        "every other racer gets CONFLICT"
    );
    let types = audit_types(app, &id).await;
    assert_eq!(types.iter().filter(|t| *t == "REQUEST_APPROVED").count(), 1);
    assert_eq!(app.count("decisions").await, 1);
}

async fn quorum_collects_concurrent_distinct_approvals(app: &TestApp) {
    create_workflow(
        app,
        "payments",
        json!({ "rules": [], "default": { "route": "HUMAN", "steps": [ { "role": "controller", "quorum": 3 } ] } }),
    )
    .await;
    let mut input = refund("payments", "pay-1", "10000");
    input["actionType"] = json!("invoice.pay");
    let out = submit(app, input).await;
    let id = out["request"]["id"].as_str().unwrap().to_owned();
    let tokens: Vec<String> = (0..3)
        .map(|i| app.token(TENANT, &format!("ctrl-{i}"), &["controller"]))
        .collect();
    let results = join_all(tokens.iter().map(|t| {
        let id = id.clone();
        async move {
            app.gql(
                t,
                DECIDE,
                json!({ "input": { "requestId": id, "decision": "APPROVE" } }),
            )
            .await
        }
    }))
    .await;
    assert!(
        results.iter().all(|b| b.get("errors").is_none()),
        "{results:?}"
    );
    let r = request(app, &admin(app), &id).await;
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(r["steps"][0]["approvals"], 3);
    assert_eq!(r["version"], 4);
}

const SUBMITTED_DUPLICATES: &str = "mutation($input: SubmitActionInput!) { submitAction(input: $input) { created route request { id exceptions duplicateOf } } }";
const SET_MODE: &str = "mutation($key: String!, $mode: WorkflowMode!, $reason: String!) { setWorkflowMode(workflowKey: $key, mode: $mode, reason: $reason) { mode } }";
const CHAIN: &str = "{ verifyAuditChain { ok checked firstBrokenSeq } }";
const EVENTS: &str = "query($after: String) { auditLog(first: 500, after: $after) { edges { node { seq type requestId data } } pageInfo { hasNextPage endCursor } } }";

/// Every audit event of the tenant, in seq order.
async fn audit_events(app: &TestApp) -> Vec<Value> {
    let auditor = app.token(TENANT, "audrey-auditor", &["auditor"]);
    let mut events = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.data(&auditor, EVENTS, json!({ "after": after })).await["auditLog"].clone();
        events.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            return events;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Submissions that arrive together are committed together (group commit): each is answered as
/// if it had been alone. Forty at once — thirty keys, ten retries of some of them, every three
/// keys one invoice — store thirty requests; a retry gets its key's request; the first of each
/// invoice in the chain is the original and each later one points at one stored before it; the
/// chain is gap-free and verifies.
async fn concurrent_submissions_are_stored_once_each_in_order_of_the_chain(app: &TestApp) {
    create_workflow(app, "payables", payables_policy()).await;
    let token = agent(app);
    let input = |n: usize| {
        let mut input = refund(
            "payables",
            &format!("inv-{n}"),
            if n.is_multiple_of(2) { "100" } else { "5000" },
        );
        input["action"] = json!({ "vendor_id": "V1", "invoice_number": format!("{}", n / 3) });
        input
    };
    let keys: Vec<usize> = (0..30).chain(0..10).collect();
    let answers = join_all(keys.iter().map(|n| {
        let token = token.clone();
        let input = input(*n);
        async move {
            app.gql(&token, SUBMITTED_DUPLICATES, json!({ "input": input }))
                .await
        }
    }))
    .await;
    let mut by_key: std::collections::HashMap<usize, String> = Default::default();
    let mut created = 0;
    for (n, body) in keys.iter().zip(&answers) {
        assert!(body.get("errors").is_none(), "inv-{n}: {body}");
        let out = &body["data"]["submitAction"];
        let id = out["request"]["id"].as_str().unwrap().to_owned();
        if out["created"] == true {
            created += 1;
        }
        if let Some(first) = by_key.insert(*n, id.clone()) {
            assert_eq!(first, id, "a retry of inv-{n} answers with its request");
        }
    }
    assert_eq!(created, 30, "one request per key");
    assert_eq!(app.count("approval_requests").await, 30);

    let chain = app
        .data(
            &app.token(TENANT, "audrey-auditor", &["auditor"]),
            CHAIN,
            json!({}),
        )
        .await["verifyAuditChain"]
        .clone();
    assert_eq!(chain["ok"], true, "{chain}");
    let events = audit_events(app).await;
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as i64).collect::<Vec<_>>(),
        "gap-free"
    );
    assert_eq!(chain["checked"], json!(events.len()));

    // Per invoice, in the order of the chain: the first is the original, each later one a
    // duplicate of one before it, sent to people.
    let submitted: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "REQUEST_SUBMITTED")
        .collect();
    assert_eq!(submitted.len(), 30);
    for invoice in 0..10 {
        let mut seen: Vec<String> = Vec::new();
        for e in &submitted {
            let n: usize = e["data"]["idempotencyKey"].as_str().unwrap()[4..]
                .parse()
                .unwrap();
            if n / 3 != invoice {
                continue;
            }
            let id = e["requestId"].as_str().unwrap().to_owned();
            let duplicate_of = &e["data"]["duplicateOf"];
            if seen.is_empty() {
                assert_eq!(duplicate_of, &Value::Null, "the first of invoice {invoice}");
            } else {
                let earlier = duplicate_of
                    .as_str()
                    .unwrap_or_else(|| panic!("inv-{n} is a duplicate"));
                assert!(
                    seen.iter().any(|s| s == earlier),
                    "inv-{n} points at an earlier request"
                );
                assert_eq!(e["data"]["exceptions"], json!(["duplicate"]));
                assert_eq!(e["data"]["route"], "HUMAN");
            }
            seen.push(id);
        }
        assert_eq!(seen.len(), 3);
    }
}

/// Invariant 8 under concurrency: a pause that lands while submissions are arriving (some
/// already evaluated, waiting for their commit) lets none of them in after it. Each is either
/// stored before the pause in the chain or refused with WORKFLOW_PAUSED.
async fn a_pause_racing_submissions_takes_none_after_it(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let token = agent(app);
    let submissions = (0..30).map(|n| {
        let token = token.clone();
        async move {
            let body = app
                .gql(
                    &token,
                    SUBMIT,
                    json!({ "input": refund("refunds", &format!("race-{n}"), "20") }),
                )
                .await;
            match body.get("errors") {
                None => "stored".to_owned(),
                Some(errors) => errors[0]["extensions"]["code"].as_str().unwrap().to_owned(),
            }
        }
    });
    let pause = async {
        app.data(
            &admin(app),
            SET_MODE,
            json!({ "key": "refunds", "mode": "PAUSED", "reason": "incident" }),
        )
        .await;
        "paused".to_owned()
    };
    let mut all: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send + '_>>> =
        submissions.map(|f| Box::pin(f) as _).collect();
    all.insert(15, Box::pin(pause));
    let outcomes = join_all(all).await;
    let stored = outcomes.iter().filter(|o| *o == "stored").count();
    let refused = outcomes.iter().filter(|o| *o == "WORKFLOW_PAUSED").count();
    assert_eq!(stored + refused, 30, "stored or refused: {outcomes:?}");
    assert_eq!(app.count("approval_requests").await as usize, stored);

    let events = audit_events(app).await;
    let paused_at = events
        .iter()
        .find(|e| e["type"] == "WORKFLOW_MODE_CHANGED")
        .map(|e| e["seq"].as_i64().unwrap())
        .unwrap();
    let after: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "REQUEST_SUBMITTED" && e["seq"].as_i64().unwrap() > paused_at)
        .collect();
    assert!(after.is_empty(), "submitted after the pause: {after:?}");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "REQUEST_SUBMITTED")
            .count(),
        stored
    );
}
