//! The AppSocket/JetDirect front end (port 9100, PJL) against real clients:
//! the CUPS `socket` backend, which sends the job, half-closes and reads the
//! back-channel until the printer closes; and `socat`, as a raw client that
//! asks PJL questions.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::backend::sha256_file;
use crate::faults::Control;
use crate::lpd::{jobs, spooled, wait_state};
use crate::peers::{document, require_cups_backend, require_tool, Paperjam};

/// The CUPS `socket` backend prints a PDF over port 9100: exit 0, the job
/// completed in the printer (and so in IPP Get-Jobs), spooled byte-exact.
///
/// It polls SNMP on UDP 161 of the printer's address first; here the
/// agent is on another port, nothing answers on 161 and the backend goes on
/// (`snmp::cups_socket_backend_reports_supplies_from_snmp` runs it where the
/// agent owns 161).
#[test]
fn cups_socket_backend_prints_byte_exact() {
    let backend = require_cups_backend("backend-available/socket");
    let mut printer = Paperjam::start();
    let target = printer.socket_uri();
    let control = Control::new(&printer.control_url());
    let doc = document("document-letter.pdf");
    let t = Instant::now();
    let out = Command::new(&backend)
        .args(["1", "alice", "title", "1", ""])
        .arg(&doc)
        .env("DEVICE_URI", &target)
        .env("CONTENT_TYPE", "application/pdf")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the socket backend: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    eprintln!(
        "socket backend: exit {} in {:?}\n{}",
        out.status,
        t.elapsed(),
        stderr
            .lines()
            .filter(|l| !l.starts_with("DEBUG"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(out.status.success(), "the socket backend failed:\n{stderr}");
    let state = wait_state(&control, "the job completed", |s| {
        jobs(s).iter().any(|j| j["state"] == "completed")
    });
    let job = &jobs(&state)[0];
    assert_eq!(job["origin"], "socket", "{job:#}");
    let id = job["id"].as_u64().unwrap();
    let files = spooled(&printer.spool, id);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(sha256_file(&files[0]), sha256_file(&doc), "not byte-exact");
}

/// socat as a raw client asks PJL questions and reads the answers from the
/// back-channel: the printer's identity, its status (10001 ready, then 40022
/// after a jam is raised through the control API).
#[test]
fn socat_reads_pjl_status_from_the_back_channel() {
    require_tool("socat");
    let mut printer = Paperjam::start();
    let target = printer.socket_uri();
    let control = Control::new(&printer.control_url());
    let addr = target.trim_start_matches("socket://").to_string();
    let ask = |query: &str| -> String {
        let mut child = Command::new("socat")
            .args(["-t", "5", "-", &format!("TCP:{addr}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run socat: {e}"));
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().unwrap();
            let uel = "\x1b%-12345X";
            write!(stdin, "{uel}@PJL\r\n{query}\r\n{uel}").unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        eprintln!("socat {query:?} → {text:?}");
        text
    };
    let id = ask("@PJL INFO ID");
    assert!(id.contains("@PJL INFO ID"), "{id:?}");
    let status = ask("@PJL INFO STATUS");
    assert!(status.contains("CODE=10001"), "{status:?}");
    control.raise("media-jam");
    let status = ask("@PJL INFO STATUS");
    assert!(status.contains("CODE=40022"), "{status:?}");
}
