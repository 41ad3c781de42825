//! `countersign seed`: realistic synthetic history written straight into the tables, in batches,
//! with the audit events the real code writes (hash-chained from the tenant's current head).
//!
//! Deterministic for a given seed and end time: the same options give the same rows, ids and
//! hashes (on a fresh tenant). Requests are generated in submission-time order; each request's
//! events are written together, in the order its state changed.

use std::collections::BTreeMap;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use countersign_entity::enums::{
    DecisionKind, PolicyStatus, RequestStatus, Route, SampleVerdict, StepStatus, WorkflowMode,
};
use countersign_entity::{
    approval_request, approval_step, audit_event, decision, policy_version, tenant, workflow,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::audit::{self, EventDraft, EventKind, content_hash, format_time};
use crate::domain::policy::sample_pick;
use crate::domain::timeouts::SYSTEM_ACTOR;
use crate::domain::workflows::{self, validate_policy};
use crate::error::AppError;
use crate::store::{Store, ensure_tenant};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Tenant to write into (created when missing).
    pub tenant: String,
    /// Number of requests.
    pub requests: u64,
    /// Days of history, ending at `end`.
    pub days: u32,
    /// Number of workflows (templates refunds, invoices, crm-updates, repeated with a suffix).
    pub workflows: u32,
    /// RNG seed.
    pub seed: u64,
    /// End of the history (default: now). Fix it to make runs comparable across time.
    pub end: Option<DateTime<Utc>>,
    /// Requests per transaction.
    pub batch: usize,
}

impl SeedOptions {
    /// Defaults: 30 days, 3 workflows, seed 42, ending now, 5,000 requests per transaction.
    pub fn new(tenant: &str, requests: u64) -> SeedOptions {
        SeedOptions {
            tenant: tenant.to_owned(),
            requests,
            days: 30,
            workflows: 3,
            seed: 42,
            end: None,
            batch: 5_000,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    /// Requests written.
    pub requests: u64,
    /// Audit events written (workflow creations included).
    pub events: u64,
    /// Workflows created (existing ones with the same key are reused).
    pub workflows_created: u64,
    /// Steps written.
    pub steps: u64,
    /// Decisions written.
    pub decisions: u64,
    /// Requests per final status (stored names).
    pub by_status: BTreeMap<String, u64>,
    /// Requests per route (stored names).
    pub by_route: BTreeMap<String, u64>,
    /// Requests approved by a person (finally: later executed, failed or rolled back included)
    /// with an edited action.
    pub edited: u64,
    /// The tenant's audit head after seeding.
    pub last_seq: i64,
    /// Wall time.
    pub elapsed: StdDuration,
}

impl SeedReport {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.requests as f64 / secs
        } else {
            0.0
        }
    }
}

fn app_err(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

// ---------------------------------------------------------------------------------------------
// Workflow templates

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Refunds,
    Invoices,
    Crm,
}

struct Template {
    kind: Kind,
    key: &'static str,
    name: &'static str,
    agent: &'static str,
    auto_rule: &'static str,
    sample_rate: f64,
    sample_role: &'static str,
    reject_rule: &'static str,
    reject_reason: &'static str,
    /// Rule name and step roles of the "large" HUMAN rule, if any.
    large: Option<(&'static str, &'static [&'static str])>,
    default_steps: &'static [&'static str],
    human_reasons: &'static [&'static str],
    roi: (f64, f64, f64, i64),
}

const TEMPLATES: [Template; 3] = [
    Template {
        kind: Kind::Refunds,
        key: "refunds",
        name: "Customer refunds",
        agent: "refund-bot",
        auto_rule: "small-clean",
        sample_rate: 0.1,
        sample_role: "qa_reviewer",
        reject_rule: "blocked-country",
        reject_reason: "sanctions",
        large: Some(("large", &["support_manager", "finance"])),
        default_steps: &["support_agent"],
        human_reasons: &["not_eligible", "fraud_suspected", "duplicate_refund"],
        roi: (12.0, 6.0, 3.0, 5500),
    },
    Template {
        kind: Kind::Invoices,
        key: "invoices",
        name: "Vendor invoices",
        agent: "invoice-bot",
        auto_rule: "matched-po",
        sample_rate: 0.05,
        sample_role: "ap_auditor",
        reject_rule: "missing-po",
        reject_reason: "missing_po",
        large: Some(("high-value", &["accounts_payable", "finance_manager"])),
        default_steps: &["accounts_payable"],
        human_reasons: &["amount_mismatch", "unknown_vendor", "already_paid"],
        roi: (20.0, 10.0, 4.0, 7000),
    },
    Template {
        kind: Kind::Crm,
        key: "crm-updates",
        name: "CRM updates",
        agent: "crm-bot",
        auto_rule: "routine",
        sample_rate: 0.02,
        sample_role: "sales_ops_lead",
        reject_rule: "delete-contact",
        reject_reason: "destructive_change",
        large: None,
        default_steps: &["sales_ops"],
        human_reasons: &["wrong_contact", "stale_data"],
        roi: (4.0, 2.0, 1.0, 4500),
    },
];

/// Every seeded human step has this SLA, so business-hours cycle times breach some of them.
const STEP_SLA: &str = "PT8H";
const STEP_SLA_HOURS: i64 = 8;

fn steps_json(roles: &[&str]) -> Value {
    Value::Array(
        roles
            .iter()
            .map(|r| json!({ "role": r, "sla": STEP_SLA }))
            .collect(),
    )
}

fn step_due(opened: DateTime<Utc>) -> DateTime<Utc> {
    opened + Duration::hours(STEP_SLA_HOURS)
}

