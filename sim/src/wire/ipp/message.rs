//! The semantic layer: groups of named, typed, possibly multi-valued attributes.
//!
//! [`Message::from_raw`] accepts exactly the well-formed raw messages and
//! reports the first violation otherwise. For every message it accepts,
//! [`Message::to_raw`] gives back the same items, so the semantic layer is
//! byte-identical on well-formed input, and `Message::from_raw(&m.to_raw()?)? == m`
//! for every message `to_raw` accepts.

use std::fmt;

use super::error::WireError;
use super::raw::{RawItem, RawMessage, MAX_FIELD_LEN};
use super::tag::{DelimiterTag, ValueTag};
use super::value::{Collection, Value};

/// Deepest collection nesting the decoder and encoder accept.
pub const MAX_COLLECTION_DEPTH: usize = 64;

const BEG_COLLECTION: u8 = 0x34;
const END_COLLECTION: u8 = 0x37;
const MEMBER_ATTR_NAME: u8 = 0x4A;

/// An IPP request or response (without its document data).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Message {
    /// version-number (major, minor), e.g. (2, 0).
    pub version: (u8, u8),
    /// operation-id (request) or status-code (response).
    pub code: u16,
    /// request-id.
    pub request_id: u32,
    /// The attribute groups in wire order; a tag may occur more than once.
    pub groups: Vec<Group>,
}

/// One attribute group: a delimiter tag and the attributes that follow it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Group {
    /// The group's delimiter tag.
    pub tag: DelimiterTag,
    /// The attributes in wire order (duplicates are kept).
    pub attributes: Vec<Attribute>,
}

/// A named attribute with one or more values (1setOf when more than one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Attribute {
    /// The attribute (or collection member) name.
    pub name: String,
    /// The values in wire order; the encoder requires at least one.
    pub values: Vec<Value>,
}

impl Attribute {
    /// An attribute with a single value.
    pub fn new(name: impl Into<String>, value: Value) -> Self {
        Attribute {
            name: name.into(),
            values: vec![value],
        }
    }

    /// An attribute with the given values (1setOf).
    pub fn with_values(name: impl Into<String>, values: Vec<Value>) -> Self {
        Attribute {
            name: name.into(),
            values,
        }
    }

    /// The first value.
    pub fn first(&self) -> Option<&Value> {
        self.values.first()
    }
}

impl fmt::Display for Attribute {
    /// `name=value1,value2` in ipptool-like value notation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=", self.name)?;
        for (i, v) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl Group {
    /// An empty group.
    pub fn new(tag: DelimiterTag) -> Self {
        Group {
            tag,
            attributes: Vec::new(),
        }
    }

    /// The first attribute with this name.
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The first attribute with this name, mutably.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Attribute> {
        self.attributes.iter_mut().find(|a| a.name == name)
    }

    /// Appends an attribute (a duplicate name is appended, not merged).
    pub fn push(&mut self, attribute: Attribute) {
        self.attributes.push(attribute);
    }
}

impl Message {
    /// A message with the given header and no groups.
    pub fn new(version: (u8, u8), code: u16, request_id: u32) -> Self {
        Message {
            version,
            code,
            request_id,
            groups: Vec::new(),
        }
    }

    /// The first group with this tag.
    pub fn group(&self, tag: DelimiterTag) -> Option<&Group> {
        self.groups.iter().find(|g| g.tag == tag)
    }

    /// The first group with this tag, mutably.
    pub fn group_mut(&mut self, tag: DelimiterTag) -> Option<&mut Group> {
        self.groups.iter_mut().find(|g| g.tag == tag)
    }

    /// Every group with this tag, in order (e.g. one job group per job in a Get-Jobs response).
    pub fn groups_of(&self, tag: DelimiterTag) -> impl Iterator<Item = &Group> + '_ {
        self.groups.iter().filter(move |g| g.tag == tag)
    }

    /// The first attribute with this name in any group with this tag.
    pub fn attr(&self, group: DelimiterTag, name: &str) -> Option<&Attribute> {
        self.groups_of(group).find_map(|g| g.get(name))
    }

