//! Typed attribute values (RFC 8010 §3.9, RFC 8011 §5.1).

use std::fmt;

use super::error::WireError;
use super::message::Attribute;
use super::raw::MAX_FIELD_LEN;
use super::tag::ValueTag;

/// An RFC 2579 `DateAndTime` (11 octets), kept byte for byte.
///
/// The fields are not range-checked when decoding, so any 11 bytes
/// round-trip; use [`DateTime::is_valid`] to check the RFC 2579 ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct DateTime {
    /// Year (0..=65535).
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day, 1..=31.
    pub day: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minutes, 0..=59.
    pub minutes: u8,
    /// Seconds, 0..=60 (60 for a leap second).
    pub seconds: u8,
    /// Deci-seconds, 0..=9.
    pub deci_seconds: u8,
    /// Direction from UTC, `b'+'` or `b'-'`.
    pub direction: u8,
    /// Hours from UTC, 0..=13.
    pub utc_hours: u8,
    /// Minutes from UTC, 0..=59.
    pub utc_minutes: u8,
}

impl DateTime {
    /// Length of the encoded form.
    pub const LEN: usize = 11;

    /// Decodes the 11-byte wire form.
    pub fn from_bytes(b: [u8; 11]) -> Self {
        let [y0, y1, month, day, hour, minutes, seconds, deci_seconds, direction, utc_hours, utc_minutes] =
            b;
        DateTime {
            year: u16::from_be_bytes([y0, y1]),
            month,
            day,
            hour,
            minutes,
            seconds,
            deci_seconds,
            direction,
            utc_hours,
            utc_minutes,
        }
    }

    /// The 11-byte wire form.
    pub fn to_bytes(&self) -> [u8; 11] {
        let [y0, y1] = self.year.to_be_bytes();
        [
            y0,
            y1,
            self.month,
            self.day,
            self.hour,
            self.minutes,
            self.seconds,
            self.deci_seconds,
            self.direction,
            self.utc_hours,
            self.utc_minutes,
        ]
    }

    /// True if every field is within the RFC 2579 ranges.
    pub fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour <= 23
            && self.minutes <= 59
            && self.seconds <= 60
            && self.deci_seconds <= 9
            && (self.direction == b'+' || self.direction == b'-')
            && self.utc_hours <= 13
            && self.utc_minutes <= 59
    }
}

impl fmt::Display for DateTime {
    /// ISO 8601 like ipptool: `2024-01-02T03:04:05+0000` (`.d` after the
    /// seconds when deci-seconds are non-zero).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minutes, self.seconds
        )?;
        if self.deci_seconds != 0 {
            write!(f, ".{}", self.deci_seconds)?;
        }
        let dir = if self.direction.is_ascii_graphic() {
            char::from(self.direction)
        } else {
            '?'
        };
        write!(f, "{dir}{:02}{:02}", self.utc_hours, self.utc_minutes)
    }
}

/// A collection value: its member attributes in wire order, each possibly 1setOf.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Collection {
    /// The members, in wire order (duplicates are kept).
    pub members: Vec<Attribute>,
}

impl Collection {
    /// A collection of the given members.
    pub fn new(members: Vec<Attribute>) -> Self {
        Collection { members }
    }

    /// The first member with this name.
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// One attribute value, decoded by its value tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Value {
    /// `integer` (0x21).
    Integer(i32),
    /// `boolean` (0x22).
    Boolean(bool),
    /// `enum` (0x23).
    Enum(i32),
    /// `octetString` (0x30).
    OctetString(Vec<u8>),
    /// `dateTime` (0x31).
    DateTime(DateTime),
    /// `resolution` (0x32).
    Resolution {
        /// Cross-feed resolution.
        x: i32,
        /// Feed resolution.
        y: i32,
        /// Units: 3 = dots per inch, 4 = dots per centimetre.
        units: i8,
    },
    /// `rangeOfInteger` (0x33).
    RangeOfInteger {
        /// Lower bound.
        lower: i32,
        /// Upper bound.
        upper: i32,
    },
    /// `textWithLanguage` (0x35).
    TextWithLanguage {
        /// The natural language.
        language: String,
        /// The text.
        text: String,
    },
    /// `nameWithLanguage` (0x36).
    NameWithLanguage {
        /// The natural language.
        language: String,
        /// The name.
        name: String,
    },
    /// `textWithoutLanguage` (0x41).
    Text(String),
    /// `nameWithoutLanguage` (0x42).
    Name(String),
    /// `keyword` (0x44).
    Keyword(String),
    /// `uri` (0x45).
    Uri(String),
    /// `uriScheme` (0x46).
    UriScheme(String),
    /// `charset` (0x47).
    Charset(String),
    /// `naturalLanguage` (0x48).
    NaturalLanguage(String),
    /// `mimeMediaType` (0x49).
    MimeMediaType(String),
    /// `collection` (begCollection 0x34 ... endCollection 0x37).
    Collection(Collection),
    /// An out-of-band value (tags 0x10-0x1F, no value bytes).
    OutOfBand(ValueTag),
    /// Any tag without a defined syntax (including `extension` 0x7F), bytes kept.
    Unknown {
        /// The value tag byte.
        tag: u8,
        /// The value bytes.
        bytes: Vec<u8>,
    },
}

