//! IPP in a replay: requests rewritten to name the target (its printer-uri,
//! the jobs it created), answers compared with the captured ones by meaning.

use std::collections::{BTreeMap, BTreeSet};

use paperjam_sim::ipp::{Operation, Status};
use paperjam_sim::wire::ipp::{Attribute, DelimiterTag, Message, RawItem, RawMessage, Value};

use super::rules::{ipp_treatment, Treatment};
use super::{Difference, Severity};
use crate::runner::{syntax_name, value_text};

/// What a replay learns as it goes and needs to rewrite and compare.
#[derive(Debug, Clone, Default)]
pub struct IppContext {
    /// The printer's resource path in the capture (`/ipp/` or `/printers/x`).
    pub captured_path: String,
    /// The target's resource path.
    pub target_path: String,
    /// The target's printer URI, put in requests for `printer-uri`.
    pub target_uri: String,
    /// Captured job id → the target's id for the same job.
    pub job_ids: BTreeMap<i32, i32>,
    /// Captured job URI → the target's.
    pub job_uris: BTreeMap<String, String>,
}

impl IppContext {
    /// Learn the target's job from the answers to a job-creating request.
    pub fn learn_job(&mut self, captured: &Message, replayed: &Message) {
        let id = |m: &Message| match m
            .attr(DelimiterTag::JobAttributes, "job-id")
            .and_then(|a| a.first())
        {
            Some(Value::Integer(n)) => Some(*n),
            _ => None,
        };
        let uri = |m: &Message| match m
            .attr(DelimiterTag::JobAttributes, "job-uri")
            .and_then(|a| a.first())
        {
            Some(Value::Uri(u)) => Some(u.clone()),
            _ => None,
        };
        if let (Some(c), Some(r)) = (id(captured), id(replayed)) {
            self.job_ids.insert(c, r);
        }
        if let (Some(c), Some(r)) = (uri(captured), uri(replayed)) {
            self.job_uris.insert(c, r);
        }
    }
}

/// The name of operation `code` (`Print-Job`), or its number.
pub fn operation_name(code: u16) -> String {
    Operation::from_raw(code)
        .name()
        .map_or_else(|| format!("operation 0x{code:04x}"), str::to_string)
}

/// The name of status `code` (`successful-ok`), or its number.
pub fn status_name(code: u16) -> String {
    Status::from_raw(code)
        .name()
        .map_or_else(|| format!("status 0x{code:04x}"), str::to_string)
}

/// Operations that put paper through the printer.
pub fn prints(code: u16) -> bool {
    matches!(
        Operation::from_raw(code).name(),
        Some("Print-Job" | "Print-URI" | "Send-Document" | "Send-URI")
    )
}

/// Operations that change the printer or jobs other than the replay's own
/// (Cancel-Job and the like are allowed on jobs the replay created).
pub fn changes_printer(code: u16) -> bool {
    matches!(
        Operation::from_raw(code).name(),
        Some(
            "Pause-Printer"
                | "Resume-Printer"
                | "Purge-Jobs"
                | "Set-Printer-Attributes"
                | "Enable-Printer"
                | "Disable-Printer"
                | "Restart-Printer"
                | "Shutdown-Printer"
                | "Startup-Printer"
                | "Cancel-Jobs"
                | "Cancel-My-Jobs"
                | "Hold-New-Jobs"
                | "Release-Held-New-Jobs"
                | "Deactivate-Printer"
                | "Activate-Printer"
                | "Pause-Printer-After-Current-Job"
                | "Identify-Printer"
                | "Create-Printer-Subscriptions"
                | "Set-Job-Attributes"
                | "Cancel-Job"
                | "Hold-Job"
                | "Release-Job"
                | "Restart-Job"
        )
    )
}

/// The job ids a request names (`job-id` in the operation group).
pub fn named_job_ids(raw: &RawMessage) -> Vec<i32> {
    raw.items
        .iter()
        .filter_map(|i| match i {
            RawItem::Attribute {
                tag: 0x21,
                name,
                value,
            } if name == b"job-id" => <[u8; 4]>::try_from(value.as_slice())
                .ok()
                .map(i32::from_be_bytes),
            _ => None,
        })
        .collect()
}

