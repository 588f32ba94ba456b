//! Shared by the mDNS suite's tests, the detection matrix and the negative
//! controls: a virtual printer serving IPP (with IPPS), LPD and AppSocket on
//! loopback, and its mDNS responder — built for that server's ports, with
//! the server's quirks, addresses [127.0.0.1] — reached over the in-memory
//! link on a simulated clock (`lo` has no multicast, and the runs must be
//! deterministic).

#![allow(dead_code, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};

use paperjam_sim::mdns::{quirks_from_active, Announcement, ResponderConfig, RunningServices};
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_suites::grade::CaseResult;
use paperjam_suites::mdns::{
    self, DnssdTarget, MdnsCase, MdnsOptions, MdnsRunner, Source, VirtualPrinter,
};

/// Start a printer from `cfg` (IPP with self-signed IPPS, LPD and AppSocket
/// on free ports, no mDNS of its own) and a runner for its responder.
pub async fn start(mut cfg: ServerConfig) -> Result<(RunningServer, MdnsRunner), String> {
    cfg.ipp_port = 0;
    cfg.lpd_port = Some(0);
    cfg.socket_port = Some(0);
    cfg.tls = TlsSource::SelfSigned;
    cfg.mdns = None;
    let seed = cfg.seed;
    let profile = cfg.profile.clone();
    let srv = server::start(cfg).await.map_err(|e| e.to_string())?;
    let mut services = RunningServices::none().with_ipp(srv.ipp_addr.port(), srv.tls);
    if let Some(a) = srv.lpd_addr {
        services = services.with_lpd(a.port(), &srv.lpd_queue());
    }
    if let Some(a) = srv.socket_addr {
        services = services.with_appsocket(a.port());
    }
    let announcement = Announcement::from_profile(
        &profile,
        &services,
        &profile.identity.name,
        vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
    )
    .map_err(|e| e.to_string())?;
    let quirks = quirks_from_active(&srv.printer.0.faults.quirks());
    let vp = VirtualPrinter {
        announcement,
        config: ResponderConfig {
            seed,
            quirks,
            ..ResponderConfig::default()
        },
    };
    let target = DnssdTarget::parse("dnssd://").map_err(|e| e.to_string())?;
    let runner = MdnsRunner::new(target, Source::Virtual(vp), MdnsOptions::default()).await?;
    Ok((srv, runner))
}

/// Run `cases` one after another against a printer started from `cfg`;
/// results sorted by id.
pub async fn run_mdns_suite(cfg: ServerConfig, cases: &[MdnsCase]) -> Vec<CaseResult> {
    let (srv, runner) = start(cfg).await.expect("the printer starts");
    let mut results = Vec::new();
    for c in cases {
        results.push(runner.run(c).await);
    }
    srv.shutdown(std::time::Duration::from_millis(100)).await;
    results.sort_by(|a, b| a.id.cmp(&b.id));
    results
}

/// The mDNS suite's cases.
pub fn mdns_cases() -> Vec<MdnsCase> {
    mdns::load_dir(&paperjam_suites::mdns_suite_dir()).expect("the mDNS suite loads")
}
