//! Invariant 8 as far as submission goes: PAUSED accepts nothing, MANUAL_ONLY routes everything
//! to people; both changes audited with who and why. Also: internal errors never leak.

use countersign_tests::{Db, TestApp, db_tests};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::common::*;

const SET_MODE: &str = "mutation($key: String!, $mode: WorkflowMode!, $reason: String!) { setWorkflowMode(workflowKey: $key, mode: $mode, reason: $reason) { key mode modeReason } }";

db_tests!(
    invariant_8_paused_workflow_accepts_no_new_actions,
    invariant_8_manual_only_routes_everything_to_people,
    mode_change_needs_admin_and_reason,
    internal_errors_show_only_a_correlation_id,
);

mod submissions_beyond_the_rate_limit_are_refused {
    use super::*;

    async fn scenario(db: Db) {
        let Some(app) = TestApp::spawn_with(db, |s| s.submit_rate_per_minute = 3).await else {
            return;
        };
        create_workflow(&app, "refunds", refund_policy()).await;
        for i in 0..3 {
            submit(&app, refund("refunds", &format!("rl-{i}"), "20")).await;
        }
        let body = app
            .gql(
                &agent(&app),
                SUBMIT,
                json!({ "input": refund("refunds", "rl-3", "20") }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
            "{body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("retry in")
        );
        assert_eq!(app.count("approval_requests").await, 3, "nothing stored");
        // The limit is per principal: another agent is not held back.
        let other = app.token(TENANT, "other-bot", &["agent"]);
        let ok = app
            .gql(
                &other,
                SUBMIT,
                json!({ "input": refund("refunds", "rl-4", "20") }),
            )
            .await;
        assert!(ok.get("errors").is_none(), "{ok}");
        app.cleanup().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        countersign_tests::bounded(scenario(Db::Sqlite)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        countersign_tests::bounded(scenario(Db::Postgres)).await;
    }
}

async fn invariant_8_paused_workflow_accepts_no_new_actions(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let w = app
        .data(
            &admin(app),
            SET_MODE,
            json!({ "key": "refunds", "mode": "PAUSED", "reason": "incident INC-42" }),
        )
        .await;
    assert_eq!(w["setWorkflowMode"]["mode"], "PAUSED");
    assert_eq!(w["setWorkflowMode"]["modeReason"], "incident INC-42");
    let requests = app.count("approval_requests").await;
    let events = app.count("audit_events").await;
    let code = app
        .error_code(
            &agent(app),
            SUBMIT,
            json!({ "input": refund("refunds", "p-1", "20") }),
        )
        .await;
    assert_eq!(code, "WORKFLOW_PAUSED");
    assert_eq!(
        app.count("approval_requests").await,
        requests,
        "nothing stored"
    );
    assert_eq!(
        app.count("audit_events").await,
        events,
        "nothing audited for a refused submission"
    );

    let log = app
        .data(&admin(app), "{ auditLog(filter: { types: [\"WORKFLOW_MODE_CHANGED\"] }) { edges { node { actor data } } } }", json!({}))
        .await;
    let event = &log["auditLog"]["edges"][0]["node"];
    assert_eq!(event["actor"], "alice-admin");
    assert_eq!(
        event["data"],
        json!({ "from": "ACTIVE", "to": "PAUSED", "reason": "incident INC-42" })
    );

    app.data(
        &admin(app),
        SET_MODE,
        json!({ "key": "refunds", "mode": "ACTIVE", "reason": "resolved" }),
    )
    .await;
    assert_eq!(
        submit(app, refund("refunds", "p-1", "20")).await["route"],
        "AUTO"
    );
}

async fn invariant_8_manual_only_routes_everything_to_people(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    app.data(
        &admin(app),
        SET_MODE,
        json!({ "key": "refunds", "mode": "MANUAL_ONLY", "reason": "error spike" }),
    )
    .await;
    let out = submit(app, refund("refunds", "m-1", "20")).await;
    assert_eq!(out["route"], "HUMAN", "the AUTO rule is overridden");
    assert_eq!(out["request"]["matchedRule"], "small-clean");
    assert_eq!(out["request"]["steps"][0]["role"], "support_agent");
    let mut rejected = refund("refunds", "m-2", "20");
    rejected["context"] = json!({ "country": "XX" });
    assert_eq!(
        submit(app, rejected).await["route"],
        "REJECT",
        "REJECT stays REJECT"
    );
}

async fn mode_change_needs_admin_and_reason(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    let vars = json!({ "key": "refunds", "mode": "PAUSED", "reason": "x" });
    assert_eq!(app.error_code(&reviewer, SET_MODE, vars).await, "FORBIDDEN");
    let vars = json!({ "key": "refunds", "mode": "PAUSED", "reason": "  " });
    assert_eq!(
        app.error_code(&admin(app), SET_MODE, vars).await,
        "BAD_USER_INPUT"
    );
    let vars = json!({ "key": "nope", "mode": "PAUSED", "reason": "x" });
    assert_eq!(
        app.error_code(&admin(app), SET_MODE, vars).await,
        "NOT_FOUND"
    );
    let w = app
        .data(
            &admin(app),
            "{ workflow(key: \"refunds\") { mode } }",
            json!({}),
        )
        .await;
    assert_eq!(w["workflow"]["mode"], "ACTIVE");
}

async fn internal_errors_show_only_a_correlation_id(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let out = submit(app, refund("refunds", "i-1", "200")).await;
    let id = out["request"]["id"].as_str().unwrap();
    // Break the database under the server: the decisions table disappears.
    let db = app.db().await;
    let drop = match app.db_kind {
        Db::Sqlite => "DROP TABLE decisions",
        Db::Postgres => "DROP TABLE decisions CASCADE",
    };
    db.execute_unprepared(drop).await.unwrap();
    let body = app
        .gql(
            &admin(app),
            "query($id: ID!) { approvalRequest(id: $id) { decisions { actor } } }",
            json!({ "id": id }),
        )
        .await;
    let err = &body["errors"][0];
    assert_eq!(err["extensions"]["code"], "INTERNAL");
    let correlation = err["extensions"]["correlationId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(correlation).is_ok());
    let message = err["message"].as_str().unwrap();
    assert!(message.contains(correlation));
    for leak in [
        "decisions",
        "SELECT",
        "no such table",
        "sqlx",
        "does not exist",
    ] {
        assert!(
            !message.contains(leak),
            "internal detail {leak:?} leaked: {message}"
        );
    }
}
