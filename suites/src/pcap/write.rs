//! A pcapng writer that makes frames from what a proxy saw.
//!
//! A proxy sees byte streams and datagrams, not packets; this module makes the
//! packets up so that Wireshark, tshark and our own [`super::read`] can follow
//! them:
//! - [`PcapNgWriter`]: one Section Header Block (`shb_userappl` "paperjam
//!   record"), one Interface Description Block (Ethernet, nanosecond
//!   timestamps), then one Enhanced Packet Block per frame;
//! - [`TcpConversation`]: one TCP connection's segments (handshake, data cut
//!   into segments of at most [`MSS`] bytes, FIN, RST) with sequence and
//!   acknowledgement numbers kept, and IPv4 header and TCP checksums computed;
//! - [`udp`]: one UDP datagram;
//! - [`SharedWriter`]: the writer behind a mutex, for a proxy's many
//!   connections at once.
//!
//! The frames are synthesized: Ethernet addresses are locally administered
//! ones made from the IP address (`02:00:` and the IPv4 address, or the last
//! four bytes of the IPv6 address), TTL is 64, the window is 65535 and the
//! only TCP option is MSS on SYN and SYN-ACK. What is real is the addresses
//! and ports given, the bytes, their order and their timestamps.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::borrow::Cow;

use etherparse::{PacketBuilder, TcpHeader, TcpOptionElement};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::{DataLink, Endianness};

/// The most payload one synthesized TCP segment carries: an Ethernet MTU of
/// 1500 less 20 bytes of IPv4 header, 20 of TCP header and 12 of the TCP
/// timestamp option a real stack would send (the frames here carry no
/// timestamp option, so they are 12 bytes shorter than the real ones).
pub const MSS: usize = 1448;

/// The snapshot length the interface declares: more than any frame written.
pub const SNAPLEN: u32 = 262_144;

/// The TCP window every synthesized segment advertises.
const WINDOW: u16 = 65_535;

/// Bytes one side may send before the synthesized peer acknowledges them
/// (half the window, so Wireshark never sees the window full).
const ACK_EVERY: u32 = 32 * 1024;

/// The hop limit / TTL of every synthesized packet.
const TTL: u8 = 64;

/// Why a frame could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output failed.
    #[error("cannot write the capture: {0}")]
    Io(#[from] std::io::Error),
    /// pcap-file refused a block.
    #[error("cannot write the capture: {0}")]
    Pcap(#[from] pcap_file::PcapError),
    /// The packet could not be built (a payload too long for one IP packet).
    #[error("cannot build a {len}-byte packet: {message}")]
    Build {
        /// The payload's length.
        len: usize,
        /// What etherparse said.
        message: String,
    },
    /// A UDP payload too long for one IP packet.
    #[error("a {len}-byte UDP payload does not fit in one IP packet (at most {max})")]
    TooLong {
        /// The payload's length.
        len: usize,
        /// The most there is room for.
        max: usize,
    },
    /// The writer was finished already.
    #[error("the capture is finished; nothing more can be written")]
    Finished,
}

/// The time now, as a capture timestamp: since the Unix epoch (zero if the
/// clock is before it).
pub fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// A capture timestamp from a [`SystemTime`] (zero before the Unix epoch).
pub fn timestamp(t: SystemTime) -> Duration {
    t.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Where synthesized frames go: a [`PcapNgWriter`], a [`SharedWriter`], or a
/// `Vec<(Duration, Vec<u8>)>` (in tests).
pub trait FrameSink {
    /// Write one Ethernet frame captured at `ts` (since the Unix epoch).
    fn write_frame(&mut self, ts: Duration, frame: &[u8]) -> Result<(), WriteError>;
}

impl FrameSink for Vec<(Duration, Vec<u8>)> {
    fn write_frame(&mut self, ts: Duration, frame: &[u8]) -> Result<(), WriteError> {
        self.push((ts, frame.to_vec()));
        Ok(())
    }
}

/// A pcapng file of Ethernet frames: a Section Header Block and one Interface
/// Description Block are written at once, then one Enhanced Packet Block per
/// frame. Flushed on [`finish`](Self::finish) and (errors ignored) on drop.
pub struct PcapNgWriter<W: Write> {
    inner: Option<pcap_file::pcapng::PcapNgWriter<W>>,
    frames: u64,
}

impl<W: Write> std::fmt::Debug for PcapNgWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapNgWriter")
            .field("frames", &self.frames)
            .field("finished", &self.inner.is_none())
            .finish()
    }
}

