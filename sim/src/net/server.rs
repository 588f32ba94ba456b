//! Accepting connections, driving the model's clock, shutting down gracefully.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::fault::quirk::{self, QuirkKind};
use crate::fault::scenario::{Action, Scenario, ScenarioRun};
use crate::fault::{ActiveFault, Fault, FaultError, FaultSource, FaultState};
use crate::ipp::IppCore;
use crate::model::{Clock, Printer, SimTime, Speed, Spool};
use crate::profile::Profile;

use super::http::serve;
use super::limits::Limits;
use super::tls;

/// Where the IPPS certificate comes from.
#[derive(Debug, Clone, Default)]
pub enum TlsSource {
    /// Make a self-signed certificate at start.
    #[default]
    SelfSigned,
    /// PEM files.
    Files {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
    /// No TLS: the port speaks plain IPP only.
    Off,
}

/// How to run a virtual printer.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The printer model.
    pub profile: Arc<Profile>,
    /// Address to bind (loopback unless told otherwise).
    pub bind: IpAddr,
    /// IPP port; 0 picks a free one.
    pub ipp_port: u16,
    /// Spool folder; `None` makes a temporary one.
    pub spool: Option<PathBuf>,
    /// Printing speed.
    pub speed: Speed,
    /// Limits.
    pub limits: Limits,
    /// IPPS certificate.
    pub tls: TlsSource,
    /// Unix time (ms) the printer is switched on at; `None` reads the OS clock once.
    pub boot_unix_ms: Option<i64>,
    /// Send IPP responses to HTTP/1.1 clients chunked rather than with a Content-Length.
    pub chunked_responses: bool,
    /// Built-in misbehaviour (negative controls for the grader).
    pub quirks: Vec<crate::ipp::quirks::Quirk>,
    /// Faults raised at start (`--fault`).
    pub faults: Vec<Fault>,
    /// Seed of every random choice a fault makes.
    pub seed: u64,
    /// A timeline of faults to play.
    pub scenario: Option<Scenario>,
    /// LPD (RFC 1179) port; `None` serves no LPD, `Some(0)` picks a free port.
    pub lpd_port: Option<u16>,
    /// AppSocket/JetDirect (raw, PJL) port; `None` serves none, `Some(0)` picks a free port.
    pub socket_port: Option<u16>,
    /// SNMP (UDP) port; `None` serves none, `Some(0)` picks a free port.
    pub snmp_port: Option<u16>,
    /// The mDNS/DNS-SD responder; `None` announces nothing.
    pub mdns: Option<MdnsSettings>,
    /// Serve IPP (and IPPS). Off only for fleets of SNMP-only printers.
    pub ipp: bool,
    /// IPP printer attributes already built from this profile, shared by
    /// the printers of a fleet until one of them changes its own.
    pub statics: Option<Arc<crate::ipp::attributes::StaticAttributes>>,
    /// A separate IPPS (TLS-only) port, as printers serve on 443; `None`
    /// serves none, `Some(0)` picks a free port.
    pub ipps_port: Option<u16>,
    /// More AppSocket ports besides `socket_port` (multi-port print servers
    /// answer on 9101 and 9102 too); 0 picks a free one.
    pub extra_socket_ports: Vec<u16>,
    /// The UDP port of a cups-browsed-style browse listener; `None` binds
    /// none. It acts on packets only while the `cups-browsed` fault is in force.
    pub browse_port: Option<u16>,
    /// Append an audit line (JSON) here for every job, administrative
    /// operation and refusal.
    pub audit_log: Option<PathBuf>,
    /// The names a self-signed certificate is made for (default: localhost
    /// and the bind address).
    pub tls_names: Option<Vec<String>>,
}

/// How the printer announces itself by mDNS/DNS-SD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnsSettings {
    /// The interface to announce on (its addresses go in the A/AAAA
    /// records); `None`: the bind address, or every non-loopback interface
    /// when the bind address is unspecified.
    pub interface: Option<String>,
    /// Announce over IPv6 too.
    pub ipv6: bool,
    /// The mDNS port (5353; another only for tests).
    pub port: u16,
}

impl Default for MdnsSettings {
    fn default() -> Self {
        MdnsSettings {
            interface: None,
            ipv6: false,
            port: crate::mdns::MDNS_PORT,
        }
    }
}

/// The addresses an mDNS announcement carries.
fn mdns_addresses(bind: IpAddr, m: &MdnsSettings) -> Vec<IpAddr> {
    if !bind.is_unspecified() && m.interface.is_none() {
        return vec![bind];
    }
    let Ok(ifs) = if_addrs::get_if_addrs() else {
        return Vec::new();
    };
    ifs.into_iter()
        .filter(|i| match &m.interface {
            Some(name) => &i.name == name,
            None => !i.is_loopback(),
        })
        .map(|i| i.ip())
        .filter(|ip| match ip {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => m.ipv6 && !v6.is_loopback(),
        })
        .collect()
}

