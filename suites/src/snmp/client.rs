//! A small SNMPv1/v2c manager over UDP, for grading: it sends exactly the
//! message it is given, waits for the answer with that request-id (resending
//! the same bytes on a timeout), and hands back every byte it heard —
//! datagrams it cannot decode and answers to other requests included — so the
//! runner can grade them. Nothing a target sends makes it panic.
//!
//! Messages are encoded and decoded by `paperjam_sim::snmp::message` (BER via
//! rasn-snmp), the codec the virtual printer's agent uses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use paperjam_sim::snmp::message::{self, MessageError};
use paperjam_sim::snmp::{Message, Oid, Pdu, PduKind, Value, VarBind, VarValue, Version};
use tokio::net::UdpSocket;

/// The largest datagram read (UDP's limit).
const MAX_DATAGRAM: usize = 65_535;
/// Most bindings one walk collects before it gives up.
pub const WALK_LIMIT: usize = 10_000;
/// max-repetitions of each GetBulk of a bulk walk.
pub const BULK_REPETITIONS: u32 = 20;

/// What came back for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A message with the request's request-id.
    Reply {
        /// Its bytes.
        bytes: Vec<u8>,
        /// Decoded.
        message: Message,
    },
    /// A datagram that is not a v1/v2c message we can read.
    Malformed {
        /// Its bytes.
        bytes: Vec<u8>,
        /// Why it cannot be read.
        error: String,
    },
    /// Nothing (or only answers to other requests, see [`Transaction::strays`]).
    Silence,
}

/// One request, sent once or more, and what came back.
#[derive(Debug, Clone)]
pub struct Transaction {
    /// The bytes sent (each attempt sends the same).
    pub sent: Vec<u8>,
    /// The request, when it was built from a message (not raw bytes).
    pub request: Option<Message>,
    /// The answer.
    pub answer: Answer,
    /// Decodable datagrams that came while waiting with another request-id
    /// (a late answer to an earlier request, or an agent that does not echo
    /// the request-id).
    pub strays: Vec<(Vec<u8>, Message)>,
    /// Times the request was sent.
    pub attempts: u32,
    /// The peer refused (ICMP port unreachable) at least once.
    pub refused: bool,
    /// From the first send to the answer (or to giving up).
    pub elapsed: Duration,
}

