//! LPD on a byte stream: [`serve_lpd`] pumps a connection through the sans-IO
//! [`Session`] and [`LpdConnection`] does what the session's events ask to the
//! one printer model.
//!
//! - A job is created when its first file arrives: from the control file when
//!   that comes first (the CUPS `lpd` backend), or with a provisional name and
//!   user when a data file does (LPRng), described properly once its control
//!   file arrives ([`JobIntake::update`]).
//! - Data files stream into the spool as they arrive ([`DocumentIntake`]),
//!   never held whole in memory; a file cut short is kept only as `.partial`
//!   and its job aborted.
//! - Listings and removals read and change the same model IPP serves.
//! - Every refusal is logged (`tracing::info`) with the client's address.
//! - The LPD quirks ([`crate::fault::quirk`]) in force are read as each
//!   command comes: `lpd-refuse-job` and `lpd-refuse-file` refuse, and
//!   `lpd-lose-data-file` swallows data files, in [`LpdConnection`];
//!   `lpd-close-after-control-file` hangs up after the control file's
//!   acknowledgement; `lpd-slow-ack` delays each acknowledgement in
//!   [`serve_lpd`].
//!
//! [`LpdConnection`] has no IO of its own, so tests can drive it with bytes
//! and a [`PrinterHandle::in_memory`](super::PrinterHandle::in_memory) printer.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

use crate::fault::quirk::{self, QuirkKind, SLOW_ACK};
use crate::lpd::control::{JobTicket, PrintFormat, TicketFile};
use crate::lpd::listing::{self, HOST_ATTRIBUTE};
use crate::lpd::remove;
use crate::lpd::session::{DataLength, Event, Refusal, Reply, Session, SessionConfig};
use crate::model::JobOrigin;
use crate::wire::ipp::{Attribute, Value};

use super::intake::{self, DocumentIntake, JobIntake};
use super::server::Shared;

/// How much is read from the socket at a time.
const READ_BUFFER: usize = 64 * 1024;

/// The user a job has until its control file says whose it is.
const PROVISIONAL_USER: &str = "anonymous";

/// One LPD connection tied to the printer model: the session and the job it
/// is receiving.
pub struct LpdConnection {
    shared: Arc<Shared>,
    peer: SocketAddr,
    session: Session,
    job: Option<JobIntake>,
    doc: Option<DocumentIntake>,
    /// Document numbers of the job's data files, by data file name.
    documents: BTreeMap<String, u32>,
    /// The control file of the job being received, once it came.
    ticket: Option<JobTicket>,
    /// `lpd-lose-data-file` swallowed a data file of the job being received.
    lost_data: bool,
    /// `lpd-close-after-control-file` asked to hang up.
    hang_up: bool,
    out: Vec<u8>,
}

impl std::fmt::Debug for LpdConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LpdConnection")
            .field("peer", &self.peer)
            .field("session", &self.session)
            .field("job", &self.job.as_ref().map(|j| j.job_id))
            .finish_non_exhaustive()
    }
}

impl LpdConnection {
    /// A connection from `peer`, configured from the printer's profile
    /// (`[lpd]`) and limits.
    pub fn new(shared: Arc<Shared>, peer: SocketAddr) -> LpdConnection {
        let spec = shared.printer().profile.lpd.clone();
        let mut config = SessionConfig::new(spec.queues);
        config.strict_source_port = spec.strict_source_port;
        config.source_port = peer.port();
        config.max_data_bytes = shared.limits.max_document_bytes;
        let mut c = LpdConnection {
            shared,
            peer,
            session: Session::new(config),
            job: None,
            doc: None,
            documents: BTreeMap::new(),
            ticket: None,
            lost_data: false,
            hang_up: false,
            out: Vec::new(),
        };
        c.pump();
        c
    }

    /// Bytes from the client.
    pub fn handle_input(&mut self, data: &[u8]) {
        self.session.handle_input(data);
        self.pump();
    }

    /// The client closed its side.
    pub fn handle_eof(&mut self) {
        self.session.handle_eof();
        self.pump();
    }

