//! The IPP server over real loopback sockets: HTTP framing, spooling, limits,
//! and bad input that must get a clear answer and lose nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Write as _;
use std::time::Duration;

use paperjam_sim::ipp::{Operation, Status};
use paperjam_sim::net::{Limits, TlsSource};
use paperjam_sim::wire::ipp::{Attribute, DelimiterTag, Group, Value};
use sha2::{Digest, Sha256};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn uri(addr: std::net::SocketAddr) -> String {
    format!("ipp://{addr}/ipp/print")
}

fn print_job(addr: std::net::SocketAddr, format: &str) -> paperjam_sim::wire::ipp::Message {
    let m = request(Operation::PrintJob.raw(), 7, &uri(addr));
    let m = with_op(m, Attribute::new("job-name", Value::Name("t".into())));
    with_op(
        m,
        Attribute::new("document-format", Value::MimeMediaType(format.into())),
    )
}

fn doc(n: usize) -> Vec<u8> {
    let mut d = b"%PDF-1.4\n1 0 obj <</Type /Page>>\n".to_vec();
    d.extend((0..n).map(|i| (i % 251) as u8));
    d
}

fn hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn spooled_with_hash(dir: &std::path::Path, h: &str) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let p = e.unwrap().path();
        p.is_file() && hex(&std::fs::read(&p).unwrap()) == h
    })
}

#[tokio::test]
async fn get_printer_attributes_answers_and_the_ipp_crate_agrees() {
    let srv = start(Limits::default(), TlsSource::Off).await;
    let addr = srv.ipp_addr;
    let m = within(
        10,
        ipp(
            addr,
            &request(Operation::GetPrinterAttributes.raw(), 1, &uri(addr)),
            b"",
        ),
    )
    .await;
    assert_eq!(m.code, Status::Ok.raw());
    assert_eq!(m.request_id, 1);
    for name in [
        "printer-state",
        "printer-uri-supported",
        "media-col-default",
        "operations-supported",
    ] {
        assert!(find_attr(&m, name).is_some(), "{name}");
    }
    // An independent decoder (the `ipp` crate) reads the same bytes.
    let bytes = m.to_bytes().unwrap();
    let parsed =
        ipp::parser::IppParser::new(ipp::reader::IppReader::new(std::io::Cursor::new(bytes)))
            .parse()
            .unwrap();
    let attrs = parsed.attributes();
    let printer = attrs
        .groups_of(ipp::model::DelimiterTag::PrinterAttributes)
        .next()
        .unwrap();
    assert!(printer
        .attributes()
        .iter()
        .any(|a| a.name().to_string() == "printer-make-and-model"));
}

#[tokio::test]
async fn print_job_spools_byte_exact_and_completes() {
    let srv = start(Limits::default(), TlsSource::Off).await;
    let addr = srv.ipp_addr;
    let data = doc(300_000);
    let m = within(10, ipp(addr, &print_job(addr, "application/pdf"), &data)).await;
    assert_eq!(m.code, Status::Ok.raw(), "{m:?}");
    let id = find_attr(&m, "job-id").unwrap().values[0].as_i32().unwrap();
    assert!(spooled_with_hash(&srv.printer.spool_dir(), &hex(&data)));
    let mut q = request(Operation::GetJobAttributes.raw(), 2, &uri(addr));
    q = with_op(q, Attribute::new("job-id", Value::Integer(id)));
    let m = within(10, ipp(addr, &q, b"")).await;
    assert_eq!(
        find_attr(&m, "job-state").unwrap().values[0],
        Value::Enum(9)
    );
}

#[tokio::test]
async fn gzip_document_is_stored_decompressed() {
    let srv = start(Limits::default(), TlsSource::Off).await;
    let addr = srv.ipp_addr;
    let data = doc(50_000);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    let m = with_op(
        print_job(addr, "application/pdf"),
        Attribute::new("compression", Value::Keyword("gzip".into())),
    );
    let r = within(10, ipp(addr, &m, &gz.finish().unwrap())).await;
    assert_eq!(r.code, Status::Ok.raw());
    assert!(spooled_with_hash(&srv.printer.spool_dir(), &hex(&data)));
}

