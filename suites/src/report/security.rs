//! The security section of a report: which of the printer's ports answer
//! and what each risks (the exposure table), and one finding per security
//! case that failed or warned, worst first, each with the fix — the
//! setting to change.
//!
//! It is an optional field of [`super::Report`] (`security`), present only
//! for a run of the security suite, so every `paperjam-report/1` document
//! stays readable.

use serde::{Deserialize, Serialize};

use crate::grade::{CaseResult, Outcome};
use crate::security::spec::{SecurityCase, Severity};

/// Longest `evidence` text of a finding, in characters.
pub const EVIDENCE_MAX: usize = 400;

/// The security section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecuritySection {
    /// The policy graded against: its name and every setting.
    pub policy: String,
    /// Every port probed, with its state and risk.
    pub exposure: Vec<ExposureRow>,
    /// One per case that failed or warned, by severity (critical first), then id.
    pub findings: Vec<SecurityFinding>,
}

/// One probed port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExposureRow {
    /// What is expected there (`IPP`, `LPD`, `SNMP`, …).
    pub service: String,
    /// `tcp` or `udp`.
    pub transport: String,
    /// The port.
    pub port: u16,
    /// What was seen: `open`, `closed`, `filtered`, `answers`, `silent`, ….
    pub state: String,
    /// What an open port risks (empty when nothing answers).
    pub risk: String,
    /// What answered, briefly (a banner, a status line, an answer's size).
    pub evidence: String,
}

/// A security case that failed or warned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityFinding {
    /// The case id.
    pub case: String,
    /// How bad it is.
    pub severity: Severity,
    /// `fail` or `warn` (not strictness-adjusted: see the case's verdict).
    pub outcome: Outcome,
    /// The case's title.
    pub title: String,
    /// What was seen, in one short paragraph.
    pub evidence: String,
    /// The setting to change.
    pub fix: String,
    /// CVE ids.
    #[serde(default)]
    pub cve: Vec<String>,
    /// Where the advice comes from.
    #[serde(default)]
    pub references: Vec<String>,
}

impl SecuritySection {
    /// The section for `results` of `cases`: a finding for each result
    /// that failed or warned (results without a case are left out).
    pub fn new(
        policy: String,
        exposure: Vec<ExposureRow>,
        cases: &[SecurityCase],
        results: &[CaseResult],
    ) -> SecuritySection {
        let mut findings: Vec<SecurityFinding> = results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Warn))
            .filter_map(|r| {
                let c = cases.iter().find(|c| c.id == r.id)?;
                Some(SecurityFinding {
                    case: r.id.clone(),
                    severity: c.severity,
                    outcome: r.outcome,
                    title: c.title.clone(),
                    evidence: short_evidence(r),
                    fix: c.fix.clone(),
                    cve: c.cve.clone(),
                    references: c.references.clone(),
                })
            })
            .collect();
        findings.sort_by(|a, b| (a.severity, &a.case).cmp(&(b.severity, &b.case)));
        SecuritySection {
            policy,
            exposure,
            findings,
        }
    }

    /// The finding of case `id`, if it has one.
    pub fn finding(&self, id: &str) -> Option<&SecurityFinding> {
        self.findings.iter().find(|f| f.case == id)
    }

    /// The findings of one severity.
    pub fn of_severity(&self, s: Severity) -> impl Iterator<Item = &SecurityFinding> + '_ {
        self.findings.iter().filter(move |f| f.severity == s)
    }
}

/// The reason, then the first finding's expected/actual, cut to
/// [`EVIDENCE_MAX`] characters.
pub fn short_evidence(r: &CaseResult) -> String {
    let mut s = r.reason.clone();
    if let Some(f) = r.findings.first() {
        let pair = format!("{}: expected {}, got {}", f.check, f.expected, f.actual);
        if !s.contains(&pair) {
            if !s.is_empty() {
                s.push_str(" — ");
            }
            s.push_str(&pair);
        }
    }
    cut(&s, EVIDENCE_MAX)
}

