//! `me`: who the credential says the caller is.

use async_graphql::{Context, Object, SimpleObject};

use super::ContextExt;
use crate::error::ApiResult;

/// The caller.
#[derive(SimpleObject)]
pub struct Me {
    /// Principal id.
    pub subject: String,
    /// Tenant.
    pub tenant: String,
    /// Roles.
    pub roles: Vec<String>,
}

/// Queries about the caller.
#[derive(Default)]
pub struct MeQuery;

#[Object]
impl MeQuery {
    /// The authenticated caller.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<Me> {
        let p = ctx.principal()?;
        Ok(Me {
            subject: p.subject.clone(),
            tenant: p.tenant.clone(),
            roles: p.roles.clone(),
        })
    }
}
