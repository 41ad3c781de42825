//! CPU-heavy work runs off the request threads in bounded pools, counted in `/metrics`
//! (`countersign_compute_slots`): policy evaluation, whose slot a client frees by leaving, and
//! polars (analytics reports and every page of an export), which many exports at once share.

use countersign::config::Settings;
use countersign::seed::{SeedOptions, seed};
use countersign_tests::{TestApp, db_tests, eventually};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::common::*;
use crate::ops::{parse_metrics, scrape, value};

db_tests!(
    one_slow_evaluation;
    a_client_that_leaves_frees_its_policy_evaluation_slot,
);

db_tests!(
    one_polars_slot;
    many_exports_at_once_take_turns_in_the_analytics_pool,
);

/// One evaluation at a time, each allowed two minutes: only cancellation can free the slot early.
fn one_slow_evaluation(settings: &mut Settings) {
    settings.policy_eval_concurrency = 1;
    settings.policy_eval_timeout_ms = 120_000;
}

fn one_polars_slot(settings: &mut Settings) {
    settings.analytics_concurrency = 1;
}

/// `countersign_compute_slots{pool, state}` as `/metrics` shows it now.
async fn slots(app: &TestApp, pool: &str, state: &str) -> f64 {
    let text = scrape(app, None).await.text().await.unwrap();
    value(
        &parse_metrics(&text),
        "countersign_compute_slots",
        &[("pool", pool), ("state", state)],
    )
    .unwrap_or_else(|| panic!("no countersign_compute_slots{{pool={pool},state={state}}}:\n{text}"))
}

async fn a_client_that_leaves_frees_its_policy_evaluation_slot(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    assert_eq!(slots(app, "policy", "size").await, 1.0);
    assert_eq!(slots(app, "policy", "in_use").await, 0.0);

    // A candidate policy whose rule compares every pair of 50,000 items: hours of CEL.
    let quadratic = json!({
        "rules": [
            { "name": "pairs", "when": "action.items.all(a, action.items.all(b, a == b || a != b))", "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "reviewer" } ] }
    });
    let mut action = refund("refunds", "slow-1", "10");
    action["action"] = json!({ "items": vec![0; 50_000] });
    let body = serde_json::to_vec(&json!({
        "query": "query($p: JSON, $a: [SubmitActionInput!]!) { simulatePolicy(workflowKey: \"refunds\", policy: $p, actions: $a) { route exceptions } }",
        "variables": { "p": quadratic, "a": [action] },
    }))
    .unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        admin(app),
        body.len()
    );
    let mut conn = TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body).await.unwrap();
    eventually("the evaluation to take the slot", || async {
        (slots(app, "policy", "in_use").await == 1.0).then_some(())
    })
    .await;

    // The client goes away: the evaluation stops long before its two minutes.
    drop(conn);
    eventually("the slot to be given back", || async {
        (slots(app, "policy", "in_use").await == 0.0).then_some(())
    })
    .await;

    // The one slot serves the next submission at once.
    let out = submit(app, refund("refunds", "after-1", "10")).await;
    assert_eq!(out["route"], "AUTO", "{out}");
    assert_eq!(slots(app, "policy", "waiting").await, 0.0);
}

async fn many_exports_at_once_take_turns_in_the_analytics_pool(app: &TestApp) {
    let mut opts = SeedOptions::new(TENANT, 2_500);
    opts.seed = 5;
    seed(&app.state.store, opts).await.unwrap();
    let token = app.token(TENANT, "audrey", &["auditor"]);
    let get = |path: &'static str| {
        let req = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&token);
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap()
        }
    };

    // While the pool's one slot is taken, an export waits for it (its headers are already out).
    let held = app.state.analytics.slots().acquire().await.unwrap();
    let first = tokio::spawn({
        let req = app
            .client
            .get(format!("{}/export/requests.csv", app.base))
            .bearer_auth(&token)
            .send();
        async move { req.await.unwrap().bytes().await.unwrap() }
    });
    eventually("the export to wait for the slot", || async {
        (slots(app, "analytics", "waiting").await >= 1.0).then_some(())
    })
    .await;
    assert!(!first.is_finished());
    drop(held);
    let csv_lines = |body: &[u8]| std::str::from_utf8(body).unwrap().lines().count();
    assert_eq!(csv_lines(&first.await.unwrap()), 2_501);

    // Forty exports at once, in every format, each complete.
    let files = [
        "/export/requests.csv",
        "/export/requests.jsonl",
        "/export/requests.parquet",
        "/export/audit.jsonl",
    ];
    let runs = (0..40).map(|i| get(files[i % files.len()]));
    let bodies = futures::future::join_all(runs).await;
    let audit_events = app.count("audit_events").await as usize;
    for (i, body) in bodies.iter().enumerate() {
        match files[i % files.len()] {
            "/export/requests.csv" => assert_eq!(csv_lines(body), 2_501),
            "/export/requests.jsonl" => assert_eq!(csv_lines(body), 2_500),
            "/export/audit.jsonl" => assert_eq!(csv_lines(body), audit_events),
            _ => {
                let frame =
                    polars::prelude::ParquetReader::new(std::io::Cursor::new(body.to_vec()));
                use polars::prelude::SerReader;
                assert_eq!(frame.finish().unwrap().height(), 2_500);
            }
        }
    }
    assert_eq!(slots(app, "analytics", "in_use").await, 0.0);
    assert_eq!(slots(app, "analytics", "waiting").await, 0.0);
}
