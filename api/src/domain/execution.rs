//! The execution layer: how an approved action leaves. A workflow may name a webhook
//! (`setExecutionWebhook`); each approval of its actions is written to the outbox in the approving
//! transaction and delivered by `jobs::outbox`, signed per the Standard Webhooks spec. Without a
//! webhook, agents execute and `reportExecution`. Admins roll executed actions back.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use countersign_entity::enums::{OutboxStatus, RequestStatus};
use countersign_entity::workflow::StoredSecret;
use countersign_entity::{approval_request, outbox, workflow};
use hmac::{Hmac, Mac};
use reqwest::Url;
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::auth::{Principal, ROLE_ADMIN};
use crate::domain::audit::{self, EventDraft, EventKind, format_time};
use crate::domain::guardrails;
use crate::domain::lifecycle::route_name;
use crate::domain::timeouts::SYSTEM_ACTOR;
use crate::egress::EgressPolicy;
use crate::error::{AppError, AppResult};
use crate::store::{Store, now};

/// Event type of the delivery of an approved action.
pub const EVENT_APPROVED: &str = "action.approved";
/// Event type of the delivery of a rollback.
pub const EVENT_ROLLED_BACK: &str = "action.rolled_back";
/// Attempts per delivery when `maxAttempts` is not given.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;
/// Most attempts a webhook may ask for.
pub const MAX_ATTEMPTS_LIMIT: i32 = 20;
/// `last_error` of deliveries dropped because their workflow's webhook was removed.
pub const WEBHOOK_REMOVED: &str = "webhook_removed";

const SECRET_PREFIX: &str = "whsec_";

/// A Standard Webhooks signing secret: `whsec_` + base64 of 24-64 random bytes. The text is
/// kept as given (it is what gets stored) and never printed.
#[derive(Clone)]
pub struct SigningSecret(SecretString);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

impl SigningSecret {
    /// Parses a secret, naming `path` in the error (which never repeats the secret).
    pub fn parse(text: &str, path: &str) -> AppResult<SigningSecret> {
        let bad = || {
            AppError::bad_input(
                path,
                "must be \"whsec_\" followed by the standard base64 of 24-64 random bytes",
            )
        };
        let encoded = text.strip_prefix(SECRET_PREFIX).ok_or_else(bad)?;
        let key = STANDARD.decode(encoded).map_err(|_| bad())?;
        if !(24..=64).contains(&key.len()) {
            return Err(bad());
        }
        Ok(SigningSecret(SecretString::from(text)))
    }

    /// The HMAC key: the decoded part after `whsec_`.
    fn key(&self) -> AppResult<Vec<u8>> {
        let text = self.0.expose_secret();
        text.strip_prefix(SECRET_PREFIX)
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .ok_or_else(|| AppError::internal("stored webhook secret is not whsec_<base64>"))
    }

    /// The `webhook-signature` header for one attempt.
    pub fn sign(&self, webhook_id: &str, timestamp: i64, body: &[u8]) -> AppResult<String> {
        sign(&self.key()?, webhook_id, timestamp, body)
    }

    pub(crate) fn stored(&self) -> StoredSecret {
        StoredSecret(self.0.expose_secret().to_owned())
    }
}

/// Standard Webhooks signature: `v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`
/// keyed with the decoded secret.
pub fn sign(key: &[u8], webhook_id: &str, timestamp: i64, body: &[u8]) -> AppResult<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(AppError::internal)?;
    mac.update(webhook_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Parses a webhook URL with the outbound rules of [`EgressPolicy::parse_url`]: http(s), no
/// credentials, a host from the allow-list when one is configured, and no IP literal of a
/// non-public address unless the list names it.
pub fn parse_webhook_url(text: &str, allowed_hosts: Option<&str>, path: &str) -> AppResult<Url> {
    EgressPolicy::new(allowed_hosts).parse_url(text, path)
}

/// Delay before the attempt after `attempt` (1-based) failed: `base · 2^(attempt-1)` capped at
/// `max`, of which a random half is kept (equal jitter), so retries of many deliveries spread.
pub fn backoff(attempt: i32, base: Duration, max: Duration) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(31);
    let full = base.saturating_mul(1u32 << exp).min(max);
    let half = full / 2;
    let jitter_ms = rand::random_range(0..=half.as_millis().min(u128::from(u64::MAX)) as u64);
    half + Duration::from_millis(jitter_ms)
}

