//! Governance controls of policy.md 2-6 and 9: QA sampling of auto-approved requests, exception
//! review (validations, rule errors), duplicate detection, and the guardrails that trip a
//! workflow to MANUAL_ONLY.

use countersign_tests::{TestApp, db_tests};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::*;

db_tests!(
    sampled_auto_requests_wait_in_the_qa_queue_for_one_verdict,
    review_sample_refuses_bad_input_wrong_people_and_unsampled_requests,
    sample_pick_is_sha256_of_the_request_id,
    exception_review_never_lets_an_exception_auto_approve,
    duplicate_goes_to_people_and_points_at_the_original,
    guardrail_rejection_rate_trips_workflow_to_manual_only,
    guardrail_error_rate_counts_incorrect_sample_verdicts,
    guardrail_ai_cost_per_hour_trips_and_an_admin_sets_it_back,
);

const SUBMIT_FULL: &str = "mutation($input: SubmitActionInput!) { submitAction(input: $input) { created route request { id status route matchedRule exceptions duplicateOf qaSampled reasonCode steps { role status } } } }";

const SAMPLE_QUEUE: &str = "query($wf: String, $first: Int, $after: String) { sampleQueue(workflowKey: $wf, first: $first, after: $after) { totalCount edges { cursor node { id qaSampled qaVerdict } } pageInfo { hasNextPage endCursor } } }";

const REVIEW: &str = "mutation($id: ID!, $verdict: SampleVerdict!, $reasonCode: String, $comment: String) { reviewSample(id: $id, verdict: $verdict, reasonCode: $reasonCode, comment: $comment) { id version status qaSampled qaVerdict qaReasonCode qaComment qaReviewedBy qaReviewedAt } }";

const QA_STATE: &str = "query($id: ID!) { approvalRequest(id: $id) { version qaSampled qaVerdict qaReasonCode qaComment qaReviewedBy qaReviewedAt history { seq type actor data } } }";

const SET_MODE: &str = "mutation($key: String!, $mode: WorkflowMode!, $reason: String!) { setWorkflowMode(workflowKey: $key, mode: $mode, reason: $reason) { key mode modeReason } }";

const EVENTS: &str = "query($types: [String!]) { auditLog(filter: { types: $types }, first: 500) { edges { node { seq type actor workflowKey requestId data } } } }";

/// AUTO for small refunds, every one of them sampled for `qa_reviewer`.
fn sampled_policy(rate: f64) -> Value {
    json!({
        "rules": [
            { "name": "small-clean", "when": "amount < 50.0", "route": "AUTO",
              "sampleRate": rate, "sampleRole": "qa_reviewer" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] }
    })
}

fn qa(app: &TestApp, sub: &str) -> String {
    app.token(TENANT, sub, &["qa_reviewer"])
}

/// Submits as `token` with the full set of fields this module looks at.
async fn submit_as(app: &TestApp, token: &str, input: Value) -> Value {
    app.data(token, SUBMIT_FULL, json!({ "input": input }))
        .await["submitAction"]
        .clone()
}

async fn submit_full(app: &TestApp, input: Value) -> Value {
    submit_as(app, &agent(app), input).await
}

fn id_of(out: &Value) -> String {
    out["request"]["id"].as_str().unwrap().to_owned()
}

/// The ids of the caller's whole sample queue, in queue order, checked against `totalCount`.
async fn sample_queue_ids(app: &TestApp, token: &str, workflow: Option<&str>) -> Vec<String> {
    let data = app
        .data(token, SAMPLE_QUEUE, json!({ "wf": workflow, "first": 500 }))
        .await;
    let conn = &data["sampleQueue"];
    let ids: Vec<String> = conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(conn["totalCount"], ids.len(), "{conn}");
    assert_eq!(conn["pageInfo"]["hasNextPage"], false);
    ids
}

async fn review(
    app: &TestApp,
    token: &str,
    id: &str,
    verdict: &str,
    reason: Option<&str>,
    comment: Option<&str>,
) -> Value {
    app.gql(
        token,
        REVIEW,
        json!({ "id": id, "verdict": verdict, "reasonCode": reason, "comment": comment }),
    )
    .await
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error with a code: {body}"))
}

