//! A small raw HTTP/IPP client for tests: it writes exactly the bytes a test
//! asks for, so malformed requests can be sent on purpose.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, Limits, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_sim::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Start a printer on 127.0.0.1:0 at instant speed.
pub async fn start(limits: Limits, tls: TlsSource) -> RunningServer {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().unwrap()));
    cfg.ipp_port = 0;
    cfg.speed = Speed::Instant;
    cfg.limits = limits;
    cfg.tls = tls;
    server::start(cfg).await.unwrap()
}

/// A request with the three operation attributes every request carries.
pub fn request(op: u16, id: u32, uri: &str) -> Message {
    Message {
        version: (2, 0),
        code: op,
        request_id: id,
        groups: vec![Group {
            tag: DelimiterTag::OperationAttributes,
            attributes: vec![
                Attribute::new("attributes-charset", Value::Charset("utf-8".into())),
                Attribute::new(
                    "attributes-natural-language",
                    Value::NaturalLanguage("en".into()),
                ),
                Attribute::new("printer-uri", Value::Uri(uri.into())),
                Attribute::new("requesting-user-name", Value::Name("tester".into())),
            ],
        }],
    }
}

/// Add an operation attribute.
pub fn with_op(mut m: Message, a: Attribute) -> Message {
    m.groups[0].attributes.push(a);
    m
}

/// An HTTP response: status, headers (lower-cased names), body.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn ipp(&self) -> Message {
        assert_eq!(
            self.status,
            200,
            "HTTP status; body: {}",
            String::from_utf8_lossy(&self.body)
        );
        Message::parse(&self.body)
            .expect("a well-formed IPP response")
            .0
    }
}

/// Read one HTTP response (Content-Length or chunked) from `s`.
pub async fn read_response<S: AsyncRead + Unpin>(s: &mut S) -> HttpResponse {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let mut lines = head.split("\r\n");
            let status: u16 = lines
                .next()
                .unwrap()
                .split(' ')
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let mut rest = buf[end + 4..].to_vec();
            if status == 100 {
                buf = rest;
                continue;
            }
            let chunked = headers
                .iter()
                .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
            let body = if chunked {
                loop {
                    if let Some(b) = dechunk(&rest) {
                        break b;
                    }
                    let n = s.read(&mut tmp).await.unwrap();
                    assert!(n > 0, "connection closed inside a chunked body");
                    rest.extend_from_slice(&tmp[..n]);
                }
            } else {
                let len: usize = headers
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .map(|(_, v)| v.parse().unwrap())
                    .unwrap_or(0);
                while rest.len() < len {
                    let n = s.read(&mut tmp).await.unwrap();
                    assert!(n > 0, "connection closed inside the body");
                    rest.extend_from_slice(&tmp[..n]);
                }
                rest.truncate(len);
                rest
            };
            return HttpResponse {
                status,
                headers,
                body,
            };
        }
        let n = s.read(&mut tmp).await.unwrap();
        assert!(
            n > 0,
            "connection closed before a response; got {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&tmp[..n]);
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn dechunk(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let end = find(&b[i..], b"\r\n")? + i;
        let size = usize::from_str_radix(std::str::from_utf8(&b[i..end]).ok()?.trim(), 16).ok()?;
        i = end + 2;
        if size == 0 {
            return Some(out);
        }
        if b.len() < i + size + 2 {
            return None;
        }
        out.extend_from_slice(&b[i..i + size]);
        i += size + 2;
    }
}

/// Write a POST of `body` with Content-Length and read the answer.
pub async fn post<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    host: &str,
    body: &[u8],
) -> HttpResponse {
    let head = format!(
        "POST /ipp/print HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    read_response(s).await
}

/// Connect, POST one IPP message (+ trailing data), return the IPP answer.
pub async fn ipp(addr: std::net::SocketAddr, m: &Message, data: &[u8]) -> Message {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut body = m.to_bytes().unwrap();
    body.extend_from_slice(data);
    post(&mut s, &addr.to_string(), &body).await.ipp()
}

/// Status code of a response.
pub fn status(m: &Message) -> u16 {
    m.code
}

/// The first value of an attribute anywhere in the response.
pub fn find_attr<'a>(m: &'a Message, name: &str) -> Option<&'a Attribute> {
    m.groups
        .iter()
        .flat_map(|g| g.attributes.iter())
        .find(|a| a.name == name)
}

/// Bound a future in time so a hang fails the test instead of stalling it.
pub async fn within<F: std::future::Future>(secs: u64, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("timed out")
}
