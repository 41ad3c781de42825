//! `approvalEvents`: a tail of the audit log. With `afterSeq` the missed events are replayed from
//! the table first, then live ones follow, in seq order with no gap and no duplicate. A subscriber
//! sees its tenant's events for the workflows it may see (admin and auditor: everything; others:
//! workflows whose active policy names one of their roles).

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{Context, Subscription};
use countersign_entity::audit_event;
use futures::Stream;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use super::ContextExt;
use super::types::AuditEvent;
use crate::AppState;
use crate::auth::Principal;
use crate::domain::audit::{self, AuditQuery};
use crate::domain::workflows;
use crate::error::{ApiError, AppError, AppResult};

const REPLAY_PAGE: u64 = 500;

/// Which events a subscriber may see.
struct Access {
    everything: bool,
    workflows: HashSet<String>,
}

impl Access {
    async fn load(state: &AppState, caller: &Principal) -> AppResult<Access> {
        if caller.reads_everything() {
            return Ok(Access {
                everything: true,
                workflows: HashSet::new(),
            });
        }
        let mut allowed = HashSet::new();
        for wf in workflows::list(state.store.db(), &caller.tenant).await? {
            let policy = workflows::policy(state.store.db(), &wf, wf.active_policy_version).await?;
            let doc: Value = serde_json::from_str(&policy.document)?;
            if policy_roles(&doc).iter().any(|r| caller.has_role(r)) {
                allowed.insert(wf.key);
            }
        }
        Ok(Access {
            everything: false,
            workflows: allowed,
        })
    }

    fn sees(&self, event: &audit_event::Model) -> bool {
        self.everything
            || event
                .workflow_key
                .as_ref()
                .is_some_and(|k| self.workflows.contains(k))
    }
}

/// Every role a policy document names: step roles, the escalation role, sample roles.
fn policy_roles(doc: &Value) -> Vec<String> {
    let mut roles = Vec::new();
    let mut route = |r: &Value| {
        if let Some(steps) = r["steps"].as_array() {
            roles.extend(
                steps
                    .iter()
                    .filter_map(|s| s["role"].as_str().map(str::to_owned)),
            );
        }
        if let Some(role) = r["sampleRole"].as_str() {
            roles.push(role.to_owned());
        }
    };
    if let Some(rules) = doc["rules"].as_array() {
        rules.iter().for_each(&mut route);
    }
    route(&doc["default"]);
    if let Some(role) = doc["escalation"]["toRole"].as_str() {
        roles.push(role.to_owned());
    }
    roles
}

/// Events after which what a subscriber may see can change.
fn changes_access(event: &audit_event::Model) -> bool {
    matches!(
        event.event_type.as_str(),
        "WORKFLOW_CREATED" | "POLICY_ACTIVATED" | "POLICY_ROLLED_BACK"
    )
}

/// The subscription root.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Every audit event the caller may see, in audit order. With afterSeq, missed events are replayed first, then live ones follow, with no gap and no duplicate.
    async fn approval_events(
        &self,
        ctx: &Context<'_>,
        workflow_key: Option<String>,
        after_seq: Option<i64>,
    ) -> Result<impl Stream<Item = Result<AuditEvent, ApiError>> + use<>, ApiError> {
        let caller = ctx.principal()?.clone();
        let state = ctx.state()?.clone();
        let access = Access::load(&state, &caller).await?;
        if let Some(key) = &workflow_key {
            if workflows::get(state.store.db(), &caller.tenant, key)
                .await?
                .is_none()
            {
                return Err(AppError::NotFound(format!("workflow {key:?}")).into());
            }
            if !access.everything && !access.workflows.contains(key) {
                return Err(AppError::Forbidden(format!(
                    "no role of yours is named in the policy of workflow {key:?}"
                ))
                .into());
            }
        }
        if after_seq.is_some_and(|s| s < 0) {
            return Err(AppError::bad_input("afterSeq", "afterSeq must not be negative").into());
        }
        // Subscribe before replaying, so nothing committed meanwhile falls between the two.
        let mut feed = state.events.subscribe(&caller.tenant).await?;
        let start = match (after_seq, ctx.data_opt::<LiveFrom>()) {
            (Some(seq), _) => seq,
            (None, Some(LiveFrom(seq))) => *seq,
            (None, None) => tenant_head(&state, &caller.tenant).await?,
        };
        let buffer = state.settings.subscriber_buffer;
        Ok(async_stream::stream! {
            let mut access = access;
            let mut cursor = start;
            let wanted = |e: &audit_event::Model, access: &Access| {
                access.sees(e) && workflow_key.as_ref().is_none_or(|k| e.workflow_key.as_ref() == Some(k))
            };
            // Replay what the subscriber missed, straight from the table.
            loop {
                let query = AuditQuery { after_seq: Some(cursor), ..Default::default() };
                let page = match audit::list(state.store.db(), &caller.tenant, &query, REPLAY_PAGE).await {
                    Ok(page) => page,
                    Err(e) => { yield Err(e.into()); return; }
                };
                let n = page.len() as u64;
                for event in page {
                    cursor = event.seq;
                    if changes_access(&event) {
                        match Access::load(&state, &caller).await { Ok(a) => access = a, Err(e) => { yield Err(e.into()); return; } }
                    }
                    if wanted(&event, &access) {
                        yield Ok(AuditEvent(event));
                    }
                }
                if n < REPLAY_PAGE {
                    break;
                }
            }
            // Then live events, skipping what the replay already gave and filling any gap from the
            // table.
            loop {
                let event: Arc<audit_event::Model> = match feed.rx.recv().await {
                    Ok(event) => event,
                    Err(RecvError::Lagged(_)) => {
                        yield Err(AppError::Conflict(format!(
                            "this subscriber fell more than {buffer} events behind and was closed; subscribe again with afterSeq: {cursor}"
                        )).into());
                        return;
                    }
                    Err(RecvError::Closed) => return,
                };
                if event.seq <= cursor {
                    continue;
                }
                let mut pending = Vec::new();
                if event.seq > cursor + 1 {
                    let query = AuditQuery { after_seq: Some(cursor), ..Default::default() };
                    match audit::list(state.store.db(), &caller.tenant, &query, (event.seq - cursor - 1) as u64).await {
                        Ok(missed) => pending.extend(missed),
                        Err(e) => { yield Err(e.into()); return; }
                    }
                }
                pending.push((*event).clone());
                for event in pending {
                    if event.seq != cursor + 1 {
                        continue;
                    }
                    cursor = event.seq;
                    if changes_access(&event) {
                        match Access::load(&state, &caller).await { Ok(a) => access = a, Err(e) => { yield Err(e.into()); return; } }
                    }
                    if wanted(&event, &access) {
                        yield Ok(AuditEvent(event));
                    }
                }
            }
        })
    }
}

/// Where a live-only subscription starts: the tenant's head when the transport received the
/// subscribe message.
pub(crate) struct LiveFrom(pub i64);

/// The tenant's last audit seq (0 when it has none).
pub(crate) async fn tenant_head(state: &AppState, tenant_id: &str) -> AppResult<i64> {
    use sea_orm::EntityTrait;
    Ok(
        countersign_entity::tenant::Entity::find_by_id(tenant_id.to_owned())
            .one(state.store.db())
            .await?
            .map_or(0, |t| t.audit_seq),
    )
}
