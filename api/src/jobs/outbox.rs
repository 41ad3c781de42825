//! The outbox worker: on every tick it looks for due deliveries, claims each in a short
//! transaction (`SKIP LOCKED`, then a lease in `claimed_until`), POSTs it signed per the Standard
//! Webhooks spec outside any transaction, and records the attempt in a second short transaction.
//! A replica that dies mid-delivery leaves its lease to expire; another replica then retries it
//! under the same `webhook-id` — at least once, never lost.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use countersign_entity::enums::{OutboxStatus, WorkflowMode};
use countersign_entity::{outbox, workflow};
use futures::FutureExt;
use sea_orm::sea_query::{LockBehavior, LockType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::MissedTickBehavior;
use uuid::Uuid;

use crate::config::Settings;
use crate::domain::audit::{self, EventDraft, EventKind, format_time};
use crate::domain::execution::{self, EVENT_APPROVED, SigningSecret, WEBHOOK_REMOVED, backoff};
use crate::domain::timeouts::SYSTEM_ACTOR;
use crate::egress::{EgressClient, EgressPolicy, FailureKind};
use crate::error::{AppError, AppResult};
use crate::jobs::notify;
use crate::store::{Store, now};

/// Deliveries one replica has in flight at most.
pub const MAX_IN_FLIGHT: usize = 32;

/// Margin added to the attempt timeout when no lease is configured.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// The worker's timing and limits, checked at start.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// Tick interval.
    pub interval: Duration,
    /// First retry delay (doubled per attempt, with jitter).
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// How long a claim holds a delivery; longer than `timeout`.
    pub lease: Duration,
    /// Where deliveries may go (checked again at delivery and where names resolve).
    pub egress: EgressPolicy,
    /// Attempts per event-webhook delivery before it fails.
    pub event_max_attempts: i32,
    /// How long an event-webhook subscription may fail (every attempt since its last success)
    /// before the server disables it.
    pub event_disable_after: Duration,
}

impl OutboxConfig {
    /// Reads and checks the outbox settings.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<OutboxConfig> {
        if settings.outbox_interval_ms == 0 {
            anyhow::bail!(
                "outbox_interval_ms (COUNTERSIGN_OUTBOX_INTERVAL_MS) must be at least 1; to stop \
                 delivering from this process set COUNTERSIGN_OUTBOX_ENABLED=false"
            );
        }
        if !(1..=100).contains(&settings.event_webhook_max_attempts) {
            anyhow::bail!(
                "event_webhook_max_attempts (COUNTERSIGN_EVENT_WEBHOOK_MAX_ATTEMPTS) must be \
                 between 1 and 100"
            );
        }
        if settings.webhook_timeout_ms == 0 {
            anyhow::bail!("webhook_timeout_ms (COUNTERSIGN_WEBHOOK_TIMEOUT_MS) must be at least 1");
        }
        let timeout = Duration::from_millis(settings.webhook_timeout_ms);
        let lease = settings
            .webhook_lease_ms
            .map_or(timeout + LEASE_MARGIN, Duration::from_millis);
        // A lease that ran out while its attempt could still be under way would let a second
        // replica send the same delivery concurrently.
        if lease <= timeout {
            anyhow::bail!(
                "webhook_lease_ms (COUNTERSIGN_WEBHOOK_LEASE_MS) must be longer than \
                 webhook_timeout_ms ({} ms)",
                settings.webhook_timeout_ms
            );
        }
        Ok(OutboxConfig {
            interval: Duration::from_millis(settings.outbox_interval_ms),
            backoff_base: Duration::from_millis(settings.webhook_backoff_base_ms),
            backoff_max: Duration::from_millis(settings.webhook_backoff_max_ms),
            timeout,
            lease,
            egress: EgressPolicy::new(settings.webhook_allowed_hosts.as_deref()),
            event_max_attempts: settings.event_webhook_max_attempts,
            event_disable_after: Duration::from_secs(settings.event_webhook_disable_after_secs),
        })
    }

    /// The HTTP client deliveries use: the guarded outbound client with the attempt timeout.
    pub fn client(&self) -> anyhow::Result<EgressClient> {
        self.egress.client(self.timeout)
    }
}

