//! The audit log: appending events in the caller's transaction (per-tenant gap-free `seq`,
//! SHA-256 chain over canonical JSON), reading it back, and verifying the chain.

use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::HashMap;

use countersign_entity::{audit_event, tenant, workflow};
use sea_orm::sea_query::{Alias, Expr, Func, LockType, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::store::GENESIS_HASH;

/// PostgreSQL NOTIFY channel announcing new audit events (payload: the tenant id).
pub const AUDIT_CHANNEL: &str = "countersign_audit";

/// Audit event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// An agent submitted an action.
    RequestSubmitted,
    /// The policy approved it at once.
    AutoApproved,
    /// A step opened for decisions.
    StepOpened,
    /// One approval towards a step's quorum that did not complete it.
    ApprovalRecorded,
    /// A step reached its quorum.
    StepApproved,
    /// Every step approved: the request is approved.
    RequestApproved,
    /// Rejected, by a person or by the policy.
    RequestRejected,
    /// A workflow was created (policy v1 active).
    WorkflowCreated,
    /// A workflow's mode changed (kill switch / manual review).
    WorkflowModeChanged,
    /// A policy version was proposed.
    PolicyProposed,
    /// A proposed policy version was activated by a second admin.
    PolicyActivated,
    /// A proposed policy version was declined.
    PolicyDeclined,
    /// An earlier policy version was re-activated (emergency path).
    PolicyRolledBack,
    /// An overdue step was escalated.
    RequestEscalated,
    /// A pending request passed `expireAfter`.
    RequestExpired,
    /// A pending request was cancelled.
    RequestCancelled,
    /// A QA verdict on a sampled request.
    SampleReviewed,
    /// A guardrail bound was exceeded and the workflow went to MANUAL_ONLY.
    GuardrailTripped,
    /// An execution webhook was set or removed.
    ExecutionWebhookSet,
    /// One delivery attempt of an outbound webhook (status code, latency; never the secret).
    WebhookAttempted,
    /// An action was executed (or failed to be), reported by an agent or a webhook delivery.
    ExecutionReported,
    /// An executed action was rolled back.
    ActionRolledBack,
    /// An API key was created.
    ApiKeyCreated,
    /// An API key was revoked.
    ApiKeyRevoked,
    /// An event-webhook subscription was created (never with its secret).
    WebhookSubscriptionCreated,
    /// A subscription's url, event types, workflows, description or status changed.
    WebhookSubscriptionUpdated,
    /// A subscription's signing secret was replaced.
    WebhookSecretRotated,
    /// A subscription was deleted.
    WebhookSubscriptionDeleted,
    /// A test `ping` was sent to a subscription.
    WebhookSubscriptionTested,
    /// The server disabled a subscription that kept failing.
    WebhookSubscriptionDisabled,
    /// An admin created or changed a reviewer directory entry.
    ReviewerUpserted,
    /// An admin deactivated a reviewer directory entry.
    ReviewerDeactivated,
    /// An admin set a workflow's notification channels.
    NotificationChannelsSet,
}

