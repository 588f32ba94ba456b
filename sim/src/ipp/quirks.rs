//! How IPP's protocol quirks act on the wire. The quirks themselves (names,
//! summaries, where seen, public reports, the cases that flag them) are in
//! the registry, [`crate::fault::quirk`], re-exported here; this module
//! applies the IPP ones.
//!
//! An IPP quirk is written `NAME` or `NAME@Operation-Name` (only responses
//! to that operation misbehave). The network layer reads the active ones per
//! request. They act at three layers ([`QuirkLayer`]):
//!
//! * **body** quirks change the bytes of the IPP response; [`encode`] applies
//!   them;
//! * **HTTP** quirks change the framing around it; the HTTP front end applies
//!   them (`no-chunked` in [`crate::net::http`], the others through the
//!   hand-written front end of [`crate::net::http10`], chosen for a whole
//!   connection as it starts). The operation is not known when the framing
//!   is decided, so `@Operation` does not narrow them (except the IPP/1.0
//!   answers of `no-chunked`);
//! * **behaviour** quirks change what the printer does with a request; the
//!   HTTP layer applies them around the sans-IO core with the pure helpers of
//!   this module ([`refusal`], [`target_job`], [`hide_jobs`]).
//!
//! Every quirk keeps the server serving: a broken answer is still an answer.

use crate::wire::ipp::{DelimiterTag, Message, RawItem, RawMessage, Value, WireError};

use super::codes::{Operation, Status};
use super::service::Response;

pub use crate::fault::quirk::{
    is_active, is_raised, Quirk, QuirkError, QuirkKind, QuirkLayer, QuirkProtocol,
};

/// The status `server-error-busy` / `service-unavailable` answer a request
/// of `op` with, if one of them is in force.
pub fn refusal(quirks: &[Quirk], op: Operation) -> Option<Status> {
    if is_active(quirks, QuirkKind::ServiceUnavailable, op) {
        Some(Status::ServiceUnavailable)
    } else if is_active(quirks, QuirkKind::ServerErrorBusy, op) {
        Some(Status::Busy)
    } else {
        None
    }
}

/// The job a request names: its `job-id` operation attribute, or the number
/// at the end of its `job-uri`.
pub fn target_job(req: &Message) -> Option<u32> {
    let ops = req.group(DelimiterTag::OperationAttributes)?;
    if let Some(Value::Integer(id)) = ops.get("job-id").and_then(|a| a.first()) {
        return u32::try_from(*id).ok();
    }
    match ops.get("job-uri").and_then(|a| a.first()) {
        Some(Value::Uri(u)) => u.rsplit('/').next().and_then(|n| n.parse().ok()),
        _ => None,
    }
}

/// Take out of `m` every job group whose `job-id` (or `job-uri`) is one of
/// `hidden` — what a printer without a job history answers Get-Jobs with.
pub fn hide_jobs(m: &mut Message, hidden: &[u32]) {
    m.groups.retain(|g| {
        if g.tag != DelimiterTag::JobAttributes {
            return true;
        }
        let id = match g.get("job-id").and_then(|a| a.first()) {
            Some(Value::Integer(id)) => u32::try_from(*id).ok(),
            _ => match g.get("job-uri").and_then(|a| a.first()) {
                Some(Value::Uri(u)) => u.rsplit('/').next().and_then(|n| n.parse().ok()),
                _ => None,
            },
        };
        !id.is_some_and(|id| hidden.contains(&id))
    });
}

