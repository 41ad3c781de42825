//! Reviewers where they work: the tenant's reviewer directory (`reviewers`), each workflow's
//! notification channels (`workflows.notification_channels`), the notifications written in the
//! transaction of the event that causes them (`notifications`), and the decision links that
//! were used (`used_links`), so a link works once, and the signatures of Slack interactions
//! already handled (`slack_interactions`), so a replayed one is refused.

use sea_orm_migration::{prelude::*, schema::*};

/// Width of the string columns that hold enum values (as in the initial schema).
const ENUM_LEN: u32 = 24;

/// The notifications migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn tenant_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_tenant_id"))
        .from(table, "tenant_id")
        .to("tenants", "id")
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::Restrict)
        .take()
}

fn reviewers() -> TableCreateStatement {
    Table::create()
        .table("reviewers")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(string("subject"))
        .col(text("name"))
        .col(text_null("email"))
        .col(string_null("slack_user_id"))
        // JSON array of role names, as text.
        .col(text("roles"))
        .col(boolean("active"))
        .col(string("updated_by"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .foreign_key(&mut tenant_fk("reviewers"))
        .take()
}

fn notifications() -> TableCreateStatement {
    Table::create()
        .table("notifications")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(uuid("request_id"))
        .col(integer_null("step_idx"))
        .col(string_len("kind", ENUM_LEN))
        .col(string_len("channel", ENUM_LEN))
        .col(text("recipient"))
        // The directory entry the message is for (its decision links are signed for it).
        .col(string_null("reviewer_subject"))
        // (request, step, kind, channel, recipient): never sent twice.
        .col(string("dedupe_key").unique_key())
        .col(string_len("status", ENUM_LEN))
        .col(integer("attempts"))
        .col(timestamp_with_time_zone("next_attempt_at"))
        .col(timestamp_with_time_zone_null("claimed_until"))
        .col(text_null("last_error"))
        // What the channel calls the sent message (a Slack message's ts, an email's Message-ID).
        .col(text_null("external_ref"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("sent_at"))
        .foreign_key(&mut tenant_fk("notifications"))
        .take()
}

fn used_links() -> TableCreateStatement {
    Table::create()
        .table("used_links")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(uuid("request_id"))
        .col(string("used_by"))
        .col(timestamp_with_time_zone("used_at"))
        .foreign_key(&mut tenant_fk("used_links"))
        .take()
}

fn slack_interactions() -> TableCreateStatement {
    Table::create()
        .table("slack_interactions")
        // SHA-256 of the request's signature: one entry per signed payload.
        .col(string("signature_hash").primary_key())
        .col(timestamp_with_time_zone("received_at"))
        .take()
}

fn index(name: &str, table: &str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for col in cols {
        index.col(Alias::new(*col));
    }
    if unique {
        index.unique();
    }
    index.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(reviewers()).await?;
        manager.create_table(notifications()).await?;
        manager.create_table(used_links()).await?;
        manager.create_table(slack_interactions()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table("workflows")
                    .add_column(text_null("notification_channels"))
                    .take(),
            )
            .await?;
        for (name, table, cols, unique) in [
            // One entry per person of a tenant, found by subject and by Slack user id (NULLs
            // are distinct in both databases, so people without Slack do not collide).
            (
                "ux_reviewers_tenant_subject",
                "reviewers",
                &["tenant_id", "subject"][..],
                true,
            ),
            (
                "ux_reviewers_tenant_slack",
                "reviewers",
                &["tenant_id", "slack_user_id"][..],
                true,
            ),
            // The worker's scan: due PENDING notifications, oldest first.
            (
                "ix_notifications_status_next",
                "notifications",
                &["status", "next_attempt_at"][..],
                false,
            ),
            // A request's notifications.
            (
                "ix_notifications_request",
                "notifications",
                &["request_id"][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, table, cols, unique))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("workflows")
                    .drop_column("notification_channels")
                    .take(),
            )
            .await?;
        for table in [
            "slack_interactions",
            "used_links",
            "notifications",
            "reviewers",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
