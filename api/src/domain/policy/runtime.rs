//! Where policy evaluation runs: on tokio's blocking threads, a bounded number at a time, never on
//! the async workers that answer requests and `/healthz`. Each evaluation has a deadline, and
//! dropping the waiting future (the client went away) cancels the work in progress.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::compile::CompiledPolicy;
use super::evaluate::{ActionFacts, Budget, Evaluation};
use crate::compute::ComputeSlots;
use crate::error::{AppError, AppResult};

/// Where and for how long policies are evaluated: a pool of slots (evaluations running at once
/// on this replica; more wait) and the deadline of one evaluation. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Evaluator {
    slots: ComputeSlots,
    timeout: Duration,
}

impl Evaluator {
    /// `concurrency` evaluations at once (0: one per core, at least two), each within `timeout`.
    pub fn new(concurrency: usize, timeout: Duration) -> Self {
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .max(2)
        } else {
            concurrency
        };
        Evaluator {
            slots: ComputeSlots::new("policy", concurrency),
            timeout,
        }
    }

    /// The pool evaluations run in.
    pub fn slots(&self) -> &ComputeSlots {
        &self.slots
    }

    /// The deadline of one evaluation.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// The facts of one action, owned so they can move to another thread.
#[derive(Debug, Clone)]
pub struct OwnedFacts {
    /// Workflow key.
    pub workflow: String,
    /// `actionType`.
    pub action_type: String,
    /// The proposed action.
    pub action: Value,
    /// Money at stake.
    pub amount: Option<rust_decimal::Decimal>,
    /// The AI's confidence.
    pub confidence: Option<f64>,
    /// ISO 4217 currency.
    pub currency: Option<String>,
    /// Risk flags.
    pub risk_flags: Vec<String>,
    /// Context map.
    pub context: Option<Value>,
    /// Model name.
    pub model: Option<String>,
    /// Prompt version.
    pub prompt_version: Option<String>,
}

impl OwnedFacts {
    /// Borrowed view for the evaluator.
    pub fn facts(&self) -> ActionFacts<'_> {
        ActionFacts {
            workflow: &self.workflow,
            action_type: &self.action_type,
            action: &self.action,
            amount: self.amount,
            confidence: self.confidence,
            currency: self.currency.as_deref(),
            risk_flags: &self.risk_flags,
            context: self.context.as_ref(),
            model: self.model.as_deref(),
            prompt_version: self.prompt_version.as_deref(),
        }
    }
}

/// Sets the flag when dropped: the future awaiting the work was dropped (or finished).
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `work` on a blocking thread once one of `evaluator`'s slots is free and waits for it. `work` gets the
/// cancellation flag to build its [`Budget`]s from; the flag is set if this future is dropped
/// before the work ends, so an abandoned request stops within one comprehension iteration.
pub async fn off_thread<T, F>(evaluator: &Evaluator, work: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(Arc<AtomicBool>) -> T + Send + 'static,
{
    let permit = evaluator.slots.acquire().await?;
    let cancel = Arc::new(AtomicBool::new(false));
    let _guard = CancelOnDrop(Arc::clone(&cancel));
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work(cancel)
    })
    .await
    .map_err(AppError::internal)
}

/// Evaluates `policy` for one action off the async threads within the evaluator's deadline; gives
/// the policy back for the duplicate lookup and the overrides.
pub async fn evaluate_off_thread(
    evaluator: &Evaluator,
    policy: Arc<CompiledPolicy>,
    facts: OwnedFacts,
) -> AppResult<(Arc<CompiledPolicy>, Evaluation)> {
    let timeout = evaluator.timeout;
    off_thread(evaluator, move |cancel| {
        let budget = Budget::new(timeout, cancel);
        let eval = policy.evaluate_within(&facts.facts(), &budget);
        (policy, eval)
    })
    .await
}
