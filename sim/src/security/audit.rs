//! The audit log: one JSON object per line for every job, every
//! administrative operation and every refusal, saying who and from where.
//!
//! ```text
//! {"time":"2026-11-27T23:59:01.120Z","service":"ipp","peer":"127.0.0.1:51234","event":"operation","operation":"Pause-Printer","class":"printer-admin","user":null,"requesting_user":"mallory","tls":false,"outcome":"challenged","detail":"Pause-Printer needs credentials (printer-admin operations: admin)"}
//! ```
//!
//! The log is written as it goes (a line is flushed when written), so a
//! crash loses nothing already logged; a write error is reported once in
//! the server's log and the printer keeps serving.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

/// One line of the audit log.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditEvent {
    /// UTC, RFC 3339 with milliseconds.
    pub time: String,
    /// `ipp`, `ipps`, `lpd`, `socket`, `snmp`, `browse`.
    pub service: &'static str,
    /// The client's address and port.
    pub peer: String,
    /// `operation` (an IPP request), `job` (a job accepted by LPD or
    /// AppSocket), `set` (an SNMP SetRequest), `refused` (a connection or
    /// datagram refused by an access list), `browse` (a cups-browsed packet).
    pub event: &'static str,
    /// The IPP operation, LPD command or SNMP PDU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The operation class (`print`, `job-admin`, `printer-admin`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<&'static str>,
    /// The authenticated user, if any.
    pub user: Option<String>,
    /// The user name the client claimed (`requesting-user-name`, LPD's
    /// `P` line, the SNMP community's name is never logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requesting_user: Option<String>,
    /// Whether the connection was TLS.
    pub tls: bool,
    /// The job, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<u32>,
    /// `accepted`, `refused`, `challenged`, `not-authorized`, `bad-header`,
    /// `upgrade-required`, or the IPP status keyword.
    pub outcome: String,
    /// A sentence for people.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl AuditEvent {
    /// An event of `service` from `peer`, timed now, with everything else empty.
    pub fn new(service: &'static str, peer: SocketAddr, event: &'static str) -> AuditEvent {
        AuditEvent {
            time: utc_now(),
            service,
            peer: peer.to_string(),
            event,
            operation: None,
            class: None,
            user: None,
            requesting_user: None,
            tls: false,
            job_id: None,
            outcome: String::new(),
            detail: String::new(),
        }
    }
}

/// Where audit lines go.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    out: Mutex<Option<std::fs::File>>,
    failed: std::sync::atomic::AtomicBool,
}

impl AuditLog {
    /// Append to `path` (created if missing).
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            out: Mutex::new(Some(f)),
            failed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write one event as one line.
    pub fn record(&self, e: &AuditEvent) {
        let mut line = match serde_json::to_string(e) {
            Ok(l) => l,
            Err(err) => format!("{{\"error\":\"cannot encode an audit event: {err}\"}}"),
        };
        line.push('\n');
        let mut guard = match self.out.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(f) = guard.as_mut() {
            if let Err(err) = f.write_all(line.as_bytes()).and_then(|()| f.flush()) {
                if !self.failed.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    tracing::error!("audit log {}: {err}", self.path.display());
                }
            }
        }
    }
}

/// Now, UTC, as `2026-11-27T23:59:01.120Z`.
pub fn utc_now() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    rfc3339_ms(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// Unix milliseconds as RFC 3339 UTC with milliseconds.
pub fn rfc3339_ms(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = crate::ipp::values::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_795_910_341_120), "2026-11-28T23:59:01.120Z");
        assert_eq!(rfc3339_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn lines_are_json_objects() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        let mut e = AuditEvent::new("ipp", "127.0.0.1:5000".parse().unwrap(), "operation");
        e.operation = Some("Pause-Printer".into());
        e.outcome = "challenged".into();
        log.record(&e);
        e.outcome = "accepted".into();
        e.user = Some("alice".into());
        log.record(&e);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["outcome"], "challenged");
        assert_eq!(lines[1]["user"], "alice");
        assert_eq!(lines[1]["peer"], "127.0.0.1:5000");
    }
}
