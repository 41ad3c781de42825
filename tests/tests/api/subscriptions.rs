//! `approvalEvents` over WebSocket (graphql-transport-ws): the protocol's close codes, live
//! events, replay with afterSeq without gap or duplicate, resume, tenant and role isolation,
//! many subscribers, slow subscribers, and two replicas on one PostgreSQL.

use countersign_tests::{Db, PgDatabase, ServerProcess, TestApp, db_tests, post_graphql};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::common::*;
use crate::wsclient::{EVENTS, Incoming, WsClient};

db_tests!(
    protocol_close_codes_follow_graphql_ws,
    live_events_arrive_in_audit_order,
    replay_then_live_has_no_gap_and_no_duplicate,
    resume_after_disconnect_with_after_seq,
    subscribers_see_only_their_tenant_and_workflows,
    five_hundred_subscribers_all_receive_an_event,
);

async fn head(app: &TestApp) -> i64 {
    let v = app
        .data(&admin(app), "{ verifyAuditChain { checked } }", json!({}))
        .await;
    v["verifyAuditChain"]["checked"].as_i64().unwrap()
}

async fn protocol_close_codes_follow_graphql_ws(app: &TestApp) {
    // Credentials refused at connection_init: 4403.
    let mut c = WsClient::connect(&app.base).await;
    c.send(json!({ "type": "connection_init", "payload": { "Authorization": "Bearer nope" } }))
        .await;
    assert!(c.expect_close(4403).await.starts_with("Forbidden"));
    let mut c = WsClient::connect(&app.base).await;
    c.send(json!({ "type": "connection_init" })).await;
    c.expect_close(4403).await;
    // Subscribing before the acknowledgement: 4401.
    let mut c = WsClient::connect(&app.base).await;
    c.subscribe("1", json!({})).await;
    c.expect_close(4401).await;
    // Not a protocol message: 4400.
    let mut c = WsClient::connect(&app.base).await;
    c.send_raw("{\"type\":\"hello\"}").await;
    c.expect_close(4400).await;
    // Without the subprotocol: 4406.
    let mut c = WsClient::connect_with(&app.base, false, None).await;
    c.expect_close(4406).await;
    // A second connection_init: 4429; a duplicate subscription id: 4409.
    let mut c = WsClient::ready(&app.base, &admin(app)).await;
    c.send(json!({ "type": "ping", "payload": { "n": 1 } }))
        .await;
    match c.recv().await {
        Incoming::Text(v) => assert_eq!(v, json!({ "type": "pong", "payload": { "n": 1 } })),
        other => panic!("expected pong, got {other:?}"),
    }
    c.subscribe("a", json!({})).await;
    c.subscribe("a", json!({})).await;
    assert_eq!(
        c.expect_close(4409).await,
        "Subscriber for a already exists"
    );
    let mut c = WsClient::ready(&app.base, &admin(app)).await;
    c.send(json!({ "type": "connection_init" })).await;
    c.expect_close(4429).await;
    // The token may come in the upgrade request's Authorization header instead.
    let mut c = WsClient::connect_with(&app.base, true, Some(&admin(app))).await;
    c.send(json!({ "type": "connection_init" })).await;
    assert!(matches!(c.recv().await, Incoming::Text(v) if v["type"] == "connection_ack"));
    c.close().await;
}

mod init_timeout_closes_with_4408 {
    use super::*;

