//! The agent against RFC 3416 / RFC 1157 / RFC 3584 semantics, the Printer
//! MIB against the model, and the codec against truncation, garbage and the
//! shared third-party captures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use proptest::prelude::*;

use super::message::{self, error_status as es, Message, Pdu, PduKind, VarBind, VarValue, Version};
use super::printer_mib::{self, Channels};
use super::{Agent, AgentConfig, Context, Dropped, Oid, SnmpQuirks, Value, Verdict};
use crate::ipp::IppCore;
use crate::model::{Clock, Condition, Printer, PrinterState, SimTime, Speed};
use crate::profile::Profile;

struct Rig {
    printer: Printer,
    core: IppCore,
    agent: Agent,
    quirks: SnmpQuirks,
    now: SimTime,
    next_id: i32,
}

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

impl Rig {
    fn new() -> Rig {
        Rig::with(|_| {})
    }

    fn with(tweak: impl FnOnce(&mut AgentConfig)) -> Rig {
        let profile = Arc::new(Profile::default_profile().unwrap());
        let printer = Printer::new(
            profile.clone(),
            Clock::new(1_700_000_000_000),
            Speed::Realtime,
        );
        let core = IppCore::new(&profile);
        let channels = Channels {
            ipp: Some(631),
            ipps: false,
            lpd: Some((515, "lp".into())),
            socket: Some(9100),
            host: "192.0.2.1".into(),
        };
        let mut cfg = AgentConfig::from_profile(&profile, channels);
        tweak(&mut cfg);
        Rig {
            printer,
            core,
            agent: Agent::new(cfg),
            quirks: SnmpQuirks::default(),
            now: SimTime(5_000),
            next_id: 100,
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) -> Verdict {
        let mut ctx = Context {
            printer: &mut self.printer,
            core: &self.core,
            now: self.now,
            quirks: self.quirks,
        };
        self.agent.handle(bytes, &mut ctx)
    }

    fn request(
        &mut self,
        v: Version,
        community: &str,
        kind: PduKind,
        a: u32,
        b: u32,
        vbs: Vec<VarBind>,
    ) -> Message {
        self.next_id += 1;
        Message {
            version: v,
            community: community.as_bytes().to_vec(),
            pdu: Pdu {
                kind,
                request_id: self.next_id,
                error_status: a,
                error_index: b,
                varbinds: vbs,
            },
        }
    }

    fn ask(&mut self, req: &Message) -> Option<Message> {
        match self.send_raw(&message::encode(req).unwrap()) {
            Verdict::Reply(b) => {
                let m = message::decode(&b).unwrap();
                assert_eq!(m.pdu.kind, PduKind::Response);
                assert_eq!(m.pdu.request_id, req.pdu.request_id, "request-id echoed");
                assert_eq!(m.version, req.version);
                Some(m)
            }
            Verdict::Drop(_) => None,
        }
    }

    fn get(&mut self, v: Version, oids: &[&str]) -> Message {
        let vbs = oids.iter().map(|o| VarBind::null(oid(o))).collect();
        let req = self.request(v, "public", PduKind::Get, 0, 0, vbs);
        self.ask(&req).expect("an answer")
    }

    fn value(&mut self, o: &str) -> Value {
        let m = self.get(Version::V2c, &[o]);
        m.pdu.varbinds[0]
            .value
            .value()
            .cloned()
            .unwrap_or_else(|| panic!("{o}: {:?}", m.pdu.varbinds[0].value))
    }

    fn set(&mut self, v: Version, community: &str, pairs: Vec<(&str, Value)>) -> Message {
        let vbs = pairs
            .into_iter()
            .map(|(o, val)| VarBind {
                oid: oid(o),
                value: VarValue::Value(val),
            })
            .collect();
        let req = self.request(v, community, PduKind::Set, 0, 0, vbs);
        self.ask(&req).expect("an answer")
    }

    fn walk(&mut self, v: Version) -> Vec<VarBind> {
        let mut cur = oid("1.3");
        let mut out = Vec::new();
        loop {
            let req = self.request(
                v,
                "public",
                PduKind::GetNext,
                0,
                0,
                vec![VarBind::null(cur.clone())],
            );
            let m = self.ask(&req).unwrap();
            if m.pdu.error_status != es::NO_ERROR {
                assert_eq!(v, Version::V1);
                assert_eq!(m.pdu.error_status, es::NO_SUCH_NAME);
                assert_eq!(m.pdu.error_index, 1);
                return out;
            }
            let vb = m.pdu.varbinds[0].clone();
            if vb.value == VarValue::EndOfMibView {
                assert_eq!(v, Version::V2c);
                return out;
            }
            assert!(vb.oid > cur, "{} after {}", vb.oid, cur);
            cur = vb.oid.clone();
            out.push(vb);
        }
    }
}

const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
const SYS_LOCATION: &str = "1.3.6.1.2.1.1.6.0";
const HR_DEVICE_TYPE: &str = "1.3.6.1.2.1.25.3.2.1.2.1";
const HR_DEVICE_STATUS: &str = "1.3.6.1.2.1.25.3.2.1.5.1";
const HR_PRINTER_STATUS: &str = "1.3.6.1.2.1.25.3.5.1.1.1";
const HR_ERROR_STATE: &str = "1.3.6.1.2.1.25.3.5.1.2.1";
const SUPPLY_LEVEL_1: &str = "1.3.6.1.2.1.43.11.1.1.9.1.1";
const DEVICE_ID: &str = "1.3.6.1.4.1.2699.1.2.1.2.1.1.3.1";

#[test]
fn what_cups_reads_is_there() {
    let mut r = Rig::new();
    assert_eq!(
        r.value(HR_DEVICE_TYPE),
        Value::ObjectId(Oid::new(printer_mib::HR_DEVICE_PRINTER))
    );
    assert_eq!(
        r.value("1.3.6.1.2.1.25.3.2.1.3.1"),
        Value::text("paperjam Office Laser 4000")
    );
    assert_eq!(r.value(HR_PRINTER_STATUS), Value::Integer(3));
    assert_eq!(r.value(HR_ERROR_STATE), Value::OctetString(vec![0, 0]));
    assert_eq!(r.value("1.3.6.1.2.1.43.5.1.1.2.1"), Value::Integer(1));
    assert!(matches!(
        r.value("1.3.6.1.2.1.43.10.2.1.4.1.1"),
        Value::Counter32(0)
    ));
    assert_eq!(
        r.value("1.3.6.1.2.1.43.11.1.1.6.1.1"),
        Value::text("Black Toner")
    );
    assert_eq!(r.value("1.3.6.1.2.1.43.11.1.1.8.1.1"), Value::Integer(100));
    assert_eq!(r.value(SUPPLY_LEVEL_1), Value::Integer(80));
    assert_eq!(r.value("1.3.6.1.2.1.43.12.1.1.4.1.2"), Value::text("cyan"));
    let id = r.value(DEVICE_ID).as_text().unwrap();
    assert_eq!(id, r.printer.profile.device_id());
    assert_eq!(r.value(SYS_LOCATION), Value::text("Loopback lab, bench 1"));
    // sysUpTime counts hundredths since power-on.
    assert_eq!(r.value("1.3.6.1.2.1.1.3.0"), Value::TimeTicks(500));
    r.now = SimTime(7_000);
    assert_eq!(r.value("1.3.6.1.2.1.1.3.0"), Value::TimeTicks(700));
}

#[test]
fn a_jam_shows_in_every_status_object_and_the_alert_table() {
    let mut r = Rig::new();
    let alerts_before: Vec<VarBind> = r
        .walk(Version::V2c)
        .into_iter()
        .filter(|vb| vb.oid.starts_with(&oid("1.3.6.1.2.1.43.18.1.1.7")))
        .collect();
    assert_eq!(alerts_before.len(), 1, "the power-up row only");
    r.printer.raise(Condition::MediaJam, r.now);
    assert_eq!(r.printer.state(), PrinterState::Stopped);
    assert_eq!(r.value(HR_PRINTER_STATUS), Value::Integer(1));
    assert_eq!(r.value(HR_DEVICE_STATUS), Value::Integer(5));
    // jammed is bit 5: 0x04 in the first octet.
    assert_eq!(r.value(HR_ERROR_STATE), Value::OctetString(vec![0x04, 0]));
    let codes: Vec<VarBind> = r
        .walk(Version::V2c)
        .into_iter()
        .filter(|vb| vb.oid.starts_with(&oid("1.3.6.1.2.1.43.18.1.1.7")))
        .collect();
    assert_eq!(codes.len(), 2);
    assert_eq!(codes[1].value, VarValue::Value(Value::Integer(8)), "jam(8)");
    let jam_row = codes[1].oid.parts().last().copied().unwrap();
    assert_eq!(
        r.value("1.3.6.1.2.1.43.16.5.1.2.1.1"),
        Value::text("Paper jam")
    );
    r.printer.clear(Condition::MediaJam, r.now);
    assert_eq!(r.value(HR_PRINTER_STATUS), Value::Integer(3));
    assert_eq!(r.value(HR_ERROR_STATE), Value::OctetString(vec![0, 0]));
    // A new condition takes a new row: indices are never reused.
    r.printer.raise(Condition::DoorOpen, r.now);
    let codes: Vec<VarBind> = r
        .walk(Version::V2c)
        .into_iter()
        .filter(|vb| vb.oid.starts_with(&oid("1.3.6.1.2.1.43.18.1.1.7")))
        .collect();
    assert_eq!(codes.len(), 2);
    assert!(codes[1].oid.parts().last().copied().unwrap() > jam_row);
    assert_eq!(
        codes[1].value,
        VarValue::Value(Value::Integer(3)),
        "coverOpen(3)"
    );
    assert_eq!(
        r.value(HR_ERROR_STATE),
        Value::OctetString(vec![0x08, 0]),
        "doorOpen is bit 4"
    );
    assert_eq!(
        r.value("1.3.6.1.2.1.43.6.1.1.3.1.1"),
        Value::Integer(3),
        "prtCoverStatus coverOpen"
    );
}

#[test]
fn toner_low_is_a_warning_and_levels_agree_with_ipp() {
    let mut r = Rig::new();
    r.printer.raise(Condition::TonerLow, r.now);
    let level = r.printer.supplies[0].level_percent();
    assert_eq!(r.value(SUPPLY_LEVEL_1), Value::Integer(i32::from(level)));
    assert!(level <= 5);
    assert_eq!(r.value(HR_DEVICE_STATUS), Value::Integer(3), "warning(3)");
    assert_eq!(r.value(HR_PRINTER_STATUS), Value::Integer(3), "still idle");
    assert_eq!(
        r.value(HR_ERROR_STATE),
        Value::OctetString(vec![0x20, 0]),
        "lowToner is bit 2"
    );
}

#[test]
fn v2c_exceptions_and_v1_errors() {
    let mut r = Rig::new();
    let m = r.get(
        Version::V2c,
        &[SYS_DESCR, "1.3.6.1.2.1.1.1.5", "1.3.6.1.2.1.1.99.0"],
    );
    assert_eq!(m.pdu.error_status, es::NO_ERROR);
    assert!(matches!(
        m.pdu.varbinds[0].value,
        VarValue::Value(Value::OctetString(_))
    ));
    assert_eq!(m.pdu.varbinds[1].value, VarValue::NoSuchInstance);
    assert_eq!(m.pdu.varbinds[2].value, VarValue::NoSuchObject);
    let m = r.get(Version::V1, &[SYS_DESCR, "1.3.6.1.2.1.1.99.0"]);
    assert_eq!(m.pdu.error_status, es::NO_SUCH_NAME);
    assert_eq!(m.pdu.error_index, 2);
    assert_eq!(m.pdu.varbinds.len(), 2);
    assert_eq!(
        m.pdu.varbinds[1].value,
        VarValue::Value(Value::Null),
        "the request's bindings"
    );
}

#[test]
fn walks_increase_and_end_properly_in_both_versions() {
    let mut r = Rig::new();
    let v2 = r.walk(Version::V2c);
    let v1 = r.walk(Version::V1);
    assert!(v2.len() > 200, "{} objects", v2.len());
    assert_eq!(
        v1.len(),
        v2.len(),
        "no Counter64 here, so both walks see everything"
    );
}

#[test]
fn getbulk_honours_non_repeaters_and_max_repetitions() {
    let mut r = Rig::new();
    let req = r.request(
        Version::V2c,
        "public",
        PduKind::GetBulk,
        1,
        3,
        vec![
            VarBind::null(oid("1.3.6.1.2.1.1.3")),
            VarBind::null(oid("1.3.6.1.2.1.43.11.1.1.6")),
            VarBind::null(oid("1.3.6.1.2.1.43.11.1.1.9")),
        ],
    );
    let m = r.ask(&req).unwrap();
    let names: Vec<String> = m.pdu.varbinds.iter().map(|v| v.oid.to_string()).collect();
    assert_eq!(
        names,
        [
            "1.3.6.1.2.1.1.3.0",
            "1.3.6.1.2.1.43.11.1.1.6.1.1",
            "1.3.6.1.2.1.43.11.1.1.9.1.1",
            "1.3.6.1.2.1.43.11.1.1.6.1.2",
            "1.3.6.1.2.1.43.11.1.1.9.1.2",
            "1.3.6.1.2.1.43.11.1.1.6.1.3",
            "1.3.6.1.2.1.43.11.1.1.9.1.3",
        ]
    );
    // At the end of the MIB every repetition stops at endOfMibView.
    let req = r.request(
        Version::V2c,
        "public",
        PduKind::GetBulk,
        0,
        5,
        vec![VarBind::null(oid("1.3.6.1.4.1.2699.1.2.1.3.1.1.9.1.3"))],
    );
    let m = r.ask(&req).unwrap();
    assert!(m.pdu.varbinds.len() <= 5);
    assert_eq!(m.pdu.varbinds.last().unwrap().value, VarValue::EndOfMibView);
    // Huge max-repetitions are bounded by the message size, not looped over.
    let req = r.request(
        Version::V2c,
        "public",
        PduKind::GetBulk,
        0,
        u32::MAX,
        vec![VarBind::null(oid("1.3"))],
    );
    let m = r.ask(&req).unwrap();
    assert!(m.pdu.varbinds.len() < 1000);
    // GetBulk in a v1 message is not a v1 PDU: dropped (RFC 3584 §4.2.1).
    let req = r.request(
        Version::V1,
        "public",
        PduKind::GetBulk,
        0,
        5,
        vec![VarBind::null(oid("1.3"))],
    );
    assert!(r.ask(&req).is_none());
    assert_eq!(r.agent.stats().asn_parse_errs, 1);
}

#[test]
fn communities_read_write_and_unknown() {
    let mut r = Rig::new();
    let req = r.request(
        Version::V2c,
        "guess",
        PduKind::Get,
        0,
        0,
        vec![VarBind::null(oid(SYS_DESCR))],
    );
    assert!(r.ask(&req).is_none(), "unknown community: silence");
    assert_eq!(r.agent.stats().bad_community_names, 1);
    let m = r.set(
        Version::V2c,
        "public",
        vec![(SYS_LOCATION, Value::text("Room 2"))],
    );
    assert_eq!(m.pdu.error_status, es::NO_ACCESS);
    let m = r.set(
        Version::V1,
        "public",
        vec![(SYS_LOCATION, Value::text("Room 2"))],
    );
    assert_eq!(m.pdu.error_status, es::NO_SUCH_NAME);
    assert_eq!(
        r.value(SYS_LOCATION),
        Value::text("Loopback lab, bench 1"),
        "nothing changed"
    );
}

#[test]
fn sets_reach_the_one_printer_model() {
    let mut r = Rig::new();
    let m = r.set(
        Version::V2c,
        "private",
        vec![
            (SYS_LOCATION, Value::text("Room 2")),
            ("1.3.6.1.2.1.1.4.0", Value::text("ops@example.invalid")),
        ],
    );
    assert_eq!(m.pdu.error_status, es::NO_ERROR);
    assert_eq!(m.pdu.varbinds.len(), 2);
    assert_eq!(r.value(SYS_LOCATION), Value::text("Room 2"));
    assert_eq!(
        printer_mib::ipp_text(&r.core.statics(), "printer-location").as_deref(),
        Some("Room 2"),
        "IPP printer-location follows"
    );
    assert_eq!(
        r.value("1.3.6.1.2.1.1.4.0"),
        Value::text("ops@example.invalid")
    );
    // A supply set low raises toner-low in the model.
    let m = r.set(
        Version::V2c,
        "private",
        vec![(SUPPLY_LEVEL_1, Value::Integer(3))],
    );
    assert_eq!(m.pdu.error_status, es::NO_ERROR);
    assert_eq!(r.printer.supplies[0].level_percent(), 3);
    assert!(r
        .printer
        .state_reasons()
        .iter()
        .any(|s| s == "toner-low-report"));
    // A tray takes a size the printer knows, and only that.
    let media = "1.3.6.1.2.1.43.8.2.1.12.1.1";
    let m = r.set(
        Version::V2c,
        "private",
        vec![(media, Value::text("na_letter_8.5x11in"))],
    );
    assert_eq!(m.pdu.error_status, es::NO_ERROR);
    assert_eq!(r.printer.trays[0].media, "na_letter_8.5x11in");
    let m = r.set(Version::V2c, "private", vec![(media, Value::text("bogus"))]);
    assert_eq!(
        (m.pdu.error_status, m.pdu.error_index),
        (es::WRONG_VALUE, 1)
    );
    assert_eq!(r.printer.trays[0].media, "na_letter_8.5x11in");
}

#[test]
fn bad_sets_change_nothing() {
    let mut r = Rig::new();
    // (bindings, v2c status, v1 status, error-index)
    type Case<'a> = (Vec<(&'a str, Value)>, u32, u32, u32);
    let cases: Vec<Case> = vec![
        (
            vec![(SYS_DESCR, Value::text("x"))],
            es::NOT_WRITABLE,
            es::NO_SUCH_NAME,
            1,
        ),
        (
            vec![(SYS_LOCATION, Value::Integer(1))],
            es::WRONG_TYPE,
            es::BAD_VALUE,
            1,
        ),
        (
            vec![(SYS_LOCATION, Value::text("a".repeat(256)))],
            es::WRONG_LENGTH,
            es::BAD_VALUE,
            1,
        ),
        (
            vec![
                (SYS_LOCATION, Value::text("ok")),
                ("1.3.6.1.2.1.1.77.0", Value::Integer(1)),
            ],
            es::NO_CREATION,
            es::NO_SUCH_NAME,
            2,
        ),
        (
            vec![
                (SYS_LOCATION, Value::text("ok")),
                (SUPPLY_LEVEL_1, Value::Integer(101)),
            ],
            es::WRONG_VALUE,
            es::BAD_VALUE,
            2,
        ),
    ];
    for (pairs, v2, v1, idx) in cases {
        let m = r.set(Version::V2c, "private", pairs.clone());
        assert_eq!(
            (m.pdu.error_status, m.pdu.error_index),
            (v2, idx),
            "{pairs:?}"
        );
        let m = r.set(Version::V1, "private", pairs.clone());
        assert_eq!(
            (m.pdu.error_status, m.pdu.error_index),
            (v1, idx),
            "{pairs:?}"
        );
    }
    assert_eq!(
        r.value(SYS_LOCATION),
        Value::text("Loopback lab, bench 1"),
        "no partial Set"
    );
    assert_eq!(r.value(SUPPLY_LEVEL_1), Value::Integer(80));
}

