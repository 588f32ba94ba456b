//! The virtual printer's security settings over real loopback sockets: the
//! locked-down and wide-open presets, authentication, TLS modes, the audit
//! log, and bad input (malformed credentials, garbage handshakes) that gets
//! the right status and leaves the printer serving.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use paperjam_sim::ipp::{Operation, Status};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer};
use paperjam_sim::profile::Profile;
use paperjam_sim::security::auth::{self, Credentials, DigestAlgorithm};
use paperjam_sim::security::preset::{Preset, ADMIN, USER};
use paperjam_sim::wire::ipp::{Attribute, Message, Value};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start_preset(preset: Preset, audit: Option<&std::path::Path>) -> RunningServer {
    let mut cfg = preset.server_config(Arc::new(Profile::default_profile().unwrap()));
    cfg.speed = Speed::Instant;
    cfg.audit_log = audit.map(|p| p.to_path_buf());
    server::start(cfg).await.unwrap()
}

/// A TLS client that trusts anything (the presets' certificates are self-signed).
fn tls_connector() -> tokio_rustls::TlsConnector {
    #[derive(Debug)]
    struct Any(Arc<rustls::crypto::CryptoProvider>);
    impl rustls::client::danger::ServerCertVerifier for Any {
        fn verify_server_cert(
            &self,
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &[rustls::pki_types::CertificateDer<'_>],
            _: &rustls::pki_types::ServerName<'_>,
            _: &[u8],
            _: rustls::pki_types::UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &rustls::pki_types::CertificateDer<'_>,
            d: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                m,
                c,
                d,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &rustls::pki_types::CertificateDer<'_>,
            d: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                m,
                c,
                d,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Any(provider)))
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

async fn tls_stream(addr: SocketAddr) -> tokio_rustls::client::TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    within(10, tls_connector().connect(name, tcp))
        .await
        .unwrap()
}

/// POST `m` with an optional Authorization header over `s`.
async fn post_auth<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    s: &mut S,
    host: &str,
    m: &Message,
    authorization: Option<&str>,
) -> HttpResponse {
    let body = m.to_bytes().unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST /ipp/print HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/ipp\r\n{auth}Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    within(10, read_response(s)).await
}

fn digest_for(challenge: &str, user: &str, password: &str) -> String {
    let c = auth::parse_challenges(challenge).unwrap().remove(0);
    Credentials::Digest(auth::DigestResponse::answer(
        &c,
        user,
        password,
        "POST",
        "/ipp/print",
        "0a4f113b",
        1,
    ))
    .to_header_value()
}

fn op(code: Operation, addr: SocketAddr, user: &str) -> Message {
    let mut m = request(code.raw(), 9, &format!("ipps://{addr}/ipp/print"));
    for a in &mut m.groups[0].attributes {
        if a.name == "requesting-user-name" {
            a.values = vec![Value::Name(user.into())];
        }
    }
    m
}

