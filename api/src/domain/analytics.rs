//! The analytics service: one in-memory [`TenantAnalytics`] per tenant, brought up to the audit
//! head on each query (reading only the requests changed since), and the report computed from its
//! frame off the async runtime, a bounded number at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use countersign_analytics::{AnalyticsError, Filter, Report, TenantAnalytics, compute};

use crate::auth::{Principal, ROLE_ADMIN, ROLE_AUDITOR};
use crate::compute::ComputeSlots;
use crate::error::{AppError, AppResult};
use crate::store::Store;

/// The most workflow keys one analytics filter may name.
pub const MAX_WORKFLOW_KEYS: usize = 100;

/// Per-tenant analytics state, shared by every request of this replica.
pub struct AnalyticsCache {
    tenants: Mutex<HashMap<String, Arc<tokio::sync::Mutex<TenantAnalytics>>>>,
    /// Reports computed at once. polars runs every computation on one shared rayon pool, whose
    /// workers, while they wait, run other computations' tasks on top of their own stack: with
    /// hundreds in flight (500 aliases of `analytics`) that nesting overflowed a worker's stack
    /// and aborted the process. A few at a time keep the nesting shallow; the rest wait here,
    /// asynchronously, and give up their place when the client goes away.
    /// Exports encode their pages in the same pool.
    computing: ComputeSlots,
    /// Export pages being read from the database at once. Forty exports at once each waited
    /// for one of the pool's connections, and a wait past the pool's acquire timeout cut an
    /// export off mid-body; here they wait their turn without a timeout, and leave the rest of
    /// the pool to everything else.
    export_reads: ComputeSlots,
}

/// Export pages read from the database at once on one replica.
pub const EXPORT_READS: usize = 4;

impl Default for AnalyticsCache {
    fn default() -> Self {
        AnalyticsCache::new(DEFAULT_CONCURRENCY)
    }
}

/// Reports computed at once unless configured otherwise.
pub const DEFAULT_CONCURRENCY: usize = 2;

impl std::fmt::Debug for AnalyticsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalyticsCache").finish_non_exhaustive()
    }
}

fn map_err(e: AnalyticsError) -> AppError {
    match e {
        AnalyticsError::Range(message) => AppError::bad_input("filter", message),
        other => AppError::internal(other),
    }
}

impl AnalyticsCache {
    /// A cache computing at most `concurrency` reports at once (at least one).
    pub fn new(concurrency: usize) -> Self {
        AnalyticsCache {
            tenants: Mutex::default(),
            computing: ComputeSlots::new("analytics", concurrency),
            export_reads: ComputeSlots::new("export_reads", EXPORT_READS),
        }
    }

    /// Turns for reading an export's next page from the database.
    pub fn export_reads(&self) -> &ComputeSlots {
        &self.export_reads
    }

    /// The pool polars work runs in: reports, and each page of an export.
    pub fn slots(&self) -> &ComputeSlots {
        &self.computing
    }

    fn entry(&self, tenant: &str) -> Arc<tokio::sync::Mutex<TenantAnalytics>> {
        let mut tenants = self
            .tenants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tenants.entry(tenant.to_owned()).or_default().clone()
    }

    /// The report for `filter`, as of now, for an auditor or admin.
    pub async fn report(
        &self,
        store: &Store,
        caller: &Principal,
        filter: Filter,
    ) -> AppResult<Report> {
        caller.require_any(&[ROLE_AUDITOR, ROLE_ADMIN], "analytics")?;
        let filter = bounded(filter)?;
        let entry = self.entry(&caller.tenant);
        let mut guard = entry.lock_owned().await;
        let update = guard
            .fetch(store.db(), store.sqlite_file(), &caller.tenant)
            .await
            .map_err(map_err)?;
        let permit = self.computing.acquire().await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            if let Some(update) = update {
                guard.apply(update)?;
            }
            let frame = guard.frame()?;
            let settings = guard.settings().clone();
            // Later queries may refresh while this one computes on its own copy.
            drop(guard);
            compute(&frame, &settings, &filter, Utc::now())
        })
        .await
        .map_err(AppError::internal)?
        .map_err(map_err)
    }
}

/// The filter with each workflow key once, refused when it names more than
/// [`MAX_WORKFLOW_KEYS`].
fn bounded(mut filter: Filter) -> AppResult<Filter> {
    if let Some(keys) = filter.workflow_keys.take() {
        if keys.len() > MAX_WORKFLOW_KEYS {
            return Err(AppError::bad_input(
                "filter.workflowKeys",
                format!(
                    "at most {MAX_WORKFLOW_KEYS} workflow keys may be given (got {})",
                    keys.len()
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        filter.workflow_keys = Some(
            keys.into_iter()
                .filter(|k| seen.insert(k.clone()))
                .collect(),
        );
    }
    Ok(filter)
}