#[test]
fn too_big_answers_follow_the_version() {
    let mut r = Rig::with(|c| c.max_message_size = 484);
    let many: Vec<&str> = std::iter::repeat_n(SYS_DESCR, 20).collect();
    let m = r.get(Version::V2c, &many);
    assert_eq!(m.pdu.error_status, es::TOO_BIG);
    assert!(m.pdu.varbinds.is_empty(), "v2c: empty bindings");
    // GetBulk is trimmed to fit instead.
    let req = r.request(
        Version::V2c,
        "public",
        PduKind::GetBulk,
        0,
        200,
        vec![VarBind::null(oid("1.3"))],
    );
    let bytes = message::encode(&req).unwrap();
    let Verdict::Reply(out) = r.send_raw(&bytes) else {
        panic!("no answer")
    };
    assert!(out.len() <= 484, "{} bytes", out.len());
    let m = message::decode(&out).unwrap();
    assert_eq!(m.pdu.error_status, es::NO_ERROR);
    assert!(m.pdu.varbinds.len() > 5);
    // v1: the request's own bindings come back with tooBig, when they fit.
    let few: Vec<&str> = std::iter::repeat_n(SYS_DESCR, 12).collect();
    let m = r.get(Version::V1, &few);
    assert_eq!(m.pdu.error_status, es::TOO_BIG);
    assert_eq!(m.pdu.varbinds.len(), 12);
}