impl ServerConfig {
    /// Defaults: loopback, port 8631, temporary spool, realtime, self-signed TLS.
    pub fn new(profile: Arc<Profile>) -> ServerConfig {
        ServerConfig {
            profile,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ipp_port: 8631,
            spool: None,
            speed: Speed::Realtime,
            limits: Limits::default(),
            tls: TlsSource::SelfSigned,
            boot_unix_ms: None,
            chunked_responses: false,
            quirks: Vec::new(),
            faults: Vec::new(),
            seed: 0,
            scenario: None,
            lpd_port: None,
            socket_port: None,
            snmp_port: None,
            mdns: None,
            ipp: true,
            statics: None,
            ipps_port: None,
            extra_socket_ports: Vec::new(),
            browse_port: None,
            audit_log: None,
            tls_names: None,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Binding the port failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The spool folder could not be made.
    #[error("cannot use spool folder: {0}")]
    Spool(std::io::Error),
    /// TLS setup failed.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The mDNS responder could not start.
    #[error("mDNS: {0}")]
    Mdns(String),
    /// The security settings cannot be served as asked.
    #[error("security: {0}")]
    Security(String),
    /// The audit log cannot be opened.
    #[error("cannot open the audit log {path}: {source}")]
    Audit {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// The certificates a printer serves, and how TLS is used.
#[derive(Debug)]
pub struct TlsState {
    /// The certificate served, if TLS is on.
    pub identity: Option<tls::TlsIdentity>,
    /// An expired certificate for the same names, made the first time the
    /// `expired-certificate` fault asks for it.
    expired: std::sync::OnceLock<Option<tls::TlsIdentity>>,
    names: Vec<String>,
    min: crate::security::MinTls,
    /// Plain HTTP on the IPP port gets `426 Upgrade Required`.
    pub required: bool,
    /// The IPP port takes TLS (same-port IPPS); off when only a separate
    /// IPPS port has TLS.
    pub on_ipp_port: bool,
}

impl TlsState {
    fn none() -> TlsState {
        TlsState {
            identity: None,
            expired: std::sync::OnceLock::new(),
            names: Vec::new(),
            min: crate::security::MinTls::Tls12,
            required: false,
            on_ipp_port: false,
        }
    }

    /// The identity to serve now, given the faults in force: `None` when
    /// TLS is off or `plaintext-only` is raised.
    pub fn current(&self, quirks: &[crate::ipp::quirks::Quirk]) -> Option<&tls::TlsIdentity> {
        use crate::fault::quirk::{is_raised, QuirkKind};
        let id = self.identity.as_ref()?;
        if is_raised(quirks, QuirkKind::PlaintextOnly) {
            return None;
        }
        if is_raised(quirks, QuirkKind::ExpiredCertificate) {
            let expired = self.expired.get_or_init(|| {
                tls::self_signed_identity(&self.names, tls::Validity::Expired, self.min)
                    .map_err(|e| tracing::error!("cannot make the expired certificate: {e}"))
                    .ok()
            });
            return expired.as_ref().or(Some(id));
        }
        Some(id)
    }
}

/// State shared by every connection of one printer.
#[derive(Debug)]
pub struct Shared {
    printer: Mutex<Printer>,
    /// The IPP core.
    pub core: IppCore,
    /// The spool.
    pub spool: Spool,
    /// Limits.
    pub limits: Limits,
    started: Instant,
    wake: Notify,
    /// Send responses chunked to HTTP/1.1 clients.
    pub chunked_responses: bool,
    /// Faults in force.
    pub faults: FaultState,
    scenario: Mutex<Option<ScenarioRun>>,
    /// The printer's PJL defaults (`@PJL DEFAULT`), made on first use.
    pub pjl_defaults: Mutex<Option<Arc<Mutex<crate::pjl::vars::Variables>>>>,
    /// Authentication and authorisation of IPP requests.
    pub gate: crate::security::Gate,
    /// The audit log, if one is kept.
    pub audit: Option<crate::security::audit::AuditLog>,
    /// TLS.
    pub tls: TlsState,
    /// Turns true when the printer shuts down.
    shutdown_rx: watch::Receiver<bool>,
    /// The sender of `shutdown_rx` for a printer with no [`RunningServer`].
    _shutdown_tx: Option<watch::Sender<bool>>,
}

impl Shared {
    /// Write an audit event, if an audit log is kept.
    pub fn audit(&self, e: &crate::security::audit::AuditEvent) {
        if let Some(log) = &self.audit {
            log.record(e);
        }
    }

    /// A receiver that turns true when the printer shuts down.
    pub fn shutdown_rx(&self) -> watch::Receiver<bool> {
        self.shutdown_rx.clone()
    }

    /// Whether the `anonymous-admin` fault is in force.
    pub fn anonymous_admin(&self) -> bool {
        crate::fault::quirk::is_raised(
            &self.faults.quirks(),
            crate::fault::quirk::QuirkKind::AnonymousAdmin,
        )
    }

    /// Whether plain HTTP must be answered `426 Upgrade Required` now.
    pub fn plain_refused(&self) -> bool {
        self.tls.required && self.tls.current(&self.faults.quirks()).is_some()
    }
}

/// A secret for Digest nonces: different at every start.
fn nonce_secret(seed: u64) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(t.to_be_bytes());
    h.update(std::process::id().to_be_bytes());
    h.update(format!("{:p}", &t).as_bytes());
    h.finalize().into()
}

impl Shared {
    /// Simulated time now: milliseconds since the printer started.
    pub fn now(&self) -> SimTime {
        SimTime(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// Lock the printer model. A panic elsewhere never poisons it for good.
    pub fn printer(&self) -> MutexGuard<'_, Printer> {
        match self.printer.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Tell the clock driver that the model may want waking sooner.
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    fn scenario(&self) -> MutexGuard<'_, Option<ScenarioRun>> {
        match self.scenario.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A request of `op` (raw code) is about to be handled: scenario steps
    /// triggered by it fire first, so a fault they raise applies to it.
    pub fn on_request(&self, op: u16, p: &mut Printer, now: SimTime) {
        let actions = match self.scenario().as_mut() {
            Some(run) => run.on_request(crate::ipp::Operation::from_raw(op), p, now),
            None => return,
        };
        if !actions.is_empty() {
            self.apply(actions, p, now);
            self.settle(p, now);
            self.poke();
        }
    }

    /// Move the model and the faults on to `now`: pages print, scenario steps
    /// fire, timed faults end.
    pub fn tick(&self, p: &mut Printer, now: SimTime) {
        p.handle_timeout(now);
        self.settle(p, now);
    }

    /// Fire what is due until nothing more is (a page break, a fault ending,
    /// a step whose trigger another step caused).
    fn settle(&self, p: &mut Printer, now: SimTime) {
        for _ in 0..64 {
            let actions = self
                .scenario()
                .as_mut()
                .map(|run| run.poll(p, now))
                .unwrap_or_default();
            let expired = self.faults.expire(p, now);
            let had_break = p.page_break_hit().is_some();
            if actions.is_empty() && expired.is_empty() && !had_break {
                return;
            }
            self.apply(actions, p, now);
            for f in expired {
                tracing::info!(fault = %f.fault, "fault ended");
            }
            p.release_page_break(now);
        }
    }

    fn apply(&self, actions: Vec<Action>, p: &mut Printer, now: SimTime) {
        for a in actions {
            match a {
                Action::Raise { fault, hold } => {
                    tracing::info!(%fault, "scenario raises");
                    let until = hold.map(|d| now.after(d));
                    self.faults
                        .raise(fault, FaultSource::Scenario, p, now, until);
                }
                Action::Clear(sel) => {
                    tracing::info!(fault = %sel, "scenario clears");
                    if let Err(e) = self.faults.clear(&sel, p, now) {
                        tracing::info!("scenario clear: {e}");
                    }
                }
            }
        }
    }

    /// When the clock driver must next wake: a page, a fault's end, a step.
    fn next_deadline(&self) -> Option<SimTime> {
        let model = self.printer().poll_timeout();
        let fault = self.faults.next_deadline();
        let step = self
            .scenario()
            .as_ref()
            .and_then(ScenarioRun::next_deadline);
        [model, fault, step].into_iter().flatten().min()
    }
}

/// A handle on a running printer's model, for tests and other front ends.
#[derive(Clone, Debug)]
pub struct PrinterHandle(pub Arc<Shared>);

impl PrinterHandle {
    /// Run `f` on the model at the current time, then wake the clock driver.
    pub fn with<R>(&self, f: impl FnOnce(&mut Printer, SimTime) -> R) -> R {
        let now = self.0.now();
        let r = {
            let mut p = self.0.printer();
            p.handle_timeout(now);
            f(&mut p, now)
        };
        self.0.poke();
        r
    }

    /// Raise a fault now, from `source`; it ends by itself after `hold`.
    pub fn raise_fault(
        &self,
        fault: Fault,
        source: FaultSource,
        hold: Option<Duration>,
    ) -> ActiveFault {
        let r = self.with(|p, now| {
            let e = self
                .0
                .faults
                .raise(fault, source, p, now, hold.map(|d| now.after(d)));
            self.0.settle(p, now);
            e
        });
        tracing::info!(fault = %r.fault, id = r.id, "fault raised");
        r
    }

    /// Clear the faults matching `selector` (an id, a name, a spec).
    pub fn clear_fault(&self, selector: &str) -> Result<Vec<ActiveFault>, FaultError> {
        self.with(|p, now| {
            let r = self.0.faults.clear(selector, p, now);
            self.0.settle(p, now);
            r
        })
    }

    /// Clear every fault.
    pub fn reset_faults(&self) -> Vec<ActiveFault> {
        self.with(|p, now| {
            let r = self.0.faults.reset(p, now);
            self.0.settle(p, now);
            r
        })
    }

    /// Serve HTTP (plain, no TLS sniffing) on any byte stream, such as one half
    /// of `tokio::io::duplex`: the fuzzer and in-memory tests use it.
    pub async fn serve_io<S>(&self, stream: S)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (_tx, rx) = watch::channel(false);
        let peer = SocketAddr::from(([127, 0, 0, 1], 0));
        serve_http_conn(TokioIo::new(stream), peer, None, false, self.0.clone(), rx).await;
    }

    /// A printer with no listener, for in-memory use with [`PrinterHandle::serve_io`].
    pub fn in_memory(
        profile: Arc<Profile>,
        speed: Speed,
        limits: Limits,
    ) -> std::io::Result<PrinterHandle> {
        let printer = Printer::new(profile.clone(), Clock::new(1_700_000_000_000), speed);
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        Ok(PrinterHandle(Arc::new(Shared {
            printer: Mutex::new(printer),
            core: IppCore::new(&profile),
            spool: Spool::temporary()?,
            limits,
            started: Instant::now(),
            wake: Notify::new(),
            chunked_responses: false,
            faults: FaultState::new(0),
            scenario: Mutex::new(None),
            pjl_defaults: Mutex::new(None),
            gate: crate::security::Gate::new(profile.security.clone(), nonce_secret(0)),
            audit: None,
            tls: TlsState::none(),
            shutdown_rx,
            _shutdown_tx: Some(shutdown_tx),
        })))
    }

    /// The spool folder.
    pub fn spool_dir(&self) -> PathBuf {
        self.0.spool.dir().to_path_buf()
    }
}

/// A running virtual printer.
pub struct RunningServer {
    /// The IPP listener's address.
    pub ipp_addr: SocketAddr,
    /// The LPD listener's address, if LPD is served.
    pub lpd_addr: Option<SocketAddr>,
    /// The AppSocket listener's address, if port 9100 is served.
    pub socket_addr: Option<SocketAddr>,
    /// Every AppSocket listener's address (the first is `socket_addr`).
    pub socket_addrs: Vec<SocketAddr>,
    /// The separate IPPS port's address, if one is served.
    pub ipps_addr: Option<SocketAddr>,
    /// The cups-browsed-style UDP listener's address, if one is bound.
    pub browse_addr: Option<SocketAddr>,
    /// The SNMP agent's address, if SNMP is served.
    pub snmp_addr: Option<SocketAddr>,
    /// The SNMP agent, if SNMP is served.
    pub snmp_agent: Option<super::snmp::AgentHandle>,
    /// Whether IPP is served (a fleet's SNMP-only printers do not).
    pub ipp_served: bool,
    /// The name the printer announces by mDNS (`Instance._ipp._tcp.local`),
    /// if it does.
    pub mdns_instance: Option<String>,
    /// Whether IPPS is served on the same port.
    pub tls: bool,
    /// The self-signed certificate, PEM, when one was made.
    pub certificate_pem: Option<String>,
    /// The printer.
    pub printer: PrinterHandle,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// The LPD queue the URIs name: the profile's first (`lp` if it has none).
    pub fn lpd_queue(&self) -> String {
        self.printer
            .0
            .printer()
            .profile
            .lpd
            .queues
            .first()
            .cloned()
            .unwrap_or_else(|| "lp".into())
    }

    /// The URIs served, one per scheme.
    pub fn uris(&self) -> Vec<String> {
        let host = match self.ipp_addr.ip() {
            IpAddr::V6(a) => format!("[{a}]"),
            IpAddr::V4(a) => a.to_string(),
        };
        let mut v = Vec::new();
        if self.ipp_served {
            v.push(format!(
                "ipp://{host}:{}{}",
                self.ipp_addr.port(),
                crate::ipp::PRINTER_PATH
            ));
        }
        if self.tls {
            v.push(format!(
                "ipps://{host}:{}{}",
                self.ipp_addr.port(),
                crate::ipp::PRINTER_PATH
            ));
        }
        if let Some(a) = self.lpd_addr {
            v.push(format!("lpd://{host}:{}/{}", a.port(), self.lpd_queue()));
        }
        if let Some(a) = self.ipps_addr {
            v.push(format!(
                "ipps://{host}:{}{}",
                a.port(),
                crate::ipp::PRINTER_PATH
            ));
        }
        for a in &self.socket_addrs {
            v.push(format!("socket://{host}:{}", a.port()));
        }
        if let Some(a) = self.snmp_addr {
            v.push(format!("snmp://{host}:{}", a.port()));
        }
        if let Some(a) = self.browse_addr {
            v.push(format!("browse: udp://{host}:{}", a.port()));
        }
        v
    }

    /// Stop accepting, let requests in flight finish (up to `grace`), record
    /// jobs that were cut short as aborted, and write the spool manifest.
    pub async fn shutdown(self, grace: Duration) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(grace, async {
            for t in self.tasks {
                let _ = t.await;
            }
        })
        .await;
        let shared = &self.printer.0;
        let now = shared.now();
        let mut p = shared.printer();
        p.shut_down(now);
        let _ = write_manifest(&p, shared.spool.dir());
    }
}

fn write_manifest(p: &Printer, dir: &std::path::Path) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut s = String::from("job-id\tstate\tuser\tname\tdocument\tbytes\tsha256\n");
    for j in p.jobs() {
        if j.documents.is_empty() {
            let _ = writeln!(
                s,
                "{}\t{}\t{}\t{}\t-\t0\t-",
                j.id,
                j.state.keyword(),
                j.spec.user,
                j.spec.name
            );
        }
        for d in &j.documents {
            let _ = writeln!(
                s,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                j.id,
                j.state.keyword(),
                j.spec.user,
                j.spec.name,
                d.path.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
                d.bytes,
                d.sha256
            );
        }
    }
    std::fs::write(dir.join("manifest.tsv"), s)
}

/// Bind a UDP socket; the address it got.
async fn bind_udp(addr: SocketAddr) -> Result<(tokio::net::UdpSocket, SocketAddr), ServerError> {
    let sock = tokio::net::UdpSocket::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let a = sock
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    Ok((sock, a))
}

/// Bind with a deep accept queue (the kernel caps it at `somaxconn`), so a
/// burst of thousands of connections waits in the queue instead of timing out.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    bind_port(addr)?.listen(16_384)
}

/// Start a virtual printer.
pub async fn start(cfg: ServerConfig) -> Result<RunningServer, ServerError> {
    let addr = SocketAddr::new(cfg.bind, cfg.ipp_port);
    let (listener, local) = if cfg.ipp {
        let listener = listen(addr).map_err(|source| ServerError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { addr, source })?;
        (Some(listener), local)
    } else {
        (None, SocketAddr::new(cfg.bind, 0))
    };
    let spool = match &cfg.spool {
        Some(d) => Spool::in_dir(d),
        None => Spool::temporary(),
    }
    .map_err(ServerError::Spool)?;
    let sec = &cfg.profile.security;
    let ipp_port_tls = sec.tls.mode != crate::security::TlsMode::Off;
    let tls_on =
        cfg.ipp && !matches!(cfg.tls, TlsSource::Off) && (ipp_port_tls || cfg.ipps_port.is_some());
    if cfg.ipp && sec.tls.mode == crate::security::TlsMode::Required && !tls_on {
        return Err(ServerError::Security(
            "[security.tls] mode = \"required\" needs TLS, but TLS is off (--no-tls)".into(),
        ));
    }
    if cfg.ipps_port.is_some() && !tls_on {
        return Err(ServerError::Security(
            "an IPPS port needs TLS, but TLS is off".into(),
        ));
    }
    let names = cfg.tls_names.clone().unwrap_or_else(|| {
        let mut names = vec!["localhost".to_string(), local.ip().to_string()];
        if local.ip().is_unspecified() {
            names.push("127.0.0.1".into());
        }
        names
    });
    let min = sec.tls.min_version;
    let identity = match &cfg.tls {
        _ if !tls_on => None,
        TlsSource::Off => None,
        TlsSource::Files { cert, key } => Some(tls::from_files_identity(cert, key, min)?),
        TlsSource::SelfSigned => Some(tls::self_signed_identity(
            &names,
            tls::Validity::Current,
            min,
        )?),
    };
    let pem = identity.as_ref().and_then(|i| i.pem.clone());
    let tls_served = identity.is_some() && ipp_port_tls;
    let tls_state = TlsState {
        identity,
        expired: std::sync::OnceLock::new(),
        names,
        min,
        required: sec.tls.mode == crate::security::TlsMode::Required,
        on_ipp_port: ipp_port_tls,
    };
    let audit = match &cfg.audit_log {
        None => None,
        Some(path) => Some(
            crate::security::audit::AuditLog::open(path).map_err(|source| ServerError::Audit {
                path: path.display().to_string(),
                source,
            })?,
        ),
    };
    let boot = cfg.boot_unix_ms.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
            .unwrap_or(0)
    });
    let printer = Printer::new(cfg.profile.clone(), Clock::new(boot), cfg.speed);
    let (tx, rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        printer: Mutex::new(printer),
        core: match &cfg.statics {
            Some(s) => IppCore::with_statics(s.clone()),
            None => IppCore::new(&cfg.profile),
        },
        spool,
        limits: cfg.limits.clone(),
        started: Instant::now(),
        wake: Notify::new(),
        chunked_responses: cfg.chunked_responses,
        faults: FaultState::new(cfg.seed),
        scenario: Mutex::new(None),
        pjl_defaults: Mutex::new(None),
        gate: crate::security::Gate::new(cfg.profile.security.clone(), nonce_secret(cfg.seed)),
        audit,
        tls: tls_state,
        shutdown_rx: rx.clone(),
        _shutdown_tx: None,
    });
    {
        let mut p = shared.printer();
        if let Some(sc) = &cfg.scenario {
            for f in &sc.initial {
                shared.faults.raise(
                    f.clone(),
                    FaultSource::Scenario,
                    &mut p,
                    SimTime::ZERO,
                    None,
                );
            }
            *shared.scenario() = Some(ScenarioRun::new(sc, cfg.seed, &mut p));
        }
        let initial = cfg
            .quirks
            .iter()
            .map(|q| Fault::Quirk(*q))
            .chain(cfg.faults.iter().cloned());
        for f in initial {
            shared
                .faults
                .raise(f, FaultSource::Cli, &mut p, SimTime::ZERO, None);
        }
    }
    let mut extra = Vec::new();
    let socket_ports = cfg
        .socket_port
        .into_iter()
        .chain(cfg.extra_socket_ports.iter().copied())
        .map(|p| (Some(p), Service::Socket));
    let ipps = cfg
        .ipps_port
        .map(|p| (Some(p), Service::Ipp { tls_only: true }));
    for (port, service) in [(cfg.lpd_port, Service::Lpd)]
        .into_iter()
        .chain(socket_ports)
        .chain(ipps)
    {
        let Some(port) = port else { continue };
        let addr = SocketAddr::new(cfg.bind, port);
        let l = listen(addr).map_err(|source| ServerError::Bind { addr, source })?;
        let a = l
            .local_addr()
            .map_err(|source| ServerError::Bind { addr, source })?;
        extra.push((l, a, service));
    }
    let mut tasks = vec![tokio::spawn(drive_clock(shared.clone(), rx.clone()))];
    if let Some(listener) = listener {
        tasks.push(tokio::spawn(run(
            listener,
            shared.clone(),
            Service::Ipp { tls_only: false },
            rx.clone(),
        )));
    }
    let mut lpd_addr = None;
    let mut socket_addrs = Vec::new();
    let mut ipps_addr = None;
    for (l, a, service) in extra {
        match service {
            Service::Lpd => lpd_addr = Some(a),
            Service::Socket => socket_addrs.push(a),
            Service::Ipp { .. } => ipps_addr = Some(a),
        }
        tasks.push(tokio::spawn(run(l, shared.clone(), service, rx.clone())));
    }
    let socket_addr = socket_addrs.first().copied();
    let browse_addr = match cfg.browse_port {
        None => None,
        Some(port) => {
            let (sock, a) = bind_udp(SocketAddr::new(cfg.bind, port)).await?;
            tasks.push(tokio::spawn(super::browse::serve_browse(
                sock,
                shared.clone(),
                rx.clone(),
            )));
            Some(a)
        }
    };
    let (snmp_addr, snmp_agent) = match cfg.snmp_port {
        None => (None, None),
        Some(port) => {
            let (sock, a) = bind_udp(SocketAddr::new(cfg.bind, port)).await?;
            let queue = cfg
                .profile
                .lpd
                .queues
                .first()
                .cloned()
                .unwrap_or_else(|| "lp".into());
            let channels = crate::snmp::printer_mib::Channels {
                ipp: cfg.ipp.then_some(local.port()),
                ipps: tls_served,
                lpd: lpd_addr.map(|l| (l.port(), queue)),
                socket: socket_addr.map(|s| s.port()),
                host: match cfg.bind {
                    ip if ip.is_unspecified() => format!("{}.local", cfg.profile.identity.name),
                    IpAddr::V6(a) => format!("[{a}]"),
                    IpAddr::V4(a) => a.to_string(),
                },
            };
            let agent = super::snmp::AgentHandle(Arc::new(Mutex::new(crate::snmp::Agent::new(
                crate::snmp::AgentConfig::from_profile(&cfg.profile, channels),
            ))));
            tasks.push(tokio::spawn(super::snmp::serve_snmp(
                sock,
                shared.clone(),
                agent.clone(),
                rx.clone(),
            )));
            (Some(a), Some(agent))
        }
    };
    let mdns_instance = match &cfg.mdns {
        None => None,
        Some(m) => {
            let queue = cfg
                .profile
                .lpd
                .queues
                .first()
                .cloned()
                .unwrap_or_else(|| "lp".into());
            let mut services = crate::mdns::RunningServices::none();
            if cfg.ipp {
                services = services.with_ipp(local.port(), tls_served);
            }
            if let Some(a) = lpd_addr {
                services = services.with_lpd(a.port(), &queue);
            }
            if let Some(a) = socket_addr {
                services = services.with_appsocket(a.port());
            }
            let addrs = mdns_addresses(cfg.bind, m);
            if addrs.is_empty() {
                return Err(ServerError::Mdns(format!(
                    "no address to announce on {}",
                    m.interface.as_deref().unwrap_or("any interface")
                )));
            }
            let ann = crate::mdns::Announcement::from_profile(
                &cfg.profile,
                &services,
                &cfg.profile.identity.name,
                addrs,
            )
            .map_err(|e| ServerError::Mdns(e.to_string()))?;
            let instance = ann.instance.clone();
            let responder = crate::mdns::Responder::new(
                ann,
                crate::mdns::ResponderConfig {
                    seed: cfg.seed,
                    quirks: crate::mdns::quirks_from_active(&shared.faults.quirks()),
                    ..Default::default()
                },
                SimTime::ZERO,
            );
            let interface = match (&m.interface, cfg.bind) {
                (Some(name), _) => Some(super::mdns::MdnsInterface::Name(name.clone())),
                (None, IpAddr::V4(v4)) if !v4.is_unspecified() => {
                    Some(super::mdns::MdnsInterface::Addr(v4))
                }
                _ => None,
            };
            let net = super::mdns::MdnsNetConfig {
                interface,
                ipv4: true,
                ipv6: m.ipv6,
                port: m.port,
            };
            let datagrams = (
                shared.faults.datagram_faults(),
                shared.faults.next_connection_rng(),
            );
            let faults = shared.clone();
            let source: super::mdns::QuirkSource =
                Arc::new(move || crate::mdns::quirks_from_active(&faults.faults.quirks()));
            let rx = rx.clone();
            tasks.push(tokio::spawn(async move {
                if let Err(e) =
                    super::mdns::serve_mdns_with(net, responder, rx, Some(source), Some(datagrams))
                        .await
                {
                    tracing::error!("mDNS responder: {e}");
                }
            }));
            Some(instance)
        }
    };
    Ok(RunningServer {
        ipp_addr: local,
        lpd_addr,
        socket_addr,
        socket_addrs,
        ipps_addr,
        browse_addr,
        snmp_addr,
        snmp_agent,
        mdns_instance,
        ipp_served: cfg.ipp,
        tls: tls_served,
        certificate_pem: pem,
        printer: PrinterHandle(shared),
        shutdown: tx,
        tasks,
    })
}

