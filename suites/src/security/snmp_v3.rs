//! SNMPv3 engine discovery (RFC 3414 §4): does the printer speak SNMPv3, and
//! what is its snmpEngineID?
//!
//! A manager that knows nothing of an agent sends a GetRequest with an empty
//! msgAuthoritativeEngineID and user name, noAuthNoPriv, the reportable flag
//! set and no variable bindings; the agent answers with a Report PDU carrying
//! `usmStatsUnknownEngineIDs.0` and, in the security parameters, its
//! snmpEngineID, snmpEngineBoots and snmpEngineTime. No credentials are
//! needed or sent.
//!
//! [`discovery_request`] and [`parse_discovery_answer`] are sans-IO (a small
//! hand-written BER codec: the message is fixed but for its msgID; the reader
//! is bounds-checked and never panics); [`probe_v3`] moves the bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use serde::Serialize;
use tokio::net::UdpSocket;

/// msgMaxSize announced (net-snmp's value: the largest UDP payload over IPv4).
pub const MAX_SIZE: i64 = 65_507;
/// USM's msgSecurityModel (RFC 3411 §5).
pub const USM: i64 = 3;
/// msgFlags: noAuthNoPriv, reportable (RFC 3412 §6.4).
pub const FLAGS_REPORTABLE: u8 = 0x04;
/// The OID of usmStatsUnknownEngineIDs.0, the discovery Report's binding.
pub const USM_STATS_UNKNOWN_ENGINE_IDS: &str = "1.3.6.1.6.3.15.1.1.4.0";

/// BER tags used here.
const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const PDU_GET: u8 = 0xa0;
const PDU_RESPONSE: u8 = 0xa2;
const PDU_REPORT: u8 = 0xa8;

/// Append a BER definite length.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let used = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | used.len() as u8);
        out.extend_from_slice(used);
    }
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// An INTEGER in the fewest two's-complement bytes.
fn integer(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (a, b) = (bytes[start], bytes[start + 1]);
        if (a == 0 && b & 0x80 == 0) || (a == 0xff && b & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    tlv(TAG_INTEGER, bytes.get(start..).unwrap_or_default())
}

/// The engine-ID discovery message of RFC 3414 §4: an SNMPv3 GetRequest,
/// msgID and request-id `msg_id`, msgMaxSize 65507, msgFlags reportable
/// (noAuthNoPriv), USM with an empty engine ID, boots 0, time 0, an empty
/// user name and empty authentication and privacy parameters, and a scoped
/// PDU with empty contextEngineID and contextName and no bindings — the
/// shape of net-snmp's first packet for `snmpget -v3 -l noAuthNoPriv`.
pub fn discovery_request(msg_id: i32) -> Vec<u8> {
    let id = i64::from(msg_id);
    let global = tlv(
        TAG_SEQUENCE,
        &[
            integer(id),
            integer(MAX_SIZE),
            tlv(TAG_OCTET_STRING, &[FLAGS_REPORTABLE]),
            integer(USM),
        ]
        .concat(),
    );
    let usm = tlv(
        TAG_SEQUENCE,
        &[
            tlv(TAG_OCTET_STRING, &[]), // msgAuthoritativeEngineID
            integer(0),                 // msgAuthoritativeEngineBoots
            integer(0),                 // msgAuthoritativeEngineTime
            tlv(TAG_OCTET_STRING, &[]), // msgUserName
            tlv(TAG_OCTET_STRING, &[]), // msgAuthenticationParameters
            tlv(TAG_OCTET_STRING, &[]), // msgPrivacyParameters
        ]
        .concat(),
    );
    let pdu = tlv(
        PDU_GET,
        &[integer(id), integer(0), integer(0), tlv(TAG_SEQUENCE, &[])].concat(),
    );
    let scoped = tlv(
        TAG_SEQUENCE,
        &[tlv(TAG_OCTET_STRING, &[]), tlv(TAG_OCTET_STRING, &[]), pdu].concat(),
    );
    tlv(
        TAG_SEQUENCE,
        &[integer(3), global, tlv(TAG_OCTET_STRING, &usm), scoped].concat(),
    )
}

/// What came back for a discovery request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum V3Answer {
    /// A Report: the agent speaks SNMPv3 and told its engine.
    Report {
        /// snmpEngineID (RFC 3411 §5), raw.
        engine_id: Vec<u8>,
        /// snmpEngineBoots.
        engine_boots: i64,
        /// snmpEngineTime (seconds since the last boot).
        engine_time: i64,
        /// The Report's first binding's OID (`1.3.6.1.6.3.15.1.1.4.0`,
        /// usmStatsUnknownEngineIDs.0, for discovery), empty when it has none.
        oid: String,
    },
    /// A well-formed message that is not a v3 Report (a v1/v2c message, a
    /// Response, an encrypted scoped PDU): which.
    Other(String),
    /// Not a readable SNMP message: why.
    Malformed(String),
}