    async fn scenario(db: Db) {
        let Some(app) = TestApp::spawn_with(db, |s| s.ws_init_timeout_ms = 200).await else {
            return;
        };
        let mut c = WsClient::connect(&app.base).await;
        assert_eq!(
            c.expect_close(4408).await,
            "Connection initialisation timeout"
        );
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

async fn live_events_arrive_in_audit_order(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let mut c = WsClient::ready(&app.base, &admin(app)).await;
    c.subscribe("live", json!({})).await;
    // The server reads the subscribe message (and fixes where a live subscription starts) before
    // it answers a later ping.
    c.ping().await;
    // A live-only subscription starts after the current head, so this first event proves it is
    // running; nothing before it (the WORKFLOW_CREATED event) is replayed.
    let out = submit(app, refund("refunds", "l-1", "200")).await;
    let id = out["request"]["id"].as_str().unwrap();
    let first = c.next_event("live").await;
    assert_eq!(first["type"], "REQUEST_SUBMITTED");
    assert_eq!(first["seq"], 2);
    assert_eq!(first["requestId"], id);
    assert_eq!(first["workflowKey"], "refunds");
    assert_eq!(c.next_event("live").await["type"], "STEP_OPENED");
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    decide(
        app,
        &reviewer,
        json!({ "requestId": id, "decision": "APPROVE" }),
    )
    .await;
    let e = c.next_event("live").await;
    assert_eq!(
        (e["type"].as_str(), e["seq"].as_i64(), e["actor"].as_str()),
        (Some("STEP_APPROVED"), Some(4), Some("rita"))
    );
    assert_eq!(c.next_event("live").await["type"], "REQUEST_APPROVED");
    // complete stops the subscription: the next event does not arrive on it.
    c.send(json!({ "id": "live", "type": "complete" })).await;
    c.subscribe("again", json!({})).await;
    c.ping().await;
    submit(app, refund("refunds", "l-2", "20")).await;
    assert_eq!(c.next_event("again").await["seq"], 6);
}

async fn replay_then_live_has_no_gap_and_no_duplicate(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    for i in 0..10 {
        submit(app, refund("refunds", &format!("r-{i}"), "20")).await;
    }
    // Events keep being written while the subscriber switches from replay to live.
    let token = agent(app);
    let writer = {
        let client = app.client.clone();
        let base = app.base.clone();
        tokio::spawn(async move {
            for i in 0..30 {
                let body = post_graphql(&client, &base, &token, SUBMIT, json!({ "input": refund("refunds", &format!("w-{i}"), if i % 2 == 0 { "20" } else { "200" }) })).await;
                assert!(body.get("errors").is_none(), "{body}");
            }
        })
    };
    let mut c = WsClient::ready(&app.base, &admin(app)).await;
    c.subscribe("r", json!({ "after": 0 })).await;
    writer.await.unwrap();
    let last = head(app).await;
    let events = c.events_until("r", last).await;
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=last).collect::<Vec<_>>(),
        "every event once, in order"
    );
    assert_eq!(events[0]["type"], "WORKFLOW_CREATED");
}

async fn resume_after_disconnect_with_after_seq(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let mut c = WsClient::ready(&app.base, &admin(app)).await;
    c.subscribe("s", json!({ "after": 0 })).await;
    submit(app, refund("refunds", "d-1", "20")).await;
    let seen = c.events_until("s", 3).await;
    let last_seen = seen.last().unwrap()["seq"].as_i64().unwrap();
    c.close().await;
    // Missed while disconnected.
    submit(app, refund("refunds", "d-2", "200")).await;
    submit(app, refund("refunds", "d-3", "20")).await;
    let mut c = WsClient::ready(&app.base, &admin(app)).await;
    c.subscribe("s", json!({ "after": last_seen })).await;
    let replayed = c.events_until("s", head(app).await).await;
    assert_eq!(
        replayed.first().unwrap()["seq"].as_i64().unwrap(),
        last_seen + 1
    );
    // ... then live ones follow on the same subscription.
    submit(app, refund("refunds", "d-4", "20")).await;
    let live = c.next_event("s").await;
    assert_eq!(
        live["seq"].as_i64().unwrap(),
        replayed.last().unwrap()["seq"].as_i64().unwrap() + 1
    );
    assert_eq!(live["type"], "REQUEST_SUBMITTED");
}

