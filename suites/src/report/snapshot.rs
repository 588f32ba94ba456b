//! The reviewable view of a report: verdicts and findings with everything that
//! differs from run to run (ports, job ids, times, uptime, byte dumps) redacted,
//! so an insta snapshot changes only when grading changes. A security run's
//! view adds its section (exposure rows without their ports, findings).

use regex::Regex;
use serde_json::{json, Value};

use super::Report;

/// Replace volatile values in a line of text.
pub fn redact(text: &str) -> String {
    static RULES: std::sync::OnceLock<Vec<(Regex, &'static str)>> = std::sync::OnceLock::new();
    let rules = RULES.get_or_init(|| {
        RAW_RULES
            .iter()
            .filter_map(|(p, r)| Regex::new(p).ok().map(|re| (re, *r)))
            .collect()
    });
    let mut s = text.to_string();
    for (re, rep) in rules {
        s = re.replace_all(&s, *rep).into_owned();
    }
    s
}

/// Patterns of volatile values and what replaces them.
const RAW_RULES: [(&str, &str); 9] = [
    (r"request-id \d+", "request-id [n]"),
    (r"(127\.0\.0\.1|localhost|\[::1\]):\d+", "$1:[port]"),
    (r"/ipp/print/\d+", "/ipp/print/[job-id]"),
    (
        r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d{2}:?\d{2}|Z)?",
        "[date-time]",
    ),
    (r"(?i)\bjob[- ](id )?\d+\b", "job [job-id]"),
    (
        r"\b(request-id|job-id|notify-subscription-id|printer-up-time|job-printer-up-time|time-at-[a-z]+|printer-state-change-time|printer-config-change-time|queued-job-count|number-of-intervening-jobs) = \d+",
        "$1 = [n]",
    ),
    (r"urn:uuid:[0-9a-f-]{36}", "urn:uuid:[uuid]"),
    (r"\b\d+ ms\b", "[t] ms"),
    (r"after \d+ attempts", "after [n] attempts"),
];

/// The last exchange of each step, in step order.
fn last_per_step(evidence: &[crate::grade::Exchange]) -> Vec<&crate::grade::Exchange> {
    let mut out: Vec<&crate::grade::Exchange> = Vec::new();
    for e in evidence {
        match out.last_mut() {
            Some(last) if last.step == e.step => *last = e,
            _ => out.push(e),
        }
    }
    out
}

impl Report {
    /// The redacted, reviewable view used by the snapshots in `reports/`.
    pub fn snapshot_view(&self) -> Value {
        let cases: Vec<Value> = self
            .cases
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "level": c.level.as_str(),
                    "clause": c.clause,
                    "outcome": c.outcome.as_str(),
                    "reason": redact(&c.reason),
                    "findings": c.findings.iter().map(|f| json!({
                        "step": f.step + 1,
                        "check": f.check,
                        "expected": redact(&f.expected),
                        "actual": redact(&f.actual),
                    })).collect::<Vec<_>>(),
                    // One line per step: the last answer (a step that repeats
                    // until a state is reached may take a different number of
                    // tries from run to run).
                    "exchanges": last_per_step(&c.evidence).iter().map(|e| json!({
                        "step": e.step + 1,
                        "http_status": e.http_status,
                        "answer": redact(e.response_decoded.lines().next().unwrap_or("")),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut view = json!({
            "schema": self.schema,
            "target": redact(&self.target),
            "target_description": self.target_description,
            "strict": self.strict,
            "summary": self.summary,
            "cases": cases,
        });
        if let (Some(sec), Some(obj)) = (&self.security, view.as_object_mut()) {
            // Ports of a test printer are picked by the OS: the rows say
            // which service answered, not where.
            obj.insert(
                "security".into(),
                json!({
                    "policy": sec.policy,
                    "exposure": sec.exposure.iter().map(|r| json!({
                        "service": r.service,
                        "transport": r.transport,
                        "state": r.state,
                        "risk": r.risk,
                        "evidence": redact(&r.evidence),
                    })).collect::<Vec<_>>(),
                    "findings": sec.findings.iter().map(|f| json!({
                        "case": f.case,
                        "severity": f.severity.as_str(),
                        "outcome": f.outcome.as_str(),
                        "evidence": redact(&f.evidence),
                        "fix": f.fix,
                        "cve": f.cve,
                    })).collect::<Vec<_>>(),
                }),
            );
        }
        view
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_volatile_values() {
        assert_eq!(
            redact("ipp://127.0.0.1:40123/ipp/print/17"),
            "ipp://127.0.0.1:[port]/ipp/print/[job-id]"
        );
        assert_eq!(
            redact("printer-up-time = 5 (integer)"),
            "printer-up-time = [n] (integer)"
        );
        assert_eq!(redact("Job 12 accepted"), "job [job-id] accepted");
        assert_eq!(redact("2026-11-22T07:31:33+0000"), "[date-time]");
        assert_eq!(redact("status-message = OK"), "status-message = OK");
    }
}
