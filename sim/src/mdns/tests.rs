//! The responder on a virtual clock: RFC 6762 probing, announcing, answering
//! and conflict rules, RFC 6763 records, TXT keys from the default profile,
//! every quirk, malformed input, a captured browse, and a two-printer network.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use proptest::prelude::*;
use simple_dns::rdata::{RData, A, PTR, SRV};
use simple_dns::{Name, Packet, PacketFlag, Question, ResourceRecord, CLASS, QCLASS, QTYPE, TYPE};

use super::guard::{precheck, PacketError};
use super::records::{Received, MAX_PAYLOAD};
use super::*;
use crate::model::clock::SimTime;
use crate::profile::{Profile, DEFAULT_PROFILE_TOML};

const INSTANCE: &str = "paperjam virtual office laser";
const IPP_INSTANCE: &str = "paperjam virtual office laser._ipp._tcp.local";
const HOST: &str = "paperjam-laser.local";

fn profile() -> Profile {
    Profile::default_profile().unwrap()
}

fn all_services() -> RunningServices {
    RunningServices::none()
        .with_ipp(8631, true)
        .with_lpd(8515, "lp")
        .with_appsocket(9100)
}

fn v4() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))
}

fn v6() -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1))
}

fn announcement(services: &RunningServices, addrs: Vec<IpAddr>) -> Announcement {
    Announcement::from_profile(&profile(), services, "paperjam-laser", addrs).unwrap()
}

fn responder_with(services: &RunningServices, cfg: ResponderConfig) -> Responder {
    Responder::new(announcement(services, vec![v4(), v6()]), cfg, SimTime::ZERO)
}

fn responder() -> Responder {
    responder_with(&all_services(), ResponderConfig::default())
}

fn v4_only(seed: u64) -> ResponderConfig {
    ResponderConfig {
        seed,
        ipv6: false,
        ..ResponderConfig::default()
    }
}

/// A querier on the mDNS port.
fn peer() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)), MDNS_PORT)
}

/// A legacy resolver (any other port).
fn legacy_peer() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)), 40_000)
}

/// Runs every timer up to `until`; returns what was sent, with when.
fn drive(r: &mut Responder, until: SimTime) -> Vec<(SimTime, Transmit)> {
    let mut out = Vec::new();
    while let Some(t) = r.poll_timeout() {
        if t > until {
            break;
        }
        for x in r.handle_timeout(t) {
            out.push((t, x));
        }
    }
    out
}

fn announced(r: &mut Responder) -> Vec<(SimTime, Transmit)> {
    let sent = drive(r, SimTime(5_000));
    assert_eq!(r.state(), ResponderState::Announced);
    sent
}

/// A record of a parsed message, with its section.
#[derive(Debug, Clone)]
struct Rr {
    section: &'static str,
    rr: ResourceRecord<'static>,
}

impl Rr {
    fn name(&self) -> String {
        self.rr.name.to_string()
    }
    fn rtype(&self) -> u16 {
        u16::from(self.rr.rdata.type_code())
    }
}

fn rrs(bytes: &[u8]) -> Vec<Rr> {
    let p = Packet::parse(bytes).unwrap();
    let mut out = Vec::new();
    for (section, list) in [
        ("an", &p.answers),
        ("ns", &p.name_servers),
        ("ar", &p.additional_records),
    ] {
        for rr in list {
            out.push(Rr {
                section,
                rr: rr.clone().into_owned(),
            });
        }
    }
    out
}

fn all_rrs(sent: &[Transmit]) -> Vec<Rr> {
    sent.iter().flat_map(|t| rrs(&t.bytes)).collect()
}

fn txt_of(rr: &ResourceRecord<'_>) -> TxtRecord {
    match &rr.rdata {
        RData::TXT(t) => {
            let strings: Vec<Vec<u8>> = t
                .iter_raw()
                .map(|(k, v)| {
                    let mut s = k.to_vec();
                    if let Some(v) = v {
                        s.push(b'=');
                        s.extend_from_slice(v);
                    }
                    s
                })
                .collect();
            TxtRecord::from_strings(&strings)
        }
        other => panic!("not a TXT: {other:?}"),
    }
}

fn query(
    id: u16,
    questions: &[(&str, QTYPE, bool)],
    known: Vec<ResourceRecord<'static>>,
) -> Vec<u8> {
    let mut p = Packet::new_query(id);
    for (name, qtype, qu) in questions {
        p.questions.push(Question::new(
            Name::new_unchecked(name).into_owned(),
            *qtype,
            QCLASS::CLASS(CLASS::IN),
            *qu,
        ));
    }
    p.answers = known;
    p.build_bytes_vec_compressed().unwrap()
}

fn ptr(name: &str, target: &str, ttl: u32) -> ResourceRecord<'static> {
    ResourceRecord::new(
        Name::new_unchecked(name).into_owned(),
        CLASS::IN,
        ttl,
        RData::PTR(PTR(Name::new_unchecked(target).into_owned())),
    )
}

fn srv(name: &str, target: &str, port: u16) -> ResourceRecord<'static> {
    ResourceRecord::new(
        Name::new_unchecked(name).into_owned(),
        CLASS::IN,
        120,
        RData::SRV(SRV {
            priority: 0,
            weight: 0,
            port,
            target: Name::new_unchecked(target).into_owned(),
        }),
    )
    .with_cache_flush(true)
}

fn a(name: &str, addr: Ipv4Addr) -> ResourceRecord<'static> {
    ResourceRecord::new(
        Name::new_unchecked(name).into_owned(),
        CLASS::IN,
        120,
        RData::A(A {
            address: u32::from(addr),
        }),
    )
    .with_cache_flush(true)
}

fn response(answers: Vec<ResourceRecord<'static>>) -> Vec<u8> {
    let mut p = Packet::new_reply(0);
    p.set_flags(PacketFlag::AUTHORITATIVE_ANSWER);
    p.answers = answers;
    p.build_bytes_vec_compressed().unwrap()
}

fn probe(name: &str, authority: Vec<ResourceRecord<'static>>) -> Vec<u8> {
    let mut p = Packet::new_query(0);
    p.questions.push(Question::new(
        Name::new_unchecked(name).into_owned(),
        QTYPE::ANY,
        QCLASS::CLASS(CLASS::IN),
        true,
    ));
    p.name_servers = authority;
    p.build_bytes_vec_compressed().unwrap()
}

fn ptr_q() -> QTYPE {
    QTYPE::TYPE(TYPE::PTR)
}

// ----- TXT records (Bonjour Printing Specification 1.2.1, PWG 5100.14) -----

#[test]
fn txt_of_ipp_from_the_default_profile() {
    let p = profile();
    let t = txt_for_service(&p, ServiceKind::Ipp, &all_services(), "paperjam-laser");
    let m = t.to_map();
    assert_eq!(t.entries()[0], ("txtvers".to_string(), "1".to_string()));
    assert_eq!(m["qtotal"], "1");
    assert_eq!(m["rp"], "ipp/print");
    assert_eq!(m["ty"], p.make_and_model());
    assert_eq!(m["ty"], "paperjam Office Laser 4000");
    assert_eq!(m["product"], "(Office Laser 4000)");
    assert_eq!(m["note"], "Loopback lab, bench 1");
    assert_eq!(m["priority"], "0");
    assert_eq!(m["adminurl"], "http://paperjam-laser.local:8631/");
    assert_eq!(m["pdl"], p.formats.supported.join(","));
    assert_eq!(
        m["URF"],
        "V1.4,CP1,DM1,IS1-4-7,MT1-2-3-4-5-6-8,OB10,PQ3-4-5,RS300-600,SRGB24,W8,W8H16"
    );
    assert_eq!(m["UUID"], p.uuid());
    assert_eq!(m["Color"], "T");
    assert_eq!(m["Duplex"], "T");
    assert_eq!(m["kind"], "document,envelope,photo");
    assert_eq!(m["PaperMax"], "legal-A4");
    assert_eq!(m["air"], "none");
    assert_eq!(m["usb_MFG"], "paperjam");
    assert_eq!(m["usb_MDL"], "Office Laser 4000");
    assert!(t.get("TLS").is_none(), "TLS belongs to _ipps");
    for (k, v) in t.entries() {
        assert!(k.len() + 1 + v.len() <= 255, "{k}");
    }
}

#[test]
fn txt_of_ipps_lpd_and_appsocket() {
    let p = profile();
    let s = all_services();
    let ipps = txt_for_service(&p, ServiceKind::Ipps, &s, "paperjam-laser");
    assert_eq!(ipps.get("TLS"), Some("1.2"));
    assert_eq!(
        ipps.get("adminurl"),
        Some("https://paperjam-laser.local:8631/")
    );
    assert_eq!(ipps.get("rp"), Some("ipp/print"));

    let lpd = txt_for_service(&p, ServiceKind::Lpd, &s, "paperjam-laser");
    assert_eq!(lpd.get("rp"), Some("lp"));
    assert_eq!(lpd.get("priority"), Some("50"));
    assert_eq!(
        lpd.get("adminurl"),
        Some("http://paperjam-laser.local:8631/")
    );
    for k in ["URF", "kind", "air", "TLS"] {
        assert!(lpd.get(k).is_none(), "{k} on _printer");
    }
    assert_eq!(lpd.get("pdl"), ipps.get("pdl"));

    let socket = txt_for_service(&p, ServiceKind::AppSocket, &s, "paperjam-laser");
    assert!(socket.get("rp").is_none());
    assert_eq!(socket.get("priority"), Some("40"));
    assert_eq!(socket.get("UUID"), Some(p.uuid().as_str()));

    // Without IPP there is no admin page to point at.
    let only_lpd = RunningServices::none().with_lpd(515, "raw");
    let t = txt_for_service(&p, ServiceKind::Lpd, &only_lpd, "h");
    assert_eq!(t.get("rp"), Some("raw"));
    assert!(t.get("adminurl").is_none());
}

