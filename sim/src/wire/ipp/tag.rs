//! Delimiter and value tags (RFC 8010 §3.5, with the later IANA registrations).

use std::fmt;

/// A delimiter tag (0x00-0x0F) that starts an attribute group or ends the list.
///
/// `from_u8`/`to_u8` round-trip every byte: bytes without a name (including
/// bytes >= 0x10, which are not delimiters at all) become [`DelimiterTag::Unknown`].
/// Construct `Unknown` only through [`DelimiterTag::from_u8`], so that
/// `Unknown` never holds a byte that has a named variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DelimiterTag {
    /// operation-attributes-tag (0x01).
    OperationAttributes,
    /// job-attributes-tag (0x02).
    JobAttributes,
    /// end-of-attributes-tag (0x03).
    EndOfAttributes,
    /// printer-attributes-tag (0x04).
    PrinterAttributes,
    /// unsupported-attributes-tag (0x05).
    UnsupportedAttributes,
    /// subscription-attributes-tag (0x06, RFC 3995).
    SubscriptionAttributes,
    /// event-notification-attributes-tag (0x07, RFC 3995).
    EventNotificationAttributes,
    /// resource-attributes-tag (0x08, PWG 5100.22).
    ResourceAttributes,
    /// document-attributes-tag (0x09, PWG 5100.5).
    DocumentAttributes,
    /// system-attributes-tag (0x0A, PWG 5100.22).
    SystemAttributes,
    /// Any other byte, kept as is.
    Unknown(u8),
}

impl DelimiterTag {
    /// Decodes a tag byte; never fails.
    pub fn from_u8(b: u8) -> Self {
        match b {
            0x01 => Self::OperationAttributes,
            0x02 => Self::JobAttributes,
            0x03 => Self::EndOfAttributes,
            0x04 => Self::PrinterAttributes,
            0x05 => Self::UnsupportedAttributes,
            0x06 => Self::SubscriptionAttributes,
            0x07 => Self::EventNotificationAttributes,
            0x08 => Self::ResourceAttributes,
            0x09 => Self::DocumentAttributes,
            0x0A => Self::SystemAttributes,
            other => Self::Unknown(other),
        }
    }

    /// The tag byte.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::OperationAttributes => 0x01,
            Self::JobAttributes => 0x02,
            Self::EndOfAttributes => 0x03,
            Self::PrinterAttributes => 0x04,
            Self::UnsupportedAttributes => 0x05,
            Self::SubscriptionAttributes => 0x06,
            Self::EventNotificationAttributes => 0x07,
            Self::ResourceAttributes => 0x08,
            Self::DocumentAttributes => 0x09,
            Self::SystemAttributes => 0x0A,
            Self::Unknown(b) => b,
        }
    }

    /// True if this tag can start a group on the wire: a byte 0x00-0x0F other
    /// than 0x03, in canonical form (see the type's documentation).
    pub fn is_group_tag(self) -> bool {
        let b = self.to_u8();
        b <= 0x0F && b != 0x03 && Self::from_u8(b) == self
    }
}

impl fmt::Display for DelimiterTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::OperationAttributes => "operation-attributes-tag",
            Self::JobAttributes => "job-attributes-tag",
            Self::EndOfAttributes => "end-of-attributes-tag",
            Self::PrinterAttributes => "printer-attributes-tag",
            Self::UnsupportedAttributes => "unsupported-attributes-tag",
            Self::SubscriptionAttributes => "subscription-attributes-tag",
            Self::EventNotificationAttributes => "event-notification-attributes-tag",
            Self::ResourceAttributes => "resource-attributes-tag",
            Self::DocumentAttributes => "document-attributes-tag",
            Self::SystemAttributes => "system-attributes-tag",
            Self::Unknown(b) => return write!(f, "delimiter-tag-0x{b:02x}"),
        };
        f.write_str(name)
    }
}

