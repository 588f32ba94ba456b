//! The control file (RFC 1179 §7): one line per attribute, a letter then a
//! value, ended by LF. Upper-case letters and digits describe the job; a
//! lower-case letter names a data file to print in that format, and the same
//! file named on several lines prints that many copies.
//!
//! ```text
//! Hvm                     H  host name (§7.2)         — required here
//! Palice                  P  user identification (§7.8) — required here
//! JMy Title               J  job name for the banner (§7.4)
//! ldfA523vm               l  print this data file, control characters kept
//! UdfA523vm               U  unlink the data file after printing
//! NMy Title               N  name of the source file
//! ```
//!
//! [`ControlFile::parse`] keeps every line in order, letters it does not know
//! included (`Tag::Unknown`), so [`ControlFile::emit`] writes the same
//! lines back; values are read as UTF-8, with anything else replaced (an old
//! client's Latin-1 job name must not refuse its job). Blank lines are
//! skipped and a last line without its LF is accepted. [`ControlFile::ticket`]
//! then reads what the printer needs — host, user, job name, copies, and each
//! data file with its format — and refuses a file without `H` or `P`.

use std::fmt;

/// The letter of a control-file line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    /// `C` class for the banner page (§7.1).
    Class,
    /// `H` host name (§7.2).
    Host,
    /// `I` indent printing (§7.3).
    Indent,
    /// `J` job name for the banner page (§7.4).
    JobName,
    /// `L` print the banner page, for this user (§7.5).
    Banner,
    /// `M` mail when printed (§7.6).
    Mail,
    /// `N` name of the source file (§7.7).
    SourceName,
    /// `P` user identification (§7.8).
    User,
    /// `S` symbolic link data (§7.9).
    SymbolicLink,
    /// `T` title for `pr` (§7.10).
    Title,
    /// `U` unlink the data file (§7.11).
    Unlink,
    /// `W` width of output (§7.12).
    Width,
    /// `1`–`4` troff fonts R, I, B, S (§7.13–§7.16).
    Font(u8),
    /// A lower-case letter of §7.17–§7.27: print a data file.
    Print(PrintFormat),
    /// `A` LPRng's job identifier.
    LprngId,
    /// `D` LPRng's submission date.
    LprngDate,
    /// `Q` LPRng's queue name.
    LprngQueue,
    /// `K` copies (LPRng and some other clients).
    Copies,
    /// `R` LPRng's accounting information.
    LprngAccounting,
    /// `Z` LPRng's filter options.
    LprngFilterOptions,
    /// Any other letter, kept as sent.
    Unknown(u8),
}

/// The print formats of §7.17–§7.27.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrintFormat {
    /// `c` plot CIF file.
    Cif,
    /// `d` print DVI file.
    Dvi,
    /// `f` print formatted (plain text) file.
    Formatted,
    /// `g` plot file.
    Plot,
    /// `l` print file leaving control characters (raw).
    Literal,
    /// `n` print ditroff output file.
    Ditroff,
    /// `o` print PostScript output file.
    PostScript,
    /// `p` print file with `pr` format.
    Pr,
    /// `r` print file with FORTRAN carriage control.
    Fortran,
    /// `t` print troff output file.
    Troff,
    /// `v` print raster file.
    Raster,
}

impl PrintFormat {
    /// The format of a letter, if it is one of §7.17–§7.27.
    pub fn from_letter(b: u8) -> Option<PrintFormat> {
        Some(match b {
            b'c' => PrintFormat::Cif,
            b'd' => PrintFormat::Dvi,
            b'f' => PrintFormat::Formatted,
            b'g' => PrintFormat::Plot,
            b'l' => PrintFormat::Literal,
            b'n' => PrintFormat::Ditroff,
            b'o' => PrintFormat::PostScript,
            b'p' => PrintFormat::Pr,
            b'r' => PrintFormat::Fortran,
            b't' => PrintFormat::Troff,
            b'v' => PrintFormat::Raster,
            _ => return None,
        })
    }

    /// Its letter.
    pub fn letter(self) -> u8 {
        match self {
            PrintFormat::Cif => b'c',
            PrintFormat::Dvi => b'd',
            PrintFormat::Formatted => b'f',
            PrintFormat::Plot => b'g',
            PrintFormat::Literal => b'l',
            PrintFormat::Ditroff => b'n',
            PrintFormat::PostScript => b'o',
            PrintFormat::Pr => b'p',
            PrintFormat::Fortran => b'r',
            PrintFormat::Troff => b't',
            PrintFormat::Raster => b'v',
        }
    }

