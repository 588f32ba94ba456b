//! The IPP core driven directly, with no socket and a clock the test chooses:
//! the sans-IO contract of `IppCore::handle` / `finish_document`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use paperjam_sim::ipp::{Endpoint, IppCore, Operation, Outcome, Status};
use paperjam_sim::model::{Clock, JobState, Printer, SimTime, Speed, Spool};
use paperjam_sim::profile::Profile;
use paperjam_sim::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value, ValueTag};
use support::{find_attr, request, with_op};

struct Rig {
    printer: Printer,
    core: IppCore,
    spool: Spool,
    ep: Endpoint,
}

fn rig() -> Rig {
    let profile = Arc::new(Profile::default_profile().unwrap());
    Rig {
        printer: Printer::new(
            profile.clone(),
            Clock::new(1_700_000_000_000),
            Speed::Realtime,
        ),
        core: IppCore::new(&profile),
        spool: Spool::temporary().unwrap(),
        ep: Endpoint {
            authority: "printer.test:631".into(),
            tls: false,
            path: "/ipp/print".into(),
        },
    }
}

const URI: &str = "ipp://printer.test:631/ipp/print";

impl Rig {
    fn send(&mut self, m: &Message, data: &[u8], now: SimTime) -> Message {
        match self.core.handle(&mut self.printer, m, &self.ep, now) {
            Outcome::Respond(r) => r.into_message(),
            Outcome::Document(plan) => {
                let mut w = self
                    .spool
                    .writer(plan.job_id, plan.number, &plan.format, plan.coding, 1 << 30)
                    .unwrap();
                w.write(data).unwrap();
                let stored = w.finish();
                self.core
                    .finish_document(&mut self.printer, plan, stored, &self.ep, now)
            }
        }
    }
}

fn pdf(pages: usize) -> Vec<u8> {
    let mut d = b"%PDF-1.4\n".to_vec();
    for i in 0..pages {
        d.extend_from_slice(format!("{} 0 obj <</Type /Page>>\n", i + 1).as_bytes());
    }
    d
}

fn job_state(m: &Message) -> i32 {
    find_attr(m, "job-state").unwrap().values[0]
        .as_i32()
        .unwrap()
}

#[test]
fn a_job_moves_through_its_states_on_the_virtual_clock() {
    let mut r = rig();
    let mut m = with_op(
        request(Operation::PrintJob.raw(), 1, URI),
        Attribute::new(
            "document-format",
            Value::MimeMediaType("application/pdf".into()),
        ),
    );
    m.groups.push(Group {
        tag: DelimiterTag::JobAttributes,
        attributes: vec![Attribute::new(
            "print-color-mode",
            Value::Keyword("monochrome".into()),
        )],
    });
    let resp = r.send(&m, &pdf(3), SimTime(0));
    assert_eq!(resp.code, Status::Ok.raw());
    assert_eq!(job_state(&resp), JobState::Processing.ipp_enum());
    let id = find_attr(&resp, "job-id").unwrap().values[0]
        .as_i32()
        .unwrap();
    // Monochrome at 30 pages per minute: three pages take six seconds.
    let gja = with_op(
        request(Operation::GetJobAttributes.raw(), 2, URI),
        Attribute::new("job-id", Value::Integer(id)),
    );
    let at = r.send(&gja, b"", SimTime(4_000));
    assert_eq!(job_state(&at), JobState::Processing.ipp_enum());
    assert_eq!(
        find_attr(&at, "job-impressions-completed").unwrap().values[0],
        Value::Integer(2)
    );
    assert_eq!(r.printer.poll_timeout(), Some(SimTime(6_000)));
    r.printer.handle_timeout(SimTime(6_000));
    let done = r.send(&gja, b"", SimTime(6_000));
    assert_eq!(job_state(&done), JobState::Completed.ipp_enum());
    assert_eq!(
        find_attr(&done, "job-impressions").unwrap().values[0],
        Value::Integer(3)
    );
}

#[test]
fn unsupported_attributes_are_returned_and_fidelity_is_honoured() {
    let mut r = rig();
    let mut m = request(Operation::ValidateJob.raw(), 1, URI);
    m.groups.push(Group {
        tag: DelimiterTag::JobAttributes,
        attributes: vec![
            Attribute::new("sides", Value::Keyword("two-sided-long-edge".into())),
            Attribute::new("print-quality", Value::Enum(99)),
            Attribute::new("x-vendor-thing", Value::Integer(1)),
        ],
    });
    let resp = r.send(&m, b"", SimTime(0));
    assert_eq!(resp.code, Status::OkIgnoredOrSubstituted.raw());
    let g = resp
        .groups
        .iter()
        .find(|g| g.tag == DelimiterTag::UnsupportedAttributes)
        .unwrap();
    assert_eq!(
        g.get("print-quality").unwrap().values,
        vec![Value::Enum(99)]
    );
    assert_eq!(
        g.get("x-vendor-thing").unwrap().values,
        vec![Value::OutOfBand(ValueTag::Unsupported)]
    );
    assert!(g.get("sides").is_none());
    let strict = with_op(
        m,
        Attribute::new("ipp-attribute-fidelity", Value::Boolean(true)),
    );
    assert_eq!(
        r.send(&strict, b"", SimTime(0)).code,
        Status::AttributesOrValuesNotSupported.raw()
    );
}

