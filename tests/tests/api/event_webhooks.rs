//! Event webhooks: admin-managed subscriptions receive every event type they name, signed per
//! the Standard Webhooks spec, with the request as the API shows it (correlation included), in
//! event order per request, retried under one webhook-id, with a delivery record per event; a
//! subscription that keeps failing is disabled and the audit log says so. A local receiver
//! records what arrives; timing is observed by polling, never by sleeping.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use chrono::Duration as ChronoDuration;
use countersign::config::Settings;
use countersign::domain::timeouts::{escalate_due, expire_due};
use countersign::store::now;
use countersign_tests::{TestApp, eventually};
use serde_json::{Value, json};

use crate::common::*;
use crate::receiver::{Delivery, Receiver, Redirector, verify};

countersign_tests::db_tests!(
    fast_events;
    every_event_type_is_delivered_signed_with_the_request_and_its_correlation,
    failed_attempts_are_retried_under_one_id_and_later_events_of_the_request_wait,
    subscriptions_are_admin_only_validated_audited_and_never_show_the_secret_again,
    a_subscription_receives_only_its_tenant_its_workflows_and_its_types,
    redirects_are_not_followed,
);

countersign_tests::db_tests!(
    disable_at_first_failure;
    a_failing_subscription_is_disabled_audited_and_resumes_when_enabled,
);

countersign_tests::db_tests!(
    two_attempts;
    a_delivery_that_runs_out_of_attempts_fails_and_the_next_one_goes,
);

countersign_tests::db_tests!(
    default_interval;
    a_rejection_reaches_its_subscriber_within_a_second,
);

/// Worker every 20 ms, retries after 10-20 ms, 20-40 ms, …; local receivers allowed; no
/// background scheduler (the test calls the timeouts itself).
fn fast_events(settings: &mut Settings) {
    settings.outbox_interval_ms = 20;
    settings.webhook_backoff_base_ms = 20;
    settings.webhook_backoff_max_ms = 200;
    settings.webhook_timeout_ms = 5_000;
    settings.webhook_allowed_hosts = Some("127.0.0.1, hooks.example.com".to_owned());
    settings.scheduler_enabled = false;
}

fn disable_at_first_failure(settings: &mut Settings) {
    fast_events(settings);
    settings.event_webhook_disable_after_secs = 0;
}

fn two_attempts(settings: &mut Settings) {
    fast_events(settings);
    settings.event_webhook_max_attempts = 2;
}

/// The server's default worker interval (500 ms) and backoff.
fn default_interval(settings: &mut Settings) {
    settings.webhook_allowed_hosts = Some("127.0.0.1".to_owned());
    assert_eq!(settings.outbox_interval_ms, 500, "the default interval");
}

const ALL_TYPES: [&str; 13] = [
    "request.submitted",
    "request.approved",
    "request.rejected",
    "request.expired",
    "request.cancelled",
    "request.escalated",
    "request.executed",
    "request.execution_failed",
    "request.rolled_back",
    "sample.reviewed",
    "workflow.mode_changed",
    "guardrail.tripped",
    "policy.activated",
];

const FIELDS: &str = "id url description eventTypes workflowKeys status disabledReason failingSince createdBy createdAt updatedAt";

const CREATE: &str = "mutation($input: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $input) { secret subscription { id url description eventTypes workflowKeys status disabledReason createdBy } } }";

const UPDATE: &str = "mutation($id: ID!, $input: UpdateWebhookSubscriptionInput!) { updateWebhookSubscription(id: $id, input: $input) { id url description eventTypes workflowKeys status disabledReason failingSince } }";

const ROTATE: &str =
    "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret subscription { id } } }";

const DELETE: &str = "mutation($id: ID!) { deleteWebhookSubscription(id: $id) }";

const TEST: &str = "mutation($id: ID!) { testWebhookSubscription(id: $id) { webhookId eventType status attempts payload } }";

const REVIEW: &str = "mutation($id: ID!, $verdict: SampleVerdict!) { reviewSample(id: $id, verdict: $verdict) { id qaVerdict } }";

const REPORT: &str =
    "mutation($input: ReportExecutionInput!) { reportExecution(input: $input) { id status } }";

const ROLLBACK: &str = "mutation($id: ID!, $reason: String!) { rollbackAction(id: $id, reason: $reason) { id status } }";

const CANCEL: &str =
    "mutation($id: ID!, $r: String!) { cancelRequest(id: $id, reason: $r) { id status } }";

