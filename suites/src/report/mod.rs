//! The report: one versioned JSON document that every other format is drawn from.
//!
//! [`Report`] is the source of truth (its fields are documented in
//! `suites/REPORT-SCHEMA.md`); the renderers turn it into documents for people
//! and tools:
//! - [`markdown`]: a summary by level and section, failures first, with evidence;
//! - [`html`]: one self-contained page with score bars and folded evidence;
//! - [`junit`]: JUnit XML for CI, `Expect:` / `Actual:` in every failure;
//! - [`security`]: the security suite's section (exposure table, findings
//!   by severity with their fixes), rendered by each of the above.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::grade::{CaseResult, Exchange, Outcome};
use crate::spec::Level;

pub mod html;
pub mod junit;
pub mod markdown;
pub mod security;
pub mod snapshot;

/// The schema version of [`Report`]; bumped on any incompatible change.
pub const SCHEMA: &str = "paperjam-report/1";

/// Counts of outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Passed.
    pub pass: u32,
    /// SHOULD missed.
    pub warn: u32,
    /// Failed.
    pub fail: u32,
    /// Skipped.
    pub skip: u32,
    /// No verdict.
    pub error: u32,
}

impl Tally {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Warn => self.warn += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Skip => self.skip += 1,
            Outcome::Error => self.error += 1,
        }
    }

    /// All cases counted.
    pub fn total(&self) -> u32 {
        self.pass + self.warn + self.fail + self.skip + self.error
    }

    /// `(pass + skip) / total`, 1.0 when there is nothing.
    pub fn score(&self) -> f64 {
        match self.total() {
            0 => 1.0,
            t => f64::from(self.pass + self.skip) / f64::from(t),
        }
    }
}

/// Scores for the report's head.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Everything.
    pub all: Tally,
    /// By level (`MUST`, `SHOULD`, `MAY`).
    pub by_level: BTreeMap<String, Tally>,
    /// By spec section: the clause without its last component (`RFC 8011 §4.1`).
    pub by_section: BTreeMap<String, Tally>,
}

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: String,
    /// The target URI.
    pub target: String,
    /// What the target says it is (`printer-make-and-model`), if known.
    pub target_description: String,
    /// Whether warnings count as failures.
    pub strict: bool,
    /// Scores.
    pub summary: Summary,
    /// Every case, in id order.
    pub cases: Vec<CaseResult>,
    /// For each case that did not pass: the misbehaviour seen on real
    /// printers that it matches, with the public report.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub known: BTreeMap<String, Vec<crate::known::KnownMisbehaviour>>,
    /// For a replay: what was normalised before the captured and the
    /// target's answers were compared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub normalisation: Vec<crate::replay::rules::Rule>,
    /// For a replay: what reading the capture had to get past (truncated
    /// frames, gaps, unknown link types), each naming its frame.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// For the security suite: the exposure table and the findings by
    /// severity, each with its fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<security::SecuritySection>,
}

/// The section a clause belongs to: `RFC 8011 §4.1.1` → `RFC 8011 §4.1`.
///
/// A clause that cites several places (`RFC 8010 §3.1.6, PWG 5100.7 §6.9`)
/// belongs to the section of the first.
pub fn section_of(clause: &str) -> String {
    let clause = clause.split([',', ';']).next().unwrap_or(clause).trim();
    match clause.rsplit_once('§') {
        Some((spec, num)) => {
            let parts: Vec<&str> = num.split('.').collect();
            let keep = if parts.len() > 2 {
                &parts[..2]
            } else {
                &parts[..]
            };
            format!("{spec}§{}", keep.join("."))
        }
        None => clause.to_string(),
    }
}

