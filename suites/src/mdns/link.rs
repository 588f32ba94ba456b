//! Where the runner's mDNS datagrams go: a [`Link`].
//!
//! - [`Link::Udp`]: real multicast UDP, 224.0.0.251:5353 (and ff02::fb with
//!   IPv6), on one interface, with a second socket on an ephemeral port for
//!   legacy unicast queries (RFC 6762 §6.7). Time is the wall clock.
//! - [`Link::Memory`]: a [`Responder`] of the virtual printer in memory, on a
//!   simulated clock that moves only when the runner waits: every run is the
//!   same bytes at the same (virtual) times, and a second of listening costs
//!   nothing. `lo` has no multicast, so this is how the suite's own tests
//!   reach a virtual printer; it is also the one link whose target the runner
//!   can switch off (to hear its goodbyes).
//!
//! Link time is a [`Duration`] since the link opened.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

use paperjam_sim::mdns::{
    Announcement, Dest, Responder, ResponderConfig, ResponderState, MDNS_GROUP_V4, MDNS_GROUP_V6,
    MDNS_PORT,
};
use paperjam_sim::model::clock::SimTime;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

/// How a datagram reached the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// On the mDNS port (multicast; a QU answer would come here too).
    Multicast,
    /// On the legacy socket's ephemeral port: a unicast answer.
    Unicast,
}

/// A datagram heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    /// Link time it arrived.
    pub at: Duration,
    /// Who sent it.
    pub from: SocketAddr,
    /// Which socket got it.
    pub via: Via,
    /// The DNS message.
    pub bytes: Vec<u8>,
}

/// The virtual printer's responder, as a factory of fresh in-memory links:
/// each link gets a responder of its own, started at simulated time zero and
/// run until its announcements are over (as a printer that has been on for a
/// while), so cases never see each other's traffic and a case may switch its
/// printer off.
#[derive(Debug, Clone)]
pub struct VirtualPrinter {
    /// What it advertises.
    pub announcement: Announcement,
    /// Seed and quirks (IPv6 is turned off: the link is IPv4).
    pub config: ResponderConfig,
}

/// Simulated time a fresh responder runs before the runner starts listening:
/// probing (up to 1 s) and the two announcements (1 s apart) are over.
pub const SETTLE: Duration = Duration::from_secs(5);

impl VirtualPrinter {
    /// An in-memory link to a fresh responder.
    pub fn link(&self) -> MemoryLink {
        let mut cfg = self.config.clone();
        cfg.ipv6 = false;
        cfg.mdns_port = MDNS_PORT;
        let mut r = Responder::new(self.announcement.clone(), cfg, SimTime::ZERO);
        let settle = SimTime(u64::try_from(SETTLE.as_millis()).unwrap_or(u64::MAX));
        while let Some(t) = r.poll_timeout() {
            if t > settle {
                break;
            }
            r.handle_timeout(t);
        }
        let target = match self.announcement.addrs.first() {
            Some(a) => SocketAddr::new(*a, MDNS_PORT),
            None => SocketAddr::from((Ipv4Addr::LOCALHOST, MDNS_PORT)),
        };
        MemoryLink {
            responder: r,
            start: settle,
            now: Duration::ZERO,
            queue: VecDeque::new(),
            me: SocketAddr::from((Ipv4Addr::new(127, 0, 0, 9), MDNS_PORT)),
            legacy: SocketAddr::from((Ipv4Addr::new(127, 0, 0, 9), 49_152)),
            target,
        }
    }
}

/// A responder in memory on a simulated clock.
#[derive(Debug)]
pub struct MemoryLink {
    responder: Responder,
    /// Simulated time at link time zero.
    start: SimTime,
    now: Duration,
    queue: VecDeque<Heard>,
    /// The runner's address on the mDNS port.
    me: SocketAddr,
    /// The runner's legacy (ephemeral) address.
    legacy: SocketAddr,
    /// The responder's address.
    target: SocketAddr,
}

impl MemoryLink {
    fn sim(&self, at: Duration) -> SimTime {
        self.start.after(Duration::from_millis(
            u64::try_from(at.as_millis()).unwrap_or(u64::MAX),
        ))
    }