    /// Appends a new empty group and returns it.
    pub fn push_group(&mut self, tag: DelimiterTag) -> &mut Group {
        let index = self.groups.len();
        self.groups.push(Group::new(tag));
        // In range: the group was just pushed (not input-dependent).
        &mut self.groups[index]
    }

    /// Parses the raw layer and then decodes it: returns the message and the
    /// number of bytes consumed (document data follows).
    pub fn parse(buf: &[u8]) -> Result<(Message, usize), WireError> {
        let (raw, len) = RawMessage::parse(buf)?;
        Ok((Message::from_raw(&raw)?, len))
    }

    /// Encodes the message (with end tag) into a new buffer. Writes the bytes
    /// directly, without building raw items first; the result is always
    /// identical to `self.to_raw()?.to_bytes()`.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(&[self.version.0, self.version.1]);
        out.extend_from_slice(&self.code.to_be_bytes());
        out.extend_from_slice(&self.request_id.to_be_bytes());
        for g in &self.groups {
            if !g.tag.is_group_tag() {
                return Err(WireError::InvalidDelimiter { tag: g.tag.to_u8() });
            }
            out.push(g.tag.to_u8());
            for a in &g.attributes {
                emit_attribute(&mut out, a, true, g.tag, 0)?;
            }
        }
        out.push(super::raw::END_OF_ATTRIBUTES_TAG);
        Ok(out)
    }

    /// Decodes a raw message, reporting the first violation of RFC 8010 §3.
    ///
    /// Byte offsets in errors are computed as if `raw` had been emitted.
    pub fn from_raw(raw: &RawMessage) -> Result<Message, WireError> {
        let [major, minor] = raw.version;
        let mut msg = Message::new((major, minor), raw.code, raw.request_id);
        let mut it = Items::new(&raw.items);
        while let Some((offset, item)) = it.next() {
            let (tag, name, value) = match item {
                RawItem::Delimiter(t) => {
                    let tag = DelimiterTag::from_u8(*t);
                    if !tag.is_group_tag() {
                        return Err(WireError::InvalidDelimiter { tag: *t });
                    }
                    msg.groups.push(Group::new(tag));
                    continue;
                }
                RawItem::Attribute { tag, name, value } => (*tag, name, value),
            };
            check_value_tag(tag, name)?;
            if name.is_empty() {
                // An additional value of the previous attribute.
                match tag {
                    END_COLLECTION => return Err(WireError::UnexpectedEndCollection { offset }),
                    MEMBER_ATTR_NAME => {
                        return Err(WireError::MemberNameOutsideCollection { offset })
                    }
                    _ => {}
                }
                let attr = msg
                    .groups
                    .last_mut()
                    .and_then(|g| g.attributes.last_mut())
                    .ok_or(WireError::AdditionalValueWithoutAttribute { offset })?;
                let v = decode_value(&mut it, offset, tag, value, &attr.name, 0)?;
                attr.values.push(v);
            } else {
                let name = String::from_utf8(name.clone())
                    .map_err(|_| WireError::InvalidName { offset })?;
                let Some(group) = msg.groups.last_mut() else {
                    return Err(WireError::AttributeOutsideGroup { offset, name });
                };
                let v = decode_value(&mut it, offset, tag, value, &name, 0)?;
                group.attributes.push(Attribute {
                    name,
                    values: vec![v],
                });
            }
        }
        if !raw.end_tag {
            return Err(WireError::Truncated {
                offset: it.offset,
                needed: 1,
                available: 0,
                what: "end-of-attributes tag",
            });
        }
        Ok(msg)
    }

    /// Encodes the message as raw items (with end tag); the inverse of [`Message::from_raw`].
    ///
    /// Fails if the message cannot be written so that it decodes to itself:
    /// a group tag that is not a canonical delimiter (0x00-0x0F except 0x03),
    /// an empty or over-long name, an attribute without values, a
    /// `Value::OutOfBand` with a non-out-of-band tag, a `Value::Unknown` with
    /// a tag that has a defined syntax, an over-long value, or collections
    /// nested deeper than [`MAX_COLLECTION_DEPTH`].
    pub fn to_raw(&self) -> Result<RawMessage, WireError> {
        // One encoder: write the bytes, then read them back as raw items.
        let bytes = self.to_bytes()?;
        RawMessage::parse(&bytes).map(|(raw, _)| raw)
    }
}

