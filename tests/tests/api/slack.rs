//! Slack, against a local fake of its Web API: a HUMAN submission is posted to the workflow's
//! channel with buttons; a signed click by a mapped, eligible reviewer decides (audited as
//! `slack`), while forged, stale and replayed payloads, people outside the directory, reviewers
//! of other roles and the submitter decide nothing; Reject asks for the reason in a dialog; every
//! message about the step is updated after any decision, wherever it was made; an outage of
//! Slack is retried.

use countersign_tests::fake_slack::FakeSlack;
use countersign_tests::{TestApp, db_tests};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    a_submission_is_posted_and_only_a_mapped_eligible_reviewer_decides_by_button,
    reject_asks_for_the_reason_in_a_dialog,
    an_outage_is_retried_and_a_decision_elsewhere_updates_the_message,
);

const SECRET: &str = "slack-signing-secret-for-tests";
const CHANNEL: &str = "C0REFUNDS";

async fn slack_app(db: countersign_tests::Db) -> (TestApp, FakeSlack) {
    let fake = FakeSlack::start().await;
    let url = fake.url.clone();
    let app = TestApp::spawn_with(db, move |s| {
        s.slack_bot_token = Some(SecretString::from("xoxb-test-token"));
        s.slack_signing_secret = Some(SecretString::from(SECRET));
        s.slack_api_url = url;
        s.public_url = Some("https://countersign.example.com".to_owned());
        s.outbox_interval_ms = 50;
        s.webhook_backoff_base_ms = 50;
        s.webhook_backoff_max_ms = 200;
    })
    .await
    .unwrap();
    (app, fake)
}

async fn setup(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let upsert = "mutation($input: ReviewerInput!) { upsertReviewer(input: $input) { subject } }";
    for (subject, slack, roles) in [
        ("rita", "U0RITA", vec!["support_agent"]),
        ("sam", "U0SAM", vec!["support_agent"]),
        ("bob", "U0BOB", vec!["finance"]),
        ("refund-bot", "U0BOT", vec!["support_agent"]),
    ] {
        app.data(
            &admin(app),
            upsert,
            json!({ "input": { "subject": subject, "name": subject, "slackUserId": slack, "roles": roles } }),
        )
        .await;
    }
    let set = "mutation($c: [NotificationChannelInput!]!) { setNotificationChannels(workflowKey: \"refunds\", channels: $c) { key } }";
    app.data(
        &admin(app),
        set,
        json!({ "c": [{ "kind": "SLACK", "slackChannel": CHANNEL }] }),
    )
    .await;
}

