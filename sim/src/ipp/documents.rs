//! Document objects (PWG 5100.5): Get-Documents, Get-Document-Attributes,
//! Set-Document-Attributes, Cancel-Document.

use crate::model::{Document, Job, JobState, Printer, SimTime};
use crate::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value, ValueTag};

use super::attributes::Endpoint;
use super::codes::{Operation, Status};
use super::jobs::Requested;
use super::request::{Checked, Rejection};
use super::service::{response, IppCore};
use super::values::*;

fn document_state(job: &Job, d: &Document) -> (i32, &'static str) {
    if d.canceled {
        return (7, "document-canceled-by-user");
    }
    match job.state {
        JobState::Pending | JobState::PendingHeld => (3, "none"),
        JobState::Processing | JobState::ProcessingStopped => (5, "processing-to-stop-point"),
        JobState::Canceled => (7, "document-canceled-by-user"),
        JobState::Aborted => (8, "aborted-by-system"),
        JobState::Completed => (9, "document-completed-successfully"),
    }
}

/// The attributes of one document.
pub fn document_attributes(
    p: &Printer,
    job: &Job,
    d: &Document,
    ep: &Endpoint,
    req: &Requested,
) -> Vec<Attribute> {
    let (state, reason) = document_state(job, d);
    let last = job.closed && job.documents.last().map(|x| x.number) == Some(d.number);
    let time = |t: Option<SimTime>| match t {
        Some(t) => Value::Integer(clamp_i32(t.as_secs()).max(1)),
        None => Value::OutOfBand(ValueTag::NoValue),
    };
    let all = vec![
        integer("document-number", clamp_i32(d.number)),
        integer("document-job-id", clamp_i32(job.id)),
        uri("document-job-uri", &ep.job_uri(job.id)),
        uri("document-printer-uri", &ep.printer_uri(ep.scheme())),
        enumeration("document-state", state),
        keywords("document-state-reasons", &[reason]),
        Attribute::new("document-format", Value::MimeMediaType(d.format.clone())),
        name("document-name", d.name.as_deref().unwrap_or("")),
        keyword("compression", &d.compression),
        integer("k-octets", clamp_i32(d.bytes.div_ceil(1024))),
        integer("impressions", clamp_i32(d.pages)),
        boolean("last-document", last),
        integer("printer-up-time", p.up_time()),
        Attribute::new("time-at-creation", time(Some(job.created))),
        Attribute::new("time-at-processing", time(job.processing_at)),
        Attribute::new("time-at-completed", time(job.completed_at)),
    ];
    all.into_iter()
        .filter(|a| req.is_all() || req.names(&a.name))
        .collect()
}

impl IppCore {
    /// Document operations.
    pub(crate) fn documents(
        &self,
        op: Operation,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
        ep: &Endpoint,
        now: SimTime,
    ) -> Result<Message, Rejection> {
        let id = c.job_id()?;
        let number = match c.op_value("document-number") {
            Some(Value::Integer(n)) if *n > 0 => Some(*n as u32),
            Some(_) => {
                return Err(Rejection::new(
                    Status::BadRequest,
                    "document-number must be an integer of 1 or more",
                ))
            }
            None => None,
        };
        if op == Operation::CancelDocument {
            let n = number.ok_or_else(|| {
                Rejection::new(Status::BadRequest, "Cancel-Document needs document-number")
            })?;
            return match p.cancel_document(id, n, now) {
                Ok(()) => Ok(response(
                    req.version,
                    Status::Ok,
                    req.request_id,
                    &format!("Document {n} of job {id} canceled"),
                )),
                Err(crate::model::ModelError::NoSuchJob(_)) => Err(Rejection::no_such_job(id)),
                Err(crate::model::ModelError::NoSuchDocument { .. }) => Err(Rejection::new(
                    Status::NotFound,
                    format!("job {id} has no document {n}"),
                )),
                Err(e) => Err(Rejection::new(Status::NotPossible, e.to_string())),
            };
        }
        if op == Operation::SetDocumentAttributes {
            let n = number.ok_or_else(|| {
                Rejection::new(
                    Status::BadRequest,
                    "Set-Document-Attributes needs document-number",
                )
            })?;
            let g = req
                .groups
                .iter()
                .find(|g| g.tag == DelimiterTag::DocumentAttributes)
                .ok_or_else(|| {
                    Rejection::new(
                        Status::BadRequest,
                        "Set-Document-Attributes needs a document attributes group",
                    )
                })?;
            let job = p.job_mut(id).ok_or_else(|| Rejection::no_such_job(id))?;
            if !matches!(job.state, JobState::Pending | JobState::PendingHeld) {
                return Err(Rejection::new(
                    Status::NotPossible,
                    format!(
                        "job {id} is {}; documents can change only while pending",
                        job.state.keyword()
                    ),
                ));
            }
            let doc = job
                .documents
                .iter_mut()
                .find(|d| d.number == n)
                .ok_or_else(|| {
                    Rejection::new(Status::NotFound, format!("job {id} has no document {n}"))
                })?;
            for a in &g.attributes {
                match (a.name.as_str(), a.values.as_slice()) {
                    ("document-name", [Value::Name(v)]) => doc.name = Some(v.clone()),
                    _ => {
                        return Err(Rejection::new(
                            Status::AttributesOrValuesNotSupported,
                            format!(
                                "{} cannot be set on a document (only document-name)",
                                a.name
                            ),
                        )
                        .with_unsupported(a.clone()))
                    }
                }
            }
            return Ok(response(
                req.version,
                Status::Ok,
                req.request_id,
                "Document attributes changed",
            ));
        }
        let job = p.job(id).ok_or_else(|| Rejection::no_such_job(id))?;
        let mut m = response(req.version, Status::Ok, req.request_id, "OK");
        if op == Operation::GetDocumentAttributes {
            let n = number.ok_or_else(|| {
                Rejection::new(
                    Status::BadRequest,
                    "Get-Document-Attributes needs document-number",
                )
            })?;
            let d = job
                .documents
                .iter()
                .find(|d| d.number == n)
                .ok_or_else(|| {
                    Rejection::new(Status::NotFound, format!("job {id} has no document {n}"))
                })?;
            let r = Requested::from_attribute(c.ops.get("requested-attributes"), &["all"]);
            m.groups.push(Group {
                tag: DelimiterTag::DocumentAttributes,
                attributes: document_attributes(p, job, d, ep, &r),
            });
        } else {
            let r =
                Requested::from_attribute(c.ops.get("requested-attributes"), &["document-number"]);
            for d in &job.documents {
                m.groups.push(Group {
                    tag: DelimiterTag::DocumentAttributes,
                    attributes: document_attributes(p, job, d, ep, &r),
                });
            }
        }
        Ok(m)
    }
}
