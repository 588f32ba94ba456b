//! Negative controls: the virtual printer misbehaves in one way at a time, and
//! the suite must flag it — by the case for its clause — and flag nothing
//! unrelated. A grader that passes a broken printer, or blames the wrong
//! clause, is caught here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use paperjam_sim::ipp::quirks::Quirk;
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::{CaseResult, Outcome};
use paperjam_suites::runner::{RunOptions, Runner};
use paperjam_suites::spec::load_dir;

/// Run the whole IPP suite against a printer with `quirks`.
async fn run_with(quirks: &[&str]) -> Vec<CaseResult> {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().unwrap()));
    cfg.ipp_port = 0;
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    cfg.quirks = quirks.iter().map(|q| q.parse::<Quirk>().unwrap()).collect();
    let srv = server::start(cfg).await.unwrap();
    let target = TargetUri::parse(&srv.uris()[0]).unwrap();
    let runner = Runner::new(
        target,
        RunOptions::virtual_printer(paperjam_suites::documents_dir()),
    )
    .await;
    let mut out = Vec::new();
    for c in load_dir(&paperjam_suites::ipp_suite_dir()).unwrap() {
        out.push(runner.run(&c).await);
    }
    out
}

fn flagged(results: &[CaseResult]) -> Vec<&CaseResult> {
    results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Warn | Outcome::Error))
        .collect()
}

/// `quirk` must be flagged by `clause_case`, and every finding of every
/// flagged case must satisfy `related`.
async fn control(quirk: &str, clause_case: &str, related: impl Fn(&str, &str) -> bool) {
    let results = run_with(&[quirk]).await;
    let bad = flagged(&results);
    let ids: Vec<&str> = bad.iter().map(|r| r.id.as_str()).collect();
    assert!(
        bad.iter()
            .any(|r| r.id == clause_case && r.outcome == Outcome::Fail),
        "{quirk}: {clause_case} did not fail; flagged: {ids:?}"
    );
    for r in &bad {
        assert_ne!(
            r.outcome,
            Outcome::Error,
            "{quirk}: {} errored: {}",
            r.id,
            r.reason
        );
        for f in &r.findings {
            assert!(
                related(&f.check, &f.expected),
                "{quirk}: {} flagged something unrelated: {} (expected {}, got {})",
                r.id,
                f.check,
                f.expected,
                f.actual
            );
        }
    }
    eprintln!("{quirk}: flagged by {ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_printer_is_flagged_by_no_must() {
    let results = run_with(&[]).await;
    let bad: Vec<String> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Error))
        .map(|r| format!("{}: {}", r.id, r.reason))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let unexplained: Vec<&str> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Skip && r.reason.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        unexplained.is_empty(),
        "skips without a reason: {unexplained:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_request_id_is_flagged_by_4_1_1() {
    control(
        "wrong-request-id",
        "ipp/rfc8011/4.1.1/request-id-echoed",
        |check, _| check == "request-id",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_version_is_flagged_by_4_1_8() {
    control(
        "wrong-version",
        "ipp/rfc8011/4.1.8/response-major-version-matches",
        |check, _| check == "response version",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_required_attribute_is_flagged_by_5_4() {
    let results = run_with(&["missing-required-attribute"]).await;
    let bad = flagged(&results);
    assert!(
        !bad.is_empty(),
        "a missing printer-uri-supported went unnoticed"
    );
    for r in &bad {
        for f in &r.findings {
            assert!(
                f.check.contains("printer-uri-supported")
                    || f.expected.contains("printer-uri-supported"),
                "{}: unrelated finding {} / {}",
                r.id,
                f.check,
                f.expected
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_operation_group_is_flagged_by_4_1_4() {
    control(
        "reordered-operation-group",
        "ipp/rfc8011/4.1.4/charset-and-language-first-in-response",
        |check, _| {
            check.contains("order")
                || check.starts_with("attributes-charset")
                || check.starts_with("attributes-natural-language")
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_end_tag_is_flagged_as_malformed() {
    // Only Get-Jobs responses lose their end tag, so only cases that read them may notice.
    let results = run_with(&["dropped-end-tag@Get-Jobs"]).await;
    let bad = flagged(&results);
    assert!(
        !bad.is_empty(),
        "a Get-Jobs response without its end tag went unnoticed"
    );
    for r in &bad {
        assert!(
            r.findings.iter().any(|f| f.check == "IPP response"),
            "{} was flagged, but not for the malformed response: {:?}",
            r.id,
            r.findings
        );
    }
}