fn blocks_of(call: &Value, kind: &str) -> Vec<Value> {
    call["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == kind)
        .cloned()
        .collect()
}

fn text_of(body: &Value) -> String {
    body["blocks"].to_string()
}

/// The value the message's buttons carry.
fn button_value(message: &Value) -> String {
    blocks_of(message, "actions")[0]["elements"][0]["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Posts an interaction as Slack would; returns the status and the body.
async fn interact(app: &TestApp, payload: &Value) -> (u16, String) {
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let headers = FakeSlack::sign(SECRET, chrono::Utc::now().timestamp(), &body);
    send(app, &body, &headers).await
}

async fn send(app: &TestApp, body: &str, headers: &[(String, String)]) -> (u16, String) {
    let mut request = app
        .client
        .post(format!("{}/integrations/slack/interactions", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

fn click(user: &str, action: &str, value: &str) -> Value {
    json!({
        "type": "block_actions",
        "user": { "id": user },
        "trigger_id": format!("trigger-{user}"),
        "channel": { "id": CHANNEL },
        "container": { "channel_id": CHANNEL },
        "actions": [{ "action_id": action, "value": value }],
    })
}

async fn status(app: &TestApp, id: &str) -> String {
    request(app, &admin(app), id).await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn decision_event(r: &Value, kind: &str) -> Value {
    r["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == kind)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} in {r}"))
}

async fn a_submission_is_posted_and_only_a_mapped_eligible_reviewer_decides_by_button(
    app: &TestApp,
) {
    let (owned, fake) = slack_app(app.db_kind).await;
    let app = &owned;
    setup(app).await;
    let id = submit(app, refund("refunds", "slack-1", "200.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let posted = fake.wait_for("chat.postMessage", 1).await;
    let message = &posted[0];
    assert_eq!(message.auth, "Bearer xoxb-test-token");
    assert_eq!(message.body["channel"], CHANNEL);
    let shown = text_of(&message.body);
    for fact in [
        "Refund slack-1",
        "200.00 USD",
        "95%",
        "Customer is eligible under policy 4.2",
        "Open in Countersign",
    ] {
        assert!(shown.contains(fact), "{fact:?} in {shown}");
    }
    let buttons = &blocks_of(&message.body, "actions")[0]["elements"];
    assert_eq!(buttons[0]["action_id"], "approve");
    assert_eq!(buttons[1]["action_id"], "reject");
    let value = button_value(&message.body);

    // Forged and stale signatures are refused before anything is read.
    let payload = click("U0RITA", "approve", &value);
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    let now = chrono::Utc::now().timestamp();
    let forged = FakeSlack::sign("not-the-secret", now, &body);
    assert_eq!(send(app, &body, &forged).await.0, 401);
    let stale = FakeSlack::sign(SECRET, now - 600, &body);
    assert_eq!(send(app, &body, &stale).await.0, 401);
    assert_eq!(send(app, &body, &[]).await.0, 401);
    assert_eq!(status(app, &id).await, "PENDING");

    // Being in the channel grants nothing: the directory and decide's checks do.
    for (user, says) in [
        ("U0NOBODY", "not an active reviewer"),
        ("U0BOB", "needs the role support_agent"),
        ("U0BOT", "segregation of duties"),
    ] {
        let (code, _) = interact(app, &click(user, "approve", &value)).await;
        assert_eq!(code, 200);
        let told = fake
            .calls("chat.postEphemeral")
            .into_iter()
            .find(|c| c.body["user"] == user)
            .unwrap_or_else(|| panic!("{user} was told why"));
        assert!(
            told.body["text"].as_str().unwrap().contains(says),
            "{user}: {}",
            told.body
        );
        assert_eq!(status(app, &id).await, "PENDING", "{user} decided nothing");
    }

    // Rita may: the request is approved, as rita, through Slack.
    let headers = FakeSlack::sign(SECRET, chrono::Utc::now().timestamp(), &body);
    assert_eq!(send(app, &body, &headers).await.0, 200);
    let r = request(app, &admin(app), &id).await;
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(r["decisions"][0]["actor"], "rita");
    let event = decision_event(&r, "STEP_APPROVED");
    assert_eq!(event["data"]["channel"], "slack");
    assert_eq!(event["data"]["slackUserId"], "U0RITA");
    // The same signed payload again is a replay, however the signature's hex is spelt.
    assert_eq!(send(app, &body, &headers).await.0, 409);
    let shouting: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            let v = if k == "x-slack-signature" {
                format!("v0={}", v[3..].to_ascii_uppercase())
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    assert_eq!(send(app, &body, &shouting).await.0, 409);

    // The message now shows who approved, without buttons.
    let updates = fake.wait_for("chat.update", 1).await;
    let last = &updates.last().unwrap().body;
    assert_eq!(last["channel"], CHANNEL);
    assert_eq!(last["ts"], "1700000000.000001");
    assert!(blocks_of(last, "actions").is_empty(), "no buttons: {last}");
    assert!(text_of(last).contains("Approved by rita"), "{last}");
    owned.cleanup().await;
}

async fn reject_asks_for_the_reason_in_a_dialog(app: &TestApp) {
    let (owned, fake) = slack_app(app.db_kind).await;
    let app = &owned;
    setup(app).await;
    let id = submit(app, refund("refunds", "slack-2", "200.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let value = button_value(&fake.wait_for("chat.postMessage", 1).await[0].body);
    let (code, _) = interact(app, &click("U0SAM", "reject", &value)).await;
    assert_eq!(code, 200);
    let opened = fake.wait_for("views.open", 1).await;
    assert_eq!(opened[0].body["trigger_id"], "trigger-U0SAM");
    let view = opened[0].body["view"].clone();
    assert_eq!(view["type"], "modal");
    assert_eq!(
        status(app, &id).await,
        "PENDING",
        "opening the dialog decides nothing"
    );

    let submission = |reason: Value| {
        json!({
            "type": "view_submission",
            "user": { "id": "U0SAM" },
            "view": {
                "callback_id": view["callback_id"],
                "private_metadata": view["private_metadata"],
                "state": { "values": {
                    "reason": { "reason_code": { "type": "plain_text_input", "value": reason } },
                    "comment": { "comment": { "type": "plain_text_input", "value": "not ours" } },
                } },
            },
        })
    };
    // Without a reason the dialog stays open and says why.
    let (code, body) = interact(app, &submission(Value::Null)).await;
    assert_eq!(code, 200);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["response_action"], "errors", "{answer}");
    assert!(
        answer["errors"]["reason"]
            .as_str()
            .unwrap()
            .contains("reasonCode"),
        "{answer}"
    );
    assert_eq!(status(app, &id).await, "PENDING");

    let (code, body) = interact(app, &submission(json!("not_eligible"))).await;
    assert_eq!((code, body.as_str()), (200, ""));
    let r = request(app, &admin(app), &id).await;
    assert_eq!(r["status"], "REJECTED");
    assert_eq!(r["reasonCode"], "not_eligible");
    assert_eq!(
        decision_event(&r, "REQUEST_REJECTED")["data"]["channel"],
        "slack"
    );
    let update = countersign_tests::eventually("the message to show the rejection", || async {
        fake.calls("chat.update")
            .into_iter()
            .find(|c| text_of(&c.body).contains("Rejected by sam (not_eligible)"))
    })
    .await;
    assert!(blocks_of(&update.body, "actions").is_empty());
    owned.cleanup().await;
}

async fn an_outage_is_retried_and_a_decision_elsewhere_updates_the_message(app: &TestApp) {
    let (owned, fake) = slack_app(app.db_kind).await;
    let app = &owned;
    setup(app).await;
    // Slack is down for the first two attempts.
    fake.fail_next(2);
    let id = submit(app, refund("refunds", "slack-3", "200.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fake.wait_for("chat.postMessage", 1).await;
    assert_eq!(fake.failed(), 2);
    let q = "query($id: ID!) { approvalRequest(id: $id) { notifications { channel kind recipient status attempts } } }";
    // The worker records the attempt just after Slack answered.
    let posted = countersign_tests::eventually("the message to be recorded as sent", || async {
        let n = app.data(&admin(app), q, json!({ "id": id })).await;
        n["approvalRequest"]["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == "APPROVAL_WAITING" && r["status"] == "SENT")
            .cloned()
    })
    .await;
    assert_eq!(posted["channel"], "SLACK");
    assert_eq!(posted["recipient"], CHANNEL);
    assert_eq!(posted["attempts"], 3);

    // Decided in the console: the Slack message follows, and the audit says where.
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&rita)
        .header("x-countersign-client", "console")
        .json(&json!({ "query": DECIDE, "variables": { "input": { "requestId": id, "decision": "APPROVE" } } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let r = request(app, &admin(app), &id).await;
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(
        decision_event(&r, "STEP_APPROVED")["data"]["channel"],
        "console"
    );
    let update = fake.wait_for("chat.update", 1).await;
    assert!(
        text_of(&update[0].body).contains("Approved by rita"),
        "{}",
        update[0].body
    );
    owned.cleanup().await;
}