#[test]
fn txt_is_pure() {
    let p = profile();
    let a = txt_for_service(&p, ServiceKind::Ipp, &all_services(), "x");
    let b = txt_for_service(&p, ServiceKind::Ipp, &all_services(), "x");
    assert_eq!(a, b);
}

#[test]
fn urf_is_derived_when_the_profile_has_no_urf_supported() {
    let text: String = DEFAULT_PROFILE_TOML
        .lines()
        .filter(|l| !l.starts_with("urf-supported"))
        .collect::<Vec<_>>()
        .join("\n");
    let p = Profile::from_toml_str(&text, "t").unwrap();
    assert_eq!(
        urf_for_profile(&p).as_deref(),
        Some("V1.4,W8,SRGB24,CP1,DM1,RS300-600,IS1")
    );
    // No image/urf, no URF key.
    let text = text.replace(", \"image/urf\"", "");
    let p = Profile::from_toml_str(&text, "t").unwrap();
    assert_eq!(urf_for_profile(&p), None);
    let t = txt_for_service(&p, ServiceKind::Ipp, &all_services(), "x");
    assert!(t.get("URF").is_none());
    assert!(!t.get("pdl").unwrap().contains("image/urf"));
}

#[test]
fn monochrome_simplex_profile() {
    let text = DEFAULT_PROFILE_TOML
        .replace("ppm-color = 20", "ppm-color = 0")
        .replace("color-supported = { boolean = true }", "color-supported = { boolean = false }")
        .replace(
            "sides-supported = { keyword = [\"one-sided\", \"two-sided-long-edge\", \"two-sided-short-edge\"] }",
            "sides-supported = { keyword = [\"one-sided\"] }",
        );
    let p = Profile::from_toml_str(&text, "t").unwrap();
    let t = txt_for_service(&p, ServiceKind::Ipp, &all_services(), "x");
    assert_eq!(t.get("Color"), Some("F"));
    assert_eq!(t.get("Duplex"), Some("F"));
}

#[test]
fn paper_max_classes() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(paper_max(&s(&["na_letter_8.5x11in"])), Some("<legal-A4"));
    assert_eq!(paper_max(&s(&["iso_a5_148x210mm"])), Some("<legal-A4"));
    assert_eq!(paper_max(&s(&["iso_a4_210x297mm"])), Some("legal-A4"));
    assert_eq!(
        paper_max(&s(&["na_legal_8.5x14in", "iso_a5_148x210mm"])),
        Some("legal-A4")
    );
    assert_eq!(paper_max(&s(&["iso_a3_297x420mm"])), Some("tabloid-A3"));
    assert_eq!(paper_max(&s(&["na_ledger_11x17in"])), Some("tabloid-A3"));
    assert_eq!(paper_max(&s(&["iso_a2_420x594mm"])), Some("isoC-A2"));
    assert_eq!(paper_max(&s(&["iso_c2_458x648mm"])), Some("isoC-A2"));
    assert_eq!(paper_max(&s(&["iso_a1_594x841mm"])), Some(">isoC-A2"));
    assert_eq!(paper_max(&s(&["roll_max_36x1200in"])), Some(">isoC-A2"));
    assert_eq!(paper_max(&s(&["nonsense"])), None);
}

#[test]
fn txt_record_keys_ignore_case_and_values_fit() {
    let mut t = TxtRecord::new();
    t.set("Color", "T");
    t.set("color", "F");
    assert_eq!(t.entries().len(), 1);
    assert_eq!(t.get("COLOR"), Some("F"));
    t.set("note", &"é".repeat(200));
    let note = t.get("note").unwrap().to_string();
    assert!(note.len() + "note=".len() <= 255);
    assert!(note.chars().all(|c| c == 'é'));
    assert_eq!(t.remove("NOTE").map(|v| v.len()), Some(note.len()));
    assert_eq!(TxtRecord::new().to_strings(), vec![Vec::<u8>::new()]);
    let back = TxtRecord::from_strings(&[
        b"a=1".to_vec(),
        b"A=2".to_vec(),
        b"=x".to_vec(),
        b"flag".to_vec(),
    ]);
    assert_eq!(back.get("a"), Some("1"));
    assert_eq!(back.get("flag"), Some(""));
    assert_eq!(back.entries().len(), 2);
}

// ----- the announcement -----

#[test]
fn announcement_from_profile() {
    let ann = announcement(&all_services(), vec![v4()]);
    assert_eq!(ann.instance, INSTANCE);
    assert_eq!(ann.host, "paperjam-laser");
    let kinds: Vec<ServiceKind> = ann.services.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, ServiceKind::ALL.to_vec());
    assert_eq!(ann.service(ServiceKind::Lpd).unwrap().port, 8515);
    // Host names are given with or without .local.
    let p = profile();
    for h in [
        "paperjam-laser.local",
        "paperjam-laser.local.",
        "paperjam-laser",
    ] {
        let a = Announcement::from_profile(&p, &all_services(), h, vec![]).unwrap();
        assert_eq!(a.host, "paperjam-laser");
    }
    for bad in ["", ".local", "a.b", &"x".repeat(64)] {
        assert!(matches!(
            Announcement::from_profile(&p, &all_services(), bad, vec![]),
            Err(AnnouncementError::BadHostName { .. })
        ));
    }
    assert!(matches!(
        Announcement::from_profile(
            &p,
            &all_services(),
            "h",
            vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)]
        ),
        Err(AnnouncementError::BadAddress(_))
    ));
    // An instance name falls back to the printer name, and is one label.
    let text =
        DEFAULT_PROFILE_TOML.replace("info = \"paperjam virtual office laser\"", "info = \"\"");
    let p = Profile::from_toml_str(&text, "t").unwrap();
    let a = Announcement::from_profile(&p, &all_services(), "h", vec![]).unwrap();
    assert_eq!(a.instance, "paperjam-laser");
    let long = DEFAULT_PROFILE_TOML.replace(
        "info = \"paperjam virtual office laser\"",
        &format!("info = \"{}\"", "ü".repeat(40)),
    );
    let p = Profile::from_toml_str(&long, "t").unwrap();
    let a = Announcement::from_profile(&p, &all_services(), "h", vec![]).unwrap();
    assert!(a.instance.len() <= 63 && a.instance.chars().all(|c| c == 'ü'));
}

#[test]
fn only_running_services_are_advertised() {
    let mut r = responder_with(&RunningServices::none().with_ipp(631, false), v4_only(3));
    let sent: Vec<Transmit> = announced(&mut r).into_iter().map(|(_, t)| t).collect();
    let names: Vec<String> = all_rrs(&sent).iter().map(Rr::name).collect();
    assert!(names.iter().any(|n| n == "_ipp._tcp.local"));
    assert!(names.iter().any(|n| n == "_universal._sub._ipp._tcp.local"));
    for absent in ["_ipps", "_printer", "_pdl-datastream"] {
        assert!(
            !names.iter().any(|n| n.contains(absent)),
            "{absent} advertised"
        );
    }
    // A browse for a service that does not run gets nothing.
    let q = query(0, &[("_printer._tcp.local", ptr_q(), false)], vec![]);
    assert!(r.handle_packet(&q, peer(), SimTime(10_000)).is_empty());
    assert_eq!(r.poll_timeout(), None);
}

