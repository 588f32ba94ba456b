//! TCP reassembly: [`TcpSegment`]s → [`Flow`]s, each with its two byte
//! streams put in sequence-number order, the runs they came in, the gaps
//! the capture missed, and how the connection ended.
//!
//! The contract, in the sans-IO style: [`Reassembler::push`] takes one
//! segment and returns the flows that segment ended;
//! [`Reassembler::finish`] returns the rest. No clock but the segments'
//! timestamps, no I/O. [`reassemble_with`] is the driver over a capture
//! file (reader → [`Decoder`] → reassembler), and [`reassemble_file`] /
//! [`reassemble_reader`] collect everything into a [`Capture`].
//!
//! The rules:
//! - sequence numbers compare in serial arithmetic (RFC 1982 style, on 32
//!   bits), so a stream may wrap past 2^32; offsets inside a stream are 64
//!   bits;
//! - every byte of the sequence space is taken from the first segment that
//!   carried it: retransmissions and overlaps add nothing (RFC 9293 §3.10.7.4
//!   lets a receiver trim them; we keep the first copy, as the receiver
//!   that saw it first did);
//! - segments ahead of the next expected byte wait, bounded by
//!   [`ReassemblerLimits::max_out_of_order_bytes`] per direction, until the
//!   hole fills. A hole is given up as a [`Gap`] (nothing filled in, the
//!   stream goes on) when the other side acknowledges past it and then
//!   sends data (or [`ACKED_HOLE_GRACE`] segments later: a capture point may
//!   see an acknowledgement before the data), when the waiting data goes
//!   over its bound, or when the flow ends;
//! - without a SYN, the first segment seen in a direction sets its start;
//!   data before it is an old retransmission, dropped with a warning. A
//!   SYN-ACK seen without its SYN gives the client's start too (its
//!   acknowledgement number is the client's ISN + 1);
//! - the client is the SYN's sender; else the SYN-ACK's receiver; else the
//!   side not on a well-known printing or web port ([`WELL_KNOWN_PORTS`]);
//!   else the higher port;
//! - a jump of more than [`MAX_SEQUENCE_JUMP`] ahead is impossible for a
//!   real window: the segment is dropped with a warning, nothing allocated;
//! - a flow ends at its RST, or once both FINs are seen and acknowledged. A
//!   SYN with a new initial sequence number on an open or closed 4-tuple
//!   (port reuse) starts a new flow; stray segments of a closed flow are
//!   absorbed;
//! - memory is bounded: [`ReassemblerLimits::max_flow_bytes`] per stream
//!   (past it the stream is truncated, with a warning), the out-of-order
//!   bound, and [`ReassemblerLimits::max_flows`] open flows (past it the
//!   least recently active are ended early, with a warning).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use pcap_file::DataLink;

use super::link::Decoder;
use super::read::{self, CaptureError, CaptureReader};
use super::{Datagram, Packet, TcpSegment, Warning};

/// The largest believable jump ahead of the next expected byte (1 GiB); a
/// segment further ahead is dropped.
pub const MAX_SEQUENCE_JUMP: u64 = 1 << 30;

/// Server ports: a side on one of these, facing a side that is not, is the
/// server when no SYN tells.
pub const WELL_KNOWN_PORTS: &[u16] = &[631, 80, 443, 515, 9100, 9101, 9102, 8080, 8000];

/// How many segments of a flow a hole the other side acknowledged past may
/// stay open before it is given up as a gap (unless that side answers with
/// data first).
pub const ACKED_HOLE_GRACE: u64 = 32;
/// How far a stray segment of a closed flow may be past its end and still
/// be taken as a late copy rather than a new connection.
const LATE_WINDOW: i64 = 1 << 20;
/// Warnings kept per flow (the rest are counted).
const MAX_FLOW_WARNINGS: usize = 64;
/// Warnings kept per capture (the rest are counted).
const MAX_CAPTURE_WARNINGS: usize = 1000;
/// Closed 4-tuples older than this are forgotten first when there are too
/// many.
const CLOSED_MEMORY: Duration = Duration::from_secs(120);

/// One direction of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dir {
    /// Client to server: [`Flow::to_server`].
    ToServer,
    /// Server to client: [`Flow::to_client`].
    ToClient,
}

impl Dir {
    /// The opposite direction.
    pub fn other(self) -> Dir {
        match self {
            Dir::ToServer => Dir::ToClient,
            Dir::ToClient => Dir::ToServer,
        }
    }

    fn idx(self) -> usize {
        match self {
            Dir::ToServer => 0,
            Dir::ToClient => 1,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dir::ToServer => "to_server",
            Dir::ToClient => "to_client",
        }
    }
}

/// Consecutive in-order bytes of one direction, as they came: a new run
/// starts when the other direction spoke in between, or after a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Run {
    /// Which stream.
    pub dir: Dir,
    /// Where the run starts in that direction's stream.
    pub start: usize,
    /// How many bytes.
    pub len: usize,
    /// The frame that carried its first byte.
    pub frame: u64,
    /// When that frame was captured.
    pub ts: Duration,
    /// How much of the other direction's stream this side had acknowledged
    /// when the run started (its ACK number less the other side's ISN + 1,
    /// as a position in that stream, clamped to its length): how much of
    /// the request a server had seen when it answered.
    pub acked_other: usize,
}

/// Bytes the capture never had: the stream goes on after them with nothing
/// filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Gap {
    /// Which stream.
    pub dir: Dir,
    /// Where in that stream the missing bytes belong (the position of the
    /// first byte after them).
    pub at: usize,
    /// How many bytes are missing.
    pub missing: u64,
    /// The frame that showed they are missing.
    pub frame: u64,
}

/// How much of the three-way handshake the capture holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handshake {
    /// The SYN and the SYN-ACK.
    Full,
    /// The SYN only (a refused connection, or a SYN-ACK not captured).
    SynOnly,
    /// The SYN-ACK only (the capture started after the SYN).
    SynAckOnly,
    /// Neither: the capture started in the middle of the connection.
    Missing,
}

/// How a flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// FIN from one or both sides (both, and acknowledged, when the flow
    /// came out of [`Reassembler::push`]).
    Fin {
        /// The client sent a FIN.
        by_client: bool,
        /// The server sent a FIN.
        by_server: bool,
    },
    /// An RST.
    Reset {
        /// Its sender.
        by: Dir,
    },
    /// Neither: the capture ended (or the flow was evicted) while it was
    /// open.
    Unfinished,
}

/// One TCP connection, reassembled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// The order of its first segment among all flows (from 0).
    pub id: u64,
    /// The client's address and port.
    pub client: SocketAddr,
    /// The server's address and port.
    pub server: SocketAddr,
    /// The first frame of the flow.
    pub first_frame: u64,
    /// The last frame of the flow.
    pub last_frame: u64,
    /// When the first frame was captured.
    pub start: Duration,
    /// When the latest frame was captured.
    pub end: Duration,
    /// What the client sent, in order, without what the capture missed.
    pub to_server: Vec<u8>,
    /// What the server sent, in order, without what the capture missed.
    pub to_client: Vec<u8>,
    /// The runs of both streams, in the order they came.
    pub runs: Vec<Run>,
    /// What the capture missed, in the order it was found out.
    pub gaps: Vec<Gap>,
    /// How much of the handshake was seen.
    pub handshake: Handshake,
    /// How the flow ended.
    pub ending: Ending,
    /// What went wrong in this flow.
    pub warnings: Vec<Warning>,
}

impl Flow {
    /// One direction's stream.
    pub fn stream(&self, dir: Dir) -> &[u8] {
        match dir {
            Dir::ToServer => &self.to_server,
            Dir::ToClient => &self.to_client,
        }
    }
}

/// Bounds on the reassembler's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblerLimits {
    /// The most bytes kept per stream (per direction of a flow); the rest is
    /// dropped with a warning.
    pub max_flow_bytes: usize,
    /// The most bytes waiting for a hole to fill, per direction; past it the
    /// oldest hole is given up as a gap.
    pub max_out_of_order_bytes: usize,
    /// The most flows open at once; past it the least recently active are
    /// ended early (as [`Ending::Unfinished`]) with a warning.
    pub max_flows: usize,
}

impl Default for ReassemblerLimits {
    fn default() -> Self {
        ReassemblerLimits {
            max_flow_bytes: 512 * 1024 * 1024,
            max_out_of_order_bytes: 16 * 1024 * 1024,
            max_flows: 10_000,
        }
    }
}

/// Bytes waiting for the hole before them to fill.
#[derive(Debug)]
struct Piece {
    data: Vec<u8>,
    frame: u64,
    ts: Duration,
    /// The sender's acknowledgement (a logical offset in the other
    /// direction) when it was sent.
    ack: Option<u64>,
}

/// Where a gap sits: logical offsets `start..end` are missing and belong at
/// stream position `pos`.
#[derive(Debug, Clone, Copy)]
struct GapMark {
    start: u64,
    end: u64,
    pos: usize,
}