/// Input of `setExecutionWebhook`.
#[derive(Debug, Clone)]
pub struct WebhookInput {
    /// Where deliveries go.
    pub url: String,
    /// `whsec_<base64>`.
    pub signing_secret: SecretString,
    /// Attempts per delivery (1..=20, default 8).
    pub max_attempts: Option<i32>,
}

/// Sets (or, with `None`, removes) a workflow's execution webhook (admin). Removing it drops
/// the deliveries still waiting (not those in flight); their requests stay APPROVED for agents
/// to report. Audited as EXECUTION_WEBHOOK_SET with the url and attempts, never the secret.
pub async fn set_webhook(
    store: &Store,
    allowed_hosts: Option<&str>,
    caller: &Principal,
    workflow_key: &str,
    input: Option<WebhookInput>,
) -> AppResult<workflow::Model> {
    caller.require_any(&[ROLE_ADMIN], "setExecutionWebhook")?;
    let config = match &input {
        Some(input) => {
            let url = parse_webhook_url(&input.url, allowed_hosts, "input.url")?;
            let secret =
                SigningSecret::parse(input.signing_secret.expose_secret(), "input.signingSecret")?;
            let max_attempts = input.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
            if !(1..=MAX_ATTEMPTS_LIMIT).contains(&max_attempts) {
                return Err(AppError::bad_input(
                    "input.maxAttempts",
                    format!("must be between 1 and {MAX_ATTEMPTS_LIMIT}"),
                ));
            }
            Some((url, secret, max_attempts))
        }
        None => None,
    };
    let find = || {
        workflow::Entity::find()
            .filter(workflow::Column::TenantId.eq(caller.tenant.as_str()))
            .filter(workflow::Column::Key.eq(workflow_key))
    };
    let txn = store.begin().await?;
    crate::store::lock_tenant(&*txn, &caller.tenant).await?;
    let Some(wf) = find().one(&*txn).await? else {
        return Err(AppError::NotFound(format!("workflow {workflow_key:?}")));
    };
    let at = now();
    // Outbox rows before the workflow row: the worker's claim locks the workflow and then skips
    // locked outbox rows, so this order never waits in a circle with it. Rows under a live lease
    // are in flight and finish as they are.
    let cancelled = match config {
        None => {
            outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Failed))
                .col_expr(
                    outbox::Column::LastError,
                    Expr::value(Some(WEBHOOK_REMOVED.to_owned())),
                )
                .filter(outbox::Column::WorkflowId.eq(wf.id))
                .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
                .filter(
                    Condition::any()
                        .add(outbox::Column::ClaimedUntil.is_null())
                        .add(outbox::Column::ClaimedUntil.lt(at)),
                )
                .exec(&*txn)
                .await?
                .rows_affected
        }
        Some(_) => 0,
    };
    let wf = find()
        .lock(LockType::NoKeyUpdate)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::internal("workflow vanished"))?;
    let key = wf.key.clone();
    let mut row: workflow::ActiveModel = wf.into();
    let data = match &config {
        Some((url, secret, max_attempts)) => {
            row.webhook_url = Set(Some(url.to_string()));
            row.webhook_secret = Set(Some(secret.stored()));
            row.webhook_max_attempts = Set(Some(*max_attempts));
            json!({ "url": url.to_string(), "maxAttempts": max_attempts, "removed": false })
        }
        None => {
            row.webhook_url = Set(None);
            row.webhook_secret = Set(None);
            row.webhook_max_attempts = Set(None);
            json!({ "url": null, "maxAttempts": null, "removed": true, "droppedDeliveries": cancelled })
        }
    };
    row.updated_at = Set(at);
    let updated = row.update(&*txn).await?;
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![EventDraft::new(EventKind::ExecutionWebhookSet, &caller.subject, data).workflow(&key)],
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Queues an approved request of `wf` (read in this transaction; it must have a webhook) for
/// delivery, in the approving transaction; returns its webhook id. The body carries the final
/// (edited) action and the hash the approval recorded (invariant 1).
pub(crate) async fn enqueue_approval(
    conn: &impl ConnectionTrait,
    wf: &workflow::Model,
    request: &approval_request::Model,
) -> AppResult<String> {
    let payload = json!({
        "type": EVENT_APPROVED,
        "requestId": request.id.hyphenated().to_string(),
        "workflowKey": request.workflow_key,
        "actionType": request.action_type,
        "action": serde_json::from_str::<Value>(&request.final_action)?,
        "actionHash": request.final_action_hash,
        "approvedAt": request.decided_at.map(format_time),
        "route": route_name(request.route),
    });
    enqueue(conn, wf, request, EVENT_APPROVED, &payload).await
}

