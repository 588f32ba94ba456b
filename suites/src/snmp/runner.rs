//! Runs SNMP cases against an agent and grades the answers.
//!
//! Before any case the runner probes the agent: a Get of `sysDescr.0` in
//! v2c and in v1. The answer names the target in the report; an agent that
//! answers neither gets every case skipped (with the reason) except those
//! that grade answering itself (`runs-unanswered`), and an agent that does not
//! answer one version gets that version's cases skipped — a printer need not
//! speak SNMPv1, and a firewalled port is one finding, not thirty.
//!
//! Every request must get a Response with the request's request-id, version
//! and community; an answer that cannot be decoded is a finding (check
//! `SNMP response`), never a panic. A step's findings end the case.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use paperjam_sim::snmp::message::error_status;
use paperjam_sim::snmp::{Message, Oid, PduKind, Value, VarBind, VarValue, Version};
use paperjam_sim::wire::ipp::{DelimiterTag, Message as IppMessage, Value as IppValue};

use super::checks::{self, is_type, shown, type_name, value_text, Seen, CHECKS};
use super::client::{Answer, Session, SnmpClient, Transaction, WalkEnd, WALK_LIMIT};
use super::names::{self, name_of};
use super::spec::{self, Action, OneOrMany, SetSpec, SetValue, SnmpCase, SnmpExpect, SnmpStep};
use super::target::{SnmpTarget, SnmpTargetError, DEFAULT_COMMUNITY};
use crate::client::TargetUri;
use crate::grade::{hex, CaseResult, Exchange, Finding, Outcome};
use crate::spec::Level;

/// How the SNMP suite runs, and what it may do.
#[derive(Debug, Clone)]
pub struct SnmpOptions {
    /// The read community.
    pub community: String,
    /// The community of SetRequests.
    pub write_community: String,
    /// How long to wait for each attempt of a request.
    pub timeout: Duration,
    /// Attempts after the first, when no answer comes.
    pub retries: u32,
    /// Run cases that send SetRequests (they may change the printer).
    pub allow_write: bool,
    /// The same printer's IPP URI, for the cross-checks (skipped without it).
    pub ipp: Option<TargetUri>,
    /// Time limit of the IPP request of a cross-check.
    pub ipp_timeout: Duration,
}

impl SnmpOptions {
    /// Options for a real printer: `public`, writing not allowed, 2 s a
    /// request and two retries (as net-snmp's tools, roughly), no IPP.
    pub fn new(community: &str) -> SnmpOptions {
        SnmpOptions {
            community: community.to_string(),
            write_community: community.to_string(),
            timeout: Duration::from_secs(2),
            retries: 2,
            allow_write: false,
            ipp: None,
            ipp_timeout: Duration::from_secs(30),
        }
    }

    /// Options for a virtual printer of our own: its communities (`public`,
    /// `private`), writing allowed, short timeouts (it answers at once or
    /// not at all), its IPP URI for the cross-checks.
    pub fn virtual_printer(ipp: Option<TargetUri>) -> SnmpOptions {
        SnmpOptions {
            community: DEFAULT_COMMUNITY.into(),
            write_community: "private".into(),
            timeout: Duration::from_secs(1),
            retries: 1,
            allow_write: true,
            ipp,
            ipp_timeout: Duration::from_secs(10),
        }
    }
}

/// What the probes at start found.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// sysDescr.0 as a v2c Get read it (`None`: no answer).
    pub v2c: Option<String>,
    /// sysDescr.0 as a v1 Get read it (`None`: no answer).
    pub v1: Option<String>,
}

impl Probe {
    /// Whether the agent answered a probe in `v`.
    pub fn answers(&self, v: Version) -> bool {
        match v {
            Version::V1 => self.v1.is_some(),
            Version::V2c => self.v2c.is_some(),
        }
    }

    /// sysDescr.0, from whichever version answered.
    pub fn description(&self) -> String {
        self.v2c
            .clone()
            .or_else(|| self.v1.clone())
            .unwrap_or_default()
    }
}

/// A runner bound to one agent.
#[derive(Debug)]
pub struct SnmpRunner {
    target: SnmpTarget,
    addr: SocketAddr,
    opts: SnmpOptions,
    probe: Probe,
}

/// Why a case stopped before its verdict.
enum Stop {
    /// The case does not apply after all (the reason says why).
    Skip(String),
    /// No verdict could be reached.
    Error(String),
}

/// What a case has gathered.
#[derive(Default)]
struct State {
    vars: BTreeMap<String, Value>,
    seen: Seen,
    findings: Vec<Finding>,
    evidence: Vec<Exchange>,
}

impl State {
    fn fail(
        &mut self,
        step: usize,
        check: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) {
        self.findings.push(Finding {
            step,
            check: check.into(),
            expected: expected.into(),
            actual: actual.into(),
        });
    }

    fn remember(&mut self, bindings: &[VarBind]) {
        for vb in bindings {
            self.seen.insert(vb.oid.clone(), vb.value.clone());
        }
    }
}

fn version_name(v: Version) -> &'static str {
    match v {
        Version::V1 => "SNMPv1",
        Version::V2c => "SNMPv2c",
    }
}

/// A message as a report shows it: the header on the first line, then one
/// binding a line.
pub fn describe(m: &Message) -> String {
    let p = &m.pdu;
    let mut s = match p.kind {
        PduKind::Response => format!(
            "{} {}, request-id {}, {}, error-index {}, {} binding(s)\n",
            version_name(m.version),
            p.kind.name(),
            p.request_id,
            error_status::name(p.error_status),
            p.error_index,
            p.varbinds.len()
        ),
        PduKind::GetBulk => format!(
            "{} {}, community \"{}\", request-id {}, non-repeaters {}, max-repetitions {}\n",
            version_name(m.version),
            p.kind.name(),
            String::from_utf8_lossy(&m.community),
            p.request_id,
            p.error_status,
            p.error_index
        ),
        _ => format!(
            "{} {}, community \"{}\", request-id {}\n",
            version_name(m.version),
            p.kind.name(),
            String::from_utf8_lossy(&m.community),
            p.request_id
        ),
    };
    let n = p.varbinds.len();
    for (i, vb) in p.varbinds.iter().enumerate() {
        if i == 50 && n > 60 {
            s.push_str(&format!("  … ({} more)\n", n - 50));
            break;
        }
        match &vb.value {
            VarValue::Value(Value::Null) if p.kind != PduKind::Response => {
                s.push_str(&format!("  {} ({})\n", name_of(&vb.oid), vb.oid));
            }
            v => s.push_str(&format!(
                "  {} ({}) = {}\n",
                name_of(&vb.oid),
                vb.oid,
                shown(v)
            )),
        }
    }
    s
}