/// Encode `response` to the request `op`, with every applicable body quirk
/// applied (HTTP and behaviour quirks are applied elsewhere and change nothing here).
pub fn encode(response: &Response, op: Operation, quirks: &[Quirk]) -> Result<Vec<u8>, WireError> {
    let mut active: Vec<QuirkKind> = quirks
        .iter()
        .filter(|q| q.applies_to(op))
        .map(|q| q.kind)
        .filter(|k| k.layer() == QuirkLayer::Body || *k == QuirkKind::NoChunked)
        .collect();
    active.sort();
    active.dedup();
    if active.is_empty() {
        return response.to_bytes();
    }
    let has = |k: QuirkKind| active.contains(&k);
    // The attribute to drop may be among the pre-encoded ones: work on the whole message then.
    let mut r = if has(QuirkKind::MissingRequiredAttribute) {
        Response::new(response.clone().into_message())
    } else {
        response.clone()
    };
    if has(QuirkKind::WrongRequestId) {
        r.message.request_id = r.message.request_id.wrapping_add(1).max(1);
    }
    if has(QuirkKind::WrongVersion) || has(QuirkKind::NoChunked) {
        r.message.version = (1, 0);
    }
    if has(QuirkKind::MissingRequiredAttribute) {
        for g in r
            .message
            .groups
            .iter_mut()
            .filter(|g| g.tag == DelimiterTag::PrinterAttributes)
        {
            g.attributes.retain(|a| a.name != "printer-uri-supported");
        }
    }
    if has(QuirkKind::ReorderedOperationGroup) {
        if let Some(g) = r.message.groups.first_mut() {
            if g.attributes.len() >= 2 {
                g.attributes.swap(0, 1);
            }
        }
    }
    let mut bytes = r.encode_with(&r.message, true)?;
    // Item-level quirks work on the raw items of the whole message (the
    // pre-encoded static attributes included).
    let item_quirks = [
        QuirkKind::NoJobState,
        QuirkKind::KeywordSpaces,
        QuirkKind::WrongValueTag,
        QuirkKind::DuplicatedAttribute,
        QuirkKind::CollectionNoEnd,
        QuirkKind::MembersOutsideCollection,
    ];
    if item_quirks.iter().any(|k| has(*k)) {
        let (mut raw, _) = RawMessage::parse(&bytes)?;
        let items = &mut raw.items;
        if has(QuirkKind::NoJobState) {
            remove_attribute(items, DelimiterTag::JobAttributes, "job-state");
        }
        if has(QuirkKind::KeywordSpaces) {
            spoil_media_keywords(items);
        }
        if has(QuirkKind::WrongValueTag) {
            retag(items, "printer-state", 0x23, 0x21);
            retag(items, "printer-state-reasons", 0x44, 0x42);
        }
        if has(QuirkKind::DuplicatedAttribute) {
            duplicate_first_attribute(items);
        }
        if has(QuirkKind::CollectionNoEnd) {
            drop_collection_end(items);
        }
        if has(QuirkKind::MembersOutsideCollection) {
            unwrap_first_collection(items);
        }
        bytes = raw.to_bytes()?;
    }
    if has(QuirkKind::DroppedEndTag) && bytes.last() == Some(&0x03) {
        bytes.pop();
    }
    if has(QuirkKind::CorruptResponse) {
        // The first attribute's name-length (after the header, the group tag
        // and the value tag) becomes 0xFFFF: it runs far past the end.
        let at = crate::wire::ipp::raw::HEADER_LEN + 2;
        if let Some(len) = bytes.get_mut(at..at + 2) {
            len.copy_from_slice(&[0xFF, 0xFF]);
        }
    }
    if has(QuirkKind::TruncatedResponse) {
        let keep = (bytes.len() * 2 / 3)
            .max(crate::wire::ipp::raw::HEADER_LEN + 1)
            .min(bytes.len().saturating_sub(1));
        bytes.truncate(keep);
    }
    Ok(bytes)
}

/// Tag byte of a begCollection value.
const BEG_COLLECTION: u8 = 0x34;
/// Tag byte of an endCollection value.
const END_COLLECTION: u8 = 0x37;

/// Each item with the group tag it is in and, for attribute items, the name
/// of the attribute it belongs to (additional values and collection items
/// belong to the last named item).
fn annotate(items: &[RawItem]) -> Vec<(u8, String)> {
    let mut group = 0u8;
    let mut name = String::new();
    items
        .iter()
        .map(|it| match it {
            RawItem::Delimiter(t) => {
                group = *t;
                name.clear();
                (group, String::new())
            }
            RawItem::Attribute { name: n, .. } => {
                if !n.is_empty() {
                    name = String::from_utf8_lossy(n).into_owned();
                }
                (group, name.clone())
            }
        })
        .collect()
}

/// The item range `[start, end)` of the attribute whose named item is at `start`.
fn attribute_extent(items: &[RawItem], start: usize) -> usize {
    let mut end = start + 1;
    while let Some(RawItem::Attribute { name, .. }) = items.get(end) {
        if !name.is_empty() {
            break;
        }
        end += 1;
    }
    end
}

fn remove_attribute(items: &mut Vec<RawItem>, group: DelimiterTag, attr: &str) {
    let notes = annotate(items);
    let kept: Vec<RawItem> = items
        .drain(..)
        .zip(notes)
        .filter(|(item, (g, n))| {
            !(matches!(item, RawItem::Attribute { .. }) && *g == group.to_u8() && n == attr)
        })
        .map(|(item, _)| item)
        .collect();
    *items = kept;
}

