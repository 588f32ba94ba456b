//! Integration tests: RFC 8010 Appendix A examples, violation reports,
//! property tests and fixture round trips.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::fuzz::{fuzz_decode, fuzz_message, fuzz_raw};
use super::strategies;
use super::{
    Attribute, Collection, DelimiterTag, Group, Message, RawItem, RawMessage, Value, ValueTag,
    WireError, MAX_COLLECTION_DEPTH,
};

// ---------------------------------------------------------------------------
// RFC 8010 Appendix A style examples, written out byte by byte.
// ---------------------------------------------------------------------------

/// RFC 8010 A.1: Print-Job request with document data after the end tag.
static PRINT_JOB_REQUEST: &[u8] = b"\x01\x01\x00\x02\x00\x00\x00\x01\
\x01\
\x47\x00\x12attributes-charset\x00\x05utf-8\
\x48\x00\x1battributes-natural-language\x00\x05en-us\
\x45\x00\x0bprinter-uri\x00\x2cipp://printer.example.com/ipp/print/pinetree\
\x42\x00\x08job-name\x00\x06foobar\
\x22\x00\x16ipp-attribute-fidelity\x00\x01\x01\
\x02\
\x21\x00\x06copies\x00\x04\x00\x00\x00\x14\
\x44\x00\x05sides\x00\x13two-sided-long-edge\
\x03\
%!PS-Adobe-3.0\n";

/// RFC 8010 A.2: Print-Job response (successful).
static PRINT_JOB_RESPONSE: &[u8] = b"\x01\x01\x00\x00\x00\x00\x00\x01\
\x01\
\x47\x00\x12attributes-charset\x00\x05utf-8\
\x48\x00\x1battributes-natural-language\x00\x05en-us\
\x41\x00\x0estatus-message\x00\x0dsuccessful-ok\
\x02\
\x21\x00\x06job-id\x00\x04\x00\x00\x00\x93\
\x45\x00\x07job-uri\x00\x30ipp://printer.example.com/ipp/print/pinetree/147\
\x23\x00\x09job-state\x00\x04\x00\x00\x00\x03\
\x03";

/// RFC 8010 A.7 style: Get-Jobs request with a 1setOf keyword.
static GET_JOBS_REQUEST: &[u8] = b"\x01\x01\x00\x0a\x00\x00\x00\x7b\
\x01\
\x47\x00\x12attributes-charset\x00\x05utf-8\
\x48\x00\x1battributes-natural-language\x00\x05en-us\
\x45\x00\x0bprinter-uri\x00\x2cipp://printer.example.com/ipp/print/pinetree\
\x21\x00\x05limit\x00\x04\x00\x00\x00\x32\
\x44\x00\x14requested-attributes\x00\x06job-id\
\x44\x00\x00\x00\x08job-name\
\x44\x00\x00\x00\x0fdocument-format\
\x03";

/// RFC 8010 A.8 style: Get-Jobs response, one job group per job, nameWithLanguage.
static GET_JOBS_RESPONSE: &[u8] = b"\x01\x01\x00\x00\x00\x00\x00\x7b\
\x01\
\x47\x00\x12attributes-charset\x00\x05utf-8\
\x48\x00\x1battributes-natural-language\x00\x05en-us\
\x41\x00\x0estatus-message\x00\x0dsuccessful-ok\
\x02\
\x21\x00\x06job-id\x00\x04\x00\x00\x00\x93\
\x36\x00\x08job-name\x00\x0c\x00\x05fr-ca\x00\x03fou\
\x02\
\x21\x00\x06job-id\x00\x04\x00\x00\x00\x94\
\x36\x00\x08job-name\x00\x12\x00\x05de-CH\x00\x09isch guet\
\x03";

/// Validate-Job (IPP/2.0) with media-col containing a nested media-size collection.
static MEDIA_COL_REQUEST: &[u8] = b"\x02\x00\x00\x04\x00\x00\x00\x05\
\x01\
\x47\x00\x12attributes-charset\x00\x05utf-8\
\x48\x00\x1battributes-natural-language\x00\x05en-us\
\x45\x00\x0bprinter-uri\x00\x2cipp://printer.example.com/ipp/print/pinetree\
\x02\
\x34\x00\x09media-col\x00\x00\
\x4a\x00\x00\x00\x0amedia-size\
\x34\x00\x00\x00\x00\
\x4a\x00\x00\x00\x0bx-dimension\
\x21\x00\x00\x00\x04\x00\x00\x52\x08\
\x4a\x00\x00\x00\x0by-dimension\
\x21\x00\x00\x00\x04\x00\x00\x74\x04\
\x37\x00\x00\x00\x00\
\x4a\x00\x00\x00\x0amedia-type\
\x44\x00\x00\x00\x0astationery\
\x37\x00\x00\x00\x00\
\x03";

/// Printer attributes with a 1setOf collection whose member is 1setOf, and an out-of-band value.
static MEDIA_COL_DATABASE_RESPONSE: &[u8] = b"\x02\x00\x00\x00\x00\x00\x00\x06\
\x01\
\x47\x00\x12attributes-charset\x00\x05utf-8\
\x48\x00\x1battributes-natural-language\x00\x05en-us\
\x04\
\x34\x00\x12media-col-database\x00\x00\
\x4a\x00\x00\x00\x0bmedia-color\
\x44\x00\x00\x00\x05white\
\x37\x00\x00\x00\x00\
\x34\x00\x00\x00\x00\
\x4a\x00\x00\x00\x0cmedia-source\
\x44\x00\x00\x00\x04auto\
\x44\x00\x00\x00\x06tray-1\
\x37\x00\x00\x00\x00\
\x13\x00\x0dprinter-alert\x00\x00\
\x03";

