//! `paperjam serve --fleet` and `paperjam profile snmp-export`, end to end
//! through the binary, with SNMP spoken by our own codec (no peers needed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use paperjam_sim::snmp::message::{self, Message, Pdu, PduKind, VarBind, VarValue, Version};
use paperjam_sim::snmp::{record, Oid, Value};

const BIN: &str = env!("CARGO_BIN_EXE_paperjam");
const HR_PRINTER_STATUS: &str = "1.3.6.1.2.1.25.3.5.1.1.1";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One v2c Get; the value, or the exception.
fn get(addr: &str, oid: &str) -> VarValue {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let req = Message {
        version: Version::V2c,
        community: b"public".to_vec(),
        pdu: Pdu {
            kind: PduKind::Get,
            request_id: 7,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind::null(oid.parse::<Oid>().unwrap())],
        },
    };
    let mut buf = [0u8; 65_535];
    for _ in 0..3 {
        sock.send_to(&message::encode(&req).unwrap(), addr).unwrap();
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            let m = message::decode(&buf[..n]).unwrap();
            return m.pdu.varbinds[0].value.clone();
        }
    }
    panic!("no answer from {addr}");
}

/// Three printers, each on its own loopback address with its own state: a
/// jam raised on printer 2 through the control API shows in printer 2's
/// SNMP agent only.
#[test]
fn a_fleet_keeps_each_printer_apart() {
    let mut child = Killed(
        Command::new(BIN)
            .args([
                "serve",
                "--fleet",
                "3",
                "--fleet-base",
                "127.77.0.1",
                "--snmp-port",
                "0",
                "--ipp-port",
                "0",
                "--control-port",
                "0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut snmp = Vec::new();
    let mut ipp = Vec::new();
    let mut control = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(a) = line.strip_prefix("snmp://") {
            snmp.push(a.to_string());
        } else if line.starts_with("ipp://") {
            ipp.push(line.clone());
        } else if let Some(c) = line.strip_prefix("control: ") {
            control = Some(c.to_string());
        } else if line.starts_with("fleet: ") {
            assert_eq!(line, "fleet: 3 printers");
            break;
        }
    }
    assert_eq!(snmp.len(), 3, "{snmp:?}");
    assert_eq!(ipp.len(), 3, "{ipp:?}");
    for (i, a) in snmp.iter().enumerate() {
        assert!(a.starts_with(&format!("127.77.0.{}:", i + 1)), "{a}");
    }
    let control = control.expect("a control URL");
    let out = Command::new(BIN)
        .args([
            "fault",
            "--control",
            &format!("{control}/printers/2"),
            "raise",
            "media-jam",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        get(&snmp[2], HR_PRINTER_STATUS),
        VarValue::Value(Value::Integer(1))
    );
    assert_eq!(
        get(&snmp[0], HR_PRINTER_STATUS),
        VarValue::Value(Value::Integer(3))
    );
    assert_eq!(
        get(&snmp[1], HR_PRINTER_STATUS),
        VarValue::Value(Value::Integer(3))
    );
}

/// A fleet file: groups with their own faults.
#[test]
fn a_fleet_file_gives_groups_their_faults() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.toml");
    std::fs::write(
        &file,
        "[[printer]]\ncount = 2\n\n[[printer]]\ncount = 1\nfaults = [\"door-open\"]\nquirks = [\"snmp-stale-status\"]\n",
    )
    .unwrap();
    let mut child = Killed(
        Command::new(BIN)
            .args(["serve", "--fleet-file"])
            .arg(&file)
            .args([
                "--fleet-base",
                "127.78.0.1",
                "--snmp-port",
                "0",
                "--no-ipp",
                "--no-control",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let snmp: Vec<String> = BufReader::new(stdout)
        .lines()
        .map(|l| l.unwrap())
        .take_while(|l| !l.starts_with("fleet: "))
        .filter_map(|l| l.strip_prefix("snmp://").map(str::to_string))
        .collect();
    assert_eq!(snmp.len(), 3, "{snmp:?}");
    // The quirk keeps hrPrinterStatus at printing(4) on the stopped printer;
    // the door bit (0x08) still shows in the error state.
    assert_eq!(
        get(&snmp[2], HR_PRINTER_STATUS),
        VarValue::Value(Value::Integer(4))
    );
    assert_eq!(
        get(&snmp[0], HR_PRINTER_STATUS),
        VarValue::Value(Value::Integer(3))
    );
    assert_eq!(
        get(&snmp[1], "1.3.6.1.2.1.43.6.1.1.3.1.1"),
        VarValue::Value(Value::Integer(4)),
        "cover closed"
    );
    assert_eq!(
        get(&snmp[2], "1.3.6.1.2.1.43.6.1.1.3.1.1"),
        VarValue::Value(Value::Integer(3)),
        "cover open"
    );
}

#[test]
fn a_bad_fleet_file_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.toml");
    std::fs::write(&file, "[[printer]]\ncount = 2\ncolour = true\n").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--fleet-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("colour") && err.contains("line 3"), "{err}");
}

/// `snmp-export` of a profile, read back by the profile loader as its
/// `[snmp] walk`: the same MIB, in both formats.
#[test]
fn snmp_export_reads_back_in_both_formats() {
    for format in ["walk", "snmprec"] {
        let out = Command::new(BIN)
            .args(["profile", "snmp-export", "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let dump = record::parse_dump(&text).unwrap();
        assert!(dump.warnings.is_empty(), "{:?}", dump.warnings);
        assert!(dump.entries.len() > 200, "{format}: {}", dump.entries.len());
        let descr = dump
            .get(&"1.3.6.1.2.1.25.3.2.1.3.1".parse().unwrap())
            .cloned();
        assert_eq!(descr, Some(Value::text("paperjam Office Laser 4000")));
    }
}
