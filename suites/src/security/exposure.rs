//! Exposure: which of a printer's services answer, and what each one risks.
//!
//! TCP services are probed with a bare connect (nothing is sent: a byte sent
//! to port 9100 may print a page). UDP has no connect, so each UDP service gets
//! a real, read-only question in its own protocol:
//! - SNMP: a v2c GetRequest for `sysDescr.0` with the community `public`;
//! - mDNS: a legacy unicast query (RFC 6762 §6.7, from an ephemeral port)
//!   for `_ipp._tcp.local PTR`;
//! - cups-browsed: a CUPS browse packet announcing a printer whose URI points
//!   back at a listener of ours ([`probe_cups_browsed`]); a vulnerable
//!   cups-browsed (CVE-2024-47176) connects to it.
//!
//! The packets are built and read by sans-IO functions ([`snmp_request`],
//! [`read_snmp_answer`], [`mdns_query`], [`read_mdns_answer`],
//! [`browse_packet`], [`parse_browse_packet`]); the probes only move bytes.
//! An ICMP port unreachable, seen as `ConnectionRefused` on a connected UDP
//! socket, makes a UDP port [`PortState::Closed`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use paperjam_sim::security::browse::{parse_browse_packet, BrowsePacket};
use paperjam_sim::snmp::message::{self, error_status};
use paperjam_sim::snmp::{Message, Oid, Pdu, PduKind, VarBind, VarValue, Version};
use serde::Serialize;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};

/// How many probes [`scan`] runs at once.
pub const SCAN_CONCURRENCY: usize = 8;
/// The request-id of the SNMP probe.
pub const SNMP_REQUEST_ID: i32 = 0x5041_4a31;
/// The DNS id of the mDNS probe.
pub const MDNS_QUERY_ID: u16 = 0x1234;
/// The service type the mDNS probe asks for.
pub const MDNS_SERVICE: &str = "_ipp._tcp.local";
/// The largest datagram read.
const MAX_DATAGRAM: usize = 65_535;
/// The most bytes read of a cups-browsed call-back's first line.
const FIRST_LINE_CAP: usize = 2048;

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// A printer service the exposure scan looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// IPP over clear-text HTTP (TCP 631).
    Ipp,
    /// IPP over TLS (TCP 443; many printers also answer TLS on 631).
    Ipps,
    /// LPD, RFC 1179 (TCP 515).
    Lpd,
    /// Raw printing, AppSocket/JetDirect (TCP 9100–9102).
    Raw,
    /// SNMP (UDP 161).
    Snmp,
    /// Multicast DNS (UDP 5353).
    Mdns,
    /// CUPS browsing (UDP 631), as cups-browsed listens for it.
    CupsBrowsed,
}

impl ServiceKind {
    /// Every kind, in report order.
    pub const ALL: [ServiceKind; 7] = [
        ServiceKind::Ipp,
        ServiceKind::Ipps,
        ServiceKind::Lpd,
        ServiceKind::Raw,
        ServiceKind::Snmp,
        ServiceKind::Mdns,
        ServiceKind::CupsBrowsed,
    ];

    /// The name, as reports and `--port` flags spell it.
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::Ipp => "ipp",
            ServiceKind::Ipps => "ipps",
            ServiceKind::Lpd => "lpd",
            ServiceKind::Raw => "raw",
            ServiceKind::Snmp => "snmp",
            ServiceKind::Mdns => "mdns",
            ServiceKind::CupsBrowsed => "cups-browsed",
        }
    }

    /// The kind a name or alias names: the [`ServiceKind::name`]s, and
    /// `browse`/`browsed` (cups-browsed), `lpr`, `socket`/`appsocket`/
    /// `jetdirect`/`pdl` (raw), `dnssd`/`bonjour` (mdns). Case-insensitive.
    pub fn from_name(s: &str) -> Option<ServiceKind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "ipp" => ServiceKind::Ipp,
            "ipps" => ServiceKind::Ipps,
            "lpd" | "lpr" => ServiceKind::Lpd,
            "raw" | "socket" | "appsocket" | "jetdirect" | "pdl" => ServiceKind::Raw,
            "snmp" => ServiceKind::Snmp,
            "mdns" | "dnssd" | "dns-sd" | "bonjour" => ServiceKind::Mdns,
            "cups-browsed" | "cupsbrowsed" | "browse" | "browsed" => ServiceKind::CupsBrowsed,
            _ => return None,
        })
    }

    /// The transport the service runs on.
    pub fn transport(self) -> Transport {
        match self {
            ServiceKind::Ipp | ServiceKind::Ipps | ServiceKind::Lpd | ServiceKind::Raw => {
                Transport::Tcp
            }
            ServiceKind::Snmp | ServiceKind::Mdns | ServiceKind::CupsBrowsed => Transport::Udp,
        }
    }

    /// The ports probed unless a [`PortPlan`] says otherwise.
    pub fn default_ports(self) -> &'static [u16] {
        match self {
            ServiceKind::Ipp => &[631],
            ServiceKind::Ipps => &[443],
            ServiceKind::Lpd => &[515],
            ServiceKind::Raw => &[9100, 9101, 9102],
            ServiceKind::Snmp => &[161],
            ServiceKind::Mdns => &[5353],
            ServiceKind::CupsBrowsed => &[631],
        }
    }

    /// What an open port of this kind risks, in one sentence.
    pub fn risk(self) -> &'static str {
        match self {
            ServiceKind::Ipp => {
                "IPP in clear text: documents and credentials can be read on the network"
            }
            ServiceKind::Ipps => "IPP over TLS",
            ServiceKind::Lpd => {
                "RFC 1179 has no authentication; jobs and queue listings from anyone"
            }
            ServiceKind::Raw => {
                "accepts print data and PJL from anyone, with no authentication and in clear \
                 text (PJL can read and change settings and the file system on some models)"
            }
            ServiceKind::Snmp => {
                "v1/v2c community strings travel in clear text; default communities give the \
                 device's configuration"
            }
            ServiceKind::Mdns => {
                "announces the printer, its model and its addresses to the local link"
            }
            ServiceKind::CupsBrowsed => {
                "a cups-browsed listener adds printers from one unauthenticated UDP packet \
                 (CVE-2024-47176; with CVE-2024-47076, CVE-2024-47175, CVE-2024-47177, remote \
                 code execution)"
            }
        }
    }
}

