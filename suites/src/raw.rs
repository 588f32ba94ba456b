//! Raw-TCP conformance cases: LPD (RFC 1179, port 515) and AppSocket/PJL
//! (port 9100), scripted as bytes sent and answers expected.
//!
//! ```toml
//! [[case]]
//! id = "lpd/rfc1179/5.2/receive-job-known-queue"
//! level = "MUST"
//! clause = "RFC 1179 §5.2"
//! title = "Receive a printer job on a known queue"
//! requirement = "…"
//!
//! [[case.step]]
//! send = "\\x02$queue\\n"
//! [[case.step]]
//! expect-ack = 0
//! ```
//!
//! Each step is exactly one of: `send` (escapes `\xNN`, `\n`, `\r`, `\t`,
//! `\f`, `\0`, `\\` decoded, `$queue` replaced), `send-document` (a file of
//! the documents folder), `send-lpd-count` (like `send`, with `$size` the byte
//! count of the case's document, the first `send-document` of the case),
//! `expect-ack` (one byte, equal), `expect-nonzero-ack`, `expect-text` (a
//! regex over what arrives, read until it matches, the peer closes or 2 s
//! pass in silence), `half-close` and `expect-close` (closed in order: a
//! reset is a finding). Two modifiers may go with the action:
//! `connection = N` (1 to 4; default 1) runs the step on the case's N-th
//! connection, opened at its first step, so a case can hold one connection
//! open while it uses another; `within-ms = T` (with `expect-ack` or
//! `expect-nonzero-ack`) requires the byte within T milliseconds. A case
//! runs on fresh TCP connections of its own.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::grade::{hex, CaseResult, Exchange, Finding, Outcome};
use crate::spec::Level;

/// How long to wait to connect, for an acknowledgement, or for a close.
const WAIT: Duration = Duration::from_secs(10);
/// The silence that ends an `expect-text` read.
const SILENCE: Duration = Duration::from_secs(2);
/// The longest an `expect-text` read goes on.
const TEXT_CAP: Duration = Duration::from_secs(15);

/// Why a raw suite file could not be loaded.
pub type RawError = crate::spec::CaseFileError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(rename = "case", default)]
    cases: Vec<RawCase>,
}

/// A raw-TCP conformance case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCase {
    /// Stable id: protocol/spec/clause/name.
    pub id: String,
    /// MUST, SHOULD or MAY.
    pub level: Level,
    /// The clause, as a person cites it.
    pub clause: String,
    /// A short title.
    pub title: String,
    /// The requirement, quoted from the spec.
    pub requirement: String,
    /// The case makes paper: skipped unless printing is allowed.
    #[serde(default)]
    pub prints: bool,
    /// The steps, in order.
    #[serde(rename = "step", default)]
    pub steps: Vec<RawStep>,
    /// Where it was loaded from (filled by the loader).
    #[serde(skip_deserializing, default)]
    pub source: String,
}

/// One step, as written: exactly one field is set.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawStep {
    /// Bytes to send (escapes decoded, `$queue` replaced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<String>,
    /// A document of the documents folder to send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_document: Option<String>,
    /// Like `send`, with `$size` the byte count of the case's document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_lpd_count: Option<String>,
    /// Read one byte; it must equal this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_ack: Option<u8>,
    /// Read one byte; it must not be zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_nonzero_ack: Option<bool>,
    /// Read until close or silence; the text must match this regex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_text: Option<String>,
    /// Shut down the sending side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_close: Option<bool>,
    /// The peer closes the connection within the timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_close: Option<bool>,
    /// Modifier: the step runs on this connection of the case (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<usize>,
    /// Modifier of `expect-ack` / `expect-nonzero-ack`: the byte must come
    /// within this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_ms: Option<u64>,
}

/// Most connections one case may open.
pub const MAX_CONNECTIONS: usize = 4;