    /// The MIME type the printer stores the data file as: `f` plain text,
    /// `o` PostScript, anything else `application/octet-stream` (the spool
    /// then tells PDF, PostScript, PWG Raster… from the bytes).
    pub fn mime_type(self) -> &'static str {
        match self {
            PrintFormat::Formatted => "text/plain",
            PrintFormat::PostScript => "application/postscript",
            _ => "application/octet-stream",
        }
    }
}

impl Tag {
    /// The tag of a line's first byte.
    pub fn from_byte(b: u8) -> Tag {
        if let Some(f) = PrintFormat::from_letter(b) {
            return Tag::Print(f);
        }
        match b {
            b'C' => Tag::Class,
            b'H' => Tag::Host,
            b'I' => Tag::Indent,
            b'J' => Tag::JobName,
            b'L' => Tag::Banner,
            b'M' => Tag::Mail,
            b'N' => Tag::SourceName,
            b'P' => Tag::User,
            b'S' => Tag::SymbolicLink,
            b'T' => Tag::Title,
            b'U' => Tag::Unlink,
            b'W' => Tag::Width,
            b'1'..=b'4' => Tag::Font(b - b'0'),
            b'A' => Tag::LprngId,
            b'D' => Tag::LprngDate,
            b'Q' => Tag::LprngQueue,
            b'K' => Tag::Copies,
            b'R' => Tag::LprngAccounting,
            b'Z' => Tag::LprngFilterOptions,
            other => Tag::Unknown(other),
        }
    }

    /// Its byte.
    pub fn byte(self) -> u8 {
        match self {
            Tag::Class => b'C',
            Tag::Host => b'H',
            Tag::Indent => b'I',
            Tag::JobName => b'J',
            Tag::Banner => b'L',
            Tag::Mail => b'M',
            Tag::SourceName => b'N',
            Tag::User => b'P',
            Tag::SymbolicLink => b'S',
            Tag::Title => b'T',
            Tag::Unlink => b'U',
            Tag::Width => b'W',
            Tag::Font(n) => b'0'.wrapping_add(n),
            Tag::Print(f) => f.letter(),
            Tag::LprngId => b'A',
            Tag::LprngDate => b'D',
            Tag::LprngQueue => b'Q',
            Tag::Copies => b'K',
            Tag::LprngAccounting => b'R',
            Tag::LprngFilterOptions => b'Z',
            Tag::Unknown(b) => b,
        }
    }
}

/// One line of a control file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlLine {
    /// Its letter.
    pub tag: Tag,
    /// Everything after the letter, before the LF.
    pub value: String,
}

/// A whole control file, line by line, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlFile {
    /// The lines.
    pub lines: Vec<ControlLine>,
}

/// Why a control file cannot make a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No `H` line, or an empty one (§7.2: "This command must be included").
    #[error("control file has no H (host name) line")]
    MissingHost,
    /// No `P` line, or an empty one (§7.8: "This command must be included").
    #[error("control file has no P (user identification) line")]
    MissingUser,
}

/// One data file a control file prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFile {
    /// The data file's name (`dfA…`).
    pub data_file: String,
    /// The format of its first print line.
    pub format: PrintFormat,
    /// How many print lines name it.
    pub copies: u32,
    /// Its `N` (source file name) line, if any.
    pub source_name: Option<String>,
}

/// What a control file asks of the printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTicket {
    /// `H`.
    pub host: String,
    /// `P`.
    pub user: String,
    /// `J`, if any.
    pub job_name: Option<String>,
    /// `T`, if any.
    pub title: Option<String>,
    /// `C`, if any.
    pub class: Option<String>,
    /// `M`: mail this user when printed.
    pub mail: Option<String>,
    /// `K` when it is a positive number.
    pub copies_line: Option<u32>,
    /// The data files to print, in the order first named.
    pub files: Vec<TicketFile>,
}

/// The most copies a control file can ask for (as `copies-supported` 1–999).
pub const MAX_COPIES: u32 = 999;

