//! Unit tests for policy parsing, compilation and evaluation: each route, rule order, quorum,
//! overrides, sampling and every kind of bad document.

use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;

fn compile(doc: Value) -> CompiledPolicy {
    let parsed = parse_policy(&doc).unwrap_or_else(|e| panic!("parse: {e:?}"));
    compile_policy(&parsed).unwrap_or_else(|e| panic!("compile: {e:?}"))
}

fn refuse(doc: Value) -> PolicyError {
    match parse_policy(&doc) {
        Err(e) => e,
        Ok(parsed) => match compile_policy(&parsed) {
            Err(e) => e,
            Ok(_) => panic!("policy should be refused: {doc}"),
        },
    }
}

struct Facts {
    action: Value,
    action_type: String,
    amount: Option<Decimal>,
    confidence: Option<f64>,
    risk_flags: Vec<String>,
    context: Option<Value>,
}

impl Facts {
    fn refund(amount: &str, confidence: f64) -> Self {
        Facts {
            action: json!({"order": "A-1", "po_number": "PO-9"}),
            action_type: "refund.issue".into(),
            amount: Some(amount.parse().unwrap_or_default()),
            confidence: Some(confidence),
            risk_flags: vec![],
            context: None,
        }
    }
    fn eval(&self, policy: &CompiledPolicy, manual_only: bool) -> Evaluation {
        let facts = ActionFacts {
            workflow: "refunds",
            action_type: &self.action_type,
            action: &self.action,
            amount: self.amount,
            confidence: self.confidence,
            risk_flags: &self.risk_flags,
            context: self.context.as_ref(),
            model: Some("gpt-x"),
            prompt_version: None,
        };
        let mut e = policy.evaluate(&facts);
        policy.apply_overrides(&mut e, manual_only);
        e
    }
}

fn threshold_policy() -> Value {
    json!({
        "rules": [
            { "name": "blocked-country", "when": "has(context.country) && context.country in ['XX']", "route": "REJECT", "reasonCode": "sanctions" },
            { "name": "large", "when": "amount > 1000.0", "route": "HUMAN",
              "steps": [ { "role": "controller" }, { "role": "cfo", "quorum": 2, "sla": "PT8H" } ] },
            { "name": "small-clean", "when": "action_type == 'refund.issue' && amount < 50.0 && confidence >= 0.9 && size(risk_flags) == 0",
              "route": "AUTO", "sampleRate": 0.5 }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "support_agent" } ] },
        "escalation": { "after": "PT4H", "toRole": "support_manager" },
        "expireAfter": "P3D"
    })
}

#[test]
fn auto_route_when_the_auto_rule_matches() {
    let p = compile(threshold_policy());
    let e = Facts::refund("20.00", 0.95).eval(&p, false);
    assert_eq!(e.route, RouteKind::Auto);
    assert_eq!(e.matched_rule.as_deref(), Some("small-clean"));
    assert!(e.exceptions.is_empty());
    assert_eq!(e.sample_rate, 0.5);
    // sampleRole defaults to the default route's first step role
    assert_eq!(e.sample_role.as_deref(), Some("support_agent"));
}

#[test]
fn human_route_with_steps_quorum_and_sla() {
    let p = compile(threshold_policy());
    let e = Facts::refund("5000", 0.99).eval(&p, false);
    assert_eq!(e.route, RouteKind::Human);
    assert_eq!(e.matched_rule.as_deref(), Some("large"));
    assert_eq!(e.steps.len(), 2);
    assert_eq!(
        (e.steps[0].role.as_str(), e.steps[0].quorum),
        ("controller", 1)
    );
    // a step without sla takes escalation.after
    assert_eq!(e.steps[0].sla, Some(chrono::Duration::hours(4)));
    assert_eq!((e.steps[1].role.as_str(), e.steps[1].quorum), ("cfo", 2));
    assert_eq!(e.steps[1].sla, Some(chrono::Duration::hours(8)));
    assert_eq!(p.expire_after, Some(chrono::Duration::days(3)));
}

#[test]
fn reject_route_records_reason_code() {
    let p = compile(threshold_policy());
    let mut f = Facts::refund("20", 0.99);
    f.context = Some(json!({"country": "XX"}));
    let e = f.eval(&p, false);
    assert_eq!(e.route, RouteKind::Reject);
    assert_eq!(e.reason_code.as_deref(), Some("sanctions"));
}

