//! # paperjam-suites — the conformance runner and grader
//!
//! Talks to a target only through its protocols and grades what it hears,
//! clause by clause. The runner, its IPP suite and its reports arrive with
//! issue #3; this crate is the place they live.