/// The workflow's mode and modeReason.
async fn mode(app: &TestApp, key: &str) -> (String, Value) {
    let w = app
        .data(
            &admin(app),
            "query($key: String!) { workflow(key: $key) { mode modeReason } }",
            json!({ "key": key }),
        )
        .await;
    (
        w["workflow"]["mode"].as_str().unwrap().to_owned(),
        w["workflow"]["modeReason"].clone(),
    )
}

/// Every audit event of these types, in seq order.
async fn events(app: &TestApp, types: &[&str]) -> Vec<Value> {
    let data = app
        .data(&admin(app), EVENTS, json!({ "types": types }))
        .await;
    data["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn assert_chain_verifies(app: &TestApp) {
    let v = app
        .data(&admin(app), "{ verifyAuditChain { ok } }", json!({}))
        .await;
    assert_eq!(v["verifyAuditChain"]["ok"], true);
}

async fn sampled_auto_requests_wait_in_the_qa_queue_for_one_verdict(app: &TestApp) {
    create_workflow(app, "refunds", sampled_policy(1.0)).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let out = submit_full(app, refund("refunds", &format!("s-{i}"), "20.00")).await;
        assert_eq!(out["route"], "AUTO");
        assert_eq!(out["request"]["status"], "APPROVED");
        assert_eq!(
            out["request"]["qaSampled"], true,
            "sampleRate 1.0 picks all"
        );
        ids.push(id_of(&out));
    }
    let human = submit_full(app, refund("refunds", "s-big", "200.00")).await;
    assert_eq!(human["route"], "HUMAN");
    assert_eq!(human["request"]["qaSampled"], false, "only AUTO is sampled");

    let quinn = qa(app, "quinn");
    assert_eq!(
        sample_queue_ids(app, &quinn, None).await,
        ids,
        "oldest first"
    );
    assert_eq!(sample_queue_ids(app, &quinn, Some("refunds")).await, ids);
    assert!(
        sample_queue_ids(app, &quinn, Some("other"))
            .await
            .is_empty()
    );
    // The queue belongs to the QA role: reviewers of other roles, admin and auditor see nothing.
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let audrey = app.token(TENANT, "audrey", &["auditor"]);
    for token in [&rita, &admin(app), &audrey] {
        assert!(sample_queue_ids(app, token, None).await.is_empty());
    }
    // Keyset paging over the queue.
    let page1 = app.data(&quinn, SAMPLE_QUEUE, json!({ "first": 2 })).await;
    let page1 = &page1["sampleQueue"];
    assert_eq!(page1["totalCount"], 3);
    assert_eq!(page1["pageInfo"]["hasNextPage"], true);
    assert_eq!(page1["edges"].as_array().unwrap().len(), 2);
    let page2 = app
        .data(
            &quinn,
            SAMPLE_QUEUE,
            json!({ "first": 2, "after": page1["pageInfo"]["endCursor"] }),
        )
        .await;
    let page2 = &page2["sampleQueue"];
    assert_eq!(page2["pageInfo"]["hasNextPage"], false);
    assert_eq!(page2["edges"][0]["node"]["id"], ids[2].as_str());

    let events_before = app.count("audit_events").await;
    let ok = review(app, &quinn, &ids[0], "CORRECT", None, Some("fine")).await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let r = &ok["data"]["reviewSample"];
    assert_eq!(r["qaVerdict"], "CORRECT");
    assert_eq!(r["qaReasonCode"], Value::Null);
    assert_eq!(r["qaComment"], "fine");
    assert_eq!(r["qaReviewedBy"], "quinn");
    assert!(r["qaReviewedAt"].is_string());
    assert_eq!(r["version"], 2);
    assert_eq!(
        r["status"], "APPROVED",
        "a verdict does not change the status"
    );

    let bad = review(
        app,
        &quinn,
        &ids[1],
        "INCORRECT",
        Some("amount_too_high"),
        Some("order was partially refunded already"),
    )
    .await;
    assert!(bad.get("errors").is_none(), "{bad}");
    let r = &bad["data"]["reviewSample"];
    assert_eq!(r["qaVerdict"], "INCORRECT");
    assert_eq!(r["qaReasonCode"], "amount_too_high");
    assert_eq!(app.count("audit_events").await, events_before + 2);

    assert_eq!(
        sample_queue_ids(app, &quinn, None).await,
        vec![ids[2].clone()],
        "reviewed requests leave the queue"
    );

    // One verdict per request, whoever asks.
    let again = review(
        app,
        &qa(app, "quincy"),
        &ids[0],
        "INCORRECT",
        Some("x"),
        None,
    )
    .await;
    assert_eq!(code(&again), "CONFLICT");
    let again = review(app, &quinn, &ids[1], "CORRECT", None, None).await;
    assert_eq!(code(&again), "CONFLICT");

    // Audited: who, what, for which rule and which content.
    let auto_hash = {
        let r = request(app, &admin(app), &ids[1]).await;
        r["finalActionHash"].as_str().unwrap().to_owned()
    };
    let r = app
        .data(&admin(app), QA_STATE, json!({ "id": ids[1] }))
        .await;
    let reviewed = r["approvalRequest"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "SAMPLE_REVIEWED")
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(reviewed.len(), 1);
    assert_eq!(reviewed[0]["actor"], "quinn");
    assert_eq!(
        reviewed[0]["data"],
        json!({
            "verdict": "INCORRECT",
            "reasonCode": "amount_too_high",
            "comment": "order was partially refunded already",
            "rule": "small-clean",
            "finalActionHash": auto_hash,
        })
    );
    let all = events(app, &["SAMPLE_REVIEWED"]).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["requestId"], ids[0].as_str());
    assert_eq!(all[0]["workflowKey"], "refunds");
    assert_eq!(all[0]["data"]["verdict"], "CORRECT");
    assert_eq!(all[0]["data"]["reasonCode"], Value::Null);
    assert_chain_verifies(app).await;
}

