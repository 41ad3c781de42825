//! The audit-tail hub that feeds subscriptions. Subscriptions are a tail of the audit log: the
//! hub reads each watched tenant's new events by `seq` and fans them out to that tenant's
//! subscribers. It wakes on local commits, on PostgreSQL `NOTIFY` from other replicas, and on a
//! short poll; all three are hints only — the table is the truth, so nothing is lost when a hint
//! is.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use countersign_entity::{audit_event, tenant};
use sea_orm::EntityTrait;
use tokio::sync::{Notify, broadcast};

use crate::domain::audit::{self, AUDIT_CHANNEL, AuditQuery};
use crate::error::{AppError, AppResult};
use crate::jobs::JobHandle;
use crate::store::Store;

/// Events read from the table per query.
const PAGE: u64 = 500;

/// One tenant's fan-out.
struct Tail {
    tx: broadcast::Sender<Arc<audit_event::Model>>,
    /// Highest seq broadcast so far.
    last_seq: i64,
}

struct Inner {
    store: Store,
    tails: Mutex<HashMap<String, Tail>>,
    wake: Notify,
    buffer: usize,
}

/// Shared handle to the hub.
#[derive(Clone)]
pub struct EventHub {
    inner: Arc<Inner>,
}

/// A subscriber's live feed: every event of the tenant broadcast after it subscribed.
pub struct Feed {
    /// The receiver; `Lagged` means the subscriber fell more than the buffer behind.
    pub rx: broadcast::Receiver<Arc<audit_event::Model>>,
}

impl EventHub {
    /// A hub over `store`; each subscriber may fall `buffer` events behind before it is closed.
    pub fn new(store: Store, buffer: usize) -> EventHub {
        EventHub {
            inner: Arc::new(Inner {
                store,
                tails: Mutex::new(HashMap::new()),
                wake: Notify::new(),
                buffer: buffer.max(1),
            }),
        }
    }

    /// Subscribes to the tenant's live events. Subscribe first, then replay from the table:
    /// whatever the replay misses arrives here, and duplicates are dropped by seq.
    pub async fn subscribe(&self, tenant_id: &str) -> AppResult<Feed> {
        if let Some(rx) = self.existing(tenant_id)? {
            return Ok(Feed { rx });
        }
        // The tail starts at the current head: older events are the subscribers' replay.
        let head = tenant::Entity::find_by_id(tenant_id.to_owned())
            .one(self.inner.store.db())
            .await?
            .map_or(0, |t| t.audit_seq);
        let mut tails = self.lock()?;
        let tail = tails.entry(tenant_id.to_owned()).or_insert_with(|| Tail {
            tx: broadcast::channel(self.inner.buffer).0,
            last_seq: head,
        });
        let rx = tail.tx.subscribe();
        drop(tails);
        // Catch anything committed between reading the head and subscribing.
        self.inner.wake.notify_one();
        Ok(Feed { rx })
    }

    fn existing(
        &self,
        tenant_id: &str,
    ) -> AppResult<Option<broadcast::Receiver<Arc<audit_event::Model>>>> {
        Ok(self.lock()?.get(tenant_id).map(|t| t.tx.subscribe()))
    }

    fn lock(&self) -> AppResult<std::sync::MutexGuard<'_, HashMap<String, Tail>>> {
        self.inner
            .tails
            .lock()
            .map_err(|_| AppError::internal("event hub lock poisoned"))
    }

    /// Reads and broadcasts every watched tenant's new events; forgets tenants nobody watches.
    pub async fn pump(&self) -> AppResult<()> {
        let watched: Vec<(String, i64)> = {
            let mut tails = self.lock()?;
            tails.retain(|_, t| t.tx.receiver_count() > 0);
            tails.iter().map(|(k, t)| (k.clone(), t.last_seq)).collect()
        };
        for (tenant_id, mut last) in watched {
            loop {
                let query = AuditQuery {
                    after_seq: Some(last),
                    ..Default::default()
                };
                let events = audit::list(self.inner.store.db(), &tenant_id, &query, PAGE).await?;
                let n = events.len() as u64;
                if n == 0 {
                    break;
                }
                let mut tails = self.lock()?;
                let Some(tail) = tails.get_mut(&tenant_id) else {
                    break;
                };
                for event in events {
                    // Only the pump moves last_seq, and events come in seq order.
                    if event.seq == tail.last_seq + 1 {
                        tail.last_seq = event.seq;
                        // No receivers left is not an error: the next pump forgets the tail.
                        let _ = tail.tx.send(Arc::new(event));
                    }
                }
                last = tail.last_seq;
                drop(tails);
                if n < PAGE {
                    break;
                }
            }
        }
        Ok(())
    }

    /// The highest seq broadcast for a tenant (tests and diagnostics).
    pub fn broadcast_head(&self, tenant_id: &str) -> Option<i64> {
        self.lock().ok()?.get(tenant_id).map(|t| t.last_seq)
    }

    /// Runs the hub until the handle is dropped: pumps on local commits, on NOTIFY (PostgreSQL),
    /// on subscriptions, and every `poll`.
    pub fn spawn(&self, database_url: Option<String>, poll: Duration) -> JobHandle {
        let hub = self.clone();
        JobHandle::new(tokio::spawn(async move {
            if let Some(url) = database_url {
                let wake = hub.clone();
                tokio::spawn(listen_for_notifications(url, wake));
            }
            let mut ticker = tokio::time::interval(poll);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = hub.inner.store.committed() => {}
                    () = hub.inner.wake.notified() => {}
                    _ = ticker.tick() => {}
                }
                if let Err(e) = hub.pump().await {
                    tracing::warn!(error = %e, "event hub could not read the audit tail; retrying on the next wake");
                }
            }
        }))
    }

    fn wake(&self) {
        self.inner.wake.notify_one();
    }
}

/// PostgreSQL LISTEN on the audit channel: each notification wakes the pump. Reconnects with a
/// growing pause; while it is down, the poll keeps subscriptions going.
async fn listen_for_notifications(url: String, hub: EventHub) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut pause = Duration::from_millis(200);
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(AUDIT_CHANNEL).await {
                Ok(()) => {
                    pause = Duration::from_millis(200);
                    // A reconnect may have missed notifications: pump once.
                    hub.wake();
                    loop {
                        match listener.recv().await {
                            Ok(_) => hub.wake(),
                            Err(e) => {
                                tracing::warn!(error = %e, "audit LISTEN connection lost; reconnecting");
                                break;
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN for audit events"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot open the audit LISTEN connection"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}
