//! One LPD connection as a state machine, with no IO.
//!
//! # Contract
//!
//! The driver (`net::lpd`, a test, a fuzzer) feeds what the client sent with
//! [`Session::handle_input`], the end of the client's stream with
//! [`Session::handle_eof`] and a silence that lasted too long with
//! [`Session::handle_idle_timeout`]; then it drains [`Session::poll_event`]
//! until `None` and sends what [`Session::poll_transmit`] returns. Some events
//! wait for the driver's word before the session goes on ([`Event::reply`]):
//! a verdict ([`Session::accept`] or [`Session::refuse`]) — whether a job
//! could be made, a document stored — which decides the acknowledgement the
//! client gets; or an answer ([`Session::answer`]), the text of a listing or a
//! removal. Until it has that word the session reads nothing more
//! (`poll_event` returns `None`). When [`Session::is_closed`] is true and the
//! output is drained, the driver closes the connection.
//!
//! The session owns no socket, reads no clock and touches no printer: it
//! decides what the bytes mean, which acknowledgement each step earns and
//! when a job is whole or broken, and says so in [`Event`]s; the driver does
//! what they ask to the printer model.
//!
//! # The protocol, as enforced
//!
//! - One daemon command per connection (RFC 1179 §5); `01` is acknowledged and
//!   the connection closed, `03`/`04`/`05` are answered with text and closed.
//! - After `02 Queue LF` is acknowledged, subcommands (§6) until the client
//!   closes: each file subcommand is acknowledged, then its bytes come, then
//!   "an octet of zero bits is sent as an indication that the file being sent
//!   is complete", which is acknowledged in turn (§6.2, §6.3). A zero
//!   acknowledgement means yes, anything else no (§3: "a positive
//!   acknowledgement … an octet of zero bits"). Files come in either order:
//!   the CUPS `lpd` backend sends the control file first, LPRng the data files
//!   first.
//! - A data file of count 0 is read until the connection closes, as LPRng
//!   does ("all of the input until the connection is closed is used as the
//!   contents of the data file").
//! - A job is whole when its control file and every data file it names have
//!   arrived ([`Event::JobComplete`]); a connection that ends before that, an
//!   abort subcommand, a short file or a missing terminating zero fail it
//!   ([`Event::JobFailed`]), and every refusal closes the connection.

use std::collections::VecDeque;
use std::ops::RangeInclusive;

use super::command::{Command, CommandError, Subcommand, DEFAULT_LINE_LIMIT};
use super::control::{ControlError, ControlFile, JobTicket, TicketFile};

/// RFC 1179 §3: "The source port must be in the range 721 to 731, inclusive."
pub const RFC1179_SOURCE_PORTS: RangeInclusive<u16> = 721..=731;

/// Largest control file accepted by default.
pub const DEFAULT_CONTROL_LIMIT: u64 = 64 * 1024;

/// The positive acknowledgement.
pub const ACK: u8 = 0;
/// The negative acknowledgement this server sends.
pub const NACK: u8 = 1;

/// How a session behaves.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Queue names served.
    pub queues: Vec<String>,
    /// Refuse clients whose source port is outside 721–731.
    pub strict_source_port: bool,
    /// The client's source port.
    pub source_port: u16,
    /// Longest command or subcommand line, LF included.
    pub max_line: usize,
    /// Largest control file.
    pub max_control_bytes: u64,
    /// Largest data file announced.
    pub max_data_bytes: u64,
}

impl SessionConfig {
    /// Serve `queues`, any source port, default limits.
    pub fn new(queues: Vec<String>) -> SessionConfig {
        SessionConfig {
            queues,
            strict_source_port: false,
            source_port: 0,
            max_line: DEFAULT_LINE_LIMIT,
            max_control_bytes: DEFAULT_CONTROL_LIMIT,
            max_data_bytes: u64::MAX,
        }
    }
}

/// The length a data-file subcommand announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataLength {
    /// Exactly this many bytes, then a zero octet.
    Exact(u64),
    /// Count 0: everything until the client closes the connection.
    UntilEof,
}

/// What the session needs from the driver after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Nothing.
    None,
    /// [`Session::accept`] or [`Session::refuse`].
    Verdict,
    /// [`Session::answer`] with the text to send.
    Answer,
}

