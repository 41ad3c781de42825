//! `countersign bench-analytics`: the analytics and export benchmark, run from the release binary
//! itself. Seeds a fresh tenant, starts this binary as a separate `serve` process, and through
//! HTTP times the dashboard query (all workflows, last 90 days, DAY series) cold, warm and after
//! one new submission, the exports, the server's peak memory, and one SQL aggregate computing the
//! same counts (whose answers must match).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{ConnectionTrait, EntityTrait, Statement, Value as DbValue};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::auth::TokenVerifier;
use crate::config::Settings;
use crate::seed::{SeedOptions, seed};

/// What to run.
pub struct BenchOptions {
    /// Requests to seed.
    pub requests: u64,
    /// Database (a scratch SQLite file when `None`).
    pub database_url: Option<String>,
    /// Tenant to use; when it already has history, seeding is skipped (re-run the measurements
    /// on an earlier run's data). Default: a fresh `bench-…` tenant.
    pub tenant: Option<String>,
    /// Measure the dashboard only, not the exports.
    pub no_exports: bool,
}

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
  FROM approval_requests WHERE tenant_id = $1 AND submitted_at >= $2 AND submitted_at < $3";

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

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
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

/// The server under test: this binary, `serve`, killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn start_server(url: &str, secret: &str) -> anyhow::Result<Server> {
    start_server_with(url, secret, &[]).await
}

/// [`start_server`] with further environment variables.
pub(crate) async fn start_server_with(
    url: &str,
    secret: &str,
    env: &[(&str, &str)],
) -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(std::env::current_exe()?)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", url)
        .env("COUNTERSIGN_JWT_SECRET", secret)
        .env("COUNTERSIGN_SCHEDULER_ENABLED", "false")
        .env("COUNTERSIGN_OUTBOX_ENABLED", "false")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
            && r.status().is_success()
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the server did not answer /healthz within 10 s")
}

pub(crate) async fn graphql(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let out: Value = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await?;
    if let Some(errors) = out.get("errors") {
        bail!("GraphQL errors: {errors}");
    }
    Ok(out["data"].clone())
}

async fn dashboard(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    filter: &Value,
) -> anyhow::Result<(Duration, Value)> {
    let started = Instant::now();
    let data = graphql(client, base, token, DASHBOARD, json!({ "filter": filter })).await?;
    Ok((started.elapsed(), data["analytics"].clone()))
}

