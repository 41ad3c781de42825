//! Compiling a policy document: every CEL expression is parsed, every variable it names must be
//! one the evaluator provides, durations and bounds are checked. A policy that compiles here can
//! always be evaluated.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use cel::common::ast::{CallExpr, EntryExpr, Expr, operators};
use cel::{IdedExpr, Program};
use chrono::Duration;
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use super::document::{DefaultDoc, PolicyDocument, RouteDoc, StepDoc};
use super::evaluate::{BUDGET_FUNCTION, OPTIONAL_FACTS};
use crate::domain::duration::parse_duration;

/// Variables the evaluator binds; anything else named in an expression is refused.
pub(crate) const VARIABLES: &[&str] = &[
    "action",
    "action_type",
    "amount",
    "has_amount",
    "confidence",
    "has_confidence",
    "currency",
    "has_currency",
    "risk_flags",
    "context",
    "model",
    "has_model",
    "prompt_version",
    "has_prompt_version",
    "workflow",
];

/// CEL type identifiers, usable as values (`type(x) == int`).
const TYPE_NAMES: &[&str] = &[
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
];

const MAX_RULES: usize = 200;
const MAX_STEPS: usize = 10;
const MAX_QUORUM: u32 = 50;
/// Limits on one CEL expression, checked when a policy is stored, so that no stored expression
/// can be expensive whatever it is given (docs/policy.md, "Limits").
pub(crate) const MAX_EXPRESSION_LEN: usize = 4096;
/// Nodes of the expression tree after macro expansion.
pub(crate) const MAX_NODES: usize = 1000;
/// Nesting depth of the expression tree after macro expansion.
pub(crate) const MAX_DEPTH: usize = 48;
/// Comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`) in one expression.
pub(crate) const MAX_COMPREHENSIONS: usize = 8;
/// Comprehensions nested in the body of another, counting the outer one: 2 allows
/// `a.exists(x, x.b.exists(y, …))` and nothing deeper.
pub(crate) const MAX_COMPREHENSION_NESTING: usize = 2;
/// Elements of one list or map literal.
pub(crate) const MAX_LITERAL_ELEMENTS: usize = 256;
/// Brackets — `(`, `[`, `{` — open at once in the source. The CEL parser recurses about ten
/// stack frames per bracket; without this a 40-byte `((((…` would overflow its stack.
pub(crate) const MAX_BRACKET_NESTING: usize = 16;
/// Stack the compiler and the evaluator run on (grown on demand with `stacker`): far more than
/// the limits above need, so no accepted expression can overflow it.
pub(crate) const CEL_STACK_BYTES: usize = 32 * 1024 * 1024;

/// Why a policy was refused: where (a path into the document) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyError {
    /// Path inside the document, e.g. `["rules", "0", "when"]`.
    pub path: Vec<String>,
    /// What is wrong, naming the rule and the CEL error where there is one.
    pub message: String,
}

impl PolicyError {
    fn at(path: &str, message: impl Into<String>) -> Self {
        PolicyError {
            path: path
                .split('.')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            message: message.into(),
        }
    }
}

/// One approval step, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSpec {
    /// Role whose holders may approve.
    pub role: String,
    /// Distinct approvals needed.
    pub quorum: u32,
    /// Due time after the step opens (the step's `sla`, else `escalation.after`).
    pub sla: Option<Duration>,
}

/// A compiled route.
#[derive(Debug, Clone)]
pub enum CompiledRoute {
    /// Approved at once; QA sampling settings.
    Auto {
        /// Fraction picked for QA.
        sample_rate: f64,
        /// Role that reviews the sample.
        sample_role: Option<String>,
    },
    /// Sequential steps.
    Human {
        /// The steps, in order.
        steps: Vec<StepSpec>,
    },
    /// Refused.
    Reject {
        /// Recorded reason code.
        reason_code: String,
    },
}

pub(crate) struct CompiledRule {
    pub name: String,
    pub when: IdedExpr,
    pub route: CompiledRoute,
}

pub(crate) struct CompiledValidation {
    pub name: String,
    pub check: IdedExpr,
}

