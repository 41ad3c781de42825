//! The reviewer directory (`reviewers`, `upsertReviewer`, `deactivateReviewer`), each workflow's
//! notification channels (`setNotificationChannels`, `Workflow.notificationChannels`) and the
//! notifications sent about a request (`ApprovalRequest.notifications`).

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use countersign_entity::enums::{NotificationChannel, NotificationKind, NotificationStatus};
use countersign_entity::{notification, reviewer};

use super::ContextExt;
use super::types::Workflow;
use crate::domain::notifications::{self, ChannelConfig, ChannelInput};
use crate::domain::reviewers::{self, ReviewerInput as DomainInput};
use crate::error::ApiResult;

/// A channel notifications go through.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "NotificationChannelKind")]
pub enum ChannelKind {
    /// A Slack channel.
    Slack,
    /// Email.
    Email,
}

impl From<ChannelKind> for NotificationChannel {
    fn from(k: ChannelKind) -> Self {
        match k {
            ChannelKind::Slack => NotificationChannel::Slack,
            ChannelKind::Email => NotificationChannel::Email,
        }
    }
}

impl From<NotificationChannel> for ChannelKind {
    fn from(k: NotificationChannel) -> Self {
        match k {
            NotificationChannel::Slack => ChannelKind::Slack,
            NotificationChannel::Email => ChannelKind::Email,
        }
    }
}

/// What a notification says.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "NotificationKind")]
pub enum Kind {
    /// A step opened: an approval is waiting.
    ApprovalWaiting,
    /// The step is due soon.
    Reminder,
    /// The step went to the escalation role.
    Escalation,
    /// The request expired undecided.
    Expired,
    /// A Slack message about it was brought up to date.
    MessageUpdate,
}

impl From<NotificationKind> for Kind {
    fn from(k: NotificationKind) -> Self {
        match k {
            NotificationKind::ApprovalWaiting => Kind::ApprovalWaiting,
            NotificationKind::Reminder => Kind::Reminder,
            NotificationKind::Escalation => Kind::Escalation,
            NotificationKind::Expired => Kind::Expired,
            NotificationKind::MessageUpdate => Kind::MessageUpdate,
        }
    }
}

/// Where a notification is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "NotificationStatus")]
pub enum Status {
    /// Waiting to be sent, retried, or for its time (a reminder).
    Pending,
    /// Accepted by the mail server or Slack.
    Sent,
    /// Refused for good, or out of attempts.
    Failed,
    /// Not sent: it no longer applied (the step was decided first).
    Skipped,
}

impl From<NotificationStatus> for Status {
    fn from(s: NotificationStatus) -> Self {
        match s {
            NotificationStatus::Pending => Status::Pending,
            NotificationStatus::Sent => Status::Sent,
            NotificationStatus::Failed => Status::Failed,
            NotificationStatus::Skipped => Status::Skipped,
        }
    }
}

/// One channel of a workflow.
#[derive(InputObject)]
#[graphql(name = "NotificationChannelInput")]
pub struct ChannelArg {
    /// SLACK or EMAIL.
    pub kind: ChannelKind,
    /// SLACK: the channel id (`C…`).
    pub slack_channel: Option<String>,
    /// EMAIL: addresses told besides the eligible reviewers of the directory.
    pub emails: Option<Vec<String>>,
    /// A reminder this long before a step's due time (ISO 8601, e.g. "PT1H").
    pub remind_before: Option<String>,
}

/// One channel of a workflow, as configured.
#[derive(SimpleObject)]
#[graphql(name = "NotificationChannel")]
pub struct ChannelView {
    /// SLACK or EMAIL.
    pub kind: ChannelKind,
    /// SLACK: the channel id.
    pub slack_channel: Option<String>,
    /// EMAIL: the extra addresses.
    pub emails: Vec<String>,
    /// How long before a step's due time a reminder goes out (ISO 8601).
    pub remind_before: Option<String>,
}

impl From<ChannelConfig> for ChannelView {
    fn from(c: ChannelConfig) -> Self {
        ChannelView {
            kind: c.kind.into(),
            remind_before: c.remind_before(),
            slack_channel: c.slack_channel,
            emails: c.emails,
        }
    }
}

