//! The built-in checks the mDNS cases name. Each grades what the browse and
//! resolution heard ([`Discovery`], step 1 of the evidence) and, when it
//! must, sends more (step 2): queries in quick succession, a probe, a legacy
//! unicast query, a TCP connection, an IPP Get-Printer-Attributes, or it
//! switches the virtual printer off.
//!
//! Only the printer's own datagrams are graded: those from the addresses its
//! service records came from ([`Discovery::sources`]).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use paperjam_sim::wire::ipp::{DelimiterTag, Message as IppMessage, Value as IppValue};

use super::browse::{Client, Datagram, Discovery, HeardMsg, Service};
use super::dns::{rtype, txt_pairs, Data, Msg, Name, Query, Rr};
use super::link::Via;
use crate::grade::{Exchange, Finding};

/// Every check a case may name.
pub const CHECKS: &[&str] = &[
    "browse-resolves",
    "response-header",
    "cache-flush-bit",
    "record-ttls",
    "rate-limited-answers",
    "goodbye-on-shutdown",
    "name-defended",
    "legacy-unicast",
    "legacy-unicast-ttl",
    "instance-name",
    "txt-keys",
    "txt-conventions",
    "srv-port-answers",
    "txt-required-keys",
    "txt-boolean-values",
    "print-subtype",
    "universal-subtype",
    "ipp-pdl",
    "ipp-uuid",
    "ipp-rp",
    "ipp-ty",
    "ipp-note",
    "ipp-color-duplex",
];

/// Whether a check compares with IPP.
pub fn needs_ipp(check: &str) -> bool {
    check.starts_with("ipp-")
}

/// The step of the browse and resolution in the evidence.
pub const DISCOVERY_STEP: usize = 0;
/// The step of a case's own traffic.
pub const CASE_STEP: usize = 1;

/// Why a check stopped without a verdict of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// It does not apply (the reason says why).
    Skip(String),
    /// No verdict could be reached.
    Error(String),
}

/// What a check works with.
pub struct Ctx<'a> {
    /// The client, on a link of the case's own.
    pub client: &'a mut Client,
    /// What the browse found.
    pub d: &'a Discovery,
    /// The browse's datagrams.
    pub disc_log: &'a [Datagram],
    /// Findings so far.
    pub findings: Vec<Finding>,
    /// Evidence besides datagrams (IPP exchanges).
    pub extra: Vec<Exchange>,
    /// Time limit of a TCP connection or an IPP request.
    pub timeout: Duration,
}

impl Ctx<'_> {
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

    fn is_source(&self, ip: IpAddr) -> bool {
        self.d.sources.contains(&ip)
    }

    /// The printer's responses: in the browse, and in the case from `from` on.
    fn target_responses(&self, case_from: usize) -> Vec<(usize, HeardMsg)> {
        let mut v: Vec<(usize, HeardMsg)> = heard_in(self.disc_log, 0)
            .into_iter()
            .map(|h| (DISCOVERY_STEP, h))
            .collect();
        v.extend(
            self.client
                .heard_from(case_from)
                .into_iter()
                .map(|h| (CASE_STEP, h)),
        );
        v.retain(|(_, h)| h.msg.response && self.is_source(h.from.ip()));
        v
    }

    /// The service the record checks and probes use: `_ipp._tcp` if resolved,
    /// else the first resolved.
    fn main_service(&self) -> Option<&Service> {
        self.d
            .service("_ipp._tcp")
            .filter(|s| s.srv.is_some())
            .or_else(|| self.d.resolved().next())
    }
}

/// Parsed heard datagrams of `log` from index `from` on.
pub fn heard_in(log: &[Datagram], from: usize) -> Vec<HeardMsg> {
    log.iter()
        .enumerate()
        .skip(from)
        .filter(|(_, d)| !d.sent)
        .filter_map(|(i, d)| {
            Some(HeardMsg {
                index: i,
                at: d.at,
                from: d.peer.parse::<SocketAddr>().ok()?,
                via: d.via.unwrap_or(Via::Multicast),
                msg: Msg::parse(&d.bytes).ok()?,
            })
        })
        .collect()
}

/// Run check `name`.
pub async fn run(name: &str, cx: &mut Ctx<'_>) -> Result<(), Stop> {
    if name != "browse-resolves" && cx.d.resolved().next().is_none() {
        return Err(Stop::Skip(format!(
            "no printer service resolved ({}); see mdns/rfc6763/4/ptr-srv-txt-a-chain",
            cx.d.summary()
        )));
    }
    match name {
        "browse-resolves" => browse_resolves(cx),
        "response-header" => response_header(cx),
        "cache-flush-bit" => cache_flush_bit(cx),
        "record-ttls" => record_ttls(cx),
        "rate-limited-answers" => rate_limited(cx).await?,
        "goodbye-on-shutdown" => goodbye(cx).await?,
        "name-defended" => name_defended(cx).await?,
        "legacy-unicast" => legacy_unicast(cx, false).await?,
        "legacy-unicast-ttl" => legacy_unicast(cx, true).await?,
        "instance-name" => instance_name(cx),
        "txt-keys" => txt_keys(cx)?,
        "txt-conventions" => txt_conventions(cx)?,
        "srv-port-answers" => srv_port_answers(cx).await?,
        "txt-required-keys" => txt_required_keys(cx)?,
        "txt-boolean-values" => txt_boolean_values(cx)?,
        "print-subtype" => print_subtype(cx).await?,
        "universal-subtype" => universal_subtype(cx)?,
        n if needs_ipp(n) => ipp_check(cx, n).await?,
        other => return Err(Stop::Error(format!("no built-in check '{other}'"))),
    }
    Ok(())
}

