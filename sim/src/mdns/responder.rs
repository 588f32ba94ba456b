//! The responder's state machine: probing, announcing, answering, defending,
//! renaming, saying goodbye. See the module docs of [`crate::mdns`] for the
//! sans-IO contract.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use simple_dns::{Packet, PacketFlag, OPCODE, RCODE};

use crate::fault::rng::SeededRng;
use crate::model::clock::SimTime;

use super::announce::{host_name, instance_name, Announcement, ServiceKind};
use super::guard::{precheck, DropReason};
use super::records::{
    rtype, Data, DnsName, EncodeError, Message, Out, OutQuestion, Received, Record, CLASS_ANY,
    CLASS_IN, MAX_PAYLOAD,
};
use super::txt::TxtRecord;
use super::{Dest, Transmit, HOST_TTL, LEGACY_TTL, MDNS_PORT, OTHER_TTL};

/// Probes sent before announcing (RFC 6762 §8.1: "three probe packets").
const PROBES: u8 = 3;
/// Time between probes (RFC 6762 §8.1: "250 milliseconds apart").
const PROBE_INTERVAL: Duration = Duration::from_millis(250);
/// Upper bound of the random delay before the first probe (RFC 6762 §8.1:
/// "a random delay from 0-250 ms").
const PROBE_JITTER_MS: u64 = 250;
/// Announcements sent (RFC 6762 §8.3: "at least two unsolicited responses").
const ANNOUNCEMENTS: u8 = 2;
/// Time before the second announcement; each later one doubles it (§8.3).
const ANNOUNCE_INTERVAL: Duration = Duration::from_millis(1000);
/// RFC 6762 §6: delay of an answer that may collide with others: 20–120 ms.
const SHARED_DELAY_MS: (u64, u64) = (20, 120);
/// RFC 6762 §7.2: delay when the query's TC bit says more known answers follow.
const TRUNCATED_DELAY_MS: (u64, u64) = (400, 500);
/// RFC 6762 §6: a record is not multicast again within one second…
const RATE_LIMIT: Duration = Duration::from_millis(1000);
/// …except in answer to a probe, where 250 ms is enough.
const PROBE_DEFENCE_RATE_LIMIT: Duration = Duration::from_millis(250);
/// RFC 6762 §8.2: the loser of a simultaneous probe "MUST defer to the
/// winning host by waiting one second, and then begin probing for this
/// record again".
const TIE_BREAK_DEFER: Duration = Duration::from_millis(1000);
/// RFC 6762 §8.1: "If fifteen conflicts occur within any ten-second period,
/// then the host MUST wait at least five seconds before each successive
/// additional probe attempt."
const CONFLICT_STORM: (usize, Duration, Duration) =
    (15, Duration::from_secs(10), Duration::from_secs(5));
/// Largest legacy unicast answer (RFC 1035 §4.2.1 UDP messages).
const LEGACY_MAX: usize = 512;

/// Misbehaviour on purpose. Every field off (the default) is a well-behaved
/// responder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MdnsQuirks {
    /// Every record carries this TTL instead of RFC 6762 §10's 120 s / 4500 s
    /// (e.g. `Some(1)`: caches forget the printer at once). Goodbyes keep TTL 0.
    pub ttl: Option<u32>,
    /// No goodbye packets on shutdown: caches keep a stale entry until its TTL
    /// runs out.
    pub no_goodbye: bool,
    /// TXT keys left out of every TXT record (e.g. `pdl`, `UUID`, `rp`).
    pub drop_txt_keys: Vec<String>,
    /// A document format appended to `pdl` that IPP does not list in
    /// `document-format-supported` (TXT contradicting IPP).
    pub pdl_extra: Option<String>,
    /// TXT keys set to these values whatever the profile says (e.g.
    /// `("Color", "F")` on a colour printer).
    pub txt_override: Vec<(String, String)>,
    /// SRV records give this port instead of the service's.
    pub srv_port: Option<u16>,
    /// Added to every SRV record's port (0: none), so it names a port
    /// near the real one where nothing listens.
    pub srv_port_shift: u16,
    /// Flooding: every answer is sent this many times, at once, ignoring
    /// rate limits and known answers (0 and 1 mean once).
    pub flood_copies: u8,
    /// Flooding: once announced, announce again unasked every this many
    /// milliseconds.
    pub unsolicited_every_ms: Option<u64>,
    /// Never answer probes for our names and never rename on a conflict:
    /// two printers end up with the same name.
    pub no_defend: bool,
}

impl MdnsQuirks {
    fn flooding(&self) -> bool {
        self.flood_copies > 1
    }

    fn copies(&self) -> usize {
        usize::from(self.flood_copies.max(1))
    }
}

/// How the responder is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponderConfig {
    /// Seed of every random delay (probe start, answer delays).
    pub seed: u64,
    /// Misbehaviour.
    pub quirks: MdnsQuirks,
    /// Send unsolicited packets (probes, announcements, goodbyes) to the IPv4 group.
    pub ipv4: bool,
    /// Send unsolicited packets to the IPv6 group.
    pub ipv6: bool,
    /// The mDNS port: a query from any other source port is a legacy unicast
    /// query (RFC 6762 §6.7). 5353, unless a test runs on another port.
    pub mdns_port: u16,
}

impl Default for ResponderConfig {
    fn default() -> Self {
        ResponderConfig {
            seed: 0,
            quirks: MdnsQuirks::default(),
            ipv4: true,
            ipv6: true,
            mdns_port: MDNS_PORT,
        }
    }
}

/// Where the responder is in its life (RFC 6762 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponderState {
    /// Checking that its names are free; answers nothing yet.
    Probing,
    /// Its names are its own; sending the first unsolicited responses.
    Announcing,
    /// Announced; answering queries.
    Announced,
    /// Shut down; ignores everything.
    Stopped,
}

