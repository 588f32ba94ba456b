//! Raw-TCP targets for the LPD and AppSocket/PJL suites ([`crate::raw`]):
//! the target URI (`lpd://host[:port]/queue`, `socket://host[:port]`, and
//! `raw://host[:port]` as an alias of `socket`), the description a report
//! carries (the PJL `INFO ID` answer of a port 9100, `LPD queue <queue>` for
//! LPD), and running a list of cases with a number of workers.
//!
//! A CUPS device URI may carry backend options (`socket://host:9100?waiteof=false`,
//! `lpd://host/queue?reserve=any`): they tune the CUPS backend, not the
//! printer, so the query is ignored.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::grade::CaseResult;
use crate::raw::RawCase;

/// The LPD port of RFC 1179 §3: "The server listens on TCP port 515."
pub const LPD_PORT: u16 = 515;
/// The AppSocket/JetDirect port.
pub const APPSOCKET_PORT: u16 = 9100;
/// The PJL query whose answer names the printer: `INFO ID` between two
/// Universal Exit Languages.
pub const PJL_INFO_ID: &[u8] = b"\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X";
/// The silence that ends the wait for a PJL answer.
pub const PJL_SILENCE: Duration = Duration::from_secs(2);
/// The longest a PJL answer is waited for, however it trickles in.
const PJL_CAP: Duration = Duration::from_secs(10);
/// The most bytes of a PJL answer kept.
const PJL_MAX_BYTES: usize = 64 * 1024;

/// Why a raw-TCP target cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RawTargetError {
    /// The target URI is not usable.
    #[error("bad target URI '{uri}': {why}")]
    BadUri {
        /// The URI as given.
        uri: String,
        /// What is wrong with it.
        why: String,
    },
    /// The host name did not resolve.
    #[error("cannot resolve {authority}: {source}")]
    Resolve {
        /// `host:port`.
        authority: String,
        /// What the resolver said.
        source: std::io::Error,
    },
    /// The host name resolved to no address.
    #[error("{authority} resolves to no address")]
    NoAddress {
        /// `host:port`.
        authority: String,
    },
    /// TCP connect failed.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The address tried.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// TCP connect did not finish in time.
    #[error("connecting to {addr} timed out after {} s", timeout.as_secs())]
    ConnectTimeout {
        /// The address tried.
        addr: SocketAddr,
        /// The time limit.
        timeout: Duration,
    },
    /// A worker stopped before every case had a result.
    #[error("only {done} of {total} cases finished (a worker stopped)")]
    Unfinished {
        /// Cases with a result.
        done: usize,
        /// Cases given.
        total: usize,
    },
}

/// The protocol a raw-TCP target speaks, and so the suite it is graded by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawProtocol {
    /// LPD (RFC 1179): `lpd://host[:port]/queue`, the `suites/lpd` cases.
    Lpd,
    /// AppSocket/JetDirect with PJL: `socket://host[:port]`, the
    /// `suites/appsocket` cases.
    AppSocket,
}

impl RawProtocol {
    /// The port when the URI names none.
    pub fn default_port(self) -> u16 {
        match self {
            RawProtocol::Lpd => LPD_PORT,
            RawProtocol::AppSocket => APPSOCKET_PORT,
        }
    }

    /// The folder of this protocol's suite in this repository.
    pub fn suite_dir(self) -> PathBuf {
        match self {
            RawProtocol::Lpd => crate::lpd_suite_dir(),
            RawProtocol::AppSocket => crate::appsocket_suite_dir(),
        }
    }

    /// The prefix of this protocol's case ids (`lpd/`, `appsocket/`).
    pub fn case_prefix(self) -> &'static str {
        match self {
            RawProtocol::Lpd => "lpd/",
            RawProtocol::AppSocket => "appsocket/",
        }
    }
}

/// A parsed `lpd://` or `socket://` (`raw://`) target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTarget {
    /// The URI as given.
    pub uri: String,
    /// What it speaks.
    pub protocol: RawProtocol,
    /// Host (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// The LPD queue (empty for AppSocket).
    pub queue: String,
}

