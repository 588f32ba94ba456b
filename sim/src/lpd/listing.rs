//! Queue listings for `03` (short) and `04` (long), in the BSD layout that
//! `lpq` programs print and scripts read, drawn from the one printer model:
//! every job not yet finished, whichever protocol brought it, and a status
//! line that shows a stopped printer (a jam reads `Warning: lp is down:
//! Paper jam (media-jam-error)`).
//!
//! ```text
//! lp is ready and printing
//! Rank   Owner      Job  Files                                 Total Size
//! active alice      1    report.pdf                            48213 bytes
//! 1st    bob        2    notes.txt, (stdin)                    1022 bytes
//! ```
//!
//! and the long form, one block per job:
//!
//! ```text
//! lp is ready and printing
//!
//! alice: active                            [job 001vm]
//!         report.pdf                       48213 bytes
//! ```
//!
//! Ranks: `active` for the job printing, `stalled` for one printing on a
//! stopped printer, `hold` for a held job, then `1st`, `2nd`… in the order the
//! printer will take them (priority, then age). Job numbers are the model's
//! `job-id`s, the same IPP shows, so `lprm 7` removes what Get-Jobs calls 7.
//! The host in `[job …]` is the job's `job-originating-host-name` (an LPD
//! control file's `H`), when it has one.

use std::fmt;

use crate::model::{Job, JobState, Printer, PrinterState};
use crate::wire::ipp::Value;

/// A job's place in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    /// Printing.
    Active,
    /// Printing, but the printer has stopped (a jam, an open door).
    Stalled,
    /// Held until released.
    Held,
    /// Waiting; 1 is next.
    Queued(usize),
}

impl fmt::Display for Rank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rank::Active => f.write_str("active"),
            Rank::Stalled => f.write_str("stalled"),
            Rank::Held => f.write_str("hold"),
            Rank::Queued(n) => {
                let suffix = if (n / 10) % 10 == 1 {
                    "th"
                } else {
                    match n % 10 {
                        1 => "st",
                        2 => "nd",
                        3 => "rd",
                        _ => "th",
                    }
                };
                write!(f, "{n}{suffix}")
            }
        }
    }
}

/// The IPP attribute that carries an LPD job's `H` line.
pub const HOST_ATTRIBUTE: &str = "job-originating-host-name";

/// The host a job came from, if it says.
pub fn job_host(job: &Job) -> Option<&str> {
    job.spec
        .attributes
        .iter()
        .find(|a| a.name == HOST_ATTRIBUTE)
        .and_then(|a| a.values.first())
        .and_then(|v| match v {
            Value::Name(s) | Value::Text(s) => Some(s.as_str()),
            _ => None,
        })
}

/// Jobs not yet finished, in queue order, with their ranks.
pub fn queue(p: &Printer) -> Vec<(&Job, Rank)> {
    let mut active: Vec<&Job> = Vec::new();
    let mut waiting: Vec<&Job> = Vec::new();
    let mut held: Vec<&Job> = Vec::new();
    for j in p.jobs() {
        match j.state {
            JobState::Processing | JobState::ProcessingStopped => active.push(j),
            JobState::Pending => waiting.push(j),
            JobState::PendingHeld => held.push(j),
            _ => {}
        }
    }
    // The order the printer will take them: highest priority, then oldest.
    waiting.sort_by_key(|j| (std::cmp::Reverse(j.spec.priority), j.order, j.id));
    let stopped = p.state() == PrinterState::Stopped;
    let mut out: Vec<(&Job, Rank)> = active
        .into_iter()
        .map(|j| {
            let stalled = j.state == JobState::ProcessingStopped || stopped;
            (j, if stalled { Rank::Stalled } else { Rank::Active })
        })
        .collect();
    out.extend(
        waiting
            .into_iter()
            .enumerate()
            .map(|(i, j)| (j, Rank::Queued(i + 1))),
    );
    out.extend(held.into_iter().map(|j| (j, Rank::Held)));
    out
}

/// Whether `job` is one of those `list` names (job numbers and user names);
/// an empty list names every job.
pub fn selected(job: &Job, list: &[String]) -> bool {
    list.is_empty()
        || list.iter().any(|item| match item.parse::<u32>() {
            Ok(n) => n == job.id,
            Err(_) => *item == job.spec.user,
        })
}

/// The status lines above the listing.
pub fn status_lines(p: &Printer, queue_name: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if !p.is_accepting_jobs() {
        lines.push(format!("Warning: {queue_name} queue is turned off"));
    }
    let reasons: Vec<String> = p
        .state_reasons()
        .into_iter()
        .filter(|r| r != "none")
        .collect();
    let message = p.state_message();
    match p.state() {
        PrinterState::Stopped => {
            let mut l = format!("Warning: {queue_name} is down: {message}");
            if !reasons.is_empty() {
                l.push_str(&format!(" ({})", reasons.join(", ")));
            }
            lines.push(l);
        }
        state => {
            lines.push(if state == PrinterState::Processing {
                format!("{queue_name} is ready and printing")
            } else {
                format!("{queue_name} is ready")
            });
            if !reasons.is_empty() {
                lines.push(format!("Status: {message} ({})", reasons.join(", ")));
            }
        }
    }
    lines
}