impl Report {
    /// A report from results.
    pub fn new(
        target: &str,
        description: &str,
        strict: bool,
        mut cases: Vec<CaseResult>,
    ) -> Report {
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        let mut summary = Summary::default();
        for c in &cases {
            let o = c.verdict(strict);
            summary.all.add(o);
            summary
                .by_level
                .entry(c.level.as_str().to_string())
                .or_default()
                .add(o);
            summary
                .by_section
                .entry(section_of(&c.clause))
                .or_default()
                .add(o);
        }
        let known = cases
            .iter()
            .filter(|c| {
                matches!(
                    c.verdict(strict),
                    Outcome::Fail | Outcome::Warn | Outcome::Error
                )
            })
            .map(|c| (c.id.clone(), crate::known::for_result(c)))
            .filter(|(_, k)| !k.is_empty())
            .collect();
        Report {
            known,
            schema: SCHEMA.to_string(),
            target: target.to_string(),
            target_description: description.to_string(),
            strict,
            summary,
            cases,
            normalisation: Vec::new(),
            notes: Vec::new(),
            security: None,
        }
    }

    /// The known misbehaviours case `id` matches.
    pub fn known_for(&self, id: &str) -> &[crate::known::KnownMisbehaviour] {
        self.known.get(id).map_or(&[], Vec::as_slice)
    }

    /// Whether every MUST held (warnings count under `strict`).
    pub fn musts_pass(&self) -> bool {
        self.cases
            .iter()
            .filter(|c| c.level == Level::Must || self.strict)
            .all(|c| !matches!(c.verdict(self.strict), Outcome::Fail))
    }