fn evidence(step: usize, t: &Transaction, timeout: Duration) -> Exchange {
    let got = t.answer_bytes();
    Exchange {
        step,
        request_hex: hex(&t.sent, 4096),
        request_bytes: t.sent.len(),
        request_decoded: match &t.request {
            Some(m) => describe(m),
            None => match paperjam_sim::snmp::message::decode(&t.sent) {
                Ok(m) => format!("(raw) {}", describe(&m)),
                Err(e) => format!("(raw bytes, not a message: {e})"),
            },
        },
        http_status: 0,
        response_hex: hex(got, 64 * 1024),
        response_bytes: got.len(),
        response_decoded: match &t.answer {
            Answer::Reply { message, .. } => describe(message),
            Answer::Malformed { error, .. } => format!("(not an SNMP message: {error})"),
            Answer::Silence => {
                let mut s = format!(
                    "(no answer: {} attempt(s) of {} ms",
                    t.attempts,
                    timeout.as_millis()
                );
                if t.refused {
                    s.push_str(", port unreachable");
                }
                if !t.strays.is_empty() {
                    let ids: Vec<String> = t
                        .strays
                        .iter()
                        .map(|(_, m)| m.pdu.request_id.to_string())
                        .collect();
                    s.push_str(&format!(
                        "; answers with request-id {} only",
                        ids.join(", ")
                    ));
                }
                s.push(')');
                s
            }
        },
        elapsed_ms: u64::try_from(t.elapsed.as_millis()).unwrap_or(u64::MAX),
    }
}

/// The common checks of an answer: it came, it is SNMP, a Response, in the
/// request's version, community and request-id. The answer when they hold.
fn envelope<'a>(
    state: &mut State,
    step: usize,
    t: &'a Transaction,
    timeout: Duration,
) -> Option<&'a Message> {
    let req = t.request.as_ref()?;
    match &t.answer {
        Answer::Silence => {
            if let Some((_, m)) = t.strays.first() {
                state.fail(
                    step,
                    "request-id",
                    req.pdu.request_id.to_string(),
                    format!(
                        "{} (the answer did not echo the request's request-id)",
                        m.pdu.request_id
                    ),
                );
            } else {
                state.fail(
                    step,
                    "response",
                    format!(
                        "a Response within {} ms ({} attempt(s))",
                        timeout.as_millis(),
                        t.attempts
                    ),
                    if t.refused {
                        "no answer (port unreachable)".to_string()
                    } else {
                        "no answer".to_string()
                    },
                );
            }
            None
        }
        Answer::Malformed { error, .. } => {
            state.fail(
                step,
                "SNMP response",
                "a BER-encoded SNMPv1 or v2c message",
                error.clone(),
            );
            None
        }
        Answer::Reply { message: m, .. } => {
            let before = state.findings.len();
            if m.pdu.kind != PduKind::Response {
                state.fail(step, "PDU type", "Response", m.pdu.kind.name());
            }
            if m.version != req.version {
                state.fail(
                    step,
                    "version",
                    version_name(req.version),
                    version_name(m.version),
                );
            }
            if m.community != req.community {
                state.fail(
                    step,
                    "community",
                    String::from_utf8_lossy(&req.community).into_owned(),
                    String::from_utf8_lossy(&m.community).into_owned(),
                );
            }
            (state.findings.len() == before).then_some(m)
        }
    }
}

/// The bindings at or under `oid`.
fn under<'a>(bindings: &'a [VarBind], oid: &Oid) -> Vec<&'a VarBind> {
    bindings
        .iter()
        .filter(|vb| vb.oid.starts_with(oid))
        .collect()
}

/// Check one `expect` against `bindings`.
fn check_expect(state: &mut State, step: usize, e: &SnmpExpect, bindings: &[VarBind]) {
    let Ok(root) = names::parse(&e.oid) else {
        return;
    };
    let label = name_of(&root);
    let found = under(bindings, &root);
    if found.is_empty() {
        if !e.optional {
            state.fail(step, format!("{label} presence"), "present", "absent");
        }
        return;
    }
    let mut findings = Vec::new();
    let mut fail = |what: &str, expected: String, actual: String| {
        findings.push((format!("{label} {what}"), expected, actual));
    };
    for want in &e.contains {
        // A name or dotted OID compares as the dotted OID; other text as it is.
        let want_text = names::parse(want).map_or(want.clone(), |o| o.to_string());
        if !found.iter().any(|vb| value_text(&vb.value) == want_text) {
            let have: Vec<String> = found
                .iter()
                .take(10)
                .map(|vb| value_text(&vb.value))
                .collect();
            fail(
                "values",
                format!("to include {want} ({want_text})"),
                have.join(", "),
            );
        }
    }
    let more_than = e.more_than.as_ref().map(|v| {
        let name = v.trim_start_matches('$');
        (v.clone(), state.vars.get(name).and_then(Value::as_i64))
    });
    for vb in found {
        let at = name_of(&vb.oid);
        if let Some(ty) = &e.syntax {
            if !ty.split('|').any(|t| is_type(&vb.value, t)) {
                fail(
                    "type",
                    ty.replace('|', " or "),
                    format!("{} at {at}", type_name(&vb.value)),
                );
                continue;
            }
        }
        let text = value_text(&vb.value);
        let num = vb.value.value().and_then(Value::as_i64);
        if let (Some([lo, hi]), Some(n)) = (e.range, num) {
            if n < lo || n > hi {
                fail("value", format!("in {lo}..={hi}"), format!("{n} at {at}"));
            }
        }
        if let Some(re) = &e.regex {
            if let Ok(r) = regex::Regex::new(re) {
                if !r.is_match(&text) {
                    fail(
                        "value",
                        format!("matching /{re}/"),
                        format!("{} at {at}", shown(&vb.value)),
                    );
                }
            }
        }
        let bytes = vb.value.value().and_then(Value::as_bytes);
        if let (Some(max), Some(b)) = (e.max_length, bytes) {
            if b.len() > max {
                fail(
                    "length",
                    format!("at most {max} octets"),
                    format!("{} at {at}", b.len()),
                );
            }
        }
        if e.display_string {
            match bytes {
                None => fail(
                    "type",
                    "DisplayString (OCTET STRING)".into(),
                    format!("{} at {at}", type_name(&vb.value)),
                ),
                Some(b) if b.len() > 255 => fail(
                    "length",
                    "a DisplayString of at most 255 octets".into(),
                    format!("{} at {at}", b.len()),
                ),
                Some(b)
                    if !b.iter().all(|c| {
                        (0x20..0x7f).contains(c)
                            || matches!(c, b'\r' | b'\n' | b'\t' | 0 | 7 | 8 | 0x0b | 0x0c)
                    }) =>
                {
                    fail(
                        "value",
                        "NVT ASCII (a DisplayString, RFC 2579)".into(),
                        format!("{} at {at}", shown(&vb.value)),
                    )
                }
                Some(_) => {}
            }
        }
        if let Some((var, before)) = &more_than {
            match (before, num) {
                (Some(b), Some(n)) if n > *b => {}
                (Some(b), n) => fail(
                    "value",
                    format!("more than {b} (the value captured as {var})"),
                    format!("{} at {at}", n.map_or(shown(&vb.value), |n| n.to_string())),
                ),
                (None, _) => fail(
                    "value",
                    format!("more than {var}"),
                    format!("{var} was not captured"),
                ),
            }
        }
    }
    for (check, expected, actual) in findings {
        state.fail(step, check, expected, actual);
    }
}

