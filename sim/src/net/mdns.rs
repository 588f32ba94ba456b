//! The mDNS responder's tokio layer: UDP port 5353, the multicast groups, the
//! responder's timers on tokio time, goodbyes on shutdown.
//!
//! It does nothing but pump: each datagram received goes to
//! [`Responder::handle_packet`], each timer to [`Responder::handle_timeout`],
//! and every [`crate::mdns::Transmit`] they return is sent. Simulated time is
//! the time since [`serve_mdns`] started, so build the responder at
//! [`SimTime::ZERO`]. Under `tokio::time::pause()` the timers run on the
//! paused clock.
//!
//! Sockets (RFC 6762 §11, §15): one per family, bound to the wildcard address
//! on the mDNS port with `SO_REUSEADDR` and `SO_REUSEPORT` (so avahi or
//! mDNSResponder on the same host can keep theirs), joined to 224.0.0.251
//! and/or ff02::fb on the chosen interface, multicast loopback off (the
//! responder must not hear its own probes), TTL / hop limit 255 on multicast
//! and unicast. On Linux `IP_MULTICAST_ALL` is turned off, so the socket only
//! gets the groups it joined on its own interface.
//!
//! An error sending or receiving one datagram (an ICMP unreachable from a
//! legacy querier that went away, a route that vanished) is logged and
//! skipped: the responder keeps serving. Only setting the sockets up fails.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::mdns::{Dest, MdnsQuirks, Responder, Transmit, MDNS_GROUP_V4, MDNS_GROUP_V6, MDNS_PORT};
use crate::model::clock::SimTime;

/// Largest mDNS datagram (RFC 6762 §17: 9000 bytes including headers).
const MAX_DATAGRAM: usize = 9000;

/// Which interface the responder serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdnsInterface {
    /// By name (`eth0`, `vA`): the groups are joined on it, and on Linux the
    /// sockets are bound to it when allowed (`SO_BINDTODEVICE` needs
    /// `CAP_NET_RAW`). The index is read from `/sys/class/net/NAME/ifindex`.
    Name(String),
    /// By one of its IPv4 addresses (IPv4 only; IPv6 then uses the OS's
    /// default interface).
    Addr(Ipv4Addr),
}

/// How the socket layer is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnsNetConfig {
    /// The interface; `None` leaves the choice to the OS (its default
    /// multicast route).
    pub interface: Option<MdnsInterface>,
    /// Serve over IPv4 (224.0.0.251).
    pub ipv4: bool,
    /// Serve over IPv6 (ff02::fb).
    pub ipv6: bool,
    /// The UDP port: 5353, or another for tests that must not meet a real
    /// responder.
    pub port: u16,
}

impl Default for MdnsNetConfig {
    fn default() -> Self {
        MdnsNetConfig {
            interface: None,
            ipv4: true,
            ipv6: false,
            port: MDNS_PORT,
        }
    }
}

/// Why the mDNS sockets could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MdnsNetError {
    /// Neither IPv4 nor IPv6 was asked for.
    #[error("mDNS needs IPv4, IPv6 or both")]
    NoFamily,
    /// The named interface does not exist (or its index cannot be read).
    #[error("no network interface '{name}': {source}")]
    NoSuchInterface {
        /// The name given.
        name: String,
        /// What reading its index said.
        source: io::Error,
    },
    /// A socket call failed.
    #[error("mDNS {family} socket on port {port}: {step}: {source}")]
    Socket {
        /// `IPv4` or `IPv6`.
        family: &'static str,
        /// The port.
        port: u16,
        /// The step that failed (bind, join the group, …).
        step: &'static str,
        /// What the OS said.
        source: io::Error,
    },
}

/// The index of interface `name` (Linux: from sysfs; no `unsafe` needed).
fn interface_index(name: &str) -> Result<u32, MdnsNetError> {
    let not_found = |source| MdnsNetError::NoSuchInterface {
        name: name.to_string(),
        source,
    };
    if name.is_empty() || name.contains('/') || name.contains("..") {
        return Err(not_found(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not an interface name",
        )));
    }
    let text =
        std::fs::read_to_string(format!("/sys/class/net/{name}/ifindex")).map_err(not_found)?;
    text.trim()
        .parse::<u32>()
        .map_err(|e| not_found(io::Error::new(io::ErrorKind::InvalidData, e)))
}