impl std::fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which ports of which services to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortPlan {
    /// Service and port pairs, in [`ServiceKind::ALL`] order.
    pub entries: Vec<(ServiceKind, u16)>,
}

impl PortPlan {
    /// Every kind with its [`ServiceKind::default_ports`].
    pub fn standard() -> PortPlan {
        PortPlan {
            entries: ServiceKind::ALL
                .into_iter()
                .flat_map(|k| k.default_ports().iter().map(move |p| (k, *p)))
                .collect(),
        }
    }

    /// Replace `kind`'s ports with `ports` (duplicates dropped); an empty
    /// list means "do not probe this kind". The plan stays in
    /// [`ServiceKind::ALL`] order.
    pub fn set(&mut self, kind: ServiceKind, ports: Vec<u16>) {
        self.entries.retain(|(k, _)| *k != kind);
        let mut seen = Vec::new();
        for p in ports {
            if !seen.contains(&p) {
                seen.push(p);
                self.entries.push((kind, p));
            }
        }
        // A stable sort: the ports of one kind keep their order.
        self.entries.sort_by_key(|(k, _)| *k);
    }

    /// The ports of a virtual printer running in this process. A service it
    /// does not run (and mDNS, which it announces on 5353 only outside
    /// tests) is planned on `closed`, a port nothing listens on, so the
    /// exposure table grades it closed rather than leaving it out.
    pub fn of_server(srv: &paperjam_sim::net::RunningServer, closed: u16) -> PortPlan {
        let or_closed = |a: Option<std::net::SocketAddr>| vec![a.map_or(closed, |a| a.port())];
        let mut p = PortPlan::standard();
        p.set(ServiceKind::Ipp, vec![srv.ipp_addr.port()]);
        p.set(ServiceKind::Ipps, or_closed(srv.ipps_addr));
        p.set(ServiceKind::Lpd, or_closed(srv.lpd_addr));
        p.set(
            ServiceKind::Raw,
            if srv.socket_addrs.is_empty() {
                vec![closed]
            } else {
                srv.socket_addrs.iter().map(|a| a.port()).collect()
            },
        );
        p.set(ServiceKind::Snmp, or_closed(srv.snmp_addr));
        p.set(ServiceKind::Mdns, vec![closed]);
        p.set(ServiceKind::CupsBrowsed, or_closed(srv.browse_addr));
        p
    }

    /// A printer with only IPP, on `ipp`: every other kind is planned on
    /// `closed`, a port nothing listens on.
    pub fn ipp_only(ipp: u16, closed: u16) -> PortPlan {
        let mut p = PortPlan::standard();
        for k in ServiceKind::ALL {
            p.set(k, vec![if k == ServiceKind::Ipp { ipp } else { closed }]);
        }
        p
    }

    /// The ports planned for `kind`.
    pub fn ports(&self, kind: ServiceKind) -> Vec<u16> {
        self.entries
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, p)| *p)
            .collect()
    }
}

