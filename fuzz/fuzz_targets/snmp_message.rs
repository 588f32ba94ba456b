//! Arbitrary bytes as an SNMP datagram to the agent: decoded or refused,
//! never a panic; what decodes re-encodes the same; the agent's answer is a
//! valid Response (see `paperjam_sim::snmp::fuzz_message`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    paperjam_sim::snmp::fuzz_message(data);
});
