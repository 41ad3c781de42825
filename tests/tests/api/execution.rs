//! The execution layer (invariants 1, 2 and 8): approved actions of a workflow with a webhook go
//! out through the outbox, signed per the Standard Webhooks spec and retried under one
//! webhook-id; a PAUSED workflow releases nothing; agents report execution where there is no
//! webhook; admins roll executed actions back; a replica killed mid-delivery loses nothing.
//! A local axum receiver records what arrives; timing is observed by polling, never by sleeping.

use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use countersign::auth::TokenVerifier;
use countersign::config::Settings;
use countersign_tests::{
    PgDatabase, SECRET, ServerProcess, TestApp, countersign_bin, eventually, post_graphql,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::*;
use crate::receiver::*;

countersign_tests::db_tests!(
    fast_outbox;
    invariant_1_approved_actions_are_delivered_once_signed_with_the_approved_hash,
    retries_keep_the_webhook_id_until_the_receiver_recovers,
    exhausted_attempts_end_in_execution_failed,
    invariant_8_paused_workflow_releases_nothing_to_execution,
    report_execution_by_the_submitter_or_an_admin_on_approved_requests,
    rollback_action_is_for_admins_on_executed_actions,
    rollbacks_and_execution_failures_count_as_guardrail_errors,
    webhook_settings_are_validated_and_the_secret_never_shows,
);

countersign_tests::db_tests!(
    allow_listed_outbox;
    webhook_hosts_must_be_in_the_allow_list,
    redirects_are_not_followed_and_count_as_failed_attempts,
);

countersign_tests::db_tests!(
    open_outbox;
    webhooks_to_non_public_addresses_are_refused_without_an_allow_list,
);

/// The outbox worker every 20 ms, retries after 10-20 ms, 20-40 ms, …; no allow-list, so only
/// public addresses are destinations.
fn open_outbox(settings: &mut Settings) {
    settings.outbox_interval_ms = 20;
    settings.webhook_backoff_base_ms = 20;
    settings.webhook_backoff_max_ms = 200;
    settings.webhook_timeout_ms = 5_000;
}

/// [`open_outbox`] with the local receivers (127.0.0.1, localhost) on the allow-list.
fn fast_outbox(settings: &mut Settings) {
    open_outbox(settings);
    settings.webhook_allowed_hosts = Some("127.0.0.1, localhost, hooks.example.com".to_owned());
}

fn allow_listed_outbox(settings: &mut Settings) {
    open_outbox(settings);
    settings.webhook_allowed_hosts = Some("127.0.0.1, hooks.example.com".to_owned());
}

const SET_WEBHOOK: &str = "mutation($key: String!, $input: ExecutionWebhookInput) { setExecutionWebhook(workflowKey: $key, input: $input) { key mode executionWebhookUrl executionWebhookMaxAttempts } }";

const REPORT: &str = "mutation($input: ReportExecutionInput!) { reportExecution(input: $input) { id status version executedAt externalRef executionError } }";

const ROLLBACK: &str = "mutation($id: ID!, $reason: String!) { rollbackAction(id: $id, reason: $reason) { id status version executedAt externalRef } }";

const SET_MODE: &str = "mutation($key: String!, $mode: WorkflowMode!, $reason: String!) { setWorkflowMode(workflowKey: $key, mode: $mode, reason: $reason) { key mode modeReason } }";

const EXEC_REQUEST: &str = "query($id: ID!) { approvalRequest(id: $id) { id status version route action finalAction finalActionHash decidedAt executedAt externalRef executionError deliveries { webhookId eventType status attempts maxAttempts lastStatusCode lastError nextAttemptAt deliveredAt } history { seq type at actor data } } }";

const WORKFLOW: &str = "query($key: String!) { workflow(key: $key) { key name description mode modeReason executionWebhookUrl executionWebhookMaxAttempts roi { hourlyRateUsd } activePolicy { version document } } }";

const AUDIT_LOG: &str = "query($filter: AuditFilter) { auditLog(filter: $filter, first: 500) { edges { node { seq type actor workflowKey requestId data prevHash hash } } pageInfo { hasNextPage } } }";

const VERIFY: &str = "{ verifyAuditChain { ok checked firstBrokenSeq } }";

// ---------------------------------------------------------------------------------------------
// Helpers.

fn auditor(app: &TestApp) -> String {
    app.token(TENANT, "audrey-auditor", &["auditor"])
}

fn reviewer(app: &TestApp) -> String {
    app.token(TENANT, "rita", &["support_agent"])
}

fn id_of(out: &Value) -> String {
    out["request"]["id"].as_str().unwrap().to_owned()
}

async fn set_webhook(app: &TestApp, key: &str, url: &str, secret: &str, attempts: i32) -> Value {
    let input = json!({ "url": url, "signingSecret": secret, "maxAttempts": attempts });
    app.data(
        &admin(app),
        SET_WEBHOOK,
        json!({ "key": key, "input": input }),
    )
    .await["setExecutionWebhook"]
        .clone()
}

async fn set_mode(app: &TestApp, key: &str, mode: &str) {
    let vars = json!({ "key": key, "mode": mode, "reason": "incident INC-7" });
    let w = app.data(&admin(app), SET_MODE, vars).await;
    assert_eq!(w["setWorkflowMode"]["mode"], mode);
}

async fn exec_request(app: &TestApp, id: &str) -> Value {
    app.data(&admin(app), EXEC_REQUEST, json!({ "id": id }))
        .await["approvalRequest"]
        .clone()
}

/// Polls until the request reaches `status`; returns it.
async fn wait_status(app: &TestApp, id: &str, status: &str) -> Value {
    eventually(&format!("request {id} to become {status}"), || async {
        let r = exec_request(app, id).await;
        (r["status"] == status).then_some(r)
    })
    .await
}

fn events_of(history: &Value, kind: &str) -> Vec<Value> {
    history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind)
        .cloned()
        .collect()
}

