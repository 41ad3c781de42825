//! `notifications` table: one message to one recipient about one step of a request, written in
//! the transaction of the event that causes it and sent afterwards by the notification worker.

use crate::enums::{NotificationChannel, NotificationKind, NotificationStatus};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A notification, retried until it is sent, skipped or out of attempts.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: String,
    /// The request it is about.
    pub request_id: Uuid,
    /// The step it is about.
    pub step_idx: Option<i32>,
    /// What it says.
    pub kind: NotificationKind,
    /// How it goes.
    pub channel: NotificationChannel,
    /// An email address, or a Slack channel id.
    #[sea_orm(column_type = "Text")]
    pub recipient: String,
    /// The directory entry it is for, when it carries decision links.
    pub reviewer_subject: Option<String>,
    /// `request:step:kind:channel:recipient`: the same notification is never written twice.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    /// Where it is.
    pub status: NotificationStatus,
    /// Attempts made.
    pub attempts: i32,
    /// When it is due (a reminder's time, or the next retry).
    pub next_attempt_at: DateTimeUtc,
    /// Lease of the replica sending it.
    pub claimed_until: Option<DateTimeUtc>,
    /// The last failure.
    #[sea_orm(column_type = "Text")]
    pub last_error: Option<String>,
    /// The channel's id for the sent message.
    #[sea_orm(column_type = "Text")]
    pub external_ref: Option<String>,
    /// When it was written.
    pub created_at: DateTimeUtc,
    /// When it was sent.
    pub sent_at: Option<DateTimeUtc>,
}

/// Relations (none declared).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