impl V3Answer {
    /// The engine ID in hex (`80001f8880…`), for a Report.
    pub fn engine_id_hex(&self) -> Option<String> {
        match self {
            V3Answer::Report { engine_id, .. } => {
                Some(engine_id.iter().map(|b| format!("{b:02x}")).collect())
            }
            _ => None,
        }
    }
}

/// A bounds-checked BER reader.
struct Ber<'a> {
    rest: &'a [u8],
}

impl<'a> Ber<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Ber { rest: bytes }
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next TLV: its tag and content.
    fn any(&mut self, what: &str) -> Result<(u8, &'a [u8]), String> {
        let (&tag, after) = self
            .rest
            .split_first()
            .ok_or_else(|| format!("{what}: nothing left"))?;
        if tag & 0x1f == 0x1f {
            return Err(format!("{what}: multi-byte tag"));
        }
        let (&first, after) = after
            .split_first()
            .ok_or_else(|| format!("{what}: no length"))?;
        let (len, after) = if first & 0x80 == 0 {
            (usize::from(first), after)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return Err(format!("{what}: unsupported length form 0x{first:02x}"));
            }
            let len_bytes = after
                .get(..n)
                .ok_or_else(|| format!("{what}: truncated length"))?;
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, after.get(n..).unwrap_or_default())
        };
        let content = after.get(..len).ok_or_else(|| {
            format!(
                "{what}: {len} content bytes announced, {} present",
                after.len()
            )
        })?;
        self.rest = after.get(len..).unwrap_or_default();
        Ok((tag, content))
    }

    fn expect(&mut self, tag: u8, what: &str) -> Result<&'a [u8], String> {
        let (t, content) = self.any(what)?;
        if t != tag {
            return Err(format!("{what}: tag 0x{t:02x}, expected 0x{tag:02x}"));
        }
        Ok(content)
    }

    fn integer(&mut self, what: &str) -> Result<i64, String> {
        let content = self.expect(TAG_INTEGER, what)?;
        read_integer(content)
            .ok_or_else(|| format!("{what}: an INTEGER of {} bytes", content.len()))
    }

    fn octets(&mut self, what: &str) -> Result<&'a [u8], String> {
        self.expect(TAG_OCTET_STRING, what)
    }
}

/// A two's-complement INTEGER of 1 to 8 bytes (9 when the first is a
/// leading zero).
fn read_integer(content: &[u8]) -> Option<i64> {
    let content = match content {
        [0, rest @ ..] if content.len() == 9 => rest,
        _ => content,
    };
    if content.is_empty() || content.len() > 8 {
        return None;
    }
    let negative = content.first().is_some_and(|b| b & 0x80 != 0);
    let mut v: i64 = if negative { -1 } else { 0 };
    for b in content {
        v = (v << 8) | i64::from(*b);
    }
    Some(v)
}