/// Guardrail bounds, compiled.
#[derive(Debug, Clone)]
pub struct GuardrailBounds {
    /// Trailing window.
    pub window: Duration,
    /// Outcomes needed before checking.
    pub min_samples: u32,
    /// Error rate bound.
    pub max_error_rate: Option<f64>,
    /// Rejection rate bound.
    pub max_rejection_rate: Option<f64>,
    /// AI cost per hour bound.
    pub max_ai_cost_usd_per_hour: Option<Decimal>,
}

/// A policy ready to evaluate.
pub struct CompiledPolicy {
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) default: CompiledRoute,
    /// Steps that exception review and MANUAL_ONLY use (the default route's steps).
    pub(crate) fallback_steps: Vec<StepSpec>,
    pub(crate) validations: Vec<CompiledValidation>,
    pub(crate) duplicate_key: Option<IdedExpr>,
    /// How far back duplicates are looked for.
    pub duplicate_window: Duration,
    /// Role overdue steps escalate to.
    pub escalation_role: Option<String>,
    /// Pending requests expire this long after submission.
    pub expire_after: Option<Duration>,
    /// Guardrail bounds.
    pub guardrails: Option<GuardrailBounds>,
}

impl CompiledPolicy {
    /// The fallback (default route) steps.
    pub fn fallback_steps(&self) -> &[StepSpec] {
        &self.fallback_steps
    }
}

/// Compiled policy versions kept at most; past it the cache starts over.
const MAX_CACHED: usize = 1024;

fn cache() -> &'static Mutex<HashMap<Uuid, Arc<CompiledPolicy>>> {
    static CACHE: OnceLock<Mutex<HashMap<Uuid, Arc<CompiledPolicy>>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The compiled form of the stored policy version `id` (its `document` as stored). A version's
/// document never changes once written, so it is parsed and compiled once per process, not on
/// every action: the request path reads it from here.
pub fn compiled_version(id: Uuid, document: &str) -> Result<Arc<CompiledPolicy>, String> {
    // The map holds no invariant a panic elsewhere could break.
    let lock = || cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(policy) = lock().get(&id) {
        return Ok(Arc::clone(policy));
    }
    let value: Value = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let policy = Arc::new(compile_stored_policy(&value).map_err(|e| format!("{e:?}"))?);
    let mut cache = lock();
    if cache.len() >= MAX_CACHED {
        cache.clear();
    }
    cache.insert(id, Arc::clone(&policy));
    Ok(policy)
}

/// Parses a JSON value into a policy document (unknown keys refused, path named on error).
pub fn parse_policy(value: &Value) -> Result<PolicyDocument, PolicyError> {
    if !value.is_object() {
        return Err(PolicyError::at("", "a policy must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        PolicyError {
            path: path
                .replace('[', ".")
                .replace(']', "")
                .split('.')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            message: err.into_inner().to_string(),
        }
    })
}

/// Compiles and validates a parsed document that is about to be stored (or simulated): every
/// check, including that conditions are boolean and the cost limits.
pub fn compile_policy(doc: &PolicyDocument) -> Result<CompiledPolicy, PolicyError> {
    compile_with(doc, Checks::Store)
}

/// Compiles a document that is already stored, to evaluate it. The checks added after a policy
/// may have been stored (boolean conditions, cost limits) are not applied again, so an upgrade
/// never makes a stored policy unusable: such a rule errs at run time (`rule_error`, people
/// decide) and the evaluation's deadline bounds its cost.
pub fn compile_stored_policy(value: &Value) -> Result<CompiledPolicy, PolicyError> {
    compile_with(&parse_policy(value)?, Checks::Stored)
}

/// Which checks a compilation applies.
#[derive(Clone, Copy, PartialEq)]
enum Checks {
    /// Everything: the document is being stored or simulated.
    Store,
    /// What evaluation needs: the document was accepted when it was stored.
    Stored,
}

