//! Event webhooks, the notification backbone: an admin subscribes a URL to event types of the
//! tenant (`createWebhookSubscription`), and every audit event that maps to one of them is written
//! as a signed delivery (`event_deliveries`) in the transaction that appended the event — so an
//! event is announced if and only if it happened. `jobs::outbox` delivers them at least once,
//! per subscription in event order for the same request. The execution webhook of a workflow
//! (`domain::execution`) is a different thing: it carries approved actions out to be run.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use countersign_entity::enums::{OutboxStatus, SubscriptionStatus};
use countersign_entity::{
    approval_request, audit_event, event_delivery, webhook_subscription, workflow,
};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{Principal, ROLE_ADMIN};
use crate::domain::audit::{self, EventDraft, EventKind, format_time};
use crate::domain::execution::{SigningSecret, parse_webhook_url};
use crate::domain::request_view;
use crate::error::{AppError, AppResult};
use crate::store::{Store, lock_tenant, now};

/// The event types a subscription may name, in the order the README documents them.
pub const EVENT_TYPES: [&str; 13] = [
    "request.submitted",
    "request.approved",
    "request.rejected",
    "request.expired",
    "request.cancelled",
    "request.escalated",
    "request.executed",
    "request.execution_failed",
    "request.rolled_back",
    "sample.reviewed",
    "workflow.mode_changed",
    "guardrail.tripped",
    "policy.activated",
];

/// The type of the delivery `testWebhookSubscription` sends (not subscribable).
pub const PING: &str = "ping";

/// Subscriptions a tenant may have: every event is offered to each, in its transaction.
pub const MAX_SUBSCRIPTIONS: u64 = 50;

const MAX_DESCRIPTION: usize = 500;

/// Fields of `createWebhookSubscription` (and, all optional, of the update).
#[derive(Debug, Clone, Default)]
pub struct SubscriptionInput {
    /// Where deliveries go.
    pub url: Option<String>,
    /// Event types to receive (at least one).
    pub event_types: Option<Vec<String>>,
    /// Workflows whose events it receives; empty means all of the tenant's.
    pub workflow_keys: Option<Vec<String>>,
    /// What it is for.
    pub description: Option<String>,
    /// Update only: false disables it (deliveries then wait), true enables it again.
    pub enabled: Option<bool>,
}

/// A subscription with its event types and workflow keys read.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The row.
    pub row: webhook_subscription::Model,
    /// Event types it receives.
    pub event_types: Vec<String>,
    /// Workflow keys it is limited to (empty: all).
    pub workflow_keys: Vec<String>,
}

impl Subscription {
    fn of(row: webhook_subscription::Model) -> AppResult<Subscription> {
        Ok(Subscription {
            event_types: serde_json::from_str(&row.event_types)?,
            workflow_keys: serde_json::from_str(&row.workflow_keys)?,
            row,
        })
    }

    fn wants(&self, event_type: &str, workflow_key: Option<&str>) -> bool {
        self.event_types.iter().any(|t| t == event_type)
            && (self.workflow_keys.is_empty()
                || workflow_key.is_some_and(|k| self.workflow_keys.iter().any(|w| w == k)))
    }
}

/// A fresh Standard Webhooks secret: `whsec_` + base64 of 32 random bytes.
fn new_secret() -> AppResult<(SigningSecret, String)> {
    let text = format!("whsec_{}", STANDARD.encode(rand::random::<[u8; 32]>()));
    Ok((SigningSecret::parse(&text, "secret")?, text))
}

