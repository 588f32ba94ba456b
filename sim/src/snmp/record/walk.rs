//! net-snmp's `snmpwalk -On` output: `.OID = TYPE: VALUE`, values as
//! `snmplib/mib.c` prints them (`sprint_realloc_by_type` and friends).
//!
//! A value can run over several lines. A quoted `STRING` keeps its line breaks
//! raw (only `\` and `"` are escaped), so it goes on until its closing quote;
//! `Hex-STRING` and `OPAQUE` bytes wrap every 16 bytes onto lines of bare hex;
//! an unquoted `STRING` (a DISPLAY-HINT printed it) goes on until the next line
//! that starts an entry. Anywhere else a line is an entry, blank, or a `#`
//! comment. The exception values (`No Such Object…`, `No Such Instance…`,
//! `No more variables left in this MIB View…`) and v1's `End of MIB` carry no
//! data and are skipped without a warning.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::{hex_digit, parse_int, parse_oid, snippet, Collector, Dump, RecordError};
use crate::snmp::{Oid, Value};

/// The prefix net-snmp puts before a value whose type the MIB did not expect.
const WRONG_TYPE: &str = "Wrong Type (should be ";

/// BER tags net-snmp uses inside an Opaque for its special types.
const OPAQUE_FLOAT: [u8; 2] = [0x9f, 0x78];
const OPAQUE_DOUBLE: [u8; 2] = [0x9f, 0x79];

/// Parse `snmpwalk -On` output. Also reads `iso.3.6…` OIDs (snmpwalk without
/// `-On` and without MIBs).
pub fn parse_walk(text: &str) -> Result<Dump, RecordError> {
    let mut w = Walker {
        lines: text.split('\n').collect(),
        next: 0,
        c: Collector::default(),
    };
    while let Some((line, raw)) = w.take() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "End of MIB" {
            continue;
        }
        let Some((oid_text, rest)) = raw.split_once(" = ") else {
            return Err(RecordError::StrayLine {
                line,
                text: snippet(trimmed),
            });
        };
        let oid = walk_oid(oid_text.trim(), line)?;
        if let Some(value) = w.value(rest, line)? {
            w.c.push(line, oid, value);
        }
    }
    Ok(w.c.finish())
}

/// An OID as snmpwalk prints it: `.1.3.6…`, or `iso.3.6…` without `-On`.
fn walk_oid(text: &str, line: usize) -> Result<Oid, RecordError> {
    match text.strip_prefix("iso") {
        Some(rest) if rest.is_empty() || rest.starts_with('.') => {
            parse_oid(&format!("1{rest}"), line).map_err(|e| match e {
                RecordError::BadOid { line, source, .. } => RecordError::BadOid {
                    line,
                    text: snippet(text),
                    source,
                },
                other => other,
            })
        }
        _ => parse_oid(text, line),
    }
}

/// Whether `raw` starts a walk entry: an OID, ` = `, a value.
fn starts_entry(raw: &str) -> bool {
    raw.split_once(" = ")
        .is_some_and(|(oid, _)| walk_oid(oid.trim(), 0).is_ok())
}

/// Whether `raw` is a line of wrapped hex: pairs of hex digits and spaces.
fn is_hex_line(raw: &str) -> bool {
    let mut tokens = raw.split_ascii_whitespace().peekable();
    tokens.peek().is_some() && tokens.all(|t| hex_byte(t).is_some())
}

/// One byte written as two hex digits.
fn hex_byte(token: &str) -> Option<u8> {
    match token.as_bytes() {
        [h, l] => Some(hex_digit(*h)? << 4 | hex_digit(*l)?),
        _ => None,
    }
}

/// The lines of a walk, read front to back.
struct Walker<'a> {
    lines: Vec<&'a str>,
    next: usize,
    c: Collector,
}

impl<'a> Walker<'a> {
    /// The next line and its 1-based number.
    fn take(&mut self) -> Option<(usize, &'a str)> {
        let raw = self.lines.get(self.next).copied()?;
        self.next += 1;
        Some((self.next, raw))
    }

    /// The next line, if `accept` says it continues the current value.
    fn take_if(&mut self, accept: impl Fn(&str) -> bool) -> Option<(usize, &'a str)> {
        let raw = self.lines.get(self.next).copied()?;
        if accept(raw) {
            self.take()
        } else {
            None
        }
    }