    /// The client was silent for longer than the idle timeout.
    pub fn handle_idle_timeout(&mut self) {
        self.session.handle_idle_timeout();
        self.pump();
    }

    /// Bytes to send to the client.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Nothing more will be read; close once the output is sent.
    pub fn is_closed(&self) -> bool {
        self.hang_up || self.session.is_closed()
    }

    /// Whether a quirk of `kind` is in force now.
    fn quirk(&self, kind: QuirkKind) -> bool {
        quirk::is_raised(&self.shared.faults.quirks(), kind)
    }

    /// Between requests with nothing under way (safe to close on shutdown).
    pub fn is_idle(&self) -> bool {
        self.session.is_idle()
    }

    /// The id of the job being received, if any.
    pub fn job_id(&self) -> Option<u32> {
        self.job.as_ref().map(|j| j.job_id)
    }

    /// Handle every event the session has, answering those that need it.
    fn pump(&mut self) {
        while let Some(event) = self.session.poll_event() {
            let reply = event.reply();
            let verdict = self.handle(event);
            match (reply, verdict) {
                (Reply::Verdict, Ok(())) => self.session.accept(),
                (Reply::Verdict, Err(why)) => {
                    self.give_up(&why);
                    self.session.refuse(why);
                }
                (Reply::None, Err(why)) => {
                    // A data chunk the spool would not take.
                    self.give_up(&why);
                    self.session.refuse(why);
                }
                (Reply::Answer | Reply::None, Ok(())) => {}
                (Reply::Answer, Err(why)) => {
                    self.session.answer(format!("{why}\n").as_bytes());
                }
            }
            if let Some(b) = self.session.poll_transmit() {
                self.out.extend_from_slice(&b);
            }
        }
        if let Some(b) = self.session.poll_transmit() {
            self.out.extend_from_slice(&b);
        }
        if self.hang_up && (self.job.is_some() || self.doc.is_some()) {
            // The files the control file names never come.
            self.give_up("the printer closed the connection after the control file");
        }
    }

    /// Do what `event` asks; `Err` refuses it (with the reason).
    fn handle(&mut self, event: Event) -> Result<(), String> {
        let peer = self.peer;
        match event {
            Event::PrintWaiting { queue } => {
                tracing::debug!(%peer, %queue, "lpd: print waiting jobs (the printer prints by itself)");
                Ok(())
            }
            Event::ReceiveJob { queue } => {
                tracing::debug!(%peer, %queue, "lpd: receive job");
                if self.quirk(QuirkKind::LpdRefuseJob) {
                    return Err(format!(
                        "queue '{queue}': receive job refused (quirk lpd-refuse-job)"
                    ));
                }
                let accepting = self.shared.printer().is_accepting_jobs();
                if accepting {
                    Ok(())
                } else {
                    // Logged as the session's refusal.
                    Err(format!(
                        "queue '{queue}': the printer is not accepting jobs"
                    ))
                }
            }
            Event::ControlFile { name, .. } | Event::DataFileStart { name, .. }
                if self.quirk(QuirkKind::LpdRefuseFile) =>
            {
                Err(format!("file {name} refused (quirk lpd-refuse-file)"))
            }
            Event::ControlFile { name, ticket, .. } => {
                self.control_file(&name, &ticket)?;
                if self.quirk(QuirkKind::LpdCloseAfterControlFile) {
                    tracing::info!(%peer, control = %name, "lpd: closing after the control file (quirk lpd-close-after-control-file)");
                    self.hang_up = true;
                }
                Ok(())
            }
            Event::DataFileStart { name, length, file } => {
                self.data_file_start(&name, length, file.as_ref())
            }
            Event::DataChunk(bytes) => match self.doc.as_mut() {
                Some(d) => d.write(&bytes).map_err(|e| e.to_string()),
                None => Ok(()),
            },
            Event::DataFileEnd { name, bytes } => self.data_file_end(&name, bytes),
            Event::JobComplete if self.lost_data => {
                self.documents.clear();
                self.ticket = None;
                self.lost_data = false;
                if let Some(job) = self.job.take() {
                    tracing::info!(%peer, job = job.job_id, "lpd: data file lost (quirk lpd-lose-data-file)");
                    job.abort("the data file was lost (quirk lpd-lose-data-file)");
                }
                Ok(())
            }
            Event::JobComplete => {
                self.documents.clear();
                self.ticket = None;
                if let Some(job) = self.job.take() {
                    let id = job.job_id;
                    match job.close() {
                        Ok(()) => tracing::debug!(%peer, job = id, "lpd: job received"),
                        Err(e) => tracing::info!(%peer, job = id, "lpd: job could not close: {e}"),
                    }
                }
                Ok(())
            }
            Event::JobFailed { why } => {
                tracing::info!(%peer, job = ?self.job_id(), "lpd: job failed: {why}");
                self.give_up(&why.to_string());
                Ok(())
            }
            Event::Refused(why) => {
                log_refusal(peer, &why);
                Ok(())
            }
            Event::Query { queue, long, list } => {
                let text = {
                    let now = self.shared.now();
                    let mut p = self.shared.printer();
                    self.shared.tick(&mut p, now);
                    listing::render(&p, &queue, long, &list)
                };
                self.shared.poke();
                self.session.answer(text.as_bytes());
                Ok(())
            }
            Event::Remove { queue, agent, list } => {
                let lines = {
                    let now = self.shared.now();
                    let mut p = self.shared.printer();
                    self.shared.tick(&mut p, now);
                    remove::apply(&mut p, &agent, &list, now)
                };
                self.shared.poke();
                tracing::info!(%peer, %queue, %agent, ?list, "lpd: remove jobs: {}", lines.join("; "));
                let mut text = lines.join("\n");
                text.push('\n');
                self.session.answer(text.as_bytes());
                Ok(())
            }
        }
    }

