//! What security costs: authentication and TLS per request, the gate's
//! own work, and the security suite's wall time — the virtual printer and
//! CUPS' `ippeveprinter` side by side in one run.
//!
//! `cargo bench --bench security` (full: each cell the median of five
//! 1.2 s rounds, a round being one pass over the whole table; three suite
//! runs per target, with and without the disruptive cases) or
//! `cargo bench --bench security -- --quick` (one 0.3 s round a cell; one
//! suite run per target, with the disruptive cases only: the CI smoke run,
//! about half a minute).
//!
//! **Throughput.** Keep-alive connections (1 and 16), each a task of a
//! client runtime in this process, send one request after another for the
//! cell's time and count the answers that are HTTP 200 with IPP status
//! `successful-ok` (0x0000); anything else is a failure, counted apart and
//! shown with its first reason. Connections, TLS handshakes and the first
//! Digest challenge happen before the clock starts. The requests:
//! Get-Printer-Attributes for `printer-state` (a query: never authenticated,
//! by design) and Validate-Job for `application/pdf` (print class: what
//! `print = "user"` protects, and it changes nothing). The virtual printers
//! run in this process on a runtime of their own (two worker threads named
//! `pj-printer`, whose CPU time is read from `/proc/self/task`):
//! - *open*: the default profile, plain IPP and IPPS on one port, no
//!   credentials asked;
//! - *Digest, plain*: the locked-down preset's `[security]` with
//!   `tls.mode = "optional"`, so Digest can be measured without TLS;
//! - *locked-down*: `Preset::LockedDown` (IPPS only, Digest MD5 for
//!   printing and administration).
//!
//! Digest clients take the nonce of a first 401 and reuse it with `nc`
//! counting up (RFC 7616 §3.4), as CUPS does; one more row asks for a new
//! challenge before every request (two round trips each), as a client that
//! keeps no state would. `ippeveprinter` (CUPS 2.4) runs as a child process
//! on a private D-Bus, with `-K` for TLS (plain and TLS on one port), and a
//! second instance with `-A`: HTTP Basic checked by PAM. PAM checks a
//! system account, so that instance runs in a private mount namespace
//! (`unshare -m`, root only) where copies of `/etc/passwd` and `/etc/shadow`
//! with one more user (`pjbench`, a sha512-crypt hash from `openssl passwd
//! -6`) are bind-mounted over the host's; the host's files are never
//! written. ippeveprinter has no Digest: its authenticated rows are Basic.
//!
//! **The gate alone.** `Gate::decide` and its parts (header parsing, the
//! Digest hashes, the nonce check), timed in a loop with no I/O.
//!
//! **The security suite.** `run_security` with every case, changes
//! allowed, the flood and slow-loris small (40 requests, 600 ms, 4
//! connections), with and without `--allow-disruptive`, against a fresh
//! locked-down and a fresh wide-open printer for each run, and against the
//! ippeveprinter instances (restarted if a run leaves one dead); then
//! `tls_probe::probe_tls` alone (one full handshake and four single-version
//! hellos) against each printer's TLS port.
//!
//! A peer that cannot run is a row that says why, never a failed bench.
//! The Markdown report goes to stdout and `target/bench/security.md`
//! (`security-quick.md` for `--quick`). Everything stays on 127.0.0.1.

mod common;

use common::PrivateDbus;

use common::{cpu_model, find_tool, free_port, group_digits, ipp_request, utc_now};
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use paperjam_sim::ipp::Operation;
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig};
use paperjam_sim::profile::Profile;
use paperjam_sim::security::auth::{
    self, parse_authorization, parse_challenges, Challenge, Credentials, DigestResponse, NonceMint,
    Scheme,
};
use paperjam_sim::security::preset::{Preset, USER};
use paperjam_sim::security::{Decision, Gate, GateRequest, TlsMode};
use paperjam_suites::client::{Connection, HttpReply, HttpRequest, TargetUri};
use paperjam_suites::grade::{CaseResult, Outcome};
use paperjam_suites::security::exposure::PortPlan;
use paperjam_suites::security::policy::Policy;
use paperjam_suites::security::robustness::Limits;
use paperjam_suites::security::runner::{run_security_with, SecurityOptions, SecurityTarget};
use paperjam_suites::security::spec::{load_dir, SecurityCase};
use paperjam_suites::security::tls_probe::{self, VersionAnswer};

type Result<T> = std::result::Result<T, String>;

/// The printer resource.
const PATH: &str = "/ipp/print";
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a peer may take to start.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// Between two readiness probes.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// The account the `-A` ippeveprinter checks with PAM (only inside its
/// mount namespace).
const PAM_USER: (&str, &str) = ("pjbench", "paperjam-bench-pw");
/// The document formats ippeveprinter is started with.
const EVE_FORMATS: &str = "application/pdf,image/jpeg,image/pwg-raster,image/urf";
/// Linux reports thread CPU times in USER_HZ ticks, 100 a second.
const TICKS_PER_SECOND: f64 = 100.0;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench security: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line options; `cargo bench` adds `--bench`, anything unknown is ignored.
struct Options {
    quick: bool,
    /// Measured time of one throughput round.
    cell: Duration,
    /// Rounds per throughput cell; the cell shows the median round.
    rounds: usize,
    /// Whether the suite also runs without the disruptive cases.
    suite_without_disruptive: bool,
    /// Connection counts of the throughput table.
    connections: Vec<usize>,
    /// Suite runs per target.
    suite_runs: usize,
    /// TLS probes per printer.
    probe_runs: usize,
    /// Iterations of each gate micro-benchmark.
    gate_iterations: u32,
}

impl Options {
    fn parse() -> Options {
        let quick = std::env::args().skip(1).any(|a| a == "--quick");
        Options {
            quick,
            cell: Duration::from_millis(if quick { 300 } else { 1200 }),
            rounds: if quick { 1 } else { 5 },
            suite_without_disruptive: !quick,
            connections: vec![1, 16],
            suite_runs: if quick { 1 } else { 3 },
            probe_runs: if quick { 3 } else { 10 },
            gate_iterations: if quick { 20_000 } else { 200_000 },
        }
    }
}

// ---------------------------------------------------------------------------
// IPP bodies.

