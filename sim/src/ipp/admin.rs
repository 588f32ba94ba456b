//! Printer and job administration (RFC 3380 Set-*-Attributes and
//! Get-Printer-Supported-Values, RFC 3998 and PWG 5100.11 job and printer
//! operations): the operations IPP/2.1 and IPP/2.2 (PWG 5100.12) require.

use crate::model::{JobState, Printer, SimTime};
use crate::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value};

use super::attributes::{is_template_attribute, Endpoint, StaticAttributes};
use super::codes::{Operation, Status};
use super::request::{Checked, Rejection};
use super::service::{response, IppCore};
use super::template::{apply_to_job, check_job_group};
use super::values::*;

/// Printer description attributes Set-Printer-Attributes may change, besides
/// every `xxx-default` whose `xxx-supported` the printer lists.
pub const SETTABLE_PRINTER: &[&str] = &[
    "printer-geo-location",
    "printer-info",
    "printer-location",
    "printer-message-from-operator",
    "printer-organization",
    "printer-organizational-unit",
];

/// Job attributes Set-Job-Attributes may change on a job not yet printing.
pub const SETTABLE_JOB: &[&str] = &[
    "copies",
    "job-hold-until",
    "job-name",
    "job-priority",
    "media",
    "print-color-mode",
    "print-quality",
    "sides",
];

/// The `xxx-default` attributes of `s` that are settable.
pub fn settable_defaults(s: &StaticAttributes) -> Vec<String> {
    s.attributes
        .iter()
        .filter_map(|a| a.name.strip_suffix("-default").map(|b| (a, b)))
        .filter(|(_, base)| {
            is_template_attribute(base)
                && s.attributes
                    .iter()
                    .any(|x| x.name == format!("{base}-supported"))
        })
        .map(|(a, _)| a.name.clone())
        .collect()
}

impl IppCore {
    /// Administrative operations.
    pub(crate) fn admin(
        &self,
        op: Operation,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
        ep: &Endpoint,
        now: SimTime,
    ) -> Result<Message, Rejection> {
        let ok = |msg: &str| response(req.version, Status::Ok, req.request_id, msg);
        match op {
            Operation::EnablePrinter => {
                p.set_accepting(true, now);
                Ok(ok("The printer accepts jobs"))
            }
            Operation::DisablePrinter => {
                p.set_accepting(false, now);
                Ok(ok("The printer no longer accepts jobs"))
            }
            Operation::PausePrinterAfterCurrentJob => {
                p.pause(now);
                Ok(ok("The printer pauses after the current job"))
            }
            Operation::HoldNewJobs => {
                p.set_hold_new_jobs(true, now);
                Ok(ok("New jobs are held"))
            }
            Operation::ReleaseHeldNewJobs => {
                p.set_hold_new_jobs(false, now);
                Ok(ok("Held new jobs released"))
            }
            Operation::RestartPrinter => {
                p.restart_printer(now);
                Ok(ok("Printer restarted"))
            }
            Operation::ShutdownPrinter => {
                p.shutdown_printer(now);
                Ok(ok("Printer shut down; Startup-Printer brings it back"))
            }
            Operation::StartupPrinter => {
                p.startup_printer(now);
                Ok(ok("Printer started"))
            }
            Operation::PurgeJobs => {
                p.purge_jobs(&c.user, now);
                Ok(ok("All jobs purged"))
            }
            Operation::CancelJobs => {
                let ids: Option<Vec<u32>> = c.ops.get("job-ids").map(|a| {
                    a.values
                        .iter()
                        .filter_map(Value::as_i32)
                        .filter_map(|v| u32::try_from(v).ok())
                        .collect()
                });
                let targets: Vec<u32> = match ids {
                    Some(ids) => {
                        for id in &ids {
                            match p.job(*id) {
                                None => return Err(Rejection::no_such_job(*id)),
                                Some(j) if j.state.is_terminal() => {
                                    return Err(Rejection::new(
                                        Status::NotPossible,
                                        format!(
                                            "job {id} is {} and cannot be canceled",
                                            j.state.keyword()
                                        ),
                                    ))
                                }
                                _ => {}
                            }
                        }
                        ids
                    }
                    None => p
                        .jobs()
                        .filter(|j| !j.state.is_terminal())
                        .map(|j| j.id)
                        .collect(),
                };
                for id in &targets {
                    let _ = p.cancel_job(*id, &c.user, now);
                }
                Ok(ok(&format!("{} jobs canceled", targets.len())))
            }
            Operation::RestartJob => {
                let id = c.job_id()?;
                p.restart_job(id, now)
                    .map_err(|e| Rejection::from_model(id, e))?;
                Ok(ok(&format!("Job {id} restarted")))
            }
            Operation::ReprocessJob | Operation::ResubmitJob => {
                let id = c.job_id()?;
                let accepted = if op == Operation::ResubmitJob {
                    let t = self.template(c)?;
                    if !t.unsupported.is_empty() {
                        let mut r = Rejection::new(
                            Status::AttributesOrValuesNotSupported,
                            "Resubmit-Job asks for unsupported job template values",
                        );
                        r.unsupported = t.unsupported;
                        return Err(r);
                    }
                    Some(t.accepted)
                } else {
                    None
                };
                let color = p.profile.is_color();
                let user = c.user.clone();
                let new = p
                    .copy_job(
                        id,
                        |spec| {
                            spec.user = user;
                            if let Some(acc) = accepted {
                                let name = spec.name.clone();
                                apply_to_job(spec, &acc, color);
                                spec.name = name;
                            }
                        },
                        now,
                    )
                    .map_err(|e| Rejection::from_model(id, e))?;
                let mut m = ok(&format!("Job {id} submitted again as job {new}"));
                m.groups.push(self.job_summary(p, new, ep));
                Ok(m)
            }
            Operation::CancelCurrentJob => {
                let id = p
                    .cancel_current(&c.user, now)
                    .map_err(|e| Rejection::new(Status::NotPossible, e.to_string()))?;
                Ok(ok(&format!("Job {id} canceled")))
            }
            Operation::SuspendCurrentJob => {
                let id = p
                    .suspend_current(now)
                    .map_err(|e| Rejection::new(Status::NotPossible, e.to_string()))?;
                Ok(ok(&format!("Job {id} suspended")))
            }
            Operation::ResumeJob => {
                let id = c.job_id()?;
                p.resume_job(id, now)
                    .map_err(|e| Rejection::from_model(id, e))?;
                Ok(ok(&format!("Job {id} resumed")))
            }
            Operation::PromoteJob => {
                let id = c.job_id()?;
                p.promote_job(id, now)
                    .map_err(|e| Rejection::from_model(id, e))?;
                Ok(ok(&format!("Job {id} prints next")))
            }
            Operation::ScheduleJobAfter => {
                let id = c.job_id()?;
                let after = match c.op_value("job-id-after") {
                    Some(Value::Integer(n)) if *n > 0 => *n as u32,
                    _ => return Err(Rejection::new(
                        Status::BadRequest,
                        "Schedule-Job-After needs job-id-after, an integer (PWG 5100.11 §4.2.9)",
                    )),
                };
                p.schedule_after(id, after, now)
                    .map_err(|e| Rejection::from_model(id, e))?;
                Ok(ok(&format!("Job {id} prints after job {after}")))
            }
            Operation::SetJobAttributes => self.set_job_attributes(p, req, c, now),
            Operation::SetPrinterAttributes => self.set_printer_attributes(p, req, now),
            Operation::GetPrinterSupportedValues => Ok(self.get_printer_supported_values(req)),
            other => Err(Rejection::new(
                Status::OperationNotSupported,
                format!("operation {other} is not supported"),
            )),
        }
    }