    /// A control file: make the job, or describe the one its data files made.
    fn control_file(&mut self, name: &str, ticket: &JobTicket) -> Result<(), String> {
        let peer = self.peer;
        tracing::debug!(%peer, control = %name, user = %ticket.user, host = %ticket.host, "lpd: control file");
        match self.job.as_ref() {
            None => {
                let mut spec = intake::new_job(
                    &ticket.job_name(),
                    &ticket.user,
                    ticket.copies(),
                    JobOrigin::Lpd,
                );
                spec.attributes.push(host_attribute(&ticket.host));
                let job = JobIntake::create(&self.shared, spec)
                    .map_err(|e| e.to_string())?
                    .with_peer(self.peer);
                self.job = Some(job);
            }
            Some(job) => {
                let documents = self.documents.clone();
                let ticket = ticket.clone();
                job.update(move |j| {
                    j.spec.name = ticket.job_name();
                    j.spec.user = ticket.user.clone();
                    j.spec.copies = ticket.copies();
                    j.spec.attributes.retain(|a| a.name != HOST_ATTRIBUTE);
                    j.spec.attributes.push(host_attribute(&ticket.host));
                    for (data_file, number) in &documents {
                        let Some(f) = ticket.file(data_file) else {
                            continue;
                        };
                        if let Some(d) = j.documents.iter_mut().find(|d| d.number == *number) {
                            d.name = Some(document_name(f, &ticket));
                            declare_format(d, f.format);
                        }
                    }
                });
                self.shared.poke();
            }
        }
        self.ticket = Some(ticket.clone());
        Ok(())
    }

    fn data_file_start(
        &mut self,
        name: &str,
        length: DataLength,
        file: Option<&TicketFile>,
    ) -> Result<(), String> {
        let peer = self.peer;
        tracing::debug!(%peer, data = %name, ?length, "lpd: data file");
        if self.job.is_none() {
            // Data first (LPRng): the job exists before anyone says whose.
            let spec = intake::new_job(name, PROVISIONAL_USER, 1, JobOrigin::Lpd);
            let job = JobIntake::create(&self.shared, spec)
                .map_err(|e| e.to_string())?
                .with_peer(self.peer);
            self.job = Some(job);
        }
        let doc_name = match (file, self.ticket.as_ref()) {
            (Some(f), Some(t)) => document_name(f, t),
            _ => name.to_string(),
        };
        if self.quirk(QuirkKind::LpdLoseDataFile) {
            // Acknowledged, and every byte of it dropped.
            self.lost_data = true;
            return Ok(());
        }
        let job = self
            .job
            .as_mut()
            .ok_or_else(|| "no job to add the data file to".to_string())?;
        // Spooled as octet-stream so the bytes decide when they are a
        // known format; the print letter decides otherwise (on finishing).
        let doc = job
            .document(UNDECLARED, Some(doc_name))
            .map_err(|e| e.to_string())?;
        self.documents.insert(name.to_string(), job.documents());
        self.doc = Some(doc);
        Ok(())
    }