fn types_of(history: &Value) -> Vec<String> {
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn audit_log(app: &TestApp, filter: Value) -> Vec<Value> {
    let data = app
        .data(&auditor(app), AUDIT_LOG, json!({ "filter": filter }))
        .await;
    assert_eq!(data["auditLog"]["pageInfo"]["hasNextPage"], false);
    data["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn assert_chain_verifies(app: &TestApp) {
    let v = app.data(&auditor(app), VERIFY, json!({})).await;
    assert_eq!(v["verifyAuditChain"]["ok"], true, "{v}");
}

fn report(id: &str, success: bool, external_ref: Option<&str>, error: Option<&str>) -> Value {
    json!({ "input": { "requestId": id, "success": success, "externalRef": external_ref, "error": error } })
}

/// Checks one `action.approved` delivery against the request it carries.
fn assert_approval_delivery(d: &Delivery, secret: &str, request: &Value, approval_hash: &Value) {
    assert!(verify(secret, d), "signature does not verify: {d:?}");
    assert!(d.id.starts_with("msg_"), "{}", d.id);
    assert_eq!(d.content_type, "application/json");
    let ts: i64 = d.timestamp.parse().unwrap();
    assert!((Utc::now().timestamp() - ts).abs() < 300, "timestamp {ts}");
    let body = &d.json;
    assert_eq!(body["type"], "action.approved");
    assert_eq!(body["requestId"], request["id"]);
    assert_eq!(body["workflowKey"], "refunds");
    assert_eq!(body["actionType"], "refund.issue");
    assert_eq!(
        body["action"], request["finalAction"],
        "the final (edited) action"
    );
    assert_eq!(body["actionHash"], request["finalActionHash"]);
    assert_eq!(
        &body["actionHash"], approval_hash,
        "the hash the approval recorded"
    );
    assert_eq!(time(&body["approvedAt"]), time(&request["decidedAt"]));
    assert_eq!(body["route"], request["route"]);
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

async fn invariant_1_approved_actions_are_delivered_once_signed_with_the_approved_hash(
    app: &TestApp,
) {
    let rx = Receiver::start().await;
    let secret = new_secret();
    create_workflow(app, "refunds", refund_policy()).await;
    let wf = set_webhook(app, "refunds", &rx.url(), &secret, 8).await;
    assert_eq!(wf["executionWebhookUrl"], rx.url());
    assert_eq!(wf["executionWebhookMaxAttempts"], 8);

    // AUTO: approved at submission, delivered by the worker.
    let auto = submit(app, refund("refunds", "auto-1", "20.00")).await;
    assert_eq!(auto["route"], "AUTO");
    assert_eq!(auto["request"]["status"], "APPROVED");
    let auto_id = id_of(&auto);
    let auto_r = wait_status(app, &auto_id, "EXECUTED").await;
    assert!(auto_r["executedAt"].is_string(), "{auto_r}");
    assert_eq!(auto_r["executionError"], json!(null));

    // HUMAN: the reviewer edits the draft; what leaves is the edit, bound to its hash.
    let human = submit(app, refund("refunds", "human-1", "200.00")).await;
    assert_eq!(human["route"], "HUMAN");
    let human_id = id_of(&human);
    let edited = json!({ "order": "human-1", "amount": "150.00", "note": "Partial refund" });
    let decided = decide(
        app,
        &reviewer(app),
        json!({ "requestId": human_id, "decision": "APPROVE", "editedAction": edited }),
    )
    .await;
    assert_eq!(decided["status"], "APPROVED");
    assert_eq!(decided["finalAction"], edited);
    let human_r = wait_status(app, &human_id, "EXECUTED").await;

    for (r, approval_event) in [(&auto_r, "AUTO_APPROVED"), (&human_r, "REQUEST_APPROVED")] {
        let id = r["id"].as_str().unwrap();
        let got = rx.for_request(id);
        assert_eq!(got.len(), 1, "delivered once: {got:?}");
        let approval = &events_of(&r["history"], approval_event)[0];
        let approval_hash = &approval["data"]["finalActionHash"];
        assert_approval_delivery(&got[0], &secret, r, approval_hash);

        let types = types_of(&r["history"]);
        assert_eq!(
            &types[types.len() - 2..],
            ["WEBHOOK_ATTEMPTED", "EXECUTION_REPORTED"],
            "{types:?}"
        );
        let attempted = &events_of(&r["history"], "WEBHOOK_ATTEMPTED")[0];
        assert_eq!(attempted["actor"], "system");
        let data = &attempted["data"];
        assert_eq!(data["webhookId"], got[0].id.as_str());
        assert_eq!(data["eventType"], "action.approved");
        assert_eq!(data["attempt"], 1);
        assert_eq!(data["maxAttempts"], 8);
        assert_eq!(data["statusCode"], 204);
        assert_eq!(data["error"], json!(null));
        assert_eq!(data["outcome"], "delivered");
        assert!(data["latencyMs"].is_u64(), "{data}");
        let reported = &events_of(&r["history"], "EXECUTION_REPORTED")[0];
        assert_eq!(reported["actor"], "system");
        assert_eq!(reported["data"]["success"], true);
        assert_eq!(reported["data"]["via"], "webhook");
        assert_eq!(reported["data"]["webhookId"], got[0].id.as_str());

        let deliveries = r["deliveries"].as_array().unwrap();
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0]["webhookId"], got[0].id.as_str());
        assert_eq!(deliveries[0]["status"], "DELIVERED");
        assert_eq!(deliveries[0]["attempts"], 1);
        assert_eq!(deliveries[0]["lastStatusCode"], 204);
    }
    // The edit is what left, not the draft.
    assert_eq!(rx.for_request(&human_id)[0].json["action"], edited);
    assert_ne!(
        human_r["finalActionHash"], human["request"]["finalActionHash"],
        "editing moved the hash"
    );
    // A receiver's check catches a body altered on the way.
    let mut tampered = rx.for_request(&auto_id)[0].clone();
    tampered.body = br#"{"type":"action.approved","amount":"9999"}"#.to_vec();
    assert!(!verify(&secret, &tampered));
    // Two approvals, two deliveries, two different ids — nothing sent twice.
    let all = rx.all();
    assert_eq!(all.len(), 2, "{all:?}");
    assert_ne!(all[0].id, all[1].id);

    // The secret appears nowhere a user can read.
    let key = secret.strip_prefix("whsec_").unwrap();
    let log = serde_json::to_string(&audit_log(app, json!(null)).await).unwrap();
    let wf = app
        .data(&admin(app), WORKFLOW, json!({ "key": "refunds" }))
        .await
        .to_string();
    let requests = [&auto_r, &human_r].map(|r| r.to_string()).concat();
    for text in [&log, &wf, &requests] {
        assert!(!text.contains(key), "the signing secret leaked: {text}");
    }
    assert_chain_verifies(app).await;
}

async fn retries_keep_the_webhook_id_until_the_receiver_recovers(app: &TestApp) {
    let rx = Receiver::start().await;
    let secret = new_secret();
    create_workflow(app, "refunds", refund_policy()).await;
    set_webhook(app, "refunds", &rx.url(), &secret, 5).await;
    rx.fail_next(2);
    let id = id_of(&submit(app, refund("refunds", "retry-1", "20.00")).await);
    let r = wait_status(app, &id, "EXECUTED").await;

    let got = rx.for_request(&id);
    assert_eq!(got.len(), 3, "two failures, then success: {got:?}");
    for d in &got {
        assert_eq!(d.id, got[0].id, "the same webhook-id on every attempt");
        assert_eq!(d.body, got[0].body, "the same body on every attempt");
        assert!(verify(&secret, d), "{d:?}");
    }
    let attempts = events_of(&r["history"], "WEBHOOK_ATTEMPTED");
    let summary: Vec<(i64, i64, &str)> = attempts
        .iter()
        .map(|e| {
            (
                e["data"]["attempt"].as_i64().unwrap(),
                e["data"]["statusCode"].as_i64().unwrap(),
                e["data"]["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, 500, "retrying"),
            (2, 500, "retrying"),
            (3, 204, "delivered")
        ]
    );
    for e in &attempts {
        assert_eq!(e["data"]["webhookId"], got[0].id.as_str());
        assert_eq!(e["data"]["maxAttempts"], 5);
    }
    // Each retry waited for its backoff.
    for pair in attempts.windows(2) {
        let due = time(&pair[0]["data"]["nextAttemptAt"]);
        assert!(due > time(&pair[0]["at"]), "{pair:?}");
        assert!(time(&pair[1]["at"]) >= due, "{pair:?}");
    }
    assert_eq!(attempts[2]["data"]["nextAttemptAt"], json!(null));
    let reported = events_of(&r["history"], "EXECUTION_REPORTED");
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0]["data"]["attempts"], 3);
    assert_eq!(reported[0]["data"]["success"], true);
    assert_eq!(r["deliveries"][0]["attempts"], 3);
    assert_eq!(r["deliveries"][0]["status"], "DELIVERED");
    assert_chain_verifies(app).await;
}

async fn exhausted_attempts_end_in_execution_failed(app: &TestApp) {
    let rx = Receiver::start().await;
    let secret = new_secret();
    create_workflow(app, "refunds", refund_policy()).await;
    set_webhook(app, "refunds", &rx.url(), &secret, 3).await;
    rx.fail_next(usize::MAX);
    let id = id_of(&submit(app, refund("refunds", "fail-1", "20.00")).await);
    let r = wait_status(app, &id, "EXECUTION_FAILED").await;

    let got = rx.for_request(&id);
    assert_eq!(got.len(), 3, "maxAttempts attempts: {got:?}");
    assert!(got.iter().all(|d| d.id == got[0].id && verify(&secret, d)));
    let attempts = events_of(&r["history"], "WEBHOOK_ATTEMPTED");
    let codes: Vec<i64> = attempts
        .iter()
        .map(|e| e["data"]["statusCode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 500, 500]);
    assert_eq!(attempts[2]["data"]["outcome"], "failed");
    assert_eq!(attempts[2]["data"]["nextAttemptAt"], json!(null));
    let reported = events_of(&r["history"], "EXECUTION_REPORTED");
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0]["actor"], "system");
    assert_eq!(reported[0]["data"]["success"], false);
    assert_eq!(reported[0]["data"]["via"], "webhook");
    let error = r["executionError"].as_str().unwrap();
    assert!(
        error.contains("3 attempts") && error.contains("HTTP 500"),
        "{error}"
    );
    assert_eq!(r["executedAt"], json!(null));
    assert_eq!(r["deliveries"][0]["status"], "FAILED");
    assert_eq!(r["deliveries"][0]["attempts"], 3);
    assert_eq!(r["deliveries"][0]["lastStatusCode"], 500);

    // No further attempt follows a final failure, and the outcome is final for agents too.
    let agent = agent(app);
    assert_eq!(
        app.error_code(&agent, REPORT, report(&id, true, Some("x"), None))
            .await,
        "CONFLICT"
    );

    // Nobody listening: the attempt is recorded with its error kind and no status.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    create_workflow(app, "nowhere", refund_policy()).await;
    let dead = format!("http://{closed}/hooks");
    set_webhook(app, "nowhere", &dead, &secret, 1).await;
    let lost = id_of(&submit(app, refund("nowhere", "lost-1", "20.00")).await);
    let r = wait_status(app, &lost, "EXECUTION_FAILED").await;
    let attempted = events_of(&r["history"], "WEBHOOK_ATTEMPTED");
    assert_eq!(attempted.len(), 1);
    assert_eq!(attempted[0]["data"]["statusCode"], json!(null));
    assert_eq!(attempted[0]["data"]["error"], "connect");
    assert_eq!(r["deliveries"][0]["lastError"], "connect");
    assert_eq!(rx.all().len(), 3, "nothing more reached the first receiver");
    assert_chain_verifies(app).await;
}

async fn invariant_8_paused_workflow_releases_nothing_to_execution(app: &TestApp) {
    let rx = Receiver::start().await;
    let secret = new_secret();
    for key in ["held", "flowing"] {
        create_workflow(app, key, refund_policy()).await;
        set_webhook(app, key, &rx.url(), &secret, 8).await;
    }
    // Approved while PAUSED: the delivery is written, and waits.
    let held = id_of(&submit(app, refund("held", "held-1", "200.00")).await);
    set_mode(app, "held", "PAUSED").await;
    let r = decide(
        app,
        &reviewer(app),
        json!({ "requestId": held, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");

    // A later approval elsewhere goes out: the worker has passed over the held one since.
    let flowing = id_of(&submit(app, refund("flowing", "flow-1", "20.00")).await);
    wait_status(app, &flowing, "EXECUTED").await;
    let r = exec_request(app, &held).await;
    assert_eq!(r["status"], "APPROVED");
    assert!(rx.for_request(&held).is_empty(), "{:?}", rx.all());
    let d = &r["deliveries"][0];
    assert_eq!(d["status"], "PENDING");
    assert_eq!(d["attempts"], 0, "waiting is not an attempt");
    assert!(events_of(&r["history"], "WEBHOOK_ATTEMPTED").is_empty());
    // The webhook owns the delivery even while it waits.
    assert_eq!(
        app.error_code(&agent(app), REPORT, report(&held, true, None, None))
            .await,
        "CONFLICT"
    );

    // Back to ACTIVE: released, once, on its first attempt.
    set_mode(app, "held", "ACTIVE").await;
    let r = wait_status(app, &held, "EXECUTED").await;
    let got = rx.for_request(&held);
    assert_eq!(got.len(), 1);
    assert!(verify(&secret, &got[0]));
    let attempted = events_of(&r["history"], "WEBHOOK_ATTEMPTED");
    assert_eq!(attempted.len(), 1);
    assert_eq!(attempted[0]["data"]["attempt"], 1);
    assert_chain_verifies(app).await;
}

async fn report_execution_by_the_submitter_or_an_admin_on_approved_requests(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let done = id_of(&submit(app, refund("refunds", "rep-1", "20.00")).await);
    let failed = id_of(&submit(app, refund("refunds", "rep-2", "20.00")).await);
    let pending = id_of(&submit(app, refund("refunds", "rep-3", "200.00")).await);
    let agent = agent(app);
    let other_agent = app.token(TENANT, "other-bot", &["agent"]);
    let outsider = app.token("globex", "refund-bot", &["agent", "admin"]);
    let ok = report(&done, true, Some("re_123"), None);

    for (token, code) in [
        (&other_agent, "FORBIDDEN"),
        (&reviewer(app), "FORBIDDEN"),
        (&auditor(app), "FORBIDDEN"),
        (&outsider, "NOT_FOUND"),
    ] {
        assert_eq!(app.error_code(token, REPORT, ok.clone()).await, code);
    }
    let unknown = report(&Uuid::now_v7().to_string(), true, None, None);
    assert_eq!(app.error_code(&agent, REPORT, unknown).await, "NOT_FOUND");
    let body = app
        .gql(&agent, REPORT, report("not-an-id", true, None, None))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!(["input", "requestId"])
    );
    let body = app
        .gql(&agent, REPORT, report(&done, true, None, Some("boom")))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!(["input", "error"])
    );
    assert_eq!(
        app.error_code(&agent, REPORT, report(&pending, true, None, None))
            .await,
        "CONFLICT",
        "only APPROVED requests"
    );
    assert_eq!(
        exec_request(app, &done).await["status"],
        "APPROVED",
        "nothing written"
    );

    // The submitting agent reports success.
    let r = app.data(&agent, REPORT, ok.clone()).await["reportExecution"].clone();
    assert_eq!(r["status"], "EXECUTED");
    assert_eq!(r["externalRef"], "re_123");
    assert_eq!(r["version"], 2);
    assert!(r["executedAt"].is_string());
    assert_eq!(app.error_code(&agent, REPORT, ok).await, "CONFLICT", "once");
    let history = exec_request(app, &done).await["history"].clone();
    let reported = events_of(&history, "EXECUTION_REPORTED");
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0]["actor"], "refund-bot");
    assert_eq!(
        reported[0]["data"],
        json!({ "success": true, "via": "agent", "externalRef": "re_123", "error": null })
    );

    // An admin reports a failure.
    let r = app
        .data(
            &admin(app),
            REPORT,
            report(&failed, false, None, Some("card declined")),
        )
        .await["reportExecution"]
        .clone();
    assert_eq!(r["status"], "EXECUTION_FAILED");
    assert_eq!(r["executionError"], "card declined");
    assert_eq!(r["executedAt"], json!(null));
    let history = exec_request(app, &failed).await["history"].clone();
    let reported = events_of(&history, "EXECUTION_REPORTED");
    assert_eq!(reported[0]["actor"], "alice-admin");
    assert_eq!(reported[0]["data"]["success"], false);
    assert_eq!(reported[0]["data"]["error"], "card declined");

    // With a webhook, delivery is the webhook's: the request is held (PAUSED) so it stays
    // APPROVED while the agent tries.
    let rx = Receiver::start().await;
    create_workflow(app, "hooked", refund_policy()).await;
    set_webhook(app, "hooked", &rx.url(), &new_secret(), 8).await;
    let hooked = id_of(&submit(app, refund("hooked", "hook-1", "200.00")).await);
    set_mode(app, "hooked", "PAUSED").await;
    decide(
        app,
        &reviewer(app),
        json!({ "requestId": hooked, "decision": "APPROVE" }),
    )
    .await;
    let body = app
        .gql(&agent, REPORT, report(&hooked, true, Some("x"), None))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "CONFLICT",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("webhook"),
        "{body}"
    );
    assert_eq!(exec_request(app, &hooked).await["status"], "APPROVED");
    assert_chain_verifies(app).await;
}