    /// The JSON document.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// A report read back from its JSON document (any `paperjam-report/1` document).
    pub fn from_json(text: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The three levels in report order.
pub const LEVELS: [Level; 3] = [Level::Must, Level::Should, Level::May];

/// A score as a percentage with one decimal (`87.5%`), `—` when nothing was counted.
pub fn percent(t: &Tally) -> String {
    if t.total() == 0 {
        "—".to_string()
    } else {
        format!("{:.1}%", t.score() * 100.0)
    }
}

/// Findings as plain text, h2spec style: one `Expect:` / `Actual:` pair per finding.
pub fn findings_text(c: &CaseResult) -> String {
    let mut s = String::new();
    for f in &c.findings {
        s.push_str(&format!(
            "step {}: {}\n  Expect: {}\n  Actual: {}\n",
            f.step + 1,
            f.check,
            f.expected,
            f.actual
        ));
    }
    s
}

/// A case that did not pass, for a test failure message: verdict, id,
/// level, clause, reason, the requirement, then its findings.
pub fn failure_text(c: &CaseResult) -> String {
    let mut s = format!(
        "{} {} ({} {}): {}\nrequirement: {}\n",
        c.outcome.as_str().to_uppercase(),
        c.id,
        c.level.as_str(),
        c.clause,
        c.reason,
        c.requirement
    );
    s.push_str(&findings_text(c));
    s
}

/// One exchange as plain text: the decoded request, then the decoded answer.
pub fn exchange_text(e: &Exchange) -> String {
    let mut s = format!(
        "--- step {} request ({} bytes)\n{}",
        e.step + 1,
        e.request_bytes,
        e.request_decoded
    );
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(&format!(
        "--- step {} response: HTTP {}, {} bytes, {} ms\n{}",
        e.step + 1,
        e.http_status,
        e.response_bytes,
        e.elapsed_ms,
        e.response_decoded
    ));
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Every exchange of a case as plain text.
pub fn evidence_text(c: &CaseResult) -> String {
    c.evidence.iter().map(exchange_text).collect()
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A report with every outcome and hostile text, for the renderers' tests.

    use super::Report;
    use crate::grade::{CaseResult, Exchange, Finding, Outcome};
    use crate::spec::Level;

    /// Text that breaks every format that forgets to escape.
    pub const NASTY: &str = "<script>alert('x')</script> & \"q\" | `tick` ```fence``` ]]> \u{1}";

    fn case(id: &str, level: Level, outcome: Outcome) -> CaseResult {
        CaseResult {
            id: id.to_string(),
            level,
            clause: format!("RFC 8011 §{}", id.split('/').nth(2).unwrap_or("4.1")),
            title: format!("title of {id}"),
            requirement: format!("The Printer {} do it.", level.as_str()),
            outcome,
            reason: String::new(),
            findings: Vec::new(),
            evidence: Vec::new(),
            elapsed_ms: 12,
        }
    }

    /// One case of each outcome, a warning at SHOULD, a failure at MUST.
    pub fn report(strict: bool) -> Report {
        let mut fail = case(
            "ipp/rfc8011/4.1.1/bad-request-id-0",
            Level::Must,
            Outcome::Fail,
        );
        fail.reason = format!("status: expected client-error-bad-request, got {NASTY}");
        fail.findings.push(Finding {
            step: 0,
            check: "status".into(),
            expected: "client-error-bad-request".into(),
            actual: format!("successful-ok {NASTY}"),
        });
        fail.evidence.push(Exchange {
            step: 0,
            request_hex: "0200000b00000000".into(),
            request_bytes: 8,
            request_decoded: "version 2.0, code 0x000b (Get-Printer-Attributes), request-id 0\n"
                .into(),
            http_status: 200,
            response_hex: "02000000000000000103".repeat(5) + "…",
            response_bytes: 4096,
            response_decoded: format!("operation-attributes-tag:\n  status-message = {NASTY}\n"),
            elapsed_ms: 3,
        });
        let mut warn = case(
            "ipp/rfc8011/4.1.6/status-message",
            Level::Should,
            Outcome::Warn,
        );
        warn.reason = "status-message: expected present, got absent".into();
        warn.findings.push(Finding {
            step: 0,
            check: "status-message".into(),
            expected: "present".into(),
            actual: "absent".into(),
        });
        let mut skip = case("ipp/rfc8011/4.2.1/print-job", Level::Must, Outcome::Skip);
        skip.reason = "prints paper; not run on a real printer without --allow-print".into();
        let mut error = case(
            "ipp/rfc8011/4.2/no-printer-uri",
            Level::Must,
            Outcome::Error,
        );
        error.reason = "step 1: connection failed: reset <by peer>".into();
        let pass = case(
            "ipp/rfc8011/4.1.1/request-id-echoed",
            Level::Must,
            Outcome::Pass,
        );
        let may = case("ipp/rfc8011/4.1.8/may-thing", Level::May, Outcome::Pass);
        Report::new(
            &format!("ipp://127.0.0.1:631/ipp/print?{NASTY}"),
            &format!("Virtual Laser {NASTY}"),
            strict,
            vec![pass, fail, warn, skip, error, may],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        assert_eq!(section_of("RFC 8011 §4.1.1"), "RFC 8011 §4.1");
        assert_eq!(section_of("RFC 8011 §4.2"), "RFC 8011 §4.2");
        assert_eq!(section_of("PWG 5100.14 §5.1"), "PWG 5100.14 §5.1");
        assert_eq!(section_of("whatever"), "whatever");
        assert_eq!(
            section_of("RFC 8010 §3.1.6, PWG 5100.7 §6.9"),
            "RFC 8010 §3.1"
        );
        assert_eq!(section_of("RFC 8010 §3.1.6, §3.1"), "RFC 8010 §3.1");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(&Tally::default()), "—");
        let t = Tally {
            pass: 7,
            fail: 1,
            ..Tally::default()
        };
        assert_eq!(percent(&t), "87.5%");
    }

    #[test]
    fn fixture_has_every_outcome() {
        let r = fixture::report(false);
        for o in ["pass", "warn", "fail", "skip", "error"] {
            assert!(r.cases.iter().any(|c| c.outcome.as_str() == o), "{o}");
        }
        let strict = fixture::report(true);
        assert_eq!(strict.summary.all.warn, 0);
        assert_eq!(strict.summary.all.fail, 2);
    }

    #[test]
    fn json_round_trip() {
        let r = fixture::report(false);
        let back = Report::from_json(&r.to_json()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.schema, SCHEMA);
        assert_eq!(back.summary.all, r.summary.all);
        assert_eq!(back.cases.len(), r.cases.len());
        assert_eq!(back.cases[0].findings, r.cases[0].findings);
    }

    #[test]
    fn security_section_is_optional() {
        let mut r = fixture::report(false);
        assert!(!r.to_json().contains("\"security\""));
        assert!(Report::from_json(&r.to_json())
            .unwrap_or_else(|e| panic!("{e}"))
            .security
            .is_none());
        r.security = Some(security::fixture::section());
        let back = Report::from_json(&r.to_json()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.security, r.security);
    }
}
