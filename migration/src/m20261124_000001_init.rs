//! Initial schema: all eight Countersign tables, their indexes and foreign keys.
//! On PostgreSQL it also installs triggers that make `audit_events` append-only.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

/// Width of the string columns that hold enum values.
const ENUM_LEN: u32 = 24;

/// Tables in creation order; dropped in reverse.
const TABLES: [&str; 8] = [
    "tenants",
    "api_keys",
    "workflows",
    "policy_versions",
    "approval_requests",
    "approval_steps",
    "decisions",
    "audit_events",
];

/// PostgreSQL: function + triggers rejecting UPDATE/DELETE/TRUNCATE on `audit_events`.
const PG_CREATE_APPEND_ONLY: &str = r#"
CREATE OR REPLACE FUNCTION countersign_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION countersign_audit_append_only();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION countersign_audit_append_only();
"#;

/// PostgreSQL: removes the append-only triggers and their function.
const PG_DROP_APPEND_ONLY: &str = r#"
DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events;
DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events;
DROP FUNCTION IF EXISTS countersign_audit_append_only();
"#;

/// The initial-schema migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Foreign key `table.column -> to_table.id` with ON DELETE RESTRICT.
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

/// The name [`index`] gives a plain index on `table(cols...)`.
pub(crate) fn index_name(table: &'static str, cols: &[&'static str]) -> String {
    index(table, cols, false)
        .get_index_spec()
        .get_name()
        .unwrap_or_default()
        .to_owned()
}

/// Index on `table(cols...)`, unique if asked.
pub(crate) fn index(
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let prefix = if unique { "ux" } else { "ix" };
    let mut stmt = Index::create();
    stmt.name(format!("{prefix}_{table}_{}", cols.join("_")))
        .table(table);
    for col in cols {
        stmt.col(*col);
    }
    if unique {
        stmt.unique();
    }
    stmt.take()
}

fn tenants() -> TableCreateStatement {
    Table::create()
        .table("tenants")
        .col(string("id").primary_key())
        .col(big_integer("audit_seq"))
        .col(string("audit_head_hash"))
        .col(timestamp_with_time_zone("created_at"))
        .take()
}