/// Every example, for the generic checks.
static EXAMPLES: &[(&str, &[u8])] = &[
    ("print-job-request", PRINT_JOB_REQUEST),
    ("print-job-response", PRINT_JOB_RESPONSE),
    ("get-jobs-request", GET_JOBS_REQUEST),
    ("get-jobs-response", GET_JOBS_RESPONSE),
    ("media-col-request", MEDIA_COL_REQUEST),
    ("media-col-database-response", MEDIA_COL_DATABASE_RESPONSE),
];

fn kw(s: &str) -> Value {
    Value::Keyword(s.into())
}

/// The operation attributes every example starts with.
fn op_group(uri: bool) -> Group {
    let mut g = Group::new(DelimiterTag::OperationAttributes);
    g.push(Attribute::new(
        "attributes-charset",
        Value::Charset("utf-8".into()),
    ));
    g.push(Attribute::new(
        "attributes-natural-language",
        Value::NaturalLanguage("en-us".into()),
    ));
    if uri {
        g.push(Attribute::new(
            "printer-uri",
            Value::Uri("ipp://printer.example.com/ipp/print/pinetree".into()),
        ));
    }
    g
}

#[test]
fn print_job_request_deconstruct() {
    let (raw, len) = RawMessage::parse(PRINT_JOB_REQUEST).unwrap();
    assert_eq!(len, 227);
    assert_eq!(&PRINT_JOB_REQUEST[len..], b"%!PS-Adobe-3.0\n");
    assert_eq!(RawMessage::check(PRINT_JOB_REQUEST), Ok(Some(227)));
    assert_eq!(raw.version, [1, 1]);
    assert_eq!(raw.code, 0x0002);
    assert_eq!(raw.request_id, 1);
    assert_eq!(raw.items.len(), 9);
    assert_eq!(raw.items[0], RawItem::Delimiter(0x01));
    assert_eq!(
        raw.items[1],
        RawItem::attribute(0x47, "attributes-charset", "utf-8")
    );
    assert_eq!(
        raw.items[5],
        RawItem::attribute(0x22, "ipp-attribute-fidelity", [1])
    );
    assert_eq!(raw.items[6], RawItem::Delimiter(0x02));
    assert_eq!(
        raw.items[7],
        RawItem::attribute(0x21, "copies", [0, 0, 0, 20])
    );
    let mut out = Vec::new();
    raw.emit(&mut out).unwrap();
    assert_eq!(out, &PRINT_JOB_REQUEST[..len]);

    let (m, len2) = Message::parse(PRINT_JOB_REQUEST).unwrap();
    assert_eq!(len2, len);
    assert_eq!(m.version, (1, 1));
    assert_eq!(m.code, 2);
    assert_eq!(m.groups.len(), 2);
    let op = m.group(DelimiterTag::OperationAttributes).unwrap();
    assert_eq!(op.attributes.len(), 5);
    assert_eq!(
        op.get("printer-uri").unwrap().first().unwrap().as_str(),
        Some("ipp://printer.example.com/ipp/print/pinetree")
    );
    assert_eq!(
        op.get("job-name").unwrap().values,
        vec![Value::Name("foobar".into())]
    );
    assert_eq!(
        m.attr(DelimiterTag::OperationAttributes, "ipp-attribute-fidelity")
            .and_then(|a| a.first())
            .and_then(Value::as_bool),
        Some(true)
    );
    assert_eq!(
        m.attr(DelimiterTag::JobAttributes, "copies")
            .and_then(|a| a.first())
            .and_then(Value::as_i32),
        Some(20)
    );
    assert_eq!(
        m.attr(DelimiterTag::JobAttributes, "sides").unwrap().values,
        vec![kw("two-sided-long-edge")]
    );
    assert!(m
        .attr(DelimiterTag::OperationAttributes, "copies")
        .is_none());
}

#[test]
fn print_job_request_construct() {
    let mut op = op_group(true);
    op.push(Attribute::new("job-name", Value::Name("foobar".into())));
    op.push(Attribute::new(
        "ipp-attribute-fidelity",
        Value::Boolean(true),
    ));
    let mut m = Message::new((1, 1), 0x0002, 1);
    m.groups.push(op);
    let job = m.push_group(DelimiterTag::JobAttributes);
    job.push(Attribute::new("copies", Value::Integer(20)));
    job.push(Attribute::new("sides", kw("two-sided-long-edge")));
    let mut bytes = m.to_bytes().unwrap();
    bytes.extend_from_slice(b"%!PS-Adobe-3.0\n");
    assert_eq!(bytes, PRINT_JOB_REQUEST);
}

#[test]
fn print_job_response_pair() {
    let mut m = Message::new((1, 1), 0x0000, 1);
    let mut op = op_group(false);
    op.push(Attribute::new(
        "status-message",
        Value::Text("successful-ok".into()),
    ));
    m.groups.push(op);
    let job = m.push_group(DelimiterTag::JobAttributes);
    job.push(Attribute::new("job-id", Value::Integer(147)));
    job.push(Attribute::new(
        "job-uri",
        Value::Uri("ipp://printer.example.com/ipp/print/pinetree/147".into()),
    ));
    job.push(Attribute::new("job-state", Value::Enum(3)));
    assert_eq!(m.to_bytes().unwrap(), PRINT_JOB_RESPONSE);
    let (parsed, len) = Message::parse(PRINT_JOB_RESPONSE).unwrap();
    assert_eq!(len, PRINT_JOB_RESPONSE.len());
    assert_eq!(parsed, m);
    assert_eq!(
        parsed
            .attr(DelimiterTag::JobAttributes, "job-state")
            .unwrap()
            .to_string(),
        "job-state=3"
    );
}

