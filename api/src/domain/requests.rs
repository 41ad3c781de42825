//! Reading approval requests: one by id and filtered lists, with keyset
//! cursors, plus their steps and decisions. Visibility: admin and auditor see everything in the
//! tenant; others see what they submitted and what their roles may decide.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use countersign_entity::enums::{RequestStatus, Route};
use countersign_entity::{approval_request, approval_step, decision};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::{AppError, AppResult};

/// Largest page a caller may ask for.
pub const MAX_PAGE: i32 = 500;

/// Filter of `approvalRequests`.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// Only this workflow.
    pub workflow_key: Option<String>,
    /// Only these statuses.
    pub status: Option<Vec<RequestStatus>>,
    /// Only this route.
    pub route: Option<Route>,
    /// Submitted at or after.
    pub submitted_from: Option<DateTime<Utc>>,
    /// Submitted before.
    pub submitted_to: Option<DateTime<Utc>>,
    /// Only PENDING requests submitted longer ago than this.
    pub waiting_longer_than: Option<chrono::Duration>,
}

/// One page of requests.
#[derive(Debug, Clone)]
pub struct Page {
    /// Rows with their cursors.
    pub items: Vec<(String, approval_request::Model)>,
    /// More after the last.
    pub has_next: bool,
    /// Rows matching the filter, all pages: counted only when asked for.
    pub total: Count,
}

/// A count of the rows matching a filter, kept as a statement and run only when a caller asks
/// for it (`totalCount`): counting a large tenant costs far more than reading one page.
#[derive(Debug, Clone)]
pub struct Count(SelectStatement);

impl Count {
    /// Counts the rows `select` would return.
    pub(crate) fn of<E: EntityTrait>(select: Select<E>) -> Count {
        Count(
            select
                .select_only()
                .column_as(Expr::cust("COUNT(*)"), "n")
                .into_query(),
        )
    }

    /// Runs the count.
    pub async fn run(&self, conn: &impl ConnectionTrait) -> AppResult<u64> {
        let n: i64 = match conn.query_one(&self.0).await? {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or_default())
    }
}

/// Checks `first` (1..=500).
pub fn page_size(first: Option<i32>, default: i32) -> AppResult<u64> {
    let first = first.unwrap_or(default);
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(AppError::bad_input(
            "first",
            format!("first must be between 1 and {MAX_PAGE}"),
        ));
    }
    Ok(first as u64)
}

pub(crate) fn encode_cursor(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text.as_bytes())
}

pub(crate) fn decode_cursor(cursor: &str) -> AppResult<String> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| AppError::bad_input("after", "not a cursor returned by this API"))
}

/// The request has a step naming one of the caller's roles (as role or escalation role):
/// checked per request through the steps' (request, index) key, so a page of a reviewer's
/// list stops as soon as it is full.
fn with_role_steps(caller: &Principal) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(approval_step::Entity)
        .and_where(
            Expr::col((approval_step::Entity, approval_step::Column::RequestId))
                .equals((approval_request::Entity, approval_request::Column::Id)),
        )
        .cond_where(
            Condition::any()
                .add(approval_step::Column::Role.is_in(caller.roles.clone()))
                .add(approval_step::Column::EscalatedTo.is_in(caller.roles.clone())),
        )
        .to_owned()
}

fn visibility(caller: &Principal) -> Condition {
    let tenant =
        Condition::all().add(approval_request::Column::TenantId.eq(caller.tenant.as_str()));
    if caller.reads_everything() {
        return tenant;
    }
    tenant.add(
        Condition::any()
            .add(approval_request::Column::SubmittedBy.eq(caller.subject.as_str()))
            .add(Expr::exists(with_role_steps(caller)))
            .add(approval_request::Column::QaRole.is_in(caller.roles.clone())),
    )
}

/// One request, if it exists in the caller's tenant and the caller may see it.
pub async fn get(
    conn: &impl ConnectionTrait,
    caller: &Principal,
    id: Uuid,
) -> AppResult<Option<approval_request::Model>> {
    Ok(approval_request::Entity::find()
        .filter(visibility(caller))
        .filter(approval_request::Column::Id.eq(id))
        .one(conn)
        .await?)
}

