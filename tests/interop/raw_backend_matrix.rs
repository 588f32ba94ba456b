//! What the real CUPS `lpd` and `socket` backends do under every LPD and
//! AppSocket quirk paperjam has: one print of a 2-page PDF per quirk (plus a
//! clean row per backend), each against its own `paperjam serve --speed 5
//! --fault NAME`, with a deadline per run. The rows come from the quirk
//! registry ([`QuirkKind::ALL`] by [`QuirkKind::protocol`]), so a new quirk
//! gets its row by itself.
//!
//! The tables (`target/interop/cups-lpd-socket-backends-under-quirks.md`, also
//! printed) record, per row, how the backend ended and when, the `STATE:`,
//! `ERROR:`, `WARNING:` and `INFO:` lines it printed, the job as the printer
//! saw it (`GET /state`) the moment the backend ended and once it settled, and
//! what the spool holds. For `socket-one-connection` a second connection (a
//! plain `TcpStream` that sends nothing) is held open on the socket port while
//! the backend runs, so the quirk bites.
//!
//! What the CUPS 2.4.2 backends did here, and what the tests hold them to
//! (only what follows from the backends' code whatever the CUPS version, or
//! from what the quirk is for):
//!
//! * Clean rows: exit 0, the job completed and spooled byte for byte. The
//!   `socket` backend waits for the printer to close the back-channel, which
//!   paperjam does once the job is done: the job is already completed when
//!   the backend exits.
//! * `lpd-refuse-job`: the `02` receive-job command gets `\x01`; the backend
//!   exits 1 (CUPS_BACKEND_FAILED) at once, without an `ERROR:` line; no job.
//! * `lpd-refuse-file`: `ERROR: Remote host did not accept control file (1).`,
//!   then the backend sleeps 30 s and retries, forever: stopped at the
//!   deadline. It never exits 0; nothing prints.
//! * `lpd-lose-data-file`: every acknowledgement is zero, so the backend
//!   exits 0 ("Data file sent successfully.") while the printer aborted the
//!   job: the client cannot tell. Asserted, since that is the quirk's point.
//! * `lpd-close-after-control-file`: the `03` data-file command reads EOF;
//!   the backend warns "The printer did not respond." but takes `errno` (0) as
//!   the status and goes on sending into the closed connection. Then it is a
//!   race: either the sends fail (EPIPE: `ERROR: Remote host did not accept
//!   data file (32).`, retry in 30 s, stopped at the deadline) or they land in
//!   the socket buffer before the reset and it exits 0. Either way nothing
//!   prints: asserted are the warning and the missing job.
//! * `lpd-slow-ack`: five acknowledgements, each 2 s late: exit 0 after about
//!   10 s, the job completed and byte-exact (the backend's read timeout is
//!   minutes).
//! * `socket-close-on-half-close`: the backend half-closes, the printer hangs
//!   up, and the backend (which reads the back-channel only until EOF) exits 0
//!   at once, before the job printed; the job still completes.
//! * `socket-one-connection`: the backend's connection is accepted by the
//!   kernel and reset by the printer. The backend may see the reset while
//!   connecting (`Connection error: Host is down`, retried 5 s and 10 s
//!   later) or only after it wrote the whole file (2.9 KB fit in the socket
//!   buffer); it then exits 0 with nothing printed. Asserted: nothing
//!   printed, and the held connection is left alone.
//! * `socket-reset-mid-job`: the file is written in one go before the reset
//!   comes; the backend ignores the reset on the back-channel and exits 0,
//!   while the printer aborted the job (a `.partial` of the first bytes is
//!   left). Asserted: the job did not complete, and the backend ended by
//!   itself.
//! * `pjl-silent`: the `socket` backend asks no PJL questions, so it cannot
//!   notice: exit 0, the job completed.
//!
//! Every row also checks that the quirk was in force (`GET /state` lists it).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use paperjam_sim::fault::quirk::{QuirkKind, QuirkProtocol, SLOW_ACK};
use serde_json::Value;