/// An OBJECT IDENTIFIER's content as dotted text.
fn read_oid(content: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    let mut in_arc = false;
    for &b in content {
        if acc > u64::MAX >> 7 {
            return None;
        }
        acc = (acc << 7) | u64::from(b & 0x7f);
        in_arc = b & 0x80 != 0;
        if !in_arc {
            if arcs.is_empty() {
                let (x, y) = match acc {
                    0..=39 => (0, acc),
                    40..=79 => (1, acc - 40),
                    _ => (2, acc - 80),
                };
                arcs.push(x);
                arcs.push(y);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        }
    }
    if in_arc || arcs.is_empty() {
        return None;
    }
    Some(
        arcs.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// Read an answer to [`discovery_request`]. Never panics.
pub fn parse_discovery_answer(bytes: &[u8]) -> V3Answer {
    match parse(bytes) {
        Ok(a) => a,
        Err(e) => V3Answer::Malformed(e),
    }
}

fn parse(bytes: &[u8]) -> Result<V3Answer, String> {
    let mut top = Ber::new(bytes);
    let message = top.expect(TAG_SEQUENCE, "message")?;
    let mut m = Ber::new(message);
    let version = m.integer("msgVersion")?;
    if version != 3 {
        let label = match version {
            0 => "SNMPv1".to_string(),
            1 => "SNMPv2c".to_string(),
            v => format!("SNMP version {v}"),
        };
        return Ok(V3Answer::Other(format!("an {label} message, not SNMPv3")));
    }
    let mut global = Ber::new(m.expect(TAG_SEQUENCE, "msgGlobalData")?);
    let _msg_id = global.integer("msgID")?;
    let _max_size = global.integer("msgMaxSize")?;
    let flags = global
        .octets("msgFlags")?
        .first()
        .copied()
        .ok_or("msgFlags: empty")?;
    let model = global.integer("msgSecurityModel")?;
    let params = m.octets("msgSecurityParameters")?;
    if model != USM {
        return Ok(V3Answer::Other(format!(
            "an SNMPv3 message with security model {model}, not USM"
        )));
    }
    let mut usm = Ber::new(params);
    let mut usm = Ber::new(usm.expect(TAG_SEQUENCE, "UsmSecurityParameters")?);
    let engine_id = usm.octets("msgAuthoritativeEngineID")?.to_vec();
    let engine_boots = usm.integer("msgAuthoritativeEngineBoots")?;
    let engine_time = usm.integer("msgAuthoritativeEngineTime")?;
    let _user = usm.octets("msgUserName")?;
    if flags & 0x02 != 0 || m.peek_tag() == Some(TAG_OCTET_STRING) {
        return Ok(V3Answer::Other(
            "an SNMPv3 message with an encrypted scoped PDU".to_string(),
        ));
    }
    let mut scoped = Ber::new(m.expect(TAG_SEQUENCE, "ScopedPDU")?);
    let _context_engine = scoped.octets("contextEngineID")?;
    let _context_name = scoped.octets("contextName")?;
    let (tag, pdu) = scoped.any("PDU")?;
    let mut pdu = Ber::new(pdu);
    let _request_id = pdu.integer("request-id")?;
    let error_status = pdu.integer("error-status")?;
    let _error_index = pdu.integer("error-index")?;
    let mut bindings = Ber::new(pdu.expect(TAG_SEQUENCE, "variable-bindings")?);
    let oid = if bindings.rest.is_empty() {
        String::new()
    } else {
        let mut vb = Ber::new(bindings.expect(TAG_SEQUENCE, "VarBind")?);
        let name = vb.expect(TAG_OID, "VarBind name")?;
        read_oid(name).ok_or("VarBind name: a malformed OID")?
    };
    match tag {
        PDU_REPORT => Ok(V3Answer::Report {
            engine_id,
            engine_boots,
            engine_time,
            oid,
        }),
        PDU_RESPONSE => Ok(V3Answer::Other(format!(
            "an SNMPv3 Response (error-status {error_status}) instead of a Report"
        ))),
        t => Ok(V3Answer::Other(format!(
            "an SNMPv3 PDU with tag 0x{t:02x} instead of a Report"
        ))),
    }
}

/// Send [`discovery_request`] to `addr` and read the first datagram that
/// comes back within `timeout`; the request is sent again half-way through
/// if nothing came (a lost datagram costs no extra wait). `None` when nothing
/// came (or the port is unreachable).
pub async fn probe_v3(addr: SocketAddr, timeout: Duration) -> Option<V3Answer> {
    let local = match addr.ip() {
        IpAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        IpAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    };
    let socket = UdpSocket::bind(local).await.ok()?;
    socket.connect(addr).await.ok()?;
    let port = socket.local_addr().ok()?.port();
    // A msgID that differs between probes, from the local port.
    let msg_id = i32::from(port) * 1000 + 3;
    let request = discovery_request(msg_id);
    let mut buf = vec![0u8; 65_535];
    let start = tokio::time::Instant::now();
    for deadline in [start + timeout / 2, start + timeout] {
        let _ = socket.send(&request).await;
        // Silence until the deadline, or port unreachable (another error):
        // resend.
        if let Ok(Ok(n)) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            return Some(parse_discovery_answer(buf.get(..n).unwrap_or_default()));
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// net-snmp's discovery packet (`snmpget -v3 -l noAuthNoPriv -u x`),
    /// with msgID and request-id 1.
    const DISCOVERY_1: &str = "
        30 38
           02 01 03
           30 0e  02 01 01  02 03 00 ff e3  04 01 04  02 01 03
           04 10  30 0e  04 00  02 01 00  02 01 00  04 00  04 00  04 00
           30 11  04 00  04 00
                  a0 0b  02 01 01  02 01 00  02 01 00  30 00";

    #[test]
    fn discovery_request_bytes() {
        assert_eq!(discovery_request(1), unhex(DISCOVERY_1));
    }

    #[test]
    fn discovery_request_ids() {
        let r = discovery_request(0x1234_5678);
        // msgID and request-id both in four bytes: 6 bytes longer.
        assert_eq!(r.len(), unhex(DISCOVERY_1).len() + 6);
        assert_eq!(&r[7..13], &[0x02, 0x04, 0x12, 0x34, 0x56, 0x78]);
        assert_eq!(integer(128), vec![2, 2, 0, 0x80]);
        assert_eq!(integer(-1), vec![2, 1, 0xff]);
        assert_eq!(integer(0), vec![2, 1, 0]);
        assert_eq!(read_integer(&[0, 0x80]), Some(128));
        assert_eq!(read_integer(&[0xff, 0x7f]), Some(-129));
        // Our own request reads back: a GetRequest, not a Report.
        match parse_discovery_answer(&r) {
            V3Answer::Other(s) => assert!(s.contains("0xa0"), "{s}"),
            other => panic!("{other:?}"),
        }
    }

    const ENGINE: &str = "80 00 1f 88 80 59 dc 48 61 45 a2 63 5f";

    fn report_with(tag: u8, flags: u8, version: i64) -> Vec<u8> {
        let engine = unhex(ENGINE);
        let global = tlv(
            TAG_SEQUENCE,
            &[
                integer(4242),
                integer(MAX_SIZE),
                tlv(TAG_OCTET_STRING, &[flags]),
                integer(USM),
            ]
            .concat(),
        );
        let usm = tlv(
            TAG_SEQUENCE,
            &[
                tlv(TAG_OCTET_STRING, &engine),
                integer(5),
                integer(123_456),
                tlv(TAG_OCTET_STRING, b""),
                tlv(TAG_OCTET_STRING, b""),
                tlv(TAG_OCTET_STRING, b""),
            ]
            .concat(),
        );
        // usmStatsUnknownEngineIDs.0 = Counter32 7
        let oid = unhex("2b 06 01 06 03 0f 01 01 04 00");
        let vb = tlv(
            TAG_SEQUENCE,
            &[tlv(TAG_OID, &oid), tlv(0x41, &[7])].concat(),
        );
        let pdu = tlv(
            tag,
            &[
                integer(4242),
                integer(0),
                integer(0),
                tlv(TAG_SEQUENCE, &vb),
            ]
            .concat(),
        );
        let scoped = tlv(
            TAG_SEQUENCE,
            &[
                tlv(TAG_OCTET_STRING, &engine),
                tlv(TAG_OCTET_STRING, b""),
                pdu,
            ]
            .concat(),
        );
        tlv(
            TAG_SEQUENCE,
            &[
                integer(version),
                global,
                tlv(TAG_OCTET_STRING, &usm),
                scoped,
            ]
            .concat(),
        )
    }

    fn report() -> Vec<u8> {
        report_with(PDU_REPORT, 0, 3)
    }

    #[test]
    fn report_is_read() {
        let bytes = report();
        // Counted by hand: global data 17 bytes, security parameters 33,
        // scoped PDU 50, version 3: 103 = 0x67.
        assert_eq!(&bytes[..5], &[0x30, 0x67, 0x02, 0x01, 0x03]);
        assert_eq!(bytes.len(), 105);
        let a = parse_discovery_answer(&bytes);
        assert_eq!(
            a,
            V3Answer::Report {
                engine_id: unhex(ENGINE),
                engine_boots: 5,
                engine_time: 123_456,
                oid: USM_STATS_UNKNOWN_ENGINE_IDS.to_string(),
            }
        );
        assert_eq!(
            a.engine_id_hex().as_deref(),
            Some("80001f888059dc486145a2635f")
        );
    }

    #[test]
    fn other_answers() {
        assert!(matches!(
            parse_discovery_answer(&report_with(PDU_RESPONSE, 0, 3)),
            V3Answer::Other(s) if s.contains("Response")
        ));
        assert!(matches!(
            parse_discovery_answer(&report_with(PDU_REPORT, 0, 1)),
            V3Answer::Other(s) if s.contains("SNMPv2c")
        ));
        assert!(matches!(
            parse_discovery_answer(&report_with(PDU_REPORT, 3, 3)),
            V3Answer::Other(s) if s.contains("encrypted")
        ));
        assert!(matches!(
            parse_discovery_answer(b"hello"),
            V3Answer::Malformed(_)
        ));
        assert!(matches!(
            parse_discovery_answer(&[]),
            V3Answer::Malformed(_)
        ));
    }

    #[test]
    fn every_truncation_is_malformed() {
        let bytes = report();
        for n in 0..bytes.len() {
            assert!(
                matches!(parse_discovery_answer(&bytes[..n]), V3Answer::Malformed(_)),
                "{n}"
            );
        }
        let request = discovery_request(77);
        for n in 0..request.len() {
            assert!(matches!(
                parse_discovery_answer(&request[..n]),
                V3Answer::Malformed(_)
            ));
        }
    }

    #[test]
    fn oids() {
        assert_eq!(read_oid(&[0x2b, 6, 1]).as_deref(), Some("1.3.6.1"));
        assert_eq!(read_oid(&[0x88, 0x37, 3]).as_deref(), Some("2.999.3"));
        assert_eq!(read_oid(&[0x2b, 0x86]), None, "unterminated arc");
        assert_eq!(read_oid(&[]), None);
        assert_eq!(read_oid(&[0xff; 20]), None, "overflow");
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_discovery_answer(&bytes);
        }

        #[test]
        fn corrupted_reports_never_panic(i in 0usize..108, b in any::<u8>()) {
            let mut bytes = report();
            let at = i % bytes.len();
            bytes[at] = b;
            let _ = parse_discovery_answer(&bytes);
        }

        #[test]
        fn requests_encode_every_id(id in any::<i32>()) {
            let r = discovery_request(id);
            prop_assert!(matches!(parse_discovery_answer(&r), V3Answer::Other(_)));
        }
    }

    /// An agent on 127.0.0.1 that answers discovery with [`report`] from the
    /// `answer_from`-th datagram on.
    async fn agent(answer_from: usize) -> SocketAddr {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = s.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            let mut seen = 0;
            while let Ok((n, from)) = s.recv_from(&mut buf).await {
                seen += 1;
                assert!(matches!(
                    parse_discovery_answer(&buf[..n]),
                    V3Answer::Other(_)
                ));
                if seen >= answer_from {
                    let _ = s.send_to(&report(), from).await;
                }
            }
        });
        addr
    }

    #[tokio::test]
    async fn probe_v3_reads_the_report() {
        let addr = agent(1).await;
        let a = probe_v3(addr, Duration::from_secs(5)).await.unwrap();
        assert!(
            matches!(
                a,
                V3Answer::Report {
                    engine_boots: 5,
                    ..
                }
            ),
            "{a:?}"
        );
    }

    #[tokio::test]
    async fn probe_v3_retries_once() {
        let addr = agent(2).await;
        let a = probe_v3(addr, Duration::from_millis(300)).await;
        assert!(matches!(a, Some(V3Answer::Report { .. })), "{a:?}");
        let silent = agent(3).await;
        assert_eq!(probe_v3(silent, Duration::from_millis(150)).await, None);
    }
}