async fn review_sample_refuses_bad_input_wrong_people_and_unsampled_requests(app: &TestApp) {
    create_workflow(app, "refunds", sampled_policy(1.0)).await;
    create_workflow(app, "plain", sampled_policy(0.0)).await;
    let sampled = id_of(&submit_full(app, refund("refunds", "q-1", "20")).await);
    let unsampled = submit_full(app, refund("plain", "q-2", "20")).await;
    assert_eq!(unsampled["route"], "AUTO");
    assert_eq!(unsampled["request"]["qaSampled"], false);
    let unsampled = id_of(&unsampled);
    let quinn = qa(app, "quinn");
    let requests_before = app.count("approval_requests").await;
    let events_before = app.count("audit_events").await;

    // INCORRECT needs a reason code; bad codes and overlong comments are refused by field.
    let body = review(app, &quinn, &sampled, "INCORRECT", None, Some("wrong")).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!(["reasonCode"])
    );
    let body = review(app, &quinn, &sampled, "INCORRECT", Some("has spaces"), None).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!(["reasonCode"])
    );
    let long_code = "a".repeat(65);
    let body = review(app, &quinn, &sampled, "INCORRECT", Some(&long_code), None).await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!(["reasonCode"])
    );
    let long_comment = "c".repeat(10_001);
    let body = review(app, &quinn, &sampled, "CORRECT", None, Some(&long_comment)).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], json!(["comment"]));
    let body = review(app, &quinn, "not-an-id", "CORRECT", None, None).await;
    assert_eq!(body["errors"][0]["extensions"]["field"], json!(["id"]));

    // Only holders of the QA role; admin is no reviewer here either.
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    for token in [&rita, &admin(app), &agent(app)] {
        let body = review(app, token, &sampled, "CORRECT", None, None).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
    }
    // A request that was not picked cannot take a verdict.
    let body = review(app, &quinn, &unsampled, "CORRECT", None, None).await;
    assert_eq!(code(&body), "CONFLICT");
    // Other tenants' ids, and unknown ids, do not exist.
    let outsider = app.token("globex", "quinn", &["qa_reviewer"]);
    let body = review(app, &outsider, &sampled, "CORRECT", None, None).await;
    assert_eq!(code(&body), "NOT_FOUND");
    let body = review(
        app,
        &quinn,
        &uuid::Uuid::now_v7().to_string(),
        "CORRECT",
        None,
        None,
    )
    .await;
    assert_eq!(code(&body), "NOT_FOUND");

    // Segregation of duties: a principal holding both roles never reviews its own action.
    let dual = app.token(TENANT, "dual-bot", &["agent", "qa_reviewer"]);
    let own = submit_as(app, &dual, refund("refunds", "q-own", "20")).await;
    assert_eq!(own["request"]["qaSampled"], true);
    let own = id_of(&own);
    assert!(
        !sample_queue_ids(app, &dual, None).await.contains(&own),
        "one's own submissions are not in one's QA queue"
    );
    assert!(sample_queue_ids(app, &quinn, None).await.contains(&own));
    let body = review(app, &dual, &own, "CORRECT", None, None).await;
    assert_eq!(code(&body), "FORBIDDEN");
    // … but the same principal may review someone else's.
    let body = review(app, &dual, &sampled, "CORRECT", None, None).await;
    assert!(body.get("errors").is_none(), "{body}");

    // Nothing of the refused attempts was stored or audited.
    let r = app.data(&admin(app), QA_STATE, json!({ "id": own })).await;
    let r = &r["approvalRequest"];
    assert_eq!(r["qaVerdict"], Value::Null);
    assert_eq!(r["qaReviewedBy"], Value::Null);
    assert_eq!(r["version"], 1);
    let r = app
        .data(&admin(app), QA_STATE, json!({ "id": unsampled }))
        .await;
    assert_eq!(r["approvalRequest"]["qaVerdict"], Value::Null);
    assert_eq!(r["approvalRequest"]["version"], 1);
    assert_eq!(app.count("approval_requests").await, requests_before + 1);
    // The own submission wrote two events (submitted, auto-approved), the one review one.
    assert_eq!(app.count("audit_events").await, events_before + 3);
    assert_eq!(events(app, &["SAMPLE_REVIEWED"]).await.len(), 1);
}

