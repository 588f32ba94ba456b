//! The LPD front end (RFC 1179) over real sockets, on the one printer model:
//! a job sent over LPD shows in IPP Get-Jobs and in the spool byte-exact
//! (manifest.tsv with its SHA-256), in either file order; a listing shows the
//! jobs and a jam; a garbage client is refused and the next one served.
//!
//! The tests bind their own loopback listener and hand each connection to
//! `serve_lpd`, sharing the model of a printer started with `server::start`
//! (so IPP and LPD see the same jobs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use paperjam_sim::fault::FaultSource;
use paperjam_sim::model::{JobState, Speed};
use paperjam_sim::net::lpd::serve_lpd;
use paperjam_sim::net::{server, PrinterHandle, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_sim::wire::ipp::{Attribute, Message, Value};
use sha2::{Digest, Sha256};
use support::{ipp, request, with_op, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A printer (IPP on its own port, instant speed, spool in `spool`) and an
/// LPD listener serving its model.
async fn start(spool: &std::path::Path) -> (RunningServer, SocketAddr, watch::Sender<bool>) {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().unwrap()));
    cfg.ipp_port = 0;
    cfg.spool = Some(spool.to_path_buf());
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    let srv = server::start(cfg).await.unwrap();
    let (tx, rx) = watch::channel(false);
    let lpd = lpd_listener(srv.printer.clone(), rx).await;
    (srv, lpd, tx)
}

async fn lpd_listener(printer: PrinterHandle, shutdown: watch::Receiver<bool>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            tokio::spawn(serve_lpd(stream, peer, printer.0.clone(), shutdown.clone()));
        }
    });
    addr
}

fn hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A PDF of `pages` pages, padded with deterministic bytes to `len`.
fn document(pages: usize, len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    for i in 0..pages {
        v.extend_from_slice(format!("{} 0 obj <</Type /Page>> endobj\n", i + 3).as_bytes());
    }
    let mut x: u32 = 12345;
    while v.len() + 6 < len {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        v.push((x >> 16) as u8);
    }
    v.extend_from_slice(b"%%EOF\n");
    v
}

async fn ack(s: &mut TcpStream) -> u8 {
    let mut b = [0u8; 1];
    within(10, s.read_exact(&mut b)).await.unwrap();
    b[0]
}

/// Send one job as a real client does, waiting for each acknowledgement:
/// control file first (CUPS) or data file first (LPRng).
async fn send_job(addr: SocketAddr, control: &[u8], data: &[u8], data_first: bool) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"\x02lp\n").await.unwrap();
    assert_eq!(ack(&mut s).await, 0, "receive job");
    let control_part = (
        format!("\x02{} cfA042client\n", control.len()).into_bytes(),
        control,
    );
    let data_part = (
        format!("\x03{} dfA042client\n", data.len()).into_bytes(),
        data,
    );
    let parts = if data_first {
        [data_part, control_part]
    } else {
        [control_part, data_part]
    };
    for (line, body) in parts {
        s.write_all(&line).await.unwrap();
        assert_eq!(ack(&mut s).await, 0, "{}", String::from_utf8_lossy(&line));
        s.write_all(body).await.unwrap();
        s.write_all(&[0]).await.unwrap();
        assert_eq!(ack(&mut s).await, 0, "after the file");
    }
    s.shutdown().await.unwrap();
    let mut rest = Vec::new();
    within(10, s.read_to_end(&mut rest)).await.unwrap();
    assert!(rest.is_empty(), "{rest:?}");
}

/// Send one command line; everything the server answers until it closes.
async fn command(addr: SocketAddr, line: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(line).await.unwrap();
    let mut out = Vec::new();
    within(10, s.read_to_end(&mut out)).await.unwrap();
    out
}

