//! End-to-end tests through the real server: every scenario runs on SQLite and, when
//! `TEST_DATABASE_URL` is set, on its own fresh PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod agents;
mod analytics;
mod audit;
mod auth;
mod common;
mod compute;
mod console;
mod event_webhooks;
mod execution;
mod exports;
mod governance;
mod http;
mod isolation;
mod jwks;
mod lifecycle;
mod limits;
mod mcp;
mod modes;
mod notifications;
mod ops;
mod policies;
mod receiver;
mod regressions;
mod scheduler;
mod seed;
mod segregation;
mod slack;
mod subscriptions;
mod validation;
mod wsclient;
