//! Batch loaders: a page of requests asks for its steps and decisions in one query each, not one
//! per request. No caching — each load reads the current rows.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use countersign_entity::{approval_step, decision};
use uuid::Uuid;

use crate::domain::requests;
use crate::error::ApiError;
use crate::store::Store;

/// Steps by request id.
pub struct StepsLoader(pub Store);

impl Loader<Uuid> for StepsLoader {
    type Value = Vec<approval_step::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        Ok(requests::steps_of(self.0.db(), keys).await?)
    }
}

/// Decisions by request id.
pub struct DecisionsLoader(pub Store);

impl Loader<Uuid> for DecisionsLoader {
    type Value = Vec<decision::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        Ok(requests::decisions_of(self.0.db(), keys).await?)
    }
}

/// Correlation handles (JSON text) by request id, for audit events.
pub struct CorrelationLoader(pub Store);

impl Loader<Uuid> for CorrelationLoader {
    type Value = String;
    type Error = ApiError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        Ok(requests::correlations_of(self.0.db(), keys).await?)
    }
}
