//! The QA sample queue reads a partial index of the samples still waiting for a verdict,
//! ordered by (tenant, QA role, submission time, id): a page is one ordered range per role, on
//! both databases. The index it replaces had the verdict as a column, and PostgreSQL does not
//! read `qa_verdict IS NULL` as an equality, so it sorted every waiting sample for each page.

use sea_orm_migration::prelude::*;

use crate::m20261124_000001_init::{index, index_name};

/// The sample-queue migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_approval_requests_waiting_samples";

/// Replaced by the partial index.
const REPLACED: (&str, &[&str]) = (
    "approval_requests",
    &["tenant_id", "qa_role", "qa_verdict", "submitted_at", "id"],
);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The same statement on both databases; sea-query has no partial indexes.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {NAME} ON approval_requests (tenant_id, qa_role, submitted_at, id) \
                 WHERE qa_role IS NOT NULL AND qa_verdict IS NULL"
            ))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(index_name(REPLACED.0, REPLACED.1))
                    .table(REPLACED.0)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(REPLACED.0, REPLACED.1, false))
            .await?;
        manager
            .drop_index(Index::drop().name(NAME).table(REPLACED.0).to_owned())
            .await
    }
}