/// `s` cut to `max` characters, `…` marking the cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A security section with hostile text, for the renderers' tests.

    use super::*;
    use crate::report::fixture::NASTY;

    /// Two exposure rows and three findings of different severities.
    pub fn section() -> SecuritySection {
        let finding = |case: &str, severity, outcome| SecurityFinding {
            case: case.to_string(),
            severity,
            outcome,
            title: format!("title of {case}"),
            evidence: format!("seen: {NASTY}"),
            fix: format!("Turn it off {NASTY}"),
            cve: vec!["CVE-2024-47176".into()],
            references: vec!["RFC 8011 §9".into()],
        };
        SecuritySection {
            policy: format!("built-in defaults {NASTY}"),
            exposure: vec![
                ExposureRow {
                    service: "IPP".into(),
                    transport: "tcp".into(),
                    port: 631,
                    state: "open".into(),
                    risk: "print data in clear text".into(),
                    evidence: format!("HTTP/1.1 200 {NASTY}"),
                },
                ExposureRow {
                    service: "LPD".into(),
                    transport: "tcp".into(),
                    port: 515,
                    state: "closed".into(),
                    risk: String::new(),
                    evidence: "connection refused".into(),
                },
            ],
            findings: vec![
                finding(
                    "security/snmp/write-community",
                    Severity::Critical,
                    Outcome::Fail,
                ),
                finding(
                    "security/authn/pause-printer",
                    Severity::High,
                    Outcome::Fail,
                ),
                finding(
                    "security/transport/plain-print",
                    Severity::Medium,
                    Outcome::Warn,
                ),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Level;

    fn case(id: &str, severity: Severity) -> SecurityCase {
        SecurityCase {
            id: id.into(),
            level: Level::Must,
            clause: "c".into(),
            title: format!("title {id}"),
            requirement: "r".into(),
            severity,
            references: vec!["ref".into()],
            cve: vec![],
            fix: format!("fix {id}"),
            probe: "mdns".into(),
            policy: None,
            changes: false,
            disruptive: false,
            source: String::new(),
        }
    }

    fn result(id: &str, o: Outcome, reason: &str) -> CaseResult {
        let mut r = CaseResult::start(id, Level::Must, "c", "t", "r");
        r.outcome = o;
        r.reason = reason.into();
        r
    }

    #[test]
    fn findings_by_severity_then_id() {
        let cases = [
            case("security/a/low", Severity::Low),
            case("security/b/crit", Severity::Critical),
            case("security/a/crit", Severity::Critical),
            case("security/c/pass", Severity::Critical),
        ];
        let results = [
            result("security/a/low", Outcome::Warn, "w"),
            result("security/b/crit", Outcome::Fail, "f"),
            result("security/a/crit", Outcome::Fail, "f"),
            result("security/c/pass", Outcome::Pass, ""),
            result("security/d/uncased", Outcome::Fail, ""),
        ];
        let s = SecuritySection::new("p".into(), vec![], &cases, &results);
        let ids: Vec<&str> = s.findings.iter().map(|f| f.case.as_str()).collect();
        assert_eq!(
            ids,
            ["security/a/crit", "security/b/crit", "security/a/low"]
        );
        assert_eq!(s.findings[2].outcome, Outcome::Warn);
        assert_eq!(
            s.finding("security/a/low").map(|f| f.fix.as_str()),
            Some("fix security/a/low")
        );
        assert_eq!(s.of_severity(Severity::Critical).count(), 2);
    }

    #[test]
    fn evidence_is_short() {
        let mut r = result("x", Outcome::Fail, &"y".repeat(1000));
        r.findings.push(crate::grade::Finding {
            step: 0,
            check: "status".into(),
            expected: "refused".into(),
            actual: "successful-ok".into(),
        });
        let e = short_evidence(&r);
        assert_eq!(e.chars().count(), EVIDENCE_MAX);
        assert!(e.ends_with('…'));
        let r2 = CaseResult {
            reason: "accepted".into(),
            ..r
        };
        assert_eq!(
            short_evidence(&r2),
            "accepted — status: expected refused, got successful-ok"
        );
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
    }

    #[test]
    fn json_round_trip() {
        let s = fixture::section();
        let text = serde_json::to_string(&s).unwrap_or_default();
        let back: SecuritySection = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, s);
        assert!(text.contains("\"severity\":\"critical\""), "{text}");
    }
}
