//! AppSocket ("raw", port 9100) framing: the client's stream is one job of
//! print data, perhaps wrapped in PJL; the server's is the back-channel.
//!
//! PJL (HP's *PJL Technical Reference Manual*, the "PJL ref") is found as the
//! virtual printer finds it: a UEL (`ESC%-12345X`, ch. 5: "the UEL command
//! must be at the beginning and at the end of every PJL job") switches to
//! PJL; `@PJL` command lines follow, each parsed with
//! [`paperjam_sim::pjl::Command`]; `@PJL ENTER LANGUAGE = x` starts print
//! data in language `x` that runs to the next UEL (ch. 6). Bytes where a PJL
//! line is due that are not one are print data too (the printer switches
//! language by content), as is a stream with no PJL at all (the CUPS
//! `socket` backend sends the bare document); those documents' language is
//! guessed from their first bytes. CR and LF between PJL lines are skipped.
//!
//! The back-channel is split into PJL responses (`@PJL <header>` CRLF, body
//! lines, then a form feed: ch. 7, "every response ends with `<FF>`"), parsed
//! with [`paperjam_sim::pjl::Response`], and other text (PostScript
//! `%%[ … ]%%` messages, anything else).

use std::ops::Range;

use paperjam_sim::pjl::{self, Command, PjlError, Response};

use super::{text, Dir, FrameProblem, ProblemKind};

/// An AppSocket connection, framed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SocketSplit {
    /// The job: all of `to_server`.
    pub job: Range<usize>,
    /// Where each UEL starts in `to_server`.
    pub uels: Vec<usize>,
    /// The PJL command lines, in order.
    pub pjl: Vec<PjlLine>,
    /// The print data, in order.
    pub documents: Vec<SocketDocument>,
    /// The back-channel (`to_client`), part by part.
    pub back_channel: Vec<BackChannelPart>,
    /// What could not be framed, or broke a rule, in either stream.
    pub problems: Vec<FrameProblem>,
}

/// What a PJL command line does, as far as a capture reader cares.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PjlKind {
    /// `@PJL` alone.
    Prefix,
    /// `INFO category`: the printer answers on the back-channel.
    Info {
        /// The category (`ID`, `STATUS`…).
        category: String,
    },
    /// `USTATUS kind = value`.
    Ustatus {
        /// `DEVICE`, `JOB`, `PAGE`, `TIMED`…
        kind: String,
        /// `ON`, `OFF`, `VERBOSE` or seconds.
        value: String,
    },
    /// `USTATUSOFF`.
    UstatusOff,
    /// `ECHO text`: the printer echoes it back.
    Echo {
        /// The text.
        text: String,
    },
    /// `JOB`: a job begins.
    Job {
        /// `NAME`.
        name: Option<String>,
    },
    /// `EOJ`: the job ends.
    Eoj {
        /// `NAME`.
        name: Option<String>,
    },
    /// `ENTER LANGUAGE = x`: print data follows.
    EnterLanguage {
        /// The language, as sent.
        language: String,
    },
    /// `SET variable = value`.
    Set {
        /// The variable.
        variable: String,
        /// Its value.
        value: String,
    },
    /// `DEFAULT variable = value`.
    Default {
        /// The variable.
        variable: String,
        /// Its value.
        value: String,
    },
    /// `INQUIRE variable`.
    Inquire {
        /// The variable.
        variable: String,
    },
    /// `DINQUIRE variable`.
    Dinquire {
        /// The variable.
        variable: String,
    },
    /// `COMMENT text`.
    Comment,
    /// Another command (`RDYMSG`, `RESET`…).
    Other {
        /// The command, upper case.
        command: String,
    },
    /// A line that starts with `@PJL` but does not parse.
    Malformed {
        /// Why, as the PJL parser says.
        error: String,
    },
}

