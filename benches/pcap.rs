//! Reading a large printer capture: paperjam's streaming pcap pipeline side
//! by side with tshark, in one run.
//!
//! `cargo bench --bench pcap` (a 500 MB capture, best of 3) or
//! `cargo bench --bench pcap -- --quick` (50 MB, one run each: the CI smoke
//! run, well under a minute once built). `--size-mb N` picks another size
//! (so does `PAPERJAM_BENCH_PCAP_MB`), `--runs N` another count of runs.
//!
//! 1. **The capture.** Real printer traffic, multiplied: every TCP flow of
//!    `ndpi-ipp.pcap` (a Print-Job of 230 KB sent with `Expect:
//!    100-continue` and answered chunked, and two small IPP requests; found
//!    in `$PAPERJAM_EXTERNAL_CAPTURES`, else `../shared/captures` beside the
//!    repository: the bench stops with a message when it is missing) and of
//!    `captures/*.pcapng` (LPD from CUPS and LPRng, AppSocket with PJL, IPP
//!    from CUPS and ipptool) is reassembled by paperjam, and its two streams
//!    are written out again many times by `pcap::write::TcpConversation`:
//!    the runs in the order the capture had them (request, 100 Continue,
//!    body, answer…), segments of at most `MSS` (1448) bytes, four at most a
//!    turn and then an ACK, a handshake, and the FINs (or the RST) the flow
//!    ended with. Eight flows are open at once, each taking a turn in round
//!    robin, so the reassembler holds eight flows at every moment; a flow
//!    that ends is replaced by the next source flow, from its own client
//!    (10.x.y.z, a port of its own: every 4-tuple is new) to one of the
//!    printers (192.168.1.x) on the port of its protocol (631, 515, 9100,
//!    which is also where tshark's dissectors look). Written as **pcapng**
//!    (Ethernet, nanosecond timestamps) to `target/bench-pcap/`, with a
//!    `.manifest` beside it saying how it was built and what it holds: a
//!    later run with the same size and the same sources reuses it.
//! 2. **paperjam**: `pcap::read::open` → `tcp::reassemble_with` (the
//!    borrowed-frame fast path, `Decoder::decode_ref`, the `Reassembler`)
//!    and, for each flow as soon as it ends, `frame::guess_tcp_protocol` and
//!    the matching framer (`split_http`, `split_lpd`, `split_socket`); the
//!    flow is dropped once framed, so memory follows the open flows, not
//!    the file. It runs in a process of its own (this binary again, with a
//!    hidden `--child STAGE FILE`) so that its peak memory is its own, not
//!    the generator's. The same child also times the stages alone (read
//!    only; read + decode; + reassemble), for the breakdown.
//! 3. **tshark**: `tshark -r FILE -q -z conv,tcp` (every conversation, as
//!    paperjam's flows) and `tshark -r FILE -q -z follow,tcp,raw,0` (one
//!    stream's bytes; tshark still dissects the whole file to find them),
//!    as given, with tshark's default preferences, and on an empty capture
//!    (tshark's start-up alone, for reference).
//!
//! Each run is a process, timed from spawn to exit (wall clock); its peak
//! memory is `%M` of GNU `/usr/bin/time` (`wait4`'s `ru_maxrss`, exact) or,
//! without it, `VmHWM` of `/proc/PID/status` polled every 10 ms. Runs take
//! turns (paperjam, tshark conv, tshark follow, again), so a change in the
//! machine's load falls on all alike; the best time of N is kept, and the
//! highest peak. The capture is read from the page cache (it was just
//! written or read), for every tool alike. MB is 10⁶ bytes; memory is in
//! MiB.
//!
//! Checks: paperjam's flow and message counts must be the manifest's (what
//! was written), and tshark's conversation count too; a mismatch is
//! reported and the bench exits non-zero. Prints Markdown and writes it to
//! `target/bench-pcap/pcap.md` (`pcap-quick.md` for `--quick`). A missing
//! tshark stops the bench with a message (exit code 1); nothing is
//! installed by it.

mod common;
use common::{cpu_model, find_tool, group_digits, utc_now};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Read};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use paperjam_suites::pcap::frame::{
    guess_tcp_protocol, split_http, split_lpd, split_socket, TcpProtocol,
};
use paperjam_suites::pcap::link::Decoder;
use paperjam_suites::pcap::read;
use paperjam_suites::pcap::tcp::{self, Dir, Ending, Flow, ReassemblerLimits};
use paperjam_suites::pcap::write::{
    Direction, FrameSink, PcapNgWriter, TcpConversation, WriteError, MSS,
};
use paperjam_suites::pcap::Packet;

type Result<T> = std::result::Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The capture's size, in MB (10⁶ bytes), full and `--quick`.
const FULL_MB: u64 = 500;
const QUICK_MB: u64 = 50;

