//! The PJL codec against the PJL ref's own examples, round trips, every
//! truncated prefix, and the status mapping against the printer model.

use std::sync::Arc;

use proptest::prelude::*;

use super::command::{Assignment, Command, InfoCategory, Modifier, Opt, Query, UstatusKind, Value};
use super::response::Response;
use super::status::{device_status, media_code, DeviceStatus, StatusCode};
use super::strategies;
use super::vars::{VarError, VarKey, Variables};
use super::{find_uel, PjlError, UelScan, MAX_LINE, UEL};
use crate::model::{Clock, Condition, NewJob, Printer, SimTime, Speed};
use crate::profile::Profile;

fn parse(line: &[u8]) -> Command {
    let (c, n) = Command::parse(line).unwrap();
    assert_eq!(n, line.len());
    c
}

// ----- commands: the PJL ref's examples, parsed and emitted -----

#[test]
fn job_with_a_name_and_options() {
    let c = parse(b"@PJL JOB NAME = \"JOB 88554\" START = 2\r\n");
    assert_eq!(
        c,
        Command::Job {
            name: Some("JOB 88554".into()),
            options: vec![Opt {
                name: "START".into(),
                value: Some(Value::Word("2".into())),
            }],
        }
    );
    assert_eq!(c.to_bytes(), b"@PJL JOB NAME = \"JOB 88554\" START = 2\r\n");
}

#[test]
fn case_and_spacing_are_free_except_the_prefix() {
    assert_eq!(
        parse(b"@PJL set copies=3\n"),
        Command::Set(Assignment {
            modifier: None,
            variable: "COPIES".into(),
            value: Value::Word("3".into()),
        })
    );
    assert_eq!(
        parse(b"@PJL\tUSTATUS   DEVICE=verbose \r\n"),
        Command::Ustatus {
            kind: UstatusKind::Device,
            value: Value::Word("verbose".into()),
        }
    );
    // "The PJL prefix @PJL must be upper case."
    assert_eq!(
        Command::parse_line(b"@pjl INFO ID"),
        Err(PjlError::MissingPrefix)
    );
    assert_eq!(
        Command::parse_line(b"@PJLINFO ID"),
        Err(PjlError::MissingSpaceAfterPrefix { byte: b'I' })
    );
}

#[test]
fn each_typed_command_emits_its_canonical_bytes() {
    let cases: Vec<(Command, &[u8])> = vec![
        (Command::Prefix, b"@PJL\r\n"),
        (
            Command::Comment("hello there".into()),
            b"@PJL COMMENT hello there\r\n",
        ),
        (Command::Echo("12:00 x".into()), b"@PJL ECHO 12:00 x\r\n"),
        (
            Command::Enter {
                language: "PDF".into(),
            },
            b"@PJL ENTER LANGUAGE = PDF\r\n",
        ),
        (
            Command::Eoj {
                name: Some("a".into()),
                options: vec![],
            },
            b"@PJL EOJ NAME = \"a\"\r\n",
        ),
        (
            Command::Set(Assignment {
                modifier: Some(Modifier {
                    name: "LPARM".into(),
                    value: "PCL".into(),
                }),
                variable: "PITCH".into(),
                value: Value::Word("10.00".into()),
            }),
            b"@PJL SET LPARM : PCL PITCH = 10.00\r\n",
        ),
        (
            Command::Dinquire(Query {
                modifier: None,
                variable: "COPIES".into(),
            }),
            b"@PJL DINQUIRE COPIES\r\n",
        ),
        (
            Command::Info(InfoCategory::Pagecount),
            b"@PJL INFO PAGECOUNT\r\n",
        ),
        (Command::UstatusOff, b"@PJL USTATUSOFF\r\n"),
        (
            Command::Other {
                command: "RDYMSG".into(),
                modifier: None,
                options: vec![Opt {
                    name: "DISPLAY".into(),
                    value: Some(Value::Quoted("Hi".into())),
                }],
            },
            b"@PJL RDYMSG DISPLAY = \"Hi\"\r\n",
        ),
    ];
    for (cmd, bytes) in cases {
        assert_eq!(cmd.to_bytes(), bytes, "{cmd:?}");
        assert_eq!(parse(bytes), cmd);
    }
}

#[test]
fn bare_prefix_lines() {
    assert_eq!(parse(b"@PJL\r\n"), Command::Prefix);
    assert_eq!(parse(b"@PJL \n"), Command::Prefix);
    assert_eq!(parse(b"@PJL\n"), Command::Prefix);
}

