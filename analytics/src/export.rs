//! Exports of requests and audit events as CSV, Parquet or JSON lines, page by page: each page
//! of rows becomes a polars frame (typed columns: UTC microsecond timestamps, `Decimal(38, 8)`
//! money) written as a CSV chunk or a Parquet row group, or one JSON object per line. Every
//! format writes the same values the same way: times as RFC 3339 in UTC with `Z` (Parquet:
//! timestamps adjusted to UTC), money as decimals with 8 places (Parquet: `Decimal(38, 8)`).

use std::io::Write;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use countersign_entity::{approval_request, audit_event};
use polars::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::AnalyticsError;
use crate::rows::{MONEY_SCALE, money_units};

/// File format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, one header line (JSON columns as text).
    Csv,
    /// Apache Parquet, zstd-compressed, one row group per page.
    Parquet,
    /// One JSON object per line (JSON columns embedded as JSON).
    Jsonl,
}

impl Format {
    /// The format named by a file extension.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "csv" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            "jsonl" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
            Format::Jsonl => "application/x-ndjson",
        }
    }
}

/// A page of rows to export.
pub enum Page {
    Requests(Vec<approval_request::Model>),
    Audit(Vec<audit_event::Model>),
}

/// How CSV writes times: what `time_text` writes in JSON lines (RFC 3339, microseconds, `Z`).
const CSV_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// A timestamp column in UTC: Parquet marks it `isAdjustedToUTC = true`, so readers show the
/// instant, not a wall-clock time in their own zone.
fn times(name: &str, values: impl Iterator<Item = Option<DateTime<Utc>>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), values.map(|t| t.map(|t| t.timestamp_micros())))
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_column()
}

fn decimal_of(name: &str, text: &str) -> Result<Decimal, AnalyticsError> {
    Decimal::from_str(text)
        .map_err(|_| AnalyticsError::Data(format!("{name}: not a decimal: {text:?}")))
}

/// Money as JSON lines write it: the decimal string with [`MONEY_SCALE`] places, as CSV writes
/// the `Decimal(38, 8)` column (`"20.5"` becomes `"20.50000000"`).
fn money_text(name: &str, value: Option<&str>) -> Result<Value, AnalyticsError> {
    let Some(text) = value else {
        return Ok(Value::Null);
    };
    let units = money_units(decimal_of(name, text)?)?;
    Ok(Value::String(
        Decimal::from_i128_with_scale(units, MONEY_SCALE).to_string(),
    ))
}

fn money(name: &str, values: &[Option<&str>]) -> Result<Column, AnalyticsError> {
    let mut units = Vec::with_capacity(values.len());
    for v in values {
        units.push(match v {
            Some(text) => Some(money_units(decimal_of(name, text)?)?),
            None => None,
        });
    }
    Ok(
        Int128Chunked::from_iter_options(name.into(), units.into_iter())
            .into_decimal_unchecked(38, MONEY_SCALE as usize)
            .into_column(),
    )
}

fn text<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    StringChunked::from_iter_options(name.into(), values).into_column()
}

fn requests_frame(rows: &[approval_request::Model]) -> Result<DataFrame, AnalyticsError> {
    let s = |f: fn(&approval_request::Model) -> Option<&str>| rows.iter().map(f);
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    let columns = vec![
        text("id", ids.iter().map(|s| Some(s.as_str()))),
        text("workflow_key", s(|r| Some(&r.workflow_key))),
        Column::new(
            "policy_version".into(),
            rows.iter().map(|r| r.policy_version).collect::<Vec<_>>(),
        ),
        text("matched_rule", s(|r| r.matched_rule.as_deref())),
        text("route", s(|r| Some(route_name(r)))),
        text("status", s(|r| Some(status_name(r)))),
        text("action_type", s(|r| Some(&r.action_type))),
        text("title", s(|r| Some(&r.title))),
        text("action", s(|r| Some(&r.action))),
        text("final_action", s(|r| Some(&r.final_action))),
        Column::new("edited".into(), rows.iter().map(edited).collect::<Vec<_>>()),
        text("final_action_hash", s(|r| Some(&r.final_action_hash))),
        Column::new(
            "confidence".into(),
            rows.iter().map(|r| r.confidence).collect::<Vec<_>>(),
        ),
        money(
            "amount",
            &rows.iter().map(|r| r.amount.as_deref()).collect::<Vec<_>>(),
        )?,
        text("currency", s(|r| r.currency.as_deref())),
        money(
            "cost_usd",
            &rows
                .iter()
                .map(|r| r.cost_usd.as_deref())
                .collect::<Vec<_>>(),
        )?,
        text("risk_flags", s(|r| Some(&r.risk_flags))),
        text("exceptions", s(|r| Some(&r.exceptions))),
        text("reason_code", s(|r| r.reason_code.as_deref())),
        Column::new(
            "qa_sampled".into(),
            rows.iter().map(|r| r.qa_sampled).collect::<Vec<_>>(),
        ),
        text("qa_verdict", s(|r| r.qa_verdict.map(verdict_name))),
        text("qa_reason_code", s(|r| r.qa_reason_code.as_deref())),
        text("model", s(|r| r.model.as_deref())),
        text("prompt_version", s(|r| r.prompt_version.as_deref())),
        text("submitted_by", s(|r| Some(&r.submitted_by))),
        times("submitted_at", rows.iter().map(|r| Some(r.submitted_at))),
        times("decided_at", rows.iter().map(|r| r.decided_at)),
        times("executed_at", rows.iter().map(|r| r.executed_at)),
        text("external_ref", s(|r| r.external_ref.as_deref())),
        text("execution_error", s(|r| r.execution_error.as_deref())),
    ];
    Ok(DataFrame::new(rows.len(), columns)?)
}

