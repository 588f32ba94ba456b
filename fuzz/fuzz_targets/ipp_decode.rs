//! Arbitrary bytes through the lossless IPP codec: `check`, `parse`, `emit`,
//! `from_raw`, `to_raw` must agree (see `paperjam_sim::wire::ipp::fuzz_decode`).
//! A panic is a codec bug, never a problem with the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    paperjam_sim::wire::ipp::fuzz_decode(data);
});
