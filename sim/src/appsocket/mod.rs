//! The AppSocket / JetDirect front end (raw printing on TCP port 9100, with
//! PJL), as a sans-IO core.
//!
//! # The sans-IO contract
//!
//! [`Session`] is one connection's state machine. It owns no socket and
//! reads no clock; the tokio layer ([`crate::net::appsocket`]) pumps it:
//!
//! - inputs: [`Session::handle_input`] (bytes from the client, with the
//!   simulated time and a [`PrinterView`] to answer queries from),
//!   [`Session::handle_eof`] (the client shut down its sending side),
//!   [`Session::handle_abort`] (the connection broke), [`Session::handle_status`]
//!   ("the printer's status is now X", after every wake-up),
//!   [`Session::handle_job_progress`] / [`Session::handle_job_finished`]
//!   (pages of this connection's jobs printed, a job done in the model) and
//!   [`Session::handle_timeout`] (for `USTATUS TIMED`);
//! - outputs, polled after every input: [`Session::poll_action`] (what to do
//!   to the printer model: start a job, store a chunk of its data, end it,
//!   abort it), [`Session::poll_transmit`] (bytes for the back-channel) and
//!   [`Session::poll_timeout`] (when to call `handle_timeout` next).
//!   [`Session::is_finished`] says when the connection can close.
//!
//! Tests drive it in memory with a [`FixedView`] and no clock at all.
//!
//! # Jobs on one connection
//!
//! The byte stream is cut into *segments* at each UEL (`ESC%-12345X`). A
//! segment that starts with `@PJL` is read as PJL command lines until
//! `ENTER LANGUAGE = …` or a line that is not PJL; from there to the next
//! UEL is print data (as on an HP printer, data that does not start with
//! `@PJL` is print data in the default language). Blank lines there are not
//! data yet: they go with the PJL around them, so a line feed after a final
//! UEL makes no job. Jobs are made of segments:
//!
//! - a job starts at the first print data or at a `JOB` command, whichever
//!   comes first, and takes with it the PJL lines of its segment before that
//!   point (the UEL that opened the segment included);
//! - a job without `JOB` ends at the UEL that ends its print data (or at
//!   EOF); a `JOB` … `EOJ` pair (nested pairs counted) keeps it open across
//!   UELs until its last `EOJ`, and then to the UEL after it (or EOF);
//! - segments with only PJL commands outside any job (status queries, `SET`,
//!   `DEFAULT`, `USTATUS`) make no job: they are answered and forgotten.
//!
//! So several jobs can follow each other on one connection, separated by
//! UELs, and a connection that only asks for status creates none.
//!
//! # What "byte-exact" means here
//!
//! A job's document is the job's bytes exactly as the client sent them:
//! UELs and PJL lines included, not only the page description language
//! inside. That is what a JetDirect hands the engine, and what `lpr -Y`,
//! the CUPS `socket` backend and drivers that wrap PDF or PostScript in PJL
//! send, so the SHA-256 a client computes over the file it sent matches the
//! spool's. The session marks which bytes are print data
//! ([`DataKind::Pdl`]), so the tokio layer counts pages and detects the
//! format from the language inside, not from the PJL around it.
//!
//! Data streams through: every chunk read becomes [`Action::Data`] at once,
//! except at most the 8 bytes of a UEL cut by the end of a read. What the
//! session buffers is bounded: a PJL line by [`crate::pjl::MAX_LINE`] (a
//! longer one is skipped to its end, logged, and reported as `20005` with
//! `USTATUS DEVICE = VERBOSE`), the PJL lines of a segment before its job
//! starts by [`SessionConfig::max_pending`] (beyond it they are still
//! executed, but not kept for the job's document, and a warning is logged),
//! and unsent back-channel output by [`SessionConfig::max_backlog`] (beyond
//! it responses are dropped and counted).
//!
//! # PJL
//!
//! Commands answered from the printer model through [`PrinterView`]:
//! `INFO ID` (the profile's make and model), `INFO STATUS` (the code from
//! [`crate::pjl::device_status`]), `INFO PAGECOUNT` (the model's impression
//! counter), `INFO CONFIG`, `INFO VARIABLES`, `INFO USTATUS`, `INFO MEMORY`
//! (`?` for other categories), `ECHO`, `INQUIRE` / `DINQUIRE` (`?` for an
//! unknown variable). `SET` applies to the connection until its job ends (or,
//! outside a job, until the next UEL); `DEFAULT` changes the printer's user
//! defaults, shared by every connection ([`PrinterView::set_default`]).
//! `COPIES` × `QTY`, `DUPLEX`, `PAPER`, `JOBNAME` and `USERNAME` shape the job.
//! `USTATUS DEVICE = ON|VERBOSE` sends `@PJL USTATUS DEVICE` whenever
//! [`Session::handle_status`] reports a new status; `VERBOSE` adds the parser
//! and semantic error codes (20xxx, 25xxx, 27xxx) of ignored lines.
//! `USTATUS JOB = ON` sends `START` when a job starts and `END` (with
//! `PAGES=`) when the model finishes it; every job on this port counts, with
//! or without a `JOB` command. `USTATUS PAGE = ON` sends each page's number.
//! `USTATUS TIMED = n` sends the status every n seconds (5–300; 0 is off).
//! Unknown commands and malformed lines are ignored, as PJL prescribes,
//! with a debug log line.

mod session;
mod view;

#[cfg(test)]
mod tests;

pub use session::{Action, DataKind, JobId, JobSpec, Session, SessionConfig};
pub use view::{config_lines, FixedView, PrinterView};
