//! HTTP/1.1 framing, by RFC 9112 clause: message body length (§6.3),
//! chunked transfer coding (§7.1), pipelining (§9.3.2), interim responses
//! (RFC 9110 §15.2), and IPP bodies (RFC 8010).

use paperjam_sim::wire::ipp::{RawItem, RawMessage, WireError};

use super::super::http::{ipp_body, split_http, BodyFraming, HttpSplit, StartLine};
use super::super::{Dir, ProblemKind};

fn split(req: &[u8], resp: &[u8]) -> HttpSplit {
    split_http(req, resp)
}

#[test]
fn rfc9112_6_3_content_length_frames_both_directions() {
    let req = b"POST /ipp/print HTTP/1.1\r\nHost: p\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello";
    let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let s = split(req, resp);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(s.exchanges.len(), 1);
    let ex = &s.exchanges[0];
    let r = &ex.request;
    assert_eq!(r.range, 0..req.len());
    assert_eq!(r.body_range, req.len() - 5..req.len());
    assert_eq!(r.body, b"hello");
    assert_eq!(r.framing, BodyFraming::ContentLength(5));
    assert_eq!(r.start_line, "POST /ipp/print HTTP/1.1");
    assert_eq!(
        r.kind,
        StartLine::Request {
            method: "POST".into(),
            target: "/ipp/print".into(),
            version: "HTTP/1.1".into()
        }
    );
    assert_eq!(
        r.headers,
        vec![
            ("Host".to_string(), "p".to_string()),
            ("Content-Length".to_string(), "5".to_string()),
            ("X-A".to_string(), "1".to_string())
        ]
    );
    assert!(r.complete);
    let resp_msg = ex.response.as_ref().unwrap();
    assert_eq!(resp_msg.status(), Some(200));
    assert_eq!(resp_msg.body, b"ok");
    assert_eq!(resp_msg.range, 0..resp.len());
    assert!(ex.interim.is_empty());
}

#[test]
fn rfc9112_7_1_chunked_with_extensions_and_trailers() {
    let req = b"GET / HTTP/1.1\r\nHost: p\r\n\r\n";
    let resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
5;name=value\r\nhello\r\n6 ; ext\r\n world\r\n000;last\r\nX-Trailer: yes\r\nX-Two:  2 \r\n\r\n";
    let s = split(req, resp);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let r = s.exchanges[0].response.as_ref().unwrap();
    assert_eq!(r.body, b"hello world");
    assert_eq!(r.framing, BodyFraming::Chunked { chunks: 2 });
    assert_eq!(
        r.trailers,
        vec![
            ("X-Trailer".to_string(), "yes".to_string()),
            ("X-Two".to_string(), "2".to_string())
        ]
    );
    assert_eq!(r.range, 0..resp.len());
    assert!(r.complete);
}

#[test]
fn rfc9112_7_1_chunked_request_body() {
    let req = b"POST /ipp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    let s = split(req, b"");
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(s.exchanges.len(), 2);
    assert_eq!(s.exchanges[0].request.body, b"abc");
    assert_eq!(s.exchanges[1].request.method(), Some("GET"));
    assert!(s.exchanges[1].response.is_none());
}

#[test]
fn rfc9110_10_1_1_expect_100_continue_then_body() {
    let req = b"POST /ipp/ HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody";
    let resp = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let s = split(req, resp);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let ex = &s.exchanges[0];
    assert_eq!(ex.request.body, b"body");
    assert!(!ex.request.body_withheld);
    assert_eq!(ex.interim.len(), 1);
    assert_eq!(ex.interim[0].status(), Some(100));
    assert_eq!(ex.interim[0].range, 0..25);
    assert_eq!(ex.response.as_ref().unwrap().status(), Some(200));
    assert_eq!(ex.response.as_ref().unwrap().range, 25..resp.len());
}