    fn deliver(&mut self, out: Vec<paperjam_sim::mdns::Transmit>) {
        for t in out {
            let via = match t.to {
                Dest::MulticastV4 => Via::Multicast,
                // The link is IPv4 only.
                Dest::MulticastV6 => continue,
                Dest::Unicast(to) if to == self.legacy => Via::Unicast,
                Dest::Unicast(to) if to == self.me => Via::Multicast,
                Dest::Unicast(_) => continue,
            };
            self.queue.push_back(Heard {
                at: self.now,
                from: self.target,
                via,
                bytes: t.bytes,
            });
        }
    }

    /// The responder (for tests).
    pub fn responder(&self) -> &Responder {
        &self.responder
    }
}

/// A real network link: multicast sockets on one interface.
#[derive(Debug)]
pub struct UdpLink {
    mdns4: UdpSocket,
    legacy4: UdpSocket,
    mdns6: Option<(UdpSocket, u32)>,
    port: u16,
    start: tokio::time::Instant,
    what: String,
}

/// Which interface a [`UdpLink`] uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interface {
    /// By name (`eth0`, `vA`).
    Name(String),
    /// By one of its IPv4 addresses.
    Addr(Ipv4Addr),
}

impl Interface {
    /// A name or an IPv4 address.
    pub fn parse(s: &str) -> Interface {
        match s.parse::<Ipv4Addr>() {
            Ok(a) => Interface::Addr(a),
            Err(_) => Interface::Name(s.to_string()),
        }
    }
}

/// How to open a [`UdpLink`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpLinkConfig {
    /// The interface; `None`: the OS's default multicast route.
    pub interface: Option<Interface>,
    /// Also query and listen on ff02::fb.
    pub ipv6: bool,
    /// The mDNS port (5353; another only for tests).
    pub port: u16,
}

impl Default for UdpLinkConfig {
    fn default() -> Self {
        UdpLinkConfig {
            interface: None,
            ipv6: false,
            port: MDNS_PORT,
        }
    }
}

fn io_err(step: &str) -> impl Fn(io::Error) -> String + '_ {
    move |e| format!("mDNS socket: {step}: {e}")
}

/// The IPv4 address and index of an interface.
fn interface_info(i: &Interface) -> Result<(Ipv4Addr, u32, String), String> {
    let ifs = if_addrs::get_if_addrs().map_err(io_err("list interfaces"))?;
    let found = ifs.iter().find(|x| match (i, x.ip()) {
        (Interface::Name(n), IpAddr::V4(_)) => &x.name == n,
        (Interface::Addr(a), IpAddr::V4(v4)) => v4 == *a,
        _ => false,
    });
    let Some(found) = found else {
        let names: Vec<String> = ifs
            .iter()
            .filter(|x| x.ip().is_ipv4())
            .map(|x| format!("{} ({})", x.name, x.ip()))
            .collect();
        return Err(format!(
            "no interface {} with an IPv4 address; there are: {}",
            match i {
                Interface::Name(n) => n.clone(),
                Interface::Addr(a) => a.to_string(),
            },
            names.join(", ")
        ));
    };
    let IpAddr::V4(v4) = found.ip() else {
        return Err("not IPv4".into());
    };
    Ok((v4, found.index.unwrap_or(0), found.name.clone()))
}

