//! proptest strategies for raw and semantic messages (test-only).

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::message::{Attribute, Group, Message};
use super::raw::{RawItem, RawMessage};
use super::tag::{DelimiterTag, ValueTag};
use super::value::{decodes_as_unknown, Collection, DateTime, Value};

/// A delimiter byte that may appear inside the attribute list (0x00-0x0F except 0x03).
pub fn delimiter_byte() -> impl Strategy<Value = u8> {
    (0u8..=0x0E).prop_map(|d| if d >= 3 { d + 1 } else { d })
}

/// Any emittable raw item.
pub fn raw_item() -> impl Strategy<Value = RawItem> {
    prop_oneof![
        1 => delimiter_byte().prop_map(RawItem::Delimiter),
        6 => (0x10u8..=0xFF, vec(any::<u8>(), 0..8), vec(any::<u8>(), 0..24))
            .prop_map(|(tag, name, value)| RawItem::Attribute { tag, name, value }),
    ]
}

/// Any emittable raw message with its end tag.
pub fn raw_message() -> impl Strategy<Value = RawMessage> {
    (
        any::<[u8; 2]>(),
        any::<u16>(),
        any::<u32>(),
        vec(raw_item(), 0..24),
    )
        .prop_map(|(version, code, request_id, items)| RawMessage {
            version,
            code,
            request_id,
            items,
            end_tag: true,
        })
}

/// Raw items drawn from a small structurally interesting set (collection
/// tags, member names, empty names, near-miss lengths) so that random
/// sequences reach deep into the semantic decoder.
pub fn tricky_raw_item() -> impl Strategy<Value = RawItem> {
    let tags = select(vec![
        0x34u8, 0x34, 0x37, 0x37, 0x4A, 0x4A, 0x4A, 0x21, 0x22, 0x44, 0x13, 0x35, 0x7F, 0x20, 0x31,
    ]);
    let names = select(vec![&b""[..], b"", b"", b"a", b"media-col"]);
    let values = select(vec![
        &b""[..],
        b"",
        b"x",
        b"m",
        &[0, 0, 0, 1],
        &[1],
        &[2],
        &[0, 2, b'e', b'n', 0, 1, b'x'],
        &[0xff],
    ]);
    prop_oneof![
        1 => select(vec![1u8, 2, 4, 0x0F]).prop_map(RawItem::Delimiter),
        8 => (tags, names, values).prop_map(|(tag, name, value)| RawItem::Attribute {
            tag,
            name: name.to_vec(),
            value: value.to_vec(),
        }),
    ]
}

/// A raw message made of [`tricky_raw_item`]s, starting with a group.
pub fn tricky_raw_message() -> impl Strategy<Value = RawMessage> {
    vec(tricky_raw_item(), 0..32).prop_map(|mut items| {
        items.insert(0, RawItem::Delimiter(1));
        RawMessage {
            version: [2, 0],
            code: 2,
            request_id: 1,
            items,
            end_tag: true,
        }
    })
}

/// An attribute name.
pub fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,12}"
}

/// Arbitrary (non-ASCII too) text.
pub fn text() -> impl Strategy<Value = String> {
    "(?s).{0,12}"
}

/// Any 11-byte dateTime.
pub fn date_time() -> impl Strategy<Value = DateTime> {
    any::<[u8; 11]>().prop_map(DateTime::from_bytes)
}

/// Every non-collection value type, including out-of-band and unknown tags.
pub fn scalar_value() -> impl Strategy<Value = Value> {
    let unknown_tags: Vec<u8> = (0..=u8::MAX).filter(|t| decodes_as_unknown(*t)).collect();
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        any::<bool>().prop_map(Value::Boolean),
        any::<i32>().prop_map(Value::Enum),
        vec(any::<u8>(), 0..16).prop_map(Value::OctetString),
        date_time().prop_map(Value::DateTime),
        (any::<i32>(), any::<i32>(), any::<i8>()).prop_map(|(x, y, units)| Value::Resolution {
            x,
            y,
            units
        }),
        (any::<i32>(), any::<i32>())
            .prop_map(|(lower, upper)| Value::RangeOfInteger { lower, upper }),
        (text(), text()).prop_map(|(language, text)| Value::TextWithLanguage { language, text }),
        (text(), text()).prop_map(|(language, name)| Value::NameWithLanguage { language, name }),
        text().prop_map(Value::Text),
        text().prop_map(Value::Name),
        name().prop_map(Value::Keyword),
        text().prop_map(Value::Uri),
        name().prop_map(Value::UriScheme),
        name().prop_map(Value::Charset),
        name().prop_map(Value::NaturalLanguage),
        text().prop_map(Value::MimeMediaType),
        (0x10u8..=0x1F).prop_map(|t| Value::OutOfBand(ValueTag::from_u8(t))),
        (select(unknown_tags), vec(any::<u8>(), 0..16))
            .prop_map(|(tag, bytes)| Value::Unknown { tag, bytes }),
    ]
}

/// Any value, with collections nested up to 4 deep (members may be 1setOf).
pub fn value() -> impl Strategy<Value = Value> {
    scalar_value().prop_recursive(4, 48, 4, |inner| {
        vec((name(), vec(inner, 1..3)), 0..4).prop_map(|members| {
            Value::Collection(Collection::new(
                members
                    .into_iter()
                    .map(|(n, v)| Attribute::with_values(n, v))
                    .collect(),
            ))
        })
    })
}

/// An attribute with 1 to 3 values.
pub fn attribute() -> impl Strategy<Value = Attribute> {
    (name(), vec(value(), 1..4)).prop_map(|(n, v)| Attribute::with_values(n, v))
}

/// A group with any valid delimiter tag.
pub fn group() -> impl Strategy<Value = Group> {
    (delimiter_byte(), vec(attribute(), 0..5)).prop_map(|(t, attributes)| Group {
        tag: DelimiterTag::from_u8(t),
        attributes,
    })
}

/// Any message that `to_raw` accepts.
pub fn message() -> impl Strategy<Value = Message> {
    (
        any::<(u8, u8)>(),
        any::<u16>(),
        any::<u32>(),
        vec(group(), 0..4),
    )
        .prop_map(|(version, code, request_id, groups)| Message {
            version,
            code,
            request_id,
            groups,
        })
}
