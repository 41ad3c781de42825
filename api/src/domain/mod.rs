//! Domain services: plain Rust inputs and results, no GraphQL types. The same functions serve the
//! GraphQL resolvers, the CLI and the tests.

pub mod analytics;
pub mod audit;
pub mod duration;
pub mod event_webhooks;
pub mod execution;
pub mod guardrails;
pub mod intake;
pub mod keys;
pub mod lifecycle;
pub mod links;
pub mod notifications;
pub mod policies;
pub mod policy;
pub mod queue;
pub mod request_view;
pub mod requests;
pub mod reviewers;
pub mod sampling;
pub mod simulation;
pub mod timeouts;
pub mod waiting;
pub mod workflows;
