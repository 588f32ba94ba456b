//! One nextest test per mDNS / DNS-SD case (`suites/mdns/`), named
//! `[LEVEL] id`.
//!
//! With no `PAPERJAM_TARGET`, cases run against a virtual printer started in
//! this process (IPP, IPPS, LPD and AppSocket on loopback) whose mDNS
//! responder the runner reaches over the in-memory link, on a simulated
//! clock: `lo` has no multicast, and the same run gives the same bytes.
//! With `PAPERJAM_TARGET=dnssd://…` (`dnssd://` to grade the first printer
//! found) they run over real multicast on `PAPERJAM_MDNS_INTERFACE` (a name
//! or an IPv4 address; the OS's default route when unset); the goodbye case
//! is then skipped, as the runner never switches a real printer off. Other
//! targets skip every case. `PAPERJAM_STRICT=1` turns SHOULD warnings into
//! failures.
//!
//! Besides the cases: `suites-load` (every file parses, ids are unique, every
//! mDNS quirk's promised cases exist) and `negative-control/…` checks of the
//! runner itself.

use std::sync::OnceLock;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{RunningServer, ServerConfig};
use paperjam_sim::profile::Profile;
use paperjam_suites::grade::{CaseResult, Outcome};
use paperjam_suites::mdns::{
    self, DnssdTarget, Interface, MdnsCase, MdnsOptions, MdnsRunner, Source, UdpLinkConfig,
};

mod mdns_printer;

/// Where the cases run.
enum Peer {
    /// The virtual printer of this process.
    Virtual {
        runner: Box<MdnsRunner>,
        server: Box<RunningServer>,
    },
    /// `PAPERJAM_TARGET`, a `dnssd:` target on a real link.
    Target(Box<MdnsRunner>),
    /// `PAPERJAM_TARGET` names a target the mDNS suite does not grade.
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
                let (srv, runner) = rt.block_on(mdns_printer::start(cfg))?;
                Peer::Virtual {
                    runner: Box::new(runner),
                    server: Box::new(srv),
                }
            }
        };
        Ok(Env { rt, peer })
    })
}

/// `PAPERJAM_TARGET`: a `dnssd:` target, or something for another suite.
fn external(rt: &tokio::runtime::Runtime, uri: &str) -> Result<Peer, String> {
    let scheme = uri.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    if scheme.as_deref() != Some("dnssd") {
        return Ok(Peer::Other(uri.to_string()));
    }
    let target = DnssdTarget::parse(uri).map_err(|e| format!("PAPERJAM_TARGET: {e}"))?;
    let cfg = UdpLinkConfig {
        interface: std::env::var("PAPERJAM_MDNS_INTERFACE")
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| Interface::parse(&v)),
        ..UdpLinkConfig::default()
    };
    let runner = rt
        .block_on(MdnsRunner::new(
            target,
            Source::Network(cfg),
            MdnsOptions::default(),
        ))
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

fn run_case(case: &MdnsCase) -> Result<(), Failed> {
    let env = env_ok()?;
    let runner = match &env.peer {
        Peer::Virtual { runner, .. } | Peer::Target(runner) => runner,
        Peer::Other(uri) => {
            println!(
                "SKIP {}: PAPERJAM_TARGET={uri} is not a dnssd: target",
                case.id
            );
            return Ok(());
        }
    };
    let r = env.rt.block_on(runner.run(case));
    let strict = std::env::var("PAPERJAM_STRICT").is_ok_and(|v| v == "1");
    let virtual_peer = matches!(env.peer, Peer::Virtual { .. });
    match r.verdict(strict) {
        Outcome::Pass => Ok(()),
        Outcome::Skip => {
            println!("SKIP {}: {}", r.id, r.reason);
            // Against our own printer nothing may be skipped.
            if virtual_peer {
                Err(format!("skipped against the virtual printer: {}", r.reason).into())
            } else {
                Ok(())
            }
        }
        Outcome::Warn => {
            println!("WARN {}", report(&r));
            if virtual_peer {
                Err(report(&r).into())
            } else {
                Ok(())
            }
        }
        Outcome::Fail | Outcome::Error => Err(report(&r).into()),
    }
}

