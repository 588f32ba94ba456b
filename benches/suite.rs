//! How long the whole IPP suite takes against an in-process virtual printer at
//! `--speed instant` (issue #3's target: under 5 s on this 2-core machine).
//! Prints the time per run, the mean and the outcome tally; asserts nothing.
//!
//! `cargo bench --bench suite` (add `-- --quick` for one run).

use std::sync::Arc;
use std::time::Instant;

use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_suites::client::TargetUri;
use paperjam_suites::report::Report;
use paperjam_suites::runner::{RunOptions, Runner};
use paperjam_suites::spec::load_dir;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runs = if quick { 1 } else { 5 };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            std::process::exit(2);
        }
    };
    let cases = match load_dir(&paperjam_suites::ipp_suite_dir()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot load the suite: {e}");
            std::process::exit(2);
        }
    };
    let mut times = Vec::new();
    for run in 0..runs {
        let report = rt.block_on(async {
            let profile = Profile::default_profile().map_err(|e| e.to_string())?;
            let mut cfg = ServerConfig::new(Arc::new(profile));
            cfg.ipp_port = 0;
            cfg.speed = Speed::Instant;
            cfg.tls = TlsSource::Off;
            let srv = server::start(cfg).await.map_err(|e| e.to_string())?;
            let target = TargetUri::parse(&srv.uris()[0]).map_err(|e| e.to_string())?;
            let start = Instant::now();
            let runner = Runner::new(
                target,
                RunOptions::virtual_printer(paperjam_suites::documents_dir()),
            )
            .await;
            let mut results = Vec::new();
            for c in &cases {
                results.push(runner.run(c).await);
            }
            let elapsed = start.elapsed();
            Ok::<_, String>((elapsed, Report::new(&srv.uris()[0], "", false, results)))
        });
        match report {
            Ok((elapsed, report)) => {
                let t = &report.summary.all;
                println!(
                    "run {}: {} cases in {:.3} s (pass {}, warn {}, fail {}, skip {}, error {})",
                    run + 1,
                    t.total(),
                    elapsed.as_secs_f64(),
                    t.pass,
                    t.warn,
                    t.fail,
                    t.skip,
                    t.error
                );
                times.push(elapsed.as_secs_f64());
            }
            Err(e) => {
                eprintln!("run failed: {e}");
                std::process::exit(2);
            }
        }
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "IPP suite against the in-process virtual printer: mean {mean:.3} s over {runs} run(s), {} cases (target: < 5 s)",
        cases.len()
    );
}