#[test]
fn what_an_agent_does_not_answer() {
    let mut r = Rig::new();
    let resp = r.request(Version::V2c, "public", PduKind::Response, 0, 0, vec![]);
    assert!(r.ask(&resp).is_none());
    assert!(matches!(
        r.send_raw(b"garbage"),
        Verdict::Drop(Dropped::Malformed(_))
    ));
    // An SNMPv3 header: version 3.
    assert!(matches!(
        r.send_raw(&[0x30, 0x03, 0x02, 0x01, 0x03]),
        Verdict::Drop(Dropped::BadVersion(3))
    ));
    assert_eq!(r.agent.stats().bad_versions, 1);
    // Still answering.
    assert_eq!(r.value(HR_PRINTER_STATUS), Value::Integer(3));
}

#[test]
fn committed_fuzz_seeds_are_handled() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/snmp_message");
    let mut r = Rig::new();
    // `PAPERJAM_WRITE_SEEDS=1` writes them (our own encodings) first.
    if std::env::var_os("PAPERJAM_WRITE_SEEDS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        let reqs = [
            (
                "get-v2c",
                r.request(
                    Version::V2c,
                    "public",
                    PduKind::Get,
                    0,
                    0,
                    vec![
                        VarBind::null(oid(SYS_DESCR)),
                        VarBind::null(oid(HR_PRINTER_STATUS)),
                    ],
                ),
            ),
            (
                "get-v1",
                r.request(
                    Version::V1,
                    "public",
                    PduKind::Get,
                    0,
                    0,
                    vec![VarBind::null(oid(HR_ERROR_STATE))],
                ),
            ),
            (
                "getnext-v1",
                r.request(
                    Version::V1,
                    "public",
                    PduKind::GetNext,
                    0,
                    0,
                    vec![VarBind::null(oid("1.3.6.1.2.1.43.11"))],
                ),
            ),
            (
                "getbulk-v2c",
                r.request(
                    Version::V2c,
                    "public",
                    PduKind::GetBulk,
                    1,
                    10,
                    vec![
                        VarBind::null(oid("1.3.6.1.2.1.1.3")),
                        VarBind::null(oid("1.3.6.1.2.1.43")),
                    ],
                ),
            ),
            (
                "set-v2c",
                r.request(
                    Version::V2c,
                    "private",
                    PduKind::Set,
                    0,
                    0,
                    vec![VarBind {
                        oid: oid(SYS_LOCATION),
                        value: VarValue::Value(Value::text("Room 2")),
                    }],
                ),
            ),
            (
                "response",
                r.request(
                    Version::V2c,
                    "public",
                    PduKind::Response,
                    0,
                    0,
                    vec![VarBind {
                        oid: oid(SYS_DESCR),
                        value: VarValue::NoSuchObject,
                    }],
                ),
            ),
        ];
        for (name, m) in reqs {
            std::fs::write(dir.join(name), message::encode(&m).unwrap()).unwrap();
        }
    }
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        super::fuzz_message(&bytes);
        let _ = r.send_raw(&bytes);
        n += 1;
    }
    assert!(n >= 6, "{n} seeds in {}", dir.display());
}

