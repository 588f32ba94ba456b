//! Replays the committed LPD fuzz seeds (`fuzz/seeds/lpd_command/`,
//! `fuzz/seeds/lpd_control/`) on stable, so every input that once found a bug
//! keeps being checked after it is fixed.
//!
//! - `lpd_command/*`: each file through `fuzz_command` (the `lpd_command`
//!   target's own logic), then as a whole client connection to an in-memory
//!   printer through `LpdConnection`; afterwards a fresh client's short
//!   listing must still start with the queue's status line.
//! - `lpd_control/*`: each file through `fuzz_control` (the `lpd_control`
//!   target's own logic).
//!
//! A failing file is named in the failure message; every file is tried.

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use paperjam_sim::lpd::{fuzz_command, fuzz_control};
use paperjam_sim::model::Speed;
use paperjam_sim::net::lpd::LpdConnection;
use paperjam_sim::net::{Limits, PrinterHandle};
use paperjam_sim::profile::Profile;

mod seeds;
use seeds::{panic_text, read, seeds};

fn peer() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 1023))
}

/// Serve `input` as one whole connection, then EOF; what was sent back.
fn serve(printer: &PrinterHandle, input: &[u8]) -> Result<Vec<u8>, String> {
    let mut c = LpdConnection::new(printer.0.clone(), peer());
    c.handle_input(input);
    c.handle_eof();
    if !c.is_closed() {
        return Err("the connection did not close at EOF".into());
    }
    Ok(c.take_output())
}

fn check(failures: &mut Vec<String>, path: &Path, f: impl FnOnce() -> Result<(), String>) {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => failures.push(format!("{}: {e}", path.display())),
        Err(p) => failures.push(format!("{}: panicked: {}", path.display(), panic_text(&*p))),
    }
}

#[test]
fn lpd_command_seeds_keep_the_invariants_and_the_printer_serving() {
    let profile = Arc::new(Profile::default_profile().unwrap_or_else(|e| panic!("{e}")));
    let printer = PrinterHandle::in_memory(profile, Speed::Instant, Limits::default())
        .unwrap_or_else(|e| panic!("in-memory printer: {e}"));
    let mut failures = Vec::new();
    let files = seeds("lpd_command");
    for path in &files {
        let data = read(path);
        check(&mut failures, path, || {
            fuzz_command(&data);
            Ok(())
        });
        check(&mut failures, path, || {
            serve(&printer, &data)?;
            let listing = serve(&printer, b"\x03lp\n")?;
            if listing.starts_with(b"lp is ") || listing.starts_with(b"Warning: lp") {
                Ok(())
            } else {
                Err(format!(
                    "afterwards the listing is {:?}",
                    String::from_utf8_lossy(&listing)
                ))
            }
        });
    }
    assert!(
        failures.is_empty(),
        "{} of {} seeds failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn lpd_control_seeds_keep_the_invariants() {
    let mut failures = Vec::new();
    let files = seeds("lpd_control");
    for path in &files {
        let data = read(path);
        check(&mut failures, path, || {
            fuzz_control(&data);
            Ok(())
        });
    }
    assert!(
        failures.is_empty(),
        "{} of {} seeds failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
