//! MIB dumps: read and write the two text forms a printer's MIB is kept in.
//!
//! - **snmprec**, snmpsim's data file: one `OID|TAG|VALUE` record a line. The
//!   tag is the BER type number in decimal (2 Integer32, 4 OCTET STRING,
//!   5 NULL, 6 OBJECT IDENTIFIER, 64 IpAddress, 65 Counter32, 66 Gauge32,
//!   67 TimeTicks, 68 Opaque, 70 Counter64); an `x` after it means the value is
//!   hex, an `e` that it is a Python-escaped string (`\n`, `\xHH`, …). Blank
//!   lines and `#` comments are skipped. See [`parse_snmprec`], [`write_snmprec`].
//! - **snmpwalk `-On` output** from net-snmp: `.1.3.6.1.2.1.1.1.0 = STRING: "…"`,
//!   with values that may run over several lines (quoted strings holding line
//!   breaks, `Hex-STRING` wrapped every 16 bytes). See [`parse_walk`],
//!   [`write_walk`]; the writer prints exactly what `snmpwalk -On -v2c` prints
//!   for an agent whose MIB it does not know.
//!
//! [`parse_dump`] tells the two apart by their first record. Either way the
//! result is a [`Dump`]: entries sorted by OID, one per OID (a repeated OID
//! keeps its last value and leaves a warning naming both lines), and the
//! warnings about what was read but not kept. Every refusal is a
//! [`RecordError`] carrying the 1-based line it is about.
//!
//! Reading is lenient where net-snmp's output is lossy but still plain —
//! enum labels (`idle(3)`), UNITS (`524288 KBytes`), integer DISPLAY-HINTs
//! (`0.5`), unquoted `DisplayString`s, `Wrong Type (should be …):` — and
//! strict about everything else. Text that a DISPLAY-HINT turned into
//! something else (`STRING: 0:c:29:3a:4b:5c` for a MAC address) is kept as the
//! text it reads: undoing a hint needs the MIB.

mod snmprec;
mod walk;

#[cfg(test)]
mod tests;

use super::{Oid, OidError, Value};

pub use snmprec::{parse_snmprec, write_snmprec};
pub use walk::{parse_walk, write_walk};

/// A MIB dump as read from a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dump {
    /// The objects, sorted by OID (the order GetNext walks), one per OID.
    pub entries: Vec<(Oid, Value)>,
    /// What was read but not kept, or kept after a guess, each starting with
    /// `line N:`.
    pub warnings: Vec<String>,
}

impl Dump {
    /// The value at exactly `oid`, if the dump has it.
    pub fn get(&self, oid: &Oid) -> Option<&Value> {
        let i = self.entries.binary_search_by(|(o, _)| o.cmp(oid)).ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }
}

/// The two text forms of a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DumpFormat {
    /// snmpsim's `OID|TAG|VALUE` records.
    Snmprec,
    /// net-snmp's `snmpwalk -On` output.
    Walk,
}