/// While the printer is down, how often the accept loop looks whether it is up
/// again (besides at every change of the fault set).
const DOWN_POLL: Duration = Duration::from_millis(50);

/// What a listener serves.
#[derive(Clone)]
enum Service {
    /// IPP over HTTP, and IPPS on the same port when the printer has TLS;
    /// TLS only (a separate IPPS port) with `tls_only`.
    Ipp {
        /// Plain HTTP is not served on this port.
        tls_only: bool,
    },
    /// LPD (RFC 1179).
    Lpd,
    /// AppSocket/JetDirect: raw print data and PJL.
    Socket,
}

async fn run(
    listener: TcpListener,
    shared: Arc<Shared>,
    service: Service,
    mut shutdown: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(shared.limits.max_connections.max(1)));
    let mut conns = JoinSet::new();
    let addr = listener.local_addr().ok();
    let mut listener = Some(listener);
    // While the printer is down (a `down` toxic, a power cycle) its port stays
    // bound without listening: connections are refused, as toxiproxy's `down`
    // does, and no other socket can take the port meanwhile.
    let mut reserved: Option<tokio::net::TcpSocket> = None;
    let mut rebind_failed = false;
    let mut faults = shared.faults.toxics();
    // Connections of this listener still open (for `socket-one-connection`).
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    loop {
        let down = shared.faults.is_down();
        if down && listener.is_some() {
            listener = None;
            tracing::info!("printer down: refusing connections");
            reserved = addr.and_then(|a| match bind_port(a) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!("cannot hold {a} while down: {e}");
                    None
                }
            });
        } else if !down && listener.is_none() {
            let bound = match (reserved.take(), addr) {
                (Some(s), _) => s.listen(16_384),
                (None, Some(a)) => listen(a),
                (None, None) => Err(std::io::Error::other("the listening address is unknown")),
            };
            match bound {
                Ok(l) => {
                    tracing::info!("printer up: accepting connections");
                    listener = Some(l);
                    rebind_failed = false;
                }
                Err(e) => {
                    if !rebind_failed {
                        tracing::warn!("cannot listen again on {addr:?}: {e}; retrying");
                    }
                    rebind_failed = true;
                }
            }
        }
        let Some(l) = listener.as_ref() else {
            tokio::select! {
                _ = tokio::time::sleep(DOWN_POLL) => {}
                _ = fault_change(&mut faults) => {}
                _ = shutdown.changed() => break,
            }
            continue;
        };
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = fault_change(&mut faults) => continue,
            _ = shutdown.changed() => break,
        };
        let accepted = tokio::select! {
            a = l.accept() => a,
            _ = fault_change(&mut faults) => continue,
            _ = shutdown.changed() => break,
        };
        // Reap finished connection tasks so the set does not grow.
        while conns.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                // Out of file descriptors and the like: back off briefly.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let others = open.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let still_open = OpenConnection(open.clone());
        if others > 0
            && matches!(service, Service::Socket)
            && quirk::is_raised(&shared.faults.quirks(), QuirkKind::SocketOneConnection)
        {
            tracing::info!(%peer, others, "appsocket: connection reset, one at a time (quirk socket-one-connection)");
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            drop(stream);
            drop(still_open);
            continue;
        }
        let shared = shared.clone();
        let service = service.clone();
        let sd = shutdown.clone();
        conns.spawn(async move {
            serve_connection(stream, peer, shared, service, sd, still_open).await;
            drop(permit);
        });
    }
    drop(listener);
    drop(reserved);
    // Let connections finish what they are doing.
    while conns.join_next().await.is_some() {}
}

