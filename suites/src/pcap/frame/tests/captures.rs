//! One test per committed capture (`captures/*.pcapng`, recorded against
//! `paperjam serve`): reassembled by [`crate::pcap::tcp::reassemble_file`],
//! the protocol guessed from the client's first bytes (the ports were
//! random), then framed. The byte constants of the LPD tests are checked
//! against the real streams here.

use std::path::PathBuf;

use super::super::lpd::{split_lpd, LpdCommandKind, SubcommandKind};
use super::super::socket::split_socket;
use super::super::{guess_tcp_protocol, TcpProtocol};
use super::letter_pdf;
use crate::pcap::tcp::{reassemble_file, Flow};

fn flows(name: &str) -> Vec<Flow> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../captures")
        .join(name);
    let mut flows = reassemble_file(&path).unwrap().flows;
    flows.sort_by_key(|f| f.first_frame);
    flows
}

#[test]
fn lpd_cups_backend_pcapng() {
    let f = flows("lpd-cups-backend.pcapng");
    assert_eq!(f.len(), 1);
    let (c, s) = (&f[0].to_server, &f[0].to_client);
    assert_eq!((c.clone(), s.clone()), super::lpd::cups_session());
    assert_eq!(guess_tcp_protocol(f[0].server.port(), c), TcpProtocol::Lpd);
    let split = split_lpd(c, s);
    assert!(split.problems.is_empty(), "{:?}", split.problems);
    let subs = &split.commands[0].subcommands;
    assert_eq!(subs[0].kind, SubcommandKind::ControlFile);
    assert_eq!(&c[subs[1].content.clone().unwrap()], letter_pdf());
}

#[test]
fn lpd_lprng_lpr_lpq_pcapng() {
    let f = flows("lpd-lprng-lpr-lpq.pcapng");
    assert_eq!(f.len(), 2);
    assert_eq!(
        (f[0].to_server.clone(), f[0].to_client.clone()),
        super::lpd::lprng_session()
    );
    let lpr = split_lpd(&f[0].to_server, &f[0].to_client);
    assert!(lpr.problems.is_empty(), "{:?}", lpr.problems);
    let kinds: Vec<_> = lpr.commands[0].subcommands.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [SubcommandKind::DataFile, SubcommandKind::ControlFile]
    );

    assert_eq!(
        guess_tcp_protocol(f[1].server.port(), &f[1].to_server),
        TcpProtocol::Lpd
    );
    let lpq = split_lpd(&f[1].to_server, &f[1].to_client);
    assert!(lpq.problems.is_empty(), "{:?}", lpq.problems);
    assert!(matches!(
        lpq.commands[0].kind,
        LpdCommandKind::QueueState { long: true, .. }
    ));
    assert_eq!(lpq.commands[0].answer, Some(0..160));
}

#[test]
fn appsocket_cups_socket_backend_pcapng() {
    let f = flows("appsocket-cups-socket-backend.pcapng");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].to_server, letter_pdf());
    assert!(f[0].to_client.is_empty());
    assert_eq!(
        guess_tcp_protocol(f[0].server.port(), &f[0].to_server),
        TcpProtocol::AppSocket
    );
    let s = split_socket(&f[0].to_server, &f[0].to_client);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(s.documents.len(), 1);
    assert_eq!(s.documents[0].language.as_deref(), Some("PDF"));
}
