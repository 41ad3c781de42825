//! Sampling QA (policy.md 6 and 9): the queue of auto-approved requests picked for QA that still
//! await a verdict, and recording a verdict. A verdict is audited as SAMPLE_REVIEWED and, being a
//! final outcome, runs the guardrails in the same transaction (INCORRECT counts as an error).

use chrono::{DateTime, Utc};
use countersign_entity::approval_request;
use countersign_entity::enums::SampleVerdict;
use sea_orm::sea_query::{Expr, ExprTrait, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Principal;
use crate::domain::audit::{self, EventDraft, EventKind, format_time};
use crate::domain::guardrails;
use crate::domain::requests::{Count, Page, decode_cursor, into_page};
use crate::error::{AppError, AppResult};
use crate::store::{Store, now};

const MAX_REASON_CODE: usize = 64;
const MAX_COMMENT: usize = 10_000;

/// `sampleQueue`: sampled requests without a verdict whose QA role the caller holds, except the
/// caller's own submissions (which it may not review), oldest submitted first.
pub async fn queue(
    conn: &impl ConnectionTrait,
    caller: &Principal,
    workflow_key: Option<&str>,
    first: u64,
    after: Option<&str>,
) -> AppResult<Page> {
    use approval_request::Column as C;
    // Admin and auditor read everything, but a QA queue is work for the role's holders only.
    let mut cond = Condition::all()
        .add(C::TenantId.eq(caller.tenant.as_str()))
        .add(C::QaSampled.eq(true))
        .add(C::QaVerdict.is_null())
        .add(C::QaRole.is_in(caller.roles.clone()))
        .add(C::SubmittedBy.ne(caller.subject.as_str()));
    if let Some(key) = workflow_key {
        cond = cond.add(C::WorkflowKey.eq(key));
    }
    let total = Count::of(approval_request::Entity::find().filter(cond.clone()));
    let after = after.map(|a| queue_after(&decode_cursor(a)?)).transpose()?;
    // One ordered range of the waiting samples' partial index (tenant, QA role, submission
    // time, id) per role the caller holds, merged: a page never sorts the whole queue.
    let mut rows = Vec::new();
    for role in &caller.roles {
        let mut q = approval_request::Entity::find()
            .filter(cond.clone())
            .filter(C::QaRole.eq(role.as_str()));
        if let Some(after) = &after {
            q = q.filter(after.clone());
        }
        rows.extend(
            q.order_by_asc(C::SubmittedAt)
                .order_by_asc(C::Id)
                .limit(first + 1)
                .all(conn)
                .await?,
        );
    }
    rows.sort_by_key(|r| (r.submitted_at, r.id));
    Ok(into_page(rows, first, total, |r| {
        format!("{}|{}", format_time(r.submitted_at), r.id)
    }))
}

/// Keyset condition "after this cursor" for the queue's order (submitted time, then id).
fn queue_after(cursor: &str) -> AppResult<Condition> {
    use approval_request::Column as C;
    let bad = || AppError::bad_input("after", "not a cursor returned by this API");
    let (at, id) = cursor.split_once('|').ok_or_else(bad)?;
    let at = DateTime::parse_from_rfc3339(at)
        .map_err(|_| bad())?
        .with_timezone(&Utc);
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    // A row value, so both databases read it as a range of the index.
    Ok(Condition::all().add(
        Expr::tuple([
            Expr::col((approval_request::Entity, C::SubmittedAt)),
            Expr::col((approval_request::Entity, C::Id)),
        ])
        .gt(Expr::tuple([Expr::val(at), Expr::val(id)])),
    ))
}

/// Refuses bad input before anything is read or written, naming the argument.
fn validate(
    verdict: SampleVerdict,
    reason_code: Option<&str>,
    comment: Option<&str>,
) -> AppResult<()> {
    match reason_code {
        None if verdict == SampleVerdict::Incorrect => {
            return Err(AppError::bad_input(
                "reasonCode",
                "an INCORRECT verdict needs a reasonCode",
            ));
        }
        None => {}
        Some(code) => {
            let ok = !code.is_empty()
                && code.len() <= MAX_REASON_CODE
                && code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.:-/".contains(c));
            if !ok {
                return Err(AppError::bad_input(
                    "reasonCode",
                    format!(
                        "{code:?} must be 1-{MAX_REASON_CODE} characters of letters, digits, '_', '.', ':', '-' or '/'"
                    ),
                ));
            }
        }
    }
    if let Some(comment) = comment {
        let n = comment.chars().count();
        if n > MAX_COMMENT {
            return Err(AppError::bad_input(
                "comment",
                format!("must be at most {MAX_COMMENT} characters (got {n})"),
            ));
        }
    }
    Ok(())
}

fn verdict_name(verdict: SampleVerdict) -> &'static str {
    match verdict {
        SampleVerdict::Correct => "CORRECT",
        SampleVerdict::Incorrect => "INCORRECT",
    }
}

