//! Bounded pools for CPU-heavy work that runs off the async threads (policy evaluation, polars
//! reports and exports): a fixed number of slots, the rest waiting asynchronously, and counts of
//! both for `/metrics`. A waiter that is dropped (its client went away) gives up its place.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, AppResult};

/// A named pool of `size` slots. Cheap to clone; clones share the slots.
#[derive(Debug, Clone)]
pub struct ComputeSlots {
    name: &'static str,
    size: usize,
    slots: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
}

/// One slot, held until dropped.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// Counts `waiting` while alive.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ComputeSlots {
    /// A pool called `name` (the `pool` label in `/metrics`) with `size` slots, at least one.
    pub fn new(name: &'static str, size: usize) -> Self {
        let size = size.clamp(1, Semaphore::MAX_PERMITS);
        ComputeSlots {
            name,
            size,
            slots: Arc::new(Semaphore::new(size)),
            waiting: Arc::default(),
        }
    }

    /// Waits for a free slot.
    pub async fn acquire(&self) -> AppResult<Slot> {
        let _waiting = Waiting::enter(&self.waiting);
        let permit = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        Ok(Slot { _permit: permit })
    }

    /// Waits for a free slot from a blocking thread (never from an async worker).
    pub fn acquire_blocking(&self) -> AppResult<Slot> {
        let _waiting = Waiting::enter(&self.waiting);
        let permit = futures::executor::block_on(Arc::clone(&self.slots).acquire_owned())
            .map_err(AppError::internal)?;
        Ok(Slot { _permit: permit })
    }

    /// The pool's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Slots in the pool.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Slots taken now.
    pub fn in_use(&self) -> usize {
        self.size.saturating_sub(self.slots.available_permits())
    }

    /// Callers waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_slots_in_use_and_waiters_and_a_dropped_waiter_leaves() {
        let pool = ComputeSlots::new("test", 1);
        let held = pool.acquire().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((pool.in_use(), pool.waiting()), (1, 0));
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.acquire().await.map(drop) })
        };
        while pool.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        waiter.abort();
        let _ = waiter.await;
        assert_eq!((pool.in_use(), pool.waiting()), (1, 0));
        drop(held);
        assert_eq!(pool.in_use(), 0);
    }
}
