//! Capture files → [`Frame`]s: classic pcap (either byte order, micro- or
//! nanosecond timestamps) and pcapng (every section, every interface with its
//! own link type, snapshot length, `if_tsresol` and `if_tsoffset`; Enhanced,
//! Simple and the obsolete Packet blocks), told apart by their magic number.
//!
//! The contract:
//! - streaming: one buffer (256 KiB, grown only for a record that needs
//!   more, up to [`MAX_RECORD_LEN`]) refilled from any [`Read`]; the fast
//!   path, [`CaptureReader::next_ref`] / [`CaptureReader::for_each_frame`],
//!   lends each frame's bytes out of that buffer with no allocation at all;
//!   the owned [`Frame`] iterator is built on it;
//! - every length in the file is checked before it is used; a record the
//!   file ends inside is [`CaptureError::Truncated`], naming the frame it
//!   would have been, after every frame before it was yielded;
//! - the reader does not judge the frames: a frame cut by the snapshot
//!   length (`data.len() < orig_len`) or on a link type nobody decodes is
//!   handed on as it is, for [`super::link`] to warn about.
//!
//! The record layouts checked here are the ones the formats' specifications
//! give: pcap as in `draft-ietf-opsawg-pcap`, pcapng as in
//! `draft-ietf-opsawg-pcapng` (block total length repeated after the body,
//! a multiple of 4; options as code, length, value padded to 4).

use std::fs::File;
use std::io::{self, BufReader, ErrorKind, Read};
use std::path::Path;
use std::time::Duration;

use pcap_file::DataLink;

use super::Frame;

/// The largest record (pcap packet record or pcapng block) the reader
/// accepts; anything bigger is [`CaptureError::Malformed`], so a corrupt
/// length can never make the reader allocate more than this.
pub const MAX_RECORD_LEN: usize = 64 * 1024 * 1024;

const INITIAL_BUFFER: usize = 256 * 1024;
const MIN_READ: usize = 64 * 1024;

const PCAP_MICRO: u32 = 0xA1B2_C3D4;
const PCAP_NANO: u32 = 0xA1B2_3C4D;
const NG_SHB: u32 = 0x0A0D_0D0A;
const NG_BOM: u32 = 0x1A2B_3C4D;
const NG_IDB: u32 = 1;
const NG_PB: u32 = 2;
const NG_SPB: u32 = 3;
const NG_EPB: u32 = 6;
const OPT_END: u16 = 0;
const OPT_IF_TSRESOL: u16 = 9;
const OPT_IF_TSOFFSET: u16 = 14;

/// Why a capture could not be read (further).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened or read.
    #[error("reading the capture: {0}")]
    Io(#[from] io::Error),
    /// The file starts with neither a pcap nor a pcapng magic number.
    #[error("not a pcap or pcapng file (it starts with {found:02x?})")]
    WrongMagic {
        /// The first four bytes of the file.
        found: [u8; 4],
    },
    /// The file ends in the middle of a header or record. Every frame
    /// before it was already yielded.
    #[error("{}", truncated_message(*.frame, *.offset, *.needed, *.available))]
    Truncated {
        /// The frame the record would have been (numbered from 1, as
        /// Wireshark does; 0 for the file header).
        frame: u64,
        /// Where in the file the cut record starts.
        offset: u64,
        /// How many bytes the record needs.
        needed: u64,
        /// How many of them the file still has.
        available: u64,
    },
    /// A header or record breaks the format (an impossible length, a
    /// trailer that disagrees with its header, a bad byte-order mark…).
    #[error("frame {frame} (record at byte {offset}): {message}")]
    Malformed {
        /// The frame the record would have been (0 for the file header).
        frame: u64,
        /// Where in the file the record starts.
        offset: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A pcapng packet names an interface its section never described.
    /// Not fatal: the block is skipped and reading can go on.
    #[error("frame {frame}: interface {id} was never described in its section")]
    UnknownInterface {
        /// The frame that names it.
        frame: u64,
        /// The interface id it names.
        id: u32,
    },
}

fn truncated_message(frame: u64, offset: u64, needed: u64, available: u64) -> String {
    let what = if frame == 0 {
        "the file header".to_string()
    } else {
        format!("frame {frame}")
    };
    format!(
        "the file ends in the middle of {what} (record at byte {offset} needs {needed} bytes, \
         {available} left)"
    )
}

impl CaptureError {
    /// Whether reading must stop here. After a non-fatal error
    /// ([`CaptureError::UnknownInterface`]) the next call goes on with the
    /// next record.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, CaptureError::UnknownInterface { .. })
    }

    /// The frame the error concerns, if it concerns one (0 is the file
    /// header).
    pub fn frame(&self) -> Option<u64> {
        match self {
            CaptureError::Io(_) | CaptureError::WrongMagic { .. } => None,
            CaptureError::Truncated { frame, .. }
            | CaptureError::Malformed { frame, .. }
            | CaptureError::UnknownInterface { frame, .. } => Some(*frame),
        }
    }
}

/// Which file format a [`CaptureReader`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap.
    Pcap {
        /// Whether the file's numbers are big-endian.
        big_endian: bool,
        /// Whether timestamps have nanosecond (else microsecond) resolution.
        nanoseconds: bool,
    },
    /// pcapng (the byte order may change from section to section).
    PcapNg,
}