impl JobTicket {
    /// `job-name`: `J`, else the first file's `N`, else the first data file's name.
    pub fn job_name(&self) -> String {
        self.job_name
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| {
                self.files
                    .iter()
                    .find_map(|f| f.source_name.clone().filter(|s| !s.is_empty()))
            })
            .or_else(|| {
                self.files
                    .iter()
                    .map(|f| f.data_file.clone())
                    .find(|s| !s.is_empty())
            })
            .unwrap_or_else(|| "untitled".to_string())
    }

    /// `copies`: the `K` line if there is one, else the most print lines any
    /// one data file has (at least 1, at most [`MAX_COPIES`]).
    pub fn copies(&self) -> u32 {
        let n = self
            .copies_line
            .unwrap_or_else(|| self.files.iter().map(|f| f.copies).max().unwrap_or(1));
        n.clamp(1, MAX_COPIES)
    }

    /// The entry for data file `name`.
    pub fn file(&self, name: &str) -> Option<&TicketFile> {
        self.files.iter().find(|f| f.data_file == name)
    }
}

/// A value without a CR its client put before the LF.
fn clean(v: &str) -> &str {
    v.strip_suffix('\r').unwrap_or(v)
}

impl ControlFile {
    /// Parse a whole control file.
    pub fn parse(bytes: &[u8]) -> ControlFile {
        let mut lines = Vec::new();
        for raw in bytes.split(|&b| b == b'\n') {
            let Some((&first, rest)) = raw.split_first() else {
                continue;
            };
            lines.push(ControlLine {
                tag: Tag::from_byte(first),
                value: String::from_utf8_lossy(rest).into_owned(),
            });
        }
        ControlFile { lines }
    }

    /// Append the file's bytes to `out`: each line, then LF.
    pub fn emit(&self, out: &mut Vec<u8>) {
        for l in &self.lines {
            out.push(l.tag.byte());
            out.extend_from_slice(l.value.as_bytes());
            out.push(b'\n');
        }
    }

