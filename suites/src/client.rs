//! A raw HTTP/1.x client for IPP and IPPS targets: it writes exactly the
//! framing a case asks for (chunked, `Expect: 100-continue`, HTTP/1.0, odd
//! content types) and reads whatever comes back, as a real client would.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The target URI is not usable.
    #[error("bad target URI '{0}': {1}")]
    BadUri(String, &'static str),
    /// TCP connect failed.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// host:port.
        addr: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The TLS handshake failed.
    #[error("TLS handshake with {addr} failed: {source}")]
    Tls {
        /// host:port.
        addr: String,
        /// What rustls said.
        source: std::io::Error,
    },
    /// No (complete) answer within the time limit.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection broke.
    #[error("connection failed: {0}")]
    Io(#[from] std::io::Error),
    /// The answer is not HTTP.
    #[error("the answer is not valid HTTP: {0}")]
    BadResponse(String),
}

/// `ipp`, `ipps`, `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// IPP over HTTP (port 631 by default).
    Ipp,
    /// IPP over HTTPS (port 631 by default, as CUPS).
    Ipps,
}

/// A parsed target URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUri {
    /// The URI as given.
    pub uri: String,
    /// Its scheme.
    pub scheme: Scheme,
    /// Host (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Resource path.
    pub path: String,
}

impl TargetUri {
    /// Parse `ipp://host[:port]/path` or `ipps://…`.
    pub fn parse(s: &str) -> Result<TargetUri, ClientError> {
        let bad = |why| ClientError::BadUri(s.to_string(), why);
        let (scheme, rest) = s.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme = match scheme {
            "ipp" | "http" => Scheme::Ipp,
            "ipps" | "https" => Scheme::Ipps,
            _ => return Err(bad("scheme must be ipp or ipps")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/ipp/print"),
        };
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            let (h, after) = r.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            let port = after
                .strip_prefix(':')
                .map(|p| p.parse::<u16>())
                .transpose()
                .map_err(|_| bad("bad port"))?;
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (
                    h.to_string(),
                    Some(p.parse::<u16>().map_err(|_| bad("bad port"))?),
                ),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(TargetUri {
            uri: s.to_string(),
            scheme,
            host,
            port: port.unwrap_or(631),
            path: path.to_string(),
        })
    }

    /// `host:port` for the Host header and connect.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One HTTP request, framed as asked.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// `POST` usually.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Send `HTTP/1.0` instead of `HTTP/1.1`.
    pub http10: bool,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// Send the body chunked.
    pub chunked: bool,
    /// Send `Expect: 100-continue` and wait (up to a second) for the interim answer.
    pub expect_continue: bool,
}

/// An HTTP answer.
#[derive(Debug, Clone, Default)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// `HTTP/1.1` etc.
    pub version: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// Whether a `100 Continue` came first.
    pub continued: bool,
    /// Whether the body was chunked.
    pub was_chunked: bool,
    /// Time from the first byte sent to the last byte received.
    pub elapsed: Duration,
}

