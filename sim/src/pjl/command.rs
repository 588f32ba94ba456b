//! One PJL command line (PJL ref ch. 2, "Format of PJL commands"):
//!
//! ```text
//! @PJL [<WS> [command [<WS> modifier : value] [<WS> option [<WS>] [= [<WS>] value]]…]] [<CR>]<LF>
//! ```
//!
//! `COMMENT` and `ECHO` take the rest of the line as free text. Values are
//! alphanumeric or numeric words, or strings in double quotes. The `@PJL`
//! prefix must be upper case ("the PJL prefix is case-sensitive"); command,
//! modifier and option names are not, so they are kept upper-cased.
//!
//! [`Command::parse`] frames a line (`check` and `parse` in one: it says
//! [`PjlError::Incomplete`] until the `<LF>` is there) and
//! [`Command::emit`] writes the canonical form (`@PJL SET COPIES = 2<CR><LF>`,
//! spaced as the PJL ref's examples are). `parse(emit(c)) == c` for every
//! command; emitting a parsed line may normalise its spacing and case.

use super::error::PjlError;
use super::{decode_text, MAX_LINE, PREFIX};

/// An option or variable value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// An alphanumeric or numeric value, as sent (`ON`, `2`, `-1.5`).
    Word(String),
    /// A string, without its quotes (`"My job"`).
    Quoted(String),
}

impl Value {
    /// The value's text (a string without its quotes).
    pub fn text(&self) -> &str {
        match self {
            Value::Word(s) | Value::Quoted(s) => s,
        }
    }

    fn emit(&self, out: &mut Vec<u8>) {
        match self {
            Value::Word(w) => out.extend_from_slice(w.as_bytes()),
            Value::Quoted(s) => {
                out.push(b'"');
                out.extend_from_slice(s.as_bytes());
                out.push(b'"');
            }
        }
    }
}

/// A command modifier, `LPARM : PCL` or `IPARM : PARALLEL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Modifier {
    /// The modifier's name, upper case (`LPARM`).
    pub name: String,
    /// Its value as sent (`PCL`).
    pub value: String,
}

/// An option: a name with an optional value (`NAME = "x"`, `ID`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Opt {
    /// The option's name, upper case.
    pub name: String,
    /// Its value, if it has one.
    pub value: Option<Value>,
}

/// `SET` and `DEFAULT`: a variable and its new value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Assignment {
    /// `LPARM : personality`, for a language's own variables.
    pub modifier: Option<Modifier>,
    /// The variable's name, upper case.
    pub variable: String,
    /// The new value.
    pub value: Value,
}

/// `INQUIRE` and `DINQUIRE`: a variable whose value is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    /// `LPARM : personality`, for a language's own variables.
    pub modifier: Option<Modifier>,
    /// The variable's name, upper case.
    pub variable: String,
}

/// What `INFO` asks for (PJL ref ch. 7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InfoCategory {
    /// `ID`: the printer's model name.
    Id,
    /// `CONFIG`: trays, paper sizes, languages, options.
    Config,
    /// `FILESYS`: the PJL file system.
    Filesys,
    /// `MEMORY`: memory available.
    Memory,
    /// `PAGECOUNT`: pages the engine has printed.
    Pagecount,
    /// `STATUS`: the printer's status code.
    Status,
    /// `VARIABLES`: the environment variables with their values and ranges.
    Variables,
    /// `USTATUS`: the unsolicited status settings.
    Ustatus,
    /// Any other category, upper case.
    Other(String),
}

impl InfoCategory {
    /// The category's name.
    pub fn name(&self) -> &str {
        match self {
            InfoCategory::Id => "ID",
            InfoCategory::Config => "CONFIG",
            InfoCategory::Filesys => "FILESYS",
            InfoCategory::Memory => "MEMORY",
            InfoCategory::Pagecount => "PAGECOUNT",
            InfoCategory::Status => "STATUS",
            InfoCategory::Variables => "VARIABLES",
            InfoCategory::Ustatus => "USTATUS",
            InfoCategory::Other(s) => s,
        }
    }

