//! paperjam against CUPS' `ippeveprinter`, IPP over HTTP on loopback, driven by `wrk`.
//!
//! `cargo bench --bench ipp` (full: 5 s a row) or `cargo bench --bench ipp -- --quick`
//! (1 s a row, 1 and 16 connections and Print-Job only: the CI smoke run).
//!
//! Both servers run as child processes, so each one's peak RSS (`VmHWM` in
//! `/proc/PID/status`) is its own: `paperjam serve` (the binary cargo builds
//! for this bench, `--speed instant --no-tls`, spool in a temporary folder)
//! and `ippeveprinter` on a private D-Bus system bus, as
//! `/work/shared/PEERS.md` describes. Readiness is polled (a
//! Get-Printer-Attributes that gets HTTP 200), never waited for by sleeping.
//!
//! The IPP request bodies are written here byte by byte: Get-Printer-Attributes
//! for `all`, Get-Printer-Attributes for `printer-state,printer-state-reasons`,
//! and Print-Job with a 1 MiB `application/pdf` document (a real one-page PDF
//! padded with comment lines). `wrk` posts them from a generated Lua script
//! whose `response` callback counts non-200 answers, IPP status codes of
//! 0x0400 and above, and `server-error-busy` (0x0507) apart; `done` adds up
//! every thread's counters and prints one parsable line.
//!
//! A peer that exits during a row is reported as "crashed" and restarted for
//! the next row. The Markdown table goes to stdout and to
//! `target/bench/ipp.md` (`ipp-quick.md` for `--quick`).
//!
//! Missing tools do not fail the run: without `wrk` it prints
//! "skipped: wrk not installed"; without `ippeveprinter` (or `dbus-daemon`)
//! it prints "ippeveprinter not installed: column omitted".
//!
//! Everything stays on 127.0.0.1.

mod common;

use common::PrivateDbus;
use common::{cpu_model, find_tool, free_port, group_digits, ipp_request, utc_now};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

type Result<T> = std::result::Result<T, String>;

/// How long a server may take to answer its first request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a server may take to answer again once a row's load has stopped.
const AFTER_ROW_TIMEOUT: Duration = Duration::from_secs(10);

/// Between two readiness probes.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Size of the Print-Job document.
const DOCUMENT_BYTES: usize = 1 << 20;

/// A real one-page PDF; padded to [`DOCUMENT_BYTES`].
const PDF: &[u8] = include_bytes!("../fixtures/documents/document-a4.pdf");

/// The issue's targets, checked at the end of a full run.
const TARGET_GPA_RATIO_AT_16: f64 = 4.0;
const TARGET_PRINT_JOB_RATIO: f64 = 2.0;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench ipp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line options. `cargo bench` adds `--bench`; anything else unknown is ignored.
struct Options {
    quick: bool,
    seconds: u32,
}

impl Options {
    fn parse() -> Options {
        let quick = std::env::args().skip(1).any(|a| a == "--quick");
        Options {
            quick,
            seconds: if quick { 1 } else { 5 },
        }
    }
}

/// One IPP request body kind.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Request {
    GpaAll,
    GpaState,
    PrintJob,
}

impl Request {
    fn label(self) -> &'static str {
        match self {
            Request::GpaAll => "GPA `all`",
            Request::GpaState => "GPA state-only",
            Request::PrintJob => "Print-Job 1 MiB PDF",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Request::GpaAll => "gpa-all",
            Request::GpaState => "gpa-state",
            Request::PrintJob => "print-job",
        }
    }

    /// The IPP body for the printer at `uri`.
    fn body(self, uri: &str) -> Vec<u8> {
        match self {
            Request::GpaAll => {
                ipp_request(0x000B, 1, uri, &[(0x44, "requested-attributes", &[b"all"])])
            }
            Request::GpaState => ipp_request(
                0x000B,
                1,
                uri,
                &[(
                    0x44,
                    "requested-attributes",
                    &[b"printer-state", b"printer-state-reasons"],
                )],
            ),
            Request::PrintJob => {
                let mut b = ipp_request(
                    0x0002,
                    1,
                    uri,
                    &[
                        (0x42, "requesting-user-name", &[b"bench"]),
                        (0x42, "job-name", &[b"bench-1MiB"]),
                        (0x49, "document-format", &[b"application/pdf"]),
                    ],
                );
                b.extend_from_slice(&padded_pdf());
                b
            }
        }
    }
}

