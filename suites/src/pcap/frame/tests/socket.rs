//! AppSocket/PJL framing, by chapter of the HP PJL Technical Reference.

use super::super::socket::{guess_language, split_socket, BackChannelKind, PjlKind};
use super::super::{Dir, ProblemKind};
use super::letter_pdf;

#[test]
fn cups_socket_backend_sends_the_bare_pdf() {
    // captures/appsocket-cups-socket-backend.pcapng: the PDF, no PJL, an
    // empty back-channel.
    let s = split_socket(letter_pdf(), b"");
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(s.job, 0..2926);
    assert!(s.uels.is_empty() && s.pjl.is_empty() && s.back_channel.is_empty());
    assert_eq!(s.documents.len(), 1);
    let d = &s.documents[0];
    assert_eq!(d.range, 0..2926);
    assert_eq!(d.language.as_deref(), Some("PDF"));
    assert!(!d.entered && !d.ended_by_uel);
}

const UEL: &[u8] = b"\x1b%-12345X";

fn pjl_job() -> Vec<u8> {
    let mut j = UEL.to_vec();
    j.extend_from_slice(
        b"@PJL\r\n@PJL JOB NAME = \"t 1\"\r\n@PJL INFO ID\r\n@PJL ECHO hello 123\r\n\
@PJL USTATUS DEVICE = ON\r\n@PJL SET COPIES = 2\r\n@PJL INQUIRE RESOLUTION\r\n\
@PJL ENTER LANGUAGE = PDF\r\n",
    );
    j.extend_from_slice(letter_pdf());
    j.extend_from_slice(UEL);
    j.extend_from_slice(b"@PJL EOJ NAME = \"t 1\"\r\n");
    j.extend_from_slice(UEL);
    j
}

const BACK: &[u8] = b"@PJL INFO ID\r\n\"HP LaserJet 4250\"\r\n\x0c@PJL ECHO hello 123\r\n\x0c\
%%[ status: idle ]%%\r\n@PJL USTATUS DEVICE\r\nCODE=10001\r\nDISPLAY=\"READY\"\r\nONLINE=TRUE\r\n\x0c";

#[test]
fn pjl_ref_ch5_ch7_job_with_info_id_and_echo() {
    let job = pjl_job();
    let s = split_socket(&job, BACK);
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    let doc_start = job.len() - 2926 - 2 * UEL.len() - 23;
    assert_eq!(s.uels, [0, doc_start + 2926, job.len() - UEL.len()]);
    let kinds: Vec<&PjlKind> = s.pjl.iter().map(|l| &l.kind).collect();
    assert_eq!(
        kinds,
        [
            &PjlKind::Prefix,
            &PjlKind::Job {
                name: Some("t 1".into())
            },
            &PjlKind::Info {
                category: "ID".into()
            },
            &PjlKind::Echo {
                text: "hello 123".into()
            },
            &PjlKind::Ustatus {
                kind: "DEVICE".into(),
                value: "ON".into()
            },
            &PjlKind::Set {
                variable: "COPIES".into(),
                value: "2".into()
            },
            &PjlKind::Inquire {
                variable: "RESOLUTION".into()
            },
            &PjlKind::EnterLanguage {
                language: "PDF".into()
            },
            &PjlKind::Eoj {
                name: Some("t 1".into())
            },
        ]
    );
    assert_eq!(s.pjl[0].range, 9..15);
    assert_eq!(s.pjl[2].text, "@PJL INFO ID");
    assert!(s.pjl.iter().all(|l| l.terminated));
    assert_eq!(s.documents.len(), 1);
    let d = &s.documents[0];
    assert_eq!(d.range, doc_start..doc_start + 2926);
    assert_eq!(&job[d.range.clone()], letter_pdf());
    assert_eq!(d.language.as_deref(), Some("PDF"));
    assert!(d.entered && d.ended_by_uel);

    let parts = &s.back_channel;
    assert_eq!(parts.len(), 4);
    assert_eq!(
        parts[0].kind,
        BackChannelKind::Pjl {
            header: "INFO ID".into(),
            lines: vec!["\"HP LaserJet 4250\"".into()]
        }
    );
    assert_eq!(parts[0].pjl_command(), Some("INFO"));
    assert_eq!(parts[1].pjl_command(), Some("ECHO"));
    assert!(matches!(&parts[2].kind, BackChannelKind::Text { text } if text.starts_with("%%[")));
    assert_eq!(parts[3].pjl_command(), Some("USTATUS"));
    assert_eq!(parts[3].range.end, BACK.len());
    // The parts tile the back-channel.
    let mut at = 0;
    for p in parts {
        assert_eq!(p.range.start, at);
        at = p.range.end;
    }
    assert_eq!(at, BACK.len());
}