/// A value tag (0x10-0xFF): the syntax of one attribute value.
///
/// `from_u8`/`to_u8` round-trip every byte; unassigned bytes (and bytes
/// below 0x10, which are delimiters) become [`ValueTag::Unknown`]. Construct
/// `Unknown` only through [`ValueTag::from_u8`]. Note that the out-of-band
/// value `unknown` (0x12) is [`ValueTag::UnknownValue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueTag {
    /// Out-of-band `unsupported` (0x10).
    Unsupported,
    /// Out-of-band `default` (0x11, reserved).
    Default,
    /// Out-of-band `unknown` (0x12).
    UnknownValue,
    /// Out-of-band `no-value` (0x13).
    NoValue,
    /// Out-of-band `not-settable` (0x15, RFC 3380).
    NotSettable,
    /// Out-of-band `delete-attribute` (0x16, RFC 3380).
    DeleteAttribute,
    /// Out-of-band `admin-define` (0x17, RFC 3380).
    AdminDefine,
    /// `integer` (0x21).
    Integer,
    /// `boolean` (0x22).
    Boolean,
    /// `enum` (0x23).
    Enum,
    /// `octetString` (0x30).
    OctetString,
    /// `dateTime` (0x31).
    DateTime,
    /// `resolution` (0x32).
    Resolution,
    /// `rangeOfInteger` (0x33).
    RangeOfInteger,
    /// `begCollection` (0x34).
    BegCollection,
    /// `textWithLanguage` (0x35).
    TextWithLanguage,
    /// `nameWithLanguage` (0x36).
    NameWithLanguage,
    /// `endCollection` (0x37).
    EndCollection,
    /// `textWithoutLanguage` (0x41).
    TextWithoutLanguage,
    /// `nameWithoutLanguage` (0x42).
    NameWithoutLanguage,
    /// `keyword` (0x44).
    Keyword,
    /// `uri` (0x45).
    Uri,
    /// `uriScheme` (0x46).
    UriScheme,
    /// `charset` (0x47).
    Charset,
    /// `naturalLanguage` (0x48).
    NaturalLanguage,
    /// `mimeMediaType` (0x49).
    MimeMediaType,
    /// `memberAttrName` (0x4A).
    MemberAttrName,
    /// `extension` (0x7F): the value starts with a 4-byte extended tag.
    Extension,
    /// Any other byte, kept as is.
    Unknown(u8),
}

impl ValueTag {
    /// Decodes a tag byte; never fails.
    pub fn from_u8(b: u8) -> Self {
        match b {
            0x10 => Self::Unsupported,
            0x11 => Self::Default,
            0x12 => Self::UnknownValue,
            0x13 => Self::NoValue,
            0x15 => Self::NotSettable,
            0x16 => Self::DeleteAttribute,
            0x17 => Self::AdminDefine,
            0x21 => Self::Integer,
            0x22 => Self::Boolean,
            0x23 => Self::Enum,
            0x30 => Self::OctetString,
            0x31 => Self::DateTime,
            0x32 => Self::Resolution,
            0x33 => Self::RangeOfInteger,
            0x34 => Self::BegCollection,
            0x35 => Self::TextWithLanguage,
            0x36 => Self::NameWithLanguage,
            0x37 => Self::EndCollection,
            0x41 => Self::TextWithoutLanguage,
            0x42 => Self::NameWithoutLanguage,
            0x44 => Self::Keyword,
            0x45 => Self::Uri,
            0x46 => Self::UriScheme,
            0x47 => Self::Charset,
            0x48 => Self::NaturalLanguage,
            0x49 => Self::MimeMediaType,
            0x4A => Self::MemberAttrName,
            0x7F => Self::Extension,
            other => Self::Unknown(other),
        }
    }

