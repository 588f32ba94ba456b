//! Protocol quirks: the broken dialects of IPP that real printers speak, as
//! named presets. Each one imitates a defect seen on a real device (or one a
//! grader must catch on the wire), names the public report it comes from, and
//! lists the IPP suite cases that flag it — the negative controls that prove
//! the grader sees what it should.
//!
//! A quirk is written `NAME` or `NAME@Operation-Name` (only responses to that
//! operation misbehave). Quirks are live faults: the registry in
//! [`crate::fault::live`] holds the active ones and the network layer reads
//! them per request. They act at three layers ([`QuirkLayer`]):
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

use std::fmt;
use std::str::FromStr;

use crate::wire::ipp::{DelimiterTag, Message, RawItem, RawMessage, Value, WireError};

use super::codes::{Operation, Status};
use super::service::Response;

/// One kind of misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuirkKind {
    /// The response's request-id is not the request's (RFC 8011 §4.1.1).
    WrongRequestId,
    /// The response is IPP/1.0 whatever the request's version (RFC 8011
    /// §4.1.8); named `ipp-version-1.0`, `wrong-version` is an alias.
    WrongVersion,
    /// `printer-uri-supported` is left out of printer attributes (RFC 8011 §5.4.1).
    MissingRequiredAttribute,
    /// attributes-natural-language comes before attributes-charset (RFC 8011 §4.1.4).
    ReorderedOperationGroup,
    /// The end-of-attributes tag is dropped (RFC 8010 §3.1.1).
    DroppedEndTag,
    /// HTTP/1.0 only: never `100 Continue`, chunked requests refused, the
    /// connection closed after each answer.
    Http10NoContinue,
    /// Chunked request bodies are refused with `411 Length Required`, and
    /// responses are IPP/1.0.
    NoChunked,
    /// A collection's member attributes are written without their
    /// begCollection/endCollection (RFC 8010 §3.1.6).
    MembersOutsideCollection,
    /// A collection value has no endCollection tag (RFC 8010 §3.1.6).
    CollectionNoEnd,
    /// Media keywords with quotes and spaces (RFC 8011 §5.1.4).
    KeywordSpaces,
    /// The response body is corrupt: a length field runs past the end.
    CorruptResponse,
    /// Every request gets `server-error-busy`.
    ServerErrorBusy,
    /// Every request gets `server-error-service-unavailable`.
    ServiceUnavailable,
    /// Job attributes come without `job-state` (RFC 8011 §5.3.7).
    NoJobState,
    /// Finished jobs vanish at once: no job history (RFC 8011 §4.2.6.1, §4.3.4).
    NoJobHistory,
    /// Send-Document with last-document=true is answered but the job is never closed.
    LostLastDocument,
    /// An attribute appears twice in one group.
    DuplicatedAttribute,
    /// `printer-state` as integer instead of enum, `printer-state-reasons` as
    /// nameWithoutLanguage instead of keyword.
    WrongValueTag,
    /// The IPP body is cut short, with a Content-Length that matches the cut.
    TruncatedResponse,
    /// The Content-Length is larger than the body sent; then the connection closes.
    WrongContentLength,
}

/// Where a quirk acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuirkLayer {
    /// The bytes of the IPP response ([`encode`]).
    Body,
    /// The HTTP framing (the HTTP front end).
    Http,
    /// What the printer does with a request (the HTTP layer, around the core).
    Behaviour,
}

impl QuirkKind {
    /// Every quirk.
    pub const ALL: [QuirkKind; 20] = [
        QuirkKind::WrongRequestId,
        QuirkKind::WrongVersion,
        QuirkKind::MissingRequiredAttribute,
        QuirkKind::ReorderedOperationGroup,
        QuirkKind::DroppedEndTag,
        QuirkKind::Http10NoContinue,
        QuirkKind::NoChunked,
        QuirkKind::MembersOutsideCollection,
        QuirkKind::CollectionNoEnd,
        QuirkKind::KeywordSpaces,
        QuirkKind::CorruptResponse,
        QuirkKind::ServerErrorBusy,
        QuirkKind::ServiceUnavailable,
        QuirkKind::NoJobState,
        QuirkKind::NoJobHistory,
        QuirkKind::LostLastDocument,
        QuirkKind::DuplicatedAttribute,
        QuirkKind::WrongValueTag,
        QuirkKind::TruncatedResponse,
        QuirkKind::WrongContentLength,
    ];

