//! Policy documents: parse, compile (CEL via the `cel` crate, with limits that bound its cost) and
//! evaluate. Parsing, compiling and evaluating are pure functions with no storage, so the same code
//! routes live submissions, dry runs and backtests; `runtime` runs them off the async threads.

mod compile;
mod document;
mod evaluate;
mod runtime;

pub use compile::{
    CompiledPolicy, CompiledRoute, GuardrailBounds, PolicyError, StepSpec, compile_policy,
    compile_stored_policy, compiled_version, parse_policy,
};
pub use document::PolicyDocument;
pub use evaluate::{ActionFacts, Budget, Evaluation, RouteKind, sample_pick};
pub use runtime::{Evaluator, OwnedFacts, evaluate_off_thread, off_thread};

#[cfg(test)]
mod tests;
