//! A checked walk over an untrusted DNS message, before any parser sees it.
//!
//! [`precheck`] reads the header, every question and every resource record
//! (and the names inside the RDATA of the types that carry names), following
//! each compression pointer with loop detection, and refuses the message with
//! a [`PacketError`] that says where and why. Only a message that passes is
//! given to `simple-dns`.
//!
//! `simple-dns` 0.13 is itself safe against compression loops: it follows a
//! pointer only to a position before the pointer (RFC 1035 §4.1.4: "a pointer
//! to a prior occurance of the same name"), so every chain ends. The guard
//! still runs first, for three reasons: it names the fault (a loop is counted
//! as a loop, not as "invalid packet"), it refuses header counts the datagram
//! cannot hold before `simple-dns` reserves memory for 65,535 records, and it
//! keeps the responder safe if a later `simple-dns` relaxes its rule.

use std::fmt;

/// The DNS header is 12 bytes (RFC 1035 §4.1.1).
pub const HEADER_LEN: usize = 12;
/// Longest name on the wire, length bytes and the root label included (RFC 1035 §2.3.4).
pub const MAX_NAME_WIRE: usize = 255;
/// Smallest question: the root name, QTYPE, QCLASS.
const MIN_QUESTION: usize = 5;
/// Smallest resource record: the root name, TYPE, CLASS, TTL, RDLENGTH.
const MIN_RECORD: usize = 11;

/// Why a received datagram was not handled. Wire faults come from
/// [`PacketError::reason`]; the others are RFC 6762 rules about messages that
/// are well formed but must be ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// Shorter than a DNS header.
    TooShort,
    /// A name, a question or a record runs past the end of the datagram.
    Truncated,
    /// Following compression pointers comes back to where it has been.
    CompressionLoop,
    /// A compression pointer that points outside the message, or not to a
    /// prior position (RFC 1035 §4.1.4).
    BadPointer,
    /// A label length byte with the reserved top bits `01` or `10`.
    BadLabel,
    /// A name longer than 255 bytes once decompressed.
    NameTooLong,
    /// The header counts more questions and records than the datagram can hold.
    CountsTooLarge,
    /// The structure is sound but `simple-dns` refused it (an unknown class, a
    /// malformed RDATA, …).
    Malformed,
    /// "Multicast DNS messages received with an OPCODE other than zero MUST
    /// be silently ignored" (RFC 6762 §18.3).
    BadOpcode,
    /// "Multicast DNS messages received with non-zero Response Codes MUST be
    /// silently ignored" (RFC 6762 §18.11).
    BadRcode,
    /// A response whose source port is not 5353: "Multicast DNS implementations
    /// MUST silently ignore any Multicast DNS responses they receive where the
    /// source UDP port is not 5353" (RFC 6762 §6).
    ResponseFromWrongPort,
    /// Received after [`super::Responder::shutdown`].
    Stopped,
}

impl DropReason {
    /// Every reason, in a stable order (for reports).
    pub const ALL: [DropReason; 12] = [
        DropReason::TooShort,
        DropReason::Truncated,
        DropReason::CompressionLoop,
        DropReason::BadPointer,
        DropReason::BadLabel,
        DropReason::NameTooLong,
        DropReason::CountsTooLarge,
        DropReason::Malformed,
        DropReason::BadOpcode,
        DropReason::BadRcode,
        DropReason::ResponseFromWrongPort,
        DropReason::Stopped,
    ];