#[test]
fn get_jobs_request_pair() {
    let (m, _) = Message::parse(GET_JOBS_REQUEST).unwrap();
    assert_eq!(m.code, 0x000A);
    assert_eq!(m.request_id, 123);
    let req = m
        .attr(DelimiterTag::OperationAttributes, "requested-attributes")
        .unwrap();
    assert_eq!(
        req.values,
        vec![kw("job-id"), kw("job-name"), kw("document-format")]
    );
    assert_eq!(
        req.to_string(),
        "requested-attributes=job-id,job-name,document-format"
    );
    // the additional values are empty-named raw items
    let (raw, _) = RawMessage::parse(GET_JOBS_REQUEST).unwrap();
    assert_eq!(
        raw.items[6],
        RawItem::attribute(0x44, "", "job-name"),
        "1setOf additional value"
    );

    let mut expected = Message::new((1, 1), 0x000A, 123);
    let mut op = op_group(true);
    op.push(Attribute::new("limit", Value::Integer(50)));
    op.push(Attribute::with_values(
        "requested-attributes",
        vec![kw("job-id"), kw("job-name"), kw("document-format")],
    ));
    expected.groups.push(op);
    assert_eq!(m, expected);
    assert_eq!(expected.to_bytes().unwrap(), GET_JOBS_REQUEST);
}

#[test]
fn get_jobs_response_pair() {
    let (m, _) = Message::parse(GET_JOBS_RESPONSE).unwrap();
    let jobs: Vec<&Group> = m.groups_of(DelimiterTag::JobAttributes).collect();
    assert_eq!(jobs.len(), 2);
    assert_eq!(
        jobs[0].get("job-id").unwrap().first(),
        Some(&Value::Integer(147))
    );
    assert_eq!(
        jobs[1].get("job-name").unwrap().first(),
        Some(&Value::NameWithLanguage {
            language: "de-CH".into(),
            name: "isch guet".into()
        })
    );
    assert_eq!(
        jobs[0].get("job-name").unwrap().first().unwrap().as_str(),
        Some("fou")
    );

    let mut expected = Message::new((1, 1), 0, 123);
    let mut op = op_group(false);
    op.push(Attribute::new(
        "status-message",
        Value::Text("successful-ok".into()),
    ));
    expected.groups.push(op);
    for (id, lang, name) in [(147, "fr-ca", "fou"), (148, "de-CH", "isch guet")] {
        let g = expected.push_group(DelimiterTag::JobAttributes);
        g.push(Attribute::new("job-id", Value::Integer(id)));
        g.push(Attribute::new(
            "job-name",
            Value::NameWithLanguage {
                language: lang.into(),
                name: name.into(),
            },
        ));
    }
    assert_eq!(m, expected);
    assert_eq!(expected.to_bytes().unwrap(), GET_JOBS_RESPONSE);
}

fn media_col() -> Value {
    Value::Collection(Collection::new(vec![
        Attribute::new(
            "media-size",
            Value::Collection(Collection::new(vec![
                Attribute::new("x-dimension", Value::Integer(21000)),
                Attribute::new("y-dimension", Value::Integer(29700)),
            ])),
        ),
        Attribute::new("media-type", kw("stationery")),
    ]))
}

#[test]
fn media_col_pair() {
    let (m, len) = Message::parse(MEDIA_COL_REQUEST).unwrap();
    assert_eq!(len, MEDIA_COL_REQUEST.len());
    assert_eq!(m.version, (2, 0));
    let mc = m.attr(DelimiterTag::JobAttributes, "media-col").unwrap();
    assert_eq!(mc.values.len(), 1);
    let c = mc.first().unwrap().as_collection().unwrap();
    assert_eq!(c.members.len(), 2);
    let size = c.get("media-size").unwrap().first().unwrap();
    assert_eq!(
        size.as_collection()
            .unwrap()
            .get("y-dimension")
            .unwrap()
            .first(),
        Some(&Value::Integer(29700))
    );
    assert_eq!(
        mc.to_string(),
        "media-col={media-size={x-dimension=21000 y-dimension=29700} media-type=stationery}"
    );

    let mut expected = Message::new((2, 0), 4, 5);
    expected.groups.push(op_group(true));
    expected
        .push_group(DelimiterTag::JobAttributes)
        .push(Attribute::new("media-col", media_col()));
    assert_eq!(m, expected);
    assert_eq!(expected.to_bytes().unwrap(), MEDIA_COL_REQUEST);
    let (raw, _) = RawMessage::parse(MEDIA_COL_REQUEST).unwrap();
    assert_eq!(raw.to_bytes().unwrap(), MEDIA_COL_REQUEST);
    assert_eq!(expected.to_raw().unwrap(), raw);
}