/// The names a job's files go by: its documents' names, else the job's.
fn file_names(job: &Job) -> Vec<String> {
    if job.documents.is_empty() {
        return vec![job.spec.name.clone()];
    }
    job.documents
        .iter()
        .map(|d| d.name.clone().unwrap_or_else(|| job.spec.name.clone()))
        .collect()
}

/// The column (0-based) where the size starts in the short form, under
/// `Total Size`, as BSD `lpq` prints it.
const SIZE_COLUMN: usize = 61;
/// The column the long form pads to before ` [job …]`.
const JOB_COLUMN: usize = 40;
/// The column where the owner starts in the short form.
const OWNER_COLUMN: usize = 7;

/// Pad `s` with spaces to `col` characters, at least one.
fn pad_to(s: &mut String, col: usize) {
    s.push(' ');
    while s.chars().count() < col {
        s.push(' ');
    }
}

/// The short form's heading.
pub fn header() -> String {
    let mut h = String::from("Rank   Owner      Job  Files");
    while h.len() < SIZE_COLUMN - 1 {
        h.push(' ');
    }
    h.push_str(" Total Size");
    h
}

fn job_tag(job: &Job) -> String {
    format!("{:03}{}", job.id, job_host(job).unwrap_or(""))
}

fn short_row(job: &Job, rank: Rank) -> String {
    let mut row = rank.to_string();
    pad_to(&mut row, OWNER_COLUMN);
    row.push_str(&format!("{:<10} {:<3}  ", job.spec.user, job.id));
    let mut first = true;
    for name in file_names(job) {
        let sep = if first { 0 } else { 2 };
        if row.chars().count() + sep + name.chars().count() > SIZE_COLUMN - 4 {
            row.push_str(" ...");
            break;
        }
        if !first {
            row.push_str(", ");
        }
        row.push_str(&name);
        first = false;
    }
    pad_to(&mut row, SIZE_COLUMN);
    let total = job
        .total_bytes()
        .saturating_mul(u64::from(job.spec.copies.max(1)));
    row.push_str(&format!("{total} bytes"));
    row
}

fn long_block(job: &Job, rank: Rank) -> Vec<String> {
    let mut head = format!("{}: {rank}", job.spec.user);
    pad_to(&mut head, JOB_COLUMN);
    head.push_str(&format!(" [job {}]", job_tag(job)));
    let mut lines = vec![String::new(), head];
    let copies = job.spec.copies.max(1);
    let entries: Vec<(String, u64)> = if job.documents.is_empty() {
        vec![(job.spec.name.clone(), 0)]
    } else {
        file_names(job)
            .into_iter()
            .zip(job.documents.iter().map(|d| d.bytes))
            .collect()
    };
    for (name, bytes) in entries {
        let what = if copies > 1 {
            format!("{copies:<2} copies of {name:<19}")
        } else {
            format!("{name:<32}")
        };
        lines.push(format!("\t{what} {bytes} bytes"));
    }
    lines
}