/// Starts the outbox worker on the current runtime. Deliveries in flight run as tasks of the
/// worker, so stopping it (dropping its handle) stops them too; their leases then expire.
pub fn spawn_outbox(store: Store, config: OutboxConfig) -> anyhow::Result<JoinHandle<()>> {
    let client = config.client()?;
    let config = Arc::new(config);
    Ok(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(config.interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tracing::info!(
            interval_ms = config.interval.as_millis() as u64,
            lease_ms = config.lease.as_millis() as u64,
            "outbox worker started"
        );
        let mut in_flight = JoinSet::new();
        loop {
            ticker.tick().await;
            while let Some(done) = in_flight.try_join_next() {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a webhook delivery task failed");
                }
            }
            // Execution deliveries first, then event webhooks, within one limit of in flight.
            for kind in [Kind::Execution, Kind::Event] {
                let room = MAX_IN_FLIGHT.saturating_sub(in_flight.len());
                if room == 0 {
                    break;
                }
                let claimed = AssertUnwindSafe(kind.claim(&store, room as u64, config.lease))
                    .catch_unwind()
                    .await;
                let claims = match claimed {
                    Ok(Ok(claims)) => claims,
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, pass = kind.name(), "outbox pass failed");
                        continue;
                    }
                    Err(_) => {
                        tracing::error!(
                            pass = kind.name(),
                            "outbox pass panicked; continuing with the next tick"
                        );
                        continue;
                    }
                };
                for claim in claims {
                    let (store, client, config) = (store.clone(), client.clone(), config.clone());
                    in_flight.spawn(async move {
                        let attempt = claim.send(&client).await;
                        if let Err(e) = claim.record(&store, &attempt, &config).await {
                            // The lease runs out and the delivery is tried again.
                            tracing::error!(webhook_id = %claim.webhook_id(), error = %e,
                                "recording a webhook attempt failed");
                        }
                    });
                }
            }
        }
    }))
}

/// The two queues the worker serves.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Approved actions and rollbacks to a workflow's execution webhook (`outbox`).
    Execution,
    /// Events to webhook subscriptions (`event_deliveries`).
    Event,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Execution => "execution",
            Kind::Event => "event",
        }
    }

    async fn claim(self, store: &Store, limit: u64, lease: Duration) -> AppResult<Vec<AnyClaim>> {
        Ok(match self {
            Kind::Execution => claim_due(store, now(), limit, lease)
                .await?
                .into_iter()
                .map(AnyClaim::Execution)
                .collect(),
            Kind::Event => notify::claim_due(store, now(), limit, lease)
                .await?
                .into_iter()
                .map(AnyClaim::Event)
                .collect(),
        })
    }
}

/// A claimed delivery of either queue.
enum AnyClaim {
    Execution(Claim),
    Event(notify::EventClaim),
}

impl AnyClaim {
    fn webhook_id(&self) -> &str {
        match self {
            AnyClaim::Execution(c) => &c.delivery.webhook_id,
            AnyClaim::Event(c) => &c.delivery.webhook_id,
        }
    }

    async fn send(&self, client: &EgressClient) -> Attempt {
        let (url, secret, attempts, payload) = match self {
            AnyClaim::Execution(c) => (&c.url, &c.secret, c.delivery.attempts, &c.delivery.payload),
            AnyClaim::Event(c) => (&c.url, &c.secret, c.delivery.attempts, &c.delivery.payload),
        };
        send(client, url, secret, self.webhook_id(), attempts, payload).await
    }

