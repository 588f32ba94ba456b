//! What a printer sends back on the back-channel (PJL ref ch. 7, "Status
//! readback commands"):
//!
//! ```text
//! @PJL <header><CR><LF>
//! [<line><CR><LF>]…
//! <FF>
//! ```
//!
//! The header repeats the request (`INFO STATUS`, `INQUIRE COPIES`,
//! `ECHO text`) or names the unsolicited status (`USTATUS DEVICE`); the body
//! lines carry the answer. Every response ends with a form feed, which is how
//! a client knows it is whole. [`Response::parse`] is the client's side (the
//! conformance runner reads printers with it); [`Response::emit`] the
//! printer's.

use super::command::{Modifier, UstatusKind};
use super::error::PjlError;
use super::status::DeviceStatus;
use super::{decode_text, PREFIX};

/// The form feed that ends every response.
pub const FF: u8 = 0x0c;

/// The largest response [`Response::parse`] reads before giving up.
pub const MAX_RESPONSE: usize = 1 << 20;

/// One PJL response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Response {
    /// The header after `@PJL ` (`INFO STATUS`); empty for a bare `@PJL`.
    pub header: String,
    /// The body lines, without their `<CR><LF>`.
    pub lines: Vec<String>,
}

impl Response {
    /// A response with this header and body.
    pub fn new(header: impl Into<String>, lines: Vec<String>) -> Response {
        Response {
            header: header.into(),
            lines,
        }
    }

    /// `@PJL INFO <category>` with its body.
    pub fn info(category: &str, lines: Vec<String>) -> Response {
        Response::new(format!("INFO {category}"), lines)
    }

    /// `@PJL ECHO <text>`: "the printer returns the ECHO command's words".
    pub fn echo(text: &str) -> Response {
        if text.is_empty() {
            Response::new("ECHO", Vec::new())
        } else {
            Response::new(format!("ECHO {text}"), Vec::new())
        }
    }

    /// `@PJL INQUIRE [LPARM : x] <variable>` (or `DINQUIRE`) with the value,
    /// `?` when the variable is unknown.
    pub fn inquire(
        default: bool,
        modifier: Option<&Modifier>,
        variable: &str,
        value: &str,
    ) -> Response {
        let verb = if default { "DINQUIRE" } else { "INQUIRE" };
        let header = match modifier {
            Some(m) => format!("{verb} {} : {} {variable}", m.name, m.value),
            None => format!("{verb} {variable}"),
        };
        Response::new(header, vec![value.to_string()])
    }

    /// A status response: `INFO STATUS`, `USTATUS DEVICE`, `USTATUS TIMED`,
    /// with `CODE=`, `DISPLAY="…"`, `ONLINE=`.
    pub fn status(header: &str, status: &DeviceStatus) -> Response {
        Response::new(header, status.lines())
    }

    /// `@PJL USTATUS <kind>` for a device status.
    pub fn ustatus_device(kind: &UstatusKind, status: &DeviceStatus) -> Response {
        Response::status(&format!("USTATUS {}", kind.name()), status)
    }

    /// `@PJL USTATUS JOB` `START` (PJL ref ch. 7: sent when the job starts).
    pub fn job_start(name: &str) -> Response {
        Response::new(
            "USTATUS JOB",
            vec!["START".into(), format!("NAME=\"{name}\"")],
        )
    }

    /// `@PJL USTATUS JOB` `END`, with the pages printed (sent when the job's
    /// last page has printed).
    pub fn job_end(name: &str, pages: u64) -> Response {
        Response::new(
            "USTATUS JOB",
            vec![
                "END".into(),
                format!("NAME=\"{name}\""),
                format!("PAGES={pages}"),
            ],
        )
    }

    /// `@PJL USTATUS PAGE` with the page number within the job.
    pub fn page(number: u64) -> Response {
        Response::new("USTATUS PAGE", vec![number.to_string()])
    }

    /// The status a `CODE=` / `DISPLAY=` / `ONLINE=` body carries, if it has
    /// a code.
    pub fn device_status(&self) -> Option<DeviceStatus> {
        DeviceStatus::from_lines(&self.lines)
    }

    /// Frame and parse the first response in `buf`: the response and the
    /// bytes it took, form feed included. [`PjlError::Incomplete`] until the
    /// form feed arrives.
    pub fn parse(buf: &[u8]) -> Result<(Response, usize), PjlError> {
        let window = &buf[..buf.len().min(MAX_RESPONSE)];
        if !window.starts_with(PREFIX) {
            if PREFIX.starts_with(window) {
                return Err(PjlError::Incomplete { have: buf.len() });
            }
            return Err(PjlError::MissingPrefix);
        }
        let Some(ff) = window.iter().position(|&b| b == FF) else {
            if buf.len() >= MAX_RESPONSE {
                return Err(PjlError::LineTooLong {
                    len: buf.len(),
                    max: MAX_RESPONSE,
                });
            }
            return Err(PjlError::Incomplete { have: buf.len() });
        };
        let whole = &window[..ff];
        let (head, body) = match whole.iter().position(|&b| b == b'\n') {
            Some(i) => (&whole[..i], &whole[i + 1..]),
            None => (whole, &whole[whole.len()..]),
        };
        let head = head.strip_suffix(b"\r").unwrap_or(head);
        let header = match &head[PREFIX.len()..] {
            [] => String::new(),
            [b' ', rest @ ..] => decode_text(rest),
            [b, ..] => return Err(PjlError::MissingSpaceAfterPrefix { byte: *b }),
        };
        let mut lines = Vec::new();
        let mut rest = body;
        while !rest.is_empty() {
            let (line, next) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            lines.push(decode_text(line));
            rest = next;
        }
        Ok((Response { header, lines }, ff + 1))
    }

    /// Append the response, form feed included.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(PREFIX);
        if !self.header.is_empty() {
            out.push(b' ');
            out.extend_from_slice(self.header.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        for l in &self.lines {
            out.extend_from_slice(l.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.push(FF);
    }

    /// The response as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.emit(&mut v);
        v
    }
}