    /// From an upper-case name.
    pub fn from_name(name: &str) -> InfoCategory {
        match name {
            "ID" => InfoCategory::Id,
            "CONFIG" => InfoCategory::Config,
            "FILESYS" => InfoCategory::Filesys,
            "MEMORY" => InfoCategory::Memory,
            "PAGECOUNT" => InfoCategory::Pagecount,
            "STATUS" => InfoCategory::Status,
            "VARIABLES" => InfoCategory::Variables,
            "USTATUS" => InfoCategory::Ustatus,
            other => InfoCategory::Other(other.to_string()),
        }
    }
}

/// Which unsolicited status `USTATUS` turns on or off (PJL ref ch. 7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UstatusKind {
    /// `DEVICE`: status changes (`ON`, `OFF`, `VERBOSE`).
    Device,
    /// `JOB`: job start and end (`ON`, `OFF`).
    Job,
    /// `PAGE`: each page printed (`ON`, `OFF`).
    Page,
    /// `TIMED`: the status every N seconds (0 is off, 5–300).
    Timed,
    /// Any other kind, upper case.
    Other(String),
}

impl UstatusKind {
    /// The kind's name.
    pub fn name(&self) -> &str {
        match self {
            UstatusKind::Device => "DEVICE",
            UstatusKind::Job => "JOB",
            UstatusKind::Page => "PAGE",
            UstatusKind::Timed => "TIMED",
            UstatusKind::Other(s) => s,
        }
    }

    /// From an upper-case name.
    pub fn from_name(name: &str) -> UstatusKind {
        match name {
            "DEVICE" => UstatusKind::Device,
            "JOB" => UstatusKind::Job,
            "PAGE" => UstatusKind::Page,
            "TIMED" => UstatusKind::Timed,
            other => UstatusKind::Other(other.to_string()),
        }
    }
}

/// One PJL command.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    /// `@PJL` alone: the line a job starts with after its UEL.
    Prefix,
    /// `COMMENT text`: ignored.
    Comment(String),
    /// `ECHO text`: the printer sends `@PJL ECHO text` back.
    Echo(String),
    /// `ENTER LANGUAGE = name`: what follows, up to the next UEL, is print
    /// data in that language.
    Enter {
        /// The language (`PCL`, `POSTSCRIPT`, `PDF`…), as sent.
        language: String,
    },
    /// `JOB [NAME = "name"] [START = n] [END = n]…`: a job begins.
    Job {
        /// `NAME`, the job's name.
        name: Option<String>,
        /// Its other options (`START`, `END`, `PASSWORD`, `DISPLAY`…).
        options: Vec<Opt>,
    },
    /// `EOJ [NAME = "name"]`: the job ends.
    Eoj {
        /// `NAME`.
        name: Option<String>,
        /// Its other options.
        options: Vec<Opt>,
    },
    /// `SET variable = value`: for the current job.
    Set(Assignment),
    /// `DEFAULT variable = value`: the printer's default.
    Default(Assignment),
    /// `INQUIRE variable`: its current value.
    Inquire(Query),
    /// `DINQUIRE variable`: its default value.
    Dinquire(Query),
    /// `INFO category`.
    Info(InfoCategory),
    /// `USTATUS kind = value`.
    Ustatus {
        /// Which status.
        kind: UstatusKind,
        /// `ON`, `OFF`, `VERBOSE` or seconds.
        value: Value,
    },
    /// `USTATUSOFF`: every unsolicited status off.
    UstatusOff,
    /// Any other command (`RDYMSG`, `OPMSG`, `RESET`, `FSDIRLIST`…), kept
    /// whole so it round-trips.
    Other {
        /// The command, upper case.
        command: String,
        /// Its modifier.
        modifier: Option<Modifier>,
        /// Its options.
        options: Vec<Opt>,
    },
}

impl Command {
    /// Frame and parse the first line of `buf`: the command and the bytes it
    /// took, terminator included. [`PjlError::Incomplete`] until a `<LF>`
    /// arrives (within [`MAX_LINE`] bytes).
    pub fn parse(buf: &[u8]) -> Result<(Command, usize), PjlError> {
        let window = &buf[..buf.len().min(MAX_LINE)];
        match window.iter().position(|&b| b == b'\n') {
            Some(i) => Ok((Command::parse_line(&buf[..i])?, i + 1)),
            None if buf.len() >= MAX_LINE => Err(PjlError::LineTooLong {
                len: buf.len(),
                max: MAX_LINE,
            }),
            None => Err(PjlError::Incomplete { have: buf.len() }),
        }
    }

