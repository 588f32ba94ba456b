//! Runs cases against a target through its protocol, exactly as a client
//! would, and grades what comes back.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use paperjam_sim::ipp::{Operation, Status};
use paperjam_sim::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value};

use crate::attrs::{assemble, parse_attr};
use crate::client::{ClientError, Connection, HttpReply, HttpRequest, TargetUri};
use crate::grade::{hex, CaseResult, Exchange, Finding, Outcome};
use crate::spec::{Case, Condition, Expect, Level, Requirement, Step};

/// How polite to be and what is allowed.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Run cases that print paper.
    pub allow_print: bool,
    /// Run cases that change settings, pause the printer or cancel jobs.
    pub allow_changes: bool,
    /// Most pages printing cases may use (None: no limit once printing is allowed).
    pub page_budget: Option<u32>,
    /// Time limit of one request.
    pub timeout: Duration,
    /// Folder of test documents.
    pub documents: PathBuf,
    /// `requesting-user-name`.
    pub user: String,
}

impl RunOptions {
    /// Options for a virtual printer of our own: everything allowed.
    pub fn virtual_printer(documents: PathBuf) -> RunOptions {
        RunOptions {
            allow_print: true,
            allow_changes: true,
            page_budget: None,
            timeout: Duration::from_secs(30),
            documents,
            user: "paperjam".into(),
        }
    }
}

/// A runner bound to one target.
pub struct Runner {
    target: TargetUri,
    opts: RunOptions,
    features: Result<Message, String>,
    pages_used: AtomicU32,
    next_id: AtomicU32,
}

/// The syntax name of a value, as ipptool and the RFCs write it (the value
/// tag's name; `collection` for a collection).
pub fn syntax_name(v: &Value) -> String {
    match v {
        Value::Collection(_) => "collection".to_string(),
        other => other.tag().to_string(),
    }
}

fn syntax_matches(allowed: &str, v: &Value) -> bool {
    let actual = syntax_name(v);
    allowed.split('|').map(str::trim).any(|a| {
        a == actual
            || (a == "text" && matches!(v, Value::Text(_) | Value::TextWithLanguage { .. }))
            || (a == "name" && matches!(v, Value::Name(_) | Value::NameWithLanguage { .. }))
    })
}

/// A value as text, for comparisons and reports (an octetString of printable
/// ASCII as that text, others in hex).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Integer(n) | Value::Enum(n) => n.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Text(s)
        | Value::Name(s)
        | Value::Keyword(s)
        | Value::Uri(s)
        | Value::UriScheme(s)
        | Value::Charset(s)
        | Value::NaturalLanguage(s)
        | Value::MimeMediaType(s) => s.clone(),
        Value::TextWithLanguage { text, .. } => text.clone(),
        Value::NameWithLanguage { name, .. } => name.clone(),
        Value::RangeOfInteger { lower, upper } => format!("{lower}-{upper}"),
        // Most octetStrings in IPP are key=value text (printer-supply, printer-alert).
        Value::OctetString(b) if b.iter().all(|c| (0x20..0x7f).contains(c)) => {
            String::from_utf8_lossy(b).into_owned()
        }
        Value::OutOfBand(_) => syntax_name(v),
        other => other.to_string(),
    }
}

/// The delimiter tag a check's `group` names.
pub fn group_tag(name: &str) -> Option<DelimiterTag> {
    Some(match name {
        "operation" => DelimiterTag::OperationAttributes,
        "job" => DelimiterTag::JobAttributes,
        "printer" => DelimiterTag::PrinterAttributes,
        "unsupported" => DelimiterTag::UnsupportedAttributes,
        "subscription" => DelimiterTag::SubscriptionAttributes,
        "event" => DelimiterTag::EventNotificationAttributes,
        "document" => DelimiterTag::DocumentAttributes,
        other => DelimiterTag::from_u8(
            other
                .strip_prefix("0x")
                .and_then(|h| u8::from_str_radix(h, 16).ok())?,
        ),
    })
}

/// An operation by name or `0x…`.
pub fn operation_code(s: &str) -> Option<u16> {
    if let Some(h) = s.strip_prefix("0x") {
        return u16::from_str_radix(h, 16).ok();
    }
    (0..=0x0100u16).find(|c| Operation::from_raw(*c).name() == Some(s))
}

fn status_name(code: u16) -> String {
    Status::from_raw(code)
        .name()
        .map(str::to_string)
        .unwrap_or_else(|| format!("0x{code:04x}"))
}

