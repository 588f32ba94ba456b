//! The LPD front end (RFC 1179) against real clients: LPRng's `lpr`, `lpq`
//! and `lprm`, and the CUPS `lpd` backend — in opposite orders: the CUPS
//! backend sends the control file first, LPRng (configured `send_data_first`
//! here; its default is control first too) the data file first.
//!
//! LPRng needs a printcap even for a remote queue; the tests give it one of
//! their own without touching the host's: a private mount namespace
//! (`unshare -m`) in which the test's `lpd.conf` is bind-mounted over
//! `/etc/lprng/lpd.conf` (PEERS.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::backend::sha256_file;
use crate::faults::Control;
use crate::peers::{document, require_cups_backend, require_tool, Paperjam};

/// The document the tests print.
const PDF: &str = "document-letter.pdf";

/// `lpd://127.0.0.1:PORT/queue` → `(host, port, queue)`.
fn split_lpd_uri(uri: &str) -> (String, u16, String) {
    let rest = uri
        .strip_prefix("lpd://")
        .unwrap_or_else(|| panic!("{uri} is not lpd://"));
    let (authority, queue) = rest.split_once('/').unwrap_or((rest, "lp"));
    let (host, port) = authority
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("{uri} has no port"));
    (
        host.to_string(),
        port.parse().unwrap_or_else(|e| panic!("{uri}: {e}")),
        queue.to_string(),
    )
}

/// Runs an LPRng client (`lpr`, `lpq`, `lprm`) with a printcap of the
/// test's own, in a private mount namespace.
struct Lprng {
    dir: tempfile::TempDir,
}

impl Lprng {
    fn new() -> Lprng {
        require_tool("lpr");
        require_tool("unshare");
        let dir = tempfile::Builder::new().prefix("lprng-").tempdir().unwrap();
        // LPRng 3.8 sends the control file first unless told otherwise; the
        // CUPS backend always does, so LPRng is set to send the data file
        // first and the two clients cover both orders.
        let conf = format!(
            "printcap_path={0}/printcap\nlpd_printcap_path={0}/printcap\nsend_data_first\n",
            dir.path().display()
        );
        std::fs::write(dir.path().join("lpd.conf"), conf).unwrap();
        std::fs::write(dir.path().join("printcap"), "").unwrap();
        Lprng { dir }
    }

