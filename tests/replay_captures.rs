//! Replays the client side of the sessions recorded in `captures/` against an
//! in-process virtual printer.
//!
//! Each capture (pcapng, recorded with `tshark -i lo` against
//! `paperjam serve`; see `captures/README.md`) is read with `pcap-file`, its
//! packets parsed with `etherparse`, and the two byte streams of every TCP
//! connection reassembled (by sequence number, duplicates dropped). The
//! client's bytes are then sent to a fresh printer in the same conversational
//! steps: up to the byte the captured server had acknowledged when it
//! answered, then as many bytes as it answered are read back and compared.
//! Finally the printer must hold the printed document, byte-exact.
//!
//! The sidecar `captures/<name>.toml` names the protocol and any faults the
//! recorded printer carried (`server_faults`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use paperjam_sim::fault::Fault;
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Result<T> = std::result::Result<T, String>;

/// How long any one read from the printer may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

/// The keys of a capture's sidecar the replay needs.
#[derive(serde::Deserialize)]
struct Sidecar {
    protocol: String,
    #[serde(default)]
    server_faults: Vec<String>,
}

/// One TCP segment seen in the capture.
struct Segment {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: Option<u32>,
    syn: bool,
    fin: bool,
    payload: Vec<u8>,
}

/// One reassembled TCP connection.
#[derive(Debug)]
struct Connection {
    client: SocketAddr,
    server: SocketAddr,
    /// Client → server bytes.
    upstream: Vec<u8>,
    /// Server → client bytes.
    downstream: Vec<u8>,
    /// `(client bytes received, server bytes sent)` each time the captured
    /// server sent data: the client bytes it had acknowledged by then, and
    /// the end of what it had sent.
    steps: Vec<(usize, usize)>,
    /// Whether the captured server closed its side before the client did
    /// (it answered and hung up, as after a queue listing).
    server_closed_first: bool,
}

/// Every TCP segment of a pcapng file, in capture order.
fn read_segments(path: &Path) -> Result<Vec<Segment>> {
    let file = std::fs::File::open(path).map_err(|e| {
        format!(
            "capture {} is missing or unreadable ({e}); record it as captures/README.md says",
            path.display()
        )
    })?;
    let mut reader = PcapNgReader::new(file)
        .map_err(|e| format!("{} is not a pcapng file: {e}", path.display()))?;
    let mut links: Vec<DataLink> = Vec::new();
    let mut segments = Vec::new();
    while let Some(block) = reader.next_block() {
        let block = block.map_err(|e| format!("{}: unreadable block: {e}", path.display()))?;
        let (link, data) = match block {
            Block::InterfaceDescription(idb) => {
                links.push(idb.linktype);
                continue;
            }
            Block::EnhancedPacket(epb) => {
                let link = links
                    .get(epb.interface_id as usize)
                    .copied()
                    .ok_or_else(|| format!("{}: packet of an unknown interface", path.display()))?;
                (link, epb.data.into_owned())
            }
            Block::SimplePacket(spb) => {
                let link = links
                    .first()
                    .copied()
                    .ok_or_else(|| format!("{}: packet before any interface", path.display()))?;
                (link, spb.data.into_owned())
            }
            _ => continue,
        };
        if let Some(s) = parse_segment(link, &data)
            .map_err(|e| format!("{}: unparsable packet: {e}", path.display()))?
        {
            segments.push(s);
        }
    }
    Ok(segments)
}

