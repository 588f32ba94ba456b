//! Each protocol's framing over a reassembled connection's two byte streams
//! (HTTP with IPP inside, LPD, AppSocket/PJL), and over single datagrams
//! (SNMP, mDNS).
//!
//! The contract, the same for every framer:
//! - pure functions over slices: no I/O, no clock, no state kept between
//!   calls, so the same streams always give the same split;
//! - lossless: every message keeps the byte range it came from in its
//!   stream, so a report can point at the bytes and a replay can resend them
//!   exactly;
//! - never a panic, whatever the bytes: what does not parse becomes a
//!   [`FrameProblem`] naming the stream and the offset, and bytes that cannot
//!   be framed at all are reported as a [`ProblemKind::Unparsed`] remainder.
//!
//! The streams are the reassembler's ([`crate::pcap::tcp::Flow`]):
//! `to_server` is what the client sent ([`Dir::ToServer`]), `to_client` what
//! the server sent back ([`Dir::ToClient`]); a [`FrameProblem`] names its
//! stream with the same [`Dir`]. [`guess_tcp_protocol`] and [`guess_udp_protocol`]
//! pick the framer, by content first and by port second.
//!
//! The result types derive `serde::Serialize` for
//! `paperjam capture inspect --format json`; byte buffers are written as
//! their length and a short escaped preview (the ranges locate the rest).

pub mod datagram;
pub mod http;
pub mod lpd;
pub mod socket;

#[cfg(test)]
mod tests;

use std::ops::Range;

pub use datagram::{mdns, snmp, MdnsDatagram, MdnsError, SnmpDatagram, SnmpError};
pub use http::{
    ipp_body, split_http, BodyFraming, HttpExchange, HttpMessage, HttpSplit, IppPayload, StartLine,
};
pub use lpd::{split_lpd, LpdCommand, LpdCommandKind, LpdSplit, LpdSubcommand};
pub use socket::{split_socket, SocketSplit};

pub use super::tcp::Dir;

/// The name of the stream `dir` names, as the reassembler's fields are
/// called.
pub fn stream_name(dir: Dir) -> &'static str {
    match dir {
        Dir::ToServer => "to_server",
        Dir::ToClient => "to_client",
    }
}

/// What kind of trouble a [`FrameProblem`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Bytes that could not be framed at all; the problem's `len` covers
    /// them, and nothing after them in that stream was framed.
    Unparsed,
    /// The stream ended inside a message (the capture stopped, or the peer
    /// closed early); the message is kept with `complete: false`.
    Truncated,
    /// A line or field does not follow the protocol's grammar.
    Malformed,
    /// The message frames, but breaks a rule of its protocol (a MUST).
    Violation,
    /// Bytes from one side that answer nothing from the other (a response
    /// without a request, bytes after the last acknowledgement).
    Unmatched,
}

/// Something in a stream a framer got past, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FrameProblem {
    /// The stream it is in.
    pub stream: Dir,
    /// Its offset in that stream.
    pub offset: usize,
    /// How many bytes it concerns from `offset` (0 for a point).
    pub len: usize,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What was wrong and what the framer did about it.
    pub message: String,
}

impl FrameProblem {
    /// A problem of `kind` at `offset` in `stream`, concerning `len` bytes.
    pub fn new(
        stream: Dir,
        offset: usize,
        len: usize,
        kind: ProblemKind,
        message: impl Into<String>,
    ) -> Self {
        FrameProblem {
            stream,
            offset,
            len,
            kind,
            message: message.into(),
        }
    }

    /// The bytes of `stream` from `offset` to its end could not be framed.
    pub fn unparsed(stream: Dir, offset: usize, stream_len: usize, why: impl Into<String>) -> Self {
        let why = why.into();
        let len = stream_len.saturating_sub(offset);
        FrameProblem::new(
            stream,
            offset,
            len,
            ProblemKind::Unparsed,
            format!("{why}; the remaining {len} byte(s) are left unparsed"),
        )
    }

    /// The byte range the problem concerns.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset.saturating_add(self.len)
    }
}

impl std::fmt::Display for FrameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} offset {}: {}",
            stream_name(self.stream),
            self.offset,
            self.message
        )
    }
}

