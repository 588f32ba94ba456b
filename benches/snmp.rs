//! SNMP on loopback: paperjam's agent side by side with net-snmp's `snmpd`
//! (and snmpsim when it is installed), in one run.
//!
//! `cargo bench --bench snmp` (full: 3 s a measurement, 10 tool walks,
//! fleets of 1,000 and 10,000) or `cargo bench --bench snmp -- --quick` (1 s,
//! 3 tool walks, a fleet of 1,000: the CI smoke run, about 30 s).
//!
//! 1. **GET/s of one OID**, hrDeviceDescr.1 (what CUPS keys its supply cache
//!    on), with 1 request outstanding and with 32. The client is here: one
//!    UDP socket, a GetRequest encoded once by paperjam's codec whose
//!    request-id is patched in place, responses matched to the requests in
//!    flight by request-id (read straight from the BER, no full decode). A
//!    request unanswered for 100 ms counts as lost and is replaced. Rows: a
//!    bare UDP echo thread (the round trip alone: with 32 outstanding, the
//!    ceiling), paperjam in this process (`net::server::start`, SNMP on a
//!    free port), `paperjam serve` in a process of its own (the row the peers
//!    are compared with: a process of its own, as they are), `snmpd` as
//!    configured below and `snmpd` logging every request (its default),
//!    snmpsim. All of them run at once, and each measurement is cut into
//!    slices taken in turns (100 ms of warm-up each), so a change in the
//!    machine's background load falls on every agent alike. "Agent CPU" is
//!    the agent's own CPU time over the measurement
//!    (`/proc/…/task/*/schedstat`; for the in-process agents, this process
//!    minus the client thread): near 100% of a core means the agent is the
//!    bottleneck, well below means the round trip is. With 1 outstanding the
//!    round trip is two wake-ups, whose cost depends on whether the cores are
//!    idle: on a quiet machine every agent, the echo included, sits near
//!    15–20k GET/s; on a busy one wake-ups are cheaper and rates 2–4× that.
//! 2. **Walks.** `snmpbulkwalk -v2c -c public -Cr50 -On HOST:PORT .1`, net-snmp's
//!    own tool, N times against each agent: varbinds (output lines naming an
//!    OID, not the closing "No more variables left" line) a second. snmpd's
//!    tree is far bigger than a printer's, and each walk also starts a
//!    process, which a printer-sized walk hardly outlasts, so the table shows
//!    that start-up (a walk of sysDescr alone), the same walk by this bench's
//!    own client (GetBulk, max-repetitions 50, from 1.3, walk after walk for
//!    the measurement time), and a row that walks a tree the size of snmpd's:
//!    snmpd's own, exported by `paperjam profile snmp-export --from
//!    snmp://…` and served by `paperjam serve --profile P`, where P is
//!    `fixtures/printers/default.toml` plus `[snmp] walk = "…"` (our live
//!    objects stay; the imported ones fill in the rest). Before the timed
//!    rounds one walk of each is compared OID by OID, and every walk must
//!    end cleanly (no `Error:` from the tool, such as "OID not increasing";
//!    the bench client checks the order too). Agents take turns, round by
//!    round, as for GETs.
//! 3. **A fleet**: `paperjam serve --fleet N --fleet-base 127.1.0.1` (the
//!    binary cargo builds for this bench), N printers on consecutive loopback
//!    addresses, each with its own agent on the same port. RSS (`VmRSS`) once
//!    every `snmp://` line and the `fleet:` line are printed, then GET/s round
//!    robin over all the agents with 32 outstanding, then the peak (`VmHWM`).
//!
//! The peers: `snmpd -f -C -c CONF -Lf LOG` on a free loopback port with
//! `rocommunity public 127.0.0.1`, `override` lines for a few Printer-MIB and
//! Host-Resources objects (so hrDeviceDescr.1 exists on it too), connection
//! logging off (`dontLogTCPWrappersConnects`: its best case), its persistent
//! state in a temp folder (`SNMP_PERSISTENT_DIR`); readiness by polling with
//! a GET; SIGKILL at the end. It runs without the modules of the per-socket
//! tables (`-I -tcpTable,tcpConnectionTable,tcpListenerTable,udpTable,
//! udpEndpointTable`): their size is whatever else runs on the machine (2,400
//! TCP connections of concurrent tests made one walk 16,000 varbinds and 16 s
//! longer; leaving them out of a view instead made snmpd time out, still
//! reading them to skip them). snmpsim (`snmpsim-command-responder`,
//! `snmpsimd.py` or Debian's `snmpsimd`) serves
//! `fixtures/snmp/sample-printer.snmprec` as community `public`, dropping
//! root for `nobody` when run as root (that path is untested: snmpsim is not
//! installed here). Nothing is
//! installed by the bench: a missing peer or tool, or a `paperjam serve`
//! without `--fleet`, prints a line saying why and its cells stay empty.
//! Prints Markdown and writes it to `target/bench/snmp.md` (`snmp-quick.md`
//! for `--quick`); asserts nothing.
//!
//! Everything stays on 127.0.0.0/8.

mod common;
use common::{cpu_model, find_tool, group_digits, utc_now};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, ErrorKind};
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_sim::snmp::message::{
    decode, encode, Message, Pdu, PduKind, VarBind, VarValue, Version,
};
use paperjam_sim::snmp::{Oid, Value};

type Result<T> = std::result::Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// hrDeviceDescr.1, the OID every GET asks for.
const GET_OID: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3, 1];

/// The community of every request.
const COMMUNITY: &[u8] = b"public";

/// Requests in flight in the loaded measurements.
const WINDOW: usize = 32;

/// A request unanswered this long is lost.
const LOSS_TIMEOUT: Duration = Duration::from_millis(100);

/// Load before each measurement (or slice of one) starts counting.
const WARMUP: Duration = Duration::from_millis(100);

/// How long a peer may take to answer its first GET.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The snmpd modules not loaded (`-I -…`): the per-socket tables.
const SNMPD_LEFT_OUT: &str =
    "-tcpTable,tcpConnectionTable,tcpListenerTable,udpTable,udpEndpointTable";

/// The row the peers are compared with: paperjam in a process of its own.
const PAPERJAM: &str = "paperjam serve";

/// The walk row of `paperjam serve` with snmpd's tree imported.
const PAPERJAM_IMPORTED: &str = "paperjam serve, snmpd's tree imported";

/// The first address of a fleet.
const FLEET_BASE: &str = "127.1.0.1";

/// The targets.
const TARGET_GET_VS_SNMPD: f64 = 1.5;
const TARGET_GET_VS_SNMPSIM: f64 = 10.0;
const TARGET_FLEET_RSS_KB: u64 = 1 << 20;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench snmp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line options. `cargo bench` adds `--bench`; anything else unknown is ignored.
struct Options {
    quick: bool,
    measure: Duration,
    /// Turns a GET measurement is taken in.
    slices: u32,
    walks: usize,
    fleets: Vec<usize>,
}

impl Options {
    fn parse() -> Options {
        let quick = std::env::args().skip(1).any(|a| a == "--quick");
        Options {
            quick,
            measure: Duration::from_secs(if quick { 1 } else { 3 }),
            slices: if quick { 4 } else { 6 },
            walks: if quick { 3 } else { 10 },
            fleets: if quick {
                vec![1000]
            } else {
                vec![1000, 10_000]
            },
        }
    }
}

