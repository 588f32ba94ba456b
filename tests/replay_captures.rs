//! Every capture replayed against a fresh in-process virtual printer, one
//! nextest test each: the captures recorded by this project in `captures/`
//! (`captures/NAME`), and every capture in the folder
//! `PAPERJAM_EXTERNAL_CAPTURES` names (`external/NAME`; CI points it at
//! `../shared/captures`, real third-party traffic).
//!
//! The capture is read, reassembled and split into sessions by
//! `paperjam_suites::pcap`, the client side replayed by
//! `paperjam_suites::replay` (IPP, LPD, AppSocket and SNMP, printing and
//! writing allowed: the printer is ours), and:
//! - a capture whose sidecar says `replay = "identical"` (recorded against
//!   `paperjam serve`) must replay with every exchange passing: no
//!   difference at all once ids, times, addresses and counters are
//!   normalised; and every document it printed must be in the spool,
//!   byte-exact;
//! - any other capture must get a verdict for every exchange (the virtual
//!   printer answers everything), and its graded report is an insta snapshot
//!   in `reports/replay-NAME.snap`, reviewed with `cargo insta review`.
//!
//! A capture with a Get-Printer-Attributes answer or SNMP answers also gets
//! a round trip (`roundtrip/NAME`): a profile derived from it
//! (`paperjam profile from-capture`), a virtual printer served from that
//! profile, the capture replayed against it — and every Get-Printer-Attributes
//! answer, SNMP GetRequest and answered mDNS query answered as captured (the
//! TXT records too), and every MIB value the
//! recorded agent answered got back by name: no attribute or binding the
//! recorded printer answered is missing or different (the virtual printer
//! may answer more; what follows its own state stays its own).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use paperjam_sim::fault::Fault;
use paperjam_sim::mdns::{Announcement, ResponderConfig, RunningServices};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::derive::derive;
use paperjam_sim::profile::Profile;
use paperjam_sim::snmp::agent::follows_state;
use paperjam_sim::snmp::message::{VarValue, Version};
use paperjam_sim::snmp::{Oid, Value as SnmpValue};
use paperjam_sim::wire::ipp::RawMessage;
use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::Outcome;
use paperjam_suites::mdns::{Source, VirtualPrinter};
use paperjam_suites::pcap::profile::profile_sources;
use paperjam_suites::pcap::session::{SessionBody, SessionSet};
use paperjam_suites::raw_target::RawTarget;
use paperjam_suites::replay::{replay, ReplayOptions, ReplayTargets};
use paperjam_suites::report::Report;
use paperjam_suites::snmp::client::SnmpClient;
use paperjam_suites::snmp::SnmpTarget;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv4Addr};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sidecar keys the replay reads.
#[derive(serde::Deserialize, Default)]
struct Sidecar {
    #[serde(default)]
    server_faults: Vec<String>,
    /// `identical` when recorded against `paperjam serve`.
    #[serde(default)]
    replay: Option<String>,
}

fn sidecar(capture: &Path) -> Result<Sidecar, String> {
    let path = capture.with_extension("toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(_) => Ok(Sidecar::default()),
    }
}

fn captures_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "cap")
            )
        })
        .collect();
    out.sort();
    Ok(out)
}

