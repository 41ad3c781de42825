//! Test harness: starts the real Countersign server on port 0 against a fresh database (a new
//! SQLite file, or a new PostgreSQL database named by UUID when `TEST_DATABASE_URL` is set) and
//! talks GraphQL to it over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod fake_slack;
pub mod smtp;

use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

use countersign::auth::TokenVerifier;
use countersign::config::Settings;
use countersign::{AppState, Application};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A new SQLite file.
    Sqlite,
    /// A new PostgreSQL database (needs `TEST_DATABASE_URL`).
    Postgres,
}

/// The HS256 secret every test server (in process or child process) is started with.
pub const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// Which database.
    pub db_kind: Db,
    /// The server's database URL.
    pub database_url: String,
    /// The server's state (same store the server uses).
    pub state: AppState,
    tokens: TokenVerifier,
    sqlite_file: Option<PathBuf>,
    pg: Option<(String, String)>,
    server: tokio::task::JoinHandle<()>,
}

fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Quiet unless TEST_LOG is set; the server logs through `tracing`.
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(
                    "debug,sqlx=warn,hyper=info",
                ))
                .with_test_writer()
                .try_init();
        }
    });
}

/// The PostgreSQL admin URL, if PostgreSQL tests are enabled. On CI a missing URL is an error,
/// so the PostgreSQL variants can never be skipped silently there.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but TEST_DATABASE_URL is not: the PostgreSQL variants must run on CI")
        }
        _ => None,
    }
}

fn with_database(admin_url: &str, name: &str) -> String {
    let mut url = reqwest::Url::parse(admin_url).expect("TEST_DATABASE_URL is not a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

impl TestApp {
    /// Starts a server on a fresh database; `None` for PostgreSQL when it is not configured.
    pub async fn spawn(db: Db) -> Option<TestApp> {
        TestApp::spawn_with(db, |_| {}).await
    }

    /// Like [`TestApp::spawn`], letting the test adjust the settings first.
    pub async fn spawn_with(db: Db, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        init_tracing();
        let (database_url, sqlite_file, pg) = match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir().join("countersign-tests");
                std::fs::create_dir_all(&dir).unwrap();
                let file = dir.join(format!("{}.db", Uuid::now_v7().simple()));
                (
                    format!("sqlite://{}?mode=rwc", file.display()),
                    Some(file),
                    None,
                )
            }
            Db::Postgres => {
                let db = PgDatabase::create().await?;
                (db.url, None, Some((db.admin, db.name)))
            }
        };
        let mut settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: database_url.clone(),
            migrate: true,
            db_max_connections: 8,
            jwt_secret: Some(SecretString::from(SECRET)),
            ..Settings::default()
        };
        adjust(&mut settings);
        let tokens = TokenVerifier::new(&settings, settings.jwt_secret.as_ref()).unwrap();
        let app = Application::build(settings)
            .await
            .expect("server failed to start");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        let server = tokio::spawn(async move {
            app.run_until(std::future::pending()).await.unwrap();
        });
        Some(TestApp {
            base,
            client: reqwest::Client::new(),
            db_kind: db,
            database_url,
            state,
            tokens,
            sqlite_file,
            pg,
            server,
        })
    }

    /// A signed token for `sub` in `tenant` with `roles`, valid for an hour.
    pub fn token(&self, tenant: &str, sub: &str, roles: &[&str]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        self.tokens
            .mint(tenant, sub, &roles, chrono::Duration::hours(1))
            .unwrap()
    }

    /// Posts a GraphQL operation; returns the whole response body.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        post_graphql(&self.client, &self.base, token, query, variables).await
    }

    /// Posts an operation that must succeed; returns `data`.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Posts an operation that must fail; returns the first error's `extensions.code`.
    pub async fn error_code(&self, token: &str, query: &str, variables: Value) -> String {
        let body = self.gql(token, query, variables).await;
        let code = body["errors"][0]["extensions"]["code"].as_str();
        code.unwrap_or_else(|| panic!("expected an error with a code: {body}"))
            .to_owned()
    }

    /// A direct connection to the server's database, for checks a user cannot make through the API.
    pub async fn db(&self) -> DatabaseConnection {
        Database::connect(&self.database_url).await.unwrap()
    }

    /// Counts rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        let db = self.state.store.db();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// Stops the server and removes its database.
    pub async fn cleanup(self) {
        self.server.abort();
        let _ = self.server.await;
        self.state.store.db().clone().close().await.ok();
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
        if let Some((admin, name)) = &self.pg {
            drop_pg_database(admin, name).await;
        }
    }
}

