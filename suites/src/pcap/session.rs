//! Replayable sessions: what a capture's flows and datagrams become once each
//! protocol's framing has split them — the client's requests, each with the
//! answer the captured printer gave.

use std::net::SocketAddr;

use serde::Serialize;

use super::frame;
use super::tcp::{Capture, Dir, Flow};

/// Which protocol a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// IPP over HTTP.
    Ipp,
    /// HTTP that does not carry IPP (a web page, a PPD download).
    Http,
    /// LPD (RFC 1179).
    Lpd,
    /// AppSocket (port 9100) and PJL.
    Socket,
    /// SNMP v1/v2c.
    Snmp,
    /// mDNS / DNS-SD.
    Mdns,
    /// Something else (TLS, an unknown protocol).
    Other,
}

impl Protocol {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Ipp => "ipp",
            Protocol::Http => "http",
            Protocol::Lpd => "lpd",
            Protocol::Socket => "socket",
            Protocol::Snmp => "snmp",
            Protocol::Mdns => "mdns",
            Protocol::Other => "other",
        }
    }
}

/// One session: a TCP connection, or the datagrams between one client and
/// one agent.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    /// Its number in the capture, from 1, in order of first frame.
    pub number: usize,
    /// The protocol.
    pub protocol: Protocol,
    /// The client's address.
    pub client: SocketAddr,
    /// The printer's address.
    pub server: SocketAddr,
    /// First frame.
    pub first_frame: u64,
    /// Last frame.
    pub last_frame: u64,
    /// For a TCP session: the flow — its handshake, how it ended, the bytes
    /// each way.
    pub tcp: Option<TcpSummary>,
    /// What was said.
    pub body: SessionBody,
    /// What the reassembler and framers had to get past, frame by frame.
    pub problems: Vec<String>,
}

impl Session {
    /// `s3 ipp 10.0.0.2:49152 → 10.0.0.7:631 (frames 12–250)`.
    pub fn label(&self) -> String {
        format!(
            "s{} {} {} → {} (frames {}–{})",
            self.number,
            self.protocol.as_str(),
            self.client,
            self.server,
            self.first_frame,
            self.last_frame
        )
    }
}

/// A TCP session's flow, in short.
#[derive(Debug, Clone, Serialize)]
pub struct TcpSummary {
    /// How much of the handshake the capture holds.
    pub handshake: super::tcp::Handshake,
    /// How the flow ended.
    pub ending: super::tcp::Ending,
    /// Bytes client → printer.
    pub to_server: usize,
    /// Bytes printer → client.
    pub to_client: usize,
    /// Bytes the capture missed.
    pub missing: u64,
}

impl std::fmt::Display for TcpSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use super::tcp::{Ending, Handshake};
        let hs = match self.handshake {
            Handshake::Full => "handshake",
            Handshake::SynOnly => "SYN only",
            Handshake::SynAckOnly => "SYN-ACK only (capture started after the SYN)",
            Handshake::Missing => "no handshake (capture started mid-connection)",
        };
        let end = match self.ending {
            Ending::Fin {
                by_client: true,
                by_server: true,
            } => "FIN both ways".to_string(),
            Ending::Fin { by_client, .. } => {
                format!(
                    "FIN by the {} only",
                    if by_client { "client" } else { "printer" }
                )
            }
            Ending::Reset { by } => format!(
                "reset by the {}",
                if by == Dir::ToServer {
                    "client"
                } else {
                    "printer"
                }
            ),
            Ending::Unfinished => "still open when the capture ended".to_string(),
        };
        write!(
            f,
            "tcp: {hs}, {} bytes to the printer, {} back, {end}",
            self.to_server, self.to_client
        )?;
        if self.missing > 0 {
            write!(f, ", {} bytes never captured", self.missing)?;
        }
        Ok(())
    }
}

