//! The HTTP/IPP server harness shared by the `http_request` fuzz target and
//! the seed replay test (`sim/tests/fuzz_seeds.rs` includes this file with
//! `#[path]`, so both run exactly the same logic).
//!
//! One printer (`PrinterHandle::in_memory`, default profile, instant speed,
//! 1 s idle timeout) and one current-thread runtime serve every input. An
//! input is written whole into one end of a `tokio::io::duplex` and that end's
//! write side is closed; `serve_io` serves the other end.
//!
//! hyper closes a connection as soon as it reads EOF, even with a response in
//! flight (HTTP/1 half-close is off), so handing the server the client's EOF at
//! once would cut most requests short. The server's end is therefore wrapped in
//! an [`EofGate`] that holds EOF back until the server is idle: its task has
//! not been polled for [`QUIET_ROUNDS`] scheduler rounds (on a current-thread
//! runtime a runnable task always runs within one round). No virtual clock and
//! no sleep is involved; each run is bounded by [`RUN_BOUND`] of real time.
//!
//! Afterwards a well-formed Get-Printer-Attributes on a fresh duplex must still
//! get `200` with an `application/ipp` body whose IPP status is below 0x0400:
//! the server keeps serving whatever came before.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use paperjam_sim::model::Speed;
use paperjam_sim::net::{Limits, PrinterHandle};
use paperjam_sim::profile::Profile;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::runtime::Runtime;

/// Longest one input may take, from the first byte to the connection's end.
/// The idle timeout is 1 s; anything far beyond it is a hang.
pub const RUN_BOUND: Duration = Duration::from_secs(5);

/// Scheduler rounds without a poll of the server task after which it is idle.
pub const QUIET_ROUNDS: u32 = 4;

/// Capacity of each direction of the in-memory pipe.
const PIPE_BYTES: usize = 64 * 1024;

/// A printer and a runtime, built once and reused for every input.
pub struct HttpHarness {
    rt: Runtime,
    printer: PrinterHandle,
}

impl HttpHarness {
    /// Builds the runtime and the in-memory printer.
    pub fn new() -> Result<HttpHarness, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build the runtime: {e}"))?;
        let profile = Profile::default_profile().map_err(|e| format!("default profile: {e}"))?;
        let limits = Limits {
            idle_timeout: Duration::from_secs(1),
            ..Limits::default()
        };
        let printer = PrinterHandle::in_memory(Arc::new(profile), Speed::Instant, limits)
            .map_err(|e| format!("cannot make the in-memory printer: {e}"))?;
        Ok(HttpHarness { rt, printer })
    }

    /// Serves `data` as everything a client sends on one connection, then EOF.
    /// Returns what the server wrote back, or an error if the connection was
    /// still open after [`RUN_BOUND`]. A panic inside the server task is
    /// re-raised here, so a replay test sees it too.
    pub fn serve_bytes(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        self.rt.block_on(async {
            let (client, server) = tokio::io::duplex(PIPE_BYTES);
            let gate = Arc::new(GateState::default());
            let polls = Arc::new(AtomicU64::new(0));
            let printer = self.printer.clone();
            let stream = EofGate {
                inner: server,
                gate: gate.clone(),
            };
            let task = tokio::spawn(CountPolls {
                inner: Box::pin(async move { printer.serve_io(stream).await }),
                polls: polls.clone(),
            });
            let (mut rd, mut wr) = tokio::io::split(client);
            let written = AtomicBool::new(false);
            let write = async {
                // The server may close early (e.g. after a 4xx): a broken pipe is fine.
                let _ = wr.write_all(data).await;
                let _ = wr.shutdown().await;
                written.store(true, Ordering::SeqCst);
            };
            let read = async move {
                let mut out = Vec::new();
                let _ = rd.read_to_end(&mut out).await;
                out
            };
            let settle = async {
                let mut quiet = 0;
                let mut last = polls.load(Ordering::SeqCst);
                while quiet < QUIET_ROUNDS || !written.load(Ordering::SeqCst) {
                    tokio::task::yield_now().await;
                    let now = polls.load(Ordering::SeqCst);
                    quiet = if now == last { quiet + 1 } else { 0 };
                    last = now;
                }
                gate.release();
            };
            let work = async {
                let ((), out, ()) = tokio::join!(write, read, settle);
                (out, task.await)
            };
            match tokio::time::timeout(RUN_BOUND, work).await {
                Ok((out, Ok(()))) => Ok(out),
                Ok((_, Err(e))) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Ok((_, Err(e))) => Err(format!("the connection task failed: {e}")),
                Err(_) => Err(format!(
                    "connection still open after {RUN_BOUND:?} (idle timeout 1 s): a hang"
                )),
            }
        })
    }

    /// Sends a well-formed Get-Printer-Attributes on a fresh connection and
    /// checks the answer: HTTP 200, `Content-Type: application/ipp`, and an
    /// IPP response with request-id 1 and a status below 0x0400.
    pub fn check_still_serving(&self) -> Result<(), String> {
        let reply = self.serve_bytes(&gpa_http_request())?;
        check_gpa_reply(&reply)
    }
}

