//! The security suite against the two security presets of the virtual
//! printer, as insta snapshots in `reports/`: the locked-down printer has
//! no finding; on the wide-open one every weakness it was built with is
//! found, and nothing else.
//!
//! The printers and the port tables come from `security_printer`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod security_printer;

use std::collections::BTreeMap;

use paperjam_sim::security::preset::Preset;
use paperjam_suites::grade::Outcome;
use paperjam_suites::report::Report;
use regex::Regex;

/// Start `preset`, run the whole suite against it (the IPP URI with
/// `scheme`), and return the report.
async fn graded(preset: Preset, scheme: &str) -> Report {
    let cfg = security_printer::config(preset, &[], false);
    let cases = security_printer::security_cases();
    let (uri, results, section) = security_printer::run_security_suite(cfg, scheme, &cases).await;
    let mut report = Report::new(&uri, preset.name(), false, results);
    report.security = Some(section);
    report
}

/// The snapshot view, with what a TLS and SNMP run adds to the volatile
/// values: certificate dates, hashes and engine ids, counts that depend
/// on timing.
fn view(r: &Report) -> serde_json::Value {
    let rules: Vec<(Regex, &str)> = [
        (r"\b\d{4}-\d\d-\d\d\b", "[date]"),
        // The OS picks the ports.
        (r"\bports? \d+(, \d+)*", "port [port]"),
        (r"\b\d+/(tcp|udp)\b", "[port]/$1"),
        (r"\bUDP \d+", "UDP [port]"),
        (r"\b\d+: (closed|open|no answer)", "[port]: $1"),
        (r"\b[0-9a-f]{16,}\b", "[hex]"),
        (r"engine [0-9a-f]+", "engine [hex]"),
        (r"flood of \d+ requests", "flood of [n] requests"),
        (r"sent \d+, answered \d+", "sent [n], answered [n]"),
        (r"×\d+", "×[n]"),
        (r"\(\d+ answered\)", "([n] answered)"),
        (r"\d+ slow connections", "[n] slow connections"),
        (r"\(\d+ closed or answered", "([n] closed or answered"),
    ]
    .iter()
    .map(|(p, r)| (Regex::new(p).unwrap(), *r))
    .collect();
    fn walk(v: &mut serde_json::Value, rules: &[(Regex, &str)]) {
        match v {
            serde_json::Value::String(s) => {
                for (re, rep) in rules {
                    *s = re.replace_all(s, *rep).into_owned();
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, rules)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| walk(x, rules)),
            _ => {}
        }
    }
    let mut v = r.snapshot_view();
    walk(&mut v, &rules);
    v
}

fn outcomes(r: &Report) -> BTreeMap<String, Outcome> {
    r.cases.iter().map(|c| (c.id.clone(), c.outcome)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_down_has_no_finding() {
    let r = graded(Preset::LockedDown, "ipps").await;
    let sec = r.security.as_ref().unwrap();
    assert!(
        sec.findings.is_empty(),
        "findings on the locked-down printer: {:#?}",
        sec.findings
    );
    for c in &r.cases {
        assert!(
            matches!(c.outcome, Outcome::Pass | Outcome::Skip),
            "{} {}: {}",
            c.outcome.as_str(),
            c.id,
            c.reason
        );
    }
    // Its IPP port refuses plain HTTP (426): the robustness probes go over
    // TLS and reach the IPP parser, which answers some of them 400.
    for c in r.cases.iter().filter(|c| c.id.contains("/robustness/")) {
        let statuses: Vec<u16> = c.evidence.iter().map(|e| e.http_status).collect();
        assert!(!statuses.contains(&426), "{}: {statuses:?}", c.id);
        assert!(statuses.contains(&200), "{}: {statuses:?}", c.id);
    }
    let malformed = r
        .cases
        .iter()
        .find(|c| c.id == "security/robustness/malformed-ipp")
        .unwrap();
    assert!(
        malformed.evidence.iter().any(|e| e.http_status == 400),
        "{:#?}",
        malformed.evidence
    );
    insta::with_settings!({ snapshot_path => "../../reports", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("security-locked-down", view(&r));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wide_open_fires_every_case_it_was_built_for() {
    let r = graded(Preset::WideOpen, "ipp").await;
    let got = outcomes(&r);
    let fired: Vec<&str> = got
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Fail | Outcome::Warn))
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(
        fired,
        [
            "security/authn/anonymous-print",
            "security/authn/cancel-other-users-job",
            "security/authn/pause-printer",
            "security/authn/purge-jobs",
            "security/authn/resume-printer",
            "security/authn/set-printer-attributes",
            "security/exposure/cups-browsed",
            "security/exposure/lpd-port",
            "security/exposure/raw-print-ports",
            "security/snmp/public-community",
            "security/snmp/v3-only",
            "security/snmp/writable-objects",
            "security/snmp/write-community",
            "security/transport/certificate-names-host",
            "security/transport/certificate-not-expired",
            "security/transport/ipps-offered",
            "security/transport/plain-admin",
            "security/transport/plain-print",
            "security/transport/tls-1.2-minimum",
        ],
        "{:#?}",
        r.cases
            .iter()
            .map(|c| format!("{} {}: {}", c.outcome.as_str(), c.id, c.reason))
            .collect::<Vec<_>>()
    );
    // Nothing else is wrong: the rest pass (or, with nothing to challenge,
    // skip).
    for c in &r.cases {
        assert_ne!(c.outcome, Outcome::Error, "{}: {}", c.id, c.reason);
    }
    let sec = r.security.as_ref().unwrap();
    assert_eq!(sec.findings.len(), fired.len());
    assert_eq!(
        sec.findings.first().map(|f| f.severity.as_str()),
        Some("critical")
    );
    let open: Vec<(&str, &str)> = sec
        .exposure
        .iter()
        .filter(|e| e.state == "open")
        .map(|e| (e.service.as_str(), e.transport.as_str()))
        .collect();
    for want in [
        ("IPP", "tcp"),
        ("IPPS", "tcp"),
        ("LPD", "tcp"),
        ("SNMP", "udp"),
        ("CUPS browsing (cups-browsed)", "udp"),
    ] {
        assert!(open.contains(&want), "{want:?} not open: {open:?}");
    }
    assert_eq!(open.iter().filter(|(s, _)| s.starts_with("Raw")).count(), 3);
    insta::with_settings!({ snapshot_path => "../../reports", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("security-wide-open", view(&r));
    });
}
