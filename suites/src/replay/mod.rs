//! Replay: the client side of a capture's sessions sent to a target in
//! order, each answer compared with the captured one by meaning, each
//! exchange a graded case whose findings carry both sides as evidence.
//!
//! - [`rules`]: what is normalised before comparing, listed in the report;
//! - [`ipp`]: requests rewritten for the target, answers diffed;
//! - [`snmp`]: SNMP answers diffed binding by binding;
//! - [`mdns`]: a browser's queries sent again on the target's link, the
//!   answers diffed question by question;
//! - LPD and AppSocket steps are replayed by [`raw`].
//!
//! The runner's politeness holds: nothing that prints is sent without
//! `allow_print`, nothing that changes the printer or others' jobs without
//! `allow_write`; what was not sent is a skip with its reason.

pub mod ipp;
pub mod mdns;
pub mod raw;
pub mod rules;
pub mod snmp;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use paperjam_sim::wire::ipp::{Message, RawMessage};
use serde::{Deserialize, Serialize};

use crate::client::{Connection, HttpRequest, TargetUri};
use crate::grade::{hex, CaseResult, Exchange, Finding, Outcome};
use crate::pcap::session::{DatagramExchange, HttpExchange, Protocol, Session, SessionBody};
use crate::raw_target::RawTarget;
use crate::runner::describe;
use crate::snmp::client::SnmpClient;
use crate::snmp::SnmpTarget;
use crate::spec::Level;

/// How much a difference weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A value differs, or the target says more than the capture.
    Warn,
    /// Another status, a missing attribute, another syntax.
    Fail,
}

/// One difference between the captured answer and the target's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// What differs (`printer group: printer-name value`).
    pub check: String,
    /// The captured side.
    pub captured: String,
    /// The target's side.
    pub replayed: String,
    /// How much it weighs.
    pub severity: Severity,
}

/// Where each protocol's sessions go.
#[derive(Debug, Clone, Default)]
pub struct ReplayTargets {
    /// IPP (and other HTTP) sessions.
    pub ipp: Option<TargetUri>,
    /// LPD sessions.
    pub lpd: Option<RawTarget>,
    /// AppSocket sessions.
    pub socket: Option<RawTarget>,
    /// SNMP sessions.
    pub snmp: Option<SnmpTarget>,
    /// mDNS sessions: the link the printer answers on (the network, or the
    /// virtual printer's responder in memory).
    pub mdns: Option<crate::mdns::Source>,
}

impl ReplayTargets {
    /// The targets' URIs, for the report's head.
    pub fn describe(&self) -> String {
        let mut v = Vec::new();
        if let Some(t) = &self.ipp {
            v.push(t.uri.clone());
        }
        if let Some(t) = &self.lpd {
            v.push(t.uri.clone());
        }
        if let Some(t) = &self.socket {
            v.push(t.uri.clone());
        }
        if let Some(t) = &self.snmp {
            v.push(t.display_uri());
        }
        if let Some(s) = &self.mdns {
            v.push(match s {
                crate::mdns::Source::Network(_) => "dnssd: (multicast)".to_string(),
                crate::mdns::Source::Virtual(_) => {
                    "dnssd: (the virtual printer's responder)".to_string()
                }
            });
        }
        v.join(" ")
    }
}

/// What a replay may do.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The capture's name, for case ids (`ndpi-ipp`).
    pub capture: String,
    /// Send requests that print (Print-Job, an LPD job, AppSocket data).
    pub allow_print: bool,
    /// Send requests that change the printer or jobs.
    pub allow_write: bool,
    /// How long one answer may take.
    pub timeout: Duration,
    /// The SNMP community to use instead of the captured one.
    pub community: Option<String>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            capture: "capture".into(),
            allow_print: false,
            allow_write: false,
            timeout: Duration::from_secs(10),
            community: None,
        }
    }
}

/// What a replay produced: one case per exchange, and the rules it followed.
#[derive(Debug, Clone)]
pub struct ReplayResult {
    /// The graded exchanges.
    pub cases: Vec<CaseResult>,
    /// The rules of normalisation used.
    pub rules: Vec<rules::Rule>,
}

/// The clause a replayed exchange cites: where it is in the capture.
fn clause(capture: &str, s: &Session, frame: u64) -> String {
    format!("capture {capture} §s{}.{frame}", s.number)
}

const REQUIREMENT: &str = "The target answers the captured request as the captured printer did, once what must differ (ids, times, addresses, counters) is normalised";

