//! `paperjam record`'s proxy ([`paperjam_suites::pcap::record`]) in front of
//! an in-process virtual printer: an IPP Get-Printer-Attributes, an LPD job
//! and an SNMP Get go through it, then the pcapng it wrote is read back with
//! `pcap-file` and `etherparse` (not with our own reader) and checked: every
//! checksum valid, each TCP stream reassembled by sequence number equal to
//! exactly the bytes that went through, FIN and RST where they happened, the
//! SNMP datagrams there with the real addresses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_sim::snmp::message::{self, Message, Pdu, PduKind, VarBind, Version};
use paperjam_sim::snmp::Oid;
use paperjam_suites::client::{Connection, HttpRequest, TargetUri};
use paperjam_suites::pcap::record::{RecordConfig, Recorder, Relay, Summary, Upstream};
use paperjam_suites::pcap::write::SharedWriter;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::oneshot;

const STEP: Duration = Duration::from_secs(10);

/// One frame of the capture, parsed, its checksums checked.
#[derive(Debug, Clone)]
enum Seen {
    Tcp {
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        syn: bool,
        fin: bool,
        rst: bool,
        payload: Vec<u8>,
    },
    Udp {
        src: SocketAddr,
        dst: SocketAddr,
        payload: Vec<u8>,
    },
}

/// Every frame of a pcapng file: one Ethernet interface with nanosecond
/// timestamps, IPv4 header, TCP and UDP checksums all valid.
fn read_capture(path: &Path) -> Vec<Seen> {
    let mut r = PcapNgReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    while let Some(block) = r.next_block() {
        let Block::EnhancedPacket(p) = block.unwrap() else {
            continue;
        };
        assert_eq!(p.original_len as usize, p.data.len());
        // A timestamp of this century: if_tsresol is honoured.
        let secs = p.timestamp.as_secs();
        assert!((1_600_000_000..4_000_000_000).contains(&secs), "{secs}");
        out.push(parse(&p.data));
    }
    assert_eq!(r.interfaces().len(), 1);
    assert_eq!(r.interfaces()[0].linktype, DataLink::ETHERNET);
    out
}

fn parse(frame: &[u8]) -> Seen {
    let p = SlicedPacket::from_ethernet(frame).unwrap();
    let (src, dst): (IpAddr, IpAddr) = match p.net.as_ref().unwrap() {
        NetSlice::Ipv4(v4) => {
            let h = v4.header().to_header();
            assert_eq!(h.header_checksum, h.calc_header_checksum(), "IPv4 checksum");
            (h.source.into(), h.destination.into())
        }
        NetSlice::Ipv6(v6) => {
            let h = v6.header().to_header();
            (h.source.into(), h.destination.into())
        }
        NetSlice::Arp(_) => panic!("ARP"),
    };
    let (IpAddr::V4(s4), IpAddr::V4(d4)) = (src, dst) else {
        panic!("the test runs on IPv4 loopback")
    };
    match p.transport.unwrap() {
        TransportSlice::Tcp(t) => {
            let want = t
                .to_header()
                .calc_checksum_ipv4_raw(s4.octets(), d4.octets(), t.payload())
                .unwrap();
            assert_eq!(t.checksum(), want, "TCP checksum");
            Seen::Tcp {
                src: SocketAddr::new(src, t.source_port()),
                dst: SocketAddr::new(dst, t.destination_port()),
                seq: t.sequence_number(),
                syn: t.syn(),
                fin: t.fin(),
                rst: t.rst(),
                payload: t.payload().to_vec(),
            }
        }
        TransportSlice::Udp(u) => {
            let want = u
                .to_header()
                .calc_checksum_ipv4_raw(s4.octets(), d4.octets(), u.payload())
                .unwrap();
            assert_eq!(u.checksum(), want, "UDP checksum");
            Seen::Udp {
                src: SocketAddr::new(src, u.source_port()),
                dst: SocketAddr::new(dst, u.destination_port()),
                payload: u.payload().to_vec(),
            }
        }
        other => panic!("unexpected transport {other:?}"),
    }
}

/// One direction of a TCP connection: (source, destination).
type Flow = (SocketAddr, SocketAddr);

