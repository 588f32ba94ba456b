//! Runs the security cases against one printer: the probes move bytes and
//! keep every answer as evidence; [`super::checks`] grades.
//!
//! Only the named host is ever contacted, on the ports of its
//! [`PortPlan`]. What several cases share is probed once per run: the
//! exposure scan (at the start: the report's exposure table needs it), the
//! TLS survey of the IPP and IPPS ports, and the SNMP survey (communities
//! read and written, SNMPv3 discovery). Cases run one at a time, the
//! disruptive ones last; a case that changes the printer runs only with
//! `allow_changes`, a disruptive one only with `allow_disruptive`.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use paperjam_sim::ipp::Operation;
use paperjam_sim::security::auth::{parse_challenges, Credentials, DigestResponse, Scheme};
use paperjam_sim::snmp::{Message as SnmpMessage, Oid, Value as SnmpValue, Version};
use paperjam_sim::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value};

use super::checks::{self, IppAnswer, SnmpSurvey, TlsEndpoint, Verdict, WriteAnswer};
use super::exposure::{self, PortPlan, PortRow, PortState, ServiceKind};
use super::policy::Policy;
use super::robustness::{self, Limits};
use super::snmp_v3;
use super::spec::{Probe, SecurityCase};
use super::tls_probe;
use crate::client::{Connection, HttpRequest, Scheme as UriScheme, TargetUri};
use crate::grade::{hex, CaseResult, Exchange, Outcome};
use crate::report::security::{ExposureRow, SecuritySection};
use crate::snmp::client::{Answer, SnmpClient, Transaction};

/// The user name of the job whose cancel is attempted by someone else.
pub const OWNER: &str = "paperjam-owner";
/// The user who tries to cancel it.
pub const OTHER: &str = "paperjam-other";
/// The user name of every other request.
pub const USER: &str = "paperjam";
/// The user of the wrong credentials (a user that should not exist).
pub const BAD_USER: &str = "paperjam-nobody";
/// Its password.
pub const BAD_PASSWORD: &str = "not-the-password";
/// The communities every run tries.
pub const DEFAULT_COMMUNITIES: [&str; 2] = ["public", "private"];

/// The printer graded: its IPP URI, its address, and the ports to probe.
#[derive(Debug, Clone)]
pub struct SecurityTarget {
    /// The IPP URI (`ipp://` or `ipps://`): the IPP port and resource.
    pub ipp: TargetUri,
    /// The one address probed.
    pub host: IpAddr,
    /// The ports of each service.
    pub ports: PortPlan,
}

impl SecurityTarget {
    /// The target at `ipp`, its host name resolved (the first address).
    pub async fn resolve(ipp: TargetUri, ports: PortPlan) -> Result<SecurityTarget, String> {
        let host = match ipp.host.parse::<IpAddr>() {
            Ok(a) => a,
            Err(_) => tokio::net::lookup_host((ipp.host.as_str(), ipp.port))
                .await
                .map_err(|e| format!("cannot resolve {}: {e}", ipp.host))?
                .next()
                .map(|a| a.ip())
                .ok_or_else(|| format!("{} resolves to no address", ipp.host))?,
        };
        Ok(SecurityTarget { ipp, host, ports })
    }

    /// The IPP port's address.
    pub fn ipp_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.ipp.port)
    }

    /// The IPP URI in clear text (`ipp://`, same host, port and path).
    pub fn plain_uri(&self) -> TargetUri {
        self.with_scheme(UriScheme::Ipp)
    }

    /// The IPP URI over TLS (`ipps://`, same host, port and path).
    pub fn tls_uri(&self) -> TargetUri {
        self.with_scheme(UriScheme::Ipps)
    }

    fn with_scheme(&self, scheme: UriScheme) -> TargetUri {
        let mut t = self.ipp.clone();
        t.scheme = scheme;
        t.uri = format!(
            "{}://{}{}",
            match scheme {
                UriScheme::Ipp => "ipp",
                UriScheme::Ipps => "ipps",
            },
            t.authority(),
            t.path
        );
        t
    }
}

/// What the run may do, and how long it waits.
#[derive(Debug, Clone)]
pub struct SecurityOptions {
    /// Run cases that change the printer (pause, purge, cancel a job).
    pub allow_changes: bool,
    /// Run cases that may disturb it (malformed input, load).
    pub allow_disruptive: bool,
    /// What the organisation requires.
    pub policy: Policy,
    /// Time limit of one IPP request.
    pub timeout: Duration,
    /// Time limit of one port probe, TLS step and SNMP request.
    pub probe_timeout: Duration,
    /// Communities to try besides `public` and `private`.
    pub communities: Vec<String>,
    /// Bounds of the flood and slow-loris probes.
    pub flood: Limits,
    /// A user the runner may sign in as (name, password) for the setup a
    /// case needs on a printer that asks for credentials: the job another
    /// user then tries to cancel. The graded requests never carry them.
    pub credentials: Option<(String, String)>,
}

impl SecurityOptions {
    /// Nothing changed or disturbed, 30 s a request, 3 s a probe, the
    /// flood bounded by 200 requests, 10 s and 8 connections.
    pub fn new(policy: Policy) -> SecurityOptions {
        SecurityOptions {
            allow_changes: false,
            allow_disruptive: false,
            policy,
            timeout: Duration::from_secs(30),
            probe_timeout: Duration::from_secs(3),
            communities: Vec::new(),
            credentials: None,
            flood: Limits {
                requests: 200,
                duration: Duration::from_secs(10),
                connections: 8,
            },
        }
    }
}

/// Run `cases` against `target`: the results (in the order of `cases`) and
/// the report's security section.
pub async fn run_security(
    target: &SecurityTarget,
    cases: &[SecurityCase],
    opts: &SecurityOptions,
) -> (Vec<CaseResult>, SecuritySection) {
    run_security_with(target, cases, opts, |_| {}).await
}

/// [`run_security`], calling `done` after each case (for progress).
pub async fn run_security_with(
    target: &SecurityTarget,
    cases: &[SecurityCase],
    opts: &SecurityOptions,
    mut done: impl FnMut(&CaseResult),
) -> (Vec<CaseResult>, SecuritySection) {
    let mut run = Run::new(target, opts);
    run.exposure = exposure::scan(target.host, &target.ports, opts.probe_timeout).await;
    let (state, evidence) = exposure::probe_tcp(target.ipp_addr(), opts.probe_timeout).await;
    if state != PortState::Open {
        run.ipp_closed = Some(format!(
            "the IPP port {} takes no connection ({evidence})",
            target.ipp_addr()
        ));
    }
    // Disruptive cases last: if one takes the printer down, the others have
    // already been graded.
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|i| cases[*i].disruptive);
    let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
    for i in order {
        let r = run.case(&cases[i]).await;
        done(&r);
        results[i] = Some(r);
    }
    let results: Vec<CaseResult> = results.into_iter().flatten().collect();
    let section = SecuritySection::new(
        opts.policy.describe(),
        run.exposure.iter().map(exposure_row).collect(),
        cases,
        &results,
    );
    (results, section)
}

/// The name of a service in the exposure table.
pub fn service_label(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::Ipp => "IPP",
        ServiceKind::Ipps => "IPPS",
        ServiceKind::Lpd => "LPD",
        ServiceKind::Raw => "Raw printing (AppSocket/JetDirect)",
        ServiceKind::Snmp => "SNMP",
        ServiceKind::Mdns => "mDNS/DNS-SD",
        ServiceKind::CupsBrowsed => "CUPS browsing (cups-browsed)",
    }
}

