//! A request as the API shows it, as plain JSON: the `data.request` of event webhooks and the
//! `request` of MCP tool results. Field names and value forms follow the GraphQL
//! `ApprovalRequest` type (camelCase, enum values in capitals, money as decimal strings, times
//! in RFC 3339), so a client reads the same object whichever way it arrived.

use chrono::{DateTime, Utc};
use countersign_entity::{approval_request, approval_step, decision};
use sea_orm::{ActiveEnum, ConnectionTrait};
use serde_json::{Map, Value, json};

use crate::domain::audit::format_time;
use crate::domain::requests;
use crate::error::AppResult;

fn time(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |at| Value::String(format_time(at)))
}

fn parsed(text: Option<&str>) -> AppResult<Value> {
    Ok(match text {
        Some(text) => serde_json::from_str(text)?,
        None => Value::Null,
    })
}

fn step_view(step: &approval_step::Model) -> Value {
    json!({
        "index": step.idx,
        "role": step.role,
        "quorum": step.quorum,
        "approvals": step.approvals,
        "status": step.status.to_value(),
        "openedAt": time(step.opened_at),
        "dueAt": time(step.due_at),
        "escalatedTo": step.escalated_to,
    })
}

fn decision_view(d: &decision::Model) -> Value {
    json!({
        "step": d.step_idx,
        "actor": d.actor,
        "decision": d.decision.to_value(),
        "reasonCode": d.reason_code,
        "comment": d.comment,
        "edited": d.edited,
        "actionHash": d.action_hash,
        "at": format_time(d.created_at),
    })
}

/// The request with its steps and decisions, from rows already read.
pub fn view(
    r: &approval_request::Model,
    steps: &[approval_step::Model],
    decisions: &[decision::Model],
) -> AppResult<Value> {
    let mut out = Map::new();
    let mut put = |key: &str, value: Value| {
        out.insert(key.to_owned(), value);
    };
    put("id", json!(r.id.hyphenated().to_string()));
    put("workflowKey", json!(r.workflow_key));
    put("policyVersion", json!(r.policy_version));
    put("matchedRule", json!(r.matched_rule));
    put("route", json!(r.route.to_value()));
    put("status", json!(r.status.to_value()));
    put("version", json!(r.version));
    put("actionType", json!(r.action_type));
    put("title", json!(r.title));
    put("action", parsed(Some(&r.action))?);
    put("finalAction", parsed(Some(&r.final_action))?);
    put("finalActionHash", json!(r.final_action_hash));
    put("editPatch", parsed(r.edit_patch.as_deref())?);
    put("recommendation", json!(r.recommendation));
    put("confidence", json!(r.confidence));
    put("amount", json!(r.amount));
    put("currency", json!(r.currency));
    put("riskFlags", parsed(Some(&r.risk_flags))?);
    put("exceptions", parsed(Some(&r.exceptions))?);
    put(
        "duplicateOf",
        json!(r.duplicate_of.map(|id| id.hyphenated().to_string())),
    );
    put("sources", parsed(Some(&r.sources))?);
    put("context", parsed(r.context.as_deref())?);
    put("correlation", parsed(r.correlation.as_deref())?);
    put("model", json!(r.model));
    put("promptVersion", json!(r.prompt_version));
    put("costUsd", json!(r.cost_usd));
    put("qaSampled", json!(r.qa_sampled));
    put("qaVerdict", json!(r.qa_verdict.map(|v| v.to_value())));
    put("qaReasonCode", json!(r.qa_reason_code));
    put("qaComment", json!(r.qa_comment));
    put("qaReviewedBy", json!(r.qa_reviewed_by));
    put("qaReviewedAt", time(r.qa_reviewed_at));
    put("reasonCode", json!(r.reason_code));
    put("currentStep", json!(r.current_step));
    put("steps", Value::Array(steps.iter().map(step_view).collect()));
    put(
        "decisions",
        Value::Array(decisions.iter().map(decision_view).collect()),
    );
    put("submittedBy", json!(r.submitted_by));
    put("submittedAt", json!(format_time(r.submitted_at)));
    put("dueAt", time(r.due_at));
    put("expiresAt", time(r.expires_at));
    put("decidedAt", time(r.decided_at));
    put("executedAt", time(r.executed_at));
    put("externalRef", json!(r.external_ref));
    put("executionError", json!(r.execution_error));
    Ok(Value::Object(out))
}

/// Reads the request's steps and decisions (in `conn`, so inside a transaction it sees that
/// transaction's writes) and returns the view.
pub async fn load(conn: &impl ConnectionTrait, r: &approval_request::Model) -> AppResult<Value> {
    let steps = requests::steps(conn, r.id).await?;
    let decisions = requests::decisions(conn, r.id).await?;
    view(r, &steps, &decisions)
}
