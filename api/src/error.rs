//! The one error type of the domain layer, and the single place where each variant becomes a
//! GraphQL error with an `extensions.code`. Internal failures are logged with a correlation id and
//! only that id reaches the caller.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;
use uuid::Uuid;

/// Errors a domain service can return; every variant maps to one GraphQL `extensions.code`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// No credential, or one that is invalid or expired (`UNAUTHENTICATED`).
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this (`FORBIDDEN`).
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist in the caller's tenant (`NOT_FOUND`).
    #[error("{0} not found")]
    NotFound(String),
    /// The input is invalid; `path` names the offending field (`BAD_USER_INPUT`).
    #[error("{message}")]
    BadInput {
        /// Field path from the argument root, e.g. `["input", "confidence"]`.
        path: Vec<String>,
        /// What is wrong, for a person.
        message: String,
    },
    /// The state moved on: stale version, decided already, duplicate key (`CONFLICT`).
    #[error("{0}")]
    Conflict(String),
    /// The workflow is paused and accepts nothing (`WORKFLOW_PAUSED`).
    #[error("workflow {0} is paused; no new actions are accepted")]
    WorkflowPaused(String),
    /// Too many requests (`RATE_LIMITED`).
    #[error("{0}")]
    RateLimited(String),
    /// Anything unexpected; already logged under `correlation_id` (`INTERNAL`).
    #[error("internal error (correlation id {correlation_id})")]
    Internal {
        /// Id under which the cause was logged.
        correlation_id: Uuid,
    },
}

/// Result alias for domain services.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// Logs `cause` with a fresh correlation id and returns the opaque `Internal` error.
    pub fn internal(cause: impl std::fmt::Debug) -> Self {
        let correlation_id = Uuid::now_v7();
        tracing::error!(%correlation_id, error = ?cause, "internal error");
        AppError::Internal { correlation_id }
    }

    /// A `BAD_USER_INPUT` error for the field at `path` (dot separated, e.g. `input.confidence`).
    pub fn bad_input(path: &str, message: impl Into<String>) -> Self {
        AppError::BadInput {
            path: path
                .split('.')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            message: message.into(),
        }
    }

    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::BadInput { .. } => "BAD_USER_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::WorkflowPaused(_) => "WORKFLOW_PAUSED",
            AppError::RateLimited(_) => "RATE_LIMITED",
            AppError::Internal { .. } => "INTERNAL",
        }
    }

    /// The field path of a `BAD_USER_INPUT` error, empty otherwise.
    pub fn path(&self) -> &[String] {
        match self {
            AppError::BadInput { path, .. } => path,
            _ => &[],
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        AppError::internal(err)
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        AppError::internal(err)
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                AppError::BadInput { path, .. } if !path.is_empty() => {
                    ext.set("field", path.clone());
                }
                AppError::Internal { correlation_id } => {
                    ext.set("correlationId", correlation_id.to_string());
                }
                _ => {}
            }
        })
    }
}

/// What resolvers return as their error: a wrapper that is deliberately not `Display`, so the
/// only way into a GraphQL error is [`From<ApiError>`] below, which always sets the code.
#[derive(Debug, Clone)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err)
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        ApiError(AppError::from(err))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.0.extend()
    }
}

/// Result alias for resolvers.
pub type ApiResult<T> = Result<T, ApiError>;