fn policy_of(t: &Template) -> Value {
    let mut rules = Vec::new();
    match t.kind {
        Kind::Refunds => {
            rules.push(json!({ "name": t.reject_rule, "when": "has(context.country) && context.country in ['XX']", "route": "REJECT", "reasonCode": t.reject_reason }));
        }
        Kind::Invoices => {
            rules.push(json!({ "name": t.reject_rule, "when": "!has(action.po_number)", "route": "REJECT", "reasonCode": t.reject_reason }));
        }
        Kind::Crm => {
            rules.push(json!({ "name": t.reject_rule, "when": "action_type == 'crm.delete_contact'", "route": "REJECT", "reasonCode": t.reject_reason }));
        }
    }
    if let Some((name, roles)) = t.large {
        let threshold = if t.kind == Kind::Refunds {
            "amount >= 1000.0"
        } else {
            "amount >= 10000.0"
        };
        rules.push(
            json!({ "name": name, "when": threshold, "route": "HUMAN", "steps": steps_json(roles) }),
        );
    }
    let auto_when = match t.kind {
        Kind::Refunds => "amount < 50.0 && confidence >= 0.9 && size(risk_flags) == 0",
        Kind::Invoices => "amount < 2000.0 && confidence >= 0.95",
        Kind::Crm => "confidence >= 0.85 && size(risk_flags) == 0",
    };
    rules.push(
        json!({ "name": t.auto_rule, "when": auto_when, "route": "AUTO",
        "sampleRate": t.sample_rate, "sampleRole": t.sample_role }),
    );
    json!({
        "rules": rules,
        "default": { "route": "HUMAN", "steps": steps_json(t.default_steps) },
        "expireAfter": "P7D",
    })
}

struct Wf {
    id: Uuid,
    key: String,
    policy_version: i32,
    template: &'static Template,
}

// ---------------------------------------------------------------------------------------------
// Time

const WORK_START_H: u32 = 8;
const WORK_END_H: u32 = 18;

fn is_weekday(t: DateTime<Utc>) -> bool {
    !matches!(t.weekday(), Weekday::Sat | Weekday::Sun)
}

fn day_at(t: DateTime<Utc>, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&t.date_naive().and_hms_opt(hour, 0, 0).unwrap_or_default())
}

/// The start of the working window containing `t`, or of the next one.
fn next_work(t: DateTime<Utc>) -> DateTime<Utc> {
    if is_weekday(t) && t.hour() >= WORK_START_H && t.hour() < WORK_END_H {
        return t;
    }
    let mut day = if is_weekday(t) && t.hour() < WORK_START_H {
        day_at(t, WORK_START_H)
    } else {
        day_at(t, WORK_START_H) + Duration::days(1)
    };
    while !is_weekday(day) {
        day += Duration::days(1);
    }
    day
}

/// `t` plus `secs` seconds of working time (weekdays 08:00-18:00 UTC).
fn business_add(t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    let mut t = next_work(t);
    let mut left = Duration::seconds(secs);
    loop {
        let window_end = day_at(t, WORK_END_H);
        let available = window_end - t;
        if left <= available {
            return t + left;
        }
        left -= available;
        t = next_work(window_end);
    }
}

fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// A time-ordered UUIDv7 for `at`, its random part from the seeded RNG.
fn v7(rng: &mut StdRng, at: DateTime<Utc>) -> Uuid {
    let mut bytes = [0u8; 10];
    rng.fill(&mut bytes);
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &bytes)
        .into_uuid()
}