/// The filter's conditions on `approval_requests`, without tenant or visibility.
fn filtered(query: &RequestQuery) -> Condition {
    let mut cond = Condition::all();
    if let Some(key) = &query.workflow_key {
        cond = cond.add(approval_request::Column::WorkflowKey.eq(key.as_str()));
    }
    if let Some(statuses) = &query.status {
        cond = cond.add(approval_request::Column::Status.is_in(statuses.iter().copied()));
    }
    if let Some(route) = query.route {
        cond = cond.add(approval_request::Column::Route.eq(route));
    }
    if let Some(from) = query.submitted_from {
        cond = cond.add(approval_request::Column::SubmittedAt.gte(from));
    }
    if let Some(to) = query.submitted_to {
        cond = cond.add(approval_request::Column::SubmittedAt.lt(to));
    }
    if let Some(waiting) = query.waiting_longer_than {
        cond = cond
            .add(approval_request::Column::Status.eq(RequestStatus::Pending))
            .add(approval_request::Column::SubmittedAt.lte(crate::store::now() - waiting));
    }
    cond
}

/// `approvalRequests`: newest first.
///
/// Admins and auditors read one index range of the tenant's requests (by id, or by workflow or
/// status). Anyone else sees the union of a few ranges, each read along its own index and newest
/// first: what they submitted, the requests with a step naming one of their roles (as role or
/// escalation role), and those sampled for one of their QA roles; see [`Visible`].
pub async fn list(
    conn: &impl ConnectionTrait,
    caller: &Principal,
    query: &RequestQuery,
    first: u64,
    after: Option<&str>,
) -> AppResult<Page> {
    let filter = filtered(query);
    let total = Count::of(
        approval_request::Entity::find()
            .filter(visibility(caller))
            .filter(filter.clone()),
    );
    let after = after
        .map(|after| {
            Uuid::parse_str(&decode_cursor(after)?)
                .map_err(|_| AppError::bad_input("after", "not a cursor returned by this API"))
        })
        .transpose()?;
    let rows = if caller.reads_everything() {
        let mut cond = visibility(caller).add(filter);
        if let Some(id) = after {
            cond = cond.add(approval_request::Column::Id.lt(id));
        }
        approval_request::Entity::find()
            .filter(cond)
            .order_by_desc(approval_request::Column::Id)
            .limit(first + 1)
            .all(conn)
            .await?
    } else {
        let ids = Visible::new(caller, filter, after)
            .newest(conn, first + 1)
            .await?;
        let mut rows = approval_request::Entity::find()
            .filter(approval_request::Column::Id.is_in(ids))
            .all(conn)
            .await?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        rows
    };
    Ok(into_page(rows, first, total, |r| r.id.to_string()))
}

/// One index range of what a reviewer may see, newest first.
#[derive(Debug, Clone)]
enum Source {
    /// Requests the caller submitted: (tenant, submitter, id).
    Submitted,
    /// Requests with a step naming the role in the column: (tenant, role, request) and
    /// (tenant, escalation role, request).
    Step(approval_step::Column, String),
    /// Requests sampled for the QA role: (tenant, QA role, id).
    Sampled(String),
}

/// A range being read: where it stands and whether it has more.
#[derive(Debug)]
struct Range {
    source: Source,
    /// The oldest id read so far: the next read starts below it.
    last: Option<Uuid>,
    /// Read to its end.
    done: bool,
}

/// What a caller who does not read everything sees, as the union of index ranges read newest
/// first ([`Source`]), merged here. PostgreSQL plans the same visibility written as one `OR`
/// with an `EXISTS` as a hashed scan of all of the tenant's steps per page; each range here
/// reads about a page's worth of index entries instead, whatever the tenant's size.
struct Visible<'a> {
    caller: &'a Principal,
    filter: Condition,
    ranges: Vec<Range>,
}

