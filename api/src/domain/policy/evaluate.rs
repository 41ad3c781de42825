//! Evaluating a compiled policy for one action: validations, duplicate key, rules in order, then
//! the safety overrides (docs/policy.md). Synchronous and CPU-bound: the server runs it off the
//! async threads with a [`Budget`] (see `runtime.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use cel::objects::{Key, Map};
use cel::parser::Expression;
use cel::{Context, Env, ExecutionError, Value as CelValue};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::compile::{CEL_STACK_BYTES, CompiledPolicy, CompiledRoute, StepSpec};

/// What the policy sees of a submitted action.
#[derive(Debug, Clone, Copy)]
pub struct ActionFacts<'a> {
    /// Workflow key.
    pub workflow: &'a str,
    /// `actionType`.
    pub action_type: &'a str,
    /// The proposed action (a JSON object).
    pub action: &'a Value,
    /// Money at stake.
    pub amount: Option<Decimal>,
    /// The AI's confidence, 0..1.
    pub confidence: Option<f64>,
    /// ISO 4217 currency.
    pub currency: Option<&'a str>,
    /// Risk flags.
    pub risk_flags: &'a [String],
    /// Context map.
    pub context: Option<&'a Value>,
    /// Model name.
    pub model: Option<&'a str>,
    /// Prompt version.
    pub prompt_version: Option<&'a str>,
}

/// The route a policy chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// Approved at once.
    Auto,
    /// Sequential steps.
    Human,
    /// Refused.
    Reject,
}

/// The outcome of evaluating a policy for one action.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The final route, after safety overrides.
    pub route: RouteKind,
    /// Name of the rule that matched; `None` when the default applied.
    pub matched_rule: Option<String>,
    /// Steps for HUMAN.
    pub steps: Vec<StepSpec>,
    /// Failed validations, `rule_error:<name>`, `duplicate`, ….
    pub exceptions: Vec<String>,
    /// Reason code for REJECT.
    pub reason_code: Option<String>,
    /// QA sampling rate for AUTO.
    pub sample_rate: f64,
    /// QA reviewer role for AUTO.
    pub sample_role: Option<String>,
    /// The evaluated duplicate key, if the policy has one.
    pub duplicate_key: Option<String>,
    /// Why the routed-to AUTO became HUMAN (`exception_review` or `manual_only`), if it did.
    pub override_reason: Option<String>,
}

impl CompiledPolicy {
    /// Runs validations, the duplicate key and the rules without a time limit (tests and tools);
    /// the server uses [`CompiledPolicy::evaluate_within`].
    pub fn evaluate(&self, facts: &ActionFacts<'_>) -> Evaluation {
        self.evaluate_within(facts, &Budget::unlimited())
    }

    /// Runs validations, the duplicate key and the rules within `budget`; no overrides yet (the
    /// caller may still add a `duplicate` exception, then calls
    /// [`CompiledPolicy::apply_overrides`]).
    ///
    /// A failing expression adds its exception and evaluation goes on (a rule that errs does not
    /// match). Once the budget is spent (deadline passed or cancelled), the expression that was
    /// running is recorded as `rule_error:<name>`, nothing further is evaluated, and the default
    /// route applies; the overrides then send an AUTO default to people.
    pub fn evaluate_within(&self, facts: &ActionFacts<'_>, budget: &Arc<Budget>) -> Evaluation {
        let ctx = context_for(facts, budget);
        let mut exceptions = Vec::new();
        let mut over_budget = false;
        for v in &self.validations {
            match run(&v.check, &ctx, budget) {
                Ok(CelValue::Bool(true)) => {}
                Ok(_) | Err(Failure::Error) => exceptions.push(v.name.clone()),
                Err(Failure::OverBudget) => {
                    exceptions.push(format!("rule_error:{}", v.name));
                    over_budget = true;
                    break;
                }
            }
        }
        let mut duplicate_key = None;
        if !over_budget && let Some(expr) = &self.duplicate_key {
            match run(expr, &ctx, budget) {
                Ok(CelValue::String(s)) => duplicate_key = Some(s.to_string()),
                Ok(CelValue::Int(i)) => duplicate_key = Some(i.to_string()),
                Ok(CelValue::UInt(u)) => duplicate_key = Some(u.to_string()),
                Ok(_) | Err(Failure::Error) => {
                    exceptions.push("rule_error:duplicateKey".to_owned());
                }
                Err(Failure::OverBudget) => {
                    exceptions.push("rule_error:duplicateKey".to_owned());
                    over_budget = true;
                }
            }
        }

        let mut chosen: Option<(&str, &CompiledRoute)> = None;
        if !over_budget {
            for rule in &self.rules {
                match run(&rule.when, &ctx, budget) {
                    Ok(CelValue::Bool(true)) => {
                        chosen = Some((rule.name.as_str(), &rule.route));
                        break;
                    }
                    Ok(CelValue::Bool(false)) => {}
                    Ok(_) | Err(Failure::Error) => {
                        exceptions.push(format!("rule_error:{}", rule.name));
                    }
                    Err(Failure::OverBudget) => {
                        exceptions.push(format!("rule_error:{}", rule.name));
                        break;
                    }
                }
            }
        }
        let (matched_rule, route) = match chosen {
            Some((name, route)) => (Some(name.to_owned()), route),
            None => (None, &self.default),
        };
        let mut eval = Evaluation {
            route: RouteKind::Auto,
            matched_rule,
            steps: Vec::new(),
            exceptions,
            reason_code: None,
            sample_rate: 0.0,
            sample_role: None,
            duplicate_key,
            override_reason: None,
        };
        match route {
            CompiledRoute::Auto {
                sample_rate,
                sample_role,
            } => {
                eval.sample_rate = *sample_rate;
                eval.sample_role = sample_role.clone();
            }
            CompiledRoute::Human { steps } => {
                eval.route = RouteKind::Human;
                eval.steps = steps.clone();
            }
            CompiledRoute::Reject { reason_code } => {
                eval.route = RouteKind::Reject;
                eval.reason_code = Some(reason_code.clone());
            }
        }
        eval
    }