impl HttpReply {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A byte stream, plain TCP or TLS over it.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A connection to a target, plain or TLS.
pub struct Connection {
    io: Box<dyn Io>,
    buf: Vec<u8>,
    authority: String,
}

/// Accepts any server certificate: printers use self-signed ones, and the
/// runner grades them rather than trusting them. (The security suite checks
/// certificates separately.)
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS client configuration that accepts any server certificate (see
/// [`AcceptAny`]).
pub(crate) fn tls_config() -> Result<Arc<rustls::ClientConfig>, std::io::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

impl Connection {
    /// Connect to the target (TLS for ipps).
    pub async fn open(t: &TargetUri, timeout: Duration) -> Result<Connection, ClientError> {
        let addr = t.authority();
        let tcp = tokio::time::timeout(timeout, TcpStream::connect((t.host.as_str(), t.port)))
            .await
            .map_err(|_| ClientError::Timeout(timeout))?
            .map_err(|source| ClientError::Connect {
                addr: addr.clone(),
                source,
            })?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match t.scheme {
            Scheme::Ipp => Box::new(tcp),
            Scheme::Ipps => {
                let cfg = tls_config().map_err(|source| ClientError::Tls {
                    addr: addr.clone(),
                    source,
                })?;
                let name =
                    rustls::pki_types::ServerName::try_from(t.host.clone()).map_err(|e| {
                        ClientError::Tls {
                            addr: addr.clone(),
                            source: std::io::Error::other(e),
                        }
                    })?;
                let s = tokio::time::timeout(
                    timeout,
                    tokio_rustls::TlsConnector::from(cfg).connect(name, tcp),
                )
                .await
                .map_err(|_| ClientError::Timeout(timeout))?
                .map_err(|source| ClientError::Tls {
                    addr: addr.clone(),
                    source,
                })?;
                Box::new(s)
            }
        };
        Ok(Connection {
            io,
            buf: Vec::new(),
            authority: addr,
        })
    }

    /// Send one request and read its answer, within `timeout`.
    pub async fn exchange(
        &mut self,
        req: &HttpRequest,
        timeout: Duration,
    ) -> Result<HttpReply, ClientError> {
        tokio::time::timeout(timeout, self.exchange_inner(req))
            .await
            .map_err(|_| ClientError::Timeout(timeout))?
    }

    async fn exchange_inner(&mut self, req: &HttpRequest) -> Result<HttpReply, ClientError> {
        let start = Instant::now();
        let mut head = format!(
            "{} {} HTTP/1.{}\r\nHost: {}\r\n",
            req.method,
            req.path,
            if req.http10 { 0 } else { 1 },
            self.authority
        );
        for (n, v) in &req.headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        if req.chunked {
            head.push_str("Transfer-Encoding: chunked\r\n");
        } else {
            head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
        }
        if req.expect_continue {
            head.push_str("Expect: 100-continue\r\n");
        }
        head.push_str("\r\n");
        self.io.write_all(head.as_bytes()).await?;
        let mut continued = false;
        if req.expect_continue {
            // Wait briefly for "100 Continue"; a server may also answer at once with a final status.
            if let Ok(r) = tokio::time::timeout(Duration::from_secs(1), self.read_head()).await {
                let (status, version, headers) = r?;
                if status == 100 {
                    continued = true;
                } else {
                    let body = self.read_body(&headers, status).await?;
                    return Ok(HttpReply {
                        status,
                        version,
                        was_chunked: has_chunked(&headers),
                        headers,
                        body,
                        continued,
                        elapsed: start.elapsed(),
                    });
                }
            }
        }
        if req.chunked {
            for c in req.body.chunks(8192) {
                self.io
                    .write_all(format!("{:x}\r\n", c.len()).as_bytes())
                    .await?;
                self.io.write_all(c).await?;
                self.io.write_all(b"\r\n").await?;
            }
            self.io.write_all(b"0\r\n\r\n").await?;
        } else {
            self.io.write_all(&req.body).await?;
        }
        self.io.flush().await?;
        loop {
            let (status, version, headers) = self.read_head().await?;
            if status == 100 {
                continued = true;
                continue;
            }
            let body = self.read_body(&headers, status).await?;
            return Ok(HttpReply {
                status,
                version,
                was_chunked: has_chunked(&headers),
                headers,
                body,
                continued,
                elapsed: start.elapsed(),
            });
        }
    }

    async fn fill(&mut self) -> Result<usize, ClientError> {
        let mut tmp = [0u8; 16384];
        let n = self.io.read(&mut tmp).await?;
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n)
    }

    async fn read_head(&mut self) -> Result<(u16, String, Vec<(String, String)>), ClientError> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_string();
                self.buf.drain(..end + 4);
                let mut lines = head.split("\r\n");
                let status_line = lines.next().unwrap_or("");
                let mut parts = status_line.splitn(3, ' ');
                let version = parts.next().unwrap_or("").to_string();
                if !version.starts_with("HTTP/") {
                    return Err(ClientError::BadResponse(format!(
                        "status line '{status_line}'"
                    )));
                }
                let status = parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| {
                    ClientError::BadResponse(format!("status line '{status_line}'"))
                })?;
                let headers = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                return Ok((status, version, headers));
            }
            if self.buf.len() > 1 << 20 {
                return Err(ClientError::BadResponse("headers larger than 1 MiB".into()));
            }
            if self.fill().await? == 0 {
                return Err(ClientError::BadResponse(if self.buf.is_empty() {
                    "connection closed without an answer".into()
                } else {
                    format!(
                        "connection closed inside the headers: {:?}",
                        String::from_utf8_lossy(&self.buf)
                    )
                }));
            }
        }
    }

    async fn read_body(
        &mut self,
        headers: &[(String, String)],
        status: u16,
    ) -> Result<Vec<u8>, ClientError> {
        if status == 204 || status == 304 {
            return Ok(Vec::new());
        }
        if has_chunked(headers) {
            let mut out = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(e) = find(&self.buf, b"\r\n") {
                        break e;
                    }
                    if self.fill().await? == 0 {
                        return Err(ClientError::BadResponse(
                            "connection closed inside a chunked body".into(),
                        ));
                    }
                };
                let size_str = String::from_utf8_lossy(&self.buf[..line_end]).to_string();
                let size =
                    usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| {
                            ClientError::BadResponse(format!("bad chunk size '{size_str}'"))
                        })?;
                self.buf.drain(..line_end + 2);
                if size == 0 {
                    // Trailers end with an empty line.
                    loop {
                        if let Some(e) = find(&self.buf, b"\r\n") {
                            let empty = e == 0;
                            self.buf.drain(..e + 2);
                            if empty {
                                return Ok(out);
                            }
                        } else if self.fill().await? == 0 {
                            return Ok(out);
                        }
                    }
                }
                while self.buf.len() < size + 2 {
                    if self.fill().await? == 0 {
                        return Err(ClientError::BadResponse(
                            "connection closed inside a chunk".into(),
                        ));
                    }
                }
                out.extend_from_slice(&self.buf[..size]);
                self.buf.drain(..size + 2);
            }
        }
        if let Some(len) = headers.iter().find(|(n, _)| n == "content-length") {
            let len: usize = len
                .1
                .parse()
                .map_err(|_| ClientError::BadResponse(format!("bad Content-Length '{}'", len.1)))?;
            while self.buf.len() < len {
                if self.fill().await? == 0 {
                    return Err(ClientError::BadResponse(format!(
                        "connection closed after {} of {len} body bytes",
                        self.buf.len()
                    )));
                }
            }
            return Ok(self.buf.drain(..len).collect());
        }
        // No length: the body runs to the end of the connection (HTTP/1.0 style).
        while self.fill().await? > 0 {}
        Ok(std::mem::take(&mut self.buf))
    }
}

fn has_chunked(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"))
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        let t = TargetUri::parse("ipp://10.0.0.7/ipp/print").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("10.0.0.7", 631, "/ipp/print")
        );
        let t = TargetUri::parse("ipps://[::1]:8631/ipp/print").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.scheme),
            ("::1", 8631, Scheme::Ipps)
        );
        assert_eq!(t.authority(), "[::1]:8631");
        assert!(TargetUri::parse("lpd://x/q").is_err());
        assert!(TargetUri::parse("ipp://:9").is_err());
    }
}
