//! Tests for MIB dumps: the fixtures in `fixtures/snmp/`, every snmpwalk value
//! form, errors by line, round trips and truncations.
//!
//! `fixtures/snmp/snmpd-system.walk` is real output: net-snmp 5.9.3's `snmpd`
//! (on 127.0.0.1, sysLocation set by `snmpset` to a string holding a quote, a
//! backslash and a line break, sysContact to 21 bytes with an 0xFF), walked
//! with `snmpwalk -On -v2c` subtree by subtree, plus `snmpget`s of a missing
//! object and instance and a `snmpgetnext` past the end of the MIB.
//! `sample-printer.walk` and `sample-printer.snmprec` hold the same printer
//! objects in the two forms.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::oid;

const PRINTER_WALK: &str = include_str!("../../../../fixtures/snmp/sample-printer.walk");
const PRINTER_SNMPREC: &str = include_str!("../../../../fixtures/snmp/sample-printer.snmprec");
const SNMPD_WALK: &str = include_str!("../../../../fixtures/snmp/snmpd-system.walk");

fn o(s: &str) -> Oid {
    s.parse().unwrap()
}

fn txt(s: &str) -> Value {
    Value::text(s)
}

/// The one value of a one-line walk.
fn walk_one(value: &str) -> Dump {
    parse_walk(&format!(".1.3.6.1.2.1.1.1.0 = {value}\n")).unwrap()
}

fn walk_value(value: &str) -> Value {
    let d = walk_one(value);
    assert_eq!(d.entries.len(), 1, "{value:?} gave {d:?}");
    d.entries[0].1.clone()
}

// ---------------------------------------------------------------- fixtures

#[test]
fn printer_walk_and_snmprec_hold_the_same_objects() {
    let walk = parse_dump(PRINTER_WALK).unwrap();
    let rec = parse_dump(PRINTER_SNMPREC).unwrap();
    assert_eq!(walk.warnings, Vec::<String>::new());
    assert_eq!(rec.warnings, Vec::<String>::new());
    assert_eq!(walk.entries.len(), 36);
    assert_eq!(walk.entries, rec.entries);
    assert_eq!(detect_format(PRINTER_WALK), Some(DumpFormat::Walk));
    assert_eq!(detect_format(PRINTER_SNMPREC), Some(DumpFormat::Snmprec));
}

#[test]
fn printer_walk_values() {
    let d = parse_walk(PRINTER_WALK).unwrap();
    let get = |s: &str| d.get(&o(s)).cloned().unwrap_or_else(|| panic!("no {s}"));
    // sysDescr, unquoted as a DisplayString's hint prints it.
    assert_eq!(
        get("1.3.6.1.2.1.1.1.0"),
        txt("HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI24090012,CIDATE 05/17/2023")
    );
    assert_eq!(
        get("1.3.6.1.2.1.1.2.0"),
        Value::ObjectId(o("1.3.6.1.4.1.11.2.3.9.1"))
    );
    assert_eq!(get("1.3.6.1.2.1.1.3.0"), Value::TimeTicks(8_640_123));
    assert_eq!(get("1.3.6.1.2.1.1.4.0"), txt(""));
    assert_eq!(get("1.3.6.1.2.1.1.6.0"), txt("2nd floor, copy room \"B\""));
    assert_eq!(
        get("1.3.6.1.2.1.2.2.1.6.2"),
        Value::OctetString(vec![0x3c, 0x52, 0x82, 0x3a, 0x7f, 0x21])
    );
    assert_eq!(
        get("1.3.6.1.2.1.4.20.1.1.192.168.1.40"),
        Value::IpAddress([192, 168, 1, 40])
    );
    // hrMemorySize with its UNITS.
    assert_eq!(get("1.3.6.1.2.1.25.2.2.0"), Value::Integer(524_288));
    // hrDeviceType, hrDeviceDescr, hrDeviceStatus running(2).
    assert_eq!(
        get("1.3.6.1.2.1.25.3.2.1.2.1"),
        Value::ObjectId(o("1.3.6.1.2.1.25.3.1.5"))
    );
    assert_eq!(
        get("1.3.6.1.2.1.25.3.2.1.3.1"),
        txt("HP LaserJet Pro M404dn")
    );
    assert_eq!(get("1.3.6.1.2.1.25.3.2.1.5.1"), Value::Integer(2));
    // hrPrinterStatus idle(3), hrPrinterDetectedErrorState.
    assert_eq!(get("1.3.6.1.2.1.25.3.5.1.1.1"), Value::Integer(3));
    assert_eq!(get("1.3.6.1.2.1.25.3.5.1.2.1"), Value::OctetString(vec![0]));
    assert_eq!(
        get("1.3.6.1.2.1.31.1.1.1.6.2"),
        Value::Counter64(9_876_543_210_123)
    );
    // prtInputCurrentLevel -3: "at least one sheet".
    assert_eq!(get("1.3.6.1.2.1.43.8.2.1.10.1.1"), Value::Integer(-3));
    // prtMarkerSupplies: description, unit percent(19), max capacity, level.
    assert_eq!(
        get("1.3.6.1.2.1.43.11.1.1.6.1.1"),
        txt("Black Cartridge HP 58A")
    );
    assert_eq!(get("1.3.6.1.2.1.43.11.1.1.7.1.1"), Value::Integer(19));
    assert_eq!(get("1.3.6.1.2.1.43.11.1.1.8.1.1"), Value::Integer(100));
    assert_eq!(get("1.3.6.1.2.1.43.11.1.1.9.1.1"), Value::Integer(7));
    // prtAlertDescription over two lines.
    assert_eq!(
        get("1.3.6.1.2.1.43.18.1.1.8.1.1"),
        txt("Black cartridge very low\nOrder HP 58A (CF258A)")
    );
    // ppmPrinterIEEE1284DeviceId: a 2-byte length, then the device ID, over 8 lines.
    let Value::OctetString(id) = get("1.3.6.1.4.1.2699.1.2.1.2.1.1.3.1") else {
        panic!("not a string")
    };
    assert_eq!(usize::from(u16::from_be_bytes([id[0], id[1]])), id.len());
    assert!(id[2..].starts_with(b"MFG:HP;MDL:HP LaserJet Pro M404dn;"));
    assert!(id.ends_with(b"CID:HPLJPDLV1;"));
    // No Such Instance: skipped.
    assert_eq!(d.get(&o("1.3.6.1.4.1.2699.1.2.1.2.1.1.3.2")), None);
}

