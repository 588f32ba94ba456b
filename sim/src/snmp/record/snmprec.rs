//! snmpsim's `.snmprec`: `OID|TAG|VALUE`, one record a line.
//!
//! snmpsim strips each line, then splits it at the first two `|` (so a value
//! may hold more). The tag is the BER type number in decimal; `x` after it
//! means the value is hex (`4x|48500a`), `e` that it is a Python-escaped string
//! (`4e|Ready\n`). A tag with `:module` runs a variation module, whose value
//! only that module understands: such records are skipped with a warning, as
//! are records of the exception tags 128–130 (noSuchObject, noSuchInstance,
//! endOfMibView).

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::{decode_hex, hex_digit, parse_int, parse_oid, snippet, Collector, Dump, RecordError};
use crate::snmp::{Oid, Value};

/// How a record's value is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Plain,
    Hex,
    Escaped,
}

/// Parse an snmprec file.
pub fn parse_snmprec(text: &str) -> Result<Dump, RecordError> {
    let mut c = Collector::default();
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let rec = raw.trim();
        if rec.is_empty() || rec.starts_with('#') {
            continue;
        }
        let mut parts = rec.splitn(3, '|');
        let (Some(oid_text), Some(tag), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(RecordError::MalformedRecord {
                line,
                text: snippet(rec),
            });
        };
        if oid_text.is_empty() || tag.is_empty() {
            return Err(RecordError::MalformedRecord {
                line,
                text: snippet(rec),
            });
        }
        let oid = parse_oid(oid_text, line)?;
        if let Some((_, module)) = tag.split_once(':') {
            c.warn(
                line,
                format_args!("OID {oid}: variation module {module:?} skipped"),
            );
            continue;
        }
        if let Some(v) = record_value(tag, value, line, &oid, &mut c)? {
            c.push(line, oid, v);
        }
    }
    Ok(c.finish())
}

/// The value of one record, or `None` for an exception tag (warned about).
fn record_value(
    tag: &str,
    value: &str,
    line: usize,
    oid: &Oid,
    c: &mut Collector,
) -> Result<Option<Value>, RecordError> {
    let (number, encoding) = if let Some(n) = tag.strip_suffix('x') {
        (n, Encoding::Hex)
    } else if let Some(n) = tag.strip_suffix('e') {
        (n, Encoding::Escaped)
    } else {
        (tag, Encoding::Plain)
    };
    let unknown = || RecordError::UnknownTag {
        line,
        tag: snippet(tag),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(unknown());
    }
    let number: u32 = number.parse().map_err(|_| unknown())?;
    let plain_only = |v: Value| {
        if encoding == Encoding::Plain {
            Ok(Some(v))
        } else {
            Err(RecordError::EncodingNotAllowed {
                line,
                tag: tag.to_string(),
            })
        }
    };
    let bytes = || match encoding {
        Encoding::Plain => Ok(value.as_bytes().to_vec()),
        Encoding::Hex => decode_hex(value, line),
        Encoding::Escaped => unescape(value, line),
    };
    match number {
        2 => plain_only(Value::Integer(parse_int(value, "Integer32", line)?)),
        4 => Ok(Some(Value::OctetString(bytes()?))),
        5 => {
            if bytes()?.is_empty() {
                Ok(Some(Value::Null))
            } else {
                Err(RecordError::BadValue {
                    line,
                    ty: "NULL",
                    text: snippet(value),
                })
            }
        }
        6 => plain_only(Value::ObjectId(parse_oid(value, line)?)),
        64 => {
            let bad = || RecordError::BadValue {
                line,
                ty: "IpAddress",
                text: snippet(value),
            };
            let octets = match encoding {
                Encoding::Plain => value
                    .trim()
                    .parse::<Ipv4Addr>()
                    .map_err(|_| bad())?
                    .octets(),
                _ => <[u8; 4]>::try_from(bytes()?).map_err(|_| bad())?,
            };
            Ok(Some(Value::IpAddress(octets)))
        }
        65 => plain_only(Value::Counter32(parse_int(value, "Counter32", line)?)),
        66 => plain_only(Value::Gauge32(parse_int(value, "Gauge32", line)?)),
        67 => plain_only(Value::TimeTicks(parse_int(value, "TimeTicks", line)?)),
        68 => Ok(Some(Value::Opaque(bytes()?))),
        70 => plain_only(Value::Counter64(parse_int(value, "Counter64", line)?)),
        128..=130 => {
            let what = match number {
                128 => "noSuchObject",
                129 => "noSuchInstance",
                _ => "endOfMibView",
            };
            c.warn(line, format_args!("OID {oid}: {what} record skipped"));
            Ok(None)
        }
        _ => Err(unknown()),
    }
}