/// Why the session refused something or failed a job. Each variant names
/// one violation; its text is the log line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The client's source port is outside 721–731 and the profile is strict.
    #[error("source port {port} is outside 721-731 (RFC 1179 section 3)")]
    SourcePort {
        /// The port.
        port: u16,
    },
    /// The queue is not one the printer serves.
    #[error("unknown queue '{queue}'")]
    UnknownQueue {
        /// The queue asked for.
        queue: String,
    },
    /// A daemon command code RFC 1179 does not define.
    #[error("unknown command code {code:#04x}")]
    UnknownCommand {
        /// The code.
        code: u8,
    },
    /// A receive-job subcommand code RFC 1179 does not define.
    #[error("unknown subcommand code {code:#04x}")]
    UnknownSubcommand {
        /// The code.
        code: u8,
    },
    /// A malformed command or subcommand line.
    #[error("malformed line: {0}")]
    Malformed(#[from] CommandError),
    /// The connection closed in the middle of a line.
    #[error("connection closed after {bytes} bytes of an unfinished line")]
    ClosedMidLine {
        /// Bytes of the line that came.
        bytes: usize,
    },
    /// A control file larger than the limit.
    #[error("control file of {count} bytes is over the limit of {limit}")]
    ControlTooLarge {
        /// The count announced.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// A data file larger than the limit.
    #[error("data file of {count} bytes is over the limit of {limit}")]
    DataTooLarge {
        /// The count announced.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// A second control file for the job being received.
    #[error("second control file '{name}' for one job")]
    SecondControlFile {
        /// Its name.
        name: String,
    },
    /// The control file cannot make a job (no `H`, no `P`).
    #[error("control file refused: {0}")]
    BadControlFile(#[from] ControlError),
    /// The octet after a file's bytes was not zero.
    #[error("file '{name}': the octet after its bytes is {found:#04x}, not 0")]
    BadTerminator {
        /// The file.
        name: String,
        /// The octet.
        found: u8,
    },
    /// The connection closed after a file's bytes, before its zero octet.
    #[error("file '{name}': connection closed before its terminating 0")]
    NoTerminator {
        /// The file.
        name: String,
    },
    /// The connection closed before a file's announced bytes had all come.
    #[error("file '{name}': connection closed after {received} of {expected} bytes")]
    ClosedEarly {
        /// The file.
        name: String,
        /// Bytes announced.
        expected: u64,
        /// Bytes received.
        received: u64,
    },
    /// The client sent the abort subcommand (§6.1).
    #[error("the client aborted the job")]
    Aborted,
    /// The connection ended before the data files the control file names.
    #[error("connection closed before data files {missing:?}")]
    IncompleteJob {
        /// The data files that never came.
        missing: Vec<String>,
    },
    /// The connection ended with data files but no control file.
    #[error("connection closed without a control file")]
    NoControlFile,
    /// The client was silent for longer than the idle timeout.
    #[error("idle timeout")]
    IdleTimeout,
    /// The printer said no (not accepting jobs, spool full…).
    #[error("{reason}")]
    Printer {
        /// The printer's reason.
        reason: String,
    },
}

/// What the session tells the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `01`: print waiting jobs (already acknowledged; the printer prints by
    /// itself).
    PrintWaiting {
        /// The queue.
        queue: String,
    },
    /// `02`: a client wants to send a job. Needs a verdict (may the printer
    /// take jobs?).
    ReceiveJob {
        /// The queue.
        queue: String,
    },
    /// A control file arrived whole and names a host and a user. Needs a
    /// verdict: create the job (or describe the one its data files made).
    ControlFile {
        /// Its name (`cfA…`).
        name: String,
        /// What it asks.
        ticket: JobTicket,
        /// The file itself.
        control: ControlFile,
    },
    /// A data file is announced. Needs a verdict: start a document (making
    /// the job first when no control file came yet).
    DataFileStart {
        /// Its name (`dfA…`).
        name: String,
        /// How long it is.
        length: DataLength,
        /// What the control file says of it, when that came first.
        file: Option<TicketFile>,
    },
    /// Bytes of the data file being received, in order.
    DataChunk(Vec<u8>),
    /// The data file arrived whole. Needs a verdict: store it.
    DataFileEnd {
        /// Its name.
        name: String,
        /// Its size.
        bytes: u64,
    },
    /// The job has its control file and every data file it names: it can print.
    JobComplete,
    /// The job being received is given up: abort it, keep what arrived of the
    /// data file in progress as `.partial`.
    JobFailed {
        /// Why.
        why: Refusal,
    },
    /// `03`/`04`: list the queue. Needs an answer (the listing).
    Query {
        /// The queue.
        queue: String,
        /// Long form.
        long: bool,
        /// User names and job numbers to list.
        list: Vec<String>,
    },
    /// `05`: remove jobs. Needs an answer (one line per job).
    Remove {
        /// The queue.
        queue: String,
        /// Who asks.
        agent: String,
        /// What to remove.
        list: Vec<String>,
    },
    /// Something was refused with no job to fail: for the log.
    Refused(Refusal),
}

impl Event {
    /// What the session needs from the driver before it goes on.
    pub fn reply(&self) -> Reply {
        match self {
            Event::ReceiveJob { .. }
            | Event::ControlFile { .. }
            | Event::DataFileStart { .. }
            | Event::DataFileEnd { .. } => Reply::Verdict,
            Event::Query { .. } | Event::Remove { .. } => Reply::Answer,
            _ => Reply::None,
        }
    }
}

/// What a verdict is awaited for.
#[derive(Debug)]
enum Pending {
    ReceiveJob,
    ControlFile { ticket: JobTicket },
    DataStart { name: String, length: DataLength },
    DataEnd { name: String, until_eof: bool },
}

#[derive(Debug)]
enum State {
    /// Waiting for the daemon command line.
    Command,
    /// In receive-job mode, waiting for a subcommand line.
    Subcommand,
    /// Reading a control file's bytes.
    ControlBody {
        name: String,
        count: u64,
        buf: Vec<u8>,
    },
    /// Waiting for the zero octet after a control file.
    ControlTerminator { name: String, buf: Vec<u8> },
    /// Reading a data file's bytes.
    DataBody {
        name: String,
        count: u64,
        received: u64,
    },
    /// Waiting for the zero octet after a data file.
    DataTerminator { name: String, count: u64 },
    /// Reading a data file until the connection closes.
    DataToEof { name: String, received: u64 },
    /// Waiting for the driver's verdict.
    AwaitVerdict(Pending),
    /// Waiting for the driver's answer text.
    AwaitAnswer,
    /// Done: nothing more is read.
    Closed,
}

/// The job being received.
#[derive(Debug, Default)]
struct JobProgress {
    ticket: Option<JobTicket>,
    received: Vec<String>,
}

/// One LPD connection's protocol state.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    inbuf: Vec<u8>,
    pos: usize,
    eof: bool,
    state: State,
    events: VecDeque<Event>,
    out: Vec<u8>,
    job: Option<JobProgress>,
}

impl Session {
    /// A session for a client connecting from `config.source_port`.
    pub fn new(config: SessionConfig) -> Session {
        let mut s = Session {
            config,
            inbuf: Vec::new(),
            pos: 0,
            eof: false,
            state: State::Command,
            events: VecDeque::new(),
            out: Vec::new(),
            job: None,
        };
        let port = s.config.source_port;
        if s.config.strict_source_port && !RFC1179_SOURCE_PORTS.contains(&port) {
            s.refuse_and_close(Refusal::SourcePort { port });
        }
        s
    }

    /// Bytes the client sent.
    pub fn handle_input(&mut self, data: &[u8]) {
        if matches!(self.state, State::Closed) {
            return;
        }
        if self.pos > 0 && self.pos == self.inbuf.len() {
            self.inbuf.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 && self.pos * 2 > self.inbuf.len() {
            self.inbuf.drain(..self.pos);
            self.pos = 0;
        }
        self.inbuf.extend_from_slice(data);
    }

    /// The client closed its side of the connection.
    pub fn handle_eof(&mut self) {
        self.eof = true;
    }

    /// The client was silent too long: whatever was under way fails and the
    /// session closes.
    pub fn handle_idle_timeout(&mut self) {
        if matches!(self.state, State::Closed) {
            return;
        }
        let idle_between = matches!(self.state, State::Command | State::Subcommand)
            && self.job.is_none()
            && self.available().is_empty();
        if self.job.take().is_some() {
            self.events.push_back(Event::JobFailed {
                why: Refusal::IdleTimeout,
            });
        } else if !idle_between {
            self.events.push_back(Event::Refused(Refusal::IdleTimeout));
        }
        self.state = State::Closed;
    }

    /// The next event, or `None` when the session needs more input (or the
    /// driver's word on the last event).
    pub fn poll_event(&mut self) -> Option<Event> {
        while self.events.is_empty() && self.step() {}
        self.events.pop_front()
    }

    /// Bytes to send to the client, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.out.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.out))
        }
    }

    /// Nothing more will be read or sent once the output is drained.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Between requests, with nothing under way: safe to close on shutdown.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Command | State::Subcommand)
            && self.job.is_none()
            && self.available().is_empty()
    }

    /// What the session waits for from the driver, if anything.
    pub fn awaiting(&self) -> Reply {
        match self.state {
            State::AwaitVerdict(_) => Reply::Verdict,
            State::AwaitAnswer => Reply::Answer,
            _ => Reply::None,
        }
    }

    /// Yes to the event that waits for a verdict.
    pub fn accept(&mut self) {
        if !matches!(self.state, State::AwaitVerdict(_)) {
            // Not waiting for a verdict: a driver bug, ignored.
            return;
        }
        let State::AwaitVerdict(pending) = std::mem::replace(&mut self.state, State::Closed) else {
            return;
        };
        self.out.push(ACK);
        self.state = match pending {
            Pending::ReceiveJob => State::Subcommand,
            Pending::ControlFile { ticket } => {
                self.job.get_or_insert_with(JobProgress::default).ticket = Some(ticket);
                self.check_complete();
                State::Subcommand
            }
            Pending::DataStart { name, length } => {
                self.job.get_or_insert_with(JobProgress::default);
                match length {
                    DataLength::Exact(count) => State::DataBody {
                        name,
                        count,
                        received: 0,
                    },
                    DataLength::UntilEof => State::DataToEof { name, received: 0 },
                }
            }
            Pending::DataEnd { name, until_eof } => {
                if let Some(j) = self.job.as_mut() {
                    j.received.push(name);
                }
                self.check_complete();
                if until_eof {
                    // The client has closed: the job is whole now or never.
                    self.fail_incomplete_job();
                    State::Closed
                } else {
                    State::Subcommand
                }
            }
        };
    }

    /// No to the event that waits for a verdict (the client gets a non-zero
    /// acknowledgement), or, during a data file, a failure to store it: the
    /// job fails and the session closes.
    pub fn refuse(&mut self, reason: impl Into<String>) {
        let why = Refusal::Printer {
            reason: reason.into(),
        };
        match self.state {
            State::AwaitVerdict(_) => self.refuse_and_close(why),
            State::DataBody { .. } | State::DataToEof { .. } => self.fail_and_close(why),
            State::Closed => {}
            _ => self.fail_and_close(why),
        }
    }

    /// The text answering a [`Event::Query`] or [`Event::Remove`]; the
    /// session then closes.
    pub fn answer(&mut self, text: &[u8]) {
        if matches!(self.state, State::AwaitAnswer) {
            self.out.extend_from_slice(text);
            self.state = State::Closed;
        }
    }

    // ----- internals -----

    fn available(&self) -> &[u8] {
        &self.inbuf[self.pos..]
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.inbuf.len());
    }

    fn known_queue(&self, queue: &str) -> bool {
        self.config.queues.iter().any(|q| q == queue)
    }

    /// A negative acknowledgement; the job (if any) fails; closed.
    fn refuse_and_close(&mut self, why: Refusal) {
        self.out.push(NACK);
        self.fail_and_close(why);
    }

    /// The job (if any) fails, else the refusal is logged; closed.
    fn fail_and_close(&mut self, why: Refusal) {
        if self.job.take().is_some() {
            self.events.push_back(Event::JobFailed { why });
        } else {
            self.events.push_back(Event::Refused(why));
        }
        self.state = State::Closed;
    }

    /// A text answer saying no, for the commands answered with text.
    fn refuse_with_text(&mut self, why: Refusal) {
        self.out.extend_from_slice(format!("{why}\n").as_bytes());
        self.fail_and_close(why);
    }

    fn check_complete(&mut self) {
        let whole = match &self.job {
            Some(JobProgress {
                ticket: Some(t),
                received,
            }) => t.files.iter().all(|f| received.contains(&f.data_file)),
            _ => false,
        };
        if whole {
            self.job = None;
            self.events.push_back(Event::JobComplete);
        }
    }

    /// The client is gone: a job still under way can never be whole.
    fn fail_incomplete_job(&mut self) {
        let Some(j) = self.job.take() else { return };
        let why = match &j.ticket {
            None => Refusal::NoControlFile,
            Some(t) => Refusal::IncompleteJob {
                missing: t
                    .files
                    .iter()
                    .filter(|f| !j.received.contains(&f.data_file))
                    .map(|f| f.data_file.clone())
                    .collect(),
            },
        };
        self.events.push_back(Event::JobFailed { why });
    }

    /// The connection ended while a line was awaited.
    fn end_at_line(&mut self) {
        let partial = self.available().len();
        let job_under_way = self.job.is_some();
        self.fail_incomplete_job();
        if partial > 0 && !job_under_way {
            self.events
                .push_back(Event::Refused(Refusal::ClosedMidLine { bytes: partial }));
        }
        self.state = State::Closed;
    }

    /// One step of progress; false when nothing more can happen without
    /// input or the driver.
    fn step(&mut self) -> bool {
        let state = std::mem::replace(&mut self.state, State::Closed);
        match state {
            State::Command => match Command::parse(self.available(), self.config.max_line) {
                Ok(None) if self.eof => {
                    self.end_at_line();
                    true
                }
                Ok(None) => {
                    self.state = State::Command;
                    false
                }
                Err(e) => {
                    self.refuse_and_close(e.into());
                    true
                }
                Ok(Some((cmd, n))) => {
                    self.consume(n);
                    self.on_command(cmd);
                    true
                }
            },
            State::Subcommand => match Subcommand::parse(self.available(), self.config.max_line) {
                Ok(None) if self.eof => {
                    self.end_at_line();
                    true
                }
                Ok(None) => {
                    self.state = State::Subcommand;
                    false
                }
                Err(e) => {
                    self.refuse_and_close(e.into());
                    true
                }
                Ok(Some((sub, n))) => {
                    self.consume(n);
                    self.on_subcommand(sub);
                    true
                }
            },
            State::ControlBody {
                name,
                count,
                mut buf,
            } => {
                let want = count.saturating_sub(buf.len() as u64);
                let take = usize::try_from(want)
                    .unwrap_or(usize::MAX)
                    .min(self.available().len());
                buf.extend_from_slice(&self.available()[..take]);
                self.consume(take);
                if buf.len() as u64 >= count {
                    self.state = State::ControlTerminator { name, buf };
                    true
                } else if self.eof {
                    let received = buf.len() as u64;
                    self.fail_and_close(Refusal::ClosedEarly {
                        name,
                        expected: count,
                        received,
                    });
                    true
                } else {
                    self.state = State::ControlBody { name, count, buf };
                    take > 0
                }
            }
            State::ControlTerminator { name, buf } => {
                let Some(&octet) = self.available().first() else {
                    if self.eof {
                        self.fail_and_close(Refusal::NoTerminator { name });
                        return true;
                    }
                    self.state = State::ControlTerminator { name, buf };
                    return false;
                };
                self.consume(1);
                if octet != 0 {
                    self.refuse_and_close(Refusal::BadTerminator { name, found: octet });
                    return true;
                }
                let control = ControlFile::parse(&buf);
                match control.ticket() {
                    Err(e) => self.refuse_and_close(e.into()),
                    Ok(ticket) => {
                        self.events.push_back(Event::ControlFile {
                            name,
                            ticket: ticket.clone(),
                            control,
                        });
                        self.state = State::AwaitVerdict(Pending::ControlFile { ticket });
                    }
                }
                true
            }
            State::DataBody {
                name,
                count,
                received,
            } => {
                let want = count.saturating_sub(received);
                let take = usize::try_from(want)
                    .unwrap_or(usize::MAX)
                    .min(self.available().len());
                if take == 0 {
                    if self.eof {
                        self.fail_and_close(Refusal::ClosedEarly {
                            name,
                            expected: count,
                            received,
                        });
                        return true;
                    }
                    self.state = State::DataBody {
                        name,
                        count,
                        received,
                    };
                    return false;
                }
                let chunk = self.available()[..take].to_vec();
                self.consume(take);
                self.events.push_back(Event::DataChunk(chunk));
                let received = received + take as u64;
                self.state = if received >= count {
                    State::DataTerminator { name, count }
                } else {
                    State::DataBody {
                        name,
                        count,
                        received,
                    }
                };
                true
            }
            State::DataTerminator { name, count } => {
                let Some(&octet) = self.available().first() else {
                    if self.eof {
                        self.fail_and_close(Refusal::NoTerminator { name });
                        return true;
                    }
                    self.state = State::DataTerminator { name, count };
                    return false;
                };
                self.consume(1);
                if octet != 0 {
                    self.refuse_and_close(Refusal::BadTerminator { name, found: octet });
                    return true;
                }
                self.events.push_back(Event::DataFileEnd {
                    name: name.clone(),
                    bytes: count,
                });
                self.state = State::AwaitVerdict(Pending::DataEnd {
                    name,
                    until_eof: false,
                });
                true
            }
            State::DataToEof { name, received } => {
                let n = self.available().len();
                if n > 0 {
                    let chunk = self.available().to_vec();
                    self.consume(n);
                    self.events.push_back(Event::DataChunk(chunk));
                    self.state = State::DataToEof {
                        name,
                        received: received + n as u64,
                    };
                    return true;
                }
                if self.eof {
                    self.events.push_back(Event::DataFileEnd {
                        name: name.clone(),
                        bytes: received,
                    });
                    self.state = State::AwaitVerdict(Pending::DataEnd {
                        name,
                        until_eof: true,
                    });
                    return true;
                }
                self.state = State::DataToEof { name, received };
                false
            }
            s @ (State::AwaitVerdict(_) | State::AwaitAnswer | State::Closed) => {
                self.state = s;
                false
            }
        }
    }

    fn on_command(&mut self, cmd: Command) {
        if let Some(q) = cmd.queue() {
            if !self.known_queue(q) {
                let why = Refusal::UnknownQueue {
                    queue: q.to_string(),
                };
                match cmd {
                    Command::QueueState { .. } | Command::Remove { .. } => {
                        self.refuse_with_text(why)
                    }
                    _ => self.refuse_and_close(why),
                }
                return;
            }
        }
        match cmd {
            Command::PrintWaiting { queue } => {
                self.out.push(ACK);
                self.events.push_back(Event::PrintWaiting { queue });
                self.state = State::Closed;
            }
            Command::ReceiveJob { queue } => {
                self.events.push_back(Event::ReceiveJob { queue });
                self.state = State::AwaitVerdict(Pending::ReceiveJob);
            }
            Command::QueueState { long, queue, list } => {
                self.events.push_back(Event::Query { queue, long, list });
                self.state = State::AwaitAnswer;
            }
            Command::Remove { queue, agent, list } => {
                self.events.push_back(Event::Remove { queue, agent, list });
                self.state = State::AwaitAnswer;
            }
            Command::Unknown { code, .. } => {
                self.refuse_and_close(Refusal::UnknownCommand { code });
            }
        }
    }

    fn on_subcommand(&mut self, sub: Subcommand) {
        match sub {
            Subcommand::Abort => {
                // §6.1: "This subcommand will remove any files which have been
                // created during this 'Receive job' command." No
                // acknowledgement is defined; more subcommands may follow.
                if self.job.take().is_some() {
                    self.events.push_back(Event::JobFailed {
                        why: Refusal::Aborted,
                    });
                }
                self.state = State::Subcommand;
            }
            Subcommand::ControlFile { count, name } => {
                if count > self.config.max_control_bytes {
                    let limit = self.config.max_control_bytes;
                    self.refuse_and_close(Refusal::ControlTooLarge { count, limit });
                } else if self.job.as_ref().is_some_and(|j| j.ticket.is_some()) {
                    self.refuse_and_close(Refusal::SecondControlFile { name });
                } else {
                    self.out.push(ACK);
                    let cap = usize::try_from(count).unwrap_or(0).min(64 * 1024);
                    self.state = State::ControlBody {
                        name,
                        count,
                        buf: Vec::with_capacity(cap),
                    };
                }
            }
            Subcommand::DataFile { count, name } => {
                if count > self.config.max_data_bytes {
                    let limit = self.config.max_data_bytes;
                    self.refuse_and_close(Refusal::DataTooLarge { count, limit });
                    return;
                }
                let length = if count == 0 {
                    DataLength::UntilEof
                } else {
                    DataLength::Exact(count)
                };
                let file = self
                    .job
                    .as_ref()
                    .and_then(|j| j.ticket.as_ref())
                    .and_then(|t| t.file(&name))
                    .cloned();
                self.events.push_back(Event::DataFileStart {
                    name: name.clone(),
                    length,
                    file,
                });
                self.state = State::AwaitVerdict(Pending::DataStart { name, length });
            }
            Subcommand::Unknown { code, .. } => {
                self.refuse_and_close(Refusal::UnknownSubcommand { code });
            }
        }
    }
}