use crate::backend::sha256_file;
use crate::faults::Control;
use crate::lpd::{jobs, spooled};
use crate::peers::{document, require_cups_backend, results_dir, ChildGuard, Paperjam};

/// The document every row prints: a 2-page US Letter PDF (2926 bytes).
const PDF: &str = "document-letter.pdf";

/// How long one print may take before the backend is stopped. Longer than
/// `lpd-slow-ack`'s five late acknowledgements (10 s) and the `socket`
/// backend's reconnects (5 s, then 10 s later), shorter than the `lpd`
/// backend's 30 s wait before it retries a refused job.
const DEADLINE: Duration = Duration::from_secs(20);

/// The printer's speed: 2 pages take about 0.8 s, long enough to see
/// whether the backend waited for them.
const SPEED: &str = "5";

/// How long the printer's jobs may take to reach a final state once the
/// backend has ended.
const SETTLE: Duration = Duration::from_secs(10);

/// How many rows run at once (each its own printer and backend).
const WORKERS: usize = 3;

/// Where the tables go, under `target/interop/`.
const REPORT: &str = "cups-lpd-socket-backends-under-quirks.md";

/// The two sections of the report, in order: one per test.
const LPD_SECTION: &str = "The CUPS `lpd` backend under every LPD quirk";
const SOCKET_SECTION: &str = "The CUPS `socket` backend under every AppSocket quirk";

/// Which CUPS backend a row runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Lpd,
    Socket,
}

impl Backend {
    /// Where `scripts/install-peers.sh` puts it, under `usr/lib/cups`.
    fn relative_path(self) -> &'static str {
        match self {
            Backend::Lpd => "backend-available/lpd",
            Backend::Socket => "backend-available/socket",
        }
    }

    /// The quirks that act on the protocol it speaks.
    fn protocol(self) -> QuirkProtocol {
        match self {
            Backend::Lpd => QuirkProtocol::Lpd,
            Backend::Socket => QuirkProtocol::AppSocket,
        }
    }
}

/// One row: a backend against a printer with one quirk (or none).
#[derive(Clone, Copy)]
struct Row {
    backend: Backend,
    quirk: Option<QuirkKind>,
}

impl Row {
    fn label(&self) -> &'static str {
        self.quirk.map_or("(none)", QuirkKind::name)
    }

    /// Whether a second connection is held open on the socket port while the
    /// backend runs (so `socket-one-connection` has something to count).
    fn holds_second_connection(&self) -> bool {
        self.quirk == Some(QuirkKind::SocketOneConnection)
    }
}

/// The clean row, then one per quirk of the backend's protocol.
fn rows(backend: Backend) -> Vec<Row> {
    let mut rows = vec![Row {
        backend,
        quirk: None,
    }];
    rows.extend(
        QuirkKind::ALL
            .into_iter()
            .filter(|k| k.protocol() == backend.protocol())
            .map(|k| Row {
                backend,
                quirk: Some(k),
            }),
    );
    rows
}

/// A job as `GET /state` showed it.
#[derive(Clone, Debug)]
struct JobSeen {
    id: u64,
    state: String,
    reasons: Vec<String>,
}

/// A file in the printer's spool folder.
struct SpoolFile {
    name: String,
    bytes: u64,
    is_the_pdf: bool,
}

/// What one run showed.
struct Seen {
    /// The exit code; `None` if stopped at the deadline (or by a signal).
    code: Option<i32>,
    stopped: bool,
    elapsed: Duration,
    /// Every stderr line with the time it arrived.
    lines: Vec<(Duration, String)>,
    /// The faults `GET /state` listed (by name).
    faults: Vec<String>,
    /// The jobs the moment the backend ended, `None` if the control API did
    /// not answer.
    jobs_at_exit: Option<Vec<JobSeen>>,
    /// The jobs once none was pending or processing (or [`SETTLE`] passed).
    jobs_settled: Option<Vec<JobSeen>>,
    spool: Vec<SpoolFile>,
    /// Byte-exact documents of completed jobs (complete ones only).
    completed_byte_exact: bool,
    /// What became of the held second connection, for rows that hold one.
    held: Option<String>,
}

