//! The AppSocket / JetDirect front end's tokio layer (port 9100): pumps one
//! connection's bytes into [`crate::appsocket::Session`] and carries out
//! what it asks of the printer model through [`super::intake`].
//!
//! Not hyper: the connection is a raw byte stream in both directions, and a
//! read EOF is not the end of it. The client (the CUPS `socket` backend,
//! `lpr -Y`, `nc`) sends its job, shuts down its sending side, and reads the
//! back-channel until the printer closes. So after EOF the back-channel
//! stays open **until every job received on the connection is done in the
//! model** (completed, aborted or canceled), with `USTATUS` messages still
//! going out meanwhile; then the server closes. A job that is jammed keeps
//! the connection open until the jam is cleared and the job ends, as a
//! printer holding a job would. A client that sent only PJL queries is
//! closed as soon as its answers are out.
//!
//! Time and the model: every wake-up (at most [`POLL`] apart while the
//! session wants updates: unsolicited status on, or its jobs printing) the
//! layer moves the model to now, tells the session the PJL status
//! ([`crate::pjl::device_status`]) and its jobs' pages, and sends what the
//! session has to say. A jam raised by a fault shows on the back-channel
//! within [`POLL`].
//!
//! Limits: [`super::Limits::idle_timeout`] bounds every wait for the
//! client's bytes (before the first, between chunks of a job), but not the
//! wait for this connection's jobs to print: a client waiting on the
//! back-channel for its job is never timed out. It also bounds how long a
//! client may leave the back-channel unread: after that, what the session
//! says is dropped (the jobs go on). A job cut off by the idle
//! timeout, a reset or shutdown is aborted, its bytes kept as `.partial`.
//! [`super::Limits::max_document_bytes`] bounds each job's document; beyond
//! it the job is aborted and the rest of its bytes are read and dropped.
//!
//! The printer-wide PJL user defaults (`DEFAULT`) live in
//! [`pjl_defaults`], one set per printer.
//!
//! AppSocket quirks ([`crate::fault::quirk`]), read as the connection goes:
//! `socket-close-on-half-close` ends the connection at the client's EOF
//! (jobs received still print), `socket-reset-mid-job` aborts the job and
//! asks for a reset ([`Ending::Reset`]) after [`RESET_AFTER_BYTES`] of it,
//! `pjl-silent` drops everything the session would say.
//! `socket-one-connection` acts in the accept loop of [`super::server`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::appsocket::{
    config_lines, Action, DataKind, JobId, JobSpec, PrinterView, Session, SessionConfig,
};
use crate::fault::quirk::{self, QuirkKind, RESET_AFTER_BYTES};
use crate::model::spool::PageCounter;
use crate::model::JobOrigin;
use crate::pjl::{device_status, DeviceStatus, Value, VarError, VarKey, Variables};

use super::intake::{new_job, DocumentIntake, JobIntake};
use super::server::Shared;

/// Longest gap between looks at the model while the session wants updates.
pub const POLL: Duration = Duration::from_millis(50);

/// How long a printer with `socket-close-on-half-close` takes to answer
/// after the client's last bytes.
const HALF_CLOSE_ANSWER_DELAY: Duration = Duration::from_millis(100);

/// The pieces input is fed in while `socket-reset-mid-job` is in force.
const RESET_PIECE: usize = 256;

/// Bytes read from the client at a time.
const READ_CHUNK: usize = 64 * 1024;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The printer's PJL defaults (`@PJL DEFAULT`), shared by all its
/// connections; made from the profile the first time they are asked for.
pub fn pjl_defaults(shared: &Arc<Shared>) -> Arc<Mutex<Variables>> {
    let mut slot = lock(&shared.pjl_defaults);
    if let Some(v) = slot.as_ref() {
        return v.clone();
    }
    let profile = shared.printer().profile.clone();
    let v = Arc::new(Mutex::new(Variables::factory(&profile)));
    *slot = Some(v.clone());
    v
}

/// The model, as the session sees it.
struct ModelView<'a> {
    shared: &'a Shared,
    defaults: &'a Mutex<Variables>,
    id: String,
    config: Vec<String>,
}

impl PrinterView for ModelView<'_> {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn status(&self) -> DeviceStatus {
        let now = self.shared.now();
        let mut p = self.shared.printer();
        p.handle_timeout(now);
        device_status(&p)
    }

    fn page_count(&self) -> u64 {
        self.shared.printer().counters.impressions
    }

    fn config(&self) -> Vec<String> {
        self.config.clone()
    }

    fn variables(&self) -> Variables {
        lock(self.defaults).clone()
    }

    fn set_default(&mut self, key: VarKey, value: &Value) -> Result<(), VarError> {
        lock(self.defaults).set_default(key, value)
    }
}

