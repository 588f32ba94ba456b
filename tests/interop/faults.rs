//! Proof that paperjam's faults look real (issue 4): the real CUPS `ipp`
//! backend and `ipptool` run against `paperjam serve` while it misbehaves,
//! and each test asserts what the peer did and what the virtual printer's
//! state showed.
//!
//! The printer is driven through its control API (`GET /state`,
//! `POST /faults`, `DELETE /faults/{name}`), with the tiny HTTP/1.1 client
//! below ([`Control`]). Every wait polls with a deadline; the backend's stderr
//! is read live ([`crate::backend::LiveBackend`]) so a test can act at the
//! moment the backend has seen something.
//!
//! What the CUPS 2.4.2 backend did in each case is written in each test's doc
//! comment; the assertions hold it to exactly that.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::backend::{
    files_under, sha256_file, spawn_ipp_backend, BackendArgs, LiveBackend, LiveOutcome,
};
use crate::ipptool::{parse_results, run_ipptool, Outcome};
use crate::peers::{document, require_cups_backend, require_tool, Paperjam};

/// The document every test prints: a 2-page US Letter PDF (2926 bytes).
const PDF: &str = "document-letter.pdf";

/// How long a state or log line may take to appear before a test fails.
const WAIT: Duration = Duration::from_secs(20);

/// A client for paperjam's control API: one request per connection
/// (`Connection: close`), JSON in and out.
pub(crate) struct Control {
    addr: SocketAddr,
    base: String,
}

