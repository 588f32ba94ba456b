//! The report as one self-contained HTML page: inline CSS, no script, no
//! external resource, readable from a file on disk.
//!
//! Layout: a head with the target, the summary by level and by section with
//! stacked score bars, a table of every case coloured by outcome (a CSS-only
//! filter by outcome where the browser knows `:has`), then every case as a
//! `<details>` element that opens on click: the quoted requirement, expected
//! against actual for each finding, and each exchange decoded, with its hex in
//! a further collapsed `<details>`. A security run adds a "Security"
//! section after the summary: the policy, the exposure table, and the
//! findings by severity with the fix for each. Everything that is not our
//! own markup is escaped.

use std::fmt::Write as _;

use super::security::SecuritySection;
use super::{percent, Report, Tally, LEVELS};
use crate::grade::{CaseResult, Exchange, Outcome};
use crate::security::spec::Severity;

const OUTCOMES: [Outcome; 5] = [
    Outcome::Fail,
    Outcome::Warn,
    Outcome::Error,
    Outcome::Skip,
    Outcome::Pass,
];

const CSS: &str = r#"
:root { --pass:#2e7d32; --warn:#c77700; --fail:#c62828; --skip:#78909c; --error:#6a1b9a;
  --pass-bg:#e8f5e9; --warn-bg:#fff3e0; --fail-bg:#ffebee; --skip-bg:#eceff1; --error-bg:#f3e5f5; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 4rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2rem; }
code, pre { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .88em; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #fafafa; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #555; margin-top: 0; }
.bar { display: flex; height: .9rem; min-width: 10rem; border: 1px solid #ccc; background: #fff; }
.bar span { display: block; height: 100%; }
.bar .pass, .badge.pass { background: var(--pass); } .bar .warn, .badge.warn { background: var(--warn); }
.bar .fail, .badge.fail { background: var(--fail); } .bar .skip, .badge.skip { background: var(--skip); }
.bar .error, .badge.error { background: var(--error); }
.badge { color: #fff; border-radius: 3px; padding: 0 .4rem; font-size: .8em; font-weight: 600; text-transform: uppercase; }
tr.pass td { background: var(--pass-bg); } tr.warn td { background: var(--warn-bg); }
tr.fail td { background: var(--fail-bg); } tr.skip td { background: var(--skip-bg); }
tr.error td { background: var(--error-bg); }
details.case { border: 1px solid #ddd; border-left: .4rem solid var(--skip); margin: .4rem 0; padding: .3rem .6rem; }
details.case.pass { border-left-color: var(--pass); } details.case.warn { border-left-color: var(--warn); }
details.case.fail { border-left-color: var(--fail); } details.case.error { border-left-color: var(--error); }
details summary { cursor: pointer; }
details.ex, details.hex { margin: .4rem 0 .4rem 1rem; }
blockquote { margin: .5rem 0; padding: .2rem .8rem; border-left: 3px solid #bbb; color: #333; background: #fafafa; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: .6rem; }
@media (max-width: 50rem) { .pair { grid-template-columns: 1fr; } }
.filter { margin: .5rem 0; } .filter label { margin-right: .8rem; }
body:has(#show-fail:checked) .row:not(.fail), body:has(#show-warn:checked) .row:not(.warn),
body:has(#show-error:checked) .row:not(.error), body:has(#show-skip:checked) .row:not(.skip),
body:has(#show-pass:checked) .row:not(.pass) { display: none; }
.sev { color: #fff; border-radius: 3px; padding: 0 .4rem; font-size: .8em; font-weight: 600; text-transform: uppercase; }
.sev.critical { background: #7b1fa2; } .sev.high { background: var(--fail); } .sev.medium { background: var(--warn); }
.sev.low { background: #1565c0; } .sev.info { background: var(--skip); }
div.finding { border: 1px solid #ddd; border-left: .4rem solid var(--warn); margin: .4rem 0; padding: .3rem .6rem; }
div.finding.fail { border-left-color: var(--fail); }
"#;

/// The whole report as one HTML document.
pub fn render(r: &Report) -> String {
    let mut s = String::with_capacity(16 * 1024 + r.cases.len() * 4096);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>paperjam report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&r.target)
    );
    let _ = writeln!(
        s,
        "<header>\n<h1>paperjam conformance report</h1>\n<p class=\"meta\">Target <code>{}</code>{}</p>\n\
         <p class=\"meta\">Schema <code>{}</code> · {} cases · {}</p>\n</header>",
        esc(&r.target),
        if r.target_description.is_empty() {
            String::new()
        } else {
            format!(" — {}", esc(&r.target_description))
        },
        esc(&r.schema),
        r.cases.len(),
        if r.strict {
            "strict: a missed SHOULD is a failure"
        } else {
            "not strict: a missed SHOULD is a warning"
        }
    );

    s.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<h3>By level</h3>\n");
    tally_table(
        &mut s,
        "Level",
        LEVELS
            .iter()
            .map(|l| {
                (
                    l.as_str().to_string(),
                    r.summary
                        .by_level
                        .get(l.as_str())
                        .cloned()
                        .unwrap_or_default(),
                )
            })
            .chain(std::iter::once(("All".to_string(), r.summary.all.clone()))),
    );
    s.push_str("<h3>By section</h3>\n");
    tally_table(
        &mut s,
        "Section",
        r.summary
            .by_section
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    s.push_str("</section>\n");
    if !r.notes.is_empty() {
        s.push_str("<section id=\"notes\">\n<h2>What reading the capture got past</h2>\n<ul>\n");
        for n in &r.notes {
            let _ = writeln!(s, "<li>{}</li>", esc(n));
        }
        s.push_str("</ul>\n</section>\n");
    }
    if !r.normalisation.is_empty() {
        s.push_str("<section id=\"normalisation\">\n<h2>What the replay normalised</h2>\n<table>\n<tr><th>Rule</th><th>Applies to</th><th>Treatment</th></tr>\n");
        for n in &r.normalisation {
            let _ = writeln!(
                s,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&n.name),
                esc(&n.applies_to),
                esc(&n.treatment)
            );
        }
        s.push_str("</table>\n</section>\n");
    }

    if let Some(sec) = &r.security {
        security_section(&mut s, sec);
    }

    s.push_str("<section id=\"cases\">\n<h2>Cases</h2>\n<div class=\"filter\">Show: ");
    s.push_str("<label><input type=\"radio\" name=\"show\" id=\"show-all\" checked> all</label>");
    for o in OUTCOMES {
        let n = r.cases.iter().filter(|c| c.verdict(r.strict) == o).count();
        let _ = write!(
            s,
            "<label><input type=\"radio\" name=\"show\" id=\"show-{0}\"> {0} ({n})</label>",
            o.as_str()
        );
    }
    s.push_str("</div>\n<table>\n<tr><th>Outcome</th><th>Case</th><th>Level</th><th>Clause</th><th>Title</th><th>Time</th></tr>\n");
    for (i, c) in r.cases.iter().enumerate() {
        let o = c.verdict(r.strict).as_str();
        let _ = writeln!(
            s,
            "<tr class=\"row {o}\"><td><span class=\"badge {o}\">{o}</span></td>\
             <td><a href=\"#{}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{} ms</td></tr>",
            anchor(i, &c.id),
            esc(&c.id),
            c.level.as_str(),
            esc(&c.clause),
            esc(&c.title),
            c.elapsed_ms
        );
    }
    s.push_str("</table>\n</section>\n");

    s.push_str("<section id=\"details\">\n<h2>Details</h2>\n<p class=\"meta\">Click a case to open it. Failures come first.</p>\n");
    let mut order: Vec<(usize, &CaseResult)> = r.cases.iter().enumerate().collect();
    order.sort_by_key(|(i, c)| {
        let rank = OUTCOMES
            .iter()
            .position(|o| *o == c.verdict(r.strict))
            .unwrap_or(OUTCOMES.len());
        (rank, c.level, *i)
    });
    for (i, c) in order {
        case_details(&mut s, r, i, c);
    }
    s.push_str("</section>\n</body>\n</html>\n");
    s
}

/// The security section: policy, exposure table, findings by severity.
fn security_section(s: &mut String, sec: &SecuritySection) {
    let _ = writeln!(
        s,
        "<section id=\"security\">\n<h2>Security</h2>\n<p class=\"meta\">Policy: {}</p>",
        esc(&sec.policy)
    );
    let _ = writeln!(s, "<h3>Exposure ({} ports probed)</h3>", sec.exposure.len());
    if !sec.exposure.is_empty() {
        s.push_str("<table class=\"exposure\">\n<tr><th>Service</th><th>Port</th><th>State</th><th>Risk</th><th>Evidence</th></tr>\n");
        for e in &sec.exposure {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td class=\"n\">{}/{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&e.service),
                e.port,
                esc(&e.transport),
                esc(&e.state),
                esc(&e.risk),
                esc(&e.evidence)
            );
        }
        s.push_str("</table>\n");
    }
    let _ = writeln!(s, "<h3>Findings ({})</h3>", sec.findings.len());
    if sec.findings.is_empty() {
        s.push_str("<p>No finding.</p>\n");
    }
    for sev in Severity::ALL {
        for f in sec.of_severity(sev) {
            let o = f.outcome.as_str();
            let _ = writeln!(
                s,
                "<div class=\"finding {o}\"><p><span class=\"sev {0}\">{0}</span> <span class=\"badge {o}\">{o}</span> \
                 <code>{1}</code> — {2}</p>\n<p><strong>Evidence:</strong> {3}</p>\n<p><strong>Fix:</strong> {4}</p>",
                sev.as_str(),
                esc(&f.case),
                esc(&f.title),
                esc(&f.evidence),
                esc(&f.fix)
            );
            if !f.cve.is_empty() {
                let cves: Vec<String> = f.cve.iter().map(|c| esc(c)).collect();
                let _ = writeln!(s, "<p><strong>CVE:</strong> {}</p>", cves.join(", "));
            }
            if !f.references.is_empty() {
                let refs: Vec<String> = f.references.iter().map(|c| esc(c)).collect();
                let _ = writeln!(s, "<p><strong>References:</strong> {}</p>", refs.join("; "));
            }
            s.push_str("</div>\n");
        }
    }
    s.push_str("</section>\n");
}

fn tally_table(s: &mut String, first: &str, rows: impl Iterator<Item = (String, Tally)>) {
    let _ = writeln!(
        s,
        "<table>\n<tr><th>{first}</th><th>Pass</th><th>Warn</th><th>Fail</th><th>Skip</th><th>Error</th><th>Total</th><th>Score</th><th></th></tr>"
    );
    for (name, t) in rows {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&name),
            t.pass,
            t.warn,
            t.fail,
            t.skip,
            t.error,
            t.total(),
            esc(&percent(&t)),
            bar(&t)
        );
    }
    s.push_str("</table>\n");
}

/// A stacked bar, one segment per outcome, widths in proportion.
fn bar(t: &Tally) -> String {
    let total = f64::from(t.total().max(1));
    let mut s = format!(
        "<div class=\"bar\" title=\"pass {} · warn {} · fail {} · skip {} · error {}\">",
        t.pass, t.warn, t.fail, t.skip, t.error
    );
    for (class, n) in [
        ("pass", t.pass),
        ("skip", t.skip),
        ("warn", t.warn),
        ("fail", t.fail),
        ("error", t.error),
    ] {
        if n > 0 {
            let _ = write!(
                s,
                "<span class=\"{class}\" style=\"width:{:.2}%\"></span>",
                f64::from(n) * 100.0 / total
            );
        }
    }
    s.push_str("</div>");
    s
}

fn case_details(s: &mut String, r: &Report, i: usize, c: &CaseResult) {
    let o = c.verdict(r.strict).as_str();
    let _ = writeln!(
        s,
        "<details class=\"case row {o}\" id=\"{}\">\n<summary><span class=\"badge {o}\">{o}</span> \
         <code>{}</code> — {} <small>({} · {} · {} ms)</small></summary>",
        anchor(i, &c.id),
        esc(&c.id),
        esc(&c.title),
        c.level.as_str(),
        esc(&c.clause),
        c.elapsed_ms
    );
    let _ = writeln!(
        s,
        "<blockquote>{} <small>— {}</small></blockquote>",
        esc(&c.requirement),
        esc(&c.clause)
    );
    if !c.reason.is_empty() {
        let _ = writeln!(s, "<p><strong>Reason:</strong> {}</p>", esc(&c.reason));
    }
    for k in r.known_for(&c.id) {
        let _ = writeln!(
            s,
            "<p class=\"known\"><strong>Matches a known misbehaviour:</strong> <code>{}</code> — {} Seen on {}: <a href=\"{}\">{}</a></p>",
            esc(&k.quirk),
            esc(&k.summary),
            esc(&k.seen_on),
            esc(&k.reference),
            esc(&k.reference)
        );
    }
    if !c.findings.is_empty() {
        s.push_str("<table class=\"findings\">\n<tr><th>Step</th><th>Check</th><th>Expected</th><th>Actual</th></tr>\n");
        for f in &c.findings {
            let _ = writeln!(
                s,
                "<tr><td class=\"n\">{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                f.step + 1,
                esc(&f.check),
                esc(&f.expected),
                esc(&f.actual)
            );
        }
        s.push_str("</table>\n");
    }
    if !c.evidence.is_empty() {
        s.push_str("<h4>Evidence</h4>\n");
        for e in &c.evidence {
            exchange(s, e);
        }
    }
    s.push_str("</details>\n");
}

fn exchange(s: &mut String, e: &Exchange) {
    let _ = writeln!(
        s,
        "<details class=\"ex\">\n<summary>Step {}: request {} bytes → HTTP {}, {} bytes, {} ms</summary>\n\
         <div class=\"pair\"><div><h5>Request</h5><pre>{}</pre></div><div><h5>Response</h5><pre>{}</pre></div></div>\n\
         <details class=\"hex\"><summary>Hex</summary>\n<h5>Request</h5><pre>{}</pre>\n<h5>Response</h5><pre>{}</pre>\n</details>\n</details>",
        e.step + 1,
        e.request_bytes,
        e.http_status,
        e.response_bytes,
        e.elapsed_ms,
        esc(&e.request_decoded),
        esc(&e.response_decoded),
        esc(&hex_dump(&e.request_hex)),
        esc(&hex_dump(&e.response_hex)),
    );
}

/// A hex string (two digits a byte, maybe ending in `…`) as lines of 16
/// bytes with offsets.
pub fn hex_dump(hex: &str) -> String {
    let digits: Vec<char> = hex.chars().filter(char::is_ascii_hexdigit).collect();
    let mut s = String::with_capacity(digits.len() * 2);
    for (line, chunk) in digits.chunks(32).enumerate() {
        let _ = write!(s, "{:06x} ", line * 16);
        for pair in chunk.chunks(2) {
            s.push(' ');
            s.extend(pair);
        }
        s.push('\n');
    }
    if hex.ends_with('…') {
        s.push_str("… (cut)\n");
    }
    s
}

/// A unique, safe `id` attribute for a case.
fn anchor(i: usize, id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("case-{i}-{clean}")
}

/// Text escaped for HTML element content and quoted attribute values;
/// control characters other than newline and tab become U+FFFD.
pub fn esc(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            '\n' | '\t' => s.push(c),
            c if c.is_control() => s.push('\u{FFFD}'),
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn escapes_everything() {
        let html = render(&fixture::report(false));
        assert!(!html.contains("<script>"), "raw script tag in the page");
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        );
        assert!(!html.contains('\u{1}'));
        assert_eq!(esc("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
    }

    #[test]
    fn self_contained_with_every_outcome() {
        let html = render(&fixture::report(false));
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<style>"));
        for forbidden in ["<script", "<link", "src=\"http", "href=\"http"] {
            assert!(!html.contains(forbidden), "{forbidden}");
        }
        for o in ["pass", "warn", "fail", "skip", "error"] {
            assert!(html.contains(&format!("<tr class=\"row {o}\">")), "{o}");
            assert!(
                html.contains(&format!("<details class=\"case row {o}\"")),
                "{o}"
            );
        }
        assert!(html.contains("<h2>Summary</h2>"));
        assert!(html.contains("<td>RFC 8011 §4.1</td>"));
        assert!(html.contains("<td><code>client-error-bad-request</code></td>"));
        assert!(html.contains("<details class=\"hex\">"));
        // Balanced folding elements.
        assert_eq!(
            html.matches("<details").count(),
            html.matches("</details>").count()
        );
        // The failure's details come before the pass's.
        let fail = html
            .find("<details class=\"case row fail\"")
            .unwrap_or(usize::MAX);
        let pass = html.find("<details class=\"case row pass\"").unwrap_or(0);
        assert!(fail < pass);
    }

    #[test]
    fn security_section_escaped_and_ordered() {
        let mut r = fixture::report(false);
        assert!(!render(&r).contains("id=\"security\""));
        r.security = Some(crate::report::security::fixture::section());
        let html = render(&r);
        assert!(html.contains("<section id=\"security\">"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("<td class=\"n\">631/tcp</td>"), "{html}");
        assert!(html.contains("<strong>Fix:</strong> Turn it off &lt;script&gt;"));
        let crit = html
            .find("<span class=\"sev critical\">")
            .unwrap_or(usize::MAX);
        let medium = html.find("<span class=\"sev medium\">").unwrap_or(0);
        assert!(crit < medium);
        assert!(
            html.find("id=\"security\"").unwrap_or(usize::MAX)
                < html.find("id=\"cases\"").unwrap_or(0)
        );
    }

    #[test]
    fn bars_and_hex() {
        let t = Tally {
            pass: 3,
            fail: 1,
            ..Tally::default()
        };
        let b = bar(&t);
        assert!(b.contains("class=\"pass\" style=\"width:75.00%\""));
        assert!(b.contains("class=\"fail\" style=\"width:25.00%\""));
        assert!(!b.contains("class=\"warn\""));
        let d = hex_dump(&("00".repeat(17) + "…"));
        assert_eq!(
            d,
            "000000  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n000010  00\n… (cut)\n"
        );
    }
}
