//! Schema migrations for Countersign, runnable on SQLite and PostgreSQL.
//! Run with `Migrator::up(&db, None)` (the [`MigratorTrait`] is re-exported here).

use sea_orm_migration::MigrationTrait;
pub use sea_orm_migration::MigratorTrait;

pub mod m20261124_000001_init;
pub mod m20261124_000002_execution;
pub mod m20261201_000003_correlation;
pub mod m20261201_000004_event_webhooks;
pub mod m20261202_000005_notifications;
pub mod m20261203_000006_queue_indexes;
pub mod m20261204_000007_sample_queue_index;
pub mod m20261205_000008_visibility_indexes;

/// The Countersign migrator: lists every migration in order.
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_init::Migration),
            Box::new(m20261124_000002_execution::Migration),
            Box::new(m20261201_000003_correlation::Migration),
            Box::new(m20261201_000004_event_webhooks::Migration),
            Box::new(m20261202_000005_notifications::Migration),
            Box::new(m20261203_000006_queue_indexes::Migration),
            Box::new(m20261204_000007_sample_queue_index::Migration),
            Box::new(m20261205_000008_visibility_indexes::Migration),
        ]
    }
}
