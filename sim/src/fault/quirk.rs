//! The quirk registry: every protocol quirk paperjam can put on a virtual
//! printer — IPP's broken dialects, LPD's and AppSocket's misbehaving
//! daemons — as named presets, each with what it does, where it was seen,
//! the public report it comes from, and the conformance cases that flag it
//! (the negative controls that prove the grader sees what it should).
//!
//! A quirk is written `NAME`, or for IPP quirks `NAME@Operation-Name` (only
//! responses to that operation misbehave). Quirks are live faults: the
//! registry in [`crate::fault::live`] holds the active ones and each front
//! end reads them as it goes: IPP in [`crate::ipp::quirks`] and the HTTP
//! layer, LPD in [`crate::net::lpd`], AppSocket in [`crate::net::appsocket`]
//! and the accept loop of [`crate::net::server`].
//!
//! Every quirk keeps the server serving: a broken answer is still an answer.

use std::fmt;
use std::str::FromStr;

use crate::ipp::codes::Operation;

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
    /// LPD: every `02` receive-job command gets a non-zero acknowledgement.
    LpdRefuseJob,
    /// LPD: receive-job is accepted, but every data file is refused as it is
    /// announced and every control file once its contents arrived.
    LpdRefuseFile,
    /// LPD: every file is acknowledged, but the data file is thrown away and
    /// the job never prints.
    LpdLoseDataFile,
    /// LPD: the connection is closed right after the control file is
    /// acknowledged, before the data file that should follow it.
    LpdCloseAfterControlFile,
    /// LPD: every one-byte acknowledgement comes [`SLOW_ACK`] late.
    LpdSlowAck,
    /// AppSocket: the printer closes the connection as soon as the client
    /// shuts down its sending side, so the back-channel is lost.
    SocketCloseOnHalfClose,
    /// AppSocket: one connection at a time; the next is reset while one is open.
    SocketOneConnection,
    /// AppSocket: the connection is reset once more than
    /// [`RESET_AFTER_BYTES`] of job data arrived on it.
    SocketResetMidJob,
    /// AppSocket: PJL queries and unsolicited status get no answer at all.
    PjlSilent,
    /// SNMP: no request is answered (the manager times out).
    SnmpSilent,
    /// SNMP: v2c requests for missing objects get v1's noSuchName error
    /// instead of RFC 3416's exceptions.
    SnmpV1ErrorsInV2c,
    /// SNMP: GetNext answers with the name it was given, so a walk never
    /// moves on.
    SnmpWalkOutOfOrder,
    /// SNMP: hrPrinterDetectedErrorState as an INTEGER, supply levels as Gauge32.
    SnmpWrongTypes,
    /// SNMP: supply levels below -3 (RFC 3805 allows only -1, -2, -3 below 0).
    SnmpNegativeSupplyLevels,
    /// SNMP: hrPrinterStatus stuck at printing(4) whatever the printer does.
    SnmpStaleStatus,
    /// mDNS: every record is sent with a TTL of 1 second.
    MdnsWrongTtl,
    /// mDNS: no goodbye packets (TTL 0) when the printer shuts down.
    MdnsNoGoodbye,
    /// mDNS: the TXT records leave out `pdl`, `UUID` and `rp`.
    MdnsMissingTxtKeys,
    /// mDNS: the TXT `pdl` lists a format IPP does not support.
    MdnsTxtContradictsIpp,
    /// mDNS: SRV records carry a port nothing listens on.
    MdnsWrongPort,
    /// mDNS: every answer is sent four times, and the records are re-sent
    /// unasked every second.
    MdnsFlood,
    /// mDNS: probes for the printer's names are never answered, and the
    /// printer never renames itself on a conflict.
    MdnsNoDefend,
    /// Security: every IPP operation is allowed to anyone, whatever the
    /// profile's `[security]` asks (no credentials, no owner checks).
    AnonymousAdmin,
    /// Security: the SNMP agent takes `private` (and `public`) as write communities.
    SnmpWritablePrivate,
    /// Security: no TLS on any port; IPP in clear text only.
    PlaintextOnly,
    /// Security: a ClientHello offering only TLS 1.0 or 1.1 is answered
    /// with a ServerHello of that version.
    TlsLegacy,
    /// Security: IPPS serves a certificate that expired in 2021.
    ExpiredCertificate,
    /// Security: a cups-browsed-style listener on UDP (631) takes browse
    /// packets from anyone and calls the printer URI they name.
    CupsBrowsed,
}

