//! Each security case's grading, fed what its probes would see.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::*;
use crate::security::tls_probe::Negotiated;

const MUST: Level = Level::Must;
const SHOULD: Level = Level::Should;

fn ipp(status: u16) -> IppAnswer {
    IppAnswer::Ipp { status }
}

fn http(status: u16) -> IppAnswer {
    IppAnswer::Http {
        status,
        location: None,
        www_authenticate: None,
        upgrade: None,
    }
}

fn redirect(to: &str) -> IppAnswer {
    IppAnswer::Http {
        status: 301,
        location: Some(to.into()),
        www_authenticate: None,
        upgrade: None,
    }
}

#[test]
fn receptions() {
    assert!(matches!(reception(&ipp(0)), Reception::Accepted(s) if s == "successful-ok"));
    assert!(matches!(reception(&ipp(1)), Reception::Accepted(_)));
    for s in [0x0401, 0x0402, 0x0403] {
        assert!(matches!(reception(&ipp(s)), Reception::Refused(_)), "{s:x}");
    }
    assert!(matches!(
        reception(&ipp(0x0501)),
        Reception::NotSupported(_)
    ));
    assert!(matches!(reception(&ipp(0x0400)), Reception::Other(_)));
    for s in [401, 403, 426] {
        assert!(matches!(reception(&http(s)), Reception::Refused(_)), "{s}");
    }
    assert!(matches!(
        reception(&redirect("https://p/ipp/print")),
        Reception::Refused(_)
    ));
    assert!(matches!(
        reception(&redirect("IPPS://p/ipp/print")),
        Reception::Refused(_)
    ));
    assert!(matches!(
        reception(&redirect("http://p/")),
        Reception::Other(_)
    ));
    assert!(matches!(reception(&http(500)), Reception::Other(_)));
    let challenged = IppAnswer::Http {
        status: 401,
        location: None,
        www_authenticate: Some("Digest realm=\"p\", qop=\"auth\", nonce=\"abc\"".into()),
        upgrade: None,
    };
    assert_eq!(
        reception(&challenged),
        Reception::Refused("HTTP 401, WWW-Authenticate: Digest realm=\"p\"".into())
    );
    assert!(matches!(
        reception(&IppAnswer::NoAnswer("reset".into())),
        Reception::NoAnswer(_)
    ));
}

/// pause-printer, resume-printer, purge-jobs, set-printer-attributes,
/// cancel-other-users-job.
#[test]
fn admin_operations_without_credentials() {
    let v = grade_refused(MUST, "Pause-Printer", &ipp(0));
    assert_eq!(v.outcome, Outcome::Fail);
    assert_eq!(v.findings[0].actual, "successful-ok");
    assert!(v.reason.contains("without credentials"));
    assert_eq!(grade_refused(SHOULD, "x", &ipp(0)).outcome, Outcome::Warn);
    for refused in [http(401), http(403), ipp(0x0401), ipp(0x0402), ipp(0x0403)] {
        assert_eq!(
            grade_refused(MUST, "Purge-Jobs", &refused).outcome,
            Outcome::Pass
        );
    }
    let v = grade_refused(MUST, "Set-Printer-Attributes", &ipp(0x0501));
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.contains("not supported"), "{}", v.reason);
    let v = grade_refused(MUST, "Cancel-Job", &ipp(0x0404));
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(
        v.reason.contains("client-error-not-possible"),
        "{}",
        v.reason
    );
    assert_eq!(
        grade_refused(MUST, "x", &IppAnswer::NoAnswer("timeout".into())).outcome,
        Outcome::Error
    );
}