impl Transaction {
    /// The decoded answer, if one came.
    pub fn reply(&self) -> Option<&Message> {
        match &self.answer {
            Answer::Reply { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The answer's bytes (empty for silence).
    pub fn answer_bytes(&self) -> &[u8] {
        match &self.answer {
            Answer::Reply { bytes, .. } | Answer::Malformed { bytes, .. } => bytes,
            Answer::Silence => &[],
        }
    }
}

/// A UDP socket bound to one agent.
#[derive(Debug)]
pub struct SnmpClient {
    socket: UdpSocket,
    peer: SocketAddr,
    /// How long to wait for each attempt.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    next_id: AtomicI32,
}

impl SnmpClient {
    /// A client for the agent at `peer`, on a fresh local port (so no answer
    /// meant for another client reaches it).
    pub async fn connect(
        peer: SocketAddr,
        timeout: Duration,
        retries: u32,
    ) -> std::io::Result<SnmpClient> {
        let local = match peer.ip() {
            IpAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            IpAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
        };
        let socket = UdpSocket::bind(local).await?;
        // Only the agent's datagrams are read.
        socket.connect(peer).await?;
        // Request ids start somewhere different for every client.
        let first = i32::from(socket.local_addr()?.port()) * 1000 + 1;
        Ok(SnmpClient {
            socket,
            peer,
            timeout,
            retries,
            next_id: AtomicI32::new(first),
        })
    }

    /// The agent's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// A fresh request-id.
    pub fn next_request_id(&self) -> i32 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Send `req` and wait for the answer with its request-id: up to
    /// `1 + retries` attempts of `timeout` each. Fails only when `req` cannot
    /// be encoded.
    pub async fn request(&self, req: &Message) -> Result<Transaction, MessageError> {
        self.request_with(req, 1 + self.retries, self.timeout).await
    }

    /// Like [`SnmpClient::request`] with `attempts` sends of `wait` each
    /// (one attempt, for a request that must get no answer).
    pub async fn request_with(
        &self,
        req: &Message,
        attempts: u32,
        wait: Duration,
    ) -> Result<Transaction, MessageError> {
        let sent = message::encode(req)?;
        let mut t = self
            .exchange(sent, Some(req.pdu.request_id), attempts, wait)
            .await;
        t.request = Some(req.clone());
        Ok(t)
    }

    /// Send raw bytes once and take the first datagram that comes within
    /// `wait`, whatever it is.
    pub async fn send_raw(&self, bytes: Vec<u8>, wait: Duration) -> Transaction {
        self.exchange(bytes, None, 1, wait).await
    }

    async fn exchange(
        &self,
        sent: Vec<u8>,
        request_id: Option<i32>,
        attempts: u32,
        wait: Duration,
    ) -> Transaction {
        let start = Instant::now();
        let mut t = Transaction {
            sent,
            request: None,
            answer: Answer::Silence,
            strays: Vec::new(),
            attempts: 0,
            refused: false,
            elapsed: Duration::ZERO,
        };
        let mut buf = vec![0u8; MAX_DATAGRAM];
        'attempts: for _ in 0..attempts.max(1) {
            t.attempts += 1;
            if let Err(e) = self.socket.send(&t.sent).await {
                if is_refused(&e) {
                    t.refused = true;
                }
                // A datagram too big to send, or no route: nothing will come.
                continue;
            }
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                let n = match tokio::time::timeout_at(deadline, self.socket.recv(&mut buf)).await {
                    Err(_) => continue 'attempts,
                    Ok(Err(e)) => {
                        if is_refused(&e) {
                            t.refused = true;
                            continue 'attempts;
                        }
                        continue;
                    }
                    Ok(Ok(n)) => n,
                };
                let bytes = buf.get(..n).unwrap_or_default().to_vec();
                match message::decode(&bytes) {
                    Err(e) => {
                        t.answer = Answer::Malformed {
                            bytes,
                            error: e.to_string(),
                        };
                        break 'attempts;
                    }
                    Ok(m) if request_id.is_none_or(|id| id == m.pdu.request_id) => {
                        t.answer = Answer::Reply { bytes, message: m };
                        break 'attempts;
                    }
                    Ok(m) => t.strays.push((bytes, m)),
                }
            }
        }
        t.elapsed = start.elapsed();
        t
    }

    /// A session speaking `version` with `community`.
    pub fn session(&self, version: Version, community: &str) -> Session<'_> {
        Session {
            client: self,
            version,
            community: community.as_bytes().to_vec(),
        }
    }
}

fn is_refused(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
    )
}

/// A version and a community on a client: the ordinary requests.
#[derive(Debug, Clone)]
pub struct Session<'a> {
    client: &'a SnmpClient,
    /// The version of every message.
    pub version: Version,
    /// The community of every message.
    pub community: Vec<u8>,
}

/// How a walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkEnd {
    /// A name outside the subtree came back: the walk is complete.
    LeftSubtree,
    /// endOfMibView (v2c): the walk is complete.
    EndOfMibView,
    /// error-status noSuchName (v1's end of the MIB), or another error.
    Error {
        /// error-status.
        status: u32,
        /// error-index.
        index: u32,
    },
    /// A GetNext or GetBulk answer named an OID that does not follow the one asked.
    NotIncreasing {
        /// The name asked for.
        asked: Oid,
        /// The name answered.
        got: Oid,
    },
    /// A GetNext or GetBulk answer carried noSuchObject or noSuchInstance.
    Exception {
        /// Where.
        oid: Oid,
        /// Which.
        value: VarValue,
    },
    /// The answer was not a usable Response (silence, not SNMP, another
    /// PDU, fewer bindings than asked, a different version): the last
    /// transaction says which.
    BadAnswer(String),
    /// [`WALK_LIMIT`] bindings and still going.
    Limit,
}