#[tokio::test]
async fn chunked_request_with_expect_continue_over_keep_alive() {
    let srv = start(Limits::default(), TlsSource::Off).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut body = print_job(addr, "application/pdf").to_bytes().unwrap();
    let data = doc(20_000);
    body.extend_from_slice(&data);
    let head = format!(
        "POST /ipp/print HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/ipp\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // The server must say 100 Continue before we send the body.
    let mut first = [0u8; 25];
    within(10, s.read_exact(&mut first)).await.unwrap();
    assert!(
        first.starts_with(b"HTTP/1.1 100 Continue\r\n"),
        "{:?}",
        String::from_utf8_lossy(&first)
    );
    for c in body.chunks(777) {
        s.write_all(format!("{:x}\r\n", c.len()).as_bytes())
            .await
            .unwrap();
        s.write_all(c).await.unwrap();
        s.write_all(b"\r\n").await.unwrap();
    }
    s.write_all(b"0\r\n\r\n").await.unwrap();
    let r = within(10, read_response(&mut s)).await;
    assert_eq!(r.ipp().code, Status::Ok.raw());
    assert!(spooled_with_hash(&srv.printer.spool_dir(), &hex(&data)));
    // Same connection, next request.
    let gpa = request(Operation::GetPrinterAttributes.raw(), 3, &uri(addr))
        .to_bytes()
        .unwrap();
    let r = within(10, post(&mut s, &addr.to_string(), &gpa)).await;
    assert_eq!(r.ipp().request_id, 3);
}

#[tokio::test]
async fn http_1_0_client_is_answered() {
    let srv = start(Limits::default(), TlsSource::Off).await;
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let body = request(Operation::GetPrinterAttributes.raw(), 4, &uri(addr))
        .to_bytes()
        .unwrap();
    let head = format!(
        "POST /ipp/print HTTP/1.0\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    let mut all = Vec::new();
    within(10, s.read_to_end(&mut all)).await.unwrap();
    assert!(
        all.starts_with(b"HTTP/1.0 200") || all.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&all[..40.min(all.len())])
    );
}

#[tokio::test]
async fn unsupported_version_gets_a_well_formed_ipp_error() {
    let srv = start(Limits::default(), TlsSource::Off).await;
    let addr = srv.ipp_addr;
    let mut m = request(Operation::GetPrinterAttributes.raw(), 9, &uri(addr));
    m.version = (3, 0);
    let r = within(10, ipp(addr, &m, b"")).await;
    assert_eq!(r.code, Status::VersionNotSupported.raw());
    let msg = find_attr(&r, "status-message").unwrap().values[0]
        .as_str()
        .unwrap();
    assert!(msg.contains("3.0"), "{msg}");
    for v in [(1, 1), (2, 0), (2, 1), (2, 2)] {
        let mut m = request(Operation::GetPrinterAttributes.raw(), 10, &uri(addr));
        m.version = v;
        assert_eq!(
            within(10, ipp(addr, &m, b"")).await.code,
            Status::Ok.raw(),
            "{v:?}"
        );
    }
}

#[tokio::test]
async fn malformed_requests_get_clear_errors_and_the_server_keeps_serving() {
    let srv = start(Limits::default(), TlsSource::Off).await;
    let addr = srv.ipp_addr;
    let good = request(Operation::GetPrinterAttributes.raw(), 1, &uri(addr))
        .to_bytes()
        .unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated header", good[..5].to_vec()),
        ("no end tag", good[..good.len() - 1].to_vec()),
        ("length past the end", {
            let mut b = good[..20].to_vec();
            b[10] = 0xff;
            b
        }),
        (
            "attribute outside a group",
            vec![
                2, 0, 0, 0x0b, 0, 0, 0, 1, 0x21, 0, 1, b'x', 0, 4, 0, 0, 0, 1, 3,
            ],
        ),
        ("bad boolean", {
            let mut m = request(Operation::GetPrinterAttributes.raw(), 1, &uri(addr));
            m.groups[0]
                .attributes
                .push(Attribute::new("my-jobs", Value::Boolean(true)));
            let mut b = m.to_bytes().unwrap();
            let n = b.len();
            b[n - 2] = 7; // the boolean's one byte
            b
        }),
        ("garbage", b"\x00\x01garbage\xff\xfe".to_vec()),
    ];
    for (what, body) in cases {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let r = within(10, post(&mut s, &addr.to_string(), &body)).await;
        if r.status == 200 {
            let m = r.ipp();
            assert_eq!(m.code, Status::BadRequest.raw(), "{what}");
            let msg = find_attr(&m, "status-message").unwrap().values[0]
                .as_str()
                .unwrap()
                .to_string();
            assert!(!msg.is_empty(), "{what}");
        } else {
            assert_eq!(r.status, 400, "{what}");
        }
        // The next client is served.
        let m = within(
            10,
            ipp(
                addr,
                &request(Operation::GetPrinterAttributes.raw(), 2, &uri(addr)),
                b"",
            ),
        )
        .await;
        assert_eq!(m.code, Status::Ok.raw(), "after {what}");
    }
    // Garbage that is not even HTTP.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"\x16\x03garbage that is not http\r\n\r\n")
        .await
        .unwrap();
    let mut sink = Vec::new();
    let _ = within(10, s.read_to_end(&mut sink)).await;
    let m = within(
        10,
        ipp(
            addr,
            &request(Operation::GetPrinterAttributes.raw(), 2, &uri(addr)),
            b"",
        ),
    )
    .await;
    assert_eq!(m.code, Status::Ok.raw());
}