    async fn record(
        &self,
        store: &Store,
        attempt: &Attempt,
        config: &OutboxConfig,
    ) -> AppResult<()> {
        match self {
            AnyClaim::Execution(c) => record(store, c, attempt, config).await,
            AnyClaim::Event(c) => notify::record(store, c, attempt, config).await,
        }
    }
}

/// What an attempt makes of its delivery: the status, when to try again, and the outcome's name
/// (`delivered`, `retrying`, `failed`).
pub(crate) struct Next {
    /// DELIVERED, PENDING (to retry) or FAILED.
    pub status: OutboxStatus,
    /// When a retry is due.
    pub retry_at: Option<DateTime<Utc>>,
    /// For the log, the audit event and the metrics.
    pub outcome: &'static str,
}

impl Next {
    /// After attempt number `attempts` of at most `max_attempts`, at `at`.
    pub(crate) fn after(
        attempt: &Attempt,
        attempts: i32,
        max_attempts: i32,
        config: &OutboxConfig,
        at: DateTime<Utc>,
    ) -> AppResult<Next> {
        if attempt.succeeded() {
            return Ok(Next {
                status: OutboxStatus::Delivered,
                retry_at: None,
                outcome: "delivered",
            });
        }
        if attempts >= max_attempts {
            return Ok(Next {
                status: OutboxStatus::Failed,
                retry_at: None,
                outcome: "failed",
            });
        }
        let delay = backoff(attempts, config.backoff_base, config.backoff_max);
        let retry_at = at
            + chrono::Duration::from_std(delay).map_err(|e| AppError::internal(e.to_string()))?;
        Ok(Next {
            status: OutboxStatus::Pending,
            retry_at: Some(retry_at),
            outcome: "retrying",
        })
    }
}

/// Due PENDING deliveries not under a live lease.
fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(outbox::Column::Status.eq(OutboxStatus::Pending))
        .add(outbox::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(outbox::Column::ClaimedUntil.is_null())
                .add(outbox::Column::ClaimedUntil.lt(now)),
        )
}

/// A delivery this replica holds the lease of.
#[derive(Debug)]
pub struct Claim {
    /// The row as claimed (`attempts` counts this attempt).
    pub delivery: outbox::Model,
    /// Workflow key, for the audit event.
    pub workflow_key: String,
    url: String,
    secret: SigningSecret,
}

/// Claims up to `limit` due deliveries (oldest due first) whose workflow is not PAUSED; rows
/// another replica holds are skipped. A PAUSED workflow's rows are not claimed and lose no
/// attempt.
pub async fn claim_due(
    store: &Store,
    now: DateTime<Utc>,
    limit: u64,
    lease: Duration,
) -> AppResult<Vec<Claim>> {
    let paused = Query::select()
        .column(workflow::Column::Id)
        .from(workflow::Entity)
        .and_where(workflow::Column::Mode.eq(WorkflowMode::Paused))
        .to_owned();
    let candidates: Vec<(Uuid, Uuid)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .column(outbox::Column::WorkflowId)
        .filter(claimable(now))
        .filter(outbox::Column::WorkflowId.not_in_subquery(paused))
        .order_by_asc(outbox::Column::NextAttemptAt)
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(store.db())
        .await?;
    let mut claims = Vec::new();
    for (id, workflow_id) in candidates {
        match claim_one(store, id, workflow_id, now, lease).await {
            Ok(Some(claim)) => claims.push(claim),
            Ok(None) => {}
            Err(e) => tracing::error!(outbox_id = %id, error = %e, "claiming a delivery failed"),
        }
    }
    Ok(claims)
}

