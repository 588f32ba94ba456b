//! The mDNS / DNS-SD responder (RFC 6762, RFC 6763): a sans-IO core that
//! advertises the virtual printer's services the way a network printer does.
//!
//! # The sans-IO contract
//!
//! [`Responder`] owns no socket and reads no clock. It is driven by three
//! inputs and yields datagrams to send ([`Transmit`]):
//!
//! - [`Responder::handle_packet`]`(bytes, from, now)`: a datagram received on
//!   the mDNS port; returns what must go out at once (unicast and legacy
//!   answers, probe defences). Answers that RFC 6762 §6 delays (20–120 ms for
//!   shared records) are queued.
//! - [`Responder::poll_timeout`]: when the next timer is due (a probe, an
//!   announcement, a delayed answer); `None` once stopped.
//! - [`Responder::handle_timeout`]`(now)`: call it at (or after) that time;
//!   returns what goes out then.
//! - [`Responder::shutdown`]`(now)`: goodbye packets (TTL 0), then the
//!   responder is stopped.
//!
//! Call order: after [`Responder::new`], call `poll_timeout` after every
//! `handle_*`, and `handle_timeout` when it is due. The same inputs at the
//! same times give the same bytes: every random delay comes from a seeded
//! [`crate::fault::rng::SeededRng`]. [`crate::net::mdns`] is the tokio side;
//! tests drive it on a virtual clock.
//!
//! # What it advertises
//!
//! An [`Announcement`] is built from the printer profile and the services that
//! run ([`RunningServices`]): `_ipp._tcp` (with `_print` and `_universal`
//! subtypes), `_ipps._tcp` (with `_print`), `_printer._tcp` (LPD) and
//! `_pdl-datastream._tcp` (AppSocket), each only when it runs; PTR records from
//! `_services._dns-sd._udp.local`, PTR, SRV and TXT per service, A/AAAA and
//! NSEC for the host. TXT keys follow the Bonjour Printing Specification 1.2.1
//! and PWG 5100.14 and are computed by the pure [`txt_for_service`], so a
//! conformance suite can compare them with the IPP attributes.
//!
//! # Behaviour (RFC 6762)
//!
//! Probing (§8.1), simultaneous-probe tie-breaking (§8.2), announcing (§8.3),
//! conflict resolution and renaming (§9), QM / QU / legacy unicast answers
//! (§5.4, §6, §6.7), known-answer suppression (§7.1), duplicate-answer
//! suppression (§7.4), rate limiting (§6), additional records (RFC 6763 §12),
//! negative answers (NSEC, §6.1), goodbyes (§10.1), TTLs (§10). Each rule is
//! quoted where the responder enforces it.
//!
//! # Misbehaviour on purpose
//!
//! [`MdnsQuirks`] makes the responder break the rules in the ways real printers
//! do: wrong TTLs, no goodbye, TXT keys missing or contradicting IPP, a wrong
//! SRV port, flooding, never defending its name.
//!
//! # Untrusted input
//!
//! Every received datagram first goes through [`guard::precheck`], which walks
//! the DNS structure and bounds name decompression; only then is it given to
//! `simple-dns`. A dropped datagram is counted by reason in [`MdnsStats`];
//! nothing received can make the responder panic.

mod announce;
pub mod guard;
mod records;
mod responder;
mod txt;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub use announce::{
    Announcement, AnnouncementError, LpdAd, RunningServices, ServiceAd, ServiceKind,
};
pub use guard::{DropReason, PacketError};
pub use responder::{MdnsQuirks, MdnsStats, Responder, ResponderConfig, ResponderState};
pub use txt::{paper_max, txt_for_service, urf_for_profile, TxtRecord};

/// The mDNS UDP port (RFC 6762 §3).
pub const MDNS_PORT: u16 = 5353;
/// The IPv4 mDNS group, 224.0.0.251 (RFC 6762 §3).
pub const MDNS_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
/// The IPv6 mDNS group, ff02::fb (RFC 6762 §3).
pub const MDNS_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xfb);

/// TTL of records that carry a host name (A, AAAA, SRV, and the host NSEC):
/// 120 s (RFC 6762 §10).
pub const HOST_TTL: u32 = 120;
/// TTL of every other record (PTR, TXT): 75 minutes (RFC 6762 §10).
pub const OTHER_TTL: u32 = 4500;
/// Largest TTL in a legacy unicast answer (RFC 6762 §6.7).
pub const LEGACY_TTL: u32 = 10;

/// Where a datagram goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dest {
    /// The IPv4 group 224.0.0.251, on the mDNS port.
    MulticastV4,
    /// The IPv6 group ff02::fb, on the mDNS port.
    MulticastV6,
    /// One host: a QU answer, a legacy unicast answer.
    Unicast(SocketAddr),
}

impl Dest {
    /// The multicast destination of the family of `addr`.
    pub fn multicast_for(addr: IpAddr) -> Dest {
        match addr {
            IpAddr::V4(_) => Dest::MulticastV4,
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => Dest::MulticastV4,
            IpAddr::V6(_) => Dest::MulticastV6,
        }
    }

    /// Whether this is one of the two multicast groups.
    pub fn is_multicast(&self) -> bool {
        matches!(self, Dest::MulticastV4 | Dest::MulticastV6)
    }
}

/// One datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to.
    pub to: Dest,
    /// The whole DNS message.
    pub bytes: Vec<u8>,
}

/// The invariants the `mdns_packet` fuzz target checks on arbitrary bytes:
///
/// - a responder that has announced (the default profile, every service)
///   takes the bytes as a multicast datagram from port 5353, as a legacy
///   unicast query from another port, and over IPv6, without a panic;
/// - every datagram received is counted once: handled, or dropped with a
///   reason;
/// - everything it sends parses back as a DNS message;
/// - the guard and `simple-dns` agree: what the guard refuses is never
///   handled, what it lets through either parses or is counted as malformed.
///
/// # Panics
/// Only when an invariant is broken.
pub fn fuzz_packet(data: &[u8]) {
    responder::fuzz_packet(data);
}

/// The mDNS quirks among the quirks in force, as the responder applies them.
pub fn quirks_from_active(quirks: &[crate::fault::quirk::Quirk]) -> MdnsQuirks {
    use crate::fault::quirk::{is_raised, QuirkKind as K};
    let mut q = MdnsQuirks::default();
    if is_raised(quirks, K::MdnsWrongTtl) {
        q.ttl = Some(1);
    }
    q.no_goodbye = is_raised(quirks, K::MdnsNoGoodbye);
    if is_raised(quirks, K::MdnsMissingTxtKeys) {
        q.drop_txt_keys = vec!["pdl".into(), "UUID".into(), "rp".into()];
    }
    if is_raised(quirks, K::MdnsTxtContradictsIpp) {
        q.pdl_extra = Some("application/postscript".into());
    }
    if is_raised(quirks, K::MdnsWrongPort) {
        q.srv_port_shift = 1;
    }
    if is_raised(quirks, K::MdnsFlood) {
        q.flood_copies = 4;
        q.unsolicited_every_ms = Some(1000);
    }
    q.no_defend = is_raised(quirks, K::MdnsNoDefend);
    q
}