/// How late every acknowledgement of `lpd-slow-ack` is.
pub const SLOW_ACK: std::time::Duration = std::time::Duration::from_secs(2);

/// How many bytes of a job `socket-reset-mid-job` takes before it resets the
/// connection.
pub const RESET_AFTER_BYTES: u64 = 1024;

/// The protocol a quirk belongs to (and the suite that flags it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuirkProtocol {
    /// IPP over HTTP (`suites/ipp`).
    Ipp,
    /// LPD, RFC 1179 (`suites/lpd`).
    Lpd,
    /// AppSocket / port 9100 with PJL (`suites/appsocket`).
    AppSocket,
    /// SNMP v1/v2c, the Printer MIB (`suites/snmp`).
    Snmp,
    /// mDNS / DNS-SD (`suites/mdns`).
    Mdns,
    /// Security settings across protocols (`suites/security`).
    Security,
}

impl QuirkProtocol {
    /// Its name, as reports and the catalog show it.
    pub fn name(self) -> &'static str {
        match self {
            QuirkProtocol::Ipp => "ipp",
            QuirkProtocol::Lpd => "lpd",
            QuirkProtocol::AppSocket => "appsocket",
            QuirkProtocol::Snmp => "snmp",
            QuirkProtocol::Mdns => "mdns",
            QuirkProtocol::Security => "security",
        }
    }
}

/// Where a quirk acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuirkLayer {
    /// The bytes of the IPP response ([`crate::ipp::quirks::encode`]).
    Body,
    /// The HTTP framing (the HTTP front end).
    Http,
    /// What the printer does with a request (for IPP, the HTTP layer around
    /// the core; every LPD and AppSocket quirk is one).
    Behaviour,
}

