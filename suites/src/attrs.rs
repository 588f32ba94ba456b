//! The text notations of suite files: attributes as `"TYPE NAME VALUE[,VALUE…]"`
//! and whole raw messages as hex bytes with `"text"` and `attr(tag,"name","value")`.

use paperjam_sim::wire::ipp::{Attribute, Collection, DateTime, Value, ValueTag};

/// Parse `"TYPE NAME VALUE[,VALUE…]"`; `$name` is looked up with `var`.
pub fn parse_attr(s: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<Attribute, String> {
    let s = s.trim();
    let (ty, rest) = s
        .split_once(char::is_whitespace)
        .ok_or("expected TYPE NAME VALUE")?;
    let rest = rest.trim_start();
    let (name, value) = match rest.split_once(char::is_whitespace) {
        Some((n, v)) => (n, v.trim()),
        None => (rest, ""),
    };
    let value = substitute(value, var)?;
    let values = parse_values(ty, &value)?;
    Ok(Attribute::with_values(name, values))
}

/// Replace `$name` (letters, digits, `-`, `_`) with its value.
pub fn substitute(s: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut name = String::new();
        while let Some(&(_, n)) = chars.peek() {
            if n.is_ascii_alphanumeric() || n == '-' || n == '_' {
                name.push(n);
                chars.next();
            } else {
                break;
            }
        }
        if name.is_empty() {
            out.push('$');
            continue;
        }
        out.push_str(&var(&name).ok_or_else(|| format!("variable ${name} is not set"))?);
    }
    Ok(out)
}

