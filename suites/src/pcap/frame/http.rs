//! HTTP/1.x framing (RFC 9112) over a connection's two streams, with IPP
//! (RFC 8010) inside the bodies.
//!
//! Requests are read one after the other from `to_server`, responses from
//! `to_client`, and paired by order (RFC 9112 §9.3.2: "A server MUST send
//! its responses to those requests in the same order that the requests were
//! received"), which is what makes pipelining work. A 1xx response is
//! interim (RFC 9110 §15.2): it is kept with the exchange and the next final
//! response answers the same request, so `Expect: 100-continue` sessions
//! (CUPS sends one with every IPP request) pair up.
//!
//! The body length follows RFC 9112 §6.3, in its order:
//! 1. a response to HEAD, and every 1xx, 204 and 304 response, has no body;
//! 2. `Transfer-Encoding` with `chunked` last: chunked (de-chunked into
//!    [`HttpMessage::body`], extensions dropped, trailers kept); another
//!    coding on a response: until the connection closes; on a request: the
//!    request cannot be framed (§6.3 item 4: "the server MUST respond with
//!    the 400 (Bad Request) status code and then close the connection");
//! 3. a valid `Content-Length`: that many bytes; an invalid one cannot be
//!    framed (§6.3 item 5, "unrecoverable error");
//! 4. otherwise no body for a request, and until close for a response.
//!
//! Bodies are limited only by the streams. When a client sends
//! `Expect: 100-continue` and the server answers with a final status without
//! a `100 Continue`, the client may send its body or not (RFC 9110
//! §10.1.1); when the bytes where the body would be start with a request
//! line, the body is taken as withheld ([`HttpMessage::body_withheld`]).

use std::ops::Range;

use paperjam_sim::wire::ipp::{RawMessage, WireError};

use super::{serialize_preview, text, Dir, FrameProblem, ProblemKind};

/// The most header fields one message may have before it is refused.
pub const MAX_HEADERS: usize = 1024;

/// Every HTTP message of a connection, paired into exchanges.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct HttpSplit {
    /// Each request with its interim and final responses, in order.
    pub exchanges: Vec<HttpExchange>,
    /// Responses left over when every request had its answer (or when the
    /// request stream could not be framed further), in order.
    pub orphan_responses: Vec<HttpMessage>,
    /// What could not be framed, or broke a rule, in either stream.
    pub problems: Vec<FrameProblem>,
}

/// One request and what the server answered.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HttpExchange {
    /// The request, from `to_server`.
    pub request: HttpMessage,
    /// 1xx responses before the final one (`100 Continue`…), from `to_client`.
    pub interim: Vec<HttpMessage>,
    /// The final response, from `to_client`; `None` when the stream ended
    /// first.
    pub response: Option<HttpMessage>,
}

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartLine {
    /// `method SP request-target SP HTTP-version`.
    Request {
        /// The method (`POST`).
        method: String,
        /// The request-target (`/ipp/print`).
        target: String,
        /// `HTTP/1.0` or `HTTP/1.1`.
        version: String,
    },
    /// `HTTP-version SP status-code SP [reason-phrase]`.
    Response {
        /// `HTTP/1.0` or `HTTP/1.1`.
        version: String,
        /// The status code.
        status: u16,
        /// The reason phrase (perhaps empty).
        reason: String,
    },
}

/// How a message's body was delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyFraming {
    /// No body.
    None,
    /// `Content-Length: n`.
    ContentLength(u64),
    /// `Transfer-Encoding: chunked`, with the number of chunks read (the last,
    /// empty, chunk not counted).
    Chunked {
        /// Chunks with data.
        chunks: usize,
    },
    /// Everything until the connection closed.
    UntilClose,
}

