//! The notification worker: claims due notifications (a lease per claim, `SKIP LOCKED`,
//! `attempts` as the fence, like the outbox), checks they still apply, renders them from the
//! request as it is now and sends them — email over SMTP with per-recipient decision links, Slack
//! messages with buttons, and updates of the Slack messages once the step moves on — then records
//! the attempt. A failure is retried with backoff; a permanent refusal by the mail
//! server, or running out of attempts, is FAILED. A reminder whose step was decided, or a notice
//! for a reviewer who already decided or left the directory, is SKIPPED.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use countersign_entity::enums::{
    NotificationChannel, NotificationKind, NotificationStatus, RequestStatus, StepStatus,
};
use countersign_entity::{approval_request, notification};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use uuid::Uuid;

use crate::config::Settings;
use crate::domain::execution::backoff;
use crate::domain::links::{DEFAULT_LIFETIME, LinkClaims, LinkSigner};
use crate::domain::{request_view, requests, reviewers, workflows};
use crate::error::{AppError, AppResult};
use crate::slack::{self, SlackClient, SlackError};
use crate::store::{Store, now};

/// Attempts per notification before it fails.
pub const MAX_ATTEMPTS: i32 = 10;
/// Notifications claimed per tick.
const BATCH: u64 = 32;
/// How long a claim holds a notification.
const LEASE: Duration = Duration::from_secs(60);
/// Longest recommendation quoted in a message.
const RECOMMENDATION_CHARS: usize = 500;

/// What the worker needs to send email.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    links: LinkSigner,
}

impl Mailer {
    /// The mailer of `settings`, or none when email is not configured. A setting that is
    /// there but wrong stops the server at start.
    pub fn from_settings(
        settings: &Settings,
        links: Option<LinkSigner>,
    ) -> anyhow::Result<Option<Mailer>> {
        let Some(url) = &settings.smtp_url else {
            return Ok(None);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| anyhow::anyhow!("COUNTERSIGN_SMTP_URL is not a usable SMTP URL: {e}"))?
            .timeout(Some(Duration::from_millis(settings.webhook_timeout_ms)))
            .build();
        let from = settings
            .mail_from
            .as_deref()
            .ok_or_else(|| {
                anyhow::anyhow!("COUNTERSIGN_SMTP_URL is set but COUNTERSIGN_MAIL_FROM is not")
            })?
            .parse::<Mailbox>()
            .map_err(|e| anyhow::anyhow!("COUNTERSIGN_MAIL_FROM is not an address: {e}"))?;
        if settings.public_url.is_none() {
            anyhow::bail!(
                "COUNTERSIGN_SMTP_URL is set but COUNTERSIGN_PUBLIC_URL is not: links in emails need it"
            );
        }
        let links = links.ok_or_else(|| {
            anyhow::anyhow!(
                "COUNTERSIGN_SMTP_URL is set but there is no link key: set COUNTERSIGN_LINK_SIGNING_KEY (at least 32 bytes)"
            )
        })?;
        Ok(Some(Mailer {
            transport,
            from,
            links,
        }))
    }
}

/// Starts the worker; it sends what this server has channels for.
/// The channels this server sends through.
#[derive(Clone)]
pub struct Senders {
    /// Email, when configured.
    pub mail: Option<Mailer>,
    /// Slack, when configured.
    pub slack: Option<SlackClient>,
    /// `COUNTERSIGN_PUBLIC_URL`, for links to the console.
    pub public_url: String,
}

impl Senders {
    fn channels(&self) -> Vec<NotificationChannel> {
        let mut channels = Vec::new();
        if self.mail.is_some() {
            channels.push(NotificationChannel::Email);
        }
        if self.slack.is_some() {
            channels.push(NotificationChannel::Slack);
        }
        channels
    }
}