/// Why a dump did not parse. Each variant names one violation and carries the
/// 1-based line it was found on ([`RecordError::line`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The first record is neither `OID|TAG|VALUE` nor `OID = TYPE: VALUE`.
    #[error("line {line}: neither an snmprec record nor an snmpwalk line: {text:?}")]
    UnknownFormat {
        /// The line.
        line: usize,
        /// The start of the line.
        text: String,
    },
    /// An OID — a record's or an OBJECT IDENTIFIER value — is not dotted
    /// decimal of at most 128 parts.
    #[error("line {line}: bad OID {text:?}: {source}")]
    BadOid {
        /// The line.
        line: usize,
        /// The start of the offending text.
        text: String,
        /// Why it is not an OID.
        source: OidError,
    },
    /// An snmprec line that is not `OID|TAG|VALUE`.
    #[error("line {line}: expected OID|TAG|VALUE, found {text:?}")]
    MalformedRecord {
        /// The line.
        line: usize,
        /// The start of the line.
        text: String,
    },
    /// An snmprec tag that is not one of the BER type numbers SNMP uses.
    #[error("line {line}: unknown snmprec tag {tag:?}")]
    UnknownTag {
        /// The line.
        line: usize,
        /// The tag as written.
        tag: String,
    },
    /// An `x` (hex) or `e` (escaped) tag suffix on a type that is not a string.
    #[error("line {line}: tag {tag:?}: only string types (4, 64, 68) may be hex or escaped")]
    EncodingNotAllowed {
        /// The line.
        line: usize,
        /// The tag as written.
        tag: String,
    },
    /// Hex that is not pairs of hex digits.
    #[error("line {line}: bad hex {text:?}")]
    BadHex {
        /// The line.
        line: usize,
        /// The start of the offending text.
        text: String,
    },
    /// A backslash escape that snmpsim's `e` encoding does not define.
    #[error("line {line}: bad escape in {text:?}")]
    BadEscape {
        /// The line.
        line: usize,
        /// The start of the offending text.
        text: String,
    },
    /// A number that does not fit its type.
    #[error("line {line}: {text} is out of range for {ty}")]
    IntegerOutOfRange {
        /// The line.
        line: usize,
        /// The SMI type.
        ty: &'static str,
        /// The number as written.
        text: String,
    },
    /// A value that does not read as its type.
    #[error("line {line}: {text:?} is not a valid {ty}")]
    BadValue {
        /// The line.
        line: usize,
        /// The SMI type.
        ty: &'static str,
        /// The start of the offending text.
        text: String,
    },
    /// A quoted string still open at the end of the input.
    #[error("line {line}: the string opened here is never closed")]
    UnterminatedString {
        /// The line the string starts on.
        line: usize,
    },
    /// A value type snmpwalk does not print (or that this reader does not know).
    #[error("line {line}: unknown snmpwalk value type {ty:?}")]
    UnknownWalkType {
        /// The line.
        line: usize,
        /// The type as written, before its `:`.
        ty: String,
    },
    /// A walk line that neither starts an entry nor continues the one before.
    #[error("line {line}: expected `OID = TYPE: VALUE`, found {text:?}")]
    StrayLine {
        /// The line.
        line: usize,
        /// The start of the line.
        text: String,
    },
}

impl RecordError {
    /// The 1-based line the error is about.
    pub fn line(&self) -> usize {
        match self {
            RecordError::UnknownFormat { line, .. }
            | RecordError::BadOid { line, .. }
            | RecordError::MalformedRecord { line, .. }
            | RecordError::UnknownTag { line, .. }
            | RecordError::EncodingNotAllowed { line, .. }
            | RecordError::BadHex { line, .. }
            | RecordError::BadEscape { line, .. }
            | RecordError::IntegerOutOfRange { line, .. }
            | RecordError::BadValue { line, .. }
            | RecordError::UnterminatedString { line }
            | RecordError::UnknownWalkType { line, .. }
            | RecordError::StrayLine { line, .. } => *line,
        }
    }
}

/// Which form `text` is in, judged by its first line that is neither blank
/// nor a `#` comment; `None` if there is no such line or it is neither form.
pub fn detect_format(text: &str) -> Option<DumpFormat> {
    first_record(text).and_then(|(_, line)| classify(line))
}

/// Parse a dump in either form ([`detect_format`]). Text with no records is
/// an empty dump.
pub fn parse_dump(text: &str) -> Result<Dump, RecordError> {
    let Some((line, first)) = first_record(text) else {
        return Ok(Dump::default());
    };
    match classify(first) {
        Some(DumpFormat::Snmprec) => parse_snmprec(text),
        Some(DumpFormat::Walk) => parse_walk(text),
        None => Err(RecordError::UnknownFormat {
            line,
            text: snippet(first),
        }),
    }
}

