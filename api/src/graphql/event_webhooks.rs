//! Event-webhook subscriptions (admin): create, list, update, rotate, delete, test, and each
//! subscription's deliveries.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use countersign_entity::enums::SubscriptionStatus;
use countersign_entity::event_delivery;
use serde_json::Value;

use super::ContextExt;
use super::requests::parse_id;
use super::types::DeliveryStatus;
use crate::auth::ROLE_ADMIN;
use crate::domain::event_webhooks::{self, Subscription, SubscriptionInput};
use crate::error::{ApiResult, AppError};

/// Largest page of `WebhookSubscription.deliveries`.
const MAX_DELIVERIES: i32 = 200;

/// Whether a subscription receives deliveries.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "WebhookSubscriptionStatus")]
pub enum Status {
    /// Deliveries leave as events happen.
    Active,
    /// Turned off by an admin or by the server after failing too long; deliveries wait for it
    /// to be enabled again.
    Disabled,
}

impl From<SubscriptionStatus> for Status {
    fn from(s: SubscriptionStatus) -> Self {
        match s {
            SubscriptionStatus::Active => Status::Active,
            SubscriptionStatus::Disabled => Status::Disabled,
        }
    }
}

/// A URL subscribed to events of the tenant. Deliveries are signed per the Standard Webhooks
/// spec with the subscription's secret (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
pub struct WebhookSubscription(Subscription);

#[Object]
impl WebhookSubscription {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.row.id.to_string())
    }
    /// Where deliveries go.
    async fn url(&self) -> &str {
        &self.0.row.url
    }
    /// What it is for.
    async fn description(&self) -> Option<&str> {
        self.0.row.description.as_deref()
    }
    /// Event types it receives (see the README's list).
    async fn event_types(&self) -> &[String] {
        &self.0.event_types
    }
    /// Workflows whose events it receives; empty means every workflow of the tenant.
    async fn workflow_keys(&self) -> &[String] {
        &self.0.workflow_keys
    }
    /// ACTIVE or DISABLED.
    async fn status(&self) -> Status {
        self.0.row.status.into()
    }
    /// Why it is disabled.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.row.disabled_reason.as_deref()
    }
    /// When its current run of failed attempts began; null after a success.
    async fn failing_since(&self) -> Option<DateTime<Utc>> {
        self.0.row.failing_since
    }
    /// Admin who created it.
    async fn created_by(&self) -> &str {
        &self.0.row.created_by
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.row.created_at
    }
    /// Last change.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.row.updated_at
    }
    /// Its deliveries, newest event first (1-200, default 20), optionally of one status.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        status: Option<DeliveryStatus>,
    ) -> ApiResult<Vec<EventDelivery>> {
        if !(1..=MAX_DELIVERIES).contains(&first) {
            return Err(AppError::bad_input(
                "first",
                format!("must be between 1 and {MAX_DELIVERIES}"),
            )
            .into());
        }
        let rows = event_webhooks::deliveries(
            ctx.state()?.store.db(),
            self.0.row.id,
            status.map(Into::into),
            first as u64,
        )
        .await?;
        Ok(rows.into_iter().map(EventDelivery).collect())
    }
}

/// One event sent to one subscription: the same `webhookId` on every attempt.
pub struct EventDelivery(pub event_delivery::Model);

#[Object]
impl EventDelivery {
    /// The `webhook-id` header; receivers deduplicate by it.
    async fn webhook_id(&self) -> &str {
        &self.0.webhook_id
    }
    /// e.g. `request.rejected`, or `ping`.
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    /// `seq` of the audit event it reports.
    async fn audit_seq(&self) -> i64 {
        self.0.audit_seq
    }
    /// The request it concerns, if any.
    async fn request_id(&self) -> Option<ID> {
        self.0.request_id.map(|id| ID(id.to_string()))
    }
    /// PENDING, DELIVERED or FAILED.
    async fn status(&self) -> DeliveryStatus {
        self.0.status.into()
    }
    /// Attempts started so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// HTTP status of the last attempt, when one came back.
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }
    /// Why the last attempt got no answer (`timeout`, `connect`, `redirect_not_followed`, …).
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// Not attempted again before this time (while PENDING).
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }
    /// When it was written (the event's time).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When a receiver acknowledged it.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    /// The body, exactly as sent.
    async fn payload(&self) -> ApiResult<Json<Value>> {
        Ok(Json(
            serde_json::from_str(&self.0.payload).map_err(AppError::internal)?,
        ))
    }
}

/// A subscription and its signing secret, which is shown only here.
#[derive(SimpleObject)]
pub struct WebhookSubscriptionCreated {
    /// The subscription.
    pub subscription: WebhookSubscription,
    /// `whsec_…` (Standard Webhooks format): store it now, it is not shown again.
    pub secret: String,
}