    fn data_file_end(&mut self, name: &str, bytes: u64) -> Result<(), String> {
        if self.lost_data && self.doc.is_none() {
            return Ok(());
        }
        let Some(doc) = self.doc.take() else {
            return Err(format!("data file {name} was not being received"));
        };
        match doc.finish(false) {
            Ok(d) => {
                tracing::debug!(peer = %self.peer, data = %name, bytes, sha256 = %d.sha256, format = %d.format, "lpd: data file stored");
                let letter = self
                    .ticket
                    .as_ref()
                    .and_then(|t| t.file(name))
                    .map(|f| f.format);
                if let (Some(letter), Some(job)) = (letter, self.job.as_ref()) {
                    let number = d.number;
                    job.update(|j| {
                        if let Some(doc) = j.documents.iter_mut().find(|x| x.number == number) {
                            declare_format(doc, letter);
                        }
                    });
                }
                Ok(())
            }
            // `finish` has already failed the job in the model.
            Err(e) => Err(e.to_string()),
        }
    }

    /// Fail the document in progress (kept as `.partial`) and abort the job.
    fn give_up(&mut self, why: &str) {
        self.ticket = None;
        self.lost_data = false;
        self.documents.clear();
        if let Some(doc) = self.doc.take() {
            doc.fail(why);
        }
        if let Some(job) = self.job.take() {
            job.abort(why);
        }
    }
}

impl Drop for LpdConnection {
    fn drop(&mut self) {
        // The task ended mid-job (shutdown, a reset): the job never completes.
        if self.job.is_some() || self.doc.is_some() {
            self.give_up("the connection ended mid-job");
        }
    }
}

fn log_refusal(peer: SocketAddr, why: &Refusal) {
    match why {
        Refusal::UnknownQueue { queue } => {
            tracing::info!(%peer, %queue, "lpd: refused: unknown queue '{queue}' from {peer}");
        }
        other => tracing::info!(%peer, "lpd: refused: {other}"),
    }
}

fn host_attribute(host: &str) -> Attribute {
    Attribute::new(HOST_ATTRIBUTE, Value::Name(host.to_string()))
}

/// The document's name: its `N` line, else the job's name (`J`…).
fn document_name(f: &TicketFile, ticket: &JobTicket) -> String {
    f.source_name
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| ticket.job_name())
}

/// The format a document is spooled as: the spool names it from its bytes
/// when it recognises them (PDF, PostScript, PWG Raster, Apple Raster, JPEG).
const UNDECLARED: &str = "application/octet-stream";

/// A document's format once its print letter is known: what the bytes showed
/// if the spool recognised them (LPRng's `lpr` sends `f` for any file, a PDF
/// included), else what the letter says ([`PrintFormat::mime_type`]).
fn declare_format(d: &mut crate::model::Document, letter: PrintFormat) {
    if d.format == UNDECLARED {
        d.format = letter.mime_type().to_string();
    }
}

