//! Shared by the security suite's preset tests, the detection matrix and
//! the negative controls: a virtual printer set up as a security preset
//! (with faults on top), the port table that points at it, and the
//! security suite run against it.
//!
//! Each printer runs in this process on loopback ports the OS picks; a
//! service the printer does not run gets a port nothing listens on, so its
//! closed state is graded too. Changes and the disruptive probes are
//! allowed, the flood and slow-loris kept small.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use paperjam_sim::fault::Fault;
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig};
use paperjam_sim::profile::Profile;
use paperjam_sim::security::preset::Preset;
use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::CaseResult;
use paperjam_suites::report::security::SecuritySection;
use paperjam_suites::security::exposure::PortPlan;
use paperjam_suites::security::policy::Policy;
use paperjam_suites::security::robustness::Limits;
use paperjam_suites::security::runner::{run_security, SecurityOptions, SecurityTarget};
use paperjam_suites::security::spec::{load_dir, SecurityCase};

/// Every case of the built-in suite.
pub fn security_cases() -> Vec<SecurityCase> {
    load_dir(&paperjam_suites::security_suite_dir()).expect("the security suite loads")
}

/// A port on 127.0.0.1 that nothing listens on (TCP and, in practice, UDP).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The port table of a running printer.
pub fn plan(srv: &RunningServer) -> PortPlan {
    PortPlan::of_server(srv, closed_port())
}

/// The options of a run against a virtual printer: changes and disruptive
/// probes allowed, the flood small, and the locked-down printer's ordinary
/// user as the run's credentials (for the job another user tries to cancel).
pub fn options() -> SecurityOptions {
    let mut o = SecurityOptions::new(Policy::default());
    let (user, password) = paperjam_sim::security::preset::USER;
    o.credentials = Some((user.to_string(), password.to_string()));
    o.allow_changes = true;
    o.allow_disruptive = true;
    o.timeout = Duration::from_secs(10);
    o.probe_timeout = Duration::from_millis(1500);
    o.flood = Limits {
        requests: 40,
        duration: Duration::from_millis(600),
        connections: 4,
    };
    o
}

/// `preset` on loopback at instant speed, with `faults` raised at start.
/// With `browse`, a browse listener is bound even when the preset has none
/// (so the `cups-browsed` fault has a port to act on).
pub fn config(preset: Preset, faults: &[Fault], browse: bool) -> ServerConfig {
    let mut cfg = preset.server_config(Arc::new(Profile::default_profile().unwrap()));
    cfg.speed = Speed::Instant;
    cfg.boot_unix_ms = Some(1_795_000_000_000);
    cfg.faults.extend(faults.iter().cloned());
    if browse && cfg.browse_port.is_none() {
        cfg.browse_port = Some(0);
    }
    cfg
}

/// Start `cfg`, run `cases` against its IPP URI with `scheme`, stop it.
/// The URI graded and the results, with the report's security section.
pub async fn run_security_suite(
    cfg: ServerConfig,
    scheme: &str,
    cases: &[SecurityCase],
) -> (String, Vec<CaseResult>, SecuritySection) {
    let srv = server::start(cfg).await.unwrap();
    let uri = format!("{scheme}://127.0.0.1:{}/ipp/print", srv.ipp_addr.port());
    let target = SecurityTarget {
        ipp: TargetUri::parse(&uri).unwrap(),
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        ports: plan(&srv),
    };
    let (results, section) = run_security(&target, cases, &options()).await;
    srv.shutdown(Duration::from_millis(100)).await;
    (uri, results, section)
}
