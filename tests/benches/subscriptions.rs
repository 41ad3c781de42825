//! Subscription latency through real server processes: for each event, the time from the event's
//! timestamp (taken in the writing transaction, just before it commits) to its arrival at each
//! WebSocket subscriber, with 1 and 500 subscribers, on one replica (SQLite and PostgreSQL) and on
//! two PostgreSQL replicas (subscribers on A, writes on B).
//!
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p countersign-tests --bench subscriptions`
//! (without TEST_DATABASE_URL only the SQLite row runs; BENCH_EVENTS changes the 50 events).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use countersign_tests::{PgDatabase, ServerProcess, post_graphql, test_tokens};

const SUBMIT: &str =
    "mutation($i: SubmitActionInput!) { submitAction(input: $i) { request { id } } }";
const EVENTS: &str =
    "subscription($key: String) { approvalEvents(workflowKey: $key) { seq type at } }";

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn subscriber(base: &str, token: &str) -> Ws {
    let url = format!("{}/graphql/ws", base.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))).await.unwrap();
    next_json(&mut ws).await; // connection_ack
    ws.send(send(json!({ "id": "s", "type": "subscribe", "payload": { "query": EVENTS, "variables": { "key": "refunds" } } }))).await.unwrap();
    ws.send(send(json!({ "type": "ping" }))).await.unwrap();
    next_json(&mut ws).await; // pong: the subscription is live
    ws
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("no message in 30 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// Latency samples (ms) of the next `events` REQUEST_SUBMITTED+AUTO_APPROVED pairs at every subscriber.
async fn measure(write_base: &str, subs: &mut [Ws], events: usize, key_prefix: &str) -> Vec<f64> {
    let tokens = test_tokens();
    let agent = tokens
        .mint(
            "bench",
            "bot",
            &["agent".into()],
            chrono::Duration::hours(1),
        )
        .unwrap();
    let client = reqwest::Client::new();
    let mut samples = Vec::new();
    for i in 0..events {
        let input = json!({ "workflowKey": "refunds", "idempotencyKey": format!("{key_prefix}-{i}"), "actionType": "refund.issue",
            "title": "Refund", "action": { "order": i }, "amount": "20.00", "confidence": 0.99 });
        let body = post_graphql(&client, write_base, &agent, SUBMIT, json!({ "i": input })).await;
        assert!(body.get("errors").is_none(), "{body}");
        // Two events per submission (REQUEST_SUBMITTED, AUTO_APPROVED) at every subscriber.
        let got = join_all(subs.iter_mut().map(|ws| async move {
            let mut lat = Vec::new();
            for _ in 0..2 {
                let v = next_json(ws).await;
                let received = Utc::now();
                let at: DateTime<Utc> = v["payload"]["data"]["approvalEvents"]["at"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                lat.push((received - at).num_microseconds().unwrap() as f64 / 1000.0);
            }
            lat
        }))
        .await;
        samples.extend(got.into_iter().flatten());
    }
    samples
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

async fn scenario(
    label: &str,
    database_url: &str,
    replicas: usize,
    subscribers: usize,
    events: usize,
) {
    let env = [
        ("COUNTERSIGN_SUBMIT_RATE_PER_MINUTE", "0"),
        ("COUNTERSIGN_SCHEDULER_ENABLED", "false"),
    ];
    let a = ServerProcess::start(database_url, &env).await;
    let b = if replicas == 2 {
        Some(ServerProcess::start(database_url, &env).await)
    } else {
        None
    };
    let write_base = b.as_ref().map_or(a.base.clone(), |b| b.base.clone());
    let tokens = test_tokens();
    let admin = tokens
        .mint(
            "bench",
            "ada",
            &["admin".into()],
            chrono::Duration::hours(1),
        )
        .unwrap();
    let client = reqwest::Client::new();
    let policy = json!({ "rules": [ { "name": "auto", "when": "true", "route": "AUTO" } ], "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] } });
    let created = post_graphql(&client, &a.base, &admin, "mutation($p: JSON!) { createWorkflow(input: { key: \"refunds\", name: \"R\", policy: $p }) { key } }", json!({ "p": policy })).await;
    assert!(
        created.get("errors").is_none() || created.to_string().contains("already exists"),
        "{created}"
    );
    let mut subs = join_all((0..subscribers).map(|_| subscriber(&a.base, &admin))).await;
    // Warm-up, not counted.
    measure(
        &write_base,
        &mut subs,
        3,
        &format!("warm-{label}-{subscribers}"),
    )
    .await;
    let mut samples = measure(
        &write_base,
        &mut subs,
        events,
        &format!("{label}-{subscribers}"),
    )
    .await;
    samples.sort_by(|x, y| x.partial_cmp(y).unwrap());
    println!(
        "| {label} | {subscribers} | {} | {:.1} | {:.1} | {:.1} |",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or_default()
    );
    drop(subs);
    drop((a, b));
}

#[tokio::main]
async fn main() {
    let events: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    println!("| setup | subscribers | samples | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    let dir = std::env::temp_dir().join("countersign-tests");
    std::fs::create_dir_all(&dir).unwrap();
    for subscribers in [1, 500] {
        let file = dir.join(format!("bench-{}.db", uuid::Uuid::now_v7().simple()));
        let url = format!("sqlite://{}?mode=rwc", file.display());
        scenario("1 replica, SQLite", &url, 1, subscribers, events).await;
        let _ = std::fs::remove_file(&file);
    }
    for (replicas, label) in [
        (1, "1 replica, PostgreSQL"),
        (2, "2 replicas, PostgreSQL (write on B, read on A)"),
    ] {
        for subscribers in [1, 500] {
            let Some(db) = PgDatabase::create().await else {
                return;
            };
            scenario(label, &db.url, replicas, subscribers, events).await;
            db.drop_database().await;
        }
    }
}
