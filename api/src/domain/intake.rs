//! Group commit of submissions: one appender per tenant (and process) stores the submissions
//! that arrive together in one transaction, and answers each only after that commit.
//!
//! A submission is validated and evaluated by its caller, concurrently with the others
//! ([`crate::domain::lifecycle::submit`]); what depends on what was stored before it — the
//! duplicate it may repeat, its place in the audit chain — is settled here, in order. While one
//! batch commits, the next one gathers, so under load a commit carries many submissions and the
//! tenant's audit head (the one row every writer of the tenant serialises on) is locked once per
//! batch instead of once per action, and only at the end: reading it, inserting the batch's
//! events and moving it are the last statements before the commit.
//!
//! What a batch reads before it locks the head (the workflows, the webhook subscriptions) is
//! checked against it: every change to those takes the head too, so when the head is still
//! where this appender left it after its previous batch, nothing changed since; otherwise they
//! are read again under the lock. A submission whose workflow changed mode or active policy
//! since it was evaluated goes back to its caller to be evaluated again; one that fails does so
//! alone (the batch is retried one submission at a time).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use countersign_entity::enums::{RequestStatus, Route};
use countersign_entity::{approval_request, approval_step, workflow};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::domain::lifecycle::{Appended, Built, NOT_DUPLICATED, Prepared, SubmitOutcome};
use crate::domain::policy::{CompiledPolicy, compiled_version};
use crate::domain::{audit, event_webhooks, execution, guardrails, notifications, workflows};
use crate::error::{AppError, AppResult};
use crate::store::{Store, ensure_tenant};

/// Submissions per transaction at most (bounded so a statement's bind parameters stay well
/// inside both databases' limits).
const MAX_BATCH: usize = 64;
/// An appender with nothing to do for this long stops; the next submission starts another.
const IDLE: Duration = Duration::from_secs(60);
/// Workflows and policies remembered per process before the memory is cleared.
const MAX_REMEMBERED: usize = 10_000;

type Reply = Result<SubmitOutcome, Appended>;

struct Job {
    prepared: Prepared,
    reply: oneshot::Sender<Reply>,
}

/// The appenders of one store, and what submissions remember between them: the last row read
/// of each workflow (checked in every batch's transaction, so it is a guess, never the truth)
/// and the compiled policy of each (workflow, version) (versions never change).
#[derive(Default)]
pub struct Intake {
    appenders: Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
    workflows: Mutex<HashMap<(String, String), workflow::Model>>,
    policies: Mutex<HashMap<(Uuid, i32), Arc<CompiledPolicy>>>,
    tenants: Mutex<HashSet<String>>,
}

/// The maps hold no invariant a panic elsewhere could break.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Intake {
    /// The workflow `key` of `tenant`: as last seen, or read now when `fresh` (or never seen).
    pub(crate) async fn workflow(
        &self,
        db: &DatabaseConnection,
        tenant: &str,
        key: &str,
        fresh: bool,
    ) -> AppResult<Option<workflow::Model>> {
        let slot = (tenant.to_owned(), key.to_owned());
        if !fresh && let Some(wf) = lock(&self.workflows).get(&slot) {
            return Ok(Some(wf.clone()));
        }
        let found = workflows::get(db, tenant, key).await?;
        match &found {
            Some(wf) => self.remember(wf),
            None => {
                lock(&self.workflows).remove(&slot);
            }
        }
        Ok(found)
    }

    fn remember(&self, wf: &workflow::Model) {
        let mut map = lock(&self.workflows);
        if map.len() >= MAX_REMEMBERED {
            map.clear();
        }
        map.insert((wf.tenant_id.clone(), wf.key.clone()), wf.clone());
    }

    fn forget(&self, wf: &workflow::Model) {
        lock(&self.workflows).remove(&(wf.tenant_id.clone(), wf.key.clone()));
    }

    /// The active policy of `wf`, compiled (once per version and process).
    pub(crate) async fn policy(
        &self,
        db: &DatabaseConnection,
        wf: &workflow::Model,
    ) -> AppResult<Arc<CompiledPolicy>> {
        let slot = (wf.id, wf.active_policy_version);
        if let Some(hit) = lock(&self.policies).get(&slot) {
            return Ok(hit.clone());
        }
        let row = workflows::policy(db, wf, wf.active_policy_version).await?;
        let compiled = compiled_version(row.id, &row.document).map_err(AppError::internal)?;
        let mut map = lock(&self.policies);
        if map.len() >= MAX_REMEMBERED {
            map.clear();
        }
        map.insert(slot, Arc::clone(&compiled));
        Ok(compiled)
    }

    /// Hands `prepared` to its tenant's appender and waits for its answer (given after the
    /// batch carrying it committed, or failed).
    pub(crate) async fn append(&self, store: &Store, prepared: Prepared) -> Reply {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { prepared, reply };
        // A closed appender (idle, or its task ended) is replaced by a new one.
        for _ in 0..3 {
            let sender = self.sender(store, &job.prepared.tenant);
            match sender.send(job) {
                Ok(()) => {
                    // No answer means the job was dropped unwritten (or the appender failed
                    // before answering): preparing it again is safe, its idempotency key
                    // replays it if it was stored.
                    return answer.await.unwrap_or(Err(Appended::Retry));
                }
                Err(mpsc::error::SendError(back)) => job = back,
            }
        }
        Err(Appended::Failed(AppError::internal(
            "the tenant's appender could not be started",
        )))
    }

    fn sender(&self, store: &Store, tenant: &str) -> mpsc::UnboundedSender<Job> {
        let mut map = lock(&self.appenders);
        if let Some(sender) = map.get(tenant).filter(|s| !s.is_closed()) {
            return sender.clone();
        }
        let (sender, jobs) = mpsc::unbounded_channel();
        map.insert(tenant.to_owned(), sender.clone());
        tokio::spawn(run(store.clone(), tenant.to_owned(), jobs));
        sender
    }
}

