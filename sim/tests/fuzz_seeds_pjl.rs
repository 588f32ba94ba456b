//! Replays the committed `pjl` fuzz seeds and crash inputs
//! (`fuzz/seeds/pjl/`) on stable, as part of the normal test suite: each file
//! through `paperjam_sim::pjl::fuzz_pjl`, which panics only on a bug in the
//! PJL codec or the AppSocket session. A failing file is named in the
//! failure message; every file is tried.

use std::fs;
use std::panic::catch_unwind;

use paperjam_sim::pjl::fuzz_pjl;

mod seeds;
use seeds::{panic_text, seeds};

#[test]
fn pjl_seeds_keep_the_codec_and_session_invariants() {
    let files = seeds("pjl");
    let mut failures = Vec::new();
    for path in &files {
        let data = fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        if let Err(p) = catch_unwind(|| fuzz_pjl(&data)) {
            failures.push(format!("{}: {}", path.display(), panic_text(p.as_ref())));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} seeds failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