/// Read a port override flag: `raw=9100,9101`, `snmp=16161`, `ipp=8631`,
/// `browse=631`, `mdns=none` (also `off` or nothing after `=`: do not probe).
/// Kind names as [`ServiceKind::from_name`] reads them.
pub fn parse_override(s: &str) -> Result<(ServiceKind, Vec<u16>), String> {
    let (name, ports) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected KIND=PORT[,PORT…] or KIND=none"))?;
    let kind = ServiceKind::from_name(name).ok_or_else(|| {
        format!(
            "`{name}` is not a service: one of ipp, ipps, lpd, raw, snmp, mdns, cups-browsed (browse)"
        )
    })?;
    let ports = ports.trim();
    if ports.is_empty() || ports.eq_ignore_ascii_case("none") || ports.eq_ignore_ascii_case("off") {
        return Ok((kind, Vec::new()));
    }
    let mut out = Vec::new();
    for p in ports.split(',') {
        let p = p.trim();
        match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(format!("`{p}` is not a port (1–65535) in `{s}`")),
            Ok(n) => out.push(n),
        }
    }
    Ok((kind, out))
}

/// What one probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortState {
    /// The service answered (TCP: the connection was accepted; UDP: an
    /// answer in the service's protocol came, or cups-browsed called back).
    Open,
    /// Refused: a TCP RST, or an ICMP port unreachable for UDP.
    Closed,
    /// Nothing within the timeout (filtered, or a UDP service that stays
    /// silent to this question).
    NoAnswer,
    /// The probe could not be run (no route, a local error).
    Error(String),
}

/// One row of the exposure table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortRow {
    /// The service probed.
    pub service: ServiceKind,
    /// Its transport.
    pub transport: Transport,
    /// The port.
    pub port: u16,
    /// What was found.
    pub state: PortState,
    /// What was seen, for the report.
    pub evidence: String,
    /// [`ServiceKind::risk`].
    pub risk: &'static str,
}

/// Probe every entry of `plan` on `host`, at most [`SCAN_CONCURRENCY`] at
/// once, each waiting at most `timeout` (a cups-browsed call-back may take up
/// to twice that: the wait for the connection, then for its first line). The
/// rows come back in plan order.
pub async fn scan(host: IpAddr, plan: &PortPlan, timeout: Duration) -> Vec<PortRow> {
    let permits = Arc::new(tokio::sync::Semaphore::new(SCAN_CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (kind, port)) in plan.entries.iter().copied().enumerate() {
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            let (state, evidence) = probe(kind, SocketAddr::new(host, port), timeout).await;
            (
                i,
                PortRow {
                    service: kind,
                    transport: kind.transport(),
                    port,
                    state,
                    evidence,
                    risk: kind.risk(),
                },
            )
        });
    }
    let mut rows = Vec::new();
    while let Some(done) = tasks.join_next().await {
        if let Ok(row) = done {
            rows.push(row);
        }
    }
    rows.sort_by_key(|(i, _)| *i);
    rows.into_iter().map(|(_, r)| r).collect()
}

/// One service at one address: its state and the evidence.
pub async fn probe(kind: ServiceKind, addr: SocketAddr, timeout: Duration) -> (PortState, String) {
    match kind {
        ServiceKind::Ipp | ServiceKind::Ipps | ServiceKind::Lpd | ServiceKind::Raw => {
            probe_tcp(addr, timeout).await
        }
        ServiceKind::Snmp => probe_snmp(addr, timeout).await,
        ServiceKind::Mdns => probe_mdns(addr, timeout).await,
        ServiceKind::CupsBrowsed => {
            let b = probe_cups_browsed(addr, timeout).await;
            match (&b.called_back, b.unreachable) {
                (Some(line), _) => (
                    PortState::Open,
                    format!(
                        "sent `{}`; it connected back: `{line}`",
                        b.packet.trim_end()
                    ),
                ),
                (None, true) => (
                    PortState::Closed,
                    "ICMP port unreachable for the browse packet".to_string(),
                ),
                (None, false) => (
                    PortState::NoAnswer,
                    format!(
                        "sent `{}`; nothing connected back within {} ms",
                        b.packet.trim_end(),
                        timeout.as_millis()
                    ),
                ),
            }
        }
    }
}

/// A bare TCP connect: Open, Closed on a refusal, NoAnswer on a timeout.
/// Nothing is sent.
pub async fn probe_tcp(addr: SocketAddr, timeout: Duration) -> (PortState, String) {
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => (
            PortState::NoAnswer,
            format!("no answer to TCP connect within {} ms", timeout.as_millis()),
        ),
        Ok(Ok(_stream)) => (PortState::Open, "TCP connection accepted".to_string()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            (PortState::Closed, "TCP connection refused".to_string())
        }
        Ok(Err(e)) => (PortState::Error(e.to_string()), format!("TCP connect: {e}")),
    }
}

/// The SNMP probe's bytes: a v2c GetRequest for `sysDescr.0`
/// (1.3.6.1.2.1.1.1.0) with the community `public`.
pub fn snmp_request(request_id: i32) -> Result<Vec<u8>, String> {
    let m = Message {
        version: Version::V2c,
        community: b"public".to_vec(),
        pdu: Pdu {
            kind: PduKind::Get,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind::null(Oid::new(vec![1, 3, 6, 1, 2, 1, 1, 1, 0]))],
        },
    };
    message::encode(&m).map_err(|e| e.to_string())
}