/// Checks on the answer to a request (`req`) a step sent.
fn check_answer(
    state: &mut State,
    step: usize,
    s: &SnmpStep,
    action: &Action,
    req: &Message,
    m: &Message,
) {
    let p = &m.pdu;
    let allowed: Vec<String> = s
        .expect_error_status
        .as_ref()
        .map_or_else(|| vec!["noError".to_string()], OneOrMany::to_vec);
    let status = error_status::name(p.error_status);
    if !allowed.iter().any(|a| a == status) {
        state.fail(
            step,
            "error-status",
            allowed.join(" or "),
            format!(
                "{status} ({}), error-index {}",
                p.error_status, p.error_index
            ),
        );
        // An error answer echoes the request's bindings: nothing more to read.
        return;
    }
    match s.expect_error_index {
        Some(i) if p.error_index != i => {
            state.fail(
                step,
                "error-index",
                i.to_string(),
                p.error_index.to_string(),
            );
        }
        None if p.error_status == 0 && p.error_index != 0 => {
            state.fail(
                step,
                "error-index",
                "0 (error-status is noError)",
                p.error_index.to_string(),
            );
        }
        _ => {}
    }
    if let Some(n) = s.expect_bindings {
        if p.varbinds.len() != n {
            state.fail(
                step,
                "binding count",
                n.to_string(),
                p.varbinds.len().to_string(),
            );
        }
    }
    if s.expect_same_names {
        let asked: Vec<&Oid> = req.pdu.varbinds.iter().map(|v| &v.oid).collect();
        let got: Vec<&Oid> = p.varbinds.iter().map(|v| &v.oid).collect();
        if asked != got {
            let list = |l: &[&Oid]| {
                let mut v: Vec<String> = l.iter().take(8).map(|o| name_of(o)).collect();
                if l.len() > 8 {
                    v.push(format!("… ({} in all)", l.len()));
                }
                v.join(", ")
            };
            state.fail(
                step,
                "binding names",
                format!("the request's, in order: {}", list(&asked)),
                list(&got),
            );
        }
    }
    if let Some(ex) = &s.expect_exception {
        let allowed = ex.to_vec();
        if p.varbinds.is_empty() {
            state.fail(step, "binding count", "the request's bindings", "none");
        }
        for vb in &p.varbinds {
            if !allowed.iter().any(|a| a == type_name(&vb.value)) {
                state.fail(
                    step,
                    "exception",
                    format!("{} for {}", allowed.join(" or "), name_of(&vb.oid)),
                    shown(&vb.value),
                );
            }
        }
    }
    if s.expect_increasing {
        let before = state.findings.len();
        increasing(state, step, action, req, m);
        if state.findings.len() > before {
            // Names that do not move on say nothing about the objects asked for.
            return;
        }
    }
    for e in &s.expect {
        check_expect(state, step, e, &p.varbinds);
    }
    capture(state, step, s, &p.varbinds);
}

/// Each name answered comes after the one asked: GetNext one for one;
/// GetBulk's non-repeaters once each, then its repeaters column by column,
/// at most N + M × R bindings (RFC 3416 §4.2.3).
fn increasing(state: &mut State, step: usize, action: &Action, req: &Message, m: &Message) {
    let asked: Vec<&Oid> = req.pdu.varbinds.iter().map(|v| &v.oid).collect();
    let got = &m.pdu.varbinds;
    let mut check = |before: &Oid, vb: &VarBind| {
        let ok = if vb.value == VarValue::EndOfMibView {
            vb.oid >= *before
        } else {
            vb.oid > *before
        };
        if !ok {
            state.fail(
                step,
                "lexicographic order",
                format!("a name after {} ({before})", name_of(before)),
                format!("{} ({})", name_of(&vb.oid), vb.oid),
            );
        }
        ok
    };
    match action {
        Action::GetBulk {
            non_repeaters,
            max_repetitions,
            ..
        } => {
            let n = (*non_repeaters as usize).min(asked.len());
            let r = asked.len() - n;
            let bound = n + (*max_repetitions as usize) * r;
            if got.len() > bound {
                state.fail(
                    step,
                    "binding count",
                    format!("at most {bound} (non-repeaters {n} + max-repetitions {max_repetitions} × {r} repeaters)"),
                    got.len().to_string(),
                );
                return;
            }
            for (i, vb) in got.iter().enumerate().take(n) {
                if !check(asked[i], vb) {
                    return;
                }
            }
            let mut last: Vec<Oid> = asked[n..].iter().map(|o| (*o).clone()).collect();
            for (j, vb) in got.iter().enumerate().skip(n) {
                let col = (j - n) % r.max(1);
                let Some(before) = last.get(col).cloned() else {
                    return;
                };
                if !check(&before, vb) {
                    return;
                }
                last[col].clone_from(&vb.oid);
            }
        }
        _ => {
            if got.len() != asked.len() {
                state.fail(
                    step,
                    "binding count",
                    asked.len().to_string(),
                    got.len().to_string(),
                );
                return;
            }
            for (before, vb) in asked.iter().zip(got) {
                if !check(before, vb) {
                    return;
                }
            }
        }
    }
}

fn capture(state: &mut State, step: usize, s: &SnmpStep, bindings: &[VarBind]) {
    for (var, oid) in &s.capture {
        let Ok(oid) = names::parse(oid) else { continue };
        match bindings
            .iter()
            .find(|vb| vb.oid == oid)
            .and_then(|vb| vb.value.value())
        {
            Some(v) => {
                state.vars.insert(var.clone(), v.clone());
            }
            None => state.fail(
                step,
                format!("{} presence", name_of(&oid)),
                "a value to capture",
                bindings
                    .iter()
                    .find(|vb| vb.oid == oid)
                    .map_or("absent".into(), |vb| shown(&vb.value)),
            ),
        }
    }
}

