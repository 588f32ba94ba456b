//! IPP over HTTP (RFC 8010 §4): one POST carries one IPP request, and its
//! document data follows the attributes in the same body.
//!
//! The body is read as it arrives: decoded if it has a `Content-Encoding`, the
//! attribute section gathered until its end tag (bounded by
//! [`super::Limits::max_request_bytes`]), then the document streamed into the
//! spool — never held whole in memory.
//!
//! The request handling is generic over the body type, so that the
//! hand-written HTTP/1.x front end of [`super::http10`] (used while an
//! HTTP-level quirk is in force) shares it with hyper's. Behaviour quirks
//! ([`crate::ipp::quirks`]) are applied here, around the sans-IO core: the
//! busy refusals, the missing job history and the lost last document.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use crate::ipp::quirks::{self, Quirk, QuirkKind};
use crate::ipp::{response, Endpoint, Operation, Outcome, Status, PRINTER_PATH};
use crate::model::{SpoolError, SpoolWriter};
use crate::wire::coding::{Coding, Decompressor};
use crate::wire::ipp::{Message, RawMessage};

use super::server::Shared;
use crate::security::audit::AuditEvent;
use crate::security::{Decision, GateRequest, OpClass};
use crate::wire::ipp::DelimiterTag;
use crate::wire::ipp::Value as WireValue;

/// `ipps` or `ipp`, for the audit log.
fn service_name(tls: bool) -> &'static str {
    if tls {
        "ipps"
    } else {
        "ipp"
    }
}

/// Who sent an IPP request, for the audit log.
#[derive(Debug, Clone)]
struct Who {
    peer: SocketAddr,
    tls: bool,
    op: Operation,
    user: Option<String>,
    requesting: Option<String>,
}

impl Who {
    /// Log what became of the request, when its class is audited.
    fn audit(&self, shared: &Shared, outcome: String, job_id: Option<u32>, detail: String) {
        let class = OpClass::of(self.op);
        if !class.audited()
            && !matches!(
                outcome.as_str(),
                "challenged" | "not-authorized" | "bad-header"
            )
        {
            return;
        }
        let mut e = AuditEvent::new(service_name(self.tls), self.peer, "operation");
        e.operation = Some(self.op.to_string());
        e.class = Some(class.name());
        e.user = self.user.clone();
        e.requesting_user = self.requesting.clone();
        e.tls = self.tls;
        e.job_id = job_id;
        e.outcome = outcome;
        e.detail = detail;
        shared.audit(&e);
    }

    /// Log an IPP answer: its status keyword and job.
    fn audit_answer(&self, shared: &Shared, m: &crate::wire::ipp::Message) {
        if shared.audit.is_none() {
            return;
        }
        let status = Status::from_raw(m.code).to_string();
        let job = m
            .group(DelimiterTag::JobAttributes)
            .and_then(|g| g.get("job-id"))
            .and_then(|a| a.first())
            .and_then(|v| match v {
                WireValue::Integer(i) => u32::try_from(*i).ok(),
                _ => None,
            });
        let message = m
            .group(DelimiterTag::OperationAttributes)
            .and_then(|g| g.get("status-message"))
            .and_then(|a| a.first())
            .map(|v| match v {
                WireValue::Text(t) => t.clone(),
                other => format!("{other:?}"),
            })
            .unwrap_or_default();
        self.audit(shared, status, job, message);
    }
}

/// `requesting-user-name` of a request, if it is one name.
fn requesting_user(m: &crate::wire::ipp::Message) -> Option<String> {
    match m
        .group(DelimiterTag::OperationAttributes)?
        .get("requesting-user-name")?
        .first()?
    {
        WireValue::Name(n) => Some(n.clone()),
        WireValue::NameWithLanguage { name, .. } => Some(name.clone()),
        _ => None,
    }
}