    /// Its name on the command line and in the control API.
    pub fn name(self) -> &'static str {
        match self {
            QuirkKind::WrongRequestId => "wrong-request-id",
            QuirkKind::WrongVersion => "ipp-version-1.0",
            QuirkKind::MissingRequiredAttribute => "missing-required-attribute",
            QuirkKind::ReorderedOperationGroup => "reordered-operation-group",
            QuirkKind::DroppedEndTag => "dropped-end-tag",
            QuirkKind::Http10NoContinue => "http-1.0-no-continue",
            QuirkKind::NoChunked => "no-chunked",
            QuirkKind::MembersOutsideCollection => "members-outside-collection",
            QuirkKind::CollectionNoEnd => "collection-no-end",
            QuirkKind::KeywordSpaces => "keyword-spaces",
            QuirkKind::CorruptResponse => "corrupt-response",
            QuirkKind::ServerErrorBusy => "server-error-busy",
            QuirkKind::ServiceUnavailable => "service-unavailable",
            QuirkKind::NoJobState => "no-job-state",
            QuirkKind::NoJobHistory => "no-job-history",
            QuirkKind::LostLastDocument => "lost-last-document",
            QuirkKind::DuplicatedAttribute => "duplicated-attribute",
            QuirkKind::WrongValueTag => "wrong-value-tag",
            QuirkKind::TruncatedResponse => "truncated-response",
            QuirkKind::WrongContentLength => "wrong-content-length",
        }
    }

    /// Other names it is accepted under (older spellings).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            QuirkKind::WrongVersion => &["wrong-version"],
            _ => &[],
        }
    }

    /// The quirk called `name` (its name or an alias).
    pub fn from_name(name: &str) -> Option<QuirkKind> {
        QuirkKind::ALL
            .into_iter()
            .find(|k| k.name() == name || k.aliases().contains(&name))
    }

    /// Where it acts.
    pub fn layer(self) -> QuirkLayer {
        match self {
            QuirkKind::Http10NoContinue | QuirkKind::NoChunked | QuirkKind::WrongContentLength => {
                QuirkLayer::Http
            }
            QuirkKind::ServerErrorBusy
            | QuirkKind::ServiceUnavailable
            | QuirkKind::NoJobHistory
            | QuirkKind::LostLastDocument => QuirkLayer::Behaviour,
            _ => QuirkLayer::Body,
        }
    }

    /// What it does on the wire, in one sentence.
    pub fn summary(self) -> &'static str {
        match self {
            QuirkKind::WrongRequestId => {
                "Every IPP response carries the request's request-id plus one, so a client cannot match answers to requests."
            }
            QuirkKind::WrongVersion => {
                "Every IPP response has version-number 1.0, whatever version (1.1, 2.x) the request used."
            }
            QuirkKind::MissingRequiredAttribute => {
                "The REQUIRED printer-uri-supported is left out of every Get-Printer-Attributes answer."
            }
            QuirkKind::ReorderedOperationGroup => {
                "The response's first two operation attributes are swapped: attributes-natural-language comes before attributes-charset."
            }
            QuirkKind::DroppedEndTag => {
                "The end-of-attributes tag (0x03) is missing at the end of the IPP response."
            }
            QuirkKind::Http10NoContinue => {
                "The printer speaks HTTP/1.0 only: it never sends 100 Continue (a client waiting for it stalls), answers a chunked request with 411 Length Required, and closes the connection after each response."
            }
            QuirkKind::NoChunked => {
                "A request body sent with Transfer-Encoding: chunked gets 411 Length Required, and every IPP response is version 1.0."
            }
            QuirkKind::MembersOutsideCollection => {
                "The first collection attribute of a printer or job group loses its begCollection and endCollection tags, leaving its memberAttrName (0x4A) items outside any collection."
            }
            QuirkKind::CollectionNoEnd => {
                "The first value of media-col-default and media-col-ready (or of the first collection attribute) has no endCollection tag."
            }
            QuirkKind::KeywordSpaces => {
                "media-default, media-supported and media-ready keywords come with quotes and spaces: \"iso_a4_210x297mm\" in quotes, iso a4 210x297mm with spaces."
            }
            QuirkKind::CorruptResponse => {
                "The IPP response body is corrupt: the first attribute's name-length reads 0xFFFF, far past the end of the message, so nothing after the header can be read."
            }
            QuirkKind::ServerErrorBusy => {
                "Every IPP request is answered server-error-busy, so the printer never does anything."
            }
            QuirkKind::ServiceUnavailable => {
                "Every IPP request is answered server-error-service-unavailable, capability queries included."
            }
            QuirkKind::NoJobState => {
                "Job attribute groups never include job-state, in any response (Print-Job, Create-Job, Get-Job-Attributes, Get-Jobs…)."
            }
            QuirkKind::NoJobHistory => {
                "Finished jobs vanish at once: Get-Jobs never lists them (which-jobs=completed is empty) and any operation on one gets client-error-not-found."
            }
            QuirkKind::LostLastDocument => {
                "Send-Document with last-document=true is answered successful-ok, but the job is never closed: it hangs in pending (until multiple-operation-time-out)."
            }
            QuirkKind::DuplicatedAttribute => {
                "The first attribute of the first printer or job group is sent twice in that group."
            }
            QuirkKind::WrongValueTag => {
                "printer-state is sent as integer (0x21) instead of enum (0x23), and printer-state-reasons as nameWithoutLanguage (0x42) instead of keyword (0x44)."
            }
            QuirkKind::TruncatedResponse => {
                "The IPP response is cut to two thirds of its length, mid-attribute, and sent with a Content-Length that matches the cut body."
            }
            QuirkKind::WrongContentLength => {
                "Every HTTP response declares a Content-Length 16 bytes larger than the body sent, then the printer closes the connection."
            }
        }
    }

    /// The real printer, firmware or software family it was seen on.
    pub fn seen_on(self) -> &'static str {
        match self {
            QuirkKind::WrongRequestId
            | QuirkKind::MissingRequiredAttribute
            | QuirkKind::ReorderedOperationGroup
            | QuirkKind::DroppedEndTag
            | QuirkKind::DuplicatedAttribute
            | QuirkKind::WrongValueTag
            | QuirkKind::TruncatedResponse
            | QuirkKind::WrongContentLength => {
                "no one device: a defect the grader must catch on the wire (paperjam's negative control)"
            }
            QuirkKind::WrongVersion => "EFI Fiery print controllers (ipptool: 'Bad version 1.0 in response')",
            QuirkKind::Http10NoContinue => "Lexmark T620dn (HTTP/1.0 only), and printers with broken Expect: handling",
            QuirkKind::NoChunked => "network printers without chunked-request support (CUPS IPP backend fallback)",
            QuirkKind::MembersOutsideCollection => "Kyocera FS-4200DN",
            QuirkKind::CollectionNoEnd => "Canon imageCLASS MF262dw II (media-col-default, media-col-ready)",
            QuirkKind::KeywordSpaces => "Xerox PrimeLink C9265 (media-supported, media-key-supported)",
            QuirkKind::CorruptResponse => "LinkSys PSUS4 print server (IPP/1.0)",
            QuirkKind::ServerErrorBusy | QuirkKind::ServiceUnavailable => {
                "USR MaxG USR5461 router/print server"
            }
            QuirkKind::NoJobState => "Ricoh Aficio 2035, Edimax PS-3207U print server",
            QuirkKind::NoJobHistory => "printers without the REQUIRED job history (CUPS IPP backend report)",
            QuirkKind::LostLastDocument => {
                "printers with broken Create-Job/Send-Document support (CUPS IPP backend report)"
            }
        }
    }

    /// The public report (issue URL) or, for a defect with no one report,
    /// the clause it breaks.
    pub fn reference(self) -> &'static str {
        match self {
            QuirkKind::WrongRequestId => "https://www.rfc-editor.org/rfc/rfc8011#section-4.1.2",
            QuirkKind::WrongVersion => "https://github.com/istopwg/ippsample/issues/165",
            QuirkKind::MissingRequiredAttribute => {
                "https://www.rfc-editor.org/rfc/rfc8011#section-5.4.1"
            }
            QuirkKind::ReorderedOperationGroup => {
                "https://www.rfc-editor.org/rfc/rfc8011#section-4.1.4"
            }
            QuirkKind::DroppedEndTag => "https://www.rfc-editor.org/rfc/rfc8010#section-3.1.1",
            QuirkKind::Http10NoContinue => "https://github.com/apple/cups/issues/2683",
            QuirkKind::NoChunked => "https://github.com/apple/cups/issues/3987",
            QuirkKind::MembersOutsideCollection => {
                "https://github.com/OpenPrinting/cups/issues/755"
            }
            QuirkKind::CollectionNoEnd => "https://github.com/OpenPrinting/cups/issues/1149",
            QuirkKind::KeywordSpaces => "https://github.com/OpenPrinting/cups/issues/1222",
            QuirkKind::CorruptResponse => "https://github.com/apple/cups/issues/953",
            QuirkKind::ServerErrorBusy | QuirkKind::ServiceUnavailable => {
                "https://github.com/apple/cups/issues/1370"
            }
            QuirkKind::NoJobState => "https://github.com/apple/cups/issues/1762",
            QuirkKind::NoJobHistory => "https://github.com/apple/cups/issues/4079",
            QuirkKind::LostLastDocument => "https://github.com/apple/cups/issues/4198",
            QuirkKind::DuplicatedAttribute => {
                "https://www.rfc-editor.org/rfc/rfc8011#section-4.1.3"
            }
            QuirkKind::WrongValueTag => "https://www.rfc-editor.org/rfc/rfc8010#section-3.5.2",
            QuirkKind::TruncatedResponse => "https://www.rfc-editor.org/rfc/rfc8010#section-3.1.1",
            QuirkKind::WrongContentLength => "https://www.rfc-editor.org/rfc/rfc9112#section-6.3",
        }
    }

    /// The IPP suite cases (ids) that flag it against the virtual printer:
    /// each of them fails (or warns, for a SHOULD) with this quirk active.
    /// Other cases may fail too; these are the ones whose clause it breaks.
    /// `suites/tests/negative_controls.rs` checks the list against real runs.
    pub fn flagged_by(self) -> &'static [&'static str] {
        // Reports name a quirk for a failed case listed here (suites'
        // `known`), so each list holds the cases whose clause the quirk
        // breaks, not every case that happens to trip over it.
        match self {
            QuirkKind::WrongRequestId => &[
                "ipp/rfc8011/4.1.1/request-id-echoed",
                "ipp/rfc8010/3.4.4/large-request-id-echoed",
            ],
            QuirkKind::WrongVersion => &[
                "ipp/rfc8011/4.1.8/response-major-version-matches",
                "ipp/rfc8010/3.4.1/version-in-response",
                "ipp/pwg5100.12/4.1/request-2.0",
            ],
            QuirkKind::MissingRequiredAttribute => &["ipp/rfc8011/5.4.1/printer-uri-supported"],
            QuirkKind::ReorderedOperationGroup => {
                &["ipp/rfc8011/4.1.4/charset-and-language-first-in-response"]
            }
            QuirkKind::DroppedEndTag
            | QuirkKind::CorruptResponse
            | QuirkKind::TruncatedResponse => &["ipp/rfc8010/3.1.1/response-well-formed"],
            QuirkKind::Http10NoContinue => &[
                "ipp/http/rfc8010-4/expect-100-continue-interim",
                "ipp/http/rfc8010-4/chunked-request",
                "ipp/http/rfc8010-4/keep-alive",
            ],
            QuirkKind::NoChunked => &[
                "ipp/http/rfc8010-4/chunked-request",
                "ipp/http/rfc8010-4/chunked-print-job",
            ],
            QuirkKind::MembersOutsideCollection | QuirkKind::CollectionNoEnd => {
                &["ipp/rfc8010/3.1.6/response-collections"]
            }
            QuirkKind::KeywordSpaces => &["ipp/pwg5100.14/5.2/media-names"],
            QuirkKind::ServerErrorBusy | QuirkKind::ServiceUnavailable => {
                &["ipp/rfc8011/4.2.5/idle-printer-answers"]
            }
            QuirkKind::NoJobState => &["ipp/rfc8011/5.3/required-job-attributes"],
            QuirkKind::NoJobHistory => &["ipp/rfc8011/4.2.6/which-jobs-completed"],
            QuirkKind::LostLastDocument => &[
                "ipp/rfc8011/4.3.1/send-document-completes-job",
                "ipp/rfc8011/4.3.1/send-document-after-last",
            ],
            QuirkKind::DuplicatedAttribute => &["ipp/rfc8011/4.1.3/no-duplicate-attributes"],
            QuirkKind::WrongValueTag => &[
                "ipp/rfc8011/5.4.11/printer-state",
                "ipp/rfc8011/5.4.12/printer-state-reasons",
            ],
            QuirkKind::WrongContentLength => &["ipp/http/rfc8010-4/response-framing"],
        }
    }
}