    /// A stable kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::TooShort => "too-short",
            DropReason::Truncated => "truncated",
            DropReason::CompressionLoop => "compression-loop",
            DropReason::BadPointer => "bad-pointer",
            DropReason::BadLabel => "bad-label",
            DropReason::NameTooLong => "name-too-long",
            DropReason::CountsTooLarge => "counts-too-large",
            DropReason::Malformed => "malformed",
            DropReason::BadOpcode => "bad-opcode",
            DropReason::BadRcode => "bad-rcode",
            DropReason::ResponseFromWrongPort => "response-from-wrong-port",
            DropReason::Stopped => "stopped",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A received DNS message that cannot be read, with where it goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// Shorter than the 12-byte header.
    #[error("{len} bytes is shorter than the 12-byte DNS header")]
    TooShort {
        /// The datagram's length.
        len: usize,
    },
    /// Something runs past the end.
    #[error("{what} at offset {offset} needs {needed} bytes but the message is {len} bytes")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs from `offset`.
        needed: usize,
        /// The message's length.
        len: usize,
    },
    /// A compression pointer chain that comes back on itself.
    #[error("compression loop: the pointer at offset {offset} leads back to offset {target}")]
    CompressionLoop {
        /// Where the pointer that closes the loop is.
        offset: usize,
        /// Where it points.
        target: usize,
    },
    /// A pointer outside the message or not to a prior position.
    #[error("compression pointer at offset {offset} to {target} is not to a prior position in the message")]
    BadPointer {
        /// Where the pointer is.
        offset: usize,
        /// Where it points.
        target: usize,
    },
    /// A label type other than a length or a pointer (RFC 1035 §4.1.4, RFC 6891 §5).
    #[error("label at offset {offset} has the reserved type bits of 0x{byte:02x}")]
    BadLabel {
        /// Where the label is.
        offset: usize,
        /// The length byte.
        byte: u8,
    },
    /// A name over 255 bytes.
    #[error("name at offset {offset} is longer than 255 bytes decompressed")]
    NameTooLong {
        /// Where the name starts.
        offset: usize,
    },
    /// Header counts the datagram cannot hold.
    #[error(
        "header counts {questions} questions and {records} records, more than {len} bytes can hold"
    )]
    CountsTooLarge {
        /// QDCOUNT.
        questions: usize,
        /// ANCOUNT + NSCOUNT + ARCOUNT.
        records: usize,
        /// The message's length.
        len: usize,
    },
    /// Refused by `simple-dns` after the guard let it through.
    #[error("malformed DNS message: {0}")]
    Malformed(String),
}