const SET_MODE: &str = "mutation($key: String!, $mode: WorkflowMode!, $reason: String!) { setWorkflowMode(workflowKey: $key, mode: $mode, reason: $reason) { key mode } }";

const PROPOSE: &str = "mutation($key: String!, $p: JSON!) { proposePolicy(workflowKey: $key, policy: $p) { version } }";

const ACTIVATE: &str = "mutation($key: String!, $v: Int!) { activatePolicy(workflowKey: $key, version: $v) { version status } }";

const SUBMIT_CORRELATED: &str = "mutation($input: SubmitActionInput!) { submitAction(input: $input) { route request { id status version } } }";

const API_REQUEST: &str = "query($id: ID!) { approvalRequest(id: $id) { id workflowKey status version route actionType title action finalAction finalActionHash editPatch amount currency riskFlags correlation reasonCode currentStep submittedBy decisions { actor decision reasonCode comment edited step } steps { index role quorum approvals status } } }";

const AUDIT: &str = "query($types: [String!]) { auditLog(filter: { types: $types }, first: 500) { edges { node { seq type actor data } } } }";

fn subscriptions_query() -> String {
    format!(
        "{{ webhookSubscriptions {{ {FIELDS} deliveries(first: 200) {{ webhookId eventType auditSeq requestId status attempts lastStatusCode lastError deliveredAt payload }} }} }}"
    )
}

