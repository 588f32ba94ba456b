//! One nextest test per SNMP case (`suites/snmp/`), named `[LEVEL] id`.
//!
//! With no `PAPERJAM_TARGET`, cases run against one virtual printer started
//! in this process (SNMP and IPP on free ports, writing allowed, the IPP
//! cross-checks against its own IPP service). With
//! `PAPERJAM_TARGET=snmp://[community@]host[:port]` they run against that
//! agent, politely: no SetRequest is sent unless `PAPERJAM_ALLOW_WRITE=1`
//! (with `PAPERJAM_SNMP_WRITE_COMMUNITY`, default the read community), and
//! the cross-checks run only when `PAPERJAM_IPP=ipp://…` names the same
//! printer's IPP service. Other targets skip every case. Run the cases one
//! at a time against a device (`--test-threads 1`). `PAPERJAM_STRICT=1`
//! turns SHOULD warnings into failures.
//!
//! Besides the cases: `suites-load` (every file parses, ids are unique) and
//! `negative-control/...` checks that the runner skips what it must not run
//! and sees what it must see (against the virtual printer only).

use std::sync::OnceLock;

use libtest_mimic::{Arguments, Failed, Trial};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{RunningServer, ServerConfig};
use paperjam_sim::profile::Profile;
use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::{CaseResult, Outcome};
use paperjam_suites::snmp::{self, SnmpCase, SnmpOptions, SnmpRunner, SnmpTarget};

mod snmp_printer;

/// Where the cases run.
enum Peer {
    /// The virtual printer of this process.
    Virtual {
        runner: Box<SnmpRunner>,
        ipp: TargetUri,
        _server: Box<RunningServer>,
    },
    /// `PAPERJAM_TARGET`, an `snmp://` agent.
    Target(Box<SnmpRunner>),
    /// `PAPERJAM_TARGET` names a target the SNMP suite does not grade.
    Other(String),
}

struct Env {
    rt: tokio::runtime::Runtime,
    peer: Peer,
}

fn env() -> &'static Result<Env, String> {
    static ENV: OnceLock<Result<Env, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let peer = match std::env::var("PAPERJAM_TARGET") {
            Ok(t) => external(&rt, &t)?,
            Err(_) => {
                let mut cfg = ServerConfig::new(std::sync::Arc::new(
                    Profile::default_profile().map_err(|e| e.to_string())?,
                ));
                cfg.speed = Speed::Instant;
                let (srv, runner) = rt.block_on(snmp_printer::start(cfg))?;
                let ipp = TargetUri::parse(&srv.uris()[0]).map_err(|e| e.to_string())?;
                Peer::Virtual {
                    runner: Box::new(runner),
                    ipp,
                    _server: Box::new(srv),
                }
            }
        };
        Ok(Env { rt, peer })
    })
}

/// `PAPERJAM_TARGET`: an `snmp://` agent, or something for another suite.
fn external(rt: &tokio::runtime::Runtime, uri: &str) -> Result<Peer, String> {
    let scheme = uri.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if scheme.as_deref() != Some("snmp") {
        return Ok(Peer::Other(uri.to_string()));
    }
    let target = SnmpTarget::parse(uri).map_err(|e| format!("PAPERJAM_TARGET: {e}"))?;
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let community = target
        .community
        .clone()
        .or_else(|| var("PAPERJAM_SNMP_COMMUNITY"))
        .unwrap_or_else(|| "public".into());
    let mut opts = SnmpOptions::new(&community);
    if let Some(w) = var("PAPERJAM_SNMP_WRITE_COMMUNITY") {
        opts.write_community = w;
    }
    opts.allow_write = var("PAPERJAM_ALLOW_WRITE").is_some_and(|v| v == "1");
    if let Some(ipp) = var("PAPERJAM_IPP") {
        opts.ipp = Some(TargetUri::parse(&ipp).map_err(|e| format!("PAPERJAM_IPP: {e}"))?);
    }
    let runner = rt
        .block_on(SnmpRunner::new(&target, opts))
        .map_err(|e| format!("PAPERJAM_TARGET: {e}"))?;
    Ok(Peer::Target(Box::new(runner)))
}

fn env_ok() -> Result<&'static Env, Failed> {
    env()
        .as_ref()
        .map_err(|e| Failed::from(format!("cannot set up: {e}")))
}

/// What the case found, with every exchange.
fn report(r: &CaseResult) -> String {
    format!(
        "{}{}",
        paperjam_suites::report::failure_text(r),
        paperjam_suites::report::evidence_text(r)
    )
}

fn run_case(case: &SnmpCase) -> Result<(), Failed> {
    let env = env_ok()?;
    let runner = match &env.peer {
        Peer::Virtual { runner, .. } | Peer::Target(runner) => runner,
        Peer::Other(uri) => {
            println!(
                "SKIP {}: PAPERJAM_TARGET={uri} is not an snmp:// agent",
                case.id
            );
            return Ok(());
        }
    };
    let r = env.rt.block_on(runner.run(case));
    let strict = std::env::var("PAPERJAM_STRICT").is_ok_and(|v| v == "1");
    match r.verdict(strict) {
        Outcome::Pass => Ok(()),
        Outcome::Skip => {
            println!("SKIP {}: {}", r.id, r.reason);
            // Against our own printer nothing may be skipped.
            match &env.peer {
                Peer::Virtual { .. } => {
                    Err(format!("skipped against the virtual printer: {}", r.reason).into())
                }
                _ => Ok(()),
            }
        }
        Outcome::Warn => {
            println!("WARN {}", report(&r));
            match &env.peer {
                Peer::Virtual { .. } => Err(report(&r).into()),
                _ => Ok(()),
            }
        }
        Outcome::Fail | Outcome::Error => Err(report(&r).into()),
    }
}

