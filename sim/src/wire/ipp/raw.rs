//! The lossless layer: an IPP message as the exact sequence of items on the wire.
//!
//! [`RawMessage::parse`] followed by [`RawMessage::emit`] reproduces the
//! parsed bytes exactly, whatever they mean: duplicate attributes, groups in
//! any order, unknown tags, broken collections are all kept as they are.
//! The only thing the raw layer rejects is a message that ends too early.

use super::error::WireError;

/// The end-of-attributes tag byte.
pub const END_OF_ATTRIBUTES_TAG: u8 = 0x03;

/// Size of the fixed message header: version (2), operation-id/status-code (2), request-id (4).
pub const HEADER_LEN: usize = 8;

/// Largest name or value length a 2-byte length field can carry.
pub const MAX_FIELD_LEN: usize = u16::MAX as usize;

/// One IPP message header (version through end-of-attributes tag), item by item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RawMessage {
    /// version-number: major, minor.
    pub version: [u8; 2],
    /// operation-id (request) or status-code (response).
    pub code: u16,
    /// request-id.
    pub request_id: u32,
    /// The delimiters and attribute items between the header and the end tag.
    pub items: Vec<RawItem>,
    /// Whether the end-of-attributes tag is written. [`RawMessage::parse`]
    /// always requires it (and sets `true`); `false` lets a fault injector
    /// emit a message whose end tag is dropped.
    pub end_tag: bool,
}

/// One item of the attribute list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RawItem {
    /// A delimiter tag byte, 0x00-0x0F except 0x03 (which ends the list).
    Delimiter(u8),
    /// An attribute-with-one-value item: value tag (0x10-0xFF), name, value.
    /// An empty name marks an additional value or a collection item.
    Attribute {
        /// The value tag byte.
        tag: u8,
        /// The name bytes (empty for additional values and collection items).
        name: Vec<u8>,
        /// The value bytes.
        value: Vec<u8>,
    },
}

impl RawItem {
    /// Convenience constructor for [`RawItem::Attribute`].
    pub fn attribute(tag: u8, name: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Self {
        RawItem::Attribute {
            tag,
            name: name.into(),
            value: value.into(),
        }
    }

    /// Number of bytes this item occupies on the wire (saturating).
    pub fn wire_len(&self) -> usize {
        match self {
            RawItem::Delimiter(_) => 1,
            RawItem::Attribute { name, value, .. } => 5usize
                .saturating_add(name.len())
                .saturating_add(value.len()),
        }
    }

    /// Appends this item's bytes to `out`. On error nothing is written.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        match self {
            RawItem::Delimiter(tag) => {
                if *tag > 0x0F || *tag == END_OF_ATTRIBUTES_TAG {
                    return Err(WireError::InvalidDelimiter { tag: *tag });
                }
                out.push(*tag);
            }
            RawItem::Attribute { tag, name, value } => {
                if *tag < 0x10 {
                    return Err(WireError::InvalidValueTag {
                        name: String::from_utf8_lossy(name).into_owned(),
                        tag: *tag,
                    });
                }
                let name_len = u16::try_from(name.len()).map_err(|_| WireError::NameTooLong {
                    name: String::from_utf8_lossy(name.get(..40).unwrap_or(name)).into_owned(),
                    len: name.len(),
                })?;
                let value_len =
                    u16::try_from(value.len()).map_err(|_| WireError::ValueTooLong {
                        name: String::from_utf8_lossy(name).into_owned(),
                        len: value.len(),
                    })?;
                out.push(*tag);
                out.extend_from_slice(&name_len.to_be_bytes());
                out.extend_from_slice(name);
                out.extend_from_slice(&value_len.to_be_bytes());
                out.extend_from_slice(value);
            }
        }
        Ok(())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for RawItem {
    /// Generates only items that [`RawItem::emit`] accepts (apart from
    /// oversized names/values): delimiters 0x00-0x0F except 0x03, value tags 0x10-0xFF.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.ratio(1u8, 8u8)? {
            let d: u8 = u.int_in_range(0..=0x0E)?;
            Ok(RawItem::Delimiter(if d >= END_OF_ATTRIBUTES_TAG {
                d + 1
            } else {
                d
            }))
        } else {
            Ok(RawItem::Attribute {
                tag: u.int_in_range(0x10..=0xFF)?,
                name: arbitrary::Arbitrary::arbitrary(u)?,
                value: arbitrary::Arbitrary::arbitrary(u)?,
            })
        }
    }
}

/// A borrowed item, as the scanner sees it.
#[derive(Debug, Clone, Copy)]
enum ItemRef<'a> {
    Delimiter(u8),
    Attribute {
        tag: u8,
        name: &'a [u8],
        value: &'a [u8],
    },
    End,
}

