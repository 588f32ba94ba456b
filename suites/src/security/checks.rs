//! The security cases' grading, sans-IO: each function takes what the
//! probes saw (TLS reports, HTTP and IPP answers, SNMP statuses, exposure
//! rows) and the user's policy, and returns a [`Verdict`]. The runner
//! ([`super::runner`]) only moves bytes and keeps the evidence; every rule
//! that turns an answer into pass, warn or fail lives here and is tested
//! without a network.

use paperjam_sim::ipp::Status;
use paperjam_sim::snmp::message::error_status as es;

use super::exposure::{PortRow, PortState, ServiceKind};
use super::policy::{MinTlsVersion, Permission, SnmpPolicy, Stance, TlsPolicy};
use super::snmp_v3::V3Answer;
use super::tls_probe::{CertInfo, TlsReport, TlsVersion, VersionAnswer};
use crate::grade::{Finding, Outcome};
use crate::spec::Level;

/// What a case concluded, before the runner adds its identity and evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The outcome.
    pub outcome: Outcome,
    /// One line: why.
    pub reason: String,
    /// What did not hold, expected against actual.
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// A pass, saying why.
    pub fn pass(reason: impl Into<String>) -> Verdict {
        Verdict {
            outcome: Outcome::Pass,
            reason: reason.into(),
            findings: Vec::new(),
        }
    }

    /// A skip, saying why.
    pub fn skip(reason: impl Into<String>) -> Verdict {
        Verdict {
            outcome: Outcome::Skip,
            reason: reason.into(),
            findings: Vec::new(),
        }
    }

    /// No verdict, saying why.
    pub fn error(reason: impl Into<String>) -> Verdict {
        Verdict {
            outcome: Outcome::Error,
            reason: reason.into(),
            findings: Vec::new(),
        }
    }

    /// `outcome` with one finding.
    pub fn finding(
        outcome: Outcome,
        reason: impl Into<String>,
        check: &str,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Verdict {
        Verdict {
            outcome,
            reason: reason.into(),
            findings: vec![Finding {
                step: 0,
                check: check.to_string(),
                expected: expected.into(),
                actual: actual.into(),
            }],
        }
    }
}

/// The outcome of a broken requirement at `level`: MUST fails, SHOULD and
/// MAY warn.
pub fn violation(level: Level) -> Outcome {
    match level {
        Level::Must => Outcome::Fail,
        Level::Should | Level::May => Outcome::Warn,
    }
}

// ---------------------------------------------------------------------------
// IPP answers.

/// What came back for one IPP request, reduced to what grading needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IppAnswer {
    /// HTTP 200 with an IPP response: its status-code.
    Ipp {
        /// The IPP status-code.
        status: u16,
    },
    /// An HTTP answer without an IPP response (401, 403, 426, a redirect,
    /// or a 200 whose body is not IPP).
    Http {
        /// The HTTP status.
        status: u16,
        /// `Location`, for a redirect.
        location: Option<String>,
        /// `WWW-Authenticate`, for a 401.
        www_authenticate: Option<String>,
        /// `Upgrade`, for a 426.
        upgrade: Option<String>,
    },
    /// No answer (refused, reset, timed out, not HTTP): why.
    NoAnswer(String),
}

/// How a printer received a request it should refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reception {
    /// Carried out (a successful IPP status).
    Accepted(String),
    /// Refused for lack of credentials, authorisation or TLS.
    Refused(String),
    /// The operation is not supported.
    NotSupported(String),
    /// Refused for another reason (not an authentication refusal).
    Other(String),
    /// No answer.
    NoAnswer(String),
}

/// An IPP status-code as its name (`successful-ok`) or hex.
pub fn status_name(code: u16) -> String {
    Status::from_raw(code)
        .name()
        .map(str::to_string)
        .unwrap_or_else(|| format!("0x{code:04x}"))
}

/// Whether a `Location` takes the client to TLS (`https:` or `ipps:`).
fn is_tls_location(l: &str) -> bool {
    let l = l.trim().to_ascii_lowercase();
    l.starts_with("https:") || l.starts_with("ipps:")
}

