//! Fuzzing entry point for the PJL codec and the AppSocket session.
//!
//! [`fuzz_pjl`] checks invariants with `assert!`: a panic means a bug in the
//! codec or the session, never a problem with the input. It is called by the
//! `pjl` cargo-fuzz target and by `sim/tests/fuzz_seeds_pjl.rs`.

use std::sync::OnceLock;

use crate::appsocket::{Action, DataKind, FixedView, Session, SessionConfig};
use crate::model::SimTime;
use crate::profile::Profile;

use super::command::Command;
use super::response::Response;
use super::{find_uel, PjlError, UelScan, MAX_LINE, UEL};

/// Runs arbitrary bytes through the PJL codec and the AppSocket session and
/// asserts that:
///
/// - every line that parses as a command emits a line that parses back to
///   the same command, and emits identically again;
/// - a response that parses emits bytes that parse back to it;
/// - [`find_uel`] agrees with a naive search;
/// - a session fed the bytes whole and fed them in pieces (cut where the
///   data's own bytes say) does and sends exactly the same: the same jobs,
///   the same document bytes, the same back-channel output;
/// - every job started is ended once, after its data, and (when nothing had
///   to be dropped for being too long) each job's document is a run of the
///   input, the jobs in order.
///
/// # Panics
/// Only when an invariant is broken.
pub fn fuzz_pjl(data: &[u8]) {
    commands(data);
    responses(data);
    uel(data);
    session(data);
}

fn commands(data: &[u8]) {
    for line in data.split(|&b| b == b'\n') {
        if let Ok(cmd) = Command::parse_line(line) {
            let bytes = cmd.to_bytes();
            if bytes.len() > MAX_LINE {
                // Canonical spacing can make a line that fit too long.
                assert!(matches!(
                    Command::parse(&bytes),
                    Err(PjlError::LineTooLong { .. })
                ));
                continue;
            }
            let (again, used) = match Command::parse(&bytes) {
                Ok(x) => x,
                Err(e) => panic!(
                    "emitted {:?} of {cmd:?} does not parse: {e}",
                    String::from_utf8_lossy(&bytes)
                ),
            };
            assert_eq!(used, bytes.len(), "{cmd:?}");
            assert_eq!(again, cmd, "round trip of {bytes:?}");
            assert_eq!(again.to_bytes(), bytes);
        }
    }
}

fn responses(data: &[u8]) {
    if let Ok((r, used)) = Response::parse(data) {
        assert!(used <= data.len());
        let bytes = r.to_bytes();
        let plain = r
            .lines
            .iter()
            .chain([&r.header])
            .all(|l| !l.contains(['\r', '\n', '\u{c}']));
        if plain {
            match Response::parse(&bytes) {
                Ok((again, n)) => {
                    assert_eq!(n, bytes.len());
                    assert_eq!(again, r);
                }
                Err(e) => panic!("emitted response {bytes:?} does not parse: {e}"),
            }
        }
    }
}

fn uel(data: &[u8]) {
    let naive_found = data.windows(UEL.len()).position(|w| w == UEL);
    match find_uel(data) {
        UelScan::Found(i) => assert_eq!(Some(i), naive_found),
        UelScan::Partial(i) => {
            assert!(naive_found.is_none());
            assert!(UEL.starts_with(&data[i..]) && data.len() - i < UEL.len());
        }
        UelScan::None => assert!(naive_found.is_none()),
    }
}

/// What a session did: actions with adjacent data merged, and the output.
#[derive(Debug, PartialEq, Eq)]
struct Transcript {
    actions: Vec<Action>,
    output: Vec<u8>,
}

fn drive(chunks: &[&[u8]], profile: &Profile) -> Transcript {
    let mut view = FixedView::new(profile);
    let mut s = Session::new(SessionConfig::default());
    s.handle_status(view.status.clone());
    let mut t = Transcript {
        actions: Vec::new(),
        output: Vec::new(),
    };
    let pump = |s: &mut Session, t: &mut Transcript| {
        while let Some(a) = s.poll_action() {
            push_merged(&mut t.actions, a);
        }
        while let Some(b) = s.poll_transmit() {
            t.output.extend_from_slice(&b);
        }
    };
    for c in chunks {
        s.handle_input(SimTime::ZERO, c, &mut view);
        pump(&mut s, &mut t);
    }
    s.handle_eof(&mut view);
    pump(&mut s, &mut t);
    let ended: Vec<_> = t
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::EndJob { job, .. } => Some(*job),
            _ => None,
        })
        .collect();
    for j in ended {
        s.handle_job_finished(j, 1);
    }
    pump(&mut s, &mut t);
    assert!(
        s.is_finished(),
        "a session is finished after EOF and its jobs"
    );
    t
}

fn push_merged(actions: &mut Vec<Action>, a: Action) {
    if let (
        Some(Action::Data {
            job: j0,
            kind: k0,
            bytes: b0,
        }),
        Action::Data { job, kind, bytes },
    ) = (actions.last_mut(), &a)
    {
        if j0 == job && k0 == kind {
            b0.extend_from_slice(bytes);
            return;
        }
    }
    actions.push(a);
}

/// The default profile, parsed once.
fn profile() -> Option<&'static Profile> {
    static PROFILE: OnceLock<Option<Profile>> = OnceLock::new();
    PROFILE
        .get_or_init(|| Profile::default_profile().ok())
        .as_ref()
}

fn session(data: &[u8]) {
    let Some(profile) = profile() else {
        return;
    };
    let whole = drive(&[data], profile);
    // Cut points from the data itself, so the fuzzer explores them.
    let mut chunks = Vec::new();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = (usize::from(data[i % data.len()]) % 13 + 1).min(rest.len());
        chunks.push(&rest[..n]);
        rest = &rest[n..];
        i += 1;
    }
    let pieces = drive(&chunks, profile);
    assert_eq!(
        whole, pieces,
        "feeding in pieces changed what the session did"
    );
    let bytewise: Vec<&[u8]> = data.chunks(1).collect();
    assert_eq!(
        whole,
        drive(&bytewise, profile),
        "feeding byte by byte changed it"
    );

    // Every job: started, then data, then ended, once.
    let mut open = None;
    let mut docs: Vec<Vec<u8>> = Vec::new();
    for a in &whole.actions {
        match a {
            Action::StartJob { job, .. } => {
                assert!(open.is_none(), "a job started while {open:?} was open");
                open = Some(*job);
                docs.push(Vec::new());
            }
            Action::Data { job, bytes, kind } => {
                assert_eq!(open, Some(*job), "data for a job that is not open");
                assert!(!bytes.is_empty());
                if *kind == DataKind::Pdl {
                    assert!(find_uel(bytes) != UelScan::Found(0) || bytes.len() < UEL.len());
                }
                if let Some(d) = docs.last_mut() {
                    d.extend_from_slice(bytes);
                }
            }
            Action::EndJob { job, .. } => {
                assert_eq!(open, Some(*job), "a job ended that was not open");
                open = None;
            }
            Action::AbortJob { .. } => panic!("nothing aborts without handle_abort"),
        }
    }
    assert!(open.is_none(), "EOF ends the open job");
    if data.len() < SessionConfig::default().max_pending {
        let mut cursor = 0;
        for d in &docs {
            let at = data[cursor..]
                .windows(d.len().max(1))
                .position(|w| w == d.as_slice());
            match at {
                Some(at) => cursor += at + d.len(),
                None => panic!("a job's document is not a run of the input after the previous job"),
            }
        }
    }
}