#[test]
fn every_truncation_of_a_request_is_dropped_without_panic() {
    let mut r = Rig::new();
    let req = r.request(
        Version::V2c,
        "public",
        PduKind::GetBulk,
        1,
        4,
        vec![
            VarBind::null(oid(SYS_DESCR)),
            VarBind::null(oid("1.3.6.1.2.1.43")),
        ],
    );
    let bytes = message::encode(&req).unwrap();
    for n in 0..bytes.len() {
        assert!(
            matches!(r.send_raw(&bytes[..n]), Verdict::Drop(_)),
            "prefix of {n} bytes answered"
        );
    }
    assert!(matches!(r.send_raw(&bytes), Verdict::Reply(_)));
}

#[test]
fn quirks_distort_what_they_say() {
    let mut r = Rig::new();
    r.quirks.wrong_types = true;
    assert!(matches!(r.value(HR_ERROR_STATE), Value::Integer(0)));
    assert!(matches!(r.value(SUPPLY_LEVEL_1), Value::Gauge32(80)));
    r.quirks = SnmpQuirks {
        negative_levels: true,
        ..SnmpQuirks::default()
    };
    assert_eq!(r.value(SUPPLY_LEVEL_1), Value::Integer(-181));
    r.quirks = SnmpQuirks {
        stale_status: true,
        ..SnmpQuirks::default()
    };
    assert_eq!(r.value(HR_PRINTER_STATUS), Value::Integer(4));
    r.quirks = SnmpQuirks {
        v1_errors: true,
        ..SnmpQuirks::default()
    };
    let m = r.get(Version::V2c, &["1.3.6.1.2.1.1.99.0"]);
    assert_eq!(m.pdu.error_status, es::NO_SUCH_NAME);
    r.quirks = SnmpQuirks {
        walk_out_of_order: true,
        ..SnmpQuirks::default()
    };
    let req = r.request(
        Version::V2c,
        "public",
        PduKind::GetNext,
        0,
        0,
        vec![VarBind::null(oid("1.3.6.1.2.1.1.1"))],
    );
    let m = r.ask(&req).unwrap();
    assert_eq!(
        m.pdu.varbinds[0].oid,
        oid("1.3.6.1.2.1.1.1"),
        "the name does not increase"
    );
    r.quirks = SnmpQuirks {
        silent: true,
        ..SnmpQuirks::default()
    };
    let req = r.request(
        Version::V2c,
        "public",
        PduKind::Get,
        0,
        0,
        vec![VarBind::null(oid(SYS_DESCR))],
    );
    assert!(r.ask(&req).is_none());
}

