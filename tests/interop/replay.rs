//! Replay against a real printer that nobody here wrote: the session ipptool
//! had with ippeveprinter (`captures/ipp-ipptool-ippeveprinter.pcapng`),
//! replayed by `paperjam replay` against a fresh ippeveprinter started the
//! same way, must come back the same — every attribute the recorded
//! ippeveprinter answered is there with its syntax (no failing exchange);
//! and the same capture replayed against `paperjam serve` shows where the
//! two printers differ (ippeveprinter's finishings-col-database, which the
//! default virtual printer does not have).

use std::path::PathBuf;
use std::process::Command;

use paperjam_suites::grade::Outcome;
use paperjam_suites::report::Report;

use crate::peers::{repo_root, IppEvePrinter, Paperjam};

fn replay(target: &str, out: &std::path::Path) -> (Option<i32>, Report) {
    let capture = repo_root().join("captures/ipp-ipptool-ippeveprinter.pcapng");
    let o = Command::new(PathBuf::from(env!("CARGO_BIN_EXE_paperjam")))
        .args(["replay"])
        .arg(&capture)
        .args(["--target", target, "--allow-print", "--out"])
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("cannot run paperjam replay: {e}"));
    let text = std::fs::read_to_string(out.join("report.json")).unwrap_or_else(|e| {
        panic!(
            "no report ({e}):\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let report = Report::from_json(&text).unwrap_or_else(|e| panic!("report.json: {e}"));
    (o.status.code(), report)
}

#[test]
fn replaying_ippeveprinter_against_ippeveprinter_finds_nothing_missing() {
    let eve = IppEvePrinter::start();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (code, report) = replay(&eve.uri(), dir.path());
    assert_eq!(report.cases.len(), 2, "{:#?}", report.cases);
    for c in &report.cases {
        assert!(
            matches!(c.outcome, Outcome::Pass | Outcome::Warn),
            "{} {}: {}\n{:#?}",
            c.outcome.as_str(),
            c.id,
            c.reason,
            c.findings
        );
        // A value may differ (its uuid follows its port); nothing the
        // recorded printer answered may be missing or of another syntax.
        for f in &c.findings {
            assert!(
                !f.actual.contains("(missing)") && !f.check.ends_with(" syntax"),
                "{}: {f:?}",
                c.id
            );
        }
    }
    assert_eq!(code, Some(0), "no exchange failed, so the exit code is 0");
}

#[test]
fn replaying_ippeveprinter_against_paperjam_shows_the_differences() {
    let pj = Paperjam::start_with(&["--no-tls"]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (code, report) = replay(&pj.uri, dir.path());
    assert_eq!(code, Some(1));
    let gpa = report
        .cases
        .iter()
        .find(|c| c.id.ends_with("get-printer-attributes"))
        .unwrap_or_else(|| panic!("no Get-Printer-Attributes case: {:#?}", report.cases));
    assert_eq!(gpa.outcome, Outcome::Fail);
    assert!(
        gpa.findings
            .iter()
            .any(|f| f.check.ends_with("finishings-col-database") && f.actual == "(missing)"),
        "{:#?}",
        gpa.findings
    );
}
