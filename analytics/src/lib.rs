//! Countersign analytics: requests, steps, decisions, executions and sample verdicts loaded from
//! the database into polars frames, and every figure of `analytics.md` computed from them by pure
//! functions. Knows the entities and the database, nothing of the server.
//!
//! - [`rows`]: one row per request, column by column, upserted by id.
//! - [`load`]: reading those rows from the database, and [`TenantAnalytics`], which keeps a
//!   tenant's rows in memory and extends them from the audit log's `seq`.
//! - [`compute()`]: frame in, [`Report`] out.

pub mod compute;
pub mod export;
pub mod load;
pub mod report;
pub mod rows;
mod sqlite;

pub use compute::{Frame, compute};
pub use load::{Refresh, TenantAnalytics, Update};
pub use report::*;

/// What can go wrong computing analytics.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The database could not be read.
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A SQLite file could not be read.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// polars refused a computation.
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),
    /// A stored value could not be understood.
    #[error("stored data: {0}")]
    Data(String),
    /// The filter's range cannot be reported (from after to, too many buckets).
    #[error("{0}")]
    Range(String),
}