    /// The tag byte.
    pub fn to_u8(self) -> u8 {
        match self {
            Self::Unsupported => 0x10,
            Self::Default => 0x11,
            Self::UnknownValue => 0x12,
            Self::NoValue => 0x13,
            Self::NotSettable => 0x15,
            Self::DeleteAttribute => 0x16,
            Self::AdminDefine => 0x17,
            Self::Integer => 0x21,
            Self::Boolean => 0x22,
            Self::Enum => 0x23,
            Self::OctetString => 0x30,
            Self::DateTime => 0x31,
            Self::Resolution => 0x32,
            Self::RangeOfInteger => 0x33,
            Self::BegCollection => 0x34,
            Self::TextWithLanguage => 0x35,
            Self::NameWithLanguage => 0x36,
            Self::EndCollection => 0x37,
            Self::TextWithoutLanguage => 0x41,
            Self::NameWithoutLanguage => 0x42,
            Self::Keyword => 0x44,
            Self::Uri => 0x45,
            Self::UriScheme => 0x46,
            Self::Charset => 0x47,
            Self::NaturalLanguage => 0x48,
            Self::MimeMediaType => 0x49,
            Self::MemberAttrName => 0x4A,
            Self::Extension => 0x7F,
            Self::Unknown(b) => b,
        }
    }

    /// True for the out-of-band range 0x10-0x1F (values of length 0 that
    /// say something about the attribute instead of carrying a value).
    pub fn is_out_of_band(self) -> bool {
        (0x10..=0x1F).contains(&self.to_u8())
    }
}

impl fmt::Display for ValueTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Unsupported => "unsupported",
            Self::Default => "default",
            Self::UnknownValue => "unknown",
            Self::NoValue => "no-value",
            Self::NotSettable => "not-settable",
            Self::DeleteAttribute => "delete-attribute",
            Self::AdminDefine => "admin-define",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Enum => "enum",
            Self::OctetString => "octetString",
            Self::DateTime => "dateTime",
            Self::Resolution => "resolution",
            Self::RangeOfInteger => "rangeOfInteger",
            Self::BegCollection => "begCollection",
            Self::TextWithLanguage => "textWithLanguage",
            Self::NameWithLanguage => "nameWithLanguage",
            Self::EndCollection => "endCollection",
            Self::TextWithoutLanguage => "textWithoutLanguage",
            Self::NameWithoutLanguage => "nameWithoutLanguage",
            Self::Keyword => "keyword",
            Self::Uri => "uri",
            Self::UriScheme => "uriScheme",
            Self::Charset => "charset",
            Self::NaturalLanguage => "naturalLanguage",
            Self::MimeMediaType => "mimeMediaType",
            Self::MemberAttrName => "memberAttrName",
            Self::Extension => "extension",
            Self::Unknown(b) => return write!(f, "value-tag-0x{b:02x}"),
        };
        f.write_str(name)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for DelimiterTag {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self::from_u8(u8::arbitrary(u)?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        <u8 as arbitrary::Arbitrary>::size_hint(depth)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for ValueTag {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self::from_u8(u8::arbitrary(u)?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        <u8 as arbitrary::Arbitrary>::size_hint(depth)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn all_bytes_round_trip() {
        for b in 0..=u8::MAX {
            assert_eq!(DelimiterTag::from_u8(b).to_u8(), b);
            assert_eq!(ValueTag::from_u8(b).to_u8(), b);
            assert_eq!(
                ValueTag::from_u8(b).is_out_of_band(),
                (0x10..=0x1F).contains(&b)
            );
            assert_eq!(
                DelimiterTag::from_u8(b).is_group_tag(),
                b <= 0x0F && b != 0x03
            );
        }
    }

    #[test]
    fn names() {
        assert_eq!(ValueTag::Integer.to_string(), "integer");
        assert_eq!(ValueTag::UnknownValue.to_string(), "unknown");
        assert_eq!(ValueTag::from_u8(0x4A).to_string(), "memberAttrName");
        assert_eq!(ValueTag::from_u8(0x20).to_string(), "value-tag-0x20");
        assert_eq!(
            DelimiterTag::from_u8(0x01).to_string(),
            "operation-attributes-tag"
        );
        assert_eq!(
            DelimiterTag::from_u8(0x0b).to_string(),
            "delimiter-tag-0x0b"
        );
        assert!(!DelimiterTag::Unknown(0x01).is_group_tag());
    }
}
