//! The detection matrix: for every protocol quirk and every printer event (and
//! the transport toxics, for information), run a whole suite against a
//! virtual printer with that one fault and record which cases flag it: the
//! IPP suite for IPP quirks, events and toxics, the LPD or AppSocket suite
//! for the quirks of those protocols (on a printer that prints in real time,
//! so a job just sent is still in the queue), the SNMP suite for SNMP quirks
//! (on the real clock: datagrams and their timeouts), the mDNS suite for
//! mDNS quirks (the printer's responder over an in-memory link, on a
//! simulated clock).
//!
//! The test fails when a quirk or an event is flagged by no case, when a quirk
//! is not flagged by the cases its catalog entry promises
//! ([`QuirkKind::flagged_by`]), when the clean printer is flagged by any case,
//! or when the table in the README is not the one the code produces (run with
//! `PAPERJAM_UPDATE_README=1` to rewrite it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mdns_printer;
mod raw_printer;
mod security_printer;
mod snmp_printer;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use paperjam_sim::fault::catalog::catalog;
use paperjam_sim::fault::quirk::{QuirkKind, QuirkProtocol};
use paperjam_sim::fault::scenario::Scenario;
use paperjam_sim::fault::{Family, Fault, PrinterEvent};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::Outcome;
use paperjam_suites::mdns::MdnsCase;
use paperjam_suites::raw::RawCase;
use paperjam_suites::runner::{RunOptions, Runner};
use paperjam_suites::snmp::SnmpCase;
use paperjam_suites::spec::{load_dir, Case};

/// The cases a run flagged, with their outcomes.
type Flagged = Vec<(String, Outcome)>;

/// How a fault is put on the printer for the matrix.
#[derive(Clone, Debug)]
enum Injection {
    /// Nothing: the clean printer.
    Clean,
    /// Raised at start.
    AtStart(Fault),
    /// Played from a scenario (for one-shot events that need a job).
    Scenario(&'static str),
}

#[derive(Clone, Debug)]
struct Row {
    name: String,
    family: &'static str,
    /// The suite that runs against it.
    suite: QuirkProtocol,
    how: &'static str,
    injection: Injection,
    expected: Vec<&'static str>,
    must_be_flagged: bool,
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for k in QuirkKind::ALL {
        rows.push(Row {
            name: k.name().to_string(),
            family: "quirk",
            suite: k.protocol(),
            how: "raised at start",
            injection: Injection::AtStart(k.name().parse().unwrap()),
            expected: k.flagged_by().to_vec(),
            must_be_flagged: true,
        });
    }
    for e in PrinterEvent::all() {
        let (how, injection, expected): (&str, Injection, Vec<&str>) = match e {
            PrinterEvent::JobAborted => (
                "first job, at its first page",
                Injection::Scenario("[[step]]\nat_job = 1\nat_page = 1\nraise = \"job-aborted\"\n"),
                vec![],
            ),
            PrinterEvent::PowerCycle { .. } => (
                // The suite runs on a paused clock that only moves when a
                // case waits, so a boot delay would outlast the run.
                "on the first Print-Job, instant boot",
                Injection::Scenario(
                    "[[step]]\non_request = \"Print-Job\"\nraise = \"power-cycle=0s\"\n",
                ),
                vec![],
            ),
            // Paused stops printing, but the suite's own Pause/Resume cases run
            // before the status cases and resume it: a job that never
            // completes is what shows.
            PrinterEvent::Paused => (
                "raised at start",
                Injection::AtStart(Fault::Event(e)),
                vec!["ipp/rfc8011/4.2.1/print-job"],
            ),
            PrinterEvent::Condition(c) if !c.stops_printing() => (
                "raised at start",
                Injection::AtStart(Fault::Event(e)),
                vec!["ipp/rfc8011/5.4.12/no-attention-reasons"],
            ),
            _ => (
                "raised at start",
                Injection::AtStart(Fault::Event(e)),
                vec!["ipp/rfc8011/5.4.11/printer-not-stopped"],
            ),
        };
        rows.push(Row {
            name: e.name().to_string(),
            family: "event",
            suite: QuirkProtocol::Ipp,
            how,
            injection,
            expected,
            must_be_flagged: true,
        });
    }
    for (spec, how) in [
        ("reset_peer", "every connection, at once"),
        ("limit_data=64", "every response cut after 64 bytes"),
        ("stall=2s", "every response stalls, closed after 2 s"),
        ("slicer=7,delay=1ms", "responses in 7-byte slices"),
        ("latency=300ms", "every response 300 ms late"),
        ("down", "port refuses connections"),
    ] {
        rows.push(Row {
            name: spec.to_string(),
            family: "transport",
            suite: QuirkProtocol::Ipp,
            how,
            injection: Injection::AtStart(spec.parse().unwrap()),
            expected: vec![],
            must_be_flagged: false,
        });
    }
    rows
}

/// The suites' cases.
#[derive(Clone)]
struct Suites {
    ipp: Vec<Case>,
    lpd: Vec<RawCase>,
    appsocket: Vec<RawCase>,
    snmp: Vec<SnmpCase>,
    mdns: Vec<MdnsCase>,
    security: Vec<paperjam_suites::security::spec::SecurityCase>,
}

/// The printer's configuration with `injection`.
fn config(injection: &Injection) -> ServerConfig {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().unwrap()));
    cfg.ipp_port = 0;
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    cfg.boot_unix_ms = Some(1_700_000_000_000);
    cfg.seed = 1;
    match injection {
        Injection::Clean => {}
        Injection::AtStart(f) => cfg.faults = vec![f.clone()],
        Injection::Scenario(text) => {
            cfg.scenario = Some(Scenario::from_toml(text, "matrix").unwrap())
        }
    }
    cfg
}