/// The channels of a workflow.
pub fn channels_of(wf: &countersign_entity::workflow::Model) -> Vec<ChannelView> {
    notifications::channels(wf)
        .into_iter()
        .map(ChannelView::from)
        .collect()
}

/// A person in the reviewer directory.
pub struct Reviewer(reviewer::Model);

#[Object]
impl Reviewer {
    /// The principal id decisions from Slack or email are made as.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Email address.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Slack user id.
    async fn slack_user_id(&self) -> Option<&str> {
        self.0.slack_user_id.as_deref()
    }
    /// Roles held when deciding through a channel.
    async fn roles(&self) -> Vec<String> {
        reviewers::roles(&self.0)
    }
    /// Inactive people receive nothing and decide nothing through a channel.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Last change.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A directory entry to create or replace.
#[derive(InputObject)]
pub struct ReviewerInput {
    /// The person's principal id (the `sub` of their tokens).
    pub subject: String,
    /// Display name.
    pub name: String,
    /// Email address (email notifications and links).
    pub email: Option<String>,
    /// Slack user id (`U…`).
    pub slack_user_id: Option<String>,
    /// Roles held when deciding through a channel.
    pub roles: Vec<String>,
    /// Default true.
    #[graphql(default = true)]
    pub active: bool,
}

/// A message sent, or to be sent, about a request.
pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    /// SLACK or EMAIL.
    async fn channel(&self) -> ChannelKind {
        self.0.channel.into()
    }
    /// What it says.
    async fn kind(&self) -> Kind {
        self.0.kind.into()
    }
    /// The address or Slack channel.
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }
    /// The directory entry it was for.
    async fn reviewer(&self) -> Option<&str> {
        self.0.reviewer_subject.as_deref()
    }
    /// The step it is about.
    async fn step(&self) -> Option<i32> {
        self.0.step_idx
    }
    /// PENDING, SENT, FAILED or SKIPPED.
    async fn status(&self) -> Status {
        self.0.status.into()
    }
    /// Attempts made.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// Why the last attempt failed, or why it was skipped.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When it is (or was) due.
    async fn due_at(&self) -> DateTime<Utc> {
        self.0.next_attempt_at
    }
    /// When it was sent.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
}

/// Directory queries.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The reviewer directory (admin, auditor).
    async fn reviewers(&self, ctx: &Context<'_>) -> ApiResult<Vec<Reviewer>> {
        let p = ctx.principal()?;
        Ok(reviewers::list(ctx.state()?.store.db(), p)
            .await?
            .into_iter()
            .map(Reviewer)
            .collect())
    }
}

/// Directory and channel mutations (admin).
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Creates or replaces the entry for `input.subject` (admin, audited).
    async fn upsert_reviewer(
        &self,
        ctx: &Context<'_>,
        input: ReviewerInput,
    ) -> ApiResult<Reviewer> {
        let p = ctx.principal()?;
        let input = DomainInput {
            subject: input.subject,
            name: input.name,
            email: input.email,
            slack_user_id: input.slack_user_id,
            roles: input.roles,
            active: input.active,
        };
        Ok(Reviewer(
            reviewers::upsert(&ctx.state()?.store, p, input).await?,
        ))
    }

    /// Deactivates an entry (admin, audited).
    async fn deactivate_reviewer(&self, ctx: &Context<'_>, subject: String) -> ApiResult<Reviewer> {
        let p = ctx.principal()?;
        Ok(Reviewer(
            reviewers::deactivate(&ctx.state()?.store, p, &subject).await?,
        ))
    }

    /// Replaces a workflow's notification channels (admin, audited); an empty list turns
    /// notifications off.
    async fn set_notification_channels(
        &self,
        ctx: &Context<'_>,
        workflow_key: String,
        channels: Vec<ChannelArg>,
    ) -> ApiResult<Workflow> {
        let p = ctx.principal()?;
        let state = ctx.state()?;
        let input = channels
            .into_iter()
            .map(|c| ChannelInput {
                kind: c.kind.into(),
                slack_channel: c.slack_channel,
                emails: c.emails,
                remind_before: c.remind_before,
            })
            .collect();
        Ok(Workflow(
            notifications::set_channels(&state.store, &state.settings, p, &workflow_key, input)
                .await?,
        ))
    }
}