/// A Basic challenge in clear text is a password about to be sent in clear
/// text; a Digest one is not.
#[test]
fn plain_http_basic_challenge() {
    let challenge = |w: &str| IppAnswer::Http {
        status: 401,
        location: None,
        www_authenticate: Some(w.into()),
        upgrade: None,
    };
    let v = grade_plain(
        TlsPolicy::Required,
        MUST,
        "Set-Printer-Attributes",
        &challenge("Basic realm=\"p\", charset=\"UTF-8\""),
    );
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.reason.contains("clear text"), "{}", v.reason);
    let v = grade_plain(
        TlsPolicy::Required,
        MUST,
        "Set-Printer-Attributes",
        &challenge("Digest realm=\"p\", qop=\"auth\", nonce=\"abc\""),
    );
    assert_eq!(v.outcome, Outcome::Pass);
    let v = grade_plain(
        TlsPolicy::Optional,
        MUST,
        "Set-Printer-Attributes",
        &challenge("Basic realm=\"p\""),
    );
    assert_eq!(v.outcome, Outcome::Pass);
}

/// plain-print and plain-admin under each tls policy.
#[test]
fn plain_http() {
    use TlsPolicy::*;
    // Accepted in clear text.
    assert_eq!(
        grade_plain(Required, SHOULD, "Validate-Job", &ipp(0)).outcome,
        Outcome::Warn
    );
    assert_eq!(
        grade_plain(Required, MUST, "Set-Printer-Attributes", &ipp(0)).outcome,
        Outcome::Fail
    );
    assert_eq!(
        grade_plain(Preferred, MUST, "Set-Printer-Attributes", &ipp(0)).outcome,
        Outcome::Warn
    );
    let v = grade_plain(Optional, MUST, "Set-Printer-Attributes", &ipp(0));
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.contains("allowed by policy"), "{}", v.reason);
    assert!(v.findings.is_empty());
    // An IPP error other than an authentication refusal is still IPP in clear text.
    let v = grade_plain(Required, SHOULD, "Validate-Job", &ipp(0x040b));
    assert_eq!(v.outcome, Outcome::Warn);
    assert!(
        v.findings[0].actual.contains("attributes-or-values"),
        "{v:?}"
    );
    // Refusals.
    for a in [
        http(426),
        http(403),
        http(401),
        redirect("https://p:443/ipp/print"),
        ipp(0x0402),
    ] {
        let v = grade_plain(Required, MUST, "Set-Printer-Attributes", &a);
        assert_eq!(v.outcome, Outcome::Pass, "{a:?}");
    }
    let v = grade_plain(Required, MUST, "Set-Printer-Attributes", &ipp(0x0501));
    assert!(v.outcome == Outcome::Pass && v.reason.contains("not supported"));
    let v = grade_plain(
        Required,
        MUST,
        "Validate-Job",
        &IppAnswer::NoAnswer("not HTTP".into()),
    );
    assert!(v.outcome == Outcome::Pass && v.reason.contains("does not answer plain HTTP"));
    // A plain-HTTP redirect elsewhere is not a refusal, but not IPP either.
    assert_eq!(
        grade_plain(Required, MUST, "x", &redirect("http://elsewhere/")).outcome,
        Outcome::Pass
    );
}

#[test]
fn anonymous_print_follows_the_policy() {
    assert_eq!(
        grade_anonymous_print(Stance::Warn, &ipp(0)).outcome,
        Outcome::Warn
    );
    assert_eq!(
        grade_anonymous_print(Stance::Forbidden, &ipp(0)).outcome,
        Outcome::Fail
    );
    let v = grade_anonymous_print(Stance::Allowed, &ipp(0));
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.contains("allowed by policy"));
    assert_eq!(
        grade_anonymous_print(Stance::Forbidden, &http(401)).outcome,
        Outcome::Pass
    );
    assert_eq!(
        grade_anonymous_print(Stance::Forbidden, &IppAnswer::NoAnswer("x".into())).outcome,
        Outcome::Error
    );
}