/// The protocol a TCP connection carries, as far as framing goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpProtocol {
    /// HTTP/1.x: IPP over HTTP, or plain HTTP (the web interface).
    Http,
    /// LPD (RFC 1179).
    Lpd,
    /// AppSocket ("raw", port 9100): print data, perhaps wrapped in PJL.
    AppSocket,
    /// TLS (IPPS, HTTPS): encrypted, so not framed any further.
    Tls,
    /// None of these.
    Unknown,
}

/// The protocol of a TCP connection: by the client's first bytes when they
/// say, else by the server's port (631, 80, 443, 8000, 8080 HTTP; 515 LPD;
/// 9100–9102 AppSocket).
pub fn guess_tcp_protocol(server_port: u16, to_server: &[u8]) -> TcpProtocol {
    if looks_like_http_request(to_server) {
        return TcpProtocol::Http;
    }
    if looks_like_tls(to_server) {
        return TcpProtocol::Tls;
    }
    if looks_like_lpd_command(to_server) {
        return TcpProtocol::Lpd;
    }
    if looks_like_print_data(to_server) {
        return TcpProtocol::AppSocket;
    }
    match server_port {
        631 | 80 | 443 | 8000 | 8080 => TcpProtocol::Http,
        515 => TcpProtocol::Lpd,
        9100..=9102 => TcpProtocol::AppSocket,
        _ => TcpProtocol::Unknown,
    }
}

/// The protocol of a UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UdpProtocol {
    /// SNMP (any version).
    Snmp,
    /// Multicast DNS.
    Mdns,
    /// Neither.
    Unknown,
}

/// The protocol of a UDP datagram: SNMP when it decodes as an SNMPv1/v2c
/// message whatever the ports (agents listen on odd ports), or when it
/// carries an SNMP version field (v3, v1 traps) to or from 161/162; mDNS when
/// one port is 5353 and it holds at least a DNS header.
pub fn guess_udp_protocol(src_port: u16, dst_port: u16, payload: &[u8]) -> UdpProtocol {
    use paperjam_sim::snmp::message;
    if message::decode(payload).is_ok() {
        return UdpProtocol::Snmp;
    }
    let snmp_port = |p: u16| p == 161 || p == 162;
    if (snmp_port(src_port) || snmp_port(dst_port))
        && matches!(message::peek_version(payload), Ok(0..=3))
    {
        return UdpProtocol::Snmp;
    }
    if (src_port == 5353 || dst_port == 5353) && payload.len() >= 12 {
        return UdpProtocol::Mdns;
    }
    UdpProtocol::Unknown
}

/// Does the stream start with an HTTP/1.x request line
/// (`token SP target SP HTTP/d.d CRLF`, RFC 9112 §3)?
fn looks_like_http_request(buf: &[u8]) -> bool {
    let window = &buf[..buf.len().min(8192)];
    let Some(lf) = window.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let line = window[..lf].strip_suffix(b"\r").unwrap_or(&window[..lf]);
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !method.is_empty()
        && method.iter().all(|&b| http::is_tchar(b))
        && !target.is_empty()
        && target.iter().all(|&b| b > b' ' && b != 0x7f)
        && version.len() == 8
        && version.starts_with(b"HTTP/")
        && version[5].is_ascii_digit()
        && version[6] == b'.'
        && version[7].is_ascii_digit()
}

/// A TLS handshake record (content type 22, version 3.x).
fn looks_like_tls(buf: &[u8]) -> bool {
    matches!(buf, [0x16, 0x03, 0x00..=0x04, ..])
}

/// An RFC 1179 daemon command: a code 1–5, a printable queue name, perhaps
/// operands, then LF.
fn looks_like_lpd_command(buf: &[u8]) -> bool {
    let Some((&code, rest)) = buf.split_first() else {
        return false;
    };
    if !(1..=5).contains(&code) {
        return false;
    }
    let window = &rest[..rest.len().min(1024)];
    let Some(lf) = window.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let line = window[..lf].strip_suffix(b"\r").unwrap_or(&window[..lf]);
    matches!(line.first(), Some(b) if b.is_ascii_graphic())
        && line
            .iter()
            .all(|&b| b.is_ascii_graphic() || b == b' ' || b == b'\t' || b >= 0x80)
}

/// Print data as AppSocket carries it: a UEL, a PJL line, PostScript, PDF
/// or a PCL reset.
fn looks_like_print_data(buf: &[u8]) -> bool {
    buf.starts_with(paperjam_sim::pjl::UEL)
        || buf.starts_with(paperjam_sim::pjl::PREFIX)
        || buf.starts_with(b"%!")
        || buf.starts_with(b"%PDF")
        || buf.starts_with(b"\x1bE")
}