/// Get-Jobs `which-jobs=all` with the attributes the tests look at.
async fn get_jobs(srv: &RunningServer) -> Message {
    let uri = format!("ipp://{}/ipp/print", srv.ipp_addr);
    let m = with_op(
        request(0x000A, 1, &uri),
        Attribute::new("which-jobs", Value::Keyword("all".into())),
    );
    let m = with_op(
        m,
        Attribute::with_values(
            "requested-attributes",
            [
                "job-id",
                "job-name",
                "job-originating-user-name",
                "job-state",
                "job-originating-host-name",
            ]
            .iter()
            .map(|k| Value::Keyword((*k).to_string()))
            .collect(),
        ),
    );
    within(10, ipp(srv.ipp_addr, &m, &[])).await
}

/// The value of `name` in each job group of a Get-Jobs response, as text.
fn job_values(m: &Message, name: &str) -> Vec<String> {
    m.groups
        .iter()
        .filter_map(|g| g.attributes.iter().find(|a| a.name == name))
        .map(|a| match a.values.first() {
            Some(Value::Name(s) | Value::Text(s) | Value::Keyword(s)) => s.clone(),
            Some(Value::Integer(i) | Value::Enum(i)) => i.to_string(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn jobs_over_lpd_show_in_ipp_and_spool_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, lpd, _tx) = start(dir.path()).await;
    let cups = document(2, 300_000);
    let lprng = document(1, 5_000);
    // The CUPS lpd backend's order and lines (PEERS.md).
    send_job(
        lpd,
        b"Hvm\nPalice\nJMy Title\nldfA042client\nUdfA042client\nNMy Title\n",
        &cups,
        false,
    )
    .await;
    // LPRng's order, with its own lines.
    send_job(
        lpd,
        b"Hh4.private\nJ(stdin)\nCA\nLbob\nAbob@h4+42\nQlp\nPbob\nldfA042client\nN(stdin)\nUdfA042client\n",
        &lprng,
        true,
    )
    .await;

    let jobs = get_jobs(&srv).await;
    assert_eq!(job_values(&jobs, "job-id"), ["1", "2"]);
    assert_eq!(job_values(&jobs, "job-name"), ["My Title", "(stdin)"]);
    assert_eq!(
        job_values(&jobs, "job-originating-user-name"),
        ["alice", "bob"]
    );
    assert_eq!(
        job_values(&jobs, "job-originating-host-name"),
        ["vm", "h4.private"]
    );
    // Instant speed: both printed.
    assert_eq!(
        job_values(&jobs, "job-state"),
        [
            JobState::Completed.ipp_enum().to_string(),
            JobState::Completed.ipp_enum().to_string()
        ]
    );

    within(20, srv.shutdown(Duration::from_secs(5))).await;
    let manifest = std::fs::read_to_string(dir.path().join("manifest.tsv")).unwrap();
    let rows: Vec<Vec<&str>> = manifest
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{manifest}");
    for (row, (user, data)) in rows.iter().zip([("alice", &cups), ("bob", &lprng)]) {
        assert_eq!(row[1], "completed", "{manifest}");
        assert_eq!(row[2], user, "{manifest}");
        assert_eq!(row[5], data.len().to_string(), "{manifest}");
        assert_eq!(row[6], hex(data), "{manifest}");
        let stored = std::fs::read(dir.path().join(row[4])).unwrap();
        assert_eq!(stored, *data);
    }
}

#[tokio::test]
async fn garbage_is_refused_and_the_next_client_served() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, lpd, _tx) = start(dir.path()).await;
    // Binary garbage with no LF within the line limit: a refusal, then closed.
    let mut garbage = b"\x16\x03\x01\x02\x00\xff\xfe".to_vec();
    garbage.extend(std::iter::repeat_n(0xAAu8, 5000));
    assert_eq!(command(lpd, &garbage).await, [1]);
    // An HTTP request by mistake: an unknown command code.
    assert_eq!(command(lpd, b"GET / HTTP/1.1\r\n\r\n").await, [1]);
    // An unknown queue.
    assert_eq!(command(lpd, b"\x02nope\n").await, [1]);
    // A client that sends half a command and resets.
    {
        let mut s = TcpStream::connect(lpd).await.unwrap();
        s.write_all(b"\x02l").await.unwrap();
        drop(s);
    }
    // The next client is served.
    let listing = String::from_utf8(command(lpd, b"\x03lp\n").await).unwrap();
    assert_eq!(listing, "lp is ready\nno entries\n");
    send_job(lpd, b"Hh\nPcarol\nldfA042client\n", b"hello", false).await;
    let jobs = get_jobs(&srv).await;
    assert_eq!(job_values(&jobs, "job-originating-user-name"), ["carol"]);
}

