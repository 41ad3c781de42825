//! Who is calling: JWT (HS*, or RS*/ES* with a configured public key or an identity provider's
//! key set) and API keys, resolved to a [`Principal`] whose tenant comes only from the credential.

mod claims;
mod jwks;
mod jwt;

pub(crate) use jwt::write_private;
pub use jwt::{Claims, LEEWAY_SECS, TokenVerifier, resolve_jwt_secret};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::AppState;
use crate::domain::keys;
use crate::error::{AppError, AppResult};

/// Built-in role: configures workflows, policies, keys and modes.
pub const ROLE_ADMIN: &str = "admin";
/// Built-in role: reads audit and analytics.
pub const ROLE_AUDITOR: &str = "auditor";
/// Built-in role: submits actions and reports execution.
pub const ROLE_AGENT: &str = "agent";

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A signed JWT.
    Jwt,
    /// An API key, by id.
    ApiKey(uuid::Uuid),
    /// A reviewer directory entry, for a decision that came through a channel (an email link,
    /// a Slack button) whose signature the server checked.
    Directory,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Principal id (`sub`).
    pub subject: String,
    /// Tenant, from the credential only.
    pub tenant: String,
    /// Roles, sorted and unique.
    pub roles: Vec<String>,
    /// Display name, if the token carried one.
    pub name: Option<String>,
    /// How it authenticated.
    pub credential: Credential,
}

impl Principal {
    /// True when the caller holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// FORBIDDEN unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[&str], what: &str) -> AppResult<()> {
        if roles.iter().any(|r| self.has_role(r)) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{what} needs one of the roles: {}",
                roles.join(", ")
            )))
        }
    }

    /// Admin or auditor: may read everything in the tenant.
    pub fn reads_everything(&self) -> bool {
        self.has_role(ROLE_ADMIN) || self.has_role(ROLE_AUDITOR)
    }
}

/// Checks a tenant id or principal id: 1–128 of `[A-Za-z0-9_.@:-]`.
pub fn valid_identifier(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.@:-".contains(c))
}

/// Checks a role name: 1–64 of `[A-Za-z0-9_.:-]`.
pub fn valid_role(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c))
}

/// Sorts, dedups and validates roles.
pub fn normalize_roles(roles: impl IntoIterator<Item = String>) -> Result<Vec<String>, String> {
    let mut roles: Vec<String> = roles.into_iter().map(|r| r.trim().to_owned()).collect();
    if let Some(bad) = roles.iter().find(|r| !valid_role(r)) {
        return Err(format!(
            "invalid role {bad:?}: 1-64 characters of letters, digits, '_', '.', ':' or '-'"
        ));
    }
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// The outcome of looking at a request's credentials; resolvers return the failure only when
/// they need a caller. The error is `UNAUTHENTICATED` (with what to do) for a missing or bad
/// credential, and `INTERNAL` when the check itself failed (the database did not answer): a
/// valid credential is never reported as a bad one.
#[derive(Debug, Clone)]
pub struct Auth(pub Result<Principal, AppError>);

impl Auth {
    /// The principal, or why there is none (`UNAUTHENTICATED` or `INTERNAL`).
    pub fn principal(&self) -> AppResult<&Principal> {
        self.0.as_ref().map_err(Clone::clone)
    }

    fn refused(why: impl Into<String>) -> Auth {
        Auth(Err(AppError::Unauthenticated(why.into())))
    }
}

/// Resolves an `Authorization` header value (`Bearer <JWT or cs_ API key>`).
pub async fn authenticate(state: &AppState, header: Option<&str>) -> Auth {
    let Some(header) = header else {
        return Auth::refused("missing Authorization: Bearer <token or API key>");
    };
    let Some(token) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
    else {
        return Auth::refused("Authorization must be 'Bearer <token or API key>'");
    };
    if token.starts_with(keys::KEY_PREFIX) {
        return match keys::authenticate(state.store.db(), token).await {
            Ok(Some(p)) => Auth(Ok(p)),
            Ok(None) => Auth::refused("unknown or revoked API key"),
            // The check failed, not the key (a pool timeout, the database down): INTERNAL,
            // already logged with its correlation id, so a client does not drop a good key.
            Err(e) => Auth(Err(e)),
        };
    }
    match state.tokens.verify(token).await {
        Ok(p) => Auth(Ok(p)),
        Err(why) => Auth::refused(why),
    }
}

impl<S> FromRequestParts<S> for Auth
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let auth = authenticate(&state, header).await;
        crate::telemetry::record_principal(&auth);
        Ok(auth)
    }
}