/// The two requests measured.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    /// Get-Printer-Attributes, `requested-attributes` = `printer-state`.
    Gpa,
    /// Validate-Job for `application/pdf`.
    Validate,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::Gpa => "GPA `printer-state`",
            Op::Validate => "Validate-Job",
        }
    }

    /// The body for the printer at `uri`.
    fn body(self, uri: &str) -> Vec<u8> {
        match self {
            Op::Gpa => ipp_request(
                0x000B,
                1,
                uri,
                &[(0x44, "requested-attributes", &[b"printer-state"])],
            ),
            Op::Validate => ipp_request(
                0x0004,
                1,
                uri,
                &[
                    (0x42, "requesting-user-name", &[b"bench"]),
                    (0x42, "job-name", &[b"bench"]),
                    (0x49, "document-format", &[b"application/pdf"]),
                ],
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// The load: keep-alive connections, checked answers.

/// How a connection authenticates.
#[derive(Clone, Debug)]
enum Auth {
    None,
    /// Digest: the first 401's nonce, reused with `nc` counting up; with
    /// `fresh`, a new 401 before every request.
    Digest {
        user: String,
        password: String,
        fresh: bool,
    },
    /// Basic, the same header on every request.
    Basic {
        user: String,
        password: String,
    },
}

/// One load to run.
#[derive(Clone, Debug)]
struct Load {
    target: TargetUri,
    body: Arc<Vec<u8>>,
    auth: Auth,
}

impl Load {
    fn new(scheme: &str, port: u16, op: Op, auth: Auth) -> Result<Load> {
        let uri = format!("{scheme}://127.0.0.1:{port}{PATH}");
        let target = TargetUri::parse(&uri).map_err(|e| e.to_string())?;
        Ok(Load {
            body: Arc::new(op.body(&uri)),
            target,
            auth,
        })
    }
}

/// One connection's state.
struct Conn {
    conn: Connection,
    req: HttpRequest,
    challenge: Option<Challenge>,
    nc: u32,
    cnonce: String,
    /// 401s seen (the fresh-challenge mode's first legs).
    challenges: u64,
}

/// What the connections of one cell counted.
#[derive(Debug, Default, Clone)]
struct Tally {
    ok: u64,
    failed: u64,
    challenges: u64,
    first_failure: Option<String>,
}

impl Tally {
    fn fail(&mut self, why: String) {
        self.failed += 1;
        self.first_failure.get_or_insert(why);
    }

    fn add(&mut self, o: Tally) {
        self.ok += o.ok;
        self.failed += o.failed;
        self.challenges += o.challenges;
        if self.first_failure.is_none() {
            self.first_failure = o.first_failure;
        }
    }
}

fn request(body: &[u8]) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: PATH.into(),
        http10: false,
        headers: vec![("Content-Type".into(), "application/ipp".into())],
        body: body.to_vec(),
        chunked: false,
        expect_continue: false,
    }
}

fn set_authorization(req: &mut HttpRequest, value: Option<String>) {
    req.headers.retain(|(n, _)| n != "Authorization");
    if let Some(v) = value {
        req.headers.push(("Authorization".into(), v));
    }
}

/// HTTP 200 and IPP `successful-ok`, or why not.
fn check(r: &HttpReply) -> Result<()> {
    if r.status != 200 {
        return Err(format!("HTTP {}", r.status));
    }
    match r.body.get(2..4) {
        Some([0, 0]) => Ok(()),
        Some([a, b]) => Err(format!("IPP status 0x{a:02x}{b:02x}")),
        _ => Err(format!("an IPP answer of {} bytes", r.body.len())),
    }
}

/// The Digest challenge of a 401.
fn digest_challenge(r: &HttpReply) -> Result<Challenge> {
    if r.status != 401 {
        return Err(format!(
            "HTTP {} where a 401 challenge was expected",
            r.status
        ));
    }
    let value = r
        .header("www-authenticate")
        .ok_or("a 401 without WWW-Authenticate")?;
    parse_challenges(value)
        .map_err(|e| format!("unreadable challenge: {e}"))?
        .into_iter()
        .find(|c| c.scheme == Scheme::Digest)
        .ok_or_else(|| format!("no Digest challenge in '{value}'"))
}

impl Conn {
    /// Connect, take a challenge if Digest, and send one checked request.
    async fn open(load: &Load, index: usize) -> Result<Conn> {
        let conn = Connection::open(&load.target, REQUEST_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        let mut c = Conn {
            conn,
            req: request(&load.body),
            challenge: None,
            nc: 0,
            cnonce: format!("pjbench{index:08x}"),
            challenges: 0,
        };
        match &load.auth {
            Auth::None => {}
            Auth::Basic { user, password } => set_authorization(
                &mut c.req,
                Some(Credentials::basic(user.as_str(), password.as_str()).to_header_value()),
            ),
            Auth::Digest { .. } => c.rechallenge().await?,
        }
        c.step(&load.auth).await?;
        Ok(c)
    }

    /// Send the request without credentials and keep the 401's challenge.
    async fn rechallenge(&mut self) -> Result<()> {
        set_authorization(&mut self.req, None);
        let r = self
            .conn
            .exchange(&self.req, REQUEST_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        self.challenge = Some(digest_challenge(&r)?);
        self.challenges += 1;
        self.nc = 0;
        Ok(())
    }

    /// One request (two for fresh Digest), checked.
    async fn step(&mut self, auth: &Auth) -> Result<()> {
        if let Auth::Digest {
            user,
            password,
            fresh,
        } = auth
        {
            if *fresh {
                self.rechallenge().await?;
            }
            let challenge = self.challenge.as_ref().ok_or("no challenge yet")?;
            self.nc += 1;
            let answer = DigestResponse::answer(
                challenge,
                user,
                password,
                "POST",
                PATH,
                &self.cnonce,
                self.nc,
            );
            set_authorization(&mut self.req, Some(answer.to_header_value()));
        }
        let r = self
            .conn
            .exchange(&self.req, REQUEST_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        if r.status == 401 {
            // A stale nonce (or a refusal): take the new challenge for the next one.
            if let Ok(c) = digest_challenge(&r) {
                self.challenge = Some(c);
                self.nc = 0;
            }
        }
        check(&r)
    }
}

/// One connection's part of a cell: set up, wait for the others, then
/// requests until `length` has passed.
async fn worker(
    load: Arc<Load>,
    index: usize,
    start: Arc<tokio::sync::Barrier>,
    length: Duration,
) -> Tally {
    let mut t = Tally::default();
    let opened = Conn::open(&load, index).await;
    start.wait().await;
    let mut c = match opened {
        Ok(c) => c,
        Err(e) => {
            t.fail(format!("setup: {e}"));
            return t;
        }
    };
    let deadline = Instant::now() + length;
    while Instant::now() < deadline {
        match c.step(&load.auth).await {
            Ok(()) => t.ok += 1,
            Err(e) => {
                t.fail(e);
                t.challenges += c.challenges;
                match Conn::open(&load, index).await {
                    Ok(n) => c = n,
                    Err(e) => {
                        t.fail(format!("reconnect: {e}"));
                        return t;
                    }
                }
            }
        }
    }
    t.challenges += c.challenges;
    t
}

/// What one cell measured.
#[derive(Debug, Clone)]
struct Measured {
    tally: Tally,
    seconds: f64,
    /// Server CPU seconds over the cell, when it could be read.
    cpu: Option<f64>,
}

impl Measured {
    fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.tally.ok as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Server CPU per answered request, µs.
    fn cpu_us(&self) -> Option<f64> {
        self.cpu
            .filter(|_| self.tally.ok > 0)
            .map(|c| c * 1e6 / self.tally.ok as f64)
    }
}

/// Where a server's CPU time is read.
#[derive(Clone, Copy, Debug)]
enum Cpu {
    /// The threads of this process whose name starts with `pj-printer`.
    PrinterThreads,
    /// A child process.
    Pid(u32),
}

impl Cpu {
    /// Seconds of user + system time so far.
    fn seconds(self) -> Option<f64> {
        match self {
            Cpu::PrinterThreads => {
                let mut ticks = 0u64;
                for e in fs::read_dir("/proc/self/task").ok()? {
                    let Ok(e) = e else { continue };
                    let comm = fs::read_to_string(e.path().join("comm")).unwrap_or_default();
                    if comm.starts_with("pj-printer") {
                        ticks += stat_ticks(&e.path().join("stat")).unwrap_or(0);
                    }
                }
                Some(ticks as f64 / TICKS_PER_SECOND)
            }
            Cpu::Pid(pid) => stat_ticks(Path::new(&format!("/proc/{pid}/stat")))
                .map(|t| t as f64 / TICKS_PER_SECOND),
        }
    }
}

/// utime + stime of a `/proc/…/stat` file (fields 14 and 15).
fn stat_ticks(path: &Path) -> Option<u64> {
    let text = fs::read_to_string(path).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// The median of `rounds` by rate, with the failures of every round added to it.
fn median(mut all: Vec<Measured>) -> Option<Measured> {
    let failed: u64 = all.iter().map(|m| m.tally.failed).sum();
    let first = all.iter().find_map(|m| m.tally.first_failure.clone());
    all.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
    if all.is_empty() {
        return None;
    }
    let mut m = all.swap_remove(all.len() / 2);
    m.tally.failed = failed;
    m.tally.first_failure = first;
    Some(m)
}

/// Run `load` over `connections` connections for `length`.
fn measure(
    rt: &tokio::runtime::Runtime,
    load: &Load,
    connections: usize,
    length: Duration,
    cpu: Cpu,
) -> Measured {
    let load = Arc::new(load.clone());
    rt.block_on(async move {
        let start = Arc::new(tokio::sync::Barrier::new(connections + 1));
        let mut set = tokio::task::JoinSet::new();
        for i in 0..connections {
            set.spawn(worker(load.clone(), i, start.clone(), length));
        }
        start.wait().await;
        let cpu0 = cpu.seconds();
        let t0 = Instant::now();
        let mut tally = Tally::default();
        while let Some(r) = set.join_next().await {
            match r {
                Ok(t) => tally.add(t),
                Err(e) => tally.fail(format!("a connection task failed: {e}")),
            }
        }
        let seconds = t0.elapsed().as_secs_f64();
        let cpu = cpu0.zip(cpu.seconds()).map(|(a, b)| b - a);
        Measured {
            tally,
            seconds,
            cpu,
        }
    })
}

// ---------------------------------------------------------------------------
// Virtual printers in this process.

/// The in-process printers of the throughput table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Pj {
    Open,
    DigestPlain,
    LockedDown,
}

impl Pj {
    fn describe(self) -> &'static str {
        match self {
            Pj::Open => "open (default profile, IPP and IPPS on one port)",
            Pj::DigestPlain => {
                "Digest on plain IPP (locked-down `[security]`, `tls.mode = \"optional\"`)"
            }
            Pj::LockedDown => "locked-down preset (IPPS only, Digest MD5)",
        }
    }

    fn config(self) -> Result<ServerConfig> {
        let profile = Profile::default_profile().map_err(|e| e.to_string())?;
        let mut cfg = match self {
            Pj::Open => ServerConfig::new(Arc::new(profile)),
            Pj::DigestPlain => {
                let mut p = profile;
                p.security = Preset::LockedDown.security();
                p.security.tls.mode = TlsMode::Optional;
                ServerConfig::new(Arc::new(p))
            }
            Pj::LockedDown => Preset::LockedDown.server_config(Arc::new(profile)),
        };
        cfg.ipp_port = 0;
        cfg.speed = Speed::Instant;
        // No SNMP agent: only IPP is measured here.
        cfg.snmp_port = None;
        Ok(cfg)
    }
}

/// A suite target's printer: `preset` as the suite's own tests set it up.
fn preset_config(preset: Preset) -> Result<ServerConfig> {
    let profile = Profile::default_profile().map_err(|e| e.to_string())?;
    let mut cfg = preset.server_config(Arc::new(profile));
    cfg.speed = Speed::Instant;
    cfg.boot_unix_ms = Some(1_795_000_000_000);
    Ok(cfg)
}

fn start_printer(srt: &tokio::runtime::Runtime, cfg: ServerConfig) -> Result<RunningServer> {
    srt.block_on(server::start(cfg))
        .map_err(|e| format!("the virtual printer did not start: {e}"))
}

fn stop_printer(srt: &tokio::runtime::Runtime, srv: RunningServer) {
    srt.block_on(srv.shutdown(Duration::from_millis(200)));
}

// ---------------------------------------------------------------------------
// ippeveprinter.

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    free_port().unwrap_or(9)
}

fn tail(path: &Path) -> String {
    let text = fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(600);
    String::from_utf8_lossy(&text[start..])
        .lines()
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The two ippeveprinter set-ups.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum EveKind {
    /// `-K`: plain IPP and IPPS on one port, no authentication.
    Tls,
    /// `-A -K` in a private mount namespace: Basic checked by PAM.
    Auth,
}

impl EveKind {
    fn name(self) -> &'static str {
        match self {
            EveKind::Tls => "ippeveprinter -K",
            EveKind::Auth => "ippeveprinter -A -K",
        }
    }
}

/// What it takes to run ippeveprinter.
struct EveTools {
    program: PathBuf,
    dbus: PrivateDbus,
}

/// A running ippeveprinter.
struct Eve {
    kind: EveKind,
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    starts: u32,
    /// Restarts and deaths worth a line under the tables.
    notes: Vec<String>,
}

/// Why the `-A` instance cannot run here, if it cannot.
fn pam_setup_problem() -> Option<String> {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0");
    if !root {
        return Some("needs root (a private mount namespace for a PAM account)".into());
    }
    for tool in ["unshare", "openssl"] {
        if find_tool(tool).is_none() {
            return Some(format!("`{tool}` not installed"));
        }
    }
    if fs::read_to_string("/etc/shadow").is_err() {
        return Some("cannot read /etc/shadow".into());
    }
    None
}

/// Copies of /etc/passwd and /etc/shadow with [`PAM_USER`] added, in `dir`.
fn pam_files(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let out = Command::new("openssl")
        .args(["passwd", "-6", "-salt", "pjbenchsalt", PAM_USER.1])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !hash.starts_with("$6$") {
        return Err(format!("openssl passwd -6 gave '{hash}'"));
    }
    let with_line = |src: &str, line: String| -> Result<String> {
        let mut t = fs::read_to_string(src).map_err(|e| format!("cannot read {src}: {e}"))?;
        if !t.ends_with('\n') && !t.is_empty() {
            t.push('\n');
        }
        t.push_str(&line);
        Ok(t)
    };
    let passwd = with_line(
        "/etc/passwd",
        format!(
            "{}:x:64999:64999:paperjam bench:/nonexistent:/usr/sbin/nologin\n",
            PAM_USER.0
        ),
    )?;
    let shadow = with_line(
        "/etc/shadow",
        format!("{}:{hash}:19000:0:99999:7:::\n", PAM_USER.0),
    )?;
    fs::write(dir.join("passwd"), passwd).map_err(|e| e.to_string())?;
    fs::write(dir.join("shadow"), shadow).map_err(|e| e.to_string())?;
    fs::set_permissions(dir.join("shadow"), fs::Permissions::from_mode(0o640))
        .map_err(|e| e.to_string())?;
    Ok(())
}

impl Eve {
    /// Start `kind` under `work`, retrying a port someone took in the meantime.
    fn start(kind: EveKind, tools: &EveTools, work: &Path) -> Result<Eve> {
        let dir = work.join(match kind {
            EveKind::Tls => "eve-tls",
            EveKind::Auth => "eve-auth",
        });
        fs::create_dir_all(dir.join("keys")).map_err(|e| e.to_string())?;
        if kind == EveKind::Auth {
            pam_files(&dir)?;
        }
        let mut eve = Eve {
            kind,
            child: None,
            port: 0,
            dir,
            starts: 0,
            notes: Vec::new(),
        };
        eve.restart(tools)?;
        Ok(eve)
    }

    /// The command for `kind` on `port`, started; its output goes to `dir/log-N`.
    fn spawn(kind: EveKind, tools: &EveTools, dir: &Path, port: u16, n: u32) -> Result<Child> {
        let spool = dir.join(format!("spool-{n}"));
        fs::create_dir_all(&spool).map_err(|e| e.to_string())?;
        let log = fs::File::create(dir.join(format!("log-{n}"))).map_err(|e| e.to_string())?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let mut args: Vec<String> = Vec::new();
        if kind == EveKind::Auth {
            args.push("-A".into());
        }
        args.extend(
            [
                "-p",
                &port.to_string(),
                "-r",
                "off",
                "-n",
                "localhost",
                "-k",
                "-d",
                &spool.display().to_string(),
                "-K",
                &dir.join("keys").display().to_string(),
                "-c",
                "/bin/true",
                "-2",
                "-f",
                EVE_FORMATS,
                "Peer",
            ]
            .map(String::from),
        );
        // setpriv: the child dies with this process, whatever ends it.
        let mut cmd = match find_tool("setpriv") {
            Some(setpriv) => {
                let mut c = Command::new(setpriv);
                c.args(["--pdeathsig", "KILL"]);
                c
            }
            None => Command::new("env"),
        };
        match kind {
            EveKind::Tls => {
                cmd.arg(&tools.program);
            }
            EveKind::Auth => {
                // The bind mounts exist only in the new mount namespace
                // (unshare makes its mounts private).
                let script = "set -e; mount --bind \"$1/passwd\" /etc/passwd; \
                              mount --bind \"$1/shadow\" /etc/shadow; shift; exec \"$@\"";
                cmd.args(["unshare", "-m", "sh", "-c", script, "sh"])
                    .arg(dir)
                    .arg(&tools.program);
            }
        }
        cmd.args(&args)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &tools.dbus.address)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", kind.name()))
    }

    /// (Re)start it on a fresh port and wait until a Get-Printer-Attributes is answered.
    fn restart(&mut self, tools: &EveTools) -> Result<()> {
        self.stop();
        let mut last = String::new();
        for _attempt in 0..3 {
            self.starts += 1;
            self.port = free_port()?;
            let mut child = Eve::spawn(self.kind, tools, &self.dir, self.port, self.starts)?;
            let log = self.dir.join(format!("log-{}", self.starts));
            let deadline = Instant::now() + STARTUP_TIMEOUT;
            let body = Op::Gpa.body(&self.uri("ipp"));
            loop {
                if matches!(post_once(self.port, &body), Ok((200, 0))) {
                    self.child = Some(child);
                    return Ok(());
                }
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!("{} exited ({status}): {}", self.kind.name(), tail(&log));
                    break;
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last = format!(
                        "{} did not answer within {STARTUP_TIMEOUT:?}: {}",
                        self.kind.name(),
                        tail(&log)
                    );
                    break;
                }
                thread::sleep(POLL_INTERVAL);
            }
        }
        Err(last)
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn uri(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}{PATH}", self.port)
    }

    /// Restart it if it died; notes the death against `during`.
    fn ensure(&mut self, tools: &EveTools, during: &str) -> Result<()> {
        if self.alive() {
            return Ok(());
        }
        let how = match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(s))) => s.to_string(),
            _ => "unknown".into(),
        };
        let note = format!(
            "{} died ({how}) during {during}; restarted",
            self.kind.name()
        );
        eprintln!("  {note}");
        self.notes.push(note);
        self.restart(tools)
    }
}