struct Setup<'a> {
    cfg: &'a MdnsNetConfig,
    index: Option<u32>,
    /// An IPv4 address of ours, for `IP_MULTICAST_IF` when the interface is
    /// named and the socket cannot be bound to the device.
    fallback_v4: Option<Ipv4Addr>,
}

impl Setup<'_> {
    fn err(&self, family: &'static str, step: &'static str) -> impl Fn(io::Error) -> MdnsNetError {
        let port = self.cfg.port;
        move |source| MdnsNetError::Socket {
            family,
            port,
            step,
            source,
        }
    }

    fn common(&self, s: &Socket, family: &'static str) -> Result<(), MdnsNetError> {
        s.set_reuse_address(true)
            .map_err(self.err(family, "SO_REUSEADDR"))?;
        #[cfg(unix)]
        s.set_reuse_port(true)
            .map_err(self.err(family, "SO_REUSEPORT"))?;
        s.set_nonblocking(true)
            .map_err(self.err(family, "non-blocking"))?;
        #[cfg(target_os = "linux")]
        if let Some(MdnsInterface::Name(name)) = &self.cfg.interface {
            // Needs CAP_NET_RAW; without it the group membership and
            // IP_MULTICAST_IF still pick the interface.
            if let Err(e) = s.bind_device(Some(name.as_bytes())) {
                tracing::debug!(interface = %name, error = %e, "mDNS: SO_BINDTODEVICE refused");
            }
        }
        Ok(())
    }

    fn open_v4(&self) -> Result<UdpSocket, MdnsNetError> {
        const F: &str = "IPv4";
        let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
            .map_err(self.err(F, "socket"))?;
        self.common(&s, F)?;
        let bind = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, self.cfg.port));
        s.bind(&bind.into()).map_err(self.err(F, "bind"))?;
        match (&self.cfg.interface, self.index) {
            (Some(MdnsInterface::Addr(a)), _) => {
                s.join_multicast_v4(&MDNS_GROUP_V4, a)
                    .map_err(self.err(F, "join 224.0.0.251"))?;
                s.set_multicast_if_v4(a)
                    .map_err(self.err(F, "IP_MULTICAST_IF"))?;
            }
            (Some(MdnsInterface::Name(_)), Some(index)) => {
                s.join_multicast_v4_n(
                    &MDNS_GROUP_V4,
                    &socket2::InterfaceIndexOrAddress::Index(index),
                )
                .map_err(self.err(F, "join 224.0.0.251"))?;
                if let Some(a) = self.fallback_v4 {
                    if let Err(e) = s.set_multicast_if_v4(&a) {
                        tracing::debug!(addr = %a, error = %e, "mDNS: IP_MULTICAST_IF refused");
                    }
                }
            }
            _ => {
                s.join_multicast_v4(&MDNS_GROUP_V4, &Ipv4Addr::UNSPECIFIED)
                    .map_err(self.err(F, "join 224.0.0.251"))?;
            }
        }
        s.set_multicast_loop_v4(false)
            .map_err(self.err(F, "IP_MULTICAST_LOOP"))?;
        s.set_multicast_ttl_v4(255)
            .map_err(self.err(F, "IP_MULTICAST_TTL"))?;
        s.set_ttl_v4(255).map_err(self.err(F, "IP_TTL"))?;
        #[cfg(target_os = "linux")]
        s.set_multicast_all_v4(false)
            .map_err(self.err(F, "IP_MULTICAST_ALL"))?;
        UdpSocket::from_std(s.into()).map_err(self.err(F, "tokio"))
    }

    fn open_v6(&self) -> Result<UdpSocket, MdnsNetError> {
        const F: &str = "IPv6";
        let s = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))
            .map_err(self.err(F, "socket"))?;
        s.set_only_v6(true).map_err(self.err(F, "IPV6_V6ONLY"))?;
        self.common(&s, F)?;
        let bind = SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::UNSPECIFIED,
            self.cfg.port,
            0,
            0,
        ));
        s.bind(&bind.into()).map_err(self.err(F, "bind"))?;
        let index = self.index.unwrap_or(0);
        s.join_multicast_v6(&MDNS_GROUP_V6, index)
            .map_err(self.err(F, "join ff02::fb"))?;
        if index != 0 {
            s.set_multicast_if_v6(index)
                .map_err(self.err(F, "IPV6_MULTICAST_IF"))?;
        }
        s.set_multicast_loop_v6(false)
            .map_err(self.err(F, "IPV6_MULTICAST_LOOP"))?;
        s.set_multicast_hops_v6(255)
            .map_err(self.err(F, "IPV6_MULTICAST_HOPS"))?;
        s.set_unicast_hops_v6(255)
            .map_err(self.err(F, "IPV6_UNICAST_HOPS"))?;
        #[cfg(target_os = "linux")]
        s.set_multicast_all_v6(false)
            .map_err(self.err(F, "IPV6_MULTICAST_ALL"))?;
        UdpSocket::from_std(s.into()).map_err(self.err(F, "tokio"))
    }
}