/// One direction of one TCP connection, reassembled.
#[derive(Debug, Default)]
struct Stream {
    syn: bool,
    fin: bool,
    rst: bool,
    bytes: Vec<u8>,
}

/// Every TCP stream in the capture by (src, dst), put together by sequence
/// number from the SYN's (sorted, so frame order does not matter).
fn streams(frames: &[Seen]) -> BTreeMap<Flow, Stream> {
    let mut isn = BTreeMap::new();
    let mut segs: BTreeMap<Flow, Vec<(u32, Vec<u8>)>> = BTreeMap::new();
    let mut out: BTreeMap<Flow, Stream> = BTreeMap::new();
    for f in frames {
        let Seen::Tcp {
            src,
            dst,
            seq,
            syn,
            fin,
            rst,
            payload,
        } = f
        else {
            continue;
        };
        let s = out.entry((*src, *dst)).or_default();
        s.fin |= fin;
        s.rst |= rst;
        if *syn {
            s.syn = true;
            isn.insert((*src, *dst), seq.wrapping_add(1));
        }
        if !payload.is_empty() {
            segs.entry((*src, *dst))
                .or_default()
                .push((*seq, payload.clone()));
        }
    }
    for (key, mut list) in segs {
        let start = isn[&key];
        list.sort_by_key(|(seq, _)| seq.wrapping_sub(start));
        let s = out.get_mut(&key).unwrap();
        for (seq, payload) in list {
            assert_eq!(
                seq.wrapping_sub(start) as usize,
                s.bytes.len(),
                "{key:?}: a gap or an overlap"
            );
            s.bytes.extend_from_slice(&payload);
        }
    }
    out
}

async fn printer() -> RunningServer {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().unwrap()));
    cfg.ipp_port = 0;
    cfg.lpd_port = Some(0);
    cfg.snmp_port = Some(0);
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    server::start(cfg).await.unwrap()
}

/// A proxy recording into `path`, run in the background; send on the
/// returned channel to stop it.
async fn proxy(
    cfg: RecordConfig,
    path: &Path,
) -> (
    Recorder,
    SharedWriter,
    impl FnOnce(Recorder) -> (oneshot::Sender<()>, tokio::task::JoinHandle<Summary>),
) {
    let recorder = Recorder::bind(cfg).await.unwrap();
    let sink = SharedWriter::create(path).unwrap();
    let s = sink.clone();
    let start = move |r: Recorder| {
        let (tx, rx) = oneshot::channel::<()>();
        let h = tokio::spawn(async move {
            r.run(s, async {
                let _ = rx.await;
            })
            .await
            .unwrap()
        });
        (tx, h)
    };
    (recorder, sink, start)
}

fn relay(listen: &str, uri: &str) -> Relay {
    Relay {
        listen: listen.parse().unwrap(),
        upstream: Upstream::parse(uri).unwrap(),
    }
}

/// The bytes of an IPP/2.0 Get-Printer-Attributes request for `uri`.
fn get_printer_attributes(uri: &str) -> Vec<u8> {
    let mut b = vec![0x02, 0x00, 0x00, 0x0b, 0, 0, 0, 1, 0x01];
    for (tag, name, value) in [
        (0x47u8, "attributes-charset", "utf-8"),
        (0x48, "attributes-natural-language", "en"),
        (0x45, "printer-uri", uri),
    ] {
        b.push(tag);
        b.extend_from_slice(&(name.len() as u16).to_be_bytes());
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&(value.len() as u16).to_be_bytes());
        b.extend_from_slice(value.as_bytes());
    }
    b.push(0x03);
    b
}

async fn read_to_end(s: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    tokio::time::timeout(STEP, s.read_to_end(&mut buf))
        .await
        .expect("the printer did not close")
        .unwrap();
    buf
}