fn compile_with(doc: &PolicyDocument, checks: Checks) -> Result<CompiledPolicy, PolicyError> {
    if doc.rules.len() > MAX_RULES {
        return Err(PolicyError::at(
            "rules",
            format!("at most {MAX_RULES} rules"),
        ));
    }
    let escalation_after = match &doc.escalation {
        Some(esc) => {
            check_name("escalation.toRole", &esc.to_role)?;
            Some(positive_duration("escalation.after", &esc.after)?)
        }
        None => None,
    };

    let mut names = HashSet::new();
    let mut rules = Vec::with_capacity(doc.rules.len());
    let mut any_auto = doc.default.route == RouteDoc::Auto;
    for (i, rule) in doc.rules.iter().enumerate() {
        let base = format!("rules.{i}");
        check_name(&format!("{base}.name"), &rule.name)?;
        if !names.insert(rule.name.as_str()) {
            return Err(PolicyError::at(
                &format!("{base}.name"),
                format!("rule name {:?} is used twice", rule.name),
            ));
        }
        let when = compile_expr(
            &format!("{base}.when"),
            &format!("rule {:?}", rule.name),
            &rule.when,
            Want::Bool,
            checks,
        )?;
        any_auto |= rule.route == RouteDoc::Auto;
        let route = compile_route(
            &base,
            &rule.name,
            rule.route,
            rule.steps.as_deref(),
            rule.sample_rate,
            rule.sample_role.as_deref(),
            rule.reason_code.as_deref(),
            escalation_after,
        )?;
        rules.push(CompiledRule {
            name: rule.name.clone(),
            when,
            route,
        });
    }

    let DefaultDoc {
        route,
        steps,
        sample_rate,
        sample_role,
        reason_code,
    } = &doc.default;
    let fallback_steps = match steps {
        Some(steps) => compile_steps("default.steps", steps, escalation_after)?,
        None => Vec::new(),
    };
    if fallback_steps.is_empty() && any_auto {
        return Err(PolicyError::at(
            "default.steps",
            "required when any route is AUTO: exception review and MANUAL_ONLY send AUTO actions to the default steps",
        ));
    }
    // The default's own steps are only the route when it is HUMAN; for AUTO or REJECT they are the
    // fallback, so compile_route must not refuse them there.
    let default = match route {
        RouteDoc::Human => compile_route(
            "default",
            "default",
            *route,
            steps.as_deref(),
            *sample_rate,
            sample_role.as_deref(),
            reason_code.as_deref(),
            escalation_after,
        )?,
        other => compile_route(
            "default",
            "default",
            *other,
            None,
            *sample_rate,
            sample_role.as_deref(),
            reason_code.as_deref(),
            escalation_after,
        )?,
    };
    let default = match default {
        CompiledRoute::Auto {
            sample_rate,
            sample_role: None,
        } => CompiledRoute::Auto {
            sample_rate,
            sample_role: fallback_steps.first().map(|s| s.role.clone()),
        },
        other => other,
    };
    let rules = rules
        .into_iter()
        .map(|mut rule| {
            if let CompiledRoute::Auto {
                sample_role: role @ None,
                ..
            } = &mut rule.route
            {
                *role = fallback_steps.first().map(|s| s.role.clone());
            }
            rule
        })
        .collect();

    let mut validation_names = HashSet::new();
    let mut validations = Vec::with_capacity(doc.validations.len());
    for (i, v) in doc.validations.iter().enumerate() {
        let base = format!("validations.{i}");
        check_name(&format!("{base}.name"), &v.name)?;
        if !validation_names.insert(v.name.as_str()) || v.name == "duplicate" {
            return Err(PolicyError::at(
                &format!("{base}.name"),
                format!("validation name {:?} is used twice or reserved", v.name),
            ));
        }
        let check = compile_expr(
            &format!("{base}.check"),
            &format!("validation {:?}", v.name),
            &v.check,
            Want::Bool,
            checks,
        )?;
        validations.push(CompiledValidation {
            name: v.name.clone(),
            check,
        });
    }

    let duplicate_key = match &doc.duplicate_key {
        Some(expr) => Some(compile_expr(
            "duplicateKey",
            "duplicateKey",
            expr,
            Want::Any,
            checks,
        )?),
        None => None,
    };
    if doc.duplicate_window.is_some() && duplicate_key.is_none() {
        return Err(PolicyError::at(
            "duplicateWindow",
            "duplicateWindow needs duplicateKey",
        ));
    }
    let duplicate_window = match &doc.duplicate_window {
        Some(text) => positive_duration("duplicateWindow", text)?,
        None => Duration::days(30),
    };
    let expire_after = match &doc.expire_after {
        Some(text) => Some(positive_duration("expireAfter", text)?),
        None => None,
    };
    let guardrails = match &doc.guardrails {
        Some(g) => {
            let window = positive_duration("guardrails.window", &g.window)?;
            for (field, rate) in [
                ("maxErrorRate", g.max_error_rate),
                ("maxRejectionRate", g.max_rejection_rate),
            ] {
                if let Some(rate) = rate
                    && !(0.0..=1.0).contains(&rate)
                {
                    return Err(PolicyError::at(
                        &format!("guardrails.{field}"),
                        "must be between 0 and 1",
                    ));
                }
            }
            let max_cost = match &g.max_ai_cost_usd_per_hour {
                Some(text) => {
                    let d = Decimal::from_str(text).map_err(|_| {
                        PolicyError::at(
                            "guardrails.maxAiCostUsdPerHour",
                            "must be a decimal string such as \"50.00\"",
                        )
                    })?;
                    if d.is_sign_negative() {
                        return Err(PolicyError::at(
                            "guardrails.maxAiCostUsdPerHour",
                            "must not be negative",
                        ));
                    }
                    Some(d)
                }
                None => None,
            };
            Some(GuardrailBounds {
                window,
                min_samples: g.min_samples.unwrap_or(20),
                max_error_rate: g.max_error_rate,
                max_rejection_rate: g.max_rejection_rate,
                max_ai_cost_usd_per_hour: max_cost,
            })
        }
        None => None,
    };

    Ok(CompiledPolicy {
        rules,
        default,
        fallback_steps,
        validations,
        duplicate_key,
        duplicate_window,
        escalation_role: doc.escalation.as_ref().map(|e| e.to_role.clone()),
        expire_after,
        guardrails,
    })
}

