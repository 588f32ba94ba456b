//! The IPP core: operations over the printer model, with no IO.
//!
//! ## Contract
//! [`IppCore::handle`] takes a parsed request, the endpoint it arrived on and
//! the current simulated time, and either answers at once
//! ([`Outcome::Respond`]) or, for an operation that carries a document, asks the
//! caller to stream the document into the spool ([`Outcome::Document`]) and then
//! call [`IppCore::finish_document`] with what was stored. The core never reads
//! a socket or the OS clock; the `net` layer pumps bytes, tests call it directly.

use std::sync::{Arc, RwLock};

use crate::model::{
    Document, JobOrigin, JobState, NewJob, Printer, SimTime, SpoolError, SpooledDocument,
};
use crate::profile::Profile;
use crate::wire::coding::Coding;
use crate::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value};

use super::attributes::{is_job_template, live_attributes_filtered, Endpoint, StaticAttributes};
use super::codes::{Operation, Status};
use super::jobs::{job_attributes, Requested};
use super::request::{check, response_version, unsupported_name, Checked, Rejection, Target};
use super::template::{apply_to_job, check_job_group, TemplateCheck};
use super::values::*;

/// The resource path the printer answers on.
pub const PRINTER_PATH: &str = "/ipp/print";

/// Operation attributes the core understands; any other is returned as unsupported.
const KNOWN_OPERATION_ATTRIBUTES: &[&str] = &[
    "document-number",
    "job-id-after",
    "notify-sequence-numbers",
    "notify-subscription-id",
    "notify-subscription-ids",
    "notify-wait",
    "notify-lease-duration",
    "notify-job-id",
    "my-subscriptions",
    "printer-message-from-operator",
    "job-message-from-operator",
    "preserve-job-attributes",
    "attributes-charset",
    "attributes-natural-language",
    "compression",
    "document-format",
    "document-name",
    "document-natural-language",
    "first-index",
    "identify-actions",
    "ipp-attribute-fidelity",
    "job-hold-until",
    "job-id",
    "job-ids",
    "job-impressions",
    "job-k-octets",
    "job-password",
    "job-password-encryption",
    "job-mandatory-attributes",
    "job-media-sheets",
    "job-name",
    "job-uri",
    "last-document",
    "limit",
    "message",
    "my-jobs",
    "printer-uri",
    "requested-attributes",
    "requesting-user-name",
    "requesting-user-uri",
    "which-jobs",
];

/// A response: a message, and possibly the printer's static attributes to
/// append to its last group, already encoded (the fast path of
/// Get-Printer-Attributes for `all`).
#[derive(Debug, Clone)]
pub struct Response {
    /// The response as built; its last group is extended by `tail`.
    pub message: Message,
    tail: Option<Arc<StaticAttributes>>,
}

impl Response {
    /// A response that is just this message.
    pub fn new(message: Message) -> Response {
        Response {
            message,
            tail: None,
        }
    }

    /// The whole response as a message (the static attributes included).
    pub fn into_message(self) -> Message {
        let mut m = self.message;
        if let (Some(t), Some(g)) = (self.tail, m.groups.last_mut()) {
            g.attributes.extend(t.attributes.iter().cloned());
        }
        m
    }

    /// Encode `message`, splicing the static attributes in before the end tag.
    /// `patch` may change the message first (quirks); `end_tag: false` drops it.
    pub fn encode_with(
        &self,
        message: &Message,
        end_tag: bool,
    ) -> Result<Vec<u8>, crate::wire::ipp::WireError> {
        let mut b = message.to_bytes()?;
        // Take the end-of-attributes tag off, append, and put it back (or not).
        b.pop();
        if let Some(t) = &self.tail {
            b.extend_from_slice(&t.encoded);
        }
        if end_tag {
            b.push(0x03);
        }
        Ok(b)
    }

    /// The bytes on the wire.
    pub fn to_bytes(&self) -> Result<Vec<u8>, crate::wire::ipp::WireError> {
        self.encode_with(&self.message, true)
    }
}

/// The request's `attributes-charset`, when it is a supported one other than utf-8.
fn request_charset(req: &Message) -> Option<&'static str> {
    let first = req.groups.first()?.attributes.first()?;
    match (first.name.as_str(), first.values.first()) {
        ("attributes-charset", Some(Value::Charset(c))) if c.eq_ignore_ascii_case("us-ascii") => {
            Some("us-ascii")
        }
        _ => None,
    }
}

/// RFC 8011 §4.1.4.2: the response's attributes-charset is the one the
/// client used, when the Printer supports it; §4.1.4.1: its
/// attributes-natural-language is the one the client asked for when the
/// Printer generates it (`generated-natural-language-supported`), else the
/// Printer's `natural-language-configured`.
fn answer_in(m: &mut Message, charset: Option<&'static str>, language: &str) {
    let Some(g) = m.groups.first_mut() else {
        return;
    };
    for a in g.attributes.iter_mut().take(2) {
        match (a.name.as_str(), charset) {
            ("attributes-charset", Some(cs)) => a.values = vec![Value::Charset(cs.to_string())],
            ("attributes-natural-language", _) if !language.is_empty() => {
                a.values = vec![Value::NaturalLanguage(language.to_string())];
            }
            _ => {}
        }
    }
}