/// The value of one binding of a `set` step.
fn set_value(b: &SetSpec, vars: &BTreeMap<String, Value>) -> Result<Value, String> {
    if let SetValue::Text(t) = &b.value {
        if let Some(var) = t.strip_prefix('$') {
            let v = vars
                .get(var)
                .cloned()
                .ok_or_else(|| format!("${var} was not captured"))?;
            if let Some(ty) = &b.syntax {
                if spec::type_tag(ty) != Some(v.ber_tag()) {
                    return Err(format!("${var} is a {}, not {ty}", v.type_name()));
                }
            }
            return Ok(v);
        }
    }
    let ty = b.syntax.as_deref().unwrap_or_default();
    let tag = spec::type_tag(ty).ok_or_else(|| format!("unknown type '{ty}'"))?;
    let number = || match &b.value {
        SetValue::Number(n) => Ok(*n),
        SetValue::Text(t) => t
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("'{t}' is not a number")),
    };
    let text = || match &b.value {
        SetValue::Number(n) => n.to_string(),
        SetValue::Text(t) => t.clone(),
    };
    let u32_of = |n: i64| u32::try_from(n).map_err(|_| format!("{n} does not fit {ty}"));
    Ok(match tag {
        0x02 => {
            Value::Integer(i32::try_from(number()?).map_err(|_| "out of Integer32".to_string())?)
        }
        0x04 => Value::OctetString(text().into_bytes()),
        0x05 => Value::Null,
        0x06 => Value::ObjectId(names::parse(&text())?),
        0x40 => Value::IpAddress(
            text()
                .parse::<std::net::Ipv4Addr>()
                .map_err(|e| e.to_string())?
                .octets(),
        ),
        0x41 => Value::Counter32(u32_of(number()?)?),
        0x42 => Value::Gauge32(u32_of(number()?)?),
        0x43 => Value::TimeTicks(u32_of(number()?)?),
        0x44 => Value::Opaque(text().into_bytes()),
        0x46 => Value::Counter64(u64::try_from(number()?).map_err(|e| e.to_string())?),
        _ => return Err(format!("cannot set a {ty}")),
    })
}

impl SnmpRunner {
    /// A runner for `target`: resolves it and probes the agent.
    pub async fn new(
        target: &SnmpTarget,
        mut opts: SnmpOptions,
    ) -> Result<SnmpRunner, SnmpTargetError> {
        if let Some(c) = &target.community {
            if opts.community == DEFAULT_COMMUNITY {
                opts.community.clone_from(c);
            }
        }
        let addr = target.resolve().await?;
        let mut r = SnmpRunner {
            target: target.clone(),
            addr,
            opts,
            probe: Probe::default(),
        };
        r.probe = r.run_probe().await;
        Ok(r)
    }

    /// The target.
    pub fn target(&self) -> &SnmpTarget {
        &self.target
    }

    /// The options.
    pub fn options(&self) -> &SnmpOptions {
        &self.opts
    }

    /// What the probes found.
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// What the target says it is: its sysDescr.0 (empty when it did not answer).
    pub fn description(&self) -> String {
        self.probe.description()
    }

    async fn client(&self) -> Result<SnmpClient, String> {
        SnmpClient::connect(self.addr, self.opts.timeout, self.opts.retries)
            .await
            .map_err(|e| format!("cannot open a UDP socket towards {}: {e}", self.addr))
    }

    async fn run_probe(&self) -> Probe {
        let descr = Oid::new([1, 3, 6, 1, 2, 1, 1, 1, 0]);
        let read = |v: Version| {
            let descr = descr.clone();
            async move {
                let c = self.client().await.ok()?;
                let t = c
                    .session(v, &self.opts.community)
                    .get(&[descr])
                    .await
                    .ok()?;
                let m = t.reply()?;
                (m.pdu.kind == PduKind::Response).then_some(())?;
                Some(
                    m.pdu
                        .varbinds
                        .first()
                        .and_then(|vb| vb.value.value())
                        .and_then(Value::as_text)
                        .unwrap_or_default(),
                )
            }
        };
        let (v2c, v1) = tokio::join!(read(Version::V2c), read(Version::V1));
        Probe { v2c, v1 }
    }

    fn skip_reason(&self, case: &SnmpCase) -> Option<String> {
        if case.writes() && !self.opts.allow_write {
            return Some(
                "sends SetRequests, which may change the printer's settings; not run without --allow-write".into(),
            );
        }
        if case.needs_ipp() && self.opts.ipp.is_none() {
            return Some(
                "compares SNMP with IPP, and no IPP URI of the same printer was given (--ipp)"
                    .into(),
            );
        }
        if !self.probe.answers(Version::V2c) && !self.probe.answers(Version::V1) {
            if case.runs_unanswered {
                return None;
            }
            return Some(format!(
                "the agent answered no probe (a Get of sysDescr.0 in SNMPv2c and in SNMPv1 with community \"{}\", {} attempt(s) of {} ms each); see snmp/rfc3416/4.2.1/get-answered",
                self.opts.community,
                1 + self.opts.retries,
                self.opts.timeout.as_millis()
            ));
        }
        for v in case.versions() {
            if !self.probe.answers(v) {
                return Some(format!(
                    "the agent does not answer {} (a Get of sysDescr.0 got no response)",
                    version_name(v)
                ));
            }
        }
        None
    }

    /// Whether the agent has an instance under `root`: `Err(reason)` to skip.
    async fn require(
        &self,
        client: &SnmpClient,
        case: &SnmpCase,
        root: &Oid,
    ) -> Result<(), String> {
        let s = client.session(case.default_version(), &self.opts.community);
        let t = s
            .get_next(std::slice::from_ref(root))
            .await
            .map_err(|e| e.to_string())?;
        let found = t.reply().and_then(|m| {
            (m.pdu.error_status == 0)
                .then(|| m.pdu.varbinds.first())
                .flatten()
                .filter(|vb| vb.oid.starts_with(root) && vb.value.value().is_some())
        });
        if found.is_some() {
            return Ok(());
        }
        let got = match &t.answer {
            Answer::Reply { message, .. } => match message.pdu.varbinds.first() {
                Some(vb) if message.pdu.error_status == 0 => {
                    format!("{} = {}", name_of(&vb.oid), shown(&vb.value))
                }
                _ => error_status::name(message.pdu.error_status).to_string(),
            },
            Answer::Malformed { error, .. } => format!("an answer that is not SNMP ({error})"),
            Answer::Silence => "no answer".into(),
        };
        Err(format!(
            "the agent has nothing under {} ({root}): a GetNext of it got {got}",
            name_of(root)
        ))
    }

