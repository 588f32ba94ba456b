//! A byte stream with toxics applied: [`ToxicStream`] wraps one accepted
//! connection and makes it misbehave as the [`transport`](super::transport)
//! toxics in force say, with toxiproxy's semantics.
//!
//! Upstream is what the server reads (client to server), downstream what it
//! writes (server to client). The stream is poll-based and spawns nothing:
//! every delay is a [`tokio::time::Sleep`], so tests under
//! `tokio::time::pause()` are exact and deterministic.
//!
//! * Whether a toxic hits this connection is drawn once, from the connection's
//!   [`SeededRng`], the first time the stream sees the toxic; stall and
//!   reset_peer timeouts count from that moment.
//! * The toxic set is re-read whenever it changes (a cheap version check on each
//!   poll), so toxics raised or cleared while a connection is open act on it.
//! * With no toxic on a direction, reads or writes go straight to the inner
//!   stream: a version check and a flag test, nothing else.
//!
//! What each toxic does here:
//!
//! | toxic | upstream (reads) | downstream (writes) |
//! |---|---|---|
//! | `latency` | each chunk read from the socket is held `latency ± jitter` | each write waits `latency ± jitter` |
//! | `bandwidth` | handed out at most `rate` bytes a second | written at most `rate` bytes a second, in slices of 100 ms |
//! | `slicer` | at most one slice per read, `delay` apart | writes cut into slices, `delay` apart |
//! | `stall` | nothing is read | nothing is written |
//! | `reset_peer` | reset when data arrives (timeout 0) | reset when data is written (timeout 0) |
//! | `limit_data` | EOF after the limit | writes up to the limit, then the connection closes |
//! | `slow_close` | the EOF is held back by the delay | `poll_shutdown` is held back by the delay |
//!
//! A stall with a timeout closes the connection (reads see EOF, writes
//! `BrokenPipe`, the socket is shut down) that long after the toxic took hold; a
//! reset_peer with a timeout resets it (linger 0, so the peer gets a TCP RST)
//! that long after, whatever the data is doing. `down` is the listener's
//! business and is ignored here.
//!
//! A stream only acts when it is polled. A toxic raised while the connection is
//! idle (its reader waiting on the socket with no toxic in force) is noticed at
//! the next poll, so whoever owns the stream should poll it again when the toxic
//! set changes; the server's connection task does. Once a toxic is in force the
//! stream also wakes itself on changes and on its own deadlines.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

use super::live::ToxicSet;
use super::{Direction, SeededRng, Toxic, ToxicKind};

/// Bytes read from the socket at a time when an upstream toxic is in force.
const READ_CHUNK: usize = 16 * 1024;
/// Most bytes of a vectored write taken at once when a toxic is in force.
const MAX_GATHER: usize = 64 * 1024;
/// Largest slice of a bandwidth-limited transfer.
const MAX_BANDWIDTH_SLICE: u64 = 64 * 1024;

/// A stream whose connection can be reset: `SO_LINGER` set to zero, so that
/// closing it sends a TCP RST instead of a FIN.
pub trait Resettable {
    /// Make the next close a reset.
    fn set_linger_zero(&self) -> io::Result<()>;
}

impl Resettable for tokio::net::TcpStream {
    fn set_linger_zero(&self) -> io::Result<()> {
        socket2::SockRef::from(self).set_linger(Some(Duration::ZERO))
    }
}

impl Resettable for tokio::io::DuplexStream {
    /// In memory there is no RST: dropping the stream is all a reset can do.
    fn set_linger_zero(&self) -> io::Result<()> {
        Ok(())
    }
}

/// Turns the close of a [`ToxicStream`] into a reset, from outside the stream
/// (a power cycle, say), once the stream has been handed to a TLS or HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct ResetSwitch(Arc<AtomicBool>);