/// An IPP message as text for evidence: header, then each group's
/// attributes with their syntaxes.
pub fn describe(m: &Message, request: bool) -> String {
    let code = if request {
        format!(
            "operation 0x{:04x} ({})",
            m.code,
            Operation::from_raw(m.code)
                .name()
                .unwrap_or("unknown operation")
        )
    } else {
        format!("status 0x{:04x} ({})", m.code, status_name(m.code))
    };
    let mut s = format!(
        "version {}.{}, {code}, request-id {}\n",
        m.version.0, m.version.1, m.request_id
    );
    for g in &m.groups {
        s.push_str(&format!("{}:\n", g.tag));
        for a in &g.attributes {
            let vals: Vec<String> = a
                .values
                .iter()
                .map(|v| format!("{} ({})", value_text(v), syntax_name(v)))
                .collect();
            let mut line = format!("  {} = {}\n", a.name, vals.join(", "));
            if line.len() > 400 {
                line.truncate(400);
                line.push_str("…\n");
            }
            s.push_str(&line);
        }
    }
    s
}

fn all_attrs(
    m: &Message,
    group: Option<DelimiterTag>,
) -> impl Iterator<Item = (usize, &Group, &Attribute)> {
    m.groups
        .iter()
        .filter(move |g| group.is_none_or(|t| g.tag == t))
        .flat_map(|g| g.attributes.iter().enumerate().map(move |(i, a)| (i, g, a)))
}

impl Runner {
    /// A runner for `target`; reads the printer's attributes once, to decide which cases apply.
    pub async fn new(target: TargetUri, opts: RunOptions) -> Runner {
        let mut r = Runner {
            target,
            opts,
            features: Err("not fetched".into()),
            pages_used: AtomicU32::new(0),
            next_id: AtomicU32::new(1),
        };
        r.features = r.fetch_features().await;
        r
    }

    /// The target.
    pub fn target(&self) -> &TargetUri {
        &self.target
    }

    /// The printer attributes read at start, or why they could not be.
    pub fn features(&self) -> Result<&Message, &str> {
        self.features.as_ref().map_err(String::as_str)
    }

    async fn fetch_features(&self) -> Result<Message, String> {
        let step = Step {
            operation: Some("Get-Printer-Attributes".into()),
            attr: vec!["keyword requested-attributes all,media-col-database".into()],
            ..Default::default()
        };
        let body = self.build(&step, &BTreeMap::new())?;
        let reply = self.send(&step, &body).await.map_err(|e| e.to_string())?;
        if reply.status != 200 {
            return Err(format!("Get-Printer-Attributes got HTTP {}", reply.status));
        }
        Message::parse(&reply.body)
            .map(|(m, _)| m)
            .map_err(|e| format!("Get-Printer-Attributes answer is not IPP: {e}"))
    }

    fn printer_attr(&self, name: &str) -> Option<&Attribute> {
        let m = self.features.as_ref().ok()?;
        all_attrs(m, Some(DelimiterTag::PrinterAttributes))
            .map(|(_, _, a)| a)
            .find(|a| a.name == name)
    }

    /// Why `r` is not met, if it is not.
    fn unmet(&self, r: &Requirement) -> Option<String> {
        if let Err(e) = &self.features {
            return Some(format!("cannot tell what the target supports: {e}"));
        }
        if let Some(op) = &r.operation {
            let code = operation_code(op).map(i32::from);
            let ok = self
                .printer_attr("operations-supported")
                .is_some_and(|a| a.values.iter().any(|v| v.as_i32() == code));
            if !ok {
                return Some(format!(
                    "the target does not list {op} in operations-supported"
                ));
            }
        }
        if let Some(v) = &r.version {
            let ok = self
                .printer_attr("ipp-versions-supported")
                .is_some_and(|a| a.values.iter().any(|x| x.as_str() == Some(v)));
            if !ok {
                return Some(format!(
                    "the target does not list IPP/{v} in ipp-versions-supported"
                ));
            }
        }
        if let Some(name) = &r.attribute {
            match self.printer_attr(name) {
                None => return Some(format!("the target does not report {name}")),
                Some(a) => {
                    if let Some(c) = &r.contains {
                        if !a.values.iter().any(|v| value_text(v) == *c) {
                            return Some(format!("{name} does not include {c}"));
                        }
                    }
                }
            }
        }
        None
    }

    fn var(&self, vars: &BTreeMap<String, String>, name: &str) -> Option<String> {
        match name {
            "uri" => Some(self.target.uri.clone()),
            "user" => Some(self.opts.user.clone()),
            "host" => Some(self.target.authority()),
            "path" => Some(self.target.path.clone()),
            other => vars.get(other).cloned(),
        }
    }