/// Run every case against a printer with `injection`; the ids of the cases
/// that did not pass (fail, warn, error).
async fn flagged_by(injection: &Injection, cases: &[Case]) -> Flagged {
    let cfg = config(injection);
    let srv = server::start(cfg).await.unwrap();
    let target = TargetUri::parse(&srv.uris()[0]).unwrap();
    let mut opts = RunOptions::virtual_printer(paperjam_suites::documents_dir());
    opts.timeout = std::time::Duration::from_secs(5);
    let runner = Runner::new(target, opts).await;
    let mut out = Vec::new();
    for c in cases {
        let r = runner.run(c).await;
        if matches!(r.outcome, Outcome::Fail | Outcome::Warn | Outcome::Error) {
            out.push((r.id.clone(), r.outcome));
        }
    }
    srv.shutdown(std::time::Duration::from_millis(100)).await;
    out
}

/// Run a raw suite (LPD or AppSocket) against a printer with `injection`,
/// on the real clock. LPD cases run all at once (`lpd-slow-ack` would
/// otherwise take minutes), AppSocket cases one after another
/// (`socket-one-connection` resets whichever connection comes second).
async fn flagged_by_raw(injection: &Injection, suite: QuirkProtocol, cases: &[RawCase]) -> Flagged {
    let results =
        raw_printer::run_raw_suite(config(injection), suite, cases, suite == QuirkProtocol::Lpd)
            .await;
    results
        .into_iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Warn | Outcome::Error))
        .map(|r| (r.id, r.outcome))
        .collect()
}

/// Run the SNMP suite against a printer with `injection` (SNMP and IPP, for
/// the cross-checks), one case after another.
async fn flagged_by_snmp(injection: &Injection, cases: &[SnmpCase]) -> Flagged {
    snmp_printer::run_snmp_suite(config(injection), cases)
        .await
        .into_iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Warn | Outcome::Error))
        .map(|r| (r.id, r.outcome))
        .collect()
}

/// Run the mDNS suite against a printer with `injection`: its responder
/// over the in-memory link on a simulated clock, IPP for the cross-checks.
async fn flagged_by_mdns(injection: &Injection, cases: &[MdnsCase]) -> Flagged {
    mdns_printer::run_mdns_suite(config(injection), cases)
        .await
        .into_iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Warn | Outcome::Error))
        .map(|r| (r.id, r.outcome))
        .collect()
}

