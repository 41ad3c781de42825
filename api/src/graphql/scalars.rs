//! Custom scalars of the contract that async-graphql does not provide: `Duration` (ISO 8601).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

use crate::domain::duration::{format_duration, parse_duration};

/// An ISO 8601 duration such as "PT4H" or "P3D" (weeks, days, hours, minutes, seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration(pub chrono::Duration);

#[Scalar(name = "Duration")]
impl ScalarType for Duration {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => parse_duration(text)
                .map(Duration)
                .map_err(InputValueError::custom),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(format_duration(self.0))
    }
}