impl QuirkKind {
    /// Every quirk.
    pub const ALL: [QuirkKind; 48] = [
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
        QuirkKind::LpdRefuseJob,
        QuirkKind::LpdRefuseFile,
        QuirkKind::LpdLoseDataFile,
        QuirkKind::LpdCloseAfterControlFile,
        QuirkKind::LpdSlowAck,
        QuirkKind::SocketCloseOnHalfClose,
        QuirkKind::SocketOneConnection,
        QuirkKind::SocketResetMidJob,
        QuirkKind::PjlSilent,
        QuirkKind::SnmpSilent,
        QuirkKind::SnmpV1ErrorsInV2c,
        QuirkKind::SnmpWalkOutOfOrder,
        QuirkKind::SnmpWrongTypes,
        QuirkKind::SnmpNegativeSupplyLevels,
        QuirkKind::SnmpStaleStatus,
        QuirkKind::MdnsWrongTtl,
        QuirkKind::MdnsNoGoodbye,
        QuirkKind::MdnsMissingTxtKeys,
        QuirkKind::MdnsTxtContradictsIpp,
        QuirkKind::MdnsWrongPort,
        QuirkKind::MdnsFlood,
        QuirkKind::MdnsNoDefend,
        QuirkKind::AnonymousAdmin,
        QuirkKind::SnmpWritablePrivate,
        QuirkKind::PlaintextOnly,
        QuirkKind::TlsLegacy,
        QuirkKind::ExpiredCertificate,
        QuirkKind::CupsBrowsed,
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
            QuirkKind::LpdRefuseJob => "lpd-refuse-job",
            QuirkKind::LpdRefuseFile => "lpd-refuse-file",
            QuirkKind::LpdLoseDataFile => "lpd-lose-data-file",
            QuirkKind::LpdCloseAfterControlFile => "lpd-close-after-control-file",
            QuirkKind::LpdSlowAck => "lpd-slow-ack",
            QuirkKind::SocketCloseOnHalfClose => "socket-close-on-half-close",
            QuirkKind::SocketOneConnection => "socket-one-connection",
            QuirkKind::SocketResetMidJob => "socket-reset-mid-job",
            QuirkKind::PjlSilent => "pjl-silent",
            QuirkKind::SnmpSilent => "snmp-silent",
            QuirkKind::SnmpV1ErrorsInV2c => "snmp-v1-errors-in-v2c",
            QuirkKind::SnmpWalkOutOfOrder => "snmp-walk-out-of-order",
            QuirkKind::SnmpWrongTypes => "snmp-wrong-types",
            QuirkKind::SnmpNegativeSupplyLevels => "snmp-negative-supply-levels",
            QuirkKind::SnmpStaleStatus => "snmp-stale-status",
            QuirkKind::MdnsWrongTtl => "mdns-wrong-ttl",
            QuirkKind::MdnsNoGoodbye => "mdns-no-goodbye",
            QuirkKind::MdnsMissingTxtKeys => "mdns-missing-txt-keys",
            QuirkKind::MdnsTxtContradictsIpp => "mdns-txt-contradicts-ipp",
            QuirkKind::MdnsWrongPort => "mdns-wrong-port",
            QuirkKind::MdnsFlood => "mdns-flood",
            QuirkKind::MdnsNoDefend => "mdns-no-defend",
            QuirkKind::AnonymousAdmin => "anonymous-admin",
            QuirkKind::SnmpWritablePrivate => "snmp-writable-private",
            QuirkKind::PlaintextOnly => "plaintext-only",
            QuirkKind::TlsLegacy => "tls-legacy",
            QuirkKind::ExpiredCertificate => "expired-certificate",
            QuirkKind::CupsBrowsed => "cups-browsed",
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

    /// The protocol it belongs to.
    pub fn protocol(self) -> QuirkProtocol {
        match self {
            QuirkKind::LpdRefuseJob
            | QuirkKind::LpdRefuseFile
            | QuirkKind::LpdLoseDataFile
            | QuirkKind::LpdCloseAfterControlFile
            | QuirkKind::LpdSlowAck => QuirkProtocol::Lpd,
            QuirkKind::SocketCloseOnHalfClose
            | QuirkKind::SocketOneConnection
            | QuirkKind::SocketResetMidJob
            | QuirkKind::PjlSilent => QuirkProtocol::AppSocket,
            QuirkKind::SnmpSilent
            | QuirkKind::SnmpV1ErrorsInV2c
            | QuirkKind::SnmpWalkOutOfOrder
            | QuirkKind::SnmpWrongTypes
            | QuirkKind::SnmpNegativeSupplyLevels
            | QuirkKind::SnmpStaleStatus => QuirkProtocol::Snmp,
            QuirkKind::MdnsWrongTtl
            | QuirkKind::MdnsNoGoodbye
            | QuirkKind::MdnsMissingTxtKeys
            | QuirkKind::MdnsTxtContradictsIpp
            | QuirkKind::MdnsWrongPort
            | QuirkKind::MdnsFlood
            | QuirkKind::MdnsNoDefend => QuirkProtocol::Mdns,
            QuirkKind::AnonymousAdmin
            | QuirkKind::SnmpWritablePrivate
            | QuirkKind::PlaintextOnly
            | QuirkKind::TlsLegacy
            | QuirkKind::ExpiredCertificate
            | QuirkKind::CupsBrowsed => QuirkProtocol::Security,
            _ => QuirkProtocol::Ipp,
        }
    }

    /// Where it acts.
    pub fn layer(self) -> QuirkLayer {
        if self.protocol() != QuirkProtocol::Ipp {
            return QuirkLayer::Behaviour;
        }
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
            QuirkKind::LpdRefuseJob => {
                "Every LPD 02 (receive job) command is answered with a non-zero acknowledgement (\\x01), as a print server whose printer is off or busy does."
            }
            QuirkKind::LpdRefuseFile => {
                "LPD 02 (receive job) is accepted, but no file is: a 03 (data file) subcommand gets a non-zero acknowledgement as it is announced, a control file once its contents have arrived (the CUPS lpd backend then retries every 30 s)."
            }
            QuirkKind::LpdLoseDataFile => {
                "LPD control and data files are both acknowledged with zero, but the data file is thrown away: the job is aborted and nothing prints, while the client believes it printed."
            }
            QuirkKind::LpdCloseAfterControlFile => {
                "The LPD connection is closed right after the control file is acknowledged, so a client that sends the control file first (the CUPS lpd backend's default) never gets to send its data file."
            }
            QuirkKind::LpdSlowAck => {
                "Every LPD one-byte acknowledgement is sent 2 s late."
            }
            QuirkKind::SocketCloseOnHalfClose => {
                "On port 9100 the printer closes the whole connection the moment the client shuts down its sending side: answers to PJL queries and job status still owed on the back-channel are lost (the job itself still prints)."
            }
            QuirkKind::SocketOneConnection => {
                "Port 9100 takes one connection at a time: a second connection while one is open is reset at once."
            }
            QuirkKind::SocketResetMidJob => {
                "On port 9100 the connection is reset (RST) once more than 1 KiB of job data has arrived on it (read in 256-byte pieces, so at most 1,280 bytes are kept); the job is aborted."
            }
            QuirkKind::PjlSilent => {
                "PJL queries (INFO, ECHO, USTATUS) on port 9100 are read and ignored: the back-channel stays silent; jobs still print."
            }
            QuirkKind::SnmpSilent => {
                "The SNMP agent reads every request and answers none: managers time out (CUPS waits 2 s a request, then gives up on supplies)."
            }
            QuirkKind::SnmpV1ErrorsInV2c => {
                "A v2c Get or GetNext of a missing object is answered with error-status noSuchName (v1's error) instead of a noSuchObject, noSuchInstance or endOfMibView exception with noError, so v2c managers abort the whole request."
            }
            QuirkKind::SnmpWalkOutOfOrder => {
                "GetNext and GetBulk answer each binding with the very name they were given (and the next object's value), so the name never increases: snmpwalk stops with 'OID not increasing', naive walkers loop."
            }
            QuirkKind::SnmpWrongTypes => {
                "hrPrinterDetectedErrorState is sent as an INTEGER instead of an OCTET STRING, and prtMarkerSuppliesLevel as Gauge32 instead of Integer32."
            }
            QuirkKind::SnmpNegativeSupplyLevels => {
                "prtMarkerSuppliesLevel reads -101 to -201 (level minus 101) instead of 0 to 100; RFC 3805 allows only -1 (other), -2 (unknown) and -3 (some remaining) below zero."
            }
            QuirkKind::SnmpStaleStatus => {
                "hrPrinterStatus is stuck at printing(4) and hrDeviceStatus at running(2), with no error bits, whatever the printer does: an idle or jammed printer looks busy."
            }
            QuirkKind::MdnsWrongTtl => {
                "Every mDNS record is sent with a TTL of 1 second instead of 120 s (host records) or 4500 s (the rest), so browsers' caches expire at once and services flicker."
            }
            QuirkKind::MdnsNoGoodbye => {
                "When the printer shuts down it sends no goodbye (TTL 0) packets: browsers keep a stale entry that no longer resolves until its TTL runs out."
            }
            QuirkKind::MdnsMissingTxtKeys => {
                "The TXT records leave out pdl, UUID and rp, so a client cannot tell the formats, the printer's identity or its resource path without asking IPP."
            }
            QuirkKind::MdnsTxtContradictsIpp => {
                "The TXT key pdl lists application/postscript, which the printer's IPP document-format-supported does not: clients send PostScript that is refused."
            }
            QuirkKind::MdnsWrongPort => {
                "SRV records name a port one above the real one, where nothing listens: the service resolves but cannot be reached."
            }
            QuirkKind::MdnsFlood => {
                "Every mDNS answer is sent four times, known answers ignored, and every record is re-sent unasked each second (RFC 6762 §6 allows once a second at most, after the first announcements)."
            }
            QuirkKind::AnonymousAdmin => {
                "Every IPP operation is open to anyone: Pause-Printer, Set-Printer-Attributes, Purge-Jobs and Cancel-Job of another user's job succeed without credentials, whatever the profile's [security] says."
            }
            QuirkKind::SnmpWritablePrivate => {
                "The SNMP agent takes the community private (and public) for SetRequests, as printers shipped with factory communities do."
            }
            QuirkKind::PlaintextOnly => {
                "No TLS anywhere: a ClientHello on the IPP or IPPS port is dropped, so IPP (documents, credentials) travels in clear text."
            }
            QuirkKind::TlsLegacy => {
                "A ClientHello offering only TLS 1.0 or 1.1 gets a ServerHello of that version, with the certificate (then the connection closes): the printer accepts protocols RFC 8996 forbids."
            }
            QuirkKind::ExpiredCertificate => {
                "IPPS serves a self-signed certificate that expired on 2021-01-01."
            }
            QuirkKind::CupsBrowsed => {
                "A cups-browsed-style listener on UDP takes CUPS browse packets from anyone and sends a Get-Printer-Attributes to the URI named in them (the first step of CVE-2024-47176); it only ever calls the packet's sender or loopback."
            }
            QuirkKind::MdnsNoDefend => {
                "Probes for the printer's service and host names go unanswered, and on a conflict the printer keeps its name: two printers end up with one name."
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
            QuirkKind::LpdRefuseJob => "Netgear FM114P and similar print servers when their printer is off",
            QuirkKind::LpdRefuseFile => "LPD print servers whose spool is full or that cannot reach their printer",
            QuirkKind::LpdLoseDataFile => {
                "cups-lpd, which acknowledges the files before it knows it can create the job (CUPS report)"
            }
            QuirkKind::LpdCloseAfterControlFile => {
                "LPD print servers that need the data file first (the CUPS lpd backend's order=data,control option exists for them)"
            }
            QuirkKind::LpdSlowAck => {
                "slow print servers behind CUPS's 'Remote host did not respond with command status byte' errors"
            }
            QuirkKind::SocketCloseOnHalfClose => "HP printers (JetDirect port 9100)",
            QuirkKind::SocketOneConnection => "Zebra label printers (port 9100)",
            QuirkKind::SocketResetMidJob => "network printers that run out of memory mid-job",
            QuirkKind::PjlSilent => {
                "printers and print servers without a PJL back-channel (unidirectional)"
            }
            QuirkKind::SnmpSilent => "printers with SNMP switched off, firewalled or on a wrong community",
            QuirkKind::SnmpV1ErrorsInV2c => "embedded agents that only implement SNMPv1 error handling",
            QuirkKind::SnmpWalkOutOfOrder => {
                "printer agents whose GetNext returns the same OID (net-snmp: 'Error: OID not increasing')"
            }
            QuirkKind::SnmpWrongTypes => "printer agents with hand-written MIB tables (wrong ASN.1 types)",
            QuirkKind::SnmpNegativeSupplyLevels => {
                "no one device: an out-of-range level the grader must catch (paperjam's negative control)"
            }
            QuirkKind::SnmpStaleStatus => {
                "printers whose hrPrinterStatus is not updated with their state (CUPS shows them printing)"
            }
            QuirkKind::MdnsWrongTtl
            | QuirkKind::MdnsTxtContradictsIpp
            | QuirkKind::MdnsWrongPort
            | QuirkKind::MdnsFlood => {
                "no one device: a defect the grader must catch on the wire (paperjam's negative control)"
            }
            QuirkKind::MdnsNoGoodbye => {
                "responders killed without shutting down (avahi then keeps a stale entry that fails to resolve)"
            }
            QuirkKind::MdnsMissingTxtKeys => {
                "printers with a minimal Bonjour TXT record (the keys IPP Everywhere requires left out)"
            }
            QuirkKind::MdnsNoDefend => "embedded responders without RFC 6762 conflict handling",
            QuirkKind::AnonymousAdmin => {
                "printers shipped without an administrator password (most office printers' factory state)"
            }
            QuirkKind::SnmpWritablePrivate => "printers with factory SNMP communities public/private",
            QuirkKind::PlaintextOnly => "older printers and print servers without IPPS",
            QuirkKind::TlsLegacy => "printer firmware with TLS 1.0/1.1 still enabled",
            QuirkKind::ExpiredCertificate => "printers whose factory certificate was never renewed",
            QuirkKind::CupsBrowsed => "Linux hosts running cups-browsed before 2.0.1 (September 2024)",
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
            QuirkKind::LpdRefuseJob => "https://github.com/apple/cups/issues/448",
            QuirkKind::LpdRefuseFile => "https://www.rfc-editor.org/rfc/rfc1179#section-6.2",
            QuirkKind::LpdLoseDataFile => "https://github.com/apple/cups/issues/3199",
            QuirkKind::LpdCloseAfterControlFile => "https://www.cups.org/doc/network.html#LPD",
            QuirkKind::LpdSlowAck => "https://github.com/apple/cups/issues/931",
            QuirkKind::SocketCloseOnHalfClose => "https://github.com/apple/cups/issues/2325",
            QuirkKind::SocketOneConnection => "https://github.com/apple/cups/issues/5689",
            QuirkKind::SocketResetMidJob => "https://github.com/apple/cups/issues/1601",
            QuirkKind::PjlSilent => "https://github.com/michaelrsweet/lprint/issues/161",
            QuirkKind::SnmpSilent => "https://www.rfc-editor.org/rfc/rfc3416#section-4.2.1",
            QuirkKind::SnmpV1ErrorsInV2c => "https://www.rfc-editor.org/rfc/rfc3416#section-4.2.1",
            QuirkKind::SnmpWalkOutOfOrder => "https://www.rfc-editor.org/rfc/rfc3416#section-4.2.2",
            QuirkKind::SnmpWrongTypes => "https://www.rfc-editor.org/rfc/rfc2790#section-6",
            QuirkKind::SnmpNegativeSupplyLevels => "https://www.rfc-editor.org/rfc/rfc3805#section-4",
            QuirkKind::SnmpStaleStatus => "https://www.rfc-editor.org/rfc/rfc3805#section-2.2.13.2",
            QuirkKind::MdnsWrongTtl => "https://www.rfc-editor.org/rfc/rfc6762#section-10",
            QuirkKind::MdnsNoGoodbye => "https://www.rfc-editor.org/rfc/rfc6762#section-10.1",
            QuirkKind::MdnsMissingTxtKeys | QuirkKind::MdnsTxtContradictsIpp => {
                "https://developer.apple.com/bonjour/printing-specification/bonjourprinting-1.2.1.pdf"
            }
            QuirkKind::MdnsWrongPort => "https://www.rfc-editor.org/rfc/rfc6763#section-5",
            QuirkKind::MdnsFlood => "https://www.rfc-editor.org/rfc/rfc6762#section-6",
            QuirkKind::MdnsNoDefend => "https://www.rfc-editor.org/rfc/rfc6762#section-9",
            QuirkKind::AnonymousAdmin => "https://www.rfc-editor.org/rfc/rfc8011#section-9.3",
            QuirkKind::SnmpWritablePrivate => "https://www.rfc-editor.org/rfc/rfc3414#section-1.2",
            QuirkKind::PlaintextOnly => "https://www.rfc-editor.org/rfc/rfc8010#section-8.2",
            QuirkKind::TlsLegacy => "https://www.rfc-editor.org/rfc/rfc8996",
            QuirkKind::ExpiredCertificate => "https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.5",
            QuirkKind::CupsBrowsed => "https://nvd.nist.gov/vuln/detail/CVE-2024-47176",
        }
    }

    /// The check a finding must name for a failed case to be blamed on this
    /// quirk, when the cases it flags also fail in other ways (`None`: any
    /// failure of a case in [`QuirkKind::flagged_by`]). A late
    /// acknowledgement is `lpd-slow-ack`; a refusing one is not.
    pub fn telltale(self) -> Option<&'static str> {
        match self {
            QuirkKind::LpdSlowAck => Some("acknowledgement delay"),
            _ => None,
        }
    }