/// One direction's state. Logical offsets count the sequence space from
/// the first byte after the SYN (or the first byte seen), gaps included;
/// stream positions count the bytes kept.
#[derive(Debug, Default)]
struct Half {
    started: bool,
    /// The SYN (or SYN-ACK) of this direction was seen.
    syn: bool,
    /// Logical offset 0 is exactly ISN + 1 (from a SYN or a SYN-ACK's ack).
    isn_known: bool,
    next_seq: u32,
    next_off: u64,
    data: Vec<u8>,
    truncated: bool,
    gaps: Vec<GapMark>,
    ooo: BTreeMap<u64, Piece>,
    ooo_bytes: usize,
    /// Logical offset of the FIN.
    fin: Option<u64>,
    fin_acked: bool,
    /// The highest acknowledgement this direction's sender sent, as a
    /// logical offset in the other direction.
    acked: Option<u64>,
    /// Segments cut by the snapshot length, and the bytes they lost.
    cut_segments: u64,
    cut_bytes: u64,
    warned_below_start: bool,
    /// The flow's segment count when the other side first acknowledged
    /// past a hole here that is still open.
    hole_since: Option<u64>,
}

impl Half {
    /// The sequence number of logical offset 0.
    fn base_seq(&self) -> u32 {
        self.next_seq.wrapping_sub(self.next_off as u32)
    }

    /// Where `seq` falls, as a logical offset (negative: before the start),
    /// and how far it is from the next expected byte.
    fn locate(&self, seq: u32) -> (i64, i64) {
        let rel = i64::from(seq.wrapping_sub(self.next_seq) as i32);
        (self.next_off as i64 + rel, rel)
    }

    /// The stream position of a logical offset (clamped to what is kept).
    fn position(&self, logical: u64) -> usize {
        let i = self.gaps.partition_point(|g| g.start <= logical);
        let pos = match i.checked_sub(1).and_then(|i| self.gaps.get(i)) {
            None => usize::try_from(logical).unwrap_or(usize::MAX),
            Some(g) if logical < g.end => g.pos,
            Some(g) => g
                .pos
                .saturating_add(usize::try_from(logical - g.end).unwrap_or(usize::MAX)),
        };
        pos.min(self.data.len())
    }
}

/// A flow being reassembled.
#[derive(Debug)]
struct FlowState {
    id: u64,
    client: SocketAddr,
    server: SocketAddr,
    first_frame: u64,
    last_frame: u64,
    start: Duration,
    end: Duration,
    halves: [Half; 2],
    runs: Vec<Run>,
    gaps: Vec<Gap>,
    warnings: Vec<Warning>,
    suppressed: usize,
    /// The direction whose last run new in-order bytes extend.
    open_run: Option<Dir>,
    reset: Option<Dir>,
    /// Segments seen.
    segments: u64,
}

fn well_known(port: u16) -> bool {
    WELL_KNOWN_PORTS.contains(&port)
}

/// Whether `src` is the client, when no SYN says.
fn src_is_client_by_ports(src: SocketAddr, dst: SocketAddr) -> bool {
    match (well_known(src.port()), well_known(dst.port())) {
        (false, true) => true,
        (true, false) => false,
        _ => src.port() >= dst.port(),
    }
}