impl Drop for Eve {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One plain POST with `Connection: close`: the HTTP status and the IPP status.
fn post_once(port: u16, body: &[u8]) -> Result<(u16, u16)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_millis(500)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/ipp\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    s.write_all(body).map_err(|e| e.to_string())?;
    // Read until the body Content-Length announces is here: not every
    // server closes at once after `Connection: close`.
    let mut reply = Vec::new();
    let mut buf = [0u8; 16384];
    let end = loop {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        reply.extend_from_slice(&buf[..n]);
        if let Some(end) = reply.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&reply[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if n == 0 || len.is_some_and(|len| reply.len() >= end + 4 + len) {
                break end;
            }
        } else if n == 0 {
            return Err("no HTTP header in the reply".into());
        }
    };
    let http: u16 = String::from_utf8_lossy(&reply[..end])
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("no HTTP status")?;
    let ipp = reply
        .get(end + 6..end + 8)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .unwrap_or(0xFFFF);
    Ok((http, ipp))
}

/// The ippeveprinter instances, or why each is missing.
struct Peers {
    tools: Option<EveTools>,
    tls: std::result::Result<Eve, String>,
    auth: std::result::Result<Eve, String>,
    version: String,
}

impl Peers {
    fn start(work: &Path) -> Peers {
        let missing = |why: &str| Peers {
            tools: None,
            tls: Err(why.to_string()),
            auth: Err(why.to_string()),
            version: String::new(),
        };
        let Some(program) = find_tool("ippeveprinter") else {
            return missing("ippeveprinter not installed (Debian: cups-ipp-utils)");
        };
        let Some(dbus_daemon) = find_tool("dbus-daemon") else {
            return missing("dbus-daemon not installed (ippeveprinter needs a D-Bus system bus)");
        };
        let dir = work.join("dbus");
        if let Err(e) = fs::create_dir_all(&dir) {
            return missing(&e.to_string());
        }
        let dbus = match PrivateDbus::start(&dbus_daemon, &dir) {
            Ok(d) => d,
            Err(e) => return missing(&e),
        };
        let tools = EveTools { program, dbus };
        let tls = Eve::start(EveKind::Tls, &tools, work);
        let auth = match pam_setup_problem() {
            Some(why) => Err(why),
            None => Eve::start(EveKind::Auth, &tools, work),
        };
        Peers {
            version: cups_version(),
            tools: Some(tools),
            tls,
            auth,
        }
    }

