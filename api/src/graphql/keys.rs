//! API keys: the list (admin) and the mutations.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::ContextExt;
use super::requests::parse_id;
use crate::domain::keys;
use crate::error::ApiResult;

/// A new API key; `key` is shown only here.
#[derive(SimpleObject)]
pub struct ApiKeyCreated {
    /// Key id, for revocation.
    pub id: ID,
    /// The key (`cs_…`): store it now, it is not shown again.
    pub key: String,
    /// Principal the key acts as.
    pub principal: String,
    /// Roles it carries.
    pub roles: Vec<String>,
}

/// An API key as listed: who it acts as, never the secret.
#[derive(SimpleObject)]
pub struct ApiKey {
    /// Key id.
    pub id: ID,
    /// The key's first characters (`cs_…`), to tell keys apart.
    pub prefix: String,
    /// Principal the key acts as.
    pub principal: String,
    /// Roles it carries.
    pub roles: Vec<String>,
    /// Label given at creation.
    pub label: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked; null while it works.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// API key queries.
#[derive(Default)]
pub struct KeyQuery;

#[Object]
impl KeyQuery {
    /// The tenant's API keys, newest first, revoked ones included (admin). Secrets are never shown.
    async fn api_keys(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApiKey>> {
        let p = ctx.principal()?;
        let rows = keys::list(&ctx.state()?.store, p).await?;
        Ok(rows
            .into_iter()
            .map(|k| ApiKey {
                id: ID(k.id.to_string()),
                prefix: k.key_prefix,
                principal: k.principal,
                roles: serde_json::from_str(&k.roles).unwrap_or_default(),
                label: k.label,
                created_by: k.created_by,
                created_at: k.created_at,
                revoked_at: k.revoked_at,
                revoked_by: k.revoked_by,
            })
            .collect())
    }
}

/// API key mutations.
#[derive(Default)]
pub struct KeyMutation;

#[Object]
impl KeyMutation {
    /// Creates an API key bound to the caller's tenant (admin).
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        principal: String,
        roles: Vec<String>,
        label: Option<String>,
    ) -> ApiResult<ApiKeyCreated> {
        let p = ctx.principal()?;
        let k = keys::create(&ctx.state()?.store, p, &principal, roles, label).await?;
        Ok(ApiKeyCreated {
            id: ID(k.id.to_string()),
            key: k.key,
            principal: k.principal,
            roles: k.roles,
        })
    }

    /// Revokes an API key (admin).
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let p = ctx.principal()?;
        let id = parse_id(&id, "id")?;
        Ok(keys::revoke(&ctx.state()?.store, p, id).await?)
    }
}