/// Review delay: minutes to hours (log-uniform 2 minutes to 6 hours).
fn review_secs(rng: &mut StdRng) -> i64 {
    let lo = (120f64).ln();
    let hi = (6.0 * 3600f64).ln();
    rng.random_range(lo..hi).exp() as i64
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

// ---------------------------------------------------------------------------------------------
// One request

struct Generated {
    request: approval_request::Model,
    steps: Vec<approval_step::Model>,
    decisions: Vec<decision::Model>,
    /// (time, ids, drafts) per state change, in time order.
    groups: Vec<(DateTime<Utc>, Vec<Uuid>, Vec<EventDraft>)>,
}

struct Facts {
    action_type: String,
    title: String,
    action: Value,
    amount: Option<Decimal>,
    confidence: f64,
    risk_flags: Vec<String>,
    context: Option<Value>,
    recommendation: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Branch {
    Auto,
    Reject,
    Large,
    Default,
}

fn facts(kind: Kind, branch: Branch, n: u64, rng: &mut StdRng) -> Facts {
    match kind {
        Kind::Refunds => {
            let cents = match branch {
                Branch::Auto => rng.random_range(500..5_000),
                Branch::Large => rng.random_range(100_000..500_000),
                Branch::Default => rng.random_range(5_000..100_000),
                Branch::Reject => rng.random_range(1_000..50_000),
            };
            let amount = money(cents);
            let confidence = match branch {
                Branch::Auto => rng.random_range(0.90..0.995),
                _ => rng.random_range(0.55..0.98),
            };
            let risk_flags = if branch == Branch::Default && rng.random_bool(0.3) {
                vec!["new_customer".to_owned()]
            } else {
                Vec::new()
            };
            let country = if branch == Branch::Reject { "XX" } else { "US" };
            let order = 100_000 + n;
            Facts {
                action_type: "refund.issue".into(),
                title: format!("Refund order {order}"),
                action: json!({ "order": order.to_string(), "amount": amount.to_string(), "currency": "USD", "note": "Sorry for the late delivery" }),
                amount: Some(amount),
                confidence,
                risk_flags,
                context: Some(
                    json!({ "country": country, "customerTier": if rng.random_bool(0.2) { "gold" } else { "standard" } }),
                ),
                recommendation: "Late delivery; eligible under refund policy 4.2".into(),
            }
        }
        Kind::Invoices => {
            let cents = match branch {
                Branch::Auto => rng.random_range(5_000..200_000),
                Branch::Large => rng.random_range(1_000_000..5_000_000),
                Branch::Default => rng.random_range(200_000..1_000_000),
                Branch::Reject => rng.random_range(5_000..500_000),
            };
            let amount = money(cents);
            let confidence = match branch {
                Branch::Auto => rng.random_range(0.95..0.999),
                _ => rng.random_range(0.6..0.99),
            };
            let vendor = format!("vendor-{:03}", rng.random_range(1..200));
            let mut action = json!({ "invoice": format!("INV-{}", 500_000 + n), "vendor": vendor, "amount": amount.to_string(), "currency": "EUR" });
            if branch != Branch::Reject {
                action["po_number"] = json!(format!("PO-{}", rng.random_range(10_000..99_999)));
            }
            Facts {
                action_type: "invoice.pay".into(),
                title: format!("Pay invoice INV-{}", 500_000 + n),
                action,
                amount: Some(amount),
                confidence,
                risk_flags: Vec::new(),
                context: Some(json!({ "vendor": vendor })),
                recommendation: "Invoice matches purchase order and goods receipt".into(),
            }
        }
        Kind::Crm => {
            let action_type = if branch == Branch::Reject {
                "crm.delete_contact"
            } else {
                "crm.update_contact"
            };
            let confidence = match branch {
                Branch::Auto => rng.random_range(0.85..0.999),
                _ => rng.random_range(0.4..0.84),
            };
            let contact = format!("C-{}", 700_000 + n);
            Facts {
                action_type: action_type.into(),
                title: format!("Update contact {contact}"),
                action: json!({ "contact": contact, "field": "email", "value": format!("person{n}@example.com") }),
                amount: None,
                confidence,
                risk_flags: Vec::new(),
                context: None,
                recommendation: "Customer asked to change the email address in ticket".into(),
            }
        }
    }
}

fn edited_action(kind: Kind, action: &Value, amount: Option<Decimal>) -> Value {
    let mut edited = action.clone();
    match kind {
        Kind::Refunds => {
            let partial = (amount.unwrap_or_default() * Decimal::new(8, 1)).round_dp(2);
            edited["amount"] = json!(partial.to_string());
            edited["note"] = json!("Partial refund agreed with the customer");
        }
        Kind::Invoices => {
            let fixed = (amount.unwrap_or_default() * Decimal::new(98, 2)).round_dp(2);
            edited["amount"] = json!(fixed.to_string());
        }
        Kind::Crm => {
            edited["value"] = json!(format!(
                "{}.verified",
                action["value"].as_str().unwrap_or("x")
            ));
        }
    }
    edited
}

fn person(rng: &mut StdRng, role: &str) -> String {
    format!("{}-{:02}", role.replace('_', "-"), rng.random_range(1..=6))
}

struct Ctx<'a> {
    tenant: &'a str,
    end: DateTime<Utc>,
    expire_after: Duration,
}

fn generate(
    ctx: &Ctx<'_>,
    wf: &Wf,
    n: u64,
    at: DateTime<Utc>,
    rng: &mut StdRng,
) -> anyhow::Result<Generated> {
    let t = wf.template;
    let id = v7(rng, at);
    let roll: f64 = rng.random();
    let branch = if roll < 0.55 {
        Branch::Auto
    } else if roll < 0.60 {
        Branch::Reject
    } else if t.large.is_some() && rng.random_bool(0.25) {
        Branch::Large
    } else {
        Branch::Default
    };
    let f = facts(t.kind, branch, n, rng);
    let (route, matched_rule, roles): (Route, Option<&str>, &[&str]) = match branch {
        Branch::Auto => (Route::Auto, Some(t.auto_rule), &[]),
        Branch::Reject => (Route::Reject, Some(t.reject_rule), &[]),
        Branch::Large => {
            let (name, roles) = t.large.unwrap_or(("large", &[]));
            (Route::Human, Some(name), roles)
        }
        Branch::Default => (Route::Human, None, t.default_steps),
    };
    let action_hash = content_hash(&f.action).map_err(app_err)?;
    let cost = Decimal::new(rng.random_range(20..2_500), 4);
    let model = if rng.random_bool(0.7) {
        "gpt-4.1"
    } else {
        "claude-sonnet-4"
    };
    let prompt_version = format!("{}-v{}", t.key, 3 + (n % 2));
    let sources = json!([{ "title": "Ticket history", "url": format!("https://support.example/tickets/{}", 900_000 + n) }]);
    let idempotency_key = format!("seed-{}", id.simple());
    let amount_text = f.amount.map(|a| a.to_string());
    let input_hash = content_hash(&json!({
        "workflowKey": wf.key, "idempotencyKey": idempotency_key, "actionType": f.action_type,
        "title": f.title, "action": f.action, "amount": amount_text, "confidence": f.confidence,
    }))
    .map_err(app_err)?;
    let qa_sampled = route == Route::Auto && sample_pick(id, t.sample_rate);
    let human = route == Route::Human;
    let currency = match t.kind {
        Kind::Refunds => Some("USD".to_owned()),
        Kind::Invoices => Some("EUR".to_owned()),
        Kind::Crm => None,
    };
    let mut req = approval_request::Model {
        id,
        tenant_id: ctx.tenant.to_owned(),
        workflow_id: wf.id,
        workflow_key: wf.key.clone(),
        policy_version: wf.policy_version,
        matched_rule: matched_rule.map(str::to_owned),
        route,
        status: match route {
            Route::Auto => RequestStatus::Approved,
            Route::Human => RequestStatus::Pending,
            Route::Reject => RequestStatus::Rejected,
        },
        version: 1,
        idempotency_key: idempotency_key.clone(),
        input_hash,
        action_type: f.action_type.clone(),
        title: f.title.clone(),
        action: serde_json::to_string(&f.action)?,
        final_action: serde_json::to_string(&f.action)?,
        edit_patch: None,
        final_action_hash: action_hash.clone(),
        recommendation: Some(f.recommendation.clone()),
        confidence: Some(f.confidence),
        amount: amount_text.clone(),
        currency: currency.clone(),
        risk_flags: serde_json::to_string(&f.risk_flags)?,
        exceptions: "[]".into(),
        duplicate_key: None,
        duplicate_of: None,
        sources: serde_json::to_string(&sources)?,
        context: f.context.as_ref().map(serde_json::to_string).transpose()?,
        correlation: None,
        model: Some(model.to_owned()),
        prompt_version: Some(prompt_version.clone()),
        cost_usd: Some(cost.to_string()),
        qa_sampled,
        qa_role: qa_sampled.then(|| t.sample_role.to_owned()),
        qa_verdict: None,
        qa_reason_code: None,
        qa_comment: None,
        qa_reviewed_by: None,
        qa_reviewed_at: None,
        current_step: human.then_some(0),
        due_at: human.then(|| step_due(at)),
        reason_code: (route == Route::Reject).then(|| t.reject_reason.to_owned()),
        submitted_by: t.agent.to_owned(),
        submitted_at: at,
        decided_at: (!human).then_some(at),
        expires_at: human.then(|| at + ctx.expire_after),
        executed_at: None,
        external_ref: None,
        updated_at: at,
        execution_error: None,
    };
    let mut groups: Vec<(DateTime<Utc>, Vec<EventDraft>)> = Vec::new();
    let mut submit = vec![EventDraft::new(
        EventKind::RequestSubmitted,
        t.agent,
        json!({
            "actionType": f.action_type,
            "title": f.title,
            "idempotencyKey": idempotency_key,
            "action": f.action,
            "actionHash": action_hash,
            "recommendation": f.recommendation,
            "confidence": f.confidence,
            "amount": amount_text,
            "currency": currency,
            "riskFlags": f.risk_flags,
            "sources": sources,
            "context": f.context,
            "model": model,
            "promptVersion": prompt_version,
            "costUsd": req.cost_usd,
            "policyVersion": wf.policy_version,
            "route": route_name(route),
            "matchedRule": matched_rule,
            "exceptions": [],
            "duplicateOf": null,
            "overrideReason": null,
        }),
    )];
    let mut steps = Vec::new();
    let mut decisions = Vec::new();
    let mut approved_at = None;
    match route {
        Route::Auto => {
            submit.push(EventDraft::new(
                EventKind::AutoApproved,
                SYSTEM_ACTOR,
                json!({ "rule": matched_rule, "policyVersion": wf.policy_version,
                    "finalActionHash": action_hash, "qaSampled": qa_sampled, "sampleRate": t.sample_rate }),
            ));
            approved_at = Some(at);
        }
        Route::Reject => submit.push(EventDraft::new(
            EventKind::RequestRejected,
            SYSTEM_ACTOR,
            json!({ "by": "policy", "rule": matched_rule, "reasonCode": t.reject_reason, "policyVersion": wf.policy_version }),
        )),
        Route::Human => {
            for (i, role) in roles.iter().enumerate() {
                steps.push(approval_step::Model {
                    id: v7(rng, at),
                    tenant_id: ctx.tenant.to_owned(),
                    request_id: id,
                    idx: i as i32,
                    role: (*role).to_owned(),
                    quorum: 1,
                    approvals: 0,
                    status: if i == 0 {
                        StepStatus::Open
                    } else {
                        StepStatus::Waiting
                    },
                    sla_ms: Some(STEP_SLA_HOURS * 3_600_000),
                    opened_at: (i == 0).then_some(at),
                    due_at: (i == 0).then(|| step_due(at)),
                    escalation_role: None,
                    escalated_to: None,
                    escalated_at: None,
                    decided_at: None,
                });
            }
            submit.push(step_opened(0, roles[0], step_due(at)));
        }
    }
    groups.push((at, submit));

    if human {
        approved_at = human_outcome(
            ctx,
            t,
            &mut req,
            &mut steps,
            &mut decisions,
            &mut groups,
            rng,
        )?;
        // Only a pending request has a step waiting for its due time.
        if req.status != RequestStatus::Pending {
            req.due_at = None;
        }
    }
    if let Some(approved) = approved_at {
        // QA sampling of AUTO approvals: most get a verdict, within working hours.
        if qa_sampled && rng.random_bool(0.8) {
            let when = micros(business_add(at, review_secs(rng)));
            if when <= ctx.end {
                let incorrect = rng.random_bool(0.12);
                let (verdict, name, reason) = if incorrect {
                    (SampleVerdict::Incorrect, "INCORRECT", Some("wrong_amount"))
                } else {
                    (SampleVerdict::Correct, "CORRECT", None)
                };
                let reviewer = person(rng, t.sample_role);
                let comment = incorrect.then(|| "Amount does not match the order".to_owned());
                req.qa_verdict = Some(verdict);
                req.qa_reason_code = reason.map(str::to_owned);
                req.qa_comment = comment.clone();
                req.qa_reviewed_by = Some(reviewer.clone());
                req.qa_reviewed_at = Some(when);
                groups.push((
                    when,
                    vec![EventDraft::new(
                        EventKind::SampleReviewed,
                        &reviewer,
                        json!({ "verdict": name, "reasonCode": reason, "comment": comment,
                            "rule": matched_rule, "finalActionHash": req.final_action_hash }),
                    )],
                ));
            }
        }
        // Execution, reported by the agent within minutes.
        if rng.random_bool(0.75) {
            let when = micros(approved + Duration::seconds(rng.random_range(20..900)));
            if when <= ctx.end {
                let success = rng.random_bool(0.96);
                let (external_ref, error) = if success {
                    (
                        Some(format!("ext_{}", &id.simple().to_string()[20..])),
                        None,
                    )
                } else {
                    (None, Some("upstream API timed out".to_owned()))
                };
                req.external_ref = external_ref.clone();
                if success {
                    req.status = RequestStatus::Executed;
                    req.executed_at = Some(when);
                } else {
                    req.status = RequestStatus::ExecutionFailed;
                    req.execution_error = error.clone();
                }
                groups.push((
                    when,
                    vec![EventDraft::new(
                        EventKind::ExecutionReported,
                        t.agent,
                        json!({ "success": success, "via": "agent", "externalRef": external_ref, "error": error }),
                    )],
                ));
                if success && rng.random_bool(0.02) {
                    let back = micros(business_add(when, review_secs(rng)));
                    if back <= ctx.end {
                        req.status = RequestStatus::RolledBack;
                        groups.push((
                            back,
                            vec![EventDraft::new(
                                EventKind::ActionRolledBack,
                                "ops-admin",
                                json!({ "reason": "Customer disputed the change", "externalRef": req.external_ref, "webhookId": null }),
                            )],
                        ));
                    }
                }
            }
        }
    }

    groups.sort_by_key(|g| g.0);
    req.version = groups.len() as i32;
    req.updated_at = groups.last().map(|g| g.0).unwrap_or(at);
    let groups = groups
        .into_iter()
        .map(|(when, drafts)| {
            let ids = drafts.iter().map(|_| v7(rng, when)).collect();
            let drafts = drafts
                .into_iter()
                .map(|d| d.workflow(&wf.key).request(id))
                .collect();
            (when, ids, drafts)
        })
        .collect();
    Ok(Generated {
        request: req,
        steps,
        decisions,
        groups,
    })
}

fn step_opened(index: i32, role: &str, due: DateTime<Utc>) -> EventDraft {
    EventDraft::new(
        EventKind::StepOpened,
        SYSTEM_ACTOR,
        json!({ "step": index, "role": role, "quorum": 1, "dueAt": format_time(due) }),
    )
}

/// Plays a HUMAN request forward: approved (maybe edited), rejected, cancelled, expired, or
/// still pending when its next change would come after the end. Returns the approval time.
#[allow(clippy::too_many_arguments)]
fn human_outcome(
    ctx: &Ctx<'_>,
    t: &Template,
    req: &mut approval_request::Model,
    steps: &mut [approval_step::Model],
    decisions: &mut Vec<decision::Model>,
    groups: &mut Vec<(DateTime<Utc>, Vec<EventDraft>)>,
    rng: &mut StdRng,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    let at = req.submitted_at;
    let expires = at + ctx.expire_after;
    let roll: f64 = rng.random();
    // approve 62% (a quarter of them edited), reject 18%, cancel 5%, expire 7%, left pending 8%.
    let outcome = if roll < 0.62 {
        0
    } else if roll < 0.80 {
        1
    } else if roll < 0.85 {
        2
    } else if roll < 0.92 {
        3
    } else {
        4
    };
    let expire = |req: &mut approval_request::Model,
                  steps: &mut [approval_step::Model],
                  groups: &mut Vec<(DateTime<Utc>, Vec<EventDraft>)>,
                  open: i32| {
        let when = micros(expires + Duration::seconds(1));
        if when > ctx.end {
            return;
        }
        req.status = RequestStatus::Expired;
        req.current_step = None;
        for s in steps.iter_mut().filter(|s| s.idx >= open) {
            s.status = StepStatus::Skipped;
        }
        groups.push((
            when,
            vec![EventDraft::new(
                EventKind::RequestExpired,
                SYSTEM_ACTOR,
                json!({ "expiredAt": format_time(expires), "submittedAt": format_time(at), "openStep": open }),
            )],
        ));
    };
    match outcome {
        3 | 4 => {
            // Expired when its expiry has passed by the end; otherwise still waiting.
            expire(req, steps, groups, 0);
            return Ok(None);
        }
        2 => {
            let when = micros(business_add(at, review_secs(rng)));
            if when > ctx.end || when >= expires {
                expire(req, steps, groups, 0);
                return Ok(None);
            }
            req.status = RequestStatus::Cancelled;
            req.current_step = None;
            for s in steps.iter_mut() {
                s.status = StepStatus::Skipped;
                s.decided_at = Some(when);
            }
            groups.push((
                when,
                vec![EventDraft::new(
                    EventKind::RequestCancelled,
                    t.agent,
                    json!({ "reason": "Customer withdrew the request", "step": 0, "bySubmitter": true }),
                )],
            ));
            return Ok(None);
        }
        _ => {}
    }
    let reject_at = if outcome == 1 {
        if steps.len() > 1 && rng.random_bool(0.3) {
            1
        } else {
            0
        }
    } else {
        usize::MAX
    };
    let edit = outcome == 0 && rng.random_bool(0.25);
    let original: Value = serde_json::from_str(&req.action)?;
    let mut prev = at;
    let n_steps = steps.len();
    for i in 0..n_steps {
        let when = micros(business_add(prev, review_secs(rng)));
        if when > ctx.end || when >= expires {
            // Nobody decided in time: still pending at this step, or expired.
            expire(req, steps, groups, i as i32);
            return Ok(None);
        }
        prev = when;
        let role = steps[i].role.clone();
        let actor = person(rng, &role);
        let mut edited = false;
        let mut patch_value = None;
        if edit && i == 0 {
            let new_action = edited_action(
                t.kind,
                &original,
                req.amount.as_deref().and_then(|a| a.parse().ok()),
            );
            let patch = serde_json::to_value(json_patch::diff(&original, &new_action))?;
            req.final_action = serde_json::to_string(&new_action)?;
            req.final_action_hash = content_hash(&new_action).map_err(app_err)?;
            req.edit_patch = Some(serde_json::to_string(&patch)?);
            edited = true;
            patch_value = Some(patch);
        }
        let rejecting = i == reject_at;
        let reason_code = rejecting
            .then(|| t.human_reasons[rng.random_range(0..t.human_reasons.len())].to_owned());
        let comment = if rejecting {
            Some("Does not meet the policy".to_owned())
        } else if edited {
            Some("Adjusted before approving".to_owned())
        } else {
            None
        };
        decisions.push(decision::Model {
            id: v7(rng, when),
            tenant_id: ctx.tenant.to_owned(),
            request_id: req.id,
            step_idx: Some(i as i32),
            actor: actor.clone(),
            decision: if rejecting {
                DecisionKind::Reject
            } else {
                DecisionKind::Approve
            },
            reason_code: reason_code.clone(),
            comment: comment.clone(),
            edited,
            action_hash: (!rejecting).then(|| req.final_action_hash.clone()),
            created_at: when,
        });
        let mut data = json!({ "step": i, "role": role, "reasonCode": reason_code,
            "comment": comment, "edited": edited, "patch": patch_value });
        let mut events = Vec::new();
        if rejecting {
            steps[i].status = StepStatus::Rejected;
            steps[i].decided_at = Some(when);
            for s in steps.iter_mut().skip(i + 1) {
                s.status = StepStatus::Skipped;
                s.decided_at = Some(when);
            }
            req.status = RequestStatus::Rejected;
            req.reason_code = reason_code;
            req.decided_at = Some(when);
            req.current_step = None;
            data["by"] = json!("person");
            events.push(EventDraft::new(EventKind::RequestRejected, &actor, data));
            groups.push((when, events));
            return Ok(None);
        }
        steps[i].status = StepStatus::Approved;
        steps[i].approvals = 1;
        steps[i].decided_at = Some(when);
        data["approvals"] = json!(1);
        data["quorum"] = json!(1);
        data["actionHash"] = json!(req.final_action_hash);
        events.push(EventDraft::new(EventKind::StepApproved, &actor, data));
        if i + 1 < n_steps {
            steps[i + 1].status = StepStatus::Open;
            steps[i + 1].opened_at = Some(when);
            steps[i + 1].due_at = Some(step_due(when));
            req.current_step = Some(i as i32 + 1);
            req.due_at = Some(step_due(when));
            events.push(step_opened(
                i as i32 + 1,
                &steps[i + 1].role,
                step_due(when),
            ));
            groups.push((when, events));
        } else {
            req.status = RequestStatus::Approved;
            req.decided_at = Some(when);
            req.current_step = None;
            events.push(EventDraft::new(
                EventKind::RequestApproved,
                &actor,
                json!({ "finalActionHash": req.final_action_hash, "edited": req.edit_patch.is_some(), "steps": n_steps }),
            ));
            groups.push((when, events));
            return Ok(Some(when));
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Rows per INSERT statement for a table of `columns` columns (under SQLite's and PostgreSQL's
/// bound-parameter limits).
fn per_statement(columns: usize) -> usize {
    (30_000 / columns).max(1)
}

async fn insert_chunks<A, I>(
    conn: &impl ConnectionTrait,
    rows: I,
    columns: usize,
) -> anyhow::Result<()>
where
    A: ActiveModelTrait + Send,
    I: IntoIterator<Item = A>,
{
    let mut rows = rows.into_iter().peekable();
    let size = per_statement(columns);
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(size).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Locks the tenant row and chains `groups` onto its head; returns the rows and the new head.
async fn chain_groups(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    groups: Vec<(DateTime<Utc>, Vec<Uuid>, Vec<EventDraft>)>,
) -> anyhow::Result<(Vec<audit_event::Model>, i64, String)> {
    let head = tenant::Entity::find_by_id(tenant_id.to_owned())
        .lock(LockType::NoKeyUpdate)
        .one(conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("tenant row {tenant_id} missing"))?;
    let mut seq = head.audit_seq;
    let mut prev = head.audit_head_hash;
    let mut rows = Vec::new();
    for (at, ids, drafts) in groups {
        let mut ids = ids.into_iter();
        let chained = audit::chain(&prev, seq, tenant_id, at, drafts, || {
            ids.next().unwrap_or_else(Uuid::now_v7)
        })
        .map_err(app_err)?;
        if let Some(last) = chained.last() {
            seq = last.seq;
            prev = last.hash.clone();
        }
        rows.extend(chained);
    }
    Ok((rows, seq, prev))
}

async fn write_batch(
    store: &Store,
    tenant_id: &str,
    workflows: Vec<(workflow::Model, policy_version::Model)>,
    batch: Vec<Generated>,
    groups_before: Vec<(DateTime<Utc>, Vec<Uuid>, Vec<EventDraft>)>,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let txn = store.begin().await.map_err(app_err)?;
    let mut groups = groups_before;
    let mut requests = Vec::with_capacity(batch.len());
    let mut steps = Vec::new();
    let mut decisions = Vec::new();
    for g in batch {
        requests.push(g.request.into_active_model().reset_all());
        steps.extend(
            g.steps
                .into_iter()
                .map(|s| s.into_active_model().reset_all()),
        );
        decisions.extend(
            g.decisions
                .into_iter()
                .map(|d| d.into_active_model().reset_all()),
        );
        groups.extend(g.groups);
    }
    let (events, seq, head) = chain_groups(&*txn, tenant_id, groups).await?;
    report.steps += steps.len() as u64;
    report.decisions += decisions.len() as u64;
    report.events += events.len() as u64;
    for (wf, pv) in workflows {
        wf.into_active_model().reset_all().insert(&*txn).await?;
        pv.into_active_model().reset_all().insert(&*txn).await?;
    }
    insert_chunks(&*txn, requests, 57).await?;
    insert_chunks(&*txn, steps, 17).await?;
    insert_chunks(&*txn, decisions, 11).await?;
    insert_chunks(
        &*txn,
        events
            .into_iter()
            .map(|e| e.into_active_model().reset_all()),
        11,
    )
    .await?;
    tenant::Entity::update_many()
        .col_expr(tenant::Column::AuditSeq, Expr::value(seq))
        .col_expr(tenant::Column::AuditHeadHash, Expr::value(head))
        .filter(tenant::Column::Id.eq(tenant_id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    report.last_seq = seq;
    Ok(())
}

/// The tenant `serve --demo` fills.
pub const DEMO_TENANT: &str = "demo";
/// Requests in the demo tenant.
pub const DEMO_REQUESTS: u64 = 5_000;

/// Seeds [`DEMO_TENANT`] with [`DEMO_REQUESTS`] requests over 30 days ending now, unless it has
/// history already (a restart keeps what is there); returns a token to look at it with (none
/// when tokens cannot be minted here, e.g. with an identity provider's keys).
pub async fn seed_demo(
    store: &Store,
    tokens: &crate::auth::TokenVerifier,
) -> anyhow::Result<Option<String>> {
    let existing = tenant::Entity::find_by_id(DEMO_TENANT.to_owned())
        .one(store.db())
        .await?
        .map_or(0, |t| t.audit_seq);
    if existing == 0 {
        let report = seed(store, SeedOptions::new(DEMO_TENANT, DEMO_REQUESTS)).await?;
        tracing::info!(
            tenant = DEMO_TENANT,
            requests = report.requests,
            events = report.events,
            "demo history seeded"
        );
    } else {
        tracing::info!(
            tenant = DEMO_TENANT,
            "demo tenant has history; not seeding again"
        );
    }
    Ok(tokens
        .mint(DEMO_TENANT, DEMO_SUBJECT, &demo_roles(), Duration::hours(8))
        .ok())
}

/// Who the demo token signs in as.
pub const DEMO_SUBJECT: &str = "demo-admin";

/// The demo token's roles: admin and auditor (dashboard, audit, policies) and every reviewer and
/// QA role of the seeded workflows, so the console's queues have something to decide.
pub fn demo_roles() -> Vec<String> {
    let mut roles = vec!["admin".to_owned(), "auditor".to_owned()];
    for t in &TEMPLATES {
        let large = t.large.map(|(_, steps)| steps).unwrap_or_default();
        for role in [t.sample_role].iter().chain(large).chain(t.default_steps) {
            if !roles.iter().any(|r| r == role) {
                roles.push((*role).to_owned());
            }
        }
    }
    roles
}

/// Writes `opts.requests` synthetic requests (and the workflows they need) into `store`.
pub async fn seed(store: &Store, opts: SeedOptions) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    anyhow::ensure!(opts.days >= 1, "--days must be at least 1");
    anyhow::ensure!(opts.workflows >= 1, "--workflows must be at least 1");
    let tenant_id = opts.tenant.as_str();
    anyhow::ensure!(!tenant_id.is_empty(), "--tenant must not be empty");
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let end = micros(opts.end.unwrap_or_else(Utc::now));
    let start = end - Duration::days(i64::from(opts.days));
    let ctx = Ctx {
        tenant: tenant_id,
        end,
        expire_after: Duration::days(7),
    };
    let mut report = SeedReport::default();
    ensure_tenant(store.db(), tenant_id)
        .await
        .map_err(app_err)?;

    // Workflows: created like createWorkflow does (policy v1 ACTIVE, WORKFLOW_CREATED), or
    // reused when the key exists.
    let created_at = micros(start - Duration::hours(1));
    let mut wfs = Vec::new();
    let mut new_rows = Vec::new();
    let mut wf_groups = Vec::new();
    for i in 0..opts.workflows as usize {
        let template = &TEMPLATES[i % TEMPLATES.len()];
        let key = if i < TEMPLATES.len() {
            template.key.to_owned()
        } else {
            format!("{}-{}", template.key, i / TEMPLATES.len() + 1)
        };
        if let Some(existing) = workflows::get(store.db(), tenant_id, &key)
            .await
            .map_err(app_err)?
        {
            wfs.push(Wf {
                id: existing.id,
                key,
                policy_version: existing.active_policy_version,
                template,
            });
            continue;
        }
        let (doc, _) = validate_policy(&policy_of(template), "policy").map_err(app_err)?;
        let document = serde_json::to_value(&doc)?;
        let id = v7(&mut rng, created_at);
        let (per_auto, per_assisted, per_decision, rate_cents) = template.roi;
        let rate = money(rate_cents);
        let name = if i < TEMPLATES.len() {
            template.name.to_owned()
        } else {
            format!("{} {}", template.name, i / TEMPLATES.len() + 1)
        };
        let admin = "seed-admin";
        let wf = workflow::Model {
            id,
            tenant_id: tenant_id.to_owned(),
            key: key.clone(),
            name: name.clone(),
            description: Some("Synthetic history (countersign seed)".to_owned()),
            mode: WorkflowMode::Active,
            mode_reason: None,
            active_policy_version: 1,
            minutes_saved_per_auto: per_auto,
            minutes_saved_per_assisted: per_assisted,
            reviewer_minutes_per_decision: per_decision,
            hourly_rate_usd: rate.to_string(),
            created_by: admin.to_owned(),
            created_at,
            updated_at: created_at,
            webhook_url: None,
            webhook_secret: None,
            webhook_max_attempts: None,
            notification_channels: None,
        };
        let pv = policy_version::Model {
            id: v7(&mut rng, created_at),
            tenant_id: tenant_id.to_owned(),
            workflow_id: id,
            version: 1,
            status: PolicyStatus::Active,
            document: serde_json_canonicalizer::to_string(&document)?,
            note: None,
            proposed_by: admin.to_owned(),
            activated_by: Some(admin.to_owned()),
            created_at,
            activated_at: Some(created_at),
            status_reason: None,
        };
        let draft = EventDraft::new(
            EventKind::WorkflowCreated,
            admin,
            json!({
                "name": name,
                "description": wf.description,
                "policyVersion": 1,
                "policyHash": content_hash(&document).map_err(app_err)?,
                "policy": document,
                "roi": {
                    "minutesSavedPerAuto": per_auto,
                    "minutesSavedPerAssisted": per_assisted,
                    "reviewerMinutesPerDecision": per_decision,
                    "hourlyRateUsd": rate.to_string(),
                },
            }),
        )
        .workflow(&key);
        wf_groups.push((created_at, vec![v7(&mut rng, created_at)], vec![draft]));
        new_rows.push((wf, pv));
        wfs.push(Wf {
            id,
            key,
            policy_version: 1,
            template,
        });
    }
    report.workflows_created = new_rows.len() as u64;

    // Submission times: 70% of them in working hours on weekdays, the rest around the clock.
    let span_days = i64::from(opts.days);
    let day0 = day_at(start, 0);
    let mut times: Vec<i64> = (0..opts.requests)
        .map(|_| {
            loop {
                let day = day0 + Duration::days(rng.random_range(0..=span_days));
                let secs = if is_weekday(day) && rng.random_bool(0.7) {
                    rng.random_range(i64::from(WORK_START_H) * 3600..i64::from(WORK_END_H) * 3600)
                } else {
                    rng.random_range(0..86_400)
                };
                let t = day
                    + Duration::seconds(secs)
                    + Duration::microseconds(rng.random_range(0..1_000_000));
                if t >= start && t < end {
                    break t.timestamp_micros();
                }
            }
        })
        .collect();
    times.sort_unstable();

    let batch_size = opts.batch.max(1);
    let mut batch = Vec::with_capacity(batch_size.min(times.len()));
    let mut pending_wf = Some((new_rows, wf_groups));
    for (n, micros_at) in times.into_iter().enumerate() {
        let at = DateTime::from_timestamp_micros(micros_at).unwrap_or(end);
        let wf = &wfs[rng.random_range(0..wfs.len())];
        let g = generate(&ctx, wf, n as u64, at, &mut rng)?;
        *report
            .by_status
            .entry(status_name(g.request.status).to_owned())
            .or_default() += 1;
        *report
            .by_route
            .entry(route_name(g.request.route).to_owned())
            .or_default() += 1;
        if g.request.route == Route::Human
            && g.request.edit_patch.is_some()
            && matches!(
                g.request.status,
                RequestStatus::Approved
                    | RequestStatus::Executed
                    | RequestStatus::ExecutionFailed
                    | RequestStatus::RolledBack
            )
        {
            report.edited += 1;
        }
        report.requests += 1;
        batch.push(g);
        if batch.len() >= batch_size {
            let (rows, groups) = pending_wf.take().unwrap_or_default();
            write_batch(
                store,
                tenant_id,
                rows,
                std::mem::take(&mut batch),
                groups,
                &mut report,
            )
            .await?;
        }
    }
    if !batch.is_empty() || pending_wf.is_some() {
        let (rows, groups) = pending_wf.take().unwrap_or_default();
        write_batch(store, tenant_id, rows, batch, groups, &mut report).await?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

fn route_name(r: Route) -> &'static str {
    match r {
        Route::Auto => "AUTO",
        Route::Human => "HUMAN",
        Route::Reject => "REJECT",
    }
}

fn status_name(s: RequestStatus) -> &'static str {
    match s {
        RequestStatus::Pending => "PENDING",
        RequestStatus::Approved => "APPROVED",
        RequestStatus::Rejected => "REJECTED",
        RequestStatus::Expired => "EXPIRED",
        RequestStatus::Cancelled => "CANCELLED",
        RequestStatus::Executed => "EXECUTED",
        RequestStatus::ExecutionFailed => "EXECUTION_FAILED",
        RequestStatus::RolledBack => "ROLLED_BACK",
    }
}
