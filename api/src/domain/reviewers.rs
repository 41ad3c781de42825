//! The reviewer directory: who a person is when a decision arrives without a bearer token (an
//! email link, a Slack button). An admin keeps it (`upsertReviewer`, `deactivateReviewer`,
//! audited); a decision from such a channel is made as the entry's `subject` with its `roles`
//! and passes exactly the checks `decide` applies.

use countersign_entity::reviewer;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::{Credential, Principal, ROLE_ADMIN, normalize_roles, valid_identifier};
use crate::domain::audit::{self, EventDraft, EventKind};
use crate::error::{AppError, AppResult};
use crate::store::{Store, ensure_tenant, is_unique_violation, now};

/// What an admin writes.
#[derive(Debug, Clone)]
pub struct ReviewerInput {
    /// The principal id decisions are made as.
    pub subject: String,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: Option<String>,
    /// Slack user id.
    pub slack_user_id: Option<String>,
    /// Roles.
    pub roles: Vec<String>,
    /// Whether the person receives notifications and may decide out of band.
    pub active: bool,
}

/// The roles of an entry.
pub fn roles(row: &reviewer::Model) -> Vec<String> {
    serde_json::from_str(&row.roles).unwrap_or_default()
}

/// The principal a directory entry decides as: its subject and roles, nothing else.
pub fn principal(row: &reviewer::Model) -> Principal {
    Principal {
        subject: row.subject.clone(),
        tenant: row.tenant_id.clone(),
        roles: roles(row),
        name: Some(row.name.clone()),
        credential: Credential::Directory,
    }
}

/// An email address as the mail library parses one (`local@domain`, no display name).
pub fn valid_email(email: &str) -> bool {
    email.len() <= 254 && email.parse::<lettre::Address>().is_ok()
}

fn check(input: &ReviewerInput) -> AppResult<(Vec<String>, Option<String>, Option<String>)> {
    if !valid_identifier(input.subject.trim()) {
        return Err(AppError::bad_input(
            "input.subject",
            "1-128 characters of letters, digits, '_', '.', '@', ':' or '-' (the person's token subject)",
        ));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input(
            "input.name",
            "a name of 1-200 characters is required",
        ));
    }
    let email = input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if let Some(email) = email
        && !valid_email(email)
    {
        return Err(AppError::bad_input(
            "input.email",
            format!("{email:?} is not an email address"),
        ));
    }
    let slack = input
        .slack_user_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(slack) = slack
        && (slack.len() > 32
            || !slack.starts_with(['U', 'W'])
            || !slack
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
    {
        return Err(AppError::bad_input(
            "input.slackUserId",
            format!("{slack:?} is not a Slack user id (such as \"U024BE7LH\")"),
        ));
    }
    let roles =
        normalize_roles(input.roles.clone()).map_err(|e| AppError::bad_input("input.roles", e))?;
    if roles.len() > 32 {
        return Err(AppError::bad_input("input.roles", "at most 32 roles"));
    }
    Ok((roles, email.map(str::to_owned), slack.map(str::to_owned)))
}

/// Creates or replaces the entry for `input.subject` (admin).
pub async fn upsert(
    store: &Store,
    caller: &Principal,
    input: ReviewerInput,
) -> AppResult<reviewer::Model> {
    caller.require_any(&[ROLE_ADMIN], "upsertReviewer")?;
    let (roles, email, slack) = check(&input)?;
    let subject = input.subject.trim().to_owned();
    let at = now();
    let txn = store.begin().await?;
    ensure_tenant(&*txn, &caller.tenant).await?;
    let existing = find(&*txn, &caller.tenant, &subject).await?;
    let mut row = match &existing {
        Some(row) => reviewer::ActiveModel::from(row.clone()),
        None => reviewer::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(caller.tenant.clone()),
            subject: Set(subject.clone()),
            created_at: Set(at),
            ..Default::default()
        },
    };
    row.name = Set(input.name.trim().to_owned());
    row.email = Set(email.clone());
    row.slack_user_id = Set(slack.clone());
    row.roles = Set(serde_json::to_string(&roles)?);
    row.active = Set(input.active);
    row.updated_by = Set(caller.subject.clone());
    row.updated_at = Set(at);
    let saved = match existing {
        Some(_) => row.update(&*txn).await,
        None => row.insert(&*txn).await,
    };
    let saved = match saved {
        Ok(saved) => saved,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(format!(
                "another reviewer of this tenant has the Slack user id {}",
                slack.unwrap_or_default()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![EventDraft::new(
            EventKind::ReviewerUpserted,
            &caller.subject,
            json!({ "subject": subject, "name": saved.name, "email": email,
                    "slackUserId": slack, "roles": roles, "active": input.active }),
        )],
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Marks the entry inactive (admin): it receives nothing and may decide nothing out of band.
pub async fn deactivate(
    store: &Store,
    caller: &Principal,
    subject: &str,
) -> AppResult<reviewer::Model> {
    caller.require_any(&[ROLE_ADMIN], "deactivateReviewer")?;
    let at = now();
    let txn = store.begin().await?;
    let row = find(&*txn, &caller.tenant, subject)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("reviewer {subject:?}")))?;
    let mut active: reviewer::ActiveModel = row.into();
    active.active = Set(false);
    active.updated_by = Set(caller.subject.clone());
    active.updated_at = Set(at);
    let saved = active.update(&*txn).await?;
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![EventDraft::new(
            EventKind::ReviewerDeactivated,
            &caller.subject,
            json!({ "subject": subject }),
        )],
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// The tenant's directory, by subject (admin and auditor).
pub async fn list(
    conn: &impl ConnectionTrait,
    caller: &Principal,
) -> AppResult<Vec<reviewer::Model>> {
    if !caller.reads_everything() {
        return Err(AppError::Forbidden(
            "reviewers needs one of the roles: admin, auditor".into(),
        ));
    }
    Ok(reviewer::Entity::find()
        .filter(reviewer::Column::TenantId.eq(caller.tenant.as_str()))
        .order_by_asc(reviewer::Column::Subject)
        .all(conn)
        .await?)
}

/// One entry by subject.
pub async fn find(
    conn: &impl ConnectionTrait,
    tenant: &str,
    subject: &str,
) -> AppResult<Option<reviewer::Model>> {
    Ok(reviewer::Entity::find()
        .filter(reviewer::Column::TenantId.eq(tenant))
        .filter(reviewer::Column::Subject.eq(subject))
        .one(conn)
        .await?)
}

/// The active entries holding `role`, by subject.
pub async fn with_role(
    conn: &impl ConnectionTrait,
    tenant: &str,
    role: &str,
) -> AppResult<Vec<reviewer::Model>> {
    let rows = reviewer::Entity::find()
        .filter(reviewer::Column::TenantId.eq(tenant))
        .filter(reviewer::Column::Active.eq(true))
        .order_by_asc(reviewer::Column::Subject)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| roles(r).iter().any(|held| held == role))
        .collect())
}