// ---------------------------------------------------------------- the wire

/// A GetRequest encoded once; its request-id is patched in place.
struct GetRequest {
    bytes: Vec<u8>,
    id_at: usize,
}

/// A request-id whose 4-byte encoding is easy to find in the template.
const ID_MARK: i32 = 0x5A5A_5A5A;

impl GetRequest {
    fn new(oid: &[u32]) -> Result<GetRequest> {
        let bytes = encode(&get_message(oid, ID_MARK)).map_err(err)?;
        let mark = [0x02, 0x04, 0x5A, 0x5A, 0x5A, 0x5A];
        let at = bytes
            .windows(mark.len())
            .position(|w| w == mark)
            .ok_or("the GetRequest template has no 4-byte request-id")?;
        Ok(GetRequest {
            bytes,
            id_at: at + 2,
        })
    }

    /// The request with request-id `id` (kept in 0x0100_0000..0x7F00_0000,
    /// so its minimal encoding is 4 bytes).
    fn with_id(&mut self, id: u32) -> &[u8] {
        if let Some(b) = self.bytes.get_mut(self.id_at..self.id_at + 4) {
            b.copy_from_slice(&id.to_be_bytes());
        }
        &self.bytes
    }
}

fn get_message(oid: &[u32], request_id: i32) -> Message {
    Message {
        version: Version::V2c,
        community: COMMUNITY.to_vec(),
        pdu: Pdu {
            kind: PduKind::Get,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind::null(Oid::new(oid.to_vec()))],
        },
    }
}

/// The `n`th request-id of a run.
fn request_id(n: u64) -> u32 {
    0x0100_0000 + u32::try_from(n % 0x7E00_0000).unwrap_or(0)
}

/// One BER TLV: (tag, contents, what follows).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (len, rest) = rest.split_at(n);
        (
            len.iter().fold(0usize, |a, &x| a << 8 | usize::from(x)),
            rest,
        )
    };
    if rest.len() < len {
        return None;
    }
    let (contents, after) = rest.split_at(len);
    Some((tag, contents, after))
}

/// A BER INTEGER's value.
fn integer(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 8 {
        return None;
    }
    let first = i64::from(*b.first()? as i8);
    Some(
        b.iter()
            .skip(1)
            .fold(first, |a, &x| (a << 8) | i64::from(x)),
    )
}

/// Where the PDU's tag is in a message.
fn pdu_offset(b: &[u8]) -> Option<usize> {
    let (0x30, msg, _) = tlv(b)? else {
        return None;
    };
    let (_, _, rest) = tlv(msg)?;
    let (_, _, rest) = tlv(rest)?;
    Some(b.len() - rest.len())
}

/// A Response's request-id, and whether its error-status is noError.
fn response_id(b: &[u8]) -> Option<(u32, bool)> {
    let at = pdu_offset(b)?;
    let (0xA2, pdu, _) = tlv(b.get(at..)?)? else {
        return None;
    };
    let (0x02, id, rest) = tlv(pdu)? else {
        return None;
    };
    let (0x02, status, _) = tlv(rest)? else {
        return None;
    };
    Some((u32::try_from(integer(id)?).ok()?, integer(status)? == 0))
}

/// One GET of `oid` with paperjam's codec; the value as text.
fn get_once(addr: SocketAddr, oid: &[u32], timeout: Duration) -> Result<String> {
    let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(err)?;
    sock.set_read_timeout(Some(timeout)).map_err(err)?;
    let bytes = encode(&get_message(oid, 1)).map_err(err)?;
    sock.send_to(&bytes, addr).map_err(err)?;
    let mut buf = vec![0u8; 65_536];
    let deadline = Instant::now() + timeout;
    loop {
        let n = match sock.recv_from(&mut buf) {
            Ok((n, _)) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!("no answer from {addr} within {timeout:?}"))
            }
            Err(e) => return Err(format!("{addr}: {e}")),
        };
        let m = decode(buf.get(..n).unwrap_or_default()).map_err(err)?;
        if m.pdu.request_id != 1 {
            if Instant::now() > deadline {
                return Err(format!("no matching answer from {addr}"));
            }
            continue;
        }
        if m.pdu.error_status != 0 {
            return Err(format!("error-status {}", m.pdu.error_status));
        }
        return match m.pdu.varbinds.first().map(|v| &v.value) {
            Some(VarValue::Value(Value::OctetString(s))) => {
                Ok(format!("\"{}\"", String::from_utf8_lossy(s)))
            }
            Some(VarValue::Value(v)) => Ok(format!("{v:?}")),
            Some(other) => Err(format!("{other:?}")),
            None => Err("no varbind in the answer".into()),
        };
    }
}

/// Poll with a GET until the agent answers; `alive` says why not to wait on.
fn wait_ready(addr: SocketAddr, mut alive: impl FnMut() -> Result<()>) -> Result<String> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        alive()?;
        match get_once(addr, GET_OID, Duration::from_millis(100)) {
            Ok(v) => return Ok(v),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("no answer within {STARTUP_TIMEOUT:?}: {e}"))
            }
            Err(_) => {}
        }
    }
}

// ---------------------------------------------------------------- the load

/// Whose CPU time counts as the agent's.
#[derive(Clone, Copy)]
enum Cpu {
    /// This process, minus the client (the calling thread).
    InProcess,
    /// Another process.
    Pid(u32),
}

/// Nanoseconds on CPU of every thread of `/proc/{pid}`.
fn process_cpu_ns(pid: &str) -> Option<u64> {
    let mut total = 0;
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let path = t.ok()?.path().join("schedstat");
        total += schedstat(&path).unwrap_or(0);
    }
    Some(total)
}

fn schedstat(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path)
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl Cpu {
    fn now_ns(self) -> Option<u64> {
        match self {
            Cpu::InProcess => {
                let all = process_cpu_ns("self")?;
                let me = schedstat(Path::new("/proc/thread-self/schedstat"))?;
                Some(all.saturating_sub(me))
            }
            Cpu::Pid(pid) => process_cpu_ns(&pid.to_string()),
        }
    }
}

/// What one GET measurement counted.
#[derive(Clone, Copy, Default)]
struct Load {
    ok: u64,
    errors: u64,
    lost: u64,
    seconds: f64,
    agent_cpu_s: Option<f64>,
}

impl Load {
    fn add(&mut self, l: &Load) {
        self.ok += l.ok;
        self.errors += l.errors;
        self.lost += l.lost;
        self.seconds += l.seconds;
        self.agent_cpu_s = self.agent_cpu_s.zip(l.agent_cpu_s).map(|(a, b)| a + b);
    }

    fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds.max(1e-9)
    }
}

