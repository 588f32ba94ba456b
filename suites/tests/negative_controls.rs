//! Negative controls: the virtual printer misbehaves in one way at a time —
//! every protocol quirk of `QuirkKind::ALL` — and the suite must flag it by
//! the cases the quirk names (`QuirkKind::flagged_by`), and flag nothing
//! unrelated. A grader that passes a broken printer, or blames the wrong
//! clause, is caught here. Each run prints the cases that flagged the quirk
//! (`QUIRK flagged by [...]`): the detection matrix. LPD, AppSocket,
//! SNMP and mDNS quirks are run against their own protocol's suite.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mdns_printer;
mod raw_printer;
mod security_printer;
mod snmp_printer;

use std::sync::Arc;

use paperjam_sim::fault::quirk::QuirkProtocol;
use paperjam_sim::ipp::quirks::{Quirk, QuirkKind};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::{CaseResult, Finding, Outcome};
use paperjam_suites::runner::{RunOptions, Runner};
use paperjam_suites::spec::load_dir;

/// How the cases of a run are scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Schedule {
    /// One after the other, as a real run.
    Sequential,
    /// All at once, except that a case that changes the printer's settings
    /// runs alone: for quirks that make cases wait out their repeats.
    Parallel,
    /// All at once: for quirks under which no request changes anything.
    AllAtOnce,
}

/// A printer's configuration with `quirks`.
fn config(quirks: &[&str]) -> ServerConfig {
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().unwrap()));
    cfg.ipp_port = 0;
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    cfg.quirks = quirks.iter().map(|q| q.parse::<Quirk>().unwrap()).collect();
    cfg
}

/// Run the whole suite of `protocol` against a printer with `quirks`.
async fn run_suite_with(
    protocol: QuirkProtocol,
    quirks: &[&str],
    schedule: Schedule,
) -> Vec<CaseResult> {
    match protocol {
        QuirkProtocol::Ipp => run_with(quirks, schedule).await,
        QuirkProtocol::Snmp => {
            snmp_printer::run_snmp_suite(config(quirks), &snmp_printer::snmp_cases()).await
        }
        QuirkProtocol::Mdns => {
            mdns_printer::run_mdns_suite(config(quirks), &mdns_printer::mdns_cases()).await
        }
        QuirkProtocol::Security => {
            // On the locked-down printer, which the suite finds nothing on.
            let faults: Vec<paperjam_sim::fault::Fault> =
                quirks.iter().map(|q| q.parse().unwrap()).collect();
            let cfg = security_printer::config(
                paperjam_sim::security::preset::Preset::LockedDown,
                &faults,
                true,
            );
            let cases = security_printer::security_cases();
            security_printer::run_security_suite(cfg, "ipps", &cases)
                .await
                .1
        }
        _ => {
            let cases = raw_printer::raw_cases(protocol);
            let at_once = schedule != Schedule::Sequential;
            raw_printer::run_raw_suite(config(quirks), protocol, &cases, at_once).await
        }
    }
}

/// Run the whole IPP suite against a printer with `quirks`.
async fn run_with(quirks: &[&str], schedule: Schedule) -> Vec<CaseResult> {
    let srv = server::start(config(quirks)).await.unwrap();
    let target = TargetUri::parse(&srv.uris()[0]).unwrap();
    let runner = Arc::new(
        Runner::new(
            target,
            RunOptions::virtual_printer(paperjam_suites::documents_dir()),
        )
        .await,
    );
    let cases = load_dir(&paperjam_suites::ipp_suite_dir()).unwrap();
    let mut out = Vec::new();
    if schedule != Schedule::Sequential {
        let lock = Arc::new(tokio::sync::RwLock::new(()));
        let mut tasks = tokio::task::JoinSet::new();
        for c in cases {
            let (runner, lock) = (runner.clone(), lock.clone());
            tasks.spawn(async move {
                if c.changes_settings && schedule == Schedule::Parallel {
                    let _alone = lock.write().await;
                    runner.run(&c).await
                } else {
                    let _shared = lock.read().await;
                    runner.run(&c).await
                }
            });
        }
        while let Some(r) = tasks.join_next().await {
            out.push(r.unwrap());
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
    } else {
        for c in cases {
            out.push(runner.run(&c).await);
        }
    }
    out
}

fn flagged(results: &[CaseResult]) -> Vec<&CaseResult> {
    results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Warn | Outcome::Error))
        .collect()
}