/// One row of the table.
struct Scenario {
    request: Request,
    connections: u32,
    /// Whether ippeveprinter is run on it (10,000 connections: paperjam only).
    peer: bool,
    /// Whether paperjam is run on it.
    paperjam: bool,
}

fn scenarios(quick: bool) -> Vec<Scenario> {
    let mut v = Vec::new();
    let counts: &[u32] = if quick {
        &[1, 16]
    } else {
        &[1, 16, 100, 500, 1000, 10_000]
    };
    for request in [Request::GpaAll, Request::GpaState] {
        for &c in counts {
            v.push(Scenario {
                request,
                connections: c,
                peer: c <= 1000,
                paperjam: true,
            });
        }
    }
    v.push(Scenario {
        request: Request::PrintJob,
        connections: 10,
        peer: true,
        paperjam: true,
    });
    v
}

/// [`PDF`] followed by comment lines and a final `%%EOF`, exactly [`DOCUMENT_BYTES`] long.
fn padded_pdf() -> Vec<u8> {
    let mut d = PDF.to_vec();
    let tail = b"%%EOF\n";
    let line = [b"%".as_slice(), &[b'x'; 78], b"\n"].concat();
    while d.len() + line.len() + tail.len() <= DOCUMENT_BYTES {
        d.extend_from_slice(&line);
    }
    while d.len() + tail.len() < DOCUMENT_BYTES {
        d.push(b'\n');
    }
    d.extend_from_slice(tail);
    d
}

/// The wrk script: POST the body file, count errors per thread, add them up in `done`.
fn lua_script(body: &Path) -> String {
    format!(
        r#"-- generated by benches/ipp.rs
local f = assert(io.open({path:?}, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/ipp"

local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end

non200 = 0
ipp_err = 0
busy = 0
function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  elseif body == nil or #body < 8 then
    ipp_err = ipp_err + 1
  else
    local code = body:byte(3) * 256 + body:byte(4)
    if code == 0x0507 then
      busy = busy + 1
    elseif code >= 0x0400 then
      ipp_err = ipp_err + 1
    end
  end
end

function done(summary, latency, requests)
  local non200, ipp_err, busy = 0, 0, 0
  for _, t in ipairs(threads) do
    non200 = non200 + (t:get("non200") or 0)
    ipp_err = ipp_err + (t:get("ipp_err") or 0)
    busy = busy + (t:get("busy") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "PAPERJAM_BENCH requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d non200=%d ipp_err=%d busy=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    non200, ipp_err, busy, latency:percentile(50), latency:percentile(99)))
end
"#,
        path = body.display().to_string()
    )
}

/// What one wrk run measured.
#[derive(Clone, Debug, Default)]
struct Measured {
    requests: u64,
    seconds: f64,
    connect: u64,
    read: u64,
    write: u64,
    timeout: u64,
    non200: u64,
    ipp_err: u64,
    busy: u64,
    p50_us: u64,
    p99_us: u64,
}

impl Measured {
    fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Answers that were neither an error nor busy, per second.
    fn accepted_rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests.saturating_sub(self.errors() + self.busy) as f64 / self.seconds
        } else {
            0.0
        }
    }

    fn socket_errors(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout
    }

    /// Socket errors + non-200 + IPP ≥ 0x0400 (busy apart).
    fn errors(&self) -> u64 {
        self.socket_errors() + self.non200 + self.ipp_err
    }

    fn parse(line: &str) -> Result<Measured> {
        let mut kv = BTreeMap::new();
        for pair in line.split_whitespace().skip(1) {
            if let Some((k, v)) = pair.split_once('=') {
                let n: u64 = v
                    .parse()
                    .map_err(|_| format!("bad number in wrk output: {pair}"))?;
                kv.insert(k.to_string(), n);
            }
        }
        let get = |k: &str| {
            kv.get(k)
                .copied()
                .ok_or_else(|| format!("wrk output lacks {k}: {line}"))
        };
        Ok(Measured {
            requests: get("requests")?,
            seconds: get("duration_us")? as f64 / 1e6,
            connect: get("connect")?,
            read: get("read")?,
            write: get("write")?,
            timeout: get("timeout")?,
            non200: get("non200")?,
            ipp_err: get("ipp_err")?,
            busy: get("busy")?,
            p50_us: get("p50_us")?,
            p99_us: get("p99_us")?,
        })
    }
}

/// The result of one cell.
#[derive(Clone, Debug)]
enum Cell {
    Ran(Measured),
    /// The server process exited during the row (or right after it), with its exit status.
    Crashed(String, Option<Measured>),
    /// The process was still there but did not answer a Get-Printer-Attributes after the row.
    Unresponsive(Option<Measured>),
    /// wrk itself failed.
    Failed(String),
    /// Not run for this target.
    Skipped,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Paperjam,
    IppEvePrinter,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Paperjam => "paperjam",
            Kind::IppEvePrinter => "ippeveprinter",
        }
    }
}