fn check_event_types(types: &[String]) -> AppResult<Vec<String>> {
    if types.is_empty() {
        return Err(AppError::bad_input(
            "input.eventTypes",
            format!("name at least one of: {}", EVENT_TYPES.join(", ")),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for t in types {
        if !EVENT_TYPES.contains(&t.as_str()) {
            return Err(AppError::bad_input(
                "input.eventTypes",
                format!(
                    "{t:?} is not an event type; the types are: {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

async fn check_workflow_keys(
    conn: &impl ConnectionTrait,
    tenant: &str,
    keys: &[String],
) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for key in keys {
        if !out.contains(key) {
            out.push(key.clone());
        }
    }
    if out.is_empty() {
        return Ok(out);
    }
    let found: Vec<String> = workflow::Entity::find()
        .select_only()
        .column(workflow::Column::Key)
        .filter(workflow::Column::TenantId.eq(tenant))
        .filter(workflow::Column::Key.is_in(out.iter().cloned()))
        .into_tuple()
        .all(conn)
        .await?;
    if let Some(missing) = out.iter().find(|k| !found.contains(k)) {
        return Err(AppError::bad_input(
            "input.workflowKeys",
            format!("no workflow {missing:?} in this tenant"),
        ));
    }
    Ok(out)
}

fn check_description(text: Option<String>) -> AppResult<Option<String>> {
    let Some(text) = text.map(|t| t.trim().to_owned()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_DESCRIPTION || text.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "input.description",
            format!("must be at most {MAX_DESCRIPTION} characters without control characters"),
        ));
    }
    Ok((!text.is_empty()).then_some(text))
}

/// What the audit records of a subscription: everything but the secret.
fn audit_data(s: &webhook_subscription::Model) -> AppResult<Value> {
    Ok(json!({
        "subscriptionId": s.id.hyphenated().to_string(),
        "url": s.url,
        "description": s.description,
        "eventTypes": serde_json::from_str::<Value>(&s.event_types)?,
        "workflowKeys": serde_json::from_str::<Value>(&s.workflow_keys)?,
        "status": sea_orm::ActiveEnum::to_value(&s.status),
    }))
}

async fn append_one(
    conn: &impl ConnectionTrait,
    caller: &Principal,
    at: DateTime<Utc>,
    kind: EventKind,
    data: Value,
) -> AppResult<Vec<audit_event::Model>> {
    audit::append(
        conn,
        &caller.tenant,
        at,
        vec![EventDraft::new(kind, &caller.subject, data)],
    )
    .await
}

/// Creates a subscription (admin); returns it with its signing secret, which is shown this once.
pub async fn create(
    store: &Store,
    allowed_hosts: Option<&str>,
    caller: &Principal,
    input: SubscriptionInput,
) -> AppResult<(Subscription, String)> {
    caller.require_any(&[ROLE_ADMIN], "createWebhookSubscription")?;
    let url = parse_webhook_url(
        input.url.as_deref().unwrap_or_default(),
        allowed_hosts,
        "input.url",
    )?;
    let event_types = check_event_types(input.event_types.as_deref().unwrap_or_default())?;
    let description = check_description(input.description)?;
    let (secret, secret_text) = new_secret()?;
    let txn = store.begin().await?;
    lock_tenant(&*txn, &caller.tenant).await?;
    let workflow_keys = check_workflow_keys(
        &*txn,
        &caller.tenant,
        input.workflow_keys.as_deref().unwrap_or_default(),
    )
    .await?;
    let count = webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::TenantId.eq(caller.tenant.as_str()))
        .count(&*txn)
        .await?;
    if count >= MAX_SUBSCRIPTIONS {
        return Err(AppError::Conflict(format!(
            "this tenant has {count} webhook subscriptions, the most allowed; delete one first"
        )));
    }
    let at = now();
    let row = webhook_subscription::Model {
        id: Uuid::now_v7(),
        tenant_id: caller.tenant.clone(),
        url: url.to_string(),
        description,
        event_types: serde_json::to_string(&event_types)?,
        workflow_keys: serde_json::to_string(&workflow_keys)?,
        secret: secret.stored(),
        status: SubscriptionStatus::Active,
        disabled_reason: None,
        failing_since: None,
        created_by: caller.subject.clone(),
        created_at: at,
        updated_at: at,
    }
    .into_active_model()
    .reset_all()
    .insert(&*txn)
    .await?;
    append_one(
        &*txn,
        caller,
        at,
        EventKind::WebhookSubscriptionCreated,
        audit_data(&row)?,
    )
    .await?;
    txn.commit().await?;
    Ok((Subscription::of(row)?, secret_text))
}

/// The tenant's subscriptions, oldest first (admin).
pub async fn list(conn: &impl ConnectionTrait, caller: &Principal) -> AppResult<Vec<Subscription>> {
    caller.require_any(&[ROLE_ADMIN], "webhookSubscriptions")?;
    webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::TenantId.eq(caller.tenant.as_str()))
        .order_by_asc(webhook_subscription::Column::CreatedAt)
        .order_by_asc(webhook_subscription::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Subscription::of)
        .collect()
}

async fn locked(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: Uuid,
) -> AppResult<webhook_subscription::Model> {
    webhook_subscription::Entity::find_by_id(id)
        .filter(webhook_subscription::Column::TenantId.eq(tenant))
        .lock(LockType::NoKeyUpdate)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("webhook subscription {id}")))
}

/// Changes what is given of a subscription (admin); `enabled: true` re-enables one the server
/// disabled, and its waiting deliveries leave again.
pub async fn update(
    store: &Store,
    allowed_hosts: Option<&str>,
    caller: &Principal,
    id: Uuid,
    input: SubscriptionInput,
) -> AppResult<Subscription> {
    caller.require_any(&[ROLE_ADMIN], "updateWebhookSubscription")?;
    let url = input
        .url
        .as_deref()
        .map(|u| parse_webhook_url(u, allowed_hosts, "input.url"))
        .transpose()?;
    let event_types = input
        .event_types
        .as_deref()
        .map(check_event_types)
        .transpose()?;
    let txn = store.begin().await?;
    let row = locked(&*txn, &caller.tenant, id).await?;
    let mut changed: webhook_subscription::ActiveModel = row.clone().into();
    if let Some(url) = url {
        changed.url = Set(url.to_string());
    }
    if let Some(types) = event_types {
        changed.event_types = Set(serde_json::to_string(&types)?);
    }
    if let Some(keys) = &input.workflow_keys {
        let keys = check_workflow_keys(&*txn, &caller.tenant, keys).await?;
        changed.workflow_keys = Set(serde_json::to_string(&keys)?);
    }
    if input.description.is_some() {
        changed.description = Set(check_description(input.description)?);
    }
    match input.enabled {
        Some(true) => {
            changed.status = Set(SubscriptionStatus::Active);
            changed.disabled_reason = Set(None);
            changed.failing_since = Set(None);
        }
        Some(false) => {
            changed.status = Set(SubscriptionStatus::Disabled);
            changed.disabled_reason = Set(Some(format!("disabled by {}", caller.subject)));
        }
        None => {}
    }
    let at = now();
    changed.updated_at = Set(at);
    let updated = changed.update(&*txn).await?;
    let mut data = audit_data(&updated)?;
    data["previous"] = audit_data(&row)?;
    append_one(
        &*txn,
        caller,
        at,
        EventKind::WebhookSubscriptionUpdated,
        data,
    )
    .await?;
    txn.commit().await?;
    Subscription::of(updated)
}

/// Replaces a subscription's signing secret (admin); the new one is returned this once and
/// signs every attempt from now on, retries of earlier deliveries included.
pub async fn rotate_secret(
    store: &Store,
    caller: &Principal,
    id: Uuid,
) -> AppResult<(Subscription, String)> {
    caller.require_any(&[ROLE_ADMIN], "rotateWebhookSecret")?;
    let (secret, secret_text) = new_secret()?;
    let txn = store.begin().await?;
    let row = locked(&*txn, &caller.tenant, id).await?;
    let mut changed: webhook_subscription::ActiveModel = row.into();
    let at = now();
    changed.secret = Set(secret.stored());
    changed.updated_at = Set(at);
    let updated = changed.update(&*txn).await?;
    append_one(
        &*txn,
        caller,
        at,
        EventKind::WebhookSecretRotated,
        json!({ "subscriptionId": id.hyphenated().to_string() }),
    )
    .await?;
    txn.commit().await?;
    Ok((Subscription::of(updated)?, secret_text))
}

/// Deletes a subscription and its delivery records (admin). A delivery in flight finishes, and
/// its outcome is then not recorded.
pub async fn delete(store: &Store, caller: &Principal, id: Uuid) -> AppResult<bool> {
    caller.require_any(&[ROLE_ADMIN], "deleteWebhookSubscription")?;
    let txn = store.begin().await?;
    // Deliveries before the subscription row: the worker's record locks a delivery and then the
    // subscription, so this order never waits in a circle with it.
    webhook_subscription::Entity::find_by_id(id)
        .filter(webhook_subscription::Column::TenantId.eq(caller.tenant.as_str()))
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("webhook subscription {id}")))?;
    let dropped = event_delivery::Entity::delete_many()
        .filter(event_delivery::Column::SubscriptionId.eq(id))
        .filter(event_delivery::Column::Status.eq(OutboxStatus::Pending))
        .exec(&*txn)
        .await?
        .rows_affected;
    event_delivery::Entity::delete_many()
        .filter(event_delivery::Column::SubscriptionId.eq(id))
        .exec(&*txn)
        .await?;
    let row = locked(&*txn, &caller.tenant, id).await?;
    webhook_subscription::Entity::delete_by_id(id)
        .exec(&*txn)
        .await?;
    let mut data = audit_data(&row)?;
    data["droppedDeliveries"] = json!(dropped);
    append_one(
        &*txn,
        caller,
        now(),
        EventKind::WebhookSubscriptionDeleted,
        data,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Sends a `ping` to an ACTIVE subscription (admin): audited as WEBHOOK_SUBSCRIPTION_TESTED,
/// whose append writes the delivery; returns it.
pub async fn test(store: &Store, caller: &Principal, id: Uuid) -> AppResult<event_delivery::Model> {
    caller.require_any(&[ROLE_ADMIN], "testWebhookSubscription")?;
    let txn = store.begin().await?;
    let row = locked(&*txn, &caller.tenant, id).await?;
    if row.status != SubscriptionStatus::Active {
        return Err(AppError::Conflict(format!(
            "webhook subscription {id} is disabled; enable it with updateWebhookSubscription \
             (input: {{enabled: true}}) first"
        )));
    }
    let events = append_one(
        &*txn,
        caller,
        now(),
        EventKind::WebhookSubscriptionTested,
        json!({ "subscriptionId": id.hyphenated().to_string() }),
    )
    .await?;
    let seq = events
        .last()
        .map(|e| e.seq)
        .ok_or_else(|| AppError::internal("no audit event appended"))?;
    let delivery = event_delivery::Entity::find()
        .filter(event_delivery::Column::SubscriptionId.eq(id))
        .filter(event_delivery::Column::AuditSeq.eq(seq))
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::internal("ping delivery not written"))?;
    txn.commit().await?;
    Ok(delivery)
}

/// A subscription's deliveries, newest first (admin).
pub async fn deliveries(
    conn: &impl ConnectionTrait,
    subscription_id: Uuid,
    status: Option<OutboxStatus>,
    limit: u64,
) -> AppResult<Vec<event_delivery::Model>> {
    let mut query = event_delivery::Entity::find()
        .filter(event_delivery::Column::SubscriptionId.eq(subscription_id));
    if let Some(status) = status {
        query = query.filter(event_delivery::Column::Status.eq(status));
    }
    Ok(query
        .order_by_desc(event_delivery::Column::AuditSeq)
        .order_by_desc(event_delivery::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// The webhook event type an audit event is announced as, if any.
fn event_type_of(event: &audit_event::Model, data: &Value) -> Option<&'static str> {
    Some(match event.event_type.as_str() {
        "REQUEST_SUBMITTED" => "request.submitted",
        "AUTO_APPROVED" | "REQUEST_APPROVED" => "request.approved",
        "REQUEST_REJECTED" => "request.rejected",
        "REQUEST_EXPIRED" => "request.expired",
        "REQUEST_CANCELLED" => "request.cancelled",
        "REQUEST_ESCALATED" => "request.escalated",
        "EXECUTION_REPORTED" if data["success"] == json!(true) => "request.executed",
        "EXECUTION_REPORTED" => "request.execution_failed",
        "ACTION_ROLLED_BACK" => "request.rolled_back",
        "SAMPLE_REVIEWED" => "sample.reviewed",
        "WORKFLOW_MODE_CHANGED" => "workflow.mode_changed",
        "GUARDRAIL_TRIPPED" => "guardrail.tripped",
        // An emergency rollback re-activates an earlier version: an activation too.
        "POLICY_ACTIVATED" | "POLICY_ROLLED_BACK" => "policy.activated",
        "WEBHOOK_SUBSCRIPTION_TESTED" => PING,
        _ => return None,
    })
}

/// True when `event` is announced to subscribers of some event type.
fn announces(event: &audit_event::Model) -> bool {
    // Only EXECUTION_REPORTED looks at its data, and is announced either way.
    event_type_of(event, &Value::Null).is_some()
}

/// Writes the deliveries of just-appended audit events, in the same transaction (called by
/// `audit::append`). Costs nothing beyond one indexed read when the tenant has no subscription.
pub(crate) async fn enqueue(
    conn: &impl ConnectionTrait,
    tenant: &str,
    events: &[audit_event::Model],
) -> AppResult<()> {
    if events.iter().all(|e| !announces(e)) {
        return Ok(());
    }
    let subscriptions = subscriptions(conn, tenant).await?;
    enqueue_to(conn, tenant, events, &subscriptions).await
}

/// Every subscription of the tenant, disabled ones too: their deliveries wait, and leave in
/// order once it is enabled.
pub(crate) async fn subscriptions(
    conn: &impl ConnectionTrait,
    tenant: &str,
) -> AppResult<Vec<Subscription>> {
    webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::TenantId.eq(tenant))
        .all(conn)
        .await?
        .into_iter()
        .map(Subscription::of)
        .collect()
}

/// [`enqueue`] with the tenant's `subscriptions` already read (in the same transaction, after
/// the audit head was locked, or validated against it).
pub(crate) async fn enqueue_to(
    conn: &impl ConnectionTrait,
    tenant: &str,
    events: &[audit_event::Model],
    subscriptions: &[Subscription],
) -> AppResult<()> {
    if subscriptions.is_empty() {
        return Ok(());
    }
    let mut announced = Vec::new();
    for event in events {
        let data: Value = serde_json::from_str(&event.data)?;
        if let Some(kind) = event_type_of(event, &data) {
            announced.push((event, kind, data));
        }
    }
    if announced.is_empty() {
        return Ok(());
    }
    // Due now by the clock, whatever time the event carries (timeouts act at a given time).
    let queued = now();
    // Each request is read once, as this transaction leaves it.
    let mut requests: HashMap<Uuid, Value> = HashMap::new();
    let mut rows = Vec::new();
    for (event, kind, details) in announced {
        let targets: Vec<&Subscription> = if kind == PING {
            subscriptions
                .iter()
                .filter(|s| details["subscriptionId"] == json!(s.row.id.hyphenated().to_string()))
                .collect()
        } else {
            subscriptions
                .iter()
                .filter(|s| s.wants(kind, event.workflow_key.as_deref()))
                .collect()
        };
        if targets.is_empty() {
            continue;
        }
        let mut data = json!({
            "auditSeq": event.seq,
            "auditEventId": event.id.hyphenated().to_string(),
            "actor": event.actor,
            "workflowKey": event.workflow_key,
        });
        if kind == PING {
            data["subscriptionId"] = details["subscriptionId"].clone();
            data["message"] = json!("Countersign test delivery");
        } else {
            data["details"] = details;
        }
        if let Some(request_id) = event.request_id {
            if let std::collections::hash_map::Entry::Vacant(slot) = requests.entry(request_id) {
                let row = approval_request::Entity::find_by_id(request_id)
                    .one(conn)
                    .await?
                    .ok_or_else(|| {
                        AppError::internal(format!("request {request_id} of an event is missing"))
                    })?;
                slot.insert(request_view::load(conn, &row).await?);
            }
            data["request"] = requests[&request_id].clone();
        }
        // One body for every subscriber: stored once per delivery, signed per attempt.
        let payload = serde_json::to_string(&json!({
            "type": kind,
            "timestamp": format_time(event.at),
            "data": data,
        }))?;
        for s in targets {
            rows.push(
                event_delivery::Model {
                    id: Uuid::now_v7(),
                    tenant_id: tenant.to_owned(),
                    subscription_id: s.row.id,
                    webhook_id: format!("msg_{}", Uuid::now_v7().simple()),
                    event_type: kind.to_owned(),
                    audit_seq: event.seq,
                    request_id: event.request_id,
                    payload: payload.clone(),
                    attempts: 0,
                    status: OutboxStatus::Pending,
                    next_attempt_at: queued,
                    claimed_until: None,
                    last_status_code: None,
                    last_error: None,
                    created_at: queued,
                    delivered_at: None,
                }
                .into_active_model()
                .reset_all(),
            );
        }
    }
    if !rows.is_empty() {
        event_delivery::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}
