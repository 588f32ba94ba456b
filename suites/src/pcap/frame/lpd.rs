//! LPD framing (RFC 1179) over a connection's two streams.
//!
//! A connection carries one daemon command (§5), a code octet 1–5, the
//! queue, operands, LF:
//!
//! ```text
//! §5.1  01 Queue LF                    print any waiting jobs
//! §5.2  02 Queue LF                    receive a printer job
//! §5.3  03 Queue SP List LF            send queue state (short)
//! §5.4  04 Queue SP List LF            send queue state (long)
//! §5.5  05 Queue SP Agent SP List LF   remove jobs
//! ```
//!
//! Receive-job is acknowledged with one octet (§5.2: "a positive
//! acknowledgement ... is a single octet of zero bits"), then subcommands
//! follow (§6): `01 LF` abort, `02 Count SP Name LF` control file, `03 Count
//! SP Name LF` data file. A file subcommand is acknowledged, then the client
//! sends `Count` bytes and a NUL (§6.2: "the daemon expects ... an octet of
//! zero bits") which is acknowledged in turn. Acks come one octet each, in
//! order, in `to_client`; a non-zero octet is a refusal. The order of the
//! files is the client's: CUPS sends the control file first, LPRng the data
//! file first (`send_data_first`). A data file with count 0 is, as LPRng
//! reads it, "send until the connection closes".
//!
//! For the other commands the server's answer is everything it sent (the
//! queue listing for 03/04; RFC 1179 defines no answer for 01 and 05).
//! The command lines are parsed with the virtual printer's own parser
//! ([`paperjam_sim::lpd::Command`], [`paperjam_sim::lpd::Subcommand`]).

use std::ops::Range;

use paperjam_sim::lpd::command::DEFAULT_LINE_LIMIT;
use paperjam_sim::lpd::{Command, Subcommand};

use super::{text, Dir, FrameProblem, ProblemKind};

/// Every LPD command of a connection (one, unless the client sends more).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LpdSplit {
    /// The commands in order.
    pub commands: Vec<LpdCommand>,
    /// What could not be framed, or broke a rule, in either stream.
    pub problems: Vec<FrameProblem>,
}

/// A daemon command, as parsed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LpdCommandKind {
    /// §5.1 print any waiting jobs.
    PrintWaiting {
        /// The queue.
        queue: String,
    },
    /// §5.2 receive a printer job.
    ReceiveJob {
        /// The queue.
        queue: String,
    },
    /// §5.3/§5.4 send queue state.
    QueueState {
        /// Long form (04) rather than short (03).
        long: bool,
        /// The queue.
        queue: String,
        /// User names and job numbers asked for.
        list: Vec<String>,
    },
    /// §5.5 remove jobs.
    Remove {
        /// The queue.
        queue: String,
        /// The user asking.
        agent: String,
        /// User names and job numbers to remove.
        list: Vec<String>,
    },
    /// A code RFC 1179 does not define.
    Unknown {
        /// The code octet.
        code: u8,
        /// The operands as text.
        operands: String,
    },
}

impl LpdCommandKind {
    fn from_sim(c: Command) -> Self {
        match c {
            Command::PrintWaiting { queue } => LpdCommandKind::PrintWaiting { queue },
            Command::ReceiveJob { queue } => LpdCommandKind::ReceiveJob { queue },
            Command::QueueState { long, queue, list } => {
                LpdCommandKind::QueueState { long, queue, list }
            }
            Command::Remove { queue, agent, list } => LpdCommandKind::Remove { queue, agent, list },
            Command::Unknown { code, operands } => LpdCommandKind::Unknown {
                code,
                operands: text(&operands),
            },
        }
    }
}

/// One daemon command with everything that belongs to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LpdCommand {
    /// The command line in `to_server`, LF included.
    pub range: Range<usize>,
    /// The code octet.
    pub code: u8,
    /// The command, parsed.
    pub kind: LpdCommandKind,
    /// For receive-job: the server's acknowledgement of the command
    /// (`Some(0)` accepted, `Some(x)` refused, `None` missing).
    pub ack: Option<u8>,
    /// Where that ack is in `to_client`.
    pub ack_offset: Option<usize>,
    /// For receive-job: the subcommands in order.
    pub subcommands: Vec<LpdSubcommand>,
    /// What else the server sent: the queue listing for 03/04, anything
    /// after the acks for receive-job.
    pub answer: Option<Range<usize>>,
    /// `answer` as text.
    pub answer_text: Option<String>,
}

/// Which receive-job subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubcommandKind {
    /// §6.1 abort job.
    Abort,
    /// §6.2 receive control file.
    ControlFile,
    /// §6.3 receive data file.
    DataFile,
    /// A code §6 does not define.
    Unknown(u8),
}