    /// Run one case.
    pub async fn run(&self, case: &SnmpCase) -> CaseResult {
        let start = Instant::now();
        let mut r = CaseResult::start(
            &case.id,
            case.level,
            &case.clause,
            &case.title,
            &case.requirement,
        );
        if let Some(why) = self.skip_reason(case) {
            r.outcome = Outcome::Skip;
            r.reason = why;
            return r;
        }
        let mut state = State::default();
        let stopped = match self.steps(case, &mut state).await {
            Ok(()) => None,
            Err(Stop::Skip(why)) if state.findings.is_empty() => {
                r.outcome = Outcome::Skip;
                r.reason = why;
                r.evidence = state.evidence;
                r.elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                return r;
            }
            Err(Stop::Skip(why) | Stop::Error(why)) => Some(why),
        };
        r.findings = state.findings;
        r.evidence = state.evidence;
        if let Some(f) = r.findings.first() {
            r.outcome = match case.level {
                Level::Must => Outcome::Fail,
                Level::Should | Level::May => Outcome::Warn,
            };
            r.reason = format!(
                "step {}: {}: expected {}, got {}",
                f.step + 1,
                f.check,
                f.expected,
                f.actual
            );
            if let Some(s) = stopped {
                r.reason.push_str(&format!(" (then {s})"));
            }
        } else if let Some(s) = stopped {
            r.outcome = Outcome::Error;
            r.reason = s;
        }
        r.elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        r
    }

    async fn steps(&self, case: &SnmpCase, state: &mut State) -> Result<(), Stop> {
        let client = self.client().await.map_err(Stop::Error)?;
        for root in &case.requires {
            let root = names::parse(root).map_err(Stop::Error)?;
            self.require(&client, case, &root)
                .await
                .map_err(Stop::Skip)?;
        }
        for (i, s) in case.steps.iter().enumerate() {
            let action = s
                .action()
                .map_err(|(f, m)| Stop::Error(format!("step {} {f}: {m}", i + 1)))?;
            self.step(&client, case, i, s, &action, state)
                .await
                .map_err(|e| match e {
                    Stop::Error(m) => Stop::Error(format!("step {}: {m}", i + 1)),
                    skip => skip,
                })?;
            if !state.findings.is_empty() {
                break;
            }
        }
        Ok(())
    }

    fn community(&self, s: &SnmpStep, write: bool) -> String {
        match s.community.as_deref() {
            Some("$community") => self.opts.community.clone(),
            Some("$write-community") => self.opts.write_community.clone(),
            Some(c) => c.to_string(),
            None if write => self.opts.write_community.clone(),
            None => self.opts.community.clone(),
        }
    }

    async fn step(
        &self,
        client: &SnmpClient,
        case: &SnmpCase,
        i: usize,
        s: &SnmpStep,
        action: &Action,
        state: &mut State,
    ) -> Result<(), Stop> {
        let version = s
            .version
            .as_deref()
            .and_then(spec::version)
            .unwrap_or(case.default_version());
        let write = matches!(action, Action::Set(_));
        let session = client.session(version, &self.community(s, write));
        let timeout = self.opts.timeout;
        let request = match action {
            Action::Wait(ms) => {
                tokio::time::sleep(Duration::from_millis(*ms)).await;
                return Ok(());
            }
            Action::Check(name) => {
                if let Some((_, f)) = CHECKS.iter().find(|(n, _)| n == name) {
                    f(i, &state.seen, &mut state.findings);
                }
                return Ok(());
            }
            Action::IppAgrees(name) => return self.cross_check(&session, i, name, state).await,
            Action::Walk { root, bulk } => {
                return self.walk(&session, i, s, root, *bulk, state).await
            }
            Action::SendRaw(bytes) => {
                let t = client.send_raw(bytes.clone(), timeout).await;
                state.evidence.push(evidence(i, &t, timeout));
                if s.expect_no_response && t.answer != Answer::Silence {
                    let got = match &t.answer {
                        Answer::Reply { message, .. } => describe(message)
                            .lines()
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                        _ => format!("{} bytes that are not SNMP", t.answer_bytes().len()),
                    };
                    state.fail(i, "response", "no answer: the datagram is discarded", got);
                }
                return Ok(());
            }
            Action::Get(oids) => {
                let times = s.times.unwrap_or(1).max(1);
                let vbs = (0..times)
                    .flat_map(|_| oids.iter().cloned().map(VarBind::null))
                    .collect();
                session.message(PduKind::Get, 0, 0, vbs)
            }
            Action::GetNext(oids) => session.message(
                PduKind::GetNext,
                0,
                0,
                oids.iter().cloned().map(VarBind::null).collect(),
            ),
            Action::GetBulk {
                non_repeaters,
                max_repetitions,
                oids,
            } => session.message(
                PduKind::GetBulk,
                *non_repeaters,
                *max_repetitions,
                oids.iter().cloned().map(VarBind::null).collect(),
            ),
            Action::Set(list) => {
                let mut vbs = Vec::new();
                for b in list {
                    let oid = names::parse(&b.oid).map_err(Stop::Error)?;
                    let value = set_value(b, &state.vars).map_err(Stop::Error)?;
                    vbs.push(VarBind {
                        oid,
                        value: VarValue::Value(value),
                    });
                }
                session.message(PduKind::Set, 0, 0, vbs)
            }
        };
        let mut request = request;
        if let Some(id) = s.request_id {
            request.pdu.request_id = id;
        }
        let t = if s.expect_no_response {
            client.request_with(&request, 1, timeout).await
        } else {
            client.request(&request).await
        }
        .map_err(|e| Stop::Error(format!("cannot encode the request: {e}")))?;
        state.evidence.push(evidence(i, &t, timeout));
        if s.expect_no_response {
            let answered = match &t.answer {
                Answer::Reply { message, .. } => Some(
                    describe(message)
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                ),
                Answer::Malformed { bytes, .. } => {
                    Some(format!("{} bytes that are not SNMP", bytes.len()))
                }
                Answer::Silence => t
                    .strays
                    .first()
                    .map(|(_, m)| describe(m).lines().next().unwrap_or_default().to_string()),
            };
            if let Some(got) = answered {
                state.fail(i, "response", "no answer: the message is discarded", got);
            }
            return Ok(());
        }
        let Some(m) = envelope(state, i, &t, timeout) else {
            return Ok(());
        };
        let refused = [error_status::NO_ACCESS, error_status::AUTHORIZATION_ERROR];
        let expected = s
            .expect_error_status
            .as_ref()
            .map(OneOrMany::to_vec)
            .unwrap_or_default();
        if write
            && refused.contains(&m.pdu.error_status)
            && !expected
                .iter()
                .any(|e| e == error_status::name(m.pdu.error_status))
        {
            // RFC 3416 §4.2.5 (1): the community may not write at all, so
            // the case cannot see what it is about.
            return Err(Stop::Skip(format!(
                "the agent does not let community \"{}\" write ({}): give its write community with --write-community",
                String::from_utf8_lossy(&request.community),
                error_status::name(m.pdu.error_status)
            )));
        }
        check_answer(state, i, s, action, &request, m);
        state.remember(&m.pdu.varbinds);
        Ok(())
    }

