//! A frame's link and IP layers → a [`TcpSegment`], a [`Datagram`] or
//! [`Packet::Other`].
//!
//! Link types read: Ethernet (with any number of 802.1Q / 802.1ad / QinQ
//! tags, up to four), Linux cooked capture v1 (SLL) and v2 (SLL2), BSD
//! null and OpenBSD loop (the 4-byte address family in either byte order:
//! `AF_INET` is 2, `AF_INET6` is 24, 28 or 30 depending on the BSD), raw IP,
//! and the IPv4-only and IPv6-only link types. Any other link type gives
//! [`Packet::Other`] and one warning per link type, not one per frame.
//!
//! The contract: [`Decoder::decode`] is a pure function of the frames fed so
//! far (the fragment pool is its only state, bounded by [`DecoderLimits`]);
//! it never panics and never fails — what it cannot read becomes a
//! [`Warning`] naming the frame and [`Packet::Other`].
//!
//! Lengths come from the IP header, not from the frame: Ethernet padding is
//! dropped, and a payload cut by the snapshot length keeps its wire length
//! in [`TcpSegment::wire_len`] (the segment's bytes are what was captured).
//! Checksums are not checked: captures on the sending host carry the
//! offloaded, unfilled ones.
//!
//! IP fragments go to an [`etherparse::defrag::IpDefragPool`]; a set not
//! complete within [`DecoderLimits::fragment_timeout`] of capture time, or
//! pushed out by [`DecoderLimits::max_fragment_bytes`] /
//! [`DecoderLimits::max_fragment_sets`], is dropped with a warning.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use etherparse::defrag::IpDefragPool;
use etherparse::{
    IpNumber, Ipv6ExtensionSlice, LaxIpPayloadSlice, LaxIpSlice, NetSlice, SlicedPacket, TcpSlice,
    UdpSlice,
};

use super::read::FrameRef;
use super::{Datagram, Frame, Packet, TcpSegment, Warning};

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86DD;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88A8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const MAX_VLAN_TAGS: usize = 4;

/// Link type numbers (tcpdump.org's LINKTYPE_* values).
mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    /// DLT_RAW as some systems wrote it into files.
    pub const RAW_12: u32 = 12;
    /// DLT_RAW as OpenBSD wrote it into files.
    pub const RAW_14: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

/// How much the fragment pool may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderLimits {
    /// An incomplete fragment set older than this (capture time, from its
    /// first fragment) is dropped. Linux's `ipfrag_time` is 30 s.
    pub fragment_timeout: Duration,
    /// The most bytes all incomplete sets may span together; beyond it the
    /// oldest sets are dropped.
    pub max_fragment_bytes: usize,
    /// The most incomplete sets at once; beyond it the oldest are dropped.
    pub max_fragment_sets: usize,
}

impl Default for DecoderLimits {
    fn default() -> Self {
        DecoderLimits {
            fragment_timeout: Duration::from_secs(30),
            max_fragment_bytes: 8 * 1024 * 1024,
            max_fragment_sets: 1024,
        }
    }
}

/// Identifies one fragmented packet (the same fields the pool keys on).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FragKey {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
    vlan: u32,
}

/// What the decoder knows of an incomplete fragment set.
#[derive(Debug, Clone, Copy)]
struct Pending {
    first_ts: Duration,
    first_frame: u64,
    fragments: u32,
    /// The furthest byte any fragment reached: what the pool's buffer spans.
    extent: usize,
}

/// Decodes frames' link and IP layers, putting IP fragments back together.
/// See the module docs.
#[derive(Debug)]
pub struct Decoder {
    limits: DecoderLimits,
    pool: IpDefragPool<FragKey, u32>,
    pending: HashMap<FragKey, Pending>,
    pending_bytes: usize,
    /// Link types already warned about.
    unknown_links: Vec<u32>,
    /// When pending sets were last checked for age.
    last_sweep: Duration,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DecoderLimits::default())
    }
}

/// Where the IP packet starts in a frame, and the VLAN tags it came under.
struct IpStart<'a> {
    bytes: &'a [u8],
    vlan: u32,
}

impl Decoder {
    /// A decoder with these fragment limits.
    pub fn new(limits: DecoderLimits) -> Self {
        Decoder {
            limits,
            pool: IpDefragPool::new(),
            pending: HashMap::new(),
            pending_bytes: 0,
            unknown_links: Vec::new(),
            last_sweep: Duration::ZERO,
        }
    }

    /// Decodes an owned frame. See [`Decoder::decode_ref`].
    pub fn decode(&mut self, frame: &Frame, warnings: &mut Vec<Warning>) -> Packet {
        self.decode_ref(FrameRef::from(frame), warnings)
    }