#[allow(clippy::too_many_arguments)]
fn compile_route(
    base: &str,
    name: &str,
    route: RouteDoc,
    steps: Option<&[StepDoc]>,
    sample_rate: Option<f64>,
    sample_role: Option<&str>,
    reason_code: Option<&str>,
    escalation_after: Option<Duration>,
) -> Result<CompiledRoute, PolicyError> {
    if route != RouteDoc::Auto && (sample_rate.is_some() || sample_role.is_some()) {
        return Err(PolicyError::at(
            &format!("{base}.sampleRate"),
            "sampling applies to AUTO routes only",
        ));
    }
    if route != RouteDoc::Reject && reason_code.is_some() {
        return Err(PolicyError::at(
            &format!("{base}.reasonCode"),
            "reasonCode applies to REJECT routes only",
        ));
    }
    if route != RouteDoc::Human && steps.is_some() {
        return Err(PolicyError::at(
            &format!("{base}.steps"),
            "steps apply to HUMAN routes only",
        ));
    }
    Ok(match route {
        RouteDoc::Auto => {
            let rate = sample_rate.unwrap_or(0.0);
            if !(0.0..=1.0).contains(&rate) {
                return Err(PolicyError::at(
                    &format!("{base}.sampleRate"),
                    "must be between 0 and 1",
                ));
            }
            if let Some(role) = sample_role {
                check_name(&format!("{base}.sampleRole"), role)?;
            }
            CompiledRoute::Auto {
                sample_rate: rate,
                sample_role: sample_role.map(str::to_owned),
            }
        }
        RouteDoc::Human => {
            let steps = compile_steps(
                &format!("{base}.steps"),
                steps.unwrap_or_default(),
                escalation_after,
            )?;
            if steps.is_empty() {
                return Err(PolicyError::at(
                    &format!("{base}.steps"),
                    format!("{name}: a HUMAN route needs at least one step"),
                ));
            }
            CompiledRoute::Human { steps }
        }
        RouteDoc::Reject => {
            let reason_code = match reason_code {
                Some(code) => {
                    check_name(&format!("{base}.reasonCode"), code)?;
                    code.to_owned()
                }
                None => format!("policy:{name}"),
            };
            CompiledRoute::Reject { reason_code }
        }
    })
}

