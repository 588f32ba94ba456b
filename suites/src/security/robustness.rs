//! Robustness probes: malformed and oversize IPP requests, slow clients and
//! floods. They can hang or crash a weak printer, so the runner calls them
//! only with `--allow-disruptive`.
//!
//! Every probe is bounded by limits passed in ([`Limits`], or a timeout) and
//! never runs past them; every probe reports what it sent. The requests are
//! built by sans-IO functions ([`malformed_requests`], [`oversize_request`],
//! [`get_printer_attributes`]); the IO side speaks HTTP/1.1 to an
//! [`Endpoint`] — plain TCP, or TLS for a printer that refuses plain text
//! (a `426` or an `ipps://` URI), so the probes reach its IPP parser rather
//! than its upgrade refusal — one request per connection (`Connection:
//! close`), and reads only the response head's status (the body, by
//! Content-Length or until the close, is read and dropped, at most
//! [`BODY_CAP`] bytes).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use crate::client::Io;

/// The most bytes of a response head read.
pub const HEAD_CAP: usize = 64 * 1024;
/// The most bytes of a response body read (and dropped).
pub const BODY_CAP: usize = 1024 * 1024;
/// How often [`slow_loris`] sends its next byte.
pub const SLOW_LORIS_INTERVAL: Duration = Duration::from_millis(100);
/// The largest single value in [`oversize_request`]'s requested-attributes.
pub const OVERSIZE_CHUNK: usize = 32 * 1024;
/// Collection depth of the `deep-collection-nesting` request.
pub const NESTING_DEPTH: usize = 1000;

/// How far a disruptive probe may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// The most requests sent ([`flood`]).
    pub requests: u32,
    /// The longest the probe runs.
    pub duration: Duration,
    /// The most connections open at once.
    pub connections: u32,
}

/// Where the probes connect, and whether they speak TLS there.
#[derive(Clone)]
pub struct Endpoint {
    /// The printer's IPP address.
    pub addr: SocketAddr,
    tls: Option<(
        Arc<rustls::ClientConfig>,
        rustls::pki_types::ServerName<'static>,
    )>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.addr, self.transport())
    }
}

impl Endpoint {
    /// Plain HTTP to `addr`.
    pub fn plain(addr: SocketAddr) -> Endpoint {
        Endpoint { addr, tls: None }
    }

    /// HTTP over TLS to `addr`, sending `host` as the server name (an IP
    /// address sends none). Any certificate is accepted: these probes grade
    /// robustness, the TLS cases grade certificates.
    pub fn tls(addr: SocketAddr, host: &str) -> Result<Endpoint, String> {
        let config = crate::client::tls_config().map_err(|e| format!("TLS setup: {e}"))?;
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| format!("TLS server name {host:?}: {e}"))?;
        Ok(Endpoint {
            addr,
            tls: Some((config, name)),
        })
    }

    /// Whether the probes speak TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// `plain HTTP` or `TLS`: for evidence.
    pub fn transport(&self) -> &'static str {
        if self.is_tls() {
            "TLS"
        } else {
            "plain HTTP"
        }
    }

    /// A fresh connection (and its TLS handshake). Errors read `connect: …`
    /// or `TLS handshake: …`.
    async fn connect(&self) -> Result<Box<dyn Io>, String> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect: {}", io_error_name(&e)))?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some((config, name)) => {
                let s = tokio_rustls::TlsConnector::from(config.clone())
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS handshake: {}", io_error_name(&e)))?;
                Ok(Box::new(s))
            }
        }
    }
}

/// IPP value and delimiter tags (RFC 8010 §3.5).
mod tag {
    pub const OPERATION: u8 = 0x01;
    pub const END: u8 = 0x03;
    pub const KEYWORD: u8 = 0x44;
    pub const URI: u8 = 0x45;
    pub const CHARSET: u8 = 0x47;
    pub const LANGUAGE: u8 = 0x48;
    pub const NAME: u8 = 0x42;
    pub const BEG_COLLECTION: u8 = 0x34;
    pub const END_COLLECTION: u8 = 0x37;
    pub const MEMBER_NAME: u8 = 0x4a;
}

/// Get-Printer-Attributes.
const OP_GET_PRINTER_ATTRIBUTES: u16 = 0x000b;

