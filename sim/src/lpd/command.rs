//! Daemon commands (RFC 1179 §5) and receive-job subcommands (§6): one line
//! each, a code octet, operands separated by spaces, ended by LF.
//!
//! ```text
//! §5.1  01 Queue LF                    print any waiting jobs
//! §5.2  02 Queue LF                    receive a printer job
//! §5.3  03 Queue SP List LF            send queue state (short)
//! §5.4  04 Queue SP List LF            send queue state (long)
//! §5.5  05 Queue SP Agent SP List LF   remove jobs
//! §6.1  01 LF                          abort job
//! §6.2  02 Count SP Name LF            receive control file
//! §6.3  03 Count SP Name LF            receive data file
//! ```
//!
//! [`Command::parse`] and [`Subcommand::parse`] read one line from the front
//! of a buffer and say how many bytes it took (`Ok(None)`: no LF yet, read
//! more); `emit` writes the canonical form back. Codes this module does not
//! know (LPRng's 06–09, garbage) parse as `Unknown` with their raw operand
//! bytes, so they survive a round trip and the session can name them when it
//! refuses them. Parsing is lenient where real clients are: runs of spaces or
//! tabs separate operands and a CR before the LF is dropped; `emit` always
//! writes single spaces and a bare LF.

use std::fmt;

/// A daemon command: the first line a client sends on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// §5.1 `01 Queue LF`: start printing waiting jobs.
    PrintWaiting {
        /// The queue.
        queue: String,
    },
    /// §5.2 `02 Queue LF`: the client sends a job; subcommands follow.
    ReceiveJob {
        /// The queue.
        queue: String,
    },
    /// §5.3 and §5.4 `03`/`04 Queue SP List LF`: list the queue.
    QueueState {
        /// `04` (long form) rather than `03` (short form).
        long: bool,
        /// The queue.
        queue: String,
        /// User names and job numbers to list; empty lists every job.
        list: Vec<String>,
    },
    /// §5.5 `05 Queue SP Agent SP List LF`: remove jobs.
    Remove {
        /// The queue.
        queue: String,
        /// The user asking (`root` may remove any job).
        agent: String,
        /// User names and job numbers to remove (`-` for all of the agent's).
        list: Vec<String>,
    },
    /// A code RFC 1179 does not define (LPRng's 06–09, or garbage).
    Unknown {
        /// The code octet.
        code: u8,
        /// Everything between the code and the LF, as sent.
        operands: Vec<u8>,
    },
}

/// A receive-job subcommand (§6), sent after `02 Queue LF` was acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subcommand {
    /// §6.1 `01 LF`: forget the job being received.
    Abort,
    /// §6.2 `02 Count SP Name LF`: a control file of `count` bytes follows.
    ControlFile {
        /// Its length in bytes.
        count: u64,
        /// Its name (`cfA` + job number + host).
        name: String,
    },
    /// §6.3 `03 Count SP Name LF`: a data file of `count` bytes follows;
    /// 0 means (as LPRng reads it) everything until the connection closes.
    DataFile {
        /// Its length in bytes, or 0 for "until the connection closes".
        count: u64,
        /// Its name (`dfA` + job number + host).
        name: String,
    },
    /// A code §6 does not define.
    Unknown {
        /// The code octet.
        code: u8,
        /// Everything between the code and the LF, as sent.
        operands: Vec<u8>,
    },
}

/// Why a command or subcommand line is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// No LF within the first `limit` bytes.
    #[error("no LF within {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// The line is only an LF: there is no code octet.
    #[error("empty line: no command code")]
    EmptyLine,
    /// The queue operand is missing or empty.
    #[error("command {code:#04x} names no queue")]
    MissingQueue {
        /// The command code.
        code: u8,
    },
    /// `05` without the agent operand.
    #[error("remove-jobs command names no agent")]
    MissingAgent,
    /// A file subcommand without its count.
    #[error("subcommand {code:#04x} has no byte count")]
    MissingCount {
        /// The subcommand code.
        code: u8,
    },
    /// A file subcommand whose count is not a decimal number.
    #[error("byte count at offset {offset} is not a decimal number")]
    BadCount {
        /// Offset of the count in the line.
        offset: usize,
    },
    /// A file subcommand whose count does not fit in 64 bits.
    #[error("byte count at offset {offset} is too large")]
    CountOverflow {
        /// Offset of the count in the line.
        offset: usize,
    },
    /// A file subcommand without the file name.
    #[error("subcommand {code:#04x} names no file")]
    MissingFileName {
        /// The subcommand code.
        code: u8,
    },
    /// An operand is not UTF-8 text.
    #[error("operand at offset {offset} is not UTF-8 text")]
    NotText {
        /// Offset of the operand in the line.
        offset: usize,
    },
    /// An operand holds a control character (other than the separators).
    #[error("control character {byte:#04x} at offset {offset}")]
    ControlCharacter {
        /// The byte.
        byte: u8,
        /// Its offset in the line.
        offset: usize,
    },
}