    fn set_job_attributes(
        &self,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
        now: SimTime,
    ) -> Result<Message, Rejection> {
        let id = c.job_id()?;
        let job = p.job(id).ok_or_else(|| Rejection::no_such_job(id))?;
        if !matches!(job.state, JobState::Pending | JobState::PendingHeld) {
            return Err(Rejection::new(
                Status::NotPossible,
                format!(
                    "job {id} is {}; only pending jobs can change (RFC 3380 §4.2)",
                    job.state.keyword()
                ),
            ));
        }
        let Some(g) = c.job else {
            return Err(Rejection::new(
                Status::BadRequest,
                "Set-Job-Attributes needs a job attributes group (RFC 3380 §4.2)",
            ));
        };
        let mut template = Group {
            tag: DelimiterTag::JobAttributes,
            attributes: Vec::new(),
        };
        let mut name = None;
        for a in &g.attributes {
            if !SETTABLE_JOB.contains(&a.name.as_str()) {
                return Err(Rejection::new(
                    Status::AttributesOrValuesNotSupported,
                    format!(
                        "{} cannot be set; see job-settable-attributes-supported",
                        a.name
                    ),
                )
                .with_unsupported(a.clone()));
            }
            if a.name == "job-name" {
                match a.values.as_slice() {
                    [Value::Name(n)] => name = Some(n.clone()),
                    _ => {
                        return Err(
                            Rejection::new(Status::BadRequest, "job-name must be one name")
                                .with_unsupported(a.clone()),
                        )
                    }
                }
            } else {
                template.attributes.push(a.clone());
            }
        }
        let t = check_job_group(&self.statics(), &template);
        if !t.unsupported.is_empty() {
            let mut r = Rejection::new(
                Status::AttributesOrValuesNotSupported,
                "some values are not supported; nothing was changed (RFC 3380 §4.2)",
            );
            r.unsupported = t.unsupported;
            return Err(r);
        }
        let color = p.profile.is_color();
        if let Some(job) = p.job_mut(id) {
            if let Some(n) = name {
                job.spec.name = n;
            }
            let mut merged: Vec<Attribute> = job
                .spec
                .attributes
                .iter()
                .filter(|a| !t.accepted.iter().any(|b| b.name == a.name))
                .cloned()
                .collect();
            merged.extend(t.accepted.iter().cloned());
            let hold_before = job.spec.hold_until.clone();
            let (name, user, origin) = (
                job.spec.name.clone(),
                job.spec.user.clone(),
                job.spec.origin,
            );
            apply_to_job(&mut job.spec, &merged, color);
            job.spec.name = name;
            job.spec.user = user;
            job.spec.origin = origin;
            let hold_set = t.accepted.iter().any(|a| a.name == "job-hold-until");
            if hold_set {
                match (&job.spec.hold_until, job.state) {
                    (None, JobState::PendingHeld) => {
                        job.state = JobState::Pending;
                        job.reasons.retain(|r| r != "job-hold-until-specified");
                    }
                    (Some(_), JobState::Pending) => {
                        job.state = JobState::PendingHeld;
                        job.reasons.push("job-hold-until-specified".into());
                    }
                    _ => {}
                }
            } else {
                job.spec.hold_until = hold_before;
            }
        }
        p.handle_timeout(now);
        Ok(response(
            req.version,
            Status::Ok,
            req.request_id,
            "Job attributes changed",
        ))
    }

