//! A hand-written HTTP/1.x front end for the HTTP-level quirks
//! (`http-1.0-no-continue`, `wrong-content-length`, see
//! [`crate::ipp::quirks`]). hyper always speaks HTTP/1.1, answers
//! `Expect: 100-continue` by itself and checks that a response's body
//! matches its Content-Length, so it cannot misbehave in these ways.
//!
//! For each request it reads the head (with `httparse`), frames the body by
//! its Content-Length or chunked coding, and feeds the body through a channel
//! ([`ChannelBody`]) to the same request handling as hyper's front end
//! ([`super::http::serve_http`]); then it writes the answer itself, in the
//! dialect asked for ([`Dialect`]). Apart from the quirk it is a plain
//! HTTP/1.1 server: it sends `100 Continue`, decodes chunked bodies and keeps
//! connections alive — so each quirk breaks one rule only.
//!
//! [`super::server`] uses it for a whole connection when one of these
//! quirks is in force as the connection starts; HTTP/1.0 answers close the
//! connection, so the next request meets the quirks in force by then.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

use crate::ipp::quirks::{self, Quirk, QuirkKind};

use super::server::Shared;

/// Largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Most header fields in a request head.
const MAX_HEADERS: usize = 100;
/// Longest chunk-size line of a chunked body.
const MAX_CHUNK_LINE: usize = 1024;
/// How many bytes larger than the body `wrong-content-length` declares it.
pub const EXTRA_LENGTH: usize = 16;
/// How long to go on reading (and discarding) after the last answer before
/// closing, so that a client still sending gets the answer, not a reset.
const LINGER: Duration = Duration::from_secs(2);

/// How this front end misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// HTTP/1.0 only (`http-1.0-no-continue`): the status line says
    /// HTTP/1.0, `Expect: 100-continue` is never answered, a chunked request
    /// gets `411 Length Required`, and the connection closes after each answer.
    pub http10: bool,
    /// `wrong-content-length`: declare a Content-Length this many bytes
    /// larger than the body sent, then close the connection.
    pub extra_length: usize,
}

impl Dialect {
    /// The dialect `quirks` ask for, if any of them needs this front end.
    pub fn for_quirks(quirks: &[Quirk]) -> Option<Dialect> {
        let http10 = quirks::is_raised(quirks, QuirkKind::Http10NoContinue);
        let wrong_length = quirks::is_raised(quirks, QuirkKind::WrongContentLength);
        (http10 || wrong_length).then_some(Dialect {
            http10,
            extra_length: if wrong_length { EXTRA_LENGTH } else { 0 },
        })
    }

    fn status_version(self) -> &'static str {
        if self.http10 {
            "HTTP/1.0"
        } else {
            "HTTP/1.1"
        }
    }
}

/// Why a request head cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    /// The head is larger than the limit.
    #[error("request head larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// httparse refused it.
    #[error("malformed request head: {0}")]
    Parse(#[from] httparse::Error),
    /// A method, path or header that `http` does not accept.
    #[error("malformed request head: {0}")]
    Invalid(String),
    /// Content-Length is not a number, or appears twice with different values.
    #[error("bad Content-Length {0:?}")]
    ContentLength(String),
    /// Both Content-Length and Transfer-Encoding (RFC 9112 §6.1 forbids it).
    #[error("both Content-Length and Transfer-Encoding")]
    Ambiguous,
    /// A transfer coding other than chunked.
    #[error("unsupported Transfer-Encoding {0:?}")]
    TransferEncoding(String),
}

/// How a request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body.
    Empty,
    /// Content-Length.
    Length(u64),
    /// Transfer-Encoding: chunked.
    Chunked,
}

/// A parsed request head.
struct Head {
    request: http::request::Parts,
    framing: Framing,
    expect_continue: bool,
    close: bool,
}

/// A request body fed through a channel by the connection reader.
#[derive(Debug)]
pub struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|o| o.map(|r| r.map(hyper::body::Frame::data)))
    }
}

/// One connection: the stream and what was read but not used yet.
struct Conn<S> {
    io: S,
    buf: Vec<u8>,
    idle: Duration,
}

fn timed_out() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "client stopped sending")
}

