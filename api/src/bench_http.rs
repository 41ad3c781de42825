//! `countersign bench-http`: the cost of the HTTP and GraphQL layers. The real server (this
//! binary, `serve`, on a scratch SQLite file) answers `{__typename}`; the floor is a bare axum
//! handler answering the same bytes, in its own process too (`bench-http-floor`). For each
//! concurrency the two are loaded in alternating rounds by the same client, and the command
//! prints throughput, latency and the CPU each process spent per request.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use secrecy::SecretString;

use crate::auth::TokenVerifier;
use crate::config::Settings;

/// What to run.
#[derive(Debug, Clone)]
pub struct HttpBenchOptions {
    /// Concurrent clients, one figure set each.
    pub concurrency: Vec<usize>,
    /// Seconds per round and target.
    pub seconds: u64,
    /// Rounds per concurrency (each loads the server, then the floor).
    pub rounds: u32,
}

const BODY: &str = r#"{"query":"{__typename}"}"#;
const ANSWER: &str = r#"{"data":{"__typename":"Query"}}"#;

/// A process under test, killed when dropped.
struct Target {
    name: &'static str,
    child: Child,
    url: String,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User plus system CPU time of a process, from `/proc` (Linux; clock ticks of 1/100 s).
fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at "state".
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_ready(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("{url}/healthz")).send().await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{url} did not answer within 10 s")
}

/// The floor: `POST /graphql` answered with the same bytes by a bare axum handler.
pub async fn serve_floor(listen: &str) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    let app = axum::Router::new()
        .route(
            "/graphql",
            axum::routing::post(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    ANSWER,
                )
            }),
        )
        .route("/healthz", axum::routing::get(|| async { "ok" }));
    // TCP_NODELAY, as the server sets it.
    let listener = tokio::net::TcpListener::bind(listen).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

/// What one round measured.
struct Round {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    cpu: Duration,
}

async fn load(
    target: &Target,
    token: &str,
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<Round> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let url = Arc::new(format!("{}/graphql", target.url));
    let token = Arc::new(format!("Bearer {token}"));
    let cpu_before = cpu(target.child.id());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, token) = (client.clone(), Arc::clone(&url), Arc::clone(&token));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let response = client
                    .post(url.as_str())
                    .header("authorization", token.as_str())
                    .header("content-type", "application/json")
                    .body(BODY)
                    .send()
                    .await?;
                let ok = response.status().is_success();
                let body = response.bytes().await?;
                if !ok || !body.starts_with(b"{\"data\"") {
                    bail!("unexpected answer: {}", String::from_utf8_lossy(&body));
                }
                latencies.push(sent.elapsed());
            }
            Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = started.elapsed();
    Ok(Round {
        requests: latencies.len(),
        elapsed,
        latencies,
        cpu: cpu(target.child.id()).saturating_sub(cpu_before),
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Totals of a target's rounds.
#[derive(Default)]
struct Totals {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    cpu: Duration,
}

impl Totals {
    fn add(&mut self, r: Round) {
        self.requests += r.requests;
        self.elapsed += r.elapsed;
        self.latencies.extend(r.latencies);
        self.cpu += r.cpu;
    }
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    fn line(&mut self) -> String {
        self.latencies.sort();
        format!(
            "{:>9.0} req/s  p50 {:>7.3} ms  p99 {:>7.3} ms  CPU {:>6.1} µs/req",
            self.rate(),
            percentile(&self.latencies, 0.5).as_secs_f64() * 1e3,
            percentile(&self.latencies, 0.99).as_secs_f64() * 1e3,
            self.cpu.as_secs_f64() * 1e6 / self.requests.max(1) as f64,
        )
    }
}

/// Runs the benchmark and prints its figures.
pub async fn run(opts: HttpBenchOptions) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "countersign-bench-http-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let database = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    let secret = format!("bench-http-{}", uuid::Uuid::now_v7().simple());
    let settings = Settings {
        jwt_secret: Some(SecretString::from(secret.clone())),
        ..Settings::default()
    };
    let token = TokenVerifier::new(&settings, settings.jwt_secret.as_ref())?.mint(
        "bench",
        "bench",
        &["admin".to_owned()],
        chrono::Duration::hours(4),
    )?;
    let exe = std::env::current_exe()?;
    let port = free_port()?;
    let server = Target {
        name: "server",
        child: Command::new(&exe)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", &database)
            .env("COUNTERSIGN_JWT_SECRET", &secret)
            .env("COUNTERSIGN_SCHEDULER_ENABLED", "false")
            .env("COUNTERSIGN_OUTBOX_ENABLED", "false")
            .env("COUNTERSIGN_SUBMIT_RATE_PER_MINUTE", "0")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()?,
        url: format!("http://127.0.0.1:{port}"),
    };
    let port = free_port()?;
    let floor = Target {
        name: "floor",
        child: Command::new(&exe)
            .args(["bench-http-floor", "--listen", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .spawn()?,
        url: format!("http://127.0.0.1:{port}"),
    };
    wait_ready(&server.url).await?;
    wait_ready(&floor.url).await?;
    println!(
        "{{__typename}} over POST /graphql: the server vs a bare axum handler, {} round(s) of {} s each, alternating",
        opts.rounds, opts.seconds
    );
    for &c in &opts.concurrency {
        let mut totals = [Totals::default(), Totals::default()];
        // Warm both up before measuring.
        load(&server, &token, c, 1).await?;
        load(&floor, &token, c, 1).await?;
        for _ in 0..opts.rounds {
            for (i, target) in [&server, &floor].into_iter().enumerate() {
                totals[i].add(load(target, &token, c, opts.seconds).await?);
            }
        }
        let ratio = totals[0].rate() / totals[1].rate().max(1e-9);
        println!("c = {c}");
        for (i, target) in [&server, &floor].into_iter().enumerate() {
            println!("  {:<6} {}", target.name, totals[i].line());
        }
        println!("  ratio  {ratio:.2}");
    }
    drop(server);
    drop(floor);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