/// Claims one delivery in its own short transaction: counts the attempt and sets the lease.
async fn claim_one(
    store: &Store,
    id: Uuid,
    workflow_id: Uuid,
    now: DateTime<Utc>,
    lease: Duration,
) -> AppResult<Option<Claim>> {
    let txn = store.begin().await?;
    // The workflow first, shared: a mode or webhook change waits for this claim (and this claim
    // for it), so a delivery never leaves after PAUSED committed. Then the row, skipping one
    // another replica holds.
    let Some(wf) = workflow::Entity::find_by_id(workflow_id)
        .lock_shared()
        .one(&*txn)
        .await?
    else {
        return Ok(None);
    };
    if wf.mode == WorkflowMode::Paused {
        return Ok(None);
    }
    let Some(row) = outbox::Entity::find_by_id(id)
        .filter(claimable(now))
        .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
        .one(&*txn)
        .await?
    else {
        return Ok(None);
    };
    let (Some(url), Some(secret)) = (wf.webhook_url.clone(), wf.webhook_secret.as_ref()) else {
        // The webhook was removed while this delivery was in flight and it then failed: it has
        // nowhere to go; the request stays APPROVED for an agent to report.
        outbox::Entity::update_many()
            .set(outbox::ActiveModel {
                status: Set(OutboxStatus::Failed),
                claimed_until: Set(None),
                last_error: Set(Some(WEBHOOK_REMOVED.to_owned())),
                ..Default::default()
            })
            .filter(outbox::Column::Id.eq(row.id))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        tracing::info!(webhook_id = %row.webhook_id, "delivery dropped: the webhook was removed");
        return Ok(None);
    };
    let secret = execution::stored_secret(secret)?;
    let until =
        now + chrono::Duration::from_std(lease).map_err(|e| AppError::internal(e.to_string()))?;
    // The claim counts the attempt, so one cut off by a dying replica shows in the next one's
    // number; such a lost attempt is sent again even past `max_attempts` (its outcome is unknown).
    let attempts = row.attempts + 1;
    outbox::Entity::update_many()
        .set(outbox::ActiveModel {
            attempts: Set(attempts),
            claimed_until: Set(Some(until)),
            ..Default::default()
        })
        .filter(outbox::Column::Id.eq(row.id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(Some(Claim {
        delivery: outbox::Model {
            attempts,
            claimed_until: Some(until),
            ..row
        },
        workflow_key: wf.key,
        url,
        secret,
    }))
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// HTTP status, when a response came back.
    pub status: Option<u16>,
    /// Why the attempt failed: `address_not_allowed`, `timeout`, `connect`, `request`,
    /// `redirect_not_followed` (with the 3xx status), `url_not_allowed`, `signing`. Coarse on
    /// purpose (see `egress::FailureKind`).
    pub error: Option<&'static str>,
    /// Time until the response (or the failure).
    pub latency_ms: u64,
}

impl Attempt {
    /// A 2xx answer.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    pub(crate) fn describe(&self) -> String {
        match (self.status, self.error) {
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(kind)) => kind.to_owned(),
            (None, None) => "no answer".to_owned(),
        }
    }
}

/// POSTs a stored body with the Standard Webhooks headers through the guarded client; never
/// inside a transaction (on SQLite one would hold the process-wide writer lock for the whole
/// call). `attempt` is for the log.
pub(crate) async fn send(
    client: &EgressClient,
    url: &str,
    secret: &SigningSecret,
    webhook_id: &str,
    attempt: i32,
    payload: &str,
) -> Attempt {
    let failed = |error| Attempt {
        status: None,
        error: Some(error),
        latency_ms: 0,
    };
    // The allow-list may have been tightened since the webhook was set.
    let Ok(url) = client.policy().parse_url(url, "url") else {
        return failed("url_not_allowed");
    };
    let timestamp = Utc::now().timestamp();
    let Ok(signature) = secret.sign(webhook_id, timestamp, payload.as_bytes()) else {
        return failed("signing");
    };
    let request = match client.post(url) {
        Ok(request) => request,
        Err(kind) => return failed(kind.as_str()),
    };
    let started = Instant::now();
    let sent = request
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(payload.to_owned())
        .send()
        .await;
    let latency_ms = started.elapsed().as_millis() as u64;
    match sent {
        Ok(resp) => {
            let status = resp.status();
            Attempt {
                status: Some(status.as_u16()),
                error: status
                    .is_redirection()
                    .then_some(FailureKind::Redirect.as_str()),
                latency_ms,
            }
        }
        Err(e) => {
            let kind = FailureKind::of(&e);
            tracing::warn!(%webhook_id, attempt, error = %e.without_url(),
                "webhook attempt failed");
            Attempt {
                status: None,
                error: Some(kind.as_str()),
                latency_ms,
            }
        }
    }
}