/// What a step does, once checked.
#[derive(Debug, Clone)]
enum Action {
    Send(String),
    SendDocument(String),
    SendLpdCount(String),
    ExpectAck(u8),
    ExpectNonzeroAck,
    ExpectText(regex::Regex),
    HalfClose,
    ExpectClose,
}

impl RawStep {
    fn set_fields(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.send.is_some() {
            v.push("send");
        }
        if self.send_document.is_some() {
            v.push("send-document");
        }
        if self.send_lpd_count.is_some() {
            v.push("send-lpd-count");
        }
        if self.expect_ack.is_some() {
            v.push("expect-ack");
        }
        if self.expect_nonzero_ack.is_some() {
            v.push("expect-nonzero-ack");
        }
        if self.expect_text.is_some() {
            v.push("expect-text");
        }
        if self.half_close.is_some() {
            v.push("half-close");
        }
        if self.expect_close.is_some() {
            v.push("expect-close");
        }
        v
    }

    /// The step's action, or the field and what is wrong with it.
    fn action(&self) -> Result<Action, (String, String)> {
        let fields = self.set_fields();
        if fields.len() != 1 {
            return Err((
                fields.join(", "),
                format!(
                    "a step takes exactly one action, this one has {}",
                    fields.len()
                ),
            ));
        }
        let field = fields[0].to_string();
        if let Some(n) = self.connection {
            if !(1..=MAX_CONNECTIONS).contains(&n) {
                return Err((
                    "connection".into(),
                    format!("{n} is not a connection of the case (1 to {MAX_CONNECTIONS})"),
                ));
            }
        }
        if self.within_ms.is_some()
            && !matches!(field.as_str(), "expect-ack" | "expect-nonzero-ack")
        {
            return Err((
                "within-ms".into(),
                format!("goes with expect-ack or expect-nonzero-ack, not {field}"),
            ));
        }
        let check_escapes = |s: &str| {
            unescape(s)
                .map(|_| ())
                .map_err(|m| (field.clone(), m.to_string()))
        };
        let must_be_true = |b: bool| {
            if b {
                Ok(())
            } else {
                Err((field.clone(), "only `true` is meaningful".to_string()))
            }
        };
        if let Some(s) = &self.send {
            check_escapes(s)?;
            return Ok(Action::Send(s.clone()));
        }
        if let Some(s) = &self.send_lpd_count {
            check_escapes(s)?;
            return Ok(Action::SendLpdCount(s.clone()));
        }
        if let Some(s) = &self.send_document {
            if s.is_empty() || s.contains('/') || s.contains('\\') {
                return Err((field, format!("'{s}' is not a file name")));
            }
            return Ok(Action::SendDocument(s.clone()));
        }
        if let Some(b) = self.expect_ack {
            return Ok(Action::ExpectAck(b));
        }
        if let Some(b) = self.expect_nonzero_ack {
            must_be_true(b)?;
            return Ok(Action::ExpectNonzeroAck);
        }
        if let Some(r) = &self.expect_text {
            return regex::Regex::new(r)
                .map(Action::ExpectText)
                .map_err(|e| (field, e.to_string()));
        }
        if let Some(b) = self.half_close {
            must_be_true(b)?;
            return Ok(Action::HalfClose);
        }
        if let Some(b) = self.expect_close {
            must_be_true(b)?;
            return Ok(Action::ExpectClose);
        }
        unreachable!("one field is set")
    }
}

/// Decode `\xNN`, `\n`, `\r`, `\t`, `\f`, `\0` and `\\` escapes.
pub fn unescape(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'f') => out.push(0x0c),
            Some(b'0') => out.push(0),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let h = b
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad \\x escape at byte {i}: need two hex digits"))?;
                out.push(h);
                i += 4;
                continue;
            }
            Some(c) => return Err(format!("unknown escape \\{} at byte {i}", *c as char)),
            None => return Err("a lone \\ at the end".to_string()),
        }
        i += 2;
    }
    Ok(out)
}

