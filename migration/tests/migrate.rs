//! Runs the migration up, down and up again on SQLite and (optionally) PostgreSQL.
//! The PostgreSQL test needs `TEST_DATABASE_URL` and checks the append-only audit triggers.

use countersign_entity::{approval_request, audit_event, enums, outbox, tenant, workflow};
use countersign_migration::{Migrator, MigratorTrait};
use sea_orm::prelude::*;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, IntoActiveModel};
use std::error::Error;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

type TestResult = Result<(), Box<dyn Error>>;

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn nanos() -> Result<u128, Box<dyn Error>> {
    Ok(SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos())
}

/// Whole-second timestamp, so it survives every backend's precision.
fn ts(secs: i64) -> Result<DateTimeUtc, Box<dyn Error>> {
    DateTimeUtc::from_timestamp(secs, 0).ok_or_else(|| "bad timestamp".into())
}

/// Migrate up, down, up; then round-trip a few rows through the entities.
async fn exercise(db: &DatabaseConnection) -> TestResult {
    Migrator::up(db, None).await?;
    Migrator::down(db, None).await?;
    Migrator::up(db, None).await?;
    assert!(Migrator::get_pending_migrations(db).await?.is_empty());

    let t0 = ts(1_700_000_000)?;
    let tenant = tenant::Model {
        id: "acme".to_owned(),
        audit_seq: 1,
        audit_head_hash: "h1".to_owned(),
        created_at: t0,
    };
    let got = tenant
        .clone()
        .into_active_model()
        .reset_all()
        .insert(db)
        .await?;
    assert_eq!(got, tenant);

    let wf = workflow::Model {
        id: Uuid::from_u128(1),
        tenant_id: "acme".to_owned(),
        key: "invoices".to_owned(),
        name: "Invoices".to_owned(),
        description: Some("long text".to_owned()),
        mode: enums::WorkflowMode::ManualOnly,
        mode_reason: None,
        active_policy_version: 1,
        minutes_saved_per_auto: 4.5,
        minutes_saved_per_assisted: 2.25,
        reviewer_minutes_per_decision: 1.0,
        hourly_rate_usd: "85.00".to_owned(),
        created_by: "alice".to_owned(),
        created_at: t0,
        updated_at: t0,
        webhook_url: Some("https://hooks.example.com/countersign".to_owned()),
        webhook_secret: Some(workflow::StoredSecret(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        )),
        webhook_max_attempts: Some(8),
        notification_channels: Some(r#"[{"kind":"EMAIL","emails":["a@example.com"]}]"#.to_owned()),
    };
    let got = wf
        .clone()
        .into_active_model()
        .reset_all()
        .insert(db)
        .await?;
    assert_eq!(got, wf);
    let found = workflow::Entity::find()
        .filter(workflow::Column::Mode.eq(enums::WorkflowMode::ManualOnly))
        .one(db)
        .await?;
    assert_eq!(found, Some(wf.clone()));

    let req = approval_request::Model {
        id: Uuid::from_u128(2),
        tenant_id: "acme".to_owned(),
        workflow_id: wf.id,
        workflow_key: "invoices".to_owned(),
        policy_version: 1,
        matched_rule: Some("r1".to_owned()),
        route: enums::Route::Human,
        status: enums::RequestStatus::ExecutionFailed,
        version: 0,
        idempotency_key: "idem-1".to_owned(),
        input_hash: "ih".to_owned(),
        action_type: "pay".to_owned(),
        title: "Pay invoice".to_owned(),
        action: "{}".to_owned(),
        final_action: "{}".to_owned(),
        edit_patch: None,
        final_action_hash: "fh".to_owned(),
        recommendation: None,
        confidence: Some(0.5),
        amount: Some("12.34".to_owned()),
        currency: Some("USD".to_owned()),
        risk_flags: "[]".to_owned(),
        exceptions: "[]".to_owned(),
        duplicate_key: None,
        duplicate_of: Some(Uuid::from_u128(99)),
        sources: "[]".to_owned(),
        context: None,
        correlation: None,
        model: None,
        prompt_version: None,
        cost_usd: None,
        qa_sampled: true,
        qa_role: None,
        qa_verdict: Some(enums::SampleVerdict::Incorrect),
        qa_reason_code: None,
        qa_comment: None,
        qa_reviewed_by: None,
        qa_reviewed_at: Some(t0),
        current_step: Some(0),
        due_at: None,
        reason_code: None,
        submitted_by: "bot".to_owned(),
        submitted_at: t0,
        decided_at: None,
        expires_at: None,
        executed_at: None,
        external_ref: None,
        updated_at: t0,
        execution_error: Some("HTTP 500".to_owned()),
    };
    let got = req
        .clone()
        .into_active_model()
        .reset_all()
        .insert(db)
        .await?;
    assert_eq!(got, req);

    let delivery = outbox::Model {
        id: Uuid::from_u128(4),
        tenant_id: "acme".to_owned(),
        workflow_id: wf.id,
        request_id: req.id,
        webhook_id: "msg_1".to_owned(),
        event_type: "action.approved".to_owned(),
        payload: "{\"type\":\"action.approved\"}".to_owned(),
        attempts: 2,
        max_attempts: 8,
        status: enums::OutboxStatus::Pending,
        next_attempt_at: t0,
        claimed_until: Some(t0),
        last_status_code: Some(503),
        last_error: None,
        created_at: t0,
        delivered_at: None,
    };
    let got = delivery
        .clone()
        .into_active_model()
        .reset_all()
        .insert(db)
        .await?;
    assert_eq!(got, delivery);
    let due = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(enums::OutboxStatus::Pending))
        .filter(outbox::Column::NextAttemptAt.lte(t0))
        .all(db)
        .await?;
    assert_eq!(due, vec![delivery.clone()]);
    let mut again = delivery.clone().into_active_model().reset_all();
    again.id = sea_orm::ActiveValue::Set(Uuid::from_u128(5));
    assert!(again.insert(db).await.is_err(), "webhook_id is unique");

    let ev = audit_event::Model {
        id: Uuid::from_u128(3),
        tenant_id: "acme".to_owned(),
        seq: 1,
        event_type: "request.submitted".to_owned(),
        at: t0,
        actor: "bot".to_owned(),
        workflow_key: Some("invoices".to_owned()),
        request_id: Some(req.id),
        data: "{\"a\":1}".to_owned(),
        prev_hash: "h0".to_owned(),
        hash: "h1".to_owned(),
    };
    let got = ev
        .clone()
        .into_active_model()
        .reset_all()
        .insert(db)
        .await?;
    assert_eq!(got, ev);
    assert_eq!(
        audit_event::Entity::find_by_id(ev.id).one(db).await?,
        Some(ev)
    );
    Ok(())
}