/// Flows open at once in the capture, taking turns.
const CONCURRENT: usize = 8;

/// Segments a flow sends in one turn (then the receiver's ACK).
const BURST: usize = 4;

/// What a turn adds to the capture's clock.
const TURN: Duration = Duration::from_micros(25);

/// The capture's first timestamp (2023-11-14).
const EPOCH_S: u64 = 1_700_000_000;

/// The bytes a pcapng Enhanced Packet Block adds to a frame (before padding).
const EPB_OVERHEAD: u64 = 32;

/// Bump when the capture's recipe changes, so old files are not reused.
const RECIPE_VERSION: u32 = 1;

/// The issue's target: paperjam at least this many times faster than tshark.
const TARGET_SPEEDUP: f64 = 5.0;

/// The local captures used (the loopback ones with TCP; the UDP-only
/// captures have no flows to reassemble).
const LOCAL_CAPTURES: &[&str] = &[
    "ipp-cups-backend.pcapng",
    "ipp-ipptool-ippeveprinter.pcapng",
    "ipp-ipptool-paperjam.pcapng",
    "lpd-cups-backend.pcapng",
    "lpd-lprng-lpr-lpq.pcapng",
    "appsocket-cups-socket-backend.pcapng",
];

/// The external capture used.
const EXTERNAL_CAPTURE: &str = "ndpi-ipp.pcap";

