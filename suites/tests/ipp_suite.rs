//! One nextest test per IPP case.
//!
//! With no `PAPERJAM_TARGET`, cases run against a virtual printer started in
//! this process (instant speed, everything allowed). With
//! `PAPERJAM_TARGET=ipp://host:port/path` they run against that device,
//! politely: nothing that prints or changes settings runs unless
//! `PAPERJAM_ALLOW_PRINT=1` / `PAPERJAM_ALLOW_CHANGES=1` say so. Use the
//! `target` nextest profile against a device so that cases run one at a time.
//! `PAPERJAM_STRICT=1` turns SHOULD warnings into failures.

use std::sync::OnceLock;

use libtest_mimic::{Arguments, Failed, Trial};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::Outcome;
use paperjam_suites::runner::{RunOptions, Runner};
use paperjam_suites::spec::{load_dir, Case};

struct Env {
    rt: tokio::runtime::Runtime,
    runner: Runner,
    _server: Option<RunningServer>,
}

fn env() -> &'static Result<Env, String> {
    static ENV: OnceLock<Result<Env, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let docs = paperjam_suites::documents_dir();
        let (uri, opts, srv) = match std::env::var("PAPERJAM_TARGET") {
            Ok(t) => {
                let mut o = RunOptions::virtual_printer(docs);
                o.allow_print = std::env::var("PAPERJAM_ALLOW_PRINT").is_ok_and(|v| v == "1");
                o.allow_changes = std::env::var("PAPERJAM_ALLOW_CHANGES").is_ok_and(|v| v == "1");
                o.page_budget = std::env::var("PAPERJAM_PAGE_BUDGET")
                    .ok()
                    .and_then(|v| v.parse().ok());
                (t, o, None)
            }
            Err(_) => {
                let srv = rt.block_on(async {
                    let mut cfg = ServerConfig::new(std::sync::Arc::new(
                        Profile::default_profile().map_err(|e| e.to_string())?,
                    ));
                    cfg.ipp_port = 0;
                    cfg.speed = Speed::Instant;
                    cfg.tls = TlsSource::SelfSigned;
                    server::start(cfg).await.map_err(|e| e.to_string())
                })?;
                let uri = srv.uris()[0].clone();
                (uri, RunOptions::virtual_printer(docs), Some(srv))
            }
        };
        let target = TargetUri::parse(&uri).map_err(|e| e.to_string())?;
        let runner = rt.block_on(Runner::new(target, opts));
        Ok(Env {
            rt,
            runner,
            _server: srv,
        })
    })
}

fn run_case(case: &Case) -> Result<(), Failed> {
    let env = env()
        .as_ref()
        .map_err(|e| Failed::from(format!("cannot start: {e}")))?;
    let r = env.rt.block_on(env.runner.run(case));
    let strict = std::env::var("PAPERJAM_STRICT").is_ok_and(|v| v == "1");
    match r.verdict(strict) {
        Outcome::Pass => Ok(()),
        Outcome::Skip => {
            println!("SKIP {}: {}", r.id, r.reason);
            Ok(())
        }
        Outcome::Warn => {
            println!(
                "WARN {} ({} {}): {}",
                r.id,
                r.level.as_str(),
                r.clause,
                r.reason
            );
            Ok(())
        }
        Outcome::Fail | Outcome::Error => {
            let msg = format!(
                "{}{}",
                paperjam_suites::report::failure_text(&r),
                paperjam_suites::report::evidence_text(&r)
            );
            Err(msg.into())
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let cases = match load_dir(&paperjam_suites::ipp_suite_dir()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot load the IPP suite: {e}");
            std::process::exit(2);
        }
    };
    let trials = cases
        .into_iter()
        .map(|c| {
            let name = c.id.clone();
            let kind = c.level.as_str();
            Trial::test(name, move || run_case(&c)).with_kind(kind)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
