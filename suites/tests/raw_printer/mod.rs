//! Shared by the detection matrix and the negative controls: run a raw-TCP
//! suite (LPD or AppSocket) against a virtual printer started from a config.

use paperjam_sim::fault::quirk::QuirkProtocol;
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, ServerConfig};
use paperjam_suites::grade::CaseResult;
use paperjam_suites::raw::{self, RawCase};

/// Start a printer from `cfg` (LPD and AppSocket on free ports, printing in
/// real time, so a job just sent is still in the queue) and run `cases` of
/// `suite` against it, printing allowed; results sorted by id. With
/// `at_once`, every case runs at the same time (each on connections of its
/// own), else one after another.
pub async fn run_raw_suite(
    mut cfg: ServerConfig,
    suite: QuirkProtocol,
    cases: &[RawCase],
    at_once: bool,
) -> Vec<CaseResult> {
    cfg.speed = Speed::Realtime;
    cfg.lpd_port = Some(0);
    cfg.socket_port = Some(0);
    let srv = server::start(cfg).await.expect("the printer starts");
    let (addr, queue) = match suite {
        QuirkProtocol::Lpd => (srv.lpd_addr.expect("an LPD port"), "lp"),
        _ => (srv.socket_addr.expect("an AppSocket port"), ""),
    };
    let docs = paperjam_suites::documents_dir();
    let mut results = Vec::new();
    if at_once {
        let mut set = tokio::task::JoinSet::new();
        for c in cases {
            let (c, docs) = (c.clone(), docs.clone());
            set.spawn(async move { raw::run(&c, addr, queue, true, &docs).await });
        }
        while let Some(r) = set.join_next().await {
            results.push(r.expect("a case task"));
        }
    } else {
        for c in cases {
            results.push(raw::run(c, addr, queue, true, &docs).await);
        }
    }
    srv.shutdown(std::time::Duration::from_millis(100)).await;
    results.sort_by(|a, b| a.id.cmp(&b.id));
    results
}

/// The cases of `suite`'s folder.
pub fn raw_cases(suite: QuirkProtocol) -> Vec<RawCase> {
    let dir = match suite {
        QuirkProtocol::Lpd => paperjam_suites::lpd_suite_dir(),
        _ => paperjam_suites::appsocket_suite_dir(),
    };
    raw::load_dir(&dir).expect("the raw suite loads")
}
