//! PJL, HP's Printer Job Language: the command lines a client sends to port
//! 9100 around its print data, and the status a printer sends back.
//!
//! Everything here follows the *HP PJL Technical Reference Manual* (the
//! "PJL ref"; chapter numbers below are that book's):
//!
//! - [`UEL`], the Universal Exit Language command `ESC%-12345X` (ch. 5), ends
//!   whatever language the printer is in and returns it to PJL; [`find_uel`]
//!   finds one in a byte stream, including one split across reads.
//! - [`Command`]: one command line, `@PJL [command [modifier : value]
//!   [option [= value]]…] [<CR>]<LF>` (ch. 2, "Format of PJL commands"), with
//!   [`Command::parse`] / [`Command::emit`]. The `@PJL` prefix is upper case;
//!   the rest is case-insensitive, so command, modifier and option names are
//!   kept upper-cased and values as sent. A command we do not model is kept
//!   as [`Command::Other`], which round-trips.
//! - [`Response`]: what the printer sends back, `@PJL <header><CR><LF>`,
//!   body lines each ended by `<CR><LF>`, then a form feed `<FF>` (ch. 7,
//!   "Status readback commands": every response ends with `<FF>`), with
//!   [`Response::parse`] / [`Response::emit`] and constructors for the
//!   responses the simulator makes.
//! - [`status`]: the status codes (`CODE=xxxxx`, appendix D) and the one
//!   function that maps the printer model's state to them.
//! - [`vars`]: the PJL environment variables (`SET`, `DEFAULT`, `INQUIRE`,
//!   `DINQUIRE`, `INFO VARIABLES`, ch. 6).
//!
//! Text is bytes on the wire. A line that is valid UTF-8 is read as UTF-8
//! (CUPS and modern drivers send UTF-8 job names), anything else as
//! ISO 8859-1, so no byte sequence is refused; emitting always writes UTF-8.
//!
//! [`fuzz_pjl`] checks the codec's and the AppSocket session's invariants on
//! arbitrary bytes; the `pjl` fuzz target and `sim/tests/fuzz_seeds_pjl.rs`
//! call it.

pub mod command;
pub mod error;
pub mod fuzz;
pub mod response;
pub mod status;
pub mod vars;

#[cfg(test)]
pub(crate) mod strategies;
#[cfg(test)]
mod tests;

pub use command::{Assignment, Command, InfoCategory, Modifier, Opt, Query, UstatusKind, Value};
pub use error::PjlError;
pub use fuzz::fuzz_pjl;
pub use response::Response;
pub use status::{device_status, DeviceStatus, StatusCode};
pub use vars::{VarError, VarKey, Variables};

/// The Universal Exit Language command, `ESC%-12345X` (PJL ref ch. 5): "the
/// UEL command must be at the beginning and at the end of every PJL job".
pub const UEL: &[u8; 9] = b"\x1b%-12345X";

/// The `@PJL` prefix every command line starts with (upper case, PJL ref ch. 2).
pub const PREFIX: &[u8; 4] = b"@PJL";

/// The longest PJL command line accepted, terminator included. The PJL ref
/// sets no limit (a printer reports `20005`, "PJL command buffer overflow");
/// 8 KiB is far beyond any real command and bounds what a connection buffers.
pub const MAX_LINE: usize = 8 * 1024;

/// Where the first UEL is in a byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UelScan {
    /// A whole UEL starts at this offset.
    Found(usize),
    /// No whole UEL, but the bytes from this offset to the end are the start
    /// of one: wait for more bytes before deciding.
    Partial(usize),
    /// No UEL, nor the start of one at the end.
    None,
}

/// Find the first UEL in `buf`, or the start of one cut off at its end.
pub fn find_uel(buf: &[u8]) -> UelScan {
    let mut from = 0;
    while let Some(i) = buf[from..].iter().position(|&b| b == 0x1b) {
        let at = from + i;
        let rest = &buf[at..];
        if rest.starts_with(UEL) {
            return UelScan::Found(at);
        }
        if rest.len() < UEL.len() && UEL.starts_with(rest) {
            return UelScan::Partial(at);
        }
        from = at + 1;
    }
    UelScan::None
}

/// Text from wire bytes: UTF-8 when valid, otherwise ISO 8859-1 (every byte
/// one character), so decoding never fails.
pub fn decode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}