/// The longest command line accepted by default (RFC 1179 sets none).
pub const DEFAULT_LINE_LIMIT: usize = 4096;

/// Find the line at the front of `buf`: `Ok(Some(len))` with `len` counting
/// the LF, `Ok(None)` when no LF has come yet and `limit` is not reached.
pub fn find_line(buf: &[u8], limit: usize) -> Result<Option<usize>, CommandError> {
    let window = &buf[..buf.len().min(limit)];
    match window.iter().position(|&b| b == b'\n') {
        Some(i) => Ok(Some(i + 1)),
        None if buf.len() >= limit => Err(CommandError::LineTooLong { limit }),
        None => Ok(None),
    }
}

/// The operands of a line (between the code octet and the LF, CR dropped),
/// split on runs of spaces and tabs, each with its offset in the line.
fn operands(line: &[u8]) -> Result<Vec<(usize, &str)>, CommandError> {
    let mut body = &line[1..line.len() - 1];
    if body.last() == Some(&b'\r') {
        body = &body[..body.len() - 1];
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        if body[i] == b' ' || body[i] == b'\t' {
            i += 1;
            continue;
        }
        let start = i;
        while i < body.len() && body[i] != b' ' && body[i] != b'\t' {
            if body[i] < 0x20 || body[i] == 0x7f {
                return Err(CommandError::ControlCharacter {
                    byte: body[i],
                    offset: i + 1,
                });
            }
            i += 1;
        }
        let text = std::str::from_utf8(&body[start..i])
            .map_err(|_| CommandError::NotText { offset: start + 1 })?;
        out.push((start + 1, text));
    }
    Ok(out)
}

fn raw_operands(line: &[u8]) -> Vec<u8> {
    line[1..line.len() - 1].to_vec()
}

impl Command {
    /// Parse the command line at the front of `buf` (at most `limit` bytes
    /// before its LF). `Ok(None)`: the LF has not arrived yet.
    pub fn parse(buf: &[u8], limit: usize) -> Result<Option<(Command, usize)>, CommandError> {
        let Some(len) = find_line(buf, limit)? else {
            return Ok(None);
        };
        let line = &buf[..len];
        if len == 1 {
            return Err(CommandError::EmptyLine);
        }
        let code = line[0];
        if !(1..=5).contains(&code) {
            return Ok(Some((
                Command::Unknown {
                    code,
                    operands: raw_operands(line),
                },
                len,
            )));
        }
        let ops = operands(line)?;
        let mut it = ops.into_iter().map(|(_, s)| s.to_string());
        let queue = it.next().ok_or(CommandError::MissingQueue { code })?;
        let cmd = match code {
            1 => Command::PrintWaiting { queue },
            2 => Command::ReceiveJob { queue },
            3 | 4 => Command::QueueState {
                long: code == 4,
                queue,
                list: it.collect(),
            },
            _ => {
                let agent = it.next().ok_or(CommandError::MissingAgent)?;
                Command::Remove {
                    queue,
                    agent,
                    list: it.collect(),
                }
            }
        };
        Ok(Some((cmd, len)))
    }

    /// The code octet.
    pub fn code(&self) -> u8 {
        match self {
            Command::PrintWaiting { .. } => 1,
            Command::ReceiveJob { .. } => 2,
            Command::QueueState { long: false, .. } => 3,
            Command::QueueState { long: true, .. } => 4,
            Command::Remove { .. } => 5,
            Command::Unknown { code, .. } => *code,
        }
    }