/// What a walk collected.
#[derive(Debug, Clone)]
pub struct Walk {
    /// Every request and answer, in order.
    pub transactions: Vec<Transaction>,
    /// The bindings under the root, in the order they came.
    pub bindings: Vec<VarBind>,
    /// Why it stopped.
    pub end: WalkEnd,
}

impl Session<'_> {
    /// A request message with a fresh request-id.
    pub fn message(&self, kind: PduKind, a: u32, b: u32, varbinds: Vec<VarBind>) -> Message {
        Message {
            version: self.version,
            community: self.community.clone(),
            pdu: Pdu {
                kind,
                request_id: self.client.next_request_id(),
                error_status: a,
                error_index: b,
                varbinds,
            },
        }
    }

    /// GetRequest.
    pub async fn get(&self, oids: &[Oid]) -> Result<Transaction, MessageError> {
        let vbs = oids.iter().cloned().map(VarBind::null).collect();
        self.client
            .request(&self.message(PduKind::Get, 0, 0, vbs))
            .await
    }

    /// GetNextRequest.
    pub async fn get_next(&self, oids: &[Oid]) -> Result<Transaction, MessageError> {
        let vbs = oids.iter().cloned().map(VarBind::null).collect();
        self.client
            .request(&self.message(PduKind::GetNext, 0, 0, vbs))
            .await
    }

    /// GetBulkRequest (v2c).
    pub async fn get_bulk(
        &self,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[Oid],
    ) -> Result<Transaction, MessageError> {
        let vbs = oids.iter().cloned().map(VarBind::null).collect();
        let m = self.message(PduKind::GetBulk, non_repeaters, max_repetitions, vbs);
        self.client.request(&m).await
    }

    /// SetRequest.
    pub async fn set(&self, bindings: &[(Oid, Value)]) -> Result<Transaction, MessageError> {
        let vbs = bindings
            .iter()
            .map(|(o, v)| VarBind {
                oid: o.clone(),
                value: VarValue::Value(v.clone()),
            })
            .collect();
        self.client
            .request(&self.message(PduKind::Set, 0, 0, vbs))
            .await
    }

    /// Walk the subtree under `root` with GetNext (`bulk` false) or GetBulk
    /// (`bulk` true, v2c only), as snmpwalk and snmpbulkwalk do.
    pub async fn walk(&self, root: &Oid, bulk: bool) -> Result<Walk, MessageError> {
        let mut w = Walk {
            transactions: Vec::new(),
            bindings: Vec::new(),
            end: WalkEnd::Limit,
        };
        let mut cursor = root.clone();
        while w.bindings.len() < WALK_LIMIT {
            let t = if bulk {
                self.get_bulk(0, BULK_REPETITIONS, std::slice::from_ref(&cursor))
                    .await?
            } else {
                self.get_next(std::slice::from_ref(&cursor)).await?
            };
            let verdict = walk_answer(&t, self.version, root, &mut cursor, &mut w.bindings);
            w.transactions.push(t);
            if let Some(end) = verdict {
                w.end = end;
                return Ok(w);
            }
        }
        Ok(w)
    }
}