/// One exposure row for the report: the risk is shown for open ports.
pub fn exposure_row(r: &PortRow) -> ExposureRow {
    ExposureRow {
        service: service_label(r.service).to_string(),
        transport: checks::transport_of(r.service).to_string(),
        port: r.port,
        state: checks::state_name(&r.state),
        risk: if r.state == PortState::Open {
            r.risk.to_string()
        } else {
            String::new()
        },
        evidence: r.evidence.clone(),
    }
}

/// The printer's `printer-make-and-model`, read with a Get-Printer-Attributes
/// (over TLS on the same port when plain HTTP is answered 426).
pub async fn describe_printer(target: &SecurityTarget, timeout: Duration) -> Option<String> {
    let opts = SecurityOptions {
        timeout,
        ..SecurityOptions::new(Policy::default())
    };
    let mut run = Run::new(target, &opts);
    let mut ev = Vec::new();
    let (_, m, _) = run
        .send_upgrading(&mut ev, Operation::GetPrinterAttributes, USER, |_| {
            (
                vec![Attribute::new(
                    "requested-attributes",
                    Value::Keyword("printer-make-and-model".into()),
                )],
                vec![],
            )
        })
        .await;
    m.and_then(|m| {
        m.attr(DelimiterTag::PrinterAttributes, "printer-make-and-model")
            .and_then(|a| a.first())
            .map(crate::runner::value_text)
    })
}

/// One request's result: the answer graded, and the message when it was IPP.
type Sent = (IppAnswer, Option<Message>, TargetUri);

/// Extra operation attributes and extra groups of a request, built for the
/// URI it goes to.
type Extra = (Vec<Attribute>, Vec<Group>);

struct Run<'a> {
    target: &'a SecurityTarget,
    opts: &'a SecurityOptions,
    next_id: u32,
    exposure: Vec<PortRow>,
    tls: Option<(Vec<TlsEndpoint>, Vec<Exchange>)>,
    snmp: Option<SnmpRun>,
    /// Why the IPP port takes no connection, when it does not.
    ipp_closed: Option<String>,
    /// How the robustness probes reach the IPP port, once chosen, and the
    /// note saying why.
    endpoint: Option<(robustness::Endpoint, Exchange)>,
}

/// The SNMP survey and its evidence.
struct SnmpRun {
    survey: SnmpSurvey,
    reads: Vec<Exchange>,
    writes: Vec<Exchange>,
    v3: Vec<Exchange>,
    /// Why SNMP was not surveyed (no port planned), if it was not.
    not_probed: Option<String>,
}

impl SnmpRun {
    fn empty() -> SnmpRun {
        SnmpRun {
            survey: SnmpSurvey::default(),
            reads: Vec::new(),
            writes: Vec::new(),
            v3: Vec::new(),
            not_probed: None,
        }
    }
}

