//! Operations: `/metrics`, `/readyz` and `/healthz`, logs, configuration checks, SQLite open
//! errors, and the connection-level limits (header-read timeout, connection limit, WebSocket
//! idle timeout).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use countersign::Application;
use countersign::config::{LogFormat, Settings};
use countersign_tests::{Db, ServerProcess, TestApp, bounded, countersign_bin, db_tests};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

use crate::common::{CREATE_WORKFLOW, DECIDE, SUBMIT, refund, refund_policy};
use crate::wsclient::{Incoming, WsClient};

const METRICS_TOKEN: &str = "metrics-token-for-tests";

/// One sample of the exposition text: name, labels, value.
#[derive(Debug)]
pub(crate) struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

pub(crate) fn parse_metrics(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap();
                    (k.to_owned(), v.trim_matches('"').to_owned())
                })
                .collect();
            Sample {
                name: name.to_owned(),
                labels,
                value: value.parse().unwrap(),
            }
        })
        .collect()
}

/// The value of the series `name` whose labels include `labels`.
pub(crate) fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

pub(crate) async fn scrape(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(format!("{}/metrics", app.base));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

fn with_metrics_token(settings: &mut Settings) {
    settings.metrics_token = Some(SecretString::from(METRICS_TOKEN));
}

db_tests!(with_metrics_token; metrics_report_requests_submissions_decisions_and_queues);

/// A submission and a decision show in the counters, the queue gauges are read from the
/// database, GraphQL requests are counted by operation name and outcome with latencies, and the
/// token is required.
async fn metrics_report_requests_submissions_decisions_and_queues(app: &TestApp) {
    // Counters are process-wide (several servers run in this test process): a tenant of its own
    // keeps this test's series apart.
    let tenant = format!("ops-{}", Uuid::now_v7().simple());
    let admin = app.token(&tenant, "ops-admin", &["admin"]);
    let agent = app.token(&tenant, "ops-bot", &["agent"]);
    let reviewer = app.token(&tenant, "ops-reviewer", &["support_agent"]);
    app.data(
        &admin,
        CREATE_WORKFLOW,
        json!({ "input": { "key": "refunds", "name": "Refunds", "policy": refund_policy() } }),
    )
    .await;
    let submit = format!("mutation OpsSubmit{}", &SUBMIT["mutation".len()..]);
    let auto = app
        .data(
            &agent,
            &submit,
            json!({ "input": refund("refunds", "k-auto", "20.00") }),
        )
        .await;
    assert_eq!(auto["submitAction"]["route"], "AUTO");
    let mut human = Vec::new();
    for key in ["k-h1", "k-h2"] {
        let r = app
            .data(
                &agent,
                &submit,
                json!({ "input": refund("refunds", key, "200.00") }),
            )
            .await;
        assert_eq!(r["submitAction"]["route"], "HUMAN");
        human.push(
            r["submitAction"]["request"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    app.data(
        &reviewer,
        DECIDE,
        json!({ "input": { "requestId": human[0], "decision": "APPROVE" } }),
    )
    .await;
    // A refused request: its outcome is its error code.
    let refused = app
        .gql("", "query OpsRefused { me { subject } }", json!({}))
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );

    // The token is enforced.
    assert_eq!(scrape(app, None).await.status(), 401);
    assert_eq!(scrape(app, Some("wrong")).await.status(), 401);
    let resp = scrape(app, Some(METRICS_TOKEN)).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    let samples = parse_metrics(&text);
    let t = tenant.as_str();

    let wf = [("tenant", t), ("workflow", "refunds")];
    let submissions = |route| {
        value(
            &samples,
            "countersign_submissions_total",
            &[wf[0], wf[1], ("route", route)],
        )
    };
    assert_eq!(submissions("AUTO"), Some(1.0), "{text}");
    assert_eq!(submissions("HUMAN"), Some(2.0), "{text}");
    assert_eq!(
        value(
            &samples,
            "countersign_decisions_total",
            &[wf[0], wf[1], ("decision", "APPROVE")]
        ),
        Some(1.0)
    );
    // One of the two HUMAN requests is still pending.
    assert_eq!(
        value(&samples, "countersign_queue_depth", &wf),
        Some(1.0),
        "{text}"
    );
    let age = value(
        &samples,
        "countersign_queue_oldest_pending_age_seconds",
        &wf,
    )
    .unwrap();
    assert!((0.0..600.0).contains(&age), "oldest pending age {age}");

    // GraphQL requests by operation and outcome, with a latency histogram. Other servers in
    // this process send the same operations, so at least this test's own.
    let ok = [("operation", "OpsSubmit"), ("outcome", "ok")];
    assert!(value(&samples, "countersign_graphql_requests_total", &ok).unwrap() >= 3.0);
    let count = value(
        &samples,
        "countersign_graphql_request_duration_seconds_count",
        &ok,
    )
    .unwrap();
    assert!(count >= 3.0);
    assert!(
        value(
            &samples,
            "countersign_graphql_request_duration_seconds_bucket",
            &[ok[0], ok[1], ("le", "+Inf")]
        )
        .unwrap()
            >= 3.0
    );
    assert!(
        value(
            &samples,
            "countersign_graphql_requests_total",
            &[("operation", "unread"), ("outcome", "UNAUTHENTICATED")]
        )
        .unwrap()
            >= 1.0
    );

    // Gauges of this server, read at scrape time.
    for name in [
        "countersign_outbox_backlog",
        "countersign_outbox_oldest_pending_age_seconds",
        "countersign_outbox_failed",
        "countersign_scheduler_lag_seconds",
    ] {
        assert!(
            value(&samples, name, &[]).is_some(),
            "{name} missing:\n{text}"
        );
    }
    let idle = value(
        &samples,
        "countersign_db_pool_connections",
        &[("state", "idle")],
    );
    let in_use = value(
        &samples,
        "countersign_db_pool_connections",
        &[("state", "in_use")],
    );
    assert!(idle.unwrap() + in_use.unwrap() >= 1.0, "{text}");
}

/// Operation names are labels only when they are short identifiers; clients cannot invent
/// arbitrary label values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_operation_names_are_bounded() {
    bounded(async {
        let app = TestApp::spawn(Db::Sqlite).await.unwrap();
        let token = app.token("ops-names", "someone", &["admin"]);
        let body = json!({ "query": "{ me { subject } }" });
        let resp = app
            .client
            .post(format!("{}/graphql", app.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let text = scrape(&app, None).await.text().await.unwrap();
        let samples = parse_metrics(&text);
        assert!(
            value(
                &samples,
                "countersign_graphql_requests_total",
                &[("operation", "anonymous"), ("outcome", "ok")]
            )
            .unwrap()
                >= 1.0
        );
        // Without a token configured, /metrics is open; every operation label is an identifier.
        for s in samples
            .iter()
            .filter(|s| s.name == "countersign_graphql_requests_total")
        {
            let op = &s.labels["operation"];
            assert!(
                op.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{op}"
            );
        }
        app.cleanup().await;
    })
    .await;
}

db_tests!(readyz_is_ready_on_a_migrated_database);

async fn readyz_is_ready_on_a_migrated_database(app: &TestApp) {
    let resp = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["status"], "ready");
}

/// A server started without migrating an empty database is alive but not ready, with the
/// reason; once the migrations run it is ready.
async fn readyz_waits_for_migrations(db: Db) {
    let Some(app) = TestApp::spawn_with(db, |s| {
        s.migrate = false;
        s.scheduler_enabled = false;
        s.outbox_enabled = false;
    })
    .await
    else {
        return;
    };
    let get = |path: &str| app.client.get(format!("{}{path}", app.base)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    let resp = get("/readyz").await.unwrap();
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    let reason = body["reason"].as_str().unwrap();
    assert!(
        reason.contains("migration(s) not applied") && reason.contains("countersign migrate"),
        "{body}"
    );
    let settings = Settings {
        database_url: app.database_url.clone(),
        ..Settings::default()
    };
    countersign::migrate(&settings).await.unwrap();
    let resp = get("/readyz").await.unwrap();
    assert_eq!(resp.status(), 200);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_waits_for_migrations_sqlite() {
    bounded(readyz_waits_for_migrations(Db::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_waits_for_migrations_postgres() {
    bounded(readyz_waits_for_migrations(Db::Postgres)).await;
}

/// Log lines written to memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            !text.contains('\u{1b}'),
            "ANSI escape in JSON logs:\n{text}"
        );
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

/// JSON logs: start-up says the database kind, that it migrated and how much, the URL, and
/// where the generated JWT secret is; a request's span carries its id and the principal. The
/// runtime is single-threaded, so the log subscriber set for this thread sees the server too.
#[tokio::test]
async fn json_logs_carry_startup_facts_request_id_and_principal() {
    bounded(async {
        let dir = std::env::temp_dir().join(format!("cs-logs-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: format!("sqlite://{}/logs.db?mode=rwc", dir.display()),
            jwt_secret: None,
            ..Settings::default()
        };
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = countersign::telemetry::log_subscriber(
            LogFormat::Json,
            move || writer.clone(),
            false,
            tracing_subscriber::EnvFilter::new("info,tower_http=debug"),
        );
        let _guard = tracing::subscriber::set_default(subscriber);

        let secret = countersign::auth::resolve_jwt_secret(&settings).unwrap();
        let tokens = countersign::auth::TokenVerifier::new(&settings, secret.as_ref()).unwrap();
        let app = Application::build(settings.clone()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stop_rx.await;
        }));
        let token = tokens
            .mint(
                "log-tenant",
                "log-user",
                &["admin".to_owned()],
                chrono::Duration::hours(1),
            )
            .unwrap();
        let resp = reqwest::Client::new()
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .header("x-request-id", "req-ops-logs-1")
            .json(&json!({ "query": "{ me { subject } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let _ = stop_tx.send(());
        server.await.unwrap().unwrap();

        let lines = captured.lines();
        let find = |message: &str| {
            lines
                .iter()
                .find(|l| l["fields"]["message"] == message)
                .unwrap_or_else(|| panic!("no {message:?} line in {lines:#?}"))
                .clone()
        };
        let db = find("database ready");
        assert_eq!(db["fields"]["kind"], "sqlite");
        assert_eq!(db["fields"]["migrated"], true);
        let conn = sea_orm::Database::connect(&settings.database_url)
            .await
            .unwrap();
        let applied = sea_orm::ConnectionTrait::query_one_raw(
            &conn,
            sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "SELECT COUNT(*) AS n FROM seaql_migrations",
            ),
        )
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
        conn.close().await.ok();
        assert!(applied >= 2);
        assert_eq!(db["fields"]["migrations_applied"], applied);
        let listening = find("countersign listening");
        // The console's address comes first: it is what a person opens.
        let console = listening["fields"]["console"].as_str().unwrap();
        assert_eq!(console, format!("{base}/"));
        assert_eq!(listening["fields"]["graphql"], format!("{base}/graphql"));
        let secret_line = lines
            .iter()
            .find(|l| {
                l["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("JWT secret kept in this file"))
            })
            .unwrap_or_else(|| panic!("no line names the secret file: {lines:#?}"));
        assert!(
            secret_line["fields"]["path"]
                .as_str()
                .unwrap()
                .ends_with("logs.jwt-secret")
        );
        assert!(
            secret_line["fields"]["path"]
                .as_str()
                .unwrap()
                .starts_with(dir.to_str().unwrap())
        );
        // tower-http's response event, inside the request's span.
        let response = lines
            .iter()
            .find(|l| {
                l["span"]["request_id"] == "req-ops-logs-1"
                    && l["fields"]["message"] == "finished processing request"
            })
            .unwrap_or_else(|| panic!("no response line in the request's span: {lines:#?}"));
        assert_eq!(response["span"]["name"], "request");
        assert_eq!(response["span"]["subject"], "log-user");
        assert_eq!(response["span"]["tenant"], "log-tenant");
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

/// The `countersign` binary, writing to a file (not a terminal): JSON lines with
/// COUNTERSIGN_LOG_FORMAT=json, and no colour codes in either format.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_json_and_no_colour_when_not_on_a_terminal() {
    bounded(async {
        for format in ["json", "text"] {
            let dir = std::env::temp_dir().join("countersign-tests");
            std::fs::create_dir_all(&dir).unwrap();
            let db = dir.join(format!("{}.db", Uuid::now_v7().simple()));
            let url = format!("sqlite://{}?mode=rwc", db.display());
            let server = ServerProcess::start(
                &url,
                &[("COUNTERSIGN_LOG_FORMAT", format), ("RUST_LOG", "info")],
            )
            .await;
            let log = server.log_text();
            assert!(
                !log.contains('\u{1b}'),
                "colour codes in {format} logs:\n{log}"
            );
            assert!(log.contains("countersign listening"), "{log}");
            if format == "json" {
                for line in log.lines() {
                    let v: Value = serde_json::from_str(line)
                        .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                    assert!(v["level"].is_string(), "{line}");
                }
            }
            drop(server);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
            }
        }
    })
    .await;
}

/// A misspelt key in the config file stops the command, naming the key; an unknown
/// COUNTERSIGN_ variable is named in a warning.
#[test]
fn unknown_config_keys_are_refused_and_unknown_variables_named() {
    let dir = std::env::temp_dir().join(format!("cs-config-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("countersign.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:0\"\nschedular_enabled = false\n",
    )
    .unwrap();
    let out = Command::new(countersign_bin())
        .args(["--config", file.to_str().unwrap(), "schema"])
        .env_remove("COUNTERSIGN_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("unknown setting schedular_enabled"),
        "{stderr}"
    );

    let out = Command::new(countersign_bin())
        .arg("schema")
        .env_remove("COUNTERSIGN_CONFIG")
        .env("COUNTERSIGN_SCHEDULAR_ENABLED", "false")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("unknown COUNTERSIGN_ variable")
            && stderr.contains("COUNTERSIGN_SCHEDULAR_ENABLED"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Opening a SQLite database names the cause: a directory that does not exist, or a missing
/// file without `?mode=rwc`.
#[tokio::test]
async fn sqlite_open_errors_name_the_cause() {
    let dir = std::env::temp_dir().join(format!("cs-open-{}", Uuid::now_v7().simple()));
    let settings = |url: String| Settings {
        database_url: url,
        ..Settings::default()
    };
    let missing_dir = dir.join("no-such-dir");
    let err = countersign::connect(
        &settings(format!("sqlite://{}/x.db?mode=rwc", missing_dir.display())),
        true,
    )
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains(&format!(
            "directory {} does not exist",
            missing_dir.display()
        )),
        "{err}"
    );

    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("absent.db");
    let err = countersign::connect(&settings(format!("sqlite://{}", file.display())), true)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("add ?mode=rwc"), "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");

    // With ?mode=rwc it is created, and afterwards opens without it.
    let store = countersign::connect(
        &settings(format!("sqlite://{}?mode=rwc", file.display())),
        true,
    )
    .await
    .unwrap();
    store.db().clone().close().await.ok();
    let store = countersign::connect(&settings(format!("sqlite://{}", file.display())), false)
        .await
        .unwrap();
    store.db().clone().close().await.ok();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads until the server closes the connection; what it sent.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut out))
        .await
        .expect("the server did not close the connection within 20 s")
        .ok();
    out
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// A request whose headers never finish is closed after the header-read timeout, and the
/// server keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_closed_after_the_header_read_timeout() {
    bounded(async {
        let app = TestApp::spawn_with(Db::Sqlite, |s| s.header_read_timeout_ms = 300)
            .await
            .unwrap();
        let mut half = TcpStream::connect(addr(&app)).await.unwrap();
        half.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let sent = read_until_closed(&mut half).await;
        assert!(started.elapsed() >= Duration::from_millis(250));
        let sent = String::from_utf8_lossy(&sent);
        assert!(
            sent.is_empty() || sent.starts_with("HTTP/1.1 408"),
            "unexpected answer: {sent}"
        );
        // A connection that sends nothing at all is closed too.
        let mut silent = TcpStream::connect(addr(&app)).await.unwrap();
        read_until_closed(&mut silent).await;
        let health = app
            .client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        app.cleanup().await;
    })
    .await;
}

async fn get_healthz(stream: &mut TcpStream, close: bool) {
    let connection = if close { "close" } else { "keep-alive" };
    stream
        .write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: {connection}\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
}

/// Reads one response's head (up to the blank line).
async fn read_head(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).await.unwrap();
        assert!(n > 0, "connection closed before a response");
        buf.push(byte[0]);
    }
    String::from_utf8(buf).unwrap()
}

/// Past the connection limit a new connection is not served until one of the open ones
/// closes; then it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_wait_for_a_free_slot() {
    bounded(async {
        let app = TestApp::spawn_with(Db::Sqlite, |s| {
            s.max_connections = 2;
            s.header_read_timeout_ms = 60_000;
        })
        .await
        .unwrap();
        // Two kept-alive connections, each answered once: both hold a slot.
        let mut first = TcpStream::connect(addr(&app)).await.unwrap();
        let mut second = TcpStream::connect(addr(&app)).await.unwrap();
        for stream in [&mut first, &mut second] {
            get_healthz(stream, false).await;
            assert!(read_head(stream).await.starts_with("HTTP/1.1 200"));
        }
        let mut third = TcpStream::connect(addr(&app)).await.unwrap();
        get_healthz(&mut third, true).await;
        let mut byte = [0u8; 1];
        // Bounded wait for something that must not happen.
        let early = tokio::time::timeout(Duration::from_millis(500), third.read(&mut byte)).await;
        assert!(early.is_err(), "a connection over the limit was served");
        drop(first);
        let answer = String::from_utf8(read_until_closed(&mut third).await).unwrap();
        assert!(answer.contains("HTTP/1.1 200"), "{answer}");
        drop(second);
        app.cleanup().await;
    })
    .await;
}

/// An authenticated WebSocket that stays silent past the idle timeout is closed with 1001 and a
/// reason; one that pings stays open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_websocket_is_closed_and_a_pinging_one_stays_open() {
    bounded(async {
        let app = TestApp::spawn_with(Db::Sqlite, |s| s.ws_idle_timeout_ms = 1000)
            .await
            .unwrap();
        let token = app.token("ops-ws", "watcher", &["auditor"]);
        let mut idle = WsClient::ready(&app.base, &token).await;
        let mut live = WsClient::ready(&app.base, &token).await;
        // 8 pings 200 ms apart: 1.6 s in all, longer than the timeout, never silent for it.
        for _ in 0..8 {
            live.ping().await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        live.ping().await;
        let reason = idle.expect_close(1001).await;
        assert!(reason.starts_with("Idle timeout"), "{reason}");
        // The pinging one is still open (answered above); silent now, it is closed in turn.
        match live.recv().await {
            Incoming::Close(1001, reason) => assert!(reason.starts_with("Idle timeout")),
            other => panic!("expected the idle close, got {other:?}"),
        }
        app.cleanup().await;
    })
    .await;
}

/// On shutdown the server stops accepting, closes WebSockets with 1001 and returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_websockets_and_returns() {
    bounded(async {
        let dir = std::env::temp_dir().join("countersign-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join(format!("{}.db", Uuid::now_v7().simple()));
        let settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: format!("sqlite://{}?mode=rwc", db.display()),
            jwt_secret: Some(SecretString::from(countersign_tests::SECRET)),
            ..Settings::default()
        };
        let app = Application::build(settings).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stop_rx.await;
        }));
        let token = countersign_tests::test_tokens()
            .mint(
                "ops-stop",
                "watcher",
                &["auditor".to_owned()],
                chrono::Duration::hours(1),
            )
            .unwrap();
        let mut ws = WsClient::ready(&base, &token).await;
        let _ = stop_tx.send(());
        let reason = ws.expect_close(1001).await;
        assert!(reason.starts_with("Server shutting down"), "{reason}");
        tokio::time::timeout(Duration::from_secs(20), server)
            .await
            .expect("the server did not stop")
            .unwrap()
            .unwrap();
        assert!(
            TcpStream::connect(base.trim_start_matches("http://"))
                .await
                .is_err(),
            "still accepting after shutdown"
        );
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    })
    .await;
}