    /// The instance, restarted if it died.
    fn ready(&mut self, kind: EveKind, during: &str) -> std::result::Result<&mut Eve, String> {
        let slot = match kind {
            EveKind::Tls => &mut self.tls,
            EveKind::Auth => &mut self.auth,
        };
        let eve = slot.as_mut().map_err(|e| e.clone())?;
        let tools = self.tools.as_ref().ok_or("ippeveprinter not available")?;
        eve.ensure(tools, during)?;
        Ok(eve)
    }
}

/// The CUPS version of the installed ippeveprinter, from dpkg (it has no --version that says).
fn cups_version() -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}", "cups-ipp-utils"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| format!("CUPS {}", String::from_utf8_lossy(&o.stdout).trim()))
        .unwrap_or_else(|| "CUPS (version unknown)".into())
}

// ---------------------------------------------------------------------------
// Throughput.

/// How a row authenticates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RowAuth {
    None,
    Digest,
    DigestFresh,
}

/// One row of the throughput table.
#[derive(Clone, Copy, Debug)]
struct RowSpec {
    op: Op,
    tls: bool,
    pj: Pj,
    auth: RowAuth,
    /// The ippeveprinter side: which instance, and whether it sends Basic.
    eve: Option<(EveKind, bool)>,
    what: &'static str,
}

fn rows() -> Vec<RowSpec> {
    vec![
        RowSpec {
            op: Op::Gpa,
            tls: false,
            pj: Pj::Open,
            auth: RowAuth::None,
            eve: Some((EveKind::Tls, false)),
            what: "open",
        },
        RowSpec {
            op: Op::Gpa,
            tls: true,
            pj: Pj::Open,
            auth: RowAuth::None,
            eve: Some((EveKind::Tls, false)),
            what: "open",
        },
        RowSpec {
            op: Op::Gpa,
            tls: true,
            pj: Pj::LockedDown,
            auth: RowAuth::None,
            eve: Some((EveKind::Auth, false)),
            what: "locked-down / `-A` (queries need no credentials)",
        },
        RowSpec {
            op: Op::Validate,
            tls: false,
            pj: Pj::Open,
            auth: RowAuth::None,
            eve: Some((EveKind::Tls, false)),
            what: "open",
        },
        RowSpec {
            op: Op::Validate,
            tls: true,
            pj: Pj::Open,
            auth: RowAuth::None,
            eve: Some((EveKind::Tls, false)),
            what: "open",
        },
        RowSpec {
            op: Op::Validate,
            tls: false,
            pj: Pj::DigestPlain,
            auth: RowAuth::Digest,
            eve: Some((EveKind::Auth, true)),
            what: "Digest, nonce reused · `-A`: Basic + PAM",
        },
        RowSpec {
            op: Op::Validate,
            tls: true,
            pj: Pj::LockedDown,
            auth: RowAuth::Digest,
            eve: Some((EveKind::Auth, true)),
            what: "Digest, nonce reused · `-A`: Basic + PAM",
        },
        RowSpec {
            op: Op::Validate,
            tls: true,
            pj: Pj::LockedDown,
            auth: RowAuth::DigestFresh,
            eve: None,
            what: "Digest, a new 401 before each request",
        },
    ]
}

/// A cell's result.
#[derive(Debug, Clone)]
enum Cell {
    Ran(Measured),
    Missing(String),
}

struct RowResult {
    spec: RowSpec,
    connections: usize,
    pj: Cell,
    eve: Cell,
}