/// What an operation produced, before it becomes an [`Outcome`].
enum Inner {
    Respond(Message),
    Fast(Response),
    Document(DocumentPlan),
}

/// What the caller must do next with a request.
#[derive(Debug)]
pub enum Outcome {
    /// Send this response.
    Respond(Response),
    /// Stream the rest of the body into the spool for this document, then call
    /// [`IppCore::finish_document`].
    Document(DocumentPlan),
}

/// A document the core has agreed to receive.
#[derive(Debug, Clone)]
pub struct DocumentPlan {
    /// The job it belongs to.
    pub job_id: u32,
    /// Its number within the job.
    pub number: u32,
    /// `document-format` (possibly `application/octet-stream`, to be sniffed).
    pub format: String,
    /// `compression` of the data.
    pub coding: Coding,
    /// Whether this is the job's last document.
    pub last: bool,
    /// `document-name`.
    pub name: Option<String>,
    op: Operation,
    version: (u8, u8),
    request_id: u32,
    unsupported: Vec<Attribute>,
    charset: Option<&'static str>,
    language: String,
}

impl DocumentPlan {
    /// The operation that carries the document.
    pub fn operation(&self) -> Operation {
        self.op
    }
}

/// The IPP side of one virtual printer.
#[derive(Debug)]
pub struct IppCore {
    statics: RwLock<Arc<StaticAttributes>>,
}

fn op_group(message: &str) -> Group {
    Group {
        tag: DelimiterTag::OperationAttributes,
        attributes: vec![
            Attribute::new("attributes-charset", Value::Charset("utf-8".into())),
            Attribute::new(
                "attributes-natural-language",
                Value::NaturalLanguage("en".into()),
            ),
            text("status-message", message),
        ],
    }
}

/// A response with the operation group filled in.
pub fn response(version: (u8, u8), status: Status, request_id: u32, message: &str) -> Message {
    Message {
        version: response_version(version),
        code: status.raw(),
        request_id,
        groups: vec![op_group(message)],
    }
}

/// Job template attributes of a request: the job group, plus any template
/// attribute a client put in the operation group (CUPS sends `job-hold-until` there).
fn template_group(c: &Checked<'_>) -> Group {
    let mut g = c.job.cloned().unwrap_or(Group {
        tag: DelimiterTag::JobAttributes,
        attributes: Vec::new(),
    });
    for a in &c.ops.attributes {
        if super::attributes::is_template_attribute(&a.name) && g.get(&a.name).is_none() {
            g.attributes.push(a.clone());
        }
    }
    g
}

pub(crate) fn push_unsupported(m: &mut Message, unsupported: Vec<Attribute>) {
    if !unsupported.is_empty() {
        m.groups.push(Group {
            tag: DelimiterTag::UnsupportedAttributes,
            attributes: unsupported,
        });
    }
}

fn reject(req: &Message, r: Rejection) -> Message {
    let mut m = response(req.version, r.status, req.request_id, &r.message);
    push_unsupported(&mut m, r.unsupported);
    m
}

impl IppCore {
    /// The core for a profile.
    pub fn new(profile: &Profile) -> IppCore {
        IppCore {
            statics: RwLock::new(Arc::new(StaticAttributes::build(profile))),
        }
    }

    /// A core over attributes already built (shared by a fleet's printers
    /// until Set-Printer-Attributes gives one its own).
    pub fn with_statics(statics: Arc<StaticAttributes>) -> IppCore {
        IppCore {
            statics: RwLock::new(statics),
        }
    }