/// GETs to `targets` (round robin) with `window` in flight, for `measure`
/// after the warm-up.
fn drive(targets: &[SocketAddr], window: usize, measure: Duration, cpu: Cpu) -> Result<Load> {
    if targets.is_empty() {
        return Err("no agent to send to".into());
    }
    let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(err)?;
    sock.set_read_timeout(Some(LOSS_TIMEOUT)).map_err(err)?;
    let mut req = GetRequest::new(GET_OID)?;
    let mut buf = vec![0u8; 65_536];
    let mut in_flight: Vec<u32> = Vec::with_capacity(window);
    let (mut sent, mut turn) = (0u64, 0usize);
    let start = Instant::now();
    let (from, end) = (start + WARMUP, start + WARMUP + measure);
    let mut load = Load::default();
    let mut counting: Option<(Instant, Option<u64>)> = None;
    loop {
        let now = Instant::now();
        if counting.is_none() && now >= from {
            load = Load::default();
            counting = Some((now, cpu.now_ns()));
        }
        if now >= end {
            break;
        }
        while in_flight.len() < window {
            let id = request_id(sent);
            sent += 1;
            let to = targets[turn % targets.len()];
            turn = turn.wrapping_add(1);
            sock.send_to(req.with_id(id), to)
                .map_err(|e| format!("send to {to}: {e}"))?;
            in_flight.push(id);
        }
        match sock.recv_from(&mut buf) {
            Ok((n, _)) => {
                let Some((id, good)) = buf.get(..n).and_then(response_id) else {
                    continue;
                };
                if let Some(i) = in_flight.iter().position(|&x| x == id) {
                    in_flight.swap_remove(i);
                    if good {
                        load.ok += 1;
                    } else {
                        load.errors += 1;
                    }
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                load.lost += in_flight.len() as u64;
                in_flight.clear();
            }
            Err(e) => return Err(format!("receive: {e}")),
        }
    }
    if let Some((t0, cpu0)) = counting {
        load.seconds = t0.elapsed().as_secs_f64();
        load.agent_cpu_s = cpu0
            .zip(cpu.now_ns())
            .map(|(a, b)| b.saturating_sub(a) as f64 / 1e9);
    }
    Ok(load)
}

/// A measured pair: 1 outstanding, [`WINDOW`] outstanding.
struct GetRow {
    agent: String,
    check: String,
    one: Option<Load>,
    many: Option<Load>,
}

/// An agent the GET measurements go to.
struct Subject {
    name: String,
    addr: SocketAddr,
    cpu: Cpu,
    check: String,
}

/// GET/s of every subject at 1 and at [`WINDOW`] outstanding. Each
/// measurement is cut into slices taken in turns, agent after agent, so a
/// change in the machine's background load falls on all of them alike.
fn measure_gets(subjects: &[Subject], opts: &Options) -> Vec<GetRow> {
    let slice = opts.measure / opts.slices;
    let start = Load {
        agent_cpu_s: Some(0.0),
        ..Load::default()
    };
    let mut rows: Vec<GetRow> = subjects
        .iter()
        .map(|s| GetRow {
            agent: s.name.clone(),
            check: s.check.clone(),
            one: Some(start),
            many: Some(start),
        })
        .collect();
    for w in [1, WINDOW] {
        eprintln!("GET, {w} outstanding: {} rounds", opts.slices);
        for _ in 0..opts.slices {
            for (s, row) in subjects.iter().zip(rows.iter_mut()) {
                let slot = if w == 1 { &mut row.one } else { &mut row.many };
                let Some(acc) = slot.as_mut() else { continue };
                match drive(&[s.addr], w, slice, s.cpu) {
                    Ok(l) => acc.add(&l),
                    Err(e) => {
                        eprintln!("  {}, {w} outstanding: {e}", s.name);
                        *slot = None;
                    }
                }
            }
        }
    }
    rows
}

/// A bare UDP responder: turns each GetRequest into a "Response" by its tag
/// byte and sends it back. The round trip alone.
struct Echo {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Echo {
    fn start() -> Result<Echo> {
        let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(err)?;
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .map_err(err)?;
        let addr = sock.local_addr().map_err(err)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            while !flag.load(Ordering::Relaxed) {
                if let Ok((n, from)) = sock.recv_from(&mut buf) {
                    let Some(msg) = buf.get_mut(..n) else {
                        continue;
                    };
                    if let Some(tag) = pdu_offset(msg).and_then(|at| msg.get_mut(at)) {
                        *tag = 0xA2;
                    }
                    let _ = sock.send_to(msg, from);
                }
            }
        });
        Ok(Echo {
            addr,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------- peers

fn free_udp_port() -> Result<u16> {
    UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .map_err(err)
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("Cannot find module"))
        .collect();
    lines[lines.len().saturating_sub(4)..].join(" / ")
}

/// A peer agent in a child process; killed when dropped.
struct Peer {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    check: String,
    _dir: tempfile::TempDir,
}

impl Peer {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Spawn `cmd` (its output to `log`) and poll until it answers on `addr`.
    fn spawn(
        mut cmd: Command,
        addr: SocketAddr,
        dir: tempfile::TempDir,
        log: PathBuf,
    ) -> Result<Peer> {
        let out = std::fs::File::create(&log).map_err(err)?;
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone().map_err(err)?)
            .stderr(out);
        let child = cmd.spawn().map_err(err)?;
        let mut peer = Peer {
            child,
            addr,
            log,
            check: String::new(),
            _dir: dir,
        };
        let log = peer.log.clone();
        let child = &mut peer.child;
        peer.check = wait_ready(addr, || match child.try_wait() {
            Ok(Some(status)) => Err(format!("exited ({status}): {}", tail(&log))),
            _ => Ok(()),
        })
        .map_err(|e| format!("{e} (log: {})", tail(&peer.log)))?;
        Ok(peer)
    }

    /// net-snmp's snmpd, with Printer-MIB overrides; `quiet` turns off its
    /// log line for every request (`dontLogTCPWrappersConnects`).
    fn snmpd(bin: &Path, quiet: bool) -> Result<Peer> {
        let dir = tempfile::Builder::new()
            .prefix("bench-snmpd-")
            .tempdir()
            .map_err(err)?;
        let port = free_udp_port()?;
        let conf = dir.path().join("snmpd.conf");
        std::fs::write(
            &conf,
            format!(
                "agentaddress udp:127.0.0.1:{port}\n\
                 rocommunity public 127.0.0.1\n\
                 dontLogTCPWrappersConnects {}\n\
                 override .1.3.6.1.2.1.25.3.2.1.3.1 octet_str \"HP LaserJet Pro M404dn\"\n\
                 override .1.3.6.1.2.1.25.3.5.1.1.1 integer 3\n\
                 override .1.3.6.1.2.1.43.10.2.1.4.1.1 counter 1234\n\
                 override .1.3.6.1.2.1.43.11.1.1.6.1.1 octet_str \"Black Toner\"\n\
                 override .1.3.6.1.2.1.43.11.1.1.9.1.1 integer 42\n",
                if quiet { "yes" } else { "no" }
            ),
        )
        .map_err(err)?;
        let log = dir.path().join("snmpd.log");
        let mut cmd = Command::new(bin);
        cmd.args(["-f", "-C", "-c"])
            .arg(&conf)
            .arg("-Lf")
            .arg(&log)
            // Not the per-socket tables: their size is whatever else runs here.
            .args(["-I", SNMPD_LEFT_OUT])
            // Its state (engineBoots…) in our folder, not /var/lib/snmp; no MIB parsing.
            .env("SNMP_PERSISTENT_DIR", dir.path())
            .env("MIBDIRS", dir.path());
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let log2 = dir.path().join("snmpd.stdout");
        // snmpd writes its own log; stdout/stderr go beside it.
        Peer::spawn(cmd, addr, dir, log2).map_err(|e| format!("{e}; snmpd log: {}", tail(&log)))
    }

    /// snmpsim serving the sample printer's snmprec as community `public`.
    fn snmpsim(bin: &Path) -> Result<Peer> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::Builder::new()
            .prefix("bench-snmpsim-")
            .tempdir()
            .map_err(err)?;
        let data = dir.path().join("data");
        std::fs::create_dir(&data).map_err(err)?;
        let rec =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/snmp/sample-printer.snmprec");
        std::fs::copy(&rec, data.join("public.snmprec"))
            .map_err(|e| format!("{}: {e}", rec.display()))?;
        // snmpsim drops root for `nobody`, who must read the data.
        for p in [dir.path(), data.as_path()] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).map_err(err)?;
        }
        let port = free_udp_port()?;
        let mut cmd = Command::new(bin);
        cmd.arg(format!("--data-dir={}", data.display()))
            .arg(format!("--agent-udpv4-endpoint=127.0.0.1:{port}"))
            .arg(format!(
                "--cache-dir={}",
                dir.path().join("cache").display()
            ));
        if is_root() {
            cmd.args(["--process-user=nobody", "--process-group=nogroup"]);
        }
        let log = dir.path().join("snmpsim.log");
        Peer::spawn(cmd, SocketAddr::from((Ipv4Addr::LOCALHOST, port)), dir, log)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn snmpd_version(bin: &Path) -> String {
    Command::new(bin)
        .arg("-v")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout).lines().find_map(|l| {
                l.strip_prefix("NET-SNMP version:")
                    .map(|v| v.trim().to_string())
            })
        })
        .map_or_else(|| "snmpd".into(), |v| format!("snmpd {v}"))
}