    /// The value after ` = ` on `line`, reading continuation lines as needed;
    /// `None` for values that carry no data.
    fn value(&mut self, text: &'a str, line: usize) -> Result<Option<Value>, RecordError> {
        let mut t = text.trim_start();
        while let Some(rest) = t.strip_prefix(WRONG_TYPE) {
            let Some((expected, actual)) = rest.split_once("): ") else {
                return Err(RecordError::UnknownWalkType {
                    line,
                    ty: snippet(t.trim_end()),
                });
            };
            self.c.warn(
                line,
                format_args!(
                    "the agent sent a value that should be {expected}; its own type is kept"
                ),
            );
            t = actual.trim_start();
        }
        let end = t.trim_end();
        if t.starts_with('"') {
            return self.quoted(t, line).map(|b| Some(Value::OctetString(b)));
        }
        if end == "NULL" {
            return Ok(Some(Value::Null));
        }
        if end.starts_with("No Such Object available")
            || end.starts_with("No Such Instance currently exists")
            || end.starts_with("No more variables left in this MIB View")
        {
            return Ok(None);
        }
        let Some((ty, v)) = t.split_once(':') else {
            return Err(RecordError::UnknownWalkType {
                line,
                ty: snippet(end),
            });
        };
        let v = v.strip_prefix(' ').unwrap_or(v);
        let value = match ty {
            "STRING" => {
                if v.starts_with('"') {
                    Value::OctetString(self.quoted(v, line)?)
                } else {
                    Value::OctetString(self.unquoted(v))
                }
            }
            "Hex-STRING" => Value::OctetString(self.hex(v, line)?),
            "BITS" => Value::OctetString(bits(v)),
            "INTEGER" => Value::Integer(self.number(v, "INTEGER", line)?),
            "Counter32" => Value::Counter32(self.number(v, "Counter32", line)?),
            "Gauge32" => Value::Gauge32(self.number(v, "Gauge32", line)?),
            "UInteger32" => {
                self.c
                    .warn(line, "UInteger32 (BER 0x47, obsolete) read as Gauge32");
                Value::Gauge32(self.number(v, "UInteger32", line)?)
            }
            "Counter64" => Value::Counter64(self.number(v, "Counter64", line)?),
            "Timeticks" => Value::TimeTicks(ticks(v, line)?),
            "OID" => Value::ObjectId(walk_oid(v.trim(), line)?),
            "IpAddress" => Value::IpAddress(ip(v, line)?),
            "Network Address" => Value::IpAddress(network_address(v, line)?),
            "OPAQUE" | "Opaque" => return self.opaque(v, line),
            _ => {
                return Err(RecordError::UnknownWalkType {
                    line,
                    ty: snippet(ty),
                })
            }
        };
        Ok(Some(value))
    }

    /// A quoted string starting at `text` (on its opening `"`), over as many
    /// lines as it takes; text after the closing quote (UNITS) is dropped.
    fn quoted(&mut self, text: &'a str, line: usize) -> Result<Vec<u8>, RecordError> {
        let mut out = Vec::new();
        let mut chunk = text.get(1..).unwrap_or("");
        loop {
            let mut bytes = chunk.bytes();
            while let Some(b) = bytes.next() {
                match b {
                    b'"' => return Ok(out),
                    b'\\' => match bytes.next() {
                        Some(e @ (b'\\' | b'"')) => out.push(e),
                        Some(other) => out.extend_from_slice(&[b'\\', other]),
                        None => out.push(b'\\'),
                    },
                    _ => out.push(b),
                }
            }
            let Some((_, next)) = self.take() else {
                return Err(RecordError::UnterminatedString { line });
            };
            out.push(b'\n');
            chunk = next;
        }
    }

    /// An unquoted string (a DISPLAY-HINT printed it): the rest of the line and
    /// every following line up to the next entry, trailing blank lines dropped.
    fn unquoted(&mut self, text: &str) -> Vec<u8> {
        let mut s = text.strip_suffix('\r').unwrap_or(text).to_string();
        while let Some((_, next)) = self.take_if(|l| !starts_entry(l)) {
            s.push('\n');
            s.push_str(next.strip_suffix('\r').unwrap_or(next));
        }
        let kept = s.trim_end_matches(['\n', '\r']).len();
        s.truncate(kept);
        // sprint_realloc_asciistring escapes `\` and `"` even without quotes.
        let mut out = Vec::with_capacity(s.len());
        let mut bytes = s.bytes();
        while let Some(b) = bytes.next() {
            if b == b'\\' {
                match bytes.next() {
                    Some(e @ (b'\\' | b'"')) => out.push(e),
                    Some(other) => out.extend_from_slice(&[b'\\', other]),
                    None => out.push(b'\\'),
                }
            } else {
                out.push(b);
            }
        }
        out
    }