/// Take the bindings of one walk answer: `Some(end)` when the walk stops.
fn walk_answer(
    t: &Transaction,
    version: Version,
    root: &Oid,
    cursor: &mut Oid,
    out: &mut Vec<VarBind>,
) -> Option<WalkEnd> {
    let m = match &t.answer {
        Answer::Reply { message, .. } => message,
        Answer::Malformed { error, .. } => return Some(WalkEnd::BadAnswer(error.clone())),
        Answer::Silence => return Some(WalkEnd::BadAnswer("no answer".into())),
    };
    if m.pdu.kind != PduKind::Response || m.version != version {
        return Some(WalkEnd::BadAnswer(format!(
            "an {} {} instead of a Response",
            m.version.label(),
            m.pdu.kind.name()
        )));
    }
    if m.pdu.error_status != 0 {
        return Some(WalkEnd::Error {
            status: m.pdu.error_status,
            index: m.pdu.error_index,
        });
    }
    if m.pdu.varbinds.is_empty() {
        return Some(WalkEnd::BadAnswer("a Response with no bindings".into()));
    }
    for vb in &m.pdu.varbinds {
        match &vb.value {
            VarValue::EndOfMibView => return Some(WalkEnd::EndOfMibView),
            VarValue::NoSuchObject | VarValue::NoSuchInstance => {
                return Some(WalkEnd::Exception {
                    oid: vb.oid.clone(),
                    value: vb.value.clone(),
                })
            }
            VarValue::Value(_) => {}
        }
        if vb.oid <= *cursor {
            return Some(WalkEnd::NotIncreasing {
                asked: cursor.clone(),
                got: vb.oid.clone(),
            });
        }
        if !vb.oid.starts_with(root) {
            return Some(WalkEnd::LeftSubtree);
        }
        cursor.clone_from(&vb.oid);
        out.push(vb.clone());
        if out.len() >= WALK_LIMIT {
            return Some(WalkEnd::Limit);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use paperjam_sim::snmp::message::error_status as es;

    async fn socket() -> (UdpSocket, SocketAddr) {
        let s = UdpSocket::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let a = s.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
        (s, a)
    }

    async fn client(peer: SocketAddr, ms: u64, retries: u32) -> SnmpClient {
        SnmpClient::connect(peer, Duration::from_millis(ms), retries)
            .await
            .unwrap_or_else(|e| panic!("connect: {e}"))
    }

    fn sys_descr() -> Oid {
        Oid::new([1, 3, 6, 1, 2, 1, 1, 1, 0])
    }

    #[tokio::test]
    async fn a_silent_peer_times_out_after_every_attempt() {
        // Bound and never read: datagrams go nowhere, no ICMP comes back.
        let (_silent, addr) = socket().await;
        let c = client(addr, 50, 2).await;
        let t = c
            .session(Version::V2c, "public")
            .get(&[sys_descr()])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.answer, Answer::Silence);
        assert_eq!(t.attempts, 3);
        assert!(t.elapsed >= Duration::from_millis(150), "{:?}", t.elapsed);
        assert!(t.reply().is_none() && t.answer_bytes().is_empty());
    }

    /// A peer that answers each datagram with what `answer` makes of it.
    async fn peer(answer: fn(&[u8]) -> Vec<Vec<u8>>) -> SocketAddr {
        let (s, addr) = socket().await;
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65_535];
            while let Ok((n, from)) = s.recv_from(&mut buf).await {
                for d in answer(&buf[..n]) {
                    let _ = s.send_to(&d, from).await;
                }
            }
        });
        addr
    }

    fn respond(req: &[u8], status: u32, id_delta: i32) -> Vec<u8> {
        let Ok(mut m) = message::decode(req) else {
            return Vec::new();
        };
        m.pdu.kind = PduKind::Response;
        m.pdu.error_status = status;
        m.pdu.request_id = m.pdu.request_id.wrapping_add(id_delta);
        for vb in &mut m.pdu.varbinds {
            vb.value = VarValue::Value(Value::text("paperjam"));
        }
        message::encode(&m).unwrap_or_default()
    }

    #[tokio::test]
    async fn answers_are_matched_by_request_id() {
        // A stale answer (another request-id) first, then the right one.
        let addr = peer(|req| vec![respond(req, 0, -7), respond(req, es::NO_ERROR, 0)]).await;
        let c = client(addr, 2000, 0).await;
        let t = c
            .session(Version::V2c, "public")
            .get(&[sys_descr()])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let m = t.reply().unwrap_or_else(|| panic!("no reply: {t:?}"));
        assert_eq!(m.pdu.kind, PduKind::Response);
        assert_eq!(t.strays.len(), 1);
        assert_eq!(t.attempts, 1);
        assert_eq!(Some(m.pdu.request_id), t.request.map(|r| r.pdu.request_id));
    }

    #[tokio::test]
    async fn an_agent_that_never_echoes_the_request_id_leaves_strays() {
        let addr = peer(|req| vec![respond(req, 0, 1)]).await;
        let c = client(addr, 100, 1).await;
        let t = c
            .session(Version::V1, "public")
            .get(&[sys_descr()])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.answer, Answer::Silence);
        assert_eq!((t.attempts, t.strays.len()), (2, 2));
    }

    #[tokio::test]
    async fn garbage_is_an_answer_not_a_panic() {
        for junk in [
            &b""[..],
            b"\x30",
            b"\x30\x03\x02\x01\x05",
            b"hello",
            b"\x30\x82\xff\xff",
        ] {
            let addr = peer(|_| vec![b"\x30\x05\x02\x01\x09\x04\x00".to_vec()]).await;
            let c = client(addr, 2000, 0).await;
            let t = c
                .session(Version::V2c, "public")
                .get(&[sys_descr()])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(matches!(t.answer, Answer::Malformed { .. }), "{t:?}");
            // Raw bytes go out as they are.
            let t = c.send_raw(junk.to_vec(), Duration::from_millis(2000)).await;
            assert_eq!(t.sent, junk);
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_silence() {
        let addr = socket().await.1; // dropped at once: the port is closed
        let c = client(addr, 100, 1).await;
        let t = c
            .session(Version::V2c, "public")
            .get(&[sys_descr()])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.answer, Answer::Silence);
    }

    #[tokio::test]
    async fn walks_stop_where_they_should() {
        // An agent with three objects under 1.3.6.1.2.1.1 whose GetNext is honest…
        fn honest(req: &[u8]) -> Vec<Vec<u8>> {
            let Ok(mut m) = message::decode(req) else {
                return Vec::new();
            };
            let objects: Vec<Oid> = (1..=3)
                .map(|i| Oid::new([1, 3, 6, 1, 2, 1, 1, i, 0]))
                .collect();
            m.pdu.kind = PduKind::Response;
            m.pdu.error_status = 0;
            m.pdu.error_index = 0;
            let asked = m.pdu.varbinds[0].oid.clone();
            m.pdu.varbinds = vec![match objects.iter().find(|o| **o > asked) {
                Some(o) => VarBind {
                    oid: o.clone(),
                    value: VarValue::Value(Value::Integer(1)),
                },
                None => VarBind {
                    oid: asked,
                    value: VarValue::EndOfMibView,
                },
            }];
            vec![message::encode(&m).unwrap_or_default()]
        }
        let addr = peer(honest).await;
        let c = client(addr, 2000, 0).await;
        let s = c.session(Version::V2c, "public");
        let w = s
            .walk(&Oid::new([1, 3, 6, 1, 2, 1, 1]), false)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((w.bindings.len(), w.transactions.len()), (3, 4));
        assert_eq!(w.end, WalkEnd::EndOfMibView);
        let w = s
            .walk(&Oid::new([1, 3, 6, 1, 2, 1, 1, 2]), false)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((w.bindings.len(), w.end), (1, WalkEnd::LeftSubtree));
        // …and one whose GetNext answers the name it was given.
        let addr = peer(|req| vec![respond(req, 0, 0)]).await;
        let c = client(addr, 2000, 0).await;
        let w = c
            .session(Version::V2c, "public")
            .walk(&Oid::new([1, 3, 6, 1, 2, 1, 1]), false)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(w.end, WalkEnd::NotIncreasing { .. }),
            "{:?}",
            w.end
        );
        assert!(w.bindings.is_empty());
    }
}
