//! The control API: HTTP/JSON on loopback, so a test or a person can raise a
//! jam at the moment they choose, and clear it.
//!
//! | method | path | body | answer |
//! |---|---|---|---|
//! | GET | `/state` | | printer state, reasons, alerts, jobs (id, state, reasons, pages, name, user, origin), active faults |
//! | GET | `/faults` | | the active faults and the seed |
//! | GET | `/catalog` | | every fault paperjam knows |
//! | POST | `/faults` | `{"fault": "media-jam", "for": "10s"}` (`for` optional) | 201 and the new entry |
//! | DELETE | `/faults/{id-or-name}` | | 200 and what was cleared; 404 if nothing matched |
//! | POST | `/reset` | | 200 and what was cleared |
//!
//! Errors are JSON `{"error": "…"}` with 400 (the message names the field), 404
//! or 405. The API binds loopback unless told otherwise.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::fault::duration::parse_duration;
use crate::fault::{catalog, Fault, FaultSource};

use super::server::PrinterHandle;

/// The default control port.
pub const DEFAULT_CONTROL_PORT: u16 = 8630;

/// What a `POST /faults` body looks like, for error messages.
const EXAMPLE: &str = r#"(expected {"fault": "media-jam", "for": "10s"})"#;

/// Largest request body the API reads.
const MAX_BODY: usize = 64 * 1024;