/// A bounds-checked reader over the input buffer.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        match rest.get(..n) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(WireError::Truncated {
                offset: self.pos,
                needed: n,
                available: rest.len(),
                what,
            }),
        }
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        let b = self.take(1, what)?;
        Ok(b.first().copied().unwrap_or_default())
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, WireError> {
        let b = self.take(2, what)?;
        let arr: [u8; 2] = b.try_into().unwrap_or_default();
        Ok(u16::from_be_bytes(arr))
    }

    fn header(&mut self) -> Result<([u8; 2], u16, u32), WireError> {
        let h = self.take(HEADER_LEN, "message header (version, code, request-id)")?;
        let arr: [u8; HEADER_LEN] = h.try_into().unwrap_or_default();
        let [v0, v1, c0, c1, r0, r1, r2, r3] = arr;
        Ok((
            [v0, v1],
            u16::from_be_bytes([c0, c1]),
            u32::from_be_bytes([r0, r1, r2, r3]),
        ))
    }

    fn item(&mut self) -> Result<ItemRef<'a>, WireError> {
        let tag = self.u8("next tag (delimiter, value tag or end-of-attributes tag 0x03)")?;
        if tag == END_OF_ATTRIBUTES_TAG {
            return Ok(ItemRef::End);
        }
        if tag <= 0x0F {
            return Ok(ItemRef::Delimiter(tag));
        }
        let name_len = self.u16("name length")?;
        let name = self.take(usize::from(name_len), "attribute name")?;
        let value_len = self.u16("value length")?;
        let value = self.take(usize::from(value_len), "attribute value")?;
        Ok(ItemRef::Attribute { tag, name, value })
    }
}

impl RawMessage {
    /// A message with the given header, no items and the end tag.
    pub fn new(version: [u8; 2], code: u16, request_id: u32) -> Self {
        RawMessage {
            version,
            code,
            request_id,
            items: Vec::new(),
            end_tag: true,
        }
    }