    /// The request body of a step.
    fn build(&self, step: &Step, vars: &BTreeMap<String, String>) -> Result<Vec<u8>, String> {
        let lookup = |n: &str| self.var(vars, n);
        let mut body = if let Some(raw) = &step.raw {
            assemble(raw, &lookup)?
        } else {
            let op = step.operation.as_deref().unwrap_or("");
            let code = operation_code(op).ok_or_else(|| format!("unknown operation '{op}'"))?;
            let version = match step.version.as_deref().unwrap_or("2.0").split_once('.') {
                Some((a, b)) => (
                    a.parse().map_err(|_| "bad version")?,
                    b.parse().map_err(|_| "bad version")?,
                ),
                None => return Err("version must be like 2.0".into()),
            };
            let request_id = step
                .request_id
                .unwrap_or_else(|| self.next_id.fetch_add(1, Ordering::Relaxed));
            let mut ops: Vec<Attribute> = Vec::new();
            if !step.bare {
                let auto = [
                    ("attributes-charset", Value::Charset("utf-8".into())),
                    (
                        "attributes-natural-language",
                        Value::NaturalLanguage("en".into()),
                    ),
                    ("printer-uri", Value::Uri(self.target.uri.clone())),
                    ("requesting-user-name", Value::Name(self.opts.user.clone())),
                ];
                for (n, v) in auto {
                    if !step.omit.iter().any(|o| o == n) {
                        ops.push(Attribute::new(n, v));
                    }
                }
            }
            for a in &step.attr {
                ops.push(parse_attr(a, &lookup)?);
            }
            let mut groups = vec![Group {
                tag: DelimiterTag::OperationAttributes,
                attributes: ops,
            }];
            if !step.job.is_empty() {
                let attrs = step
                    .job
                    .iter()
                    .map(|a| parse_attr(a, &lookup))
                    .collect::<Result<_, _>>()?;
                groups.push(Group {
                    tag: DelimiterTag::JobAttributes,
                    attributes: attrs,
                });
            }
            for g in &step.group {
                let tag = group_tag(&g.tag).ok_or_else(|| format!("unknown group '{}'", g.tag))?;
                let attrs = g
                    .attr
                    .iter()
                    .map(|a| parse_attr(a, &lookup))
                    .collect::<Result<_, _>>()?;
                groups.push(Group {
                    tag,
                    attributes: attrs,
                });
            }
            if step.bare
                && groups[0].attributes.is_empty()
                && step.group.is_empty()
                && step.job.is_empty()
            {
                groups.clear();
                groups.push(Group {
                    tag: DelimiterTag::OperationAttributes,
                    attributes: vec![],
                });
            }
            Message {
                version,
                code,
                request_id,
                groups,
            }
            .to_bytes()
            .map_err(|e| e.to_string())?
        };
        if let Some(doc) = &step.document {
            let path = self.opts.documents.join(doc);
            let data =
                std::fs::read(&path).map_err(|e| format!("document {}: {e}", path.display()))?;
            let data = match step.compress_document.as_deref() {
                None => data,
                Some("gzip") => {
                    let mut e =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                    e.write_all(&data).map_err(|e| e.to_string())?;
                    e.finish().map_err(|e| e.to_string())?
                }
                Some("deflate") => {
                    let mut e = flate2::write::DeflateEncoder::new(
                        Vec::new(),
                        flate2::Compression::default(),
                    );
                    e.write_all(&data).map_err(|e| e.to_string())?;
                    e.finish().map_err(|e| e.to_string())?
                }
                Some(other) => return Err(format!("unknown compression '{other}'")),
            };
            body.extend_from_slice(&data);
        }
        Ok(body)
    }

    fn http_request(&self, step: &Step, body: &[u8]) -> Result<HttpRequest, String> {
        let mut headers = vec![(
            "Content-Type".to_string(),
            step.http
                .content_type
                .clone()
                .unwrap_or_else(|| "application/ipp".into()),
        )];
        let body = match step.http.content_encoding.as_deref() {
            None => body.to_vec(),
            Some(enc) => {
                headers.push(("Content-Encoding".into(), enc.into()));
                match enc {
                    "gzip" => {
                        let mut e = flate2::write::GzEncoder::new(
                            Vec::new(),
                            flate2::Compression::default(),
                        );
                        e.write_all(body).map_err(|e| e.to_string())?;
                        e.finish().map_err(|e| e.to_string())?
                    }
                    "deflate" => {
                        let mut e = flate2::write::ZlibEncoder::new(
                            Vec::new(),
                            flate2::Compression::default(),
                        );
                        e.write_all(body).map_err(|e| e.to_string())?;
                        e.finish().map_err(|e| e.to_string())?
                    }
                    _ => body.to_vec(),
                }
            }
        };
        Ok(HttpRequest {
            method: step.http.method.clone().unwrap_or_else(|| "POST".into()),
            path: step
                .http
                .path
                .clone()
                .unwrap_or_else(|| self.target.path.clone()),
            http10: step.http.version.as_deref() == Some("1.0"),
            headers,
            body,
            chunked: step.http.chunked,
            expect_continue: step.http.expect_continue,
        })
    }

    async fn send(
        &self,
        step: &Step,
        body: &[u8],
    ) -> Result<HttpReply, crate::client::ClientError> {
        let req = self
            .http_request(step, body)
            .map_err(crate::client::ClientError::BadResponse)?;
        let mut c = Connection::open(&self.target, self.opts.timeout).await?;
        c.exchange(&req, self.opts.timeout).await
    }