/// True if a value with this tag decodes to [`Value::Unknown`].
pub fn decodes_as_unknown(tag: u8) -> bool {
    if tag < 0x10 || ValueTag::from_u8(tag).is_out_of_band() {
        return false;
    }
    matches!(
        ValueTag::from_u8(tag),
        ValueTag::Unknown(_) | ValueTag::Extension
    )
}

impl Value {
    /// The value tag this value is written with.
    pub fn tag(&self) -> ValueTag {
        match self {
            Value::Integer(_) => ValueTag::Integer,
            Value::Boolean(_) => ValueTag::Boolean,
            Value::Enum(_) => ValueTag::Enum,
            Value::OctetString(_) => ValueTag::OctetString,
            Value::DateTime(_) => ValueTag::DateTime,
            Value::Resolution { .. } => ValueTag::Resolution,
            Value::RangeOfInteger { .. } => ValueTag::RangeOfInteger,
            Value::TextWithLanguage { .. } => ValueTag::TextWithLanguage,
            Value::NameWithLanguage { .. } => ValueTag::NameWithLanguage,
            Value::Text(_) => ValueTag::TextWithoutLanguage,
            Value::Name(_) => ValueTag::NameWithoutLanguage,
            Value::Keyword(_) => ValueTag::Keyword,
            Value::Uri(_) => ValueTag::Uri,
            Value::UriScheme(_) => ValueTag::UriScheme,
            Value::Charset(_) => ValueTag::Charset,
            Value::NaturalLanguage(_) => ValueTag::NaturalLanguage,
            Value::MimeMediaType(_) => ValueTag::MimeMediaType,
            Value::Collection(_) => ValueTag::BegCollection,
            Value::OutOfBand(t) => *t,
            Value::Unknown { tag, .. } => ValueTag::from_u8(*tag),
        }
    }