/// One attribute value: tag, name (empty for an additional value), value.
/// Lengths past 65535 are truncated to their low 16 bits, which is the
/// point of some malformed requests; callers keep them in range otherwise.
fn attr(out: &mut Vec<u8>, value_tag: u8, name: &[u8], value: &[u8]) {
    out.push(value_tag);
    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
}

/// The 8-byte header: version, operation, request-id.
fn header(out: &mut Vec<u8>, version: [u8; 2], op: u16, request_id: i32) {
    out.extend_from_slice(&version);
    out.extend_from_slice(&op.to_be_bytes());
    out.extend_from_slice(&request_id.to_be_bytes());
}

/// The operation attributes every request starts with (RFC 8011 §4.1.4).
fn operation_attributes(out: &mut Vec<u8>, printer_uri: &str) {
    out.push(tag::OPERATION);
    attr(out, tag::CHARSET, b"attributes-charset", b"utf-8");
    attr(out, tag::LANGUAGE, b"attributes-natural-language", b"en");
    attr(out, tag::URI, b"printer-uri", printer_uri.as_bytes());
}

/// The printer URI of `host` and `path`.
fn printer_uri(host: &str, path: &str) -> String {
    format!("ipp://{host}{path}")
}

/// A whole HTTP/1.1 POST of `body` to `path` (`Content-Type:
/// application/ipp`, `Content-Length`, `Connection: close`).
pub fn http_post(host: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// A well-formed Get-Printer-Attributes (IPP 2.0, request-id 1,
/// requesting-user-name `paperjam`) as a whole HTTP request: the control
/// request for [`still_answers`] and [`flood`].
pub fn get_printer_attributes(host: &str, path: &str) -> Vec<u8> {
    let mut body = Vec::new();
    header(&mut body, [2, 0], OP_GET_PRINTER_ATTRIBUTES, 1);
    operation_attributes(&mut body, &printer_uri(host, path));
    attr(&mut body, tag::NAME, b"requesting-user-name", b"paperjam");
    body.push(tag::END);
    http_post(host, path, &body)
}

/// Named malformed IPP requests, each a whole HTTP POST to `path` with a
/// correct Content-Length (the IPP body is what is wrong):
/// - `truncated-header`: 3 bytes of the 8-byte header;
/// - `attribute-length-past-end`: a value length of 0x7fff with 5 bytes left;
/// - `unknown-value-tag-huge-length`: value tag 0x7f (extension) with a
///   value length of 65535 and 4 bytes present;
/// - `no-end-of-attributes`: no end-of-attributes-tag;
/// - `version-9.9`: version-number 9.9 (RFC 8011 §4.1.8 wants
///   server-error-version-not-supported);
/// - `request-id-0`: request-id 0 (RFC 8011 §4.1.1: 1 to 2^31-1);
/// - `attribute-name-64k`: an attribute name of 65535 bytes;
/// - `user-name-64k`: requesting-user-name of 65535 bytes (a name is at
///   most 255 octets);
/// - `deep-collection-nesting`: [`NESTING_DEPTH`] nested begCollection
///   levels, closed properly.
pub fn malformed_requests(host: &str, path: &str) -> Vec<(&'static str, Vec<u8>)> {
    let uri = printer_uri(host, path);
    let valid_start = |version: [u8; 2], request_id: i32| {
        let mut b = Vec::new();
        header(&mut b, version, OP_GET_PRINTER_ATTRIBUTES, request_id);
        operation_attributes(&mut b, &uri);
        b
    };
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();

    out.push(("truncated-header", vec![2, 0, 0]));

    let mut b = Vec::new();
    header(&mut b, [2, 0], OP_GET_PRINTER_ATTRIBUTES, 1);
    b.push(tag::OPERATION);
    b.push(tag::CHARSET);
    b.extend_from_slice(&18u16.to_be_bytes());
    b.extend_from_slice(b"attributes-charset");
    b.extend_from_slice(&0x7fffu16.to_be_bytes());
    b.extend_from_slice(b"utf-8");
    out.push(("attribute-length-past-end", b));

    let mut b = valid_start([2, 0], 1);
    b.push(0x7f);
    b.extend_from_slice(&1u16.to_be_bytes());
    b.push(b'x');
    b.extend_from_slice(&0xffffu16.to_be_bytes());
    b.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    out.push(("unknown-value-tag-huge-length", b));

    let mut b = valid_start([2, 0], 1);
    attr(&mut b, tag::NAME, b"requesting-user-name", b"paperjam");
    out.push(("no-end-of-attributes", b));

    let mut b = valid_start([9, 9], 1);
    b.push(tag::END);
    out.push(("version-9.9", b));

    let mut b = valid_start([2, 0], 0);
    b.push(tag::END);
    out.push(("request-id-0", b));

    let mut b = valid_start([2, 0], 1);
    attr(&mut b, tag::KEYWORD, &vec![b'a'; 65_535], b"x");
    b.push(tag::END);
    out.push(("attribute-name-64k", b));

    let mut b = valid_start([2, 0], 1);
    attr(
        &mut b,
        tag::NAME,
        b"requesting-user-name",
        &vec![b'a'; 65_535],
    );
    b.push(tag::END);
    out.push(("user-name-64k", b));

    let mut b = valid_start([2, 0], 1);
    attr(&mut b, tag::BEG_COLLECTION, b"x-paperjam-nested", b"");
    for _ in 1..NESTING_DEPTH {
        attr(&mut b, tag::MEMBER_NAME, b"", b"a");
        attr(&mut b, tag::BEG_COLLECTION, b"", b"");
    }
    for _ in 0..NESTING_DEPTH {
        attr(&mut b, tag::END_COLLECTION, b"", b"");
    }
    b.push(tag::END);
    out.push(("deep-collection-nesting", b));

    out.into_iter()
        .map(|(name, body)| (name, http_post(host, path, &body)))
        .collect()
}

/// A Get-Printer-Attributes carrying `value_len` bytes of attribute values,
/// as a whole HTTP POST.
///
/// Up to 65535 bytes (what one value's 16-bit length can say) it is one
/// requesting-user-name of `value_len` bytes; beyond, the length field
/// cannot say it, so requesting-user-name is `paperjam` and
/// requested-attributes carries values of at most [`OVERSIZE_CHUNK`] bytes
/// summing to `value_len`.
pub fn oversize_request(host: &str, path: &str, value_len: usize) -> Vec<u8> {
    let mut body = Vec::new();
    header(&mut body, [2, 0], OP_GET_PRINTER_ATTRIBUTES, 1);
    operation_attributes(&mut body, &printer_uri(host, path));
    if value_len <= usize::from(u16::MAX) {
        attr(
            &mut body,
            tag::NAME,
            b"requesting-user-name",
            &vec![b'a'; value_len],
        );
    } else {
        attr(&mut body, tag::NAME, b"requesting-user-name", b"paperjam");
        let mut left = value_len;
        let mut name: &[u8] = b"requested-attributes";
        let chunk = vec![b'a'; OVERSIZE_CHUNK];
        while left > 0 {
            let n = left.min(OVERSIZE_CHUNK);
            attr(
                &mut body,
                tag::KEYWORD,
                name,
                chunk.get(..n).unwrap_or_default(),
            );
            name = b"";
            left -= n;
        }
    }
    body.push(tag::END);
    http_post(host, path, &body)
}

/// What a bounded run of requests or connections saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Requests sent whole ([`slow_loris`]: connections opened).
    pub sent: u32,
    /// Requests answered with an HTTP status ([`slow_loris`]: connections
    /// the server answered or closed before the end).
    pub answered: u32,
    /// How many answers had each HTTP status.
    pub statuses: BTreeMap<u16, u32>,
    /// How many requests or connections ended each other way (`timeout`,
    /// `connection reset`, `closed by the server`, …).
    pub errors: BTreeMap<String, u32>,
    /// How long the probe ran.
    pub elapsed_ms: u64,
}