    fn set_printer_attributes(
        &self,
        p: &mut Printer,
        req: &Message,
        now: SimTime,
    ) -> Result<Message, Rejection> {
        let Some(g) = req
            .groups
            .iter()
            .find(|g| g.tag == DelimiterTag::PrinterAttributes)
        else {
            return Err(Rejection::new(
                Status::BadRequest,
                "Set-Printer-Attributes needs a printer attributes group (RFC 3380 §4.1)",
            ));
        };
        let current = self.statics();
        let defaults = settable_defaults(&current);
        let mut next: StaticAttributes = (*current).clone();
        let mut message = None;
        for a in &g.attributes {
            let name = a.name.as_str();
            if name == "printer-message-from-operator" {
                match a.values.as_slice() {
                    [Value::Text(t)] if t.chars().count() <= 127 => message = Some(t.clone()),
                    _ => return Err(Rejection::new(
                        Status::AttributesOrValuesNotSupported,
                        "printer-message-from-operator must be one text of at most 127 characters",
                    )
                    .with_unsupported(a.clone())),
                }
                continue;
            }
            let settable = SETTABLE_PRINTER.contains(&name) || defaults.iter().any(|d| d == name);
            if !settable {
                return Err(Rejection::new(
                    Status::AttributesOrValuesNotSupported,
                    format!("{name} cannot be set; see printer-settable-attributes-supported"),
                )
                .with_unsupported(a.clone()));
            }
            if let Some(base) = name.strip_suffix("-default") {
                let probe = Group {
                    tag: DelimiterTag::JobAttributes,
                    attributes: vec![Attribute::with_values(base, a.values.clone())],
                };
                if !check_job_group(&current, &probe).unsupported.is_empty() {
                    return Err(Rejection::new(
                        Status::AttributesOrValuesNotSupported,
                        format!("{name}: value not in {base}-supported"),
                    )
                    .with_unsupported(a.clone()));
                }
            } else if !matches!(
                a.values.as_slice(),
                [Value::Text(_)] | [Value::Uri(_)] | [Value::OutOfBand(_)]
            ) {
                return Err(Rejection::new(
                    Status::BadRequest,
                    format!("{name} takes one text value (or a uri for printer-geo-location)"),
                )
                .with_unsupported(a.clone()));
            }
            match next.attributes.iter_mut().find(|x| x.name == name) {
                Some(x) => x.values = a.values.clone(),
                None => next.attributes.push(a.clone()),
            }
        }
        if let Some(m) = message {
            p.operator_message = m;
        }
        next.encode();
        self.set_statics(next);
        p.config_changed(now);
        Ok(response(
            req.version,
            Status::Ok,
            req.request_id,
            "Printer attributes changed",
        ))
    }

    fn get_printer_supported_values(&self, req: &Message) -> Message {
        let s = self.statics();
        let mut attrs = Vec::new();
        for d in settable_defaults(&s) {
            if let Some(base) = d.strip_suffix("-default") {
                if let Some(sup) = s
                    .attributes
                    .iter()
                    .find(|a| a.name == format!("{base}-supported"))
                {
                    attrs.push(Attribute::with_values(d.clone(), sup.values.clone()));
                }
            }
        }
        // Text attributes: the longest value accepted (RFC 3380 §4.3).
        for n in SETTABLE_PRINTER {
            attrs.push(integer(n, 127));
        }
        let mut m = response(req.version, Status::Ok, req.request_id, "OK");
        m.groups.push(Group {
            tag: DelimiterTag::PrinterAttributes,
            attributes: attrs,
        });
        m
    }
}
