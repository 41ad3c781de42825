//! Invariant 2: the audit log is append-only and hash-chained per tenant; `verifyAuditChain` and
//! the `countersign verify-audit` command find any edited or deleted event; concurrent writers
//! never repeat or skip a `seq`. Also: reading the log with filters and cursors.

use std::process::Command;

use countersign_tests::{Db, TestApp, countersign_bin, db_tests};
use futures::FutureExt;
use futures::future::{BoxFuture, join_all};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::common::*;

const AUDIT_LOG: &str = "query($filter: AuditFilter, $first: Int, $after: String) { auditLog(filter: $filter, first: $first, after: $after) { edges { cursor node { seq id type at actor workflowKey requestId data prevHash hash } } pageInfo { hasNextPage endCursor } } }";

const VERIFY: &str = "{ verifyAuditChain { ok checked firstBrokenSeq headHash } }";

const CREATE_KEY: &str = "mutation($principal: String!, $roles: [String!]!, $label: String) { createApiKey(principal: $principal, roles: $roles, label: $label) { id principal roles } }";

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

db_tests!(
    invariant_2_audit_chain_verifies_and_links,
    invariant_2_tampered_event_is_found_by_seq,
    invariant_2_deleted_event_is_found,
    invariant_2_concurrent_writers_never_duplicate_or_skip_seq,
    audit_log_filters_and_pages,
);

fn auditor(app: &TestApp) -> String {
    app.token(TENANT, "audrey-auditor", &["auditor"])
}

/// Every event of the tenant matching `filter`, in one page of up to 500.
async fn audit_log(app: &TestApp, filter: Value) -> Vec<Value> {
    let data = app
        .data(
            &auditor(app),
            AUDIT_LOG,
            json!({ "filter": filter, "first": 500 }),
        )
        .await;
    assert_eq!(data["auditLog"]["pageInfo"]["hasNextPage"], false);
    data["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

async fn verify(app: &TestApp) -> Value {
    app.data(&auditor(app), VERIFY, json!({})).await["verifyAuditChain"].clone()
}

/// A workflow, an AUTO submission and a HUMAN submission approved by a reviewer: seven events.
async fn seed(app: &TestApp) -> Vec<Value> {
    create_workflow(app, "refunds", refund_policy()).await;
    let auto = submit(app, refund("refunds", "a-1", "20.00")).await;
    assert_eq!(auto["route"], "AUTO");
    let human = submit(app, refund("refunds", "h-1", "200.00")).await;
    assert_eq!(human["route"], "HUMAN");
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    let r = decide(
        app,
        &reviewer,
        json!({ "requestId": human["request"]["id"], "decision": "APPROVE" }),
    )
    .await;
    assert_eq!(r["status"], "APPROVED");
    audit_log(app, json!(null)).await
}

/// A SQL string literal.
fn sql_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Changes `audit_events` behind the server's back, the way someone with superuser access to the
/// database would: on PostgreSQL the append-only trigger is bypassed with
/// `session_replication_role = replica`, set on the same connection in the same call.
async fn tamper(app: &TestApp, sql: &str) {
    let db = app.db().await;
    let sql = match app.db_kind {
        Db::Postgres => {
            format!("SET session_replication_role = replica; {sql}; RESET session_replication_role")
        }
        Db::Sqlite => sql.to_owned(),
    };
    db.execute_unprepared(&sql).await.unwrap();
    db.close().await.ok();
}

/// On PostgreSQL, a plain UPDATE or DELETE of an audit event is refused by the trigger.
async fn assert_append_only(app: &TestApp, sql: &str) {
    if app.db_kind != Db::Postgres {
        return;
    }
    let db = app.db().await;
    let err = db
        .execute_unprepared(sql)
        .await
        .expect_err("the append-only trigger must refuse this statement");
    assert!(err.to_string().contains("append-only"), "{err}");
    db.close().await.ok();
}

/// Runs `countersign verify-audit --tenant acme --database-url <url>`: exit code and stdout.
async fn verify_audit_cli(app: &TestApp) -> (i32, String) {
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(countersign_bin())
            .args(["verify-audit", "--tenant", TENANT, "--database-url", &url])
            .env_remove("COUNTERSIGN_CONFIG")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out
            .status
            .code()
            .unwrap_or_else(|| panic!("verify-audit was killed: {stderr}"));
        (code, format!("{stdout}{stderr}"))
    })
    .await
    .unwrap()
}