#[test]
fn bad_credentials() {
    assert_eq!(grade_bad_credentials(MUST, &[]).outcome, Outcome::Skip);
    let v = grade_bad_credentials(
        MUST,
        &[("Basic".into(), http(401)), ("Digest".into(), http(401))],
    );
    assert_eq!(v.outcome, Outcome::Pass);
    assert_eq!(
        v.reason,
        "wrong credentials refused (Basic: 401; Digest: 401)"
    );
    let v = grade_bad_credentials(
        MUST,
        &[("Basic".into(), http(401)), ("Digest".into(), ipp(0))],
    );
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.reason.contains("Digest credentials"), "{}", v.reason);
    let v = grade_bad_credentials(MUST, &[("Basic".into(), http(403))]);
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.contains("not 401"));
    let v = grade_bad_credentials(
        MUST,
        &[("Basic".into(), IppAnswer::NoAnswer("reset".into()))],
    );
    assert_eq!(v.outcome, Outcome::Error);
}

// ---------------------------------------------------------------------------
// TLS.

const NOW: i64 = 1_750_000_000; // 2025-06-15

fn cert(names: &[&str], not_after: i64, self_signed: bool) -> CertInfo {
    CertInfo {
        subject: format!("CN={}", names.first().copied().unwrap_or("x")),
        issuer: if self_signed {
            format!("CN={}", names.first().copied().unwrap_or("x"))
        } else {
            "CN=Office CA".into()
        },
        common_names: names.iter().take(1).map(|s| s.to_string()).collect(),
        not_before: NOW - 86_400 * 365,
        not_after,
        dns_names: names
            .iter()
            .filter(|n| n.parse::<IpAddr>().is_err())
            .map(|s| s.to_string())
            .collect(),
        ip_addresses: names.iter().filter_map(|n| n.parse().ok()).collect(),
        self_signed,
        key: "EC P-256".into(),
        signature: "ecdsa-with-SHA256".into(),
        sha256: format!("{names:?}{not_after}{self_signed}"),
    }
}

fn endpoint(label: &str, handshake: bool, old: &[TlsVersion], c: Option<CertInfo>) -> TlsEndpoint {
    let versions = TlsVersion::ALL
        .into_iter()
        .map(|v| {
            let accepted = old.contains(&v) || (handshake && v >= TlsVersion::Tls12);
            (
                v,
                if accepted {
                    VersionAnswer::Accepted { cipher: 0xc02f }
                } else {
                    VersionAnswer::Refused("protocol_version".into())
                },
            )
        })
        .collect();
    TlsEndpoint {
        label: label.into(),
        report: TlsReport {
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 631),
            server_name: "127.0.0.1".into(),
            handshake: if handshake {
                Ok(Negotiated {
                    version: TlsVersion::Tls13,
                    cipher: "TLS13_AES_128_GCM_SHA256".into(),
                    alpn: None,
                })
            } else {
                Err("not TLS: HTTP/1.1 400".into())
            },
            chain: c.into_iter().collect(),
            chain_der: vec![],
            versions,
        },
    }
}

fn plain_port() -> TlsEndpoint {
    let mut e = endpoint("IPP port 631", false, &[], None);
    for (_, a) in &mut e.report.versions {
        *a = VersionAnswer::NotTls("HTTP/1.1 400 Bad Request".into());
    }
    e
}