#[test]
fn imported_values_stand_in_but_live_objects_stay_live() {
    let imported = vec![
        (oid(SYS_DESCR), Value::text("HP LaserJet 4250")),
        (
            oid("1.3.6.1.4.1.11.2.3.9.1.1.7.0"),
            Value::text("MFG:HP;MDL:4250;"),
        ),
        (oid(HR_PRINTER_STATUS), Value::Integer(4)),
        // Another device's status row, and a stale alert of the recording.
        (oid("1.3.6.1.2.1.25.3.2.1.5.2"), Value::Integer(5)),
        (oid("1.3.6.1.2.1.43.18.1.1.7.1.9"), Value::Integer(8)),
    ];
    let mut r = Rig::with(|c| c.imported = Arc::new(imported));
    assert_eq!(r.value(SYS_DESCR), Value::text("HP LaserJet 4250"));
    assert_eq!(
        r.value("1.3.6.1.4.1.11.2.3.9.1.1.7.0"),
        Value::text("MFG:HP;MDL:4250;")
    );
    assert_eq!(
        r.value(HR_PRINTER_STATUS),
        Value::Integer(3),
        "the model's, not the recording's"
    );
    assert_eq!(
        r.value("1.3.6.1.2.1.25.3.2.1.5.2"),
        Value::Integer(5),
        "kept"
    );
    assert_eq!(
        r.value(HR_DEVICE_STATUS),
        Value::Integer(2),
        "ours stays live"
    );
    let m = r.get(Version::V2c, &["1.3.6.1.2.1.43.18.1.1.7.1.9"]);
    assert_eq!(
        m.pdu.varbinds[0].value,
        VarValue::NoSuchInstance,
        "no stale alerts"
    );
}