async fn lpd_step(s: &mut TcpStream, sent: &mut Vec<u8>, got: &mut Vec<u8>, bytes: &[u8]) {
    s.write_all(bytes).await.unwrap();
    sent.extend_from_slice(bytes);
    let mut ack = [0u8; 1];
    tokio::time::timeout(STEP, s.read_exact(&mut ack))
        .await
        .expect("no LPD acknowledgement")
        .unwrap();
    assert_eq!(ack, [0], "LPD refused {:?}", String::from_utf8_lossy(bytes));
    got.push(ack[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipp_lpd_and_snmp_through_the_proxy_are_recorded_byte_exact() {
    let printer = printer().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.pcapng");
    let ipp = printer.ipp_addr;
    let lpd = printer.lpd_addr.unwrap();
    let snmp = printer.snmp_addr.unwrap();

    // One TCP relay to the printer's IPP port; LPD by a second recorder
    // writing to the same file (as two `paperjam record`s could not, but one
    // proxy's many connections do); SNMP by the UDP relay.
    let cfg = RecordConfig {
        tcp: Some(relay("127.0.0.1:0", &format!("ipp://{ipp}/ipp/print"))),
        udp: Some(relay("127.0.0.1:0", &format!("snmp://{snmp}"))),
        ..RecordConfig::default()
    };
    let (recorder, sink, start) = proxy(cfg, &path).await;
    let ipp_proxy = recorder.tcp_addr().unwrap();
    let snmp_proxy = recorder.udp_addr().unwrap();
    let lpd_recorder = Recorder::bind(RecordConfig {
        tcp: Some(relay("127.0.0.1:0", &format!("lpd://{lpd}/lp"))),
        ..RecordConfig::default()
    })
    .await
    .unwrap();
    let lpd_proxy = lpd_recorder.tcp_addr().unwrap();
    let (stop, running) = start(recorder);
    let (lpd_stop_tx, lpd_stop_rx) = oneshot::channel::<()>();
    let lpd_running = tokio::spawn(lpd_recorder.run(sink.clone(), async {
        let _ = lpd_stop_rx.await;
    }));

    // IPP, raw: exactly these bytes up, whatever comes back down.
    let uri = format!("ipp://{ipp_proxy}/ipp/print");
    let body = get_printer_attributes(&uri);
    let mut ipp_up = format!(
        "POST /ipp/print HTTP/1.1\r\nHost: {ipp_proxy}\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    ipp_up.extend_from_slice(&body);
    let mut s = TcpStream::connect(ipp_proxy).await.unwrap();
    let ipp_client = s.local_addr().unwrap();
    s.write_all(&ipp_up).await.unwrap();
    let ipp_down = read_to_end(&mut s).await;
    drop(s);
    assert!(
        ipp_down.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&ipp_down[..40.min(ipp_down.len())])
    );

    // IPP through the runner's own client.
    let target = TargetUri::parse(&uri).unwrap();
    let mut conn = Connection::open(&target, STEP).await.unwrap();
    let reply = conn
        .exchange(
            &HttpRequest {
                method: "POST".into(),
                path: "/ipp/print".into(),
                http10: false,
                headers: vec![("Content-Type".into(), "application/ipp".into())],
                body: body.clone(),
                chunked: false,
                expect_continue: false,
            },
            STEP,
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(&reply.body[2..4], &[0, 0], "successful-ok");
    drop(conn);

    // LPD (RFC 1179 §6.2): receive a job, control file, data file.
    let queue = printer.lpd_queue();
    let data = b"%!PS\n(hello through the recorder) show showpage\n".to_vec();
    let control = b"Hpaperjam\nPtester\nldfA001paperjam\nNrecorded.ps\n".to_vec();
    let mut s = TcpStream::connect(lpd_proxy).await.unwrap();
    let lpd_client = s.local_addr().unwrap();
    let (mut lpd_up, mut lpd_down) = (Vec::new(), Vec::new());
    lpd_step(
        &mut s,
        &mut lpd_up,
        &mut lpd_down,
        format!("\x02{queue}\n").as_bytes(),
    )
    .await;
    lpd_step(
        &mut s,
        &mut lpd_up,
        &mut lpd_down,
        format!("\x02{} cfA001paperjam\n", control.len()).as_bytes(),
    )
    .await;
    lpd_step(
        &mut s,
        &mut lpd_up,
        &mut lpd_down,
        &[&control[..], &[0]].concat(),
    )
    .await;
    lpd_step(
        &mut s,
        &mut lpd_up,
        &mut lpd_down,
        format!("\x03{} dfA001paperjam\n", data.len()).as_bytes(),
    )
    .await;
    lpd_step(
        &mut s,
        &mut lpd_up,
        &mut lpd_down,
        &[&data[..], &[0]].concat(),
    )
    .await;
    s.shutdown().await.unwrap();
    lpd_down.extend(read_to_end(&mut s).await);
    drop(s);

    // SNMP v2c Get of sysDescr.0, through the UDP relay.
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let snmp_client = sock.local_addr().unwrap();
    let req = message::encode(&Message {
        version: Version::V2c,
        community: b"public".to_vec(),
        pdu: Pdu {
            kind: PduKind::Get,
            request_id: 42,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind::null("1.3.6.1.2.1.1.1.0".parse::<Oid>().unwrap())],
        },
    })
    .unwrap();
    sock.send_to(&req, snmp_proxy).await.unwrap();
    let mut buf = vec![0u8; 65_535];
    let (n, from) = tokio::time::timeout(STEP, sock.recv_from(&mut buf))
        .await
        .expect("no SNMP answer through the relay")
        .unwrap();
    assert_eq!(from, snmp_proxy);
    let answer = buf[..n].to_vec();
    let decoded = message::decode(&answer).unwrap();
    assert_eq!(decoded.pdu.request_id, 42);
    assert_eq!(decoded.pdu.kind, PduKind::Response);

    stop.send(()).unwrap();
    lpd_stop_tx.send(()).unwrap();
    let summary = running.await.unwrap();
    let lpd_summary = lpd_running.await.unwrap().unwrap();
    sink.finish().unwrap();
    printer.shutdown(Duration::from_secs(2)).await;

    assert_eq!(summary.connections, 2);
    assert_eq!(summary.refused, 0);
    assert_eq!(
        (summary.datagrams_to_upstream, summary.datagrams_to_client),
        (1, 1)
    );
    assert_eq!(lpd_summary.connections, 1);
    assert_eq!(lpd_summary.bytes_to_upstream, lpd_up.len() as u64);
    assert_eq!(lpd_summary.bytes_to_client, lpd_down.len() as u64);
    assert!(summary.write_error.is_none());

    let frames = read_capture(&path);
    let streams = streams(&frames);
    // The real addresses: the client talking straight to the printer.
    let up = &streams[&(ipp_client, ipp)];
    let down = &streams[&(ipp, ipp_client)];
    assert!(up.syn && down.syn && up.fin && down.fin && !up.rst && !down.rst);
    assert_eq!(up.bytes, ipp_up);
    assert_eq!(down.bytes, ipp_down);
    let up = &streams[&(lpd_client, lpd)];
    let down = &streams[&(lpd, lpd_client)];
    assert_eq!(up.bytes, lpd_up);
    assert_eq!(down.bytes, lpd_down);
    assert!(up.fin && down.fin);
    // The runner's connection is there too, and nothing of the proxy's own.
    assert_eq!(streams.len(), 6, "{:?}", streams.keys().collect::<Vec<_>>());
    assert!(streams
        .keys()
        .all(|(a, b)| *a != ipp_proxy && *b != ipp_proxy && *a != lpd_proxy && *b != lpd_proxy));
    let udp: Vec<_> = frames
        .iter()
        .filter_map(|f| match f {
            Seen::Udp { src, dst, payload } => Some((*src, *dst, payload.clone())),
            Seen::Tcp { .. } => None,
        })
        .collect();
    assert_eq!(
        udp,
        vec![(snmp_client, snmp, req), (snmp, snmp_client, answer)]
    );
}

/// A server that echoes what it reads, then closes when the client does;
/// a client that sends `reset` gets a reset instead.
async fn echo_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) if &buf[..n] == b"reset" => {
                            s.set_zero_linger().unwrap();
                            return;
                        }
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_refusals_and_as_seen_addresses_are_recorded() {
    let echo = echo_server().await;
    let dir = tempfile::tempdir().unwrap();

    // Real addresses; a reset by the server is passed to the client.
    let path = dir.path().join("reset.pcapng");
    let (recorder, _sink, start) = proxy(
        RecordConfig {
            tcp: Some(relay("127.0.0.1:0", &format!("tcp://{echo}"))),
            count: Some(1),
            ..RecordConfig::default()
        },
        &path,
    )
    .await;
    let addr = recorder.tcp_addr().unwrap();
    let (_stop, running) = start(recorder);
    let mut s = TcpStream::connect(addr).await.unwrap();
    let client = s.local_addr().unwrap();
    s.write_all(b"ping").await.unwrap();
    let mut four = [0u8; 4];
    s.read_exact(&mut four).await.unwrap();
    s.write_all(b"reset").await.unwrap();
    let mut rest = Vec::new();
    let end = tokio::time::timeout(STEP, s.read_to_end(&mut rest))
        .await
        .unwrap();
    assert_eq!(
        end.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset),
        "the reset reached the client"
    );
    // --count 1: the run ends by itself.
    let summary = tokio::time::timeout(STEP, running).await.unwrap().unwrap();
    assert_eq!(summary.connections, 1);
    let st = streams(&read_capture(&path));
    assert_eq!(st[&(client, echo)].bytes, b"pingreset");
    assert_eq!(st[&(echo, client)].bytes, b"ping");
    assert!(st[&(echo, client)].rst);
    assert!(!st[&(client, echo)].fin);

    // Refused: the client's connection is reset, the capture shows SYN, RST.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let path = dir.path().join("refused.pcapng");
    let (recorder, _sink, start) = proxy(
        RecordConfig {
            tcp: Some(relay("127.0.0.1:0", &format!("socket://{closed}"))),
            count: Some(1),
            ..RecordConfig::default()
        },
        &path,
    )
    .await;
    let addr = recorder.tcp_addr().unwrap();
    let (_stop, running) = start(recorder);
    // Bound first: the reset may come before connect() returns.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let client = sock.local_addr().unwrap();
    if let Ok(mut s) = sock.connect(addr).await {
        let mut rest = Vec::new();
        let end = tokio::time::timeout(STEP, s.read_to_end(&mut rest))
            .await
            .unwrap();
        assert!(end.is_err() || rest.is_empty(), "{end:?} {rest:?}");
    }
    let summary = tokio::time::timeout(STEP, running).await.unwrap().unwrap();
    assert_eq!((summary.connections, summary.refused), (1, 1));
    let st = streams(&read_capture(&path));
    assert!(st[&(client, closed)].syn);
    assert!(st[&(closed, client)].rst);

    // --as-seen: client → proxy and proxy → upstream, the same bytes in both.
    let path = dir.path().join("as-seen.pcapng");
    let (recorder, _sink, start) = proxy(
        RecordConfig {
            tcp: Some(relay("127.0.0.1:0", &format!("tcp://{echo}"))),
            as_seen: true,
            count: Some(1),
            ..RecordConfig::default()
        },
        &path,
    )
    .await;
    let addr = recorder.tcp_addr().unwrap();
    let (_stop, running) = start(recorder);
    let mut s = TcpStream::connect(addr).await.unwrap();
    let client = s.local_addr().unwrap();
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
    let (mut r, mut w) = s.split();
    let (_, echoed) = tokio::join!(
        async {
            w.write_all(&payload).await.unwrap();
            w.shutdown().await.unwrap();
        },
        async {
            let mut v = Vec::new();
            r.read_to_end(&mut v).await.unwrap();
            v
        }
    );
    assert_eq!(echoed, payload);
    let summary = tokio::time::timeout(STEP, running).await.unwrap().unwrap();
    assert_eq!(summary.bytes_to_upstream, 100_000);
    let st = streams(&read_capture(&path));
    assert_eq!(st.len(), 4, "{:?}", st.keys().collect::<Vec<_>>());
    assert_eq!(st[&(client, addr)].bytes, payload);
    assert_eq!(st[&(addr, client)].bytes, payload);
    let (&(proxy_side, _), to_echo) = st.iter().find(|((_, d), _)| *d == echo).unwrap();
    assert_eq!(to_echo.bytes, payload);
    assert_eq!(st[&(echo, proxy_side)].bytes, payload);
    assert!(st.values().all(|s| s.syn && s.fin && !s.rst));
}
