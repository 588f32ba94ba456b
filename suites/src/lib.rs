//! # paperjam-suites — the conformance runner and grader
//!
//! Talks to a target only through its protocols, exactly as a real client
//! would, and grades what it hears, clause by clause:
//! - [`spec`]: the scripted-session format (TOML cases under `suites/<protocol>/`);
//! - [`attrs`]: the text notations for attributes and raw messages;
//! - [`client`]: a raw HTTP/1.x client for `ipp://` and `ipps://` targets;
//! - [`runner`]: runs cases, checks answers, keeps the evidence;
//! - [`raw`]: raw-TCP cases for LPD and AppSocket/PJL (`suites/lpd/`, `suites/appsocket/`);
//! - [`raw_target`]: `lpd://` and `socket://` targets, the PJL `INFO ID` probe, raw cases run by workers;
//! - [`snmp`]: the SNMP suite (`suites/snmp/`): `snmp://` targets, a UDP manager, cases, checks and IPP cross-checks;
//! - [`security`]: the security suite (`suites/security/`): TLS, authentication, SNMP communities, exposed ports and robustness, graded by the user's policy;
//! - [`mdns`]: the mDNS/DNS-SD suite (`suites/mdns/`): `dnssd:` targets, a browser over multicast UDP or an in-memory link, cases and IPP cross-checks;
//! - [`pcap`]: captures (pcap, pcapng) → TCP reassembly → messages → replayable sessions, and the recording proxy's writer;
//! - [`replay`]: a capture's sessions replayed against a target, answers diffed after normalisation;
//! - [`grade`]: outcomes, findings, evidence;
//! - [`known`]: failures that match misbehaviour seen on real printers;
//! - [`report`]: the versioned JSON report and its summaries.

pub mod attrs;
pub mod client;
pub mod cross_check;
pub mod grade;
pub mod known;
pub mod mdns;
pub mod pcap;
pub mod raw;
pub mod raw_target;
pub mod replay;
pub mod report;
pub mod runner;
pub mod security;
pub mod snmp;
pub mod spec;

/// The folder of the IPP suite in this repository.
pub fn ipp_suite_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ipp")
}

/// The folder of the LPD (RFC 1179) raw-TCP suite in this repository.
pub fn lpd_suite_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lpd")
}

/// The folder of the AppSocket/PJL raw-TCP suite in this repository.
pub fn appsocket_suite_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appsocket")
}

/// The folder of the SNMP suite in this repository.
pub fn snmp_suite_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snmp")
}

/// The folder of test documents in this repository.
pub fn documents_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/documents")
}

/// The folder of the mDNS/DNS-SD suite in this repository.
pub fn mdns_suite_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("mdns")
}

/// The folder of the security suite in this repository.
pub fn security_suite_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("security")
}