    /// Decodes one frame; problems are pushed to `warnings`.
    pub fn decode_ref(&mut self, frame: FrameRef<'_>, warnings: &mut Vec<Warning>) -> Packet {
        // Sets age in capture time; look at them once a second of it.
        if !self.pending.is_empty() && frame.ts.abs_diff(self.last_sweep) >= Duration::from_secs(1)
        {
            self.last_sweep = frame.ts;
            self.expire(frame.ts, warnings);
        }
        let Some(ip) = self.link_payload(&frame, warnings) else {
            return Packet::Other;
        };
        self.decode_ip(&frame, ip, warnings)
    }

    /// Drops every incomplete fragment set, with a warning for each: call
    /// at the end of the capture.
    pub fn finish(&mut self, warnings: &mut Vec<Warning>) {
        let all: Vec<FragKey> = self.pending.keys().cloned().collect();
        self.drop_sets(&all, "the capture ended first", warnings);
    }

    /// Strips the link layer: the IP packet inside, if there is one.
    fn link_payload<'a>(
        &mut self,
        frame: &FrameRef<'a>,
        warnings: &mut Vec<Warning>,
    ) -> Option<IpStart<'a>> {
        let data = frame.data;
        let n = frame.number;
        let code = u32::from(frame.link);
        let short = |warnings: &mut Vec<Warning>, what: &str, need: usize| {
            warnings.push(Warning::at(
                n,
                format!(
                    "{what} header cut short: {} bytes captured, {need} needed",
                    data.len()
                ),
            ));
        };
        match code {
            linktype::ETHERNET => {
                if data.len() < 14 {
                    short(warnings, "Ethernet", 14);
                    return None;
                }
                let ether_type = u16::from_be_bytes([data[12], data[13]]);
                ethertype_payload(n, ether_type, &data[14..], warnings)
            }
            linktype::LINUX_SLL => {
                if data.len() < 16 {
                    short(warnings, "Linux cooked (SLL)", 16);
                    return None;
                }
                let protocol = u16::from_be_bytes([data[14], data[15]]);
                ethertype_payload(n, protocol, &data[16..], warnings)
            }
            linktype::LINUX_SLL2 => {
                if data.len() < 20 {
                    short(warnings, "Linux cooked v2 (SLL2)", 20);
                    return None;
                }
                let protocol = u16::from_be_bytes([data[0], data[1]]);
                ethertype_payload(n, protocol, &data[20..], warnings)
            }
            linktype::NULL | linktype::LOOP => {
                if data.len() < 4 {
                    short(warnings, "BSD loopback", 4);
                    return None;
                }
                let raw = [data[0], data[1], data[2], data[3]];
                // Host byte order of the capturing machine for NULL, network
                // order for LOOP, and writers disagree: take whichever
                // reading is a small number.
                let le = u32::from_le_bytes(raw);
                let family = if le <= 0xFFFF {
                    le
                } else {
                    u32::from_be_bytes(raw)
                };
                match family {
                    2 | 24 | 28 | 30 => Some(IpStart {
                        bytes: &data[4..],
                        vlan: 0,
                    }),
                    _ => None,
                }
            }
            linktype::RAW | linktype::RAW_12 | linktype::RAW_14 => {
                match data.first().map(|b| b >> 4) {
                    Some(4 | 6) => Some(IpStart {
                        bytes: data,
                        vlan: 0,
                    }),
                    Some(v) => {
                        warnings.push(Warning::at(n, format!("raw IP frame with IP version {v}")));
                        None
                    }
                    None => {
                        short(warnings, "raw IP", 1);
                        None
                    }
                }
            }
            linktype::IPV4 | linktype::IPV6 => {
                let want = if code == linktype::IPV4 { 4 } else { 6 };
                match data.first().map(|b| b >> 4) {
                    Some(v) if v == want => Some(IpStart {
                        bytes: data,
                        vlan: 0,
                    }),
                    Some(v) => {
                        warnings.push(Warning::at(
                            n,
                            format!("IP version {v} on an IPv{want}-only link"),
                        ));
                        None
                    }
                    None => {
                        short(warnings, "IP", 1);
                        None
                    }
                }
            }
            other => {
                if !self.unknown_links.contains(&other) {
                    self.unknown_links.push(other);
                    warnings.push(Warning::at(
                        n,
                        format!(
                            "link type {other} ({:?}) is not decoded: its frames are skipped \
                             (this is the first one)",
                            frame.link
                        ),
                    ));
                }
                None
            }
        }
    }

    fn decode_ip(
        &mut self,
        frame: &FrameRef<'_>,
        ip: IpStart<'_>,
        warnings: &mut Vec<Warning>,
    ) -> Packet {
        let n = frame.number;
        let (slice, ext_err) = match LaxIpSlice::from_slice(ip.bytes) {
            Ok(v) => v,
            Err(e) => {
                warnings.push(Warning::at(n, format!("bad IP header: {e}")));
                return Packet::Other;
            }
        };
        if slice.is_fragmenting_payload() {
            return self.defragment(frame, ip, warnings);
        }
        let payload = slice.payload();
        if payload.ip_number != IpNumber::TCP && payload.ip_number != IpNumber::UDP {
            if let Some((e, _)) = ext_err {
                warnings.push(Warning::at(n, format!("bad IPv6 extension header: {e}")));
            }
            return Packet::Other;
        }
        let src = slice.source_addr();
        let dst = slice.destination_addr();
        let ip_wire = ip_payload_wire_len(&slice, ip.bytes, payload);
        transport(
            n,
            frame.ts,
            src,
            dst,
            payload.ip_number,
            payload.payload,
            payload.incomplete,
            ip_wire,
            warnings,
        )
    }

    /// Feeds a fragment to the pool; the whole packet when it completes.
    fn defragment(
        &mut self,
        frame: &FrameRef<'_>,
        ip: IpStart<'_>,
        warnings: &mut Vec<Warning>,
    ) -> Packet {
        let n = frame.number;
        let sliced = match SlicedPacket::from_ip(ip.bytes) {
            Ok(s) => s,
            Err(e) => {
                warnings.push(Warning::at(
                    n,
                    format!("IP fragment cannot be read ({e}): dropped"),
                ));
                return Packet::Other;
            }
        };
        let Some((key, end)) = frag_key(&sliced, ip.vlan) else {
            return Packet::Other;
        };
        if !self.pending.contains_key(&key) {
            self.make_room(warnings);
        }
        match self
            .pool
            .process_sliced_packet(&sliced, key.clone(), ip.vlan)
        {
            Ok(Some(whole)) => {
                if let Some(p) = self.pending.remove(&key) {
                    self.pending_bytes = self.pending_bytes.saturating_sub(p.extent);
                }
                let len = whole.payload.len();
                let packet = transport(
                    n,
                    frame.ts,
                    key.src,
                    key.dst,
                    whole.ip_number,
                    &whole.payload,
                    false,
                    len,
                    warnings,
                );
                self.pool.return_buf(whole);
                packet
            }
            Ok(None) => {
                let p = self.pending.entry(key).or_insert(Pending {
                    first_ts: frame.ts,
                    first_frame: n,
                    fragments: 0,
                    extent: 0,
                });
                p.fragments += 1;
                if end > p.extent {
                    self.pending_bytes += end - p.extent;
                    p.extent = end;
                }
                Packet::Other
            }
            Err(e) => {
                warnings.push(Warning::at(n, format!("IP fragment rejected: {e}")));
                Packet::Other
            }
        }
    }

    /// Drops sets older than the timeout.
    fn expire(&mut self, now: Duration, warnings: &mut Vec<Warning>) {
        let timeout = self.limits.fragment_timeout;
        let old: Vec<FragKey> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.first_ts) > timeout)
            .map(|(k, _)| k.clone())
            .collect();
        if !old.is_empty() {
            let why = format!("not complete within {} s", timeout.as_secs_f64());
            self.drop_sets(&old, &why, warnings);
        }
    }

    /// Before a new set: when over a limit, drops the oldest sets, down to
    /// seven eighths of the limits (so a flood costs little per frame).
    fn make_room(&mut self, warnings: &mut Vec<Warning>) {
        // A new set may span up to 64 KiB.
        let room = 65_535;
        let (max_sets, max_bytes) = (
            self.limits.max_fragment_sets,
            self.limits.max_fragment_bytes,
        );
        if self.pending.len() < max_sets && self.pending_bytes + room <= max_bytes {
            return;
        }
        let sets_goal = (max_sets - max_sets / 8).max(1);
        let bytes_goal = max_bytes - max_bytes / 8;
        let mut by_age: Vec<(Duration, u64, FragKey, usize)> = self
            .pending
            .iter()
            .map(|(k, p)| (p.first_ts, p.first_frame, k.clone(), p.extent))
            .collect();
        by_age.sort_by_key(|(ts, frame, _, _)| (*ts, *frame));
        let mut count = self.pending.len();
        let mut bytes = self.pending_bytes;
        let mut victims = Vec::new();
        for (_, _, k, extent) in by_age {
            if count < sets_goal && bytes + room <= bytes_goal {
                break;
            }
            count -= 1;
            bytes = bytes.saturating_sub(extent);
            victims.push(k);
        }
        let why = format!("more than {max_sets} sets or {max_bytes} bytes of fragments pending");
        self.drop_sets(&victims, &why, warnings);
    }

    fn drop_sets(&mut self, keys: &[FragKey], why: &str, warnings: &mut Vec<Warning>) {
        if keys.is_empty() {
            return;
        }
        for k in keys {
            if let Some(p) = self.pending.remove(k) {
                self.pending_bytes = self.pending_bytes.saturating_sub(p.extent);
                warnings.push(Warning::at(
                    p.first_frame,
                    format!(
                        "incomplete IP fragments dropped ({} → {}, id {:#x}, {} fragments, \
                         {} bytes): {why}",
                        k.src, k.dst, k.id, p.fragments, p.extent
                    ),
                ));
            }
        }
        // The pool's timestamp is the set's key: keep those still pending.
        let pending = &self.pending;
        self.pool.retain(|k| pending.contains_key(k));
    }
}

