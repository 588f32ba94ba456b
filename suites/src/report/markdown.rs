//! The report as Markdown, for a pull request, an issue or a terminal.
//!
//! Layout: a title with the target, a summary table by level, a table by
//! section, then every failure (MUST before SHOULD before MAY) with its
//! requirement, `Expect:` / `Actual:` per finding and the decoded exchanges,
//! then cases without a verdict, then skips with their reasons, then a compact
//! list of passes. Text that came from the target only ever appears inside
//! fenced blocks (whose fence is longer than any run of backticks inside) or
//! escaped, so a printer cannot inject Markdown or HTML into the report.

use std::fmt::Write as _;

use super::security::SecuritySection;
use super::{evidence_text, findings_text, percent, Report, Tally, LEVELS};
use crate::grade::{CaseResult, Outcome};
use crate::security::spec::Severity;

/// The whole report as Markdown.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# paperjam conformance report: {}\n", inline(&r.target));
    if !r.target_description.is_empty() {
        let _ = writeln!(s, "{}\n", inline(&r.target_description));
    }
    let _ = writeln!(
        s,
        "Schema `{}`; {} cases; {}.\n",
        inline(&r.schema),
        r.cases.len(),
        if r.strict {
            "strict (a missed SHOULD is a failure)"
        } else {
            "not strict (a missed SHOULD is a warning)"
        }
    );
    s.push_str("## Summary by level\n\n");
    s.push_str(&summary_table(r));
    s.push_str("\n## Summary by section\n\n");
    s.push_str(&section_table(r));
    if !r.notes.is_empty() {
        s.push_str("\n## What reading the capture got past\n\n");
        for n in &r.notes {
            let _ = writeln!(s, "- {}", inline(n));
        }
    }
    if !r.normalisation.is_empty() {
        s.push_str(
            "\n## What the replay normalised\n\n| rule | applies to | treatment |\n|---|---|---|\n",
        );
        for n in &r.normalisation {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                code(&n.name),
                inline(&n.applies_to).replace('|', "\\|"),
                inline(&n.treatment).replace('|', "\\|")
            );
        }
    }

    if let Some(sec) = &r.security {
        s.push_str(&security_section(sec));
    }

    let mut failures: Vec<&CaseResult> = r
        .cases
        .iter()
        .filter(|c| matches!(c.verdict(r.strict), Outcome::Fail | Outcome::Warn))
        .collect();
    failures.sort_by(|a, b| {
        (a.level, a.verdict(r.strict) != Outcome::Fail, &a.id).cmp(&(
            b.level,
            b.verdict(r.strict) != Outcome::Fail,
            &b.id,
        ))
    });
    let _ = writeln!(s, "\n## Failures and warnings ({})\n", failures.len());
    if failures.is_empty() {
        s.push_str("None.\n");
    }
    for c in failures {
        case_detail(&mut s, r, c);
    }

    let errors: Vec<&CaseResult> = by_outcome(r, Outcome::Error);
    if !errors.is_empty() {
        let _ = writeln!(s, "\n## No verdict ({})\n", errors.len());
        for c in errors {
            case_detail(&mut s, r, c);
        }
    }

    let skips = by_outcome(r, Outcome::Skip);
    let _ = writeln!(s, "\n## Skipped ({})\n", skips.len());
    if skips.is_empty() {
        s.push_str("None.\n");
    }
    for c in skips {
        let _ = writeln!(
            s,
            "- {} ({}, {}): {}",
            code(&c.id),
            c.level.as_str(),
            inline(&c.clause),
            inline(&c.reason)
        );
    }

    let passes = by_outcome(r, Outcome::Pass);
    let _ = writeln!(s, "\n## Passed ({})\n", passes.len());
    if passes.is_empty() {
        s.push_str("None.\n");
    }
    for c in passes {
        let _ = writeln!(
            s,
            "- {} {} ({} ms)",
            code(&c.id),
            inline(&c.title),
            c.elapsed_ms
        );
    }
    s
}