/// How one quirk is run and what its findings may be.
struct Control {
    /// The quirk as configured (the bare name, or narrowed with `@`).
    spec: &'static str,
    /// How to schedule the cases.
    schedule: Schedule,
    /// Every finding of every flagged case must satisfy this.
    related: fn(&Finding) -> bool,
    /// Every flagged case must have a finding that satisfies this.
    cause: fn(&Finding) -> bool,
}

fn any(_: &Finding) -> bool {
    true
}

fn malformed(f: &Finding) -> bool {
    f.check == "IPP response"
}

fn status_is(f: &Finding, status: &str) -> bool {
    f.check == "status-code" && f.actual == status
}

/// The control of each quirk; the match makes a new quirk fail to compile
/// until it has one.
fn control(kind: QuirkKind) -> Control {
    let plain = |spec, related: fn(&Finding) -> bool| Control {
        spec,
        schedule: Schedule::Sequential,
        related,
        cause: any,
    };
    let at_once = |spec, related: fn(&Finding) -> bool| Control {
        schedule: Schedule::AllAtOnce,
        ..plain(spec, related)
    };
    match kind {
        QuirkKind::WrongRequestId => plain("wrong-request-id", |f| f.check == "request-id"),
        QuirkKind::WrongVersion => plain("ipp-version-1.0", |f| f.check == "response version"),
        QuirkKind::MissingRequiredAttribute => plain("missing-required-attribute", |f| {
            f.check.contains("printer-uri-supported")
                || f.expected.contains("printer-uri-supported")
        }),
        QuirkKind::ReorderedOperationGroup => plain("reordered-operation-group", |f| {
            f.check.contains("order")
                || f.check.starts_with("attributes-charset")
                || f.check.starts_with("attributes-natural-language")
        }),
        QuirkKind::DroppedEndTag => plain("dropped-end-tag", malformed),
        QuirkKind::Http10NoContinue => plain("http-1.0-no-continue", |f| {
            matches!(
                f.check.as_str(),
                "HTTP status" | "100 Continue" | "persistent connection"
            )
        }),
        QuirkKind::NoChunked => plain("no-chunked", |f| {
            matches!(f.check.as_str(), "HTTP status" | "response version")
        }),
        QuirkKind::MembersOutsideCollection => plain("members-outside-collection", malformed),
        QuirkKind::CollectionNoEnd => plain("collection-no-end", malformed),
        QuirkKind::KeywordSpaces => plain("keyword-spaces", |f| f.check.starts_with("media-")),
        QuirkKind::CorruptResponse => plain("corrupt-response", malformed),
        QuirkKind::ServerErrorBusy => Control {
            spec: "server-error-busy",
            schedule: Schedule::AllAtOnce,
            related: any,
            cause: |f| status_is(f, "server-error-busy"),
        },
        QuirkKind::ServiceUnavailable => Control {
            spec: "service-unavailable",
            schedule: Schedule::AllAtOnce,
            related: any,
            cause: |f| status_is(f, "server-error-service-unavailable"),
        },
        // A job group without job-state: its absence, waits for a state that
        // never shows, and counts compared with it.
        QuirkKind::NoJobState => plain("no-job-state", |f| {
            (f.check.starts_with("job-state ") || f.expected.contains("job-state"))
                && !f.check.starts_with("job-state-reasons")
        }),
        // A finished job is not found: the status, and the job's attributes absent.
        QuirkKind::NoJobHistory => plain("no-job-history", |f| {
            status_is(f, "client-error-not-found")
                || (f.check.ends_with(" presence") && f.actual == "absent")
                || f.check.starts_with("job-state after")
        }),
        QuirkKind::LostLastDocument => Control {
            spec: "lost-last-document",
            schedule: Schedule::Parallel,
            related: |f| {
                f.check.starts_with("job-state after")
                    || (f.check == "status-code"
                        && f.expected.contains("client-error-not-possible"))
            },
            cause: any,
        },
        // Also counted twice where a case counts the groups an attribute is in.
        QuirkKind::DuplicatedAttribute => plain("duplicated-attribute", |f| {
            f.check == "duplicate attribute" || f.check.ends_with(" groups")
        }),
        QuirkKind::WrongValueTag => plain("wrong-value-tag", |f| f.check.ends_with(" type")),
        QuirkKind::TruncatedResponse => plain("truncated-response", malformed),
        // The connection cannot be kept once a body is not delimited.
        QuirkKind::WrongContentLength => plain("wrong-content-length", |f| {
            f.check == "HTTP response" || f.check == "persistent connection"
        }),
        // LPD: each case runs on connections of its own, so all at once.
        QuirkKind::LpdRefuseJob => at_once("lpd-refuse-job", |f| f.check == "acknowledgement"),
        QuirkKind::LpdRefuseFile => at_once("lpd-refuse-file", |f| f.check == "acknowledgement"),
        QuirkKind::LpdLoseDataFile => at_once("lpd-lose-data-file", |f| f.check == "answer text"),
        // The next subcommand gets no acknowledgement, or cannot be sent.
        QuirkKind::LpdCloseAfterControlFile => at_once("lpd-close-after-control-file", |f| {
            f.check == "acknowledgement" || f.check == "connection"
        }),
        QuirkKind::LpdSlowAck => at_once("lpd-slow-ack", |f| f.check == "acknowledgement delay"),
        // AppSocket: one case after another, as a second connection is what
        // `socket-one-connection` refuses.
        QuirkKind::SocketCloseOnHalfClose => {
            plain("socket-close-on-half-close", |f| f.check == "answer text")
        }
        QuirkKind::SocketOneConnection => plain("socket-one-connection", |f| {
            f.check == "answer text" || f.check == "connection"
        }),
        QuirkKind::SocketResetMidJob => plain("socket-reset-mid-job", |f| {
            f.check == "answer text" || f.check == "connection"
        }),
        QuirkKind::PjlSilent => plain("pjl-silent", |f| f.check == "answer text"),
        // SNMP: the probes go unanswered, so only the case that grades
        // answering runs (the others are skipped, with the reason).
        QuirkKind::SnmpSilent => plain("snmp-silent", |f| f.check == "response"),
        // noSuchName where an exception belongs.
        QuirkKind::SnmpV1ErrorsInV2c => {
            plain("snmp-v1-errors-in-v2c", |f| f.check == "error-status")
        }
        // Every GetNext and GetBulk, walks and cross-checks included.
        QuirkKind::SnmpWalkOutOfOrder => plain("snmp-walk-out-of-order", |f| {
            f.check == "lexicographic order"
        }),
        QuirkKind::SnmpWrongTypes => plain("snmp-wrong-types", |f| f.check.ends_with(" type")),
        QuirkKind::SnmpNegativeSupplyLevels => plain("snmp-negative-supply-levels", |f| {
            f.check == "prtMarkerSuppliesLevel value"
        }),
        QuirkKind::SnmpStaleStatus => plain("snmp-stale-status", |f| {
            f.check == "hrPrinterStatus vs printer-state"
        }),
        // mDNS: the suite runs against the printer's responder over the
        // in-memory link; IPP cross-checks that cannot be made are skipped.
        QuirkKind::MdnsWrongTtl => plain("mdns-wrong-ttl", |f| f.check.starts_with("TTL of ")),
        QuirkKind::MdnsNoGoodbye => plain("mdns-no-goodbye", |f| f.check == "goodbye"),
        QuirkKind::MdnsMissingTxtKeys => plain("mdns-missing-txt-keys", |f| {
            f.check.starts_with("TXT keys of ")
        }),
        QuirkKind::MdnsTxtContradictsIpp => plain("mdns-txt-contradicts-ipp", |f| {
            f.check == "pdl vs document-format-supported"
        }),
        QuirkKind::MdnsWrongPort => plain("mdns-wrong-port", |f| f.check == "connection"),
        QuirkKind::MdnsFlood => plain("mdns-flood", |f| f.check == "multicast interval"),
        QuirkKind::MdnsNoDefend => plain("mdns-no-defend", |f| f.check == "probe answer"),
        // Security findings name ports, versions and operations of every
        // kind; the cases each flags are pinned by `flagged_by`.
        QuirkKind::AnonymousAdmin => plain("anonymous-admin", any),
        QuirkKind::SnmpWritablePrivate => plain("snmp-writable-private", any),
        QuirkKind::PlaintextOnly => plain("plaintext-only", any),
        QuirkKind::TlsLegacy => plain("tls-legacy", |f| {
            f.check.starts_with("TLS 1.0") || f.check.starts_with("TLS 1.1")
        }),
        QuirkKind::ExpiredCertificate => plain("expired-certificate", any),
        QuirkKind::CupsBrowsed => plain("cups-browsed", any),
    }
}