/// Put the authenticated `user` in place of `requesting-user-name` (RFC
/// 8011 §9.3: the most authenticated name is the job's owner).
fn set_requesting_user(m: &mut crate::wire::ipp::Message, user: &str) {
    let Some(g) = m
        .groups
        .iter_mut()
        .find(|g| g.tag == DelimiterTag::OperationAttributes)
    else {
        return;
    };
    let value = WireValue::Name(user.to_string());
    match g
        .attributes
        .iter_mut()
        .find(|a| a.name == "requesting-user-name")
    {
        Some(a) => a.values = vec![value],
        None => g.attributes.push(crate::wire::ipp::Attribute::new(
            "requesting-user-name",
            value,
        )),
    }
}

type Resp = Response<Full<Bytes>>;

/// A body sent with `Transfer-Encoding: chunked`: it has no length up front, so
/// hyper frames it in chunks of at most `chunk` bytes.
#[derive(Debug)]
pub struct ChunkedBody {
    data: Bytes,
    chunk: usize,
}

impl hyper::body::Body for ChunkedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        if self.data.is_empty() {
            return std::task::Poll::Ready(None);
        }
        let n = self.chunk.min(self.data.len());
        let part = self.data.split_to(n);
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(part))))
    }
}

/// What the server sends: a body with a Content-Length, or a chunked one.
pub type Body = http_body_util::Either<Full<Bytes>, ChunkedBody>;

/// Serve one HTTP request; with `chunked`, HTTP/1.1 clients get IPP responses
/// in chunked transfer encoding instead of with a Content-Length.
pub async fn serve(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    tls: bool,
) -> Response<Body> {
    let chunk = shared.chunked_responses && req.version() == http::Version::HTTP_11;
    let mut req = req;
    if !tls && wants_tls_upgrade(&req) && shared.tls.on_ipp_port {
        if let Some(r) = upgrade(&mut req, &shared, peer, local) {
            return r.map(http_body_util::Either::Left);
        }
    }
    let resp = serve_http(req, shared, peer, local, tls).await;
    if !chunk {
        return resp.map(http_body_util::Either::Left);
    }
    let (mut parts, body) = resp.into_parts();
    // A Full body yields its one frame at once.
    let data = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(
        parts,
        http_body_util::Either::Right(ChunkedBody { data, chunk: 4096 }),
    )
}

/// Whether a request asks to go on in TLS (RFC 2817 §3: `Upgrade: TLS/1.x`
/// with `Connection: Upgrade`).
fn wants_tls_upgrade<B>(req: &Request<B>) -> bool {
    let has = |name: header::HeaderName, word: &str| {
        req.headers().get_all(name).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|t| t.trim().to_ascii_lowercase().starts_with(word))
            })
        })
    };
    has(header::UPGRADE, "tls/1.") && has(header::CONNECTION, "upgrade")
}

/// `101 Switching Protocols` and TLS on the same connection (RFC 2817 §3.3),
/// when TLS is on; `None` lets the request be served as usual.
fn upgrade(
    req: &mut Request<Incoming>,
    shared: &Arc<Shared>,
    peer: SocketAddr,
    local: Option<SocketAddr>,
) -> Option<Resp> {
    shared.tls.current(&shared.faults.quirks())?;
    let on_upgrade = hyper::upgrade::on(req);
    super::server::upgrade_to_tls(on_upgrade, peer, local, shared.clone());
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    offer_tls_upgrade(&mut r);
    Some(r)
}

/// `Upgrade: TLS/1.2, HTTP/1.1` and `Connection: Upgrade` (RFC 2817 §3.2,
/// §4.2): on a 101 that switches to TLS and on a 426 that asks for it.
fn offer_tls_upgrade(r: &mut Resp) {
    r.headers_mut().insert(
        header::UPGRADE,
        header::HeaderValue::from_static("TLS/1.2, HTTP/1.1"),
    );
    r.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("Upgrade"),
    );
}

