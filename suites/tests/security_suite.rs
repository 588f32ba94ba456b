//! The security suite (`suites/security/`): every case file loads, each
//! probe has its case, the cases' levels and severities are the reviewed
//! ones, case and policy files with mistakes name the line, and a run skips
//! what it is not allowed to do. Each case's grading is tested without a
//! network in `suites/src/security/checks/tests.rs`; the suite against the
//! locked-down and wide-open virtual printers is `security_presets.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::Outcome;
use paperjam_suites::security::exposure::{PortPlan, ServiceKind};
use paperjam_suites::security::policy::{
    MinTlsVersion, Permission, Policy, PolicyError, SnmpPolicy, Stance, TlsPolicy,
};
use paperjam_suites::security::runner::{run_security, SecurityOptions, SecurityTarget};
use paperjam_suites::security::spec::{load_dir, load_file, Probe, SecurityCase, Severity};
use paperjam_suites::spec::Level;

fn cases() -> Vec<SecurityCase> {
    load_dir(&paperjam_suites::security_suite_dir()).unwrap_or_else(|e| panic!("{e}"))
}

/// The reviewed case list: id, level, severity.
const CASES: &[(&str, Level, Severity)] = &[
    (
        "security/authn/anonymous-print",
        Level::Should,
        Severity::Medium,
    ),
    (
        "security/authn/bad-credentials-refused",
        Level::Must,
        Severity::Critical,
    ),
    (
        "security/authn/cancel-other-users-job",
        Level::Must,
        Severity::High,
    ),
    ("security/authn/pause-printer", Level::Must, Severity::High),
    ("security/authn/purge-jobs", Level::Must, Severity::High),
    (
        "security/authn/resume-printer",
        Level::Must,
        Severity::Medium,
    ),
    (
        "security/authn/set-printer-attributes",
        Level::Must,
        Severity::High,
    ),
    (
        "security/exposure/cups-browsed",
        Level::Must,
        Severity::Critical,
    ),
    (
        "security/exposure/lpd-port",
        Level::Should,
        Severity::Medium,
    ),
    ("security/exposure/mdns", Level::May, Severity::Info),
    (
        "security/exposure/raw-print-ports",
        Level::Must,
        Severity::High,
    ),
    (
        "security/robustness/malformed-ipp",
        Level::Must,
        Severity::High,
    ),
    (
        "security/robustness/oversize-attributes",
        Level::Must,
        Severity::Medium,
    ),
    (
        "security/robustness/request-flood",
        Level::Should,
        Severity::Low,
    ),
    (
        "security/robustness/slow-loris",
        Level::Should,
        Severity::Medium,
    ),
    (
        "security/snmp/public-community",
        Level::Must,
        Severity::High,
    ),
    ("security/snmp/v3-only", Level::Should, Severity::Medium),
    (
        "security/snmp/writable-objects",
        Level::Must,
        Severity::High,
    ),
    (
        "security/snmp/write-community",
        Level::Must,
        Severity::Critical,
    ),
    (
        "security/transport/certificate-names-host",
        Level::Should,
        Severity::Low,
    ),
    (
        "security/transport/certificate-not-expired",
        Level::Should,
        Severity::Medium,
    ),
    (
        "security/transport/certificate-self-signed",
        Level::May,
        Severity::Info,
    ),
    (
        "security/transport/ipps-offered",
        Level::Must,
        Severity::High,
    ),
    (
        "security/transport/plain-admin",
        Level::Must,
        Severity::High,
    ),
    (
        "security/transport/plain-print",
        Level::Should,
        Severity::Medium,
    ),
    (
        "security/transport/tls-1.2-minimum",
        Level::Must,
        Severity::Medium,
    ),
];

#[test]
fn every_case_file_loads_with_the_reviewed_cases() {
    let cases = cases();
    let got: Vec<(&str, Level, Severity)> = cases
        .iter()
        .map(|c| (c.id.as_str(), c.level, c.severity))
        .collect();
    assert_eq!(got, CASES);
    for file in ["transport", "authn", "snmp", "exposure", "robustness"] {
        let path = paperjam_suites::security_suite_dir().join(format!("{file}.toml"));
        let in_file = load_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!in_file.is_empty(), "{file}.toml has no case");
        assert!(in_file
            .iter()
            .all(|c| c.id.starts_with(&format!("security/{file}/"))));
    }
    for c in &cases {
        assert!(c.requirement.len() > 80, "{}: quote the requirement", c.id);
        assert!(!c.references.is_empty(), "{}: no reference", c.id);
        assert!(c.fix.len() > 30, "{}: the fix says what to change", c.id);
    }
}