    /// `tool ARGS…` with `-P queue@host%port`.
    fn run(&self, tool: &str, target: &str, args: &[&str]) -> Output {
        let (host, port, queue) = split_lpd_uri(target);
        let mut cmd = format!(
            "mount --bind {}/lpd.conf /etc/lprng/lpd.conf && {tool} -P {queue}@{host}%{port}",
            self.dir.path().display()
        );
        for a in args {
            cmd.push(' ');
            cmd.push_str(&shell_quote(a));
        }
        let out = Command::new("unshare")
            .args(["-m", "sh", "-c", &cmd])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
        eprintln!(
            "$ {tool} {args:?}\nexit {}\n--- stdout\n{}--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Polls the printer's state until `check` holds, for at most 30 s.
pub(crate) fn wait_state(control: &Control, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = control.state();
        if check(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "{what} did not happen: {s:#}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The jobs in a `GET /state` answer.
pub(crate) fn jobs(state: &Value) -> Vec<Value> {
    state["jobs"].as_array().cloned().unwrap_or_default()
}

/// The spooled documents of job `id` (`job-00000N-doc-*`, complete ones only).
pub(crate) fn spooled(spool: &Path, id: u64) -> Vec<PathBuf> {
    let prefix = format!("job-{id:06}-doc-");
    let mut v: Vec<PathBuf> = std::fs::read_dir(spool)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && !n.ends_with(".partial"))
        })
        .collect();
    v.sort();
    v
}

/// LPRng end to end: with the printer paused, `lpr` queues two jobs (data file
/// first), `lpq` lists them, `lprm` removes one; after the pause is lifted the
/// other prints and is spooled byte-exact.
#[test]
fn lprng_lpr_lpq_lprm_against_paperjam() {
    let lprng = Lprng::new();
    let mut printer = Paperjam::start_with(&["--fault", "paused"]);
    let target = printer.lpd_uri();
    let control = Control::new(&printer.control_url());
    let doc = document(PDF);

    let out = lprng.run("lpr", &target, &["-J", "first job", doc.to_str().unwrap()]);
    assert!(out.status.success(), "lpr failed");
    let out = lprng.run("lpr", &target, &["-J", "second job", doc.to_str().unwrap()]);
    assert!(out.status.success(), "lpr failed");
    let state = wait_state(&control, "two jobs queued", |s| jobs(s).len() == 2);
    let ids: Vec<u64> = jobs(&state)
        .iter()
        .filter_map(|j| j["id"].as_u64())
        .collect();

    let out = lprng.run("lpq", &target, &[]);
    assert!(out.status.success(), "lpq failed");
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    for id in &ids {
        assert!(
            listing.contains(&id.to_string()),
            "lpq does not list job {id}:\n{listing}"
        );
    }

    let first = ids[0].to_string();
    let out = lprng.run("lprm", &target, &[&first]);
    assert!(out.status.success(), "lprm failed");
    wait_state(&control, "the first job canceled", |s| {
        jobs(s)
            .iter()
            .any(|j| j["id"].as_u64() == Some(ids[0]) && j["state"] == "canceled")
    });

    control.clear("paused");
    wait_state(&control, "the second job completed", |s| {
        jobs(s)
            .iter()
            .any(|j| j["id"].as_u64() == Some(ids[1]) && j["state"] == "completed")
    });
    let files = spooled(&printer.spool, ids[1]);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(sha256_file(&files[0]), sha256_file(&doc), "not byte-exact");
}

fn run_lpd_backend(uri: &str, file: &Path) -> (Output, Duration) {
    let backend = require_cups_backend("backend-available/lpd");
    let t = Instant::now();
    let out = Command::new(&backend)
        .args(["42", "alice", "My Title", "1", ""])
        .arg(file)
        .env("DEVICE_URI", uri)
        .env("CONTENT_TYPE", "application/pdf")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", backend.display()));
    eprintln!(
        "lpd backend to {uri}: exit {} in {:?}\n{}",
        out.status,
        t.elapsed(),
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| !l.starts_with("DEBUG"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    (out, t.elapsed())
}

/// The CUPS `lpd` backend (control file first) prints a PDF: exit 0, the job
/// named and owned as the backend said, completed, spooled byte-exact.
#[test]
fn cups_lpd_backend_prints_byte_exact() {
    let mut printer = Paperjam::start();
    let target = printer.lpd_uri();
    let control = Control::new(&printer.control_url());
    let doc = document(PDF);
    let (out, _) = run_lpd_backend(&target, &doc);
    assert!(out.status.success(), "the lpd backend failed");
    let state = wait_state(&control, "the job completed", |s| {
        jobs(s).iter().any(|j| j["state"] == "completed")
    });
    let job = &jobs(&state)[0];
    assert_eq!(job["origin"], "lpd", "{job:#}");
    assert_eq!(job["user"], "alice", "{job:#}");
    assert_eq!(job["name"], "My Title", "{job:#}");
    let id = job["id"].as_u64().unwrap();
    let files = spooled(&printer.spool, id);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(sha256_file(&files[0]), sha256_file(&doc), "not byte-exact");
}

/// On a queue the printer does not have, the CUPS `lpd` backend gets a
/// non-zero acknowledgement and exits non-zero at once.
#[test]
fn cups_lpd_backend_refused_queue_exits_nonzero_at_once() {
    let mut printer = Paperjam::start();
    let target = printer.lpd_uri();
    let (host, port, _) = split_lpd_uri(&target);
    let refused = format!("lpd://{host}:{port}/no-such-queue");
    let (out, took) = run_lpd_backend(&refused, &document(PDF));
    assert!(
        !out.status.success(),
        "the backend printed to an unknown queue"
    );
    assert!(
        took < Duration::from_secs(30),
        "it took {took:?} to give up"
    );
    let control = Control::new(&printer.control_url());
    assert!(jobs(&control.state()).is_empty(), "a job was created");
}