/// For the fuzzer: `text` parses or is refused, never a panic; a dump that
/// parses writes and reads back to the same entries, without warnings, in
/// both forms.
pub fn fuzz_dump(text: &str) {
    let Ok(dump) = parse_dump(text) else {
        return;
    };
    type Parser = fn(&str) -> Result<Dump, RecordError>;
    let forms: [(&str, String, Parser); 2] = [
        ("snmprec", write_snmprec(&dump.entries), parse_snmprec),
        ("walk", write_walk(&dump.entries), parse_walk),
    ];
    for (name, written, back) in forms {
        match back(&written) {
            Ok(again) => {
                assert_eq!(
                    again.entries, dump.entries,
                    "{name} write/parse changed the entries"
                );
                assert_eq!(again.warnings, Vec::<String>::new(), "{name} output warns");
            }
            Err(e) => panic!("{name} output does not parse back: {e}\n{written}"),
        }
    }
}

/// The first line that is not blank or a comment, with its 1-based number.
fn first_record(text: &str) -> Option<(usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .find(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// `OID = …` before any `|` is a walk line; otherwise a `|` makes a record.
fn classify(line: &str) -> Option<DumpFormat> {
    let eq = line.find(" = ");
    let bar = line.find('|');
    match (eq, bar) {
        (Some(e), Some(b)) if b < e => Some(DumpFormat::Snmprec),
        (Some(_), _) => Some(DumpFormat::Walk),
        (None, Some(_)) => Some(DumpFormat::Snmprec),
        (None, None) => None,
    }
}

/// At most 80 characters of `s`, for error messages.
fn snippet(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Parse an OID, naming `line` if it is not one.
fn parse_oid(text: &str, line: usize) -> Result<Oid, RecordError> {
    text.parse().map_err(|source| RecordError::BadOid {
        line,
        text: snippet(text),
        source,
    })
}

/// Entries as they are read, with their lines; [`Collector::finish`] sorts
/// them and settles repeated OIDs.
#[derive(Default)]
struct Collector {
    entries: Vec<(Oid, Value, usize)>,
    warnings: Vec<String>,
}

impl Collector {
    fn push(&mut self, line: usize, oid: Oid, value: Value) {
        self.entries.push((oid, value, line));
    }

    fn warn(&mut self, line: usize, msg: impl std::fmt::Display) {
        self.warnings.push(format!("line {line}: {msg}"));
    }

    fn finish(mut self) -> Dump {
        // Stable: entries of one OID stay in file order, so the last read wins.
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Oid, Value, usize)> = Vec::with_capacity(self.entries.len());
        for (oid, value, line) in self.entries {
            match out.last_mut() {
                Some(last) if last.0 == oid => {
                    self.warnings.push(format!(
                        "line {line}: OID {oid} repeats line {}; the value on line {line} wins",
                        last.2
                    ));
                    *last = (oid, value, line);
                }
                _ => out.push((oid, value, line)),
            }
        }
        Dump {
            entries: out.into_iter().map(|(o, v, _)| (o, v)).collect(),
            warnings: self.warnings,
        }
    }
}

/// Parse a decimal number of type `ty`, telling "too big" from "not a number".
fn parse_int<T: std::str::FromStr>(
    text: &str,
    ty: &'static str,
    line: usize,
) -> Result<T, RecordError> {
    let t = text.trim();
    if let Ok(v) = t.parse::<T>() {
        return Ok(v);
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        Err(RecordError::IntegerOutOfRange {
            line,
            ty,
            text: snippet(t),
        })
    } else {
        Err(RecordError::BadValue {
            line,
            ty,
            text: snippet(t),
        })
    }
}

/// The value of one hex digit.
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Bytes from hex digit pairs with nothing between them.
fn decode_hex(text: &str, line: usize) -> Result<Vec<u8>, RecordError> {
    let bad = || RecordError::BadHex {
        line,
        text: snippet(text),
    };
    let b = text.as_bytes();
    if b.len() % 2 != 0 {
        return Err(bad());
    }
    b.chunks_exact(2)
        .map(|p| match (hex_digit(p[0]), hex_digit(p[1])) {
            (Some(h), Some(l)) => Ok(h << 4 | l),
            _ => Err(bad()),
        })
        .collect()
}