#[test]
fn default_applies_when_no_rule_matches() {
    let p = compile(threshold_policy());
    let e = Facts::refund("200", 0.5).eval(&p, false);
    assert_eq!(e.route, RouteKind::Human);
    assert_eq!(e.matched_rule, None);
    assert_eq!(e.steps[0].role, "support_agent");
}

#[test]
fn rules_are_tried_in_order_first_match_wins() {
    let p = compile(json!({
        "rules": [
            { "name": "first", "when": "amount > 10.0", "route": "REJECT" },
            { "name": "second", "when": "amount > 5.0", "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] }
    }));
    let e = Facts::refund("20", 1.0).eval(&p, false);
    assert_eq!(e.matched_rule.as_deref(), Some("first"));
    assert_eq!(e.route, RouteKind::Reject);
    assert_eq!(e.reason_code.as_deref(), Some("policy:first"));
    let e = Facts::refund("7", 1.0).eval(&p, false);
    assert_eq!(e.matched_rule.as_deref(), Some("second"));
    assert_eq!(e.route, RouteKind::Auto);
}

#[test]
fn a_rule_that_fails_at_run_time_does_not_match_and_is_an_exception() {
    let p = compile(json!({
        "rules": [
            { "name": "needs-field", "when": "action.missing_field > 3", "route": "REJECT" },
            { "name": "auto", "when": "true", "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "reviewer" } ] }
    }));
    let e = Facts::refund("1", 1.0).eval(&p, false);
    assert_eq!(e.exceptions, vec!["rule_error:needs-field".to_string()]);
    // the AUTO match is overridden to exception review with the default steps
    assert_eq!(e.matched_rule.as_deref(), Some("auto"));
    assert_eq!(e.route, RouteKind::Human);
    assert_eq!(e.override_reason.as_deref(), Some("exception_review"));
    assert_eq!(e.steps[0].role, "reviewer");
}

#[test]
fn failed_validation_sends_auto_to_exception_review() {
    let mut doc = threshold_policy();
    doc["validations"] =
        json!([{ "name": "missing_po", "check": "has(action.po_number)", "message": "no PO" }]);
    let p = compile(doc);
    let mut f = Facts::refund("20", 0.95);
    assert_eq!(f.eval(&p, false).route, RouteKind::Auto);
    f.action = json!({"order": "A-1"});
    let e = f.eval(&p, false);
    assert_eq!(e.exceptions, vec!["missing_po".to_string()]);
    assert_eq!(e.route, RouteKind::Human);
}

#[test]
fn manual_only_turns_auto_into_human_but_leaves_reject() {
    let p = compile(threshold_policy());
    let e = Facts::refund("20", 0.95).eval(&p, true);
    assert_eq!(e.route, RouteKind::Human);
    assert_eq!(e.override_reason.as_deref(), Some("manual_only"));
    assert_eq!(e.steps[0].role, "support_agent");
    let mut f = Facts::refund("20", 0.95);
    f.context = Some(json!({"country": "XX"}));
    assert_eq!(f.eval(&p, true).route, RouteKind::Reject);
}

#[test]
fn comprehension_variables_and_type_names_are_not_unknown() {
    let p = compile(json!({
        "rules": [
            { "name": "flagged", "when": "risk_flags.exists(f, f.startsWith('fraud'))", "route": "REJECT" },
            { "name": "typed", "when": "type(confidence) == double && has_amount && model != ''", "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] }
    }));
    let mut f = Facts::refund("1", 1.0);
    assert_eq!(f.eval(&p, false).matched_rule.as_deref(), Some("typed"));
    f.risk_flags = vec!["fraud_suspected".into()];
    assert_eq!(f.eval(&p, false).matched_rule.as_deref(), Some("flagged"));
}

#[test]
fn amount_absent_is_zero_and_has_amount_false() {
    let p = compile(json!({
        "rules": [ { "name": "no-amount", "when": "!has_amount && amount == 0.0", "route": "AUTO" } ],
        "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] }
    }));
    let mut f = Facts::refund("1", 1.0);
    f.amount = None;
    assert_eq!(f.eval(&p, false).matched_rule.as_deref(), Some("no-amount"));
}

#[test]
fn duplicate_key_is_evaluated() {
    let mut doc = threshold_policy();
    doc["duplicateKey"] = json!("action.order + ':' + action_type");
    doc["duplicateWindow"] = json!("P30D");
    let p = compile(doc);
    let e = Facts::refund("20", 0.95).eval(&p, false);
    assert_eq!(e.duplicate_key.as_deref(), Some("A-1:refund.issue"));
    assert_eq!(p.duplicate_window, chrono::Duration::days(30));
}

#[test]
fn sampling_is_deterministic_and_follows_the_rate() {
    let id = Uuid::now_v7();
    assert_eq!(sample_pick(id, 0.3), sample_pick(id, 0.3));
    assert!(!sample_pick(id, 0.0));
    assert!(sample_pick(id, 1.0));
    let picked = (0..10_000)
        .filter(|_| sample_pick(Uuid::now_v7(), 0.25))
        .count();
    assert!(
        (2_000..3_000).contains(&picked),
        "picked {picked} of 10000 at 25%"
    );
    // The definition, spelled out for one fixed id.
    let fixed = Uuid::parse_str("0190a6d2-7b3c-7def-8123-456789abcdef").unwrap_or_default();
    let digest = <sha2::Sha256 as sha2::Digest>::digest(b"0190a6d2-7b3c-7def-8123-456789abcdef");
    let fraction =
        u64::from_be_bytes(digest[..8].try_into().unwrap_or_default()) as f64 / 2f64.powi(64);
    assert!(sample_pick(fixed, fraction + 1e-9));
    assert!(!sample_pick(fixed, fraction));
}

#[test]
fn refuses_bad_documents_naming_the_place() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"rules": [], "default": {"route": "HUMAN", "steps": [{"role": "r"}]}, "typo": 1}),
            "typo",
            "unknown field `typo`",
        ),
        (
            json!({"rules": [{"name": "a", "when": "amount >", "route": "AUTO"}], "default": {"route": "HUMAN", "steps": [{"role": "r"}]}}),
            "rules.0.when",
            "does not compile",
        ),
        (
            json!({"rules": [{"name": "a", "when": "amout > 3.0", "route": "AUTO"}], "default": {"route": "HUMAN", "steps": [{"role": "r"}]}}),
            "rules.0.when",
            "unknown variable(s) amout",
        ),
        (
            json!({"rules": [{"name": "a", "when": "true", "route": "HUMAN"}], "default": {"route": "HUMAN", "steps": [{"role": "r"}]}}),
            "rules.0.steps",
            "at least one step",
        ),
        (
            json!({"rules": [], "default": {"route": "HUMAN"}}),
            "default.steps",
            "at least one step",
        ),
        (
            json!({"rules": [{"name": "a", "when": "true", "route": "AUTO"}], "default": {"route": "REJECT"}}),
            "default.steps",
            "required when any route is AUTO",
        ),
        (
            json!({"rules": [], "default": {"route": "HUMAN", "steps": [{"role": "r", "sla": "4 hours"}]}}),
            "default.steps.0.sla",
            "ISO 8601",
        ),
        (
            json!({"rules": [], "default": {"route": "HUMAN", "steps": [{"role": "r", "quorum": 0}]}}),
            "default.steps.0.quorum",
            "quorum",
        ),
        (
            json!({"rules": [{"name": "a", "when": "true", "route": "AUTO"}, {"name": "a", "when": "true", "route": "AUTO"}], "default": {"route": "HUMAN", "steps": [{"role": "r"}]}}),
            "rules.1.name",
            "used twice",
        ),
        (
            json!({"rules": [{"name": "a", "when": "true", "route": "AUTO", "sampleRate": 1.5}], "default": {"route": "HUMAN", "steps": [{"role": "r"}]}}),
            "rules.0.sampleRate",
            "between 0 and 1",
        ),
        (
            json!({"rules": [], "default": {"route": "HUMAN", "steps": [{"role": "r"}]}, "expireAfter": "P1M"}),
            "expireAfter",
            "months",
        ),
        (
            json!({"rules": [], "default": {"route": "MAYBE"}}),
            "default.route",
            "unknown variant",
        ),
        (
            json!({"rules": [], "default": {"route": "HUMAN", "steps": [{"role": "r", "extra": true}]}}),
            "default.steps.0.extra",
            "unknown field",
        ),
        (json!([1, 2]), "", "JSON object"),
    ];
    for (doc, path, message) in cases {
        let err = refuse(doc.clone());
        assert_eq!(err.path.join("."), path, "path for {doc}: {err:?}");
        assert!(err.message.contains(message), "message for {doc}: {err:?}");
    }
}
