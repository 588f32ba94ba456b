//! Jobs and their documents.

use std::path::PathBuf;

use super::clock::SimTime;
use crate::wire::ipp::Attribute;

/// RFC 8011 §5.3.7 `job-state`, with its enum values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobState {
    /// Waiting to be processed.
    Pending = 3,
    /// Held until released (`job-hold-until`, Hold-Job).
    PendingHeld = 4,
    /// Printing.
    Processing = 5,
    /// Printing, but the printer has stopped (a jam, an open door).
    ProcessingStopped = 6,
    /// Canceled by a user or operator.
    Canceled = 7,
    /// Aborted by the system.
    Aborted = 8,
    /// Finished.
    Completed = 9,
}

impl JobState {
    /// The IPP enum value.
    pub fn ipp_enum(self) -> i32 {
        self as i32
    }

    /// The IPP keyword form (`which-jobs` values, logs).
    pub fn keyword(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::PendingHeld => "pending-held",
            JobState::Processing => "processing",
            JobState::ProcessingStopped => "processing-stopped",
            JobState::Canceled => "canceled",
            JobState::Aborted => "aborted",
            JobState::Completed => "completed",
        }
    }

    /// Canceled, aborted or completed: nothing more will happen to it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Canceled | JobState::Aborted | JobState::Completed
        )
    }
}

/// Which protocol a job came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOrigin {
    /// IPP or IPPS.
    Ipp,
    /// LPD (RFC 1179).
    Lpd,
    /// AppSocket / port 9100.
    Socket,
}

/// One document of a job, spooled byte-exact.
#[derive(Clone, Debug)]
pub struct Document {
    /// 1-based document number.
    pub number: u32,
    /// MIME type as supplied or detected.
    pub format: String,
    /// `document-name` if given.
    pub name: Option<String>,
    /// `compression` as supplied (`none`, `gzip`, `deflate`).
    pub compression: String,
    /// Where the (decompressed) document is on disk.
    pub path: PathBuf,
    /// Size of the stored document.
    pub bytes: u64,
    /// Bytes as received on the wire (before decompression).
    pub wire_bytes: u64,
    /// SHA-256 of the stored document, hex.
    pub sha256: String,
    /// Pages found in the document (at least 1).
    pub pages: u32,
    /// Canceled by Cancel-Document: kept on disk, not printed.
    pub canceled: bool,
}

/// What a protocol front end asks for when it creates a job.
#[derive(Clone, Debug, Default)]
pub struct NewJob {
    /// `job-name`.
    pub name: String,
    /// `job-originating-user-name`.
    pub user: String,
    /// `job-hold-until` keyword if the job is to be held (not `no-hold`).
    pub hold_until: Option<String>,
    /// `copies`.
    pub copies: u32,
    /// Whether it prints on both sides.
    pub duplex: bool,
    /// Whether it uses colour.
    pub color: bool,
    /// Media size name, if the job asked for one.
    pub media: Option<String>,
    /// `job-priority` 1–100.
    pub priority: i32,
    /// Job template and description attributes as supplied over IPP, for Get-Job-Attributes.
    pub attributes: Vec<Attribute>,
    /// Where the job came from.
    pub origin: Option<JobOrigin>,
}

/// A job in the printer.
#[derive(Clone, Debug)]
pub struct Job {
    /// `job-id`.
    pub id: u32,
    /// `job-uuid` without `urn:uuid:`.
    pub uuid: String,
    /// What was asked for.
    pub spec: NewJob,
    /// `job-state`.
    pub state: JobState,
    /// `job-state-reasons` specific to this job (printer-caused ones are added by views).
    pub reasons: Vec<String>,
    /// `job-state-message`.
    pub message: String,
    /// Documents received so far.
    pub documents: Vec<Document>,
    /// No more documents will come (Print-Job, last-document=true, Close-Job).
    pub closed: bool,
    /// When it was created.
    pub created: SimTime,
    /// When processing began.
    pub processing_at: Option<SimTime>,
    /// When it reached a terminal state.
    pub completed_at: Option<SimTime>,
    /// Last time a document or operation arrived (multiple-operation-time-out).
    pub last_activity: SimTime,
    /// Impressions printed so far.
    pub impressions_completed: u64,
    /// Sheets printed so far.
    pub sheets_completed: u64,
    /// Impressions the job will take.
    pub impressions_total: u64,
    /// A document is being received right now; the job cannot start.
    pub receiving: bool,
    /// Queue position among jobs of equal priority (Promote-Job, Schedule-Job-After move it).
    pub order: u64,
}

impl Job {
    /// Total stored bytes of all documents.
    pub fn total_bytes(&self) -> u64 {
        self.documents.iter().map(|d| d.bytes).sum()
    }

    /// Whether it is ready to print (all documents in, not held).
    pub fn is_printable(&self) -> bool {
        self.state == JobState::Pending && self.closed && !self.receiving
    }
}