/// What a session holds, by protocol.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SessionBody {
    /// HTTP exchanges (IPP or not), in order.
    Http {
        /// The exchanges.
        exchanges: Vec<HttpExchange>,
    },
    /// An LPD connection as steps: what the client sent, what came back.
    Lpd {
        /// The command (`receive job for queue lp`).
        command: String,
        /// The steps.
        steps: Vec<RawStep>,
    },
    /// An AppSocket connection.
    Socket {
        /// Everything the client sent.
        #[serde(skip)]
        data: Vec<u8>,
        /// Its length.
        data_len: usize,
        /// Everything the printer sent back.
        #[serde(skip)]
        back_channel: Vec<u8>,
        /// The PJL commands in the data (`@PJL INFO ID`), in order.
        pjl: Vec<String>,
        /// The back-channel as text.
        back_channel_text: String,
    },
    /// SNMP requests and their answers.
    Snmp {
        /// The exchanges.
        exchanges: Vec<DatagramExchange>,
    },
    /// mDNS queries and the answers that followed.
    Mdns {
        /// The exchanges.
        exchanges: Vec<DatagramExchange>,
    },
    /// A flow no framer could read.
    Other {
        /// Bytes client → server.
        to_server: usize,
        /// Bytes server → client.
        to_client: usize,
    },
}

/// One HTTP request and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct HttpExchange {
    /// The frame that carried the request's first byte.
    pub frame: u64,
    /// Method.
    pub method: String,
    /// Request target (path).
    pub path: String,
    /// Request headers in order.
    pub headers: Vec<(String, String)>,
    /// Whether the body was sent chunked.
    pub chunked: bool,
    /// Whether the client asked `Expect: 100-continue`.
    pub expect_continue: bool,
    /// The body, de-chunked.
    #[serde(skip)]
    pub body: Vec<u8>,
    /// Its length.
    pub body_len: usize,
    /// The IPP request decoded (`Print-Job, request-id 3, …`), if IPP.
    pub ipp: Option<String>,
    /// The answer, if the capture has it.
    pub response: Option<HttpResponse>,
}

/// A captured HTTP answer.
#[derive(Debug, Clone, Serialize)]
pub struct HttpResponse {
    /// The frame that carried its first byte.
    pub frame: u64,
    /// Status code.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Whether a `100 Continue` came first.
    pub continued: bool,
    /// Whether the body came chunked.
    pub chunked: bool,
    /// The body, de-chunked.
    #[serde(skip)]
    pub body: Vec<u8>,
    /// Its length.
    pub body_len: usize,
    /// The IPP answer decoded, if IPP.
    pub ipp: Option<String>,
}

/// What a raw-TCP step expects back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// One acknowledgement byte.
    Ack,
    /// Text until the printer closes.
    UntilClose,
    /// Nothing.
    Nothing,
}

/// One raw-TCP step: bytes sent, and what the captured printer answered.
#[derive(Debug, Clone, Serialize)]
pub struct RawStep {
    /// What the step is (`control file cfA001host, 211 bytes`).
    pub label: String,
    /// The frame that carried its first byte.
    pub frame: u64,
    /// The bytes sent.
    #[serde(skip)]
    pub send: Vec<u8>,
    /// How many.
    pub send_len: usize,
    /// What the step waits for.
    pub expect: Expect,
    /// What the captured printer answered.
    #[serde(skip)]
    pub answer: Vec<u8>,
    /// The answer, escaped.
    pub answer_text: String,
}

/// One request datagram and the answer to it.
#[derive(Debug, Clone, Serialize)]
pub struct DatagramExchange {
    /// The request's frame.
    pub frame: u64,
    /// Who asked (`None` for an announcement nobody asked for).
    pub querier: Option<std::net::IpAddr>,
    /// The request's bytes.
    #[serde(skip)]
    pub request: Vec<u8>,
    /// The request decoded.
    pub request_text: String,
    /// The answers' frames and bytes (SNMP: at most one; mDNS: any).
    #[serde(skip)]
    pub answers: Vec<(u64, Vec<u8>)>,
    /// The answers decoded.
    pub answer_texts: Vec<String>,
}

/// A capture read, reassembled and split into sessions.
#[derive(Debug, Clone, Serialize)]
pub struct SessionSet {
    /// The file read.
    pub file: String,
    /// Frames in it.
    pub frames: u64,
    /// Bytes of frame data in it.
    pub bytes: u64,
    /// The link types of its interfaces.
    pub link_types: Vec<String>,
    /// TCP flows reassembled.
    pub flows: usize,
    /// UDP datagrams read.
    pub datagrams: usize,
    /// The sessions, in order of first frame.
    pub sessions: Vec<Session>,
    /// What the reader got past, frame by frame.
    pub warnings: Vec<super::Warning>,
}

