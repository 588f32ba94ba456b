//! Errors of the IPP wire codec.
//!
//! Every variant names one concrete violation of RFC 8010 (or one value the
//! encoder cannot represent). Offsets are byte positions from the start of
//! the message (the first byte of the version number is byte 0) and always
//! point at the first byte (the tag) of the offending item, unless a variant
//! says otherwise. The `Display` text is a sentence meant to be sent back to
//! a client as an IPP `status-message`.

use super::tag::{DelimiterTag, ValueTag};

/// A violation found while decoding, or a value that cannot be encoded.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// The buffer ends before the message does.
    #[error(
        "the message is truncated: the {what} at byte {offset} needs {needed} byte(s) but only {available} remain"
    )]
    Truncated {
        /// Where the missing piece starts.
        offset: usize,
        /// How many bytes the piece needs.
        needed: usize,
        /// How many bytes are left in the buffer from `offset` on.
        available: usize,
        /// What was being read.
        what: &'static str,
    },

    /// An attribute appears before any delimiter (group) tag.
    #[error(
        "attribute '{name}' at byte {offset} appears before any group delimiter tag; the attribute list must start with operation-attributes-tag (0x01)"
    )]
    AttributeOutsideGroup {
        /// Offset of the attribute.
        offset: usize,
        /// The attribute's name (lossily decoded).
        name: String,
    },

    /// A value with an empty name has no preceding attribute in its group.
    #[error(
        "the value at byte {offset} has an empty name (an additional value) but there is no attribute before it in its group to add it to"
    )]
    AdditionalValueWithoutAttribute {
        /// Offset of the value item.
        offset: usize,
    },

    /// An attribute name is not valid UTF-8.
    #[error("the attribute name at byte {offset} is not valid UTF-8")]
    InvalidName {
        /// Offset of the attribute.
        offset: usize,
    },

    /// A fixed-size value has the wrong length.
    #[error(
        "attribute '{name}' at byte {offset} has value length {actual}, {tag} needs {expected}"
    )]
    BadValueLength {
        /// Offset of the value item.
        offset: usize,
        /// The value tag.
        tag: ValueTag,
        /// The attribute (or collection member) name.
        name: String,
        /// The length the tag requires.
        expected: usize,
        /// The length found.
        actual: usize,
    },

    /// A boolean value byte other than 0x00 or 0x01.
    #[error(
        "attribute '{name}' at byte {offset} has boolean value byte 0x{byte:02x}; a boolean must be 0x00 (false) or 0x01 (true)"
    )]
    BadBoolean {
        /// Offset of the value item.
        offset: usize,
        /// The attribute (or collection member) name.
        name: String,
        /// The byte found.
        byte: u8,
    },

    /// A textWithLanguage/nameWithLanguage value whose inner lengths do not fill the value exactly.
    #[error(
        "attribute '{name}' at byte {offset} has a malformed {tag} value of {len} bytes; it must be a 2-byte language length, the language, a 2-byte text length and the text, filling the value exactly"
    )]
    BadWithLanguage {
        /// Offset of the value item.
        offset: usize,
        /// The value tag.
        tag: ValueTag,
        /// The attribute (or collection member) name.
        name: String,
        /// The whole value length.
        len: usize,
    },

    /// A string value is not valid UTF-8.
    #[error("attribute '{name}' at byte {offset} has a {tag} value that is not valid UTF-8")]
    InvalidUtf8 {
        /// Offset of the value item.
        offset: usize,
        /// The value tag.
        tag: ValueTag,
        /// The attribute (or collection member) name; for a memberAttrName, the collection's name.
        name: String,
    },

    /// An out-of-band value (tags 0x10-0x1F) with a non-empty value.
    #[error(
        "attribute '{name}' at byte {offset} has out-of-band tag {tag} with a {len}-byte value; out-of-band values must have length 0"
    )]
    OutOfBandWithValue {
        /// Offset of the value item.
        offset: usize,
        /// The attribute (or collection member) name.
        name: String,
        /// The out-of-band tag.
        tag: ValueTag,
        /// The value length found.
        len: usize,
    },

    /// A begCollection item with a non-empty value.
    #[error(
        "begCollection (0x34) for '{name}' at byte {offset} has a {len}-byte value; its value length must be 0"
    )]
    NonEmptyBegCollection {
        /// Offset of the begCollection item.
        offset: usize,
        /// The attribute (or collection member) name.
        name: String,
        /// The value length found.
        len: usize,
    },

    /// An endCollection item with a non-empty value.
    #[error(
        "endCollection (0x37) at byte {offset} has a {len}-byte value; its value length must be 0"
    )]
    NonEmptyEndCollection {
        /// Offset of the endCollection item.
        offset: usize,
        /// The value length found.
        len: usize,
    },

    /// A collection is not closed before a delimiter or the end of the message.
    #[error(
        "collection '{name}' opened at byte {start} is not closed by an endCollection (0x37) before byte {offset}"
    )]
    MissingEndCollection {
        /// Where the collection was expected to be closed (a delimiter or the end tag).
        offset: usize,
        /// Offset of the begCollection item.
        start: usize,
        /// The attribute (or collection member) name of the collection.
        name: String,
    },

    /// An endCollection item with no open collection.
    #[error("endCollection (0x37) at byte {offset} does not close any open collection")]
    UnexpectedEndCollection {
        /// Offset of the endCollection item.
        offset: usize,
    },

    /// A memberAttrName item outside any collection.
    #[error("memberAttrName (0x4A) at byte {offset} appears outside of any collection")]
    MemberNameOutsideCollection {
        /// Offset of the memberAttrName item.
        offset: usize,
    },

    /// A memberAttrName item whose value (the member name) is empty.
    #[error(
        "memberAttrName (0x4A) at byte {offset} has an empty value; it must carry the member attribute's name"
    )]
    EmptyMemberName {
        /// Offset of the memberAttrName item.
        offset: usize,
    },

    /// A value inside a collection before any memberAttrName.
    #[error(
        "the collection member value at byte {offset} has no preceding memberAttrName (0x4A) naming the member"
    )]
    MemberValueWithoutName {
        /// Offset of the value item.
        offset: usize,
    },

    /// A memberAttrName not followed by a value.
    #[error(
        "collection member '{member}' has no value: the memberAttrName must be followed by the member's value, but byte {offset} starts another memberAttrName or an endCollection"
    )]
    MemberWithoutValue {
        /// Offset of the item found where the value should be.
        offset: usize,
        /// The member name.
        member: String,
    },

    /// A named item while a collection is still open.
    #[error(
        "attribute '{name}' at byte {offset} has a name but collection '{collection}' is still open; items inside a collection must have an empty name (is an endCollection missing?)"
    )]
    NamedItemInCollection {
        /// Offset of the named item.
        offset: usize,
        /// Its name (lossily decoded).
        name: String,
        /// The name of the innermost open collection.
        collection: String,
    },

    /// Collections nested deeper than the decoder's limit.
    #[error("the collection at byte {offset} is nested more than {limit} levels deep")]
    CollectionTooDeep {
        /// Offset of the begCollection item that exceeds the limit.
        offset: usize,
        /// The nesting limit.
        limit: usize,
    },

    /// Encoding: collections nested deeper than the limit.
    #[error("the value of '{name}' nests collections more than {limit} levels deep")]
    CollectionTooDeepToEncode {
        /// The attribute (or member) whose value is too deep.
        name: String,
        /// The nesting limit.
        limit: usize,
    },

    /// Encoding: a name longer than 65535 bytes.
    #[error(
        "the attribute name '{name}...' is {len} bytes long; IPP names are limited to 65535 bytes"
    )]
    NameTooLong {
        /// The first characters of the name.
        name: String,
        /// The name's length.
        len: usize,
    },

    /// Encoding: a value longer than 65535 bytes.
    #[error("the value of '{name}' is {len} bytes long; IPP values are limited to 65535 bytes")]
    ValueTooLong {
        /// The attribute (or member) name.
        name: String,
        /// The value's encoded length.
        len: usize,
    },

    /// Encoding: a delimiter byte outside 0x00-0x0F, or 0x03 inside the attribute list.
    #[error(
        "0x{tag:02x} cannot be written as a group delimiter; delimiter tags are 0x00-0x0F except 0x03 (end-of-attributes)"
    )]
    InvalidDelimiter {
        /// The offending byte.
        tag: u8,
    },

    /// Encoding: an attribute with a value tag below 0x10 (those are delimiters).
    #[error(
        "attribute '{name}' cannot be written with value tag 0x{tag:02x}; value tags are 0x10-0xFF"
    )]
    InvalidValueTag {
        /// The attribute name (lossily decoded).
        name: String,
        /// The offending byte.
        tag: u8,
    },

    /// Encoding: an attribute (or collection member) with an empty name.
    #[error(
        "an attribute in group {group} has an empty name; every attribute and collection member needs a name"
    )]
    EmptyAttributeName {
        /// The group containing it (for members: the group of the enclosing attribute).
        group: DelimiterTag,
    },

    /// Encoding: an attribute (or collection member) with no values.
    #[error("attribute '{name}' has no values; every attribute needs at least one value")]
    NoValues {
        /// The attribute (or member) name.
        name: String,
    },

    /// Encoding: `Value::OutOfBand` with a tag outside 0x10-0x1F.
    #[error("attribute '{name}' has an out-of-band value with tag {tag}, which is not an out-of-band tag (0x10-0x1F)")]
    NotOutOfBand {
        /// The attribute (or member) name.
        name: String,
        /// The tag.
        tag: ValueTag,
    },

    /// Encoding: `Value::Unknown` with a tag that has a defined meaning.
    #[error(
        "attribute '{name}' has an unknown-typed value with tag 0x{tag:02x}, but that tag has a defined syntax; use the typed value instead"
    )]
    UnknownWithKnownTag {
        /// The attribute (or member) name.
        name: String,
        /// The tag.
        tag: u8,
    },
}

impl WireError {
    /// True for [`WireError::Truncated`]: more bytes could still complete the message.
    pub fn is_truncated(&self) -> bool {
        matches!(self, WireError::Truncated { .. })
    }
}
