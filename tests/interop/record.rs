//! `paperjam record` in front of `paperjam serve`, its capture read by
//! Wireshark's `tshark` (the peer here): the file opens without a complaint,
//! the expert analysis finds nothing wrong with the synthesized TCP (no
//! warnings or errors: sequence numbers, checksums, handshakes, closes), the
//! IPP inside is dissected, and `-z follow,tcp,raw` gives back exactly the
//! bytes that went through the proxy, a 100 KB Print-Job included.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::peers::{
    free_port, poll_until, require_tool, tail_of, ChildGuard, Paperjam, STARTUP_TIMEOUT,
};

/// tshark's output, failing on a non-zero exit or anything on stderr but
/// its warning about running as root.
fn tshark(tshark: &Path, args: &[&str]) -> String {
    let out: Output = Command::new(tshark)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run tshark: {e}"));
    let stderr: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("Running as user"))
        .map(str::to_string)
        .collect();
    assert!(
        out.status.success() && stderr.is_empty(),
        "tshark {args:?} failed ({}): {stderr:#?}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The two byte streams of TCP stream `n`, as `-z follow,tcp,raw,n` prints
/// them: (node 0 → node 1, node 1 → node 0).
fn follow(ts: &Path, file: &str, n: usize) -> (Vec<u8>, Vec<u8>) {
    let text = tshark(
        ts,
        &["-r", file, "-q", "-z", &format!("follow,tcp,raw,{n}")],
    );
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut in_body = false;
    for line in text.lines() {
        if line.starts_with("=====") {
            continue;
        }
        if line.starts_with("Node 1:") {
            in_body = true;
            continue;
        }
        if !in_body || line.trim().is_empty() {
            continue;
        }
        // Node 1's data is indented by a tab.
        let (to, hex) = match line.strip_prefix('\t') {
            Some(h) => (&mut b, h),
            None => (&mut a, line),
        };
        let hex = hex.trim();
        for i in (0..hex.len()).step_by(2) {
            to.push(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex from tshark"));
        }
    }
    (a, b)
}

/// An IPP request (operation `op`) for `uri` with `extra` operation
/// attributes (keyword tag 0x44 / name tag 0x42 / mime tag 0x49), then `data`.
fn ipp_request(op: u16, id: u32, uri: &str, extra: &[(u8, &str, &str)], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0x02, 0x00];
    b.extend_from_slice(&op.to_be_bytes());
    b.extend_from_slice(&id.to_be_bytes());
    b.push(0x01);
    let mut attrs = vec![
        (0x47u8, "attributes-charset", "utf-8"),
        (0x48, "attributes-natural-language", "en"),
        (0x45, "printer-uri", uri),
    ];
    attrs.extend_from_slice(extra);
    for (tag, name, value) in attrs {
        b.push(tag);
        b.extend_from_slice(&(name.len() as u16).to_be_bytes());
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&(value.len() as u16).to_be_bytes());
        b.extend_from_slice(value.as_bytes());
    }
    b.push(0x03);
    b.extend_from_slice(data);
    b
}

/// POST `body` with `Connection: close` to `addr`; (bytes sent, bytes received).
fn post(addr: &str, body: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut sent = format!(
        "POST /ipp/print HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    sent.extend_from_slice(body);
    let mut s = TcpStream::connect(addr).expect("connect to the proxy");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(&sent).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).expect("the answer, then the close");
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&got[..got.len().min(200)])
    );
    (sent, got)
}

#[test]
fn tshark_reads_a_recorded_capture_byte_exact() {
    let ts = require_tool("tshark");
    let printer = Paperjam::start_with(&["--no-tls"]);
    let dir = tempfile::Builder::new()
        .prefix("paperjam-record-")
        .tempdir()
        .unwrap();
    let out: PathBuf = dir.path().join("record.pcapng");
    let log = dir.path().join("record.stderr.log");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut proxy = ChildGuard::spawn(
        "paperjam record",
        Command::new(env!("CARGO_BIN_EXE_paperjam"))
            .args(["record", "--listen", &listen, "--upstream", &printer.uri])
            .arg("--out")
            .arg(&out)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).unwrap()),
    );
    // Ready once it says so (a probe connection would be recorded too).
    poll_until(
        "its `relaying tcp` line",
        &mut proxy,
        &log,
        STARTUP_TIMEOUT,
        || {
            fs::read_to_string(&log)
                .ok()
                .filter(|t| t.contains("relaying tcp"))
        },
    );

    let uri = format!("ipp://{listen}/ipp/print");
    let gpa = post(&listen, &ipp_request(0x000b, 1, &uri, &[], &[]));
    let document: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let job = post(
        &listen,
        &ipp_request(
            0x0002,
            2,
            &uri,
            &[
                (0x42, "requesting-user-name", "recorder"),
                (0x49, "document-format", "application/octet-stream"),
            ],
            &document,
        ),
    );

    // SIGINT: a clean stop, the file flushed, a summary on stdout.
    let pid = proxy.child_mut().id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .is_ok_and(|s| s.success()));
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = proxy.exited() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "paperjam record did not stop on SIGINT; stderr:\n{}",
            tail_of(&log, 4000)
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut summary = String::new();
    proxy
        .child_mut()
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut summary)
        .unwrap();
    assert!(
        status.success(),
        "paperjam record exited {status}; stderr:\n{}",
        tail_of(&log, 4000)
    );
    let up = gpa.0.len() + job.0.len();
    let down = gpa.1.len() + job.1.len();
    assert!(
        summary.starts_with(&format!(
            "recorded 2 connections (0 refused), {up} bytes to upstream, {down} bytes to clients"
        )),
        "{summary}"
    );

    let file = out.to_str().unwrap();
    // Opens; every frame listed.
    let listing = tshark(&ts, &["-r", file]);
    assert!(listing.lines().count() > 100, "{listing}");
    // Nothing at warning level or above in the expert analysis.
    let expert = tshark(&ts, &["-r", file, "-q", "-z", "expert,warn"]);
    assert!(
        !expert.contains("Warnings") && !expert.contains("Errors"),
        "{expert}"
    );
    // IPP inside, once told the printer's port is HTTP.
    let upstream_port = printer
        .uri
        .trim_start_matches("ipp://")
        .split(['/', ':'])
        .nth(1)
        .unwrap()
        .to_string();
    let ipp = tshark(
        &ts,
        &[
            "-r",
            file,
            "-d",
            &format!("tcp.port=={upstream_port},http"),
            "-Y",
            "ipp",
        ],
    );
    assert!(ipp.contains("Get-Printer-Attributes"), "{ipp}");
    assert!(ipp.contains("Print-Job"), "{ipp}");
    // Both streams, byte for byte.
    assert_eq!(follow(&ts, file, 0), gpa);
    let (sent, got) = follow(&ts, file, 1);
    assert_eq!(sent.len(), job.0.len());
    assert!(sent == job.0, "the Print-Job stream differs");
    assert_eq!(got, job.1);
}