/// Bytes as escaped text: printable ASCII kept, the rest as escapes; a
/// line feed also breaks the line, so listings read as listings.
pub fn escaped(b: &[u8], max: usize) -> String {
    let mut s = String::new();
    for &c in b.iter().take(max) {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x0c => s.push_str("\\f"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    if b.len() > max {
        s.push_str(&format!("… ({} bytes more)", b.len() - max));
    }
    s
}

/// Every case of every `.toml` file under `dir`, sorted by id.
pub fn load_dir(dir: &Path) -> Result<Vec<RawCase>, RawError> {
    crate::spec::load_cases(dir, load_file, |c: &RawCase| c.id.as_str())
}

/// The cases of one file, each step checked.
pub fn load_file(path: &Path) -> Result<Vec<RawCase>, RawError> {
    let text = std::fs::read_to_string(path).map_err(|source| RawError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file: RawFile = toml::from_str(&text).map_err(|e| RawError::Toml {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    let mut out = Vec::with_capacity(file.cases.len());
    for mut c in file.cases {
        let invalid = |field: String, message: String| RawError::Invalid {
            path: path.to_path_buf(),
            case: c.id.clone(),
            field,
            message,
        };
        if c.id.trim().is_empty() {
            return Err(invalid("id".into(), "empty".into()));
        }
        if c.steps.is_empty() {
            return Err(invalid("step".into(), "a case needs steps".into()));
        }
        let has_doc = c.document().is_some();
        for (i, s) in c.steps.iter().enumerate() {
            match s.action() {
                Ok(Action::SendLpdCount(t)) if t.contains("$size") && !has_doc => {
                    return Err(invalid(
                        format!("step {} send-lpd-count", i + 1),
                        "$size needs a send-document step in the case".into(),
                    ));
                }
                Ok(_) => {}
                Err((field, message)) => {
                    return Err(invalid(format!("step {} {field}", i + 1), message))
                }
            }
        }
        c.source = path.display().to_string();
        out.push(c);
    }
    Ok(out)
}

impl RawCase {
    /// The document `$size` counts: the first `send-document` of the case.
    pub fn document(&self) -> Option<&str> {
        self.steps.iter().find_map(|s| s.send_document.as_deref())
    }
}

/// Why a case stopped before its verdict.
enum Stop {
    /// A check did not hold.
    Finding(Finding),
    /// No verdict could be reached (refused, timed out, unreadable).
    Error(String),
}

struct Conn {
    stream: TcpStream,
    /// The peer closed its side.
    peer_closed: bool,
    /// The peer reset the connection (RST) rather than closing it.
    reset: bool,
}

impl Conn {
    /// Read one byte within `WAIT`: `Ok(None)` at EOF.
    async fn byte(&mut self) -> Result<Option<u8>, Stop> {
        let mut b = [0u8; 1];
        match tokio::time::timeout(WAIT, self.stream.read(&mut b)).await {
            Err(_) => Err(Stop::Error(format!("no byte within {} s", WAIT.as_secs()))),
            Ok(Err(e)) if is_reset(&e) => {
                self.peer_closed = true;
                self.reset = true;
                Ok(None)
            }
            Ok(Err(e)) => Err(Stop::Error(format!("read failed: {e}"))),
            Ok(Ok(0)) => {
                self.peer_closed = true;
                Ok(None)
            }
            Ok(Ok(_)) => Ok(Some(b[0])),
        }
    }

    /// Read until the peer closes, `silence` passes with nothing, or `cap`.
    async fn drain(&mut self, silence: Duration, cap: Duration, got: &mut Vec<u8>) {
        self.drain_until(silence, cap, got, |_| false).await;
    }

    /// Like [`Conn::drain`], and also stop as soon as `done` holds for what
    /// arrived.
    async fn drain_until(
        &mut self,
        silence: Duration,
        cap: Duration,
        got: &mut Vec<u8>,
        done: impl Fn(&[u8]) -> bool,
    ) {
        let end = Instant::now() + cap;
        let mut buf = vec![0u8; 16 * 1024];
        while !self.peer_closed && !done(got) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            match tokio::time::timeout(silence.min(left), self.stream.read(&mut buf)).await {
                Err(_) => return,
                Ok(Ok(0)) => self.peer_closed = true,
                Ok(Err(e)) => {
                    self.peer_closed = true;
                    self.reset = is_reset(&e);
                }
                Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            }
        }
    }
}

/// The case's connections, each opened at its first step.
struct Conns {
    addr: SocketAddr,
    open: Vec<Option<Conn>>,
}

impl Conns {
    /// Connection `n` (1-based), connecting now (for step `step`) if it is
    /// not open yet. A first connection that fails means no verdict; a later
    /// one refused or reset while the first worked is a finding.
    async fn get(&mut self, n: usize, step: usize) -> Result<&mut Conn, Stop> {
        let i = n.saturating_sub(1);
        if self.open.len() <= i {
            self.open.resize_with(i + 1, || None);
        }
        if self.open[i].is_none() {
            let addr = self.addr;
            let stream = match tokio::time::timeout(WAIT, TcpStream::connect(addr)).await {
                Err(_) => return Err(Stop::Error(format!("connecting to {addr} timed out"))),
                Ok(Err(e))
                    if n > 1
                        && (is_reset(&e) || e.kind() == std::io::ErrorKind::ConnectionRefused) =>
                {
                    return Err(finding(
                        step,
                        "connection",
                        format!("connection {n} accepted"),
                        format!("refused ({e})"),
                    ))
                }
                Ok(Err(e)) => return Err(Stop::Error(format!("cannot connect to {addr}: {e}"))),
                Ok(Ok(s)) => s,
            };
            // One-byte acknowledgements after small writes: no Nagle delays.
            let _ = stream.set_nodelay(true);
            self.open[i] = Some(Conn {
                stream,
                peer_closed: false,
                reset: false,
            });
        }
        self.open[i]
            .as_mut()
            .ok_or_else(|| Stop::Error(format!("connection {n} is not open")))
    }

    /// End the case politely: close our side of every connection still open
    /// and wait (at most [`CLOSE_WAIT`]) for the peer to close its side. A
    /// printer that serves one connection at a time is then free again when
    /// the next case connects, rather than still reading the last one's EOF.
    async fn close(&mut self) {
        for conn in self.open.iter_mut().flatten() {
            if conn.peer_closed {
                continue;
            }
            let _ = conn.stream.shutdown().await;
            let mut ignored = Vec::new();
            conn.drain(CLOSE_WAIT, CLOSE_WAIT, &mut ignored).await;
        }
        self.open.clear();
    }
}

/// The longest a finished case waits for the peer to close its connections.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe
    )
}

fn finding(
    step: usize,
    check: &str,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Stop {
    Stop::Finding(Finding {
        step,
        check: check.to_string(),
        expected: expected.into(),
        actual: actual.into(),
    })
}

/// Run one case on a fresh connection to `addr`. `queue` replaces `$queue`;
/// a case that `prints` is skipped unless `allow_print`; documents come
/// from `docs_dir`.
pub async fn run(
    case: &RawCase,
    addr: SocketAddr,
    queue: &str,
    allow_print: bool,
    docs_dir: &Path,
) -> CaseResult {
    let started = Instant::now();
    let mut r = CaseResult::start(
        &case.id,
        case.level,
        &case.clause,
        &case.title,
        &case.requirement,
    );
    if case.prints && !allow_print {
        r.outcome = Outcome::Skip;
        r.reason = "the case prints paper and printing is not allowed".into();
        return r;
    }
    let mut conns = Conns {
        addr,
        open: Vec::new(),
    };
    let outcome = steps(case, &mut conns, queue, docs_dir, &mut r.evidence).await;
    conns.close().await;
    match outcome {
        Ok(()) => {}
        Err(Stop::Error(why)) => {
            r.outcome = Outcome::Error;
            r.reason = why;
        }
        Err(Stop::Finding(f)) => {
            r.outcome = match case.level {
                Level::Must => Outcome::Fail,
                Level::Should | Level::May => Outcome::Warn,
            };
            r.reason = format!(
                "step {}: {}: expected {}, got {}",
                f.step + 1,
                f.check,
                f.expected,
                f.actual
            );
            r.findings.push(f);
        }
    }
    r.elapsed_ms = started.elapsed().as_millis() as u64;
    r
}

async fn steps(
    case: &RawCase,
    conns: &mut Conns,
    queue: &str,
    docs_dir: &Path,
    evidence: &mut Vec<Exchange>,
) -> Result<(), Stop> {
    let document = match case.document() {
        Some(name) => {
            let p = docs_dir.join(name);
            Some(
                std::fs::read(&p)
                    .map_err(|e| Stop::Error(format!("cannot read {}: {e}", p.display())))?,
            )
        }
        None => None,
    };
    for (i, step) in case.steps.iter().enumerate() {
        let action = step
            .action()
            .map_err(|(f, m)| Stop::Error(format!("step {} {f}: {m}", i + 1)))?;
        let conn = conns.get(step.connection.unwrap_or(1), i).await?;
        let t0 = Instant::now();
        let mut sent: Vec<u8> = Vec::new();
        let mut got: Vec<u8> = Vec::new();
        let result = match &action {
            Action::Send(s) | Action::SendLpdCount(s) => {
                let mut text = s.replace("$queue", queue);
                if let (Action::SendLpdCount(_), Some(d)) = (&action, &document) {
                    text = text.replace("$size", &d.len().to_string());
                }
                sent = unescape(&text).map_err(|m| Stop::Error(format!("step {}: {m}", i + 1)))?;
                write(conn, i, &sent).await
            }
            Action::SendDocument(name) => {
                let p = docs_dir.join(name);
                sent = std::fs::read(&p)
                    .map_err(|e| Stop::Error(format!("cannot read {}: {e}", p.display())))?;
                write(conn, i, &sent).await
            }
            Action::ExpectAck(want) => match conn.byte().await {
                Ok(Some(b)) => {
                    got.push(b);
                    if b == *want {
                        late(i, step.within_ms, t0)
                    } else {
                        Err(finding(
                            i,
                            "acknowledgement",
                            format!("{want}"),
                            format!("{b}"),
                        ))
                    }
                }
                Ok(None) => Err(finding(
                    i,
                    "acknowledgement",
                    format!("{want}"),
                    "the connection closed with no acknowledgement",
                )),
                Err(e) => Err(e),
            },
            Action::ExpectNonzeroAck => match conn.byte().await {
                Ok(Some(b)) => {
                    got.push(b);
                    // An LPRng-style refusal may carry a message after the byte.
                    if b != 0 {
                        let on_time = late(i, step.within_ms, t0);
                        conn.drain(Duration::from_millis(200), SILENCE, &mut got)
                            .await;
                        on_time
                    } else {
                        Err(finding(
                            i,
                            "acknowledgement",
                            "a non-zero octet (refusal)",
                            "0 (accepted)",
                        ))
                    }
                }
                Ok(None) => Err(finding(
                    i,
                    "acknowledgement",
                    "a non-zero octet (refusal)",
                    "the connection closed with no acknowledgement",
                )),
                Err(e) => Err(e),
            },
            Action::ExpectText(re) => {
                conn.drain_until(SILENCE, TEXT_CAP, &mut got, |b| {
                    re.is_match(&String::from_utf8_lossy(b))
                })
                .await;
                let text = String::from_utf8_lossy(&got);
                if re.is_match(&text) {
                    Ok(())
                } else {
                    let mut actual = if got.is_empty() {
                        "nothing".to_string()
                    } else {
                        escaped(&got, 512)
                    };
                    if conn.reset {
                        actual.push_str(", then the connection was reset");
                    } else if conn.peer_closed {
                        actual.push_str(", then the peer closed the connection");
                    }
                    Err(finding(
                        i,
                        "answer text",
                        format!("text matching /{}/", re.as_str()),
                        actual,
                    ))
                }
            }
            Action::HalfClose => match conn.stream.shutdown().await {
                Ok(()) => Ok(()),
                Err(e) if is_reset(&e) || e.kind() == std::io::ErrorKind::NotConnected => {
                    conn.reset = true;
                    Err(finding(
                        i,
                        "connection",
                        "open until the client half-closes",
                        format!("reset by the peer ({e})"),
                    ))
                }
                Err(e) => Err(Stop::Error(format!("step {}: shutdown failed: {e}", i + 1))),
            },
            Action::ExpectClose => {
                conn.drain(WAIT, WAIT, &mut got).await;
                if conn.reset {
                    Err(finding(
                        i,
                        "connection",
                        "closed in order (FIN)",
                        "reset (RST): what was in flight may be lost",
                    ))
                } else if conn.peer_closed {
                    Ok(())
                } else {
                    Err(finding(
                        i,
                        "connection",
                        "closed by the peer",
                        format!("still open after {} s", WAIT.as_secs()),
                    ))
                }
            }
        };
        evidence.push(Exchange {
            step: i,
            request_hex: hex(&sent, 4096),
            request_bytes: sent.len(),
            request_decoded: match step.connection {
                Some(n) if n > 1 => format!("[connection {n}] {}", describe(&action, &sent)),
                _ => describe(&action, &sent),
            },
            http_status: 0,
            response_hex: hex(&got, 64 * 1024),
            response_bytes: got.len(),
            response_decoded: escaped(&got, 4096),
            elapsed_ms: t0.elapsed().as_millis() as u64,
        });
        result?;
    }
    Ok(())
}

/// A finding when an acknowledgement that had to come within `within_ms`
/// came later (measured from `t0`).
fn late(step: usize, within_ms: Option<u64>, t0: Instant) -> Result<(), Stop> {
    let took = t0.elapsed().as_millis();
    match within_ms {
        Some(limit) if took > u128::from(limit) => Err(finding(
            step,
            "acknowledgement delay",
            format!("within {limit} ms"),
            format!("after {took} ms"),
        )),
        _ => Ok(()),
    }
}

fn describe(action: &Action, sent: &[u8]) -> String {
    match action {
        Action::Send(_) | Action::SendLpdCount(_) => escaped(sent, 1024),
        Action::SendDocument(name) => format!("<document {name}, {} bytes>", sent.len()),
        Action::ExpectAck(b) => format!("<expect ack {b}>"),
        Action::ExpectNonzeroAck => "<expect non-zero ack>".into(),
        Action::ExpectText(re) => format!("<expect text /{}/>", re.as_str()),
        Action::HalfClose => "<half-close>".into(),
        Action::ExpectClose => "<expect close>".into(),
    }
}

async fn write(conn: &mut Conn, step: usize, bytes: &[u8]) -> Result<(), Stop> {
    match tokio::time::timeout(WAIT, conn.stream.write_all(bytes)).await {
        Err(_) => Err(Stop::Error(format!(
            "step {}: sending timed out after {} s",
            step + 1,
            WAIT.as_secs()
        ))),
        Ok(Err(e)) if is_reset(&e) => Err(finding(
            step,
            "connection",
            "open, taking the bytes",
            format!("closed by the peer ({e})"),
        )),
        Ok(Err(e)) => Err(Stop::Error(format!("step {}: send failed: {e}", step + 1))),
        Ok(Ok(())) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode() {
        assert_eq!(unescape(r"\x02lp\n").unwrap(), b"\x02lp\n");
        assert_eq!(unescape(r"a\\b\r\f\0").unwrap(), b"a\\b\r\x0c\0");
        assert!(unescape(r"\q").is_err());
        assert!(unescape(r"\x1").is_err());
        assert!(unescape("\\").is_err());
    }

    #[test]
    fn a_step_with_two_actions_is_refused() {
        let s = RawStep {
            send: Some("x".into()),
            expect_ack: Some(0),
            ..RawStep::default()
        };
        assert!(s.action().is_err());
    }
}
