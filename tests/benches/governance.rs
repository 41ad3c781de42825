//! Benchmark for the governance controls, through the real server: backtesting a candidate policy
//! over 100,000 stored requests, and one `decideMany` call with 1,000 decisions.
//!
//! `cargo bench -p countersign-tests --bench governance` (SQLite; set TEST_DATABASE_URL to also
//! run on PostgreSQL; BENCH_REQUESTS changes the 100,000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use chrono::Utc;
use countersign_entity::approval_request;
use countersign_entity::enums::{RequestStatus, Route};
use countersign_tests::{Db, TestApp};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};
use serde_json::json;
use uuid::Uuid;

fn policy(auto_below: f64) -> serde_json::Value {
    json!({
        "rules": [
            { "name": "flagged", "when": "'fraud' in risk_flags", "route": "REJECT", "reasonCode": "fraud" },
            { "name": "large", "when": "amount >= 5000.0", "route": "HUMAN", "steps": [ { "role": "manager" }, { "role": "finance" } ] },
            { "name": "small-clean", "when": format!("amount < {auto_below:.1} && confidence >= 0.9"), "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] }
    })
}

/// Stores `n` requests directly (the same rows a submission writes), routed by `policy(50)`.
async fn seed(app: &TestApp, workflow_id: Uuid, n: usize) {
    let now = Utc::now();
    let mut batch = Vec::with_capacity(500);
    for i in 0..n {
        let amount = (i * 37 % 6000) as f64 + 0.5;
        let confidence = 0.5 + (i % 50) as f64 / 100.0;
        let flags: Vec<&str> = if i % 97 == 0 { vec!["fraud"] } else { vec![] };
        let route = if i % 97 == 0 {
            Route::Reject
        } else if amount >= 5000.0 || !(amount < 50.0 && confidence >= 0.9) {
            Route::Human
        } else {
            Route::Auto
        };
        let action = json!({ "order": format!("o-{i}"), "amount": amount, "customer": format!("c-{}", i % 1000) }).to_string();
        batch.push(
            approval_request::Model {
                id: Uuid::now_v7(),
                tenant_id: "bench".into(),
                workflow_id,
                workflow_key: "refunds".into(),
                policy_version: 1,
                matched_rule: None,
                route,
                status: match route {
                    Route::Auto => RequestStatus::Approved,
                    Route::Human => RequestStatus::Pending,
                    Route::Reject => RequestStatus::Rejected,
                },
                version: 1,
                idempotency_key: format!("seed-{i}"),
                input_hash: String::new(),
                action_type: "refund.issue".into(),
                title: format!("Refund {i}"),
                action: action.clone(),
                final_action: action,
                edit_patch: None,
                final_action_hash: String::new(),
                recommendation: None,
                confidence: Some(confidence),
                amount: Some(format!("{amount:.2}")),
                currency: Some("USD".into()),
                risk_flags: serde_json::to_string(&flags).unwrap(),
                exceptions: "[]".into(),
                duplicate_key: None,
                duplicate_of: None,
                sources: "[]".into(),
                context: None,
                correlation: None,
                model: Some("gpt-bench".into()),
                prompt_version: None,
                cost_usd: Some("0.01".into()),
                qa_sampled: false,
                qa_role: None,
                qa_verdict: None,
                qa_reason_code: None,
                qa_comment: None,
                qa_reviewed_by: None,
                qa_reviewed_at: None,
                current_step: None,
                due_at: None,
                reason_code: None,
                submitted_by: "bench-bot".into(),
                submitted_at: now,
                decided_at: None,
                expires_at: None,
                executed_at: None,
                external_ref: None,
                execution_error: None,
                updated_at: now,
            }
            .into_active_model()
            .reset_all(),
        );
        if batch.len() == 500 || i + 1 == n {
            approval_request::Entity::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(app.state.store.db())
                .await
                .unwrap();
        }
    }
}

async fn run(db: Db, n: usize) {
    let Some(app) = TestApp::spawn_with(db, |s| s.submit_rate_per_minute = 0).await else {
        return;
    };
    let admin = app.token("bench", "ada", &["admin"]);
    app.data(&admin, "mutation($p: JSON!) { createWorkflow(input: { key: \"refunds\", name: \"Refunds\", policy: $p }) { key } }", json!({ "p": policy(50.0) })).await;
    let wf = countersign::domain::workflows::get(app.state.store.db(), "bench", "refunds")
        .await
        .unwrap()
        .unwrap();

    let t = Instant::now();
    seed(&app, wf.id, n).await;
    let seeded = t.elapsed();

    let q = "query($p: JSON!) { backtestPolicy(workflowKey: \"refunds\", policy: $p, maxChanges: 100) { total wouldAuto wouldHuman wouldReject changed } }";
    let t = Instant::now();
    let r = app.data(&admin, q, json!({ "p": policy(500.0) })).await;
    let backtest = t.elapsed();
    let r = &r["backtestPolicy"];
    assert_eq!(r["total"], n as u64);

    // 1,000 pending requests decided in one decideMany call.
    let agent = app.token("bench", "bot", &["agent"]);
    let mut ids = Vec::new();
    for i in 0..1000 {
        let body = app
            .data(&agent, "mutation($i: SubmitActionInput!) { submitAction(input: $i) { request { id } } }", json!({ "i": {
                "workflowKey": "refunds", "idempotencyKey": format!("dm-{i}"), "actionType": "refund.issue",
                "title": "Refund", "action": { "order": i }, "amount": "200.00", "confidence": 0.5 } }))
            .await;
        ids.push(
            body["submitAction"]["request"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let reviewer = app.token("bench", "rita", &["support_agent"]);
    let inputs: Vec<_> = ids
        .iter()
        .map(|id| json!({ "requestId": id, "decision": "APPROVE" }))
        .collect();
    let t = Instant::now();
    let d = app
        .data(
            &reviewer,
            "mutation($i: [DecideInput!]!) { decideMany(inputs: $i) { error { code } } }",
            json!({ "i": inputs }),
        )
        .await;
    let decide_many = t.elapsed();
    let failed = d["decideMany"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| !x["error"].is_null())
        .count();
    assert_eq!(failed, 0);

    println!(
        "{db:?}: seeded {n} requests in {:.1}s | backtestPolicy over {n}: {:.2}s (auto {} human {} reject {}, changed {}) | decideMany 1000: {:.2}s",
        seeded.as_secs_f64(),
        backtest.as_secs_f64(),
        r["wouldAuto"],
        r["wouldHuman"],
        r["wouldReject"],
        r["changed"],
        decide_many.as_secs_f64(),
    );
    app.cleanup().await;
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    run(Db::Sqlite, n).await;
    run(Db::Postgres, n).await;
}