/// Read a datagram that came back for the SNMP probe: `Ok(description)` when
/// it is SNMP (v1/v2c decoded, or any message whose version field says v3),
/// `Err(why not)` otherwise.
pub fn read_snmp_answer(bytes: &[u8]) -> Result<String, String> {
    match message::decode(bytes) {
        Ok(m) => Ok(describe_snmp(&m)),
        Err(e) => match message::peek_version(bytes) {
            Ok(3) => Ok("an SNMPv3 message (the agent may speak v3 only)".to_string()),
            _ => Err(format!(
                "not SNMP ({e}): {}",
                super::tls_probe::describe_bytes(bytes)
            )),
        },
    }
}

fn describe_snmp(m: &Message) -> String {
    let community = String::from_utf8_lossy(&m.community);
    let mut s = format!(
        "SNMP{} {} (community \"{community}\")",
        m.version.label(),
        m.pdu.kind.name()
    );
    if m.pdu.error_status != 0 {
        s.push_str(&format!(
            ", error-status {}",
            error_status::name(m.pdu.error_status)
        ));
    }
    if let Some(vb) = m.pdu.varbinds.first() {
        let value = match &vb.value {
            VarValue::Value(v) => v.to_string(),
            VarValue::NoSuchObject => "noSuchObject".to_string(),
            VarValue::NoSuchInstance => "noSuchInstance".to_string(),
            VarValue::EndOfMibView => "endOfMibView".to_string(),
        };
        let value: String = value.chars().take(200).collect();
        s.push_str(&format!(": {} = {value}", vb.oid));
    }
    s
}

/// A UDP socket on an ephemeral port, connected to `peer` (so only its
/// datagrams, and its ICMP errors, reach us).
async fn connected_udp(peer: SocketAddr) -> std::io::Result<UdpSocket> {
    let local = match peer.ip() {
        IpAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        IpAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(peer).await?;
    Ok(socket)
}

fn is_refused(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
    )
}

/// Send `request` to `addr` and wait at most `timeout` for a datagram that
/// `read` accepts. Datagrams it refuses are noted in the evidence.
async fn udp_exchange(
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
    read: impl Fn(&[u8]) -> Result<String, String>,
) -> (PortState, String) {
    let socket = match connected_udp(addr).await {
        Ok(s) => s,
        Err(e) => return (PortState::Error(e.to_string()), format!("UDP socket: {e}")),
    };
    if let Err(e) = socket.send(request).await {
        if is_refused(&e) {
            return (PortState::Closed, "ICMP port unreachable".to_string());
        }
        return (PortState::Error(e.to_string()), format!("UDP send: {e}"));
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut other: Option<String> = None;
    loop {
        match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            Err(_) => {
                let evidence = match other {
                    Some(why) => format!(
                        "no answer in the protocol within {} ms; a datagram came: {why}",
                        timeout.as_millis()
                    ),
                    None => format!("no answer within {} ms", timeout.as_millis()),
                };
                return (PortState::NoAnswer, evidence);
            }
            Ok(Err(e)) if is_refused(&e) => {
                return (PortState::Closed, "ICMP port unreachable".to_string())
            }
            Ok(Err(e)) => return (PortState::Error(e.to_string()), format!("UDP receive: {e}")),
            Ok(Ok(n)) => match read(buf.get(..n).unwrap_or_default()) {
                Ok(evidence) => return (PortState::Open, evidence),
                Err(why) => other = Some(why),
            },
        }
    }
}

/// The SNMP probe ([`snmp_request`]): Open on any SNMP answer, Closed on a
/// port unreachable, NoAnswer on silence or non-SNMP datagrams.
pub async fn probe_snmp(addr: SocketAddr, timeout: Duration) -> (PortState, String) {
    let request = match snmp_request(SNMP_REQUEST_ID) {
        Ok(r) => r,
        Err(e) => return (PortState::Error(e.clone()), e),
    };
    udp_exchange(addr, &request, timeout, read_snmp_answer).await
}

/// The mDNS probe's bytes: a standard query, id [`MDNS_QUERY_ID`], for
/// [`MDNS_SERVICE`] PTR (QU bit clear: sent from an ephemeral port it is a
/// legacy unicast query, RFC 6762 §6.7, answered by unicast to that port).
pub fn mdns_query() -> Result<Vec<u8>, String> {
    use simple_dns::{Name, Packet, Question, CLASS, QCLASS, QTYPE, TYPE};
    let mut p = Packet::new_query(MDNS_QUERY_ID);
    let name = Name::new(MDNS_SERVICE).map_err(|e| e.to_string())?;
    p.questions.push(Question::new(
        name,
        QTYPE::TYPE(TYPE::PTR),
        QCLASS::CLASS(CLASS::IN),
        false,
    ));
    p.build_bytes_vec().map_err(|e| e.to_string())
}