/// One run of the matrix: a printer with `injection`, graded by `suite`.
async fn run_one(injection: &Injection, suite: QuirkProtocol, suites: &Suites) -> Flagged {
    match suite {
        QuirkProtocol::Ipp => flagged_by(injection, &suites.ipp).await,
        QuirkProtocol::Lpd => flagged_by_raw(injection, suite, &suites.lpd).await,
        QuirkProtocol::AppSocket => flagged_by_raw(injection, suite, &suites.appsocket).await,
        QuirkProtocol::Snmp => flagged_by_snmp(injection, &suites.snmp).await,
        QuirkProtocol::Mdns => flagged_by_mdns(injection, &suites.mdns).await,
        QuirkProtocol::Security => flagged_by_security(injection, &suites.security).await,
    }
}

/// Run the security suite against the locked-down preset with
/// `injection` on top (the clean run is the locked-down printer itself,
/// which the suite finds nothing on), over `ipps`.
async fn flagged_by_security(
    injection: &Injection,
    cases: &[paperjam_suites::security::spec::SecurityCase],
) -> Flagged {
    let faults = match injection {
        Injection::AtStart(f) => vec![f.clone()],
        _ => Vec::new(),
    };
    let cfg = security_printer::config(
        paperjam_sim::security::preset::Preset::LockedDown,
        &faults,
        true,
    );
    let (_, results, _) = security_printer::run_security_suite(cfg, "ipps", cases).await;
    results
        .into_iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Warn | Outcome::Error))
        .map(|r| (r.id, r.outcome))
        .collect()
}

/// The clean printer, once per suite, comes first.
const CLEAN_RUNS: [QuirkProtocol; 6] = [
    QuirkProtocol::Ipp,
    QuirkProtocol::Lpd,
    QuirkProtocol::AppSocket,
    QuirkProtocol::Snmp,
    QuirkProtocol::Mdns,
    QuirkProtocol::Security,
];

/// Run the clean printer under every suite, then `rows`, on two threads.
/// IPP runs get a paused-clock runtime (repeat delays and timeouts then cost
/// no wall time); raw-TCP and SNMP runs the real clock (they print in real
/// time, or wait on datagrams).
fn run_all(rows: &[Row], suites: &Suites) -> Vec<Flagged> {
    let mut jobs: Vec<(Injection, QuirkProtocol)> =
        CLEAN_RUNS.iter().map(|s| (Injection::Clean, *s)).collect();
    jobs.extend(rows.iter().map(|r| (r.injection.clone(), r.suite)));
    let results: Arc<Mutex<Vec<Option<Flagged>>>> = Arc::new(Mutex::new(vec![None; jobs.len()]));
    let next = Arc::new(Mutex::new(0usize));
    let jobs = Arc::new(jobs);
    let cases = Arc::new(suites.clone());
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (results, next, jobs, cases) =
                (results.clone(), next.clone(), jobs.clone(), cases.clone());
            std::thread::spawn(move || loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    let i = *n;
                    *n += 1;
                    i
                };
                if i >= jobs.len() {
                    break;
                }
                let (injection, suite) = &jobs[i];
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .start_paused(*suite == QuirkProtocol::Ipp)
                    .build()
                    .unwrap();
                let r = rt.block_on(run_one(injection, *suite, &cases));
                results.lock().unwrap()[i] = Some(r);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let v = std::mem::take(&mut *results.lock().unwrap());
    v.into_iter().map(|r| r.unwrap()).collect()
}

/// The cases that flag a fault: those its entry names first, then a count of
/// the others by outcome (or the first few, when it names none).
fn cell(ids: &[(String, Outcome)], expected: &[&str]) -> String {
    if ids.is_empty() {
        return "— (not flagged)".into();
    }
    let show = |(id, o): &(String, Outcome)| format!("`{id}` ({})", o.as_str());
    let own: Vec<&(String, Outcome)> = ids
        .iter()
        .filter(|(id, _)| expected.contains(&id.as_str()))
        .collect();
    let mut lines: Vec<String> = if own.is_empty() {
        ids.iter().take(3).map(show).collect()
    } else {
        own.iter().map(|x| show(x)).collect()
    };
    let shown = lines.len();
    if ids.len() > shown {
        let rest: Vec<&(String, Outcome)> = if own.is_empty() {
            ids.iter().skip(shown).collect()
        } else {
            ids.iter()
                .filter(|(id, _)| !expected.contains(&id.as_str()))
                .collect()
        };
        let count = |o: Outcome| rest.iter().filter(|(_, x)| *x == o).count();
        let parts: Vec<String> = [Outcome::Fail, Outcome::Warn, Outcome::Error]
            .into_iter()
            .filter(|o| count(*o) > 0)
            .map(|o| format!("{} {}", count(o), o.as_str()))
            .collect();
        lines.push(format!("+ {} more ({})", rest.len(), parts.join(", ")));
    }
    lines.join("<br>")
}