    /// Safety overrides (policy.md step 5): AUTO with any exception, or any AUTO while the workflow
    /// is MANUAL_ONLY, goes to the default steps instead. REJECT stays REJECT.
    pub fn apply_overrides(&self, eval: &mut Evaluation, manual_only: bool) {
        if eval.route != RouteKind::Auto {
            return;
        }
        let reason = if !eval.exceptions.is_empty() {
            "exception_review"
        } else if manual_only {
            "manual_only"
        } else {
            return;
        };
        eval.route = RouteKind::Human;
        eval.steps = self.fallback_steps.clone();
        eval.sample_rate = 0.0;
        eval.sample_role = None;
        eval.override_reason = Some(reason.to_owned());
    }
}

/// Deterministic QA pick (policy.md step 6): the first 8 bytes of SHA-256 over the request id's
/// lowercase hyphenated text, big-endian, divided by 2^64, below `rate`.
pub fn sample_pick(request_id: Uuid, rate: f64) -> bool {
    if rate <= 0.0 {
        return false;
    }
    let digest = Sha256::digest(request_id.hyphenated().to_string().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let fraction = u64::from_be_bytes(first) as f64 / 18_446_744_073_709_551_616.0;
    fraction < rate
}

/// Why an expression gave no value.
enum Failure {
    /// The expression failed (an absent fact, a missing field, a type error, …).
    Error,
    /// The evaluation's budget ran out before or while it ran.
    OverBudget,
}

fn run(expr: &Expression, ctx: &Context<'_, '_>, budget: &Budget) -> Result<CelValue, Failure> {
    if budget.spent() {
        return Err(Failure::OverBudget);
    }
    // The interpreter recurses once per tree level (at most MAX_DEPTH, compile.rs).
    let result = stacker::maybe_grow(256 * 1024, CEL_STACK_BYTES, || ctx.resolve(expr));
    // A comprehension cut short by the budget may still have produced a value (an error inside
    // `&&` or `||` can be absorbed): once the budget tripped, no value of this run counts.
    if budget.tripped() {
        return Err(Failure::OverBudget);
    }
    result.map_err(|_| Failure::Error)
}

/// How long one evaluation may run, and whether its caller still wants the answer.
///
/// Checked before every expression and, inside an expression, on every iteration of every
/// comprehension (the compiler inserts the check, see `compile.rs`), so work over budget stops
/// within one iteration.
#[derive(Debug)]
pub struct Budget {
    deadline: Option<Instant>,
    cancel: Arc<AtomicBool>,
    tripped: AtomicBool,
}

impl Budget {
    /// No deadline and no cancellation.
    pub fn unlimited() -> Arc<Budget> {
        Arc::new(Budget {
            deadline: None,
            cancel: Arc::new(AtomicBool::new(false)),
            tripped: AtomicBool::new(false),
        })
    }

    /// Ends `timeout` from now, or as soon as `cancel` is set.
    pub fn new(timeout: Duration, cancel: Arc<AtomicBool>) -> Arc<Budget> {
        Arc::new(Budget {
            deadline: Instant::now().checked_add(timeout),
            cancel,
            tripped: AtomicBool::new(false),
        })
    }

    /// True (and remembered) once the deadline passed or the caller cancelled.
    pub fn spent(&self) -> bool {
        if self.tripped.load(Ordering::Relaxed) {
            return true;
        }
        let spent = self.cancel.load(Ordering::Relaxed)
            || self.deadline.is_some_and(|d| Instant::now() >= d);
        if spent {
            self.tripped.store(true, Ordering::Relaxed);
        }
        spent
    }

    fn tripped(&self) -> bool {
        self.tripped.load(Ordering::Relaxed)
    }
}

/// Name of the budget check the compiler wraps around every comprehension's loop condition; a
/// leading `@` cannot be written in CEL source, so no policy can call or shadow it.
pub(crate) const BUDGET_FUNCTION: &str = "@countersign_budget";

/// Facts a policy reads; each is bound only when the action gave it, so reading an absent fact
/// is an error (fail closed) and `has_<fact>` says whether it is there.
pub(crate) const OPTIONAL_FACTS: &[(&str, &str)] = &[
    ("amount", "has_amount"),
    ("confidence", "has_confidence"),
    ("currency", "has_currency"),
    ("model", "has_model"),
    ("prompt_version", "has_prompt_version"),
];

fn context_for<'a>(facts: &ActionFacts<'_>, budget: &Arc<Budget>) -> Context<'a, 'a> {
    // Building the standard environment is not free; one shared copy serves every evaluation.
    static STDLIB: OnceLock<Arc<Env>> = OnceLock::new();
    let env = STDLIB.get_or_init(|| Arc::new(Env::stdlib())).clone();
    let mut ctx = Context::with_env(env);
    let budget = Arc::clone(budget);
    // The name is ours alone (see BUDGET_FUNCTION) and the stdlib declares no such overload.
    let _ = ctx.add_function(
        BUDGET_FUNCTION,
        move |value: CelValue| -> Result<CelValue, ExecutionError> {
            if budget.spent() {
                Err(ExecutionError::function_error(
                    "budget",
                    "policy evaluation ran out of time",
                ))
            } else {
                Ok(value)
            }
        },
    );
    ctx.add_variable_from_value("action", json_to_cel(facts.action));
    ctx.add_variable_from_value("action_type", facts.action_type.to_owned());
    // Absent facts stay unbound: a rule reading one fails ("undeclared reference") instead of
    // seeing a made-up 0 or ''.
    let optional: [(&str, Option<CelValue>); 5] = [
        ("amount", facts.amount.map(decimal_to_cel)),
        ("confidence", facts.confidence.map(CelValue::Float)),
        (
            "currency",
            facts.currency.map(|c| CelValue::from(c.to_owned())),
        ),
        ("model", facts.model.map(|m| CelValue::from(m.to_owned()))),
        (
            "prompt_version",
            facts.prompt_version.map(|p| CelValue::from(p.to_owned())),
        ),
    ];
    for ((name, value), (_, has)) in optional.into_iter().zip(OPTIONAL_FACTS) {
        ctx.add_variable_from_value(*has, CelValue::Bool(value.is_some()));
        if let Some(value) = value {
            ctx.add_variable_from_value(name, value);
        }
    }
    ctx.add_variable_from_value(
        "risk_flags",
        CelValue::List(Arc::new(
            facts
                .risk_flags
                .iter()
                .map(|f| CelValue::from(f.clone()))
                .collect(),
        )),
    );
    let context = facts.context.map(json_to_cel).unwrap_or_else(|| {
        CelValue::Map(Map {
            map: Arc::new(HashMap::new()),
        })
    });
    ctx.add_variable_from_value("context", context);
    ctx.add_variable_from_value("workflow", facts.workflow.to_owned());
    ctx
}