impl SessionSet {
    /// Read `path` and split it into sessions.
    pub fn from_file(path: &std::path::Path) -> Result<SessionSet, super::read::CaptureError> {
        let cap = super::tcp::reassemble_file(path)?;
        Ok(build(&path.display().to_string(), cap))
    }
}

/// The frame whose run carried byte `offset` of direction `dir`.
fn frame_at(flow: &Flow, dir: Dir, offset: usize) -> u64 {
    flow.runs
        .iter()
        .rfind(|r| r.dir == dir && r.start <= offset)
        .map_or(flow.first_frame, |r| r.frame)
}

fn slice(b: &[u8], r: std::ops::Range<usize>) -> &[u8] {
    b.get(r.start.min(b.len())..r.end.min(b.len()))
        .unwrap_or_default()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn ipp_text(msg: &frame::http::HttpMessage, request: bool) -> Option<String> {
    let payload = frame::http::ipp_body(msg)?.ok()?;
    match paperjam_sim::wire::ipp::Message::from_raw(&payload.message) {
        Ok(m) => Some(crate::runner::describe(&m, request)),
        Err(e) => Some(format!(
            "{} {} (attributes do not decode: {e})",
            payload.code_name, payload.request_id
        )),
    }
}

fn http_session(flow: &Flow, problems: &mut Vec<String>) -> (Protocol, SessionBody) {
    let split = frame::split_http(&flow.to_server, &flow.to_client);
    for p in &split.problems {
        problems.push(p.to_string());
    }
    let mut ipp = false;
    let mut exchanges = Vec::new();
    for x in &split.exchanges {
        let req = &x.request;
        let (method, path) = match &req.kind {
            frame::http::StartLine::Request { method, target, .. } => {
                (method.clone(), target.clone())
            }
            frame::http::StartLine::Response { .. } => continue,
        };
        let req_ipp = ipp_text(req, true);
        ipp |= req_ipp.is_some();
        let response = x.response.as_ref().and_then(|r| match &r.kind {
            frame::http::StartLine::Response { status, .. } => Some(HttpResponse {
                frame: frame_at(flow, Dir::ToClient, r.range.start),
                status: *status,
                headers: r.headers.clone(),
                continued: x.interim.iter().any(|i| {
                    matches!(i.kind, frame::http::StartLine::Response { status: 100, .. })
                }),
                chunked: matches!(r.framing, frame::http::BodyFraming::Chunked { .. }),
                body_len: r.body.len(),
                body: r.body.clone(),
                ipp: ipp_text(r, false),
            }),
            frame::http::StartLine::Request { .. } => None,
        });
        exchanges.push(HttpExchange {
            frame: frame_at(flow, Dir::ToServer, req.range.start),
            method,
            path,
            chunked: matches!(req.framing, frame::http::BodyFraming::Chunked { .. }),
            expect_continue: header(&req.headers, "expect")
                .is_some_and(|v| v.eq_ignore_ascii_case("100-continue")),
            headers: req.headers.clone(),
            body_len: req.body.len(),
            body: req.body.clone(),
            ipp: req_ipp,
            response,
        });
    }
    let protocol = if ipp { Protocol::Ipp } else { Protocol::Http };
    (protocol, SessionBody::Http { exchanges })
}

fn ack_text(a: Option<u8>) -> String {
    match a {
        Some(0) => "ack 0 (accepted)".into(),
        Some(x) => format!("ack {x} (refused)"),
        None => "no ack".into(),
    }
}

fn lpd_session(flow: &Flow, problems: &mut Vec<String>) -> SessionBody {
    use frame::lpd::{LpdCommandKind, SubcommandKind};
    let split = frame::split_lpd(&flow.to_server, &flow.to_client);
    for p in &split.problems {
        problems.push(p.to_string());
    }
    let Some(cmd) = split.commands.first() else {
        return SessionBody::Other {
            to_server: flow.to_server.len(),
            to_client: flow.to_client.len(),
        };
    };
    let command = match &cmd.kind {
        LpdCommandKind::PrintWaiting { queue } => format!("print waiting jobs of {queue}"),
        LpdCommandKind::ReceiveJob { queue } => format!("receive job for {queue}"),
        LpdCommandKind::QueueState { long, queue, .. } => format!(
            "send queue state of {queue} ({})",
            if *long { "long" } else { "short" }
        ),
        LpdCommandKind::Remove { queue, agent, .. } => {
            format!("remove jobs of {queue} for {agent}")
        }
        LpdCommandKind::Unknown { code, .. } => format!("unknown command {code}"),
    };
    let mut steps = Vec::new();
    let line = slice(&flow.to_server, cmd.range.clone()).to_vec();
    let (expect, answer) = match &cmd.kind {
        LpdCommandKind::ReceiveJob { .. } => {
            (Expect::Ack, cmd.ack.map(|a| vec![a]).unwrap_or_default())
        }
        LpdCommandKind::QueueState { .. } | LpdCommandKind::Remove { .. } => (
            Expect::UntilClose,
            cmd.answer
                .clone()
                .map(|r| slice(&flow.to_client, r).to_vec())
                .unwrap_or_default(),
        ),
        _ => (Expect::Nothing, Vec::new()),
    };
    steps.push(RawStep {
        label: command.clone(),
        frame: frame_at(flow, Dir::ToServer, cmd.range.start),
        send_len: line.len(),
        send: line,
        expect,
        answer_text: match expect {
            Expect::Ack => ack_text(cmd.ack),
            _ => crate::raw::escaped(&answer, 2000),
        },
        answer,
    });
    for sub in &cmd.subcommands {
        let what = match sub.kind {
            SubcommandKind::Abort => "abort job".to_string(),
            SubcommandKind::ControlFile => format!(
                "control file {}, {} bytes",
                sub.name.clone().unwrap_or_default(),
                sub.count.unwrap_or(0)
            ),
            SubcommandKind::DataFile => format!(
                "data file {}, {} bytes",
                sub.name.clone().unwrap_or_default(),
                sub.count.unwrap_or(0)
            ),
            SubcommandKind::Unknown(c) => format!("unknown subcommand {c}"),
        };
        let line = slice(&flow.to_server, sub.range.clone()).to_vec();
        steps.push(RawStep {
            label: format!("{what}: subcommand"),
            frame: frame_at(flow, Dir::ToServer, sub.range.start),
            send_len: line.len(),
            send: line,
            expect: if sub.ack.is_some() || sub.complete {
                Expect::Ack
            } else {
                Expect::Nothing
            },
            answer: sub.ack.map(|a| vec![a]).unwrap_or_default(),
            answer_text: ack_text(sub.ack),
        });
        if let Some(content) = &sub.content {
            let end = sub.nul.map_or(content.end, |n| n + 1);
            let bytes = slice(&flow.to_server, content.start..end).to_vec();
            steps.push(RawStep {
                label: format!("{what}: content"),
                frame: frame_at(flow, Dir::ToServer, content.start),
                send_len: bytes.len(),
                send: bytes,
                expect: if sub.content_ack.is_some() {
                    Expect::Ack
                } else {
                    Expect::Nothing
                },
                answer: sub.content_ack.map(|a| vec![a]).unwrap_or_default(),
                answer_text: ack_text(sub.content_ack),
            });
        }
    }
    SessionBody::Lpd { command, steps }
}

fn socket_session(flow: &Flow, problems: &mut Vec<String>) -> SessionBody {
    let split = frame::split_socket(&flow.to_server, &flow.to_client);
    for p in &split.problems {
        problems.push(p.to_string());
    }
    SessionBody::Socket {
        data_len: flow.to_server.len(),
        data: flow.to_server.clone(),
        pjl: split.pjl.iter().map(|l| l.text.clone()).collect(),
        back_channel_text: crate::raw::escaped(&flow.to_client, 4000),
        back_channel: flow.to_client.clone(),
    }
}

/// An mDNS datagram as text, one line per question and record.
fn mdns_text(payload: &[u8]) -> String {
    crate::mdns::dns::describe(payload).trim_end().to_string()
}

/// Datagrams of one protocol between one client and one agent.
struct DatagramGroup {
    protocol: Protocol,
    client: SocketAddr,
    server: SocketAddr,
    first: u64,
    last: u64,
    exchanges: Vec<DatagramExchange>,
    problems: Vec<String>,
}

fn datagram_sessions(datagrams: &[super::Datagram]) -> Vec<DatagramGroup> {
    use paperjam_sim::snmp::message::{decode, PduKind};
    let mut groups: Vec<DatagramGroup> = Vec::new();
    // The question names of each exchange of the mDNS group, in its order.
    let mut mdns_questions: Vec<Vec<String>> = Vec::new();
    // SNMP: requests by (client, agent, request-id), waiting for answers.
    let mut pending: std::collections::HashMap<(SocketAddr, SocketAddr, i32), (usize, usize)> =
        std::collections::HashMap::new();
    for d in datagrams {
        match frame::guess_udp_protocol(d.src.port(), d.dst.port(), &d.payload) {
            frame::UdpProtocol::Snmp => {
                let msg = decode(&d.payload).ok();
                let is_answer = msg
                    .as_ref()
                    .is_some_and(|m| matches!(m.pdu.kind, PduKind::Response | PduKind::Report));
                if is_answer {
                    let id = msg.as_ref().map_or(0, |m| m.pdu.request_id);
                    match pending.get(&(d.dst, d.src, id)) {
                        Some(&(g, x)) => {
                            let group = &mut groups[g];
                            group.last = group.last.max(d.frame);
                            let ex = &mut group.exchanges[x];
                            if ex.answers.is_empty() {
                                ex.answers.push((d.frame, d.payload.clone()));
                                ex.answer_texts
                                    .push(frame::datagram::describe_snmp(&d.payload));
                            } else {
                                group.problems.push(format!(
                                    "frame {}: a second answer to request-id {id} (frame {})",
                                    d.frame, ex.frame
                                ));
                            }
                        }
                        None => {
                            let g = group_for(&mut groups, Protocol::Snmp, d.dst, d.src, d.frame);
                            groups[g].problems.push(format!(
                                "frame {}: an answer (request-id {id}) to no request in the capture",
                                d.frame
                            ));
                        }
                    }
                    continue;
                }
                let g = group_for(&mut groups, Protocol::Snmp, d.src, d.dst, d.frame);
                let group = &mut groups[g];
                group.last = group.last.max(d.frame);
                if let Some(m) = &msg {
                    if matches!(m.pdu.kind, PduKind::Trap | PduKind::Inform) {
                        group.problems.push(format!(
                            "frame {}: {} (notifications are not replayed)",
                            d.frame,
                            m.pdu.kind.name()
                        ));
                        continue;
                    }
                    pending.insert((d.src, d.dst, m.pdu.request_id), (g, group.exchanges.len()));
                }
                group.exchanges.push(DatagramExchange {
                    frame: d.frame,
                    querier: Some(d.src.ip()),
                    request: d.payload.clone(),
                    request_text: frame::datagram::describe_snmp(&d.payload),
                    answers: Vec::new(),
                    answer_texts: Vec::new(),
                });
            }
            frame::UdpProtocol::Mdns => {
                let parsed = frame::mdns(&d.payload).ok();
                let response = parsed.as_ref().is_some_and(|m| m.is_response);
                // One mDNS session per capture: queries, and the answers
                // that follow each.
                let (client, server) = if response {
                    (d.dst, d.src)
                } else {
                    (d.src, d.dst)
                };
                let g = match groups.iter().position(|g| g.protocol == Protocol::Mdns) {
                    Some(g) => g,
                    None => group_for(&mut groups, Protocol::Mdns, client, server, d.frame),
                };
                let group = &mut groups[g];
                group.last = group.last.max(d.frame);
                if response {
                    // The latest query from another host that this response
                    // answers (a record named as one of its questions);
                    // otherwise an announcement on its own.
                    let answered: Vec<String> = parsed
                        .iter()
                        .flat_map(|m| m.answers.iter().chain(&m.additional))
                        .map(|r| r.name.to_ascii_lowercase())
                        .collect();
                    let target = group
                        .exchanges
                        .iter_mut()
                        .zip(&mdns_questions)
                        .rev()
                        .find(|(ex, asked)| {
                            ex.querier.is_some_and(|q| q != d.src.ip())
                                && asked.iter().any(|n| answered.contains(n))
                        })
                        .map(|(ex, _)| ex);
                    match target {
                        Some(ex) => {
                            ex.answers.push((d.frame, d.payload.clone()));
                            ex.answer_texts.push(mdns_text(&d.payload));
                        }
                        None => {
                            mdns_questions.push(Vec::new());
                            group.exchanges.push(DatagramExchange {
                                frame: d.frame,
                                querier: None,
                                request: Vec::new(),
                                request_text: "(an announcement: it answers no query before it)"
                                    .into(),
                                answers: vec![(d.frame, d.payload.clone())],
                                answer_texts: vec![mdns_text(&d.payload)],
                            })
                        }
                    }
                } else {
                    // The names it asks about, to pair later answers with it.
                    mdns_questions.push(
                        parsed
                            .iter()
                            .flat_map(|m| &m.questions)
                            .map(|q| q.name.to_ascii_lowercase())
                            .collect(),
                    );
                    group.exchanges.push(DatagramExchange {
                        frame: d.frame,
                        querier: Some(d.src.ip()),
                        request: d.payload.clone(),
                        request_text: mdns_text(&d.payload),
                        answers: Vec::new(),
                        answer_texts: Vec::new(),
                    });
                }
            }
            frame::UdpProtocol::Unknown => {}
        }
    }
    groups
}

fn group_for(
    groups: &mut Vec<DatagramGroup>,
    protocol: Protocol,
    client: SocketAddr,
    server: SocketAddr,
    frame: u64,
) -> usize {
    if let Some(i) = groups
        .iter()
        .position(|g| g.protocol == protocol && g.client == client && g.server == server)
    {
        return i;
    }
    groups.push(DatagramGroup {
        protocol,
        client,
        server,
        first: frame,
        last: frame,
        exchanges: Vec::new(),
        problems: Vec::new(),
    });
    groups.len() - 1
}

/// Split a reassembled capture into sessions.
pub fn build(file: &str, cap: Capture) -> SessionSet {
    let mut sessions = Vec::new();
    for flow in &cap.flows {
        let mut problems: Vec<String> = flow.warnings.iter().map(ToString::to_string).collect();
        for g in &flow.gaps {
            problems.push(format!(
                "frame {}: {} bytes never captured at offset {} ({})",
                g.frame,
                g.missing,
                g.at,
                if g.dir == Dir::ToServer {
                    "client → printer"
                } else {
                    "printer → client"
                }
            ));
        }
        let (protocol, body) = match frame::guess_tcp_protocol(flow.server.port(), &flow.to_server)
        {
            frame::TcpProtocol::Http => http_session(flow, &mut problems),
            frame::TcpProtocol::Lpd => (Protocol::Lpd, lpd_session(flow, &mut problems)),
            frame::TcpProtocol::AppSocket => {
                (Protocol::Socket, socket_session(flow, &mut problems))
            }
            _ => (
                Protocol::Other,
                SessionBody::Other {
                    to_server: flow.to_server.len(),
                    to_client: flow.to_client.len(),
                },
            ),
        };
        sessions.push(Session {
            number: 0,
            protocol,
            client: flow.client,
            server: flow.server,
            first_frame: flow.first_frame,
            last_frame: flow.last_frame,
            tcp: Some(TcpSummary {
                handshake: flow.handshake,
                ending: flow.ending,
                to_server: flow.to_server.len(),
                to_client: flow.to_client.len(),
                missing: flow.gaps.iter().map(|g| g.missing).sum(),
            }),
            body,
            problems,
        });
    }
    for g in datagram_sessions(&cap.datagrams) {
        let body = match g.protocol {
            Protocol::Snmp => SessionBody::Snmp {
                exchanges: g.exchanges,
            },
            _ => SessionBody::Mdns {
                exchanges: g.exchanges,
            },
        };
        sessions.push(Session {
            number: 0,
            protocol: g.protocol,
            client: g.client,
            server: g.server,
            first_frame: g.first,
            last_frame: g.last,
            tcp: None,
            body,
            problems: g.problems,
        });
    }
    sessions.sort_by_key(|s| s.first_frame);
    for (i, s) in sessions.iter_mut().enumerate() {
        s.number = i + 1;
    }
    SessionSet {
        file: file.to_string(),
        frames: cap.frames,
        bytes: cap.bytes,
        link_types: cap.link_types.iter().map(|l| format!("{l:?}")).collect(),
        flows: cap.flows.len(),
        datagrams: cap.datagrams.len(),
        sessions,
        warnings: cap.warnings,
    }
}

/// The session set as text, for `paperjam capture inspect`.
pub fn render_text(set: &SessionSet) -> String {
    let mut s = format!(
        "{}: {} frames, {} bytes, link types {}; {} TCP flows, {} UDP datagrams, {} sessions\n",
        set.file,
        set.frames,
        set.bytes,
        set.link_types.join(", "),
        set.flows,
        set.datagrams,
        set.sessions.len()
    );
    for w in &set.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    for sess in &set.sessions {
        s.push_str(&format!("\n== {}\n", sess.label()));
        if let Some(t) = &sess.tcp {
            s.push_str(&format!("   {t}\n"));
        }
        for p in &sess.problems {
            s.push_str(&format!("   ! {p}\n"));
        }
        match &sess.body {
            SessionBody::Http { exchanges } => {
                for (i, x) in exchanges.iter().enumerate() {
                    s.push_str(&format!(
                        "-- {}. frame {}: {} {} ({} body bytes{}{})\n",
                        i + 1,
                        x.frame,
                        x.method,
                        x.path,
                        x.body_len,
                        if x.chunked { ", chunked" } else { "" },
                        if x.expect_continue {
                            ", Expect: 100-continue"
                        } else {
                            ""
                        }
                    ));
                    if let Some(t) = &x.ipp {
                        s.push_str(&indent(t, "   > "));
                    }
                    match &x.response {
                        Some(r) => {
                            s.push_str(&format!(
                                "   answer, frame {}: HTTP {} ({} body bytes{}{})\n",
                                r.frame,
                                r.status,
                                r.body_len,
                                if r.chunked { ", chunked" } else { "" },
                                if r.continued {
                                    ", after 100 Continue"
                                } else {
                                    ""
                                }
                            ));
                            if let Some(t) = &r.ipp {
                                s.push_str(&indent(t, "   < "));
                            }
                        }
                        None => s.push_str("   no answer in the capture\n"),
                    }
                }
            }
            SessionBody::Lpd { command, steps } => {
                s.push_str(&format!("-- {command}\n"));
                for st in steps {
                    s.push_str(&format!(
                        "   frame {}: {} ({} bytes) -> {}\n",
                        st.frame, st.label, st.send_len, st.answer_text
                    ));
                }
            }
            SessionBody::Socket {
                data_len,
                pjl,
                back_channel_text,
                ..
            } => {
                s.push_str(&format!("-- {data_len} bytes of job data\n"));
                for l in pjl {
                    s.push_str(&format!("   > {l}\n"));
                }
                s.push_str(&format!(
                    "   back-channel: {}\n",
                    if back_channel_text.is_empty() {
                        "(none)"
                    } else {
                        back_channel_text
                    }
                ));
            }
            SessionBody::Snmp { exchanges } | SessionBody::Mdns { exchanges } => {
                for x in exchanges {
                    s.push_str(&format!("-- frame {}\n", x.frame));
                    s.push_str(&indent(&x.request_text, "   > "));
                    if x.answers.is_empty() {
                        s.push_str("   (no answer)\n");
                    }
                    for ((f, _), t) in x.answers.iter().zip(&x.answer_texts) {
                        s.push_str(&format!("   answer, frame {f}:\n"));
                        s.push_str(&indent(t, "   < "));
                    }
                }
            }
            SessionBody::Other {
                to_server,
                to_client,
            } => s.push_str(&format!(
                "-- not read: {to_server} bytes to the printer, {to_client} back\n"
            )),
        }
    }
    s
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}