fn audit_frame(rows: &[audit_event::Model]) -> Result<DataFrame, AnalyticsError> {
    let s = |f: fn(&audit_event::Model) -> Option<&str>| rows.iter().map(f);
    let ids: Vec<String> = rows.iter().map(|e| e.id.to_string()).collect();
    let requests: Vec<Option<String>> = rows
        .iter()
        .map(|e| e.request_id.map(|r| r.to_string()))
        .collect();
    let columns = vec![
        Column::new("seq".into(), rows.iter().map(|e| e.seq).collect::<Vec<_>>()),
        text("id", ids.iter().map(|s| Some(s.as_str()))),
        text("type", s(|e| Some(&e.event_type))),
        times("at", rows.iter().map(|e| Some(e.at))),
        text("actor", s(|e| Some(&e.actor))),
        text("workflow_key", s(|e| e.workflow_key.as_deref())),
        text("request_id", requests.iter().map(|r| r.as_deref())),
        text("data", s(|e| Some(&e.data))),
        text("prev_hash", s(|e| Some(&e.prev_hash))),
        text("hash", s(|e| Some(&e.hash))),
    ];
    Ok(DataFrame::new(rows.len(), columns)?)
}

fn edited(r: &approval_request::Model) -> bool {
    r.edit_patch.as_deref().is_some_and(|p| p.trim() != "[]")
}

fn route_name(r: &approval_request::Model) -> &'static str {
    use countersign_entity::enums::Route;
    match r.route {
        Route::Auto => "AUTO",
        Route::Human => "HUMAN",
        Route::Reject => "REJECT",
    }
}

fn status_name(r: &approval_request::Model) -> &'static str {
    use countersign_entity::enums::RequestStatus as S;
    match r.status {
        S::Pending => "PENDING",
        S::Approved => "APPROVED",
        S::Rejected => "REJECTED",
        S::Expired => "EXPIRED",
        S::Cancelled => "CANCELLED",
        S::Executed => "EXECUTED",
        S::ExecutionFailed => "EXECUTION_FAILED",
        S::RolledBack => "ROLLED_BACK",
    }
}

fn verdict_name(v: countersign_entity::enums::SampleVerdict) -> &'static str {
    use countersign_entity::enums::SampleVerdict as V;
    match v {
        V::Correct => "CORRECT",
        V::Incorrect => "INCORRECT",
    }
}

fn stored_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn time_text(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    })
}

fn request_json(r: &approval_request::Model) -> Result<Value, AnalyticsError> {
    Ok(json!({
        "id": r.id,
        "workflowKey": r.workflow_key,
        "policyVersion": r.policy_version,
        "matchedRule": r.matched_rule,
        "route": route_name(r),
        "status": status_name(r),
        "actionType": r.action_type,
        "title": r.title,
        "action": stored_json(&r.action),
        "finalAction": stored_json(&r.final_action),
        "edited": edited(r),
        "finalActionHash": r.final_action_hash,
        "confidence": r.confidence,
        "amount": money_text("amount", r.amount.as_deref())?,
        "currency": r.currency,
        "costUsd": money_text("cost_usd", r.cost_usd.as_deref())?,
        "riskFlags": stored_json(&r.risk_flags),
        "exceptions": stored_json(&r.exceptions),
        "reasonCode": r.reason_code,
        "qaSampled": r.qa_sampled,
        "qaVerdict": r.qa_verdict.map(verdict_name),
        "qaReasonCode": r.qa_reason_code,
        "model": r.model,
        "promptVersion": r.prompt_version,
        "submittedBy": r.submitted_by,
        "submittedAt": time_text(Some(r.submitted_at)),
        "decidedAt": time_text(r.decided_at),
        "executedAt": time_text(r.executed_at),
        "externalRef": r.external_ref,
        "executionError": r.execution_error,
    }))
}