    /// Run one case.
    pub async fn run(&self, case: &Case) -> CaseResult {
        let start = Instant::now();
        let mut result = CaseResult::start(
            &case.id,
            case.level,
            &case.clause,
            &case.title,
            &case.requirement,
        );
        if let Some(reason) = self.skip_reason(case) {
            result.outcome = Outcome::Skip;
            result.reason = reason;
            return result;
        }
        let mut vars = BTreeMap::new();
        let mut stopped = None;
        for (i, step) in case.steps.iter().enumerate() {
            if let Err(e) = self.run_step(i, step, &mut vars, &mut result).await {
                stopped = Some(format!("step {}: {e}", i + 1));
                break;
            }
        }
        if !result.findings.is_empty() {
            // A check that already failed decides the verdict, even if a later
            // step could not run (often because of it: a job that was refused
            // leaves no job-id for the next step).
            result.outcome = match case.level {
                Level::Must => Outcome::Fail,
                Level::Should | Level::May => Outcome::Warn,
            };
            let f = &result.findings[0];
            result.reason = format!("{}: expected {}, got {}", f.check, f.expected, f.actual);
            if let Some(s) = stopped {
                result.reason.push_str(&format!(" (then {s})"));
            }
        } else if let Some(s) = stopped {
            result.outcome = Outcome::Error;
            result.reason = s;
        }
        result.elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        result
    }

    fn skip_reason(&self, case: &Case) -> Option<String> {
        for r in &case.requires {
            if let Some(why) = self.unmet(r) {
                return Some(why);
            }
        }
        if case.prints {
            if !self.opts.allow_print {
                return Some(
                    "prints paper; not run on a real printer without --allow-print".into(),
                );
            }
            if let Some(budget) = self.opts.page_budget {
                let used = self.pages_used.fetch_add(case.pages, Ordering::SeqCst);
                if used + case.pages > budget {
                    self.pages_used.fetch_sub(case.pages, Ordering::SeqCst);
                    return Some(format!("page budget of {budget} used up ({used} printed)"));
                }
            }
        }
        if case.changes_settings && !self.opts.allow_changes {
            return Some(
                "changes the printer's settings or jobs; not run without --allow-changes".into(),
            );
        }
        None
    }