    /// The string of any string-valued syntax (text/name with or without
    /// language, keyword, uri, uriScheme, charset, naturalLanguage, mimeMediaType).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::TextWithLanguage { text: s, .. }
            | Value::NameWithLanguage { name: s, .. }
            | Value::Text(s)
            | Value::Name(s)
            | Value::Keyword(s)
            | Value::Uri(s)
            | Value::UriScheme(s)
            | Value::Charset(s)
            | Value::NaturalLanguage(s)
            | Value::MimeMediaType(s) => Some(s),
            _ => None,
        }
    }

    /// The number of an `integer` or `enum`.
    pub fn as_i32(&self) -> Option<i32> {
        match self {
            Value::Integer(i) | Value::Enum(i) => Some(*i),
            _ => None,
        }
    }

    /// The value of a `boolean`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The collection of a `collection` value.
    pub fn as_collection(&self) -> Option<&Collection> {
        match self {
            Value::Collection(c) => Some(c),
            _ => None,
        }
    }

    /// Decodes a non-collection value from its tag and bytes.
    ///
    /// `offset` (of the item) and `name` (of the attribute or member) are
    /// only used in errors. Tags 0x34, 0x37 and 0x4A are structural and must
    /// be handled by the caller; here they decode as [`Value::Unknown`].
    pub(super) fn decode_scalar(
        tag: u8,
        bytes: &[u8],
        offset: usize,
        name: &str,
    ) -> Result<Value, WireError> {
        let vtag = ValueTag::from_u8(tag);
        let exact = |expected: usize| -> Result<&[u8], WireError> {
            if bytes.len() == expected {
                Ok(bytes)
            } else {
                Err(WireError::BadValueLength {
                    offset,
                    tag: vtag,
                    name: name.to_owned(),
                    expected,
                    actual: bytes.len(),
                })
            }
        };
        let utf8 = |b: &[u8]| -> Result<String, WireError> {
            String::from_utf8(b.to_vec()).map_err(|_| WireError::InvalidUtf8 {
                offset,
                tag: vtag,
                name: name.to_owned(),
            })
        };
        if vtag.is_out_of_band() {
            if !bytes.is_empty() {
                return Err(WireError::OutOfBandWithValue {
                    offset,
                    name: name.to_owned(),
                    tag: vtag,
                    len: bytes.len(),
                });
            }
            return Ok(Value::OutOfBand(vtag));
        }
        Ok(match vtag {
            ValueTag::Integer => Value::Integer(i32::from_be_bytes(array(exact(4)?))),
            ValueTag::Enum => Value::Enum(i32::from_be_bytes(array(exact(4)?))),
            ValueTag::Boolean => match exact(1)? {
                [0] => Value::Boolean(false),
                [1] => Value::Boolean(true),
                other => {
                    return Err(WireError::BadBoolean {
                        offset,
                        name: name.to_owned(),
                        byte: other.first().copied().unwrap_or_default(),
                    })
                }
            },
            ValueTag::OctetString => Value::OctetString(bytes.to_vec()),
            ValueTag::DateTime => Value::DateTime(DateTime::from_bytes(array(exact(11)?))),
            ValueTag::Resolution => {
                let [x0, x1, x2, x3, y0, y1, y2, y3, u] = array(exact(9)?);
                Value::Resolution {
                    x: i32::from_be_bytes([x0, x1, x2, x3]),
                    y: i32::from_be_bytes([y0, y1, y2, y3]),
                    units: i8::from_be_bytes([u]),
                }
            }
            ValueTag::RangeOfInteger => {
                let [l0, l1, l2, l3, u0, u1, u2, u3] = array(exact(8)?);
                Value::RangeOfInteger {
                    lower: i32::from_be_bytes([l0, l1, l2, l3]),
                    upper: i32::from_be_bytes([u0, u1, u2, u3]),
                }
            }
            ValueTag::TextWithLanguage | ValueTag::NameWithLanguage => {
                let (lang, text) =
                    split_with_language(bytes).ok_or_else(|| WireError::BadWithLanguage {
                        offset,
                        tag: vtag,
                        name: name.to_owned(),
                        len: bytes.len(),
                    })?;
                let language = utf8(lang)?;
                let text = utf8(text)?;
                if vtag == ValueTag::TextWithLanguage {
                    Value::TextWithLanguage { language, text }
                } else {
                    Value::NameWithLanguage {
                        language,
                        name: text,
                    }
                }
            }
            ValueTag::TextWithoutLanguage => Value::Text(utf8(bytes)?),
            ValueTag::NameWithoutLanguage => Value::Name(utf8(bytes)?),
            ValueTag::Keyword => Value::Keyword(utf8(bytes)?),
            ValueTag::Uri => Value::Uri(utf8(bytes)?),
            ValueTag::UriScheme => Value::UriScheme(utf8(bytes)?),
            ValueTag::Charset => Value::Charset(utf8(bytes)?),
            ValueTag::NaturalLanguage => Value::NaturalLanguage(utf8(bytes)?),
            ValueTag::MimeMediaType => Value::MimeMediaType(utf8(bytes)?),
            _ => Value::Unknown {
                tag,
                bytes: bytes.to_vec(),
            },
        })
    }

    /// Encodes a non-collection value to its tag byte and value bytes.
    ///
    /// `name` is only used in errors. Returns `Ok(None)` for a collection,
    /// which the caller must expand into several items.
    pub(super) fn encode_scalar(&self, name: &str) -> Result<Option<(u8, Vec<u8>)>, WireError> {
        let tag = self.tag().to_u8();
        let bytes = match self {
            Value::Integer(i) | Value::Enum(i) => i.to_be_bytes().to_vec(),
            Value::Boolean(b) => vec![u8::from(*b)],
            Value::OctetString(b) => b.clone(),
            Value::DateTime(d) => d.to_bytes().to_vec(),
            Value::Resolution { x, y, units } => {
                let mut v = Vec::with_capacity(9);
                v.extend_from_slice(&x.to_be_bytes());
                v.extend_from_slice(&y.to_be_bytes());
                v.extend_from_slice(&units.to_be_bytes());
                v
            }
            Value::RangeOfInteger { lower, upper } => {
                let mut v = Vec::with_capacity(8);
                v.extend_from_slice(&lower.to_be_bytes());
                v.extend_from_slice(&upper.to_be_bytes());
                v
            }
            Value::TextWithLanguage { language, text: s }
            | Value::NameWithLanguage { language, name: s } => {
                let too_long = || WireError::ValueTooLong {
                    name: name.to_owned(),
                    len: language.len().saturating_add(s.len()).saturating_add(4),
                };
                let ll = u16::try_from(language.len()).map_err(|_| too_long())?;
                let sl = u16::try_from(s.len()).map_err(|_| too_long())?;
                let mut v = Vec::with_capacity(language.len() + s.len() + 4);
                v.extend_from_slice(&ll.to_be_bytes());
                v.extend_from_slice(language.as_bytes());
                v.extend_from_slice(&sl.to_be_bytes());
                v.extend_from_slice(s.as_bytes());
                v
            }
            Value::Text(s)
            | Value::Name(s)
            | Value::Keyword(s)
            | Value::Uri(s)
            | Value::UriScheme(s)
            | Value::Charset(s)
            | Value::NaturalLanguage(s)
            | Value::MimeMediaType(s) => s.as_bytes().to_vec(),
            Value::Collection(_) => return Ok(None),
            Value::OutOfBand(t) => {
                if !t.is_out_of_band() || ValueTag::from_u8(t.to_u8()) != *t {
                    return Err(WireError::NotOutOfBand {
                        name: name.to_owned(),
                        tag: *t,
                    });
                }
                Vec::new()
            }
            Value::Unknown { tag, bytes } => {
                if !decodes_as_unknown(*tag) {
                    return Err(WireError::UnknownWithKnownTag {
                        name: name.to_owned(),
                        tag: *tag,
                    });
                }
                bytes.clone()
            }
        };
        if bytes.len() > MAX_FIELD_LEN {
            return Err(WireError::ValueTooLong {
                name: name.to_owned(),
                len: bytes.len(),
            });
        }
        Ok(Some((tag, bytes)))
    }
}