fn case(opts: &ReplayOptions, s: &Session, n: usize, what: &str, frame: u64) -> CaseResult {
    let slug: String = what
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    CaseResult::start(
        &format!(
            "replay/{}/s{}/{n:03}-{}",
            opts.capture,
            s.number,
            slug.trim_matches('-')
        ),
        Level::Must,
        &clause(&opts.capture, s, frame),
        &format!("{what} (frame {frame}) answered as captured"),
        REQUIREMENT,
    )
}

fn skip(mut r: CaseResult, reason: impl Into<String>) -> CaseResult {
    r.outcome = Outcome::Skip;
    r.reason = reason.into();
    r
}

fn error(mut r: CaseResult, reason: impl Into<String>) -> CaseResult {
    r.outcome = Outcome::Error;
    r.reason = reason.into();
    r
}

/// Grade `r` by its differences.
fn grade(mut r: CaseResult, step: usize, diffs: Vec<Difference>) -> CaseResult {
    let fails = diffs
        .iter()
        .filter(|d| d.severity == Severity::Fail)
        .count();
    let warns = diffs.len() - fails;
    r.outcome = if fails > 0 {
        Outcome::Fail
    } else if warns > 0 {
        Outcome::Warn
    } else {
        Outcome::Pass
    };
    if !diffs.is_empty() {
        let first = &diffs[0];
        r.reason = format!(
            "{} difference(s) ({fails} fail, {warns} warn); first: {}: captured {}, target {}",
            diffs.len(),
            first.check,
            first.captured,
            first.replayed
        );
    }
    r.findings = diffs
        .into_iter()
        .map(|d| Finding {
            step,
            check: d.check,
            expected: format!("as captured: {}", d.captured),
            actual: d.replayed,
        })
        .collect();
    r
}

/// Replay every session, in order, against the targets.
pub async fn replay(
    sessions: &[Session],
    targets: &ReplayTargets,
    opts: &ReplayOptions,
) -> ReplayResult {
    let mut cases = Vec::new();
    let mut used = Vec::new();
    // Job ids learned in one session are named in later ones (a Print-Job
    // on one connection, its Get-Job-Attributes on the next).
    let mut ctx = targets.ipp.as_ref().map(|t| ipp::IppContext {
        captured_path: sessions
            .iter()
            .find_map(|s| match &s.body {
                SessionBody::Http { exchanges } => exchanges.first().map(|x| x.path.clone()),
                _ => None,
            })
            .unwrap_or_default(),
        target_path: t.path.clone(),
        target_uri: t.uri.clone(),
        ..ipp::IppContext::default()
    });
    // In capture order: an HTTP session exchange by exchange (a client's
    // connections interleave: a Get-Jobs on one sees the jobs printed on
    // another so far), any other session whole, at its first frame.
    let mut items: Vec<(u64, usize, usize)> = Vec::new();
    for (si, s) in sessions.iter().enumerate() {
        match &s.body {
            SessionBody::Http { exchanges } if !exchanges.is_empty() => {
                for (xi, x) in exchanges.iter().enumerate() {
                    items.push((x.frame, si, xi));
                }
            }
            _ => items.push((s.first_frame, si, 0)),
        }
    }
    items.sort();
    let mut conns: std::collections::HashMap<usize, Option<Connection>> =
        std::collections::HashMap::new();
    for (_, si, xi) in items {
        let s = &sessions[si];
        match (&s.body, s.protocol) {
            (SessionBody::Http { exchanges }, _) => {
                if xi == 0 {
                    used.push(rules::ipp_rules());
                }
                match (&targets.ipp, ctx.as_mut()) {
                    (Some(target), Some(ctx)) => {
                        let on = HttpTarget {
                            target,
                            ctx,
                            conn: conns.entry(si).or_default(),
                        };
                        replay_http(s, exchanges, xi, on, opts, &mut cases).await
                    }
                    _ if xi == 0 => cases.push(skip(
                        case(opts, s, 0, s.protocol.as_str(), s.first_frame),
                        "no ipp:// target given (--target ipp://host[:port]/path)",
                    )),
                    _ => {}
                }
                // The connection ends with the session's last exchange.
                if xi + 1 >= exchanges.len() {
                    conns.remove(&si);
                }
            }
            (SessionBody::Lpd { command, steps }, _) => {
                used.push(rules::raw_rules());
                let r = case(opts, s, 1, command, s.first_frame);
                cases.push(match &targets.lpd {
                    Some(t) => raw::replay_lpd(r, command, steps, t, opts).await,
                    None => skip(
                        r,
                        "no lpd:// target given (--target lpd://host[:port]/queue)",
                    ),
                });
            }
            (
                SessionBody::Socket {
                    data, back_channel, ..
                },
                _,
            ) => {
                used.push(rules::raw_rules());
                let r = case(opts, s, 1, "appsocket job", s.first_frame);
                cases.push(match &targets.socket {
                    Some(t) => raw::replay_socket(r, data, back_channel, t, opts).await,
                    None => skip(
                        r,
                        "no socket:// target given (--target socket://host[:port])",
                    ),
                });
            }
            (SessionBody::Snmp { exchanges }, _) => {
                used.push(rules::snmp_rules());
                match &targets.snmp {
                    Some(t) => replay_snmp(s, exchanges, t, opts, &mut cases).await,
                    None => cases.push(skip(
                        case(opts, s, 0, "snmp", s.first_frame),
                        "no snmp:// target given (--target snmp://[community@]host[:port])",
                    )),
                }
            }
            (SessionBody::Mdns { exchanges }, _) => {
                used.push(rules::mdns_rules());
                match &targets.mdns {
                    Some(source) => {
                        mdns::replay(
                            |n, what, frame| case(opts, s, n, what, frame),
                            exchanges,
                            source,
                            opts,
                            &mut cases,
                        )
                        .await
                    }
                    None => {
                        for (i, x) in exchanges.iter().enumerate() {
                            cases.push(skip(
                                case(opts, s, i + 1, "mdns query", x.frame),
                                "no dnssd: target given (--target dnssd: [--mdns-interface NAME])",
                            ));
                        }
                    }
                }
            }
            (SessionBody::Other { .. }, p) => {
                let why = if p == Protocol::Other {
                    "no framer reads this flow (TLS, or a protocol paperjam does not speak)"
                } else {
                    "nothing to replay"
                };
                cases.push(skip(case(opts, s, 0, p.as_str(), s.first_frame), why));
            }
        }
    }
    let mut rules: Vec<rules::Rule> = Vec::new();
    for r in used.into_iter().flatten() {
        if !rules.contains(&r) {
            rules.push(r);
        }
    }
    ReplayResult { cases, rules }
}