#[test]
fn records_of_every_service() {
    let mut r = responder_with(&all_services(), v4_only(0));
    let sent: Vec<Transmit> = announced(&mut r).into_iter().map(|(_, t)| t).collect();
    let first_announce: Vec<Transmit> = sent
        .iter()
        .filter(|t| {
            Packet::parse(&t.bytes)
                .unwrap()
                .has_flags(PacketFlag::RESPONSE)
        })
        .cloned()
        .collect();
    let rs = all_rrs(&first_announce);
    let has = |name: &str, ty: u16| rs.iter().any(|x| x.name() == name && x.rtype() == ty);
    for stype in [
        "_ipp._tcp.local",
        "_ipps._tcp.local",
        "_printer._tcp.local",
        "_pdl-datastream._tcp.local",
    ] {
        assert!(rs.iter().any(|x| x.name() == "_services._dns-sd._udp.local"
            && matches!(&x.rr.rdata, RData::PTR(p) if p.0.to_string() == stype)));
        assert!(has(stype, 12), "{stype} PTR");
        let inst = format!("{INSTANCE}.{stype}");
        assert!(has(&inst, 33), "{inst} SRV");
        assert!(has(&inst, 16), "{inst} TXT");
    }
    assert!(has("_print._sub._ipp._tcp.local", 12));
    assert!(has("_universal._sub._ipp._tcp.local", 12));
    assert!(has("_print._sub._ipps._tcp.local", 12));
    assert!(!has("_universal._sub._ipps._tcp.local", 12));
    assert!(has(HOST, 1));
    assert!(has(HOST, 28));
    let srv_port = |stype: &str| {
        rs.iter()
            .find_map(|x| match &x.rr.rdata {
                RData::SRV(s) if x.name() == format!("{INSTANCE}.{stype}") => Some(s.port),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(srv_port("_ipp._tcp.local"), 8631);
    assert_eq!(srv_port("_ipps._tcp.local"), 8631);
    assert_eq!(srv_port("_printer._tcp.local"), 8515);
    assert_eq!(srv_port("_pdl-datastream._tcp.local"), 9100);
    // The TXT on the wire is the pure function's.
    let txt = rs
        .iter()
        .find(|x| x.name() == IPP_INSTANCE && x.rtype() == 16)
        .map(|x| txt_of(&x.rr))
        .unwrap();
    assert_eq!(
        txt,
        txt_for_service(
            &profile(),
            ServiceKind::Ipp,
            &all_services(),
            "paperjam-laser"
        )
    );
    // RFC 6762 §10 TTLs; the cache-flush bit on unique records only.
    for x in &rs {
        let (ttl, flush) = match x.rtype() {
            1 | 28 | 33 => (HOST_TTL, true),
            16 => (OTHER_TTL, true),
            12 => (OTHER_TTL, false),
            other => panic!("unexpected type {other} announced"),
        };
        assert_eq!(x.rr.ttl, ttl, "{}", x.name());
        assert_eq!(x.rr.cache_flush, flush, "{}", x.name());
    }
}

// ----- probing and announcing (RFC 6762 §8) -----

#[test]
fn probe_then_announce_timeline() {
    let mut r = responder_with(&all_services(), v4_only(11));
    assert_eq!(r.state(), ResponderState::Probing);
    let start = r.poll_timeout().unwrap();
    assert!(
        start <= SimTime(250),
        "first probe after 0-250 ms, got {start:?}"
    );
    let sent = announced(&mut r);
    let mut probes = Vec::new();
    let mut announces = Vec::new();
    for (t, x) in &sent {
        assert_eq!(x.to, Dest::MulticastV4);
        let p = Packet::parse(&x.bytes).unwrap();
        if p.has_flags(PacketFlag::RESPONSE) {
            announces.push(*t);
        } else {
            probes.push(*t);
            // Probes: ANY questions for our unique names, records in the Authority Section.
            assert!(!p.questions.is_empty());
            for q in &p.questions {
                assert_eq!(q.qtype, QTYPE::ANY);
                assert_eq!(
                    q.unicast_response,
                    *t == start,
                    "QU on the first probe only"
                );
            }
            assert!(!p.name_servers.is_empty());
            assert!(p.answers.is_empty());
        }
    }
    let mut probe_times = probes.clone();
    probe_times.dedup();
    assert_eq!(
        probe_times,
        vec![start, SimTime(start.0 + 250), SimTime(start.0 + 500)],
        "three probes 250 ms apart"
    );
    let mut ann_times = announces.clone();
    ann_times.dedup();
    assert_eq!(
        ann_times,
        vec![SimTime(start.0 + 750), SimTime(start.0 + 1750)],
        "announced 250 ms after the last probe, again one second later"
    );
    // All unique names were probed.
    let probed: Vec<String> = sent
        .iter()
        .filter(|(t, _)| *t == start)
        .flat_map(|(_, x)| {
            Packet::parse(&x.bytes)
                .unwrap()
                .questions
                .iter()
                .map(|q| q.qname.to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(probed.contains(&HOST.to_string()));
    assert!(probed.contains(&IPP_INSTANCE.to_string()));
    assert_eq!(probed.len(), 5);
    assert_eq!(r.poll_timeout(), None, "nothing to do once announced");
    assert_eq!(r.stats().announcements_sent as usize, announces.len());
}

#[test]
fn same_seed_same_bytes_and_both_families() {
    let run = |seed| {
        let mut r = responder_with(
            &all_services(),
            ResponderConfig {
                seed,
                ..ResponderConfig::default()
            },
        );
        announced(&mut r)
    };
    let a = run(5);
    assert_eq!(a, run(5));
    let b = run(6);
    assert_ne!(
        a.first().unwrap().0,
        b.first().unwrap().0,
        "the seed sets the probe delay"
    );
    assert!(a.iter().any(|(_, t)| t.to == Dest::MulticastV4));
    assert!(a.iter().any(|(_, t)| t.to == Dest::MulticastV6));
}

#[test]
fn long_announcements_are_split() {
    let mut r = responder_with(&all_services(), v4_only(0));
    let sent = announced(&mut r);
    let first_time = sent
        .iter()
        .find(|(_, t)| {
            Packet::parse(&t.bytes)
                .unwrap()
                .has_flags(PacketFlag::RESPONSE)
        })
        .unwrap()
        .0;
    let first: Vec<Transmit> = sent
        .iter()
        .filter(|(t, x)| {
            *t == first_time
                && Packet::parse(&x.bytes)
                    .unwrap()
                    .has_flags(PacketFlag::RESPONSE)
        })
        .map(|(_, x)| x.clone())
        .collect();
    assert!(first.len() > 1, "four services do not fit one datagram");
    for t in &first {
        assert!(t.bytes.len() <= MAX_PAYLOAD, "{}", t.bytes.len());
    }
    // 4 enumeration PTRs, 4 PTRs, 3 subtype PTRs, 4 SRV, 4 TXT, A, AAAA.
    assert_eq!(all_rrs(&first).len(), 21);
}

// ----- answering (RFC 6762 §5, §6, §7) -----

#[test]
fn qm_browse_is_multicast_after_a_delay_with_additionals() {
    let mut r = responder();
    announced(&mut r);
    let now = SimTime(10_000);
    let q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![]);
    assert!(
        r.handle_packet(&q, peer(), now).is_empty(),
        "shared records wait 20-120 ms"
    );
    let at = r.poll_timeout().unwrap();
    assert!((20..=120).contains(&(at.0 - now.0)), "{at:?}");
    let sent = r.handle_timeout(at);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, Dest::MulticastV4);
    let p = Packet::parse(&sent[0].bytes).unwrap();
    assert!(p.has_flags(PacketFlag::RESPONSE | PacketFlag::AUTHORITATIVE_ANSWER));
    assert_eq!(p.id(), 0);
    assert!(p.questions.is_empty());
    let rs = rrs(&sent[0].bytes);
    let answers: Vec<&Rr> = rs.iter().filter(|x| x.section == "an").collect();
    assert_eq!(answers.len(), 1);
    assert!(matches!(&answers[0].rr.rdata, RData::PTR(p) if p.0.to_string() == IPP_INSTANCE));
    let additional: Vec<(String, u16)> = rs
        .iter()
        .filter(|x| x.section == "ar")
        .map(|x| (x.name(), x.rtype()))
        .collect();
    for want in [
        (IPP_INSTANCE, 33),
        (IPP_INSTANCE, 16),
        (HOST, 1),
        (HOST, 28),
    ] {
        assert!(
            additional.contains(&(want.0.to_string(), want.1)),
            "{want:?} in {additional:?}"
        );
    }
    assert_eq!(r.stats().answers_multicast, 1);
}

#[test]
fn answers_over_ipv6_go_to_the_ipv6_group() {
    let mut r = responder();
    announced(&mut r);
    let from = SocketAddr::new(
        IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 9)),
        MDNS_PORT,
    );
    let q = query(0, &[("_ipps._tcp.local", ptr_q(), false)], vec![]);
    r.handle_packet(&q, from, SimTime(10_000));
    let sent = drive(&mut r, SimTime(11_000));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.to, Dest::MulticastV6);
}

#[test]
fn unique_answers_go_at_once() {
    let mut r = responder();
    announced(&mut r);
    let q = query(0, &[(IPP_INSTANCE, QTYPE::TYPE(TYPE::SRV), false)], vec![]);
    let sent = r.handle_packet(&q, peer(), SimTime(10_000));
    assert_eq!(sent.len(), 1, "an SRV is unique: no delay");
    let rs = rrs(&sent[0].bytes);
    assert!(rs.iter().any(|x| x.section == "an" && x.rtype() == 33));
    assert!(rs.iter().any(|x| x.section == "ar" && x.rtype() == 1));
}

#[test]
fn qu_question_is_answered_by_unicast() {
    let mut r = responder();
    announced(&mut r);
    let q = query(0, &[("_ipp._tcp.local", ptr_q(), true)], vec![]);
    let sent = r.handle_packet(&q, peer(), SimTime(10_000));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, Dest::Unicast(peer()));
    assert_eq!(r.stats().answers_unicast, 1);
    assert_eq!(r.poll_timeout(), None);
    // RFC 6762 §5.4: not multicast for a quarter of its TTL (4500 s / 4):
    // the answer is multicast instead.
    let later = SimTime(2_000_000);
    assert!(r.handle_packet(&q, peer(), later).is_empty());
    let sent = drive(&mut r, SimTime(2_001_000));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.to, Dest::MulticastV4);
}

