//! Slack: messages about approvals (Block Kit, through `chat.postMessage` and `chat.update`),
//! and the interactions their buttons send to `POST /integrations/slack/interactions`.
//!
//! An interaction is verified before anything in it is read: the `v0` signature (HMAC-SHA256
//! of `v0:{timestamp}:{body}` with the app's signing secret), a timestamp within five minutes,
//! and a signature not seen before (a replay is refused). The clicker's Slack user id is looked
//! up in the reviewer directory — being in the channel grants nothing — and the decision goes
//! through `decide` as that entry, with every check the API applies. Reject opens a dialog that
//! asks for the reason code (`views.open`).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use countersign_entity::enums::DecisionKind;
use countersign_entity::{reviewer, slack_interaction};
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::AppState;
use crate::config::Settings;
use crate::domain::lifecycle::{self, DecideInput, Via};
use crate::domain::reviewers;
use crate::error::AppError;
use crate::jobs::notifications::facts;
use crate::store::{is_unique_violation, now};

/// How far a request's timestamp may be from now.
pub const SIGNATURE_WINDOW_SECS: i64 = 300;
/// The dialog Reject opens.
const REJECT_CALLBACK: &str = "countersign_reject";

/// Talks to the Slack Web API with the bot token.
#[derive(Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    base: String,
    token: SecretString,
}

impl std::fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackClient")
            .field("base", &self.base)
            .finish()
    }
}

/// How a Web API call ended.
#[derive(Debug)]
pub enum SlackError {
    /// Worth trying again (network, 5xx, rate limited); `retry_after` when Slack said.
    Temporary {
        /// What happened.
        error: String,
        /// Slack's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// Slack refused it for good (`channel_not_found`, `invalid_auth`, …).
    Permanent(String),
}

impl std::fmt::Display for SlackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlackError::Temporary { error, .. } | SlackError::Permanent(error) => {
                f.write_str(error)
            }
        }
    }
}

impl SlackClient {
    /// The client of `settings`, when Slack is configured.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<SlackClient>> {
        let (Some(token), Some(_)) = (&settings.slack_bot_token, &settings.slack_signing_secret)
        else {
            return Ok(None);
        };
        let base = settings.slack_api_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            anyhow::bail!("COUNTERSIGN_SLACK_API_URL must be an http(s) URL");
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.webhook_timeout_ms.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Some(SlackClient {
            http,
            base,
            token: token.clone(),
        }))
    }

    /// Calls a Web API method with a JSON body; the answer when `ok`.
    pub async fn call(&self, method: &str, body: &Value) -> Result<Value, SlackError> {
        let response = self
            .http
            .post(format!("{}/{method}", self.base))
            .bearer_auth(self.token.expose_secret())
            .json(body)
            .send()
            .await
            .map_err(|e| SlackError::Temporary {
                error: format!("{method}: {e}"),
                retry_after: None,
            })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_secs);
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(SlackError::Temporary {
                error: format!("{method}: HTTP {status}"),
                retry_after,
            });
        }
        let answer: Value = response.json().await.map_err(|e| SlackError::Temporary {
            error: format!("{method}: unreadable answer: {e}"),
            retry_after: None,
        })?;
        if answer["ok"] == true {
            return Ok(answer);
        }
        let error = answer["error"]
            .as_str()
            .unwrap_or("unknown_error")
            .to_owned();
        // What trying again can fix; everything else is a configuration to correct.
        if matches!(
            error.as_str(),
            "ratelimited"
                | "internal_error"
                | "fatal_error"
                | "service_unavailable"
                | "request_timeout"
        ) {
            Err(SlackError::Temporary {
                error: format!("{method}: {error}"),
                retry_after,
            })
        } else {
            Err(SlackError::Permanent(format!("{method}: {error}")))
        }
    }
}

/// What the buttons of a message carry: the request, its version and the step.
fn button_value(tenant: &str, view: &Value, step: i32) -> String {
    json!({ "t": tenant, "r": view["id"], "v": view["version"], "s": step }).to_string()
}