/// One HTTP message, where it is in its stream and what it says.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HttpMessage {
    /// The whole message's bytes in its stream (start line to the end of
    /// the body or trailers).
    pub range: Range<usize>,
    /// The bytes of the body as sent, chunk framing included; starts where
    /// the header section ends.
    pub body_range: Range<usize>,
    /// The start line without its CRLF.
    pub start_line: String,
    /// The start line, parsed.
    pub kind: StartLine,
    /// The header fields in order, names and values as sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    #[serde(serialize_with = "serialize_preview")]
    pub body: Vec<u8>,
    /// How the body was delimited.
    pub framing: BodyFraming,
    /// Trailer fields after a chunked body, in order.
    pub trailers: Vec<(String, String)>,
    /// Whether the whole message is here: `false` when the stream ended, or
    /// the framing broke, before the body did.
    pub complete: bool,
    /// The request announced a body with `Expect: 100-continue`, the server
    /// answered with a final status instead of `100 Continue`, and the client
    /// went on to its next request without sending the body.
    pub body_withheld: bool,
}

impl HttpMessage {
    /// The first header field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the header fields named `name`, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The method, for a request.
    pub fn method(&self) -> Option<&str> {
        match &self.kind {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, for a response.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            StartLine::Response { status, .. } => Some(*status),
            StartLine::Request { .. } => None,
        }
    }

    /// The media type of `Content-Type`, lower case, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// Where the body starts in the stream (after the header section).
    pub fn head_len(&self) -> usize {
        self.body_range.start - self.range.start
    }
}

/// An IPP message found in an HTTP body.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IppPayload {
    /// The message header through end-of-attributes, item by item (written
    /// to JSON as the summary fields below).
    #[serde(skip)]
    pub message: RawMessage,
    /// `major.minor`.
    pub version: String,
    /// operation-id (request) or status-code (response).
    pub code: u16,
    /// The operation's or status's registered name, or the code in hex.
    pub code_name: String,
    /// request-id.
    pub request_id: u32,
    /// How many attribute and delimiter items the message has.
    pub items: usize,
    /// Where the document data after end-of-attributes starts in the body.
    pub document_offset: usize,
    /// How many document bytes follow.
    pub document_len: usize,
}

/// The IPP message in a message's body, when it has one: `Content-Type:
/// application/ipp`, or a body that starts like IPP (version 1.x or 2.x,
/// then a group tag at byte 8). `Some(Err(_))` when it claims IPP and does
/// not parse.
pub fn ipp_body(msg: &HttpMessage) -> Option<Result<IppPayload, WireError>> {
    let claimed = msg.media_type().as_deref() == Some("application/ipp");
    if !claimed && !starts_like_ipp(&msg.body) {
        return None;
    }
    Some(RawMessage::parse(&msg.body).map(|(message, used)| {
        let code_name = match msg.kind {
            StartLine::Request { .. } => {
                paperjam_sim::ipp::Operation::from_raw(message.code).to_string()
            }
            StartLine::Response { .. } => {
                paperjam_sim::ipp::Status::from_raw(message.code).to_string()
            }
        };
        IppPayload {
            version: format!("{}.{}", message.version[0], message.version[1]),
            code: message.code,
            code_name,
            request_id: message.request_id,
            items: message.items.len(),
            document_offset: used,
            document_len: msg.body.len().saturating_sub(used),
            message,
        }
    }))
}

/// IPP version 1.0–2.x, and a delimiter tag (0x01–0x0F) after the 8-byte
/// header.
fn starts_like_ipp(body: &[u8]) -> bool {
    matches!(body, [1..=2, 0..=2, _, _, _, _, _, _, 0x01..=0x0f, ..])
}

/// A token character (RFC 9110 §5.6.2).
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Split a connection's streams into HTTP exchanges. Never panics; see the
/// module docs for the rules.
pub fn split_http(to_server: &[u8], to_client: &[u8]) -> HttpSplit {
    let mut out = HttpSplit::default();
    let mut requests = Reader::new(to_server, Dir::ToServer);
    let mut responses = Reader::new(to_client, Dir::ToClient);
    while let Some(head) = requests.next_head(&mut out.problems) {
        let method = match &head.kind {
            StartLine::Request { method, .. } => method.clone(),
            StartLine::Response { .. } => String::new(),
        };
        let (interim, response) = responses.answer(&method, &mut out.problems);
        let final_first = response
            .as_ref()
            .is_some_and(|r| r.status().unwrap_or(0) >= 200)
            && !interim.iter().any(|m| m.status() == Some(100));
        let request = requests.finish_request(head, final_first, &mut out.problems);
        out.exchanges.push(HttpExchange {
            request,
            interim,
            response,
        });
        if requests.stopped {
            break;
        }
    }
    // Whatever the server sent beyond the last request's answer.
    loop {
        let (interim, response) = responses.answer("", &mut out.problems);
        if interim.is_empty() && response.is_none() {
            break;
        }
        for m in interim.into_iter().chain(response) {
            out.problems.push(FrameProblem::new(
                Dir::ToClient,
                m.range.start,
                m.range.len(),
                ProblemKind::Unmatched,
                format!("response \"{}\" answers no request", m.start_line),
            ));
            out.orphan_responses.push(m);
        }
    }
    out
}

