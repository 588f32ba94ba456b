//! Lossless IPP tag-value codec (RFC 8010 §3) and typed semantic layer.
//!
//! This file is the root of the `wire::ipp` module: the submodules only refer
//! to each other through `super::`, so the folder can be moved anywhere in a
//! crate. The parent crate is expected to set `#![forbid(unsafe_code)]`; this
//! module contains no `unsafe`.
//!
//! Two layers:
//! - [`RawMessage`] ([`raw`]): the exact items on the wire. `parse` then
//!   `emit` reproduces the input bytes whatever they mean (duplicate
//!   attributes, odd group order, unknown tags, broken collections), and a
//!   fault injector can build and emit deliberately broken messages.
//! - [`Message`] ([`message`]): groups of named attributes with typed
//!   [`Value`]s, including collections. `Message::from_raw` accepts exactly
//!   the well-formed messages and reports each violation as a distinct
//!   [`WireError`] whose text can go back to a client as `status-message`.
//!   For well-formed input, `from_raw` then `to_raw` gives back the same items.
//!
//! [`fuzz_decode`] checks all of these invariants on arbitrary input.

pub mod error;
pub mod fuzz;
pub mod message;
pub mod raw;
pub mod tag;
pub mod value;

#[cfg(test)]
mod strategies;
#[cfg(test)]
mod tests;

pub use self::error::WireError;
pub use self::fuzz::{fuzz_decode, fuzz_message, fuzz_raw};
pub use self::message::{Attribute, Group, Message, MAX_COLLECTION_DEPTH};
pub use self::raw::{RawItem, RawMessage};
pub use self::tag::{DelimiterTag, ValueTag};
pub use self::value::{Collection, DateTime, Value};