#[tokio::test]
async fn locked_down_wants_tls_then_credentials_and_logs_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let srv = start_preset(Preset::LockedDown, Some(&log)).await;
    let addr = srv.ipp_addr;
    assert!(srv.lpd_addr.is_none() && srv.socket_addrs.is_empty() && srv.browse_addr.is_none());

    // Plain HTTP: 426 with Upgrade (RFC 2817 §4.2).
    let mut plain = TcpStream::connect(addr).await.unwrap();
    let r = post_auth(
        &mut plain,
        &addr.to_string(),
        &op(Operation::GetPrinterAttributes, addr, "x"),
        None,
    )
    .await;
    assert_eq!(r.status, 426);
    assert!(r.header("upgrade").unwrap().contains("TLS/1.2"));

    // Over TLS, reading needs nothing; the URIs say ipps and digest.
    let mut s = tls_stream(addr).await;
    let r = post_auth(
        &mut s,
        &addr.to_string(),
        &op(Operation::GetPrinterAttributes, addr, "x"),
        None,
    )
    .await;
    let m = r.ipp();
    assert_eq!(m.code, Status::Ok.raw());
    let uris = find_attr(&m, "printer-uri-supported").unwrap();
    assert!(uris
        .values
        .iter()
        .all(|v| v.as_str().unwrap().starts_with("ipps://")));
    assert_eq!(
        find_attr(&m, "uri-authentication-supported")
            .unwrap()
            .values[0]
            .as_str(),
        Some("digest")
    );

    // Pause-Printer without credentials: 401 with a Digest challenge.
    let r = post_auth(
        &mut s,
        &addr.to_string(),
        &op(Operation::PausePrinter, addr, "mallory"),
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate").unwrap().to_string();
    assert!(challenge.starts_with("Digest "), "{challenge}");

    // A user who is not an administrator: client-error-not-authorized.
    let h = digest_for(&challenge, USER.0, USER.1);
    let r = post_auth(
        &mut s,
        &addr.to_string(),
        &op(Operation::PausePrinter, addr, "x"),
        Some(&h),
    )
    .await;
    assert_eq!(r.ipp().code, Status::NotAuthorized.raw());

    // A wrong password: challenged again.
    let h = digest_for(&challenge, ADMIN.0, "guess");
    let r = post_auth(
        &mut s,
        &addr.to_string(),
        &op(Operation::PausePrinter, addr, "x"),
        Some(&h),
    )
    .await;
    assert_eq!(r.status, 401);

    // A Basic header that is not base64: 400, and the printer goes on.
    let r = post_auth(
        &mut s,
        &addr.to_string(),
        &op(Operation::PausePrinter, addr, "x"),
        Some("Basic %%%"),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("base64"));

    // The administrator: done, and the printer is paused.
    let h = digest_for(&challenge, ADMIN.0, ADMIN.1);
    let r = post_auth(
        &mut s,
        &addr.to_string(),
        &op(Operation::PausePrinter, addr, "x"),
        Some(&h),
    )
    .await;
    assert_eq!(r.ipp().code, Status::Ok.raw());
    assert!(srv.printer.with(|p, _| p.is_paused()));
    let r = post_auth(
        &mut s,
        &addr.to_string(),
        &op(Operation::ResumePrinter, addr, "x"),
        Some(&h),
    )
    .await;
    assert_eq!(r.ipp().code, Status::Ok.raw());

    // alice's job: bob may not cancel it; its owner is alice whatever
    // requesting-user-name said.
    let alice = digest_for(&challenge, USER.0, USER.1);
    let create = with_op(
        op(Operation::CreateJob, addr, "someone-else"),
        Attribute::new("job-name", Value::Name("j".into())),
    );
    let m = post_auth(&mut s, &addr.to_string(), &create, Some(&alice))
        .await
        .ipp();
    assert_eq!(m.code, Status::Ok.raw());
    let id = match find_attr(&m, "job-id").unwrap().values[0] {
        Value::Integer(i) => i,
        _ => panic!(),
    };
    assert_eq!(
        srv.printer
            .with(|p, _| p.job(id as u32).unwrap().spec.user.clone()),
        "alice"
    );
    let cancel = with_op(
        op(Operation::CancelJob, addr, "bob"),
        Attribute::new("job-id", Value::Integer(id)),
    );
    let r = post_auth(&mut s, &addr.to_string(), &cancel, None).await;
    assert_eq!(r.status, 401, "no credentials: challenged");
    let r = post_auth(&mut s, &addr.to_string(), &cancel, Some(&alice)).await;
    assert_eq!(r.ipp().code, Status::Ok.raw());

    // The audit log has every refusal and every administrative act, as JSON.
    srv.shutdown(std::time::Duration::from_secs(2)).await;
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let outcomes: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["operation"].as_str().unwrap_or("-").to_string(),
                l["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("-", "upgrade-required"),
        ("Pause-Printer", "challenged"),
        ("Pause-Printer", "not-authorized"),
        ("Pause-Printer", "bad-header"),
        ("Pause-Printer", "successful-ok"),
        ("Resume-Printer", "successful-ok"),
        ("Create-Job", "successful-ok"),
        ("Cancel-Job", "challenged"),
        ("Cancel-Job", "successful-ok"),
    ] {
        assert!(
            outcomes.iter().any(|(o, r)| o == want.0 && r == want.1),
            "{want:?} not in {outcomes:?}"
        );
    }
    let paused = lines
        .iter()
        .find(|l| l["operation"] == "Pause-Printer" && l["outcome"] == "successful-ok")
        .unwrap();
    assert_eq!(paused["user"], "admin");
    assert_eq!(paused["tls"], true);
    assert!(paused["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
}

#[tokio::test]
async fn locked_down_honours_an_rfc2817_upgrade() {
    let srv = start_preset(Preset::LockedDown, None).await;
    let addr = srv.ipp_addr;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        format!(
            "OPTIONS * HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: TLS/1.2\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        within(10, tcp.read_exact(&mut b)).await.unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut s = within(10, tls_connector().connect(name, tcp))
        .await
        .unwrap();
    // The answer to the OPTIONS comes first, over TLS (RFC 2817 §3.3).
    let r = within(10, read_response(&mut s)).await;
    assert_eq!(r.status, 200);
    let r = post_auth(
        &mut s,
        &addr.to_string(),
        &op(Operation::GetPrinterAttributes, addr, "x"),
        None,
    )
    .await;
    assert_eq!(r.ipp().code, Status::Ok.raw());
}

#[tokio::test]
async fn garbage_handshake_leaves_the_printer_serving() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let srv = start_preset(Preset::LockedDown, Some(&log)).await;
    let addr = srv.ipp_addr;
    for junk in [
        &b"\x16\x03\x01\x00\x05hello"[..],
        b"\x16\xff\xff\xff\xff",
        b"\x16",
    ] {
        let mut t = TcpStream::connect(addr).await.unwrap();
        t.write_all(junk).await.unwrap();
        t.shutdown().await.unwrap();
        let mut sink = Vec::new();
        let _ = within(15, t.read_to_end(&mut sink)).await;
    }
    let mut s = tls_stream(addr).await;
    let r = post_auth(
        &mut s,
        &addr.to_string(),
        &op(Operation::GetPrinterAttributes, addr, "x"),
        None,
    )
    .await;
    assert_eq!(r.ipp().code, Status::Ok.raw());
    // A Digest answer to a nonce the printer never gave: challenged again.
    let forged = Credentials::Digest(auth::DigestResponse {
        username: ADMIN.0.into(),
        realm: "paperjam".into(),
        nonce: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
        uri: "/ipp/print".into(),
        response: "0".repeat(32),
        algorithm: DigestAlgorithm::Md5,
        qop: None,
        nc: None,
        cnonce: None,
        opaque: None,
    })
    .to_header_value();
    let r = post_auth(
        &mut s,
        &addr.to_string(),
        &op(Operation::PausePrinter, addr, "x"),
        Some(&forged),
    )
    .await;
    assert_eq!(r.status, 401);
    drop(s);
    srv.shutdown(std::time::Duration::from_secs(2)).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.lines()
            .filter(|l| l.contains("handshake-failed"))
            .count()
            >= 2,
        "{text}"
    );
    assert!(text.contains("never gave"), "{text}");
}

#[tokio::test]
async fn access_lists_refuse_other_networks() {
    let mut profile = Profile::default_profile().unwrap();
    let only = vec!["10.0.0.0/8".to_string()];
    profile.security.access.ipp = paperjam_sim::security::acl::Acl::parse(&only).unwrap();
    profile.security.access.lpd = paperjam_sim::security::acl::Acl::parse(&only).unwrap();
    profile.security.access.snmp = paperjam_sim::security::acl::Acl::parse(&only).unwrap();
    let mut cfg = paperjam_sim::net::ServerConfig::new(Arc::new(profile));
    cfg.ipp_port = 0;
    cfg.lpd_port = Some(0);
    cfg.snmp_port = Some(0);
    cfg.tls = paperjam_sim::net::TlsSource::Off;
    let srv = server::start(cfg).await.unwrap();
    // IPP: 403.
    let mut t = TcpStream::connect(srv.ipp_addr).await.unwrap();
    let r = post_auth(
        &mut t,
        &srv.ipp_addr.to_string(),
        &op(Operation::GetPrinterAttributes, srv.ipp_addr, "x"),
        None,
    )
    .await;
    assert_eq!(r.status, 403);
    // LPD: closed without a word.
    let mut l = TcpStream::connect(srv.lpd_addr.unwrap()).await.unwrap();
    let _ = l.write_all(b"\x04lp\n").await;
    let mut got = Vec::new();
    within(10, l.read_to_end(&mut got)).await.ok();
    assert!(got.is_empty(), "{got:?}");
    // SNMP: dropped.
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let get = paperjam_sim::snmp::Message {
        version: paperjam_sim::snmp::Version::V2c,
        community: b"public".to_vec(),
        pdu: paperjam_sim::snmp::Pdu {
            kind: paperjam_sim::snmp::PduKind::Get,
            request_id: 1,
            error_status: 0,
            error_index: 0,
            varbinds: vec![paperjam_sim::snmp::VarBind {
                oid: "1.3.6.1.2.1.1.1.0".parse().unwrap(),
                value: paperjam_sim::snmp::VarValue::Value(paperjam_sim::snmp::Value::Null),
            }],
        },
    };
    sock.send_to(
        &paperjam_sim::snmp::message::encode(&get).unwrap(),
        srv.snmp_addr.unwrap(),
    )
    .await
    .unwrap();
    let mut buf = [0u8; 512];
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(500), sock.recv(&mut buf))
            .await
            .is_err(),
        "an SNMP answer to a refused address"
    );
}