#[test]
fn media_col_database_pair() {
    let (m, _) = Message::parse(MEDIA_COL_DATABASE_RESPONSE).unwrap();
    let db = m
        .attr(DelimiterTag::PrinterAttributes, "media-col-database")
        .unwrap();
    assert_eq!(db.values.len(), 2, "1setOf collection");
    let second = db.values[1].as_collection().unwrap();
    assert_eq!(
        second.get("media-source").unwrap().values,
        vec![kw("auto"), kw("tray-1")],
        "1setOf member"
    );
    assert_eq!(
        m.attr(DelimiterTag::PrinterAttributes, "printer-alert")
            .unwrap()
            .values,
        vec![Value::OutOfBand(ValueTag::NoValue)]
    );

    let mut expected = Message::new((2, 0), 0, 6);
    expected.groups.push(op_group(false));
    let printer = expected.push_group(DelimiterTag::PrinterAttributes);
    printer.push(Attribute::with_values(
        "media-col-database",
        vec![
            Value::Collection(Collection::new(vec![Attribute::new(
                "media-color",
                kw("white"),
            )])),
            Value::Collection(Collection::new(vec![Attribute::with_values(
                "media-source",
                vec![kw("auto"), kw("tray-1")],
            )])),
        ],
    ));
    printer.push(Attribute::new(
        "printer-alert",
        Value::OutOfBand(ValueTag::NoValue),
    ));
    assert_eq!(m, expected);
    assert_eq!(expected.to_bytes().unwrap(), MEDIA_COL_DATABASE_RESPONSE);
}

#[test]
fn examples_survive_every_invariant() {
    for (name, bytes) in EXAMPLES {
        fuzz_decode(bytes);
        let (raw, len) = RawMessage::parse(bytes).unwrap();
        assert_eq!(raw.buffer_len(), len, "{name}");
        for cut in 0..len {
            assert!(
                RawMessage::parse(&bytes[..cut]).unwrap_err().is_truncated(),
                "{name} cut at {cut}"
            );
            assert_eq!(RawMessage::check(&bytes[..cut]), Ok(None), "{name}");
        }
    }
}

// ---------------------------------------------------------------------------
// Violations: one test per error variant, with exact offsets.
// ---------------------------------------------------------------------------

fn raw(items: Vec<RawItem>) -> RawMessage {
    let mut m = RawMessage::new([2, 0], 2, 1);
    m.items = items;
    m
}

fn a(tag: u8, name: &str, value: &[u8]) -> RawItem {
    RawItem::attribute(tag, name, value)
}

fn decode(items: Vec<RawItem>) -> Result<Message, WireError> {
    let r = raw(items);
    let result = Message::from_raw(&r);
    // the byte path must agree with the item path
    let bytes = r.to_bytes().unwrap();
    assert_eq!(Message::parse(&bytes).map(|(m, _)| m), result);
    result
}

const D1: RawItem = RawItem::Delimiter(1);