impl Outcome {
    fn error(&mut self, e: impl Into<String>) {
        *self.errors.entry(e.into()).or_default() += 1;
    }

    fn status(&mut self, s: u16) {
        self.answered += 1;
        *self.statuses.entry(s).or_default() += 1;
    }
}

/// Short, stable names for IO errors, so they count together.
fn io_error_name(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => "connection refused".into(),
        K::ConnectionReset => "connection reset".into(),
        K::ConnectionAborted => "connection aborted".into(),
        K::BrokenPipe => "broken pipe".into(),
        K::TimedOut => "timeout".into(),
        K::UnexpectedEof => "closed without an answer".into(),
        K::AddrNotAvailable => "no local port available".into(),
        _ => e.to_string(),
    }
}

/// Read one HTTP response's head and body (dropped); the status.
async fn read_status(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> Result<u16, String> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 8192];
    let (status, head_len, content_length) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(&buf) {
            Ok(httparse::Status::Complete(n)) => {
                let length = resp
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok())
                    .and_then(|v| v.trim().parse::<usize>().ok());
                break (resp.code.unwrap_or_default(), n, length);
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => {
                return Err(format!(
                    "not an HTTP response ({e}): {}",
                    super::tls_probe::describe_bytes(&buf)
                ))
            }
        }
        if buf.len() >= HEAD_CAP {
            return Err(format!("no end of response head in {} bytes", buf.len()));
        }
        match stream.read(&mut chunk).await {
            Ok(0) if buf.is_empty() => return Err("closed without an answer".into()),
            Ok(0) => return Err("closed in the middle of the response head".into()),
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e) => return Err(io_error_name(&e)),
        }
    };
    // Drain the body so the server is not reset mid-write; errors no longer
    // matter, the status is known.
    let mut have = buf.len().saturating_sub(head_len);
    let want = content_length.unwrap_or(BODY_CAP).min(BODY_CAP);
    while have < want {
        match stream.read(&mut chunk).await {
            Ok(n) if n > 0 => have += n,
            _ => break,
        }
    }
    Ok(status)
}