/// The whole answer to `03` (`long == false`) or `04` for `queue_name`,
/// listing the jobs `list` names (all when empty).
pub fn render(p: &Printer, queue_name: &str, long: bool, list: &[String]) -> String {
    let mut lines = status_lines(p, queue_name);
    let jobs: Vec<(&Job, Rank)> = queue(p)
        .into_iter()
        .filter(|(j, _)| selected(j, list))
        .collect();
    if jobs.is_empty() {
        lines.push("no entries".to_string());
    } else if long {
        for (j, r) in jobs {
            lines.extend(long_block(j, r));
        }
    } else {
        lines.push(header());
        for (j, r) in jobs {
            lines.push(short_row(j, r));
        }
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::model::{Clock, Condition, Document, NewJob, SimTime, Speed};
    use crate::profile::Profile;
    use crate::wire::ipp::Attribute;

    fn printer() -> Printer {
        let profile = Arc::new(Profile::default_profile().unwrap());
        Printer::new(profile, Clock::new(1_700_000_000_000), Speed::Realtime)
    }

    fn doc(n: u32, name: &str, bytes: u64) -> Document {
        Document {
            number: n,
            format: "application/pdf".into(),
            name: Some(name.into()),
            compression: "none".into(),
            path: PathBuf::from("/dev/null"),
            bytes,
            wire_bytes: bytes,
            sha256: String::new(),
            pages: 5,
            canceled: false,
        }
    }

    /// A closed job of `user` with one five-page document.
    fn add_job(p: &mut Printer, user: &str, name: &str, bytes: u64, host: Option<&str>) -> u32 {
        let mut spec = NewJob {
            name: name.into(),
            user: user.into(),
            copies: 1,
            priority: 50,
            ..Default::default()
        };
        if let Some(h) = host {
            spec.attributes
                .push(Attribute::new(HOST_ATTRIBUTE, Value::Name(h.into())));
        }
        let id = p.create_job(spec, SimTime::ZERO);
        p.begin_document(id, SimTime::ZERO).unwrap();
        p.add_document(id, doc(1, name, bytes), true, SimTime::ZERO)
            .unwrap();
        id
    }

    #[test]
    fn ranks_read_as_lpq_prints_them() {
        let r = |n| Rank::Queued(n).to_string();
        assert_eq!(
            [
                r(1),
                r(2),
                r(3),
                r(4),
                r(11),
                r(12),
                r(13),
                r(21),
                r(22),
                r(111)
            ],
            ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th"]
        );
    }

    #[test]
    fn idle_printer_has_no_entries() {
        let p = printer();
        assert_eq!(render(&p, "lp", false, &[]), "lp is ready\nno entries\n");
        assert_eq!(render(&p, "lp", true, &[]), "lp is ready\nno entries\n");
    }

    #[test]
    fn short_and_long_forms_while_printing() {
        let mut p = printer();
        add_job(&mut p, "alice", "report.pdf", 48213, Some("vm"));
        add_job(&mut p, "bob", "notes.txt", 1022, None);
        p.handle_timeout(SimTime(10));
        let short = render(&p, "lp", false, &[]);
        let want = "lp is ready and printing\n\
Rank   Owner      Job  Files                                 Total Size\n\
active alice      1    report.pdf                            48213 bytes\n\
1st    bob        2    notes.txt                             1022 bytes\n";
        assert_eq!(short, want);
        let long = render(&p, "lp", true, &[]);
        let want = "lp is ready and printing\n\
\n\
alice: active                            [job 001vm]\n\
\treport.pdf                       48213 bytes\n\
\n\
bob: 1st                                 [job 002]\n\
\tnotes.txt                        1022 bytes\n";
        assert_eq!(long, want);
        // Selections: by user, by number.
        let only_bob = render(&p, "lp", false, &["bob".into()]);
        assert!(
            only_bob.contains("bob") && !only_bob.contains("alice"),
            "{only_bob}"
        );
        let only_1 = render(&p, "lp", false, &["1".into()]);
        assert!(
            only_1.contains("alice") && !only_1.contains("bob"),
            "{only_1}"
        );
        assert!(render(&p, "lp", false, &["carol".into()]).ends_with("no entries\n"));
    }

    #[test]
    fn a_jam_shows_in_the_listing() {
        let mut p = printer();
        add_job(&mut p, "alice", "report.pdf", 100, None);
        p.handle_timeout(SimTime(10));
        p.raise(Condition::MediaJam, SimTime(20));
        let short = render(&p, "lp", false, &[]);
        assert!(
            short.starts_with("Warning: lp is down: Paper jam (media-jam-error)\n"),
            "{short}"
        );
        assert!(short.contains("\nstalled alice"), "{short}");
        let long = render(&p, "lp", true, &[]);
        assert!(long.contains("alice: stalled"), "{long}");
    }

    #[test]
    fn copies_held_jobs_and_long_names() {
        let mut p = printer();
        p.pause(SimTime::ZERO);
        let a = add_job(&mut p, "alice", "a.pdf", 10, None);
        p.job_mut(a).unwrap().spec.copies = 3;
        let long_name = "x".repeat(50);
        add_job(&mut p, "averyveryverylongusername", &long_name, 5, None);
        let held = add_job(&mut p, "carol", "held.pdf", 7, None);
        p.hold_job(held, "indefinite", SimTime::ZERO).unwrap();
        p.handle_timeout(SimTime(1));
        let short = render(&p, "lp", false, &[]);
        assert!(short.contains("1st    alice      1    a.pdf"), "{short}");
        assert!(short.contains("30 bytes"), "{short}");
        assert!(short.contains(" ..."), "{short}");
        assert!(short.contains("hold   carol"), "{short}");
        let long = render(&p, "lp", true, &[]);
        assert!(long.contains("\t3  copies of a.pdf"), "{long}");
        assert!(long.contains("carol: hold"), "{long}");
        assert!(
            short.starts_with("Warning: lp is down: Paused (paused)\n"),
            "{short}"
        );
    }

    #[test]
    fn finished_jobs_are_not_listed() {
        let mut p = printer();
        let id = add_job(&mut p, "alice", "a.pdf", 10, None);
        p.cancel_job(id, "alice", SimTime(1)).unwrap();
        assert!(render(&p, "lp", false, &[]).ends_with("no entries\n"));
    }
}