impl<W: Write> PcapNgWriter<W> {
    /// Start a capture on `out`: writes the section and interface headers.
    pub fn new(out: W) -> Result<Self, WriteError> {
        let section = SectionHeaderBlock {
            endianness: Endianness::native(),
            options: vec![SectionHeaderOption::UserApplication(Cow::Borrowed(
                "paperjam record",
            ))],
            ..SectionHeaderBlock::default()
        };
        let mut inner = pcap_file::pcapng::PcapNgWriter::with_section_header(out, section)?;
        // pcap-file 2.0 writes Enhanced Packet Block timestamps in nanoseconds
        // whatever the interface says, so the interface must say nanoseconds
        // (if_tsresol 9: 10^-9 s); without it readers assume microseconds.
        inner.write_pcapng_block(InterfaceDescriptionBlock {
            linktype: DataLink::ETHERNET,
            snaplen: SNAPLEN,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("paperjam-record")),
                InterfaceDescriptionOption::IfDescription(Cow::Borrowed(
                    "frames synthesized by paperjam record from a proxied connection",
                )),
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        })?;
        Ok(PcapNgWriter {
            inner: Some(inner),
            frames: 0,
        })
    }

    /// Write one Ethernet frame captured at `ts` (since the Unix epoch).
    pub fn write_frame(&mut self, ts: Duration, frame: &[u8]) -> Result<(), WriteError> {
        let inner = self.inner.as_mut().ok_or(WriteError::Finished)?;
        let len = u32::try_from(frame.len()).map_err(|_| WriteError::TooLong {
            len: frame.len(),
            max: u32::MAX as usize,
        })?;
        inner.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: ts,
            original_len: len,
            data: Cow::Borrowed(frame),
            options: vec![],
        })?;
        self.frames += 1;
        Ok(())
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flush the output.
    pub fn flush(&mut self) -> Result<(), WriteError> {
        match self.inner.as_mut() {
            Some(w) => Ok(w.get_mut().flush()?),
            None => Ok(()),
        }
    }

    /// Flush and hand the output back.
    pub fn finish(mut self) -> Result<W, WriteError> {
        let mut inner = self.inner.take().ok_or(WriteError::Finished)?;
        inner.get_mut().flush()?;
        Ok(inner.into_inner())
    }
}

impl<W: Write> Drop for PcapNgWriter<W> {
    fn drop(&mut self) {
        if let Some(w) = self.inner.as_mut() {
            let _ = w.get_mut().flush();
        }
    }
}

impl<W: Write> FrameSink for PcapNgWriter<W> {
    fn write_frame(&mut self, ts: Duration, frame: &[u8]) -> Result<(), WriteError> {
        PcapNgWriter::write_frame(self, ts, frame)
    }
}

/// The output of a [`SharedWriter`]: any writer that can cross threads.
pub type BoxedOutput = Box<dyn Write + Send>;

/// A [`PcapNgWriter`] shared by many connections: clones write to the same
/// file, one frame at a time under a mutex (a [`TcpConversation`]'s segments
/// for one call are written under one lock, so they stay together).
///
/// Writing is synchronous: the output should be buffered (as
/// [`create`](Self::create)'s is). The file is flushed by
/// [`flush`](Self::flush), by [`finish`](Self::finish), and when the last
/// clone is dropped.
#[derive(Clone, Debug)]
pub struct SharedWriter {
    inner: Arc<Mutex<PcapNgWriter<BoxedOutput>>>,
}

impl SharedWriter {
    /// Create (or truncate) the file at `path` and start a capture in it.
    pub fn create(path: &Path) -> Result<SharedWriter, WriteError> {
        let file = std::fs::File::create(path)?;
        SharedWriter::new(Box::new(std::io::BufWriter::with_capacity(1 << 16, file)))
    }

    /// Start a capture on `out`.
    pub fn new(out: BoxedOutput) -> Result<SharedWriter, WriteError> {
        Ok(SharedWriter::from_writer(PcapNgWriter::new(out)?))
    }

