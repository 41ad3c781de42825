//! `awaitDecision`: an agent waits for a person's decision over plain HTTP. The waiter listens to
//! the tenant's audit tail (the event hub, woken by local commits and, on PostgreSQL, by other
//! replicas' `NOTIFY`) and re-reads its request only when an event about that request arrives, so
//! a thousand waiters cost nothing while nothing happens.

use std::time::Duration;

use countersign_entity::approval_request;
use countersign_entity::enums::RequestStatus;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::auth::Principal;
use crate::domain::requests;
use crate::error::{AppError, AppResult};
use crate::events::EventHub;
use crate::store::Store;

/// The request as soon as it is no longer PENDING, or as it stands when `timeout` passes (or the
/// server begins to shut down). NOT_FOUND when the caller may not read it.
pub async fn await_decision(
    store: &Store,
    hub: &EventHub,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    caller: &Principal,
    id: Uuid,
    timeout: Duration,
) -> AppResult<approval_request::Model> {
    let read = || async {
        requests::get(store.db(), caller, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("request {id}")))
    };
    // Listen first, then read: a decision committed in between is in the feed or in the read.
    let mut feed = hub.subscribe(&caller.tenant).await?;
    let mut current = read().await?;
    let deadline = tokio::time::Instant::now() + timeout;
    while current.status == RequestStatus::Pending && !*shutdown.borrow() {
        let event = tokio::select! {
            event = feed.rx.recv() => event,
            () = tokio::time::sleep_until(deadline) => break,
            _ = shutdown.changed() => break,
        };
        match event {
            Ok(e) if e.request_id == Some(id) => current = read().await?,
            Ok(_) => {}
            // Fell behind the tenant's traffic: whatever was missed, the row says.
            Err(RecvError::Lagged(_)) => current = read().await?,
            Err(RecvError::Closed) => break,
        }
    }
    Ok(current)
}
