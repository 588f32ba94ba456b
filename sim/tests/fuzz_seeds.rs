//! Replays the committed fuzz seeds and crash inputs (`fuzz/seeds/`) on stable,
//! as part of the normal test suite, so every input that once found a bug
//! keeps being checked after it is fixed.
//!
//! - `fuzz/seeds/ipp_decode/*`: each file through `fuzz_decode`, which panics
//!   only on a codec bug.
//! - `fuzz/seeds/http_request/*`: each file as a whole client connection
//!   served by `PrinterHandle::serve_io`, followed by a well-formed
//!   Get-Printer-Attributes that must still get an `application/ipp` 200. The
//!   logic is the `http_request` fuzz target's own (`fuzz/harness/http.rs`).
//!
//! - `fuzz/seeds/fault_spec/*`: each file as a fault spec and as a scenario
//!   (`fuzz_fault_input`): refused or accepted, never a panic.
//!
//! A failing file is named in the failure message; every file is tried.

use std::panic::{catch_unwind, AssertUnwindSafe};

use paperjam_sim::wire::ipp::fuzz_decode;

mod seeds;
use seeds::{panic_text, read, seeds};

#[path = "../../fuzz/harness/http.rs"]
mod harness;

#[test]
fn ipp_decode_seeds_keep_the_codec_invariants() {
    let mut failures = Vec::new();
    let files = seeds("ipp_decode");
    for path in &files {
        let data = read(path);
        if let Err(p) = catch_unwind(|| fuzz_decode(&data)) {
            failures.push(format!("{}: {}", path.display(), panic_text(p.as_ref())));
        }
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
fn http_request_seeds_leave_the_server_serving() {
    let h = harness::HttpHarness::new().unwrap_or_else(|e| panic!("{e}"));
    // The health check must pass before any seed, or the harness itself is wrong.
    if let Err(e) = h.check_still_serving() {
        panic!("a fresh printer does not answer Get-Printer-Attributes: {e}");
    }
    let mut failures = Vec::new();
    let files = seeds("http_request");
    for path in &files {
        let data = read(path);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            h.serve_bytes(&data)
                .map_err(|e| format!("serving it: {e}"))?;
            h.check_still_serving()
                .map_err(|e| format!("afterwards: {e}"))
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(format!("{}: {e}", path.display())),
            Err(p) => failures.push(format!(
                "{}: server panicked: {}",
                path.display(),
                panic_text(p.as_ref())
            )),
        }
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
fn fault_spec_seeds_parse_or_are_refused() {
    let mut failures = Vec::new();
    for path in &seeds("fault_spec") {
        let data = read(path);
        if let Err(p) = catch_unwind(|| paperjam_sim::fault::fuzz_fault_input(&data)) {
            failures.push(format!("{}: {}", path.display(), panic_text(p.as_ref())));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
