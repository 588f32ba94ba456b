//! The one printer model: state, state reasons, jobs, spool, media, supplies,
//! counters and a clock it is given.
//!
//! Every protocol front end is a view of a [`Printer`]: a job submitted over
//! any protocol appears here, and a condition raised here (a jam, an open door)
//! shows on every protocol. The model never reads the OS clock and never does
//! IO except through [`spool`], which writes accepted documents byte-exact.
//!
//! Time moves only through [`Printer::handle_timeout`]; [`Printer::poll_timeout`]
//! says when the model next wants to be woken (the next page, a timeout).

pub mod clock;
pub mod events;
pub mod job;
pub mod printer;
pub mod spool;

pub use clock::{Clock, SimTime, Speed};
pub use events::{Event, EventKind, EventLog, Subscription};
pub use job::{Document, Job, JobOrigin, JobState, NewJob};
pub use printer::{Alert, Condition, ModelError, Printer, PrinterState, Supply, Tray};
pub use spool::{Spool, SpoolError, SpoolWriter, SpooledDocument};