#[test]
fn ipps_offered() {
    let good = endpoint("IPPS port 443", true, &[], None);
    // TLS on a separate port only: the IPP port's ipps:// URIs cannot work.
    let v = grade_ipps_offered(TlsPolicy::Required, MUST, &[plain_port(), good.clone()]);
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(
        v.findings[0].actual.contains("TLS only on IPPS port 443"),
        "{v:?}"
    );
    let same_port = endpoint("IPP port 631", true, &[], None);
    let v = grade_ipps_offered(TlsPolicy::Required, MUST, &[same_port, good]);
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.contains("IPP port 631 (TLS 1.3"), "{}", v.reason);
    let v = grade_ipps_offered(TlsPolicy::Required, MUST, &[plain_port()]);
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(
        v.findings[0].actual.contains("IPP port 631: not TLS"),
        "{v:?}"
    );
    assert_eq!(
        grade_ipps_offered(TlsPolicy::Preferred, MUST, &[plain_port()]).outcome,
        Outcome::Warn
    );
    assert_eq!(
        grade_ipps_offered(TlsPolicy::Optional, MUST, &[plain_port()]).outcome,
        Outcome::Pass
    );
    // A port that only ever answers a TLS 1.0 ServerHello offers no usable IPPS.
    let legacy = endpoint("IPPS port 443", false, &[TlsVersion::Tls10], None);
    assert_eq!(
        grade_ipps_offered(TlsPolicy::Required, MUST, &[legacy]).outcome,
        Outcome::Fail
    );
}

#[test]
fn tls_minimum_version() {
    let v = grade_tls_minimum(MinTlsVersion::Tls12, &[plain_port()]);
    assert_eq!(v.outcome, Outcome::Skip);
    let modern = endpoint("IPP port 631", true, &[], None);
    assert_eq!(
        grade_tls_minimum(MinTlsVersion::Tls12, std::slice::from_ref(&modern)).outcome,
        Outcome::Pass
    );
    // TLS 1.2 accepted fails under a 1.3 policy.
    let v = grade_tls_minimum(MinTlsVersion::Tls13, &[modern]);
    assert_eq!(v.outcome, Outcome::Fail);
    assert_eq!(v.findings[0].check, "TLS 1.2 on IPP port 631");
    // A legacy port that answers only a TLS 1.0 hello still counts.
    let legacy = endpoint(
        "IPPS port 443",
        false,
        &[TlsVersion::Tls10, TlsVersion::Tls11],
        None,
    );
    let v = grade_tls_minimum(MinTlsVersion::Tls12, &[plain_port(), legacy]);
    assert_eq!(v.outcome, Outcome::Fail);
    assert_eq!(v.findings.len(), 2);
    assert_eq!(
        v.reason,
        "deprecated TLS accepted: TLS 1.0 on IPPS port 443, TLS 1.1 on IPPS port 443"
    );
    assert!(
        v.findings[0]
            .actual
            .starts_with("accepted (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        "{v:?}"
    );
}

#[test]
fn certificate_dates() {
    assert_eq!(
        grade_certificate_dates(SHOULD, NOW, &[plain_port()]).outcome,
        Outcome::Skip
    );
    let ok = endpoint(
        "IPP port 631",
        true,
        &[],
        Some(cert(&["127.0.0.1"], NOW + 86_400, true)),
    );
    let v = grade_certificate_dates(SHOULD, NOW, std::slice::from_ref(&ok));
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.contains("until 2025-06-16"), "{}", v.reason);
    let old = endpoint(
        "IPPS port 443",
        true,
        &[],
        Some(cert(&["printer.invalid"], NOW - 86_400, true)),
    );
    let v = grade_certificate_dates(SHOULD, NOW, &[ok, old]);
    assert_eq!(v.outcome, Outcome::Warn);
    assert!(
        v.findings[0].actual.starts_with("expired on 2025-06-14"),
        "{v:?}"
    );
    assert!(v.findings[0].check.contains("IPPS port 443"));
    let mut future = cert(&["p"], NOW + 1000, false);
    future.not_before = NOW + 100;
    let v = grade_certificate_dates(MUST, NOW, &[endpoint("x", true, &[], Some(future))]);
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.findings[0].actual.starts_with("not valid before"));
}