/// The IP packet after an ethertype, through any VLAN tags.
fn ethertype_payload<'a>(
    frame: u64,
    mut ether_type: u16,
    mut rest: &'a [u8],
    warnings: &mut Vec<Warning>,
) -> Option<IpStart<'a>> {
    let mut vlan = 0u32;
    let mut tags = 0;
    while matches!(
        ether_type,
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
    ) {
        if tags == MAX_VLAN_TAGS {
            warnings.push(Warning::at(
                frame,
                format!("more than {MAX_VLAN_TAGS} VLAN tags"),
            ));
            return None;
        }
        if rest.len() < 4 {
            warnings.push(Warning::at(
                frame,
                format!(
                    "VLAN tag cut short: {} bytes captured, 4 needed",
                    rest.len()
                ),
            ));
            return None;
        }
        let vid = u32::from(u16::from_be_bytes([rest[0], rest[1]]) & 0x0FFF);
        vlan = (vlan << 12) ^ vid;
        ether_type = u16::from_be_bytes([rest[2], rest[3]]);
        rest = &rest[4..];
        tags += 1;
    }
    match ether_type {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Some(IpStart { bytes: rest, vlan }),
        _ => None,
    }
}

/// The fragment's set and how far into the packet it reaches.
fn frag_key(sliced: &SlicedPacket<'_>, vlan: u32) -> Option<(FragKey, usize)> {
    match &sliced.net {
        Some(NetSlice::Ipv4(v4)) => {
            let h = v4.header();
            let payload = v4.payload();
            let end = usize::from(h.fragments_offset().byte_offset()) + payload.payload.len();
            Some((
                FragKey {
                    src: IpAddr::from(h.source_addr()),
                    dst: IpAddr::from(h.destination_addr()),
                    id: u32::from(h.identification()),
                    proto: payload.ip_number.0,
                    vlan,
                },
                end,
            ))
        }
        Some(NetSlice::Ipv6(v6)) => {
            let h = v6.header();
            let payload = v6.payload();
            let frag = v6.extensions().clone().into_iter().find_map(|e| match e {
                Ipv6ExtensionSlice::Fragment(f) => Some(f),
                _ => None,
            })?;
            let end = usize::from(frag.fragment_offset().byte_offset()) + payload.payload.len();
            Some((
                FragKey {
                    src: IpAddr::from(h.source_addr()),
                    dst: IpAddr::from(h.destination_addr()),
                    id: frag.identification(),
                    proto: payload.ip_number.0,
                    vlan,
                },
                end,
            ))
        }
        _ => None,
    }
}

