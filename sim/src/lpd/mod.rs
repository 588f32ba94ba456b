//! The LPD front end (RFC 1179), a sans-IO core over the printer model.
//!
//! - [`command`]: daemon commands (§5) and receive-job subcommands (§6),
//!   parse and emit.
//! - [`control`]: the control file (§7), parse and emit, and the
//!   [`control::JobTicket`] it makes (host, user, job name, copies, each data
//!   file with its format); LPRng's extensions are kept.
//! - [`session`]: one connection as a state machine — bytes in, bytes
//!   (acknowledgements, listings) and [`session::Event`]s out, no socket and
//!   no clock — so tests and fuzzers drive it directly. Its module docs state
//!   the contract.
//! - [`listing`]: the `03`/`04` queue listings, drawn from the model (every
//!   job, from every protocol; a jam shows in the status line).
//! - [`remove`]: `05`, the agent removing its own jobs (`root` any).
//!
//! `net::lpd` is the tokio side: it pumps a socket through a
//! [`session::Session`] and does what its events ask to the printer model,
//! so a job sent over LPD shows in IPP Get-Jobs, prints in simulated time and
//! is spooled byte-exact.

pub mod command;
pub mod control;
pub mod listing;
pub mod remove;
pub mod session;

pub use command::{Command, CommandError, Subcommand};
pub use control::{ControlError, ControlFile, ControlLine, JobTicket, PrintFormat, Tag};
pub use session::{DataLength, Event, Refusal, Reply, Session, SessionConfig};

use session::drive_accepting;

/// The events of a conversation with the data chunks merged, so two
/// conversations that split the data differently compare equal.
fn merged(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    for e in events {
        match (out.last_mut(), e) {
            (Some(Event::DataChunk(prev)), Event::DataChunk(more)) => {
                prev.extend_from_slice(&more);
            }
            (_, e) => out.push(e),
        }
    }
    out
}

/// The invariants the `lpd_command` fuzz target checks on arbitrary bytes:
///
/// - as a command line and as a subcommand line, each prefix parses or is
///   refused without a panic; a parsed line emits bytes that parse back to it;
/// - as everything a client sends on one connection, a [`Session`] that says
///   yes to everything ends closed, without a panic, and has the same
///   conversation (events, data, bytes sent) however the input is split.
pub fn fuzz_command(data: &[u8]) {
    const LIMIT: usize = command::DEFAULT_LINE_LIMIT;
    for end in 0..=data.len().min(64) {
        let part = &data[..end];
        if let Ok(Some((c, n))) = Command::parse(part, LIMIT) {
            assert!(n <= part.len());
            let again = Command::parse(&c.to_bytes(), LIMIT);
            assert_eq!(again.ok().flatten().map(|x| x.0), Some(c), "{part:?}");
        }
        if let Ok(Some((c, n))) = Subcommand::parse(part, LIMIT) {
            assert!(n <= part.len());
            let again = Subcommand::parse(&c.to_bytes(), LIMIT);
            assert_eq!(again.ok().flatten().map(|x| x.0), Some(c), "{part:?}");
        }
    }
    let config = || {
        let mut c = SessionConfig::new(vec!["lp".to_string(), "raw".to_string()]);
        c.max_data_bytes = 1 << 20;
        c
    };
    let mut whole = Session::new(config());
    let (want_events, want_sent) = drive_accepting(&mut whole, data, data.len().max(1));
    assert!(whole.is_closed(), "the session did not close at EOF");
    let want_events = merged(want_events);
    for piece in [1usize, 3, 64] {
        if piece == 1 && data.len() > 4096 {
            continue;
        }
        let mut s = Session::new(config());
        let (events, sent) = drive_accepting(&mut s, data, piece);
        assert!(s.is_closed(), "piece {piece}: the session did not close");
        assert_eq!(merged(events), want_events, "piece {piece}");
        assert_eq!(sent, want_sent, "piece {piece}");
    }
}

/// The invariants the `lpd_control` fuzz target checks on arbitrary bytes:
///
/// - as a control file, they parse to lines that emit and parse back to the
///   same lines; the ticket, if any, has 1–999 copies and a job name;
/// - sent as a control file (control first, then a data file for each print
///   line) through a [`Session`] that says yes to everything, the job is
///   complete exactly when the file names a host and a user.
pub fn fuzz_control(data: &[u8]) {
    let c = ControlFile::parse(data);
    let bytes = c.to_bytes();
    assert_eq!(
        ControlFile::parse(&bytes),
        c,
        "emit/parse is not a fixed point"
    );
    let ticket = c.ticket();
    if let Ok(t) = &ticket {
        assert!((1..=control::MAX_COPIES).contains(&t.copies()));
        assert!(!t.job_name().is_empty());
    }
    let mut input = b"\x02lp\n".to_vec();
    input.extend_from_slice(format!("\x02{} cfA001fuzz\n", data.len()).as_bytes());
    input.extend_from_slice(data);
    input.push(0);
    let mut files: Vec<String> = Vec::new();
    if let Ok(t) = &ticket {
        for f in &t.files {
            if !files.contains(&f.data_file) {
                files.push(f.data_file.clone());
            }
        }
    }
    for name in &files {
        // A name the subcommand line cannot carry is sent under another name;
        // the job then stays incomplete, which the check below allows for.
        input.extend_from_slice(format!("\x034 {name}\n").as_bytes());
        input.extend_from_slice(b"data");
        input.push(0);
    }
    let mut config = SessionConfig::new(vec!["lp".to_string()]);
    config.max_control_bytes = u64::MAX;
    let mut s = Session::new(config);
    let (events, _) = drive_accepting(&mut s, &input, 17);
    assert!(s.is_closed());
    let complete = events.iter().any(|e| matches!(e, Event::JobComplete));
    let sendable = files.iter().all(|f| {
        !f.is_empty()
            && !f
                .bytes()
                .any(|b| b == b' ' || b == b'\t' || b < 0x20 || b == 0x7f)
    });
    match ticket {
        Err(_) => assert!(!complete, "a job without H or P completed"),
        Ok(_) if sendable => assert!(complete, "a job with H, P and its files did not complete"),
        Ok(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_helpers_hold_on_typical_input() {
        fuzz_command(b"\x02lp\n\x0212 cfA1h\nHh\nPp\nldfA1h\n\x00\x035 dfA1h\nhello\x00");
        fuzz_command(b"\x04lp alice\n");
        fuzz_command(b"\xff\xfe garbage \x00\n\x02lp\n");
        fuzz_command(b"");
        fuzz_control(b"Hh\nPp\nJtitle\nldfA1h\nldfA1h\nodfB1h\n");
        fuzz_control(b"Pp\nldfA1h\n");
        fuzz_control(b"Hh\nPp\nl\nf a b\n");
        fuzz_control(b"");
    }
}
