//! `countersign bench-intake`: how close `submitAction` comes to what the database allows.
//!
//! The server is this binary, `serve`, in its own process; agents submit over HTTP. The floor
//! is a client in this process that writes the same rows a submission writes (the request, its
//! step when it goes to people, its two audit events) in one transaction per action, with no
//! serialisation point: no audit head, no locks, nothing read first. On PostgreSQL it uses the
//! same driver as the server, with as many connections as clients; on SQLite it is one
//! connection through SQLite's C API directly (rusqlite), with the server's pragmas, since SQLite
//! takes one writer at a time anyway. For each concurrency the two run in alternating rounds and
//! the command prints throughput, latency and the ratio of the server to the floor.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use countersign_entity::enums::{RequestStatus, Route, StepStatus};
use countersign_entity::{approval_request, approval_step, audit_event};
use rand::RngCore;
use sea_orm::sea_query::Value as SqlValue;
use sea_orm::{ActiveModelTrait, DbBackend, EntityTrait, IntoActiveModel, QueryTrait, Statement};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{Credential, Principal, TokenVerifier};
use crate::bench::{Server, ms, start_server_with};
use crate::config::Settings;
use crate::domain::audit::{self, EventDraft, EventKind, content_hash};
use crate::domain::workflows::{self, NewWorkflow};
use crate::store::{GENESIS_HASH, Store, ensure_tenant, now};

/// What to run.
#[derive(Debug, Clone)]
pub struct IntakeBenchOptions {
    /// Database (a scratch SQLite file when `None`).
    pub database_url: Option<String>,
    /// Concurrent clients, one figure set each.
    pub concurrency: Vec<usize>,
    /// Seconds per round and target.
    pub seconds: u64,
    /// Rounds per concurrency (each loads the server, then the floor).
    pub rounds: u32,
    /// SQLite `synchronous = FULL` for both the server and the floor.
    pub sqlite_full_sync: bool,
}

const WORKFLOW: &str = "intake-bench";

/// Half the actions (amount under 100) are approved at once, half go to one reviewer step.
fn policy() -> Value {
    json!({
        "rules": [ { "name": "small", "when": "has_amount && amount < 100.0", "route": "AUTO" } ],
        "default": { "route": "HUMAN", "steps": [ { "role": "reviewer", "sla": "PT4H" } ] }
    })
}

fn amount_of(n: u64) -> String {
    format!("{}.{:02}", 40 + (n % 2) * 100 + n % 50, n % 100)
}

fn action_of(n: u64, amount: &str) -> Value {
    json!({ "order": format!("A-{n}"), "amount": amount, "currency": "USD", "note": "Sorry for the late delivery" })
}

const SUBMIT: &str = "mutation($input: SubmitActionInput!) { submitAction(input: $input) { request { id status } } }";

