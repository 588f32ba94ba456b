//! Durations as people write them in flags and scenario files: `200ms`, `5s`,
//! `1.5s`, `2m`, `1h`.

use std::time::Duration;

/// A duration that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Empty text.
    #[error("empty duration (write e.g. 200ms, 5s, 1.5s, 2m)")]
    Empty,
    /// A minus sign: durations are never negative.
    #[error("negative duration '{0}': durations are never negative")]
    Negative(String),
    /// The number or the unit is not understood.
    #[error("cannot read duration '{0}' (write e.g. 200ms, 5s, 1.5s, 2m, 1h)")]
    Malformed(String),
    /// More than a day: surely a typo.
    #[error("duration '{0}' is longer than a day")]
    TooLong(String),
}

/// Read `text` as a duration. A bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DurationError::Empty);
    }
    if t.starts_with('-') {
        return Err(DurationError::Negative(t.to_string()));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| DurationError::Malformed(t.to_string()))?;
    let scale_ms = match unit.trim() {
        "ms" => 1.0,
        "" | "s" | "sec" => 1_000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return Err(DurationError::Malformed(t.to_string())),
    };
    let ms = value * scale_ms;
    if !ms.is_finite() {
        return Err(DurationError::Malformed(t.to_string()));
    }
    if ms > 86_400_000.0 {
        return Err(DurationError::TooLong(t.to_string()));
    }
    // Sub-millisecond precision is kept as microseconds.
    Ok(Duration::from_micros((ms * 1000.0).round() as u64))
}

/// Write `d` the way [`parse_duration`] reads it back.
pub fn format_duration(d: Duration) -> String {
    let us = d.as_micros();
    if us % 1_000_000 == 0 {
        format!("{}s", us / 1_000_000)
    } else if us % 1000 == 0 {
        format!("{}ms", us / 1000)
    } else {
        format!("{}ms", us as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_forms() {
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(matches!(
            parse_duration("-1s"),
            Err(DurationError::Negative(_))
        ));
        assert!(matches!(
            parse_duration("5 parsecs"),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(parse_duration(""), Err(DurationError::Empty)));
        assert!(matches!(
            parse_duration("48h"),
            Err(DurationError::TooLong(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn format_round_trips(ms in 0u64..86_400_000) {
            let d = Duration::from_millis(ms);
            proptest::prop_assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
    }
}