#[tokio::test]
async fn sqlite_up_down_up() -> TestResult {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!(
        "countersign_mig_{}_{}_{}.db",
        std::process::id(),
        n,
        nanos()?
    ));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Database::connect(&url).await?;
    let result = exercise(&db).await;
    db.close().await?;
    let _ = std::fs::remove_file(&path);
    result
}

/// Replace the database name in a postgres URL, keeping any query string.
fn with_db_name(url: &str, name: &str) -> Result<String, Box<dyn Error>> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let (prefix, _) = base.rsplit_once('/').ok_or("malformed database url")?;
    Ok(match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    })
}

async fn pg_body(url: &str) -> TestResult {
    let db = Database::connect(url).await?;
    let result = async {
        exercise(&db).await?;
        // A raw-SQL insert works (inserts are allowed).
        db.execute_unprepared(
            "INSERT INTO audit_events (id, tenant_id, seq, event_type, at, actor, data, prev_hash, hash) \
             VALUES ('00000000-0000-0000-0000-0000000000aa', 'acme', 2, 'x', now(), 'bob', '{}', 'h1', 'h2')",
        )
        .await?;
        assert!(
            db.execute_unprepared("UPDATE audit_events SET actor='x'")
                .await
                .is_err(),
            "UPDATE on audit_events must fail"
        );
        let del = db.execute_unprepared("DELETE FROM audit_events").await;
        assert!(
            del.as_ref()
                .is_err_and(|e| e.to_string().contains("append-only")),
            "DELETE on audit_events must fail: {del:?}"
        );
        assert!(
            db.execute_unprepared("TRUNCATE audit_events").await.is_err(),
            "TRUNCATE on audit_events must fail"
        );
        // And the whole schema can still be torn down.
        Migrator::down(&db, None).await?;
        Ok::<(), Box<dyn Error>>(())
    }
    .await;
    db.close().await?;
    result
}

#[tokio::test]
async fn postgres_up_down_up() -> TestResult {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL not set; skipping PostgreSQL migration test");
        return Ok(());
    };
    let name = format!("cs_mig_{}", nanos()?);
    let admin = Database::connect(&admin_url).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let result = pg_body(&with_db_name(&admin_url, &name)?).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin.close().await?;
    result
}