async fn webhook_workflow(
    conn: &impl ConnectionTrait,
    workflow_id: Uuid,
) -> AppResult<Option<workflow::Model>> {
    Ok(workflow::Entity::find_by_id(workflow_id)
        .one(conn)
        .await?
        .filter(|wf| wf.webhook_url.is_some()))
}

async fn enqueue(
    conn: &impl ConnectionTrait,
    wf: &workflow::Model,
    request: &approval_request::Model,
    event_type: &str,
    payload: &Value,
) -> AppResult<String> {
    let at = now();
    let webhook_id = format!("msg_{}", Uuid::now_v7().simple());
    outbox::Model {
        id: Uuid::now_v7(),
        tenant_id: request.tenant_id.clone(),
        workflow_id: wf.id,
        request_id: request.id,
        webhook_id: webhook_id.clone(),
        event_type: event_type.to_owned(),
        // Stored once: every attempt sends (and signs) exactly these bytes.
        payload: serde_json::to_string(payload)?,
        attempts: 0,
        max_attempts: wf.webhook_max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS),
        status: OutboxStatus::Pending,
        next_attempt_at: at,
        claimed_until: None,
        last_status_code: None,
        last_error: None,
        created_at: at,
        delivered_at: None,
    }
    .into_active_model()
    .reset_all()
    .insert(conn)
    .await?;
    Ok(webhook_id)
}

/// Input of `reportExecution`.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// The approved request.
    pub request_id: Uuid,
    /// Whether the action ran.
    pub success: bool,
    /// The action's id in the target system.
    pub external_ref: Option<String>,
    /// Why it failed (with `success: false` only).
    pub error: Option<String>,
}

fn check_text(path: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    let Some(value) = value.map(str::trim) else {
        return Ok(None);
    };
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            path,
            format!("must be 1-{max} characters without control characters"),
        ));
    }
    Ok(Some(value.to_owned()))
}

async fn lock_request(
    conn: &impl ConnectionTrait,
    caller: &Principal,
    id: Uuid,
) -> AppResult<approval_request::Model> {
    approval_request::Entity::find_by_id(id)
        .filter(approval_request::Column::TenantId.eq(caller.tenant.as_str()))
        .lock(LockType::NoKeyUpdate)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("approval request {id}")))
}

