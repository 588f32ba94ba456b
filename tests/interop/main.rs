//! Interop tests against real IPP peers.
//!
//! Every stock `ipptool` conformance file listed in [`ipptool_suites!`] runs
//! twice:
//!
//! * `ipptool_paperjam_<file>` against `paperjam serve`, and fails on any
//!   `[FAIL]` not covered by `fixtures/ipptool/waivers.toml`;
//! * `ipptool_ippeveprinter_<file>` against CUPS' `ippeveprinter`, the
//!   reference peer, and only records its counts: the peer's own defects
//!   (e.g. HTTP 400 in `ipp-2.1.test`, `server-error-busy` while a job is
//!   active) must not fail our build. It fails only if ipptool produced no
//!   result line or complained about the test file (a harness bug).
//!
//! Both append `TOOL\tFILE\tpass\tfail\tskip\twaived` to
//! `target/interop/ipptool-results.tsv`; `scripts/ipptool-table.sh` prints the
//! side-by-side table. The `cups_ipp_backend_*` tests print a PDF through the
//! real CUPS `ipp` backend; `faults::*` do so (and run ipptool) while
//! paperjam jams, is busy, resets connections or answers IPP/1.0.
//!
//! The peers come from `scripts/install-peers.sh`; a missing peer fails the
//! test with that hint. Run e.g.
//! `cargo test --test interop ippeveprinter -- --test-threads=2`.

// A test harness reports trouble by panicking, with a message: `unwrap` and
// `expect` on setup steps (temp dirs, pipes) are the intended failure mode here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod appsocket;
mod backend;
mod backend_matrix;
mod faults;
mod grading;
mod ipptool;
mod lpd;
mod mdns;
mod peers;
mod raw_backend_matrix;
mod record;
mod replay;
mod samples;
mod security;
mod snmp;

use crate::backend::{files_under, run_ipp_backend, sha256_file, wait_job_completed};
use crate::ipptool::{run_suite, SuiteOptions, Waivers};
use crate::peers::{document, require_cups_backend, require_tool, IppEvePrinter, Paperjam};

/// The `-f` document: ipptool derives `$filetype` from it, and the print
/// tests send it with that `document-format`. Every printer here takes PDF.
const DEFAULT_DOCUMENT: &str = "document-letter.pdf";

/// Runs `file` against a fresh `paperjam serve`; fails on unwaived FAILs.
fn paperjam_suite(file: &str, version: Option<&str>) {
    let waivers = Waivers::load();
    require_tool("ipptool");
    let printer = Paperjam::start();
    let run = run_suite(
        &printer.uri,
        &SuiteOptions {
            file,
            version,
            document: document(DEFAULT_DOCUMENT),
        },
    );
    let graded = waivers.grade("paperjam", &run);
    graded.report();
    graded.record();
    assert!(
        run.file_errors().is_empty(),
        "ipptool could not use {file} (harness bug): {:?}",
        run.file_errors()
    );
    assert!(
        !run.tests.is_empty(),
        "ipptool printed no [PASS]/[FAIL]/[SKIP] line for {file}\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        graded.unwaived.is_empty(),
        "paperjam has {} unwaived [FAIL] in {file} (paperjam log: {}):\n{graded}",
        graded.unwaived.len(),
        printer.log.display()
    );
}

/// Runs `file` against a fresh `ippeveprinter` and records its counts; fails
/// only if ipptool produced no result (or could not read the test file).
fn ippeveprinter_suite(file: &str, version: Option<&str>) {
    let waivers = Waivers::load();
    require_tool("ipptool");
    let printer = IppEvePrinter::start();
    let run = run_suite(
        &printer.uri(),
        &SuiteOptions {
            file,
            version,
            document: document(DEFAULT_DOCUMENT),
        },
    );
    let graded = waivers.grade("ippeveprinter", &run);
    graded.report();
    graded.record();
    assert!(
        run.file_errors().is_empty(),
        "ipptool could not use {file} (harness bug): {:?}",
        run.file_errors()
    );
    assert!(
        !run.tests.is_empty(),
        "ipptool printed no [PASS]/[FAIL]/[SKIP] line for {file} against ippeveprinter\n\
         stdout:\n{}\nstderr:\n{}\nippeveprinter log {}",
        run.stdout,
        run.stderr,
        printer.log.display()
    );
}

/// Declares the two tests per stock file: `paperjam_test, peer_test: "file"
/// [, "ipp version"];`.
macro_rules! ipptool_suites {
    ($($paperjam:ident, $peer:ident: $file:literal $(, $version:literal)?;)*) => {$(
        #[doc = concat!("`", $file, "` against paperjam: no unwaived `[FAIL]`.")]
        #[test]
        fn $paperjam() {
            paperjam_suite($file, None $(.or(Some($version)))?);
        }

        #[doc = concat!("`", $file, "` against ippeveprinter: counts recorded, peer defects tolerated.")]
        #[test]
        fn $peer() {
            ippeveprinter_suite($file, None $(.or(Some($version)))?);
        }
    )*};
}