#[test]
fn certificate_names() {
    let c = cert(&["127.0.0.1", "localhost"], NOW + 1, true);
    let eps = [endpoint("IPP port 631", true, &[], Some(c))];
    assert_eq!(
        grade_certificate_names(SHOULD, "127.0.0.1", &eps).outcome,
        Outcome::Pass
    );
    assert_eq!(
        grade_certificate_names(SHOULD, "localhost", &eps).outcome,
        Outcome::Pass
    );
    let v = grade_certificate_names(SHOULD, "printer.example", &eps);
    assert_eq!(v.outcome, Outcome::Warn);
    assert_eq!(v.findings[0].actual, "names localhost, 127.0.0.1");
    let other = [endpoint(
        "IPPS port 443",
        true,
        &[],
        Some(cert(&["printer.invalid"], NOW - 1, true)),
    )];
    let v = grade_certificate_names(SHOULD, "127.0.0.1", &other);
    assert_eq!(v.outcome, Outcome::Warn);
    assert!(v.reason.contains("printer.invalid"));
    assert_eq!(
        grade_certificate_names(SHOULD, "x", &[plain_port()]).outcome,
        Outcome::Skip
    );
}

#[test]
fn self_signed_follows_the_policy() {
    let own = [endpoint(
        "IPP port 631",
        true,
        &[],
        Some(cert(&["p"], NOW + 1, true)),
    )];
    let v = grade_self_signed(Permission::Allowed, &own);
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.contains("self-signed") && v.reason.contains("allowed by policy"));
    assert_eq!(
        grade_self_signed(Permission::Forbidden, &own).outcome,
        Outcome::Fail
    );
    let ca = [endpoint(
        "IPP port 631",
        true,
        &[],
        Some(cert(&["p"], NOW + 1, false)),
    )];
    let v = grade_self_signed(Permission::Forbidden, &ca);
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.contains("Office CA"));
    assert_eq!(
        grade_self_signed(Permission::Forbidden, &[plain_port()]).outcome,
        Outcome::Skip
    );
}

#[test]
fn dates() {
    assert_eq!(date(0), "1970-01-01");
    assert_eq!(date(951_782_400), "2000-02-29");
    assert_eq!(date(NOW), "2025-06-15");
    assert_eq!(date(-86_400), "1969-12-31");
}

// ---------------------------------------------------------------------------
// SNMP.

fn read(community: &str, version: &'static str, answered: bool) -> CommunityRead {
    CommunityRead {
        community: community.into(),
        version,
        answered,
        evidence: if answered {
            "noError, \"Printer\"".into()
        } else {
            "no answer".into()
        },
    }
}

fn open_agent() -> SnmpSurvey {
    SnmpSurvey {
        reads: vec![
            read("public", "v2c", true),
            read("public", "v1", true),
            read("private", "v2c", true),
            read("private", "v1", true),
        ],
        writes: vec![
            ("private".into(), classify_set(Some(es::WRONG_TYPE))),
            ("public".into(), classify_set(Some(es::NO_ACCESS))),
        ],
        v3: None,
    }
}

fn silent_agent() -> SnmpSurvey {
    SnmpSurvey {
        reads: vec![read("public", "v2c", false)],
        writes: vec![],
        v3: None,
    }
}

#[test]
fn set_answers() {
    for s in [
        es::NO_ERROR,
        es::WRONG_TYPE,
        es::WRONG_VALUE,
        es::BAD_VALUE,
        es::INCONSISTENT_VALUE,
        es::WRONG_LENGTH,
    ] {
        assert!(
            matches!(classify_set(Some(s)), WriteAnswer::Writes(_)),
            "{s}"
        );
    }
    for s in [
        es::NO_ACCESS,
        es::NOT_WRITABLE,
        es::AUTHORIZATION_ERROR,
        es::NO_SUCH_NAME,
        es::READ_ONLY,
        es::NO_CREATION,
    ] {
        assert!(
            matches!(classify_set(Some(s)), WriteAnswer::Refused(_)),
            "{s}"
        );
    }
    assert!(matches!(classify_set(None), WriteAnswer::Refused(s) if s == "no answer"));
    assert!(matches!(
        classify_set(Some(es::GEN_ERR)),
        WriteAnswer::Unclear(_)
    ));
    assert_eq!(classify_set(Some(es::WRONG_TYPE)).text(), "wrongType");
}