/// Drive `session` with `input` (split into pieces of `piece` bytes, then
/// EOF), saying yes to every verdict and answering every query with a fixed
/// line; returns the events and everything sent. For tests and fuzzers.
pub fn drive_accepting(session: &mut Session, input: &[u8], piece: usize) -> (Vec<Event>, Vec<u8>) {
    let mut events = Vec::new();
    let mut sent = Vec::new();
    let pump = |s: &mut Session, events: &mut Vec<Event>, sent: &mut Vec<u8>| {
        while let Some(e) = s.poll_event() {
            match e.reply() {
                Reply::Verdict => s.accept(),
                Reply::Answer => s.answer(b"answer\n"),
                Reply::None => {}
            }
            events.push(e);
        }
        if let Some(b) = s.poll_transmit() {
            sent.extend_from_slice(&b);
        }
    };
    for chunk in input.chunks(piece.max(1)) {
        session.handle_input(chunk);
        pump(session, &mut events, &mut sent);
    }
    session.handle_eof();
    pump(session, &mut events, &mut sent);
    (events, sent)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::lpd::control::PrintFormat;

    fn session() -> Session {
        Session::new(SessionConfig::new(vec!["lp".into()]))
    }

    const CONTROL: &[u8] = b"Hvm\nPalice\nJMy Title\nldfA523vm\nUdfA523vm\nNMy Title\n";
    const DATA: &[u8] = b"%PDF-1.4 hello\n%%EOF\n";

    fn control_first() -> Vec<u8> {
        let mut v = b"\x02lp\n".to_vec();
        v.extend_from_slice(format!("\x02{} cfA523vm\n", CONTROL.len()).as_bytes());
        v.extend_from_slice(CONTROL);
        v.push(0);
        v.extend_from_slice(format!("\x03{} dfA523vm\n", DATA.len()).as_bytes());
        v.extend_from_slice(DATA);
        v.push(0);
        v
    }

    fn data_first() -> Vec<u8> {
        let mut v = b"\x02lp\n".to_vec();
        v.extend_from_slice(format!("\x03{} dfA523vm\n", DATA.len()).as_bytes());
        v.extend_from_slice(DATA);
        v.push(0);
        v.extend_from_slice(format!("\x02{} cfA523vm\n", CONTROL.len()).as_bytes());
        v.extend_from_slice(CONTROL);
        v.push(0);
        v
    }

    fn data_of(events: &[Event]) -> Vec<u8> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::DataChunk(c) => Some(c.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// The events without the data chunks (whose split depends on the reads).
    fn shape(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .filter(|e| !matches!(e, Event::DataChunk(_)))
            .map(|e| match e {
                Event::ControlFile { name, .. } => format!("ControlFile {name}"),
                Event::DataFileStart { name, file, .. } => {
                    format!("DataFileStart {name} known={}", file.is_some())
                }
                Event::DataFileEnd { name, bytes } => format!("DataFileEnd {name} {bytes}"),
                Event::ReceiveJob { queue } => format!("ReceiveJob {queue}"),
                Event::JobComplete => "JobComplete".into(),
                Event::JobFailed { why } => format!("JobFailed {why}"),
                Event::Refused(why) => format!("Refused {why}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn control_file_first_as_cups_sends() {
        for piece in [1, 2, 7, 4096] {
            let mut s = session();
            let (events, sent) = drive_accepting(&mut s, &control_first(), piece);
            assert_eq!(sent, vec![ACK; 5], "piece {piece}");
            assert_eq!(
                shape(&events),
                [
                    "ReceiveJob lp",
                    "ControlFile cfA523vm",
                    "DataFileStart dfA523vm known=true",
                    "DataFileEnd dfA523vm 21",
                    "JobComplete"
                ],
                "piece {piece}"
            );
            assert_eq!(data_of(&events), DATA);
            assert!(s.is_closed());
            let Some(Event::DataFileStart { file: Some(f), .. }) = events
                .iter()
                .find(|e| matches!(e, Event::DataFileStart { .. }))
            else {
                panic!("no data file start");
            };
            assert_eq!(f.format, PrintFormat::Literal);
        }
    }

    #[test]
    fn data_file_first_as_lprng_sends() {
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, &data_first(), 3);
        assert_eq!(sent, vec![ACK; 5]);
        assert_eq!(
            shape(&events),
            [
                "ReceiveJob lp",
                "DataFileStart dfA523vm known=false",
                "DataFileEnd dfA523vm 21",
                "ControlFile cfA523vm",
                "JobComplete"
            ]
        );
        assert_eq!(data_of(&events), DATA);
    }

    #[test]
    fn the_session_waits_for_each_verdict() {
        let mut s = session();
        s.handle_input(&control_first());
        assert!(matches!(s.poll_event(), Some(Event::ReceiveJob { .. })));
        assert_eq!(s.awaiting(), Reply::Verdict);
        assert_eq!(s.poll_event(), None);
        assert_eq!(s.poll_transmit(), None);
        s.accept();
        assert_eq!(s.poll_transmit(), Some(vec![ACK]));
        assert!(matches!(s.poll_event(), Some(Event::ControlFile { .. })));
        // The control file's subcommand was acknowledged before its bytes.
        assert_eq!(s.poll_transmit(), Some(vec![ACK]));
        s.refuse("not accepting jobs");
        assert_eq!(s.poll_transmit(), Some(vec![NACK]));
        // No job existed yet (its control file was refused): only a refusal.
        assert_eq!(
            s.poll_event(),
            Some(Event::Refused(Refusal::Printer {
                reason: "not accepting jobs".into()
            }))
        );
        assert!(s.is_closed());
    }

    #[test]
    fn a_refused_job_with_data_fails_the_job() {
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, &data_first()[..40], 1000);
        assert_eq!(sent, vec![ACK, ACK, ACK]);
        assert!(matches!(events.last(), Some(Event::JobFailed { .. })));
        let mut s = session();
        s.handle_input(&data_first());
        while let Some(e) = s.poll_event() {
            match e {
                Event::ControlFile { .. } => s.refuse("spool full"),
                e if e.reply() == Reply::Verdict => s.accept(),
                _ => {}
            }
        }
        assert_eq!(s.poll_transmit(), Some(vec![ACK, ACK, ACK, ACK, NACK]));
        assert!(s.is_closed());
    }

    #[test]
    fn abort_subcommand_fails_the_job_and_goes_on() {
        let mut input = b"\x02lp\n".to_vec();
        input.extend_from_slice(format!("\x03{} dfA1h\n", DATA.len()).as_bytes());
        input.extend_from_slice(DATA);
        input.push(0);
        input.extend_from_slice(b"\x01\n");
        input.extend_from_slice(&control_first()[4..]);
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, &input, 5);
        assert_eq!(
            shape(&events),
            [
                "ReceiveJob lp",
                "DataFileStart dfA1h known=false",
                "DataFileEnd dfA1h 21",
                "JobFailed the client aborted the job",
                "ControlFile cfA523vm",
                "DataFileStart dfA523vm known=true",
                "DataFileEnd dfA523vm 21",
                "JobComplete"
            ]
        );
        assert_eq!(sent, vec![ACK; 7]);
    }

    #[test]
    fn unknown_queue_is_refused_with_a_nack() {
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, b"\x02nope\n\x02", 100);
        assert_eq!(sent, vec![NACK]);
        assert_eq!(
            events,
            vec![Event::Refused(Refusal::UnknownQueue {
                queue: "nope".into()
            })]
        );
        let mut s = session();
        let (_, sent) = drive_accepting(&mut s, b"\x01nope\n", 100);
        assert_eq!(sent, vec![NACK]);
        let mut s = session();
        let (_, sent) = drive_accepting(&mut s, b"\x04nope\n", 100);
        assert_eq!(sent, b"unknown queue 'nope'\n");
    }

    #[test]
    fn control_file_without_host_or_user_is_refused() {
        for (cf, why) in [
            (&b"Palice\nldfA1h\n"[..], ControlError::MissingHost),
            (&b"Hh\nldfA1h\n"[..], ControlError::MissingUser),
        ] {
            let mut input = b"\x02lp\n".to_vec();
            input.extend_from_slice(format!("\x02{} cfA1h\n", cf.len()).as_bytes());
            input.extend_from_slice(cf);
            input.push(0);
            let mut s = session();
            let (events, sent) = drive_accepting(&mut s, &input, 100);
            assert_eq!(sent, vec![ACK, ACK, NACK]);
            assert_eq!(events.last(), Some(&Event::Refused(why.into())));
        }
    }

    #[test]
    fn count_mismatch_fails_the_job() {
        // The connection closes after 10 of 21 bytes.
        let mut input = b"\x02lp\n".to_vec();
        input.extend_from_slice(format!("\x02{} cfA523vm\n", CONTROL.len()).as_bytes());
        input.extend_from_slice(CONTROL);
        input.push(0);
        input.extend_from_slice(format!("\x03{} dfA523vm\n", DATA.len()).as_bytes());
        let full = input.clone();
        input.extend_from_slice(&DATA[..10]);
        let mut s = session();
        let (events, _) = drive_accepting(&mut s, &input, 100);
        assert_eq!(
            events.last(),
            Some(&Event::JobFailed {
                why: Refusal::ClosedEarly {
                    name: "dfA523vm".into(),
                    expected: 21,
                    received: 10
                }
            })
        );
        // All bytes, but something other than the zero octet after them.
        let mut bad = full.clone();
        bad.extend_from_slice(DATA);
        bad.push(b'X');
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, &bad, 100);
        assert_eq!(sent.last(), Some(&NACK));
        assert_eq!(
            events.last(),
            Some(&Event::JobFailed {
                why: Refusal::BadTerminator {
                    name: "dfA523vm".into(),
                    found: b'X'
                }
            })
        );
        // All bytes, then the connection closes: no terminator.
        let mut none = full;
        none.extend_from_slice(DATA);
        let mut s = session();
        let (events, _) = drive_accepting(&mut s, &none, 100);
        assert_eq!(
            events.last(),
            Some(&Event::JobFailed {
                why: Refusal::NoTerminator {
                    name: "dfA523vm".into()
                }
            })
        );
    }

    #[test]
    fn count_zero_reads_until_the_connection_closes() {
        let mut input = b"\x02lp\n".to_vec();
        input.extend_from_slice(format!("\x02{} cfA523vm\n", CONTROL.len()).as_bytes());
        input.extend_from_slice(CONTROL);
        input.push(0);
        input.extend_from_slice(b"\x030 dfA523vm\n");
        input.extend_from_slice(DATA);
        input.push(0); // part of the data: everything until EOF is
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, &input, 4);
        assert_eq!(
            shape(&events)[3..],
            ["DataFileEnd dfA523vm 22", "JobComplete"]
        );
        let mut want = DATA.to_vec();
        want.push(0);
        assert_eq!(data_of(&events), want);
        assert_eq!(sent, vec![ACK; 5]);
        // Data first with count 0: no control file can follow.
        let mut s = session();
        let (events, _) = drive_accepting(&mut s, b"\x02lp\n\x030 dfA1h\nbytes", 4);
        assert_eq!(
            events.last(),
            Some(&Event::JobFailed {
                why: Refusal::NoControlFile
            })
        );
    }

    #[test]
    fn a_job_missing_data_files_fails_at_eof() {
        let input = control_first();
        let cut = input.windows(7).position(|w| w == b"\x0321 dfA").unwrap();
        let mut s = session();
        let (events, _) = drive_accepting(&mut s, &input[..cut], 100);
        assert_eq!(
            events.last(),
            Some(&Event::JobFailed {
                why: Refusal::IncompleteJob {
                    missing: vec!["dfA523vm".into()]
                }
            })
        );
    }

    #[test]
    fn queries_and_removals_wait_for_their_answer() {
        let mut s = session();
        s.handle_input(b"\x03lp alice 7\n");
        assert_eq!(
            s.poll_event(),
            Some(Event::Query {
                queue: "lp".into(),
                long: false,
                list: vec!["alice".into(), "7".into()]
            })
        );
        assert_eq!(s.awaiting(), Reply::Answer);
        s.answer(b"lp is ready\nno entries\n");
        assert_eq!(
            s.poll_transmit(),
            Some(b"lp is ready\nno entries\n".to_vec())
        );
        assert!(s.is_closed());
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, b"\x05lp bob 3\n", 100);
        assert_eq!(
            events,
            vec![Event::Remove {
                queue: "lp".into(),
                agent: "bob".into(),
                list: vec!["3".into()]
            }]
        );
        assert_eq!(sent, b"answer\n");
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, b"\x01lp\n", 100);
        assert_eq!(events, vec![Event::PrintWaiting { queue: "lp".into() }]);
        assert_eq!(sent, vec![ACK]);
    }

    #[test]
    fn garbage_is_refused_never_a_panic() {
        let cases: Vec<(Vec<u8>, Refusal)> = vec![
            (b"\x09lp\n".to_vec(), Refusal::UnknownCommand { code: 9 }),
            (
                b"GET / HTTP/1.1\r\n".to_vec(),
                Refusal::UnknownCommand { code: b'G' },
            ),
            (
                vec![b'x'; 5000],
                Refusal::Malformed(CommandError::LineTooLong { limit: 4096 }),
            ),
            (
                b"\x02lp\n\x07junk\n".to_vec(),
                Refusal::UnknownSubcommand { code: 7 },
            ),
            (
                b"\x02lp\n\x02abc cf\n".to_vec(),
                Refusal::Malformed(CommandError::BadCount { offset: 1 }),
            ),
            (
                b"\x02lp\n\x0299999999 cfA1h\n".to_vec(),
                Refusal::ControlTooLarge {
                    count: 99_999_999,
                    limit: DEFAULT_CONTROL_LIMIT,
                },
            ),
        ];
        for (input, why) in cases {
            let mut s = session();
            let (events, sent) = drive_accepting(&mut s, &input, 100);
            assert_eq!(sent.last(), Some(&NACK), "{input:?}");
            assert_eq!(events.last(), Some(&Event::Refused(why)), "{input:?}");
            assert!(s.is_closed());
        }
        // A half line, then the client goes.
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, b"\x02l", 100);
        assert!(sent.is_empty());
        assert_eq!(
            events,
            vec![Event::Refused(Refusal::ClosedMidLine { bytes: 2 })]
        );
        // Nothing at all: a quiet close.
        let mut s = session();
        let (events, _) = drive_accepting(&mut s, b"", 100);
        assert!(events.is_empty());
        assert!(s.is_closed());
    }

    #[test]
    fn data_too_large_and_second_control_file() {
        let mut cfg = SessionConfig::new(vec!["lp".into()]);
        cfg.max_data_bytes = 10;
        let mut s = Session::new(cfg);
        let (events, sent) = drive_accepting(&mut s, b"\x02lp\n\x0311 dfA1h\n", 100);
        assert_eq!(sent, vec![ACK, NACK]);
        assert_eq!(
            events.last(),
            Some(&Event::Refused(Refusal::DataTooLarge {
                count: 11,
                limit: 10
            }))
        );
        // Two control files for a job still missing its data file.
        let mut input = b"\x02lp\n".to_vec();
        for _ in 0..2 {
            input.extend_from_slice(format!("\x02{} cfA523vm\n", CONTROL.len()).as_bytes());
            input.extend_from_slice(CONTROL);
            input.push(0);
        }
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, &input, 100);
        assert_eq!(sent, vec![ACK, ACK, ACK, NACK]);
        assert_eq!(
            events.last(),
            Some(&Event::JobFailed {
                why: Refusal::SecondControlFile {
                    name: "cfA523vm".into()
                }
            })
        );
    }

    #[test]
    fn strict_source_port() {
        let mut cfg = SessionConfig::new(vec!["lp".into()]);
        cfg.strict_source_port = true;
        cfg.source_port = 1023;
        let mut s = Session::new(cfg.clone());
        let (events, sent) = drive_accepting(&mut s, b"\x02lp\n", 100);
        assert_eq!(sent, vec![NACK]);
        assert_eq!(
            events,
            vec![Event::Refused(Refusal::SourcePort { port: 1023 })]
        );
        for port in [721, 731] {
            cfg.source_port = port;
            let mut s = Session::new(cfg.clone());
            let (_, sent) = drive_accepting(&mut s, b"\x02lp\n", 100);
            assert_eq!(sent, vec![ACK], "port {port}");
        }
    }

    #[test]
    fn idle_timeout_fails_a_job_under_way() {
        let mut s = session();
        let input = control_first();
        s.handle_input(&input[..input.len() - 5]);
        while let Some(e) = s.poll_event() {
            if e.reply() == Reply::Verdict {
                s.accept();
            }
        }
        assert!(!s.is_idle());
        s.handle_idle_timeout();
        assert_eq!(
            s.poll_event(),
            Some(Event::JobFailed {
                why: Refusal::IdleTimeout
            })
        );
        assert!(s.is_closed());
        // Idle before anything: closed quietly.
        let mut s = session();
        assert!(s.is_idle());
        s.handle_idle_timeout();
        assert_eq!(s.poll_event(), None);
        assert!(s.is_closed());
    }

    #[test]
    fn two_jobs_on_one_connection() {
        let mut input = control_first();
        input.extend_from_slice(&data_first()[4..]);
        let mut s = session();
        let (events, sent) = drive_accepting(&mut s, &input, 9);
        let completes = events
            .iter()
            .filter(|e| matches!(e, Event::JobComplete))
            .count();
        assert_eq!(completes, 2);
        assert_eq!(sent, vec![ACK; 9]);
    }

    #[test]
    fn every_split_gives_the_same_conversation() {
        let input = data_first();
        let mut s = session();
        let (want_events, want_sent) = drive_accepting(&mut s, &input, input.len());
        for cut in 0..input.len() {
            let mut s = session();
            let mut events = Vec::new();
            let mut sent = Vec::new();
            for part in [&input[..cut], &input[cut..]] {
                s.handle_input(part);
                while let Some(e) = s.poll_event() {
                    if e.reply() == Reply::Verdict {
                        s.accept();
                    }
                    events.push(e);
                }
                sent.extend(s.poll_transmit().unwrap_or_default());
            }
            s.handle_eof();
            while let Some(e) = s.poll_event() {
                events.push(e);
            }
            assert_eq!(shape(&events), shape(&want_events), "cut {cut}");
            assert_eq!(data_of(&events), data_of(&want_events), "cut {cut}");
            assert_eq!(sent, want_sent, "cut {cut}");
        }
    }

    #[test]
    fn every_truncated_conversation_ends_cleanly() {
        for input in [control_first(), data_first()] {
            for cut in 0..input.len() {
                let mut s = session();
                let (events, _) = drive_accepting(&mut s, &input[..cut], 3);
                assert!(s.is_closed(), "cut {cut}");
                assert!(
                    !events.iter().any(|e| matches!(e, Event::JobComplete)),
                    "cut {cut}: {events:?}"
                );
            }
        }
    }
}