async fn subscribers_see_only_their_tenant_and_workflows(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    create_workflow(
        app,
        "payments",
        json!({ "rules": [], "default": { "route": "HUMAN", "steps": [ { "role": "finance" } ] } }),
    )
    .await;
    let globex_admin = app.token("globex", "gina", &["admin"]);
    let mut other_tenant = WsClient::ready(&app.base, &globex_admin).await;
    other_tenant.subscribe("g", json!({ "after": 0 })).await;
    let reviewer = app.token(TENANT, "rita", &["support_agent"]);
    let mut rev = WsClient::ready(&app.base, &reviewer).await;
    rev.subscribe("r", json!({ "after": 0 })).await;
    // A workflow the reviewer's roles are not named in: refused at subscribe.
    let mut rev2 = WsClient::ready(&app.base, &reviewer).await;
    rev2.subscribe("p", json!({ "key": "payments" })).await;
    match rev2.recv().await {
        Incoming::Text(v) => {
            assert_eq!(v["type"], "error");
            assert_eq!(v["payload"][0]["extensions"]["code"], "FORBIDDEN");
        }
        other => panic!("expected an error message, got {other:?}"),
    }
    let mut filtered = WsClient::ready(&app.base, &admin(app)).await;
    filtered
        .subscribe("f", json!({ "key": "payments", "after": 0 }))
        .await;

    app.data(
        &admin(app),
        "mutation { createApiKey(principal: \"bot\", roles: [\"agent\"]) { id } }",
        json!({}),
    )
    .await;
    let mut pay = refund("payments", "p-1", "900");
    pay["actionType"] = json!("invoice.pay");
    submit(app, pay).await;
    submit(app, refund("refunds", "v-1", "200")).await;
    let last = head(app).await;

    // The reviewer sees refunds (its role is named there) and nothing else.
    let mut seen = Vec::new();
    loop {
        let e = rev.next_event("r").await;
        assert_eq!(e["workflowKey"], "refunds", "reviewer saw {e}");
        seen.push(e["type"].as_str().unwrap().to_owned());
        if e["seq"].as_i64().unwrap() == last {
            break;
        }
    }
    assert_eq!(
        seen,
        ["WORKFLOW_CREATED", "REQUEST_SUBMITTED", "STEP_OPENED"]
    );
    // The workflowKey filter keeps only that workflow.
    let f: Vec<Value> = filtered.events_until("f", last - 2).await;
    assert!(f.iter().all(|e| e["workflowKey"] == "payments"), "{f:?}");
    // Another tenant sees nothing of acme's: its own first event is its seq 1.
    app.data(&globex_admin, CREATE_WORKFLOW, json!({ "input": { "key": "refunds", "name": "Globex refunds", "policy": refund_policy() } })).await;
    let g = other_tenant.next_event("g").await;
    assert_eq!(
        (g["seq"].as_i64(), g["type"].as_str(), g["actor"].as_str()),
        (Some(1), Some("WORKFLOW_CREATED"), Some("gina"))
    );
}

async fn five_hundred_subscribers_all_receive_an_event(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let token = admin(app);
    let mut clients = join_all((0..500).map(|_| WsClient::ready(&app.base, &token))).await;
    for c in clients.iter_mut() {
        c.subscribe("s", json!({})).await;
    }
    // Every subscription is live before the event is written: a ping round trip per client
    // orders it after the subscribe message on the same connection.
    for c in clients.iter_mut() {
        c.ping().await;
    }
    let out = submit(app, refund("refunds", "many", "20")).await;
    let id = out["request"]["id"].as_str().unwrap().to_owned();
    let received = join_all(clients.iter_mut().map(|c| {
        let id = id.clone();
        async move {
            let e = c.next_event("s").await;
            e["requestId"] == id && e["type"] == "REQUEST_SUBMITTED"
        }
    }))
    .await;
    assert_eq!(received.iter().filter(|ok| **ok).count(), 500);
}

mod slow_subscriber_is_closed_with_a_reason_and_can_resume {
    use super::*;
    use futures::StreamExt;