/// A note as evidence: what was done and what came back, not IPP.
pub fn note(step: usize, request: impl Into<String>, response: impl Into<String>) -> Exchange {
    Exchange {
        step,
        request_decoded: request.into(),
        response_decoded: response.into(),
        ..Default::default()
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl<'a> Run<'a> {
    fn new(target: &'a SecurityTarget, opts: &'a SecurityOptions) -> Run<'a> {
        Run {
            target,
            opts,
            next_id: 1,
            exposure: Vec::new(),
            tls: None,
            snmp: None,
            ipp_closed: None,
            endpoint: None,
        }
    }

    /// Run one case.
    async fn case(&mut self, c: &SecurityCase) -> CaseResult {
        let start = Instant::now();
        let mut result = CaseResult::start(&c.id, c.level, &c.clause, &c.title, &c.requirement);
        let mut ev = Vec::new();
        let verdict = match c.probe() {
            None => Verdict::error(format!("no built-in probe '{}'", c.probe)),
            Some(p) if p.changes() && !self.opts.allow_changes => Verdict::skip(
                "changes the printer's state or jobs; not run without --allow-changes",
            ),
            Some(p) if p.disruptive() && !self.opts.allow_disruptive => {
                Verdict::skip("disruptive: run with --allow-disruptive")
            }
            Some(p) if p.needs_ipp() && self.ipp_closed.is_some() => {
                Verdict::skip(self.ipp_closed.clone().unwrap_or_default())
            }
            Some(p) => self.probe(p, c, &mut ev).await,
        };
        result.outcome = verdict.outcome;
        result.reason = verdict.reason;
        result.findings = verdict.findings;
        for (i, e) in ev.iter_mut().enumerate() {
            e.step = i;
        }
        for f in &mut result.findings {
            f.step = ev.len().saturating_sub(1);
        }
        result.evidence = ev;
        result.elapsed_ms = ms(start.elapsed());
        result
    }

    async fn probe(&mut self, p: Probe, c: &SecurityCase, ev: &mut Vec<Exchange>) -> Verdict {
        let policy = &self.opts.policy;
        let level = c.level;
        match p {
            Probe::IppsOffered => {
                let eps = self.tls_survey(ev).await;
                checks::grade_ipps_offered(policy.tls, level, &eps)
            }
            Probe::TlsMinimum => {
                let eps = self.tls_survey(ev).await;
                checks::grade_tls_minimum(policy.min_tls_version, &eps)
            }
            Probe::CertificateNotExpired => {
                let eps = self.tls_survey(ev).await;
                checks::grade_certificate_dates(level, now_unix(), &eps)
            }
            Probe::CertificateNamesHost => {
                let eps = self.tls_survey(ev).await;
                checks::grade_certificate_names(level, &self.target.ipp.host, &eps)
            }
            Probe::CertificateSelfSigned => {
                let eps = self.tls_survey(ev).await;
                checks::grade_self_signed(policy.self_signed_certificates, &eps)
            }
            Probe::PlainPrint => self.plain_print(level, ev).await,
            Probe::PlainAdmin => self.plain_admin(level, ev).await,
            Probe::PausePrinter => self.pause_printer(level, ev).await,
            Probe::ResumePrinter => {
                let (a, _, _) = self
                    .send_upgrading(ev, Operation::ResumePrinter, USER, |_| (vec![], vec![]))
                    .await;
                checks::grade_refused(level, "Resume-Printer", &a)
            }
            Probe::PurgeJobs => {
                let (a, _, _) = self
                    .send_upgrading(ev, Operation::PurgeJobs, USER, |_| (vec![], vec![]))
                    .await;
                checks::grade_refused(level, "Purge-Jobs", &a)
            }
            Probe::SetPrinterAttributes => self.set_printer_attributes(level, ev).await,
            Probe::CancelOtherUsersJob => self.cancel_other_users_job(level, ev).await,
            Probe::AnonymousPrint => {
                let (a, _, _) = self
                    .send_upgrading(ev, Operation::ValidateJob, USER, validate_job_attrs)
                    .await;
                checks::grade_anonymous_print(policy.anonymous_printing, &a)
            }
            Probe::BadCredentialsRefused => self.bad_credentials(level, ev).await,
            Probe::PublicCommunity => {
                let s = self.snmp_survey().await;
                ev.extend(s.reads.iter().cloned());
                match &s.not_probed {
                    Some(why) => Verdict::skip(why.clone()),
                    None => checks::grade_public_community(policy.snmp, &s.survey),
                }
            }
            Probe::WriteCommunity => {
                let s = self.snmp_survey().await;
                ev.extend(s.writes.iter().cloned());
                match &s.not_probed {
                    Some(why) => Verdict::skip(why.clone()),
                    None => checks::grade_write_community(policy.snmp, &s.survey),
                }
            }
            Probe::V3Only => {
                let s = self.snmp_survey().await;
                ev.extend(s.reads.iter().cloned());
                ev.extend(s.v3.iter().cloned());
                match &s.not_probed {
                    Some(why) => Verdict::skip(why.clone()),
                    None => checks::grade_v3_only(policy.snmp, &s.survey),
                }
            }
            Probe::WritableObjects => self.writable_objects(level, ev).await,
            Probe::RawPrintPorts => {
                self.port_evidence(ServiceKind::Raw, ev);
                checks::grade_open_ports(
                    ServiceKind::Raw,
                    policy.raw_printing,
                    "raw-printing",
                    &self.exposure,
                )
            }
            Probe::LpdPort => {
                self.port_evidence(ServiceKind::Lpd, ev);
                checks::grade_open_ports(ServiceKind::Lpd, policy.lpd, "lpd", &self.exposure)
            }
            Probe::CupsBrowsed => {
                self.port_evidence(ServiceKind::CupsBrowsed, ev);
                checks::grade_cups_browsed(level, &self.exposure)
            }
            Probe::Mdns => {
                self.port_evidence(ServiceKind::Mdns, ev);
                checks::grade_mdns(policy.mdns, &self.exposure)
            }
            Probe::MalformedIpp => self.malformed(level, ev).await,
            Probe::OversizeAttributes => self.oversize(level, ev).await,
            Probe::SlowLoris => self.slow_loris(level, ev).await,
            Probe::RequestFlood => self.flood(level, ev).await,
        }
    }

    // -----------------------------------------------------------------------
    // IPP.

    /// A request without credentials: the operation attributes every request
    /// carries, then `extra`.
    fn request(&mut self, uri: &TargetUri, op: Operation, user: &str, extra: Extra) -> Message {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let mut m = Message::new((2, 0), op.raw(), id);
        let mut ops = vec![
            Attribute::new("attributes-charset", Value::Charset("utf-8".into())),
            Attribute::new(
                "attributes-natural-language",
                Value::NaturalLanguage("en".into()),
            ),
            Attribute::new("printer-uri", Value::Uri(uri.uri.clone())),
            Attribute::new("requesting-user-name", Value::Name(user.into())),
        ];
        ops.extend(extra.0);
        m.groups.push(Group {
            tag: DelimiterTag::OperationAttributes,
            attributes: ops,
        });
        m.groups.extend(extra.1);
        m
    }

    /// Send `m` to `uri` (with `authorization`, if any); the answer, kept
    /// in `ev`.
    async fn send(
        &mut self,
        ev: &mut Vec<Exchange>,
        uri: &TargetUri,
        m: &Message,
        authorization: Option<String>,
    ) -> (IppAnswer, Option<Message>) {
        let body = match m.to_bytes() {
            Ok(b) => b,
            Err(e) => {
                return (
                    IppAnswer::NoAnswer(format!("cannot encode the request: {e}")),
                    None,
                )
            }
        };
        let mut headers = vec![("Content-Type".to_string(), "application/ipp".to_string())];
        let mut decoded = format!(
            "POST {} ({})\n",
            uri.uri,
            if uri.scheme == UriScheme::Ipps {
                "TLS"
            } else {
                "plain HTTP"
            }
        );
        if let Some(a) = &authorization {
            headers.push(("Authorization".into(), a.clone()));
            decoded.push_str(&format!("Authorization: {a}\n"));
        }
        decoded.push_str(&crate::runner::describe(m, true));
        let req = HttpRequest {
            method: "POST".into(),
            path: uri.path.clone(),
            http10: false,
            headers,
            body: body.clone(),
            chunked: false,
            expect_continue: false,
        };
        let mut ex = Exchange {
            step: ev.len(),
            request_hex: hex(&body, 4096),
            request_bytes: body.len(),
            request_decoded: decoded,
            ..Default::default()
        };
        let reply = match Connection::open(uri, self.opts.timeout).await {
            Ok(mut c) => c.exchange(&req, self.opts.timeout).await,
            Err(e) => Err(e),
        };
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                ex.response_decoded = format!("(no answer: {e})");
                ev.push(ex);
                return (IppAnswer::NoAnswer(e.to_string()), None);
            }
        };
        ex.http_status = reply.status;
        ex.response_hex = hex(&reply.body, 65536);
        ex.response_bytes = reply.body.len();
        ex.elapsed_ms = ms(reply.elapsed);
        let parsed = (reply.status == 200)
            .then(|| Message::parse(&reply.body).map(|(m, _)| m).ok())
            .flatten();
        let (answer, decoded) = match &parsed {
            Some(m) => (
                IppAnswer::Ipp { status: m.code },
                crate::runner::describe(m, false),
            ),
            None => {
                let mut d = format!("HTTP {}", reply.status);
                for h in ["www-authenticate", "upgrade", "location"] {
                    if let Some(v) = reply.header(h) {
                        d.push_str(&format!("\n{h}: {v}"));
                    }
                }
                (
                    IppAnswer::Http {
                        status: reply.status,
                        location: reply.header("location").map(str::to_string),
                        www_authenticate: reply.header("www-authenticate").map(str::to_string),
                        upgrade: reply.header("upgrade").map(str::to_string),
                    },
                    d,
                )
            }
        };
        ex.response_decoded = decoded;
        ev.push(ex);
        (answer, parsed)
    }

    /// Send `op` to the target URI as given; when a plain `ipp://` target
    /// answers 426 Upgrade Required, send it again over TLS on the same
    /// port (as RFC 2817 §4.2 asks a client to); when an `ipps://` target
    /// takes no TLS at all, send it again in clear text (the printer's
    /// access control is graded either way; its transport by the
    /// transport cases).
    async fn send_upgrading(
        &mut self,
        ev: &mut Vec<Exchange>,
        op: Operation,
        user: &str,
        extra: impl Fn(&TargetUri) -> Extra,
    ) -> Sent {
        let uri = self.target.ipp.clone();
        let m = self.request(&uri, op, user, extra(&uri));
        let (a, msg) = self.send(ev, &uri, &m, None).await;
        if uri.scheme == UriScheme::Ipp && matches!(a, IppAnswer::Http { status: 426, .. }) {
            let tls = self.target.tls_uri();
            let m = self.request(&tls, op, user, extra(&tls));
            let (a, msg) = self.send(ev, &tls, &m, None).await;
            return (a, msg, tls);
        }
        if uri.scheme == UriScheme::Ipps
            && matches!(&a, IppAnswer::NoAnswer(e) if e.contains("TLS handshake"))
        {
            let plain = self.target.plain_uri();
            let m = self.request(&plain, op, user, extra(&plain));
            let (a, msg) = self.send(ev, &plain, &m, None).await;
            return (a, msg, plain);
        }
        (a, msg, uri)
    }

    /// printer-info's value, read over `uri` (falling back to the target
    /// with upgrade when that is refused).
    async fn printer_info(
        &mut self,
        ev: &mut Vec<Exchange>,
        uri: Option<&TargetUri>,
    ) -> Option<Value> {
        let info = |m: &Message| {
            m.attr(DelimiterTag::PrinterAttributes, "printer-info")
                .and_then(|a| a.first())
                .cloned()
        };
        let requested = |_: &TargetUri| {
            (
                vec![Attribute::new(
                    "requested-attributes",
                    Value::Keyword("printer-info".into()),
                )],
                vec![],
            )
        };
        if let Some(uri) = uri {
            let m = self.request(uri, Operation::GetPrinterAttributes, USER, requested(uri));
            if let (_, Some(m)) = self.send(ev, uri, &m, None).await {
                if let Some(v) = info(&m) {
                    return Some(v);
                }
            }
        }
        let (_, m, _) = self
            .send_upgrading(ev, Operation::GetPrinterAttributes, USER, requested)
            .await;
        m.as_ref().and_then(info)
    }

    async fn plain_print(&mut self, level: crate::spec::Level, ev: &mut Vec<Exchange>) -> Verdict {
        let plain = self.target.plain_uri();
        let m = self.request(
            &plain,
            Operation::ValidateJob,
            USER,
            validate_job_attrs(&plain),
        );
        let (a, _) = self.send(ev, &plain, &m, None).await;
        let up = tls_probe::probe_upgrade(
            self.target.ipp_addr(),
            &self.target.ipp.authority(),
            self.opts.probe_timeout,
        )
        .await;
        let request = tls_probe::upgrade_request(&self.target.ipp.authority());
        let mut answer = match up.status {
            Some(s) => format!("HTTP {s}\n{}", up.head),
            None => format!("(no response head) {}", up.head),
        };
        if let Some(t) = &up.then_tls {
            answer.push_str(&match t {
                Ok(v) => format!("\nthen TLS on the same connection: {v}"),
                Err(e) => format!("\nthen TLS on the same connection failed: {e}"),
            });
        }
        if let Some(e) = &up.error {
            answer.push_str(&format!("\n({e})"));
        }
        ev.push(Exchange {
            step: ev.len(),
            request_hex: hex(request.as_bytes(), 4096),
            request_bytes: request.len(),
            request_decoded: format!(
                "RFC 2817 upgrade request (plain HTTP)\n{}",
                request.trim_end()
            ),
            http_status: up.status.unwrap_or(0),
            response_decoded: answer,
            ..Default::default()
        });
        let mut v = checks::grade_plain(self.opts.policy.tls, level, "Validate-Job", &a);
        match up.status {
            Some(101) if matches!(up.then_tls, Some(Ok(_))) => {
                v.reason.push_str("; RFC 2817 Upgrade: TLS is honoured")
            }
            Some(101) => v
                .reason
                .push_str("; RFC 2817 Upgrade: TLS answered 101, but no TLS handshake followed"),
            Some(s) => v
                .reason
                .push_str(&format!("; RFC 2817 Upgrade: TLS answered HTTP {s}")),
            None => {}
        }
        v
    }

    async fn plain_admin(&mut self, level: crate::spec::Level, ev: &mut Vec<Exchange>) -> Verdict {
        let plain = self.target.plain_uri();
        let Some(info) = self.printer_info(ev, Some(&plain)).await else {
            return Verdict::skip(
                "printer-info could not be read, so there is no value to set back",
            );
        };
        let m = self.request(
            &plain,
            Operation::SetPrinterAttributes,
            USER,
            set_info(info),
        );
        let (a, _) = self.send(ev, &plain, &m, None).await;
        checks::grade_plain(self.opts.policy.tls, level, "Set-Printer-Attributes", &a)
    }

    async fn set_printer_attributes(
        &mut self,
        level: crate::spec::Level,
        ev: &mut Vec<Exchange>,
    ) -> Verdict {
        let Some(info) = self.printer_info(ev, None).await else {
            return Verdict::skip(
                "printer-info could not be read, so there is no value to set back",
            );
        };
        let (a, _, _) = self
            .send_upgrading(ev, Operation::SetPrinterAttributes, USER, |_| {
                set_info(info.clone())
            })
            .await;
        checks::grade_refused(level, "Set-Printer-Attributes", &a)
    }

    async fn pause_printer(
        &mut self,
        level: crate::spec::Level,
        ev: &mut Vec<Exchange>,
    ) -> Verdict {
        let (a, _, _) = self
            .send_upgrading(ev, Operation::PausePrinter, USER, |_| (vec![], vec![]))
            .await;
        let mut v = checks::grade_refused(level, "Pause-Printer", &a);
        if matches!(checks::reception(&a), checks::Reception::Accepted(_)) {
            let (r, _, _) = self
                .send_upgrading(ev, Operation::ResumePrinter, USER, |_| (vec![], vec![]))
                .await;
            match checks::reception(&r) {
                checks::Reception::Accepted(_) => v.reason.push_str("; resumed at once"),
                other => v.reason.push_str(&format!(
                    "; Resume-Printer failed ({other:?}): the printer stays paused, resume it by hand"
                )),
            }
        }
        v
    }

    /// An `Authorization` value answering `www` (a `WWW-Authenticate`
    /// value) as the run's credentials, for a POST to `uri`.
    fn authorization(&self, www: &str, uri: &TargetUri) -> Option<String> {
        let (user, password) = self.opts.credentials.as_ref()?;
        let challenges = parse_challenges(www).ok()?;
        let digest = challenges.iter().find(|c| c.scheme == Scheme::Digest);
        Some(match digest {
            Some(c) => {
                DigestResponse::answer(c, user, password, "POST", &uri.path, "7061706572", 1)
                    .to_header_value()
            }
            None => Credentials::basic(user.clone(), password.clone()).to_header_value(),
        })
    }

    async fn cancel_other_users_job(
        &mut self,
        level: crate::spec::Level,
        ev: &mut Vec<Exchange>,
    ) -> Verdict {
        let create = |_: &TargetUri| {
            (
                vec![Attribute::new(
                    "job-name",
                    Value::Name("paperjam security probe (no document)".into()),
                )],
                vec![],
            )
        };
        let (mut a, mut m, uri) = self
            .send_upgrading(ev, Operation::CreateJob, OWNER, create)
            .await;
        // A printer that wants credentials to create the job: sign in, when
        // the run has credentials (the job's owner is then that user).
        let mut owner_auth = None;
        if let IppAnswer::Http {
            status: 401,
            www_authenticate: Some(www),
            ..
        } = &a
        {
            if let Some(h) = self.authorization(www, &uri) {
                let req = self.request(&uri, Operation::CreateJob, OWNER, create(&uri));
                (a, m) = self.send(ev, &uri, &req, Some(h.clone())).await;
                owner_auth = Some(h);
            }
        }
        let job_id = m.as_ref().and_then(|m| {
            m.attr(DelimiterTag::JobAttributes, "job-id")
                .and_then(|a| a.first())
                .and_then(Value::as_i32)
        });
        let Some(job_id) =
            job_id.filter(|_| matches!(checks::reception(&a), checks::Reception::Accepted(_)))
        else {
            return Verdict::skip(format!(
                "no job to cancel: Create-Job as {OWNER} was not accepted ({})",
                reception_text(&a)
            ));
        };
        let job = |id: i32| (vec![Attribute::new("job-id", Value::Integer(id))], vec![]);
        let m = self.request(&uri, Operation::CancelJob, OTHER, job(job_id));
        let (a, _) = self.send(ev, &uri, &m, None).await;
        let owner = match (&owner_auth, &self.opts.credentials) {
            (Some(_), Some((user, _))) => user.clone(),
            _ => OWNER.to_string(),
        };
        let mut v = checks::grade_refused(
            level,
            &format!("Cancel-Job of {owner}'s job by {OTHER}"),
            &a,
        );
        if !matches!(checks::reception(&a), checks::Reception::Accepted(_)) {
            let m = self.request(&uri, Operation::CancelJob, OWNER, job(job_id));
            let (mut clean, _) = self.send(ev, &uri, &m, owner_auth.clone()).await;
            if let IppAnswer::Http {
                status: 401,
                www_authenticate: Some(www),
                ..
            } = &clean
            {
                // A Digest nonce may be single-use: answer the new challenge.
                if let Some(h) = self.authorization(www, &uri) {
                    (clean, _) = self.send(ev, &uri, &m, Some(h)).await;
                }
            }
            if !matches!(checks::reception(&clean), checks::Reception::Accepted(_)) {
                v.reason.push_str(&format!(
                    "; job {job_id} could not be canceled by its owner ({}): cancel it by hand",
                    reception_text(&clean)
                ));
            }
        }
        v
    }

    async fn bad_credentials(
        &mut self,
        level: crate::spec::Level,
        ev: &mut Vec<Exchange>,
    ) -> Verdict {
        // Harmless requests, until one is challenged.
        let mut challenged: Option<(TargetUri, Message, String)> = None;
        let info = self.printer_info(ev, None).await;
        let mut tries: Vec<(Operation, Extra)> =
            vec![(Operation::ValidateJob, validate_job_attrs(&self.target.ipp))];
        if let Some(i) = info {
            tries.push((Operation::SetPrinterAttributes, set_info(i)));
        }
        tries.push((
            Operation::CancelJob,
            (
                vec![Attribute::new("job-id", Value::Integer(i32::MAX))],
                vec![],
            ),
        ));
        for (op, extra) in tries {
            let (a, _, uri) = self.send_upgrading(ev, op, USER, |_| extra.clone()).await;
            if let IppAnswer::Http {
                status: 401,
                www_authenticate: Some(w),
                ..
            } = &a
            {
                let m = self.request(&uri, op, USER, extra.clone());
                challenged = Some((uri, m, w.clone()));
                break;
            }
        }
        let Some((uri, m, www)) = challenged else {
            return Verdict::skip(
                "nothing was challenged: no request got HTTP 401 with WWW-Authenticate",
            );
        };
        let challenges = match parse_challenges(&www) {
            Ok(c) => c,
            Err(e) => return Verdict::error(format!("the challenge '{www}' cannot be read: {e}")),
        };
        let mut results = Vec::new();
        let mut done_basic = false;
        let mut done_digest = false;
        for ch in challenges {
            let header = match ch.scheme {
                Scheme::Basic if !done_basic => {
                    done_basic = true;
                    Credentials::basic(BAD_USER, BAD_PASSWORD).to_header_value()
                }
                Scheme::Digest if !done_digest => {
                    done_digest = true;
                    DigestResponse::answer(
                        &ch,
                        BAD_USER,
                        BAD_PASSWORD,
                        "POST",
                        &uri.path,
                        "7061706572",
                        1,
                    )
                    .to_header_value()
                }
                _ => continue,
            };
            let (a, _) = self.send(ev, &uri, &m, Some(header)).await;
            results.push((ch.scheme.name().to_string(), a));
        }
        checks::grade_bad_credentials(level, &results)
    }

    // -----------------------------------------------------------------------
    // TLS.

    /// Probe the IPP port and each IPPS port once per run.
    async fn tls_survey(&mut self, ev: &mut Vec<Exchange>) -> Vec<TlsEndpoint> {
        if self.tls.is_none() {
            let mut ports = vec![(
                format!("IPP port {}", self.target.ipp.port),
                self.target.ipp.port,
            )];
            for p in self.target.ports.ports(ServiceKind::Ipps) {
                if p != self.target.ipp.port {
                    ports.push((format!("IPPS port {p}"), p));
                }
            }
            let mut eps = Vec::new();
            let mut notes = Vec::new();
            for (label, port) in ports {
                let addr = SocketAddr::new(self.target.host, port);
                let report =
                    tls_probe::probe_tls(addr, &self.target.ipp.host, self.opts.probe_timeout)
                        .await;
                notes.push(tls_note(&label, &report));
                eps.push(TlsEndpoint { label, report });
            }
            self.tls = Some((eps, notes));
        }
        match &self.tls {
            Some((eps, notes)) => {
                ev.extend(notes.iter().cloned());
                eps.clone()
            }
            None => Vec::new(),
        }
    }

    // -----------------------------------------------------------------------
    // SNMP.

    async fn snmp_survey(&mut self) -> &mut SnmpRun {
        if self.snmp.is_none() {
            let run = self.snmp_probe().await;
            self.snmp = Some(run);
        }
        self.snmp.get_or_insert_with(SnmpRun::empty)
    }

    fn communities(&self) -> Vec<String> {
        let mut v: Vec<String> = DEFAULT_COMMUNITIES.iter().map(|s| s.to_string()).collect();
        for c in &self.opts.communities {
            if !v.contains(c) {
                v.push(c.clone());
            }
        }
        v
    }

    async fn snmp_probe(&mut self) -> SnmpRun {
        let mut run = SnmpRun::empty();
        let Some(port) = self.target.ports.ports(ServiceKind::Snmp).first().copied() else {
            run.not_probed = Some("no SNMP port was probed (--port snmp=none)".into());
            return run;
        };
        let addr = SocketAddr::new(self.target.host, port);
        let wait = self.opts.probe_timeout;
        let client = match SnmpClient::connect(addr, wait, 0).await {
            Ok(c) => c,
            Err(e) => {
                run.not_probed = Some(format!("cannot open a UDP socket for {addr}: {e}"));
                return run;
            }
        };
        // Every community/version read and the SNMPv3 discovery at once, each
        // from a socket of its own: an agent that ignores them all costs one
        // wait, not one per request.
        let pairs: Vec<(String, Version, &'static str)> = self
            .communities()
            .into_iter()
            .flat_map(|c| [(c.clone(), Version::V2c, "v2c"), (c, Version::V1, "v1")])
            .collect();
        let mut reads = tokio::task::JoinSet::new();
        for (i, (community, version, _)) in pairs.iter().enumerate() {
            let community = community.clone();
            let version = *version;
            reads.spawn(async move {
                let sys_descr = Oid::new([1, 3, 6, 1, 2, 1, 1, 1, 0]);
                let t = match SnmpClient::connect(addr, wait, 0).await {
                    Ok(c) => c
                        .session(version, &community)
                        .get(std::slice::from_ref(&sys_descr))
                        .await
                        .map_err(|e| format!("cannot encode: {e}")),
                    Err(e) => Err(format!("cannot open a UDP socket for {addr}: {e}")),
                };
                (i, t)
            });
        }
        let (mut done, v3) = tokio::join!(
            async {
                let mut done = Vec::new();
                while let Some(r) = reads.join_next().await {
                    done.extend(r.ok());
                }
                done
            },
            snmp_v3::probe_v3(addr, wait)
        );
        done.sort_by_key(|(i, _)| *i);
        let mut closed = false;
        for ((community, _, label), (_, t)) in pairs.into_iter().zip(done) {
            let (answered, evidence) = match &t {
                Ok(t) => {
                    closed |= t.refused && t.reply().is_none();
                    run.reads.push(snmp_evidence(run.reads.len(), t, wait));
                    (t.reply().is_some(), snmp_answer_text(t))
                }
                Err(e) => (false, e.clone()),
            };
            run.survey.reads.push(checks::CommunityRead {
                community,
                version: label,
                answered,
                evidence,
            });
        }
        if !closed {
            let sys_contact = Oid::new([1, 3, 6, 1, 2, 1, 1, 4, 0]);
            for community in ["private", "public"] {
                let reads = run
                    .survey
                    .reads
                    .iter()
                    .any(|r| r.community == community && r.answered);
                if !reads {
                    // A community that may write may read: one the agent
                    // ignores for a Get is ignored for a Set too.
                    run.survey.writes.push((
                        community.to_string(),
                        WriteAnswer::Refused("not answered for a Get; no Set sent".into()),
                    ));
                    continue;
                }
                let (w, _) = snmp_wrong_type_set(
                    &client,
                    community,
                    &sys_contact,
                    SnmpValue::Integer(0),
                    &mut run.writes,
                    wait,
                )
                .await;
                run.survey.writes.push((community.to_string(), w));
            }
            let request = snmp_v3::discovery_request(0);
            run.v3.push(Exchange {
                step: 0,
                request_hex: hex(&request, 4096),
                request_bytes: request.len(),
                request_decoded: "SNMPv3 engine-ID discovery (RFC 3414 §4): noAuthNoPriv GetRequest, empty user and engine".into(),
                response_decoded: match &v3 {
                    Some(a) => format!("{a:?}"),
                    None => "(no answer)".into(),
                },
                ..Default::default()
            });
            run.survey.v3 = v3;
        }
        run
    }

    async fn writable_objects(
        &mut self,
        level: crate::spec::Level,
        ev: &mut Vec<Exchange>,
    ) -> Verdict {
        let writer = {
            let s = self.snmp_survey().await;
            ev.extend(s.writes.iter().cloned());
            if let Some(why) = &s.not_probed {
                return Verdict::skip(why.clone());
            }
            s.survey.writers().first().map(|c| c.to_string())
        };
        let Some(community) = writer else {
            return checks::grade_writable_objects(level, None, &[]);
        };
        let Some(port) = self.target.ports.ports(ServiceKind::Snmp).first().copied() else {
            return Verdict::skip("no SNMP port was probed");
        };
        let addr = SocketAddr::new(self.target.host, port);
        let wait = self.opts.probe_timeout;
        let client = match SnmpClient::connect(addr, wait, 0).await {
            Ok(c) => c,
            Err(e) => return Verdict::error(format!("cannot open a UDP socket for {addr}: {e}")),
        };
        let wrong_text = SnmpValue::Integer(0);
        let wrong_int = SnmpValue::text("paperjam");
        let objects: [(&str, Vec<u32>, SnmpValue); 5] = [
            (
                "sysContact.0",
                vec![1, 3, 6, 1, 2, 1, 1, 4, 0],
                wrong_text.clone(),
            ),
            (
                "sysName.0",
                vec![1, 3, 6, 1, 2, 1, 1, 5, 0],
                wrong_text.clone(),
            ),
            ("sysLocation.0", vec![1, 3, 6, 1, 2, 1, 1, 6, 0], wrong_text),
            (
                "prtGeneralCurrentLocalization.1",
                vec![1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 2, 1],
                wrong_int.clone(),
            ),
            (
                "prtGeneralReset.1",
                vec![1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 3, 1],
                wrong_int,
            ),
        ];
        let mut out = Vec::new();
        for (name, oid, value) in objects {
            let oid = Oid::new(oid);
            let (w, original) =
                snmp_wrong_type_set(&client, &community, &oid, value, ev, wait).await;
            // A type error says the agent judged the value, which RFC 3416
            // puts after the access check; with --allow-changes the value the
            // object has is set again to be sure. Never for the reset: it is
            // an action, not a stored value.
            let w = match (w, original) {
                (WriteAnswer::Writes(wrong), Some(v))
                    if self.opts.allow_changes
                        && wrong != "noError"
                        && name != "prtGeneralReset.1" =>
                {
                    snmp_same_value_set(&client, &community, &oid, v, &wrong, ev, wait).await
                }
                (w, _) => w,
            };
            out.push((name.to_string(), w));
        }
        checks::grade_writable_objects(level, Some(&community), &out)
    }

    // -----------------------------------------------------------------------
    // Exposure.

    fn port_evidence(&self, kind: ServiceKind, ev: &mut Vec<Exchange>) {
        for r in self.exposure.iter().filter(|r| r.service == kind) {
            ev.push(note(
                ev.len(),
                format!(
                    "{} probe of {}:{}/{}",
                    service_label(kind),
                    self.target.host,
                    r.port,
                    checks::transport_of(kind)
                ),
                format!("{}: {}", checks::state_name(&r.state), r.evidence),
            ));
        }
    }

    // -----------------------------------------------------------------------
    // Robustness.

    /// How the robustness probes reach the IPP port, chosen once: TLS for an
    /// `ipps://` target that completes a handshake, and for an `ipp://` one
    /// that answers plain HTTP with `426 Upgrade Required` (its IPP parser is
    /// behind TLS: plain probes would only meet the refusal); plain HTTP
    /// otherwise. The note saying why goes into each case's evidence.
    async fn robust_endpoint(&mut self, ev: &mut Vec<Exchange>) -> robustness::Endpoint {
        if let Some((e, why)) = &self.endpoint {
            ev.push(Exchange {
                step: ev.len(),
                ..why.clone()
            });
            return e.clone();
        }
        let addr = self.target.ipp_addr();
        let plain = robustness::Endpoint::plain(addr);
        let req =
            robustness::get_printer_attributes(&self.target.ipp.authority(), &self.target.ipp.path);
        let wait = self.opts.probe_timeout;
        let tls = robustness::Endpoint::tls(addr, &self.target.ipp.host);
        let (chosen, why) = match (&self.target.ipp.scheme, tls) {
            (_, Err(e)) => (plain, format!("plain HTTP: no TLS client ({e})")),
            (UriScheme::Ipps, Ok(tls)) => {
                match robustness::still_answers(&tls, req.clone(), wait).await {
                    Err(e) if e.starts_with("TLS handshake") => (
                        plain,
                        format!("plain HTTP: the ipps:// port took no TLS ({e})"),
                    ),
                    _ => (tls, "TLS, as the ipps:// URI says".to_string()),
                }
            }
            (_, Ok(tls)) => match robustness::still_answers(&plain, req.clone(), wait).await {
                Ok(426) => match robustness::still_answers(&tls, req.clone(), wait).await {
                    Err(e) if e.starts_with("TLS handshake") => (
                        plain,
                        format!("plain HTTP: it answered 426 Upgrade Required, but {e}"),
                    ),
                    _ => (
                        tls,
                        "TLS: plain HTTP is answered 426 Upgrade Required".to_string(),
                    ),
                },
                _ => (plain, "plain HTTP, as the ipp:// URI says".to_string()),
            },
        };
        let why = note(
            ev.len(),
            format!("transport of the robustness probes to {addr}"),
            why,
        );
        ev.push(why.clone());
        self.endpoint = Some((chosen.clone(), why));
        chosen
    }

    /// Does the printer answer a Get-Printer-Attributes (the HTTP status),
    /// over the robustness probes' transport?
    async fn alive(
        &self,
        to: &robustness::Endpoint,
        ev: &mut Vec<Exchange>,
        when: &str,
    ) -> Result<u16, String> {
        let req =
            robustness::get_printer_attributes(&self.target.ipp.authority(), &self.target.ipp.path);
        let r = robustness::still_answers(to, req.clone(), self.opts.timeout).await;
        ev.push(Exchange {
            step: ev.len(),
            request_hex: hex(&req, 4096),
            request_bytes: req.len(),
            request_decoded: format!("Get-Printer-Attributes {when}"),
            http_status: *r.as_ref().unwrap_or(&0),
            response_decoded: match &r {
                Ok(s) => format!("HTTP {s}"),
                Err(e) => format!("(no answer: {e})"),
            },
            ..Default::default()
        });
        r
    }

    async fn malformed(&mut self, level: crate::spec::Level, ev: &mut Vec<Exchange>) -> Verdict {
        let to = self.robust_endpoint(ev).await;
        let before = self.alive(&to, ev, "before").await;
        if before.is_err() {
            return checks::grade_still_answers(level, &before, &before, "");
        }
        let reqs =
            robustness::malformed_requests(&self.target.ipp.authority(), &self.target.ipp.path);
        let sent = self
            .send_each(&to, ev, &reqs, "malformed request", 4096)
            .await;
        let after = self.alive(&to, ev, "after").await;
        checks::grade_still_answers(
            level,
            &before,
            &after,
            &format!("{} malformed requests ({})", sent.len(), summary(&sent)),
        )
    }

    /// Send each of `reqs` on a connection of its own, each request and its
    /// answer kept as evidence (the first `shown` bytes of the request).
    async fn send_each(
        &self,
        to: &robustness::Endpoint,
        ev: &mut Vec<Exchange>,
        reqs: &[(&str, Vec<u8>)],
        what: &str,
        shown: usize,
    ) -> Vec<(String, Result<u16, String>)> {
        let sent = robustness::send_each(to, reqs, self.opts.timeout).await;
        for ((name, bytes), (_, r)) in reqs.iter().zip(&sent) {
            ev.push(Exchange {
                step: ev.len(),
                request_hex: hex(bytes, shown),
                request_bytes: bytes.len(),
                request_decoded: format!("{what}: {name}"),
                http_status: *r.as_ref().unwrap_or(&0),
                response_decoded: result_text(r),
                ..Default::default()
            });
        }
        sent
    }

    async fn oversize(&mut self, level: crate::spec::Level, ev: &mut Vec<Exchange>) -> Verdict {
        let to = self.robust_endpoint(ev).await;
        let before = self.alive(&to, ev, "before").await;
        if before.is_err() {
            return checks::grade_still_answers(level, &before, &before, "");
        }
        let (host, path) = (self.target.ipp.authority(), self.target.ipp.path.clone());
        let reqs: Vec<(&str, Vec<u8>)> = vec![
            (
                "value of 4 KiB",
                robustness::oversize_request(&host, &path, 4 * 1024),
            ),
            (
                "value of 64 KiB",
                robustness::oversize_request(&host, &path, 65_535),
            ),
            (
                "values of 1 MiB",
                robustness::oversize_request(&host, &path, 1 << 20),
            ),
        ];
        let sent = self
            .send_each(&to, ev, &reqs, "oversize Get-Printer-Attributes", 256)
            .await;
        let after = self.alive(&to, ev, "after").await;
        checks::grade_still_answers(
            level,
            &before,
            &after,
            &format!("{} oversize requests ({})", sent.len(), summary(&sent)),
        )
    }

    async fn slow_loris(&mut self, level: crate::spec::Level, ev: &mut Vec<Exchange>) -> Verdict {
        let to = self.robust_endpoint(ev).await;
        let before = self.alive(&to, ev, "before").await;
        if before.is_err() {
            return checks::grade_still_answers(level, &before, &before, "");
        }
        let limits = self.opts.flood;
        let host = self.target.ipp.authority();
        let mut during_ev = Vec::new();
        let (outcome, during) = {
            let held = robustness::slow_loris(&to, &host, &limits);
            let check = async {
                // Half-way through, while the connections are held.
                tokio::time::sleep(limits.duration / 2).await;
                self.alive(&to, &mut during_ev, "while the slow connections are held")
                    .await
            };
            tokio::join!(held, check)
        };
        ev.extend(during_ev);
        ev.push(note(
            ev.len(),
            format!(
                "{} slow-loris connections for {} ms (one byte every {} ms)",
                limits.connections,
                limits.duration.as_millis(),
                robustness::SLOW_LORIS_INTERVAL.as_millis()
            ),
            outcome_text(&outcome),
        ));
        let what = format!(
            "{} slow connections held for {} ms ({} closed or answered by the printer)",
            outcome.sent,
            limits.duration.as_millis(),
            outcome.answered
        );
        let v =
            checks::grade_still_answers(level, &before, &during, &format!("{what}, while held"));
        if v.outcome != Outcome::Pass {
            return v;
        }
        let after = self.alive(&to, ev, "after").await;
        checks::grade_still_answers(level, &before, &after, &what)
    }

    async fn flood(&mut self, level: crate::spec::Level, ev: &mut Vec<Exchange>) -> Verdict {
        let to = self.robust_endpoint(ev).await;
        let before = self.alive(&to, ev, "before").await;
        if before.is_err() {
            return checks::grade_still_answers(level, &before, &before, "");
        }
        let limits = self.opts.flood;
        let req =
            robustness::get_printer_attributes(&self.target.ipp.authority(), &self.target.ipp.path);
        let o = robustness::flood(&to, req, &limits).await;
        ev.push(note(
            ev.len(),
            format!(
                "flood: at most {} Get-Printer-Attributes, {} connections at once, {} ms",
                limits.requests,
                limits.connections,
                limits.duration.as_millis()
            ),
            outcome_text(&o),
        ));
        let after = self.alive(&to, ev, "after").await;
        checks::grade_still_answers(
            level,
            &before,
            &after,
            &format!(
                "a flood of {} requests in {} ms ({} answered)",
                o.sent, o.elapsed_ms, o.answered
            ),
        )
    }
}