/// One job of the connection, on its way into the model.
struct Slot {
    intake: Option<JobIntake>,
    doc: Option<DocumentIntake>,
    model_id: Option<u32>,
    pages: PageCounter,
    pdl_bytes: u64,
    failed: bool,
    /// Handed to the printer: watch it print.
    printing: bool,
    last_pages: u64,
}

enum Event {
    Shutdown(bool),
    Read(std::io::Result<usize>),
    Wrote(std::io::Result<usize>),
    Tick,
    Idle,
    WriteStalled,
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Closed in order (the sending side shut down).
    Closed,
    /// The caller should reset the connection (`socket-reset-mid-job`): the
    /// stream was left open for it to drop with linger 0.
    Reset,
}

/// Serve one AppSocket connection (see the module docs) until the client is
/// done and its jobs have printed, the connection breaks, it idles past the
/// limit, or `shutdown` turns true.
pub async fn serve_socket<S>(
    io: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) -> Ending
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (mut rd, mut wr) = tokio::io::split(io);
    let defaults = pjl_defaults(&shared);
    let (id, config) = {
        let p = shared.printer();
        (p.profile.make_and_model(), config_lines(&p.profile))
    };
    let mut view = ModelView {
        shared: &shared,
        defaults: &defaults,
        id,
        config,
    };
    let mut session = Session::new(SessionConfig::default());
    let mut jobs: BTreeMap<JobId, Slot> = BTreeMap::new();
    let mut out: Vec<u8> = Vec::new();
    let mut back_channel = true;
    let mut buf = vec![0u8; READ_CHUNK];
    let idle = shared.limits.idle_timeout;
    let mut idle_deadline = Instant::now() + idle;
    let mut write_deadline = Instant::now() + idle;
    let mut watch_shutdown = true;
    // Bytes received while a job was open (for `socket-reset-mid-job`).
    let mut job_bytes: u64 = 0;
    // `socket-close-on-half-close` ends the connection at the client's EOF,
    // and, like the printers it imitates, takes a moment to answer: what it
    // owes when the EOF comes is lost.
    let mut hang_up = false;
    let mut answer_at: Option<Instant> = None;
    if *shutdown.borrow() {
        return Ending::Closed;
    }
    tracing::debug!(%peer, "appsocket: connection");
    refresh(&shared, &mut session, &mut jobs);
    let mut was_printing = false;
    loop {
        let mut ended = false;
        while let Some(a) = session.poll_action() {
            ended |= matches!(a, Action::EndJob { .. });
            apply(a, &shared, peer, &mut session, &mut jobs);
        }
        if ended {
            // Jobs printed at once (instant speed) are noticed now.
            refresh(&shared, &mut session, &mut jobs);
        }
        if hang_up {
            tracing::info!(%peer, "appsocket: closing on the client's half-close (quirk socket-close-on-half-close)");
            break;
        }
        if out.is_empty() {
            if let Some(b) = session.poll_transmit() {
                if quirk::is_raised(&shared.faults.quirks(), QuirkKind::PjlSilent) {
                    tracing::debug!(%peer, bytes = b.len(), "appsocket: answer dropped (quirk pjl-silent)");
                } else if back_channel {
                    out = b;
                    write_deadline = Instant::now() + idle;
                }
            }
        }
        if session.is_finished() && out.is_empty() {
            break;
        }
        if !back_channel && session.is_eof() && !session.has_open_job() {
            // Nobody is listening any more; the jobs print on regardless.
            break;
        }
        let reading = !session.is_eof();
        let printing = session.has_jobs_printing();
        if was_printing && !printing {
            // The client waited for its jobs; its idle time starts now.
            idle_deadline = Instant::now() + idle;
        }
        was_printing = printing;
        let idle_on = reading && !printing;
        let mut wake = session.wants_updates().then_some(POLL);
        if let Some(t) = session.poll_timeout() {
            let d = t.since(shared.now());
            wake = Some(wake.map_or(d, |w| w.min(d)));
        }
        let answering = answer_at.is_none_or(|t| Instant::now() >= t);
        if answering {
            answer_at = None;
        }
        let writing = !out.is_empty() && answering;
        let ev = tokio::select! {
            biased;
            r = shutdown.changed(), if watch_shutdown => Event::Shutdown(r.is_ok() && *shutdown.borrow()),
            w = wr.write(&out), if writing => Event::Wrote(w),
            () = tokio::time::sleep_until(answer_at.unwrap_or_else(Instant::now)), if !answering => Event::Tick,
            r = rd.read(&mut buf), if reading => Event::Read(r),
            () = tokio::time::sleep(wake.unwrap_or(POLL)), if wake.is_some() => Event::Tick,
            () = tokio::time::sleep_until(idle_deadline), if idle_on => Event::Idle,
            () = tokio::time::sleep_until(write_deadline), if writing => Event::WriteStalled,
        };
        match ev {
            Event::Shutdown(true) => {
                tracing::debug!(%peer, "appsocket: closing for shutdown");
                session.handle_abort("the printer is shutting down");
                drain_actions(&shared, peer, &mut session, &mut jobs);
                break;
            }
            Event::Shutdown(false) => {
                // The sender is gone or the value went back to false.
                watch_shutdown = shutdown.has_changed().is_ok();
            }
            Event::Read(Ok(0)) => {
                tracing::debug!(%peer, "appsocket: client finished sending");
                session.handle_eof(&mut view);
                hang_up =
                    quirk::is_raised(&shared.faults.quirks(), QuirkKind::SocketCloseOnHalfClose);
            }
            Event::Read(Ok(n)) => {
                idle_deadline = Instant::now() + idle;
                let quirks = shared.faults.quirks();
                if quirk::is_raised(&quirks, QuirkKind::SocketCloseOnHalfClose) {
                    answer_at = Some(Instant::now() + HALF_CLOSE_ANSWER_DELAY);
                }
                // Fed in small pieces, so the cut lands inside the job
                // however the bytes were read.
                let resetting = quirk::is_raised(&quirks, QuirkKind::SocketResetMidJob);
                let piece = if resetting { RESET_PIECE } else { n.max(1) };
                for chunk in buf[..n].chunks(piece) {
                    session.handle_input(shared.now(), chunk, &mut view);
                    if resetting && session.has_open_job() {
                        job_bytes += chunk.len() as u64;
                        if job_bytes > RESET_AFTER_BYTES {
                            tracing::info!(%peer, job_bytes, "appsocket: reset mid-job (quirk socket-reset-mid-job)");
                            session.handle_abort("the printer reset the connection mid-job");
                            drain_actions(&shared, peer, &mut session, &mut jobs);
                            return Ending::Reset;
                        }
                    }
                }
                if session.wants_updates() {
                    refresh(&shared, &mut session, &mut jobs);
                }
            }
            Event::Read(Err(e)) => {
                tracing::debug!(%peer, "appsocket: read failed: {e}");
                session.handle_abort(&format!("the connection failed: {e}"));
                back_channel = false;
                out.clear();
            }
            Event::Wrote(Ok(0)) | Event::Wrote(Err(_)) => {
                tracing::debug!(%peer, "appsocket: back-channel closed by the client");
                back_channel = false;
                out.clear();
            }
            Event::Wrote(Ok(n)) => {
                out.drain(..n.min(out.len()));
                write_deadline = Instant::now() + idle;
            }
            Event::WriteStalled => {
                // The client does not read its back-channel: stop writing to
                // it rather than hold the connection (and the output) forever.
                tracing::debug!(%peer, ?idle, "appsocket: back-channel not read, dropped");
                back_channel = false;
                out.clear();
            }
            Event::Tick => refresh(&shared, &mut session, &mut jobs),
            Event::Idle => {
                tracing::debug!(%peer, ?idle, "appsocket: closed, idle");
                session.handle_abort("the client sent nothing within the idle timeout");
                drain_actions(&shared, peer, &mut session, &mut jobs);
                break;
            }
        }
    }
    if session.dropped_responses() > 0 {
        tracing::info!(%peer, dropped = session.dropped_responses(), "appsocket: back-channel responses dropped");
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), wr.shutdown()).await;
    tracing::debug!(%peer, "appsocket: closed");
    Ending::Closed
}

