//! nDPI's `ipp.pcap` (`../shared/captures/ndpi-ipp.pcap`, or
//! `$PAPERJAM_EXTERNAL_CAPTURES`; not copied into the repository): a CUPS
//! 1.3.4 client and a Virata-EmWeb printer on port 631, three connections,
//! every request with `Expect: 100-continue` and every response chunked.
//!
//! The facts below were read with tshark (`-z follow,tcp,raw,N`); the
//! streams are rebuilt by [`crate::pcap::tcp::reassemble_file`] (by
//! sequence number, so the capture's one retransmission is not doubled).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::super::http::{ipp_body, split_http, BodyFraming};
use super::super::{guess_tcp_protocol, TcpProtocol};

/// What one exchange of the capture holds.
struct Fact {
    /// operation-id of the request.
    operation: u16,
    /// Content-Length of the request.
    request_body: usize,
    /// Document bytes after the request's attributes.
    document: usize,
    /// De-chunked response body.
    response_body: usize,
}

/// Per connection (client port), the exchanges in order.
const FACTS: &[(u16, &[Fact])] = &[
    (
        55341,
        &[Fact {
            operation: 0x000b, // Get-Printer-Attributes
            request_body: 289,
            document: 0,
            response_body: 0x13b,
        }],
    ),
    (
        55342,
        &[Fact {
            operation: 0x0002, // Print-Job, PCL
            request_body: 227_309,
            document: 227_161,
            response_body: 0xb8,
        }],
    ),
    (
        55343,
        &[
            Fact {
                operation: 0x0009, // Get-Job-Attributes
                request_body: 228,
                document: 0,
                response_body: 0x5e,
            },
            Fact {
                operation: 0x000b,
                request_body: 220,
                document: 0,
                response_body: 0x6a,
            },
        ],
    ),
];

fn captures_dir() -> PathBuf {
    match std::env::var_os("PAPERJAM_EXTERNAL_CAPTURES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/captures"),
    }
}

/// A connection's streams by client port, as the reassembler rebuilds them.
fn streams(path: &std::path::Path) -> BTreeMap<u16, (Vec<u8>, Vec<u8>)> {
    let capture = crate::pcap::tcp::reassemble_file(path).unwrap();
    capture
        .flows
        .into_iter()
        .map(|f| {
            assert_eq!(f.server.port(), 631);
            assert!(f.gaps.is_empty(), "{:?}", f.gaps);
            (f.client.port(), (f.to_server, f.to_client))
        })
        .collect()
}

#[test]
fn ndpi_ipp_pcap_splits_into_ipp_exchanges() {
    let path = captures_dir().join("ndpi-ipp.pcap");
    assert!(
        path.exists(),
        "{} not found: point PAPERJAM_EXTERNAL_CAPTURES at the shared third-party captures",
        path.display()
    );
    let conns = streams(&path);
    assert_eq!(conns.len(), 3);
    for (port, facts) in FACTS {
        let (to_server, to_client) = &conns[port];
        assert_eq!(guess_tcp_protocol(631, to_server), TcpProtocol::Http);
        let s = split_http(to_server, to_client);
        assert!(s.problems.is_empty(), "port {port}: {:?}", s.problems);
        assert!(s.orphan_responses.is_empty());
        assert_eq!(s.exchanges.len(), facts.len(), "port {port}");
        for (ex, fact) in s.exchanges.iter().zip(facts.iter()) {
            let req = &ex.request;
            assert_eq!(req.header("user-agent"), Some("CUPS/1.3.4"));
            assert_eq!(req.header("expect"), Some("100-continue"));
            assert_eq!(
                req.framing,
                BodyFraming::ContentLength(fact.request_body as u64)
            );
            assert!(req.complete && !req.body_withheld);
            let ipp = ipp_body(req).unwrap().unwrap();
            assert_eq!(ipp.code, fact.operation, "port {port}");
            assert_eq!(ipp.version, "1.1");
            assert_eq!(ipp.document_len, fact.document, "port {port}");

            assert_eq!(ex.interim.len(), 1);
            assert_eq!(ex.interim[0].status(), Some(100));
            let resp = ex.response.as_ref().unwrap();
            assert_eq!(resp.status(), Some(200));
            assert_eq!(resp.framing, BodyFraming::Chunked { chunks: 1 });
            assert_eq!(resp.body.len(), fact.response_body, "port {port}");
            let answer = ipp_body(resp).unwrap().unwrap();
            assert_eq!(answer.code, 0, "successful-ok");
            assert_eq!(answer.code_name, "successful-ok");
            assert_eq!(answer.request_id, ipp.request_id);
            assert_eq!(answer.document_len, 0);
        }
        // The messages tile both streams.
        let last = s.exchanges.last().unwrap();
        assert_eq!(last.request.range.end, to_server.len());
        assert_eq!(last.response.as_ref().unwrap().range.end, to_client.len());
    }
}