fn throughput(
    opts: &Options,
    crt: &tokio::runtime::Runtime,
    srt: &tokio::runtime::Runtime,
    peers: &mut Peers,
) -> Result<Vec<RowResult>> {
    let mut printers = Vec::new();
    for pj in [Pj::Open, Pj::DigestPlain, Pj::LockedDown] {
        printers.push((pj, start_printer(srt, pj.config()?)?));
    }
    let port_of = |pj: Pj| {
        printers
            .iter()
            .find(|(p, _)| *p == pj)
            .map(|(_, s)| s.ipp_addr.port())
            .unwrap_or(0)
    };
    // Every cell, with its rounds so far.
    struct Pending {
        spec: RowSpec,
        n: usize,
        scheme: &'static str,
        load: Load,
        label: String,
        pj: Vec<Measured>,
        eve: Vec<Measured>,
        eve_missing: Option<String>,
    }
    let mut cells = Vec::new();
    for spec in rows() {
        for &n in &opts.connections {
            let scheme = if spec.tls { "ipps" } else { "ipp" };
            let auth = match spec.auth {
                RowAuth::None => Auth::None,
                RowAuth::Digest | RowAuth::DigestFresh => Auth::Digest {
                    user: USER.0.into(),
                    password: USER.1.into(),
                    fresh: spec.auth == RowAuth::DigestFresh,
                },
            };
            cells.push(Pending {
                spec,
                n,
                scheme,
                load: Load::new(scheme, port_of(spec.pj), spec.op, auth)?,
                label: format!("{} {scheme} {} ×{n}", spec.op.label(), spec.what),
                pj: Vec::new(),
                eve: Vec::new(),
                eve_missing: spec.eve.is_none().then(|| "no equivalent".to_string()),
            });
        }
    }
    // Rounds are the outer loop and each cell alternates between the two
    // printers: other work on the machine, which comes and goes over
    // minutes, falls on every row and on both printers alike.
    for round in 0..opts.rounds.max(1) {
        for c in cells.iter_mut() {
            c.pj.push(measure(crt, &c.load, c.n, opts.cell, Cpu::PrinterThreads));
            let Some((kind, basic)) = c.spec.eve.filter(|_| c.eve_missing.is_none()) else {
                continue;
            };
            match peers.ready(kind, &c.label) {
                Err(e) => c.eve_missing = Some(e),
                Ok(eve) => {
                    let auth = if basic {
                        Auth::Basic {
                            user: PAM_USER.0.into(),
                            password: PAM_USER.1.into(),
                        }
                    } else {
                        Auth::None
                    };
                    let load = Load::new(c.scheme, eve.port, c.spec.op, auth)?;
                    let cpu = Cpu::Pid(eve.pid());
                    c.eve.push(measure(crt, &load, c.n, opts.cell, cpu));
                }
            }
        }
        eprintln!("[throughput round {} of {} done]", round + 1, opts.rounds);
    }
    let mut out = Vec::new();
    for c in cells {
        let pj = median(c.pj).map_or(Cell::Missing("no round".into()), Cell::Ran);
        let eve = match (c.eve_missing, median(c.eve)) {
            (Some(why), _) => Cell::Missing(why),
            (None, Some(m)) => Cell::Ran(m),
            (None, None) => Cell::Missing("no round".into()),
        };
        eprintln!(
            "{}: paperjam {}, ippeveprinter {}",
            c.label,
            short(&pj),
            short(&eve)
        );
        out.push(RowResult {
            spec: c.spec,
            connections: c.n,
            pj,
            eve,
        });
    }
    for (_, srv) in printers {
        stop_printer(srt, srv);
    }
    Ok(out)
}

fn short(c: &Cell) -> String {
    match c {
        Cell::Ran(m) => format!(
            "{:.0} req/s ({} ok, {} failed{})",
            m.rate(),
            m.tally.ok,
            m.tally.failed,
            m.tally
                .first_failure
                .as_deref()
                .map(|f| format!(": {f}"))
                .unwrap_or_default()
        ),
        Cell::Missing(why) => format!("missing: {why}"),
    }
}

// ---------------------------------------------------------------------------
// The gate alone.

/// One micro-benchmark: what, and ns per call.
struct GateTime {
    what: &'static str,
    ns: f64,
}

fn time_per_call(iterations: u32, mut f: impl FnMut() -> bool) -> Result<f64> {
    // Warm up, and check that the call does what it is timed for.
    for _ in 0..iterations / 10 + 1 {
        if !f() {
            return Err("the call did not give the expected answer".into());
        }
    }
    let t = Instant::now();
    let mut good = 0u32;
    for _ in 0..iterations {
        good += u32::from(std::hint::black_box(f()));
    }
    let ns = t.elapsed().as_nanos() as f64 / f64::from(iterations.max(1));
    if good != iterations {
        return Err(format!(
            "{} of {iterations} calls went wrong",
            iterations - good
        ));
    }
    Ok(ns)
}

fn gate_bench(iterations: u32) -> Result<Vec<GateTime>> {
    let spec = Preset::LockedDown.security();
    let realm = spec.realm.clone();
    let users = spec.loaded_users.clone();
    let gate = Gate::new(spec, [7; 32]);
    let now_ms = 1_000_000u64;
    let challenge_value = gate.challenge(now_ms, false);
    let challenge = parse_challenges(&challenge_value)
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or("no challenge")?;
    let answer = DigestResponse::answer(&challenge, USER.0, USER.1, "POST", PATH, "0a4f113b", 1);
    let header = answer.to_header_value();
    let gpa = GateRequest {
        op: Operation::GetPrinterAttributes,
        authorization: None,
        method: "POST",
        uri: PATH,
        requesting_user: Some("bench"),
        job_owner: None,
    };
    let vj_none = GateRequest {
        op: Operation::ValidateJob,
        ..gpa.clone()
    };
    let vj_digest = GateRequest {
        authorization: Some(header.as_bytes()),
        ..vj_none.clone()
    };
    let mint = NonceMint::new([7; 32]);
    let verifier = auth::Verifier {
        users: &users,
        realm: &realm,
        mint: &mint,
        nonce_max_age_ms: paperjam_sim::security::NONCE_MAX_AGE_MS,
    };
    let creds = parse_authorization(header.as_bytes()).map_err(|e| e.to_string())?;
    let nonce = challenge.nonce.clone().unwrap_or_default();
    let mut v = Vec::new();
    v.push(GateTime {
        what: "`Gate::decide`, Get-Printer-Attributes, no credentials (a query: allowed)",
        ns: time_per_call(iterations, || {
            matches!(
                gate.decide(&gpa, now_ms, false),
                Decision::Allow { user: None }
            )
        })?,
    });
    v.push(GateTime {
        what: "`Gate::decide`, Validate-Job, no credentials (401, a nonce minted)",
        ns: time_per_call(iterations, || {
            matches!(
                gate.decide(&vj_none, now_ms, false),
                Decision::Challenge { .. }
            )
        })?,
    });
    v.push(GateTime {
        what: "`Gate::decide`, Validate-Job, right Digest credentials (allowed)",
        ns: time_per_call(iterations, || {
            matches!(
                gate.decide(&vj_digest, now_ms, false),
                Decision::Allow { user: Some(_) }
            )
        })?,
    });
    v.push(GateTime {
        what: "… of which `parse_authorization` of the Digest header",
        ns: time_per_call(iterations, || {
            parse_authorization(header.as_bytes()).is_ok()
        })?,
    });
    v.push(GateTime {
        what: "… of which `Verifier::verify` (nonce check + response)",
        ns: time_per_call(iterations, || {
            verifier
                .verify(&creds, "POST", PATH, now_ms)
                .is_authenticated()
        })?,
    });
    v.push(GateTime {
        what: "… of which `NonceMint::check` (SHA-256)",
        ns: time_per_call(iterations, || {
            mint.check(&nonce, now_ms, 300_000) == auth::NonceCheck::Valid
        })?,
    });
    v.push(GateTime {
        what: "… of which `digest_response` (three MD5s; the client does the same)",
        ns: time_per_call(iterations, || {
            auth::digest_response(
                answer.algorithm,
                USER.0,
                &realm,
                USER.1,
                "POST",
                PATH,
                &nonce,
                Some(("00000001", "0a4f113b", "auth")),
            ) == answer.response
        })?,
    });
    v.push(GateTime {
        what: "`Gate::challenge` (a `WWW-Authenticate` value with a fresh nonce)",
        ns: time_per_call(iterations, || !gate.challenge(now_ms, false).is_empty())?,
    });
    Ok(v)
}

// ---------------------------------------------------------------------------
// The security suite.

/// The options of a suite run, as the suite's own tests set them.
fn suite_options(disruptive: bool) -> SecurityOptions {
    let mut o = SecurityOptions::new(Policy::default());
    o.allow_changes = true;
    o.allow_disruptive = disruptive;
    o.timeout = Duration::from_secs(5);
    o.probe_timeout = Duration::from_millis(1500);
    o.flood = Limits {
        requests: 40,
        duration: Duration::from_millis(600),
        connections: 4,
    };
    o
}

/// A suite target.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SuiteTarget {
    Pj(Preset),
    Eve(EveKind, bool),
}

impl SuiteTarget {
    fn name(self) -> String {
        match self {
            SuiteTarget::Pj(Preset::LockedDown) => "paperjam locked-down (ipps)".into(),
            SuiteTarget::Pj(_) => "paperjam wide-open (ipp)".into(),
            SuiteTarget::Eve(k, tls) => {
                format!("{} ({})", k.name(), if tls { "ipps" } else { "ipp" })
            }
        }
    }
}

/// One suite run.
#[derive(Debug, Clone)]
struct SuiteRun {
    seconds: f64,
    results: Vec<CaseResult>,
}