// ---------------------------------------------------------------- bulkwalk

/// `snmpbulkwalk` runs against one agent.
#[derive(Default)]
struct ToolWalk {
    /// Varbinds over all the runs (snmpd's tree changes as processes come
    /// and go: hrSWRunTable).
    varbinds: usize,
    runs: usize,
    seconds: f64,
}

impl ToolWalk {
    fn add(&mut self, w: &ToolWalk) {
        self.varbinds += w.varbinds;
        self.runs += w.runs;
        self.seconds += w.seconds;
    }

    fn rate(&self) -> f64 {
        self.varbinds as f64 / self.seconds.max(1e-9)
    }

    /// Varbinds a walk, on average.
    fn per_walk(&self) -> f64 {
        self.varbinds as f64 / self.runs.max(1) as f64
    }

    fn ms_a_walk(&self) -> f64 {
        self.seconds * 1e3 / self.runs.max(1) as f64
    }
}

/// GetBulk walks by this bench's own client, one after another.
#[derive(Default)]
struct ClientWalk {
    total: usize,
    seconds: f64,
}

impl ClientWalk {
    fn add(&mut self, w: &ClientWalk) {
        self.total += w.total;
        self.seconds += w.seconds;
    }

    fn rate(&self) -> f64 {
        self.total as f64 / self.seconds.max(1e-9)
    }
}

/// One agent's walks, by the tool and by the bench's client.
struct WalkRow {
    agent: String,
    tool: std::result::Result<ToolWalk, String>,
    /// A walk of sysDescr alone (one varbind, one request): mostly the
    /// tool's own start-up and exit.
    startup: Option<ToolWalk>,
    client: std::result::Result<ClientWalk, String>,
}

/// Every agent's walks, taken in turns: per round, for each agent, one tool
/// walk of sysDescr, one of the whole tree, and a slice of client walks.
fn measure_walks(agents: &[(String, SocketAddr)], tool: &Path, opts: &Options) -> Vec<WalkRow> {
    let slice = opts.measure / u32::try_from(opts.walks.max(1)).unwrap_or(1);
    let mut rows: Vec<WalkRow> = agents
        .iter()
        .map(|(name, _)| WalkRow {
            agent: name.clone(),
            tool: Ok(ToolWalk::default()),
            startup: Some(ToolWalk::default()),
            client: Ok(ClientWalk::default()),
        })
        .collect();
    eprintln!("walks: {} rounds", opts.walks);
    for _ in 0..opts.walks {
        for ((_, addr), row) in agents.iter().zip(rows.iter_mut()) {
            if let Some(acc) = row.startup.as_mut() {
                match tool_walks(tool, *addr, SYSDESCR, 1) {
                    Ok(w) => acc.add(&w),
                    Err(_) => row.startup = None,
                }
            }
            if let Ok(acc) = row.tool.as_mut() {
                match tool_walks(tool, *addr, ".1", 1) {
                    Ok(w) => acc.add(&w),
                    Err(e) => row.tool = Err(e),
                }
            }
            if let Ok(acc) = row.client.as_mut() {
                match client_walks(*addr, slice) {
                    Ok(w) => acc.add(&w),
                    Err(e) => row.client = Err(e),
                }
            }
        }
    }
    rows
}

/// A subtree of one varbind, walked in one request.
const SYSDESCR: &str = ".1.3.6.1.2.1.1.1";