#[test]
fn utf8_and_latin1_text() {
    let c = parse("@PJL JOB NAME = \"Résumé\"\r\n".as_bytes());
    assert!(matches!(c, Command::Job { name: Some(ref n), .. } if n == "Résumé"));
    // Not UTF-8: read as ISO 8859-1.
    let c = parse(b"@PJL JOB NAME = \"R\xe9sum\xe9\"\r\n");
    assert!(matches!(c, Command::Job { name: Some(ref n), .. } if n == "Résumé"));
}

#[test]
fn syntax_errors_name_the_violation() {
    let cases: Vec<(&[u8], PjlError)> = vec![
        (
            b"@PJL JOB NAME = \"open",
            PjlError::UnterminatedString { offset: 16 },
        ),
        (
            b"@PJL SET COPIES =",
            PjlError::MissingValue {
                option: "COPIES".into(),
                offset: 16,
            },
        ),
        (
            b"@PJL SET LPARM :",
            PjlError::MissingModifierValue {
                modifier: "LPARM".into(),
                offset: 15,
            },
        ),
        (
            b"@PJL ENTER",
            PjlError::MissingOption {
                command: "ENTER",
                what: "LANGUAGE = <language>",
            },
        ),
        (
            b"@PJL JOB NAME = \"a\"x",
            PjlError::NoSpaceAfterString { offset: 19 },
        ),
        (
            b"@PJL ECHO a\x07b",
            PjlError::InvalidCharacter {
                offset: 11,
                byte: 7,
            },
        ),
        (
            b"@PJL SET X = 1 LPARM : PCL",
            PjlError::MisplacedModifier {
                modifier: "LPARM".into(),
                offset: 15,
            },
        ),
        (
            b"@PJL = 3",
            PjlError::ExpectedName {
                offset: 5,
                byte: b'=',
            },
        ),
    ];
    for (line, err) in cases {
        assert_eq!(
            Command::parse_line(line),
            Err(err.clone()),
            "{:?}",
            String::from_utf8_lossy(line)
        );
        assert!(err.status_code().is_some());
    }
}

#[test]
fn a_line_longer_than_the_limit_is_refused_without_reading_on() {
    let mut line = b"@PJL COMMENT ".to_vec();
    line.resize(MAX_LINE + 100, b'x');
    assert_eq!(
        Command::parse(&line),
        Err(PjlError::LineTooLong {
            len: MAX_LINE + 100,
            max: MAX_LINE,
        })
    );
}

// ----- responses -----

#[test]
fn info_status_response_bytes() {
    // PJL ref ch. 7: the response repeats the request, then CODE, DISPLAY,
    // ONLINE, each ended by CR LF, then a form feed.
    let bytes = b"@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY=\"Ready\"\r\nONLINE=TRUE\r\n\x0c";
    let r = Response::status("INFO STATUS", &DeviceStatus::ready());
    assert_eq!(r.to_bytes(), bytes);
    let (parsed, n) = Response::parse(bytes).unwrap();
    assert_eq!(n, bytes.len());
    assert_eq!(parsed, r);
    assert_eq!(parsed.device_status(), Some(DeviceStatus::ready()));
}

#[test]
fn unsolicited_response_bytes() {
    assert_eq!(
        Response::job_start("JOB 88554").to_bytes(),
        b"@PJL USTATUS JOB\r\nSTART\r\nNAME=\"JOB 88554\"\r\n\x0c"
    );
    assert_eq!(
        Response::job_end("End of Monitor Job", 38).to_bytes(),
        b"@PJL USTATUS JOB\r\nEND\r\nNAME=\"End of Monitor Job\"\r\nPAGES=38\r\n\x0c"
    );
    assert_eq!(
        Response::page(1).to_bytes(),
        b"@PJL USTATUS PAGE\r\n1\r\n\x0c"
    );
    assert_eq!(
        Response::echo("hi there").to_bytes(),
        b"@PJL ECHO hi there\r\n\x0c"
    );
    // The HP LaserJet 4 example of unsolicited device status (PJL ref 7-35).
    let ex =
        b"@PJL USTATUS DEVICE\r\nCODE=40021\r\nDISPLAY=\"12 PRINTER OPEN\"\r\nONLINE=FALSE\r\n\x0c";
    let (r, _) = Response::parse(ex).unwrap();
    assert_eq!(
        r.device_status(),
        Some(DeviceStatus::new(
            StatusCode::DOOR_OPEN,
            "12 PRINTER OPEN",
            false
        ))
    );
}