impl UdpLink {
    /// Open the sockets: one on the mDNS port (`SO_REUSEADDR`/`SO_REUSEPORT`,
    /// so a responder on this host keeps its own) joined to 224.0.0.251 on the
    /// interface, multicast loopback off, TTL 255 (RFC 6762 §11); one on an
    /// ephemeral port for legacy queries; and with `ipv6` the same on ff02::fb.
    pub fn open(cfg: &UdpLinkConfig) -> Result<UdpLink, String> {
        let iface = cfg.interface.as_ref().map(interface_info).transpose()?;
        let common = |s: &Socket| -> Result<(), String> {
            s.set_nonblocking(true).map_err(io_err("non-blocking"))?;
            #[cfg(target_os = "linux")]
            if let Some((_, _, name)) = &iface {
                // Needs CAP_NET_RAW; the group and IP_MULTICAST_IF pick the
                // interface without it.
                let _ = s.bind_device(Some(name.as_bytes()));
            }
            Ok(())
        };
        let v4 = |port: u16, join: bool| -> Result<UdpSocket, String> {
            let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
                .map_err(io_err("socket"))?;
            if join {
                s.set_reuse_address(true).map_err(io_err("SO_REUSEADDR"))?;
                #[cfg(unix)]
                s.set_reuse_port(true).map_err(io_err("SO_REUSEPORT"))?;
            }
            common(&s)?;
            let bind = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port);
            s.bind(&SocketAddr::V4(bind).into())
                .map_err(io_err("bind"))?;
            let addr = iface.as_ref().map_or(Ipv4Addr::UNSPECIFIED, |(a, _, _)| *a);
            if join {
                s.join_multicast_v4(&MDNS_GROUP_V4, &addr)
                    .map_err(io_err("join 224.0.0.251"))?;
                #[cfg(target_os = "linux")]
                s.set_multicast_all_v4(false)
                    .map_err(io_err("IP_MULTICAST_ALL"))?;
            }
            if !addr.is_unspecified() {
                s.set_multicast_if_v4(&addr)
                    .map_err(io_err("IP_MULTICAST_IF"))?;
            }
            s.set_multicast_loop_v4(false)
                .map_err(io_err("IP_MULTICAST_LOOP"))?;
            s.set_multicast_ttl_v4(255)
                .map_err(io_err("IP_MULTICAST_TTL"))?;
            s.set_ttl_v4(255).map_err(io_err("IP_TTL"))?;
            UdpSocket::from_std(s.into()).map_err(io_err("tokio"))
        };
        let mdns4 = v4(cfg.port, true)?;
        let legacy4 = v4(0, false)?;
        let mdns6 = if cfg.ipv6 {
            let index = iface.as_ref().map_or(0, |(_, i, _)| *i);
            let s = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))
                .map_err(io_err("socket"))?;
            s.set_only_v6(true).map_err(io_err("IPV6_V6ONLY"))?;
            s.set_reuse_address(true).map_err(io_err("SO_REUSEADDR"))?;
            #[cfg(unix)]
            s.set_reuse_port(true).map_err(io_err("SO_REUSEPORT"))?;
            common(&s)?;
            let bind = SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, cfg.port, 0, 0);
            s.bind(&SocketAddr::V6(bind).into())
                .map_err(io_err("bind"))?;
            s.join_multicast_v6(&MDNS_GROUP_V6, index)
                .map_err(io_err("join ff02::fb"))?;
            if index != 0 {
                s.set_multicast_if_v6(index)
                    .map_err(io_err("IPV6_MULTICAST_IF"))?;
            }
            s.set_multicast_loop_v6(false)
                .map_err(io_err("IPV6_MULTICAST_LOOP"))?;
            s.set_multicast_hops_v6(255)
                .map_err(io_err("IPV6_MULTICAST_HOPS"))?;
            Some((
                UdpSocket::from_std(s.into()).map_err(io_err("tokio"))?,
                index,
            ))
        } else {
            None
        };
        let what = format!(
            "multicast UDP {}:{}{} on {}",
            MDNS_GROUP_V4,
            cfg.port,
            if cfg.ipv6 { " and [ff02::fb]" } else { "" },
            iface
                .as_ref()
                .map_or("the default interface".to_string(), |(a, _, n)| format!(
                    "{n} ({a})"
                ))
        );
        Ok(UdpLink {
            mdns4,
            legacy4,
            mdns6,
            port: cfg.port,
            start: tokio::time::Instant::now(),
            what,
        })
    }
}