/// One open connection of a listener; counts down when dropped.
struct OpenConnection(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Bind `addr` (with `SO_REUSEADDR`) without listening: the port is held, and
/// connections to it are refused until the socket listens.
fn bind_port(addr: SocketAddr) -> std::io::Result<tokio::net::TcpSocket> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(socket)
}

/// Wait until `rx` changes; never returns if it cannot change any more.
async fn fault_change<T>(rx: &mut watch::Receiver<T>) {
    if rx.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    service: Service,
    shutdown: watch::Receiver<bool>,
    still_open: OpenConnection,
) {
    let mut power = shared.faults.power_cycles();
    let mut faults = shared.faults.toxics();
    if shared.faults.is_down() {
        // Accepted just as the printer went down.
        return;
    }
    let local = stream.local_addr().ok();
    // Transport toxics act on the bytes of the socket, TLS records included.
    let mut io = crate::fault::toxic_stream::ToxicStream::new(
        stream,
        shared.faults.toxics(),
        shared.faults.next_connection_rng(),
    );
    let reset = io.reset_switch();
    let conn_shared = shared.clone();
    let served = async move {
        let shared = conn_shared;
        let acl = match service {
            Service::Ipp { .. } => None,
            Service::Lpd => Some(("lpd", &shared.gate.spec.access.lpd)),
            Service::Socket => Some(("socket", &shared.gate.spec.access.socket)),
        };
        if let Some((name, acl)) = acl {
            if !acl.allows(peer.ip()) {
                tracing::info!(%peer, "{name}: refused by the access list");
                let mut e = crate::security::audit::AuditEvent::new(name, peer, "refused");
                e.outcome = "refused".into();
                e.detail = format!("{} is not in the {name} access list", peer.ip());
                shared.audit(&e);
                return;
            }
        }
        let tls_only = match service {
            Service::Ipp { tls_only } => tls_only,
            Service::Lpd => {
                return serve_raw(RawService::Lpd, io, peer, shared, shutdown, still_open).await
            }
            Service::Socket => {
                return serve_raw(RawService::Socket, io, peer, shared, shutdown, still_open).await
            }
        };
        let idle = shared.limits.idle_timeout;
        let Some(raw) = io.get_ref() else { return };
        // Same-port TLS: a TLS ClientHello starts with 0x16 (handshake record).
        // Peek at the socket itself, so the byte stays for the toxic stream.
        let mut first = [0u8; 1];
        let is_tls = match tokio::time::timeout(idle, raw.peek(&mut first)).await {
            Ok(Ok(1)) => first[0] == 0x16,
            Ok(_) => return,
            Err(_) => {
                tracing::debug!(%peer, "closed: idle before the first byte");
                return;
            }
        };
        if is_tls && !tls_only && !shared.tls.on_ipp_port {
            tracing::debug!(%peer, "TLS ClientHello on the plain IPP port");
            return;
        }
        if is_tls {
            let quirks = shared.faults.quirks();
            let Some(identity) = shared.tls.current(&quirks).cloned() else {
                tracing::debug!(%peer, "TLS ClientHello on a plain-only port");
                return;
            };
            if quirk::is_raised(&quirks, QuirkKind::TlsLegacy) {
                let kind = match io.get_ref() {
                    Some(raw) => peek_hello(raw, idle).await,
                    None => return,
                };
                if let crate::security::legacy_tls::HelloKind::Legacy(hello) = kind {
                    legacy_flight(io, &hello, &identity, peer).await;
                    return;
                }
            }
            accept_tls(io, identity, peer, local, shared, shutdown, b"").await;
        } else if tls_only {
            tracing::debug!(%peer, "plain bytes on the IPPS port");
        } else {
            serve_http_conn(TokioIo::new(io), peer, local, false, shared, shutdown).await;
        }
    };
    tokio::pin!(served);
    loop {
        tokio::select! {
            // A power cycle also brings the printer down: look at it first, so
            // that its connections are reset rather than closed.
            biased;
            () = fault_change(&mut power) => {
                // A power cycle: the connection dies with the printer, with a
                // reset, as when a real printer's network stack goes away.
                reset.trip();
                tracing::debug!(%peer, "power cycle: connection reset");
                return;
            }
            () = fault_change(&mut faults) => {
                if shared.faults.is_down() {
                    tracing::debug!(%peer, "printer down: connection closed");
                    return;
                }
                // Otherwise `served` is polled again, and the toxic stream
                // takes in the new toxics even on an idle connection.
            }
            () = &mut served => return,
        }
    }
}

