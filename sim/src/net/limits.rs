//! Explicit, configurable limits: what a client may send and how long it may dawdle.

use std::time::Duration;

/// Limits of one server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest IPP request before its document data (the attribute section), bytes.
    pub max_request_bytes: usize,
    /// Largest document, after decompression, bytes.
    pub max_document_bytes: u64,
    /// Most connections served at once; further clients wait in the accept queue.
    pub max_connections: usize,
    /// How long a connection may send nothing (headers, body, TLS handshake) before it is closed.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_bytes: 1 << 20,
            max_document_bytes: 1 << 30,
            max_connections: 16_384,
            idle_timeout: Duration::from_secs(30),
        }
    }
}