/// The stages the child can run, cheapest first; the last is the pipeline.
const STAGES: &[(&str, &str)] = &[
    ("read", "read only (`for_each_frame`, borrowed frames)"),
    ("decode", "read + `Decoder::decode_ref`"),
    (
        "reassemble",
        "read + decode + `Reassembler` (`reassemble_with`, flows dropped)",
    ),
    (
        "frame",
        "read + decode + reassemble + guess + framer (the pipeline)",
    ),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let (Some(stage), Some(file)) = (args.get(i + 1), args.get(i + 2)) else {
            eprintln!("bench pcap: --child STAGE FILE");
            return ExitCode::FAILURE;
        };
        return match child(stage, Path::new(file)) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("bench pcap child: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench pcap: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line options. `cargo bench` adds `--bench`; anything else
/// unknown is ignored.
struct Options {
    quick: bool,
    size_mb: u64,
    runs: usize,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options> {
        let quick = args.iter().any(|a| a == "--quick");
        let value = |name: &str| -> Result<Option<u64>> {
            match args.iter().position(|a| a == name) {
                None => Ok(None),
                Some(i) => args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .map(Some)
                    .ok_or_else(|| format!("{name} wants a positive number")),
            }
        };
        let env_mb = std::env::var("PAPERJAM_BENCH_PCAP_MB")
            .ok()
            .and_then(|v| v.parse().ok());
        let size_mb = value("--size-mb")?
            .or(env_mb)
            .unwrap_or(if quick { QUICK_MB } else { FULL_MB })
            .max(1);
        let runs = value("--runs")?.unwrap_or(if quick { 1 } else { 3 }).max(1);
        Ok(Options {
            quick,
            size_mb,
            runs: usize::try_from(runs).unwrap_or(1),
        })
    }
}

// ---------------------------------------------------------------- the work

/// What the pipeline found: flows by protocol, and the messages framed in
/// them (HTTP exchanges, LPD commands, AppSocket documents).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    flows: u64,
    http: u64,
    lpd: u64,
    socket: u64,
    other: u64,
    messages: u64,
}

impl Counts {
    /// Guess one flow's protocol and frame its streams.
    fn frame(&mut self, server_port: u16, to_server: &[u8], to_client: &[u8]) {
        self.flows += 1;
        let n = match guess_tcp_protocol(server_port, to_server) {
            TcpProtocol::Http => {
                self.http += 1;
                split_http(to_server, to_client).exchanges.len()
            }
            TcpProtocol::Lpd => {
                self.lpd += 1;
                split_lpd(to_server, to_client).commands.len()
            }
            TcpProtocol::AppSocket => {
                self.socket += 1;
                split_socket(to_server, to_client).documents.len()
            }
            TcpProtocol::Tls | TcpProtocol::Unknown => {
                self.other += 1;
                0
            }
        };
        self.messages += n as u64;
    }

    fn times(self, k: u64) -> Counts {
        Counts {
            flows: self.flows * k,
            http: self.http * k,
            lpd: self.lpd * k,
            socket: self.socket * k,
            other: self.other * k,
            messages: self.messages * k,
        }
    }

    fn add(&mut self, o: Counts) {
        self.flows += o.flows;
        self.http += o.http;
        self.lpd += o.lpd;
        self.socket += o.socket;
        self.other += o.other;
        self.messages += o.messages;
    }

    fn to_kv(self) -> String {
        format!(
            "flows={} http={} lpd={} socket={} other={} messages={}",
            self.flows, self.http, self.lpd, self.socket, self.other, self.messages
        )
    }

    fn from_kv(kv: &[(String, String)]) -> Option<Counts> {
        let get = |k: &str| kv_get(kv, k)?.parse().ok();
        Some(Counts {
            flows: get("flows")?,
            http: get("http")?,
            lpd: get("lpd")?,
            socket: get("socket")?,
            other: get("other")?,
            messages: get("messages")?,
        })
    }
}

/// The child: one stage over `file`, as a `key=value` line.
fn child(stage: &str, file: &Path) -> Result<String> {
    let t0 = Instant::now();
    let mut counts = Counts::default();
    let frames;
    let mut bytes = 0u64;
    let mut segments = 0u64;
    match stage {
        "read" => {
            let mut r = read::open(file).map_err(err)?;
            frames = r
                .for_each_frame(|f| bytes += f.data.len() as u64)
                .map_err(err)?;
        }
        "decode" => {
            let mut r = read::open(file).map_err(err)?;
            let mut decoder = Decoder::default();
            let mut warnings = Vec::new();
            frames = r
                .for_each_frame(|f| {
                    bytes += f.data.len() as u64;
                    if let Packet::Tcp(seg) = decoder.decode_ref(f, &mut warnings) {
                        segments += 1;
                        std::hint::black_box(&seg);
                    }
                    warnings.clear();
                })
                .map_err(err)?;
        }
        "reassemble" | "frame" => {
            let framing = stage == "frame";
            let r = read::open(file).map_err(err)?;
            let summary = tcp::reassemble_with(
                r,
                ReassemblerLimits::default(),
                |f: Flow| {
                    if framing {
                        counts.frame(f.server.port(), &f.to_server, &f.to_client);
                    } else {
                        counts.flows += 1;
                        std::hint::black_box(&f);
                    }
                },
                |_| {},
            )
            .map_err(err)?;
            frames = summary.frames;
            bytes = summary.bytes;
            if !summary.warnings.is_empty() {
                eprintln!(
                    "bench pcap child: {} warnings, the first: {}",
                    summary.warnings.len(),
                    summary.warnings[0]
                );
            }
        }
        other => return Err(format!("no stage {other:?}")),
    }
    let secs = t0.elapsed().as_secs_f64();
    let hwm = proc_status_kb("self", "VmHWM:").unwrap_or(0);
    Ok(format!(
        "stage={stage} frames={frames} bytes={bytes} segments={segments} {} secs={secs:.6} hwm_kb={hwm}",
        counts.to_kv()
    ))
}

fn proc_status_kb(pid: &str, key: &str) -> Option<u64> {
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

fn parse_kv(line: &str) -> Vec<(String, String)> {
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn kv_get<'a>(kv: &'a [(String, String)], key: &str) -> Option<&'a str> {
    kv.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------- the capture

/// One source flow, ready to be written again.
struct Source {
    /// "file: client → server".
    label: String,
    /// The port it is written to (its protocol's).
    port: u16,
    /// What each side sent, in the order the capture had it.
    script: Vec<(Direction, Vec<u8>)>,
    /// Who reset it, if it ended with RST.
    reset_by: Option<Direction>,
    /// The bytes of both streams.
    bytes: usize,
    /// What one copy holds.
    counts: Counts,
}

fn direction(d: Dir) -> Direction {
    match d {
        Dir::ToServer => Direction::ToServer,
        Dir::ToClient => Direction::ToClient,
    }
}

/// The TCP flows of one capture file, as sources.
fn sources_of(path: &Path) -> Result<Vec<Source>> {
    let cap = tcp::reassemble_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    for flow in cap.flows {
        if flow.to_server.is_empty() {
            continue;
        }
        let port = match guess_tcp_protocol(flow.server.port(), &flow.to_server) {
            TcpProtocol::Http => 631,
            TcpProtocol::Lpd => 515,
            TcpProtocol::AppSocket => 9100,
            TcpProtocol::Tls | TcpProtocol::Unknown => continue,
        };
        let mut script: Vec<(Direction, Vec<u8>)> = Vec::new();
        for run in &flow.runs {
            let Some(bytes) = flow.stream(run.dir).get(run.start..run.start + run.len) else {
                continue;
            };
            let d = direction(run.dir);
            match script.last_mut() {
                Some((last, b)) if *last == d => b.extend_from_slice(bytes),
                _ => script.push((d, bytes.to_vec())),
            }
        }
        let bytes = flow.to_server.len() + flow.to_client.len();
        if script.iter().map(|(_, b)| b.len()).sum::<usize>() != bytes {
            // The runs do not cover the streams: each stream whole instead.
            script = vec![
                (Direction::ToServer, flow.to_server.clone()),
                (Direction::ToClient, flow.to_client.clone()),
            ];
            script.retain(|(_, b)| !b.is_empty());
        }
        let mut counts = Counts::default();
        counts.frame(port, &flow.to_server, &flow.to_client);
        out.push(Source {
            label: format!("{name}: {} → {}", flow.client, flow.server),
            port,
            script,
            reset_by: match flow.ending {
                Ending::Reset { by } => Some(direction(by)),
                Ending::Fin { .. } | Ending::Unfinished => None,
            },
            bytes,
            counts,
        });
    }
    Ok(out)
}

/// Where the external captures are.
fn external_dir(repo: &Path) -> PathBuf {
    std::env::var_os("PAPERJAM_EXTERNAL_CAPTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("../shared/captures"))
}

fn load_sources(repo: &Path) -> Result<(Vec<Source>, Vec<PathBuf>)> {
    let ext = external_dir(repo).join(EXTERNAL_CAPTURE);
    if !ext.is_file() {
        return Err(format!(
            "{} is missing: this bench builds its capture from it. Set \
             PAPERJAM_EXTERNAL_CAPTURES to the folder that holds {EXTERNAL_CAPTURE} \
             (default: ../shared/captures beside the repository)",
            ext.display()
        ));
    }
    let mut files = vec![ext];
    files.extend(LOCAL_CAPTURES.iter().map(|n| repo.join("captures").join(n)));
    let mut sources = Vec::new();
    for f in &files {
        if !f.is_file() {
            return Err(format!("{} is missing", f.display()));
        }
        let s = sources_of(f)?;
        if s.is_empty() {
            return Err(format!(
                "{} has no TCP flow paperjam can frame",
                f.display()
            ));
        }
        sources.extend(s);
    }
    Ok((sources, files))
}

/// One flow being written: its conversation and how far its script is.
struct Player<'a> {
    src: &'a Source,
    conv: TcpConversation,
    opened: bool,
    step: usize,
    offset: usize,
}

impl Player<'_> {
    /// One turn: the handshake, or up to [`BURST`] segments, or the end.
    /// Returns whether the flow is over.
    fn turn<S: FrameSink>(
        &mut self,
        ts: Duration,
        sink: &mut S,
    ) -> std::result::Result<bool, WriteError> {
        if !self.opened {
            self.opened = true;
            self.conv.handshake(ts, sink)?;
            return Ok(false);
        }
        if let Some((dir, bytes)) = self.src.script.get(self.step) {
            let end = (self.offset + BURST * MSS).min(bytes.len());
            let chunk = bytes.get(self.offset..end).unwrap_or_default();
            self.conv.data(*dir, chunk, ts, sink)?;
            self.offset = end;
            if end >= bytes.len() {
                self.step += 1;
                self.offset = 0;
            }
            return Ok(false);
        }
        match self.src.reset_by {
            Some(dir) => self.conv.rst(dir, ts, sink)?,
            None => {
                self.conv.fin(Direction::ToServer, ts, sink)?;
                self.conv.fin(Direction::ToClient, ts, sink)?;
            }
        }
        Ok(true)
    }
}

/// The pcapng writer, counting what goes through it.
struct Counting {
    w: PcapNgWriter<BufWriter<File>>,
    frames: u64,
    bytes: u64,
}

impl Counting {
    fn file_estimate(&self) -> u64 {
        self.bytes + self.frames * EPB_OVERHEAD
    }
}

impl FrameSink for Counting {
    fn write_frame(&mut self, ts: Duration, frame: &[u8]) -> std::result::Result<(), WriteError> {
        self.frames += 1;
        self.bytes += frame.len() as u64;
        self.w.write_frame(ts, frame)
    }
}

/// What the capture holds, and how it was made (the `.manifest` file).
struct Manifest {
    recipe: String,
    file_bytes: u64,
    frames: u64,
    counts: Counts,
    copies: u64,
    build_secs: f64,
}

impl Manifest {
    fn write(&self, path: &Path) -> Result<()> {
        let text = format!(
            "recipe={}\nfile_bytes={}\nframes={}\ncopies={}\nbuild_secs={:.3}\n{}\n",
            self.recipe,
            self.file_bytes,
            self.frames,
            self.copies,
            self.build_secs,
            self.counts.to_kv().replace(' ', "\n")
        );
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn read(path: &Path) -> Option<Manifest> {
        let text = std::fs::read_to_string(path).ok()?;
        let kv: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(Manifest {
            recipe: kv_get(&kv, "recipe")?.to_string(),
            file_bytes: kv_get(&kv, "file_bytes")?.parse().ok()?,
            frames: kv_get(&kv, "frames")?.parse().ok()?,
            copies: kv_get(&kv, "copies")?.parse().ok()?,
            build_secs: kv_get(&kv, "build_secs")?.parse().ok()?,
            counts: Counts::from_kv(&kv)?,
        })
    }
}

/// The recipe a capture is made by: a file made by another is not reused.
fn recipe(size: u64, sources: &[Source]) -> String {
    let total: usize = sources.iter().map(|s| s.bytes).sum();
    format!(
        "v{RECIPE_VERSION} target={size} concurrent={CONCURRENT} burst={BURST} mss={MSS} sources={} source_bytes={total}",
        sources.len()
    )
}

/// The capture of `size` bytes at `path`: reused when its manifest says it
/// was made by the same recipe, else written.
fn capture(path: &Path, size: u64, sources: &[Source]) -> Result<(Manifest, bool)> {
    let manifest_path = path.with_extension("manifest");
    let recipe = recipe(size, sources);
    if let Some(m) = Manifest::read(&manifest_path) {
        let on_disk = std::fs::metadata(path).map(|m| m.len()).ok();
        if m.recipe == recipe && on_disk == Some(m.file_bytes) {
            return Ok((m, true));
        }
    }
    let t0 = Instant::now();
    let tmp = path.with_extension("pcapng.partial");
    let file = File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let w = PcapNgWriter::new(BufWriter::with_capacity(1 << 20, file)).map_err(err)?;
    let mut sink = Counting {
        w,
        frames: 0,
        bytes: 0,
    };
    let printers: Vec<Ipv4Addr> = (0..sources.len())
        .map(|i| Ipv4Addr::new(192, 168, 1, 10 + u8::try_from(i % 200).unwrap_or(0)))
        .collect();
    let mut slots: Vec<Option<Player>> = (0..CONCURRENT).map(|_| None).collect();
    let mut started = 0u64;
    let mut ts = Duration::from_secs(EPOCH_S);
    let mut filling = true;
    loop {
        let mut busy = false;
        for slot in slots.iter_mut() {
            if slot.is_none() && filling {
                let i = usize::try_from(started % sources.len() as u64).unwrap_or(0);
                let src = &sources[i];
                // A client address and port no other flow has.
                let client_ip =
                    Ipv4Addr::from(0x0a00_0001 + u32::try_from(started / 32_768).unwrap_or(0));
                let client_port = 32_768 + u16::try_from(started % 32_768).unwrap_or(0);
                let client = SocketAddr::V4(SocketAddrV4::new(client_ip, client_port));
                let server = SocketAddr::V4(SocketAddrV4::new(printers[i], src.port));
                *slot = Some(Player {
                    src,
                    conv: TcpConversation::new(client, server),
                    opened: false,
                    step: 0,
                    offset: 0,
                });
                started += 1;
            }
            if let Some(p) = slot {
                busy = true;
                if p.turn(ts, &mut sink).map_err(err)? {
                    *slot = None;
                }
                ts += TURN;
            }
        }
        if filling && sink.file_estimate() >= size {
            filling = false;
        }
        if !busy {
            break;
        }
    }
    let Counting { w, frames, .. } = sink;
    w.finish().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file_bytes = std::fs::metadata(path).map_err(err)?.len();
    // Each source went out `started / n` times, the first `started % n` once more.
    let n = sources.len() as u64;
    let mut counts = Counts::default();
    for (i, s) in sources.iter().enumerate() {
        let copies = started / n + u64::from((i as u64) < started % n);
        counts.add(s.counts.times(copies));
    }
    let m = Manifest {
        recipe,
        file_bytes,
        frames,
        counts,
        copies: started / n,
        build_secs: t0.elapsed().as_secs_f64(),
    };
    m.write(&manifest_path)?;
    Ok((m, false))
}

// ---------------------------------------------------------------- measuring

/// One process run: wall time, peak memory, what it printed.
struct Measured {
    secs: f64,
    peak_kb: u64,
    stdout: String,
}

/// How peak memory is taken: GNU time's `%M`, else polling `VmHWM`.
enum PeakBy {
    Time(PathBuf),
    Poll,
}

impl PeakBy {
    fn describe(&self) -> String {
        match self {
            PeakBy::Time(p) => format!("`{} -f %M` (`ru_maxrss` from `wait4`)", p.display()),
            PeakBy::Poll => "`VmHWM` of `/proc/PID/status`, polled every 10 ms".into(),
        }
    }
}

/// Whether `path` is GNU time (which has `-f %M` and `-o FILE`).
fn is_gnu_time(path: &Path) -> bool {
    Command::new(path).arg("--version").output().is_ok_and(|o| {
        String::from_utf8_lossy(&o.stdout).contains("GNU")
            || String::from_utf8_lossy(&o.stderr).contains("GNU")
    })
}

/// Runs `program args…` to its end, timing it and taking its peak memory.
fn measure(program: &Path, args: &[OsString], peak: &PeakBy, scratch: &Path) -> Result<Measured> {
    let mut cmd;
    let time_out = scratch.join("maxrss.txt");
    match peak {
        PeakBy::Time(time) => {
            cmd = Command::new(time);
            cmd.arg("-f")
                .arg("%M")
                .arg("-o")
                .arg(&time_out)
                .arg("--")
                .arg(program);
        }
        PeakBy::Poll => cmd = Command::new(program),
    }
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let t0 = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    let pid = child.id().to_string();
    let mut out = child.stdout.take();
    let mut errs = child.stderr.take();
    let out_thread = thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = o.read_to_end(&mut s);
        }
        s
    });
    let err_thread = thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(e) = errs.as_mut() {
            let _ = e.read_to_end(&mut s);
        }
        s
    });
    let (tx, rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send(Instant::now());
        status
    });
    let mut polled = 0;
    let end = loop {
        if let PeakBy::Poll = peak {
            if let Some(kb) = proc_status_kb(&pid, "VmHWM:") {
                polled = polled.max(kb);
            }
        }
        match rx.recv_timeout(Duration::from_millis(10)) {
            Ok(t) => break t,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break Instant::now(),
        }
    };
    let status = waiter
        .join()
        .map_err(|_| "the waiting thread panicked".to_string())?
        .map_err(err)?;
    let stdout = String::from_utf8_lossy(&out_thread.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
    if !status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(4).collect();
        return Err(format!(
            "{} exited with {status}: {}",
            program.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ));
    }
    let peak_kb = match peak {
        PeakBy::Time(_) => std::fs::read_to_string(&time_out)
            .inspect(|_| {
                let _ = std::fs::remove_file(&time_out);
            })
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
            .ok_or_else(|| format!("no %M from time in {}", time_out.display()))?,
        PeakBy::Poll => polled,
    };
    Ok(Measured {
        secs: end.duration_since(t0).as_secs_f64(),
        peak_kb,
        stdout,
    })
}

