//! Background work inside the server process: the scheduler that escalates overdue steps and
//! expires old requests, the outbox worker that delivers approved actions to webhooks, and the
//! notification worker that tells reviewers (email). Jobs
//! claim rows with `SKIP LOCKED`, so every replica may run them.

pub mod notifications;
pub mod notify;
pub mod outbox;
pub mod scheduler;

pub use outbox::{OutboxConfig, spawn_outbox};
pub use scheduler::spawn_scheduler;

/// A background task that is stopped when this handle is dropped, so a server that stops (or is
/// dropped half-way, as in tests) never leaves its jobs running on its own.
#[derive(Debug)]
pub struct JobHandle(tokio::task::JoinHandle<()>);

impl JobHandle {
    /// Takes charge of `handle`.
    pub fn new(handle: tokio::task::JoinHandle<()>) -> Self {
        JobHandle(handle)
    }

    /// Stops the task (at its next await point).
    pub fn abort(self) {
        self.0.abort();
    }
}

impl Drop for JobHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}