/// How long the IP payload was on the wire (the header's word, where the
/// capture has less).
fn ip_payload_wire_len(
    slice: &LaxIpSlice<'_>,
    ip_bytes: &[u8],
    payload: &LaxIpPayloadSlice<'_>,
) -> usize {
    if !payload.incomplete {
        return payload.payload.len();
    }
    // The payload is a sub-slice of `ip_bytes`: its offset is the length
    // of every header before it.
    let headers = (payload.payload.as_ptr() as usize).saturating_sub(ip_bytes.as_ptr() as usize);
    let declared = match slice {
        LaxIpSlice::Ipv4(v4) => usize::from(v4.header().total_len()),
        LaxIpSlice::Ipv6(v6) => match v6.header().payload_length() {
            0 => return payload.payload.len(),
            len => 40 + usize::from(len),
        },
    };
    declared.saturating_sub(headers).max(payload.payload.len())
}

/// The TCP or UDP layer.
#[allow(clippy::too_many_arguments)]
fn transport(
    n: u64,
    ts: Duration,
    src: IpAddr,
    dst: IpAddr,
    proto: IpNumber,
    bytes: &[u8],
    incomplete: bool,
    wire_len: usize,
    warnings: &mut Vec<Warning>,
) -> Packet {
    if proto == IpNumber::TCP {
        let tcp = match TcpSlice::from_slice(bytes) {
            Ok(t) => t,
            Err(e) => {
                let why = if incomplete {
                    format!("TCP header cut short by the snapshot length ({e})")
                } else {
                    format!("bad TCP header: {e}")
                };
                warnings.push(Warning::at(n, why));
                return Packet::Other;
            }
        };
        let payload = tcp.payload();
        let header_len = tcp.header_slice().len();
        Packet::Tcp(TcpSegment {
            frame: n,
            ts,
            src: SocketAddr::new(src, tcp.source_port()),
            dst: SocketAddr::new(dst, tcp.destination_port()),
            seq: tcp.sequence_number(),
            ack: tcp.ack().then(|| tcp.acknowledgment_number()),
            syn: tcp.syn(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            payload: payload.to_vec(),
            wire_len: wire_len.saturating_sub(header_len).max(payload.len()),
        })
    } else if proto == IpNumber::UDP {
        let udp = match UdpSlice::from_slice_lax(bytes) {
            Ok(u) => u,
            Err(e) => {
                let why = if incomplete {
                    format!("UDP header cut short by the snapshot length ({e})")
                } else {
                    format!("bad UDP header: {e}")
                };
                warnings.push(Warning::at(n, why));
                return Packet::Other;
            }
        };
        let payload = udp.payload();
        let declared = usize::from(udp.length());
        Packet::Udp(Datagram {
            frame: n,
            ts,
            src: SocketAddr::new(src, udp.source_port()),
            dst: SocketAddr::new(dst, udp.destination_port()),
            payload: payload.to_vec(),
            truncated: incomplete || declared > bytes.len(),
        })
    } else {
        Packet::Other
    }
}

#[cfg(test)]
mod tests {
    //! Every link type built by hand around etherparse-built IP packets.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use etherparse::{IpFragOffset, Ipv4Header, PacketBuilder};
    use pcap_file::DataLink;

    const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 1];
    const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 2];

    fn frame(link: DataLink, data: Vec<u8>) -> Frame {
        Frame {
            number: 7,
            ts: Duration::from_secs(100),
            link,
            orig_len: data.len() as u32,
            data,
        }
    }

    /// An IPv4/TCP packet (no link layer).
    fn ipv4_tcp(payload: &[u8]) -> Vec<u8> {
        let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(40000, 631, 1000, 65535)
            .ack(77)
            .psh();
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        out
    }

    fn ipv6_udp(payload: &[u8]) -> Vec<u8> {
        let b = PacketBuilder::ipv6([0xfe; 16], [0xff; 16], 64).udp(5353, 5353);
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        out
    }

    fn decode(f: &Frame) -> (Packet, Vec<Warning>) {
        let mut d = Decoder::default();
        let mut w = Vec::new();
        let p = d.decode(f, &mut w);
        (p, w)
    }

    fn expect_tcp(p: Packet) -> TcpSegment {
        match p {
            Packet::Tcp(t) => t,
            other => panic!("not TCP: {other:?}"),
        }
    }

    fn check_tcp(seg: &TcpSegment, payload: &[u8]) {
        assert_eq!(seg.frame, 7);
        assert_eq!(seg.src, "10.0.0.1:40000".parse().unwrap());
        assert_eq!(seg.dst, "10.0.0.2:631".parse().unwrap());
        assert_eq!((seg.seq, seg.ack), (1000, Some(77)));
        assert!(!seg.syn && !seg.fin && !seg.rst);
        assert_eq!(seg.payload, payload);
        assert_eq!(seg.wire_len, payload.len());
    }

    #[test]
    fn ethernet_ipv4_tcp() {
        let mut out = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(40000, 631, 1000, 65535)
            .ack(77)
            .write(&mut out, b"POST /ipp")
            .unwrap();
        // Ethernet padding after the IP packet is not payload.
        out.extend([0u8; 8]);
        let (p, w) = decode(&frame(DataLink::ETHERNET, out));
        assert!(w.is_empty(), "{w:?}");
        check_tcp(&expect_tcp(p), b"POST /ipp");
    }

    fn ethernet_with_tags(tags: &[(u16, u16)], ip: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(MAC_B);
        out.extend(MAC_A);
        for (tpid, vid) in tags {
            out.extend(tpid.to_be_bytes());
            out.extend(vid.to_be_bytes());
        }
        out.extend(ETHERTYPE_IPV4.to_be_bytes());
        out.extend_from_slice(ip);
        out
    }

    #[test]
    fn vlan_and_qinq() {
        let ip = ipv4_tcp(b"tagged");
        // 802.1Q: the tag sits where the ethertype was.
        let mut single = Vec::new();
        single.extend(MAC_B);
        single.extend(MAC_A);
        single.extend(ETHERTYPE_VLAN.to_be_bytes());
        single.extend(42u16.to_be_bytes());
        single.extend(ETHERTYPE_IPV4.to_be_bytes());
        single.extend_from_slice(&ip);
        let (p, w) = decode(&frame(DataLink::ETHERNET, single));
        assert!(w.is_empty(), "{w:?}");
        check_tcp(&expect_tcp(p), b"tagged");
        // QinQ: 802.1ad outer, 802.1Q inner.
        let mut double = Vec::new();
        double.extend(MAC_B);
        double.extend(MAC_A);
        double.extend(ETHERTYPE_QINQ.to_be_bytes());
        double.extend(100u16.to_be_bytes());
        double.extend(ETHERTYPE_VLAN.to_be_bytes());
        double.extend(200u16.to_be_bytes());
        double.extend(ETHERTYPE_IPV4.to_be_bytes());
        double.extend_from_slice(&ip);
        let (p, w) = decode(&frame(DataLink::ETHERNET, double));
        assert!(w.is_empty(), "{w:?}");
        check_tcp(&expect_tcp(p), b"tagged");
        // Built by etherparse too.
        let mut out = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .double_vlan(
                etherparse::VlanId::try_new(5).unwrap(),
                etherparse::VlanId::try_new(6).unwrap(),
            )
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(40000, 631, 1000, 65535)
            .ack(77)
            .write(&mut out, b"built")
            .unwrap();
        check_tcp(
            &expect_tcp(decode(&frame(DataLink::ETHERNET, out)).0),
            b"built",
        );
    }

    #[test]
    fn too_many_or_cut_vlan_tags_warn() {
        let ip = ipv4_tcp(b"x");
        let tags = [(ETHERTYPE_VLAN, 1); 5];
        let (p, w) = decode(&frame(DataLink::ETHERNET, ethernet_with_tags(&tags, &ip)));
        assert_eq!((p, w.len()), (Packet::Other, 1));
        let mut cut = ethernet_with_tags(&[(ETHERTYPE_VLAN, 1)], &ip);
        cut.truncate(16);
        let (p, w) = decode(&frame(DataLink::ETHERNET, cut));
        assert_eq!((p, w.len()), (Packet::Other, 1));
        assert_eq!(w[0].frame, Some(7));
    }

    #[test]
    fn linux_sll_and_sll2() {
        let ip = ipv4_tcp(b"cooked");
        let mut sll = vec![0, 0, 0, 1, 0, 6];
        sll.extend([1, 2, 3, 4, 5, 6, 0, 0]);
        sll.extend(ETHERTYPE_IPV4.to_be_bytes());
        sll.extend_from_slice(&ip);
        check_tcp(
            &expect_tcp(decode(&frame(DataLink::LINUX_SLL, sll)).0),
            b"cooked",
        );

        let mut sll2 = Vec::new();
        sll2.extend(ETHERTYPE_IPV4.to_be_bytes());
        sll2.extend([0, 0]); // reserved
        sll2.extend(1u32.to_be_bytes()); // interface index
        sll2.extend(772u16.to_be_bytes()); // ARPHRD_LOOPBACK
        sll2.extend([0, 6]); // packet type, address length
        sll2.extend([0u8; 8]);
        sll2.extend_from_slice(&ip);
        check_tcp(
            &expect_tcp(decode(&frame(DataLink::LINUX_SLL2, sll2)).0),
            b"cooked",
        );

        // etherparse's own SLL builder agrees.
        let mut out = Vec::new();
        PacketBuilder::linux_sll(
            etherparse::LinuxSllPacketType::OUTGOING,
            6,
            [1, 2, 3, 4, 5, 6, 0, 0],
        )
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 631, 1000, 65535)
        .ack(77)
        .write(&mut out, b"cooked")
        .unwrap();
        check_tcp(
            &expect_tcp(decode(&frame(DataLink::LINUX_SLL, out)).0),
            b"cooked",
        );
    }

    #[test]
    fn null_and_loop_in_both_byte_orders() {
        let v4 = ipv4_tcp(b"bsd");
        let v6 = ipv6_udp(b"six");
        for link in [DataLink::NULL, DataLink::LOOP] {
            for family in [2u32, 24, 28, 30] {
                for big in [false, true] {
                    let mut data = if big {
                        family.to_be_bytes().to_vec()
                    } else {
                        family.to_le_bytes().to_vec()
                    };
                    data.extend_from_slice(if family == 2 { &v4 } else { &v6 });
                    let (p, w) = decode(&frame(link, data));
                    assert!(w.is_empty(), "{w:?}");
                    match p {
                        Packet::Tcp(t) => {
                            assert_eq!(family, 2);
                            check_tcp(&t, b"bsd");
                        }
                        Packet::Udp(u) => {
                            assert_ne!(family, 2);
                            assert_eq!(u.payload, b"six");
                            assert!(!u.truncated);
                        }
                        Packet::Other => panic!("{link:?} family {family} big {big}"),
                    }
                }
            }
        }
        // Another family (AF_APPLETALK, say) is just not IP.
        let mut data = 16u32.to_le_bytes().to_vec();
        data.extend(v4);
        assert_eq!(
            decode(&frame(DataLink::NULL, data)),
            (Packet::Other, vec![])
        );
    }

    #[test]
    fn raw_ipv4_ipv6_link_types() {
        let v4 = ipv4_tcp(b"raw");
        let v6 = ipv6_udp(b"raw6");
        for link in [
            DataLink::RAW,
            DataLink::IPV4,
            DataLink::Unknown(12),
            DataLink::Unknown(14),
        ] {
            check_tcp(&expect_tcp(decode(&frame(link, v4.clone())).0), b"raw");
        }
        for link in [DataLink::RAW, DataLink::IPV6] {
            assert!(matches!(decode(&frame(link, v6.clone())).0, Packet::Udp(_)));
        }
        // The wrong version for the link type is a warning.
        let (p, w) = decode(&frame(DataLink::IPV6, v4));
        assert_eq!((p, w.len()), (Packet::Other, 1));
        let (p, w) = decode(&frame(DataLink::RAW, vec![0x20; 30]));
        assert_eq!((p, w.len()), (Packet::Other, 1));
    }

    #[test]
    fn unknown_link_type_warns_once_per_type() {
        let mut d = Decoder::default();
        let mut w = Vec::new();
        for link in [
            DataLink::Unknown(147),
            DataLink::Unknown(147),
            DataLink::IEEE802_11,
            DataLink::Unknown(147),
        ] {
            assert_eq!(d.decode(&frame(link, vec![1, 2, 3]), &mut w), Packet::Other);
        }
        assert_eq!(w.len(), 2, "{w:?}");
    }

    #[test]
    fn non_ip_ethertypes_are_quietly_other() {
        let mut out = Vec::new();
        out.extend(MAC_B);
        out.extend(MAC_A);
        out.extend(0x0806u16.to_be_bytes()); // ARP
        out.extend([0u8; 28]);
        assert_eq!(
            decode(&frame(DataLink::ETHERNET, out)),
            (Packet::Other, vec![])
        );
    }

    #[test]
    fn snapshot_cut_tcp_keeps_its_wire_length() {
        let payload = vec![b'x'; 1000];
        let ip = ipv4_tcp(&payload);
        let cut = ip[..20 + 20 + 100].to_vec();
        let mut f = frame(DataLink::RAW, cut);
        f.orig_len = ip.len() as u32;
        let (p, w) = decode(&f);
        assert!(w.is_empty(), "{w:?}");
        let seg = expect_tcp(p);
        assert_eq!(seg.payload.len(), 100);
        assert_eq!(seg.wire_len, 1000);
        // Cut inside the TCP header: a warning naming the frame.
        let (p, w) = decode(&frame(DataLink::RAW, ip[..30].to_vec()));
        assert_eq!(p, Packet::Other);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].frame, Some(7));
        assert!(w[0].message.contains("snapshot"), "{}", w[0]);
        // UDP cut short is flagged as truncated.
        let v6 = ipv6_udp(&[7u8; 300]);
        let (p, _) = decode(&frame(DataLink::RAW, v6[..40 + 8 + 50].to_vec()));
        match p {
            Packet::Udp(u) => assert!(u.truncated && u.payload.len() == 50),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_headers_warn_and_never_panic() {
        let ip = ipv4_tcp(b"abc");
        // Bad IHL.
        let mut bad = ip.clone();
        bad[0] = 0x42;
        let (p, w) = decode(&frame(DataLink::RAW, bad));
        assert_eq!((p, w.len()), (Packet::Other, 1));
        // TCP data offset below 5.
        let mut bad = ip.clone();
        bad[20 + 12] = 0x20;
        let (p, w) = decode(&frame(DataLink::RAW, bad));
        assert_eq!((p, w.len()), (Packet::Other, 1));
        assert!(w[0].message.contains("TCP"), "{}", w[0]);
        // Every prefix of every link type: no panic.
        let mut eth = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .single_vlan(etherparse::VlanId::try_new(9).unwrap())
            .ipv6([1; 16], [2; 16], 9)
            .tcp(1, 2, 3, 4)
            .write(&mut eth, b"payload")
            .unwrap();
        let mut d = Decoder::default();
        let mut w = Vec::new();
        for link in [
            DataLink::ETHERNET,
            DataLink::LINUX_SLL,
            DataLink::LINUX_SLL2,
            DataLink::NULL,
            DataLink::LOOP,
            DataLink::RAW,
            DataLink::IPV4,
            DataLink::IPV6,
        ] {
            for cut in 0..=eth.len() {
                let _ = d.decode(&frame(link, eth[..cut].to_vec()), &mut w);
            }
        }
    }

    /// Splits an IPv4 packet into fragments of `chunk` payload bytes.
    fn fragment_v4(packet: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let (header, payload) = Ipv4Header::from_slice(packet).unwrap();
        let mut out = Vec::new();
        let mut at = 0;
        while at < payload.len() {
            let end = (at + chunk).min(payload.len());
            let mut h = header.clone();
            h.identification = 0x1234;
            h.more_fragments = end < payload.len();
            h.fragment_offset = IpFragOffset::try_new((at / 8) as u16).unwrap();
            h.set_payload_len(end - at).unwrap();
            h.header_checksum = h.calc_header_checksum();
            let mut f = h.to_bytes().to_vec();
            f.extend_from_slice(&payload[at..end]);
            out.push(f);
            at = end;
        }
        out
    }

    /// Splits an IPv6 packet (no extension headers) into fragments.
    fn fragment_v6(packet: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let next = packet[6];
        let payload = &packet[40..];
        let mut out = Vec::new();
        let mut at = 0;
        while at < payload.len() {
            let end = (at + chunk).min(payload.len());
            let mut f = packet[..40].to_vec();
            f[6] = 44; // fragment header
            f[4..6].copy_from_slice(&((end - at + 8) as u16).to_be_bytes());
            let more = u16::from(end < payload.len());
            f.extend([next, 0]);
            f.extend((((at / 8) as u16) << 3 | more).to_be_bytes());
            f.extend(0xABCD_0001u32.to_be_bytes());
            f.extend_from_slice(&payload[at..end]);
            out.push(f);
            at = end;
        }
        out
    }

    #[test]
    fn ipv4_fragments_reassembled_in_any_order() {
        let payload: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let whole = ipv4_tcp(&payload);
        let mut frags = fragment_v4(&whole, 1200);
        assert_eq!(frags.len(), 3);
        frags.swap(0, 2);
        let mut d = Decoder::default();
        let mut w = Vec::new();
        let mut got = Vec::new();
        for f in frags {
            got.push(d.decode(&frame(DataLink::RAW, f), &mut w));
        }
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(got[0], Packet::Other);
        assert_eq!(got[1], Packet::Other);
        let seg = expect_tcp(got.pop().unwrap());
        assert_eq!(seg.payload, payload);
        assert_eq!(seg.wire_len, 3000);
        assert!(d.pending.is_empty() && d.pending_bytes == 0);
    }

    #[test]
    fn ipv6_fragments_reassembled() {
        let payload: Vec<u8> = (0..2500u32).map(|i| (i * 7) as u8).collect();
        let whole = ipv6_udp(&payload);
        let frags = fragment_v6(&whole, 1000);
        assert_eq!(frags.len(), 3);
        let mut d = Decoder::default();
        let mut w = Vec::new();
        let mut last = Packet::Other;
        for f in frags {
            last = d.decode(&frame(DataLink::RAW, f), &mut w);
        }
        assert!(w.is_empty(), "{w:?}");
        match last {
            Packet::Udp(u) => assert_eq!(u.payload, payload),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn incomplete_fragments_expire_and_are_bounded() {
        let whole = ipv4_tcp(&[1u8; 3000]);
        let frags = fragment_v4(&whole, 1200);
        let mut d = Decoder::default();
        let mut w = Vec::new();
        d.decode(&frame(DataLink::RAW, frags[0].clone()), &mut w);
        assert_eq!(d.pending.len(), 1);
        // 31 s later, an unrelated frame expires the set.
        let mut later = frame(DataLink::RAW, ipv4_tcp(b"x"));
        later.ts += Duration::from_secs(31);
        assert!(matches!(d.decode(&later, &mut w), Packet::Tcp(_)));
        assert!(d.pending.is_empty());
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].frame, Some(7));
        // The rest of the set alone does not complete.
        w.clear();
        for f in &frags[1..] {
            assert_eq!(
                d.decode(&frame(DataLink::RAW, f.clone()), &mut w),
                Packet::Other
            );
        }
        d.finish(&mut w);
        assert_eq!(w.len(), 1, "{w:?}");

        // A flood of distinct sets stays within the set limit.
        let limits = DecoderLimits {
            max_fragment_sets: 4,
            ..DecoderLimits::default()
        };
        let mut d = Decoder::new(limits);
        let mut w = Vec::new();
        for id in 0..20u16 {
            let mut f = frags[0].clone();
            f[4..6].copy_from_slice(&id.to_be_bytes());
            d.decode(&frame(DataLink::RAW, f), &mut w);
            assert!(d.pending.len() <= 4);
        }
        assert_eq!(w.len(), 16);
    }
}