/// What an appender knows as of its last commit: the audit head it left, and the workflows and
/// webhook subscriptions as they were then. While the head stays there, nothing else appended,
/// so nothing of those changed: a batch then reads none of them.
struct Known {
    seq: i64,
    hash: String,
    workflows: HashMap<Uuid, workflow::Model>,
    subscriptions: Vec<event_webhooks::Subscription>,
}

/// `None` when the appender knows nothing (it started, or its last batch failed).
type Head = Option<Known>;

/// One tenant's appender: takes what is waiting (up to [`MAX_BATCH`]) and commits it.
async fn run(store: Store, tenant: String, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut head: Head = None;
    loop {
        let first = match tokio::time::timeout(IDLE, jobs.recv()).await {
            Ok(Some(job)) => job,
            Ok(None) => return,
            Err(_idle) => {
                // No new jobs after this; the ones already sent are still written.
                jobs.close();
                let mut rest = Vec::new();
                while let Ok(job) = jobs.try_recv() {
                    rest.push(job);
                }
                if !rest.is_empty() {
                    commit(&store, &tenant, rest, &mut head).await;
                }
                return;
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit(&store, &tenant, batch, &mut head).await;
    }
}

/// Why a batch did not commit.
enum Failure {
    /// These submissions' workflows changed since they were evaluated.
    Stale(Vec<usize>),
    /// These submissions' idempotency keys were stored already: their answers.
    Replayed(Vec<(usize, Reply)>),
    /// Anything else.
    Failed(AppError),
}

impl From<AppError> for Failure {
    fn from(err: AppError) -> Failure {
        Failure::Failed(err)
    }
}

impl From<DbErr> for Failure {
    fn from(err: DbErr) -> Failure {
        Failure::Failed(err.into())
    }
}

/// Commits `jobs`, answering each: a batch that fails is retried without the submissions that
/// must be answered otherwise, or one submission at a time.
async fn commit(store: &Store, tenant: &str, jobs: Vec<Job>, head: &mut Head) {
    let mut queue: VecDeque<Vec<Job>> = VecDeque::new();
    queue.push_back(jobs);
    while let Some(mut jobs) = queue.pop_front() {
        // A key repeated within the batch must see its first use committed: cut there.
        let cut = first_repeat(&jobs);
        if cut < jobs.len() {
            queue.push_front(jobs.split_off(cut));
        }
        let items: Vec<&Prepared> = jobs.iter().map(|j| &j.prepared).collect();
        let started = Instant::now();
        let failure = match write(store, tenant, &items, head).await {
            Ok(outcomes) => {
                crate::telemetry::intake_committed(started, outcomes.len());
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    // The caller may have gone; what it sent is stored all the same.
                    let _ = job.reply.send(Ok(outcome));
                }
                continue;
            }
            Err(failure) => failure,
        };
        *head = None;
        let answered: HashMap<usize, Reply> = match failure {
            Failure::Stale(stale) => stale
                .into_iter()
                .map(|i| (i, Err(Appended::Retry)))
                .collect(),
            Failure::Replayed(replies) => replies.into_iter().collect(),
            Failure::Failed(err) if jobs.len() == 1 => {
                HashMap::from([(0, Err(Appended::Failed(err)))])
            }
            Failure::Failed(err) => {
                tracing::warn!(tenant, error = %err, size = jobs.len(), "a batch of submissions failed; writing them one by one");
                for job in jobs.into_iter().rev() {
                    queue.push_front(vec![job]);
                }
                continue;
            }
        };
        let mut answered = answered;
        let mut rest = Vec::new();
        for (i, job) in jobs.into_iter().enumerate() {
            match answered.remove(&i) {
                Some(reply) => {
                    let _ = job.reply.send(reply);
                }
                None => rest.push(job),
            }
        }
        if !rest.is_empty() {
            queue.push_front(rest);
        }
    }
}

/// The index of the first job whose idempotency key an earlier job of the batch has.
fn first_repeat(jobs: &[Job]) -> usize {
    let mut seen = HashSet::new();
    jobs.iter()
        .position(|j| !seen.insert(j.prepared.input.idempotency_key.as_str()))
        .unwrap_or(jobs.len())
}

/// The submissions of `items` whose workflow is not (or no longer) as they were evaluated with.
fn stale(items: &[&Prepared], current: &HashMap<Uuid, workflow::Model>) -> Vec<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(_, p)| match current.get(&p.workflow.id) {
            Some(wf) => {
                wf.mode != p.workflow.mode
                    || wf.active_policy_version != p.workflow.active_policy_version
            }
            None => true,
        })
        .map(|(i, _)| i)
        .collect()
}

