//! The reviewer's queue (`approvalQueue`): pending requests whose open step the caller may
//! decide now, oldest due first, then those without a due time, oldest first.
//!
//! A page is read along the index of steps by (tenant, status, role, due time, request), and its
//! twin by escalation role: one ordered index range per role the caller holds, each stopping
//! after a page's worth of rows, merged here. The requests the caller submitted or already acted
//! on are skipped row by row while walking the range, so a page costs about the same with ten or
//! with a hundred thousand requests pending. The count (`totalCount`) is a separate statement,
//! run only when asked for.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use countersign_entity::enums::{RequestStatus, StepStatus};
use countersign_entity::{approval_request, approval_step, decision};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::requests::{Count, Page, decode_cursor, encode_cursor};
use crate::auth::Principal;
use crate::error::{AppError, AppResult};

use approval_step::Column as S;

/// A position in the queue's order: steps with a due time first (by due time), then those
/// without; ties broken by request id. The derived order is exactly that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    undated: bool,
    due: Option<DateTime<Utc>>,
    id: Uuid,
}

impl Key {
    fn new(id: Uuid, due: Option<DateTime<Utc>>) -> Key {
        Key {
            undated: due.is_none(),
            due,
            id,
        }
    }

    fn cursor(&self) -> String {
        match self.due {
            Some(due) => format!("d|{}|{}", due.to_rfc3339(), self.id),
            None => format!("n||{}", self.id),
        }
    }

    fn parse(cursor: &str) -> AppResult<Key> {
        let bad = || AppError::bad_input("after", "not a cursor returned by this API");
        let mut parts = cursor.splitn(3, '|');
        let (kind, due, id) = (parts.next(), parts.next(), parts.next());
        let id = id.and_then(|i| Uuid::parse_str(i).ok()).ok_or_else(bad)?;
        match (kind, due) {
            (Some("n"), _) => Ok(Key::new(id, None)),
            (Some("d"), Some(due)) => {
                let due = DateTime::parse_from_rfc3339(due)
                    .map_err(|_| bad())?
                    .with_timezone(&Utc);
                Ok(Key::new(id, Some(due)))
            }
            _ => Err(bad()),
        }
    }
}

/// The open steps the caller may decide, as a filter on `approval_steps`: the request is
/// pending, not the caller's own (and in `workflow_key`, when given), and the caller has not
/// acted on it. Checked per row through the primary key and the decisions' (request, actor)
/// index, so walking an index range stops as soon as a page is full.
fn decidable(
    caller: &Principal,
    workflow_key: Option<&str>,
) -> (
    sea_orm::sea_query::SelectStatement,
    sea_orm::sea_query::SelectStatement,
) {
    let mut request = Query::select();
    request
        .expr(Expr::val(1))
        .from(approval_request::Entity)
        .and_where(
            Expr::col((approval_request::Entity, approval_request::Column::Id))
                .equals((approval_step::Entity, S::RequestId)),
        )
        .and_where(approval_request::Column::Status.eq(RequestStatus::Pending))
        .and_where(approval_request::Column::SubmittedBy.ne(caller.subject.as_str()));
    if let Some(key) = workflow_key {
        request.and_where(approval_request::Column::WorkflowKey.eq(key));
    }
    let mut acted = Query::select();
    acted
        .expr(Expr::val(1))
        .from(decision::Entity)
        .and_where(
            Expr::col((decision::Entity, decision::Column::RequestId))
                .equals((approval_step::Entity, S::RequestId)),
        )
        .and_where(decision::Column::Actor.eq(caller.subject.as_str()));
    (request, acted)
}

/// One index range: open steps of the tenant naming `role` in `column`, with (`dated`) or
/// without a due time, after `after`, at most `limit` of them, in the queue's order.
#[allow(clippy::too_many_arguments)]
async fn range(
    conn: &impl ConnectionTrait,
    caller: &Principal,
    workflow_key: Option<&str>,
    column: S,
    role: &str,
    dated: bool,
    after: Option<Key>,
    limit: u64,
) -> AppResult<Vec<Key>> {
    let (request, acted) = decidable(caller, workflow_key);
    let mut q = approval_step::Entity::find()
        .select_only()
        .column(S::RequestId)
        .column(S::DueAt)
        .filter(S::TenantId.eq(caller.tenant.as_str()))
        .filter(S::Status.eq(StepStatus::Open))
        .filter(column.eq(role));
    q = if dated {
        q.filter(S::DueAt.is_not_null())
    } else {
        q.filter(S::DueAt.is_null())
    };
    match after {
        Some(Key {
            due: Some(due), id, ..
        }) if dated => {
            q = q.filter(
                Expr::tuple([
                    Expr::col((approval_step::Entity, S::DueAt)),
                    Expr::col((approval_step::Entity, S::RequestId)),
                ])
                .gt(Expr::tuple([Expr::val(due), Expr::val(id)])),
            );
        }
        Some(Key { due: None, id, .. }) if !dated => {
            q = q.filter(S::RequestId.gt(id));
        }
        _ => {}
    }
    let rows: Vec<(Uuid, Option<DateTime<Utc>>)> = q
        .filter(Expr::exists(request))
        .filter(Expr::exists(acted).not())
        .order_by_asc(S::DueAt)
        .order_by_asc(S::RequestId)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, due)| Key::new(id, due))
        .collect())
}