fn tool_walks(tool: &Path, addr: SocketAddr, root: &str, runs: usize) -> Result<ToolWalk> {
    let mut varbinds = 0;
    let t = Instant::now();
    for _ in 0..runs {
        varbinds += tool_walk(tool, addr, root)?.len();
    }
    Ok(ToolWalk {
        varbinds,
        runs,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// One `snmpbulkwalk` of `root`: the OIDs of its varbinds, in the order
/// printed. A run that exits non-zero or prints an `Error:` (net-snmp's
/// "Error: OID not increasing", when an agent's order breaks) is a failure.
fn tool_walk(tool: &Path, addr: SocketAddr, root: &str) -> Result<Vec<String>> {
    let out = Command::new(tool)
        .args(["-v2c", "-c", "public", "-Cr50", "-On"])
        .arg(addr.to_string())
        .arg(root)
        .stdin(Stdio::null())
        .output()
        .map_err(err)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || stderr.contains("Error") {
        return Err(format!(
            "snmpbulkwalk exited {}: {}",
            out.status,
            stderr.trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('.') && !l.contains(" = No more variables left"))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect())
}

/// One walk of `imported` (paperjam serving snmpd's tree) against one of
/// snmpd itself, OID by OID: what the walk table's equal-trees row serves.
fn compare_trees(tool: &Path, imported: SocketAddr, snmpd: SocketAddr) -> Result<String> {
    use std::collections::BTreeSet;
    let ours: BTreeSet<String> = tool_walk(tool, imported, ".1")?.into_iter().collect();
    let theirs: BTreeSet<String> = tool_walk(tool, snmpd, ".1")?.into_iter().collect();
    let missing: Vec<&String> = theirs.difference(&ours).collect();
    let extra = ours.difference(&theirs).count();
    Ok(format!(
        "{PAPERJAM_IMPORTED}: one walk, OID by OID against one of snmpd's, holds {} of snmpd's {} OIDs{} \
         and {} more of paperjam's own MIB (objects paperjam keeps live take no imported values); \
         it ended without an `Error:` (snmpbulkwalk's \"OID not increasing\" among them), as every timed walk must, \
         and the bench client checks each OID follows the one before.",
        group_digits((theirs.len() - missing.len()) as u64),
        group_digits(theirs.len() as u64),
        match missing.first() {
            Some(first) => format!(
                " (not the other {}, e.g. {first})",
                group_digits(missing.len() as u64)
            ),
            None => String::new(),
        },
        group_digits(extra as u64),
    ))
}

/// Whole-tree GetBulk walks (max-repetitions 50, from 1.3, as `-Cr50`
/// does), one after another for at least `measure`.
fn client_walks(addr: SocketAddr, measure: Duration) -> Result<ClientWalk> {
    let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(err)?;
    sock.set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(err)?;
    let mut buf = vec![0u8; 65_536];
    let (mut walks, mut total) = (0usize, 0usize);
    let mut id = 0i32;
    let t = Instant::now();
    while walks == 0 || t.elapsed() < measure {
        let mut cursor = Oid::new(vec![1, 3]);
        let mut n = 0;
        'walk: loop {
            id = id.wrapping_add(1) & 0x3FFF_FFFF;
            let req = Message {
                version: Version::V2c,
                community: COMMUNITY.to_vec(),
                pdu: Pdu {
                    kind: PduKind::GetBulk,
                    request_id: id,
                    error_status: 0,
                    error_index: 50,
                    varbinds: vec![VarBind::null(cursor.clone())],
                },
            };
            sock.send_to(&encode(&req).map_err(err)?, addr)
                .map_err(err)?;
            let resp = loop {
                let (len, _) = sock
                    .recv_from(&mut buf)
                    .map_err(|e| format!("GetBulk after {cursor}: {e}"))?;
                let m = decode(buf.get(..len).unwrap_or_default()).map_err(err)?;
                if m.pdu.request_id == id {
                    break m;
                }
            };
            if resp.pdu.error_status != 0 || resp.pdu.varbinds.is_empty() {
                return Err(format!(
                    "GetBulk after {cursor}: error-status {}, {} varbinds",
                    resp.pdu.error_status,
                    resp.pdu.varbinds.len()
                ));
            }
            for vb in resp.pdu.varbinds {
                if vb.value == VarValue::EndOfMibView {
                    break 'walk;
                }
                if vb.oid <= cursor {
                    return Err(format!("{} does not follow {cursor}", vb.oid));
                }
                cursor = vb.oid;
                n += 1;
            }
        }
        walks += 1;
        total += n;
    }
    Ok(ClientWalk {
        total,
        seconds: t.elapsed().as_secs_f64(),
    })
}

// ---------------------------------------------------------------- fleet

struct FleetRow {
    printers: usize,
    /// Why the fleet runs without IPP (`--no-ipp`), if it does.
    snmp_only: Option<String>,
    ready_s: f64,
    rss_kb: u64,
    load: Load,
    peak_kb: u64,
}

fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// `Err` says why the binary cannot run a fleet.
fn fleet_supported(bin: &Path) -> Result<()> {
    if !bin.is_file() {
        return Err(format!(
            "paperjam binary {} is missing: run `cargo build --release`",
            bin.display()
        ));
    }
    let out = Command::new(bin)
        .args(["serve", "--help"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if String::from_utf8_lossy(&out.stdout).contains("--fleet") {
        Ok(())
    } else {
        Err("`paperjam serve` has no `--fleet` option yet".into())
    }
}

/// `paperjam serve` in its own process, killed when dropped.
struct Served {
    child: Child,
    agents: Vec<SocketAddr>,
    /// From the spawn to the last line awaited.
    ready_s: f64,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// One printer (SNMP on a free port), or a fleet of `n`, with `extra`
    /// arguments; returns once every `snmp://` line (and for a fleet, the
    /// `fleet:` line) is printed.
    fn start(bin: &Path, fleet: Option<usize>, extra: &[&str]) -> Result<Served> {
        let dir = tempfile::Builder::new()
            .prefix("bench-serve-")
            .tempdir()
            .map_err(err)?;
        let log = dir.path().join("stderr.log");
        let mut cmd = Command::new(bin);
        cmd.arg("serve");
        match fleet {
            Some(n) => cmd.args(["--fleet", &n.to_string(), "--fleet-base", FLEET_BASE]),
            None => cmd.args(["--ipp-port", "0", "--snmp-port", "0"]),
        };
        let child = cmd
            .args(["--no-tls", "--no-lpd", "--no-socket", "--no-control"])
            .args(extra)
            .args(["--speed", "instant", "--spool"])
            .arg(dir.path().join("spool"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).map_err(err)?)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        let n = fleet.unwrap_or(1);
        let mut served = Served {
            child,
            agents: Vec::with_capacity(n),
            ready_s: 0.0,
            _dir: dir,
        };
        let stdout = served.child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let t = Instant::now();
        let deadline = t + Duration::from_secs(30) + Duration::from_millis(10 * n as u64);
        let mut summary = fleet.is_none();
        while served.agents.len() < n || !summary {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    if let Some(a) = line.strip_prefix("snmp://") {
                        let a = a.trim_end_matches('/');
                        served.agents.push(
                            a.parse::<SocketAddr>()
                                .map_err(|e| format!("{line}: {e}"))?,
                        );
                    } else if line.starts_with("fleet:") {
                        summary = true;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if let Ok(Some(status)) = served.child.try_wait() {
                return Err(format!("exited ({status}): {}", tail(&log)));
            }
            if Instant::now() > deadline {
                break;
            }
        }
        if served.agents.len() < n {
            return Err(format!(
                "{} of {n} snmp:// lines within {:.0} s: {}",
                served.agents.len(),
                t.elapsed().as_secs_f64(),
                tail(&log)
            ));
        }
        served.ready_s = t.elapsed().as_secs_f64();
        Ok(served)
    }
}

/// `paperjam serve` with snmpd's tree imported: the tree exported by
/// `paperjam profile snmp-export --from snmp://…`, read back by a profile's
/// `[snmp] walk`. Stopped when dropped.
struct Imported {
    served: Served,
    /// Objects in the export.
    objects: usize,
    _dir: tempfile::TempDir,
}

impl Imported {
    fn start(bin: &Path, from: SocketAddr) -> Result<Imported> {
        let dir = tempfile::Builder::new()
            .prefix("bench-import-")
            .tempdir()
            .map_err(err)?;
        let walk = dir.path().join("snmpd.walk");
        let out = Command::new(bin)
            .args(["profile", "snmp-export", "--from"])
            .arg(format!("snmp://{from}"))
            .arg("-o")
            .arg(&walk)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        if !out.status.success() {
            return Err(format!(
                "`paperjam profile snmp-export` exited {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let text =
            std::fs::read_to_string(&walk).map_err(|e| format!("{}: {e}", walk.display()))?;
        let objects = paperjam_sim::snmp::record::parse_dump(&text)
            .map_err(|e| format!("{}: {e}", walk.display()))?
            .entries
            .len();
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/printers/default.toml");
        let mut profile =
            std::fs::read_to_string(&base).map_err(|e| format!("{}: {e}", base.display()))?;
        if profile.lines().any(|l| l.trim() == "[snmp]") {
            return Err(format!("{} has an [snmp] section already", base.display()));
        }
        // Relative to the profile's folder.
        profile.push_str("\n[snmp]\nwalk = \"snmpd.walk\"\n");
        let path = dir.path().join("printer.toml");
        std::fs::write(&path, profile).map_err(err)?;
        let arg = path.to_str().ok_or("the temp folder's path is not UTF-8")?;
        let served = Served::start(bin, None, &["--profile", arg])?;
        Ok(Imported {
            served,
            objects,
            _dir: dir,
        })
    }
}

fn run_fleet(bin: &Path, n: usize, measure: Duration) -> Result<FleetRow> {
    // A printer with IPP too takes two sockets: 10,000 of them need more
    // than this machine's 20,000 open files, so then the fleet runs SNMP only.
    let (fleet, snmp_only) = match Served::start(bin, Some(n), &[]) {
        Ok(f) => (f, None),
        Err(e) if e.contains("Too many open files") => {
            (Served::start(bin, Some(n), &["--no-ipp"])?, Some(e))
        }
        Err(e) => return Err(e),
    };
    let (pid, agents, ready_s) = (fleet.pid(), &fleet.agents, fleet.ready_s);
    let rss_kb = proc_status_kb(pid, "VmRSS:").unwrap_or(0);
    for a in [agents.first(), agents.last()].into_iter().flatten() {
        get_once(*a, GET_OID, Duration::from_secs(2)).map_err(|e| format!("agent {a}: {e}"))?;
    }
    let load = drive(agents, WINDOW, measure, Cpu::Pid(pid))?;
    let peak_kb = proc_status_kb(pid, "VmHWM:").unwrap_or(0);
    Ok(FleetRow {
        printers: n,
        snmp_only,
        ready_s,
        rss_kb,
        load,
        peak_kb,
    })
}

// ---------------------------------------------------------------- the run

fn start_paperjam(rt: &tokio::runtime::Runtime) -> Result<RunningServer> {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().map_err(err)?));
    cfg.ipp_port = 0;
    cfg.snmp_port = Some(0);
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    rt.block_on(server::start(cfg)).map_err(err)
}

fn run() -> Result<()> {
    let opts = Options::parse();
    let mut notes: Vec<String> = Vec::new();
    let mut note = |s: String| {
        println!("{s}");
        notes.push(s);
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(err)?;

    // 1. GET/s: every agent up at once, measured in turns.
    let echo = Echo::start()?;
    let mut subjects = vec![Subject {
        name: "bare UDP echo thread".into(),
        addr: echo.addr,
        cpu: Cpu::InProcess,
        check: "echoes the request".into(),
    }];
    let paperjam = start_paperjam(&rt)?;
    let pj_addr = paperjam.snmp_addr.ok_or("paperjam serves no SNMP")?;
    subjects.push(Subject {
        name: "paperjam, in this process".into(),
        addr: pj_addr,
        cpu: Cpu::InProcess,
        check: wait_ready(pj_addr, || Ok(()))?,
    });
    // The same printer as `paperjam serve` runs it: a process of its own, as snmpd is.
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_paperjam"));
    let served = match Served::start(&bin, None, &[]) {
        Ok(s) => {
            let addr = *s.agents.first().ok_or("no snmp:// line")?;
            subjects.push(Subject {
                name: PAPERJAM.into(),
                addr,
                cpu: Cpu::Pid(s.pid()),
                check: wait_ready(addr, || Ok(()))?,
            });
            Some(s)
        }
        Err(e) => {
            note(format!(
                "`paperjam serve` ({}) did not start: {e}",
                bin.display()
            ));
            None
        }
    };
    let snmpd_bin = find_tool("snmpd");
    let snmpd_name = snmpd_bin
        .as_deref()
        .map_or_else(|| "snmpd".into(), snmpd_version);
    let (snmpd, snmpd_logging) = match &snmpd_bin {
        None => {
            note("snmpd not installed (Debian package snmpd; scripts/install-peers.sh installs it): its cells are empty".into());
            (None, None)
        }
        Some(bin) => match Peer::snmpd(bin, true) {
            Ok(p) => {
                // The same snmpd as it comes: one log line per request.
                let logging = Peer::snmpd(bin, false)
                    .map_err(|e| note(format!("snmpd with connection logging did not start: {e}")))
                    .ok();
                (Some(p), logging)
            }
            Err(e) => {
                note(format!("snmpd did not start: {e}"));
                (None, None)
            }
        },
    };
    let snmpsim_bin = ["snmpsim-command-responder", "snmpsimd.py", "snmpsimd"]
        .into_iter()
        .find_map(find_tool);
    let snmpsim = match &snmpsim_bin {
        None => {
            note("snmpsim not installed: its cells are empty".into());
            None
        }
        Some(bin) => match Peer::snmpsim(bin) {
            Ok(p) => Some(p),
            Err(e) => {
                note(format!("snmpsim ({}) did not start: {e}", bin.display()));
                None
            }
        },
    };
    let peers = [
        (snmpd_name.clone(), snmpd.as_ref()),
        (
            format!("{snmpd_name}, logging every request (its default)"),
            snmpd_logging.as_ref(),
        ),
        ("snmpsim".to_string(), snmpsim.as_ref()),
    ];
    for (name, peer) in peers {
        if let Some(p) = peer {
            subjects.push(Subject {
                name,
                addr: p.addr,
                cpu: Cpu::Pid(p.pid()),
                check: p.check.clone(),
            });
        }
    }
    let gets = measure_gets(&subjects, &opts);
    drop(echo);
    drop(snmpd_logging);

    // 2. Walks.
    let mut walks: Vec<WalkRow> = Vec::new();
    let mut walk_notes: Vec<String> = Vec::new();
    match find_tool("snmpbulkwalk") {
        None => note("snmpbulkwalk not installed (Debian package snmp): walk table omitted".into()),
        Some(tool) => {
            // paperjam first: the other rows are compared with it.
            let pj = match served.as_ref().and_then(|s| s.agents.first()) {
                Some(a) => (PAPERJAM.to_string(), *a),
                None => ("paperjam, in this process".to_string(), pj_addr),
            };
            // Equal trees: snmpd's, exported with `paperjam profile
            // snmp-export` and served by `paperjam serve --profile`.
            let imported = match (&snmpd, &served) {
                (Some(p), Some(_)) => match Imported::start(&bin, p.addr) {
                    Ok(i) => Some(i),
                    Err(e) => {
                        note(format!("snmpd's tree was not imported: {e}"));
                        None
                    }
                },
                _ => None,
            };
            let imported_addr = imported
                .as_ref()
                .and_then(|i| i.served.agents.first().copied());
            if let (Some(i), Some(a), Some(p)) = (&imported, imported_addr, &snmpd) {
                walk_notes.push(format!(
                    "snmpd's tree: {} objects exported by `paperjam profile snmp-export --from snmp://127.0.0.1:PORT` \
                     into `snmpd.walk`, served by `paperjam serve --profile P` \
                     (P: `fixtures/printers/default.toml` + `[snmp]` `walk = \"snmpd.walk\"`).",
                    group_digits(i.objects as u64),
                ));
                match compare_trees(&tool, a, p.addr) {
                    Ok(line) => walk_notes.push(line),
                    Err(e) => {
                        walk_notes.push(format!("{PAPERJAM_IMPORTED}: the check walk failed: {e}"))
                    }
                }
            }
            let agents: Vec<(String, SocketAddr)> = std::iter::once(pj)
                .chain(imported_addr.map(|a| (PAPERJAM_IMPORTED.to_string(), a)))
                .chain(snmpd.as_ref().map(|p| (snmpd_name.clone(), p.addr)))
                .chain(snmpsim.as_ref().map(|p| ("snmpsim".to_string(), p.addr)))
                .collect();
            walks = measure_walks(&agents, &tool, &opts);
            drop(imported);
        }
    }
    drop(snmpd);
    drop(served);
    drop(snmpsim);
    rt.block_on(paperjam.shutdown(Duration::from_secs(1)));

    // 3. Fleets.
    let mut fleets: Vec<(usize, std::result::Result<FleetRow, String>)> = Vec::new();
    match fleet_supported(&bin) {
        Err(why) => note(format!("fleet not measured: {why}")),
        Ok(()) => {
            for &n in &opts.fleets {
                eprintln!("fleet: {n} printers");
                fleets.push((n, run_fleet(&bin, n, opts.measure)));
            }
        }
    }

    let report = render(
        &opts,
        &gets,
        &walks,
        &walk_notes,
        &fleets,
        &snmpd_name,
        &notes,
    );
    println!("\n{report}");
    let out_dir = bin
        .parent()
        .and_then(Path::parent)
        .map(|t| t.join("bench"))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench"));
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let out = out_dir.join(if opts.quick {
        "snmp-quick.md"
    } else {
        "snmp.md"
    });
    std::fs::write(&out, &report).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("written to {}", out.display());
    Ok(())
}

// ---------------------------------------------------------------- the report

fn rate(l: Option<&Load>) -> String {
    l.map_or("—".into(), |l| group_digits(l.rate().round() as u64))
}

fn cpu_cell(l: Option<&Load>) -> String {
    match l.and_then(|l| l.agent_cpu_s.map(|c| (c, l))) {
        Some((c, l)) if l.ok > 0 => format!(
            "{:.0}% · {:.1} µs",
            100.0 * c / l.seconds.max(1e-9),
            c * 1e6 / l.ok as f64
        ),
        _ => "—".into(),
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "—".into()
    }
}

fn render(
    opts: &Options,
    gets: &[GetRow],
    walks: &[WalkRow],
    walk_notes: &[String],
    fleets: &[(usize, std::result::Result<FleetRow, String>)],
    snmpd_name: &str,
    notes: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# SNMP on loopback: paperjam vs net-snmp snmpd (and snmpsim)\n"
    );
    let _ = writeln!(
        s,
        "{} · nproc {} · {} · {} s a GET measurement, in {} slices taken in turns with the other agents, each after {} ms warm-up{} · paperjam {}\n",
        utc_now(),
        thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu_model(),
        opts.measure.as_secs(),
        opts.slices,
        WARMUP.as_millis(),
        if opts.quick { " (--quick)" } else { "" },
        env!("CARGO_PKG_VERSION"),
    );

    let _ = writeln!(s, "## GET hrDeviceDescr.1 (v2c), GET/s\n");
    let _ = writeln!(
        s,
        "| agent | 1 outstanding | µs a round trip | agent CPU · per GET | {WINDOW} outstanding | agent CPU · per GET | {WINDOW} / 1 | lost · errors |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for g in gets {
        let rtt = g
            .one
            .as_ref()
            .filter(|l| l.ok > 0)
            .map_or("—".into(), |l| format!("{:.1}", 1e6 / l.rate()));
        let scale = match (&g.one, &g.many) {
            (Some(a), Some(b)) => ratio(b.rate(), a.rate()),
            _ => "—".into(),
        };
        let lost = [&g.one, &g.many]
            .iter()
            .filter_map(|l| l.as_ref())
            .fold((0, 0), |(a, b), l| (a + l.lost, b + l.errors));
        let _ = writeln!(
            s,
            "| {} | {} | {rtt} | {} | {} | {} | {scale} | {} · {} |",
            g.agent,
            rate(g.one.as_ref()),
            cpu_cell(g.one.as_ref()),
            rate(g.many.as_ref()),
            cpu_cell(g.many.as_ref()),
            group_digits(lost.0),
            group_digits(lost.1),
        );
    }
    let find = |name: &str| gets.iter().find(|g| g.agent == name);
    let pj = find(PAPERJAM).or_else(|| find("paperjam, in this process"));
    let _ = writeln!(s);
    for peer in [snmpd_name, "snmpsim"] {
        if let (Some(a), Some(b)) = (pj, find(peer)) {
            let r = |x: &Option<Load>, y: &Option<Load>| match (x, y) {
                (Some(x), Some(y)) => ratio(x.rate(), y.rate()),
                _ => "—".into(),
            };
            let _ = writeln!(
                s,
                "{} / {peer}: {} at 1 outstanding, {} at {WINDOW}.",
                a.agent,
                r(&a.one, &b.one),
                r(&a.many, &b.many)
            );
        }
    }
    let _ = writeln!(
        s,
        "\nAgent CPU: the agent's CPU time over the measurement, as a share of one core and per GET answered \
         (in-process rows: this process minus the client thread). Lost: unanswered within {} ms.\n",
        LOSS_TIMEOUT.as_millis()
    );
    let _ = writeln!(s, "What each agent answered:");
    for g in gets {
        let _ = writeln!(s, "- {}: {}", g.agent, g.check);
    }

    if !walks.is_empty() {
        let _ = writeln!(
            s,
            "\n## `snmpbulkwalk -v2c -c public -Cr50 -On HOST:PORT .1`, {} runs each\n",
            opts.walks
        );
        let _ = writeln!(s, "| agent | varbinds a walk | ms a walk | varbinds/s | paperjam / agent | ms a sysDescr walk | bench client: varbinds/s | paperjam / agent |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
        let pj = walks.first();
        let pj_tool = pj.and_then(|w| w.tool.as_ref().ok()).map(ToolWalk::rate);
        let pj_client = pj
            .and_then(|w| w.client.as_ref().ok())
            .map(ClientWalk::rate);
        for w in walks {
            // The imported row is paperjam too: its ratio is the line below.
            let own = w.agent == PAPERJAM_IMPORTED;
            let (count, ms, tool_rate, tool_ratio) = match &w.tool {
                Ok(t) => (
                    group_digits(t.per_walk().round() as u64),
                    format!("{:.1}", t.ms_a_walk()),
                    group_digits(t.rate().round() as u64),
                    if own {
                        "—".into()
                    } else {
                        pj_tool.map_or("—".into(), |p| ratio(p, t.rate()))
                    },
                ),
                Err(e) => (
                    format!("failed: {}", e.replace('|', "/")),
                    "—".into(),
                    "—".into(),
                    "—".into(),
                ),
            };
            let (client_rate, client_ratio) = match &w.client {
                Ok(c) => (
                    group_digits(c.rate().round() as u64),
                    if own {
                        "—".into()
                    } else {
                        pj_client.map_or("—".into(), |p| ratio(p, c.rate()))
                    },
                ),
                Err(e) => (format!("failed: {}", e.replace('|', "/")), "—".into()),
            };
            let startup = w
                .startup
                .as_ref()
                .map_or("—".into(), |b| format!("{:.1}", b.ms_a_walk()));
            let _ = writeln!(
                s,
                "| {} | {count} | {ms} | {tool_rate} | {tool_ratio} | {startup} | {client_rate} | {client_ratio} |",
                w.agent
            );
        }
        let _ = writeln!(
            s,
            "\nEach tool walk is a new `snmpbulkwalk` process; -Cr50 asks for 50 varbinds a request. \
             The sysDescr walk (`.1.3.6.1.2.1.1.1`: one varbind, one request) is mostly the tool starting and exiting, \
             a cost the same for every agent that is most of a printer-sized walk. \
             The bench client walks the same way (GetBulk, max-repetitions 50, from 1.3) in this process, \
             walk after walk for {} s in all, with no process to start. \
             Agents take turns: a round is, for each agent, a sysDescr walk, a tool walk and a slice of client walks.",
            opts.measure.as_secs()
        );
        let row = |name: &str| walks.iter().find(|w| w.agent == name);
        if let (Some(a), Some(b)) = (row(PAPERJAM_IMPORTED), row(snmpd_name)) {
            let mut line = format!("\nEqual trees, {PAPERJAM_IMPORTED} / {snmpd_name}:");
            if let (Ok(x), Ok(y)) = (&a.tool, &b.tool) {
                line += &format!(
                    " {} `snmpbulkwalk` varbinds/s ({} vs {}; {:.1} vs {:.1} ms a walk of {} vs {} varbinds);",
                    ratio(x.rate(), y.rate()),
                    group_digits(x.rate().round() as u64),
                    group_digits(y.rate().round() as u64),
                    x.ms_a_walk(),
                    y.ms_a_walk(),
                    group_digits(x.per_walk().round() as u64),
                    group_digits(y.per_walk().round() as u64)
                );
            }
            if let (Ok(x), Ok(y)) = (&a.client, &b.client) {
                line += &format!(
                    " {} bench client varbinds/s ({} vs {}).",
                    ratio(x.rate(), y.rate()),
                    group_digits(x.rate().round() as u64),
                    group_digits(y.rate().round() as u64)
                );
            }
            if line.ends_with(':') {
                line += " not measured (the walks failed).";
            }
            let _ = writeln!(s, "{line}");
        }
        for n in walk_notes {
            let _ = writeln!(s, "\n{n}");
        }
    }

    let _ = writeln!(
        s,
        "\n## Fleet: `paperjam serve --fleet N --fleet-base {FLEET_BASE}`, GETs round robin over every agent, {WINDOW} outstanding\n"
    );
    if fleets.is_empty() {
        let _ = writeln!(s, "Not measured (see the notes).");
    } else {
        let _ = writeln!(s, "| printers | ready after | RSS when ready | RSS a printer | GET/s | agent CPU · per GET | lost · errors | peak RSS |");
        let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (n, f) in fleets {
            match f {
                Ok(f) => {
                    let _ = writeln!(
                        s,
                        "| {}{} | {:.1} s | {} | {:.1} KB | {} | {} | {} · {} | {} |",
                        group_digits(f.printers as u64),
                        if f.snmp_only.is_some() {
                            ", SNMP only (`--no-ipp`)"
                        } else {
                            ""
                        },
                        f.ready_s,
                        mb(f.rss_kb),
                        f.rss_kb as f64 / f.printers.max(1) as f64,
                        rate(Some(&f.load)),
                        cpu_cell(Some(&f.load)),
                        group_digits(f.load.lost),
                        group_digits(f.load.errors),
                        mb(f.peak_kb)
                    );
                }
                Err(e) => {
                    let _ = writeln!(
                        s,
                        "| {} | failed: {} | — | — | — | — | — | — |",
                        group_digits(*n as u64),
                        e.replace('|', "/")
                    );
                }
            }
        }
        for (n, f) in fleets {
            if let Ok(FleetRow {
                snmp_only: Some(why),
                ..
            }) = f
            {
                let _ = writeln!(
                    s,
                    "\n{} printers with IPP as well did not start ({}): two sockets a printer \
                     is more than this machine's open-file limit (20,000), so that row runs `--no-ipp`.",
                    group_digits(*n as u64),
                    why.replace('|', "/")
                );
            }
        }
        let _ = writeln!(
            s,
            "\nRSS when ready: `VmRSS` once every printer's line is printed. Peak: `VmHWM` after the GETs \
             (each agent builds its MIB view on its first request)."
        );
    }

    let _ = writeln!(
        s,
        "\n## Targets{}\n",
        if opts.quick {
            " (--quick: short runs, indicative only)"
        } else {
            ""
        }
    );
    for line in targets(gets, walks, fleets, snmpd_name) {
        let _ = writeln!(s, "- {line}");
    }
    if !notes.is_empty() {
        let _ = writeln!(s, "\nNotes:");
        for n in notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    s
}

fn targets(
    gets: &[GetRow],
    walks: &[WalkRow],
    fleets: &[(usize, std::result::Result<FleetRow, String>)],
    snmpd_name: &str,
) -> Vec<String> {
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let find = |name: &str| gets.iter().find(|g| g.agent == name);
    let mut v = Vec::new();
    for (peer, target) in [
        (snmpd_name, TARGET_GET_VS_SNMPD),
        ("snmpsim", TARGET_GET_VS_SNMPSIM),
    ] {
        match (
            find(PAPERJAM).or_else(|| find("paperjam, in this process")),
            find(peer),
        ) {
            (Some(a), Some(b)) => {
                for (x, y, w) in [(&a.one, &b.one, 1), (&a.many, &b.many, WINDOW)] {
                    if let (Some(x), Some(y)) = (x, y) {
                        let r = x.rate() / y.rate().max(1e-9);
                        v.push(format!(
                            "GET ≥ {target}× {peer} at {w} outstanding ({}): {r:.2}× ({:.0} vs {:.0}/s) — {}",
                            a.agent,
                            x.rate(),
                            y.rate(),
                            verdict(r >= target)
                        ));
                    }
                }
            }
            _ => v.push(format!(
                "GET ≥ {target}× {peer}: not measured ({peer} did not run)"
            )),
        }
    }
    let row = |name: &str| walks.iter().find(|w| w.agent == name);
    let equal = row(PAPERJAM_IMPORTED);
    for (a, what) in [
        (walks.first().filter(|w| w.agent != PAPERJAM_IMPORTED), ""),
        (equal, " on equal trees (snmpd's imported)"),
    ] {
        match (a, row(snmpd_name)) {
            (Some(a), Some(b)) => {
                let mut line = format!("bulkwalk varbinds/s ≥ {snmpd_name}{what}:");
                if let (Ok(x), Ok(y)) = (&a.tool, &b.tool) {
                    let r = x.rate() / y.rate().max(1e-9);
                    line += &format!(
                        " snmpbulkwalk {r:.2}× ({:.0} vs {:.0}) — {};",
                        x.rate(),
                        y.rate(),
                        verdict(r >= 1.0)
                    );
                }
                if let (Ok(x), Ok(y)) = (&a.client, &b.client) {
                    let r = x.rate() / y.rate().max(1e-9);
                    line += &format!(
                        " bench client {r:.2}× ({:.0} vs {:.0}) — {}",
                        x.rate(),
                        y.rate(),
                        verdict(r >= 1.0)
                    );
                }
                if line.ends_with(':') {
                    line += " not measured (the walks failed)";
                }
                v.push(line);
            }
            _ => v.push(format!("bulkwalk varbinds/s ≥ snmpd{what}: not measured")),
        }
    }
    match fleets.iter().find(|(n, _)| *n == 10_000) {
        Some((_, Ok(f))) => v.push(format!(
            "10,000 agents under 1 GiB{}: {} when ready, {} peak — {}",
            if f.snmp_only.is_some() {
                " (SNMP only)"
            } else {
                ""
            },
            mb(f.rss_kb),
            mb(f.peak_kb),
            verdict(f.peak_kb < TARGET_FLEET_RSS_KB)
        )),
        Some((_, Err(e))) => v.push(format!(
            "10,000 agents under 1 GiB: the fleet failed ({e}) — MISSED"
        )),
        None => v.push(
            "10,000 agents under 1 GiB: not measured (full runs only; see the notes if the fleet did not run)"
                .into(),
        ),
    }
    v
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}
