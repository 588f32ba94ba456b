//! The mDNS / DNS-SD suite: how a printer announces itself, graded clause by
//! clause — RFC 6762 (TTLs, the cache-flush bit, rate limits, goodbyes,
//! probe defence, legacy unicast, message headers), RFC 6763 (the PTR → SRV →
//! TXT → A chain, instance names, TXT syntax, SRV ports), the Bonjour
//! Printing Specification 1.2.1 and PWG 5100.14 (TXT keys, subtypes), and
//! cross-checks of the TXT record with the printer's own IPP answers.
//!
//! - [`target`]: `dnssd://[Instance.]_service._tcp.local` targets;
//! - [`link`]: real multicast UDP on an interface, or the virtual printer's
//!   responder in memory on a simulated clock;
//! - [`dns`]: DNS messages read and built on `simple-dns`;
//! - [`browse`]: the browser and resolver, which keeps every datagram;
//! - [`spec`]: the case format (TOML under `suites/mdns/`);
//! - [`checks`]: the built-in checks the cases name;
//! - [`runner`]: runs cases, keeps the evidence.

pub mod browse;
pub mod checks;
pub mod dns;
pub mod link;
pub mod runner;
pub mod spec;
pub mod target;

pub use link::{Interface, Link, UdpLinkConfig, VirtualPrinter};
pub use runner::{run_cases, MdnsOptions, MdnsRunner, Source};
pub use spec::{load_dir, MdnsCase};
pub use target::DnssdTarget;

#[cfg(test)]
mod tests;
