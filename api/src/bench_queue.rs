//! `countersign bench-queue`: the reviewer's side at scale. Fills a tenant with pending requests
//! (default 100,000, through the same submission code as the API, in this process), starts this
//! binary as a separate `serve` process, and through HTTP times the reads a reviewer app makes
//! (the queue's first page, with and without its count, the following pages, the request list
//! with and without filters, a reviewer's own list, the QA sample queue) one after another, then
//! `decide` from eight reviewers at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use countersign_entity::enums::RequestStatus;
use countersign_entity::{approval_request, workflow};
use rand::RngCore;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{Credential, Principal, TokenVerifier};
use crate::bench::{graphql, ms, start_server};
use crate::config::Settings;
use crate::domain::lifecycle::{self, SubmitInput};
use crate::domain::policy::Evaluator;
use crate::domain::workflows::{self, NewWorkflow};
use crate::store::Store;

/// What to run.
#[derive(Debug, Clone)]
pub struct QueueBenchOptions {
    /// Pending requests in the reviewers' queue.
    pub pending: u64,
    /// Database (a scratch SQLite file when `None`).
    pub database_url: Option<String>,
    /// Tenant to use; an earlier run's tenant is topped up to `pending` rather than refilled.
    pub tenant: Option<String>,
    /// Seconds per measured query.
    pub seconds: u64,
    /// Reviewers deciding at once.
    pub deciders: usize,
}

const WORKFLOW: &str = "queue-bench";
const AGENT: &str = "bench-agent";
/// AUTO approvals picked for QA, for the sample queue.
const SAMPLED: u64 = 2_000;

/// Every action goes to one `reviewer` step with a 4-hour SLA, except the largest (no SLA: the
/// queue's undated tail) and the smallest (approved at once, each picked for QA).
fn policy() -> Value {
    json!({
        "rules": [
            { "name": "tiny", "when": "amount < 10.0", "route": "AUTO", "sampleRate": 1.0, "sampleRole": "qa" },
            { "name": "large", "when": "amount >= 900.0", "route": "HUMAN", "steps": [{ "role": "reviewer" }] }
        ],
        "default": { "route": "HUMAN", "steps": [{ "role": "reviewer", "sla": "PT4H" }] }
    })
}

fn principal(tenant: &str, subject: &str, roles: &[&str]) -> Principal {
    Principal {
        subject: subject.to_owned(),
        tenant: tenant.to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        name: None,
        credential: Credential::Jwt,
    }
}

