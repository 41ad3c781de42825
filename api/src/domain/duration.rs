//! ISO 8601 durations (`PT4H`, `P3D`, `P1W`, `PT1.5S`) as used in policies and the `Duration` scalar.
//! Strict on purpose: trailing text is an error, and years/months are refused because their length
//! depends on the calendar (use days).

use chrono::Duration;

/// Parses an ISO 8601 duration made of weeks, days, hours, minutes and (fractional) seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let err = |why: &str| format!("invalid ISO 8601 duration {text:?}: {why}");
    let rest = text
        .strip_prefix('P')
        .ok_or_else(|| err("must start with 'P'"))?;
    let (date_part, time_part) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return Err(err("'T' must be followed by hours, minutes or seconds"));
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    if date_part.is_empty() && time_part.is_none() {
        return Err(err("no components"));
    }
    let mut total_ms: i128 = 0;
    for (value, unit) in components(date_part).map_err(|w| err(&w))? {
        let ms_per_unit: i128 = match unit {
            'W' => 7 * 86_400_000,
            'D' => 86_400_000,
            'Y' | 'M' => {
                return Err(err(
                    "years and months have no fixed length; use days (e.g. P30D)",
                ));
            }
            other => return Err(err(&format!("unexpected designator '{other}' before 'T'"))),
        };
        total_ms += whole(value, unit).map_err(|w| err(&w))? * ms_per_unit;
    }
    if let Some(time_part) = time_part {
        for (value, unit) in components(time_part).map_err(|w| err(&w))? {
            total_ms += match unit {
                'H' => whole(value, unit).map_err(|w| err(&w))? * 3_600_000,
                'M' => whole(value, unit).map_err(|w| err(&w))? * 60_000,
                'S' => seconds_ms(value).map_err(|w| err(&w))?,
                other => return Err(err(&format!("unexpected designator '{other}' after 'T'"))),
            };
        }
    }
    // Bound at 10 years: no policy needs more, and it keeps every later addition in range.
    if total_ms > 10 * 366 * 86_400_000 {
        return Err(err("longer than 10 years"));
    }
    i64::try_from(total_ms)
        .map(Duration::milliseconds)
        .map_err(|_| err("too long"))
}

/// Formats a duration back as ISO 8601 (`PT4H`, `P3D`, `PT1.5S`).
pub fn format_duration(d: Duration) -> String {
    let mut ms = d.num_milliseconds().max(0);
    let days = ms / 86_400_000;
    ms %= 86_400_000;
    let hours = ms / 3_600_000;
    ms %= 3_600_000;
    let minutes = ms / 60_000;
    ms %= 60_000;
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if hours > 0 || minutes > 0 || ms > 0 || days == 0 {
        out.push('T');
        if hours > 0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes > 0 {
            out.push_str(&format!("{minutes}M"));
        }
        if ms > 0 || (hours == 0 && minutes == 0) {
            if ms % 1000 == 0 {
                out.push_str(&format!("{}S", ms / 1000));
            } else {
                out.push_str(&format!("{}.{:03}S", ms / 1000, ms % 1000).replace("0S", "S"));
            }
        }
    }
    out
}

fn components(part: &str) -> Result<Vec<(&str, char)>, String> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in part.char_indices() {
        if c.is_ascii_digit() || c == '.' {
            continue;
        }
        let value = &part[start..i];
        if value.is_empty() {
            return Err(format!("designator '{c}' has no number"));
        }
        if out.iter().any(|(_, u)| *u == c) {
            return Err(format!("designator '{c}' appears twice"));
        }
        out.push((value, c));
        start = i + c.len_utf8();
    }
    if start != part.len() {
        return Err("number without a designator".into());
    }
    Ok(out)
}

fn whole(value: &str, unit: char) -> Result<i128, String> {
    if value.len() > 9 {
        return Err(format!("'{unit}' value too large"));
    }
    value
        .parse::<i128>()
        .map_err(|_| format!("'{unit}' takes a whole number"))
}

fn seconds_ms(value: &str) -> Result<i128, String> {
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if int.is_empty() || int.len() > 9 || frac.len() > 3 || frac.contains('.') {
        return Err("seconds take at most 9 digits and 3 decimals".into());
    }
    let int: i128 = int.parse().map_err(|_| "bad seconds".to_string())?;
    let frac_ms: i128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}")
            .parse()
            .map_err(|_| "bad seconds".to_string())?
    };
    Ok(int * 1000 + frac_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_policies_use() {
        assert_eq!(parse_duration("PT4H"), Ok(Duration::hours(4)));
        assert_eq!(parse_duration("P3D"), Ok(Duration::days(3)));
        assert_eq!(parse_duration("P30D"), Ok(Duration::days(30)));
        assert_eq!(parse_duration("P1W"), Ok(Duration::weeks(1)));
        assert_eq!(
            parse_duration("P1DT2H30M"),
            Ok(Duration::minutes(26 * 60 + 30))
        );
        assert_eq!(parse_duration("PT1.5S"), Ok(Duration::milliseconds(1500)));
        assert_eq!(parse_duration("PT0S"), Ok(Duration::zero()));
    }

    #[test]
    fn refuses_ambiguous_or_malformed_text() {
        for bad in [
            "",
            "P",
            "PT",
            "4H",
            "PT4",
            "PT4Hx",
            "P1M",
            "P1Y",
            "PT1H1H",
            "P-1D",
            "PTH",
            "P1.5D",
            "PT1.2345S",
            "pt4h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn formats_round_trip() {
        for text in ["PT4H", "P3D", "P1DT2H30M", "PT1.5S", "PT0S", "PT45M"] {
            let d = parse_duration(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{text}");
        }
        assert_eq!(format_duration(Duration::hours(4)), "PT4H");
        assert_eq!(format_duration(Duration::days(3)), "P3D");
    }
}
