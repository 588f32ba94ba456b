//! Arbitrary bytes as LPD command and subcommand lines, and as everything a
//! client sends on one connection: parsed or refused, never a panic; a parsed
//! line emits bytes that parse back to it; a session that says yes to
//! everything ends closed with the same conversation however the input is
//! split (see `paperjam_sim::lpd::fuzz_command`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    paperjam_sim::lpd::fuzz_command(data);
});