impl EventKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RequestSubmitted => "REQUEST_SUBMITTED",
            EventKind::AutoApproved => "AUTO_APPROVED",
            EventKind::StepOpened => "STEP_OPENED",
            EventKind::ApprovalRecorded => "APPROVAL_RECORDED",
            EventKind::StepApproved => "STEP_APPROVED",
            EventKind::RequestApproved => "REQUEST_APPROVED",
            EventKind::RequestRejected => "REQUEST_REJECTED",
            EventKind::WorkflowCreated => "WORKFLOW_CREATED",
            EventKind::WorkflowModeChanged => "WORKFLOW_MODE_CHANGED",
            EventKind::PolicyProposed => "POLICY_PROPOSED",
            EventKind::PolicyActivated => "POLICY_ACTIVATED",
            EventKind::PolicyDeclined => "POLICY_DECLINED",
            EventKind::PolicyRolledBack => "POLICY_ROLLED_BACK",
            EventKind::RequestEscalated => "REQUEST_ESCALATED",
            EventKind::RequestExpired => "REQUEST_EXPIRED",
            EventKind::RequestCancelled => "REQUEST_CANCELLED",
            EventKind::SampleReviewed => "SAMPLE_REVIEWED",
            EventKind::GuardrailTripped => "GUARDRAIL_TRIPPED",
            EventKind::ExecutionWebhookSet => "EXECUTION_WEBHOOK_SET",
            EventKind::WebhookAttempted => "WEBHOOK_ATTEMPTED",
            EventKind::ExecutionReported => "EXECUTION_REPORTED",
            EventKind::ActionRolledBack => "ACTION_ROLLED_BACK",
            EventKind::ApiKeyCreated => "API_KEY_CREATED",
            EventKind::ApiKeyRevoked => "API_KEY_REVOKED",
            EventKind::WebhookSubscriptionCreated => "WEBHOOK_SUBSCRIPTION_CREATED",
            EventKind::WebhookSubscriptionUpdated => "WEBHOOK_SUBSCRIPTION_UPDATED",
            EventKind::WebhookSecretRotated => "WEBHOOK_SECRET_ROTATED",
            EventKind::WebhookSubscriptionDeleted => "WEBHOOK_SUBSCRIPTION_DELETED",
            EventKind::WebhookSubscriptionTested => "WEBHOOK_SUBSCRIPTION_TESTED",
            EventKind::WebhookSubscriptionDisabled => "WEBHOOK_SUBSCRIPTION_DISABLED",
            EventKind::ReviewerUpserted => "REVIEWER_UPSERTED",
            EventKind::ReviewerDeactivated => "REVIEWER_DEACTIVATED",
            EventKind::NotificationChannelsSet => "NOTIFICATION_CHANNELS_SET",
        }
    }
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct EventDraft {
    /// Type.
    pub kind: EventKind,
    /// Principal id, or `system`.
    pub actor: String,
    /// Workflow key, when the event concerns one.
    pub workflow_key: Option<String>,
    /// Request id, when the event concerns one.
    pub request_id: Option<Uuid>,
    /// What changed.
    pub data: Value,
}

impl EventDraft {
    /// A draft with the given type, actor and data.
    pub fn new(kind: EventKind, actor: &str, data: Value) -> Self {
        EventDraft {
            kind,
            actor: actor.to_owned(),
            workflow_key: None,
            request_id: None,
            data,
        }
    }
    /// Sets the workflow key.
    pub fn workflow(mut self, key: &str) -> Self {
        self.workflow_key = Some(key.to_owned());
        self
    }
    /// Sets the request id.
    pub fn request(mut self, id: Uuid) -> Self {
        self.request_id = Some(id);
        self
    }
}

/// SHA-256 (hex) of a JSON value's canonical (RFC 8785) encoding: the hash an approval binds to.
pub fn content_hash(value: &Value) -> AppResult<String> {
    let bytes = serde_json_canonicalizer::to_vec(value)?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// RFC 3339 with microseconds and `Z`: the one text form of times in hashed events.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn event_hash(prev_hash: &str, row: &audit_event::Model, data: &Value) -> AppResult<String> {
    let canonical = serde_json_canonicalizer::to_vec(&json!({
        "v": 1,
        "tenant": row.tenant_id,
        "seq": row.seq,
        "id": row.id.hyphenated().to_string(),
        "type": row.event_type,
        "at": format_time(row.at),
        "actor": row.actor,
        "workflowKey": row.workflow_key,
        "requestId": row.request_id.map(|id| id.hyphenated().to_string()),
        "data": data,
    }))?;
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(&canonical);
    Ok(hex::encode(hasher.finalize()))
}