async fn invariant_2_audit_chain_verifies_and_links(app: &TestApp) {
    let events = seed(app).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "WORKFLOW_CREATED",
            "REQUEST_SUBMITTED",
            "AUTO_APPROVED",
            "REQUEST_SUBMITTED",
            "STEP_OPENED",
            "STEP_APPROVED",
            "REQUEST_APPROVED"
        ]
    );
    let n = events.len() as i64;
    assert_eq!(
        seqs(&events),
        (1..=n).collect::<Vec<_>>(),
        "seq starts at 1, no gap"
    );
    assert_eq!(events[0]["prevHash"], GENESIS);
    for pair in events.windows(2) {
        assert_eq!(
            pair[1]["prevHash"], pair[0]["hash"],
            "event {} links to its predecessor",
            pair[1]["seq"]
        );
    }
    let mut hashes = std::collections::HashSet::new();
    for e in &events {
        let hash = e["hash"].as_str().unwrap();
        assert_eq!(hash.len(), 64, "{e}");
        assert!(
            hash.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{e}"
        );
        assert!(hashes.insert(hash.to_owned()), "hashes are distinct: {e}");
    }

    let v = verify(app).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["checked"], n);
    assert_eq!(v["firstBrokenSeq"], json!(null));
    assert_eq!(v["headHash"], events.last().unwrap()["hash"]);

    // the same answer for an admin; nobody else may read the chain
    let as_admin = app.data(&admin(app), VERIFY, json!({})).await;
    assert_eq!(as_admin["verifyAuditChain"], v);
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    assert_eq!(
        app.error_code(&reviewer, VERIFY, json!({})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        app.error_code(&agent(app), AUDIT_LOG, json!({ "first": 10 }))
            .await,
        "FORBIDDEN"
    );
}

async fn invariant_2_tampered_event_is_found_by_seq(app: &TestApp) {
    let events = seed(app).await;
    let (code, out) = verify_audit_cli(app).await;
    assert_eq!(code, 0, "a clean chain verifies: {out}");

    assert_append_only(
        app,
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3",
    )
    .await;
    let v = verify(app).await;
    assert_eq!(v["ok"], true, "the refused UPDATE changed nothing: {v}");

    // seq 3 is the AUTO_APPROVED event: forge the hash of what was approved
    let target = &events[2];
    assert_eq!(target["type"], "AUTO_APPROVED");
    let mut forged = target["data"].clone();
    forged["finalActionHash"] = json!("f".repeat(64));
    tamper(
        app,
        &format!(
            "UPDATE audit_events SET data = {} WHERE tenant_id = {} AND seq = 3",
            sql_text(&forged.to_string()),
            sql_text(TENANT)
        ),
    )
    .await;
    let after = audit_log(app, json!({ "afterSeq": 2, "types": ["AUTO_APPROVED"] })).await;
    assert_eq!(
        after[0]["data"]["finalActionHash"],
        "f".repeat(64),
        "the tamper took effect"
    );

    let v = verify(app).await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["firstBrokenSeq"], 3, "{v}");
    assert_eq!(v["checked"], 2, "{v}");
    assert_eq!(v["headHash"], events[1]["hash"], "{v}");

    let (code, out) = verify_audit_cli(app).await;
    assert_eq!(code, 1, "a broken chain exits 1: {out}");
    assert!(out.contains("seq 3"), "the command names the seq: {out}");
}