impl<'a> Visible<'a> {
    fn new(caller: &'a Principal, filter: Condition, after: Option<Uuid>) -> Visible<'a> {
        let mut sources = vec![Source::Submitted];
        for role in &caller.roles {
            sources.push(Source::Step(approval_step::Column::Role, role.clone()));
            sources.push(Source::Step(
                approval_step::Column::EscalatedTo,
                role.clone(),
            ));
            sources.push(Source::Sampled(role.clone()));
        }
        let ranges = sources
            .into_iter()
            .map(|source| Range {
                source,
                last: after,
                done: false,
            })
            .collect();
        Visible {
            caller,
            filter,
            ranges,
        }
    }

    /// The ids of the newest `want` visible requests matching the filter, newest first.
    ///
    /// Each range is read `want` rows at a time. An id is certain once every range that may still
    /// hold a newer one has been read past it; a range of steps can name the same request twice
    /// (two steps of one role), so when fewer than `want` ids are certain, the range that stopped
    /// highest is read further.
    async fn newest(mut self, conn: &impl ConnectionTrait, want: u64) -> AppResult<Vec<Uuid>> {
        let mut seen = std::collections::BTreeSet::new();
        let mut next: Vec<usize> = (0..self.ranges.len()).collect();
        loop {
            for i in next.drain(..) {
                let ids = self.read(conn, i, want).await?;
                let range = &mut self.ranges[i];
                range.done = (ids.len() as u64) < want;
                range.last = ids.last().copied().or(range.last);
                seen.extend(ids);
            }
            // Ids at or above the highest stopping point of an unfinished range are certain.
            let horizon = self
                .ranges
                .iter()
                .enumerate()
                .filter(|(_, r)| !r.done)
                .filter_map(|(i, r)| r.last.map(|last| (last, i)))
                .max();
            let certain = match horizon {
                Some((last, _)) => seen.range(last..).count(),
                None => seen.len(),
            };
            match horizon {
                Some((_, i)) if (certain as u64) < want => next.push(i),
                _ => break,
            }
        }
        Ok(seen
            .into_iter()
            .rev()
            .take(usize::try_from(want).unwrap_or(usize::MAX))
            .collect())
    }

    /// The next `want` ids of range `i`, newest first.
    async fn read(&self, conn: &impl ConnectionTrait, i: usize, want: u64) -> AppResult<Vec<Uuid>> {
        use approval_request::Column as R;
        let range = &self.ranges[i];
        let tenant = self.caller.tenant.as_str();
        let ids = match &range.source {
            Source::Step(column, role) => {
                let mut q = approval_step::Entity::find()
                    .select_only()
                    .column(approval_step::Column::RequestId)
                    .filter(approval_step::Column::TenantId.eq(tenant))
                    .filter(column.eq(role.as_str()));
                if let Some(last) = range.last {
                    q = q.filter(approval_step::Column::RequestId.lt(last));
                }
                if !self.filter.is_empty() {
                    // Checked per step through the request's primary key.
                    q =
                        q.filter(Expr::exists(
                            Query::select()
                                .expr(Expr::val(1))
                                .from(approval_request::Entity)
                                .and_where(Expr::col((approval_request::Entity, R::Id)).equals((
                                    approval_step::Entity,
                                    approval_step::Column::RequestId,
                                )))
                                .cond_where(self.filter.clone())
                                .to_owned(),
                        ));
                }
                q.order_by_desc(approval_step::Column::RequestId)
                    .limit(want)
                    .into_tuple::<Uuid>()
                    .all(conn)
                    .await?
            }
            Source::Submitted | Source::Sampled(_) => {
                let by = match &range.source {
                    Source::Sampled(role) => R::QaRole.eq(role.as_str()),
                    _ => R::SubmittedBy.eq(self.caller.subject.as_str()),
                };
                let mut q = approval_request::Entity::find()
                    .select_only()
                    .column(R::Id)
                    .filter(R::TenantId.eq(tenant))
                    .filter(by)
                    .filter(self.filter.clone());
                if let Some(last) = range.last {
                    q = q.filter(R::Id.lt(last));
                }
                q.order_by_desc(R::Id)
                    .limit(want)
                    .into_tuple::<Uuid>()
                    .all(conn)
                    .await?
            }
        };
        Ok(ids)
    }
}

/// Reason codes given before: those of rejections and of INCORRECT QA verdicts in the caller's
/// tenant (in `workflow_key` only, when given), the most used first, at most `limit`.
pub async fn reason_codes(
    conn: &impl ConnectionTrait,
    caller: &Principal,
    workflow_key: Option<&str>,
    limit: u64,
) -> AppResult<Vec<(String, i64)>> {
    let mut counts: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for column in [
        approval_request::Column::ReasonCode,
        approval_request::Column::QaReasonCode,
    ] {
        let mut q = approval_request::Entity::find()
            .select_only()
            .column_as(column, "code")
            .column_as(Expr::col(approval_request::Column::Id).count(), "n")
            .filter(approval_request::Column::TenantId.eq(caller.tenant.as_str()))
            .filter(column.is_not_null())
            .group_by(column);
        if let Some(key) = workflow_key {
            q = q.filter(approval_request::Column::WorkflowKey.eq(key));
        }
        for (code, n) in q.into_tuple::<(String, i64)>().all(conn).await? {
            *counts.entry(code).or_default() += n;
        }
    }
    let mut codes: Vec<(String, i64)> = counts.into_iter().collect();
    codes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    codes.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(codes)
}

/// One page from `first + 1` fetched rows: the extra row only says there is a next page.
pub(crate) fn into_page(
    mut rows: Vec<approval_request::Model>,
    first: u64,
    total: Count,
    cursor_key: impl Fn(&approval_request::Model) -> String,
) -> Page {
    let has_next = rows.len() as u64 > first;
    rows.truncate(first as usize);
    let items = rows
        .into_iter()
        .map(|r| (encode_cursor(&cursor_key(&r)), r))
        .collect();
    Page {
        items,
        has_next,
        total,
    }
}

/// The steps of a request, in order.
pub async fn steps(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
) -> AppResult<Vec<approval_step::Model>> {
    Ok(approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(request_id))
        .order_by_asc(approval_step::Column::Idx)
        .all(conn)
        .await?)
}