fn list(items: &[String], max: usize) -> String {
    let mut v: Vec<String> = items.iter().take(max).cloned().collect();
    if items.len() > max {
        v.push(format!("… ({} in all)", items.len()));
    }
    v.join(", ")
}

// ----- RFC 6763: the chain, the names, the TXT record -----

fn browse_resolves(cx: &mut Ctx<'_>) {
    let s = DISCOVERY_STEP;
    if cx.d.instance.is_none() {
        let heard = heard_in(cx.disc_log, 0).len();
        cx.fail(
            s,
            "browse",
            "a PTR record naming a printer instance under _ipp._tcp, _ipps._tcp, _printer._tcp or _pdl-datastream._tcp (RFC 6763 §4)",
            if heard == 0 {
                "nothing heard".to_string()
            } else {
                format!("{heard} answer(s), none naming a printer service")
            },
        );
        return;
    }
    if cx.d.services.is_empty() {
        cx.fail(
            s,
            "browse",
            format!("a service of instance {}", cx.d.instance_text()),
            "none found",
        );
        return;
    }
    let services = cx.d.services.clone();
    for svc in &services {
        if !svc.ptr_seen {
            cx.fail(
                s,
                format!("PTR {}.local", svc.service),
                format!("a PTR record to {}", svc.fqdn),
                "none heard",
            );
        }
        if svc.srv.is_none() {
            cx.fail(
                s,
                format!("SRV {}", svc.fqdn),
                "an SRV record (RFC 6763 §5)",
                "none heard",
            );
        }
        if svc.txt.is_none() {
            cx.fail(
                s,
                format!("TXT {}", svc.fqdn),
                "a TXT record: \"every DNS-SD service MUST have a TXT record\" (RFC 6763 §6)",
                "none heard",
            );
        }
        if let Some((_, host)) = svc.srv_port_target() {
            if svc.addrs.is_empty() {
                cx.fail(
                    s,
                    format!("address of {host}"),
                    "an A or AAAA record for the SRV target",
                    "none heard",
                );
            }
        }
    }
}

fn instance_name(cx: &mut Ctx<'_>) {
    let Some(inst) = cx.d.instance.clone() else {
        return;
    };
    let shown = String::from_utf8_lossy(&inst).into_owned();
    if std::str::from_utf8(&inst).is_err() {
        cx.fail(
            DISCOVERY_STEP,
            "instance name encoding",
            "UTF-8 (Net-Unicode, RFC 6763 §4.1.1)",
            format!("bytes that are not UTF-8: {}", crate::grade::hex(&inst, 64)),
        );
    }
    if let Some(b) = inst.iter().find(|b| **b < 0x20 || **b == 0x7f) {
        cx.fail(
            DISCOVERY_STEP,
            "instance name characters",
            "no ASCII control characters (0x00-0x1F, 0x7F)",
            format!("0x{b:02x} in \"{}\"", shown.escape_debug()),
        );
    }
    if inst.len() > 63 {
        cx.fail(
            DISCOVERY_STEP,
            "instance name length",
            "one DNS label: at most 63 bytes",
            format!("{} bytes", inst.len()),
        );
    }
}

fn with_txt(cx: &Ctx<'_>) -> Result<Vec<Service>, Stop> {
    let v: Vec<Service> =
        cx.d.services
            .iter()
            .filter(|s| s.txt.is_some())
            .cloned()
            .collect();
    if v.is_empty() {
        return Err(Stop::Skip(
            "no TXT record was heard (see mdns/rfc6763/4/ptr-srv-txt-a-chain)".into(),
        ));
    }
    Ok(v)
}

fn txt_keys(cx: &mut Ctx<'_>) -> Result<(), Stop> {
    for svc in with_txt(cx)? {
        let strings = svc.txt.clone().unwrap_or_default();
        let what = format!("TXT of {}", svc.service);
        if strings.is_empty() {
            cx.fail(
                DISCOVERY_STEP,
                format!("{what} strings"),
                "at least one string: \"DNS-SD implementations MUST NOT emit empty TXT records\" (RFC 6763 §6.1)",
                "a TXT record with no string",
            );
            continue;
        }
        if strings.len() == 1 && strings[0].is_empty() {
            // A single zero byte: an empty TXT as RFC 6763 §6.1 allows.
            continue;
        }
        for s in &strings {
            let key: &[u8] = match s.iter().position(|b| *b == b'=') {
                Some(i) => &s[..i],
                None => s,
            };
            let shown = String::from_utf8_lossy(s).escape_debug().to_string();
            if key.is_empty() {
                cx.fail(
                    DISCOVERY_STEP,
                    format!("{what} key"),
                    "a key of at least one character (RFC 6763 §6.4)",
                    format!("\"{shown}\""),
                );
            } else if let Some(b) = key.iter().find(|b| !(0x20..=0x7e).contains(*b)) {
                cx.fail(
                    DISCOVERY_STEP,
                    format!("{what} key"),
                    "printable US-ASCII (0x20-0x7E) keys (RFC 6763 §6.4)",
                    format!("0x{b:02x} in \"{shown}\""),
                );
            }
        }
    }
    Ok(())
}