async fn rollback_action_is_for_admins_on_executed_actions(app: &TestApp) {
    create_workflow(app, "plain", refund_policy()).await;
    let executed = id_of(&submit(app, refund("plain", "rb-1", "20.00")).await);
    let approved = id_of(&submit(app, refund("plain", "rb-2", "20.00")).await);
    let agent = agent(app);
    app.data(&agent, REPORT, report(&executed, true, Some("re_9"), None))
        .await;
    let admin = admin(app);
    let vars = |id: &str, reason: &str| json!({ "id": id, "reason": reason });

    assert_eq!(
        app.error_code(&agent, ROLLBACK, vars(&executed, "oops"))
            .await,
        "FORBIDDEN"
    );
    let body = app.gql(&admin, ROLLBACK, vars(&executed, "  ")).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], json!(["reason"]));
    assert_eq!(
        app.error_code(&admin, ROLLBACK, vars(&approved, "oops"))
            .await,
        "CONFLICT",
        "only EXECUTED actions"
    );

    let r = app
        .data(&admin, ROLLBACK, vars(&executed, "customer disputed"))
        .await["rollbackAction"]
        .clone();
    assert_eq!(r["status"], "ROLLED_BACK");
    assert_eq!(r["version"], 3);
    assert_eq!(r["externalRef"], "re_9");
    assert_eq!(
        app.error_code(&admin, ROLLBACK, vars(&executed, "again"))
            .await,
        "CONFLICT"
    );
    let history = exec_request(app, &executed).await["history"].clone();
    let rolled = events_of(&history, "ACTION_ROLLED_BACK");
    assert_eq!(rolled.len(), 1);
    assert_eq!(rolled[0]["actor"], "alice-admin");
    assert_eq!(
        rolled[0]["data"],
        json!({ "reason": "customer disputed", "externalRef": "re_9", "webhookId": null })
    );

    // With a webhook, the rollback is delivered too, signed, under its own webhook-id.
    let rx = Receiver::start().await;
    let secret = new_secret();
    create_workflow(app, "refunds", refund_policy()).await;
    set_webhook(app, "refunds", &rx.url(), &secret, 8).await;
    let hooked = id_of(&submit(app, refund("refunds", "rb-3", "20.00")).await);
    let before = wait_status(app, &hooked, "EXECUTED").await;
    let r = app
        .data(&admin, ROLLBACK, vars(&hooked, "refund sent twice"))
        .await["rollbackAction"]
        .clone();
    assert_eq!(r["status"], "ROLLED_BACK");
    let got = eventually("the rollback delivery", || async {
        let got = rx.for_request(&hooked);
        (got.len() == 2).then_some(got)
    })
    .await;
    let (approval, rollback) = (&got[0], &got[1]);
    assert!(verify(&secret, rollback), "{rollback:?}");
    assert_ne!(rollback.id, approval.id, "its own webhook-id");
    let body = &rollback.json;
    assert_eq!(body["type"], "action.rolled_back");
    assert_eq!(body["requestId"], hooked.as_str());
    assert_eq!(body["workflowKey"], "refunds");
    assert_eq!(body["reason"], "refund sent twice");
    assert_eq!(body["rolledBackBy"], "alice-admin");
    assert_eq!(body["approvalWebhookId"], approval.id.as_str());
    assert_eq!(body["action"], before["finalAction"]);
    assert_eq!(body["actionHash"], before["finalActionHash"]);
    let r = eventually("the rollback delivery to be recorded", || async {
        let r = exec_request(app, &hooked).await;
        (events_of(&r["history"], "WEBHOOK_ATTEMPTED").len() == 2).then_some(r)
    })
    .await;
    assert_eq!(r["status"], "ROLLED_BACK");
    let rolled = events_of(&r["history"], "ACTION_ROLLED_BACK");
    assert_eq!(rolled[0]["data"]["webhookId"], rollback.id.as_str());
    let attempted = events_of(&r["history"], "WEBHOOK_ATTEMPTED");
    assert_eq!(attempted[1]["data"]["eventType"], "action.rolled_back");
    assert_eq!(attempted[1]["data"]["webhookId"], rollback.id.as_str());
    assert_eq!(
        events_of(&r["history"], "EXECUTION_REPORTED").len(),
        1,
        "a rollback's delivery reports no execution"
    );
    let kinds: Vec<&str> = r["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["action.approved", "action.rolled_back"]);
    assert_chain_verifies(app).await;
}