/// A quirk, for every operation or for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirk {
    /// What goes wrong.
    pub kind: QuirkKind,
    /// Only responses to this operation misbehave.
    pub only: Option<Operation>,
}

impl Quirk {
    /// Whether it applies to a request of `op`.
    pub fn applies_to(&self, op: Operation) -> bool {
        self.only.is_none_or(|o| o == op)
    }
}

fn known_names() -> String {
    QuirkKind::ALL
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A quirk name that is not known.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum QuirkError {
    /// Unknown quirk.
    #[error("unknown quirk '{0}'; known: {known}", known = known_names())]
    Unknown(String),
    /// Unknown operation after `@`.
    #[error("unknown operation '{0}' after @ (use an IPP operation name such as Get-Jobs)")]
    UnknownOperation(String),
}

impl FromStr for Quirk {
    type Err = QuirkError;
    /// `NAME` or `NAME@Operation-Name`.
    fn from_str(s: &str) -> Result<Quirk, QuirkError> {
        let (name, op) = match s.split_once('@') {
            Some((n, o)) => (n, Some(o)),
            None => (s, None),
        };
        let kind =
            QuirkKind::from_name(name).ok_or_else(|| QuirkError::Unknown(name.to_string()))?;
        let only = match op {
            None => None,
            Some(o) => Some(
                (0..=0x100u16)
                    .map(Operation::from_raw)
                    .find(|x| x.name() == Some(o))
                    .ok_or_else(|| QuirkError::UnknownOperation(o.to_string()))?,
            ),
        };
        Ok(Quirk { kind, only })
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.only {
            Some(op) => write!(f, "{}@{op}", self.kind.name()),
            None => f.write_str(self.kind.name()),
        }
    }
}

/// Whether a quirk of `kind` applies to a request of `op`.
pub fn is_active(quirks: &[Quirk], kind: QuirkKind, op: Operation) -> bool {
    quirks.iter().any(|q| q.kind == kind && q.applies_to(op))
}

/// Whether a quirk of `kind` is in force for at least one operation (for
/// decisions taken before the operation is known, such as HTTP framing).
pub fn is_raised(quirks: &[Quirk], kind: QuirkKind) -> bool {
    quirks.iter().any(|q| q.kind == kind)
}

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

    #[test]
    fn names_parse() {
        assert_eq!(
            "ipp-version-1.0".parse::<Quirk>(),
            Ok(Quirk {
                kind: QuirkKind::WrongVersion,
                only: None
            })
        );
        // The old name stays an alias; the canonical name is printed.
        let q = "wrong-version".parse::<Quirk>().unwrap();
        assert_eq!(q.kind, QuirkKind::WrongVersion);
        assert_eq!(q.to_string(), "ipp-version-1.0");
        assert_eq!(
            "dropped-end-tag@Get-Jobs".parse::<Quirk>(),
            Ok(Quirk {
                kind: QuirkKind::DroppedEndTag,
                only: Some(Operation::GetJobs)
            })
        );
        assert!("nope".parse::<Quirk>().is_err());
        assert!("wrong-version@Nope".parse::<Quirk>().is_err());
        let err = "nope".parse::<Quirk>().unwrap_err().to_string();
        for k in QuirkKind::ALL {
            assert_eq!(k.name().parse::<Quirk>().map(|q| q.kind), Ok(k));
            let at = format!("{}@Get-Jobs", k.name());
            assert_eq!(at.parse::<Quirk>().map(|q| q.to_string()), Ok(at.clone()));
            assert!(err.contains(k.name()), "{err} should list {}", k.name());
        }
        let mut names: Vec<&str> = QuirkKind::ALL.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), QuirkKind::ALL.len(), "names are unique");
    }

    #[test]
    fn every_quirk_is_documented() {
        for k in QuirkKind::ALL {
            assert!(k.summary().ends_with('.'), "{}: one sentence", k.name());
            assert!(!k.seen_on().is_empty(), "{}", k.name());
            assert!(k.reference().starts_with("https://"), "{}", k.name());
            assert!(!k.flagged_by().is_empty(), "{}", k.name());
            for id in k.flagged_by() {
                assert!(id.starts_with("ipp/"), "{}: {id}", k.name());
            }
        }
    }

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
