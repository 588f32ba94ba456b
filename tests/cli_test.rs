//! `paperjam test` end to end: a virtual printer started with `paperjam serve`,
//! graded by `paperjam test`, every report format written and read back.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use paperjam_suites::report::{Report, SCHEMA};
use paperjam_suites::spec::load_dir;

const BIN: &str = env!("CARGO_BIN_EXE_paperjam");

/// A `paperjam serve` child, killed when dropped.
struct Server {
    child: Child,
    uri: String,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--ipp-port", "0", "--speed", "instant", "--no-tls"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start paperjam serve: {e}"));
        let mut line = String::new();
        let stdout = child
            .stdout
            .take()
            .unwrap_or_else(|| panic!("serve has no stdout"));
        // The first stdout line is the URI; it comes once the port is bound.
        let _ = BufReader::new(stdout).read_line(&mut line);
        let uri = line.trim().to_string();
        if !uri.starts_with("ipp://") {
            let _ = child.kill();
            panic!("serve printed {line:?} instead of a URI");
        }
        Server { child, uri }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn paperjam(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run paperjam: {e}"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn explain(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn suite_ids() -> Vec<String> {
    load_dir(&paperjam_suites::ipp_suite_dir())
        .unwrap_or_else(|e| panic!("suite: {e}"))
        .into_iter()
        .map(|c| c.id)
        .collect()
}

