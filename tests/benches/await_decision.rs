//! `awaitDecision` wake-up latency through real server processes on PostgreSQL: WAITERS agents
//! (default 1,000) each wait on their own pending request; the requests are then decided one by
//! one, and each sample is the time from the decision's answer (its transaction committed) to the
//! waiter's answer. One replica, and two (waiters on A, decisions on B: woken by NOTIFY).
//!
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p countersign-tests --bench await_decision`
//! (BENCH_WAITERS changes the 1,000). Needs PostgreSQL: without TEST_DATABASE_URL it says so and stops.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use futures::future::join_all;
use serde_json::json;
use tokio::sync::Mutex;

use countersign_tests::{PgDatabase, ServerProcess, post_graphql, test_tokens};

const SUBMIT: &str =
    "mutation($i: SubmitActionInput!) { submitAction(input: $i) { request { id } } }";
const AWAIT: &str = "query($id: ID!) { awaitDecision(id: $id, timeoutSeconds: 60) { status } }";
const DECIDE: &str = "mutation($i: DecideInput!) { decide(input: $i) { status } }";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

fn token(sub: &str, role: &str) -> String {
    test_tokens()
        .mint("bench", sub, &[role.to_owned()], chrono::Duration::hours(1))
        .unwrap()
}

async fn scenario(label: &str, database_url: &str, replicas: usize, waiters: usize) {
    let env = [
        ("COUNTERSIGN_SUBMIT_RATE_PER_MINUTE", "0"),
        ("COUNTERSIGN_SCHEDULER_ENABLED", "false"),
        ("COUNTERSIGN_MAX_CONNECTIONS", "4096"),
    ];
    let a = ServerProcess::start(database_url, &env).await;
    let b = if replicas == 2 {
        Some(ServerProcess::start(database_url, &env).await)
    } else {
        None
    };
    let decide_base = b.as_ref().map_or(a.base.clone(), |b| b.base.clone());
    let (admin, agent, reviewer) = (
        token("ada", "admin"),
        token("bot", "agent"),
        token("rita", "reviewer"),
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(waiters + 16)
        .build()
        .unwrap();
    let policy = json!({ "rules": [], "default": { "route": "HUMAN", "steps": [ { "role": "reviewer" } ] } });
    let created = post_graphql(&client, &a.base, &admin, "mutation($p: JSON!) { createWorkflow(input: { key: \"refunds\", name: \"R\", policy: $p }) { key } }", json!({ "p": policy })).await;
    assert!(created.get("errors").is_none(), "{created}");
    let mut ids = Vec::with_capacity(waiters);
    for i in 0..waiters {
        let input = json!({ "workflowKey": "refunds", "idempotencyKey": format!("w-{i}"), "actionType": "refund.issue",
            "title": "Refund", "action": { "order": i }, "amount": "120.00" });
        let body = post_graphql(&client, &a.base, &agent, SUBMIT, json!({ "i": input })).await;
        ids.push(
            body["data"]["submitAction"]["request"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Every waiter records when its answer came.
    let answered: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; waiters]));
    let tasks: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let (client, base, agent, id, answered) = (
                client.clone(),
                a.base.clone(),
                agent.clone(),
                id.clone(),
                answered.clone(),
            );
            tokio::spawn(async move {
                let body = post_graphql(&client, &base, &agent, AWAIT, json!({ "id": id })).await;
                let at = Instant::now();
                assert_eq!(
                    body["data"]["awaitDecision"]["status"], "APPROVED",
                    "{body}"
                );
                answered.lock().await[i] = Some(at);
            })
        })
        .collect();
    // Let every waiter reach the server and listen (their first reads done) before deciding.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let mut decided = Vec::with_capacity(waiters);
    for id in &ids {
        let body = post_graphql(
            &client,
            &decide_base,
            &reviewer,
            DECIDE,
            json!({ "i": { "requestId": id, "decision": "APPROVE" } }),
        )
        .await;
        decided.push(Instant::now());
        assert_eq!(body["data"]["decide"]["status"], "APPROVED", "{body}");
    }
    join_all(tasks).await;
    let answered = answered.lock().await;
    let mut samples: Vec<f64> = decided
        .iter()
        .zip(answered.iter())
        .map(|(d, a)| {
            let a = a.expect("every waiter answered");
            a.saturating_duration_since(*d).as_secs_f64() * 1000.0
        })
        .collect();
    samples.sort_by(|x, y| x.partial_cmp(y).unwrap());
    println!(
        "| {label} | {waiters} | {:.1} | {:.1} | {:.1} |",
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or_default()
    );
    drop((a, b));
}

#[tokio::main]
async fn main() {
    let waiters: usize = std::env::var("BENCH_WAITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    if std::env::var("TEST_DATABASE_URL").is_err() {
        println!("awaitDecision benchmark: set TEST_DATABASE_URL to a PostgreSQL server");
        return;
    }
    println!("| setup | waiters | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    for (replicas, label) in [
        (1, "1 replica, PostgreSQL"),
        (2, "2 replicas, PostgreSQL (wait on A, decide on B)"),
    ] {
        let Some(db) = PgDatabase::create().await else {
            return;
        };
        scenario(label, &db.url, replicas, waiters).await;
        db.drop_database().await;
    }
}
