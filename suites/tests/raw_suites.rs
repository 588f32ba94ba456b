//! One nextest test per raw-TCP case (LPD, `suites/lpd/`; AppSocket/PJL,
//! `suites/appsocket/`), named `[LEVEL] id`, against one virtual printer
//! started in this process (LPD and AppSocket on free ports, instant speed,
//! TLS off, printing allowed). `PAPERJAM_STRICT=1` turns SHOULD warnings into
//! failures.
//!
//! Besides the cases: `suites-load` (every file parses, ids are unique) and
//! `negative-control/...` checks that the runner does see a refusal.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_suites::grade::{CaseResult, Outcome};
use paperjam_suites::raw::{self, RawCase};

struct Env {
    rt: tokio::runtime::Runtime,
    lpd: SocketAddr,
    socket: SocketAddr,
    queue: String,
    _server: RunningServer,
}

fn env() -> &'static Result<Env, String> {
    static ENV: OnceLock<Result<Env, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let srv = rt.block_on(async {
            let mut cfg = ServerConfig::new(Arc::new(
                Profile::default_profile().map_err(|e| e.to_string())?,
            ));
            cfg.ipp_port = 0;
            cfg.lpd_port = Some(0);
            cfg.socket_port = Some(0);
            cfg.speed = Speed::Instant;
            cfg.tls = TlsSource::Off;
            server::start(cfg).await.map_err(|e| e.to_string())
        })?;
        let lpd = srv.lpd_addr.ok_or("the printer has no LPD port")?;
        let socket = srv.socket_addr.ok_or("the printer has no AppSocket port")?;
        let queue = srv
            .printer
            .0
            .printer()
            .profile
            .lpd
            .queues
            .first()
            .cloned()
            .unwrap_or_else(|| "lp".into());
        Ok(Env {
            rt,
            lpd,
            socket,
            queue,
            _server: srv,
        })
    })
}

fn env_ok() -> Result<&'static Env, Failed> {
    env()
        .as_ref()
        .map_err(|e| Failed::from(format!("cannot start the virtual printer: {e}")))
}

fn run_raw(env: &Env, case: &RawCase, queue: &str) -> CaseResult {
    let addr = if case.id.starts_with("appsocket/") {
        env.socket
    } else {
        env.lpd
    };
    let docs = paperjam_suites::documents_dir();
    env.rt.block_on(raw::run(case, addr, queue, true, &docs))
}

/// What the case found, with the bytes both ways (decoded and hex).
fn report(r: &CaseResult) -> String {
    let mut msg = paperjam_suites::report::failure_text(r);
    for e in &r.evidence {
        msg.push_str(&format!(
            "--- step {} sent ({} bytes): {}\n    hex: {}\n--- received ({} bytes, {} ms): {}\n    hex: {}\n",
            e.step + 1,
            e.request_bytes,
            e.request_decoded,
            e.request_hex,
            e.response_bytes,
            e.elapsed_ms,
            e.response_decoded,
            e.response_hex
        ));
    }
    msg
}

fn run_case(case: &RawCase) -> Result<(), Failed> {
    let env = env_ok()?;
    let r = run_raw(env, case, &env.queue);
    let strict = std::env::var("PAPERJAM_STRICT").is_ok_and(|v| v == "1");
    match r.verdict(strict) {
        Outcome::Pass => Ok(()),
        Outcome::Skip => {
            println!("SKIP {}: {}", r.id, r.reason);
            Ok(())
        }
        Outcome::Warn => {
            println!("WARN {}", report(&r));
            Ok(())
        }
        Outcome::Fail | Outcome::Error => Err(report(&r).into()),
    }
}

fn load_all() -> Result<Vec<RawCase>, String> {
    let mut cases = Vec::new();
    for dir in [
        paperjam_suites::lpd_suite_dir(),
        paperjam_suites::appsocket_suite_dir(),
    ] {
        cases.extend(raw::load_dir(&dir).map_err(|e| e.to_string())?);
    }
    Ok(cases)
}

/// Every file parses; ids are unique across both folders; each folder has cases.
fn suites_load() -> Result<(), Failed> {
    let lpd = raw::load_dir(&paperjam_suites::lpd_suite_dir()).map_err(|e| e.to_string())?;
    let sock = raw::load_dir(&paperjam_suites::appsocket_suite_dir()).map_err(|e| e.to_string())?;
    if lpd.len() < 10 || sock.len() < 7 {
        return Err(format!("too few cases: {} LPD, {} AppSocket", lpd.len(), sock.len()).into());
    }
    let mut ids: Vec<&str> = lpd.iter().chain(&sock).map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    for w in ids.windows(2) {
        if w[0] == w[1] {
            return Err(format!("case id {} appears twice", w[0]).into());
        }
    }
    for c in lpd.iter().chain(&sock) {
        if !(c.id.starts_with("lpd/rfc1179/") || c.id.starts_with("appsocket/pjl/")) {
            return Err(format!("{}: id outside lpd/rfc1179/ or appsocket/pjl/", c.id).into());
        }
    }
    Ok(())
}

/// The runner sees a refusal: the known-queue case aimed at a queue the
/// printer does not serve fails, and the unknown-queue case passes.
fn negative_control_unknown_queue() -> Result<(), Failed> {
    let env = env_ok()?;
    let cases = load_all()?;
    let find = |id: &str| {
        cases
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| Failed::from(format!("no case {id}")))
    };
    let known = find("lpd/rfc1179/5.2/receive-job-known-queue")?;
    let r = run_raw(env, known, "paperjam-no-such-queue");
    if r.outcome != Outcome::Fail || r.findings.is_empty() {
        return Err(format!(
            "a job for an unserved queue should fail the known-queue case:\n{}",
            report(&r)
        )
        .into());
    }
    let unknown = find("lpd/rfc1179/5.2/receive-job-unknown-queue")?;
    let r = run_raw(env, unknown, &env.queue);
    if r.outcome != Outcome::Pass {
        return Err(format!(
            "the printer should refuse an unknown queue:\n{}",
            report(&r)
        )
        .into());
    }
    Ok(())
}

/// A printing case is skipped, with its reason, when printing is not allowed.
fn prints_skipped_unless_allowed() -> Result<(), Failed> {
    let env = env_ok()?;
    let cases = load_all()?;
    let c = cases.iter().find(|c| c.prints).ok_or("no printing case")?;
    let r = env.rt.block_on(raw::run(
        c,
        env.lpd,
        &env.queue,
        false,
        &paperjam_suites::documents_dir(),
    ));
    if r.outcome != Outcome::Skip || r.reason.is_empty() || !r.evidence.is_empty() {
        return Err(format!(
            "expected a skip with a reason and no traffic:\n{}",
            report(&r)
        )
        .into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test("suites-load", suites_load),
        Trial::test(
            "negative-control/unknown-queue",
            negative_control_unknown_queue,
        ),
        Trial::test(
            "negative-control/prints-skipped",
            prints_skipped_unless_allowed,
        ),
    ];
    match load_all() {
        Ok(cases) => trials.extend(cases.into_iter().map(|c| {
            let name = format!("[{}] {}", c.level.as_str(), c.id);
            Trial::test(name, move || run_case(&c))
        })),
        Err(e) => eprintln!("cannot load the raw suites: {e} (see suites-load)"),
    }
    libtest_mimic::run(&args, trials).exit();
}