/// Receives on `sock`, or waits for ever when there is none.
async fn recv_on(sock: Option<&UdpSocket>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    match sock {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

/// Waits until `deadline`, or for ever when there is none.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

struct Sockets {
    v4: Option<UdpSocket>,
    v6: Option<UdpSocket>,
    port: u16,
    index: u32,
}

impl Sockets {
    async fn send(&self, t: &Transmit) {
        let (sock, to) = match t.to {
            Dest::MulticastV4 => (
                self.v4.as_ref(),
                SocketAddr::V4(SocketAddrV4::new(MDNS_GROUP_V4, self.port)),
            ),
            Dest::MulticastV6 => (
                self.v6.as_ref(),
                SocketAddr::V6(SocketAddrV6::new(MDNS_GROUP_V6, self.port, 0, self.index)),
            ),
            Dest::Unicast(addr) => match addr.ip() {
                IpAddr::V4(_) => (self.v4.as_ref(), addr),
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => (
                        self.v4.as_ref(),
                        SocketAddr::new(IpAddr::V4(v4), addr.port()),
                    ),
                    None => (self.v6.as_ref(), addr),
                },
            },
        };
        let Some(sock) = sock else {
            tracing::debug!(?to, "mDNS: no socket of that family; datagram not sent");
            return;
        };
        if let Err(e) = sock.send_to(&t.bytes, to).await {
            tracing::debug!(%to, error = %e, "mDNS: send failed");
        }
    }

    async fn send_all(&self, out: &[Transmit]) {
        for t in out {
            self.send(t).await;
        }
    }
}

/// The datagram faults in force (drop, delay, duplicate, truncate) and the
/// seeded random source they draw from.
pub type DatagramSource = (
    watch::Receiver<Arc<[crate::fault::datagram::DatagramFault]>>,
    crate::fault::SeededRng,
);

/// Send `out` through the datagram faults: dropped, cut, doubled or late.
async fn send_faulted(
    sockets: &Arc<Sockets>,
    out: Vec<Transmit>,
    faults: &mut Option<crate::fault::datagram::DatagramFaults>,
) {
    let Some(f) = faults.as_mut().filter(|f| !f.faults().is_empty()) else {
        sockets.send_all(&out).await;
        return;
    };
    for t in out {
        for (after, bytes) in f.apply(&t.bytes) {
            let t = Transmit { to: t.to, bytes };
            if after.is_zero() {
                sockets.send(&t).await;
            } else {
                let s = sockets.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    s.send(&t).await;
                });
            }
        }
    }
}

/// Serves `responder` until `shutdown` turns `true` (or its sender is
/// dropped), then sends its goodbyes and returns.
///
/// Simulated time is the time since this call; build the responder at
/// [`SimTime::ZERO`]. The responder's multicast families and mDNS port are
/// set from `cfg` ([`Responder::set_families`], [`Responder::set_mdns_port`]).
pub async fn serve_mdns(
    cfg: MdnsNetConfig,
    responder: Responder,
    shutdown: watch::Receiver<bool>,
) -> Result<(), MdnsNetError> {
    serve_mdns_with(cfg, responder, shutdown, None, None).await
}

/// Where a running responder reads the quirks in force before each packet
/// and timer (the live fault state of a virtual printer).
pub type QuirkSource = Arc<dyn Fn() -> MdnsQuirks + Send + Sync>;