async fn rollbacks_and_execution_failures_count_as_guardrail_errors(app: &TestApp) {
    let guarded = || {
        let mut policy = refund_policy();
        policy["guardrails"] = json!({ "window": "PT1H", "minSamples": 2, "maxErrorRate": 0.4 });
        policy
    };
    let agent = agent(app);
    let admin = admin(app);
    let mode = |key: &'static str| {
        let admin = admin.clone();
        async move { app.data(&admin, WORKFLOW, json!({ "key": key })).await["workflow"].clone() }
    };

    // A rollback: 1 error of 2 approved = 50% > 40%.
    create_workflow(app, "rolled", guarded()).await;
    let a = id_of(&submit(app, refund("rolled", "g-1", "20.00")).await);
    let b = id_of(&submit(app, refund("rolled", "g-2", "20.00")).await);
    for id in [&a, &b] {
        app.data(&agent, REPORT, report(id, true, None, None)).await;
    }
    assert_eq!(mode("rolled").await["mode"], "ACTIVE");
    app.data(
        &admin,
        ROLLBACK,
        json!({ "id": a, "reason": "wrong customer" }),
    )
    .await;
    let wf = mode("rolled").await;
    assert_eq!(wf["mode"], "MANUAL_ONLY");
    assert_eq!(wf["modeReason"], "guardrail:error_rate");

    // An execution failure reported by the agent.
    create_workflow(app, "failing", guarded()).await;
    let c = id_of(&submit(app, refund("failing", "g-3", "20.00")).await);
    submit(app, refund("failing", "g-4", "20.00")).await;
    assert_eq!(mode("failing").await["mode"], "ACTIVE");
    app.data(&agent, REPORT, report(&c, false, None, Some("declined")))
        .await;
    let wf = mode("failing").await;
    assert_eq!(wf["mode"], "MANUAL_ONLY");
    assert_eq!(wf["modeReason"], "guardrail:error_rate");

    let trips = audit_log(app, json!({ "types": ["GUARDRAIL_TRIPPED"] })).await;
    let keys: Vec<&str> = trips
        .iter()
        .map(|e| e["workflowKey"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["rolled", "failing"]);
    assert!(trips.iter().all(|t| t["data"]["errors"] == 1));
    // Each trip follows the outcome that tipped it, in the same transaction.
    let all = audit_log(app, json!(null)).await;
    for trip in &trips {
        let pos = all.iter().position(|e| e["seq"] == trip["seq"]).unwrap();
        assert!(
            ["ACTION_ROLLED_BACK", "EXECUTION_REPORTED"]
                .contains(&all[pos - 1]["type"].as_str().unwrap()),
            "{:?}",
            all[pos - 1]
        );
    }
    assert_chain_verifies(app).await;
}

