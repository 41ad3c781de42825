//! Evaluating a compiled policy for one action: validations, duplicate key, rules in order, then
//! the safety overrides of policy.md. Pure and synchronous.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cel::objects::{Key, Map};
use cel::{Context, Env, Program, Value as CelValue};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::compile::{CompiledPolicy, CompiledRoute, StepSpec};

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
    /// Runs validations, the duplicate key and the rules; no overrides yet (the caller may still
    /// add a `duplicate` exception, then calls [`CompiledPolicy::apply_overrides`]).
    pub fn evaluate(&self, facts: &ActionFacts<'_>) -> Evaluation {
        let ctx = context_for(facts);
        let mut exceptions = Vec::new();
        for v in &self.validations {
            if run_bool(&v.check, &ctx) != Some(true) {
                exceptions.push(v.name.clone());
            }
        }
        let duplicate_key = self
            .duplicate_key
            .as_ref()
            .and_then(|p| match p.execute(&ctx) {
                Ok(CelValue::String(s)) => Some(s.to_string()),
                Ok(CelValue::Int(i)) => Some(i.to_string()),
                Ok(CelValue::UInt(u)) => Some(u.to_string()),
                _ => {
                    exceptions.push("rule_error:duplicateKey".to_owned());
                    None
                }
            });

        let mut chosen: Option<(&str, &CompiledRoute)> = None;
        for rule in &self.rules {
            match run_bool(&rule.when, &ctx) {
                Some(true) => {
                    chosen = Some((rule.name.as_str(), &rule.route));
                    break;
                }
                Some(false) => {}
                None => exceptions.push(format!("rule_error:{}", rule.name)),
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

fn run_bool(program: &Program, ctx: &Context<'_, '_>) -> Option<bool> {
    match program.execute(ctx) {
        Ok(CelValue::Bool(b)) => Some(b),
        _ => None,
    }
}

fn context_for<'a>(facts: &ActionFacts<'_>) -> Context<'a, 'a> {
    // Building the standard environment is not free; one shared copy serves every evaluation.
    static STDLIB: OnceLock<Arc<Env>> = OnceLock::new();
    let env = STDLIB.get_or_init(|| Arc::new(Env::stdlib())).clone();
    let mut ctx = Context::with_env(env);
    ctx.add_variable_from_value("action", json_to_cel(facts.action));
    ctx.add_variable_from_value("action_type", facts.action_type.to_owned());
    ctx.add_variable_from_value(
        "amount",
        CelValue::Float(facts.amount.and_then(|a| a.to_f64()).unwrap_or(0.0)),
    );
    ctx.add_variable_from_value("has_amount", CelValue::Bool(facts.amount.is_some()));
    ctx.add_variable_from_value(
        "confidence",
        CelValue::Float(facts.confidence.unwrap_or(0.0)),
    );
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
    ctx.add_variable_from_value("model", facts.model.unwrap_or_default().to_owned());
    ctx.add_variable_from_value(
        "prompt_version",
        facts.prompt_version.unwrap_or_default().to_owned(),
    );
    ctx.add_variable_from_value("workflow", facts.workflow.to_owned());
    ctx
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
