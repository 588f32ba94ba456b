//! Transport toxics end to end: a virtual printer on a loopback port, real
//! client sockets, toxics raised at start or while connections are open.
//!
//! Exact timings are checked in `fault::toxic_stream`'s unit tests, under
//! paused time over in-memory pipes. Here the sockets are real, so paused time
//! would jump the clock whenever the runtime waits for the kernel: these tests
//! run on the real clock and only assert lower bounds (a timer never fires
//! early) and generous upper bounds.
//!
//! Every test runs on a current-thread runtime: [`settle`] lets the server's
//! tasks act on a change before the test goes on, without sleeping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use paperjam_sim::fault::{Fault, FaultSource};
use paperjam_sim::ipp::{Operation, Status};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, Limits, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// A plain-IPP printer with `faults` raised at start.
async fn printer(faults: &[&str], seed: u64) -> RunningServer {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().unwrap()));
    cfg.ipp_port = 0;
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    cfg.limits = Limits::default();
    cfg.faults = faults.iter().map(|f| f.parse().unwrap()).collect();
    cfg.seed = seed;
    server::start(cfg).await.unwrap()
}

/// Let every task that a change woke run before the test goes on: on a
/// current-thread runtime, tasks already woken run before a yielding task
/// resumes.
async fn settle() {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
}

fn raise(srv: &RunningServer, spec: &str) {
    let shared = &srv.printer.0;
    let now = shared.now();
    let fault: Fault = spec.parse().unwrap();
    shared
        .faults
        .raise(fault, FaultSource::Api, &mut shared.printer(), now, None);
}

fn clear(srv: &RunningServer, selector: &str) {
    let shared = &srv.printer.0;
    let now = shared.now();
    shared
        .faults
        .clear(selector, &mut shared.printer(), now)
        .unwrap();
}

/// The HTTP request bytes of a Get-Printer-Attributes, optionally closing.
fn get_attributes(addr: SocketAddr, close: bool) -> Vec<u8> {
    let body = request(
        Operation::GetPrinterAttributes.raw(),
        1,
        &format!("ipp://{addr}/ipp/print"),
    )
    .to_bytes()
    .unwrap();
    let mut req = format!(
        "POST /ipp/print HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\n{}\r\n",
        body.len(),
        if close { "Connection: close\r\n" } else { "" }
    )
    .into_bytes();
    req.extend_from_slice(&body);
    req
}

/// Send a Get-Printer-Attributes on `s` and read the answer.
async fn ask(s: &mut TcpStream, addr: SocketAddr) -> HttpResponse {
    s.write_all(&get_attributes(addr, false)).await.unwrap();
    read_response(s).await
}

/// Everything the server sends until it closes (or resets) the connection.
async fn read_all(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    Ok(out)
}