/// Every file parses; ids are unique and under `snmp/`; each file has cases.
fn suites_load() -> Result<(), Failed> {
    let cases = snmp::load_dir(&paperjam_suites::snmp_suite_dir()).map_err(|e| e.to_string())?;
    if cases.len() < 25 {
        return Err(format!("too few SNMP cases: {}", cases.len()).into());
    }
    for c in &cases {
        if !c.id.starts_with("snmp/") {
            return Err(format!("{}: id outside snmp/ ({})", c.id, c.source).into());
        }
    }
    // Every quirk's promised cases exist.
    for k in paperjam_sim::fault::quirk::QuirkKind::ALL {
        if k.protocol() != paperjam_sim::fault::quirk::QuirkProtocol::Snmp {
            continue;
        }
        for id in k.flagged_by() {
            if !cases.iter().any(|c| c.id == *id) {
                return Err(format!("{} names {id}, which is not in the suite", k.name()).into());
            }
        }
    }
    Ok(())
}

/// The virtual printer's runner and IPP URI, or why the controls do not run.
fn virtual_peer(env: &Env) -> Result<(&SnmpRunner, &TargetUri), String> {
    match &env.peer {
        Peer::Virtual { runner, ipp, .. } => Ok((runner, ipp)),
        Peer::Target(r) => Err(format!(
            "a check of the runner, run against the in-process printer only (PAPERJAM_TARGET={})",
            r.target().display_uri()
        )),
        Peer::Other(uri) => Err(format!(
            "a check of the runner, run against the in-process printer only (PAPERJAM_TARGET={uri})"
        )),
    }
}

/// A runner for the virtual printer with other options.
fn runner_with(
    env: &Env,
    opts: impl FnOnce(&mut SnmpOptions),
) -> Result<Option<SnmpRunner>, Failed> {
    let (runner, _) = match virtual_peer(env) {
        Ok(x) => x,
        Err(why) => {
            println!("SKIP: {why}");
            return Ok(None);
        }
    };
    let mut o = runner.options().clone();
    opts(&mut o);
    let target = runner.target().clone();
    Ok(Some(
        env.rt
            .block_on(SnmpRunner::new(&target, o))
            .map_err(|e| e.to_string())?,
    ))
}

/// Without permission to write, a case with a Set is skipped, with its
/// reason and no traffic; without an IPP URI, so is a cross-check.
fn skips_are_reasoned() -> Result<(), Failed> {
    let env = env_ok()?;
    let cases = snmp_printer::snmp_cases();
    for (what, case, opts) in [
        (
            "a writing case",
            cases.iter().find(|c| c.writes()),
            Box::new(|o: &mut SnmpOptions| o.allow_write = false)
                as Box<dyn FnOnce(&mut SnmpOptions)>,
        ),
        (
            "a cross-check",
            cases.iter().find(|c| c.needs_ipp()),
            Box::new(|o: &mut SnmpOptions| o.ipp = None),
        ),
    ] {
        let case = case.ok_or(format!("no {what} in the suite"))?;
        let Some(runner) = runner_with(env, opts)? else {
            return Ok(());
        };
        let r = env.rt.block_on(runner.run(case));
        if r.outcome != Outcome::Skip || r.reason.is_empty() || !r.evidence.is_empty() {
            return Err(format!(
                "{what} should be skipped with a reason and no traffic:\n{}",
                report(&r)
            )
            .into());
        }
    }
    Ok(())
}

/// The wrong community gets no answer, so every case but the one that
/// grades answering is skipped, and that one fails.
fn wrong_community_is_one_failure() -> Result<(), Failed> {
    let env = env_ok()?;
    let Some(runner) = runner_with(env, |o| {
        o.community = "paperjam-wrong".into();
        o.timeout = std::time::Duration::from_millis(200);
        o.retries = 0;
    })?
    else {
        return Ok(());
    };
    let results: Vec<CaseResult> = snmp_printer::snmp_cases()
        .iter()
        .map(|c| env.rt.block_on(runner.run(c)))
        .collect();
    for r in &results {
        let want = if r.id == "snmp/rfc3416/4.2.1/get-answered" {
            Outcome::Fail
        } else {
            Outcome::Skip
        };
        if r.outcome != want || r.reason.is_empty() {
            return Err(format!(
                "with a wrong community, {} should be {want:?}:\n{}",
                r.id,
                report(r)
            )
            .into());
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test("suites-load", suites_load),
        Trial::test("negative-control/skips-are-reasoned", skips_are_reasoned),
        Trial::test(
            "negative-control/wrong-community",
            wrong_community_is_one_failure,
        ),
    ];
    match snmp::load_dir(&paperjam_suites::snmp_suite_dir()) {
        Ok(cases) => trials.extend(cases.into_iter().map(|c| {
            let name = format!("[{}] {}", c.level.as_str(), c.id);
            Trial::test(name, move || run_case(&c))
        })),
        Err(e) => eprintln!("cannot load the SNMP suite: {e} (see suites-load)"),
    }
    libtest_mimic::run(&args, trials).exit();
}