#[test]
fn printer_dump_writes_and_reads_back_in_both_forms() {
    let d = parse_dump(PRINTER_WALK).unwrap();
    let rec = write_snmprec(&d.entries);
    assert_eq!(parse_snmprec(&rec).unwrap().entries, d.entries);
    let walk = write_walk(&d.entries);
    assert_eq!(parse_walk(&walk).unwrap().entries, d.entries);
    // The device ID is wrapped as snmpwalk wraps it.
    assert!(walk.contains(
        ".1.3.6.1.4.1.2699.1.2.1.2.1.1.3.1 = Hex-STRING: 00 72 4D 46 47 3A 48 50 3B 4D 44 4C 3A 48 50 20 \n\
         4C 61 73 65 72 4A 65 74 20 50 72 6F 20 4D 34 30 \n"
    ));
    assert!(rec.contains("1.3.6.1.2.1.43.18.1.1.8.1.1|4x|426c61636b"));
}

#[test]
fn real_snmpd_walk_parses_without_warnings() {
    let d = parse_dump(SNMPD_WALK).unwrap();
    assert_eq!(d.warnings, Vec::<String>::new());
    // 89 lines: 3 continue a value, 3 are exceptions.
    assert_eq!(d.entries.len(), 83);
    assert_eq!(
        d.get(&o("1.3.6.1.2.1.1.6.0")),
        Some(&txt("Lab 2, bench \"B\"\nshelf \\ 3"))
    );
    let mut contact = b"ops@example.com".to_vec();
    contact.extend_from_slice(&[0xff, 1, 2, 3, 4, 5]);
    assert_eq!(
        d.get(&o("1.3.6.1.2.1.1.4.0")),
        Some(&Value::OctetString(contact))
    );
    assert_eq!(
        d.get(&o("1.3.6.1.2.1.1.2.0")),
        Some(&Value::ObjectId(o("1.3.6.1.4.1.8072.3.2.10")))
    );
    assert_eq!(d.get(&o("1.3.6.1.2.1.1.7.0")), Some(&Value::Integer(72)));
    assert_eq!(d.get(&o("1.3.6.1.2.1.2.2.1.6.1")), Some(&txt("")));
    assert_eq!(
        d.get(&o("1.3.6.1.2.1.2.2.1.5.1")),
        Some(&Value::Gauge32(10_000_000))
    );
    assert_eq!(
        d.get(&o("1.3.6.1.2.1.4.20.1.3.127.0.0.1")),
        Some(&Value::IpAddress([255, 0, 0, 0]))
    );
    assert_eq!(
        d.get(&o("1.3.6.1.2.1.31.1.1.1.6.1")),
        Some(&Value::Counter64(61_385_304_429))
    );
    // snmpEngineID: 17 bytes, wrapped after 16.
    match d.get(&o("1.3.6.1.6.3.10.2.1.1.0")) {
        Some(Value::OctetString(b)) => assert_eq!(b.len(), 17),
        other => panic!("{other:?}"),
    }
    // laLoadFloat: an Opaque holding net-snmp's Float.
    let mut float = vec![0x9f, 0x78, 4];
    float.extend_from_slice(&0.273438f32.to_be_bytes());
    assert_eq!(
        d.get(&o("1.3.6.1.4.1.2021.10.1.6.1")),
        Some(&Value::Opaque(float))
    );
    // noSuchObject, noSuchInstance, endOfMibView: skipped.
    assert_eq!(d.get(&o("1.3.6.1.2.1.1.99.0")), None);
    assert_eq!(d.get(&o("1.3.6.1.2.1.1.1.5")), None);
}