/// How `a` received the request.
pub fn reception(a: &IppAnswer) -> Reception {
    match a {
        IppAnswer::Ipp { status } => {
            let name = status_name(*status);
            match *status {
                s if s < 0x0100 => Reception::Accepted(name),
                0x0401..=0x0403 => Reception::Refused(name),
                0x0501 => Reception::NotSupported(name),
                _ => Reception::Other(name),
            }
        }
        IppAnswer::Http {
            status,
            location,
            www_authenticate,
            upgrade,
        } => match *status {
            401 => Reception::Refused(match www_authenticate {
                // The scheme and realm; the nonce is in the evidence.
                Some(w) => format!(
                    "HTTP 401, WWW-Authenticate: {}",
                    w.split(',').next().unwrap_or(w).trim()
                ),
                None => "HTTP 401".into(),
            }),
            403 => Reception::Refused("HTTP 403 Forbidden".into()),
            426 => Reception::Refused(match upgrade {
                Some(u) => format!("HTTP 426 Upgrade Required (Upgrade: {u})"),
                None => "HTTP 426 Upgrade Required".into(),
            }),
            300..=399 => match location {
                Some(l) if is_tls_location(l) => {
                    Reception::Refused(format!("HTTP {status} redirect to {l}"))
                }
                Some(l) => Reception::Other(format!("HTTP {status} redirect to {l}")),
                None => Reception::Other(format!("HTTP {status} without Location")),
            },
            404 | 405 | 501 => Reception::NotSupported(format!("HTTP {status}")),
            s => Reception::Other(format!("HTTP {s}")),
        },
        IppAnswer::NoAnswer(why) => Reception::NoAnswer(why.clone()),
    }
}

/// An operation sent without credentials must be refused: accepted is a
/// violation at `level`; a refusal, "not supported" or another error passes
/// (saying which); no answer is no verdict.
pub fn grade_refused(level: Level, what: &str, a: &IppAnswer) -> Verdict {
    match reception(a) {
        Reception::Accepted(s) => Verdict::finding(
            violation(level),
            format!("{what} was carried out without credentials ({s})"),
            what,
            "refused: HTTP 401/403, or client-error-forbidden, -not-authenticated, -not-authorized",
            s,
        ),
        Reception::Refused(s) => Verdict::pass(format!("{what} refused: {s}")),
        Reception::NotSupported(s) => Verdict::pass(format!("{what} is not supported ({s})")),
        Reception::Other(s) => Verdict::pass(format!(
            "{what} not carried out ({s}; not an authentication refusal)"
        )),
        Reception::NoAnswer(s) => Verdict::error(format!("{what}: no answer ({s})")),
    }
}

/// What a thing allowed in clear text gets under the `tls` policy: a
/// violation at the case's level under `required`, a warning under
/// `preferred`, a pass (saying so) under `optional`.
fn tls_outcome(policy: TlsPolicy, level: Level) -> Outcome {
    match policy {
        TlsPolicy::Required => violation(level),
        TlsPolicy::Preferred => Outcome::Warn,
        TlsPolicy::Optional => Outcome::Pass,
    }
}

/// `plain-print` and `plain-admin`: an operation over plain HTTP. Any IPP
/// answer other than an authentication refusal means the printer speaks
/// IPP in clear text for it.
pub fn grade_plain(policy: TlsPolicy, level: Level, what: &str, a: &IppAnswer) -> Verdict {
    let (clear, seen) = match reception(a) {
        Reception::Accepted(s) => (true, s),
        Reception::Refused(s) if asks_basic(a) => {
            // Refused for now, but the printer asks for a password in clear
            // text: the next request carries it, and the document, unencrypted.
            let outcome = tls_outcome(policy, level);
            if outcome == Outcome::Pass {
                return Verdict::pass(format!(
                    "{what} over plain HTTP is challenged for Basic credentials ({s}); allowed by policy (tls = optional)"
                ));
            }
            return Verdict::finding(
                outcome,
                format!("{what} over plain HTTP is challenged for Basic credentials ({s}): the password would travel in clear text"),
                &format!("{what} over plain HTTP"),
                "HTTP 426 Upgrade Required, 403 or a redirect to https, not a Basic challenge in clear text",
                s,
            );
        }
        Reception::Refused(s) => {
            return Verdict::pass(format!("{what} over plain HTTP refused: {s}"))
        }
        Reception::NotSupported(s) => {
            return Verdict::pass(format!("{what} is not supported ({s})"))
        }
        Reception::NoAnswer(s) => {
            return Verdict::pass(format!("the IPP port does not answer plain HTTP ({s})"))
        }
        Reception::Other(s) => (matches!(a, IppAnswer::Ipp { .. }), s),
    };
    if !clear {
        return Verdict::pass(format!("{what} over plain HTTP not carried out ({seen})"));
    }
    let outcome = tls_outcome(policy, level);
    let reason = if outcome == Outcome::Pass {
        format!("{what} is answered over plain HTTP ({seen}); allowed by policy (tls = optional)")
    } else {
        format!("{what} is answered over plain HTTP, without TLS ({seen})")
    };
    let mut v = Verdict::finding(
        outcome,
        reason,
        &format!("{what} over plain HTTP"),
        "HTTP 426 Upgrade Required, 403, a redirect to https, or an authentication refusal",
        seen,
    );
    if outcome == Outcome::Pass {
        v.findings.clear();
    }
    v
}