#[tokio::test]
async fn latency_delays_requests_and_responses() {
    let srv = printer(&["latency=150ms", "latency=100ms,direction=upstream"], 0).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let t0 = Instant::now();
    let r = within(10, ask(&mut s, addr)).await;
    let took = t0.elapsed();
    assert_eq!(r.ipp().code, Status::Ok.raw());
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn bandwidth_caps_the_response_rate() {
    const RATE: u64 = 20_000;
    let srv = printer(&["bandwidth=20000"], 0).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let t0 = Instant::now();
    let r = within(30, ask(&mut s, addr)).await;
    let took = t0.elapsed();
    let bytes = r.body.len() as u64;
    assert!(bytes > 2_000, "a response worth measuring: {bytes} bytes");
    let floor = Duration::from_millis(bytes * 1000 / RATE);
    assert!(took >= floor, "{bytes} bytes in {took:?}, floor {floor:?}");
    assert!(took < floor * 3 + Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn slicer_delivers_the_response_in_many_small_reads() {
    let srv = printer(&["slicer=64,variation=16,delay=2ms"], 0).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&get_attributes(addr, true)).await.unwrap();
    let mut reads = 0;
    let mut got = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    within(30, async {
        loop {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            reads += 1;
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    let r = read_response(&mut got.as_slice()).await;
    assert_eq!(r.ipp().code, Status::Ok.raw());
    // Slices of at most 80 bytes, 2 ms apart: far more reads than one.
    assert!(
        reads as usize >= got.len() / 80 / 4,
        "{reads} reads of {} bytes",
        got.len()
    );
}

#[tokio::test]
async fn stall_with_a_timeout_closes_the_connection_unanswered() {
    let srv = printer(&["stall=300ms"], 0).await;
    let addr = srv.ipp_addr;
    let t0 = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&get_attributes(addr, false)).await.unwrap();
    let got = within(10, read_all(&mut s)).await.unwrap();
    let took = t0.elapsed();
    assert!(got.is_empty(), "{} bytes got through", got.len());
    assert!(took >= Duration::from_millis(300), "{took:?}");
}

#[tokio::test]
async fn reset_peer_gives_the_client_econnreset() {
    let srv = printer(&["reset_peer"], 0).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&get_attributes(addr, false)).await.unwrap();
    let err = within(10, read_all(&mut s)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
}

#[tokio::test]
async fn reset_peer_with_a_timeout_resets_an_idle_connection() {
    let srv = printer(&["reset_peer=300ms"], 0).await;
    let addr = srv.ipp_addr;
    let t0 = Instant::now();
    let mut s = TcpStream::connect(addr).await.unwrap();
    let r = within(10, ask(&mut s, addr)).await;
    assert_eq!(r.ipp().code, Status::Ok.raw());
    let err = within(10, read_all(&mut s)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn limit_data_cuts_the_response_at_the_limit() {
    let srv = printer(&["limit_data=100"], 0).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&get_attributes(addr, false)).await.unwrap();
    let got = within(10, read_all(&mut s)).await.unwrap();
    assert_eq!(got.len(), 100);
    assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"), "{got:?}");
}

#[tokio::test]
async fn slow_close_holds_back_the_close() {
    let srv = printer(&["slow_close=300ms"], 0).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let t0 = Instant::now();
    s.write_all(&get_attributes(addr, true)).await.unwrap();
    let r = within(10, read_response(&mut s)).await;
    assert_eq!(r.ipp().code, Status::Ok.raw());
    let rest = within(10, read_all(&mut s)).await.unwrap();
    assert!(rest.is_empty());
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn down_refuses_connections_until_it_is_cleared() {
    let srv = printer(&["down"], 0).await;
    let addr = srv.ipp_addr;
    settle().await;
    let err = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

    clear(&srv, "down");
    settle().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let r = within(10, ask(&mut s, addr)).await;
    assert_eq!(r.ipp().code, Status::Ok.raw());
}

#[tokio::test]
async fn down_raised_closes_open_connections_and_refuses_new_ones() {
    let srv = printer(&[], 0).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    assert_eq!(within(10, ask(&mut s, addr)).await.status, 200);

    raise(&srv, "down");
    settle().await;
    let rest = within(10, read_all(&mut s)).await.unwrap();
    assert!(rest.is_empty());
    let err = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

    clear(&srv, "down");
    settle().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    assert_eq!(within(10, ask(&mut s, addr)).await.status, 200);
}

#[tokio::test]
async fn a_power_cycle_resets_open_connections_and_refuses_new_ones() {
    let srv = printer(&[], 0).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    assert_eq!(within(10, ask(&mut s, addr)).await.status, 200);

    raise(&srv, "power-cycle=1h");
    settle().await;
    let err = within(10, read_all(&mut s)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    let err = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

    clear(&srv, "power-cycle");
    settle().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let r = within(10, ask(&mut s, addr)).await;
    assert_eq!(r.status, 200);
}

/// Which of 200 connections a `toxicity=0.5` toxic hits: a hit connection is
/// closed before the first response byte.
async fn hits(seed: u64) -> Vec<bool> {
    let srv = printer(&["limit_data=0,toxicity=0.5"], seed).await;
    let addr = srv.ipp_addr;
    let mut out = Vec::new();
    for _ in 0..200 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&get_attributes(addr, true)).await.unwrap();
        let got = within(10, read_all(&mut s)).await.unwrap();
        out.push(got.is_empty());
    }
    out
}

#[tokio::test]
async fn toxicity_hits_about_half_the_connections_and_the_seed_says_which() {
    let a = hits(3).await;
    let n = a.iter().filter(|h| **h).count();
    assert!((70..=130).contains(&n), "{n} of 200 hit");
    assert_eq!(a, hits(3).await, "same seed, same connections");
    assert_ne!(a, hits(4).await, "another seed, other connections");
}

#[tokio::test]
async fn a_toxic_raised_while_a_connection_is_open_applies_to_it() {
    let srv = printer(&[], 0).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    assert_eq!(within(10, ask(&mut s, addr)).await.status, 200);

    raise(&srv, "reset_peer");
    s.write_all(&get_attributes(addr, false)).await.unwrap();
    let err = within(10, read_all(&mut s)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
}

#[tokio::test]
async fn a_stall_raised_on_an_idle_connection_closes_it_after_its_timeout() {
    let srv = printer(&[], 0).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    assert_eq!(within(10, ask(&mut s, addr)).await.status, 200);

    let t0 = Instant::now();
    raise(&srv, "stall=200ms");
    // Nothing is sent: the connection is idle, and still closes on time.
    let rest = within(10, read_all(&mut s)).await.unwrap();
    assert!(rest.is_empty());
    assert!(
        t0.elapsed() >= Duration::from_millis(200),
        "{:?}",
        t0.elapsed()
    );
}
