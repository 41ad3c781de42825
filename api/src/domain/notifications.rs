//! Notifications: each workflow's channels (`setNotificationChannels`, audited), and the
//! messages they cause — a new approval waiting (to the step's role), a reminder before the
//! step's due time, an escalation (to the escalation role), an expiry notice — written in the
//! transaction of the audit event that causes them (see `audit::append`), one row per
//! (request, step, kind, channel, recipient), so the same notice is never written twice. The
//! notification worker (`jobs::notifications`) sends them afterwards, at least once.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use countersign_entity::enums::{NotificationChannel, NotificationKind, NotificationStatus};
use countersign_entity::{approval_request, audit_event, notification, workflow};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::{Principal, ROLE_ADMIN};
use crate::config::Settings;
use crate::domain::audit::{self, EventDraft, EventKind};
use crate::domain::duration::{format_duration, parse_duration};
use crate::domain::{requests, reviewers, workflows};
use crate::error::{AppError, AppResult};
use crate::store::{Store, lock_tenant, now};

/// Most channels one workflow may have.
pub const MAX_CHANNELS: usize = 10;
/// Most extra addresses one email channel may have.
pub const MAX_EMAILS: usize = 50;

/// One channel of a workflow, as stored (JSON in `workflows.notification_channels`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelConfig {
    /// SLACK or EMAIL.
    pub kind: NotificationChannel,
    /// The Slack channel id (SLACK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_channel: Option<String>,
    /// Addresses that receive every notice besides the eligible reviewers (EMAIL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    /// How long before a step's due time a reminder goes out, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_before_ms: Option<i64>,
}

impl ChannelConfig {
    /// `remind_before_ms` as an ISO 8601 duration.
    pub fn remind_before(&self) -> Option<String> {
        self.remind_before_ms
            .map(|ms| format_duration(Duration::milliseconds(ms)))
    }
}

/// What an admin gives for one channel.
#[derive(Debug, Clone)]
pub struct ChannelInput {
    /// SLACK or EMAIL.
    pub kind: NotificationChannel,
    /// Slack channel id.
    pub slack_channel: Option<String>,
    /// Extra addresses.
    pub emails: Option<Vec<String>>,
    /// ISO 8601 duration before the due time.
    pub remind_before: Option<String>,
}

/// The channels stored on a workflow (none when unset or unreadable).
pub fn channels(wf: &workflow::Model) -> Vec<ChannelConfig> {
    wf.notification_channels
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// Why email cannot be sent from this server, if it cannot.
pub fn email_unavailable(settings: &Settings) -> Option<String> {
    let missing: Vec<&str> = [
        ("COUNTERSIGN_SMTP_URL", settings.smtp_url.is_none()),
        ("COUNTERSIGN_MAIL_FROM", settings.mail_from.is_none()),
        ("COUNTERSIGN_PUBLIC_URL", settings.public_url.is_none()),
        (
            "COUNTERSIGN_LINK_SIGNING_KEY",
            settings.link_signing_key.is_none() && settings.sqlite_file().is_none(),
        ),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "email notifications need {} set on the server",
            missing.join(", ")
        )
    })
}

/// Why Slack cannot be used from this server, if it cannot.
pub fn slack_unavailable(settings: &Settings) -> Option<String> {
    let missing: Vec<&str> = [
        (
            "COUNTERSIGN_SLACK_BOT_TOKEN",
            settings.slack_bot_token.is_none(),
        ),
        (
            "COUNTERSIGN_SLACK_SIGNING_SECRET",
            settings.slack_signing_secret.is_none(),
        ),
        ("COUNTERSIGN_PUBLIC_URL", settings.public_url.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "Slack notifications need {} set on the server",
            missing.join(", ")
        )
    })
}

