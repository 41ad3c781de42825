//! API keys for agents: created by an admin (shown once), stored only as SHA-256 hashes, bound to a
//! tenant, a principal and roles, revocable.

use base64::Engine;
use countersign_entity::api_key;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::{Credential, Principal, ROLE_ADMIN, normalize_roles, valid_identifier};
use crate::domain::audit::{self, EventDraft, EventKind};
use crate::error::{AppError, AppResult};
use crate::store::{Store, ensure_tenant, now};

/// Every key starts with this, which is how a bearer value is told apart from a JWT.
pub const KEY_PREFIX: &str = "cs_";

/// A freshly created key; `key` is shown this once.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// Key id (for revocation).
    pub id: Uuid,
    /// The secret key.
    pub key: String,
    /// Principal the key acts as.
    pub principal: String,
    /// Roles the key carries.
    pub roles: Vec<String>,
}

fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Creates a key (admin only).
pub async fn create(
    store: &Store,
    caller: &Principal,
    principal: &str,
    roles: Vec<String>,
    label: Option<String>,
) -> AppResult<CreatedKey> {
    caller.require_any(&[ROLE_ADMIN], "createApiKey")?;
    let principal = principal.trim();
    if !valid_identifier(principal) {
        return Err(AppError::bad_input(
            "principal",
            "principal must be 1-128 characters of letters, digits, '_', '.', '@', ':' or '-'",
        ));
    }
    let roles = normalize_roles(roles).map_err(|e| AppError::bad_input("roles", e))?;
    if roles.is_empty() || roles.len() > 32 {
        return Err(AppError::bad_input("roles", "give between 1 and 32 roles"));
    }
    if label.as_ref().is_some_and(|l| l.chars().count() > 200) {
        return Err(AppError::bad_input(
            "label",
            "label is at most 200 characters",
        ));
    }
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let key = format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let id = Uuid::now_v7();
    let at = now();

    let txn = store.begin().await?;
    ensure_tenant(&*txn, &caller.tenant).await?;
    api_key::ActiveModel {
        id: Set(id),
        tenant_id: Set(caller.tenant.clone()),
        principal: Set(principal.to_owned()),
        roles: Set(serde_json::to_string(&roles)?),
        label: Set(label.clone()),
        key_hash: Set(hash_key(&key)),
        key_prefix: Set(key.chars().take(10).collect()),
        created_by: Set(caller.subject.clone()),
        created_at: Set(at),
        revoked_at: Set(None),
        revoked_by: Set(None),
    }
    .insert(&*txn)
    .await?;
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![EventDraft::new(
            EventKind::ApiKeyCreated,
            &caller.subject,
            json!({ "keyId": id, "principal": principal, "roles": roles, "label": label, "keyPrefix": key.chars().take(10).collect::<String>() }),
        )],
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedKey {
        id,
        key,
        principal: principal.to_owned(),
        roles,
    })
}

/// The tenant's API keys, newest first, revoked ones included (admin only). Never the secret.
pub async fn list(store: &Store, caller: &Principal) -> AppResult<Vec<api_key::Model>> {
    caller.require_any(&[ROLE_ADMIN], "apiKeys")?;
    Ok(api_key::Entity::find()
        .filter(api_key::Column::TenantId.eq(caller.tenant.as_str()))
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_desc(api_key::Column::Id)
        .all(store.db())
        .await?)
}

/// Revokes a key (admin only). Revoking a revoked key is a no-op that still answers true.
pub async fn revoke(store: &Store, caller: &Principal, id: Uuid) -> AppResult<bool> {
    caller.require_any(&[ROLE_ADMIN], "revokeApiKey")?;
    let txn = store.begin().await?;
    let found = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::TenantId.eq(caller.tenant.as_str()))
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("API key {id}")))?;
    if found.revoked_at.is_some() {
        return Ok(true);
    }
    let at = now();
    let mut row: api_key::ActiveModel = found.clone().into();
    row.revoked_at = Set(Some(at));
    row.revoked_by = Set(Some(caller.subject.clone()));
    row.update(&*txn).await?;
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![EventDraft::new(
            EventKind::ApiKeyRevoked,
            &caller.subject,
            json!({ "keyId": id, "principal": found.principal }),
        )],
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Looks a presented key up by its hash; `None` when unknown or revoked.
pub async fn authenticate(conn: &impl ConnectionTrait, key: &str) -> AppResult<Option<Principal>> {
    let Some(row) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash_key(key)))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() {
        return Ok(None);
    }
    let roles: Vec<String> = serde_json::from_str(&row.roles)?;
    Ok(Some(Principal {
        subject: row.principal,
        tenant: row.tenant_id,
        roles,
        name: row.label,
        credential: Credential::ApiKey(row.id),
    }))
}
