//! The recording proxy behind `paperjam record`: a transparent proxy in front
//! of a real printer that writes everything it relays into a pcapng file.
//!
//! Each accepted TCP connection gets its own connection to the upstream, and
//! the bytes are copied both ways as they come; every chunk is written as TCP
//! segments by [`super::write::TcpConversation`]. A half-close is passed on
//! (FIN one way, the other way still open), and so is a reset (RST). A
//! connection the upstream refuses is closed with a reset and a warning. UDP
//! (SNMP) is relayed too: each client gets its own upstream socket, its
//! datagrams are forwarded from it and the answers sent back, both written.
//!
//! **Which addresses the capture shows.** By default the *real* ends: the
//! client's own address talking straight to the upstream's, as if the proxy
//! were not there, so a capture replays and reads like one taken on the
//! printer's wire (one conversation per connection, the ports the printer
//! really serves). With [`RecordConfig::as_seen`] it shows what the proxy's
//! sockets saw instead: client → proxy listen address, and proxy's own
//! address → upstream, two conversations per connection.
//!
//! **TLS stays encrypted.** `ipps://` and `https://` connections are relayed
//! as bytes; the capture holds the TLS records, not the IPP inside them.
//!
//! Embeddable the mini-redis way: [`Recorder::bind`] (port 0 allowed, the
//! bound addresses readable), then [`Recorder::run`] with a shutdown future;
//! it ends on that future, on [`RecordConfig::duration`], or once
//! [`RecordConfig::count`] connections are done, and hands back a [`Summary`].

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::write::{
    self, BoxedOutput, Direction, PcapNgWriter, SharedWriter, TcpConversation, WriteError,
};

/// How long a UDP relay waits for more answers once the proxy is stopping.
pub const REPLY_WAIT: Duration = Duration::from_secs(1);

/// The largest read of one chunk from a TCP socket.
const CHUNK: usize = 32 * 1024;

/// Why the proxy could not start (or its capture failed).
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The upstream URI is not usable.
    #[error("bad upstream URI '{uri}': {why}")]
    BadUri {
        /// The URI as given.
        uri: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A listen address is not usable.
    #[error("bad listen address '{addr}': expected PORT or ADDR:PORT (IPv6 in brackets)")]
    BadListen {
        /// The address as given.
        addr: String,
    },
    /// The configuration asks for nothing to relay, or for something contradictory.
    #[error("{0}")]
    Config(&'static str),
    /// The upstream's name did not resolve.
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        /// `host:port`.
        host: String,
        /// What the resolver said.
        source: std::io::Error,
    },
    /// The upstream's name resolved to nothing.
    #[error("{0} resolves to no address")]
    NoAddress(String),
    /// A listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The capture file could not be created or written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The upstream schemes the proxy takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamScheme {
    /// `ipp://` (TCP, port 631).
    Ipp,
    /// `ipps://` (TCP, port 631; TLS relayed as bytes, encrypted in the capture).
    Ipps,
    /// `http://` (TCP, port 80).
    Http,
    /// `https://` (TCP, port 443; TLS relayed as bytes).
    Https,
    /// `lpd://` (TCP, port 515).
    Lpd,
    /// `socket://` (AppSocket/JetDirect, TCP, port 9100).
    Socket,
    /// `snmp://` (UDP, port 161).
    Snmp,
    /// `tcp://host:port` (any TCP service; the port is required).
    Tcp,
}