/// Counters, for tests and the control API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MdnsStats {
    /// Datagrams given to [`Responder::handle_packet`].
    pub received: u64,
    /// Well-formed queries handled.
    pub queries: u64,
    /// Well-formed responses handled.
    pub responses: u64,
    /// Datagrams dropped, by reason.
    pub dropped: BTreeMap<DropReason, u64>,
    /// Probe datagrams sent.
    pub probes_sent: u64,
    /// Announcement datagrams sent (the flood quirk's repeats included).
    pub announcements_sent: u64,
    /// Answer datagrams multicast.
    pub answers_multicast: u64,
    /// QU answer datagrams sent by unicast.
    pub answers_unicast: u64,
    /// Legacy unicast answer datagrams.
    pub answers_legacy: u64,
    /// Records left out because the query listed them as known answers (RFC 6762 §7.1).
    pub known_answers_suppressed: u64,
    /// Records left out of a pending answer because another responder sent them (§7.4).
    pub duplicate_answers_suppressed: u64,
    /// Records not multicast again within a second (§6).
    pub rate_limited: u64,
    /// Probes for our names answered.
    pub probes_defended: u64,
    /// Conflicts seen (another host with one of our names).
    pub conflicts: u64,
    /// Simultaneous probes lost (§8.2).
    pub tie_breaks_lost: u64,
    /// Renames after a conflict.
    pub renames: u64,
    /// Goodbye datagrams sent.
    pub goodbyes_sent: u64,
    /// Messages that could not be encoded (never expected).
    pub encode_errors: u64,
}

impl MdnsStats {
    /// Datagrams dropped for `reason`.
    pub fn drops(&self, reason: DropReason) -> u64 {
        self.dropped.get(&reason).copied().unwrap_or(0)
    }

    /// Datagrams dropped for any reason.
    pub fn total_dropped(&self) -> u64 {
        self.dropped.values().sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn of(addr: &SocketAddr) -> Family {
        match Dest::multicast_for(addr.ip()) {
            Dest::MulticastV6 => Family::V6,
            _ => Family::V4,
        }
    }

    fn index(self) -> usize {
        match self {
            Family::V4 => 0,
            Family::V6 => 1,
        }
    }

    fn dest(self) -> Dest {
        match self {
            Family::V4 => Dest::MulticastV4,
            Family::V6 => Dest::MulticastV6,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Probing { sent: u8, next: SimTime },
    Announcing { sent: u8, next: SimTime },
    Announced,
    Stopped,
}

/// Which of our names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Host,
    Instance,
}

/// A multicast answer waiting for its delay (RFC 6762 §6).
#[derive(Debug, Clone)]
struct Pending {
    at: SimTime,
    family: Family,
    answers: Vec<usize>,
    /// Records the queriers already know: not added as additionals.
    known: Vec<usize>,
}

/// The mDNS / DNS-SD responder of one virtual printer.
#[derive(Debug, Clone)]
pub struct Responder {
    cfg: ResponderConfig,
    base: Announcement,
    current: Announcement,
    instance_n: u32,
    host_n: u32,
    records: Vec<Record>,
    last_multicast: Vec<[Option<SimTime>; 2]>,
    phase: Phase,
    pending: Vec<Pending>,
    conflict_times: Vec<SimTime>,
    next_unsolicited: Option<SimTime>,
    /// Whether records of the current names have been sent (and so sit in
    /// caches that a goodbye should clear).
    on_air: bool,
    rng: SeededRng,
    stats: MdnsStats,
}

/// The TXT record of `txt` as sent, after the quirks.
fn quirked_txt(txt: &TxtRecord, q: &MdnsQuirks) -> TxtRecord {
    let mut t = txt.clone();
    if let Some(extra) = &q.pdl_extra {
        let pdl = match t.get("pdl") {
            Some(p) if !p.is_empty() => format!("{p},{extra}"),
            _ => extra.clone(),
        };
        t.set("pdl", &pdl);
    }
    for (k, v) in &q.txt_override {
        t.set(k, v);
    }
    for k in &q.drop_txt_keys {
        t.remove(k);
    }
    t
}

fn service_instance(instance: &str, kind: ServiceKind) -> DnsName {
    DnsName::prefixed(instance, &DnsName::service(kind.service_type()))
}

/// Every record of `ann`, quirks applied. Order: per service the
/// `_services._dns-sd._udp` PTR, the PTR, subtype PTRs, SRV, TXT, NSEC; then
/// the host's A, AAAA and NSEC.
fn build_records(ann: &Announcement, q: &MdnsQuirks) -> Vec<Record> {
    let ttl = |t: u32| q.ttl.unwrap_or(t);
    let host = DnsName::local(&[ann.host.as_str()]);
    let enumeration = DnsName::local(&["_services", "_dns-sd", "_udp"]);
    let mut out = Vec::new();
    for svc in &ann.services {
        let stype = DnsName::service(svc.kind.service_type());
        let inst = service_instance(&ann.instance, svc.kind);
        out.push(Record {
            name: enumeration.clone(),
            data: Data::Ptr(stype.clone()),
            ttl: ttl(OTHER_TTL),
            unique: false,
        });
        out.push(Record {
            name: stype.clone(),
            data: Data::Ptr(inst.clone()),
            ttl: ttl(OTHER_TTL),
            unique: false,
        });
        for sub in svc.kind.subtypes() {
            out.push(Record {
                name: DnsName::prefixed(sub, &DnsName::prefixed("_sub", &stype)),
                data: Data::Ptr(inst.clone()),
                ttl: ttl(OTHER_TTL),
                unique: false,
            });
        }
        out.push(Record {
            name: inst.clone(),
            data: Data::Srv {
                priority: 0,
                weight: 0,
                port: q
                    .srv_port
                    .unwrap_or(svc.port.wrapping_add(q.srv_port_shift)),
                target: host.clone(),
            },
            ttl: ttl(HOST_TTL),
            unique: true,
        });
        out.push(Record {
            name: inst.clone(),
            data: Data::Txt(quirked_txt(&svc.txt, q).to_strings()),
            ttl: ttl(OTHER_TTL),
            unique: true,
        });
        out.push(Record {
            name: inst,
            data: Data::Nsec(vec![rtype::TXT, rtype::SRV]),
            ttl: ttl(OTHER_TTL),
            unique: true,
        });
    }
    let mut host_types = Vec::new();
    for a in &ann.addrs {
        let data = match a {
            std::net::IpAddr::V4(v4) => Data::A(*v4),
            std::net::IpAddr::V6(v6) => Data::Aaaa(*v6),
        };
        if !host_types.contains(&data.rtype()) {
            host_types.push(data.rtype());
        }
        out.push(Record {
            name: host.clone(),
            data,
            ttl: ttl(HOST_TTL),
            unique: true,
        });
    }
    out.push(Record {
        name: host,
        data: Data::Nsec(host_types),
        ttl: ttl(HOST_TTL),
        unique: true,
    });
    out
}

/// A record as multicast or sent to a QU querier: its TTL, the cache-flush
/// bit on unique records.
fn full(r: &Record) -> Out<'_> {
    Out {
        rec: r,
        ttl: r.ttl,
        flush: r.unique,
    }
}

/// A record in a legacy unicast answer: TTL at most ten seconds, no cache-flush bit.
fn legacy(r: &Record) -> Out<'_> {
    Out {
        rec: r,
        ttl: r.ttl.min(LEGACY_TTL),
        flush: false,
    }
}

