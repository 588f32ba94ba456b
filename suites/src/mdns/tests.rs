//! The browser over the in-memory link: it finds and resolves the virtual
//! printer, the same bytes every run, and the checks see each quirk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use paperjam_sim::mdns::{Announcement, MdnsQuirks, ResponderConfig, RunningServices};
use paperjam_sim::profile::Profile;

use super::browse::{discover, Client};
use super::link::{Link, VirtualPrinter};
use super::*;
use crate::grade::Outcome;

fn printer(quirks: MdnsQuirks) -> VirtualPrinter {
    let p = Profile::default_profile().unwrap();
    let services = RunningServices::none()
        .with_ipp(8631, true)
        .with_lpd(8515, "lp")
        .with_appsocket(9100);
    VirtualPrinter {
        announcement: Announcement::from_profile(
            &p,
            &services,
            "paperjam-laser",
            vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        )
        .unwrap(),
        config: ResponderConfig {
            seed: 3,
            quirks,
            ..ResponderConfig::default()
        },
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_browser_resolves_every_service_of_the_virtual_printer() {
    let vp = printer(MdnsQuirks::default());
    let mut c = Client::new(Link::Memory(Box::new(vp.link())), Duration::from_secs(1));
    let d = rt()
        .block_on(discover(&mut c, &DnssdTarget::parse("dnssd://").unwrap()))
        .unwrap();
    assert_eq!(d.instance_text(), "paperjam virtual office laser");
    let types: Vec<&str> = d.services.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        types,
        [
            "_ipp._tcp",
            "_ipps._tcp",
            "_printer._tcp",
            "_pdl-datastream._tcp"
        ]
    );
    for s in &d.services {
        assert!(s.ptr_seen && s.srv.is_some() && s.txt.is_some(), "{s:?}");
        assert_eq!(s.addrs, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    }
    assert_eq!(
        d.service("_ipp._tcp").unwrap().srv_port_target().unwrap().0,
        8631
    );
    assert_eq!(
        d.service("_printer._tcp").unwrap().txt_get("rp").as_deref(),
        Some("lp")
    );
    assert!(d.subtypes.iter().all(|(_, p)| *p), "{:?}", d.subtypes);
    assert_eq!(d.sources, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    // The additional records carried everything: one query, in one second of
    // simulated time.
    assert_eq!(c.log.iter().filter(|x| x.sent).count(), 1);
    assert!(c.link.now() >= Duration::from_secs(1));
}

#[test]
fn same_printer_same_bytes() {
    let run = || {
        let vp = printer(MdnsQuirks::default());
        let mut c = Client::new(Link::Memory(Box::new(vp.link())), Duration::from_secs(1));
        rt().block_on(discover(&mut c, &DnssdTarget::parse("dnssd://").unwrap()))
            .unwrap();
        c.log
    };
    assert_eq!(run(), run());
}

#[test]
fn a_named_instance_is_resolved_and_a_missing_one_is_not_found() {
    let vp = printer(MdnsQuirks::default());
    let t = DnssdTarget::parse(
        "dnssd://paperjam%20virtual%20office%20laser._pdl-datastream._tcp.local",
    )
    .unwrap();
    let mut c = Client::new(Link::Memory(Box::new(vp.link())), Duration::from_secs(1));
    let d = rt().block_on(discover(&mut c, &t)).unwrap();
    assert_eq!(d.services.len(), 4);
    let t = DnssdTarget::parse("dnssd://Nobody._ipp._tcp.local").unwrap();
    let mut c = Client::new(Link::Memory(Box::new(vp.link())), Duration::from_secs(1));
    let d = rt().block_on(discover(&mut c, &t)).unwrap();
    assert!(d.resolved().next().is_none());
    assert!(d
        .others
        .iter()
        .any(|o| o.starts_with("paperjam virtual office laser")));
}

fn case(check: &str) -> MdnsCase {
    load_dir(&crate::mdns_suite_dir())
        .unwrap()
        .into_iter()
        .find(|c| c.check == check)
        .unwrap_or_else(|| panic!("no case checks {check}"))
}

fn outcome(vp: VirtualPrinter, check: &str) -> crate::grade::CaseResult {
    let rt = rt();
    let runner = rt
        .block_on(MdnsRunner::new(
            DnssdTarget::parse("dnssd://").unwrap(),
            Source::Virtual(vp),
            MdnsOptions {
                timeout: Duration::from_millis(300),
                ..MdnsOptions::default()
            },
        ))
        .unwrap();
    rt.block_on(runner.run(&case(check)))
}

#[test]
fn record_checks_pass_on_the_clean_printer_and_flag_each_quirk() {
    for check in [
        "browse-resolves",
        "response-header",
        "cache-flush-bit",
        "record-ttls",
        "rate-limited-answers",
        "goodbye-on-shutdown",
        "name-defended",
        "legacy-unicast",
        "legacy-unicast-ttl",
        "instance-name",
        "txt-keys",
        "txt-conventions",
        "txt-required-keys",
        "txt-boolean-values",
        "universal-subtype",
    ] {
        let r = outcome(printer(MdnsQuirks::default()), check);
        assert_eq!(
            r.outcome,
            Outcome::Pass,
            "{check}: {}",
            crate::report::failure_text(&r)
        );
    }
    let flagged = |q: MdnsQuirks, check: &str| {
        let r = outcome(printer(q), check);
        assert!(
            matches!(r.outcome, Outcome::Fail | Outcome::Warn),
            "{check}: {r:?}"
        );
        r
    };
    let r = flagged(
        MdnsQuirks {
            ttl: Some(1),
            ..MdnsQuirks::default()
        },
        "record-ttls",
    );
    assert!(r.findings.iter().all(|f| f.check.starts_with("TTL of")));
    flagged(
        MdnsQuirks {
            no_goodbye: true,
            ..MdnsQuirks::default()
        },
        "goodbye-on-shutdown",
    );
    flagged(
        MdnsQuirks {
            no_defend: true,
            ..MdnsQuirks::default()
        },
        "name-defended",
    );
    let r = flagged(
        MdnsQuirks {
            flood_copies: 4,
            unsolicited_every_ms: Some(1000),
            ..MdnsQuirks::default()
        },
        "rate-limited-answers",
    );
    assert_eq!(r.findings[0].check, "multicast interval");
    let r = flagged(
        MdnsQuirks {
            drop_txt_keys: vec!["pdl".into(), "UUID".into(), "rp".into()],
            ..MdnsQuirks::default()
        },
        "txt-required-keys",
    );
    assert!(r.findings[0].actual.contains("pdl"), "{r:?}");
    // Nothing answers on the SRV port of a printer with no server behind it.
    let r = flagged(MdnsQuirks::default(), "srv-port-answers");
    assert!(r.findings.iter().all(|f| f.check == "connection"));
    // And the IPP cross-checks are skipped, with the reason.
    let r = outcome(printer(MdnsQuirks::default()), "ipp-uuid");
    assert_eq!(r.outcome, Outcome::Skip);
    assert!(r.reason.contains("cannot be reached"), "{}", r.reason);
}

#[test]
fn evidence_keeps_every_datagram() {
    let r = outcome(printer(MdnsQuirks::default()), "legacy-unicast");
    assert!(r
        .evidence
        .iter()
        .any(|e| e.step == 0 && e.request_decoded.starts_with("browse")));
    let legacy = r
        .evidence
        .iter()
        .find(|e| e.step == 1)
        .expect("the case's own exchange");
    assert!(
        legacy.request_decoded.contains("id 23063"),
        "{}",
        legacy.request_decoded
    );
    assert!(
        legacy.response_decoded.contains("(unicast"),
        "{}",
        legacy.response_decoded
    );
}
