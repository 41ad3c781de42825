//! Benchmark of analytics and exports at scale, through a real `countersign serve` process:
//! seeds BENCH_REQUESTS (default 1,000,000) requests over 180 days with `countersign seed`, then
//! times the dashboard query (all workflows, last 90 days, DAY series) cold and warm, after one
//! new submission (incremental), the exports, the server's peak memory, and one SQL aggregate
//! computing the same counts on the same database (whose answers must match).
//!
//! `cargo bench -p countersign-tests --bench analytics` (SQLite); with TEST_DATABASE_URL set,
//! PostgreSQL instead. BENCH_REQUESTS=100000 for a quick run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use countersign_tests::{PgDatabase, ServerProcess, countersign_bin, post_graphql, test_tokens};
use sea_orm::{ConnectionTrait, Database, Statement, Value as DbValue};
use serde_json::{Value, json};

const TENANT: &str = "bench";

const DASHBOARD: &str = "query($filter: AnalyticsFilter) { analytics(filter: $filter) {
    totals { submitted autoApproved humanApproved rejected pending expired cancelled executed executionFailed rolledBack sampled sampledIncorrect }
    autoApprovalRate humanApprovalRate rejectionRate editRate errorRate slaBreachRate
    cycleTime { count p50Seconds p90Seconds p99Seconds meanSeconds }
    rejectionReasons { reasonCode count share }
    cost { aiCostUsd reviewCostUsd totalCostUsd costPerRequestUsd }
    roi { hoursSaved valueSavedUsd netValueUsd roi }
    byWorkflow { workflowKey totals { submitted } autoApprovalRate cost { totalCostUsd } roi { roi } }
    series { bucketStart submitted autoApproved humanApproved rejected errors p50CycleSeconds aiCostUsd }
} }";

/// The same counts as `totals`, as one SQL aggregate.
const SQL_TOTALS: &str = "SELECT
    COUNT(*),
    SUM(CASE WHEN route = 'AUTO' THEN 1 ELSE 0 END),
    SUM(CASE WHEN route = 'HUMAN' AND status IN ('APPROVED','EXECUTED','EXECUTION_FAILED','ROLLED_BACK') THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'REJECTED' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'EXPIRED' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'CANCELLED' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status IN ('EXECUTED','ROLLED_BACK') THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'EXECUTION_FAILED' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'ROLLED_BACK' THEN 1 ELSE 0 END),
    SUM(CASE WHEN qa_sampled THEN 1 ELSE 0 END),
    SUM(CASE WHEN qa_verdict = 'INCORRECT' THEN 1 ELSE 0 END)
  FROM approval_request WHERE tenant_id = $1 AND submitted_at >= $2 AND submitted_at < $3";

const TOTAL_NAMES: [&str; 12] = [
    "submitted",
    "autoApproved",
    "humanApproved",
    "rejected",
    "pending",
    "expired",
    "cancelled",
    "executed",
    "executionFailed",
    "rolledBack",
    "sampled",
    "sampledIncorrect",
];

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Peak resident memory of a process (VmHWM), in MiB.
fn peak_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

async fn dashboard(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    filter: &Value,
) -> (Duration, Value) {
    let started = Instant::now();
    let out = post_graphql(client, base, token, DASHBOARD, json!({ "filter": filter })).await;
    let took = started.elapsed();
    assert!(out.get("errors").is_none(), "{out}");
    (took, out["data"]["analytics"].clone())
}

async fn export(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
) -> (Duration, usize) {
    let started = Instant::now();
    let res = client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    let bytes = res.bytes().await.unwrap().len();
    (started.elapsed(), bytes)
}