/// The operation attributes of the harmless Validate-Job.
fn validate_job_attrs(_: &TargetUri) -> Extra {
    (
        vec![Attribute::new(
            "job-name",
            Value::Name("paperjam security probe".into()),
        )],
        vec![],
    )
}

/// A printer group setting printer-info to `info`.
fn set_info(info: Value) -> Extra {
    (
        vec![],
        vec![Group {
            tag: DelimiterTag::PrinterAttributes,
            attributes: vec![Attribute::new("printer-info", info)],
        }],
    )
}

fn reception_text(a: &IppAnswer) -> String {
    match checks::reception(a) {
        checks::Reception::Accepted(s)
        | checks::Reception::Refused(s)
        | checks::Reception::NotSupported(s)
        | checks::Reception::Other(s)
        | checks::Reception::NoAnswer(s) => s,
    }
}

fn result_text(r: &Result<u16, String>) -> String {
    match r {
        Ok(s) => format!("HTTP {s}"),
        Err(e) => format!("(no answer: {e})"),
    }
}

/// A bounded run's counts: `sent 40, answered 40; HTTP 200 ×40; 12 ms`.
fn outcome_text(o: &robustness::Outcome) -> String {
    let mut parts = vec![format!("sent {}, answered {}", o.sent, o.answered)];
    for (status, n) in &o.statuses {
        parts.push(format!("HTTP {status} ×{n}"));
    }
    for (e, n) in &o.errors {
        parts.push(format!("{e} ×{n}"));
    }
    parts.push(format!("{} ms", o.elapsed_ms));
    parts.join("; ")
}