    async fn run_step(
        &self,
        idx: usize,
        step: &Step,
        vars: &mut BTreeMap<String, String>,
        result: &mut CaseResult,
    ) -> Result<(), String> {
        let attempts = step.repeat.as_ref().map_or(1, |r| r.limit.max(1));
        let on_conn = step.http.repeat_on_connection.unwrap_or(1).max(1);
        for attempt in 0..attempts {
            let body = self.build(step, vars)?;
            let mut replies: Vec<Result<HttpReply, ClientError>> = Vec::new();
            let mut findings = Vec::new();
            if on_conn > 1 {
                let req = self.http_request(step, &body)?;
                let mut c = Connection::open(&self.target, self.opts.timeout)
                    .await
                    .map_err(|e| e.to_string())?;
                for n in 0..on_conn {
                    match c.exchange(&req, self.opts.timeout).await {
                        // The first answer is graded as usual; a connection
                        // that breaks after it was not kept alive.
                        Err(e) if n > 0 => {
                            findings.push(Finding {
                                step: idx,
                                check: "persistent connection".into(),
                                expected: format!(
                                    "{on_conn} requests answered on one connection (RFC 9112 §9.3)"
                                ),
                                actual: format!("{n} answered, then: {e}"),
                            });
                            break;
                        }
                        r => replies.push(r),
                    }
                }
            } else {
                replies.push(self.send(step, &body).await);
            }
            let mut last: Option<Message> = None;
            for reply in replies {
                let mut ex = Exchange {
                    step: idx,
                    request_hex: hex(&body, 4096),
                    request_bytes: body.len(),
                    request_decoded: Message::parse(&body)
                        .map(|(m, _)| describe(&m, true))
                        .unwrap_or_else(|e| format!("(not well-formed IPP: {e})")),
                    ..Default::default()
                };
                let reply = match reply {
                    Ok(r) => r,
                    Err(e) if step.expect_http_error => {
                        ex.response_decoded = format!("(no answer: {e})");
                        result.evidence.push(ex);
                        continue;
                    }
                    // An answer that is not valid HTTP (a Content-Length the
                    // body never reaches, a garbled status line) is the
                    // target's failure, not a missing verdict.
                    Err(ClientError::BadResponse(why)) => {
                        ex.response_decoded = format!("(not a valid HTTP answer: {why})");
                        result.evidence.push(ex);
                        findings.push(Finding {
                            step: idx,
                            check: "HTTP response".into(),
                            expected: "a complete, well-formed HTTP/1.1 response (RFC 9112 §6)"
                                .into(),
                            actual: why,
                        });
                        continue;
                    }
                    Err(e) => {
                        ex.response_decoded = format!("(no answer: {e})");
                        result.evidence.push(ex);
                        return Err(e.to_string());
                    }
                };
                ex.http_status = reply.status;
                ex.response_hex = hex(&reply.body, 65536);
                ex.response_bytes = reply.body.len();
                ex.elapsed_ms = u64::try_from(reply.elapsed.as_millis()).unwrap_or(u64::MAX);
                let parsed = if reply.status == 200 {
                    Some(Message::parse(&reply.body).map(|(m, _)| m))
                } else {
                    None
                };
                ex.response_decoded = match &parsed {
                    Some(Ok(m)) => describe(m, false),
                    Some(Err(e)) => format!("(not well-formed IPP: {e})"),
                    None => format!(
                        "HTTP {} {}",
                        reply.status,
                        String::from_utf8_lossy(&reply.body[..reply.body.len().min(200)])
                    ),
                };
                result.evidence.push(ex);
                self.check_reply(idx, step, &body, &reply, parsed.as_ref(), &mut findings);
                if let Some(Ok(m)) = &parsed {
                    // check_reply has judged the framing; the attribute checks
                    // apply to every IPP answer the step accepts.
                    if !step.expect_http_error && !step.not_ipp {
                        let lookup = |n: &str| self.var(vars, n);
                        for e in &step.expect {
                            check_expect_with(idx, e, m, &lookup, &mut findings);
                        }
                    }
                }
                if let Some(Ok(m)) = parsed {
                    last = Some(m);
                }
            }
            // Repeat until the watched attribute reaches a wanted value.
            if let (Some(rep), Some(m)) = (&step.repeat, &last) {
                let watched = all_attrs(m, None).find(|(_, _, a)| a.name == rep.attribute);
                let reached = watched.is_some_and(|(_, _, a)| {
                    a.values.iter().any(|v| rep.values.contains(&value_text(v)))
                });
                if !reached && attempt + 1 < attempts && !repeat_is_futile(m, watched.is_some()) {
                    tokio::time::sleep(Duration::from_millis(rep.delay_ms)).await;
                    continue;
                }
                if !reached {
                    let tries = attempt + 1;
                    findings.push(Finding {
                        step: idx,
                        check: format!("{} after {tries} attempts", rep.attribute),
                        expected: rep.values.join(" or "),
                        actual: all_attrs(m, None)
                            .find(|(_, _, a)| a.name == rep.attribute)
                            .map(|(_, _, a)| {
                                a.values
                                    .iter()
                                    .map(value_text)
                                    .collect::<Vec<_>>()
                                    .join(",")
                            })
                            .unwrap_or_else(|| "absent".into()),
                    });
                }
            }
            if let Some(m) = &last {
                for (var, attr) in &step.capture {
                    if let Some((_, _, a)) = all_attrs(m, None).find(|(_, _, a)| a.name == *attr) {
                        if let Some(v) = a.values.first() {
                            vars.insert(var.clone(), value_text(v));
                        }
                    }
                }
            }
            result.findings.extend(findings);
            return Ok(());
        }
        Ok(())
    }