#[test]
fn pjl_ref_ch7_response_without_its_form_feed_is_truncated() {
    let s = split_socket(b"", b"@PJL INFO STATUS\r\nCODE=10001\r\n");
    assert_eq!(s.back_channel.len(), 1);
    assert!(!s.back_channel[0].complete);
    assert_eq!(
        s.back_channel[0].kind,
        BackChannelKind::Pjl {
            header: "INFO STATUS".into(),
            lines: vec!["CODE=10001".into()]
        }
    );
    assert_eq!(s.problems[0].kind, ProblemKind::Truncated);
    assert_eq!(s.problems[0].stream, Dir::ToClient);
}

#[test]
fn pjl_ref_ch5_pjl_without_a_uel_is_a_violation() {
    let s = split_socket(b"@PJL INFO ID\r\n", b"");
    assert_eq!(s.pjl.len(), 1);
    assert_eq!(s.problems[0].kind, ProblemKind::Violation);
}

#[test]
fn pjl_ref_ch2_malformed_line_is_kept_and_reported() {
    let mut job = UEL.to_vec();
    job.extend_from_slice(b"@PJL SET = 3\r\n@PJL ENTER LANGUAGE = PCL\n\x1bE...");
    let s = split_socket(&job, b"");
    assert!(matches!(s.pjl[0].kind, PjlKind::Malformed { .. }));
    assert_eq!(s.problems[0].kind, ProblemKind::Malformed);
    assert_eq!(s.problems[0].offset, 9);
    assert_eq!(s.documents[0].language.as_deref(), Some("PCL"));
    assert!(!s.documents[0].ended_by_uel);
}

#[test]
fn data_where_pjl_is_due_is_print_data_by_content() {
    let mut job = UEL.to_vec();
    job.extend_from_slice(b"\r\n%!PS-Adobe-3.0\nshowpage\n");
    job.extend_from_slice(UEL);
    let s = split_socket(&job, b"");
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert_eq!(s.documents.len(), 1);
    assert_eq!(s.documents[0].range, 11..job.len() - 9);
    assert_eq!(s.documents[0].language.as_deref(), Some("POSTSCRIPT"));
    assert!(!s.documents[0].entered);
}

#[test]
fn truncated_pjl_line_and_every_cut() {
    let s = split_socket(b"\x1b%-12345X@PJL INFO", b"");
    assert!(!s.pjl[0].terminated);
    assert!(s.problems.iter().any(|p| p.kind == ProblemKind::Truncated));
    let job = pjl_job();
    for cut in 0..=job.len() {
        let s = split_socket(&job[..cut], &BACK[..cut.min(BACK.len())]);
        for l in &s.pjl {
            assert!(l.range.end <= cut);
        }
        for d in &s.documents {
            assert!(d.range.end <= cut);
        }
    }
}

#[test]
fn languages_by_content() {
    assert_eq!(guess_language(b"%PDF-1.4"), Some("PDF"));
    assert_eq!(guess_language(b"%!PS"), Some("POSTSCRIPT"));
    assert_eq!(guess_language(b"\x1bE\x1b&l0O"), Some("PCL"));
    assert_eq!(guess_language(b") HP-PCL XL;2;0"), Some("PCLXL"));
    assert_eq!(guess_language(b"plain"), None);
}