fn mrkdwn(text: &str) -> String {
    // Slack's escaping: &, <, > only (so `<!channel>` or `<url|label>` from an agent stay text).
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most `max` characters, with an ellipsis when cut (Slack refuses longer texts).
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Where a step stands, for the line under the facts; `None` while it is open and pending
/// (the buttons are shown then).
fn outcome(view: &Value, step: Option<i32>) -> Option<String> {
    let status = view["status"].as_str().unwrap_or_default();
    let step_row = view["steps"].as_array().and_then(|steps| {
        steps
            .iter()
            .find(|s| s["index"].as_i64() == step.map(i64::from))
    });
    let step_status = step_row
        .and_then(|s| s["status"].as_str())
        .unwrap_or_default();
    let decisions: Vec<&Value> = view["decisions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["step"].as_i64() == step.map(i64::from))
        .collect();
    let names = |kind: &str| {
        decisions
            .iter()
            .filter(|d| d["decision"] == kind)
            .filter_map(|d| d["actor"].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if status == "PENDING" && step_status == "OPEN" {
        return None;
    }
    Some(match step_status {
        "APPROVED" => format!(":white_check_mark: Approved by {}", names("APPROVE")),
        "REJECTED" => {
            let reject = decisions.iter().find(|d| d["decision"] == "REJECT");
            let reason = reject
                .and_then(|d| d["reasonCode"].as_str())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            format!(":x: Rejected by {}{reason}", names("REJECT"))
        }
        _ => match status {
            "EXPIRED" => ":hourglass: Expired without a decision".to_owned(),
            "CANCELLED" => ":no_entry_sign: Cancelled by its submitter".to_owned(),
            "REJECTED" => ":x: Rejected".to_owned(),
            other => format!(
                "No longer waiting: {}",
                other.to_lowercase().replace('_', " ")
            ),
        },
    })
}

/// The message for a notification about `step` of the request `view`: the fallback text and
/// the Block Kit blocks.
pub fn message(
    tenant: &str,
    view: &Value,
    workflow_name: &str,
    public_url: &str,
    step: Option<i32>,
    intro: &str,
) -> (String, Value) {
    let title = view["title"].as_str().unwrap_or("An action");
    let id = view["id"].as_str().unwrap_or_default();
    let mut fields: Vec<Value> = facts(view, workflow_name)
        .into_iter()
        .filter(|(label, _)| *label != "AI recommendation")
        .map(|(label, value)| json!({ "type": "mrkdwn", "text": cut(&format!("*{label}*\n{}", mrkdwn(&value)), 1900) }))
        .collect();
    fields.truncate(10); // Slack's limit for a section's fields
    let mut blocks = vec![
        json!({ "type": "header", "text": { "type": "plain_text", "text": title.chars().take(150).collect::<String>() } }),
        json!({ "type": "section", "text": { "type": "mrkdwn", "text": mrkdwn(intro) } }),
        json!({ "type": "section", "fields": fields }),
    ];
    if let Some(r) = view["recommendation"].as_str() {
        let mut r: String = r.chars().take(500).collect();
        if view["recommendation"]
            .as_str()
            .is_some_and(|full| full.chars().count() > 500)
        {
            r.push('…');
        }
        blocks.push(json!({ "type": "section", "text": { "type": "mrkdwn", "text": format!("*AI recommendation*\n{}", mrkdwn(&r)) } }));
    }
    let line = outcome(view, step);
    match (&line, step) {
        (None, Some(step)) => {
            let approvals = view["decisions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| {
                    d["step"].as_i64() == Some(i64::from(step)) && d["decision"] == "APPROVE"
                })
                .filter_map(|d| d["actor"].as_str())
                .collect::<Vec<_>>();
            if !approvals.is_empty() {
                blocks.push(json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": cut(&mrkdwn(&format!("Approved so far by {}", approvals.join(", "))), 1900) }] }));
            }
            let value = button_value(tenant, view, step);
            blocks.push(json!({
                "type": "actions",
                "block_id": "countersign_decision",
                "elements": [
                    { "type": "button", "action_id": "approve", "style": "primary", "value": value,
                      "text": { "type": "plain_text", "text": "Approve" } },
                    { "type": "button", "action_id": "reject", "style": "danger", "value": value,
                      "text": { "type": "plain_text", "text": "Reject…" } },
                ]
            }));
        }
        (Some(line), _) => {
            blocks.push(json!({ "type": "section", "text": { "type": "mrkdwn", "text": format!("*{}*", mrkdwn(line)) } }));
        }
        (None, None) => {}
    }
    blocks.push(json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": format!("<{public_url}/requests/{id}|Open in Countersign>") }] }));
    let text = cut(
        &mrkdwn(&match &line {
            Some(line) => format!("{title}: {line}"),
            None => format!("{intro} {title}"),
        }),
        3000,
    );
    (text, Value::Array(blocks))
}

type HmacSha256 = Hmac<Sha256>;

/// Checks Slack's `v0` signature of `body` at `now`; the reason when it fails.
pub fn verify_signature(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<String, String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let timestamp = header("x-slack-request-timestamp").ok_or("no X-Slack-Request-Timestamp")?;
    let signature = header("x-slack-signature").ok_or("no X-Slack-Signature")?;
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| "a timestamp that is not a number")?;
    if now.timestamp().abs_diff(ts) > SIGNATURE_WINDOW_SECS.unsigned_abs() {
        return Err("a timestamp more than five minutes from now (a replay?)".into());
    }
    let hex_sig = signature
        .strip_prefix("v0=")
        .ok_or("a signature that is not v0")?;
    let given = hex::decode(hex_sig).map_err(|_| "a signature that is not hex")?;
    #[allow(clippy::expect_used)]
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| "a signature that does not match".to_owned())?;
    // The MAC itself identifies the payload, however its hex was spelt.
    Ok(hex::encode(given))
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, why.to_owned()).into_response()
}

/// `POST /integrations/slack/interactions`.
pub async fn interactions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (Some(secret), Some(client)) = (&state.settings.slack_signing_secret, &state.slack) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "Slack is not configured on this server",
        );
    };
    let signature = match verify_signature(secret.expose_secret(), &headers, &body, Utc::now()) {
        Ok(signature) => signature,
        Err(why) => {
            tracing::warn!(%why, "Slack interaction refused");
            return refuse(StatusCode::UNAUTHORIZED, &format!("refused: {why}"));
        }
    };
    // Each signed payload is handled once.
    match remember(&state, &signature).await {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                StatusCode::CONFLICT,
                "refused: this payload was already handled",
            );
        }
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
    let payload: Value = match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "payload"))
        .and_then(|(_, p)| serde_json::from_str(&p).ok())
    {
        Some(payload) => payload,
        None => return refuse(StatusCode::BAD_REQUEST, "no payload"),
    };
    match payload["type"].as_str() {
        Some("block_actions") => block_action(&state, client, &payload).await,
        Some("view_submission") if payload["view"]["callback_id"] == REJECT_CALLBACK => {
            reject_submitted(&state, &payload).await
        }
        _ => StatusCode::OK.into_response(),
    }
}