async fn invariant_2_deleted_event_is_found(app: &TestApp) {
    let events = seed(app).await;
    let n = events.len() as i64;
    assert!(n >= 6, "enough events to cut twice");

    assert_append_only(app, "DELETE FROM audit_events WHERE seq = 4").await;
    assert_eq!(verify(app).await["ok"], true);

    // cutting the last event off: every remaining event still links, but the tenant's recorded
    // head points past the end
    tamper(
        app,
        &format!(
            "DELETE FROM audit_events WHERE tenant_id = {} AND seq = {n}",
            sql_text(TENANT)
        ),
    )
    .await;
    let v = verify(app).await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["firstBrokenSeq"], n, "{v}");
    assert_eq!(v["checked"], n - 1, "{v}");

    // removing one from the middle: the first event whose predecessor is missing is 5
    tamper(
        app,
        &format!(
            "DELETE FROM audit_events WHERE tenant_id = {} AND seq = 4",
            sql_text(TENANT)
        ),
    )
    .await;
    let v = verify(app).await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["firstBrokenSeq"], 5, "{v}");
    assert_eq!(v["checked"], 3, "{v}");
    assert_eq!(v["headHash"], events[2]["hash"], "{v}");
    let (code, out) = verify_audit_cli(app).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("seq 5"), "{out}");
}

async fn invariant_2_concurrent_writers_never_duplicate_or_skip_seq(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let agent_token = agent(app);
    let admin_token = admin(app);
    let amounts = ["20.00", "200.00", "2500.00", "30.00"];
    let mut calls: Vec<BoxFuture<'_, Value>> = Vec::new();
    for i in 0..40 {
        let token = agent_token.clone();
        let input = refund("refunds", &format!("c-{i}"), amounts[i % amounts.len()]);
        calls.push(async move { app.gql(&token, SUBMIT, json!({ "input": input })).await }.boxed());
    }
    for i in 0..10 {
        let token = admin_token.clone();
        calls.push(
            async move {
                app.gql(
                    &token,
                    CREATE_KEY,
                    json!({ "principal": format!("bot-{i}"), "roles": ["agent"], "label": "load" }),
                )
                .await
            }
            .boxed(),
        );
    }
    let results = join_all(calls).await;
    let failed: Vec<&Value> = results
        .iter()
        .filter(|b| b.get("errors").is_some())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} concurrent writes in one tenant failed; first: {}",
        failed.len(),
        results.len(),
        failed[0]
    );
    let mut auto = 0;
    let mut human = 0;
    for body in &results {
        if let Some(route) = body["data"]["submitAction"]["route"].as_str() {
            match route {
                "AUTO" => auto += 1,
                "HUMAN" => human += 1,
                other => panic!("unexpected route {other}"),
            }
        }
    }
    assert_eq!((auto, human), (20, 20));

    let events = audit_log(app, json!(null)).await;
    let n = events.len() as i64;
    // WORKFLOW_CREATED + two events per submission + one per key
    assert_eq!(n, 1 + 2 * 40 + 10);
    assert_eq!(
        seqs(&events),
        (1..=n).collect::<Vec<_>>(),
        "seq is gap-free and unique"
    );
    let ids: std::collections::HashSet<&str> =
        events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len() as i64, n);
    for pair in events.windows(2) {
        assert_eq!(pair[1]["prevHash"], pair[0]["hash"]);
    }
    let v = verify(app).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["checked"], n);
    assert_eq!(v["headHash"], events.last().unwrap()["hash"]);
}

