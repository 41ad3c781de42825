//! A full load from a SQLite file through a read-only connection of its own, on the calling
//! (blocking) thread: the same three scans as the pooled read, with each value read in place
//! (ids as 16-byte blobs, times as RFC 3339 text) instead of handed row by row between threads.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};
use uuid::Uuid;

use crate::AnalyticsError;
use crate::load::{DECISIONS_SQL, RequestRow, STEPS_SQL, Tallies, facts, requests_sql};
use crate::rows::RequestRows;

fn data(what: &str) -> AnalyticsError {
    AnalyticsError::Data(format!("SQLite: {what}"))
}

fn uuid(row: &Row<'_>, i: usize) -> Result<Uuid, AnalyticsError> {
    match row.get_ref(i)? {
        ValueRef::Blob(bytes) => Uuid::from_slice(bytes).map_err(|_| data("an id is not 16 bytes")),
        ValueRef::Text(text) => std::str::from_utf8(text)
            .ok()
            .and_then(|t| Uuid::parse_str(t).ok())
            .ok_or_else(|| data("an id is not a UUID")),
        _ => Err(data("an id is neither a blob nor text")),
    }
}

fn text<'r>(row: &'r Row<'_>, i: usize) -> Result<Option<&'r str>, AnalyticsError> {
    match row.get_ref(i)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(text) => std::str::from_utf8(text)
            .map(Some)
            .map_err(|_| data("a text is not UTF-8")),
        _ => Err(data("a text column holds another type")),
    }
}

/// A stored time: RFC 3339 as the driver writes it, or `YYYY-MM-DD HH:MM:SS[.f]` (UTC).
fn time(row: &Row<'_>, i: usize) -> Result<Option<DateTime<Utc>>, AnalyticsError> {
    let Some(t) = text(row, i)? else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    if let Ok(at) = DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .map(|at| Some(at.and_utc()))
        .map_err(|_| data(&format!("time {t:?} is not RFC 3339")))
}

fn required_time(row: &Row<'_>, i: usize) -> Result<DateTime<Utc>, AnalyticsError> {
    time(row, i)?.ok_or_else(|| data("a required time is null"))
}

/// `sql` reading the whole table when the tenant holds at least half of the requests: a scan in
/// storage order is then about twice as fast as following the tenant's index row by row.
fn scan(sql: &str, whole_table: bool) -> String {
    sql.replace(
        "{not_indexed}",
        if whole_table { "NOT INDEXED" } else { "" },
    )
}

/// Reads the facts of every request of `tenant_id` from the SQLite file into rows sized by the
/// tenant's count. The count and the three scans run in one read transaction, so they see one
/// state of the database.
pub(crate) fn read(file: &Path, tenant_id: &str) -> Result<RequestRows, AnalyticsError> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch("BEGIN")?;
    let (tenant, all): (i64, i64) = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM approval_requests WHERE tenant_id = ?1), \
                (SELECT COUNT(*) FROM approval_requests)",
        [tenant_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let whole_table = tenant * 2 >= all;
    let mut out = RequestRows::with_capacity(usize::try_from(tenant).unwrap_or(0));

    let mut tallies = Tallies::default();
    let mut stmt = conn.prepare(&scan(STEPS_SQL, whole_table))?;
    let mut rows = stmt.query([tenant_id])?;
    while let Some(row) = rows.next()? {
        tallies.step(uuid(row, 0)?, row.get(1)?, time(row, 2)?, time(row, 3)?);
    }
    drop(rows);
    let mut stmt = conn.prepare(&scan(DECISIONS_SQL, whole_table))?;
    let mut rows = stmt.query([tenant_id])?;
    while let Some(row) = rows.next()? {
        tallies.decision(uuid(row, 0)?);
    }
    drop(rows);
    let mut stmt = conn.prepare(&scan(&requests_sql(), whole_table))?;
    let mut rows = stmt.query([tenant_id])?;
    while let Some(row) = rows.next()? {
        let id = uuid(row, 0)?;
        let r = RequestRow {
            id,
            workflow_key: text(row, 1)?
                .ok_or_else(|| data("a workflow key is null"))?
                .to_owned(),
            route: row.get(2)?,
            status: row.get(3)?,
            edited: row.get(4)?,
            cost_usd: text(row, 5)?,
            sampled: row.get(6)?,
            incorrect: row.get(7)?,
            reason_code: text(row, 8)?.map(str::to_owned),
            submitted_at: required_time(row, 9)?,
            decided_at: time(row, 10)?,
            updated_at: required_time(row, 11)?,
        };
        let tally = tallies.take(&id);
        out.append_new(&facts(r, tally)?)?;
    }
    drop(rows);
    drop(stmt);
    conn.execute_batch("COMMIT")?;
    Ok(out)
}