/// Run `kind`'s control: the cases it names must fail (or warn), and every
/// flagged case must be flagged for the quirk.
async fn check(kind: QuirkKind) {
    let c = control(kind);
    let results = run_suite_with(kind.protocol(), &[c.spec], c.schedule).await;
    let bad = flagged(&results);
    let ids: Vec<&str> = bad.iter().map(|r| r.id.as_str()).collect();
    eprintln!("{} flagged by {ids:?}", kind.name());
    let mut checks: Vec<String> = bad
        .iter()
        .flat_map(|r| r.findings.iter())
        .map(|f| {
            format!(
                "{} [{} / {}]",
                f.check,
                f.expected,
                f.actual.chars().take(60).collect::<String>()
            )
        })
        .collect();
    checks.sort();
    checks.dedup();
    eprintln!("{} findings: {checks:#?}", kind.name());
    for want in kind.flagged_by() {
        let r = results.iter().find(|r| r.id == *want);
        assert!(r.is_some(), "{}: no case {want} in the suite", kind.name());
        assert!(
            bad.iter()
                .any(|r| r.id == *want && matches!(r.outcome, Outcome::Fail | Outcome::Warn)),
            "{}: {want} did not flag it ({:?}); flagged: {ids:?}",
            kind.name(),
            r.map(|r| (&r.outcome, &r.reason))
        );
    }
    if kind.protocol() == QuirkProtocol::Mdns {
        // The mDNS suite runs on a simulated clock: its quirks are flagged by
        // exactly their cases.
        let mut want: Vec<&str> = kind.flagged_by().to_vec();
        let mut got = ids.clone();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{}: flagged by other cases too", kind.name());
    }
    for r in &bad {
        assert_ne!(
            r.outcome,
            Outcome::Error,
            "{}: {} errored: {}",
            kind.name(),
            r.id,
            r.reason
        );
        assert!(
            r.findings.iter().any(c.cause),
            "{}: {} was flagged, but not for the quirk: {:?}",
            kind.name(),
            r.id,
            r.findings
        );
        for f in &r.findings {
            assert!(
                (c.related)(f),
                "{}: {} flagged something unrelated: {} (expected {}, got {})",
                kind.name(),
                r.id,
                f.check,
                f.expected,
                f.actual
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_printer_is_flagged_by_no_must() {
    let results = run_with(&[], Schedule::Sequential).await;
    let bad: Vec<String> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Error))
        .map(|r| format!("{}: {}", r.id, r.reason))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    for protocol in [
        QuirkProtocol::Lpd,
        QuirkProtocol::AppSocket,
        QuirkProtocol::Snmp,
        QuirkProtocol::Mdns,
    ] {
        let raw = run_suite_with(protocol, &[], Schedule::Sequential).await;
        let flagged: Vec<String> = raw
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .map(|r| format!("{}: {}", r.id, r.reason))
            .collect();
        assert!(flagged.is_empty(), "{}: {flagged:#?}", protocol.name());
    }
    let unexplained: Vec<&str> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Skip && r.reason.is_empty())
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        unexplained.is_empty(),
        "skips without a reason: {unexplained:?}"
    );
}