fn spoil_media_keywords(items: &mut [RawItem]) {
    let notes = annotate(items);
    let mut first = true;
    for (item, (_, n)) in items.iter_mut().zip(notes) {
        if !matches!(
            n.as_str(),
            "media-default" | "media-supported" | "media-ready"
        ) {
            continue;
        }
        if let RawItem::Attribute {
            tag: 0x44, value, ..
        } = item
        {
            let text = String::from_utf8_lossy(value).into_owned();
            let spoiled = if first {
                format!("\"{text}\"")
            } else {
                text.replace('_', " ")
            };
            first = false;
            *value = spoiled.into_bytes();
        }
    }
}

fn retag(items: &mut [RawItem], attr: &str, from: u8, to: u8) {
    let notes = annotate(items);
    for (item, (_, n)) in items.iter_mut().zip(notes) {
        if n != attr {
            continue;
        }
        if let RawItem::Attribute { tag, .. } = item {
            if *tag == from {
                *tag = to;
            }
        }
    }
}

/// The index of the first named item of the first printer or job group.
fn first_object_attribute(items: &[RawItem]) -> Option<usize> {
    let notes = annotate(items);
    items.iter().enumerate().position(|(i, it)| {
        let g = notes.get(i).map_or(0, |n| n.0);
        matches!(it, RawItem::Attribute { name, .. } if !name.is_empty())
            && (g == DelimiterTag::PrinterAttributes.to_u8()
                || g == DelimiterTag::JobAttributes.to_u8())
    })
}

fn duplicate_first_attribute(items: &mut Vec<RawItem>) {
    if let Some(start) = first_object_attribute(items) {
        let end = attribute_extent(items, start);
        let copy: Vec<RawItem> = items[start..end].to_vec();
        items.splice(end..end, copy);
    }
}

/// The first collection attribute: media-col-default or media-col-ready if
/// present, else any; returns the index of its named begCollection item.
fn first_collection(items: &[RawItem], prefer: &[&str]) -> Option<usize> {
    let is_beg = |it: &RawItem, want: Option<&str>| match it {
        RawItem::Attribute { tag, name, .. } => {
            *tag == BEG_COLLECTION
                && !name.is_empty()
                && want.is_none_or(|w| name.as_slice() == w.as_bytes())
        }
        RawItem::Delimiter(_) => false,
    };
    prefer
        .iter()
        .find_map(|p| items.iter().position(|it| is_beg(it, Some(p))))
        .or_else(|| items.iter().position(|it| is_beg(it, None)))
}