impl SuiteRun {
    fn count(&self, o: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == o).count()
    }

    fn graded(&self) -> usize {
        self.results.len() - self.count(Outcome::Skip)
    }

    fn case_seconds(&self) -> f64 {
        self.results.iter().map(|r| r.elapsed_ms as f64 / 1e3).sum()
    }
}

/// The runs of one target and setting.
struct SuiteRow {
    target: SuiteTarget,
    disruptive: bool,
    runs: std::result::Result<Vec<SuiteRun>, String>,
}

fn run_suite_once(
    crt: &tokio::runtime::Runtime,
    uri: &str,
    plan: PortPlan,
    cases: &[SecurityCase],
    disruptive: bool,
) -> Result<SuiteRun> {
    let target = SecurityTarget {
        ipp: TargetUri::parse(uri).map_err(|e| e.to_string())?,
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        ports: plan,
    };
    let opts = suite_options(disruptive);
    let t = Instant::now();
    let (results, _section) = crt.block_on(run_security_with(&target, cases, &opts, |_| {}));
    Ok(SuiteRun {
        seconds: t.elapsed().as_secs_f64(),
        results,
    })
}

fn suites(
    opts: &Options,
    crt: &tokio::runtime::Runtime,
    srt: &tokio::runtime::Runtime,
    peers: &mut Peers,
    cases: &[SecurityCase],
) -> Vec<SuiteRow> {
    let targets = [
        SuiteTarget::Pj(Preset::LockedDown),
        SuiteTarget::Pj(Preset::WideOpen),
        SuiteTarget::Eve(EveKind::Tls, false),
        SuiteTarget::Eve(EveKind::Tls, true),
        SuiteTarget::Eve(EveKind::Auth, true),
    ];
    let mut rows = Vec::new();
    let settings: &[bool] = if opts.suite_without_disruptive {
        &[false, true]
    } else {
        &[true]
    };
    for &disruptive in settings {
        for target in targets {
            let mut runs = Vec::new();
            let mut missing = None;
            for i in 0..opts.suite_runs {
                let label = format!(
                    "the suite{} (run {})",
                    if disruptive {
                        " with disruptive cases"
                    } else {
                        ""
                    },
                    i + 1
                );
                let run = match target {
                    SuiteTarget::Pj(preset) => (|| {
                        let srv = start_printer(srt, preset_config(preset)?)?;
                        let scheme = if preset == Preset::LockedDown {
                            "ipps"
                        } else {
                            "ipp"
                        };
                        let uri = format!("{scheme}://127.0.0.1:{}{PATH}", srv.ipp_addr.port());
                        let r = run_suite_once(
                            crt,
                            &uri,
                            PortPlan::of_server(&srv, closed_port()),
                            cases,
                            disruptive,
                        );
                        stop_printer(srt, srv);
                        r
                    })(),
                    SuiteTarget::Eve(kind, tls) => match peers.ready(kind, &label) {
                        Err(e) => Err(e),
                        Ok(eve) => {
                            let uri = eve.uri(if tls { "ipps" } else { "ipp" });
                            let plan = PortPlan::ipp_only(eve.port, closed_port());
                            run_suite_once(crt, &uri, plan, cases, disruptive)
                        }
                    },
                };
                match run {
                    Ok(r) => {
                        eprintln!(
                            "{} {label}: {:.2} s, {} graded, {} fail, {} skip",
                            target.name(),
                            r.seconds,
                            r.graded(),
                            r.count(Outcome::Fail),
                            r.count(Outcome::Skip)
                        );
                        runs.push(r);
                    }
                    Err(e) => {
                        eprintln!("{} {label}: missing: {e}", target.name());
                        missing = Some(e);
                        break;
                    }
                }
            }
            // A run that left ippeveprinter dead is noted (and it is restarted) here.
            if let SuiteTarget::Eve(kind, _) = target {
                if let Some(tools) = peers.tools.as_ref() {
                    if let Ok(eve) = match kind {
                        EveKind::Tls => peers.tls.as_mut(),
                        EveKind::Auth => peers.auth.as_mut(),
                    } {
                        let _ = eve.ensure(tools, &format!("{} runs", target.name()));
                    }
                }
            }
            rows.push(SuiteRow {
                target,
                disruptive,
                runs: match missing {
                    Some(e) if runs.is_empty() => Err(e),
                    _ => Ok(runs),
                },
            });
        }
    }
    rows
}

/// The TLS probe alone, against one printer.
struct ProbeRow {
    name: String,
    result: std::result::Result<(Vec<f64>, String), String>,
}

fn probe_summary(r: &tls_probe::TlsReport) -> String {
    let handshake = match &r.handshake {
        Ok(n) => format!("{}, {}", n.version.name(), n.cipher),
        Err(e) => format!("handshake failed: {e}"),
    };
    let accepted: Vec<&str> = r
        .versions
        .iter()
        .filter(|(_, a)| matches!(a, VersionAnswer::Accepted { .. }))
        .map(|(v, _)| v.name())
        .collect();
    let cert = r
        .chain
        .first()
        .map(|c| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            format!(
                "; certificate {}{}",
                c.subject,
                if c.expired_at(now) { ", expired" } else { "" }
            )
        })
        .unwrap_or_default();
    format!(
        "{handshake}; accepts {}{cert}",
        if accepted.is_empty() {
            "nothing".to_string()
        } else {
            accepted.join(", ")
        }
    )
}

fn probe(
    crt: &tokio::runtime::Runtime,
    addr: SocketAddr,
    runs: usize,
) -> Result<(Vec<f64>, String)> {
    let mut times = Vec::new();
    let mut summary = String::new();
    for _ in 0..runs {
        let t = Instant::now();
        let r = crt.block_on(tls_probe::probe_tls(
            addr,
            "localhost",
            Duration::from_millis(1500),
        ));
        times.push(t.elapsed().as_secs_f64());
        summary = probe_summary(&r);
    }
    Ok((times, summary))
}

fn probes(
    opts: &Options,
    crt: &tokio::runtime::Runtime,
    srt: &tokio::runtime::Runtime,
    peers: &mut Peers,
) -> Vec<ProbeRow> {
    let mut out = Vec::new();
    let pj = [
        ("paperjam open, IPP port (IPPS on the same port)", None),
        (
            "paperjam locked-down, IPP port (IPPS only)",
            Some(Preset::LockedDown),
        ),
        (
            "paperjam wide-open, separate IPPS port (TLS 1.0, expired)",
            Some(Preset::WideOpen),
        ),
    ];
    for (name, preset) in pj {
        let separate = preset == Some(Preset::WideOpen);
        let result = (|| {
            let cfg = match preset {
                None => Pj::Open.config()?,
                Some(p) => preset_config(p)?,
            };
            let srv = start_printer(srt, cfg)?;
            let addr = if separate {
                srv.ipps_addr.ok_or("no separate IPPS port")?
            } else {
                srv.ipp_addr
            };
            let r = probe(crt, addr, opts.probe_runs);
            stop_printer(srt, srv);
            r
        })();
        out.push(ProbeRow {
            name: name.into(),
            result,
        });
    }
    let result = peers.ready(EveKind::Tls, "the TLS probe").and_then(|eve| {
        probe(
            crt,
            SocketAddr::from((Ipv4Addr::LOCALHOST, eve.port)),
            opts.probe_runs,
        )
    });
    out.push(ProbeRow {
        name: "ippeveprinter -K (IPPS on the same port)".into(),
        result,
    });
    out
}

// ---------------------------------------------------------------------------
// The run and the report.

fn runtime(name: &str) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the {name} runtime: {e}"))
}