/// Links `drafts` to a chain whose head is `prev_hash` at `last_seq`: the rows `append` writes,
/// with `seq` continuing gap-free from `last_seq`, each at `at`, ids from `new_id`, each hashed
/// over its predecessor. Pure: it reads and writes nothing.
pub fn chain(
    prev_hash: &str,
    last_seq: i64,
    tenant_id: &str,
    at: DateTime<Utc>,
    drafts: Vec<EventDraft>,
    mut new_id: impl FnMut() -> Uuid,
) -> AppResult<Vec<audit_event::Model>> {
    let mut prev = prev_hash.to_owned();
    let mut rows = Vec::with_capacity(drafts.len());
    for (seq, draft) in (last_seq + 1..).zip(drafts) {
        let data_text = serde_json_canonicalizer::to_string(&draft.data)?;
        let mut row = audit_event::Model {
            id: new_id(),
            tenant_id: tenant_id.to_owned(),
            seq,
            event_type: draft.kind.as_str().to_owned(),
            at,
            actor: draft.actor,
            workflow_key: draft.workflow_key,
            request_id: draft.request_id,
            data: data_text,
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        row.hash = event_hash(&prev, &row, &draft.data)?;
        prev = row.hash.clone();
        rows.push(row);
    }
    Ok(rows)
}

/// Appends `drafts` to the tenant's chain inside the caller's transaction. The tenant row is
/// locked (`FOR UPDATE`) for the rest of the transaction, so concurrent writers in one tenant
/// queue here and `seq` never repeats or skips; a rolled-back transaction takes its numbers back.
/// The events' event-webhook deliveries are written here too, so they commit (or not) with them;
/// callers append after their other writes, so a request in a delivery is as the transaction
/// leaves it.
pub async fn append(
    txn: &impl ConnectionTrait,
    tenant_id: &str,
    at: DateTime<Utc>,
    drafts: Vec<EventDraft>,
) -> AppResult<Vec<audit_event::Model>> {
    let head = lock_head(txn, tenant_id, !drafts.is_empty()).await?;
    let rows = chain_after(&head, at, drafts)?;
    if rows.is_empty() {
        return Ok(rows);
    }
    write(txn, tenant_id, &rows).await?;
    crate::domain::event_webhooks::enqueue(txn, tenant_id, &rows).await?;
    crate::domain::notifications::enqueue(txn, tenant_id, &rows).await?;
    Ok(rows)
}

/// [`append`] for events of one workflow, which is read right after the head is locked (so
/// as the log stands at these events) and returned with them: for the caller's own use of it in
/// the same transaction, and to spare the event's notifications reading it again.
pub async fn append_for_workflow(
    txn: &impl ConnectionTrait,
    tenant_id: &str,
    at: DateTime<Utc>,
    drafts: Vec<EventDraft>,
    workflow_id: Uuid,
) -> AppResult<(Vec<audit_event::Model>, workflow::Model)> {
    let head = lock_head(txn, tenant_id, true).await?;
    let wf = workflow::Entity::find_by_id(workflow_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal(format!("workflow {workflow_id} vanished")))?;
    let rows = chain_after(&head, at, drafts)?;
    write(txn, tenant_id, &rows).await?;
    crate::domain::event_webhooks::enqueue(txn, tenant_id, &rows).await?;
    let known = HashMap::from([(wf.key.clone(), wf.clone())]);
    crate::domain::notifications::enqueue_known(txn, tenant_id, &rows, &known).await?;
    Ok((rows, wf))
}

/// [`chain`] continuing `head`, with fresh ids.
fn chain_after(
    head: &tenant::Model,
    at: DateTime<Utc>,
    drafts: Vec<EventDraft>,
) -> AppResult<Vec<audit_event::Model>> {
    chain(
        &head.audit_head_hash,
        head.audit_seq,
        &head.id,
        at,
        drafts,
        Uuid::now_v7,
    )
}

/// Reads the tenant's head and locks it for the rest of the transaction.
///
/// With `notify` (the caller appends), the same round trip sends the other replicas' event hubs
/// a hint on PostgreSQL, delivered when (and only if) the transaction commits; the audit table
/// stays the truth, so a lost notification loses nothing. Nothing on SQLite (one process).
///
/// FOR NO KEY UPDATE, not FOR UPDATE: every insert in the transaction holds a KEY SHARE lock on
/// this row through its tenant_id foreign key, and FOR UPDATE would conflict with the other
/// writers' KEY SHARE locks and deadlock; NO KEY UPDATE only queues writers behind each other.
pub(crate) async fn lock_head(
    txn: &impl ConnectionTrait,
    tenant_id: &str,
    notify: bool,
) -> AppResult<tenant::Model> {
    let mut select = tenant::Entity::find_by_id(tenant_id.to_owned()).lock(LockType::NoKeyUpdate);
    if notify && txn.get_database_backend() == DbBackend::Postgres {
        // Identical notifications of one transaction are delivered once.
        select = select.column_as(
            SimpleExpr::from(
                Func::cust(Alias::new("pg_notify"))
                    .arg(Expr::val(AUDIT_CHANNEL))
                    .arg(Expr::val(tenant_id)),
            ),
            "notified",
        );
    }
    select.one(txn).await?.ok_or_else(|| {
        AppError::internal(format!("tenant row {tenant_id} missing at audit append"))
    })
}

/// Inserts chained `rows` (non-empty, continuing the head read by [`lock_head`] in this
/// transaction) and moves the head to the last of them: on PostgreSQL in one statement, so the
/// head, locked until the commit, waits one round trip less.
pub(crate) async fn write(
    txn: &impl ConnectionTrait,
    tenant_id: &str,
    rows: &[audit_event::Model],
) -> AppResult<()> {
    let Some(last) = rows.last() else {
        return Ok(());
    };
    let backend = txn.get_database_backend();
    let insert = audit_event::Entity::insert_many(
        rows.iter()
            .cloned()
            .map(|m| m.into_active_model().reset_all()),
    );
    if backend == DbBackend::Postgres {
        let insert = insert.build(backend);
        let mut values = insert.values.map(|v| v.0).unwrap_or_default();
        let n = values.len();
        let sql = format!(
            "WITH appended AS ({}) UPDATE \"tenants\" SET \"audit_seq\" = ${}, \
             \"audit_head_hash\" = ${} WHERE \"id\" = ${}",
            insert.sql,
            n + 1,
            n + 2,
            n + 3
        );
        values.extend([last.seq.into(), last.hash.clone().into(), tenant_id.into()]);
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        return Ok(());
    }
    insert.exec_without_returning(txn).await?;
    tenant::Entity::update_many()
        .col_expr(tenant::Column::AuditSeq, Expr::value(last.seq))
        .col_expr(
            tenant::Column::AuditHeadHash,
            Expr::value(last.hash.clone()),
        )
        .filter(tenant::Column::Id.eq(tenant_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Filter for reading the log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this workflow.
    pub workflow_key: Option<String>,
    /// Only this request.
    pub request_id: Option<Uuid>,
    /// Only these types.
    pub types: Option<Vec<String>>,
    /// Only events after this seq.
    pub after_seq: Option<i64>,
}

/// Reads up to `limit` events of the tenant in `seq` order.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant_id: &str,
    query: &AuditQuery,
    limit: u64,
) -> AppResult<Vec<audit_event::Model>> {
    let mut cond = Condition::all().add(audit_event::Column::TenantId.eq(tenant_id));
    if let Some(key) = &query.workflow_key {
        cond = cond.add(audit_event::Column::WorkflowKey.eq(key.as_str()));
    }
    if let Some(id) = query.request_id {
        cond = cond.add(audit_event::Column::RequestId.eq(id));
    }
    if let Some(types) = &query.types {
        cond = cond.add(audit_event::Column::EventType.is_in(types.iter().cloned()));
    }
    if let Some(after) = query.after_seq {
        cond = cond.add(audit_event::Column::Seq.gt(after));
    }
    Ok(audit_event::Entity::find()
        .filter(cond)
        .order_by_asc(audit_event::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?)
}

/// The result of checking a tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// True when every event verified and the chain reaches the recorded head.
    pub ok: bool,
    /// Events verified before the first break (all of them when ok).
    pub checked: i64,
    /// First seq whose stored hash does not match, or whose predecessor is missing.
    pub first_broken_seq: Option<i64>,
    /// Hash of the last verified event.
    pub head_hash: Option<String>,
}

/// Recomputes the tenant's whole chain, page by page.
pub async fn verify(conn: &impl ConnectionTrait, tenant_id: &str) -> AppResult<Verification> {
    const PAGE: u64 = 2_000;
    let mut expected_seq = 1i64;
    let mut prev = GENESIS_HASH.to_owned();
    let mut checked = 0i64;
    let mut after = 0i64;
    let broken = |seq: i64, checked: i64, prev: &str| Verification {
        ok: false,
        checked,
        first_broken_seq: Some(seq),
        head_hash: (checked > 0).then(|| prev.to_owned()),
    };
    loop {
        let page = list(
            conn,
            tenant_id,
            &AuditQuery {
                after_seq: Some(after),
                ..Default::default()
            },
            PAGE,
        )
        .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let full = page.len() as u64 == PAGE;
        for row in page {
            // A gap (deleted predecessor) or a link to another hash (edited or reordered
            // predecessor) breaks the chain at this event.
            if row.seq != expected_seq || row.prev_hash != prev {
                return Ok(broken(row.seq, checked, &prev));
            }
            let data: Value = match serde_json::from_str(&row.data) {
                Ok(v) => v,
                Err(_) => return Ok(broken(row.seq, checked, &prev)),
            };
            if event_hash(&prev, &row, &data)? != row.hash {
                return Ok(broken(row.seq, checked, &prev));
            }
            prev = row.hash;
            expected_seq += 1;
            checked += 1;
        }
        if !full {
            break;
        }
    }
    // The tenant row records the head: events cut off the end of the chain show up here.
    if let Some(head) = tenant::Entity::find_by_id(tenant_id.to_owned())
        .one(conn)
        .await?
        && (head.audit_seq != checked || head.audit_head_hash != prev)
    {
        return Ok(broken(checked + 1, checked, &prev));
    }
    Ok(Verification {
        ok: true,
        checked,
        first_broken_seq: None,
        head_hash: (checked > 0).then_some(prev),
    })
}