#[test]
fn legacy_unicast_echoes_id_and_question_with_short_ttls() {
    let mut r = responder();
    announced(&mut r);
    let q = query(0x1234, &[("_ipp._tcp.local", ptr_q(), false)], vec![]);
    let sent = r.handle_packet(&q, legacy_peer(), SimTime(10_000));
    assert_eq!(sent.len(), 1, "answered at once");
    assert_eq!(sent[0].to, Dest::Unicast(legacy_peer()));
    assert!(sent[0].bytes.len() <= 512);
    let p = Packet::parse(&sent[0].bytes).unwrap();
    assert_eq!(p.id(), 0x1234);
    assert_eq!(p.questions.len(), 1);
    assert_eq!(p.questions[0].qname.to_string(), "_ipp._tcp.local");
    assert_eq!(p.questions[0].qtype, ptr_q());
    assert!(!p.answers.is_empty());
    for rr in p.answers.iter().chain(&p.additional_records) {
        assert!(rr.ttl <= LEGACY_TTL);
        assert!(!rr.cache_flush);
    }
    assert_eq!(r.stats().answers_legacy, 1);
}

#[test]
fn legacy_echo_keeps_questions_that_are_not_utf8() {
    let mut r = responder();
    announced(&mut r);
    let mut p = Packet::new_query(9);
    p.questions.push(Question::new(
        Name::new_unchecked("_ipp._tcp.local"),
        ptr_q(),
        QCLASS::CLASS(CLASS::IN),
        false,
    ));
    let odd = [0xFFu8; 63];
    p.questions.push(Question::new(
        Name::new_with_labels(&[
            simple_dns::Label::new_unchecked(&odd[..]),
            simple_dns::Label::new_unchecked(&b"local"[..]),
        ]),
        QTYPE::TYPE(TYPE::A),
        QCLASS::CLASS(CLASS::IN),
        false,
    ));
    let q = p.build_bytes_vec().unwrap();
    let sent = r.handle_packet(&q, legacy_peer(), SimTime(10_000));
    assert_eq!(sent.len(), 1);
    let back = Packet::parse(&sent[0].bytes).unwrap();
    assert_eq!(back.questions.len(), 2);
    assert_eq!(back.questions[1].qname.as_bytes().next(), Some(&odd[..]));
    assert_eq!(r.stats().encode_errors, 0);
}

#[test]
fn truncated_query_waits_for_the_rest_of_its_known_answers() {
    let mut r = responder();
    announced(&mut r);
    let mut q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![]);
    q[2] |= 0x02; // TC
    assert!(r.handle_packet(&q, peer(), SimTime(10_000)).is_empty());
    let at = r.poll_timeout().unwrap();
    assert!(
        (400..=500).contains(&(at.0 - 10_000)),
        "RFC 6762 §7.2: {at:?}"
    );
    // The next packet: no question, the known answer.
    let rest = query(
        0,
        &[],
        vec![ptr("_ipp._tcp.local", IPP_INSTANCE, OTHER_TTL)],
    );
    assert!(r.handle_packet(&rest, peer(), SimTime(10_010)).is_empty());
    assert_eq!(r.poll_timeout(), None);
    assert_eq!(r.stats().known_answers_suppressed, 1);
}

#[test]
fn known_answers_are_not_repeated() {
    let mut r = responder();
    announced(&mut r);
    // RFC 6762 §7.1: TTL at least half ours: suppressed.
    let known = ptr("_ipp._tcp.local", IPP_INSTANCE, OTHER_TTL / 2);
    let q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![known]);
    assert!(r.handle_packet(&q, peer(), SimTime(10_000)).is_empty());
    assert_eq!(r.poll_timeout(), None);
    assert_eq!(r.stats().known_answers_suppressed, 1);
    // Less than half: answered, and the known record is no additional either.
    let stale = ptr("_ipp._tcp.local", IPP_INSTANCE, OTHER_TTL / 2 - 1);
    let q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![stale]);
    r.handle_packet(&q, peer(), SimTime(20_000));
    let sent = drive(&mut r, SimTime(21_000));
    assert_eq!(sent.len(), 1);
    // The name matches without regard to case.
    let upper = ptr("_IPP._TCP.LOCAL", &IPP_INSTANCE.to_uppercase(), OTHER_TTL);
    let q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![upper]);
    r.handle_packet(&q, peer(), SimTime(30_000));
    assert_eq!(r.poll_timeout(), None);
}

#[test]
fn a_record_is_not_multicast_twice_within_a_second() {
    let mut r = responder();
    announced(&mut r);
    let q = query(0, &[(HOST, QTYPE::TYPE(TYPE::A), false)], vec![]);
    assert_eq!(r.handle_packet(&q, peer(), SimTime(10_000)).len(), 1);
    assert!(r.handle_packet(&q, peer(), SimTime(10_500)).is_empty());
    assert_eq!(r.stats().rate_limited, 1);
    assert_eq!(r.handle_packet(&q, peer(), SimTime(11_000)).len(), 1);
}

#[test]
fn duplicate_answers_from_another_responder_cancel_ours() {
    let mut r = responder();
    announced(&mut r);
    let q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![]);
    r.handle_packet(&q, peer(), SimTime(10_000));
    assert!(r.poll_timeout().is_some());
    // RFC 6762 §7.4: someone else multicasts the same answer first.
    let other = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 50)), MDNS_PORT);
    let resp = response(vec![ptr("_ipp._tcp.local", IPP_INSTANCE, OTHER_TTL)]);
    assert!(r.handle_packet(&resp, other, SimTime(10_010)).is_empty());
    assert_eq!(r.poll_timeout(), None);
    assert_eq!(r.stats().duplicate_answers_suppressed, 1);
    assert_eq!(r.stats().conflicts, 0);
}

#[test]
fn service_enumeration_and_subtypes() {
    let mut r = responder();
    announced(&mut r);
    let q = query(
        0,
        &[("_services._dns-sd._udp.local", ptr_q(), false)],
        vec![],
    );
    r.handle_packet(&q, peer(), SimTime(10_000));
    let sent: Vec<Transmit> = drive(&mut r, SimTime(11_000))
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let targets: Vec<String> = all_rrs(&sent)
        .iter()
        .filter(|x| x.section == "an")
        .filter_map(|x| match &x.rr.rdata {
            RData::PTR(p) => Some(p.0.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        targets,
        [
            "_ipp._tcp.local",
            "_ipps._tcp.local",
            "_printer._tcp.local",
            "_pdl-datastream._tcp.local"
        ]
    );
    let q = query(
        0,
        &[("_universal._sub._ipp._tcp.local", ptr_q(), false)],
        vec![],
    );
    r.handle_packet(&q, peer(), SimTime(20_000));
    let sent: Vec<Transmit> = drive(&mut r, SimTime(21_000))
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert!(all_rrs(&sent).iter().any(|x| x.section == "an"
        && matches!(&x.rr.rdata, RData::PTR(p) if p.0.to_string() == IPP_INSTANCE)));
}

#[test]
fn nsec_says_which_address_types_do_not_exist() {
    let ann = announcement(&all_services(), vec![v4()]);
    let mut r = Responder::new(ann, v4_only(0), SimTime::ZERO);
    announced(&mut r);
    // RFC 6762 §6.1: an AAAA query for a host with only IPv4 gets an NSEC.
    let q = query(0, &[(HOST, QTYPE::TYPE(TYPE::AAAA), false)], vec![]);
    let sent = r.handle_packet(&q, peer(), SimTime(10_000));
    assert_eq!(sent.len(), 1);
    let rs = rrs(&sent[0].bytes);
    let nsec = rs.iter().find(|x| x.section == "an").unwrap();
    assert_eq!(nsec.rtype(), 47);
    let RData::NSEC(n) = &nsec.rr.rdata else {
        panic!()
    };
    assert_eq!(n.next_name.to_string(), HOST);
    assert_eq!(n.type_bit_maps[0].bitmap.as_ref(), &[0x40], "A only");
    // An A answer carries the NSEC as additional.
    let q = query(0, &[(HOST, QTYPE::TYPE(TYPE::A), false)], vec![]);
    let sent = r.handle_packet(&q, peer(), SimTime(20_000));
    let rs = rrs(&sent[0].bytes);
    assert!(rs.iter().any(|x| x.section == "an" && x.rtype() == 1));
    assert!(rs.iter().any(|x| x.section == "ar" && x.rtype() == 47));
    // No NSEC for names that are not ours.
    let q = query(
        0,
        &[("other.local", QTYPE::TYPE(TYPE::AAAA), false)],
        vec![],
    );
    assert!(r.handle_packet(&q, peer(), SimTime(30_000)).is_empty());
}

#[test]
fn nothing_is_answered_while_probing() {
    let mut r = responder();
    let q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![]);
    assert!(r.handle_packet(&q, peer(), SimTime(1)).is_empty());
    assert_eq!(r.stats().queries, 1);
}

// ----- conflicts (RFC 6762 §8.1, §8.2, §9) -----

#[test]
fn conflict_while_probing_renames_the_instance() {
    let mut r = responder_with(&all_services(), v4_only(2));
    drive(&mut r, SimTime(300));
    assert_eq!(r.state(), ResponderState::Probing);
    let other = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 66)), MDNS_PORT);
    let resp = response(vec![srv(IPP_INSTANCE, "other.local", 631)]);
    r.handle_packet(&resp, other, SimTime(310));
    assert_eq!(r.instance_name(), "paperjam virtual office laser (2)");
    assert_eq!(r.host_name(), "paperjam-laser");
    assert_eq!(r.stats().renames, 1);
    assert_eq!(r.state(), ResponderState::Probing);
    let sent: Vec<Transmit> = drive(&mut r, SimTime(5_000))
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(r.state(), ResponderState::Announced);
    let names: Vec<String> = all_rrs(&sent).iter().map(Rr::name).collect();
    assert!(names.contains(&"paperjam virtual office laser (2)._ipp._tcp.local".to_string()));
    assert!(names.contains(&"paperjam virtual office laser (2)._printer._tcp.local".to_string()));
    assert!(!names.contains(&IPP_INSTANCE.to_string()));
    // A second conflict: (3).
    let mut r = responder_with(&all_services(), v4_only(2));
    drive(&mut r, SimTime(300));
    r.handle_packet(&resp, other, SimTime(310));
    let resp2 = response(vec![srv(
        "paperjam virtual office laser (2)._ipps._tcp.local",
        "x.local",
        1,
    )]);
    r.handle_packet(&resp2, other, SimTime(400));
    assert_eq!(r.instance_name(), "paperjam virtual office laser (3)");
}