fn drain_actions(
    shared: &Arc<Shared>,
    peer: SocketAddr,
    session: &mut Session,
    jobs: &mut BTreeMap<JobId, Slot>,
) {
    while let Some(a) = session.poll_action() {
        apply(a, shared, peer, session, jobs);
    }
}

/// Move the model to now and tell the session its status and its jobs'
/// progress.
fn refresh(shared: &Arc<Shared>, session: &mut Session, jobs: &mut BTreeMap<JobId, Slot>) {
    let now = shared.now();
    let (status, progress) = {
        let mut p = shared.printer();
        p.handle_timeout(now);
        let status = device_status(&p);
        let progress: Vec<(JobId, u64, bool)> = jobs
            .iter()
            .filter(|(_, s)| s.printing)
            .map(|(id, s)| match s.model_id.and_then(|m| p.job(m)) {
                Some(j) => (*id, j.impressions_completed, j.state.is_terminal()),
                None => (*id, s.last_pages, true),
            })
            .collect();
        (status, progress)
    };
    session.handle_status(status);
    for (id, pages, done) in progress {
        if done {
            session.handle_job_finished(id, pages);
            jobs.remove(&id);
        } else {
            session.handle_job_progress(id, pages);
            if let Some(s) = jobs.get_mut(&id) {
                s.last_pages = pages;
            }
        }
    }
    session.handle_timeout(now);
}

