//! Countersign: the control layer between AI agents and the world. `Application::build` wires
//! settings, database, auth and the GraphQL schema; `main.rs` only parses the command line.

pub mod auth;
pub mod bench;
pub mod bench_http;
pub mod bench_intake;
pub mod bench_queue;
pub mod compute;
pub mod config;
mod console;
pub mod domain;
pub mod egress;
pub mod error;
pub mod events;
mod export;
pub mod graphql;
mod http;
pub mod jobs;
pub mod mcp;
mod ops;
mod pages;
pub mod seed;
mod server;
mod slack;
pub mod store;
pub mod telemetry;
mod ws;

use std::future::Future;
use std::sync::Arc;

use countersign_migration::{Migrator, MigratorTrait};
use tokio::net::TcpListener;

use crate::auth::{TokenVerifier, resolve_jwt_secret};
use crate::config::Settings;
use crate::store::Store;

/// Shared, cheaply cloneable state handed to the schema and handlers.
#[derive(Clone)]
pub struct AppState {
    /// Database access.
    pub store: Store,
    /// Token verification.
    pub tokens: Arc<TokenVerifier>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Per-principal submission limiter (none when the limit is off).
    pub submit_limiter: Option<Arc<SubmitLimiter>>,
    /// The audit-tail hub feeding subscriptions.
    pub events: events::EventHub,
    /// Turns true when the server begins to shut down (WebSockets close then).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// Per-tenant analytics rows, kept in memory and extended from the audit log.
    pub analytics: Arc<domain::analytics::AnalyticsCache>,
    /// Where policies are evaluated: a bounded pool of blocking threads and the deadline.
    pub evaluator: domain::policy::Evaluator,
    /// Signs and checks email decision links (none when email is not configured).
    pub links: Option<domain::links::LinkSigner>,
    /// The Slack Web API client (none when Slack is not configured).
    pub slack: Option<slack::SlackClient>,
}

impl AppState {
    /// `RATE_LIMITED` when `caller` has used up its submissions for now
    /// (`COUNTERSIGN_SUBMIT_RATE_PER_MINUTE`), whichever way it submits.
    pub fn check_submit_rate(&self, caller: &auth::Principal) -> error::AppResult<()> {
        let Some(limiter) = &self.submit_limiter else {
            return Ok(());
        };
        let key = format!("{}\u{1f}{}", caller.tenant, caller.subject);
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            error::AppError::RateLimited(format!(
                "too many submissions from {}; retry in {} ms",
                caller.subject,
                wait.as_millis().max(1)
            ))
        })
    }
}

/// Rate limiter keyed by tenant and principal.
pub type SubmitLimiter = governor::DefaultKeyedRateLimiter<String>;

fn submit_limiter(per_minute: u32) -> Option<Arc<SubmitLimiter>> {
    let per_minute = std::num::NonZeroU32::new(per_minute)?;
    Some(Arc::new(governor::RateLimiter::keyed(
        governor::Quota::per_minute(per_minute),
    )))
}

/// Connects to the database named in `settings`, running migrations when asked.
pub async fn connect(settings: &Settings, migrate: bool) -> anyhow::Result<Store> {
    let store = Store::connect_with_timeout(
        &settings.database_url,
        settings.db_max_connections,
        std::time::Duration::from_millis(settings.db_acquire_timeout_ms.max(1)),
        settings.sqlite_synchronous == config::SqliteSync::Full,
    )
    .await
    .map_err(|e| {
        // SQLite's "unable to open database file" does not say which usual cause it is.
        let cause =
            store::sqlite_open_cause(&settings.database_url).unwrap_or_else(|| e.to_string());
        anyhow::anyhow!(
            "cannot open database {}: {cause}",
            redact(&settings.database_url)
        )
    })?;
    let kind = if store.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let database = redact(&settings.database_url);
    if migrate {
        let pending = Migrator::get_pending_migrations_read_only(store.db())
            .await
            .map(|p| p.len())
            .unwrap_or_default();
        Migrator::up(store.db(), None).await?;
        tracing::info!(kind, %database, migrated = true, migrations_applied = pending, "database ready");
    } else {
        let pending = pending_migrations(&store).await.ok();
        tracing::info!(kind, %database, migrated = false, migrations_pending = pending, "database opened without migrating");
    }
    Ok(store)
}