#[test]
fn responses_in_a_stream_are_framed_by_the_form_feed() {
    let mut stream = Response::page(1).to_bytes();
    stream.extend(Response::page(2).to_bytes());
    let (a, n) = Response::parse(&stream).unwrap();
    let (b, m) = Response::parse(&stream[n..]).unwrap();
    assert_eq!((a, b), (Response::page(1), Response::page(2)));
    assert_eq!(n + m, stream.len());
    assert_eq!(Response::parse(b"HTTP/1.1"), Err(PjlError::MissingPrefix));
}

// ----- round trips and truncation -----

proptest! {
    #[test]
    fn command_round_trip(cmd in strategies::command()) {
        let bytes = cmd.to_bytes();
        let (parsed, n) = Command::parse(&bytes).unwrap();
        prop_assert_eq!(n, bytes.len());
        prop_assert_eq!(&parsed, &cmd);
        prop_assert_eq!(parsed.to_bytes(), bytes);
    }

    #[test]
    fn command_every_truncated_prefix_is_incomplete(cmd in strategies::command()) {
        let bytes = cmd.to_bytes();
        for len in 0..bytes.len() {
            prop_assert_eq!(
                Command::parse(&bytes[..len]),
                Err(PjlError::Incomplete { have: len }),
                "prefix of {} bytes", len
            );
        }
    }

    #[test]
    fn response_round_trip(r in strategies::response()) {
        let bytes = r.to_bytes();
        let (parsed, n) = Response::parse(&bytes).unwrap();
        prop_assert_eq!(n, bytes.len());
        prop_assert_eq!(parsed, r);
    }

    #[test]
    fn response_every_truncated_prefix_is_incomplete(r in strategies::response()) {
        let bytes = r.to_bytes();
        for len in 0..bytes.len() {
            prop_assert_eq!(
                Response::parse(&bytes[..len]),
                Err(PjlError::Incomplete { have: len }),
                "prefix of {} bytes", len
            );
        }
    }

    #[test]
    fn fuzz_invariants_hold(data in proptest::collection::vec(
        prop_oneof![
            Just(b'\x1b'), Just(b'%'), Just(b'-'), Just(b'1'), Just(b'X'), Just(b'@'),
            Just(b'P'), Just(b'J'), Just(b'L'), Just(b' '), Just(b'\n'), any::<u8>(),
        ],
        0..200,
    )) {
        super::fuzz_pjl(&data);
    }
}

#[test]
fn fuzz_invariants_hold_on_real_streams() {
    let mut s = Vec::new();
    s.extend_from_slice(UEL);
    s.extend_from_slice(b"@PJL JOB NAME = \"x\"\r\n@PJL SET COPIES = 2\r\n@PJL ENTER LANGUAGE = PDF\r\n%PDF-1.4 /Type /Page\n");
    s.extend_from_slice(UEL);
    s.extend_from_slice(b"@PJL EOJ\r\n");
    s.extend_from_slice(UEL);
    s.extend_from_slice(b"@PJL INFO STATUS\r\n@PJL ECHO x\r\n");
    s.extend_from_slice(UEL);
    s.extend_from_slice(b"raw data\x1b%-123");
    super::fuzz_pjl(&s);
}

// ----- the UEL, split anywhere -----

#[test]
fn uel_is_found_at_every_offset_and_recognised_when_cut() {
    for at in 0..20 {
        let mut buf = vec![b'a'; at];
        buf.extend_from_slice(UEL);
        buf.extend_from_slice(b"tail");
        assert_eq!(find_uel(&buf), UelScan::Found(at));
        for cut in at..at + UEL.len() {
            let want = if cut == at {
                UelScan::None
            } else {
                UelScan::Partial(at)
            };
            assert_eq!(find_uel(&buf[..cut]), want, "UEL at {at} cut at {cut}");
        }
    }
    assert_eq!(find_uel(b"\x1b%-12345Y \x1bE"), UelScan::None);
    assert_eq!(find_uel(b"\x1b\x1b%-12345X"), UelScan::Found(1));
}

// ----- status codes from the model -----

fn printer(speed: Speed) -> Printer {
    Printer::new(
        Arc::new(Profile::default_profile().unwrap()),
        Clock::new(0),
        speed,
    )
}