/// Runs the benchmark and prints its figures.
pub async fn run(opts: BenchOptions) -> anyhow::Result<()> {
    let scratch = std::env::temp_dir().join(format!(
        "countersign-bench-{}.db",
        uuid::Uuid::now_v7().simple()
    ));
    let (url, kind) = match &opts.database_url {
        Some(url) => (
            url.clone(),
            if url.starts_with("postgres") {
                "PostgreSQL"
            } else {
                "SQLite"
            },
        ),
        None => (format!("sqlite://{}?mode=rwc", scratch.display()), "SQLite"),
    };
    let tenant = opts
        .tenant
        .clone()
        .unwrap_or_else(|| format!("bench-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]));
    println!(
        "analytics benchmark: {} requests, tenant {tenant}, {kind} ({})",
        opts.requests,
        crate::redact(&url)
    );
    let result = run_on(&opts, &url, kind, &tenant).await;
    if opts.database_url.is_none() && result.is_ok() {
        for suffix in ["", "-wal", "-shm", ".jwt-secret"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
        }
    }
    result
}

async fn run_on(opts: &BenchOptions, url: &str, kind: &str, tenant: &str) -> anyhow::Result<()> {
    let settings = Settings {
        database_url: url.to_owned(),
        ..Settings::default()
    };
    let store = crate::connect(&settings, true).await?;
    // A fixed end, so runs compare; 180 days of history, the dashboard reads the last 90.
    let end: DateTime<Utc> = "2026-11-01T00:00:00Z".parse()?;
    let mut seed_opts = SeedOptions::new(tenant, opts.requests);
    seed_opts.days = 180;
    seed_opts.seed = 1;
    seed_opts.end = Some(end);
    let existing = countersign_entity::tenant::Entity::find_by_id(tenant.to_owned())
        .one(store.db())
        .await?
        .map_or(0, |t| t.audit_seq);
    if existing > 0 {
        println!("seed: skipped, tenant {tenant} has {existing} audit events already");
    } else {
        let report = seed(&store, seed_opts).await?;
        println!(
            "seed:                      {:>8.1} s  ({:.0} requests/s, {} audit events)",
            report.elapsed.as_secs_f64(),
            report.rate(),
            report.events
        );
    }

    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let secret = hex::encode(key);
    let server = start_server(url, &secret).await?;
    let pid = server.child.id();
    let tokens = TokenVerifier::new(&settings, Some(&SecretString::from(secret.clone())))?;
    let token = tokens.mint(
        tenant,
        "bench",
        &["auditor".into(), "admin".into(), "agent".into()],
        chrono::Duration::hours(4),
    )?;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let from = end - chrono::Duration::days(90);
    let filter = json!({ "from": from, "to": end, "granularity": "DAY" });
    println!("server memory at start:    {:>8.0} MiB", peak_mib(pid));

    let (cold, first) = dashboard(&client, &base, &token, &filter).await?;
    println!(
        "dashboard, cold:           {:>8.1} ms (first query: loads the tenant's requests)",
        ms(cold)
    );
    let mut warm = Vec::new();
    for _ in 0..15 {
        warm.push(dashboard(&client, &base, &token, &filter).await?.0);
    }
    let warm_p50 = median(warm.clone());
    let warm_min = warm.iter().min().copied().unwrap_or_default();
    println!(
        "dashboard, warm:           {:>8.1} ms p50 of 15 (min {:.1} ms); {} requests in range, {} series points",
        ms(warm_p50),
        ms(warm_min),
        first["totals"]["submitted"],
        first["series"].as_array().map_or(0, Vec::len)
    );

    // One new request: the next query re-reads it and updates its row.
    let workflow = first["byWorkflow"][0]["workflowKey"].clone();
    graphql(&client, &base, &token, "mutation($k: String!, $idem: String!) { submitAction(input: { workflowKey: $k, idempotencyKey: $idem, actionType: \"refund.issue\", title: \"new\", action: {}, amount: \"10\", confidence: 0.99 }) { request { id } } }", json!({ "k": workflow, "idem": uuid::Uuid::now_v7().to_string() })).await?;
    let (after, _) = dashboard(&client, &base, &token, &filter).await?;
    println!(
        "dashboard, 1 new request:  {:>8.1} ms (incremental: re-reads 1 request and updates its row)",
        ms(after)
    );

    // The same 12 counts from one SQL aggregate on the same database.
    let db = store.db();
    let backend = db.get_database_backend();
    let sql = if kind == "SQLite" {
        SQL_TOTALS
            .replace("$1", "?")
            .replace("$2", "?")
            .replace("$3", "?")
    } else {
        SQL_TOTALS.to_owned()
    };
    let mut sql_times = Vec::new();
    let mut counts = Vec::new();
    for _ in 0..5 {
        let stmt = Statement::from_sql_and_values(
            backend,
            sql.clone(),
            [
                DbValue::from(tenant.to_owned()),
                DbValue::from(from),
                DbValue::from(end),
            ],
        );
        let started = Instant::now();
        let row = db
            .query_one_raw(stmt)
            .await?
            .context("the aggregate returned no row")?;
        sql_times.push(started.elapsed());
        counts = (0..12)
            .map(|i| {
                row.try_get_by_index::<Option<i64>>(i)
                    .map(|v| v.unwrap_or(0))
            })
            .collect::<Result<Vec<i64>, _>>()?;
    }
    for (i, name) in TOTAL_NAMES.iter().enumerate() {
        let ours = first["totals"][name].as_i64().unwrap_or(-1);
        ensure!(
            ours == counts[i],
            "{name}: analytics says {ours}, SQL says {}",
            counts[i]
        );
    }
    let sql_p50 = median(sql_times);
    println!(
        "SQL aggregate, 12 counts:  {:>8.1} ms p50 of 5 (same answers as the dashboard's totals)",
        ms(sql_p50)
    );
    println!(
        "  warm dashboard (every figure, per workflow, 90-point series) / SQL totals-only: {:.2}",
        ms(warm_p50) / ms(sql_p50)
    );
    println!(
        "server peak memory so far:  {:>6.0} MiB (VmHWM, before the exports)",
        peak_mib(pid)
    );
    if opts.no_exports {
        return Ok(());
    }

    for path in [
        "/export/requests.csv",
        "/export/requests.parquet",
        "/export/requests.jsonl",
        "/export/audit.jsonl",
    ] {
        let started = Instant::now();
        let res = client
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await?;
        ensure!(res.status().is_success(), "{path}: {}", res.status());
        let mut bytes = 0usize;
        let mut res = res;
        while let Some(chunk) = res.chunk().await? {
            bytes += chunk.len();
        }
        let took = started.elapsed().as_secs_f64();
        let mib = bytes as f64 / 1_048_576.0;
        println!(
            "export {path:<24} {took:>6.1} s  {mib:>8.1} MiB  ({:.1} MiB/s)",
            mib / took
        );
    }
    println!("server peak memory (VmHWM): {:>6.0} MiB", peak_mib(pid));
    Ok(())
}
