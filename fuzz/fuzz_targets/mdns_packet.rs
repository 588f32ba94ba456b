//! Arbitrary bytes as an mDNS datagram: an announced responder (the default
//! profile, every service) takes them from port 5353, from a legacy port and
//! over IPv6 without a panic; every datagram is handled or dropped with a
//! reason, once; everything sent parses back (see
//! `paperjam_sim::mdns::fuzz_packet`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    paperjam_sim::mdns::fuzz_packet(data);
});
