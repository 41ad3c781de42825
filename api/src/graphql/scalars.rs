//! Custom scalars of the contract: `Duration` (ISO 8601) and `Decimal` (money as a decimal string).

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

/// Most digits a `Decimal` may have (integer and fraction together): what fits exactly.
pub const MAX_DECIMAL_DIGITS: usize = 28;

/// Why a JSON number is refused where money is expected.
pub const MONEY_NUMBER_REFUSED: &str = "money is a decimal string such as \"12.50\", not a JSON \
     number: a number loses digits on the way (0.30000000000000004 would be stored as 0.3)";

/// Money and other exact amounts: a decimal string such as "12.50" on the way in and out.
///
/// Only a string is accepted, written as `-?digits[.digits]` (no exponent, no sign `+`, no
/// spaces) with at most 28 digits, and it is kept exactly: nothing is rounded. A JSON number is
/// refused, since by the time it reaches the server it may already have lost digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Decimal(pub rust_decimal::Decimal);

impl From<rust_decimal::Decimal> for Decimal {
    fn from(d: rust_decimal::Decimal) -> Self {
        Decimal(d)
    }
}

impl From<Decimal> for rust_decimal::Decimal {
    fn from(d: Decimal) -> Self {
        d.0
    }
}

/// Parses a decimal string strictly (the grammar and limit of [`Decimal`]).
pub fn parse_decimal(text: &str) -> Result<rust_decimal::Decimal, String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let well_formed = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(format!(
            "{:?} is not a decimal string: write digits with an optional '-' and '.', such as \"12.50\" (no exponent, no spaces)",
            shorten(text)
        ));
    }
    let count = int.len() + frac.map_or(0, str::len);
    if count > MAX_DECIMAL_DIGITS {
        return Err(format!(
            "a decimal has at most {MAX_DECIMAL_DIGITS} digits (got {count})"
        ));
    }
    rust_decimal::Decimal::from_str_exact(text).map_err(|e| format!("not an exact decimal: {e}"))
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => parse_decimal(text)
                .map(Decimal)
                .map_err(InputValueError::custom),
            Value::Number(_) => Err(InputValueError::custom(MONEY_NUMBER_REFUSED)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_parse_exactly_and_numbers_are_refused() {
        for ok in [
            "0",
            "12.50",
            "-3",
            "0.30000000000000004",
            "999999999999999.99999999",
        ] {
            let parsed = Decimal::parse(Value::String(ok.into())).unwrap_or_else(|e| {
                panic!("{ok}: {}", e.into_server_error(Default::default()).message)
            });
            assert_eq!(parsed.0.to_string(), ok);
        }
        for bad in [
            "", "1e3", "+1", " 1", "1.", ".5", "1,5", "NaN", "0x10", "1.2.3", "-", "12.5 ",
        ] {
            assert!(
                Decimal::parse(Value::String(bad.into())).is_err(),
                "{bad:?}"
            );
        }
        let too_long = "1".repeat(29);
        assert!(Decimal::parse(Value::String(too_long)).is_err());
        let number: Value =
            Value::from_json(serde_json::json!(0.30000000000000004)).unwrap_or_default();
        match Decimal::parse(number) {
            Err(e) => assert!(
                e.into_server_error(Default::default())
                    .message
                    .contains("decimal string")
            ),
            Ok(d) => panic!("a number was accepted as {d:?}"),
        }
    }
}