/// The workflows `ids` as this transaction reads them; `Stale` (remembering what was read) when
/// some of `items` were evaluated with another mode or policy.
async fn current_workflows(
    conn: &impl ConnectionTrait,
    intake: &Intake,
    ids: &[Uuid],
    items: &[&Prepared],
) -> Result<HashMap<Uuid, workflow::Model>, Failure> {
    let current: HashMap<Uuid, workflow::Model> = workflow::Entity::find()
        .filter(workflow::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|wf| (wf.id, wf))
        .collect();
    let changed = stale(items, &current);
    if !changed.is_empty() {
        current.values().for_each(|wf| intake.remember(wf));
        return Err(Failure::Stale(changed));
    }
    Ok(current)
}

/// For each submission with a duplicate key, the latest stored request of its workflow with
/// that key inside its window that still counts (not REJECTED, CANCELLED or EXPIRED): one
/// query for the batch.
async fn stored_duplicates(
    conn: &impl ConnectionTrait,
    items: &[&Prepared],
) -> AppResult<Vec<Option<Uuid>>> {
    let wanted: Vec<(&Prepared, &str)> = items
        .iter()
        .filter_map(|p| p.eval.duplicate_key.as_deref().map(|k| (*p, k)))
        .collect();
    let Some(since) = wanted.iter().map(|(p, _)| p.duplicate_since()).min() else {
        return Ok(vec![None; items.len()]);
    };
    let found: Vec<(Uuid, Uuid, Option<String>, DateTime<Utc>)> = approval_request::Entity::find()
        .select_only()
        .columns([
            approval_request::Column::Id,
            approval_request::Column::WorkflowId,
            approval_request::Column::DuplicateKey,
            approval_request::Column::SubmittedAt,
        ])
        .filter(
            approval_request::Column::WorkflowId.is_in(wanted.iter().map(|(p, _)| p.workflow.id)),
        )
        .filter(approval_request::Column::DuplicateKey.is_in(wanted.iter().map(|(_, k)| *k)))
        .filter(approval_request::Column::SubmittedAt.gte(since))
        .filter(approval_request::Column::Status.is_not_in(NOT_DUPLICATED))
        .order_by_desc(approval_request::Column::SubmittedAt)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(items
        .iter()
        .map(|p| {
            let key = p.eval.duplicate_key.as_deref()?;
            found
                .iter()
                .find(|(_, wf, k, at)| {
                    *wf == p.workflow.id && k.as_deref() == Some(key) && *at >= p.duplicate_since()
                })
                .map(|(id, ..)| *id)
        })
        .collect())
}