#[test]
fn a_recorded_walk_becomes_the_printer_ipp_and_snmp_show() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/printers");
    let toml = format!(
        "{}\n[snmp]\nwalk = \"../snmp/sample-printer.walk\"\n",
        crate::profile::DEFAULT_PROFILE_TOML
    );
    let profile = Profile::from_toml_in(&toml, "test", Some(&dir)).unwrap();
    assert_eq!(profile.identity.make, "HP");
    assert_eq!(profile.identity.model, "LaserJet Pro M404dn");
    assert!(
        profile
            .device_id()
            .starts_with("MFG:HP;MDL:HP LaserJet Pro M404dn;"),
        "{}",
        profile.device_id()
    );
    assert_eq!(profile.identity.location, "2nd floor, copy room \"B\"");
    assert_eq!(profile.supplies.len(), 1);
    assert_eq!(profile.supplies[0].name, "Black Cartridge HP 58A");
    assert_eq!(profile.supplies[0].level, 7);
    let profile = Arc::new(profile);
    let mut printer = Printer::new(profile.clone(), Clock::new(0), Speed::Realtime);
    let core = IppCore::new(&profile);
    let mut agent = Agent::new(AgentConfig::from_profile(&profile, Channels::default()));
    let ctx = Context {
        printer: &mut printer,
        core: &core,
        now: SimTime(1000),
        quirks: SnmpQuirks::default(),
    };
    let mib = agent.snapshot(&ctx);
    let at = |o: &str| match mib.get(&oid(o)) {
        super::Lookup::Found(x) => x.value.clone(),
        other => panic!("{o}: {other:?}"),
    };
    assert!(at(SYS_DESCR)
        .as_text()
        .unwrap()
        .starts_with("HP ETHERNET MULTI-ENVIRONMENT"));
    assert_eq!(
        at("1.3.6.1.2.1.1.2.0"),
        Value::ObjectId(oid("1.3.6.1.4.1.11.2.3.9.1"))
    );
    assert_eq!(
        at("1.3.6.1.2.1.2.2.1.6.2"),
        Value::OctetString(vec![0x3c, 0x52, 0x82, 0x3a, 0x7f, 0x21]),
        "objects we do not build are kept"
    );
    assert_eq!(
        at(SUPPLY_LEVEL_1),
        Value::Integer(7),
        "live, from the model the walk made"
    );
    assert_eq!(
        at("1.3.6.1.2.1.1.3.0"),
        Value::TimeTicks(100),
        "our clock, not the recording's"
    );
    assert_eq!(at(HR_PRINTER_STATUS), Value::Integer(3));
    // IPP says the same.
    let names: Vec<String> = printer.supplies.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names, ["Black Cartridge HP 58A"]);
}