async fn start_with(profile: Profile, faults: &[String]) -> Result<RunningServer, String> {
    let mut cfg = ServerConfig::new(Arc::new(profile));
    cfg.ipp_port = 0;
    cfg.lpd_port = Some(0);
    cfg.socket_port = Some(0);
    cfg.snmp_port = Some(0);
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    cfg.boot_unix_ms = Some(1_795_000_000_000);
    cfg.faults = faults
        .iter()
        .map(|f| {
            f.parse::<Fault>()
                .map_err(|e| format!("sidecar fault {f:?}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    server::start(cfg).await.map_err(|e| e.to_string())
}

/// The virtual printer's mDNS responder, in memory, announcing what `srv`
/// serves as `profile` says.
fn responder(srv: &RunningServer, profile: &Profile) -> Result<VirtualPrinter, String> {
    let ipp = srv.ipp_addr.port();
    let mut services = RunningServices::none().with_ipp(ipp, false);
    if let Some(a) = srv.lpd_addr {
        services = services.with_lpd(a.port(), "lp");
    }
    if let Some(a) = srv.socket_addr {
        services = services.with_appsocket(a.port());
    }
    Ok(VirtualPrinter {
        announcement: Announcement::from_profile(
            profile,
            &services,
            &profile.identity.name,
            vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        )
        .map_err(|e| e.to_string())?,
        config: ResponderConfig::default(),
    })
}

fn targets(srv: &RunningServer, profile: &Profile) -> Result<ReplayTargets, String> {
    let ipp = srv.uris().first().cloned().ok_or("no IPP listener")?;
    let lpd = srv.lpd_addr.ok_or("no LPD listener")?;
    let socket = srv.socket_addr.ok_or("no AppSocket listener")?;
    let snmp = srv.snmp_addr.ok_or("no SNMP agent")?;
    Ok(ReplayTargets {
        ipp: Some(TargetUri::parse(&ipp).map_err(|e| e.to_string())?),
        lpd: Some(RawTarget::parse(&format!("lpd://{lpd}/lp")).map_err(|e| e.to_string())?),
        socket: Some(RawTarget::parse(&format!("socket://{socket}")).map_err(|e| e.to_string())?),
        snmp: Some(SnmpTarget::parse(&format!("snmp://{snmp}")).map_err(|e| e.to_string())?),
        mdns: Some(Source::Virtual(responder(srv, profile)?)),
    })
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// The documents the capture's client printed, by SHA-256.
fn printed(set: &SessionSet) -> Vec<String> {
    let mut out = Vec::new();
    for s in &set.sessions {
        match &s.body {
            SessionBody::Http { exchanges } => {
                for x in exchanges {
                    let Ok((raw, used)) = RawMessage::parse(&x.body) else {
                        continue;
                    };
                    let ok = x.response.as_ref().is_some_and(|r| {
                        r.body.len() >= 4 && u16::from_be_bytes([r.body[2], r.body[3]]) < 0x0100
                    });
                    if !(matches!(raw.code, 0x0002 | 0x0006) && ok && used < x.body.len()) {
                        continue;
                    }
                    // The printer spools what the client compressed, decompressed.
                    let compression = raw.items.iter().find_map(|i| match i {
                        paperjam_sim::wire::ipp::RawItem::Attribute { name, value, .. }
                            if name == b"compression" =>
                        {
                            Some(String::from_utf8_lossy(value).into_owned())
                        }
                        _ => None,
                    });
                    let data = &x.body[used..];
                    let mut plain = Vec::new();
                    let decoded = match compression.as_deref() {
                        Some("gzip") => {
                            flate2::read::MultiGzDecoder::new(data).read_to_end(&mut plain)
                        }
                        Some("deflate") => {
                            flate2::read::DeflateDecoder::new(data).read_to_end(&mut plain)
                        }
                        _ => {
                            plain = data.to_vec();
                            Ok(0)
                        }
                    };
                    if decoded.is_ok() {
                        out.push(sha256_hex(&plain));
                    }
                }
            }
            SessionBody::Lpd { steps, .. } => {
                for st in steps {
                    // A data file's content: its bytes without the closing NUL.
                    if st.label.starts_with("data file") && st.label.ends_with(": content") {
                        let b = st.send.strip_suffix(&[0]).unwrap_or(&st.send);
                        out.push(sha256_hex(b));
                    }
                }
            }
            SessionBody::Socket { data, .. } if !data.is_empty() => out.push(sha256_hex(data)),
            _ => {}
        }
    }
    out.sort();
    out
}

/// The SHA-256 of every stored document, once the printer holds `n`.
async fn stored(srv: &RunningServer, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut docs: Vec<String> = srv.printer.with(|p, _| {
            p.jobs()
                .flat_map(|j| j.documents.iter().map(|d| d.sha256.clone()))
                .collect()
        });
        if docs.len() >= n || Instant::now() > deadline {
            docs.sort();
            return docs;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn run(path: PathBuf, external: bool) -> Result<(), Failed> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let side = sidecar(&path)?;
    let identical = !external && side.replay.as_deref().unwrap_or("identical") == "identical";
    let set = SessionSet::from_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if set.sessions.is_empty() {
        return Err(format!("{}: no session found", path.display()).into());
    }
    let profile = Profile::default_profile().map_err(|e| e.to_string())?;
    let srv = start_with(profile.clone(), &side.server_faults).await?;
    let opts = ReplayOptions {
        capture: name.clone(),
        allow_print: true,
        allow_write: true,
        timeout: Duration::from_secs(if external { 2 } else { 10 }),
        // A third party's agent had its own community; ours reads `public`.
        community: external.then(|| "public".to_string()),
    };
    let result = replay(&set.sessions, &targets(&srv, &profile)?, &opts).await;
    let docs = if identical {
        let want = printed(&set);
        let got = stored(&srv, want.len()).await;
        Some((want, got))
    } else {
        None
    };
    srv.shutdown(Duration::from_secs(1)).await;
    let mut report = Report::new(
        "the virtual printer",
        &format!("replay of {name}"),
        false,
        result.cases,
    );
    report.normalisation = result.rules;
    let mut problems = Vec::new();
    for c in &report.cases {
        let bad = if identical {
            // An mDNS query with no captured answer, a probe or an
            // announcement is skipped, with its reason; all else must pass.
            !(c.outcome == Outcome::Pass || c.outcome == Outcome::Skip && c.id.contains("mdns"))
        } else {
            c.outcome == Outcome::Error
        };
        if bad {
            problems.push(format!(
                "{} {}: {}\n{}",
                c.outcome.as_str(),
                c.id,
                c.reason,
                paperjam_suites::report::findings_text(c)
            ));
        }
    }
    if let Some((want, got)) = docs {
        if want != got {
            problems.push(format!(
                "the printer's documents (SHA-256) {got:?} are not the printed ones {want:?}"
            ));
        }
    }
    if !problems.is_empty() {
        return Err(format!(
            "{}: {} exchange(s) replayed otherwise than expected ({}):\n{}",
            path.display(),
            problems.len(),
            if identical {
                "recorded against paperjam serve, so every exchange must pass"
            } else {
                "every exchange must get a verdict"
            },
            problems.join("\n")
        )
        .into());
    }
    let view = report.snapshot_view();
    let snap = format!("replay-{name}");
    let res = std::panic::catch_unwind(|| {
        insta::with_settings!({ snapshot_path => "../reports", prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!(snap.as_str(), view);
        });
    });
    res.map_err(|e| {
        e.downcast_ref::<String>().cloned().unwrap_or_else(|| {
            format!("the replay report of {name} differs from reports/{snap}.snap")
        })
    })?;
    Ok(())
}

/// Whether the capture says enough about its printer to derive a profile.
fn derivable(path: &Path) -> bool {
    SessionSet::from_file(path).is_ok_and(|set| {
        let src = profile_sources(&set, None);
        !src.printer_attributes.is_empty() || !src.mib.is_empty() || !src.mdns_txt.is_empty()
    })
}

async fn roundtrip(path: PathBuf) -> Result<(), Failed> {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let set = SessionSet::from_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let src = profile_sources(&set, Some("derived.snmpwalk".into()));
    let derived = derive(&src).map_err(|e| e.to_string())?;
    let toml_path = dir.path().join("derived.toml");
    std::fs::write(&toml_path, &derived.toml).map_err(|e| e.to_string())?;
    if let Some(walk) = &derived.walk {
        std::fs::write(dir.path().join("derived.snmpwalk"), walk).map_err(|e| e.to_string())?;
    }
    let profile = Profile::load(&toml_path)
        .map_err(|e| format!("the derived profile does not load: {e}\n{}", derived.toml))?;
    let srv = start_with(profile.clone(), &[]).await?;
    let opts = ReplayOptions {
        capture: name.clone(),
        allow_print: true,
        allow_write: true,
        timeout: Duration::from_secs(2),
        community: Some("public".into()),
    };
    let result = replay(&set.sessions, &targets(&srv, &profile)?, &opts).await;
    let mut checked = 0;
    let mut problems = Vec::new();
    // Every MIB value the recorded agent answered, asked for by name.
    if !src.mib.is_empty() {
        let addr = srv.snmp_addr.ok_or("no SNMP agent")?;
        let client = SnmpClient::connect(addr, Duration::from_secs(2), 1)
            .await
            .map_err(|e| e.to_string())?;
        let session = client.session(Version::V2c, "public");
        let mut last: std::collections::BTreeMap<&Oid, &SnmpValue> = Default::default();
        for (oid, value) in &src.mib {
            last.insert(oid, value);
        }
        for (oid, want) in last {
            if follows_state(oid)
                || matches!(
                    want,
                    SnmpValue::TimeTicks(_) | SnmpValue::Counter32(_) | SnmpValue::Counter64(_)
                )
            {
                continue;
            }
            checked += 1;
            let t = session
                .get(&[(*oid).clone()])
                .await
                .map_err(|e| e.to_string())?;
            let got = t
                .reply()
                .and_then(|m| m.pdu.varbinds.first())
                .map(|vb| vb.value.clone());
            if got.as_ref().and_then(VarValue::value) != Some(want) {
                problems.push(format!("GET {oid}: recorded {want:?}, answered {got:?}"));
            }
        }
    }
    srv.shutdown(Duration::from_secs(1)).await;
    for c in &result.cases {
        let compared_query = c.id.ends_with("-mdns-query") && c.outcome != Outcome::Skip;
        if !(c.id.ends_with("-get-printer-attributes")
            || c.id.ends_with("-getrequest")
            || compared_query)
        {
            continue;
        }
        checked += 1;
        // What the profile records must come back as recorded; what follows
        // the printer's state (state, supplies, trays: `is_live`) is the
        // virtual printer's own, and the target may answer more.
        let real: Vec<_> = c
            .findings
            .iter()
            .filter(|f| !f.check.ends_with("attributes the capture does not have"))
            .filter(|f| {
                let attr = f
                    .check
                    .split_once(": ")
                    .map_or("", |(_, rest)| rest)
                    .trim_end_matches(" value")
                    .trim_end_matches(" syntax");
                !paperjam_sim::ipp::attributes::is_live(attr)
            })
            // A request the recorded agent did not answer (another
            // community), or answered with an error about its own buffer.
            .filter(|f| !f.expected.contains("as captured: no answer"))
            .filter(|f| !f.expected.contains("as captured: tooBig"))
            .collect();
        if c.outcome == Outcome::Error || !real.is_empty() {
            problems.push(format!(
                "{} {}: {}\n{}",
                c.outcome.as_str(),
                c.id,
                c.reason,
                real.iter()
                    .map(|f| format!("  {}: {} / {}", f.check, f.expected, f.actual))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
    }
    if checked == 0 {
        return Err(format!(
            "{name}: no Get-Printer-Attributes, GetRequest or answered mDNS query was replayed"
        )
        .into());
    }
    if !problems.is_empty() {
        return Err(format!(
            "{name}: the printer served from the derived profile answers otherwise:\n{}\nnotes: {:?}\nprofile:\n{}",
            problems.join("\n"),
            derived.notes,
            derived.toml
        )
        .into());
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime, Failed> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string().into())
}

fn trials_for(list: Vec<PathBuf>, prefix: &str, external: bool, trials: &mut Vec<Trial>) {
    for p in list {
        let n = p
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if derivable(&p) {
            let q = p.clone();
            trials.push(Trial::test(format!("roundtrip/{n}"), move || {
                runtime()?.block_on(roundtrip(q))
            }));
        }
        trials.push(trial(format!("{prefix}/{n}"), p, external));
    }
}

fn trial(name: String, path: PathBuf, external: bool) -> Trial {
    Trial::test(name, move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(run(path, external))
    })
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    match captures_in(&root().join("captures")) {
        Ok(list) => trials_for(list, "captures", false, &mut trials),
        Err(e) => trials.push(Trial::test("captures", move || Err(e.into()))),
    }
    if let Some(dir) = std::env::var_os("PAPERJAM_EXTERNAL_CAPTURES") {
        let dir = PathBuf::from(dir);
        match captures_in(&dir) {
            Ok(list) if !list.is_empty() => trials_for(list, "external", true, &mut trials),
            Ok(_) => trials.push(Trial::test("external", move || {
                Err(format!(
                    "PAPERJAM_EXTERNAL_CAPTURES={} holds no capture",
                    dir.display()
                )
                .into())
            })),
            Err(e) => trials.push(Trial::test("external", move || {
                Err(format!("PAPERJAM_EXTERNAL_CAPTURES: {e}").into())
            })),
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
