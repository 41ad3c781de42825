//! Event webhooks: the tenant's notification subscriptions (`webhook_subscriptions`) and the
//! signed deliveries written for them in the transaction of each event (`event_deliveries`).

use sea_orm_migration::{prelude::*, schema::*};

/// Width of the string columns that hold enum values (as in the initial schema).
const ENUM_LEN: u32 = 24;

/// The event-webhooks migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

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

fn subscriptions() -> TableCreateStatement {
    Table::create()
        .table("webhook_subscriptions")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(text("url"))
        .col(text_null("description"))
        // JSON arrays of strings, as text.
        .col(text("event_types"))
        .col(text("workflow_keys"))
        .col(text("secret"))
        .col(string_len("status", ENUM_LEN))
        .col(text_null("disabled_reason"))
        .col(timestamp_with_time_zone_null("failing_since"))
        .col(string("created_by"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .foreign_key(&mut fk("webhook_subscriptions", "tenant_id", "tenants"))
        .take()
}

fn deliveries() -> TableCreateStatement {
    Table::create()
        .table("event_deliveries")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(uuid("subscription_id"))
        .col(string("webhook_id").unique_key())
        .col(string("event_type"))
        .col(big_integer("audit_seq"))
        .col(uuid_null("request_id"))
        .col(text("payload"))
        .col(integer("attempts"))
        .col(string_len("status", ENUM_LEN))
        .col(timestamp_with_time_zone("next_attempt_at"))
        .col(timestamp_with_time_zone_null("claimed_until"))
        .col(integer_null("last_status_code"))
        .col(text_null("last_error"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("delivered_at"))
        .foreign_key(&mut fk("event_deliveries", "tenant_id", "tenants"))
        .foreign_key(&mut fk(
            "event_deliveries",
            "subscription_id",
            "webhook_subscriptions",
        ))
        .take()
}

fn index(name: &str, table: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for col in cols {
        index.col(Alias::new(*col));
    }
    index.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(subscriptions()).await?;
        manager.create_table(deliveries()).await?;
        // The subscriptions of a tenant, read in every transaction that writes an event.
        manager
            .create_index(index(
                "ix_webhook_subscriptions_tenant_id",
                "webhook_subscriptions",
                &["tenant_id"],
            ))
            .await?;
        // The worker's scan: due PENDING deliveries, oldest first.
        manager
            .create_index(index(
                "ix_event_deliveries_status_next_attempt_at",
                "event_deliveries",
                &["status", "next_attempt_at"],
            ))
            .await?;
        // A subscription's deliveries in event order: the listing, and the check that an earlier
        // event about the same request has left first.
        manager
            .create_index(index(
                "ix_event_deliveries_subscription_request_seq",
                "event_deliveries",
                &["subscription_id", "request_id", "audit_seq"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_event_deliveries_subscription_seq",
                "event_deliveries",
                &["subscription_id", "audit_seq"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("event_deliveries").if_exists().take())
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table("webhook_subscriptions")
                    .if_exists()
                    .take(),
            )
            .await?;
        Ok(())
    }
}