impl FlowState {
    fn new(id: u64, seg: &TcpSegment) -> Self {
        let src_is_client = if seg.syn {
            seg.ack.is_none()
        } else {
            src_is_client_by_ports(seg.src, seg.dst)
        };
        let (client, server) = if src_is_client {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        FlowState {
            id,
            client,
            server,
            first_frame: seg.frame,
            last_frame: seg.frame,
            start: seg.ts,
            end: seg.ts,
            halves: [Half::default(), Half::default()],
            runs: Vec::new(),
            gaps: Vec::new(),
            warnings: Vec::new(),
            suppressed: 0,
            open_run: None,
            reset: None,
            segments: 0,
        }
    }

    fn dir_of(&self, src: SocketAddr) -> Dir {
        if src == self.client {
            Dir::ToServer
        } else {
            Dir::ToClient
        }
    }

    fn warn(&mut self, frame: u64, message: impl Into<String>) {
        if self.warnings.len() < MAX_FLOW_WARNINGS {
            self.warnings.push(Warning::at(frame, message));
        } else {
            self.suppressed += 1;
        }
    }

    fn half(&mut self, d: Dir) -> &mut Half {
        &mut self.halves[d.idx()]
    }

    /// Whether a SYN without ACK on this open flow starts a new connection
    /// on the same 4-tuple.
    fn is_new_connection(&self, seg: &TcpSegment) -> bool {
        let d = self.dir_of(seg.src);
        let h = &self.halves[d.idx()];
        if d == Dir::ToClient {
            // The "server" opening: a new connection unless nothing happened
            // yet and the roles were guessed wrong.
            return !(self.runs.is_empty() && !self.halves[0].syn && !self.halves[1].syn);
        }
        if !h.started {
            return false;
        }
        // The same ISN: a retransmitted (or late) SYN of this connection.
        seg.seq.wrapping_add(1) != h.base_seq() || self.reset.is_some()
    }

    /// Swaps client and server (only before any data).
    fn swap_roles(&mut self) {
        std::mem::swap(&mut self.client, &mut self.server);
        self.halves.swap(0, 1);
    }

    /// Takes one segment; returns whether it ended the flow.
    fn segment(&mut self, seg: &TcpSegment, limits: &ReassemblerLimits) -> bool {
        self.segments += 1;
        self.last_frame = seg.frame;
        if seg.ts > self.end {
            self.end = seg.ts;
        }
        let mut d = self.dir_of(seg.src);
        if seg.syn
            && (seg.ack.is_none()) == (d == Dir::ToClient)
            && self.runs.is_empty()
            && !self.halves[0].syn
            && !self.halves[1].syn
        {
            // A SYN from the side guessed as server, or a SYN-ACK from the
            // side guessed as client, before anything else: the guess was
            // wrong.
            self.swap_roles();
            d = d.other();
        }
        if seg.rst {
            self.reset = Some(d);
            return true;
        }
        let mut data_seq = seg.seq;
        if seg.syn {
            self.syn(d, seg);
            data_seq = seg.seq.wrapping_add(1);
        }
        if let Some(ack) = seg.ack {
            self.ack(d, ack, seg, limits);
        }
        if !seg.payload.is_empty() || seg.wire_len > 0 || seg.fin {
            self.data(d, data_seq, seg, limits);
        }
        self.acked_holes(Dir::ToServer, seg.frame, false, limits);
        self.acked_holes(Dir::ToClient, seg.frame, false, limits);
        let [a, b] = &self.halves;
        a.fin.is_some() && a.fin_acked && b.fin.is_some() && b.fin_acked
    }

    fn syn(&mut self, d: Dir, seg: &TcpSegment) {
        let start = seg.seq.wrapping_add(1);
        let h = self.half(d);
        if !h.started {
            h.started = true;
            h.syn = true;
            h.isn_known = true;
            h.next_seq = start;
            h.next_off = 0;
        } else if start == h.base_seq() {
            // A retransmitted SYN, or the SYN of a start already known (from
            // the SYN-ACK's ack, or from data that overtook it).
            h.syn = true;
            h.isn_known = true;
        } else {
            let isn = seg.seq;
            self.warn(
                seg.frame,
                format!("a SYN with another initial sequence number ({isn}) in an open connection: ignored"),
            );
        }
        if let Some(ack) = seg.ack {
            // The SYN-ACK's acknowledgement is the client's ISN + 1.
            let o = self.half(d.other());
            if !o.started {
                o.started = true;
                o.isn_known = true;
                o.next_seq = ack;
                o.next_off = 0;
            }
        }
    }

    /// What direction `d`'s sender acknowledges of the other direction.
    fn ack(&mut self, d: Dir, ack: u32, seg: &TcpSegment, limits: &ReassemblerLimits) {
        let o = d.other();
        let oh = &self.halves[o.idx()];
        if !oh.started {
            return;
        }
        let (logical, rel) = oh.locate(ack);
        if logical < 0 || rel > MAX_SEQUENCE_JUMP as i64 {
            return;
        }
        let a = logical as u64;
        let h = self.half(d);
        h.acked = Some(h.acked.map_or(a, |x| x.max(a)));
        let oh = self.half(o);
        if let Some(f) = oh.fin {
            if a > f {
                oh.fin_acked = true;
            }
        }
        if !seg.payload.is_empty() {
            // An answer: whatever it acknowledges came before it.
            self.acked_holes(o, seg.frame, true, limits);
        }
    }

    /// Gives up the holes in direction `d` that the other side acknowledged
    /// past: at once when `now`, else once they have stayed unfilled for
    /// [`ACKED_HOLE_GRACE`] segments (a capture point may see an
    /// acknowledgement before the data it acknowledges).
    fn acked_holes(&mut self, d: Dir, frame: u64, now: bool, limits: &ReassemblerLimits) {
        let count = self.segments;
        let Some(a) = self.halves[d.other().idx()].acked else {
            return;
        };
        let h = self.half(d);
        let acked = h.fin.map_or(a, |f| a.min(f));
        if acked <= h.next_off {
            h.hole_since = None;
            return;
        }
        let since = *h.hole_since.get_or_insert(count);
        if h.ooo.is_empty() || !(now || count - since >= ACKED_HOLE_GRACE) {
            return;
        }
        self.skip_holes(d, acked, frame, limits);
        let h = self.half(d);
        if acked <= h.next_off {
            h.hole_since = None;
        }
    }

    /// The payload (and FIN) of a segment of direction `d`.
    fn data(&mut self, d: Dir, seq: u32, seg: &TcpSegment, limits: &ReassemblerLimits) {
        let h = self.half(d);
        if !h.started {
            h.started = true;
            h.next_seq = seq;
            h.next_off = 0;
        }
        let (mut off, rel) = h.locate(seq);
        let wire = seg.wire_len.max(seg.payload.len()) as u64;
        if rel > MAX_SEQUENCE_JUMP as i64 {
            self.warn(
                seg.frame,
                format!(
                    "impossible sequence jump in {}: {rel} bytes past the next expected byte; segment dropped",
                    d.name()
                ),
            );
            return;
        }
        if seg.payload.len() < seg.wire_len {
            h.cut_segments += 1;
            h.cut_bytes += (seg.wire_len - seg.payload.len()) as u64;
        }
        if seg.fin && h.fin.is_none() {
            if let Ok(fin) = u64::try_from(off + wire as i64) {
                h.fin = Some(fin);
            }
        }
        let mut bytes = &seg.payload[..];
        if off < 0 {
            let before = off.unsigned_abs();
            if !h.isn_known && !h.warned_below_start && !bytes.is_empty() {
                h.warned_below_start = true;
                self.warn(
                    seg.frame,
                    format!(
                        "{} bytes in {} from before the first segment seen (a retransmission of data the \
                         capture missed): dropped",
                        before.min(bytes.len() as u64),
                        d.name()
                    ),
                );
            }
            let skip = usize::try_from(before).unwrap_or(usize::MAX);
            bytes = bytes.get(skip..).unwrap_or(&[]);
            off = 0;
        }
        if bytes.is_empty() {
            return;
        }
        let ack = self.halves[d.idx()].acked;
        self.insert(d, off as u64, bytes, seg.frame, seg.ts, ack, limits);
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        d: Dir,
        off: u64,
        bytes: &[u8],
        frame: u64,
        ts: Duration,
        ack: Option<u64>,
        limits: &ReassemblerLimits,
    ) {
        let end = off + bytes.len() as u64;
        let next = self.halves[d.idx()].next_off;
        if end <= next {
            return; // a retransmission
        }
        if off <= next {
            let skip = (next - off) as usize;
            // Bytes already waiting were there first: append up to them,
            // and let the rest go through the waiting pieces' trimming.
            let first_waiting = self.halves[d.idx()].ooo.keys().next().copied();
            let upto = match first_waiting {
                Some(k) if k > next && k < end => (k - off) as usize,
                _ => bytes.len(),
            };
            self.append(d, &bytes[skip..upto], frame, ts, ack, limits);
            if upto < bytes.len() {
                ooo_insert(
                    self.half(d),
                    off + upto as u64,
                    &bytes[upto..],
                    frame,
                    ts,
                    ack,
                );
            }
            self.drain(d, limits);
            return;
        }
        ooo_insert(self.half(d), off, bytes, frame, ts, ack);
        while self.halves[d.idx()].ooo_bytes > limits.max_out_of_order_bytes {
            let Some(first) = self.halves[d.idx()].ooo.keys().next().copied() else {
                break;
            };
            let max = limits.max_out_of_order_bytes;
            self.warn(
                frame,
                format!(
                    "more than {max} bytes of {} waiting for a hole to fill: the hole is given up",
                    d.name()
                ),
            );
            self.skip_to(d, first, frame, limits);
        }
    }

    /// Appends in-order bytes to direction `d`.
    fn append(
        &mut self,
        d: Dir,
        bytes: &[u8],
        frame: u64,
        ts: Duration,
        ack: Option<u64>,
        limits: &ReassemblerLimits,
    ) {
        let acked_other = ack.map_or(0, |a| self.halves[d.other().idx()].position(a));
        let h = self.half(d);
        let pos = h.data.len();
        let keep = bytes.len().min(limits.max_flow_bytes.saturating_sub(pos));
        h.data.extend_from_slice(&bytes[..keep]);
        h.next_off += bytes.len() as u64;
        h.next_seq = h.next_seq.wrapping_add(bytes.len() as u32);
        if keep < bytes.len() && !h.truncated {
            h.truncated = true;
            let max = limits.max_flow_bytes;
            self.warn(
                frame,
                format!(
                    "{} is longer than {max} bytes (max_flow_bytes): the rest is dropped",
                    d.name()
                ),
            );
        }
        if keep == 0 {
            return;
        }
        match self.runs.last_mut() {
            Some(run) if self.open_run == Some(d) => run.len += keep,
            _ => {
                self.runs.push(Run {
                    dir: d,
                    start: pos,
                    len: keep,
                    frame,
                    ts,
                    acked_other,
                });
                self.open_run = Some(d);
            }
        }
    }

    /// Moves waiting pieces that now fit into the stream.
    fn drain(&mut self, d: Dir, limits: &ReassemblerLimits) {
        loop {
            let h = self.half(d);
            let Some(entry) = h.ooo.first_entry() else {
                return;
            };
            if *entry.key() > h.next_off {
                return;
            }
            let (at, piece) = entry.remove_entry();
            h.ooo_bytes -= piece.data.len();
            let next = h.next_off;
            let end = at + piece.data.len() as u64;
            if end > next {
                let skip = (next - at) as usize;
                self.append(
                    d,
                    &piece.data[skip..],
                    piece.frame,
                    piece.ts,
                    piece.ack,
                    limits,
                );
            }
        }
    }

    /// Records the bytes up to logical offset `to` as missing.
    fn skip_to(&mut self, d: Dir, to: u64, frame: u64, limits: &ReassemblerLimits) {
        let h = self.half(d);
        if to <= h.next_off {
            return;
        }
        let missing = to - h.next_off;
        let pos = h.data.len();
        h.gaps.push(GapMark {
            start: h.next_off,
            end: to,
            pos,
        });
        h.next_off = to;
        h.next_seq = h.next_seq.wrapping_add(missing as u32);
        self.gaps.push(Gap {
            dir: d,
            at: pos,
            missing,
            frame,
        });
        if self.open_run == Some(d) {
            self.open_run = None;
        }
        self.drain(d, limits);
    }

    /// Gives up every hole before logical offset `to` that has data after it.
    fn skip_holes(&mut self, d: Dir, to: u64, frame: u64, limits: &ReassemblerLimits) {
        loop {
            let h = &self.halves[d.idx()];
            let Some(&first) = h.ooo.keys().next() else {
                return;
            };
            if h.next_off >= to {
                return;
            }
            self.skip_to(d, first.min(to), frame, limits);
        }
    }

    /// Ends the flow: holes become gaps, state becomes a [`Flow`].
    fn into_flow(mut self, limits: &ReassemblerLimits) -> Flow {
        let frame = self.last_frame;
        for d in [Dir::ToServer, Dir::ToClient] {
            while let Some(&first) = self.halves[d.idx()].ooo.keys().next() {
                self.skip_to(d, first, frame, limits);
            }
            // Bytes before the FIN, or acknowledged, that never showed up.
            let h = &self.halves[d.idx()];
            let acked = self.halves[d.other().idx()].acked;
            let end = match (h.fin, acked) {
                (Some(f), _) => Some(f),
                (None, a) => a,
            };
            if let Some(end) = end {
                if end > h.next_off && end - h.next_off <= MAX_SEQUENCE_JUMP {
                    self.skip_to(d, end, frame, limits);
                }
            }
            let h = &self.halves[d.idx()];
            if h.cut_segments > 0 {
                let (n, bytes) = (h.cut_segments, h.cut_bytes);
                self.warn(
                    frame,
                    format!(
                        "{n} segments of {} were cut by the snapshot length ({bytes} bytes not captured)",
                        d.name()
                    ),
                );
            }
        }
        if self.suppressed > 0 {
            let n = self.suppressed;
            self.warnings.push(Warning::at(
                frame,
                format!("{n} more warnings about this flow not shown"),
            ));
        }
        let [c, s] = &self.halves;
        let handshake = match (c.syn, s.syn) {
            (true, true) => Handshake::Full,
            (true, false) => Handshake::SynOnly,
            (false, true) => Handshake::SynAckOnly,
            (false, false) => Handshake::Missing,
        };
        let ending = match (self.reset, c.fin.is_some(), s.fin.is_some()) {
            (Some(by), _, _) => Ending::Reset { by },
            (None, false, false) => Ending::Unfinished,
            (None, by_client, by_server) => Ending::Fin {
                by_client,
                by_server,
            },
        };
        let [c, s] = self.halves;
        Flow {
            id: self.id,
            client: self.client,
            server: self.server,
            first_frame: self.first_frame,
            last_frame: self.last_frame,
            start: self.start,
            end: self.end,
            to_server: c.data,
            to_client: s.data,
            runs: self.runs,
            gaps: self.gaps,
            handshake,
            ending,
            warnings: self.warnings,
        }
    }

    /// Where each direction's sender was when the flow closed.
    fn closed(&self) -> Closed {
        Closed {
            ts: self.end,
            next: [
                (self.client, self.halves[0].next_seq, self.halves[0].started),
                (self.server, self.halves[1].next_seq, self.halves[1].started),
            ],
        }
    }
}

/// Stores the parts of `bytes` (at logical `off`) not already waiting:
/// the first copy of every byte wins.
fn ooo_insert(h: &mut Half, off: u64, bytes: &[u8], frame: u64, ts: Duration, ack: Option<u64>) {
    let end = off + bytes.len() as u64;
    let mut cursor = off;
    let mut fresh = Vec::new();
    if let Some((&k, p)) = h.ooo.range(..off).next_back() {
        cursor = cursor.max((k + p.data.len() as u64).min(end));
    }
    for (&k, p) in h.ooo.range(off..end) {
        if k > cursor {
            fresh.push((cursor, k));
        }
        cursor = cursor.max(k + p.data.len() as u64);
        if cursor >= end {
            break;
        }
    }
    if cursor < end {
        fresh.push((cursor, end));
    }
    for (s, e) in fresh {
        let data = bytes[(s - off) as usize..(e - off) as usize].to_vec();
        h.ooo_bytes += data.len();
        h.ooo.insert(
            s,
            Piece {
                data,
                frame,
                ts,
                ack,
            },
        );
    }
}

/// A closed flow's 4-tuple, remembered to absorb its stray segments.
#[derive(Debug, Clone, Copy)]
struct Closed {
    ts: Duration,
    next: [(SocketAddr, u32, bool); 2],
}

impl Closed {
    /// Whether a segment (not a SYN) is a late copy from the closed flow.
    fn absorbs(&self, seg: &TcpSegment) -> bool {
        if seg.payload.is_empty() && seg.wire_len == 0 {
            return true;
        }
        self.next.iter().any(|&(addr, next, started)| {
            addr == seg.src && {
                let rel = i64::from(seg.seq.wrapping_sub(next) as i32);
                !started || (-(MAX_SEQUENCE_JUMP as i64)..=LATE_WINDOW).contains(&rel)
            }
        })
    }
}

/// A 4-tuple, the same both ways.
fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Reassembles many TCP flows at once, keyed by their 4-tuple. See the
/// module docs.
#[derive(Debug)]
pub struct Reassembler {
    limits: ReassemblerLimits,
    flows: HashMap<(SocketAddr, SocketAddr), FlowState>,
    closed: HashMap<(SocketAddr, SocketAddr), Closed>,
    next_id: u64,
    warnings: Vec<Warning>,
}

impl Default for Reassembler {
    fn default() -> Self {
        Reassembler::new(ReassemblerLimits::default())
    }
}

impl Reassembler {
    /// A reassembler with these limits.
    pub fn new(limits: ReassemblerLimits) -> Self {
        Reassembler {
            limits,
            flows: HashMap::new(),
            closed: HashMap::new(),
            next_id: 0,
            warnings: Vec::new(),
        }
    }

