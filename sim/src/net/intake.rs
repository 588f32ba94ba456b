//! Jobs from front ends other than IPP (LPD, AppSocket/9100): create a job in
//! the one printer model, stream its documents byte-exact into the spool, and
//! close or fail it — so a job sent over any protocol shows in IPP Get-Jobs,
//! takes simulated time, drains supplies and stops on a jam like any other.
//!
//! The front end's sans-IO core decides *what* arrives; this is the thin
//! layer that writes it to disk and tells the model.

use std::sync::Arc;

use crate::model::{Document, Job, JobOrigin, ModelError, NewJob, SpoolError, SpoolWriter};
use crate::wire::coding::Coding;

use super::server::Shared;

/// Why a job or a document could not be taken in.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The printer refused (the job is gone or closed, the printer is not
    /// accepting jobs).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The spool could not store the document.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// The printer is not accepting jobs (disabled, shut down).
    #[error("the printer is not accepting jobs")]
    NotAccepting,
}

/// A job being received from a front end.
#[derive(Debug)]
pub struct JobIntake {
    shared: Arc<Shared>,
    /// Its `job-id`.
    pub job_id: u32,
    documents: u32,
    /// Who sent it, for the audit log.
    peer: Option<std::net::SocketAddr>,
}

impl JobIntake {
    /// Create a job described by `spec` (its `origin` says which front end).
    /// Refused when the printer is not accepting jobs.
    pub fn create(shared: &Arc<Shared>, spec: NewJob) -> Result<JobIntake, IntakeError> {
        let now = shared.now();
        let id = {
            let mut p = shared.printer();
            p.handle_timeout(now);
            if !p.is_accepting_jobs() {
                return Err(IntakeError::NotAccepting);
            }
            p.create_job(spec, now)
        };
        shared.poke();
        Ok(JobIntake {
            shared: shared.clone(),
            job_id: id,
            documents: 0,
            peer: None,
        })
    }

    /// The client the job comes from (named in the audit log).
    pub fn with_peer(mut self, peer: std::net::SocketAddr) -> JobIntake {
        self.peer = Some(peer);
        self
    }

    /// Change the job's description once it is known (an LPD control file
    /// that arrives after its data file names the user and the title).
    pub fn update(&self, f: impl FnOnce(&mut Job)) {
        let mut p = self.shared.printer();
        if let Some(j) = p.job_mut(self.job_id) {
            f(j);
        }
    }

    /// Start the job's next document, of MIME type `format` (for
    /// `application/octet-stream` the spooled bytes decide, as for IPP).
    pub fn document(
        &mut self,
        format: &str,
        name: Option<String>,
    ) -> Result<DocumentIntake, IntakeError> {
        let now = self.shared.now();
        let number = {
            let mut p = self.shared.printer();
            p.begin_document(self.job_id, now)?
        };
        self.documents = number;
        let writer = self.shared.spool.writer(
            self.job_id,
            number,
            format,
            Coding::None,
            self.shared.limits.max_document_bytes,
        )?;
        Ok(DocumentIntake {
            shared: self.shared.clone(),
            job_id: self.job_id,
            number,
            format: format.to_string(),
            name,
            writer: Some(writer),
        })
    }

    /// How many documents were started.
    pub fn documents(&self) -> u32 {
        self.documents
    }

    /// No more documents: the job can print.
    pub fn close(self) -> Result<(), IntakeError> {
        let now = self.shared.now();
        let r = self.shared.printer().close_job(self.job_id, now);
        self.shared.poke();
        self.audit(match &r {
            Ok(()) => "accepted".to_string(),
            Err(e) => format!("refused: {e}"),
        });
        r.map_err(IntakeError::from)
    }

