//! The `countersign` command line: parses arguments and calls into the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use countersign::auth::{TokenVerifier, resolve_jwt_secret};
use countersign::config::Settings;
use countersign::domain::{audit, duration::parse_duration};
use countersign::{Application, connect};

/// Countersign: AI proposes, people approve, everything is audited.
#[derive(Parser)]
#[command(name = "countersign", version, about)]
struct Cli {
    /// TOML settings file (also COUNTERSIGN_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// What to do; without one, `serve` with its defaults.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        /// Address to listen on [env: COUNTERSIGN_LISTEN, default 127.0.0.1:8080].
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Database URL [env: DATABASE_URL, default sqlite://countersign.db?mode=rwc].
        #[arg(long)]
        database_url: Option<String>,
        /// Do not run migrations on start.
        #[arg(long)]
        no_migrate: bool,
        /// Seed a `demo` tenant with 30 days of synthetic history (once; skipped when it has
        /// history) and log a token to explore it [env: COUNTERSIGN_DEMO].
        #[arg(long)]
        demo: bool,
    },
    /// Run pending database migrations and exit.
    Migrate {
        /// Database URL [env: DATABASE_URL].
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Print a signed JWT for development and scripts (HS* secrets only).
    Token {
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// Principal id.
        #[arg(long)]
        sub: String,
        /// Comma-separated roles, e.g. admin or agent or support_agent,qa_reviewer.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Lifetime as ISO 8601 (PT1H) or shorthand (30m, 1h, 7d).
        #[arg(long, default_value = "1h")]
        ttl: String,
        /// Database URL (locates the generated secret of a SQLite database) [env: DATABASE_URL].
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Verify a tenant's audit hash chain; exits 1 when it is broken.
    VerifyAudit {
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// Database URL [env: DATABASE_URL].
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Benchmark the HTTP and GraphQL layers: `{__typename}` from this binary as a server (on a
    /// scratch SQLite file) against a bare axum handler, in alternating rounds per concurrency.
    BenchHttp {
        /// Comma-separated client concurrencies.
        #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
        concurrency: Vec<usize>,
        /// Seconds per round and target.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Rounds per concurrency.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
    },
    /// The bare axum handler `bench-http` compares with (started by it).
    #[command(hide = true)]
    BenchHttpFloor {
        /// Address to listen on.
        #[arg(long)]
        listen: String,
    },
    /// Benchmark intake: `submitAction` from this binary as a server against the floor (the same
    /// rows written by a client in one transaction per action, with no audit head), in
    /// alternating rounds per concurrency. A scratch SQLite file, or a PostgreSQL database given
    /// with `--database-url` (use a scratch database: the runs stay in it).
    BenchIntake {
        /// PostgreSQL URL (default: a temporary SQLite file, removed after a successful run).
        #[arg(long)]
        database_url: Option<String>,
        /// Comma-separated client concurrencies.
        #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
        concurrency: Vec<usize>,
        /// Seconds per round and target.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Rounds per concurrency.
        #[arg(long, default_value_t = 2)]
        rounds: u32,
        /// SQLite only: `synchronous = FULL` for the server and the floor (every commit synced).
        #[arg(long)]
        sqlite_full_sync: bool,
    },
    /// Benchmark the reviewer's reads and decisions at scale: fill a tenant's queue (default
    /// 100,000 pending), start this binary as a server, time the queue, the request list and
    /// the QA sample queue one query at a time, then `decide` from several reviewers at once.
    BenchQueue {
        /// Pending requests in the queue.
        #[arg(long, default_value_t = 100_000)]
        pending: u64,
        /// Database URL (default: a temporary SQLite file, removed after a successful run).
        #[arg(long)]
        database_url: Option<String>,
        /// Tenant of an earlier run to measure again (topped up to `--pending`).
        #[arg(long)]
        tenant: Option<String>,
        /// Seconds per measured query.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Reviewers deciding at once.
        #[arg(long, default_value_t = 8)]
        deciders: usize,
    },
    /// Benchmark analytics and exports: seed a fresh tenant (default 1,000,000 requests over 180
    /// days), start this binary as a server, time the dashboard cold and warm, the exports and
    /// peak memory, and compare with one SQL aggregate. Use a scratch database.
    BenchAnalytics {
        /// Requests to seed.
        #[arg(long, default_value_t = 1_000_000)]
        requests: u64,
        /// Database URL (default: a temporary SQLite file, removed after a successful run).
        #[arg(long)]
        database_url: Option<String>,
        /// Tenant (default: a fresh one); one with history is measured without seeding again.
        #[arg(long)]
        tenant: Option<String>,
        /// Measure the dashboard only, not the exports.
        #[arg(long)]
        no_exports: bool,
    },
    /// Write realistic synthetic history (workflows, requests, decisions, executions, a valid
    /// audit chain) into a tenant, fast, for demos and load tests. Migrates the database first.
    Seed {
        /// Database URL [env: DATABASE_URL].
        #[arg(long)]
        database_url: Option<String>,
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// Number of requests.
        #[arg(long)]
        requests: u64,
        /// Days of history, ending at --end.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Number of workflows.
        #[arg(long, default_value_t = 3)]
        workflows: u32,
        /// RNG seed (same seed and end, same history).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// End of the history (RFC 3339, e.g. 2026-11-01T00:00:00Z); default now.
        #[arg(long)]
        end: Option<chrono::DateTime<chrono::Utc>>,
    },
}

fn parse_ttl(text: &str) -> anyhow::Result<chrono::Duration> {
    if text.starts_with('P') {
        return parse_duration(text).map_err(|e| anyhow::anyhow!(e));
    }
    let (num, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = num
        .parse()
        .map_err(|_| anyhow::anyhow!("ttl {text:?}: use 30m, 1h, 7d or ISO 8601"))?;
    let d = match unit {
        "s" => chrono::Duration::seconds(n),
        "m" => chrono::Duration::minutes(n),
        "h" | "" => chrono::Duration::hours(n),
        "d" => chrono::Duration::days(n),
        _ => anyhow::bail!("ttl {text:?}: use 30m, 1h, 7d or ISO 8601"),
    };
    if d <= chrono::Duration::zero() || d > chrono::Duration::days(366) {
        anyhow::bail!("ttl must be between 1 second and 366 days");
    }
    Ok(d)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    countersign::telemetry::init_logging(settings.log_format);
    for name in Settings::unknown_env_vars(std::env::vars()) {
        tracing::warn!(variable = %name, "unknown COUNTERSIGN_ variable ignored: no setting has this name");
    }
    let command = cli.command.unwrap_or(Command::Serve {
        listen: None,
        database_url: None,
        no_migrate: false,
        demo: false,
    });
    match command {
        Command::Serve {
            listen,
            database_url,
            no_migrate,
            demo,
        } => {
            settings.demo |= demo;
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            if let Some(url) = database_url {
                settings.database_url = url;
            }
            if no_migrate {
                settings.migrate = false;
            }
            let app = Application::build(settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate { database_url } => {
            if let Some(url) = database_url {
                settings.database_url = url;
            }
            countersign::migrate(&settings).await?;
            eprintln!(
                "migrations applied to {}",
                countersign::redact(&settings.database_url)
            );
        }
        Command::Token {
            tenant,
            sub,
            roles,
            ttl,
            database_url,
        } => {
            if let Some(url) = database_url {
                settings.database_url = url;
            }
            let secret = resolve_jwt_secret(&settings)?;
            let verifier = TokenVerifier::new(&settings, secret.as_ref())?;
            println!(
                "{}",
                verifier.mint(&tenant, &sub, &roles, parse_ttl(&ttl)?)?
            );
        }
        Command::Schema => {
            print!("{}", countersign::graphql::sdl());
        }
        Command::VerifyAudit {
            tenant,
            database_url,
        } => {
            if let Some(url) = database_url {
                settings.database_url = url;
            }
            let store = connect(&settings, false).await?;
            let v = audit::verify(store.db(), &tenant)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if v.ok {
                println!(
                    "ok: {} events verified for tenant {tenant}; head {}",
                    v.checked,
                    v.head_hash.unwrap_or_default()
                );
            } else {
                println!(
                    "BROKEN: tenant {tenant}: first broken seq {}; {} events verified before it",
                    v.first_broken_seq.unwrap_or_default(),
                    v.checked
                );
                return Ok(ExitCode::from(1));
            }
        }
        Command::BenchHttp {
            concurrency,
            seconds,
            rounds,
        } => {
            countersign::bench_http::run(countersign::bench_http::HttpBenchOptions {
                concurrency,
                seconds,
                rounds,
            })
            .await?;
        }
        Command::BenchHttpFloor { listen } => {
            countersign::bench_http::serve_floor(&listen).await?;
        }
        Command::BenchIntake {
            database_url,
            concurrency,
            seconds,
            rounds,
            sqlite_full_sync,
        } => {
            countersign::bench_intake::run(countersign::bench_intake::IntakeBenchOptions {
                database_url,
                concurrency,
                seconds,
                rounds,
                sqlite_full_sync,
            })
            .await?;
        }
        Command::BenchQueue {
            pending,
            database_url,
            tenant,
            seconds,
            deciders,
        } => {
            countersign::bench_queue::run(countersign::bench_queue::QueueBenchOptions {
                pending,
                database_url,
                tenant,
                seconds,
                deciders,
            })
            .await?;
        }
        Command::BenchAnalytics {
            requests,
            database_url,
            tenant,
            no_exports,
        } => {
            countersign::bench::run(countersign::bench::BenchOptions {
                requests,
                database_url,
                tenant,
                no_exports,
            })
            .await?;
        }
        Command::Seed {
            database_url,
            tenant,
            requests,
            days,
            workflows,
            seed,
            end,
        } => {
            if let Some(url) = database_url {
                settings.database_url = url;
            }
            let store = connect(&settings, true).await?;
            let mut opts = countersign::seed::SeedOptions::new(&tenant, requests);
            opts.days = days;
            opts.workflows = workflows;
            opts.seed = seed;
            opts.end = end;
            let report = countersign::seed::seed(&store, opts).await?;
            println!(
                "seeded tenant {tenant}: {} requests, {} events ({} workflows created), {:.1} s, {:.0} requests/s; audit head seq {}",
                report.requests,
                report.events,
                report.workflows_created,
                report.elapsed.as_secs_f64(),
                report.rate(),
                report.last_seq
            );
            for (status, count) in &report.by_status {
                println!("  {status:<17} {count}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