/// Records an attempt in one transaction: the row (delivered, retry later, or failed), a
/// WEBHOOK_ATTEMPTED event, and for an approval's final outcome the request's EXECUTED or
/// EXECUTION_FAILED. Nothing is written when the lease was lost to another replica meanwhile.
async fn record(
    store: &Store,
    claim: &Claim,
    attempt: &Attempt,
    config: &OutboxConfig,
) -> AppResult<()> {
    let d = &claim.delivery;
    let at = now();
    let txn = store.begin().await?;
    // `attempts` fences the claim: a replica that re-claimed after the lease ran out counted
    // one more, so a late record of an older attempt finds nothing.
    let Some(row) = outbox::Entity::find_by_id(d.id)
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
        .filter(outbox::Column::Attempts.eq(d.attempts))
        .lock(LockType::NoKeyUpdate)
        .one(&*txn)
        .await?
    else {
        tracing::warn!(webhook_id = %d.webhook_id, attempt = d.attempts,
            "webhook attempt finished after its lease was taken over; not recorded");
        return Ok(());
    };
    let next = Next::after(attempt, row.attempts, row.max_attempts, config, at)?;
    let (succeeded, exhausted) = (
        next.status == OutboxStatus::Delivered,
        next.status == OutboxStatus::Failed,
    );
    let mut update = outbox::ActiveModel {
        status: Set(next.status),
        claimed_until: Set(None),
        last_status_code: Set(attempt.status.map(i32::from)),
        last_error: Set(attempt.error.map(str::to_owned)),
        ..Default::default()
    };
    if succeeded {
        update.delivered_at = Set(Some(at));
    }
    if let Some(retry_at) = next.retry_at {
        update.next_attempt_at = Set(retry_at);
    }
    let (outcome, next_attempt_at) = (next.outcome, next.retry_at);
    outbox::Entity::update_many()
        .set(update)
        .filter(outbox::Column::Id.eq(row.id))
        .exec(&*txn)
        .await?;
    let event = EventDraft::new(
        EventKind::WebhookAttempted,
        SYSTEM_ACTOR,
        json!({
            "webhookId": row.webhook_id,
            "eventType": row.event_type,
            "attempt": row.attempts,
            "maxAttempts": row.max_attempts,
            "statusCode": attempt.status,
            "error": attempt.error,
            "latencyMs": attempt.latency_ms,
            "outcome": outcome,
            "nextAttemptAt": next_attempt_at.map(format_time),
        }),
    )
    .workflow(&claim.workflow_key)
    .request(row.request_id);
    audit::append(&*txn, &row.tenant_id, at, vec![event]).await?;
    if succeeded || exhausted {
        let finished = outbox::Model {
            last_status_code: attempt.status.map(i32::from),
            ..row
        };
        if finished.event_type == EVENT_APPROVED {
            let error = exhausted.then(|| {
                format!(
                    "webhook delivery failed after {} attempts (last: {})",
                    finished.attempts,
                    attempt.describe()
                )
            });
            execution::record_webhook_outcome(&*txn, &finished, error, at).await?;
        } else if exhausted {
            tracing::warn!(webhook_id = %finished.webhook_id, event_type = %finished.event_type,
                "webhook delivery failed after its last attempt");
        }
    }
    txn.commit().await?;
    crate::telemetry::webhook_attempted(outcome);
    Ok(())
}
