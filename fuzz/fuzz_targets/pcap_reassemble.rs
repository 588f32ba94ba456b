//! Arbitrary bytes as a capture file: pcap/pcapng reader → link decoder →
//! TCP reassembler. Nothing may panic, and memory stays within the limits
//! (small ones here, so the fuzzer reaches them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use paperjam_suites::pcap::read;
use paperjam_suites::pcap::tcp::{reassemble_with, ReassemblerLimits};

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = read::from_reader(data) else {
        return;
    };
    let limits = ReassemblerLimits {
        max_flow_bytes: 4096,
        max_out_of_order_bytes: 1024,
        max_flows: 8,
    };
    let _ = reassemble_with(
        reader,
        limits,
        |flow| {
            assert!(flow.to_server.len() <= 4096 && flow.to_client.len() <= 4096);
            for run in &flow.runs {
                assert!(run.start + run.len <= flow.stream(run.dir).len());
            }
        },
        |_| {},
    );
    // And the collecting form, with the default limits.
    let _ = paperjam_suites::pcap::tcp::reassemble_reader(data);
});