#[test]
fn host_conflict_renames_the_host_and_its_admin_url() {
    let mut r = responder_with(&all_services(), v4_only(2));
    drive(&mut r, SimTime(300));
    let other = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 66)), MDNS_PORT);
    let resp = response(vec![a(HOST, Ipv4Addr::new(192, 0, 2, 66))]);
    r.handle_packet(&resp, other, SimTime(310));
    assert_eq!(r.host_name(), "paperjam-laser-2");
    assert_eq!(r.instance_name(), INSTANCE);
    assert_eq!(
        r.advertised_txt(ServiceKind::Ipp).unwrap().get("adminurl"),
        Some("http://paperjam-laser-2.local:8631/")
    );
    let sent: Vec<Transmit> = drive(&mut r, SimTime(5_000))
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert!(all_rrs(&sent)
        .iter()
        .any(|x| x.name() == "paperjam-laser-2.local" && x.rtype() == 1));
    assert!(all_rrs(&sent).iter().any(|x| matches!(&x.rr.rdata,
        RData::SRV(s) if s.target.to_string() == "paperjam-laser-2.local")));
}

#[test]
fn our_own_echo_is_no_conflict() {
    let mut r = responder_with(&all_services(), v4_only(2));
    let first = drive(&mut r, SimTime(300));
    // Our probe, looped back, is an identical simultaneous probe: no loss.
    let me = SocketAddr::new(v4(), MDNS_PORT);
    for (_, t) in &first {
        r.handle_packet(&t.bytes, me, SimTime(301));
    }
    let sent = announced(&mut r);
    for (_, t) in &sent {
        r.handle_packet(&t.bytes, me, SimTime(3_000));
    }
    assert_eq!(r.stats().tie_breaks_lost, 0);
    assert_eq!(r.stats().conflicts, 0);
    assert_eq!(r.instance_name(), INSTANCE);
}

#[test]
fn probes_for_our_names_are_defended() {
    let mut r = responder();
    announced(&mut r);
    let p = probe(IPP_INSTANCE, vec![srv(IPP_INSTANCE, "intruder.local", 631)]);
    let sent = r.handle_packet(&p, peer(), SimTime(10_000));
    assert_eq!(sent.len(), 1, "defended at once, by multicast");
    assert_eq!(sent[0].to, Dest::MulticastV4);
    let rs = rrs(&sent[0].bytes);
    assert!(rs
        .iter()
        .any(|x| x.section == "an" && x.rtype() == 33 && x.name() == IPP_INSTANCE));
    assert!(rs.iter().any(|x| x.section == "an" && x.rtype() == 16));
    assert_eq!(r.stats().probes_defended, 1);
    // Within 250 ms the same records are not sent again; after, they are.
    assert!(r.handle_packet(&p, peer(), SimTime(10_100)).is_empty());
    assert_eq!(r.handle_packet(&p, peer(), SimTime(10_300)).len(), 1);
    assert_eq!(r.instance_name(), INSTANCE);
}

#[test]
fn conflict_after_announcing_reprobes_then_renames() {
    let mut r = responder_with(&all_services(), v4_only(4));
    announced(&mut r);
    let other = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 66)), MDNS_PORT);
    let theirs = response(vec![srv(IPP_INSTANCE, "other.local", 631)]);
    r.handle_packet(&theirs, other, SimTime(10_000));
    // RFC 6762 §9: back to probing, same name.
    assert_eq!(r.state(), ResponderState::Probing);
    assert_eq!(r.stats().conflicts, 1);
    assert_eq!(r.instance_name(), INSTANCE);
    // The other host defends the name when we probe: now we rename.
    let probes = drive(&mut r, SimTime(10_260));
    assert!(!probes.is_empty());
    r.handle_packet(&theirs, other, SimTime(10_270));
    assert_eq!(r.instance_name(), "paperjam virtual office laser (2)");
    drive(&mut r, SimTime(15_000));
    assert_eq!(r.state(), ResponderState::Announced);
}

/// The records our first probe proposes for `name`, as another host would
/// send them, with the SRV port changed to `port`.
fn rival_authority(r: &mut Responder, name: &str, port: u16) -> Vec<ResourceRecord<'static>> {
    let probes = drive(r, SimTime(300));
    probes
        .iter()
        .flat_map(|(_, t)| rrs(&t.bytes))
        .filter(|x| x.section == "ns" && x.name() == name)
        .map(|x| {
            let mut rr = x.rr;
            if let RData::SRV(s) = &mut rr.rdata {
                s.port = port;
            }
            rr
        })
        .collect()
}

#[test]
fn simultaneous_probe_lost_defers_one_second() {
    let other = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 66)), MDNS_PORT);
    // Another host probes the same instance name with the same TXT and an SRV
    // that sorts later (port 65535 > 8631): we lose (RFC 6762 §8.2).
    let mut r = responder_with(&all_services(), v4_only(2));
    let later = rival_authority(&mut r, IPP_INSTANCE, 65_535);
    assert_eq!(later.len(), 2, "SRV and TXT");
    r.handle_packet(&probe(IPP_INSTANCE, later), other, SimTime(310));
    assert_eq!(r.stats().tie_breaks_lost, 1);
    let next = r.poll_timeout().unwrap();
    assert!(next >= SimTime(1_310) && next <= SimTime(1_560), "{next:?}");
    assert_eq!(
        r.instance_name(),
        INSTANCE,
        "a lost tie-break alone is no rename"
    );
    // An SRV that sorts earlier (port 1): we win and go on.
    let mut r = responder_with(&all_services(), v4_only(2));
    let earlier = rival_authority(&mut r, IPP_INSTANCE, 1);
    r.handle_packet(&probe(IPP_INSTANCE, earlier), other, SimTime(310));
    assert_eq!(r.stats().tie_breaks_lost, 0);
    announced(&mut r);
    // Records are compared type by type: a rival offering only an SRV sorts
    // after our TXT (type 16 < 33), so it wins whatever its port.
    let mut r = responder_with(&all_services(), v4_only(2));
    drive(&mut r, SimTime(300));
    let srv_only = probe(IPP_INSTANCE, vec![srv(IPP_INSTANCE, "aaa.local", 1)]);
    r.handle_packet(&srv_only, other, SimTime(310));
    assert_eq!(r.stats().tie_breaks_lost, 1);
}

/// Two responders on one virtual link: every multicast reaches the other.
fn run_link(nodes: &mut [(Responder, SocketAddr)], until: SimTime) {
    let addrs: Vec<SocketAddr> = nodes.iter().map(|(_, a)| *a).collect();
    while let Some(t) = nodes.iter().filter_map(|(r, _)| r.poll_timeout()).min() {
        if t > until {
            break;
        }
        let mut queue: VecDeque<(usize, Transmit)> = VecDeque::new();
        for (i, (r, _)) in nodes.iter_mut().enumerate() {
            if r.poll_timeout().is_some_and(|x| x <= t) {
                queue.extend(r.handle_timeout(t).into_iter().map(|x| (i, x)));
            }
        }
        let mut hops = 0;
        while let Some((from, x)) = queue.pop_front() {
            hops += 1;
            assert!(hops < 10_000, "packet storm");
            for (j, (r, addr)) in nodes.iter_mut().enumerate() {
                let reaches = match x.to {
                    Dest::MulticastV4 => j != from,
                    Dest::Unicast(to) => to == *addr,
                    Dest::MulticastV6 => false,
                };
                if reaches {
                    let replies = r.handle_packet(&x.bytes, addrs[from], t);
                    queue.extend(replies.into_iter().map(|y| (j, y)));
                }
            }
        }
    }
}