    async fn walk(
        &self,
        session: &Session<'_>,
        i: usize,
        s: &SnmpStep,
        root: &Oid,
        bulk: bool,
        state: &mut State,
    ) -> Result<(), Stop> {
        let timeout = self.opts.timeout;
        let w = session
            .walk(root, bulk)
            .await
            .map_err(|e| Stop::Error(format!("cannot encode a walk request: {e}")))?;
        for t in &w.transactions {
            state.evidence.push(evidence(i, t, timeout));
        }
        let how = if bulk { "GetBulk" } else { "GetNext" };
        match &w.end {
            WalkEnd::LeftSubtree | WalkEnd::EndOfMibView => {}
            WalkEnd::Error { status, .. }
                if *status == error_status::NO_SUCH_NAME && session.version == Version::V1 => {}
            WalkEnd::Error { status, index } => state.fail(
                i,
                "error-status",
                match session.version {
                    Version::V2c => format!("noError (a v2c {how} past the last object answers endOfMibView, RFC 3416 §4.2.2)"),
                    Version::V1 => format!("noError, or noSuchName at the end of the MIB (a v1 {how})"),
                },
                format!("{} ({status}), error-index {index}", error_status::name(*status)),
            ),
            WalkEnd::NotIncreasing { asked, got } => state.fail(
                i,
                "lexicographic order",
                format!("a name after {} ({asked}) in the {how} answer", name_of(asked)),
                format!("{} ({got})", name_of(got)),
            ),
            WalkEnd::Exception { oid, value } => state.fail(
                i,
                "exception",
                format!("a value, or endOfMibView, in a {how} answer"),
                format!("{} at {}", type_name(value), name_of(oid)),
            ),
            WalkEnd::BadAnswer(why) => {
                if let Some(t) = w.transactions.last() {
                    let before = state.findings.len();
                    let m = envelope(state, i, t, timeout);
                    if state.findings.len() == before {
                        if let Some(m) = m {
                            state.fail(i, "binding count", "at least one binding", format!("{} ({})", m.pdu.varbinds.len(), why));
                        }
                    }
                }
            }
            WalkEnd::Limit => state.fail(
                i,
                "walk",
                format!("the subtree to end within {WALK_LIMIT} bindings"),
                "it did not",
            ),
        }
        // A walk that broke down checks nothing more.
        if !state.findings.is_empty() {
            return Ok(());
        }
        if let Some(n) = s.expect_bindings {
            if w.bindings.len() != n {
                state.fail(
                    i,
                    "binding count",
                    n.to_string(),
                    w.bindings.len().to_string(),
                );
            }
        }
        for e in &s.expect {
            check_expect(state, i, e, &w.bindings);
        }
        capture(state, i, s, &w.bindings);
        state.remember(&w.bindings);
        Ok(())
    }

    /// Read `wanted` from the IPP URI: the exchange (evidence) and the answer.
    async fn ipp_attributes(
        &self,
        step: usize,
        wanted: &[&str],
    ) -> (Exchange, Result<IppMessage, String>) {
        let Some(target) = &self.opts.ipp else {
            let ex = Exchange {
                step,
                ..Default::default()
            };
            return (ex, Err("no IPP URI".into()));
        };
        crate::cross_check::ipp_attributes(target, wanted, self.opts.ipp_timeout, step, "").await
    }

    /// Read what a cross-check needs over SNMP: walks of `roots` into `state.seen`.
    async fn read_snmp(
        &self,
        session: &Session<'_>,
        i: usize,
        roots: &[&str],
        state: &mut State,
    ) -> Result<(), Stop> {
        for r in roots {
            let root = names::oid_of(r).ok_or_else(|| Stop::Error(format!("no object {r}")))?;
            let step = SnmpStep::default();
            let bulk = session.version == Version::V2c;
            self.walk(session, i, &step, &root, bulk, state).await?;
            if !state.findings.is_empty() {
                break;
            }
        }
        Ok(())
    }