/// Input of `createWebhookSubscription`.
#[derive(InputObject)]
pub struct CreateWebhookSubscriptionInput {
    /// http(s) URL without credentials; its host must be in COUNTERSIGN_WEBHOOK_ALLOWED_HOSTS when
    /// that is set. Redirects are never followed.
    pub url: String,
    /// Event types to receive, at least one of: request.submitted, request.approved,
    /// request.rejected, request.expired, request.cancelled, request.escalated, request.executed,
    /// request.execution_failed, request.rolled_back, sample.reviewed, workflow.mode_changed,
    /// guardrail.tripped, policy.activated.
    pub event_types: Vec<String>,
    /// Only events of these workflows; empty or absent means every workflow of the tenant.
    pub workflow_keys: Option<Vec<String>>,
    /// What it is for (up to 500 characters).
    pub description: Option<String>,
}

/// Input of `updateWebhookSubscription`: what is given changes, the rest stays.
#[derive(InputObject)]
pub struct UpdateWebhookSubscriptionInput {
    /// New URL.
    pub url: Option<String>,
    /// New event types (replaces the list).
    pub event_types: Option<Vec<String>>,
    /// New workflows (replaces the list; empty means all).
    pub workflow_keys: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
    /// false disables it; true enables it again (also after the server disabled it), and the
    /// deliveries that waited leave.
    pub enabled: Option<bool>,
}

/// Subscription queries.
#[derive(Default)]
pub struct EventWebhookQuery;

#[Object]
impl EventWebhookQuery {
    /// The tenant's event-webhook subscriptions, oldest first (admin).
    async fn webhook_subscriptions(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<WebhookSubscription>> {
        let p = ctx.principal()?;
        let rows = event_webhooks::list(ctx.state()?.store.db(), p).await?;
        Ok(rows.into_iter().map(WebhookSubscription).collect())
    }

    /// The event types a subscription may name.
    async fn webhook_event_types(&self, ctx: &Context<'_>) -> ApiResult<Vec<&'static str>> {
        ctx.principal()?
            .require_any(&[ROLE_ADMIN], "webhookEventTypes")?;
        Ok(event_webhooks::EVENT_TYPES.to_vec())
    }
}

/// Subscription mutations, all audited (never with the secret).
#[derive(Default)]
pub struct EventWebhookMutation;

#[Object]
impl EventWebhookMutation {
    /// Subscribes a URL to events of the tenant (admin); the secret is returned this once.
    async fn create_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookSubscriptionInput,
    ) -> ApiResult<WebhookSubscriptionCreated> {
        let p = ctx.principal()?;
        let state = ctx.state()?;
        let input = SubscriptionInput {
            url: Some(input.url),
            event_types: Some(input.event_types),
            workflow_keys: input.workflow_keys,
            description: input.description,
            enabled: None,
        };
        let allowed = state.settings.webhook_allowed_hosts.as_deref();
        let (subscription, secret) =
            event_webhooks::create(&state.store, allowed, p, input).await?;
        Ok(WebhookSubscriptionCreated {
            subscription: WebhookSubscription(subscription),
            secret,
        })
    }

    /// Changes a subscription (admin).
    async fn update_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookSubscriptionInput,
    ) -> ApiResult<WebhookSubscription> {
        let p = ctx.principal()?;
        let state = ctx.state()?;
        let id = parse_id(&id, "id")?;
        let input = SubscriptionInput {
            url: input.url,
            event_types: input.event_types,
            workflow_keys: input.workflow_keys,
            description: input.description,
            enabled: input.enabled,
        };
        let allowed = state.settings.webhook_allowed_hosts.as_deref();
        let s = event_webhooks::update(&state.store, allowed, p, id, input).await?;
        Ok(WebhookSubscription(s))
    }

    /// Replaces a subscription's signing secret (admin); the new one is returned this once and
    /// signs every attempt from now on.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<WebhookSubscriptionCreated> {
        let p = ctx.principal()?;
        let id = parse_id(&id, "id")?;
        let (subscription, secret) =
            event_webhooks::rotate_secret(&ctx.state()?.store, p, id).await?;
        Ok(WebhookSubscriptionCreated {
            subscription: WebhookSubscription(subscription),
            secret,
        })
    }

    /// Deletes a subscription and its delivery records (admin).
    async fn delete_webhook_subscription(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let p = ctx.principal()?;
        let id = parse_id(&id, "id")?;
        Ok(event_webhooks::delete(&ctx.state()?.store, p, id).await?)
    }

    /// Sends a `ping` delivery to an ACTIVE subscription (admin); returns it (PENDING).
    async fn test_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<EventDelivery> {
        let p = ctx.principal()?;
        let id = parse_id(&id, "id")?;
        Ok(EventDelivery(
            event_webhooks::test(&ctx.state()?.store, p, id).await?,
        ))
    }
}