impl UpstreamScheme {
    /// The scheme's name in a URI.
    pub fn name(self) -> &'static str {
        match self {
            UpstreamScheme::Ipp => "ipp",
            UpstreamScheme::Ipps => "ipps",
            UpstreamScheme::Http => "http",
            UpstreamScheme::Https => "https",
            UpstreamScheme::Lpd => "lpd",
            UpstreamScheme::Socket => "socket",
            UpstreamScheme::Snmp => "snmp",
            UpstreamScheme::Tcp => "tcp",
        }
    }

    /// Its port when the URI names none (`tcp://` has none).
    pub fn default_port(self) -> Option<u16> {
        match self {
            UpstreamScheme::Ipp | UpstreamScheme::Ipps => Some(631),
            UpstreamScheme::Http => Some(80),
            UpstreamScheme::Https => Some(443),
            UpstreamScheme::Lpd => Some(515),
            UpstreamScheme::Socket => Some(9100),
            UpstreamScheme::Snmp => Some(161),
            UpstreamScheme::Tcp => None,
        }
    }

    /// Whether it is relayed over UDP (SNMP) rather than TCP.
    pub fn is_udp(self) -> bool {
        self == UpstreamScheme::Snmp
    }

    /// Whether the capture of it holds TLS records rather than plain text.
    pub fn is_tls(self) -> bool {
        matches!(self, UpstreamScheme::Ipps | UpstreamScheme::Https)
    }
}

/// The printer the proxy stands in front of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// The URI as given.
    pub uri: String,
    /// Its scheme.
    pub scheme: UpstreamScheme,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Upstream {
    /// Parse `scheme://[userinfo@]host[:port][/path]` (the path and an SNMP
    /// community are the client's business, not the proxy's; they are
    /// ignored). Schemes: ipp, ipps, http, https, lpd, socket (raw too),
    /// snmp, tcp (port required).
    pub fn parse(s: &str) -> Result<Upstream, RecordError> {
        let bad = |why| RecordError::BadUri {
            uri: s.to_string(),
            why,
        };
        let (scheme, rest) = s.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "ipp" => UpstreamScheme::Ipp,
            "ipps" => UpstreamScheme::Ipps,
            "http" => UpstreamScheme::Http,
            "https" => UpstreamScheme::Https,
            "lpd" => UpstreamScheme::Lpd,
            "socket" | "raw" => UpstreamScheme::Socket,
            "snmp" => UpstreamScheme::Snmp,
            "tcp" => UpstreamScheme::Tcp,
            _ => {
                return Err(bad(
                    "scheme must be ipp, ipps, http, https, lpd, socket, snmp or tcp",
                ))
            }
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            let (h, after) = r.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .and_then(|p| p.parse::<u16>().ok())
                        .ok_or_else(|| bad("bad port"))?,
                ),
            };
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
        let port = port
            .or(scheme.default_port())
            .ok_or_else(|| bad("tcp:// needs a port"))?;
        if port == 0 {
            return Err(bad("port 0"));
        }
        Ok(Upstream {
            uri: s.to_string(),
            scheme,
            host,
            port,
        })
    }

    /// `host:port` (IPv6 in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The port to listen on when none is given: the upstream's own when an
    /// unprivileged user may bind it (9100), else it + 8000 (631 → 8631,
    /// 515 → 8515, 161 → 8161, as `paperjam serve` does).
    pub fn default_listen_port(&self) -> u16 {
        if self.port >= 1024 {
            self.port
        } else {
            self.port + 8000
        }
    }

    /// Resolve the host: every address, in the resolver's order.
    pub async fn resolve(&self) -> Result<Vec<SocketAddr>, RecordError> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|source| RecordError::Resolve {
                host: self.authority(),
                source,
            })?
            .collect();
        if addrs.is_empty() {
            return Err(RecordError::NoAddress(self.authority()));
        }
        Ok(addrs)
    }
}

/// Parse a listen address: `PORT` (on loopback, 127.0.0.1) or `ADDR:PORT`
/// (`[ADDR]:PORT` for IPv6).
pub fn parse_listen(s: &str) -> Result<SocketAddr, RecordError> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    s.parse::<SocketAddr>().map_err(|_| RecordError::BadListen {
        addr: s.to_string(),
    })
}

/// One relay: where the proxy listens and what it forwards to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    /// Where clients connect (TCP) or send (UDP).
    pub listen: SocketAddr,
    /// Where the proxy forwards.
    pub upstream: Upstream,
}