/// Undo snmpsim's `e` encoding: Python string escapes (`\\ \' \" \a \b \f \n
/// \r \t \v \xHH`); other characters stand for their UTF-8 bytes.
fn unescape(text: &str, line: usize) -> Result<Vec<u8>, RecordError> {
    let bad = || RecordError::BadEscape {
        line,
        text: snippet(text),
    };
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let byte = match chars.next().ok_or_else(bad)? {
            '\\' => b'\\',
            '\'' => b'\'',
            '"' => b'"',
            'a' => 0x07,
            'b' => 0x08,
            'f' => 0x0c,
            'n' => b'\n',
            'r' => b'\r',
            't' => b'\t',
            'v' => 0x0b,
            'x' => {
                let hi = chars
                    .next()
                    .and_then(|c| u8::try_from(c).ok())
                    .and_then(hex_digit);
                let lo = chars
                    .next()
                    .and_then(|c| u8::try_from(c).ok())
                    .and_then(hex_digit);
                match (hi, lo) {
                    (Some(h), Some(l)) => h << 4 | l,
                    _ => return Err(bad()),
                }
            }
            _ => return Err(bad()),
        };
        out.push(byte);
    }
    Ok(out)
}

/// Write `entries` as snmprec records, in the order given (snmpsim wants them
/// sorted, as a [`Dump`]'s are). Strings and Opaques that are printable ASCII
/// without a space at either end are written as text, others as `x` hex;
/// IpAddresses in dotted form. An entry with an empty OID cannot be written
/// readably.
pub fn write_snmprec(entries: &[(Oid, Value)]) -> String {
    let mut out = String::new();
    for (oid, value) in entries {
        let _ = write!(out, "{oid}|");
        match value {
            Value::Integer(i) => {
                let _ = write!(out, "2|{i}");
            }
            Value::OctetString(b) => text_or_hex(&mut out, 4, b),
            Value::Null => out.push_str("5|"),
            Value::ObjectId(o) => {
                let _ = write!(out, "6|{o}");
            }
            Value::IpAddress(a) => {
                let _ = write!(out, "64|{}", Ipv4Addr::from(*a));
            }
            Value::Counter32(u) => {
                let _ = write!(out, "65|{u}");
            }
            Value::Gauge32(u) => {
                let _ = write!(out, "66|{u}");
            }
            Value::TimeTicks(u) => {
                let _ = write!(out, "67|{u}");
            }
            Value::Opaque(b) => text_or_hex(&mut out, 68, b),
            Value::Counter64(u) => {
                let _ = write!(out, "70|{u}");
            }
        }
        out.push('\n');
    }
    out
}

/// `TAG|text` when snmpsim reads the text back unchanged, else `TAGx|hex`.
fn text_or_hex(out: &mut String, tag: u8, b: &[u8]) {
    let printable = b.iter().all(|c| (0x20..0x7f).contains(c));
    let padded = b.first() == Some(&b' ') || b.last() == Some(&b' ');
    if printable && !padded {
        let _ = write!(out, "{tag}|{}", String::from_utf8_lossy(b));
    } else {
        let _ = write!(out, "{tag}x|");
        for c in b {
            let _ = write!(out, "{c:02x}");
        }
    }
}