#[test]
fn error_messages_are_actionable() {
    let err = decode(vec![D1, a(0x21, "copies", &[0, 0, 20])]).unwrap_err();
    assert_eq!(
        err,
        WireError::BadValueLength {
            offset: 9,
            tag: ValueTag::Integer,
            name: "copies".into(),
            expected: 4,
            actual: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "attribute 'copies' at byte 9 has value length 3, integer needs 4"
    );
    // in the RFC example, copies is the item at byte 182
    let (mut r, _) = RawMessage::parse(PRINT_JOB_REQUEST).unwrap();
    r.items[7] = a(0x21, "copies", &[0, 0, 20]);
    assert_eq!(
        Message::from_raw(&r).unwrap_err().to_string(),
        "attribute 'copies' at byte 182 has value length 3, integer needs 4"
    );
}

#[test]
fn group_structure_violations() {
    assert_eq!(
        decode(vec![a(0x21, "copies", &[0, 0, 0, 1])]),
        Err(WireError::AttributeOutsideGroup {
            offset: 8,
            name: "copies".into()
        })
    );
    assert_eq!(
        decode(vec![D1, a(0x44, "", b"x")]),
        Err(WireError::AdditionalValueWithoutAttribute { offset: 9 })
    );
    // a new group does not continue the previous group's attribute
    assert_eq!(
        decode(vec![
            D1,
            a(0x44, "k", b"x"),
            RawItem::Delimiter(2),
            a(0x44, "", b"y")
        ]),
        Err(WireError::AdditionalValueWithoutAttribute { offset: 17 })
    );
    assert_eq!(
        decode(vec![D1, a(0x44, "\u{0}\u{ff}", b"x")]).map(|_| ()),
        Ok(()),
        "odd but valid UTF-8 names are kept"
    );
    let mut r = raw(vec![D1, a(0x44, "", b"")]);
    r.items[1] = RawItem::Attribute {
        tag: 0x44,
        name: vec![0xC3],
        value: vec![],
    };
    assert_eq!(
        Message::from_raw(&r),
        Err(WireError::InvalidName { offset: 9 })
    );
    // duplicate groups and attributes are kept in order
    let m = decode(vec![
        D1,
        a(0x44, "k", b"a"),
        a(0x44, "k", b"b"),
        RawItem::Delimiter(1),
        RawItem::Delimiter(0x0F),
    ])
    .unwrap();
    assert_eq!(m.groups.len(), 3);
    assert_eq!(m.groups[0].attributes.len(), 2);
    assert_eq!(m.groups[2].tag, DelimiterTag::Unknown(0x0F));
    // hand-built raw messages with impossible items
    assert_eq!(
        Message::from_raw(&raw(vec![RawItem::Delimiter(0x21)])),
        Err(WireError::InvalidDelimiter { tag: 0x21 })
    );
    assert!(matches!(
        Message::from_raw(&raw(vec![D1, a(0x05, "x", b"")])),
        Err(WireError::InvalidValueTag { tag: 0x05, .. })
    ));
    let mut r = raw(vec![D1]);
    r.end_tag = false;
    assert!(Message::from_raw(&r).unwrap_err().is_truncated());
}

#[test]
fn value_violations() {
    assert_eq!(
        decode(vec![D1, a(0x22, "b", &[2])]),
        Err(WireError::BadBoolean {
            offset: 9,
            name: "b".into(),
            byte: 2
        })
    );
    assert!(matches!(
        decode(vec![D1, a(0x22, "b", &[])]),
        Err(WireError::BadValueLength {
            expected: 1,
            actual: 0,
            ..
        })
    ));
    for (tag, len) in [(0x23u8, 4usize), (0x31, 11), (0x32, 9), (0x33, 8)] {
        let err = decode(vec![D1, a(tag, "v", &vec![0; len + 1])]).unwrap_err();
        assert_eq!(
            err,
            WireError::BadValueLength {
                offset: 9,
                tag: ValueTag::from_u8(tag),
                name: "v".into(),
                expected: len,
                actual: len + 1
            }
        );
    }
    assert_eq!(
        decode(vec![D1, a(0x36, "n", &[0, 5, b'e', b'n', 0, 0])]),
        Err(WireError::BadWithLanguage {
            offset: 9,
            tag: ValueTag::NameWithLanguage,
            name: "n".into(),
            len: 6
        })
    );
    assert_eq!(
        decode(vec![D1, a(0x44, "k", b"ok"), a(0x44, "", &[0xff])]),
        Err(WireError::InvalidUtf8 {
            offset: 17,
            tag: ValueTag::Keyword,
            name: "k".into()
        })
    );
    assert_eq!(
        decode(vec![D1, a(0x10, "k", b"x")]),
        Err(WireError::OutOfBandWithValue {
            offset: 9,
            name: "k".into(),
            tag: ValueTag::Unsupported,
            len: 1
        })
    );
    // unknown tags (and extension) are kept
    let m = decode(vec![D1, a(0x7F, "x", &[0, 0, 0, 9, 1]), a(0x20, "", b"z")]).unwrap();
    assert_eq!(
        m.groups[0].attributes[0].values,
        vec![
            Value::Unknown {
                tag: 0x7F,
                bytes: vec![0, 0, 0, 9, 1]
            },
            Value::Unknown {
                tag: 0x20,
                bytes: b"z".to_vec()
            }
        ]
    );
}

#[test]
fn collection_violations() {
    let beg = a(0x34, "c", b"");
    let member = a(0x4A, "", b"m");
    let int = a(0x21, "", &[0, 0, 0, 1]);
    let end = a(0x37, "", b"");
    // offsets: beg 9 (6 bytes), member 15 (6), int 21 (9), next 30
    assert_eq!(
        decode(vec![D1, beg.clone(), member.clone(), int.clone()]),
        Err(WireError::MissingEndCollection {
            offset: 30,
            start: 9,
            name: "c".into()
        })
    );
    assert_eq!(
        decode(vec![
            D1,
            beg.clone(),
            member.clone(),
            int.clone(),
            RawItem::Delimiter(2)
        ]),
        Err(WireError::MissingEndCollection {
            offset: 30,
            start: 9,
            name: "c".into()
        })
    );
    assert_eq!(
        decode(vec![
            D1,
            beg.clone(),
            member.clone(),
            int.clone(),
            a(0x21, "x", &[0, 0, 0, 1])
        ]),
        Err(WireError::NamedItemInCollection {
            offset: 30,
            name: "x".into(),
            collection: "c".into()
        })
    );
    assert_eq!(
        decode(vec![D1, a(0x21, "a", &[0, 0, 0, 1]), end.clone()]),
        Err(WireError::UnexpectedEndCollection { offset: 19 })
    );
    assert_eq!(
        decode(vec![D1, a(0x37, "a", b"")]),
        Err(WireError::UnexpectedEndCollection { offset: 9 })
    );
    assert_eq!(
        decode(vec![D1, member.clone()]),
        Err(WireError::MemberNameOutsideCollection { offset: 9 })
    );
    assert_eq!(
        decode(vec![D1, a(0x4A, "named", b"m")]),
        Err(WireError::MemberNameOutsideCollection { offset: 9 })
    );
    assert_eq!(
        decode(vec![D1, beg.clone(), int.clone(), end.clone()]),
        Err(WireError::MemberValueWithoutName { offset: 15 })
    );
    assert_eq!(
        decode(vec![D1, beg.clone(), member.clone(), end.clone()]),
        Err(WireError::MemberWithoutValue {
            offset: 21,
            member: "m".into()
        })
    );
    assert_eq!(
        decode(vec![D1, beg.clone(), member.clone(), member.clone()]),
        Err(WireError::MemberWithoutValue {
            offset: 21,
            member: "m".into()
        })
    );
    assert_eq!(
        decode(vec![
            D1,
            beg.clone(),
            a(0x4A, "", b""),
            int.clone(),
            end.clone()
        ]),
        Err(WireError::EmptyMemberName { offset: 15 })
    );
    assert!(matches!(
        decode(vec![
            D1,
            beg.clone(),
            a(0x4A, "", &[0xff]),
            int.clone(),
            end.clone()
        ]),
        Err(WireError::InvalidUtf8 {
            offset: 15,
            tag: ValueTag::MemberAttrName,
            ..
        })
    ));
    assert_eq!(
        decode(vec![D1, a(0x34, "c", b"x"), end.clone()]),
        Err(WireError::NonEmptyBegCollection {
            offset: 9,
            name: "c".into(),
            len: 1
        })
    );
    assert_eq!(
        decode(vec![D1, beg.clone(), a(0x37, "", b"x")]),
        Err(WireError::NonEmptyEndCollection { offset: 15, len: 1 })
    );
    // errors inside members name the member
    assert!(matches!(
        decode(vec![D1, beg.clone(), member.clone(), a(0x21, "", &[1]), end.clone()]),
        Err(WireError::BadValueLength { offset: 21, ref name, .. }) if name == "m"
    ));
    // an empty collection and a valid member with additional values
    let m = decode(vec![
        D1,
        beg.clone(),
        end.clone(),
        a(0x34, "", b""),
        member.clone(),
        int.clone(),
        int.clone(),
        end.clone(),
    ])
    .unwrap();
    assert_eq!(
        m.groups[0].attributes[0].values,
        vec![
            Value::Collection(Collection::default()),
            Value::Collection(Collection::new(vec![Attribute::with_values(
                "m",
                vec![Value::Integer(1), Value::Integer(1)]
            )]))
        ]
    );
}

fn nested(levels: usize) -> Value {
    let mut v = Value::Integer(7);
    for _ in 0..levels {
        v = Value::Collection(Collection::new(vec![Attribute::new("c", v)]));
    }
    v
}

fn nested_message(levels: usize) -> Message {
    let mut m = Message::new((2, 0), 2, 1);
    m.push_group(DelimiterTag::OperationAttributes)
        .push(Attribute::new("deep", nested(levels)));
    m
}

#[test]
fn collection_depth_limit() {
    let ok = nested_message(MAX_COLLECTION_DEPTH);
    let bytes = ok.to_bytes().unwrap();
    assert_eq!(Message::parse(&bytes), Ok((ok, bytes.len())));

    let too_deep = nested_message(MAX_COLLECTION_DEPTH + 1);
    assert_eq!(
        too_deep.to_raw(),
        Err(WireError::CollectionTooDeepToEncode {
            name: "c".into(),
            limit: MAX_COLLECTION_DEPTH
        })
    );
    // build the too-deep bytes by hand: beg "deep" then 64 x (member, beg)
    let mut items = vec![D1, a(0x34, "deep", b"")];
    for _ in 0..MAX_COLLECTION_DEPTH {
        items.push(a(0x4A, "", b"c"));
        items.push(a(0x34, "", b""));
    }
    // beg "deep" at 9 is 9 bytes; each pair is 6 + 5 bytes; the last beg is 6 bytes into its pair
    let offset = 9 + 9 + (MAX_COLLECTION_DEPTH - 1) * 11 + 6;
    assert_eq!(
        decode(items),
        Err(WireError::CollectionTooDeep {
            offset,
            limit: MAX_COLLECTION_DEPTH
        })
    );
}

#[test]
fn encoder_violations() {
    let mut m = Message::new((2, 0), 2, 1);
    m.push_group(DelimiterTag::OperationAttributes)
        .push(Attribute::new("", Value::Integer(1)));
    assert_eq!(
        m.to_raw(),
        Err(WireError::EmptyAttributeName {
            group: DelimiterTag::OperationAttributes
        })
    );
    m.groups[0].attributes[0] = Attribute::with_values("x", vec![]);
    assert_eq!(m.to_raw(), Err(WireError::NoValues { name: "x".into() }));
    m.groups[0].attributes[0] = Attribute::new(
        "x",
        Value::Collection(Collection::new(vec![Attribute::with_values("m", vec![])])),
    );
    assert_eq!(m.to_raw(), Err(WireError::NoValues { name: "m".into() }));
    m.groups[0].attributes[0] = Attribute::new(
        "x",
        Value::Collection(Collection::new(vec![Attribute::new("", Value::Integer(1))])),
    );
    assert!(matches!(
        m.to_raw(),
        Err(WireError::EmptyAttributeName { .. })
    ));
    m.groups[0].attributes[0] = Attribute::new("x", Value::OctetString(vec![0; 65536]));
    assert_eq!(
        m.to_raw(),
        Err(WireError::ValueTooLong {
            name: "x".into(),
            len: 65536
        })
    );
    m.groups[0].attributes[0] = Attribute::new(
        "x",
        Value::TextWithLanguage {
            language: "en".into(),
            text: "t".repeat(65530),
        },
    );
    assert!(matches!(m.to_raw(), Err(WireError::ValueTooLong { .. })));
    m.groups[0].attributes[0] = Attribute::new(
        "x",
        Value::TextWithLanguage {
            language: "en".into(),
            text: "t".repeat(65529),
        },
    );
    assert!(m.to_bytes().is_ok(), "exactly 65535 bytes fits");
    m.groups[0].attributes[0] = Attribute::new("n".repeat(65536), Value::Integer(1));
    assert!(matches!(
        m.to_raw(),
        Err(WireError::NameTooLong { len: 65536, .. })
    ));
    m.groups[0].attributes[0] = Attribute::new("x", Value::OutOfBand(ValueTag::Keyword));
    assert!(matches!(m.to_raw(), Err(WireError::NotOutOfBand { .. })));
    m.groups[0].attributes[0] = Attribute::new(
        "x",
        Value::Unknown {
            tag: 0x4A,
            bytes: vec![],
        },
    );
    assert!(matches!(
        m.to_raw(),
        Err(WireError::UnknownWithKnownTag { tag: 0x4A, .. })
    ));
    m.groups[0].attributes[0] = Attribute::new("x", Value::Integer(1));
    assert!(m.to_raw().is_ok());
    for bad in [
        DelimiterTag::EndOfAttributes,
        DelimiterTag::Unknown(0x21),
        DelimiterTag::Unknown(0x01),
    ] {
        m.groups[0].tag = bad;
        assert_eq!(
            m.to_raw(),
            Err(WireError::InvalidDelimiter { tag: bad.to_u8() })
        );
    }
}

#[test]
fn every_error_displays_a_sentence() {
    let errors = [
        WireError::Truncated {
            offset: 1,
            needed: 2,
            available: 0,
            what: "name length",
        },
        WireError::MissingEndCollection {
            offset: 30,
            start: 9,
            name: "media-col".into(),
        },
        WireError::NamedItemInCollection {
            offset: 30,
            name: "x".into(),
            collection: "media-col".into(),
        },
        WireError::MemberWithoutValue {
            offset: 3,
            member: "m".into(),
        },
        WireError::CollectionTooDeep {
            offset: 1,
            limit: 64,
        },
    ];
    for e in errors {
        let s = e.to_string();
        assert!(s.len() > 20 && !s.ends_with(' '), "{s}");
    }
    assert_eq!(
        WireError::MissingEndCollection {
            offset: 30,
            start: 9,
            name: "media-col".into()
        }
        .to_string(),
        "collection 'media-col' opened at byte 9 is not closed by an endCollection (0x37) before byte 30"
    );
}

// ---------------------------------------------------------------------------
// Property tests.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (1) raw emit -> parse is the identity and consumes everything.
    #[test]
    fn raw_round_trip(m in strategies::raw_message()) {
        let bytes = m.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), m.buffer_len());
        let (parsed, len) = RawMessage::parse(&bytes).unwrap();
        prop_assert_eq!(len, bytes.len());
        prop_assert_eq!(&parsed, &m);
        fuzz_raw(&m);
    }

    /// (2) valid semantic messages survive to_bytes -> parse.
    #[test]
    fn semantic_round_trip(m in strategies::message()) {
        let bytes = m.to_bytes().unwrap();
        let (parsed, len) = Message::parse(&bytes).unwrap();
        prop_assert_eq!(len, bytes.len());
        prop_assert_eq!(&parsed, &m);
        fuzz_message(&m);
        fuzz_decode(&bytes);
    }

    /// (4) check() and parse() agree on the end when document data follows.
    #[test]
    fn check_finds_the_end(
        m in strategies::raw_message(),
        data in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = m.to_bytes().unwrap();
        let len = bytes.len();
        bytes.extend_from_slice(&data);
        prop_assert_eq!(RawMessage::check(&bytes), Ok(Some(len)));
        let (parsed, consumed) = RawMessage::parse(&bytes).unwrap();
        prop_assert_eq!(consumed, len);
        prop_assert_eq!(parsed, m);
        fuzz_decode(&bytes);
    }

    /// (5a) random bytes never panic and keep every invariant.
    #[test]
    fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        fuzz_decode(&data);
    }

    /// (5b) random bytes after a plausible header and group tag.
    #[test]
    fn random_attribute_bytes(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut bytes = vec![2, 0, 0, 2, 0, 0, 0, 1, 1];
        bytes.extend_from_slice(&data);
        bytes.push(3);
        fuzz_decode(&bytes);
    }

    /// (5c) random sequences of structurally interesting items.
    #[test]
    fn tricky_items(m in strategies::tricky_raw_message()) {
        fuzz_raw(&m);
        if let Ok(msg) = Message::from_raw(&m) {
            prop_assert_eq!(msg.to_raw().unwrap(), m);
        }
    }
}

