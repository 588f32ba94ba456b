//! LPD framing by RFC 1179 clause, over the streams of the committed
//! captures (`captures/lpd-*.pcapng`: the protocol bytes are written out
//! here, the 2926-byte PDF they carry is `fixtures/documents/document-letter.pdf`).

use super::super::lpd::{split_lpd, LpdCommandKind, SubcommandKind};
use super::super::{Dir, ProblemKind};
use super::letter_pdf;

/// `captures/lpd-cups-backend.pcapng`: CUPS 2.4.2, control file first.
pub(super) fn cups_session() -> (Vec<u8>, Vec<u8>) {
    let mut c = b"\x02lp\n\x0251 cfA861vm\nHvm\nPalice\nJMy Title\nldfA861vm\nUdfA861vm\nNMy Title\n\x00\x032926 dfA861vm\n".to_vec();
    c.extend_from_slice(letter_pdf());
    c.push(0);
    (c, vec![0; 5])
}

/// `captures/lpd-lprng-lpr-lpq.pcapng`, first connection: LPRng 3.8.B with
/// `send_data_first`.
pub(super) fn lprng_session() -> (Vec<u8>, Vec<u8>) {
    let mut c = b"\x02lp\n\x032926 dfA457localhost\n".to_vec();
    c.extend_from_slice(letter_pdf());
    c.extend_from_slice(
        b"\x00\x02211 cfA457localhost\nHlocalhost\nProot\nJ/work/main/fixtures/documents/document-letter.pdf\n\
CA\nLroot\nAroot@localhost+457\nD2026-11-27-16:23:47.439\nQlp\nN/work/main/fixtures/documents/document-letter.pdf\n\
fdfA457localhost\nUdfA457localhost\n\x00",
    );
    (c, vec![0; 5])
}

/// The same capture, second connection: `lpq -l` of the paused printer.
const LPQ_REQUEST: &[u8] = b"\x04lp\n";
const LPQ_ANSWER: &[u8] = b"Warning: lp is down: Paused (paused)\n\nroot: 1st                                [job 001localhost]\n\t/work/main/fixtures/documents/document-letter.pdf 2926 bytes\n";

#[test]
fn rfc1179_6_cups_sends_the_control_file_first() {
    let (c, s) = cups_session();
    let split = split_lpd(&c, &s);
    assert!(split.problems.is_empty(), "{:?}", split.problems);
    assert_eq!(split.commands.len(), 1);
    let cmd = &split.commands[0];
    assert_eq!(cmd.range, 0..4);
    assert_eq!(cmd.kind, LpdCommandKind::ReceiveJob { queue: "lp".into() });
    assert_eq!((cmd.ack, cmd.ack_offset), (Some(0), Some(0)));
    assert_eq!(cmd.subcommands.len(), 2);
    let cf = &cmd.subcommands[0];
    assert_eq!(cf.kind, SubcommandKind::ControlFile);
    assert_eq!(cf.name.as_deref(), Some("cfA861vm"));
    assert_eq!(cf.count, Some(51));
    assert_eq!(cf.range, 4..17);
    assert_eq!(cf.content, Some(17..68));
    assert_eq!(cf.nul, Some(68));
    assert_eq!((cf.ack, cf.ack_offset), (Some(0), Some(1)));
    assert_eq!((cf.content_ack, cf.content_ack_offset), (Some(0), Some(2)));
    let lines: Vec<(char, &str)> = cf
        .control
        .iter()
        .map(|l| (l.letter, l.value.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ('H', "vm"),
            ('P', "alice"),
            ('J', "My Title"),
            ('l', "dfA861vm"),
            ('U', "dfA861vm"),
            ('N', "My Title")
        ]
    );
    let df = &cmd.subcommands[1];
    assert_eq!(df.kind, SubcommandKind::DataFile);
    assert_eq!(df.name.as_deref(), Some("dfA861vm"));
    assert_eq!(df.count, Some(2926));
    let content = df.content.clone().unwrap();
    assert_eq!(&c[content.clone()], letter_pdf());
    assert_eq!(df.nul, Some(content.end));
    assert_eq!(df.content_ack_offset, Some(4));
    assert!(df.complete && cf.complete);
    assert!(cmd.answer.is_none());
}

#[test]
fn rfc1179_6_lprng_sends_the_data_file_first() {
    let (c, s) = lprng_session();
    let split = split_lpd(&c, &s);
    assert!(split.problems.is_empty(), "{:?}", split.problems);
    let subs = &split.commands[0].subcommands;
    let kinds: Vec<_> = subs.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [SubcommandKind::DataFile, SubcommandKind::ControlFile]
    );
    assert_eq!(&c[subs[0].content.clone().unwrap()], letter_pdf());
    assert_eq!(subs[1].count, Some(211));
    assert_eq!(subs[1].control.len(), 11);
    assert_eq!(subs[1].control[0].letter, 'H');
    assert_eq!(subs[1].control[0].value, "localhost");
    assert_eq!(subs[1].control[9].letter, 'f');
    assert_eq!(subs[1].content_ack_offset, Some(4));
}

