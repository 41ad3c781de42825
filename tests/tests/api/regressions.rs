//! What held under attack and must keep holding: no acknowledged submission is lost when the
//! server is killed with SIGKILL mid-load (on SQLite and PostgreSQL), sixteen racing approvals
//! of the last slot produce exactly one winner (with and without a version check), and no
//! operation of the API, read or write, given another tenant's ids and keys, reads or changes
//! anything of that tenant.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use countersign_tests::{PgDatabase, ServerProcess, TestApp, countersign_bin, eventually};
use futures::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::*;

countersign_tests::db_tests!(
    invariant_5_sixteen_racing_approvals_of_the_last_slot_give_one_winner,
    invariant_4_no_operation_reads_or_changes_another_tenants_rows,
);

const RACERS: usize = 16;

/// Sixteen distinct eligible reviewers approve the one slot of a request at once: one APPROVED
/// transition, one decision, one STEP_APPROVED and one REQUEST_APPROVED event; the fifteen others get CONFLICT. Run
/// with the version check (`expectedVersion`) and without it (the row lock alone decides).
async fn invariant_5_sixteen_racing_approvals_of_the_last_slot_give_one_winner(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let reviewers: Vec<String> = (0..RACERS)
        .map(|i| app.token(TENANT, &format!("racer-{i}"), &["support_agent"]))
        .collect();
    let mut decisions = 0;
    for (key, expected_version) in [("race-versioned", Some(1)), ("race-unversioned", None)] {
        let out = submit(app, refund("refunds", key, "120")).await;
        let id = out["request"]["id"].as_str().unwrap().to_owned();
        assert_eq!(out["request"]["status"], "PENDING");
        let results = join_all(reviewers.iter().map(|token| {
            let mut input = json!({ "requestId": id, "decision": "APPROVE" });
            if let Some(v) = expected_version {
                input["expectedVersion"] = json!(v);
            }
            async move { app.gql(token, DECIDE, json!({ "input": input })).await }
        }))
        .await;
        let winners: Vec<&Value> = results
            .iter()
            .filter(|b| b.get("errors").is_none())
            .collect();
        assert_eq!(winners.len(), 1, "{key}: exactly one winner: {results:?}");
        assert_eq!(winners[0]["data"]["decide"]["status"], "APPROVED");
        let codes: Vec<&Value> = results
            .iter()
            .filter(|b| b.get("errors").is_some())
            .map(|b| &b["errors"][0]["extensions"]["code"])
            .collect();
        assert_eq!(codes.len(), RACERS - 1);
        assert!(
            codes.iter().all(|c| *c == "CONFLICT"),
            "{key}: every other racer gets CONFLICT: {codes:?}"
        );
        let types = audit_types(app, &id).await;
        assert_eq!(
            types.iter().filter(|t| *t == "REQUEST_APPROVED").count(),
            1,
            "{key}: {types:?}"
        );
        assert_eq!(
            types.iter().filter(|t| *t == "STEP_APPROVED").count(),
            1,
            "{key}: {types:?}"
        );
        let r = request(app, &admin(app), &id).await;
        assert_eq!(r["status"], "APPROVED");
        assert_eq!(r["decisions"].as_array().unwrap().len(), 1, "{r}");
        decisions += 1;
        assert_eq!(app.count("decisions").await, decisions);
    }
}

// ---------------------------------------------------------------------------------------------
// Every operation against another tenant's ids.

const ACME_NAME: &str = "Acme Confidential Payouts";
const ACME_NOTE: &str = "acme-private-note-7f3a";
const ACME_BOT: &str = "acme-payout-bot";