/// A Slack channel id: `C…`, `G…` (private) or `D…`, capital letters and digits.
pub fn valid_slack_channel(id: &str) -> bool {
    (2..=32).contains(&id.len())
        && id.starts_with(['C', 'G', 'D'])
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn check_channels(settings: &Settings, input: Vec<ChannelInput>) -> AppResult<Vec<ChannelConfig>> {
    if input.len() > MAX_CHANNELS {
        return Err(AppError::bad_input(
            "channels",
            format!("at most {MAX_CHANNELS} channels"),
        ));
    }
    let mut out = Vec::new();
    for (i, c) in input.into_iter().enumerate() {
        let path = |field: &str| format!("channels.{i}.{field}");
        let remind_before_ms = match c.remind_before.as_deref() {
            None => None,
            Some(text) => {
                let d = parse_duration(text)
                    .map_err(|e| AppError::bad_input(&path("remindBefore"), e))?;
                if d <= Duration::zero() {
                    return Err(AppError::bad_input(
                        &path("remindBefore"),
                        "must be positive",
                    ));
                }
                Some(d.num_milliseconds())
            }
        };
        let emails: Vec<String> = c
            .emails
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.trim().to_owned())
            .collect();
        match c.kind {
            NotificationChannel::Email => {
                if let Some(why) = email_unavailable(settings) {
                    return Err(AppError::bad_input(&path("kind"), why));
                }
                if c.slack_channel.is_some() {
                    return Err(AppError::bad_input(
                        &path("slackChannel"),
                        "an EMAIL channel has no slackChannel",
                    ));
                }
                if emails.len() > MAX_EMAILS {
                    return Err(AppError::bad_input(
                        &path("emails"),
                        format!("at most {MAX_EMAILS} addresses"),
                    ));
                }
                if let Some((j, bad)) = emails
                    .iter()
                    .enumerate()
                    .find(|(_, e)| !reviewers::valid_email(e))
                {
                    return Err(AppError::bad_input(
                        &format!("channels.{i}.emails.{j}"),
                        format!("{bad:?} is not an email address"),
                    ));
                }
            }
            NotificationChannel::Slack => {
                if let Some(why) = slack_unavailable(settings) {
                    return Err(AppError::bad_input(&path("kind"), why));
                }
                match c.slack_channel.as_deref() {
                    Some(id) if valid_slack_channel(id) => {}
                    Some(id) => {
                        return Err(AppError::bad_input(
                            &path("slackChannel"),
                            format!("{id:?} is not a Slack channel id (such as \"C0123ABCD\")"),
                        ));
                    }
                    None => {
                        return Err(AppError::bad_input(
                            &path("slackChannel"),
                            "a SLACK channel needs slackChannel, the channel's id",
                        ));
                    }
                }
                if !emails.is_empty() {
                    return Err(AppError::bad_input(
                        &path("emails"),
                        "a SLACK channel has no emails",
                    ));
                }
            }
        }
        let mut emails = emails;
        emails.sort();
        emails.dedup();
        out.push(ChannelConfig {
            kind: c.kind,
            slack_channel: c.slack_channel,
            emails,
            remind_before_ms,
        });
    }
    Ok(out)
}

