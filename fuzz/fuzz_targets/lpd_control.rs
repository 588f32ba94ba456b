//! Arbitrary bytes as an LPD control file: its lines emit and parse back to
//! themselves; sent through a session, the job completes exactly when the file
//! names a host and a user (see `paperjam_sim::lpd::fuzz_control`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    paperjam_sim::lpd::fuzz_control(data);
});
