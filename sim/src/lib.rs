//! # paperjam-sim — the virtual printer
//!
//! One printer model ([`model`]) that every protocol front end shows; lossless
//! wire codecs ([`wire`]); sans-IO protocol cores ([`ipp`]) that take messages and
//! an explicit clock and never touch a socket or the OS clock; and a thin tokio
//! layer ([`net`]) that pumps bytes between sockets and those cores.
//!
//! Profiles ([`profile`]) describe a printer model in TOML; the embedded default
//! is an IPP Everywhere office laser.

pub mod appsocket;
pub mod fault;
pub mod ipp;
pub mod lpd;
pub mod mdns;
pub mod model;
pub mod net;
pub mod pjl;
pub mod profile;
pub mod security;
pub mod snmp;
pub mod wire;