fn run() -> Result<()> {
    let opts = Options::parse();
    let started = Instant::now();
    let work = tempfile::Builder::new()
        .prefix("paperjam-bench-security-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary folder: {e}"))?;
    // The printers' runtime and the clients' runtime: two workers each, as
    // `paperjam serve` and a load generator in processes of their own.
    let srt = runtime("pj-printer")?;
    let crt = runtime("pj-client")?;

    let mut peers = Peers::start(work.path());
    for (kind, slot) in [(EveKind::Tls, &peers.tls), (EveKind::Auth, &peers.auth)] {
        if let Err(why) = slot {
            eprintln!(
                "\n*** {} NOT MEASURED: {why} — its cells say so ***\n",
                kind.name()
            );
        }
    }

    let lap = |what: &str, t: Instant| eprintln!("[{what}: {:.1} s]", t.elapsed().as_secs_f64());
    lap("peers started", started);
    let t = Instant::now();
    let rows = throughput(&opts, &crt, &srt, &mut peers)?;
    lap("throughput", t);
    let t = Instant::now();
    let gate = gate_bench(opts.gate_iterations);
    lap("gate", t);
    let cases = load_dir(&paperjam_suites::security_suite_dir())
        .map_err(|e| format!("the security suite does not load: {e}"))?;
    let t = Instant::now();
    let suite_rows = suites(&opts, &crt, &srt, &mut peers, &cases);
    lap("suites", t);
    let t = Instant::now();
    let probe_rows = probes(&opts, &crt, &srt, &mut peers);
    lap("TLS probes", t);

    let report = render(
        &opts,
        &rows,
        &gate,
        &suite_rows,
        &probe_rows,
        &peers,
        cases.len(),
        started.elapsed(),
    );
    println!("\n{report}");
    let out_dir = PathBuf::from(env!("CARGO_BIN_EXE_paperjam"))
        .parent()
        .and_then(Path::parent)
        .map(|t| t.join("bench"))
        .ok_or("cannot find the target folder")?;
    fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let out = out_dir.join(if opts.quick {
        "security-quick.md"
    } else {
        "security.md"
    });
    fs::write(&out, &report).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("written to {}", out.display());
    drop(peers);
    crt.shutdown_timeout(Duration::from_secs(1));
    srt.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

fn rate_cell(c: &Cell) -> String {
    match c {
        Cell::Ran(m) if m.tally.failed > 0 => format!(
            "{} ({} failed)",
            group_digits(m.rate().round() as u64),
            group_digits(m.tally.failed)
        ),
        Cell::Ran(m) => group_digits(m.rate().round() as u64),
        Cell::Missing(why) if why == "no equivalent" => "—".into(),
        Cell::Missing(_) => "missing".into(),
    }
}

fn cpu_cell(c: &Cell) -> String {
    match c {
        Cell::Ran(m) => m.cpu_us().map_or("—".into(), |us| format!("{us:.0} µs")),
        Cell::Missing(_) => "—".into(),
    }
}

/// A throughput row: request, TLS, printer, authentication.
type RowKey = (Op, bool, Pj, RowAuth);

/// The paperjam or the ippeveprinter cell of a row.
fn side(r: Option<&RowResult>, eve: bool) -> Option<&Cell> {
    r.map(|r| if eve { &r.eve } else { &r.pj })
}