    async fn cross_check(
        &self,
        session: &Session<'_>,
        i: usize,
        name: &str,
        state: &mut State,
    ) -> Result<(), Stop> {
        let ipp_attr = |m: &IppMessage, n: &str| -> Vec<IppValue> {
            m.groups
                .iter()
                .filter(|g| g.tag == DelimiterTag::PrinterAttributes)
                .flat_map(|g| &g.attributes)
                .find(|a| a.name == n)
                .map(|a| a.values.clone())
                .unwrap_or_default()
        };
        let first_printer = |seen: &Seen| -> Option<Vec<u32>> {
            checks::column(seen, &names::oid_of("hrPrinterStatus").unwrap_or_default())
                .first()
                .map(|(idx, _)| idx.clone())
        };
        match name {
            "printer-status" => {
                // SNMP, IPP, SNMP again: the two SNMP readings must agree, or
                // the printer changed state in between and we try again.
                for _attempt in 0..3 {
                    let mut before = State::default();
                    self.read_snmp(
                        session,
                        i,
                        &["hrPrinterStatus", "hrPrinterDetectedErrorState"],
                        &mut before,
                    )
                    .await?;
                    state.evidence.append(&mut before.evidence);
                    if !before.findings.is_empty() {
                        state.findings.append(&mut before.findings);
                        return Ok(());
                    }
                    let (ex, ipp) = self
                        .ipp_attributes(i, &["printer-state", "printer-state-reasons"])
                        .await;
                    state.evidence.push(ex);
                    let ipp = ipp.map_err(Stop::Error)?;
                    let mut after = State::default();
                    self.read_snmp(
                        session,
                        i,
                        &["hrPrinterStatus", "hrPrinterDetectedErrorState"],
                        &mut after,
                    )
                    .await?;
                    state.evidence.append(&mut after.evidence);
                    if !after.findings.is_empty() {
                        state.findings.append(&mut after.findings);
                        return Ok(());
                    }
                    if before.seen != after.seen {
                        continue;
                    }
                    let Some(idx) = first_printer(&before.seen) else {
                        state.fail(
                            i,
                            "hrPrinterTable presence",
                            "a row for the printer",
                            "no hrPrinterStatus instance",
                        );
                        return Ok(());
                    };
                    let status_oid = names::oid_of("hrPrinterStatus")
                        .unwrap_or_default()
                        .child(&idx);
                    let Some(status) = before.seen.get(&status_oid).and_then(checks::integer)
                    else {
                        state.fail(
                            i,
                            "hrPrinterStatus type",
                            "INTEGER",
                            before.seen.get(&status_oid).map_or("absent", type_name),
                        );
                        return Ok(());
                    };
                    let bits_oid = names::oid_of("hrPrinterDetectedErrorState")
                        .unwrap_or_default()
                        .child(&idx);
                    let bits = before
                        .seen
                        .get(&bits_oid)
                        .and_then(VarValue::value)
                        .and_then(Value::as_bytes)
                        .map(<[u8]>::to_vec)
                        .unwrap_or_default();
                    let Some(ipp_state) = ipp_attr(&ipp, "printer-state")
                        .first()
                        .and_then(IppValue::as_i32)
                    else {
                        return Err(Stop::Skip(
                            "the IPP target does not report printer-state".into(),
                        ));
                    };
                    if let Err((expected, actual)) =
                        checks::printer_status_agrees(ipp_state, status, &bits)
                    {
                        state.fail(i, "hrPrinterStatus vs printer-state", expected, actual);
                    }
                    state.seen.extend(before.seen);
                    return Ok(());
                }
                Err(Stop::Error(
                    "the printer's state kept changing during three readings".into(),
                ))
            }
            "marker-levels" => {
                self.read_snmp(session, i, &["prtMarkerSuppliesTable"], state)
                    .await?;
                if !state.findings.is_empty() {
                    return Ok(());
                }
                let (ex, ipp) = self
                    .ipp_attributes(i, &["marker-names", "marker-levels"])
                    .await;
                state.evidence.push(ex);
                let ipp = ipp.map_err(Stop::Error)?;
                let levels: Vec<i64> = ipp_attr(&ipp, "marker-levels")
                    .iter()
                    .filter_map(IppValue::as_i32)
                    .map(i64::from)
                    .collect();
                if levels.is_empty() {
                    return Err(Stop::Skip(
                        "the IPP target does not report marker-levels".into(),
                    ));
                }
                let names: Vec<String> = ipp_attr(&ipp, "marker-names")
                    .iter()
                    .map(crate::runner::value_text)
                    .collect();
                for (check, expected, actual) in
                    checks::marker_levels_agree(&names, &levels, &checks::supplies(&state.seen))
                {
                    state.fail(i, check, expected, actual);
                }
                Ok(())
            }
            "device-id" => {
                self.read_snmp(session, i, &["ppmPrinterIEEE1284DeviceId"], state)
                    .await?;
                if !state.findings.is_empty() {
                    return Ok(());
                }
                let col = names::oid_of("ppmPrinterIEEE1284DeviceId").unwrap_or_default();
                let Some(snmp_id) = checks::column(&state.seen, &col)
                    .first()
                    .map(|(_, v)| value_text(v))
                else {
                    return Err(Stop::Skip(
                        "the agent has no ppmPrinterIEEE1284DeviceId".into(),
                    ));
                };
                let (ex, ipp) = self.ipp_attributes(i, &["printer-device-id"]).await;
                state.evidence.push(ex);
                let ipp = ipp.map_err(Stop::Error)?;
                let Some(ipp_id) = ipp_attr(&ipp, "printer-device-id")
                    .first()
                    .map(crate::runner::value_text)
                else {
                    return Err(Stop::Skip(
                        "the IPP target does not report printer-device-id".into(),
                    ));
                };
                for (check, expected, actual) in checks::device_ids_agree(&ipp_id, &snmp_id) {
                    state.fail(i, check, expected, actual);
                }
                Ok(())
            }
            "make-and-model" => {
                self.read_snmp(session, i, &["hrPrinterStatus", "hrDeviceDescr"], state)
                    .await?;
                if !state.findings.is_empty() {
                    return Ok(());
                }
                let Some(idx) = first_printer(&state.seen) else {
                    state.fail(
                        i,
                        "hrPrinterTable presence",
                        "a row for the printer",
                        "no hrPrinterStatus instance",
                    );
                    return Ok(());
                };
                let descr_oid = names::oid_of("hrDeviceDescr")
                    .unwrap_or_default()
                    .child(&idx);
                let Some(descr) = state.seen.get(&descr_oid).map(value_text) else {
                    state.fail(
                        i,
                        "hrDeviceDescr presence",
                        format!("present for the printer row {}", name_of(&descr_oid)),
                        "absent",
                    );
                    return Ok(());
                };
                let (ex, ipp) = self.ipp_attributes(i, &["printer-make-and-model"]).await;
                state.evidence.push(ex);
                let ipp = ipp.map_err(Stop::Error)?;
                let Some(mm) = ipp_attr(&ipp, "printer-make-and-model")
                    .first()
                    .map(crate::runner::value_text)
                else {
                    return Err(Stop::Skip(
                        "the IPP target does not report printer-make-and-model".into(),
                    ));
                };
                if !checks::make_and_model_agrees(&mm, &descr) {
                    state.fail(
                        i,
                        "hrDeviceDescr vs printer-make-and-model",
                        format!("the printer IPP calls '{mm}'"),
                        format!("'{descr}' at {}", name_of(&descr_oid)),
                    );
                }
                Ok(())
            }
            other => Err(Stop::Error(format!("no cross-check '{other}'"))),
        }
    }
}