fn eof() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "connection closed inside the request body",
    )
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Read more; `Ok(0)` at the end of the stream.
    async fn fill(&mut self) -> std::io::Result<usize> {
        let mut tmp = [0u8; 16 * 1024];
        let n = tokio::time::timeout(self.idle, self.io.read(&mut tmp))
            .await
            .map_err(|_| timed_out())??;
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n)
    }

    /// The next request head; `None` when the client closed (or went quiet)
    /// between requests.
    async fn read_head(&mut self) -> Result<Option<Head>, HeadError> {
        loop {
            if !self.buf.is_empty() {
                if let Some(h) = parse_head(&mut self.buf)? {
                    return Ok(Some(h));
                }
            }
            if self.buf.len() > MAX_HEAD {
                return Err(HeadError::TooLarge { limit: MAX_HEAD });
            }
            match self.fill().await {
                Ok(0) | Err(_) => return Ok(None),
                Ok(_) => {}
            }
        }
    }

    /// One line of a chunked body, without its CRLF.
    async fn read_line(&mut self) -> std::io::Result<Vec<u8>> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..i].to_vec();
                self.buf.drain(..i + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_CHUNK_LINE {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "chunk-size line too long",
                ));
            }
            if self.fill().await? == 0 {
                return Err(eof());
            }
        }
    }

    /// Pass `n` bytes of body on; false if the handler stopped listening.
    async fn forward(
        &mut self,
        mut n: u64,
        tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
    ) -> std::io::Result<bool> {
        while n > 0 {
            if self.buf.is_empty() && self.fill().await? == 0 {
                return Err(eof());
            }
            let take = usize::try_from(n).unwrap_or(usize::MAX).min(self.buf.len());
            let chunk = Bytes::from(self.buf.drain(..take).collect::<Vec<u8>>());
            n -= take as u64;
            if tx.send(Ok(chunk)).await.is_err() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Read the body as framed and pass it on; true if it was read to its end.
    async fn pump(
        &mut self,
        framing: Framing,
        tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    ) -> bool {
        let r = match framing {
            Framing::Empty => Ok(true),
            Framing::Length(n) => self.forward(n, &tx).await,
            Framing::Chunked => self.pump_chunked(&tx).await,
        };
        match r {
            Ok(done) => done,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                false
            }
        }
    }

    async fn pump_chunked(
        &mut self,
        tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
    ) -> std::io::Result<bool> {
        let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
        loop {
            let line = self.read_line().await?;
            let text = String::from_utf8_lossy(&line);
            let digits = text.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(digits, 16)
                .map_err(|_| bad(format!("bad chunk size {text:?}")))?;
            if size == 0 {
                // Trailer fields, up to an empty line.
                while !self.read_line().await?.is_empty() {}
                return Ok(true);
            }
            if !self.forward(size, tx).await? {
                return Ok(false);
            }
            if !self.read_line().await?.is_empty() {
                return Err(bad("chunk data longer than its size".into()));
            }
        }
    }

    /// Close after an answer: send FIN, then read and drop what the client
    /// still sends for a moment, so that it can read the answer.
    async fn linger(&mut self) {
        let _ = self.io.flush().await;
        let _ = self.io.shutdown().await;
        let mut tmp = [0u8; 16 * 1024];
        let deadline = tokio::time::Instant::now() + LINGER;
        while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, self.io.read(&mut tmp)).await {
            if n == 0 {
                break;
            }
        }
    }

    async fn write_response(
        &mut self,
        dialect: Dialect,
        resp: Response<Full<Bytes>>,
        close: bool,
    ) -> std::io::Result<()> {
        let (parts, body) = resp.into_parts();
        // A Full body yields its one frame at once.
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let mut out = format_status(dialect, parts.status).into_bytes();
        for (name, value) in &parts.headers {
            if name == header::CONTENT_LENGTH
                || name == header::TRANSFER_ENCODING
                || name == header::CONNECTION
            {
                continue;
            }
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let declared = body.len() + dialect.extra_length;
        out.extend_from_slice(format!("Content-Length: {declared}\r\n").as_bytes());
        if close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&body);
        self.io.write_all(&out).await?;
        self.io.flush().await
    }
}