fn rate_of(c: &Cell) -> Option<f64> {
    match c {
        Cell::Ran(m) if m.tally.ok > 0 => Some(m.rate()),
        _ => None,
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "—".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    opts: &Options,
    rows: &[RowResult],
    gate: &Result<Vec<GateTime>>,
    suite_rows: &[SuiteRow],
    probe_rows: &[ProbeRow],
    peers: &Peers,
    case_count: usize,
    elapsed: Duration,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# What security costs: paperjam vs ippeveprinter\n");
    let _ = writeln!(
        s,
        "{} · nproc {} · {} · {} a round, median of {} per cell{} · paperjam {} in process (2 printer threads, 2 client threads) · ippeveprinter {} · whole run {:.0} s\n",
        utc_now(),
        thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        cpu_model(),
        format_args!("{:.1} s", opts.cell.as_secs_f64()),
        opts.rounds,
        if opts.quick { " (--quick)" } else { "" },
        env!("CARGO_PKG_VERSION"),
        if peers.version.is_empty() { "not installed" } else { &peers.version },
        elapsed.as_secs_f64(),
    );
    for (kind, slot) in [(EveKind::Tls, &peers.tls), (EveKind::Auth, &peers.auth)] {
        if let Err(why) = slot {
            let _ = writeln!(s, "**{} not measured: {why}.**\n", kind.name());
        }
    }

    let _ = writeln!(s, "## Requests per second over keep-alive connections\n");
    let _ = writeln!(
        s,
        "| request | transport | authentication | conns | paperjam req/s | paperjam CPU/req | ippeveprinter req/s | ippeveprinter CPU/req | paperjam / ippeveprinter |"
    );
    let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.spec.op.label(),
            if r.spec.tls { "TLS" } else { "plain" },
            r.spec.what,
            r.connections,
            rate_cell(&r.pj),
            cpu_cell(&r.pj),
            rate_cell(&r.eve),
            cpu_cell(&r.eve),
            ratio(rate_of(&r.pj), rate_of(&r.eve)),
        );
    }
    let _ = writeln!(
        s,
        "\nCounted: answers that are HTTP 200 with `successful-ok`; anything else is a failure (in brackets). \
         CPU/req: the server's user + system time over the cell (paperjam: its `pj-printer` threads; \
         ippeveprinter: its process) per answered request, in 10 ms ticks, so coarse on short cells. \
         The load client runs in this process on the same two cores.\n"
    );
    let find = |op: Op, tls: bool, pj: Pj, auth: RowAuth, n: usize| {
        rows.iter().find(|r| {
            r.spec.op == op
                && r.spec.tls == tls
                && r.spec.pj == pj
                && r.spec.auth == auth
                && r.connections == n
        })
    };
    let _ = writeln!(
        s,
        "What each layer costs: the rate without it / with it, and the server's CPU per request without → with it \
         (the CPU is the steadier measure on a shared machine).\n"
    );
    let _ = writeln!(
        s,
        "| layer | conns | paperjam rate ratio | paperjam CPU/req | ippeveprinter rate ratio | ippeveprinter CPU/req |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    let layers: [(&str, RowKey, RowKey); 6] = [
        (
            "TLS (GPA)",
            (Op::Gpa, false, Pj::Open, RowAuth::None),
            (Op::Gpa, true, Pj::Open, RowAuth::None),
        ),
        (
            "TLS (Validate-Job)",
            (Op::Validate, false, Pj::Open, RowAuth::None),
            (Op::Validate, true, Pj::Open, RowAuth::None),
        ),
        (
            "locked-down gate on a query (GPA over TLS) · `-A`",
            (Op::Gpa, true, Pj::Open, RowAuth::None),
            (Op::Gpa, true, Pj::LockedDown, RowAuth::None),
        ),
        (
            "Digest (Validate-Job, plain) · Basic + PAM",
            (Op::Validate, false, Pj::Open, RowAuth::None),
            (Op::Validate, false, Pj::DigestPlain, RowAuth::Digest),
        ),
        (
            "Digest (Validate-Job over TLS) · Basic + PAM",
            (Op::Validate, true, Pj::Open, RowAuth::None),
            (Op::Validate, true, Pj::LockedDown, RowAuth::Digest),
        ),
        (
            "a new 401 before each request, not a reused nonce",
            (Op::Validate, true, Pj::LockedDown, RowAuth::Digest),
            (Op::Validate, true, Pj::LockedDown, RowAuth::DigestFresh),
        ),
    ];
    for (name, without, with) in layers {
        for &n in &opts.connections {
            let a = find(without.0, without.1, without.2, without.3, n);
            let b = find(with.0, with.1, with.2, with.3, n);
            let cells = |eve: bool| {
                let rate = |r: Option<&RowResult>| side(r, eve).and_then(rate_of);
                let cpu = |r: Option<&RowResult>| {
                    side(r, eve).and_then(|c| match c {
                        Cell::Ran(m) => m.cpu_us(),
                        Cell::Missing(_) => None,
                    })
                };
                let cpu_text = match (cpu(a), cpu(b)) {
                    (Some(x), Some(y)) => format!("{x:.0} → {y:.0} µs"),
                    _ => "—".into(),
                };
                (ratio(rate(a), rate(b)), cpu_text)
            };
            let (pr, pc) = cells(false);
            let (er, ec) = cells(true);
            let _ = writeln!(s, "| {name} | {n} | {pr} | {pc} | {er} | {ec} |");
        }
    }
    let failures: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            let row = format!(
                "{} {} {} ×{}",
                r.spec.op.label(),
                if r.spec.tls { "TLS" } else { "plain" },
                r.spec.what,
                r.connections
            );
            [("paperjam", &r.pj), ("ippeveprinter", &r.eve)]
                .into_iter()
                .filter_map(move |(who, c)| match c {
                    Cell::Ran(m) if m.tally.failed > 0 => Some(format!(
                        "- {who}, {row}: {} failed, first: {}",
                        m.tally.failed,
                        m.tally.first_failure.as_deref().unwrap_or("?")
                    )),
                    Cell::Missing(why) if why != "no equivalent" => {
                        Some(format!("- {who}, {row}: missing: {why}"))
                    }
                    _ => None,
                })
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(s, "\nFailures and missing cells:\n");
        for f in failures {
            let _ = writeln!(s, "{f}");
        }
    }
    let _ = writeln!(
        s,
        "\nThe printers: {}; {}; {}.",
        Pj::Open.describe(),
        Pj::DigestPlain.describe(),
        Pj::LockedDown.describe()
    );

    let _ = writeln!(
        s,
        "\n## The gate alone (no I/O, {} calls each)\n",
        group_digits(u64::from(opts.gate_iterations))
    );
    match gate {
        Ok(v) => {
            let _ = writeln!(s, "| call | ns per call |");
            let _ = writeln!(s, "|---|---:|");
            for g in v {
                let _ = writeln!(s, "| {} | {} |", g.what, group_digits(g.ns.round() as u64));
            }
        }
        Err(e) => {
            let _ = writeln!(s, "The gate benchmark failed: {e}");
        }
    }

    let _ = writeln!(
        s,
        "\n## The security suite ({case_count} cases; {} run(s) per row, changes allowed; flood 40 requests / 600 ms / 4 connections)\n",
        opts.suite_runs
    );
    let _ = writeln!(
        s,
        "| target | disruptive | s per run (mean, min–max) | graded / skipped | fail | s per graded case | outside cases | slowest case |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---|");
    for row in suite_rows {
        let d = if row.disruptive { "yes" } else { "no" };
        match &row.runs {
            Err(e) => {
                let _ = writeln!(
                    s,
                    "| {} | {d} | missing: {e} | | | | | |",
                    row.target.name()
                );
            }
            Ok(runs) if runs.is_empty() => {
                let _ = writeln!(s, "| {} | {d} | no run | | | | | |", row.target.name());
            }
            Ok(runs) => {
                let n = runs.len() as f64;
                let mean = runs.iter().map(|r| r.seconds).sum::<f64>() / n;
                let min = runs.iter().map(|r| r.seconds).fold(f64::MAX, f64::min);
                let max = runs.iter().map(|r| r.seconds).fold(0.0, f64::max);
                let last = &runs[runs.len() - 1];
                let outside = runs
                    .iter()
                    .map(|r| r.seconds - r.case_seconds())
                    .sum::<f64>()
                    / n;
                // The slowest case, by its mean over the runs.
                let mut by_case: Vec<(String, f64)> = last
                    .results
                    .iter()
                    .map(|c| {
                        let ms: f64 = runs
                            .iter()
                            .filter_map(|r| r.results.iter().find(|x| x.id == c.id))
                            .map(|x| x.elapsed_ms as f64)
                            .sum();
                        (c.id.clone(), ms / n / 1e3)
                    })
                    .collect();
                by_case.sort_by(|a, b| b.1.total_cmp(&a.1));
                let slowest = by_case
                    .first()
                    .map(|(id, secs)| format!("`{id}` {secs:.2} s"))
                    .unwrap_or_default();
                let graded = last.graded().max(1) as f64;
                let _ = writeln!(
                    s,
                    "| {} | {d} | {mean:.2} ({min:.2}–{max:.2}) | {} / {} | {} | {:.3} | {outside:.2} s | {slowest} |",
                    row.target.name(),
                    last.graded(),
                    last.count(Outcome::Skip),
                    last.count(Outcome::Fail),
                    mean / graded,
                );
            }
        }
    }
    if !opts.suite_without_disruptive {
        let _ = writeln!(
            s,
            "\n(--quick: with the disruptive cases only; they run last, so the run without them is the time before them.)"
        );
    }
    let _ = writeln!(
        s,
        "\n\"Outside cases\": the run's time not inside any case (the exposure scan of every port in the plan, before the first case). \
         Outcome counts are from the last run.\n"
    );
    // The slow cases, per target (mean over runs, over 0.1 s).
    let mut slow = Vec::new();
    for row in suite_rows.iter().filter(|r| r.disruptive) {
        if let Ok(runs) = &row.runs {
            if let Some(last) = runs.last() {
                let n = runs.len() as f64;
                let mut v: Vec<(String, f64)> = last
                    .results
                    .iter()
                    .map(|c| {
                        let ms: f64 = runs
                            .iter()
                            .filter_map(|r| r.results.iter().find(|x| x.id == c.id))
                            .map(|x| x.elapsed_ms as f64)
                            .sum();
                        (c.id.clone(), ms / n / 1e3)
                    })
                    .filter(|(_, secs)| *secs >= 0.1)
                    .collect();
                v.sort_by(|a, b| b.1.total_cmp(&a.1));
                let list: Vec<String> = v
                    .iter()
                    .map(|(id, secs)| format!("`{id}` {secs:.2} s"))
                    .collect();
                slow.push(format!(
                    "- {}: {}",
                    row.target.name(),
                    if list.is_empty() {
                        "none".into()
                    } else {
                        list.join(", ")
                    }
                ));
            }
        }
    }
    if !slow.is_empty() {
        let _ = writeln!(
            s,
            "Cases of 0.1 s or more (with the disruptive cases, mean over the runs):\n"
        );
        for l in slow {
            let _ = writeln!(s, "{l}");
        }
    }

    // What failed, and what did not give the same verdict in every run.
    let _ = writeln!(
        s,
        "\nFailed cases (last run) and cases whose outcome changed between runs:\n"
    );
    for row in suite_rows {
        let Ok(runs) = &row.runs else { continue };
        let Some(last) = runs.last() else { continue };
        let failed: Vec<&str> = last
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .map(|r| r.id.trim_start_matches("security/"))
            .collect();
        let unstable: Vec<String> = last
            .results
            .iter()
            .filter_map(|c| {
                let seen: Vec<&str> = runs
                    .iter()
                    .filter_map(|r| r.results.iter().find(|x| x.id == c.id))
                    .map(|x| x.outcome.as_str())
                    .collect();
                seen.iter().any(|o| *o != seen[0]).then(|| {
                    format!(
                        "`{}` ({})",
                        c.id.trim_start_matches("security/"),
                        seen.join(", ")
                    )
                })
            })
            .collect();
        let _ = writeln!(
            s,
            "- {}, disruptive {}: fail {}{}",
            row.target.name(),
            if row.disruptive { "yes" } else { "no" },
            if failed.is_empty() {
                "none".to_string()
            } else {
                failed.join(", ")
            },
            if unstable.is_empty() {
                String::new()
            } else {
                format!("; **changed between runs**: {}", unstable.join(", "))
            }
        );
    }
    let _ = writeln!(
        s,
        "\n## The TLS probe alone ({} run(s) each)\n",
        opts.probe_runs
    );
    let _ = writeln!(
        s,
        "| printer, port | ms per probe (mean, min) | what it found |"
    );
    let _ = writeln!(s, "|---|---:|---|");
    for p in probe_rows {
        match &p.result {
            Ok((times, summary)) => {
                let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
                let min = times.iter().copied().fold(f64::MAX, f64::min);
                let _ = writeln!(
                    s,
                    "| {} | {:.1} ({:.1}) | {summary} |",
                    p.name,
                    mean * 1e3,
                    min * 1e3
                );
            }
            Err(e) => {
                let _ = writeln!(s, "| {} | missing | {e} |", p.name);
            }
        }
    }
    let _ = writeln!(s, "\nOne probe: a full rustls handshake (TLS 1.2 + 1.3, the chain recorded) and one ClientHello for each of TLS 1.0, 1.1, 1.2, 1.3, each on a new connection.");

    let notes: Vec<String> = [&peers.tls, &peers.auth]
        .into_iter()
        .filter_map(|e| e.as_ref().ok())
        .flat_map(|e| e.notes.clone())
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(s, "\nippeveprinter restarts:\n");
        for n in notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    s
}