    /// Parse one line without its `<LF>` (a trailing `<CR>` is dropped). A
    /// line that would not fit [`MAX_LINE`] with its `<LF>` is refused, as
    /// [`Command::parse`] refuses it.
    pub fn parse_line(line: &[u8]) -> Result<Command, PjlError> {
        if line.len() >= MAX_LINE {
            return Err(PjlError::LineTooLong {
                len: line.len(),
                max: MAX_LINE,
            });
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(after) = line.strip_prefix(PREFIX.as_slice()) else {
            return Err(PjlError::MissingPrefix);
        };
        match after.first() {
            None => return Ok(Command::Prefix),
            Some(&b) if !is_ws(b) => return Err(PjlError::MissingSpaceAfterPrefix { byte: b }),
            Some(_) => {}
        }
        let mut pos = PREFIX.len();
        pos = skip_ws(line, pos);
        if pos == line.len() {
            return Ok(Command::Prefix);
        }
        let start = pos;
        while pos < line.len() && is_word_byte(line[pos]) {
            pos += 1;
        }
        if pos == start {
            return Err(PjlError::ExpectedName {
                offset: pos,
                byte: line[pos],
            });
        }
        let command = upper(&line[start..pos]);
        if command == "COMMENT" || command == "ECHO" {
            // A word ends at whitespace or a symbol; free text needs whitespace.
            if pos < line.len() && !is_ws(line[pos]) {
                return Err(PjlError::ExpectedName {
                    offset: pos,
                    byte: line[pos],
                });
            }
            let text_at = skip_ws(line, pos);
            let text = &line[text_at..];
            if let Some(i) = text.iter().position(|&b| is_control(b)) {
                return Err(PjlError::InvalidCharacter {
                    offset: text_at + i,
                    byte: text[i],
                });
            }
            let text = decode_text(text);
            return Ok(if command == "COMMENT" {
                Command::Comment(text)
            } else {
                Command::Echo(text)
            });
        }
        let tokens = tokenize(line, pos)?;
        let (modifier, options) = grammar(&tokens)?;
        typed(command, modifier, options)
    }

    /// Append the canonical line, `<CR><LF>` included.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(PREFIX);
        match self {
            Command::Prefix => {}
            Command::Comment(t) | Command::Echo(t) => {
                out.extend_from_slice(if matches!(self, Command::Comment(_)) {
                    b" COMMENT"
                } else {
                    b" ECHO"
                });
                if !t.is_empty() {
                    out.push(b' ');
                    out.extend_from_slice(t.as_bytes());
                }
            }
            Command::Enter { language } => {
                out.extend_from_slice(b" ENTER LANGUAGE = ");
                out.extend_from_slice(language.as_bytes());
            }
            Command::Job { name, options } | Command::Eoj { name, options } => {
                out.extend_from_slice(if matches!(self, Command::Job { .. }) {
                    b" JOB"
                } else {
                    b" EOJ"
                });
                if let Some(n) = name {
                    emit_opt(out, "NAME", Some(&Value::Quoted(n.clone())));
                }
                for o in options {
                    emit_opt(out, &o.name, o.value.as_ref());
                }
            }
            Command::Set(a) | Command::Default(a) => {
                out.extend_from_slice(if matches!(self, Command::Set(_)) {
                    b" SET"
                } else {
                    b" DEFAULT"
                });
                emit_modifier(out, a.modifier.as_ref());
                emit_opt(out, &a.variable, Some(&a.value));
            }
            Command::Inquire(q) | Command::Dinquire(q) => {
                out.extend_from_slice(if matches!(self, Command::Inquire(_)) {
                    b" INQUIRE"
                } else {
                    b" DINQUIRE"
                });
                emit_modifier(out, q.modifier.as_ref());
                emit_opt(out, &q.variable, None);
            }
            Command::Info(c) => {
                out.extend_from_slice(b" INFO ");
                out.extend_from_slice(c.name().as_bytes());
            }
            Command::Ustatus { kind, value } => {
                out.extend_from_slice(b" USTATUS");
                emit_opt(out, kind.name(), Some(value));
            }
            Command::UstatusOff => out.extend_from_slice(b" USTATUSOFF"),
            Command::Other {
                command,
                modifier,
                options,
            } => {
                out.push(b' ');
                out.extend_from_slice(command.as_bytes());
                emit_modifier(out, modifier.as_ref());
                for o in options {
                    emit_opt(out, &o.name, o.value.as_ref());
                }
            }
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The canonical line as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.emit(&mut v);
        v
    }

    /// The command's name, for logs (`SET`, `INFO`, `RDYMSG`…).
    pub fn name(&self) -> &str {
        match self {
            Command::Prefix => "",
            Command::Comment(_) => "COMMENT",
            Command::Echo(_) => "ECHO",
            Command::Enter { .. } => "ENTER",
            Command::Job { .. } => "JOB",
            Command::Eoj { .. } => "EOJ",
            Command::Set(_) => "SET",
            Command::Default(_) => "DEFAULT",
            Command::Inquire(_) => "INQUIRE",
            Command::Dinquire(_) => "DINQUIRE",
            Command::Info(_) => "INFO",
            Command::Ustatus { .. } => "USTATUS",
            Command::UstatusOff => "USTATUSOFF",
            Command::Other { command, .. } => command,
        }
    }
}

fn emit_modifier(out: &mut Vec<u8>, m: Option<&Modifier>) {
    if let Some(m) = m {
        out.push(b' ');
        out.extend_from_slice(m.name.as_bytes());
        out.extend_from_slice(b" : ");
        out.extend_from_slice(m.value.as_bytes());
    }
}

fn emit_opt(out: &mut Vec<u8>, name: &str, value: Option<&Value>) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    if let Some(v) = value {
        out.extend_from_slice(b" = ");
        v.emit(out);
    }
}