impl RawTarget {
    /// Parse `lpd://host[:port]/queue` (port 515 by default) or
    /// `socket://host[:port]` / `raw://host[:port]` (port 9100 by default).
    /// The scheme is case-insensitive, the queue may be percent-encoded, and a
    /// `?query` is ignored.
    pub fn parse(s: &str) -> Result<RawTarget, RawTargetError> {
        let bad = |why: &str| RawTargetError::BadUri {
            uri: s.to_string(),
            why: why.to_string(),
        };
        let (scheme, rest) = s.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let protocol = match scheme.to_ascii_lowercase().as_str() {
            "lpd" => RawProtocol::Lpd,
            "socket" | "raw" => RawProtocol::AppSocket,
            _ => return Err(bad("scheme must be lpd, socket or raw")),
        };
        let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.contains('@') {
            return Err(bad("user names are not supported"));
        }
        let (host, port) = split_authority(authority).map_err(bad)?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let queue = match protocol {
            RawProtocol::Lpd => {
                let q = percent_decode(path.trim_end_matches('/')).map_err(bad)?;
                if q.is_empty() {
                    return Err(bad(
                        "an lpd:// target names its queue: lpd://host[:port]/queue",
                    ));
                }
                if q.chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '\\' || c == '$')
                {
                    return Err(bad(
                        "the queue name has a space, a control character, \\ or $, which LPD commands cannot carry",
                    ));
                }
                q
            }
            RawProtocol::AppSocket => {
                if !path.trim_matches('/').is_empty() {
                    return Err(bad("a socket:// target has no path: socket://host[:port]"));
                }
                String::new()
            }
        };
        Ok(RawTarget {
            uri: s.to_string(),
            protocol,
            host,
            port: port.unwrap_or(protocol.default_port()),
            queue,
        })
    }

    /// `host:port`, IPv6 in brackets.
    pub fn authority(&self) -> String {
        authority_of(&self.host, self.port)
    }

    /// Whether the host is this machine (`localhost` or a loopback address).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }

    /// The first address the host resolves to.
    pub async fn resolve(&self) -> Result<SocketAddr, RawTargetError> {
        let authority = self.authority();
        match resolve_first(&self.host, self.port).await {
            Ok(a) => Ok(a),
            Err(Some(source)) => Err(RawTargetError::Resolve { authority, source }),
            Err(None) => Err(RawTargetError::NoAddress { authority }),
        }
    }

    /// Connect to `addr` once, before any case, and say what the target is:
    /// for AppSocket the PJL `INFO ID` answer (empty when there is none), for
    /// LPD `LPD queue <queue>`. Fails when nothing accepts the connection.
    pub async fn describe(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> Result<String, RawTargetError> {
        match self.protocol {
            RawProtocol::Lpd => {
                // Connect and close: an LPD daemon sees a connection with no command.
                drop(connect(addr, timeout).await?);
                Ok(format!("LPD queue {}", self.queue))
            }
            RawProtocol::AppSocket => Ok(pjl_info_id(addr, timeout, PJL_SILENCE)
                .await?
                .unwrap_or_default()),
        }
    }
}

/// `host:port`, IPv6 in brackets (for every target kind).
pub(crate) fn authority_of(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Whether `host` is this machine (`localhost` or a loopback address).
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The first address `host` resolves to: `Err(Some(e))` when the lookup
/// failed, `Err(None)` when it gave no address.
pub(crate) async fn resolve_first(
    host: &str,
    port: u16,
) -> Result<SocketAddr, Option<std::io::Error>> {
    let mut addrs = tokio::net::lookup_host((host, port)).await.map_err(Some)?;
    addrs.next().ok_or(None)
}

/// `host[:port]` or `[v6][:port]`.
pub(crate) fn split_authority(authority: &str) -> Result<(String, Option<u16>), &'static str> {
    let port = |p: &str| match p.parse::<u16>() {
        Ok(0) | Err(_) => Err("bad port"),
        Ok(n) => Ok(n),
    };
    if let Some(r) = authority.strip_prefix('[') {
        let (h, after) = r.split_once(']').ok_or("unclosed [")?;
        let p = match after {
            "" => None,
            a => Some(port(a.strip_prefix(':').ok_or("bad port")?)?),
        };
        return Ok((h.to_string(), p));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Ok((h.to_string(), Some(port(p)?))),
        None => Ok((authority.to_string(), None)),
    }
}

/// Decode `%XX` escapes; the result must be UTF-8.
pub(crate) fn percent_decode(s: &str) -> Result<String, &'static str> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let v = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("bad % escape in the queue name")?;
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the queue name is not UTF-8")
}

async fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, RawTargetError> {
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => Err(RawTargetError::ConnectTimeout { addr, timeout }),
        Ok(Err(source)) => Err(RawTargetError::Connect { addr, source }),
        Ok(Ok(s)) => Ok(s),
    }
}