/// Rejects attribute items whose tag byte is a delimiter (possible only in a hand-built `RawMessage`).
fn check_value_tag(tag: u8, name: &[u8]) -> Result<(), WireError> {
    if tag < 0x10 {
        return Err(WireError::InvalidValueTag {
            name: String::from_utf8_lossy(name).into_owned(),
            tag,
        });
    }
    Ok(())
}

/// The raw items with their wire offsets.
struct Items<'a> {
    items: std::slice::Iter<'a, RawItem>,
    /// Offset of the next item.
    offset: usize,
}

impl<'a> Items<'a> {
    fn new(items: &'a [RawItem]) -> Self {
        Items {
            items: items.iter(),
            offset: super::raw::HEADER_LEN,
        }
    }

    fn next(&mut self) -> Option<(usize, &'a RawItem)> {
        let item = self.items.next()?;
        let offset = self.offset;
        self.offset = self.offset.saturating_add(item.wire_len());
        Some((offset, item))
    }
}

/// Decodes the value of the item at `offset` (already taken from `it`);
/// for a begCollection, also consumes the collection's items.
/// `depth` is the number of collections open around this value.
fn decode_value(
    it: &mut Items<'_>,
    offset: usize,
    tag: u8,
    value: &[u8],
    name: &str,
    depth: usize,
) -> Result<Value, WireError> {
    match tag {
        BEG_COLLECTION => {
            if !value.is_empty() {
                return Err(WireError::NonEmptyBegCollection {
                    offset,
                    name: name.to_owned(),
                    len: value.len(),
                });
            }
            if depth >= MAX_COLLECTION_DEPTH {
                return Err(WireError::CollectionTooDeep {
                    offset,
                    limit: MAX_COLLECTION_DEPTH,
                });
            }
            decode_collection(it, offset, name, depth + 1).map(Value::Collection)
        }
        END_COLLECTION => Err(WireError::UnexpectedEndCollection { offset }),
        MEMBER_ATTR_NAME => Err(WireError::MemberNameOutsideCollection { offset }),
        _ => Value::decode_scalar(tag, value, offset, name),
    }
}

/// Takes the next item inside the open collection `name` (begun at `start`):
/// its offset, tag and value. Fails on the end of the items, a delimiter or a named item.
fn collection_item<'a>(
    it: &mut Items<'a>,
    start: usize,
    name: &str,
) -> Result<(usize, u8, &'a [u8]), WireError> {
    let missing_end = |offset| WireError::MissingEndCollection {
        offset,
        start,
        name: name.to_owned(),
    };
    let end = it.offset;
    let Some((offset, item)) = it.next() else {
        return Err(missing_end(end));
    };
    match item {
        RawItem::Delimiter(_) => Err(missing_end(offset)),
        RawItem::Attribute {
            name: item_name, ..
        } if !item_name.is_empty() => Err(WireError::NamedItemInCollection {
            offset,
            name: String::from_utf8_lossy(item_name).into_owned(),
            collection: name.to_owned(),
        }),
        RawItem::Attribute {
            tag,
            name: item_name,
            value,
        } => {
            check_value_tag(*tag, item_name)?;
            Ok((offset, *tag, value))
        }
    }
}