#[tokio::test]
async fn a_jam_shows_in_the_lpd_listing_and_lprm_honours_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, lpd, _tx) = start(dir.path()).await;
    srv.printer.with(|p, now| p.pause(now));
    send_job(
        lpd,
        b"Hvm\nPalice\nJreport\nldfA042client\n",
        &document(1, 100),
        false,
    )
    .await;
    // A job from IPP shows in the LPD listing too.
    let uri = format!("ipp://{}/ipp/print", srv.ipp_addr);
    let print = with_op(
        request(0x0002, 1, &uri),
        Attribute::new("job-name", Value::Name("from ipp".into())),
    );
    let answer = within(10, ipp(srv.ipp_addr, &print, &document(1, 50))).await;
    assert!(answer.code < 0x0100, "Print-Job: {:#06x}", answer.code);
    srv.printer
        .raise_fault("media-jam".parse().unwrap(), FaultSource::Api, None);
    let short = String::from_utf8(command(lpd, b"\x03lp\n").await).unwrap();
    assert!(
        short.starts_with("Warning: lp is down: Paper jam (media-jam-error, paused)\n"),
        "{short}"
    );
    assert!(short.contains("1st    alice      1    report"), "{short}");
    assert!(short.contains("2nd    tester     2    from ipp"), "{short}");
    let long = String::from_utf8(command(lpd, b"\x04lp\n").await).unwrap();
    assert!(long.contains("alice: 1st"), "{long}");
    assert!(long.contains("[job 001vm]"), "{long}");

    let refused = String::from_utf8(command(lpd, b"\x05lp bob 1\n").await).unwrap();
    assert_eq!(refused, "job 1: permission denied (owned by alice)\n");
    let removed = String::from_utf8(command(lpd, b"\x05lp alice 1\n").await).unwrap();
    assert_eq!(removed, "job 1 dequeued\n");
    srv.printer.with(|p, _| {
        assert_eq!(p.job(1).unwrap().state, JobState::Canceled);
    });
    let after = String::from_utf8(command(lpd, b"\x03lp\n").await).unwrap();
    assert!(!after.contains("alice"), "{after}");
    assert!(after.contains("1st    tester     2"), "{after}");
}

#[tokio::test]
async fn a_short_data_file_leaves_only_a_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, lpd, _tx) = start(dir.path()).await;
    let data = document(1, 10_000);
    let control = b"Hvm\nPalice\nldfA042client\n";
    let mut s = TcpStream::connect(lpd).await.unwrap();
    s.write_all(b"\x02lp\n").await.unwrap();
    assert_eq!(ack(&mut s).await, 0);
    s.write_all(format!("\x02{} cfA042client\n", control.len()).as_bytes())
        .await
        .unwrap();
    assert_eq!(ack(&mut s).await, 0);
    s.write_all(control).await.unwrap();
    s.write_all(&[0]).await.unwrap();
    assert_eq!(ack(&mut s).await, 0);
    // Announce more than is sent, then close.
    s.write_all(format!("\x03{} dfA042client\n", data.len() + 100).as_bytes())
        .await
        .unwrap();
    assert_eq!(ack(&mut s).await, 0);
    s.write_all(&data).await.unwrap();
    s.shutdown().await.unwrap();
    let mut rest = Vec::new();
    within(10, s.read_to_end(&mut rest)).await.unwrap();
    assert!(rest.is_empty());
    // The server has let go of the connection once it closed its side.
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["job-000001-doc-1.partial"], "{files:?}");
    let partial = std::fs::read(dir.path().join("job-000001-doc-1.partial")).unwrap();
    assert_eq!(partial, data);
    srv.printer.with(|p, _| {
        let j = p.job(1).unwrap();
        assert_eq!(j.state, JobState::Aborted);
        assert!(j.message.contains("10000 of 10100"), "{}", j.message);
    });
}
