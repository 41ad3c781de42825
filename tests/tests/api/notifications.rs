//! Reviewers told by email: the directory and channels (checked, audited), the messages a HUMAN
//! submission causes (to the step's eligible reviewers, never the submitter or an inactive
//! entry), decision links that confirm on GET and decide once on POST as the directory entry,
//! links bound to their step and version, reminders once before the due time, and a mail
//! server outage retried — against a local SMTP sink.

use countersign::Application;
use countersign_tests::smtp::{Mail, SmtpSink};
use countersign_tests::{TestApp, db_tests};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::common::*;

db_tests!(
    a_human_submission_emails_the_eligible_reviewers_and_a_link_decides_once,
    links_are_bound_to_their_step_reviewer_and_version,
    a_reminder_goes_out_once_before_the_due_time_and_an_outage_is_retried,
    directory_and_channels_are_checked_and_audited,
    escalation_and_expiry_are_announced_by_mail_and_in_slack,
);

const PUBLIC_URL: &str = "https://countersign.example.com";

/// A server that sends email to a fresh sink.
async fn mail_app(db: countersign_tests::Db) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let url = sink.url.clone();
    let app = TestApp::spawn_with(db, move |s| {
        s.smtp_url = Some(SecretString::from(url));
        s.mail_from = Some("Countersign <approvals@example.com>".to_owned());
        s.public_url = Some(PUBLIC_URL.to_owned());
        s.link_signing_key = Some(SecretString::from("link-key-for-tests-0123456789-abcdef"));
        s.outbox_interval_ms = 50;
        s.webhook_backoff_base_ms = 50;
        s.webhook_backoff_max_ms = 200;
    })
    .await
    .unwrap();
    (app, sink)
}

const UPSERT: &str = "mutation($input: ReviewerInput!) { upsertReviewer(input: $input) { subject name email roles active } }";
const CHANNELS: &str = "mutation($key: String!, $channels: [NotificationChannelInput!]!) { setNotificationChannels(workflowKey: $key, channels: $channels) { key notificationChannels { kind emails slackChannel remindBefore } } }";
const NOTIFICATIONS: &str = "query($id: ID!) { approvalRequest(id: $id) { status notifications { channel kind recipient reviewer step status attempts lastError } } }";

async fn reviewer(app: &TestApp, subject: &str, roles: &[&str], active: bool) {
    app.data(
        &admin(app),
        UPSERT,
        json!({ "input": { "subject": subject, "name": format!("{subject} (name)"),
                           "email": format!("{subject}@example.com"), "roles": roles, "active": active } }),
    )
    .await;
}

async fn email_channel(app: &TestApp, key: &str, channel: Value) -> Value {
    app.data(
        &admin(app),
        CHANNELS,
        json!({ "key": key, "channels": [channel] }),
    )
    .await["setNotificationChannels"]
        .clone()
}

fn to(mail: &Mail) -> &str {
    &mail.to[0]
}

fn mail_for<'a>(mails: &'a [Mail], address: &str) -> &'a Mail {
    mails
        .iter()
        .find(|m| to(m) == address)
        .unwrap_or_else(|| panic!("no mail to {address}: {mails:?}"))
}

/// The link's path on the test server (links point at the public URL).
fn local(app: &TestApp, link: &str) -> String {
    let path = link
        .strip_prefix(PUBLIC_URL)
        .expect("links use the public URL");
    format!("{}{path}", app.base)
}