#[test]
fn status_codes_follow_the_models_conditions() {
    let mut p = printer(Speed::Realtime);
    assert_eq!(device_status(&p), DeviceStatus::ready());
    let t = SimTime(1);
    let cases = [
        (Condition::Offline, 40079),
        (Condition::MarkerWasteFull, 40141),
        (Condition::TonerEmpty, 40038),
        (Condition::MediaEmpty, 41104),
        (Condition::DoorOpen, 40021),
        (Condition::MediaJam, 40022),
    ];
    // Each added condition is more urgent than the ones before it.
    for (c, code) in cases {
        p.raise(c, t);
        let s = device_status(&p);
        assert_eq!(s.code, StatusCode(code), "{c:?}");
        assert!(!s.online);
    }
    for (c, _) in cases {
        p.clear(c, t);
    }
    p.raise(Condition::TonerLow, t);
    assert_eq!(device_status(&p).code, StatusCode::TONER_LOW);
    assert!(device_status(&p).online);
    p.clear(Condition::TonerLow, t);
    p.pause_now(t);
    assert_eq!(device_status(&p).code, StatusCode::NOT_READY);
    p.resume(t);
    assert_eq!(device_status(&p), DeviceStatus::ready());
}

#[test]
fn printing_is_10023_and_a_jam_mid_job_is_40022() {
    let mut p = printer(Speed::Realtime);
    let id = p.create_job(
        NewJob {
            copies: 1,
            priority: 50,
            ..Default::default()
        },
        SimTime(0),
    );
    p.begin_document(id, SimTime(0)).unwrap();
    let doc = crate::model::Document {
        number: 1,
        format: "application/pdf".into(),
        name: None,
        compression: "none".into(),
        path: "/dev/null".into(),
        bytes: 1,
        wire_bytes: 1,
        sha256: String::new(),
        pages: 3,
        canceled: false,
    };
    p.add_document(id, doc, true, SimTime(0)).unwrap();
    assert_eq!(device_status(&p).code, StatusCode::PROCESSING);
    p.raise(Condition::MediaJam, SimTime(100));
    assert_eq!(device_status(&p).code, StatusCode::PAPER_JAM);
    p.clear(Condition::MediaJam, SimTime(200));
    assert_eq!(device_status(&p).code, StatusCode::PROCESSING);
}

#[test]
fn load_paper_codes() {
    assert_eq!(
        StatusCode::load_paper(1, media_code("iso_a4_210x297mm")),
        StatusCode(41104)
    );
    assert_eq!(
        StatusCode::load_paper(2, media_code("na_letter_8.5x11in")),
        StatusCode(41202)
    );
    assert_eq!(media_code("custom_odd_1x1in"), 0);
    assert_eq!(StatusCode(41104).family(), 41);
    assert_eq!(StatusCode(41104).to_string(), "41104");
}

// ----- variables -----

#[test]
fn variables_check_and_keep_user_defaults() {
    let profile = Profile::default_profile().unwrap();
    let mut v = Variables::factory(&profile);
    let copies = VarKey::plain("copies");
    assert_eq!(v.default_value(&copies), Some("1".into()));
    assert_eq!(
        v.check(&copies, &Value::Word("0".into())),
        Err(VarError::OutOfRange {
            name: "COPIES".into(),
            value: 0,
            min: 1,
            max: 999
        })
    );
    v.set_default(copies.clone(), &Value::Word("4".into()))
        .unwrap();
    assert_eq!(v.default_value(&copies), Some("4".into()));
    assert_eq!(
        v.check(&VarKey::plain("DUPLEX"), &Value::Word("on".into())),
        Ok("ON".into())
    );
    assert!(matches!(
        v.check(&VarKey::plain("NOPE"), &Value::Word("1".into())),
        Err(VarError::UnknownVariable { .. })
    ));
    assert_eq!(v.default_value(&VarKey::plain("PAPER")), Some("A4".into()));
    let lines = v.info_lines(&Default::default());
    assert!(
        lines.contains(&"COPIES=4 [2 RANGE]".to_string()),
        "{lines:?}"
    );
    let pcl = VarKey::from_command(
        Some(&Modifier {
            name: "LPARM".into(),
            value: "pcl".into(),
        }),
        "pitch",
    );
    v.set_default(pcl.clone(), &Value::Word("12".into()))
        .unwrap();
    assert_eq!(v.default_value(&pcl), Some("12".into()));
    assert!(v
        .info_lines(&Default::default())
        .contains(&"LPARM:PCL PITCH=12 [1 STRING]".to_string()));
}