/// One frame lent out of the reader's buffer: the same fields as [`Frame`],
/// with the bytes borrowed. Valid until the next call on the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef<'a> {
    /// The frame's number in the file, from 1 (as Wireshark counts).
    pub number: u64,
    /// When it was captured, since the Unix epoch.
    pub ts: Duration,
    /// The link type of its interface.
    pub link: DataLink,
    /// The bytes captured.
    pub data: &'a [u8],
    /// The frame's length on the wire.
    pub orig_len: u32,
}

impl FrameRef<'_> {
    /// An owned copy.
    pub fn to_frame(&self) -> Frame {
        Frame {
            number: self.number,
            ts: self.ts,
            link: self.link,
            data: self.data.to_vec(),
            orig_len: self.orig_len,
        }
    }
}

impl<'a> From<&'a Frame> for FrameRef<'a> {
    fn from(f: &'a Frame) -> Self {
        FrameRef {
            number: f.number,
            ts: f.ts,
            link: f.link,
            data: &f.data,
            orig_len: f.orig_len,
        }
    }
}

/// A refillable window over the input. `buf[start..end]` holds bytes not
/// consumed yet; `offset` is the file offset of `buf[start]`.
struct Window<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    offset: u64,
    eof: bool,
}

impl<R: Read> Window<R> {
    fn new(inner: R) -> Self {
        Window {
            inner,
            buf: Vec::new(),
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
        }
    }

    fn available(&self) -> usize {
        self.end - self.start
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Makes at least `n` bytes available unless the input ends first;
    /// returns how many are available. `n` must be at most
    /// [`MAX_RECORD_LEN`] (callers check).
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        if self.available() >= n || self.eof {
            return Ok(self.available());
        }
        if self.buf.len() < n {
            let doubled = self.buf.len().saturating_mul(2).min(MAX_RECORD_LEN);
            self.buf.resize(n.max(INITIAL_BUFFER).max(doubled), 0);
        }
        // Move what is left to the front when the record would not fit
        // behind it, or when the space left would make reads small.
        if self.buf.len() - self.start < n
            || self.buf.len() - self.end < MIN_READ.min(self.buf.len() / 4)
        {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while self.available() < n {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(k) => self.end += k,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.available())
    }

    /// Consumes `n` available bytes; returns where they start in `buf`.
    fn consume(&mut self, n: usize) -> usize {
        let at = self.start;
        self.start += n;
        self.offset += n as u64;
        at
    }
}

/// A pcapng interface, as its Interface Description Block described it.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link: DataLink,
    snaplen: u32,
    /// Timestamp units per second (`if_tsresol`).
    units_per_sec: u64,
    /// Seconds to add to every timestamp (`if_tsoffset`).
    offset_secs: i64,
}

#[derive(Debug)]
enum State {
    Pcap {
        big_endian: bool,
        nanoseconds: bool,
        link: DataLink,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
        /// The last timestamp seen (Simple Packet Blocks have none).
        last_ts: Duration,
    },
}

/// Streams the frames of a pcap or pcapng file. See the module docs.
pub struct CaptureReader<R: Read> {
    window: Window<R>,
    state: State,
    /// Frames yielded (or skipped as [`CaptureError::UnknownInterface`]).
    frames: u64,
    done: bool,
}

impl<R: Read> std::fmt::Debug for CaptureReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("format", &self.format())
            .field("frames", &self.frames)
            .field("offset", &self.window.offset)
            .field("done", &self.done)
            .finish()
    }
}

/// Opens a capture file (buffered) and reads its header.
pub fn open(path: impl AsRef<Path>) -> Result<CaptureReader<BufReader<File>>, CaptureError> {
    let file = File::open(path)?;
    CaptureReader::new(BufReader::with_capacity(MIN_READ, file))
}

/// Reads a capture's header from `r`; frames follow from the returned
/// reader.
pub fn from_reader<R: Read>(r: R) -> Result<CaptureReader<R>, CaptureError> {
    CaptureReader::new(r)
}

fn u16_at(b: &[u8], at: usize, big: bool) -> u16 {
    let mut x = [0u8; 2];
    if let Some(s) = b.get(at..at + 2) {
        x.copy_from_slice(s);
    }
    if big {
        u16::from_be_bytes(x)
    } else {
        u16::from_le_bytes(x)
    }
}

fn u32_at(b: &[u8], at: usize, big: bool) -> u32 {
    let mut x = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        x.copy_from_slice(s);
    }
    if big {
        u32::from_be_bytes(x)
    } else {
        u32::from_le_bytes(x)
    }
}

fn u64_at(b: &[u8], at: usize, big: bool) -> u64 {
    let mut x = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        x.copy_from_slice(s);
    }
    if big {
        u64::from_be_bytes(x)
    } else {
        u64::from_le_bytes(x)
    }
}

/// Converts `units` of `1/units_per_sec` seconds to a duration.
fn units_to_duration(units: u64, units_per_sec: u64) -> Duration {
    match units_per_sec {
        0 => Duration::ZERO,
        1_000_000 => Duration::new(units / 1_000_000, ((units % 1_000_000) * 1000) as u32),
        1_000_000_000 => Duration::new(units / 1_000_000_000, (units % 1_000_000_000) as u32),
        per => {
            let nanos = u128::from(units % per) * 1_000_000_000 / u128::from(per);
            // `nanos` < 1e9 because `units % per` < `per`.
            Duration::new(units / per, u32::try_from(nanos).unwrap_or(999_999_999))
        }
    }
}