/// Connect, send `request` whole, read the status; all within `timeout`.
/// When the server closes or resets while the request is still being sent
/// (it may answer 413 early), whatever it answered is still read.
/// Also says whether the request went out whole.
async fn exchange_detailed(
    to: &Endpoint,
    request: &[u8],
    timeout: Duration,
) -> (bool, Result<u16, String>) {
    let mut sent = false;
    let work = async {
        let mut stream = to.connect().await?;
        let written = match stream.write_all(request).await {
            Ok(()) => stream.flush().await,
            Err(e) => Err(e),
        };
        sent = written.is_ok();
        match (written, read_status(&mut stream).await) {
            (_, Ok(status)) => Ok(status),
            (Err(w), Err(_)) => Err(format!("send: {}", io_error_name(&w))),
            (Ok(()), Err(r)) => Err(r),
        }
    };
    let result = match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err("timeout".into()),
    };
    (sent, result)
}

async fn exchange(to: &Endpoint, request: &[u8], timeout: Duration) -> Result<u16, String> {
    exchange_detailed(to, request, timeout).await.1
}

/// Send each request on its own connection, one after the other, each
/// bounded by `timeout`: the HTTP status of each, or what went wrong.
pub async fn send_each(
    to: &Endpoint,
    requests: &[(&str, Vec<u8>)],
    timeout: Duration,
) -> Vec<(String, Result<u16, String>)> {
    let mut out = Vec::new();
    for (name, bytes) in requests {
        out.push((name.to_string(), exchange(to, bytes, timeout).await));
    }
    out
}

/// One request on a fresh connection, within `timeout`: the HTTP status.
/// Run after a disruptive probe, it tells whether the printer survived.
pub async fn still_answers(
    to: &Endpoint,
    request: Vec<u8>,
    timeout: Duration,
) -> Result<u16, String> {
    exchange(to, &request, timeout).await
}

