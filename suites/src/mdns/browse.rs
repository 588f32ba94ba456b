//! The DNS-SD browser and resolver: a [`Client`] sends queries over a
//! [`Link`] and keeps every datagram, sent and heard, as evidence;
//! [`discover`] browses the printer service types (RFC 6763 §4), picks the
//! printer the target names, and resolves each of its services PTR → SRV →
//! TXT → A/AAAA (§5, §6), asking again for what the answers' additional
//! records did not carry.

use std::net::IpAddr;
use std::time::Duration;

use super::dns::{rtype, Data, Msg, Name, Query, Rr};
use super::link::{Link, Via};
use super::target::{DnssdTarget, PRINTER_SERVICES};
use crate::grade::{hex, Exchange};

/// The subtypes the runner browses for (RFC 6763 §7.1): `_print` for IPP
/// Everywhere (PWG 5100.14), `_universal` for AirPrint.
pub const SUBTYPES: [(&str, &str); 3] = [
    ("_print", "_ipp._tcp"),
    ("_universal", "_ipp._tcp"),
    ("_print", "_ipps._tcp"),
];

/// One datagram of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Link time.
    pub at: Duration,
    /// Sent by the runner (else heard).
    pub sent: bool,
    /// The other end (for a sent datagram, where it went).
    pub peer: String,
    /// How a heard datagram arrived.
    pub via: Option<Via>,
    /// The DNS message (empty for an event that is not a datagram).
    pub bytes: Vec<u8>,
    /// What it was for.
    pub note: String,
}

/// A querier over a link, with its log.
#[derive(Debug)]
pub struct Client {
    /// The link.
    pub link: Link,
    /// Every datagram sent and heard, in order.
    pub log: Vec<Datagram>,
    /// How long to listen for answers to one query.
    pub wait: Duration,
}

/// A heard response, parsed.
#[derive(Debug, Clone)]
pub struct HeardMsg {
    /// Index in the log.
    pub index: usize,
    /// Link time.
    pub at: Duration,
    /// Sender.
    pub from: std::net::SocketAddr,
    /// How it came.
    pub via: Via,
    /// The message.
    pub msg: Msg,
}

impl Client {
    /// A client on `link` that listens `wait` for each query's answers.
    pub fn new(link: Link, wait: Duration) -> Client {
        Client {
            link,
            log: Vec::new(),
            wait,
        }
    }

    /// Send `q` (multicast from the mDNS port, or with `legacy` from the
    /// ephemeral port), noting what it is for.
    pub async fn send(&mut self, q: &Query, legacy: bool, note: &str) -> Result<(), String> {
        let bytes = q.build()?;
        self.link.send(&bytes, legacy).await?;
        self.log.push(Datagram {
            at: self.link.now(),
            sent: true,
            peer: format!(
                "224.0.0.251:5353 from {}",
                self.link.local_description(legacy)
            ),
            via: None,
            bytes,
            note: note.to_string(),
        });
        Ok(())
    }

    /// Note an event that is not a datagram (the target switched off).
    pub fn note(&mut self, note: &str) {
        self.log.push(Datagram {
            at: self.link.now(),
            sent: true,
            peer: String::new(),
            via: None,
            bytes: Vec::new(),
            note: note.to_string(),
        });
    }

    /// Listen for `d` of link time; returns the log indices of what was heard.
    pub async fn listen(&mut self, d: Duration) -> Result<Vec<usize>, String> {
        let until = self.link.now() + d;
        let mut got = Vec::new();
        while let Some(h) = self.link.recv_until(until).await? {
            got.push(self.log.len());
            self.log.push(Datagram {
                at: h.at,
                sent: false,
                peer: h.from.to_string(),
                via: Some(h.via),
                bytes: h.bytes,
                note: String::new(),
            });
        }
        Ok(got)
    }

    /// Every heard datagram from index `from` on that parses as a DNS message.
    pub fn heard_from(&self, from: usize) -> Vec<HeardMsg> {
        self.log
            .iter()
            .enumerate()
            .skip(from)
            .filter(|(_, d)| !d.sent)
            .filter_map(|(i, d)| {
                let from = d.peer.parse().ok()?;
                Some(HeardMsg {
                    index: i,
                    at: d.at,
                    from,
                    via: d.via.unwrap_or(Via::Multicast),
                    msg: Msg::parse(&d.bytes).ok()?,
                })
            })
            .collect()
    }