    fn check_reply(
        &self,
        idx: usize,
        step: &Step,
        body: &[u8],
        reply: &HttpReply,
        parsed: Option<&Result<Message, paperjam_sim::wire::ipp::WireError>>,
        out: &mut Vec<Finding>,
    ) {
        let mut fail = |check: &str, expected: String, actual: String| {
            out.push(Finding {
                step: idx,
                check: check.to_string(),
                expected,
                actual,
            });
        };
        if let Some(max) = step.max_ms {
            let ms = reply.elapsed.as_millis();
            if ms > u128::from(max) {
                fail(
                    "response time",
                    format!("at most {max} ms"),
                    format!("{ms} ms"),
                );
            }
        }
        if let Some(want) = step.http_status {
            if reply.status != want {
                fail("HTTP status", want.to_string(), reply.status.to_string());
            }
        }
        if step.expect_http_error {
            if reply.status == 200 {
                fail(
                    "HTTP status",
                    "an HTTP error (4xx/5xx) or a closed connection".into(),
                    "200".into(),
                );
            }
            return;
        }
        if step.not_ipp {
            let ct = reply.header("content-type").unwrap_or("");
            if reply.status == 200 && ct.to_ascii_lowercase().starts_with("application/ipp") {
                fail(
                    "HTTP answer",
                    "not an IPP response (an HTTP error or a non-IPP page)".into(),
                    format!("200 with Content-Type {ct}"),
                );
            }
            return;
        }
        if step.http_error_ok && (400..500).contains(&reply.status) {
            // The refusal came from the HTTP layer, which the step allows.
            return;
        }
        if let Some(rc) = &step.response {
            for h in &rc.header {
                let ok = reply
                    .header(&h.name)
                    .is_some_and(|v| regex::Regex::new(&h.regex).is_ok_and(|r| r.is_match(v)));
                if !ok {
                    fail(
                        &format!("HTTP header {}", h.name),
                        format!("matching /{}/", h.regex),
                        reply.header(&h.name).unwrap_or("absent").to_string(),
                    );
                }
            }
        }
        let m = match parsed {
            None => {
                if reply.status != 200 && step.http_status.is_none() {
                    fail(
                        "HTTP status",
                        "200 with an IPP response".into(),
                        reply.status.to_string(),
                    );
                }
                return;
            }
            Some(Err(e)) => {
                fail(
                    "IPP response",
                    "a well-formed IPP message (RFC 8010 §3)".into(),
                    e.to_string(),
                );
                return;
            }
            Some(Ok(m)) => m,
        };
        if !step.status.is_empty() {
            let got = status_name(m.code);
            if !step.status.contains(&got) {
                fail("status-code", step.status.join(" or "), got);
            }
        }
        if let Some(rc) = &step.response {
            let req_header = if body.len() >= 8 {
                Some((
                    (body[0], body[1]),
                    u32::from_be_bytes([body[4], body[5], body[6], body[7]]),
                ))
            } else {
                None
            };
            if let Some(v) = &rc.version {
                let got = format!("{}.{}", m.version.0, m.version.1);
                if *v != got {
                    fail("response version", v.clone(), got);
                }
            }
            if rc.same_major_version {
                if let Some(((maj, _), _)) = req_header {
                    if m.version.0 != maj {
                        fail(
                            "response version",
                            format!("major version {maj}, as the request"),
                            format!("{}.{}", m.version.0, m.version.1),
                        );
                    }
                }
            }
            if rc.echo_request_id {
                if let Some((_, id)) = req_header {
                    if m.request_id != id {
                        fail("request-id", id.to_string(), m.request_id.to_string());
                    }
                }
            }
            if rc.charset_and_language_first {
                let names: Vec<&str> = m
                    .groups
                    .first()
                    .filter(|g| g.tag == DelimiterTag::OperationAttributes)
                    .map(|g| {
                        g.attributes
                            .iter()
                            .take(2)
                            .map(|a| a.name.as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                if names != ["attributes-charset", "attributes-natural-language"] {
                    fail(
                        "operation attributes order",
                        "attributes-charset, attributes-natural-language first".into(),
                        names.join(", "),
                    );
                }
            }
            if rc.interim_continue && !reply.continued {
                fail(
                    "100 Continue",
                    "an interim 100 (Continue) before the final answer to Expect: 100-continue (RFC 9110 §10.1.1)".into(),
                    format!(
                        "none; the body was sent after the client's wait, the answer came in {} ms",
                        reply.elapsed.as_millis()
                    ),
                );
            }
            if rc.unique_attributes {
                for g in &m.groups {
                    let mut seen: Vec<&str> = Vec::new();
                    for a in &g.attributes {
                        if seen.contains(&a.name.as_str()) {
                            fail(
                                "duplicate attribute",
                                format!("each attribute once in the {} group", g.tag),
                                format!("{} appears more than once", a.name),
                            );
                        } else {
                            seen.push(&a.name);
                        }
                    }
                }
            }
            if rc.status_message
                && !all_attrs(m, Some(DelimiterTag::OperationAttributes))
                    .any(|(_, _, a)| a.name == "status-message")
            {
                fail("status-message", "present".into(), "absent".into());
            }
            if !rc.group_order.is_empty() {
                let order: Vec<DelimiterTag> =
                    rc.group_order.iter().filter_map(|g| group_tag(g)).collect();
                let seen: Vec<DelimiterTag> = m
                    .groups
                    .iter()
                    .map(|g| g.tag)
                    .filter(|t| order.contains(t))
                    .collect();
                let mut sorted = seen.clone();
                sorted.sort_by_key(|t| order.iter().position(|o| o == t));
                if seen != sorted {
                    fail(
                        "group order",
                        rc.group_order.join(" before "),
                        seen.iter()
                            .map(|t| t.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    );
                }
            }
        }
    }
}

/// Whether repeating a step is pointless: the Printer refused it as a client
/// error (sending the same request again will not change that), or it
/// answered successfully without the watched attribute at all (a Printer that
/// leaves out job-state does not start reporting it later). Busy and other
/// server errors are worth retrying.
fn repeat_is_futile(m: &Message, watched_present: bool) -> bool {
    let class = m.code >> 8;
    class == 0x04 || (class == 0x00 && !watched_present)
}

/// Check one `expect` against a response.
pub fn check_expect(idx: usize, e: &Expect, m: &Message, out: &mut Vec<Finding>) {
    check_expect_with(idx, e, m, &|_| None, out);
}

/// Whether `m` meets a `when` condition.
fn condition_met(c: &Condition, m: &Message) -> bool {
    let Ok(re) = regex::Regex::new(&c.regex) else {
        return false;
    };
    all_attrs(m, None)
        .filter(|(_, _, a)| a.name == c.attribute)
        .any(|(_, _, a)| a.values.iter().any(|v| re.is_match(&value_text(v))))
}

/// Check one `expect` against a response, substituting `$variables` in
/// `contains`, `one-of` and `excludes` with `vars`.
pub fn check_expect_with(
    idx: usize,
    e: &Expect,
    m: &Message,
    vars: &dyn Fn(&str) -> Option<String>,
    out: &mut Vec<Finding>,
) {
    if let Some(c) = &e.when {
        if !condition_met(c, m) {
            return;
        }
    }
    let subst = |list: &[String]| -> Vec<String> {
        list.iter()
            .map(|x| crate::attrs::substitute(x, vars).unwrap_or_else(|_| x.clone()))
            .collect()
    };
    let contains = subst(&e.contains);
    let one_of = subst(&e.one_of);
    let excludes = subst(&e.excludes);
    let mut fail = |what: &str, expected: String, actual: String| {
        out.push(Finding {
            step: idx,
            check: format!("{} {what}", e.attribute),
            expected,
            actual,
        });
    };
    let tag = e.group.as_deref().and_then(group_tag);
    // `a/b/c` selects member `c` of member `b` of the collection values of `a`.
    let mut path = e.attribute.split('/');
    let top = path.next().unwrap_or_default();
    let mut found: Vec<(usize, &Group, &Attribute)> = all_attrs(m, tag)
        .filter(|(_, _, a)| a.name == top)
        .collect();
    let mut missing = 0usize;
    for member in path {
        let mut next = Vec::new();
        for (_, g, a) in &found {
            for v in &a.values {
                if let Value::Collection(c) = v {
                    match c.members.iter().enumerate().find(|(_, x)| x.name == member) {
                        Some((i, x)) => next.push((i, *g, x)),
                        None => missing += 1,
                    }
                }
            }
        }
        found = next;
    }
    if e.absent {
        if !found.is_empty() {
            fail("presence", "absent".into(), "present".into());
        }
        return;
    }
    if missing > 0 && !e.optional {
        fail(
            "presence",
            "present in every collection value".into(),
            format!("missing from {missing}"),
        );
    }
    if found.is_empty() {
        if !e.optional {
            let elsewhere = all_attrs(m, None)
                .find(|(_, _, a)| a.name == e.attribute)
                .map(|(_, g, _)| g.tag.to_string());
            fail(
                "presence",
                match &e.group {
                    Some(g) => format!("present in the {g} group"),
                    None => "present".into(),
                },
                match elsewhere {
                    Some(g) => format!("only in the {g} group"),
                    None => "absent".into(),
                },
            );
        }
        return;
    }
    // `contains` looks at the values of every occurrence together: a job-id
    // is "included" in a Get-Jobs answer if one of its job groups has it.
    let all_texts: Vec<String> = found
        .iter()
        .flat_map(|(_, _, a)| a.values.iter().map(value_text))
        .collect();
    for want in &contains {
        if !all_texts.contains(want) {
            let mut shown = all_texts.join(",");
            if shown.len() > 300 {
                shown.truncate(300);
                shown.push('…');
            }
            fail("values", format!("to include {want}"), shown);
        }
    }
    if let Some(n) = e.groups {
        let groups = found.len();
        if groups != n {
            fail("groups", format!("in {n} groups"), format!("in {groups}"));
        }
    }
    for (pos, _, a) in &found {
        if let Some(p) = e.position {
            if *pos != p {
                fail("position", p.to_string(), pos.to_string());
            }
        }
        if let Some(syn) = &e.syntax {
            if let Some(v) = a.values.iter().find(|v| !syntax_matches(syn, v)) {
                fail("type", syn.clone(), syntax_name(v).to_string());
            }
        }
        if let Some(c) = e.count {
            if a.values.len() != c {
                fail("count", c.to_string(), a.values.len().to_string());
            }
        }
        if let Some(c) = e.min_count {
            if a.values.len() < c {
                fail("count", format!("at least {c}"), a.values.len().to_string());
            }
        }
        let texts: Vec<String> = a.values.iter().map(value_text).collect();
        if !one_of.is_empty() {
            if let Some(t) = texts.iter().find(|t| !one_of.contains(t)) {
                fail("values", format!("one of {}", one_of.join(",")), t.clone());
            }
        }
        if let Some(t) = texts.iter().find(|t| excludes.contains(t)) {
            fail(
                "values",
                format!("none of {}", excludes.join(",")),
                t.clone(),
            );
        }
        if let Some(re) = &e.regex {
            match regex::Regex::new(re) {
                Ok(r) => {
                    if let Some(t) = texts.iter().find(|t| !r.is_match(t)) {
                        fail("value", format!("matching /{re}/"), t.clone());
                    }
                }
                Err(err) => fail("regex", "a valid regex".into(), err.to_string()),
            }
        }
        if let Some([lo, hi]) = e.range {
            for v in &a.values {
                if let Some(n) = v.as_i32() {
                    if i64::from(n) < lo || i64::from(n) > hi {
                        fail("value", format!("in {lo}..={hi}"), n.to_string());
                    }
                }
            }
        }
        if let Some(other) = &e.same_count_as {
            let n = all_attrs(m, tag)
                .find(|(_, _, x)| x.name == *other)
                .map(|(_, _, x)| x.values.len());
            if n != Some(a.values.len()) {
                fail(
                    "count",
                    format!(
                        "the same as {other} ({})",
                        n.map_or("absent".into(), |n| n.to_string())
                    ),
                    a.values.len().to_string(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Expect;

    fn printer(state: i32, reasons: &[&str]) -> Message {
        let mut m = Message::new((2, 0), 0, 1);
        m.groups.push(Group {
            tag: DelimiterTag::PrinterAttributes,
            attributes: vec![
                Attribute::new("printer-state", Value::Enum(state)),
                Attribute::with_values(
                    "printer-state-reasons",
                    reasons
                        .iter()
                        .map(|r| Value::Keyword(r.to_string()))
                        .collect(),
                ),
                Attribute::new("job-id", Value::Integer(7)),
            ],
        });
        m
    }

    fn findings(e: &Expect, m: &Message, vars: &dyn Fn(&str) -> Option<String>) -> usize {
        let mut out = Vec::new();
        check_expect_with(0, e, m, vars, &mut out);
        out.len()
    }

    #[test]
    fn when_excludes_and_variables() {
        let stopped_if_error = Expect {
            attribute: "printer-state".into(),
            one_of: vec!["5".into()],
            when: Some(Condition {
                attribute: "printer-state-reasons".into(),
                regex: "-error$".into(),
            }),
            ..Default::default()
        };
        let none = |_: &str| None;
        // Condition not met: no check.
        assert_eq!(
            findings(&stopped_if_error, &printer(3, &["none"]), &none),
            0
        );
        // Condition met and broken, then met and kept.
        assert_eq!(
            findings(&stopped_if_error, &printer(3, &["media-jam-error"]), &none),
            1
        );
        assert_eq!(
            findings(&stopped_if_error, &printer(5, &["media-jam-error"]), &none),
            0
        );
        let not_paused = Expect {
            attribute: "printer-state-reasons".into(),
            excludes: vec!["paused".into()],
            ..Default::default()
        };
        assert_eq!(findings(&not_paused, &printer(3, &["none"]), &none), 0);
        assert_eq!(findings(&not_paused, &printer(5, &["paused"]), &none), 1);
        let has_job = Expect {
            attribute: "job-id".into(),
            contains: vec!["$job".into()],
            ..Default::default()
        };
        let seven = |n: &str| (n == "job").then(|| "7".to_string());
        let eight = |n: &str| (n == "job").then(|| "8".to_string());
        assert_eq!(findings(&has_job, &printer(3, &[]), &seven), 0);
        assert_eq!(findings(&has_job, &printer(3, &[]), &eight), 1);
        // Two job groups: `contains` is met by either.
        let mut jobs = Message::new((2, 0), 0, 1);
        for id in [7, 8] {
            jobs.groups.push(Group {
                tag: DelimiterTag::JobAttributes,
                attributes: vec![Attribute::new("job-id", Value::Integer(id))],
            });
        }
        assert_eq!(findings(&has_job, &jobs, &eight), 0);
        assert_eq!(findings(&has_job, &jobs, &|_| Some("9".into())), 1);
    }

    #[test]
    fn collection_member_paths() {
        use paperjam_sim::wire::ipp::Collection;
        let size = |x: i32| {
            Value::Collection(Collection {
                members: vec![Attribute::new("x-dimension", Value::Integer(x))],
            })
        };
        let entry = |members: Vec<Attribute>| Value::Collection(Collection { members });
        let mut m = Message::new((2, 0), 0, 1);
        m.groups.push(Group {
            tag: DelimiterTag::PrinterAttributes,
            attributes: vec![Attribute::with_values(
                "media-col-database",
                vec![
                    entry(vec![Attribute::new("media-size", size(21000))]),
                    entry(vec![Attribute::new("media-size", size(0))]),
                    entry(vec![]),
                ],
            )],
        });
        let none = |_: &str| None;
        let every = Expect {
            attribute: "media-col-database/media-size".into(),
            ..Default::default()
        };
        // The third entry has no media-size.
        assert_eq!(findings(&every, &m, &none), 1);
        let positive = Expect {
            attribute: "media-col-database/media-size/x-dimension".into(),
            optional: true,
            range: Some([1, 100000]),
            ..Default::default()
        };
        // 0 is out of range; the missing entry is allowed by `optional`.
        assert_eq!(findings(&positive, &m, &none), 1);
    }
}