/// Run `cases` against the runner's agent, `jobs` at a time; `on_done`
/// sees each result as it comes. Results come back in the order they finished.
pub async fn run_cases<F>(
    runner: Arc<SnmpRunner>,
    cases: Vec<SnmpCase>,
    jobs: usize,
    mut on_done: F,
) -> Vec<CaseResult>
where
    F: FnMut(&CaseResult),
{
    let total = cases.len();
    let queue = Arc::new(std::sync::Mutex::new(
        cases.into_iter().collect::<std::collections::VecDeque<_>>(),
    ));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<CaseResult>();
    for _ in 0..jobs.max(1).min(total) {
        let (queue, tx, runner) = (Arc::clone(&queue), tx.clone(), Arc::clone(&runner));
        tokio::spawn(async move {
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(case) = next else { break };
                if tx.send(runner.run(&case).await).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut results = Vec::with_capacity(total);
    while let Some(r) = rx.recv().await {
        on_done(&r);
        results.push(r);
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use paperjam_sim::snmp::Pdu;

    fn response(status: u32, index: u32, vbs: Vec<VarBind>) -> Message {
        Message {
            version: Version::V2c,
            community: b"public".to_vec(),
            pdu: Pdu {
                kind: PduKind::Response,
                request_id: 7,
                error_status: status,
                error_index: index,
                varbinds: vbs,
            },
        }
    }

    fn vb(oid: &str, v: VarValue) -> VarBind {
        VarBind {
            oid: names::parse(oid).unwrap_or_else(|e| panic!("{e}")),
            value: v,
        }
    }

    fn checks_of(step_toml: &str, req: &Message, m: &Message) -> Vec<String> {
        let s: SnmpStep = toml::from_str(step_toml).unwrap_or_else(|e| panic!("{e}"));
        let action = s.action().unwrap_or_else(|(f, e)| panic!("{f}: {e}"));
        let mut state = State::default();
        check_answer(&mut state, 0, &s, &action, req, m);
        state.findings.into_iter().map(|f| f.check).collect()
    }

    #[test]
    fn answers_are_graded() {
        let req = |kind, a, b, oids: &[&str]| Message {
            version: Version::V2c,
            community: b"public".to_vec(),
            pdu: Pdu {
                kind,
                request_id: 7,
                error_status: a,
                error_index: b,
                varbinds: oids
                    .iter()
                    .map(|o| vb(o, VarValue::Value(Value::Null)))
                    .collect(),
            },
        };
        let get = req(PduKind::Get, 0, 0, &["sysDescr.0"]);
        let ok = response(
            0,
            0,
            vec![vb("sysDescr.0", VarValue::Value(Value::text("x")))],
        );
        let step = "get = [\"sysDescr.0\"]\nexpect-same-names = true\nexpect = [{ oid = \"sysDescr.0\", type = \"OCTET STRING\", display-string = true }]";
        assert!(checks_of(step, &get, &ok).is_empty());
        let err = response(2, 1, get.pdu.varbinds.clone());
        // An error answer is graded by its status alone.
        assert_eq!(checks_of(step, &get, &err), ["error-status"]);
        let exc = response(0, 0, vec![vb("sysDescr.0", VarValue::NoSuchObject)]);
        let step = "get = [\"sysDescr.0\"]\nexpect-exception = \"noSuchInstance\"";
        assert_eq!(checks_of(step, &get, &exc), ["exception"]);
        let odd = response(
            0,
            3,
            vec![vb("sysName.0", VarValue::Value(Value::Integer(1)))],
        );
        let step = "get = [\"sysDescr.0\"]\nexpect-same-names = true";
        assert_eq!(
            checks_of(step, &get, &odd),
            ["error-index", "binding names"]
        );
        // GetNext must move on; GetBulk within N + M × R, column by column.
        let next = req(PduKind::GetNext, 0, 0, &["sysDescr.0"]);
        let same = response(
            0,
            0,
            vec![vb("sysDescr.0", VarValue::Value(Value::Integer(1)))],
        );
        let step = "getnext = [\"sysDescr.0\"]\nexpect-increasing = true";
        assert_eq!(checks_of(step, &next, &same), ["lexicographic order"]);
        let end = response(0, 0, vec![vb("sysDescr.0", VarValue::EndOfMibView)]);
        assert!(checks_of(step, &next, &end).is_empty());
        let bulk = req(PduKind::GetBulk, 1, 2, &["sysUpTime", "system"]);
        let v = |o: &str| vb(o, VarValue::Value(Value::Integer(1)));
        let good = response(
            0,
            0,
            vec![v("sysUpTime.0"), v("sysDescr.0"), v("sysObjectID.0")],
        );
        let step = "getbulk = { non-repeaters = 1, max-repetitions = 2, oids = [\"sysUpTime\", \"system\"] }\nexpect-increasing = true";
        assert!(checks_of(step, &bulk, &good).is_empty());
        let long = response(
            0,
            0,
            vec![
                v("sysUpTime.0"),
                v("sysDescr.0"),
                v("sysObjectID.0"),
                v("sysUpTime.0"),
            ],
        );
        assert_eq!(checks_of(step, &bulk, &long), ["binding count"]);
        let back = response(
            0,
            0,
            vec![v("sysUpTime.0"), v("sysObjectID.0"), v("sysDescr.0")],
        );
        assert_eq!(checks_of(step, &bulk, &back), ["lexicographic order"]);
    }

    #[test]
    fn values_to_set() {
        let vars: BTreeMap<String, Value> = [("c".to_string(), Value::text("me"))].into();
        let spec = |ty: Option<&str>, value: SetValue| SetSpec {
            oid: "sysContact.0".into(),
            syntax: ty.map(str::to_string),
            value,
        };
        assert_eq!(
            set_value(&spec(None, SetValue::Text("$c".into())), &vars),
            Ok(Value::text("me"))
        );
        assert!(set_value(&spec(Some("INTEGER"), SetValue::Text("$c".into())), &vars).is_err());
        assert!(set_value(&spec(None, SetValue::Text("$nope".into())), &vars).is_err());
        assert_eq!(
            set_value(&spec(Some("INTEGER"), SetValue::Number(-3)), &vars),
            Ok(Value::Integer(-3))
        );
        assert_eq!(
            set_value(
                &spec(Some("OCTET STRING"), SetValue::Text("x".into())),
                &vars
            ),
            Ok(Value::text("x"))
        );
        assert_eq!(
            set_value(
                &spec(
                    Some("OBJECT IDENTIFIER"),
                    SetValue::Text("hrDevicePrinter".into())
                ),
                &vars
            ),
            Ok(Value::ObjectId(Oid::new([1, 3, 6, 1, 2, 1, 25, 3, 1, 5])))
        );
        assert_eq!(
            set_value(
                &spec(Some("IpAddress"), SetValue::Text("10.0.0.1".into())),
                &vars
            ),
            Ok(Value::IpAddress([10, 0, 0, 1]))
        );
        assert!(set_value(&spec(Some("Gauge32"), SetValue::Number(-1)), &vars).is_err());
    }

    #[test]
    fn messages_read_well() {
        let m = response(
            0,
            0,
            vec![vb("sysDescr.0", VarValue::Value(Value::text("Laser")))],
        );
        let d = describe(&m);
        assert!(
            d.starts_with("SNMPv2c Response, request-id 7, noError, error-index 0, 1 binding(s)\n"),
            "{d}"
        );
        assert!(
            d.contains("sysDescr.0 (1.3.6.1.2.1.1.1.0) = STRING: \"Laser\""),
            "{d}"
        );
    }
}
