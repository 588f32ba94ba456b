//! Arbitrary bytes as an `Authorization:` value and as a `WWW-Authenticate:`
//! value: refused or accepted, never a panic; accepted credentials and
//! challenges write back to values that parse to the same (see
//! `paperjam_sim::security::auth::fuzz_authorization`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    paperjam_sim::security::auth::fuzz_authorization(data);
});