/// What `write_walk` prints is byte for byte what snmpwalk printed, for every
/// value net-snmp prints in the general form (all but Opaque Floats).
#[test]
fn write_walk_matches_real_snmpwalk_byte_for_byte() {
    let mut d = parse_walk(SNMPD_WALK).unwrap();
    d.entries.retain(|(_, v)| !matches!(v, Value::Opaque(_)));
    let expected: String = SNMPD_WALK
        .split_inclusive('\n')
        .filter(|l| !l.contains(" = Opaque: ") && !l.contains(" = No "))
        .collect();
    assert_eq!(write_walk(&d.entries), expected);
}

// ---------------------------------------------------------- walk: values

#[test]
fn walk_value_forms() {
    let cases: Vec<(&str, Value)> = vec![
        (r#"STRING: "HP LaserJet""#, txt("HP LaserJet")),
        (
            "STRING: plain text without quotes",
            txt("plain text without quotes"),
        ),
        (r#"STRING: "say \"hi\" \\ bye""#, txt(r#"say "hi" \ bye"#)),
        (r#"STRING: "C:\temp""#, txt(r"C:\temp")),
        (r#"STRING: "with units" percent"#, txt("with units")),
        (
            r#"STRING: unquoted \"escaped\""#,
            txt("unquoted \"escaped\""),
        ),
        ("STRING: ", txt("")),
        (
            "Hex-STRING: 00 1A 2B",
            Value::OctetString(vec![0, 0x1a, 0x2b]),
        ),
        (
            "Hex-STRING: 00 1a 2b ",
            Value::OctetString(vec![0, 0x1a, 0x2b]),
        ),
        ("INTEGER: 3", Value::Integer(3)),
        ("INTEGER: -2147483648", Value::Integer(i32::MIN)),
        ("INTEGER: idle(3)", Value::Integer(3)),
        ("INTEGER: other(-1)", Value::Integer(-1)),
        ("INTEGER: 524288 KBytes", Value::Integer(524_288)),
        (
            "OID: .1.3.6.1.2.1.25.3.1.5",
            Value::ObjectId(o("1.3.6.1.2.1.25.3.1.5")),
        ),
        ("OID: .0.0", Value::ObjectId(oid!(0, 0))),
        ("Timeticks: (12345) 0:02:03.45", Value::TimeTicks(12345)),
        (
            "Timeticks: (4294967295) 497 days, 2:27:52.95",
            Value::TimeTicks(u32::MAX),
        ),
        ("Counter32: 5", Value::Counter32(5)),
        ("Gauge32: 7", Value::Gauge32(7)),
        ("Gauge32: 7 seconds", Value::Gauge32(7)),
        (
            "Counter64: 18446744073709551615",
            Value::Counter64(u64::MAX),
        ),
        ("IpAddress: 10.0.0.1", Value::IpAddress([10, 0, 0, 1])),
        (
            "Network Address: 0A:00:00:01",
            Value::IpAddress([10, 0, 0, 1]),
        ),
        ("OPAQUE: 01 02 ", Value::Opaque(vec![1, 2])),
        ("Opaque: 01 02", Value::Opaque(vec![1, 2])),
        ("OPAQUE: ", Value::Opaque(vec![])),
        ("Opaque: Double: 1.5", {
            let mut b = vec![0x9f, 0x79, 8];
            b.extend_from_slice(&1.5f64.to_be_bytes());
            Value::Opaque(b)
        }),
        (r#""""#, txt("")),
        ("NULL", Value::Null),
        (
            "BITS: 80 00 printing(0) ",
            Value::OctetString(vec![0x80, 0]),
        ),
        ("BITS: 40 ", Value::OctetString(vec![0x40])),
    ];
    for (walk, want) in cases {
        let d = walk_one(walk);
        assert_eq!(d.entries, vec![(o("1.3.6.1.2.1.1.1.0"), want)], "{walk:?}");
        assert_eq!(d.warnings, Vec::<String>::new(), "{walk:?}");
    }
}

#[test]
fn wrong_type_keeps_the_type_the_agent_sent() {
    let d = walk_one("Wrong Type (should be OCTET STRING): INTEGER: 5");
    assert_eq!(d.entries[0].1, Value::Integer(5));
    assert_eq!(d.warnings.len(), 1);
    assert!(d.warnings[0].starts_with("line 1: "), "{:?}", d.warnings);
    assert!(d.warnings[0].contains("OCTET STRING"));
    let d =
        walk_one("Wrong Type (should be Timeticks): Wrong Type (should be INTEGER): Gauge32: 9");
    assert_eq!(d.entries[0].1, Value::Gauge32(9));
    assert_eq!(d.warnings.len(), 2);
}

#[test]
fn hinted_integers_and_odd_opaques_warn() {
    let d = walk_one("INTEGER: 0.5");
    assert_eq!(d.entries[0].1, Value::Integer(5));
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(walk_value("INTEGER: .05"), Value::Integer(5));
    assert_eq!(walk_value("INTEGER: -1.25"), Value::Integer(-125));
    let d = walk_one("Opaque: UInt64: 5");
    assert_eq!(d.entries, vec![]);
    assert_eq!(d.warnings.len(), 1);
    let d = walk_one("UInteger32: 4");
    assert_eq!(d.entries[0].1, Value::Gauge32(4));
    assert_eq!(d.warnings.len(), 1);
}

#[test]
fn exception_values_are_skipped_silently() {
    let text = "\
.1.3.6.1.2.1.1.1.0 = STRING: \"kept\"
.1.3.6.1.2.1.1.99.0 = No Such Object available on this agent at this OID
.1.3.6.1.2.1.1.1.5 = No Such Instance currently exists at this OID
.1.3.6.1.6.3.16.1.5.2.1.6.6.95.110.111.110.101.95.1.2 = No more variables left in this MIB View (It is past the end of the MIB tree)
End of MIB
";
    let d = parse_walk(text).unwrap();
    assert_eq!(d.entries, vec![(o("1.3.6.1.2.1.1.1.0"), txt("kept"))]);
    assert_eq!(d.warnings, Vec::<String>::new());
}

#[test]
fn quoted_strings_run_over_lines_until_their_quote() {
    let text = "\
.1.3.6.1.2.1.1.1.0 = STRING: \"first

.1.3.6.1.2.1.1.2.0 = INTEGER: 5
# not a comment \\\" still inside
last\"
.1.3.6.1.2.1.1.3.0 = INTEGER: 6
";
    let d = parse_walk(text).unwrap();
    assert_eq!(
        d.entries,
        vec![
            (
                o("1.3.6.1.2.1.1.1.0"),
                txt("first\n\n.1.3.6.1.2.1.1.2.0 = INTEGER: 5\n# not a comment \" still inside\nlast")
            ),
            (o("1.3.6.1.2.1.1.3.0"), Value::Integer(6)),
        ]
    );
}

#[test]
fn unquoted_strings_run_until_the_next_entry() {
    let text = "\
.1.3.6.1.2.1.1.1.0 = STRING: Linux printer 5.10
#1 SMP Tue Jan 2

.1.3.6.1.2.1.1.2.0 = STRING: last
";
    let d = parse_walk(text).unwrap();
    assert_eq!(d.entries[0].1, txt("Linux printer 5.10\n#1 SMP Tue Jan 2"));
    assert_eq!(d.entries[1].1, txt("last"));
}

#[test]
fn hex_strings_wrap_onto_bare_hex_lines() {
    let text = "\
.1.3.6.1.2.1.1.1.0 = Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 
10 11 
.1.3.6.1.2.1.1.2.0 = OPAQUE: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 
FF 
";
    let d = parse_walk(text).unwrap();
    assert_eq!(d.entries[0].1, Value::OctetString((0..18).collect()));
    let mut opaque: Vec<u8> = (0..16).collect();
    opaque.push(0xff);
    assert_eq!(d.entries[1].1, Value::Opaque(opaque));
}

#[test]
fn crlf_line_ends_and_iso_oids_are_read() {
    let text = ".1.3.6.1.2.1.1.1.0 = STRING: \"a\"\r\n\
                iso.3.6.1.2.1.1.2.0 = Hex-STRING: 01 \r\n\
                .1.3.6.1.2.1.1.3.0 = STRING: plain\r\n\
                .1.3.6.1.2.1.1.4.0 = INTEGER: 4\r\n";
    let d = parse_dump(text).unwrap();
    assert_eq!(
        d.entries,
        vec![
            (o("1.3.6.1.2.1.1.1.0"), txt("a")),
            (o("1.3.6.1.2.1.1.2.0"), Value::OctetString(vec![1])),
            (o("1.3.6.1.2.1.1.3.0"), txt("plain")),
            (o("1.3.6.1.2.1.1.4.0"), Value::Integer(4)),
        ]
    );
}

#[test]
fn write_walk_prints_as_net_snmp_does() {
    let entries = vec![
        (oid!(1, 1), Value::OctetString((0..16).collect())),
        (oid!(1, 2), Value::OctetString((0..17).collect())),
        (oid!(1, 3), Value::OctetString(vec![])),
        (oid!(1, 4), txt("tab\there \"q\" \\")),
        (oid!(1, 5), Value::TimeTicks(0)),
        (oid!(1, 6), Value::TimeTicks(8_640_000)),
        (
            oid!(1, 7),
            Value::TimeTicks(17_280_000 + 360_000 + 6_000 + 100 + 7),
        ),
        (oid!(1, 8), Value::Opaque(vec![])),
        (oid!(1, 9), Value::Null),
        (oid!(1, 10), Value::IpAddress([192, 0, 2, 1])),
        (oid!(1, 11), Value::OctetString(vec![b'a', 0x80])),
    ];
    let expected = "\
.1.1 = Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 
.1.2 = Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 
10 
.1.3 = \"\"
.1.4 = STRING: \"tab\there \\\"q\\\" \\\\\"
.1.5 = Timeticks: (0) 0:00:00.00
.1.6 = Timeticks: (8640000) 1 day, 0:00:00.00
.1.7 = Timeticks: (17646107) 2 days, 1:01:01.07
.1.8 = OPAQUE: 
.1.9 = NULL
.1.10 = IpAddress: 192.0.2.1
.1.11 = Hex-STRING: 61 80 
";
    assert_eq!(write_walk(&entries), expected);
    assert_eq!(parse_walk(expected).unwrap().entries, entries);
}

// ------------------------------------------------------- snmprec specifics

#[test]
fn snmprec_encodings_and_skips() {
    let text = "\
# comment
1.3.6.1.2.1.1.1.0|4|plain | with bars
.1.3.6.1.2.1.1.2.0|4x|48500A
1.3.6.1.2.1.1.3.0|4e|tab\\there\\x00\\\\ \\'q\\\"
1.3.6.1.2.1.1.4.0|5|
1.3.6.1.2.1.1.5.0|64x|0a000001
1.3.6.1.2.1.1.6.0|68|abc
1.3.6.1.2.1.1.7.0|2:numeric|min=0,max=100
1.3.6.1.2.1.1.8.0|128|
1.3.6.1.2.1.1.9.0|70|18446744073709551615
   1.3.6.1.2.1.1.10.0|67|42   
";
    let d = parse_dump(text).unwrap();
    assert_eq!(
        d.entries,
        vec![
            (o("1.3.6.1.2.1.1.1.0"), txt("plain | with bars")),
            (o("1.3.6.1.2.1.1.2.0"), Value::OctetString(b"HP\n".to_vec())),
            (
                o("1.3.6.1.2.1.1.3.0"),
                Value::OctetString(b"tab\there\0\\ 'q\"".to_vec())
            ),
            (o("1.3.6.1.2.1.1.4.0"), Value::Null),
            (o("1.3.6.1.2.1.1.5.0"), Value::IpAddress([10, 0, 0, 1])),
            (o("1.3.6.1.2.1.1.6.0"), Value::Opaque(b"abc".to_vec())),
            (o("1.3.6.1.2.1.1.9.0"), Value::Counter64(u64::MAX)),
            (o("1.3.6.1.2.1.1.10.0"), Value::TimeTicks(42)),
        ]
    );
    assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);
    assert!(d.warnings[0].starts_with("line 8: ") && d.warnings[0].contains("numeric"));
    assert!(d.warnings[1].starts_with("line 9: ") && d.warnings[1].contains("noSuchObject"));
}

#[test]
fn write_snmprec_hexes_what_would_not_read_back() {
    let entries = vec![
        (oid!(1, 1), txt("plain")),
        (oid!(1, 2), txt("trailing ")),
        (oid!(1, 3), txt(" leading")),
        (oid!(1, 4), txt("two\nlines")),
        (oid!(1, 5), txt("")),
        (oid!(1, 6), Value::IpAddress([10, 0, 0, 1])),
        (oid!(1, 7), Value::Opaque(vec![0x9f, 0x78])),
        (oid!(1, 8), Value::Null),
        (oid!(1, 9), Value::ObjectId(oid!(1, 3, 6))),
        (oid!(1, 10), Value::Integer(-7)),
    ];
    let expected = "\
1.1|4|plain
1.2|4x|747261696c696e6720
1.3|4x|206c656164696e67
1.4|4x|74776f0a6c696e6573
1.5|4|
1.6|64|10.0.0.1
1.7|68x|9f78
1.8|5|
1.9|6|1.3.6
1.10|2|-7
";
    assert_eq!(write_snmprec(&entries), expected);
    assert_eq!(parse_snmprec(expected).unwrap().entries, entries);
}

// -------------------------------------------------------------- dumps

#[test]
fn repeated_oids_keep_the_last_value_and_warn() {
    let rec = "1.3.6.1.2.1.1.5.0|4|first\n1.3.6.1.2.1.1.1.0|2|1\n1.3.6.1.2.1.1.5.0|4|second\n";
    let d = parse_dump(rec).unwrap();
    assert_eq!(
        d.entries,
        vec![
            (o("1.3.6.1.2.1.1.1.0"), Value::Integer(1)),
            (o("1.3.6.1.2.1.1.5.0"), txt("second"))
        ]
    );
    assert_eq!(d.warnings.len(), 1);
    assert!(d.warnings[0].starts_with("line 3: "), "{:?}", d.warnings);
    assert!(d.warnings[0].contains("repeats line 1"));

    let walk = ".1.3.6.1.2.1.1.5.0 = STRING: \"a\nb\"\n.1.3.6.1.2.1.1.5.0 = INTEGER: 2\n";
    let d = parse_dump(walk).unwrap();
    assert_eq!(d.entries, vec![(o("1.3.6.1.2.1.1.5.0"), Value::Integer(2))]);
    assert!(d.warnings[0].starts_with("line 3: ") && d.warnings[0].contains("repeats line 1"));
}

#[test]
fn entries_come_out_sorted_by_oid() {
    let d = parse_dump("1.3.6.1.10|2|1\n1.3.6.1.9|2|2\n1.3.6.1.9.0|2|3\n1.3.6.1.2|2|4\n").unwrap();
    let oids: Vec<String> = d.entries.iter().map(|(o, _)| o.to_string()).collect();
    assert_eq!(
        oids,
        ["1.3.6.1.2", "1.3.6.1.9", "1.3.6.1.9.0", "1.3.6.1.10"]
    );
}

#[test]
fn empty_and_comment_only_text_is_an_empty_dump() {
    for text in ["", "\n\n", "# just a comment\n  \n"] {
        assert_eq!(parse_dump(text).unwrap(), Dump::default());
        assert_eq!(detect_format(text), None);
    }
}

// -------------------------------------------------------------- errors

/// `text` fails with an error on `line` that `is` accepts.
fn fails(text: &str, line: usize, is: impl Fn(&RecordError) -> bool) {
    let e = parse_dump(text).expect_err(text);
    assert!(is(&e), "{text:?} gave {e:?}");
    assert_eq!(e.line(), line, "{text:?} gave {e}");
    assert!(e.to_string().starts_with(&format!("line {line}: ")), "{e}");
}

#[test]
fn snmprec_errors_name_their_line() {
    let ok = "# header\n1.3.6.1.2.1.1.1.0|4|fine\n";
    let with = |bad: &str| format!("{ok}{bad}\n");
    fails(&with("1.3.x.1|4|a"), 3, |e| {
        matches!(e, RecordError::BadOid { .. })
    });
    fails(&with("1.3.6|4"), 3, |e| {
        matches!(e, RecordError::MalformedRecord { .. })
    });
    fails(&with("1.3.6||a"), 3, |e| {
        matches!(e, RecordError::MalformedRecord { .. })
    });
    fails(&with("1.3.6|3|a"), 3, |e| {
        matches!(e, RecordError::UnknownTag { .. })
    });
    fails(&with("1.3.6|4y|a"), 3, |e| {
        matches!(e, RecordError::UnknownTag { .. })
    });
    fails(&with("1.3.6|4x|abc"), 3, |e| {
        matches!(e, RecordError::BadHex { .. })
    });
    fails(&with("1.3.6|4x|zz"), 3, |e| {
        matches!(e, RecordError::BadHex { .. })
    });
    fails(&with("1.3.6|4e|bad \\q"), 3, |e| {
        matches!(e, RecordError::BadEscape { .. })
    });
    fails(&with("1.3.6|4e|end \\"), 3, |e| {
        matches!(e, RecordError::BadEscape { .. })
    });
    fails(&with("1.3.6|4e|\\x4"), 3, |e| {
        matches!(e, RecordError::BadEscape { .. })
    });
    fails(&with("1.3.6|2|2147483648"), 3, |e| {
        matches!(e, RecordError::IntegerOutOfRange { .. })
    });
    fails(&with("1.3.6|65|-1"), 3, |e| {
        matches!(e, RecordError::IntegerOutOfRange { .. })
    });
    fails(&with("1.3.6|70|18446744073709551616"), 3, |e| {
        matches!(e, RecordError::IntegerOutOfRange { .. })
    });
    fails(&with("1.3.6|2|five"), 3, |e| {
        matches!(e, RecordError::BadValue { .. })
    });
    fails(&with("1.3.6|2x|05"), 3, |e| {
        matches!(e, RecordError::EncodingNotAllowed { .. })
    });
    fails(&with("1.3.6|64|10.0.0"), 3, |e| {
        matches!(e, RecordError::BadValue { .. })
    });
    fails(&with("1.3.6|64x|0a0000"), 3, |e| {
        matches!(e, RecordError::BadValue { .. })
    });
    fails(&with("1.3.6|5|x"), 3, |e| {
        matches!(e, RecordError::BadValue { .. })
    });
    fails(&with("1.3.6|6|1.3.bad"), 3, |e| {
        matches!(e, RecordError::BadOid { .. })
    });
}

#[test]
fn walk_errors_name_their_line() {
    let ok = ".1.3.6.1.2.1.1.1.0 = STRING: \"fine\"\n";
    let with = |bad: &str| format!("{ok}{bad}\n");
    fails(&with("SNMPv2-MIB::sysDescr.0 = STRING: x"), 2, |e| {
        matches!(e, RecordError::BadOid { .. })
    });
    fails(&with(".1.3.6 = OID: sysDescr"), 2, |e| {
        matches!(e, RecordError::BadOid { .. })
    });
    fails(&with(".1.3.6 = STRING: \"open\nstill open"), 2, |e| {
        matches!(e, RecordError::UnterminatedString { .. })
    });
    fails(&with(".1.3.6 = Float: 1.5"), 2, |e| {
        matches!(e, RecordError::UnknownWalkType { .. })
    });
    fails(&with(".1.3.6 = something odd"), 2, |e| {
        matches!(e, RecordError::UnknownWalkType { .. })
    });
    fails(&with(".1.3.6 = Wrong Type (should be INTEGER: 5"), 2, |e| {
        matches!(e, RecordError::UnknownWalkType { .. })
    });
    fails(&with("Timeout: No Response from 10.0.0.1"), 2, |e| {
        matches!(e, RecordError::StrayLine { .. })
    });
    fails(&with(".1.3.6 = INTEGER: 5\nstray text"), 3, |e| {
        matches!(e, RecordError::StrayLine { .. })
    });
    fails(&with(".1.3.6 = Hex-STRING: 0G"), 2, |e| {
        matches!(e, RecordError::BadHex { .. })
    });
    fails(&with(".1.3.6 = Hex-STRING: 01 \n02 zz"), 3, |e| {
        matches!(e, RecordError::StrayLine { .. })
    });
    fails(&with(".1.3.6 = INTEGER: 2147483648"), 2, |e| {
        matches!(e, RecordError::IntegerOutOfRange { .. })
    });
    fails(&with(".1.3.6 = INTEGER: lots"), 2, |e| {
        matches!(e, RecordError::BadValue { .. })
    });
    fails(&with(".1.3.6 = Counter32: -1"), 2, |e| {
        matches!(e, RecordError::IntegerOutOfRange { .. })
    });
    fails(&with(".1.3.6 = Timeticks: (12"), 2, |e| {
        matches!(e, RecordError::BadValue { .. })
    });
    fails(&with(".1.3.6 = IpAddress: 10.0.0.256"), 2, |e| {
        matches!(e, RecordError::BadValue { .. })
    });
    fails(&with(".1.3.6 = Network Address: 0A:00:01"), 2, |e| {
        matches!(e, RecordError::BadValue { .. })
    });
    fails(&with(".1.3.6 = Opaque: Float: x"), 2, |e| {
        matches!(e, RecordError::BadValue { .. })
    });
    let long = format!(".{} = INTEGER: 1", vec!["1"; 129].join("."));
    fails(&with(&long), 2, |e| matches!(e, RecordError::BadOid { .. }));
}

#[test]
fn unknown_format_names_the_first_record() {
    fails("# hi\n\njust words\n", 3, |e| {
        matches!(e, RecordError::UnknownFormat { .. })
    });
}

#[test]
fn error_texts_are_cut_short() {
    let long = format!("1.3.6|4x|{}", "g".repeat(1000));
    let e = parse_dump(&long).unwrap_err();
    assert!(e.to_string().len() < 200, "{e}");
}

// -------------------------------------------------------------- truncation

/// Every prefix of `text` parses or is refused, in every parser.
fn every_prefix(text: &str) {
    for (i, _) in text.char_indices().chain([(text.len(), ' ')]) {
        let prefix = &text[..i];
        let _ = parse_dump(prefix);
        let _ = parse_walk(prefix);
        let _ = parse_snmprec(prefix);
    }
}

#[test]
fn truncated_fixtures_never_panic() {
    every_prefix(PRINTER_WALK);
    every_prefix(PRINTER_SNMPREC);
    every_prefix(SNMPD_WALK);
}

#[test]
fn truncating_a_walk_inside_a_string_names_where_it_opened() {
    let cut = PRINTER_WALK.find("Order HP 58A").unwrap();
    let e = parse_walk(&PRINTER_WALK[..cut]).unwrap_err();
    // The cut falls just after the line the string opens on.
    let opened = PRINTER_WALK[..cut].lines().count();
    assert!(PRINTER_WALK[..cut]
        .lines()
        .last()
        .unwrap()
        .contains("= STRING: \"Black cartridge"));
    assert_eq!(e, RecordError::UnterminatedString { line: opened });
}

// -------------------------------------------------------------- properties

fn arb_oid() -> impl Strategy<Value = Oid> {
    prop::collection::vec(prop_oneof![0u32..50, any::<u32>()], 1..16).prop_map(Oid)
}

fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..40),
        // Mostly printable, to exercise quoting, escapes and line breaks.
        "[ -~\t\n\r\u{b}\u{c}\"\\\\]{0,40}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..70),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        arb_bytes().prop_map(Value::OctetString),
        arb_oid().prop_map(Value::ObjectId),
        any::<[u8; 4]>().prop_map(Value::IpAddress),
        any::<u32>().prop_map(Value::Counter32),
        any::<u32>().prop_map(Value::Gauge32),
        any::<u32>().prop_map(Value::TimeTicks),
        arb_bytes().prop_map(Value::Opaque),
        any::<u64>().prop_map(Value::Counter64),
        Just(Value::Null),
    ]
}

/// Entries as a dump holds them: sorted, one per OID.
fn arb_entries() -> impl Strategy<Value = Vec<(Oid, Value)>> {
    prop::collection::vec((arb_oid(), arb_value()), 0..24).prop_map(|v| {
        v.into_iter()
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect()
    })
}

/// Fragments of both forms, so that random text often gets far into a parser.
fn arb_dumpish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(".1.3.6.1"),
        Just(".2"),
        Just("1.3.6|"),
        Just(" = "),
        Just("STRING: "),
        Just("Hex-STRING: "),
        Just("OPAQUE: "),
        Just("Opaque: Float: 1.5"),
        Just("INTEGER: "),
        Just("Timeticks: (5) "),
        Just("Wrong Type (should be X): "),
        Just("idle(3)"),
        Just("0A "),
        Just("ff"),
        Just("4x|"),
        Just("4e|"),
        Just("2|"),
        Just("|"),
        Just("\""),
        Just("\\"),
        Just("\n"),
        Just("\r"),
        Just("#"),
        Just("-7"),
        Just("9"),
        Just("é"),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn snmprec_round_trips(entries in arb_entries()) {
        let text = write_snmprec(&entries);
        let d = parse_snmprec(&text).unwrap();
        prop_assert_eq!(&d.entries, &entries, "{}", text);
        prop_assert!(d.warnings.is_empty());
        if !entries.is_empty() {
            prop_assert_eq!(detect_format(&text), Some(DumpFormat::Snmprec));
        }
    }

    #[test]
    fn walk_round_trips(entries in arb_entries()) {
        let text = write_walk(&entries);
        let d = parse_walk(&text).unwrap();
        prop_assert_eq!(&d.entries, &entries, "{}", text);
        prop_assert!(d.warnings.is_empty());
        if !entries.is_empty() {
            prop_assert_eq!(detect_format(&text), Some(DumpFormat::Walk));
        }
    }

    /// `Value`'s one-line `Display` reads back too.
    #[test]
    fn value_display_reads_back(oid in arb_oid(), value in arb_value()) {
        let text = format!(".{oid} = {value}\n");
        let d = parse_walk(&text).unwrap();
        prop_assert_eq!(d.entries, vec![(oid, value)], "{}", text);
    }

    /// The fuzz target's property, on text made of both forms' fragments.
    #[test]
    fn fuzz_property_holds(text in arb_dumpish()) {
        fuzz_dump(&text);
    }

    #[test]
    fn fuzz_property_holds_on_any_text(text in "\\PC{0,200}") {
        fuzz_dump(&text);
    }
}

proptest! {
    // Every prefix through three parsers is quadratic: fewer, smaller cases.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn written_dumps_truncate_without_panics(entries in arb_entries()) {
        every_prefix(&write_walk(&entries));
        every_prefix(&write_snmprec(&entries));
    }
}

#[test]
fn longest_oids_round_trip() {
    let long = Oid(vec![u32::MAX; crate::snmp::oid::MAX_SUB_IDS]);
    let entries = vec![(long.clone(), Value::ObjectId(long))];
    assert_eq!(parse_walk(&write_walk(&entries)).unwrap().entries, entries);
    assert_eq!(
        parse_snmprec(&write_snmprec(&entries)).unwrap().entries,
        entries
    );
}
