//! The security suite (`suites/security/`): how exposed a printer is.
//!
//! - [`spec`]: the case format (TOML `[[case]]`s naming a built-in probe,
//!   with severity, references, CVEs and the fix);
//! - [`policy`]: the user's policy file, which the grades follow;
//! - [`runner`]: runs the cases against one host and builds the report's
//!   security section;
//! - [`checks`]: the grading of every case, sans-IO;
//! - [`tls_probe`], [`exposure`], [`snmp_v3`], [`robustness`]: the probes.

pub mod checks;
pub mod exposure;
pub mod policy;
pub mod robustness;
pub mod runner;
pub mod snmp_v3;
pub mod spec;
pub mod tls_probe;