async fn webhook_settings_are_validated_and_the_secret_never_shows(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let admin = admin(app);
    let secret = new_secret();
    let b64 = |n: usize| STANDARD.encode(vec![42u8; n]);
    let set = |key: &str, input: Value| json!({ "key": key, "input": input });
    let good = json!({ "url": "https://hooks.example.com/countersign", "signingSecret": secret });

    assert_eq!(
        app.error_code(&agent(app), SET_WEBHOOK, set("refunds", good.clone()))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(&admin, SET_WEBHOOK, set("nope", good.clone()))
            .await,
        "NOT_FOUND"
    );
    let long = format!("https://hooks.example.com/{}", "a".repeat(2048));
    let bad_urls = [
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "https://user:pw@hooks.example.com/x",
        "https://token@hooks.example.com/x",
        "not a url",
        long.as_str(),
    ];
    for url in bad_urls {
        let body = app
            .gql(
                &admin,
                SET_WEBHOOK,
                set("refunds", json!({ "url": url, "signingSecret": secret })),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{url}: {body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            json!(["input", "url"])
        );
    }
    let bad_secrets = [
        b64(32),                      // no prefix
        format!("whsec_{}", b64(16)), // too short
        format!("whsec_{}", b64(65)), // too long
        "whsec_%%%not-base64%%%".to_owned(),
    ];
    for bad in &bad_secrets {
        let input = json!({ "url": "https://hooks.example.com/x", "signingSecret": bad });
        let body = app.gql(&admin, SET_WEBHOOK, set("refunds", input)).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            json!(["input", "signingSecret"])
        );
        assert!(!body.to_string().contains(bad.as_str()), "echoed: {body}");
    }
    for attempts in [0, 21, -1] {
        let mut input = good.clone();
        input["maxAttempts"] = json!(attempts);
        let body = app.gql(&admin, SET_WEBHOOK, set("refunds", input)).await;
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            json!(["input", "maxAttempts"]),
            "{attempts}: {body}"
        );
    }
    // Refused input wrote nothing.
    let wf = app
        .data(&admin, WORKFLOW, json!({ "key": "refunds" }))
        .await;
    assert_eq!(wf["workflow"]["executionWebhookUrl"], json!(null));
    assert!(
        audit_log(app, json!({ "types": ["EXECUTION_WEBHOOK_SET"] }))
            .await
            .is_empty()
    );

    // Set (null attempts take the default), change, remove: each audited with url and attempts
    // only.
    let mut default_attempts = good.clone();
    default_attempts["maxAttempts"] = Value::Null;
    let w = app
        .data(&admin, SET_WEBHOOK, set("refunds", default_attempts))
        .await;
    assert_eq!(
        w["setExecutionWebhook"]["executionWebhookUrl"],
        "https://hooks.example.com/countersign"
    );
    assert_eq!(w["setExecutionWebhook"]["executionWebhookMaxAttempts"], 8);
    let mut twenty = good.clone();
    twenty["maxAttempts"] = json!(20);
    let w = app.data(&admin, SET_WEBHOOK, set("refunds", twenty)).await;
    assert_eq!(w["setExecutionWebhook"]["executionWebhookMaxAttempts"], 20);
    let w = app
        .data(
            &admin,
            SET_WEBHOOK,
            json!({ "key": "refunds", "input": null }),
        )
        .await;
    assert_eq!(w["setExecutionWebhook"]["executionWebhookUrl"], json!(null));
    assert_eq!(
        w["setExecutionWebhook"]["executionWebhookMaxAttempts"],
        json!(null)
    );
    let set_events = audit_log(app, json!({ "types": ["EXECUTION_WEBHOOK_SET"] })).await;
    let data: Vec<Value> = set_events.iter().map(|e| e["data"].clone()).collect();
    assert_eq!(
        data,
        [
            json!({ "url": "https://hooks.example.com/countersign", "maxAttempts": 8, "removed": false }),
            json!({ "url": "https://hooks.example.com/countersign", "maxAttempts": 20, "removed": false }),
            json!({ "url": null, "maxAttempts": null, "removed": true, "droppedDeliveries": 0 }),
        ]
    );
    assert!(set_events.iter().all(|e| e["actor"] == "alice-admin"));
    let key = secret.strip_prefix("whsec_").unwrap();
    let log = serde_json::to_string(&audit_log(app, json!(null)).await).unwrap();
    assert!(!log.contains(key), "the secret is in the audit log");

    // Without a webhook again, approvals are the agents' to report.
    let id = id_of(&submit(app, refund("refunds", "after-removal", "20.00")).await);
    let r = app
        .data(&agent(app), REPORT, report(&id, true, None, None))
        .await;
    assert_eq!(r["reportExecution"]["status"], "EXECUTED");
    assert_eq!(exec_request(app, &id).await["deliveries"], json!([]));
    assert_chain_verifies(app).await;
}