async fn serve_http_conn<I>(
    io: I,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    tls: bool,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    // HTTP-level quirks in force as the connection starts need a front end
    // that hyper cannot be (HTTP/1.0 only, a lying Content-Length).
    if let Some(dialect) = super::http10::Dialect::for_quirks(&shared.faults.quirks()) {
        let io = TokioIo::new(io);
        super::http10::serve_conn(io, dialect, peer, local, tls, shared, shutdown).await;
        return;
    }
    let idle = shared.limits.idle_timeout;
    let svc_shared = shared.clone();
    let svc = hyper::service::service_fn(move |req| {
        let s = svc_shared.clone();
        async move { Ok::<_, std::convert::Infallible>(serve(req, s, peer, local, tls).await) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(idle)
        .keep_alive(true)
        .max_buf_size(shared.limits.max_request_bytes.max(8192))
        .serve_connection(io, svc)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r { tracing::debug!(%peer, "connection ended: {e}"); }
        }
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Look at a ClientHello without taking it off the socket.
async fn peek_hello(raw: &TcpStream, idle: Duration) -> crate::security::legacy_tls::HelloKind {
    use crate::security::legacy_tls::{classify, HelloKind, MAX_HELLO};
    let mut buf = vec![0u8; MAX_HELLO];
    let deadline = Instant::now() + idle;
    loop {
        let n = match tokio::time::timeout_at(deadline, raw.peek(&mut buf)).await {
            Ok(Ok(n)) => n,
            _ => return HelloKind::NotHello,
        };
        match classify(&buf[..n]) {
            HelloKind::Incomplete if n > 0 => {
                // The rest of the record is on its way: look again shortly.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            HelloKind::Incomplete => return HelloKind::NotHello,
            k => return k,
        }
    }
}

/// Answer a TLS 1.0/1.1 ClientHello as an old printer would (the
/// `tls-legacy` fault), then close once the client gives up.
async fn legacy_flight<S>(
    mut io: S,
    hello: &crate::security::legacy_tls::LegacyHello,
    identity: &tls::TlsIdentity,
    peer: SocketAddr,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use sha2::{Digest, Sha256};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let random: [u8; 32] = Sha256::digest(format!("{peer}{:?}", Instant::now())).into();
    let flight = crate::security::legacy_tls::server_flight(hello, &identity.cert_der, random);
    tracing::info!(%peer, version = hello.version, "TLS 1.0/1.1 ClientHello answered (fault tls-legacy)");
    if io.write_all(&flight).await.is_err() {
        return;
    }
    let _ = io.flush().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while matches!(io.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// The answer to the `OPTIONS *` that asked for an upgrade, sent once TLS
/// is up: RFC 2817 §3.3 "the server MUST continue with the response to the
/// original request".
const UPGRADED_OPTIONS_ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\nAllow: GET, HEAD, OPTIONS, POST\r\nContent-Length: 0\r\n\r\n";

/// Take a TLS handshake on `io` with `identity`, send `preface` (the
/// answer still owed after an upgrade), then serve IPP over it.
async fn accept_tls<S>(
    io: S,
    identity: tls::TlsIdentity,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    preface: &'static [u8],
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use tokio::io::AsyncWriteExt;
    let idle = shared.limits.idle_timeout;
    let acceptor = tokio_rustls::TlsAcceptor::from(identity.config);
    match tokio::time::timeout(idle, acceptor.accept(io)).await {
        Ok(Ok(mut s)) => {
            if !preface.is_empty() {
                if let Err(e) = s.write_all(preface).await.and(s.flush().await) {
                    tracing::debug!(%peer, "cannot answer the upgraded request: {e}");
                    return;
                }
            }
            serve_http_conn(TokioIo::new(s), peer, local, true, shared, shutdown).await
        }
        Ok(Err(e)) => {
            tracing::debug!(%peer, "TLS handshake failed: {e}");
            audit_handshake(&shared, peer, format!("TLS handshake failed: {e}"));
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            audit_handshake(&shared, peer, "TLS handshake timed out".into());
        }
    }
}

/// A TLS handshake that did not complete, in the audit log.
fn audit_handshake(shared: &Shared, peer: SocketAddr, detail: String) {
    let mut e = crate::security::audit::AuditEvent::new("ipps", peer, "refused");
    e.tls = true;
    e.outcome = "handshake-failed".into();
    e.detail = detail;
    shared.audit(&e);
}

/// After `101 Switching Protocols` (RFC 2817): the same connection goes on in TLS.
pub(super) fn upgrade_to_tls(
    on_upgrade: hyper::upgrade::OnUpgrade,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    shared: Arc<Shared>,
) {
    let Some(identity) = shared.tls.current(&shared.faults.quirks()).cloned() else {
        return;
    };
    let shutdown = shared.shutdown_rx();
    let task: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> =
        Box::pin(async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    tracing::debug!(%peer, "HTTP upgraded to TLS (RFC 2817)");
                    accept_tls(
                        TokioIo::new(upgraded),
                        identity,
                        peer,
                        local,
                        shared,
                        shutdown,
                        UPGRADED_OPTIONS_ANSWER,
                    )
                    .await;
                }
                Err(e) => tracing::debug!(%peer, "HTTP upgrade failed: {e}"),
            }
        });
    tokio::spawn(task);
}

/// The raw-TCP front ends (no HTTP).
#[derive(Clone, Copy, Debug)]
enum RawService {
    Lpd,
    Socket,
}

/// Hand a connection to a raw-TCP front end.
async fn serve_raw(
    service: RawService,
    mut io: crate::fault::toxic_stream::ToxicStream<TcpStream>,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    still_open: OpenConnection,
) {
    tracing::debug!(%peer, ?service, "connection");
    match service {
        RawService::Lpd => {
            super::lpd::serve_lpd(io, peer, shared, shutdown).await;
            drop(still_open);
        }
        RawService::Socket => {
            let reset = io.reset_switch();
            let ending = super::appsocket::serve_socket(&mut io, peer, shared, shutdown).await;
            if ending == super::appsocket::Ending::Reset {
                // Dropping the stream now sends the RST.
                reset.trip();
            }
            // No longer counted as open before the peer can see the close: a
            // client that connects again once it has seen it finds the
            // printer free.
            drop(still_open);
            drop(io);
        }
    }
}

/// Move the model's clock: wake it when its next event is due or when poked.
async fn drive_clock(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let deadline = match shared.next_deadline() {
            Some(t) => shared.started + Duration::from_millis(t.as_millis()),
            None => Instant::now() + Duration::from_secs(3600),
        };
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            _ = shared.wake.notified() => {}
            _ = shutdown.changed() => return,
        }
        let now = shared.now();
        let mut p = shared.printer();
        shared.tick(&mut p, now);
    }
}