/// Whether the client's EOF may reach the server yet, and who to wake then.
#[derive(Default)]
struct GateState {
    released: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl GateState {
    fn release(&self) {
        self.released.store(true, Ordering::SeqCst);
        let waker = self.waker.lock().map(|mut w| w.take()).unwrap_or(None);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The server's end of the pipe: bytes pass through, EOF waits for [`GateState::release`].
struct EofGate {
    inner: DuplexStream,
    gate: Arc<GateState>,
}

impl AsyncRead for EofGate {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() == before && buf.remaining() > 0 => {
                if self.gate.released.load(Ordering::SeqCst) {
                    return Poll::Ready(Ok(()));
                }
                if let Ok(mut w) = self.gate.waker.lock() {
                    *w = Some(cx.waker().clone());
                }
                // Released between the check and the registration: don't miss it.
                if self.gate.released.load(Ordering::SeqCst) {
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending
            }
            other => other,
        }
    }
}

impl AsyncWrite for EofGate {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A future that counts how often it is polled: the server task's activity.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicU64>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

/// The IPP body of Get-Printer-Attributes (request-id 1) asking for the printer's state.
pub fn gpa_body() -> Vec<u8> {
    let mut b = vec![2, 0, 0x00, 0x0B, 0, 0, 0, 1, 0x01];
    for (tag, name, value) in [
        (0x47u8, "attributes-charset", "utf-8"),
        (0x48, "attributes-natural-language", "en"),
        (0x45, "printer-uri", "ipp://localhost/ipp/print"),
        (0x44, "requested-attributes", "printer-state"),
    ] {
        b.push(tag);
        b.extend_from_slice(&u16::try_from(name.len()).unwrap_or(0).to_be_bytes());
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&u16::try_from(value.len()).unwrap_or(0).to_be_bytes());
        b.extend_from_slice(value.as_bytes());
    }
    b.push(0x03);
    b
}

/// `body` as a complete HTTP/1.1 POST to `/ipp/print` that asks to close afterwards.
pub fn http_post(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST /ipp/print HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/ipp\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// The health-check request: [`gpa_body`] in [`http_post`].
pub fn gpa_http_request() -> Vec<u8> {
    http_post(&gpa_body())
}

/// Checks an HTTP reply to [`gpa_http_request`].
pub fn check_gpa_reply(reply: &[u8]) -> Result<(), String> {
    let shown = || String::from_utf8_lossy(&reply[..reply.len().min(300)]).into_owned();
    let Some(split) = reply.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(format!(
            "no complete HTTP header in the reply: {:?}",
            shown()
        ));
    };
    let head = String::from_utf8_lossy(&reply[..split]).to_ascii_lowercase();
    let body = &reply[split + 4..];
    if !head.starts_with("http/1.1 200") {
        return Err(format!(
            "Get-Printer-Attributes did not get 200: {:?}",
            shown()
        ));
    }
    if !head.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim() == "content-type" && v.trim().starts_with("application/ipp")
        })
    }) {
        return Err(format!("reply is not application/ipp: {:?}", shown()));
    }
    if body.len() < 8 {
        return Err(format!("IPP body too short ({} bytes)", body.len()));
    }
    let status = u16::from_be_bytes([body[2], body[3]]);
    let request_id = u32::from_be_bytes([body[4], body[5], body[6], body[7]]);
    if request_id != 1 || status >= 0x0400 {
        return Err(format!(
            "Get-Printer-Attributes answered status {status:#06x}, request-id {request_id}"
        ));
    }
    Ok(())
}
