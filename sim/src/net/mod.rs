//! The thin tokio layer: listeners, TLS, limits, graceful shutdown.
//!
//! It owns the sockets and the OS clock and does nothing but pump bytes into
//! the sans-IO cores and the printer model: [`http`] turns HTTP requests into
//! IPP messages for [`crate::ipp::IppCore`], [`server`] accepts connections
//! (plain or TLS on the same port, told apart by the first byte as CUPS does)
//! and drives the model's clock.

pub mod appsocket;
pub mod browse;
pub mod control;
pub mod http;
pub mod http10;
pub mod intake;
pub mod limits;
pub mod lpd;
pub mod mdns;
pub mod server;
pub mod snmp;
pub mod tls;

pub use limits::Limits;
pub use server::{
    MdnsSettings, PrinterHandle, RunningServer, ServerConfig, ServerError, TlsSource,
};