#[test]
fn every_probe_has_exactly_one_case() {
    let cases = cases();
    for p in Probe::ALL {
        let n = cases.iter().filter(|c| c.probe() == Some(p)).count();
        assert_eq!(n, 1, "probe {}", p.name());
    }
    // The cases of CVE-2024-47176 and its chain name all four.
    let browsed = cases
        .iter()
        .find(|c| c.id == "security/exposure/cups-browsed")
        .unwrap();
    assert_eq!(
        browsed.cve,
        [
            "CVE-2024-47176",
            "CVE-2024-47076",
            "CVE-2024-47175",
            "CVE-2024-47177"
        ]
    );
    // What changes the printer or may disturb it says so.
    for c in &cases {
        assert_eq!(
            c.changes,
            c.id.starts_with("security/authn/") && c.probe().is_some_and(Probe::changes)
        );
        assert_eq!(c.disruptive, c.id.starts_with("security/robustness/"));
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const CASE: &str = r#"[[case]]
id = "security/exposure/lpd-port"
level = "SHOULD"
clause = "RFC 1179"
title = "LPD is closed"
requirement = "r"
severity = "medium"
fix = "Turn off LPD."
probe = "lpd-port"
policy = "lpd"
"#;

#[test]
fn case_file_mistakes_name_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "a.toml", &CASE.replace("fix =", "fixx ="));
    let e = load_file(&p)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("fixx") && e.contains("line 8"), "{e}");
    let p = write(
        dir.path(),
        "b.toml",
        &CASE.replace("\"lpd-port\"\npolicy", "\"lpd-portt\"\npolicy"),
    );
    let e = load_file(&p)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("no built-in probe 'lpd-portt'"), "{e}");
    assert!(
        e.contains("b.toml") && e.contains("security/exposure/lpd-port"),
        "{e}"
    );
    let p = write(
        dir.path(),
        "c.toml",
        &CASE.replace("\"medium\"", "\"severe\""),
    );
    let e = load_file(&p)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("line 7") && e.contains("severe"), "{e}");
    let p = write(
        dir.path(),
        "d.toml",
        &CASE.replace("policy = \"lpd\"\n", ""),
    );
    let e = load_file(&p)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("add policy = \"lpd\""), "{e}");
    // Two files with the same id.
    let sub = dir.path().join("dup");
    std::fs::create_dir(&sub).unwrap();
    write(&sub, "x.toml", CASE);
    write(&sub, "y.toml", CASE);
    let e = load_dir(&sub)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("appears twice"), "{e}");
}

#[test]
fn policy_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/policies");
    let mut default = Policy::load(&dir.join("default.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(default.display_name(), "built-in defaults");
    default.name = None;
    assert_eq!(default, Policy::default());
    let p = Policy::load(&dir.join("permissive.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (p.anonymous_printing, p.tls, p.raw_printing, p.lpd, p.snmp),
        (
            Stance::Allowed,
            TlsPolicy::Optional,
            Stance::Allowed,
            Stance::Allowed,
            SnmpPolicy::Allowed
        )
    );
    assert_eq!(p.min_tls_version, MinTlsVersion::Tls12);
    assert_eq!(p.mdns, Permission::Allowed);
}

#[test]
fn policy_mistakes_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    for (text, line, word) in [
        (
            "name = \"x\"\ntls = \"required\"\nanonymous-print = \"allowed\"\n",
            3,
            "anonymous-print",
        ),
        ("# ok\n\nsnmp = \"v2c\"\n", 3, "v3-only"),
        (
            "raw-printing = \"forbidden\"\nmin-tls-version = \"1.1\"\n",
            2,
            "1.2",
        ),
        ("mdns = allowed\n", 1, ""),
    ] {
        let p = write(dir.path(), "policy.toml", text);
        match Policy::load(&p) {
            Err(PolicyError::Parse {
                line: l, message, ..
            }) => {
                assert_eq!(l, line, "{text}: {message}");
                assert!(message.contains(word), "{text}: {message}");
            }
            other => panic!("{text}: {other:?}"),
        }
        let shown = Policy::load(&p)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            shown.contains(&format!("policy.toml: line {line}")),
            "{shown}"
        );
    }
    let missing = Policy::load(&dir.path().join("nope.toml")).err();
    assert!(matches!(missing, Some(PolicyError::Read { .. })));
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_skips_what_it_may_not_do() {
    let port = closed_port();
    let mut plan = PortPlan::standard();
    for kind in ServiceKind::ALL {
        plan.set(kind, vec![port]);
    }
    let target = SecurityTarget {
        ipp: TargetUri::parse(&format!("ipp://127.0.0.1:{port}/ipp/print")).unwrap(),
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        ports: plan,
    };
    let selected: Vec<SecurityCase> = cases()
        .into_iter()
        .filter(|c| c.changes || c.disruptive || c.id.starts_with("security/exposure/"))
        .collect();
    let mut opts = SecurityOptions::new(Policy::default());
    opts.timeout = Duration::from_secs(2);
    opts.probe_timeout = Duration::from_millis(500);
    let (results, section) = run_security(&target, &selected, &opts).await;
    assert_eq!(results.len(), selected.len());
    for (c, r) in selected.iter().zip(&results) {
        assert_eq!(c.id, r.id);
        if c.changes {
            assert_eq!(r.outcome, Outcome::Skip, "{}", r.id);
            assert!(r.reason.contains("--allow-changes"), "{}", r.reason);
        } else if c.disruptive {
            assert_eq!(r.outcome, Outcome::Skip, "{}", r.id);
            assert_eq!(r.reason, "disruptive: run with --allow-disruptive");
        } else {
            // Nothing listens: every exposure case passes, with evidence.
            assert_eq!(r.outcome, Outcome::Pass, "{}: {}", r.id, r.reason);
            assert!(!r.evidence.is_empty(), "{}", r.id);
        }
    }
    assert!(section.findings.is_empty());
    assert_eq!(section.exposure.len(), ServiceKind::ALL.len());
    assert!(
        section
            .exposure
            .iter()
            .all(|row| row.state == "closed" && row.risk.is_empty()),
        "{:?}",
        section.exposure
    );
    assert!(section.policy.starts_with("built-in defaults"));
}
