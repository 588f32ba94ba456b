//! Structured IPP messages built by `arbitrary`, emitted and parsed back.
//!
//! The raw layer (`RawMessage`: any items, even ones no printer would send)
//! and the typed layer (`Message`: groups, typed values, collections) are
//! fuzzed separately, so the fuzzer reaches deep encoder states that random
//! bytes rarely find. Each checks its round trip and then runs the byte-level
//! invariants of `fuzz_decode` on what was emitted.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use paperjam_sim::wire::ipp::{fuzz_message, fuzz_raw, Message, RawMessage};

/// One structured input: which layer to build the message in.
#[derive(Debug, Arbitrary)]
enum Input {
    /// Raw items: emit, parse back, compare.
    Raw(RawMessage),
    /// Typed message: to_raw, from_raw, emit, parse back, compare.
    Typed(Message),
}

fuzz_target!(|input: Input| {
    match input {
        Input::Raw(raw) => fuzz_raw(&raw),
        Input::Typed(msg) => {
            fuzz_message(&msg);
            if let Ok(bytes) = msg.to_bytes() {
                paperjam_sim::wire::ipp::fuzz_decode(&bytes);
            }
        }
    }
});