    /// Hex bytes separated by spaces, wrapped onto lines of bare hex.
    fn hex(&mut self, text: &str, line: usize) -> Result<Vec<u8>, RecordError> {
        let mut out = hex_tokens(text, line)?;
        while let Some((n, next)) = self.take_if(is_hex_line) {
            out.extend(hex_tokens(next, n)?);
        }
        Ok(out)
    }

    /// An Opaque: wrapped hex, or one of net-snmp's special types inside it.
    fn opaque(&mut self, text: &str, line: usize) -> Result<Option<Value>, RecordError> {
        let special = |prefix: &str| text.strip_prefix(prefix).map(str::trim);
        if let Some(f) = special("Float:") {
            let bad = || RecordError::BadValue {
                line,
                ty: "Opaque Float",
                text: snippet(f),
            };
            let f: f32 = f.parse().map_err(|_| bad())?;
            let mut b = vec![OPAQUE_FLOAT[0], OPAQUE_FLOAT[1], 4];
            b.extend_from_slice(&f.to_be_bytes());
            return Ok(Some(Value::Opaque(b)));
        }
        if let Some(d) = special("Double:") {
            let bad = || RecordError::BadValue {
                line,
                ty: "Opaque Double",
                text: snippet(d),
            };
            let d: f64 = d.parse().map_err(|_| bad())?;
            let mut b = vec![OPAQUE_DOUBLE[0], OPAQUE_DOUBLE[1], 8];
            b.extend_from_slice(&d.to_be_bytes());
            return Ok(Some(Value::Opaque(b)));
        }
        for kind in ["UInt64:", "Int64:", "Counter64:"] {
            if special(kind).is_some() {
                self.c.warn(
                    line,
                    format_args!("Opaque {} skipped", kind.trim_end_matches(':')),
                );
                return Ok(None);
            }
        }
        Ok(Some(Value::Opaque(self.hex(text, line)?)))
    }

    /// A number: the one in parentheses after an enum label (`idle(3)`),
    /// else the first word (dropping UNITS); a decimal point from an integer
    /// DISPLAY-HINT (`d-2` prints 5 as `.05`) is taken out again.
    fn number<T: std::str::FromStr>(
        &mut self,
        text: &str,
        ty: &'static str,
        line: usize,
    ) -> Result<T, RecordError> {
        let t = text.trim();
        if let Some(inner) = t
            .strip_suffix(')')
            .and_then(|s| s.rfind('(').map(|i| s.get(i + 1..).unwrap_or("")))
        {
            return parse_int(inner, ty, line);
        }
        let word = t.split_ascii_whitespace().next().unwrap_or("");
        if let Some((int, frac)) = word.split_once('.') {
            let joined = format!("{int}{frac}");
            let v = parse_int(&joined, ty, line)?;
            self.c.warn(
                line,
                format_args!(
                    "{ty} {word} read as {joined} (a DISPLAY-HINT's decimal point removed)"
                ),
            );
            return Ok(v);
        }
        parse_int(word, ty, line)
    }
}

/// Hex byte tokens on one line.
fn hex_tokens(text: &str, line: usize) -> Result<Vec<u8>, RecordError> {
    text.split_ascii_whitespace()
        .map(|t| {
            hex_byte(t).ok_or_else(|| RecordError::BadHex {
                line,
                text: snippet(t),
            })
        })
        .collect()
}

/// `BITS: 80 00 printing(0) …`: the hex bytes, the labels after them dropped.
fn bits(text: &str) -> Vec<u8> {
    text.split_ascii_whitespace().map_while(hex_byte).collect()
}