/// The security section: the policy, the exposure table, then the
/// findings by severity (critical first), each with its evidence and fix.
pub fn security_section(sec: &SecuritySection) -> String {
    let mut s = String::from("\n## Security\n\n");
    let _ = writeln!(s, "Policy: {}\n", inline(&sec.policy));
    let _ = writeln!(s, "### Exposure ({} ports probed)\n", sec.exposure.len());
    if sec.exposure.is_empty() {
        s.push_str("No port was probed.\n");
    } else {
        s.push_str("| Service | Port | State | Risk | Evidence |\n|---|--:|---|---|---|\n");
        for e in &sec.exposure {
            let _ = writeln!(
                s,
                "| {} | {}/{} | {} | {} | {} |",
                inline(&e.service),
                e.port,
                inline(&e.transport),
                inline(&e.state),
                inline(&e.risk),
                inline(&e.evidence)
            );
        }
    }
    let _ = writeln!(s, "\n### Findings ({})\n", sec.findings.len());
    if sec.findings.is_empty() {
        s.push_str("No finding.\n");
    }
    for sev in Severity::ALL {
        let list: Vec<_> = sec.of_severity(sev).collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "#### {} ({})\n", capitalised(sev.as_str()), list.len());
        for f in list {
            let _ = writeln!(
                s,
                "- **{}** {} — {}",
                f.outcome.as_str().to_uppercase(),
                code(&f.case),
                inline(&f.title)
            );
            let _ = writeln!(s, "  - Evidence: {}", inline(&f.evidence));
            let _ = writeln!(s, "  - Fix: {}", inline(&f.fix));
            if !f.cve.is_empty() {
                let cves: Vec<String> = f.cve.iter().map(|c| inline(c)).collect();
                let _ = writeln!(s, "  - CVE: {}", cves.join(", "));
            }
            if !f.references.is_empty() {
                let refs: Vec<String> = f.references.iter().map(|c| inline(c)).collect();
                let _ = writeln!(s, "  - References: {}", refs.join("; "));
            }
        }
        s.push('\n');
    }
    s
}