impl PjlKind {
    fn from_command(c: Command) -> Self {
        match c {
            Command::Prefix => PjlKind::Prefix,
            Command::Comment(_) => PjlKind::Comment,
            Command::Echo(text) => PjlKind::Echo { text },
            Command::Enter { language } => PjlKind::EnterLanguage { language },
            Command::Job { name, .. } => PjlKind::Job { name },
            Command::Eoj { name, .. } => PjlKind::Eoj { name },
            Command::Set(a) => PjlKind::Set {
                variable: a.variable,
                value: a.value.text().to_string(),
            },
            Command::Default(a) => PjlKind::Default {
                variable: a.variable,
                value: a.value.text().to_string(),
            },
            Command::Inquire(q) => PjlKind::Inquire {
                variable: q.variable,
            },
            Command::Dinquire(q) => PjlKind::Dinquire {
                variable: q.variable,
            },
            Command::Info(c) => PjlKind::Info {
                category: c.name().to_string(),
            },
            Command::Ustatus { kind, value } => PjlKind::Ustatus {
                kind: kind.name().to_string(),
                value: value.text().to_string(),
            },
            Command::UstatusOff => PjlKind::UstatusOff,
            Command::Other { command, .. } => PjlKind::Other { command },
        }
    }
}

/// One `@PJL` command line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PjlLine {
    /// The line in `to_server`, its LF included.
    pub range: Range<usize>,
    /// The line without CR/LF.
    pub text: String,
    /// What it does.
    pub kind: PjlKind,
    /// Whether its LF is there (`false` when the stream ended first).
    pub terminated: bool,
}

/// A run of print data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SocketDocument {
    /// Its bytes in `to_server`.
    pub range: Range<usize>,
    /// The language: from `ENTER LANGUAGE`, or guessed from the first bytes
    /// (`PDF`, `POSTSCRIPT`, `PCL`, `PCLXL`); `None` when unknown.
    pub language: Option<String>,
    /// Whether `language` comes from an `ENTER LANGUAGE` line.
    pub entered: bool,
    /// Whether a UEL ends it (otherwise the stream does).
    pub ended_by_uel: bool,
}

/// What a part of the back-channel is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackChannelKind {
    /// A PJL response.
    Pjl {
        /// The header after `@PJL ` (`INFO ID`, `ECHO x`, `USTATUS DEVICE`).
        header: String,
        /// The body lines.
        lines: Vec<String>,
    },
    /// Anything else, as text.
    Text {
        /// The bytes as text.
        text: String,
    },
}

/// One part of the back-channel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackChannelPart {
    /// Its bytes in `to_client` (a PJL response's form feed included).
    pub range: Range<usize>,
    /// What it is.
    pub kind: BackChannelKind,
    /// `false` for a PJL response whose form feed never came.
    pub complete: bool,
}

impl BackChannelPart {
    /// The PJL response header's first word (`INFO`, `ECHO`, `USTATUS`…).
    pub fn pjl_command(&self) -> Option<&str> {
        match &self.kind {
            BackChannelKind::Pjl { header, .. } => header.split_whitespace().next(),
            BackChannelKind::Text { .. } => None,
        }
    }
}

/// The language of print data, from its first bytes.
pub fn guess_language(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"%PDF") {
        Some("PDF")
    } else if data.starts_with(b"%!") {
        Some("POSTSCRIPT")
    } else if data.starts_with(b") HP-PCL XL") {
        Some("PCLXL")
    } else if data.starts_with(b"\x1b") {
        Some("PCL")
    } else {
        None
    }
}

/// Split an AppSocket connection's streams. Never panics.
pub fn split_socket(to_server: &[u8], to_client: &[u8]) -> SocketSplit {
    let mut out = SocketSplit {
        job: 0..to_server.len(),
        ..SocketSplit::default()
    };
    job(to_server, &mut out);
    out.back_channel = back_channel(to_client, &mut out.problems);
    out
}

/// Where the next UEL at or after `from` starts, if one does.
fn next_uel(buf: &[u8], from: usize) -> Option<usize> {
    match pjl::find_uel(&buf[from..]) {
        pjl::UelScan::Found(i) => Some(from + i),
        pjl::UelScan::Partial(_) | pjl::UelScan::None => None,
    }
}

