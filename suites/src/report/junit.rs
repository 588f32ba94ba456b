//! The report as JUnit XML, for CI systems that show test results.
//!
//! One `<testsuite>` per spec section ([`section_of`]), one `<testcase>` per
//! case (name = case id, classname = clause). A failure's message is the
//! case's one-line reason; its body holds an `Expect:` / `Actual:` pair per
//! finding (as h2spec writes them), the quoted requirement and the decoded
//! exchanges. Skips are `<skipped>` with the reason, cases without a verdict
//! are `<error>`, and a missed SHOULD is a pass with the warning in
//! `<system-out>` — unless the report is strict, where it is a failure.
//! In a security run, the body of a failing or warning case also names its
//! severity and the fix (the setting to change).

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::{evidence_text, findings_text, section_of, Report};
use crate::grade::{CaseResult, Outcome};

/// The whole report as JUnit XML.
pub fn render(r: &Report) -> Result<String, quick_junit::SerializeError> {
    let mut out = quick_junit::Report::new(format!("paperjam {}", r.target));
    let mut suites: BTreeMap<String, TestSuite> = BTreeMap::new();
    let mut total_ms = 0u64;
    for c in &r.cases {
        total_ms = total_ms.saturating_add(c.elapsed_ms);
        let section = section_of(&c.clause);
        let suite = suites.entry(section.clone()).or_insert_with(|| {
            let mut s = TestSuite::new(section);
            s.add_property(Property::new("target", r.target.as_str()));
            s.add_property(Property::new(
                "target-description",
                r.target_description.as_str(),
            ));
            s.add_property(Property::new("strict", r.strict.to_string()));
            s.add_property(Property::new("schema", r.schema.as_str()));
            s
        });
        suite.add_test_case(test_case(r, c));
    }
    for (_, mut s) in suites {
        let ms: u64 = s
            .test_cases
            .iter()
            .filter_map(|t| t.time)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .fold(0u64, u64::saturating_add);
        s.set_time(Duration::from_millis(ms));
        out.add_test_suite(s);
    }
    out.set_time(Duration::from_millis(total_ms));
    out.to_string()
}

fn test_case(r: &Report, c: &CaseResult) -> TestCase {
    let head = format!(
        "{} {}: {}\n> {}\n",
        c.level.as_str(),
        c.clause,
        c.title,
        c.requirement
    );
    let body = |reason: &str| {
        let mut b = head.clone();
        if !reason.is_empty() {
            b.push_str(&format!("Reason: {reason}\n"));
        }
        b.push_str(&crate::known::lines(r.known_for(&c.id)));
        if let Some(f) = r.security.as_ref().and_then(|sec| sec.finding(&c.id)) {
            b.push_str(&format!(
                "Severity: {}\nFix: {}\n",
                f.severity.as_str(),
                f.fix
            ));
            if !f.cve.is_empty() {
                b.push_str(&format!("CVE: {}\n", f.cve.join(", ")));
            }
        }
        let findings = findings_text(c);
        if !findings.is_empty() {
            b.push('\n');
            b.push_str(&findings);
        }
        let evidence = evidence_text(c);
        if !evidence.is_empty() {
            b.push('\n');
            b.push_str(&evidence);
        }
        b
    };
    let status = match c.verdict(r.strict) {
        Outcome::Pass | Outcome::Warn => TestCaseStatus::success(),
        Outcome::Fail => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(message(c))
                .set_type(c.level.as_str())
                .set_description(body(""));
            st
        }
        Outcome::Error => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message(message(c))
                .set_type("no verdict")
                .set_description(body(""));
            st
        }
        Outcome::Skip => {
            let mut st = TestCaseStatus::skipped();
            st.set_message(c.reason.as_str());
            st
        }
    };
    let mut t = TestCase::new(c.id.as_str(), status);
    t.set_classname(c.clause.as_str());
    t.set_time(Duration::from_millis(c.elapsed_ms));
    if c.verdict(r.strict) == Outcome::Warn {
        t.set_system_out(format!(
            "WARN (missed a {})\n{}",
            c.level.as_str(),
            body(&c.reason)
        ));
    }
    t
}

