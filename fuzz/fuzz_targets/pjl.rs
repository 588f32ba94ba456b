//! Arbitrary bytes through the PJL codec and the AppSocket session: parse and
//! emit must agree, and the session must do the same whatever the chunking
//! (see `paperjam_sim::pjl::fuzz_pjl`). A panic is a bug, never a problem
//! with the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    paperjam_sim::pjl::fuzz_pjl(data);
});
