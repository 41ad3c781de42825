//! Policy documents: parse, compile (CEL via the `cel` crate) and evaluate. Pure functions with no
//! storage, so the same code routes live submissions, dry runs and backtests.

mod compile;
mod document;
mod evaluate;

pub use compile::{
    CompiledPolicy, CompiledRoute, GuardrailBounds, PolicyError, StepSpec, compile_policy,
    parse_policy,
};
pub use document::PolicyDocument;
pub use evaluate::{ActionFacts, Evaluation, RouteKind, sample_pick};

#[cfg(test)]
mod tests;
