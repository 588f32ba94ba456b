//! The values a MIB object holds (RFC 2578 §7.1 and the SMIv2 application types).

use std::fmt;

use super::Oid;

/// A MIB value, as SNMP carries it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// INTEGER / Integer32.
    Integer(i32),
    /// OCTET STRING (text or binary).
    OctetString(Vec<u8>),
    /// OBJECT IDENTIFIER.
    ObjectId(Oid),
    /// IpAddress.
    IpAddress([u8; 4]),
    /// Counter32.
    Counter32(u32),
    /// Gauge32 / Unsigned32.
    Gauge32(u32),
    /// TimeTicks (hundredths of a second).
    TimeTicks(u32),
    /// Opaque.
    Opaque(Vec<u8>),
    /// Counter64 (SNMPv2c only).
    Counter64(u64),
    /// NULL.
    Null,
}

impl Value {
    /// An OCTET STRING from text.
    pub fn text(s: impl AsRef<str>) -> Value {
        Value::OctetString(s.as_ref().as_bytes().to_vec())
    }

    /// The SMI type name, as snmpwalk prints it (`INTEGER`, `STRING`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Integer(_) => "INTEGER",
            Value::OctetString(_) => "STRING",
            Value::ObjectId(_) => "OID",
            Value::IpAddress(_) => "IpAddress",
            Value::Counter32(_) => "Counter32",
            Value::Gauge32(_) => "Gauge32",
            Value::TimeTicks(_) => "Timeticks",
            Value::Opaque(_) => "Opaque",
            Value::Counter64(_) => "Counter64",
            Value::Null => "NULL",
        }
    }

    /// The BER tag of this type (0x02 INTEGER … 0x46 Counter64).
    pub fn ber_tag(&self) -> u8 {
        match self {
            Value::Integer(_) => 0x02,
            Value::OctetString(_) => 0x04,
            Value::Null => 0x05,
            Value::ObjectId(_) => 0x06,
            Value::IpAddress(_) => 0x40,
            Value::Counter32(_) => 0x41,
            Value::Gauge32(_) => 0x42,
            Value::TimeTicks(_) => 0x43,
            Value::Opaque(_) => 0x44,
            Value::Counter64(_) => 0x46,
        }
    }

    /// Whether two values are of the same SMI type.
    pub fn same_type(&self, other: &Value) -> bool {
        self.ber_tag() == other.ber_tag()
    }

    /// The integer, if it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(i64::from(*i)),
            Value::Counter32(u) | Value::Gauge32(u) | Value::TimeTicks(u) => Some(i64::from(*u)),
            Value::Counter64(u) => i64::try_from(*u).ok(),
            _ => None,
        }
    }

    /// The bytes of an OCTET STRING or Opaque.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::OctetString(b) | Value::Opaque(b) => Some(b),
            _ => None,
        }
    }

    /// The text of an OCTET STRING (lossy).
    pub fn as_text(&self) -> Option<String> {
        self.as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

impl fmt::Display for Value {
    /// As `snmpwalk -On` prints a value after `= `, kept on one line: hex is
    /// not wrapped every 16 bytes and Timeticks has no `H:MM:SS.cc` after the
    /// number. [`crate::snmp::record::write_walk`] prints the exact form; its
    /// parser reads both.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(i) => write!(f, "INTEGER: {i}"),
            Value::OctetString(b) => {
                // net-snmp's test: every byte `isprint` or `isspace` (C locale).
                if b.iter()
                    .all(|c| (0x20..0x7f).contains(c) || (0x09..=0x0d).contains(c))
                {
                    // Escaped as `sprint_realloc_asciistring` does: `\` and `"`.
                    f.write_str("STRING: \"")?;
                    for &c in b {
                        if c == b'\\' || c == b'"' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{}", char::from(c))?;
                    }
                    f.write_str("\"")
                } else {
                    f.write_str("Hex-STRING: ")?;
                    hex_upper(f, b)
                }
            }
            Value::ObjectId(o) => write!(f, "OID: .{o}"),
            Value::IpAddress(a) => write!(f, "IpAddress: {}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            Value::Counter32(u) => write!(f, "Counter32: {u}"),
            Value::Gauge32(u) => write!(f, "Gauge32: {u}"),
            Value::TimeTicks(u) => write!(f, "Timeticks: ({u})"),
            Value::Opaque(b) => {
                f.write_str("Opaque: ")?;
                hex_upper(f, b)
            }
            Value::Counter64(u) => write!(f, "Counter64: {u}"),
            Value::Null => f.write_str("NULL"),
        }
    }
}

fn hex_upper(f: &mut fmt::Formatter<'_>, b: &[u8]) -> fmt::Result {
    for (i, c) in b.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{c:02X}")?;
    }
    Ok(())
}