/// Whether `a` is a 401 that offers HTTP Basic (RFC 7617).
fn asks_basic(a: &IppAnswer) -> bool {
    match a {
        IppAnswer::Http {
            status: 401,
            www_authenticate: Some(w),
            ..
        } => paperjam_sim::security::auth::parse_challenges(w).map_or_else(
            |_| w.trim_start().to_ascii_lowercase().starts_with("basic"),
            |c| {
                c.iter()
                    .any(|c| c.scheme == paperjam_sim::security::auth::Scheme::Basic)
            },
        ),
        _ => false,
    }
}

/// `anonymous-print`: a Validate-Job without credentials, graded by the
/// `anonymous-printing` stance.
pub fn grade_anonymous_print(stance: Stance, a: &IppAnswer) -> Verdict {
    match reception(a) {
        Reception::Accepted(s) => {
            let outcome = stance.outcome();
            if outcome == Outcome::Pass {
                return Verdict::pass(format!(
                    "anonymous Validate-Job accepted ({s}); allowed by policy"
                ));
            }
            Verdict::finding(
                outcome,
                format!(
                    "anyone can print: a Validate-Job without credentials was accepted ({s}); policy anonymous-printing = {}",
                    stance.as_str()
                ),
                "Validate-Job without credentials",
                "refused with HTTP 401 (printing needs credentials)",
                s,
            )
        }
        Reception::Refused(s) => Verdict::pass(format!("printing needs credentials: {s}")),
        Reception::NotSupported(s) => Verdict::pass(format!("Validate-Job is not supported ({s})")),
        Reception::Other(s) => Verdict::pass(format!(
            "Validate-Job without credentials not accepted ({s})"
        )),
        Reception::NoAnswer(s) => Verdict::error(format!("Validate-Job: no answer ({s})")),
    }
}

