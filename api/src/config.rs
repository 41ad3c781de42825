//! Typed settings: defaults, then an optional TOML file, then `COUNTERSIGN_*` environment
//! variables (and `DATABASE_URL`), then command-line flags. Secrets never print.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Provider};
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
    /// How long a request waits for a pooled connection before it fails with `INTERNAL`, in
    /// milliseconds (`COUNTERSIGN_DB_ACQUIRE_TIMEOUT_MS`).
    pub db_acquire_timeout_ms: u64,
    /// SQLite's `synchronous` setting (`COUNTERSIGN_SQLITE_SYNCHRONOUS`): `NORMAL` (the default;
    /// WAL commits survive a crash of the process, and an OS crash or power loss may lose the
    /// last commits but never corrupts the file) or `FULL` (every commit is synced to disk before
    /// it is acknowledged, so it survives power loss too, at the price measured in
    /// docs/benchmarks.md).
    pub sqlite_synchronous: SqliteSync,
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
    /// An identity provider's JSON Web Key Set (`COUNTERSIGN_JWT_JWKS_URL`), instead of
    /// `jwt_public_key_file`: keys are chosen by the token's `kid`. https, or http to a loopback
    /// address.
    pub jwt_jwks_url: Option<String>,
    /// How often the key set is fetched again, in seconds (`COUNTERSIGN_JWT_JWKS_REFRESH_SECS`).
    pub jwt_jwks_refresh_secs: u64,
    /// A token naming an unknown `kid` fetches the key set again at most this often, in seconds
    /// (`COUNTERSIGN_JWT_JWKS_MIN_REFRESH_SECS`); 0 removes the limit.
    pub jwt_jwks_min_refresh_secs: u64,
    /// Where the roles are in the token's claims: a key, or a dotted path into nested objects
    /// (`COUNTERSIGN_JWT_ROLES_CLAIM`, e.g. `realm_access.roles`).
    pub jwt_roles_claim: String,
    /// Where the tenant is in the token's claims, like `jwt_roles_claim`
    /// (`COUNTERSIGN_JWT_TENANT_CLAIM`, e.g. `https://example.com/tenant`).
    pub jwt_tenant_claim: String,
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
    /// Attempts per event-webhook delivery before it fails (`COUNTERSIGN_EVENT_WEBHOOK_MAX_ATTEMPTS`).
    pub event_webhook_max_attempts: i32,
    /// Seconds an event-webhook subscription may fail every attempt before it is disabled
    /// (`COUNTERSIGN_EVENT_WEBHOOK_DISABLE_AFTER_SECS`; 0 disables at the first failure).
    pub event_webhook_disable_after_secs: u64,
    /// The workflow that the MCP tool `request_permission` submits to
    /// (`COUNTERSIGN_MCP_PERMISSION_WORKFLOW`); unset, the tool denies every call and says why.
    pub mcp_permission_workflow: Option<String>,
    /// How long `request_permission` waits for a person before it denies, in seconds, 1–3600
    /// (`COUNTERSIGN_MCP_PERMISSION_TIMEOUT_SECONDS`).
    pub mcp_permission_timeout_seconds: u64,
    /// The mail server notifications go through (`COUNTERSIGN_SMTP_URL`): `smtp://host:25`
    /// (STARTTLS when offered… required with `?tls=required`), `smtps://user:pass@host:465`.
    #[serde(skip_serializing)]
    pub smtp_url: Option<SecretString>,
    /// The sender of notification emails (`COUNTERSIGN_MAIL_FROM`), e.g.
    /// `Countersign <approvals@example.com>`.
    pub mail_from: Option<String>,
    /// The base URL people reach this server at (`COUNTERSIGN_PUBLIC_URL`), e.g.
    /// `https://countersign.example.com`: links in notifications point there.
    pub public_url: Option<String>,
    /// The Slack app's bot token (`COUNTERSIGN_SLACK_BOT_TOKEN`, `xoxb-…`): posts and updates
    /// messages, opens the reject dialog.
    #[serde(skip_serializing)]
    pub slack_bot_token: Option<SecretString>,
    /// The Slack app's signing secret (`COUNTERSIGN_SLACK_SIGNING_SECRET`): interactions are
    /// verified with it before anything is read.
    #[serde(skip_serializing)]
    pub slack_signing_secret: Option<SecretString>,
    /// The Slack Web API base (`COUNTERSIGN_SLACK_API_URL`).
    pub slack_api_url: String,
    /// The HMAC key that signs decision links (`COUNTERSIGN_LINK_SIGNING_KEY`, at least 32
    /// bytes); generated next to a SQLite database when unset.
    #[serde(skip_serializing)]
    pub link_signing_key: Option<SecretString>,
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
    /// Time one policy evaluation (one action) may take, in milliseconds; a rule still running
    /// then is a `rule_error` (`COUNTERSIGN_POLICY_EVAL_TIMEOUT_MS`).
    pub policy_eval_timeout_ms: u64,
    /// Policy evaluations running at once on this replica, more waiting their turn; 0 means one
    /// per core, at least two (`COUNTERSIGN_POLICY_EVAL_CONCURRENCY`).
    pub policy_eval_concurrency: usize,
    /// Analytics reports computed at once on this replica; more wait their turn
    /// (`COUNTERSIGN_ANALYTICS_CONCURRENCY`).
    pub analytics_concurrency: usize,
    /// Most fields one GraphQL operation may select, counted with fragments expanded
    /// (`COUNTERSIGN_GRAPHQL_MAX_FIELDS`).
    pub graphql_max_fields: u64,
    /// Most aliased fields in one GraphQL operation, fragments expanded
    /// (`COUNTERSIGN_GRAPHQL_MAX_ALIASES`).
    pub graphql_max_aliases: u64,
    /// Most items of any list argument or variable (`COUNTERSIGN_GRAPHQL_MAX_LIST_ITEMS`).
    pub graphql_max_list_items: usize,
    /// Comma-separated browser origins (`scheme://host[:port]`) allowed to call `/graphql` and
    /// `/export/*` from another origin and to open `/graphql/ws` (`COUNTERSIGN_CORS_ORIGINS`);
    /// unset means same-origin only.
    pub cors_origins: Option<String>,
    /// Answer introspection-only queries without a credential
    /// (`COUNTERSIGN_PUBLIC_INTROSPECTION`); off, every `/graphql` request needs one.
    pub public_introspection: bool,
    /// How long an authenticated WebSocket may stay silent (no message, ping or pong from the
    /// client) before it is closed with 1001, in milliseconds; 0 turns it off
    /// (`COUNTERSIGN_WS_IDLE_TIMEOUT_MS`).
    pub ws_idle_timeout_ms: u64,
    /// How long a client may take to send a request's headers, and how long an idle keep-alive
    /// connection stays open, in milliseconds (`COUNTERSIGN_HEADER_READ_TIMEOUT_MS`).
    pub header_read_timeout_ms: u64,
    /// HTTP connections served at once; further connections wait in the listen backlog until
    /// one closes (`COUNTERSIGN_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Bearer token `/metrics` requires; unset leaves `/metrics` open
    /// (`COUNTERSIGN_METRICS_TOKEN`).
    #[serde(skip_serializing)]
    pub metrics_token: Option<SecretString>,
    /// Log format: `text` or `json` (`COUNTERSIGN_LOG_FORMAT`).
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event (colours only on a terminal).
    #[default]
    Text,
    /// One JSON object per line, with the fields of the event and its spans.
    Json,
}