#[tokio::test]
async fn limits_are_enforced() {
    let limits = Limits {
        max_request_bytes: 4096,
        max_document_bytes: 10_000,
        idle_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let srv = start(limits, TlsSource::Off).await;
    let addr = srv.ipp_addr;
    // An oversized attribute section: 413.
    let big = with_op(
        request(Operation::GetPrinterAttributes.raw(), 1, &uri(addr)),
        Attribute::new("job-name", Value::Name("x".repeat(8000))),
    );
    let mut s = TcpStream::connect(addr).await.unwrap();
    let r = within(
        10,
        post(&mut s, &addr.to_string(), &big.to_bytes().unwrap()),
    )
    .await;
    assert_eq!(r.status, 413);
    // An oversized document: an IPP error, the job aborted, nothing kept as complete.
    let m = within(
        10,
        ipp(addr, &print_job(addr, "application/pdf"), &doc(20_000)),
    )
    .await;
    assert_eq!(m.code, Status::RequestEntityTooLarge.raw());
    // A client that connects and says nothing is closed after the idle time.
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut b = [0u8; 1];
    let n = within(10, s.read(&mut b)).await.unwrap_or(0);
    assert_eq!(n, 0, "expected the server to close an idle connection");
    // A body that stops half-way: the job is aborted, the server serves on.
    let mut s = TcpStream::connect(addr).await.unwrap();
    let body = print_job(addr, "application/pdf").to_bytes().unwrap();
    let head = format!("POST /ipp/print HTTP/1.1\r\nHost: x\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\n\r\n", body.len() + 5000);
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    s.write_all(&[b'x'; 100]).await.unwrap();
    drop(s);
    let m = within(
        10,
        ipp(
            addr,
            &request(Operation::GetPrinterAttributes.raw(), 2, &uri(addr)),
            b"",
        ),
    )
    .await;
    assert_eq!(m.code, Status::Ok.raw());
}

#[tokio::test]
async fn ipps_on_the_same_port() {
    let srv = start(Limits::default(), TlsSource::SelfSigned).await;
    let addr = srv.ipp_addr;
    let pem = srv.certificate_pem.clone().unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let conn = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = within(10, conn.connect(name, tcp)).await.unwrap();
    let u = format!("ipps://{addr}/ipp/print");
    let body = request(Operation::GetPrinterAttributes.raw(), 5, &u)
        .to_bytes()
        .unwrap();
    let m = within(10, post(&mut tls, &addr.to_string(), &body))
        .await
        .ipp();
    assert_eq!(m.code, Status::Ok.raw());
    let uris = find_attr(&m, "printer-uri-supported").unwrap();
    assert!(uris
        .values
        .iter()
        .any(|v| v.as_str().is_some_and(|s| s.starts_with("ipps://"))));
    // Plain IPP still works on the same port.
    let m = within(
        10,
        ipp(
            addr,
            &request(Operation::GetPrinterAttributes.raw(), 6, &uri(addr)),
            b"",
        ),
    )
    .await;
    assert_eq!(m.code, Status::Ok.raw());
}

#[tokio::test]
async fn subscriptions_deliver_job_events_by_ippget() {
    let srv = start(Limits::default(), TlsSource::Off).await;
    let addr = srv.ipp_addr;
    let mut m = request(Operation::CreatePrinterSubscriptions.raw(), 1, &uri(addr));
    m.groups.push(Group {
        tag: DelimiterTag::SubscriptionAttributes,
        attributes: vec![
            Attribute::new("notify-pull-method", Value::Keyword("ippget".into())),
            Attribute::new("notify-events", Value::Keyword("job-completed".into())),
        ],
    });
    let r = within(10, ipp(addr, &m, b"")).await;
    assert_eq!(r.code, Status::Ok.raw(), "{r:?}");
    let sub = find_attr(&r, "notify-subscription-id").unwrap().values[0]
        .as_i32()
        .unwrap();
    let p = within(
        10,
        ipp(addr, &print_job(addr, "application/pdf"), &doc(100)),
    )
    .await;
    let job = find_attr(&p, "job-id").unwrap().values[0].as_i32().unwrap();
    let g = with_op(
        request(Operation::GetNotifications.raw(), 2, &uri(addr)),
        Attribute::new("notify-subscription-ids", Value::Integer(sub)),
    );
    let n = within(10, ipp(addr, &g, b"")).await;
    assert_eq!(n.code, Status::Ok.raw());
    let events: Vec<&Group> = n
        .groups
        .iter()
        .filter(|g| g.tag == DelimiterTag::EventNotificationAttributes)
        .collect();
    assert_eq!(events.len(), 1, "{n:?}");
    assert_eq!(
        events[0].get("notify-job-id").unwrap().values[0],
        Value::Integer(job)
    );
    assert_eq!(
        events[0].get("notify-sequence-number").unwrap().values[0],
        Value::Integer(1)
    );
}

#[tokio::test]
async fn a_jam_shows_in_ipp_and_printing_resumes_after_it_clears() {
    let srv = start(Limits::default(), TlsSource::Off).await;
    let addr = srv.ipp_addr;
    srv.printer
        .with(|p, now| p.raise(paperjam_sim::model::Condition::MediaJam, now));
    let m = within(
        10,
        ipp(
            addr,
            &request(Operation::GetPrinterAttributes.raw(), 1, &uri(addr)),
            b"",
        ),
    )
    .await;
    assert_eq!(
        find_attr(&m, "printer-state").unwrap().values[0],
        Value::Enum(5)
    );
    let reasons = find_attr(&m, "printer-state-reasons").unwrap();
    assert!(reasons
        .values
        .contains(&Value::Keyword("media-jam-error".into())));
    let p = within(10, ipp(addr, &print_job(addr, "application/pdf"), &doc(10))).await;
    let id = find_attr(&p, "job-id").unwrap().values[0].as_i32().unwrap();
    let state = |srv: &paperjam_sim::net::RunningServer| {
        srv.printer.with(|p, _| p.job(id as u32).unwrap().state)
    };
    // A stopped printer starts no job: it waits, pending, and says why.
    assert_eq!(state(&srv), paperjam_sim::model::JobState::Pending);
    let mut q = request(Operation::GetJobAttributes.raw(), 3, &uri(addr));
    q = with_op(q, Attribute::new("job-id", Value::Integer(id)));
    let j = within(10, ipp(addr, &q, b"")).await;
    assert!(find_attr(&j, "job-state-reasons")
        .unwrap()
        .values
        .contains(&Value::Keyword("printer-stopped".into())));
    srv.printer
        .with(|p, now| p.clear(paperjam_sim::model::Condition::MediaJam, now));
    assert_eq!(state(&srv), paperjam_sim::model::JobState::Completed);
}

#[tokio::test]
async fn graceful_shutdown_writes_a_consistent_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = paperjam_sim::net::ServerConfig::new(std::sync::Arc::new(
        paperjam_sim::profile::Profile::default_profile().unwrap(),
    ));
    cfg.ipp_port = 0;
    cfg.spool = Some(dir.path().to_path_buf());
    cfg.speed = paperjam_sim::model::Speed::Realtime;
    cfg.tls = TlsSource::Off;
    let srv = paperjam_sim::net::server::start(cfg).await.unwrap();
    let addr = srv.ipp_addr;
    let data = doc(1000);
    let m = within(10, ipp(addr, &print_job(addr, "application/pdf"), &data)).await;
    assert_eq!(m.code, Status::Ok.raw());
    within(20, srv.shutdown(Duration::from_secs(5))).await;
    let manifest = std::fs::read_to_string(dir.path().join("manifest.tsv")).unwrap();
    // At realtime the job could not finish before shutdown: it is recorded as aborted, its document kept.
    assert!(manifest.contains("aborted"), "{manifest}");
    assert!(manifest.contains(&hex(&data)), "{manifest}");
}

#[tokio::test]
async fn chunked_responses_when_asked_for() {
    let mut cfg = paperjam_sim::net::ServerConfig::new(std::sync::Arc::new(
        paperjam_sim::profile::Profile::default_profile().unwrap(),
    ));
    cfg.ipp_port = 0;
    cfg.tls = TlsSource::Off;
    cfg.chunked_responses = true;
    let srv = paperjam_sim::net::server::start(cfg).await.unwrap();
    let addr = srv.ipp_addr;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let body = request(Operation::GetPrinterAttributes.raw(), 1, &uri(addr))
        .to_bytes()
        .unwrap();
    let r = within(10, post(&mut s, &addr.to_string(), &body)).await;
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert!(r.header("content-length").is_none());
    assert_eq!(r.ipp().code, Status::Ok.raw());
}