    async fn scenario(db: Db) {
        let Some(owned) = TestApp::spawn_with(db, |s| s.subscriber_buffer = 8).await else {
            return;
        };
        let app = &owned;
        create_workflow(app, "refunds", refund_policy()).await;
        // A subscriber that stops reading: the schema's stream, held without being polled.
        let schema = countersign::graphql::build_schema(app.state.clone());
        let principal = app.state.tokens.verify(&admin(app)).await.unwrap();
        // From the head before the first submission: however the subscription's start races the
        // submission's commit, the first event arrives (by replay or live) and none is skipped.
        let before = head(app).await;
        let request = async_graphql::Request::new(EVENTS)
            .variables(async_graphql::Variables::from_json(
                json!({ "after": before }),
            ))
            .data(countersign::auth::Auth(Ok(principal)));
        let mut stream = schema.execute_stream(request);
        // Its first poll subscribes and yields the first event; then it falls behind.
        let (first, _) = tokio::join!(
            stream.next(),
            submit(app, refund("refunds", "slow-0", "20"))
        );
        let first = first.unwrap();
        assert!(first.errors.is_empty(), "{:?}", first.errors);
        let mut last_ok = first.data.into_json().unwrap()["approvalEvents"]["seq"]
            .as_i64()
            .unwrap();
        for i in 1..=10 {
            submit(app, refund("refunds", &format!("slow-{i}"), "20")).await;
        }
        let target = head(app).await;
        countersign_tests::eventually("the hub to broadcast everything", || async {
            (app.state.events.broadcast_head(TENANT) >= Some(target)).then_some(())
        })
        .await;
        let reason = loop {
            let r = stream
                .next()
                .await
                .expect("the stream ends only after the error");
            if let Some(e) = r.errors.first() {
                assert_eq!(
                    e.extensions
                        .as_ref()
                        .and_then(|x| x.get("code"))
                        .map(|c| c.to_string()),
                    Some("\"CONFLICT\"".to_owned())
                );
                break e.message.clone();
            }
            last_ok = r.data.into_json().unwrap()["approvalEvents"]["seq"]
                .as_i64()
                .unwrap();
        };
        assert!(
            reason.contains("fell more than 8 events behind"),
            "{reason}"
        );
        assert!(reason.contains(&format!("afterSeq: {last_ok}")), "{reason}");
        assert!(
            stream.next().await.is_none(),
            "the subscription ends after the error"
        );
        // Resuming from the named seq gives the rest.
        let mut c = WsClient::ready(&app.base, &admin(app)).await;
        c.subscribe("resume", json!({ "after": last_ok })).await;
        let rest = c.events_until("resume", target).await;
        assert_eq!(rest[0]["seq"].as_i64().unwrap(), last_ok + 1);
        let seqs: Vec<i64> = rest.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, ((last_ok + 1)..=target).collect::<Vec<_>>());
        c.close().await;
        owned.cleanup().await;
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

/// Submit on replica B, receive on replica A: the audit tail crosses replicas through PostgreSQL
/// (NOTIFY as the wake-up, the table as the truth).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_submit_on_b_receive_on_a() {
    // Built (when stale) before the clock starts: a build is not the scenario's time.
    countersign_tests::countersign_bin();
    countersign_tests::bounded(two_replicas_submit_on_b_receive_on_a_scenario()).await;
}

async fn two_replicas_submit_on_b_receive_on_a_scenario() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    // A long backup poll, so delivery within the test's wait relies on NOTIFY.
    let env = [
        ("COUNTERSIGN_EVENTS_POLL_MS", "60000"),
        ("COUNTERSIGN_SCHEDULER_ENABLED", "false"),
    ];
    let a = ServerProcess::start(&db.url, &env).await;
    let b = ServerProcess::start(&db.url, &env).await;
    let client = reqwest::Client::new();
    let tokens = countersign_tests::test_tokens();
    let admin = tokens
        .mint(
            TENANT,
            "alice-admin",
            &["admin".into()],
            chrono::Duration::hours(1),
        )
        .unwrap();
    let agent = tokens
        .mint(
            TENANT,
            "refund-bot",
            &["agent".into()],
            chrono::Duration::hours(1),
        )
        .unwrap();
    let created = post_graphql(
        &client,
        &b.base,
        &admin,
        CREATE_WORKFLOW,
        json!({ "input": { "key": "refunds", "name": "Refunds", "policy": refund_policy() } }),
    )
    .await;
    assert!(created.get("errors").is_none(), "{created}");

    let mut on_a = WsClient::ready(&a.base, &admin).await;
    on_a.subscribe("a", json!({})).await;
    on_a.ping().await;
    let out = post_graphql(
        &client,
        &b.base,
        &agent,
        SUBMIT,
        json!({ "input": refund("refunds", "x-1", "20") }),
    )
    .await;
    let id = out["data"]["submitAction"]["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = on_a.next_event("a").await;
    assert_eq!(
        (
            e["type"].as_str(),
            e["requestId"].as_str(),
            e["seq"].as_i64()
        ),
        (Some("REQUEST_SUBMITTED"), Some(id.as_str()), Some(2))
    );
    assert_eq!(on_a.next_event("a").await["type"], "AUTO_APPROVED");
    on_a.close().await;
    drop((a, b));
    db.drop_database().await;
}