#[test]
fn public_community() {
    let v = grade_public_community(SnmpPolicy::ReadOnly, &open_agent());
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.reason.contains("v2c, v1"), "{}", v.reason);
    assert_eq!(
        grade_public_community(SnmpPolicy::V3Only, &open_agent()).outcome,
        Outcome::Fail
    );
    assert_eq!(
        grade_public_community(SnmpPolicy::Allowed, &open_agent()).outcome,
        Outcome::Pass
    );
    assert_eq!(
        grade_public_community(SnmpPolicy::V3Only, &silent_agent()).outcome,
        Outcome::Pass
    );
}

#[test]
fn write_community() {
    let v = grade_write_community(SnmpPolicy::ReadOnly, &open_agent());
    assert_eq!(v.outcome, Outcome::Fail);
    assert_eq!(v.findings.len(), 1);
    assert!(
        v.reason.starts_with("the community 'private' may write"),
        "{}",
        v.reason
    );
    assert!(v.findings[0].actual.contains("wrongType"));
    assert_eq!(
        grade_write_community(SnmpPolicy::Allowed, &open_agent()).outcome,
        Outcome::Warn
    );
    let mut ro = open_agent();
    ro.writes[0].1 = classify_set(Some(es::NO_ACCESS));
    assert_eq!(
        grade_write_community(SnmpPolicy::ReadOnly, &ro).outcome,
        Outcome::Pass
    );
    assert_eq!(
        grade_write_community(SnmpPolicy::ReadOnly, &silent_agent()).outcome,
        Outcome::Pass
    );
}

#[test]
fn v3_only() {
    let v = grade_v3_only(SnmpPolicy::V3Only, &open_agent());
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.reason.contains("no SNMPv3"), "{}", v.reason);
    assert_eq!(
        grade_v3_only(SnmpPolicy::ReadOnly, &open_agent()).outcome,
        Outcome::Warn
    );
    assert_eq!(
        grade_v3_only(SnmpPolicy::Allowed, &open_agent()).outcome,
        Outcome::Pass
    );
    let v = grade_v3_only(SnmpPolicy::V3Only, &silent_agent());
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.starts_with("SNMP not served"), "{}", v.reason);
    let mut v3 = silent_agent();
    v3.v3 = Some(V3Answer::Report {
        engine_id: vec![0x80, 0x00],
        engine_boots: 1,
        engine_time: 2,
        oid: "1.3.6.1.6.3.15.1.1.4.0".into(),
    });
    let v = grade_v3_only(SnmpPolicy::V3Only, &v3);
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.contains("engine 8000"), "{}", v.reason);
    let mut both = open_agent();
    both.v3 = v3.v3.clone();
    assert!(grade_v3_only(SnmpPolicy::V3Only, &both)
        .reason
        .contains("SNMPv3 offered"));
}

#[test]
fn writable_objects() {
    assert_eq!(
        grade_writable_objects(MUST, None, &[]).outcome,
        Outcome::Skip
    );
    let objects = vec![
        (
            "sysContact.0".to_string(),
            classify_set(Some(es::WRONG_TYPE)),
        ),
        ("sysName.0".to_string(), classify_set(Some(es::WRONG_TYPE))),
        (
            "prtGeneralReset.1".to_string(),
            classify_set(Some(es::NOT_WRITABLE)),
        ),
    ];
    let v = grade_writable_objects(MUST, Some("private"), &objects);
    assert_eq!(v.outcome, Outcome::Fail);
    assert_eq!(v.reason, "writable with 'private': sysContact.0, sysName.0");
    assert_eq!(v.findings.len(), 2);
    let v = grade_writable_objects(MUST, Some("private"), &objects[2..]);
    assert_eq!(v.outcome, Outcome::Pass);
}