async fn webhook_hosts_must_be_in_the_allow_list(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let admin = admin(app);
    let secret = new_secret();
    let try_url = |url: &'static str| {
        let vars = json!({ "key": "refunds", "input": { "url": url, "signingSecret": secret } });
        app.gql(&admin, SET_WEBHOOK, vars)
    };
    for url in [
        "https://evil.example.net/x",
        "http://localhost:9000/x",
        "https://hooks.example.com.evil.net/x",
    ] {
        let body = try_url(url).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{url}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            json!(["input", "url"])
        );
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("COUNTERSIGN_WEBHOOK_ALLOWED_HOSTS"),
            "{message}"
        );
    }
    for url in ["https://HOOKS.example.com/x", "http://127.0.0.1:9000/x"] {
        let body = try_url(url).await;
        assert!(body.get("errors").is_none(), "{url}: {body}");
    }

    // And an allowed receiver gets its deliveries.
    let rx = Receiver::start().await;
    set_webhook(app, "refunds", &rx.url(), &secret, 8).await;
    let id = id_of(&submit(app, refund("refunds", "allowed-1", "20.00")).await);
    wait_status(app, &id, "EXECUTED").await;
    assert_eq!(rx.for_request(&id).len(), 1);
}

/// Without an allow-list a webhook goes to public addresses only: IP literals of loopback, cloud
/// metadata (link-local), private and IPv4-mapped addresses are refused when the webhook is set
/// (nothing written); a name that resolves to loopback is refused where it resolves, so nothing
/// is sent, and the audit log records only `address_not_allowed` (no status, no address).
async fn webhooks_to_non_public_addresses_are_refused_without_an_allow_list(app: &TestApp) {
    let rx = Receiver::start().await;
    let port = rx.addr.port();
    let secret = new_secret();
    create_workflow(app, "refunds", refund_policy()).await;
    let admin = admin(app);
    for url in [
        format!("http://127.0.0.1:{port}/hooks"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/hooks".to_owned(),
        format!("http://[::ffff:127.0.0.1]:{port}/hooks"),
        format!("http://[::1]:{port}/hooks"),
        format!("http://2130706433:{port}/hooks"), // 127.0.0.1 spelt as a number
    ] {
        let vars = json!({ "key": "refunds", "input": { "url": url, "signingSecret": secret } });
        let body = app.gql(&admin, SET_WEBHOOK, vars).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{url}: {body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            json!(["input", "url"])
        );
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("address") && message.contains("COUNTERSIGN_WEBHOOK_ALLOWED_HOSTS"),
            "{message}"
        );
    }
    let wf = app
        .data(&admin, WORKFLOW, json!({ "key": "refunds" }))
        .await;
    assert_eq!(wf["workflow"]["executionWebhookUrl"], json!(null));
    assert!(
        audit_log(app, json!({ "types": ["EXECUTION_WEBHOOK_SET"] }))
            .await
            .is_empty(),
        "refused settings wrote nothing"
    );

    // A name is accepted when set, and refused when it resolves to loopback.
    let named = format!("http://localhost:{port}/hooks");
    set_webhook(app, "refunds", &named, &secret, 2).await;
    let id = id_of(&submit(app, refund("refunds", "to-localhost", "20.00")).await);
    let r = wait_status(app, &id, "EXECUTION_FAILED").await;
    assert!(rx.all().is_empty(), "nothing was sent: {:?}", rx.all());
    let attempted = events_of(&r["history"], "WEBHOOK_ATTEMPTED");
    assert_eq!(attempted.len(), 2, "{attempted:?}");
    for a in &attempted {
        assert_eq!(a["data"]["error"], "address_not_allowed", "{a}");
        assert_eq!(a["data"]["statusCode"], json!(null), "{a}");
    }
    assert_eq!(r["deliveries"][0]["status"], "FAILED");
    assert_eq!(r["deliveries"][0]["lastError"], "address_not_allowed");
    assert_eq!(r["deliveries"][0]["lastStatusCode"], json!(null));
    let error = r["executionError"].as_str().unwrap();
    assert!(error.contains("address_not_allowed"), "{error}");
    // Nothing in the log tells what (if anything) listens there.
    let log = serde_json::to_string(&audit_log(app, json!(null)).await).unwrap();
    assert!(!log.contains("refused"), "{log}");
    assert!(!log.contains("127.0.0.1"), "{log}");
    assert_chain_verifies(app).await;
}