/// An agent's report on an APPROVED action of a workflow without a webhook (its submitter or an
/// admin): EXECUTED with the external reference, or EXECUTION_FAILED with the error; audited as
/// EXECUTION_REPORTED, then guardrails are checked.
pub async fn report_execution(
    store: &Store,
    caller: &Principal,
    input: ReportInput,
) -> AppResult<approval_request::Model> {
    let external_ref = check_text("input.externalRef", input.external_ref.as_deref(), 500)?;
    let error = check_text("input.error", input.error.as_deref(), 4000)?;
    if input.success && error.is_some() {
        return Err(AppError::bad_input(
            "input.error",
            "an error goes with success: false only",
        ));
    }
    let txn = store.begin().await?;
    let request = lock_request(&*txn, caller, input.request_id).await?;
    if request.submitted_by != caller.subject && !caller.has_role(ROLE_ADMIN) {
        return Err(AppError::Forbidden(
            "only the submitting agent or an admin may report execution".into(),
        ));
    }
    if request.status != RequestStatus::Approved {
        return Err(AppError::Conflict(format!(
            "request {} is {:?}; only APPROVED requests can be reported",
            request.id, request.status
        )));
    }
    let wf = workflow::Entity::find_by_id(request.workflow_id)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::internal("workflow vanished"))?;
    // A delivery still waiting or in flight (even after its webhook was removed) owns the action.
    let live_delivery = outbox::Entity::find()
        .filter(outbox::Column::RequestId.eq(request.id))
        .filter(outbox::Column::EventType.eq(EVENT_APPROVED))
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
        .one(&*txn)
        .await?;
    if wf.webhook_url.is_some() || live_delivery.is_some() {
        return Err(AppError::Conflict(format!(
            "workflow {} delivers approved actions through its execution webhook; the delivery \
             reports the outcome",
            wf.key
        )));
    }
    let at = now();
    let mut update = approval_request::ActiveModel {
        version: Set(request.version + 1),
        updated_at: Set(at),
        external_ref: Set(external_ref.clone()),
        ..Default::default()
    };
    if input.success {
        update.status = Set(RequestStatus::Executed);
        update.executed_at = Set(Some(at));
    } else {
        update.status = Set(RequestStatus::ExecutionFailed);
        update.execution_error =
            Set(Some(error.clone().unwrap_or_else(|| {
                "reported failed without an error".to_owned()
            })));
    }
    let data = json!({
        "success": input.success,
        "via": "agent",
        "externalRef": external_ref,
        "error": error,
    });
    finish(&*txn, &request, update, &caller.subject, data, at).await?;
    let updated = reload(&*txn, request.id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Rolls an EXECUTED action back (admin, reason required): ROLLED_BACK, audited as
/// ACTION_ROLLED_BACK; with a webhook an `action.rolled_back` delivery goes out (its own
/// webhook id). Rollbacks count as errors for guardrails.
pub async fn rollback(
    store: &Store,
    caller: &Principal,
    id: Uuid,
    reason: &str,
) -> AppResult<approval_request::Model> {
    caller.require_any(&[ROLE_ADMIN], "rollbackAction")?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(AppError::bad_input(
            "reason",
            "a reason of 1-2000 characters is required",
        ));
    }
    let txn = store.begin().await?;
    let request = lock_request(&*txn, caller, id).await?;
    if request.status != RequestStatus::Executed {
        return Err(AppError::Conflict(format!(
            "request {id} is {:?}; only EXECUTED actions can be rolled back",
            request.status
        )));
    }
    let at = now();
    let webhook_id = match webhook_workflow(&*txn, request.workflow_id).await? {
        Some(wf) => {
            let approval_webhook_id = outbox::Entity::find()
                .filter(outbox::Column::RequestId.eq(request.id))
                .filter(outbox::Column::EventType.eq(EVENT_APPROVED))
                .select_only()
                .column(outbox::Column::WebhookId)
                .into_tuple::<String>()
                .one(&*txn)
                .await?;
            let payload = json!({
                "type": EVENT_ROLLED_BACK,
                "requestId": request.id.hyphenated().to_string(),
                "workflowKey": request.workflow_key,
                "actionType": request.action_type,
                "action": serde_json::from_str::<Value>(&request.final_action)?,
                "actionHash": request.final_action_hash,
                "approvedAt": request.decided_at.map(format_time),
                "route": route_name(request.route),
                "externalRef": request.external_ref,
                "approvalWebhookId": approval_webhook_id,
                "rolledBackAt": format_time(at),
                "rolledBackBy": caller.subject,
                "reason": reason,
            });
            Some(enqueue(&*txn, &wf, &request, EVENT_ROLLED_BACK, &payload).await?)
        }
        None => None,
    };
    let update = approval_request::ActiveModel {
        status: Set(RequestStatus::RolledBack),
        version: Set(request.version + 1),
        updated_at: Set(at),
        ..Default::default()
    };
    let event = EventDraft::new(
        EventKind::ActionRolledBack,
        &caller.subject,
        json!({ "reason": reason, "externalRef": request.external_ref, "webhookId": webhook_id }),
    )
    .workflow(&request.workflow_key)
    .request(request.id);
    write_outcome(&*txn, &request, update, event, at).await?;
    let updated = reload(&*txn, request.id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Records a webhook delivery's final outcome on its request (inside the worker's record
/// transaction): APPROVED becomes EXECUTED or EXECUTION_FAILED, audited as EXECUTION_REPORTED by
/// `system` via the webhook, then guardrails are checked. A request that is no longer APPROVED
/// is left as it is (false).
pub(crate) async fn record_webhook_outcome(
    conn: &impl ConnectionTrait,
    delivery: &outbox::Model,
    error: Option<String>,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let request = approval_request::Entity::find_by_id(delivery.request_id)
        .lock(LockType::NoKeyUpdate)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal("request of a delivery vanished"))?;
    if request.status != RequestStatus::Approved {
        tracing::warn!(request_id = %request.id, status = ?request.status, webhook_id = %delivery.webhook_id,
            "webhook delivery finished for a request that is no longer APPROVED; left unchanged");
        return Ok(false);
    }
    let success = error.is_none();
    let mut update = approval_request::ActiveModel {
        version: Set(request.version + 1),
        updated_at: Set(at),
        ..Default::default()
    };
    if success {
        update.status = Set(RequestStatus::Executed);
        update.executed_at = Set(Some(at));
    } else {
        update.status = Set(RequestStatus::ExecutionFailed);
        update.execution_error = Set(error.clone());
    }
    let data = json!({
        "success": success,
        "via": "webhook",
        "webhookId": delivery.webhook_id,
        "attempts": delivery.attempts,
        "statusCode": delivery.last_status_code,
        "error": error,
    });
    finish(conn, &request, update, SYSTEM_ACTOR, data, at).await?;
    Ok(true)
}

/// Writes an execution outcome: the request update (guarded by its version), EXECUTION_REPORTED,
/// and the guardrail check.
async fn finish(
    conn: &impl ConnectionTrait,
    request: &approval_request::Model,
    update: approval_request::ActiveModel,
    actor: &str,
    data: Value,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let event = EventDraft::new(EventKind::ExecutionReported, actor, data)
        .workflow(&request.workflow_key)
        .request(request.id);
    write_outcome(conn, request, update, event, at).await
}

async fn write_outcome(
    conn: &impl ConnectionTrait,
    request: &approval_request::Model,
    update: approval_request::ActiveModel,
    event: EventDraft,
    at: DateTime<Utc>,
) -> AppResult<()> {
    // The optimistic check backs up the row lock, as in `decide`.
    let res = approval_request::Entity::update_many()
        .set(update)
        .filter(approval_request::Column::Id.eq(request.id))
        .filter(approval_request::Column::Version.eq(request.version))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "request {} changed meanwhile; reload and try again",
            request.id
        )));
    }
    audit::append(conn, &request.tenant_id, at, vec![event]).await?;
    guardrails::check_after_outcome(conn, &request.tenant_id, request.workflow_id, at).await?;
    Ok(())
}