/// A server under test, run as a child process and restarted after a crash.
struct Server {
    kind: Kind,
    program: PathBuf,
    /// The private D-Bus address (ippeveprinter only).
    dbus: Option<String>,
    dir: PathBuf,
    child: Option<Child>,
    port: u16,
    /// Highest VmHWM seen across every instance, kB.
    peak_kb: u64,
    starts: u32,
    /// The row last run, for notes about a death noticed only at the next row.
    last_row: Option<String>,
    /// Events worth a line under the table.
    notes: Vec<String>,
    /// How the last instance ended, once it has.
    exit: Option<String>,
}

impl Server {
    fn new(kind: Kind, program: PathBuf, dbus: Option<String>, dir: PathBuf) -> Server {
        Server {
            kind,
            program,
            dbus,
            dir,
            child: None,
            port: 0,
            peak_kb: 0,
            starts: 0,
            exit: None,
            last_row: None,
            notes: Vec::new(),
        }
    }

    fn uri(&self) -> String {
        format!("ipp://127.0.0.1:{}/ipp/print", self.port)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/ipp/print", self.port)
    }

    fn log(&self) -> PathBuf {
        self.dir
            .join(format!("{}-{}.log", self.kind.name(), self.starts))
    }

    /// Starts a fresh instance and waits until it answers Get-Printer-Attributes.
    fn start(&mut self) -> Result<()> {
        self.stop();
        self.exit = None;
        self.starts += 1;
        let spool = self.dir.join(format!("spool-{}", self.starts));
        fs::create_dir_all(&spool)
            .map_err(|e| format!("cannot create {}: {e}", spool.display()))?;
        let log = self.log();
        let log_file =
            File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
        match self.kind {
            Kind::Paperjam => {
                let mut child = Command::new(&self.program)
                    .args(["serve", "--ipp-port", "0", "--speed", "instant", "--no-tls"])
                    .args(["--max-connections", "16384", "--spool"])
                    .arg(&spool)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(log_err)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", self.program.display()))?;
                let stdout = child.stdout.take();
                self.child = Some(child);
                let uri = first_ipp_uri(stdout, STARTUP_TIMEOUT)
                    .map_err(|e| format!("paperjam serve: {e}; log: {}", tail(&log)))?;
                self.port =
                    port_of(&uri).ok_or_else(|| format!("no port in paperjam's URI {uri}"))?;
            }
            Kind::IppEvePrinter => {
                self.port = free_port()?;
                let child = Command::new(&self.program)
                    .args([
                        "-p",
                        &self.port.to_string(),
                        "-r",
                        "off",
                        "-n",
                        "localhost",
                        "-k",
                        "-d",
                    ])
                    .arg(&spool)
                    .args(["-c", "/bin/true", "-2", "-f"])
                    .arg("application/pdf,image/jpeg,image/pwg-raster,image/urf")
                    .arg("Peer")
                    .env(
                        "DBUS_SYSTEM_BUS_ADDRESS",
                        self.dbus.as_deref().unwrap_or_default(),
                    )
                    .stdin(Stdio::null())
                    .stdout(log_file)
                    .stderr(log_err)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", self.program.display()))?;
                self.child = Some(child);
            }
        }
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let gpa = Request::GpaState.body(&self.uri());
        loop {
            if let Ok((200, _)) = post_once(self.port, &gpa) {
                return Ok(());
            }
            if !self.alive() {
                return Err(format!(
                    "{} exited while starting; log: {}",
                    self.kind.name(),
                    tail(&log)
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} did not answer within {STARTUP_TIMEOUT:?}; log: {}",
                    self.kind.name(),
                    tail(&log)
                ));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn alive(&mut self) -> bool {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => true,
            Some(Ok(Some(status))) => {
                self.exit.get_or_insert_with(|| status.to_string());
                false
            }
            Some(Err(e)) => {
                self.exit.get_or_insert_with(|| e.to_string());
                false
            }
            None => false,
        }
    }

    /// Records the instance's VmHWM into [`Server::peak_kb`].
    fn sample_rss(&mut self) {
        if let Some(kb) = self.pid().and_then(|pid| status_kb(pid, "VmHWM:")) {
            self.peak_kb = self.peak_kb.max(kb);
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            if matches!(c.try_wait(), Ok(None)) {
                let _ = c.kill();
            }
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads the child's stdout until its first `ipp://` line (paperjam's ready signal),
/// then keeps draining it in the background so the child never blocks on a full pipe.
fn first_ipp_uri(stdout: Option<std::process::ChildStdout>, timeout: Duration) -> Result<String> {
    let stdout = stdout.ok_or("stdout not piped")?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.trim().starts_with("ipp://") => return Ok(line.trim().to_string()),
            Ok(_) => {}
            Err(_) => return Err(format!("printed no ipp:// URI within {timeout:?}")),
        }
    }
}

fn port_of(uri: &str) -> Option<u16> {
    let rest = uri.strip_prefix("ipp://")?;
    let authority = rest.split('/').next()?;
    authority.rsplit_once(':')?.1.parse().ok()
}

/// One POST with `Connection: close`; returns the HTTP status and the IPP status code.
fn post_once(port: u16, body: &[u8]) -> Result<(u16, u16)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_millis(500)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST /ipp/print HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/ipp\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    s.write_all(body).map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 16384];
    // Read until the whole body announced by Content-Length is here (or EOF).
    loop {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
        if let Some(end) = reply.windows(4).position(|w| w == b"\r\n\r\n") {
            let headers = String::from_utf8_lossy(&reply[..end]).to_ascii_lowercase();
            let len = headers
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if len.is_some_and(|len| reply.len() >= end + 4 + len) {
                break;
            }
        }
    }
    let end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP header in the reply")?;
    let status_line = String::from_utf8_lossy(&reply[..end]);
    let http: u16 = status_line
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