    /// The queue it names (`None` for an unknown command).
    pub fn queue(&self) -> Option<&str> {
        match self {
            Command::PrintWaiting { queue }
            | Command::ReceiveJob { queue }
            | Command::QueueState { queue, .. }
            | Command::Remove { queue, .. } => Some(queue),
            Command::Unknown { .. } => None,
        }
    }

    /// Append the line to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.code());
        match self {
            Command::PrintWaiting { queue } | Command::ReceiveJob { queue } => {
                out.extend_from_slice(queue.as_bytes());
            }
            Command::QueueState { queue, list, .. } => {
                out.extend_from_slice(queue.as_bytes());
                for item in list {
                    out.push(b' ');
                    out.extend_from_slice(item.as_bytes());
                }
            }
            Command::Remove { queue, agent, list } => {
                out.extend_from_slice(queue.as_bytes());
                out.push(b' ');
                out.extend_from_slice(agent.as_bytes());
                for item in list {
                    out.push(b' ');
                    out.extend_from_slice(item.as_bytes());
                }
            }
            Command::Unknown { operands, .. } => out.extend_from_slice(operands),
        }
        out.push(b'\n');
    }

    /// The line as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.emit(&mut v);
        v
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::PrintWaiting { queue } => write!(f, "print-waiting-jobs {queue}"),
            Command::ReceiveJob { queue } => write!(f, "receive-job {queue}"),
            Command::QueueState { long, queue, list } => write!(
                f,
                "{}-queue-state {queue} [{}]",
                if *long { "long" } else { "short" },
                list.join(" ")
            ),
            Command::Remove { queue, agent, list } => {
                write!(f, "remove-jobs {queue} by {agent} [{}]", list.join(" "))
            }
            Command::Unknown { code, .. } => write!(f, "unknown command {code:#04x}"),
        }
    }
}

impl Subcommand {
    /// Parse the subcommand line at the front of `buf` (at most `limit` bytes
    /// before its LF). `Ok(None)`: the LF has not arrived yet.
    pub fn parse(buf: &[u8], limit: usize) -> Result<Option<(Subcommand, usize)>, CommandError> {
        let Some(len) = find_line(buf, limit)? else {
            return Ok(None);
        };
        let line = &buf[..len];
        if len == 1 {
            return Err(CommandError::EmptyLine);
        }
        let code = line[0];
        let sub = match code {
            // §6.1: "No operands should be supplied." Any that are, are ignored.
            1 => Subcommand::Abort,
            2 | 3 => {
                let ops = operands(line)?;
                let mut it = ops.into_iter();
                let (offset, count) = it.next().ok_or(CommandError::MissingCount { code })?;
                let count = parse_count(count, offset)?;
                let (_, name) = it.next().ok_or(CommandError::MissingFileName { code })?;
                let name = name.to_string();
                if code == 2 {
                    Subcommand::ControlFile { count, name }
                } else {
                    Subcommand::DataFile { count, name }
                }
            }
            _ => Subcommand::Unknown {
                code,
                operands: raw_operands(line),
            },
        };
        Ok(Some((sub, len)))
    }

    /// The code octet.
    pub fn code(&self) -> u8 {
        match self {
            Subcommand::Abort => 1,
            Subcommand::ControlFile { .. } => 2,
            Subcommand::DataFile { .. } => 3,
            Subcommand::Unknown { code, .. } => *code,
        }
    }

    /// Append the line to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.code());
        match self {
            Subcommand::Abort => {}
            Subcommand::ControlFile { count, name } | Subcommand::DataFile { count, name } => {
                out.extend_from_slice(count.to_string().as_bytes());
                out.push(b' ');
                out.extend_from_slice(name.as_bytes());
            }
            Subcommand::Unknown { operands, .. } => out.extend_from_slice(operands),
        }
        out.push(b'\n');
    }

    /// The line as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.emit(&mut v);
        v
    }
}