/// `426 Upgrade Required` (RFC 2817 §4.2): this printer takes IPP over TLS only.
fn upgrade_required(path: &str) -> Resp {
    let mut r = plain(
        StatusCode::UPGRADE_REQUIRED,
        format!("this printer takes IPP over TLS only: use ipps://, or upgrade this connection to TLS (RFC 2817); {path} is not served in clear text"),
    );
    offer_tls_upgrade(&mut r);
    r
}

fn plain(status: StatusCode, text: impl Into<String>) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(text.into() + "\n")));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn ipp_response(m: &Message) -> Resp {
    ipp_bytes(m.to_bytes())
}

/// Encode a response to `op` with the server's quirks applied.
fn quirky(shared: &Shared, m: &crate::ipp::Response, op: u16) -> Resp {
    quirky_with(&shared.faults.quirks(), m, op)
}

/// Encode a response to `op` with `quirks` applied.
fn quirky_with(quirks: &[Quirk], m: &crate::ipp::Response, op: u16) -> Resp {
    ipp_bytes(quirks::encode(m, Operation::from_raw(op), quirks))
}

fn ipp_bytes(bytes: Result<Vec<u8>, crate::wire::ipp::WireError>) -> Resp {
    match bytes {
        Ok(b) => {
            let mut r = Response::new(Full::new(Bytes::from(b)));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/ipp"),
            );
            r
        }
        Err(e) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode the IPP response: {e}"),
        ),
    }
}

/// An IPP error response when at least the 8-byte header could be read, else HTTP 400.
fn bad_ipp(buf: &[u8], message: &str) -> Resp {
    if buf.len() >= 8 {
        let version = (buf[0], buf[1]);
        let request_id = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        ipp_response(&response(version, Status::BadRequest, request_id, message))
    } else {
        plain(StatusCode::BAD_REQUEST, message)
    }
}

fn endpoint<B>(req: &Request<B>, local: Option<SocketAddr>, tls: bool) -> Endpoint {
    let authority = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .or_else(|| local.map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_string());
    Endpoint {
        authority,
        tls,
        path: PRINTER_PATH.to_string(),
    }
}

/// A request body this module can read: hyper's [`Incoming`], or the
/// channel-fed body of the hand-written front end.
pub trait RequestBody: hyper::body::Body<Data = Bytes> + Unpin + Send {}
impl<B> RequestBody for B
where
    B: hyper::body::Body<Data = Bytes> + Unpin + Send,
    B::Error: std::fmt::Display,
{
}

/// Serve one HTTP request.
pub async fn serve_http<B>(
    req: Request<B>,
    shared: Arc<Shared>,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    tls: bool,
) -> Resp
where
    B: RequestBody,
    B::Error: std::fmt::Display,
{
    let ep = endpoint(&req, local, tls);
    let path = req.uri().path().to_string();
    if !shared.gate.spec.access.ipp.allows(peer.ip()) {
        let mut e = AuditEvent::new(service_name(tls), peer, "refused");
        e.tls = tls;
        e.outcome = "refused".into();
        e.detail = format!("{} is not in the IPP access list", peer.ip());
        shared.audit(&e);
        return plain(
            StatusCode::FORBIDDEN,
            format!("{} may not use this printer (access list)", peer.ip()),
        );
    }
    if !tls && shared.plain_refused() {
        let mut e = AuditEvent::new("ipp", peer, "refused");
        e.outcome = "upgrade-required".into();
        e.detail = format!("{} {path} in clear text", req.method());
        shared.audit(&e);
        return upgrade_required(&path);
    }
    match (req.method(), path.as_str()) {
        (&Method::POST, p) if p == PRINTER_PATH || p == "/" || p.starts_with("/ipp/print/") => {
            post_ipp(req, shared, ep, peer).await
        }
        (&Method::GET, "/") => status_page(&shared, &ep),
        (&Method::GET, p) if p.starts_with("/icon") && p.ends_with(".png") => icon(),
        (&Method::GET, "/supplies") => status_page(&shared, &ep),
        (&Method::POST, _) => plain(
            StatusCode::NOT_FOUND,
            format!("no printer at {path}; POST IPP requests to {PRINTER_PATH}"),
        ),
        (_, _) => plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "IPP requests are HTTP POSTs of application/ipp",
        ),
    }
}