fn apply_offset(ts: Duration, offset_secs: i64) -> Duration {
    let shift = Duration::from_secs(offset_secs.unsigned_abs());
    if offset_secs >= 0 {
        ts.checked_add(shift).unwrap_or(Duration::MAX)
    } else {
        ts.saturating_sub(shift)
    }
}

/// A pcapng section header's byte order, from its byte-order magic.
fn section_order(bom: [u8; 4]) -> Option<bool> {
    if u32::from_be_bytes(bom) == NG_BOM {
        Some(true)
    } else if u32::from_le_bytes(bom) == NG_BOM {
        Some(false)
    } else {
        None
    }
}

/// Parses an Interface Description Block's body.
fn parse_idb(body: &[u8], big: bool) -> Result<Interface, String> {
    if body.len() < 8 {
        return Err(format!(
            "interface description block body is {} bytes, needs 8",
            body.len()
        ));
    }
    let link = DataLink::from(u32::from(u16_at(body, 0, big)));
    let snaplen = u32_at(body, 4, big);
    let mut iface = Interface {
        link,
        snaplen,
        units_per_sec: 1_000_000,
        offset_secs: 0,
    };
    let mut opts = &body[8..];
    // Options: code (2), length (2), value padded to 4. A broken option
    // list ends the options; the block's framing is already checked.
    while opts.len() >= 4 {
        let code = u16_at(opts, 0, big);
        let len = usize::from(u16_at(opts, 2, big));
        if code == OPT_END {
            break;
        }
        let Some(value) = opts.get(4..4 + len) else {
            break;
        };
        match code {
            OPT_IF_TSRESOL if !value.is_empty() => {
                let v = value[0];
                let exp = u32::from(v & 0x7f);
                iface.units_per_sec = if v & 0x80 != 0 {
                    1u64.checked_shl(exp).filter(|_| exp < 64)
                } else {
                    10u64.checked_pow(exp)
                }
                .ok_or_else(|| format!("if_tsresol {v:#04x} is beyond 64-bit timestamps"))?;
            }
            OPT_IF_TSOFFSET if value.len() == 8 => {
                iface.offset_secs = u64_at(value, 0, big) as i64;
            }
            _ => {}
        }
        let padded = (4 + len + 3) & !3;
        opts = opts.get(padded..).unwrap_or(&[]);
    }
    Ok(iface)
}

/// What one pcapng block turned out to be.
enum Block {
    /// Not a packet (or a new section/interface): nothing to yield.
    Skip,
    /// A packet: where its data is in the block, and its metadata.
    Packet {
        data_at: usize,
        caplen: usize,
        ts: Duration,
        link: DataLink,
        orig_len: u32,
    },
}

impl<R: Read> CaptureReader<R> {
    /// Reads the file header (pcap) or first section header (pcapng).
    pub fn new(inner: R) -> Result<Self, CaptureError> {
        let mut window = Window::new(inner);
        let have = window.fill(4)?;
        if have < 4 {
            return Err(CaptureError::Truncated {
                frame: 0,
                offset: 0,
                needed: 4,
                available: have as u64,
            });
        }
        let mut magic = [0u8; 4];
        magic.copy_from_slice(&window.bytes()[..4]);
        let state = if magic == NG_SHB.to_be_bytes() {
            // The section header block is read as the first block.
            State::PcapNg {
                big_endian: true,
                interfaces: Vec::new(),
                last_ts: Duration::ZERO,
            }
        } else {
            let (big_endian, nanoseconds) =
                match (u32::from_be_bytes(magic), u32::from_le_bytes(magic)) {
                    (PCAP_MICRO, _) => (true, false),
                    (PCAP_NANO, _) => (true, true),
                    (_, PCAP_MICRO) => (false, false),
                    (_, PCAP_NANO) => (false, true),
                    _ => return Err(CaptureError::WrongMagic { found: magic }),
                };
            let have = window.fill(24)?;
            if have < 24 {
                return Err(CaptureError::Truncated {
                    frame: 0,
                    offset: 0,
                    needed: 24,
                    available: have as u64,
                });
            }
            // Link type: the low 28 bits (the top ones may carry FCS info).
            let raw_link = u32_at(window.bytes(), 20, big_endian) & 0x0FFF_FFFF;
            window.consume(24);
            State::Pcap {
                big_endian,
                nanoseconds,
                link: DataLink::from(raw_link),
            }
        };
        let mut reader = CaptureReader {
            window,
            state,
            frames: 0,
            done: false,
        };
        if matches!(reader.state, State::PcapNg { .. }) {
            // Read the first section header now, so a broken one is an
            // error of `new` (the file header), not of the first frame.
            reader.next_ng_block(true)?;
        }
        Ok(reader)
    }

    /// The format the file turned out to have.
    pub fn format(&self) -> Format {
        match self.state {
            State::Pcap {
                big_endian,
                nanoseconds,
                ..
            } => Format::Pcap {
                big_endian,
                nanoseconds,
            },
            State::PcapNg { .. } => Format::PcapNg,
        }
    }

    /// How many frames were read so far (the last one's number).
    pub fn frames_read(&self) -> u64 {
        self.frames
    }

