//! The scheduler loop: on every tick it expires due requests, then escalates overdue steps, each
//! in passes of [`BATCH`] until a pass finds less than a full batch to do. Errors are logged and
//! the loop goes on; nothing here can stop the server.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::domain::timeouts;
use crate::error::AppResult;
use crate::store::{Store, now};

/// Items claimed per pass.
pub const BATCH: u64 = 200;

/// Starts the scheduler on the current runtime, ticking every `interval`.
pub fn spawn_scheduler(store: Store, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        // A slow tick (a long backlog, a slow database) pushes the next one back instead of
        // firing a burst of catch-up ticks.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tracing::info!(
            interval_ms = interval.as_millis() as u64,
            "scheduler started"
        );
        loop {
            ticker.tick().await;
            // A panic in one tick (a bug, a driver surprise) is logged and the next tick runs.
            if AssertUnwindSafe(run_once(&store, BATCH))
                .catch_unwind()
                .await
                .is_err()
            {
                tracing::error!("scheduler tick panicked; continuing with the next tick");
            }
        }
    })
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickOutcome {
    /// Requests expired.
    pub expired: usize,
    /// Steps escalated.
    pub escalated: usize,
}

/// One tick: expiry first (an expired request needs no escalation), then escalation.
pub async fn run_once(store: &Store, batch: u64) -> TickOutcome {
    let started = std::time::Instant::now();
    let outcome = TickOutcome {
        expired: drain(batch, "expire", || {
            timeouts::expire_due(store, now(), batch)
        })
        .await,
        escalated: drain(batch, "escalate", || {
            timeouts::escalate_due(store, now(), batch)
        })
        .await,
    };
    crate::telemetry::scheduler_ticked(started, outcome.expired, outcome.escalated);
    outcome
}

/// Runs `pass` until it acts on fewer than `batch` items (or fails); returns the total.
async fn drain<F, Fut>(batch: u64, job: &'static str, mut pass: F) -> usize
where
    F: FnMut() -> Fut,
    Fut: Future<Output = AppResult<usize>>,
{
    let mut total = 0;
    loop {
        match pass().await {
            Ok(n) => {
                total += n;
                if (n as u64) < batch {
                    return total;
                }
            }
            Err(e) => {
                tracing::error!(job, error = %e, "scheduler pass failed");
                return total;
            }
        }
    }
}