/// `bad-credentials-refused`: what each wrong-credential retry got, by
/// scheme. Accepted fails; 401 passes; another refusal passes, saying so.
pub fn grade_bad_credentials(level: Level, tries: &[(String, IppAnswer)]) -> Verdict {
    if tries.is_empty() {
        return Verdict::skip("nothing was challenged: the printer asked for no credentials");
    }
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let mut unanswered = Vec::new();
    for (scheme, a) in tries {
        match (a, reception(a)) {
            (_, Reception::Accepted(s)) => findings.push(Finding {
                step: 0,
                check: format!("wrong {scheme} credentials"),
                expected: "HTTP 401".into(),
                actual: format!("accepted ({s})"),
            }),
            (IppAnswer::Http { status: 401, .. }, _) => notes.push(format!("{scheme}: 401")),
            (_, Reception::NoAnswer(s)) => unanswered.push(format!("{scheme}: {s}")),
            (_, Reception::Refused(s) | Reception::NotSupported(s) | Reception::Other(s)) => {
                notes.push(format!("{scheme}: refused with {s}, not 401"))
            }
        }
    }
    if !findings.is_empty() {
        return Verdict {
            outcome: violation(level),
            reason: format!(
                "wrong credentials were accepted ({})",
                findings
                    .iter()
                    .map(|f| f.check.trim_start_matches("wrong ").to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            findings,
        };
    }
    if notes.is_empty() {
        return Verdict::error(format!(
            "no answer to the retries: {}",
            unanswered.join("; ")
        ));
    }
    Verdict::pass(format!("wrong credentials refused ({})", notes.join("; ")))
}

// ---------------------------------------------------------------------------
// TLS.

/// One port probed for TLS, with what [`super::tls_probe::probe_tls`] saw.
#[derive(Debug, Clone)]
pub struct TlsEndpoint {
    /// Which port this is, for reports (`IPP port 631`, `IPPS port 443`).
    pub label: String,
    /// The probe's report.
    pub report: TlsReport,
}

impl TlsEndpoint {
    /// Whether the port speaks TLS at all: a full handshake succeeded, or
    /// one version alone got a ServerHello.
    pub fn speaks_tls(&self) -> bool {
        self.report.handshake.is_ok()
            || self
                .report
                .versions
                .iter()
                .any(|(_, a)| matches!(a, VersionAnswer::Accepted { .. }))
    }

    /// The leaf certificate, when one was shown.
    pub fn leaf(&self) -> Option<&CertInfo> {
        self.report.chain.first()
    }
}

/// One line on a version answer.
pub fn version_answer_text(a: &VersionAnswer) -> String {
    match a {
        VersionAnswer::Accepted { cipher } => format!(
            "accepted ({})",
            super::tls_probe::cipher_suite_name(*cipher)
        ),
        VersionAnswer::Refused(why) => format!("refused ({why})"),
        VersionAnswer::NotTls(s) => format!("not TLS ({s})"),
        VersionAnswer::NoAnswer => "no answer".into(),
        VersionAnswer::Unreachable(e) => format!("unreachable ({e})"),
    }
}

/// `ipps-offered`: a full handshake on the IPP port (the first endpoint),
/// graded by the `tls` policy. TLS on another port only (a separate IPPS or
/// HTTPS port) does not count: an `ipps://` URI names the IPP port (RFC
/// 7472 §3, default port 631), so clients that follow the printer's own
/// URIs never reach it; it is named in the finding.
pub fn grade_ipps_offered(policy: TlsPolicy, level: Level, eps: &[TlsEndpoint]) -> Verdict {
    let Some((ipp, others)) = eps.split_first() else {
        return Verdict::skip("no port probed");
    };
    if let Ok(n) = &ipp.report.handshake {
        return Verdict::pass(format!(
            "TLS on {} ({}, {})",
            ipp.label, n.version, n.cipher
        ));
    }
    let elsewhere: Vec<String> = others
        .iter()
        .filter_map(|e| {
            e.report
                .handshake
                .as_ref()
                .ok()
                .map(|n| format!("{} ({})", e.label, n.version))
        })
        .collect();
    let why = match &ipp.report.handshake {
        Err(why) => format!("{}: {why}", ipp.label),
        Ok(_) => ipp.label.clone(),
    };
    let actual = if elsewhere.is_empty() {
        format!("{why}; no other port offers TLS either")
    } else {
        format!("{why}; TLS only on {}", elsewhere.join(", "))
    };
    let outcome = tls_outcome(policy, level);
    if outcome == Outcome::Pass {
        return Verdict::pass(format!(
            "the IPP port offers no TLS ({actual}); allowed by policy (tls = optional)"
        ));
    }
    let summary = if elsewhere.is_empty() {
        "no port completes a TLS handshake: IPP travels in clear text"
    } else {
        "the IPP port speaks clear text only: ipps:// URIs (RFC 7472 §3) cannot be used"
    };
    Verdict::finding(
        outcome,
        summary,
        "TLS handshake (TLS 1.2 or 1.3)",
        "completed on the IPP port (same-port IPPS, RFC 7472 §3)",
        actual,
    )
}

/// `tls-minimum-version`: no TLS port accepts a version below `min`.
pub fn grade_tls_minimum(min: MinTlsVersion, eps: &[TlsEndpoint]) -> Verdict {
    let floor = match min {
        MinTlsVersion::Tls12 => TlsVersion::Tls12,
        MinTlsVersion::Tls13 => TlsVersion::Tls13,
    };
    let tls: Vec<&TlsEndpoint> = eps.iter().filter(|e| e.speaks_tls()).collect();
    if tls.is_empty() {
        return Verdict::skip("no port speaks TLS");
    }
    let mut findings = Vec::new();
    for e in &tls {
        for (v, a) in &e.report.versions {
            if *v < floor && matches!(a, VersionAnswer::Accepted { .. }) {
                findings.push(Finding {
                    step: 0,
                    check: format!("{} on {}", v.name(), e.label),
                    expected: format!("refused (minimum TLS {})", min.as_str()),
                    actual: version_answer_text(a),
                });
            }
        }
    }
    if findings.is_empty() {
        let labels: Vec<&str> = tls.iter().map(|e| e.label.as_str()).collect();
        return Verdict::pass(format!(
            "nothing below TLS {} is accepted on {}",
            min.as_str(),
            labels.join(", ")
        ));
    }
    let old: Vec<String> = findings.iter().map(|f| f.check.clone()).collect();
    Verdict {
        outcome: Outcome::Fail,
        reason: format!("deprecated TLS accepted: {}", old.join(", ")),
        findings,
    }
}

/// The distinct leaf certificates, with the ports that show each.
fn leaves(eps: &[TlsEndpoint]) -> Vec<(&CertInfo, Vec<&str>)> {
    let mut out: Vec<(&CertInfo, Vec<&str>)> = Vec::new();
    for e in eps {
        if let Some(c) = e.leaf() {
            match out.iter_mut().find(|(k, _)| k.sha256 == c.sha256) {
                Some((_, labels)) => labels.push(&e.label),
                None => out.push((c, vec![&e.label])),
            }
        }
    }
    out
}

/// A unix time as `YYYY-MM-DD` (UTC).
pub fn date(unix: i64) -> String {
    // Civil from days (Howard Hinnant's algorithm).
    let days = unix.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// `certificate-not-expired`: every leaf is valid at `now` (unix seconds).
pub fn grade_certificate_dates(level: Level, now: i64, eps: &[TlsEndpoint]) -> Verdict {
    let certs = leaves(eps);
    if certs.is_empty() {
        return Verdict::skip("no certificate was shown (no port speaks TLS)");
    }
    let mut findings = Vec::new();
    for (c, labels) in &certs {
        let window = format!("valid {} to {}", date(c.not_before), date(c.not_after));
        let problem = if c.expired_at(now) {
            Some(format!("expired on {}", date(c.not_after)))
        } else if c.not_yet_valid_at(now) {
            Some(format!("not valid before {}", date(c.not_before)))
        } else {
            None
        };
        if let Some(p) = problem {
            findings.push(Finding {
                step: 0,
                check: format!("certificate {} on {}", c.subject, labels.join(", ")),
                expected: format!("valid on {}", date(now)),
                actual: format!("{p} ({window})"),
            });
        }
    }
    if findings.is_empty() {
        let until: Vec<String> = certs
            .iter()
            .map(|(c, l)| format!("{} until {}", l.join(", "), date(c.not_after)))
            .collect();
        return Verdict::pass(format!("certificate valid ({})", until.join("; ")));
    }
    Verdict {
        outcome: violation(level),
        reason: findings
            .iter()
            .map(|f| format!("{}: {}", f.check, f.actual))
            .collect::<Vec<_>>()
            .join("; "),
        findings,
    }
}

/// What a certificate names, for reports.
pub fn cert_names(c: &CertInfo) -> String {
    let mut names: Vec<String> = c.dns_names.clone();
    names.extend(c.ip_addresses.iter().map(|i| i.to_string()));
    if names.is_empty() {
        names = c.common_names.iter().map(|n| format!("CN={n}")).collect();
    }
    if names.is_empty() {
        "no name".into()
    } else {
        names.join(", ")
    }
}

/// `certificate-names-host`: every leaf names `host`.
pub fn grade_certificate_names(level: Level, host: &str, eps: &[TlsEndpoint]) -> Verdict {
    let certs = leaves(eps);
    if certs.is_empty() {
        return Verdict::skip("no certificate was shown (no port speaks TLS)");
    }
    let findings: Vec<Finding> = certs
        .iter()
        .filter(|(c, _)| !c.names_host(host))
        .map(|(c, labels)| Finding {
            step: 0,
            check: format!("certificate on {}", labels.join(", ")),
            expected: format!("names {host} (subjectAltName)"),
            actual: format!("names {}", cert_names(c)),
        })
        .collect();
    if findings.is_empty() {
        return Verdict::pass(format!("the certificate names {host}"));
    }
    Verdict {
        outcome: violation(level),
        reason: format!(
            "the certificate does not name {host}: {}",
            findings
                .iter()
                .map(|f| f.actual.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        findings,
    }
}

/// `certificate-self-signed`: a self-signed leaf, graded by policy.
pub fn grade_self_signed(permission: Permission, eps: &[TlsEndpoint]) -> Verdict {
    let certs = leaves(eps);
    if certs.is_empty() {
        return Verdict::skip("no certificate was shown (no port speaks TLS)");
    }
    let selfs: Vec<&(&CertInfo, Vec<&str>)> = certs.iter().filter(|(c, _)| c.self_signed).collect();
    if selfs.is_empty() {
        let issuers: Vec<String> = certs.iter().map(|(c, _)| c.issuer.clone()).collect();
        return Verdict::pass(format!("issued by {}", issuers.join("; ")));
    }
    let which: Vec<String> = selfs
        .iter()
        .map(|(c, l)| format!("{} ({})", c.subject, l.join(", ")))
        .collect();
    match permission {
        Permission::Allowed => Verdict::pass(format!(
            "self-signed: {}; allowed by policy",
            which.join("; ")
        )),
        Permission::Forbidden => Verdict::finding(
            Outcome::Fail,
            format!("self-signed certificate: {}", which.join("; ")),
            "certificate issuer",
            "a certificate authority (policy self-signed-certificates = forbidden)",
            format!("self-signed: {}", which.join("; ")),
        ),
    }
}

// ---------------------------------------------------------------------------
// SNMP.

/// One Get of sysDescr.0 with one community in one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityRead {
    /// The community.
    pub community: String,
    /// `v1` or `v2c`.
    pub version: &'static str,
    /// The agent answered (with any Response).
    pub answered: bool,
    /// What came back, briefly.
    pub evidence: String,
}

/// What a wrong-typed SetRequest's answer says about the community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteAnswer {
    /// The community may write: the value was judged (wrongType, …) or taken.
    Writes(String),
    /// The community may not write (noAccess, notWritable, …, or silence).
    Refused(String),
    /// An answer that does not tell (genErr, tooBig).
    Unclear(String),
}

impl WriteAnswer {
    /// The status or reason.
    pub fn text(&self) -> &str {
        match self {
            WriteAnswer::Writes(s) | WriteAnswer::Refused(s) | WriteAnswer::Unclear(s) => s,
        }
    }
}

/// Classify the answer to a wrong-typed SetRequest: `status` is the
/// error-status of the Response (`None`: no Response came).
///
/// An agent checks the community's right to write before the value's type
/// (RFC 3416 §4.2.5, RFC 3584 §4.4): wrongType, wrongValue, wrongLength,
/// wrongEncoding, inconsistentValue, badValue (v1) — and noError, or the
/// commit-phase errors — mean the community may write. noAccess,
/// authorizationError, notWritable, readOnly, noCreation,
/// inconsistentName and noSuchName (v1, RFC 3584 §4.4) mean it may not, as
/// does silence (an unknown community is dropped).
pub fn classify_set(status: Option<u32>) -> WriteAnswer {
    let Some(s) = status else {
        return WriteAnswer::Refused("no answer".into());
    };
    let name = es::name(s).to_string();
    match s {
        es::NO_ERROR
        | es::BAD_VALUE
        | es::WRONG_TYPE
        | es::WRONG_LENGTH
        | es::WRONG_ENCODING
        | es::WRONG_VALUE
        | es::INCONSISTENT_VALUE
        | es::RESOURCE_UNAVAILABLE
        | es::COMMIT_FAILED
        | es::UNDO_FAILED => WriteAnswer::Writes(name),
        es::NO_SUCH_NAME
        | es::READ_ONLY
        | es::NO_ACCESS
        | es::NO_CREATION
        | es::AUTHORIZATION_ERROR
        | es::NOT_WRITABLE
        | es::INCONSISTENT_NAME => WriteAnswer::Refused(name),
        _ => WriteAnswer::Unclear(name),
    }
}

/// What the SNMP probes saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnmpSurvey {
    /// Every Get of sysDescr.0 (community × version).
    pub reads: Vec<CommunityRead>,
    /// Every wrong-typed v2c Set of sysContact.0, by community.
    pub writes: Vec<(String, WriteAnswer)>,
    /// The SNMPv3 discovery's answer (`None`: nothing came).
    pub v3: Option<V3Answer>,
}

impl SnmpSurvey {
    /// The communities a v1 or v2c Get was answered with.
    pub fn answering(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for r in self.reads.iter().filter(|r| r.answered) {
            if !v.contains(&r.community) {
                v.push(r.community.clone());
            }
        }
        v
    }

    /// The communities that may write.
    pub fn writers(&self) -> Vec<&str> {
        self.writes
            .iter()
            .filter(|(_, w)| matches!(w, WriteAnswer::Writes(_)))
            .map(|(c, _)| c.as_str())
            .collect()
    }

    /// Whether the agent speaks SNMPv3 (a discovery Report came).
    pub fn v3_offered(&self) -> bool {
        matches!(self.v3, Some(V3Answer::Report { .. }))
    }

    /// A note on SNMPv3 for the evidence.
    pub fn v3_note(&self) -> String {
        match &self.v3 {
            Some(a @ V3Answer::Report { .. }) => format!(
                "SNMPv3 offered (engine {})",
                a.engine_id_hex().unwrap_or_default()
            ),
            Some(V3Answer::Other(s)) => format!("no SNMPv3 (the discovery got: {s})"),
            Some(V3Answer::Malformed(s)) => format!("no SNMPv3 (an unreadable answer: {s})"),
            None => "no SNMPv3 (the discovery got no answer)".into(),
        }
    }
}

/// `public-community`: a v1 or v2c Get with `public` answered.
pub fn grade_public_community(policy: SnmpPolicy, survey: &SnmpSurvey) -> Verdict {
    let answered: Vec<&CommunityRead> = survey
        .reads
        .iter()
        .filter(|r| r.community == "public" && r.answered)
        .collect();
    if answered.is_empty() {
        return Verdict::pass("no answer to 'public' (v1 or v2c)");
    }
    let versions: Vec<&str> = answered.iter().map(|r| r.version).collect();
    let seen = format!(
        "answered in {}: {}",
        versions.join(" and "),
        answered[0].evidence
    );
    match policy {
        SnmpPolicy::Allowed => Verdict::pass(format!(
            "'public' is answered ({}); allowed by policy (snmp = allowed)",
            versions.join(", ")
        )),
        SnmpPolicy::ReadOnly | SnmpPolicy::V3Only => Verdict::finding(
            Outcome::Fail,
            format!(
                "the default community 'public' is answered ({})",
                versions.join(", ")
            ),
            "Get sysDescr.0 with community 'public'",
            "no answer",
            seen,
        ),
    }
}

/// `write-community`: a wrong-typed Set with `private` or `public` judged
/// on its value (so the community may write).
pub fn grade_write_community(policy: SnmpPolicy, survey: &SnmpSurvey) -> Verdict {
    if survey.writes.is_empty() {
        return Verdict::pass("no SetRequest was answered (SNMP not served)");
    }
    let findings: Vec<Finding> = survey
        .writes
        .iter()
        .filter(|(_, w)| matches!(w, WriteAnswer::Writes(_)))
        .map(|(c, w)| Finding {
            step: 0,
            check: format!("wrong-typed Set of sysContact.0 with '{c}'"),
            expected: "noAccess, notWritable, authorizationError or no answer".into(),
            actual: format!("{} (the community may write)", w.text()),
        })
        .collect();
    let summary: Vec<String> = survey
        .writes
        .iter()
        .map(|(c, w)| format!("'{c}': {}", w.text()))
        .collect();
    if findings.is_empty() {
        return Verdict::pass(format!(
            "no default community may write ({})",
            summary.join(", ")
        ));
    }
    let writers = survey.writers().join("', '");
    let outcome = match policy {
        SnmpPolicy::Allowed => Outcome::Warn,
        SnmpPolicy::ReadOnly | SnmpPolicy::V3Only => Outcome::Fail,
    };
    Verdict {
        outcome,
        reason: format!(
            "the community '{writers}' may write ({})",
            summary.join(", ")
        ),
        findings,
    }
}

/// `v3-only`: v1/v2c answered at all.
pub fn grade_v3_only(policy: SnmpPolicy, survey: &SnmpSurvey) -> Verdict {
    let answering = survey.answering();
    if answering.is_empty() {
        return Verdict::pass(if survey.v3_offered() {
            format!("only SNMPv3 answers: {}", survey.v3_note())
        } else {
            "SNMP not served (no v1 or v2c answer with the communities tried, no SNMPv3 answer)"
                .to_string()
        });
    }
    let versions: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for r in survey.reads.iter().filter(|r| r.answered) {
            if !v.contains(&r.version) {
                v.push(r.version);
            }
        }
        v
    };
    let seen = format!(
        "{} answered with {}; {}",
        versions.join(" and "),
        answering
            .iter()
            .map(|c| format!("'{c}'"))
            .collect::<Vec<_>>()
            .join(", "),
        survey.v3_note()
    );
    let outcome = match policy {
        SnmpPolicy::V3Only => Outcome::Fail,
        SnmpPolicy::ReadOnly => Outcome::Warn,
        SnmpPolicy::Allowed => {
            return Verdict::pass(format!("{seen}; allowed by policy (snmp = allowed)"))
        }
    };
    Verdict::finding(
        outcome,
        format!("community-based SNMP answers: {seen}"),
        "SNMPv1/v2c Get of sysDescr.0",
        "no answer (SNMPv3 only)",
        seen,
    )
}

/// `writable-objects`: which objects a write community may write.
pub fn grade_writable_objects(
    level: Level,
    community: Option<&str>,
    objects: &[(String, WriteAnswer)],
) -> Verdict {
    let Some(community) = community else {
        return Verdict::skip("no community tried may write");
    };
    let writable: Vec<&str> = objects
        .iter()
        .filter(|(_, w)| matches!(w, WriteAnswer::Writes(_)))
        .map(|(o, _)| o.as_str())
        .collect();
    let all: Vec<String> = objects
        .iter()
        .map(|(o, w)| format!("{o}: {}", w.text()))
        .collect();
    if writable.is_empty() {
        return Verdict::pass(format!(
            "'{community}' may write none of them ({})",
            all.join(", ")
        ));
    }
    Verdict {
        outcome: violation(level),
        reason: format!("writable with '{community}': {}", writable.join(", ")),
        findings: objects
            .iter()
            .filter(|(_, w)| matches!(w, WriteAnswer::Writes(_)))
            .map(|(o, w)| Finding {
                step: 0,
                check: format!("wrong-typed Set of {o} with '{community}'"),
                expected: "notWritable or noAccess".into(),
                actual: format!("{} (writable)", w.text()),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------
// Exposure.

/// The state of a row as a word for reports.
pub fn state_name(s: &PortState) -> String {
    match s {
        PortState::Open => "open".into(),
        PortState::Closed => "closed".into(),
        PortState::NoAnswer => "no answer".into(),
        PortState::Error(e) => format!("error: {e}"),
    }
}

/// `raw-print-ports` and `lpd-port`: any open port of `kind`, graded by
/// `stance`.
pub fn grade_open_ports(kind: ServiceKind, stance: Stance, key: &str, rows: &[PortRow]) -> Verdict {
    let mine: Vec<&PortRow> = rows.iter().filter(|r| r.service == kind).collect();
    if mine.is_empty() {
        return Verdict::skip(format!(
            "no {} port was probed (--port {}=none)",
            kind.name(),
            kind.name()
        ));
    }
    let open: Vec<&PortRow> = mine
        .iter()
        .copied()
        .filter(|r| r.state == PortState::Open)
        .collect();
    let states: Vec<String> = mine
        .iter()
        .map(|r| format!("{}: {}", r.port, state_name(&r.state)))
        .collect();
    if open.is_empty() {
        return Verdict::pass(format!("not open ({})", states.join(", ")));
    }
    let ports: Vec<String> = open.iter().map(|r| r.port.to_string()).collect();
    let outcome = stance.outcome();
    if outcome == Outcome::Pass {
        return Verdict::pass(format!(
            "open on {}; allowed by policy ({key} = allowed)",
            ports.join(", ")
        ));
    }
    Verdict {
        outcome,
        reason: format!(
            "{} open on port {} ({key} = {})",
            kind.name(),
            ports.join(", "),
            stance.as_str()
        ),
        findings: open
            .iter()
            .map(|r| Finding {
                step: 0,
                check: format!("{}/{} ({})", r.port, transport_of(kind), kind.name()),
                expected: "closed".into(),
                actual: format!("open: {}", r.evidence),
            })
            .collect(),
    }
}

/// `cups-browsed`: a browse packet to UDP 631 that made the target call back.
pub fn grade_cups_browsed(level: Level, rows: &[PortRow]) -> Verdict {
    let mine: Vec<&PortRow> = rows
        .iter()
        .filter(|r| r.service == ServiceKind::CupsBrowsed)
        .collect();
    if mine.is_empty() {
        return Verdict::skip("no cups-browsed port was probed (--port browse=none)");
    }
    match mine.iter().find(|r| r.state == PortState::Open) {
        Some(r) => Verdict::finding(
            violation(level),
            format!(
                "a browse packet to UDP {} made the printer call back (CVE-2024-47176)",
                r.port
            ),
            &format!("browse packet to {}/udp", r.port),
            "ignored: nothing connects back",
            r.evidence.clone(),
        ),
        None => Verdict::pass(
            mine.iter()
                .map(|r| format!("{}/udp: {}", r.port, r.evidence))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

/// `mdns`: an answer to a unicast DNS-SD query, graded by policy.
pub fn grade_mdns(permission: Permission, rows: &[PortRow]) -> Verdict {
    let mine: Vec<&PortRow> = rows
        .iter()
        .filter(|r| r.service == ServiceKind::Mdns)
        .collect();
    if mine.is_empty() {
        return Verdict::skip("no mDNS port was probed (--port mdns=none)");
    }
    match (mine.iter().find(|r| r.state == PortState::Open), permission) {
        (None, _) => Verdict::pass(format!(
            "no mDNS answer ({})",
            mine.iter()
                .map(|r| format!("{}/udp: {}", r.port, state_name(&r.state)))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (Some(r), Permission::Allowed) => Verdict::pass(format!(
            "announces itself on {}/udp: {}; allowed by policy",
            r.port, r.evidence
        )),
        (Some(r), Permission::Forbidden) => Verdict::finding(
            Outcome::Fail,
            format!("answers mDNS/DNS-SD on {}/udp (mdns = forbidden)", r.port),
            "mDNS query for _ipp._tcp.local",
            "no answer",
            r.evidence.clone(),
        ),
    }
}

/// `tcp` or `udp` for a service.
pub fn transport_of(kind: ServiceKind) -> &'static str {
    match kind.transport() {
        super::exposure::Transport::Tcp => "tcp",
        super::exposure::Transport::Udp => "udp",
    }
}

// ---------------------------------------------------------------------------
// Robustness.

/// A disruptive probe: did the printer answer before, and does it answer
/// after? `summary` describes what was sent (counts).
pub fn grade_still_answers(
    level: Level,
    before: &Result<u16, String>,
    after: &Result<u16, String>,
    summary: &str,
) -> Verdict {
    if let Err(e) = before {
        return Verdict::error(format!(
            "the printer did not answer a Get-Printer-Attributes before the probe ({e})"
        ));
    }
    match after {
        Ok(status) => Verdict::pass(format!("still answers (HTTP {status}) after {summary}")),
        Err(e) => Verdict::finding(
            violation(level),
            format!("no longer answers after {summary}: {e}"),
            "Get-Printer-Attributes afterwards",
            "an HTTP answer",
            e.clone(),
        ),
    }
}

#[cfg(test)]
mod tests;