impl ResetSwitch {
    /// From now on, dropping the stream resets the connection (linger 0, so
    /// the peer sees ECONNRESET) instead of closing it.
    pub fn trip(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether [`ResetSwitch::trip`] was called.
    pub fn is_tripped(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// Shutting the inner stream down, because of the named toxic.
    Closing(&'static str),
    /// Closed by the named toxic: reads see EOF, writes `BrokenPipe`.
    Closed(&'static str),
    /// Reset by the named toxic: everything fails with `ConnectionReset`.
    Reset(&'static str),
}

/// What happens to the whole connection at a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doom {
    /// Close it (stall with a timeout).
    Close,
    /// Reset it (reset_peer with a timeout).
    Reset,
}

/// One toxic the stream has seen.
#[derive(Debug, Clone)]
struct Seen {
    id: u64,
    toxic: Toxic,
    /// Drawn once, from the toxicity.
    applies: bool,
    /// When this connection first saw it.
    since: Instant,
    /// Bytes passed in its direction since then (for limit_data).
    passed: u64,
}

/// What the toxics in force do to one direction.
#[derive(Debug, Clone, Copy, Default)]
struct Plan {
    /// Summed latency and jitter.
    latency: Option<(Duration, Duration)>,
    /// The lowest bandwidth, bytes a second.
    rate: Option<u64>,
    /// The first slicer: average, variation, delay.
    slicer: Option<(usize, usize, Duration)>,
    stall: bool,
    /// A reset_peer with no timeout: reset when data would pass.
    reset_on_data: bool,
    /// Some limit_data is in force.
    limit: bool,
    /// The longest slow_close.
    slow_close: Option<Duration>,
}

impl Plan {
    fn any(&self) -> bool {
        self.latency.is_some()
            || self.rate.is_some()
            || self.slicer.is_some()
            || self.stall
            || self.reset_on_data
            || self.limit
            || self.slow_close.is_some()
    }
}

/// A future that completes when the toxic set changes.
type Changed = Pin<Box<dyn Future<Output = ()> + Send + Sync>>;

/// Per-direction pacing state.
#[derive(Default)]
struct Lane {
    plan: Plan,
    /// No transfer before this (latency, slicer delay, bandwidth).
    gate: Option<Instant>,
    /// The write in progress already waited its latency.
    latency_paid: bool,
    /// The bandwidth toxic has waited for this many bytes of the next transfer.
    bw_paid: Option<usize>,
    /// When every byte sent so far is paid for at the bandwidth rate.
    bw_clock: Option<Instant>,
    /// Size of the next slice, drawn once.
    slice: Option<usize>,
    /// slow_close: when the shutdown (downstream) or the EOF (upstream) may go.
    close_gate: Option<Instant>,
    /// Wakes a pending poll at a gate or deadline.
    timer: Option<Pin<Box<Sleep>>>,
    /// Wakes a pending poll when the toxic set changes.
    changed: Option<Changed>,
}

/// A connection with the toxics in force applied to it.
///
/// See the [module docs](self) for what each toxic does.
pub struct ToxicStream<S> {
    /// `None` once reset: the socket was closed with linger 0.
    inner: Option<S>,
    linger_zero: fn(&S) -> io::Result<()>,
    toxics: watch::Receiver<ToxicSet>,
    rng: SeededRng,
    seen: Vec<Seen>,
    state: State,
    /// The earliest connection-wide deadline, and why.
    doom: Option<(Instant, Doom, &'static str)>,
    /// Reads go straight to the inner stream.
    plain_read: bool,
    /// Writes go straight to the inner stream.
    plain_write: bool,
    up: Lane,
    down: Lane,
    /// Bytes read from the socket and not yet handed out (upstream toxics).
    rbuf: Option<Box<[u8]>>,
    rpos: usize,
    rlen: usize,
    /// The inner stream reported EOF.
    r_eof: bool,
    /// Scratch space to gather a vectored write.
    gather: Vec<u8>,
    switch: Option<ResetSwitch>,
}

impl<S> fmt::Debug for ToxicStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToxicStream")
            .field("state", &self.state)
            .field(
                "toxics",
                &self
                    .seen
                    .iter()
                    .filter(|s| s.applies)
                    .map(|s| s.toxic.to_string())
                    .collect::<Vec<_>>(),
            )
            .field("doom", &self.doom)
            .finish_non_exhaustive()
    }
}

impl<S> ToxicStream<S> {
    /// Wrap `inner`; `toxics` is the live toxic set
    /// ([`FaultState::toxics`](super::FaultState::toxics)), `rng` this
    /// connection's random source
    /// ([`FaultState::next_connection_rng`](super::FaultState::next_connection_rng)).
    pub fn new(inner: S, toxics: watch::Receiver<ToxicSet>, rng: SeededRng) -> ToxicStream<S>
    where
        S: Resettable,
    {
        let mut s = ToxicStream {
            inner: Some(inner),
            linger_zero: S::set_linger_zero,
            toxics,
            rng,
            seen: Vec::new(),
            state: State::Open,
            doom: None,
            plain_read: true,
            plain_write: true,
            up: Lane::default(),
            down: Lane::default(),
            rbuf: None,
            rpos: 0,
            rlen: 0,
            r_eof: false,
            gather: Vec::new(),
            switch: None,
        };
        let set = s.toxics.borrow_and_update().clone();
        if !set.is_empty() {
            s.apply(&set);
        }
        s
    }

    /// The inner stream; `None` once the connection was reset.
    pub fn get_ref(&self) -> Option<&S> {
        self.inner.as_ref()
    }

    /// A switch that makes dropping this stream reset the connection.
    pub fn reset_switch(&mut self) -> ResetSwitch {
        self.switch.get_or_insert_with(ResetSwitch::default).clone()
    }

    /// Take in a new toxic set, if there is one.
    fn refresh(&mut self) {
        if let Ok(true) = self.toxics.has_changed() {
            let set = self.toxics.borrow_and_update().clone();
            self.apply(&set);
        }
    }

    fn apply(&mut self, set: &[(u64, Toxic)]) {
        let now = Instant::now();
        self.seen.retain(|s| set.iter().any(|(id, _)| *id == s.id));
        for &(id, toxic) in set {
            match self.seen.iter_mut().find(|s| s.id == id) {
                Some(s) => s.toxic = toxic,
                None => {
                    let applies = toxic.kind != ToxicKind::Down && self.rng.chance(toxic.toxicity);
                    self.seen.push(Seen {
                        id,
                        toxic,
                        applies,
                        since: now,
                        passed: 0,
                    });
                }
            }
        }
        self.replan();
    }

    fn replan(&mut self) {
        let mut up = Plan::default();
        let mut down = Plan::default();
        let mut doom: Option<(Instant, Doom, &'static str)> = None;
        let mut at = |when: Option<Instant>, what: Doom, why: &'static str| {
            if let Some(when) = when {
                if doom.is_none_or(|(d, _, _)| when < d) {
                    doom = Some((when, what, why));
                }
            }
        };
        for s in self.seen.iter().filter(|s| s.applies) {
            let plan = match s.toxic.direction {
                Direction::Upstream => &mut up,
                Direction::Downstream => &mut down,
            };
            match s.toxic.kind {
                ToxicKind::Latency { latency, jitter } => {
                    plan.latency = Some(match plan.latency {
                        Some((l, j)) => (l.saturating_add(latency), j.saturating_add(jitter)),
                        None => (latency, jitter),
                    })
                }
                ToxicKind::Bandwidth { rate } => {
                    plan.rate = Some(plan.rate.map_or(rate, |r| r.min(rate)).max(1))
                }
                ToxicKind::Slicer {
                    average,
                    variation,
                    delay,
                } => {
                    if plan.slicer.is_none() {
                        plan.slicer = Some((average.max(1), variation, delay));
                    }
                }
                ToxicKind::Stall { timeout } => {
                    plan.stall = true;
                    if let Some(t) = timeout {
                        at(Some(later(s.since, t)), Doom::Close, "stall");
                    }
                }
                ToxicKind::ResetPeer { timeout } => {
                    if timeout.is_zero() {
                        plan.reset_on_data = true;
                    } else {
                        at(Some(later(s.since, timeout)), Doom::Reset, "reset_peer");
                    }
                }
                ToxicKind::LimitData { .. } => plan.limit = true,
                ToxicKind::SlowClose { delay } => {
                    plan.slow_close = Some(plan.slow_close.map_or(delay, |d| d.max(delay)))
                }
                ToxicKind::Down => {}
            }
        }
        self.up.plan = up;
        self.down.plan = down;
        self.doom = doom;
        self.update_plain();
    }

    fn update_plain(&mut self) {
        let open = self.state == State::Open && self.doom.is_none();
        self.plain_read = open && !self.up.plan.any();
        self.plain_write = open && !self.down.plan.any();
    }

    /// Bytes that may still pass in `dir` before a limit_data closes the
    /// connection (`None`: no limit).
    fn budget(&self, dir: Direction) -> Option<u64> {
        self.seen
            .iter()
            .filter(|s| s.applies && s.toxic.direction == dir)
            .filter_map(|s| match s.toxic.kind {
                ToxicKind::LimitData { bytes } => Some(bytes.saturating_sub(s.passed)),
                _ => None,
            })
            .min()
    }

    /// Count `n` bytes against the limit_data toxics of `dir`.
    fn account(&mut self, dir: Direction, n: usize) {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        for s in self
            .seen
            .iter_mut()
            .filter(|s| s.applies && s.toxic.direction == dir)
        {
            if matches!(s.toxic.kind, ToxicKind::LimitData { .. }) {
                s.passed = s.passed.saturating_add(n);
            }
        }
    }

    /// Reset the connection now: linger 0, then close.
    fn reset(&mut self, why: &'static str) {
        if let Some(inner) = self.inner.take() {
            if let Err(e) = (self.linger_zero)(&inner) {
                tracing::debug!("{why}: cannot set SO_LINGER to 0 ({e}); closing instead");
            }
            drop(inner);
        }
        self.state = State::Reset(why);
        self.update_plain();
    }

    /// Start closing the connection (the inner stream is shut down).
    fn begin_close(&mut self, why: &'static str) {
        if self.state == State::Open {
            self.state = State::Closing(why);
            self.update_plain();
        }
    }

    fn fall(&mut self, doom: Doom, why: &'static str) {
        match doom {
            Doom::Close => self.begin_close(why),
            Doom::Reset => self.reset(why),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> ToxicStream<S> {
    /// Shut the inner stream down if a close is under way.
    fn drive_close(&mut self, cx: &mut Context<'_>) {
        if let State::Closing(why) = self.state {
            let done = match self.inner.as_mut() {
                Some(inner) => Pin::new(inner).poll_shutdown(cx).is_ready(),
                None => true,
            };
            if done {
                self.state = State::Closed(why);
            }
        }
    }

    fn poll_read_toxic(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            self.refresh();
            self.drive_close(cx);
            match self.state {
                State::Reset(why) => return Poll::Ready(Err(reset_error(why))),
                State::Closing(_) | State::Closed(_) => return Poll::Ready(Ok(())),
                State::Open => {}
            }
            let buffered = self.rlen - self.rpos;
            if self.plain_read && buffered == 0 {
                return match self.inner.as_mut() {
                    Some(inner) => Pin::new(inner).poll_read(cx, buf),
                    None => Poll::Ready(Err(reset_error("reset_peer"))),
                };
            }
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            let now = Instant::now();
            if let Some((at, doom, why)) = self.doom {
                if at <= now {
                    self.fall(doom, why);
                    continue;
                }
            }
            let doom_at = self.doom.map(|d| d.0);
            let plan = self.up.plan;
            if plan.stall {
                if wait(&mut self.up, &self.toxics, doom_at, cx).is_pending() {
                    return Poll::Pending;
                }
                continue;
            }
            if buffered == 0 {
                if self.r_eof {
                    if let Some(delay) = plan.slow_close {
                        let at = *self.up.close_gate.get_or_insert(later(now, delay));
                        if at > now {
                            if wait(&mut self.up, &self.toxics, earliest(Some(at), doom_at), cx)
                                .is_pending()
                            {
                                return Poll::Pending;
                            }
                            continue;
                        }
                    }
                    return Poll::Ready(Ok(()));
                }
                let Some(inner) = self.inner.as_mut() else {
                    return Poll::Ready(Err(reset_error("reset_peer")));
                };
                let rbuf = self
                    .rbuf
                    .get_or_insert_with(|| vec![0u8; READ_CHUNK].into_boxed_slice());
                let mut rb = ReadBuf::new(&mut rbuf[..]);
                match Pin::new(inner).poll_read(cx, &mut rb) {
                    Poll::Pending => {
                        if wait(&mut self.up, &self.toxics, doom_at, cx).is_pending() {
                            return Poll::Pending;
                        }
                        continue;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Ready(Ok(())) => {
                        let n = rb.filled().len();
                        if n == 0 {
                            self.r_eof = true;
                            continue;
                        }
                        self.rpos = 0;
                        self.rlen = n;
                        if let Some(l) = plan.latency {
                            let d = draw_latency(&mut self.rng, l);
                            if !d.is_zero() {
                                let g = later(now, d);
                                self.up.gate = Some(self.up.gate.map_or(g, |o| o.max(g)));
                            }
                        }
                        continue;
                    }
                }
            }
            // Data is waiting to be handed out.
            if plan.reset_on_data {
                self.reset("reset_peer");
                continue;
            }
            if let Some(g) = self.up.gate {
                if g > now {
                    if wait(&mut self.up, &self.toxics, earliest(Some(g), doom_at), cx).is_pending()
                    {
                        return Poll::Pending;
                    }
                    continue;
                }
                self.up.gate = None;
            }
            let budget = if plan.limit {
                self.budget(Direction::Upstream)
            } else {
                None
            };
            if budget == Some(0) {
                self.begin_close("limit_data");
                continue;
            }
            let want = buffered.min(buf.remaining());
            let Some(n) = size_transfer(&mut self.up, &mut self.rng, want, budget, now) else {
                continue;
            };
            let Some(rbuf) = self.rbuf.as_ref() else {
                return Poll::Ready(Err(io::Error::other("toxic read buffer missing")));
            };
            buf.put_slice(&rbuf[self.rpos..self.rpos + n]);
            self.rpos += n;
            transferred(&mut self.up, now);
            if plan.limit {
                self.account(Direction::Upstream, n);
                if self.budget(Direction::Upstream) == Some(0) {
                    self.begin_close("limit_data");
                    self.drive_close(cx);
                }
            }
            return Poll::Ready(Ok(()));
        }
    }

    fn poll_write_toxic(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            self.refresh();
            self.drive_close(cx);
            match self.state {
                State::Reset(why) => return Poll::Ready(Err(reset_error(why))),
                State::Closing(why) | State::Closed(why) => {
                    return Poll::Ready(Err(closed_error(why)))
                }
                State::Open => {}
            }
            if self.plain_write || buf.is_empty() {
                return match self.inner.as_mut() {
                    Some(inner) => Pin::new(inner).poll_write(cx, buf),
                    None => Poll::Ready(Err(reset_error("reset_peer"))),
                };
            }
            let now = Instant::now();
            if let Some((at, doom, why)) = self.doom {
                if at <= now {
                    self.fall(doom, why);
                    continue;
                }
            }
            let doom_at = self.doom.map(|d| d.0);
            let plan = self.down.plan;
            if plan.stall {
                if wait(&mut self.down, &self.toxics, doom_at, cx).is_pending() {
                    return Poll::Pending;
                }
                continue;
            }
            if plan.reset_on_data {
                self.reset("reset_peer");
                continue;
            }
            let budget = if plan.limit {
                self.budget(Direction::Downstream)
            } else {
                None
            };
            if budget == Some(0) {
                self.begin_close("limit_data");
                continue;
            }
            if let Some(g) = self.down.gate {
                if g > now {
                    if wait(&mut self.down, &self.toxics, earliest(Some(g), doom_at), cx)
                        .is_pending()
                    {
                        return Poll::Pending;
                    }
                    continue;
                }
                self.down.gate = None;
            }
            if let Some(l) = plan.latency {
                if !self.down.latency_paid {
                    self.down.latency_paid = true;
                    let d = draw_latency(&mut self.rng, l);
                    if !d.is_zero() {
                        self.down.gate = Some(later(now, d));
                        continue;
                    }
                }
            }
            let Some(n) = size_transfer(&mut self.down, &mut self.rng, buf.len(), budget, now)
            else {
                continue;
            };
            let Some(inner) = self.inner.as_mut() else {
                return Poll::Ready(Err(reset_error("reset_peer")));
            };
            match Pin::new(inner).poll_write(cx, &buf[..n]) {
                Poll::Pending => {
                    if wait(&mut self.down, &self.toxics, doom_at, cx).is_pending() {
                        return Poll::Pending;
                    }
                    continue;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(m)) => {
                    transferred(&mut self.down, now);
                    // The rest of a cut write does not wait its latency again.
                    if m == buf.len() {
                        self.down.latency_paid = false;
                    }
                    if plan.limit {
                        self.account(Direction::Downstream, m);
                        if self.budget(Direction::Downstream) == Some(0) {
                            self.begin_close("limit_data");
                            self.drive_close(cx);
                        }
                    }
                    return Poll::Ready(Ok(m));
                }
            }
        }
    }

    fn poll_shutdown_toxic(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            self.refresh();
            self.drive_close(cx);
            match self.state {
                State::Reset(why) => return Poll::Ready(Err(reset_error(why))),
                State::Closed(_) => return Poll::Ready(Ok(())),
                State::Closing(_) => return Poll::Pending,
                State::Open => {}
            }
            let now = Instant::now();
            if let Some((at, doom, why)) = self.doom {
                if at <= now {
                    self.fall(doom, why);
                    continue;
                }
            }
            if let Some(delay) = self.down.plan.slow_close {
                let at = *self.down.close_gate.get_or_insert(later(now, delay));
                if at > now {
                    let doom_at = self.doom.map(|d| d.0);
                    if wait(
                        &mut self.down,
                        &self.toxics,
                        earliest(Some(at), doom_at),
                        cx,
                    )
                    .is_pending()
                    {
                        return Poll::Pending;
                    }
                    continue;
                }
            }
            return match self.inner.as_mut() {
                Some(inner) => Pin::new(inner).poll_shutdown(cx),
                None => Poll::Ready(Err(reset_error("reset_peer"))),
            };
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for ToxicStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.refresh();
        if this.plain_read && this.rpos == this.rlen {
            if let Some(inner) = this.inner.as_mut() {
                return Pin::new(inner).poll_read(cx, buf);
            }
        }
        this.poll_read_toxic(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ToxicStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.refresh();
        if this.plain_write {
            if let Some(inner) = this.inner.as_mut() {
                return Pin::new(inner).poll_write(cx, buf);
            }
        }
        this.poll_write_toxic(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.refresh();
        if this.plain_write {
            if let Some(inner) = this.inner.as_mut() {
                return Pin::new(inner).poll_write_vectored(cx, bufs);
            }
        }
        // Gather, so that one vectored write is one toxic write (one latency).
        let mut gather = std::mem::take(&mut this.gather);
        gather.clear();
        for b in bufs {
            let room = MAX_GATHER - gather.len();
            if room == 0 {
                break;
            }
            gather.extend_from_slice(&b[..b.len().min(room)]);
        }
        let r = this.poll_write_toxic(cx, &gather);
        this.gather = gather;
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.as_ref().is_some_and(|i| i.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match (this.inner.as_mut(), this.state) {
            (Some(inner), _) => Pin::new(inner).poll_flush(cx),
            (None, State::Reset(why)) => Poll::Ready(Err(reset_error(why))),
            (None, _) => Poll::Ready(Err(reset_error("reset_peer"))),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.refresh();
        if this.plain_write {
            if let Some(inner) = this.inner.as_mut() {
                return Pin::new(inner).poll_shutdown(cx);
            }
        }
        this.poll_shutdown_toxic(cx)
    }
}

impl<S> Drop for ToxicStream<S> {
    fn drop(&mut self) {
        if self.switch.as_ref().is_some_and(ResetSwitch::is_tripped) {
            if let Some(inner) = self.inner.as_ref() {
                if let Err(e) = (self.linger_zero)(inner) {
                    tracing::debug!("reset: cannot set SO_LINGER to 0 ({e}); closing instead");
                }
            }
        }
    }
}

/// Arrange to be woken at `at` (if any) and when the toxic set changes.
/// `Ready` means "woken already: look again".
fn wait(
    lane: &mut Lane,
    toxics: &watch::Receiver<ToxicSet>,
    at: Option<Instant>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if let Some(at) = at {
        let timer = lane
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        if timer.deadline() != at {
            timer.as_mut().reset(at);
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
    }
    let changed = lane.changed.get_or_insert_with(|| {
        let mut rx = toxics.clone();
        Box::pin(async move {
            if rx.changed().await.is_err() {
                // No more changes can come: never wake for them.
                std::future::pending::<()>().await;
            }
        })
    });
    if changed.as_mut().poll(cx).is_ready() {
        lane.changed = None;
        return Poll::Ready(());
    }
    Poll::Pending
}

/// How many of `want` bytes may pass now, after the slicer, the limit and the
/// bandwidth; `None` when a bandwidth wait was just scheduled (look again).
fn size_transfer(
    lane: &mut Lane,
    rng: &mut SeededRng,
    want: usize,
    budget: Option<u64>,
    now: Instant,
) -> Option<usize> {
    let mut n = want;
    if let Some((average, variation, _)) = lane.plan.slicer {
        let slice = *lane
            .slice
            .get_or_insert_with(|| draw_slice(rng, average, variation));
        n = n.min(slice);
    }
    if let Some(b) = budget {
        n = n.min(usize::try_from(b).unwrap_or(usize::MAX));
    }
    if let Some(rate) = lane.plan.rate {
        n = n.min(bandwidth_slice(rate));
        match lane.bw_paid {
            Some(paid) => n = n.min(paid),
            None => {
                // Wait for the slice before sending it, as toxiproxy does.
                let start = lane.bw_clock.map_or(now, |c| c.max(now));
                let due = later(start, transfer_time(n, rate));
                lane.bw_clock = Some(due);
                lane.bw_paid = Some(n);
                lane.gate = Some(due);
                return None;
            }
        }
    }
    Some(n.max(1).min(want))
}

/// Book a transfer: fresh slice and bandwidth slot, and the slicer's pause.
fn transferred(lane: &mut Lane, now: Instant) {
    lane.slice = None;
    lane.bw_paid = None;
    if let Some((_, _, delay)) = lane.plan.slicer {
        if !delay.is_zero() {
            lane.gate = Some(later(now, delay));
        }
    }
}

/// `latency ± jitter`, uniform.
fn draw_latency(rng: &mut SeededRng, (latency, jitter): (Duration, Duration)) -> Duration {
    if jitter.is_zero() {
        return latency;
    }
    let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    let lo = micros(latency.saturating_sub(jitter));
    let hi = micros(latency.saturating_add(jitter));
    Duration::from_micros(rng.range(lo, hi))
}

/// A slice size: `average ± variation`, at least one byte.
fn draw_slice(rng: &mut SeededRng, average: usize, variation: usize) -> usize {
    let lo = average.saturating_sub(variation).max(1);
    let hi = average.saturating_add(variation).max(lo);
    let v = rng.range(
        u64::try_from(lo).unwrap_or(u64::MAX),
        u64::try_from(hi).unwrap_or(u64::MAX),
    );
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// A tenth of a second's worth of bytes at `rate` (at least one byte).
fn bandwidth_slice(rate: u64) -> usize {
    usize::try_from((rate / 10).clamp(1, MAX_BANDWIDTH_SLICE)).unwrap_or(1)
}

/// How long `n` bytes take at `rate` bytes a second.
fn transfer_time(n: usize, rate: u64) -> Duration {
    let nanos = (n as u128).saturating_mul(1_000_000_000) / u128::from(rate.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// `t + d`, without overflowing.
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(86_400 * 365)))
        .unwrap_or(t)
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn reset_error(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        format!("connection reset by the {why} toxic"),
    )
}

fn closed_error(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        format!("connection closed by the {why} toxic"),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt, DuplexStream};

    fn set(specs: &[&str]) -> ToxicSet {
        specs
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u64 + 1, s.parse::<Toxic>().unwrap()))
            .collect::<Vec<_>>()
            .into()
    }

    /// A toxic stream over one half of a duplex pipe, the other half, and the
    /// sender of its toxic set.
    fn pair(
        specs: &[&str],
    ) -> (
        ToxicStream<DuplexStream>,
        DuplexStream,
        watch::Sender<ToxicSet>,
    ) {
        let (a, b) = duplex(256 * 1024);
        let (tx, rx) = watch::channel(set(specs));
        (ToxicStream::new(a, rx, SeededRng::new(7)), b, tx)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// `d` within a millisecond above `want` (timers round up to the millisecond).
    fn about(d: Duration, want: Duration) -> bool {
        d >= want && d <= want + ms(1)
    }

    #[tokio::test(start_paused = true)]
    async fn no_toxic_passes_everything_through_at_once() {
        let (mut s, mut peer, _tx) = pair(&[]);
        let t0 = Instant::now();
        s.write_all(b"hello").await.unwrap();
        peer.write_all(b"world").await.unwrap();
        let mut b = [0; 5];
        peer.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"hello");
        s.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"world");
        assert_eq!(t0.elapsed(), Duration::ZERO);
        assert!(s.plain_read && s.plain_write);
    }

    #[tokio::test(start_paused = true)]
    async fn latency_delays_each_write_and_each_read_chunk() {
        let (mut s, mut peer, _tx) = pair(&["latency=200ms", "latency=50ms,direction=upstream"]);
        let t0 = Instant::now();
        s.write_all(b"response").await.unwrap();
        assert!(about(t0.elapsed(), ms(200)), "{:?}", t0.elapsed());
        let mut b = [0; 8];
        peer.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"response");

        peer.write_all(b"request").await.unwrap();
        let t1 = Instant::now();
        let mut r = [0; 7];
        s.read_exact(&mut r).await.unwrap();
        assert_eq!(&r, b"request");
        assert!(about(t1.elapsed(), ms(50)), "{:?}", t1.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_vectored_write_waits_its_latency_once() {
        let (mut s, mut peer, _tx) = pair(&["latency=100ms"]);
        let t0 = Instant::now();
        let bufs = [io::IoSlice::new(b"head"), io::IoSlice::new(b"body")];
        let n = s.write_vectored(&bufs).await.unwrap();
        assert_eq!(n, 8);
        assert!(about(t0.elapsed(), ms(100)), "{:?}", t0.elapsed());
        let mut b = [0; 8];
        peer.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"headbody");
    }

    async fn jittered_delays(seed: u64) -> Vec<Duration> {
        let (a, _b) = duplex(1024);
        let (_tx, rx) = watch::channel(set(&["latency=100ms,jitter=40ms"]));
        let mut s = ToxicStream::new(a, rx, SeededRng::new(seed));
        let mut out = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            s.write_all(b"x").await.unwrap();
            out.push(t.elapsed());
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn jitter_is_uniform_around_the_latency_and_seeded() {
        let a = jittered_delays(1).await;
        assert!(a.iter().all(|d| *d >= ms(60) && *d <= ms(141)), "{a:?}");
        assert!(
            a.iter().any(|d| *d < ms(95)) && a.iter().any(|d| *d > ms(105)),
            "{a:?}"
        );
        assert_eq!(a, jittered_delays(1).await);
        assert_ne!(a, jittered_delays(2).await);
    }

    #[tokio::test(start_paused = true)]
    async fn bandwidth_holds_the_average_rate() {
        let (mut s, mut peer, _tx) = pair(&["bandwidth=1000"]);
        let t0 = Instant::now();
        s.write_all(&[7; 5000]).await.unwrap();
        // 50 slices of 100 bytes, each paid 100 ms before it goes.
        assert!(about(t0.elapsed(), ms(5000)), "{:?}", t0.elapsed());
        let mut b = vec![0; 5000];
        peer.read_exact(&mut b).await.unwrap();

        let (_tx2, rx) = watch::channel(set(&["bandwidth=100,direction=upstream"]));
        let (a, mut p2) = duplex(1024);
        let mut up = ToxicStream::new(a, rx, SeededRng::new(1));
        p2.write_all(&[1; 50]).await.unwrap();
        let t1 = Instant::now();
        let mut got = [0; 50];
        up.read_exact(&mut got).await.unwrap();
        // 5 slices of 10 bytes at 100 bytes a second.
        assert!(about(t1.elapsed(), ms(500)), "{:?}", t1.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn slicer_cuts_writes_into_slices_a_delay_apart() {
        let (mut s, mut peer, _tx) = pair(&["slicer=10,variation=3,delay=1ms"]);
        let writer = tokio::spawn(async move {
            s.write_all(&[5; 100]).await.unwrap();
            s
        });
        let mut sizes = Vec::new();
        let mut total = 0;
        let mut b = [0; 64];
        while total < 100 {
            let n = peer.read(&mut b).await.unwrap();
            assert!(n > 0);
            sizes.push(n);
            total += n;
        }
        writer.await.unwrap();
        // One slice per read: the writer waits 1 ms after each, the reader
        // takes it at once. Only the last slice may be short.
        let (last, whole) = sizes.split_last().unwrap();
        assert!(whole.iter().all(|n| (7..=13).contains(n)), "{sizes:?}");
        assert!(*last <= 13, "{sizes:?}");
        assert!(sizes.iter().any(|n| *n != 10), "variation: {sizes:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn slicer_hands_the_reader_one_slice_at_a_time() {
        let (mut s, mut peer, _tx) = pair(&["slicer=16,direction=upstream"]);
        peer.write_all(&[9; 100]).await.unwrap();
        let mut b = [0; 64];
        let mut sizes = Vec::new();
        let mut total = 0;
        while total < 100 {
            let n = s.read(&mut b).await.unwrap();
            sizes.push(n);
            total += n;
        }
        assert_eq!(sizes, [16, 16, 16, 16, 16, 16, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn stall_with_a_timeout_closes_the_connection() {
        let (mut s, mut peer, _tx) = pair(&["stall=1s"]);
        let t0 = Instant::now();
        let err = s.write_all(b"never").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
        assert!(err.to_string().contains("stall"), "{err}");
        assert!(about(t0.elapsed(), ms(1000)), "{:?}", t0.elapsed());
        let mut b = Vec::new();
        assert_eq!(peer.read_to_end(&mut b).await.unwrap(), 0);
        let mut r = [0; 4];
        assert_eq!(s.read(&mut r).await.unwrap(), 0, "reads see EOF");
    }

    #[tokio::test(start_paused = true)]
    async fn stall_without_timeout_lasts_until_the_toxic_goes() {
        let (mut s, mut peer, tx) = pair(&["stall"]);
        let writer = tokio::spawn(async move {
            s.write_all(b"late").await.unwrap();
            s
        });
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(!writer.is_finished());
        tx.send_replace(set(&[]));
        let _s = writer.await.unwrap();
        let mut b = [0; 4];
        peer.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"late");
    }

    #[tokio::test(start_paused = true)]
    async fn reset_peer_resets_when_data_would_pass() {
        let (mut s, mut peer, _tx) = pair(&["reset_peer"]);
        let err = s.write_all(b"x").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        let mut b = [0; 1];
        let err = s.read(&mut b).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        assert!(s.get_ref().is_none(), "the socket is closed at once");
        assert_eq!(peer.read(&mut b).await.unwrap(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn reset_peer_with_a_timeout_resets_an_idle_connection() {
        let (mut s, _peer, _tx) = pair(&["reset_peer=500ms,direction=upstream"]);
        let t0 = Instant::now();
        let mut b = [0; 1];
        let err = s.read(&mut b).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        assert!(about(t0.elapsed(), ms(500)), "{:?}", t0.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn limit_data_cuts_writes_at_the_limit() {
        let (mut s, mut peer, _tx) = pair(&["limit_data=10"]);
        let err = s.write_all(&[3; 25]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
        let mut b = Vec::new();
        peer.read_to_end(&mut b).await.unwrap();
        assert_eq!(b, [3; 10]);
    }

    #[tokio::test(start_paused = true)]
    async fn limit_data_ends_reads_at_the_limit() {
        let (mut s, mut peer, _tx) = pair(&["limit_data=10,direction=upstream"]);
        peer.write_all(&[4; 25]).await.unwrap();
        let mut b = Vec::new();
        s.read_to_end(&mut b).await.unwrap();
        assert_eq!(b, [4; 10]);
        let mut r = Vec::new();
        peer.read_to_end(&mut r).await.unwrap();
        assert!(r.is_empty(), "the peer sees the close");
    }

    #[tokio::test(start_paused = true)]
    async fn slow_close_delays_the_shutdown_and_the_eof() {
        let (mut s, mut peer, _tx) = pair(&["slow_close=2s", "slow_close=1s,direction=upstream"]);
        s.write_all(b"bye").await.unwrap();
        let t0 = Instant::now();
        s.shutdown().await.unwrap();
        assert!(about(t0.elapsed(), ms(2000)), "{:?}", t0.elapsed());
        let mut b = Vec::new();
        peer.read_to_end(&mut b).await.unwrap();
        assert_eq!(b, b"bye");

        peer.shutdown().await.unwrap();
        let t1 = Instant::now();
        let mut r = [0; 1];
        assert_eq!(s.read(&mut r).await.unwrap(), 0);
        assert!(about(t1.elapsed(), ms(1000)), "{:?}", t1.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn toxicity_is_drawn_once_per_connection_from_its_seed() {
        let (_tx, rx) = watch::channel(set(&["limit_data=0,toxicity=0.5"]));
        let hits = |seed: u64| -> Vec<bool> {
            (0..1000)
                .map(|n| {
                    let (a, _b) = duplex(16);
                    let s = ToxicStream::new(a, rx.clone(), SeededRng::derive(seed, n));
                    !s.plain_write
                })
                .collect()
        };
        let a = hits(11);
        let count = a.iter().filter(|h| **h).count();
        assert!((430..570).contains(&count), "{count}");
        assert_eq!(a, hits(11));
        assert_ne!(a, hits(12));
        let (_tx, rx) = watch::channel(set(&["down"]));
        let (a, _b) = duplex(16);
        let s = ToxicStream::new(a, rx, SeededRng::new(0));
        assert!(
            s.plain_read && s.plain_write,
            "down is the listener's business"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_toxic_raised_later_takes_hold_from_then_on() {
        let (mut s, mut peer, tx) = pair(&[]);
        s.write_all(b"a").await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        tx.send_replace(set(&["latency=300ms", "stall=1s,direction=upstream"]));
        let t0 = Instant::now();
        s.write_all(b"b").await.unwrap();
        assert!(about(t0.elapsed(), ms(300)), "{:?}", t0.elapsed());
        let mut b = [0; 2];
        peer.read_exact(&mut b).await.unwrap();
        // The stall counts from when the stream saw it, not from the open.
        let mut r = [0; 1];
        assert_eq!(s.read(&mut r).await.unwrap(), 0);
        assert!(about(t0.elapsed(), ms(1000)), "{:?}", t0.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn clearing_the_toxics_restores_the_pass_through() {
        let (mut s, mut peer, tx) = pair(&["latency=1s,direction=upstream"]);
        peer.write_all(b"abc").await.unwrap();
        let mut b = [0; 1];
        s.read_exact(&mut b).await.unwrap();
        tx.send_replace(set(&[]));
        // Bytes already held are still handed out, then reads go straight through.
        let mut rest = [0; 2];
        s.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest, b"bc");
        assert!(s.plain_read);
        let t0 = Instant::now();
        peer.write_all(b"d").await.unwrap();
        s.read_exact(&mut b).await.unwrap();
        assert_eq!(t0.elapsed(), Duration::ZERO);
    }

    #[test]
    fn a_tripped_switch_resets_on_drop() {
        struct Probe(Arc<AtomicBool>);
        impl Resettable for Probe {
            fn set_linger_zero(&self) -> io::Result<()> {
                self.0.store(true, Ordering::SeqCst);
                Ok(())
            }
        }
        let (_tx, rx) = watch::channel(set(&[]));
        let lingered = Arc::new(AtomicBool::new(false));
        let s = ToxicStream::new(Probe(lingered.clone()), rx.clone(), SeededRng::new(0));
        drop(s);
        assert!(!lingered.load(Ordering::SeqCst));
        let mut s = ToxicStream::new(Probe(lingered.clone()), rx, SeededRng::new(0));
        s.reset_switch().trip();
        drop(s);
        assert!(lingered.load(Ordering::SeqCst));
    }
}
