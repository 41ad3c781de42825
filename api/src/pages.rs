//! The pages behind email decision links: `GET /links/{token}` shows the request and asks to
//! confirm (it never decides, so mail scanners that open links approve nothing); the `POST`
//! from that page decides, as the directory entry the link was made for, through the same
//! `decide` as the API (role, segregation of duties, one decision per person, quorum, version).
//! Plain server-rendered HTML, no script; every answer says what happened in words.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use countersign_entity::enums::{DecisionKind, RequestStatus, StepStatus};
use countersign_entity::{approval_request, reviewer, used_link};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use crate::AppState;
use crate::domain::lifecycle::{self, DecideInput, Via};
use crate::domain::links::{LinkClaims, LinkError};
use crate::domain::{request_view, requests, reviewers, workflows};
use crate::error::{AppError, AppResult};
use crate::jobs::notifications::{escape, facts};

/// The form a confirmation page posts.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    /// Required to reject.
    #[serde(default)]
    reason_code: Option<String>,
    /// Optional.
    #[serde(default)]
    comment: Option<String>,
}

/// A whole page: the token in the URL must not leak (no referrer, no caching), nothing runs.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · Countersign</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}}\
         th{{text-align:left;padding:2px 12px 2px 0;vertical-align:top}}pre{{background:#f4f4f4;padding:8px;overflow:auto}}\
         label{{display:block;margin:.75rem 0 .25rem;font-weight:600}}input,textarea{{font:inherit;width:100%;padding:6px;box-sizing:border-box}}\
         button{{font:inherit;padding:8px 20px;margin-top:1rem;border:0;color:#fff;cursor:pointer}}\
         .approve{{background:#1f7a3a}}.reject{{background:#a4262c}}.note{{color:#555}}\
         </style></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn message(status: StatusCode, title: &str, text: &str) -> Response {
    page(status, title, &format!("<p>{}</p>", escape(text)))
}

fn verb(decision: DecisionKind) -> &'static str {
    match decision {
        DecisionKind::Approve => "Approve",
        DecisionKind::Reject => "Reject",
    }
}

/// What a link may still do, or the page that says why not.
struct Usable {
    claims: LinkClaims,
    reviewer: reviewer::Model,
    request: approval_request::Model,
}

async fn usable(state: &AppState, token: &str) -> Result<Usable, Response> {
    let Some(signer) = &state.links else {
        return Err(message(
            StatusCode::NOT_FOUND,
            "Link not recognised",
            "This server does not send decision links.",
        ));
    };
    let claims = match signer.verify(token, Utc::now()) {
        Ok(claims) => claims,
        Err(LinkError::Invalid) => {
            return Err(message(
                StatusCode::BAD_REQUEST,
                "Link not recognised",
                "This link is not one this server made, or it was cut or changed on the way. Open the request in Countersign instead.",
            ));
        }
        Err(LinkError::Expired(at)) => {
            return Err(message(
                StatusCode::GONE,
                "Link expired",
                &format!(
                    "This link expired at {}. Open the request in Countersign to decide it there.",
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
            ));
        }
    };
    let checked = check(state, claims).await;
    checked.map_err(|e| match e {
        Refusal::Page(response) => response,
        Refusal::Error(e) => error_page(&e),
    })
}

enum Refusal {
    Page(Response),
    Error(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::Error(e)
    }
}

async fn check(state: &AppState, claims: LinkClaims) -> Result<Usable, Refusal> {
    let db = state.store.db();
    if used_link::Entity::find_by_id(claims.id)
        .one(db)
        .await
        .map_err(AppError::from)?
        .is_some()
    {
        return Err(Refusal::Page(message(
            StatusCode::CONFLICT,
            "Link already used",
            "This link was already used to decide, and works only once.",
        )));
    }
    let reviewer = reviewers::find(db, &claims.tenant, &claims.subject).await?;
    let Some(reviewer) = reviewer.filter(|r| r.active) else {
        return Err(Refusal::Page(message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            &format!(
                "{} is not an active reviewer any more, so this link decides nothing. Ask an administrator.",
                claims.subject
            ),
        )));
    };
    let request = approval_request::Entity::find_by_id(claims.request)
        .filter(approval_request::Column::TenantId.eq(claims.tenant.as_str()))
        .one(db)
        .await
        .map_err(AppError::from)?;
    let Some(request) = request else {
        return Err(Refusal::Page(message(
            StatusCode::NOT_FOUND,
            "Request not found",
            "The request this link is for does not exist.",
        )));
    };
    if request.status != RequestStatus::Pending {
        return Err(Refusal::Page(message(
            StatusCode::CONFLICT,
            "Already decided",
            &format!(
                "This request is no longer waiting for a decision: it is {}.",
                sea_orm::ActiveEnum::to_value(&request.status)
                    .to_lowercase()
                    .replace('_', " ")
            ),
        )));
    }
    let steps = requests::steps(db, request.id).await?;
    let open = steps
        .iter()
        .find(|s| s.status == StepStatus::Open)
        .map(|s| s.idx);
    if request.version != claims.version || open != Some(claims.step) {
        return Err(Refusal::Page(message(
            StatusCode::CONFLICT,
            "The request changed",
            "This request changed after the email was sent (another decision, an edit or an escalation), so this link no longer applies. Open it in Countersign to see where it stands.",
        )));
    }
    Ok(Usable {
        claims,
        reviewer,
        request,
    })
}

fn error_page(e: &AppError) -> Response {
    match e {
        AppError::Forbidden(why) => message(StatusCode::FORBIDDEN, "Not allowed", why),
        AppError::Conflict(why) => message(StatusCode::CONFLICT, "Not decided", why),
        AppError::BadInput { message: why, .. } => {
            message(StatusCode::BAD_REQUEST, "Check the form", why)
        }
        AppError::NotFound(what) => message(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!("{what} not found."),
        ),
        other => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            &format!("{other}. Nothing was decided; try again, or decide in Countersign."),
        ),
    }
}

async fn details(state: &AppState, request: &approval_request::Model) -> AppResult<String> {
    let db = state.store.db();
    let view = request_view::load(db, request).await?;
    let name = workflows::display_name(db, &request.tenant_id, &request.workflow_key).await?;
    let mut html = format!(
        "<h2>{}</h2><table>",
        escape(view["title"].as_str().unwrap_or(""))
    );
    for (label, value) in facts(&view, &name) {
        html.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label),
            escape(&value)
        ));
    }
    let action = serde_json::to_string_pretty(&view["finalAction"]).unwrap_or_default();
    html.push_str(&format!(
        "</table><p><strong>Proposed action</strong></p><pre>{}</pre>",
        escape(&action)
    ));
    Ok(html)
}

/// `GET /links/{token}`: the confirmation page; decides nothing.
pub async fn confirm(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let usable = match usable(&state, &token).await {
        Ok(usable) => usable,
        Err(page) => return page,
    };
    let facts = match details(&state, &usable.request).await {
        Ok(html) => html,
        Err(e) => return error_page(&e),
    };
    let decision = usable.claims.decision;
    let fields = match decision {
        DecisionKind::Approve => String::new(),
        DecisionKind::Reject => "<label for=\"reason_code\">Reason code</label>\
             <input id=\"reason_code\" name=\"reason_code\" required maxlength=\"64\" \
             pattern=\"[A-Za-z0-9_.:\\-]+\" placeholder=\"e.g. not_eligible\">"
            .to_owned(),
    };
    let class = if decision == DecisionKind::Approve {
        "approve"
    } else {
        "reject"
    };
    let body = format!(
        "<p>You are deciding as <strong>{who}</strong> ({subject}).</p>{facts}\
         <form method=\"post\">{fields}\
         <label for=\"comment\">Comment (optional)</label><textarea id=\"comment\" name=\"comment\" rows=\"3\" maxlength=\"2000\"></textarea>\
         <button class=\"{class}\" type=\"submit\">{verb}</button></form>\
         <p class=\"note\">Nothing has been decided yet: only this button decides.</p>",
        who = escape(&usable.reviewer.name),
        subject = escape(&usable.reviewer.subject),
        verb = verb(decision),
    );
    page(
        StatusCode::OK,
        &format!("{} this action?", verb(decision)),
        &body,
    )
}

/// `POST /links/{token}`: decides, once.
pub async fn decide(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let usable = match usable(&state, &token).await {
        Ok(usable) => usable,
        Err(page) => return page,
    };
    let trimmed = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let decision = usable.claims.decision;
    let input = DecideInput {
        request_id: usable.request.id,
        decision,
        expected_version: Some(usable.claims.version),
        edited_action: None,
        reason_code: match decision {
            DecisionKind::Reject => trimmed(form.reason_code),
            DecisionKind::Approve => None,
        },
        comment: trimmed(form.comment),
        expected_step: Some(usable.claims.step),
        via: Via::Email {
            link_id: usable.claims.id,
        },
    };
    let caller = reviewers::principal(&usable.reviewer);
    match lifecycle::decide(&state.store, &caller, input, "form").await {
        Ok(request) => {
            let outcome = match request.status {
                RequestStatus::Approved => "It is approved and will run.".to_owned(),
                RequestStatus::Rejected => "It is rejected and will not run.".to_owned(),
                RequestStatus::Pending => {
                    "Your approval is recorded; the request waits for the other approvals it needs."
                        .to_owned()
                }
                other => format!("It is now {}.", sea_orm::ActiveEnum::to_value(&other)),
            };
            let title = match decision {
                DecisionKind::Approve => "Approved",
                DecisionKind::Reject => "Rejected",
            };
            message(StatusCode::OK, title, &format!("Thank you. {outcome}"))
        }
        Err(e) => error_page(&e),
    }
}