    /// The fast path: the next frame, lent out of the reader's buffer.
    /// `None` at the end of the file and after a fatal error.
    #[allow(clippy::should_implement_trait)]
    pub fn next_ref(&mut self) -> Option<Result<FrameRef<'_>, CaptureError>> {
        if self.done {
            return None;
        }
        let step = match self.state {
            State::Pcap { .. } => self.next_pcap_record(),
            State::PcapNg { .. } => self.next_ng_packet(),
        };
        match step {
            Ok(None) => {
                self.done = true;
                None
            }
            Ok(Some((at, len, number, ts, link, orig_len))) => Some(Ok(FrameRef {
                number,
                ts,
                link,
                data: &self.window.buf[at..at + len],
                orig_len,
            })),
            Err(e) => {
                if e.is_fatal() {
                    self.done = true;
                }
                Some(Err(e))
            }
        }
    }

    /// The next frame, owned. `None` at the end of the file and after a
    /// fatal error.
    pub fn next_frame(&mut self) -> Option<Result<Frame, CaptureError>> {
        self.next_ref().map(|r| r.map(|f| f.to_frame()))
    }

    /// Calls `f` with every remaining frame, lent out of the buffer (no
    /// allocation per frame). Returns how many frames `f` saw, or the first
    /// error; after a non-fatal one ([`CaptureError::is_fatal`]) calling
    /// again goes on after the record at fault.
    pub fn for_each_frame(&mut self, mut f: impl FnMut(FrameRef<'_>)) -> Result<u64, CaptureError> {
        let mut seen = 0;
        while let Some(r) = self.next_ref() {
            f(r?);
            seen += 1;
        }
        Ok(seen)
    }

    /// One pcap record: (data position in buf, captured length, number,
    /// timestamp, link, original length).
    #[allow(clippy::type_complexity)]
    fn next_pcap_record(
        &mut self,
    ) -> Result<Option<(usize, usize, u64, Duration, DataLink, u32)>, CaptureError> {
        let State::Pcap {
            big_endian: big,
            nanoseconds,
            link,
        } = self.state
        else {
            return Ok(None);
        };
        let number = self.frames + 1;
        let offset = self.window.offset;
        let have = self.window.fill(16)?;
        if have == 0 {
            return Ok(None);
        }
        if have < 16 {
            return Err(CaptureError::Truncated {
                frame: number,
                offset,
                needed: 16,
                available: have as u64,
            });
        }
        let head = &self.window.bytes()[..16];
        let ts_sec = u32_at(head, 0, big);
        let ts_frac = u32_at(head, 4, big);
        let incl_len = u32_at(head, 8, big) as usize;
        let orig_len = u32_at(head, 12, big);
        if incl_len > MAX_RECORD_LEN - 16 {
            return Err(CaptureError::Malformed {
                frame: number,
                offset,
                message: format!(
                    "captured length {incl_len} is beyond the {MAX_RECORD_LEN}-byte limit"
                ),
            });
        }
        let have = self.window.fill(16 + incl_len)?;
        if have < 16 + incl_len {
            return Err(CaptureError::Truncated {
                frame: number,
                offset,
                needed: 16 + incl_len as u64,
                available: have as u64,
            });
        }
        let nanos = if nanoseconds {
            u64::from(ts_frac)
        } else {
            u64::from(ts_frac) * 1000
        };
        // A fraction of a second ≥ 1 s (broken writers) carries over.
        let ts = Duration::from_secs(u64::from(ts_sec)) + Duration::from_nanos(nanos);
        let at = self.window.consume(16 + incl_len) + 16;
        self.frames = number;
        Ok(Some((at, incl_len, number, ts, link, orig_len)))
    }

    /// Skips pcapng blocks up to the next packet.
    #[allow(clippy::type_complexity)]
    fn next_ng_packet(
        &mut self,
    ) -> Result<Option<(usize, usize, u64, Duration, DataLink, u32)>, CaptureError> {
        loop {
            let number = self.frames + 1;
            let Some((at, block)) = self.next_ng_block(false)? else {
                return Ok(None);
            };
            if let Block::Packet {
                data_at,
                caplen,
                ts,
                link,
                orig_len,
            } = block
            {
                self.frames = number;
                return Ok(Some((at + data_at, caplen, number, ts, link, orig_len)));
            }
        }
    }

    /// Reads one pcapng block; `Ok(None)` at a clean end of the file.
    /// Returns where the block starts in the buffer and what it was.
    fn next_ng_block(&mut self, first: bool) -> Result<Option<(usize, Block)>, CaptureError> {
        let number = if first { 0 } else { self.frames + 1 };
        let offset = self.window.offset;
        let truncated = |needed: usize, have: usize| CaptureError::Truncated {
            frame: number,
            offset,
            needed: needed as u64,
            available: have as u64,
        };
        let malformed = |message: String| CaptureError::Malformed {
            frame: number,
            offset,
            message,
        };
        let State::PcapNg { big_endian, .. } = &self.state else {
            return Ok(None);
        };
        let mut big = *big_endian;
        let have = self.window.fill(12)?;
        if have == 0 && !first {
            return Ok(None);
        }
        if have < 12 {
            return Err(truncated(12, have));
        }
        let head = self.window.bytes();
        if head[..4] == NG_SHB.to_be_bytes() {
            let mut bom = [0u8; 4];
            bom.copy_from_slice(&head[8..12]);
            big = section_order(bom)
                .ok_or_else(|| malformed(format!("section header byte-order magic {bom:02x?}")))?;
        } else if first {
            return Err(malformed(
                "pcapng file does not start with a section header".into(),
            ));
        }
        let block_type = u32_at(head, 0, big);
        let total = u32_at(head, 4, big) as usize;
        if total < 12 || total % 4 != 0 {
            return Err(malformed(format!(
                "block length {total} is not a multiple of 4 of at least 12"
            )));
        }
        if total > MAX_RECORD_LEN {
            return Err(malformed(format!(
                "block length {total} is beyond the {MAX_RECORD_LEN}-byte limit"
            )));
        }
        let have = self.window.fill(total)?;
        if have < total {
            return Err(truncated(total, have));
        }
        let parsed = {
            let block = &self.window.bytes()[..total];
            let trailer = u32_at(block, total - 4, big) as usize;
            if trailer != total {
                return Err(malformed(format!(
                    "block length {total} and trailing length {trailer} differ"
                )));
            }
            parse_block(block_type, &block[8..total - 4], big).map_err(malformed)?
        };
        let at = self.window.consume(total);
        let State::PcapNg {
            big_endian,
            interfaces,
            last_ts,
        } = &mut self.state
        else {
            return Ok(None);
        };
        let block = match parsed {
            Parsed::Section => {
                *big_endian = big;
                interfaces.clear();
                Block::Skip
            }
            Parsed::Interface(i) => {
                interfaces.push(i);
                Block::Skip
            }
            Parsed::Other => Block::Skip,
            Parsed::Packet {
                interface,
                units,
                data_at,
                caplen,
                orig_len,
            } => {
                let Some(i) = interfaces.get(interface as usize).copied() else {
                    // The block is consumed: the next call goes on after it.
                    self.frames = number;
                    return Err(CaptureError::UnknownInterface {
                        frame: number,
                        id: interface,
                    });
                };
                let ts = match units {
                    Some(u) => apply_offset(units_to_duration(u, i.units_per_sec), i.offset_secs),
                    None => *last_ts,
                };
                *last_ts = ts;
                let caplen = match units {
                    // A simple packet's captured length is implied: the
                    // original length cut by the block and the snapshot length.
                    None if i.snaplen > 0 => caplen.min(i.snaplen as usize),
                    _ => caplen,
                };
                Block::Packet {
                    data_at,
                    caplen,
                    ts,
                    link: i.link,
                    orig_len,
                }
            }
        };
        Ok(Some((at, block)))
    }
}

