//! Agents in the loop: the correlation handle an agent attaches to its action, and waiting for
//! the decision (`awaitDecision`).

use std::time::{Duration, Instant};

use countersign::Application;
use countersign::config::Settings;
use countersign_tests::{Db, SECRET, TestApp, bounded, db_tests};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    correlation_is_stored_as_given_and_on_every_event_of_the_request,
    correlation_is_part_of_the_idempotency_fingerprint,
    a_bad_correlation_is_refused_and_nothing_is_written,
    await_decision_answers_when_the_request_is_decided,
    await_decision_keeps_waiting_through_intermediate_steps,
    await_decision_times_out_with_the_request_as_it_stands,
    await_decision_checks_who_asks_and_its_timeout,
    two_hundred_waiters_on_one_request_all_wake_on_the_decision,
);

const AWAIT: &str = "query($id: ID!, $t: Int) { awaitDecision(id: $id, timeoutSeconds: $t) { id status reasonCode correlation decisions { actor decision reasonCode } } }";

/// Waits on `id` as `token` in the background; gives the answer and how long it took.
fn wait_in_background(
    app: &TestApp,
    token: &str,
    id: &str,
    timeout: u64,
) -> tokio::task::JoinHandle<(Value, Duration)> {
    let (client, base, token, id) = (
        app.client.clone(),
        app.base.clone(),
        token.to_owned(),
        id.to_owned(),
    );
    tokio::spawn(async move {
        let started = Instant::now();
        let body: Value = client
            .post(format!("{base}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": AWAIT, "variables": { "id": id, "t": timeout } }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (body, started.elapsed())
    })
}

/// Waits until the server's event hub has a live tail for the tenant: a waiter is listening.
async fn until_listening(app: &TestApp) {
    countersign_tests::eventually("a waiter to listen", || async {
        app.state.events.broadcast_head(TENANT).map(|_| ())
    })
    .await;
}

async fn human_request(app: &TestApp, key: &str, amount: &str) -> String {
    let mut input = refund("refunds", key, amount);
    input["correlation"] = json!({ "runId": key });
    let out = app
        .data(&agent(app), SUBMIT_CORRELATED, json!({ "input": input }))
        .await["submitAction"]
        .clone();
    out["request"]["id"].as_str().unwrap().to_owned()
}

const SUBMIT_CORRELATED: &str = "mutation($input: SubmitActionInput!) { submitAction(input: $input) { created request { id version correlation } } }";

fn correlated(key: &str, correlation: Value) -> Value {
    let mut input = refund("refunds", key, "200");
    input["correlation"] = correlation;
    input
}

async fn correlation_is_stored_as_given_and_on_every_event_of_the_request(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let handle = json!({ "runId": "run-42", "thread": { "id": "t-1", "step": 3 }, "resume": [1, "two", null] });
    let out = app
        .data(
            &agent(app),
            SUBMIT_CORRELATED,
            json!({ "input": correlated("c-1", handle.clone()) }),
        )
        .await["submitAction"]
        .clone();
    assert_eq!(out["request"]["correlation"], handle);
    let id = out["request"]["id"].as_str().unwrap().to_owned();
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    decide(
        app,
        &rita,
        json!({ "requestId": id, "decision": "REJECT", "reasonCode": "not_eligible" }),
    )
    .await;

    // On the request, for whoever may read it, and on each of its audit events.
    let q =
        "query($id: ID!) { approvalRequest(id: $id) { correlation history { type correlation } } }";
    for token in [agent(app), rita.clone(), admin(app)] {
        let r = app.data(&token, q, json!({ "id": id })).await["approvalRequest"].clone();
        assert_eq!(r["correlation"], handle, "{r}");
        let history = r["history"].as_array().unwrap();
        assert!(history.len() >= 2, "{r}");
        for event in history {
            assert_eq!(event["correlation"], handle, "{event}");
        }
    }
    let log = app
        .data(
            &admin(app),
            "{ auditLog { edges { node { type requestId correlation } } } }",
            json!({}),
        )
        .await;
    for edge in log["auditLog"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        let expected = if node["requestId"].is_null() {
            Value::Null
        } else {
            handle.clone()
        };
        assert_eq!(node["correlation"], expected, "{node}");
    }
    // The submitted event's data carries it too (it is part of what the chain hashes).
    let submitted = app
        .data(
            &admin(app),
            "query($id: String) { auditLog(filter: { requestId: $id, types: [\"REQUEST_SUBMITTED\"] }) { edges { node { data } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        submitted["auditLog"]["edges"][0]["node"]["data"]["correlation"],
        handle
    );
}

async fn correlation_is_part_of_the_idempotency_fingerprint(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let token = agent(app);
    let first = app
        .data(
            &token,
            SUBMIT_CORRELATED,
            json!({ "input": correlated("f-1", json!({ "runId": "a" })) }),
        )
        .await["submitAction"]
        .clone();
    assert_eq!(first["created"], true);
    let again = app
        .data(
            &token,
            SUBMIT_CORRELATED,
            json!({ "input": correlated("f-1", json!({ "runId": "a" })) }),
        )
        .await["submitAction"]
        .clone();
    assert_eq!(again["created"], false);
    assert_eq!(again["request"]["id"], first["request"]["id"]);
    let other = app
        .gql(
            &token,
            SUBMIT_CORRELATED,
            json!({ "input": correlated("f-1", json!({ "runId": "b" })) }),
        )
        .await;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "CONFLICT",
        "{other}"
    );

    // Without one, a replay matches as before; adding one later is different content.
    let plain = app
        .data(
            &token,
            SUBMIT_CORRELATED,
            json!({ "input": refund("refunds", "f-2", "200") }),
        )
        .await["submitAction"]
        .clone();
    assert_eq!(plain["request"]["correlation"], Value::Null);
    let replay = app
        .data(
            &token,
            SUBMIT_CORRELATED,
            json!({ "input": refund("refunds", "f-2", "200") }),
        )
        .await["submitAction"]
        .clone();
    assert_eq!(replay["created"], false);
    let added = app
        .gql(
            &token,
            SUBMIT_CORRELATED,
            json!({ "input": correlated("f-2", json!({ "runId": "c" })) }),
        )
        .await;
    assert_eq!(
        added["errors"][0]["extensions"]["code"], "CONFLICT",
        "{added}"
    );
}