#[tokio::test]
async fn wide_open_answers_tls_1_0_with_an_expired_certificate() {
    let srv = start_preset(Preset::WideOpen, None).await;
    let ipps = srv.ipps_addr.unwrap();
    // A TLS 1.0-only ClientHello.
    let mut hello = vec![0x03, 0x01];
    hello.extend_from_slice(&[1u8; 32]);
    hello.push(0);
    hello.extend_from_slice(&[0, 2, 0x00, 0x2f, 1, 0]);
    let mut hs = vec![1, 0, 0, hello.len() as u8];
    hs.extend_from_slice(&hello);
    let mut rec = vec![0x16, 0x03, 0x01, 0, hs.len() as u8];
    rec.extend_from_slice(&hs);
    let mut t = TcpStream::connect(ipps).await.unwrap();
    t.write_all(&rec).await.unwrap();
    let mut answer = vec![0u8; 5 + 4 + 2];
    within(10, t.read_exact(&mut answer)).await.unwrap();
    assert_eq!(answer[0], 0x16, "a handshake record");
    assert_eq!(answer[5], 2, "a ServerHello");
    assert_eq!(&answer[9..11], &[0x03, 0x01], "of TLS 1.0");
    // A modern client still gets a handshake, with the expired certificate.
    let tcp = TcpStream::connect(ipps).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let s = within(10, tls_connector().connect(name, tcp))
        .await
        .unwrap();
    let der = s.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    // 2021-01-01 (UTCTime 210101000000Z) is in it as notAfter.
    assert!(der.windows(13).any(|w| w == b"210101000000Z"));
    // The IPP port is plain only: a ClientHello there is dropped.
    assert!(!srv.tls);
    let m = ipp(
        srv.ipp_addr,
        &op(Operation::PausePrinter, srv.ipp_addr, "anyone"),
        b"",
    )
    .await;
    assert_eq!(m.code, Status::Ok.raw(), "anyone may pause it");
}

