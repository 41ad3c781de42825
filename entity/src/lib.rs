//! sea-orm entities for Countersign: one module per table, no business logic.
//! String-backed enums live in [`enums`]; [`prelude`] re-exports every entity.

pub mod api_key;
pub mod approval_request;
pub mod approval_step;
pub mod audit_event;
pub mod decision;
pub mod enums;
pub mod event_delivery;
pub mod notification;
pub mod outbox;
pub mod policy_version;
pub mod prelude;
pub mod reviewer;
pub mod slack_interaction;
pub mod tenant;
pub mod used_link;
pub mod webhook_subscription;
pub mod workflow;