proptest! {
    // Quadratic in the message length: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// (3) every strict prefix needs more bytes (`check`) and fails with
    /// `Truncated`. The allocating parsers are tried on a sample of the cuts
    /// of long messages to keep the quadratic cost down.
    #[test]
    fn strict_prefixes_are_truncated(m in strategies::message()) {
        let bytes = m.to_bytes().unwrap();
        let n = bytes.len();
        for cut in 0..n {
            let prefix = &bytes[..cut];
            prop_assert_eq!(RawMessage::check(prefix), Ok(None));
            if n <= 512 || cut % 7 == 0 || cut + 16 >= n {
                let err = RawMessage::parse(prefix).unwrap_err();
                prop_assert!(err.is_truncated(), "{}", err);
            }
            if cut % 31 == 0 || cut + 16 >= n {
                let err = Message::parse(prefix).unwrap_err();
                prop_assert!(err.is_truncated(), "{}", err);
            }
        }
    }
}

/// Structured fuzzing inputs (`arbitrary` feature): whatever `arbitrary`
/// builds, the encoder either rejects it or round-trips it.
#[cfg(feature = "arbitrary")]
mod arbitrary_inputs {
    use super::super::fuzz::{fuzz_message, fuzz_raw};
    use super::super::{Message, RawMessage};
    use arbitrary::{Arbitrary, Unstructured};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_messages_keep_invariants(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            if let Ok(m) = Message::arbitrary(&mut Unstructured::new(&data)) {
                fuzz_message(&m);
            }
            if let Ok(r) = RawMessage::arbitrary(&mut Unstructured::new(&data)) {
                fuzz_raw(&r);
            }
        }
    }

    #[test]
    fn arbitrary_messages_often_encode() {
        let mut encoded = 0;
        for seed in 0u32..200 {
            let data: Vec<u8> = (0..512u32)
                .map(|i| {
                    (i.wrapping_mul(2_654_435_761)
                        .wrapping_add(seed.wrapping_mul(40_503))
                        >> 13) as u8
                })
                .collect();
            if let Ok(m) = Message::arbitrary(&mut Unstructured::new(&data)) {
                if m.to_raw().is_ok() {
                    encoded += 1;
                }
                fuzz_message(&m);
            }
        }
        eprintln!("{encoded}/200 arbitrary messages were encodable");
    }
}