/// Split on commas that are not inside braces.
fn split_top(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if c == sep && depth == 0 {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn parse_values(ty: &str, value: &str) -> Result<Vec<Value>, String> {
    let oob = |t: ValueTag| Ok(vec![Value::OutOfBand(t)]);
    match ty {
        "no-value" | "novalue" => return oob(ValueTag::NoValue),
        "unknown" => return oob(ValueTag::UnknownValue),
        "unsupported" => return oob(ValueTag::Unsupported),
        "default" => return oob(ValueTag::Default),
        "not-settable" => return oob(ValueTag::NotSettable),
        "delete-attribute" => return oob(ValueTag::DeleteAttribute),
        "admin-define" => return oob(ValueTag::AdminDefine),
        _ => {}
    }
    let parts: Vec<String> = if ty == "collection" {
        split_top(value, ',')
    } else if matches!(ty, "text" | "name") && !value.contains("\",\"") {
        // Text may contain commas; a list of texts is written "a","b".
        vec![value.to_string()]
    } else {
        split_top(value, ',')
    };
    parts.iter().map(|p| parse_one(ty, p.trim())).collect()
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

fn parse_one(ty: &str, v: &str) -> Result<Value, String> {
    let int = |v: &str| {
        v.parse::<i32>()
            .map_err(|_| format!("'{v}' is not an integer"))
    };
    Ok(match ty {
        "integer" => Value::Integer(int(v)?),
        "enum" => Value::Enum(if let Some(h) = v.strip_prefix("0x") {
            i32::from_str_radix(h, 16).map_err(|_| format!("'{v}' is not hex"))?
        } else {
            int(v)?
        }),
        "boolean" => match v {
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            _ => return Err(format!("'{v}' is not true or false")),
        },
        "keyword" => Value::Keyword(v.to_string()),
        "name" => Value::Name(unquote(v).to_string()),
        "text" => Value::Text(unquote(v).to_string()),
        "uri" => Value::Uri(v.to_string()),
        "uriScheme" => Value::UriScheme(v.to_string()),
        "charset" => Value::Charset(v.to_string()),
        "naturalLanguage" => Value::NaturalLanguage(v.to_string()),
        "mimeMediaType" => Value::MimeMediaType(v.to_string()),
        "octetString" => Value::OctetString(unquote(v).as_bytes().to_vec()),
        "rangeOfInteger" => {
            let (a, b) = v
                .split_once('-')
                .ok_or_else(|| format!("'{v}' is not a range like 1-10"))?;
            Value::RangeOfInteger {
                lower: int(a)?,
                upper: int(b)?,
            }
        }
        "resolution" => {
            let (body, units) = if let Some(b) = v.strip_suffix("dpi") {
                (b, 3)
            } else if let Some(b) = v.strip_suffix("dpcm") {
                (b, 4)
            } else {
                return Err(format!("'{v}' is not a resolution like 600x600dpi"));
            };
            let (x, y) = body.split_once('x').unwrap_or((body, body));
            Value::Resolution {
                x: int(x)?,
                y: int(y)?,
                units,
            }
        }
        "dateTime" => Value::DateTime(DateTime::from_bytes([
            0x07, 0xea, 1, 1, 0, 0, 0, 0, b'+', 0, 0,
        ])),
        "collection" => {
            let inner = v
                .trim()
                .strip_prefix('{')
                .and_then(|x| x.strip_suffix('}'))
                .ok_or_else(|| format!("collection '{v}' must be in braces"))?;
            let mut members = Vec::new();
            for m in split_top(inner, ';') {
                let m = m.trim();
                if m.is_empty() {
                    continue;
                }
                members.push(parse_attr(m, &|_| None)?);
            }
            Value::Collection(Collection { members })
        }
        other => {
            if let Some(h) = other.strip_prefix("tag-0x") {
                let tag =
                    u8::from_str_radix(h, 16).map_err(|_| format!("'{other}' is not tag-0xNN"))?;
                Value::Unknown {
                    tag,
                    bytes: v.as_bytes().to_vec(),
                }
            } else {
                return Err(format!("unknown type '{other}'"));
            }
        }
    })
}

/// Assemble the raw notation: hex byte pairs, `"text"` literals and
/// `attr(0x44,"name","value")` (tag, 2-byte name length, name, 2-byte value
/// length, value). Whitespace is ignored.
pub fn assemble(s: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<Vec<u8>, String> {
    let s = substitute(s, var)?;
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let string_at = |i: usize| -> Result<(String, usize), String> {
        let end = s[i + 1..]
            .find('"')
            .ok_or_else(|| format!("unterminated string at {i}"))?
            + i
            + 1;
        Ok((s[i + 1..end].to_string(), end + 1))
    };
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'"' {
            let (t, next) = string_at(i)?;
            out.extend_from_slice(t.as_bytes());
            i = next;
        } else if s[i..].starts_with("attr(") {
            let close = s[i..].find(')').ok_or("attr( without )")? + i;
            let args = &s[i + 5..close];
            let parts: Vec<&str> = args.splitn(3, ',').map(str::trim).collect();
            if parts.len() != 3 {
                return Err(format!("attr() takes tag, \"name\", \"value\": '{args}'"));
            }
            let tag = u8::from_str_radix(parts[0].trim_start_matches("0x"), 16)
                .map_err(|_| format!("attr() tag '{}' is not hex", parts[0]))?;
            let name = unquote(parts[1]).as_bytes();
            let value = unquote(parts[2]).as_bytes();
            out.push(tag);
            out.extend_from_slice(&(name.len() as u16).to_be_bytes());
            out.extend_from_slice(name);
            out.extend_from_slice(&(value.len() as u16).to_be_bytes());
            out.extend_from_slice(value);
            i = close + 1;
        } else {
            let pair = s
                .get(i..i + 2)
                .ok_or_else(|| format!("odd hex digit at {i}"))?;
            out.push(
                u8::from_str_radix(pair, 16).map_err(|_| format!("'{pair}' at {i} is not hex"))?,
            );
            i += 2;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn attributes() {
        let a = parse_attr("keyword requested-attributes all,media-col-database", &none).unwrap();
        assert_eq!(a.values.len(), 2);
        let a = parse_attr("uri printer-uri $uri", &|n| {
            (n == "uri").then(|| "ipp://x/".to_string())
        })
        .unwrap();
        assert_eq!(a.values[0], Value::Uri("ipp://x/".into()));
        let a = parse_attr(
            "collection media-col {collection media-size {integer x-dimension 21000; integer y-dimension 29700}; keyword media-source main}",
            &none,
        )
        .unwrap();
        let Value::Collection(c) = &a.values[0] else {
            panic!()
        };
        assert_eq!(c.members.len(), 2);
        assert_eq!(
            parse_attr("no-value x", &none).unwrap().values[0],
            Value::OutOfBand(ValueTag::NoValue)
        );
        assert!(parse_attr("integer copies x", &none).is_err());
        assert!(parse_attr("bogus a b", &none).is_err());
        assert!(parse_attr("uri printer-uri $nope", &none).is_err());
        assert_eq!(
            parse_attr("text message hello, world", &none)
                .unwrap()
                .values
                .len(),
            1
        );
    }

    #[test]
    fn raw_notation() {
        let b = assemble(
            "0200 000b 00000001 01 attr(47,\"attributes-charset\",\"utf-8\") 03",
            &none,
        )
        .unwrap();
        assert_eq!(&b[..8], &[2, 0, 0, 0x0b, 0, 0, 0, 1]);
        assert_eq!(b[8], 1);
        assert_eq!(b[9], 0x47);
        assert_eq!(*b.last().unwrap(), 3);
        assert!(assemble("0", &none).is_err());
        assert!(assemble("zz", &none).is_err());
    }
}
