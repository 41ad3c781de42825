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
            currency: None,
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
fn an_absent_fact_fails_closed_and_the_auto_route_goes_to_people() {
    let p = compile(json!({
        "rules": [ { "name": "small", "when": "amount < 50.0", "route": "AUTO" } ],
        "default": { "route": "AUTO", "steps": [ { "role": "reviewer" } ] }
    }));
    let mut f = Facts::refund("1", 1.0);
    f.amount = None;
    let e = f.eval(&p, false);
    assert_eq!(e.matched_rule, None);
    assert_eq!(e.exceptions, vec!["rule_error:small".to_string()]);
    assert_eq!(e.route, RouteKind::Human);
    assert_eq!(e.override_reason.as_deref(), Some("exception_review"));
    // Before, an absent amount read as 0.0 and matched `amount < 50.0`.
    let e = Facts::refund("10", 1.0).eval(&p, false);
    assert_eq!(e.matched_rule.as_deref(), Some("small"));
    assert_eq!(e.route, RouteKind::Auto);
}

#[test]
fn every_optional_fact_is_unbound_when_absent_and_has_guards_work() {
    let facts = [
        ("amount", "amount < 50.0", "has_amount && amount < 50.0"),
        (
            "confidence",
            "confidence >= 0.0",
            "has_confidence && confidence >= 0.0",
        ),
        (
            "currency",
            "currency != 'XX'",
            "has_currency && currency != 'XX'",
        ),
        ("model", "model != 'bad'", "has_model && model != 'bad'"),
        (
            "prompt_version",
            "prompt_version != 'v0'",
            "has_prompt_version && prompt_version != 'v0'",
        ),
    ];
    for (fact, bare, guarded) in facts {
        let p = compile(json!({
            "rules": [
                { "name": "bare", "when": bare, "route": "REJECT" },
                { "name": "guarded", "when": guarded, "route": "REJECT" },
                { "name": "negated-guard", "when": format!("!has_{fact} || ({bare})"), "route": "AUTO" }
            ],
            "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] }
        }));
        let action = json!({});
        let absent = ActionFacts {
            workflow: "w",
            action_type: "t",
            action: &action,
            amount: None,
            confidence: None,
            currency: None,
            risk_flags: &[],
            context: None,
            model: None,
            prompt_version: None,
        };
        let e = p.evaluate(&absent);
        assert_eq!(e.exceptions, vec!["rule_error:bare".to_string()], "{fact}");
        assert_eq!(e.matched_rule.as_deref(), Some("negated-guard"), "{fact}");
        let present = ActionFacts {
            amount: Some(Decimal::new(10, 0)),
            confidence: Some(0.5),
            currency: Some("EUR"),
            model: Some("m"),
            prompt_version: Some("v1"),
            ..absent
        };
        let e = p.evaluate(&present);
        assert!(e.exceptions.is_empty(), "{fact}: {e:?}");
        assert_eq!(e.matched_rule.as_deref(), Some("bare"), "{fact}");
    }
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

#[test]
fn a_when_that_is_not_a_condition_is_refused_naming_the_rule() {
    for when in [
        "amount + 1.0",
        "'yes'",
        "1",
        "action.urgent",
        "risk_flags",
        "size(risk_flags)",
        "risk_flags.map(f, f == 'x')",
        "risk_flags.filter(f, f == 'x')",
        "risk_flags.all(f, f)",
        "true ? 'a' : false",
        "true && 1",
        "!amount",
        "null",
    ] {
        let err = refuse(json!({
            "rules": [ { "name": "odd-rule", "when": when, "route": "AUTO" } ],
            "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] }
        }));
        assert_eq!(err.path.join("."), "rules.0.when", "{when}");
        assert!(err.message.contains("\"odd-rule\""), "{when}: {err:?}");
        assert!(
            err.message.contains("must be a condition"),
            "{when}: {err:?}"
        );
    }
    let err = refuse(json!({
        "rules": [],
        "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] },
        "validations": [ { "name": "v", "check": "action.po_number" } ]
    }));
    assert_eq!(err.path.join("."), "validations.0.check");
    for when in [
        "true",
        "amount < 50.0",
        "has(action.po) && !(action.po == '')",
        "'fraud' in risk_flags",
        "risk_flags.exists(f, f.startsWith('fraud'))",
        "risk_flags.all(f, f != 'x') || has_amount",
        "risk_flags.exists_one(f, f == 'x')",
        "size(risk_flags.filter(f, f == 'x')) == 0",
        "has_amount ? amount < 50.0 : false",
        "action_type.matches('^refund')",
        "bool(context.flag)",
        "[1, 2].all(x, [3].exists(y, x < y))",
    ] {
        compile(json!({
            "rules": [ { "name": "fine", "when": when, "route": "AUTO" } ],
            "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] }
        }));
    }
}

/// Ten digits nested seven deep: 10^7 iterations from a 280-byte rule (several CPU-seconds per
/// action before the limits; the shape of the attack in issue 8).
fn nested_digits(levels: usize) -> String {
    let mut expr = String::from("true");
    for i in (0..levels).rev() {
        expr = format!("[0,1,2,3,4,5,6,7,8,9].all(x{i}, x{i} >= 0 && {expr})");
    }
    expr
}

#[test]
fn expensive_small_rules_are_refused_naming_the_limit() {
    let bomb = nested_digits(7);
    assert!(bomb.len() < 400, "{}", bomb.len());
    let cases: Vec<(String, &str)> = vec![
        (bomb, "MAX_COMPREHENSION_NESTING"),
        (nested_digits(3), "MAX_COMPREHENSION_NESTING"),
        (
            (0..9)
                .map(|_| "risk_flags.exists(f, f == 'x')")
                .collect::<Vec<_>>()
                .join(" || "),
            "MAX_COMPREHENSIONS",
        ),
        (
            format!("size([{}]) > 0", vec!["1"; 300].join(",")),
            "MAX_LITERAL_ELEMENTS",
        ),
        (
            format!("{}true{}", "!(".repeat(60), ")".repeat(60)),
            "MAX_BRACKET_NESTING",
        ),
        (
            format!("{}{} == []", "[".repeat(2000), "]".repeat(2000)),
            "MAX_BRACKET_NESTING",
        ),
        (
            format!("size({}[]{}) == 0", "size(".repeat(17), ")".repeat(17)),
            "MAX_BRACKET_NESTING",
        ),
        (format!("{} > 0", vec!["1"; 100].join(" + ")), "MAX_DEPTH"),
        (
            format!("size([{}]) > 0", vec!["[1,2,3,4]"; 250].join(",")),
            "MAX_NODES",
        ),
        (
            format!("action_type == '{}'", "a".repeat(4100)),
            "4096 bytes",
        ),
    ];
    for (when, limit) in cases {
        let err = refuse(json!({
            "rules": [ { "name": "costly", "when": when, "route": "AUTO" } ],
            "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] }
        }));
        assert_eq!(err.path.join("."), "rules.0.when");
        assert!(err.message.contains(limit), "{limit}: {err:?}");
    }
    // Two levels stay allowed.
    compile(json!({
        "rules": [ { "name": "fine", "when": nested_digits(2), "route": "AUTO" } ],
        "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] }
    }));
}

fn quadratic_policy() -> CompiledPolicy {
    compile(json!({
        "rules": [
            { "name": "pairs", "when": "action.items.all(a, action.items.all(b, a == b || a != b))", "route": "AUTO" },
            { "name": "after", "when": "true", "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "reviewer" } ] }
    }))
}

fn many_items() -> Value {
    json!({ "items": vec![0; 50_000] })
}

fn eval_with(
    policy: &CompiledPolicy,
    action: &Value,
    budget: &std::sync::Arc<Budget>,
) -> Evaluation {
    let facts = ActionFacts {
        workflow: "w",
        action_type: "t",
        action,
        amount: None,
        confidence: None,
        currency: None,
        risk_flags: &[],
        context: None,
        model: None,
        prompt_version: None,
    };
    let mut e = policy.evaluate_within(&facts, budget);
    policy.apply_overrides(&mut e, false);
    e
}

#[test]
fn a_spent_budget_is_a_rule_error_and_stops_evaluation() {
    let p = compile(threshold_policy());
    let action = json!({});
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let e = eval_with(&p, &action, &Budget::new(std::time::Duration::ZERO, cancel));
    assert_eq!(e.exceptions, vec!["rule_error:blocked-country".to_string()]);
    assert_eq!(e.matched_rule, None);
    assert_eq!(e.route, RouteKind::Human);
}

#[test]
fn the_deadline_stops_a_rule_inside_its_comprehensions() {
    // 2.5e9 iterations: hours of work without the budget check inside the loops.
    let p = quadratic_policy();
    let action = many_items();
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let started = std::time::Instant::now();
    let e = eval_with(
        &p,
        &action,
        &Budget::new(std::time::Duration::from_millis(50), cancel),
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e.exceptions, vec!["rule_error:pairs".to_string()]);
    assert_eq!(
        e.matched_rule, None,
        "evaluation stops at the rule over budget"
    );
    assert_eq!(e.route, RouteKind::Human);
}

#[test]
fn map_and_filter_check_the_budget_too_and_keep_their_results() {
    let p = compile(json!({
        "rules": [
            { "name": "mapped", "when": "size(action.items.map(a, action.items.filter(b, b == a))) == 2", "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "reviewer" } ] }
    }));
    let small = json!({ "items": [1, 2] });
    let e = eval_with(&p, &small, &Budget::unlimited());
    assert_eq!(e.matched_rule.as_deref(), Some("mapped"));
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let started = std::time::Instant::now();
    let e = eval_with(
        &p,
        &many_items(),
        &Budget::new(std::time::Duration::from_millis(50), cancel),
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(e.exceptions, vec!["rule_error:mapped".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_waiting_future_cancels_the_work() {
    let p = quadratic_policy();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let evaluator = Evaluator::new(1, std::time::Duration::from_secs(60));
    let task = tokio::spawn(async move {
        off_thread(&evaluator, move |cancel| {
            let _ = started_tx.send(());
            // A minute of budget: only the cancellation can end this early.
            let budget = Budget::new(std::time::Duration::from_secs(60), cancel);
            let e = eval_with(&p, &many_items(), &budget);
            let _ = done_tx.send(e.exceptions);
        })
        .await
    });
    let _ = started_rx.await;
    task.abort();
    let exceptions = tokio::task::spawn_blocking(move || {
        done_rx.recv_timeout(std::time::Duration::from_secs(20))
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("the work went on after the caller left: {e}"));
    assert_eq!(exceptions, vec!["rule_error:pairs".to_string()]);
}

#[test]
fn the_deepest_accepted_expressions_compile_and_run_on_a_small_stack() {
    let deep_brackets = format!("size({}[]{}) == 0", "size(".repeat(14), ")".repeat(14));
    let deep_tree = format!("{} > 0", vec!["1"; 40].join(" + "));
    for when in [deep_brackets, deep_tree] {
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let p = compile(json!({
                    "rules": [ { "name": "deep", "when": when, "route": "REJECT" } ],
                    "default": { "route": "HUMAN", "steps": [ { "role": "r" } ] }
                }));
                let action = json!({});
                let e = eval_with(&p, &action, &Budget::unlimited());
                (e.matched_rule, e.exceptions)
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let (matched, exceptions) = handle.join().unwrap_or_else(|_| panic!("thread failed"));
        assert!(
            exceptions.len() + matched.iter().count() == 1,
            "{matched:?} {exceptions:?}"
        );
    }
}

#[test]
fn a_policy_stored_before_the_new_checks_still_evaluates_and_fails_closed() {
    let doc = json!({
        "rules": [
            { "name": "odd", "when": "'yes'", "route": "AUTO" },
            { "name": "deep", "when": nested_digits(3), "route": "AUTO" }
        ],
        "default": { "route": "HUMAN", "steps": [ { "role": "reviewer" } ] }
    });
    assert!(compile_policy(&parse_policy(&doc).unwrap_or_else(|e| panic!("{e:?}"))).is_err());
    let p = compile_stored_policy(&doc).unwrap_or_else(|e| panic!("{e:?}"));
    let e = eval_with(&p, &json!({}), &Budget::unlimited());
    assert_eq!(e.exceptions, vec!["rule_error:odd".to_string()]);
    assert_eq!(e.matched_rule.as_deref(), Some("deep"));
    assert_eq!(
        e.route,
        RouteKind::Human,
        "AUTO with an exception goes to people"
    );
}