/// Keys that are settings but are never serialised (secrets), so the known-key list names them.
const SECRET_KEYS: [&str; 6] = [
    "jwt_secret",
    "metrics_token",
    "smtp_url",
    "link_signing_key",
    "slack_bot_token",
    "slack_signing_secret",
];

/// SQLite's `synchronous` pragma, as offered (see [`Settings::sqlite_synchronous`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SqliteSync {
    /// Sync the WAL at checkpoints only.
    #[serde(rename = "NORMAL", alias = "normal")]
    Normal,
    /// Sync the WAL at every commit.
    #[serde(rename = "FULL", alias = "full")]
    Full,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            migrate: true,
            demo: false,
            db_max_connections: 16,
            db_acquire_timeout_ms: 10_000,
            sqlite_synchronous: SqliteSync::Normal,
            jwt_secret: None,
            jwt_algorithm: "HS256".to_owned(),
            jwt_public_key_file: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_jwks_url: None,
            jwt_jwks_refresh_secs: 300,
            jwt_jwks_min_refresh_secs: 30,
            jwt_roles_claim: "roles".to_owned(),
            jwt_tenant_claim: "tenant".to_owned(),
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
            event_webhook_max_attempts: 12,
            event_webhook_disable_after_secs: 5 * 24 * 3600,
            smtp_url: None,
            mail_from: None,
            public_url: None,
            link_signing_key: None,
            slack_bot_token: None,
            slack_signing_secret: None,
            slack_api_url: "https://slack.com/api".to_owned(),
            mcp_permission_workflow: None,
            mcp_permission_timeout_seconds: 60,
            events_poll_ms: 1000,
            subscriber_buffer: 1024,
            ws_init_timeout_ms: 10_000,
            ws_max_subscriptions: 100,
            policy_eval_timeout_ms: 1000,
            policy_eval_concurrency: 0,
            analytics_concurrency: 2,
            graphql_max_fields: 5_000,
            graphql_max_aliases: 100,
            graphql_max_list_items: 1_000,
            cors_origins: None,
            public_introspection: false,
            ws_idle_timeout_ms: 5 * 60 * 1000,
            header_read_timeout_ms: 10_000,
            max_connections: 1024,
            metrics_token: None,
            log_format: LogFormat::Text,
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
            let toml = Toml::file(&file);
            // A misspelt key would otherwise be ignored and its default used without a word.
            let unknown: Vec<String> = toml
                .data()?
                .into_values()
                .flat_map(|dict| dict.into_keys())
                .filter(|key| !is_known_key(key))
                .collect();
            if !unknown.is_empty() {
                anyhow::bail!(
                    "config file {}: unknown setting{} {}; the settings are listed in the README's Configuration table",
                    file.display(),
                    if unknown.len() == 1 { "" } else { "s" },
                    unknown.join(", ")
                );
            }
            figment = figment.merge(toml);
        }
        let settings: Settings = figment
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .merge(Env::prefixed("COUNTERSIGN_").ignore(&["CONFIG"]))
            .extract()?;
        settings.algorithm()?;
        settings.scheduler_interval()?;
        settings.cors_origins()?;
        if !(1..=3600).contains(&settings.mcp_permission_timeout_seconds) {
            anyhow::bail!(
                "COUNTERSIGN_MCP_PERMISSION_TIMEOUT_SECONDS must be between 1 and 3600 (got {})",
                settings.mcp_permission_timeout_seconds
            );
        }
        if settings.max_connections == 0 || settings.header_read_timeout_ms == 0 {
            anyhow::bail!(
                "COUNTERSIGN_MAX_CONNECTIONS and COUNTERSIGN_HEADER_READ_TIMEOUT_MS must be at least 1"
            );
        }
        Ok(settings)
    }

    /// The `COUNTERSIGN_*` variables among `vars` that name no setting (a typo is otherwise
    /// silently ignored); the caller warns about them.
    pub fn unknown_env_vars(vars: impl IntoIterator<Item = (String, String)>) -> Vec<String> {
        let mut unknown: Vec<String> = vars
            .into_iter()
            .filter_map(|(name, _)| {
                let key = name.strip_prefix("COUNTERSIGN_")?.to_ascii_lowercase();
                (key != "config" && !is_known_key(&key)).then_some(name)
            })
            .collect();
        unknown.sort();
        unknown
    }

    /// The file next to a SQLite database that holds the generated HS* secret, when the server
    /// uses one (no `COUNTERSIGN_JWT_SECRET`, an HS* algorithm, a SQLite file database).
    pub fn jwt_secret_file(&self) -> Option<PathBuf> {
        if self.jwt_secret.is_some() || !self.jwt_algorithm.starts_with("HS") {
            return None;
        }
        Some(secret_file_for(&self.sqlite_file()?))
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

    /// The time one policy evaluation may take.
    pub fn policy_eval_timeout(&self) -> Duration {
        Duration::from_millis(self.policy_eval_timeout_ms)
    }

    /// The origins of `cors_origins`, each checked and written the way a browser sends it in
    /// `Origin` (lowercase, no default port); an entry that is not `scheme://host[:port]` is an
    /// error naming it.
    pub fn cors_origins(&self) -> anyhow::Result<Vec<String>> {
        let Some(list) = &self.cors_origins else {
            return Ok(Vec::new());
        };
        list.split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                parse_origin(o).map_err(|why| {
                    anyhow::anyhow!("COUNTERSIGN_CORS_ORIGINS: {o:?} is not an origin: {why}")
                })
            })
            .collect()
    }

    /// The configured JWT algorithm.
    pub fn algorithm(&self) -> anyhow::Result<Algorithm> {
        self.jwt_algorithm
            .parse::<Algorithm>()
            .map_err(|_| anyhow::anyhow!("unknown JWT algorithm {:?}", self.jwt_algorithm))
    }

    /// The header-read timeout of HTTP connections.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms.max(1))
    }

    /// The idle timeout of authenticated WebSockets; `None` when turned off.
    pub fn ws_idle_timeout(&self) -> Option<Duration> {
        (self.ws_idle_timeout_ms > 0).then(|| Duration::from_millis(self.ws_idle_timeout_ms))
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

/// Checks a web origin, `scheme://host[:port]` with an `http` or `https` scheme and nothing
/// after the authority, and returns it as browsers serialize it: lowercase, without the
/// scheme's default port.
pub fn parse_origin(origin: &str) -> Result<String, String> {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return Err("expected scheme://host[:port], e.g. https://app.example.com".into());
    };
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(format!("the scheme must be http or https, not {scheme:?}")),
    };
    if authority.contains(['/', '?', '#']) {
        return Err("an origin has no path, query or fragment (remove everything after the host and port, a trailing / included)".into());
    }
    if authority.contains('@') {
        return Err("an origin has no user name or password".into());
    }
    let parsed = authority
        .parse::<axum::http::uri::Authority>()
        .map_err(|e| format!("invalid host or port: {e}"))?;
    let host = parsed.host().to_ascii_lowercase();
    if host.is_empty() {
        return Err("the host is missing".into());
    }
    let has_port = authority
        .rsplit_once(']')
        .map_or(authority, |(_, after)| after)
        .contains(':');
    if has_port && parsed.port_u16().is_none() {
        return Err("the port must be a number from 1 to 65535".into());
    }
    Ok(match parsed.port_u16() {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// The generated JWT secret's file next to a SQLite database file: `countersign.db` →
/// `countersign.jwt-secret` in the same directory.
pub fn secret_file_for(db_file: &Path) -> PathBuf {
    let stem = db_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "countersign".into());
    db_file.with_file_name(format!("{stem}.jwt-secret"))
}

/// True when `key` names a setting (a field of [`Settings`]).
fn is_known_key(key: &str) -> bool {
    if SECRET_KEYS.contains(&key) {
        return true;
    }
    match serde_json::to_value(Settings::default()) {
        Ok(serde_json::Value::Object(fields)) => fields.contains_key(key),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn temp_file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cs-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn sqlite_synchronous_reads_full_or_normal_and_refuses_anything_else() {
        for (text, want) in [
            ("FULL", Some(SqliteSync::Full)),
            ("full", Some(SqliteSync::Full)),
            ("NORMAL", Some(SqliteSync::Normal)),
            ("OFF", None),
        ] {
            let file = temp_file(
                "countersign.toml",
                &format!("sqlite_synchronous = \"{text}\"\n"),
            );
            let got = Settings::load(Some(&file))
                .ok()
                .map(|s| s.sqlite_synchronous);
            assert_eq!(got, want, "{text}");
            let _ = std::fs::remove_dir_all(file.parent().unwrap());
        }
        assert_eq!(Settings::default().sqlite_synchronous, SqliteSync::Normal);
    }

    /// The setting reaches SQLite: `PRAGMA synchronous` reads 2 (FULL) or 1 (NORMAL) on a
    /// pooled connection.
    #[tokio::test]
    async fn sqlite_synchronous_is_applied_to_the_connections() {
        use sea_orm::ConnectionTrait;
        for (full, want) in [(true, 2i64), (false, 1)] {
            let dir = std::env::temp_dir().join(format!("cs-sync-{}", uuid::Uuid::now_v7()));
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
            let store = crate::store::Store::connect_with_timeout(
                &url,
                2,
                std::time::Duration::from_secs(5),
                full,
            )
            .await
            .unwrap();
            let row = store
                .db()
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Sqlite,
                    "PRAGMA synchronous",
                ))
                .await
                .unwrap()
                .unwrap();
            let got: i64 = row.try_get_by_index(0).unwrap();
            assert_eq!(got, want, "full_sync = {full}");
            drop(store);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[test]
    fn an_unknown_key_in_the_config_file_is_refused_naming_it() {
        let file = temp_file(
            "countersign.toml",
            "listen = \"127.0.0.1:9090\"\nmax_conections = 5\n",
        );
        let err = Settings::load(Some(&file)).unwrap_err().to_string();
        assert!(err.contains("unknown setting max_conections"), "{err}");
        assert!(err.contains("countersign.toml"), "{err}");
        let _ = std::fs::remove_dir_all(file.parent().unwrap());
    }

    #[test]
    fn every_setting_including_secrets_is_accepted_in_the_config_file() {
        let file = temp_file(
            "countersign.toml",
            "listen = \"127.0.0.1:9090\"\njwt_secret = \"x\"\nmetrics_token = \"m\"\nlog_format = \"json\"\nmax_connections = 7\n",
        );
        let settings = Settings::load(Some(&file)).unwrap();
        assert_eq!(settings.max_connections, 7);
        assert_eq!(settings.log_format, LogFormat::Json);
        assert!(settings.metrics_token.is_some());
        let _ = std::fs::remove_dir_all(file.parent().unwrap());
    }

    #[test]
    fn unknown_countersign_variables_are_named() {
        let vars = [
            ("COUNTERSIGN_LISTEN", "x"),
            ("COUNTERSIGN_CONFIG", "x"),
            ("COUNTERSIGN_METRICS_TOKEN", "x"),
            ("COUNTERSIGN_LISTN", "x"),
            ("COUNTERSIGN_JWT_SECRETS", "x"),
            ("PATH", "x"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(
            Settings::unknown_env_vars(vars),
            vec!["COUNTERSIGN_JWT_SECRETS", "COUNTERSIGN_LISTN"]
        );
    }

    #[test]
    fn the_secret_file_named_here_is_the_one_the_server_writes() {
        let dir = std::env::temp_dir().join(format!("cs-secret-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = Settings {
            database_url: format!("sqlite://{}/data.db?mode=rwc", dir.display()),
            ..Settings::default()
        };
        let named = settings.jwt_secret_file().unwrap();
        crate::auth::resolve_jwt_secret(&settings).unwrap();
        assert!(named.exists(), "{} was not written", named.display());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