/// `<WS>`: a space or a horizontal tab.
fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A control character that may not appear in a line (a tab may).
fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// A byte of a name or unquoted value.
pub(crate) fn is_word_byte(b: u8) -> bool {
    b > b' ' && b != 0x7f && b != b'=' && b != b':' && b != b'"'
}

fn skip_ws(line: &[u8], mut pos: usize) -> usize {
    while pos < line.len() && is_ws(line[pos]) {
        pos += 1;
    }
    pos
}

fn upper(bytes: &[u8]) -> String {
    decode_text(bytes).to_ascii_uppercase()
}

#[derive(Debug)]
enum Tok {
    Word(usize, String),
    Quoted(usize, String),
    Eq(usize),
    Colon(usize),
}

impl Tok {
    fn offset(&self) -> usize {
        match self {
            Tok::Word(o, _) | Tok::Quoted(o, _) | Tok::Eq(o) | Tok::Colon(o) => *o,
        }
    }

    fn first_byte(&self) -> u8 {
        match self {
            Tok::Word(_, w) => w.as_bytes().first().copied().unwrap_or(b' '),
            Tok::Quoted(..) => b'"',
            Tok::Eq(_) => b'=',
            Tok::Colon(_) => b':',
        }
    }
}

fn tokenize(line: &[u8], mut pos: usize) -> Result<Vec<Tok>, PjlError> {
    let mut toks = Vec::new();
    while pos < line.len() {
        let b = line[pos];
        if is_ws(b) {
            pos += 1;
        } else if is_control(b) {
            return Err(PjlError::InvalidCharacter {
                offset: pos,
                byte: b,
            });
        } else if b == b'=' {
            toks.push(Tok::Eq(pos));
            pos += 1;
        } else if b == b':' {
            toks.push(Tok::Colon(pos));
            pos += 1;
        } else if b == b'"' {
            let open = pos;
            let body = &line[open + 1..];
            let Some(close) = body.iter().position(|&c| c == b'"') else {
                return Err(PjlError::UnterminatedString { offset: open });
            };
            if let Some(i) = body[..close].iter().position(|&c| is_control(c)) {
                return Err(PjlError::InvalidCharacter {
                    offset: open + 1 + i,
                    byte: body[i],
                });
            }
            toks.push(Tok::Quoted(open, decode_text(&body[..close])));
            pos = open + 1 + close + 1;
            if pos < line.len() && !is_ws(line[pos]) {
                return Err(PjlError::NoSpaceAfterString { offset: pos });
            }
        } else {
            let start = pos;
            while pos < line.len() && is_word_byte(line[pos]) {
                pos += 1;
            }
            toks.push(Tok::Word(start, decode_text(&line[start..pos])));
        }
    }
    Ok(toks)
}

type Parsed = (Option<Modifier>, Vec<Opt>);