/// Send `request` up to `limits.requests` times, on fresh connections, at
/// most `limits.connections` at once, stopping when `limits.duration` is
/// over (requests still running then are cut off and counted as `cut off at
/// the end`).
pub async fn flood(to: &Endpoint, request: Vec<u8>, limits: &Limits) -> Outcome {
    let start = tokio::time::Instant::now();
    let deadline = start + limits.duration;
    let request = Arc::new(request);
    let tickets = Arc::new(AtomicU32::new(0));
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..limits.connections.min(limits.requests) {
        let (request, tickets, outcome) = (request.clone(), tickets.clone(), outcome.clone());
        let to = to.clone();
        let max = limits.requests;
        workers.spawn(async move {
            while tickets.fetch_add(1, Ordering::Relaxed) < max {
                let now = tokio::time::Instant::now();
                if now >= deadline {
                    return;
                }
                let (sent, result) = exchange_detailed(&to, &request, deadline - now).await;
                let mut o = outcome.lock().await;
                if sent {
                    o.sent += 1;
                }
                match result {
                    Ok(status) => o.status(status),
                    Err(e) if e == "timeout" && tokio::time::Instant::now() >= deadline => {
                        o.error("cut off at the end")
                    }
                    Err(e) => o.error(e),
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let mut o = outcome.lock().await.clone();
    o.elapsed_ms = millis(start.elapsed());
    o
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The endless request head a slow-loris connection trickles out.
fn loris_bytes(host: &str) -> Vec<u8> {
    let mut head =
        format!("POST /ipp/print HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/ipp\r\n")
            .into_bytes();
    // Enough header lines for hours at one byte per interval.
    for i in 0..4096 {
        head.extend_from_slice(format!("X-Paperjam-{i}: slow\r\n").as_bytes());
    }
    head
}

/// Hold `limits.connections` connections open, each sending a request head
/// one byte every [`SLOW_LORIS_INTERVAL`] and never finishing it, for
/// `limits.duration`; then close them all.
///
/// In the [`Outcome`], `sent` counts the connections opened; a connection the
/// server answered counts under `answered` and its status (408, 400, …);
/// one it closed or reset without an answer counts under the error
/// `closed by the server` or `connection reset`; one still open at the end
/// counts under `held open until the end` (the server let it hang: each such
/// connection holds one of its slots).
pub async fn slow_loris(to: &Endpoint, host: &str, limits: &Limits) -> Outcome {
    let start = tokio::time::Instant::now();
    let deadline = start + limits.duration;
    let bytes = Arc::new(loris_bytes(host));
    let mut conns = tokio::task::JoinSet::new();
    for _ in 0..limits.connections {
        let (bytes, to) = (bytes.clone(), to.clone());
        conns.spawn(async move { loris(&to, &bytes, deadline).await });
    }
    let mut o = Outcome::default();
    while let Some(done) = conns.join_next().await {
        match done {
            Ok(LorisEnd::Answered(status)) => {
                o.sent += 1;
                o.status(status);
            }
            Ok(LorisEnd::Ended(how)) => {
                o.sent += 1;
                o.answered += 1;
                o.error(how);
            }
            Ok(LorisEnd::HeldOpen) => {
                o.sent += 1;
                o.error("held open until the end");
            }
            Ok(LorisEnd::NotOpened(e)) => o.error(e),
            Err(_) => o.error("probe task failed"),
        }
    }
    o.elapsed_ms = millis(start.elapsed());
    o
}

/// How one slow-loris connection ended.
enum LorisEnd {
    /// The server sent a response with this status.
    Answered(u16),
    /// The server closed or reset the connection without a status.
    Ended(String),
    /// Still open at the deadline.
    HeldOpen,
    /// The connection could not be opened.
    NotOpened(String),
}

async fn loris(to: &Endpoint, bytes: &[u8], deadline: tokio::time::Instant) -> LorisEnd {
    let stream = match tokio::time::timeout_at(deadline, to.connect()).await {
        Err(_) => return LorisEnd::NotOpened("connect: timeout".into()),
        Ok(Err(e)) => return LorisEnd::NotOpened(e),
        Ok(Ok(s)) => s,
    };
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut ticks = tokio::time::interval(SLOW_LORIS_INTERVAL);
    let mut next = 0usize;
    let mut got = Vec::new();
    let mut chunk = vec![0u8; 4096];
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return LorisEnd::HeldOpen,
            _ = ticks.tick() => {
                let Some(b) = bytes.get(next..next + 1) else {
                    // The whole head went out slowly (hours): stop sending.
                    continue;
                };
                next += 1;
                let written = match wr.write_all(b).await {
                    Ok(()) => wr.flush().await,
                    Err(e) => Err(e),
                };
                if let Err(e) = written {
                    return LorisEnd::Ended(io_error_name(&e));
                }
            }
            read = rd.read(&mut chunk) => match read {
                Ok(0) => {
                    return match status_of(&got) {
                        Some(s) => LorisEnd::Answered(s),
                        None => LorisEnd::Ended("closed by the server".into()),
                    }
                }
                Ok(n) => {
                    got.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    if let Some(s) = status_of(&got) {
                        return LorisEnd::Answered(s);
                    }
                    if got.len() > HEAD_CAP {
                        return LorisEnd::Ended("answered with something not HTTP".into());
                    }
                }
                Err(e) => {
                    return match status_of(&got) {
                        Some(s) => LorisEnd::Answered(s),
                        None => LorisEnd::Ended(io_error_name(&e)),
                    }
                }
            },
        }
    }
}

/// The status of a complete response head in `bytes`.
fn status_of(bytes: &[u8]) -> Option<u16> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => resp.code,
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use tokio::net::TcpListener;

    const T: Duration = Duration::from_secs(5);

    /// Split a whole HTTP request: its Content-Length and body.
    fn split_request(req: &[u8]) -> (String, usize, Vec<u8>) {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut r = httparse::Request::new(&mut headers);
        let n = match r.parse(req).unwrap() {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => panic!("partial head"),
        };
        let len: usize = r
            .headers
            .iter()
            .find(|h| h.name == "Content-Length")
            .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
            .unwrap();
        (r.path.unwrap().to_string(), len, req[n..].to_vec())
    }

    #[test]
    fn malformed_requests_are_whole_http_requests() {
        let reqs = malformed_requests("printer.local:631", "/ipp/print");
        let names: Vec<_> = reqs.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "truncated-header",
                "attribute-length-past-end",
                "unknown-value-tag-huge-length",
                "no-end-of-attributes",
                "version-9.9",
                "request-id-0",
                "attribute-name-64k",
                "user-name-64k",
                "deep-collection-nesting",
            ]
        );
        let body = |name: &str| {
            let (path, len, body) =
                split_request(&reqs.iter().find(|(n, _)| *n == name).unwrap().1);
            assert_eq!(path, "/ipp/print");
            assert_eq!(len, body.len(), "{name}");
            body
        };
        assert_eq!(body("truncated-header"), vec![2, 0, 0]);
        assert_eq!(&body("version-9.9")[..2], &[9, 9]);
        assert_eq!(&body("request-id-0")[4..8], &[0, 0, 0, 0]);
        let b = body("attribute-length-past-end");
        assert_eq!(&b[b.len() - 7..b.len() - 5], &[0x7f, 0xff]);
        let b = body("no-end-of-attributes");
        assert_ne!(b.last(), Some(&tag::END));
        assert!(body("attribute-name-64k").len() > 65_535);
        assert!(body("user-name-64k").len() > 65_535);
        let b = body("deep-collection-nesting");
        // Header, operation attributes, then 1 + 999 × 2 + 1000 five-byte
        // delimiters and member names, and the end tag.
        let begin = b.iter().filter(|&&x| x == tag::BEG_COLLECTION).count();
        assert!(begin >= NESTING_DEPTH);
        assert_eq!(b.last(), Some(&tag::END));
        for (name, req) in &reqs {
            assert!(
                req.starts_with(b"POST /ipp/print HTTP/1.1\r\nHost: printer.local:631\r\n"),
                "{name}"
            );
        }
    }

    #[test]
    fn oversize_requests() {
        let (_, _, b) = split_request(&oversize_request("h", "/ipp/print", 100));
        let needle = b"requesting-user-name\x00\x64";
        assert!(b.windows(needle.len()).any(|w| w == needle));

        let value_len = 200_000;
        let (_, len, b) = split_request(&oversize_request("h", "/ipp/print", value_len));
        assert_eq!(len, b.len());
        let chunks = value_len.div_ceil(OVERSIZE_CHUNK);
        assert_eq!(chunks, 7);
        // Every value is there, plus framing.
        assert!(b.len() > value_len && b.len() < value_len + 400);
        assert_eq!(b.last(), Some(&tag::END));
    }

    #[test]
    fn control_request_is_well_formed() {
        let (_, len, b) = split_request(&get_printer_attributes("h:631", "/ipp/print"));
        assert_eq!(len, b.len());
        assert_eq!(&b[..8], &[2, 0, 0, 0x0b, 0, 0, 0, 1]);
        assert_eq!(b.last(), Some(&tag::END));
    }

    /// How the in-test HTTP server behaves.
    #[derive(Clone, Copy)]
    struct Opts {
        /// Give up on a head that is not whole by then.
        head_timeout: Option<Duration>,
        /// Send this when giving up.
        timeout_answer: Option<&'static str>,
        /// Answer requests (else read them and stay silent).
        answer: bool,
    }

    const NORMAL: Opts = Opts {
        head_timeout: None,
        timeout_answer: None,
        answer: true,
    };

    /// A plausible IPP request: a whole header, version 1.x or 2.x, a
    /// request-id, and the end-of-attributes tag last.
    fn plausible(body: &[u8]) -> bool {
        body.len() >= 9
            && matches!(body[0], 1 | 2)
            && body[4..8] != [0, 0, 0, 0]
            && body.last() == Some(&tag::END)
    }

    /// A tiny HTTP server on 127.0.0.1, ready once bound. It counts the
    /// bytes it reads.
    async fn server(opts: Opts) -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                tokio::spawn(handle(s, opts, counter.clone()));
            }
        });
        (addr, seen)
    }

    /// Read until the client closes (so closing never resets the client).
    async fn drain(s: &mut TcpStream) {
        let mut chunk = [0u8; 8192];
        while matches!(s.read(&mut chunk).await, Ok(n) if n > 0) {}
    }

    async fn handle(mut s: TcpStream, opts: Opts, seen: Arc<AtomicUsize>) {
        let start = tokio::time::Instant::now();
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 8192];
        let head_end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let read = match opts.head_timeout {
                Some(t) => match tokio::time::timeout_at(start + t, s.read(&mut chunk)).await {
                    Ok(r) => r,
                    Err(_) => {
                        if let Some(a) = opts.timeout_answer {
                            let _ = s.write_all(a.as_bytes()).await;
                        }
                        let _ = s.shutdown().await;
                        drain(&mut s).await;
                        return;
                    }
                },
                None => s.read(&mut chunk).await,
            };
            match read {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    seen.fetch_add(n, Ordering::Relaxed);
                    buf.extend_from_slice(&chunk[..n]);
                }
            }
        };
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        let _ = req.parse(&buf[..head_end]);
        let len = req
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .and_then(|h| std::str::from_utf8(h.value).ok()?.parse::<usize>().ok())
            .unwrap_or(0);
        while buf.len() < head_end + len {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        if !opts.answer {
            drain(&mut s).await;
            return;
        }
        let status = if plausible(&buf[head_end..head_end + len]) {
            200
        } else {
            400
        };
        let answer =
            format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        let _ = s.write_all(answer.as_bytes()).await;
        let _ = s.shutdown().await;
        drain(&mut s).await;
    }

    #[tokio::test]
    async fn send_each_and_still_answers() {
        let (addr, _) = server(NORMAL).await;
        let mut reqs = malformed_requests("127.0.0.1", "/ipp/print");
        reqs.push(("control", get_printer_attributes("127.0.0.1", "/ipp/print")));
        reqs.push((
            "oversize",
            oversize_request("127.0.0.1", "/ipp/print", 100_000),
        ));
        let results = send_each(&Endpoint::plain(addr), &reqs, T).await;
        assert_eq!(results.len(), reqs.len());
        let get = |name: &str| results.iter().find(|(n, _)| n == name).unwrap().1.clone();
        assert_eq!(get("truncated-header"), Ok(400));
        assert_eq!(get("version-9.9"), Ok(400));
        assert_eq!(get("request-id-0"), Ok(400));
        assert_eq!(get("no-end-of-attributes"), Ok(400));
        assert_eq!(get("deep-collection-nesting"), Ok(200));
        assert_eq!(get("control"), Ok(200));
        assert_eq!(get("oversize"), Ok(200));

        let control = get_printer_attributes("127.0.0.1", "/ipp/print");
        assert_eq!(
            still_answers(&Endpoint::plain(addr), control.clone(), T).await,
            Ok(200)
        );

        let closed = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let e = still_answers(&Endpoint::plain(closed), control, T)
            .await
            .unwrap_err();
        assert_eq!(e, "connect: connection refused");
    }

    #[tokio::test]
    async fn still_answers_times_out_on_silence() {
        let (addr, _) = server(Opts {
            answer: false,
            ..NORMAL
        })
        .await;
        let control = get_printer_attributes("127.0.0.1", "/ipp/print");
        let r = still_answers(&Endpoint::plain(addr), control, Duration::from_millis(200)).await;
        assert_eq!(r, Err("timeout".to_string()));
    }

    #[tokio::test]
    async fn flood_counts_every_answer() {
        let (addr, _) = server(NORMAL).await;
        let limits = Limits {
            requests: 20,
            duration: T,
            connections: 4,
        };
        let o = flood(
            &Endpoint::plain(addr),
            get_printer_attributes("127.0.0.1", "/ipp/print"),
            &limits,
        )
        .await;
        assert_eq!(o.sent, 20);
        assert_eq!(o.answered, 20);
        assert_eq!(o.statuses, BTreeMap::from([(200, 20)]));
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        assert!(o.elapsed_ms < 5000);
    }

    #[tokio::test]
    async fn flood_stops_at_its_duration() {
        let (addr, _) = server(Opts {
            answer: false,
            ..NORMAL
        })
        .await;
        let limits = Limits {
            requests: 1000,
            duration: Duration::from_millis(300),
            connections: 3,
        };
        let o = flood(
            &Endpoint::plain(addr),
            get_printer_attributes("127.0.0.1", "/ipp/print"),
            &limits,
        )
        .await;
        assert_eq!(o.sent, 3);
        assert_eq!(o.answered, 0);
        assert_eq!(
            o.errors,
            BTreeMap::from([("cut off at the end".to_string(), 3)])
        );
        assert!((300..3000).contains(&o.elapsed_ms), "{}", o.elapsed_ms);
    }

    #[tokio::test]
    async fn slow_loris_closed_by_a_guarded_server() {
        let (addr, _) = server(Opts {
            head_timeout: Some(Duration::from_millis(250)),
            ..NORMAL
        })
        .await;
        let limits = Limits {
            requests: 0,
            duration: T,
            connections: 3,
        };
        let o = slow_loris(&Endpoint::plain(addr), "127.0.0.1", &limits).await;
        assert_eq!(o.sent, 3);
        assert_eq!(o.answered, 3);
        assert_eq!(
            o.errors,
            BTreeMap::from([("closed by the server".to_string(), 3)])
        );
        assert!(o.elapsed_ms < 5000, "it ends when the server closes");
    }

    #[tokio::test]
    async fn slow_loris_answered_408() {
        let (addr, _) = server(Opts {
            head_timeout: Some(Duration::from_millis(250)),
            timeout_answer: Some("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n"),
            answer: true,
        })
        .await;
        let limits = Limits {
            requests: 0,
            duration: T,
            connections: 2,
        };
        let o = slow_loris(&Endpoint::plain(addr), "127.0.0.1", &limits).await;
        assert_eq!(o.statuses, BTreeMap::from([(408, 2)]));
        assert_eq!(o.answered, 2);
        assert!(o.errors.is_empty(), "{:?}", o.errors);
    }

    #[tokio::test]
    async fn slow_loris_held_open_by_a_patient_server() {
        let (addr, seen) = server(NORMAL).await;
        let limits = Limits {
            requests: 0,
            duration: Duration::from_millis(400),
            connections: 3,
        };
        let o = slow_loris(&Endpoint::plain(addr), "127.0.0.1", &limits).await;
        assert_eq!(o.sent, 3);
        assert_eq!(o.answered, 0);
        assert_eq!(
            o.errors,
            BTreeMap::from([("held open until the end".to_string(), 3)])
        );
        assert!(o.elapsed_ms >= 400);
        // One byte at a time: a few bytes per connection, not a whole head.
        let n = seen.load(Ordering::Relaxed);
        assert!((3..=3 * 10).contains(&n), "{n}");
    }

    #[tokio::test]
    async fn slow_loris_to_a_closed_port() {
        let closed = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let limits = Limits {
            requests: 0,
            duration: T,
            connections: 2,
        };
        let o = slow_loris(&Endpoint::plain(closed), "127.0.0.1", &limits).await;
        assert_eq!(o.sent, 0);
        assert_eq!(
            o.errors,
            BTreeMap::from([("connect: connection refused".to_string(), 2)])
        );
    }
}