#[test]
fn two_printers_with_one_name_end_with_two_names() {
    let p = profile();
    let node = |last: u8, port: u16, seed: u64| {
        let addr = Ipv4Addr::new(192, 0, 2, last);
        let ann = Announcement::from_profile(
            &p,
            &RunningServices::none().with_ipp(port, false),
            "paperjam-laser",
            vec![IpAddr::V4(addr)],
        )
        .unwrap();
        (
            Responder::new(ann, v4_only(seed), SimTime::ZERO),
            SocketAddr::new(IpAddr::V4(addr), MDNS_PORT),
        )
    };
    for seeds in [(1, 2), (7, 7), (40, 3)] {
        // Node 0 loses the host tie-break (lower address), node 1 the instance
        // tie-break (lower port): each loses one name.
        let mut nodes = vec![node(1, 8631, seeds.0), node(2, 631, seeds.1)];
        run_link(&mut nodes, SimTime(30_000));
        let (a, b) = (&nodes[0].0, &nodes[1].0);
        assert_eq!(a.state(), ResponderState::Announced, "{seeds:?}");
        assert_eq!(b.state(), ResponderState::Announced, "{seeds:?}");
        assert_ne!(a.instance_name(), b.instance_name(), "{seeds:?}");
        assert_ne!(a.host_name(), b.host_name(), "{seeds:?}");
        let renamed = [a, b].iter().filter(|r| r.stats().renames > 0).count();
        assert_eq!(renamed, 1, "one printer keeps its names, {seeds:?}");
        let loser = if a.stats().renames > 0 { a } else { b };
        assert_eq!(loser.instance_name(), "paperjam virtual office laser (2)");
        assert_eq!(loser.host_name(), "paperjam-laser-2");
    }
}

#[test]
fn fifteen_conflicts_slow_probing_down() {
    let mut r = responder_with(&all_services(), v4_only(2));
    let other = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 66)), MDNS_PORT);
    let mut now = SimTime(300);
    for _ in 0..15 {
        drive(&mut r, now);
        let inst = format!("{}._ipp._tcp.local", r.instance_name());
        r.handle_packet(&response(vec![srv(&inst, "x.local", 1)]), other, now);
        now = SimTime(now.0 + 300);
    }
    assert_eq!(r.stats().renames, 15);
    assert_eq!(r.instance_name(), "paperjam virtual office laser (16)");
    let next = r.poll_timeout().unwrap();
    assert!(next.0 - (now.0 - 300) >= 5_000, "{next:?}");
}

#[test]
fn instance_names_stay_one_label() {
    use super::announce::{host_name, instance_name};
    assert_eq!(instance_name("a", 1), "a");
    assert_eq!(instance_name("a", 2), "a (2)");
    let long = "x".repeat(63);
    assert_eq!(instance_name(&long, 12).len(), 63);
    assert!(instance_name(&long, 12).ends_with(" (12)"));
    assert_eq!(host_name("h", 3), "h-3");
    assert_eq!(host_name(&long, 3).len(), 63);
}

// ----- goodbye (RFC 6762 §10.1) -----

#[test]
fn goodbye_on_shutdown() {
    let mut r = responder();
    announced(&mut r);
    let sent = r.shutdown(SimTime(20_000));
    assert!(sent.iter().any(|t| t.to == Dest::MulticastV4));
    assert!(sent.iter().any(|t| t.to == Dest::MulticastV6));
    let rs = all_rrs(&sent);
    assert_eq!(rs.len(), 2 * 21);
    assert!(rs.iter().all(|x| x.rr.ttl == 0));
    assert_eq!(r.state(), ResponderState::Stopped);
    assert_eq!(r.poll_timeout(), None);
    assert_eq!(r.stats().goodbyes_sent as usize, sent.len());
    let q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![]);
    assert!(r.handle_packet(&q, peer(), SimTime(20_001)).is_empty());
    assert_eq!(r.stats().drops(DropReason::Stopped), 1);
    assert!(r.shutdown(SimTime(20_002)).is_empty(), "only once");
}

#[test]
fn goodbye_while_reprobing_after_a_conflict() {
    let mut r = responder_with(&all_services(), v4_only(4));
    announced(&mut r);
    let other = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 66)), MDNS_PORT);
    r.handle_packet(
        &response(vec![srv(IPP_INSTANCE, "other.local", 631)]),
        other,
        SimTime(10_000),
    );
    assert_eq!(r.state(), ResponderState::Probing);
    // Same names, already in caches: say goodbye.
    assert!(!r.shutdown(SimTime(10_001)).is_empty());
}

#[test]
fn no_goodbye_before_announcing() {
    let mut r = responder();
    drive(&mut r, SimTime(300));
    assert!(r.shutdown(SimTime(301)).is_empty());
    assert_eq!(r.state(), ResponderState::Stopped);
}

// ----- quirks -----

fn quirky(quirks: MdnsQuirks) -> Responder {
    responder_with(
        &all_services(),
        ResponderConfig {
            quirks,
            ipv6: false,
            ..ResponderConfig::default()
        },
    )
}

fn announced_records(r: &mut Responder) -> Vec<Rr> {
    let sent: Vec<Transmit> = announced(r).into_iter().map(|(_, t)| t).collect();
    all_rrs(&sent)
        .into_iter()
        .filter(|x| x.section == "an")
        .collect()
}

#[test]
fn quirk_wrong_ttl() {
    let mut r = quirky(MdnsQuirks {
        ttl: Some(1),
        ..MdnsQuirks::default()
    });
    let rs = announced_records(&mut r);
    assert!(!rs.is_empty());
    assert!(rs.iter().all(|x| x.rr.ttl == 1));
    assert!(all_rrs(&r.shutdown(SimTime(10_000)))
        .iter()
        .all(|x| x.rr.ttl == 0));
}

#[test]
fn quirk_no_goodbye() {
    let mut r = quirky(MdnsQuirks {
        no_goodbye: true,
        ..MdnsQuirks::default()
    });
    announced(&mut r);
    assert!(r.shutdown(SimTime(10_000)).is_empty());
    assert_eq!(r.state(), ResponderState::Stopped);
}

#[test]
fn quirk_missing_txt_keys() {
    let mut r = quirky(MdnsQuirks {
        drop_txt_keys: vec!["pdl".into(), "UUID".into(), "rp".into()],
        ..MdnsQuirks::default()
    });
    let rs = announced_records(&mut r);
    let txt = rs
        .iter()
        .find(|x| x.name() == IPP_INSTANCE && x.rtype() == 16)
        .map(|x| txt_of(&x.rr))
        .unwrap();
    for k in ["pdl", "UUID", "rp"] {
        assert!(txt.get(k).is_none(), "{k} still there");
    }
    assert_eq!(txt.get("ty"), Some("paperjam Office Laser 4000"));
    assert_eq!(r.advertised_txt(ServiceKind::Ipp).unwrap(), txt);
    // The pure function still has them (what IPP agrees with).
    assert!(r
        .announcement()
        .service(ServiceKind::Ipp)
        .unwrap()
        .txt
        .get("pdl")
        .is_some());
}

#[test]
fn quirk_txt_contradicts_ipp() {
    let mut r = quirky(MdnsQuirks {
        pdl_extra: Some("application/postscript".into()),
        txt_override: vec![("Color".into(), "F".into())],
        ..MdnsQuirks::default()
    });
    let rs = announced_records(&mut r);
    let txt = rs
        .iter()
        .find(|x| x.name() == IPP_INSTANCE && x.rtype() == 16)
        .map(|x| txt_of(&x.rr))
        .unwrap();
    let pdl: Vec<&str> = txt.get("pdl").unwrap().split(',').collect();
    assert!(pdl.contains(&"application/postscript"));
    let p = profile();
    assert!(!p
        .formats
        .supported
        .iter()
        .any(|f| f == "application/postscript"));
    assert_eq!(txt.get("Color"), Some("F"));
    assert!(p.is_color());
}

#[test]
fn quirk_wrong_srv_port() {
    let mut r = quirky(MdnsQuirks {
        srv_port: Some(9999),
        ..MdnsQuirks::default()
    });
    let rs = announced_records(&mut r);
    let ports: Vec<u16> = rs
        .iter()
        .filter_map(|x| match &x.rr.rdata {
            RData::SRV(s) => Some(s.port),
            _ => None,
        })
        .collect();
    // Two announcements of four services.
    assert_eq!(ports, vec![9999; 8]);
}

#[test]
fn quirk_flooding() {
    let mut r = quirky(MdnsQuirks {
        flood_copies: 3,
        unsolicited_every_ms: Some(500),
        ..MdnsQuirks::default()
    });
    announced(&mut r);
    // Every answer three times, at once, even what the querier already knows.
    let known = ptr("_ipp._tcp.local", IPP_INSTANCE, OTHER_TTL);
    let q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![known]);
    let now = SimTime(6_000);
    let sent = r.handle_packet(&q, peer(), now);
    assert_eq!(sent.len(), 3);
    assert!(sent
        .iter()
        .all(|t| t.to == Dest::MulticastV4 && t.bytes == sent[0].bytes));
    // And announcing again, unasked, every 500 ms.
    let before = r.stats().announcements_sent;
    drive(&mut r, SimTime(now.0 + 2_000));
    assert!(
        r.stats().announcements_sent >= before + 4 * 2,
        "{}",
        r.stats().announcements_sent
    );
    let lq = query(7, &[("_ipp._tcp.local", ptr_q(), false)], vec![]);
    assert_eq!(r.handle_packet(&lq, legacy_peer(), SimTime(9_000)).len(), 3);
    assert!(r.stats().answers_legacy >= 3);
}