#[test]
fn rfc9110_10_1_1_body_withheld_after_a_final_status() {
    // CUPS: a 401 instead of 100 Continue, then the request again with
    // credentials, on the same connection and without the first body.
    let req = b"POST /ipp/ HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n\
POST /ipp/ HTTP/1.1\r\nContent-Length: 4\r\nAuthorization: Basic x\r\n\r\nbody";
    let resp = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let s = split(req, resp);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(s.exchanges.len(), 2);
    assert!(s.exchanges[0].request.body_withheld);
    assert!(s.exchanges[0].request.body.is_empty());
    assert_eq!(
        s.exchanges[0].response.as_ref().unwrap().status(),
        Some(401)
    );
    assert_eq!(s.exchanges[1].request.body, b"body");
    assert_eq!(
        s.exchanges[1].response.as_ref().unwrap().status(),
        Some(200)
    );
}

#[test]
fn rfc9112_9_3_2_pipelined_requests_pair_by_order() {
    let req = b"GET /a HTTP/1.1\r\n\r\nHEAD /b HTTP/1.1\r\n\r\nDELETE /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\n";
    // HEAD's response announces a length but has no body (§6.3 item 1);
    // 204 and 304 have none either.
    let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA\
HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n\
HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n\
HTTP/1.1 304 Not Modified\r\n\r\n";
    let s = split(req, resp);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let targets: Vec<_> = s
        .exchanges
        .iter()
        .map(|e| match &e.request.kind {
            StartLine::Request { target, .. } => target.clone(),
            StartLine::Response { .. } => String::new(),
        })
        .collect();
    assert_eq!(targets, ["/a", "/b", "/c", "/d"]);
    let statuses: Vec<_> = s
        .exchanges
        .iter()
        .map(|e| e.response.as_ref().and_then(|r| r.status()))
        .collect();
    assert_eq!(statuses, [Some(200), Some(200), Some(204), Some(304)]);
    assert_eq!(s.exchanges[0].response.as_ref().unwrap().body, b"A");
    let head = s.exchanges[1].response.as_ref().unwrap();
    assert_eq!(head.framing, BodyFraming::None);
    assert!(head.body.is_empty());
    // The ranges tile the streams.
    let mut at = 0;
    for e in &s.exchanges {
        let r = e.response.as_ref().unwrap();
        assert_eq!(r.range.start, at);
        at = r.range.end;
    }
    assert_eq!(at, resp.len());
}

#[test]
fn rfc9112_6_3_http10_response_without_length_runs_until_close() {
    let req = b"GET / HTTP/1.0\r\n\r\n";
    let resp = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>status page</html>\r\n";
    let s = split(req, resp);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let r = s.exchanges[0].response.as_ref().unwrap();
    assert_eq!(r.framing, BodyFraming::UntilClose);
    assert_eq!(r.body, b"<html>status page</html>\r\n");
    assert_eq!(r.range, 0..resp.len());
    assert_eq!(r.media_type().as_deref(), Some("text/html"));
}

#[test]
fn rfc9112_6_3_connection_close_without_length_runs_until_close() {
    let req = b"GET / HTTP/1.1\r\n\r\nGET /again HTTP/1.1\r\n\r\n";
    let resp = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it";
    let s = split(req, resp);
    let r = s.exchanges[0].response.as_ref().unwrap();
    assert_eq!(r.framing, BodyFraming::UntilClose);
    assert_eq!(r.body, b"all of it");
    assert!(s.exchanges[1].response.is_none());
}

#[test]
fn rfc9112_6_1_transfer_encoding_wins_over_content_length() {
    let req = b"POST / HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n";
    let s = split(req, b"");
    assert_eq!(s.exchanges[0].request.body, b"x");
    assert_eq!(s.problems.len(), 1);
    assert_eq!(s.problems[0].kind, ProblemKind::Violation);
    assert_eq!(s.problems[0].stream, Dir::ToServer);
}

