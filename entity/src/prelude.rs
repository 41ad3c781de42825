//! Convenience re-exports of every entity under a table-specific name.
//! `use countersign_entity::prelude::*;` brings all entities and enums into scope.

pub use crate::api_key::Entity as ApiKey;
pub use crate::approval_request::Entity as ApprovalRequest;
pub use crate::approval_step::Entity as ApprovalStep;
pub use crate::audit_event::Entity as AuditEvent;
pub use crate::decision::Entity as Decision;
pub use crate::enums::{
    DecisionKind, NotificationChannel, NotificationKind, NotificationStatus, OutboxStatus,
    PolicyStatus, RequestStatus, Route, SampleVerdict, StepStatus, SubscriptionStatus,
    WorkflowMode,
};
pub use crate::event_delivery::Entity as EventDelivery;
pub use crate::notification::Entity as Notification;
pub use crate::outbox::Entity as Outbox;
pub use crate::policy_version::Entity as PolicyVersion;
pub use crate::reviewer::Entity as Reviewer;
pub use crate::tenant::Entity as Tenant;
pub use crate::used_link::Entity as UsedLink;
pub use crate::webhook_subscription::Entity as WebhookSubscription;
pub use crate::workflow::Entity as Workflow;