fn is_nsec(r: &Record) -> bool {
    matches!(r.data, Data::Nsec(_))
}

/// FNV-1a over what tells two announcements apart.
fn fingerprint(ann: &Announcement) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(ann.instance.as_bytes());
    eat(ann.host.as_bytes());
    for a in &ann.addrs {
        eat(a.to_string().as_bytes());
    }
    for s in &ann.services {
        eat(&s.port.to_be_bytes());
    }
    h
}

/// RFC 6762 §8.2: compare the two hosts' records for one name, sorted by
/// class, type and raw rdata; "the host whose data is lexicographically later
/// wins", and when one list runs out first, the one with records left wins.
fn tie_break(ours: &[&Record], theirs: &[&Received]) -> Ordering {
    let mut a: Vec<(u16, u16, Vec<u8>)> = ours
        .iter()
        .map(|r| (CLASS_IN, r.data.rtype(), r.data.canonical()))
        .collect();
    let mut b: Vec<(u16, u16, Vec<u8>)> = theirs
        .iter()
        .map(|r| (r.class, r.data.rtype(), r.data.canonical()))
        .collect();
    a.sort();
    b.sort();
    for (x, y) in a.iter().zip(&b) {
        match x.cmp(y) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    a.len().cmp(&b.len())
}

impl Responder {
    /// A responder that starts probing for `ann`'s names at `now` plus a
    /// random 0–250 ms (RFC 6762 §8.1).
    ///
    /// Random delays come from a stream derived from `cfg.seed` and the
    /// announcement (names, addresses, ports), so the same inputs give the
    /// same run, and two printers given one seed still draw different
    /// delays (two identical timelines would tie their probes for ever).
    pub fn new(ann: Announcement, cfg: ResponderConfig, now: SimTime) -> Responder {
        let mut rng = SeededRng::derive(cfg.seed, fingerprint(&ann));
        let delay = rng.range(0, PROBE_JITTER_MS);
        let records = build_records(&ann, &cfg.quirks);
        let n = records.len();
        Responder {
            base: ann.clone(),
            current: ann,
            instance_n: 1,
            host_n: 1,
            records,
            last_multicast: vec![[None; 2]; n],
            phase: Phase::Probing {
                sent: 0,
                next: now.after(Duration::from_millis(delay)),
            },
            pending: Vec::new(),
            conflict_times: Vec::new(),
            next_unsolicited: None,
            on_air: false,
            rng,
            stats: MdnsStats::default(),
            cfg,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ResponderConfig {
        &self.cfg
    }

    /// Which families unsolicited packets go to; the socket layer calls this
    /// with the families it has sockets for.
    pub fn set_families(&mut self, ipv4: bool, ipv6: bool) {
        self.cfg.ipv4 = ipv4;
        self.cfg.ipv6 = ipv6;
    }

    /// The mDNS port (queries from other ports are legacy unicast).
    pub fn set_mdns_port(&mut self, port: u16) {
        self.cfg.mdns_port = port;
    }

    /// What is advertised now: the names after any renames, the TXT records
    /// before quirks.
    pub fn announcement(&self) -> &Announcement {
        &self.current
    }

    /// The service instance name now (`Name (2)` after one conflict).
    pub fn instance_name(&self) -> &str {
        &self.current.instance
    }

    /// The host label now (`name-2` after one conflict), without `.local`.
    pub fn host_name(&self) -> &str {
        &self.current.host
    }

    /// The TXT record of `kind` as sent, quirks applied; `None` when the
    /// service is not advertised.
    pub fn advertised_txt(&self, kind: ServiceKind) -> Option<TxtRecord> {
        self.current
            .service(kind)
            .map(|s| quirked_txt(&s.txt, &self.cfg.quirks))
    }

    /// Every record, as advertised now (NSEC included).
    #[cfg(test)]
    pub(crate) fn records(&self) -> &[Record] {
        &self.records
    }

    /// Where the responder is.
    pub fn state(&self) -> ResponderState {
        match self.phase {
            Phase::Probing { .. } => ResponderState::Probing,
            Phase::Announcing { .. } => ResponderState::Announcing,
            Phase::Announced => ResponderState::Announced,
            Phase::Stopped => ResponderState::Stopped,
        }
    }

    /// The counters.
    pub fn stats(&self) -> &MdnsStats {
        &self.stats
    }

    /// When [`Responder::handle_timeout`] must next be called; `None` when stopped.
    pub fn poll_timeout(&self) -> Option<SimTime> {
        let phase = match self.phase {
            Phase::Stopped => return None,
            Phase::Probing { next, .. } | Phase::Announcing { next, .. } => Some(next),
            Phase::Announced => self.next_unsolicited,
        };
        let pending = self.pending.iter().map(|p| p.at).min();
        match (phase, pending) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs every timer due at `now`: probes, announcements, delayed answers,
    /// the flood quirk's repeats. Returns what to send.
    pub fn handle_timeout(&mut self, now: SimTime) -> Vec<Transmit> {
        let mut out = Vec::new();
        loop {
            match self.phase {
                Phase::Probing { sent, next } if next <= now => {
                    if sent < PROBES {
                        self.send_probe(sent == 0, &mut out);
                        self.phase = Phase::Probing {
                            sent: sent + 1,
                            next: now.after(PROBE_INTERVAL),
                        };
                    } else {
                        // RFC 6762 §8.3: after probing, announce.
                        self.phase = Phase::Announcing { sent: 0, next: now };
                    }
                }
                Phase::Announcing { sent, next } if next <= now => {
                    self.send_announcement(now, &mut out);
                    let sent = sent + 1;
                    if sent >= ANNOUNCEMENTS {
                        self.phase = Phase::Announced;
                        self.next_unsolicited = self
                            .cfg
                            .quirks
                            .unsolicited_every_ms
                            .map(|ms| now.after(Duration::from_millis(ms.max(1))));
                    } else {
                        // "The time intervals between successive announcements
                        // MUST increase by at least a factor of two."
                        let gap = ANNOUNCE_INTERVAL * (1u32 << (sent - 1).min(16));
                        self.phase = Phase::Announcing {
                            sent,
                            next: now.after(gap),
                        };
                    }
                }
                Phase::Announced => {
                    match (self.next_unsolicited, self.cfg.quirks.unsolicited_every_ms) {
                        (Some(at), Some(ms)) if at <= now => {
                            self.send_announcement(now, &mut out);
                            self.next_unsolicited =
                                Some(now.after(Duration::from_millis(ms.max(1))));
                        }
                        _ => break,
                    }
                }
                _ => break,
            }
        }
        let (due, later): (Vec<Pending>, Vec<Pending>) =
            self.pending.drain(..).partition(|p| p.at <= now);
        self.pending = later;
        for p in due {
            self.send_pending(p, now, &mut out);
        }
        out
    }

    /// Goodbyes: every record is sent again with TTL 0 (RFC 6762 §10.1),
    /// unless the `no_goodbye` quirk is on or none of the current records was
    /// ever sent (still probing). The responder is stopped afterwards.
    pub fn shutdown(&mut self, _now: SimTime) -> Vec<Transmit> {
        let announced = self.on_air && self.phase != Phase::Stopped;
        self.phase = Phase::Stopped;
        self.pending.clear();
        self.next_unsolicited = None;
        if !announced || self.cfg.quirks.no_goodbye {
            return Vec::new();
        }
        let msg = Message {
            response: true,
            answers: self
                .records
                .iter()
                .filter(|r| !is_nsec(r))
                .map(|rec| Out {
                    rec,
                    ttl: 0,
                    flush: false,
                })
                .collect(),
            ..Message::default()
        };
        let encoded = msg.encode_split(MAX_PAYLOAD);
        let mut out = Vec::new();
        match encoded {
            Ok(packets) => {
                for fam in self.families() {
                    for bytes in &packets {
                        out.push(Transmit {
                            to: fam.dest(),
                            bytes: bytes.clone(),
                        });
                        self.stats.goodbyes_sent += 1;
                    }
                }
            }
            Err(_) => self.stats.encode_errors += 1,
        }
        out
    }

    /// A datagram received from `from` at `now`. Returns what goes out at
    /// once; delayed answers wait for [`Responder::handle_timeout`].
    pub fn handle_packet(&mut self, bytes: &[u8], from: SocketAddr, now: SimTime) -> Vec<Transmit> {
        self.stats.received += 1;
        if self.phase == Phase::Stopped {
            return self.drop_with(DropReason::Stopped);
        }
        if let Err(e) = precheck(bytes) {
            return self.drop_with(e.reason());
        }
        let packet = match Packet::parse(bytes) {
            Ok(p) => p,
            Err(_) => return self.drop_with(DropReason::Malformed),
        };
        if packet.opcode() != OPCODE::StandardQuery {
            return self.drop_with(DropReason::BadOpcode);
        }
        if packet.rcode() != RCODE::NoError {
            return self.drop_with(DropReason::BadRcode);
        }
        let family = Family::of(&from);
        if packet.has_flags(PacketFlag::RESPONSE) {
            if from.port() != self.cfg.mdns_port {
                return self.drop_with(DropReason::ResponseFromWrongPort);
            }
            self.stats.responses += 1;
            self.on_response(&packet, family, now);
            Vec::new()
        } else {
            self.stats.queries += 1;
            self.on_query(&packet, from, family, now)
        }
    }

    fn drop_with(&mut self, reason: DropReason) -> Vec<Transmit> {
        *self.stats.dropped.entry(reason).or_insert(0) += 1;
        Vec::new()
    }

    fn families(&self) -> Vec<Family> {
        let mut v = Vec::with_capacity(2);
        if self.cfg.ipv4 {
            v.push(Family::V4);
        }
        if self.cfg.ipv6 {
            v.push(Family::V6);
        }
        v
    }

    fn host_dns(&self) -> DnsName {
        DnsName::local(&[self.current.host.as_str()])
    }

    /// Whether `name` is one of our unique names, and which.
    fn owner(&self, name: &DnsName) -> Option<Owner> {
        if *name == self.host_dns() {
            return Some(Owner::Host);
        }
        self.current
            .services
            .iter()
            .any(|s| service_instance(&self.current.instance, s.kind) == *name)
            .then_some(Owner::Instance)
    }

    /// Our unique names, host first.
    fn unique_names(&self) -> Vec<DnsName> {
        let mut v = vec![self.host_dns()];
        for s in &self.current.services {
            v.push(service_instance(&self.current.instance, s.kind));
        }
        v
    }

    // ----- probing and announcing -----

    /// RFC 6762 §8.1: "a host sends a query … for all records of type ANY
    /// with the names it wants to claim", with the records it proposes in
    /// the Authority Section. One question and its records stay together in
    /// one datagram; several names share a datagram while they fit.
    fn send_probe(&mut self, first: bool, out: &mut Vec<Transmit>) {
        let groups: Vec<(DnsName, Vec<usize>)> = self
            .unique_names()
            .into_iter()
            .map(|n| {
                let recs = self
                    .records
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.unique && !is_nsec(r) && r.name == n)
                    .map(|(i, _)| i)
                    .collect();
                (n, recs)
            })
            .collect();
        let mut packets: Vec<Vec<u8>> = Vec::new();
        let mut cur: Vec<&(DnsName, Vec<usize>)> = Vec::new();
        let encode = |groups: &[&(DnsName, Vec<usize>)]| -> Result<Vec<u8>, EncodeError> {
            Message {
                questions: groups
                    .iter()
                    .map(|(n, _)| OutQuestion {
                        name: n.clone(),
                        qtype: rtype::ANY,
                        qclass: CLASS_IN,
                        // "…probes SHOULD be sent with the 'unicast-response' bit set" (§8.1, first probe)
                        unicast: first,
                    })
                    .collect(),
                authority: groups
                    .iter()
                    .flat_map(|(_, idx)| idx.iter())
                    .map(|&i| Out {
                        rec: &self.records[i],
                        ttl: self.records[i].ttl,
                        flush: false,
                    })
                    .collect(),
                ..Message::default()
            }
            .encode()
        };
        let mut failed = false;
        for g in &groups {
            cur.push(g);
            match encode(&cur) {
                Ok(b) if b.len() <= MAX_PAYLOAD || cur.len() == 1 => {}
                Ok(_) => {
                    cur.pop();
                    match encode(&cur) {
                        Ok(b) => packets.push(b),
                        Err(_) => failed = true,
                    }
                    cur = vec![g];
                }
                Err(_) => failed = true,
            }
        }
        if !cur.is_empty() {
            match encode(&cur) {
                Ok(b) => packets.push(b),
                Err(_) => failed = true,
            }
        }
        if failed {
            self.stats.encode_errors += 1;
        }
        for fam in self.families() {
            for b in &packets {
                out.push(Transmit {
                    to: fam.dest(),
                    bytes: b.clone(),
                });
                self.stats.probes_sent += 1;
            }
        }
    }

    /// RFC 6762 §8.3: an unsolicited response with every record, the unique
    /// ones with the cache-flush bit.
    fn send_announcement(&mut self, now: SimTime, out: &mut Vec<Transmit>) {
        let idx: Vec<usize> = (0..self.records.len())
            .filter(|&i| !is_nsec(&self.records[i]))
            .collect();
        for fam in self.families() {
            let n = self.multicast(&idx, &[], fam, now, out);
            self.stats.announcements_sent += n;
        }
    }

    // ----- answering -----

    /// Additional records for `answers` (RFC 6763 §12, RFC 6762 §6.2): for a
    /// PTR to one of our instances its SRV, TXT and the host's addresses; for
    /// an SRV or an address record, the host's addresses; NSEC for the
    /// address family the host lacks.
    fn additionals(&self, answers: &[usize], known: &[usize]) -> Vec<usize> {
        let host = self.host_dns();
        let mut names: Vec<DnsName> = Vec::new();
        let mut want_host = false;
        for &i in answers {
            match &self.records[i].data {
                Data::Ptr(target) if self.owner(target) == Some(Owner::Instance) => {
                    if !names.contains(target) {
                        names.push(target.clone());
                    }
                    want_host = true;
                }
                Data::Srv { .. } | Data::A(_) | Data::Aaaa(_) => want_host = true,
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (i, r) in self.records.iter().enumerate() {
            let wanted = (names.contains(&r.name) && !is_nsec(r))
                || (want_host && r.name == host && self.host_nsec_useful(r));
            if wanted && !answers.contains(&i) && !known.contains(&i) && !out.contains(&i) {
                out.push(i);
            }
        }
        out
    }

    /// The host's address records always; its NSEC only when it lacks A or AAAA.
    fn host_nsec_useful(&self, r: &Record) -> bool {
        match &r.data {
            Data::Nsec(types) => !(types.contains(&rtype::A) && types.contains(&rtype::AAAA)),
            _ => true,
        }
    }

    fn on_query(
        &mut self,
        packet: &Packet<'_>,
        from: SocketAddr,
        family: Family,
        now: SimTime,
    ) -> Vec<Transmit> {
        let q = self.cfg.quirks.clone();
        let authority: Vec<Received> = packet
            .name_servers
            .iter()
            .map(Received::from_simple)
            .collect();
        if let Phase::Probing { .. } = self.phase {
            if !q.no_defend && !authority.is_empty() {
                self.simultaneous_probe(packet, &authority, now);
            }
            return Vec::new();
        }
        if !matches!(self.phase, Phase::Announcing { .. } | Phase::Announced) {
            return Vec::new();
        }
        let legacy = from.port() != self.cfg.mdns_port;
        let known: Vec<Received> = packet.answers.iter().map(Received::from_simple).collect();
        if packet.questions.is_empty() {
            // RFC 6762 §7.2: the rest of a truncated query's known answers
            // come in packets without questions; they still suppress the
            // answer that waits for them.
            if !legacy && !known.is_empty() && !q.flooding() {
                let removed = self.suppress_pending(&known, family);
                self.stats.known_answers_suppressed += removed;
            }
            return Vec::new();
        }
        // Records the querier already has (RFC 6762 §7.1): "a Multicast DNS
        // responder MUST NOT answer a Multicast DNS query if the answer it
        // would give is already included in the Answer Section with an RR TTL
        // at least half the correct value."
        let known_idx: Vec<usize> = (0..self.records.len())
            .filter(|&i| {
                let r = &self.records[i];
                known
                    .iter()
                    .any(|k| k.matches(r) && u64::from(k.ttl) * 2 >= u64::from(r.ttl))
            })
            .collect();
        let mut multicast: Vec<usize> = Vec::new();
        let mut unicast: Vec<usize> = Vec::new();
        let mut legacy_answers: Vec<usize> = Vec::new();
        let mut defend: Vec<usize> = Vec::new();
        for question in &packet.questions {
            let qname = DnsName::from_simple(&question.qname);
            let qtype = u16::from(question.qtype);
            let qclass = u16::from(question.qclass);
            if qclass != CLASS_IN && qclass != CLASS_ANY {
                continue;
            }
            let mut matched: Vec<usize> = self
                .records
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    r.name == qname
                        && !is_nsec(r)
                        && (qtype == rtype::ANY || r.data.rtype() == qtype)
                })
                .map(|(i, _)| i)
                .collect();
            if matched.is_empty() {
                // RFC 6762 §6.1: a query for a type our unique name does not
                // have gets an NSEC saying so.
                if self.owner(&qname).is_some() && qtype != rtype::ANY {
                    matched = self
                        .records
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.name == qname && is_nsec(r))
                        .map(|(i, _)| i)
                        .collect();
                }
                if matched.is_empty() {
                    continue;
                }
            }
            let is_probe = authority.iter().any(|a| a.name == qname);
            if is_probe {
                // RFC 6762 §8.1: a host that owns a name answers a probe for it
                // at once, by multicast, so the prober sees the conflict.
                if q.no_defend {
                    continue;
                }
                for i in matched {
                    if !defend.contains(&i) && !is_nsec(&self.records[i]) {
                        defend.push(i);
                    }
                }
                continue;
            }
            if !q.flooding() {
                let before = matched.len();
                matched.retain(|i| !known_idx.contains(i));
                self.stats.known_answers_suppressed += (before - matched.len()) as u64;
            }
            for i in matched {
                let target = if legacy {
                    &mut legacy_answers
                } else if question.unicast_response && self.multicast_recently(i, family, now) {
                    // RFC 6762 §5.4: a QU question is answered by unicast,
                    // unless the record has not been multicast within a
                    // quarter of its TTL, when it is multicast instead.
                    &mut unicast
                } else {
                    &mut multicast
                };
                if !target.contains(&i) {
                    target.push(i);
                }
            }
        }
        let mut out = Vec::new();
        if !defend.is_empty() {
            self.stats.probes_defended += 1;
            let limit = if q.flooding() {
                Duration::ZERO
            } else {
                PROBE_DEFENCE_RATE_LIMIT
            };
            let idx = self.rate_limit(&defend, family, now, limit);
            if !idx.is_empty() {
                for _ in 0..q.copies() {
                    let n = self.multicast(&idx, &[], family, now, &mut out);
                    self.stats.answers_multicast += n;
                }
            }
        }
        if !legacy_answers.is_empty() {
            self.answer_legacy(packet, &legacy_answers, &known_idx, from, &mut out);
        }
        if !unicast.is_empty() {
            self.answer_unicast(&unicast, &known_idx, from, &mut out);
        }
        if !multicast.is_empty() {
            if q.flooding() {
                for _ in 0..q.copies() {
                    let n = self.multicast(&multicast, &known_idx, family, now, &mut out);
                    self.stats.answers_multicast += n;
                }
            } else {
                let idx = self.rate_limit(&multicast, family, now, RATE_LIMIT);
                if !idx.is_empty() {
                    self.schedule(packet, idx, known_idx, family, now, &mut out);
                }
            }
        }
        out
    }

    /// Whether record `i` was multicast on `family` within a quarter of its TTL.
    fn multicast_recently(&self, i: usize, family: Family, now: SimTime) -> bool {
        let quarter = Duration::from_millis(u64::from(self.records[i].ttl) * 250);
        match self.last_multicast[i][family.index()] {
            Some(t) => now.since(t) <= quarter,
            None => false,
        }
    }

    /// `idx` without the records multicast on `family` less than `limit` ago.
    fn rate_limit(
        &mut self,
        idx: &[usize],
        family: Family,
        now: SimTime,
        limit: Duration,
    ) -> Vec<usize> {
        let kept: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| match self.last_multicast[i][family.index()] {
                Some(t) => now.since(t) >= limit,
                None => true,
            })
            .collect();
        self.stats.rate_limited += (idx.len() - kept.len()) as u64;
        kept
    }

    /// Queue a multicast answer (RFC 6762 §6): unique records alone go at
    /// once; an answer with shared records waits 20–120 ms (400–500 ms when
    /// the query is truncated, §7.2), joined with any answer already waiting.
    fn schedule(
        &mut self,
        packet: &Packet<'_>,
        answers: Vec<usize>,
        known: Vec<usize>,
        family: Family,
        now: SimTime,
        out: &mut Vec<Transmit>,
    ) {
        let all_unique = answers.iter().all(|&i| self.records[i].unique);
        let truncated = packet.has_flags(PacketFlag::TRUNCATION);
        if all_unique && !truncated {
            let n = self.multicast(&answers, &known, family, now, out);
            self.stats.answers_multicast += n;
            return;
        }
        let (lo, hi) = if truncated {
            TRUNCATED_DELAY_MS
        } else {
            SHARED_DELAY_MS
        };
        let at = now.after(Duration::from_millis(self.rng.range(lo, hi)));
        if let Some(p) = self.pending.iter_mut().find(|p| p.family == family) {
            p.at = p.at.min(at);
            for i in answers {
                if !p.answers.contains(&i) {
                    p.answers.push(i);
                }
            }
            p.known.retain(|i| known.contains(i));
        } else {
            self.pending.push(Pending {
                at,
                family,
                answers,
                known,
            });
        }
    }

    fn send_pending(&mut self, p: Pending, now: SimTime, out: &mut Vec<Transmit>) {
        let idx = self.rate_limit(&p.answers, p.family, now, RATE_LIMIT);
        if idx.is_empty() {
            return;
        }
        let n = self.multicast(&idx, &p.known, p.family, now, out);
        self.stats.answers_multicast += n;
    }

    /// Multicast `answers` (and their additionals) on `family`; marks them
    /// sent. Returns the number of datagrams.
    fn multicast(
        &mut self,
        answers: &[usize],
        known: &[usize],
        family: Family,
        now: SimTime,
        out: &mut Vec<Transmit>,
    ) -> u64 {
        let additional = self.additionals(answers, known);
        let out_rec = full;
        let msg = Message {
            response: true,
            answers: answers.iter().map(|&i| out_rec(&self.records[i])).collect(),
            additional: additional
                .iter()
                .map(|&i| out_rec(&self.records[i]))
                .collect(),
            ..Message::default()
        };
        let packets = match msg.encode_split(MAX_PAYLOAD) {
            Ok(p) => p,
            Err(_) => {
                self.stats.encode_errors += 1;
                return 0;
            }
        };
        for &i in answers.iter().chain(additional.iter()) {
            self.last_multicast[i][family.index()] = Some(now);
        }
        let n = packets.len() as u64;
        self.on_air |= n > 0;
        for bytes in packets {
            out.push(Transmit {
                to: family.dest(),
                bytes,
            });
        }
        n
    }

    /// RFC 6762 §5.4: a QU answer, sent to the querier's address and port.
    fn answer_unicast(
        &mut self,
        answers: &[usize],
        known: &[usize],
        to: SocketAddr,
        out: &mut Vec<Transmit>,
    ) {
        let additional = self.additionals(answers, known);
        let msg = Message {
            response: true,
            answers: answers.iter().map(|&i| full(&self.records[i])).collect(),
            additional: additional.iter().map(|&i| full(&self.records[i])).collect(),
            ..Message::default()
        };
        match msg.encode_split(MAX_PAYLOAD) {
            Ok(packets) => {
                self.on_air = true;
                for _ in 0..self.cfg.quirks.copies() {
                    for b in &packets {
                        out.push(Transmit {
                            to: Dest::Unicast(to),
                            bytes: b.clone(),
                        });
                        self.stats.answers_unicast += 1;
                    }
                }
            }
            Err(_) => self.stats.encode_errors += 1,
        }
    }

    /// RFC 6762 §6.7: a query from a port other than 5353 is a legacy
    /// resolver's. The answer goes to its address and port, "MUST repeat the
    /// query ID and the question", carries no cache-flush bit, and TTLs of at
    /// most ten seconds. Additionals go in while the answer stays within 512
    /// bytes.
    fn answer_legacy(
        &mut self,
        packet: &Packet<'_>,
        answers: &[usize],
        known: &[usize],
        to: SocketAddr,
        out: &mut Vec<Transmit>,
    ) {
        let additional = self.additionals(answers, known);
        let out_rec = legacy;
        let questions: Vec<OutQuestion> = packet
            .questions
            .iter()
            .map(|q| OutQuestion {
                name: DnsName::from_simple(&q.qname),
                qtype: u16::from(q.qtype),
                qclass: u16::from(q.qclass),
                unicast: false,
            })
            .collect();
        let mut msg = Message {
            id: packet.id(),
            response: true,
            questions,
            answers: answers.iter().map(|&i| out_rec(&self.records[i])).collect(),
            additional: Vec::new(),
            authority: Vec::new(),
        };
        let mut bytes = match msg.encode() {
            Ok(b) => b,
            Err(_) => {
                self.stats.encode_errors += 1;
                return;
            }
        };
        for &i in &additional {
            msg.additional.push(out_rec(&self.records[i]));
            match msg.encode() {
                Ok(b) if b.len() <= LEGACY_MAX => bytes = b,
                _ => {
                    msg.additional.pop();
                }
            }
        }
        for _ in 0..self.cfg.quirks.copies() {
            out.push(Transmit {
                to: Dest::Unicast(to),
                bytes: bytes.clone(),
            });
            self.stats.answers_legacy += 1;
        }
    }

    // ----- conflicts -----

    /// RFC 6762 §8.2: while probing, a probe from another host for one of our
    /// names. Compare the proposed records; if ours are lexicographically
    /// earlier we lose: wait a second and probe again (the winner will then
    /// defend the name, and we rename).
    fn simultaneous_probe(&mut self, packet: &Packet<'_>, authority: &[Received], now: SimTime) {
        for question in &packet.questions {
            let qname = DnsName::from_simple(&question.qname);
            if self.owner(&qname).is_none() {
                continue;
            }
            let theirs: Vec<&Received> = authority.iter().filter(|a| a.name == qname).collect();
            if theirs.is_empty() {
                continue;
            }
            let ours: Vec<&Record> = self
                .records
                .iter()
                .filter(|r| r.unique && !is_nsec(r) && r.name == qname)
                .collect();
            if tie_break(&ours, &theirs) == Ordering::Less {
                self.stats.tie_breaks_lost += 1;
                // A seeded jitter on top of the second keeps two hosts that
                // each lost one name from deferring in lockstep for ever.
                let jitter = Duration::from_millis(self.rng.range(0, PROBE_JITTER_MS));
                self.phase = Phase::Probing {
                    sent: 0,
                    next: now.after(TIE_BREAK_DEFER + jitter),
                };
                return;
            }
        }
    }

    fn on_response(&mut self, packet: &Packet<'_>, family: Family, now: SimTime) {
        let recs: Vec<Received> = packet
            .answers
            .iter()
            .chain(packet.additional_records.iter())
            .map(Received::from_simple)
            .collect();
        match self.phase {
            Phase::Probing { .. } => {
                // RFC 6762 §8.1: "If, during probing, [a] response is received
                // containing a record with the same name as one being probed"
                // (and not identical to one of ours: our own echo is no
                // conflict), the name is taken.
                for r in &recs {
                    if let Some(owner) = self.owner(&r.name) {
                        if !self.records.iter().any(|o| r.matches(o)) {
                            self.conflict(owner, now);
                            return;
                        }
                    }
                }
            }
            Phase::Announcing { .. } | Phase::Announced => {
                // RFC 6762 §7.4: a waiting answer loses the records another
                // responder just multicast with at least half our TTL.
                let removed = self.suppress_pending(&recs, family);
                self.stats.duplicate_answers_suppressed += removed;
                // RFC 6762 §9: a response with a record of one of our unique
                // names, of a type we have there, with other data.
                for r in &recs {
                    let Some(_) = self.owner(&r.name) else {
                        continue;
                    };
                    if r.class != CLASS_IN || matches!(r.data, Data::Nsec(_) | Data::Other(_)) {
                        continue;
                    }
                    let ours_of_type: Vec<&Record> = self
                        .records
                        .iter()
                        .filter(|o| {
                            o.unique && o.name == r.name && o.data.rtype() == r.data.rtype()
                        })
                        .collect();
                    if !ours_of_type.is_empty() && !ours_of_type.iter().any(|o| r.matches(o)) {
                        self.stats.conflicts += 1;
                        if self.cfg.quirks.no_defend {
                            return;
                        }
                        // "…the host MUST immediately reset its conflicted
                        // unique record(s) to probing state."
                        self.pending.clear();
                        self.next_unsolicited = None;
                        let delay = self.rng.range(0, PROBE_JITTER_MS);
                        self.phase = Phase::Probing {
                            sent: 0,
                            next: now.after(Duration::from_millis(delay)),
                        };
                        return;
                    }
                }
            }
            Phase::Stopped => {}
        }
    }

    /// Takes out of the answers waiting on `family` the records in `recs`
    /// with at least half our TTL; returns how many.
    fn suppress_pending(&mut self, recs: &[Received], family: Family) -> u64 {
        let records = &self.records;
        let mut removed = 0u64;
        for p in self.pending.iter_mut().filter(|p| p.family == family) {
            let before = p.answers.len();
            p.answers.retain(|&i| {
                let ours = &records[i];
                !recs
                    .iter()
                    .any(|r| r.matches(ours) && u64::from(r.ttl) * 2 >= u64::from(ours.ttl))
            });
            removed += (before - p.answers.len()) as u64;
        }
        self.pending.retain(|p| !p.answers.is_empty());
        removed
    }

    /// Another host has one of our names: rename and probe again (RFC 6762
    /// §9), unless the `no_defend` quirk keeps the name.
    fn conflict(&mut self, owner: Owner, now: SimTime) {
        self.stats.conflicts += 1;
        if self.cfg.quirks.no_defend {
            return;
        }
        self.conflict_times.push(now);
        let window = CONFLICT_STORM.1;
        self.conflict_times.retain(|t| now.since(*t) < window);
        match owner {
            Owner::Host => self.host_n += 1,
            Owner::Instance => self.instance_n += 1,
        }
        self.rename();
        self.stats.renames += 1;
        let delay = if self.conflict_times.len() >= CONFLICT_STORM.0 {
            CONFLICT_STORM.2
        } else {
            Duration::from_millis(self.rng.range(0, PROBE_JITTER_MS))
        };
        self.phase = Phase::Probing {
            sent: 0,
            next: now.after(delay),
        };
    }

    /// Change the misbehaviour in force (quirks raised or cleared live).
    /// The records are rebuilt; timers and the name stay as they are.
    pub fn set_quirks(&mut self, quirks: MdnsQuirks) {
        if quirks == self.cfg.quirks {
            return;
        }
        self.cfg.quirks = quirks;
        self.records = build_records(&self.current, &self.cfg.quirks);
        self.last_multicast = vec![[None; 2]; self.records.len()];
        self.pending.clear();
        if self.cfg.quirks.unsolicited_every_ms.is_none() {
            self.next_unsolicited = None;
        }
    }

    fn rename(&mut self) {
        let mut ann = self.base.clone();
        ann.instance = instance_name(&self.base.instance, self.instance_n);
        ann.host = host_name(&self.base.host, self.host_n);
        if ann.host != self.base.host {
            let old = format!("//{}.local", self.base.host);
            let new = format!("//{}.local", ann.host);
            for s in &mut ann.services {
                if let Some(url) = s.txt.get("adminurl").map(|u| u.replace(&old, &new)) {
                    s.txt.set("adminurl", &url);
                }
            }
        }
        self.records = build_records(&ann, &self.cfg.quirks);
        self.last_multicast = vec![[None; 2]; self.records.len()];
        self.pending.clear();
        self.next_unsolicited = None;
        self.on_air = false;
        self.current = ann;
    }
}

/// See [`super::fuzz_packet`].
pub(crate) fn fuzz_packet(data: &[u8]) {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::sync::OnceLock;

    static ANNOUNCED: OnceLock<Option<Responder>> = OnceLock::new();
    let Some(base) = ANNOUNCED.get_or_init(|| {
        let profile = crate::profile::Profile::default_profile().ok()?;
        let services = super::RunningServices::none()
            .with_ipp(8631, true)
            .with_lpd(8515, "lp")
            .with_appsocket(9100);
        let ann = Announcement::from_profile(
            &profile,
            &services,
            "paperjam-laser",
            vec![
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
            ],
        )
        .ok()?;
        let mut r = Responder::new(ann, ResponderConfig::default(), SimTime::ZERO);
        while let Some(t) = r.poll_timeout() {
            if r.state() == ResponderState::Announced || t > SimTime(10_000) {
                break;
            }
            r.handle_timeout(t);
        }
        Some(r)
    }) else {
        return;
    };
    let guard = precheck(data);
    let parses = Packet::parse(data).is_ok();
    let senders: [SocketAddr; 3] = [
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)), MDNS_PORT),
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)), 40000),
        SocketAddr::new(
            IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 9)),
            MDNS_PORT,
        ),
    ];
    for from in senders {
        let mut r = base.clone();
        let before = r.stats().clone();
        let now = SimTime(20_000);
        let mut sent = r.handle_packet(data, from, now);
        while let Some(t) = r.poll_timeout() {
            if t > SimTime(30_000) {
                break;
            }
            sent.extend(r.handle_timeout(t));
        }
        let after = r.stats();
        assert_eq!(after.received, before.received + 1);
        let handled = (after.queries + after.responses) - (before.queries + before.responses);
        let dropped = after.total_dropped() - before.total_dropped();
        assert_eq!(
            handled + dropped,
            1,
            "every datagram is handled or dropped once"
        );
        if guard.is_err() {
            assert_eq!(handled, 0, "the guard refused it, yet it was handled");
        } else if !parses {
            assert_eq!(
                after.drops(DropReason::Malformed),
                before.drops(DropReason::Malformed) + 1
            );
        }
        assert_eq!(after.encode_errors, 0);
        for t in &sent {
            assert!(
                Packet::parse(&t.bytes).is_ok(),
                "sent a datagram that does not parse"
            );
            assert!(
                precheck(&t.bytes).is_ok(),
                "sent a datagram the guard refuses"
            );
        }
        sent.extend(r.shutdown(SimTime(40_000)));
    }
}
