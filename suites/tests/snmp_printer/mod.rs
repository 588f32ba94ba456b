//! Shared by the SNMP suite's tests, the detection matrix and the negative
//! controls: a virtual printer serving SNMP (and IPP, for the cross-checks),
//! and the SNMP suite run against it.

#![allow(dead_code, clippy::expect_used)]

use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::CaseResult;
use paperjam_suites::snmp::{self, SnmpCase, SnmpOptions, SnmpRunner, SnmpTarget};

/// Start a printer from `cfg` with SNMP and IPP on free ports (TLS off),
/// and a runner for it: writing allowed, the IPP URI for the cross-checks.
pub async fn start(mut cfg: ServerConfig) -> Result<(RunningServer, SnmpRunner), String> {
    cfg.ipp_port = 0;
    cfg.snmp_port = Some(0);
    cfg.tls = TlsSource::Off;
    let srv = server::start(cfg).await.map_err(|e| e.to_string())?;
    let uris = srv.uris();
    let snmp_uri = uris
        .iter()
        .find(|u| u.starts_with("snmp://"))
        .ok_or("the printer serves no SNMP")?;
    let target = SnmpTarget::parse(snmp_uri).map_err(|e| e.to_string())?;
    let ipp = TargetUri::parse(&uris[0]).map_err(|e| e.to_string())?;
    let runner = SnmpRunner::new(&target, SnmpOptions::virtual_printer(Some(ipp)))
        .await
        .map_err(|e| e.to_string())?;
    Ok((srv, runner))
}

/// Run `cases` one after another against a printer started from `cfg`;
/// results sorted by id.
pub async fn run_snmp_suite(cfg: ServerConfig, cases: &[SnmpCase]) -> Vec<CaseResult> {
    let (srv, runner) = start(cfg).await.expect("the printer starts");
    let mut results = Vec::new();
    for c in cases {
        results.push(runner.run(c).await);
    }
    srv.shutdown(std::time::Duration::from_millis(100)).await;
    results.sort_by(|a, b| a.id.cmp(&b.id));
    results
}

/// The SNMP suite's cases.
pub fn snmp_cases() -> Vec<SnmpCase> {
    snmp::load_dir(&paperjam_suites::snmp_suite_dir()).expect("the SNMP suite loads")
}
