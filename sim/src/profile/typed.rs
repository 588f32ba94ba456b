//! Typed IPP values as a profile writes them: a one-key table naming the syntax.
//!
//! ```toml
//! [ipp]
//! sides-supported = { keyword = ["one-sided", "two-sided-long-edge"] }
//! copies-supported = { range-of-integer = "1-999" }
//! printer-resolution-default = { resolution = "600x600dpi" }
//! finishings-col-default = { collection = { finishing-template = { keyword = "none" } } }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::wire::ipp::{Attribute, Collection, Value, ValueTag};

/// One value or a 1setOf.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A 1setOf.
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// A typed attribute value in a profile; the key names the IPP syntax.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum TypedValue {
    /// `integer`.
    Integer(OneOrMany<i32>),
    /// `boolean`.
    Boolean(OneOrMany<bool>),
    /// `enum`.
    Enum(OneOrMany<i32>),
    /// `keyword`.
    Keyword(OneOrMany<String>),
    /// `textWithoutLanguage`.
    Text(OneOrMany<String>),
    /// `nameWithoutLanguage`.
    Name(OneOrMany<String>),
    /// `uri`.
    Uri(OneOrMany<String>),
    /// `uriScheme`.
    UriScheme(OneOrMany<String>),
    /// `charset`.
    Charset(OneOrMany<String>),
    /// `naturalLanguage`.
    NaturalLanguage(OneOrMany<String>),
    /// `mimeMediaType`.
    MimeMediaType(OneOrMany<String>),
    /// `octetString`, as UTF-8 text.
    OctetString(OneOrMany<String>),
    /// `rangeOfInteger`, written `"1-999"`.
    RangeOfInteger(OneOrMany<String>),
    /// `resolution`, written `"600x600dpi"` or `"300x300dpcm"`.
    Resolution(OneOrMany<String>),
    /// `textWithLanguage`, written `"en:Ready"` (language, a colon, the text).
    TextWithLanguage(OneOrMany<String>),
    /// `nameWithLanguage`, written `"en:Front desk"`.
    NameWithLanguage(OneOrMany<String>),
    /// `collection`: a table of member attributes, each typed the same way.
    Collection(OneOrMany<BTreeMap<String, TypedValue>>),
    /// The out-of-band `no-value`; write `no-value = true`.
    NoValue(bool),
    /// The out-of-band `unknown`; write `unknown = true`.
    Unknown(bool),
}

impl TypedValue {
    /// The wire values this stands for, or a message saying which value is wrong.
    pub fn to_values(&self) -> Result<Vec<Value>, String> {
        Ok(match self {
            TypedValue::Integer(v) => v.to_vec().into_iter().map(Value::Integer).collect(),
            TypedValue::Boolean(v) => v.to_vec().into_iter().map(Value::Boolean).collect(),
            TypedValue::Enum(v) => v.to_vec().into_iter().map(Value::Enum).collect(),
            TypedValue::Keyword(v) => v.to_vec().into_iter().map(Value::Keyword).collect(),
            TypedValue::Text(v) => v.to_vec().into_iter().map(Value::Text).collect(),
            TypedValue::Name(v) => v.to_vec().into_iter().map(Value::Name).collect(),
            TypedValue::Uri(v) => v.to_vec().into_iter().map(Value::Uri).collect(),
            TypedValue::UriScheme(v) => v.to_vec().into_iter().map(Value::UriScheme).collect(),
            TypedValue::Charset(v) => v.to_vec().into_iter().map(Value::Charset).collect(),
            TypedValue::NaturalLanguage(v) => {
                v.to_vec().into_iter().map(Value::NaturalLanguage).collect()
            }
            TypedValue::MimeMediaType(v) => {
                v.to_vec().into_iter().map(Value::MimeMediaType).collect()
            }
            TypedValue::TextWithLanguage(v) => v
                .to_vec()
                .iter()
                .map(|s| {
                    let (language, text) = split_language(s)?;
                    Ok::<_, String>(Value::TextWithLanguage { language, text })
                })
                .collect::<Result<_, _>>()?,
            TypedValue::NameWithLanguage(v) => v
                .to_vec()
                .iter()
                .map(|s| {
                    let (language, name) = split_language(s)?;
                    Ok::<_, String>(Value::NameWithLanguage { language, name })
                })
                .collect::<Result<_, _>>()?,
            TypedValue::OctetString(v) => v
                .to_vec()
                .into_iter()
                .map(|s| Value::OctetString(s.into_bytes()))
                .collect(),
            TypedValue::RangeOfInteger(v) => v
                .to_vec()
                .iter()
                .map(|s| parse_range(s))
                .collect::<Result<_, _>>()?,
            TypedValue::Resolution(v) => v
                .to_vec()
                .iter()
                .map(|s| parse_resolution(s))
                .collect::<Result<_, _>>()?,
            TypedValue::Collection(v) => v
                .to_vec()
                .iter()
                .map(|members| {
                    let mut out = Vec::with_capacity(members.len());
                    for (name, tv) in members {
                        let values = tv.to_values().map_err(|m| format!("{name}: {m}"))?;
                        out.push(Attribute::with_values(name.clone(), values));
                    }
                    Ok::<_, String>(Value::Collection(Collection { members: out }))
                })
                .collect::<Result<_, _>>()?,
            TypedValue::NoValue(_) => vec![Value::OutOfBand(ValueTag::NoValue)],
            TypedValue::Unknown(_) => vec![Value::OutOfBand(ValueTag::UnknownValue)],
        })
    }
}