    /// Every heard response.
    pub fn responses(&self) -> Vec<HeardMsg> {
        self.heard_from(0)
            .into_iter()
            .filter(|h| h.msg.response)
            .collect()
    }
}

/// One service of the printer, as resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service type, `_ipp._tcp`.
    pub service: String,
    /// `Instance._ipp._tcp.local`.
    pub fqdn: Name,
    /// A PTR from the service type to it was heard.
    pub ptr_seen: bool,
    /// Its SRV record.
    pub srv: Option<Rr>,
    /// Its TXT strings.
    pub txt: Option<Vec<Vec<u8>>>,
    /// Addresses of the SRV target.
    pub addrs: Vec<IpAddr>,
}

impl Service {
    /// The SRV port and target.
    pub fn srv_port_target(&self) -> Option<(u16, &Name)> {
        match self.srv.as_ref().map(|r| &r.data) {
            Some(Data::Srv { port, target, .. }) => Some((*port, target)),
            _ => None,
        }
    }

    /// The value of TXT key `key`.
    pub fn txt_get(&self, key: &str) -> Option<String> {
        self.txt.as_ref().and_then(|t| super::dns::txt_get(t, key))
    }
}

/// What browsing and resolving found.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// The printer's instance name (raw label), if one was found or named.
    pub instance: Option<Vec<u8>>,
    /// Its services, in [`PRINTER_SERVICES`] order.
    pub services: Vec<Service>,
    /// Each subtype browsed (`_print._sub._ipp._tcp`) and whether it leads to
    /// the printer.
    pub subtypes: Vec<(String, bool)>,
    /// Other printer instances heard (`Name (_ipp._tcp)`).
    pub others: Vec<String>,
    /// Addresses the printer's records came from.
    pub sources: Vec<IpAddr>,
    /// How many datagrams of the log the discovery took.
    pub log_len: usize,
}

impl Discovery {
    /// The instance name as text.
    pub fn instance_text(&self) -> String {
        self.instance
            .as_ref()
            .map(|i| String::from_utf8_lossy(i).into_owned())
            .unwrap_or_default()
    }

    /// The service of `service` type, if found.
    pub fn service(&self, service: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.service == service)
    }

    /// Services with an SRV record.
    pub fn resolved(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(|s| s.srv.is_some())
    }

    /// One line for reports.
    pub fn summary(&self) -> String {
        if self.instance.is_none() {
            return "no printer found".into();
        }
        let types: Vec<&str> = self.services.iter().map(|s| s.service.as_str()).collect();
        let host = self
            .resolved()
            .find_map(|s| s.srv_port_target().map(|(_, t)| t.to_string()))
            .unwrap_or_else(|| "?".into());
        let addrs: Vec<String> = self
            .services
            .iter()
            .flat_map(|s| s.addrs.iter().map(IpAddr::to_string))
            .fold(Vec::new(), |mut v, a| {
                if !v.contains(&a) {
                    v.push(a);
                }
                v
            });
        let mut s = format!(
            "{} ({}) on {} [{}]",
            self.instance_text(),
            types.join(", "),
            host,
            addrs.join(", ")
        );
        if !self.others.is_empty() {
            s.push_str(&format!("; also heard: {}", self.others.join(", ")));
        }
        s
    }
}