impl Control {
    /// The API at `base` (`http://127.0.0.1:PORT`, from [`Paperjam::control_url`]).
    pub(crate) fn new(base: &str) -> Control {
        let authority = base
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("control URL {base} is not http://"));
        let addr = authority
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|e| panic!("control URL {base}: {e}"));
        Control {
            addr,
            base: base.to_string(),
        }
    }

    /// Sends one request; returns the status code and the body.
    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("cannot connect to the control API {}: {e}", self.base));
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .unwrap_or_else(|e| panic!("{method} {}{path}: {e}", self.base));
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, rest) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("{method} {path}: no HTTP header in {text:?}"));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{method} {path}: bad status line in {head:?}"));
        let chunked = head.lines().any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("transfer-encoding:") && l.contains("chunked")
        });
        let body = if chunked {
            dechunk(rest)
        } else {
            rest.to_string()
        };
        (status, body)
    }

    /// A request that must answer `want`; returns the JSON body.
    fn json(&self, method: &str, path: &str, body: Option<Value>, want: u16) -> Value {
        let (status, text) = self.request(method, path, body.as_ref());
        assert_eq!(
            status, want,
            "{method} {}{path} answered {status}: {text}",
            self.base
        );
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"))
    }

    /// `GET /state`.
    pub(crate) fn state(&self) -> Value {
        self.json("GET", "/state", None, 200)
    }

    /// `POST /faults {"fault": spec}`.
    pub(crate) fn raise(&self, spec: &str) -> Value {
        self.json(
            "POST",
            "/faults",
            Some(serde_json::json!({ "fault": spec })),
            201,
        )
    }

    /// `DELETE /faults/{name}`.
    pub(crate) fn clear(&self, name: &str) -> Value {
        self.json("DELETE", &format!("/faults/{name}"), None, 200)
    }

    /// Polls `GET /state` until `check` holds, for at most `timeout`.
    fn wait_state(&self, what: &str, timeout: Duration, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let state = self.state();
            if check(&state) {
                return state;
            }
            if Instant::now() >= deadline {
                panic!("timed out after {timeout:?} waiting for {what}; last state:\n{state:#}");
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Decodes a chunked HTTP body (the API answers with Content-Length today).
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// The job `id` in a `GET /state` answer.
fn job(state: &Value, id: u64) -> Option<&Value> {
    state["jobs"]
        .as_array()?
        .iter()
        .find(|j| j["id"].as_u64() == Some(id))
}

/// `printer-state-reasons` of a `GET /state` answer.
fn reasons(state: &Value) -> Vec<&str> {
    state["printer-state-reasons"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The job id the backend was given (`DEBUG: job-id integer N`).
fn job_id_in(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("DEBUG: job-id integer "))
        .and_then(|n| n.trim().parse().ok())
}

/// True if the spool holds a file with `document`'s exact bytes.
fn spooled_exactly(spool: &Path, document: &Path) -> bool {
    let want = sha256_file(document);
    files_under(spool).iter().any(|f| sha256_file(f) == want)
}

/// Lines of `stderr` that are exactly `line`.
fn count_lines(stderr: &str, line: &str) -> usize {
    stderr.lines().filter(|l| *l == line).count()
}

/// Writes a scenario file into a fresh temporary folder.
pub(crate) fn scenario_file(toml: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("paperjam-scenario-")
        .tempdir()
        .unwrap();
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, toml).unwrap();
    (dir, path)
}

/// Waits for the backend (at most `timeout`), logs what it printed, and
/// fails unless it exited 0; returns the outcome and its summary.
fn finished_ok(backend: LiveBackend, timeout: Duration, what: &str) -> (LiveOutcome, String) {
    let done = backend.finish(timeout);
    let log = done.timed_summary();
    eprintln!("backend, {what} ({:?}):\n{log}", done.elapsed);
    assert!(!done.killed, "the backend did not finish:\n{log}");
    assert!(
        done.run.status.success(),
        "backend failed ({}):\n{log}",
        done.run.status
    );
    (done, log)
}

/// Starts the backend printing the test PDF to `printer`.
fn print_pdf(printer: &Paperjam, args: &BackendArgs) -> LiveBackend {
    spawn_ipp_backend(&printer.uri, &document(PDF), "application/pdf", args)
}

/// A media jam raised through the control API while the job prints, cleared
/// once the backend has reported it.
///
/// What the CUPS 2.4.2 `ipp` backend does (Create-Job + Send-Document, then it
/// polls Get-Job-Attributes and Get-Printer-Attributes until the job ends):
///
/// * while jammed it prints `INFO: Paper jam` (the printer-state-message) and
///   `STATE: +media-jam-error`, about a second after the jam;
/// * at its next poll after the clear, `INFO: Printing job 1` and
///   `STATE: -media-jam-error`; then `PAGE: total 1`, `PAGE: total 2`,
///   `INFO: Ready`, and it exits 0 with no `ERROR:` line.
///
/// The printer meanwhile shows `stopped`, `media-jam-error`, alert `jam`, and
/// the job `processing-stopped` with `printer-stopped`; after the clear the
/// job ends `completed` with 2 pages.
#[test]
fn cups_backend_reports_a_jam_and_finishes_after_it_is_cleared() {
    require_cups_backend("backend/ipp");
    // Real-time speed (30 pages a minute): the job prints for about 4 s, time
    // to jam it.
    let mut printer = Paperjam::start_with(&["--speed", "realtime"]);
    let control = Control::new(&printer.control_url());
    let mut backend = print_pdf(&printer, &BackendArgs::default());

    let printing = control.wait_state("a job processing", WAIT, |s| {
        s["jobs"]
            .as_array()
            .is_some_and(|jobs| jobs.iter().any(|j| j["state"] == "processing"))
    });
    let id = printing["jobs"]
        .as_array()
        .and_then(|jobs| jobs.iter().find(|j| j["state"] == "processing"))
        .and_then(|j| j["id"].as_u64())
        .unwrap();
    control.raise("media-jam");
    let jammed = control.state();
    assert_eq!(jammed["printer-state"], "stopped", "{jammed:#}");
    assert!(reasons(&jammed).contains(&"media-jam-error"), "{jammed:#}");
    assert!(
        jammed["alerts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a == "jam")),
        "{jammed:#}"
    );
    assert_eq!(
        job(&jammed, id).unwrap()["state"],
        "processing-stopped",
        "{jammed:#}"
    );

    backend
        .wait_for_line("STATE: +media-jam-error", WAIT, |l| {
            l == "STATE: +media-jam-error"
        })
        .unwrap_or_else(|e| panic!("{e}"));
    // Still jammed: the backend saw it while the job was stopped.
    let still = control.state();
    assert_eq!(
        job(&still, id).unwrap()["state"],
        "processing-stopped",
        "{still:#}"
    );
    control.clear("media-jam");

    let (done, log) = finished_ok(backend, Duration::from_secs(60), "jam raised and cleared");
    let stderr = &done.run.stderr;
    let plus = stderr.find("STATE: +media-jam-error\n");
    let minus = stderr.find("STATE: -media-jam-error\n");
    assert!(
        matches!((plus, minus), (Some(p), Some(m)) if p < m),
        "expected STATE: +media-jam-error then STATE: -media-jam-error:\n{log}"
    );
    assert!(
        stderr.lines().any(|l| l == "INFO: Paper jam"),
        "no `INFO: Paper jam`:\n{log}"
    );
    assert!(
        stderr.lines().any(|l| l == "PAGE: total 2"),
        "no `PAGE: total 2`:\n{log}"
    );
    assert!(
        !stderr.lines().any(|l| l.starts_with("ERROR:")),
        "ERROR lines:\n{log}"
    );
    assert_eq!(job_id_in(stderr), Some(id), "{log}");

    let end = control.wait_state("the job completed", WAIT, |s| {
        job(s, id).is_some_and(|j| j["state"] == "completed")
    });
    assert_eq!(job(&end, id).unwrap()["pages"], 2, "{end:#}");
    assert_eq!(end["printer-state"], "idle", "{end:#}");
    assert_eq!(reasons(&end), ["none"], "{end:#}");
    assert!(
        spooled_exactly(&printer.spool, &document(PDF)),
        "the spool {} lacks the PDF's exact bytes: {:?}",
        printer.spool.display(),
        files_under(&printer.spool)
    );
}

/// `ipptool` sees `printer-state-reasons` and `printer-state` change live as
/// a jam is raised and cleared through the control API: `none`/idle (3),
/// then `media-jam-error`/stopped (5), then `none`/idle again.
#[test]
fn ipptool_sees_a_jam_come_and_go() {
    require_tool("ipptool");
    let mut printer = Paperjam::start();
    let control = Control::new(&printer.control_url());
    let dir = tempfile::Builder::new()
        .prefix("ipptool-jam-")
        .tempdir()
        .unwrap();
    // `matcher` is WITH-VALUE (one of the values is `reasons`) or
    // WITH-ALL-VALUES (every value is, e.g. exactly `none`).
    let check = |when: &str, state: u8, matcher: &str, reasons: &str| {
        let file = format!("{}.test", when.replace(' ', "-"));
        std::fs::write(
            dir.path().join(&file),
            format!(
                r#"{{
  NAME "{when}: printer-state {state}, printer-state-reasons {matcher} {reasons}"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR keyword requested-attributes printer-state,printer-state-reasons,printer-state-message
  STATUS successful-ok
  EXPECT printer-state OF-TYPE enum IN-GROUP printer-attributes-tag COUNT 1 WITH-VALUE {state}
  EXPECT printer-state-reasons OF-TYPE keyword IN-GROUP printer-attributes-tag {matcher} "{reasons}"
  DISPLAY printer-state
  DISPLAY printer-state-reasons
  DISPLAY printer-state-message
}}
"#
            ),
        )
        .unwrap();
        let args = ["-t", "-T", "5", &printer.uri, &file].map(String::from);
        let (stdout, stderr, _) = run_ipptool(dir.path(), &args);
        let results = parse_results(&stdout);
        assert!(
            results.len() == 1 && results[0].outcome == Outcome::Pass,
            "{when}: ipptool did not see printer-state {state} and \
             printer-state-reasons {matcher} {reasons}:\n{stdout}{stderr}"
        );
    };
    check("before the jam", 3, "WITH-ALL-VALUES", "none");
    control.raise("media-jam");
    check("jammed", 5, "WITH-VALUE", "media-jam-error");
    control.clear("media-jam");
    check("after the clear", 3, "WITH-ALL-VALUES", "none");
    let end = control.state();
    assert_eq!(reasons(&end), ["none"], "{end:#}");
}

/// `server-error-busy` on every request for the printer's first 5 s (a
/// scenario: `faults = ["server-error-busy"]`, cleared by a step
/// `after = "5s"`), then normal service.
///
/// What the CUPS 2.4.2 `ipp` backend does: its first Get-Printer-Attributes is
/// answered busy, and for each busy answer it prints
/// `DEBUG: Get-Printer-Attributes: server-error-busy (The printer is busy; try again later)`,
/// `DEBUG: Get-Printer-Attributes returned server-error-busy.` and
/// `INFO: The printer is in use.`, then sleeps and asks again (4 times in the
/// 5 s, about 1, 1, 2 and 3 s apart); once the printer answers it goes on as
/// usual (Validate-Job, Create-Job, Send-Document), exits 0 and reports no
/// `ERROR:`. The printer holds one job, `completed`, with the exact bytes.
#[test]
fn cups_backend_retries_while_busy_then_prints() {
    require_cups_backend("backend/ipp");
    let (_dir, scenario) = scenario_file(
        r#"name = "server-error-busy for 5 s, then ready"
faults = ["server-error-busy"]

[[step]]
after = "5s"
clear = "server-error-busy"
"#,
    );
    let mut printer = Paperjam::start_with(&["--scenario", scenario.to_str().unwrap()]);
    let control = Control::new(&printer.control_url());
    let backend = print_pdf(&printer, &BackendArgs::default());
    let done = backend.finish(Duration::from_secs(50));
    let log = done.timed_summary();
    eprintln!("backend, busy for 5 s ({:?}):\n{log}", done.elapsed);
    assert!(!done.killed, "the backend did not finish:\n{log}");
    assert!(
        done.run.status.success(),
        "backend failed ({}):\n{log}",
        done.run.status
    );
    let stderr = &done.run.stderr;
    let in_use = count_lines(stderr, "INFO: The printer is in use.");
    let busy = count_lines(
        stderr,
        "DEBUG: Get-Printer-Attributes: server-error-busy (The printer is busy; try again later)",
    );
    let returned = count_lines(
        stderr,
        "DEBUG: Get-Printer-Attributes returned server-error-busy.",
    );
    assert!(
        busy >= 2 && returned == busy && in_use == busy,
        "expected the backend to see busy at least twice, each time with `INFO: The printer is \
         in use.` (busy {busy}, returned {returned}, in use {in_use}):\n{log}"
    );
    // It went on only after the busy spell: the first good answer follows the
    // last busy one, and nothing was refused later.
    let last_busy = stderr
        .rfind("DEBUG: Get-Printer-Attributes returned server-error-busy.")
        .unwrap();
    let first_ok = stderr
        .find("DEBUG: Get-Printer-Attributes: successful-ok (OK)")
        .unwrap_or_else(|| panic!("no successful Get-Printer-Attributes:\n{log}"));
    assert!(last_busy < first_ok, "{log}");
    assert!(
        !stderr.lines().any(|l| l.starts_with("ERROR:")),
        "ERROR lines:\n{log}"
    );
    let busy_until = done
        .timeline
        .iter()
        .rev()
        .find(|(_, l)| l == "INFO: The printer is in use.")
        .map(|(t, _)| *t)
        .unwrap();
    assert!(
        busy_until >= Duration::from_secs(2),
        "the busy spell ended too soon ({busy_until:?}) for the scenario's 5 s:\n{log}"
    );

    let id = job_id_in(stderr).unwrap_or_else(|| panic!("no job-id:\n{log}"));
    let end = control.wait_state("the job completed", WAIT, |s| {
        job(s, id).is_some_and(|j| j["state"] == "completed")
    });
    assert_eq!(
        end["jobs"].as_array().map(Vec::len),
        Some(1),
        "only one job should exist (none was created while busy): {end:#}"
    );
    assert_eq!(
        end["faults"].as_array().map(Vec::len),
        Some(0),
        "the scenario should have cleared server-error-busy: {end:#}"
    );
    assert!(
        spooled_exactly(&printer.spool, &document(PDF)),
        "the spool {} lacks the PDF's exact bytes: {:?}",
        printer.spool.display(),
        files_under(&printer.spool)
    );
}

/// `server-error-busy@Create-Job` for the printer's first 5 s: capability
/// queries and Validate-Job are answered, only Create-Job is refused.
///
/// What the CUPS 2.4.2 `ipp` backend does: Get-Printer-Attributes and
/// Validate-Job succeed; the refused Create-Job gives `DEBUG: Create-Job:
/// server-error-busy (The printer is busy; try again later)` and `INFO: The
/// printer is in use.`; it sleeps a fixed 10 s (its status thread keeps
/// polling Get-Printer-Attributes, `INFO: Ready`), then Create-Job succeeds,
/// the document is sent and the backend exits 0, about 10 s after it started.
/// One job, `completed`, exact bytes.
#[test]
fn cups_backend_retries_create_job_while_busy() {
    require_cups_backend("backend/ipp");
    let (_dir, scenario) = scenario_file(
        r#"name = "Create-Job refused busy for 5 s"
faults = ["server-error-busy@Create-Job"]

[[step]]
after = "5s"
clear = "server-error-busy"
"#,
    );
    let mut printer = Paperjam::start_with(&["--scenario", scenario.to_str().unwrap()]);
    let control = Control::new(&printer.control_url());
    let backend = print_pdf(&printer, &BackendArgs::default());
    let (done, log) = finished_ok(backend, Duration::from_secs(50), "Create-Job busy for 5 s");
    let stderr = &done.run.stderr;
    let refused = count_lines(
        stderr,
        "DEBUG: Create-Job: server-error-busy (The printer is busy; try again later)",
    );
    // CUPS sleeps a fixed 10 s after a busy Create-Job: one refusal in 5 s.
    assert_eq!(refused, 1, "Create-Job refusals:\n{}", done.run.stderr);
    assert_eq!(
        count_lines(stderr, "INFO: The printer is in use."),
        refused,
        "one `INFO: The printer is in use.` per refusal:\n{log}"
    );
    let created = done
        .timeline
        .iter()
        .find(|(_, l)| l == "DEBUG: Create-Job: successful-ok (Job created; send its documents)")
        .map(|(t, _)| *t)
        .unwrap_or_else(|| panic!("Create-Job never succeeded:\n{}", done.run.stderr));
    assert!(
        created >= Duration::from_secs(5),
        "Create-Job succeeded at {created:?}, inside the 5 s busy spell:\n{log}"
    );
    assert!(
        !stderr.lines().any(|l| l.starts_with("ERROR:")),
        "ERROR lines:\n{log}"
    );
    let id = job_id_in(stderr).unwrap_or_else(|| panic!("no job-id:\n{log}"));
    let end = control.wait_state("the job completed", WAIT, |s| {
        job(s, id).is_some_and(|j| j["state"] == "completed")
    });
    assert_eq!(end["jobs"].as_array().map(Vec::len), Some(1), "{end:#}");
    assert!(
        spooled_exactly(&printer.spool, &document(PDF)),
        "the spool {} lacks the PDF's exact bytes",
        printer.spool.display()
    );
}

/// The `ipp-version-1.0` quirk: every response says IPP/1.0 whatever the
/// request's version.
///
/// What the CUPS 2.4.2 `ipp` backend does: nothing different. libcups does
/// not check the version of a response, so the backend keeps sending IPP/2.0
/// requests (`DEBUG: IPP/2.0 Create-Job #4`, `DEBUG: IPP/2.0 Send-Document
/// #5`; the numbers vary with its status thread's requests), never falls back to 1.1 or 1.0, prints no `ERROR:`, exits 0, and the
/// job completes with the exact bytes. That the quirk was on the wire is
/// shown by ipptool, which does check: `Bad version 1.0 in response -
/// expected 2.0 (RFC 8011 section 4.1.8).`
#[test]
fn cups_backend_ignores_ipp_1_0_responses() {
    require_cups_backend("backend/ipp");
    require_tool("ipptool");
    let mut printer = Paperjam::start_with(&["--fault", "ipp-version-1.0"]);
    let control = Control::new(&printer.control_url());
    let done = print_pdf(&printer, &BackendArgs::default()).finish(Duration::from_secs(50));
    let log = done.timed_summary();
    eprintln!("backend, ipp-version-1.0 ({:?}):\n{log}", done.elapsed);
    assert!(!done.killed, "the backend did not finish:\n{log}");
    assert!(
        done.run.status.success(),
        "backend failed ({}):\n{log}",
        done.run.status
    );
    let stderr = &done.run.stderr;
    assert!(
        !stderr.lines().any(|l| l.starts_with("ERROR:")),
        "ERROR lines:\n{log}"
    );
    // Request numbers vary: the backend's status thread shares the counter.
    for line in [
        "DEBUG: IPP/2.0 Create-Job #",
        "DEBUG: IPP/2.0 Send-Document #",
        "DEBUG: Send-Document: successful-ok (Job 1 accepted)",
    ] {
        assert!(
            stderr.lines().any(|l| l.starts_with(line)),
            "no `{line}`:\n{}",
            done.run.stderr
        );
    }
    assert!(
        !stderr
            .lines()
            .any(|l| l.starts_with("DEBUG: IPP/1.") || l.contains("does not support IPP")),
        "the backend fell back to an older IPP version:\n{}",
        done.run.stderr
    );
    let id = job_id_in(stderr).unwrap_or_else(|| panic!("no job-id:\n{log}"));
    control.wait_state("the job completed", WAIT, |s| {
        job(s, id).is_some_and(|j| j["state"] == "completed")
    });
    assert!(
        spooled_exactly(&printer.spool, &document(PDF)),
        "the spool {} lacks the PDF's exact bytes",
        printer.spool.display()
    );

    // ipptool, which checks the version, sees the quirk.
    let dir = tempfile::Builder::new()
        .prefix("ipptool-version-")
        .tempdir()
        .unwrap();
    std::fs::write(
        dir.path().join("gpa.test"),
        r#"{
  NAME "Get-Printer-Attributes"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR keyword requested-attributes printer-state
  STATUS successful-ok
}
"#,
    )
    .unwrap();
    let args = ["-t", "-T", "5", "-V", "2.0", &printer.uri, "gpa.test"].map(String::from);
    let (stdout, stderr, _) = run_ipptool(dir.path(), &args);
    let results = parse_results(&stdout);
    assert!(
        results.len() == 1
            && results[0].outcome == Outcome::Fail
            && results[0].details.iter().any(|d| {
                d == "Bad version 1.0 in response - expected 2.0 (RFC 8011 section 4.1.8)."
            }),
        "ipptool did not see IPP/1.0 responses:\n{stdout}{stderr}"
    );
}