/// One line of a control file (RFC 1179 §7): a letter and its value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ControlLine {
    /// The letter (`H`, `P`, `J`, `l`…).
    pub letter: char,
    /// Everything after it, without the LF (and a CR before it).
    pub value: String,
}

/// One receive-job subcommand with its file and acks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LpdSubcommand {
    /// The subcommand line in `to_server`, LF included.
    pub range: Range<usize>,
    /// Which subcommand.
    pub kind: SubcommandKind,
    /// The file's name (`cfA123host`, `dfA123host`).
    pub name: Option<String>,
    /// The announced byte count (0 for a data file: until the connection
    /// closes).
    pub count: Option<u64>,
    /// The server's ack of the line (`Some(0)` accepted).
    pub ack: Option<u8>,
    /// Where that ack is in `to_client`.
    pub ack_offset: Option<usize>,
    /// The file's bytes in `to_server` (fewer than `count` when the stream
    /// ended first).
    pub content: Option<Range<usize>>,
    /// Where the NUL after the file is in `to_server`.
    pub nul: Option<usize>,
    /// The server's ack of the file (`Some(0)` accepted).
    pub content_ack: Option<u8>,
    /// Where that ack is in `to_client`.
    pub content_ack_offset: Option<usize>,
    /// A control file's lines.
    pub control: Vec<ControlLine>,
    /// Whether the file (and its NUL) are all here.
    pub complete: bool,
}

/// The acks in `to_client`, one octet each, taken in order.
struct Acks<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Acks<'_> {
    fn take(&mut self) -> (Option<u8>, Option<usize>) {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                (Some(b), Some(self.pos - 1))
            }
            None => (None, None),
        }
    }
}

/// Split a connection's streams into LPD commands. Never panics.
pub fn split_lpd(to_server: &[u8], to_client: &[u8]) -> LpdSplit {
    let mut out = LpdSplit::default();
    let mut pos = 0;
    let mut acks = Acks {
        buf: to_client,
        pos: 0,
    };
    while pos < to_server.len() {
        let rest = &to_server[pos..];
        let (cmd, len) = match Command::parse(rest, DEFAULT_LINE_LIMIT) {
            Ok(Some(c)) => c,
            Ok(None) => {
                out.problems.push(FrameProblem::new(
                    Dir::ToServer,
                    pos,
                    rest.len(),
                    ProblemKind::Truncated,
                    "the stream ends inside a command line (no LF)",
                ));
                break;
            }
            Err(e) => {
                out.problems.push(FrameProblem::unparsed(
                    Dir::ToServer,
                    pos,
                    to_server.len(),
                    format!("malformed LPD command line: {e}"),
                ));
                break;
            }
        };
        let code = cmd.code();
        let receive = matches!(cmd, Command::ReceiveJob { .. });
        let mut c = LpdCommand {
            range: pos..pos + len,
            code,
            kind: LpdCommandKind::from_sim(cmd),
            ack: None,
            ack_offset: None,
            subcommands: Vec::new(),
            answer: None,
            answer_text: None,
        };
        pos += len;
        if receive {
            (c.ack, c.ack_offset) = acks.take();
            pos = subcommands(to_server, pos, &mut acks, &mut c, &mut out.problems);
        }
        out.commands.push(c);
    }
    // What the server sent beyond the acks is the first command's answer
    // (only one is answered: RFC 1179 closes the connection after each).
    if acks.pos < to_client.len() {
        let range = acks.pos..to_client.len();
        if let Some(c) = out.commands.first_mut() {
            if matches!(c.kind, LpdCommandKind::ReceiveJob { .. }) {
                out.problems.push(FrameProblem::new(
                    Dir::ToClient,
                    range.start,
                    range.len(),
                    ProblemKind::Unmatched,
                    format!("{} byte(s) from the server after the last ack", range.len()),
                ));
            }
            c.answer_text = Some(text(&to_client[range.clone()]));
            c.answer = Some(range);
        } else {
            out.problems.push(FrameProblem::new(
                Dir::ToClient,
                range.start,
                range.len(),
                ProblemKind::Unmatched,
                "the server sent bytes, but the client sent no command",
            ));
        }
    }
    out
}