/// Headers the replay sets itself rather than copying from the capture.
fn copied_header(name: &str) -> bool {
    !matches!(
        name.to_ascii_lowercase().as_str(),
        "host" | "content-length" | "transfer-encoding" | "expect" | "connection"
    )
}

/// One side of an HTTP exchange, for the evidence.
struct HttpSide<'a> {
    label: &'a str,
    request: &'a [u8],
    request_text: String,
    status: u16,
    response: &'a [u8],
    response_text: String,
    elapsed: Duration,
}

fn http_evidence(side: HttpSide<'_>) -> Exchange {
    Exchange {
        step: 0,
        request_hex: hex(side.request, 4096),
        request_bytes: side.request.len(),
        request_decoded: format!("[{}] {}", side.label, side.request_text),
        http_status: side.status,
        response_hex: hex(side.response, 65_536),
        response_bytes: side.response.len(),
        response_decoded: side.response_text,
        elapsed_ms: side.elapsed.as_millis() as u64,
    }
}

fn ipp_text(body: &[u8], request: bool) -> (Option<Message>, String) {
    match Message::parse(body) {
        Ok((m, _)) => {
            let t = describe(&m, request);
            (Some(m), t)
        }
        Err(e) => (None, format!("not IPP: {e}")),
    }
}

/// Where an HTTP exchange goes: the target, what the replay has learned so
/// far, and the session's connection (opened when it is not).
struct HttpTarget<'a> {
    target: &'a TargetUri,
    ctx: &'a mut ipp::IppContext,
    conn: &'a mut Option<Connection>,
}

