//! The AppSocket (port 9100) front end end to end: real loopback sockets
//! into `serve_socket`, and in-memory streams on a paused clock for the
//! timing cases. A job sent here must show in the one printer model, be
//! spooled byte-exact, print in simulated time and stop on a jam.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use paperjam_sim::model::{Condition, JobOrigin, JobState, Speed};
use paperjam_sim::net::appsocket::serve_socket;
use paperjam_sim::net::{Limits, PrinterHandle};
use paperjam_sim::pjl::{Response, StatusCode, UEL};
use paperjam_sim::profile::Profile;
use paperjam_sim::wire::ipp::{Attribute, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use support::within;

fn printer(speed: Speed, limits: Limits) -> PrinterHandle {
    PrinterHandle::in_memory(Arc::new(Profile::default_profile().unwrap()), speed, limits).unwrap()
}

/// Serve AppSocket for `h` on 127.0.0.1:0, one task per connection.
async fn listen(h: &PrinterHandle) -> (SocketAddr, watch::Sender<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = watch::channel(false);
    let shared = h.0.clone();
    tokio::spawn(async move {
        while let Ok((s, peer)) = listener.accept().await {
            tokio::spawn(serve_socket(s, peer, shared.clone(), rx.clone()));
        }
    });
    (addr, tx)
}

fn pdf(pages: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    for i in 0..pages {
        v.extend_from_slice(format!("{} 0 obj <</Type /Page>> endobj\n", i + 2).as_bytes());
    }
    v.extend_from_slice(b"%%EOF\n");
    v
}

fn sha256(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Send `data`, shut down the sending side, and read the back-channel until
/// the printer closes it, as the CUPS `socket` backend does.
async fn send_and_read_back(addr: SocketAddr, data: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(data).await.unwrap();
    s.shutdown().await.unwrap();
    let mut back = Vec::new();
    within(20, s.read_to_end(&mut back)).await.unwrap();
    back
}

fn responses(mut b: &[u8]) -> Vec<Response> {
    let mut v = Vec::new();
    while !b.is_empty() {
        let (r, n) = Response::parse(b).unwrap();
        v.push(r);
        b = &b[n..];
    }
    v
}

/// The next whole response from `s`, or `None` at EOF.
async fn next_response<S: AsyncRead + Unpin>(s: &mut S, buf: &mut Vec<u8>) -> Option<Response> {
    loop {
        if let Ok((r, n)) = Response::parse(buf) {
            buf.drain(..n);
            return Some(r);
        }
        let mut tmp = [0u8; 4096];
        let n = s.read(&mut tmp).await.unwrap();
        if n == 0 {
            assert!(buf.is_empty(), "EOF inside a response: {buf:?}");
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
}

/// IPP Get-Jobs (completed jobs) on the same printer, through its HTTP front end.
async fn ipp_completed_job_names(h: &PrinterHandle) -> Vec<String> {
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let handle = h.clone();
    tokio::spawn(async move { handle.serve_io(server).await });
    let m = support::with_op(
        support::with_op(
            support::request(0x000A, 1, "ipp://localhost/ipp/print"),
            Attribute::new("which-jobs", Value::Keyword("completed".into())),
        ),
        Attribute::new("requested-attributes", Value::Keyword("job-name".into())),
    );
    let resp = within(
        10,
        support::post(&mut client, "localhost", &m.to_bytes().unwrap()),
    )
    .await
    .ipp();
    resp.groups
        .iter()
        .flat_map(|g| g.attributes.iter())
        .filter(|a| a.name == "job-name")
        .filter_map(|a| match a.values.first() {
            Some(Value::Name(n)) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_raw_job_prints_and_is_spooled_byte_exact() {
    let h = printer(Speed::Instant, Limits::default());
    let (addr, _stop) = listen(&h).await;
    let level_before = h.with(|p, _| p.supplies[0].level_ppm);
    let data = pdf(3);
    let back = send_and_read_back(addr, &data).await;
    assert!(back.is_empty(), "nothing asked, nothing said: {back:?}");

    let (job, impressions, level_after) = h.with(|p, _| {
        let j = p.jobs().next().cloned().unwrap();
        (j, p.counters.impressions, p.supplies[0].level_ppm)
    });
    assert_eq!(job.spec.origin, Some(JobOrigin::Socket));
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.impressions_completed, 3);
    assert_eq!(impressions, 3);
    assert!(level_after < level_before, "printing drains the toner");
    let doc = &job.documents[0];
    assert_eq!(doc.sha256, sha256(&data));
    assert_eq!(doc.format, "application/pdf");
    assert_eq!(doc.pages, 3);
    assert_eq!(std::fs::read(&doc.path).unwrap(), data);
    assert!(doc.path.starts_with(h.spool_dir()));
    assert_eq!(ipp_completed_job_names(&h).await, ["AppSocket job"]);
}

#[tokio::test]
async fn a_pjl_job_half_closed_gets_its_status_until_the_printer_closes() {
    let h = printer(Speed::Instant, Limits::default());
    let (addr, _stop) = listen(&h).await;
    let body = pdf(2);
    let data = [
        UEL.as_slice(),
        b"@PJL\r\n@PJL USTATUS JOB = ON\r\n@PJL JOB NAME = \"Quarterly report\"\r\n",
        b"@PJL SET COPIES = 2\r\n@PJL INFO ID\r\n@PJL ENTER LANGUAGE = PDF\r\n",
        &body,
        UEL,
        b"@PJL EOJ NAME = \"Quarterly report\"\r\n",
        UEL,
    ]
    .concat();
    let back = send_and_read_back(addr, &data).await;
    let r = responses(&back);
    assert_eq!(
        r,
        [
            Response::job_start("Quarterly report"),
            Response::info("ID", vec!["\"paperjam Office Laser 4000\"".into()]),
            Response::job_end("Quarterly report", 4),
        ],
        "START, the answer, then END once the 2 × 2 pages printed, then EOF"
    );
    let job = h.with(|p, _| p.jobs().next().cloned().unwrap());
    assert_eq!(job.spec.name, "Quarterly report");
    assert_eq!(job.spec.copies, 2);
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.impressions_completed, 4);
    let doc = &job.documents[0];
    // The whole stream as sent: UELs and PJL included.
    assert_eq!(doc.sha256, sha256(&data));
    assert_eq!(std::fs::read(&doc.path).unwrap(), data);
    // Pages and format from the PDF inside.
    assert_eq!(doc.pages, 2);
    assert_eq!(doc.format, "application/pdf");
    assert_eq!(ipp_completed_job_names(&h).await, ["Quarterly report"]);
}

#[tokio::test]
async fn two_jobs_on_one_connection_are_two_jobs_in_the_model() {
    let h = printer(Speed::Instant, Limits::default());
    let (addr, _stop) = listen(&h).await;
    let a = pdf(1);
    let b = b"%!PS-Adobe-3.0\nshowpage\n".to_vec();
    let data = [a.as_slice(), UEL, &b].concat();
    send_and_read_back(addr, &data).await;
    let docs: Vec<(u32, String, Vec<u8>)> = h.with(|p, _| {
        p.jobs()
            .map(|j| {
                let d = &j.documents[0];
                (j.id, d.format.clone(), std::fs::read(&d.path).unwrap())
            })
            .collect()
    });
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].2, [a.as_slice(), UEL].concat());
    assert_eq!(docs[1].1, "application/postscript");
    assert_eq!(docs[1].2, b);
}

#[tokio::test]
async fn garbage_then_the_next_client_is_served() {
    let h = printer(Speed::Instant, Limits::default());
    let (addr, _stop) = listen(&h).await;

    // A megabyte PJL line, binary garbage and a UEL split across writes.
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut long = b"@PJL COMMENT ".to_vec();
    long.resize(1 << 20, b'z');
    s.write_all(&long).await.unwrap();
    s.write_all(b"\r\n@PJL SET = = \"\r\n").await.unwrap();
    s.write_all(&UEL[..4]).await.unwrap();
    s.write_all(&UEL[4..]).await.unwrap();
    let garbage: Vec<u8> = (0..70_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    s.write_all(&garbage).await.unwrap();
    s.write_all(b"\x1b%-1234").await.unwrap();
    drop(s);

    // The next client asks who the printer is.
    let back = send_and_read_back(addr, b"\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X").await;
    assert_eq!(
        responses(&back),
        [Response::info(
            "ID",
            vec!["\"paperjam Office Laser 4000\"".into()]
        )]
    );
    // The garbage was a raw job; the printer is fine.
    let states: Vec<JobState> = h.with(|p, _| p.jobs().map(|j| j.state).collect());
    assert!(states.len() <= 1, "{states:?}");
}

#[tokio::test(start_paused = true)]
async fn a_jam_mid_job_shows_on_the_back_channel_and_the_job_waits() {
    let h = printer(Speed::Realtime, Limits::default()); // 30 ppm: 2 s a page
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let (_stop, rx) = watch::channel(false);
    let peer = SocketAddr::from(([127, 0, 0, 1], 9));
    let task = tokio::spawn(serve_socket(server, peer, h.0.clone(), rx));
    let data = [
        UEL.as_slice(),
        b"@PJL USTATUS DEVICE = ON\r\n@PJL USTATUS JOB = ON\r\n@PJL USTATUS PAGE = ON\r\n",
        b"@PJL JOB NAME = \"jammed\"\r\n@PJL ENTER LANGUAGE = PDF\r\n",
        &pdf(3),
        UEL,
        b"@PJL EOJ\r\n",
        UEL,
    ]
    .concat();
    client.write_all(&data).await.unwrap();
    client.shutdown().await.unwrap();
    let mut buf = Vec::new();

    let r = within(30, next_response(&mut client, &mut buf))
        .await
        .unwrap();
    assert_eq!(r, Response::job_start("jammed"));
    let r = within(30, next_response(&mut client, &mut buf))
        .await
        .unwrap();
    assert_eq!(r.device_status().unwrap().code, StatusCode::PROCESSING);

    h.with(|p, now| p.raise(Condition::MediaJam, now));
    let r = within(30, next_response(&mut client, &mut buf))
        .await
        .unwrap();
    assert_eq!(r.header, "USTATUS DEVICE");
    assert_eq!(r.device_status().unwrap().code, StatusCode::PAPER_JAM);
    assert_eq!(
        h.with(|p, _| p.jobs().next().unwrap().state),
        JobState::ProcessingStopped
    );
    // Jammed for ten minutes: the connection waits with its job.
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert!(!task.is_finished());
    assert_eq!(
        h.with(|p, _| p.jobs().next().unwrap().impressions_completed),
        0
    );

    h.with(|p, now| p.clear(Condition::MediaJam, now));
    let mut rest = Vec::new();
    while let Some(r) = within(60, next_response(&mut client, &mut buf)).await {
        rest.push(r);
    }
    let codes: Vec<u32> = rest
        .iter()
        .filter_map(|r| r.device_status().map(|s| s.code.0))
        .collect();
    assert_eq!(codes, [10023, 10001], "{rest:?}");
    let pages: Vec<&Response> = rest.iter().filter(|r| r.header == "USTATUS PAGE").collect();
    assert_eq!(
        pages,
        [&Response::page(1), &Response::page(2), &Response::page(3)]
    );
    assert_eq!(rest.last(), Some(&Response::job_end("jammed", 3)));
    within(5, task).await.unwrap();
    assert_eq!(
        h.with(|p, _| p.jobs().next().unwrap().state),
        JobState::Completed
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_client_is_closed_after_the_idle_timeout() {
    let limits = Limits {
        idle_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    let h = printer(Speed::Instant, limits);
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let (_stop, rx) = watch::channel(false);
    let peer = SocketAddr::from(([127, 0, 0, 1], 9));
    let task = tokio::spawn(serve_socket(server, peer, h.0.clone(), rx));
    let start = tokio::time::Instant::now();
    let mut b = [0u8; 16];
    assert_eq!(within(60, client.read(&mut b)).await.unwrap(), 0);
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    within(5, task).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_client_waiting_for_its_jammed_job_is_not_timed_out() {
    let limits = Limits {
        idle_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    let h = printer(Speed::Realtime, limits);
    h.with(|p, now| p.raise(Condition::MediaJam, now));
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let (_stop, rx) = watch::channel(false);
    let peer = SocketAddr::from(([127, 0, 0, 1], 9));
    let task = tokio::spawn(serve_socket(server, peer, h.0.clone(), rx));
    // A whole job, but the sending side stays open.
    client
        .write_all(&[pdf(1).as_slice(), UEL].concat())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert!(
        !task.is_finished(),
        "its job is printing (jammed): no idle timeout"
    );
    h.with(|p, now| p.clear(Condition::MediaJam, now));
    // The job prints; then the client's silence counts again.
    let mut b = [0u8; 16];
    let start = tokio::time::Instant::now();
    assert_eq!(within(60, client.read(&mut b)).await.unwrap(), 0);
    assert!(start.elapsed() >= Duration::from_secs(5));
    within(5, task).await.unwrap();
    assert_eq!(
        h.with(|p, _| p.jobs().next().unwrap().state),
        JobState::Completed
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_aborts_a_job_in_the_middle_and_closes() {
    let h = printer(Speed::Instant, Limits::default());
    let (mut client, server) = tokio::io::duplex(1 << 16);
    let (stop, rx) = watch::channel(false);
    let peer = SocketAddr::from(([127, 0, 0, 1], 9));
    let task = tokio::spawn(serve_socket(server, peer, h.0.clone(), rx));
    client.write_all(b"%PDF-1.4 the first half").await.unwrap();
    // Let the server take the bytes in.
    while h.with(|p, _| p.jobs().count()) == 0 {
        tokio::task::yield_now().await;
    }
    stop.send(true).unwrap();
    within(5, task).await.unwrap();
    let job = h.with(|p, _| p.jobs().next().cloned().unwrap());
    assert_eq!(job.state, JobState::Aborted);
    let partial = std::fs::read_dir(h.spool_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.path().extension().is_some_and(|x| x == "partial"));
    assert!(partial, "what arrived is kept as .partial");
}