/// The SNMP payloads of a pcap or pcapng file (UDP port 161 or 162 either
/// side), cut short where the capture's snapshot length cut them.
fn snmp_payloads(path: &std::path::Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut frames: Vec<Vec<u8>> = Vec::new();
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut reader = pcap_file::pcapng::PcapNgReader::new(&bytes[..]).unwrap();
        while let Some(block) = reader.next_block() {
            let Ok(block) = block else { break };
            if let pcap_file::pcapng::Block::EnhancedPacket(p) = block {
                frames.push(p.data.to_vec());
            }
        }
    } else {
        let mut reader = pcap_file::pcap::PcapReader::new(&bytes[..]).unwrap();
        while let Some(pkt) = reader.next_packet() {
            let Ok(pkt) = pkt else { break };
            frames.push(pkt.data.to_vec());
        }
    }
    let mut out = Vec::new();
    for f in frames {
        let Ok(sliced) = etherparse::LaxSlicedPacket::from_ethernet(&f) else {
            continue;
        };
        if let Some(etherparse::TransportSlice::Udp(udp)) = sliced.transport {
            let ports = [udp.source_port(), udp.destination_port()];
            if ports.iter().any(|p| [161, 162].contains(p)) {
                out.push(udp.payload().to_vec());
            }
        }
    }
    out
}

fn shared_captures() -> std::path::PathBuf {
    std::env::var_os("PAPERJAM_EXTERNAL_CAPTURES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/captures")
        })
}