/// A message head: start line and header fields, parsed.
struct Head {
    start: usize,
    body_start: usize,
    start_line: String,
    kind: StartLine,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn into_message(self, end: usize, body: Body) -> HttpMessage {
        HttpMessage {
            range: self.start..end,
            body_range: self.body_start..end,
            start_line: self.start_line,
            kind: self.kind,
            headers: self.headers,
            body: body.bytes,
            framing: body.framing,
            trailers: body.trailers,
            complete: body.complete,
            body_withheld: false,
        }
    }
}

/// A body as read.
struct Body {
    bytes: Vec<u8>,
    framing: BodyFraming,
    trailers: Vec<(String, String)>,
    complete: bool,
}

impl Body {
    fn none() -> Body {
        Body {
            bytes: Vec::new(),
            framing: BodyFraming::None,
            trailers: Vec::new(),
            complete: true,
        }
    }
}

/// How the body of a message is to be delimited.
enum Length {
    None,
    Exact(u64),
    Chunked,
    UntilClose,
}

/// One stream, read message by message.
struct Reader<'a> {
    buf: &'a [u8],
    side: Dir,
    pos: usize,
    /// Nothing more can be framed in this stream.
    stopped: bool,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], side: Dir) -> Self {
        Reader {
            buf,
            side,
            pos: 0,
            stopped: false,
        }
    }

    fn stop(&mut self, problems: &mut Vec<FrameProblem>, at: usize, why: impl Into<String>) {
        if at < self.buf.len() {
            problems.push(FrameProblem::unparsed(self.side, at, self.buf.len(), why));
        }
        self.pos = self.buf.len();
        self.stopped = true;
    }

    /// The next message head, skipping empty lines before it (RFC 9112
    /// §2.2: a server "SHOULD ignore at least one empty line (CRLF)
    /// received prior to the request-line"). `None` at the end of the
    /// stream or when it cannot be framed further.
    fn next_head(&mut self, problems: &mut Vec<FrameProblem>) -> Option<Head> {
        if self.stopped {
            return None;
        }
        loop {
            let rest = &self.buf[self.pos..];
            if rest.starts_with(b"\r\n") {
                self.pos += 2;
            } else if rest.starts_with(b"\n") {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        match parse_head(&self.buf[start..], self.side) {
            Ok(Some((len, start_line, kind, headers))) => {
                self.pos = start + len;
                Some(Head {
                    start,
                    body_start: start + len,
                    start_line,
                    kind,
                    headers,
                })
            }
            Ok(None) => {
                problems.push(FrameProblem::new(
                    self.side,
                    start,
                    self.buf.len() - start,
                    ProblemKind::Truncated,
                    "the stream ends inside a message's header section",
                ));
                self.pos = self.buf.len();
                self.stopped = true;
                None
            }
            Err(why) => {
                self.stop(problems, start, why);
                None
            }
        }
    }

    /// The interim and final responses answering a request with `method`
    /// (empty when there is no request).
    fn answer(
        &mut self,
        method: &str,
        problems: &mut Vec<FrameProblem>,
    ) -> (Vec<HttpMessage>, Option<HttpMessage>) {
        let mut interim = Vec::new();
        while let Some(head) = self.next_head(problems) {
            let status = match head.kind {
                StartLine::Response { status, .. } => status,
                StartLine::Request { .. } => 0,
            };
            if status == 101 {
                let msg = head.into_message(self.pos, Body::none());
                let at = self.pos;
                self.stop(
                    problems,
                    at,
                    "after 101 Switching Protocols the connection no longer carries HTTP/1.1",
                );
                return (interim, Some(msg));
            }
            if (100..200).contains(&status) {
                interim.push(head.into_message(self.pos, Body::none()));
                continue;
            }
            let length = if method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304 {
                Ok(Length::None)
            } else {
                self.length(&head, false, problems)
            };
            let msg = match length {
                Ok(length) => self.finish(head, length, problems),
                Err(why) => {
                    let at = self.pos;
                    let msg = head.into_message(at, Body::none());
                    self.stop(problems, at, why);
                    msg
                }
            };
            return (interim, Some(msg));
        }
        (interim, None)
    }

    /// The request's body, read after its answer is known.
    fn finish_request(
        &mut self,
        head: Head,
        final_first: bool,
        problems: &mut Vec<FrameProblem>,
    ) -> HttpMessage {
        let length = match self.length(&head, true, problems) {
            Ok(l) => l,
            Err(why) => {
                let at = self.pos;
                let msg = head.into_message(at, Body::none());
                self.stop(problems, at, why);
                return msg;
            }
        };
        let expects = head
            .header("expect")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
        let rest = &self.buf[self.pos..];
        let no_body_came = rest.is_empty() || super::looks_like_http_request(rest);
        if expects
            && final_first
            && no_body_came
            && !matches!(length, Length::None | Length::Exact(0))
        {
            let framing = match length {
                Length::Exact(n) => BodyFraming::ContentLength(n),
                Length::Chunked => BodyFraming::Chunked { chunks: 0 },
                Length::None | Length::UntilClose => BodyFraming::None,
            };
            let mut msg = head.into_message(
                self.pos,
                Body {
                    framing,
                    ..Body::none()
                },
            );
            msg.body_withheld = true;
            return msg;
        }
        self.finish(head, length, problems)
    }

    /// The framing rules of RFC 9112 §6.3 items 3–7, for a message that
    /// may have a body.
    fn length(
        &self,
        head: &Head,
        request: bool,
        problems: &mut Vec<FrameProblem>,
    ) -> Result<Length, String> {
        let te: Vec<&str> = head
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        let has_cl = head
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
        if !te.is_empty() {
            if has_cl {
                // RFC 9112 §6.1: "A sender MUST NOT send a Content-Length
                // header field in any message that contains a
                // Transfer-Encoding header field."
                problems.push(FrameProblem::new(
                    self.side,
                    head.start,
                    head.body_start - head.start,
                    ProblemKind::Violation,
                    "both Transfer-Encoding and Content-Length (RFC 9112 §6.1); Transfer-Encoding wins",
                ));
            }
            let chunked_last = te.last().is_some_and(|c| c.eq_ignore_ascii_case("chunked"));
            return match (chunked_last, request) {
                (true, _) => Ok(Length::Chunked),
                (false, false) => Ok(Length::UntilClose),
                (false, true) => Err(format!(
                    "request with Transfer-Encoding \"{}\" whose last coding is not chunked cannot be framed (RFC 9112 §6.3)",
                    te.join(", ")
                )),
            };
        }
        if has_cl {
            let mut value: Option<u64> = None;
            for v in head
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .flat_map(|(_, v)| v.split(','))
            {
                let v = v.trim();
                let n = (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| v.parse::<u64>().ok())
                    .flatten();
                match (n, value) {
                    (None, _) => {
                        return Err(format!("invalid Content-Length \"{v}\" (RFC 9112 §6.3)"))
                    }
                    (Some(n), Some(prev)) if n != prev => {
                        return Err(format!(
                            "conflicting Content-Length values {prev} and {n} (RFC 9112 §6.3)"
                        ))
                    }
                    (Some(n), _) => value = Some(n),
                }
            }
            return Ok(value.map_or(Length::None, Length::Exact));
        }
        Ok(if request {
            Length::None
        } else {
            Length::UntilClose
        })
    }

    /// Read the body of `head` from the current position.
    fn finish(
        &mut self,
        head: Head,
        length: Length,
        problems: &mut Vec<FrameProblem>,
    ) -> HttpMessage {
        let start = self.pos;
        let rest = &self.buf[start..];
        match length {
            Length::None => head.into_message(start, Body::none()),
            Length::Exact(n) => {
                let have = usize::try_from(n).map_or(rest.len(), |n| n.min(rest.len()));
                let complete = u64::try_from(have).is_ok_and(|h| h == n);
                if !complete {
                    problems.push(FrameProblem::new(
                        self.side,
                        start,
                        have,
                        ProblemKind::Truncated,
                        format!("the stream ends {have} byte(s) into a {n}-byte body"),
                    ));
                    self.stopped = true;
                }
                self.pos = start + have;
                head.into_message(
                    self.pos,
                    Body {
                        bytes: rest[..have].to_vec(),
                        framing: BodyFraming::ContentLength(n),
                        trailers: Vec::new(),
                        complete,
                    },
                )
            }
            Length::UntilClose => {
                self.pos = self.buf.len();
                self.stopped = true;
                head.into_message(
                    self.pos,
                    Body {
                        bytes: rest.to_vec(),
                        framing: BodyFraming::UntilClose,
                        trailers: Vec::new(),
                        complete: true,
                    },
                )
            }
            Length::Chunked => {
                let d = dechunk(rest);
                self.pos = start + d.used;
                let body = Body {
                    bytes: d.body,
                    framing: BodyFraming::Chunked { chunks: d.chunks },
                    trailers: d.trailers,
                    complete: d.error.is_none(),
                };
                let msg = head.into_message(self.pos, body);
                match d.error {
                    None => {}
                    Some(ChunkError::Truncated) => {
                        problems.push(FrameProblem::new(
                            self.side,
                            start,
                            d.used,
                            ProblemKind::Truncated,
                            "the stream ends inside a chunked body",
                        ));
                        self.stopped = true;
                    }
                    Some(ChunkError::Malformed { at, why }) => {
                        let at = start + at;
                        self.stop(problems, at, format!("chunked body: {why}"));
                    }
                }
                msg
            }
        }
    }
}

/// A head as parsed: its length, start line, parsed start line, fields.
type ParsedHead = (usize, String, StartLine, Vec<(String, String)>);

/// Parse a head at the front of `buf`: `Ok(None)` when it is not whole.
fn parse_head(buf: &[u8], side: Dir) -> Result<Option<ParsedHead>, String> {
    let mut storage = vec![httparse::EMPTY_HEADER; 64];
    loop {
        let r = match side {
            Dir::ToServer => parse_request(buf, &mut storage),
            Dir::ToClient => parse_response(buf, &mut storage),
        };
        match r {
            Err(httparse::Error::TooManyHeaders) if storage.len() < MAX_HEADERS => {
                storage = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
            }
            Err(e) => {
                let what = match side {
                    Dir::ToServer => "request",
                    Dir::ToClient => "response",
                };
                return Err(format!("malformed {what} head: {e}"));
            }
            Ok(r) => return Ok(r),
        }
    }
}

fn first_line(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let line = &buf[..end];
    text(line.strip_suffix(b"\r").unwrap_or(line))
}

fn headers_of(hs: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    hs.iter()
        .map(|h| (h.name.to_string(), text(h.value)))
        .collect()
}

fn parse_request<'b>(
    buf: &'b [u8],
    storage: &mut [httparse::Header<'b>],
) -> Result<Option<ParsedHead>, httparse::Error> {
    let mut req = httparse::Request::new(storage);
    match req.parse(buf)? {
        httparse::Status::Partial => Ok(None),
        httparse::Status::Complete(len) => {
            let kind = StartLine::Request {
                method: req.method.unwrap_or_default().to_string(),
                target: req.path.unwrap_or_default().to_string(),
                version: format!("HTTP/1.{}", req.version.unwrap_or(1)),
            };
            Ok(Some((len, first_line(buf), kind, headers_of(req.headers))))
        }
    }
}

fn parse_response<'b>(
    buf: &'b [u8],
    storage: &mut [httparse::Header<'b>],
) -> Result<Option<ParsedHead>, httparse::Error> {
    let mut res = httparse::Response::new(storage);
    // Printers' embedded servers are sloppy; read what browsers read.
    let status = httparse::ParserConfig::default()
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_multiple_spaces_in_response_status_delimiters(true)
        .parse_response(&mut res, buf)?;
    match status {
        httparse::Status::Partial => Ok(None),
        httparse::Status::Complete(len) => {
            let kind = StartLine::Response {
                version: format!("HTTP/1.{}", res.version.unwrap_or(1)),
                status: res.code.unwrap_or(0),
                reason: res.reason.unwrap_or_default().to_string(),
            };
            Ok(Some((len, first_line(buf), kind, headers_of(res.headers))))
        }
    }
}

/// A chunked body, de-chunked.
struct Dechunked {
    body: Vec<u8>,
    chunks: usize,
    trailers: Vec<(String, String)>,
    /// Bytes of the stream used, chunk framing and trailers included.
    used: usize,
    error: Option<ChunkError>,
}

enum ChunkError {
    Truncated,
    Malformed { at: usize, why: String },
}

/// De-chunk the chunked body at the front of `buf` (RFC 9112 §7.1):
///
/// ```text
/// chunked-body = *chunk last-chunk trailer-section CRLF
/// chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// last-chunk   = 1*("0") [ chunk-ext ] CRLF
/// ```
///
/// A bare LF is accepted where CRLF is due, as most parsers do.
fn dechunk(buf: &[u8]) -> Dechunked {
    let mut d = Dechunked {
        body: Vec::new(),
        chunks: 0,
        trailers: Vec::new(),
        used: 0,
        error: None,
    };
    let mut pos = 0;
    let fail = |d: &mut Dechunked, used: usize, e: ChunkError| {
        d.used = used;
        d.error = Some(e);
    };
    loop {
        let Some((line, next)) = line_at(buf, pos) else {
            fail(&mut d, buf.len(), ChunkError::Truncated);
            return d;
        };
        let size_text = line
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        let size = if size_text.is_empty() || !size_text.iter().all(u8::is_ascii_hexdigit) {
            None
        } else {
            std::str::from_utf8(size_text)
                .ok()
                .and_then(|s| u64::from_str_radix(s, 16).ok())
        };
        let Some(size) = size else {
            let why = format!("bad chunk-size line \"{}\"", super::preview(line));
            fail(&mut d, pos, ChunkError::Malformed { at: pos, why });
            return d;
        };
        pos = next;
        if size == 0 {
            // Trailer section, then the empty line.
            loop {
                let Some((line, next)) = line_at(buf, pos) else {
                    fail(&mut d, buf.len(), ChunkError::Truncated);
                    return d;
                };
                if line.is_empty() {
                    d.used = next;
                    return d;
                }
                let (name, value) = match line.iter().position(|&b| b == b':') {
                    Some(i) => (&line[..i], &line[i + 1..]),
                    None => {
                        let why = format!("bad trailer field \"{}\"", super::preview(line));
                        fail(&mut d, pos, ChunkError::Malformed { at: pos, why });
                        return d;
                    }
                };
                d.trailers.push((text(name), text(value.trim_ascii())));
                pos = next;
            }
        }
        let avail = buf.len() - pos;
        let take = usize::try_from(size).map_or(avail, |s| s.min(avail));
        d.body.extend_from_slice(&buf[pos..pos + take]);
        if u64::try_from(take).map_or(true, |t| t < size) {
            fail(&mut d, buf.len(), ChunkError::Truncated);
            return d;
        }
        pos += take;
        d.chunks += 1;
        match &buf[pos..] {
            [b'\r', b'\n', ..] => pos += 2,
            [b'\n', ..] => pos += 1,
            [] | [b'\r'] => {
                fail(&mut d, buf.len(), ChunkError::Truncated);
                return d;
            }
            _ => {
                let why = format!("chunk data of {size} byte(s) is not followed by CRLF");
                fail(&mut d, pos, ChunkError::Malformed { at: pos, why });
                return d;
            }
        }
    }
}

/// The line at `pos` without its CRLF (or LF), and where the next starts;
/// `None` when no LF comes before the end.
fn line_at(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(pos..)?;
    let lf = rest.iter().position(|&b| b == b'\n')?;
    let line = &rest[..lf];
    Some((line.strip_suffix(b"\r").unwrap_or(line), pos + lf + 1))
}