async fn a_bad_correlation_is_refused_and_nothing_is_written(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let token = agent(app);
    let big = json!({ "blob": "x".repeat(8 * 1024) });
    for (what, correlation) in [
        ("a string", json!("run-1")),
        ("an array", json!(["run-1"])),
        ("a number", json!(42)),
        ("more than 8 KiB", big),
    ] {
        let body = app
            .gql(
                &token,
                SUBMIT_CORRELATED,
                json!({ "input": correlated("bad", correlation) }),
            )
            .await;
        let err = &body["errors"][0];
        assert_eq!(
            err["extensions"]["code"], "BAD_USER_INPUT",
            "{what}: {body}"
        );
        assert_eq!(
            err["extensions"]["field"],
            json!(["input", "correlation"]),
            "{what}: {body}"
        );
    }
    assert_eq!(app.count("approval_requests").await, 0);
    assert_eq!(
        app.count("audit_events").await,
        1,
        "the workflow's creation only"
    );
}

async fn await_decision_answers_when_the_request_is_decided(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let id = human_request(app, "w-1", "200").await;
    let waiter = wait_in_background(app, &agent(app), &id, 60);
    until_listening(app).await;
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    decide(
        app,
        &rita,
        json!({ "requestId": id, "decision": "REJECT", "reasonCode": "not_eligible", "comment": "no" }),
    )
    .await;
    let (body, took) = waiter.await.unwrap();
    let r = &body["data"]["awaitDecision"];
    assert_eq!(r["status"], "REJECTED", "{body}");
    assert_eq!(r["reasonCode"], "not_eligible");
    assert_eq!(r["correlation"], json!({ "runId": "w-1" }));
    assert_eq!(r["decisions"][0]["actor"], "rita");
    assert!(
        took < Duration::from_secs(30),
        "woken by the decision, not the timeout: {took:?}"
    );

    // A request already decided (here, approved by policy) answers at once.
    let auto = submit(app, refund("refunds", "w-auto", "20")).await;
    let auto_id = auto["request"]["id"].as_str().unwrap();
    let body = app
        .gql(&agent(app), AWAIT, json!({ "id": auto_id, "t": 60 }))
        .await;
    assert_eq!(
        body["data"]["awaitDecision"]["status"], "APPROVED",
        "{body}"
    );
}