/// A row of the table: the best of its runs.
struct Row {
    tool: String,
    /// Best wall time.
    secs: f64,
    /// Highest peak over the runs.
    peak_kb: u64,
    /// Flows (paperjam) or conversations (tshark conv) seen.
    flows: Option<u64>,
    /// What the best run printed.
    stdout: String,
    error: Option<String>,
}

impl Row {
    fn new(tool: &str) -> Row {
        Row {
            tool: tool.into(),
            secs: f64::INFINITY,
            peak_kb: 0,
            flows: None,
            stdout: String::new(),
            error: None,
        }
    }

    fn take(&mut self, r: Result<Measured>) {
        match r {
            Ok(m) => {
                self.peak_kb = self.peak_kb.max(m.peak_kb);
                if m.secs < self.secs {
                    self.secs = m.secs;
                    self.stdout = m.stdout;
                }
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn ok(&self) -> bool {
        self.error.is_none() && self.secs.is_finite()
    }
}

// ---------------------------------------------------------------- the run

fn run(args: &[String]) -> Result<bool> {
    let opts = Options::parse(args)?;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(tshark) = find_tool("tshark") else {
        return Err(
            "tshark is not on PATH: this bench compares paperjam with it \
                    (Debian: apt-get install tshark). Nothing was measured."
                .into(),
        );
    };
    let tshark_version = Command::new(&tshark)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(|l| l.split(" (").take(2).collect::<Vec<_>>().join(" ("))
        })
        .unwrap_or_else(|| "tshark".into());
    let me = std::env::current_exe().map_err(err)?;
    let dir = repo.join("target/bench-pcap");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let peak = if is_gnu_time(Path::new("/usr/bin/time")) {
        PeakBy::Time("/usr/bin/time".into())
    } else {
        PeakBy::Poll
    };

    // The capture.
    let size = opts.size_mb * 1_000_000;
    let (sources, files) = load_sources(repo)?;
    let path = dir.join(format!("printers-{}MB.pcapng", opts.size_mb));
    eprintln!("bench pcap: capture {} …", path.display());
    let (manifest, reused) = capture(&path, size, &sources)?;
    let empty = dir.join("empty.pcapng");
    if !empty.is_file() {
        let f = File::create(&empty).map_err(err)?;
        PcapNgWriter::new(f).map_err(err)?.finish().map_err(err)?;
    }
    let mb = manifest.file_bytes as f64 / 1e6;
    // Bring the file into the page cache for everyone.
    let _ = std::io::copy(&mut File::open(&path).map_err(err)?, &mut std::io::sink());

    // The runs, in turns.
    let file_arg: OsString = path.clone().into();
    let child_args =
        |stage: &str| -> Vec<OsString> { vec!["--child".into(), stage.into(), file_arg.clone()] };
    let tshark_conv: Vec<OsString> = vec![
        "-r".into(),
        file_arg.clone(),
        "-q".into(),
        "-z".into(),
        "conv,tcp".into(),
    ];
    let tshark_follow: Vec<OsString> = vec![
        "-r".into(),
        file_arg.clone(),
        "-q".into(),
        "-z".into(),
        "follow,tcp,raw,0".into(),
    ];
    let tshark_empty: Vec<OsString> = vec![
        "-r".into(),
        empty.clone().into(),
        "-q".into(),
        "-z".into(),
        "conv,tcp".into(),
    ];
    let mut pj = Row::new("paperjam: read + reassemble + frame");
    let mut conv = Row::new("`tshark -r FILE -q -z conv,tcp`");
    let mut follow = Row::new("`tshark -r FILE -q -z follow,tcp,raw,0`");
    let mut startup = Row::new("`tshark -r EMPTY -q -z conv,tcp` (start-up alone)");
    let mut stages: Vec<Row> = STAGES[..STAGES.len() - 1]
        .iter()
        .map(|(s, _)| Row::new(s))
        .collect();
    for round in 0..opts.runs {
        eprintln!("bench pcap: round {} of {} …", round + 1, opts.runs);
        pj.take(measure(&me, &child_args("frame"), &peak, &dir));
        conv.take(measure(&tshark, &tshark_conv, &peak, &dir));
        follow.take(measure(&tshark, &tshark_follow, &peak, &dir));
        startup.take(measure(&tshark, &tshark_empty, &peak, &dir));
        for (row, (stage, _)) in stages.iter_mut().zip(STAGES) {
            row.take(measure(&me, &child_args(stage), &peak, &dir));
        }
    }

    // What each saw.
    let mut problems = Vec::new();
    let pj_kv = parse_kv(&pj.stdout);
    let pj_counts = Counts::from_kv(&pj_kv);
    let pj_secs_inside = kv_get(&pj_kv, "secs").and_then(|s| s.parse::<f64>().ok());
    let pj_hwm = kv_get(&pj_kv, "hwm_kb").and_then(|s| s.parse::<u64>().ok());
    match pj_counts {
        Some(c) if c == manifest.counts => pj.flows = Some(c.flows),
        Some(c) => {
            pj.flows = Some(c.flows);
            problems.push(format!(
                "paperjam found {} but the capture holds {}",
                c.to_kv(),
                manifest.counts.to_kv()
            ));
        }
        None if pj.ok() => problems.push(format!("paperjam's child said {:?}", pj.stdout.trim())),
        None => {}
    }
    if conv.ok() {
        let n = conv.stdout.lines().filter(|l| l.contains("<->")).count() as u64;
        conv.flows = Some(n);
        if n != manifest.counts.flows {
            problems.push(format!(
                "tshark listed {n} TCP conversations, the capture holds {} flows",
                manifest.counts.flows
            ));
        }
    }
    for r in [&pj, &conv, &follow, &startup]
        .into_iter()
        .chain(stages.iter())
    {
        if let Some(e) = &r.error {
            problems.push(format!("{}: {e}", r.tool));
        }
    }

    // The report.
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# pcap: paperjam's streaming pipeline vs tshark{}\n",
        if opts.quick { " (--quick)" } else { "" }
    );
    let _ = writeln!(
        s,
        "{} · {} cores, {} · {tshark_version} · best of {} run{} · peak memory by {}\n",
        utc_now(),
        thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu_model(),
        opts.runs,
        if opts.runs == 1 { "" } else { "s" },
        peak.describe()
    );
    let built = if reused {
        format!("reused (built earlier in {:.2} s)", manifest.build_secs)
    } else {
        format!("built now in {:.2} s", manifest.build_secs)
    };
    let _ = writeln!(
        s,
        "Capture: `{}`, pcapng, {:.1} MB ({} bytes), {} frames, {} TCP flows ({} HTTP/IPP, {} LPD, {} AppSocket) \
         holding {} messages; {built}.",
        path.strip_prefix(repo).unwrap_or(&path).display(),
        mb,
        group_digits(manifest.file_bytes),
        group_digits(manifest.frames),
        group_digits(manifest.counts.flows),
        group_digits(manifest.counts.http),
        group_digits(manifest.counts.lpd),
        group_digits(manifest.counts.socket),
        group_digits(manifest.counts.messages),
    );
    let _ = writeln!(
        s,
        "\nBuilt from {} source flows of {} files ({}), each written about {} times: \
         {CONCURRENT} flows open at once in round robin, {BURST} segments of at most {MSS} bytes a turn then an ACK, \
         every flow from a client address and port of its own to its protocol's port (631, 515, 9100). \
         Messages: HTTP exchanges, LPD commands, AppSocket documents.\n",
        sources.len(),
        files.len(),
        files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(", "),
        group_digits(manifest.copies),
    );
    let _ = writeln!(
        s,
        "| tool | seconds | MB/s | peak RSS MiB | flows | paperjam faster | paperjam smaller |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    for r in [&pj, &conv, &follow, &startup] {
        let own = std::ptr::eq(r, &pj);
        let is_startup = std::ptr::eq(r, &startup);
        if !r.ok() {
            let _ = writeln!(s, "| {} | failed | — | — | — | — | — |", r.tool);
            continue;
        }
        let rate = if is_startup {
            "—".into()
        } else {
            format!("{:.0}", mb / r.secs)
        };
        let (faster, smaller) = if own || is_startup || !pj.ok() {
            ("—".into(), "—".into())
        } else {
            (
                format!("{:.1}×", r.secs / pj.secs),
                format!("{:.1}×", r.peak_kb as f64 / pj.peak_kb.max(1) as f64),
            )
        };
        let _ = writeln!(
            s,
            "| {} | {:.2} | {rate} | {:.1} | {} | {faster} | {smaller} |",
            r.tool,
            r.secs,
            r.peak_kb as f64 / 1024.0,
            r.flows.map_or("—".into(), group_digits),
        );
    }
    if let (Some(inside), Some(hwm)) = (pj_secs_inside, pj_hwm) {
        let _ = writeln!(
            s,
            "\npaperjam inside its process: {inside:.2} s ({:.0} MB/s), `VmHWM` {:.1} MiB (the binary's own baseline included).",
            mb / inside.max(1e-9),
            hwm as f64 / 1024.0
        );
    }
    if let Some(c) = pj_counts {
        let _ = writeln!(
            s,
            "paperjam framed {} flows ({} HTTP, {} LPD, {} AppSocket, {} other) into {} messages.",
            group_digits(c.flows),
            group_digits(c.http),
            group_digits(c.lpd),
            group_digits(c.socket),
            group_digits(c.other),
            group_digits(c.messages)
        );
    }