/// `approvalQueue`: pending requests whose open step the caller may decide now (role held, as
/// the step's role or its escalation role; not yet acted on this request; not the submitter),
/// oldest due first, then those without a due time, oldest first.
pub async fn queue(
    conn: &impl ConnectionTrait,
    caller: &Principal,
    workflow_key: Option<&str>,
    first: u64,
    after: Option<&str>,
) -> AppResult<Page> {
    let after = after.map(|c| Key::parse(&decode_cursor(c)?)).transpose()?;
    let want = first + 1;
    let mut keys = BTreeSet::new();
    // Dated steps come first in the order: read the undated ones only when the dated ones
    // cannot fill the page (or the cursor is already past them).
    for dated in [true, false] {
        if dated && after.is_some_and(|a| a.undated) {
            continue;
        }
        if !dated && keys.len() as u64 >= want {
            break;
        }
        for role in &caller.roles {
            for column in [S::Role, S::EscalatedTo] {
                let found =
                    range(conn, caller, workflow_key, column, role, dated, after, want).await?;
                keys.extend(found);
            }
        }
    }
    let keys: Vec<Key> = keys.into_iter().take(want as usize).collect();
    let has_next = keys.len() as u64 > first;
    let page: Vec<Key> = keys.into_iter().take(first as usize).collect();
    let mut rows: HashMap<Uuid, approval_request::Model> = approval_request::Entity::find()
        .filter(approval_request::Column::Id.is_in(page.iter().map(|k| k.id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let items = page
        .iter()
        .filter_map(|k| rows.remove(&k.id).map(|r| (encode_cursor(&k.cursor()), r)))
        .collect();
    Ok(Page {
        items,
        has_next,
        total: count(caller, workflow_key),
    })
}

/// The queue's size: the open steps naming one of the caller's roles, less those of requests the
/// caller submitted or already acted on. Each part is read from an index (what the caller
/// submitted or decided is looked up once, not per step), so counting a large queue is a scan
/// of index entries, never of requests.
fn count(caller: &Principal, workflow_key: Option<&str>) -> Count {
    let own = Query::select()
        .column(approval_request::Column::Id)
        .from(approval_request::Entity)
        .and_where(approval_request::Column::TenantId.eq(caller.tenant.as_str()))
        .and_where(approval_request::Column::SubmittedBy.eq(caller.subject.as_str()))
        .to_owned();
    let acted = Query::select()
        .column(decision::Column::RequestId)
        .from(decision::Entity)
        .and_where(decision::Column::TenantId.eq(caller.tenant.as_str()))
        .and_where(decision::Column::Actor.eq(caller.subject.as_str()))
        .to_owned();
    let mut q = approval_step::Entity::find()
        .filter(S::TenantId.eq(caller.tenant.as_str()))
        .filter(S::Status.eq(StepStatus::Open))
        .filter(
            sea_orm::Condition::any()
                .add(S::Role.is_in(caller.roles.clone()))
                .add(S::EscalatedTo.is_in(caller.roles.clone())),
        )
        .filter(S::RequestId.not_in_subquery(own))
        .filter(S::RequestId.not_in_subquery(acted));
    if let Some(key) = workflow_key {
        let in_workflow = Query::select()
            .column(approval_request::Column::Id)
            .from(approval_request::Entity)
            .and_where(approval_request::Column::TenantId.eq(caller.tenant.as_str()))
            .and_where(approval_request::Column::Status.eq(RequestStatus::Pending))
            .and_where(approval_request::Column::WorkflowKey.eq(key))
            .to_owned();
        q = q.filter(S::RequestId.in_subquery(in_workflow));
    }
    Count::of(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_puts_due_steps_first_by_due_time_then_the_rest_by_id() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut keys = [
            Key::new(a, None),
            Key::new(b, Some(t("2026-12-02T00:00:00Z"))),
            Key::new(a, Some(t("2026-12-01T00:00:00Z"))),
            Key::new(b, None),
        ];
        keys.sort();
        assert_eq!(
            keys.iter().map(|k| (k.id, k.due)).collect::<Vec<_>>(),
            vec![
                (a, Some(t("2026-12-01T00:00:00Z"))),
                (b, Some(t("2026-12-02T00:00:00Z"))),
                (a, None),
                (b, None)
            ]
        );
    }

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let due = DateTime::parse_from_rfc3339("2026-12-01T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        for key in [
            Key::new(Uuid::now_v7(), Some(due)),
            Key::new(Uuid::now_v7(), None),
        ] {
            assert_eq!(Key::parse(&key.cursor()).unwrap(), key);
        }
        for bad in [
            "",
            "d||x",
            "d|yesterday|00000000-0000-0000-0000-000000000000",
            "z||1",
        ] {
            assert!(Key::parse(bad).is_err(), "{bad}");
        }
    }
}
