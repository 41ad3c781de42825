//! API key mutations.

use async_graphql::{Context, ID, Object, SimpleObject};

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