/// Read and discard what is left of a request body (up to the document
/// limit), so a client still sending — its last chunk, say — can finish and
/// read the answer instead of meeting a reset connection.
async fn drain<B>(body: &mut B, limits: &super::Limits)
where
    B: RequestBody,
{
    let mut seen = 0u64;
    while seen <= limits.max_document_bytes {
        match tokio::time::timeout(limits.idle_timeout, body.frame()).await {
            Ok(Some(Ok(f))) => {
                if let Ok(d) = f.into_data() {
                    seen += d.len() as u64;
                }
            }
            _ => break,
        }
    }
}

enum Stage {
    Header,
    Document {
        plan: Box<crate::ipp::DocumentPlan>,
        writer: Box<SpoolWriter>,
        who: Box<Who>,
    },
}

/// Whether the request body comes with `Transfer-Encoding: chunked`.
fn is_chunked<B>(req: &Request<B>) -> bool {
    req.headers()
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("chunked"))
}

/// The finished jobs a printer without job history has already forgotten.
fn finished_jobs(p: &crate::model::Printer) -> Vec<u32> {
    p.jobs()
        .filter(|j| j.state.is_terminal())
        .map(|j| j.id)
        .collect()
}

async fn post_ipp<B>(req: Request<B>, shared: Arc<Shared>, ep: Endpoint, peer: SocketAddr) -> Resp
where
    B: RequestBody,
    B::Error: std::fmt::Display,
{
    // A printer that cannot read chunked bodies says so before reading one.
    if quirks::is_raised(&shared.faults.quirks(), QuirkKind::NoChunked) && is_chunked(&req) {
        let limits = shared.limits.clone();
        let mut body = req.into_body();
        drain(&mut body, &limits).await;
        return plain(
            StatusCode::LENGTH_REQUIRED,
            "this printer does not take chunked request bodies; send a Content-Length",
        );
    }
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ctype
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ipp"))
    {
        return plain(
            StatusCode::BAD_REQUEST,
            format!("Content-Type must be application/ipp, not '{ctype}' (RFC 8010 §4)"),
        );
    }
    let coding = match req.headers().get(header::CONTENT_ENCODING) {
        None => Coding::None,
        Some(v) => match v.to_str().ok().and_then(Coding::from_name) {
            Some(c) => c,
            None => {
                return plain(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("Content-Encoding {v:?} is not supported; use gzip or deflate"),
                )
            }
        },
    };
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec());
    let request_target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let method = req.method().as_str().to_string();
    let limits = shared.limits.clone();
    let mut body = req.into_body();
    let mut decoder = Decompressor::new(coding, Vec::<u8>::new());
    let mut who = Who {
        peer,
        tls: ep.tls,
        op: Operation::Unknown(0),
        user: None,
        requesting: None,
    };
    let mut header_buf: Vec<u8> = Vec::new();
    let mut stage = Stage::Header;
    let mut ended = false;
    loop {
        // Move what the decoder produced into the current stage.
        if let Some(out) = decoder.get_mut() {
            if !out.is_empty() {
                let chunk = std::mem::take(out);
                match &mut stage {
                    Stage::Header => header_buf.extend_from_slice(&chunk),
                    Stage::Document { writer, .. } => {
                        if let Err(e) = writer.write(&chunk) {
                            return finish(&shared, stage, Err(e), &ep);
                        }
                    }
                }
            }
        }
        if let Stage::Header = stage {
            match RawMessage::check(&header_buf) {
                Ok(Some(n)) => {
                    let rest = header_buf.split_off(n);
                    let mut msg = match Message::parse(&header_buf) {
                        Ok((m, _)) => m,
                        Err(e) => {
                            if !ended {
                                drain(&mut body, &limits).await;
                            }
                            return bad_ipp(&header_buf, &format!("malformed IPP request: {e}"));
                        }
                    };
                    let op = Operation::from_raw(msg.code);
                    who.op = op;
                    who.requesting = requesting_user(&msg);
                    let owner = quirks::target_job(&msg)
                        .and_then(|id| shared.printer().job(id).map(|j| j.spec.user.clone()));
                    let decision = shared.gate.decide(
                        &GateRequest {
                            op,
                            authorization: authorization.as_deref(),
                            method: &method,
                            uri: &request_target,
                            requesting_user: who.requesting.as_deref(),
                            job_owner: owner.as_deref(),
                        },
                        shared.now().as_millis(),
                        shared.anonymous_admin(),
                    );
                    match decision {
                        Decision::Allow { user } => {
                            if let Some(u) = &user {
                                set_requesting_user(&mut msg, u);
                            }
                            who.user = user;
                        }
                        Decision::Challenge { challenge, reason } => {
                            if !ended {
                                drain(&mut body, &limits).await;
                            }
                            who.audit(&shared, "challenged".into(), None, reason.clone());
                            return unauthorized(&challenge, &reason);
                        }
                        Decision::BadHeader(reason) => {
                            if !ended {
                                drain(&mut body, &limits).await;
                            }
                            who.audit(&shared, "bad-header".into(), None, reason.clone());
                            return plain(StatusCode::BAD_REQUEST, reason);
                        }
                        Decision::NotAuthorized { user, reason } => {
                            if !ended {
                                drain(&mut body, &limits).await;
                            }
                            who.user = user;
                            who.audit(&shared, "not-authorized".into(), None, reason.clone());
                            return ipp_response(&response(
                                msg.version,
                                Status::NotAuthorized,
                                msg.request_id,
                                &reason,
                            ));
                        }
                    }
                    let (outcome, rescheduled, forgotten, in_force) = {
                        let now = shared.now();
                        let mut p = shared.printer();
                        shared.on_request(msg.code, &mut p, now);
                        // Read again: a scenario step may have raised one for this request.
                        let in_force = shared.faults.quirks();
                        let before = p.poll_timeout();
                        let no_history = quirks::is_active(&in_force, QuirkKind::NoJobHistory, op);
                        // Without job history, a finished job is as good as unknown.
                        let gone = if no_history {
                            p.handle_timeout(now);
                            finished_jobs(&p)
                        } else {
                            Vec::new()
                        };
                        let refuse = |status: Status, message: &str| {
                            Outcome::Respond(crate::ipp::Response::new(response(
                                msg.version,
                                status,
                                msg.request_id,
                                message,
                            )))
                        };
                        let o = if let Some(status) = quirks::refusal(&in_force, op) {
                            refuse(status, "The printer is busy; try again later")
                        } else {
                            match quirks::target_job(&msg) {
                                Some(id) if gone.contains(&id) => {
                                    refuse(Status::NotFound, &format!("Job {id} not found"))
                                }
                                _ => shared.core.handle(&mut p, &msg, &ep, now),
                            }
                        };
                        let forgotten = if no_history && op == Operation::GetJobs {
                            finished_jobs(&p)
                        } else {
                            Vec::new()
                        };
                        (o, p.poll_timeout() != before, forgotten, in_force)
                    };
                    // Wake the clock driver only when the model's next event moved.
                    if rescheduled {
                        shared.poke();
                    }
                    match outcome {
                        Outcome::Respond(mut m) => {
                            tracing::debug!(%peer, op = msg.code, status = m.message.code, "ipp");
                            if !ended {
                                drain(&mut body, &limits).await;
                            }
                            if !forgotten.is_empty() {
                                quirks::hide_jobs(&mut m.message, &forgotten);
                            }
                            who.audit_answer(&shared, &m.message);
                            return quirky_with(&in_force, &m, msg.code);
                        }
                        Outcome::Document(mut plan) => {
                            if plan.operation() == Operation::SendDocument
                                && plan.last
                                && quirks::is_active(&in_force, QuirkKind::LostLastDocument, op)
                            {
                                // Answered as usual, but the job is never closed.
                                plan.last = false;
                            }
                            let w = match shared.spool.writer(
                                plan.job_id,
                                plan.number,
                                &plan.format,
                                plan.coding,
                                limits.max_document_bytes,
                            ) {
                                Ok(w) => w,
                                Err(e) => return fail_plan(&shared, plan, e, &ep, &who),
                            };
                            stage = Stage::Document {
                                plan: Box::new(plan),
                                writer: Box::new(w),
                                who: Box::new(who.clone()),
                            };
                            if let Stage::Document { writer, .. } = &mut stage {
                                if let Err(e) = writer.write(&rest) {
                                    return finish(&shared, stage, Err(e), &ep);
                                }
                            }
                            continue;
                        }
                    }
                }
                Ok(None) if ended => {
                    return bad_ipp(
                        &header_buf,
                        "the request ends before its end-of-attributes tag (RFC 8010 §3.1.1)",
                    )
                }
                Ok(None) => {
                    if header_buf.len() > limits.max_request_bytes {
                        return plain(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            format!(
                                "the IPP attributes are larger than the limit of {} bytes",
                                limits.max_request_bytes
                            ),
                        );
                    }
                }
                Err(e) => {
                    if !ended {
                        drain(&mut body, &limits).await;
                    }
                    return bad_ipp(&header_buf, &format!("malformed IPP request: {e}"));
                }
            }
        }
        if ended {
            return finish(&shared, stage, Ok(()), &ep);
        }
        let frame = match tokio::time::timeout(limits.idle_timeout, body.frame()).await {
            Err(_) => {
                // Record the document as failed (the job is aborted); the client gets a 408.
                drop(finish(
                    &shared,
                    stage,
                    Err(SpoolError::Io {
                        path: Default::default(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "client stopped sending",
                        ),
                    }),
                    &ep,
                ));
                return plain(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "no data for {} s; request abandoned",
                        limits.idle_timeout.as_secs()
                    ),
                );
            }
            Ok(None) => {
                ended = true;
                match decoder.finish() {
                    Ok(rest) => decoder = Decompressor::new(Coding::None, rest),
                    Err(e) => {
                        return decode_error(&shared, stage, &header_buf, &ep, &e.to_string());
                    }
                }
                continue;
            }
            Ok(Some(Err(e))) => {
                let _ = finish(
                    &shared,
                    stage,
                    Err(SpoolError::Io {
                        path: Default::default(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            e.to_string(),
                        ),
                    }),
                    &ep,
                );
                return plain(
                    StatusCode::BAD_REQUEST,
                    format!("request body broken off: {e}"),
                );
            }
            Ok(Some(Ok(f))) => f,
        };
        if let Ok(data) = frame.into_data() {
            if let Err(e) = decoder.write_all(&data) {
                return decode_error(&shared, stage, &header_buf, &ep, &e.to_string());
            }
        }
    }
}