#[test]
fn grades_the_virtual_printer_in_every_format() {
    let srv = Server::start();
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = out.path().to_string_lossy().to_string();
    let o = paperjam(&[
        "test", &srv.uri, "--out", &dir, "--format", "json", "--format", "markdown", "--format",
        "html", "--format", "junit", "--jobs", "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
    for f in ["report.json", "report.md", "report.html", "junit.xml"] {
        assert!(out.path().join(f).is_file(), "{f} not written");
    }
    let json = read(&out.path().join("report.json"));
    assert!(json.contains(&format!("\"schema\": \"{SCHEMA}\"")));
    assert_eq!(SCHEMA, "paperjam-report/1");
    let report = Report::from_json(&json).unwrap_or_else(|e| panic!("report.json: {e}"));
    assert_eq!(report.target, srv.uri);
    assert_eq!(report.cases.len(), suite_ids().len());
    // Printing is not allowed by default, so the printing case is skipped, with its reason.
    assert!(report
        .cases
        .iter()
        .filter(|c| c.outcome.as_str() == "skip")
        .all(|c| !c.reason.is_empty()));

    let html = read(&out.path().join("report.html"));
    assert!(html.contains("<h2>Summary</h2>"));
    assert!(html.contains("<td>MUST</td>"));
    let md = read(&out.path().join("report.md"));
    assert!(md.contains("## Summary by level"));
    assert!(read(&out.path().join("junit.xml")).contains("<testsuite"));

    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("| Level | Pass | Warn | Fail | Skip | Error | Total | Score |"));
    assert!(stdout.contains("report.html"), "{stdout}");
    // Not a terminal: one line per case on stderr.
    let stderr = String::from_utf8_lossy(&o.stderr);
    for id in suite_ids() {
        assert!(stderr.contains(&id), "{id} not reported:\n{stderr}");
    }
}

#[test]
fn case_globs_select_cases() {
    let srv = Server::start();
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = out.path().to_string_lossy().to_string();
    let o = paperjam(&[
        "test",
        &srv.uri,
        "--out",
        &dir,
        "--format",
        "json",
        "--case",
        "ipp/rfc8011/4.1.1/*",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
    let report =
        Report::from_json(&read(&out.path().join("report.json"))).unwrap_or_else(|e| panic!("{e}"));
    let expected: Vec<String> = suite_ids()
        .into_iter()
        .filter(|id| id.starts_with("ipp/rfc8011/4.1.1/"))
        .collect();
    assert!(!expected.is_empty());
    let got: Vec<String> = report.cases.iter().map(|c| c.id.clone()).collect();
    assert_eq!(got, expected);
    assert!(
        !out.path().join("report.md").exists(),
        "only json was asked for"
    );
}

#[test]
fn lists_cases_without_a_target() {
    let o = paperjam(&["test", "--list"]);
    assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    for id in suite_ids() {
        assert!(stdout.contains(&id), "{id} not listed:\n{stdout}");
    }
    assert!(stdout.contains("MUST"));
    assert!(stdout.contains("RFC 8011 §4.1.1"));
}

#[test]
fn unreachable_target_exits_2() {
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = out.path().to_string_lossy().to_string();
    let o = paperjam(&["test", "ipp://127.0.0.1:1/ipp/print", "--out", &dir]);
    assert_eq!(o.status.code(), Some(2), "{}", explain(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("cannot reach"), "{stderr}");
}

#[test]
fn other_schemes_exit_2() {
    let o = paperjam(&["test", "ftp://127.0.0.1"]);
    assert_eq!(o.status.code(), Some(2), "{}", explain(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("snmp:// targets"));
}

/// An SNMP port where nothing answers: the report is written (the case that
/// grades answering fails, every other one is skipped with its reason) and
/// the exit status says the target could not be graded.
#[test]
fn a_silent_snmp_agent_exits_2() {
    // A closed UDP port: bind, note the port, close.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let target = format!("snmp://127.0.0.1:{port}");
    let dir = out.path().to_string_lossy().into_owned();
    let o = paperjam(&["test", &target, "--timeout", "1", "--out", &dir]);
    assert_eq!(o.status.code(), Some(2), "{}", explain(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("answered no Get of sysDescr.0"),
        "{}",
        explain(&o)
    );
    let report =
        Report::from_json(&read(&out.path().join("report.json"))).unwrap_or_else(|e| panic!("{e}"));
    let answered = report
        .cases
        .iter()
        .find(|c| c.id == "snmp/rfc3416/4.2.1/get-answered")
        .map(|c| c.outcome.as_str());
    assert_eq!(answered, Some("fail"));
    assert!(report
        .cases
        .iter()
        .filter(|c| c.id != "snmp/rfc3416/4.2.1/get-answered")
        .all(|c| c.outcome.as_str() == "skip" && !c.reason.is_empty()));
}

/// `paperjam serve` with SNMP, graded by `paperjam test snmp://…` with the
/// IPP cross-checks and the writing cases: every case passes, and the report
/// names the printer by its sysDescr.
#[test]
fn snmp_suite_end_to_end() {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--ipp-port",
            "0",
            "--no-tls",
            "--speed",
            "instant",
            "--snmp-port",
            "0",
            "--lpd-port",
            "0",
            "--socket-port",
            "0",
            "--control-port",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start paperjam serve: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let (mut ipp, mut snmp) = (None, None);
    for _ in 0..10 {
        let Some(Ok(line)) = lines.next() else { break };
        if line.starts_with("ipp://") {
            ipp = Some(line.trim().to_string());
        } else if line.starts_with("snmp://") {
            snmp = Some(line.trim().to_string());
        }
        if ipp.is_some() && snmp.is_some() {
            break;
        }
    }
    let (Some(ipp), Some(snmp)) = (ipp, snmp) else {
        let _ = child.kill();
        panic!("serve printed no ipp:// and snmp:// URIs");
    };
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = out.path().to_string_lossy().into_owned();
    let o = paperjam(&[
        "test",
        &snmp,
        "--ipp",
        &ipp,
        "--allow-write",
        "--write-community",
        "private",
        "--timeout",
        "1",
        "--out",
        &dir,
    ]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
    let report =
        Report::from_json(&read(&out.path().join("report.json"))).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report
            .target_description
            .starts_with("paperjam Office Laser"),
        "{}",
        report.target_description
    );
    assert!(report.cases.len() >= 25);
    let not_passed: Vec<String> = report
        .cases
        .iter()
        .filter(|c| c.outcome.as_str() != "pass")
        .map(|c| format!("{}: {}", c.id, c.reason))
        .collect();
    assert!(not_passed.is_empty(), "{not_passed:#?}");
}

/// `paperjam serve` with a control API, and `paperjam fault` driving it.
#[test]
fn fault_subcommand_raises_lists_and_clears_on_a_running_printer() {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--ipp-port",
            "0",
            "--no-tls",
            "--speed",
            "instant",
            "--control-port",
            "0",
            "--fault",
            "toner-low",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start paperjam serve: {e}"));
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut control = None;
    // ipp://, lpd://, socket:// and then the control URL.
    for _ in 0..10 {
        let Some(Ok(l)) = lines.next() else { break };
        if let Some(url) = l.strip_prefix("control: ") {
            control = Some(url.to_string());
            break;
        }
    }
    let server = Server {
        child,
        uri: String::new(),
    };
    let control = control.unwrap_or_else(|| panic!("serve printed no control URL"));
    let fault = |args: &[&str]| {
        let mut a = vec!["fault", "--control", control.as_str()];
        a.extend_from_slice(args);
        paperjam(&a)
    };
    // The fault given with --fault is listed.
    let o = fault(&["list"]);
    assert!(o.status.success(), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"toner-low\""));
    // Raise a jam; the state shows it.
    let o = fault(&["raise", "media-jam"]);
    assert!(o.status.success(), "{o:?}");
    let state = String::from_utf8_lossy(&fault(&["state"]).stdout).to_string();
    assert!(state.contains("\"printer-state\": \"stopped\""), "{state}");
    assert!(state.contains("media-jam-error"), "{state}");
    // A bad spec is refused locally, naming the field; nothing changes.
    let o = fault(&["raise", "latency=-3ms"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("latency: negative duration"));
    // Clear what is not there: exit 1 and the API's message.
    let o = fault(&["clear", "door-open"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("no active fault matches 'door-open'"));
    // Reset clears both.
    let o = fault(&["reset"]);
    assert!(o.status.success());
    let state = String::from_utf8_lossy(&fault(&["state"]).stdout).to_string();
    assert!(state.contains("\"printer-state\": \"idle\""), "{state}");
    drop(server);
    // The catalog needs no printer.
    let o = paperjam(&["fault", "catalog", "--format", "json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    for n in [
        "latency",
        "reset_peer",
        "media-jam",
        "power-cycle",
        "wrong-request-id",
    ] {
        assert!(names.contains(&n), "{n} missing from the catalog");
    }
    // No printer at the control URL: exit 2 with a hint.
    let o = paperjam(&["fault", "--control", "http://127.0.0.1:1", "state"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is `paperjam serve` running?"));
}

/// A scenario with a mistake is refused at start, naming the field.
#[test]
fn serve_refuses_a_bad_scenario_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[[step]]\nafter = \"-5s\"\nraise = \"media-jam\"\n").unwrap();
    let o = paperjam(&[
        "serve",
        "--ipp-port",
        "0",
        "--scenario",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("step[0].after: negative duration"), "{err}");
    let o = paperjam(&["serve", "--ipp-port", "0", "--fault", "paper-explosion"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown fault 'paper-explosion'"));
}

/// `paperjam serve` on free IPP, LPD and AppSocket ports, no control API:
/// the server and its `lpd://…/lp` and `socket://…` URIs.
fn raw_server() -> (Server, String, String) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--ipp-port",
            "0",
            "--lpd-port",
            "0",
            "--socket-port",
            "0",
            "--no-control",
            "--no-tls",
            "--speed",
            "instant",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start paperjam serve: {e}"));
    let stdout = child
        .stdout
        .take()
        .unwrap_or_else(|| panic!("serve has no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let (mut ipp, mut lpd, mut socket) = (String::new(), None, None);
    // ipp://, lpd:// and socket://, one a line, once their ports are bound.
    for _ in 0..5 {
        let Some(Ok(l)) = lines.next() else { break };
        if l.starts_with("ipp://") {
            ipp = l;
        } else if l.starts_with("lpd://") {
            lpd = Some(l);
        } else if l.starts_with("socket://") {
            socket = Some(l);
            break;
        }
    }
    let server = Server { child, uri: ipp };
    match (lpd, socket) {
        (Some(l), Some(s)) => (server, l, s),
        (l, s) => panic!("serve printed lpd {l:?} and socket {s:?}"),
    }
}

fn raw_suite_ids(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = paperjam_suites::raw::load_dir(dir)
        .unwrap_or_else(|e| panic!("suite: {e}"))
        .into_iter()
        .map(|c| c.id)
        .collect();
    ids.sort();
    ids
}

fn report_in(dir: &Path) -> Report {
    Report::from_json(&read(&dir.join("report.json")))
        .unwrap_or_else(|e| panic!("report.json: {e}"))
}

#[test]
fn lpd_target_runs_the_lpd_suite() {
    let (_srv, lpd, _) = raw_server();
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = out.path().to_string_lossy().to_string();
    let o = paperjam(&[
        "test",
        &lpd,
        "--allow-print",
        "--format",
        "json",
        "--format",
        "junit",
        "--out",
        &dir,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
    let report = report_in(out.path());
    assert_eq!(report.target, lpd);
    assert_eq!(report.target_description, "LPD queue lp");
    let ids: Vec<String> = report.cases.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids, raw_suite_ids(&paperjam_suites::lpd_suite_dir()));
    for c in &report.cases {
        assert!(
            matches!(c.outcome.as_str(), "pass" | "warn"),
            "{} {}: {}",
            c.id,
            c.outcome.as_str(),
            c.reason
        );
    }
    let junit = read(&out.path().join("junit.xml"));
    assert!(junit.contains("<testsuite"), "{junit}");
    assert!(junit.contains("lpd/rfc1179/5.2/receive-job-known-queue"));
    assert!(
        !out.path().join("report.md").exists(),
        "only json and junit"
    );

    // Without --allow-print the printing cases are skipped, with the reason.
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = out.path().to_string_lossy().to_string();
    let o = paperjam(&["test", &lpd, "--format", "json", "--out", &dir]);
    assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
    let printing: Vec<String> = paperjam_suites::raw::load_dir(&paperjam_suites::lpd_suite_dir())
        .unwrap_or_else(|e| panic!("suite: {e}"))
        .into_iter()
        .filter(|c| c.prints)
        .map(|c| c.id)
        .collect();
    assert!(!printing.is_empty());
    for c in report_in(out.path()).cases {
        if printing.contains(&c.id) {
            assert_eq!(c.outcome.as_str(), "skip", "{}", c.id);
            assert!(c.reason.contains("print"), "{}: {}", c.id, c.reason);
        } else {
            assert_ne!(c.outcome.as_str(), "skip", "{}", c.id);
        }
    }
}

#[test]
fn socket_target_runs_the_appsocket_suite_and_names_the_printer() {
    let (_srv, _, socket) = raw_server();
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = out.path().to_string_lossy().to_string();
    let o = paperjam(&[
        "test", &socket, "--format", "json", "--out", &dir, "--jobs", "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
    let report = report_in(out.path());
    assert_eq!(report.target, socket);
    // The PJL INFO ID answer: the profile's make and model.
    let model = paperjam_sim::profile::Profile::default_profile()
        .unwrap_or_else(|e| panic!("profile: {e}"))
        .make_and_model();
    assert!(!model.is_empty());
    assert_eq!(report.target_description, model);
    let ids: Vec<String> = report.cases.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids, raw_suite_ids(&paperjam_suites::appsocket_suite_dir()));
    assert!(report
        .cases
        .iter()
        .all(|c| !matches!(c.outcome.as_str(), "fail" | "error")));
    // --suite naming the target's own suite is fine; another one is refused.
    let o = paperjam(&[
        "test",
        &socket,
        "--suite",
        "appsocket",
        "--case",
        "appsocket/pjl/info-id",
        "--format",
        "json",
        "--out",
        &dir,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
    assert_eq!(report_in(out.path()).cases.len(), 1);
    let o = paperjam(&["test", &socket, "--suite", "lpd", "--out", &dir]);
    assert_eq!(o.status.code(), Some(2), "{}", explain(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--suite lpd cannot test"));
}

#[test]
fn raw_suites_list_without_a_target() {
    for (suite, dir) in [
        ("appsocket", paperjam_suites::appsocket_suite_dir()),
        ("lpd", paperjam_suites::lpd_suite_dir()),
    ] {
        let o = paperjam(&["test", "--suite", suite, "--list"]);
        assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
        let stdout = String::from_utf8_lossy(&o.stdout);
        let ids = raw_suite_ids(&dir);
        assert_eq!(stdout.lines().count(), ids.len(), "{stdout}");
        for id in ids {
            assert!(stdout.contains(&id), "{id} not listed:\n{stdout}");
        }
    }
}

#[test]
fn unserved_lpd_queue_exits_1() {
    let (_srv, lpd, _) = raw_server();
    let unserved = match lpd.rsplit_once('/') {
        Some((base, _)) => format!("{base}/nosuchqueue"),
        None => panic!("{lpd} has no queue"),
    };
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = out.path().to_string_lossy().to_string();
    let o = paperjam(&["test", &unserved, "--format", "json", "--out", &dir]);
    assert_eq!(o.status.code(), Some(1), "{}", explain(&o));
    let report = report_in(out.path());
    let known = report
        .cases
        .iter()
        .find(|c| c.id == "lpd/rfc1179/5.2/receive-job-known-queue")
        .unwrap_or_else(|| panic!("no known-queue case in the report"));
    assert_eq!(known.outcome.as_str(), "fail", "{}", known.reason);
    assert!(!known.findings.is_empty());
}

#[test]
fn refused_lpd_target_exits_2() {
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = out.path().to_string_lossy().to_string();
    let o = paperjam(&["test", "lpd://127.0.0.1:1/lp", "--out", &dir]);
    assert_eq!(o.status.code(), Some(2), "{}", explain(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("cannot reach lpd://127.0.0.1:1/lp"),
        "{stderr}"
    );
    // Before any case: no case line, no report.
    assert!(!stderr.contains("lpd/rfc1179/"), "{stderr}");
    assert!(!out.path().join("report.json").exists());
    // A suite that does not fit the target is refused before connecting.
    let o = paperjam(&["test", "--suite", "ipp", "lpd://127.0.0.1:1/lp"]);
    assert_eq!(o.status.code(), Some(2), "{}", explain(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--suite ipp cannot test"));
}