fn compile_steps(
    base: &str,
    steps: &[StepDoc],
    escalation_after: Option<Duration>,
) -> Result<Vec<StepSpec>, PolicyError> {
    if steps.len() > MAX_STEPS {
        return Err(PolicyError::at(base, format!("at most {MAX_STEPS} steps")));
    }
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            check_name(&format!("{base}.{i}.role"), &step.role)?;
            let quorum = step.quorum.unwrap_or(1);
            if !(1..=MAX_QUORUM).contains(&quorum) {
                return Err(PolicyError::at(
                    &format!("{base}.{i}.quorum"),
                    format!("quorum must be between 1 and {MAX_QUORUM}"),
                ));
            }
            let sla = match &step.sla {
                Some(text) => Some(positive_duration(&format!("{base}.{i}.sla"), text)?),
                None => escalation_after,
            };
            Ok(StepSpec {
                role: step.role.clone(),
                quorum,
                sla,
            })
        })
        .collect()
}

fn positive_duration(path: &str, text: &str) -> Result<Duration, PolicyError> {
    let d = parse_duration(text).map_err(|e| PolicyError::at(path, e))?;
    if d <= Duration::zero() {
        return Err(PolicyError::at(path, "must be longer than zero"));
    }
    Ok(d)
}

/// Names (rules, roles, validations, reason codes): 1–64 of `[A-Za-z0-9_.:-]`.
fn check_name(path: &str, name: &str) -> Result<(), PolicyError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(PolicyError::at(
            path,
            format!("{name:?} must be 1-64 characters of letters, digits, '_', '.', ':' or '-'"),
        ))
    }
}

/// What an expression must evaluate to.
#[derive(Clone, Copy, PartialEq)]
enum Want {
    /// A rule's `when` or a validation's `check`.
    Bool,
    /// The duplicate key (a string or an integer, checked when evaluated).
    Any,
}

fn compile_expr(
    path: &str,
    what: &str,
    source: &str,
    want: Want,
    checks: Checks,
) -> Result<IdedExpr, PolicyError> {
    // Parsing and walking the tree recurse once per level; a fresh stack segment makes that safe
    // on any thread (the async workers have 2 MiB).
    stacker::grow(CEL_STACK_BYTES, || {
        compile_expr_on_stack(path, what, source, want, checks)
    })
}

fn compile_expr_on_stack(
    path: &str,
    what: &str,
    source: &str,
    want: Want,
    checks: Checks,
) -> Result<IdedExpr, PolicyError> {
    if source.trim().is_empty() {
        return Err(PolicyError::at(
            path,
            format!("{what}: expression is empty"),
        ));
    }
    if source.len() > MAX_EXPRESSION_LEN {
        return Err(PolicyError::at(
            path,
            format!(
                "{what}: expression is {} bytes, longer than the limit of {MAX_EXPRESSION_LEN} bytes",
                source.len()
            ),
        ));
    }
    let brackets = bracket_depth(source);
    if checks == Checks::Store && brackets > MAX_BRACKET_NESTING {
        return Err(PolicyError::at(
            path,
            format!(
                "{what}: brackets nest {brackets} deep; at most {MAX_BRACKET_NESTING} (limit MAX_BRACKET_NESTING)"
            ),
        ));
    }
    let program = Program::compile(source)
        .map_err(|e| PolicyError::at(path, format!("{what}: CEL does not compile: {e}")))?;
    let mut unknown = Vec::new();
    free_identifiers(program.expression(), &mut Vec::new(), &mut unknown);
    unknown.sort();
    unknown.dedup();
    if !unknown.is_empty() {
        return Err(PolicyError::at(
            path,
            format!(
                "{what}: unknown variable(s) {}; known: {}",
                unknown.join(", "),
                VARIABLES.join(", ")
            ),
        ));
    }
    if checks == Checks::Stored {
        return Ok(instrument(program.expression()));
    }
    let mut shape = Shape::default();
    shape.measure(program.expression(), 1, 0);
    if let Some(limit) = shape.exceeded() {
        return Err(PolicyError::at(path, format!("{what}: {limit}")));
    }
    if want == Want::Bool {
        let facts: Vec<String> = OPTIONAL_FACTS
            .iter()
            .map(|(_, h)| (*h).to_owned())
            .collect();
        if !shown_bool(program.expression(), &facts) {
            return Err(PolicyError::at(
                path,
                format!(
                    "{what}: the expression must be a condition (true or false), such as a \
                     comparison (amount < 50.0), a test with has(...), 'x' in risk_flags, \
                     all/exists/exists_one, startsWith/endsWith/contains/matches, or such \
                     conditions joined with &&, || and !; got {source:?}"
                ),
            ));
        }
    }
    Ok(instrument(program.expression()))
}