/// The decisions on a request, in order.
pub async fn decisions(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
) -> AppResult<Vec<decision::Model>> {
    Ok(decision::Entity::find()
        .filter(decision::Column::RequestId.eq(request_id))
        .order_by_asc(decision::Column::CreatedAt)
        .order_by_asc(decision::Column::Id)
        .all(conn)
        .await?)
}

/// The steps of many requests at once, in order, grouped by request.
pub async fn steps_of(
    conn: &impl ConnectionTrait,
    request_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<approval_step::Model>>> {
    let rows = approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.is_in(request_ids.iter().copied()))
        .order_by_asc(approval_step::Column::RequestId)
        .order_by_asc(approval_step::Column::Idx)
        .all(conn)
        .await?;
    let mut out: std::collections::HashMap<Uuid, Vec<approval_step::Model>> =
        std::collections::HashMap::new();
    for row in rows {
        out.entry(row.request_id).or_default().push(row);
    }
    Ok(out)
}

/// The correlation handles of many requests at once (requests without one are left out).
pub async fn correlations_of(
    conn: &impl ConnectionTrait,
    request_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, Option<String>)> = approval_request::Entity::find()
        .select_only()
        .column(approval_request::Column::Id)
        .column(approval_request::Column::Correlation)
        .filter(approval_request::Column::Id.is_in(request_ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, c)| c.map(|c| (id, c)))
        .collect())
}

/// The decisions on many requests at once, in order, grouped by request.
pub async fn decisions_of(
    conn: &impl ConnectionTrait,
    request_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<decision::Model>>> {
    let rows = decision::Entity::find()
        .filter(decision::Column::RequestId.is_in(request_ids.iter().copied()))
        .order_by_asc(decision::Column::CreatedAt)
        .order_by_asc(decision::Column::Id)
        .all(conn)
        .await?;
    let mut out: std::collections::HashMap<Uuid, Vec<decision::Model>> =
        std::collections::HashMap::new();
    for row in rows {
        out.entry(row.request_id).or_default().push(row);
    }
    Ok(out)
}