    /// Is a whole message header (through the end-of-attributes tag) in `buf`?
    ///
    /// `Ok(Some(len))`: yes, and it is `len` bytes long (document data starts
    /// at `len`); `Ok(None)`: need more bytes; `Err`: malformed already.
    /// Does not allocate. The raw layer accepts every byte sequence that
    /// reaches an end tag, so this currently never returns `Err`; callers
    /// should still handle it (a future size limit would report there).
    pub fn check(buf: &[u8]) -> Result<Option<usize>, WireError> {
        let mut r = Reader { buf, pos: 0 };
        let scan = |r: &mut Reader<'_>| -> Result<usize, WireError> {
            r.header()?;
            loop {
                if let ItemRef::End = r.item()? {
                    return Ok(r.pos);
                }
            }
        };
        match scan(&mut r) {
            Ok(len) => Ok(Some(len)),
            Err(e) if e.is_truncated() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Parses one message; returns it and the number of bytes consumed
    /// (document data follows). A strict prefix of a message fails with
    /// [`WireError::Truncated`].
    pub fn parse(buf: &[u8]) -> Result<(RawMessage, usize), WireError> {
        let mut r = Reader { buf, pos: 0 };
        let (version, code, request_id) = r.header()?;
        let mut items = Vec::new();
        loop {
            match r.item()? {
                ItemRef::End => break,
                ItemRef::Delimiter(t) => items.push(RawItem::Delimiter(t)),
                ItemRef::Attribute { tag, name, value } => items.push(RawItem::Attribute {
                    tag,
                    name: name.to_vec(),
                    value: value.to_vec(),
                }),
            }
        }
        Ok((
            RawMessage {
                version,
                code,
                request_id,
                items,
                end_tag: true,
            },
            r.pos,
        ))
    }

    /// Appends the message's bytes to `out`: byte-identical to what
    /// [`RawMessage::parse`] read. Writes the end tag 0x03 only if `end_tag`.
    ///
    /// Fails (writing nothing) if an item cannot be represented: a name or
    /// value over 65535 bytes, a delimiter outside 0x00-0x0F or equal to
    /// 0x03, or an attribute tag below 0x10.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let start = out.len();
        out.reserve(self.buffer_len());
        let result = self.emit_inner(out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn emit_inner(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        out.extend_from_slice(&self.version);
        out.extend_from_slice(&self.code.to_be_bytes());
        out.extend_from_slice(&self.request_id.to_be_bytes());
        for item in &self.items {
            item.emit(out)?;
        }
        if self.end_tag {
            out.push(END_OF_ATTRIBUTES_TAG);
        }
        Ok(())
    }

    /// The message's bytes in a new buffer (see [`RawMessage::emit`]).
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::new();
        self.emit(&mut out)?;
        Ok(out)
    }

    /// Number of bytes [`RawMessage::emit`] writes (saturating).
    pub fn buffer_len(&self) -> usize {
        self.items
            .iter()
            .fold(HEADER_LEN, |acc, i| acc.saturating_add(i.wire_len()))
            .saturating_add(usize::from(self.end_tag))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn minimal_message() {
        let bytes = [2, 0, 0, 0x0b, 0, 0, 0, 7, 1, 3, 0xAA];
        let (m, n) = RawMessage::parse(&bytes).unwrap();
        assert_eq!(n, 10);
        assert_eq!(m.version, [2, 0]);
        assert_eq!(m.code, 0x0b);
        assert_eq!(m.request_id, 7);
        assert_eq!(m.items, vec![RawItem::Delimiter(1)]);
        assert_eq!(RawMessage::check(&bytes), Ok(Some(10)));
        assert_eq!(m.to_bytes().unwrap(), &bytes[..10]);
        assert_eq!(m.buffer_len(), 10);
    }

    #[test]
    fn truncation_reports_what_is_missing() {
        let err = RawMessage::parse(&[1, 1, 0]).unwrap_err();
        assert_eq!(
            err,
            WireError::Truncated {
                offset: 0,
                needed: 8,
                available: 3,
                what: "message header (version, code, request-id)"
            }
        );
        // value length says 4 but only 2 bytes follow
        let bytes = [1, 1, 0, 2, 0, 0, 0, 1, 1, 0x21, 0, 1, b'a', 0, 4, 0, 0];
        match RawMessage::parse(&bytes).unwrap_err() {
            WireError::Truncated {
                offset,
                needed,
                available,
                what,
            } => {
                assert_eq!((offset, needed, available), (15, 4, 2));
                assert_eq!(what, "attribute value");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(RawMessage::check(&bytes), Ok(None));
        assert!(err.to_string().contains("truncated"));
    }

    #[test]
    fn missing_end_tag_is_truncated() {
        let bytes = [1, 1, 0, 2, 0, 0, 0, 1, 1];
        assert!(RawMessage::parse(&bytes).unwrap_err().is_truncated());
        assert_eq!(RawMessage::check(&bytes), Ok(None));
    }

    #[test]
    fn end_tag_can_be_dropped_on_emit() {
        let mut m = RawMessage::new([1, 1], 2, 1);
        m.items.push(RawItem::Delimiter(1));
        m.end_tag = false;
        assert_eq!(m.to_bytes().unwrap(), vec![1, 1, 0, 2, 0, 0, 0, 1, 1]);
        assert_eq!(m.buffer_len(), 9);
    }

    #[test]
    fn emit_rejects_unrepresentable_items() {
        let mut out = vec![0xEE];
        let mut m = RawMessage::new([1, 1], 2, 1);
        m.items.push(RawItem::Delimiter(1));
        m.items.push(RawItem::attribute(
            0x30,
            "big",
            vec![0u8; MAX_FIELD_LEN + 1],
        ));
        assert_eq!(
            m.emit(&mut out),
            Err(WireError::ValueTooLong {
                name: "big".into(),
                len: MAX_FIELD_LEN + 1
            })
        );
        assert_eq!(out, vec![0xEE], "nothing written on error");

        m.items.pop();
        m.items
            .push(RawItem::attribute(0x41, vec![b'n'; MAX_FIELD_LEN + 1], "v"));
        assert!(matches!(
            m.emit(&mut out),
            Err(WireError::NameTooLong { len, .. }) if len == MAX_FIELD_LEN + 1
        ));
        m.items.pop();
        m.items.push(RawItem::Delimiter(3));
        assert_eq!(
            m.emit(&mut out),
            Err(WireError::InvalidDelimiter { tag: 3 })
        );
        m.items.pop();
        m.items.push(RawItem::Delimiter(0x10));
        assert_eq!(
            m.emit(&mut out),
            Err(WireError::InvalidDelimiter { tag: 0x10 })
        );
        m.items.pop();
        m.items.push(RawItem::attribute(0x0F, "x", ""));
        assert!(matches!(
            m.emit(&mut out),
            Err(WireError::InvalidValueTag { tag: 0x0F, .. })
        ));
        // the largest representable value is fine
        m.items.pop();
        m.items
            .push(RawItem::attribute(0x30, "max", vec![7u8; MAX_FIELD_LEN]));
        let bytes = m.to_bytes().unwrap();
        assert_eq!(bytes.len(), m.buffer_len());
        assert_eq!(RawMessage::parse(&bytes).unwrap(), (m, bytes.len()));
    }

    #[test]
    fn keeps_unknown_and_reserved_tags() {
        // delimiter 0x00 and 0x0F, value tags 0x7F (extension) and 0xFF
        let bytes = [
            1, 1, 0, 2, 0, 0, 0, 1, 0x00, 0x0F, 0x7F, 0, 1, b'x', 0, 5, 0, 0, 0, 0x99, 0xAB, 0xFF,
            0, 0, 0, 0, 3,
        ];
        let (m, n) = RawMessage::parse(&bytes).unwrap();
        assert_eq!(n, bytes.len());
        assert_eq!(
            m.items,
            vec![
                RawItem::Delimiter(0),
                RawItem::Delimiter(0x0F),
                RawItem::attribute(0x7F, "x", vec![0, 0, 0, 0x99, 0xAB]),
                RawItem::attribute(0xFF, "", ""),
            ]
        );
        assert_eq!(m.to_bytes().unwrap(), bytes);
    }
}