#[test]
fn quirk_no_defence() {
    let mut r = quirky(MdnsQuirks {
        no_defend: true,
        ..MdnsQuirks::default()
    });
    drive(&mut r, SimTime(300));
    let other = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 66)), MDNS_PORT);
    // A conflict while probing: the name is kept.
    r.handle_packet(
        &response(vec![srv(IPP_INSTANCE, "other.local", 631)]),
        other,
        SimTime(310),
    );
    assert_eq!(r.instance_name(), INSTANCE);
    assert_eq!(r.stats().renames, 0);
    assert_eq!(r.stats().conflicts, 1);
    announced(&mut r);
    // A probe for our name: no answer.
    let p = probe(IPP_INSTANCE, vec![srv(IPP_INSTANCE, "intruder.local", 631)]);
    assert!(r.handle_packet(&p, peer(), SimTime(10_000)).is_empty());
    assert_eq!(r.stats().probes_defended, 0);
    // A conflict after announcing: still announced, same name.
    r.handle_packet(
        &response(vec![srv(IPP_INSTANCE, "other.local", 631)]),
        other,
        SimTime(11_000),
    );
    assert_eq!(r.state(), ResponderState::Announced);
    assert_eq!(r.instance_name(), INSTANCE);
    // Ordinary queries are still answered.
    let q = query(0, &[(IPP_INSTANCE, QTYPE::TYPE(TYPE::SRV), false)], vec![]);
    assert_eq!(r.handle_packet(&q, peer(), SimTime(12_000)).len(), 1);
}

// ----- malformed input -----

fn header(qd: u16, an: u16) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0];
    v.extend_from_slice(&qd.to_be_bytes());
    v.extend_from_slice(&an.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0]);
    v
}

#[test]
fn compression_loops_are_dropped() {
    // A question whose name is a pointer to itself.
    let mut self_loop = header(1, 0);
    self_loop.extend_from_slice(&[0xC0, 12, 0, 12, 0, 1]);
    // Two questions whose names point at each other.
    let mut pair = header(2, 0);
    pair.extend_from_slice(&[0xC0, 18, 0, 12, 0, 1]);
    pair.extend_from_slice(&[0xC0, 12, 0, 12, 0, 1]);
    // A label, then a pointer back to the label: an endless name.
    let mut label_loop = header(1, 0);
    label_loop.extend_from_slice(&[3, b'a', b'b', b'c', 0xC0, 12, 0, 12, 0, 1]);
    for (bytes, want) in [
        (
            &self_loop,
            PacketError::CompressionLoop {
                offset: 12,
                target: 12,
            },
        ),
        (
            &pair,
            PacketError::CompressionLoop {
                offset: 12,
                target: 18,
            },
        ),
        (
            &label_loop,
            PacketError::CompressionLoop {
                offset: 16,
                target: 12,
            },
        ),
    ] {
        assert_eq!(precheck(bytes), Err(want));
        // simple-dns refuses them on its own too (it only follows pointers
        // backwards), so the guard is defence in depth.
        assert!(Packet::parse(bytes).is_err());
    }
    let mut r = responder();
    announced(&mut r);
    for bytes in [&self_loop, &pair, &label_loop] {
        assert!(r.handle_packet(bytes, peer(), SimTime(10_000)).is_empty());
    }
    assert_eq!(r.stats().drops(DropReason::CompressionLoop), 3);
}

#[test]
fn bad_pointers_labels_and_counts_are_dropped() {
    let mut forward = header(1, 0);
    forward.extend_from_slice(&[0xC0, 18, 0, 12, 0, 1, 0]);
    assert!(matches!(
        precheck(&forward),
        Err(PacketError::BadPointer { .. })
    ));
    let mut outside = header(1, 0);
    outside.extend_from_slice(&[0xC0, 200, 0, 12, 0, 1]);
    assert!(matches!(
        precheck(&outside),
        Err(PacketError::BadPointer { .. })
    ));
    let mut label = header(1, 0);
    label.extend_from_slice(&[0x41, 0, 0, 12, 0, 1]);
    assert!(matches!(
        precheck(&label),
        Err(PacketError::BadLabel { byte: 0x41, .. })
    ));
    let mut long = header(1, 0);
    for _ in 0..5 {
        long.push(63);
        long.extend(std::iter::repeat_n(b'a', 63));
    }
    long.extend_from_slice(&[0, 0, 12, 0, 1]);
    assert!(matches!(
        precheck(&long),
        Err(PacketError::NameTooLong { .. })
    ));
    let mut counts = header(u16::MAX, u16::MAX);
    counts.extend_from_slice(&[0; 20]);
    assert!(matches!(
        precheck(&counts),
        Err(PacketError::CountsTooLarge { .. })
    ));
    assert_eq!(precheck(&[0; 5]), Err(PacketError::TooShort { len: 5 }));

    let mut r = responder();
    announced(&mut r);
    for b in [&forward, &outside, &label, &long, &counts] {
        r.handle_packet(b, peer(), SimTime(10_000));
    }
    r.handle_packet(&[1, 2, 3], peer(), SimTime(10_000));
    let s = r.stats();
    assert_eq!(s.drops(DropReason::BadPointer), 2);
    assert_eq!(s.drops(DropReason::BadLabel), 1);
    assert_eq!(s.drops(DropReason::NameTooLong), 1);
    assert_eq!(s.drops(DropReason::CountsTooLarge), 1);
    assert_eq!(s.drops(DropReason::TooShort), 1);
    assert_eq!(s.received, 6);
    assert_eq!(s.queries, 0);
}

#[test]
fn messages_rfc_6762_says_to_ignore() {
    let mut r = responder();
    announced(&mut r);
    let mut q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![]);
    // OPCODE 5 (update).
    q[2] = 5 << 3;
    assert!(r.handle_packet(&q, peer(), SimTime(10_000)).is_empty());
    // RCODE 3 in a response.
    let mut resp = response(vec![srv(IPP_INSTANCE, "other.local", 1)]);
    resp[3] |= 3;
    r.handle_packet(&resp, peer(), SimTime(10_000));
    // A response from a port other than 5353 (it would be a conflict otherwise).
    let ok = response(vec![srv(IPP_INSTANCE, "other.local", 1)]);
    r.handle_packet(&ok, legacy_peer(), SimTime(10_000));
    let s = r.stats();
    assert_eq!(s.drops(DropReason::BadOpcode), 1);
    assert_eq!(s.drops(DropReason::BadRcode), 1);
    assert_eq!(s.drops(DropReason::ResponseFromWrongPort), 1);
    assert_eq!(s.conflicts, 0);
    assert_eq!(r.state(), ResponderState::Announced);
}

