//! The tools' arguments: parsed strictly (unknown fields refused, money only as a decimal
//! string) by the same structs whose JSON Schemas `tools/list` publishes.

use std::borrow::Cow;

use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::lifecycle::{Source, SubmitInput};
use crate::error::{AppError, AppResult};
use crate::graphql::scalars::{MONEY_NUMBER_REFUSED, parse_decimal};

/// The path of the first text (key or string) with a NUL character, which no column accepts.
fn nul_at(value: &Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => Some(path.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, &join(&i.to_string()))),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(k))
            } else {
                nul_at(v, &join(k))
            }
        }),
        _ => None,
    }
}

/// Parses a tool's arguments; a mistake is `BAD_USER_INPUT` naming the field.
pub(super) fn parse<T: DeserializeOwned>(arguments: Option<Map<String, Value>>) -> AppResult<T> {
    let value = Value::Object(arguments.unwrap_or_default());
    if let Some(path) = nul_at(&value, "") {
        return Err(AppError::bad_input(
            &path,
            "contains a NUL character (\\u0000), which is not accepted in text",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        if path == "." || path.is_empty() {
            AppError::BadInput {
                path: Vec::new(),
                message,
            }
        } else {
            AppError::bad_input(&path, message)
        }
    })
}

/// The JSON Schema of `T`, as an MCP tool's input schema.
pub(super) fn schema<T: JsonSchema>() -> Map<String, Value> {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    match schema.to_value() {
        Value::Object(mut object) => {
            // The title and description are the Rust type's; the tool's own say more.
            object.remove("title");
            object.remove("description");
            object
        }
        _ => Map::new(),
    }
}

/// A request id.
pub(super) fn request_id(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text)
        .map_err(|_| AppError::bad_input("requestId", format!("{text:?} is not a request id")))
}

/// Money: a decimal string such as "12.50"; a JSON number is refused (it loses digits).
#[derive(Debug, Clone, Copy)]
pub(super) struct Money(pub Decimal);

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(text) => parse_decimal(&text).map(Money).map_err(D::Error::custom),
            Value::Number(_) => Err(D::Error::custom(MONEY_NUMBER_REFUSED)),
            other => Err(D::Error::custom(format!(
                "expected a decimal string such as \"12.50\", got {}",
                crate::http::kind(&other)
            ))),
        }
    }
}

impl JsonSchema for Money {
    fn schema_name() -> Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
            "description": "A decimal string such as \"12.50\" (never a JSON number).",
        })
    }
}

/// A citation the AI used.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SourceArg {
    /// What it is.
    title: String,
    /// Where it is.
    url: Option<String>,
    /// The part that mattered.
    excerpt: Option<String>,
}

/// `submit_action`: the fields of the GraphQL `SubmitActionInput`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct SubmitArgs {
    /// The workflow to submit to (see list_workflows).
    workflow_key: String,
    /// Your unique key for this action in the tenant. Submitting again with the same key and
    /// the same fields returns the same request (safe to retry); with other fields, CONFLICT.
    idempotency_key: String,
    /// What kind of action, e.g. "refund.create".
    action_type: String,
    /// One line a reviewer reads first.
    title: String,
    /// The action exactly as it would run (a JSON object). Reviewers may edit it: after an
    /// approval, run `request.finalAction`, not this.
    action: Map<String, Value>,
    /// Your reasoning, for the reviewer.
    recommendation: Option<String>,
    /// Your confidence, 0 to 1. Rules that read it route to people when it is missing.
    #[schemars(range(min = 0.0, max = 1.0))]
    confidence: Option<f64>,
    /// Money at stake, as a decimal string.
    amount: Option<Money>,
    /// ISO 4217 code of `amount`, e.g. "USD".
    currency: Option<String>,
    /// Risk flags the policy may route on, e.g. ["new_customer"].
    risk_flags: Option<Vec<String>>,
    /// Citations shown to the reviewer.
    sources: Option<Vec<SourceArg>>,
    /// Facts the policy rules may read (a JSON object).
    context: Option<Map<String, Value>>,
    /// The model that proposed the action.
    model: Option<String>,
    /// The prompt version that proposed it.
    prompt_version: Option<String>,
    /// What producing the proposal cost, in USD, as a decimal string.
    cost_usd: Option<Money>,
    /// Your own handle (a JSON object, at most 8 KiB): a run or thread id. It comes back on the
    /// request and in every event webhook about it.
    correlation: Option<Map<String, Value>>,
}

impl SubmitArgs {
    pub(super) fn into_input(self) -> SubmitInput {
        SubmitInput {
            workflow_key: self.workflow_key,
            idempotency_key: self.idempotency_key,
            action_type: self.action_type,
            title: self.title,
            action: Value::Object(self.action),
            recommendation: self.recommendation,
            confidence: self.confidence,
            amount: self.amount.map(|m| m.0),
            currency: self.currency,
            risk_flags: self.risk_flags,
            sources: self.sources.map(|sources| {
                sources
                    .into_iter()
                    .map(|s| Source {
                        title: s.title,
                        url: s.url,
                        excerpt: s.excerpt,
                    })
                    .collect()
            }),
            context: self.context.map(Value::Object),
            model: self.model,
            prompt_version: self.prompt_version,
            cost_usd: self.cost_usd.map(|m| m.0),
            correlation: self.correlation.map(Value::Object),
        }
    }
}

/// `get_request`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RequestArgs {
    /// The request's id (`requestId` of submit_action).
    pub request_id: String,
}

fn default_timeout() -> u32 {
    25
}

/// `wait_for_decision`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct WaitArgs {
    /// The request's id.
    pub request_id: String,
    /// How long to wait at most, 1 to 60 seconds. When it passes with no decision the request
    /// comes back still PENDING: call again to keep waiting.
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 1, max = 60))]
    pub timeout_seconds: u32,
}

/// `report_execution`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ReportArgs {
    /// The approved request.
    pub request_id: String,
    /// Whether the action ran.
    pub success: bool,
    /// The action's id in the system it ran in (a refund id, a message id).
    pub external_ref: Option<String>,
    /// Why it failed (with `success: false`).
    pub error: Option<String>,
}

/// `cancel_request`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct CancelArgs {
    /// The pending request.
    pub request_id: String,
    /// Why it is withdrawn (kept in the audit log).
    pub reason: String,
}

/// `list_workflows` takes nothing.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NoArgs {}

/// `request_permission`: the permission-prompt shape coding agents call before one of their
/// own tools runs. Other fields a client adds are ignored.
#[derive(Debug, Deserialize, JsonSchema)]
pub(super) struct PermissionArgs {
    /// The tool the agent wants to run, e.g. "Bash".
    pub tool_name: String,
    /// The input it would run with (a JSON object).
    pub input: Map<String, Value>,
    /// The agent's id for this tool call: the idempotency key, so asking again waits for the
    /// same request.
    pub tool_use_id: String,
}
