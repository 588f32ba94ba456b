//! The SNMP suite: the Printer MIB agent of a printer graded clause by
//! clause — RFC 3416 PDU semantics (and RFC 1157's for v1), the RFC 3418
//! system group, RFC 2790 Host Resources, RFC 3805 Printer MIB, the PWG Port
//! Monitor MIB, and cross-checks with the same printer's IPP answers.
//!
//! - [`target`]: `snmp://[community@]host[:port]` targets;
//! - [`client`]: a UDP manager (timeouts, retries, walks) that hands back
//!   every byte it heard;
//! - [`names`]: the MIB object names cases use;
//! - [`spec`]: the case format (TOML under `suites/snmp/`);
//! - [`checks`]: built-in checks over tables and the IPP comparisons;
//! - [`runner`]: runs cases, grades answers, keeps the evidence.

pub mod checks;
pub mod client;
pub mod names;
pub mod runner;
pub mod spec;
pub mod target;

pub use runner::{run_cases, SnmpOptions, SnmpRunner};
pub use spec::{load_dir, SnmpCase};
pub use target::SnmpTarget;