#[tokio::test]
async fn wide_open_browse_listener_calls_back_and_snmp_private_writes() {
    let srv = start_preset(Preset::WideOpen, None).await;
    assert_eq!(srv.socket_addrs.len(), 3);
    assert!(srv.lpd_addr.is_some());
    // A listener standing for the attacker's "printer".
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let back = l.local_addr().unwrap();
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let packet = format!("3 3 ipp://{back}/printers/evil \"Lab\" \"Info\" \"Model\"\n");
    udp.send_to(packet.as_bytes(), srv.browse_addr.unwrap())
        .await
        .unwrap();
    let (mut c, _) = within(10, l.accept()).await.unwrap();
    let mut first = vec![0u8; 64];
    let n = within(10, c.read(&mut first)).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("POST /printers/evil HTTP/1.1"));

    // SNMP: private may set (answers wrongType for a wrong type, which only
    // a community allowed to write gets to see).
    use paperjam_sim::snmp::{
        Message as Snmp, Oid, Pdu, PduKind, Value as SV, VarBind, VarValue, Version,
    };
    let set = Snmp {
        version: Version::V2c,
        community: b"private".to_vec(),
        pdu: Pdu {
            kind: PduKind::Set,
            request_id: 5,
            error_status: 0,
            error_index: 0,
            varbinds: vec![VarBind {
                oid: "1.3.6.1.2.1.1.4.0".parse::<Oid>().unwrap(),
                value: VarValue::Value(SV::Integer(0)),
            }],
        },
    };
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(
        &paperjam_sim::snmp::message::encode(&set).unwrap(),
        srv.snmp_addr.unwrap(),
    )
    .await
    .unwrap();
    let mut buf = vec![0u8; 2048];
    let n = within(10, sock.recv(&mut buf)).await.unwrap();
    let answer = paperjam_sim::snmp::message::decode(&buf[..n]).unwrap();
    assert_eq!(answer.pdu.error_status, 7, "wrongType");
}