#[test]
fn rfc9112_6_3_invalid_content_length_stops_framing() {
    let req = b"POST / HTTP/1.1\r\nContent-Length: 12x\r\n\r\nbody and more";
    let s = split(req, b"");
    assert_eq!(s.exchanges.len(), 1);
    let p = &s.problems[0];
    assert_eq!(p.kind, ProblemKind::Unparsed);
    assert_eq!(p.offset, req.len() - "body and more".len());
    assert_eq!(p.range().end, req.len());
    // Conflicting values are as bad; equal repeated ones are fine.
    let s = split(b"POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nab", b"");
    assert_eq!(s.problems[0].kind, ProblemKind::Unparsed);
    let s = split(
        b"POST / HTTP/1.1\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nab",
        b"",
    );
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(s.exchanges[0].request.body, b"ab");
}

#[test]
fn rfc9112_6_3_request_with_unknown_transfer_coding_is_unframeable() {
    let s = split(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxyz",
        b"",
    );
    assert_eq!(s.problems[0].kind, ProblemKind::Unparsed);
    // …but a response with one runs until close.
    let s = split(
        b"GET / HTTP/1.1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz",
    );
    assert!(s.problems.is_empty());
    let r = s.exchanges[0].response.as_ref().unwrap();
    assert_eq!(r.framing, BodyFraming::UntilClose);
    assert_eq!(r.body, b"xyz");
}

#[test]
fn rfc9112_2_2_empty_lines_before_a_request_are_skipped() {
    let s = split(
        b"\r\n\r\nGET / HTTP/1.1\r\n\r\n\nGET /2 HTTP/1.1\r\n\r\n",
        b"",
    );
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(s.exchanges.len(), 2);
    assert_eq!(s.exchanges[0].request.range.start, 4);
}

