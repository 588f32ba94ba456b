//! The runner grades ippeveprinter, the reference implementation from CUPS:
//! it must find ippeveprinter's known defects, each by the case for its
//! clause, and the graded report is kept as an insta snapshot in `reports/`
//! beside the virtual printer's, so both can be reviewed side by side.

use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::Outcome;
use paperjam_suites::report::Report;
use paperjam_suites::runner::{RunOptions, Runner};
use paperjam_suites::spec::load_dir;

use crate::peers::IppEvePrinter;

/// Known defects of ippeveprinter (CUPS 2.4.2) and the case that must flag each.
const KNOWN_DEFECTS: &[(&str, &str)] = &[
    (
        "ipp/pwg5100.12/4/request-2.1-answered-in-ipp",
        "answers an IPP/2.1 request with HTTP 400 instead of server-error-version-not-supported",
    ),
    (
        "ipp/pwg5100.12/4/request-2.2-answered-in-ipp",
        "answers an IPP/2.2 request with HTTP 400 instead of server-error-version-not-supported",
    ),
    (
        "ipp/rfc8011/4.2.1/queued-behind-active-job",
        "answers Print-Job with server-error-busy while a job is active, though printer-is-accepting-jobs is true",
    ),
];

/// ippeveprinter reports `printer-up-time` 0 during its first second; the
/// case for RFC 8011 §5.4.29 must flag that when it is asked then. A fresh
/// printer is asked the moment its port accepts; the defect is bound to that
/// first second, so up to three fresh starts are tried before concluding the
/// grader missed it.
#[test]
fn grader_flags_ippeveprinter_up_time_zero() {
    let case = load_dir(&paperjam_suites::ipp_suite_dir())
        .unwrap()
        .into_iter()
        .find(|c| c.id == "ipp/rfc8011/5.4.29/printer-up-time")
        .expect("the printer-up-time case exists");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let peer = IppEvePrinter::start_waiting(false);
        let result = rt.block_on(async {
            let runner = Runner::new(
                TargetUri::parse(&peer.uri()).unwrap(),
                RunOptions::virtual_printer(paperjam_suites::documents_dir()),
            )
            .await;
            runner.run(&case).await
        });
        if result.outcome == Outcome::Fail && result.findings.iter().any(|f| f.actual == "0") {
            return;
        }
        seen.push(format!("{}: {}", result.outcome.as_str(), result.reason));
    }
    panic!("ippeveprinter's printer-up-time 0 was not flagged in three fresh starts: {seen:#?}");
}

#[test]
fn suite_grades_ippeveprinter() {
    let peer = IppEvePrinter::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let uri = peer.uri();
    let report = rt.block_on(async {
        // Our own local peer: printing and changing settings are fine.
        let runner = Runner::new(
            TargetUri::parse(&uri).unwrap(),
            RunOptions::virtual_printer(paperjam_suites::documents_dir()),
        )
        .await;
        let mut results = Vec::new();
        for c in load_dir(&paperjam_suites::ipp_suite_dir()).unwrap() {
            results.push(runner.run(&c).await);
        }
        Report::new(&uri, "ippeveprinter (CUPS 2.4.2)", false, results)
    });
    let mut missed = Vec::new();
    for (id, what) in KNOWN_DEFECTS {
        let found = report
            .cases
            .iter()
            .any(|c| c.id == *id && c.outcome == Outcome::Fail);
        if !found {
            missed.push(format!("{id}: {what}"));
        }
    }
    let errors: Vec<String> = report
        .cases
        .iter()
        .filter(|c| c.outcome == Outcome::Error)
        .map(|c| format!("{}: {}", c.id, c.reason))
        .collect();
    std::fs::create_dir_all(crate::peers::results_dir()).unwrap();
    std::fs::write(
        crate::peers::results_dir().join("ippeveprinter-report.json"),
        report.to_json(),
    )
    .unwrap();
    assert!(
        missed.is_empty(),
        "known ippeveprinter defects not flagged: {missed:#?}"
    );
    assert!(
        errors.is_empty(),
        "cases without a verdict against ippeveprinter: {errors:#?}"
    );
    insta::with_settings!({ snapshot_path => "../../reports", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("ippeveprinter", report.snapshot_view());
    });
}