/// Starts the worker; it sends through the channels it has.
pub fn spawn(
    store: Store,
    senders: Senders,
    interval: Duration,
    backoff_base: Duration,
    backoff_max: Duration,
) -> JoinHandle<()> {
    let senders = Arc::new(senders);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tracing::info!("notification worker started");
        loop {
            ticker.tick().await;
            let claims = match claim_due(&store, &senders.channels(), now(), BATCH).await {
                Ok(claims) => claims,
                Err(e) => {
                    tracing::error!(error = %e, "claiming notifications failed");
                    continue;
                }
            };
            for claim in claims {
                // Each send renews its own lease, so a batch that takes long never lets
                // another replica send the same message meanwhile.
                match renew(&store, &claim).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::error!(notification_id = %claim.id, error = %e, "renewing a notification lease failed");
                        continue;
                    }
                }
                let outcome = send(&store, &senders, &claim).await;
                if let Err(e) = record(&store, &claim, outcome, backoff_base, backoff_max).await {
                    tracing::error!(notification_id = %claim.id, error = %e, "recording a notification attempt failed");
                }
            }
        }
    })
}

fn claimable(channels: &[NotificationChannel], now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(notification::Column::Status.eq(NotificationStatus::Pending))
        .add(notification::Column::Channel.is_in(channels.iter().copied()))
        .add(notification::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(notification::Column::ClaimedUntil.is_null())
                .add(notification::Column::ClaimedUntil.lt(now)),
        )
}