/// [`serve_mdns`], with the responder's quirks read from `quirks` as it
/// goes, and what it sends passed through the datagram faults of
/// `datagrams` (a virtual printer's live fault state).
pub async fn serve_mdns_with(
    cfg: MdnsNetConfig,
    mut responder: Responder,
    mut shutdown: watch::Receiver<bool>,
    quirks: Option<QuirkSource>,
    datagrams: Option<DatagramSource>,
) -> Result<(), MdnsNetError> {
    if !cfg.ipv4 && !cfg.ipv6 {
        return Err(MdnsNetError::NoFamily);
    }
    let index = match &cfg.interface {
        Some(MdnsInterface::Name(name)) => Some(interface_index(name)?),
        _ => None,
    };
    let fallback_v4 = responder.announcement().addrs.iter().find_map(|a| match a {
        IpAddr::V4(v4) if !v4.is_loopback() => Some(*v4),
        _ => None,
    });
    let setup = Setup {
        cfg: &cfg,
        index,
        fallback_v4,
    };
    let (mut faults_rx, mut faults) = match datagrams {
        Some((rx, rng)) => {
            let list = rx.borrow().to_vec();
            (
                Some(rx),
                Some(crate::fault::datagram::DatagramFaults::new(list, rng)),
            )
        }
        None => (None, None),
    };
    let sockets = Arc::new(Sockets {
        v4: if cfg.ipv4 {
            Some(setup.open_v4()?)
        } else {
            None
        },
        v6: if cfg.ipv6 {
            Some(setup.open_v6()?)
        } else {
            None
        },
        port: cfg.port,
        index: index.unwrap_or(0),
    });
    responder.set_families(cfg.ipv4, cfg.ipv6);
    responder.set_mdns_port(cfg.port);
    tracing::info!(
        port = cfg.port,
        instance = responder.instance_name(),
        host = responder.host_name(),
        "mDNS responder started"
    );

    let start = Instant::now();
    let sim_now = || SimTime(u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX));
    let mut buf4 = vec![0u8; MAX_DATAGRAM];
    let mut buf6 = vec![0u8; MAX_DATAGRAM];
    loop {
        if *shutdown.borrow() {
            break;
        }
        if let Some(q) = &quirks {
            responder.set_quirks(q());
        }
        let deadline = responder
            .poll_timeout()
            .map(|t| start + Duration::from_millis(t.as_millis()));
        let out = tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break;
                }
                continue;
            }
            got = recv_on(sockets.v4.as_ref(), &mut buf4) => match got {
                Ok((n, from)) => responder.handle_packet(&buf4[..n], from, sim_now()),
                Err(e) => {
                    tracing::debug!(error = %e, "mDNS: IPv4 receive failed");
                    Vec::new()
                }
            },
            got = recv_on(sockets.v6.as_ref(), &mut buf6) => match got {
                Ok((n, from)) => responder.handle_packet(&buf6[..n], from, sim_now()),
                Err(e) => {
                    tracing::debug!(error = %e, "mDNS: IPv6 receive failed");
                    Vec::new()
                }
            },
            () = sleep_until(deadline) => responder.handle_timeout(sim_now()),
        };
        if let (Some(rx), Some(f)) = (faults_rx.as_mut(), faults.as_mut()) {
            if rx.has_changed().unwrap_or(false) {
                f.replace(rx.borrow_and_update().to_vec());
            }
        }
        send_faulted(&sockets, out, &mut faults).await;
    }
    let goodbyes = responder.shutdown(sim_now());
    send_faulted(&sockets, goodbyes.clone(), &mut faults).await;
    tracing::info!(goodbyes = goodbyes.len(), "mDNS responder stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::net::UdpSocket as StdUdp;

    use simple_dns::{Name, Packet, Question, CLASS, QCLASS, QTYPE, TYPE};

    use super::*;
    use crate::mdns::{Announcement, ResponderConfig, RunningServices};
    use crate::profile::Profile;

    /// A UDP port nobody else in this test binary uses.
    fn free_port() -> u16 {
        StdUdp::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn responder() -> Responder {
        let p = Profile::default_profile().unwrap();
        let ann = Announcement::from_profile(
            &p,
            &RunningServices::none().with_ipp(8631, false),
            "paperjam-laser",
            vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        )
        .unwrap();
        Responder::new(ann, ResponderConfig::default(), SimTime::ZERO)
    }

    fn legacy_query() -> Vec<u8> {
        let mut q = Packet::new_query(0x5151);
        q.questions.push(Question::new(
            Name::new_unchecked("_ipp._tcp.local"),
            QTYPE::TYPE(TYPE::PTR),
            QCLASS::CLASS(CLASS::IN),
            false,
        ));
        q.build_bytes_vec().unwrap()
    }

    #[test]
    fn bad_configs_are_refused() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (_tx, rx) = watch::channel(false);
        let cfg = MdnsNetConfig {
            ipv4: false,
            ipv6: false,
            ..MdnsNetConfig::default()
        };
        let r = rt.block_on(serve_mdns(cfg, responder(), rx.clone()));
        assert!(matches!(r, Err(MdnsNetError::NoFamily)));
        let cfg = MdnsNetConfig {
            interface: Some(MdnsInterface::Name("no-such-if0".into())),
            port: free_port(),
            ..MdnsNetConfig::default()
        };
        let r = rt.block_on(serve_mdns(cfg, responder(), rx.clone()));
        assert!(
            matches!(r, Err(MdnsNetError::NoSuchInterface { .. })),
            "{r:?}"
        );
        assert!(matches!(
            interface_index("../etc"),
            Err(MdnsNetError::NoSuchInterface { .. })
        ));
    }

    /// Over loopback: a legacy unicast query is answered from the mDNS port,
    /// with its ID, and shutdown ends the task. (Multicast on `lo` may be
    /// refused by the OS; those sends are logged and skipped.)
    #[tokio::test]
    async fn answers_a_legacy_query_and_stops() {
        let port = free_port();
        let cfg = MdnsNetConfig {
            interface: Some(MdnsInterface::Addr(Ipv4Addr::LOCALHOST)),
            port,
            ..MdnsNetConfig::default()
        };
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(serve_mdns(cfg, responder(), rx));
        let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut buf = vec![0u8; MAX_DATAGRAM];
        // Before the responder has announced it answers nothing; ask until it does.
        let mut answer = None;
        for _ in 0..50 {
            client.send_to(&legacy_query(), to).await.unwrap();
            if let Ok(Ok((n, from))) =
                tokio::time::timeout(Duration::from_millis(200), client.recv_from(&mut buf)).await
            {
                answer = Some((buf[..n].to_vec(), from));
                break;
            }
        }
        let (bytes, from) = answer.expect("no answer to a legacy query within 10 s");
        assert_eq!(from.port(), port);
        let p = Packet::parse(&bytes).unwrap();
        assert_eq!(p.id(), 0x5151);
        assert!(!p.answers.is_empty());
        assert!(p.answers.iter().all(|a| a.ttl <= 10 && !a.cache_flush));
        tx.send(true).unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(5), task).await;
        assert!(matches!(ended, Ok(Ok(Ok(())))), "{ended:?}");
    }

    /// The datagram faults act on what the responder sends: under `drop`
    /// nothing comes back; cleared, the answers come again.
    #[tokio::test]
    async fn datagram_faults_act_on_answers() {
        use crate::fault::datagram::DatagramFault;
        let port = free_port();
        let cfg = MdnsNetConfig {
            interface: Some(MdnsInterface::Addr(Ipv4Addr::LOCALHOST)),
            port,
            ..MdnsNetConfig::default()
        };
        let (faults_tx, faults_rx) = watch::channel::<Arc<[DatagramFault]>>(Arc::from(Vec::new()));
        let (tx, rx) = watch::channel(false);
        let rng = crate::fault::SeededRng::new(7);
        let task = tokio::spawn(serve_mdns_with(
            cfg,
            responder(),
            rx,
            None,
            Some((faults_rx, rng)),
        ));
        let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let mut ask = async |tries: usize| {
            for _ in 0..tries {
                client.send_to(&legacy_query(), to).await.unwrap();
                if let Ok(Ok(_)) =
                    tokio::time::timeout(Duration::from_millis(200), client.recv_from(&mut buf))
                        .await
                {
                    return true;
                }
            }
            false
        };
        assert!(ask(50).await, "no answer to a legacy query within 10 s");
        let drop: DatagramFault = "drop".parse().unwrap();
        faults_tx.send(Arc::from(vec![drop])).unwrap();
        // An answer to an earlier query may still sit in the client's
        // socket: read it away before counting.
        let _ = ask(1).await;
        assert!(!ask(3).await, "answered under drop");
        faults_tx.send(Arc::from(Vec::new())).unwrap();
        let _ = ask(1).await;
        assert!(ask(10).await, "no answer once drop is cleared");
        tx.send(true).unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(5), task).await;
        assert!(matches!(ended, Ok(Ok(Ok(())))), "{ended:?}");
    }
}
