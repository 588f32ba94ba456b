//! Faults end to end: printer events through the control API and through
//! scenarios, bad fault requests, and the same seed giving the same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use paperjam_sim::fault::scenario::Scenario;
use paperjam_sim::fault::{Fault, FaultSource};
use paperjam_sim::model::{JobState, Speed};
use paperjam_sim::net::control::start_control;
use paperjam_sim::net::{server, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_sim::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value};
use support::{find_attr, request, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn uri(addr: SocketAddr) -> String {
    format!("ipp://{addr}/ipp/print")
}

fn config(speed: Speed) -> ServerConfig {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().unwrap()));
    cfg.ipp_port = 0;
    cfg.speed = speed;
    cfg.tls = TlsSource::Off;
    cfg.boot_unix_ms = Some(1_700_000_000_000);
    cfg
}

fn scenario(text: &str) -> Scenario {
    Scenario::from_toml(text, "test").unwrap()
}

/// Print-Job of a one-page document, `copies` times.
fn print_job(addr: SocketAddr, copies: i32, name: &str) -> Message {
    let mut m = support::with_op(
        request(0x0002, 1, &uri(addr)),
        Attribute::new("job-name", Value::Name(name.into())),
    );
    m = support::with_op(
        m,
        Attribute::new(
            "document-format",
            Value::MimeMediaType("application/octet-stream".into()),
        ),
    );
    m.groups.push(Group {
        tag: DelimiterTag::JobAttributes,
        attributes: vec![Attribute::new("copies", Value::Integer(copies))],
    });
    m
}

fn printer_attrs(addr: SocketAddr) -> Message {
    request(0x000B, 7, &uri(addr))
}