/// A 64 MiB PDF (the test PDF followed by comment lines), so that a reset
/// during its upload always finds the backend still writing: a smaller one
/// can sit whole in loopback's socket buffers before the reset comes.
fn big_pdf(dir: &Path) -> PathBuf {
    let path = dir.join("big.pdf");
    let mut bytes = std::fs::read(document(PDF)).unwrap();
    let line = format!("%{}\n", ".".repeat(62));
    bytes.reserve(64 << 20);
    for _ in 0..(1 << 20) {
        bytes.extend_from_slice(line.as_bytes());
    }
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The connection is reset (`reset_peer`, upstream: the next bytes the printer
/// reads trigger a TCP RST) as soon as a Send-Document request arrives — a
/// scenario step `on_request = "Send-Document"`; the CUPS backend uses
/// Create-Job + Send-Document because the printer lists both in
/// `operations-supported`.
///
/// What the CUPS 2.4.2 `ipp` backend does: `DEBUG: Error writing document
/// data for Send-Document: Success`, `DEBUG: Send-Document:
/// server-error-internal-error (Success)`, `ERROR: Unable to add document to
/// print job.`, and exit 4 (CUPS_BACKEND_STOP: cupsd would stop the queue),
/// within a fraction of a second and without retrying or cancelling the job.
/// The printer shows the job `aborted` (`aborted-by-system`), and its spool
/// holds only `job-000001-doc-1.partial`: nothing under a complete name.
///
/// (With a 2 MB document the upload usually fits in the socket buffers before
/// the reset, and then the backend prints the *stale* status of Create-Job,
/// `DEBUG: Send-Document: successful-ok (Job created; send its documents)`,
/// waits, fails its status queries with `server-error-internal-error` and
/// exits 0: the job is lost and CUPS believes it printed. That outcome
/// depends on timing, so this test uses 64 MiB.)
#[test]
fn cups_backend_reports_a_reset_during_send_document() {
    require_cups_backend("backend/ipp");
    let (dir, scenario) = scenario_file(
        r#"name = "reset the connection of the first Send-Document"

[[step]]
on_request = "Send-Document"
raise = "reset_peer,direction=upstream"
for = "3s"
"#,
    );
    let pdf = big_pdf(dir.path());
    let mut printer = Paperjam::start_with(&["--scenario", scenario.to_str().unwrap()]);
    let control = Control::new(&printer.control_url());
    let backend = spawn_ipp_backend(
        &printer.uri,
        &pdf,
        "application/pdf",
        &BackendArgs::default(),
    );
    // The backend gives up by itself in well under a second; the deadline
    // only bounds the test if it ever retries.
    let done = backend.finish(Duration::from_secs(30));
    let log = done.timed_summary();
    eprintln!(
        "backend, reset during Send-Document ({:?}, exit {}):\n{log}",
        done.elapsed, done.run.status
    );
    assert!(
        !done.killed,
        "the backend was still running after 30 s:\n{log}"
    );
    let stderr = &done.run.stderr;
    assert_eq!(
        done.run.status.code(),
        Some(4),
        "expected exit 4 (CUPS_BACKEND_STOP):\n{}",
        done.run.stderr
    );
    // Request numbers and errno texts vary; the lines' beginnings do not.
    for line in [
        "DEBUG: IPP/2.0 Send-Document #",
        "DEBUG: Error writing document data for Send-Document: ",
        "DEBUG: Send-Document: server-error-internal-error (",
        "ERROR: Unable to add document to print job.",
    ] {
        assert!(
            stderr.lines().any(|l| l.starts_with(line)),
            "no `{line}`:\n{}",
            done.run.stderr
        );
    }
    let id = job_id_in(stderr).unwrap_or_else(|| panic!("no job-id:\n{log}"));
    let end = control.wait_state("the job aborted", WAIT, |s| {
        job(s, id).is_some_and(|j| j["state"] == "aborted")
    });
    let reasons = &job(&end, id).unwrap()["reasons"];
    assert!(
        reasons
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r == "aborted-by-system")),
        "{end:#}"
    );
    assert_eq!(end["jobs"].as_array().map(Vec::len), Some(1), "{end:#}");
    let files = files_under(&printer.spool);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n.ends_with(".partial")),
        "the spool holds a file under a complete name: {names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n == &format!("job-{id:06}-doc-1.partial")),
        "no job-{id:06}-doc-1.partial in the spool: {names:?}"
    );
}