/// A pcapng block's body, read (no borrows kept).
enum Parsed {
    Section,
    Interface(Interface),
    Packet {
        interface: u32,
        /// Timestamp units, `None` for a simple packet block.
        units: Option<u64>,
        /// Where the data starts, from the start of the block.
        data_at: usize,
        caplen: usize,
        orig_len: u32,
    },
    Other,
}

fn parse_block(kind: u32, body: &[u8], big: bool) -> Result<Parsed, String> {
    let need = |n: usize, what: &str| {
        if body.len() < n {
            Err(format!("{what} body is {} bytes, needs {n}", body.len()))
        } else {
            Ok(())
        }
    };
    let caplen = |raw: u32, what: &str| {
        let caplen = raw as usize;
        if caplen > body.len() - 20 {
            Err(format!(
                "{what} captured length {caplen} is beyond its block ({} bytes of body)",
                body.len()
            ))
        } else {
            Ok(caplen)
        }
    };
    let units = || (u64::from(u32_at(body, 4, big)) << 32) | u64::from(u32_at(body, 8, big));
    Ok(match kind {
        NG_SHB => {
            need(16, "section header")?;
            Parsed::Section
        }
        NG_IDB => Parsed::Interface(parse_idb(body, big)?),
        NG_EPB => {
            need(20, "enhanced packet block")?;
            Parsed::Packet {
                interface: u32_at(body, 0, big),
                units: Some(units()),
                data_at: 28,
                caplen: caplen(u32_at(body, 12, big), "enhanced packet block")?,
                orig_len: u32_at(body, 16, big),
            }
        }
        NG_PB => {
            need(20, "packet block")?;
            Parsed::Packet {
                interface: u32::from(u16_at(body, 0, big)),
                units: Some(units()),
                data_at: 28,
                caplen: caplen(u32_at(body, 12, big), "packet block")?,
                orig_len: u32_at(body, 16, big),
            }
        }
        NG_SPB => {
            need(4, "simple packet block")?;
            let orig_len = u32_at(body, 0, big);
            Parsed::Packet {
                interface: 0,
                units: None,
                data_at: 12,
                caplen: (orig_len as usize).min(body.len() - 4),
                orig_len,
            }
        }
        _ => Parsed::Other,
    })
}

impl<R: Read> Iterator for CaptureReader<R> {
    type Item = Result<Frame, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame()
    }
}

#[cfg(test)]
mod tests {
    //! The reader against hand-written files: every header variant, every
    //! cut point, and the repository's own captures.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A pcap file: `records` are (seconds, fraction, data, orig_len).
    pub(crate) fn pcap_file(
        big: bool,
        nanos: bool,
        link: u32,
        records: &[(u32, u32, &[u8], u32)],
    ) -> Vec<u8> {
        let w32 = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w16 = |v: u16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut out = Vec::new();
        out.extend(w32(if nanos { PCAP_NANO } else { PCAP_MICRO }));
        out.extend(w16(2));
        out.extend(w16(4));
        out.extend(w32(0));
        out.extend(w32(0));
        out.extend(w32(65535));
        out.extend(w32(link));
        for (s, f, data, orig) in records {
            out.extend(w32(*s));
            out.extend(w32(*f));
            out.extend(w32(data.len() as u32));
            out.extend(w32(*orig));
            out.extend_from_slice(data);
        }
        out
    }

