//! `countersign seed`: synthetic history written straight into the tables keeps the audit chain
//! valid, is visible through the real API, is deterministic, and continues an existing chain.

use countersign::seed::{SeedOptions, SeedReport, seed};
use countersign_tests::{TestApp, db_tests};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::common::*;

db_tests!(
    without_scheduler;
    seed_writes_a_verifiable_realistic_history,
    seed_continues_the_chain_after_real_activity,
);

const N: u64 = 2_000;

/// The history ends at a fixed instant: request ids (UUIDv7) carry their time, and QA sampling
/// picks by id, so only a fixed end gives the same history on every run. The scheduler is off so
/// that nothing expires what the seed left pending in the past.
fn end() -> chrono::DateTime<chrono::Utc> {
    "2026-11-02T16:00:00Z".parse().unwrap()
}

fn without_scheduler(settings: &mut countersign::config::Settings) {
    settings.scheduler_enabled = false;
}

const COUNT: &str =
    "query($filter: RequestFilter) { approvalRequests(filter: $filter, first: 1) { totalCount } }";

fn options(tenant: &str, end: chrono::DateTime<chrono::Utc>) -> SeedOptions {
    let mut opts = SeedOptions::new(tenant, N);
    opts.seed = 7;
    opts.end = Some(end);
    opts.batch = 700; // several batches, so the chain crosses transactions
    opts
}

async fn total(app: &TestApp, token: &str, filter: serde_json::Value) -> i64 {
    app.data(token, COUNT, json!({ "filter": filter })).await["approvalRequests"]["totalCount"]
        .as_i64()
        .unwrap()
}

async fn verify(app: &TestApp) -> (bool, i64) {
    let v = app
        .data(
            &admin(app),
            "{ verifyAuditChain { ok checked } }",
            json!({}),
        )
        .await;
    (
        v["verifyAuditChain"]["ok"].as_bool().unwrap(),
        v["verifyAuditChain"]["checked"].as_i64().unwrap(),
    )
}