/// How many of this binary's migrations the database has not applied (without creating the
/// migrations table).
pub async fn pending_migrations(store: &Store) -> anyhow::Result<usize> {
    Ok(Migrator::get_pending_migrations_read_only(store.db())
        .await?
        .len())
}

/// Runs pending migrations.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    connect(settings, true).await.map(|_| ())
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The server, bound and ready to run.
pub struct Application {
    port: u16,
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    scheduler: Option<jobs::JobHandle>,
    outbox: Option<jobs::JobHandle>,
    notifications: Option<jobs::JobHandle>,
    events_task: jobs::JobHandle,
    key_refresh: Option<jobs::JobHandle>,
    shutdown_tx: tokio::sync::watch::Sender<bool>,
    /// `serve --demo`: a token for the demo tenant, logged with the console's address.
    demo_token: Option<String>,
}

impl Application {
    /// Connects (and migrates, unless disabled), prepares auth and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        // Checked before anything is touched, like the scheduler's interval.
        let outbox_config = if settings.outbox_enabled {
            Some(jobs::OutboxConfig::from_settings(&settings)?)
        } else {
            None
        };
        settings.cors_origins()?;
        // Email notifications: the link key (generated next to a SQLite database) and the
        // mailer, checked before anything is touched.
        let links = match settings.smtp_url {
            Some(_) => domain::links::resolve_key(&settings)?
                .map(domain::links::LinkSigner::new)
                .transpose()?,
            None => None,
        };
        let mailer = jobs::notifications::Mailer::from_settings(&settings, links.clone())?;
        let slack = slack::SlackClient::from_settings(&settings)?;
        if slack.is_some() && settings.public_url.is_none() {
            anyhow::bail!(
                "Slack is configured but COUNTERSIGN_PUBLIC_URL is not: links in messages need it"
            );
        }
        telemetry::install_metrics();
        let secret = resolve_jwt_secret(&settings)?;
        if let Some(file) = settings.jwt_secret_file() {
            tracing::info!(path = %file.display(), "JWT secret kept in this file next to the SQLite database (`countersign token` reads it)");
        }
        let tokens = Arc::new(TokenVerifier::new(&settings, secret.as_ref())?);
        // With an identity provider's key set: the first fetch, then a periodic refresh.
        let key_refresh = tokens.start().await.map(jobs::JobHandle::new);
        let store = connect(&settings, settings.migrate).await?;
        // A workflow with channels this server cannot serve would silently notify nobody. (A
        // database still waiting for its migrations has no channels to check yet.)
        let unserved = if pending_migrations(&store).await.is_ok_and(|n| n == 0) {
            domain::notifications::unserved_channels(store.db(), &settings).await?
        } else {
            Vec::new()
        };
        if !unserved.is_empty() {
            anyhow::bail!(
                "notification channels are configured that this server cannot send to: {}",
                unserved.join("; ")
            );
        }
        let demo_token = if settings.demo {
            seed::seed_demo(&store, &tokens).await?
        } else {
            None
        };
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let submit_limiter = submit_limiter(settings.submit_rate_per_minute);
        let scheduler = if settings.scheduler_enabled {
            let interval = settings.scheduler_interval()?;
            Some(jobs::JobHandle::new(jobs::spawn_scheduler(
                store.clone(),
                interval,
            )))
        } else {
            None
        };
        // Execution webhooks: delivered from every replica that enables it (claims are leased).
        let outbox = match outbox_config {
            Some(config) => Some(jobs::JobHandle::new(jobs::spawn_outbox(
                store.clone(),
                config,
            )?)),
            None => None,
        };
        let senders = jobs::notifications::Senders {
            mail: mailer,
            slack: slack.clone(),
            public_url: settings
                .public_url
                .as_deref()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_owned(),
        };
        let sends = senders.mail.is_some() || senders.slack.is_some();
        let notifications = match (sends, settings.outbox_enabled) {
            (true, true) => Some(jobs::JobHandle::new(jobs::notifications::spawn(
                store.clone(),
                senders,
                std::time::Duration::from_millis(settings.outbox_interval_ms.max(1)),
                std::time::Duration::from_millis(settings.webhook_backoff_base_ms),
                std::time::Duration::from_millis(settings.webhook_backoff_max_ms),
            ))),
            _ => None,
        };
        let events = events::EventHub::new(store.clone(), settings.subscriber_buffer);
        let events_task = events.spawn(
            store.is_postgres().then(|| settings.database_url.clone()),
            std::time::Duration::from_millis(settings.events_poll_ms.max(10)),
        );
        let (shutdown_tx, shutdown) = tokio::sync::watch::channel(false);
        let analytics = Arc::new(domain::analytics::AnalyticsCache::new(
            settings.analytics_concurrency,
        ));
        let evaluator = domain::policy::Evaluator::new(
            settings.policy_eval_concurrency,
            settings.policy_eval_timeout(),
        );
        let state = AppState {
            evaluator,
            store,
            tokens,
            settings: Arc::new(settings),
            submit_limiter,
            events,
            shutdown,
            analytics,
            links,
            slack,
        };
        let schema = graphql::build_schema(state.clone());
        let router = http::router(state.clone(), schema);
        Ok(Application {
            port,
            listener,
            router,
            state,
            scheduler,
            outbox,
            notifications,
            events_task,
            key_refresh,
            shutdown_tx,
            demo_token,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C; in-flight requests finish first.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes; in-flight requests finish first.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        // An unspecified address (0.0.0.0, ::) is not something to open in a browser.
        let host = match addr.ip() {
            ip if ip.is_unspecified() => "localhost".to_owned(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let url = format!("http://{host}:{}", addr.port());
        tracing::info!(
            port = self.port,
            console = %format!("{url}/"),
            graphql = %format!("{url}/graphql"),
            "countersign listening"
        );
        match (&self.demo_token, self.state.settings.demo) {
            (Some(token), _) => tracing::info!(
                "demo: open the console at {url}/ and sign in with this token (subject {}, tenant {}, roles {}; valid 8 hours): {token}",
                seed::DEMO_SUBJECT,
                seed::DEMO_TENANT,
                seed::demo_roles().join(","),
            ),
            (None, true) => tracing::info!(
                "demo: open the console at {url}/ and sign in with a token from `countersign token --tenant {} --sub you --roles admin,auditor`",
                seed::DEMO_TENANT
            ),
            (None, false) => {}
        }
        let shutdown_tx = self.shutdown_tx;
        let signal = async move {
            shutdown.await;
            // Long-lived WebSockets close now, so the graceful shutdown can complete.
            let _ = shutdown_tx.send(true);
        };
        let limits = server::Limits {
            max_connections: self.state.settings.max_connections,
            header_read_timeout: self.state.settings.header_read_timeout(),
        };
        server::serve(self.listener, self.router, limits, signal).await;
        if let Some(scheduler) = self.scheduler {
            scheduler.abort();
        }
        // Deliveries cut off here are retried once their lease runs out.
        if let Some(outbox) = self.outbox {
            outbox.abort();
        }
        if let Some(notifications) = self.notifications {
            notifications.abort();
        }
        self.events_task.abort();
        if let Some(key_refresh) = self.key_refresh {
            key_refresh.abort();
        }
        tracing::info!("countersign stopped");
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
