//! Database access shared by the domain services: connecting (WAL SQLite or PostgreSQL), write
//! transactions, tenant rows, and mapping constraint violations.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use countersign_entity::tenant;
use sea_orm::sea_query::{LockType, OnConflict};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveValue::Set, ConnectOptions, ConnectionTrait, Database, DatabaseBackend,
    DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QuerySelect, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};

use crate::domain::intake::Intake;
use crate::error::AppResult;

/// The hash that precedes a tenant's first audit event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The current time at the precision both databases store (microseconds), so values read back
/// compare and hash exactly as written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Connection pool plus, on SQLite, the process-wide writer lock.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    // The SQLite file, read directly (not through the pool) by the analytics' full load.
    sqlite_file: Option<PathBuf>,
    // SQLite allows one writer at a time; taking this lock before BEGIN turns what would be
    // SQLITE_BUSY errors under concurrency into an orderly queue. PostgreSQL uses row locks instead.
    write_lock: Option<Arc<Mutex<()>>>,
    // Signalled after every successful write commit in this process: the event hub's fast path
    // (other replicas learn through PostgreSQL NOTIFY, and a short poll backs both up).
    committed: Arc<Notify>,
    // The per-tenant appenders that group submissions into one transaction, and what they
    // remember between batches.
    intake: Arc<Intake>,
}

/// A write transaction; on SQLite it also holds the writer lock until commit or drop.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
    committed: Arc<Notify>,
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    /// Commits, then releases the writer lock and wakes the event hub.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await?;
        self.committed.notify_one();
        Ok(())
    }
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, DbErr> {
        Store::connect_with_timeout(url, max_connections, Duration::from_secs(10), false).await
    }

    /// Like [`Store::connect`], waiting at most `acquire_timeout` for a pooled connection; on
    /// SQLite, `full_sync` syncs every commit to disk (`synchronous = FULL`) instead of at WAL
    /// checkpoints (`NORMAL`).
    pub async fn connect_with_timeout(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
        full_sync: bool,
    ) -> Result<Store, DbErr> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(acquire_timeout)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(if full_sync {
                        SqliteSynchronous::Full
                    } else {
                        SqliteSynchronous::Normal
                    })
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        let db = Database::connect(opts).await?;
        let write_lock = match db.get_database_backend() {
            DatabaseBackend::Sqlite => Some(Arc::new(Mutex::new(()))),
            _ => None,
        };
        Ok(Store {
            db,
            sqlite_file: sqlite_file(url).map(|(file, _)| file.to_owned()),
            write_lock,
            committed: Arc::new(Notify::new()),
            intake: Arc::new(Intake::default()),
        })
    }

    /// The submissions' appenders.
    pub(crate) fn intake(&self) -> &Intake {
        &self.intake
    }

    /// The pool, for reads.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The database's file, when it is a SQLite file.
    pub fn sqlite_file(&self) -> Option<&Path> {
        self.sqlite_file.as_deref()
    }

    /// True on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DatabaseBackend::Postgres
    }

    /// Begins a write transaction (waiting for the writer lock on SQLite).
    pub async fn begin(&self) -> AppResult<WriteTxn> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        // IMMEDIATE on SQLite: the database's write lock is taken at BEGIN. A deferred
        // transaction that read first would fail with SQLITE_BUSY_SNAPSHOT, without waiting, if
        // a write outside this process's writer lock (a worker's single UPDATE) committed
        // between its first read and its first write.
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(WriteTxn {
            txn,
            _guard: guard,
            committed: self.committed.clone(),
        })
    }

    /// Resolves after the next write commit in this process (or at once if one happened since
    /// the last call).
    pub async fn committed(&self) {
        self.committed.notified().await;
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }
}

/// The file of a SQLite URL, with the URL's query string; `None` for other databases and for
/// SQLite in memory.
fn sqlite_file(url: &str) -> Option<(&Path, &str)> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        return None;
    }
    Some((Path::new(path), query))
}

/// Why a SQLite file URL cannot be opened, when it is one of the usual causes: the directory
/// does not exist, or the file does not and the URL does not ask to create it.
pub fn sqlite_open_cause(url: &str) -> Option<String> {
    let (file, query) = sqlite_file(url)?;
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Some(format!(
            "directory {} does not exist: create it, or name a database file in an existing directory",
            dir.display()
        ));
    }
    let creates = query.split('&').any(|p| p == "mode=rwc");
    if !file.exists() && !creates {
        return Some(format!(
            "database file {} does not exist: add ?mode=rwc to the URL to create it",
            file.display()
        ));
    }
    None
}

/// Makes sure the tenant row (which carries the audit head) exists.
pub async fn ensure_tenant(conn: &impl ConnectionTrait, tenant_id: &str) -> AppResult<()> {
    let row = tenant::ActiveModel {
        id: Set(tenant_id.to_owned()),
        audit_seq: Set(0),
        audit_head_hash: Set(GENESIS_HASH.to_owned()),
        created_at: Set(now()),
    };
    let res = tenant::Entity::insert(row)
        .on_conflict(
            OnConflict::column(tenant::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await;
    match res {
        Ok(_) | Err(DbErr::RecordNotInserted) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Locks the tenant row (the audit head) for the rest of the transaction. Every audit append
/// takes this lock, so a transaction that will also lock a workflow row takes it FIRST: outcome
/// transactions hold it when a guardrail trips the workflow, and the same order everywhere means
/// no two transactions wait for each other in a circle.
pub async fn lock_tenant(conn: &impl ConnectionTrait, tenant_id: &str) -> AppResult<()> {
    ensure_tenant(conn, tenant_id).await?;
    tenant::Entity::find_by_id(tenant_id.to_owned())
        .lock(LockType::NoKeyUpdate)
        .one(conn)
        .await?;
    Ok(())
}

/// True when `err` is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write transaction holds SQLite's write lock from its BEGIN: another connection cannot
    /// start writing meanwhile (so it cannot commit between the transaction's first read and its
    /// first write, which would fail that write with SQLITE_BUSY_SNAPSHOT).
    #[tokio::test]
    async fn a_write_transaction_holds_the_sqlite_write_lock_from_its_begin() {
        let dir = std::env::temp_dir().join(format!("cs-begin-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("db.sqlite");
        let store = Store::connect(&format!("sqlite://{}?mode=rwc", file.display()), 2)
            .await
            .unwrap();
        store
            .db()
            .execute_unprepared("CREATE TABLE t (x INTEGER)")
            .await
            .unwrap();
        let other = rusqlite::Connection::open(&file).unwrap();
        other.busy_timeout(Duration::ZERO).unwrap();

        let txn = store.begin().await.unwrap();
        let refused = other.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (2); COMMIT;");
        assert!(
            matches!(&refused, Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy),
            "{refused:?}"
        );
        txn.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .unwrap();
        txn.commit().await.unwrap();
        other
            .execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (2); COMMIT;")
            .unwrap();
        let count: i64 = other
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 2);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