/// Replaces a workflow's channels (admin, audited); an empty list turns notifications off.
pub async fn set_channels(
    store: &Store,
    settings: &Settings,
    caller: &Principal,
    workflow_key: &str,
    input: Vec<ChannelInput>,
) -> AppResult<workflow::Model> {
    caller.require_any(&[ROLE_ADMIN], "setNotificationChannels")?;
    let configs = check_channels(settings, input)?;
    let at = now();
    let txn = store.begin().await?;
    // The audit head first, then the workflow row, as every writer of workflows does: an outcome
    // whose guardrail trips holds the head and then locks the workflow (schemathesis found the
    // deadlock on PostgreSQL).
    lock_tenant(&*txn, &caller.tenant).await?;
    let wf = workflows::get(&*txn, &caller.tenant, workflow_key)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("workflow {workflow_key:?}")))?;
    let mut row: workflow::ActiveModel = wf.clone().into();
    row.notification_channels = Set(Some(serde_json::to_string(&configs)?));
    row.updated_at = Set(at);
    let saved = row.update(&*txn).await?;
    let audited: Vec<Value> = configs
        .iter()
        .map(|c| {
            json!({ "kind": c.kind, "slackChannel": c.slack_channel, "emails": c.emails,
                    "remindBefore": c.remind_before() })
        })
        .collect();
    audit::append(
        &*txn,
        &caller.tenant,
        at,
        vec![
            EventDraft::new(
                EventKind::NotificationChannelsSet,
                &caller.subject,
                json!({ "channels": audited }),
            )
            .workflow(&wf.key),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Workflows of any tenant whose channels this server could not serve: the check at start.
pub async fn unserved_channels(
    conn: &impl ConnectionTrait,
    settings: &Settings,
) -> AppResult<Vec<String>> {
    let rows = workflow::Entity::find()
        .filter(workflow::Column::NotificationChannels.is_not_null())
        .all(conn)
        .await?;
    let mut problems = Vec::new();
    for wf in rows {
        for c in channels(&wf) {
            let why = match c.kind {
                NotificationChannel::Email => email_unavailable(settings),
                NotificationChannel::Slack => slack_unavailable(settings),
            };
            if let Some(why) = why {
                problems.push(format!(
                    "workflow {} of tenant {}: {why}",
                    wf.key, wf.tenant_id
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    Ok(problems)
}

/// A request's notifications, oldest first.
pub async fn of_request(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
) -> AppResult<Vec<notification::Model>> {
    Ok(notification::Entity::find()
        .filter(notification::Column::RequestId.eq(request_id))
        .order_by_asc(notification::Column::CreatedAt)
        .order_by_asc(notification::Column::Id)
        .all(conn)
        .await?)
}

/// Events after which a Slack message about the request no longer shows the truth.
const UPDATES_SLACK: [&str; 7] = [
    "APPROVAL_RECORDED",
    "STEP_APPROVED",
    "REQUEST_REJECTED",
    "REQUEST_EXPIRED",
    "REQUEST_CANCELLED",
    "REQUEST_ESCALATED",
    "REQUEST_APPROVED",
];

/// What an audit event asks to be told, and to whom (by role).
struct Notice {
    kind: NotificationKind,
    step: Option<i32>,
    roles: Vec<String>,
    due: Option<DateTime<Utc>>,
    /// A fresh copy of an earlier notice, because the request's version moved on and the
    /// links of the earlier email no longer apply: email only, one per event.
    reissue: bool,
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str()?.parse().ok()
}

/// The roles that may decide the step `idx` of the request (its role and escalation role).
async fn step_roles(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
    idx: Option<i32>,
) -> AppResult<Vec<String>> {
    Ok(requests::steps(conn, request_id)
        .await?
        .iter()
        .filter(|s| Some(s.idx) == idx)
        .flat_map(|s| std::iter::once(s.role.clone()).chain(s.escalated_to.clone()))
        .collect())
}

async fn notices(
    conn: &impl ConnectionTrait,
    event: &audit_event::Model,
    request_id: Uuid,
) -> AppResult<Vec<Notice>> {
    let data: Value = serde_json::from_str(&event.data)?;
    let text = |key: &str| data[key].as_str().map(str::to_owned);
    let step = |key: &str| data[key].as_i64().and_then(|i| i32::try_from(i).ok());
    Ok(match event.event_type.as_str() {
        "STEP_OPENED" => vec![Notice {
            kind: NotificationKind::ApprovalWaiting,
            step: step("step"),
            roles: text("role").into_iter().collect(),
            due: time(&data["dueAt"]),
            reissue: false,
        }],
        // One approval towards a quorum: the others still waiting get links for the new version.
        "APPROVAL_RECORDED" => vec![Notice {
            kind: NotificationKind::ApprovalWaiting,
            step: step("step"),
            roles: step_roles(conn, request_id, step("step")).await?,
            due: None,
            reissue: true,
        }],
        // The escalation role is told; the step's own role may still decide, with new links.
        "REQUEST_ESCALATED" => vec![
            Notice {
                kind: NotificationKind::Escalation,
                step: step("step"),
                roles: text("toRole").into_iter().collect(),
                due: time(&data["dueAt"]),
                reissue: false,
            },
            Notice {
                kind: NotificationKind::ApprovalWaiting,
                step: step("step"),
                roles: text("role").into_iter().collect(),
                due: None,
                reissue: true,
            },
        ],
        // Whoever could have decided the step that was open when it expired.
        "REQUEST_EXPIRED" => vec![Notice {
            kind: NotificationKind::Expired,
            step: step("openStep"),
            roles: step_roles(conn, request_id, step("openStep")).await?,
            due: None,
            reissue: false,
        }],
        _ => Vec::new(),
    })
}

/// Writes the notifications `events` cause, in their transaction (called by `audit::append`).
pub(crate) async fn enqueue(
    conn: &impl ConnectionTrait,
    tenant: &str,
    events: &[audit_event::Model],
) -> AppResult<()> {
    enqueue_known(conn, tenant, events, &HashMap::new()).await
}

/// [`enqueue`] with some of the events' workflows already read in this transaction (by key);
/// the others are read here.
pub(crate) async fn enqueue_known(
    conn: &impl ConnectionTrait,
    tenant: &str,
    events: &[audit_event::Model],
    known: &HashMap<String, workflow::Model>,
) -> AppResult<()> {
    let mut configs: HashMap<String, Vec<ChannelConfig>> = HashMap::new();
    let mut rows: Vec<notification::Model> = Vec::new();
    let queued = now();
    for event in events {
        let (Some(request_id), Some(key)) = (event.request_id, event.workflow_key.as_deref())
        else {
            continue;
        };
        let kind = event.event_type.as_str();
        let notifies = matches!(
            kind,
            "STEP_OPENED" | "APPROVAL_RECORDED" | "REQUEST_ESCALATED" | "REQUEST_EXPIRED"
        );
        let moves_on = UPDATES_SLACK.contains(&kind);
        if !notifies && !moves_on {
            continue;
        }
        if !configs.contains_key(key) {
            let found = match known.get(key) {
                Some(wf) => Some(wf.clone()),
                None => workflows::get(conn, tenant, key).await?,
            };
            configs.insert(
                key.to_owned(),
                found.as_ref().map(channels).unwrap_or_default(),
            );
        }
        let channel_configs = configs.get(key).cloned().unwrap_or_default();
        if channel_configs.is_empty() {
            continue;
        }
        // The Slack messages about the request are brought up to date (who decided, no
        // buttons once the step is closed); one update per event, sent after the messages.
        if moves_on {
            for config in &channel_configs {
                let (NotificationChannel::Slack, Some(channel)) =
                    (config.kind, &config.slack_channel)
                else {
                    continue;
                };
                if !posted_to_slack(conn, &rows, request_id, channel).await? {
                    continue;
                }
                let mut update = row(
                    tenant,
                    request_id,
                    None,
                    NotificationKind::MessageUpdate,
                    NotificationChannel::Slack,
                    channel,
                    None,
                    queued,
                    queued,
                );
                update.dedupe_key = format!("{}:{}", update.dedupe_key, event.seq);
                rows.push(update);
            }
        }
        if !notifies {
            continue;
        }
        let request = approval_request::Entity::find_by_id(request_id)
            .one(conn)
            .await?;
        let submitter = request.as_ref().map(|r| r.submitted_by.clone());
        // Whoever decided a step of the request may not decide another: never asked again.
        let decided: Vec<String> = requests::decisions(conn, request_id)
            .await?
            .into_iter()
            .map(|d| d.actor)
            .collect();
        for notice in notices(conn, event, request_id).await? {
            // The people who may decide: active entries holding one of the roles, never the
            // submitter (who may not decide its own action).
            let mut people: Vec<countersign_entity::reviewer::Model> = Vec::new();
            for role in &notice.roles {
                for r in reviewers::with_role(conn, tenant, role).await? {
                    let asks = notice.kind != NotificationKind::Expired;
                    if Some(&r.subject) != submitter.as_ref()
                        && !(asks && decided.contains(&r.subject))
                        && !people.iter().any(|p| p.subject == r.subject)
                    {
                        people.push(r);
                    }
                }
            }
            for config in &channel_configs {
                if notice.reissue && config.kind != NotificationChannel::Email {
                    // Slack messages are updated in place instead.
                    continue;
                }
                let mut recipients: Vec<(String, Option<String>)> = Vec::new();
                match config.kind {
                    NotificationChannel::Email => {
                        for p in &people {
                            if let Some(email) = &p.email {
                                recipients.push((email.clone(), Some(p.subject.clone())));
                            }
                        }
                        // Addresses outside the directory get no links to renew.
                        if !notice.reissue {
                            for email in &config.emails {
                                if !recipients
                                    .iter()
                                    .any(|(e, _)| e.eq_ignore_ascii_case(email))
                                {
                                    recipients.push((email.clone(), None));
                                }
                            }
                        }
                    }
                    NotificationChannel::Slack => {
                        if let Some(channel) = &config.slack_channel {
                            recipients.push((channel.clone(), None));
                        }
                    }
                }
                let reminder_at = match (notice.kind, notice.due, config.remind_before_ms) {
                    (
                        NotificationKind::ApprovalWaiting | NotificationKind::Escalation,
                        Some(due),
                        Some(before),
                    ) => Some(due - Duration::milliseconds(before)).filter(|at| *at > queued),
                    _ => None,
                };
                for (recipient, subject) in recipients {
                    let mut kinds = vec![(notice.kind, queued)];
                    if let Some(at) = reminder_at {
                        kinds.push((NotificationKind::Reminder, at));
                    }
                    for (kind, due) in kinds {
                        let mut n = row(
                            tenant,
                            request_id,
                            notice.step,
                            kind,
                            config.kind,
                            &recipient,
                            subject.clone(),
                            due,
                            queued,
                        );
                        if notice.reissue {
                            n.dedupe_key = format!("{}:{}", n.dedupe_key, event.seq);
                        }
                        rows.push(n);
                    }
                }
            }
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    notification::Entity::insert_many(rows.into_iter().map(|r| r.into_active_model().reset_all()))
        .on_conflict_do_nothing_on([notification::Column::DedupeKey])
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Whether a message about the request went (or is going) to this Slack channel: only then is
/// there anything to update.
async fn posted_to_slack(
    conn: &impl ConnectionTrait,
    pending: &[notification::Model],
    request_id: Uuid,
    channel: &str,
) -> AppResult<bool> {
    let is_post = |n: &notification::Model| {
        n.request_id == request_id
            && n.channel == NotificationChannel::Slack
            && n.recipient == channel
            && n.kind != NotificationKind::MessageUpdate
    };
    if pending.iter().any(is_post) {
        return Ok(true);
    }
    Ok(notification::Entity::find()
        .filter(notification::Column::RequestId.eq(request_id))
        .filter(notification::Column::Channel.eq(NotificationChannel::Slack))
        .filter(notification::Column::Recipient.eq(channel))
        .filter(notification::Column::Kind.ne(NotificationKind::MessageUpdate))
        .one(conn)
        .await?
        .is_some())
}

#[allow(clippy::too_many_arguments)]
fn row(
    tenant: &str,
    request_id: Uuid,
    step: Option<i32>,
    kind: NotificationKind,
    channel: NotificationChannel,
    recipient: &str,
    reviewer_subject: Option<String>,
    due: DateTime<Utc>,
    queued: DateTime<Utc>,
) -> notification::Model {
    let step_text = step.map_or_else(|| "-".to_owned(), |s| s.to_string());
    let dedupe_key = format!(
        "{}:{step_text}:{}:{}:{}",
        request_id.simple(),
        sea_orm::ActiveEnum::to_value(&kind),
        sea_orm::ActiveEnum::to_value(&channel),
        recipient.to_ascii_lowercase()
    );
    // Keys longer than an index likes are hashed; the hash is as unique.
    let dedupe_key = if dedupe_key.len() > 200 {
        crate::domain::audit::content_hash(&json!(dedupe_key)).unwrap_or(dedupe_key)
    } else {
        dedupe_key
    };
    notification::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.to_owned(),
        request_id,
        step_idx: step,
        kind,
        channel,
        recipient: recipient.to_owned(),
        reviewer_subject,
        dedupe_key,
        status: NotificationStatus::Pending,
        attempts: 0,
        next_attempt_at: due,
        claimed_until: None,
        last_error: None,
        external_ref: None,
        created_at: queued,
        sent_at: None,
    }
}
