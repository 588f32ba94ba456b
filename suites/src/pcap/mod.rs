//! Pcap-derived sessions: real traffic read from a capture file, reassembled,
//! split into each protocol's messages, replayed against a target and diffed.
//!
//! The road a capture takes, one module per stage:
//! - [`read`]: pcap and pcapng files → [`Frame`]s (every interface, its link
//!   type, snapshot length and time resolution);
//! - [`link`]: a frame → IPv4/IPv6 (Ethernet, VLAN tags, Linux cooked SLL and
//!   SLL2, BSD loopback/null, raw IP; IP fragments put back together) → a
//!   [`TcpSegment`] or a [`Datagram`];
//! - [`tcp`]: TCP reassembly by sequence number → [`tcp::Flow`]s (both byte
//!   streams, the order their runs came in, gaps, how the flow ended);
//! - [`frame`]: each protocol's framing over a flow's two streams (HTTP with
//!   IPP inside, LPD, AppSocket/PJL) and over datagrams (SNMP, mDNS);
//! - [`session`]: flows and datagrams → replayable sessions (requests with
//!   the answers the captured printer gave);
//! - [`profile`]: what a capture says about its printer, for a derived profile;
//! - [`write`]: a pcapng writer that makes frames from what a proxy saw;
//! - [`record`]: the recording proxy behind `paperjam record`, which feeds it.
//!
//! Nothing here trusts the file: every length is checked, every problem is a
//! [`Warning`] naming the frame, and memory is bounded by the open flows.

pub mod frame;
pub mod link;
pub mod profile;
pub mod read;
pub mod record;
pub mod session;
pub mod tcp;
pub mod write;

use std::net::SocketAddr;
use std::time::Duration;

/// One captured frame, as the file holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The frame's number in the file, from 1 (as Wireshark counts).
    pub number: u64,
    /// When it was captured, since the Unix epoch.
    pub ts: Duration,
    /// The link type of its interface.
    pub link: pcap_file::DataLink,
    /// The bytes captured (perhaps fewer than were sent: see `orig_len`).
    pub data: Vec<u8>,
    /// The frame's length on the wire.
    pub orig_len: u32,
}

/// Something in a capture the reader got past, with the frame it concerns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Warning {
    /// The frame it concerns, if one.
    pub frame: Option<u64>,
    /// What was wrong and what was done about it.
    pub message: String,
}

impl Warning {
    /// A warning about frame `frame`.
    pub fn at(frame: u64, message: impl Into<String>) -> Self {
        Warning {
            frame: Some(frame),
            message: message.into(),
        }
    }

    /// A warning about the file as a whole.
    pub fn file(message: impl Into<String>) -> Self {
        Warning {
            frame: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.frame {
            Some(n) => write!(f, "frame {n}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// One TCP segment, out of its IP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSegment {
    /// The frame that carried it (the last fragment's, if fragmented).
    pub frame: u64,
    /// When it was captured.
    pub ts: Duration,
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number, when ACK is set.
    pub ack: Option<u32>,
    /// SYN flag.
    pub syn: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// The payload captured (cut short if the snapshot length cut the frame).
    pub payload: Vec<u8>,
    /// The payload's length on the wire (more than `payload.len()` when the
    /// snapshot length cut it).
    pub wire_len: usize,
}

/// One UDP datagram, out of its IP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// The frame that carried it (the last fragment's, if fragmented).
    pub frame: u64,
    /// When it was captured.
    pub ts: Duration,
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// The payload.
    pub payload: Vec<u8>,
    /// Whether the snapshot length cut the payload short.
    pub truncated: bool,
}

/// What one frame carried, once its link and IP layers are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// A TCP segment.
    Tcp(TcpSegment),
    /// A UDP datagram.
    Udp(Datagram),
    /// Anything else (ARP, ICMP, a fragment still waiting for the rest…).
    Other,
}