fn audit_json(e: &audit_event::Model) -> Value {
    json!({
        "seq": e.seq,
        "id": e.id,
        "type": e.event_type,
        "at": time_text(Some(e.at)),
        "actor": e.actor,
        "workflowKey": e.workflow_key,
        "requestId": e.request_id,
        "data": stored_json(&e.data),
        "prevHash": e.prev_hash,
        "hash": e.hash,
    })
}

enum State<W: Write> {
    Csv(W, bool),
    Parquet(
        Option<W>,
        Option<Box<polars::io::parquet::write::BatchedWriter<W>>>,
    ),
    Jsonl(W),
}

/// Writes pages of one kind of row to `W` in one format; `finish` completes the file (Parquet's
/// footer; for a CSV without rows, its header).
pub struct Encoder<W: Write> {
    state: State<W>,
    empty: fn() -> Result<DataFrame, AnalyticsError>,
}

impl<W: Write> Encoder<W> {
    /// An encoder of request rows.
    pub fn requests(format: Format, out: W) -> Self {
        Self::new(format, out, || requests_frame(&[]))
    }

    /// An encoder of audit events.
    pub fn audit(format: Format, out: W) -> Self {
        Self::new(format, out, || audit_frame(&[]))
    }

    fn new(format: Format, out: W, empty: fn() -> Result<DataFrame, AnalyticsError>) -> Self {
        let state = match format {
            Format::Csv => State::Csv(out, false),
            Format::Parquet => State::Parquet(Some(out), None),
            Format::Jsonl => State::Jsonl(out),
        };
        Encoder { state, empty }
    }

    /// Writes one page.
    pub fn write(&mut self, page: &Page) -> Result<(), AnalyticsError> {
        match &mut self.state {
            State::Jsonl(out) => {
                let mut buf = Vec::new();
                let mut line = |v: Value| -> Result<(), AnalyticsError> {
                    serde_json::to_writer(&mut buf, &v)
                        .map_err(|e| AnalyticsError::Data(e.to_string()))?;
                    buf.push(b'\n');
                    Ok(())
                };
                match page {
                    Page::Requests(rows) => rows.iter().try_for_each(|r| line(request_json(r)?))?,
                    Page::Audit(rows) => rows.iter().try_for_each(|e| line(audit_json(e)))?,
                }
                out.write_all(&buf).map_err(PolarsError::from)?;
            }
            State::Csv(out, header_written) => {
                let mut df = frame_of(page)?;
                csv_writer(&mut *out)
                    .include_header(!*header_written)
                    .finish(&mut df)?;
                *header_written = true;
            }
            State::Parquet(out, writer) => {
                let df = frame_of(page)?;
                if writer.is_none()
                    && let Some(out) = out.take()
                {
                    *writer = Some(Box::new(ParquetWriter::new(out).batched(df.schema())?));
                }
                if let Some(w) = writer {
                    w.write_batch(&df)?;
                }
            }
        }
        Ok(())
    }

    /// Completes the file.
    pub fn finish(mut self) -> Result<(), AnalyticsError> {
        let empty = self.empty;
        match &mut self.state {
            State::Jsonl(out) => out.flush().map_err(PolarsError::from)?,
            State::Csv(out, header_written) => {
                if !*header_written {
                    csv_writer(&mut *out)
                        .include_header(true)
                        .finish(&mut empty()?)?;
                }
                out.flush().map_err(PolarsError::from)?;
            }
            State::Parquet(out, writer) => {
                if writer.is_none()
                    && let Some(out) = out.take()
                {
                    let df = empty()?;
                    *writer = Some(Box::new(ParquetWriter::new(out).batched(df.schema())?));
                }
                if let Some(w) = writer {
                    w.finish()?;
                }
            }
        }
        Ok(())
    }
}

fn csv_writer<W: Write>(out: W) -> CsvWriter<W> {
    CsvWriter::new(out).with_datetime_format(Some(CSV_TIME_FORMAT.into()))
}

fn frame_of(page: &Page) -> Result<DataFrame, AnalyticsError> {
    match page {
        Page::Requests(rows) => requests_frame(rows),
        Page::Audit(rows) => audit_frame(rows),
    }
}