#[test]
fn every_truncation_of_a_real_answer_is_dropped() {
    let mut r = responder();
    announced(&mut r);
    let q = query(0, &[("_ipp._tcp.local", ptr_q(), false)], vec![]);
    r.handle_packet(&q, peer(), SimTime(10_000));
    let answer = drive(&mut r, SimTime(11_000)).remove(0).1.bytes;
    let mut other = responder();
    announced(&mut other);
    let before = other.stats().clone();
    for len in 0..answer.len() {
        let sent = other.handle_packet(&answer[..len], peer(), SimTime(20_000));
        assert!(sent.is_empty());
    }
    let s = other.stats();
    assert_eq!(s.received - before.received, answer.len() as u64);
    assert_eq!(
        s.total_dropped() - before.total_dropped(),
        answer.len() as u64
    );
    assert_eq!(s.responses, before.responses);
    // The whole answer is a well-formed response (our own: no conflict).
    other.handle_packet(&answer, SocketAddr::new(v4(), MDNS_PORT), SimTime(20_000));
    assert_eq!(other.stats().responses, before.responses + 1);
    assert_eq!(other.stats().conflicts, 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn garbage_is_counted_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut r = responder();
        drive(&mut r, SimTime(5_000));
        let before = r.stats().clone();
        r.handle_packet(&bytes, peer(), SimTime(10_000));
        r.handle_packet(&bytes, legacy_peer(), SimTime(10_000));
        drive(&mut r, SimTime(20_000));
        let s = r.stats();
        let handled = s.queries + s.responses - before.queries - before.responses;
        prop_assert_eq!(handled + s.total_dropped() - before.total_dropped(), 2);
    }

    #[test]
    fn garbage_after_a_valid_header_is_counted(
        counts in proptest::collection::vec(0u8..4, 4),
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = vec![0, 0, 0, 0];
        for c in counts {
            bytes.extend_from_slice(&[0, c]);
        }
        bytes.extend(body);
        super::fuzz_packet(&bytes);
    }

    #[test]
    fn txt_strings_round_trip(
        entries in proptest::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_-]{0,8}", "[ -~]{0,40}", 1..12)
    ) {
        let mut t = TxtRecord::new();
        let mut seen: Vec<String> = Vec::new();
        for (k, v) in &entries {
            if seen.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                continue;
            }
            seen.push(k.clone());
            t.set(k, v);
        }
        prop_assert_eq!(TxtRecord::from_strings(&t.to_strings()), t);
    }

    #[test]
    fn announced_records_parse_back(
        info in "[ -~]{1,63}",
        ipp in 1u16..,
        lpd in 1u16..,
        socket in 1u16..,
        addr in any::<[u8; 4]>(),
    ) {
        prop_assume!(!info.trim().is_empty());
        let text = DEFAULT_PROFILE_TOML.replace(
            "info = \"paperjam virtual office laser\"",
            &format!("info = {}", toml::Value::String(info.clone())),
        );
        let p = Profile::from_toml_str(&text, "t").unwrap();
        let addr = Ipv4Addr::from(addr);
        prop_assume!(!addr.is_unspecified() && !addr.is_multicast());
        let services = RunningServices::none().with_ipp(ipp, true).with_lpd(lpd, "lp").with_appsocket(socket);
        let ann = Announcement::from_profile(&p, &services, "pj", vec![IpAddr::V4(addr)]).unwrap();
        prop_assert_eq!(&ann.instance, info.trim());
        let mut r = Responder::new(ann, v4_only(1), SimTime::ZERO);
        let sent: Vec<Transmit> = drive(&mut r, SimTime(5_000)).into_iter().map(|(_, t)| t).collect();
        prop_assert_eq!(r.state(), ResponderState::Announced);
        let mut received = Vec::new();
        for t in &sent {
            prop_assert!(precheck(&t.bytes).is_ok());
            let packet = Packet::parse(&t.bytes).unwrap();
            received.extend(packet.answers.iter().map(Received::from_simple));
        }
        for rec in r.records().iter().filter(|x| !matches!(x.data, super::records::Data::Nsec(_))) {
            prop_assert!(received.iter().any(|x| x.matches(rec)), "{:?} not sent", rec);
        }
        let inst = format!("{}._ipp._tcp.local", r.instance_name());
        prop_assert!(sent.iter().any(|t| rrs(&t.bytes).iter().any(|x| matches!(&x.rr.rdata,
            RData::SRV(s) if s.port == ipp) && x.rr.name.as_bytes().next() == Some(info.trim().as_bytes()))),
            "no SRV for {}", inst);
    }
}

// ----- a captured browse (zeek's mdns.pcap) -----

fn captures_dir() -> PathBuf {
    match std::env::var_os("PAPERJAM_EXTERNAL_CAPTURES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/captures"),
    }
}

/// The mDNS datagrams of a pcap: (seconds since the first packet, source, payload).
fn mdns_datagrams(path: &std::path::Path) -> Vec<(f64, SocketAddr, Vec<u8>)> {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    let file = std::fs::File::open(path).unwrap();
    let mut reader = pcap_file::pcap::PcapReader::new(file).unwrap();
    let mut out = Vec::new();
    let mut t0 = None;
    while let Some(pkt) = reader.next_packet() {
        let pkt = pkt.unwrap();
        let ts = pkt.timestamp.as_secs_f64();
        let t0 = *t0.get_or_insert(ts);
        let Ok(sliced) = SlicedPacket::from_ethernet(&pkt.data) else {
            continue;
        };
        let ip = match &sliced.net {
            Some(NetSlice::Ipv4(v4)) => IpAddr::V4(v4.header().source_addr()),
            Some(NetSlice::Ipv6(v6)) => IpAddr::V6(v6.header().source_addr()),
            _ => continue,
        };
        let Some(TransportSlice::Udp(udp)) = &sliced.transport else {
            continue;
        };
        if udp.destination_port() != MDNS_PORT {
            continue;
        }
        out.push((
            ts - t0,
            SocketAddr::new(ip, udp.source_port()),
            udp.payload().to_vec(),
        ));
    }
    out
}

#[test]
fn answers_the_browse_in_zeek_mdns_pcap() {
    let path = captures_dir().join("zeek-mdns.pcap");
    if !path.exists() {
        eprintln!(
            "skipped: {} not found (set PAPERJAM_EXTERNAL_CAPTURES)",
            path.display()
        );
        return;
    }
    let datagrams = mdns_datagrams(&path);
    assert_eq!(datagrams.len(), 18, "the capture's mDNS datagrams");
    let mut r = responder_with(
        &RunningServices::none().with_ipp(631, true),
        ResponderConfig::default(),
    );
    announced(&mut r);
    let start = SimTime(10_000);
    let mut sent: Vec<Transmit> = Vec::new();
    for (secs, from, bytes) in &datagrams {
        let now = SimTime(start.0 + (secs * 1000.0) as u64);
        sent.extend(drive(&mut r, now).into_iter().map(|(_, t)| t));
        sent.extend(r.handle_packet(bytes, *from, now));
    }
    sent.extend(
        drive(&mut r, SimTime(start.0 + 60_000))
            .into_iter()
            .map(|(_, t)| t),
    );
    let s = r.stats();
    assert_eq!(s.total_dropped(), 0, "{:?}", s.dropped);
    assert_eq!(s.queries + s.responses, datagrams.len() as u64);
    assert!(s.responses > 0, "the capture's responses are read too");
    assert_eq!(s.conflicts, 0, "another host's records are no conflict");
    // The browses for _ipp._tcp and _ipps._tcp are answered, over IPv4 and IPv6.
    for (dest, stype) in [
        (Dest::MulticastV4, "_ipp._tcp.local"),
        (Dest::MulticastV4, "_ipps._tcp.local"),
        (Dest::MulticastV6, "_ipp._tcp.local"),
        (Dest::MulticastV6, "_ipps._tcp.local"),
    ] {
        let instance = format!("{INSTANCE}.{stype}");
        assert!(
            sent.iter().filter(|t| t.to == dest).any(|t| rrs(&t.bytes)
                .iter()
                .any(|x| x.section == "an"
                    && x.name() == stype
                    && matches!(&x.rr.rdata, RData::PTR(p) if p.0.to_string() == instance))),
            "no {stype} answer to {dest:?}"
        );
    }
    // Nothing answers the capture's questions about its own host.
    assert!(!sent
        .iter()
        .flat_map(|t| rrs(&t.bytes))
        .any(|x| x.name().contains("johanna")));
}

// ----- the fuzz target's seeds -----

#[test]
fn fuzz_seeds_keep_the_invariants() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/mdns_packet");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| super::fuzz_packet(&data));
        assert!(result.is_ok(), "{} broke an invariant", path.display());
        n += 1;
    }
    assert!(n >= 5, "only {n} seeds in {}", dir.display());
}

#[test]
fn fuzz_entry_point_on_hand_made_inputs() {
    super::fuzz_packet(b"");
    super::fuzz_packet(&[0; 12]);
    super::fuzz_packet(&query(1, &[("_ipp._tcp.local", ptr_q(), false)], vec![]));
    super::fuzz_packet(&probe(IPP_INSTANCE, vec![srv(IPP_INSTANCE, "x.local", 1)]));
    super::fuzz_packet(&response(vec![srv(IPP_INSTANCE, "other.local", 631)]));
}

/// A profile's recorded TXT records (`[mdns.txt]`, from `profile
/// from-capture`) are advertised as recorded, in their order, but `rp` and
/// `adminurl` say where this printer serves.
#[test]
fn recorded_txt_records_stand_in_for_the_built_ones() {
    let text = format!(
        "{}\n[mdns.txt]\n\"_ipp._tcp\" = [\"txtvers=1\", \"ty=Acme 9\", \"rp=ipp/printer\", \"adminurl=http://acme.local:631/\", \"Color=F\"]\n",
        crate::profile::DEFAULT_PROFILE_TOML
    );
    let p = Profile::from_toml_str(&text, "recorded").unwrap();
    let t = txt_for_service(&p, ServiceKind::Ipp, &all_services(), "paperjam-laser");
    let keys: Vec<&str> = t.entries().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["txtvers", "ty", "rp", "adminurl", "Color"]);
    assert_eq!(t.get("ty"), Some("Acme 9"));
    assert_eq!(t.get("Color"), Some("F"));
    assert_eq!(t.get("rp"), Some("ipp/print"), "where this printer serves");
    assert!(t
        .get("adminurl")
        .is_some_and(|u| u.contains("paperjam-laser.local")));
    // Other services keep their built records.
    let lpd = txt_for_service(&p, ServiceKind::Lpd, &all_services(), "paperjam-laser");
    assert!(lpd.get("ty").is_some_and(|v| v.contains("paperjam")));
    // A service type that is not a printer's is refused, naming the key.
    let bad = format!(
        "{}\n[mdns.txt]\n\"_http._tcp\" = [\"a=b\"]\n",
        crate::profile::DEFAULT_PROFILE_TOML
    );
    let e = Profile::from_toml_str(&bad, "bad").unwrap_err().to_string();
    assert!(e.contains("mdns.txt._http._tcp"), "{e}");
}