impl PacketError {
    /// The drop reason this error is counted under.
    pub fn reason(&self) -> DropReason {
        match self {
            PacketError::TooShort { .. } => DropReason::TooShort,
            PacketError::Truncated { .. } => DropReason::Truncated,
            PacketError::CompressionLoop { .. } => DropReason::CompressionLoop,
            PacketError::BadPointer { .. } => DropReason::BadPointer,
            PacketError::BadLabel { .. } => DropReason::BadLabel,
            PacketError::NameTooLong { .. } => DropReason::NameTooLong,
            PacketError::CountsTooLarge { .. } => DropReason::CountsTooLarge,
            PacketError::Malformed(_) => DropReason::Malformed,
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl Reader<'_> {
    fn need(&self, what: &'static str, offset: usize, needed: usize) -> Result<(), PacketError> {
        match offset.checked_add(needed) {
            Some(end) if end <= self.buf.len() => Ok(()),
            _ => Err(PacketError::Truncated {
                what,
                offset,
                needed,
                len: self.buf.len(),
            }),
        }
    }

    fn u16_at(&self, what: &'static str, offset: usize) -> Result<u16, PacketError> {
        self.need(what, offset, 2)?;
        Ok(u16::from_be_bytes([self.buf[offset], self.buf[offset + 1]]))
    }

    /// Checks the name at `start`, whose inline part must end by `limit`;
    /// returns the offset just after its inline part.
    fn name(&self, start: usize, limit: usize) -> Result<usize, PacketError> {
        let mut pos = start;
        let mut end_inline: Option<usize> = None;
        let mut wire_len = 0usize;
        // Pointer targets followed so far: a repeat is a loop. A chain can
        // visit each byte of the message at most once before repeating, so
        // this ends.
        let mut visited: Vec<usize> = Vec::new();
        let mut forward: Option<(usize, usize)> = None;
        let mut bound = limit;
        loop {
            if pos >= bound {
                return Err(PacketError::Truncated {
                    what: "name",
                    offset: pos,
                    needed: 1,
                    len: bound,
                });
            }
            let b = self.buf[pos];
            match b & 0xC0 {
                0x00 => {
                    let n = usize::from(b);
                    wire_len += n + 1;
                    if wire_len > MAX_NAME_WIRE {
                        return Err(PacketError::NameTooLong { offset: start });
                    }
                    if n == 0 {
                        if let Some((offset, target)) = forward {
                            return Err(PacketError::BadPointer { offset, target });
                        }
                        return Ok(end_inline.unwrap_or(pos + 1));
                    }
                    if pos + 1 + n > bound {
                        return Err(PacketError::Truncated {
                            what: "label",
                            offset: pos,
                            needed: n + 1,
                            len: bound,
                        });
                    }
                    pos += 1 + n;
                }
                0xC0 => {
                    if pos + 2 > bound {
                        return Err(PacketError::Truncated {
                            what: "compression pointer",
                            offset: pos,
                            needed: 2,
                            len: bound,
                        });
                    }
                    let target = (usize::from(b & 0x3F) << 8) | usize::from(self.buf[pos + 1]);
                    if end_inline.is_none() {
                        end_inline = Some(pos + 2);
                    }
                    if visited.contains(&target) || target == pos {
                        return Err(PacketError::CompressionLoop {
                            offset: pos,
                            target,
                        });
                    }
                    if target >= self.buf.len() || target < HEADER_LEN {
                        return Err(PacketError::BadPointer {
                            offset: pos,
                            target,
                        });
                    }
                    if target > pos && forward.is_none() {
                        forward = Some((pos, target));
                    }
                    visited.push(target);
                    pos = target;
                    // Data a pointer leads to may lie anywhere in the message.
                    bound = self.buf.len();
                }
                _ => {
                    return Err(PacketError::BadLabel {
                        offset: pos,
                        byte: b,
                    })
                }
            }
        }
    }
}

/// Walks a whole DNS message: header, questions, records, and the names in
/// the RDATA of NS, CNAME, SOA, PTR, MINFO, MX, RP, SRV and NSEC records.
/// Bytes after the last record are allowed (RFC 6762 does not forbid padding).
pub fn precheck(buf: &[u8]) -> Result<(), PacketError> {
    if buf.len() < HEADER_LEN {
        return Err(PacketError::TooShort { len: buf.len() });
    }
    let r = Reader { buf };
    let count = |i: usize| usize::from(u16::from_be_bytes([buf[i], buf[i + 1]]));
    let questions = count(4);
    let records = count(6) + count(8) + count(10);
    if HEADER_LEN + questions * MIN_QUESTION + records * MIN_RECORD > buf.len() {
        return Err(PacketError::CountsTooLarge {
            questions,
            records,
            len: buf.len(),
        });
    }
    let mut pos = HEADER_LEN;
    for _ in 0..questions {
        pos = r.name(pos, buf.len())?;
        r.need("question type and class", pos, 4)?;
        pos += 4;
    }
    for _ in 0..records {
        pos = r.name(pos, buf.len())?;
        r.need("record header", pos, 10)?;
        let rtype = r.u16_at("record type", pos)?;
        let rdlen = usize::from(r.u16_at("record length", pos + 8)?);
        let rdata = pos + 10;
        r.need("record data", rdata, rdlen)?;
        let end = rdata + rdlen;
        rdata_names(&r, rtype, rdata, end)?;
        pos = end;
    }
    Ok(())
}

/// Checks the names inside the RDATA at `start..end` of a record of `rtype`.
fn rdata_names(r: &Reader<'_>, rtype: u16, start: usize, end: usize) -> Result<(), PacketError> {
    if start == end {
        // An empty RDATA (a question-like record in an update) has no names.
        return Ok(());
    }
    match rtype {
        // NS, MD, MF, CNAME, MB, MG, MR, PTR, NSAP-PTR, NSEC (next name first)
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 23 | 47 => {
            r.name(start, end)?;
        }
        // SOA, MINFO, RP: two names
        6 | 14 | 17 => {
            let next = r.name(start, end)?;
            r.name(next, end)?;
        }
        // MX, AFSDB, RT, KX: a 16-bit preference, then a name
        15 | 18 | 21 | 36 => {
            r.need("record data", start, 3)?;
            r.name(start + 2, end)?;
        }
        // SRV: priority, weight, port, then the target
        33 => {
            r.need("SRV record data", start, 7)?;
            r.name(start + 6, end)?;
        }
        _ => {}
    }
    Ok(())
}