/// Submits `count` actions with amounts from `amounts`, `workers` at a time.
async fn submit_many(
    store: &Store,
    tenant: &str,
    count: u64,
    workers: u64,
    amount: impl Fn(u64) -> Decimal + Send + Sync + 'static,
) -> anyhow::Result<()> {
    let evaluator = Evaluator::new(4, Duration::from_secs(2));
    let agent = Arc::new(principal(tenant, AGENT, &["agent"]));
    let amount = Arc::new(amount);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (store, evaluator, agent, amount) = (
            store.clone(),
            evaluator.clone(),
            agent.clone(),
            amount.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = w;
            while n < count {
                let input = SubmitInput {
                    workflow_key: WORKFLOW.to_owned(),
                    idempotency_key: Uuid::now_v7().to_string(),
                    action_type: "refund.issue".to_owned(),
                    title: format!("Refund order #{}", 100_000 + n),
                    action: json!({ "order": 100_000 + n, "note": "late delivery" }),
                    recommendation: Some("Eligible under refund policy 4.2".to_owned()),
                    confidence: Some(0.8),
                    amount: Some(amount(n)),
                    currency: Some("USD".to_owned()),
                    risk_flags: None,
                    sources: None,
                    context: None,
                    model: Some("bench".to_owned()),
                    prompt_version: None,
                    cost_usd: None,
                    correlation: None,
                };
                lifecycle::submit(&store, &agent, input, &evaluator).await?;
                n += workers;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// Refreshes PostgreSQL's planner statistics (and with them its cached plans); nothing on SQLite.
async fn analyze(store: &Store) -> anyhow::Result<()> {
    if store.is_postgres() {
        use sea_orm::ConnectionTrait;
        store.db().execute_unprepared("ANALYZE").await?;
    }
    Ok(())
}

/// Creates the workflow when missing and fills the queue up to `pending` requests.
async fn fill(store: &Store, tenant: &str, pending: u64) -> anyhow::Result<()> {
    let admin = principal(tenant, "bench-admin", &["admin"]);
    let existing = workflow::Entity::find()
        .filter(workflow::Column::TenantId.eq(tenant))
        .filter(workflow::Column::Key.eq(WORKFLOW))
        .one(store.db())
        .await?;
    if existing.is_none() {
        workflows::create(
            store,
            &admin,
            NewWorkflow {
                key: WORKFLOW.to_owned(),
                name: "Queue benchmark".to_owned(),
                description: None,
                policy: policy(),
                roi: None,
            },
        )
        .await?;
    }
    let count = |status: RequestStatus| {
        approval_request::Entity::find()
            .filter(approval_request::Column::TenantId.eq(tenant))
            .filter(approval_request::Column::Status.eq(status))
            .count(store.db())
    };
    let have = count(RequestStatus::Pending).await?;
    let sampled = approval_request::Entity::find()
        .filter(approval_request::Column::TenantId.eq(tenant))
        .filter(approval_request::Column::QaSampled.eq(true))
        .count(store.db())
        .await?;
    let workers = if store.is_postgres() { 16 } else { 4 };
    let started = Instant::now();
    let missing = pending.saturating_sub(have);
    // In slices, with fresh planner statistics after each on PostgreSQL: a plan cached while the
    // tables were empty can stay wrong for the whole fill when autovacuum is off (as on the
    // development machine) and nothing else runs ANALYZE.
    let mut done = 0;
    while done < missing {
        let slice = (missing - done).min(10_000);
        let from = have + done;
        // Amounts 10.00 to 999.99: nine in ten get a due time, the rest none.
        submit_many(store, tenant, slice, workers, move |n| {
            let n = n + from;
            Decimal::new(1_000 + (n.wrapping_mul(7_919) % 99_000) as i64, 2)
        })
        .await?;
        analyze(store).await?;
        done += slice;
    }
    let sample_missing = SAMPLED.saturating_sub(sampled);
    submit_many(store, tenant, sample_missing, workers, |_| {
        Decimal::new(500, 2)
    })
    .await?;
    if missing + sample_missing > 0 {
        let secs = started.elapsed().as_secs_f64();
        println!(
            "fill: {missing} pending + {sample_missing} sampled submitted in {secs:.1} s ({:.0}/s, in-process, {workers} at a time)",
            (missing + sample_missing) as f64 / secs.max(1e-9)
        );
    } else {
        println!("fill: skipped, tenant {tenant} already has {have} pending");
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(label: &str, mut times: Vec<Duration>, elapsed: Duration) {
    times.sort();
    println!(
        "{label:<52} p50 {:>7.2} ms  p99 {:>7.2} ms  ({} in {:.1} s, {:.0}/s)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        times.len(),
        elapsed.as_secs_f64(),
        times.len() as f64 / elapsed.as_secs_f64().max(1e-9)
    );
}

/// Runs `query` (with `variables` from the previous answer) for `seconds`, one at a time.
async fn time_query(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    seconds: u64,
    query: &str,
    mut variables: impl FnMut(Option<&Value>) -> Value,
) -> anyhow::Result<Vec<Duration>> {
    // Warm up (caches, prepared statements) outside the figures.
    let mut last = None;
    for _ in 0..5 {
        last = Some(graphql(client, base, token, query, variables(last.as_ref())).await?);
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut times = Vec::new();
    while Instant::now() < deadline {
        let vars = variables(last.as_ref());
        let started = Instant::now();
        let data = graphql(client, base, token, query, vars).await?;
        times.push(started.elapsed());
        last = Some(data);
    }
    Ok(times)
}

const QUEUE_PAGE: &str = "query($after: String) { approvalQueue(first: 50, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id title workflowKey amount currency confidence riskFlags exceptions dueAt submittedAt } } } }";
const QUEUE_PAGE_COUNTED: &str = "{ approvalQueue(first: 50) { totalCount
  pageInfo { hasNextPage endCursor } edges { node { id title workflowKey amount currency confidence riskFlags exceptions dueAt submittedAt } } } }";
const REQUESTS: &str =
    "query($filter: RequestFilter) { approvalRequests(first: 50, filter: $filter) {
  pageInfo { hasNextPage endCursor } edges { node { id title status amount submittedAt } } } }";
const SAMPLES: &str = "{ sampleQueue(first: 50) { pageInfo { hasNextPage endCursor } edges { node { id title amount submittedAt } } } }";
const DECIDE: &str =
    "mutation($id: ID!) { decide(input: { requestId: $id, decision: APPROVE }) { id status } }";

/// Runs the benchmark and prints its figures.
pub async fn run(opts: QueueBenchOptions) -> anyhow::Result<()> {
    let scratch = std::env::temp_dir().join(format!(
        "countersign-bench-queue-{}.db",
        Uuid::now_v7().simple()
    ));
    let url = opts
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", scratch.display()));
    let tenant = opts
        .tenant
        .clone()
        .unwrap_or_else(|| format!("qbench-{}", &Uuid::now_v7().simple().to_string()[20..]));
    println!(
        "queue benchmark: {} pending, tenant {tenant}, {}",
        opts.pending,
        crate::redact(&url)
    );
    let result = run_on(&opts, &url, &tenant).await;
    if opts.database_url.is_none() && result.is_ok() {
        for suffix in ["", "-wal", "-shm", ".jwt-secret", ".link-key"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
        }
    }
    result
}

async fn run_on(opts: &QueueBenchOptions, url: &str, tenant: &str) -> anyhow::Result<()> {
    let settings = Settings {
        database_url: url.to_owned(),
        ..Settings::default()
    };
    let store = crate::connect(&settings, true).await?;
    fill(&store, tenant, opts.pending).await?;

    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let secret = hex::encode(key);
    let server = start_server(url, &secret).await?;
    let tokens = TokenVerifier::new(&settings, Some(&SecretString::from(secret)))?;
    let mint = |subject: &str, roles: &[&str]| {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        tokens.mint(tenant, subject, &roles, chrono::Duration::hours(4))
    };
    let reviewer = mint("reviewer-0", &["reviewer"])?;
    let admin = mint("bench-admin", &["admin"])?;
    let qa = mint("bench-qa", &["qa"])?;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let secs = opts.seconds;

    let first = graphql(&client, &base, &reviewer, QUEUE_PAGE_COUNTED, json!({})).await?;
    let total = first["approvalQueue"]["totalCount"].as_i64().unwrap_or(0);
    println!("reviewer-0's queue holds {total} requests\n");
    if total < 1_000 {
        bail!("the queue holds only {total} requests");
    }

    let measure = |label: &'static str, token: String, query: &'static str, vars: Value| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let started = Instant::now();
            let times = time_query(&client, &base, &token, secs, query, |_| vars.clone()).await?;
            report(label, times, started.elapsed());
            anyhow::Ok(())
        }
    };
    measure(
        "approvalQueue(first: 50), first page",
        reviewer.clone(),
        QUEUE_PAGE,
        json!({}),
    )
    .await?;
    measure(
        "approvalQueue(first: 50) with totalCount",
        reviewer.clone(),
        QUEUE_PAGE_COUNTED,
        json!({}),
    )
    .await?;
    // Page after page through the queue (from the start again at its end).
    let started = Instant::now();
    let times = time_query(&client, &base, &reviewer, secs, QUEUE_PAGE, |last| {
        let info = last.map(|d| &d["approvalQueue"]["pageInfo"]);
        match info {
            Some(i) if i["hasNextPage"] == json!(true) => json!({ "after": i["endCursor"] }),
            _ => json!({}),
        }
    })
    .await?;
    report(
        "approvalQueue(first: 50), following pages",
        times,
        started.elapsed(),
    );
    measure(
        "approvalRequests(first: 50), admin",
        admin.clone(),
        REQUESTS,
        json!({}),
    )
    .await?;
    measure(
        "approvalRequests(first: 50, PENDING + workflow), admin",
        admin.clone(),
        REQUESTS,
        json!({ "filter": { "status": ["PENDING"], "workflowKey": WORKFLOW } }),
    )
    .await?;
    measure(
        "approvalRequests(first: 50), reviewer",
        reviewer.clone(),
        REQUESTS,
        json!({}),
    )
    .await?;
    measure(
        "sampleQueue(first: 50), QA reviewer",
        qa,
        SAMPLES,
        json!({}),
    )
    .await?;

    // Decisions: each reviewer approves requests of its own share of the queue, so no two
    // race for one request (CONFLICT would end the run).
    let deciders = opts.deciders.max(1);
    let ids: Vec<Uuid> = approval_request::Entity::find()
        .select_only()
        .column(approval_request::Column::Id)
        .filter(approval_request::Column::TenantId.eq(tenant))
        .filter(approval_request::Column::Status.eq(RequestStatus::Pending))
        .limit(20_000)
        .into_tuple()
        .all(store.db())
        .await?;
    let mut tasks = Vec::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    for d in 0..deciders {
        let token = mint(&format!("reviewer-{}", d + 1), &["reviewer"])?;
        let mine: Vec<Uuid> = ids.iter().copied().skip(d).step_by(deciders).collect();
        let (client, base) = (client.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for id in mine {
                if Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                let data = graphql(&client, &base, &token, DECIDE, json!({ "id": id })).await?;
                times.push(t.elapsed());
                if data["decide"]["status"] != json!("APPROVED") {
                    bail!("decide answered {data}");
                }
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await?.context("a reviewer's decisions")?);
    }
    report(
        &format!("decide (APPROVE), {deciders} reviewers at once"),
        times,
        started.elapsed(),
    );
    drop(server);
    Ok(())
}