impl Seen {
    fn outcome(&self) -> String {
        if self.stopped {
            format!("stopped at deadline ({} s)", DEADLINE.as_secs())
        } else {
            format!(
                "exit {} after {:.1} s",
                self.code
                    .map_or_else(|| "by signal".to_string(), |c| c.to_string()),
                self.elapsed.as_secs_f64()
            )
        }
    }

    fn exited_zero(&self) -> bool {
        !self.stopped && self.code == Some(0)
    }

    /// The distinct values of `PREFIX: ` lines, in order of appearance.
    fn distinct(&self, prefix: &str) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.lines
            .iter()
            .filter_map(|(_, l)| l.strip_prefix(prefix))
            .map(|v| v.trim().to_string())
            .filter(|v| seen.insert(v.clone()))
            .collect()
    }

    /// The `STATE:` reasons set or cleared (`+…`, `-…`), each once.
    fn states(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.lines
            .iter()
            .filter_map(|(_, l)| l.strip_prefix("STATE: "))
            .flat_map(str::split_whitespace)
            .map(str::to_string)
            .filter(|r| seen.insert(r.clone()))
            .collect()
    }

    /// `ERROR:` and `WARNING:` lines, each once, with their prefix.
    fn troubles(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.lines
            .iter()
            .map(|(_, l)| l.as_str())
            .filter(|l| l.starts_with("ERROR: ") || l.starts_with("WARNING: "))
            .map(str::to_string)
            .filter(|l| seen.insert(l.clone()))
            .collect()
    }

    /// The `INFO:` lines that say how far it got (not the connecting ones).
    fn infos(&self) -> Vec<String> {
        self.distinct("INFO: ")
            .into_iter()
            .filter(|i| i != "Connecting to printer." && i != "Connected to printer.")
            .collect()
    }

    fn has_line(&self, prefix: &str) -> bool {
        self.lines.iter().any(|(_, l)| l.starts_with(prefix))
    }

    fn completed(jobs: &Option<Vec<JobSeen>>) -> bool {
        jobs.as_ref()
            .is_some_and(|js| js.iter().any(|j| j.state == "completed"))
    }

    fn settled_completed(&self) -> bool {
        Seen::completed(&self.jobs_settled)
    }

    /// Extra observations: failed connects the backend logged, the held
    /// connection.
    fn notes(&self) -> String {
        let mut notes = Vec::new();
        let connect_errors: Vec<String> = self
            .lines
            .iter()
            .filter_map(|(t, l)| {
                l.strip_prefix("DEBUG: Connection error: ")
                    .map(|e| format!("{e} at {:.1} s", t.as_secs_f64()))
            })
            .collect();
        if !connect_errors.is_empty() {
            notes.push(format!(
                "{} failed connect(s): {}",
                connect_errors.len(),
                connect_errors.join(", ")
            ));
        }
        let attempts = self
            .lines
            .iter()
            .filter(|(_, l)| l == "INFO: Connecting to printer.")
            .count();
        if attempts > 1 {
            notes.push(format!("{attempts} connection attempts"));
        }
        if let Some(h) = &self.held {
            notes.push(format!("second connection held open: {h}"));
        }
        notes.join("; ")
    }

    /// Its non-DEBUG stderr lines with their times, and the jobs, for
    /// failure messages.
    fn summary(&self) -> String {
        let lines: Vec<String> = self
            .lines
            .iter()
            .filter(|(_, l)| l.contains(": ") && !l.starts_with("DEBUG"))
            .map(|(t, l)| format!("[{:5.1}s] {l}", t.as_secs_f64()))
            .collect();
        format!(
            "{}\n{}\njobs at exit: {}; settled: {}; spool: {}",
            self.outcome(),
            lines.join("\n"),
            jobs_cell(&self.jobs_at_exit),
            jobs_cell(&self.jobs_settled),
            spool_cell(&self.spool)
        )
    }
}