/// The deepest nesting of `(`, `[` and `{` in `source`, outside quoted strings. Over-counting
/// (an unusual string form read as code) can only refuse, never let through.
fn bracket_depth(source: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in source.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The size figures of an expression tree, against the limits.
#[derive(Default)]
struct Shape {
    nodes: usize,
    depth: usize,
    comprehensions: usize,
    nesting: usize,
    widest_literal: usize,
}

impl Shape {
    /// Walks `expr` at tree depth `depth`, inside `nesting` comprehension bodies.
    fn measure(&mut self, expr: &IdedExpr, depth: usize, nesting: usize) {
        self.nodes += 1;
        self.depth = self.depth.max(depth);
        if self.nodes > MAX_NODES || self.depth > MAX_DEPTH {
            return;
        }
        let d = depth + 1;
        match &expr.expr {
            Expr::Call(call) => {
                if let Some(target) = &call.target {
                    self.measure(target, d, nesting);
                }
                for arg in &call.args {
                    self.measure(arg, d, nesting);
                }
            }
            Expr::Comprehension(comp) => {
                self.comprehensions += 1;
                let inner = nesting + 1;
                self.nesting = self.nesting.max(inner);
                // The range, the initial value and the result are evaluated once; the condition
                // and the step once per element.
                self.measure(&comp.iter_range, d, nesting);
                self.measure(&comp.accu_init, d, nesting);
                self.measure(&comp.loop_cond, d, inner);
                self.measure(&comp.loop_step, d, inner);
                self.measure(&comp.result, d, nesting);
            }
            Expr::List(list) => {
                self.widest_literal = self.widest_literal.max(list.elements.len());
                for e in &list.elements {
                    self.measure(e, d, nesting);
                }
            }
            Expr::Map(map) => {
                self.widest_literal = self.widest_literal.max(map.entries.len());
                for entry in &map.entries {
                    self.measure_entry(&entry.expr, d, nesting);
                }
            }
            Expr::Struct(st) => {
                self.widest_literal = self.widest_literal.max(st.entries.len());
                for entry in &st.entries {
                    self.measure_entry(&entry.expr, d, nesting);
                }
            }
            Expr::Select(select) => self.measure(&select.operand, d, nesting),
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }

    fn measure_entry(&mut self, entry: &EntryExpr, depth: usize, nesting: usize) {
        match entry {
            EntryExpr::StructField(field) => self.measure(&field.value, depth, nesting),
            EntryExpr::MapEntry(e) => {
                self.measure(&e.key, depth, nesting);
                self.measure(&e.value, depth, nesting);
            }
        }
    }

    /// The first limit exceeded, described for the person who wrote the expression.
    fn exceeded(&self) -> Option<String> {
        if self.nodes > MAX_NODES {
            return Some(format!(
                "expression is too large: more than {MAX_NODES} nodes once expanded (limit MAX_NODES)"
            ));
        }
        if self.depth > MAX_DEPTH {
            return Some(format!(
                "expression nests deeper than {MAX_DEPTH} levels once expanded (limit MAX_DEPTH)"
            ));
        }
        if self.comprehensions > MAX_COMPREHENSIONS {
            return Some(format!(
                "expression has {} comprehensions (all, exists, exists_one, map, filter); at most \
                 {MAX_COMPREHENSIONS} (limit MAX_COMPREHENSIONS)",
                self.comprehensions
            ));
        }
        if self.nesting > MAX_COMPREHENSION_NESTING {
            return Some(format!(
                "comprehensions (all, exists, exists_one, map, filter) nest {} deep; at most \
                 {MAX_COMPREHENSION_NESTING} (limit MAX_COMPREHENSION_NESTING)",
                self.nesting
            ));
        }
        if self.widest_literal > MAX_LITERAL_ELEMENTS {
            return Some(format!(
                "a list or map literal has {} elements; at most {MAX_LITERAL_ELEMENTS} \
                 (limit MAX_LITERAL_ELEMENTS)",
                self.widest_literal
            ));
        }
        None
    }
}

/// Functions of the standard library that return a bool whatever they are given (or fail).
const BOOL_FUNCTIONS: &[&str] = &[
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "bool",
    operators::NOT_STRICTLY_FALSE,
];

/// Operators whose result is a bool whatever their operands are (or that fail).
const BOOL_OPERATORS: &[&str] = &[
    operators::EQUALS,
    operators::NOT_EQUALS,
    operators::LESS,
    operators::LESS_EQUALS,
    operators::GREATER,
    operators::GREATER_EQUALS,
    operators::IN,
];

/// True when `expr` can only evaluate to a bool (or fail): its shape proves it, whatever the
/// facts are. `bools` are the identifiers known to hold a bool (the `has_<fact>` variables and
/// the accumulators of `all`/`exists`). Anything else is not shown to be boolean, e.g. a bare
/// field `action.urgent` (write `action.urgent == true`), arithmetic or a string.
fn shown_bool(expr: &IdedExpr, bools: &[String]) -> bool {
    match &expr.expr {
        Expr::Literal(cel::common::ast::LiteralValue::Boolean(_)) => true,
        Expr::Ident(name) => bools.iter().any(|b| b == name),
        Expr::Select(select) => select.test,
        Expr::Call(call) => {
            let name = call.func_name.as_str();
            if BOOL_OPERATORS.contains(&name) || BOOL_FUNCTIONS.contains(&name) {
                return true;
            }
            match (name, call.args.as_slice()) {
                (operators::LOGICAL_AND | operators::LOGICAL_OR, [a, b]) => {
                    shown_bool(a, bools) && shown_bool(b, bools)
                }
                (operators::LOGICAL_NOT, [a]) => shown_bool(a, bools),
                (operators::CONDITIONAL, [_, a, b]) => shown_bool(a, bools) && shown_bool(b, bools),
                _ => false,
            }
        }
        Expr::Comprehension(comp) => {
            // Inside the loop the iteration variables hide any outer name they reuse.
            let hidden =
                |name: &String| *name == comp.iter_var || comp.iter_var2.as_ref() == Some(name);
            let mut inner: Vec<String> = bools.iter().filter(|b| !hidden(b)).cloned().collect();
            inner.push(comp.accu_var.clone());
            let accu_bool =
                shown_bool(&comp.accu_init, bools) && shown_bool(&comp.loop_step, &inner);
            let mut after: Vec<String> = bools.iter().filter(|b| !hidden(b)).cloned().collect();
            if accu_bool {
                after.push(comp.accu_var.clone());
            } else {
                after.retain(|b| *b != comp.accu_var);
            }
            shown_bool(&comp.result, &after)
        }
        _ => false,
    }
}

/// A copy of `expr` in which every comprehension checks the evaluation's budget once per
/// element: the loop condition becomes `@countersign_budget(condition)`, or, for the `map` and
/// `filter` shapes the interpreter runs in place (`@result + [e]`, `g ? @result + [e] : @result`),
/// the appended element or the guard is wrapped instead so that shape is kept.
fn instrument(expr: &IdedExpr) -> IdedExpr {
    let mut out = expr.clone();
    instrument_in_place(&mut out);
    out
}

fn budget_call(inner: IdedExpr) -> IdedExpr {
    IdedExpr {
        id: inner.id,
        expr: Expr::Call(CallExpr {
            func_name: BUDGET_FUNCTION.to_owned(),
            target: None,
            args: vec![inner],
        }),
    }
}

fn wrap(slot: &mut IdedExpr) {
    let inner = std::mem::take(slot);
    *slot = budget_call(inner);
}

fn instrument_in_place(expr: &mut IdedExpr) {
    match &mut expr.expr {
        Expr::Call(call) => {
            if let Some(target) = &mut call.target {
                instrument_in_place(target);
            }
            for arg in &mut call.args {
                instrument_in_place(arg);
            }
        }
        Expr::Comprehension(comp) => {
            instrument_in_place(&mut comp.iter_range);
            instrument_in_place(&mut comp.accu_init);
            instrument_in_place(&mut comp.loop_cond);
            instrument_in_place(&mut comp.loop_step);
            instrument_in_place(&mut comp.result);
            let accu = comp.accu_var.clone();
            if !matches!(comp.loop_cond.expr, Expr::Literal(_))
                || !wrap_append_step(&mut comp.loop_step, &accu)
            {
                wrap(&mut comp.loop_cond);
            }
        }
        Expr::List(list) => {
            for e in &mut list.elements {
                instrument_in_place(e);
            }
        }
        Expr::Map(map) => {
            for entry in &mut map.entries {
                instrument_entry(&mut entry.expr);
            }
        }
        Expr::Struct(st) => {
            for entry in &mut st.entries {
                instrument_entry(&mut entry.expr);
            }
        }
        Expr::Select(select) => instrument_in_place(&mut select.operand),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

fn instrument_entry(entry: &mut EntryExpr) {
    match entry {
        EntryExpr::StructField(field) => instrument_in_place(&mut field.value),
        EntryExpr::MapEntry(e) => {
            instrument_in_place(&mut e.key);
            instrument_in_place(&mut e.value);
        }
    }
}

/// Wraps the budget check into a `map`/`filter` step (`accu + [e]` or `g ? accu + [e] : accu`);
/// false when the step has another shape.
fn wrap_append_step(step: &mut IdedExpr, accu: &str) -> bool {
    let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(n) if n == accu);
    let Expr::Call(call) = &mut step.expr else {
        return false;
    };
    if call.target.is_some() {
        return false;
    }
    match (call.func_name.as_str(), call.args.as_mut_slice()) {
        (operators::ADD, [lhs, rhs]) if is_accu(lhs) => match &mut rhs.expr {
            Expr::List(list) if !list.elements.is_empty() => {
                list.elements.iter_mut().for_each(wrap);
                true
            }
            _ => false,
        },
        (operators::CONDITIONAL, [guard, then, otherwise]) if is_accu(otherwise) => {
            let appends = matches!(&then.expr, Expr::Call(c) if c.func_name == operators::ADD
                && c.target.is_none()
                && matches!(c.args.as_slice(), [l, r] if is_accu(l) && matches!(r.expr, Expr::List(_))));
            if appends {
                wrap(guard);
            }
            appends
        }
        _ => false,
    }
}

/// Collects identifiers that are neither known variables, type names, nor bound by an enclosing
/// comprehension (`risk_flags.exists(f, f == 'x')` binds `f`).
fn free_identifiers(expr: &IdedExpr, bound: &mut Vec<String>, unknown: &mut Vec<String>) {
    match &expr.expr {
        Expr::Ident(name) => {
            let known = name.starts_with('@')
                || VARIABLES.contains(&name.as_str())
                || TYPE_NAMES.contains(&name.as_str())
                || bound.iter().any(|b| b == name);
            if !known {
                unknown.push(name.clone());
            }
        }
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                free_identifiers(target, bound, unknown);
            }
            for arg in &call.args {
                free_identifiers(arg, bound, unknown);
            }
        }
        Expr::Comprehension(comp) => {
            free_identifiers(&comp.iter_range, bound, unknown);
            let depth = bound.len();
            bound.push(comp.iter_var.clone());
            if let Some(v2) = &comp.iter_var2 {
                bound.push(v2.clone());
            }
            bound.push(comp.accu_var.clone());
            free_identifiers(&comp.accu_init, bound, unknown);
            free_identifiers(&comp.loop_cond, bound, unknown);
            free_identifiers(&comp.loop_step, bound, unknown);
            free_identifiers(&comp.result, bound, unknown);
            bound.truncate(depth);
        }
        Expr::List(list) => {
            for e in &list.elements {
                free_identifiers(e, bound, unknown);
            }
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                match &entry.expr {
                    EntryExpr::StructField(field) => free_identifiers(&field.value, bound, unknown),
                    EntryExpr::MapEntry(e) => {
                        free_identifiers(&e.key, bound, unknown);
                        free_identifiers(&e.value, bound, unknown);
                    }
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                match &entry.expr {
                    EntryExpr::StructField(field) => free_identifiers(&field.value, bound, unknown),
                    EntryExpr::MapEntry(e) => {
                        free_identifiers(&e.key, bound, unknown);
                        free_identifiers(&e.value, bound, unknown);
                    }
                }
            }
        }
        Expr::Select(select) => free_identifiers(&select.operand, bound, unknown),
        Expr::Literal(_) | Expr::Unspecified => {}
    }
}
