//! Arbitrary text as a MIB dump (`snmpwalk -On` output or snmpsim's
//! `.snmprec`): parsing is refused or accepted, never a panic; an accepted
//! dump writes and reads back to the same entries in both forms (see
//! `paperjam_sim::snmp::record::fuzz_dump`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        paperjam_sim::snmp::record::fuzz_dump(text);
    }
});