/// Latencies of one round.
struct Round {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

#[derive(Default)]
struct Totals {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Totals {
    fn add(&mut self, r: Round) {
        self.latencies.extend(r.latencies);
        self.elapsed += r.elapsed;
    }
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    fn line(&mut self) -> String {
        self.latencies.sort();
        let p = |q: f64| {
            if self.latencies.is_empty() {
                return 0.0;
            }
            ms(self.latencies[((self.latencies.len() - 1) as f64 * q).round() as usize])
        };
        format!(
            "{:>8.0} actions/s  p50 {:>7.2} ms  p99 {:>7.2} ms",
            self.rate(),
            p(0.5),
            p(0.99)
        )
    }
}

/// Waits for a round's clients and collects their latencies.
async fn gather(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Vec<Duration>>>>,
    started: Instant,
) -> anyhow::Result<Round> {
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(Round {
        latencies,
        elapsed: started.elapsed(),
    })
}

/// Loads the server: `concurrency` agents submitting one action after another.
async fn load_server(
    server: &Server,
    token: &str,
    concurrency: usize,
    seconds: u64,
    counter: &Arc<AtomicU64>,
) -> anyhow::Result<Round> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let url = Arc::new(format!("{}/graphql", server.base));
    let token = Arc::new(token.to_owned());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, token, counter) =
            (client.clone(), url.clone(), token.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let amount = amount_of(n);
                let input = json!({
                    "workflowKey": WORKFLOW,
                    "idempotencyKey": format!("bench-{n}-{}", Uuid::now_v7()),
                    "actionType": "refund.issue",
                    "title": format!("Refund order A-{n}"),
                    "action": action_of(n, &amount),
                    "recommendation": "Eligible under refund policy 4.2",
                    "confidence": 0.93,
                    "amount": amount,
                    "currency": "USD",
                    "model": "bench-model",
                });
                let sent = Instant::now();
                let res = client
                    .post(url.as_str())
                    .bearer_auth(token.as_str())
                    .json(&json!({ "query": SUBMIT, "variables": { "input": input } }))
                    .send()
                    .await?;
                let body: Value = res.json().await?;
                if body.get("errors").is_some() {
                    bail!("submitAction failed: {body}");
                }
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    gather(tasks, started).await
}

/// The rows one submission of action `n` writes, built as the server builds them.
struct Rows {
    request: approval_request::Model,
    step: Option<approval_step::Model>,
    events: Vec<audit_event::Model>,
}

fn rows_of(tenant: &str, workflow_id: Uuid, n: u64, seq: &AtomicI64) -> anyhow::Result<Rows> {
    let at = now();
    let id = Uuid::now_v7();
    let amount = amount_of(n);
    let action = action_of(n, &amount);
    let auto = n.is_multiple_of(2);
    let action_hash = content_hash(&action)?;
    let due = (!auto).then(|| at + chrono::Duration::hours(4));
    let request = approval_request::Model {
        id,
        tenant_id: tenant.to_owned(),
        workflow_id,
        workflow_key: WORKFLOW.to_owned(),
        policy_version: 1,
        matched_rule: auto.then(|| "small".to_owned()),
        route: if auto { Route::Auto } else { Route::Human },
        status: if auto {
            RequestStatus::Approved
        } else {
            RequestStatus::Pending
        },
        version: 1,
        idempotency_key: format!("floor-{n}-{id}"),
        input_hash: action_hash.clone(),
        action_type: "refund.issue".to_owned(),
        title: format!("Refund order A-{n}"),
        action: action.to_string(),
        final_action: action.to_string(),
        edit_patch: None,
        final_action_hash: action_hash.clone(),
        recommendation: Some("Eligible under refund policy 4.2".to_owned()),
        confidence: Some(0.93),
        amount: Some(amount.clone()),
        currency: Some("USD".to_owned()),
        risk_flags: "[]".to_owned(),
        exceptions: "[]".to_owned(),
        duplicate_key: None,
        duplicate_of: None,
        sources: "[]".to_owned(),
        context: None,
        correlation: None,
        model: Some("bench-model".to_owned()),
        prompt_version: None,
        cost_usd: None,
        qa_sampled: false,
        qa_role: None,
        qa_verdict: None,
        qa_reason_code: None,
        qa_comment: None,
        qa_reviewed_by: None,
        qa_reviewed_at: None,
        current_step: (!auto).then_some(0),
        due_at: due,
        reason_code: None,
        submitted_by: "bench-agent".to_owned(),
        submitted_at: at,
        decided_at: auto.then_some(at),
        expires_at: None,
        executed_at: None,
        external_ref: None,
        execution_error: None,
        updated_at: at,
    };
    let step = (!auto).then(|| approval_step::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.to_owned(),
        request_id: id,
        idx: 0,
        role: "reviewer".to_owned(),
        quorum: 1,
        approvals: 0,
        status: StepStatus::Open,
        sla_ms: Some(4 * 3_600_000),
        opened_at: Some(at),
        due_at: due,
        escalation_role: None,
        escalated_to: None,
        escalated_at: None,
        decided_at: None,
    });
    let submitted = EventDraft::new(
        EventKind::RequestSubmitted,
        "bench-agent",
        json!({ "actionType": "refund.issue", "title": request.title, "action": action,
                "actionHash": action_hash, "recommendation": request.recommendation,
                "confidence": 0.93, "amount": amount, "currency": "USD", "riskFlags": [],
                "sources": [], "model": "bench-model", "policyVersion": 1,
                "route": if auto { "AUTO" } else { "HUMAN" }, "matchedRule": request.matched_rule,
                "exceptions": [] }),
    );
    let second = if auto {
        EventDraft::new(
            EventKind::AutoApproved,
            "system",
            json!({ "rule": "small", "policyVersion": 1, "finalActionHash": action_hash, "qaSampled": false, "sampleRate": 0.0 }),
        )
    } else {
        EventDraft::new(
            EventKind::StepOpened,
            "system",
            json!({ "step": 0, "role": "reviewer", "quorum": 1, "dueAt": due.map(audit::format_time) }),
        )
    };
    let drafts = vec![submitted, second]
        .into_iter()
        .map(|e| e.workflow(WORKFLOW).request(id))
        .collect();
    // Numbers from a counter, hashes over a fixed predecessor: no chain to wait for.
    let first_seq = seq.fetch_add(2, Ordering::Relaxed);
    let events = audit::chain(GENESIS_HASH, first_seq, tenant, at, drafts, Uuid::now_v7)?;
    Ok(Rows {
        request,
        step,
        events,
    })
}