fn capitalised(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The table by level: MUST, SHOULD, MAY and a total, with the score
/// `(pass + skip) / total`.
pub fn summary_table(r: &Report) -> String {
    let mut s = table_head("Level");
    for level in LEVELS {
        let t = r
            .summary
            .by_level
            .get(level.as_str())
            .cloned()
            .unwrap_or_default();
        row(&mut s, level.as_str(), &t);
    }
    row(&mut s, "**All**", &r.summary.all);
    s
}

/// The table by spec section (`RFC 8011 §4.1`).
pub fn section_table(r: &Report) -> String {
    let mut s = table_head("Section");
    for (section, t) in &r.summary.by_section {
        row(&mut s, &inline(section), t);
    }
    s
}

fn table_head(first: &str) -> String {
    format!(
        "| {first} | Pass | Warn | Fail | Skip | Error | Total | Score |\n|---|--:|--:|--:|--:|--:|--:|--:|\n"
    )
}

fn row(s: &mut String, name: &str, t: &Tally) {
    let _ = writeln!(
        s,
        "| {name} | {} | {} | {} | {} | {} | {} | {} |",
        t.pass,
        t.warn,
        t.fail,
        t.skip,
        t.error,
        t.total(),
        percent(t)
    );
}

fn by_outcome(r: &Report, o: Outcome) -> Vec<&CaseResult> {
    r.cases
        .iter()
        .filter(|c| c.verdict(r.strict) == o)
        .collect()
}

fn case_detail(s: &mut String, r: &Report, c: &CaseResult) {
    let _ = writeln!(
        s,
        "### {} {} — {}\n",
        c.verdict(r.strict).as_str().to_uppercase(),
        code(&c.id),
        inline(&c.title)
    );
    let _ = writeln!(
        s,
        "- Clause: {}\n- Level: {}\n- Time: {} ms\n",
        inline(&c.clause),
        c.level.as_str(),
        c.elapsed_ms
    );
    let _ = writeln!(s, "> {}\n", inline(&c.requirement));
    if !c.reason.is_empty() {
        let _ = writeln!(s, "Reason: {}\n", inline(&c.reason));
    }
    for k in r.known_for(&c.id) {
        let _ = writeln!(
            s,
            "Matches a known misbehaviour: {} — {} Seen on {}: <{}>\n",
            code(&k.quirk),
            inline(&k.summary),
            inline(&k.seen_on),
            k.reference
        );
    }
    if !c.findings.is_empty() {
        s.push_str(&fenced("text", &findings_text(c)));
    }
    if !c.evidence.is_empty() {
        s.push_str("Exchanges:\n\n");
        s.push_str(&fenced("text", &evidence_text(c)));
    }
}

/// A fenced block whose fence is longer than any run of backticks in `body`.
pub fn fenced(info: &str, body: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
    let mut s = format!("{fence}{info}\n{body}");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(&fence);
    s.push_str("\n\n");
    s
}

/// A code span that survives backticks inside.
pub fn code(text: &str) -> String {
    let text = one_line(text);
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Text for running prose or a table cell: one line, Markdown and HTML
/// punctuation backslash-escaped.
pub fn inline(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for ch in one_line(text).chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '!' | '~'
        ) {
            s.push('\\');
        }
        s.push(ch);
    }
    s
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn every_outcome_has_its_place() {
        let md = render(&fixture::report(false));
        assert!(md.contains("## Summary by level"));
        assert!(
            md.contains("| MUST | 1 | 0 | 1 | 1 | 1 | 4 | 50.0% |"),
            "{md}"
        );
        assert!(
            md.contains("| SHOULD | 0 | 1 | 0 | 0 | 0 | 1 | 0.0% |"),
            "{md}"
        );
        assert!(
            md.contains("| **All** | 2 | 1 | 1 | 1 | 1 | 6 | 50.0% |"),
            "{md}"
        );
        assert!(md.contains("| RFC 8011 §4.1 |"));
        for heading in [
            "### FAIL `ipp/rfc8011/4.1.1/bad-request-id-0`",
            "### WARN `ipp/rfc8011/4.1.6/status-message`",
            "### ERROR `ipp/rfc8011/4.2/no-printer-uri`",
            "## Skipped (1)",
            "## Passed (2)",
        ] {
            assert!(md.contains(heading), "{heading} missing:\n{md}");
        }
        assert!(md.contains("  Expect: client-error-bad-request\n"));
        assert!(md.contains("  Actual: successful-ok"));
        assert!(md.contains("--- step 1 response: HTTP 200, 4096 bytes, 3 ms"));
        assert!(md.contains("without --allow-print"));
        // MUST failures come before SHOULD warnings.
        let fail = md.find("### FAIL").unwrap_or(usize::MAX);
        let warn = md.find("### WARN").unwrap_or(0);
        assert!(fail < warn);
    }

    #[test]
    fn security_section_by_severity() {
        let mut r = fixture::report(false);
        assert!(!render(&r).contains("## Security"));
        r.security = Some(crate::report::security::fixture::section());
        let md = render(&r);
        assert!(md.contains("## Security\n"), "{md}");
        assert!(
            md.contains(
                "| IPP | 631/tcp | open | print data in clear text | HTTP/1.1 200 \\<script\\>"
            ),
            "{md}"
        );
        assert!(
            md.contains("| LPD | 515/tcp | closed |  | connection refused |"),
            "{md}"
        );
        assert!(md.contains("### Findings (3)"));
        let crit = md.find("#### Critical (1)").unwrap_or(usize::MAX);
        let high = md.find("#### High (1)").unwrap_or(0);
        let medium = md.find("#### Medium (1)").unwrap_or(0);
        assert!(crit < high && high < medium, "{md}");
        assert!(md.contains(
            "- **FAIL** `security/snmp/write-community` — title of security/snmp/write-community"
        ));
        assert!(md.contains("- **WARN** `security/transport/plain-print`"));
        assert!(md.contains("  - Fix: Turn it off \\<script\\>"));
        assert!(md.contains("  - CVE: CVE-2024-47176"));
        // The security section comes before the failures.
        assert!(md.find("## Security").unwrap_or(usize::MAX) < md.find("## Failures").unwrap_or(0));
        let section = security_section(&crate::report::security::fixture::section());
        assert!(!section.contains("<script>"), "{section}");
        let mut empty = crate::report::security::fixture::section();
        empty.findings.clear();
        assert!(security_section(&empty).contains("No finding."));
    }

    #[test]
    fn strict_turns_warnings_into_failures() {
        let md = render(&fixture::report(true));
        assert!(md.contains("### FAIL `ipp/rfc8011/4.1.6/status-message`"));
        assert!(!md.contains("### WARN"));
    }

    #[test]
    fn target_text_cannot_escape() {
        let md = render(&fixture::report(false));
        // Outside fences, no raw HTML and no raw pipes from the target.
        let mut in_fence: Option<String> = None;
        for line in md.lines() {
            let ticks: String = line.chars().take_while(|c| *c == '`').collect();
            if ticks.len() >= 3 {
                match &in_fence {
                    Some(f) if *f == ticks => in_fence = None,
                    None => in_fence = Some(ticks),
                    _ => {}
                }
                continue;
            }
            if in_fence.is_none() {
                assert!(!line.contains("<script>"), "unescaped: {line}");
            }
        }
        assert!(in_fence.is_none(), "unclosed fence");
        // The fence around text containing ``` is longer than three backticks.
        assert!(md.contains("````text\n"));
        assert_eq!(inline("a|b<c>"), "a\\|b\\<c\\>");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
    }
}