/// The TCP segment in one captured frame, if it holds one.
fn parse_segment(link: DataLink, data: &[u8]) -> Result<Option<Segment>> {
    let sliced = match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        // BSD loopback: a 4-byte address family, then the IP packet.
        DataLink::NULL | DataLink::LOOP => SlicedPacket::from_ip(data.get(4..).unwrap_or(&[])),
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
        other => return Err(format!("unsupported link type {other:?}")),
    }
    .map_err(|e| e.to_string())?;
    let (src_ip, dst_ip) = match &sliced.net {
        Some(NetSlice::Ipv4(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        Some(NetSlice::Ipv6(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        _ => return Ok(None),
    };
    let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
        return Ok(None);
    };
    Ok(Some(Segment {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.ack().then(|| tcp.acknowledgment_number()),
        syn: tcp.syn(),
        fin: tcp.fin(),
        payload: tcp.payload().to_vec(),
    }))
}

/// One direction's byte stream: the segments' payloads placed by sequence
/// number relative to the first data byte (`isn + 1`), overlaps and
/// duplicates dropped. A hole is an error.
fn reassemble(isn: u32, segments: &[(u32, &[u8])]) -> Result<Vec<u8>> {
    let mut placed: Vec<(usize, &[u8])> = segments
        .iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(seq, p)| (seq.wrapping_sub(isn.wrapping_add(1)) as usize, *p))
        .collect();
    placed.sort_by_key(|(off, _)| *off);
    let mut out = Vec::new();
    for (off, p) in placed {
        let end = off + p.len();
        if end <= out.len() {
            continue; // a retransmission
        }
        if off > out.len() {
            return Err(format!(
                "bytes {}..{off} were not captured (a hole in the stream)",
                out.len()
            ));
        }
        out.extend_from_slice(&p[out.len() - off..]);
    }
    Ok(out)
}

/// The TCP connections of a capture, in the order they were opened.
fn connections(segments: &[Segment]) -> Result<Vec<Connection>> {
    // Client and server of each connection, from its SYN.
    let mut opened: Vec<(SocketAddr, SocketAddr)> = Vec::new();
    for s in segments {
        if s.syn && s.ack.is_none() && !opened.contains(&(s.src, s.dst)) {
            opened.push((s.src, s.dst));
        }
    }
    if opened.is_empty() {
        return Err("no connection opened (no SYN) in the capture".into());
    }
    let mut out = Vec::new();
    for (client, server) in opened {
        let isn = |from: SocketAddr, to: SocketAddr| {
            segments
                .iter()
                .find(|s| s.syn && s.src == from && s.dst == to)
                .map(|s| s.seq)
                .ok_or_else(|| format!("no SYN from {from} to {to} in the capture"))
        };
        let (client_isn, server_isn) = (isn(client, server)?, isn(server, client)?);
        let dir = |from: SocketAddr, to: SocketAddr| -> Vec<(u32, &[u8])> {
            segments
                .iter()
                .filter(|s| s.src == from && s.dst == to)
                .map(|s| (s.seq, s.payload.as_slice()))
                .collect()
        };
        let upstream = reassemble(client_isn, &dir(client, server))
            .map_err(|e| format!("{client} → {server}: {e}"))?;
        let downstream = reassemble(server_isn, &dir(server, client))
            .map_err(|e| format!("{server} → {client}: {e}"))?;
        let server_closed_first = segments
            .iter()
            .find(|s| {
                s.fin && ((s.src, s.dst) == (client, server) || (s.src, s.dst) == (server, client))
            })
            .is_some_and(|s| s.src == server);
        let mut steps: Vec<(usize, usize)> = Vec::new();
        for s in segments
            .iter()
            .filter(|s| s.src == server && s.dst == client)
        {
            if s.payload.is_empty() {
                continue;
            }
            let acked = s
                .ack
                .map(|a| a.wrapping_sub(client_isn.wrapping_add(1)) as usize)
                .unwrap_or(0)
                .min(upstream.len());
            let end = (s.seq.wrapping_sub(server_isn.wrapping_add(1)) as usize + s.payload.len())
                .min(downstream.len());
            match steps.last_mut() {
                Some(last) if last.0 == acked => last.1 = last.1.max(end),
                _ => steps.push((acked, end)),
            }
        }
        out.push(Connection {
            client,
            server,
            upstream,
            downstream,
            steps,
            server_closed_first,
        });
    }
    Ok(out)
}

/// A capture: its sidecar and its connections.
fn load(name: &str) -> (Sidecar, Vec<Connection>) {
    let dir = root().join("captures");
    let pcap = dir.join(format!("{name}.pcapng"));
    let side = dir.join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&side)
        .unwrap_or_else(|e| panic!("sidecar {} is missing or unreadable: {e}", side.display()));
    let sidecar: Sidecar = toml::from_str(&text)
        .unwrap_or_else(|e| panic!("sidecar {} is not valid: {e}", side.display()));
    let segments = read_segments(&pcap).unwrap_or_else(|e| panic!("{e}"));
    let conns = connections(&segments).unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
    for c in &conns {
        eprintln!(
            "{name}: {} → {}: {} bytes up, {} down, {} steps, server closed first: {}",
            c.client,
            c.server,
            c.upstream.len(),
            c.downstream.len(),
            c.steps.len(),
            c.server_closed_first
        );
    }
    (sidecar, conns)
}