/// Creates a subscription as the admin; gives its id and secret.
async fn subscribe(app: &TestApp, url: &str, types: &[&str], keys: Value) -> (String, String) {
    let out = app
        .data(
            &admin(app),
            CREATE,
            json!({ "input": { "url": url, "eventTypes": types, "workflowKeys": keys, "description": "agent runner" } }),
        )
        .await;
    let created = &out["createWebhookSubscription"];
    (
        created["subscription"]["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

async fn subscriptions(app: &TestApp) -> Vec<Value> {
    app.data(&admin(app), &subscriptions_query(), json!({}))
        .await["webhookSubscriptions"]
        .as_array()
        .unwrap()
        .clone()
}

/// The deliveries the server records for the subscription `id`.
async fn records(app: &TestApp, id: &str) -> Vec<Value> {
    subscriptions(app)
        .await
        .into_iter()
        .find(|s| s["id"] == id)
        .map(|s| s["deliveries"].as_array().unwrap().clone())
        .unwrap_or_default()
}

/// A refund policy with every path this module needs: small clean refunds AUTO and sampled for
/// QA; sanctioned countries REJECT; the rest to support agents with a 1 h SLA, escalated to
/// managers, expired after a day.
fn event_policy() -> Value {
    json!({
        "rules": [
            { "name": "blocked-country", "when": "has(context.country) && context.country in ['XX']", "route": "REJECT", "reasonCode": "sanctions" },
            { "name": "small-clean", "when": "amount < 50.0 && confidence >= 0.9 && size(risk_flags) == 0", "route": "AUTO",
              "sampleRate": 1.0, "sampleRole": "qa_reviewer" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_agent", "sla": "PT1H" } ] },
        "escalation": { "after": "PT1H", "toRole": "support_manager" },
        "expireAfter": "P1D"
    })
}

/// Submits with a correlation naming the key; gives the request id.
async fn submit_correlated(app: &TestApp, workflow: &str, key: &str, amount: &str) -> String {
    let mut input = refund(workflow, key, amount);
    input["correlation"] = json!({ "runId": format!("run-{key}"), "thread": 7 });
    let out = app
        .data(&agent(app), SUBMIT_CORRELATED, json!({ "input": input }))
        .await;
    out["submitAction"]["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn rita(app: &TestApp) -> String {
    app.token(TENANT, "rita", &["support_agent"])
}

/// Every field the API shows in `api` has the same value in `sent` (which may have more).
fn assert_shown_alike(api: &Value, sent: &Value, path: &str) {
    match (api, sent) {
        (Value::Object(a), Value::Object(_)) => {
            for (key, value) in a {
                assert_shown_alike(value, &sent[key], &format!("{path}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(s)) => {
            assert_eq!(a.len(), s.len(), "{path}");
            for (i, (x, y)) in a.iter().zip(s).enumerate() {
                assert_shown_alike(x, y, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(api, sent, "{path}"),
    }
}

/// Waits until the receiver holds deliveries of every type in `types`.
async fn until_types(receiver: &Receiver, types: &[&str]) -> Vec<Delivery> {
    let want: BTreeSet<&str> = types.iter().copied().collect();
    eventually(&format!("deliveries of {want:?}"), || async {
        let got = receiver.all();
        let have: BTreeSet<String> = got
            .iter()
            .filter_map(|d| d.json["type"].as_str().map(str::to_owned))
            .collect();
        want.iter().all(|t| have.contains(*t)).then_some(got)
    })
    .await
}

/// Deliveries about `request_id`, in arrival order, one per webhook-id (retries dropped).
fn about(got: &[Delivery], request_id: &str) -> Vec<Delivery> {
    let mut seen = BTreeSet::new();
    got.iter()
        .filter(|d| d.json["data"]["request"]["id"] == request_id)
        .filter(|d| seen.insert(d.id.clone()))
        .cloned()
        .collect()
}

fn types(ds: &[Delivery]) -> Vec<String> {
    ds.iter()
        .map(|d| d.json["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn every_event_type_is_delivered_signed_with_the_request_and_its_correlation(app: &TestApp) {
    let receiver = Receiver::start().await;
    let (sub_id, secret) = subscribe(app, &receiver.url(), &ALL_TYPES, json!([])).await;
    create_workflow(app, "refunds", event_policy()).await;
    let admin = admin(app);
    let agent = agent(app);

    // AUTO, sampled, reviewed, executed, rolled back.
    let auto = submit_correlated(app, "refunds", "a-1", "20.00").await;
    let qa = app.token(TENANT, "quinn", &["qa_reviewer"]);
    app.data(&qa, REVIEW, json!({ "id": auto, "verdict": "CORRECT" }))
        .await;
    app.data(
        &agent,
        REPORT,
        json!({ "input": { "requestId": auto, "success": true, "externalRef": "re_1" } }),
    )
    .await;
    app.data(
        &admin,
        ROLLBACK,
        json!({ "id": auto, "reason": "customer kept the goods" }),
    )
    .await;
    // AUTO whose execution fails.
    let failed = submit_correlated(app, "refunds", "a-2", "30.00").await;
    app.data(
        &agent,
        REPORT,
        json!({ "input": { "requestId": failed, "success": false, "error": "card expired" } }),
    )
    .await;
    // People reject, with a reason code and a comment.
    let rejected = submit_correlated(app, "refunds", "h-1", "200.00").await;
    decide(
        app,
        &rita(app),
        json!({ "requestId": rejected, "decision": "REJECT", "reasonCode": "not_eligible", "comment": "Outside the window" }),
    )
    .await;
    // People approve an edited action.
    let edited = submit_correlated(app, "refunds", "h-2", "200.00").await;
    let edited_action = json!({ "order": "h-2", "amount": "150.00", "note": "Partial refund" });
    decide(
        app,
        &rita(app),
        json!({ "requestId": edited, "decision": "APPROVE", "editedAction": edited_action }),
    )
    .await;
    // The agent cancels.
    let cancelled = submit_correlated(app, "refunds", "h-3", "200.00").await;
    app.data(
        &agent,
        CANCEL,
        json!({ "id": cancelled, "r": "customer withdrew" }),
    )
    .await;
    // Overdue, escalated, then expired.
    let late = submit_correlated(app, "refunds", "h-4", "200.00").await;
    let store = &app.state.store;
    let t0 = now();
    assert_eq!(
        escalate_due(store, t0 + ChronoDuration::hours(2), 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        expire_due(store, t0 + ChronoDuration::days(2), 100)
            .await
            .unwrap(),
        1
    );
    // The kill switch, a policy activation, and a tripped guardrail.
    app.data(
        &admin,
        SET_MODE,
        json!({ "key": "refunds", "mode": "MANUAL_ONLY", "reason": "audit week" }),
    )
    .await;
    app.data(
        &admin,
        SET_MODE,
        json!({ "key": "refunds", "mode": "ACTIVE", "reason": "audit done" }),
    )
    .await;
    let proposed = app
        .data(
            &admin,
            PROPOSE,
            json!({ "key": "refunds", "p": event_policy() }),
        )
        .await;
    let bob = app.token(TENANT, "bob-admin", &["admin"]);
    app.data(
        &bob,
        ACTIVATE,
        json!({ "key": "refunds", "v": proposed["proposePolicy"]["version"] }),
    )
    .await;
    let mut guarded = event_policy();
    guarded["guardrails"] = json!({ "window": "PT1H", "minSamples": 3, "maxRejectionRate": 0.5 });
    create_workflow(app, "guarded", guarded).await;
    for i in 0..3 {
        let mut blocked = refund("guarded", &format!("x-{i}"), "20.00");
        blocked["context"] = json!({ "country": "XX" });
        submit(app, blocked).await;
    }

    until_types(&receiver, &ALL_TYPES).await;
    // Deliveries leave one subscription in order but may be sent in parallel: once every type
    // arrived, wait for every recorded delivery to arrive and be marked DELIVERED.
    let recorded = eventually("every delivery recorded and received", || async {
        let rs = records(app, &sub_id).await;
        let received: BTreeSet<String> = receiver.all().into_iter().map(|d| d.id).collect();
        let ids: BTreeSet<String> = rs
            .iter()
            .map(|r| r["webhookId"].as_str().unwrap().to_owned())
            .collect();
        (ids == received && rs.iter().all(|r| r["status"] == "DELIVERED")).then_some(rs)
    })
    .await;
    let got = receiver.all();
    // Every delivery: JSON, signed with the subscription's secret, in the Standard Webhooks
    // payload shape.
    for d in &got {
        assert_eq!(d.content_type, "application/json");
        assert!(verify(&secret, d), "signature of {}", d.id);
        assert!(d.id.starts_with("msg_"));
        let body = d.json.as_object().unwrap();
        assert_eq!(
            body.keys().cloned().collect::<BTreeSet<_>>(),
            ["data", "timestamp", "type"]
                .map(str::to_owned)
                .into_iter()
                .collect()
        );
        chrono::DateTime::parse_from_rfc3339(d.json["timestamp"].as_str().unwrap()).unwrap();
        assert!(d.json["data"]["auditSeq"].as_i64().unwrap() > 0);
        // Request events carry the request with the agent's correlation handle.
        if let Some(request) = d.json["data"].get("request") {
            let key = request["action"]["order"].as_str().unwrap();
            if !key.starts_with("x-") {
                assert_eq!(
                    request["correlation"],
                    json!({ "runId": format!("run-{key}"), "thread": 7 }),
                    "{}",
                    d.json["type"]
                );
            }
        }
    }
    // Per request, the events in the order they happened.
    let expected: [(&str, &[&str]); 6] = [
        (
            &auto,
            &[
                "request.submitted",
                "request.approved",
                "sample.reviewed",
                "request.executed",
                "request.rolled_back",
            ],
        ),
        (
            &failed,
            &[
                "request.submitted",
                "request.approved",
                "request.execution_failed",
            ],
        ),
        (&rejected, &["request.submitted", "request.rejected"]),
        (&edited, &["request.submitted", "request.approved"]),
        (&cancelled, &["request.submitted", "request.cancelled"]),
        (
            &late,
            &["request.submitted", "request.escalated", "request.expired"],
        ),
    ];
    for (id, want) in expected {
        let mine = about(&got, id);
        assert_eq!(types(&mine), want, "events of {id}");
        let seqs: Vec<i64> = mine
            .iter()
            .map(|d| d.json["data"]["auditSeq"].as_i64().unwrap())
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    }

    // The rejection names its reviewer, reason code and comment.
    let rejection = &about(&got, &rejected)[1].json["data"];
    assert_eq!(rejection["actor"], "rita");
    assert_eq!(rejection["request"]["status"], "REJECTED");
    assert_eq!(rejection["request"]["reasonCode"], "not_eligible");
    let decision = &rejection["request"]["decisions"][0];
    assert_eq!(decision["actor"], "rita");
    assert_eq!(decision["decision"], "REJECT");
    assert_eq!(decision["reasonCode"], "not_eligible");
    assert_eq!(decision["comment"], "Outside the window");
    // The approval by people carries the edited final action and its hash, as the API shows.
    let approval = &about(&got, &edited)[1].json["data"]["request"];
    let shown = request(app, &admin, &edited).await;
    let api =
        app.data(&admin, API_REQUEST, json!({ "id": edited })).await["approvalRequest"].clone();
    assert_eq!(approval["finalAction"], edited_action);
    assert_eq!(approval["finalActionHash"], shown["finalActionHash"]);
    assert_shown_alike(&api, approval, "data.request");
    // The approval by policy says so.
    let by_policy = &about(&got, &auto)[1].json["data"];
    assert_eq!(by_policy["actor"], "system");
    assert_eq!(by_policy["request"]["route"], "AUTO");
    assert_eq!(
        about(&got, &failed)[2].json["data"]["request"]["executionError"],
        "card expired"
    );

    // Workflow events carry the audit event's details.
    let by_type: HashMap<String, Vec<&Delivery>> = got.iter().fold(HashMap::new(), |mut m, d| {
        m.entry(d.json["type"].as_str().unwrap().to_owned())
            .or_default()
            .push(d);
        m
    });
    let modes: Vec<&Value> = by_type["workflow.mode_changed"]
        .iter()
        .map(|d| &d.json["data"]["details"]["to"])
        .collect();
    assert!(modes.contains(&&json!("MANUAL_ONLY")), "{modes:?}");
    let activated = &by_type["policy.activated"][0].json["data"];
    assert_eq!(activated["actor"], "bob-admin");
    assert_eq!(activated["workflowKey"], "refunds");
    let tripped = &by_type["guardrail.tripped"][0].json["data"];
    assert_eq!(tripped["actor"], "system");
    assert_eq!(tripped["workflowKey"], "guarded");

    // One delivery record per event, DELIVERED on the first attempt, the same ids.
    assert_eq!(recorded.len(), got.len(), "each delivered once");
    let ids: BTreeSet<&str> = recorded
        .iter()
        .map(|r| r["webhookId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, got.iter().map(|d| d.id.as_str()).collect());
    for r in &recorded {
        assert_eq!(r["attempts"], 1);
        assert_eq!(r["lastStatusCode"], 204);
        assert_eq!(r["lastError"], Value::Null);
        let sent = got.iter().find(|d| d.id == r["webhookId"]).unwrap();
        assert_eq!(r["payload"], sent.json, "the record keeps the body as sent");
    }
    assert_eq!(
        app.data(&admin, "{ verifyAuditChain { ok } }", json!({}))
            .await["verifyAuditChain"]["ok"],
        true
    );
}

async fn failed_attempts_are_retried_under_one_id_and_later_events_of_the_request_wait(
    app: &TestApp,
) {
    let receiver = Receiver::start().await;
    let (sub_id, secret) = subscribe(
        app,
        &receiver.url(),
        &["request.submitted", "request.rejected"],
        json!([]),
    )
    .await;
    create_workflow(app, "refunds", event_policy()).await;
    receiver.fail_next(3);
    let id = submit_correlated(app, "refunds", "r-1", "200.00").await;
    decide(
        app,
        &rita(app),
        json!({ "requestId": id, "decision": "REJECT", "reasonCode": "not_eligible" }),
    )
    .await;
    let got = eventually("both events delivered", || async {
        let got = receiver.all();
        got.iter()
            .any(|d| d.json["type"] == "request.rejected")
            .then_some(got)
    })
    .await;
    // Three failed attempts and the success of request.submitted, all under one id, and only
    // then request.rejected.
    assert_eq!(
        types(&got),
        [
            "request.submitted",
            "request.submitted",
            "request.submitted",
            "request.submitted",
            "request.rejected"
        ]
    );
    assert!(got[..4].iter().all(|d| d.id == got[0].id));
    assert_ne!(got[4].id, got[0].id);
    assert!(got.iter().all(|d| verify(&secret, d)));
    let rs = eventually("records", || async {
        let rs = records(app, &sub_id).await;
        (rs.len() == 2 && rs.iter().all(|r| r["status"] == "DELIVERED")).then_some(rs)
    })
    .await;
    // Newest first.
    assert_eq!(rs[0]["eventType"], "request.rejected");
    assert_eq!(rs[0]["attempts"], 1);
    assert_eq!(rs[1]["eventType"], "request.submitted");
    assert_eq!(rs[1]["attempts"], 4);
    assert_eq!(rs[1]["lastStatusCode"], 204);
    assert_eq!(rs[1]["requestId"], id.as_str());
    // A success ends the failing period.
    let sub = subscriptions(app).await;
    assert_eq!(sub[0]["failingSince"], Value::Null);
    assert_eq!(sub[0]["status"], "ACTIVE");
}

async fn a_failing_subscription_is_disabled_audited_and_resumes_when_enabled(app: &TestApp) {
    let receiver = Receiver::start().await;
    let (sub_id, secret) = subscribe(app, &receiver.url(), &["request.submitted"], json!([])).await;
    create_workflow(app, "refunds", event_policy()).await;
    receiver.fail_next(1);
    let id = submit_correlated(app, "refunds", "d-1", "200.00").await;
    let sub = eventually("the subscription disabled", || async {
        subscriptions(app)
            .await
            .into_iter()
            .find(|s| s["status"] == "DISABLED")
    })
    .await;
    assert!(
        sub["disabledReason"].as_str().unwrap().contains("HTTP 500"),
        "{sub}"
    );
    let d = &sub["deliveries"][0];
    assert_eq!(d["status"], "PENDING", "it waits for the subscription");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["lastStatusCode"], 500);
    let audit = app
        .data(
            &admin(app),
            AUDIT,
            json!({ "types": ["WEBHOOK_SUBSCRIPTION_DISABLED"] }),
        )
        .await;
    let event = &audit["auditLog"]["edges"][0]["node"];
    assert_eq!(event["actor"], "system");
    assert_eq!(event["data"]["subscriptionId"], sub_id.as_str());
    assert_eq!(event["data"]["lastStatusCode"], 500);
    // Nothing more leaves while it is disabled; a ping is refused.
    let more = submit_correlated(app, "refunds", "d-2", "200.00").await;
    assert_eq!(
        app.error_code(&admin(app), TEST, json!({ "id": sub_id }))
            .await,
        "CONFLICT"
    );
    assert_eq!(receiver.all().len(), 1);
    // Enabled again, both leave, in order.
    let enabled = app
        .data(
            &admin(app),
            UPDATE,
            json!({ "id": sub_id, "input": { "enabled": true } }),
        )
        .await;
    assert_eq!(enabled["updateWebhookSubscription"]["status"], "ACTIVE");
    assert_eq!(
        enabled["updateWebhookSubscription"]["disabledReason"],
        Value::Null
    );
    let got = eventually("both delivered", || async {
        let got = receiver.all();
        (got.len() == 3).then_some(got)
    })
    .await;
    // The failed one again under its id, and the one that waited (no order between requests).
    let retried = got[1..].iter().find(|d| d.id == got[0].id).unwrap();
    assert_eq!(retried.json["data"]["request"]["id"], id.as_str());
    assert!(
        got[1..]
            .iter()
            .any(|d| d.json["data"]["request"]["id"] == more.as_str())
    );
    assert!(got.iter().all(|d| verify(&secret, d)));
}

async fn a_delivery_that_runs_out_of_attempts_fails_and_the_next_one_goes(app: &TestApp) {
    let receiver = Receiver::start().await;
    let (sub_id, _) = subscribe(
        app,
        &receiver.url(),
        &["request.submitted", "request.cancelled"],
        json!([]),
    )
    .await;
    create_workflow(app, "refunds", event_policy()).await;
    receiver.fail_next(2);
    let id = submit_correlated(app, "refunds", "f-1", "200.00").await;
    app.data(&agent(app), CANCEL, json!({ "id": id, "r": "withdrawn" }))
        .await;
    let rs = eventually("the first failed, the second delivered", || async {
        let rs = records(app, &sub_id).await;
        (rs.len() == 2 && rs[0]["status"] == "DELIVERED").then_some(rs)
    })
    .await;
    assert_eq!(rs[1]["eventType"], "request.submitted");
    assert_eq!(rs[1]["status"], "FAILED");
    assert_eq!(rs[1]["attempts"], 2);
    assert_eq!(rs[1]["lastStatusCode"], 500);
    assert_eq!(rs[0]["eventType"], "request.cancelled");
    assert_eq!(
        types(&receiver.all()),
        [
            "request.submitted",
            "request.submitted",
            "request.cancelled"
        ]
    );
}

async fn subscriptions_are_admin_only_validated_audited_and_never_show_the_secret_again(
    app: &TestApp,
) {
    let receiver = Receiver::start().await;
    create_workflow(app, "refunds", event_policy()).await;
    let admin = admin(app);
    let create = |input: Value| {
        let admin = admin.clone();
        async move { app.gql(&admin, CREATE, json!({ "input": input })).await }
    };
    // Bad input is refused with a code and a path, and nothing is written.
    let cases = [
        (
            json!({ "url": receiver.url(), "eventTypes": ["request.decided"] }),
            "eventTypes",
        ),
        (
            json!({ "url": receiver.url(), "eventTypes": [] }),
            "eventTypes",
        ),
        (
            json!({ "url": receiver.url(), "eventTypes": ["request.rejected"], "workflowKeys": ["nope"] }),
            "workflowKeys",
        ),
        (
            json!({ "url": "http://elsewhere.example.org/hooks", "eventTypes": ["request.rejected"] }),
            "url",
        ),
        (
            json!({ "url": "ftp://127.0.0.1/hooks", "eventTypes": ["request.rejected"] }),
            "url",
        ),
        (
            json!({ "url": receiver.url(), "eventTypes": ["request.rejected"], "description": "x".repeat(501) }),
            "description",
        ),
    ];
    for (input, field) in cases {
        let out = create(input.clone()).await;
        let err = &out["errors"][0];
        assert_eq!(
            err["extensions"]["code"], "BAD_USER_INPUT",
            "{input}: {out}"
        );
        assert_eq!(err["path"][0], "createWebhookSubscription", "{out}");
        assert_eq!(
            err["extensions"]["field"]
                .as_array()
                .unwrap()
                .last()
                .unwrap(),
            field,
            "{out}"
        );
        assert!(
            err["message"].as_str().unwrap().len() > 10,
            "an actionable message: {out}"
        );
    }
    assert_eq!(app.count("webhook_subscriptions").await, 0);
    // Admins only.
    for roles in [&["agent"][..], &["auditor"], &["support_agent"]] {
        let token = app.token(TENANT, "someone", roles);
        assert_eq!(
            app.error_code(
                &token,
                CREATE,
                json!({ "input": { "url": receiver.url(), "eventTypes": ["request.rejected"] } })
            )
            .await,
            "FORBIDDEN"
        );
        assert_eq!(
            app.error_code(&token, &subscriptions_query(), json!({}))
                .await,
            "FORBIDDEN"
        );
    }

    let (id, secret) = subscribe(
        app,
        &receiver.url(),
        &["request.rejected", "request.rejected"],
        json!(["refunds"]),
    )
    .await;
    assert!(secret.starts_with("whsec_"));
    let listed = subscriptions(app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]["eventTypes"],
        json!(["request.rejected"]),
        "deduplicated"
    );
    assert_eq!(listed[0]["workflowKeys"], json!(["refunds"]));
    assert_eq!(listed[0]["createdBy"], "alice-admin");
    assert_eq!(listed[0]["status"], "ACTIVE");

    // A ping, signed with the secret.
    let ping = app.data(&admin, TEST, json!({ "id": id })).await;
    assert_eq!(ping["testWebhookSubscription"]["eventType"], "ping");
    let got = until_types(&receiver, &["ping"]).await;
    assert!(verify(&secret, &got[0]));
    assert_eq!(got[0].json["data"]["subscriptionId"], id.as_str());
    assert_eq!(got[0].id, ping["testWebhookSubscription"]["webhookId"]);

    // Rotation: the new secret signs, the old one no longer does.
    let rotated = app.data(&admin, ROTATE, json!({ "id": id })).await;
    let new_secret = rotated["rotateWebhookSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_secret, secret);
    app.data(&admin, TEST, json!({ "id": id })).await;
    let got = eventually("the second ping", || async {
        let got = receiver.all();
        (got.len() == 2).then_some(got)
    })
    .await;
    assert!(verify(&new_secret, &got[1]));
    assert!(!verify(&secret, &got[1]));

    // Update: what is given changes.
    let updated = app
        .data(
            &admin,
            UPDATE,
            json!({ "id": id, "input": { "eventTypes": ["request.approved", "request.rejected"], "workflowKeys": [], "description": "runner v2" } }),
        )
        .await;
    let u = &updated["updateWebhookSubscription"];
    assert_eq!(
        u["eventTypes"],
        json!(["request.approved", "request.rejected"])
    );
    assert_eq!(u["workflowKeys"], json!([]));
    assert_eq!(u["description"], "runner v2");
    assert_eq!(u["url"], receiver.url());
    assert_eq!(
        app.error_code(
            &admin,
            UPDATE,
            json!({ "id": id, "input": { "eventTypes": ["nope"] } })
        )
        .await,
        "BAD_USER_INPUT"
    );
    // Another tenant's admin sees none of it.
    let other = app.token("globex", "gus-admin", &["admin"]);
    assert!(
        app.data(&other, &subscriptions_query(), json!({})).await["webhookSubscriptions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    for (q, vars) in [
        (UPDATE, json!({ "id": id, "input": { "enabled": false } })),
        (ROTATE, json!({ "id": id })),
        (TEST, json!({ "id": id })),
        (DELETE, json!({ "id": id })),
    ] {
        assert_eq!(app.error_code(&other, q, vars).await, "NOT_FOUND");
    }

    // Delete.
    assert_eq!(
        app.data(&admin, DELETE, json!({ "id": id })).await["deleteWebhookSubscription"],
        true
    );
    assert!(subscriptions(app).await.is_empty());
    assert_eq!(app.count("event_deliveries").await, 0);

    // Every change is audited, and the secret is in no audit event.
    let audit = app
        .data(
            &admin,
            AUDIT,
            json!({ "types": [
                "WEBHOOK_SUBSCRIPTION_CREATED", "WEBHOOK_SUBSCRIPTION_UPDATED",
                "WEBHOOK_SECRET_ROTATED", "WEBHOOK_SUBSCRIPTION_TESTED",
                "WEBHOOK_SUBSCRIPTION_DELETED"
            ] }),
        )
        .await;
    let events = audit["auditLog"]["edges"].as_array().unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["node"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "WEBHOOK_SUBSCRIPTION_CREATED",
            "WEBHOOK_SUBSCRIPTION_TESTED",
            "WEBHOOK_SECRET_ROTATED",
            "WEBHOOK_SUBSCRIPTION_TESTED",
            "WEBHOOK_SUBSCRIPTION_UPDATED",
            "WEBHOOK_SUBSCRIPTION_DELETED"
        ]
    );
    assert!(events.iter().all(|e| e["node"]["actor"] == "alice-admin"));
    let everything = app.data(&admin, AUDIT, json!({ "types": null })).await;
    let text = everything.to_string();
    assert!(!text.contains("whsec_"), "a secret in the audit log");
    assert!(!text.contains(&secret[6..]) && !text.contains(&new_secret[6..]));
}

async fn a_subscription_receives_only_its_tenant_its_workflows_and_its_types(app: &TestApp) {
    let receiver = Receiver::start().await;
    create_workflow(app, "refunds", event_policy()).await;
    create_workflow(app, "emails", event_policy()).await;
    let (_, _) = subscribe(
        app,
        &receiver.url(),
        &["request.rejected"],
        json!(["refunds"]),
    )
    .await;
    // Another tenant with the same workflow key and its own rejections.
    let gus = app.token("globex", "gus-admin", &["admin"]);
    app.data(
        &gus,
        CREATE_WORKFLOW,
        json!({ "input": { "key": "refunds", "name": "Refunds", "policy": event_policy() } }),
    )
    .await;
    let globex_agent = app.token("globex", "bot", &["agent"]);
    let mut blocked = refund("refunds", "g-1", "20.00");
    blocked["context"] = json!({ "country": "XX" });
    app.data(&globex_agent, SUBMIT, json!({ "input": blocked }))
        .await;
    // In this tenant: a rejection in another workflow, an event of another type, then the one.
    let mut other_wf = refund("emails", "e-1", "20.00");
    other_wf["context"] = json!({ "country": "XX" });
    submit(app, other_wf).await;
    submit(app, refund("refunds", "ok-1", "20.00")).await; // AUTO: submitted + approved
    let mut wanted = refund("refunds", "r-1", "20.00");
    wanted["context"] = json!({ "country": "XX" });
    let wanted = submit(app, wanted).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = until_types(&receiver, &["request.rejected"]).await;
    // The worker delivers in one pass what was due; anything else would be here by now.
    assert_eq!(app.count("event_deliveries").await, 1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json["data"]["request"]["id"], wanted.as_str());
    assert_eq!(got[0].json["data"]["workflowKey"], "refunds");
}

async fn redirects_are_not_followed(app: &TestApp) {
    let target = Receiver::start().await;
    let redirector = Redirector::start(target.url()).await;
    create_workflow(app, "refunds", event_policy()).await;
    let (id, _) = subscribe(app, &redirector.url(), &["request.submitted"], json!([])).await;
    submit(app, refund("refunds", "rd-1", "200.00")).await;
    let rs = eventually("a redirected attempt recorded", || async {
        let rs = records(app, &id).await;
        rs.first()
            .filter(|r| r["lastError"] == "redirect_not_followed")
            .cloned()
    })
    .await;
    assert_eq!(rs["lastStatusCode"], 307);
    assert_eq!(rs["status"], "PENDING", "retried later, never followed");
    assert!(redirector.hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert!(target.all().is_empty());
}

async fn a_rejection_reaches_its_subscriber_within_a_second(app: &TestApp) {
    let receiver = Receiver::start().await;
    subscribe(app, &receiver.url(), &["request.rejected"], json!([])).await;
    create_workflow(app, "refunds", event_policy()).await;
    let id = submit_correlated(app, "refunds", "l-1", "200.00").await;
    decide(
        app,
        &rita(app),
        json!({ "requestId": id, "decision": "REJECT", "reasonCode": "not_eligible" }),
    )
    .await;
    let decided = Instant::now();
    let got = until_types(&receiver, &["request.rejected"]).await;
    let latency = got[0].at.saturating_duration_since(decided);
    assert!(
        latency < Duration::from_secs(1),
        "the rejection arrived {latency:?} after the decision"
    );
    assert_eq!(
        got[0].json["data"]["request"]["correlation"]["runId"],
        "run-l-1"
    );
}