fn markdown(rows: &[Row], results: &[Flagged]) -> String {
    let refs: std::collections::BTreeMap<&str, Option<&str>> = catalog()
        .into_iter()
        .map(|e| (e.name, e.reference))
        .collect();
    let mut s = String::from(
        "| fault | family | suite | injected | flagged by (outcome) | seen in the field |\n|---|---|---|---|---|---|\n",
    );
    for (row, ids) in rows.iter().zip(results) {
        let base = row.name.split(['=', ',']).next().unwrap_or_default();
        let reference = match refs.get(base).copied().flatten() {
            Some(r) if row.family != "transport" => format!("[{}]({r})", short_ref(r)),
            _ => String::new(),
        };
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            row.name,
            row.family,
            row.suite.name(),
            row.how,
            cell(ids, &row.expected),
            reference
        ));
    }
    s
}

/// `https://github.com/apple/cups/issues/953` → `apple/cups#953`.
fn short_ref(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("https://github.com/") {
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() >= 4 && (parts[2] == "issues" || parts[2] == "pull") {
            return format!("{}/{}#{}", parts[0], parts[1], parts[3]);
        }
    }
    if let Some(rest) = url.strip_prefix("https://www.rfc-editor.org/rfc/") {
        return rest
            .replace(".html", "")
            .replace("#section-", " §")
            .to_uppercase();
    }
    url.to_string()
}

const START: &str = "<!-- detection-matrix:start -->\n";
const END: &str = "<!-- detection-matrix:end -->";

#[test]
fn every_quirk_and_event_is_flagged_and_the_clean_printer_is_not() {
    let suites = Suites {
        ipp: load_dir(&paperjam_suites::ipp_suite_dir()).unwrap(),
        lpd: raw_printer::raw_cases(QuirkProtocol::Lpd),
        appsocket: raw_printer::raw_cases(QuirkProtocol::AppSocket),
        snmp: snmp_printer::snmp_cases(),
        mdns: mdns_printer::mdns_cases(),
        security: security_printer::security_cases(),
    };
    let rows = rows();
    let results = run_all(&rows, &suites);
    let (clean, results) = results.split_at(CLEAN_RUNS.len());
    let mut problems = Vec::new();
    for (suite, flagged) in CLEAN_RUNS.iter().zip(clean) {
        if !flagged.is_empty() {
            problems.push(format!(
                "the clean printer is flagged by the {} suite: {flagged:?}",
                suite.name()
            ));
        }
    }
    for (row, ids) in rows.iter().zip(results) {
        let got: BTreeSet<&str> = ids.iter().map(|(i, _)| i.as_str()).collect();
        if row.must_be_flagged && got.is_empty() {
            problems.push(format!(
                "{} ({}) is flagged by no case",
                row.name, row.family
            ));
        }
        for want in &row.expected {
            if !got.contains(want) {
                problems.push(format!(
                    "{} ({}) should be flagged by {want}; flagged by {got:?}",
                    row.name, row.family
                ));
            }
        }
    }
    let table = markdown(&rows, results);
    let readme_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (Some(a), Some(b)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md has no {START:?} … {END:?} markers; the table is:\n{table}");
    };
    let current = &readme[a + START.len()..b];
    if current != table {
        if std::env::var("PAPERJAM_UPDATE_README").is_ok_and(|v| v == "1") {
            let updated = format!("{}{START}{table}{}", &readme[..a], &readme[b..]);
            std::fs::write(&readme_path, updated).unwrap();
        } else {
            problems.push(format!(
                "the README's detection matrix is out of date: run \
                 `PAPERJAM_UPDATE_README=1 cargo nextest run -p paperjam-suites detection_matrix`; \
                 the table is now:\n{table}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every family is in the table.
    for fam in [Family::Quirk, Family::Event, Family::Transport] {
        let name = format!("{fam:?}").to_ascii_lowercase();
        assert!(rows.iter().any(|r| r.family == name), "{name} missing");
    }
}