/// Records the signature; false when it was there already.
async fn remember(state: &AppState, signature: &str) -> Result<bool, AppError> {
    let db = state.store.db();
    let at = now();
    // Older than the window: a replay of those fails the timestamp check anyway.
    slack_interaction::Entity::delete_many()
        .filter(
            slack_interaction::Column::ReceivedAt
                .lt(at - chrono::Duration::seconds(2 * SIGNATURE_WINDOW_SECS)),
        )
        .exec(db)
        .await?;
    let row = slack_interaction::Model {
        signature_hash: hex::encode(Sha256::digest(signature.as_bytes())),
        received_at: at,
    };
    match row.into_active_model().reset_all().insert(db).await {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// What a button carried.
struct Target {
    tenant: String,
    request: Uuid,
    version: i32,
    step: i32,
}

fn target(value: &str) -> Option<Target> {
    let v: Value = serde_json::from_str(value).ok()?;
    Some(Target {
        tenant: v["t"].as_str()?.to_owned(),
        request: v["r"].as_str()?.parse().ok()?,
        version: i32::try_from(v["v"].as_i64()?).ok()?,
        step: i32::try_from(v["s"].as_i64()?).ok()?,
    })
}

/// The directory entry of a Slack user in a tenant, if active.
async fn person(
    state: &AppState,
    tenant: &str,
    slack_user: &str,
) -> Result<Option<reviewer::Model>, AppError> {
    Ok(reviewer::Entity::find()
        .filter(reviewer::Column::TenantId.eq(tenant))
        .filter(reviewer::Column::SlackUserId.eq(slack_user))
        .filter(reviewer::Column::Active.eq(true))
        .one(state.store.db())
        .await?)
}

/// Tells the clicker alone, in the channel.
async fn tell(client: &crate::slack::SlackClient, payload: &Value, text: &str) {
    let channel = payload["channel"]["id"]
        .as_str()
        .or_else(|| payload["container"]["channel_id"].as_str());
    let user = payload["user"]["id"].as_str();
    if let (Some(channel), Some(user)) = (channel, user)
        && let Err(e) = client
            .call(
                "chat.postEphemeral",
                &json!({ "channel": channel, "user": user, "text": text }),
            )
            .await
    {
        tracing::warn!(error = %e, "telling a Slack user failed");
    }
}

async fn decide_as(
    state: &AppState,
    person: &reviewer::Model,
    slack_user: &str,
    target: &Target,
    decision: DecisionKind,
    reason_code: Option<String>,
    comment: Option<String>,
) -> Result<(), AppError> {
    let input = DecideInput {
        request_id: target.request,
        decision,
        expected_version: Some(target.version),
        edited_action: None,
        reason_code,
        comment,
        expected_step: Some(target.step),
        via: Via::Slack {
            user_id: slack_user.to_owned(),
        },
    };
    lifecycle::decide(&state.store, &reviewers::principal(person), input, "slack")
        .await
        .map(|_| ())
}

fn not_in_directory(slack_user: &str) -> String {
    format!(
        "You are not an active reviewer in Countersign's directory (Slack user {slack_user}), so this decides nothing. Ask an administrator to add you."
    )
}

async fn block_action(state: &AppState, client: &SlackClient, payload: &Value) -> Response {
    let action = &payload["actions"][0];
    let slack_user = payload["user"]["id"].as_str().unwrap_or_default();
    let Some(target) = action["value"].as_str().and_then(target) else {
        return StatusCode::OK.into_response();
    };
    let person = match person(state, &target.tenant, slack_user).await {
        Ok(Some(person)) => person,
        Ok(None) => {
            tell(client, payload, &not_in_directory(slack_user)).await;
            return StatusCode::OK.into_response();
        }
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    match action["action_id"].as_str() {
        Some("approve") => {
            if let Err(e) = decide_as(
                state,
                &person,
                slack_user,
                &target,
                DecisionKind::Approve,
                None,
                None,
            )
            .await
            {
                tell(client, payload, &format!("Not approved: {e}")).await;
            }
        }
        Some("reject") => {
            let metadata = json!({ "t": target.tenant, "r": target.request, "v": target.version, "s": target.step });
            let view = json!({
                "type": "modal",
                "callback_id": REJECT_CALLBACK,
                "private_metadata": metadata.to_string(),
                "title": { "type": "plain_text", "text": "Reject" },
                "submit": { "type": "plain_text", "text": "Reject" },
                "close": { "type": "plain_text", "text": "Cancel" },
                "blocks": [
                    { "type": "input", "block_id": "reason",
                      "label": { "type": "plain_text", "text": "Reason code" },
                      "element": { "type": "plain_text_input", "action_id": "reason_code", "max_length": 64,
                                   "placeholder": { "type": "plain_text", "text": "e.g. not_eligible" } } },
                    { "type": "input", "block_id": "comment", "optional": true,
                      "label": { "type": "plain_text", "text": "Comment" },
                      "element": { "type": "plain_text_input", "action_id": "comment", "multiline": true, "max_length": 2000 } }
                ]
            });
            let trigger = payload["trigger_id"].as_str().unwrap_or_default();
            if let Err(e) = client
                .call(
                    "views.open",
                    &json!({ "trigger_id": trigger, "view": view }),
                )
                .await
            {
                tell(
                    client,
                    payload,
                    &format!("Could not open the reject dialog: {e}"),
                )
                .await;
            }
        }
        _ => {}
    }
    StatusCode::OK.into_response()
}

async fn reject_submitted(state: &AppState, payload: &Value) -> Response {
    let errors = |why: &str| {
        axum::Json(json!({ "response_action": "errors", "errors": { "reason": why } }))
            .into_response()
    };
    let view = &payload["view"];
    // The dialog carries what the button carried, in the same form.
    let Some(target) = view["private_metadata"].as_str().and_then(target) else {
        return errors("This dialog is not one Countersign opened.");
    };
    let slack_user = payload["user"]["id"].as_str().unwrap_or_default();
    let person = match person(state, &target.tenant, slack_user).await {
        Ok(Some(person)) => person,
        Ok(None) => return errors(&not_in_directory(slack_user)),
        Err(e) => return errors(&e.to_string()),
    };
    let values = &view["state"]["values"];
    let text = |block: &str, action: &str| {
        values[block][action]["value"]
            .as_str()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    match decide_as(
        state,
        &person,
        slack_user,
        &target,
        DecisionKind::Reject,
        text("reason", "reason_code"),
        text("comment", "comment"),
    )
    .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => errors(&e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn signed(secret: &str, ts: i64, body: &str) -> HeaderMap {
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("v0:{ts}:{body}").as_bytes());
        let sig = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
        let mut headers = HeaderMap::new();
        headers.insert("x-slack-request-timestamp", ts.to_string().parse().unwrap());
        headers.insert("x-slack-signature", sig.parse().unwrap());
        headers
    }

    #[test]
    fn text_from_agents_cannot_ping_the_channel_or_forge_links() {
        let view = json!({
            "id": "r1", "version": 1, "title": "<!channel> refund",
            "workflowKey": "refunds", "status": "PENDING",
            "recommendation": "see <https://evil.example|the order>",
            "steps": [{ "index": 0, "status": "OPEN" }], "decisions": [],
        });
        let (text, blocks) = message(
            "acme",
            &view,
            "Refunds",
            "https://cs.example",
            Some(0),
            "Waiting.",
        );
        assert!(text.contains("&lt;!channel&gt;"), "{text}");
        let shown = blocks.to_string();
        assert!(!shown.contains("<https://evil"), "{shown}");
        assert!(
            shown.contains("&lt;https://evil.example|the order&gt;"),
            "{shown}"
        );
    }

    #[test]
    fn signatures_are_checked_with_their_timestamp() {
        let now = Utc::now();
        let body = "payload=%7B%7D";
        let headers = signed("s3cret", now.timestamp(), body);
        assert!(verify_signature("s3cret", &headers, body.as_bytes(), now).is_ok());
        assert!(verify_signature("other", &headers, body.as_bytes(), now).is_err());
        assert!(verify_signature("s3cret", &headers, b"payload=%7B%7Dx", now).is_err());
        let old = signed("s3cret", now.timestamp() - 301, body);
        let why = verify_signature("s3cret", &old, body.as_bytes(), now).unwrap_err();
        assert!(why.contains("five minutes"), "{why}");
        assert!(verify_signature("s3cret", &HeaderMap::new(), body.as_bytes(), now).is_err());
    }
}