/// A running control API.
pub struct ControlServer {
    /// Where it listens.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ControlServer {
    /// Stop it.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Serve the control API for `printer` on `addr`.
pub async fn start_control(
    addr: SocketAddr,
    printer: PrinterHandle,
) -> std::io::Result<ControlServer> {
    start_control_fleet(addr, vec![printer]).await
}

/// Serve the control API for a fleet: `/printers/N/…` is printer N's API
/// (`/printers/N/state`, `/printers/N/faults`…), `GET /printers` lists them,
/// and the unprefixed paths are printer 0's.
pub async fn start_control_fleet(
    addr: SocketAddr,
    printers: Vec<PrinterHandle>,
) -> std::io::Result<ControlServer> {
    let printers = Arc::new(printers);
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let (tx, mut rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            let (stream, _) = tokio::select! {
                a = listener.accept() => match a { Ok(x) => x, Err(_) => continue },
                _ = rx.changed() => break,
            };
            let printers = printers.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let printers = printers.clone();
                    async move { Ok::<_, Infallible>(route(req, &printers).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok(ControlServer {
        addr: local,
        shutdown: tx,
        task,
    })
}

fn json(status: StatusCode, v: &impl Serialize) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec_pretty(v).unwrap_or_else(|e| {
        format!("{{\"error\":\"cannot encode the answer: {e}\"}}").into_bytes()
    });
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: StatusCode, message: impl Into<String>) -> Response<Full<Bytes>> {
    #[derive(Serialize)]
    struct E {
        error: String,
    }
    json(
        status,
        &E {
            error: message.into(),
        },
    )
}

/// The body of `POST /faults`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RaiseBody {
    fault: String,
    #[serde(rename = "for")]
    hold: Option<String>,
}

/// What `GET /state` answers.
#[derive(Debug, Serialize)]
pub struct StateView {
    /// `printer-state` keyword.
    #[serde(rename = "printer-state")]
    pub printer_state: String,
    /// `printer-state-reasons`.
    #[serde(rename = "printer-state-reasons")]
    pub printer_state_reasons: Vec<String>,
    /// `printer-state-message`.
    #[serde(rename = "printer-state-message")]
    pub printer_state_message: String,
    /// `printer-is-accepting-jobs`.
    #[serde(rename = "printer-is-accepting-jobs")]
    pub accepting: bool,
    /// `printer-up-time`.
    #[serde(rename = "printer-up-time")]
    pub up_time: i32,
    /// Alert codes in force.
    pub alerts: Vec<&'static str>,
    /// Jobs: id, state, reasons, pages printed.
    pub jobs: Vec<JobView>,
    /// Faults in force.
    pub faults: Vec<crate::fault::ActiveFault>,
    /// The seed.
    pub seed: u64,
}

/// One job in [`StateView`].
#[derive(Debug, Serialize)]
pub struct JobView {
    /// `job-id`.
    pub id: u32,
    /// `job-state` keyword.
    pub state: &'static str,
    /// `job-state-reasons`.
    pub reasons: Vec<String>,
    /// Impressions printed.
    pub pages: u64,
    /// `job-name`.
    pub name: String,
    /// `job-originating-user-name`.
    pub user: String,
    /// The protocol it came in on: `ipp`, `lpd` or `socket`.
    pub origin: &'static str,
}

/// The printer's state as the control API shows it.
pub fn state_view(printer: &PrinterHandle) -> StateView {
    let faults = printer.0.faults.list();
    let seed = printer.0.faults.seed();
    printer.with(|p, _| StateView {
        printer_state: format!("{:?}", p.state()).to_ascii_lowercase(),
        printer_state_reasons: p.state_reasons(),
        printer_state_message: p.state_message(),
        accepting: p.is_accepting_jobs(),
        up_time: p.up_time(),
        alerts: p.alerts().iter().map(|a| a.code).collect(),
        jobs: p
            .jobs()
            .map(|j| JobView {
                id: j.id,
                state: j.state.keyword(),
                reasons: j.reasons.clone(),
                pages: j.impressions_completed,
                name: j.spec.name.clone(),
                user: j.spec.user.clone(),
                origin: match j.spec.origin {
                    Some(crate::model::JobOrigin::Lpd) => "lpd",
                    Some(crate::model::JobOrigin::Socket) => "socket",
                    Some(crate::model::JobOrigin::Ipp) | None => "ipp",
                },
            })
            .collect(),
        faults,
        seed,
    })
}

/// Pick the printer a request is for, and its path within that printer's API.
async fn route(req: Request<Incoming>, printers: &[PrinterHandle]) -> Response<Full<Bytes>> {
    let full = req.uri().path().trim_end_matches('/').to_string();
    let Some(rest) = full.strip_prefix("/printers") else {
        return match printers.first() {
            Some(p) => handle(req, p.clone(), full).await,
            None => error(StatusCode::NOT_FOUND, "no printer"),
        };
    };
    if rest.is_empty() && req.method() == Method::GET {
        #[derive(Serialize)]
        struct Row {
            index: usize,
            state: &'static str,
            faults: usize,
        }
        let rows: Vec<Row> = printers
            .iter()
            .enumerate()
            .map(|(index, p)| Row {
                index,
                state: p.with(|pr, _| match pr.state() {
                    crate::model::PrinterState::Idle => "idle",
                    crate::model::PrinterState::Processing => "processing",
                    crate::model::PrinterState::Stopped => "stopped",
                }),
                faults: p.0.faults.list().len(),
            })
            .collect();
        return json(StatusCode::OK, &rows);
    }
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let (index, path) = rest.split_once('/').unwrap_or((rest, ""));
    match index.parse::<usize>().ok().and_then(|i| printers.get(i)) {
        Some(p) => {
            handle(
                req,
                p.clone(),
                format!("/{path}").trim_end_matches('/').to_string(),
            )
            .await
        }
        None => error(
            StatusCode::NOT_FOUND,
            format!(
                "no printer {index:?}: the fleet has printers 0 to {}",
                printers.len().saturating_sub(1)
            ),
        ),
    }
}

async fn handle(
    req: Request<Incoming>,
    printer: PrinterHandle,
    path: String,
) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    match (method, path.as_str()) {
        (Method::GET, "/state" | "") => json(StatusCode::OK, &state_view(&printer)),
        (Method::GET, "/faults") => {
            #[derive(Serialize)]
            struct L {
                seed: u64,
                faults: Vec<crate::fault::ActiveFault>,
            }
            json(
                StatusCode::OK,
                &L {
                    seed: printer.0.faults.seed(),
                    faults: printer.0.faults.list(),
                },
            )
        }
        (Method::GET, "/catalog") => json(StatusCode::OK, &catalog::catalog()),
        (Method::POST, "/faults") => {
            let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => return error(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            };
            let parsed: RaiseBody = match serde_json::from_slice(&body) {
                Ok(b) => b,
                Err(e) => return error(StatusCode::BAD_REQUEST, format!("body: {e} {EXAMPLE}")),
            };
            let fault: Fault = match parsed.fault.parse() {
                Ok(f) => f,
                Err(e) => return error(StatusCode::BAD_REQUEST, format!("fault: {e}")),
            };
            let hold = match parsed.hold.as_deref().map(parse_duration).transpose() {
                Ok(h) => h,
                Err(e) => return error(StatusCode::BAD_REQUEST, format!("for: {e}")),
            };
            let entry = printer.raise_fault(fault, FaultSource::Api, hold);
            json(StatusCode::CREATED, &entry)
        }
        (Method::POST, "/reset") | (Method::DELETE, "/faults") => {
            #[derive(Serialize)]
            struct C {
                cleared: Vec<crate::fault::ActiveFault>,
            }
            json(
                StatusCode::OK,
                &C {
                    cleared: printer.reset_faults(),
                },
            )
        }
        (Method::DELETE, p) if p.starts_with("/faults/") => {
            let sel = percent_decode(&p["/faults/".len()..]);
            #[derive(Serialize)]
            struct C {
                cleared: Vec<crate::fault::ActiveFault>,
            }
            match printer.clear_fault(&sel) {
                Ok(cleared) => json(StatusCode::OK, &C { cleared }),
                Err(e) => error(StatusCode::NOT_FOUND, e.to_string()),
            }
        }
        (_, "/state" | "/faults" | "/catalog" | "/reset") => {
            error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here")
        }
        (_, p) => error(
            StatusCode::NOT_FOUND,
            format!("no such endpoint '{p}' (try /state, /faults, /catalog, /reset)"),
        ),
    }
}

/// Decode `%XX` escapes (fault specs may hold `=` and `,`).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_escapes() {
        assert_eq!(percent_decode("media-jam"), "media-jam");
        assert_eq!(percent_decode("latency%3D200ms"), "latency=200ms");
        assert_eq!(percent_decode("50%"), "50%");
        assert_eq!(percent_decode("%4"), "%4");
    }
}
