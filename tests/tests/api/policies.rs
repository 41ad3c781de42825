//! Policy lifecycle with four eyes, dry runs (simulate, backtest), batch decisions, cancellation
//! and the "waiting too long" filter.

use countersign_tests::{TestApp, db_tests};
use serde_json::{Value, json};

use crate::common::*;

const PROPOSE: &str = "mutation($key: String!, $p: JSON!, $note: String) { proposePolicy(workflowKey: $key, policy: $p, note: $note) { version status proposedBy activatedBy note } }";
const ACTIVATE: &str = "mutation($key: String!, $v: Int!) { activatePolicy(workflowKey: $key, version: $v) { version status activatedBy } }";
const DECLINE: &str = "mutation($key: String!, $v: Int!, $r: String!) { declinePolicy(workflowKey: $key, version: $v, reason: $r) { version status } }";
const ROLLBACK: &str = "mutation($key: String!, $v: Int!, $r: String!) { rollbackPolicy(workflowKey: $key, toVersion: $v, reason: $r) { version status activatedBy } }";
const POLICIES: &str =
    "{ workflow(key: \"refunds\") { activePolicy { version } policies { version status } } }";
const SIMULATE: &str = "query($key: String!, $p: JSON, $actions: [SubmitActionInput!]!) { simulatePolicy(workflowKey: $key, policy: $p, actions: $actions) { route matchedRule steps exceptions riskFlags reasonCode } }";
const BACKTEST: &str = "query($key: String!, $p: JSON!, $from: DateTime, $to: DateTime) { backtestPolicy(workflowKey: $key, policy: $p, from: $from, to: $to) { total wouldAuto wouldHuman wouldReject changed changesTruncated changes { requestId was wouldBe matchedRule } } }";
const DECIDE_MANY: &str = "mutation($inputs: [DecideInput!]!) { decideMany(inputs: $inputs) { requestId request { id status } error { code message path } } }";
const CANCEL: &str = "mutation($id: ID!, $r: String!) { cancelRequest(id: $id, reason: $r) { id status version steps { status } } }";

db_tests!(
    four_eyes_policy_activation,
    declined_and_rolled_back_versions,
    invalid_proposal_is_refused_whole,
    simulate_routes_without_storing,
    backtest_reports_route_changes_without_storing,
    decide_many_decides_each_item_on_its_own,
    cancel_request_by_submitter_or_admin,
    requests_waiting_longer_than_a_duration,
    readme_pattern_policies_are_accepted,
    an_absent_fact_fails_closed_to_people,
    a_when_that_is_not_a_condition_is_refused_when_stored,
    expensive_rules_are_refused_when_stored,
);

fn no_time_for_policies(settings: &mut countersign::config::Settings) {
    settings.policy_eval_timeout_ms = 0;
}

db_tests!(no_time_for_policies; an_evaluation_over_budget_is_a_rule_error_and_goes_to_people);

fn short_policy_deadline(settings: &mut countersign::config::Settings) {
    settings.policy_eval_timeout_ms = 200;
}

db_tests!(short_policy_deadline; a_rule_running_past_the_deadline_is_stopped_and_goes_to_people);

fn second_admin(app: &TestApp) -> String {
    app.token(TENANT, "bob-admin", &["admin"])
}

/// Version 2 of the refund policy: auto-approves up to 500.
fn generous_policy() -> Value {
    let mut p = refund_policy();
    p["rules"][2]["when"] = json!("amount < 500.0 && confidence >= 0.9 && size(risk_flags) == 0");
    p
}