/// policy.md 6: SHA-256 over the lowercase hyphenated id, first 8 bytes big-endian / 2^64 < rate.
fn expected_pick(id: &str, rate: f64) -> bool {
    let digest = Sha256::digest(id.to_lowercase().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) as f64 / 2f64.powi(64)) < rate
}

async fn sample_pick_is_sha256_of_the_request_id(app: &TestApp) {
    create_workflow(app, "refunds", sampled_policy(0.5)).await;
    let mut expected = Vec::new();
    let mut not_picked = 0;
    for i in 0..40 {
        let out = submit_full(app, refund("refunds", &format!("d-{i}"), "20")).await;
        assert_eq!(out["route"], "AUTO");
        let id = id_of(&out);
        assert_eq!(id, id.to_lowercase(), "ids are served as lowercase text");
        let want = expected_pick(&id, 0.5);
        assert_eq!(out["request"]["qaSampled"], want, "request {id}");
        if want {
            expected.push(id);
        } else {
            not_picked += 1;
        }
    }
    // With 40 draws at 0.5 both outcomes occur (all-or-nothing has odds 2^-39).
    assert!(!expected.is_empty() && not_picked > 0);
    assert_eq!(
        sample_queue_ids(app, &qa(app, "quinn"), None).await,
        expected,
        "the queue is exactly the picked set"
    );
    let auto = events(app, &["AUTO_APPROVED"]).await;
    let picked_in_audit: Vec<String> = auto
        .iter()
        .filter(|e| e["data"]["qaSampled"] == true)
        .map(|e| e["requestId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(picked_in_audit, expected, "the pick is audited");
    assert!(auto.iter().all(|e| e["data"]["sampleRate"] == 0.5));
}

/// Validations, a rule that can fail at run time, a REJECT rule and an AUTO rule.
fn exception_policy() -> Value {
    json!({
        "rules": [
            { "name": "blocked-country", "when": "has(context.country) && context.country == 'XX'",
              "route": "REJECT", "reasonCode": "sanctions" },
            { "name": "gold-customer", "when": "action.customer.tier == 'gold' && amount < 500.0", "route": "AUTO" },
            { "name": "small", "when": "amount < 50.0", "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] },
        "validations": [
            { "name": "missing_order_ref", "check": "has(action.order_ref)", "message": "no order reference" }
        ]
    })
}

fn order(key: &str, amount: &str, action: Value) -> Value {
    let mut input = refund("refunds", key, amount);
    input["action"] = action;
    input
}

async fn exception_review_never_lets_an_exception_auto_approve(app: &TestApp) {
    create_workflow(app, "refunds", exception_policy()).await;
    let silver = json!({ "order_ref": "o-1", "customer": { "tier": "silver" } });

    // Clean: the AUTO rule approves at once.
    let clean = submit_full(app, order("e-clean", "20", silver.clone())).await;
    assert_eq!(clean["route"], "AUTO");
    assert_eq!(clean["request"]["exceptions"], json!([]));

    // A failed validation: the AUTO rule matched, yet the action goes to the default steps.
    let no_ref = submit_full(
        app,
        order("e-1", "20", json!({ "customer": { "tier": "silver" } })),
    )
    .await;
    let r = &no_ref["request"];
    assert_eq!(no_ref["route"], "HUMAN");
    assert_eq!(r["route"], "HUMAN");
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["matchedRule"], "small");
    assert_eq!(r["exceptions"], json!(["missing_order_ref"]));
    assert_eq!(r["qaSampled"], false);
    assert_eq!(
        r["steps"],
        json!([{ "role": "support_agent", "status": "OPEN" }])
    );
    let full = request(app, &admin(app), &id_of(&no_ref)).await;
    assert_eq!(
        full["history"][0]["data"]["overrideReason"],
        "exception_review"
    );
    assert_eq!(
        audit_types(app, &id_of(&no_ref)).await,
        ["REQUEST_SUBMITTED", "STEP_OPENED"],
        "never AUTO_APPROVED"
    );

    // A rule failing at run time (no customer in the action) does not match and is recorded.
    let no_customer = submit_full(app, order("e-2", "20", json!({ "order_ref": "o-2" }))).await;
    let r = &no_customer["request"];
    assert_eq!(no_customer["route"], "HUMAN");
    assert_eq!(r["exceptions"], json!(["rule_error:gold-customer"]));
    assert_eq!(
        r["matchedRule"], "small",
        "the erroring rule counts as not matching"
    );
    assert_eq!(r["status"], "PENDING");

    // Both at once, and a rule that would have matched AUTO on its own: still people.
    let both = submit_full(
        app,
        order("e-3", "300", json!({ "customer": { "tier": "gold" } })),
    )
    .await;
    assert_eq!(both["route"], "HUMAN");
    assert_eq!(both["request"]["matchedRule"], "gold-customer");
    assert_eq!(both["request"]["exceptions"], json!(["missing_order_ref"]));

    // A person may approve it through the step: a HUMAN approval, not an AUTO one.
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let decided = decide(
        app,
        &rita,
        json!({ "requestId": id_of(&no_ref), "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(decided["status"], "APPROVED");
    assert_eq!(
        audit_types(app, &id_of(&no_ref)).await,
        [
            "REQUEST_SUBMITTED",
            "STEP_OPENED",
            "STEP_APPROVED",
            "REQUEST_APPROVED"
        ]
    );

    // REJECT stays REJECT whatever the exceptions.
    let mut blocked = order("e-4", "20", json!({ "customer": { "tier": "silver" } }));
    blocked["context"] = json!({ "country": "XX" });
    let blocked = submit_full(app, blocked).await;
    assert_eq!(blocked["route"], "REJECT");
    assert_eq!(blocked["request"]["status"], "REJECTED");
    assert_eq!(blocked["request"]["reasonCode"], "sanctions");
    assert_eq!(
        blocked["request"]["exceptions"],
        json!(["missing_order_ref"])
    );
    assert_eq!(blocked["request"]["steps"], json!([]));

    let auto = events(app, &["AUTO_APPROVED"]).await;
    assert_eq!(auto.len(), 1, "only the clean action was auto-approved");
    assert_eq!(auto[0]["requestId"], id_of(&clean).as_str());
}

fn invoice(key: &str, vendor: &str, number: &str, amount: &str) -> Value {
    let mut input = refund("payables", key, amount);
    input["actionType"] = json!("invoice.pay");
    input["action"] = json!({ "vendor_id": vendor, "invoice_number": number, "amount": amount });
    input
}

async fn duplicate_goes_to_people_and_points_at_the_original(app: &TestApp) {
    create_workflow(app, "payables", payables_policy()).await;
    let first = submit_full(app, invoice("inv-1", "V1", "1001", "100")).await;
    assert_eq!(first["route"], "AUTO");
    assert_eq!(first["request"]["exceptions"], json!([]));
    assert_eq!(first["request"]["duplicateOf"], Value::Null);
    let first_id = id_of(&first);

    // Same vendor and invoice under a new idempotency key: a duplicate, sent to people.
    let dup = submit_full(app, invoice("inv-2", "V1", "1001", "100")).await;
    assert_eq!(dup["created"], true);
    assert_eq!(
        dup["route"], "HUMAN",
        "the AUTO rule matched, the duplicate overrides it"
    );
    assert_eq!(dup["request"]["matchedRule"], "small");
    assert_eq!(dup["request"]["exceptions"], json!(["duplicate"]));
    assert_eq!(dup["request"]["duplicateOf"], first_id.as_str());
    assert_eq!(dup["request"]["status"], "PENDING");
    let dup_id = id_of(&dup);
    let full = request(app, &admin(app), &dup_id).await;
    assert_eq!(full["history"][0]["data"]["duplicateOf"], first_id.as_str());

    // Idempotent resubmissions return the originals unchanged and store nothing.
    let requests = app.count("approval_requests").await;
    let again = submit_full(app, invoice("inv-1", "V1", "1001", "100")).await;
    assert_eq!(again["created"], false);
    assert_eq!(id_of(&again), first_id);
    assert_eq!(again["request"]["exceptions"], json!([]));
    assert_eq!(again["request"]["duplicateOf"], Value::Null);
    let again = submit_full(app, invoice("inv-2", "V1", "1001", "100")).await;
    assert_eq!(again["created"], false);
    assert_eq!(id_of(&again), dup_id);
    assert_eq!(app.count("approval_requests").await, requests);

    // Another invoice of the same vendor, or the same number of another vendor: no duplicate.
    for (key, vendor, number) in [("inv-3", "V1", "1002"), ("inv-4", "V9", "1001")] {
        let out = submit_full(app, invoice(key, vendor, number, "100")).await;
        assert_eq!(out["route"], "AUTO", "{key}");
        assert_eq!(out["request"]["duplicateOf"], Value::Null);
    }

    // Once the earlier one is REJECTED, the same key is free again.
    let big = submit_full(app, invoice("inv-5", "V2", "2001", "5000")).await;
    assert_eq!(big["route"], "HUMAN");
    assert_eq!(big["request"]["exceptions"], json!([]));
    let clerk = app.token(TENANT, "carl", &["ap_clerk"]);
    let rejected = decide(
        app,
        &clerk,
        json!({ "requestId": id_of(&big), "decision": "REJECT", "reasonCode": "wrong_vendor" }),
    )
    .await;
    assert_eq!(rejected["status"], "REJECTED");
    let retry = submit_full(app, invoice("inv-6", "V2", "2001", "100")).await;
    assert_eq!(retry["route"], "AUTO");
    assert_eq!(retry["request"]["exceptions"], json!([]));
    assert_eq!(retry["request"]["duplicateOf"], Value::Null);
}

/// Exactly one GUARDRAIL_TRIPPED, by `system`, for this guardrail and workflow.
async fn assert_tripped_once(app: &TestApp, workflow: &str, guardrail: &str) -> Value {
    let (m, reason) = mode(app, workflow).await;
    assert_eq!(m, "MANUAL_ONLY");
    assert_eq!(reason, format!("guardrail:{guardrail}"));
    let trips = events(app, &["GUARDRAIL_TRIPPED"]).await;
    assert_eq!(trips.len(), 1, "{trips:?}");
    let trip = trips[0].clone();
    assert_eq!(trip["actor"], "system");
    assert_eq!(trip["workflowKey"], workflow);
    assert_eq!(trip["data"]["guardrail"], guardrail);
    assert_eq!(trip["data"]["from"], "ACTIVE");
    assert_eq!(trip["data"]["to"], "MANUAL_ONLY");
    assert_eq!(trip["data"]["reason"], format!("guardrail:{guardrail}"));
    trip
}

/// After a trip, a would-be AUTO action goes to the default steps.
async fn assert_next_auto_goes_to_people(app: &TestApp, input: Value) {
    let out = submit_full(app, input).await;
    assert_eq!(out["route"], "HUMAN");
    assert_eq!(out["request"]["status"], "PENDING");
    assert_eq!(out["request"]["qaSampled"], false);
    let full = request(app, &admin(app), &id_of(&out)).await;
    assert_eq!(full["history"][0]["data"]["overrideReason"], "manual_only");
    assert!(
        full["history"][0]["data"]["matchedRule"].is_string(),
        "an AUTO rule matched"
    );
}

async fn guardrail_rejection_rate_trips_workflow_to_manual_only(app: &TestApp) {
    let mut policy = refund_policy();
    policy["guardrails"] = json!({ "window": "PT1H", "minSamples": 10, "maxRejectionRate": 0.4 });
    create_workflow(app, "refunds", policy).await;
    let blocked = |key: &str| {
        let mut input = refund("refunds", key, "20");
        input["context"] = json!({ "country": "XX" });
        input
    };
    // Five rejections: a 100% rejection rate, but fewer than minSamples outcomes.
    for i in 0..5 {
        let out = submit_full(app, blocked(&format!("g-rej-{i}"))).await;
        assert_eq!(out["route"], "REJECT");
        assert_eq!(mode(app, "refunds").await.0, "ACTIVE", "below minSamples");
    }
    // Pending requests are no outcome.
    submit_full(app, refund("refunds", "g-pending", "200")).await;
    assert_eq!(mode(app, "refunds").await.0, "ACTIVE");
    for i in 0..4 {
        let out = submit_full(app, refund("refunds", &format!("g-auto-{i}"), "20")).await;
        assert_eq!(out["route"], "AUTO");
        assert_eq!(mode(app, "refunds").await.0, "ACTIVE", "9 outcomes");
    }
    assert!(events(app, &["GUARDRAIL_TRIPPED"]).await.is_empty());
    // The tenth outcome: 5 of 10 rejected = 50% > 40%.
    let tenth = submit_full(app, refund("refunds", "g-auto-4", "20")).await;
    assert_eq!(tenth["route"], "AUTO", "routed before the check it tipped");
    let trip = assert_tripped_once(app, "refunds", "rejection_rate").await;
    assert_eq!(trip["data"]["outcomes"], 10);
    assert_eq!(trip["data"]["rejected"], 5);
    assert_eq!(trip["data"]["value"], 0.5);
    assert_eq!(trip["data"]["bound"], 0.4);
    // The trip commits with the outcome that tipped it: it follows its AUTO_APPROVED.
    let tipped = events(app, &["AUTO_APPROVED", "GUARDRAIL_TRIPPED"]).await;
    let n = tipped.len();
    assert_eq!(tipped[n - 2]["requestId"], id_of(&tenth).as_str());
    assert_eq!(
        tipped[n - 1]["seq"],
        tipped[n - 2]["seq"].as_i64().unwrap() + 1
    );

    assert_next_auto_goes_to_people(app, refund("refunds", "g-after", "20")).await;
    // More rejections keep the workflow where it is: still one trip.
    submit_full(app, blocked("g-rej-late")).await;
    assert_tripped_once(app, "refunds", "rejection_rate").await;
    assert_chain_verifies(app).await;
}

async fn guardrail_error_rate_counts_incorrect_sample_verdicts(app: &TestApp) {
    let mut policy = sampled_policy(1.0);
    policy["guardrails"] = json!({ "window": "PT1H", "minSamples": 4, "maxErrorRate": 0.25 });
    create_workflow(app, "refunds", policy).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let out = submit_full(app, refund("refunds", &format!("err-{i}"), "20")).await;
        assert_eq!(out["request"]["qaSampled"], true);
        ids.push(id_of(&out));
    }
    let quinn = qa(app, "quinn");
    let ok = review(app, &quinn, &ids[0], "CORRECT", None, None).await;
    assert!(ok.get("errors").is_none(), "{ok}");
    assert_eq!(mode(app, "refunds").await.0, "ACTIVE");
    // 1 error of 4 approved = 25%: not above the bound.
    let ok = review(
        app,
        &quinn,
        &ids[1],
        "INCORRECT",
        Some("wrong_amount"),
        None,
    )
    .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    assert_eq!(
        mode(app, "refunds").await.0,
        "ACTIVE",
        "25% is not above 25%"
    );
    // 2 of 4 = 50%: trips, in the verdict's own transaction.
    let ok = review(
        app,
        &quinn,
        &ids[2],
        "INCORRECT",
        Some("wrong_customer"),
        None,
    )
    .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let trip = assert_tripped_once(app, "refunds", "error_rate").await;
    assert_eq!(trip["data"]["errors"], 2);
    assert_eq!(trip["data"]["approved"], 4);
    assert_eq!(trip["data"]["value"], 0.5);
    let last = events(app, &["SAMPLE_REVIEWED", "GUARDRAIL_TRIPPED"]).await;
    let n = last.len();
    assert_eq!(last[n - 2]["requestId"], ids[2].as_str());
    assert_eq!(last[n - 2]["data"]["verdict"], "INCORRECT");
    assert_eq!(last[n - 1]["type"], "GUARDRAIL_TRIPPED");
    assert_eq!(last[n - 1]["seq"], last[n - 2]["seq"].as_i64().unwrap() + 1);

    assert_next_auto_goes_to_people(app, refund("refunds", "err-after", "20")).await;
    // Verdicts still work on a MANUAL_ONLY workflow and do not trip it again.
    let ok = review(
        app,
        &quinn,
        &ids[3],
        "INCORRECT",
        Some("wrong_amount"),
        None,
    )
    .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    assert_tripped_once(app, "refunds", "error_rate").await;
}

async fn guardrail_ai_cost_per_hour_trips_and_an_admin_sets_it_back(app: &TestApp) {
    let mut policy = refund_policy();
    policy["guardrails"] =
        json!({ "window": "PT1H", "minSamples": 3, "maxAiCostUsdPerHour": "1.00" });
    create_workflow(app, "refunds", policy).await;
    let costly = |key: &str| {
        let mut input = refund("refunds", key, "20");
        input["costUsd"] = json!("0.60");
        input
    };
    // 1.20 USD in the window is above the bound, but there are only two outcomes.
    for i in 0..2 {
        assert_eq!(
            submit_full(app, costly(&format!("c-{i}"))).await["route"],
            "AUTO"
        );
        assert_eq!(mode(app, "refunds").await.0, "ACTIVE");
    }
    assert_eq!(submit_full(app, costly("c-2")).await["route"], "AUTO");
    let trip = assert_tripped_once(app, "refunds", "ai_cost_per_hour").await;
    assert_eq!(trip["data"]["aiCostUsd"], "1.80");
    assert_eq!(trip["data"]["value"], 1.8);
    assert_eq!(trip["data"]["bound"], 1.0);
    assert_eq!(trip["data"]["window"], "PT1H");
    assert_next_auto_goes_to_people(app, costly("c-after")).await;

    // A person sets it back: admin only, with a reason, audited.
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let vars = json!({ "key": "refunds", "mode": "ACTIVE", "reason": "budget raised" });
    assert_eq!(
        app.error_code(&rita, SET_MODE, vars.clone()).await,
        "FORBIDDEN"
    );
    assert_eq!(mode(app, "refunds").await.0, "MANUAL_ONLY");
    let w = app.data(&admin(app), SET_MODE, vars).await;
    assert_eq!(w["setWorkflowMode"]["mode"], "ACTIVE");
    assert_eq!(w["setWorkflowMode"]["modeReason"], "budget raised");
    let (m, reason) = mode(app, "refunds").await;
    assert_eq!((m.as_str(), reason), ("ACTIVE", json!("budget raised")));
    let changes = events(app, &["WORKFLOW_MODE_CHANGED"]).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["actor"], "alice-admin");
    assert_eq!(changes[0]["workflowKey"], "refunds");
    assert_eq!(
        changes[0]["data"],
        json!({ "from": "MANUAL_ONLY", "to": "ACTIVE", "reason": "budget raised" })
    );
    // Routing follows the policy again, and the outcomes that tripped it before the reset do not
    // trip it again at the next request: only what happens after the reset counts.
    let out = submit_full(app, refund("refunds", "c-reset", "20")).await;
    assert_eq!(out["route"], "AUTO");
    let out = submit_full(app, refund("refunds", "c-reset-2", "20")).await;
    assert_eq!(out["route"], "AUTO");
    assert_eq!(mode(app, "refunds").await.0, "ACTIVE");
    assert_eq!(events(app, &["GUARDRAIL_TRIPPED"]).await.len(), 1);
    assert_chain_verifies(app).await;
}
