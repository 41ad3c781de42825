//! Audit log queries (auditor and admin only).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::ContextExt;
use super::requests::parse_id;
use super::types::{AuditEvent, AuditEventConnection, AuditEventEdge, PageInfo};
use crate::auth::{ROLE_ADMIN, ROLE_AUDITOR};
use crate::domain::audit::{self, AuditQuery as DomainQuery};
use crate::domain::requests::page_size;
use crate::error::{ApiResult, AppError};

/// Filter of `auditLog`.
#[derive(InputObject, Default)]
pub struct AuditFilter {
    /// Only this workflow.
    pub workflow_key: Option<String>,
    /// Only this request.
    pub request_id: Option<ID>,
    /// Only these types.
    pub types: Option<Vec<String>>,
    /// Only events after this seq.
    pub after_seq: Option<i64>,
}

/// Result of `verifyAuditChain`.
#[derive(SimpleObject)]
pub struct AuditVerification {
    /// True when every event verified.
    pub ok: bool,
    /// Events checked.
    pub checked: i64,
    /// First seq whose stored hash does not match, or whose predecessor is missing.
    pub first_broken_seq: Option<i64>,
    /// Hash of the last verified event.
    pub head_hash: Option<String>,
}

/// Audit queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The tenant's audit events in `seq` order (auditor, admin).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFilter>,
        #[graphql(default = 100)] first: i32,
        after: Option<String>,
    ) -> ApiResult<AuditEventConnection> {
        let p = ctx.principal()?;
        p.require_any(&[ROLE_AUDITOR, ROLE_ADMIN], "auditLog")?;
        let first = page_size(Some(first), 100)?;
        let filter = filter.unwrap_or_default();
        let mut query = DomainQuery {
            workflow_key: filter.workflow_key,
            request_id: filter
                .request_id
                .as_ref()
                .map(|id| parse_id(id, "filter.requestId"))
                .transpose()?,
            types: filter.types,
            after_seq: filter.after_seq,
        };
        if let Some(after) = after {
            let seq: i64 = after
                .parse()
                .map_err(|_| AppError::bad_input("after", "not a cursor returned by this API"))?;
            query.after_seq = Some(query.after_seq.map_or(seq, |a| a.max(seq)));
        }
        let mut rows = audit::list(ctx.state()?.store.db(), &p.tenant, &query, first + 1).await?;
        let has_next = rows.len() as u64 > first;
        rows.truncate(first as usize);
        let end_cursor = rows.last().map(|r| r.seq.to_string());
        Ok(AuditEventConnection {
            edges: rows
                .into_iter()
                .map(|r| AuditEventEdge {
                    cursor: r.seq.to_string(),
                    node: AuditEvent(r),
                })
                .collect(),
            page_info: PageInfo {
                has_next_page: has_next,
                end_cursor,
            },
        })
    }

    /// Recomputes the tenant's hash chain (auditor, admin).
    async fn verify_audit_chain(&self, ctx: &Context<'_>) -> ApiResult<AuditVerification> {
        let p = ctx.principal()?;
        p.require_any(&[ROLE_AUDITOR, ROLE_ADMIN], "verifyAuditChain")?;
        let v = audit::verify(ctx.state()?.store.db(), &p.tenant).await?;
        Ok(AuditVerification {
            ok: v.ok,
            checked: v.checked,
            first_broken_seq: v.first_broken_seq,
            head_hash: v.head_hash,
        })
    }
}
