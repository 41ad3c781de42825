//! Indexes that let the reviewer queues and request lists read one page without scanning:
//! open steps by (tenant, status, role or escalation role, due time, request), the QA sample
//! queue by (tenant, QA role, verdict, submission time), and the request list's newest-first
//! order within a tenant, alone or by workflow or status.

use sea_orm_migration::prelude::*;

use crate::m20261124_000001_init::{index, index_name};

/// The queue-index migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, columns) of each new index.
const INDEXES: &[(&str, &[&str])] = &[
    // `approvalQueue`: one ordered index range per role the caller holds.
    (
        "approval_steps",
        &["tenant_id", "status", "role", "due_at", "request_id"],
    ),
    (
        "approval_steps",
        &[
            "tenant_id",
            "status",
            "escalated_to",
            "due_at",
            "request_id",
        ],
    ),
    // What a reviewer already decided, read by the queue's count.
    ("decisions", &["tenant_id", "actor", "request_id"]),
    // `sampleQueue`.
    (
        "approval_requests",
        &["tenant_id", "qa_role", "qa_verdict", "submitted_at", "id"],
    ),
    // `approvalRequests`, newest first: the whole tenant, by workflow, by status.
    ("approval_requests", &["tenant_id", "id"]),
    ("approval_requests", &["tenant_id", "workflow_key", "id"]),
    ("approval_requests", &["tenant_id", "status", "id"]),
];

/// Superseded by the first index above, of which it is a prefix.
const REPLACED: (&str, &[&str]) = ("approval_steps", &["tenant_id", "status", "role"]);

fn drop(table: &'static str, cols: &[&'static str]) -> IndexDropStatement {
    Index::drop()
        .name(index_name(table, cols))
        .table(table)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, cols) in INDEXES {
            manager.create_index(index(table, cols, false)).await?;
        }
        manager.drop_index(drop(REPLACED.0, REPLACED.1)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(REPLACED.0, REPLACED.1, false))
            .await?;
        for (table, cols) in INDEXES {
            manager.drop_index(drop(table, cols)).await?;
        }
        Ok(())
    }
}
