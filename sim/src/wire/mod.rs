//! Lossless wire codecs: what goes on the wire is parsed and emitted byte for byte.

pub mod coding;
pub mod ipp;
