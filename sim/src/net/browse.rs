//! The cups-browsed-style UDP listener (the `cups-browsed` fault): reads
//! CUPS browse packets and, while the fault is in force, calls the printer
//! URI a packet names with a Get-Printer-Attributes, as cups-browsed did
//! before the fixes of CVE-2024-47176. See [`crate::security::browse`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::fault::quirk::{is_raised, QuirkKind};
use crate::security::audit::AuditEvent;
use crate::security::browse::{callback_target, BrowsePacket};

use super::server::Shared;

/// How long a call back may take.
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Serve browse packets on `sock` until shutdown.
pub async fn serve_browse(
    sock: UdpSocket,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, from) = tokio::select! {
            r = sock.recv_from(&mut buf) => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::debug!("browse listener: {e}");
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        if !is_raised(&shared.faults.quirks(), QuirkKind::CupsBrowsed) {
            // No cups-browsed in force: the packet goes unread, as on a
            // host without it.
            continue;
        }
        let mut event = AuditEvent::new("browse", from, "browse");
        match BrowsePacket::parse(&buf[..n]) {
            Err(e) => {
                event.outcome = "ignored".into();
                event.detail = e.to_string();
                shared.audit(&event);
            }
            Ok(p) => {
                event.operation = Some(p.uri.clone());
                match callback_target(&p.uri, from.ip()) {
                    Err(why) => {
                        event.outcome = "refused".into();
                        event.detail = why;
                        shared.audit(&event);
                    }
                    Ok((ip, port, path)) => {
                        tracing::info!(%from, uri = %p.uri, "browse packet taken (fault cups-browsed): calling the printer back");
                        let shared = shared.clone();
                        tokio::spawn(async move {
                            let r = tokio::time::timeout(
                                CALLBACK_TIMEOUT,
                                call_back(SocketAddr::new(ip, port), &path),
                            )
                            .await;
                            event.outcome = "called-back".into();
                            event.detail = match r {
                                Ok(Ok(line)) => format!("added {}; it answered {line}", p.uri),
                                Ok(Err(e)) => format!("called {} but: {e}", p.uri),
                                Err(_) => format!("called {} but it did not answer in time", p.uri),
                            };
                            shared.audit(&event);
                        });
                    }
                }
            }
        }
    }
}

/// Send a Get-Printer-Attributes to `addr` and `path`, as cups-browsed
/// does for a new printer; the status line of the answer.
async fn call_back(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut body = vec![0x02, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x01, 0x01];
    let mut attr = |tag: u8, name: &str, value: &str| {
        body.push(tag);
        body.extend_from_slice(&(name.len() as u16).to_be_bytes());
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(&(value.len() as u16).to_be_bytes());
        body.extend_from_slice(value.as_bytes());
    };
    attr(0x47, "attributes-charset", "utf-8");
    attr(0x48, "attributes-natural-language", "en");
    attr(0x45, "printer-uri", &format!("ipp://{addr}{path}"));
    body.push(0x03);
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\nUser-Agent: cups-browsed (paperjam cups-browsed fault)\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(&body).await?;
    let mut answer = vec![0u8; 256];
    let n = s.read(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer[..n]);
    Ok(text.lines().next().unwrap_or("nothing").to_string())
}