// ---------------------------------------------------------------------------
// Fixture round trips.
// ---------------------------------------------------------------------------

/// What [`roundtrip_file`] found in one fixture.
#[derive(Debug)]
pub struct FixtureOutcome {
    /// The raw parse error, if the file is not a complete message.
    pub raw_error: Option<WireError>,
    /// The semantic error, if the file is a complete but malformed message.
    pub semantic_error: Option<WireError>,
}

/// Checks one `*.ipp` fixture: a complete message must re-emit
/// byte-identically through the raw layer, and, if the semantic layer
/// accepts it, through `from_raw` -> `to_raw` -> `emit` too. Incomplete or
/// malformed fixtures are reported (not failed) so that broken-on-purpose
/// fixtures can live in the same folder; every invariant of
/// [`fuzz_decode`] is asserted for all of them.
pub fn roundtrip_file(path: &Path) -> FixtureOutcome {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    fuzz_decode(&data);
    let (raw, len) = match RawMessage::parse(&data) {
        Ok(parsed) => parsed,
        Err(e) => {
            return FixtureOutcome {
                raw_error: Some(e),
                semantic_error: None,
            }
        }
    };
    let wire = &data[..len];
    assert_eq!(
        raw.to_bytes().unwrap(),
        wire,
        "{}: raw round trip differs",
        path.display()
    );
    let semantic_error = match Message::from_raw(&raw) {
        Ok(m) => {
            assert_eq!(
                m.to_raw().unwrap().to_bytes().unwrap(),
                wire,
                "{}: semantic round trip differs",
                path.display()
            );
            None
        }
        Err(e) => Some(e),
    };
    FixtureOutcome {
        raw_error: None,
        semantic_error,
    }
}

