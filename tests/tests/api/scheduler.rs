//! Policy point 7 and invariant 7: the scheduler escalates overdue steps to the policy's
//! `escalation.toRole` (once, the original role keeping its right) and expires pending requests
//! past `expireAfter` as EXPIRED, never REJECTED or APPROVED; with two replicas on one PostgreSQL
//! each due item is acted on exactly once. Timing is driven by short policy durations and by
//! polling the API for the audit event, never by sleeping in its place.

use std::collections::HashMap;
use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use countersign::auth::TokenVerifier;
use countersign::config::Settings;
use countersign::domain::timeouts::{escalate_due, expire_due};
use countersign::store::now;
use countersign_entity::approval_step;
use countersign_tests::{
    PgDatabase, SECRET, ServerProcess, TestApp, countersign_bin, eventually, post_graphql,
};
use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::*;

countersign_tests::db_tests!(
    fast_scheduler;
    overdue_step_is_escalated_once_and_the_escalation_role_may_decide,
    invariant_7_expired_request_is_expired_never_rejected,
    escalation_applies_to_later_steps_when_they_open,
);

countersign_tests::db_tests!(
    no_scheduler;
    timeouts_act_once_on_each_due_item_when_called_directly,
);

/// The background scheduler ticking every 100 ms.
fn fast_scheduler(settings: &mut Settings) {
    settings.scheduler_interval_ms = 100;
}

/// No background scheduler: the test calls the timeout functions itself.
fn no_scheduler(settings: &mut Settings) {
    settings.scheduler_enabled = false;
}

const REQUEST_TIMES: &str = "query($id: ID!) { approvalRequest(id: $id) { id status version currentStep dueAt expiresAt submittedAt decidedAt reasonCode steps { index role status dueAt escalatedTo } decisions { actor decision step } history { seq type actor workflowKey requestId data } } }";

const AUDIT_LOG: &str = "query($filter: AuditFilter) { auditLog(filter: $filter, first: 500) { edges { node { seq type actor workflowKey requestId data prevHash hash } } pageInfo { hasNextPage } } }";

const VERIFY: &str = "{ verifyAuditChain { ok checked firstBrokenSeq } }";

const QUEUE: &str = "{ approvalQueue(first: 500) { edges { node { id } } } }";

fn escalating_policy(sla: &str) -> Value {
    json!({
        "rules": [],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_agent", "sla": sla } ] },
        "escalation": { "after": "PT1H", "toRole": "support_manager" }
    })
}

fn auditor(app: &TestApp) -> String {
    app.token(TENANT, "audrey-auditor", &["auditor"])
}

async fn request_times(app: &TestApp, id: &str) -> Value {
    app.data(&admin(app), REQUEST_TIMES, json!({ "id": id }))
        .await["approvalRequest"]
        .clone()
}

/// Audit events matching `filter` (one page of up to 500).
async fn audit_log(app: &TestApp, filter: Value) -> Vec<Value> {
    let data = app
        .data(&auditor(app), AUDIT_LOG, json!({ "filter": filter }))
        .await;
    events_of(&data)
}