fn api_keys() -> TableCreateStatement {
    Table::create()
        .table("api_keys")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(string("principal"))
        .col(text("roles"))
        .col(string_null("label"))
        .col(string("key_hash"))
        .col(string("key_prefix"))
        .col(string("created_by"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("revoked_at"))
        .col(string_null("revoked_by"))
        .foreign_key(&mut fk("api_keys", "tenant_id", "tenants"))
        .take()
}

fn workflows() -> TableCreateStatement {
    Table::create()
        .table("workflows")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(string("key"))
        .col(string("name"))
        .col(text_null("description"))
        .col(string_len("mode", ENUM_LEN))
        .col(text_null("mode_reason"))
        .col(integer("active_policy_version"))
        .col(double("minutes_saved_per_auto"))
        .col(double("minutes_saved_per_assisted"))
        .col(double("reviewer_minutes_per_decision"))
        .col(text("hourly_rate_usd"))
        .col(string("created_by"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .foreign_key(&mut fk("workflows", "tenant_id", "tenants"))
        .take()
}

fn policy_versions() -> TableCreateStatement {
    Table::create()
        .table("policy_versions")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(uuid("workflow_id"))
        .col(integer("version"))
        .col(string_len("status", ENUM_LEN))
        .col(text("document"))
        .col(text_null("note"))
        .col(string("proposed_by"))
        .col(string_null("activated_by"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone_null("activated_at"))
        .col(text_null("status_reason"))
        .foreign_key(&mut fk("policy_versions", "tenant_id", "tenants"))
        .foreign_key(&mut fk("policy_versions", "workflow_id", "workflows"))
        .take()
}

fn approval_requests() -> TableCreateStatement {
    Table::create()
        .table("approval_requests")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(uuid("workflow_id"))
        .col(string("workflow_key"))
        .col(integer("policy_version"))
        .col(string_null("matched_rule"))
        .col(string_len("route", ENUM_LEN))
        .col(string_len("status", ENUM_LEN))
        .col(integer("version"))
        .col(string("idempotency_key"))
        .col(string("input_hash"))
        .col(string("action_type"))
        .col(text("title"))
        .col(text("action"))
        .col(text("final_action"))
        .col(text_null("edit_patch"))
        .col(string("final_action_hash"))
        .col(text_null("recommendation"))
        .col(double_null("confidence"))
        .col(text_null("amount"))
        .col(string_null("currency"))
        .col(text("risk_flags"))
        .col(text("exceptions"))
        .col(string_null("duplicate_key"))
        .col(uuid_null("duplicate_of"))
        .col(text("sources"))
        .col(text_null("context"))
        .col(string_null("model"))
        .col(string_null("prompt_version"))
        .col(text_null("cost_usd"))
        .col(boolean("qa_sampled"))
        .col(string_null("qa_role"))
        .col(string_len_null("qa_verdict", ENUM_LEN))
        .col(string_null("qa_reason_code"))
        .col(text_null("qa_comment"))
        .col(string_null("qa_reviewed_by"))
        .col(timestamp_with_time_zone_null("qa_reviewed_at"))
        .col(integer_null("current_step"))
        .col(timestamp_with_time_zone_null("due_at"))
        .col(string_null("reason_code"))
        .col(string("submitted_by"))
        .col(timestamp_with_time_zone("submitted_at"))
        .col(timestamp_with_time_zone_null("decided_at"))
        .col(timestamp_with_time_zone_null("expires_at"))
        .col(timestamp_with_time_zone_null("executed_at"))
        .col(string_null("external_ref"))
        .col(timestamp_with_time_zone("updated_at"))
        .foreign_key(&mut fk("approval_requests", "tenant_id", "tenants"))
        .foreign_key(&mut fk("approval_requests", "workflow_id", "workflows"))
        .take()
}

fn approval_steps() -> TableCreateStatement {
    Table::create()
        .table("approval_steps")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(uuid("request_id"))
        .col(integer("idx"))
        .col(string("role"))
        .col(integer("quorum"))
        .col(integer("approvals"))
        .col(string_len("status", ENUM_LEN))
        .col(big_integer_null("sla_ms"))
        .col(timestamp_with_time_zone_null("opened_at"))
        .col(timestamp_with_time_zone_null("due_at"))
        .col(string_null("escalation_role"))
        .col(string_null("escalated_to"))
        .col(timestamp_with_time_zone_null("escalated_at"))
        .col(timestamp_with_time_zone_null("decided_at"))
        .foreign_key(&mut fk("approval_steps", "tenant_id", "tenants"))
        .foreign_key(&mut fk("approval_steps", "request_id", "approval_requests"))
        .take()
}

fn decisions() -> TableCreateStatement {
    Table::create()
        .table("decisions")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(uuid("request_id"))
        .col(integer_null("step_idx"))
        .col(string("actor"))
        .col(string_len("decision", ENUM_LEN))
        .col(string_null("reason_code"))
        .col(text_null("comment"))
        .col(boolean("edited"))
        .col(string_null("action_hash"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk("decisions", "tenant_id", "tenants"))
        .foreign_key(&mut fk("decisions", "request_id", "approval_requests"))
        .take()
}

fn audit_events() -> TableCreateStatement {
    Table::create()
        .table("audit_events")
        .col(pk_uuid("id"))
        .col(string("tenant_id"))
        .col(big_integer("seq"))
        .col(string("event_type"))
        .col(timestamp_with_time_zone("at"))
        .col(string("actor"))
        .col(string_null("workflow_key"))
        .col(uuid_null("request_id"))
        .col(text("data"))
        .col(string("prev_hash"))
        .col(string("hash"))
        .foreign_key(&mut fk("audit_events", "tenant_id", "tenants"))
        .take()
}

/// All indexes, created after their tables.
fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        // Unique.
        index("api_keys", &["key_hash"], true),
        index("workflows", &["tenant_id", "key"], true),
        index("policy_versions", &["workflow_id", "version"], true),
        index("approval_requests", &["tenant_id", "idempotency_key"], true),
        index("approval_steps", &["request_id", "idx"], true),
        index("decisions", &["request_id", "actor"], true),
        index("audit_events", &["tenant_id", "seq"], true),
        // Plain.
        index(
            "approval_requests",
            &["tenant_id", "workflow_id", "status"],
            false,
        ),
        index(
            "approval_requests",
            &["tenant_id", "status", "due_at"],
            false,
        ),
        index("approval_requests", &["tenant_id", "duplicate_key"], false),
        index("approval_requests", &["tenant_id", "submitted_at"], false),
        index("approval_steps", &["tenant_id", "status", "role"], false),
        // The scheduler's scans across tenants: due steps and expiring requests.
        index("approval_steps", &["status", "due_at"], false),
        index("approval_requests", &["status", "expires_at"], false),
        // Per-workflow windows: duplicates, backtests, guardrails.
        index(
            "approval_requests",
            &["workflow_id", "duplicate_key"],
            false,
        ),
        index("approval_requests", &["workflow_id", "submitted_at"], false),
        index("approval_requests", &["workflow_id", "decided_at"], false),
        index("decisions", &["tenant_id", "request_id"], false),
        index("audit_events", &["tenant_id", "request_id"], false),
        index("audit_events", &["tenant_id", "workflow_key", "seq"], false),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            tenants(),
            api_keys(),
            workflows(),
            policy_versions(),
            approval_requests(),
            approval_steps(),
            decisions(),
            audit_events(),
        ] {
            manager.create_table(table).await?;
        }
        for idx in indexes() {
            manager.create_index(idx).await?;
        }
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(PG_CREATE_APPEND_ONLY)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(PG_DROP_APPEND_ONLY)
                .await?;
        }
        for table in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(*table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