/// Split `"en:Ready"` into its language and text.
fn split_language(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((l, t)) if !l.is_empty() => Ok((l.to_string(), t.to_string())),
        _ => Err(format!(
            "'{s}' is not a language and a text such as 'en:Ready'"
        )),
    }
}

/// Parse `"1-999"` into a rangeOfInteger.
pub fn parse_range(s: &str) -> Result<Value, String> {
    let bad = || format!("'{s}' is not a range such as '1-999'");
    // Allow a leading minus on the lower bound.
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (a, b) = rest.split_once('-').ok_or_else(bad)?;
    let mut lower: i32 = a.trim().parse().map_err(|_| bad())?;
    if neg {
        lower = -lower;
    }
    let upper: i32 = b.trim().parse().map_err(|_| bad())?;
    if lower > upper {
        return Err(format!("'{s}': the lower bound is above the upper bound"));
    }
    Ok(Value::RangeOfInteger { lower, upper })
}

/// Parse `"600x600dpi"` into a resolution.
pub fn parse_resolution(s: &str) -> Result<Value, String> {
    let bad = || format!("'{s}' is not a resolution such as '600x600dpi'");
    let (body, units) = if let Some(b) = s.strip_suffix("dpi") {
        (b, 3)
    } else if let Some(b) = s.strip_suffix("dpcm") {
        (b, 4)
    } else {
        return Err(bad());
    };
    let (x, y) = match body.split_once('x') {
        Some((x, y)) => (x, y),
        None => (body, body),
    };
    Ok(Value::Resolution {
        x: x.parse().map_err(|_| bad())?,
        y: y.parse().map_err(|_| bad())?,
        units,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_resolutions() {
        assert_eq!(
            parse_range("1-999"),
            Ok(Value::RangeOfInteger {
                lower: 1,
                upper: 999
            })
        );
        assert!(parse_range("9-1").is_err());
        assert!(parse_range("x").is_err());
        assert_eq!(
            parse_resolution("300x600dpi"),
            Ok(Value::Resolution {
                x: 300,
                y: 600,
                units: 3
            })
        );
        assert!(parse_resolution("300").is_err());
    }

    #[test]
    fn typed_values_from_toml() {
        #[derive(Deserialize)]
        struct T {
            a: TypedValue,
            b: TypedValue,
        }
        let t: T = toml::from_str(
            "a = { keyword = [\"x\", \"y\"] }\nb = { collection = { m = { integer = 3 } } }",
        )
        .unwrap();
        assert_eq!(t.a.to_values().unwrap().len(), 2);
        let b = t.b.to_values().unwrap();
        match &b[0] {
            Value::Collection(c) => assert_eq!(c.members[0].name, "m"),
            other => panic!("{other:?}"),
        }
        assert!(toml::from_str::<T>("a = { keywrd = \"x\" }\nb = { integer = 1 }").is_err());
    }
}