/// One test per quirk (so that nextest runs them side by side), and the list
/// of quirks they cover.
macro_rules! quirk_controls {
    ($($test:ident => $kind:ident,)*) => {
        const TESTED: &[QuirkKind] = &[$(QuirkKind::$kind),*];
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                check(QuirkKind::$kind).await;
            }
        )*
    };
}

quirk_controls! {
    wrong_request_id_is_flagged => WrongRequestId,
    ipp_version_1_0_is_flagged => WrongVersion,
    missing_required_attribute_is_flagged => MissingRequiredAttribute,
    reordered_operation_group_is_flagged => ReorderedOperationGroup,
    dropped_end_tag_is_flagged => DroppedEndTag,
    http_1_0_no_continue_is_flagged => Http10NoContinue,
    no_chunked_is_flagged => NoChunked,
    members_outside_collection_is_flagged => MembersOutsideCollection,
    collection_no_end_is_flagged => CollectionNoEnd,
    keyword_spaces_is_flagged => KeywordSpaces,
    corrupt_response_is_flagged => CorruptResponse,
    server_error_busy_is_flagged => ServerErrorBusy,
    service_unavailable_is_flagged => ServiceUnavailable,
    no_job_state_is_flagged => NoJobState,
    no_job_history_is_flagged => NoJobHistory,
    lost_last_document_is_flagged => LostLastDocument,
    duplicated_attribute_is_flagged => DuplicatedAttribute,
    wrong_value_tag_is_flagged => WrongValueTag,
    truncated_response_is_flagged => TruncatedResponse,
    wrong_content_length_is_flagged => WrongContentLength,
    lpd_refuse_job_is_flagged => LpdRefuseJob,
    lpd_refuse_file_is_flagged => LpdRefuseFile,
    lpd_lose_data_file_is_flagged => LpdLoseDataFile,
    lpd_close_after_control_file_is_flagged => LpdCloseAfterControlFile,
    lpd_slow_ack_is_flagged => LpdSlowAck,
    socket_close_on_half_close_is_flagged => SocketCloseOnHalfClose,
    socket_one_connection_is_flagged => SocketOneConnection,
    socket_reset_mid_job_is_flagged => SocketResetMidJob,
    pjl_silent_is_flagged => PjlSilent,
    snmp_silent_is_flagged => SnmpSilent,
    snmp_v1_errors_in_v2c_is_flagged => SnmpV1ErrorsInV2c,
    snmp_walk_out_of_order_is_flagged => SnmpWalkOutOfOrder,
    snmp_wrong_types_is_flagged => SnmpWrongTypes,
    snmp_negative_supply_levels_is_flagged => SnmpNegativeSupplyLevels,
    snmp_stale_status_is_flagged => SnmpStaleStatus,
    mdns_wrong_ttl_is_flagged => MdnsWrongTtl,
    mdns_no_goodbye_is_flagged => MdnsNoGoodbye,
    mdns_missing_txt_keys_is_flagged => MdnsMissingTxtKeys,
    mdns_txt_contradicts_ipp_is_flagged => MdnsTxtContradictsIpp,
    mdns_wrong_port_is_flagged => MdnsWrongPort,
    mdns_flood_is_flagged => MdnsFlood,
    mdns_no_defend_is_flagged => MdnsNoDefend,
    anonymous_admin_is_flagged => AnonymousAdmin,
    snmp_writable_private_is_flagged => SnmpWritablePrivate,
    plaintext_only_is_flagged => PlaintextOnly,
    tls_legacy_is_flagged => TlsLegacy,
    expired_certificate_is_flagged => ExpiredCertificate,
    cups_browsed_is_flagged => CupsBrowsed,
}

#[test]
fn every_quirk_has_a_negative_control() {
    for k in QuirkKind::ALL {
        assert!(TESTED.contains(&k), "{} has no negative control", k.name());
        assert_eq!(
            control(k).spec.parse::<Quirk>().map(|q| q.kind),
            Ok(k),
            "{}",
            k.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_narrowed_quirk_spares_other_operations() {
    // Only Get-Jobs answers lose their end tag: only cases that read them notice.
    let results = run_with(&["dropped-end-tag@Get-Jobs"], Schedule::Sequential).await;
    let bad = flagged(&results);
    assert!(
        !bad.is_empty(),
        "a Get-Jobs response without its end tag went unnoticed"
    );
    for r in &bad {
        assert!(
            r.findings.iter().any(malformed),
            "{} was flagged, but not for the malformed response: {:?}",
            r.id,
            r.findings
        );
    }
}
