//! Typed settings: defaults, then an optional TOML file, then `COUNTERSIGN_*` environment
//! variables (and `DATABASE_URL`), then command-line flags. Secrets never print.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use jsonwebtoken::Algorithm;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Default embedded database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://countersign.db?mode=rwc";

/// Everything the server needs to start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Address to listen on (`COUNTERSIGN_LISTEN`).
    pub listen: SocketAddr,
    /// Database URL (`DATABASE_URL` or `COUNTERSIGN_DATABASE_URL`).
    pub database_url: String,
    /// Run migrations on start (`COUNTERSIGN_MIGRATE`).
    pub migrate: bool,
    /// Seed the `demo` tenant with synthetic history on start when it has none
    /// (`COUNTERSIGN_DEMO`, `serve --demo`).
    pub demo: bool,
    /// Pool size (`COUNTERSIGN_DB_MAX_CONNECTIONS`).
    pub db_max_connections: u32,
    /// HS256/384/512 secret (`COUNTERSIGN_JWT_SECRET`).
    #[serde(skip_serializing)]
    pub jwt_secret: Option<SecretString>,
    /// JWT algorithm, fixed by configuration (`COUNTERSIGN_JWT_ALGORITHM`): HS256, RS256, ES256, ….
    pub jwt_algorithm: String,
    /// PEM public key file for RS*/ES* tokens from an external identity provider
    /// (`COUNTERSIGN_JWT_PUBLIC_KEY_FILE`).
    pub jwt_public_key_file: Option<PathBuf>,
    /// Required `iss` (`COUNTERSIGN_JWT_ISSUER`).
    pub jwt_issuer: Option<String>,
    /// Required `aud` (`COUNTERSIGN_JWT_AUDIENCE`).
    pub jwt_audience: Option<String>,
    /// Largest accepted request body in bytes (`COUNTERSIGN_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Submissions one principal may make per minute on one replica; 0 turns the limit off
    /// (`COUNTERSIGN_SUBMIT_RATE_PER_MINUTE`).
    pub submit_rate_per_minute: u32,
    /// How often the scheduler looks for overdue steps and expired requests, in milliseconds;
    /// must be above 0 (`COUNTERSIGN_SCHEDULER_INTERVAL_MS`).
    pub scheduler_interval_ms: u64,
    /// Run the scheduler in this process (`COUNTERSIGN_SCHEDULER_ENABLED`).
    pub scheduler_enabled: bool,
    /// Deliver approved actions to execution webhooks from this process
    /// (`COUNTERSIGN_OUTBOX_ENABLED`).
    pub outbox_enabled: bool,
    /// How often the outbox worker looks for due deliveries, in milliseconds
    /// (`COUNTERSIGN_OUTBOX_INTERVAL_MS`).
    pub outbox_interval_ms: u64,
    /// First retry delay of a failed delivery, doubled per attempt (with jitter), in milliseconds
    /// (`COUNTERSIGN_WEBHOOK_BACKOFF_BASE_MS`).
    pub webhook_backoff_base_ms: u64,
    /// Longest retry delay, in milliseconds (`COUNTERSIGN_WEBHOOK_BACKOFF_MAX_MS`).
    pub webhook_backoff_max_ms: u64,
    /// Timeout of one delivery attempt, in milliseconds (`COUNTERSIGN_WEBHOOK_TIMEOUT_MS`).
    pub webhook_timeout_ms: u64,
    /// How long a replica holds a claimed delivery before another may retry it, in
    /// milliseconds; unset means the timeout plus 5 s, and it must exceed the timeout
    /// (`COUNTERSIGN_WEBHOOK_LEASE_MS`).
    pub webhook_lease_ms: Option<u64>,
    /// Comma-separated hosts webhooks may target (`COUNTERSIGN_WEBHOOK_ALLOWED_HOSTS`), even at
    /// private addresses; unset allows any host at a public address (see `egress`).
    pub webhook_allowed_hosts: Option<String>,
    /// Backup poll of the audit tail for subscriptions, in milliseconds; NOTIFY and local commits
    /// wake it sooner (`COUNTERSIGN_EVENTS_POLL_MS`).
    pub events_poll_ms: u64,
    /// Events a subscriber may fall behind before it is closed and must resume with `afterSeq`
    /// (`COUNTERSIGN_SUBSCRIBER_BUFFER`).
    pub subscriber_buffer: usize,
    /// How long a WebSocket may wait before `connection_init`, in milliseconds; then it is
    /// closed with 4408 (`COUNTERSIGN_WS_INIT_TIMEOUT_MS`).
    pub ws_init_timeout_ms: u64,
    /// Subscriptions one WebSocket may hold at once (`COUNTERSIGN_WS_MAX_SUBSCRIPTIONS`).
    pub ws_max_subscriptions: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            migrate: true,
            demo: false,
            db_max_connections: 16,
            jwt_secret: None,
            jwt_algorithm: "HS256".to_owned(),
            jwt_public_key_file: None,
            jwt_issuer: None,
            jwt_audience: None,
            max_body_bytes: 2 * 1024 * 1024,
            submit_rate_per_minute: 1200,
            scheduler_interval_ms: 1000,
            scheduler_enabled: true,
            outbox_enabled: true,
            outbox_interval_ms: 500,
            webhook_backoff_base_ms: 1000,
            webhook_backoff_max_ms: 15 * 60 * 1000,
            webhook_timeout_ms: 10_000,
            webhook_lease_ms: None,
            webhook_allowed_hosts: None,
            events_poll_ms: 1000,
            subscriber_buffer: 1024,
            ws_init_timeout_ms: 10_000,
            ws_max_subscriptions: 100,
        }
    }
}

impl Settings {
    /// Loads defaults ← `file` (or `COUNTERSIGN_CONFIG`) ← environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("COUNTERSIGN_CONFIG").map(PathBuf::from));
        if let Some(file) = file {
            if !file.exists() {
                anyhow::bail!("config file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file(file));
        }
        let settings: Settings = figment
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .merge(Env::prefixed("COUNTERSIGN_").ignore(&["CONFIG"]))
            .extract()?;
        settings.algorithm()?;
        settings.scheduler_interval()?;
        Ok(settings)
    }

    /// The scheduler's tick interval; 0 is refused.
    pub fn scheduler_interval(&self) -> anyhow::Result<Duration> {
        if self.scheduler_interval_ms == 0 {
            anyhow::bail!(
                "scheduler_interval_ms (COUNTERSIGN_SCHEDULER_INTERVAL_MS) must be at least 1; \
                 to turn the scheduler off set COUNTERSIGN_SCHEDULER_ENABLED=false"
            );
        }
        Ok(Duration::from_millis(self.scheduler_interval_ms))
    }

    /// The configured JWT algorithm.
    pub fn algorithm(&self) -> anyhow::Result<Algorithm> {
        self.jwt_algorithm
            .parse::<Algorithm>()
            .map_err(|_| anyhow::anyhow!("unknown JWT algorithm {:?}", self.jwt_algorithm))
    }

    /// The SQLite database file, when the URL names one (not in-memory).
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let rest = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
            return None;
        }
        Some(PathBuf::from(path))
    }
}