#[test]
fn a_response_without_a_request_is_an_orphan() {
    let s = split(b"", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert!(s.exchanges.is_empty());
    assert_eq!(s.orphan_responses.len(), 1);
    assert_eq!(s.problems[0].kind, ProblemKind::Unmatched);
}

#[test]
fn garbage_is_an_unparsed_remainder() {
    let junk = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage";
    let s = split(junk, junk);
    assert!(s.exchanges.is_empty());
    assert!(s.orphan_responses.is_empty());
    assert_eq!(s.problems.len(), 2);
    for (p, side) in s.problems.iter().zip([Dir::ToServer, Dir::ToClient]) {
        assert_eq!(p.kind, ProblemKind::Unparsed);
        assert_eq!(p.stream, side);
        assert_eq!(p.range(), 0..junk.len());
    }
    // Garbage after a good message keeps the good message.
    let s = split(b"GET / HTTP/1.1\r\n\r\n\x00\x01\x02", b"");
    assert_eq!(s.exchanges.len(), 1);
    assert_eq!(s.problems[0].offset, 18);
}

#[test]
fn malformed_chunk_size_keeps_what_came_before() {
    let s = split(
        b"GET / HTTP/1.1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\nzz\r\nmore",
    );
    let r = s.exchanges[0].response.as_ref().unwrap();
    assert_eq!(r.body, b"ab");
    assert!(!r.complete);
    assert_eq!(s.problems[0].kind, ProblemKind::Unparsed);
    assert!(
        s.problems[0].message.contains("chunk-size"),
        "{}",
        s.problems[0]
    );
}

/// A small exchange with every framing: 100 Continue, a chunked response
/// with a trailer, a Content-Length request, a pipelined second request.
fn small_exchange() -> (Vec<u8>, Vec<u8>) {
    let req = b"POST /ipp/print HTTP/1.1\r\nHost: p\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc\
GET /x HTTP/1.1\r\n\r\n"
        .to_vec();
    let resp =
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
2\r\nok\r\n0\r\nT: 1\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"
            .to_vec();
    (req, resp)
}

#[test]
fn truncated_at_every_byte_keeps_the_whole_messages_before_the_cut() {
    let (req, resp) = small_exchange();
    let full = split(&req, &resp);
    assert!(full.problems.is_empty(), "{:?}", full.problems);
    assert_eq!(full.exchanges.len(), 2);
    for cut_req in 0..=req.len() {
        for cut_resp in [0, resp.len() / 2, resp.len()] {
            let (a, b) = (&req[..cut_req], &resp[..cut_resp]);
            let s = split(a, b);
            for (i, ex) in s.exchanges.iter().enumerate() {
                let whole = &full.exchanges[i];
                if ex.request.range.end <= a.len() && ex.request.complete {
                    assert_eq!(ex.request.range, whole.request.range);
                    assert_eq!(ex.request.body, whole.request.body);
                }
                assert!(ex.request.range.end <= a.len());
                if let Some(r) = &ex.response {
                    assert!(r.range.end <= b.len());
                    if r.complete && matches!(r.framing, BodyFraming::ContentLength(_)) {
                        assert_eq!(Some(r), whole.response.as_ref());
                    }
                }
            }
            for p in &s.problems {
                assert!(
                    p.range().end
                        <= if p.stream == Dir::ToServer {
                            a.len()
                        } else {
                            b.len()
                        }
                );
            }
        }
    }
    for cut in 0..=resp.len() {
        let s = split(&req, &resp[..cut]);
        assert_eq!(s.exchanges.len(), 2);
        if let Some(r) = &s.exchanges[0].response {
            if r.complete {
                assert_eq!(Some(r), full.exchanges[0].response.as_ref(), "cut {cut}");
            } else {
                assert!(s.problems.iter().any(|p| p.kind == ProblemKind::Truncated));
            }
        }
    }
}

#[test]
fn truncation_is_reported_as_truncated() {
    let s = split(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", b"");
    let r = &s.exchanges[0].request;
    assert!(!r.complete);
    assert_eq!(r.body, b"abc");
    assert_eq!(s.problems[0].kind, ProblemKind::Truncated);
    let s = split(b"POST / HTTP/1.1\r\nContent-Len", b"");
    assert!(s.exchanges.is_empty());
    assert_eq!(s.problems[0].kind, ProblemKind::Truncated);
}

/// An IPP request: Print-Job with two operation attributes, then `doc`.
fn ipp_request(doc: &[u8]) -> Vec<u8> {
    let mut m = RawMessage::new([2, 0], 0x0002, 7);
    m.items.push(RawItem::Delimiter(0x01));
    m.items
        .push(RawItem::attribute(0x47, "attributes-charset", "utf-8"));
    m.items.push(RawItem::attribute(
        0x48,
        "attributes-natural-language",
        "en",
    ));
    let mut out = m.to_bytes().unwrap();
    out.extend_from_slice(doc);
    out
}

#[test]
fn rfc8010_ipp_body_with_document_data() {
    let body = ipp_request(b"%PDF-1.7 ...");
    let mut req = format!(
        "POST /ipp/print HTTP/1.1\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let s = split(&req, b"");
    let p = ipp_body(&s.exchanges[0].request).unwrap().unwrap();
    assert_eq!(p.code, 2);
    assert_eq!(p.code_name, "Print-Job");
    assert_eq!(p.request_id, 7);
    assert_eq!(p.version, "2.0");
    assert_eq!(p.items, 3);
    assert_eq!(&body[p.document_offset..], b"%PDF-1.7 ...");
    assert_eq!(p.document_len, 12);
}

#[test]
fn rfc8010_ipp_body_by_content_and_errors() {
    // No Content-Type, but the body starts like IPP.
    let body = ipp_request(b"");
    let mut req = format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    req.extend_from_slice(&body);
    let s = split(&req, b"");
    assert!(ipp_body(&s.exchanges[0].request).unwrap().is_ok());
    // Claimed IPP that is cut short.
    let cut = &body[..body.len() - 3];
    let mut req = format!(
        "POST / HTTP/1.1\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\n\r\n",
        cut.len()
    )
    .into_bytes();
    req.extend_from_slice(cut);
    let s = split(&req, b"");
    assert!(matches!(
        ipp_body(&s.exchanges[0].request),
        Some(Err(WireError::Truncated { .. }))
    ));
    // Not IPP at all.
    let s = split(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", b"");
    assert!(ipp_body(&s.exchanges[0].request).is_none());
}

#[test]
fn serializes_to_json_with_byte_previews() {
    let (req, resp) = small_exchange();
    let s = split(&req, &resp);
    let v = serde_json::to_value(&s).unwrap();
    let body = &v["exchanges"][0]["request"]["body"];
    assert_eq!(body["len"], 3);
    assert_eq!(body["preview"], "abc");
    assert_eq!(v["exchanges"][0]["request"]["range"]["start"], 0);
    assert_eq!(
        v["exchanges"][0]["response"]["framing"]["chunked"]["chunks"],
        1
    );
}

mod prop {
    //! Any sequence of well-formed exchanges, written out as the client's
    //! and the server's streams, splits back into the same messages, and
    //! any cut of those streams never panics.
    use proptest::prelude::*;

    use super::super::super::http::{split_http, BodyFraming};

    #[derive(Debug, Clone)]
    struct Spec {
        method: &'static str,
        body: Vec<u8>,
        req_chunks: Option<Vec<usize>>,
        expect: bool,
        status: u16,
        resp_body: Vec<u8>,
        resp_chunks: Option<Vec<usize>>,
    }

    fn spec() -> impl Strategy<Value = Spec> {
        (
            prop::sample::select(vec!["GET", "POST", "HEAD", "PUT"]),
            prop::collection::vec(any::<u8>(), 0..40),
            prop::option::of(prop::collection::vec(1usize..8, 0..4)),
            any::<bool>(),
            prop::sample::select(vec![200u16, 204, 304, 400, 404, 500]),
            prop::collection::vec(any::<u8>(), 0..40),
            prop::option::of(prop::collection::vec(1usize..8, 0..4)),
        )
            .prop_map(
                |(method, body, req_chunks, expect, status, resp_body, resp_chunks)| Spec {
                    method,
                    body,
                    req_chunks,
                    expect,
                    status,
                    resp_body,
                    resp_chunks,
                },
            )
    }

    fn chunked(out: &mut Vec<u8>, body: &[u8], sizes: &[usize]) {
        let mut rest = body;
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes
                .get(i % sizes.len().max(1))
                .copied()
                .unwrap_or(5)
                .min(rest.len());
            out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
            out.extend_from_slice(&rest[..n]);
            out.extend_from_slice(b"\r\n");
            rest = &rest[n..];
            i += 1;
        }
        out.extend_from_slice(b"0\r\n\r\n");
    }

    /// Each exchange's request and response bodies, as they must come out.
    type Bodies = Vec<(Vec<u8>, Vec<u8>)>;

    /// The streams, and what each message's body must come out as.
    fn write(specs: &[Spec]) -> (Vec<u8>, Vec<u8>, Bodies) {
        let (mut req, mut resp, mut want) = (Vec::new(), Vec::new(), Vec::new());
        for s in specs {
            let has_body = !s.body.is_empty() || s.req_chunks.is_some();
            req.extend_from_slice(format!("{} /x HTTP/1.1\r\nHost: p\r\n", s.method).as_bytes());
            if s.expect && has_body {
                req.extend_from_slice(b"Expect: 100-continue\r\n");
                resp.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            match &s.req_chunks {
                Some(sizes) => {
                    req.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                    chunked(&mut req, &s.body, sizes);
                }
                None => {
                    if has_body {
                        req.extend_from_slice(
                            format!("Content-Length: {}\r\n", s.body.len()).as_bytes(),
                        );
                    }
                    req.extend_from_slice(b"\r\n");
                    req.extend_from_slice(&s.body);
                }
            }
            let no_body = s.method == "HEAD" || s.status == 204 || s.status == 304;
            resp.extend_from_slice(format!("HTTP/1.1 {} X\r\n", s.status).as_bytes());
            match (&s.resp_chunks, no_body) {
                (_, true) => {
                    resp.extend_from_slice(b"Content-Length: 9\r\n\r\n");
                }
                (Some(sizes), false) => {
                    resp.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                    chunked(&mut resp, &s.resp_body, sizes);
                }
                (None, false) => {
                    resp.extend_from_slice(
                        format!("Content-Length: {}\r\n\r\n", s.resp_body.len()).as_bytes(),
                    );
                    resp.extend_from_slice(&s.resp_body);
                }
            }
            let resp_body = if no_body {
                Vec::new()
            } else {
                s.resp_body.clone()
            };
            want.push((s.body.clone(), resp_body));
        }
        (req, resp, want)
    }

    proptest! {
        #[test]
        fn exchanges_split_back_into_their_messages(specs in prop::collection::vec(spec(), 0..6)) {
            let (req, resp, want) = write(&specs);
            let s = split_http(&req, &resp);
            prop_assert!(s.problems.is_empty(), "{:?}", s.problems);
            prop_assert!(s.orphan_responses.is_empty());
            prop_assert_eq!(s.exchanges.len(), specs.len());
            let (mut at_req, mut at_resp) = (0, 0);
            for ((ex, (body, resp_body)), spec) in s.exchanges.iter().zip(&want).zip(&specs) {
                prop_assert_eq!(&ex.request.body, body);
                prop_assert_eq!(ex.request.method(), Some(spec.method));
                prop_assert_eq!(ex.request.range.start, at_req);
                at_req = ex.request.range.end;
                for m in &ex.interim {
                    prop_assert_eq!(m.range.start, at_resp);
                    at_resp = m.range.end;
                }
                let r = ex.response.as_ref().expect("a response");
                prop_assert_eq!(r.status(), Some(spec.status));
                prop_assert_eq!(&r.body, resp_body);
                prop_assert_eq!(r.range.start, at_resp);
                at_resp = r.range.end;
                prop_assert!(r.complete && ex.request.complete);
                if spec.req_chunks.is_some() {
                    let chunked = matches!(ex.request.framing, BodyFraming::Chunked { .. });
                    prop_assert!(chunked);
                }
            }
            prop_assert_eq!(at_req, req.len());
            prop_assert_eq!(at_resp, resp.len());
        }

        #[test]
        fn any_cut_never_panics_and_stays_in_bounds(
            specs in prop::collection::vec(spec(), 1..4),
            cut_req in any::<prop::sample::Index>(),
            cut_resp in any::<prop::sample::Index>(),
        ) {
            let (req, resp, _) = write(&specs);
            let full = split_http(&req, &resp);
            let a = &req[..cut_req.index(req.len() + 1)];
            let b = &resp[..cut_resp.index(resp.len() + 1)];
            let s = split_http(a, b);
            for (ex, whole) in s.exchanges.iter().zip(&full.exchanges) {
                prop_assert!(ex.request.range.end <= a.len());
                if ex.request.complete && !ex.request.body_withheld {
                    prop_assert_eq!(&ex.request, &whole.request);
                }
                if let Some(r) = &ex.response {
                    prop_assert!(r.range.end <= b.len());
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(a in prop::collection::vec(any::<u8>(), 0..200),
                                       b in prop::collection::vec(any::<u8>(), 0..200)) {
            let mut req = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            req.extend_from_slice(&a);
            let s = split_http(&req, &b);
            for p in &s.problems {
                prop_assert!(p.range().end <= req.len().max(b.len()));
            }
            let _ = split_http(&a, &b);
        }
    }
}
