//! Job attributes as IPP shows them (RFC 8011 §5.3).

use crate::model::{Job, JobState, Printer};
use crate::wire::ipp::{Attribute, Value, ValueTag};

use super::attributes::Endpoint;
use super::values::*;

/// Which attributes a client asked for (`requested-attributes`).
#[derive(Debug, Clone)]
pub struct Requested {
    names: Vec<String>,
    all: bool,
}

impl Requested {
    /// Everything.
    pub fn all() -> Requested {
        Requested {
            names: Vec::new(),
            all: true,
        }
    }

    /// From the `requested-attributes` operation attribute, or `default` when absent.
    pub fn from_attribute(a: Option<&Attribute>, default: &[&str]) -> Requested {
        match a {
            None => Requested {
                names: default.iter().map(|s| s.to_string()).collect(),
                all: default.contains(&"all"),
            },
            Some(a) => {
                let names: Vec<String> = a
                    .values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                let all = names.iter().any(|n| n == "all");
                Requested { names, all }
            }
        }
    }

    /// Whether `name` was asked for by name.
    pub fn names(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// Whether `all` was asked for.
    pub fn is_all(&self) -> bool {
        self.all
    }

    /// For job attributes: whether `name` (in group `group`: `job-template`,
    /// `job-description` or `job-status`) is wanted.
    pub fn wants_job(&self, name: &str, group: &str) -> bool {
        self.all || self.names(group) || self.names(name)
    }
}

/// Whether a job attribute is a template attribute (RFC 8011 §5.2).
fn job_group_of(name: &str) -> &'static str {
    if super::attributes::is_template_attribute(name) {
        "job-template"
    } else if matches!(
        name,
        "job-state"
            | "job-state-reasons"
            | "job-state-message"
            | "job-impressions-completed"
            | "job-media-sheets-completed"
            | "job-printer-up-time"
            | "time-at-processing"
            | "time-at-completed"
            | "date-time-at-processing"
            | "date-time-at-completed"
            | "number-of-intervening-jobs"
            | "job-printer-state-reasons"
            | "job-printer-state-message"
    ) {
        "job-status"
    } else {
        "job-description"
    }
}

/// The attributes of `job` that `req` asks for.
pub fn job_attributes(p: &Printer, job: &Job, ep: &Endpoint, req: &Requested) -> Vec<Attribute> {
    let mut all: Vec<Attribute> = Vec::with_capacity(40);
    let t = |opt: Option<crate::model::SimTime>| -> Value {
        match opt {
            Some(t) => Value::Integer(clamp_i32(t.as_secs()).max(1)),
            None => Value::OutOfBand(ValueTag::NoValue),
        }
    };
    let dt = |opt: Option<crate::model::SimTime>| -> Value {
        match opt {
            Some(t) => Value::DateTime(date_time_value(p.clock.unix_ms(t))),
            None => Value::OutOfBand(ValueTag::NoValue),
        }
    };
    all.push(integer("job-id", clamp_i32(job.id)));
    all.push(uri("job-uri", &ep.job_uri(job.id)));
    all.push(uri("job-uuid", &format!("urn:uuid:{}", job.uuid)));
    all.push(uri("job-printer-uri", &ep.printer_uri(ep.scheme())));
    all.push(name(
        "job-name",
        if job.spec.name.is_empty() {
            "Untitled"
        } else {
            &job.spec.name
        },
    ));
    all.push(name("job-originating-user-name", &job.spec.user));
    all.push(enumeration("job-state", job.state.ipp_enum()));
    let mut reasons = job.reasons.clone();
    if !job.state.is_terminal()
        && p.state() == crate::model::PrinterState::Stopped
        && !reasons.iter().any(|r| r == "printer-stopped")
    {
        reasons.push("printer-stopped".into());
    }
    if reasons.is_empty() {
        reasons.push("none".into());
    }
    all.push(keywords("job-state-reasons", &reasons));
    all.push(text(
        "job-state-message",
        if job.message.is_empty() {
            state_text(job.state)
        } else {
            &job.message
        },
    ));
    all.push(integer("job-printer-up-time", p.up_time()));
    all.push(Attribute::new("time-at-creation", t(Some(job.created))));
    all.push(Attribute::new("time-at-processing", t(job.processing_at)));
    all.push(Attribute::new("time-at-completed", t(job.completed_at)));
    all.push(Attribute::new(
        "date-time-at-creation",
        dt(Some(job.created)),
    ));
    all.push(Attribute::new(
        "date-time-at-processing",
        dt(job.processing_at),
    ));
    all.push(Attribute::new(
        "date-time-at-completed",
        dt(job.completed_at),
    ));
    all.push(integer(
        "number-of-documents",
        clamp_i32(job.documents.len()),
    ));
    let intervening = p
        .jobs()
        .filter(|j| j.id < job.id && !j.state.is_terminal())
        .count();
    if !job.state.is_terminal() {
        all.push(integer(
            "number-of-intervening-jobs",
            clamp_i32(intervening),
        ));
    }
    all.push(integer(
        "job-k-octets",
        clamp_i32(job.total_bytes().div_ceil(1024)),
    ));
    let impressions = if job.closed {
        job.impressions_total
    } else {
        job.documents
            .iter()
            .map(|d| u64::from(d.pages))
            .sum::<u64>()
            * u64::from(job.spec.copies.max(1))
    };
    all.push(integer("job-impressions", clamp_i32(impressions)));
    all.push(integer(
        "job-impressions-completed",
        clamp_i32(job.impressions_completed),
    ));
    all.push(integer(
        "job-media-sheets-completed",
        clamp_i32(job.sheets_completed),
    ));
    all.push(integer(
        "job-pages-completed",
        clamp_i32(job.impressions_completed),
    ));
    all.push(keywords("job-printer-state-reasons", &p.state_reasons()));
    all.push(text("job-printer-state-message", &p.state_message()));
    if let Some(d) = job.documents.first() {
        all.push(Attribute::new(
            "document-format-supplied",
            Value::MimeMediaType(d.format.clone()),
        ));
        all.push(keyword("compression-supplied", &d.compression));
        if let Some(n) = &d.name {
            all.push(name("document-name-supplied", n));
        }
    }
    all.push(keyword(
        "job-hold-until",
        match job.spec.hold_until.as_deref() {
            // Held for its job-password: no job-hold-until keyword says so.
            Some("job-password-wait") => "indefinite",
            other => other.unwrap_or("no-hold"),
        },
    ));
    for a in &job.spec.attributes {
        if a.name != "job-hold-until" {
            all.push(a.clone());
        }
    }
    all.into_iter()
        .filter(|a| req.wants_job(&a.name, job_group_of(&a.name)))
        .collect()
}

fn state_text(s: JobState) -> &'static str {
    match s {
        JobState::Pending => "Job pending",
        JobState::PendingHeld => "Job held",
        JobState::Processing => "Job printing",
        JobState::ProcessingStopped => "Job stopped",
        JobState::Canceled => "Job canceled",
        JobState::Aborted => "Job aborted",
        JobState::Completed => "Job completed",
    }
}