async fn audit_log_filters_and_pages(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    create_workflow(
        app,
        "emails",
        json!({ "rules": [], "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] } }),
    )
    .await;
    let auto = submit(app, refund("refunds", "f-auto", "20.00")).await;
    let human = submit(app, refund("refunds", "f-human", "200.00")).await;
    let human_id = human["request"]["id"].as_str().unwrap().to_owned();
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    decide(
        app,
        &reviewer,
        json!({ "requestId": human_id, "decision": "APPROVE" }),
    )
    .await;
    let mut email = refund("emails", "f-email", "0");
    email["actionType"] = json!("email.send");
    submit(app, email).await;
    app.data(
        &admin(app),
        CREATE_KEY,
        json!({ "principal": "mail-bot", "roles": ["agent"] }),
    )
    .await;

    let all = audit_log(app, json!(null)).await;
    let n = all.len() as i64;
    assert_eq!(seqs(&all), (1..=n).collect::<Vec<_>>());
    let expect = |keep: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        all.iter()
            .filter(|e| keep(e))
            .map(|e| e["seq"].as_i64().unwrap())
            .collect()
    };

    // by types
    let got = audit_log(
        app,
        json!({ "types": ["AUTO_APPROVED", "REQUEST_APPROVED"] }),
    )
    .await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        seqs(&got),
        expect(&|e| e["type"] == "AUTO_APPROVED" || e["type"] == "REQUEST_APPROVED")
    );
    assert_eq!(got[0]["requestId"], auto["request"]["id"]);
    assert_eq!(got[1]["requestId"], json!(human_id));

    // by requestId: exactly that request's history
    let got = audit_log(app, json!({ "requestId": human_id })).await;
    assert_eq!(
        got.iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "REQUEST_SUBMITTED",
            "STEP_OPENED",
            "STEP_APPROVED",
            "REQUEST_APPROVED"
        ]
    );
    assert_eq!(seqs(&got), expect(&|e| e["requestId"] == json!(human_id)));
    let history = request(app, &admin(app), &human_id).await["history"].clone();
    let history_seqs: Vec<i64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs(&got), history_seqs);

    // by workflowKey
    let got = audit_log(app, json!({ "workflowKey": "emails" })).await;
    assert_eq!(
        got.iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["WORKFLOW_CREATED", "REQUEST_SUBMITTED", "STEP_OPENED"]
    );
    assert_eq!(seqs(&got), expect(&|e| e["workflowKey"] == "emails"));
    assert!(got.iter().all(|e| e["workflowKey"] == "emails"));

    // afterSeq
    let got = audit_log(app, json!({ "afterSeq": 4 })).await;
    assert_eq!(seqs(&got), (5..=n).collect::<Vec<_>>());
    let got = audit_log(app, json!({ "afterSeq": n })).await;
    assert!(got.is_empty());

    // filters combine
    let got = audit_log(
        app,
        json!({ "workflowKey": "refunds", "types": ["REQUEST_SUBMITTED"], "afterSeq": 2 }),
    )
    .await;
    assert_eq!(
        seqs(&got),
        expect(&|e| e["workflowKey"] == "refunds"
            && e["type"] == "REQUEST_SUBMITTED"
            && e["seq"].as_i64().unwrap() > 2)
    );

    // paging by three covers every event once, in order
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let data = app
            .data(
                &auditor(app),
                AUDIT_LOG,
                json!({ "first": 3, "after": after }),
            )
            .await;
        let conn = &data["auditLog"];
        let edges = conn["edges"].as_array().unwrap();
        assert!(edges.len() <= 3);
        pages += 1;
        for edge in edges {
            seen.push(edge["node"]["seq"].as_i64().unwrap());
        }
        if let Some(last) = edges.last() {
            assert_eq!(conn["pageInfo"]["endCursor"], last["cursor"]);
        }
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        assert_eq!(edges.len(), 3, "only the last page is short");
        after = Some(conn["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        assert!(pages <= n, "paging does not end");
    }
    assert_eq!(seen, (1..=n).collect::<Vec<_>>());
    assert_eq!(pages, (n + 2) / 3);

    // paging through a filtered set by one
    let submitted = expect(&|e| e["type"] == "REQUEST_SUBMITTED");
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .data(
                &auditor(app),
                AUDIT_LOG,
                json!({ "filter": { "types": ["REQUEST_SUBMITTED"] }, "first": 1, "after": after }),
            )
            .await;
        let conn = &data["auditLog"];
        for edge in conn["edges"].as_array().unwrap() {
            seen.push(edge["node"]["seq"].as_i64().unwrap());
        }
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(conn["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        assert!(seen.len() <= submitted.len(), "paging does not end");
    }
    assert_eq!(seen, submitted);
}