fn parse_count(text: &str, offset: usize) -> Result<u64, CommandError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CommandError::BadCount { offset });
    }
    text.parse::<u64>()
        .map_err(|_| CommandError::CountOverflow { offset })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    const LIMIT: usize = DEFAULT_LINE_LIMIT;

    fn cmd(bytes: &[u8]) -> Command {
        let (c, n) = Command::parse(bytes, LIMIT).unwrap().unwrap();
        assert_eq!(n, bytes.len());
        c
    }

    fn sub(bytes: &[u8]) -> Subcommand {
        let (c, n) = Subcommand::parse(bytes, LIMIT).unwrap().unwrap();
        assert_eq!(n, bytes.len());
        c
    }

    /// Literal lines and the values they mean, both ways.
    #[test]
    fn commands_parse_and_emit_literally() {
        let cases: Vec<(&[u8], Command)> = vec![
            (b"\x01lp\n", Command::PrintWaiting { queue: "lp".into() }),
            (b"\x02lp\n", Command::ReceiveJob { queue: "lp".into() }),
            (
                b"\x03lp\n",
                Command::QueueState {
                    long: false,
                    queue: "lp".into(),
                    list: vec![],
                },
            ),
            (
                b"\x04lp alice 12\n",
                Command::QueueState {
                    long: true,
                    queue: "lp".into(),
                    list: vec!["alice".into(), "12".into()],
                },
            ),
            (
                b"\x05lp root 3 bob\n",
                Command::Remove {
                    queue: "lp".into(),
                    agent: "root".into(),
                    list: vec!["3".into(), "bob".into()],
                },
            ),
            (
                b"\x05lp alice -\n",
                Command::Remove {
                    queue: "lp".into(),
                    agent: "alice".into(),
                    list: vec!["-".into()],
                },
            ),
            (
                b"\x09lp\x00\xff\n",
                Command::Unknown {
                    code: 9,
                    operands: b"lp\x00\xff".to_vec(),
                },
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(cmd(bytes), want, "{bytes:?}");
            assert_eq!(want.to_bytes(), bytes, "{want:?}");
        }
    }

    #[test]
    fn subcommands_parse_and_emit_literally() {
        let cases: Vec<(&[u8], Subcommand)> = vec![
            (b"\x01\n", Subcommand::Abort),
            (
                b"\x02123 cfA001host\n",
                Subcommand::ControlFile {
                    count: 123,
                    name: "cfA001host".into(),
                },
            ),
            (
                b"\x030 dfA001host\n",
                Subcommand::DataFile {
                    count: 0,
                    name: "dfA001host".into(),
                },
            ),
            (
                b"\x07x\n",
                Subcommand::Unknown {
                    code: 7,
                    operands: b"x".to_vec(),
                },
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(sub(bytes), want, "{bytes:?}");
            assert_eq!(want.to_bytes(), bytes, "{want:?}");
        }
    }

    #[test]
    fn lenient_where_clients_are() {
        assert_eq!(
            cmd(b"\x02lp\r\n"),
            Command::ReceiveJob { queue: "lp".into() }
        );
        assert_eq!(
            cmd(b"\x03lp  \talice \n"),
            Command::QueueState {
                long: false,
                queue: "lp".into(),
                list: vec!["alice".into()]
            }
        );
        assert_eq!(
            sub(b"\x03 42  dfA1h\r\n"),
            Subcommand::DataFile {
                count: 42,
                name: "dfA1h".into()
            }
        );
        assert_eq!(sub(b"\x01junk\n"), Subcommand::Abort);
    }

    #[test]
    fn each_violation_has_its_error() {
        let c = |b: &[u8]| Command::parse(b, LIMIT).unwrap_err();
        let s = |b: &[u8]| Subcommand::parse(b, LIMIT).unwrap_err();
        assert_eq!(c(b"\n"), CommandError::EmptyLine);
        assert_eq!(c(b"\x02\n"), CommandError::MissingQueue { code: 2 });
        assert_eq!(c(b"\x02  \r\n"), CommandError::MissingQueue { code: 2 });
        assert_eq!(c(b"\x05lp\n"), CommandError::MissingAgent);
        assert_eq!(c(b"\x02l\xffp\n"), CommandError::NotText { offset: 1 });
        assert_eq!(
            c(b"\x02l\x00p\n"),
            CommandError::ControlCharacter { byte: 0, offset: 2 }
        );
        assert_eq!(s(b"\x02\n"), CommandError::MissingCount { code: 2 });
        assert_eq!(s(b"\x0212x cf\n"), CommandError::BadCount { offset: 1 });
        assert_eq!(s(b"\x03-1 df\n"), CommandError::BadCount { offset: 1 });
        assert_eq!(
            s(b"\x0399999999999999999999 df\n"),
            CommandError::CountOverflow { offset: 1 }
        );
        assert_eq!(s(b"\x0312\n"), CommandError::MissingFileName { code: 3 });
        let long = vec![b'a'; 10];
        assert_eq!(
            Command::parse(&long, 10).unwrap_err(),
            CommandError::LineTooLong { limit: 10 }
        );
        // An LF beyond the limit does not count.
        let mut late = vec![2u8];
        late.extend_from_slice(&[b'q'; 20]);
        late.push(b'\n');
        assert_eq!(
            Command::parse(&late, 10).unwrap_err(),
            CommandError::LineTooLong { limit: 10 }
        );
    }

    #[test]
    fn every_truncated_prefix_asks_for_more() {
        let lines: [&[u8]; 4] = [
            b"\x05lp root 3 bob\n",
            b"\x04lp\n",
            b"\x02123 cfA001host\n",
            b"\x01\n",
        ];
        for line in lines {
            for cut in 0..line.len() {
                assert_eq!(Command::parse(&line[..cut], LIMIT), Ok(None), "{cut}");
                assert_eq!(Subcommand::parse(&line[..cut], LIMIT), Ok(None), "{cut}");
            }
        }
    }

    fn word() -> impl Strategy<Value = String> {
        "[!-~]{1,12}"
    }

    fn command() -> impl Strategy<Value = Command> {
        prop_oneof![
            word().prop_map(|queue| Command::PrintWaiting { queue }),
            word().prop_map(|queue| Command::ReceiveJob { queue }),
            (
                any::<bool>(),
                word(),
                proptest::collection::vec(word(), 0..4)
            )
                .prop_map(|(long, queue, list)| Command::QueueState {
                    long,
                    queue,
                    list
                }),
            (word(), word(), proptest::collection::vec(word(), 0..4))
                .prop_map(|(queue, agent, list)| Command::Remove { queue, agent, list }),
            (
                any::<u8>().prop_filter("unknown", |c| !(1..=5).contains(c) && *c != b'\n'),
                proptest::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 0..16)
            )
                .prop_map(|(code, operands)| Command::Unknown { code, operands }),
        ]
    }

    fn subcommand() -> impl Strategy<Value = Subcommand> {
        prop_oneof![
            Just(Subcommand::Abort),
            (any::<u64>(), word())
                .prop_map(|(count, name)| Subcommand::ControlFile { count, name }),
            (any::<u64>(), word()).prop_map(|(count, name)| Subcommand::DataFile { count, name }),
            (
                any::<u8>().prop_filter("unknown", |c| !(1..=3).contains(c) && *c != b'\n'),
                proptest::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 0..16)
            )
                .prop_map(|(code, operands)| Subcommand::Unknown { code, operands }),
        ]
    }

    proptest! {
        #[test]
        fn command_round_trips(c in command(), tail in proptest::collection::vec(any::<u8>(), 0..8)) {
            let bytes = c.to_bytes();
            let mut with_tail = bytes.clone();
            with_tail.extend_from_slice(&tail);
            let (back, n) = Command::parse(&with_tail, LIMIT).unwrap().unwrap();
            prop_assert_eq!(n, bytes.len());
            prop_assert_eq!(&back, &c);
            for cut in 0..bytes.len() {
                prop_assert_eq!(Command::parse(&bytes[..cut], LIMIT), Ok(None));
            }
        }

        #[test]
        fn subcommand_round_trips(c in subcommand()) {
            let bytes = c.to_bytes();
            let (back, n) = Subcommand::parse(&bytes, LIMIT).unwrap().unwrap();
            prop_assert_eq!(n, bytes.len());
            prop_assert_eq!(&back, &c);
            for cut in 0..bytes.len() {
                prop_assert_eq!(Subcommand::parse(&bytes[..cut], LIMIT), Ok(None));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(Some((c, n))) = Command::parse(&bytes, 32) {
                prop_assert!(n <= bytes.len());
                let again = c.to_bytes();
                prop_assert_eq!(Command::parse(&again, LIMIT).unwrap().map(|x| x.0), Some(c));
            }
            if let Ok(Some((c, n))) = Subcommand::parse(&bytes, 32) {
                prop_assert!(n <= bytes.len());
                let again = c.to_bytes();
                prop_assert_eq!(Subcommand::parse(&again, LIMIT).unwrap().map(|x| x.0), Some(c));
            }
        }
    }
}