/// What the proxy relays and when it stops.
#[derive(Debug, Clone)]
pub struct RecordConfig {
    /// The TCP relay (ipp, ipps, http, https, lpd, socket, tcp upstreams).
    pub tcp: Option<Relay>,
    /// The UDP relay (snmp upstreams).
    pub udp: Option<Relay>,
    /// Most TCP connections (and UDP clients) relayed at once; more wait to
    /// be accepted (UDP: their datagrams are dropped).
    pub max_connections: usize,
    /// Stop once this many TCP connections have been accepted and are done
    /// (with no TCP relay: once this many client datagrams were forwarded
    /// and their answers have had [`REPLY_WAIT`] to come).
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Record the proxy's own addresses (two conversations per connection)
    /// instead of the client talking straight to the upstream.
    pub as_seen: bool,
    /// Time limit of connecting to the upstream.
    pub connect_timeout: Duration,
    /// How long open connections may go on once the proxy is told to stop;
    /// then they are closed (FIN both ways, written as such).
    pub grace: Duration,
    /// How long a UDP client's relay socket stays open with nothing sent.
    pub udp_idle: Duration,
}

impl Default for RecordConfig {
    fn default() -> Self {
        RecordConfig {
            tcp: None,
            udp: None,
            max_connections: 64,
            count: None,
            duration: None,
            as_seen: false,
            connect_timeout: Duration::from_secs(10),
            grace: Duration::from_secs(2),
            udp_idle: Duration::from_secs(60),
        }
    }
}

/// What a recording run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// TCP connections accepted (refused ones too).
    pub connections: u64,
    /// Of them, those the upstream refused (or did not answer in time).
    pub refused: u64,
    /// Bytes relayed from clients to the upstream.
    pub bytes_to_upstream: u64,
    /// Bytes relayed from the upstream to clients.
    pub bytes_to_client: u64,
    /// UDP datagrams relayed from clients to the upstream.
    pub datagrams_to_upstream: u64,
    /// UDP datagrams relayed from the upstream to clients.
    pub datagrams_to_client: u64,
    /// Frames in the capture.
    pub frames: u64,
    /// The first failure writing the capture, if any (the proxy relays on
    /// regardless; the capture is incomplete).
    pub write_error: Option<String>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} connections ({} refused), {} bytes to upstream, {} bytes to clients, {} datagrams to upstream, {} to clients, {} frames",
            self.connections,
            self.refused,
            self.bytes_to_upstream,
            self.bytes_to_client,
            self.datagrams_to_upstream,
            self.datagrams_to_client,
            self.frames
        )
    }
}

/// The counters the tasks share.
#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    refused: AtomicU64,
    to_upstream: AtomicU64,
    to_client: AtomicU64,
    dgrams_up: AtomicU64,
    dgrams_down: AtomicU64,
}

/// What every task shares.
struct Ctx {
    sink: SharedWriter,
    as_seen: bool,
    connect_timeout: Duration,
    udp_idle: Duration,
    counters: Counters,
    write_error: Mutex<Option<String>>,
}

impl Ctx {
    /// Write frames under one lock; a failure is kept (the first) and logged
    /// once, and the relaying goes on.
    fn record(&self, f: impl FnOnce(&mut PcapNgWriter<BoxedOutput>) -> Result<(), WriteError>) {
        if let Err(e) = self.sink.with(f) {
            let mut first = self.write_error.lock().unwrap_or_else(|e| e.into_inner());
            if first.is_none() {
                tracing::warn!("capture incomplete: {e}");
                *first = Some(e.to_string());
            }
        }
    }
}

/// A proxy bound and ready to run.
pub struct Recorder {
    cfg: RecordConfig,
    tcp: Option<(TcpListener, Arc<[SocketAddr]>)>,
    udp: Option<(Arc<UdpSocket>, SocketAddr)>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("tcp", &self.tcp_addr())
            .field("udp", &self.udp_addr())
            .finish()
    }
}