/// A receiver that answers 307 to another (allowed) receiver is not followed: the 3xx is a
/// failed attempt recorded with its status, and the second receiver sees nothing.
async fn redirects_are_not_followed_and_count_as_failed_attempts(app: &TestApp) {
    let target = Receiver::start().await;
    let redirector = Redirector::start(target.url()).await;
    let secret = new_secret();
    create_workflow(app, "refunds", refund_policy()).await;
    set_webhook(app, "refunds", &redirector.url(), &secret, 1).await;
    let id = id_of(&submit(app, refund("refunds", "redirected-1", "20.00")).await);
    let r = wait_status(app, &id, "EXECUTION_FAILED").await;
    assert_eq!(redirector.hits.load(Ordering::SeqCst), 1);
    assert!(target.all().is_empty(), "the redirect was followed");
    let attempted = events_of(&r["history"], "WEBHOOK_ATTEMPTED");
    assert_eq!(attempted.len(), 1);
    assert_eq!(attempted[0]["data"]["statusCode"], 307);
    assert_eq!(attempted[0]["data"]["error"], "redirect_not_followed");
    assert_eq!(attempted[0]["data"]["outcome"], "failed");
    assert_eq!(r["deliveries"][0]["lastStatusCode"], 307);
    let error = r["executionError"].as_str().unwrap();
    assert!(error.contains("HTTP 307"), "{error}");
    assert_chain_verifies(app).await;
}

// ---------------------------------------------------------------------------------------------
// Two replicas: one is killed while it holds a delivery open.

async fn data_at(client: &reqwest::Client, base: &str, token: &str, q: &str, vars: Value) -> Value {
    let body = post_graphql(client, base, token, q, vars).await;
    assert!(body.get("errors").is_none(), "errors from {base}: {body}");
    body["data"].clone()
}