/// Records a QA verdict on a sampled request: only a holder of its QA role who did not submit it,
/// once. The verdict, its SAMPLE_REVIEWED event and the guardrail check commit together.
pub async fn review(
    store: &Store,
    caller: &Principal,
    request_id: Uuid,
    verdict: SampleVerdict,
    reason_code: Option<String>,
    comment: Option<String>,
) -> AppResult<approval_request::Model> {
    use approval_request::Column as C;
    validate(verdict, reason_code.as_deref(), comment.as_deref())?;
    let txn = store.begin().await?;
    // NO KEY UPDATE, as everywhere: FOR UPDATE would deadlock with the KEY SHARE locks that
    // inserts referencing this row take (see audit::append).
    let request = approval_request::Entity::find_by_id(request_id)
        .filter(C::TenantId.eq(caller.tenant.as_str()))
        .lock(LockType::NoKeyUpdate)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("approval request {}", request_id)))?;
    if !request.qa_sampled {
        return Err(AppError::Conflict(format!(
            "request {} was not picked for QA sampling",
            request.id
        )));
    }
    let Some(role) = request.qa_role.clone() else {
        return Err(AppError::internal(format!(
            "sampled request {} has no QA role",
            request.id
        )));
    };
    if !caller.has_role(&role) {
        return Err(AppError::Forbidden(format!(
            "the QA review of this request needs the role {role}"
        )));
    }
    if caller.subject == request.submitted_by {
        return Err(AppError::Forbidden(
            "segregation of duties: the submitter cannot review its own action".into(),
        ));
    }
    if let Some(verdict) = request.qa_verdict {
        return Err(AppError::Conflict(format!(
            "request {} was already reviewed ({}) by {}",
            request.id,
            verdict_name(verdict),
            request.qa_reviewed_by.as_deref().unwrap_or("someone")
        )));
    }

    let at = now();
    let update = approval_request::ActiveModel {
        qa_verdict: Set(Some(verdict)),
        qa_reason_code: Set(reason_code.clone()),
        qa_comment: Set(comment.clone()),
        qa_reviewed_by: Set(Some(caller.subject.clone())),
        qa_reviewed_at: Set(Some(at)),
        version: Set(request.version + 1),
        updated_at: Set(at),
        ..Default::default()
    };
    // The optimistic check backs up the row lock, as in decide.
    let res = approval_request::Entity::update_many()
        .set(update)
        .filter(C::Id.eq(request.id))
        .filter(C::Version.eq(request.version))
        .filter(C::QaVerdict.is_null())
        .exec(&*txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::Conflict(format!(
            "request {} changed meanwhile; reload and review again",
            request.id
        )));
    }
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![
            EventDraft::new(
                EventKind::SampleReviewed,
                &caller.subject,
                json!({
                    "verdict": verdict_name(verdict),
                    "reasonCode": reason_code,
                    "comment": comment,
                    "rule": request.matched_rule,
                    "finalActionHash": request.final_action_hash,
                }),
            )
            .workflow(&request.workflow_key)
            .request(request.id),
        ],
    )
    .await?;
    // A verdict is a final outcome (policy.md 9): INCORRECT counts as an error.
    guardrails::check_after_outcome(&*txn, &caller.tenant, request.workflow_id, at).await?;
    let updated = approval_request::Entity::find_by_id(request.id)
        .one(&*txn)
        .await?
        .ok_or_else(|| AppError::internal("request vanished"))?;
    txn.commit().await?;
    Ok(updated)
}
