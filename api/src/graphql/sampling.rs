//! Sampling QA: the queue of auto-approved requests awaiting a QA verdict, and `reviewSample`.

use async_graphql::{Context, ID, Object};

use super::ContextExt;
use super::requests::parse_id;
use super::types::{ApprovalRequest, ApprovalRequestConnection, SampleVerdict};
use crate::domain::requests::page_size;
use crate::domain::sampling;
use crate::error::ApiResult;

/// Sampling queries.
#[derive(Default)]
pub struct SamplingQuery;

#[Object]
impl SamplingQuery {
    /// Auto-approved requests picked by sampling that still await a QA verdict.
    async fn sample_queue(
        &self,
        ctx: &Context<'_>,
        workflow_key: Option<String>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> ApiResult<ApprovalRequestConnection> {
        let p = ctx.principal()?;
        let first = page_size(Some(first), 50)?;
        let db = ctx.state()?.store.db();
        let page = sampling::queue(db, p, workflow_key.as_deref(), first, after.as_deref()).await?;
        Ok(page.into())
    }
}

/// Sampling mutations.
#[derive(Default)]
pub struct SamplingMutation;

#[Object]
impl SamplingMutation {
    /// Records a QA verdict on a sampled request (holders of its QA role, not the submitter,
    /// once). INCORRECT needs a `reasonCode` and counts as an error for the guardrails.
    async fn review_sample(
        &self,
        ctx: &Context<'_>,
        id: ID,
        verdict: SampleVerdict,
        reason_code: Option<String>,
        comment: Option<String>,
    ) -> ApiResult<ApprovalRequest> {
        let p = ctx.principal()?;
        let id = parse_id(&id, "id")?;
        let store = &ctx.state()?.store;
        let row = sampling::review(store, p, id, verdict.into(), reason_code, comment).await?;
        Ok(ApprovalRequest(row))
    }
}