#[test]
fn third_party_captures_never_make_the_agent_panic() {
    let dir = shared_captures();
    assert!(
        dir.is_dir(),
        "third-party captures not found at {} (set PAPERJAM_EXTERNAL_CAPTURES)",
        dir.display()
    );
    let mut r = Rig::new();
    let mut total = 0;
    let mut answered = 0;
    // `PAPERJAM_SNMP_SEEDS=DIR` also writes each datagram there, as a fuzz
    // corpus for `cargo fuzz run snmp_message` (fuzz/README.md).
    let seeds = std::env::var_os("PAPERJAM_SNMP_SEEDS").map(std::path::PathBuf::from);
    for name in [
        "zeek-snmpv1_get.pcap",
        "zeek-snmpwalk-short.pcap",
        "zeek-snmpv2_get_bulk.pcap",
        "zeek-snmp-oid-too-long.pcap",
        "ndpi-snmp.pcap",
        "tcpdump-snmp-heapoverflow-1.pcap",
    ] {
        for p in snmp_payloads(&dir.join(name)) {
            total += 1;
            if let Some(d) = &seeds {
                std::fs::create_dir_all(d).unwrap();
                std::fs::write(d.join(format!("{name}-{total}")), &p).unwrap();
            }
            super::fuzz_message(&p);
            // Their communities are not ours: answer with ours to reach the PDU code.
            let p = match message::decode(&p) {
                Ok(mut m) => {
                    m.community = b"public".to_vec();
                    message::encode(&m).unwrap_or(p)
                }
                Err(_) => p,
            };
            if matches!(r.send_raw(&p), Verdict::Reply(_)) {
                answered += 1;
            }
        }
    }
    assert!(total > 400, "{total} datagrams read");
    assert!(answered > 100, "{answered} of {total} answered");
    let s = r.agent.stats().clone();
    assert!(
        s.asn_parse_errs + s.bad_versions > 0,
        "the malformed ones are counted: {s:?}"
    );
    assert_eq!(
        r.value(HR_PRINTER_STATUS),
        Value::Integer(3),
        "and the agent still answers"
    );
}

fn arb_oid() -> impl Strategy<Value = Oid> {
    (
        0u32..3,
        0u32..40,
        proptest::collection::vec(any::<u32>(), 0..12),
    )
        .prop_map(|(a, b, rest)| {
            let mut v = vec![a, b];
            v.extend(rest);
            Oid(v)
        })
}

fn arb_value() -> impl Strategy<Value = VarValue> {
    prop_oneof![
        any::<i32>().prop_map(|i| VarValue::Value(Value::Integer(i))),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| VarValue::Value(Value::OctetString(b))),
        arb_oid().prop_map(|o| VarValue::Value(Value::ObjectId(o))),
        any::<[u8; 4]>().prop_map(|a| VarValue::Value(Value::IpAddress(a))),
        any::<u32>().prop_map(|u| VarValue::Value(Value::Counter32(u))),
        any::<u32>().prop_map(|u| VarValue::Value(Value::Gauge32(u))),
        any::<u32>().prop_map(|u| VarValue::Value(Value::TimeTicks(u))),
        any::<u64>().prop_map(|u| VarValue::Value(Value::Counter64(u))),
        proptest::collection::vec(any::<u8>(), 0..20)
            .prop_map(|b| VarValue::Value(Value::Opaque(b))),
        Just(VarValue::Value(Value::Null)),
        Just(VarValue::NoSuchObject),
        Just(VarValue::NoSuchInstance),
        Just(VarValue::EndOfMibView),
    ]
}

fn arb_message() -> impl Strategy<Value = Message> {
    (
        prop_oneof![Just(Version::V1), Just(Version::V2c)],
        proptest::collection::vec(any::<u8>(), 0..16),
        prop_oneof![
            Just(PduKind::Get),
            Just(PduKind::GetNext),
            Just(PduKind::GetBulk),
            Just(PduKind::Set),
            Just(PduKind::Response),
            Just(PduKind::Inform),
            Just(PduKind::Trap),
            Just(PduKind::Report),
        ],
        any::<i32>(),
        0u32..20,
        0u32..1000,
        proptest::collection::vec((arb_oid(), arb_value()), 0..8),
    )
        .prop_map(
            |(version, community, kind, request_id, error_status, error_index, vbs)| Message {
                version,
                community,
                pdu: Pdu {
                    kind,
                    request_id,
                    error_status,
                    error_index,
                    varbinds: vbs
                        .into_iter()
                        .map(|(oid, value)| VarBind { oid, value })
                        .collect(),
                },
            },
        )
}

proptest! {
    #[test]
    fn messages_round_trip(m in arb_message()) {
        let bytes = message::encode(&m).unwrap();
        prop_assert_eq!(message::decode(&bytes).unwrap(), m.clone());
        // The size estimate the agent trims GetBulk answers by is exact.
        for vb in &m.pdu.varbinds {
            let alone = Message { pdu: Pdu { varbinds: vec![vb.clone()], ..m.pdu.clone() }, ..m.clone() };
            let none = Message { pdu: Pdu { varbinds: vec![], ..m.pdu.clone() }, ..m.clone() };
            let grown = message::encode(&alone).unwrap().len() - message::encode(&none).unwrap().len();
            prop_assert!(grown >= super::agent::varbind_size(vb));
            prop_assert!(grown <= super::agent::varbind_size(vb) + 4);
        }
    }

    #[test]
    fn truncated_messages_never_decode_to_something_else(m in arb_message()) {
        let bytes = message::encode(&m).unwrap();
        for n in 0..bytes.len() {
            prop_assert!(message::decode(&bytes[..n]).is_err());
        }
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = message::decode(&bytes);
    }
}
