//! Arbitrary bytes as a fault spec (what `POST /faults`, `--fault` and a
//! scenario's `raise` read) and as a scenario file: refused or accepted, never
//! a panic; an accepted spec prints back to itself (see
//! `paperjam_sim::fault::fuzz_fault_input`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    paperjam_sim::fault::fuzz_fault_input(data);
});
