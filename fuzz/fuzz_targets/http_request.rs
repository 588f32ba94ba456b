//! A whole HTTP request (arbitrary bytes, then EOF) served by
//! `PrinterHandle::serve_io` on an in-memory duplex; afterwards a well-formed
//! Get-Printer-Attributes on a fresh connection must still get an
//! `application/ipp` 200 answer. Panics (a crash for libFuzzer) when the
//! server panics, hangs past the run bound, or stops serving.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../harness/http.rs"]
mod harness;

use harness::HttpHarness;

static HARNESS: OnceLock<HttpHarness> = OnceLock::new();

fn harness() -> &'static HttpHarness {
    HARNESS.get_or_init(|| match HttpHarness::new() {
        Ok(h) => h,
        Err(e) => panic!("cannot set up the HTTP harness: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let h = harness();
    if let Err(e) = h.serve_bytes(data) {
        panic!("serving the input: {e}");
    }
    if let Err(e) = h.check_still_serving() {
        panic!("server stopped serving after the input: {e}");
    }
});