async fn seed_writes_a_verifiable_realistic_history(app: &TestApp) {
    let end = end();
    let report = seed(&app.state.store, options(TENANT, end)).await.unwrap();
    assert_eq!(report.requests, N);
    assert_eq!(report.workflows_created, 3);

    let (ok, checked) = verify(app).await;
    assert!(ok, "the seeded chain verifies");
    assert_eq!(checked as u64, report.events);
    assert_eq!(report.last_seq as u64, report.events);

    let admin = admin(app);
    assert_eq!(total(app, &admin, json!({})).await, N as i64);
    for status in [
        "PENDING",
        "APPROVED",
        "REJECTED",
        "EXPIRED",
        "CANCELLED",
        "EXECUTED",
        "EXECUTION_FAILED",
        "ROLLED_BACK",
    ] {
        let n = total(app, &admin, json!({ "status": [status] })).await;
        assert!(n > 0, "status {status} is present");
        assert_eq!(n as u64, report.by_status[status], "count of {status}");
    }
    for route in ["AUTO", "HUMAN", "REJECT"] {
        assert!(
            total(app, &admin, json!({ "route": route })).await > 0,
            "route {route}"
        );
    }
    // The analytics agree with what the seed wrote, and every figure has data behind it.
    let a = app
        .data(
            &app.token(TENANT, "audrey", &["auditor"]),
            "{ analytics { totals { submitted autoApproved rejected pending expired cancelled executed executionFailed rolledBack sampled sampledIncorrect } editRate errorRate slaBreachRate cycleTime { count } rejectionReasons { reasonCode } roi { roi } } }",
            json!({}),
        )
        .await["analytics"]
        .clone();
    let t = &a["totals"];
    let status = |s: &str| report.by_status[s];
    assert_eq!(t["submitted"], N);
    assert_eq!(t["autoApproved"], report.by_route["AUTO"]);
    for (figure, expected) in [
        ("rejected", status("REJECTED")),
        ("pending", status("PENDING")),
        ("expired", status("EXPIRED")),
        ("cancelled", status("CANCELLED")),
        ("executed", status("EXECUTED") + status("ROLLED_BACK")),
        ("executionFailed", status("EXECUTION_FAILED")),
        ("rolledBack", status("ROLLED_BACK")),
    ] {
        assert_eq!(t[figure], expected, "{figure}");
    }
    assert!(t["sampled"].as_u64().unwrap() > 0 && t["sampledIncorrect"].as_u64().unwrap() > 0);
    for rate in ["editRate", "errorRate", "slaBreachRate"] {
        let r = a[rate].as_f64().unwrap();
        assert!(r > 0.0 && r < 1.0, "{rate} = {r}");
    }
    assert!(a["cycleTime"]["count"].as_u64().unwrap() > 0);
    assert!(a["rejectionReasons"].as_array().unwrap().len() >= 3);
    assert!(a["roi"]["roi"].is_number());

    // Rejected both by people (HUMAN) and by policy (REJECT).
    assert!(
        total(
            app,
            &admin,
            json!({ "status": ["REJECTED"], "route": "HUMAN" })
        )
        .await
            > 0
    );
    assert!(
        total(
            app,
            &admin,
            json!({ "status": ["REJECTED"], "route": "REJECT" })
        )
        .await
            > 0
    );

    // Human approvals with an edit carry the patch and an edited decision.
    let q = "query($filter: RequestFilter, $after: String) { approvalRequests(filter: $filter, first: 200, after: $after) { edges { node { id action finalAction editPatch costUsd qaSampled decisions { decision edited reasonCode } } } pageInfo { hasNextPage endCursor } } }";
    let filter = json!({ "route": "HUMAN", "status": ["APPROVED", "EXECUTED", "EXECUTION_FAILED", "ROLLED_BACK"] });
    let mut edited = 0;
    let mut unedited = 0;
    let mut after = serde_json::Value::Null;
    loop {
        let page = app
            .data(&admin, q, json!({ "filter": filter, "after": after }))
            .await;
        let conn = &page["approvalRequests"];
        for edge in conn["edges"].as_array().unwrap() {
            let node = &edge["node"];
            assert!(node["costUsd"].is_string(), "AI cost as a decimal string");
            if node["editPatch"].is_null() {
                unedited += 1;
                assert_eq!(node["action"], node["finalAction"]);
            } else {
                edited += 1;
                assert_ne!(node["action"], node["finalAction"]);
                assert!(
                    node["decisions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|d| d["edited"] == true),
                    "an edited approval has a decision marked edited: {node}"
                );
            }
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert!(
        edited > 0 && unedited > 0,
        "edited {edited}, unedited {unedited}"
    );
    assert_eq!(edited, report.edited);

    // QA sampling happened, with some INCORRECT verdicts.
    let sampled = app
        .db()
        .await
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.store.db().get_database_backend(),
            "SELECT COUNT(*) FROM approval_requests WHERE qa_sampled AND qa_verdict = 'INCORRECT'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert!(
        sampled > 0,
        "some sampled AUTO approvals were judged INCORRECT"
    );

    // The same seed into a fresh database gives the same history.
    let other = TestApp::spawn_with(app.db_kind, without_scheduler)
        .await
        .unwrap();
    let again: SeedReport = seed(&other.state.store, options(TENANT, end))
        .await
        .unwrap();
    assert_eq!(again.by_status, report.by_status);
    assert_eq!(again.events, report.events);
    let head = |app: &TestApp| {
        let app_db = app.state.store.db().clone();
        async move {
            countersign::domain::audit::verify(&app_db, TENANT)
                .await
                .unwrap()
                .head_hash
        }
    };
    assert_eq!(head(app).await, head(&other).await, "identical chains");
    other.cleanup().await;
}

async fn seed_continues_the_chain_after_real_activity(app: &TestApp) {
    create_workflow(app, "payments", refund_policy()).await;
    app.data(
        &agent(app),
        SUBMIT,
        json!({ "input": refund("payments", "pay-1", "20.00") }),
    )
    .await;
    let (ok, before) = verify(app).await;
    assert!(ok);
    assert!(before >= 3);

    let mut opts = options(TENANT, chrono::Utc::now());
    opts.requests = 300;
    let report = seed(&app.state.store, opts).await.unwrap();
    assert_eq!(report.last_seq as u64, before as u64 + report.events);
    let (ok, checked) = verify(app).await;
    assert!(ok, "the chain still verifies after seeding");
    assert_eq!(checked, report.last_seq);

    // And real activity continues after the seeded events.
    app.data(
        &agent(app),
        SUBMIT,
        json!({ "input": refund("payments", "pay-2", "20.00") }),
    )
    .await;
    let (ok, after) = verify(app).await;
    assert!(ok);
    assert!(after > checked);
    assert_eq!(
        total(app, &admin(app), json!({})).await,
        2 + report.requests as i64
    );
}