/// `request` with `printer-uri` naming the target, job ids and job URIs the
/// target's, and the rest byte for byte as captured.
pub fn rewrite_request(request: &RawMessage, ctx: &IppContext) -> RawMessage {
    let mut out = request.clone();
    for item in &mut out.items {
        let RawItem::Attribute { tag, name, value } = item else {
            continue;
        };
        match (name.as_slice(), *tag) {
            (b"printer-uri", 0x45) => *value = ctx.target_uri.clone().into_bytes(),
            (b"job-id", 0x21) => {
                if let Ok(b) = <[u8; 4]>::try_from(value.as_slice()) {
                    let id = i32::from_be_bytes(b);
                    if let Some(new) = ctx.job_ids.get(&id) {
                        *value = new.to_be_bytes().to_vec();
                    }
                }
            }
            (b"job-uri", 0x45) => {
                let uri = String::from_utf8_lossy(value).into_owned();
                if let Some(new) = ctx.job_uris.get(&uri) {
                    *value = new.clone().into_bytes();
                }
            }
            _ => {}
        }
    }
    out
}

/// A URI with its host and port replaced, the printer's path and job ids
/// mapped, so two printers' URIs compare.
fn normalise_uri(uri: &str, path: &str, jobs: &BTreeMap<i32, i32>, captured: bool) -> String {
    let (scheme, rest) = match uri.split_once("://") {
        Some(x) => x,
        None => return uri.to_string(),
    };
    let resource = rest.find('/').map_or("", |i| &rest[i..]);
    let mut tail = resource.to_string();
    if !path.is_empty() {
        let trimmed = path.trim_end_matches('/');
        if !trimmed.is_empty() && tail.starts_with(trimmed) {
            tail = format!("<printer>{}", &tail[trimmed.len()..]);
        }
    }
    // `…/ipp/` and `…/ipp` name the same resource.
    if tail.len() > 1 {
        tail = tail.trim_end_matches('/').to_string();
    }
    // A trailing number is a job id in every job-uri layout we know
    // (`…/5`, `…/jobs/5`, `…?job-id=5`).
    let digits = tail.chars().rev().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        let (head, num) = tail.split_at(tail.len() - digits);
        if let Ok(n) = num.parse::<i32>() {
            let n = if captured {
                jobs.get(&n).copied().unwrap_or(n)
            } else {
                n
            };
            tail = format!("{head}{n}");
        }
    }
    format!("{scheme}://<host>{tail}")
}

/// A job URI reduced to its scheme and the job it names: printers lay job
/// URIs out differently (`…/print/5`, `…/port1/job-0005`), and what matters
/// is that the URI names the job.
fn job_uri(uri: &str, jobs: &BTreeMap<i32, i32>, captured: bool) -> String {
    let scheme = uri.split_once("://").map_or("", |(s, _)| s);
    let digits: String = uri
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    match digits.parse::<i32>() {
        Ok(n) => {
            let n = if captured {
                jobs.get(&n).copied().unwrap_or(n)
            } else {
                n
            };
            format!("{scheme}://<host>/…<job {n}>")
        }
        Err(_) => format!("{scheme}://<host>/… (no job id at the end)"),
    }
}

/// A value as compared: collections with their members in name order, as
/// member order carries no meaning (RFC 8010 §3.1.6).
fn canonical(v: &Value) -> String {
    match v {
        Value::Collection(c) => {
            let mut members: Vec<String> = c
                .members
                .iter()
                .map(|m| {
                    let vals: Vec<String> = m.values.iter().map(canonical).collect();
                    format!("{}={}", m.name, vals.join(","))
                })
                .collect();
            members.sort();
            format!("{{{}}}", members.join(" "))
        }
        other => value_text(other),
    }
}

fn values_text(
    name: &str,
    values: &[Value],
    ctx: &IppContext,
    captured: bool,
) -> Option<Vec<String>> {
    let path = if captured {
        &ctx.captured_path
    } else {
        &ctx.target_path
    };
    match ipp_treatment(name) {
        Treatment::SyntaxOnly => None,
        Treatment::JobId => Some(
            values
                .iter()
                .map(|v| match v {
                    Value::Integer(n) if captured => {
                        ctx.job_ids.get(n).copied().unwrap_or(*n).to_string()
                    }
                    other => value_text(other),
                })
                .collect(),
        ),
        Treatment::Uri if name == "job-uri" => Some(
            values
                .iter()
                .map(|v| match v {
                    Value::Uri(u) => job_uri(u, &ctx.job_ids, captured),
                    other => value_text(other),
                })
                .collect(),
        ),
        Treatment::Uri | Treatment::Exact => Some(
            values
                .iter()
                .map(|v| match v {
                    Value::Uri(u) => normalise_uri(u, path, &ctx.job_ids, captured),
                    other => canonical(other),
                })
                .collect(),
        ),
    }
}