/// The floor on PostgreSQL: `concurrency` clients, one transaction per action, same driver.
async fn load_floor_postgres(
    store: &Store,
    ctx: &FloorContext,
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<Round> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (db, ctx) = (store.db().clone(), ctx.clone());
        tasks.push(tokio::spawn(async move {
            use sea_orm::TransactionTrait;
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let n = ctx.counter.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                let rows = rows_of(&ctx.tenant, ctx.workflow_id, n, &ctx.seq)?;
                let txn = db.begin().await?;
                approval_request::Entity::insert(rows.request.into_active_model().reset_all())
                    .exec_without_returning(&txn)
                    .await?;
                if let Some(step) = rows.step {
                    approval_step::Entity::insert(step.into_active_model().reset_all())
                        .exec_without_returning(&txn)
                        .await?;
                }
                audit_event::Entity::insert_many(
                    rows.events
                        .into_iter()
                        .map(|e| e.into_active_model().reset_all()),
                )
                .exec_without_returning(&txn)
                .await?;
                txn.commit().await?;
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    gather(tasks, started).await
}

/// A sea-query value as SQLite stores it through the server's driver (sqlx): booleans and
/// integers as integers, text as text, UUIDs as 16-byte blobs, times as RFC 3339 text.
fn sqlite_value(v: &SqlValue) -> anyhow::Result<rusqlite::types::Value> {
    use rusqlite::types::Value as V;
    Ok(match v {
        SqlValue::Bool(b) => b.map_or(V::Null, |b| V::Integer(i64::from(b))),
        SqlValue::TinyInt(i) => i.map_or(V::Null, |i| V::Integer(i64::from(i))),
        SqlValue::SmallInt(i) => i.map_or(V::Null, |i| V::Integer(i64::from(i))),
        SqlValue::Int(i) => i.map_or(V::Null, |i| V::Integer(i64::from(i))),
        SqlValue::BigInt(i) => i.map_or(V::Null, V::Integer),
        SqlValue::Double(f) => f.map_or(V::Null, V::Real),
        SqlValue::String(s) => s.as_ref().map_or(V::Null, |s| V::Text(s.clone())),
        SqlValue::Uuid(u) => u.map_or(V::Null, |u| V::Blob(u.as_bytes().to_vec())),
        SqlValue::ChronoDateTimeUtc(t) => {
            t.map_or(V::Null, |t| V::Text(t.format("%F %T%.f%:z").to_string()))
        }
        other => bail!("the SQLite floor does not bind {other:?}"),
    })
}

/// Runs one statement of the floor, prepared once per connection.
fn sqlite_exec(conn: &rusqlite::Connection, stmt: Statement) -> anyhow::Result<()> {
    let params = stmt
        .values
        .map(|v| v.0)
        .unwrap_or_default()
        .iter()
        .map(sqlite_value)
        .collect::<anyhow::Result<Vec<_>>>()?;
    conn.prepare_cached(&stmt.sql)?
        .execute(rusqlite::params_from_iter(params))?;
    Ok(())
}

/// The floor on SQLite: one connection, one transaction per action, for `seconds`.
fn load_floor_sqlite(
    path: &str,
    ctx: &FloorContext,
    seconds: u64,
    full_sync: bool,
) -> anyhow::Result<Round> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
        if full_sync { "FULL" } else { "NORMAL" }
    ))?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let n = ctx.counter.fetch_add(1, Ordering::Relaxed);
        let sent = Instant::now();
        let rows = rows_of(&ctx.tenant, ctx.workflow_id, n, &ctx.seq)?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        sqlite_exec(
            &conn,
            approval_request::Entity::insert(rows.request.into_active_model().reset_all())
                .build(DbBackend::Sqlite),
        )?;
        if let Some(step) = rows.step {
            sqlite_exec(
                &conn,
                approval_step::Entity::insert(step.into_active_model().reset_all())
                    .build(DbBackend::Sqlite),
            )?;
        }
        sqlite_exec(
            &conn,
            audit_event::Entity::insert_many(
                rows.events
                    .into_iter()
                    .map(|e| e.into_active_model().reset_all()),
            )
            .build(DbBackend::Sqlite),
        )?;
        conn.execute_batch("COMMIT")?;
        latencies.push(sent.elapsed());
    }
    Ok(Round {
        latencies,
        elapsed: started.elapsed(),
    })
}

/// What the floor writes into: its own tenant (so nothing the server reads), the benchmark's
/// workflow id, counters.
#[derive(Clone)]
struct FloorContext {
    tenant: String,
    workflow_id: Uuid,
    counter: Arc<AtomicU64>,
    seq: Arc<AtomicI64>,
}

