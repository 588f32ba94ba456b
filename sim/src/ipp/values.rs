//! Small constructors for IPP values and attributes, so views read like the spec.

use crate::wire::ipp::{Attribute, Collection, DateTime, Value};

/// `keyword` attribute with one or more values.
pub fn keywords<S: AsRef<str>>(name: &str, values: &[S]) -> Attribute {
    Attribute::with_values(
        name.to_string(),
        values
            .iter()
            .map(|v| Value::Keyword(v.as_ref().to_string()))
            .collect(),
    )
}

/// `keyword` attribute with one value.
pub fn keyword(name: &str, value: &str) -> Attribute {
    Attribute::new(name.to_string(), Value::Keyword(value.to_string()))
}

/// `textWithoutLanguage` attribute.
pub fn text(name: &str, value: &str) -> Attribute {
    Attribute::new(name.to_string(), Value::Text(value.to_string()))
}

/// `nameWithoutLanguage` attribute.
pub fn name(name: &str, value: &str) -> Attribute {
    Attribute::new(name.to_string(), Value::Name(value.to_string()))
}

/// `uri` attribute.
pub fn uri(name: &str, value: &str) -> Attribute {
    Attribute::new(name.to_string(), Value::Uri(value.to_string()))
}

/// `integer` attribute.
pub fn integer(name: &str, value: i32) -> Attribute {
    Attribute::new(name.to_string(), Value::Integer(value))
}

/// `enum` attribute.
pub fn enumeration(name: &str, value: i32) -> Attribute {
    Attribute::new(name.to_string(), Value::Enum(value))
}

/// `boolean` attribute.
pub fn boolean(name: &str, value: bool) -> Attribute {
    Attribute::new(name.to_string(), Value::Boolean(value))
}

/// `dateTime` attribute.
pub fn date_time(name: &str, unix_ms: i64) -> Attribute {
    Attribute::new(name.to_string(), Value::DateTime(date_time_value(unix_ms)))
}

/// A `collection` value from member attributes.
pub fn collection(members: Vec<Attribute>) -> Value {
    Value::Collection(Collection { members })
}

/// An integer clamped into IPP's 32-bit signed range.
pub fn clamp_i32<T: TryInto<i32>>(v: T) -> i32 {
    v.try_into().unwrap_or(i32::MAX)
}

/// RFC 2579 DateAndTime in UTC for a Unix time in milliseconds.
pub fn date_time_value(unix_ms: i64) -> DateTime {
    let secs = unix_ms.div_euclid(1000);
    let deci = (unix_ms.rem_euclid(1000) / 100) as u8;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    DateTime {
        year: u16::try_from(year).unwrap_or(0),
        month,
        day,
        hour: (rem / 3600) as u8,
        minutes: ((rem % 3600) / 60) as u8,
        seconds: (rem % 60) as u8,
        deci_seconds: deci,
        direction: b'+',
        utc_hours: 0,
        utc_minutes: 0,
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = date_time_value(0);
        assert_eq!((d.year, d.month, d.day, d.hour), (1970, 1, 1, 0));
        // 2026-11-22T07:31:33.450Z
        let d = date_time_value(1_795_332_693_450);
        assert_eq!(
            (
                d.year,
                d.month,
                d.day,
                d.hour,
                d.minutes,
                d.seconds,
                d.deci_seconds
            ),
            (2026, 11, 22, 7, 31, 33, 4)
        );
    }
}