async fn event_types(app: &TestApp, types: &[&str]) -> Vec<Value> {
    let data = app
        .data(
            &admin(app),
            "query($t: [String!]) { auditLog(filter: { types: $t }) { edges { node { type actor data workflowKey } } } }",
            json!({ "t": types }),
        )
        .await;
    data["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn four_eyes_policy_activation(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let proposed = app
        .data(
            &admin(app),
            PROPOSE,
            json!({ "key": "refunds", "p": generous_policy(), "note": "raise auto limit" }),
        )
        .await;
    assert_eq!(
        proposed["proposePolicy"],
        json!({ "version": 2, "status": "PROPOSED", "proposedBy": "alice-admin", "activatedBy": null, "note": "raise auto limit" })
    );
    // A proposal routes nothing.
    assert_eq!(
        submit(app, refund("refunds", "before", "200")).await["route"],
        "HUMAN"
    );

    let code = app
        .error_code(&admin(app), ACTIVATE, json!({ "key": "refunds", "v": 2 }))
        .await;
    assert_eq!(code, "FORBIDDEN", "the proposer cannot activate");
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    assert_eq!(
        app.error_code(&reviewer, ACTIVATE, json!({ "key": "refunds", "v": 2 }))
            .await,
        "FORBIDDEN"
    );

    let active = app
        .data(
            &second_admin(app),
            ACTIVATE,
            json!({ "key": "refunds", "v": 2 }),
        )
        .await;
    assert_eq!(
        active["activatePolicy"],
        json!({ "version": 2, "status": "ACTIVE", "activatedBy": "bob-admin" })
    );
    let w = app.data(&admin(app), POLICIES, json!({})).await;
    assert_eq!(w["workflow"]["activePolicy"]["version"], 2);
    assert_eq!(
        w["workflow"]["policies"],
        json!([{ "version": 1, "status": "SUPERSEDED" }, { "version": 2, "status": "ACTIVE" }])
    );

    let after = submit(app, refund("refunds", "after", "200")).await;
    assert_eq!(after["route"], "AUTO");
    assert_eq!(
        after["request"]["policyVersion"], 2,
        "every request records the version that routed it"
    );
    assert_eq!(
        app.error_code(
            &second_admin(app),
            ACTIVATE,
            json!({ "key": "refunds", "v": 2 })
        )
        .await,
        "CONFLICT"
    );

    let events = event_types(app, &["POLICY_PROPOSED", "POLICY_ACTIVATED"]).await;
    assert_eq!(events[0]["actor"], "alice-admin");
    assert_eq!(events[0]["data"]["version"], 2);
    assert_eq!(events[0]["data"]["note"], "raise auto limit");
    assert_eq!(events[1]["actor"], "bob-admin");
    assert_eq!(
        events[1]["data"],
        json!({ "version": 2, "previousVersion": 1, "proposedBy": "alice-admin" })
    );
}

async fn declined_and_rolled_back_versions(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    app.data(
        &admin(app),
        PROPOSE,
        json!({ "key": "refunds", "p": generous_policy() }),
    )
    .await;
    app.data(
        &second_admin(app),
        ACTIVATE,
        json!({ "key": "refunds", "v": 2 }),
    )
    .await;
    app.data(
        &admin(app),
        PROPOSE,
        json!({ "key": "refunds", "p": refund_policy(), "note": "v3" }),
    )
    .await;
    let declined = app
        .data(
            &admin(app),
            DECLINE,
            json!({ "key": "refunds", "v": 3, "r": "needs finance sign-off" }),
        )
        .await;
    assert_eq!(
        declined["declinePolicy"],
        json!({ "version": 3, "status": "DECLINED" })
    );
    assert_eq!(
        app.error_code(
            &second_admin(app),
            ACTIVATE,
            json!({ "key": "refunds", "v": 3 })
        )
        .await,
        "CONFLICT"
    );
    assert_eq!(
        app.error_code(
            &admin(app),
            DECLINE,
            json!({ "key": "refunds", "v": 2, "r": "x" })
        )
        .await,
        "CONFLICT"
    );

    // Emergency rollback: one admin, reason required, only to a version that was active before.
    assert_eq!(
        app.error_code(
            &admin(app),
            ROLLBACK,
            json!({ "key": "refunds", "v": 1, "r": " " })
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code(
            &admin(app),
            ROLLBACK,
            json!({ "key": "refunds", "v": 3, "r": "x" })
        )
        .await,
        "CONFLICT"
    );
    assert_eq!(
        app.error_code(
            &admin(app),
            ROLLBACK,
            json!({ "key": "refunds", "v": 2, "r": "x" })
        )
        .await,
        "CONFLICT"
    );
    assert_eq!(
        app.error_code(
            &admin(app),
            ROLLBACK,
            json!({ "key": "refunds", "v": 9, "r": "x" })
        )
        .await,
        "NOT_FOUND"
    );
    let rolled = app
        .data(
            &admin(app),
            ROLLBACK,
            json!({ "key": "refunds", "v": 1, "r": "refund abuse spike" }),
        )
        .await;
    assert_eq!(
        rolled["rollbackPolicy"],
        json!({ "version": 1, "status": "ACTIVE", "activatedBy": "alice-admin" })
    );
    let w = app.data(&admin(app), POLICIES, json!({})).await;
    assert_eq!(
        w["workflow"]["policies"],
        json!([{ "version": 1, "status": "ACTIVE" }, { "version": 2, "status": "SUPERSEDED" }, { "version": 3, "status": "DECLINED" }])
    );
    let out = submit(app, refund("refunds", "after-rollback", "200")).await;
    assert_eq!(
        (
            out["route"].clone(),
            out["request"]["policyVersion"].clone()
        ),
        (json!("HUMAN"), json!(1))
    );
    let events = event_types(app, &["POLICY_DECLINED", "POLICY_ROLLED_BACK"]).await;
    assert_eq!(
        events[0]["data"],
        json!({ "version": 3, "reason": "needs finance sign-off" })
    );
    assert_eq!(
        events[1]["data"],
        json!({ "fromVersion": 2, "toVersion": 1, "reason": "refund abuse spike" })
    );
    assert_eq!(events[1]["actor"], "alice-admin");
}

async fn invalid_proposal_is_refused_whole(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let before = (
        app.count("policy_versions").await,
        app.count("audit_events").await,
    );
    let mut bad = refund_policy();
    bad["rules"][1]["when"] = json!("amout > 3.0");
    let body = app
        .gql(&admin(app), PROPOSE, json!({ "key": "refunds", "p": bad }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!(["policy", "rules", "1", "when"])
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("amout")
    );
    assert_eq!(
        app.error_code(
            &admin(app),
            PROPOSE,
            json!({ "key": "nope", "p": refund_policy() })
        )
        .await,
        "NOT_FOUND"
    );
    assert_eq!(
        (
            app.count("policy_versions").await,
            app.count("audit_events").await
        ),
        before
    );
}

async fn simulate_routes_without_storing(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let before = (
        app.count("approval_requests").await,
        app.count("audit_events").await,
    );
    let mut sanctioned = refund("refunds", "s-3", "20");
    sanctioned["context"] = json!({ "country": "XX" });
    let actions = json!([
        refund("refunds", "s-1", "20"),
        refund("refunds", "s-2", "2000"),
        sanctioned
    ]);
    let active = app
        .data(
            &admin(app),
            SIMULATE,
            json!({ "key": "refunds", "actions": actions }),
        )
        .await;
    let routes: Vec<&str> = active["simulatePolicy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["route"].as_str().unwrap())
        .collect();
    assert_eq!(routes, ["AUTO", "HUMAN", "REJECT"]);
    assert_eq!(
        active["simulatePolicy"][1]["steps"],
        json!(["support_manager", "finance"])
    );
    assert_eq!(active["simulatePolicy"][2]["reasonCode"], "sanctions");

    let mut candidate = refund_policy();
    candidate["validations"] =
        json!([{ "name": "has_note", "check": "has(action.note) && action.note != ''" }]);
    candidate["rules"][2]["when"] = json!("amount < 5000.0");
    let mut no_note = refund("refunds", "s-4", "20");
    no_note["action"] = json!({ "order": "s-4" });
    let cand = app
        .data(&admin(app), SIMULATE, json!({ "key": "refunds", "p": candidate, "actions": [refund("refunds", "s-2", "2000"), no_note] }))
        .await;
    assert_eq!(
        cand["simulatePolicy"][0]["route"], "HUMAN",
        "the large rule comes first"
    );
    assert_eq!(
        cand["simulatePolicy"][1]["route"], "HUMAN",
        "a failed validation never auto-approves"
    );
    assert_eq!(cand["simulatePolicy"][1]["exceptions"], json!(["has_note"]));
    assert_eq!(
        (
            app.count("approval_requests").await,
            app.count("audit_events").await
        ),
        before,
        "a dry run stores nothing"
    );

    let mut bad = refund("refunds", "s-5", "20");
    bad["confidence"] = json!(2.0);
    let body = app
        .gql(
            &admin(app),
            SIMULATE,
            json!({ "key": "refunds", "actions": [refund("refunds", "s-1", "20"), bad] }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!(["actions", "1", "confidence"])
    );
    assert_eq!(
        app.error_code(
            &agent(app),
            SIMULATE,
            json!({ "key": "refunds", "actions": [] })
        )
        .await,
        "FORBIDDEN"
    );
}

async fn backtest_reports_route_changes_without_storing(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let mut ids = Vec::new();
    for (i, amount) in ["20", "200", "300", "2000", "40"].iter().enumerate() {
        ids.push(
            submit(app, refund("refunds", &format!("b-{i}"), amount)).await["request"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let before = (
        app.count("approval_requests").await,
        app.count("audit_events").await,
    );
    let r = app
        .data(
            &admin(app),
            BACKTEST,
            json!({ "key": "refunds", "p": generous_policy() }),
        )
        .await["backtestPolicy"]
        .clone();
    assert_eq!(
        (
            r["total"].clone(),
            r["wouldAuto"].clone(),
            r["wouldHuman"].clone(),
            r["wouldReject"].clone()
        ),
        (json!(5), json!(4), json!(1), json!(0))
    );
    assert_eq!(r["changed"], 2);
    assert_eq!(r["changesTruncated"], false);
    let changed: Vec<&str> = r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["requestId"].as_str().unwrap())
        .collect();
    assert_eq!(changed, [ids[1].as_str(), ids[2].as_str()]);
    assert_eq!(r["changes"][0]["was"], "HUMAN");
    assert_eq!(r["changes"][0]["wouldBe"], "AUTO");
    assert_eq!(r["changes"][0]["matchedRule"], "small-clean");
    assert_eq!(
        (
            app.count("approval_requests").await,
            app.count("audit_events").await
        ),
        before
    );

    // A time range that ends before everything was submitted replays nothing.
    let empty = app
        .data(
            &admin(app),
            BACKTEST,
            json!({ "key": "refunds", "p": generous_policy(), "to": "2000-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(empty["backtestPolicy"]["total"], 0);
    let body = app
        .gql(&admin(app), BACKTEST, json!({ "key": "refunds", "p": generous_policy(), "from": "2030-01-01T00:00:00Z", "to": "2020-01-01T00:00:00Z" }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn decide_many_decides_each_item_on_its_own(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            submit(app, refund("refunds", &format!("m-{i}"), "100")).await["request"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    let inputs = json!([
        { "requestId": ids[0], "decision": "APPROVE" },
        { "requestId": ids[1], "decision": "REJECT" },
        { "requestId": ids[2], "decision": "REJECT", "reasonCode": "not_eligible" },
        { "requestId": "not-a-uuid", "decision": "APPROVE" },
        { "requestId": ids[0], "decision": "APPROVE" },
        { "requestId": ids[3], "decision": "APPROVE", "expectedVersion": 5 },
    ]);
    let r = app
        .data(&reviewer, DECIDE_MANY, json!({ "inputs": inputs }))
        .await["decideMany"]
        .clone();
    let r = r.as_array().unwrap();
    assert_eq!(r.len(), 6);
    assert_eq!(r[0]["request"]["status"], "APPROVED");
    assert_eq!(r[1]["error"]["code"], "BAD_USER_INPUT");
    assert_eq!(r[1]["error"]["path"], json!(["inputs", "1", "reasonCode"]));
    assert_eq!(r[2]["request"]["status"], "REJECTED");
    assert_eq!(r[3]["error"]["code"], "BAD_USER_INPUT");
    assert_eq!(r[4]["error"]["code"], "CONFLICT");
    assert_eq!(r[5]["error"]["code"], "CONFLICT");
    assert_eq!(r[5]["requestId"], ids[3]);
    assert_eq!(
        request(app, &admin(app), &ids[1]).await["status"],
        "PENDING",
        "a failed item changes nothing"
    );
    assert_eq!(
        request(app, &admin(app), &ids[3]).await["status"],
        "PENDING"
    );
    let too_many: Vec<Value> = (0..1001)
        .map(|_| json!({ "requestId": ids[3], "decision": "APPROVE" }))
        .collect();
    assert_eq!(
        app.error_code(&reviewer, DECIDE_MANY, json!({ "inputs": too_many }))
            .await,
        "BAD_USER_INPUT"
    );
}

async fn cancel_request_by_submitter_or_admin(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let a = submit(app, refund("refunds", "c-1", "2000")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = submit(app, refund("refunds", "c-2", "200")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let auto = submit(app, refund("refunds", "c-3", "20")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_agent = app.token(TENANT, "other-bot", &["agent"]);
    assert_eq!(
        app.error_code(&other_agent, CANCEL, json!({ "id": a, "r": "mine now" }))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(&agent(app), CANCEL, json!({ "id": a, "r": "" }))
            .await,
        "BAD_USER_INPUT"
    );
    let c = app
        .data(
            &agent(app),
            CANCEL,
            json!({ "id": a, "r": "customer withdrew" }),
        )
        .await["cancelRequest"]
        .clone();
    assert_eq!(c["status"], "CANCELLED");
    assert_eq!(c["version"], 2);
    assert_eq!(
        c["steps"],
        json!([{ "status": "SKIPPED" }, { "status": "SKIPPED" }])
    );
    let c = app
        .data(
            &admin(app),
            CANCEL,
            json!({ "id": b, "r": "duplicate ticket" }),
        )
        .await;
    assert_eq!(c["cancelRequest"]["status"], "CANCELLED");
    assert_eq!(
        app.error_code(&agent(app), CANCEL, json!({ "id": auto, "r": "too late" }))
            .await,
        "CONFLICT"
    );
    assert_eq!(
        app.error_code(&agent(app), CANCEL, json!({ "id": a, "r": "again" }))
            .await,
        "CONFLICT"
    );
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    assert_eq!(
        app.error_code(
            &reviewer,
            DECIDE,
            json!({ "input": { "requestId": b, "decision": "APPROVE" } })
        )
        .await,
        "CONFLICT"
    );
    let events = event_types(app, &["REQUEST_CANCELLED"]).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["actor"], "refund-bot");
    assert_eq!(events[0]["data"]["reason"], "customer withdrew");
    assert_eq!(events[1]["actor"], "alice-admin");
}

async fn requests_waiting_longer_than_a_duration(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    submit(app, refund("refunds", "w-1", "200")).await;
    submit(app, refund("refunds", "w-2", "300")).await;
    submit(app, refund("refunds", "w-3", "20")).await;
    let q = "query($d: Duration!) { approvalRequests(filter: { waitingLongerThan: $d }) { totalCount edges { node { status } } } }";
    let all = app.data(&admin(app), q, json!({ "d": "PT0S" })).await;
    assert_eq!(
        all["approvalRequests"]["totalCount"], 2,
        "only PENDING requests wait"
    );
    let none = app.data(&admin(app), q, json!({ "d": "PT1H" })).await;
    assert_eq!(none["approvalRequests"]["totalCount"], 0);
    assert_eq!(
        app.error_code(&admin(app), q, json!({ "d": "an hour" }))
            .await,
        "BAD_USER_INPUT"
    );
}

/// The README's four pattern policies are real: each one is accepted by createWorkflow.
async fn readme_pattern_policies_are_accepted(app: &TestApp) {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme
        .split("## The four approval patterns")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    let policies: Vec<Value> = section
        .split("```json")
        .skip(1)
        .map(|block| serde_json::from_str(block.split("```").next().unwrap()).unwrap())
        .collect();
    assert_eq!(policies.len(), 4);
    for (i, policy) in policies.into_iter().enumerate() {
        let body = app
            .gql(&admin(app), CREATE_WORKFLOW, json!({ "input": { "key": format!("pattern-{i}"), "name": "Pattern", "policy": policy } }))
            .await;
        assert!(
            body.get("errors").is_none(),
            "README pattern {} is refused: {body}",
            i + 1
        );
    }
}

/// A refund without an amount, for workflow `wf`.
fn refund_without_amount(wf: &str, key: &str) -> Value {
    let mut input = refund(wf, key, "1");
    input.as_object_mut().map(|o| o.remove("amount"));
    input
}

fn one_rule(name: &str, when: &str, route: &str) -> Value {
    json!({
        "rules": [ { "name": name, "when": when, "route": route } ],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] }
    })
}

async fn an_absent_fact_fails_closed_to_people(app: &TestApp) {
    create_workflow(app, "bare", one_rule("small", "amount < 50.0", "AUTO")).await;
    create_workflow(
        app,
        "guarded",
        one_rule("small", "has_amount && amount < 50.0", "AUTO"),
    )
    .await;

    // Before: no amount read as 0.0, so `amount < 50.0` auto-approved it.
    let out = submit(app, refund_without_amount("bare", "no-amount-1")).await;
    assert_eq!(out["route"], "HUMAN", "{out}");
    assert_eq!(out["request"]["status"], "PENDING");
    assert_eq!(out["request"]["matchedRule"], Value::Null);
    assert_eq!(out["request"]["exceptions"], json!(["rule_error:small"]));
    assert_eq!(out["request"]["steps"][0]["role"], "support_agent");
    // With the amount given, the same rule matches as before.
    let out = submit(app, refund("bare", "with-amount-1", "20")).await;
    assert_eq!(out["route"], "AUTO");
    assert_eq!(out["request"]["exceptions"], json!([]));

    // The guard evaluates cleanly: no amount → the rule does not match, no error.
    let out = submit(app, refund_without_amount("guarded", "no-amount-2")).await;
    assert_eq!(out["route"], "HUMAN");
    assert_eq!(out["request"]["exceptions"], json!([]));
    let out = submit(app, refund("guarded", "with-amount-2", "20")).await;
    assert_eq!(out["route"], "AUTO");
    assert_eq!(out["request"]["matchedRule"], "small");

    // simulatePolicy says the same, for the active policy and for a candidate.
    let actions = json!([
        refund_without_amount("bare", "sim-1"),
        refund("bare", "sim-2", "20")
    ]);
    let sim = app
        .data(
            &admin(app),
            SIMULATE,
            json!({ "key": "bare", "actions": actions }),
        )
        .await;
    let decisions = &sim["simulatePolicy"];
    assert_eq!(decisions[0]["route"], "HUMAN");
    assert_eq!(decisions[0]["exceptions"], json!(["rule_error:small"]));
    assert_eq!(decisions[1]["route"], "AUTO");
    let sim = app
        .data(
            &admin(app),
            SIMULATE,
            json!({ "key": "bare", "p": one_rule("small", "has_amount && amount < 50.0", "AUTO"), "actions": actions }),
        )
        .await;
    let decisions = &sim["simulatePolicy"];
    assert_eq!(decisions[0]["route"], "HUMAN");
    assert_eq!(decisions[0]["exceptions"], json!([]));
    assert_eq!(decisions[1]["route"], "AUTO");
}

/// Asserts a BAD_USER_INPUT whose message contains each of `mentions`.
fn assert_refused(what: &str, body: &Value, mentions: &[&str]) {
    let err = &body["errors"][0];
    assert_eq!(
        err["extensions"]["code"], "BAD_USER_INPUT",
        "{what}: {body}"
    );
    let message = err["message"].as_str().unwrap_or_default();
    for m in mentions {
        assert!(message.contains(m), "{what}: {m:?} not in {message:?}");
    }
}

async fn a_when_that_is_not_a_condition_is_refused_when_stored(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let stored = || async {
        (
            app.count("workflows").await,
            app.count("policy_versions").await,
            app.count("audit_events").await,
        )
    };
    let before = stored().await;
    for when in [
        "amount + 1.0",
        "'yes'",
        "action.urgent",
        "risk_flags.map(f, f == 'x')",
    ] {
        let policy = one_rule("odd-rule", when, "AUTO");
        let body = app
            .gql(
                &admin(app),
                CREATE_WORKFLOW,
                json!({ "input": { "key": "odd", "name": "Odd", "policy": policy } }),
            )
            .await;
        assert_refused(
            &format!("createWorkflow {when}"),
            &body,
            &["\"odd-rule\"", "must be a condition"],
        );
        let body = app
            .gql(
                &admin(app),
                PROPOSE,
                json!({ "key": "refunds", "p": policy }),
            )
            .await;
        assert_refused(
            &format!("proposePolicy {when}"),
            &body,
            &["\"odd-rule\"", "must be a condition"],
        );
        let body = app
            .gql(
                &admin(app),
                SIMULATE,
                json!({ "key": "refunds", "p": policy, "actions": [refund("refunds", "s-1", "20")] }),
            )
            .await;
        assert_refused(
            &format!("simulatePolicy {when}"),
            &body,
            &["\"odd-rule\"", "must be a condition"],
        );
    }
    assert_eq!(stored().await, before, "nothing was stored");
}

/// Ten digits nested seven deep: 10^7 iterations from a 298-byte rule, accepted before the
/// limits (about 30 CPU-seconds per action in a debug build).
fn nested_digits(levels: usize) -> String {
    let mut expr = String::from("true");
    for i in (0..levels).rev() {
        expr = format!("[0,1,2,3,4,5,6,7,8,9].all(x{i}, x{i} >= 0 && {expr})");
    }
    expr
}

async fn expensive_rules_are_refused_when_stored(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let before = (
        app.count("workflows").await,
        app.count("policy_versions").await,
    );
    let bomb = nested_digits(7);
    assert!(bomb.len() < 300);
    let brackets = format!("{}true{}", "(".repeat(40), ")".repeat(40));
    let cases = [
        (bomb.as_str(), "MAX_COMPREHENSION_NESTING"),
        (brackets.as_str(), "MAX_BRACKET_NESTING"),
    ];
    for (when, limit) in cases {
        let policy = one_rule("costly", when, "AUTO");
        let body = app
            .gql(
                &admin(app),
                CREATE_WORKFLOW,
                json!({ "input": { "key": "costly", "name": "Costly", "policy": policy } }),
            )
            .await;
        assert_refused(
            &format!("createWorkflow {limit}"),
            &body,
            &["\"costly\"", limit],
        );
        let body = app
            .gql(
                &admin(app),
                PROPOSE,
                json!({ "key": "refunds", "p": policy }),
            )
            .await;
        assert_refused(
            &format!("proposePolicy {limit}"),
            &body,
            &["\"costly\"", limit],
        );
        let body = app
            .gql(
                &admin(app),
                SIMULATE,
                json!({ "key": "refunds", "p": policy, "actions": [refund("refunds", "s-1", "20")] }),
            )
            .await;
        assert_refused(
            &format!("simulatePolicy {limit}"),
            &body,
            &["\"costly\"", limit],
        );
    }
    assert_eq!(
        (
            app.count("workflows").await,
            app.count("policy_versions").await
        ),
        before
    );
    // The server is still there and still routes.
    assert_eq!(
        submit(app, refund("refunds", "after", "20")).await["route"],
        "AUTO"
    );
}

async fn an_evaluation_over_budget_is_a_rule_error_and_goes_to_people(app: &TestApp) {
    // With no time at all, the first rule is over budget: nothing can be auto-approved.
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "no-time-1", "20")).await;
    assert_eq!(out["route"], "HUMAN", "{out}");
    assert_eq!(
        out["request"]["exceptions"],
        json!(["rule_error:blocked-country"])
    );
    assert_eq!(out["request"]["status"], "PENDING");
    let sim = app
        .data(
            &admin(app),
            SIMULATE,
            json!({ "key": "refunds", "actions": [refund("refunds", "no-time-2", "20")] }),
        )
        .await;
    assert_eq!(sim["simulatePolicy"][0]["route"], "HUMAN");
    assert_eq!(
        sim["simulatePolicy"][0]["exceptions"],
        json!(["rule_error:blocked-country"])
    );
}

async fn a_rule_running_past_the_deadline_is_stopped_and_goes_to_people(app: &TestApp) {
    // Quadratic in the action: 50,000 items make 2.5e9 iterations, hours of CPU without the
    // deadline, which stops it inside its loops.
    let policy = json!({
        "rules": [
            { "name": "pairs", "when": "has(action.items) && action.items.all(a, action.items.all(b, a == b || a != b))", "route": "AUTO" }
        ],
        "default": { "route": "AUTO", "steps": [ { "role": "support_agent" } ] }
    });
    create_workflow(app, "refunds", policy).await;
    let mut input = refund("refunds", "slow-1", "20");
    input["action"] = json!({ "items": vec![0; 50_000] });
    let started = std::time::Instant::now();
    let out = submit(app, input).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out["route"], "HUMAN", "{out}");
    assert_eq!(out["request"]["exceptions"], json!(["rule_error:pairs"]));
    // The same action with a small list routes AUTO as written.
    let mut input = refund("refunds", "fast-1", "20");
    input["action"] = json!({ "items": [1, 2, 3] });
    assert_eq!(submit(app, input).await["route"], "AUTO");
    // The server kept answering.
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(health.ok(), Some(200));
}