/// Every file parses; ids are unique and under `mdns/`; every mDNS quirk's
/// promised cases exist.
fn suites_load() -> Result<(), Failed> {
    let cases = mdns::load_dir(&paperjam_suites::mdns_suite_dir()).map_err(|e| e.to_string())?;
    if cases.len() < 15 {
        return Err(format!("too few mDNS cases: {}", cases.len()).into());
    }
    for k in paperjam_sim::fault::quirk::QuirkKind::ALL {
        if k.protocol() != paperjam_sim::fault::quirk::QuirkProtocol::Mdns {
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

/// The virtual printer's runner and server, or why a control does not run.
fn virtual_peer(env: &Env) -> Option<(&MdnsRunner, &RunningServer)> {
    match &env.peer {
        Peer::Virtual { runner, server } => Some((runner, server)),
        _ => {
            println!("SKIP: a check of the runner, run against the in-process printer only");
            None
        }
    }
}

/// With the IPP service gone, the cross-checks are skipped with the reason
/// (and their traffic kept); the mDNS cases still run.
fn cross_checks_skip_without_ipp() -> Result<(), Failed> {
    let env = env_ok()?;
    if virtual_peer(env).is_none() {
        return Ok(());
    }
    let (srv, runner) = env.rt.block_on(async {
        let mut cfg = ServerConfig::new(std::sync::Arc::new(
            Profile::default_profile().map_err(|e| e.to_string())?,
        ));
        cfg.speed = Speed::Instant;
        mdns_printer::start(cfg).await
    })?;
    env.rt.block_on(srv.shutdown(Duration::from_millis(100)));
    for c in mdns_printer::mdns_cases() {
        let r = env.rt.block_on(runner.run(&c));
        let want_skip = c.needs_ipp();
        let ok = if want_skip {
            r.outcome == Outcome::Skip && r.reason.contains("cannot be reached")
        } else if c.check == "srv-port-answers" {
            r.outcome == Outcome::Fail
        } else {
            r.outcome == Outcome::Pass
        };
        if !ok {
            return Err(format!("with the printer's servers gone:\n{}", report(&r)).into());
        }
    }
    Ok(())
}

/// A target naming an instance nobody has: the chain case fails, the rest
/// are skipped, each with the reason.
fn unknown_instance_is_one_failure() -> Result<(), Failed> {
    let env = env_ok()?;
    if virtual_peer(env).is_none() {
        return Ok(());
    }
    let r = env.rt.block_on(async {
        let mut cfg = ServerConfig::new(std::sync::Arc::new(
            Profile::default_profile().map_err(|e| e.to_string())?,
        ));
        cfg.speed = Speed::Instant;
        let (srv, base) = mdns_printer::start(cfg).await?;
        let Source::Virtual(vp) = base.source().clone() else {
            return Err("the runner is not on the virtual printer".to_string());
        };
        let target = DnssdTarget::parse("dnssd://Nobody%20Here._ipp._tcp.local")
            .map_err(|e| e.to_string())?;
        let runner = MdnsRunner::new(target, Source::Virtual(vp), MdnsOptions::default()).await?;
        let mut out = Vec::new();
        for c in mdns_printer::mdns_cases() {
            out.push(runner.run(&c).await);
        }
        srv.shutdown(Duration::from_millis(100)).await;
        Ok::<_, String>(out)
    })?;
    for c in &r {
        let want = if c.id == "mdns/rfc6763/4/ptr-srv-txt-a-chain" {
            Outcome::Fail
        } else {
            Outcome::Skip
        };
        if c.outcome != want || c.reason.is_empty() {
            return Err(format!(
                "for an unknown instance, {} should be {want:?}:\n{}",
                c.id,
                report(c)
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
        Trial::test(
            "negative-control/cross-checks-skip-without-ipp",
            cross_checks_skip_without_ipp,
        ),
        Trial::test(
            "negative-control/unknown-instance",
            unknown_instance_is_one_failure,
        ),
    ];
    match mdns::load_dir(&paperjam_suites::mdns_suite_dir()) {
        Ok(cases) => trials.extend(cases.into_iter().map(|c| {
            let name = format!("[{}] {}", c.level.as_str(), c.id);
            Trial::test(name, move || run_case(&c))
        })),
        Err(e) => eprintln!("cannot load the mDNS suite: {e} (see suites-load)"),
    }
    libtest_mimic::run(&args, trials).exit();
}