#[test]
fn request_checks_follow_rfc_8011_4_1() {
    let mut r = rig();
    let gpa = request(Operation::GetPrinterAttributes.raw(), 1, URI);
    let mut zero = gpa.clone();
    zero.request_id = 0;
    assert_eq!(
        r.send(&zero, b"", SimTime(0)).code,
        Status::BadRequest.raw()
    );
    let mut swapped = gpa.clone();
    swapped.groups[0].attributes.swap(0, 1);
    assert_eq!(
        r.send(&swapped, b"", SimTime(0)).code,
        Status::BadRequest.raw()
    );
    let mut dup = gpa.clone();
    dup.groups[0]
        .attributes
        .push(Attribute::new("printer-uri", Value::Uri(URI.into())));
    assert_eq!(r.send(&dup, b"", SimTime(0)).code, Status::BadRequest.raw());
    let mut wrong_first_group = gpa.clone();
    wrong_first_group.groups.insert(
        0,
        Group {
            tag: DelimiterTag::JobAttributes,
            attributes: vec![],
        },
    );
    assert_eq!(
        r.send(&wrong_first_group, b"", SimTime(0)).code,
        Status::BadRequest.raw()
    );
    let mut charset = gpa.clone();
    charset.groups[0].attributes[0] =
        Attribute::new("attributes-charset", Value::Charset("iso-8859-1".into()));
    assert_eq!(
        r.send(&charset, b"", SimTime(0)).code,
        Status::CharsetNotSupported.raw()
    );
    let other_printer = request(
        Operation::GetPrinterAttributes.raw(),
        1,
        "ipp://printer.test:631/ipp/fax",
    );
    assert_eq!(
        r.send(&other_printer, b"", SimTime(0)).code,
        Status::NotFound.raw()
    );
    let unknown_op = request(0x4001, 1, URI);
    assert_eq!(
        r.send(&unknown_op, b"", SimTime(0)).code,
        Status::OperationNotSupported.raw()
    );
    let bad_format = with_op(
        request(Operation::PrintJob.raw(), 1, URI),
        Attribute::new(
            "document-format",
            Value::MimeMediaType("text/x-nope".into()),
        ),
    );
    assert_eq!(
        r.send(&bad_format, b"x", SimTime(0)).code,
        Status::DocumentFormatNotSupported.raw()
    );
    let bad_compression = with_op(
        request(Operation::PrintJob.raw(), 1, URI),
        Attribute::new("compression", Value::Keyword("compress".into())),
    );
    assert_eq!(
        r.send(&bad_compression, b"x", SimTime(0)).code,
        Status::CompressionNotSupported.raw()
    );
    // Every error says what was wrong.
    let resp = r.send(&zero, b"", SimTime(0));
    let msg = find_attr(&resp, "status-message").unwrap().values[0]
        .as_str()
        .unwrap();
    assert!(msg.contains("request-id"), "{msg}");
}

#[test]
fn create_job_send_document_and_hold_release() {
    let mut r = rig();
    let cj = with_op(
        request(Operation::CreateJob.raw(), 1, URI),
        Attribute::new("job-hold-until", Value::Keyword("indefinite".into())),
    );
    let resp = r.send(&cj, b"", SimTime(0));
    let id = find_attr(&resp, "job-id").unwrap().values[0]
        .as_i32()
        .unwrap();
    let sd = with_op(
        with_op(
            request(Operation::SendDocument.raw(), 2, URI),
            Attribute::new("job-id", Value::Integer(id)),
        ),
        Attribute::new("last-document", Value::Boolean(true)),
    );
    let resp = r.send(&sd, &pdf(1), SimTime(10));
    assert_eq!(job_state(&resp), JobState::PendingHeld.ipp_enum());
    let rel = with_op(
        request(Operation::ReleaseJob.raw(), 3, URI),
        Attribute::new("job-id", Value::Integer(id)),
    );
    assert_eq!(r.send(&rel, b"", SimTime(20)).code, Status::Ok.raw());
    assert_eq!(
        r.printer.job(id as u32).unwrap().state,
        JobState::Processing
    );
    let again = r.send(&sd, &pdf(1), SimTime(30));
    assert_eq!(
        again.code,
        Status::NotPossible.raw(),
        "a closed job takes no more documents"
    );
}

/// RFC 8011 §4.1.8 and PWG 5100.12: the versions answered and the ones refused.
#[rstest::rstest]
#[case((1, 1), Status::Ok)]
#[case((2, 0), Status::Ok)]
#[case((2, 1), Status::Ok)]
#[case((2, 2), Status::Ok)]
#[case((1, 0), Status::VersionNotSupported)]
#[case((0, 0), Status::VersionNotSupported)]
#[case((2, 3), Status::VersionNotSupported)]
#[case((3, 0), Status::VersionNotSupported)]
fn versions(#[case] version: (u8, u8), #[case] want: Status) {
    let mut r = rig();
    let mut m = request(Operation::GetPrinterAttributes.raw(), 1, URI);
    m.version = version;
    let resp = r.send(&m, b"", SimTime(0));
    assert_eq!(resp.code, want.raw(), "{version:?}");
    // The answer is well-formed and, for a supported version, at that version.
    if want == Status::Ok {
        assert_eq!(resp.version, version);
    }
}