    let _ = writeln!(
        s,
        "\n## paperjam, stage by stage (each a process of its own)\n"
    );
    let _ = writeln!(
        s,
        "| stage | seconds | MB/s | added by the stage | peak RSS MiB |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    let mut prev = 0.0;
    let all: Vec<(&Row, &str)> = stages
        .iter()
        .chain(std::iter::once(&pj))
        .zip(STAGES.iter().map(|(_, d)| *d))
        .collect();
    for (r, what) in all {
        if !r.ok() {
            let _ = writeln!(s, "| {what} | failed | — | — | — |");
            continue;
        }
        let _ = writeln!(
            s,
            "| {what} | {:.2} | {:.0} | {:+.2} s | {:.1} |",
            r.secs,
            mb / r.secs,
            r.secs - prev,
            r.peak_kb as f64 / 1024.0
        );
        prev = r.secs;
    }

    let _ = writeln!(
        s,
        "\n## Target{}\n",
        if opts.quick {
            " (--quick: a small file, one run: indicative only)"
        } else {
            ""
        }
    );
    for r in [&conv, &follow] {
        if pj.ok() && r.ok() {
            let x = r.secs / pj.secs;
            let _ = writeln!(
                s,
                "- ≥ {TARGET_SPEEDUP}× {}: {x:.1}× ({:.0} vs {:.0} MB/s; peak {:.1} vs {:.1} MiB) — {}",
                r.tool,
                mb / pj.secs,
                mb / r.secs,
                pj.peak_kb as f64 / 1024.0,
                r.peak_kb as f64 / 1024.0,
                if x >= TARGET_SPEEDUP { "met" } else { "MISSED" }
            );
        } else {
            let _ = writeln!(s, "- ≥ {TARGET_SPEEDUP}× {}: not measured", r.tool);
        }
    }
    let _ = writeln!(
        s,
        "\n## Source flows (each written again with new addresses)\n"
    );
    for src in &sources {
        let _ = writeln!(
            s,
            "- {}: {} bytes in {} runs, to port {}, {} message{}",
            src.label,
            group_digits(src.bytes as u64),
            src.script.len(),
            src.port,
            src.counts.messages,
            if src.counts.messages == 1 { "" } else { "s" }
        );
    }
    if !problems.is_empty() {
        let _ = writeln!(s, "\nProblems:");
        for p in &problems {
            let _ = writeln!(s, "- {}", p.replace('|', "/"));
        }
    }
    println!("\n{s}");
    let out = dir.join(if opts.quick {
        "pcap-quick.md"
    } else {
        "pcap.md"
    });
    std::fs::write(&out, &s).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("written to {}", out.display());
    Ok(problems.is_empty())
}

// ---------------------------------------------------------------- helpers