ipptool_suites! {
    ipptool_paperjam_ipp_1_1, ipptool_ippeveprinter_ipp_1_1: "ipp-1.1.test";
    ipptool_paperjam_ipp_2_0, ipptool_ippeveprinter_ipp_2_0: "ipp-2.0.test";
    ipptool_paperjam_ipp_2_1, ipptool_ippeveprinter_ipp_2_1: "ipp-2.1.test", "2.1";
    ipptool_paperjam_ipp_2_2, ipptool_ippeveprinter_ipp_2_2: "ipp-2.2.test", "2.2";
    ipptool_paperjam_ipp_everywhere, ipptool_ippeveprinter_ipp_everywhere: "ipp-everywhere.test", "2.0";
    ipptool_paperjam_get_printer_attributes, ipptool_ippeveprinter_get_printer_attributes:
        "get-printer-attributes.test";
    ipptool_paperjam_get_printer_attributes_suite, ipptool_ippeveprinter_get_printer_attributes_suite:
        "get-printer-attributes-suite.test";
    ipptool_paperjam_get_jobs, ipptool_ippeveprinter_get_jobs: "get-jobs.test";
    ipptool_paperjam_get_completed_jobs, ipptool_ippeveprinter_get_completed_jobs: "get-completed-jobs.test";
    ipptool_paperjam_validate_job, ipptool_ippeveprinter_validate_job: "validate-job.test";
    ipptool_paperjam_print_job, ipptool_ippeveprinter_print_job: "print-job.test";
    ipptool_paperjam_print_job_and_wait, ipptool_ippeveprinter_print_job_and_wait: "print-job-and-wait.test";
    ipptool_paperjam_print_job_deflate, ipptool_ippeveprinter_print_job_deflate: "print-job-deflate.test";
    ipptool_paperjam_print_job_gzip, ipptool_ippeveprinter_print_job_gzip: "print-job-gzip.test";
    ipptool_paperjam_print_job_media_col, ipptool_ippeveprinter_print_job_media_col: "print-job-media-col.test";
    ipptool_paperjam_print_job_hold, ipptool_ippeveprinter_print_job_hold: "print-job-hold.test";
    ipptool_paperjam_create_job, ipptool_ippeveprinter_create_job: "create-job.test";
    ipptool_paperjam_create_job_format, ipptool_ippeveprinter_create_job_format: "create-job-format.test";
    ipptool_paperjam_identify_printer, ipptool_ippeveprinter_identify_printer: "identify-printer.test";
}

/// The CUPS `ipp` backend prints a PDF to paperjam: it exits 0 without
/// reporting an error, the job ends `completed`, and paperjam's spool holds
/// the exact bytes that were sent (searched recursively by SHA-256, since the
/// spool layout is paperjam's business).
#[test]
fn cups_ipp_backend_prints_pdf_to_paperjam() {
    require_cups_backend("backend/ipp");
    require_tool("ipptool");
    let printer = Paperjam::start();
    let pdf = document(DEFAULT_DOCUMENT);
    let run = run_ipp_backend(&printer.uri, &pdf, "application/pdf");
    assert!(
        run.status.success(),
        "ipp backend failed ({}):\n{}",
        run.status,
        run.summary()
    );
    assert!(
        run.error_lines().is_empty(),
        "ipp backend reported errors:\n{}",
        run.summary()
    );
    let job_id = run
        .job_id()
        .unwrap_or_else(|| panic!("no job-id in the backend's log:\n{}", run.summary()));
    wait_job_completed(&printer.uri, job_id).unwrap_or_else(|e| panic!("{e}"));
    let want = sha256_file(&pdf);
    let spooled = files_under(&printer.spool);
    assert!(
        spooled.iter().any(|f| sha256_file(f) == want),
        "no file in paperjam's spool {} has the PDF's SHA-256 {want}; files: {spooled:?}",
        printer.spool.display()
    );
}

/// Peer sanity check: the same print to ippeveprinter succeeds, so a failure
/// of the paperjam test above is paperjam's.
#[test]
fn cups_ipp_backend_prints_pdf_to_ippeveprinter() {
    require_cups_backend("backend/ipp");
    let printer = IppEvePrinter::start();
    let pdf = document(DEFAULT_DOCUMENT);
    let run = run_ipp_backend(&printer.uri(), &pdf, "application/pdf");
    assert!(
        run.status.success(),
        "ipp backend failed ({}):\n{}",
        run.status,
        run.summary()
    );
    assert!(
        run.error_lines().is_empty(),
        "ipp backend reported errors:\n{}",
        run.summary()
    );
    let job_id = run
        .job_id()
        .unwrap_or_else(|| panic!("no job-id in the backend's log:\n{}", run.summary()));
    wait_job_completed(&printer.uri(), job_id).unwrap_or_else(|e| panic!("{e}"));
    // ippeveprinter -k keeps the document in its spool, byte for byte.
    let want = sha256_file(&pdf);
    assert!(
        files_under(&printer.spool)
            .iter()
            .any(|f| sha256_file(f) == want),
        "ippeveprinter's spool {} lacks the PDF",
        printer.spool.display()
    );
}