/// Posts a GraphQL operation to the server at `base`; returns the whole response body.
pub async fn post_graphql(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Value {
    let mut req = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if !token.is_empty() {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.expect("request failed");
    resp.json().await.expect("response is not JSON")
}

/// Polls `check` every 50 ms until it gives a value; fails the test naming `what` after 20 s.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    const LIMIT: Duration = Duration::from_secs(20);
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {LIMIT:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How long one test scenario may run before it fails instead of hanging the suite.
pub const SCENARIO_LIMIT: Duration = Duration::from_secs(240);

/// Runs a whole test scenario, failing it (with a clear message) if it does not finish within
/// [`SCENARIO_LIMIT`]: a lost event or a deadlock becomes one red test, not a stuck CI run.
pub async fn bounded<F: Future>(scenario: F) -> F::Output {
    match tokio::time::timeout(SCENARIO_LIMIT, scenario).await {
        Ok(out) => out,
        Err(_) => panic!("the scenario did not finish within {SCENARIO_LIMIT:?}"),
    }
}

/// The `countersign` binary next to this test binary (`<target>/<profile>/countersign`), built
/// first when it is missing or older than this test binary.
pub fn countersign_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let test_exe = std::env::current_exe().unwrap();
        let profile_dir = test_exe.parent().unwrap().parent().unwrap().to_path_buf();
        let target_dir = profile_dir.parent().unwrap().to_path_buf();
        let bin = profile_dir.join(format!("countersign{}", std::env::consts::EXE_SUFFIX));
        let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let stale = match (modified(&bin), modified(&test_exe)) {
            (Some(b), Some(t)) => b < t,
            _ => true,
        };
        if stale {
            let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .unwrap()
                .to_path_buf();
            let mut cmd = Command::new(env!("CARGO"));
            cmd.current_dir(&workspace)
                .env("CARGO_TARGET_DIR", &target_dir)
                .args(["build", "-p", "countersign", "--bin", "countersign"]);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                cmd.arg("--release");
            }
            let out = cmd.output().unwrap();
            assert!(
                out.status.success(),
                "building the countersign binary failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(bin.exists(), "no countersign binary at {}", bin.display());
        bin
    })
    .clone()
}

/// A fresh PostgreSQL database for tests that run their own server processes; `None` when
/// `TEST_DATABASE_URL` is not set. Remove it with [`PgDatabase::drop_database`].
pub struct PgDatabase {
    /// URL of the new database.
    pub url: String,
    admin: String,
    name: String,
}

impl PgDatabase {
    /// Creates a database named by UUID.
    pub async fn create() -> Option<PgDatabase> {
        init_tracing();
        let admin = postgres_admin_url()?;
        let name = format!("cs_test_{}", Uuid::now_v7().simple());
        let conn = Database::connect(&admin)
            .await
            .expect("cannot reach TEST_DATABASE_URL");
        conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        conn.close().await.ok();
        Some(PgDatabase {
            url: with_database(&admin, &name),
            admin,
            name,
        })
    }

    /// Drops the database, disconnecting whoever is still connected.
    pub async fn drop_database(self) {
        drop_pg_database(&self.admin, &self.name).await;
    }
}

async fn drop_pg_database(admin: &str, name: &str) {
    if let Ok(conn) = Database::connect(admin).await {
        let _ = conn
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
        conn.close().await.ok();
    }
}

/// A `countersign serve` child process on its own port; killed when dropped, so a failing test
/// leaves no server behind.
pub struct ServerProcess {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Where the process writes its log (stdout and stderr).
    pub log: PathBuf,
    child: Child,
}

impl ServerProcess {
    /// Starts `countersign serve` against `database_url` with the test secret and extra `env`,
    /// and waits until `/healthz` answers 200 (failing the test with the process log if it
    /// exits or does not answer within 20 s).
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> ServerProcess {
        // Port 0 would hide the port from us: take a free one and hand it over.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join("countersign-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join(format!("server-{}.log", Uuid::now_v7().simple()));
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let mut cmd = Command::new(countersign_bin());
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env_remove("COUNTERSIGN_CONFIG")
            .env("DATABASE_URL", database_url)
            .env("COUNTERSIGN_JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (key, value) in env {
            cmd.env(key, value);
        }
        let child = cmd.spawn().unwrap();
        let mut server = ServerProcess {
            base: format!("http://127.0.0.1:{port}"),
            log,
            child,
        };
        let client = reqwest::Client::new();
        let healthz = format!("{}/healthz", server.base);
        let log_path = server.log.clone();
        let what = format!("{healthz} to answer 200 (log: {})", log_path.display());
        eventually(&what, || {
            let exited = server.child.try_wait().unwrap();
            let request = client.get(&healthz).send();
            let log_path = log_path.clone();
            async move {
                if let Some(status) = exited {
                    panic!(
                        "countersign serve exited with {status} before answering:\n{}",
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    );
                }
                match request.await {
                    Ok(resp) if resp.status() == reqwest::StatusCode::OK => Some(()),
                    _ => None,
                }
            }
        })
        .await;
        server
    }

    /// What the process logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test keeps the log for a look.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// Declares each scenario twice: on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.
/// A scenario is `async fn name(app: &TestApp)`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $crate::db_tests!(@with |_| {}; $($name),*);
    };
    // With settings adjusted first: `db_tests!(adjust; a, b)` where `adjust` is a
    // `fn(&mut Settings)` of the calling module.
    ($adjust:ident; $($name:ident),* $(,)?) => {
        $crate::db_tests!(@with super::$adjust; $($name),*);
    };
    (@with $adjust:expr; $($name:ident),*) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    $crate::bounded(async {
                        let app = $crate::TestApp::spawn_with($crate::Db::Sqlite, $adjust).await.expect("sqlite app");
                        super::$name(&app).await;
                        app.cleanup().await;
                    }).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    $crate::bounded(async {
                        if let Some(app) = $crate::TestApp::spawn_with($crate::Db::Postgres, $adjust).await {
                            super::$name(&app).await;
                            app.cleanup().await;
                        }
                    }).await;
                }
            }
        )*
    };
}

/// A token verifier/minter with the secret every test server uses (for servers started as
/// processes, where there is no `TestApp`).
pub fn test_tokens() -> TokenVerifier {
    let settings = Settings {
        jwt_secret: Some(SecretString::from(SECRET)),
        ..Settings::default()
    };
    TokenVerifier::new(&settings, settings.jwt_secret.as_ref()).unwrap()
}

impl ServerProcess {
    /// Kills the process at once (SIGKILL: no graceful shutdown, work in flight is cut off, as
    /// when a replica dies) and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