async fn reload(conn: &impl ConnectionTrait, id: Uuid) -> AppResult<approval_request::Model> {
    approval_request::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal("request vanished"))
}

/// The deliveries of a request, oldest first.
pub async fn deliveries(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
) -> AppResult<Vec<outbox::Model>> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::RequestId.eq(request_id))
        .order_by_asc(outbox::Column::CreatedAt)
        .order_by_asc(outbox::Column::Id)
        .all(conn)
        .await?)
}

/// A stored secret, usable to sign.
pub(crate) fn stored_secret(secret: &StoredSecret) -> AppResult<SigningSecret> {
    SigningSecret::parse(&secret.0, "webhookSecret")
        .map_err(|_| AppError::internal("stored webhook secret does not parse"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example published with the Standard Webhooks specification.
    const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    // The id as published is `…AQM9LWM…` (a copy reading `…AQM2LWM…` does not reproduce it).
    const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SPEC_TIMESTAMP: i64 = 1614265330;
    const SPEC_BODY: &str = r#"{"test": 2432232314}"#;
    const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        let secret = SigningSecret::parse(SPEC_SECRET, "s").unwrap();
        let sig = secret
            .sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY.as_bytes())
            .unwrap();
        assert_eq!(sig, SPEC_SIGNATURE);
        // Anything else signed differs.
        let other = secret
            .sign(SPEC_ID, SPEC_TIMESTAMP + 1, SPEC_BODY.as_bytes())
            .unwrap();
        assert_ne!(other, SPEC_SIGNATURE);
    }

    #[test]
    fn secrets_must_be_whsec_base64_of_24_to_64_bytes() {
        let b64 = |n: usize| STANDARD.encode(vec![7u8; n]);
        assert!(SigningSecret::parse(&format!("whsec_{}", b64(24)), "s").is_ok());
        assert!(SigningSecret::parse(&format!("whsec_{}", b64(64)), "s").is_ok());
        for bad in [
            b64(32),                        // no prefix
            format!("whsec_{}", b64(23)),   // too short
            format!("whsec_{}", b64(65)),   // too long
            "whsec_not base64!".to_owned(), // not base64
            format!("WHSEC_{}", b64(32)),   // prefix is exact
            format!("whsec_{}==", b64(32)), // bad padding
        ] {
            let err = SigningSecret::parse(&bad, "input.signingSecret").unwrap_err();
            assert_eq!(err.code(), "BAD_USER_INPUT", "{bad}");
            assert_eq!(err.path(), ["input", "signingSecret"]);
            assert!(
                !err.to_string().contains(&bad),
                "the error never repeats the secret"
            );
        }
        let secret = SigningSecret::parse(SPEC_SECRET, "s").unwrap();
        assert!(!format!("{secret:?}").contains("MfKQ"));
    }

    #[test]
    fn urls_are_http_without_credentials_public_or_from_the_allow_list() {
        let ok = |u: &str, hosts: Option<&str>| parse_webhook_url(u, hosts, "input.url").is_ok();
        assert!(ok("https://hooks.example.com/countersign", None));
        assert!(
            !ok("http://127.0.0.1:9000/x", None),
            "loopback needs the list"
        );
        assert!(!ok("http://169.254.169.254/latest/meta-data/", None));
        assert!(!ok("http://[::ffff:127.0.0.1]/x", None));
        assert!(!ok("ftp://hooks.example.com/x", None));
        assert!(!ok("file:///etc/passwd", None));
        assert!(!ok("https://user:pw@hooks.example.com/x", None));
        assert!(!ok("https://user@hooks.example.com/x", None));
        assert!(!ok("not a url", None));
        let long = format!(
            "https://hooks.example.com/{}",
            "a".repeat(crate::egress::MAX_URL_LEN)
        );
        assert!(!ok(&long, None));
        let hosts = Some(" hooks.example.com, 127.0.0.1 ,[::1]");
        assert!(ok("https://HOOKS.example.com/x", hosts));
        assert!(ok("http://127.0.0.1:8080/x", hosts));
        assert!(ok("http://[::1]:8080/x", hosts));
        assert!(!ok("https://evil.example.net/x", hosts));
        assert!(!ok("https://hooks.example.com.evil.net/x", hosts));
        assert!(
            ok("https://anything.example/x", Some("  ")),
            "blank list allows every public host"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let base = Duration::from_millis(1000);
        let max = Duration::from_millis(10_000);
        for _ in 0..50 {
            for (attempt, full) in [
                (1, 1000),
                (2, 2000),
                (3, 4000),
                (4, 8000),
                (5, 10_000),
                (40, 10_000),
            ] {
                let d = backoff(attempt, base, max).as_millis() as u64;
                assert!((full / 2..=full).contains(&d), "attempt {attempt}: {d}");
            }
        }
    }
}