    /// The static attributes: built once from the profile, replaced whole by Set-Printer-Attributes.
    pub fn statics(&self) -> Arc<StaticAttributes> {
        match self.statics.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Replace the static attributes (Set-Printer-Attributes).
    pub(crate) fn set_statics(&self, s: StaticAttributes) {
        match self.statics.write() {
            Ok(mut g) => *g = Arc::new(s),
            Err(p) => *p.into_inner() = Arc::new(s),
        }
    }

    /// Set one text printer attribute (`printer-location`, `printer-name`…)
    /// from another protocol, e.g. an SNMP Set of sysLocation, so IPP shows it.
    pub fn set_printer_text(&self, p: &mut Printer, name: &str, value: &str, now: SimTime) {
        let mut next: StaticAttributes = (*self.statics()).clone();
        let v = if name == "printer-name" {
            Value::Name(value.to_string())
        } else {
            Value::Text(value.to_string())
        };
        match next.attributes.iter_mut().find(|x| x.name == name) {
            Some(x) => x.values = vec![v],
            None => next.attributes.push(Attribute::new(name, v)),
        }
        next.encode();
        self.set_statics(next);
        p.config_changed(now);
    }

    /// Handle one request.
    pub fn handle(&self, p: &mut Printer, req: &Message, ep: &Endpoint, now: SimTime) -> Outcome {
        let charset = request_charset(req);
        let language = self.response_language(req);
        match self.handle_inner(p, req, ep, now) {
            Inner::Respond(mut m) => {
                answer_in(&mut m, charset, &language);
                Outcome::Respond(Response::new(m))
            }
            Inner::Fast(mut r) => {
                answer_in(&mut r.message, charset, &language);
                Outcome::Respond(r)
            }
            Inner::Document(mut d) => {
                d.charset = charset;
                d.language = language;
                Outcome::Document(d)
            }
        }
    }

    /// The natural language of the answer to `req` (RFC 8011 §4.1.4.1).
    fn response_language(&self, req: &Message) -> String {
        let statics = self.statics();
        let values = |name: &str| -> Vec<String> {
            statics
                .attributes
                .iter()
                .find(|a| a.name == name)
                .map(|a| {
                    a.values
                        .iter()
                        .filter_map(|v| match v {
                            Value::NaturalLanguage(l) => Some(l.clone()),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let asked = req
            .groups
            .first()
            .and_then(|g| g.attributes.get(1))
            .filter(|a| a.name == "attributes-natural-language")
            .and_then(|a| match a.values.first() {
                Some(Value::NaturalLanguage(l)) => Some(l.clone()),
                _ => None,
            });
        if let Some(l) = asked {
            if let Some(s) = values("generated-natural-language-supported")
                .into_iter()
                .find(|s| s.eq_ignore_ascii_case(&l))
            {
                return s;
            }
        }
        values("natural-language-configured")
            .into_iter()
            .next()
            .unwrap_or_else(|| "en".to_string())
    }

    fn handle_inner(&self, p: &mut Printer, req: &Message, ep: &Endpoint, now: SimTime) -> Inner {
        p.handle_timeout(now);
        let c = match check(req, PRINTER_PATH) {
            Ok(c) => c,
            Err(r) => return Inner::Respond(reject(req, r)),
        };
        let mut unsupported: Vec<Attribute> = c
            .ops
            .attributes
            .iter()
            .filter(|a| !KNOWN_OPERATION_ATTRIBUTES.contains(&a.name.as_str()))
            .filter(|a| !super::attributes::is_template_attribute(&a.name))
            .map(|a| unsupported_name(&a.name))
            .collect();
        if matches!(c.op, Operation::PrintJob | Operation::CreateJob) && !p.is_accepting_jobs() {
            return Inner::Respond(reject(
                req,
                Rejection::new(
                    Status::NotAcceptingJobs,
                    "the printer is not accepting jobs (Disable-Printer or Shutdown-Printer is in effect)",
                ),
            ));
        }
        let r = match c.op {
            Operation::PrintJob => {
                return self.print_or_validate(p, req, &c, now, true, unsupported)
            }
            Operation::ValidateJob => {
                return self.print_or_validate(p, req, &c, now, false, unsupported)
            }
            Operation::CreateJob => self.create_job(p, req, &c, ep, now, &mut unsupported),
            Operation::SendDocument => return self.send_document(p, req, &c, now, unsupported),
            Operation::GetPrinterAttributes => {
                // RFC 8011 §4.2.5.1: an unsupported document-format is refused.
                if let Some(Value::MimeMediaType(f)) = c.op_value("document-format") {
                    if !self.format_supported(f) {
                        return Inner::Respond(reject(
                            req,
                            Rejection::new(
                                Status::DocumentFormatNotSupported,
                                format!("document-format '{f}' is not supported; see document-format-supported (RFC 8011 §4.2.5.1)"),
                            )
                            .with_unsupported(Attribute::new(
                                "document-format",
                                Value::MimeMediaType(f.clone()),
                            )),
                        ));
                    }
                }
                let r = self.get_printer_attributes(p, req, &c, ep);
                if unsupported.is_empty() {
                    return Inner::Fast(r);
                }
                Ok(r.into_message())
            }
            Operation::GetJobAttributes => self.get_job_attributes(p, req, &c, ep),
            Operation::GetJobs => self.get_jobs(p, req, &c, ep),
            Operation::CancelJob => self.job_op(p, req, &c, now, |p, id, user, now| {
                p.cancel_job(id, user, now)
            }),
            Operation::HoldJob => {
                let until = c
                    .op_value("job-hold-until")
                    .and_then(Value::as_str)
                    .unwrap_or("indefinite")
                    .to_string();
                self.job_op(p, req, &c, now, move |p, id, _u, now| {
                    p.hold_job(id, &until, now)
                })
            }
            Operation::ReleaseJob => {
                self.job_op(p, req, &c, now, |p, id, _u, now| p.release_job(id, now))
            }
            Operation::CloseJob => {
                self.job_op(p, req, &c, now, |p, id, _u, now| p.close_job(id, now))
            }
            Operation::CancelMyJobs => self.cancel_my_jobs(p, req, &c, now),
            Operation::PausePrinter => {
                p.pause_now(now);
                Ok(response(
                    req.version,
                    Status::Ok,
                    req.request_id,
                    "Printer paused",
                ))
            }
            Operation::ResumePrinter => {
                p.resume(now);
                Ok(response(
                    req.version,
                    Status::Ok,
                    req.request_id,
                    "Printer resumed",
                ))
            }
            Operation::IdentifyPrinter => self.identify(p, req, &c),
            Operation::ValidateDocument => self.validate_document(p, req, &c),
            op @ (Operation::EnablePrinter
            | Operation::DisablePrinter
            | Operation::RestartJob
            | Operation::PurgeJobs
            | Operation::SetPrinterAttributes
            | Operation::SetJobAttributes
            | Operation::GetPrinterSupportedValues
            | Operation::PausePrinterAfterCurrentJob
            | Operation::HoldNewJobs
            | Operation::ReleaseHeldNewJobs
            | Operation::RestartPrinter
            | Operation::ShutdownPrinter
            | Operation::StartupPrinter
            | Operation::ReprocessJob
            | Operation::ResubmitJob
            | Operation::CancelCurrentJob
            | Operation::SuspendCurrentJob
            | Operation::ResumeJob
            | Operation::PromoteJob
            | Operation::ScheduleJobAfter
            | Operation::CancelJobs) => self.admin(op, p, req, &c, ep, now),
            op @ (Operation::CancelDocument
            | Operation::GetDocumentAttributes
            | Operation::GetDocuments
            | Operation::SetDocumentAttributes) => self.documents(op, p, req, &c, ep, now),
            op @ (Operation::CreatePrinterSubscriptions
            | Operation::CreateJobSubscriptions
            | Operation::GetSubscriptionAttributes
            | Operation::GetSubscriptions
            | Operation::RenewSubscription
            | Operation::CancelSubscription
            | Operation::GetNotifications) => self.subscriptions(op, p, req, &c, ep, now),
            other => Err(Rejection::new(
                Status::OperationNotSupported,
                format!("operation {other} is not supported by this printer"),
            )),
        };
        let mut m = match r {
            Ok(m) => m,
            Err(rej) => reject(req, rej),
        };
        if !unsupported.is_empty() && m.code == Status::Ok.raw() {
            m.code = Status::OkIgnoredOrSubstituted.raw();
        }
        if !unsupported.is_empty() {
            // The unsupported group goes right after the operation group (RFC 8011 §4.1.7).
            let g = Group {
                tag: DelimiterTag::UnsupportedAttributes,
                attributes: unsupported,
            };
            let at = 1.min(m.groups.len());
            m.groups.insert(at, g);
        }
        Inner::Respond(m)
    }

    pub(crate) fn document_checks(&self, c: &Checked<'_>) -> Result<(String, Coding), Rejection> {
        let format = match c.ops.get("document-format") {
            None => self.default_format(),
            Some(a) => match a.values.as_slice() {
                [Value::MimeMediaType(f)] => f.clone(),
                _ => {
                    return Err(Rejection::new(
                        Status::BadRequest,
                        "document-format must be one mimeMediaType value (RFC 8011 §4.2.1.1)",
                    ))
                }
            },
        };
        if !self.format_supported(&format) {
            return Err(Rejection::new(
                Status::DocumentFormatNotSupported,
                format!(
                    "document-format '{format}' is not supported; see document-format-supported"
                ),
            )
            .with_unsupported(Attribute::new(
                "document-format",
                Value::MimeMediaType(format),
            )));
        }
        let coding = match c.ops.get("compression") {
            None => Coding::None,
            Some(a) => match a.values.as_slice() {
                [Value::Keyword(k)] => match Coding::from_name(k) {
                    Some(cd) if k != "identity" && k != "x-gzip" => cd,
                    _ => {
                        return Err(Rejection::new(
                            Status::CompressionNotSupported,
                            format!(
                                "compression '{k}' is not supported; use none, gzip or deflate"
                            ),
                        )
                        .with_unsupported(a.clone()))
                    }
                },
                _ => {
                    return Err(Rejection::new(
                        Status::BadRequest,
                        "compression must be one keyword value (RFC 8011 §4.2.1.1)",
                    ))
                }
            },
        };
        Ok((format, coding))
    }

    fn default_format(&self) -> String {
        self.statics()
            .attributes
            .iter()
            .find(|a| a.name == "document-format-default")
            .and_then(|a| a.values.first())
            .and_then(Value::as_str)
            .unwrap_or("application/octet-stream")
            .to_string()
    }

    fn format_supported(&self, f: &str) -> bool {
        self.statics()
            .attributes
            .iter()
            .find(|a| a.name == "document-format-supported")
            .is_some_and(|a| a.values.iter().any(|v| v.as_str() == Some(f)))
    }

    pub(crate) fn template(&self, c: &Checked<'_>) -> Result<TemplateCheck, Rejection> {
        let t = check_job_group(&self.statics(), &template_group(c));
        let fidelity = matches!(
            c.op_value("ipp-attribute-fidelity"),
            Some(Value::Boolean(true))
        );
        if fidelity && !t.unsupported.is_empty() {
            let names: Vec<&str> = t.unsupported.iter().map(|a| a.name.as_str()).collect();
            let mut r = Rejection::new(
                Status::AttributesOrValuesNotSupported,
                format!(
                    "ipp-attribute-fidelity is true and these are not supported: {} (RFC 8011 §4.1.7)",
                    names.join(", ")
                ),
            );
            r.unsupported = t.unsupported;
            return Err(r);
        }
        Ok(t)
    }

    pub(crate) fn new_job(&self, p: &Printer, c: &Checked<'_>, t: &TemplateCheck) -> NewJob {
        let mut spec = NewJob {
            name: c
                .op_value("job-name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            user: c.user.clone(),
            origin: Some(JobOrigin::Ipp),
            ..Default::default()
        };
        apply_to_job(&mut spec, &t.accepted, p.profile.is_color());
        if c.ops.get("job-password").is_some()
            && p.profile.security.job_password == crate::security::JobPasswordMode::Hold
        {
            // Held until the password is "typed at the console": a Release-Job.
            spec.hold_until = Some("job-password-wait".into());
        }
        spec
    }

    /// Check `job-password` and `job-password-encryption` (PWG 5100.11 §6.1.3, §6.1.4).
    pub(crate) fn check_job_password(c: &Checked<'_>) -> Result<(), Rejection> {
        if let Some(a) = c.ops.get("job-password") {
            match a.values.as_slice() {
                [Value::OctetString(b)] if b.len() <= 255 => {}
                _ => {
                    return Err(Rejection::new(
                        Status::BadRequest,
                        "job-password must be one octetString of at most 255 octets (PWG 5100.11 §6.1.3)",
                    ))
                }
            }
        }
        if let Some(a) = c.ops.get("job-password-encryption") {
            match a.values.as_slice() {
                [Value::Keyword(k)] if crate::security::JOB_PASSWORD_ENCRYPTIONS.contains(&k.as_str()) => {}
                _ => {
                    return Err(Rejection::new(
                        Status::AttributesOrValuesNotSupported,
                        "job-password-encryption must be one of job-password-encryption-supported (PWG 5100.11 §6.1.4)",
                    ))
                }
            }
        }
        Ok(())
    }

    pub(crate) fn job_summary(&self, p: &Printer, id: u32, ep: &Endpoint) -> Group {
        let attrs = match p.job(id) {
            Some(j) => {
                let req = Requested::from_attribute(
                    None,
                    &[
                        "job-id",
                        "job-uri",
                        "job-state",
                        "job-state-reasons",
                        "job-state-message",
                        "job-uuid",
                        "number-of-intervening-jobs",
                    ],
                );
                job_attributes(p, j, ep, &req)
            }
            None => vec![integer("job-id", clamp_i32(id))],
        };
        Group {
            tag: DelimiterTag::JobAttributes,
            attributes: attrs,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn print_or_validate(
        &self,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
        now: SimTime,
        print: bool,
        mut unsupported: Vec<Attribute>,
    ) -> Inner {
        if c.target != Target::Printer {
            return Inner::Respond(reject(
                req,
                Rejection::new(
                    Status::BadRequest,
                    "Print-Job and Validate-Job are addressed to the printer, not a job",
                ),
            ));
        }
        let (format, coding) = match self.document_checks(c) {
            Ok(x) => x,
            Err(r) => return Inner::Respond(reject(req, r)),
        };
        if let Err(r) = Self::check_job_password(c) {
            return Inner::Respond(reject(req, r));
        }
        let t = match self.template(c) {
            Ok(t) => t,
            Err(r) => return Inner::Respond(reject(req, r)),
        };
        unsupported.extend(t.unsupported.iter().cloned());
        if !print {
            let status = if unsupported.is_empty() {
                Status::Ok
            } else {
                Status::OkIgnoredOrSubstituted
            };
            let mut m = response(
                req.version,
                status,
                req.request_id,
                "The job would be accepted",
            );
            push_unsupported(&mut m, unsupported);
            return Inner::Respond(m);
        }
        let spec = self.new_job(p, c, &t);
        let id = p.create_job(spec, now);
        let number = match p.begin_document(id, now) {
            Ok(n) => n,
            Err(e) => {
                return Inner::Respond(reject(
                    req,
                    Rejection::new(Status::InternalError, e.to_string()),
                ));
            }
        };
        Inner::Document(DocumentPlan {
            job_id: id,
            number,
            format,
            coding,
            last: true,
            name: c
                .op_value("document-name")
                .and_then(Value::as_str)
                .map(str::to_string),
            op: c.op,
            version: req.version,
            request_id: req.request_id,
            unsupported,
            charset: None,
            language: String::new(),
        })
    }

    fn create_job(
        &self,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
        ep: &Endpoint,
        now: SimTime,
        unsupported: &mut Vec<Attribute>,
    ) -> Result<Message, Rejection> {
        if c.target != Target::Printer {
            return Err(Rejection::new(
                Status::BadRequest,
                "Create-Job is addressed to the printer, not a job",
            ));
        }
        Self::check_job_password(c)?;
        let t = self.template(c)?;
        unsupported.extend(t.unsupported.iter().cloned());
        let spec = self.new_job(p, c, &t);
        let id = p.create_job(spec, now);
        let mut m = response(
            req.version,
            Status::Ok,
            req.request_id,
            "Job created; send its documents",
        );
        m.groups.push(self.job_summary(p, id, ep));
        Ok(m)
    }

    fn send_document(
        &self,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
        now: SimTime,
        unsupported: Vec<Attribute>,
    ) -> Inner {
        let Target::Job(id) = c.target else {
            return Inner::Respond(reject(
                req,
                Rejection::new(
                    Status::BadRequest,
                    "Send-Document needs job-id or job-uri (RFC 8011 §4.3.1)",
                ),
            ));
        };
        let last = match c.ops.get("last-document").map(|a| a.values.as_slice()) {
            Some([Value::Boolean(b)]) => *b,
            Some(_) => {
                return Inner::Respond(reject(
                    req,
                    Rejection::new(Status::BadRequest, "last-document must be one boolean value (RFC 8011 §4.3.1.1)"),
                ))
            }
            None => {
                return Inner::Respond(reject(
                    req,
                    Rejection::new(
                        Status::BadRequest,
                        "Send-Document requires the last-document operation attribute (RFC 8011 §4.3.1.1)",
                    ),
                ))
            }
        };
        let (format, coding) = match self.document_checks(c) {
            Ok(x) => x,
            Err(r) => return Inner::Respond(reject(req, r)),
        };
        let number = match p.begin_document(id, now) {
            Ok(n) => n,
            Err(crate::model::ModelError::NoSuchJob(_)) => {
                return Inner::Respond(reject(req, Rejection::no_such_job(id)))
            }
            Err(e) => {
                return Inner::Respond(reject(
                    req,
                    Rejection::new(Status::NotPossible, e.to_string()),
                ))
            }
        };
        Inner::Document(DocumentPlan {
            job_id: id,
            number,
            format,
            coding,
            last,
            name: c
                .op_value("document-name")
                .and_then(Value::as_str)
                .map(str::to_string),
            op: c.op,
            version: req.version,
            request_id: req.request_id,
            unsupported,
            charset: None,
            language: String::new(),
        })
    }

    /// The document of `plan` has been received (or failed); record it and answer.
    pub fn finish_document(
        &self,
        p: &mut Printer,
        plan: DocumentPlan,
        stored: Result<SpooledDocument, SpoolError>,
        ep: &Endpoint,
        now: SimTime,
    ) -> Message {
        let charset = plan.charset;
        let language = plan.language.clone();
        let mut m = self.finish_document_inner(p, plan, stored, ep, now);
        answer_in(&mut m, charset, &language);
        m
    }

    fn finish_document_inner(
        &self,
        p: &mut Printer,
        plan: DocumentPlan,
        stored: Result<SpooledDocument, SpoolError>,
        ep: &Endpoint,
        now: SimTime,
    ) -> Message {
        p.handle_timeout(now);
        let d = match stored {
            Ok(d) => d,
            Err(e) => {
                p.document_failed(plan.job_id, &e.to_string(), now);
                let status = match &e {
                    SpoolError::Corrupt { .. } => Status::CompressionError,
                    SpoolError::TooLarge { .. } => Status::RequestEntityTooLarge,
                    SpoolError::Io { .. } => Status::InternalError,
                };
                return response(plan.version, status, plan.request_id, &e.to_string());
            }
        };
        let empty_close = plan.op == Operation::SendDocument && d.wire_bytes == 0 && plan.last;
        let result = if empty_close {
            let _ = std::fs::remove_file(&d.path);
            p.document_discarded(plan.job_id);
            p.close_job(plan.job_id, now)
        } else {
            let format = if plan.format == "application/octet-stream" {
                d.detected_format
                    .map(str::to_string)
                    .unwrap_or(plan.format.clone())
            } else {
                plan.format.clone()
            };
            let doc = Document {
                number: plan.number,
                format,
                name: plan.name.clone(),
                compression: plan.coding.name().to_string(),
                path: d.path.clone(),
                bytes: d.bytes,
                wire_bytes: d.wire_bytes,
                sha256: d.sha256.clone(),
                pages: d.pages,
                canceled: false,
            };
            p.add_document(plan.job_id, doc, plan.last, now)
        };
        if let Err(e) = result {
            return response(
                plan.version,
                Status::NotPossible,
                plan.request_id,
                &e.to_string(),
            );
        }
        let status = if plan.unsupported.is_empty() {
            Status::Ok
        } else {
            Status::OkIgnoredOrSubstituted
        };
        let msg = match p.job(plan.job_id).map(|j| j.state) {
            Some(JobState::Canceled) => {
                "Document received, but the job was canceled meanwhile".to_string()
            }
            _ => format!("Job {} accepted", plan.job_id),
        };
        let mut m = response(plan.version, status, plan.request_id, &msg);
        push_unsupported(&mut m, plan.unsupported);
        m.groups.push(self.job_summary(p, plan.job_id, ep));
        m
    }

    fn get_printer_attributes(
        &self,
        p: &Printer,
        req: &Message,
        c: &Checked<'_>,
        ep: &Endpoint,
    ) -> Response {
        let requested = Requested::from_attribute(c.ops.get("requested-attributes"), &["all"]);
        let wants = |name: &str| -> bool {
            requested.is_all()
                || requested.names(name)
                || (requested.names("printer-description") && !is_job_template(name))
                || (requested.names("job-template") && is_job_template(name))
        };
        let mut attrs: Vec<Attribute> = Vec::with_capacity(48);
        attrs.extend(live_attributes_filtered(p, ep, &wants));
        let statics = self.statics();
        // `all` takes every static attribute: send them pre-encoded.
        let all_static = requested.is_all();
        if !all_static {
            for a in &statics.attributes {
                if wants(&a.name) {
                    attrs.push(a.clone());
                }
            }
        }
        if requested.names("media-col-database") {
            attrs.push(statics.media_col_database.clone());
        }
        let mut m = response(req.version, Status::Ok, req.request_id, "OK");
        m.groups.push(Group {
            tag: DelimiterTag::PrinterAttributes,
            attributes: attrs,
        });
        Response {
            message: m,
            tail: all_static.then_some(statics),
        }
    }

    fn get_job_attributes(
        &self,
        p: &Printer,
        req: &Message,
        c: &Checked<'_>,
        ep: &Endpoint,
    ) -> Result<Message, Rejection> {
        let id = c.job_id()?;
        let job = p.job(id).ok_or_else(|| Rejection::no_such_job(id))?;
        let requested = Requested::from_attribute(c.ops.get("requested-attributes"), &["all"]);
        let mut m = response(req.version, Status::Ok, req.request_id, "OK");
        m.groups.push(Group {
            tag: DelimiterTag::JobAttributes,
            attributes: job_attributes(p, job, ep, &requested),
        });
        Ok(m)
    }

    fn get_jobs(
        &self,
        p: &Printer,
        req: &Message,
        c: &Checked<'_>,
        ep: &Endpoint,
    ) -> Result<Message, Rejection> {
        let which = match c.op_value("which-jobs") {
            None => "not-completed".to_string(),
            Some(Value::Keyword(k)) => k.clone(),
            Some(_) => {
                return Err(Rejection::new(
                    Status::BadRequest,
                    "which-jobs must be a keyword (RFC 8011 §4.2.6.1)",
                ))
            }
        };
        let states: &[JobState] = match which.as_str() {
            "not-completed" => &[
                JobState::Pending,
                JobState::PendingHeld,
                JobState::Processing,
                JobState::ProcessingStopped,
            ],
            "completed" => &[JobState::Canceled, JobState::Aborted, JobState::Completed],
            "all" => &[
                JobState::Pending,
                JobState::PendingHeld,
                JobState::Processing,
                JobState::ProcessingStopped,
                JobState::Canceled,
                JobState::Aborted,
                JobState::Completed,
            ],
            "aborted" => &[JobState::Aborted],
            "canceled" => &[JobState::Canceled],
            "pending" => &[JobState::Pending],
            "pending-held" => &[JobState::PendingHeld],
            "processing" => &[JobState::Processing],
            "processing-stopped" => &[JobState::ProcessingStopped],
            other => {
                return Err(Rejection::new(
                    Status::AttributesOrValuesNotSupported,
                    format!("which-jobs '{other}' is not supported; see which-jobs-supported"),
                )
                .with_unsupported(keyword("which-jobs", other)))
            }
        };
        let my_jobs = matches!(c.op_value("my-jobs"), Some(Value::Boolean(true)));
        let limit = match c.op_value("limit") {
            None => usize::MAX,
            Some(Value::Integer(n)) if *n > 0 => *n as usize,
            Some(_) => {
                return Err(Rejection::new(
                    Status::BadRequest,
                    "limit must be an integer of 1 or more (RFC 8011 §4.2.6.1)",
                ))
            }
        };
        let first_index = match c.op_value("first-index") {
            None => 1,
            Some(Value::Integer(n)) if *n > 0 => *n as usize,
            Some(_) => {
                return Err(Rejection::new(
                    Status::BadRequest,
                    "first-index must be an integer of 1 or more (PWG 5100.13)",
                ))
            }
        };
        let ids: Option<Vec<i32>> = c
            .ops
            .get("job-ids")
            .map(|a| a.values.iter().filter_map(Value::as_i32).collect());
        let requested =
            Requested::from_attribute(c.ops.get("requested-attributes"), &["job-id", "job-uri"]);
        let mut jobs: Vec<&crate::model::Job> = p
            .jobs()
            .filter(|j| states.contains(&j.state))
            .filter(|j| !my_jobs || j.spec.user == c.user)
            .filter(|j| {
                ids.as_ref()
                    .is_none_or(|ids| ids.contains(&clamp_i32(j.id)))
            })
            .collect();
        if which == "completed" {
            // Most recently completed first (RFC 8011 §4.2.6.1).
            jobs.sort_by(|a, b| b.completed_at.cmp(&a.completed_at).then(b.id.cmp(&a.id)));
        }
        let mut m = response(req.version, Status::Ok, req.request_id, "OK");
        for j in jobs.into_iter().skip(first_index - 1).take(limit) {
            m.groups.push(Group {
                tag: DelimiterTag::JobAttributes,
                attributes: job_attributes(p, j, ep, &requested),
            });
        }
        Ok(m)
    }

    pub(crate) fn job_op<F>(
        &self,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
        now: SimTime,
        f: F,
    ) -> Result<Message, Rejection>
    where
        F: FnOnce(&mut Printer, u32, &str, SimTime) -> Result<(), crate::model::ModelError>,
    {
        let id = c.job_id()?;
        f(p, id, &c.user, now).map_err(|e| Rejection::from_model(id, e))?;
        Ok(response(req.version, Status::Ok, req.request_id, "OK"))
    }

    fn cancel_my_jobs(
        &self,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
        now: SimTime,
    ) -> Result<Message, Rejection> {
        let ids: Option<Vec<i32>> = c
            .ops
            .get("job-ids")
            .map(|a| a.values.iter().filter_map(Value::as_i32).collect());
        let mine: Vec<u32> = p
            .jobs()
            .filter(|j| !j.state.is_terminal() && j.spec.user == c.user)
            .filter(|j| {
                ids.as_ref()
                    .is_none_or(|ids| ids.contains(&clamp_i32(j.id)))
            })
            .map(|j| j.id)
            .collect();
        if let Some(ids) = &ids {
            for id in ids {
                let id = u32::try_from(*id).unwrap_or(0);
                match p.job(id) {
                    None => return Err(Rejection::no_such_job(id)),
                    Some(j) if j.spec.user != c.user => {
                        return Err(Rejection::new(
                            Status::NotAuthorized,
                            format!("job {id} belongs to another user"),
                        ))
                    }
                    Some(j) if j.state.is_terminal() => {
                        return Err(Rejection::new(
                            Status::NotPossible,
                            format!("job {id} is {} and cannot be canceled", j.state.keyword()),
                        ))
                    }
                    _ => {}
                }
            }
        }
        for id in &mine {
            let _ = p.cancel_job(*id, &c.user, now);
        }
        Ok(response(
            req.version,
            Status::Ok,
            req.request_id,
            &format!("{} jobs canceled", mine.len()),
        ))
    }

    fn validate_document(
        &self,
        p: &Printer,
        req: &Message,
        c: &Checked<'_>,
    ) -> Result<Message, Rejection> {
        let id = c.job_id()?;
        let job = p.job(id).ok_or_else(|| Rejection::no_such_job(id))?;
        if job.closed || job.state.is_terminal() {
            return Err(Rejection::new(
                Status::NotPossible,
                format!("job {id} takes no more documents"),
            ));
        }
        self.document_checks(c)?;
        Ok(response(
            req.version,
            Status::Ok,
            req.request_id,
            "The document would be accepted",
        ))
    }

    fn identify(
        &self,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
    ) -> Result<Message, Rejection> {
        let supported = self
            .statics()
            .attributes
            .iter()
            .find(|a| a.name == "identify-actions-supported")
            .map(|a| a.values.clone())
            .unwrap_or_default();
        let mut actions = Vec::new();
        if let Some(a) = c.ops.get("identify-actions") {
            for v in &a.values {
                if !supported.contains(v) {
                    return Err(Rejection::new(
                        Status::AttributesOrValuesNotSupported,
                        format!("identify-actions value {v} is not supported"),
                    )
                    .with_unsupported(a.clone()));
                }
                if let Some(s) = v.as_str() {
                    actions.push(s.to_string());
                }
            }
        }
        p.identify(actions);
        Ok(response(
            req.version,
            Status::Ok,
            req.request_id,
            "Identified",
        ))
    }
}