/// Read a datagram that came back for the mDNS probe: `Ok(description)` for
/// a DNS response (the PTR targets it names), `Err(why not)` otherwise.
pub fn read_mdns_answer(bytes: &[u8]) -> Result<String, String> {
    use simple_dns::rdata::RData;
    use simple_dns::{Packet, PacketFlag};
    let p = Packet::parse(bytes)
        .map_err(|e| format!("not DNS ({e}): {}", super::tls_probe::describe_bytes(bytes)))?;
    if !p.has_flags(PacketFlag::RESPONSE) {
        return Err("a DNS query, not a response".to_string());
    }
    let records = p.answers.len() + p.additional_records.len();
    let mut s = format!(
        "DNS response (id 0x{:04x}): {} answers, {} additional records",
        p.id(),
        p.answers.len(),
        p.additional_records.len()
    );
    let ptrs: Vec<String> = p
        .answers
        .iter()
        .chain(&p.additional_records)
        .filter_map(|r| match &r.rdata {
            RData::PTR(ptr) => Some(ptr.0.to_string()),
            _ => None,
        })
        .take(5)
        .collect();
    if !ptrs.is_empty() {
        s.push_str(&format!("; PTR {}", ptrs.join(", ")));
    } else if records == 0 {
        s.push_str(" (nothing registered for the question)");
    }
    Ok(s)
}

/// The mDNS probe ([`mdns_query`]): Open on a DNS response, Closed on a port
/// unreachable, NoAnswer otherwise.
pub async fn probe_mdns(addr: SocketAddr, timeout: Duration) -> (PortState, String) {
    let request = match mdns_query() {
        Ok(r) => r,
        Err(e) => return (PortState::Error(e.clone()), e),
    };
    udp_exchange(addr, &request, timeout, read_mdns_answer).await
}

/// printer-type of the probe's packet: CUPS_PRINTER_REMOTE (a printer, not a
/// class, shared by another host). cups-browsed ignores the type.
pub const BROWSE_TYPE: u32 = 0x2;
/// printer-state of the probe's packet: idle.
pub const BROWSE_STATE: u32 = 3;

/// The browse packet the probe sends for `uri`: type [`BROWSE_TYPE`], state
/// [`BROWSE_STATE`], location `paperjam`, info `paperjam security probe`,
/// make-and-model `paperjam probe`.
pub fn browse_packet(uri: &str) -> String {
    BrowsePacket {
        kind: BROWSE_TYPE,
        state: BROWSE_STATE,
        uri: uri.to_string(),
        location: "paperjam".to_string(),
        info: "paperjam security probe".to_string(),
        make_and_model: "paperjam probe".to_string(),
    }
    .to_packet()
}

/// What the cups-browsed probe sent and saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrowseProbe {
    /// The browse packet sent.
    pub packet: String,
    /// The first line of what connected back to the packet's URI
    /// (`POST /printers/paperjam-probe HTTP/1.1`), if anything did.
    pub called_back: Option<String>,
    /// An ICMP port unreachable came back for the packet.
    pub unreachable: bool,
}

/// The path of the probe printer in [`probe_cups_browsed`]'s URI.
pub const BROWSE_PRINTER_PATH: &str = "/printers/paperjam-probe";