/// The index of the endCollection that closes the begCollection at `beg`.
fn matching_end(items: &[RawItem], beg: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, it) in items.iter().enumerate().skip(beg) {
        if let RawItem::Attribute { tag, .. } = it {
            match *tag {
                BEG_COLLECTION => depth += 1,
                END_COLLECTION => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
    }
    None
}

fn drop_collection_end(items: &mut Vec<RawItem>) {
    // Canon's firmware left both media-col-default and media-col-ready open.
    let mut done = false;
    for name in ["media-col-default", "media-col-ready"] {
        if let Some(beg) = first_collection(items, &[name]).filter(|b| {
            matches!(&items[*b], RawItem::Attribute { name: n, .. } if n.as_slice() == name.as_bytes())
        }) {
            if let Some(end) = matching_end(items, beg) {
                items.remove(end);
                done = true;
            }
        }
    }
    if !done {
        if let Some(beg) = first_collection(items, &[]) {
            if let Some(end) = matching_end(items, beg) {
                items.remove(end);
            }
        }
    }
}

fn unwrap_first_collection(items: &mut Vec<RawItem>) {
    let notes = annotate(items);
    let object_groups = [
        DelimiterTag::PrinterAttributes.to_u8(),
        DelimiterTag::JobAttributes.to_u8(),
    ];
    let beg = items.iter().zip(&notes).position(|(it, (g, _))| {
        matches!(it, RawItem::Attribute { tag: BEG_COLLECTION, name, .. } if !name.is_empty())
            && object_groups.contains(g)
    });
    if let Some(beg) = beg {
        if let Some(end) = matching_end(items, beg) {
            items.remove(end);
            items.remove(beg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipp::{response, Status};
    use crate::wire::ipp::{Attribute, Collection, Group, Message};

    /// A Get-Printer-Attributes-like response with the attributes the
    /// byte-level quirks act on.
    fn printer_response() -> Message {
        let mut m = response((2, 0), Status::Ok, 7, "OK");
        let size = Value::Collection(Collection {
            members: vec![
                Attribute::new("x-dimension", Value::Integer(21000)),
                Attribute::new("y-dimension", Value::Integer(29700)),
            ],
        });
        let col = Value::Collection(Collection {
            members: vec![
                Attribute::new("media-size", size),
                Attribute::new("media-source", Value::Keyword("main".into())),
            ],
        });
        m.groups.push(Group {
            tag: DelimiterTag::PrinterAttributes,
            attributes: vec![
                Attribute::new("printer-name", Value::Name("paperjam".into())),
                Attribute::new(
                    "printer-uri-supported",
                    Value::Uri("ipp://h/ipp/print".into()),
                ),
                Attribute::new("printer-state", Value::Enum(3)),
                Attribute::new("printer-state-reasons", Value::Keyword("none".into())),
                Attribute::new("media-col-default", col.clone()),
                Attribute::new("media-col-ready", col),
                Attribute::new("media-default", Value::Keyword("iso_a4_210x297mm".into())),
                Attribute::with_values(
                    "media-supported",
                    vec![
                        Value::Keyword("iso_a4_210x297mm".into()),
                        Value::Keyword("na_letter_8.5x11in".into()),
                    ],
                ),
            ],
        });
        m
    }

    fn job_response() -> Message {
        let mut m = response((2, 0), Status::Ok, 7, "OK");
        for id in [3, 4] {
            m.groups.push(Group {
                tag: DelimiterTag::JobAttributes,
                attributes: vec![
                    Attribute::new("job-id", Value::Integer(id)),
                    Attribute::new("job-state", Value::Enum(9)),
                    Attribute::new(
                        "job-state-reasons",
                        Value::Keyword("job-completed-successfully".into()),
                    ),
                ],
            });
        }
        m
    }

    fn with(m: &Message, op: Operation, quirk: &str) -> Vec<u8> {
        let q = vec![quirk.parse::<Quirk>().unwrap()];
        encode(&Response::new(m.clone()), op, &q).unwrap()
    }

    fn parsed(b: &[u8]) -> Message {
        Message::parse(b).unwrap().0
    }

    #[test]
    fn each_quirk_breaks_its_rule() {
        let msg = response((2, 0), Status::Ok, 7, "OK");
        let m = Response::new(msg.clone());
        let clean = encode(&m, Operation::GetJobs, &[]).unwrap();
        assert_eq!(clean, msg.to_bytes().unwrap());
        let gpa = Operation::GetPrinterAttributes;
        let printer = printer_response();
        let jobs = job_response();
        for k in QuirkKind::ALL {
            let (subject, op) = match k {
                QuirkKind::NoJobState | QuirkKind::NoJobHistory => (&jobs, Operation::GetJobs),
                _ => (&printer, gpa),
            };
            let b = with(subject, op, k.name());
            let clean = subject.to_bytes().unwrap();
            match k.layer() {
                QuirkLayer::Body => assert_ne!(b, clean, "{} changed nothing", k.name()),
                // HTTP and behaviour quirks act elsewhere; no-chunked also answers in IPP/1.0.
                _ if k == QuirkKind::NoChunked => assert_eq!(&b[..2], &[1, 0]),
                _ => assert_eq!(b, clean, "{} is not a body quirk", k.name()),
            }
            match k {
                QuirkKind::WrongRequestId => assert_eq!(&b[4..8], &8u32.to_be_bytes()),
                QuirkKind::WrongVersion => assert_eq!(&b[..2], &[1, 0]),
                QuirkKind::MissingRequiredAttribute => {
                    let p = parsed(&b);
                    assert!(p
                        .attr(DelimiterTag::PrinterAttributes, "printer-uri-supported")
                        .is_none());
                }
                QuirkKind::ReorderedOperationGroup => {
                    assert_eq!(
                        parsed(&b).groups[0].attributes[0].name,
                        "attributes-natural-language"
                    )
                }
                QuirkKind::DroppedEndTag => assert!(Message::parse(&b).is_err()),
                QuirkKind::MembersOutsideCollection => assert!(matches!(
                    Message::parse(&b),
                    Err(WireError::MemberNameOutsideCollection { .. })
                )),
                QuirkKind::CollectionNoEnd => {
                    assert!(Message::parse(&b).is_err());
                    assert_eq!(
                        b.iter().filter(|x| **x == END_COLLECTION).count() + 2,
                        clean.iter().filter(|x| **x == END_COLLECTION).count()
                    );
                }
                QuirkKind::KeywordSpaces => {
                    let p = parsed(&b);
                    let printer = p.group(DelimiterTag::PrinterAttributes).unwrap();
                    let texts: Vec<&str> = ["media-default", "media-supported"]
                        .iter()
                        .flat_map(|n| printer.get(n).unwrap().values.iter())
                        .filter_map(Value::as_str)
                        .collect();
                    assert_eq!(
                        texts,
                        [
                            "\"iso_a4_210x297mm\"",
                            "iso a4 210x297mm",
                            "na letter 8.5x11in"
                        ]
                    );
                }
                QuirkKind::CorruptResponse => assert!(Message::parse(&b).is_err()),
                QuirkKind::NoJobState => {
                    let p = parsed(&b);
                    assert_eq!(p.groups_of(DelimiterTag::JobAttributes).count(), 2);
                    assert!(p
                        .groups_of(DelimiterTag::JobAttributes)
                        .all(|g| g.get("job-state").is_none() && g.get("job-id").is_some()));
                }
                QuirkKind::DuplicatedAttribute => {
                    let p = parsed(&b);
                    let g = p.group(DelimiterTag::PrinterAttributes).unwrap();
                    assert_eq!(
                        g.attributes
                            .iter()
                            .filter(|a| a.name == "printer-name")
                            .count(),
                        2
                    );
                }
                QuirkKind::WrongValueTag => {
                    let p = parsed(&b);
                    let g = p.group(DelimiterTag::PrinterAttributes).unwrap();
                    assert_eq!(g.get("printer-state").unwrap().values, [Value::Integer(3)]);
                    assert_eq!(
                        g.get("printer-state-reasons").unwrap().values,
                        [Value::Name("none".into())]
                    );
                }
                QuirkKind::TruncatedResponse => {
                    assert!(b.len() < clean.len());
                    assert!(Message::parse(&b).is_err());
                }
                _ => {}
            }
        }
        // Only for the operation named after @.
        let b = with(&msg, gpa, "dropped-end-tag@Get-Jobs");
        assert!(Message::parse(&b).is_ok());
    }

    #[test]
    fn byte_quirks_leave_messages_without_their_target_alone() {
        // No collection, no media keyword, no job group: nothing to spoil.
        let msg = response((2, 0), Status::Ok, 7, "OK");
        for q in [
            "members-outside-collection",
            "collection-no-end",
            "keyword-spaces",
            "no-job-state",
        ] {
            let b = with(&msg, Operation::GetJobs, q);
            assert_eq!(b, msg.to_bytes().unwrap(), "{q}");
        }
    }

    #[test]
    fn job_history_helpers() {
        let mut m = job_response();
        hide_jobs(&mut m, &[3]);
        let ids: Vec<Option<i32>> = m
            .groups_of(DelimiterTag::JobAttributes)
            .map(|g| {
                g.get("job-id")
                    .and_then(|a| a.first())
                    .and_then(Value::as_i32)
            })
            .collect();
        assert_eq!(ids, [Some(4)]);
        let mut req = Message::new((2, 0), Operation::GetJobAttributes.raw(), 1);
        req.push_group(DelimiterTag::OperationAttributes)
            .push(Attribute::new("job-id", Value::Integer(12)));
        assert_eq!(target_job(&req), Some(12));
        let mut req = Message::new((2, 0), Operation::CancelJob.raw(), 1);
        req.push_group(DelimiterTag::OperationAttributes)
            .push(Attribute::new(
                "job-uri",
                Value::Uri("ipp://h:631/ipp/print/34".into()),
            ));
        assert_eq!(target_job(&req), Some(34));
        let busy = vec!["server-error-busy".parse::<Quirk>().unwrap()];
        assert_eq!(refusal(&busy, Operation::GetJobs), Some(Status::Busy));
        let only = vec!["service-unavailable@Print-Job".parse::<Quirk>().unwrap()];
        assert_eq!(refusal(&only, Operation::GetJobs), None);
        assert_eq!(
            refusal(&only, Operation::PrintJob),
            Some(Status::ServiceUnavailable)
        );
    }
}
