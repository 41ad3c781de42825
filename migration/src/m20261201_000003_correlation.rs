//! The agent's correlation handle on requests (`SubmitActionInput.correlation`): a JSON object,
//! stored as text exactly as given.

use sea_orm_migration::{prelude::*, schema::*};

/// The correlation migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("approval_requests")
                    .add_column(text_null("correlation"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("approval_requests")
                    .drop_column("correlation")
                    .take(),
            )
            .await
    }
}
