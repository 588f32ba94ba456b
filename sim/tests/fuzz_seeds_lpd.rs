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

use std::fs;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use paperjam_sim::lpd::{fuzz_command, fuzz_control};
use paperjam_sim::model::Speed;
use paperjam_sim::net::lpd::LpdConnection;
use paperjam_sim::net::{Limits, PrinterHandle};
use paperjam_sim::profile::Profile;

/// The files of `fuzz/seeds/<target>/`, sorted; fails if there are none.
fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target);
    let entries =
        fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seed files in {}", dir.display());
    files
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The text of a caught panic.
fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "non-string panic".to_string())
}

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