/// Runs the benchmark and prints its figures.
pub async fn run(opts: IntakeBenchOptions) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "countersign-bench-intake-{}",
        Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("bench.db");
    let url = opts
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", file.display()));
    let result = run_on(&opts, &url, &file.display().to_string()).await;
    if opts.database_url.is_none() && result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn run_on(opts: &IntakeBenchOptions, url: &str, sqlite_path: &str) -> anyhow::Result<()> {
    let postgres = url.starts_with("postgres");
    if !postgres && opts.database_url.is_some() {
        bail!(
            "bench-intake runs on PostgreSQL (--database-url postgres://…) or on a scratch SQLite file (no --database-url)"
        );
    }
    let max = opts.concurrency.iter().copied().max().unwrap_or(1);
    let settings = Settings {
        database_url: url.to_owned(),
        db_max_connections: u32::try_from(max.max(4)).unwrap_or(64),
        sqlite_synchronous: if opts.sqlite_full_sync {
            crate::config::SqliteSync::Full
        } else {
            crate::config::SqliteSync::Normal
        },
        ..Settings::default()
    };
    let store = crate::connect(&settings, true).await?;
    let suffix = &Uuid::now_v7().simple().to_string()[20..];
    let tenant = format!("intake-{suffix}");
    let floor_tenant = format!("floor-{suffix}");
    let admin = Principal {
        subject: "bench-admin".to_owned(),
        tenant: tenant.clone(),
        roles: vec!["admin".to_owned()],
        name: None,
        credential: Credential::Jwt,
    };
    let workflow = workflows::create(
        &store,
        &admin,
        NewWorkflow {
            key: WORKFLOW.to_owned(),
            name: "Intake benchmark".to_owned(),
            description: None,
            policy: policy(),
            roi: None,
        },
    )
    .await?;
    ensure_tenant(store.db(), &floor_tenant).await?;
    let floor = FloorContext {
        tenant: floor_tenant,
        workflow_id: workflow.id,
        counter: Arc::new(AtomicU64::new(0)),
        seq: Arc::new(AtomicI64::new(0)),
    };

    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let secret = hex::encode(key);
    let sync = if opts.sqlite_full_sync {
        "FULL"
    } else {
        "NORMAL"
    };
    // The server keeps its default pool (16 connections); the floor gets one per client, so both
    // fit in PostgreSQL's default 100 connections at c = 64.
    let server = start_server_with(
        url,
        &secret,
        &[
            ("COUNTERSIGN_SUBMIT_RATE_PER_MINUTE", "0"),
            ("COUNTERSIGN_SQLITE_SYNCHRONOUS", sync),
        ],
    )
    .await?;
    let tokens = TokenVerifier::new(&settings, Some(&SecretString::from(secret)))?;
    let token = tokens.mint(
        &tenant,
        "bench-agent",
        &["agent".to_owned()],
        chrono::Duration::hours(4),
    )?;
    let counter = Arc::new(AtomicU64::new(0));
    println!(
        "submitAction: the server ({}) vs the floor ({}), {} round(s) of {} s each, alternating; half the actions approved at once, half to one reviewer step",
        if postgres {
            "PostgreSQL".to_owned()
        } else {
            format!("SQLite, synchronous = {sync}")
        },
        if postgres {
            "the same rows, one transaction per action, same driver, no audit head"
        } else {
            "the same rows, one transaction per action, one connection through SQLite's C API"
        },
        opts.rounds,
        opts.seconds
    );
    for &c in &opts.concurrency {
        // Warm both up outside the figures.
        load_server(&server, &token, c, 1, &counter).await?;
        if postgres {
            // Fresh planner statistics, as autovacuum would keep them (it is off on some
            // development machines): plans cached while the tables were empty can be wrong.
            use sea_orm::ConnectionTrait;
            store.db().execute_unprepared("ANALYZE").await?;
        }
        let mut totals = [Totals::default(), Totals::default()];
        let floor_round = |seconds: u64| {
            let (store, floor, path) = (store.clone(), floor.clone(), sqlite_path.to_owned());
            let full = opts.sqlite_full_sync;
            async move {
                if postgres {
                    load_floor_postgres(&store, &floor, c, seconds).await
                } else {
                    tokio::task::spawn_blocking(move || {
                        load_floor_sqlite(&path, &floor, seconds, full)
                    })
                    .await
                    .context("the SQLite floor")?
                }
            }
        };
        floor_round(1).await?;
        for _ in 0..opts.rounds {
            totals[0].add(load_server(&server, &token, c, opts.seconds, &counter).await?);
            totals[1].add(floor_round(opts.seconds).await?);
        }
        let ratio = totals[0].rate() / totals[1].rate().max(1e-9);
        println!("c = {c}");
        println!("  server {}", totals[0].line());
        println!("  floor  {}", totals[1].line());
        println!("  ratio  {ratio:.2}");
    }
    // The chain the server wrote must still verify, gap-free.
    let verification = audit::verify(store.db(), &tenant).await?;
    if !verification.ok {
        bail!("the server's audit chain does not verify after the run");
    }
    println!(
        "audit chain of the server's tenant: {} events, verified",
        verification.checked
    );
    drop(server);
    Ok(())
}