    /// The file as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.emit(&mut v);
        v
    }

    /// The value of the first line with `tag`.
    pub fn first(&self, tag: Tag) -> Option<&str> {
        self.lines
            .iter()
            .find(|l| l.tag == tag)
            .map(|l| clean(&l.value))
    }

    /// What the file asks of the printer; refused without `H` or `P`.
    pub fn ticket(&self) -> Result<JobTicket, ControlError> {
        let non_empty = |t: Tag| self.first(t).filter(|v| !v.is_empty());
        let host = non_empty(Tag::Host).ok_or(ControlError::MissingHost)?;
        let user = non_empty(Tag::User).ok_or(ControlError::MissingUser)?;
        let mut files: Vec<TicketFile> = Vec::new();
        // `N` names the file of the print line before it; one that comes
        // before any print line names the next file.
        let mut pending_name: Option<String> = None;
        let mut last: Option<usize> = None;
        for l in &self.lines {
            match l.tag {
                Tag::Print(format) => {
                    let name = clean(&l.value).to_string();
                    let i = match files.iter().position(|f| f.data_file == name) {
                        Some(i) => {
                            files[i].copies = files[i].copies.saturating_add(1);
                            i
                        }
                        None => {
                            files.push(TicketFile {
                                data_file: name,
                                format,
                                copies: 1,
                                source_name: None,
                            });
                            files.len() - 1
                        }
                    };
                    if let Some(n) = pending_name.take() {
                        files[i].source_name.get_or_insert(n);
                    }
                    last = Some(i);
                }
                Tag::SourceName => {
                    let n = clean(&l.value).to_string();
                    match last.and_then(|i| files.get_mut(i)) {
                        Some(f) if f.source_name.is_none() => f.source_name = Some(n),
                        Some(_) => {}
                        None => pending_name = Some(n),
                    }
                }
                _ => {}
            }
        }
        let text = |t: Tag| self.first(t).map(str::to_string);
        Ok(JobTicket {
            host: host.to_string(),
            user: user.to_string(),
            job_name: text(Tag::JobName),
            title: text(Tag::Title),
            class: text(Tag::Class),
            mail: text(Tag::Mail),
            copies_line: self
                .first(Tag::Copies)
                .and_then(|v| v.trim().parse::<u32>().ok())
                .filter(|&n| n > 0),
            files,
        })
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.byte();
        if b.is_ascii_graphic() {
            write!(f, "{}", b as char)
        } else {
            write!(f, "{b:#04x}")
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    /// What the CUPS lpd backend sends (PEERS.md), control file first.
    const CUPS: &[u8] = b"Hvm\nPalice\nJMy Title\nldfA523vm\nUdfA523vm\nNMy Title\n";
    /// LPRng's sample (its reference manual), with its own A/D/Q lines.
    const LPRNG: &[u8] = b"Hh4.private\nJ(stdin)\nCA\nLpapowell\nApapowell@h4+955\nD2024-01-01-10:00:00.000\nQlp\nPpapowell\nfdfA955h4.private\nN(stdin)\nUdfA955h4.private\n";

    fn line(tag: Tag, value: &str) -> ControlLine {
        ControlLine {
            tag,
            value: value.into(),
        }
    }

    #[test]
    fn cups_control_file_parses_and_emits_literally() {
        let want = ControlFile {
            lines: vec![
                line(Tag::Host, "vm"),
                line(Tag::User, "alice"),
                line(Tag::JobName, "My Title"),
                line(Tag::Print(PrintFormat::Literal), "dfA523vm"),
                line(Tag::Unlink, "dfA523vm"),
                line(Tag::SourceName, "My Title"),
            ],
        };
        assert_eq!(ControlFile::parse(CUPS), want);
        assert_eq!(want.to_bytes(), CUPS);
        let t = want.ticket().unwrap();
        assert_eq!(t.host, "vm");
        assert_eq!(t.user, "alice");
        assert_eq!(t.job_name(), "My Title");
        assert_eq!(t.copies(), 1);
        assert_eq!(
            t.files,
            vec![TicketFile {
                data_file: "dfA523vm".into(),
                format: PrintFormat::Literal,
                copies: 1,
                source_name: Some("My Title".into()),
            }]
        );
        assert_eq!(t.files[0].format.mime_type(), "application/octet-stream");
    }

    #[test]
    fn lprng_control_file_keeps_its_extensions() {
        let c = ControlFile::parse(LPRNG);
        assert_eq!(c.to_bytes(), LPRNG);
        assert_eq!(c.first(Tag::LprngId), Some("papowell@h4+955"));
        assert_eq!(c.first(Tag::LprngQueue), Some("lp"));
        assert_eq!(c.first(Tag::LprngDate), Some("2024-01-01-10:00:00.000"));
        let t = c.ticket().unwrap();
        assert_eq!(t.user, "papowell");
        assert_eq!(t.class.as_deref(), Some("A"));
        assert_eq!(t.job_name(), "(stdin)");
        assert_eq!(t.files[0].format, PrintFormat::Formatted);
        assert_eq!(t.files[0].format.mime_type(), "text/plain");
    }

    #[test]
    fn every_letter_of_section_7() {
        let text = b"Cclass\nHhost\nI8\nJjob\nLbanner\nMmail\nNname\nPuser\nS1 2\nTtitle\nUdfA\nW132\n1R\n2I\n3B\n4S\ncdfA\nddfA\nfdfA\ngdfA\nldfA\nndfA\nodfA\npdfA\nrdfA\ntdfA\nvdfA\nAid\nDdate\nQq\nK2\nRacct\nZopts\nXunknown\nkkerberos\n";
        let c = ControlFile::parse(text);
        assert_eq!(c.to_bytes(), text.as_slice());
        let tags: Vec<Tag> = c.lines.iter().map(|l| l.tag).collect();
        assert_eq!(tags[12], Tag::Font(1));
        assert_eq!(tags[15], Tag::Font(4));
        assert_eq!(tags.len(), 35);
        assert_eq!(tags[33], Tag::Unknown(b'X'));
        assert_eq!(tags[34], Tag::Unknown(b'k'));
        let prints = tags.iter().filter(|t| matches!(t, Tag::Print(_))).count();
        assert_eq!(prints, 11);
        let t = c.ticket().unwrap();
        // Eleven print lines for one file, but K says 2.
        assert_eq!(t.files.len(), 1);
        assert_eq!(t.files[0].copies, 11);
        assert_eq!(t.files[0].format, PrintFormat::Cif);
        assert_eq!(t.copies(), 2);
        assert_eq!(t.mail.as_deref(), Some("mail"));
        assert_eq!(t.title.as_deref(), Some("title"));
    }

    #[test]
    fn copies_are_print_lines_per_file() {
        let c = ControlFile::parse(b"Hh\nPp\nldfA1h\nldfA1h\nldfA1h\nodfB1h\nNsecond\n");
        let t = c.ticket().unwrap();
        assert_eq!(t.copies(), 3);
        assert_eq!(t.files.len(), 2);
        assert_eq!(t.file("dfB1h").unwrap().format, PrintFormat::PostScript);
        assert_eq!(
            t.file("dfB1h").unwrap().source_name.as_deref(),
            Some("second")
        );
        assert_eq!(t.job_name(), "second");
        let none = ControlFile::parse(b"Hh\nPp\n").ticket().unwrap();
        assert_eq!(none.copies(), 1);
        assert_eq!(none.job_name(), "untitled");
        let n_first = ControlFile::parse(b"Hh\nPp\nNreport.txt\nfdfA1h\n")
            .ticket()
            .unwrap();
        assert_eq!(n_first.files[0].source_name.as_deref(), Some("report.txt"));
    }

    #[test]
    fn missing_host_or_user_is_refused() {
        assert_eq!(
            ControlFile::parse(b"Palice\nldfA1h\n").ticket(),
            Err(ControlError::MissingHost)
        );
        assert_eq!(
            ControlFile::parse(b"Hh\nldfA1h\n").ticket(),
            Err(ControlError::MissingUser)
        );
        assert_eq!(
            ControlFile::parse(b"H\nPalice\n").ticket(),
            Err(ControlError::MissingHost)
        );
        assert_eq!(
            ControlFile::parse(b"").ticket(),
            Err(ControlError::MissingHost)
        );
    }

    #[test]
    fn lenient_where_clients_are() {
        let c = ControlFile::parse(b"Hh\r\n\n\nPalice\r\nJtitle");
        assert_eq!(c.lines.len(), 3);
        let t = c.ticket().unwrap();
        assert_eq!(t.host, "h");
        assert_eq!(t.user, "alice");
        assert_eq!(t.job_name(), "title");
        let latin1 = ControlFile::parse(b"Hh\nPp\nJcaf\xe9\n").ticket().unwrap();
        assert_eq!(latin1.job_name(), "caf\u{fffd}");
    }

    #[test]
    fn every_truncated_prefix_parses() {
        for cut in 0..=LPRNG.len() {
            let c = ControlFile::parse(&LPRNG[..cut]);
            let again = ControlFile::parse(&c.to_bytes());
            assert_eq!(again, c, "cut at {cut}");
            let _ = c.ticket();
        }
        // Cut inside the P line: the user is the part that came.
        let cut = CUPS.windows(6).position(|w| w == b"alice\n").unwrap() + 2;
        let t = ControlFile::parse(&CUPS[..cut]).ticket().unwrap();
        assert_eq!(t.user, "al");
    }

    fn tag() -> impl Strategy<Value = Tag> {
        any::<u8>()
            .prop_filter("not LF", |b| *b != b'\n')
            .prop_map(Tag::from_byte)
    }

    fn control_file() -> impl Strategy<Value = ControlFile> {
        proptest::collection::vec(
            (tag(), "[^\n\r]{0,20}").prop_map(|(tag, value)| ControlLine { tag, value }),
            0..12,
        )
        .prop_map(|lines| ControlFile { lines })
    }

    proptest! {
        #[test]
        fn round_trips(c in control_file()) {
            let bytes = c.to_bytes();
            prop_assert_eq!(ControlFile::parse(&bytes), c.clone());
            for cut in 0..bytes.len() {
                let part = ControlFile::parse(&bytes[..cut]);
                prop_assert!(part.lines.len() <= c.lines.len());
                let _ = part.ticket();
            }
        }

        #[test]
        fn arbitrary_bytes_parse_to_a_fixed_point(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let c = ControlFile::parse(&bytes);
            let again = ControlFile::parse(&c.to_bytes());
            prop_assert_eq!(&again, &c);
            if let Ok(t) = c.ticket() {
                prop_assert!((1..=MAX_COPIES).contains(&t.copies()));
                prop_assert!(!t.job_name().is_empty());
            }
        }
    }
}
