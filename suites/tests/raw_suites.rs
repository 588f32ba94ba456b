//! One nextest test per raw-TCP case (LPD, `suites/lpd/`; AppSocket/PJL,
//! `suites/appsocket/`), named `[LEVEL] id`.
//!
//! With no `PAPERJAM_TARGET`, cases run against one virtual printer started in
//! this process (LPD and AppSocket on free ports, printing in real time, TLS off,
//! printing allowed). With `PAPERJAM_TARGET=lpd://host[:port]/queue` the LPD
//! cases run against that queue, with `PAPERJAM_TARGET=socket://host[:port]`
//! the AppSocket cases against that port; the other suite's cases are skipped
//! with a printed reason (all of them for an `ipp://` or `snmp://` target). Against a
//! target nothing prints unless `PAPERJAM_ALLOW_PRINT=1`; run the cases one at
//! a time there (`--test-threads 1`). `PAPERJAM_STRICT=1` turns SHOULD
//! warnings into failures.
//!
//! Besides the cases: `suites-load` (every file parses, ids are unique) and
//! `negative-control/...` checks that the runner does see a refusal (against
//! the virtual printer only).

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_suites::grade::{CaseResult, Outcome};
use paperjam_suites::raw::{self, RawCase};
use paperjam_suites::raw_target::{RawProtocol, RawTarget};

/// Where the cases run.
enum Peer {
    /// The virtual printer of this process: every case, printing allowed.
    Virtual {
        lpd: SocketAddr,
        socket: SocketAddr,
        queue: String,
        _server: Box<RunningServer>,
    },
    /// `PAPERJAM_TARGET`, an `lpd://` or `socket://` device: the cases of its
    /// protocol.
    Target {
        target: RawTarget,
        addr: SocketAddr,
        allow_print: bool,
    },
    /// `PAPERJAM_TARGET` names a target no raw suite grades (`ipp://`, `snmp://`).
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
            Err(_) => virtual_printer(&rt)?,
        };
        Ok(Env { rt, peer })
    })
}

/// `PAPERJAM_TARGET`: an `ipp(s)://` one is left to `ipp_suite`, an
/// `snmp://` one to `snmp_suite`.
fn external(rt: &tokio::runtime::Runtime, uri: &str) -> Result<Peer, String> {
    let scheme = uri.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if matches!(scheme.as_deref(), Some("ipp" | "ipps" | "snmp")) {
        return Ok(Peer::Other(uri.to_string()));
    }
    let target = RawTarget::parse(uri).map_err(|e| format!("PAPERJAM_TARGET: {e}"))?;
    let addr = rt
        .block_on(target.resolve())
        .map_err(|e| format!("PAPERJAM_TARGET: {e}"))?;
    Ok(Peer::Target {
        target,
        addr,
        allow_print: std::env::var("PAPERJAM_ALLOW_PRINT").is_ok_and(|v| v == "1"),
    })
}

/// Start the in-process printer: LPD and AppSocket on free ports.
fn virtual_printer(rt: &tokio::runtime::Runtime) -> Result<Peer, String> {
    let srv = rt.block_on(async {
        let mut cfg = ServerConfig::new(Arc::new(
            Profile::default_profile().map_err(|e| e.to_string())?,
        ));
        cfg.ipp_port = 0;
        cfg.lpd_port = Some(0);
        cfg.socket_port = Some(0);
        // Real time, so a job just sent is still in the queue listing.
        cfg.speed = Speed::Realtime;
        cfg.tls = TlsSource::Off;
        server::start(cfg).await.map_err(|e| e.to_string())
    })?;
    let lpd = srv.lpd_addr.ok_or("the printer has no LPD port")?;
    let socket = srv.socket_addr.ok_or("the printer has no AppSocket port")?;
    let queue = srv.lpd_queue();
    Ok(Peer::Virtual {
        lpd,
        socket,
        queue,
        _server: Box::new(srv),
    })
}

fn env_ok() -> Result<&'static Env, Failed> {
    env()
        .as_ref()
        .map_err(|e| Failed::from(format!("cannot set up: {e}")))
}

