//! Execution layer: each workflow's optional webhook (url, signing secret, attempts), the error of
//! a failed execution on requests, and the `outbox` of signed deliveries waiting to leave.
//! SQLite alters one column per statement, so every column is its own `ALTER TABLE`.

use sea_orm_migration::{prelude::*, schema::*};

/// Width of the string columns that hold enum values (as in the initial schema).
const ENUM_LEN: u32 = 24;

/// The execution-layer migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns added to existing tables, as `(table, column)`; dropped in reverse.
const ADDED: [(&str, &str); 4] = [
    ("workflows", "webhook_url"),
    ("workflows", "webhook_secret"),
    ("workflows", "webhook_max_attempts"),
    ("approval_requests", "execution_error"),
];

fn added_column(column: &'static str) -> ColumnDef {
    match column {
        "webhook_max_attempts" => integer_null(column),
        _ => text_null(column),
    }
}

fn fk(
    table: &'static str,
    column: &'static str,
    to_table: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::Restrict)
        .take()
}

fn outbox() -> TableCreateStatement {
    Table::create()
        .table("outbox")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(uuid("workflow_id"))
        .col(uuid("request_id"))
        .col(string("webhook_id").unique_key())
        .col(string("event_type"))
        .col(text("payload"))
        .col(integer("attempts"))
        .col(integer("max_attempts"))
        .col(string_len("status", ENUM_LEN))
        .col(timestamp_with_time_zone("next_attempt_at"))
        .col(timestamp_with_time_zone_null("claimed_until"))
        .col(integer_null("last_status_code"))
        .col(text_null("last_error"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("delivered_at"))
        .foreign_key(&mut fk("outbox", "tenant_id", "tenants"))
        .foreign_key(&mut fk("outbox", "workflow_id", "workflows"))
        .foreign_key(&mut fk("outbox", "request_id", "approval_requests"))
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in ADDED {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(added_column(column))
                        .take(),
                )
                .await?;
        }
        manager.create_table(outbox()).await?;
        // The worker's scan: due PENDING deliveries, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_status_next_attempt_at")
                    .table("outbox")
                    .col("status")
                    .col("next_attempt_at")
                    .take(),
            )
            .await?;
        // A request's deliveries (reads, and the foreign key's checks).
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_request_id")
                    .table("outbox")
                    .col("request_id")
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("outbox").if_exists().take())
            .await?;
        for (table, column) in ADDED.iter().rev() {
            manager
                .alter_table(Table::alter().table(*table).drop_column(*column).take())
                .await?;
        }
        Ok(())
    }
}