    /// pcapng blocks, little- or big-endian.
    pub(crate) struct Ng {
        pub(crate) big: bool,
        pub(crate) out: Vec<u8>,
    }

    impl Ng {
        pub(crate) fn new(big: bool) -> Self {
            let mut ng = Ng {
                big,
                out: Vec::new(),
            };
            let mut body = Vec::new();
            body.extend(ng.w32(NG_BOM));
            body.extend(ng.w16(1));
            body.extend(ng.w16(0));
            body.extend(ng.w64(u64::MAX));
            ng.block(NG_SHB, &body);
            ng
        }

        fn w16(&self, v: u16) -> [u8; 2] {
            if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }

        fn w32(&self, v: u32) -> [u8; 4] {
            if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }

        fn w64(&self, v: u64) -> [u8; 8] {
            if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }

        pub(crate) fn block(&mut self, kind: u32, body: &[u8]) -> &mut Self {
            let mut body = body.to_vec();
            while body.len() % 4 != 0 {
                body.push(0);
            }
            let total = body.len() as u32 + 12;
            let (a, b) = (self.w32(kind), self.w32(total));
            self.out.extend(a);
            self.out.extend(b);
            self.out.extend(body);
            self.out.extend(b);
            self
        }

        /// An IDB with an optional `if_tsresol` byte and `if_tsoffset`.
        pub(crate) fn interface(
            &mut self,
            link: u16,
            tsresol: Option<u8>,
            tsoffset: Option<i64>,
        ) -> &mut Self {
            let mut body = Vec::new();
            body.extend(self.w16(link));
            body.extend(self.w16(0));
            body.extend(self.w32(0));
            if let Some(r) = tsresol {
                body.extend(self.w16(OPT_IF_TSRESOL));
                body.extend(self.w16(1));
                body.extend([r, 0, 0, 0]);
            }
            if let Some(o) = tsoffset {
                body.extend(self.w16(OPT_IF_TSOFFSET));
                body.extend(self.w16(8));
                body.extend(self.w64(o as u64));
            }
            body.extend(self.w16(0));
            body.extend(self.w16(0));
            self.block(NG_IDB, &body)
        }

        pub(crate) fn epb(&mut self, iface: u32, units: u64, data: &[u8], orig: u32) -> &mut Self {
            let mut body = Vec::new();
            body.extend(self.w32(iface));
            body.extend(self.w32((units >> 32) as u32));
            body.extend(self.w32(units as u32));
            body.extend(self.w32(data.len() as u32));
            body.extend(self.w32(orig));
            body.extend_from_slice(data);
            self.block(NG_EPB, &body)
        }

        fn spb(&mut self, data: &[u8]) -> &mut Self {
            let mut body = Vec::new();
            body.extend(self.w32(data.len() as u32));
            body.extend_from_slice(data);
            self.block(NG_SPB, &body)
        }

        fn pb(&mut self, iface: u16, units: u64, data: &[u8]) -> &mut Self {
            let mut body = Vec::new();
            body.extend(self.w16(iface));
            body.extend(self.w16(0));
            body.extend(self.w32((units >> 32) as u32));
            body.extend(self.w32(units as u32));
            body.extend(self.w32(data.len() as u32));
            body.extend(self.w32(data.len() as u32));
            body.extend_from_slice(data);
            self.block(NG_PB, &body)
        }
    }

    fn read_all(bytes: &[u8]) -> (Vec<Frame>, Option<CaptureError>) {
        let mut frames = Vec::new();
        let mut reader = match from_reader(bytes) {
            Ok(r) => r,
            Err(e) => return (frames, Some(e)),
        };
        let mut err = None;
        for f in &mut reader {
            match f {
                Ok(f) => frames.push(f),
                Err(e) => {
                    let fatal = e.is_fatal();
                    err = Some(e);
                    if fatal {
                        break;
                    }
                }
            }
        }
        (frames, err)
    }