/// Asserted records of responses, with their source: the cache.
fn cache(c: &Client) -> Vec<(IpAddr, Rr)> {
    c.responses()
        .into_iter()
        .flat_map(|h| {
            let ip = h.from.ip();
            h.msg
                .asserted()
                .cloned()
                .map(move |r| (ip, r))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn local(service: &str) -> Name {
    Name::dotted(&format!("{service}.local"))
}

/// Instances a PTR of `service` points to (live records only).
fn instances_of(cache: &[(IpAddr, Rr)], service: &str) -> Vec<Vec<u8>> {
    let owner = local(service);
    let mut v: Vec<Vec<u8>> = Vec::new();
    for (_, r) in cache {
        if r.name != owner || r.ttl == 0 {
            continue;
        }
        if let Data::Ptr(n) = &r.data {
            if n.parent() == owner {
                if let Some(l) = n.labels.first() {
                    if !v.iter().any(|x| x.eq_ignore_ascii_case(l)) {
                        v.push(l.clone());
                    }
                }
            }
        }
    }
    v.sort_by_key(|l| l.to_ascii_lowercase());
    v
}

fn build(cache: &[(IpAddr, Rr)], instance: &[u8], target: &DnssdTarget) -> Vec<Service> {
    let mut out = Vec::new();
    for svc in PRINTER_SERVICES {
        let fqdn = Name::instance(instance, svc);
        let owner = local(svc);
        let ptr_seen = cache.iter().any(|(_, r)| {
            r.name == owner && r.ttl > 0 && matches!(&r.data, Data::Ptr(n) if *n == fqdn)
        });
        let live = |t: u16| {
            cache
                .iter()
                .rev()
                .find(|(_, r)| r.name == fqdn && r.ttl > 0 && r.data.rtype() == t)
                .map(|(_, r)| r.clone())
        };
        let srv = live(rtype::SRV);
        let txt = live(rtype::TXT).and_then(|r| match r.data {
            Data::Txt(t) => Some(t),
            _ => None,
        });
        let named = target.service.as_deref() == Some(svc) && target.instance.is_some();
        if !(ptr_seen || srv.is_some() || txt.is_some() || named) {
            continue;
        }
        let mut addrs = Vec::new();
        if let Some(Data::Srv { target: host, .. }) = srv.as_ref().map(|r| &r.data) {
            for (_, r) in cache {
                if r.name != *host || r.ttl == 0 {
                    continue;
                }
                let a = match r.data {
                    Data::A(a) => IpAddr::V4(a),
                    Data::Aaaa(a) => IpAddr::V6(a),
                    _ => continue,
                };
                if !addrs.contains(&a) {
                    addrs.push(a);
                }
            }
        }
        out.push(Service {
            service: svc.to_string(),
            fqdn,
            ptr_seen,
            srv,
            txt,
            addrs,
        });
    }
    out
}

/// Browse, pick the printer, resolve it.
pub async fn discover(c: &mut Client, target: &DnssdTarget) -> Result<Discovery, String> {
    let mut q = Query::default();
    for svc in PRINTER_SERVICES {
        q = q.ask(local(svc), rtype::PTR);
    }
    for (sub, svc) in SUBTYPES {
        q = q.ask(local(&format!("{sub}._sub.{svc}")), rtype::PTR);
    }
    if let (Some(i), Some(svc)) = (&target.instance, &target.service) {
        let n = Name::instance(i.as_bytes(), svc);
        q = q.ask(n.clone(), rtype::SRV).ask(n, rtype::TXT);
    }
    let pick = |cache: &[(IpAddr, Rr)]| -> Option<Vec<u8>> {
        if let Some(i) = &target.instance {
            return Some(i.as_bytes().to_vec());
        }
        let order: Vec<&str> = match &target.service {
            Some(s) => vec![s.as_str()],
            None => PRINTER_SERVICES.to_vec(),
        };
        order
            .into_iter()
            .find_map(|svc| instances_of(cache, svc).into_iter().next())
    };
    c.send(
        &q,
        false,
        "browse: PTR queries for the printer service types and subtypes (RFC 6763 §4.1, §7.1)",
    )
    .await?;
    c.listen(c.wait).await?;
    let found = |c: &Client| {
        let cache = cache(c);
        pick(&cache).is_some_and(|i| {
            build(&cache, &i, target)
                .iter()
                .any(|s| s.ptr_seen || s.srv.is_some())
        })
    };
    if !found(c) {
        // RFC 6762 §5.2: a querier asks again, at least a second later.
        c.send(&q, false, "browse again: nothing answered the first query")
            .await?;
        c.listen(c.wait * 2).await?;
    }
    let cache_now = cache(c);
    let Some(instance) = pick(&cache_now) else {
        return Ok(Discovery {
            log_len: c.log.len(),
            ..Discovery::default()
        });
    };
    // Resolve what the additional records did not carry (RFC 6763 §12).
    let services = build(&cache_now, &instance, target);
    let mut ask = Query::default();
    for s in &services {
        if s.srv.is_none() {
            ask = ask.ask(s.fqdn.clone(), rtype::SRV);
        }
        if s.txt.is_none() {
            ask = ask.ask(s.fqdn.clone(), rtype::TXT);
        }
    }
    if !ask.questions.is_empty() {
        c.send(
            &ask,
            false,
            "resolve: SRV and TXT of the printer's instances (RFC 6763 §5, §6)",
        )
        .await?;
        c.listen(c.wait).await?;
    }
    let services = build(&cache(c), &instance, target);
    let mut hosts: Vec<Name> = Vec::new();
    for s in &services {
        if let (Some((_, host)), true) = (s.srv_port_target(), s.addrs.is_empty()) {
            if !hosts.contains(host) {
                hosts.push(host.clone());
            }
        }
    }
    if !hosts.is_empty() {
        let mut ask = Query::default();
        for h in &hosts {
            ask = ask.ask(h.clone(), rtype::A).ask(h.clone(), rtype::AAAA);
        }
        c.send(
            &ask,
            false,
            "resolve: the SRV target's addresses (RFC 6762 §6)",
        )
        .await?;
        c.listen(c.wait).await?;
    }
    let all = cache(c);
    let services = build(&all, &instance, target);
    let mut sources: Vec<IpAddr> = Vec::new();
    for (ip, r) in &all {
        if services.iter().any(|s| s.fqdn == r.name) && !sources.contains(ip) {
            sources.push(*ip);
        }
    }
    let subtypes = SUBTYPES
        .iter()
        .map(|(sub, svc)| {
            let owner = local(&format!("{sub}._sub.{svc}"));
            let fqdn = Name::instance(&instance, svc);
            let present = all.iter().any(|(_, r)| {
                r.name == owner && r.ttl > 0 && matches!(&r.data, Data::Ptr(n) if *n == fqdn)
            });
            (format!("{sub}._sub.{svc}"), present)
        })
        .collect();
    let mut others = Vec::new();
    for svc in PRINTER_SERVICES {
        for i in instances_of(&all, svc) {
            if !i.eq_ignore_ascii_case(&instance) {
                others.push(format!("{} ({svc})", String::from_utf8_lossy(&i)));
            }
        }
    }
    Ok(Discovery {
        instance: Some(instance),
        services,
        subtypes,
        others,
        sources,
        log_len: c.log.len(),
    })
}

/// The log as exchanges: each datagram sent (or event) opens one, and what
/// is heard until the next one is its answer; what is heard before the first
/// is an exchange of its own ("listening").
pub fn exchanges(log: &[Datagram], step: usize) -> Vec<Exchange> {
    let mut out: Vec<Exchange> = Vec::new();
    let mut last_sent = Duration::ZERO;
    for d in log {
        if d.sent {
            last_sent = d.at;
            let mut decoded = format!("{} (at {} ms", d.note, d.at.as_millis());
            if !d.peer.is_empty() {
                decoded.push_str(&format!(", to {}", d.peer));
            }
            decoded.push_str(")\n");
            if !d.bytes.is_empty() {
                decoded.push_str(&super::dns::describe(&d.bytes));
            }
            out.push(Exchange {
                step,
                request_hex: hex(&d.bytes, 4096),
                request_bytes: d.bytes.len(),
                request_decoded: decoded,
                ..Exchange::default()
            });
            continue;
        }
        if out.is_empty() {
            out.push(Exchange {
                step,
                request_decoded: "(listening)\n".into(),
                ..Exchange::default()
            });
        }
        let Some(e) = out.last_mut() else { continue };
        let via = match d.via {
            Some(Via::Unicast) => "unicast",
            _ => "multicast",
        };
        e.response_decoded.push_str(&format!(
            "+{} ms from {} ({via}, {} bytes):\n{}",
            d.at.saturating_sub(last_sent).as_millis(),
            d.peer,
            d.bytes.len(),
            super::dns::describe(&d.bytes)
        ));
        if e.response_hex.len() < 128 * 1024 {
            if !e.response_hex.is_empty() {
                e.response_hex.push(' ');
            }
            e.response_hex.push_str(&hex(&d.bytes, 64 * 1024));
        }
        e.response_bytes += d.bytes.len();
        e.elapsed_ms = u64::try_from(d.at.saturating_sub(last_sent).as_millis()).unwrap_or(0);
    }
    for e in &mut out {
        if e.response_decoded.is_empty() {
            e.response_decoded = "(nothing heard)\n".into();
        }
    }
    out
}