fn txt_conventions(cx: &mut Ctx<'_>) -> Result<(), Stop> {
    for svc in with_txt(cx)? {
        let strings = svc.txt.clone().unwrap_or_default();
        let what = format!("TXT of {}", svc.service);
        let first = strings
            .first()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default();
        if !first.to_ascii_lowercase().starts_with("txtvers=") {
            cx.fail(
                DISCOVERY_STEP,
                format!("{what} first key"),
                "txtvers=… first (RFC 6763 §6.7; Bonjour Printing §9.2)",
                if first.is_empty() {
                    "an empty first string".to_string()
                } else {
                    format!("\"{}\"", first.escape_debug())
                },
            );
        }
        let mut seen: Vec<String> = Vec::new();
        let mut dups = Vec::new();
        let mut long = Vec::new();
        for s in &strings {
            let key = String::from_utf8_lossy(s.split(|b| *b == b'=').next().unwrap_or_default())
                .into_owned();
            if key.is_empty() {
                continue;
            }
            if seen.iter().any(|k| k.eq_ignore_ascii_case(&key)) {
                dups.push(key.clone());
            }
            if key.len() > 9 {
                long.push(key.clone());
            }
            seen.push(key);
        }
        if !dups.is_empty() {
            cx.fail(
                DISCOVERY_STEP,
                format!("{what} duplicate keys"),
                "each key once (RFC 6763 §6.4)",
                list(&dups, 5),
            );
        }
        if !long.is_empty() {
            cx.fail(
                DISCOVERY_STEP,
                format!("{what} key length"),
                "keys of at most nine characters (RFC 6763 §6.4)",
                list(&long, 5),
            );
        }
        let size: usize = strings.iter().map(|s| s.len() + 1).sum();
        if size > 1300 {
            cx.fail(
                DISCOVERY_STEP,
                format!("{what} size"),
                "at most 1300 bytes (RFC 6763 §6.2)",
                format!("{size} bytes"),
            );
        }
    }
    Ok(())
}

// ----- RFC 6762: what the answers look like -----

