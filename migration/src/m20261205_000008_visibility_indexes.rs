//! Indexes that let a reviewer's `approvalRequests` read one page without scanning: a reviewer
//! sees what they submitted, the requests with a step naming one of their roles (as role or as
//! escalation role) and those sampled for one of their QA roles, and each of those is now an
//! index range in newest-first order within the tenant.

use sea_orm_migration::prelude::*;

use crate::m20261124_000001_init::{index, index_name};

/// The visibility-index migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, columns) of each plain index.
const INDEXES: &[(&str, &[&str])] = &[
    ("approval_requests", &["tenant_id", "submitted_by", "id"]),
    ("approval_steps", &["tenant_id", "role", "request_id"]),
    (
        "approval_steps",
        &["tenant_id", "escalated_to", "request_id"],
    ),
];

/// Most requests are never sampled: a partial index holds only those that are.
const SAMPLED: &str = "ix_approval_requests_sampled";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, cols) in INDEXES {
            manager.create_index(index(table, cols, false)).await?;
        }
        // The same statement on both databases; sea-query has no partial indexes.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {SAMPLED} ON approval_requests (tenant_id, qa_role, id) \
                 WHERE qa_role IS NOT NULL"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(SAMPLED).table(INDEXES[0].0).to_owned())
            .await?;
        for (table, cols) in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(index_name(table, cols))
                        .table(*table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