/// Replica A claims a delivery and is killed while the receiver holds the request open; replica
/// B, started afterwards on the same PostgreSQL database, redelivers it once A's lease has run
/// out, under the same webhook-id, and the request ends EXECUTED exactly once. PostgreSQL only
/// (replicas share a database there); skipped when `TEST_DATABASE_URL` is unset.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_mid_delivery_leaves_it_to_another_after_the_lease() {
    // Built (when stale) before the clock starts: a build is not the scenario's time.
    countersign_tests::countersign_bin();
    countersign_tests::bounded(
        a_replica_killed_mid_delivery_leaves_it_to_another_after_the_lease_scenario(),
    )
    .await;
}

async fn a_replica_killed_mid_delivery_leaves_it_to_another_after_the_lease_scenario() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    // The timeout leaves the test ample time to kill A before A gives up by itself.
    const LEASE_MS: u64 = 6_000;
    let lease = LEASE_MS.to_string();
    let env = [
        ("COUNTERSIGN_OUTBOX_INTERVAL_MS", "50"),
        ("COUNTERSIGN_WEBHOOK_BACKOFF_BASE_MS", "50"),
        ("COUNTERSIGN_WEBHOOK_TIMEOUT_MS", "5000"),
        ("COUNTERSIGN_WEBHOOK_LEASE_MS", lease.as_str()),
        ("COUNTERSIGN_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1"),
    ];
    let rx = Receiver::start().await;
    rx.hold_first();
    let secret = new_secret();

    let verifier =
        TokenVerifier::new(&Settings::default(), Some(&SecretString::from(SECRET))).unwrap();
    let token = |sub: &str, role: &str| {
        verifier
            .mint(TENANT, sub, &[role.to_owned()], chrono::Duration::hours(1))
            .unwrap()
    };
    let (admin, agent) = (token("alice-admin", "admin"), token("refund-bot", "agent"));
    let client = reqwest::Client::new();

    let mut a = ServerProcess::start(&db.url, &env).await;
    data_at(
        &client,
        &a.base,
        &admin,
        CREATE_WORKFLOW,
        json!({ "input": { "key": "refunds", "name": "Refunds", "policy": refund_policy() } }),
    )
    .await;
    let input = json!({ "url": rx.url(), "signingSecret": secret, "maxAttempts": 5 });
    data_at(
        &client,
        &a.base,
        &admin,
        SET_WEBHOOK,
        json!({ "key": "refunds", "input": input }),
    )
    .await;
    let out = data_at(
        &client,
        &a.base,
        &agent,
        SUBMIT,
        json!({ "input": refund("refunds", "killed-1", "20.00") }),
    )
    .await;
    let id = out["submitAction"]["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A has sent it and waits for an answer that never comes.
    eventually("replica A's delivery to arrive", || async {
        (rx.all().len() == 1).then_some(())
    })
    .await;
    let held = data_at(&client, &a.base, &admin, EXEC_REQUEST, json!({ "id": id })).await;
    let d = &held["approvalRequest"]["deliveries"][0];
    assert_eq!(d["status"], "PENDING", "{held}");
    assert_eq!(d["attempts"], 1, "the claim counted the attempt");
    a.kill();

    let b = ServerProcess::start(
        &db.url,
        &[&env[..], &[("COUNTERSIGN_MIGRATE", "false")]].concat(),
    )
    .await;
    let r = eventually("replica B to deliver it", || {
        let (client, b, admin, id) = (&client, &b, &admin, &id);
        async move {
            let r = data_at(client, &b.base, admin, EXEC_REQUEST, json!({ "id": id })).await;
            let r = r["approvalRequest"].clone();
            (r["status"] == "EXECUTED").then_some(r)
        }
    })
    .await;

    let got = rx.all();
    assert_eq!(got.len(), 2, "A's attempt, then B's: {got:?}");
    assert_eq!(got[0].id, got[1].id, "the same webhook-id");
    assert_eq!(got[0].body, got[1].body);
    assert!(got.iter().all(|d| verify(&secret, d)));
    let waited = got[1].at - got[0].at;
    assert!(
        waited >= Duration::from_millis(LEASE_MS - 1_000),
        "B waited for A's lease: {waited:?}"
    );
    let attempted = events_of(&r["history"], "WEBHOOK_ATTEMPTED");
    assert_eq!(attempted.len(), 1, "A died before recording: {attempted:?}");
    assert_eq!(attempted[0]["data"]["attempt"], 2);
    assert_eq!(attempted[0]["data"]["statusCode"], 204);
    assert_eq!(
        events_of(&r["history"], "EXECUTION_REPORTED").len(),
        1,
        "exactly once"
    );
    assert_eq!(r["deliveries"][0]["status"], "DELIVERED");
    assert_eq!(r["deliveries"][0]["attempts"], 2);
    let auditor = token("audrey-auditor", "auditor");
    let v = data_at(&client, &b.base, &auditor, VERIFY, json!({})).await;
    assert_eq!(v["verifyAuditChain"]["ok"], true, "{v}");

    drop(b);
    drop(a);
    db.drop_database().await;
}

/// A lease no longer than the attempt timeout could let two replicas send one delivery at the
/// same time: refused at start, naming the setting, before the database is touched.
#[test]
fn a_lease_not_longer_than_the_timeout_is_refused_at_start() {
    let dir = std::env::temp_dir().join("countersign-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.db", Uuid::now_v7().simple()));
    let out = std::process::Command::new(countersign_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("COUNTERSIGN_CONFIG")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", file.display()),
        )
        .env("COUNTERSIGN_JWT_SECRET", SECRET)
        .env("COUNTERSIGN_WEBHOOK_TIMEOUT_MS", "5000")
        .env("COUNTERSIGN_WEBHOOK_LEASE_MS", "5000")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("COUNTERSIGN_WEBHOOK_LEASE_MS"), "{stderr}");
    assert!(!file.exists(), "refused before the database was touched");
}