fn decode_error(
    shared: &Arc<Shared>,
    stage: Stage,
    header: &[u8],
    ep: &Endpoint,
    msg: &str,
) -> Resp {
    let text = format!("the request body is not valid for its Content-Encoding: {msg}");
    match stage {
        Stage::Header => bad_ipp(header, &text),
        s @ Stage::Document { .. } => finish(
            shared,
            s,
            Err(SpoolError::Corrupt {
                coding: "content-encoding",
                message: msg.to_string(),
            }),
            ep,
        ),
    }
}

/// The spool file could not even be created: fail the job properly.
fn fail_plan(
    shared: &Arc<Shared>,
    plan: crate::ipp::DocumentPlan,
    e: SpoolError,
    ep: &Endpoint,
    who: &Who,
) -> Resp {
    let op = plan.operation().raw();
    let now = shared.now();
    let m = {
        let mut p = shared.printer();
        shared.core.finish_document(&mut p, plan, Err(e), ep, now)
    };
    who.audit_answer(shared, &m);
    shared.poke();
    quirky(shared, &crate::ipp::Response::new(m), op)
}

fn finish(
    shared: &Arc<Shared>,
    stage: Stage,
    result: Result<(), SpoolError>,
    ep: &Endpoint,
) -> Resp {
    match stage {
        Stage::Header => match result {
            Ok(()) => plain(StatusCode::BAD_REQUEST, "empty request"),
            Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        Stage::Document { plan, writer, who } => {
            let stored = match result {
                Ok(()) => (*writer).finish(),
                Err(e) => {
                    // Keep nothing half-written under a name that looks complete.
                    let path = writer.path().to_path_buf();
                    drop(writer);
                    let partial = path.with_extension("partial");
                    let _ = std::fs::rename(&path, &partial);
                    Err(e)
                }
            };
            let now = shared.now();
            let op = plan.operation().raw();
            let m = {
                let mut p = shared.printer();
                shared.core.finish_document(&mut p, *plan, stored, ep, now)
            };
            who.audit_answer(shared, &m);
            shared.poke();
            quirky(shared, &crate::ipp::Response::new(m), op)
        }
    }
}

/// `401 Unauthorized` with the printer's challenge (RFC 9110 §11.6.1).
fn unauthorized(challenge: &str, reason: &str) -> Resp {
    let mut r = plain(
        StatusCode::UNAUTHORIZED,
        format!("authentication required: {reason}"),
    );
    if let Ok(v) = header::HeaderValue::from_str(challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn status_page(shared: &Arc<Shared>, ep: &Endpoint) -> Resp {
    use std::fmt::Write as _;
    let now = shared.now();
    let mut p = shared.printer();
    p.handle_timeout(now);
    let mut s = String::new();
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let _ = write!(
        s,
        "<!doctype html><meta charset=utf-8><title>{name}</title><h1>{name}</h1><p>{mm}</p><p>State: {state:?} — {msg}<br>Reasons: {reasons}</p><p>URI: {uri}</p><h2>Supplies</h2><ul>",
        name = esc(&p.profile.identity.name),
        mm = esc(&p.profile.make_and_model()),
        state = p.state(),
        msg = esc(&p.state_message()),
        reasons = esc(&p.state_reasons().join(", ")),
        uri = esc(&ep.printer_uri(ep.scheme())),
    );
    for sup in &p.supplies {
        let _ = write!(s, "<li>{}: {}%</li>", esc(&sup.name), sup.level_percent());
    }
    s.push_str("</ul><h2>Jobs</h2><table><tr><th>id<th>name<th>user<th>state<th>impressions</tr>");
    for j in p.jobs().rev().take(50) {
        let _ = write!(
            s,
            "<tr><td>{}<td>{}<td>{}<td>{}<td>{}/{}</tr>",
            j.id,
            esc(&j.spec.name),
            esc(&j.spec.user),
            j.state.keyword(),
            j.impressions_completed,
            j.impressions_total
        );
    }
    s.push_str("</table>");
    let mut r = Response::new(Full::new(Bytes::from(s)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// A 1×1 grey PNG, enough for clients that fetch `printer-icons`.
const ICON_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x68, 0x00, 0x00, 0x00,
    0x82, 0x00, 0x81, 0x77, 0xcd, 0x72, 0xb6, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

fn icon() -> Resp {
    let mut r = Response::new(Full::new(Bytes::from_static(ICON_PNG)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("image/png"),
    );
    r
}