    /// How many flows are open.
    pub fn open_flows(&self) -> usize {
        self.flows.len()
    }

    /// Takes one segment; returns the flows that ended with it (its RST or
    /// last FIN acknowledgement; a flow replaced by a new connection on the
    /// same 4-tuple; flows evicted to stay within
    /// [`ReassemblerLimits::max_flows`]).
    pub fn push(&mut self, seg: TcpSegment) -> Vec<Flow> {
        let mut ended = Vec::new();
        let k = key(seg.src, seg.dst);
        let pure_syn = seg.syn && seg.ack.is_none();
        if pure_syn
            && self
                .flows
                .get(&k)
                .is_some_and(|f| f.is_new_connection(&seg))
        {
            if let Some(old) = self.flows.remove(&k) {
                ended.push(old.into_flow(&self.limits));
            }
        }
        if !self.flows.contains_key(&k) {
            if let Some(closed) = self.closed.get(&k) {
                if !seg.syn && closed.absorbs(&seg) {
                    if !seg.payload.is_empty() {
                        self.warn(Warning::at(
                            seg.frame,
                            format!(
                                "{} bytes from {} to {} after their connection closed: dropped",
                                seg.payload.len(),
                                seg.src,
                                seg.dst
                            ),
                        ));
                    }
                    return ended;
                }
                self.closed.remove(&k);
            }
            if self.flows.len() >= self.limits.max_flows {
                self.evict(seg.frame, &mut ended);
            }
            self.flows.insert(k, FlowState::new(self.next_id, &seg));
            self.next_id += 1;
        }
        let Some(flow) = self.flows.get_mut(&k) else {
            return ended;
        };
        if flow.segment(&seg, &self.limits) {
            if let Some(flow) = self.flows.remove(&k) {
                self.remember_closed(k, flow.closed());
                ended.push(flow.into_flow(&self.limits));
            }
        }
        ended
    }

    /// Every flow still open, in the order they started, as they stand
    /// (holes become gaps; [`Ending::Unfinished`] unless a FIN was seen).
    pub fn finish(self) -> Vec<Flow> {
        let limits = self.limits;
        let mut open: Vec<FlowState> = self.flows.into_values().collect();
        open.sort_by_key(|f| f.id);
        open.into_iter().map(|f| f.into_flow(&limits)).collect()
    }

    /// Warnings that concern no single flow (segments of closed flows,
    /// evictions), taken out.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.warnings)
    }

    fn warn(&mut self, w: Warning) {
        if self.warnings.len() < MAX_FLOW_WARNINGS {
            self.warnings.push(w);
        }
    }

    fn remember_closed(&mut self, k: (SocketAddr, SocketAddr), c: Closed) {
        if self.closed.len() >= self.limits.max_flows {
            let horizon = c.ts.saturating_sub(CLOSED_MEMORY);
            self.closed.retain(|_, old| old.ts >= horizon);
            if self.closed.len() >= self.limits.max_flows {
                self.closed.clear();
            }
        }
        self.closed.insert(k, c);
    }

    /// Ends the least recently active eighth of the open flows.
    fn evict(&mut self, frame: u64, ended: &mut Vec<Flow>) {
        let mut by_age: Vec<(Duration, u64, (SocketAddr, SocketAddr))> = self
            .flows
            .iter()
            .map(|(k, f)| (f.end, f.last_frame, *k))
            .collect();
        let n = (by_age.len() / 8).max(1);
        if n < by_age.len() {
            by_age.select_nth_unstable(n);
        }
        by_age.truncate(n);
        by_age.sort_unstable();
        let max = self.limits.max_flows;
        for (_, _, k) in by_age {
            if let Some(mut f) = self.flows.remove(&k) {
                f.warn(
                    frame,
                    format!("more than {max} connections open at once: this one, the least recently active, was ended early"),
                );
                self.remember_closed(k, f.closed());
                ended.push(f.into_flow(&self.limits));
            }
        }
        self.warn(Warning::at(
            frame,
            format!("more than {max} connections open at once: {n} ended early"),
        ));
    }
}

/// Everything in a capture, reassembled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The TCP flows, in the order they started.
    pub flows: Vec<Flow>,
    /// The UDP datagrams, in capture order.
    pub datagrams: Vec<Datagram>,
    /// What went wrong outside any one flow (link and IP layers, the file).
    pub warnings: Vec<Warning>,
    /// How many frames the file had.
    pub frames: u64,
    /// How many bytes those frames captured.
    pub bytes: u64,
    /// The link types seen, in the order first seen.
    pub link_types: Vec<DataLink>,
}

/// What [`reassemble_with`] went through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// How many frames the file had.
    pub frames: u64,
    /// How many bytes those frames captured.
    pub bytes: u64,
    /// The link types seen, in the order first seen.
    pub link_types: Vec<DataLink>,
    /// How many flows were handed to `on_flow`.
    pub flows: u64,
    /// How many datagrams were handed to `on_datagram`.
    pub datagrams: u64,
    /// What went wrong outside any one flow (at most 1000, then a count).
    pub warnings: Vec<Warning>,
}

/// Reads, decodes and reassembles a capture file. See [`reassemble_with`]
/// for which errors stop it.
pub fn reassemble_file(path: impl AsRef<Path>) -> Result<Capture, CaptureError> {
    collect(read::open(path)?)
}

/// Reads, decodes and reassembles a capture from any reader.
pub fn reassemble_reader<R: Read>(r: R) -> Result<Capture, CaptureError> {
    collect(read::from_reader(r)?)
}

fn collect<R: Read>(reader: CaptureReader<R>) -> Result<Capture, CaptureError> {
    let mut flows = Vec::new();
    let mut datagrams = Vec::new();
    let summary = reassemble_with(
        reader,
        ReassemblerLimits::default(),
        |f| flows.push(f),
        |d| datagrams.push(d),
    )?;
    flows.sort_by_key(|f| f.id);
    Ok(Capture {
        flows,
        datagrams,
        warnings: summary.warnings,
        frames: summary.frames,
        bytes: summary.bytes,
        link_types: summary.link_types,
    })
}