fn response_header(cx: &mut Ctx<'_>) {
    let mut seen: Vec<&'static str> = Vec::new();
    for (step, h) in cx.target_responses(0) {
        let m = &h.msg;
        let mut bad: Vec<(&'static str, &str, String)> = Vec::new();
        if !m.authoritative {
            bad.push(("AA bit", "1: \"In response messages for Multicast domains, the Authoritative Answer bit MUST be set to one\" (RFC 6762 §18.4)", "0".into()));
        }
        if m.opcode != 0 {
            bad.push(("OPCODE", "0 (RFC 6762 §18.3)", m.opcode.to_string()));
        }
        if m.rcode != 0 {
            bad.push(("RCODE", "0 (RFC 6762 §18.11)", m.rcode.to_string()));
        }
        if h.via == Via::Multicast && h.from.port() != 5353 {
            bad.push((
                "source port",
                "5353 for every multicast response (RFC 6762 §6)",
                h.from.port().to_string(),
            ));
        }
        for (check, expected, actual) in bad {
            if !seen.contains(&check) {
                seen.push(check);
                cx.fail(
                    step,
                    check,
                    expected,
                    format!(
                        "{actual} (response from {} at {} ms)",
                        h.from,
                        h.at.as_millis()
                    ),
                );
            }
        }
    }
}

fn is_unique_type(t: u16) -> bool {
    matches!(t, rtype::SRV | rtype::TXT | rtype::A | rtype::AAAA)
}

/// A reverse-mapping PTR (`….in-addr.arpa`, `….ip6.arpa`): a host record,
/// unique, with the host's TTL (RFC 6762 §10).
fn is_reverse(r: &Rr) -> bool {
    r.data.rtype() == rtype::PTR
        && r.name
            .labels
            .last()
            .is_some_and(|l| l.eq_ignore_ascii_case(b"arpa"))
}

fn cache_flush_bit(cx: &mut Ctx<'_>) {
    let mut unique_clear: Vec<String> = Vec::new();
    let mut shared_set: Vec<String> = Vec::new();
    for (_, h) in cx.target_responses(0) {
        if h.via != Via::Multicast {
            continue;
        }
        for r in h.msg.asserted() {
            if r.ttl == 0 {
                continue;
            }
            let t = r.data.rtype();
            let label = format!("{} {}", r.name, rtype::name(t));
            let unique = is_unique_type(t) || is_reverse(r);
            if unique && !r.cache_flush && !unique_clear.contains(&label) {
                unique_clear.push(label);
            } else if !unique && t == rtype::PTR && r.cache_flush && !shared_set.contains(&label) {
                shared_set.push(label);
            }
        }
    }
    if !unique_clear.is_empty() {
        cx.fail(
            DISCOVERY_STEP,
            "cache-flush bit on unique records",
            "set on every SRV, TXT, A and AAAA record: \"The host MUST set the cache-flush bit on all members of the unique RRSet\" (RFC 6762 §10.2)",
            format!("clear on {}", list(&unique_clear, 4)),
        );
    }
    if !shared_set.is_empty() {
        cx.fail(
            DISCOVERY_STEP,
            "cache-flush bit on shared records",
            "clear on PTR records: \"The cache-flush bit MUST NOT ever be set in any shared resource record\" (RFC 6762 §10.2)",
            format!("set on {}", list(&shared_set, 4)),
        );
    }
}

fn record_ttls(cx: &mut Ctx<'_>) {
    // (type, ttl) → names.
    let mut wrong: Vec<(u16, u32, Vec<String>)> = Vec::new();
    for (_, h) in cx.target_responses(0) {
        if h.via != Via::Multicast {
            continue;
        }
        for r in h.msg.asserted() {
            let t = r.data.rtype();
            let want = match t {
                rtype::SRV | rtype::A | rtype::AAAA => 120,
                rtype::PTR if is_reverse(r) => 120,
                rtype::PTR | rtype::TXT => 4500,
                _ => continue,
            };
            if r.ttl == 0 || r.ttl == want {
                continue;
            }
            let name = r.name.to_string();
            match wrong
                .iter_mut()
                .find(|(wt, wttl, _)| *wt == t && *wttl == r.ttl)
            {
                Some((_, _, names)) => {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                None => wrong.push((t, r.ttl, vec![name])),
            }
        }
    }
    wrong.sort();
    for (t, ttl, names) in wrong {
        let want = if matches!(t, rtype::PTR | rtype::TXT) && ttl == 120 {
            "4500 s (75 minutes, RFC 6762 §10; 120 s only for reverse-mapping PTR records)"
        } else if matches!(t, rtype::PTR | rtype::TXT) {
            "4500 s (75 minutes, RFC 6762 §10)"
        } else {
            "120 s (a record with a host name in its name or rdata, RFC 6762 §10)"
        };
        cx.fail(
            DISCOVERY_STEP,
            format!("TTL of {} records", rtype::name(t)),
            want,
            format!("{ttl} s on {}", list(&names, 3)),
        );
    }
}

/// Queries in quick succession for the printer's service type; no record of
/// the printer may be multicast twice within a second.
async fn rate_limited(cx: &mut Ctx<'_>) -> Result<(), Stop> {
    let svc = cx
        .main_service()
        .map(|s| s.service.clone())
        .unwrap_or_else(|| "_ipp._tcp".into());
    let from = cx.client.log.len();
    let q = Query::default().ask(Name::dotted(&format!("{svc}.local")), rtype::PTR);
    for i in 0..3 {
        cx.client
            .send(
                &q,
                false,
                &format!(
                    "query {} of 3, 400 ms apart, no known answers: a responder multicasts each record at most once a second (RFC 6762 §6)",
                    i + 1
                ),
            )
            .await
            .map_err(Stop::Error)?;
        cx.client
            .listen(Duration::from_millis(400))
            .await
            .map_err(Stop::Error)?;
    }
    cx.client
        .listen(Duration::from_millis(1400))
        .await
        .map_err(Stop::Error)?;
    // Every multicast of each record, with when, one per datagram.
    let mut times: Vec<(Rr, Vec<(Duration, usize)>)> = Vec::new();
    for h in cx.client.heard_from(from) {
        if !h.msg.response || h.via != Via::Multicast || !cx.is_source(h.from.ip()) {
            continue;
        }
        for r in h.msg.asserted() {
            match times.iter_mut().find(|(x, _)| x.same_record(r)) {
                Some((_, v)) => {
                    if !v.iter().any(|(_, i)| *i == h.index) {
                        v.push((h.at, h.index));
                    }
                }
                None => times.push((r.clone(), vec![(h.at, h.index)])),
            }
        }
    }
    // Receive-side jitter on a real link: 100 ms of slack.
    let limit = Duration::from_millis(900);
    let mut bad: Vec<String> = Vec::new();
    for (r, v) in &times {
        let gaps: Vec<Duration> = v
            .windows(2)
            .map(|w| w[1].0.saturating_sub(w[0].0))
            .collect();
        if let Some(g) = gaps.iter().min().filter(|g| **g < limit) {
            bad.push(format!(
                "{} {} multicast {} times, twice within {} ms",
                r.name,
                rtype::name(r.data.rtype()),
                v.len(),
                g.as_millis()
            ));
        }
    }
    if !bad.is_empty() {
        cx.fail(
            CASE_STEP,
            "multicast interval",
            "at least one second between two multicasts of the same record (RFC 6762 §6)",
            list(&bad, 3),
        );
    }
    Ok(())
}

/// The printer's live records heard in the browse: what its goodbyes must
/// cover.
fn printer_records(cx: &Ctx<'_>) -> Vec<Rr> {
    let names: Vec<Name> = cx.d.services.iter().map(|s| s.fqdn.clone()).collect();
    let hosts: Vec<Name> =
        cx.d.services
            .iter()
            .filter_map(|s| s.srv_port_target().map(|(_, h)| h.clone()))
            .collect();
    let mut out: Vec<Rr> = Vec::new();
    for h in heard_in(cx.disc_log, 0) {
        if !h.msg.response || !cx.is_source(h.from.ip()) {
            continue;
        }
        for r in h.msg.asserted() {
            let mine = match &r.data {
                Data::Ptr(n) => names.contains(n),
                Data::Srv { .. } | Data::Txt(_) => names.contains(&r.name),
                Data::A(_) | Data::Aaaa(_) => hosts.contains(&r.name),
                _ => false,
            };
            if mine && r.ttl > 0 && !out.iter().any(|x| x.same_record(r)) {
                out.push(r.clone());
            }
        }
    }
    out
}

async fn goodbye(cx: &mut Ctx<'_>) -> Result<(), Stop> {
    if !cx.client.link.controls_target() {
        return Err(Stop::Skip(
            "the runner does not control this printer's life: goodbyes (RFC 6762 §10.1) are sent when a printer shuts down, which a conformance run must not cause; they are graded against the virtual printer (cargo nextest run -p paperjam-suites --test mdns_suite) and seen by avahi-browse in the interop tests".into(),
        ));
    }
    let expected = printer_records(cx);
    let from = cx.client.log.len();
    cx.client
        .note("the virtual printer shuts down cleanly (its responder's shutdown)");
    cx.client.link.stop_target().map_err(Stop::Error)?;
    let wait = cx.client.wait;
    cx.client.listen(wait).await.map_err(Stop::Error)?;
    let byes: Vec<Rr> = cx
        .client
        .heard_from(from)
        .into_iter()
        .filter(|h| h.msg.response && cx.is_source(h.from.ip()))
        .flat_map(|h| {
            h.msg
                .asserted()
                .filter(|r| r.ttl == 0)
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect();
    let missing: Vec<String> = expected
        .iter()
        .filter(|r| !byes.iter().any(|b| b.same_record(r)))
        .map(|r| format!("{} {}", r.name, rtype::name(r.data.rtype())))
        .collect();
    if byes.is_empty() {
        cx.fail(
            CASE_STEP,
            "goodbye",
            "records with TTL 0 for the printer's PTR, SRV, TXT and address records (RFC 6762 §10.1)",
            format!("no record with TTL 0 within {} ms of shutdown", wait.as_millis()),
        );
    } else if !missing.is_empty() {
        cx.fail(
            CASE_STEP,
            "goodbye",
            "a TTL 0 record for each record the printer advertised (RFC 6762 §10.1)",
            format!("none for {}", list(&missing, 4)),
        );
    }
    Ok(())
}

async fn name_defended(cx: &mut Ctx<'_>) -> Result<(), Stop> {
    let Some(svc) = cx.main_service().cloned() else {
        return Err(Stop::Skip("no resolved service to probe for".into()));
    };
    let from = cx.client.log.len();
    let rival = Rr {
        name: svc.fqdn.clone(),
        class: 1,
        cache_flush: false,
        ttl: 120,
        data: Data::Srv {
            priority: 0,
            weight: 0,
            port: 9,
            target: Name::dotted("paperjam-conformance-probe.local"),
        },
    };
    let mut answered = None;
    for i in 0..3 {
        let mut q = Query {
            authority: vec![rival.clone()],
            ..Query::default()
        }
        .ask(svc.fqdn.clone(), rtype::ANY);
        // RFC 6762 §8.1: the first probe asks for a unicast answer.
        q.questions[0].unicast = i == 0;
        cx.client
            .send(
                &q,
                false,
                &format!(
                    "probe {} of 3 for the printer's own name, proposing another host's SRV (RFC 6762 §8.1)",
                    i + 1
                ),
            )
            .await
            .map_err(Stop::Error)?;
        cx.client
            .listen(Duration::from_millis(250))
            .await
            .map_err(Stop::Error)?;
        answered = cx.client.heard_from(from).into_iter().find(|h| {
            h.msg.response
                && cx.is_source(h.from.ip())
                && h.msg.answers.iter().any(|r| r.name == svc.fqdn)
        });
        if answered.is_some() {
            break;
        }
    }
    if answered.is_none() {
        cx.fail(
            CASE_STEP,
            "probe answer",
            format!(
                "an answer with the records of {} within 250 ms of a probe for it (RFC 6762 §6, §8.1)",
                svc.fqdn
            ),
            "no answer to three probes 250 ms apart: another host would take the name",
        );
    }
    Ok(())
}

async fn legacy_unicast(cx: &mut Ctx<'_>, ttl_only: bool) -> Result<(), Stop> {
    let Some(svc) = cx.main_service().cloned() else {
        return Err(Stop::Skip("no resolved service to ask for".into()));
    };
    let id: u16 = 0x5a17;
    let from = cx.client.log.len();
    let q = Query {
        id,
        ..Query::default()
    }
    .ask(svc.fqdn.clone(), rtype::SRV);
    cx.client
        .send(
            &q,
            true,
            "legacy unicast query: one question, from a port other than 5353 (RFC 6762 §6.7)",
        )
        .await
        .map_err(Stop::Error)?;
    let wait = cx.client.wait;
    cx.client.listen(wait).await.map_err(Stop::Error)?;
    let answer = cx
        .client
        .heard_from(from)
        .into_iter()
        .find(|h| h.via == Via::Unicast && h.msg.response && cx.is_source(h.from.ip()));
    let Some(h) = answer else {
        if ttl_only {
            return Err(Stop::Skip(
                "no unicast answer to a legacy query (see mdns/rfc6762/6.7/legacy-unicast-answered)"
                    .into(),
            ));
        }
        cx.fail(
            CASE_STEP,
            "legacy unicast answer",
            "a unicast answer to the query's source address and port (RFC 6762 §6.7)",
            format!("none within {} ms", wait.as_millis()),
        );
        return Ok(());
    };
    let m = h.msg;
    if ttl_only {
        let long: Vec<String> = m
            .records()
            .filter(|(_, r)| r.ttl > 10)
            .map(|(_, r)| format!("{} {} ttl {}", r.name, rtype::name(r.data.rtype()), r.ttl))
            .collect();
        if !long.is_empty() {
            cx.fail(
                CASE_STEP,
                "legacy unicast TTL",
                "at most 10 s (RFC 6762 §6.7)",
                list(&long, 3),
            );
        }
        return Ok(());
    }
    if m.id != id {
        cx.fail(
            CASE_STEP,
            "query ID",
            format!("{id} (the query's, RFC 6762 §6.7)"),
            m.id.to_string(),
        );
    }
    let echoed = m
        .questions
        .first()
        .is_some_and(|q| q.name == svc.fqdn && q.qtype == rtype::SRV);
    if !echoed {
        cx.fail(
            CASE_STEP,
            "question",
            format!("the query's question repeated: {} SRV IN", svc.fqdn),
            match m.questions.first() {
                Some(q) => format!("{} {}", q.name, rtype::name(q.qtype)),
                None => "no question".into(),
            },
        );
    }
    if !m
        .answers
        .iter()
        .any(|r| r.name == svc.fqdn && r.data.rtype() == rtype::SRV)
    {
        cx.fail(
            CASE_STEP,
            "answer",
            format!("the SRV record of {}", svc.fqdn),
            format!("{} answer record(s), no such SRV", m.answers.len()),
        );
    }
    let flushed: Vec<String> = m
        .records()
        .filter(|(_, r)| r.cache_flush)
        .map(|(_, r)| format!("{} {}", r.name, rtype::name(r.data.rtype())))
        .collect();
    if !flushed.is_empty() {
        cx.fail(
            CASE_STEP,
            "cache-flush bit",
            "clear in a legacy unicast response (RFC 6762 §6.7, §10.2)",
            format!("set on {}", list(&flushed, 3)),
        );
    }
    Ok(())
}

async fn srv_port_answers(cx: &mut Ctx<'_>) -> Result<(), Stop> {
    let services: Vec<Service> = cx.d.resolved().cloned().collect();
    let mut tried = 0;
    for svc in services {
        let Some((port, host)) = svc.srv_port_target() else {
            continue;
        };
        let Some(addr) = pick_addr(&svc.addrs) else {
            continue;
        };
        tried += 1;
        let to = SocketAddr::new(addr, port);
        let t0 = std::time::Instant::now();
        let got = tokio::time::timeout(cx.timeout, tokio::net::TcpStream::connect(to)).await;
        let outcome = match &got {
            Ok(Ok(_)) => "connected".to_string(),
            Ok(Err(e)) => format!("refused: {e}"),
            Err(_) => format!("no answer within {} ms", cx.timeout.as_millis()),
        };
        cx.extra.push(Exchange {
            step: CASE_STEP,
            request_decoded: format!(
                "TCP connect to {to}: the SRV of {} names {host} port {port}\n",
                svc.fqdn
            ),
            response_decoded: format!("{outcome}\n"),
            elapsed_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX),
            ..Exchange::default()
        });
        if !matches!(got, Ok(Ok(_))) {
            cx.fail(
                CASE_STEP,
                "connection",
                format!(
                    "a TCP connection to {to}, the port of {}'s SRV record (RFC 6763 §5)",
                    svc.service
                ),
                outcome,
            );
        }
    }
    if tried == 0 {
        return Err(Stop::Skip(
            "no SRV target resolved to an address (see mdns/rfc6763/4/ptr-srv-txt-a-chain)".into(),
        ));
    }
    Ok(())
}

fn pick_addr(addrs: &[IpAddr]) -> Option<IpAddr> {
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| {
            addrs
                .iter()
                .find(|a| !matches!(a, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80))
        })
        .copied()
}

// ----- Bonjour Printing 1.2.1 and PWG 5100.14: the printer's TXT keys -----

fn formats(svc: &Service) -> Vec<String> {
    svc.txt_get("pdl")
        .map(|p| {
            p.split(',')
                .map(|f| f.trim().to_ascii_lowercase())
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn ipp_services(d: &Discovery) -> Vec<&Service> {
    d.services
        .iter()
        .filter(|s| matches!(s.service.as_str(), "_ipp._tcp" | "_ipps._tcp"))
        .collect()
}

/// Whether the TXT record or the subtypes say IPP Everywhere: `pdl` lists
/// PWG raster, `kind` is there, or a `_print` subtype is advertised.
fn txt_claims_everywhere(d: &Discovery) -> bool {
    ipp_services(d)
        .iter()
        .any(|s| formats(s).iter().any(|f| f == "image/pwg-raster") || s.txt_get("kind").is_some())
        || d.subtypes
            .iter()
            .any(|(n, present)| *present && n.starts_with("_print."))
}

fn txt_required_keys(cx: &mut Ctx<'_>) -> Result<(), Stop> {
    let everywhere = txt_claims_everywhere(cx.d);
    for svc in with_txt(cx)? {
        let ipp_like = matches!(svc.service.as_str(), "_ipp._tcp" | "_ipps._tcp");
        let mut want: Vec<&str> = vec!["txtvers", "qtotal"];
        if svc.service != "_pdl-datastream._tcp" {
            want.push("rp");
        }
        want.extend(["ty", "pdl"]);
        if ipp_like && everywhere {
            want.extend(["UUID", "kind"]);
        }
        if ipp_like && formats(&svc).iter().any(|f| f == "image/urf") {
            want.push("URF");
        }
        if svc.service == "_ipps._tcp" {
            want.push("TLS");
        }
        let missing: Vec<String> = want
            .iter()
            .filter(|k| svc.txt_get(k).is_none())
            .map(|k| (*k).to_string())
            .collect();
        if !missing.is_empty() {
            cx.fail(
                DISCOVERY_STEP,
                format!("TXT keys of {}", svc.service),
                format!(
                    "{} (Bonjour Printing 1.2.1 §9{})",
                    want.join(", "),
                    if ipp_like && everywhere {
                        "; PWG 5100.14 §4.2 for an IPP Everywhere printer"
                    } else {
                        ""
                    }
                ),
                format!("missing: {}", missing.join(", ")),
            );
        }
    }
    Ok(())
}

/// The keys Bonjour Printing defines as booleans ("T" or "F").
const BOOLEAN_KEYS: &[&str] = &[
    "Bind",
    "Collate",
    "Color",
    "Copies",
    "Duplex",
    "Fax",
    "PaperCustom",
    "Punch",
    "Scan",
    "Sort",
    "Staple",
    "Binary",
    "TBCP",
    "Transparent",
];

fn txt_boolean_values(cx: &mut Ctx<'_>) -> Result<(), Stop> {
    for svc in with_txt(cx)? {
        let pairs = txt_pairs(svc.txt.as_deref().unwrap_or_default());
        let bad: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| BOOLEAN_KEYS.iter().any(|b| b.eq_ignore_ascii_case(k)))
            .filter(|(_, v)| !matches!(v.as_deref(), Some("T") | Some("F")))
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => format!("{k} (no value)"),
            })
            .collect();
        if !bad.is_empty() {
            cx.fail(
                DISCOVERY_STEP,
                format!("boolean TXT values of {}", svc.service),
                "T or F (Bonjour Printing 1.2.1 §9.2)",
                list(&bad, 5),
            );
        }
    }
    Ok(())
}

async fn print_subtype(cx: &mut Ctx<'_>) -> Result<(), Stop> {
    let services: Vec<Service> = ipp_services(cx.d).into_iter().cloned().collect();
    if services.is_empty() {
        return Err(Stop::Skip(
            "the printer advertises no _ipp._tcp or _ipps._tcp service".into(),
        ));
    }
    let pwg = services
        .iter()
        .any(|s| formats(s).iter().any(|f| f == "image/pwg-raster"));
    let claimed = if pwg {
        true
    } else {
        match fetch_ipp(cx, &["ipp-features-supported"]).await {
            Ok(m) => attr_texts(&m, "ipp-features-supported")
                .iter()
                .any(|v| v == "ipp-everywhere"),
            Err(_) => false,
        }
    };
    if !claimed {
        return Err(Stop::Skip(
            "not an IPP Everywhere printer: its pdl lists no image/pwg-raster and IPP does not list ipp-everywhere in ipp-features-supported".into(),
        ));
    }
    for s in services {
        let sub = format!("_print._sub.{}", s.service);
        let present = cx.d.subtypes.iter().any(|(n, p)| *n == sub && *p);
        if !present {
            cx.fail(
                DISCOVERY_STEP,
                format!("subtype {sub}"),
                format!("a PTR from {sub}.local to {} (PWG 5100.14 §4.2)", s.fqdn),
                "none heard",
            );
        }
    }
    Ok(())
}

fn universal_subtype(cx: &mut Ctx<'_>) -> Result<(), Stop> {
    let Some(ipp) =
        cx.d.service("_ipp._tcp")
            .filter(|s| s.txt.is_some())
            .cloned()
    else {
        return Err(Stop::Skip("no _ipp._tcp TXT record".into()));
    };
    if ipp.txt_get("URF").is_none() {
        return Err(Stop::Skip(
            "no URF key: the printer does not advertise AirPrint (Apple raster)".into(),
        ));
    }
    let present =
        cx.d.subtypes
            .iter()
            .any(|(n, p)| n == "_universal._sub._ipp._tcp" && *p);
    if !present {
        cx.fail(
            DISCOVERY_STEP,
            "subtype _universal._sub._ipp._tcp",
            format!("a PTR from _universal._sub._ipp._tcp.local to {}", ipp.fqdn),
            "none heard",
        );
    }
    Ok(())
}

// ----- IPP cross-checks -----

/// The attributes every cross-check reads.
const IPP_WANTED: &[&str] = &[
    "document-format-supported",
    "printer-uuid",
    "printer-uri-supported",
    "printer-make-and-model",
    "printer-location",
    "color-supported",
    "sides-supported",
    "ipp-features-supported",
];

/// The IPP URI the printer's `_ipp._tcp` (else `_ipps._tcp`) advertises:
/// the SRV target's address, the SRV port, `rp` (`ipp/print` when missing).
fn ipp_uri(d: &Discovery) -> Result<String, String> {
    let svc = ipp_services(d)
        .into_iter()
        .find(|s| s.srv.is_some() && !s.addrs.is_empty())
        .ok_or("the printer advertises no resolved _ipp._tcp or _ipps._tcp service")?;
    let (port, _) = svc.srv_port_target().ok_or("no SRV")?;
    let addr = pick_addr(&svc.addrs).ok_or("no usable address")?;
    let host = match addr {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    let rp = svc.txt_get("rp").unwrap_or_else(|| "ipp/print".into());
    let scheme = if svc.service == "_ipps._tcp" {
        "ipps"
    } else {
        "ipp"
    };
    Ok(format!(
        "{scheme}://{host}:{port}/{}",
        rp.trim_start_matches('/')
    ))
}

async fn fetch_ipp(cx: &mut Ctx<'_>, wanted: &[&str]) -> Result<IppMessage, String> {
    let uri = ipp_uri(cx.d)?;
    let target = crate::client::TargetUri::parse(&uri).map_err(|e| e.to_string())?;
    let (ex, result) = crate::cross_check::ipp_attributes(
        &target,
        wanted,
        cx.timeout,
        CASE_STEP,
        " (the SRV target and port, rp as the path)",
    )
    .await;
    cx.extra.push(ex);
    result
}

fn attr<'m>(m: &'m IppMessage, name: &str) -> Option<&'m [IppValue]> {
    m.groups
        .iter()
        .filter(|g| g.tag == DelimiterTag::PrinterAttributes)
        .flat_map(|g| &g.attributes)
        .find(|a| a.name == name)
        .map(|a| a.values.as_slice())
}

fn attr_texts(m: &IppMessage, name: &str) -> Vec<String> {
    attr(m, name)
        .unwrap_or_default()
        .iter()
        .map(crate::runner::value_text)
        .collect()
}

async fn ipp_check(cx: &mut Ctx<'_>, name: &str) -> Result<(), Stop> {
    let Some(svc) = ipp_services(cx.d)
        .into_iter()
        .find(|s| s.txt.is_some())
        .cloned()
    else {
        return Err(Stop::Skip(
            "the printer advertises no _ipp._tcp or _ipps._tcp TXT record".into(),
        ));
    };
    let key = match name {
        "ipp-pdl" => "pdl",
        "ipp-uuid" => "UUID",
        "ipp-rp" => "rp",
        "ipp-ty" => "ty",
        "ipp-note" => "note",
        _ => "Color",
    };
    let value = svc.txt_get(key);
    if name != "ipp-color-duplex" && value.is_none() {
        return Err(Stop::Skip(format!(
            "the {} TXT record has no {key} key (see mdns/bonjour-printing/txt-required-keys)",
            svc.service
        )));
    }
    let value = value.unwrap_or_default();
    let m = match fetch_ipp(cx, IPP_WANTED).await {
        Ok(m) => m,
        Err(e) => {
            return Err(Stop::Skip(format!(
                "the printer's IPP service cannot be reached to compare with: {e}"
            )))
        }
    };
    let step = CASE_STEP;
    match name {
        "ipp-pdl" => {
            let supported: Vec<String> = attr_texts(&m, "document-format-supported")
                .into_iter()
                .map(|f| f.to_ascii_lowercase())
                .collect();
            if supported.is_empty() {
                return Err(Stop::Skip(
                    "IPP does not report document-format-supported".into(),
                ));
            }
            let extra: Vec<String> = formats(&svc)
                .into_iter()
                .filter(|f| !supported.contains(f))
                .collect();
            if !extra.is_empty() {
                cx.fail(
                    step,
                    "pdl vs document-format-supported",
                    format!(
                        "only formats IPP document-format-supported lists ({})",
                        list(&supported, 8)
                    ),
                    format!("pdl also lists {}", extra.join(", ")),
                );
            }
        }
        "ipp-uuid" => {
            let Some(uuid) = attr_texts(&m, "printer-uuid").into_iter().next() else {
                return Err(Stop::Skip("IPP does not report printer-uuid".into()));
            };
            let bare = uuid
                .strip_prefix("urn:uuid:")
                .unwrap_or(&uuid)
                .to_ascii_lowercase();
            if value.to_ascii_lowercase() != bare {
                cx.fail(
                    step,
                    "UUID vs printer-uuid",
                    format!("{bare} (printer-uuid without urn:uuid:, PWG 5100.14 §4.2)"),
                    value,
                );
            }
        }
        "ipp-rp" => {
            let uris = attr_texts(&m, "printer-uri-supported");
            if uris.is_empty() {
                return Err(Stop::Skip(
                    "IPP does not report printer-uri-supported".into(),
                ));
            }
            let paths: Vec<String> = uris
                .iter()
                .map(|u| {
                    let rest = u.split_once("://").map_or(u.as_str(), |(_, r)| r);
                    rest.split_once('/')
                        .map_or(String::new(), |(_, p)| p.to_string())
                })
                .collect();
            if !paths.iter().any(|p| *p == value.trim_start_matches('/')) {
                cx.fail(
                    step,
                    "rp vs printer-uri-supported",
                    format!(
                        "the resource path of printer-uri-supported without its leading slash ({})",
                        list(&paths, 4)
                    ),
                    value,
                );
            }
        }
        "ipp-ty" => {
            let Some(mm) = attr_texts(&m, "printer-make-and-model").into_iter().next() else {
                return Err(Stop::Skip(
                    "IPP does not report printer-make-and-model".into(),
                ));
            };
            if mm != value {
                cx.fail(step, "ty vs printer-make-and-model", mm, value);
            }
        }
        "ipp-note" => {
            let Some(loc) = attr_texts(&m, "printer-location").into_iter().next() else {
                return Err(Stop::Skip("IPP does not report printer-location".into()));
            };
            if loc != value {
                cx.fail(step, "note vs printer-location", loc, value);
            }
        }
        _ => {
            let mut compared = 0;
            if let (Some(c), Some(IppValue::Boolean(b))) = (
                svc.txt_get("Color"),
                attr(&m, "color-supported").and_then(|v| v.first()),
            ) {
                compared += 1;
                let want = if *b { "T" } else { "F" };
                if c != want {
                    cx.fail(
                        step,
                        "Color vs color-supported",
                        format!("{want} (color-supported is {b})"),
                        c,
                    );
                }
            }
            let sides = attr_texts(&m, "sides-supported");
            if let (Some(dx), false) = (svc.txt_get("Duplex"), sides.is_empty()) {
                compared += 1;
                let two = sides.iter().any(|s| s.starts_with("two-sided"));
                let want = if two { "T" } else { "F" };
                if dx != want {
                    cx.fail(
                        step,
                        "Duplex vs sides-supported",
                        format!("{want} (sides-supported: {})", list(&sides, 3)),
                        dx,
                    );
                }
            }
            if compared == 0 {
                return Err(Stop::Skip(
                    "neither Color nor Duplex can be compared (a key or its IPP attribute is missing)"
                        .into(),
                ));
            }
        }
    }
    Ok(())
}