/// Builds each submission in order: one that repeats the duplicate key of an earlier one of
/// the batch (which counts) is its duplicate, else the stored one found is.
fn build_all(items: &[&Prepared], stored: Vec<Option<Uuid>>) -> AppResult<Vec<Built>> {
    let mut built: Vec<Built> = Vec::with_capacity(items.len());
    for (p, stored) in items.iter().zip(stored) {
        let in_batch = p.eval.duplicate_key.as_deref().and_then(|key| {
            built
                .iter()
                .rev()
                .find(|b| {
                    b.row.workflow_id == p.workflow.id
                        && b.row.duplicate_key.as_deref() == Some(key)
                        && !NOT_DUPLICATED.contains(&b.row.status)
                        && b.row.submitted_at >= p.duplicate_since()
                })
                .map(|b| b.row.id)
        });
        built.push(p.build(in_batch.or(stored))?);
    }
    Ok(built)
}

/// Writes one batch in one transaction; the head is locked by its last statements.
async fn write(
    store: &Store,
    tenant: &str,
    items: &[&Prepared],
    head: &mut Head,
) -> Result<Vec<SubmitOutcome>, Failure> {
    let intake = store.intake();
    let t0 = Instant::now();
    let txn = store.begin().await?;
    let t_begin = t0.elapsed();
    let tenant_known = lock(&intake.tenants).contains(tenant);
    if !tenant_known {
        ensure_tenant(&*txn, tenant).await?;
    }
    let mut ids: Vec<Uuid> = items.iter().map(|p| p.workflow.id).collect();
    ids.sort_unstable();
    ids.dedup();
    // What the last batch knew, when it knew every workflow of this one; else read now.
    let known = head
        .as_ref()
        .filter(|k| ids.iter().all(|id| k.workflows.contains_key(id)));
    let (mut current, mut subscriptions) = match known {
        Some(k) => {
            let current: HashMap<Uuid, workflow::Model> = ids
                .iter()
                .filter_map(|id| k.workflows.get(id).map(|wf| (*id, wf.clone())))
                .collect();
            let changed = stale(items, &current);
            if !changed.is_empty() {
                return Err(Failure::Stale(changed));
            }
            (current, k.subscriptions.clone())
        }
        None => (
            current_workflows(&*txn, intake, &ids, items).await?,
            event_webhooks::subscriptions(&*txn, tenant).await?,
        ),
    };

    let stored = stored_duplicates(&*txn, items).await?;
    let mut built = build_all(items, stored)?;
    let inserted: HashSet<Uuid> = approval_request::Entity::insert_many(
        built
            .iter()
            .map(|b| b.row.clone().into_active_model().reset_all()),
    )
    .on_conflict(
        OnConflict::columns([
            approval_request::Column::TenantId,
            approval_request::Column::IdempotencyKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_with_returning_keys(&*txn)
    .await?
    .into_iter()
    .collect();
    if inserted.len() != built.len() {
        return Err(replays(&*txn, tenant, items, &built, &inserted).await?);
    }
    let steps: Vec<approval_step::ActiveModel> = built
        .iter()
        .flat_map(|b| b.steps.iter().cloned())
        .map(|s| s.into_active_model().reset_all())
        .collect();
    if !steps.is_empty() {
        approval_step::Entity::insert_many(steps)
            .exec_without_returning(&*txn)
            .await?;
    }
    let t_before_lock = t0.elapsed();

    // The head, last.
    let locked = audit::lock_head(&*txn, tenant, true).await?;
    let t_locked = t0.elapsed();
    let unmoved = head
        .as_ref()
        .is_some_and(|k| k.seq == locked.audit_seq && k.hash == locked.audit_head_hash);
    if !unmoved {
        // Another writer appended since this appender's last batch: what was read or known
        // above may predate a change that appended before the head was locked. Read it again.
        current = current_workflows(&*txn, intake, &ids, items).await?;
        subscriptions = event_webhooks::subscriptions(&*txn, tenant).await?;
    }
    let (mut seq, mut prev) = (locked.audit_seq, locked.audit_head_hash);
    let mut events = Vec::new();
    for b in &mut built {
        let rows = audit::chain(
            &prev,
            seq,
            tenant,
            b.row.submitted_at,
            std::mem::take(&mut b.events),
            Uuid::now_v7,
        )?;
        if let Some(last) = rows.last() {
            (seq, prev) = (last.seq, last.hash.clone());
        }
        events.extend(rows);
    }
    audit::write(&*txn, tenant, &events).await?;

    // What the events set off, in the same transaction.
    event_webhooks::enqueue_to(&*txn, tenant, &events, &subscriptions).await?;
    let by_key: HashMap<String, workflow::Model> = current
        .values()
        .map(|wf| (wf.key.clone(), wf.clone()))
        .collect();
    notifications::enqueue_known(&*txn, tenant, &events, &by_key).await?;
    let mut tripped = false;
    for (wf_id, at) in guarded_outcomes(items, &built) {
        tripped |= guardrails::check_after_outcome(&*txn, tenant, wf_id, at)
            .await?
            .is_some();
    }
    for b in &built {
        let webhook = current
            .get(&b.row.workflow_id)
            .filter(|wf| wf.webhook_url.is_some());
        if let (RequestStatus::Approved, Some(wf)) = (b.row.status, webhook) {
            execution::enqueue_approval(&*txn, wf, &b.row).await?;
        }
    }
    let t_written = t0.elapsed();
    txn.commit().await?;
    tracing::debug!(
        tenant,
        size = items.len(),
        ?t_begin,
        ?t_before_lock,
        ?t_locked,
        ?t_written,
        total = ?t0.elapsed(),
        "batch of submissions committed"
    );

    if !tenant_known {
        lock(&intake.tenants).insert(tenant.to_owned());
    }
    for wf in current.values() {
        if tripped {
            intake.forget(wf);
        } else {
            intake.remember(wf);
        }
    }
    // A guardrail that tripped appended after the batch's events.
    *head = (!tripped).then(|| {
        // Workflows known from before stay true only if the head had not moved.
        let mut workflows = match head.take() {
            Some(k) if unmoved => k.workflows,
            _ => HashMap::new(),
        };
        if workflows.len() >= MAX_REMEMBERED {
            workflows.clear();
        }
        workflows.extend(current.iter().map(|(id, wf)| (*id, wf.clone())));
        Known {
            seq,
            hash: prev,
            workflows,
            subscriptions,
        }
    });
    Ok(built
        .into_iter()
        .map(|b| SubmitOutcome {
            request: b.row,
            created: true,
        })
        .collect())
}

/// The workflows whose guardrails the batch's outcomes (AUTO or REJECT, not yet people's) may
/// trip, each with its latest outcome's time.
fn guarded_outcomes(items: &[&Prepared], built: &[Built]) -> Vec<(Uuid, DateTime<Utc>)> {
    let mut out: Vec<(Uuid, DateTime<Utc>)> = Vec::new();
    for (p, b) in items.iter().zip(built) {
        if b.row.route == Route::Human || p.compiled.guardrails.is_none() {
            continue;
        }
        match out.iter_mut().find(|(id, _)| *id == b.row.workflow_id) {
            Some((_, at)) => *at = (*at).max(b.row.submitted_at),
            None => out.push((b.row.workflow_id, b.row.submitted_at)),
        }
    }
    out
}

/// The answers of the submissions whose idempotency key was stored already (by an earlier
/// batch, or another replica): a replay of that request, or CONFLICT for another action.
async fn replays(
    conn: &impl ConnectionTrait,
    tenant: &str,
    items: &[&Prepared],
    built: &[Built],
    inserted: &HashSet<Uuid>,
) -> Result<Failure, Failure> {
    let refused: Vec<usize> = (0..built.len())
        .filter(|i| !inserted.contains(&built[*i].row.id))
        .collect();
    let existing: HashMap<String, approval_request::Model> = approval_request::Entity::find()
        .filter(approval_request::Column::TenantId.eq(tenant))
        .filter(
            approval_request::Column::IdempotencyKey.is_in(
                refused
                    .iter()
                    .map(|i| items[*i].input.idempotency_key.as_str()),
            ),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.idempotency_key.clone(), r))
        .collect();
    let mut replies = Vec::with_capacity(refused.len());
    for i in refused {
        let p = items[i];
        let reply = match existing.get(&p.input.idempotency_key) {
            Some(row) => p.replay(row.clone()).map_err(Appended::Failed),
            None => Err(Appended::Failed(AppError::internal(
                "idempotency conflict without a row",
            ))),
        };
        replies.push((i, reply));
    }
    Ok(Failure::Replayed(replies))
}