    /// Share a writer already started.
    pub fn from_writer(w: PcapNgWriter<BoxedOutput>) -> SharedWriter {
        SharedWriter {
            inner: Arc::new(Mutex::new(w)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PcapNgWriter<BoxedOutput>> {
        // A panic elsewhere while holding the lock leaves at worst a frame
        // half written; the writer itself is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run `f` with the writer locked: frames written inside stay together.
    pub fn with<R>(&self, f: impl FnOnce(&mut PcapNgWriter<BoxedOutput>) -> R) -> R {
        f(&mut self.lock())
    }

    /// Frames written so far, by every clone.
    pub fn frames(&self) -> u64 {
        self.lock().frames()
    }

    /// Flush the file.
    pub fn flush(&self) -> Result<(), WriteError> {
        self.lock().flush()
    }

    /// Flush the file and close it for every clone: later writes fail with
    /// [`WriteError::Finished`].
    pub fn finish(&self) -> Result<(), WriteError> {
        let mut w = self.lock();
        match w.inner.take() {
            Some(mut inner) => Ok(inner.get_mut().flush()?),
            None => Ok(()),
        }
    }
}

impl FrameSink for SharedWriter {
    fn write_frame(&mut self, ts: Duration, frame: &[u8]) -> Result<(), WriteError> {
        self.lock().write_frame(ts, frame)
    }
}

/// Which way a segment goes in a [`TcpConversation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client (the side that sent SYN) to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

impl Direction {
    /// The other way.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }

    fn index(self) -> usize {
        match self {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        }
    }
}

/// How one side of a [`TcpConversation`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HalfState {
    /// It may still send.
    Open,
    /// It sent FIN.
    Finished,
    /// It sent RST (the whole connection is over).
    Reset,
}

/// One TCP connection's frames, made up from what a proxy saw of it.
///
/// Sequence numbers start at an initial sequence number derived from the
/// addresses (so a capture of the same conversation comes out the same);
/// each side acknowledges everything the other sent before it. Data is cut
/// into segments of at most [`MSS`] bytes, PSH set on the last; the receiver
/// acknowledges every 32 KiB and at the end of each [`data`](Self::data) call.
///
/// The two addresses must be of one family: an IPv4 address beside an IPv6
/// one is written as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), and IPv4-mapped
/// addresses beside IPv4 ones as IPv4.
#[derive(Debug, Clone)]
pub struct TcpConversation {
    client: SocketAddr,
    server: SocketAddr,
    /// The next sequence number each side sends ([`Direction::index`]).
    next_seq: [u32; 2],
    /// What each side last acknowledged of the other's.
    acked: [u32; 2],
    state: [HalfState; 2],
    /// Whether each side has sent its SYN yet.
    synced: [bool; 2],
}

impl TcpConversation {
    /// A conversation between `client` (which connects) and `server`.
    pub fn new(client: SocketAddr, server: SocketAddr) -> TcpConversation {
        let (client, server) = same_family(client, server);
        let c = isn(client, server, 0x6370);
        let s = isn(server, client, 0x7370);
        TcpConversation::with_isn(client, server, c, s)
    }

    /// A conversation with the initial sequence numbers given.
    pub fn with_isn(
        client: SocketAddr,
        server: SocketAddr,
        client_isn: u32,
        server_isn: u32,
    ) -> TcpConversation {
        let (client, server) = same_family(client, server);
        TcpConversation {
            client,
            server,
            next_seq: [client_isn, server_isn],
            acked: [server_isn, client_isn],
            state: [HalfState::Open; 2],
            synced: [false; 2],
        }
    }

    /// The client's address, as written.
    pub fn client(&self) -> SocketAddr {
        self.client
    }

    /// The server's address, as written.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The sequence number the sender of `dir` sends next.
    pub fn next_seq(&self, dir: Direction) -> u32 {
        self.next_seq[dir.index()]
    }

    /// How the sender of `dir` stands.
    pub fn state(&self, dir: Direction) -> HalfState {
        self.state[dir.index()]
    }

    fn ends(&self, dir: Direction) -> (SocketAddr, SocketAddr) {
        match dir {
            Direction::ToServer => (self.client, self.server),
            Direction::ToClient => (self.server, self.client),
        }
    }

    fn header(&self, dir: Direction) -> TcpHeader {
        let (src, dst) = self.ends(dir);
        let mut h = TcpHeader::new(src.port(), dst.port(), self.next_seq[dir.index()], WINDOW);
        if self.synced[dir.reverse().index()] {
            h.ack = true;
            h.acknowledgment_number = self.next_seq[dir.reverse().index()];
        }
        h
    }

    fn emit<S: FrameSink + ?Sized>(
        &mut self,
        dir: Direction,
        h: TcpHeader,
        payload: &[u8],
        ts: Duration,
        sink: &mut S,
    ) -> Result<(), WriteError> {
        if h.ack {
            self.acked[dir.index()] = h.acknowledgment_number;
        }
        let (src, dst) = self.ends(dir);
        sink.write_frame(ts, &tcp_frame(src, dst, h, payload)?)
    }

    /// The client's SYN.
    pub fn syn<S: FrameSink + ?Sized>(
        &mut self,
        ts: Duration,
        sink: &mut S,
    ) -> Result<(), WriteError> {
        self.syn_from(Direction::ToServer, ts, sink)
    }

    /// The server's SYN-ACK.
    pub fn syn_ack<S: FrameSink + ?Sized>(
        &mut self,
        ts: Duration,
        sink: &mut S,
    ) -> Result<(), WriteError> {
        self.syn_from(Direction::ToClient, ts, sink)
    }

    fn syn_from<S: FrameSink + ?Sized>(
        &mut self,
        dir: Direction,
        ts: Duration,
        sink: &mut S,
    ) -> Result<(), WriteError> {
        let mut h = self.header(dir);
        h.syn = true;
        // MSS fits in u16 (it is a constant well under it).
        let mss = u16::try_from(MSS).unwrap_or(u16::MAX);
        h.set_options(&[TcpOptionElement::MaximumSegmentSize(mss)])
            .map_err(|e| WriteError::Build {
                len: 0,
                message: e.to_string(),
            })?;
        self.emit(dir, h, &[], ts, sink)?;
        let i = dir.index();
        self.next_seq[i] = self.next_seq[i].wrapping_add(1);
        self.synced[i] = true;
        Ok(())
    }

    /// A pure ACK from the sender of `dir`, acknowledging all the other side
    /// sent (the handshake's third segment is `ack(Direction::ToServer, …)`).
    pub fn ack<S: FrameSink + ?Sized>(
        &mut self,
        dir: Direction,
        ts: Duration,
        sink: &mut S,
    ) -> Result<(), WriteError> {
        let h = self.header(dir);
        self.emit(dir, h, &[], ts, sink)
    }

    /// SYN, SYN-ACK and ACK, all at `ts`.
    pub fn handshake<S: FrameSink + ?Sized>(
        &mut self,
        ts: Duration,
        sink: &mut S,
    ) -> Result<(), WriteError> {
        self.syn(ts, sink)?;
        self.syn_ack(ts, sink)?;
        self.ack(Direction::ToServer, ts, sink)
    }

    /// `payload` sent the way of `dir`, in segments of at most [`MSS`]
    /// bytes, acknowledged by the receiver. Returns the frames written.
    /// Nothing is written for an empty payload.
    pub fn data<S: FrameSink + ?Sized>(
        &mut self,
        dir: Direction,
        payload: &[u8],
        ts: Duration,
        sink: &mut S,
    ) -> Result<usize, WriteError> {
        let i = dir.index();
        let mut frames = 0;
        let chunks = payload.chunks(MSS);
        let last = chunks.len();
        for (n, chunk) in chunks.enumerate() {
            let mut h = self.header(dir);
            let push = n + 1 == last;
            h.psh = push;
            self.emit(dir, h, chunk, ts, sink)?;
            frames += 1;
            // A chunk is at most MSS bytes, so this cannot truncate.
            let len = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
            self.next_seq[i] = self.next_seq[i].wrapping_add(len);
            let unacked = self.next_seq[i].wrapping_sub(self.acked[dir.reverse().index()]);
            if unacked >= ACK_EVERY || push {
                self.ack(dir.reverse(), ts, sink)?;
                frames += 1;
            }
        }
        Ok(frames)
    }

    /// FIN from the sender of `dir`, and the other side's ACK of it.
    /// Nothing once the sender has sent FIN or either side RST.
    pub fn fin<S: FrameSink + ?Sized>(
        &mut self,
        dir: Direction,
        ts: Duration,
        sink: &mut S,
    ) -> Result<(), WriteError> {
        let i = dir.index();
        if self.state[i] != HalfState::Open || self.is_reset() {
            return Ok(());
        }
        let mut h = self.header(dir);
        h.fin = true;
        self.emit(dir, h, &[], ts, sink)?;
        self.next_seq[i] = self.next_seq[i].wrapping_add(1);
        self.state[i] = HalfState::Finished;
        self.ack(dir.reverse(), ts, sink)
    }

    /// RST from the sender of `dir` (with ACK once the other side has sent
    /// SYN: so `syn()` then `rst(Direction::ToClient, …)` is a refused
    /// connection). Nothing once either side has sent RST.
    pub fn rst<S: FrameSink + ?Sized>(
        &mut self,
        dir: Direction,
        ts: Duration,
        sink: &mut S,
    ) -> Result<(), WriteError> {
        if self.is_reset() {
            return Ok(());
        }
        let mut h = self.header(dir);
        h.rst = true;
        if !self.synced[dir.index()] {
            // The answer to a SYN on a closed port: sequence number zero,
            // acknowledging the SYN (RFC 9293 §3.10.7.1).
            h.sequence_number = 0;
        }
        self.emit(dir, h, &[], ts, sink)?;
        self.state[dir.index()] = HalfState::Reset;
        Ok(())
    }

    /// Whether either side has sent RST.
    pub fn is_reset(&self) -> bool {
        self.state.contains(&HalfState::Reset)
    }

    /// Whether both sides have sent FIN, or either RST.
    pub fn is_closed(&self) -> bool {
        self.is_reset() || self.state == [HalfState::Finished; 2]
    }
}

/// One UDP datagram from `src` to `dst`, captured at `ts`.
pub fn udp<S: FrameSink + ?Sized>(
    src: SocketAddr,
    dst: SocketAddr,
    payload: &[u8],
    ts: Duration,
    sink: &mut S,
) -> Result<(), WriteError> {
    sink.write_frame(ts, &udp_frame(src, dst, payload)?)
}

/// The Ethernet frame of one UDP datagram from `src` to `dst` (addresses of
/// two families as in [`TcpConversation`]).
pub fn udp_frame(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Result<Vec<u8>, WriteError> {
    let (src, dst) = same_family(src, dst);
    // The IP payload length field is 16 bits; IPv4's counts its own header.
    let max = match src.ip() {
        IpAddr::V4(_) => 65_535 - 20 - 8,
        IpAddr::V6(_) => 65_535 - 8,
    };
    if payload.len() > max {
        return Err(WriteError::TooLong {
            len: payload.len(),
            max,
        });
    }
    let builder = ip_step(src, dst).udp(src.port(), dst.port());
    let mut out = Vec::with_capacity(builder.size(payload.len()));
    builder
        .write(&mut out, payload)
        .map_err(|e| WriteError::Build {
            len: payload.len(),
            message: e.to_string(),
        })?;
    Ok(out)
}

/// The Ethernet frame of one TCP segment.
fn tcp_frame(
    src: SocketAddr,
    dst: SocketAddr,
    h: TcpHeader,
    payload: &[u8],
) -> Result<Vec<u8>, WriteError> {
    let builder = ip_step(src, dst).tcp_header(h);
    let mut out = Vec::with_capacity(builder.size(payload.len()));
    builder
        .write(&mut out, payload)
        .map_err(|e| WriteError::Build {
            len: payload.len(),
            message: e.to_string(),
        })?;
    Ok(out)
}

/// Ethernet and IP headers from `src` to `dst` (of one family already).
fn ip_step(
    src: SocketAddr,
    dst: SocketAddr,
) -> etherparse::PacketBuilderStep<etherparse::IpHeaders> {
    let eth = PacketBuilder::ethernet2(mac(src.ip()), mac(dst.ip()));
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), TTL),
        (s, d) => eth.ipv6(v6(s).octets(), v6(d).octets(), TTL),
    }
}

fn v6(a: IpAddr) -> std::net::Ipv6Addr {
    match a {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// A locally administered, unicast Ethernet address made from an IP address.
fn mac(ip: IpAddr) -> [u8; 6] {
    let tail = match ip {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(a) => {
            let o = a.octets();
            [o[12], o[13], o[14], o[15]]
        }
    };
    [0x02, 0x00, tail[0], tail[1], tail[2], tail[3]]
}

/// Both addresses in one family: IPv4-mapped IPv6 beside IPv4 becomes IPv4;
/// IPv4 beside (true) IPv6 becomes IPv4-mapped IPv6.
fn same_family(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    let canon = |s: SocketAddr| SocketAddr::new(s.ip().to_canonical(), s.port());
    let (a, b) = (canon(a), canon(b));
    match (a.ip(), b.ip()) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => (a, b),
        _ => (
            SocketAddr::new(IpAddr::V6(v6(a.ip())), a.port()),
            SocketAddr::new(IpAddr::V6(v6(b.ip())), b.port()),
        ),
    }
}

/// An initial sequence number from the two ends (FNV-1a), so the same
/// conversation comes out the same.
fn isn(a: SocketAddr, b: SocketAddr, salt: u32) -> u32 {
    let mut h: u32 = 0x811c_9dc5 ^ salt;
    let mut eat = |bytes: &[u8]| {
        for &x in bytes {
            h ^= u32::from(x);
            h = h.wrapping_mul(0x0100_0193);
        }
    };
    for s in [a, b] {
        match s.ip() {
            IpAddr::V4(ip) => eat(&ip.octets()),
            IpAddr::V6(ip) => eat(&ip.octets()),
        }
        eat(&s.port().to_be_bytes());
    }
    h
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    type Frames = Vec<(Duration, Vec<u8>)>;

    /// (src, dst, seq, flags "SAFRP", payload) of every TCP frame, with the
    /// checksums checked.
    fn segments(frames: &Frames) -> Vec<(SocketAddr, SocketAddr, u32, String, Vec<u8>)> {
        frames
            .iter()
            .map(|(_, f)| {
                let p = SlicedPacket::from_ethernet(f).unwrap();
                let (src, dst) = match p.net.as_ref().unwrap() {
                    NetSlice::Ipv4(v4) => {
                        let h = v4.header().to_header();
                        assert_eq!(h.header_checksum, h.calc_header_checksum());
                        (IpAddr::from(h.source), IpAddr::from(h.destination))
                    }
                    NetSlice::Ipv6(v6) => {
                        let h = v6.header().to_header();
                        (IpAddr::from(h.source), IpAddr::from(h.destination))
                    }
                    _ => panic!("not IP"),
                };
                let Some(TransportSlice::Tcp(t)) = p.transport else {
                    panic!("not TCP")
                };
                let want = match (src, dst) {
                    (IpAddr::V4(s), IpAddr::V4(d)) => t
                        .to_header()
                        .calc_checksum_ipv4_raw(s.octets(), d.octets(), t.payload())
                        .unwrap(),
                    (IpAddr::V6(s), IpAddr::V6(d)) => t
                        .to_header()
                        .calc_checksum_ipv6_raw(s.octets(), d.octets(), t.payload())
                        .unwrap(),
                    _ => panic!("mixed families"),
                };
                assert_eq!(t.checksum(), want, "TCP checksum");
                let mut flags = String::new();
                for (on, c) in [
                    (t.syn(), 'S'),
                    (t.ack(), 'A'),
                    (t.fin(), 'F'),
                    (t.rst(), 'R'),
                    (t.psh(), 'P'),
                ] {
                    if on {
                        flags.push(c);
                    }
                }
                (
                    SocketAddr::new(src, t.source_port()),
                    SocketAddr::new(dst, t.destination_port()),
                    t.sequence_number(),
                    flags,
                    t.payload().to_vec(),
                )
            })
            .collect()
    }

    #[test]
    fn a_100k_write_is_cut_into_mss_segments_in_sequence() {
        let c: SocketAddr = "192.0.2.10:50000".parse().unwrap();
        let s: SocketAddr = "192.0.2.20:9100".parse().unwrap();
        let mut conv = TcpConversation::with_isn(c, s, 1000, 5000);
        let mut out = Frames::new();
        let ts = Duration::from_secs(1_700_000_000);
        conv.handshake(ts, &mut out).unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        conv.data(Direction::ToServer, &data, ts, &mut out).unwrap();
        conv.fin(Direction::ToServer, ts, &mut out).unwrap();
        conv.fin(Direction::ToClient, ts, &mut out).unwrap();
        assert!(conv.is_closed());

        let segs = segments(&out);
        assert_eq!(segs[0].3, "S");
        assert_eq!(segs[0].2, 1000);
        assert_eq!(segs[1].3, "SA");
        assert_eq!(segs[1].2, 5000);
        assert_eq!(segs[2].3, "A");
        let sent: Vec<_> = segs
            .iter()
            .filter(|x| x.0 == c && !x.4.is_empty())
            .collect();
        assert_eq!(sent.len(), 100_000usize.div_ceil(MSS));
        assert!(sent.iter().all(|x| x.4.len() <= MSS));
        let mut seq = 1001u32;
        let mut joined = Vec::new();
        for x in &sent {
            assert_eq!(x.2, seq);
            seq += x.4.len() as u32;
            joined.extend_from_slice(&x.4);
        }
        assert_eq!(joined, data);
        assert!(sent.last().unwrap().3.contains('P'));
        // The server acknowledged along the way, never more than 32 KiB behind.
        let acks = segs.iter().filter(|x| x.0 == s && x.3 == "A").count();
        assert!(acks >= 3, "{acks} ACKs");
        // FIN, ACK, FIN, ACK at the end.
        let tail: Vec<_> = segs[segs.len() - 4..]
            .iter()
            .map(|x| x.3.as_str())
            .collect();
        assert_eq!(tail, ["AF", "A", "AF", "A"]);
        assert_eq!(segs[segs.len() - 4].2, 1001 + 100_000);
    }

    #[test]
    fn ipv6_conversations_and_datagrams_have_valid_checksums() {
        let c: SocketAddr = "[2001:db8::1]:40000".parse().unwrap();
        let s: SocketAddr = "[2001:db8::9]:631".parse().unwrap();
        let mut conv = TcpConversation::new(c, s);
        let mut out = Frames::new();
        let ts = Duration::from_secs(1);
        conv.handshake(ts, &mut out).unwrap();
        conv.data(
            Direction::ToServer,
            b"POST / HTTP/1.1\r\n\r\n",
            ts,
            &mut out,
        )
        .unwrap();
        conv.data(Direction::ToClient, &[7u8; 3000], ts, &mut out)
            .unwrap();
        conv.rst(Direction::ToClient, ts, &mut out).unwrap();
        conv.rst(Direction::ToServer, ts, &mut out).unwrap();
        let segs = segments(&out);
        assert!(segs.iter().all(|x| x.0.is_ipv6()));
        assert_eq!(segs.iter().filter(|x| x.3.contains('R')).count(), 1);
        let back: Vec<u8> = segs
            .iter()
            .filter(|x| x.0 == s)
            .flat_map(|x| x.4.clone())
            .collect();
        assert_eq!(back, vec![7u8; 3000]);

        let f = udp_frame(c, s, b"snmp").unwrap();
        let p = SlicedPacket::from_ethernet(&f).unwrap();
        let Some(TransportSlice::Udp(u)) = p.transport else {
            panic!("not UDP")
        };
        let Some(NetSlice::Ipv6(ip)) = p.net else {
            panic!("not IPv6")
        };
        let h = ip.header().to_header();
        assert_eq!(
            u.checksum(),
            u.to_header()
                .calc_checksum_ipv6_raw(h.source, h.destination, u.payload())
                .unwrap()
        );
        assert_eq!(u.payload(), b"snmp");
    }

    #[test]
    fn mixed_families_become_ipv4_mapped_ipv6() {
        let c: SocketAddr = "[::ffff:10.0.0.1]:1".parse().unwrap();
        let s: SocketAddr = "10.0.0.2:2".parse().unwrap();
        let conv = TcpConversation::new(c, s);
        assert_eq!(conv.client(), "10.0.0.1:1".parse::<SocketAddr>().unwrap());
        let c: SocketAddr = "[2001:db8::1]:1".parse().unwrap();
        let conv = TcpConversation::new(c, s);
        assert_eq!(
            conv.server(),
            "[::ffff:10.0.0.2]:2".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn a_pcapng_file_reads_back_with_its_timestamps() {
        let mut w = PcapNgWriter::new(Vec::new()).unwrap();
        let ts = Duration::new(1_700_000_000, 123_456_789);
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
        udp(a, b, b"hello", ts, &mut w).unwrap();
        assert_eq!(w.frames(), 1);
        let bytes = w.finish().unwrap();
        let mut r = pcap_file::pcapng::PcapNgReader::new(&bytes[..]).unwrap();
        let mut epbs = 0;
        while let Some(block) = r.next_block() {
            if let pcap_file::pcapng::Block::EnhancedPacket(p) = block.unwrap() {
                assert_eq!(p.timestamp, ts);
                epbs += 1;
            }
        }
        assert_eq!(epbs, 1);
        assert_eq!(r.interfaces()[0].linktype, DataLink::ETHERNET);
    }
}