/// An acme request in the `acme-only` workflow, submitted by its own bot with a private note.
async fn acme_submit(app: &TestApp, key: &str, amount: &str) -> String {
    let mut input = refund("acme-only", key, amount);
    input["action"]["note"] = json!(ACME_NOTE);
    let token = app.token(TENANT, ACME_BOT, &["agent"]);
    let body = app.data(&token, SUBMIT, json!({ "input": input })).await;
    body["submitAction"]["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Acme's state as its own auditor sees it: the audit head, its length, and each request.
async fn acme_state(app: &TestApp, ids: &[&str]) -> Value {
    let auditor = app.token(TENANT, "acme-auditor", &["auditor", "admin"]);
    let chain = app
        .data(
            &auditor,
            "{ verifyAuditChain { ok checked headHash } }",
            json!({}),
        )
        .await;
    let mut requests = Vec::new();
    for id in ids {
        requests.push(
            app.data(
                &auditor,
                "query($id: ID!) { approvalRequest(id: $id) { status version decisions { actor } } }",
                json!({ "id": id }),
            )
            .await,
        );
    }
    let wf = app
        .data(
            &auditor,
            "{ workflow(key: \"acme-only\") { mode executionWebhookUrl activePolicy { version } policies { version status } } }",
            json!({}),
        )
        .await;
    json!({ "chain": chain, "requests": requests, "workflow": wf })
}

/// A globex principal holding every role runs every query, mutation and export of the API with
/// acme's request ids, workflow key, policy versions and API key id: no answer carries anything
/// of acme's (its workflow name, its action's note, its bot, its request ids, its audit hashes),
/// every write is refused, and acme's state (audit chain head, requests, workflow, policies) is
/// exactly as before.
async fn invariant_4_no_operation_reads_or_changes_another_tenants_rows(app: &TestApp) {
    // acme: a workflow only it has, a pending HUMAN request, an APPROVED one, an EXECUTED one,
    // a proposed policy version, an API key.
    let acme_admin = app.token(TENANT, "acme-admin", &["admin"]);
    app.data(
        &acme_admin,
        CREATE_WORKFLOW,
        json!({ "input": { "key": "acme-only", "name": ACME_NAME, "policy": refund_policy() } }),
    )
    .await;
    let pending = acme_submit(app, "acme-1", "120").await;
    let approved = acme_submit(app, "acme-2", "20").await;
    let executed = acme_submit(app, "acme-3", "20").await;
    let bot = app.token(TENANT, ACME_BOT, &["agent"]);
    app.data(
        &bot,
        "mutation($input: ReportExecutionInput!) { reportExecution(input: $input) { status } }",
        json!({ "input": { "requestId": executed, "success": true, "externalRef": "acme-ref" } }),
    )
    .await;
    app.data(
        &acme_admin,
        "mutation($policy: JSON!) { proposePolicy(workflowKey: \"acme-only\", policy: $policy) { version } }",
        json!({ "policy": refund_policy() }),
    )
    .await;
    let key = app
        .data(
            &acme_admin,
            "mutation { createApiKey(principal: \"acme-key-bot\", roles: [\"agent\"]) { id } }",
            json!({}),
        )
        .await;
    let key_id = key["createApiKey"]["id"].as_str().unwrap().to_owned();
    let ids = [pending.as_str(), approved.as_str(), executed.as_str()];
    let before = acme_state(app, &ids).await;
    let acme_head = before["chain"]["verifyAuditChain"]["headHash"]
        .as_str()
        .unwrap()
        .to_owned();

    // globex: its own workflow and one request, so lists are not trivially empty.
    let intruder = app.token(
        "globex",
        "intruder",
        &[
            "admin",
            "auditor",
            "agent",
            "support_agent",
            "finance",
            "qa_reviewer",
        ],
    );
    app.data(
        &intruder,
        CREATE_WORKFLOW,
        json!({ "input": { "key": "globex-wf", "name": "Globex", "policy": refund_policy() } }),
    )
    .await;
    app.data(
        &intruder,
        SUBMIT,
        json!({ "input": refund("globex-wf", "g-1", "120") }),
    )
    .await;

    let secret = format!("whsec_{}", "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=");
    let action = refund("acme-only", "intruder-1", "20");
    let ops: Vec<(&str, Value)> = vec![
        ("{ workflow(key: \"acme-only\") { key name } }", json!({})),
        ("{ workflows { key name } }", json!({})),
        (
            "query($id: ID!) { approvalRequest(id: $id) { id title action } }",
            json!({ "id": pending }),
        ),
        (
            "query($id: ID!) { approvalRequest(id: $id) { id title action } }",
            json!({ "id": approved }),
        ),
        (
            "query($id: ID!) { approvalRequest(id: $id) { id title action } }",
            json!({ "id": executed }),
        ),
        (
            "{ approvalQueue(workflowKey: \"acme-only\") { totalCount edges { node { id title } } } }",
            json!({}),
        ),
        (
            "{ approvalQueue { totalCount edges { node { id title } } } }",
            json!({}),
        ),
        (
            "{ approvalRequests(filter: { workflowKey: \"acme-only\" }) { totalCount edges { node { id } } } }",
            json!({}),
        ),
        (
            "{ approvalRequests { totalCount edges { node { id title submittedBy } } } }",
            json!({}),
        ),
        (
            "{ sampleQueue(workflowKey: \"acme-only\") { totalCount edges { node { id } } } }",
            json!({}),
        ),
        (
            "{ sampleQueue { totalCount edges { node { id } } } }",
            json!({}),
        ),
        (
            "query($id: ID!) { auditLog(filter: { requestId: $id }) { edges { node { seq hash data } } } }",
            json!({ "id": pending }),
        ),
        (
            "{ auditLog(filter: { workflowKey: \"acme-only\" }) { edges { node { seq hash data } } } }",
            json!({}),
        ),
        (
            "{ auditLog(first: 500) { edges { node { seq hash actor data requestId } } } }",
            json!({}),
        ),
        (
            "{ analytics(filter: { workflowKeys: [\"acme-only\"] }) { totals { submitted } byWorkflow { workflowKey } } }",
            json!({}),
        ),
        (
            "{ analytics { totals { submitted } byWorkflow { workflowKey } } }",
            json!({}),
        ),
        ("{ verifyAuditChain { ok checked headHash } }", json!({})),
        (
            "query($a: [SubmitActionInput!]!) { simulatePolicy(workflowKey: \"acme-only\", actions: $a) { route matchedRule } }",
            json!({ "a": [action.clone()] }),
        ),
        (
            "query($p: JSON!) { backtestPolicy(workflowKey: \"acme-only\", policy: $p) { total changed } }",
            json!({ "p": refund_policy() }),
        ),
        (
            "mutation($id: ID!) { decide(input: { requestId: $id, decision: APPROVE }) { id status } }",
            json!({ "id": pending }),
        ),
        (
            "mutation($id: ID!) { decide(input: { requestId: $id, decision: REJECT, reasonCode: \"x\" }) { id status } }",
            json!({ "id": pending }),
        ),
        (
            "mutation($id: ID!) { decideMany(inputs: [{ requestId: $id, decision: APPROVE }]) { error { code } request { id } } }",
            json!({ "id": pending }),
        ),
        (
            "mutation($id: ID!) { cancelRequest(id: $id, reason: \"mine now\") { id status } }",
            json!({ "id": pending }),
        ),
        (
            "mutation($id: ID!) { reviewSample(id: $id, verdict: INCORRECT, reasonCode: \"x\") { id } }",
            json!({ "id": executed }),
        ),
        (
            "mutation($id: ID!) { reportExecution(input: { requestId: $id, success: false, error: \"x\" }) { id status } }",
            json!({ "id": approved }),
        ),
        (
            "mutation($id: ID!) { rollbackAction(id: $id, reason: \"x\") { id status } }",
            json!({ "id": executed }),
        ),
        (
            "mutation { setWorkflowMode(workflowKey: \"acme-only\", mode: PAUSED, reason: \"x\") { key mode } }",
            json!({}),
        ),
        (
            "mutation($p: JSON!) { proposePolicy(workflowKey: \"acme-only\", policy: $p) { version } }",
            json!({ "p": refund_policy() }),
        ),
        (
            "mutation { activatePolicy(workflowKey: \"acme-only\", version: 2) { version status } }",
            json!({}),
        ),
        (
            "mutation { declinePolicy(workflowKey: \"acme-only\", version: 2, reason: \"x\") { version } }",
            json!({}),
        ),
        (
            "mutation { rollbackPolicy(workflowKey: \"acme-only\", toVersion: 1, reason: \"x\") { version } }",
            json!({}),
        ),
        (
            "mutation($s: String!) { setExecutionWebhook(workflowKey: \"acme-only\", input: { url: \"https://hooks.example.com/x\", signingSecret: $s }) { key } }",
            json!({ "s": secret }),
        ),
        (
            "mutation { setExecutionWebhook(workflowKey: \"acme-only\", input: null) { key } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { revokeApiKey(id: $id) }",
            json!({ "id": key_id }),
        ),
        (
            "mutation($input: SubmitActionInput!) { submitAction(input: $input) { request { id } } }",
            json!({ "input": action }),
        ),
    ];
    let markers: Vec<&str> = vec![ACME_NAME, ACME_NOTE, ACME_BOT, "acme-ref", &acme_head];
    for (query, vars) in &ops {
        let body = app.gql(&intruder, query, vars.clone()).await;
        let text = body.to_string();
        for marker in &markers {
            assert!(!text.contains(marker), "{query} leaked {marker:?}: {text}");
        }
        let data = body["data"].to_string();
        for id in ids.iter().chain([key_id.as_str()].iter()) {
            assert!(!data.contains(id), "{query} returned acme's {id}: {text}");
        }
        if query.starts_with("mutation") {
            let refused = body["errors"][0]["extensions"]["code"].is_string()
                || body["data"]["decideMany"][0]["error"]["code"].is_string()
                || body["data"]["revokeApiKey"] == false;
            assert!(refused, "{query} was not refused: {text}");
        }
    }
    for path in [
        "/export/requests.jsonl?workflowKey=acme-only".to_owned(),
        format!("/export/audit.jsonl?requestId={pending}"),
        "/export/requests.csv".to_owned(),
        "/export/audit.jsonl".to_owned(),
    ] {
        let text = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&intruder)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for marker in markers.iter().chain(ids.iter()) {
            assert!(!text.contains(marker), "{path} leaked {marker:?}");
        }
    }
    assert!(ops.len() >= 35, "{} operations", ops.len());

    // Nothing of acme's changed.
    assert_eq!(acme_state(app, &ids).await, before);
}

// ---------------------------------------------------------------------------------------------
// SIGKILL under load.

/// Kill rounds per database.
const ROUNDS: usize = 3;
/// Concurrent submitters.
const WRITERS: usize = 8;
/// Acknowledged submissions per round before the kill.
const BEFORE_KILL: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_acknowledged_submission_is_lost_when_the_server_is_killed_sqlite() {
    countersign_bin();
    let dir = std::env::temp_dir().join("countersign-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.db", Uuid::now_v7().simple()));
    let url = format!("sqlite://{}?mode=rwc", file.display());
    countersign_tests::bounded(killed_under_load(&url)).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_acknowledged_submission_is_lost_when_the_server_is_killed_postgres() {
    countersign_bin();
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    countersign_tests::bounded(killed_under_load(&db.url)).await;
    db.drop_database().await;
}

/// One submission over HTTP: `Some((idempotency key, request id))` when the server acknowledged
/// it (an answer with the request), `None` when the connection broke.
async fn submit_once(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
) -> Option<(String, String)> {
    let body: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": SUBMIT, "variables": { "input": refund("refunds", key, "20") } }))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let id = body["data"]["submitAction"]["request"]["id"].as_str()?;
    Some((key.to_owned(), id.to_owned()))
}

/// Rounds of: start the server, let eight writers submit, kill -9 it while they are mid-flight.
/// Then every submission that was acknowledged is in the database (the export lists it, a
/// resubmission of its key answers the same request), each has exactly one REQUEST_SUBMITTED
/// event, and the audit chain verifies.
async fn killed_under_load(database_url: &str) {
    let tokens = countersign_tests::test_tokens();
    let mint = |sub: &str, role: &str| {
        tokens
            .mint(TENANT, sub, &[role.to_owned()], chrono::Duration::hours(1))
            .unwrap()
    };
    let (admin, agent, auditor) = (
        mint("alice-admin", "admin"),
        mint("refund-bot", "agent"),
        mint("audrey", "auditor"),
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();

    for round in 0..ROUNDS {
        let mut server = ServerProcess::start(database_url, &[]).await;
        if round == 0 {
            let body = countersign_tests::post_graphql(
                &client,
                &server.base,
                &admin,
                CREATE_WORKFLOW,
                json!({ "input": { "key": "refunds", "name": "Refunds", "policy": refund_policy() } }),
            )
            .await;
            assert!(body.get("errors").is_none(), "{body}");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (client, base, token) = (client.clone(), server.base.clone(), agent.clone());
                let (acked, stop) = (acked.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        let key = format!("kill-r{round}-w{w}-{i}");
                        i += 1;
                        match submit_once(&client, &base, &token, &key).await {
                            Some(ack) => acked.lock().unwrap().push(ack),
                            None => break, // the server is gone
                        }
                    }
                })
            })
            .collect();
        let before = acked.lock().unwrap().len();
        eventually("submissions to be acknowledged before the kill", || {
            let n = acked.lock().unwrap().len();
            async move { (n >= before + BEFORE_KILL).then_some(()) }
        })
        .await;
        // Writers are mid-request: the kill cuts some off between commit and answer.
        server.kill();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            w.await.unwrap();
        }
    }

    let server = ServerProcess::start(database_url, &[]).await;
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= ROUNDS * BEFORE_KILL);
    let exported = client
        .get(format!("{}/export/requests.jsonl", server.base))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let stored: HashSet<String> = exported
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let lost: Vec<&(String, String)> = acked
        .iter()
        .filter(|(_, id)| !stored.contains(id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged submissions lost: {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(5)]
    );
    // Idempotency held across the kills: a resubmission answers the acknowledged request.
    for (key, id) in acked.iter().step_by(acked.len() / 10 + 1) {
        let again = submit_once(&client, &server.base, &agent, key)
            .await
            .unwrap();
        assert_eq!(&again.1, id, "{key}");
    }
    let audit = countersign_tests::post_graphql(
        &client,
        &server.base,
        &auditor,
        "{ verifyAuditChain { ok checked } }",
        json!({}),
    )
    .await;
    assert_eq!(audit["data"]["verifyAuditChain"]["ok"], true, "{audit}");
    let events = client
        .get(format!(
            "{}/export/audit.jsonl?types=REQUEST_SUBMITTED",
            server.base
        ))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let submitted: Vec<String> = events
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["requestId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        submitted.len(),
        stored.len(),
        "one REQUEST_SUBMITTED per stored request"
    );
    assert_eq!(submitted.into_iter().collect::<HashSet<_>>(), stored);
}