/// Every `*.ipp` file under `dir` (recursively), sorted.
fn ipp_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "ipp") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Runs [`roundtrip_file`] on every fixture under `dir`, printing what it found; returns the count.
fn roundtrip_dir(dir: &Path) -> usize {
    let files = ipp_files(dir);
    for f in &files {
        let outcome = roundtrip_file(f);
        match (&outcome.raw_error, &outcome.semantic_error) {
            (Some(e), _) => eprintln!("{}: incomplete message: {e}", f.display()),
            (None, Some(e)) => eprintln!("{}: malformed: {e}", f.display()),
            (None, None) => eprintln!("{}: round trip ok", f.display()),
        }
    }
    files.len()
}

/// Every recorded message in `fixtures/ipp/wire/` (ippeveprinter's responses,
/// ipptool's and the CUPS backend's requests) re-emits byte for byte through
/// both layers; the ones under `malformed/` are rejected without a panic.
#[test]
fn fixture_round_trips() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ipp/wire"));
    let n = roundtrip_dir(dir);
    assert!(
        n >= 20,
        "expected the recorded fixtures under {}, found {n}",
        dir.display()
    );
    for f in ipp_files(dir) {
        let malformed = f.components().any(|c| c.as_os_str() == "malformed");
        let o = roundtrip_file(&f);
        if malformed {
            assert!(
                o.raw_error.is_some() || o.semantic_error.is_some(),
                "{}: meant to be malformed but decodes cleanly",
                f.display()
            );
        } else {
            assert!(
                o.raw_error.is_none() && o.semantic_error.is_none(),
                "{}: {o:?}",
                f.display()
            );
        }
    }
}

/// Writes the examples above as fixtures when `IPP_WIRE_WRITE_FIXTURES`
/// names a folder (a one-off helper for seeding `fixtures/ipp/wire/`).
#[test]
fn write_example_fixtures() {
    let Some(dir) = std::env::var_os("IPP_WIRE_WRITE_FIXTURES") else {
        return;
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in EXAMPLES {
        std::fs::write(dir.join(format!("{name}.ipp")), bytes).unwrap();
    }
}

#[test]
fn roundtrip_helper_on_temp_fixtures() {
    let dir = std::env::temp_dir().join(format!("ippwire-fixtures-{}", std::process::id()));
    let sub = dir.join("bad");
    std::fs::create_dir_all(&sub).unwrap();
    for (name, bytes) in EXAMPLES {
        std::fs::write(dir.join(format!("{name}.ipp")), bytes).unwrap();
    }
    std::fs::write(sub.join("truncated.ipp"), &MEDIA_COL_REQUEST[..40]).unwrap();
    let mut broken = MEDIA_COL_REQUEST.to_vec();
    let n = broken.len();
    broken.truncate(n - 6); // drop the outer endCollection (5 bytes) and the end tag
    broken.extend_from_slice(&[0x03]);
    std::fs::write(sub.join("missing-end-collection.ipp"), &broken).unwrap();
    std::fs::write(dir.join("ignored.bin"), b"xx").unwrap();

    assert_eq!(ipp_files(&dir).len(), EXAMPLES.len() + 2);
    let t = roundtrip_file(&sub.join("truncated.ipp"));
    assert!(t.raw_error.unwrap().is_truncated());
    let b = roundtrip_file(&sub.join("missing-end-collection.ipp"));
    assert!(b.raw_error.is_none());
    assert!(
        matches!(
            b.semantic_error,
            Some(WireError::MissingEndCollection { .. })
        ),
        "{b:?}"
    );
    assert_eq!(roundtrip_dir(&dir), EXAMPLES.len() + 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest::proptest! {
    /// The direct encoder writes exactly what the raw layer would.
    #[test]
    fn direct_encoding_equals_raw_encoding(m in super::strategies::message()) {
        let direct = m.to_bytes();
        let via_raw = m.to_raw().and_then(|r| r.to_bytes());
        proptest::prop_assert_eq!(direct, via_raw);
    }
}