fn group_name(tag: DelimiterTag) -> &'static str {
    match tag {
        DelimiterTag::OperationAttributes => "operation",
        DelimiterTag::JobAttributes => "job",
        DelimiterTag::PrinterAttributes => "printer",
        DelimiterTag::UnsupportedAttributes => "unsupported",
        DelimiterTag::SubscriptionAttributes => "subscription",
        DelimiterTag::EventNotificationAttributes => "event",
        DelimiterTag::DocumentAttributes => "document",
        _ => "other",
    }
}

/// The groups of `m` by tag, in order, each occurrence numbered.
fn groups(m: &Message) -> BTreeMap<(String, usize), Vec<&Attribute>> {
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for g in &m.groups {
        let name = group_name(g.tag);
        let n = seen.entry(name).or_default();
        *n += 1;
        out.insert((name.to_string(), *n), g.attributes.iter().collect());
    }
    out
}

fn cut(s: &str) -> String {
    const MAX: usize = 300;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}

fn find<'a>(list: &[&'a Attribute], name: &str) -> Option<&'a Attribute> {
    list.iter().find(|a| a.name == name).copied()
}

/// Every difference between a captured answer and the target's, after the
/// rules of normalisation ([`super::rules::ipp_rules`]).
pub fn diff(captured: &Message, replayed: &Message, ctx: &IppContext) -> Vec<Difference> {
    let mut out = Vec::new();
    if captured.code != replayed.code {
        out.push(Difference {
            check: "status-code".into(),
            captured: status_name(captured.code),
            replayed: status_name(replayed.code),
            severity: Severity::Fail,
        });
    }
    if captured.version != replayed.version {
        out.push(Difference {
            check: "version-number".into(),
            captured: format!("{}.{}", captured.version.0, captured.version.1),
            replayed: format!("{}.{}", replayed.version.0, replayed.version.1),
            severity: Severity::Warn,
        });
    }
    let cg = groups(captured);
    let rg = groups(replayed);
    let count =
        |g: &BTreeMap<(String, usize), _>, name: &str| g.keys().filter(|(n, _)| n == name).count();
    let names: BTreeSet<&String> = cg.keys().chain(rg.keys()).map(|(n, _)| n).collect();
    for name in names {
        let (c, r) = (count(&cg, name), count(&rg, name));
        if c != r {
            out.push(Difference {
                check: format!("{name} groups"),
                captured: c.to_string(),
                replayed: r.to_string(),
                severity: if r < c {
                    Severity::Fail
                } else {
                    Severity::Warn
                },
            });
        }
    }
    for (key, cattrs) in &cg {
        let Some(rattrs) = rg.get(key) else { continue };
        let label = if count(&cg, &key.0) > 1 {
            format!("{} group {}", key.0, key.1)
        } else {
            format!("{} group", key.0)
        };
        let mut extra = Vec::new();
        for ra in rattrs {
            if find(cattrs, &ra.name).is_none() && !extra.contains(&ra.name) {
                extra.push(ra.name.clone());
            }
        }
        for ca in cattrs {
            // status-message is free text: present or not is what matters.
            let free_text = matches!(
                ca.name.as_str(),
                "status-message" | "detailed-status-message"
            );
            let Some(ra) = find(rattrs, &ca.name) else {
                if free_text {
                    continue;
                }
                out.push(Difference {
                    check: format!("{label}: {}", ca.name),
                    captured: cut(&ca.to_string()),
                    replayed: "(missing)".into(),
                    severity: Severity::Fail,
                });
                continue;
            };
            let syntaxes = |a: &Attribute| {
                let mut s: Vec<String> = a.values.iter().map(syntax_name).collect();
                s.dedup();
                s.join("|")
            };
            let (cs, rs) = (syntaxes(ca), syntaxes(ra));
            if cs != rs {
                out.push(Difference {
                    check: format!("{label}: {} syntax", ca.name),
                    captured: cs,
                    replayed: rs,
                    severity: Severity::Fail,
                });
                continue;
            }
            if free_text {
                continue;
            }
            let cv = values_text(&ca.name, &ca.values, ctx, true);
            let rv = values_text(&ra.name, &ra.values, ctx, false);
            if cv != rv {
                out.push(Difference {
                    check: format!("{label}: {} value", ca.name),
                    captured: cut(&cv.unwrap_or_default().join(",")),
                    replayed: cut(&rv.unwrap_or_default().join(",")),
                    severity: Severity::Warn,
                });
            }
        }
        if !extra.is_empty() {
            out.push(Difference {
                check: format!("{label}: attributes the capture does not have"),
                captured: "(none)".into(),
                replayed: cut(&extra.join(", ")),
                severity: Severity::Warn,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use paperjam_sim::wire::ipp::Group;

    fn answer(status: u16, attrs: Vec<Attribute>) -> Message {
        let mut m = Message::new((2, 0), status, 1);
        let mut op = Group::new(DelimiterTag::OperationAttributes);
        op.push(Attribute::new(
            "attributes-charset",
            Value::Charset("utf-8".into()),
        ));
        m.groups.push(op);
        let mut g = Group::new(DelimiterTag::PrinterAttributes);
        g.attributes = attrs;
        m.groups.push(g);
        m
    }

    fn ctx() -> IppContext {
        IppContext {
            captured_path: "/ipp/".into(),
            target_path: "/ipp/print".into(),
            target_uri: "ipp://127.0.0.1:8631/ipp/print".into(),
            ..IppContext::default()
        }
    }

    #[test]
    fn the_same_answer_has_no_difference() {
        let a = answer(
            0,
            vec![Attribute::new("printer-name", Value::Name("x".into()))],
        );
        assert!(diff(&a, &a, &ctx()).is_empty());
    }

    #[test]
    fn times_addresses_and_job_ids_are_normalised() {
        let mut c = ctx();
        c.job_ids.insert(7, 1);
        let captured = answer(
            0,
            vec![
                Attribute::new("printer-up-time", Value::Integer(5)),
                Attribute::new(
                    "printer-uri-supported",
                    Value::Uri("ipp://10.0.0.7:631/ipp/".into()),
                ),
                Attribute::new("job-id", Value::Integer(7)),
                Attribute::new("job-uri", Value::Uri("ipp://10.0.0.7:631/ipp/7".into())),
            ],
        );
        let replayed = answer(
            0,
            vec![
                Attribute::new("printer-up-time", Value::Integer(99)),
                Attribute::new(
                    "printer-uri-supported",
                    Value::Uri("ipp://127.0.0.1:8631/ipp/print".into()),
                ),
                Attribute::new("job-id", Value::Integer(1)),
                Attribute::new(
                    "job-uri",
                    Value::Uri("ipp://127.0.0.1:8631/ipp/print/1".into()),
                ),
            ],
        );
        assert_eq!(diff(&captured, &replayed, &c), vec![]);
    }

    #[test]
    fn differences_are_graded() {
        let captured = answer(
            0,
            vec![
                Attribute::new("printer-name", Value::Name("a".into())),
                Attribute::new("color-supported", Value::Boolean(true)),
                Attribute::new(
                    "copies-supported",
                    Value::RangeOfInteger { lower: 1, upper: 9 },
                ),
            ],
        );
        let replayed = answer(
            0x0400,
            vec![
                Attribute::new("printer-name", Value::Name("b".into())),
                Attribute::new("copies-supported", Value::Integer(1)),
                Attribute::new("sides-supported", Value::Keyword("one-sided".into())),
            ],
        );
        let d = diff(&captured, &replayed, &ctx());
        let checks: Vec<(&str, Severity)> =
            d.iter().map(|d| (d.check.as_str(), d.severity)).collect();
        assert!(checks.contains(&("status-code", Severity::Fail)));
        assert!(checks.contains(&("printer group: printer-name value", Severity::Warn)));
        assert!(checks.contains(&("printer group: color-supported", Severity::Fail)));
        assert!(checks.contains(&("printer group: copies-supported syntax", Severity::Fail)));
        assert!(checks.contains(&(
            "printer group: attributes the capture does not have",
            Severity::Warn
        )));
        assert_eq!(d.len(), 5, "{d:#?}");
    }

    #[test]
    fn requests_are_rewritten_for_the_target() {
        let mut c = ctx();
        c.job_ids.insert(42, 3);
        let mut req = RawMessage::new([1, 1], 0x0009, 5);
        req.items.push(RawItem::Delimiter(1));
        req.items.push(RawItem::attribute(
            0x45,
            "printer-uri",
            "ipp://10.0.0.7/ipp/",
        ));
        req.items.push(RawItem::attribute(
            0x21,
            "job-id",
            42i32.to_be_bytes().to_vec(),
        ));
        let out = rewrite_request(&req, &c);
        assert_eq!(named_job_ids(&out), vec![3]);
        assert!(out.items.contains(&RawItem::attribute(
            0x45,
            "printer-uri",
            "ipp://127.0.0.1:8631/ipp/print"
        )));
        assert_eq!(out.request_id, 5);
    }

    #[test]
    fn operations_are_classified() {
        assert!(prints(0x0002));
        assert!(!prints(0x000b));
        assert!(changes_printer(0x0010));
        assert_eq!(operation_name(0x000b), "Get-Printer-Attributes");
        assert_eq!(status_name(0), "successful-ok");
    }
}
