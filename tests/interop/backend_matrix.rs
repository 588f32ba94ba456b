//! What the real CUPS `ipp` backend does under every fault paperjam has: one
//! print of a 2-page PDF per quirk, per printer event and per chosen transport
//! toxic, each against its own `paperjam serve`, with a deadline.
//!
//! The table it writes (`target/interop/cups-ipp-backend-under-faults.md`,
//! also printed) is the record of how a real client copes with each
//! misbehaviour. The test holds the backend to what must be true whatever the
//! CUPS version: the clean printer prints (exit 0, job completed); every
//! printer event that stops printing shows in the backend's own status lines
//! as the matching `STATE: +…-error` (or `-report`) reason; and every run ends
//! (exits or is stopped at its deadline) with its outcome recorded.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use paperjam_sim::fault::catalog::catalog;
use paperjam_sim::fault::Family;

use crate::backend::{spawn_ipp_backend, BackendArgs};
use crate::faults::{scenario_file, Control};
use crate::peers::{document, require_cups_backend, Paperjam};

/// How long one print may take before the backend is stopped.
const DEADLINE: Duration = Duration::from_secs(12);

/// One row: the fault, how it is put on the printer, the reason the backend
/// must report (events).
struct Row {
    fault: String,
    family: &'static str,
    serve_args: Vec<String>,
    scenario: Option<&'static str>,
    must_report: Option<&'static str>,
}

fn rows() -> Vec<Row> {
    let mut rows = vec![Row {
        fault: "(none)".into(),
        family: "clean",
        serve_args: vec![],
        scenario: None,
        must_report: None,
    }];
    for e in catalog() {
        let at_start = |name: &str| vec!["--fault".to_string(), name.to_string()];
        match (e.family, e.name) {
            // LPD and AppSocket quirks: `raw_backend_matrix.rs`.
            (Family::Quirk, name) if e.protocol == Some("ipp") => rows.push(Row {
                fault: name.into(),
                family: "quirk",
                serve_args: at_start(name),
                scenario: None,
                must_report: None,
            }),
            (Family::Event, "job-aborted") => rows.push(Row {
                fault: "job-aborted".into(),
                family: "event",
                serve_args: vec![],
                scenario: Some("[[step]]\nat_job = 1\nat_page = 1\nraise = \"job-aborted\"\n"),
                must_report: None,
            }),
            (Family::Event, "power-cycle") => rows.push(Row {
                fault: "power-cycle=3s".into(),
                family: "event",
                serve_args: vec![],
                scenario: Some(
                    "[[step]]\non_request = \"Send-Document\"\nraise = \"power-cycle=3s\"\n",
                ),
                must_report: None,
            }),
            (Family::Event, name) => rows.push(Row {
                fault: name.into(),
                family: "event",
                serve_args: at_start(name),
                scenario: None,
                must_report: match name {
                    "paused" => None,
                    "toner-low" => Some("toner-low-report"),
                    "offline" => Some("offline-report"),
                    "media-jam" => Some("media-jam-error"),
                    "media-empty" => Some("media-empty-error"),
                    "media-needed" => Some("media-needed-error"),
                    "door-open" => Some("door-open-error"),
                    "toner-empty" => Some("toner-empty-error"),
                    "marker-waste-full" => Some("marker-waste-full-error"),
                    _ => None,
                },
            }),
            _ => {}
        }
    }
    for spec in [
        "latency=500ms",
        "slicer=16,delay=2ms",
        "stall=3s",
        "reset_peer=200ms",
        "limit_data=2000,direction=upstream",
        "down",
    ] {
        rows.push(Row {
            fault: spec.into(),
            family: "transport",
            serve_args: vec!["--fault".into(), spec.into()],
            scenario: None,
            must_report: None,
        });
    }
    rows
}

/// What one run showed.
struct Seen {
    outcome: String,
    states: Vec<String>,
    errors: Vec<String>,
    last_info: String,
    job: String,
    summary: String,
}