/// Ask the AppSocket port at `addr` for `@PJL INFO ID` ([`PJL_INFO_ID`]) and
/// read the answer until a form feed, `silence` with nothing new, or the
/// peer's close. `Ok(None)` when the printer gives no usable answer (many
/// raw ports ignore PJL); an error only when the connection cannot be made.
pub async fn pjl_info_id(
    addr: SocketAddr,
    timeout: Duration,
    silence: Duration,
) -> Result<Option<String>, RawTargetError> {
    let mut stream = connect(addr, timeout).await?;
    let _ = stream.set_nodelay(true);
    if tokio::time::timeout(timeout, stream.write_all(PJL_INFO_ID))
        .await
        .map_or(true, |r| r.is_err())
    {
        return Ok(None);
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let end = Instant::now() + PJL_CAP;
    while !got.contains(&0x0c) && got.len() < PJL_MAX_BYTES {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(silence.min(left), stream.read(&mut buf)).await {
            Err(_) | Ok(Err(_)) | Ok(Ok(0)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream.shutdown().await;
    Ok(parse_pjl_info_id(&got))
}

/// The model in a PJL `INFO ID` answer: the first non-empty line after
/// `@PJL INFO ID`, up to the form feed, without its quotes ("@PJL INFO ID
/// [<CR>]<LF> <text> [<CR>]<LF> <FF>", PJL ref ch. 7). `None` when the
/// answer has no such line.
pub fn parse_pjl_info_id(answer: &[u8]) -> Option<String> {
    const HEADER: &[u8] = b"@PJL INFO ID";
    let at = answer
        .windows(HEADER.len())
        .position(|w| w.eq_ignore_ascii_case(HEADER))?;
    let after = &answer[at + HEADER.len()..];
    let after = match after.iter().position(|&b| b == 0x0c) {
        Some(ff) => &after[..ff],
        None => after,
    };
    // The rest of the header line (normally nothing) is skipped.
    let nl = after.iter().position(|&b| b == b'\n')?;
    String::from_utf8_lossy(&after[nl + 1..])
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| {
            l.strip_prefix('"')
                .and_then(|l| l.strip_suffix('"'))
                .unwrap_or(l)
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty())
}

/// How [`run_cases`] runs raw cases.
#[derive(Debug, Clone)]
pub struct RawRunOptions {
    /// The LPD queue that replaces `$queue` (empty for AppSocket).
    pub queue: String,
    /// Run cases that print paper; they are skipped, with a reason, otherwise.
    pub allow_print: bool,
    /// The folder of test documents.
    pub documents: PathBuf,
    /// Cases run at once (at least 1). Against a real device, 1.
    pub jobs: usize,
}

/// Run `cases` against `addr`, `opts.jobs` at a time, each on its own
/// connection ([`crate::raw::run`]); `on_done` sees every result as it comes.
/// Results come back in the order they finished.
pub async fn run_cases<F>(
    cases: Vec<RawCase>,
    addr: SocketAddr,
    opts: &RawRunOptions,
    mut on_done: F,
) -> Result<Vec<CaseResult>, RawTargetError>
where
    F: FnMut(&CaseResult),
{
    let total = cases.len();
    let queue = Arc::new(Mutex::new(cases.into_iter().collect::<VecDeque<_>>()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<CaseResult>();
    for _ in 0..opts.jobs.max(1).min(total) {
        let (queue, tx) = (Arc::clone(&queue), tx.clone());
        let (lpd_queue, allow_print, docs) =
            (opts.queue.clone(), opts.allow_print, opts.documents.clone());
        tokio::spawn(async move {
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(case) = next else { break };
                let r = crate::raw::run(&case, addr, &lpd_queue, allow_print, &docs).await;
                if tx.send(r).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut results = Vec::with_capacity(total);
    while let Some(r) = rx.recv().await {
        on_done(&r);
        results.push(r);
    }
    if results.len() != total {
        return Err(RawTargetError::Unfinished {
            done: results.len(),
            total,
        });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::Outcome;
    use crate::raw::RawStep;
    use crate::spec::Level;
    use tokio::net::TcpListener;

    fn parsed(s: &str) -> RawTarget {
        RawTarget::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn refused(s: &str) -> String {
        match RawTarget::parse(s) {
            Ok(t) => panic!("{s} accepted as {t:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn lpd_uris() {
        let t = parsed("lpd://printer.local/lp");
        assert_eq!(t.protocol, RawProtocol::Lpd);
        assert_eq!(
            (t.host.as_str(), t.port, t.queue.as_str()),
            ("printer.local", 515, "lp")
        );
        let t = parsed("LPD://127.0.0.1:8515/lp/?reserve=any");
        assert_eq!((t.port, t.queue.as_str()), (8515, "lp"));
        assert!(t.is_loopback());
        let t = parsed("lpd://[::1]:8515/my%2Dqueue");
        assert_eq!((t.host.as_str(), t.queue.as_str()), ("::1", "my-queue"));
        assert_eq!(t.authority(), "[::1]:8515");
        assert!(t.is_loopback());
        assert!(!parsed("lpd://192.0.2.7/lp").is_loopback());
        assert!(refused("lpd://host").contains("names its queue"));
        assert!(refused("lpd://host/").contains("names its queue"));
        assert!(refused("lpd://host/two%20words").contains("cannot carry"));
        assert!(refused("lpd://host/a$queue").contains("cannot carry"));
        assert!(refused("lpd://host/bad%2").contains("% escape"));
        assert!(refused("lpd://host:0/lp").contains("bad port"));
        assert!(refused("lpd://host:99999/lp").contains("bad port"));
        assert!(refused("lpd://:515/lp").contains("no host"));
        assert!(refused("lpd://me@host/lp").contains("user names"));
        assert!(refused("lpd://[::1/lp").contains("unclosed"));
    }

    #[test]
    fn socket_uris() {
        let t = parsed("socket://192.0.2.7");
        assert_eq!(t.protocol, RawProtocol::AppSocket);
        assert_eq!(
            (t.host.as_str(), t.port, t.queue.as_str()),
            ("192.0.2.7", 9100, "")
        );
        assert_eq!(parsed("socket://localhost:9101/").port, 9101);
        assert_eq!(parsed("socket://h:9100?waiteof=false").port, 9100);
        let t = parsed("raw://[::1]");
        assert_eq!((t.protocol, t.port), (RawProtocol::AppSocket, 9100));
        assert!(refused("socket://h:9100/path").contains("no path"));
        assert!(refused("ipp://h/ipp/print").contains("scheme must be"));
        assert!(refused("h:9100").contains("no scheme"));
        assert!(refused("socket://").contains("no host"));
    }

    #[test]
    fn pjl_id_answers() {
        let p = |b: &[u8]| parse_pjl_info_id(b);
        assert_eq!(
            p(b"@PJL INFO ID\r\n\"HP LaserJet 4000\"\r\n\x0c").as_deref(),
            Some("HP LaserJet 4000")
        );
        // No quotes, LF only, leading noise, unsolicited status before.
        assert_eq!(
            p(b"@PJL USTATUS DEVICE\r\nCODE=10001\r\n\x0c@PJL INFO ID\nLaserJet 5\n\x0c")
                .as_deref(),
            Some("LaserJet 5")
        );
        // No form feed (silence ended the read).
        assert_eq!(p(b"@pjl info id\r\n\"X\"\r\n").as_deref(), Some("X"));
        assert_eq!(p(b""), None);
        assert_eq!(p(b"garbage"), None);
        assert_eq!(p(b"@PJL INFO ID"), None);
        assert_eq!(p(b"@PJL INFO ID\r\n\x0cNext\r\n"), None);
        assert_eq!(p(b"@PJL INFO ID\r\n\"\"\r\n\x0c"), None);
    }

    async fn listener() -> (TcpListener, SocketAddr) {
        let l = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let a = l.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
        (l, a)
    }

    /// A closed port: bind, note the address, drop.
    async fn closed_port() -> SocketAddr {
        listener().await.1
    }

    #[tokio::test]
    async fn pjl_probe_reads_to_the_form_feed() {
        let (l, addr) = listener().await;
        tokio::spawn(async move {
            if let Ok((mut s, _)) = l.accept().await {
                let mut buf = vec![0u8; PJL_INFO_ID.len()];
                let _ = s.read_exact(&mut buf).await;
                let _ = s.write_all(b"@PJL INFO ID\r\n\"Fake 9100\"\r\n\x0c").await;
                // Stays open: the form feed, not a close, ends the read.
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        });
        let t0 = Instant::now();
        let id = pjl_info_id(addr, Duration::from_secs(5), Duration::from_secs(20)).await;
        assert_eq!(id.ok().flatten().as_deref(), Some("Fake 9100"));
        assert!(t0.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn pjl_probe_of_a_silent_port_is_none() {
        let (l, addr) = listener().await;
        tokio::spawn(async move {
            if let Ok((_s, _)) = l.accept().await {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        });
        let id = pjl_info_id(addr, Duration::from_secs(5), Duration::from_millis(100)).await;
        assert!(matches!(id, Ok(None)), "{id:?}");
        let t = parsed(&format!("socket://{addr}"));
        assert!(matches!(
            pjl_info_id(closed_port().await, Duration::from_secs(5), PJL_SILENCE).await,
            Err(RawTargetError::Connect { .. })
        ));
        assert_eq!(t.resolve().await.ok(), Some(addr));
    }

    #[tokio::test]
    async fn the_virtual_printer_describes_itself() {
        let profile = paperjam_sim::profile::Profile::default_profile()
            .unwrap_or_else(|e| panic!("profile: {e}"));
        let mut cfg = paperjam_sim::net::ServerConfig::new(Arc::new(profile));
        cfg.ipp_port = 0;
        cfg.lpd_port = Some(0);
        cfg.socket_port = Some(0);
        cfg.tls = paperjam_sim::net::TlsSource::Off;
        let srv = paperjam_sim::net::server::start(cfg)
            .await
            .unwrap_or_else(|e| panic!("start: {e}"));
        let model = srv.printer.0.printer().profile.make_and_model();
        let mut described = Vec::new();
        for uri in srv.uris() {
            let Ok(t) = RawTarget::parse(&uri) else {
                continue;
            };
            let addr = t.resolve().await.unwrap_or_else(|e| panic!("{e}"));
            let d = t.describe(addr, Duration::from_secs(5)).await;
            described.push(d.unwrap_or_else(|e| panic!("{uri}: {e}")));
        }
        assert_eq!(described, vec!["LPD queue lp".to_string(), model]);
        let lpd = parsed(&format!("lpd://{}/lp", closed_port().await));
        let addr = lpd.resolve().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(lpd.describe(addr, Duration::from_secs(5)).await.is_err());
        srv.shutdown(Duration::from_secs(1)).await;
    }

    fn case(id: &str, prints: bool) -> RawCase {
        let step = |f: fn(&mut RawStep)| {
            let mut s = RawStep::default();
            f(&mut s);
            s
        };
        RawCase {
            id: id.into(),
            level: Level::Must,
            clause: "RFC 1179 §5.2".into(),
            title: "t".into(),
            requirement: "r".into(),
            prints,
            steps: vec![
                step(|s| s.send = Some(r"\x02$queue\n".into())),
                step(|s| s.expect_ack = Some(0)),
            ],
            source: String::new(),
        }
    }

    #[tokio::test]
    async fn cases_run_with_workers() {
        // A peer that acknowledges `\x02lp\n` and refuses any other queue.
        let (l, addr) = listener().await;
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut line = Vec::new();
                    let mut b = [0u8; 1];
                    while let Ok(1) = s.read(&mut b).await {
                        if b[0] == b'\n' {
                            break;
                        }
                        line.push(b[0]);
                    }
                    let ack = if line == b"\x02lp" { 0u8 } else { 1 };
                    let _ = s.write_all(&[ack]).await;
                });
            }
        });
        let mut cases: Vec<RawCase> = (0..6).map(|i| case(&format!("lpd/x/{i}"), false)).collect();
        cases.push(case("lpd/x/prints", true));
        let mut opts = RawRunOptions {
            queue: "lp".into(),
            allow_print: false,
            documents: crate::documents_dir(),
            jobs: 3,
        };
        let mut seen = 0;
        let results = run_cases(cases.clone(), addr, &opts, |_| seen += 1)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((results.len(), seen), (7, 7));
        for r in &results {
            let want = if r.id.ends_with("prints") {
                Outcome::Skip
            } else {
                Outcome::Pass
            };
            assert_eq!(r.outcome, want, "{}: {}", r.id, r.reason);
        }
        // Another queue: refused, so every case fails; printing allowed now.
        opts.queue = "other".into();
        opts.allow_print = true;
        opts.jobs = 1;
        let results = run_cases(cases, addr, &opts, |_| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(results.iter().all(|r| r.outcome == Outcome::Fail));
        // No cases, no workers, no results.
        let none = run_cases(Vec::new(), addr, &opts, |_| {}).await;
        assert!(none.is_ok_and(|r| r.is_empty()));
    }
}