/// Decodes the members of a collection whose begCollection item (for
/// attribute or member `name`) is at `start`, through its endCollection.
fn decode_collection(
    it: &mut Items<'_>,
    start: usize,
    name: &str,
    depth: usize,
) -> Result<Collection, WireError> {
    let mut members: Vec<Attribute> = Vec::new();
    loop {
        let (offset, tag, value) = collection_item(it, start, name)?;
        match tag {
            END_COLLECTION => {
                if !value.is_empty() {
                    return Err(WireError::NonEmptyEndCollection {
                        offset,
                        len: value.len(),
                    });
                }
                return Ok(Collection { members });
            }
            MEMBER_ATTR_NAME => {
                let member =
                    String::from_utf8(value.to_vec()).map_err(|_| WireError::InvalidUtf8 {
                        offset,
                        tag: ValueTag::MemberAttrName,
                        name: name.to_owned(),
                    })?;
                if member.is_empty() {
                    return Err(WireError::EmptyMemberName { offset });
                }
                let (voffset, vtag, vvalue) = collection_item(it, start, name)?;
                if vtag == MEMBER_ATTR_NAME || vtag == END_COLLECTION {
                    return Err(WireError::MemberWithoutValue {
                        offset: voffset,
                        member,
                    });
                }
                let v = decode_value(it, voffset, vtag, vvalue, &member, depth)?;
                members.push(Attribute {
                    name: member,
                    values: vec![v],
                });
            }
            _ => {
                let m = members
                    .last_mut()
                    .ok_or(WireError::MemberValueWithoutName { offset })?;
                let v = decode_value(it, offset, tag, value, &m.name, depth)?;
                m.values.push(v);
            }
        }
    }
}

/// Writes one attribute item, checking what the raw layer's `emit` checks.
fn emit_item(out: &mut Vec<u8>, tag: u8, name: &[u8], value: &[u8]) -> Result<(), WireError> {
    check_value_tag(tag, name)?;
    let name_len = u16::try_from(name.len()).map_err(|_| WireError::NameTooLong {
        name: String::from_utf8_lossy(name.get(..40).unwrap_or(name)).into_owned(),
        len: name.len(),
    })?;
    let value_len = u16::try_from(value.len()).map_err(|_| WireError::ValueTooLong {
        name: String::from_utf8_lossy(name).into_owned(),
        len: value.len(),
    })?;
    out.push(tag);
    out.extend_from_slice(&name_len.to_be_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&value_len.to_be_bytes());
    out.extend_from_slice(value);
    Ok(())
}

/// Writes one attribute (all its values; members for a collection member).
fn emit_attribute(
    out: &mut Vec<u8>,
    a: &Attribute,
    top: bool,
    group: DelimiterTag,
    depth: usize,
) -> Result<(), WireError> {
    if a.name.is_empty() {
        return Err(WireError::EmptyAttributeName { group });
    }
    if a.name.len() > MAX_FIELD_LEN {
        return Err(WireError::NameTooLong {
            name: a.name.chars().take(40).collect(),
            len: a.name.len(),
        });
    }
    let Some((first, rest)) = a.values.split_first() else {
        return Err(WireError::NoValues {
            name: a.name.clone(),
        });
    };
    let first_name: &[u8] = if top {
        a.name.as_bytes()
    } else {
        emit_item(out, MEMBER_ATTR_NAME, b"", a.name.as_bytes())?;
        b""
    };
    emit_value(out, first_name, first, &a.name, group, depth)?;
    for v in rest {
        emit_value(out, b"", v, &a.name, group, depth)?;
    }
    Ok(())
}

/// Writes the item(s) of one value, the first named `item_name`.
fn emit_value(
    out: &mut Vec<u8>,
    item_name: &[u8],
    v: &Value,
    name: &str,
    group: DelimiterTag,
    depth: usize,
) -> Result<(), WireError> {
    if let Value::Collection(c) = v {
        if depth >= MAX_COLLECTION_DEPTH {
            return Err(WireError::CollectionTooDeepToEncode {
                name: name.to_owned(),
                limit: MAX_COLLECTION_DEPTH,
            });
        }
        emit_item(out, BEG_COLLECTION, item_name, b"")?;
        for m in &c.members {
            emit_attribute(out, m, false, group, depth + 1)?;
        }
        emit_item(out, END_COLLECTION, b"", b"")?;
    } else if let Some((tag, bytes)) = v.encode_scalar(name)? {
        emit_item(out, tag, item_name, &bytes)?;
    }
    Ok(())
}