/// Replay exchange `only` of an HTTP session.
async fn replay_http(
    s: &Session,
    exchanges: &[HttpExchange],
    only: usize,
    on: HttpTarget<'_>,
    opts: &ReplayOptions,
    cases: &mut Vec<CaseResult>,
) {
    let HttpTarget { target, ctx, conn } = on;
    for (i, x) in exchanges.iter().enumerate().filter(|(i, _)| *i == only) {
        let parsed = RawMessage::parse(&x.body).ok();
        let what = match &parsed {
            Some((raw, _)) => ipp::operation_name(raw.code),
            None => format!("{} {}", x.method, x.path),
        };
        let r = case(opts, s, i + 1, &what, x.frame);
        let Some(captured) = &x.response else {
            cases.push(skip(r, "the capture has no answer to this request"));
            continue;
        };
        let mut body = x.body.clone();
        let mut sent_request: Option<RawMessage> = None;
        if let Some((raw, used)) = &parsed {
            if ipp::prints(raw.code) && !opts.allow_print {
                cases.push(skip(
                    r,
                    format!("{what} prints paper and printing is not allowed (--allow-print)"),
                ));
                continue;
            }
            let own_jobs = ipp::named_job_ids(raw)
                .iter()
                .all(|id| ctx.job_ids.contains_key(id))
                && !ipp::named_job_ids(raw).is_empty();
            if ipp::changes_printer(raw.code) && !opts.allow_write && !own_jobs {
                cases.push(skip(
                    r,
                    format!("{what} changes the printer or another's job and writing is not allowed (--allow-write)"),
                ));
                continue;
            }
            let rewritten = ipp::rewrite_request(raw, ctx);
            match rewritten.to_bytes() {
                Ok(mut b) => {
                    b.extend_from_slice(x.body.get(*used..).unwrap_or_default());
                    body = b;
                    sent_request = Some(rewritten);
                }
                Err(e) => {
                    cases.push(error(
                        r,
                        format!("cannot re-encode the captured request: {e}"),
                    ));
                    continue;
                }
            }
        }
        let req = HttpRequest {
            method: x.method.clone(),
            path: if parsed.is_some() || x.path == ctx.captured_path {
                target.path.clone()
            } else {
                x.path.clone()
            },
            http10: false,
            headers: x
                .headers
                .iter()
                .filter(|(n, _)| copied_header(n))
                .cloned()
                .collect(),
            body,
            chunked: x.chunked,
            expect_continue: x.expect_continue,
        };
        if conn.is_none() {
            match Connection::open(target, opts.timeout).await {
                Ok(c) => *conn = Some(c),
                Err(e) => {
                    cases.push(error(r, e.to_string()));
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let started = Instant::now();
        let reply = match c.exchange(&req, opts.timeout).await {
            Ok(reply) => reply,
            Err(e) => {
                *conn = None;
                cases.push(error(r, e.to_string()));
                continue;
            }
        };
        if reply
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
        {
            *conn = None;
        }
        let mut diffs = Vec::new();
        if reply.status != captured.status {
            diffs.push(Difference {
                check: "HTTP status".into(),
                captured: captured.status.to_string(),
                replayed: reply.status.to_string(),
                severity: Severity::Fail,
            });
        }
        let (_, sent_text) = ipp_text(&req.body, true);
        let (cap_msg, cap_text) = ipp_text(&captured.body, false);
        let (rep_msg, rep_text) = ipp_text(&reply.body, false);
        if let (Some(cm), Some(rm), Some(sent)) = (&cap_msg, &rep_msg, &sent_request) {
            if rm.request_id != sent.request_id {
                diffs.push(Difference {
                    check: "request-id echoed".into(),
                    captured: sent.request_id.to_string(),
                    replayed: rm.request_id.to_string(),
                    severity: Severity::Fail,
                });
            }
            if rm.code < 0x0100 && cm.code < 0x0100 {
                ctx.learn_job(cm, rm);
            }
            diffs.extend(ipp::diff(cm, rm, ctx));
        } else if cap_msg.is_some() && rep_msg.is_none() && parsed.is_some() {
            diffs.push(Difference {
                check: "IPP answer".into(),
                captured: "an IPP response".into(),
                replayed: rep_text.clone(),
                severity: Severity::Fail,
            });
        }
        let mut r = grade(r, 0, diffs);
        r.evidence.push(http_evidence(HttpSide {
            label: "sent to the target",
            request: &req.body,
            request_text: sent_text,
            status: reply.status,
            response: &reply.body,
            response_text: rep_text,
            elapsed: started.elapsed(),
        }));
        let (_, orig_text) = ipp_text(&x.body, true);
        r.evidence.push(http_evidence(HttpSide {
            label: &format!("captured, frames {}/{}", x.frame, captured.frame),
            request: &x.body,
            request_text: orig_text,
            status: captured.status,
            response: &captured.body,
            response_text: cap_text,
            elapsed: Duration::ZERO,
        }));
        r.elapsed_ms = started.elapsed().as_millis() as u64;
        cases.push(r);
    }
}

async fn replay_snmp(
    s: &Session,
    exchanges: &[DatagramExchange],
    target: &SnmpTarget,
    opts: &ReplayOptions,
    cases: &mut Vec<CaseResult>,
) {
    use paperjam_sim::snmp::message::{decode, encode, PduKind};
    let addr: SocketAddr = match target.resolve().await {
        Ok(a) => a,
        Err(e) => {
            cases.push(error(
                case(opts, s, 0, "snmp", s.first_frame),
                e.to_string(),
            ));
            return;
        }
    };
    let client = match SnmpClient::connect(addr, opts.timeout, 0).await {
        Ok(c) => c,
        Err(e) => {
            cases.push(error(
                case(opts, s, 0, "snmp", s.first_frame),
                format!("cannot open a UDP socket: {e}"),
            ));
            return;
        }
    };
    // Wait less for requests the captured agent did not answer.
    let short = opts.timeout.min(Duration::from_millis(300));
    for (i, x) in exchanges.iter().enumerate() {
        let decoded = decode(&x.request).ok();
        let what = decoded
            .as_ref()
            .map_or("malformed request".to_string(), |m| {
                m.pdu.kind.name().to_string()
            });
        let r = case(opts, s, i + 1, &what, x.frame);
        if decoded.as_ref().is_some_and(|m| m.pdu.kind == PduKind::Set) && !opts.allow_write {
            cases.push(skip(
                r,
                "SetRequest changes the printer and writing is not allowed (--allow-write)",
            ));
            continue;
        }
        let bytes = match (&decoded, &opts.community) {
            (Some(m), Some(c)) => {
                let mut m = m.clone();
                m.community = c.as_bytes().to_vec();
                match encode(&m) {
                    Ok(b) => b,
                    Err(e) => {
                        cases.push(error(r, format!("cannot re-encode the request: {e}")));
                        continue;
                    }
                }
            }
            _ => x.request.clone(),
        };
        let wait = if x.answers.is_empty() {
            short
        } else {
            opts.timeout
        };
        let started = Instant::now();
        let t = client.send_raw(bytes.clone(), wait).await;
        let answer = t.answer_bytes().to_vec();
        let captured = x.answers.first().map(|(_, b)| b.clone());
        let mut diffs = Vec::new();
        let rep = decode(&answer).ok();
        match (&captured, answer.is_empty()) {
            (None, true) => {}
            (None, false) => diffs.push(Difference {
                check: "answer".into(),
                captured: "no answer".into(),
                replayed: format!("{} bytes", answer.len()),
                severity: Severity::Warn,
            }),
            (Some(_), true) => diffs.push(Difference {
                check: "answer".into(),
                captured: "an answer".into(),
                replayed: format!("no answer within {} ms", wait.as_millis()),
                severity: Severity::Fail,
            }),
            (Some(c), false) => match (decode(c), &rep) {
                (Ok(cm), Some(rm)) => {
                    if let Some(req) = &decoded {
                        if rm.pdu.request_id != req.pdu.request_id {
                            diffs.push(Difference {
                                check: "request-id echoed".into(),
                                captured: req.pdu.request_id.to_string(),
                                replayed: rm.pdu.request_id.to_string(),
                                severity: Severity::Fail,
                            });
                        }
                    }
                    diffs.extend(snmp::diff(&cm, rm));
                }
                (Ok(_), None) => diffs.push(Difference {
                    check: "answer".into(),
                    captured: "an SNMP message".into(),
                    replayed: "a datagram that does not decode".into(),
                    severity: Severity::Fail,
                }),
                (Err(_), _) => {}
            },
        }
        let text = crate::pcap::frame::datagram::describe_snmp;
        let mut r = grade(r, 0, diffs);
        r.evidence.push(Exchange {
            step: 0,
            request_hex: hex(&bytes, 4096),
            request_bytes: bytes.len(),
            request_decoded: format!("[sent to the target] {}", text(&bytes)),
            http_status: 0,
            response_hex: hex(&answer, 65_536),
            response_bytes: answer.len(),
            response_decoded: if answer.is_empty() {
                "(no answer)".into()
            } else {
                text(&answer)
            },
            elapsed_ms: t.elapsed.as_millis() as u64,
        });
        let cap = captured.unwrap_or_default();
        r.evidence.push(Exchange {
            step: 0,
            request_hex: hex(&x.request, 4096),
            request_bytes: x.request.len(),
            request_decoded: format!("[captured, frame {}] {}", x.frame, text(&x.request)),
            http_status: 0,
            response_hex: hex(&cap, 65_536),
            response_bytes: cap.len(),
            response_decoded: if cap.is_empty() {
                "(no answer)".into()
            } else {
                text(&cap)
            },
            elapsed_ms: 0,
        });
        r.elapsed_ms = started.elapsed().as_millis() as u64;
        cases.push(r);
    }
}