fn keywords(m: &Message, name: &str) -> Vec<String> {
    m.groups
        .iter()
        .flat_map(|g| g.attributes.iter())
        .filter(|a| a.name == name)
        .flat_map(|a| a.values.iter())
        .filter_map(|v| match v {
            Value::Keyword(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

fn enum_of(m: &Message, name: &str) -> Option<i32> {
    find_attr(m, name).and_then(|a| match a.values.first() {
        Some(Value::Enum(e)) => Some(*e),
        _ => None,
    })
}

/// One HTTP request to the control API; status and JSON body.
async fn control(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(rest).unwrap())
}

#[tokio::test]
async fn a_jam_raised_live_stops_the_printer_in_ipp_and_clears() {
    let running = server::start(config(Speed::Realtime)).await.unwrap();
    let ctl = start_control("127.0.0.1:0".parse().unwrap(), running.printer.clone())
        .await
        .unwrap();
    let addr = running.ipp_addr;
    within(30, async {
        // A job starts printing at realtime speed.
        let r = support::ipp(addr, &print_job(addr, 20, "long"), b"%!PS\n").await;
        assert_eq!(r.code, 0);
        let (st, v) = control(ctl.addr, "POST", "/faults", r#"{"fault": "media-jam"}"#).await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(v["fault"], "media-jam");

        let a = support::ipp(addr, &printer_attrs(addr), b"").await;
        assert_eq!(enum_of(&a, "printer-state"), Some(5), "stopped");
        assert!(keywords(&a, "printer-state-reasons").contains(&"media-jam-error".to_string()));
        let (_, state) = control(ctl.addr, "GET", "/state", "").await;
        assert_eq!(state["printer-state"], "stopped");
        assert_eq!(state["jobs"][0]["state"], "processing-stopped");
        assert!(state["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "jam"));

        let (st, v) = control(ctl.addr, "DELETE", "/faults/media-jam", "").await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["cleared"][0]["fault"], "media-jam");
        let a = support::ipp(addr, &printer_attrs(addr), b"").await;
        assert_eq!(enum_of(&a, "printer-state"), Some(4), "processing again");
        assert!(!keywords(&a, "printer-state-reasons").contains(&"media-jam-error".to_string()));
    })
    .await;
    ctl.shutdown().await;
    running.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn bad_fault_requests_name_the_field_and_change_nothing() {
    let running = server::start(config(Speed::Instant)).await.unwrap();
    let ctl = start_control("127.0.0.1:0".parse().unwrap(), running.printer.clone())
        .await
        .unwrap();
    within(30, async {
        for (body, needle) in [
            (
                r#"{"fault": "paper-explosion"}"#,
                "unknown fault 'paper-explosion'",
            ),
            (r#"{"fault": "latency=-5ms"}"#, "latency: negative duration"),
            (r#"{"fault": "latency=5ms,toxicity=3"}"#, "toxicity:"),
            (
                r#"{"fault": "media-jam", "for": "-1s"}"#,
                "for: negative duration",
            ),
            (
                r#"{"fault": "media-jam", "colour": "red"}"#,
                "unknown field `colour`",
            ),
            (r#"not json"#, "body:"),
        ] {
            let (st, v) = control(ctl.addr, "POST", "/faults", body).await;
            assert_eq!(st, 400, "{body}: {v}");
            let msg = v["error"].as_str().unwrap();
            assert!(msg.contains(needle), "{body}: {msg}");
        }
        let (st, _) = control(ctl.addr, "DELETE", "/faults/media-jam", "").await;
        assert_eq!(st, 404);
        let (st, _) = control(ctl.addr, "GET", "/nope", "").await;
        assert_eq!(st, 404);
        let (st, _) = control(ctl.addr, "PUT", "/faults", "").await;
        assert_eq!(st, 405);
        // Nothing changed, and the printer still serves.
        let (_, state) = control(ctl.addr, "GET", "/state", "").await;
        assert_eq!(state["faults"].as_array().unwrap().len(), 0);
        assert_eq!(state["printer-state"], "idle");
        let a = support::ipp(running.ipp_addr, &printer_attrs(running.ipp_addr), b"").await;
        assert_eq!(enum_of(&a, "printer-state"), Some(3));
    })
    .await;
    ctl.shutdown().await;
    running.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn timed_faults_end_by_themselves_and_reset_clears_all() {
    let running = server::start(config(Speed::Instant)).await.unwrap();
    let h = running.printer.clone();
    let jam: Fault = "media-jam".parse().unwrap();
    let e = h.raise_fault(jam, FaultSource::Api, Some(Duration::from_millis(50)));
    assert!(e.until_ms.is_some());
    h.raise_fault("toner-low".parse().unwrap(), FaultSource::Api, None);
    h.raise_fault("latency=1ms".parse().unwrap(), FaultSource::Api, None);
    assert_eq!(h.0.faults.list().len(), 3);
    // The clock driver ends the jam on time; wait for it by polling the model.
    within(10, async {
        loop {
            if h.with(|p, _| !p.state_reasons().iter().any(|r| r == "media-jam-error")) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(h.0.faults.list().len(), 2);
    let cleared = h.reset_faults();
    assert_eq!(cleared.len(), 2);
    assert!(h.with(|p, _| p.state_reasons().iter().all(|r| r == "none")));
    running.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_scenario_jams_job_2_at_page_3_exactly() {
    let mut cfg = config(Speed::Instant);
    cfg.scenario = Some(scenario(
        r#"
[[step]]
at_job = 2
at_page = 3
raise = "media-jam"
"#,
    ));
    let running = server::start(cfg).await.unwrap();
    let addr = running.ipp_addr;
    within(30, async {
        for name in ["one", "two"] {
            let r = support::ipp(addr, &print_job(addr, 5, name), b"%!PS\n").await;
            assert_eq!(r.code, 0);
        }
    })
    .await;
    let (j1, j2) = running.printer.with(|p, _| {
        let j1 = p.job(1).map(|j| (j.state, j.impressions_completed));
        let j2 = p.job(2).map(|j| (j.state, j.impressions_completed));
        (j1, j2)
    });
    assert_eq!(j1, Some((JobState::Completed, 5)));
    assert_eq!(j2, Some((JobState::ProcessingStopped, 3)));
    running.printer.clear_fault("media-jam").unwrap();
    let j2 = running
        .printer
        .with(|p, _| p.job(2).map(|j| (j.state, j.impressions_completed)));
    assert_eq!(j2, Some((JobState::Completed, 5)));
    running.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_scenario_step_on_the_nth_request_applies_to_that_request() {
    let mut cfg = config(Speed::Instant);
    cfg.scenario = Some(scenario(
        r#"
[[step]]
on_request = "Get-Printer-Attributes"
nth = 2
raise = "offline"
"#,
    ));
    let running = server::start(cfg).await.unwrap();
    let addr = running.ipp_addr;
    within(30, async {
        let a = support::ipp(addr, &printer_attrs(addr), b"").await;
        assert!(!keywords(&a, "printer-state-reasons").contains(&"offline-report".into()));
        let a = support::ipp(addr, &printer_attrs(addr), b"").await;
        assert!(keywords(&a, "printer-state-reasons").contains(&"offline-report".into()));
    })
    .await;
    running.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn power_cycle_aborts_the_job_in_progress_and_restarts_up_time() {
    let running = server::start(config(Speed::Realtime)).await.unwrap();
    let addr = running.ipp_addr;
    within(30, async {
        let r = support::ipp(addr, &print_job(addr, 50, "long"), b"%!PS\n").await;
        assert_eq!(r.code, 0);
    })
    .await;
    let h = running.printer.clone();
    h.raise_fault("power-cycle=200ms".parse().unwrap(), FaultSource::Api, None);
    assert!(h.0.faults.is_down());
    let job = h.with(|p, _| p.job(1).map(|j| (j.state, j.reasons.clone())));
    assert_eq!(
        job,
        Some((JobState::Aborted, vec!["aborted-by-system".to_string()]))
    );
    // Back after the boot delay: the power-cycle entry ends by itself.
    within(10, async {
        while h.0.faults.is_down() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(h.with(|p, _| p.up_time()) <= 1);
    assert_eq!(h.with(|p, _| p.power_cycles), 1);
    running.shutdown(Duration::from_secs(1)).await;
}

#[test]
fn every_scenario_fixture_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !s.name.is_empty(),
            "{}: give the scenario a name",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 4, "only {n} scenarios in {}", dir.display());
}

// ----- determinism -----

/// What a client saw of one request: when, and what came back (or how it failed).
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    at_ms: u128,
    outcome: Result<Vec<u8>, String>,
}

/// Run a fixed sequence of requests against a printer with `scenario` and
/// `seed`, on a paused clock; return the transcript.
async fn transcript(scenario_text: &str, seed: u64) -> Vec<Seen> {
    let mut cfg = config(Speed::Realtime);
    cfg.seed = seed;
    cfg.scenario = Some(scenario(scenario_text));
    let running = server::start(cfg).await.unwrap();
    let addr = running.ipp_addr;
    let start = tokio::time::Instant::now();
    let mut out = Vec::new();
    for i in 0..24u32 {
        let m = match i % 4 {
            0 => print_job(addr, 2, &format!("job-{i}")),
            1 => request(0x000A, i + 1, &uri(addr)), // Get-Jobs
            _ => printer_attrs(addr),
        };
        let mut body = m.to_bytes().unwrap();
        if i % 4 == 0 {
            body.extend_from_slice(&[b'x'; 3000]);
        }
        let outcome = tokio::time::timeout(Duration::from_secs(60), raw_post(addr, &body))
            .await
            .unwrap_or_else(|_| Err("timed out".into()));
        out.push(Seen {
            at_ms: start.elapsed().as_millis(),
            outcome,
        });
    }
    running.shutdown(Duration::from_secs(1)).await;
    out
}

/// POST on a fresh connection; the whole answer's body, or the error kind.
async fn raw_post(addr: SocketAddr, body: &[u8]) -> Result<Vec<u8>, String> {
    let mut s = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("{:?}", e.kind()))?;
    let head = format!(
        "POST /ipp/print HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())
        .await
        .map_err(|e| format!("{:?}", e.kind()))?;
    s.write_all(body)
        .await
        .map_err(|e| format!("{:?}", e.kind()))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .await
        .map_err(|e| format!("{:?}", e.kind()))?;
    // The port differs from run to run: mask it (same length, so IPP lengths hold).
    let port = format!(":{}", addr.port()).into_bytes();
    let mask: Vec<u8> = std::iter::once(b':')
        .chain(std::iter::repeat_n(b'P', port.len() - 1))
        .collect();
    let mut i = 0;
    while i + port.len() <= raw.len() {
        if raw[i..i + port.len()] == port[..] {
            raw[i..i + port.len()].copy_from_slice(&mask);
        }
        i += 1;
    }
    // The Date header is the host's clock: keep the status line and the body.
    let text_end = raw.windows(4).position(|w| w == b"\r\n\r\n");
    Ok(match text_end {
        Some(end) => {
            let status_line = raw
                .split(|b| *b == b'\r')
                .next()
                .unwrap_or_default()
                .to_vec();
            [status_line, raw[end..].to_vec()].concat()
        }
        None => raw,
    })
}

const NOISY: &str = r#"
faults = ["latency=40ms,jitter=30ms", "reset_peer,toxicity=0.3,direction=upstream"]

[[step]]
at_job = 2
at_page = 1
probability = 0.5
raise = "media-jam"
for = "3s"

[[step]]
after = "2s"
probability = 0.5
raise = "toner-low"

[[step]]
on_request = "Get-Jobs"
nth = 3
raise = "slicer=64,variation=32,delay=5ms"
"#;

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn same_seed_same_scenario_same_requests_give_the_same_bytes() {
    let a = transcript(NOISY, 42).await;
    let b = transcript(NOISY, 42).await;
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "request {i} differs between two runs with seed 42");
    }
    // The faults did something: some requests were reset, others delayed.
    assert!(
        a.iter().any(|s| s.outcome.is_err()),
        "no connection was reset: {a:?}"
    );
    assert!(a.iter().any(|s| s.outcome.is_ok()));
    // And the seed matters.
    let c = transcript(NOISY, 7).await;
    assert_ne!(a, c, "seed 7 gave exactly the run of seed 42");
}

#[tokio::test]
async fn toner_events_move_the_supply_levels_too() {
    let running = server::start(config(Speed::Instant)).await.unwrap();
    let h = running.printer.clone();
    let full = h.with(|p, _| p.supplies[0].level_percent());
    h.raise_fault("toner-low".parse().unwrap(), FaultSource::Api, None);
    let (level, low) = h.with(|p, _| (p.supplies[0].level_percent(), p.supplies[0].low));
    assert!(
        level <= low && level > 0,
        "{level}% with the low mark at {low}%"
    );
    assert!(h.with(|p, _| p.state_reasons().contains(&"toner-low-report".to_string())));
    h.raise_fault("toner-empty".parse().unwrap(), FaultSource::Api, None);
    assert_eq!(h.with(|p, _| p.supplies[0].level_percent()), 0);
    // A new cartridge: both cleared, the supply full again.
    h.reset_faults();
    assert_eq!(h.with(|p, _| p.supplies[0].level_percent()), 100);
    assert!(full > 0);
    assert!(h.with(|p, _| p.state_reasons() == vec!["none".to_string()]));
    running.shutdown(Duration::from_secs(1)).await;
}

#[test]
fn a_profile_carries_its_own_scenario_and_its_mistakes_name_the_field() {
    let base = paperjam_sim::profile::DEFAULT_PROFILE_TOML;
    let good = format!("{base}\n[scenario]\nfaults = [\"toner-low\"]\n[[scenario.step]]\nafter = \"5s\"\nraise = \"media-jam\"\n");
    let p = Profile::from_toml_str(&good, "good").unwrap();
    let s = p.scenario().unwrap();
    assert_eq!(s.initial.len(), 1);
    assert_eq!(s.steps.len(), 1);
    let bad =
        format!("{base}\n[scenario]\n[[scenario.step]]\nafter = \"-5s\"\nraise = \"media-jam\"\n");
    let e = Profile::from_toml_str(&bad, "bad").unwrap_err().to_string();
    assert!(
        e.contains("scenario.step[0].after: negative duration"),
        "{e}"
    );
}