fn job(buf: &[u8], out: &mut SocketSplit) {
    let mut pos = 0;
    // What the next bytes are: PJL lines (after a UEL), or print data.
    let mut entered: Option<String> = None;
    let mut in_pjl = false;
    while pos < buf.len() {
        let rest = &buf[pos..];
        if rest.starts_with(pjl::UEL) {
            out.uels.push(pos);
            pos += pjl::UEL.len();
            in_pjl = true;
            entered = None;
            continue;
        }
        if rest.starts_with(pjl::PREFIX) && (in_pjl || pos == 0) {
            if !in_pjl {
                // PJL ref ch. 5: every PJL job starts with a UEL.
                out.problems.push(FrameProblem::new(
                    Dir::ToServer,
                    pos,
                    0,
                    ProblemKind::Violation,
                    "PJL without the UEL a PJL job must start with (PJL ref ch. 5)",
                ));
                in_pjl = true;
            }
            let line = pjl_line(buf, pos, &mut out.problems);
            pos = line.range.end;
            if let PjlKind::EnterLanguage { language } = &line.kind {
                entered = Some(language.clone());
                in_pjl = false;
            }
            out.pjl.push(line);
            if entered.is_some() {
                pos = document(buf, pos, entered.take(), true, out);
            }
            continue;
        }
        if in_pjl && matches!(rest[0], b'\r' | b'\n') {
            pos += 1;
            continue;
        }
        let language = guess_language(rest).map(str::to_string);
        pos = document(buf, pos, language, false, out);
        in_pjl = false;
    }
}

/// A run of print data from `pos` to the next UEL or the end.
fn document(
    buf: &[u8],
    pos: usize,
    language: Option<String>,
    entered: bool,
    out: &mut SocketSplit,
) -> usize {
    let end = next_uel(buf, pos);
    out.documents.push(SocketDocument {
        range: pos..end.unwrap_or(buf.len()),
        language,
        entered,
        ended_by_uel: end.is_some(),
    });
    end.unwrap_or(buf.len())
}

/// The `@PJL` line at `pos`.
fn pjl_line(buf: &[u8], pos: usize, problems: &mut Vec<FrameProblem>) -> PjlLine {
    let rest = &buf[pos..];
    let (line, len, terminated) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], i + 1, true),
        None => (rest, rest.len(), false),
    };
    let kind = match Command::parse_line(line) {
        Ok(c) => PjlKind::from_command(c),
        Err(e) => {
            problems.push(FrameProblem::new(
                Dir::ToServer,
                pos,
                len,
                ProblemKind::Malformed,
                format!("PJL command line: {e}"),
            ));
            PjlKind::Malformed {
                error: e.to_string(),
            }
        }
    };
    if !terminated {
        problems.push(FrameProblem::new(
            Dir::ToServer,
            pos,
            len,
            ProblemKind::Truncated,
            "the stream ends inside a PJL command line (no LF)",
        ));
    }
    let shown = line.strip_suffix(b"\r").unwrap_or(line);
    PjlLine {
        range: pos..pos + len,
        text: text(shown),
        kind,
        terminated,
    }
}

/// The back-channel, part by part.
fn back_channel(buf: &[u8], problems: &mut Vec<FrameProblem>) -> Vec<BackChannelPart> {
    let mut parts = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let rest = &buf[pos..];
        if rest.starts_with(pjl::PREFIX) {
            match Response::parse(rest) {
                Ok((r, n)) => {
                    parts.push(BackChannelPart {
                        range: pos..pos + n,
                        kind: BackChannelKind::Pjl {
                            header: r.header,
                            lines: r.lines,
                        },
                        complete: true,
                    });
                    pos += n;
                    continue;
                }
                Err(PjlError::Incomplete { .. }) => {
                    // Read what is there as if the form feed had come.
                    let mut whole = rest.to_vec();
                    whole.push(pjl::response::FF);
                    if let Ok((r, _)) = Response::parse(&whole) {
                        problems.push(FrameProblem::new(
                            Dir::ToClient,
                            pos,
                            rest.len(),
                            ProblemKind::Truncated,
                            "the stream ends inside a PJL response (no form feed)",
                        ));
                        parts.push(BackChannelPart {
                            range: pos..buf.len(),
                            kind: BackChannelKind::Pjl {
                                header: r.header,
                                lines: r.lines,
                            },
                            complete: false,
                        });
                        break;
                    }
                }
                Err(_) => {}
            }
        }
        // Text up to the next `@PJL` (not the one it starts with).
        let end = find(&rest[1..], pjl::PREFIX).map_or(buf.len(), |i| pos + 1 + i);
        parts.push(BackChannelPart {
            range: pos..end,
            kind: BackChannelKind::Text {
                text: text(&buf[pos..end]),
            },
            complete: true,
        });
        pos = end;
    }
    parts
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