// ---------------------------------------------------------------------------
// Exposure.

fn row(service: ServiceKind, port: u16, state: PortState) -> PortRow {
    PortRow {
        service,
        transport: service.transport(),
        port,
        state,
        evidence: "seen".into(),
        risk: service.risk(),
    }
}

#[test]
fn open_ports_follow_the_policy() {
    let rows = vec![
        row(ServiceKind::Raw, 9100, PortState::Open),
        row(ServiceKind::Raw, 9101, PortState::Closed),
        row(ServiceKind::Raw, 9102, PortState::Open),
        row(ServiceKind::Lpd, 515, PortState::Closed),
    ];
    let v = grade_open_ports(ServiceKind::Raw, Stance::Forbidden, "raw-printing", &rows);
    assert_eq!(v.outcome, Outcome::Fail);
    assert_eq!(
        v.reason,
        "raw open on port 9100, 9102 (raw-printing = forbidden)"
    );
    assert_eq!(v.findings[0].check, "9100/tcp (raw)");
    assert_eq!(
        grade_open_ports(ServiceKind::Raw, Stance::Warn, "raw-printing", &rows).outcome,
        Outcome::Warn
    );
    assert_eq!(
        grade_open_ports(ServiceKind::Raw, Stance::Allowed, "raw-printing", &rows).outcome,
        Outcome::Pass
    );
    let v = grade_open_ports(ServiceKind::Lpd, Stance::Forbidden, "lpd", &rows);
    assert_eq!(v.outcome, Outcome::Pass);
    assert_eq!(v.reason, "not open (515: closed)");
    assert_eq!(
        grade_open_ports(ServiceKind::Lpd, Stance::Warn, "lpd", &[]).outcome,
        Outcome::Skip
    );
}

#[test]
fn cups_browsed() {
    let called = vec![row(ServiceKind::CupsBrowsed, 631, PortState::Open)];
    let v = grade_cups_browsed(MUST, &called);
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(v.reason.contains("CVE-2024-47176"));
    let silent = vec![row(ServiceKind::CupsBrowsed, 631, PortState::NoAnswer)];
    assert_eq!(grade_cups_browsed(MUST, &silent).outcome, Outcome::Pass);
    assert_eq!(grade_cups_browsed(MUST, &[]).outcome, Outcome::Skip);
}

#[test]
fn mdns() {
    let open = vec![row(ServiceKind::Mdns, 5353, PortState::Open)];
    let v = grade_mdns(Permission::Allowed, &open);
    assert_eq!(v.outcome, Outcome::Pass);
    assert!(v.reason.contains("announces itself on 5353/udp: seen"));
    assert_eq!(
        grade_mdns(Permission::Forbidden, &open).outcome,
        Outcome::Fail
    );
    let closed = vec![row(ServiceKind::Mdns, 5353, PortState::Closed)];
    assert_eq!(
        grade_mdns(Permission::Forbidden, &closed).outcome,
        Outcome::Pass
    );
}

// ---------------------------------------------------------------------------
// Robustness.

#[test]
fn still_answers() {
    let v = grade_still_answers(MUST, &Ok(200), &Ok(200), "9 malformed requests");
    assert_eq!(v.outcome, Outcome::Pass);
    assert_eq!(
        v.reason,
        "still answers (HTTP 200) after 9 malformed requests"
    );
    let v = grade_still_answers(
        SHOULD,
        &Ok(200),
        &Err("connection refused".into()),
        "a flood",
    );
    assert_eq!(v.outcome, Outcome::Warn);
    assert_eq!(v.findings[0].actual, "connection refused");
    assert_eq!(
        grade_still_answers(MUST, &Ok(200), &Err("x".into()), "y").outcome,
        Outcome::Fail
    );
    assert_eq!(
        grade_still_answers(MUST, &Err("down".into()), &Ok(200), "y").outcome,
        Outcome::Error
    );
}