/// `(12345) 0:02:03.45`: the number in parentheses (or a bare number).
fn ticks(text: &str, line: usize) -> Result<u32, RecordError> {
    let t = text.trim();
    match t.strip_prefix('(').and_then(|s| s.split_once(')')) {
        Some((n, _)) => parse_int(n, "Timeticks", line),
        None => parse_int(t, "Timeticks", line),
    }
}

/// A dotted IPv4 address.
fn ip(text: &str, line: usize) -> Result<[u8; 4], RecordError> {
    let t = text.trim();
    t.parse::<Ipv4Addr>()
        .map(|a| a.octets())
        .map_err(|_| RecordError::BadValue {
            line,
            ty: "IpAddress",
            text: snippet(t),
        })
}

/// SNMPv1's NetworkAddress: `0A:00:00:01`.
fn network_address(text: &str, line: usize) -> Result<[u8; 4], RecordError> {
    let t = text.trim();
    let bad = || RecordError::BadValue {
        line,
        ty: "Network Address",
        text: snippet(t),
    };
    let bytes: Vec<u8> = t
        .split(':')
        .map(|p| match p.len() {
            1 | 2 => u8::from_str_radix(p, 16).map_err(|_| bad()),
            _ => Err(bad()),
        })
        .collect::<Result<_, _>>()?;
    <[u8; 4]>::try_from(bytes).map_err(|_| bad())
}

/// Write `entries` exactly as `snmpwalk -On -v2c` prints them for an agent
/// whose MIB it does not know, in the order given. An entry with an empty OID
/// cannot be written readably.
pub fn write_walk(entries: &[(Oid, Value)]) -> String {
    let mut out = String::new();
    for (oid, value) in entries {
        let _ = write!(out, ".{oid} = ");
        walk_value(&mut out, value);
        out.push('\n');
    }
    out
}

/// One value as `sprint_realloc_by_type` prints it with default options.
fn walk_value(out: &mut String, value: &Value) {
    match value {
        Value::Integer(i) => {
            let _ = write!(out, "INTEGER: {i}");
        }
        Value::OctetString(b) if b.is_empty() => out.push_str("\"\""),
        Value::OctetString(b) if b.iter().all(|&c| is_print_or_space(c)) => {
            out.push_str("STRING: \"");
            for &c in b {
                if c == b'\\' || c == b'"' {
                    out.push('\\');
                }
                out.push(char::from(c));
            }
            out.push('"');
        }
        Value::OctetString(b) => {
            out.push_str("Hex-STRING: ");
            hex_lines(out, b);
        }
        Value::ObjectId(o) => {
            let _ = write!(out, "OID: .{o}");
        }
        Value::IpAddress(a) => {
            let _ = write!(out, "IpAddress: {}", Ipv4Addr::from(*a));
        }
        Value::Counter32(u) => {
            let _ = write!(out, "Counter32: {u}");
        }
        Value::Gauge32(u) => {
            let _ = write!(out, "Gauge32: {u}");
        }
        Value::TimeTicks(u) => {
            let _ = write!(out, "Timeticks: ({u}) ");
            uptime(out, *u);
        }
        Value::Opaque(b) => {
            out.push_str("OPAQUE: ");
            hex_lines(out, b);
        }
        Value::Counter64(u) => {
            let _ = write!(out, "Counter64: {u}");
        }
        Value::Null => out.push_str("NULL"),
    }
}

/// C's `isprint(c) || isspace(c)` in the C locale: what net-snmp shows as text.
fn is_print_or_space(c: u8) -> bool {
    (0x20..0x7f).contains(&c) || (0x09..=0x0d).contains(&c)
}

/// `sprint_realloc_hexstring`: `%02X ` per byte, a line break every 16 bytes.
fn hex_lines(out: &mut String, b: &[u8]) {
    for (i, row) in b.chunks(16).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for c in row {
            let _ = write!(out, "{c:02X} ");
        }
    }
}

/// `uptimeString`: `H:MM:SS.cc`, with `N day(s), ` in front once it is a day.
fn uptime(out: &mut String, ticks: u32) {
    let centis = ticks % 100;
    let secs = ticks / 100;
    let (days, secs) = (secs / 86_400, secs % 86_400);
    let (hours, mins, secs) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match days {
        0 => {}
        1 => out.push_str("1 day, "),
        d => {
            let _ = write!(out, "{d} days, ");
        }
    }
    let _ = write!(out, "{hours}:{mins:02}:{secs:02}.{centis:02}");
}