    /// A reader that hands out one byte per `read`, to exercise refills.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn wrong_magic_is_named() {
        let err = from_reader(&b"GIF89a and more"[..]).unwrap_err();
        assert!(
            matches!(err, CaptureError::WrongMagic { found } if &found == b"GIF8"),
            "{err}"
        );
    }

    #[test]
    fn empty_and_tiny_files_are_truncated_headers() {
        for len in 0..24 {
            let file = pcap_file(false, false, 1, &[]);
            let err = from_reader(&file[..len]).unwrap_err();
            assert!(
                matches!(err, CaptureError::Truncated { frame: 0, .. }),
                "{len}: {err}"
            );
        }
    }

    #[test]
    fn pcap_all_four_magics() {
        for big in [false, true] {
            for nanos in [false, true] {
                let frac = if nanos { 123_456_789 } else { 123_456 };
                let file = pcap_file(
                    big,
                    nanos,
                    101,
                    &[(1_700_000_000, frac, b"abc", 10), (5, 0, b"", 0)],
                );
                let mut r = from_reader(&file[..]).unwrap();
                assert_eq!(
                    r.format(),
                    Format::Pcap {
                        big_endian: big,
                        nanoseconds: nanos
                    }
                );
                let f = r.next_frame().unwrap().unwrap();
                assert_eq!(f.number, 1);
                assert_eq!(f.link, DataLink::RAW);
                assert_eq!(f.data, b"abc");
                assert_eq!(f.orig_len, 10);
                let want = if nanos {
                    Duration::new(1_700_000_000, 123_456_789)
                } else {
                    Duration::new(1_700_000_000, 123_456_000)
                };
                assert_eq!(f.ts, want);
                let f = r.next_frame().unwrap().unwrap();
                assert_eq!((f.number, f.data.len()), (2, 0));
                assert!(r.next_frame().is_none());
                assert!(r.next_frame().is_none());
            }
        }
    }

    #[test]
    fn pcap_fraction_over_one_second_carries() {
        let file = pcap_file(false, false, 1, &[(7, 2_500_000, b"x", 1)]);
        let (frames, err) = read_all(&file);
        assert!(err.is_none());
        assert_eq!(frames[0].ts, Duration::new(9, 500_000_000));
    }

    #[test]
    fn pcap_huge_length_is_malformed_not_an_allocation() {
        let mut file = pcap_file(false, false, 1, &[(0, 0, b"abcd", 4)]);
        file[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let (frames, err) = read_all(&file);
        assert!(frames.is_empty());
        assert!(
            matches!(
                err,
                Some(CaptureError::Malformed {
                    frame: 1,
                    offset: 24,
                    ..
                })
            ),
            "{err:?}"
        );
    }

    fn sample_pcap() -> Vec<u8> {
        pcap_file(
            false,
            false,
            1,
            &[
                (1, 0, b"first frame", 11),
                (2, 0, b"second", 6),
                (3, 0, b"3", 1),
            ],
        )
    }

    fn sample_pcapng() -> Vec<u8> {
        let mut ng = Ng::new(false);
        ng.interface(1, None, None)
            .epb(0, 1_000_000, b"first frame", 11)
            .block(5, &[0u8; 12]) // interface statistics: skipped
            .interface(101, Some(9), None)
            .epb(1, 2_000_000_000, b"second", 6)
            .epb(0, 3_000_000, b"3", 1);
        ng.out
    }

    /// Cut a capture at every byte: no panic; every frame wholly before the
    /// cut comes out; the cut itself is named.
    fn check_every_cut(file: &[u8], header_len: usize, record_ends: &[usize]) {
        for cut in 0..=file.len() {
            let (frames, err) = read_all(&file[..cut]);
            let complete = record_ends.iter().filter(|&&e| e <= cut).count();
            assert_eq!(frames.len(), complete, "cut at {cut}");
            for (i, f) in frames.iter().enumerate() {
                assert_eq!(f.number, i as u64 + 1);
            }
            let at_boundary = cut == header_len || record_ends.contains(&cut);
            match err {
                None => assert!(at_boundary, "cut at {cut}: no error"),
                Some(CaptureError::Truncated { frame, .. }) => {
                    assert!(!at_boundary, "cut at {cut}: spurious error");
                    let want = if cut < header_len {
                        0
                    } else {
                        complete as u64 + 1
                    };
                    assert_eq!(frame, want, "cut at {cut}");
                }
                Some(e) => panic!("cut at {cut}: {e}"),
            }
        }
    }

    #[test]
    fn pcap_cut_at_every_byte() {
        let file = sample_pcap();
        // Records end after the 24-byte header + 16-byte record headers.
        let ends = [
            24 + 16 + 11,
            24 + 16 + 11 + 16 + 6,
            24 + 16 + 11 + 16 + 6 + 16 + 1,
        ];
        check_every_cut(&file, 24, &ends);
    }

    #[test]
    fn pcapng_cut_at_every_byte() {
        let file = sample_pcapng();
        // Find where each EPB ends by reading block lengths.
        let mut ends = Vec::new();
        let mut at = 0;
        while at < file.len() {
            let kind = u32::from_le_bytes(file[at..at + 4].try_into().unwrap());
            let len = u32::from_le_bytes(file[at + 4..at + 8].try_into().unwrap()) as usize;
            at += len;
            if kind == NG_EPB {
                ends.push(at);
            }
        }
        assert_eq!(ends.len(), 3);
        for cut in 0..=file.len() {
            let (frames, err) = read_all(&file[..cut]);
            let complete = ends.iter().filter(|&&e| e <= cut).count();
            assert_eq!(frames.len(), complete, "cut at {cut}");
            if let Some(e) = err {
                match e {
                    CaptureError::Truncated { frame, .. } => {
                        // Inside the first section header: the file header.
                        if cut >= 28 {
                            assert_eq!(frame, complete as u64 + 1, "cut at {cut}");
                        } else {
                            assert_eq!(frame, 0, "cut at {cut}");
                        }
                    }
                    other => panic!("cut at {cut}: {other}"),
                }
            }
        }
    }

    #[test]
    fn one_byte_reads_give_the_same_frames() {
        for file in [sample_pcap(), sample_pcapng()] {
            let (whole, err) = read_all(&file);
            assert!(err.is_none());
            let r = from_reader(Trickle(&file)).unwrap();
            let trickled: Vec<Frame> = r.map(|f| f.unwrap()).collect();
            assert_eq!(whole, trickled);
        }
    }

    #[test]
    fn pcapng_two_interfaces_two_link_types_two_resolutions() {
        let (frames, err) = read_all(&sample_pcapng());
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].link, DataLink::ETHERNET);
        assert_eq!(frames[0].ts, Duration::from_secs(1));
        assert_eq!(frames[1].link, DataLink::RAW);
        assert_eq!(
            frames[1].ts,
            Duration::from_secs(2),
            "if_tsresol 9 = nanoseconds"
        );
        assert_eq!(frames[2].link, DataLink::ETHERNET);
        assert_eq!(frames[2].ts, Duration::from_secs(3));
        assert_eq!(
            frames.iter().map(|f| f.number).collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn pcapng_big_endian_binary_resolution_offset_and_old_blocks() {
        let mut ng = Ng::new(true);
        // 2^-10 s units, 100 s offset.
        ng.interface(228, Some(0x80 | 10), Some(100))
            .epb(0, 1024 * 5 + 512, b"ipv4", 4)
            .pb(0, 2048, b"obsolete")
            .spb(b"simple");
        let (frames, err) = read_all(&ng.out);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].ts, Duration::from_millis(105_500));
        assert_eq!(frames[0].link, DataLink::IPV4);
        assert_eq!(frames[1].data, b"obsolete");
        assert_eq!(frames[1].ts, Duration::from_secs(102));
        assert_eq!(frames[2].data, b"simple");
        assert_eq!(frames[2].orig_len, 6);
        assert_eq!(
            frames[2].ts, frames[1].ts,
            "simple packets take the last time"
        );
    }

    #[test]
    fn pcapng_second_section_resets_interfaces_and_byte_order() {
        let mut a = Ng::new(false);
        a.interface(1, None, None).epb(0, 0, b"le", 2);
        let mut b = Ng::new(true);
        b.interface(101, None, None).epb(0, 0, b"be", 2);
        let mut file = a.out;
        file.extend(b.out);
        let (frames, err) = read_all(&file);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames.len(), 2);
        assert_eq!((frames[1].link, frames[1].number), (DataLink::RAW, 2));
    }

    #[test]
    fn pcapng_unknown_interface_is_not_fatal() {
        let mut ng = Ng::new(false);
        ng.interface(1, None, None)
            .epb(3, 0, b"lost", 4)
            .epb(0, 0, b"kept", 4);
        let mut r = from_reader(&ng.out[..]).unwrap();
        let e = r.next_frame().unwrap().unwrap_err();
        assert!(
            matches!(e, CaptureError::UnknownInterface { frame: 1, id: 3 }),
            "{e}"
        );
        assert!(!e.is_fatal());
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!((f.number, &f.data[..]), (2, &b"kept"[..]));
    }

    #[test]
    fn pcapng_bad_lengths_are_malformed() {
        // Caplen beyond the block.
        let mut ng = Ng::new(false);
        ng.interface(1, None, None).epb(0, 0, b"abcd", 4);
        let epb_at = ng.out.len() - 36;
        let mut file = ng.out.clone();
        file[epb_at + 8 + 12..epb_at + 8 + 16].copy_from_slice(&1000u32.to_le_bytes());
        let (_, err) = read_all(&file);
        assert!(
            matches!(err, Some(CaptureError::Malformed { frame: 1, .. })),
            "{err:?}"
        );
        // Trailer disagreeing.
        let mut file = ng.out.clone();
        let n = file.len();
        file[n - 4..].copy_from_slice(&44u32.to_le_bytes());
        let (_, err) = read_all(&file);
        assert!(
            matches!(err, Some(CaptureError::Malformed { .. })),
            "{err:?}"
        );
        // Length not a multiple of 4.
        let mut file = ng.out.clone();
        file[epb_at + 4..epb_at + 8].copy_from_slice(&45u32.to_le_bytes());
        let (_, err) = read_all(&file);
        assert!(
            matches!(err, Some(CaptureError::Malformed { .. })),
            "{err:?}"
        );
        // A bad byte-order mark.
        let mut file = ng.out.clone();
        file[8..12].copy_from_slice(b"nope");
        assert!(matches!(
            from_reader(&file[..]),
            Err(CaptureError::Malformed { frame: 0, .. })
        ));
    }

    #[test]
    fn snapshot_cut_frames_are_not_errors() {
        let file = pcap_file(false, false, 1, &[(0, 0, b"cut", 1500)]);
        let (frames, err) = read_all(&file);
        assert!(err.is_none());
        assert_eq!(frames[0].orig_len, 1500);
    }

    #[test]
    fn for_each_frame_lends_every_frame() {
        let file = sample_pcapng();
        let mut r = from_reader(&file[..]).unwrap();
        let mut total = 0;
        let n = r.for_each_frame(|f| total += f.data.len()).unwrap();
        assert_eq!((n, total), (3, 11 + 6 + 1));
    }

    #[test]
    fn repository_captures_read_as_ethernet() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../captures");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("pcapng") {
                continue;
            }
            let r = open(&path).unwrap();
            assert_eq!(r.format(), Format::PcapNg);
            let frames: Vec<Frame> = r.map(|f| f.unwrap()).collect();
            assert!(!frames.is_empty(), "{}", path.display());
            assert!(frames.iter().all(|f| f.link == DataLink::ETHERNET));
            assert!(frames.windows(2).all(|w| w[0].ts <= w[1].ts));
            seen += 1;
        }
        assert!(
            seen >= 3,
            "expected the repository's captures in {}",
            dir.display()
        );
    }
}
