//! Tests of the framers: one module per framer, named by the clause each
//! case checks; here the protocol guesses, the fuzz entry point over the
//! test streams, and the third-party IPP capture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod captures;
mod datagram;
mod http;
mod ipp_capture;
mod lpd;
mod socket;

use super::{fuzz_framers, guess_tcp_protocol, TcpProtocol};

/// The 2926-byte PDF the committed LPD and AppSocket captures carry.
pub(super) fn letter_pdf() -> &'static [u8] {
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/documents/document-letter.pdf"
    ))
}

/// Bytes from hex digits (test constants only).
pub(super) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn tcp_protocol_by_content_first() {
    let http = b"POST /ipp/print HTTP/1.1\r\nHost: p\r\n\r\n";
    assert_eq!(guess_tcp_protocol(515, http), TcpProtocol::Http);
    assert_eq!(
        guess_tcp_protocol(9100, b"GET / HTTP/1.0\r\n"),
        TcpProtocol::Http
    );
    assert_eq!(
        guess_tcp_protocol(631, b"\x02lp\n\x0251 cfA1h\n"),
        TcpProtocol::Lpd
    );
    assert_eq!(
        guess_tcp_protocol(40000, b"\x04lp alice 12\n"),
        TcpProtocol::Lpd
    );
    assert_eq!(
        guess_tcp_protocol(631, letter_pdf()),
        TcpProtocol::AppSocket
    );
    assert_eq!(
        guess_tcp_protocol(40000, b"\x1b%-12345X@PJL\r\n"),
        TcpProtocol::AppSocket
    );
    assert_eq!(
        guess_tcp_protocol(40000, b"@PJL INFO ID\r\n"),
        TcpProtocol::AppSocket
    );
    assert_eq!(
        guess_tcp_protocol(40000, b"%!PS-Adobe-3.0\n"),
        TcpProtocol::AppSocket
    );
    assert_eq!(
        guess_tcp_protocol(40000, b"\x1bE\x1b&l0O"),
        TcpProtocol::AppSocket
    );
    assert_eq!(
        guess_tcp_protocol(631, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
        TcpProtocol::Tls
    );
}

#[test]
fn tcp_protocol_by_port_second() {
    for (port, want) in [
        (631, TcpProtocol::Http),
        (80, TcpProtocol::Http),
        (443, TcpProtocol::Http),
        (8000, TcpProtocol::Http),
        (8080, TcpProtocol::Http),
        (515, TcpProtocol::Lpd),
        (9100, TcpProtocol::AppSocket),
        (9101, TcpProtocol::AppSocket),
        (9102, TcpProtocol::AppSocket),
        (22, TcpProtocol::Unknown),
    ] {
        assert_eq!(guess_tcp_protocol(port, b""), want, "port {port}");
        assert_eq!(
            guess_tcp_protocol(port, b"\x00\x01binary"),
            want,
            "port {port}"
        );
    }
    // Almost an LPD line: a control character in the queue name.
    assert_eq!(
        guess_tcp_protocol(22, b"\x02l\x01p\n"),
        TcpProtocol::Unknown
    );
    // Almost a request line: no version.
    assert_eq!(guess_tcp_protocol(22, b"GET /\r\n"), TcpProtocol::Unknown);
}

#[test]
fn fuzz_entry_point_over_the_test_streams() {
    let mut seeds: Vec<Vec<u8>> = vec![
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n".to_vec(),
        b"\x02lp\n\x023 cfA1h\nHx\n\x00\x00\x00\x00".to_vec(),
        b"\x1b%-12345X@PJL INFO ID\r\n@PJL INFO ID\r\n\"x\"\r\n\x0c".to_vec(),
        unhex("000000000002000000000000045f697070045f746370056c6f63616c00000c0001055f69707073c011000c0001"),
        vec![],
    ];
    let mut lpd = b"\x02lp\n\x032926 dfA1h\n".to_vec();
    lpd.extend_from_slice(letter_pdf());
    lpd.extend_from_slice(b"\x00\x00\x00\x00");
    seeds.push(lpd);
    for s in &seeds {
        for cut in 0..=s.len().min(64) {
            fuzz_framers(s, cut);
        }
        fuzz_framers(s, s.len() / 2);
    }
}

#[test]
fn problems_display_their_stream_and_offset() {
    let s = super::split_http(b"", b"garbage\r\n\r\n");
    let text = s.problems[0].to_string();
    assert!(text.starts_with("to_client offset 0: "), "{text}");
}