/// Copies a slice already checked to have length `N` into an array.
fn array<const N: usize>(b: &[u8]) -> [u8; N] {
    b.try_into().unwrap_or([0; N])
}

/// Splits a textWithLanguage/nameWithLanguage value into language and text;
/// `None` unless the two length-prefixed parts fill the value exactly.
fn split_with_language(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (ll, rest) = b.split_first_chunk::<2>()?;
    let (lang, rest) = rest.split_at_checked(usize::from(u16::from_be_bytes(*ll)))?;
    let (tl, text) = rest.split_first_chunk::<2>()?;
    (text.len() == usize::from(u16::from_be_bytes(*tl))).then_some((lang, text))
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_str("<")?;
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    f.write_str(">")
}

impl fmt::Display for Value {
    /// ipptool-like notation: numbers as decimal, `300x300dpi`, `1-100`,
    /// `2024-01-02T03:04:05+0000`, strings as is (with-language values as
    /// `text (language)`), bytes as `<hex>`, out-of-band values by tag name,
    /// collections as `{name=value name=value,value}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(i) | Value::Enum(i) => write!(f, "{i}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::OctetString(b) => write_hex(f, b),
            Value::DateTime(d) => write!(f, "{d}"),
            Value::Resolution { x, y, units } => {
                write!(f, "{x}x{y}")?;
                match units {
                    3 => f.write_str("dpi"),
                    4 => f.write_str("dpcm"),
                    u => write!(f, "units{u}"),
                }
            }
            Value::RangeOfInteger { lower, upper } => write!(f, "{lower}-{upper}"),
            Value::TextWithLanguage { language, text: s }
            | Value::NameWithLanguage { language, name: s } => write!(f, "{s} ({language})"),
            Value::Text(s)
            | Value::Name(s)
            | Value::Keyword(s)
            | Value::Uri(s)
            | Value::UriScheme(s)
            | Value::Charset(s)
            | Value::NaturalLanguage(s)
            | Value::MimeMediaType(s) => f.write_str(s),
            Value::Collection(c) => write!(f, "{c}"),
            Value::OutOfBand(t) => write!(f, "{t}"),
            Value::Unknown { bytes, .. } => write_hex(f, bytes),
        }
    }
}

impl fmt::Display for Collection {
    /// `{name=value name=value1,value2}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, m) in self.members.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{m}")?;
        }
        f.write_str("}")
    }
}

impl From<i32> for Value {
    /// An `integer`.
    fn from(i: i32) -> Self {
        Value::Integer(i)
    }
}