async fn claim_due(
    store: &Store,
    channels: &[NotificationChannel],
    now: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<notification::Model>> {
    let candidates: Vec<Uuid> = notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .filter(claimable(channels, now))
        .order_by_asc(notification::Column::NextAttemptAt)
        .limit(limit)
        .into_tuple()
        .all(store.db())
        .await?;
    let until =
        now + chrono::Duration::from_std(LEASE).map_err(|e| AppError::internal(e.to_string()))?;
    let mut claims = Vec::new();
    for id in candidates {
        let txn = store.begin().await?;
        let Some(row) = notification::Entity::find_by_id(id)
            .filter(claimable(channels, now))
            .lock_with_behavior(LockType::NoKeyUpdate, LockBehavior::SkipLocked)
            .one(&*txn)
            .await?
        else {
            continue;
        };
        let attempts = row.attempts + 1;
        notification::Entity::update_many()
            .set(notification::ActiveModel {
                attempts: Set(attempts),
                claimed_until: Set(Some(until)),
                ..Default::default()
            })
            .filter(notification::Column::Id.eq(id))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        claims.push(notification::Model {
            attempts,
            claimed_until: Some(until),
            ..row
        });
    }
    Ok(claims)
}

/// Extends the claim's lease from now; false when the claim is no longer this replica's.
async fn renew(store: &Store, claim: &notification::Model) -> AppResult<bool> {
    let at = now();
    let until =
        at + chrono::Duration::from_std(LEASE).map_err(|e| AppError::internal(e.to_string()))?;
    let res = notification::Entity::update_many()
        .set(notification::ActiveModel {
            claimed_until: Set(Some(until)),
            ..Default::default()
        })
        .filter(notification::Column::Id.eq(claim.id))
        .filter(notification::Column::Attempts.eq(claim.attempts))
        .filter(notification::Column::Status.eq(NotificationStatus::Pending))
        .filter(notification::Column::ClaimedUntil.gt(at))
        .exec(store.db())
        .await?;
    Ok(res.rows_affected == 1)
}

/// What became of one attempt.
#[derive(Debug)]
enum Outcome {
    /// Accepted; the channel's id of the message.
    Sent(String),
    /// Did not apply any more.
    Skipped(String),
    /// Not yet: try again after this long, without counting an attempt.
    Later(Duration),
    /// Failed; `permanent` when retrying cannot help; `after` when the channel said when.
    Failed {
        error: String,
        permanent: bool,
        after: Option<Duration>,
    },
}

fn failed(error: String, permanent: bool) -> Outcome {
    Outcome::Failed {
        error,
        permanent,
        after: None,
    }
}

impl From<SlackError> for Outcome {
    fn from(e: SlackError) -> Self {
        match e {
            SlackError::Temporary { error, retry_after } => Outcome::Failed {
                error,
                permanent: false,
                after: retry_after,
            },
            SlackError::Permanent(error) => failed(error, true),
        }
    }
}

async fn send(store: &Store, senders: &Senders, n: &notification::Model) -> Outcome {
    let sent = match n.kind {
        NotificationKind::MessageUpdate => update_slack(store, senders, n).await,
        _ => render_and_send(store, senders, n).await,
    };
    match sent {
        Ok(outcome) => outcome,
        Err(e) => failed(e.to_string(), false),
    }
}

async fn render_and_send(
    store: &Store,
    senders: &Senders,
    n: &notification::Model,
) -> AppResult<Outcome> {
    let db = store.db();
    let Some(request) = approval_request::Entity::find_by_id(n.request_id)
        .one(db)
        .await?
    else {
        return Ok(Outcome::Skipped("the request is gone".into()));
    };
    let steps = requests::steps(db, request.id).await?;
    let decisions = requests::decisions(db, request.id).await?;
    let open = steps.iter().find(|s| s.status == StepStatus::Open);
    let asks = n.kind != NotificationKind::Expired;
    if asks {
        let still_open = request.status == RequestStatus::Pending
            && open.is_some_and(|s| Some(s.idx) == n.step_idx);
        if !still_open {
            return Ok(Outcome::Skipped(
                "the step was decided before this was sent".into(),
            ));
        }
    }
    let reviewer = match &n.reviewer_subject {
        Some(subject) => match reviewers::find(db, &n.tenant_id, subject).await? {
            Some(r) if r.active => Some(r),
            _ => {
                return Ok(Outcome::Skipped(format!(
                    "{subject} is no longer an active reviewer"
                )));
            }
        },
        None => None,
    };
    if asks
        && let Some(r) = &reviewer
        && decisions.iter().any(|d| d.actor == r.subject)
    {
        // One decision per person per request: whoever decided a step may not decide another.
        return Ok(Outcome::Skipped(format!(
            "{} already decided this request",
            r.subject
        )));
    }
    let view = request_view::view(&request, &steps, &decisions)?;
    let workflow_name =
        workflows::display_name(db, &request.tenant_id, &request.workflow_key).await?;
    if n.channel == NotificationChannel::Slack {
        let Some(slack) = &senders.slack else {
            return Ok(failed("Slack is not configured".into(), false));
        };
        let (_, intro) = intro(n.kind, &view);
        let (text, blocks) = slack::message(
            &request.tenant_id,
            &view,
            &workflow_name,
            &senders.public_url,
            n.step_idx,
            &intro,
        );
        let body = json!({ "channel": n.recipient, "text": text, "blocks": blocks, "unfurl_links": false });
        return Ok(match slack.call("chat.postMessage", &body).await {
            Ok(answer) => Outcome::Sent(format!(
                "{} {}",
                answer["channel"].as_str().unwrap_or(&n.recipient),
                answer["ts"].as_str().unwrap_or_default()
            )),
            Err(e) => e.into(),
        });
    }
    let Some(mailer) = &senders.mail else {
        return Ok(failed("email is not configured".into(), false));
    };
    // Decision links for a directory entry, bound to this version and step.
    let links = match (&reviewer, asks, open) {
        (Some(r), true, Some(step)) => {
            // With the step's due time while it is ahead (an escalated step is past it: then
            // the default lifetime), never after 72 hours or the request's own expiry.
            let sent = now();
            let exp = step
                .due_at
                .filter(|due| *due > sent)
                .unwrap_or(sent + DEFAULT_LIFETIME)
                .min(sent + DEFAULT_LIFETIME)
                .min(request.expires_at.unwrap_or(sent + DEFAULT_LIFETIME))
                .timestamp();
            let link = |decision| {
                let token = mailer.links.sign(&LinkClaims {
                    id: Uuid::now_v7(),
                    tenant: request.tenant_id.clone(),
                    request: request.id,
                    version: request.version,
                    step: step.idx,
                    subject: r.subject.clone(),
                    decision,
                    exp,
                });
                format!("{}/links/{token}", senders.public_url)
            };
            Some((
                link(countersign_entity::enums::DecisionKind::Approve),
                link(countersign_entity::enums::DecisionKind::Reject),
            ))
        }
        _ => None,
    };
    let mail = render(
        n.kind,
        &view,
        &workflow_name,
        &senders.public_url,
        links.as_ref(),
    );
    let to: Mailbox = match n.recipient.parse() {
        Ok(to) => to,
        Err(e) => {
            return Ok(failed(
                format!("{:?} is not an address: {e}", n.recipient),
                true,
            ));
        }
    };
    let message_id = format!("<{}@countersign>", n.id.simple());
    let message = Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(mail.subject)
        .message_id(Some(message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
        .map_err(|e| AppError::internal(format!("building an email: {e}")))?;
    Ok(match mailer.transport.send(message).await {
        Ok(_) => Outcome::Sent(message_id),
        Err(e) => failed(e.to_string(), e.is_permanent()),
    })
}

/// Brings every Slack message about the request in this channel up to date: who decided, the
/// outcome, no buttons once the step is no longer open.
async fn update_slack(
    store: &Store,
    senders: &Senders,
    n: &notification::Model,
) -> AppResult<Outcome> {
    let Some(slack) = &senders.slack else {
        return Ok(failed("Slack is not configured".into(), false));
    };
    let db = store.db();
    let originals = notification::Entity::find()
        .filter(notification::Column::RequestId.eq(n.request_id))
        .filter(notification::Column::Channel.eq(NotificationChannel::Slack))
        .filter(notification::Column::Recipient.eq(n.recipient.as_str()))
        .filter(notification::Column::Kind.ne(NotificationKind::MessageUpdate))
        .order_by_asc(notification::Column::CreatedAt)
        .all(db)
        .await?;
    // A message still on its way is rendered as things stand when it leaves; an update before
    // that could be overtaken by it, so it waits (without using up attempts).
    let at = now();
    if originals
        .iter()
        .any(|o| o.status == NotificationStatus::Pending && o.next_attempt_at <= at)
    {
        return Ok(Outcome::Later(Duration::from_secs(1)));
    }
    // One update of these messages at a time: two renders racing could leave the older one last.
    let siblings = notification::Entity::find()
        .filter(notification::Column::RequestId.eq(n.request_id))
        .filter(notification::Column::Recipient.eq(n.recipient.as_str()))
        .filter(notification::Column::Kind.eq(NotificationKind::MessageUpdate))
        .filter(notification::Column::Status.eq(NotificationStatus::Pending))
        .filter(notification::Column::Id.ne(n.id))
        .all(db)
        .await?;
    if siblings
        .iter()
        .any(|s| s.claimed_until.is_some_and(|until| until > at))
    {
        return Ok(Outcome::Later(Duration::from_secs(1)));
    }
    let sent: Vec<&notification::Model> = originals
        .iter()
        .filter(|o| o.status == NotificationStatus::Sent && o.external_ref.is_some())
        .collect();
    if sent.is_empty() {
        return Ok(Outcome::Skipped(
            "no Slack message about it was sent".into(),
        ));
    }
    let Some(request) = approval_request::Entity::find_by_id(n.request_id)
        .one(db)
        .await?
    else {
        return Ok(Outcome::Skipped("the request is gone".into()));
    };
    let steps = requests::steps(db, request.id).await?;
    let decisions = requests::decisions(db, request.id).await?;
    let view = request_view::view(&request, &steps, &decisions)?;
    let workflow_name =
        workflows::display_name(db, &request.tenant_id, &request.workflow_key).await?;
    for original in sent {
        let Some((channel, ts)) = original
            .external_ref
            .as_deref()
            .and_then(|r| r.split_once(' '))
        else {
            continue;
        };
        let (_, intro) = intro(original.kind, &view);
        let (text, blocks) = slack::message(
            &request.tenant_id,
            &view,
            &workflow_name,
            &senders.public_url,
            original.step_idx,
            &intro,
        );
        let body = json!({ "channel": channel, "ts": ts, "text": text, "blocks": blocks });
        if let Err(e) = slack.call("chat.update", &body).await {
            return Ok(e.into());
        }
    }
    // The messages now show the state as it was read above: updates written before this one
    // have nothing left to say.
    let covered: Vec<Uuid> = siblings
        .iter()
        .filter(|s| s.created_at <= n.created_at && s.claimed_until.is_none_or(|u| u <= at))
        .map(|s| s.id)
        .collect();
    if !covered.is_empty() {
        notification::Entity::update_many()
            .set(notification::ActiveModel {
                status: Set(NotificationStatus::Skipped),
                last_error: Set(Some(
                    "covered by a later update of the same messages".into(),
                )),
                ..Default::default()
            })
            .filter(notification::Column::Id.is_in(covered))
            .filter(notification::Column::Status.eq(NotificationStatus::Pending))
            .exec(db)
            .await?;
    }
    Ok(Outcome::Sent(String::new()))
}

async fn record(
    store: &Store,
    claim: &notification::Model,
    outcome: Outcome,
    base: Duration,
    max: Duration,
) -> AppResult<()> {
    let at = now();
    let mut row = notification::ActiveModel {
        claimed_until: Set(None),
        ..Default::default()
    };
    match outcome {
        Outcome::Sent(reference) => {
            row.status = Set(NotificationStatus::Sent);
            row.sent_at = Set(Some(at));
            row.external_ref = Set(Some(reference));
            row.last_error = Set(None);
        }
        Outcome::Skipped(why) => {
            row.status = Set(NotificationStatus::Skipped);
            row.last_error = Set(Some(why));
        }
        Outcome::Later(delay) => {
            row.attempts = Set(claim.attempts - 1);
            row.next_attempt_at =
                Set(at + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(1)));
        }
        Outcome::Failed {
            error,
            permanent,
            after,
        } => {
            tracing::warn!(notification_id = %claim.id, attempts = claim.attempts, %error, "notification attempt failed");
            if permanent || claim.attempts >= MAX_ATTEMPTS {
                row.status = Set(NotificationStatus::Failed);
            } else {
                let delay = backoff(claim.attempts, base, max).max(after.unwrap_or_default());
                row.next_attempt_at =
                    Set(at
                        + chrono::Duration::from_std(delay)
                            .unwrap_or(chrono::Duration::seconds(60)));
            }
            row.last_error = Set(Some(error));
        }
    }
    // Fenced by the attempt count: a replica whose lease ran out records nothing over a newer one.
    notification::Entity::update_many()
        .set(row)
        .filter(notification::Column::Id.eq(claim.id))
        .filter(notification::Column::Attempts.eq(claim.attempts))
        .exec(store.db())
        .await?;
    Ok(())
}

/// A rendered email.
pub struct Mail {
    /// Subject line.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML.
    pub html: String,
}

/// Text made safe to put in HTML, in text and in attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn when(value: &Value) -> Option<String> {
    let at: DateTime<Utc> = value.as_str()?.parse().ok()?;
    Some(at.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// The facts a reviewer decides on, as (label, value) pairs.
pub fn facts(view: &Value, workflow_name: &str) -> Vec<(&'static str, String)> {
    let text = |key: &str| view[key].as_str().map(str::to_owned);
    let list = |key: &str| {
        view[key].as_array().filter(|a| !a.is_empty()).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let mut out = vec![(
        "Workflow",
        format!(
            "{workflow_name} ({})",
            text("workflowKey").unwrap_or_default()
        ),
    )];
    if let Some(amount) = text("amount") {
        out.push((
            "Amount",
            format!("{amount} {}", text("currency").unwrap_or_default())
                .trim()
                .to_owned(),
        ));
    }
    if let Some(c) = view["confidence"].as_f64() {
        out.push(("Confidence", format!("{:.0}%", c * 100.0)));
    }
    if let Some(flags) = list("riskFlags") {
        out.push(("Risk flags", flags));
    }
    if let Some(exceptions) = list("exceptions") {
        out.push(("Exceptions", exceptions));
    }
    if let Some(due) = when(&view["dueAt"]) {
        out.push(("Due", due));
    }
    if let Some(r) = text("recommendation") {
        let mut r: String = r.chars().take(RECOMMENDATION_CHARS).collect();
        if view["recommendation"]
            .as_str()
            .is_some_and(|full| full.chars().count() > RECOMMENDATION_CHARS)
        {
            r.push('…');
        }
        out.push(("AI recommendation", r));
    }
    out.push(("Submitted by", text("submittedBy").unwrap_or_default()));
    out
}

/// The subject line and the first sentence of a notice of `kind`.
fn intro(kind: NotificationKind, view: &Value) -> (String, String) {
    let title = view["title"].as_str().unwrap_or("an action");
    let due = when(&view["dueAt"]);
    match kind {
        NotificationKind::ApprovalWaiting => (
            format!("Approval needed: {title}"),
            "An action proposed by an AI agent is waiting for your decision.".to_owned(),
        ),
        NotificationKind::Reminder => (
            format!("Reminder: {title}"),
            format!(
                "This action is still waiting for a decision{}.",
                due.as_ref()
                    .map(|d| format!(" and is due {d}"))
                    .unwrap_or_default()
            ),
        ),
        NotificationKind::Escalation => (
            format!("Escalated to you: {title}"),
            "Nobody decided this action in time, so it was escalated to you.".to_owned(),
        ),
        NotificationKind::Expired => (
            format!("Expired without a decision: {title}"),
            "Nobody decided this action before it expired; it will not run.".to_owned(),
        ),
        NotificationKind::MessageUpdate => (
            format!("Update: {title}"),
            "An action proposed by an AI agent, for the approval of this channel.".to_owned(),
        ),
    }
}

/// The email for a notification of `kind` about the request `view`.
pub fn render(
    kind: NotificationKind,
    view: &Value,
    workflow_name: &str,
    public_url: &str,
    links: Option<&(String, String)>,
) -> Mail {
    let title = view["title"].as_str().unwrap_or("an action");
    let id = view["id"].as_str().unwrap_or_default();
    let (subject, intro) = intro(kind, view);
    let console = format!("{public_url}/requests/{id}");
    let facts = facts(view, workflow_name);
    let action = serde_json::to_string_pretty(&view["finalAction"]).unwrap_or_default();

    let mut text = format!("{intro}\n\n{title}\n\n");
    for (label, value) in &facts {
        text.push_str(&format!("{label}: {value}\n"));
    }
    text.push_str(&format!("\nProposed action:\n{action}\n\n"));
    if let Some((approve, reject)) = links {
        text.push_str(&format!(
            "Approve: {approve}\nReject: {reject}\n\nEach link opens a page that asks you to confirm; nothing is decided until you press its button. The links are yours alone and work once.\n\n"
        ));
    }
    text.push_str(&format!("Open it in Countersign: {console}\n"));

    let mut html = format!(
        "<!doctype html><html><body style=\"font-family: system-ui, sans-serif; color: #1a1a1a\">\
         <p>{}</p><h2 style=\"font-size: 18px\">{}</h2><table style=\"border-collapse: collapse\">",
        escape(&intro),
        escape(title)
    );
    for (label, value) in &facts {
        html.push_str(&format!(
            "<tr><th style=\"text-align: left; padding: 2px 12px 2px 0; vertical-align: top\">{}</th><td>{}</td></tr>",
            escape(label),
            escape(value)
        ));
    }
    html.push_str(&format!(
        "</table><p><strong>Proposed action</strong></p><pre style=\"background: #f4f4f4; padding: 8px\">{}</pre>",
        escape(&action)
    ));
    if let Some((approve, reject)) = links {
        html.push_str(&format!(
            "<p><a href=\"{}\" style=\"background: #1f7a3a; color: #fff; padding: 8px 16px; text-decoration: none\">Approve…</a> \
             <a href=\"{}\" style=\"background: #a4262c; color: #fff; padding: 8px 16px; text-decoration: none\">Reject…</a></p>\
             <p style=\"color: #555\">Each link opens a page that asks you to confirm; nothing is decided until you press its button. The links are yours alone and work once.</p>",
            escape(approve),
            escape(reject)
        ));
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">Open it in Countersign</a></p></body></html>",
        escape(&console)
    ));
    Mail {
        subject,
        text,
        html,
    }
}