fn events_of(data: &Value) -> Vec<Value> {
    assert_eq!(data["auditLog"]["pageInfo"]["hasNextPage"], false);
    data["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Polls the audit log until `request_id` has an event of type `kind`; returns those events.
async fn wait_for_event(app: &TestApp, request_id: &str, kind: &str) -> Vec<Value> {
    let filter = json!({ "requestId": request_id, "types": [kind] });
    eventually(&format!("{kind} of request {request_id}"), || async {
        let events = audit_log(app, filter.clone()).await;
        (!events.is_empty()).then_some(events)
    })
    .await
}

async fn queue_ids(app: &TestApp, token: &str) -> Vec<String> {
    app.data(token, QUEUE, json!({})).await["approvalQueue"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

fn types_of(history: &Value) -> Vec<String> {
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

fn approve(id: &str) -> Value {
    json!({ "input": { "requestId": id, "decision": "APPROVE" } })
}

async fn overdue_step_is_escalated_once_and_the_escalation_role_may_decide(app: &TestApp) {
    create_workflow(app, "support", escalating_policy("PT2S")).await;
    let out = submit(app, refund("support", "esc-1", "200.00")).await;
    let id = out["request"]["id"].as_str().unwrap().to_owned();
    let due = time(&out["request"]["steps"][0]["dueAt"]);
    let manager = app.token(TENANT, "mia", &["support_manager"]);
    let rita = app.token(TENANT, "rita", &["support_agent"]);

    // Before the step is due the escalation role has no say.
    assert_eq!(
        app.error_code(&manager, DECIDE, approve(&id)).await,
        "FORBIDDEN"
    );
    assert!(!queue_ids(app, &manager).await.contains(&id));
    let before = request_times(app, &id).await;
    assert_eq!(
        before["steps"][0]["escalatedTo"],
        json!(null),
        "the refusal above came before the escalation: {before}"
    );

    let escalated = wait_for_event(app, &id, "REQUEST_ESCALATED").await;
    assert_eq!(escalated.len(), 1, "{escalated:?}");
    let event = &escalated[0];
    assert_eq!(event["actor"], "system");
    assert_eq!(event["workflowKey"], "support");
    assert_eq!(event["requestId"], json!(id));
    assert_eq!(event["data"]["step"], 0);
    assert_eq!(event["data"]["role"], "support_agent");
    assert_eq!(event["data"]["toRole"], "support_manager");
    assert_eq!(time(&event["data"]["dueAt"]), due);

    let r = request_times(app, &id).await;
    assert_eq!(r["status"], "PENDING");
    assert_eq!(r["version"], 2, "the escalation moves the version on");
    assert_eq!(r["steps"][0]["status"], "OPEN");
    assert_eq!(r["steps"][0]["escalatedTo"], "support_manager");
    let step = approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(Uuid::parse_str(&id).unwrap()))
        .one(app.state.store.db())
        .await
        .unwrap()
        .unwrap();
    let escalated_at = step.escalated_at.expect("escalated_at is recorded");
    assert!(
        escalated_at >= due,
        "escalated at {escalated_at}, due {due}"
    );
    assert!(queue_ids(app, &manager).await.contains(&id));
    assert!(
        queue_ids(app, &rita).await.contains(&id),
        "the original role keeps the request in its queue"
    );

    // A second request, overdue later: once it is escalated, the scheduler has passed over the
    // first one again without escalating it a second time.
    create_workflow(app, "support-fast", escalating_policy("PT0.2S")).await;
    let later = submit(app, refund("support-fast", "esc-2", "200.00")).await;
    let later_id = later["request"]["id"].as_str().unwrap().to_owned();
    wait_for_event(app, &later_id, "REQUEST_ESCALATED").await;
    let all = audit_log(app, json!({ "types": ["REQUEST_ESCALATED"] })).await;
    let per_request = |rid: &str| all.iter().filter(|e| e["requestId"] == json!(rid)).count();
    assert_eq!(per_request(&id), 1, "escalated once: {all:?}");
    assert_eq!(per_request(&later_id), 1, "{all:?}");

    // The escalation role decides the first; the original role still decides the second.
    let r = decide(
        app,
        &manager,
        json!({ "requestId": id, "decision": "APPROVE", "expectedVersion": 2 }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(r["decisions"][0]["actor"], "mia");
    let r = decide(
        app,
        &rita,
        json!({ "requestId": later_id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(r["decisions"][0]["actor"], "rita");

    let history = request_times(app, &id).await["history"].clone();
    assert_eq!(
        types_of(&history),
        [
            "REQUEST_SUBMITTED",
            "STEP_OPENED",
            "REQUEST_ESCALATED",
            "STEP_APPROVED",
            "REQUEST_APPROVED"
        ]
    );
    let v = app.data(&auditor(app), VERIFY, json!({})).await;
    assert_eq!(v["verifyAuditChain"]["ok"], true, "{v}");
}

async fn invariant_7_expired_request_is_expired_never_rejected(app: &TestApp) {
    create_workflow(
        app,
        "invoices",
        json!({
            "rules": [],
            "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" }, { "role": "finance" } ] },
            "expireAfter": "PT0.5S"
        }),
    )
    .await;
    let out = submit(app, refund("invoices", "exp-1", "900.00")).await;
    let id = out["request"]["id"].as_str().unwrap().to_owned();
    let submitted = request_times(app, &id).await;
    assert_eq!(submitted["status"], "PENDING");
    let expires_at = time(&submitted["expiresAt"]);
    assert_eq!(
        expires_at - time(&submitted["submittedAt"]),
        Duration::milliseconds(500)
    );

    let expired = wait_for_event(app, &id, "REQUEST_EXPIRED").await;
    assert_eq!(expired.len(), 1, "{expired:?}");
    let event = &expired[0];
    assert_eq!(event["actor"], "system");
    assert_eq!(event["workflowKey"], "invoices");
    assert_eq!(event["data"]["openStep"], 0);
    assert_eq!(time(&event["data"]["expiredAt"]), expires_at);
    assert_eq!(
        time(&event["data"]["submittedAt"]),
        time(&submitted["submittedAt"])
    );

    let r = request_times(app, &id).await;
    assert_eq!(r["status"], "EXPIRED", "{r}");
    assert_eq!(r["version"], 2);
    assert_eq!(r["decidedAt"], json!(null), "nobody decided");
    assert_eq!(r["reasonCode"], json!(null));
    assert_eq!(r["currentStep"], json!(null));
    assert_eq!(r["dueAt"], json!(null));
    assert_eq!(r["decisions"], json!([]));
    let statuses: Vec<&str> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["SKIPPED", "SKIPPED"]);
    let types = types_of(&r["history"]);
    assert_eq!(
        types,
        ["REQUEST_SUBMITTED", "STEP_OPENED", "REQUEST_EXPIRED"]
    );

    // Too late for anyone: neither an approval nor a rejection lands.
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    assert_eq!(
        app.error_code(&rita, DECIDE, approve(&id)).await,
        "CONFLICT"
    );
    let reject =
        json!({ "input": { "requestId": id, "decision": "REJECT", "reasonCode": "late" } });
    assert_eq!(app.error_code(&rita, DECIDE, reject).await, "CONFLICT");
    assert!(!queue_ids(app, &rita).await.contains(&id));
    let r = request_times(app, &id).await;
    assert_eq!(r["status"], "EXPIRED");
    assert_eq!(types_of(&r["history"]).len(), 3);

    let v = app.data(&auditor(app), VERIFY, json!({})).await;
    assert_eq!(v["verifyAuditChain"]["ok"], true, "{v}");
}

async fn escalation_applies_to_later_steps_when_they_open(app: &TestApp) {
    create_workflow(
        app,
        "payments",
        json!({
            "rules": [],
            "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" }, { "role": "finance", "sla": "PT2S" } ] },
            "escalation": { "after": "PT1H", "toRole": "finance_manager" }
        }),
    )
    .await;
    let out = submit(app, refund("payments", "pay-1", "900.00")).await;
    let id = out["request"]["id"].as_str().unwrap().to_owned();
    let steps = &out["request"]["steps"];
    assert_eq!(steps[0]["status"], "OPEN");
    assert!(
        steps[0]["dueAt"].is_string(),
        "escalation.after gives step 0 a due time"
    );
    assert_eq!(steps[1]["status"], "WAITING");
    assert_eq!(steps[1]["dueAt"], json!(null), "a waiting step is not due");

    // Whatever the clock says, a waiting step is never escalated, and step 0 is not due for an
    // hour.
    let store = &app.state.store;
    assert_eq!(
        escalate_due(store, now() + Duration::minutes(10), 200)
            .await
            .unwrap(),
        0
    );

    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let fm = app.token(TENANT, "fiona-fm", &["finance_manager"]);
    let r = decide(
        app,
        &rita,
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["currentStep"], 1);
    let opened = request_times(app, &id).await;
    let due = time(&opened["steps"][1]["dueAt"]);
    assert_eq!(opened["dueAt"], opened["steps"][1]["dueAt"]);

    // Step 1 just opened: not yet overdue, the escalation role may not decide.
    assert_eq!(app.error_code(&fm, DECIDE, approve(&id)).await, "FORBIDDEN");
    let before = request_times(app, &id).await;
    assert_eq!(before["steps"][1]["escalatedTo"], json!(null), "{before}");

    let escalated = wait_for_event(app, &id, "REQUEST_ESCALATED").await;
    assert_eq!(escalated.len(), 1, "{escalated:?}");
    assert_eq!(escalated[0]["actor"], "system");
    assert_eq!(escalated[0]["data"]["step"], 1);
    assert_eq!(escalated[0]["data"]["role"], "finance");
    assert_eq!(escalated[0]["data"]["toRole"], "finance_manager");
    assert_eq!(time(&escalated[0]["data"]["dueAt"]), due);

    let r = request_times(app, &id).await;
    assert_eq!(
        r["steps"][0]["escalatedTo"],
        json!(null),
        "step 0 was never overdue"
    );
    assert_eq!(r["steps"][1]["escalatedTo"], "finance_manager");
    let r = decide(app, &fm, json!({ "requestId": id, "decision": "APPROVE" })).await;
    assert_eq!(r["status"], "APPROVED");
    let types = types_of(&request_times(app, &id).await["history"]);
    assert_eq!(
        types,
        [
            "REQUEST_SUBMITTED",
            "STEP_OPENED",
            "STEP_APPROVED",
            "STEP_OPENED",
            "REQUEST_ESCALATED",
            "STEP_APPROVED",
            "REQUEST_APPROVED"
        ]
    );
}

async fn timeouts_act_once_on_each_due_item_when_called_directly(app: &TestApp) {
    let mut escalating = escalating_policy("PT1H");
    escalating["expireAfter"] = json!("P1D");
    create_workflow(app, "esc", escalating).await;
    create_workflow(
        app,
        "plain",
        json!({
            "rules": [],
            "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] },
            "expireAfter": "P2D"
        }),
    )
    .await;
    let mut esc = Vec::new();
    for i in 0..3 {
        let out = submit(app, refund("esc", &format!("esc-{i}"), "200.00")).await;
        esc.push(out["request"]["id"].as_str().unwrap().to_owned());
    }
    let plain = submit(app, refund("plain", "plain-1", "200.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = submit(app, refund("esc", "esc-done", "200.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    decide(
        app,
        &rita,
        json!({ "requestId": done, "decision": "APPROVE" }),
    )
    .await;

    let store = &app.state.store;
    let t0 = now();
    let at = |minutes: i64| t0 + Duration::minutes(minutes);

    // Nothing is due yet.
    assert_eq!(escalate_due(store, at(30), 200).await.unwrap(), 0);
    assert_eq!(expire_due(store, at(30), 200).await.unwrap(), 0);

    // Past the SLA: the three open steps with an escalation role, a batch at a time, once.
    assert_eq!(escalate_due(store, at(61), 2).await.unwrap(), 2);
    assert_eq!(escalate_due(store, at(61), 200).await.unwrap(), 1);
    assert_eq!(escalate_due(store, at(61), 200).await.unwrap(), 0);
    assert_eq!(escalate_due(store, at(600), 200).await.unwrap(), 0);
    for id in &esc {
        let r = request_times(app, id).await;
        assert_eq!(r["steps"][0]["escalatedTo"], "support_manager", "{r}");
        assert_eq!(r["version"], 2, "{r}");
    }
    for id in [&plain, &done] {
        let r = request_times(app, id).await;
        assert_eq!(r["steps"][0]["escalatedTo"], json!(null), "{r}");
    }
    let escalated = audit_log(app, json!({ "types": ["REQUEST_ESCALATED"] })).await;
    assert_eq!(escalated.len(), 3);
    assert!(escalated.iter().all(|e| e["actor"] == "system"));

    // Past expireAfter of the first workflow, then of the second; decided requests stay decided.
    assert_eq!(expire_due(store, at(23 * 60), 200).await.unwrap(), 0);
    assert_eq!(expire_due(store, at(25 * 60), 200).await.unwrap(), 3);
    assert_eq!(expire_due(store, at(25 * 60), 200).await.unwrap(), 0);
    assert_eq!(expire_due(store, at(49 * 60), 1).await.unwrap(), 1);
    assert_eq!(expire_due(store, at(49 * 60), 200).await.unwrap(), 0);
    assert_eq!(escalate_due(store, at(49 * 60), 200).await.unwrap(), 0);
    for id in esc.iter().chain([&plain]) {
        let r = request_times(app, id).await;
        assert_eq!(r["status"], "EXPIRED", "{r}");
        assert_eq!(r["steps"][0]["status"], "SKIPPED", "{r}");
    }
    assert_eq!(request_times(app, &done).await["status"], "APPROVED");
    let expired = audit_log(app, json!({ "types": ["REQUEST_EXPIRED"] })).await;
    assert_eq!(expired.len(), 4);
    assert!(expired.iter().all(|e| e["actor"] == "system"));

    let all = audit_log(app, json!(null)).await;
    let n = all.len() as i64;
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
    let v = app.data(&auditor(app), VERIFY, json!({})).await;
    assert_eq!(v["verifyAuditChain"]["ok"], true, "{v}");
    assert_eq!(v["verifyAuditChain"]["checked"], n);
}

#[test]
fn zero_scheduler_interval_is_refused_at_start() {
    let dir = std::env::temp_dir().join("countersign-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.db", Uuid::now_v7().simple()));
    let out = Command::new(countersign_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("COUNTERSIGN_CONFIG")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", file.display()),
        )
        .env("COUNTERSIGN_JWT_SECRET", SECRET)
        .env("COUNTERSIGN_SCHEDULER_INTERVAL_MS", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("COUNTERSIGN_SCHEDULER_INTERVAL_MS"),
        "the error names the setting: {stderr}"
    );
    assert!(!file.exists(), "refused before the database was touched");
}

/// Posts an operation that must succeed to the server at `base`; returns `data`.
async fn data_at(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
    vars: Value,
) -> Value {
    let body = post_graphql(client, base, token, query, vars).await;
    assert!(
        body.get("errors").is_none(),
        "unexpected errors from {base}: {body}"
    );
    body["data"].clone()
}

/// Two real `countersign serve` processes on one fresh PostgreSQL database, each running the
/// scheduler every 50 ms: every due step is escalated once and every request expired once.
/// PostgreSQL only (replicas share a database there); skipped when `TEST_DATABASE_URL` is unset.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_act_on_each_due_item_exactly_once() {
    // Built (when stale) before the clock starts: a build is not the scenario's time.
    countersign_tests::countersign_bin();
    // Built (when stale) before the clock starts: a build is not the scenario's time.
    countersign_tests::countersign_bin();
    countersign_tests::bounded(two_replicas_act_on_each_due_item_exactly_once_scenario()).await;
}

async fn two_replicas_act_on_each_due_item_exactly_once_scenario() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let fast = ("COUNTERSIGN_SCHEDULER_INTERVAL_MS", "50");
    // Each replica logs what it escalated and expired, so the split between them shows.
    let log = ("RUST_LOG", "warn,countersign::domain::timeouts=info");
    let a = ServerProcess::start(&db.url, &[fast, log]).await;
    // One migration run, as in production: the second replica starts on the migrated schema.
    let b = ServerProcess::start(&db.url, &[fast, log, ("COUNTERSIGN_MIGRATE", "false")]).await;
    let replicas = [a.base.as_str(), b.base.as_str()];

    let secret = SecretString::from(SECRET);
    let verifier = TokenVerifier::new(&Settings::default(), Some(&secret)).unwrap();
    let token = |sub: &str, role: &str| {
        verifier
            .mint(TENANT, sub, &[role.to_owned()], Duration::hours(1))
            .unwrap()
    };
    let admin = token("alice-admin", "admin");
    let agent = token("refund-bot", "agent");
    let auditor = token("audrey-auditor", "auditor");
    let client = reqwest::Client::new();

    let mut policy = escalating_policy("PT0.3S");
    policy["expireAfter"] = json!("PT1.5S");
    data_at(
        &client,
        replicas[0],
        &admin,
        CREATE_WORKFLOW,
        json!({ "input": { "key": "replicated", "name": "Replicated", "policy": policy } }),
    )
    .await;

    const N: usize = 30;
    let submissions = (0..N).map(|i| {
        data_at(
            &client,
            replicas[i % 2],
            &agent,
            SUBMIT,
            json!({ "input": refund("replicated", &format!("rep-{i}"), "200.00") }),
        )
    });
    let ids: Vec<String> = join_all(submissions)
        .await
        .iter()
        .map(|d| {
            d["submitAction"]["request"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();

    let events = eventually("every request to expire", || async {
        let all = events_of(&data_at(&client, replicas[1], &auditor, AUDIT_LOG, json!({})).await);
        let expired = all
            .iter()
            .filter(|e| e["type"] == "REQUEST_EXPIRED")
            .count();
        (expired >= N).then_some(all)
    })
    .await;

    let mut per_request: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    for e in &events {
        if let Some(rid) = e["requestId"].as_str() {
            *per_request
                .entry(rid)
                .or_default()
                .entry(e["type"].as_str().unwrap())
                .or_default() += 1;
        }
    }
    for id in &ids {
        let counts = &per_request[id.as_str()];
        assert_eq!(
            counts.get("REQUEST_ESCALATED"),
            Some(&1),
            "{id}: {counts:?}"
        );
        assert_eq!(counts.get("REQUEST_EXPIRED"), Some(&1), "{id}: {counts:?}");
        assert_eq!(counts.get("REQUEST_REJECTED"), None, "{id}: {counts:?}");
    }
    for e in events
        .iter()
        .filter(|e| e["type"] == "REQUEST_ESCALATED" || e["type"] == "REQUEST_EXPIRED")
    {
        assert_eq!(e["actor"], "system", "{e}");
    }
    let n = events.len() as i64;
    assert_eq!(
        n,
        1 + 4 * N as i64,
        "workflow created, then submitted, opened, escalated and expired for each request"
    );
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "seq is gap-free");
    for pair in events.windows(2) {
        assert_eq!(pair[1]["prevHash"], pair[0]["hash"]);
    }
    for base in replicas {
        let v = data_at(&client, base, &auditor, VERIFY, json!({})).await;
        assert_eq!(v["verifyAuditChain"]["ok"], true, "{base}: {v}");
        assert_eq!(v["verifyAuditChain"]["checked"], n, "{base}: {v}");
    }
    for (i, id) in ids.iter().enumerate() {
        let r = data_at(
            &client,
            replicas[i % 2],
            &admin,
            REQUEST_TIMES,
            json!({ "id": id }),
        )
        .await;
        let r = &r["approvalRequest"];
        assert_eq!(r["status"], "EXPIRED", "{r}");
        assert_eq!(r["version"], 3, "escalated, then expired: {r}");
        assert_eq!(r["steps"][0]["status"], "SKIPPED", "{r}");
        assert_eq!(r["steps"][0]["escalatedTo"], "support_manager", "{r}");
    }
    // An item left to the other replica is skipped, not failed: neither logged an error (a
    // deadlock, a lost race surfacing as a failed transaction).
    for server in [&a, &b] {
        let log = server.log_text();
        assert!(
            !log.contains("ERROR"),
            "{} logged errors:\n{log}",
            server.base
        );
        eprintln!(
            "replica {}: {} escalations, {} expiries",
            server.base,
            log.matches("overdue step escalated").count(),
            log.matches("pending request expired").count()
        );
    }

    drop(a);
    drop(b);
    db.drop_database().await;
}