impl Recorder {
    /// Resolve the upstreams and bind the listening sockets.
    pub async fn bind(cfg: RecordConfig) -> Result<Recorder, RecordError> {
        if cfg.tcp.is_none() && cfg.udp.is_none() {
            return Err(RecordError::Config(
                "nothing to relay: no TCP and no UDP relay",
            ));
        }
        let tcp = match &cfg.tcp {
            None => None,
            Some(r) if r.upstream.scheme.is_udp() => {
                return Err(RecordError::Config(
                    "the TCP relay has a UDP (snmp://) upstream",
                ))
            }
            Some(r) => {
                let up = r.upstream.resolve().await?;
                let l = TcpListener::bind(r.listen)
                    .await
                    .map_err(|source| RecordError::Bind {
                        addr: r.listen,
                        source,
                    })?;
                Some((l, Arc::from(up)))
            }
        };
        let udp = match &cfg.udp {
            None => None,
            Some(r) => {
                let up = r.upstream.resolve().await?;
                // The resolver's first address: a datagram goes to one place.
                let first = up
                    .first()
                    .copied()
                    .ok_or_else(|| RecordError::NoAddress(r.upstream.authority()))?;
                let s = UdpSocket::bind(r.listen)
                    .await
                    .map_err(|source| RecordError::Bind {
                        addr: r.listen,
                        source,
                    })?;
                Some((Arc::new(s), first))
            }
        };
        Ok(Recorder { cfg, tcp, udp })
    }

