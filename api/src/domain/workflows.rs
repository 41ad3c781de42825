//! Workflows: creation (with policy version 1 compiled, validated and ACTIVE), listing, and the
//! policy versions behind them.

use countersign_entity::enums::{PolicyStatus, WorkflowMode};
use countersign_entity::{policy_version, workflow};
use rust_decimal::Decimal;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{Principal, ROLE_ADMIN};
use crate::domain::audit::{self, EventDraft, EventKind, content_hash};
use crate::domain::policy::{
    CompiledPolicy, PolicyDocument, PolicyError, compile_policy, parse_policy,
};
use crate::error::{AppError, AppResult};
use crate::store::{Store, ensure_tenant, is_unique_violation, lock_tenant, now};

/// A workflow key: `[a-z0-9][a-z0-9_-]{1,62}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowKey(String);

impl WorkflowKey {
    /// Parses a key, naming `path` in the error.
    pub fn parse(value: &str, path: &str) -> AppResult<WorkflowKey> {
        let mut chars = value.chars();
        let ok = value.len() >= 2
            && value.len() <= 63
            && chars
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok {
            Ok(WorkflowKey(value.to_owned()))
        } else {
            Err(AppError::bad_input(
                path,
                format!("workflow key {value:?} must match [a-z0-9][a-z0-9_-]{{1,62}}"),
            ))
        }
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// ROI settings as given (each optional; defaults per analytics.md).
#[derive(Debug, Clone, Default)]
pub struct RoiInput {
    /// Manual minutes an auto-approved action saves.
    pub minutes_saved_per_auto: Option<f64>,
    /// Minutes saved when a person approves the AI draft.
    pub minutes_saved_per_assisted: Option<f64>,
    /// Minutes a person spends per decision.
    pub reviewer_minutes_per_decision: Option<f64>,
    /// Hourly rate.
    pub hourly_rate_usd: Option<Decimal>,
}

/// Input of `createWorkflow`.
#[derive(Debug, Clone)]
pub struct NewWorkflow {
    /// Key, unique in the tenant.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Policy document (becomes version 1, ACTIVE).
    pub policy: Value,
    /// ROI settings.
    pub roi: Option<RoiInput>,
}

/// Parses and compiles a policy, reporting errors at `input.policy.<path>`.
pub fn validate_policy(value: &Value, base: &str) -> AppResult<(PolicyDocument, CompiledPolicy)> {
    let to_input = |e: PolicyError| {
        let mut path: Vec<String> = base.split('.').map(str::to_owned).collect();
        path.extend(e.path);
        AppError::BadInput {
            path,
            message: format!("invalid policy: {}", e.message),
        }
    };
    let doc = parse_policy(value).map_err(to_input)?;
    let compiled = compile_policy(&doc).map_err(to_input)?;
    Ok((doc, compiled))
}

fn minutes(value: Option<f64>, default: f64, path: &str) -> AppResult<f64> {
    let v = value.unwrap_or(default);
    if !v.is_finite() || !(0.0..=100_000.0).contains(&v) {
        return Err(AppError::bad_input(
            path,
            "must be a number of minutes between 0 and 100000",
        ));
    }
    Ok(v)
}

/// Creates a workflow with its policy as version 1, ACTIVE (admin only).
pub async fn create(
    store: &Store,
    caller: &Principal,
    input: NewWorkflow,
) -> AppResult<workflow::Model> {
    caller.require_any(&[ROLE_ADMIN], "createWorkflow")?;
    let key = WorkflowKey::parse(&input.key, "input.key")?;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input(
            "input.name",
            "name must be 1-200 characters",
        ));
    }
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 4000)
    {
        return Err(AppError::bad_input(
            "input.description",
            "description is at most 4000 characters",
        ));
    }
    let (doc, _compiled) = validate_policy(&input.policy, "input.policy")?;
    let roi = input.roi.unwrap_or_default();
    // The defaults of analytics.md, from the one place that defines them.
    let defaults = countersign_analytics::RoiSettings::default();
    let per_auto = minutes(
        roi.minutes_saved_per_auto,
        defaults.minutes_saved_per_auto,
        "input.roi.minutesSavedPerAuto",
    )?;
    let per_assisted = minutes(
        roi.minutes_saved_per_assisted,
        defaults.minutes_saved_per_assisted,
        "input.roi.minutesSavedPerAssisted",
    )?;
    let per_decision = minutes(
        roi.reviewer_minutes_per_decision,
        defaults.reviewer_minutes_per_decision,
        "input.roi.reviewerMinutesPerDecision",
    )?;
    let rate = roi.hourly_rate_usd.unwrap_or(defaults.hourly_rate_usd);
    if rate.is_sign_negative() {
        return Err(AppError::bad_input(
            "input.roi.hourlyRateUsd",
            "must not be negative",
        ));
    }
    let document = serde_json::to_value(&doc)?;
    let document_text = serde_json_canonicalizer::to_string(&document)?;

    let at = now();
    let id = Uuid::now_v7();
    let txn = store.begin().await?;
    ensure_tenant(&*txn, &caller.tenant).await?;
    let row = workflow::ActiveModel {
        id: Set(id),
        tenant_id: Set(caller.tenant.clone()),
        key: Set(key.as_str().to_owned()),
        name: Set(name.clone()),
        description: Set(input.description.clone()),
        mode: Set(WorkflowMode::Active),
        mode_reason: Set(None),
        active_policy_version: Set(1),
        minutes_saved_per_auto: Set(per_auto),
        minutes_saved_per_assisted: Set(per_assisted),
        reviewer_minutes_per_decision: Set(per_decision),
        hourly_rate_usd: Set(rate.to_string()),
        created_by: Set(caller.subject.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        // Execution settings start unset.
        ..Default::default()
    };
    let wf = match row.insert(&*txn).await {
        Ok(wf) => wf,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(format!(
                "a workflow with key {:?} already exists",
                key.as_str()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    policy_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(caller.tenant.clone()),
        workflow_id: Set(id),
        version: Set(1),
        status: Set(PolicyStatus::Active),
        document: Set(document_text),
        note: Set(None),
        proposed_by: Set(caller.subject.clone()),
        activated_by: Set(Some(caller.subject.clone())),
        created_at: Set(at),
        activated_at: Set(Some(at)),
        status_reason: Set(None),
    }
    .insert(&*txn)
    .await?;
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![
            EventDraft::new(
                EventKind::WorkflowCreated,
                &caller.subject,
                json!({
                    "name": name,
                    "description": input.description,
                    "policyVersion": 1,
                    "policyHash": content_hash(&document)?,
                    "policy": document,
                    "roi": {
                        "minutesSavedPerAuto": per_auto,
                        "minutesSavedPerAssisted": per_assisted,
                        "reviewerMinutesPerDecision": per_decision,
                        "hourlyRateUsd": rate.to_string(),
                    },
                }),
            )
            .workflow(key.as_str()),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(wf)
}

/// The display name of a tenant's workflow, or its key when the workflow is gone.
pub async fn display_name(
    conn: &impl ConnectionTrait,
    tenant: &str,
    key: &str,
) -> AppResult<String> {
    Ok(get(conn, tenant, key)
        .await?
        .map_or_else(|| key.to_owned(), |w| w.name))
}

/// All workflows of the tenant, by key.
pub async fn list(conn: &impl ConnectionTrait, tenant: &str) -> AppResult<Vec<workflow::Model>> {
    Ok(workflow::Entity::find()
        .filter(workflow::Column::TenantId.eq(tenant))
        .order_by_asc(workflow::Column::Key)
        .all(conn)
        .await?)
}

/// One workflow by key, if it exists in the tenant.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &str,
    key: &str,
) -> AppResult<Option<workflow::Model>> {
    Ok(workflow::Entity::find()
        .filter(workflow::Column::TenantId.eq(tenant))
        .filter(workflow::Column::Key.eq(key))
        .one(conn)
        .await?)
}

/// All policy versions of a workflow, oldest first.
pub async fn policies(
    conn: &impl ConnectionTrait,
    wf: &workflow::Model,
) -> AppResult<Vec<policy_version::Model>> {
    Ok(policy_version::Entity::find()
        .filter(policy_version::Column::WorkflowId.eq(wf.id))
        .order_by_asc(policy_version::Column::Version)
        .all(conn)
        .await?)
}

/// One policy version of a workflow, if it exists.
pub async fn find_policy(
    conn: &impl ConnectionTrait,
    wf: &workflow::Model,
    version: i32,
) -> AppResult<Option<policy_version::Model>> {
    Ok(policy_version::Entity::find()
        .filter(policy_version::Column::WorkflowId.eq(wf.id))
        .filter(policy_version::Column::Version.eq(version))
        .one(conn)
        .await?)
}

/// A policy version the workflow must have (its active one): missing is an internal error.
pub async fn policy(
    conn: &impl ConnectionTrait,
    wf: &workflow::Model,
    version: i32,
) -> AppResult<policy_version::Model> {
    find_policy(conn, wf, version).await?.ok_or_else(|| {
        AppError::internal(format!(
            "workflow {} has no policy version {version}",
            wf.key
        ))
    })
}

/// Switches a workflow's mode (admin, reason required): PAUSED refuses submissions, MANUAL_ONLY
/// routes every AUTO to people. Audited with who and why; setting the current mode again is a
/// no-op.
pub async fn set_mode(
    store: &Store,
    caller: &Principal,
    key: &str,
    mode: WorkflowMode,
    reason: &str,
) -> AppResult<workflow::Model> {
    caller.require_any(&[ROLE_ADMIN], "setWorkflowMode")?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::bad_input(
            "reason",
            "a reason of 1-1000 characters is required",
        ));
    }
    let txn = store.begin().await?;
    lock_tenant(&*txn, &caller.tenant).await?;
    let wf = workflow::Entity::find()
        .filter(workflow::Column::TenantId.eq(caller.tenant.as_str()))
        .filter(workflow::Column::Key.eq(key))
        .lock(LockType::NoKeyUpdate)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("workflow {key:?}")))?;
    if wf.mode == mode {
        return Ok(wf);
    }
    let at = now();
    let from = wf.mode;
    let mut row: workflow::ActiveModel = wf.into();
    row.mode = Set(mode);
    row.mode_reason = Set(Some(reason.to_owned()));
    row.updated_at = Set(at);
    let updated = row.update(&*txn).await?;
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![
            EventDraft::new(
                EventKind::WorkflowModeChanged,
                &caller.subject,
                json!({ "from": mode_name(from), "to": mode_name(mode), "reason": reason }),
            )
            .workflow(key),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

fn mode_name(mode: WorkflowMode) -> &'static str {
    match mode {
        WorkflowMode::Active => "ACTIVE",
        WorkflowMode::ManualOnly => "MANUAL_ONLY",
        WorkflowMode::Paused => "PAUSED",
    }
}
