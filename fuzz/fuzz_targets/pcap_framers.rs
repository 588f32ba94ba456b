//! Arbitrary bytes through every capture framer: cut in two at an arbitrary
//! point as a connection's `to_server` and `to_client` streams (both ways
//! round) for HTTP/IPP, LPD and AppSocket/PJL, and whole as an SNMP and an
//! mDNS datagram (see `paperjam_suites::pcap::frame::fuzz_framers`). A panic
//! is a bug; so is a message or problem whose range falls outside its
//! stream.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, &[u8])| {
    let (cut, data) = input;
    paperjam_suites::pcap::frame::fuzz_framers(data, usize::from(cut));
});