#[test]
fn rfc1179_5_4_long_queue_state_answer_is_the_whole_reply() {
    let split = split_lpd(LPQ_REQUEST, LPQ_ANSWER);
    assert!(split.problems.is_empty(), "{:?}", split.problems);
    let cmd = &split.commands[0];
    assert_eq!(
        cmd.kind,
        LpdCommandKind::QueueState {
            long: true,
            queue: "lp".into(),
            list: vec![]
        }
    );
    assert_eq!(cmd.answer, Some(0..160));
    assert!(cmd
        .answer_text
        .as_deref()
        .unwrap()
        .starts_with("Warning: lp is down"));
    assert_eq!(cmd.ack, None);
}

#[test]
fn rfc1179_5_5_remove_jobs() {
    let split = split_lpd(b"\x05lp alice 12 13\n", b"");
    assert_eq!(
        split.commands[0].kind,
        LpdCommandKind::Remove {
            queue: "lp".into(),
            agent: "alice".into(),
            list: vec!["12".into(), "13".into()]
        }
    );
    assert!(split.problems.is_empty());
}

#[test]
fn rfc1179_5_2_refused_queue() {
    let split = split_lpd(b"\x02nosuchqueue\n", b"\x01");
    let cmd = &split.commands[0];
    assert_eq!(cmd.ack, Some(1));
    assert!(cmd.subcommands.is_empty());
    assert!(split.problems.is_empty());
}

#[test]
fn rfc1179_6_2_refused_control_file_then_abort() {
    let split = split_lpd(b"\x02lp\n\x02999 cfA1h\n\x01\n", b"\x00\x01");
    let subs = &split.commands[0].subcommands;
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[0].ack, Some(1));
    assert_eq!(subs[0].content, None);
    assert_eq!(subs[1].kind, SubcommandKind::Abort);
    assert!(split.problems.is_empty(), "{:?}", split.problems);
}

#[test]
fn missing_acks_are_none() {
    let (c, s) = cups_session();
    let split = split_lpd(&c, &s[..2]);
    let subs = &split.commands[0].subcommands;
    assert_eq!(subs[0].ack, Some(0));
    assert_eq!(subs[0].content_ack, None);
    assert_eq!(subs[1].ack, None);
    // The file is still read: the client sent it.
    assert_eq!(subs[1].content.as_ref().map(|r| r.len()), Some(2926));
}

#[test]
fn data_file_of_length_zero_runs_until_close() {
    let split = split_lpd(b"\x02lp\n\x030 dfA1h\nsome data\x00more", b"\x00\x00");
    let sub = &split.commands[0].subcommands[0];
    assert_eq!(sub.count, Some(0));
    assert_eq!(sub.content, Some(13..27));
    assert_eq!(sub.nul, None);
    assert!(split.problems.is_empty(), "{:?}", split.problems);
}

#[test]
fn rfc1179_6_2_file_not_followed_by_nul_is_a_violation() {
    let split = split_lpd(b"\x02lp\n\x023 cfA1h\nHx\nX", b"\x00\x00");
    assert!(split
        .problems
        .iter()
        .any(|p| p.kind == ProblemKind::Violation && p.offset == 16));
}

#[test]
fn extra_server_bytes_after_the_acks_are_unmatched() {
    let split = split_lpd(b"\x02lp\n", b"\x00queue is full\n");
    assert_eq!(split.commands[0].answer, Some(1..15));
    assert_eq!(split.problems[0].kind, ProblemKind::Unmatched);
    assert_eq!(split.problems[0].stream, Dir::ToClient);
}

#[test]
fn truncated_at_every_byte_never_panics() {
    for (c, s) in [cups_session(), lprng_session()] {
        let full = split_lpd(&c, &s);
        for cut in 0..=c.len() {
            let split = split_lpd(&c[..cut], &s);
            for cmd in &split.commands {
                for (i, sub) in cmd.subcommands.iter().enumerate() {
                    assert!(sub.range.end <= cut);
                    let whole = &full.commands[0].subcommands[i];
                    assert_eq!(sub.range, whole.range);
                    if sub.complete && sub.nul.is_some() {
                        assert_eq!(sub, whole, "cut {cut}");
                    }
                }
            }
            if cut < c.len() && cut > 0 {
                let truncated = split
                    .problems
                    .iter()
                    .any(|p| p.kind == ProblemKind::Truncated);
                let ended_clean = split
                    .commands
                    .first()
                    .map(|c| c.subcommands.iter().all(|s| s.complete))
                    .unwrap_or(false);
                assert!(truncated || ended_clean, "cut {cut}: {:?}", split.problems);
            }
        }
        for cut in 0..=s.len() {
            let _ = split_lpd(&c, &s[..cut]);
        }
    }
}

#[test]
fn garbage_is_reported_not_panicked_on() {
    let split = split_lpd(b"\x02\n", b"");
    assert!(split.commands.is_empty());
    assert_eq!(split.problems[0].kind, ProblemKind::Unparsed);
    let split = split_lpd(b"\x02lp\n\x02abc cf\n", b"\x00\x00");
    assert_eq!(split.problems[0].kind, ProblemKind::Unparsed);
    assert_eq!(split.problems[0].offset, 4);
    let split = split_lpd(b"\x09whatever\n", b"");
    assert!(matches!(
        split.commands[0].kind,
        LpdCommandKind::Unknown { code: 9, .. }
    ));
    let split = split_lpd(b"", b"\x00");
    assert_eq!(split.problems[0].kind, ProblemKind::Unmatched);
}