fn format_status(dialect: Dialect, status: StatusCode) -> String {
    format!(
        "{} {} {}\r\n",
        dialect.status_version(),
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Parse a complete head off the front of `buf`; `None` if it is not all there yet.
fn parse_head(buf: &mut Vec<u8>) -> Result<Option<Head>, HeadError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut fields);
    let n = match req.parse(buf)? {
        httparse::Status::Partial => return Ok(None),
        httparse::Status::Complete(n) => n,
    };
    let invalid = |e: &dyn std::fmt::Display| HeadError::Invalid(e.to_string());
    let method =
        Method::from_bytes(req.method.unwrap_or("").as_bytes()).map_err(|e| invalid(&e))?;
    let version = match req.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut builder = Request::builder()
        .method(method)
        .uri(req.path.unwrap_or("/"))
        .version(version);
    let mut length: Option<u64> = None;
    let mut coding: Option<String> = None;
    let mut expect_continue = false;
    let mut connection_close = version == Version::HTTP_10;
    for f in req.headers.iter() {
        let name = HeaderName::from_bytes(f.name.as_bytes()).map_err(|e| invalid(&e))?;
        let value = HeaderValue::from_bytes(f.value).map_err(|e| invalid(&e))?;
        let text = String::from_utf8_lossy(f.value).trim().to_ascii_lowercase();
        if name == header::CONTENT_LENGTH {
            let n: u64 = text
                .parse()
                .map_err(|_| HeadError::ContentLength(text.clone()))?;
            if length.is_some_and(|l| l != n) {
                return Err(HeadError::ContentLength(text));
            }
            length = Some(n);
        } else if name == header::TRANSFER_ENCODING {
            coding = Some(match coding {
                Some(c) => format!("{c}, {text}"),
                None => text.clone(),
            });
        } else if name == header::EXPECT {
            expect_continue = text == "100-continue";
        } else if name == header::CONNECTION {
            if text.split(',').any(|t| t.trim() == "close") {
                connection_close = true;
            } else if text.split(',').any(|t| t.trim() == "keep-alive") {
                connection_close = false;
            }
        }
        builder = builder.header(name, value);
    }
    let framing = match (length, coding) {
        (Some(_), Some(_)) => return Err(HeadError::Ambiguous),
        (None, Some(c)) if c.rsplit(',').next().map(str::trim) == Some("chunked") => {
            Framing::Chunked
        }
        (None, Some(c)) => return Err(HeadError::TransferEncoding(c)),
        (Some(0), None) | (None, None) => Framing::Empty,
        (Some(n), None) => Framing::Length(n),
    };
    let request = builder.body(()).map_err(|e| invalid(&e))?.into_parts().0;
    buf.drain(..n);
    Ok(Some(Head {
        request,
        framing,
        expect_continue,
        close: connection_close,
    }))
}

