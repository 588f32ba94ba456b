//! The IPP front end: a sans-IO core over the printer model.
//!
//! [`service::IppCore`] takes parsed messages (from [`crate::wire::ipp`]) and the
//! time, and answers from and into the one [`crate::model::Printer`]. The HTTP
//! framing, TLS and sockets live in [`crate::net`].

pub mod admin;
pub mod attributes;
pub mod codes;
pub mod documents;
pub mod jobs;
pub mod quirks;
pub mod request;
pub mod service;
pub mod subscriptions;
pub mod template;
pub mod values;

pub use attributes::Endpoint;
pub use codes::{Operation, Status};
pub use service::{response, DocumentPlan, IppCore, Outcome, Response, PRINTER_PATH};