async fn await_decision_keeps_waiting_through_intermediate_steps(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    // Two steps: a support manager, then two of finance.
    let id = human_request(app, "w-big", "2500").await;
    let waiter = wait_in_background(app, &agent(app), &id, 60);
    until_listening(app).await;
    let manager = app.token(TENANT, "mona", &["support_manager"]);
    let f1 = app.token(TENANT, "fred", &["finance"]);
    let f2 = app.token(TENANT, "fay", &["finance"]);
    for token in [&manager, &f1] {
        let r = decide(
            app,
            token,
            json!({ "requestId": id, "decision": "APPROVE" }),
        )
        .await;
        assert_eq!(r["status"], "PENDING", "{r}");
    }
    assert!(!waiter.is_finished(), "still pending: the waiter waits");
    decide(app, &f2, json!({ "requestId": id, "decision": "APPROVE" })).await;
    let (body, _) = waiter.await.unwrap();
    let r = &body["data"]["awaitDecision"];
    assert_eq!(r["status"], "APPROVED", "{body}");
    assert_eq!(r["decisions"].as_array().unwrap().len(), 3);
}

async fn await_decision_times_out_with_the_request_as_it_stands(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let id = human_request(app, "w-slow", "200").await;
    let started = Instant::now();
    let body = app
        .gql(&agent(app), AWAIT, json!({ "id": id, "t": 1 }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["awaitDecision"]["status"], "PENDING");
    assert!(started.elapsed() >= Duration::from_secs(1));
}

async fn await_decision_checks_who_asks_and_its_timeout(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let id = human_request(app, "w-who", "200").await;
    // Another tenant, and a reviewer of roles the workflow never names, cannot see it.
    for token in [
        app.token("other", "refund-bot", &["agent"]),
        app.token(TENANT, "sally", &["sales_ops"]),
    ] {
        let body = app.gql(&token, AWAIT, json!({ "id": id, "t": 1 })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{body}"
        );
    }
    for t in [0, 61, -5] {
        let body = app
            .gql(&agent(app), AWAIT, json!({ "id": id, "t": t }))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{t}: {body}"
        );
    }
    let body = app
        .gql(&agent(app), "query($id: ID!) { a: awaitDecision(id: $id, timeoutSeconds: 1) { status } b: awaitDecision(id: $id, timeoutSeconds: 1) { status } }", json!({ "id": id }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "one wait per operation: {body}"
    );
}

async fn two_hundred_waiters_on_one_request_all_wake_on_the_decision(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let id = human_request(app, "w-many", "200").await;
    let token = agent(app);
    let waiters: Vec<_> = (0..200)
        .map(|_| wait_in_background(app, &token, &id, 60))
        .collect();
    until_listening(app).await;
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    decide(
        app,
        &rita,
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    for waiter in waiters {
        let (body, took) = waiter.await.unwrap();
        assert_eq!(
            body["data"]["awaitDecision"]["status"], "APPROVED",
            "{body}"
        );
        assert!(took < Duration::from_secs(45), "{took:?}");
    }
}

/// Two replicas on one PostgreSQL database: an agent waits on one, a person decides on the other,
/// and the waiter wakes (the other replica's commit reaches it by NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn await_decision_wakes_on_a_decision_made_on_another_replica() {
    bounded(async {
        let Some(app) = TestApp::spawn(Db::Postgres).await else {
            return;
        };
        create_workflow(&app, "refunds", refund_policy()).await;
        let id = human_request(&app, "w-replica", "200").await;
        let other = Application::build(Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: app.database_url.clone(),
            migrate: false,
            db_max_connections: 4,
            jwt_secret: Some(SecretString::from(SECRET)),
            ..Settings::default()
        })
        .await
        .unwrap();
        let other_base = format!("http://127.0.0.1:{}", other.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            other
                .run_until(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        let waiter = wait_in_background(&app, &agent(&app), &id, 60);
        until_listening(&app).await;
        let rita = app.token(TENANT, "rita", &["support_agent"]);
        let decided: Value = app
            .client
            .post(format!("{other_base}/graphql"))
            .bearer_auth(&rita)
            .json(&json!({ "query": DECIDE, "variables": { "input": { "requestId": id, "decision": "APPROVE" } } }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(decided["data"]["decide"]["status"], "APPROVED", "{decided}");
        let (body, took) = waiter.await.unwrap();
        assert_eq!(body["data"]["awaitDecision"]["status"], "APPROVED", "{body}");
        assert!(took < Duration::from_secs(30), "{took:?}");
        let _ = stop.send(());
        server.await.unwrap();
        app.cleanup().await;
    })
    .await;
}