/// Wait until `shutdown` says stop (forever if its sender is gone).
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if shutdown.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Serve one connection in `dialect` until it closes or the server stops.
pub async fn serve_conn<S>(
    io: S,
    dialect: Dialect,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    tls: bool,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut conn = Conn {
        io,
        buf: Vec::new(),
        idle: shared.limits.idle_timeout,
    };
    loop {
        let head = tokio::select! {
            h = conn.read_head() => h,
            _ = stopping(&mut shutdown) => return,
        };
        let head = match head {
            Ok(Some(h)) => h,
            Ok(None) => return,
            Err(e) => {
                tracing::debug!(%peer, "bad request head: {e}");
                let r = plain(StatusCode::BAD_REQUEST, &e.to_string());
                if conn.write_response(dialect, r, true).await.is_ok() {
                    conn.linger().await;
                }
                return;
            }
        };
        if dialect.http10 && head.framing == Framing::Chunked {
            // An HTTP/1.0 server knows no chunked coding.
            let r = plain(
                StatusCode::LENGTH_REQUIRED,
                "HTTP/1.0: send the request with a Content-Length",
            );
            if conn.write_response(dialect, r, true).await.is_ok() {
                conn.linger().await;
            }
            return;
        }
        let wants_body = head.framing != Framing::Empty;
        if head.expect_continue
            && wants_body
            && !dialect.http10
            && head.request.version == Version::HTTP_11
            && conn
                .io
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await
                .is_err()
        {
            return;
        }
        let (tx, rx) = mpsc::channel(4);
        let framing = head.framing;
        let req = Request::from_parts(head.request, ChannelBody { rx });
        let (resp, consumed) = {
            let handler = super::http::serve_http(req, shared.clone(), peer, local, tls);
            let reader = conn.pump(framing, tx);
            tokio::pin!(handler);
            tokio::pin!(reader);
            let mut consumed = None;
            let resp = loop {
                tokio::select! {
                    r = &mut handler => break r,
                    c = &mut reader, if consumed.is_none() => consumed = Some(c),
                }
            };
            (resp, consumed.unwrap_or(false))
        };
        // A body not read to its end leaves the connection unusable.
        let close = head.close || dialect.http10 || dialect.extra_length > 0 || !consumed;
        if conn.write_response(dialect, resp, close).await.is_err() {
            return;
        }
        if close {
            conn.linger().await;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Option<Head>, HeadError> {
        parse_head(&mut text.as_bytes().to_vec())
    }

    #[test]
    fn heads_and_framing() {
        let h = head("POST /ipp/print HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.framing, Framing::Length(12));
        assert!(h.expect_continue && !h.close);
        assert_eq!(h.request.uri.path(), "/ipp/print");
        let h = head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.framing, Framing::Chunked);
        let h = head("GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(h.close);
        assert_eq!(h.framing, Framing::Empty);
        assert!(head("POST / HTTP/1.1\r\nContent-Le").unwrap().is_none());
        assert!(matches!(
            head("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(HeadError::Ambiguous)
        ));
        assert!(matches!(
            head("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            Err(HeadError::ContentLength(_))
        ));
        assert!(matches!(
            head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Err(HeadError::TransferEncoding(_))
        ));
        assert!(head("\u{1}\u{2} nonsense\r\n\r\n").is_err());
    }

    #[test]
    fn dialects() {
        let q = |s: &str| vec![s.parse::<Quirk>().unwrap()];
        assert_eq!(Dialect::for_quirks(&q("wrong-request-id")), None);
        assert_eq!(Dialect::for_quirks(&[]), None);
        assert_eq!(
            Dialect::for_quirks(&q("http-1.0-no-continue")),
            Some(Dialect {
                http10: true,
                extra_length: 0
            })
        );
        assert_eq!(
            Dialect::for_quirks(&q("wrong-content-length")),
            Some(Dialect {
                http10: false,
                extra_length: EXTRA_LENGTH
            })
        );
    }

    mod end_to_end {
        use std::sync::Arc;

        use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

        use crate::fault::{Fault, FaultSource};
        use crate::ipp::Operation;
        use crate::model::Speed;
        use crate::net::{Limits, PrinterHandle};
        use crate::profile::Profile;
        use crate::wire::ipp::{Attribute, DelimiterTag, Message, Value};

        /// An in-memory printer with `quirk` raised, and a connection to it.
        fn printer(quirk: &str) -> (PrinterHandle, DuplexStream) {
            let profile = Arc::new(Profile::default_profile().unwrap());
            let h = PrinterHandle::in_memory(profile, Speed::Instant, Limits::default()).unwrap();
            let fault: Fault = quirk.parse().unwrap();
            h.raise_fault(fault, FaultSource::Api, None);
            let (client, server) = tokio::io::duplex(1 << 16);
            let h2 = h.clone();
            tokio::spawn(async move { h2.serve_io(server).await });
            (h, client)
        }

        fn get_printer_attributes() -> Vec<u8> {
            let mut m = Message::new((1, 1), Operation::GetPrinterAttributes.raw(), 9);
            let g = m.push_group(DelimiterTag::OperationAttributes);
            g.push(Attribute::new(
                "attributes-charset",
                Value::Charset("utf-8".into()),
            ));
            g.push(Attribute::new(
                "attributes-natural-language",
                Value::NaturalLanguage("en".into()),
            ));
            g.push(Attribute::new(
                "printer-uri",
                Value::Uri("ipp://localhost/ipp/print".into()),
            ));
            m.to_bytes().unwrap()
        }

        async fn read_to_end(c: &mut DuplexStream) -> Vec<u8> {
            let mut out = Vec::new();
            let read = c.read_to_end(&mut out);
            tokio::time::timeout(std::time::Duration::from_secs(5), read)
                .await
                .unwrap()
                .unwrap();
            out
        }

        fn split(answer: &[u8]) -> (String, Vec<u8>) {
            let at = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            (
                String::from_utf8_lossy(&answer[..at]).into_owned(),
                answer[at + 4..].to_vec(),
            )
        }

        #[tokio::test]
        async fn http_1_0_never_continues_and_refuses_chunks() {
            let (_h, mut c) = printer("http-1.0-no-continue");
            let body = get_printer_attributes();
            let head = format!(
                "POST /ipp/print HTTP/1.1\r\nHost: x\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
                body.len()
            );
            c.write_all(head.as_bytes()).await.unwrap();
            // No 100 Continue comes: the client has to give up waiting.
            let mut tmp = [0u8; 64];
            let waited =
                tokio::time::timeout(std::time::Duration::from_millis(300), c.read(&mut tmp)).await;
            assert!(waited.is_err(), "something came before the body was sent");
            c.write_all(&body).await.unwrap();
            let (head, body) = split(&read_to_end(&mut c).await);
            assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
            assert!(
                head.contains(&format!("Content-Length: {}", body.len())),
                "{head}"
            );
            let (m, _) = Message::parse(&body).unwrap();
            assert_eq!((m.code, m.request_id), (0, 9));

            let (_h, mut c) = printer("http-1.0-no-continue");
            let head = "POST /ipp/print HTTP/1.1\r\nHost: x\r\nContent-Type: application/ipp\r\nTransfer-Encoding: chunked\r\n\r\n";
            c.write_all(head.as_bytes()).await.unwrap();
            c.write_all(b"0\r\n\r\n").await.unwrap();
            let (head, _) = split(&read_to_end(&mut c).await);
            assert!(
                head.starts_with("HTTP/1.0 411 Length Required\r\n"),
                "{head}"
            );
        }

        #[tokio::test]
        async fn wrong_content_length_promises_more_than_it_sends() {
            let (h, mut c) = printer("wrong-content-length");
            let body = get_printer_attributes();
            // A chunked request with Expect is served as HTTP/1.1 should: 100 Continue first.
            let head = "POST /ipp/print HTTP/1.1\r\nHost: x\r\nContent-Type: application/ipp\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n";
            c.write_all(head.as_bytes()).await.unwrap();
            let mut cont = [0u8; 25];
            c.read_exact(&mut cont).await.unwrap();
            assert_eq!(&cont, b"HTTP/1.1 100 Continue\r\n\r\n");
            let chunk = format!("{:x}\r\n", body.len());
            c.write_all(chunk.as_bytes()).await.unwrap();
            c.write_all(&body).await.unwrap();
            c.write_all(b"\r\n0\r\n\r\n").await.unwrap();
            let (head, body) = split(&read_to_end(&mut c).await);
            assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
            let declared = format!("Content-Length: {}", body.len() + super::EXTRA_LENGTH);
            assert!(head.contains(&declared), "{head}");
            assert!(Message::parse(&body).is_ok(), "the body itself is intact");
            // Clearing the quirk: the next connection is hyper's again.
            h.clear_fault("wrong-content-length").unwrap();
            let (client, server) = tokio::io::duplex(1 << 16);
            let h2 = h.clone();
            tokio::spawn(async move { h2.serve_io(server).await });
            let mut c = client;
            let body = get_printer_attributes();
            let head = format!(
                "POST /ipp/print HTTP/1.1\r\nHost: x\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            c.write_all(head.as_bytes()).await.unwrap();
            c.write_all(&body).await.unwrap();
            let (head, body) = split(&read_to_end(&mut c).await);
            assert!(
                head.to_ascii_lowercase()
                    .contains(&format!("content-length: {}", body.len())),
                "{head}"
            );
        }
    }

    #[tokio::test]
    async fn chunked_bodies_are_decoded() {
        let (client, server) = tokio::io::duplex(4096);
        let mut conn = Conn {
            io: server,
            buf: b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT".to_vec(),
            idle: Duration::from_secs(1),
        };
        let (tx, mut rx) = mpsc::channel(8);
        assert!(conn.pump(Framing::Chunked, tx).await);
        let mut got = Vec::new();
        while let Some(Ok(b)) = rx.recv().await {
            got.extend_from_slice(&b);
        }
        assert_eq!(got, b"hello world");
        assert_eq!(conn.buf, b"NEXT", "the next request stays buffered");
        // A bad chunk size is an error for the handler, and the body is not consumed.
        conn.buf = b"zz\r\n".to_vec();
        let (tx, mut rx) = mpsc::channel(8);
        assert!(!conn.pump(Framing::Chunked, tx).await);
        assert!(matches!(rx.recv().await, Some(Err(_))));
        drop(client);
    }
}
