//! The analytics service: one in-memory [`TenantAnalytics`] per tenant, brought up to the audit
//! head on each query (reading only the requests changed since), and the report computed from its
//! frame off the async runtime.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use countersign_analytics::{AnalyticsError, Filter, Report, TenantAnalytics, compute};

use crate::auth::{Principal, ROLE_ADMIN, ROLE_AUDITOR};
use crate::error::{AppError, AppResult};
use crate::store::Store;

/// Per-tenant analytics state, shared by every request of this replica.
#[derive(Default)]
pub struct AnalyticsCache {
    tenants: Mutex<HashMap<String, Arc<tokio::sync::Mutex<TenantAnalytics>>>>,
}

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
        let entry = self.entry(&caller.tenant);
        let mut guard = entry.lock_owned().await;
        let update = guard
            .fetch(store.db(), &caller.tenant)
            .await
            .map_err(map_err)?;
        tokio::task::spawn_blocking(move || {
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
