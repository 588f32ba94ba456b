//! The graded reports of the default virtual printer (the IPP suite, and the
//! SNMP suite with its IPP cross-checks), as insta snapshots in `reports/`: a
//! change in any verdict shows up in `cargo insta review`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod snmp_printer;

use std::sync::Arc;

use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_suites::client::TargetUri;
use paperjam_suites::report::Report;
use paperjam_suites::runner::{RunOptions, Runner};
use paperjam_suites::spec::load_dir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_virtual_printer_report() {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().unwrap()));
    cfg.ipp_port = 0;
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    // A fixed boot time keeps dates out of the way; they are redacted anyway.
    cfg.boot_unix_ms = Some(1_795_000_000_000);
    let srv = server::start(cfg).await.unwrap();
    let uri = srv.uris()[0].clone();
    let runner = Runner::new(
        TargetUri::parse(&uri).unwrap(),
        RunOptions::virtual_printer(paperjam_suites::documents_dir()),
    )
    .await;
    let mut results = Vec::new();
    // One at a time, in id order, so job ids and request ids are the same every run.
    for c in load_dir(&paperjam_suites::ipp_suite_dir()).unwrap() {
        results.push(runner.run(&c).await);
    }
    let report = Report::new(
        &uri,
        "paperjam Office Laser 4000 (default profile)",
        false,
        results,
    );
    assert!(
        report.musts_pass(),
        "the default virtual printer fails a MUST"
    );
    insta::with_settings!({ snapshot_path => "../../reports", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("default-virtual-printer", report.snapshot_view());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snmp_virtual_printer_report() {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().unwrap()));
    cfg.speed = Speed::Instant;
    cfg.boot_unix_ms = Some(1_795_000_000_000);
    let (srv, runner) = snmp_printer::start(cfg).await.unwrap();
    let mut results = Vec::new();
    for c in snmp_printer::snmp_cases() {
        results.push(runner.run(&c).await);
    }
    let report = Report::new(
        &runner.target().display_uri(),
        &runner.description(),
        false,
        results,
    );
    srv.shutdown(std::time::Duration::from_millis(100)).await;
    assert!(
        report.musts_pass(),
        "the default virtual printer fails an SNMP MUST"
    );
    insta::with_settings!({ snapshot_path => "../../reports", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("snmp-virtual-printer", report.snapshot_view());
    });
}