/// Text from wire bytes: UTF-8 when valid, otherwise ISO 8859-1 (one
/// character a byte), so decoding never fails.
pub(crate) fn text(bytes: &[u8]) -> String {
    paperjam_sim::pjl::decode_text(bytes)
}

/// How many bytes of a buffer [`serialize_preview`] shows.
pub const PREVIEW_LEN: usize = 64;

/// The first [`PREVIEW_LEN`] bytes, printable ASCII as is and anything else
/// escaped (`\r`, `\n`, `\t`, `\\`, `\xNN`), with `…` when cut.
pub fn preview(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for &b in bytes.iter().take(PREVIEW_LEN) {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    if bytes.len() > PREVIEW_LEN {
        s.push('…');
    }
    s
}

/// Serialize a byte buffer as `{ "len": n, "preview": "…" }` (see
/// [`preview`]), for `#[serde(serialize_with = "…")]`.
pub fn serialize_preview<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Bytes", 2)?;
    st.serialize_field("len", &bytes.len())?;
    st.serialize_field("preview", &preview(bytes))?;
    st.end()
}

/// Fuzz entry point (`fuzz/fuzz_targets/pcap_framers.rs`): `data` cut in two
/// at `cut` as a connection's streams, and whole as a datagram, through
/// every framer. A panic is a bug; so is a message or problem whose range
/// falls outside its stream, or a body longer than its message.
pub fn fuzz_framers(data: &[u8], cut: usize) {
    let cut = cut.min(data.len());
    let (a, b) = data.split_at(cut);
    for (to_server, to_client) in [(a, b), (b, a)] {
        let h = split_http(to_server, to_client);
        for ex in &h.exchanges {
            check_message(&ex.request, to_server.len());
            for m in &ex.interim {
                check_message(m, to_client.len());
            }
            if let Some(r) = &ex.response {
                check_message(r, to_client.len());
                let _ = ipp_body(r);
            }
            let _ = ipp_body(&ex.request);
        }
        for m in &h.orphan_responses {
            check_message(m, to_client.len());
        }
        check_problems(&h.problems, to_server.len(), to_client.len());

        let l = split_lpd(to_server, to_client);
        for c in &l.commands {
            assert!(c.range.end <= to_server.len(), "LPD command out of range");
            for s in &c.subcommands {
                assert!(
                    s.range.end <= to_server.len(),
                    "LPD subcommand out of range"
                );
                if let Some(r) = &s.content {
                    assert!(r.start <= r.end && r.end <= to_server.len());
                }
            }
            if let Some(r) = &c.answer {
                assert!(r.end <= to_client.len(), "LPD answer out of range");
            }
        }
        check_problems(&l.problems, to_server.len(), to_client.len());

        let s = split_socket(to_server, to_client);
        for p in &s.pjl {
            assert!(p.range.end <= to_server.len(), "PJL line out of range");
        }
        for d in &s.documents {
            assert!(d.range.start <= d.range.end && d.range.end <= to_server.len());
        }
        for p in &s.back_channel {
            assert!(
                p.range.end <= to_client.len(),
                "back-channel part out of range"
            );
        }
        check_problems(&s.problems, to_server.len(), to_client.len());

        let _ = guess_tcp_protocol(9100, to_server);
    }
    let _ = snmp(data);
    let _ = mdns(data);
    let _ = guess_udp_protocol(5353, 161, data);
}

fn check_message(m: &HttpMessage, stream_len: usize) {
    assert!(
        m.range.start <= m.range.end && m.range.end <= stream_len,
        "HTTP message range {:?} outside a {stream_len}-byte stream",
        m.range
    );
    assert!(m.body_range.start >= m.range.start && m.body_range.end <= m.range.end);
    if !matches!(m.framing, BodyFraming::Chunked { .. }) {
        assert_eq!(
            m.body.len(),
            m.body_range.len(),
            "body and body range differ"
        );
    }
}

fn check_problems(problems: &[FrameProblem], to_server: usize, to_client: usize) {
    for p in problems {
        let len = match p.stream {
            Dir::ToServer => to_server,
            Dir::ToClient => to_client,
        };
        assert!(p.range().end <= len, "problem {p} outside its stream");
    }
}