    /// The cases (ids) of its protocol's suite that flag it against the
    /// virtual printer:
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
            QuirkKind::LpdRefuseJob => &["lpd/rfc1179/5.2/receive-job-known-queue"],
            QuirkKind::LpdRefuseFile => &[
                "lpd/rfc1179/6.2/control-file-acked",
                "lpd/rfc1179/6.3/data-file-acked",
            ],
            QuirkKind::LpdLoseDataFile => &["lpd/rfc1179/5.3/received-job-listed"],
            QuirkKind::LpdCloseAfterControlFile => &["lpd/rfc1179/6.2/control-file-acked"],
            QuirkKind::LpdSlowAck => &["lpd/rfc1179/5.2/prompt-acknowledgement"],
            QuirkKind::SocketCloseOnHalfClose => {
                &["appsocket/jetdirect/back-channel-after-half-close"]
            }
            QuirkKind::SocketOneConnection => &["appsocket/jetdirect/second-connection"],
            QuirkKind::SocketResetMidJob => &[
                "appsocket/pjl/raw-job-to-eof",
                "appsocket/pjl/uel-separated-jobs",
            ],
            QuirkKind::PjlSilent => &[
                "appsocket/pjl/info-id",
                "appsocket/pjl/info-status",
                "appsocket/pjl/echo",
            ],
            QuirkKind::SnmpSilent => &["snmp/rfc3416/4.2.1/get-answered"],
            QuirkKind::SnmpV1ErrorsInV2c => &[
                "snmp/rfc3416/4.2.1/no-such-object-exception",
                "snmp/rfc3416/4.2.2/end-of-mib-view",
            ],
            QuirkKind::SnmpWalkOutOfOrder => &["snmp/rfc3416/4.2.2/getnext-increases"],
            QuirkKind::SnmpWrongTypes => &[
                "snmp/rfc2790/hr-printer-detected-error-state",
                "snmp/rfc3805/supplies-level",
            ],
            QuirkKind::SnmpNegativeSupplyLevels => &["snmp/rfc3805/supplies-level"],
            QuirkKind::SnmpStaleStatus => &["snmp/ipp/printer-status-agrees"],
            QuirkKind::MdnsWrongTtl => &["mdns/rfc6762/10/record-ttls"],
            QuirkKind::MdnsNoGoodbye => &["mdns/rfc6762/10.1/goodbye-on-shutdown"],
            QuirkKind::MdnsMissingTxtKeys => &["mdns/bonjour-printing/txt-required-keys"],
            QuirkKind::MdnsTxtContradictsIpp => &["mdns/ipp/pdl-agrees"],
            QuirkKind::MdnsWrongPort => &["mdns/rfc6763/5/srv-port-answers"],
            QuirkKind::MdnsFlood => &["mdns/rfc6762/6/rate-limited-answers"],
            QuirkKind::MdnsNoDefend => &["mdns/rfc6762/9/name-defended"],
            QuirkKind::AnonymousAdmin => &[
                "security/authn/pause-printer",
                "security/authn/set-printer-attributes",
                "security/authn/purge-jobs",
                "security/authn/cancel-other-users-job",
            ],
            QuirkKind::SnmpWritablePrivate => &["security/snmp/write-community"],
            QuirkKind::PlaintextOnly => &["security/transport/ipps-offered"],
            QuirkKind::TlsLegacy => &["security/transport/tls-1.2-minimum"],
            QuirkKind::ExpiredCertificate => &["security/transport/certificate-not-expired"],
            QuirkKind::CupsBrowsed => &["security/exposure/cups-browsed"],
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
    /// `@Operation` after a quirk of another protocol than IPP.
    #[error("'{0}' is an {1} quirk: only IPP quirks take @Operation")]
    NotIpp(String, &'static str),
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
        if op.is_some() && kind.protocol() != QuirkProtocol::Ipp {
            return Err(QuirkError::NotIpp(
                kind.name().to_string(),
                match kind.protocol() {
                    QuirkProtocol::Lpd => "LPD",
                    _ => "AppSocket",
                },
            ));
        }
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
/// decisions taken before the operation is known, such as HTTP framing, and
/// for the LPD and AppSocket quirks, which have no operations).
pub fn is_raised(quirks: &[Quirk], kind: QuirkKind) -> bool {
    quirks.iter().any(|q| q.kind == kind)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

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
            if k.protocol() == QuirkProtocol::Ipp {
                assert_eq!(at.parse::<Quirk>().map(|q| q.to_string()), Ok(at.clone()));
            } else {
                let e = at.parse::<Quirk>().unwrap_err().to_string();
                assert!(e.contains("only IPP quirks take @Operation"), "{e}");
            }
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
            let prefix = format!("{}/", k.protocol().name());
            for id in k.flagged_by() {
                assert!(id.starts_with(&prefix), "{}: {id}", k.name());
            }
        }
    }
}