/// Receives on `sock`, or waits for ever when there is none.
async fn recv6(sock: Option<&(UdpSocket, u32)>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    match sock {
        Some((s, _)) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

/// Where the runner's datagrams go.
#[derive(Debug)]
pub enum Link {
    /// Real multicast UDP.
    Udp(UdpLink),
    /// A virtual printer's responder in memory.
    Memory(Box<MemoryLink>),
}

impl Link {
    /// Link time now.
    pub fn now(&self) -> Duration {
        match self {
            Link::Udp(u) => u.start.elapsed(),
            Link::Memory(m) => m.now,
        }
    }

    /// What the link is, for reports.
    pub fn describe(&self) -> String {
        match self {
            Link::Udp(u) => u.what.clone(),
            Link::Memory(m) => format!(
                "the virtual printer's mDNS responder in memory ({}), on a simulated clock",
                m.target.ip()
            ),
        }
    }

    /// The runner's own address on the mDNS port, as the target sees it.
    pub fn local_description(&self, legacy: bool) -> String {
        match self {
            Link::Udp(u) => {
                let s = if legacy { &u.legacy4 } else { &u.mdns4 };
                s.local_addr().map_or("?".into(), |a| a.to_string())
            }
            Link::Memory(m) => (if legacy { m.legacy } else { m.me }).to_string(),
        }
    }

    /// Multicast `bytes` to the group, from the mDNS port, or with `legacy`
    /// from the ephemeral port (a legacy unicast query, RFC 6762 §6.7).
    pub async fn send(&mut self, bytes: &[u8], legacy: bool) -> Result<(), String> {
        match self {
            Link::Udp(u) => {
                let to = SocketAddr::V4(SocketAddrV4::new(MDNS_GROUP_V4, u.port));
                let s = if legacy { &u.legacy4 } else { &u.mdns4 };
                s.send_to(bytes, to).await.map_err(io_err("send"))?;
                if let (false, Some((s6, index))) = (legacy, &u.mdns6) {
                    let to6 = SocketAddr::V6(SocketAddrV6::new(MDNS_GROUP_V6, u.port, 0, *index));
                    s6.send_to(bytes, to6).await.map_err(io_err("send IPv6"))?;
                }
                Ok(())
            }
            Link::Memory(m) => {
                let from = if legacy { m.legacy } else { m.me };
                let out = m.responder.handle_packet(bytes, from, m.sim(m.now));
                m.deliver(out);
                Ok(())
            }
        }
    }

    /// The next datagram heard before link time `deadline`, or `None` when
    /// it passes in silence. A socket error ends the wait with the error.
    pub async fn recv_until(&mut self, deadline: Duration) -> Result<Option<Heard>, String> {
        match self {
            Link::Udp(u) => {
                let mut b4 = vec![0u8; 9000];
                let mut bl = vec![0u8; 9000];
                let mut b6 = vec![0u8; 9000];
                let at = u.start + deadline;
                let got = tokio::time::timeout_at(at, async {
                    tokio::select! {
                        r = u.mdns4.recv_from(&mut b4) => r.map(|(n, f)| (b4[..n].to_vec(), f, Via::Multicast)),
                        r = u.legacy4.recv_from(&mut bl) => r.map(|(n, f)| (bl[..n].to_vec(), f, Via::Unicast)),
                        r = recv6(u.mdns6.as_ref(), &mut b6) => r.map(|(n, f)| (b6[..n].to_vec(), f, Via::Multicast)),
                    }
                })
                .await;
                match got {
                    Err(_) => Ok(None),
                    Ok(Ok((bytes, from, via))) => Ok(Some(Heard {
                        at: u.start.elapsed(),
                        from,
                        via,
                        bytes,
                    })),
                    Ok(Err(e)) => Err(format!("mDNS socket: receive: {e}")),
                }
            }
            Link::Memory(m) => loop {
                if let Some(h) = m.queue.pop_front() {
                    return Ok(Some(h));
                }
                let until = m.sim(deadline);
                match m.responder.poll_timeout() {
                    Some(t) if t <= until => {
                        let at = t.since(m.start);
                        m.now = m.now.max(at);
                        let out = m.responder.handle_timeout(t);
                        m.deliver(out);
                    }
                    _ => {
                        m.now = m.now.max(deadline);
                        return Ok(None);
                    }
                }
            },
        }
    }

    /// Whether the runner controls the target's life (and so may switch it
    /// off to hear its goodbyes): only the virtual printer's in-memory link.
    pub fn controls_target(&self) -> bool {
        matches!(self, Link::Memory(_))
    }

    /// Switch the target off, cleanly (it says goodbye if it does).
    pub fn stop_target(&mut self) -> Result<(), String> {
        match self {
            Link::Memory(m) => {
                let out = m.responder.shutdown(m.sim(m.now));
                m.deliver(out);
                Ok(())
            }
            Link::Udp(_) => Err("the runner does not control this target's life".into()),
        }
    }

    /// For the in-memory link: whether its responder has announced.
    pub fn target_announced(&self) -> Option<bool> {
        match self {
            Link::Memory(m) => Some(m.responder.state() == ResponderState::Announced),
            Link::Udp(_) => None,
        }
    }
}