/// Money as CEL sees it: a double (CEL has no decimal type). Amounts are refused above 10^15
/// with at most 8 decimals, so comparisons against thresholds written in the policy are exact
/// enough; the stored amount itself stays an exact decimal.
fn decimal_to_cel(amount: Decimal) -> CelValue {
    match amount.to_f64() {
        Some(f) => CelValue::Float(f),
        None => CelValue::Null,
    }
}

/// JSON → CEL: integers stay `int` (so `action.qty > 3` works), other numbers are `double`.
fn json_to_cel(value: &Value) -> CelValue {
    match value {
        Value::Null => CelValue::Null,
        Value::Bool(b) => CelValue::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => CelValue::Int(i),
            (None, Some(u), _) => CelValue::UInt(u),
            (_, _, Some(f)) => CelValue::Float(f),
            _ => CelValue::Null,
        },
        Value::String(s) => CelValue::String(Arc::new(s.clone())),
        Value::Array(items) => CelValue::List(Arc::new(items.iter().map(json_to_cel).collect())),
        Value::Object(map) => CelValue::Map(Map {
            map: Arc::new(
                map.iter()
                    .map(|(k, v)| (Key::String(Arc::new(k.clone())), json_to_cel(v)))
                    .collect(),
            ),
        }),
    }
}