/// The jobs in a `GET /state` answer.
fn jobs_seen(state: &Value) -> Vec<JobSeen> {
    jobs(state)
        .iter()
        .map(|j| JobSeen {
            id: j["id"].as_u64().unwrap_or(0),
            state: j["state"].as_str().unwrap_or("?").to_string(),
            reasons: j["reasons"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .filter_map(|r| r.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// `GET /state`, or `None` if the control API does not answer.
fn try_state(control: &Control) -> Option<Value> {
    std::panic::catch_unwind(|| control.state()).ok()
}

/// Polls until no job is pending or processing, for at most [`SETTLE`].
fn settle(control: &Control) -> Option<Value> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let state = try_state(control)?;
        let busy = jobs_seen(&state)
            .iter()
            .any(|j| !matches!(j.state.as_str(), "completed" | "aborted" | "canceled"));
        if !busy || Instant::now() >= deadline {
            return Some(state);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Every file in the spool folder (not recursive: paperjam's spool is flat).
fn spool_files(spool: &Path, pdf_sha: &str) -> Vec<SpoolFile> {
    let mut files: Vec<SpoolFile> = std::fs::read_dir(spool)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| SpoolFile {
                    name: e.file_name().to_string_lossy().into_owned(),
                    bytes: e.metadata().map(|m| m.len()).unwrap_or(0),
                    is_the_pdf: sha256_file(&e.path()) == pdf_sha,
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

/// Runs the backend at `path` printing `file` as job 42 of `alice` to
/// `uri`; kills it at [`DEADLINE`]. Returns (code, stopped, elapsed, lines).
fn run_backend(
    path: &Path,
    uri: &str,
    file: &Path,
) -> (Option<i32>, bool, Duration, Vec<(Duration, String)>) {
    let workdir = tempfile::Builder::new()
        .prefix("cups-raw-backend-")
        .tempdir()
        .unwrap();
    let mut child = ChildGuard::spawn(
        &path.display().to_string(),
        Command::new(path)
            .args(["42", "alice", "My Title", "1", ""])
            .arg(file)
            .env("DEVICE_URI", uri)
            .env("CONTENT_TYPE", "application/pdf")
            .env("TMPDIR", workdir.path())
            .current_dir(workdir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let started = Instant::now();
    let err = child.child_mut().stderr.take().unwrap();
    let reader = thread::spawn(move || {
        let mut lines = Vec::new();
        let mut err = BufReader::new(err);
        let mut buf = Vec::new();
        // Bytes, not `lines()`: a stray non-UTF-8 byte must not end the log.
        while let Ok(n) = err.read_until(b'\n', &mut buf) {
            if n == 0 {
                break;
            }
            let line = String::from_utf8_lossy(&buf).trim_end().to_string();
            lines.push((started.elapsed(), line));
            buf.clear();
        }
        lines
    });
    let deadline = started + DEADLINE;
    let (status, stopped) = loop {
        if let Some(status) = child.exited() {
            break (status, false);
        }
        if Instant::now() >= deadline {
            let _ = child.child_mut().kill();
            break (child.child_mut().wait().unwrap(), true);
        }
        thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let lines = reader.join().unwrap();
    (status.code(), stopped, elapsed, lines)
}

/// Runs one row against its own printer.
fn run_row(row: &Row) -> Seen {
    let backend = require_cups_backend(row.backend.relative_path());
    let pdf = document(PDF);
    let mut args: Vec<&str> = vec!["--speed", SPEED];
    if let Some(q) = row.quirk {
        args.extend(["--fault", q.name()]);
    }
    let mut printer = Paperjam::start_with(&args);
    let control = Control::new(&printer.control_url());
    let socket_uri = printer.socket_uri();
    let uri = match row.backend {
        Backend::Lpd => printer.lpd_uri(),
        Backend::Socket => socket_uri.clone(),
    };
    // The connection `socket-one-connection` counts: open (and accepted by
    // the printer, which accepts in order) before the backend connects.
    let held = row.holds_second_connection().then(|| {
        let addr = socket_uri.trim_start_matches("socket://");
        TcpStream::connect(addr).unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"))
    });
    let (code, stopped, elapsed, lines) = run_backend(&backend, &uri, &pdf);
    let at_exit = try_state(&control);
    let held = held.map(|mut s| {
        s.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        match s.read(&mut byte) {
            Ok(0) => "closed by the printer".to_string(),
            Ok(_) => "the printer sent data on it".to_string(),
            Err(e) if e.kind() == ErrorKind::WouldBlock => "still open afterwards".to_string(),
            Err(e) => format!("failed: {e}"),
        }
    });
    let settled = settle(&control);
    let faults = at_exit
        .as_ref()
        .and_then(|s| s["faults"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f["fault"].as_str().map(str::to_string))
        .collect();
    let jobs_settled = settled.as_ref().map(jobs_seen);
    let pdf_sha = sha256_file(&pdf);
    let completed_byte_exact = jobs_settled.as_ref().is_some_and(|js| {
        let done: Vec<&JobSeen> = js.iter().filter(|j| j.state == "completed").collect();
        !done.is_empty()
            && done.iter().all(|j| {
                let files = spooled(&printer.spool, j.id);
                files.len() == 1 && sha256_file(&files[0]) == pdf_sha
            })
    });
    Seen {
        code,
        stopped,
        elapsed,
        lines,
        faults,
        jobs_at_exit: at_exit.as_ref().map(jobs_seen),
        jobs_settled,
        spool: spool_files(&printer.spool, &pdf_sha),
        completed_byte_exact,
        held,
    }
}

/// Runs every row, [`WORKERS`] at a time; results in row order.
fn run_all(rows: &[Row]) -> Vec<Seen> {
    crate::peers::run_parallel(rows, WORKERS, run_row)
}

fn cell(s: &str) -> String {
    let s = s.replace('|', "\\|").replace('\n', " ");
    if s.is_empty() {
        "—".into()
    } else {
        s
    }
}

/// `none`, or `1 completed`, `1 aborted (aborted-by-system)`.
fn jobs_cell(jobs: &Option<Vec<JobSeen>>) -> String {
    match jobs {
        None => "control API unreachable".into(),
        Some(js) if js.is_empty() => "none".into(),
        Some(js) => js
            .iter()
            .map(|j| {
                if j.state == "completed" || j.reasons.is_empty() {
                    format!("{} {}", j.id, j.state)
                } else {
                    format!("{} {} ({})", j.id, j.state, j.reasons.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn spool_cell(files: &[SpoolFile]) -> String {
    if files.is_empty() {
        return "empty".into();
    }
    files
        .iter()
        .map(|f| {
            let what = if f.is_the_pdf { ", the PDF" } else { "" };
            format!("{} ({} B{what})", f.name, f.bytes)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn table(rows: &[Row], results: &[Seen]) -> String {
    let mut t = String::from(
        "| quirk | backend | STATE | ERROR / WARNING | INFO | job when the backend ended | job in the end | spool | notes |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for (row, seen) in rows.iter().zip(results) {
        t.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.label(),
            cell(&seen.outcome()),
            cell(&seen.states().join(" ")),
            cell(&seen.troubles().join("; ")),
            cell(&seen.infos().join("; ")),
            cell(&jobs_cell(&seen.jobs_at_exit)),
            cell(&jobs_cell(&seen.jobs_settled)),
            cell(&spool_cell(&seen.spool)),
            cell(&seen.notes()),
        ));
    }
    t
}

/// A lock on the report shared by the two tests (which nextest runs as two
/// processes, maybe at once): a file created exclusively, removed on drop.
/// A lock left by a killed run is taken over after 10 s.
struct ReportLock(PathBuf);

impl ReportLock {
    fn acquire(path: PathBuf) -> ReportLock {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .is_err()
            && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(20));
        }
        ReportLock(path)
    }
}

impl Drop for ReportLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes `body` as section `heading` of the report, keeping the other
/// section as the other test last wrote it; returns the report's path.
fn record(heading: &str, body: &str) -> PathBuf {
    let dir = results_dir();
    let path = dir.join(REPORT);
    let _lock = ReportLock::acquire(dir.join(format!("{REPORT}.lock")));
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let section_of = |h: &str| -> Option<String> {
        let start = old.find(&format!("## {h}\n"))?;
        let rest = &old[start..];
        let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 4);
        Some(rest[..end].trim_end().to_string())
    };
    let mut text = String::from(
        "# The CUPS `lpd` and `socket` backends under paperjam's LPD and AppSocket quirks\n\n\
         Written by `tests/interop/raw_backend_matrix.rs`: one print of \
         `fixtures/documents/document-letter.pdf` (2 pages, 2926 bytes) per row, each \
         against its own `paperjam serve --speed 5 --fault QUIRK`, the backend stopped \
         at 20 s. \"Job\" columns are the printer's `GET /state`.\n",
    );
    for h in [LPD_SECTION, SOCKET_SECTION] {
        let section = if h == heading {
            Some(format!("## {h}\n\n{}", body.trim_end()))
        } else {
            section_of(h)
        };
        if let Some(s) = section {
            text.push('\n');
            text.push_str(&s);
            text.push('\n');
        }
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// Runs a backend's rows, writes and prints its table; returns the rows and
/// what each showed, plus the problems common to every row (the quirk not in
/// force, the control API gone).
fn matrix(backend: Backend, heading: &str) -> (Vec<Row>, Vec<Seen>, Vec<String>) {
    require_cups_backend(backend.relative_path());
    let started = Instant::now();
    let rows = rows(backend);
    let results = run_all(&rows);
    let body = table(&rows, &results);
    let path = record(heading, &body);
    println!(
        "{heading} ({} rows in {:.1} s; written to {}):\n\n{body}",
        rows.len(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
    let mut problems = Vec::new();
    for (row, seen) in rows.iter().zip(&results) {
        if let Some(q) = row.quirk {
            if !seen.faults.iter().any(|f| f == q.name()) {
                problems.push(format!(
                    "{}: GET /state does not list the quirk (faults: {:?})",
                    q.name(),
                    seen.faults
                ));
            }
        }
        if seen.jobs_at_exit.is_none() || seen.jobs_settled.is_none() {
            problems.push(format!(
                "{}: the control API did not answer\n{}",
                row.label(),
                seen.summary()
            ));
        }
    }
    (rows, results, problems)
}

/// The clean row: exit 0, the job completed, spooled byte for byte.
fn check_clean(seen: &Seen, problems: &mut Vec<String>) {
    if !seen.exited_zero() || !seen.settled_completed() || !seen.completed_byte_exact {
        problems.push(format!(
            "(none): the clean printer did not print the PDF byte-exact with exit 0\n{}",
            seen.summary()
        ));
    }
}

/// No job of the printer completed.
fn check_nothing_printed(name: &str, seen: &Seen, problems: &mut Vec<String>) {
    if seen.settled_completed() {
        problems.push(format!(
            "{name}: a job completed, but the quirk must keep it from printing\n{}",
            seen.summary()
        ));
    }
}

/// The CUPS `lpd` backend (control file first) against a clean printer and
/// each LPD quirk; see the module docs for what it did and why these hold.
#[test]
fn cups_lpd_backend_under_every_lpd_quirk() {
    let (rows, results, mut problems) = matrix(Backend::Lpd, LPD_SECTION);
    for (row, seen) in rows.iter().zip(&results) {
        let Some(q) = row.quirk else {
            check_clean(seen, &mut problems);
            continue;
        };
        let name = q.name();
        let mut fail = |why: &str| problems.push(format!("{name}: {why}\n{}", seen.summary()));
        match q {
            QuirkKind::LpdRefuseJob => {
                if seen.stopped || seen.code == Some(0) || seen.elapsed > Duration::from_secs(5) {
                    fail("the backend must exit non-zero at once when receive-job is refused");
                }
                if seen.jobs_settled.as_ref().is_some_and(|js| !js.is_empty()) {
                    fail("a refused receive-job made a job");
                }
            }
            QuirkKind::LpdRefuseFile => {
                if seen.exited_zero() {
                    fail("the backend exited 0 although its control file was refused");
                }
                if !seen.has_line("ERROR: Remote host did not accept control file") {
                    fail("the backend never said the control file was refused");
                }
                check_nothing_printed(name, seen, &mut problems);
            }
            QuirkKind::LpdLoseDataFile => {
                if !seen.exited_zero() {
                    fail("every file was acknowledged, so the backend must exit 0");
                }
                check_nothing_printed(name, seen, &mut problems);
            }
            QuirkKind::LpdCloseAfterControlFile => {
                if !seen.has_line("WARNING: The printer did not respond.") {
                    fail("the backend did not notice the closed connection even as a warning");
                }
                check_nothing_printed(name, seen, &mut problems);
            }
            QuirkKind::LpdSlowAck => {
                if !seen.exited_zero() || !seen.settled_completed() || !seen.completed_byte_exact {
                    fail("late acknowledgements must still print the PDF byte-exact, exit 0");
                }
                if seen.elapsed < SLOW_ACK * 4 {
                    fail("the acknowledgements were not late");
                }
            }
            other => fail(&format!(
                "no expectation written for the new LPD quirk {other:?}: add one"
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The CUPS `socket` backend against a clean printer and each AppSocket
/// quirk; see the module docs for what it did and why these hold.
#[test]
fn cups_socket_backend_under_every_appsocket_quirk() {
    let (rows, results, mut problems) = matrix(Backend::Socket, SOCKET_SECTION);
    for (row, seen) in rows.iter().zip(&results) {
        let Some(q) = row.quirk else {
            check_clean(seen, &mut problems);
            if !Seen::completed(&seen.jobs_at_exit) {
                problems.push(format!(
                    "(none): the backend ended before the printer finished the job, \
                     though the printer keeps the back-channel open until then\n{}",
                    seen.summary()
                ));
            }
            continue;
        };
        let name = q.name();
        let mut fail = |why: &str| problems.push(format!("{name}: {why}\n{}", seen.summary()));
        match q {
            QuirkKind::SocketCloseOnHalfClose => {
                if !seen.exited_zero() || !seen.settled_completed() || !seen.completed_byte_exact {
                    fail("the job must still print byte-exact, and the backend exit 0");
                }
                if Seen::completed(&seen.jobs_at_exit) {
                    fail("the backend waited for the job: the printer did not hang up at once");
                }
            }
            QuirkKind::SocketOneConnection => {
                check_nothing_printed(name, seen, &mut problems);
                if seen.held.as_deref() != Some("still open afterwards") {
                    problems.push(format!(
                        "{name}: the connection opened first must be left alone ({:?})",
                        seen.held
                    ));
                }
            }
            QuirkKind::SocketResetMidJob => {
                if seen.stopped {
                    fail("the backend hung after the reset");
                }
                check_nothing_printed(name, seen, &mut problems);
            }
            QuirkKind::PjlSilent => {
                if !seen.exited_zero() || !seen.settled_completed() || !seen.completed_byte_exact {
                    fail("the socket backend asks no PJL: the PDF must print, exit 0");
                }
            }
            other => fail(&format!(
                "no expectation written for the new AppSocket quirk {other:?}: add one"
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