/// A `kB` field of `/proc/PID/status`, e.g. `VmHWM:`.
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn tail(path: &Path) -> String {
    let text = fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(1500);
    String::from_utf8_lossy(&text[start..]).into_owned()
}

/// Runs one wrk row against `server`.
fn run_wrk(
    wrk: &Path,
    server: &mut Server,
    sc: &Scenario,
    seconds: u32,
    work: &Path,
) -> Result<Cell> {
    if !server.alive() {
        if let (Some(how), Some(last)) = (server.exit.clone(), server.last_row.clone()) {
            // Died after the previous row's check passed: note it against that row.
            let note = format!(
                "{} died ({how}) after the {last} row had ended and passed its check",
                server.kind.name()
            );
            eprintln!("  {note}; starting it again");
            server.notes.push(note);
        }
        server.start()?;
    }
    let row_name = format!("{} {}-connection", sc.request.label(), sc.connections);
    server.last_row = Some(row_name);
    let stem = format!(
        "{}-{}-c{}",
        server.kind.name(),
        sc.request.slug(),
        sc.connections
    );
    let body_path = work.join(format!("{stem}.ipp"));
    let body = sc.request.body(&server.uri());
    fs::write(&body_path, &body)
        .map_err(|e| format!("cannot write {}: {e}", body_path.display()))?;
    let lua_path = work.join(format!("{stem}.lua"));
    fs::write(&lua_path, lua_script(&body_path))
        .map_err(|e| format!("cannot write {}: {e}", lua_path.display()))?;
    let threads = sc.connections.min(2);
    let out = Command::new(wrk)
        .arg(format!("-t{threads}"))
        .arg(format!("-c{}", sc.connections))
        .arg(format!("-d{seconds}s"))
        .arg("-s")
        .arg(&lua_path)
        .arg(server.url())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let measured = stdout
        .lines()
        .find(|l| l.starts_with("PAPERJAM_BENCH "))
        .map(Measured::parse)
        .transpose()?;
    server.sample_rss();
    // Polled after the row: a server that died or hung as the load ended shows here.
    let probe = Request::GpaState.body(&server.uri());
    let deadline = Instant::now() + AFTER_ROW_TIMEOUT;
    let answered = loop {
        if matches!(post_once(server.port, &probe), Ok((200, _))) {
            break true;
        }
        if !server.alive() || Instant::now() >= deadline {
            break false;
        }
        thread::sleep(POLL_INTERVAL);
    };
    if !server.alive() {
        let how = server.exit.clone().unwrap_or_default();
        eprintln!(
            "  {} exited during the row ({how}); restarting it for the next one",
            server.kind.name()
        );
        // Reported against this row already: not again as a death between rows.
        server.last_row = None;
        return Ok(Cell::Crashed(how, measured));
    }
    if !answered {
        eprintln!(
            "  {} stopped answering after the row; restarting it for the next one",
            server.kind.name()
        );
        server.stop();
        server.last_row = None;
        return Ok(Cell::Unresponsive(measured));
    }
    Ok(match measured {
        Some(m) => Cell::Ran(m),
        None => Cell::Failed(format!(
            "wrk exited {} without a result: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    })
}

fn run() -> Result<()> {
    let opts = Options::parse();
    let Some(wrk) = find_tool("wrk") else {
        println!("skipped: wrk not installed");
        return Ok(());
    };
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_paperjam"));
    if !binary.is_file() {
        return Err(format!(
            "paperjam binary {} is missing: run `cargo build --release`",
            binary.display()
        ));
    }
    let work = tempfile::Builder::new()
        .prefix("paperjam-bench-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary folder: {e}"))?;
    let mut paperjam = Server::new(
        Kind::Paperjam,
        binary.clone(),
        None,
        work.path().join("paperjam"),
    );
    fs::create_dir_all(&paperjam.dir).map_err(|e| e.to_string())?;
    paperjam.start()?;

    // ippeveprinter and its private bus, when installed.
    let peer_tools = find_tool("ippeveprinter").zip(find_tool("dbus-daemon"));
    let mut _dbus = None;
    let mut peer = match peer_tools {
        Some((eve, dbus_daemon)) => {
            let dir = work.path().join("ippeveprinter");
            fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let bus = PrivateDbus::start(&dbus_daemon, &dir)?;
            let mut s = Server::new(Kind::IppEvePrinter, eve, Some(bus.address.clone()), dir);
            _dbus = Some(bus);
            s.start()?;
            Some(s)
        }
        None => {
            println!("ippeveprinter not installed: column omitted");
            None
        }
    };

    // Each body once, to show both printers accept it.
    let mut checks = Vec::new();
    for request in [Request::GpaAll, Request::GpaState, Request::PrintJob] {
        for s in std::iter::once(&mut paperjam).chain(peer.as_mut()) {
            let line = match post_once(s.port, &request.body(&s.uri())) {
                Ok((http, ipp)) => format!(
                    "{} {}: HTTP {http}, IPP status {ipp:#06x}",
                    s.kind.name(),
                    request.label()
                ),
                Err(e) => format!("{} {}: {e}", s.kind.name(), request.label()),
            };
            println!("check: {line}");
            checks.push(line);
        }
    }

    let mut rows = Vec::new();
    for sc in scenarios(opts.quick) {
        eprintln!(
            "row: {} at {} connections",
            sc.request.label(),
            sc.connections
        );
        let pj = if sc.paperjam {
            run_wrk(&wrk, &mut paperjam, &sc, opts.seconds, work.path())?
        } else {
            Cell::Skipped
        };
        let eve = match peer.as_mut() {
            Some(p) if sc.peer => run_wrk(&wrk, p, &sc, opts.seconds, work.path())?,
            _ => Cell::Skipped,
        };
        eprintln!("  paperjam: {}  ippeveprinter: {}", short(&pj), short(&eve));
        rows.push((sc, pj, eve));
    }
    paperjam.sample_rss();
    if let Some(p) = peer.as_mut() {
        p.sample_rss();
    }

    let report = render(&opts, &wrk, &rows, &paperjam, peer.as_ref(), &checks);
    println!("\n{report}");
    let out_dir = binary
        .parent()
        .and_then(Path::parent)
        .map(|t| t.join("bench"))
        .ok_or("cannot find the target folder")?;
    fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let out = out_dir.join(if opts.quick { "ipp-quick.md" } else { "ipp.md" });
    fs::write(&out, &report).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("written to {}", out.display());
    Ok(())
}

fn short(c: &Cell) -> String {
    match c {
        Cell::Ran(m) => format!(
            "{:.0} req/s, {} errors, {} busy",
            m.rate(),
            m.errors(),
            m.busy
        ),
        Cell::Crashed(how, _) => format!("crashed ({how})"),
        Cell::Unresponsive(_) => "stopped answering".into(),
        Cell::Failed(e) => format!("failed: {e}"),
        Cell::Skipped => "-".into(),
    }
}

fn rate_cell(c: &Cell) -> String {
    match c {
        Cell::Ran(m) => group_digits(m.rate().round() as u64),
        Cell::Crashed(..) => "crashed".into(),
        Cell::Unresponsive(Some(m)) => {
            format!("{}, then hung", group_digits(m.rate().round() as u64))
        }
        Cell::Unresponsive(None) => "hung".into(),
        Cell::Failed(_) => "failed".into(),
        Cell::Skipped => "—".into(),
    }
}

fn error_cell(c: &Cell) -> String {
    match c {
        Cell::Ran(m) if m.busy > 0 => format!(
            "{} (busy {})",
            group_digits(m.errors()),
            group_digits(m.busy)
        ),
        Cell::Ran(m) => group_digits(m.errors()),
        Cell::Unresponsive(Some(m)) => format!("{} (then hung)", group_digits(m.errors() + m.busy)),
        // wrk goes on hammering a dead port: its counts say nothing; see "Errors by kind".
        Cell::Crashed(..) | Cell::Unresponsive(None) | Cell::Failed(_) | Cell::Skipped => {
            "—".into()
        }
    }
}

fn breakdown(m: &Measured) -> String {
    format!(
        "connect {}, read {}, write {}, timeout {}, non-200 {}, IPP ≥ 0x0400 {}, busy {}",
        m.connect, m.read, m.write, m.timeout, m.non200, m.ipp_err, m.busy
    )
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

fn render(
    opts: &Options,
    wrk: &Path,
    rows: &[(Scenario, Cell, Cell)],
    paperjam: &Server,
    peer: Option<&Server>,
    checks: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# IPP over HTTP on loopback: paperjam vs ippeveprinter\n"
    );
    let _ = writeln!(
        s,
        "{} · nproc {} · {} · {} · {} s a row{} · paperjam {} (`serve --speed instant --no-tls`) · {}\n",
        utc_now(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        cpu_model(),
        tool_version(wrk, "-v"),
        opts.seconds,
        if opts.quick { " (--quick)" } else { "" },
        env!("CARGO_PKG_VERSION"),
        if peer.is_some() { "ippeveprinter from CUPS (`-c /bin/true -k`)" } else { "ippeveprinter not installed: column omitted" },
    );
    let with_peer = peer.is_some();
    if with_peer {
        let _ = writeln!(s, "| scenario | conns | paperjam req/s | ippeveprinter req/s | ratio | paperjam errors | ippeveprinter errors |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    } else {
        let _ = writeln!(s, "| scenario | conns | paperjam req/s | paperjam errors |");
        let _ = writeln!(s, "|---|---:|---:|---:|");
    }
    for (sc, pj, eve) in rows {
        let conns = group_digits(u64::from(sc.connections));
        if with_peer {
            let ratio = match (pj, eve) {
                (Cell::Ran(a), Cell::Ran(b)) if b.rate() > 0.0 => {
                    format!("{:.1}×", a.rate() / b.rate())
                }
                _ => "—".into(),
            };
            let _ = writeln!(
                s,
                "| {} | {conns} | {} | {} | {ratio} | {} | {} |",
                sc.request.label(),
                rate_cell(pj),
                rate_cell(eve),
                error_cell(pj),
                error_cell(eve)
            );
        } else {
            let _ = writeln!(
                s,
                "| {} | {conns} | {} | {} |",
                sc.request.label(),
                rate_cell(pj),
                error_cell(pj)
            );
        }
    }
    if let Some((_, pj, eve)) = rows
        .iter()
        .find(|(sc, _, _)| sc.request == Request::PrintJob)
    {
        let accepted = |c: &Cell| match c {
            Cell::Ran(m) if m.seconds > 0.0 => Some(m.accepted_rate()),
            _ => None,
        };
        let fmt = |v: Option<f64>| v.map_or("—".to_string(), |v| group_digits(v.round() as u64));
        let (a, b) = (accepted(pj), accepted(eve));
        let _ = write!(
            s,
            "\nPrint-Job jobs accepted per second (requests minus busy and errors): paperjam {}",
            fmt(a)
        );
        if with_peer {
            let ratio = match (a, b) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.1}×", a / b),
                _ => "—".into(),
            };
            let _ = write!(s, ", ippeveprinter {} ({ratio})", fmt(b));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\nErrors = wrk socket errors (connect, read, write, timeout > 2 s) + non-200 HTTP answers + IPP status ≥ 0x0400; \
         `server-error-busy` (0x0507) is counted apart as busy. wrk runs `-t2` (`-t1` for one connection).\n"
    );
    let _ = writeln!(s, "Peak RSS (VmHWM):");
    let _ = writeln!(
        s,
        "- paperjam: {} ({} start(s))",
        mb(paperjam.peak_kb),
        paperjam.starts
    );
    if let Some(p) = peer {
        let _ = writeln!(
            s,
            "- ippeveprinter: {} (highest over {} start(s); a crashed instance is sampled after its last completed row)",
            mb(p.peak_kb),
            p.starts
        );
    }
    let notes: Vec<&String> = std::iter::once(paperjam)
        .chain(peer)
        .flat_map(|s| &s.notes)
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(s, "\nCrashes noticed between rows:");
        for n in notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    let mut details = Vec::new();
    for (sc, pj, eve) in rows {
        for (name, cell) in [("paperjam", pj), ("ippeveprinter", eve)] {
            let what = format!(
                "{name}, {} at {} connections",
                sc.request.label(),
                sc.connections
            );
            match cell {
                Cell::Ran(m) if m.errors() + m.busy > 0 => {
                    details.push(format!("- {what}: {}", breakdown(m)))
                }
                                Cell::Crashed(how, Some(m)) => details.push(format!(
                    "- {what}: crashed ({how}) after {} requests; until then: {}",
                    m.requests,
                    breakdown(m)
                )),
                Cell::Crashed(how, None) => details.push(format!("- {what}: crashed ({how}); wrk printed no result")),
                Cell::Unresponsive(Some(m)) => details.push(format!(
                    "- {what}: did not answer a Get-Printer-Attributes after the row; during it: {}",
                    breakdown(m)
                )),
                Cell::Unresponsive(None) => details.push(format!("- {what}: stopped answering; wrk printed no result")),
                Cell::Failed(e) => details.push(format!("- {what}: {e}")),
                _ => {}
            }
        }
    }
    if !details.is_empty() {
        let _ = writeln!(s, "\nErrors by kind:");
        for d in details {
            let _ = writeln!(s, "{d}");
        }
    }
    let _ = writeln!(s, "\nLatency p50 / p99 (ms):");
    for (sc, pj, eve) in rows {
        let lat = |c: &Cell| match c {
            Cell::Ran(m) => format!(
                "{:.2} / {:.2}",
                m.p50_us as f64 / 1e3,
                m.p99_us as f64 / 1e3
            ),
            _ => "—".into(),
        };
        let _ = write!(
            s,
            "- {} at {}: paperjam {}",
            sc.request.label(),
            sc.connections,
            lat(pj)
        );
        if with_peer {
            let _ = write!(s, ", ippeveprinter {}", lat(eve));
        }
        let _ = writeln!(s);
    }
    if !opts.quick {
        let _ = writeln!(s, "\nTargets:");
        for line in targets(rows, with_peer) {
            let _ = writeln!(s, "- {line}");
        }
    }
    let _ = writeln!(s, "\nRequest checks (one of each before the run):");
    for c in checks {
        let _ = writeln!(s, "- {c}");
    }
    s
}

/// The issue's targets, each marked met or missed.
fn targets(rows: &[(Scenario, Cell, Cell)], with_peer: bool) -> Vec<String> {
    let find = |r: Request, c: u32| {
        rows.iter()
            .find(|(sc, _, _)| sc.request == r && sc.connections == c)
    };
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let mut v = Vec::new();
    if with_peer {
        if let Some((_, Cell::Ran(a), Cell::Ran(b))) = find(Request::GpaAll, 16) {
            let ratio = a.rate() / b.rate().max(1e-9);
            v.push(format!(
                "GPA `all` ≥ {TARGET_GPA_RATIO_AT_16}× ippeveprinter at 16 connections: {ratio:.1}× — {}",
                verdict(ratio >= TARGET_GPA_RATIO_AT_16)
            ));
        }
        if let Some((_, Cell::Ran(a), Cell::Ran(b))) = find(Request::PrintJob, 10) {
            // ippeveprinter answers most Print-Jobs with a quick server-error-busy, so
            // compare jobs accepted, not answers.
            let ratio = a.accepted_rate() / b.accepted_rate().max(1e-9);
            v.push(format!(
                "Print-Job ≥ {TARGET_PRINT_JOB_RATIO}× ippeveprinter with 0 busy (jobs accepted per second): \
                 {ratio:.1}× ({:.0} vs {:.0}; all answers {:.1}×), {} busy, {} errors — {}",
                a.accepted_rate(),
                b.accepted_rate(),
                a.rate() / b.rate().max(1e-9),
                a.busy,
                a.errors(),
                verdict(ratio >= TARGET_PRINT_JOB_RATIO && a.busy == 0 && a.errors() == 0)
            ));
        }
    }
    for c in [1000, 10_000] {
        for r in [Request::GpaAll, Request::GpaState] {
            match find(r, c) {
                Some((_, Cell::Ran(m), _)) => v.push(format!(
                    "{} at {c} connections with 0 errors: {} errors, {} busy — {}",
                    r.label(),
                    m.errors(),
                    m.busy,
                    verdict(m.errors() + m.busy == 0)
                )),
                Some((_, other, _)) => v.push(format!(
                    "{} at {c} connections: {} — MISSED",
                    r.label(),
                    short(other)
                )),
                None => {}
            }
        }
    }
    v
}

fn tool_version(tool: &Path, flag: &str) -> String {
    Command::new(tool)
        .arg(flag)
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines()
                .next()
                .map(|l| l.split(" Copyright").next().unwrap_or(l).trim().to_string())
        })
        .unwrap_or_else(|| "wrk".into())
}