/// Does the target's cups-browsed add printers from a browse packet
/// (CVE-2024-47176)?
///
/// Listens on TCP, on the local address the OS uses to reach `target` (port
/// 0: any free port), sends `target` a browse packet announcing
/// `ipp://LOCAL:PORT/printers/paperjam-probe`, and waits at most `timeout`
/// for a connection to the listener, then at most `timeout` for its first
/// line. Nothing is served back: the connection is closed after that line.
pub async fn probe_cups_browsed(target: SocketAddr, timeout: Duration) -> BrowseProbe {
    let mut probe = BrowseProbe {
        packet: String::new(),
        called_back: None,
        unreachable: false,
    };
    let socket = match connected_udp(target).await {
        Ok(s) => s,
        Err(_) => return probe,
    };
    let local_ip = match socket.local_addr() {
        Ok(a) => a.ip(),
        Err(_) => return probe,
    };
    let Ok(listener) = TcpListener::bind(SocketAddr::new(local_ip, 0)).await else {
        return probe;
    };
    let Ok(listen_addr) = listener.local_addr() else {
        return probe;
    };
    let uri = format!("ipp://{listen_addr}{BROWSE_PRINTER_PATH}");
    probe.packet = browse_packet(&uri);
    if let Err(e) = socket.send(probe.packet.as_bytes()).await {
        probe.unreachable = is_refused(&e);
        return probe;
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = vec![0u8; 2048];
    let mut stream = loop {
        tokio::select! {
            accepted = tokio::time::timeout_at(deadline, listener.accept()) => match accepted {
                Ok(Ok((stream, _))) => break stream,
                // A failed accept (the peer gave up): keep waiting.
                Ok(Err(_)) => continue,
                Err(_) => return probe,
            },
            got = socket.recv(&mut buf) => match got {
                Err(e) if is_refused(&e) => {
                    probe.unreachable = true;
                    return probe;
                }
                // A datagram back, or another error: keep waiting for the call.
                _ => continue,
            },
        }
    };
    probe.called_back = Some(first_line(&mut stream, timeout).await);
    probe
}

/// The first line a connection sends (at most [`FIRST_LINE_CAP`] bytes,
/// waiting at most `timeout`), or a note that it sent none.
async fn first_line(stream: &mut TcpStream, timeout: Duration) -> String {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut got = Vec::new();
    let mut chunk = [0u8; 512];
    while got.len() < FIRST_LINE_CAP && !got.contains(&b'\n') {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&got);
    let line = text.lines().next().unwrap_or_default().trim_end();
    if line.is_empty() {
        "(a connection that sent nothing)".to_string()
    } else {
        line.chars().take(300).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use paperjam_sim::snmp::Value;
    use proptest::prelude::*;
    use tokio::io::AsyncWriteExt;

    const T: Duration = Duration::from_secs(5);
    /// For probes that must end in silence.
    const SHORT: Duration = Duration::from_millis(300);

    #[test]
    fn kinds_names_and_serde() {
        for k in ServiceKind::ALL {
            assert_eq!(ServiceKind::from_name(k.name()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::from(k.name())
            );
            assert!(!k.risk().is_empty() && !k.default_ports().is_empty());
        }
        assert_eq!(
            ServiceKind::from_name("Browse"),
            Some(ServiceKind::CupsBrowsed)
        );
        assert_eq!(ServiceKind::CupsBrowsed.transport(), Transport::Udp);
        assert_eq!(ServiceKind::Raw.default_ports(), &[9100, 9101, 9102]);
        assert_eq!(serde_json::to_value(Transport::Tcp).unwrap(), "tcp");
        assert_eq!(
            serde_json::to_value(PortState::NoAnswer).unwrap(),
            "no-answer"
        );
        assert!(ServiceKind::CupsBrowsed.risk().contains("CVE-2024-47176"));
    }

    #[test]
    fn ipp_only_plan() {
        let plan = PortPlan::ipp_only(8631, 9);
        for k in ServiceKind::ALL {
            let want = if k == ServiceKind::Ipp { 8631 } else { 9 };
            assert_eq!(plan.ports(k), vec![want], "{k}");
        }
    }

    #[test]
    fn standard_plan_and_overrides() {
        let mut plan = PortPlan::standard();
        assert_eq!(plan.entries.len(), 9);
        assert_eq!(plan.entries[0], (ServiceKind::Ipp, 631));
        assert_eq!(plan.ports(ServiceKind::CupsBrowsed), vec![631]);

        for (flag, kind, ports) in [
            ("raw=9100,9101", ServiceKind::Raw, vec![9100, 9101]),
            ("snmp=16161", ServiceKind::Snmp, vec![16161]),
            ("ipp=8631", ServiceKind::Ipp, vec![8631]),
            ("browse=631", ServiceKind::CupsBrowsed, vec![631]),
            ("cups-browsed=1631", ServiceKind::CupsBrowsed, vec![1631]),
            ("mdns=none", ServiceKind::Mdns, vec![]),
            ("lpd=", ServiceKind::Lpd, vec![]),
            (" RAW = 9100 , 9200 ", ServiceKind::Raw, vec![9100, 9200]),
        ] {
            assert_eq!(parse_override(flag), Ok((kind, ports)), "{flag}");
        }
        for bad in [
            "raw",
            "printer=1",
            "raw=0",
            "raw=70000",
            "raw=9100,,9101",
            "raw=x",
        ] {
            assert!(parse_override(bad).is_err(), "{bad}");
        }

        plan.set(ServiceKind::Raw, vec![9200, 9200, 9100]);
        plan.set(ServiceKind::Mdns, vec![]);
        assert_eq!(plan.ports(ServiceKind::Raw), vec![9200, 9100]);
        assert!(plan.ports(ServiceKind::Mdns).is_empty());
        // Still in kind order.
        let kinds: Vec<_> = plan.entries.iter().map(|(k, _)| *k).collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        assert_eq!(kinds, sorted);
    }

    #[test]
    fn browse_packet_format() {
        assert_eq!(
            browse_packet("ipp://127.0.0.1:4000/printers/paperjam-probe"),
            "2 3 ipp://127.0.0.1:4000/printers/paperjam-probe \"paperjam\" \"paperjam security probe\" \"paperjam probe\"\n"
        );
    }

    #[test]
    fn parse_browse_packets_as_cups_browsed_does() {
        // As cups-browsed's own broadcast_browse_packets writes them.
        let p = parse_browse_packet(
            "1006 3 ipp://192.0.2.4:631/printers/Office \"2nd floor\" \"Office printer\" \"HP LaserJet\" lease-duration=600 uuid=urn:uuid:1\n",
        )
        .unwrap();
        assert_eq!(
            p,
            BrowsePacket {
                kind: 0x1006,
                state: 3,
                uri: "ipp://192.0.2.4:631/printers/Office".into(),
                location: "2nd floor".into(),
                info: "Office printer".into(),
                make_and_model: "HP LaserJet".into(),
            }
        );
        // The quoted fields are optional; an unterminated one runs to the end.
        let p = parse_browse_packet("0 3 http://x/printers/a").unwrap();
        assert_eq!(
            (p.kind, p.state, p.uri.as_str()),
            (0, 3, "http://x/printers/a")
        );
        assert_eq!(p.location, "");
        let p = parse_browse_packet("0x2 0x5 u \"here\" \"unterminated").unwrap();
        assert_eq!((p.kind, p.state, p.info.as_str()), (2, 5, "unterminated"));
        for bad in [
            "",
            "3",
            "3 3",
            "3 3 ",
            "zz 3 uri",
            "3 q uri",
            "ffffffffff 3 uri",
        ] {
            assert_eq!(parse_browse_packet(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn browse_packet_round_trip(
            kind in any::<u32>(),
            state in any::<u32>(),
            uri in "[!-~]{1,80}",
            location in "[^\"\r\n\0]{0,40}",
            info in "[^\"\r\n\0]{0,40}",
            make_and_model in "[^\"\r\n\0]{0,40}",
        ) {
            let p = BrowsePacket { kind, state, uri, location, info, make_and_model };
            prop_assert_eq!(parse_browse_packet(&p.to_packet()), Some(p));
        }

        #[test]
        fn parse_browse_packet_never_panics(s in "\\PC{0,200}") {
            let _ = parse_browse_packet(&s);
        }

        #[test]
        fn readers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = read_snmp_answer(&bytes);
            let _ = read_mdns_answer(&bytes);
        }
    }

    #[test]
    fn snmp_request_is_a_v2c_get_for_sys_descr() {
        let bytes = snmp_request(7).unwrap();
        let m = message::decode(&bytes).unwrap();
        assert_eq!(m.version, Version::V2c);
        assert_eq!(m.community, b"public");
        assert_eq!(m.pdu.kind, PduKind::Get);
        assert_eq!(m.pdu.varbinds[0].oid.to_string(), "1.3.6.1.2.1.1.1.0");
        // A request is SNMP too, as far as the reader cares.
        assert!(read_snmp_answer(&bytes).is_ok());
        let v3 = super::super::snmp_v3::discovery_request(1);
        assert!(read_snmp_answer(&v3).unwrap().contains("SNMPv3"));
        assert!(read_snmp_answer(b"hello").is_err());
    }

    #[test]
    fn mdns_query_shape() {
        let bytes = mdns_query().unwrap();
        let p = simple_dns::Packet::parse(&bytes).unwrap();
        assert_eq!(p.id(), MDNS_QUERY_ID);
        assert_eq!(p.questions.len(), 1);
        assert_eq!(p.questions[0].qname.to_string(), MDNS_SERVICE);
        assert!(!p.questions[0].unicast_response);
        assert!(read_mdns_answer(&bytes).is_err(), "a query is no answer");
    }

    // ---- live, on 127.0.0.1 ------------------------------------------------

    async fn closed_tcp_port() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    }

    async fn closed_udp_port() -> SocketAddr {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.local_addr().unwrap()
    }

    /// A UDP responder answering each datagram with `answer(datagram)`.
    async fn udp_responder(answer: fn(&[u8]) -> Option<Vec<u8>>) -> SocketAddr {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = s.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65_535];
            while let Ok((n, from)) = s.recv_from(&mut buf).await {
                if let Some(reply) = answer(&buf[..n]) {
                    let _ = s.send_to(&reply, from).await;
                }
            }
        });
        addr
    }

    fn snmp_agent(request: &[u8]) -> Option<Vec<u8>> {
        let mut m = message::decode(request).ok()?;
        m.pdu.kind = PduKind::Response;
        m.pdu.varbinds[0].value = VarValue::Value(Value::text("paperjam test printer"));
        message::encode(&m).ok()
    }

    fn mdns_responder(query: &[u8]) -> Option<Vec<u8>> {
        use simple_dns::rdata::{RData, PTR};
        use simple_dns::{Name, Packet, ResourceRecord, CLASS};
        let q = Packet::parse(query).ok()?;
        let mut p = Packet::new_reply(q.id());
        p.questions = q.questions.clone();
        p.answers.push(ResourceRecord::new(
            Name::new_unchecked(MDNS_SERVICE),
            CLASS::IN,
            10,
            RData::PTR(PTR(Name::new_unchecked("Test Printer._ipp._tcp.local"))),
        ));
        p.build_bytes_vec().ok()
    }

    #[tokio::test]
    async fn scan_tcp_open_and_closed() {
        let open = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open_port = open.local_addr().unwrap().port();
        let closed_port = closed_tcp_port().await.port();
        let plan = PortPlan {
            entries: vec![
                (ServiceKind::Ipp, open_port),
                (ServiceKind::Raw, closed_port),
            ],
        };
        let rows = scan("127.0.0.1".parse().unwrap(), &plan, T).await;
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].service, rows[0].port),
            (ServiceKind::Ipp, open_port)
        );
        assert_eq!(rows[0].state, PortState::Open);
        assert_eq!(rows[0].transport, Transport::Tcp);
        assert_eq!(rows[0].risk, ServiceKind::Ipp.risk());
        assert_eq!(rows[1].state, PortState::Closed, "{:?}", rows[1]);
        let json = serde_json::to_value(&rows).unwrap();
        assert_eq!(json[0]["service"], "ipp");
        assert_eq!(json[1]["state"], "closed");
    }

    #[tokio::test]
    async fn snmp_probe_open_only_on_snmp() {
        let agent = udp_responder(snmp_agent).await;
        let (state, evidence) = probe_snmp(agent, T).await;
        assert_eq!(state, PortState::Open);
        assert!(evidence.contains("paperjam test printer"), "{evidence}");
        assert!(evidence.contains("Response"), "{evidence}");

        let garbage = udp_responder(|_| Some(b"hello".to_vec())).await;
        let (state, evidence) = probe_snmp(garbage, SHORT).await;
        assert_eq!(state, PortState::NoAnswer);
        assert!(evidence.contains("not SNMP"), "{evidence}");

        let silent = udp_responder(|_| None).await;
        assert_eq!(probe_snmp(silent, SHORT).await.0, PortState::NoAnswer);

        let closed = closed_udp_port().await;
        assert_eq!(probe_snmp(closed, T).await.0, PortState::Closed);
    }

    #[tokio::test]
    async fn mdns_probe() {
        let responder = udp_responder(mdns_responder).await;
        let (state, evidence) = probe_mdns(responder, T).await;
        assert_eq!(state, PortState::Open);
        assert!(
            evidence.contains("Test Printer._ipp._tcp.local"),
            "{evidence}"
        );
        assert!(evidence.contains("0x1234"), "{evidence}");

        // Its own query echoed back is not an answer.
        let echo = udp_responder(|q| Some(q.to_vec())).await;
        assert_eq!(probe_mdns(echo, SHORT).await.0, PortState::NoAnswer);
    }

    /// A vulnerable cups-browsed: it reads the packet and connects to the
    /// printer it announces, posting an IPP request.
    async fn vulnerable_browsed() -> SocketAddr {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = s.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            let (n, _) = s.recv_from(&mut buf).await.unwrap();
            let p = parse_browse_packet(&String::from_utf8_lossy(&buf[..n])).unwrap();
            let rest = p.uri.strip_prefix("ipp://").unwrap();
            let (authority, path) = rest.split_at(rest.find('/').unwrap());
            let target: SocketAddr = authority.parse().unwrap();
            let mut c = TcpStream::connect(target).await.unwrap();
            let req = format!(
                "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/ipp\r\n\r\n"
            );
            c.write_all(req.as_bytes()).await.unwrap();
            let _ = c.read(&mut buf).await;
        });
        addr
    }

    #[tokio::test]
    async fn cups_browsed_calls_back() {
        let target = vulnerable_browsed().await;
        let probe = probe_cups_browsed(target, T).await;
        assert_eq!(
            probe.called_back.as_deref(),
            Some("POST /printers/paperjam-probe HTTP/1.1")
        );
        assert!(!probe.unreachable);
        assert!(
            probe.packet.starts_with("2 3 ipp://127.0.0.1:"),
            "{}",
            probe.packet
        );

        let target = vulnerable_browsed().await;
        let plan = PortPlan {
            entries: vec![(ServiceKind::CupsBrowsed, target.port())],
        };
        let rows = scan(target.ip(), &plan, T).await;
        assert_eq!(rows[0].state, PortState::Open, "{:?}", rows[0]);
        assert!(rows[0].evidence.contains("POST /printers/paperjam-probe"));
    }

    #[tokio::test]
    async fn cups_browsed_silent_or_closed() {
        let ignoring = udp_responder(|_| None).await;
        let probe = probe_cups_browsed(ignoring, SHORT).await;
        assert_eq!(probe.called_back, None);
        assert!(!probe.unreachable);
        assert!(parse_browse_packet(&probe.packet).is_some());

        let closed = closed_udp_port().await;
        let probe = probe_cups_browsed(closed, T).await;
        assert_eq!(probe.called_back, None);
        assert!(probe.unreachable);
        let (state, _) = probe_browsed_state(closed).await;
        assert_eq!(state, PortState::Closed);
    }

    async fn probe_browsed_state(addr: SocketAddr) -> (PortState, String) {
        probe(ServiceKind::CupsBrowsed, addr, T).await
    }
}