#[tokio::main]
async fn main() {
    let n: u64 = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let pg = PgDatabase::create().await;
    let sqlite_file = std::env::temp_dir().join(format!(
        "countersign-bench-{}.db",
        uuid::Uuid::now_v7().simple()
    ));
    let (kind, url) = match &pg {
        Some(db) => ("PostgreSQL", db.url.clone()),
        None => (
            "SQLite",
            format!("sqlite://{}?mode=rwc", sqlite_file.display()),
        ),
    };
    println!("analytics benchmark: {n} requests on {kind}");

    // Seed, as an operator would: the binary, a fixed end so runs compare.
    let end: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
    let bin = countersign_bin();
    let migrate = Command::new(&bin)
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let started = Instant::now();
    let seeded = Command::new(&bin)
        .args([
            "seed",
            "--database-url",
            &url,
            "--tenant",
            TENANT,
            "--requests",
            &n.to_string(),
            "--days",
            "180",
            "--workflows",
            "3",
            "--seed",
            "1",
            "--end",
            &end.to_rfc3339(),
        ])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let seed_time = started.elapsed();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    println!(
        "seed:                 {:>9.1} s ({:.0} requests/s)",
        seed_time.as_secs_f64(),
        n as f64 / seed_time.as_secs_f64()
    );

    let server = ServerProcess::start(
        &url,
        &[
            ("COUNTERSIGN_SCHEDULER_ENABLED", "false"),
            ("COUNTERSIGN_OUTBOX_ENABLED", "false"),
        ],
    )
    .await;
    let pid = server.pid();
    let client = reqwest::Client::new();
    let token = test_tokens()
        .mint(
            TENANT,
            "bench-auditor",
            &["auditor".into(), "admin".into(), "agent".into()],
            chrono::Duration::hours(2),
        )
        .unwrap();
    let from = end - chrono::Duration::days(90);
    let filter = json!({ "from": from.to_rfc3339(), "to": end.to_rfc3339(), "granularity": "DAY" });
    println!("server memory before analytics: {:>6.0} MiB", peak_mib(pid));

    let (cold, report) = dashboard(&client, &server.base, &token, &filter).await;
    println!(
        "dashboard cold:       {:>9.1} ms (loads every request into memory)",
        ms(cold)
    );
    let mut warm = Vec::new();
    for _ in 0..15 {
        warm.push(dashboard(&client, &server.base, &token, &filter).await.0);
    }
    let warm_p50 = median(warm.clone());
    println!(
        "dashboard warm:       {:>9.1} ms p50 of 15 (min {:.1} ms)",
        ms(warm_p50),
        ms(*warm.iter().min().unwrap())
    );
    let series = report["series"].as_array().unwrap().len();
    println!(
        "  90 days, DAY series: {series} points, {} requests in range",
        report["totals"]["submitted"]
    );

    // One new submission: the next query reads one request and rebuilds the frame.
    let admin = token.clone();
    let created = post_graphql(&client, &server.base, &admin, "mutation($k: String!) { submitAction(input: { workflowKey: $k, idempotencyKey: \"bench-new\", actionType: \"refund.issue\", title: \"new\", action: {}, amount: \"10\", confidence: 0.99 }) { request { id } } }", json!({ "k": report["byWorkflow"][0]["workflowKey"] })).await;
    assert!(created.get("errors").is_none(), "{created}");
    let all = json!({ "granularity": "DAY", "from": from.to_rfc3339() });
    let (after_change, _) = dashboard(&client, &server.base, &token, &all).await;
    println!(
        "dashboard after 1 new request: {:>4.1} ms (incremental refresh + frame rebuild)",
        ms(after_change)
    );

    // The same counts by one SQL aggregate on the same database.
    let db = Database::connect(&url).await.unwrap();
    let backend = db.get_database_backend();
    let mut sql_times = Vec::new();
    let mut sql_counts = Vec::new();
    for _ in 0..5 {
        let stmt = Statement::from_sql_and_values(
            backend,
            if kind == "SQLite" {
                SQL_TOTALS
                    .replace("$1", "?")
                    .replace("$2", "?")
                    .replace("$3", "?")
            } else {
                SQL_TOTALS.to_owned()
            },
            [
                DbValue::from(TENANT),
                DbValue::from(from),
                DbValue::from(end),
            ],
        );
        let started = Instant::now();
        let row = db.query_one_raw(stmt).await.unwrap().unwrap();
        sql_times.push(started.elapsed());
        sql_counts = (0..12)
            .map(|i| row.try_get_by_index::<Option<i64>>(i).unwrap().unwrap_or(0))
            .collect::<Vec<i64>>();
    }
    let sql = median(sql_times);
    for (i, name) in TOTAL_NAMES.iter().enumerate() {
        assert_eq!(
            report["totals"][name].as_i64().unwrap(),
            sql_counts[i],
            "{name}: analytics vs SQL"
        );
    }
    println!(
        "SQL aggregate (totals only): {:>5.1} ms p50 of 5 — the same 12 counts, equal",
        ms(sql)
    );
    println!(
        "  ratio SQL totals / warm full dashboard: {:.2}",
        ms(sql) / ms(warm_p50)
    );

    for path in [
        "/export/requests.csv",
        "/export/requests.parquet",
        "/export/requests.jsonl",
        "/export/audit.jsonl",
    ] {
        let (took, bytes) = export(&client, &server.base, &token, path).await;
        println!(
            "export {path:<26} {:>7.1} s, {:>7.1} MiB ({:.1} MiB/s)",
            took.as_secs_f64(),
            bytes as f64 / 1048576.0,
            bytes as f64 / 1048576.0 / took.as_secs_f64()
        );
    }
    println!("server peak memory (VmHWM): {:>6.0} MiB", peak_mib(pid));

    drop(server);
    db.close().await.ok();
    if let Some(db) = pg {
        db.drop_database().await;
    } else {
        let _ = std::fs::remove_file(&sqlite_file);
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", sqlite_file.display()));
        }
    }
}
