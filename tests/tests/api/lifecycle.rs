//! The approval lifecycle end to end: routing, steps with quorum, edits bound by hash, rejection,
//! optimistic versions, idempotency and racing approvals.

use countersign_tests::{TestApp, db_tests};
use futures::future::join_all;
use serde_json::json;

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