async fn get(app: &TestApp, link: &str) -> (u16, String) {
    let r = app.client.get(local(app, link)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(app: &TestApp, link: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = app
        .client
        .post(local(app, link))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn status(app: &TestApp, id: &str) -> String {
    request(app, &admin(app), id).await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_human_submission_emails_the_eligible_reviewers_and_a_link_decides_once(app: &TestApp) {
    let (owned, sink) = mail_app(app.db_kind).await;
    let app = &owned;
    create_workflow(app, "refunds", refund_policy()).await;
    reviewer(app, "rita", &["support_agent"], true).await;
    reviewer(app, "sam", &["support_agent"], true).await;
    reviewer(app, "fiona", &["finance"], true).await;
    reviewer(app, "ivan", &["support_agent"], false).await;
    // The agent that submits is in the directory too: it is never asked to decide its own.
    reviewer(app, "refund-bot", &["support_agent"], true).await;
    let wf = email_channel(
        app,
        "refunds",
        json!({ "kind": "EMAIL", "emails": ["queue@example.com"] }),
    )
    .await;
    assert_eq!(
        wf["notificationChannels"],
        json!([{ "kind": "EMAIL", "emails": ["queue@example.com"], "slackChannel": null, "remindBefore": null }])
    );

    let id = submit(app, refund("refunds", "mail-1", "200.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mails = sink.wait_for(3).await;
    let mut recipients: Vec<&str> = mails.iter().map(to).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        ["queue@example.com", "rita@example.com", "sam@example.com"]
    );
    let rita = mail_for(&mails, "rita@example.com");
    assert_eq!(rita.subject, "Approval needed: Refund mail-1");
    for fact in [
        "Amount: 200.00 USD",
        "Confidence: 95%",
        "AI recommendation: Customer is eligible under policy 4.2",
        "Workflow: Workflow refunds (refunds)",
        &format!("Open it in Countersign: {PUBLIC_URL}/requests/{id}"),
    ] {
        assert!(rita.text.contains(fact), "{fact:?} in {}", rita.text);
    }
    assert!(rita.html.contains("Approve…"), "{}", rita.html);
    let links = rita.links();
    assert_eq!(links.len(), 2, "approve and reject: {links:?}");
    assert!(
        mail_for(&mails, "queue@example.com").links().is_empty(),
        "an address outside the directory gets no decision links"
    );

    // Opening the link (as a mail scanner would) decides nothing.
    let (code, page) = get(app, &links[0]).await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("Approve this action?"), "{page}");
    assert!(page.contains("rita (name)"), "{page}");
    assert!(
        page.contains("Sorry for the trouble"),
        "the action is shown: {page}"
    );
    assert!(!page.contains("<script"), "no script");
    assert_eq!(status(app, &id).await, "PENDING");

    // The POST from the page decides, as rita, through the email channel.
    let (code, page) = post(app, &links[0], &[("comment", "fine")]).await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("It is approved"), "{page}");
    let r = request(app, &admin(app), &id).await;
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(r["decisions"][0]["actor"], "rita");
    let decided = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "STEP_APPROVED")
        .unwrap();
    assert_eq!(decided["data"]["channel"], "email");
    assert!(decided["data"]["linkId"].is_string());

    // Once only; and the other reviewer's link now says it is decided.
    let (code, page) = post(app, &links[0], &[]).await;
    assert_eq!(code, 409, "{page}");
    assert!(page.contains("already used"), "{page}");
    let sam = mail_for(&mails, "sam@example.com").links();
    let (code, page) = get(app, &sam[1]).await;
    assert_eq!(code, 409, "{page}");
    assert!(page.contains("no longer waiting"), "{page}");

    // What was sent is on the request.
    let sent = countersign_tests::eventually("the three to be recorded as sent", || async {
        let n = app
            .data(&admin(app), NOTIFICATIONS, json!({ "id": id }))
            .await;
        let rows = n["approvalRequest"]["notifications"]
            .as_array()
            .unwrap()
            .clone();
        rows.iter().all(|r| r["status"] == "SENT").then_some(rows)
    })
    .await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    for row in &sent {
        assert_eq!(row["channel"], "EMAIL");
        assert_eq!(row["kind"], "APPROVAL_WAITING");
        assert_eq!(row["step"], 0);
        assert_eq!(row["attempts"], 1);
    }

    // Decisions by API are recorded as such.
    let id2 = submit(app, refund("refunds", "mail-2", "300.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sam_token = app.token(TENANT, "sam", &["support_agent"]);
    decide(
        app,
        &sam_token,
        json!({ "requestId": id2, "decision": "REJECT", "reasonCode": "not_eligible" }),
    )
    .await;
    let r = request(app, &admin(app), &id2).await;
    let rejected = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "REQUEST_REJECTED")
        .unwrap()
        .clone();
    assert_eq!(rejected["data"]["channel"], "api");
    owned.cleanup().await;
}

async fn links_are_bound_to_their_step_reviewer_and_version(app: &TestApp) {
    let (owned, sink) = mail_app(app.db_kind).await;
    let app = &owned;
    create_workflow(app, "refunds", refund_policy()).await;
    reviewer(app, "mary", &["support_manager"], true).await;
    reviewer(app, "fiona", &["finance"], true).await;
    reviewer(app, "fred", &["finance"], true).await;
    email_channel(app, "refunds", json!({ "kind": "EMAIL" })).await;

    // Two steps: support_manager, then finance with a quorum of two.
    let id = submit(app, refund("refunds", "big-1", "1500.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mails = sink.wait_for(1).await;
    let mary = mail_for(&mails, "mary@example.com").links();

    // A changed token is not a link of this server.
    let mut forged = mary[0].clone();
    forged.insert(forged.len() - 3, 'x');
    let (code, page) = get(app, &forged).await;
    assert_eq!(code, 400, "{page}");
    assert!(page.contains("not one this server made"), "{page}");
    // Reject asks for a reason code, and without one decides nothing.
    let (code, page) = get(app, &mary[1]).await;
    assert_eq!(code, 200);
    assert!(page.contains("Reason code"), "{page}");
    let (code, page) = post(app, &mary[1], &[]).await;
    assert_eq!(code, 400, "{page}");
    assert_eq!(status(app, &id).await, "PENDING");

    // Mary approves by link: step 1 opens and finance is told.
    let (code, page) = post(app, &mary[0], &[]).await;
    assert_eq!(code, 200, "{page}");
    let mails = sink.wait_for(3).await;
    let fiona = mail_for(&mails, "fiona@example.com").links();
    let fred = mail_for(&mails, "fred@example.com").links();
    // Mary's reject link was for step 0 at an older version: it no longer applies.
    let (code, page) = post(app, &mary[1], &[("reason_code", "too_late")]).await;
    assert_eq!(code, 409, "{page}");
    assert!(page.contains("changed after the email was sent"), "{page}");

    // Fiona's approval counts towards the quorum; Fred's link was for the version before it.
    let (code, page) = post(app, &fiona[0], &[]).await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("waits for the other approvals"), "{page}");
    let (code, page) = get(app, &fred[0]).await;
    assert_eq!(code, 409, "{page}");
    // ... so Fred is sent fresh links for the new version (and Fiona, who decided, is not).
    let mails = sink.wait_for(4).await;
    assert_eq!(to(&mails[3]), "fred@example.com", "{mails:?}");
    let fresh = mails[3].links();

    // A reviewer taken out of the directory decides nothing, even with a fresh link.
    let q = "mutation($s: String!) { deactivateReviewer(subject: $s) { active } }";
    let out = app.data(&admin(app), q, json!({ "s": "fiona" })).await;
    assert_eq!(out["deactivateReviewer"]["active"], false);
    let (code, page) = get(app, &fiona[1]).await;
    assert_eq!(code, 403, "{page}");
    assert!(page.contains("not an active reviewer"), "{page}");
    assert_eq!(status(app, &id).await, "PENDING");

    // Fred's fresh link completes the quorum.
    let (code, page) = post(app, &fresh[0], &[]).await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("It is approved"), "{page}");
    assert_eq!(status(app, &id).await, "APPROVED");
    owned.cleanup().await;
}

async fn a_reminder_goes_out_once_before_the_due_time_and_an_outage_is_retried(app: &TestApp) {
    let (owned, sink) = mail_app(app.db_kind).await;
    let app = &owned;
    let mut policy = refund_policy();
    policy["default"]["steps"][0]["sla"] = json!("PT4S");
    create_workflow(app, "refunds", policy).await;
    reviewer(app, "rita", &["support_agent"], true).await;
    email_channel(
        app,
        "refunds",
        json!({ "kind": "EMAIL", "remindBefore": "PT3S" }),
    )
    .await;

    // The mail server refuses the first message for now: it is sent again.
    sink.refuse_next(1);
    let id = submit(app, refund("refunds", "remind-1", "200.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mails = sink.wait_for(2).await;
    assert_eq!(sink.refused(), 1);
    assert_eq!(mails[0].subject, "Approval needed: Refund remind-1");
    assert_eq!(mails[1].subject, "Reminder: Refund remind-1");
    assert!(
        mails[1].text.contains("is due"),
        "the reminder says when: {}",
        mails[1].text
    );
    // The worker records each attempt just after the mail server answered.
    let rows = countersign_tests::eventually("both to be recorded as sent", || async {
        let n = app
            .data(&admin(app), NOTIFICATIONS, json!({ "id": id }))
            .await;
        let rows = n["approvalRequest"]["notifications"]
            .as_array()
            .unwrap()
            .clone();
        rows.iter().all(|r| r["status"] == "SENT").then_some(rows)
    })
    .await;
    let waiting: Vec<&Value> = rows
        .iter()
        .filter(|r| r["kind"] == "APPROVAL_WAITING")
        .collect();
    let reminders: Vec<&Value> = rows.iter().filter(|r| r["kind"] == "REMINDER").collect();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["attempts"], 2, "refused once, then sent");
    assert_eq!(reminders.len(), 1, "one reminder: {rows:?}");

    // A decided step gets no reminder.
    let id2 = submit(app, refund("refunds", "remind-2", "200.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rita = app.token(TENANT, "rita", &["support_agent"]);
    decide(
        app,
        &rita,
        json!({ "requestId": id2, "decision": "APPROVE" }),
    )
    .await;
    let skipped = countersign_tests::eventually("the reminder to be skipped", || async {
        let n = app
            .data(&admin(app), NOTIFICATIONS, json!({ "id": id2 }))
            .await;
        let rows = n["approvalRequest"]["notifications"]
            .as_array()
            .unwrap()
            .clone();
        rows.iter()
            .find(|r| r["kind"] == "REMINDER" && r["status"] == "SKIPPED")
            .cloned()
    })
    .await;
    assert!(
        skipped["lastError"].as_str().unwrap().contains("decided"),
        "{skipped}"
    );
    owned.cleanup().await;
}

async fn directory_and_channels_are_checked_and_audited(app: &TestApp) {
    create_workflow(app, "refunds", refund_policy()).await;
    let admin = admin(app);
    // Without a mail server, email channels are refused and say what is missing.
    let body = app
        .gql(
            &admin,
            CHANNELS,
            json!({ "key": "refunds", "channels": [{ "kind": "EMAIL" }] }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("COUNTERSIGN_SMTP_URL"),
        "{body}"
    );

    let (mail, _sink) = mail_app(app.db_kind).await;
    create_workflow(&mail, "refunds", refund_policy()).await;
    let admin = mail.token(TENANT, "alice-admin", &["admin"]);
    for (channels, field) in [
        (
            json!([{ "kind": "SLACK", "slackChannel": "C123" }]),
            "channels.0.kind",
        ),
        (
            json!([{ "kind": "EMAIL", "emails": ["not an address"] }]),
            "channels.0.emails.0",
        ),
        (
            json!([{ "kind": "EMAIL", "remindBefore": "soon" }]),
            "channels.0.remindBefore",
        ),
        (
            json!([{ "kind": "EMAIL", "slackChannel": "C1" }]),
            "channels.0.slackChannel",
        ),
    ] {
        let body = mail
            .gql(
                &admin,
                CHANNELS,
                json!({ "key": "refunds", "channels": channels }),
            )
            .await;
        let e = &body["errors"][0];
        assert_eq!(e["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert_eq!(
            e["extensions"]["field"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect::<Vec<_>>()
                .join("."),
            field,
            "{body}"
        );
    }
    let body = mail
        .gql(&admin, CHANNELS, json!({ "key": "nope", "channels": [] }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let rita = mail.token(TENANT, "rita", &["support_agent"]);
    let body = mail
        .gql(&rita, CHANNELS, json!({ "key": "refunds", "channels": [] }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");

    for (input, field) in [
        (
            json!({ "subject": "r", "name": "R", "email": "nope", "roles": ["a"] }),
            "email",
        ),
        (
            json!({ "subject": "r", "name": "R", "slackUserId": "bob", "roles": ["a"] }),
            "slackUserId",
        ),
        (
            json!({ "subject": "r r", "name": "R", "roles": ["a"] }),
            "subject",
        ),
        (
            json!({ "subject": "r", "name": "", "roles": ["a"] }),
            "name",
        ),
    ] {
        let body = mail.gql(&admin, UPSERT, json!({ "input": input })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"],
            json!(["input", field]),
            "{body}"
        );
    }
    let body = mail
        .gql(&rita, "{ reviewers { subject } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    // Who was written to (people's addresses) is for admins and auditors only.
    let id = submit(&mail, refund("refunds", "who-1", "200.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = mail
        .gql(&agent(&mail), NOTIFICATIONS, json!({ "id": id }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );

    // Good changes are audited; reading them back.
    reviewer(&mail, "rita", &["support_agent"], true).await;
    email_channel(
        &mail,
        "refunds",
        json!({ "kind": "EMAIL", "remindBefore": "PT1H" }),
    )
    .await;
    let list = mail
        .data(&admin, "{ reviewers { subject email roles active } workflow(key: \"refunds\") { notificationChannels { kind remindBefore } } }", json!({}))
        .await;
    assert_eq!(
        list["reviewers"],
        json!([{ "subject": "rita", "email": "rita@example.com", "roles": ["support_agent"], "active": true }])
    );
    assert_eq!(
        list["workflow"]["notificationChannels"],
        json!([{ "kind": "EMAIL", "remindBefore": "PT1H" }])
    );
    let audit = mail
        .data(
            &admin,
            "{ auditLog(first: 50) { edges { node { type data } } } }",
            json!({}),
        )
        .await;
    let types: Vec<&str> = audit["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"REVIEWER_UPSERTED"), "{types:?}");
    assert!(types.contains(&"NOTIFICATION_CHANNELS_SET"), "{types:?}");

    // A server without a mail server will not start on a database whose workflows email.
    let mut settings = countersign::config::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: mail.database_url.clone(),
        jwt_secret: Some(SecretString::from(countersign_tests::SECRET)),
        ..Default::default()
    };
    settings.scheduler_enabled = false;
    let refused = Application::build(settings).await;
    let message = refused.err().expect("refused at start").to_string();
    assert!(
        message.contains("cannot send to") && message.contains("COUNTERSIGN_SMTP_URL"),
        "{message}"
    );
    mail.cleanup().await;
}

async fn escalation_and_expiry_are_announced_by_mail_and_in_slack(app: &TestApp) {
    use countersign::domain::links::{LinkClaims, key_file_for};
    use countersign::domain::timeouts::{escalate_due, expire_due};
    use countersign_tests::fake_slack::FakeSlack;

    let sink = SmtpSink::start().await;
    let fake = FakeSlack::start().await;
    let (smtp, slack_url) = (sink.url.clone(), fake.url.clone());
    // No link key given: on SQLite one is generated next to the database.
    let sqlite = app.db_kind == countersign_tests::Db::Sqlite;
    let owned = TestApp::spawn_with(app.db_kind, move |s| {
        s.smtp_url = Some(SecretString::from(smtp));
        s.mail_from = Some("approvals@example.com".to_owned());
        s.public_url = Some(PUBLIC_URL.to_owned());
        if !sqlite {
            s.link_signing_key = Some(SecretString::from("link-key-for-tests-0123456789-abcdef"));
        }
        s.slack_bot_token = Some(SecretString::from("xoxb-test"));
        s.slack_signing_secret = Some(SecretString::from("slack-secret"));
        s.slack_api_url = slack_url;
        s.scheduler_enabled = false;
        s.outbox_interval_ms = 50;
        s.webhook_backoff_base_ms = 50;
        s.webhook_backoff_max_ms = 200;
    })
    .await
    .unwrap();
    let app = &owned;
    if sqlite {
        let db_file = app.state.settings.sqlite_file().unwrap();
        assert!(
            key_file_for(&db_file).exists(),
            "the link key is kept next to the database"
        );
    }
    create_workflow(
        app,
        "refunds",
        json!({
            "rules": [],
            "default": { "route": "HUMAN", "steps": [ { "role": "support_agent", "sla": "PT1H" } ] },
            "escalation": { "after": "PT1H", "toRole": "support_manager" },
            "expireAfter": "P1D"
        }),
    )
    .await;
    reviewer(app, "rita", &["support_agent"], true).await;
    reviewer(app, "mary", &["support_manager"], true).await;
    app.data(
        &admin(app),
        CHANNELS,
        json!({ "key": "refunds", "channels": [{ "kind": "EMAIL" }, { "kind": "SLACK", "slackChannel": "C0REFUNDS" }] }),
    )
    .await;

    let id = submit(app, refund("refunds", "late-1", "200.00")).await["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mails = sink.wait_for(1).await;
    let rita_links = mail_for(&mails, "rita@example.com").links();
    fake.wait_for("chat.postMessage", 1).await;

    // Overdue: escalated to the support managers, by mail and in the channel.
    // (A step another writer holds at that moment is left for the next pass, as the scheduler
    // would: pass again until it is done.)
    let store = &app.state.store;
    countersign_tests::eventually("the step to be escalated", || async {
        escalate_due(store, chrono::Utc::now() + chrono::Duration::hours(2), 100)
            .await
            .unwrap();
        let r = request(app, &admin(app), &id).await;
        r["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "REQUEST_ESCALATED")
            .then_some(())
    })
    .await;
    let mails = sink.wait_for(3).await;
    let mary = mail_for(&mails, "mary@example.com");
    assert_eq!(mary.subject, "Escalated to you: Refund late-1");
    assert_eq!(mary.links().len(), 2, "the escalation role may decide");
    // Past the step's due time, the links live on (72 hours, within the request's expiry).
    let (code, page) = get(app, &mary.links()[0]).await;
    assert_eq!(code, 200, "an escalation link works: {page}");
    // The step's own role may still decide: it gets links for the new version.
    let renewed: Vec<&Mail> = mails
        .iter()
        .filter(|m| to(m) == "rita@example.com")
        .collect();
    assert_eq!(renewed.len(), 2, "{mails:?}");
    let (code, page) = get(app, &renewed[1].links()[0]).await;
    assert_eq!(code, 200, "{page}");
    let posted = fake.wait_for("chat.postMessage", 2).await;
    assert!(
        text(&posted[1].body).contains("escalated"),
        "{}",
        posted[1].body
    );
    // Rita's link was for the request before the escalation.
    let (code, page) = get(app, &rita_links[0]).await;
    assert_eq!(code, 409, "{page}");

    // Expired undecided: both are told, and the channel's messages lose their buttons.
    countersign_tests::eventually("the request to expire", || async {
        expire_due(store, chrono::Utc::now() + chrono::Duration::days(2), 100)
            .await
            .unwrap();
        (status(app, &id).await == "EXPIRED").then_some(())
    })
    .await;
    let mails = sink.wait_for(5).await;
    let expired: Vec<&Mail> = mails
        .iter()
        .filter(|m| m.subject == "Expired without a decision: Refund late-1")
        .collect();
    let mut told: Vec<&str> = expired.iter().map(|m| to(m)).collect();
    told.sort();
    assert_eq!(told, ["mary@example.com", "rita@example.com"]);
    assert!(
        expired.iter().all(|m| m.links().is_empty()),
        "nothing to decide"
    );
    let updated = countersign_tests::eventually("the messages to show the expiry", || async {
        let updates: Vec<Value> = fake
            .calls("chat.update")
            .into_iter()
            .map(|c| c.body)
            .filter(|b| text(b).contains("Expired without a decision"))
            .collect();
        (updates.len() >= 2).then_some(updates)
    })
    .await;
    for body in &updated {
        assert!(!text(body).contains("\"actions\""), "no buttons: {body}");
    }

    // A link past its expiry says so.
    let signer = app.state.links.as_ref().unwrap();
    let token = signer.sign(&LinkClaims {
        id: uuid::Uuid::now_v7(),
        tenant: TENANT.to_owned(),
        request: id.parse().unwrap(),
        version: 1,
        step: 0,
        subject: "rita".to_owned(),
        decision: countersign_entity::enums::DecisionKind::Approve,
        exp: chrono::Utc::now().timestamp() - 1,
    });
    let (code, page) = get(app, &format!("{PUBLIC_URL}/links/{token}")).await;
    assert_eq!(code, 410, "{page}");
    assert!(page.contains("expired at"), "{page}");
    owned.cleanup().await;
}

fn text(body: &Value) -> String {
    body["blocks"].to_string()
}