    /// Log the job (LPD and AppSocket jobs; IPP jobs are logged with their
    /// operation).
    fn audit(&self, outcome: String) {
        let (Some(peer), true) = (self.peer, self.shared.audit.is_some()) else {
            return;
        };
        let (user, origin, name) = {
            let p = self.shared.printer();
            match p.job(self.job_id) {
                Some(j) => (j.spec.user.clone(), j.spec.origin, j.spec.name.clone()),
                None => return,
            }
        };
        let service = match origin {
            Some(crate::model::JobOrigin::Lpd) => "lpd",
            Some(crate::model::JobOrigin::Socket) => "socket",
            _ => "ipp",
        };
        let mut e = crate::security::audit::AuditEvent::new(service, peer, "job");
        e.class = Some("print");
        e.requesting_user = Some(user);
        e.job_id = Some(self.job_id);
        e.outcome = outcome;
        e.detail = format!("job '{name}'");
        self.shared.audit(&e);
    }

    /// The client gave up or broke the protocol: the job is aborted, with `why`
    /// as its message.
    pub fn abort(self, why: &str) {
        let now = self.shared.now();
        self.shared.printer().document_failed(self.job_id, why, now);
        self.shared.poke();
    }
}

/// One document being streamed into the spool.
pub struct DocumentIntake {
    shared: Arc<Shared>,
    job_id: u32,
    number: u32,
    format: String,
    name: Option<String>,
    writer: Option<SpoolWriter>,
}

impl std::fmt::Debug for DocumentIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentIntake")
            .field("job_id", &self.job_id)
            .field("number", &self.number)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl DocumentIntake {
    /// Append bytes as they arrive.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), SpoolError> {
        match self.writer.as_mut() {
            Some(w) => w.write(chunk),
            None => Ok(()),
        }
    }

    /// The whole document has arrived: store it and add it to the job;
    /// `last` closes the job. Returns what was stored.
    pub fn finish(mut self, last: bool) -> Result<Document, IntakeError> {
        let Some(writer) = self.writer.take() else {
            return Err(IntakeError::Model(ModelError::NoSuchJob(self.job_id)));
        };
        let now = self.shared.now();
        let stored = match writer.finish() {
            Ok(s) => s,
            Err(e) => {
                self.shared
                    .printer()
                    .document_failed(self.job_id, &e.to_string(), now);
                self.shared.poke();
                return Err(e.into());
            }
        };
        let format = match (self.format.as_str(), stored.detected_format) {
            ("application/octet-stream", Some(d)) => d.to_string(),
            _ => self.format.clone(),
        };
        let doc = Document {
            number: self.number,
            format,
            name: self.name.take(),
            compression: "none".into(),
            path: stored.path,
            bytes: stored.bytes,
            wire_bytes: stored.wire_bytes,
            sha256: stored.sha256,
            pages: stored.pages,
            canceled: false,
        };
        let r = self
            .shared
            .printer()
            .add_document(self.job_id, doc.clone(), last, now);
        self.shared.poke();
        r.map(|()| doc).map_err(IntakeError::from)
    }

    /// The document stopped half-way: keep what arrived under a `.partial`
    /// name (never one that looks complete) and fail the job.
    pub fn fail(mut self, why: &str) {
        if let Some(w) = self.writer.take() {
            let path = w.path().to_path_buf();
            drop(w);
            let _ = std::fs::rename(&path, path.with_extension("partial"));
        }
        let now = self.shared.now();
        self.shared.printer().document_failed(self.job_id, why, now);
        self.shared.poke();
    }
}

impl Drop for DocumentIntake {
    fn drop(&mut self) {
        // Dropped without finish or fail (the connection task ended): the
        // document is incomplete.
        if let Some(w) = self.writer.take() {
            let path = w.path().to_path_buf();
            drop(w);
            let _ = std::fs::rename(&path, path.with_extension("partial"));
            let now = self.shared.now();
            self.shared.printer().document_failed(
                self.job_id,
                "the connection ended mid-document",
                now,
            );
            self.shared.poke();
        }
    }
}

/// A job spec from a front end: who, what, where it came from.
pub fn new_job(name: &str, user: &str, copies: u32, origin: JobOrigin) -> NewJob {
    NewJob {
        name: name.to_string(),
        user: user.to_string(),
        copies: copies.max(1),
        origin: Some(origin),
        priority: 50,
        ..Default::default()
    }
}