async fn start(faults: &[String]) -> Result<RunningServer> {
    let profile = Profile::default_profile().map_err(|e| e.to_string())?;
    let mut cfg = ServerConfig::new(Arc::new(profile));
    cfg.ipp_port = 0;
    cfg.lpd_port = Some(0);
    cfg.socket_port = Some(0);
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    cfg.faults = faults
        .iter()
        .map(|f| {
            f.parse::<Fault>()
                .map_err(|e| format!("sidecar fault {f:?}: {e}"))
        })
        .collect::<Result<_>>()?;
    server::start(cfg).await.map_err(|e| e.to_string())
}

async fn read_exact(s: &mut TcpStream, n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    tokio::time::timeout(STEP_TIMEOUT, s.read_exact(&mut buf))
        .await
        .map_err(|_| format!("no answer of {n} bytes within {STEP_TIMEOUT:?}"))?
        .map_err(|e| format!("reading {n} bytes: {e}"))?;
    Ok(buf)
}

async fn read_to_end(s: &mut TcpStream) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    tokio::time::timeout(STEP_TIMEOUT, s.read_to_end(&mut buf))
        .await
        .map_err(|_| format!("the printer did not close within {STEP_TIMEOUT:?}"))?
        .map_err(|e| format!("reading to EOF: {e}"))?;
    Ok(buf)
}

/// Replays one LPD connection step by step; returns what the virtual printer
/// answered, step by step, next to what the captured server answered.
async fn replay_lpd(addr: SocketAddr, c: &Connection) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut sent, mut read) = (0usize, 0usize);
    let mut answers = Vec::new();
    for (i, &(upto, end)) in c.steps.iter().enumerate() {
        s.write_all(&c.upstream[sent..upto])
            .await
            .map_err(|e| format!("step {i}: sending: {e}"))?;
        sent = upto;
        let last = i + 1 == c.steps.len();
        let got = if last && c.server_closed_first && upto == c.upstream.len() {
            // The server answered and closed (a queue listing): read to EOF,
            // the listing may differ in length.
            read_to_end(&mut s).await
        } else {
            read_exact(&mut s, end - read).await
        }
        .map_err(|e| format!("step {i}: {e}"))?;
        answers.push((c.downstream[read..end].to_vec(), got));
        read = end;
    }
    s.write_all(&c.upstream[sent..])
        .await
        .map_err(|e| format!("sending the rest: {e}"))?;
    s.shutdown().await.map_err(|e| e.to_string())?;
    let rest = read_to_end(&mut s).await.unwrap_or_default();
    if read < c.downstream.len() || !rest.is_empty() {
        answers.push((c.downstream[read..].to_vec(), rest));
    }
    Ok(answers)
}

/// Replays one AppSocket connection: everything, half-close, read to EOF.
async fn replay_socket(addr: SocketAddr, c: &Connection) -> Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    s.write_all(&c.upstream).await.map_err(|e| e.to_string())?;
    s.shutdown().await.map_err(|e| e.to_string())?;
    read_to_end(&mut s).await
}

/// A queue listing with every run of digits replaced by `#` (job numbers,
/// sizes, times).
fn normalise(listing: &[u8]) -> String {
    let text = String::from_utf8_lossy(listing);
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(ch);
            in_digits = false;
        }
    }
    out
}