/// `HTTP 400 ×3, timeout ×1`.
fn summary(sent: &[(String, Result<u16, String>)]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for (_, r) in sent {
        let k = result_text(r);
        match counts.iter_mut().find(|(n, _)| *n == k) {
            Some((_, c)) => *c += 1,
            None => counts.push((k, 1)),
        }
    }
    counts
        .iter()
        .map(|(k, c)| format!("{k} ×{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A TLS survey of one port as evidence.
fn tls_note(label: &str, r: &tls_probe::TlsReport) -> Exchange {
    let mut s = match &r.handshake {
        Ok(n) => format!("handshake: {} {}", n.version, n.cipher),
        Err(e) => format!("handshake failed: {e}"),
    };
    if let Some(c) = r.chain.first() {
        s.push_str(&format!(
            "\ncertificate: subject {}; issuer {}; names {}; valid {} to {}; {}; key {}; signature {}; sha256 {}",
            c.subject,
            c.issuer,
            checks::cert_names(c),
            checks::date(c.not_before),
            checks::date(c.not_after),
            if c.self_signed { "self-signed" } else { "CA-issued" },
            c.key,
            c.signature,
            c.sha256
        ));
    }
    for (v, a) in &r.versions {
        s.push_str(&format!(
            "\n{}: {}",
            v.name(),
            checks::version_answer_text(a)
        ));
    }
    note(
        0,
        format!(
            "TLS probe of {label} ({}), SNI {}: a full handshake (TLS 1.2/1.3), then a ClientHello offering each version alone",
            r.address, r.server_name
        ),
        s,
    )
}

/// One SNMP exchange as evidence.
fn snmp_evidence(step: usize, t: &Transaction, wait: Duration) -> Exchange {
    let got = t.answer_bytes();
    Exchange {
        step,
        request_hex: hex(&t.sent, 4096),
        request_bytes: t.sent.len(),
        request_decoded: t
            .request
            .as_ref()
            .map(crate::snmp::runner::describe)
            .unwrap_or_default(),
        http_status: 0,
        response_hex: hex(got, 65536),
        response_bytes: got.len(),
        response_decoded: match &t.answer {
            Answer::Reply { message, .. } => crate::snmp::runner::describe(message),
            Answer::Malformed { error, .. } => format!("(not an SNMP message: {error})"),
            Answer::Silence => format!(
                "(no answer: {} attempt(s) of {} ms{})",
                t.attempts,
                wait.as_millis(),
                if t.refused { ", port unreachable" } else { "" }
            ),
        },
        elapsed_ms: ms(t.elapsed),
    }
}

/// A short account of an SNMP answer.
fn snmp_answer_text(t: &Transaction) -> String {
    match &t.answer {
        Answer::Reply { message, .. } => {
            let first = message
                .pdu
                .varbinds
                .first()
                .map(|vb| crate::snmp::checks::shown(&vb.value))
                .unwrap_or_default();
            format!(
                "{}{}",
                paperjam_sim::snmp::message::error_status::name(message.pdu.error_status),
                if first.is_empty() {
                    String::new()
                } else {
                    format!(", {}", crate::report::security::cut(&first, 80))
                }
            )
        }
        Answer::Malformed { error, .. } => format!("not SNMP: {error}"),
        Answer::Silence if t.refused => "port unreachable".into(),
        Answer::Silence => "no answer".into(),
    }
}

/// A v2c Set of `oid` to `value` (of the wrong type) with `community`:
/// what it says about writing. When an agent takes the value (noError),
/// the value read before is written back.
async fn snmp_wrong_type_set(
    client: &SnmpClient,
    community: &str,
    oid: &Oid,
    value: SnmpValue,
    ev: &mut Vec<Exchange>,
    wait: Duration,
) -> (WriteAnswer, Option<SnmpValue>) {
    let session = client.session(Version::V2c, community);
    let before = session.get(std::slice::from_ref(oid)).await.ok();
    let original = before.as_ref().and_then(|t| {
        let m: &SnmpMessage = t.reply()?;
        (m.pdu.error_status == 0)
            .then(|| {
                m.pdu
                    .varbinds
                    .first()
                    .and_then(|vb| vb.value.value().cloned())
            })
            .flatten()
    });
    let t = match session.set(&[(oid.clone(), value)]).await {
        Ok(t) => t,
        Err(e) => {
            return (
                WriteAnswer::Unclear(format!("cannot encode: {e}")),
                original,
            )
        }
    };
    ev.push(snmp_evidence(ev.len(), &t, wait));
    let status = t.reply().map(|m| m.pdu.error_status);
    let w = checks::classify_set(status);
    if status == Some(0) {
        if let Some(v) = &original {
            if let Ok(r) = session.set(&[(oid.clone(), v.clone())]).await {
                ev.push(snmp_evidence(ev.len(), &r, wait));
            }
        }
    }
    (w, original)
}

/// With `--allow-changes`: a v2c Set of `oid` to `value`, the value it
/// already has (so nothing changes), with `community`; what its answer
/// says about writing, after a wrong-typed Set answered `wrong` (a
/// type error). An agent that checks the type before the access (net-snmp
/// does, against RFC 3416 §4.2.5's order) answers the right type
/// notWritable for an object it will not write.
async fn snmp_same_value_set(
    client: &SnmpClient,
    community: &str,
    oid: &Oid,
    value: SnmpValue,
    wrong: &str,
    ev: &mut Vec<Exchange>,
    wait: Duration,
) -> WriteAnswer {
    let session = client.session(Version::V2c, community);
    let t = match session.set(&[(oid.clone(), value)]).await {
        Ok(t) => t,
        Err(e) => {
            return WriteAnswer::Writes(format!("{wrong}; not confirmed: cannot encode: {e}"))
        }
    };
    ev.push(snmp_evidence(ev.len(), &t, wait));
    let status = t.reply().map(|m| m.pdu.error_status);
    let said = status
        .map(paperjam_sim::snmp::message::error_status::name)
        .unwrap_or("no answer");
    match checks::classify_set(status) {
        WriteAnswer::Writes(_) => {
            WriteAnswer::Writes(format!("{wrong}; the value it has, set again: {said}"))
        }
        WriteAnswer::Refused(_) => WriteAnswer::Refused(format!(
            "{wrong} (type checked first), but the value it has, set again: {said}"
        )),
        WriteAnswer::Unclear(_) => WriteAnswer::Writes(format!(
            "{wrong}; the value it has, set again: {said} (unclear)"
        )),
    }
}