fn grammar(toks: &[Tok]) -> Result<Parsed, PjlError> {
    let mut i = 0;
    let mut modifier = None;
    let mut options = Vec::new();
    while i < toks.len() {
        let (at, name) = match &toks[i] {
            Tok::Word(at, w) => (*at, w.to_ascii_uppercase()),
            t => {
                return Err(PjlError::ExpectedName {
                    offset: t.offset(),
                    byte: t.first_byte(),
                })
            }
        };
        match toks.get(i + 1) {
            Some(Tok::Colon(colon)) => {
                if modifier.is_some() || !options.is_empty() {
                    return Err(PjlError::MisplacedModifier {
                        modifier: name,
                        offset: at,
                    });
                }
                let value = match toks.get(i + 2) {
                    Some(Tok::Word(_, v)) | Some(Tok::Quoted(_, v)) => v.clone(),
                    _ => {
                        return Err(PjlError::MissingModifierValue {
                            modifier: name,
                            offset: *colon,
                        })
                    }
                };
                modifier = Some(Modifier { name, value });
                i += 3;
            }
            Some(Tok::Eq(eq)) => {
                let value = match toks.get(i + 2) {
                    Some(Tok::Word(_, v)) => Value::Word(v.clone()),
                    Some(Tok::Quoted(_, v)) => Value::Quoted(v.clone()),
                    _ => {
                        return Err(PjlError::MissingValue {
                            option: name,
                            offset: *eq,
                        })
                    }
                };
                options.push(Opt {
                    name,
                    value: Some(value),
                });
                i += 3;
            }
            _ => {
                options.push(Opt { name, value: None });
                i += 1;
            }
        }
    }
    Ok((modifier, options))
}

fn typed(
    command: String,
    modifier: Option<Modifier>,
    mut options: Vec<Opt>,
) -> Result<Command, PjlError> {
    let first_valued = |options: &[Opt]| {
        options
            .first()
            .and_then(|o| o.value.clone().map(|v| (o.name.clone(), v)))
    };
    Ok(match command.as_str() {
        "ENTER" => match options.iter().find(|o| o.name == "LANGUAGE") {
            Some(Opt { value: Some(v), .. }) => Command::Enter {
                language: v.text().to_string(),
            },
            _ => {
                return Err(PjlError::MissingOption {
                    command: "ENTER",
                    what: "LANGUAGE = <language>",
                })
            }
        },
        "JOB" | "EOJ" => {
            let name = match options
                .iter()
                .position(|o| o.name == "NAME" && o.value.is_some())
            {
                Some(i) => options.remove(i).value.map(|v| v.text().to_string()),
                None => None,
            };
            if command == "JOB" {
                Command::Job { name, options }
            } else {
                Command::Eoj { name, options }
            }
        }
        "SET" | "DEFAULT" => {
            let Some((variable, value)) = first_valued(&options) else {
                return Err(PjlError::MissingOption {
                    command: if command == "SET" { "SET" } else { "DEFAULT" },
                    what: "<variable> = <value>",
                });
            };
            let a = Assignment {
                modifier,
                variable,
                value,
            };
            if command == "SET" {
                Command::Set(a)
            } else {
                Command::Default(a)
            }
        }
        "INQUIRE" | "DINQUIRE" => {
            let Some(first) = options.first() else {
                return Err(PjlError::MissingOption {
                    command: if command == "INQUIRE" {
                        "INQUIRE"
                    } else {
                        "DINQUIRE"
                    },
                    what: "a variable",
                });
            };
            let q = Query {
                modifier,
                variable: first.name.clone(),
            };
            if command == "INQUIRE" {
                Command::Inquire(q)
            } else {
                Command::Dinquire(q)
            }
        }
        "INFO" => match options.first() {
            Some(o) => Command::Info(InfoCategory::from_name(&o.name)),
            None => {
                return Err(PjlError::MissingOption {
                    command: "INFO",
                    what: "a category",
                })
            }
        },
        "USTATUS" => match first_valued(&options) {
            Some((kind, value)) => Command::Ustatus {
                kind: UstatusKind::from_name(&kind),
                value,
            },
            None => {
                return Err(PjlError::MissingOption {
                    command: "USTATUS",
                    what: "<DEVICE|JOB|PAGE|TIMED> = <value>",
                })
            }
        },
        "USTATUSOFF" => Command::UstatusOff,
        _ => Command::Other {
            command,
            modifier,
            options,
        },
    })
}