/// Read receive-job subcommands from `pos` to the end of `to_server`;
/// returns where reading stopped.
fn subcommands(
    to_server: &[u8],
    mut pos: usize,
    acks: &mut Acks<'_>,
    c: &mut LpdCommand,
    problems: &mut Vec<FrameProblem>,
) -> usize {
    while pos < to_server.len() {
        let rest = &to_server[pos..];
        let (sub, len) = match Subcommand::parse(rest, DEFAULT_LINE_LIMIT) {
            Ok(Some(s)) => s,
            Ok(None) => {
                problems.push(FrameProblem::new(
                    Dir::ToServer,
                    pos,
                    rest.len(),
                    ProblemKind::Truncated,
                    "the stream ends inside a subcommand line (no LF)",
                ));
                return to_server.len();
            }
            Err(e) => {
                problems.push(FrameProblem::unparsed(
                    Dir::ToServer,
                    pos,
                    to_server.len(),
                    format!("malformed receive-job subcommand: {e}"),
                ));
                return to_server.len();
            }
        };
        let mut s = LpdSubcommand {
            range: pos..pos + len,
            kind: SubcommandKind::Unknown(sub.code()),
            name: None,
            count: None,
            ack: None,
            ack_offset: None,
            content: None,
            nul: None,
            content_ack: None,
            content_ack_offset: None,
            control: Vec::new(),
            complete: true,
        };
        pos += len;
        let control = matches!(sub, Subcommand::ControlFile { .. });
        match sub {
            Subcommand::Abort => s.kind = SubcommandKind::Abort,
            Subcommand::Unknown { code, .. } => {
                // Servers refuse what they do not know; take its ack.
                (s.ack, s.ack_offset) = acks.take();
                problems.push(FrameProblem::new(
                    Dir::ToServer,
                    s.range.start,
                    len,
                    ProblemKind::Malformed,
                    format!("receive-job subcommand {code:#04x} is not defined by RFC 1179 §6"),
                ));
            }
            Subcommand::ControlFile { count, name } | Subcommand::DataFile { count, name } => {
                s.kind = if control {
                    SubcommandKind::ControlFile
                } else {
                    SubcommandKind::DataFile
                };
                s.name = Some(name);
                s.count = Some(count);
                (s.ack, s.ack_offset) = acks.take();
                if matches!(s.ack, Some(b) if b != 0) {
                    // Refused: the client sends no file (§6.2, §6.3).
                    c.subcommands.push(s);
                    continue;
                }
                pos = file(to_server, pos, count, control, &mut s, problems);
                if s.nul.is_some() || (count == 0 && !control) {
                    (s.content_ack, s.content_ack_offset) = acks.take();
                }
                if !s.complete {
                    c.subcommands.push(s);
                    return pos;
                }
            }
        }
        c.subcommands.push(s);
    }
    pos
}

/// Read a file of `count` bytes and its NUL at `pos`; returns where the
/// next subcommand starts.
fn file(
    to_server: &[u8],
    pos: usize,
    count: u64,
    control: bool,
    s: &mut LpdSubcommand,
    problems: &mut Vec<FrameProblem>,
) -> usize {
    let avail = to_server.len() - pos;
    if count == 0 && !control {
        // LPRng: a data file of length 0 runs to the end of the connection.
        s.content = Some(pos..to_server.len());
        return to_server.len();
    }
    let take = usize::try_from(count).map_or(avail, |n| n.min(avail));
    let end = pos + take;
    s.content = Some(pos..end);
    if control {
        s.control = control_lines(&to_server[pos..end]);
    }
    if u64::try_from(take).map_or(true, |t| t < count) {
        s.complete = false;
        problems.push(FrameProblem::new(
            Dir::ToServer,
            pos,
            take,
            ProblemKind::Truncated,
            format!("the stream ends {take} byte(s) into a {count}-byte file"),
        ));
        return end;
    }
    match to_server.get(end) {
        Some(0) => {
            s.nul = Some(end);
            end + 1
        }
        None => {
            s.complete = false;
            problems.push(FrameProblem::new(
                Dir::ToServer,
                end,
                0,
                ProblemKind::Truncated,
                "the stream ends before the NUL that follows the file",
            ));
            end
        }
        Some(&b) => {
            // RFC 1179 §6.2/§6.3: "Once all of the contents have been
            // delivered, an octet of zero bits is sent as an indication
            // that the file being sent is complete."
            problems.push(FrameProblem::new(
                Dir::ToServer,
                end,
                1,
                ProblemKind::Violation,
                format!("the file is followed by {b:#04x}, not the NUL RFC 1179 §6.2 requires"),
            ));
            end
        }
    }
}

/// The lines of a control file (RFC 1179 §7), blank ones skipped.
pub fn control_lines(bytes: &[u8]) -> Vec<ControlLine> {
    bytes
        .split(|&b| b == b'\n')
        .filter_map(|raw| {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let (&first, rest) = raw.split_first()?;
            Some(ControlLine {
                letter: char::from(first),
                value: text(rest),
            })
        })
        .collect()
}