fn message(c: &CaseResult) -> String {
    if c.reason.is_empty() {
        format!("{} {}: {}", c.level.as_str(), c.clause, c.title)
    } else {
        c.reason.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    fn parse(xml: &str) -> quick_junit::Report {
        match quick_junit::Report::deserialize_from_str(xml) {
            Ok(r) => r,
            Err(e) => panic!("not JUnit XML: {e}\n{xml}"),
        }
    }

    fn find<'a>(r: &'a quick_junit::Report, id: &str) -> &'a TestCase {
        r.test_suites
            .iter()
            .flat_map(|s| s.test_cases.iter())
            .find(|t| t.name.as_str() == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    }

    #[test]
    fn round_trips_with_every_outcome() {
        let xml = render(&fixture::report(false)).unwrap_or_else(|e| panic!("{e}"));
        assert!(xml.starts_with("<?xml"));
        assert!(!xml.contains("<script>"));
        let back = parse(&xml);
        let names: Vec<&str> = back.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["RFC 8011 §4.1", "RFC 8011 §4.2"]);
        assert_eq!(back.tests, 6);
        assert_eq!(back.failures, 1);
        assert_eq!(back.errors, 1);

        let fail = find(&back, "ipp/rfc8011/4.1.1/bad-request-id-0");
        assert_eq!(
            fail.classname.as_ref().map(|c| c.as_str()),
            Some("RFC 8011 §4.1.1")
        );
        match &fail.status {
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                message,
                description,
                ..
            } => {
                assert!(message.as_ref().is_some_and(|m| m.contains("<script>")));
                let d = description.as_ref().map(|d| d.as_str()).unwrap_or("");
                assert!(d.contains("Expect: client-error-bad-request"), "{d}");
                assert!(d.contains("Actual: successful-ok"), "{d}");
                assert!(d.contains("--- step 1 request (8 bytes)"), "{d}");
            }
            other => panic!("{other:?}"),
        }
        let skip = find(&back, "ipp/rfc8011/4.2.1/print-job");
        match &skip.status {
            TestCaseStatus::Skipped { message, .. } => {
                assert!(message
                    .as_ref()
                    .is_some_and(|m| m.contains("--allow-print")));
            }
            other => panic!("{other:?}"),
        }
        let err = find(&back, "ipp/rfc8011/4.2/no-printer-uri");
        assert!(matches!(
            err.status,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Error,
                ..
            }
        ));
        let warn = find(&back, "ipp/rfc8011/4.1.6/status-message");
        assert!(matches!(warn.status, TestCaseStatus::Success { .. }));
        assert!(warn
            .system_out
            .as_ref()
            .is_some_and(|o| o.contains("WARN") && o.contains("Expect: present")));
    }

    #[test]
    fn security_failures_carry_the_fix() {
        let mut r = fixture::report(false);
        let mut sec = crate::report::security::fixture::section();
        sec.findings[0].case = "ipp/rfc8011/4.1.1/bad-request-id-0".into();
        r.security = Some(sec);
        let xml = render(&r).unwrap_or_else(|e| panic!("{e}"));
        let back = parse(&xml);
        match &find(&back, "ipp/rfc8011/4.1.1/bad-request-id-0").status {
            TestCaseStatus::NonSuccess { description, .. } => {
                let d = description.as_ref().map(|d| d.as_str()).unwrap_or("");
                assert!(
                    d.contains("Severity: critical\nFix: Turn it off <script>"),
                    "{d}"
                );
                assert!(d.contains("CVE: CVE-2024-47176"), "{d}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn strict_warnings_fail() {
        let xml = render(&fixture::report(true)).unwrap_or_else(|e| panic!("{e}"));
        let back = parse(&xml);
        assert_eq!(back.failures, 2);
        let warn = find(&back, "ipp/rfc8011/4.1.6/status-message");
        assert!(matches!(
            warn.status,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                ..
            }
        ));
    }
}