fn apply(
    action: Action,
    shared: &Arc<Shared>,
    peer: SocketAddr,
    session: &mut Session,
    jobs: &mut BTreeMap<JobId, Slot>,
) {
    match action {
        Action::StartJob { job, spec } => {
            let slot = start(shared, &spec, peer);
            match &slot.model_id {
                Some(id) => {
                    tracing::debug!(%peer, job = id, name = %spec.name, "appsocket: job started")
                }
                None => tracing::info!(%peer, name = %spec.name, "appsocket: job refused"),
            }
            jobs.insert(job, slot);
        }
        Action::Data { job, kind, bytes } => {
            let Some(slot) = jobs.get_mut(&job) else {
                return;
            };
            if kind == DataKind::Pdl {
                slot.pages.feed(&bytes);
                slot.pdl_bytes += bytes.len() as u64;
            }
            if let Some(doc) = slot.doc.as_mut() {
                if let Err(e) = doc.write(&bytes) {
                    tracing::info!(%peer, job = ?slot.model_id, "appsocket: job aborted: {e}");
                    if let Some(doc) = slot.doc.take() {
                        doc.fail(&e.to_string());
                    }
                    slot.intake = None;
                    slot.failed = true;
                }
            }
        }
        Action::EndJob { job, spec } => {
            let Some(slot) = jobs.get_mut(&job) else {
                session.handle_job_finished(job, 0);
                return;
            };
            if finish(slot, &spec) {
                slot.printing = true;
                tracing::debug!(%peer, job = ?slot.model_id, "appsocket: job received");
            } else {
                jobs.remove(&job);
                session.handle_job_finished(job, 0);
            }
        }
        Action::AbortJob { job, reason } => {
            if let Some(mut slot) = jobs.remove(&job) {
                tracing::info!(%peer, job = ?slot.model_id, "appsocket: job aborted: {reason}");
                if let Some(doc) = slot.doc.take() {
                    doc.fail(&reason);
                } else if let Some(intake) = slot.intake.take() {
                    intake.abort(&reason);
                }
            }
        }
    }
}

fn start(shared: &Arc<Shared>, spec: &JobSpec, peer: SocketAddr) -> Slot {
    let mut slot = Slot {
        intake: None,
        doc: None,
        model_id: None,
        pages: PageCounter::default(),
        pdl_bytes: 0,
        failed: true,
        printing: false,
        last_pages: 0,
    };
    let mut nj = new_job(&spec.name, &spec.user, spec.copies, JobOrigin::Socket);
    nj.duplex = spec.duplex;
    nj.media = spec.media.clone();
    let mut intake = match JobIntake::create(shared, nj) {
        Ok(i) => i.with_peer(peer),
        Err(e) => {
            tracing::info!("appsocket: cannot create the job: {e}");
            return slot;
        }
    };
    slot.model_id = Some(intake.job_id);
    // `application/octet-stream`: the spool and the page counter decide.
    match intake.document("application/octet-stream", None) {
        Ok(doc) => {
            slot.doc = Some(doc);
            slot.intake = Some(intake);
            slot.failed = false;
        }
        Err(e) => {
            tracing::info!("appsocket: cannot start the document: {e}");
            intake.abort(&e.to_string());
        }
    }
    slot
}

/// Store the document, describe the job as it finally is, and let it print.
fn finish(slot: &mut Slot, spec: &JobSpec) -> bool {
    let (Some(doc), Some(intake)) = (slot.doc.take(), slot.intake.take()) else {
        return false;
    };
    if slot.failed {
        return false;
    }
    if let Err(e) = doc.finish(false) {
        tracing::info!("appsocket: the document could not be stored: {e}");
        intake.abort(&e.to_string());
        return false;
    }
    // Pages and format from the print data inside, not the PJL around it;
    // a job with no print data (JOB/EOJ only) has nothing to print.
    let pages = if slot.pdl_bytes > 0 {
        slot.pages.pages()
    } else {
        0
    };
    let detected = slot.pages.sniff();
    intake.update(|j| {
        j.spec.name = spec.name.clone();
        j.spec.user = spec.user.clone();
        j.spec.copies = spec.copies.max(1);
        j.spec.duplex = spec.duplex;
        j.spec.media = spec.media.clone();
        if let Some(d) = j.documents.last_mut() {
            d.pages = pages;
            if let (true, Some(f)) = (d.format == "application/octet-stream", detected) {
                d.format = f.to_string();
            }
        }
    });
    match intake.close() {
        Ok(()) => true,
        Err(e) => {
            tracing::info!("appsocket: the job could not be closed: {e}");
            false
        }
    }
}