    /// Where the TCP relay listens.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    /// Where the UDP relay listens.
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp.as_ref().and_then(|(s, _)| s.local_addr().ok())
    }

    /// The upstream's addresses the TCP relay connects to, in order.
    pub fn tcp_upstream(&self) -> &[SocketAddr] {
        self.tcp.as_ref().map_or(&[], |(_, u)| u)
    }

    /// The upstream address the UDP relay forwards to.
    pub fn udp_upstream(&self) -> Option<SocketAddr> {
        self.udp.as_ref().map(|(_, u)| *u)
    }

    /// Relay and record into `sink` until `shutdown` resolves, the duration
    /// is up or the count is done; then let open connections finish within
    /// the grace time, close the rest, flush the capture and sum up.
    pub async fn run<F>(self, sink: SharedWriter, shutdown: F) -> Result<Summary, RecordError>
    where
        F: Future<Output = ()>,
    {
        let Recorder { cfg, tcp, udp } = self;
        let ctx = Arc::new(Ctx {
            sink: sink.clone(),
            as_seen: cfg.as_seen,
            connect_timeout: cfg.connect_timeout,
            udp_idle: cfg.udp_idle,
            counters: Counters::default(),
            write_error: Mutex::new(None),
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        let (kill_tx, kill_rx) = watch::channel(false);
        let (done_tx, mut done_rx) = watch::channel(false);
        let limit = Arc::new(Semaphore::new(cfg.max_connections.max(1)));
        // The count applies to the TCP relay when there is one, else to UDP.
        let tcp_count = if tcp.is_some() { cfg.count } else { None };
        let udp_count = if tcp.is_none() { cfg.count } else { None };
        let tcp_task = tcp.map(|(listener, upstream)| {
            tokio::spawn(accept_loop(
                listener,
                upstream,
                ctx.clone(),
                limit.clone(),
                tcp_count,
                Lifecycle {
                    stop: stop_rx.clone(),
                    kill: kill_rx.clone(),
                    done: done_tx.clone(),
                },
            ))
        });
        let udp_task = udp.map(|(sock, upstream)| {
            tokio::spawn(udp_loop(
                sock,
                upstream,
                ctx.clone(),
                cfg.max_connections.max(1),
                udp_count,
                Lifecycle {
                    stop: stop_rx.clone(),
                    kill: kill_rx.clone(),
                    done: done_tx.clone(),
                },
            ))
        });
        drop(done_tx);
        let deadline = cfg.duration.map(|d| Instant::now() + d);
        tokio::select! {
            _ = shutdown => tracing::info!("record: told to stop"),
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => tracing::info!("record: duration is up"),
            _ = async {
                match cfg.count {
                    Some(_) => raised(&mut done_rx).await,
                    None => std::future::pending::<()>().await,
                }
            } => tracing::info!("record: count reached"),
        }
        let _ = stop_tx.send(true);
        let all = async {
            for t in [tcp_task, udp_task].into_iter().flatten() {
                if let Err(e) = t.await {
                    tracing::warn!("record: a relay task failed: {e}");
                }
            }
        };
        tokio::pin!(all);
        tokio::select! {
            _ = &mut all => {}
            _ = tokio::time::sleep(cfg.grace) => {
                tracing::info!("record: closing the connections still open");
                let _ = kill_tx.send(true);
                all.await;
            }
        }
        let flushed = sink.flush();
        let c = &ctx.counters;
        let mut write_error = ctx
            .write_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let (None, Err(e)) = (&write_error, &flushed) {
            write_error = Some(e.to_string());
        }
        Ok(Summary {
            connections: c.connections.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            bytes_to_upstream: c.to_upstream.load(Ordering::Relaxed),
            bytes_to_client: c.to_client.load(Ordering::Relaxed),
            datagrams_to_upstream: c.dgrams_up.load(Ordering::Relaxed),
            datagrams_to_client: c.dgrams_down.load(Ordering::Relaxed),
            frames: sink.frames(),
            write_error,
        })
    }
}

/// The signals a relay loop lives by: stop taking new work, close
/// everything now, and its own end (dropped when it is done).
struct Lifecycle {
    stop: watch::Receiver<bool>,
    kill: watch::Receiver<bool>,
    done: watch::Sender<bool>,
}

/// Accept connections until told to stop (or the count is reached), then
/// wait for the open ones.
async fn accept_loop(
    listener: TcpListener,
    upstream: Arc<[SocketAddr]>,
    ctx: Arc<Ctx>,
    limit: Arc<Semaphore>,
    count: Option<u64>,
    life: Lifecycle,
) {
    let Lifecycle {
        mut stop,
        kill,
        done,
    } = life;
    let mut conns = JoinSet::new();
    let mut accepted = 0u64;
    loop {
        if count.is_some_and(|n| accepted >= n) {
            break;
        }
        let permit = tokio::select! {
            _ = raised(&mut stop) => break,
            p = limit.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (client, peer) = tokio::select! {
            _ = raised(&mut stop) => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little.
                    tracing::warn!("record: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        accepted += 1;
        ctx.counters.connections.fetch_add(1, Ordering::Relaxed);
        let ctx = ctx.clone();
        let upstream = upstream.clone();
        let kill = kill.clone();
        conns.spawn(async move {
            proxy_connection(client, peer, &upstream, &ctx, kill).await;
            drop(permit);
        });
        // Reap the finished ones as we go.
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
    if count.is_some() && !*stop.borrow() {
        let _ = done.send(true);
    }
}

/// The conversations one proxied connection is written as (one, or two with
/// `as_seen`), each in the client → server orientation.
struct Rec<'a> {
    ctx: &'a Ctx,
    convs: Mutex<Vec<TcpConversation>>,
}

impl Rec<'_> {
    fn each(
        &self,
        f: impl Fn(
            &mut TcpConversation,
            std::time::Duration,
            &mut PcapNgWriter<BoxedOutput>,
        ) -> Result<(), WriteError>,
    ) {
        let mut convs = self.convs.lock().unwrap_or_else(|e| e.into_inner());
        let ts = write::now();
        self.ctx
            .record(|w| convs.iter_mut().try_for_each(|c| f(c, ts, w)));
    }

    fn data(&self, dir: Direction, bytes: &[u8]) {
        self.each(|c, ts, w| c.data(dir, bytes, ts, w).map(|_| ()));
    }

    fn fin(&self, dir: Direction) {
        self.each(|c, ts, w| c.fin(dir, ts, w));
    }

    fn rst(&self, dir: Direction) {
        self.each(|c, ts, w| c.rst(dir, ts, w));
    }
}

/// How one direction of a proxied connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Its sender closed (FIN), passed on.
    Fin,
    /// A reset, by either end; the other end gets one too.
    Reset,
    /// The other direction saw a reset.
    Aborted,
}

/// Copy `src` to `dst` the way of `dir`, recording every chunk.
async fn pump(
    src: &mut tokio::net::tcp::ReadHalf<'_>,
    dst: &mut tokio::net::tcp::WriteHalf<'_>,
    dir: Direction,
    rec: &Rec<'_>,
    abort_tx: &watch::Sender<bool>,
) -> End {
    let mut abort = abort_tx.subscribe();
    let mut buf = vec![0u8; CHUNK];
    let counter = match dir {
        Direction::ToServer => &rec.ctx.counters.to_upstream,
        Direction::ToClient => &rec.ctx.counters.to_client,
    };
    loop {
        let read = tokio::select! {
            r = src.read(&mut buf) => r,
            _ = raised(&mut abort) => return End::Aborted,
        };
        match read {
            Ok(0) => {
                rec.fin(dir);
                let _ = dst.shutdown().await;
                return End::Fin;
            }
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                rec.data(dir, chunk);
                counter.fetch_add(n as u64, Ordering::Relaxed);
                if let Err(e) = dst.write_all(chunk).await {
                    // The receiver is gone: it reset the connection.
                    tracing::debug!(?dir, "record: write failed: {e}");
                    rec.rst(dir.reverse());
                    let _ = abort_tx.send(true);
                    return End::Reset;
                }
            }
            Err(e) => {
                tracing::debug!(?dir, "record: read failed: {e}");
                rec.rst(dir);
                let _ = abort_tx.send(true);
                return End::Reset;
            }
        }
    }
}

/// Relay one accepted connection to the upstream, recording it.
async fn proxy_connection(
    mut client: TcpStream,
    peer: SocketAddr,
    upstream: &[SocketAddr],
    ctx: &Ctx,
    mut kill: watch::Receiver<bool>,
) {
    let listen = client.local_addr().unwrap_or(peer);
    let first = upstream.first().copied().unwrap_or(listen);
    let connected = tokio::select! {
        r = tokio::time::timeout(ctx.connect_timeout, TcpStream::connect(upstream)) => match r {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {:?}", ctx.connect_timeout)),
        },
        _ = raised(&mut kill) => Err("the proxy is stopping".to_string()),
    };
    let mut server = match connected {
        Ok(s) => s,
        Err(why) => {
            tracing::warn!("record: cannot connect to the upstream {first} for {peer}: {why}; closing the client's connection");
            ctx.counters.refused.fetch_add(1, Ordering::Relaxed);
            let ts = write::now();
            ctx.record(|w| {
                if ctx.as_seen {
                    // The proxy accepted, then reset.
                    let mut c = TcpConversation::new(peer, listen);
                    c.handshake(ts, w)?;
                    c.rst(Direction::ToClient, ts, w)
                } else {
                    // The client knocked at the printer, which refused.
                    let mut c = TcpConversation::new(peer, first);
                    c.syn(ts, w)?;
                    c.rst(Direction::ToClient, ts, w)
                }
            });
            let _ = client.set_zero_linger();
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let server_addr = server.peer_addr().unwrap_or(first);
    let convs = if ctx.as_seen {
        let local = server.local_addr().unwrap_or(server_addr);
        vec![
            TcpConversation::new(peer, listen),
            TcpConversation::new(local, server_addr),
        ]
    } else {
        vec![TcpConversation::new(peer, server_addr)]
    };
    tracing::info!("record: {peer} -> {server_addr}");
    let rec = Rec {
        ctx,
        convs: Mutex::new(convs),
    };
    rec.each(|c, ts, w| c.handshake(ts, w));
    let (abort_tx, _) = watch::channel(false);
    let reset = {
        let (mut cr, mut cw) = client.split();
        let (mut sr, mut sw) = server.split();
        let both = async {
            tokio::join!(
                pump(&mut cr, &mut sw, Direction::ToServer, &rec, &abort_tx),
                pump(&mut sr, &mut cw, Direction::ToClient, &rec, &abort_tx),
            )
        };
        tokio::select! {
            (a, b) = both => a == End::Reset || b == End::Reset,
            _ = raised(&mut kill) => {
                // Stopping: both sockets are dropped (FIN each way).
                rec.fin(Direction::ToServer);
                rec.fin(Direction::ToClient);
                false
            }
        }
    };
    if reset {
        // Pass the reset on: close with SO_LINGER 0.
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
    }
    tracing::debug!("record: {peer} -> {server_addr} done");
}

/// Resolves once the flag is up (never, if its sender is gone first).
async fn raised(flag: &mut watch::Receiver<bool>) {
    if flag.wait_for(|f| *f).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// One UDP client's relay: its own socket towards the upstream.
struct UdpRelay {
    sock: Arc<UdpSocket>,
    done: Arc<std::sync::atomic::AtomicBool>,
}

/// Relay datagrams until told to stop (or the count is reached), then give
/// the answers still coming [`REPLY_WAIT`] of quiet.
async fn udp_loop(
    listen: Arc<UdpSocket>,
    upstream: SocketAddr,
    ctx: Arc<Ctx>,
    max_clients: usize,
    count: Option<u64>,
    life: Lifecycle,
) {
    let Lifecycle {
        mut stop,
        kill,
        done,
    } = life;
    let listen_addr = listen.local_addr().unwrap_or(upstream);
    let (draining_tx, draining_rx) = watch::channel(false);
    let mut relays: HashMap<SocketAddr, UdpRelay> = HashMap::new();
    let mut tasks = JoinSet::new();
    let mut forwarded = 0u64;
    let mut buf = vec![0u8; 65_535];
    let mut warned_full = false;
    loop {
        if count.is_some_and(|n| forwarded >= n) {
            break;
        }
        let (n, client) = tokio::select! {
            _ = raised(&mut stop) => break,
            r = listen.recv_from(&mut buf) => match r {
                Ok(x) => x,
                Err(e) => {
                    // On Linux an ICMP error from a client lands here; go on.
                    tracing::debug!("record: UDP receive failed: {e}");
                    continue;
                }
            },
        };
        let payload = buf.get(..n).unwrap_or_default();
        relays.retain(|_, r| !r.done.load(Ordering::Relaxed));
        if !relays.contains_key(&client) {
            if relays.len() >= max_clients {
                if !warned_full {
                    tracing::warn!("record: {max_clients} UDP clients at once; dropping datagrams from new ones");
                    warned_full = true;
                }
                continue;
            }
            match open_udp_relay(upstream).await {
                Ok(sock) => {
                    let sock = Arc::new(sock);
                    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
                    tasks.spawn(udp_answers(
                        UdpPath {
                            sock: sock.clone(),
                            listen: listen.clone(),
                            listen_addr,
                            client,
                            upstream,
                        },
                        ctx.clone(),
                        done.clone(),
                        draining_rx.clone(),
                        kill.clone(),
                    ));
                    relays.insert(client, UdpRelay { sock, done });
                }
                Err(e) => {
                    tracing::warn!("record: cannot open a UDP socket towards {upstream}: {e}");
                    continue;
                }
            }
        }
        let Some(relay) = relays.get(&client) else {
            continue;
        };
        let ts = write::now();
        let local = relay.sock.local_addr().unwrap_or(upstream);
        ctx.record(|w| {
            if ctx.as_seen {
                write::udp(client, listen_addr, payload, ts, w)?;
                write::udp(local, upstream, payload, ts, w)
            } else {
                write::udp(client, upstream, payload, ts, w)
            }
        });
        forwarded += 1;
        ctx.counters.dgrams_up.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = relay.sock.send(payload).await {
            tracing::warn!("record: cannot forward a datagram from {client} to {upstream}: {e}");
        }
    }
    let _ = draining_tx.send(true);
    while tasks.join_next().await.is_some() {}
    if count.is_some() && !*stop.borrow() {
        let _ = done.send(true);
    }
}

/// A UDP socket connected to `upstream`, from an ephemeral port of its family.
async fn open_udp_relay(upstream: SocketAddr) -> std::io::Result<UdpSocket> {
    let any: IpAddr = match upstream {
        SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let s = UdpSocket::bind(SocketAddr::new(any, 0)).await?;
    s.connect(upstream).await?;
    Ok(s)
}

/// One client's way through the UDP relay: its upstream socket, the
/// listening socket answers go back out of, and the addresses on both sides.
struct UdpPath {
    sock: Arc<UdpSocket>,
    listen: Arc<UdpSocket>,
    listen_addr: SocketAddr,
    client: SocketAddr,
    upstream: SocketAddr,
}

/// Relay one client's answers back until it has been quiet for the idle
/// time ([`REPLY_WAIT`] once draining), or the proxy closes everything.
async fn udp_answers(
    path: UdpPath,
    ctx: Arc<Ctx>,
    done: Arc<std::sync::atomic::AtomicBool>,
    mut draining: watch::Receiver<bool>,
    mut kill: watch::Receiver<bool>,
) {
    let UdpPath {
        sock,
        listen,
        listen_addr,
        client,
        upstream,
    } = path;
    let local = sock.local_addr().unwrap_or(upstream);
    let mut buf = vec![0u8; 65_535];
    let mut last = Instant::now();
    loop {
        let idle = if *draining.borrow() {
            REPLY_WAIT
        } else {
            ctx.udp_idle
        };
        tokio::select! {
            _ = raised(&mut kill) => break,
            _ = tokio::time::sleep_until(last + idle) => break,
            _ = draining.changed(), if !*draining.borrow() => {
                // Draining now: the quiet time starts again, shorter.
                last = Instant::now();
            }
            r = sock.recv(&mut buf) => match r {
                Ok(n) => {
                    last = Instant::now();
                    let payload = buf.get(..n).unwrap_or_default();
                    let ts = write::now();
                    ctx.record(|w| {
                        if ctx.as_seen {
                            write::udp(upstream, local, payload, ts, w)?;
                            write::udp(listen_addr, client, payload, ts, w)
                        } else {
                            write::udp(upstream, client, payload, ts, w)
                        }
                    });
                    ctx.counters.dgrams_down.fetch_add(1, Ordering::Relaxed);
                    if let Err(e) = listen.send_to(payload, client).await {
                        tracing::debug!("record: cannot relay an answer to {client}: {e}");
                    }
                }
                Err(e) => {
                    // ICMP port unreachable from the upstream, and the like.
                    tracing::debug!("record: UDP relay for {client}: {e}");
                    last = Instant::now();
                }
            },
        }
    }
    done.store(true, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn upstream_uris_parse_with_their_default_ports() {
        let u = Upstream::parse("ipp://printer.local/ipp/print").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port),
            (UpstreamScheme::Ipp, "printer.local", 631)
        );
        assert_eq!(u.default_listen_port(), 8631);
        let u = Upstream::parse("snmp://public@[fe80::1]:1161").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port),
            (UpstreamScheme::Snmp, "fe80::1", 1161)
        );
        assert_eq!(u.authority(), "[fe80::1]:1161");
        assert_eq!(Upstream::parse("socket://10.0.0.7").unwrap().port, 9100);
        assert_eq!(Upstream::parse("lpd://10.0.0.7/queue").unwrap().port, 515);
        assert!(Upstream::parse("tcp://10.0.0.7").is_err());
        assert!(Upstream::parse("gopher://x").is_err());
        assert!(Upstream::parse("ipp://:631/").is_err());
        assert!(Upstream::parse("ipp://[::1/").is_err());
    }

    #[test]
    fn a_bare_port_listens_on_loopback() {
        assert_eq!(
            parse_listen("8631").unwrap(),
            "127.0.0.1:8631".parse().unwrap()
        );
        assert_eq!(parse_listen("[::1]:9").unwrap(), "[::1]:9".parse().unwrap());
        assert!(parse_listen("localhost:1").is_err());
    }
}