/// Caps a list of warnings, counting the rest.
struct CappedWarnings {
    kept: Vec<Warning>,
    dropped: u64,
}

impl CappedWarnings {
    fn extend(&mut self, more: impl IntoIterator<Item = Warning>) {
        for w in more {
            if self.kept.len() < MAX_CAPTURE_WARNINGS {
                self.kept.push(w);
            } else {
                self.dropped += 1;
            }
        }
    }

    fn into_vec(mut self) -> Vec<Warning> {
        if self.dropped > 0 {
            self.kept.push(Warning::file(format!(
                "{} more warnings not shown",
                self.dropped
            )));
        }
        self.kept
    }
}

/// The streaming driver: every frame of `reader` through a [`Decoder`] and a
/// [`Reassembler`]; each flow goes to `on_flow` as soon as it ends (the
/// rest at the end of the file), each datagram to `on_datagram`. Memory is
/// bounded by the open flows.
///
/// Errors: [`CaptureError::Io`] stops it with the error. A file cut short
/// ([`CaptureError::Truncated`]) or broken after its first frame
/// ([`CaptureError::Malformed`]) ends the reading with a warning: the flows
/// so far are still handed out. A packet on an undescribed pcapng interface
/// is a warning, and reading goes on.
pub fn reassemble_with<R: Read>(
    mut reader: CaptureReader<R>,
    limits: ReassemblerLimits,
    mut on_flow: impl FnMut(Flow),
    mut on_datagram: impl FnMut(Datagram),
) -> Result<Summary, CaptureError> {
    let mut decoder = Decoder::default();
    let mut reassembler = Reassembler::new(limits);
    let mut summary = Summary::default();
    let mut warnings = CappedWarnings {
        kept: Vec::new(),
        dropped: 0,
    };
    let mut scratch = Vec::new();
    loop {
        let frame = match reader.next_ref() {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(e)) => match e {
                CaptureError::Io(_) | CaptureError::WrongMagic { .. } => return Err(e),
                CaptureError::Malformed { .. } if summary.frames == 0 => return Err(e),
                CaptureError::UnknownInterface { frame, .. } => {
                    warnings.extend([Warning::at(frame, e.to_string())]);
                    continue;
                }
                CaptureError::Truncated { .. } | CaptureError::Malformed { .. } => {
                    warnings.extend([Warning::file(format!("{e}: reading stopped there"))]);
                    break;
                }
            },
        };
        summary.frames += 1;
        summary.bytes += frame.data.len() as u64;
        if !summary.link_types.contains(&frame.link) {
            summary.link_types.push(frame.link);
        }
        match decoder.decode_ref(frame, &mut scratch) {
            Packet::Tcp(seg) => {
                for flow in reassembler.push(seg) {
                    summary.flows += 1;
                    on_flow(flow);
                }
            }
            Packet::Udp(d) => {
                summary.datagrams += 1;
                on_datagram(d);
            }
            Packet::Other => {}
        }
        if !scratch.is_empty() {
            warnings.extend(scratch.drain(..));
        }
    }
    decoder.finish(&mut scratch);
    warnings.extend(scratch.drain(..));
    warnings.extend(reassembler.take_warnings());
    for flow in reassembler.finish() {
        summary.flows += 1;
        on_flow(flow);
    }
    summary.warnings = warnings.into_vec();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    //! Synthesized segments for every rule, a property over random
    //! orderings, and real captures checked against tshark's view of them.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use proptest::prelude::*;

    const C: &str = "10.0.0.1:40000";
    const S: &str = "10.0.0.2:631";

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// A segment: `flags` holds `S`, `F`, `R` as wanted.
    fn seg(
        frame: u64,
        src: &str,
        dst: &str,
        seq: u32,
        ack: Option<u32>,
        flags: &str,
        payload: &[u8],
    ) -> TcpSegment {
        TcpSegment {
            frame,
            ts: Duration::from_millis(frame),
            src: addr(src),
            dst: addr(dst),
            seq,
            ack,
            syn: flags.contains('S'),
            fin: flags.contains('F'),
            rst: flags.contains('R'),
            payload: payload.to_vec(),
            wire_len: payload.len(),
        }
    }

    /// Pushes every segment; returns the flows push returned, then those
    /// finish returned, and the global warnings.
    fn run_with(
        limits: ReassemblerLimits,
        segs: Vec<TcpSegment>,
    ) -> (Vec<Flow>, Vec<Flow>, Vec<Warning>) {
        let mut r = Reassembler::new(limits);
        let mut ended = Vec::new();
        for s in segs {
            ended.extend(r.push(s));
        }
        let w = r.take_warnings();
        (ended, r.finish(), w)
    }

    fn run(segs: Vec<TcpSegment>) -> (Vec<Flow>, Vec<Flow>, Vec<Warning>) {
        run_with(ReassemblerLimits::default(), segs)
    }

    /// The only flow, wherever it came out.
    fn only(segs: Vec<TcpSegment>) -> Flow {
        let (mut a, b, _) = run(segs);
        a.extend(b);
        assert_eq!(a.len(), 1, "{a:#?}");
        a.pop().unwrap()
    }

    fn handshake(c_isn: u32, s_isn: u32) -> Vec<TcpSegment> {
        vec![
            seg(1, C, S, c_isn, None, "S", b""),
            seg(2, S, C, s_isn, Some(c_isn.wrapping_add(1)), "S", b""),
            seg(
                3,
                C,
                S,
                c_isn.wrapping_add(1),
                Some(s_isn.wrapping_add(1)),
                "",
                b"",
            ),
        ]
    }

    #[test]
    fn request_response_fin_fin_ends_at_the_last_ack() {
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001, Some(5001), "", b"GET /"));
        segs.push(seg(5, S, C, 5001, Some(1006), "", b"HTTP/1.1 200"));
        segs.push(seg(6, C, S, 1006, Some(5013), "F", b""));
        segs.push(seg(7, S, C, 5013, Some(1007), "F", b""));
        let last = seg(8, C, S, 1007, Some(5014), "", b"");
        let mut r = Reassembler::default();
        for s in segs {
            assert!(r.push(s).is_empty());
        }
        let mut ended = r.push(last);
        assert_eq!(ended.len(), 1);
        assert_eq!(r.open_flows(), 0);
        let f = ended.pop().unwrap();
        assert_eq!((f.id, f.client, f.server), (0, addr(C), addr(S)));
        assert_eq!((f.first_frame, f.last_frame), (1, 8));
        assert_eq!(
            (f.start, f.end),
            (Duration::from_millis(1), Duration::from_millis(8))
        );
        assert_eq!(f.to_server, b"GET /");
        assert_eq!(f.to_client, b"HTTP/1.1 200");
        assert_eq!(
            f.runs,
            vec![
                Run {
                    dir: Dir::ToServer,
                    start: 0,
                    len: 5,
                    frame: 4,
                    ts: Duration::from_millis(4),
                    acked_other: 0
                },
                Run {
                    dir: Dir::ToClient,
                    start: 0,
                    len: 12,
                    frame: 5,
                    ts: Duration::from_millis(5),
                    acked_other: 5
                },
            ]
        );
        assert!(f.gaps.is_empty());
        assert_eq!(f.handshake, Handshake::Full);
        assert_eq!(
            f.ending,
            Ending::Fin {
                by_client: true,
                by_server: true
            }
        );
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        assert!(r.finish().is_empty());
    }

    #[test]
    fn out_of_order_segments_wait_for_the_hole() {
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001 + 6, Some(5001), "", b"world"));
        segs.push(seg(5, C, S, 1001, Some(5001), "", b"hel"));
        segs.push(seg(6, C, S, 1004, Some(5001), "", b"lo "));
        let f = only(segs);
        assert_eq!(f.to_server, b"hello world");
        assert!(f.gaps.is_empty());
        assert_eq!(f.runs.len(), 1, "{:?}", f.runs);
        assert_eq!((f.runs[0].frame, f.runs[0].len), (5, 11));
        assert_eq!(f.ending, Ending::Unfinished);
    }

    #[test]
    fn overlaps_keep_the_first_copy() {
        let mut segs = handshake(0, 0);
        segs.push(seg(4, C, S, 1, None, "", &[b'A'; 10]));
        segs.push(seg(5, C, S, 6, None, "", &[b'B'; 15]));
        // Out of order overlaps: C at 30..40, D at 35..45, E covering both
        // and the hole 20..30 before them.
        segs.push(seg(6, C, S, 31, None, "", &[b'C'; 10]));
        segs.push(seg(7, C, S, 36, None, "", &[b'D'; 10]));
        segs.push(seg(8, C, S, 21, None, "", &[b'E'; 30]));
        let f = only(segs);
        let mut want = vec![b'A'; 10];
        want.extend([b'B'; 10]);
        want.extend([b'E'; 10]);
        want.extend([b'C'; 10]);
        want.extend([b'D'; 5]);
        want.extend([b'E'; 5]);
        assert_eq!(
            String::from_utf8_lossy(&f.to_server),
            String::from_utf8_lossy(&want)
        );
        assert!(f.gaps.is_empty());
    }

    #[test]
    fn retransmissions_add_nothing() {
        let mut segs = handshake(7, 9);
        let data = seg(4, C, S, 8, Some(10), "", b"once");
        segs.push(data.clone());
        segs.push(TcpSegment {
            frame: 5,
            ..data.clone()
        });
        segs.push(seg(6, C, S, 12, Some(10), "", b" more"));
        segs.push(TcpSegment { frame: 7, ..data });
        let f = only(segs);
        assert_eq!(f.to_server, b"once more");
        assert_eq!(f.runs.len(), 1);
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    }

    #[test]
    fn missing_syn_starts_at_the_first_segment_seen() {
        let segs = vec![
            seg(1, C, S, 7000, Some(100), "", b"world"),
            // Older data, retransmitted: before the start.
            seg(2, C, S, 6995, Some(100), "", b"hello"),
            // Overlapping the start: its tail is new.
            seg(3, C, S, 7003, Some(100), "", b"ld!"),
        ];
        let f = only(segs);
        assert_eq!(f.to_server, b"world!");
        assert_eq!(f.handshake, Handshake::Missing);
        assert_eq!(f.client, addr(C), "the side not on port 631");
        assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
        assert_eq!(f.warnings[0].frame, Some(2));
    }

    #[test]
    fn syn_ack_first_gives_both_starts() {
        let segs = vec![
            seg(1, S, C, 5000, Some(1001), "S", b""),
            seg(2, C, S, 1001, Some(5001), "", b"abc"),
            seg(3, S, C, 5001, Some(1004), "", b"ok"),
        ];
        let f = only(segs);
        assert_eq!((f.client, f.server), (addr(C), addr(S)));
        assert_eq!(f.handshake, Handshake::SynAckOnly);
        assert_eq!(f.to_server, b"abc");
        assert_eq!(f.to_client, b"ok");
        assert_eq!(f.runs[1].acked_other, 3);
        // A late SYN with the matching ISN completes the handshake.
        let segs = vec![
            seg(1, S, C, 5000, Some(1001), "S", b""),
            seg(2, C, S, 1000, None, "S", b""),
            seg(3, C, S, 1001, Some(5001), "", b"abc"),
        ];
        let f = only(segs);
        assert_eq!(f.handshake, Handshake::Full);
        assert_eq!(f.to_server, b"abc");
    }

    #[test]
    fn syn_sender_is_client_even_from_a_well_known_port() {
        let f = only(vec![
            seg(1, S, C, 1, None, "S", b""),
            seg(2, S, C, 2, None, "", b"x"),
        ]);
        assert_eq!(f.client, addr(S));
        assert_eq!(f.handshake, Handshake::SynOnly);
    }

    #[test]
    fn client_by_port_then_by_higher_port() {
        let f = only(vec![seg(1, S, C, 1, Some(1), "", b"response first")]);
        assert_eq!((f.client, f.server), (addr(C), addr(S)));
        assert_eq!(f.to_client, b"response first");
        let f = only(vec![seg(
            1,
            "1.1.1.1:40000",
            "2.2.2.2:50000",
            1,
            Some(1),
            "",
            b"x",
        )]);
        assert_eq!(f.client, addr("2.2.2.2:50000"));
        // A SYN-ACK from the side guessed as client fixes the guess.
        let f = only(vec![
            seg(1, "1.1.1.1:40000", "2.2.2.2:50000", 1, Some(1), "", b""),
            seg(2, "2.2.2.2:50000", "1.1.1.1:40000", 10, Some(1), "S", b""),
        ]);
        assert_eq!(f.client, addr("1.1.1.1:40000"));
    }

    #[test]
    fn rst_ends_the_flow_at_once() {
        let mut segs = handshake(0, 0);
        segs.push(seg(4, C, S, 1, Some(1), "", b"req"));
        segs.push(seg(5, S, C, 1, Some(4), "R", b""));
        let (ended, rest, _) = run(segs);
        assert!(rest.is_empty());
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].ending, Ending::Reset { by: Dir::ToClient });
        assert_eq!(ended[0].to_server, b"req");
    }

    #[test]
    fn refused_connection_is_syn_only_and_reset() {
        let (ended, _, _) = run(vec![
            seg(1, C, S, 0, None, "S", b""),
            seg(2, S, C, 0, Some(1), "R", b""),
        ]);
        assert_eq!(ended[0].handshake, Handshake::SynOnly);
        assert_eq!(ended[0].ending, Ending::Reset { by: Dir::ToClient });
    }

    #[test]
    fn half_close_at_the_end_of_the_capture() {
        let mut segs = handshake(0, 0);
        segs.push(seg(4, C, S, 1, Some(1), "F", b"job"));
        segs.push(seg(5, S, C, 1, Some(5), "", b""));
        let (ended, rest, _) = run(segs);
        assert!(ended.is_empty());
        assert_eq!(
            rest[0].ending,
            Ending::Fin {
                by_client: true,
                by_server: false
            }
        );
        assert_eq!(rest[0].to_server, b"job");
        assert!(rest[0].gaps.is_empty());
    }

    #[test]
    fn hole_acknowledged_by_the_receiver_is_a_gap() {
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001, Some(5001), "", b"aaaa"));
        // 1005..1009 never captured.
        segs.push(seg(5, C, S, 1009, Some(5001), "", b"cccc"));
        segs.push(seg(6, S, C, 5001, Some(1013), "", b"resp"));
        segs.push(seg(7, C, S, 1013, Some(5005), "", b"dd"));
        let f = only(segs);
        assert_eq!(f.to_server, b"aaaaccccdd");
        assert_eq!(
            f.gaps,
            vec![Gap {
                dir: Dir::ToServer,
                at: 4,
                missing: 4,
                frame: 6
            }]
        );
        let dirs: Vec<(Dir, usize, usize)> =
            f.runs.iter().map(|r| (r.dir, r.start, r.len)).collect();
        assert_eq!(
            dirs,
            vec![
                (Dir::ToServer, 0, 4),
                (Dir::ToServer, 4, 4),
                (Dir::ToClient, 0, 4),
                (Dir::ToServer, 8, 2)
            ]
        );
        // The response acknowledged everything kept: 8 bytes.
        assert_eq!(f.runs[2].acked_other, 8);
    }

    #[test]
    fn ack_before_the_data_after_a_hole_also_gives_a_gap() {
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001, Some(5001), "", b"aaaa"));
        segs.push(seg(5, S, C, 5001, Some(1009), "", b""));
        segs.push(seg(6, C, S, 1009, Some(5001), "", b"cccc"));
        let f = only(segs);
        assert_eq!(f.to_server, b"aaaacccc");
        assert_eq!(
            f.gaps,
            vec![Gap {
                dir: Dir::ToServer,
                at: 4,
                missing: 4,
                frame: 6
            }]
        );
    }

    #[test]
    fn ack_seen_before_its_data_is_tolerated_for_a_while() {
        // A mirror port may show the acknowledgement before the data.
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001, Some(5001), "", b"aaaa"));
        segs.push(seg(5, S, C, 5001, Some(1013), "", b""));
        segs.push(seg(6, C, S, 1009, Some(5001), "", b"cccc"));
        segs.push(seg(7, C, S, 1005, Some(5001), "", b"bbbb"));
        let f = only(segs);
        assert_eq!(f.to_server, b"aaaabbbbcccc");
        assert!(f.gaps.is_empty(), "{:?}", f.gaps);
        // But not for ever: after the grace the hole is a gap, and data
        // arriving later for it is a late copy.
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001, Some(5001), "", b"aaaa"));
        segs.push(seg(5, S, C, 5001, Some(1013), "", b""));
        segs.push(seg(6, C, S, 1009, Some(5001), "", b"cccc"));
        let mut frame = 7;
        for _ in 0..ACKED_HOLE_GRACE {
            segs.push(seg(frame, S, C, 5001, Some(1013), "", b""));
            frame += 1;
        }
        segs.push(seg(frame, C, S, 1005, Some(5001), "", b"bbbb"));
        let f = only(segs);
        assert_eq!(f.to_server, b"aaaacccc");
        assert_eq!(f.gaps.len(), 1);
        assert!(f.gaps[0].frame < frame);
    }

    #[test]
    fn unfilled_holes_become_gaps_at_the_end() {
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001, Some(5001), "", b"aaaa"));
        segs.push(seg(5, C, S, 1011, Some(5001), "F", b"cc"));
        let f = only(segs);
        assert_eq!(f.to_server, b"aaaacc");
        assert_eq!(
            f.gaps,
            vec![Gap {
                dir: Dir::ToServer,
                at: 4,
                missing: 6,
                frame: 5
            }]
        );
        assert_eq!(
            f.ending,
            Ending::Fin {
                by_client: true,
                by_server: false
            }
        );
        // Acknowledged but never seen at the end: a trailing gap.
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001, Some(5001), "", b"aaaa"));
        segs.push(seg(5, S, C, 5001, Some(1010), "", b""));
        let f = only(segs);
        assert_eq!(
            f.gaps,
            vec![Gap {
                dir: Dir::ToServer,
                at: 4,
                missing: 5,
                frame: 5
            }]
        );
    }

    #[test]
    fn sequence_numbers_wrap_past_two_to_the_32() {
        let isn = u32::MAX - 5;
        let mut segs = handshake(isn, 77);
        let data: Vec<u8> = (0..20).collect();
        let mut parts: Vec<TcpSegment> = data
            .chunks(5)
            .enumerate()
            .map(|(i, c)| {
                seg(
                    10 + i as u64,
                    C,
                    S,
                    isn.wrapping_add(1 + 5 * i as u32),
                    Some(78),
                    "",
                    c,
                )
            })
            .collect();
        parts.reverse();
        segs.extend(parts);
        segs.push(seg(20, C, S, isn.wrapping_add(21), Some(78), "F", b""));
        segs.push(seg(21, S, C, 78, Some(isn.wrapping_add(22)), "F", b""));
        let last = seg(22, C, S, isn.wrapping_add(22), Some(79), "", b"");
        segs.push(last);
        let (ended, _, _) = run(segs);
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].to_server, data);
        assert!(ended[0].gaps.is_empty());
    }

    #[test]
    fn new_syn_on_a_closed_tuple_is_a_new_flow() {
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001, Some(5001), "F", b"one"));
        segs.push(seg(5, S, C, 5001, Some(1005), "F", b""));
        segs.push(seg(6, C, S, 1005, Some(5002), "", b""));
        // Stray copies after the close: absorbed.
        segs.push(seg(7, S, C, 5001, Some(1005), "F", b""));
        segs.push(seg(8, C, S, 1001, Some(5002), "F", b"one"));
        // Port reuse.
        segs.push(seg(9, C, S, 90_000, None, "S", b""));
        segs.push(seg(10, S, C, 70_000, Some(90_001), "S", b""));
        segs.push(seg(11, C, S, 90_001, Some(70_001), "", b"two"));
        let (ended, rest, warnings) = run(segs);
        assert_eq!(ended.len(), 1);
        assert_eq!((ended[0].id, &ended[0].to_server[..]), (0, &b"one"[..]));
        assert_eq!(rest.len(), 1);
        assert_eq!((rest[0].id, &rest[0].to_server[..]), (1, &b"two"[..]));
        assert_eq!(rest[0].handshake, Handshake::Full);
        assert_eq!(rest[0].first_frame, 9);
        assert_eq!(warnings.len(), 1, "the late data copy: {warnings:?}");
    }

    #[test]
    fn new_syn_on_an_open_tuple_replaces_the_flow() {
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001, Some(5001), "", b"old"));
        // The same SYN again is a retransmission, not a new flow.
        segs.push(seg(5, C, S, 1000, None, "S", b""));
        segs.push(seg(6, C, S, 4_000_000, None, "S", b""));
        segs.push(seg(7, C, S, 4_000_001, None, "", b"new"));
        let (ended, rest, _) = run(segs);
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].to_server, b"old");
        assert_eq!(ended[0].ending, Ending::Unfinished);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].to_server, b"new");
        assert_eq!(rest[0].id, 1);
    }

    #[test]
    fn a_million_one_byte_segments_make_one_run() {
        let mut r = Reassembler::default();
        for s in handshake(0, 0) {
            r.push(s);
        }
        for i in 0..1_000_000u32 {
            r.push(TcpSegment {
                frame: 4 + u64::from(i),
                ts: Duration::ZERO,
                src: addr(C),
                dst: addr(S),
                seq: 1 + i,
                ack: Some(1),
                syn: false,
                fin: false,
                rst: false,
                payload: vec![i as u8],
                wire_len: 1,
            });
        }
        let flows = r.finish();
        assert_eq!(flows[0].to_server.len(), 1_000_000);
        assert_eq!(flows[0].runs.len(), 1);
        assert_eq!(flows[0].to_server[999_999], 999_999u32 as u8);
    }

    #[test]
    fn impossible_jumps_are_dropped_not_allocated() {
        let mut segs = handshake(1000, 5000);
        segs.push(seg(4, C, S, 1001, Some(5001), "", b"abc"));
        segs.push(seg(5, C, S, 1004 + (3 << 29), Some(5001), "", b"far away"));
        // An absurd acknowledgement is ignored too.
        segs.push(seg(6, S, C, 5001, Some(1004 + (3 << 29)), "", b""));
        segs.push(seg(7, C, S, 1004, Some(5001), "", b"def"));
        let f = only(segs);
        assert_eq!(f.to_server, b"abcdef");
        assert!(f.gaps.is_empty());
        assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
        assert_eq!(f.warnings[0].frame, Some(5));
    }

    #[test]
    fn snapshot_cut_segments_leave_gaps_and_a_warning() {
        let mut segs = handshake(1000, 5000);
        let mut cut = seg(4, C, S, 1001, Some(5001), "", b"abcd");
        cut.wire_len = 10;
        segs.push(cut);
        segs.push(seg(5, C, S, 1011, Some(5001), "", b"next"));
        segs.push(seg(6, S, C, 5001, Some(1015), "", b""));
        let f = only(segs);
        assert_eq!(f.to_server, b"abcdnext");
        assert_eq!(
            f.gaps,
            vec![Gap {
                dir: Dir::ToServer,
                at: 4,
                missing: 6,
                frame: 6
            }]
        );
        assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
        assert!(f.warnings[0].message.contains("snapshot"));
    }

    #[test]
    fn max_flow_bytes_truncates_with_a_warning() {
        let limits = ReassemblerLimits {
            max_flow_bytes: 10,
            ..Default::default()
        };
        let mut segs = handshake(0, 0);
        segs.push(seg(4, C, S, 1, None, "", &[1; 8]));
        segs.push(seg(5, C, S, 9, None, "", &[2; 8]));
        segs.push(seg(6, C, S, 17, None, "", &[3; 8]));
        let (_, flows, _) = run_with(limits, segs);
        assert_eq!(flows[0].to_server.len(), 10);
        assert_eq!(flows[0].runs[0].len, 10);
        assert_eq!(flows[0].warnings.len(), 1);
    }

    #[test]
    fn max_out_of_order_bytes_gives_up_the_hole() {
        let limits = ReassemblerLimits {
            max_out_of_order_bytes: 10,
            ..Default::default()
        };
        let mut segs = handshake(0, 0);
        segs.push(seg(4, C, S, 1, None, "", b"a"));
        segs.push(seg(5, C, S, 3, None, "", b"bbbbb"));
        segs.push(seg(6, C, S, 8, None, "", b"ccccc"));
        segs.push(seg(7, C, S, 13, None, "", b"ddddd"));
        let (_, flows, _) = run_with(limits, segs);
        assert_eq!(flows[0].to_server, b"abbbbbcccccddddd");
        assert_eq!(
            flows[0].gaps,
            vec![Gap {
                dir: Dir::ToServer,
                at: 1,
                missing: 1,
                frame: 7
            }]
        );
        assert_eq!(flows[0].warnings.len(), 1);
    }

    #[test]
    fn max_flows_evicts_the_least_recently_active() {
        let limits = ReassemblerLimits {
            max_flows: 4,
            ..Default::default()
        };
        let mut r = Reassembler::new(limits);
        let mut ended = Vec::new();
        for i in 0..10u16 {
            let c = format!("10.0.0.1:{}", 40000 + i);
            ended.extend(r.push(seg(u64::from(i), &c, S, 0, None, "S", b"")));
            assert!(r.open_flows() <= 4);
        }
        assert_eq!(r.take_warnings().len(), 6);
        let rest = r.finish();
        assert_eq!(ended.len() + rest.len(), 10);
        assert_eq!(
            ended.iter().map(|f| f.id).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
        assert!(ended
            .iter()
            .all(|f| f.warnings.len() == 1 && f.ending == Ending::Unfinished));
    }

    #[test]
    fn interleaved_flows_stay_apart() {
        let c2 = "10.0.0.3:40001";
        let segs = vec![
            seg(1, C, S, 0, None, "S", b""),
            seg(2, c2, S, 100, None, "S", b""),
            seg(3, c2, S, 101, None, "", b"second"),
            seg(4, C, S, 1, None, "", b"first"),
        ];
        let (_, flows, _) = run(segs);
        assert_eq!(flows.len(), 2);
        assert_eq!((flows[0].id, &flows[0].to_server[..]), (0, &b"first"[..]));
        assert_eq!((flows[1].id, &flows[1].to_server[..]), (1, &b"second"[..]));
    }

    /// A tiny xorshift, for the property test's cuts and shuffles.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Cuts `data` (at logical offset 0 = `isn` + 1) into random segments.
    fn cut(data: &[u8], isn: u32, rng: &mut Rng, max: usize) -> Vec<(u32, Vec<u8>)> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let len = 1 + rng.below(max);
            let end = (at + len).min(data.len());
            out.push((
                isn.wrapping_add(1).wrapping_add(at as u32),
                data[at..end].to_vec(),
            ));
            at = end;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any order, any duplicates, overlapping re-cuts: the stream comes
        /// back as it was sent.
        #[test]
        fn any_order_and_duplicates_reassemble_to_the_original(
            data in proptest::collection::vec(any::<u8>(), 0..3000),
            isn in prop_oneof![any::<u32>(), (u32::MAX - 3000)..=u32::MAX],
            seed in 1u64..,
            dups in 0usize..30,
        ) {
            let mut rng = Rng(seed);
            let mut pieces = cut(&data, isn, &mut rng, 200);
            // A second cut: retransmissions with other boundaries.
            let mut recut = cut(&data, isn, &mut rng, 300);
            recut.retain(|_| rng.below(3) == 0);
            pieces.extend(recut);
            for _ in 0..dups {
                if !pieces.is_empty() {
                    let p = pieces[rng.below(pieces.len())].clone();
                    pieces.push(p);
                }
            }
            for i in (1..pieces.len()).rev() {
                pieces.swap(i, rng.below(i + 1));
            }
            let mut segs = vec![
                seg(1, C, S, isn, None, "S", b""),
                seg(2, S, C, 9, Some(isn.wrapping_add(1)), "S", b""),
            ];
            for (i, (seq, bytes)) in pieces.into_iter().enumerate() {
                segs.push(seg(3 + i as u64, C, S, seq, Some(10), "", &bytes));
            }
            let f = only(segs);
            prop_assert_eq!(&f.to_server, &data);
            prop_assert!(f.gaps.is_empty());
            prop_assert!(f.warnings.is_empty());
            let mut at = 0;
            for r in &f.runs {
                prop_assert_eq!(r.start, at);
                at += r.len;
            }
            prop_assert_eq!(at, data.len());
        }

        /// Arbitrary segments on a few 4-tuples: no panic, and nothing kept
        /// beyond the limits.
        #[test]
        fn arbitrary_segments_stay_within_limits(
            segs in proptest::collection::vec(
                (0u8..3, any::<bool>(), any::<u32>(), proptest::option::of(any::<u32>()), 0u8..8,
                 proptest::collection::vec(any::<u8>(), 0..64)),
                0..200),
        ) {
            let limits = ReassemblerLimits { max_flow_bytes: 100, max_out_of_order_bytes: 50, max_flows: 2 };
            let mut r = Reassembler::new(limits);
            let ports = ["10.0.0.1:1", "10.0.0.1:2", "10.0.0.1:3"];
            let mut all = Vec::new();
            for (i, (p, back, seq, ack, flags, payload)) in segs.into_iter().enumerate() {
                let (src, dst) = if back { (S, ports[p as usize]) } else { (ports[p as usize], S) };
                let mut s = seg(i as u64, src, dst, seq, ack, "", &payload);
                s.syn = flags & 1 != 0;
                s.fin = flags & 2 != 0;
                s.rst = flags & 4 != 0 && flags & 3 == 0;
                all.extend(r.push(s));
                prop_assert!(r.open_flows() <= 2);
            }
            all.extend(r.finish());
            for f in all {
                prop_assert!(f.to_server.len() <= 100 && f.to_client.len() <= 100);
                for run in &f.runs {
                    prop_assert!(run.start + run.len <= f.stream(run.dir).len());
                }
            }
        }
    }

    // Real captures, checked against `tshark -z follow,tcp,raw,N`: each
    // direction's length and FNV-1a 64 hash.

    fn fnv(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn external_captures() -> std::path::PathBuf {
        let dir = match std::env::var_os("PAPERJAM_EXTERNAL_CAPTURES") {
            Some(d) => std::path::PathBuf::from(d),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/captures"),
        };
        assert!(
            dir.join("ndpi-ipp.pcap").is_file(),
            "the third-party captures are missing: {} has no ndpi-ipp.pcap (set PAPERJAM_EXTERNAL_CAPTURES)",
            dir.display()
        );
        dir
    }

    /// (to_server length, hash, to_client length, hash) per flow.
    type Expected = &'static [(usize, u64, usize, u64)];

    fn check_against_tshark(capture: &Capture, expected: Expected) {
        assert_eq!(capture.flows.len(), expected.len());
        for (f, &(cl, ch, sl, sh)) in capture.flows.iter().zip(expected) {
            assert_eq!(
                (f.to_server.len(), fnv(&f.to_server)),
                (cl, ch),
                "flow {} to_server",
                f.id
            );
            assert_eq!(
                (f.to_client.len(), fnv(&f.to_client)),
                (sl, sh),
                "flow {} to_client",
                f.id
            );
            assert!(f.gaps.is_empty(), "flow {}: {:?}", f.id, f.gaps);
            assert!(f.warnings.is_empty(), "flow {}: {:?}", f.id, f.warnings);
            assert_eq!(f.handshake, Handshake::Full);
            assert_eq!(
                f.ending,
                Ending::Fin {
                    by_client: true,
                    by_server: true
                }
            );
        }
        assert!(capture.warnings.is_empty(), "{:?}", capture.warnings);
    }

    #[test]
    fn ndpi_ipp_retransmission_is_removed() {
        let path = external_captures().join("ndpi-ipp.pcap");
        let capture = reassemble_file(&path).unwrap();
        assert_eq!(capture.frames, 279);
        assert_eq!(capture.link_types, vec![DataLink::ETHERNET]);
        check_against_tshark(
            &capture,
            &[
                (430, 0xc3ba_9e75_2d6f_8da4, 501, 0x2523_14e1_b827_9e21),
                (227_453, 0xf4ab_a295_8795_2953, 370, 0x84b2_e5e1_5ae3_26af),
                (730, 0x0745_71cf_9715_6d46, 572, 0xd3e6_2fcf_f079_5017),
            ],
        );
        let print_job = &capture.flows[1];
        assert_eq!(print_job.server.port(), 631);
        // The Print-Job's body is exactly its Content-Length long.
        let stream = &print_job.to_server;
        let head_end = stream.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&stream[..head_end]);
        assert!(head.starts_with("POST /ipp/ HTTP/1.1\r\n"), "{head}");
        assert!(head.contains("Content-Length: 227309\r\n"), "{head}");
        assert_eq!(stream.len() - head_end, 227_309);

        // Naive concatenation of the payloads has the 168 retransmitted
        // bytes (frames 231 and 232) twice.
        let mut reader = read::open(&path).unwrap();
        let mut decoder = Decoder::default();
        let mut naive = Vec::new();
        let mut w = Vec::new();
        while let Some(frame) = reader.next_ref() {
            if let Packet::Tcp(s) = decoder.decode_ref(frame.unwrap(), &mut w) {
                if s.src == print_job.client && s.dst == print_job.server {
                    naive.extend(s.payload);
                }
            }
        }
        assert_eq!(naive.len(), stream.len() + 168);
        assert_ne!(&naive, stream);
        let at = 213_148;
        assert_eq!(
            naive[at..at + 168],
            naive[at + 168..at + 336],
            "the duplicate"
        );
        assert_eq!(naive[..at + 168], stream[..at + 168]);
        assert_eq!(naive[at + 336..], stream[at + 168..]);
    }

    #[test]
    fn repository_captures_match_tshark() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../captures");
        const EMPTY: u64 = 0xcbf2_9ce4_8422_2325;
        let cases: &[(&str, Expected)] = &[
            (
                "appsocket-cups-socket-backend.pcapng",
                &[(2926, 0xeb0b_a984_4b0e_f9a2, 0, EMPTY)],
            ),
            (
                "lpd-cups-backend.pcapng",
                &[(3011, 0xf952_e1d5_6d83_5119, 5, 0xe4bc_4fd9_252b_e94f)],
            ),
            (
                "lpd-lprng-lpr-lpq.pcapng",
                &[
                    (3186, 0x8c91_e1df_63ac_31f6, 5, 0xe4bc_4fd9_252b_e94f),
                    (4, 0x7484_5060_56a8_6977, 160, 0xb3fc_e59d_80d2_ac23),
                ],
            ),
        ];
        for (name, expected) in cases {
            let capture = reassemble_file(dir.join(name)).unwrap();
            assert_eq!(capture.link_types, vec![DataLink::ETHERNET], "{name}");
            check_against_tshark(&capture, expected);
        }
    }

    #[test]
    fn truncated_capture_keeps_the_flows_before_the_cut() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../captures/lpd-cups-backend.pcapng");
        let bytes = std::fs::read(path).unwrap();
        let cut = &bytes[..bytes.len() - 10];
        let capture = reassemble_reader(cut).unwrap();
        assert_eq!(capture.flows.len(), 1);
        assert_eq!(capture.warnings.len(), 1, "{:?}", capture.warnings);
        assert!(
            capture.warnings[0].message.contains("ends in the middle"),
            "{}",
            capture.warnings[0]
        );
        // Every cut: no panic, no error but for the file header.
        for len in 0..bytes.len() {
            if let Err(e) = reassemble_reader(&bytes[..len]) {
                assert!(
                    matches!(e, CaptureError::Truncated { frame: 0, .. }),
                    "{len}: {e}"
                );
            }
        }
    }
}