fn run_row(row: &Row) -> Seen {
    let mut args: Vec<String> = vec!["--speed".into(), "10".into()];
    args.extend(row.serve_args.iter().cloned());
    let scenario = row.scenario.map(scenario_file);
    if let Some((_, path)) = &scenario {
        args.push("--scenario".into());
        args.push(path.display().to_string());
    }
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut printer = Paperjam::start_with(&arg_refs);
    let control = Control::new(&printer.control_url());
    let backend = spawn_ipp_backend(
        &printer.uri,
        &document("document-letter.pdf"),
        "application/pdf",
        &BackendArgs::default(),
    );
    let out = backend.finish(DEADLINE);
    let outcome = if out.killed {
        format!("still running at {} s, stopped", DEADLINE.as_secs())
    } else {
        format!(
            "exit {} after {:.1} s",
            out.run
                .status
                .code()
                .map_or_else(|| "by signal".to_string(), |c| c.to_string()),
            out.elapsed.as_secs_f64()
        )
    };
    let mut states = BTreeSet::new();
    let mut errors = BTreeSet::new();
    let mut last_info = String::new();
    for (_, l) in &out.timeline {
        if let Some(s) = l.strip_prefix("STATE: ") {
            for r in s.split_whitespace() {
                states.insert(r.to_string());
            }
        } else if let Some(e) = l.strip_prefix("ERROR: ") {
            errors.insert(e.to_string());
        } else if let Some(i) = l.strip_prefix("INFO: ") {
            last_info = i.to_string();
        }
    }
    let job = match std::panic::catch_unwind(|| control.state()) {
        Ok(state) => jobs_summary(&state),
        Err(_) => "control API unreachable".into(),
    };
    Seen {
        outcome,
        states: states.into_iter().collect(),
        errors: errors.into_iter().collect(),
        last_info,
        job,
        summary: out.timed_summary(),
    }
}

/// `1 completed`, or for many jobs their count by state
/// (`4359 jobs: 4359 pending`).
fn jobs_summary(state: &serde_json::Value) -> String {
    let Some(jobs) = state["jobs"].as_array() else {
        return "no job".into();
    };
    match jobs.len() {
        0 => "no job".into(),
        1..=3 => jobs
            .iter()
            .map(|j| format!("{} {}", j["id"], j["state"].as_str().unwrap_or("?")))
            .collect::<Vec<_>>()
            .join(", "),
        n => {
            let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
            for j in jobs {
                *by.entry(j["state"].as_str().unwrap_or("?")).or_default() += 1;
            }
            let parts: Vec<String> = by.iter().map(|(s, c)| format!("{c} {s}")).collect();
            format!("{n} jobs: {}", parts.join(", "))
        }
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[test]
fn cups_ipp_backend_under_every_fault() {
    require_cups_backend("backend/ipp");
    let rows = rows();
    let results = crate::peers::run_parallel(&rows, 3, run_row);

    let mut table = String::from(
        "| fault | family | backend | STATE reasons it set | ERROR lines | last INFO | job in the printer |\n|---|---|---|---|---|---|---|\n",
    );
    for (row, seen) in rows.iter().zip(&results) {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            row.fault,
            row.family,
            cell(&seen.outcome),
            cell(&seen.states.join(" ")),
            cell(&seen.errors.join("; ")),
            cell(&seen.last_info),
            cell(&seen.job)
        ));
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/interop");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("cups-ipp-backend-under-faults.md"), &table);
    println!("{table}");

    let mut problems = Vec::new();
    let clean = &results[0];
    if !clean.outcome.starts_with("exit 0") || !clean.job.contains("completed") {
        problems.push(format!(
            "the clean printer did not print: {} / {}\n{}",
            clean.outcome, clean.job, clean.summary
        ));
    }
    for (row, seen) in rows.iter().zip(&results) {
        if let Some(reason) = row.must_report {
            let want = format!("+{reason}");
            if !seen.states.contains(&want) {
                problems.push(format!(
                    "{}: the backend never reported STATE: {want}; it printed:\n{}",
                    row.fault, seen.summary
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