/// Serve one LPD connection: read what the client sends (each read bounded
/// by the idle timeout), answer as the session says, and do what it asks to
/// the printer model, until the session closes or the client goes. On
/// shutdown a connection between requests closes at once; one receiving a
/// job finishes it (the server's grace period bounds how long).
pub async fn serve_lpd<S>(
    mut io: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let idle = shared.limits.idle_timeout;
    let mut conn = LpdConnection::new(shared, peer);
    let mut buf = vec![0u8; READ_BUFFER];
    let mut shutting_down = *shutdown.borrow();
    // Whether a shutdown can still be announced (the sender is alive).
    let mut watching = !shutting_down;
    loop {
        let out = conn.take_output();
        if out.len() == 1 && conn.quirk(QuirkKind::LpdSlowAck) {
            // One byte is an acknowledgement (listings and refusal texts are longer).
            tokio::time::sleep(SLOW_ACK).await;
        }
        if !out.is_empty() {
            let sent = async {
                io.write_all(&out).await?;
                io.flush().await
            };
            match tokio::time::timeout(idle, sent).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::debug!(%peer, "lpd: write failed: {e}");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "lpd: write timed out");
                    return;
                }
            }
        }
        if conn.is_closed() || (shutting_down && conn.is_idle()) {
            break;
        }
        tokio::select! {
            r = tokio::time::timeout(idle, io.read(&mut buf)) => match r {
                Ok(Ok(0)) => conn.handle_eof(),
                Ok(Ok(n)) => conn.handle_input(&buf[..n]),
                Ok(Err(e)) => {
                    tracing::debug!(%peer, "lpd: read failed: {e}");
                    conn.handle_eof();
                }
                Err(_) => {
                    tracing::debug!(%peer, "lpd: idle for {idle:?}: closing");
                    conn.handle_idle_timeout();
                }
            },
            changed = shutdown.changed(), if watching => {
                if changed.is_err() {
                    // The sender is gone: no shutdown can come any more.
                    watching = false;
                } else if *shutdown.borrow() {
                    shutting_down = true;
                    watching = false;
                }
            }
        }
    }
    let _ = tokio::time::timeout(idle, io.shutdown()).await;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::Duration;

    use super::*;
    use crate::fault::FaultSource;
    use crate::model::{JobState, Speed};
    use crate::net::{Limits, PrinterHandle};
    use crate::profile::Profile;

    const CONTROL: &[u8] = b"Hvm\nPalice\nJMy Title\nldfA523vm\nUdfA523vm\nNreport.pdf\n";

    fn pdf(pages: usize) -> Vec<u8> {
        let mut v = b"%PDF-1.4\n".to_vec();
        for i in 0..pages {
            v.extend_from_slice(format!("{} 0 obj <</Type /Page>>\n", i + 3).as_bytes());
        }
        v.extend_from_slice(b"%%EOF\n");
        v
    }

    fn printer(speed: Speed) -> PrinterHandle {
        let profile = Arc::new(Profile::default_profile().unwrap());
        PrinterHandle::in_memory(profile, speed, Limits::default()).unwrap()
    }

    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 1023))
    }

    /// Send `input` whole, then EOF; what came back.
    fn converse(h: &PrinterHandle, input: &[u8]) -> Vec<u8> {
        let mut c = LpdConnection::new(h.0.clone(), peer());
        c.handle_input(input);
        c.handle_eof();
        assert!(c.is_closed());
        c.take_output()
    }

    fn control_first(control: &[u8], data: &[u8]) -> Vec<u8> {
        let mut v = b"\x02lp\n".to_vec();
        v.extend_from_slice(format!("\x02{} cfA523vm\n", control.len()).as_bytes());
        v.extend_from_slice(control);
        v.push(0);
        v.extend_from_slice(format!("\x03{} dfA523vm\n", data.len()).as_bytes());
        v.extend_from_slice(data);
        v.push(0);
        v
    }

    fn data_first(control: &[u8], data: &[u8]) -> Vec<u8> {
        let mut v = b"\x02lp\n".to_vec();
        v.extend_from_slice(format!("\x03{} dfA523vm\n", data.len()).as_bytes());
        v.extend_from_slice(data);
        v.push(0);
        v.extend_from_slice(format!("\x02{} cfA523vm\n", control.len()).as_bytes());
        v.extend_from_slice(control);
        v.push(0);
        v
    }

    fn sha256(data: &[u8]) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn both_orders_make_the_same_job() {
        for order in [control_first, data_first] {
            let h = printer(Speed::Instant);
            let data = pdf(2);
            assert_eq!(converse(&h, &order(CONTROL, &data)), vec![0; 5]);
            h.with(|p, _| {
                let j = p.job(1).expect("job 1");
                assert_eq!(j.spec.origin, Some(JobOrigin::Lpd));
                assert_eq!(j.spec.user, "alice");
                assert_eq!(j.spec.name, "My Title");
                assert_eq!(j.state, JobState::Completed, "{:?}", j.message);
                assert_eq!(listing::job_host(j), Some("vm"));
                assert_eq!(j.documents.len(), 1);
                let d = &j.documents[0];
                assert_eq!(d.format, "application/pdf");
                assert_eq!(d.name.as_deref(), Some("report.pdf"));
                assert_eq!(d.sha256, sha256(&data));
                assert_eq!(std::fs::read(&d.path).unwrap(), data);
                assert_eq!(j.impressions_completed, 2);
            });
        }
    }

    #[test]
    fn copies_and_declared_formats() {
        let h = printer(Speed::Instant);
        let cf = b"Hh\nPbob\nfdfA523vm\nfdfA523vm\nfdfA523vm\n";
        converse(&h, &data_first(cf, b"plain text\n"));
        h.with(|p, _| {
            let j = p.job(1).unwrap();
            assert_eq!(j.spec.copies, 3);
            assert_eq!(j.documents[0].format, "text/plain");
            assert_eq!(j.impressions_completed, 3);
            assert_eq!(j.spec.name, "dfA523vm");
        });
        // The bytes win when the spool knows them: LPRng sends `f` for a PDF.
        for order in [control_first, data_first] {
            let format = |cf: &[u8], data: &[u8]| {
                let h = printer(Speed::Instant);
                converse(&h, &order(cf, data));
                h.with(|p, _| p.job(1).unwrap().documents[0].format.clone())
            };
            assert_eq!(format(b"Hh\nPb\nfdfA523vm\n", &pdf(1)), "application/pdf");
            assert_eq!(format(b"Hh\nPb\nfdfA523vm\n", b"text"), "text/plain");
            assert_eq!(
                format(b"Hh\nPb\nodfA523vm\n", b"no magic"),
                "application/postscript"
            );
            assert_eq!(
                format(b"Hh\nPb\nldfA523vm\n", b"no magic"),
                "application/octet-stream"
            );
        }
        let h = printer(Speed::Instant);
        converse(
            &h,
            &control_first(b"Hh\nPbob\nodfA523vm\n", b"%!PS\nshowpage\n"),
        );
        h.with(|p, _| {
            assert_eq!(
                p.job(1).unwrap().documents[0].format,
                "application/postscript"
            )
        });
    }

    #[test]
    fn a_short_data_file_is_kept_as_partial_and_fails_the_job() {
        let h = printer(Speed::Instant);
        let data = pdf(1);
        let full = control_first(CONTROL, &data);
        let cut = full.len() - 10;
        let mut c = LpdConnection::new(h.0.clone(), peer());
        c.handle_input(&full[..cut]);
        assert_eq!(c.job_id(), Some(1));
        c.handle_eof();
        assert!(c.is_closed());
        h.with(|p, _| {
            let j = p.job(1).unwrap();
            assert_eq!(j.state, JobState::Aborted);
            assert!(j.documents.is_empty());
            assert!(j.message.contains("closed after"), "{}", j.message);
        });
        let names: Vec<String> = std::fs::read_dir(h.spool_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec!["job-000001-doc-1.partial".to_string()],
            "{names:?}"
        );
        // A wrong terminator: the same, and a non-zero acknowledgement.
        let h = printer(Speed::Instant);
        let mut bad = full.clone();
        *bad.last_mut().unwrap() = 7;
        assert_eq!(converse(&h, &bad), vec![0, 0, 0, 0, 1]);
        h.with(|p, _| assert_eq!(p.job(1).unwrap().state, JobState::Aborted));
    }

    #[test]
    fn abort_and_missing_control_file_leave_no_job_to_print() {
        let h = printer(Speed::Instant);
        let mut input = b"\x02lp\n\x035 dfA1h\nhello\x00\x01\n".to_vec();
        input.extend_from_slice(b"\x035 dfA2h\nworld\x00");
        assert_eq!(converse(&h, &input), vec![0; 5]);
        h.with(|p, _| {
            let states: Vec<JobState> = p.jobs().map(|j| j.state).collect();
            assert_eq!(states, vec![JobState::Aborted, JobState::Aborted]);
            assert!(p.job(1).unwrap().message.contains("aborted"));
            assert!(p.job(2).unwrap().message.contains("without a control file"));
        });
    }

    #[test]
    fn refusals_create_nothing() {
        let h = printer(Speed::Instant);
        assert_eq!(converse(&h, b"\x02nope\n"), vec![1]);
        let missing_p = control_first(b"Hh\nldfA523vm\n", b"x");
        assert_eq!(converse(&h, &missing_p), vec![0, 0, 1]);
        h.with(|p, _| assert_eq!(p.jobs().count(), 0));
        // Not accepting jobs: the receive-job command is refused.
        h.with(|p, now| p.set_accepting(false, now));
        assert_eq!(converse(&h, &control_first(CONTROL, b"x")), vec![1]);
        h.with(|p, _| assert_eq!(p.jobs().count(), 0));
    }

    /// On a paused clock: the first job is still printing, whatever the
    /// machine's speed.
    #[tokio::test(start_paused = true)]
    async fn listing_while_printing_and_while_jammed() {
        let h = printer(Speed::Realtime);
        converse(&h, &control_first(CONTROL, &pdf(5)));
        let cf2 = b"Hother\nPbob\nldfA523vm\n";
        converse(&h, &data_first(cf2, &pdf(1)));
        let short = String::from_utf8(converse(&h, b"\x03lp\n")).unwrap();
        assert!(
            short.starts_with("lp is ready and printing\nRank "),
            "{short}"
        );
        assert!(
            short.contains("active alice      1    report.pdf"),
            "{short}"
        );
        assert!(short.contains("1st    bob        2    dfA523vm"), "{short}");
        let long = String::from_utf8(converse(&h, b"\x04lp\n")).unwrap();
        assert!(long.contains("alice: active"), "{long}");
        assert!(long.contains("[job 001vm]"), "{long}");
        assert!(long.contains("[job 002other]"), "{long}");
        h.raise_fault("media-jam".parse().unwrap(), FaultSource::Api, None);
        let jammed = String::from_utf8(converse(&h, b"\x03lp\n")).unwrap();
        assert!(
            jammed.starts_with("Warning: lp is down: Paper jam (media-jam-error)\n"),
            "{jammed}"
        );
        assert!(jammed.contains("stalled alice"), "{jammed}");
        let unknown = String::from_utf8(converse(&h, b"\x03nope\n")).unwrap();
        assert_eq!(unknown, "unknown queue 'nope'\n");
    }

    #[test]
    fn removal_by_owner_and_refusal_for_another_user() {
        let h = printer(Speed::Realtime);
        h.with(|p, now| p.pause(now));
        converse(&h, &control_first(CONTROL, &pdf(1)));
        converse(&h, &data_first(b"Hh\nPbob\nldfA523vm\n", &pdf(1)));
        let out = String::from_utf8(converse(&h, b"\x05lp bob 1 2\n")).unwrap();
        assert_eq!(
            out,
            "job 1: permission denied (owned by alice)\njob 2 dequeued\n"
        );
        h.with(|p, _| {
            assert_eq!(p.job(1).unwrap().state, JobState::Pending);
            assert_eq!(p.job(2).unwrap().state, JobState::Canceled);
        });
        let out = String::from_utf8(converse(&h, b"\x05lp alice -\n")).unwrap();
        assert_eq!(out, "job 1 dequeued\n");
        let out = String::from_utf8(converse(&h, b"\x05lp root 1\n")).unwrap();
        assert_eq!(out, "job 1: no such job in the queue\n");
    }

    #[test]
    fn print_waiting_jobs_is_acknowledged() {
        let h = printer(Speed::Instant);
        assert_eq!(converse(&h, b"\x01lp\n"), vec![0]);
        assert_eq!(converse(&h, b"\x01other\n"), vec![1]);
    }

    #[test]
    fn a_connection_dropped_mid_job_aborts_it() {
        let h = printer(Speed::Instant);
        let input = data_first(CONTROL, &pdf(1));
        let mut c = LpdConnection::new(h.0.clone(), peer());
        c.handle_input(&input[..input.len() - 20]);
        drop(c);
        h.with(|p, _| assert_eq!(p.job(1).unwrap().state, JobState::Aborted));
    }

    #[test]
    fn strict_source_port_refuses_other_ports() {
        let text = crate::profile::DEFAULT_PROFILE_TOML.replacen(
            "strict-source-port = false",
            "strict-source-port = true",
            1,
        );
        let profile = Arc::new(Profile::from_toml_str(&text, "t").unwrap());
        let h = PrinterHandle::in_memory(profile, Speed::Instant, Limits::default()).unwrap();
        assert_eq!(converse(&h, b"\x02lp\n"), vec![1]);
        let mut c = LpdConnection::new(h.0.clone(), SocketAddr::from(([127, 0, 0, 1], 725)));
        c.handle_input(b"\x02lp\n");
        assert_eq!(c.take_output(), vec![0]);
    }

    #[tokio::test]
    async fn serve_lpd_over_a_duplex_then_idle_timeout() {
        let profile = Arc::new(Profile::default_profile().unwrap());
        let limits = Limits {
            idle_timeout: Duration::from_secs(5),
            ..Limits::default()
        };
        let h = PrinterHandle::in_memory(profile, Speed::Instant, limits).unwrap();
        let (_tx, rx) = watch::channel(false);
        let (mut client, server) = tokio::io::duplex(1024);
        let task = tokio::spawn(serve_lpd(server, peer(), h.0.clone(), rx.clone()));
        let data = pdf(3);
        // Larger than the pipe, so it streams through.
        let mut big = data.clone();
        big.extend(std::iter::repeat_n(b'.', 200_000));
        client
            .write_all(&control_first(CONTROL, &big))
            .await
            .unwrap();
        client.shutdown().await.unwrap();
        let mut acks = Vec::new();
        client.read_to_end(&mut acks).await.unwrap();
        assert_eq!(acks, vec![0; 5]);
        task.await.unwrap();
        h.with(|p, _| {
            let j = p.job(1).unwrap();
            assert_eq!(j.documents[0].bytes, big.len() as u64);
            assert_eq!(j.documents[0].sha256, sha256(&big));
        });

        // A client that sends half a job and then nothing: the idle timeout
        // (on a paused clock, no real wait) fails the job and closes.
        tokio::time::pause();
        let (mut client, server) = tokio::io::duplex(1024);
        let task = tokio::spawn(serve_lpd(server, peer(), h.0.clone(), rx));
        let input = control_first(CONTROL, &data);
        client.write_all(&input[..input.len() - 8]).await.unwrap();
        let mut acks = Vec::new();
        client.read_to_end(&mut acks).await.unwrap();
        assert_eq!(acks, vec![0; 4]);
        task.await.unwrap();
        h.with(|p, _| assert_eq!(p.job(2).unwrap().state, JobState::Aborted));
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_shutdown_sender_changes_nothing() {
        let h = printer(Speed::Instant);
        let (tx, rx) = watch::channel(false);
        drop(tx);
        let (mut client, server) = tokio::io::duplex(1024);
        let task = tokio::spawn(serve_lpd(server, peer(), h.0.clone(), rx));
        client.write_all(b"\x04lp\n").await.unwrap();
        let mut listing = Vec::new();
        client.read_to_end(&mut listing).await.unwrap();
        assert_eq!(listing, b"lp is ready\nno entries\n");
        task.await.unwrap();
    }

    #[tokio::test]
    async fn shutdown_closes_an_idle_connection() {
        let h = printer(Speed::Instant);
        let (tx, rx) = watch::channel(false);
        let (mut client, server) = tokio::io::duplex(1024);
        let task = tokio::spawn(serve_lpd(server, peer(), h.0.clone(), rx));
        client.write_all(b"\x02lp\n").await.unwrap();
        let mut ack = [9u8; 1];
        client.read_exact(&mut ack).await.unwrap();
        assert_eq!(ack, [0]);
        tx.send(true).unwrap();
        task.await.unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    }
}