/// The in-process printer's LPD and AppSocket addresses and queue, or why
/// the negative controls do not run.
fn virtual_peer(env: &Env) -> Result<(SocketAddr, SocketAddr, &str), String> {
    match &env.peer {
        Peer::Virtual {
            lpd, socket, queue, ..
        } => Ok((*lpd, *socket, queue.as_str())),
        Peer::Target { target, .. } => Err(format!(
            "a check of the runner, run against the in-process printer only (PAPERJAM_TARGET={})",
            target.uri
        )),
        Peer::Other(uri) => Err(format!(
            "a check of the runner, run against the in-process printer only (PAPERJAM_TARGET={uri})"
        )),
    }
}

/// Run `case` on the in-process printer, aimed at `queue`.
fn run_virtual(env: &Env, case: &RawCase, queue: &str) -> Result<CaseResult, String> {
    let (lpd, socket, _) = virtual_peer(env)?;
    let addr = if case.id.starts_with(RawProtocol::AppSocket.case_prefix()) {
        socket
    } else {
        lpd
    };
    let docs = paperjam_suites::documents_dir();
    Ok(env.rt.block_on(raw::run(case, addr, queue, true, &docs)))
}

/// Run `case` where `PAPERJAM_TARGET` says: `Err` with the reason to skip
/// when the target does not speak the case's protocol.
fn run_raw(env: &Env, case: &RawCase) -> Result<CaseResult, String> {
    match &env.peer {
        Peer::Virtual { queue, .. } => run_virtual(env, case, queue),
        Peer::Target {
            target,
            addr,
            allow_print,
        } => {
            if !case.id.starts_with(target.protocol.case_prefix()) {
                return Err(format!(
                    "PAPERJAM_TARGET={} does not speak this case's protocol",
                    target.uri
                ));
            }
            let docs = paperjam_suites::documents_dir();
            Ok(env
                .rt
                .block_on(raw::run(case, *addr, &target.queue, *allow_print, &docs)))
        }
        Peer::Other(uri) => Err(format!(
            "PAPERJAM_TARGET={uri} is graded by ipp_suite or snmp_suite, not by the raw suites"
        )),
    }
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
    let r = match run_raw(env, case) {
        Ok(r) => r,
        Err(why) => {
            println!("SKIP {}: {why}", case.id);
            return Ok(());
        }
    };
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

/// Every file parses; ids are unique across both folders; each folder has
/// cases, each id under its folder's protocol (`lpd/`, `appsocket/`).
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
    // A case goes to the port its id's protocol names (and, against a
    // PAPERJAM_TARGET, runs only when the target speaks it).
    for (cases, protocol) in [(&lpd, RawProtocol::Lpd), (&sock, RawProtocol::AppSocket)] {
        let prefix = protocol.case_prefix();
        if let Some(c) = cases.iter().find(|c| !c.id.starts_with(prefix)) {
            return Err(format!("{}: id outside {prefix} ({})", c.id, c.source).into());
        }
    }
    Ok(())
}

/// The runner sees a refusal: the known-queue case aimed at a queue the
/// printer does not serve fails, and the unknown-queue case passes.
fn negative_control_unknown_queue() -> Result<(), Failed> {
    let env = env_ok()?;
    let queue = match virtual_peer(env) {
        Ok((_, _, q)) => q,
        Err(why) => {
            println!("SKIP negative-control/unknown-queue: {why}");
            return Ok(());
        }
    };
    let cases = load_all()?;
    let find = |id: &str| {
        cases
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| Failed::from(format!("no case {id}")))
    };
    let known = find("lpd/rfc1179/5.2/receive-job-known-queue")?;
    let r = run_virtual(env, known, "paperjam-no-such-queue")?;
    if r.outcome != Outcome::Fail || r.findings.is_empty() {
        return Err(format!(
            "a job for an unserved queue should fail the known-queue case:\n{}",
            report(&r)
        )
        .into());
    }
    let unknown = find("lpd/rfc1179/5.2/receive-job-unknown-queue")?;
    let r = run_virtual(env, unknown, queue)?;
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
    let (lpd, queue) = match virtual_peer(env) {
        Ok((lpd, _, q)) => (lpd, q),
        Err(why) => {
            println!("SKIP negative-control/prints-skipped: {why}");
            return Ok(());
        }
    };
    let cases = load_all()?;
    let c = cases.iter().find(|c| c.prints).ok_or("no printing case")?;
    let r = env.rt.block_on(raw::run(
        c,
        lpd,
        queue,
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
