//! The GraphQL schema: one Query/Mutation pair per domain, merged; resolvers are a few lines that
//! call domain services. The schema runs without HTTP (`schema.execute`), which tests use too.

mod analytics;
mod audit;
mod event_webhooks;
mod execution;
mod keys;
pub mod limits;
mod loaders;
mod me;
mod notifications;
mod policies;
mod requests;
mod sampling;
pub(crate) mod scalars;
pub(crate) mod subscriptions;
mod types;
mod workflows;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest};
use async_graphql::{Context, MergedObject, Response, Schema};

use crate::AppState;
use crate::auth::{Auth, Principal};
use crate::error::{AppError, AppResult};

/// The merged query root.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    me::MeQuery,
    workflows::WorkflowQuery,
    policies::PolicyQuery,
    requests::RequestQuery,
    sampling::SamplingQuery,
    audit::AuditQuery,
    analytics::AnalyticsQuery,
    keys::KeyQuery,
    event_webhooks::EventWebhookQuery,
    notifications::NotificationQuery,
);

/// The merged mutation root.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    workflows::WorkflowMutation,
    policies::PolicyMutation,
    requests::RequestMutation,
    sampling::SamplingMutation,
    keys::KeyMutation,
    execution::ExecutionMutation,
    event_webhooks::EventWebhookMutation,
    notifications::NotificationMutation,
);

/// The schema type.
pub type AppSchema = Schema<QueryRoot, MutationRoot, subscriptions::SubscriptionRoot>;

/// Builds the schema around the shared state. Size, aliases, expensive fields, list lengths,
/// depth and complexity are bounded (see [`limits`]) so that one operation cannot ask for
/// unbounded work.
pub fn build_schema(state: AppState) -> AppSchema {
    let limits = limits::Limits::from_settings(&state.settings);
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        subscriptions::SubscriptionRoot,
    )
    .data(DataLoader::new(
        loaders::StepsLoader(state.store.clone()),
        tokio::spawn,
    ))
    .data(DataLoader::new(
        loaders::DecisionsLoader(state.store.clone()),
        tokio::spawn,
    ))
    .data(DataLoader::new(
        loaders::CorrelationLoader(state.store.clone()),
        tokio::spawn,
    ))
    .data(state)
    .extension(crate::telemetry::GraphqlMetrics)
    .extension(ErrorCodes)
    .extension(limits)
    .limit_depth(16)
    .limit_recursive_depth(limits::MAX_NESTING)
    .limit_directives(limits::MAX_DIRECTIVES_PER_FIELD)
    .limit_complexity(20_000)
    .finish()
}

/// Which client sent the operation, as it says (`X-Countersign-Client: console` is the web
/// console): recorded as the channel of its decisions. Informational, never a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// Any API client.
    Api,
    /// The web console.
    Console,
}

impl ClientKind {
    /// The kind named by a request's headers.
    pub fn of(headers: &axum::http::HeaderMap) -> ClientKind {
        match headers.get("x-countersign-client").map(|v| v.as_bytes()) {
            Some(b"console") => ClientKind::Console,
            _ => ClientKind::Api,
        }
    }
}

/// The channel a decision made in this operation records.
pub(crate) fn via(ctx: &Context<'_>) -> crate::domain::lifecycle::Via {
    match ctx.data_opt::<ClientKind>() {
        Some(ClientKind::Console) => crate::domain::lifecycle::Via::Console,
        _ => crate::domain::lifecycle::Via::Api,
    }
}

/// Accessors every resolver uses.
pub(crate) trait ContextExt {
    /// The shared state.
    fn state(&self) -> AppResult<&AppState>;
    /// The authenticated caller, or `UNAUTHENTICATED`.
    fn principal(&self) -> AppResult<&Principal>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> AppResult<&AppState> {
        self.data::<AppState>()
            .map_err(|e| AppError::internal(e.message))
    }

    fn principal(&self) -> AppResult<&Principal> {
        match self.data_opt::<Auth>() {
            Some(auth) => auth.principal(),
            None => Err(AppError::Unauthenticated(
                "missing Authorization: Bearer <token or API key>".into(),
            )),
        }
    }
}

/// Gives every error an `extensions.code`: errors from our services carry theirs; what is left
/// comes from GraphQL itself (syntax, validation, argument parsing) and is the caller's input.
struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for err in &mut response.errors {
            let has_code = err
                .extensions
                .as_ref()
                .is_some_and(|e| e.get("code").is_some());
            if !has_code {
                err.extensions
                    .get_or_insert_with(Default::default)
                    .set("code", "BAD_USER_INPUT");
            }
        }
        response
    }
}

/// The schema's SDL, without needing a database.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        subscriptions::SubscriptionRoot,
    )
    .finish()
    .sdl()
}