/// Compares one step's answers: byte for byte, or for a listing (more than
/// an ack) after normalising numbers, with the same line count and first
/// (status) line.
fn check_answer(what: &str, captured: &[u8], got: &[u8]) {
    if captured == got {
        return;
    }
    assert!(
        captured.len() > 1 && got.len() > 1,
        "{what}: the virtual printer answered {got:02x?}, the recorded one {captured:02x?}"
    );
    let (c, g) = (normalise(captured), normalise(got));
    assert_eq!(
        c.lines().count(),
        g.lines().count(),
        "{what}: listings differ in line count:\n--- recorded\n{}--- replayed\n{}",
        String::from_utf8_lossy(captured),
        String::from_utf8_lossy(got)
    );
    assert_eq!(
        c.lines().next(),
        g.lines().next(),
        "{what}: listings differ in status line"
    );
    assert_eq!(c, g, "{what}: listings differ (numbers normalised)");
    eprintln!("{what}: the listing matches once numbers are normalised");
}

/// The SHA-256 of every stored document, once the printer holds `n`.
async fn stored_documents(srv: &RunningServer, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let docs: Vec<String> = srv.printer.with(|p, _| {
            p.jobs()
                .flat_map(|j| j.documents.iter().map(|d| d.sha256.clone()))
                .collect()
        });
        if docs.len() >= n || Instant::now() > deadline {
            return docs;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn letter_pdf_sha256() -> String {
    let path = root().join("fixtures/documents/document-letter.pdf");
    let bytes =
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    sha256_hex(&bytes)
}

/// Replays capture `name` and checks the printer's answers and documents.
async fn replay(name: &str) {
    let (sidecar, conns) = load(name);
    let srv = start(&sidecar.server_faults)
        .await
        .unwrap_or_else(|e| panic!("cannot start the virtual printer: {e}"));
    let mut expected_docs = Vec::new();
    match sidecar.protocol.as_str() {
        "lpd" => {
            let addr = srv.lpd_addr.unwrap_or_else(|| panic!("no LPD listener"));
            for (k, c) in conns.iter().enumerate() {
                let answers = replay_lpd(addr, c)
                    .await
                    .unwrap_or_else(|e| panic!("{name}: connection {k}: {e}"));
                for (i, (captured, got)) in answers.iter().enumerate() {
                    check_answer(&format!("{name}: connection {k}, step {i}"), captured, got);
                }
                // A receive-job (02 queue LF) carries a document.
                if c.upstream.first() == Some(&2) {
                    expected_docs.push(letter_pdf_sha256());
                }
            }
        }
        "appsocket" => {
            let addr = srv
                .socket_addr
                .unwrap_or_else(|| panic!("no AppSocket listener"));
            for (k, c) in conns.iter().enumerate() {
                let back = replay_socket(addr, c)
                    .await
                    .unwrap_or_else(|e| panic!("{name}: connection {k}: {e}"));
                assert_eq!(
                    back, c.downstream,
                    "{name}: connection {k}: back-channel differs from the recorded one"
                );
                expected_docs.push(sha256_hex(&c.upstream));
            }
        }
        other => panic!("{name}: sidecar protocol {other:?} is neither lpd nor appsocket"),
    }
    let mut docs = stored_documents(&srv, expected_docs.len()).await;
    srv.shutdown(Duration::from_secs(1)).await;
    docs.sort();
    expected_docs.sort();
    assert_eq!(
        docs, expected_docs,
        "{name}: the printer's documents (SHA-256) are not the printed ones"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lpd_cups_backend() {
    replay("lpd-cups-backend").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lpd_lprng_lpr_lpq() {
    replay("lpd-lprng-lpr-lpq").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appsocket_cups_socket_backend() {
    replay("appsocket-cups-socket-backend").await;
}

/// The reassembly drops retransmissions and refuses holes.
#[test]
fn reassembly_orders_and_deduplicates() {
    let isn = u32::MAX - 1; // wraps
    let segs: Vec<(u32, &[u8])> = vec![
        (isn.wrapping_add(4), b"def"),
        (isn.wrapping_add(1), b"abc"),
        (isn.wrapping_add(4), b"def"),
        (isn.wrapping_add(2), b"bcd"),
    ];
    assert_eq!(reassemble(isn, &segs), Ok(b"abcdef".to_vec()));
    let hole: Vec<(u32, &[u8])> = vec![(isn.wrapping_add(1), b"ab"), (isn.wrapping_add(5), b"x")];
    assert!(reassemble(isn, &hole).is_err());
}