impl From<bool> for Value {
    /// A `boolean`.
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<Collection> for Value {
    /// A `collection`.
    fn from(c: Collection) -> Self {
        Value::Collection(c)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn dt() -> DateTime {
        DateTime::from_bytes([0x07, 0xE8, 1, 2, 3, 4, 5, 0, b'+', 0, 0])
    }

    #[test]
    fn display_notation() {
        assert_eq!(dt().to_string(), "2024-01-02T03:04:05+0000");
        assert!(dt().is_valid());
        assert_eq!(
            Value::DateTime(dt()).to_string(),
            "2024-01-02T03:04:05+0000"
        );
        let r = Value::Resolution {
            x: 300,
            y: 300,
            units: 3,
        };
        assert_eq!(r.to_string(), "300x300dpi");
        assert_eq!(
            Value::RangeOfInteger {
                lower: 1,
                upper: 100
            }
            .to_string(),
            "1-100"
        );
        assert_eq!(Value::OctetString(vec![0, 0xff]).to_string(), "<00ff>");
        assert_eq!(Value::OutOfBand(ValueTag::NoValue).to_string(), "no-value");
        let c = Collection::new(vec![
            Attribute::new("a", Value::Integer(1)),
            Attribute::with_values(
                "b",
                vec![Value::Keyword("x".into()), Value::Keyword("y".into())],
            ),
        ]);
        assert_eq!(Value::Collection(c).to_string(), "{a=1 b=x,y}");
    }

    #[test]
    fn scalar_round_trip_and_errors() {
        let v = Value::decode_scalar(0x21, &[0, 0, 0, 20], 9, "copies").unwrap();
        assert_eq!(v, Value::Integer(20));
        assert_eq!(
            v.encode_scalar("copies").unwrap(),
            Some((0x21, vec![0, 0, 0, 20]))
        );
        let e = Value::decode_scalar(0x21, &[0, 0, 20], 57, "copies").unwrap_err();
        assert_eq!(
            e.to_string(),
            "attribute 'copies' at byte 57 has value length 3, integer needs 4"
        );
        assert_eq!(
            Value::decode_scalar(0x22, &[2], 0, "b"),
            Err(WireError::BadBoolean {
                offset: 0,
                name: "b".into(),
                byte: 2
            })
        );
        assert!(matches!(
            Value::decode_scalar(0x35, &[0, 2, b'e', b'n', 0, 2, b'x'], 0, "t"),
            Err(WireError::BadWithLanguage { len: 7, .. })
        ));
        assert_eq!(
            Value::decode_scalar(0x35, &[0, 2, b'e', b'n', 0, 1, b'x'], 0, "t").unwrap(),
            Value::TextWithLanguage {
                language: "en".into(),
                text: "x".into()
            }
        );
        assert!(matches!(
            Value::decode_scalar(0x44, &[0xff], 0, "k"),
            Err(WireError::InvalidUtf8 { .. })
        ));
        assert!(matches!(
            Value::decode_scalar(0x13, &[1], 0, "k"),
            Err(WireError::OutOfBandWithValue { len: 1, .. })
        ));
        assert_eq!(
            Value::decode_scalar(0x7F, &[0, 0, 0, 1], 0, "x").unwrap(),
            Value::Unknown {
                tag: 0x7F,
                bytes: vec![0, 0, 0, 1]
            }
        );
        assert!(matches!(
            Value::Unknown {
                tag: 0x21,
                bytes: vec![]
            }
            .encode_scalar("x"),
            Err(WireError::UnknownWithKnownTag { tag: 0x21, .. })
        ));
        assert!(matches!(
            Value::OutOfBand(ValueTag::Integer).encode_scalar("x"),
            Err(WireError::NotOutOfBand { .. })
        ));
        assert!(matches!(
            Value::OutOfBand(ValueTag::Unknown(0x12)).encode_scalar("x"),
            Err(WireError::NotOutOfBand { .. })
        ));
    }

    #[test]
    fn unknown_tag_set() {
        let unknown: Vec<u8> = (0..=u8::MAX).filter(|t| decodes_as_unknown(*t)).collect();
        assert!(unknown.contains(&0x20));
        assert!(unknown.contains(&0x7F));
        assert!(unknown.contains(&0xFF));
        assert!(!unknown.contains(&0x14), "out-of-band");
        assert!(!unknown.contains(&0x4A));
        assert!(!unknown.contains(&0x34));
    }

    #[test]
    fn helpers() {
        assert_eq!(Value::Keyword("k".into()).as_str(), Some("k"));
        assert_eq!(Value::Enum(3).as_i32(), Some(3));
        assert_eq!(Value::Boolean(true).as_bool(), Some(true));
        assert_eq!(Value::Integer(1).as_bool(), None);
        assert_eq!(Value::from(5), Value::Integer(5));
        assert_eq!(
            Value::Unknown {
                tag: 0x7F,
                bytes: vec![]
            }
            .tag(),
            ValueTag::Extension
        );
    }
}
