//! `paperjam capture inspect`, `paperjam replay` and `paperjam profile
//! from-capture` end to end, on the captures in `captures/`: what the
//! commands print, the reports they write, their exit codes, and the
//! profile a capture becomes served by `paperjam serve`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use paperjam_suites::grade::Outcome;
use paperjam_suites::report::Report;

const BIN: &str = env!("CARGO_BIN_EXE_paperjam");

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn paperjam(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run paperjam: {e}"))
}

fn explain(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A `paperjam serve` child on free ports, killed when dropped; the URIs it
/// printed (ipp://, lpd://, socket://, snmp://).
struct Server {
    child: Child,
    uris: Vec<String>,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut args = vec![
            "serve",
            "--ipp-port",
            "0",
            "--lpd-port",
            "0",
            "--socket-port",
            "0",
            "--snmp-port",
            "0",
            "--no-control",
            "--no-tls",
            "--speed",
            "instant",
        ];
        args.extend_from_slice(extra);
        let mut child = Command::new(BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start paperjam serve: {e}"));
        let stdout = child
            .stdout
            .take()
            .unwrap_or_else(|| panic!("serve has no stdout"));
        let mut uris = Vec::new();
        // One URI a line, once each port is bound; snmp:// comes last.
        for line in BufReader::new(stdout).lines().take(8) {
            let Ok(l) = line else { break };
            let done = l.starts_with("snmp://");
            if l.contains("://") {
                uris.push(l);
            }
            if done {
                break;
            }
        }
        Server { child, uris }
    }

    fn uri(&self, scheme: &str) -> String {
        self.uris
            .iter()
            .find(|u| u.starts_with(scheme))
            .cloned()
            .unwrap_or_else(|| panic!("serve printed no {scheme} URI: {:?}", self.uris))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn inspect_decodes_each_protocol() {
    let o = paperjam(&[
        "capture",
        "inspect",
        capture("lpd-cups-backend.pcapng").to_str().unwrap_or(""),
    ]);
    assert!(o.status.success(), "{}", explain(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("receive job for lp"), "{text}");
    assert!(text.contains("control file cfA"), "{text}");
    assert!(text.contains("ack 0 (accepted)"), "{text}");

    let o = paperjam(&[
        "capture",
        "inspect",
        capture("ipp-cups-backend.pcapng").to_str().unwrap_or(""),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    for op in [
        "Validate-Job",
        "Create-Job",
        "Send-Document",
        "Get-Job-Attributes",
    ] {
        assert!(text.contains(op), "{op} missing:\n{text}");
    }

    let o = paperjam(&[
        "capture",
        "inspect",
        capture("snmp-cups-backend.pcapng").to_str().unwrap_or(""),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("1.3.6.1.2.1.25.3.2.1.3.1 = STRING"), "{text}");
}

#[test]
fn inspect_writes_json() {
    let o = paperjam(&[
        "capture",
        "inspect",
        capture("lpd-lprng-lpr-lpq.pcapng").to_str().unwrap_or(""),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", explain(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON: {e}\n{}", explain(&o)));
    let sessions = v["sessions"].as_array().cloned().unwrap_or_default();
    assert_eq!(sessions.len(), 2, "{v:#}");
    assert_eq!(sessions[0]["protocol"], "lpd");
    assert_eq!(sessions[0]["body"]["kind"], "lpd");
}

#[test]
fn a_file_that_is_not_a_capture_exits_2_naming_why() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.path().join("notes.pcap");
    std::fs::write(&bad, b"hello, not a capture").unwrap_or_else(|e| panic!("{e}"));
    let o = paperjam(&["capture", "inspect", bad.to_str().unwrap_or("")]);
    assert_eq!(o.status.code(), Some(2), "{}", explain(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not a pcap or pcapng file"),
        "{}",
        explain(&o)
    );
}

#[test]
fn a_cut_capture_is_read_up_to_the_cut_with_a_warning() {
    let bytes = std::fs::read(capture("ipp-cups-backend.pcapng")).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cut = dir.path().join("cut.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap_or_else(|e| panic!("{e}"));
    let o = paperjam(&["capture", "inspect", cut.to_str().unwrap_or("")]);
    assert!(o.status.success(), "{}", explain(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("warning: ") && text.contains("frame"),
        "{text}"
    );
    assert!(text.contains("Get-Printer-Attributes"), "{text}");
}

#[test]
fn replay_grades_every_exchange_and_lists_its_rules() {
    let srv = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("r");
    let o = paperjam(&[
        "replay",
        capture("ipp-cups-backend.pcapng").to_str().unwrap_or(""),
        "--target",
        &srv.uri("ipp://"),
        "--allow-print",
        "--format",
        "json",
        "--format",
        "markdown",
        "--format",
        "html",
        "--format",
        "junit",
        "--out",
        out.to_str().unwrap_or(""),
    ]);
    assert!(o.status.success(), "{}", explain(&o));
    let report =
        Report::from_json(&std::fs::read_to_string(out.join("report.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("report.json: {e}"));
    assert_eq!(report.cases.len(), 7, "{:#?}", report.cases);
    assert!(report.cases.iter().all(|c| c.outcome == Outcome::Pass));
    assert!(report.normalisation.iter().any(|r| r.name == "ipp-job-ids"));
    for f in ["report.md", "report.html", "junit.xml"] {
        assert!(out.join(f).is_file(), "{f} not written");
    }
    assert!(std::fs::read_to_string(out.join("report.md"))
        .unwrap_or_default()
        .contains("What the replay normalised"));
}

#[test]
fn replay_does_not_print_without_allow_print() {
    let srv = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("r");
    let o = paperjam(&[
        "replay",
        capture("lpd-cups-backend.pcapng").to_str().unwrap_or(""),
        "--target",
        &srv.uri("lpd://"),
        "--out",
        out.to_str().unwrap_or(""),
    ]);
    assert!(o.status.success(), "{}", explain(&o));
    let report =
        Report::from_json(&std::fs::read_to_string(out.join("report.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("report.json: {e}"));
    assert_eq!(report.cases.len(), 1);
    assert_eq!(report.cases[0].outcome, Outcome::Skip);
    assert!(
        report.cases[0].reason.contains("--allow-print"),
        "{}",
        report.cases[0].reason
    );
}

#[test]
fn replay_against_another_printer_exits_1_with_both_sides_as_evidence() {
    // ippeveprinter's answers, replayed against the default virtual printer.
    let srv = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("r");
    let o = paperjam(&[
        "replay",
        capture("ipp-ipptool-ippeveprinter.pcapng")
            .to_str()
            .unwrap_or(""),
        "--target",
        &srv.uri("ipp://"),
        "--allow-print",
        "--out",
        out.to_str().unwrap_or(""),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", explain(&o));
    let report =
        Report::from_json(&std::fs::read_to_string(out.join("report.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("report.json: {e}"));
    let gpa = report
        .cases
        .iter()
        .find(|c| c.id.ends_with("get-printer-attributes"))
        .unwrap_or_else(|| panic!("no Get-Printer-Attributes case"));
    assert_eq!(gpa.outcome, Outcome::Fail, "{gpa:#?}");
    // ippeveprinter says it has a finishings-col database; the default
    // printer does not.
    assert!(gpa
        .findings
        .iter()
        .any(|f| f.check == "printer group: finishings-col-database" && f.actual == "(missing)"));
    assert_eq!(
        gpa.evidence.len(),
        2,
        "the target's exchange and the captured one"
    );
    assert!(gpa.evidence[1]
        .request_decoded
        .starts_with("[captured, frames"));
}

#[test]
fn a_profile_from_a_capture_serves_the_captured_printer() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = dir.path().join("eve.toml");
    let cap = capture("ipp-ipptool-ippeveprinter.pcapng");
    let o = paperjam(&[
        "profile",
        "from-capture",
        cap.to_str().unwrap_or(""),
        "-o",
        profile.to_str().unwrap_or(""),
    ]);
    assert!(o.status.success(), "{}", explain(&o));
    let text = std::fs::read_to_string(&profile).unwrap_or_default();
    assert!(text.contains("[ipp-recorded]"), "{text}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("live, not recorded"));
    let o = paperjam(&["profile", "check", profile.to_str().unwrap_or("")]);
    assert!(o.status.success(), "{}", explain(&o));

    let srv = Server::start(&["--profile", profile.to_str().unwrap_or("")]);
    let out = dir.path().join("r");
    let _ = paperjam(&[
        "replay",
        cap.to_str().unwrap_or(""),
        "--target",
        &srv.uri("ipp://"),
        "--allow-print",
        "--out",
        out.to_str().unwrap_or(""),
    ]);
    let report =
        Report::from_json(&std::fs::read_to_string(out.join("report.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("report.json: {e}"));
    let gpa = report
        .cases
        .iter()
        .find(|c| c.id.ends_with("get-printer-attributes"))
        .unwrap_or_else(|| panic!("no Get-Printer-Attributes case"));
    // What the profile records comes back as recorded: no attribute is
    // missing or of another syntax (live ones — supplies, trays — follow the
    // virtual printer's own state).
    assert_ne!(gpa.outcome, Outcome::Fail, "{:#?}", gpa.findings);
    assert!(gpa
        .findings
        .iter()
        .all(|f| !f.check.contains("finishings-col-database")));
}

#[test]
fn from_capture_needs_out_when_the_capture_has_snmp() {
    let o = paperjam(&[
        "profile",
        "from-capture",
        capture("snmp-cups-backend.pcapng").to_str().unwrap_or(""),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", explain(&o));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = dir.path().join("p.toml");
    let o = paperjam(&[
        "profile",
        "from-capture",
        capture("snmp-cups-backend.pcapng").to_str().unwrap_or(""),
        "-o",
        profile.to_str().unwrap_or(""),
    ]);
    assert!(o.status.success(), "{}", explain(&o));
    let walk = std::fs::read_to_string(dir.path().join("p.snmpwalk")).unwrap_or_default();
    assert!(
        walk.contains(".1.3.6.1.2.1.25.3.2.1.3.1 = STRING"),
        "{walk}"
    );
    let o = paperjam(&["profile", "check", profile.to_str().unwrap_or("")]);
    assert!(o.status.success(), "{}", explain(&o));
}
