//! The AppSocket session in memory: no socket, no clock, a fixed printer.

use super::{Action, DataKind, FixedView, JobId, JobSpec, Session, SessionConfig};
use crate::model::{Clock, Condition, Printer, SimTime, Speed};
use crate::pjl::{device_status, DeviceStatus, Response, StatusCode, UEL};
use crate::profile::Profile;

/// One job as the session described it.
#[derive(Debug, Default)]
struct Job {
    start: Option<JobSpec>,
    end: Option<JobSpec>,
    doc: Vec<u8>,
    pdl: Vec<u8>,
    aborted: Option<String>,
}

struct Harness {
    s: Session,
    view: FixedView,
    actions: Vec<Action>,
    out: Vec<u8>,
    now: SimTime,
}

impl Harness {
    fn new() -> Harness {
        Harness::with(SessionConfig::default())
    }

    fn with(config: SessionConfig) -> Harness {
        let view = FixedView::new(&Profile::default_profile().unwrap());
        let mut s = Session::new(config);
        s.handle_status(view.status.clone());
        Harness {
            s,
            view,
            actions: Vec::new(),
            out: Vec::new(),
            now: SimTime::ZERO,
        }
    }

    fn pump(&mut self) {
        while let Some(a) = self.s.poll_action() {
            self.actions.push(a);
        }
        while let Some(b) = self.s.poll_transmit() {
            self.out.extend_from_slice(&b);
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> &mut Harness {
        self.s.handle_input(self.now, bytes, &mut self.view);
        self.pump();
        self
    }

    fn eof(&mut self) -> &mut Harness {
        self.s.handle_eof(&mut self.view);
        self.pump();
        self
    }

    fn jobs(&self) -> Vec<Job> {
        let mut jobs: Vec<(JobId, Job)> = Vec::new();
        for a in &self.actions {
            match a {
                Action::StartJob { job, spec } => jobs.push((
                    *job,
                    Job {
                        start: Some(spec.clone()),
                        ..Default::default()
                    },
                )),
                Action::Data { job, kind, bytes } => {
                    let j = &mut jobs.iter_mut().find(|(id, _)| id == job).unwrap().1;
                    j.doc.extend_from_slice(bytes);
                    if *kind == DataKind::Pdl {
                        j.pdl.extend_from_slice(bytes);
                    }
                }
                Action::EndJob { job, spec } => {
                    jobs.iter_mut().find(|(id, _)| id == job).unwrap().1.end = Some(spec.clone())
                }
                Action::AbortJob { job, reason } => {
                    jobs.iter_mut().find(|(id, _)| id == job).unwrap().1.aborted =
                        Some(reason.clone())
                }
            }
        }
        jobs.into_iter().map(|(_, j)| j).collect()
    }

    fn ended(&self) -> Vec<JobId> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::EndJob { job, .. } => Some(*job),
                _ => None,
            })
            .collect()
    }

    /// The back-channel so far, as responses; each must be whole.
    fn responses(&mut self) -> Vec<Response> {
        let mut v = Vec::new();
        let mut rest = &self.out[..];
        while !rest.is_empty() {
            let (r, n) = Response::parse(rest).unwrap();
            v.push(r);
            rest = &rest[n..];
        }
        self.out.clear();
        v
    }
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn pdf(pages: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    for i in 0..pages {
        v.extend_from_slice(format!("{} 0 obj <</Type /Page>> endobj\n", i + 2).as_bytes());
    }
    v.extend_from_slice(b"%%EOF\n");
    v
}

/// A PDF wrapped in PJL as drivers send it.
fn wrapped(name: &str, body: &[u8]) -> Vec<u8> {
    cat(&[
        UEL,
        format!(
            "@PJL JOB NAME = \"{name}\"\r\n@PJL SET COPIES = 2\r\n@PJL ENTER LANGUAGE = PDF\r\n"
        )
        .as_bytes(),
        body,
        UEL,
        format!("@PJL EOJ NAME = \"{name}\"\r\n").as_bytes(),
        UEL,
    ])
}

#[test]
fn one_raw_job_to_eof() {
    let data = pdf(3);
    let mut h = Harness::new();
    h.feed(&data[..10]).feed(&data[10..]);
    assert_eq!(h.jobs().len(), 1, "the job starts with its first byte");
    assert!(h.ended().is_empty(), "and ends only at EOF");
    h.eof();
    let jobs = h.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].doc, data);
    assert_eq!(jobs[0].pdl, data);
    let end = jobs[0].end.clone().unwrap();
    assert_eq!(end.name, "AppSocket job");
    assert_eq!(end.copies, 1);
    assert!(!h.s.is_finished(), "the job has not printed yet");
    h.s.handle_job_finished(h.ended()[0], 3);
    assert!(h.s.is_finished());
    assert!(h.out.is_empty(), "nothing is sent unasked");
}

#[test]
fn two_raw_jobs_separated_by_a_uel() {
    let a = pdf(1);
    let b = b"%!PS-Adobe-3.0\nshowpage\n".to_vec();
    let data = cat(&[&a, UEL, &b]);
    let mut h = Harness::new();
    h.feed(&data).eof();
    let jobs = h.jobs();
    assert_eq!(jobs.len(), 2);
    // The UEL that ends the first job's data belongs to it.
    assert_eq!(jobs[0].doc, cat(&[&a, UEL]));
    assert_eq!(jobs[0].pdl, a);
    assert_eq!(jobs[1].doc, b);
    assert!(jobs.iter().all(|j| j.end.is_some()));
    // Together they are the whole stream.
    assert_eq!(cat(&[&jobs[0].doc, &jobs[1].doc]), data);
}

#[test]
fn a_pjl_wrapped_job_is_stored_whole_and_named_by_job_name() {
    let body = pdf(2);
    let data = wrapped("Quarterly report", &body);
    let mut h = Harness::new();
    h.feed(&data).eof();
    let jobs = h.jobs();
    assert_eq!(jobs.len(), 1, "JOB … EOJ spans the UELs between them");
    assert_eq!(jobs[0].doc, data, "UELs and PJL lines included");
    assert_eq!(jobs[0].pdl, body, "the print data is marked as such");
    assert_eq!(jobs[0].start.as_ref().unwrap().name, "Quarterly report");
    let end = jobs[0].end.clone().unwrap();
    assert_eq!(end.name, "Quarterly report");
    assert_eq!(end.copies, 2, "SET COPIES inside the job counts");
    assert_eq!(end.language.as_deref(), Some("PDF"));
}

#[test]
fn two_wrapped_jobs_on_one_connection() {
    let one = wrapped("one", &pdf(1));
    let two = wrapped("two", &pdf(2));
    let data = cat(&[&one, &two]);
    let mut h = Harness::new();
    h.feed(&data).eof();
    let jobs = h.jobs();
    let names: Vec<_> = jobs.iter().map(|j| j.end.clone().unwrap().name).collect();
    assert_eq!(names, ["one", "two"]);
    assert_eq!(jobs[0].doc, one);
    assert_eq!(jobs[1].doc, two);
    assert_eq!(jobs[1].end.clone().unwrap().copies, 2);
}

#[test]
fn a_query_only_connection_makes_no_job() {
    let data = cat(&[UEL, b"@PJL INFO ID\r\n@PJL INFO STATUS\r\n", UEL]);
    let mut h = Harness::new();
    h.feed(&data).eof();
    assert!(h.jobs().is_empty());
    assert!(h.s.is_finished());
    let r = h.responses();
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[0],
        Response::info("ID", vec!["\"paperjam Office Laser 4000\"".into()])
    );
    assert_eq!(r[1].header, "INFO STATUS");
    assert_eq!(r[1].device_status(), Some(DeviceStatus::ready()));
}

#[test]
fn info_answers_come_from_the_printer() {
    let mut h = Harness::new();
    h.view.page_count = 1234;
    h.view.status = DeviceStatus::new(StatusCode::PAPER_JAM, "Paper jam", false);
    h.feed(b"@PJL INFO PAGECOUNT\r\n@PJL INFO STATUS\r\n@PJL INFO CONFIG\r\n@PJL INFO MEMORY\r\n@PJL INFO FOO\r\n");
    let r = h.responses();
    assert_eq!(
        r[0].to_bytes(),
        b"@PJL INFO PAGECOUNT\r\n1234\r\n\x0c",
        "the PJL ref's layout: the count alone on its line"
    );
    assert_eq!(
        r[1].to_bytes(),
        b"@PJL INFO STATUS\r\nCODE=40022\r\nDISPLAY=\"Paper jam\"\r\nONLINE=FALSE\r\n\x0c"
    );
    assert!(
        r[2].lines.contains(&"\tPDF".to_string()),
        "{:?}",
        r[2].lines
    );
    assert!(r[2].lines.contains(&"\tA4".to_string()));
    assert_eq!(r[3].lines[0], "TOTAL=268435456");
    assert_eq!(r[4].lines, ["?"]);
}

#[test]
fn echo_inquire_set_and_default() {
    let mut h = Harness::new();
    h.feed(
        b"@PJL ECHO hello 12:00\r\n\
          @PJL INQUIRE COPIES\r\n\
          @PJL SET COPIES = 3\r\n\
          @PJL INQUIRE COPIES\r\n\
          @PJL DINQUIRE COPIES\r\n\
          @PJL DEFAULT DUPLEX = on\r\n\
          @PJL DINQUIRE DUPLEX\r\n\
          @PJL INQUIRE NOSUCHTHING\r\n\
          @PJL SET LPARM : PCL PITCH = 12\r\n\
          @PJL INQUIRE LPARM : PCL PITCH\r\n",
    );
    let r: Vec<Vec<u8>> = h.responses().iter().map(Response::to_bytes).collect();
    let want: Vec<&[u8]> = vec![
        b"@PJL ECHO hello 12:00\r\n\x0c",
        b"@PJL INQUIRE COPIES\r\n1\r\n\x0c",
        b"@PJL INQUIRE COPIES\r\n3\r\n\x0c",
        b"@PJL DINQUIRE COPIES\r\n1\r\n\x0c",
        b"@PJL DINQUIRE DUPLEX\r\nON\r\n\x0c",
        b"@PJL INQUIRE NOSUCHTHING\r\n?\r\n\x0c",
        b"@PJL INQUIRE LPARM : PCL PITCH\r\n12\r\n\x0c",
    ];
    assert_eq!(r, want);
    // DEFAULT went to the printer; SET stayed on the connection.
    assert_eq!(
        h.view
            .variables
            .default_value(&crate::pjl::VarKey::plain("DUPLEX"))
            .as_deref(),
        Some("ON")
    );
    // A job now: SET COPIES = 3 and the printer's DUPLEX default apply.
    h.feed(b"%PDF-1.4\n").eof();
    let end = h.jobs()[0].end.clone().unwrap();
    assert_eq!(end.copies, 3);
    assert!(end.duplex);
}

#[test]
fn set_values_end_with_the_job_and_at_a_uel_outside_one() {
    let mut h = Harness::new();
    h.feed(b"@PJL SET COPIES = 5\r\n@PJL ENTER LANGUAGE = PDF\r\n%PDF-1.4\n");
    h.feed(UEL);
    h.feed(b"@PJL INQUIRE COPIES\r\n");
    h.feed(UEL);
    h.feed(b"@PJL SET QTY = 2\r\n");
    h.feed(UEL);
    h.feed(b"@PJL INQUIRE QTY\r\n");
    let values: Vec<String> = h.responses().iter().map(|r| r.lines[0].clone()).collect();
    assert_eq!(values, ["1", "1"]);
    assert_eq!(h.jobs()[0].end.clone().unwrap().copies, 5);
}

#[test]
fn ustatus_device_sends_a_message_when_the_status_changes() {
    let mut h = Harness::new();
    h.s.handle_status(DeviceStatus::ready());
    h.pump();
    assert!(h.out.is_empty(), "off by default");
    h.feed(b"@PJL USTATUS DEVICE = ON\r\n");
    assert!(h.out.is_empty(), "turning it on sends nothing by itself");
    h.s.handle_status(DeviceStatus::ready());
    h.pump();
    assert!(h.out.is_empty(), "no change, no message");
    h.s.handle_status(DeviceStatus::new(StatusCode::DOOR_OPEN, "Door open", false));
    h.pump();
    assert_eq!(
        h.out,
        b"@PJL USTATUS DEVICE\r\nCODE=40021\r\nDISPLAY=\"Door open\"\r\nONLINE=FALSE\r\n\x0c"
    );
    h.out.clear();
    h.feed(b"@PJL USTATUSOFF\r\n");
    h.s.handle_status(DeviceStatus::ready());
    h.pump();
    assert!(h.out.is_empty());
}

#[test]
fn a_jam_mid_job_shows_as_40022() {
    let profile = std::sync::Arc::new(Profile::default_profile().unwrap());
    let mut p = Printer::new(profile, Clock::new(0), Speed::Realtime);
    let mut h = Harness::new();
    h.feed(b"@PJL USTATUS DEVICE = ON\r\n@PJL USTATUS JOB = ON\r\n@PJL ENTER LANGUAGE = PDF\r\n")
        .feed(&pdf(3))
        .eof();
    h.s.handle_status(device_status(&p));
    p.raise(Condition::MediaJam, SimTime(1000));
    h.s.handle_status(device_status(&p));
    h.pump();
    let r = h.responses();
    assert_eq!(r[0], Response::job_start("AppSocket job"));
    assert_eq!(r[1].header, "USTATUS DEVICE");
    let s = r[1].device_status().unwrap();
    assert_eq!(s.code, StatusCode::PAPER_JAM);
    assert!(!s.online);
    p.clear(Condition::MediaJam, SimTime(2000));
    h.s.handle_status(device_status(&p));
    let job = h.ended()[0];
    h.s.handle_job_finished(job, 3);
    h.pump();
    let r = h.responses();
    assert_eq!(r[0].device_status().unwrap().code, StatusCode::READY);
    assert_eq!(r[1], Response::job_end("AppSocket job", 3));
    assert!(h.s.is_finished());
}

#[test]
fn ustatus_job_and_page() {
    let mut h = Harness::new();
    h.feed(b"@PJL USTATUS JOB = ON\r\n@PJL USTATUS PAGE = ON\r\n");
    h.feed(&wrapped("w", &pdf(3))).eof();
    let job = h.ended()[0];
    h.s.handle_job_progress(job, 1);
    h.s.handle_job_progress(job, 1);
    h.s.handle_job_progress(job, 3);
    h.s.handle_job_finished(job, 3);
    h.pump();
    let r = h.responses();
    assert_eq!(
        r,
        [
            Response::job_start("w"),
            Response::page(1),
            Response::page(2),
            Response::page(3),
            Response::job_end("w", 3),
        ]
    );
}

#[test]
fn ustatus_timed_sends_the_status_every_period() {
    let mut h = Harness::new();
    h.now = SimTime(1_000);
    h.feed(b"@PJL USTATUS TIMED = 2\r\n");
    // Below the PJL ref's minimum of 5 s: the closest limit is used.
    assert_eq!(h.s.poll_timeout(), Some(SimTime(6_000)));
    h.s.handle_timeout(SimTime(5_999));
    h.pump();
    assert!(h.out.is_empty());
    h.s.handle_timeout(SimTime(6_000));
    h.pump();
    let r = h.responses();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].header, "USTATUS TIMED");
    assert_eq!(h.s.poll_timeout(), Some(SimTime(11_000)));
    h.feed(b"@PJL USTATUS TIMED = 0\r\n");
    assert_eq!(h.s.poll_timeout(), None);
}

#[test]
fn verbose_reports_ignored_lines() {
    let mut h = Harness::new();
    h.feed(b"@PJL USTATUS DEVICE = VERBOSE\r\n@PJL ECO wrong\r\n@PJL EOJ\r\n@PJL SET COPIES = 0\r\n@PJL JOB NAME = \"x\r\n");
    let codes: Vec<u32> = h
        .responses()
        .iter()
        .map(|r| r.device_status().unwrap().code.0)
        .collect();
    // Unsupported command, EOJ without JOB, value out of range, no closing quote.
    assert_eq!(codes, [20002, 27002, 25014, 20011]);
}

#[test]
fn unknown_commands_are_ignored_and_reading_goes_on() {
    let mut h = Harness::new();
    h.feed(b"@PJL RDYMSG DISPLAY = \"hi\"\r\n@PJL FSDIRLIST NAME = \"0:\\\" ENTRY=1\r\n@PJL garbage = = =\r\n@PJL ECHO still here\r\n");
    assert_eq!(h.responses(), [Response::echo("still here")]);
    assert!(h.jobs().is_empty());
}

#[test]
fn a_uel_split_at_every_offset_gives_the_same_jobs() {
    let data = cat(&[&pdf(1), UEL, b"@PJL ECHO between\r\n", UEL, &pdf(2)]);
    let mut whole = Harness::new();
    whole.feed(&data).eof();
    let want: Vec<Vec<u8>> = whole.jobs().into_iter().map(|j| j.doc).collect();
    let want_out = whole.out.clone();
    assert_eq!(want.len(), 2);
    for cut in 0..data.len() {
        let mut h = Harness::new();
        h.feed(&data[..cut]).feed(&data[cut..]).eof();
        let got: Vec<Vec<u8>> = h.jobs().into_iter().map(|j| j.doc).collect();
        assert_eq!(got, want, "cut at {cut}");
        assert_eq!(h.out, want_out, "cut at {cut}");
    }
    // And one byte at a time.
    let mut h = Harness::new();
    for b in &data {
        h.feed(std::slice::from_ref(b));
    }
    h.eof();
    assert_eq!(
        h.jobs().into_iter().map(|j| j.doc).collect::<Vec<_>>(),
        want
    );
}

#[test]
fn data_streams_out_at_once_holding_back_only_a_possible_uel() {
    let mut h = Harness::new();
    h.feed(b"%PDF-1.4 data \x1b%-123");
    let jobs = h.jobs();
    assert_eq!(jobs[0].doc, b"%PDF-1.4 data ");
    h.feed(b"45X");
    assert_eq!(h.ended().len(), 1, "the UEL completed, the job ended");
    let mut h = Harness::new();
    h.feed(b"abc\x1b%-12").eof();
    assert_eq!(h.jobs()[0].doc, b"abc\x1b%-12", "a UEL cut by EOF is data");
}

#[test]
fn a_megabyte_pjl_line_is_bounded_and_skipped() {
    let mut h = Harness::new();
    let mut line = b"@PJL COMMENT ".to_vec();
    line.resize(1 << 20, b'x');
    line.extend_from_slice(b"\r\n@PJL ECHO after\r\n");
    for c in line.chunks(4096) {
        h.feed(c);
    }
    h.eof();
    assert!(h.jobs().is_empty(), "a comment, however long, is not a job");
    assert_eq!(h.responses(), [Response::echo("after")]);
    assert!(h.s.is_finished());
}

#[test]
fn a_long_line_inside_a_job_stays_in_its_document() {
    let mut h = Harness::new();
    let mut data = cat(&[UEL, b"@PJL JOB\r\n@PJL COMMENT "]);
    data.resize(data.len() + 20_000, b'y');
    data.extend_from_slice(b"\r\n@PJL ENTER LANGUAGE = PDF\r\n%PDF-1.4\n");
    data.extend_from_slice(UEL);
    data.extend_from_slice(b"@PJL EOJ\r\n");
    data.extend_from_slice(UEL);
    h.feed(&data).eof();
    let jobs = h.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].doc, data);
    assert_eq!(jobs[0].pdl, b"%PDF-1.4\n");
}

#[test]
fn binary_garbage_is_a_raw_job() {
    let garbage: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let mut h = Harness::new();
    for c in garbage.chunks(333) {
        h.feed(c);
    }
    h.eof();
    let docs: Vec<Vec<u8>> = h.jobs().into_iter().map(|j| j.doc).collect();
    assert_eq!(docs.concat(), garbage);
}

#[test]
fn unterminated_lines_at_eof() {
    let mut h = Harness::new();
    h.feed(b"@PJL INFO ID").eof();
    assert!(h.out.is_empty(), "a command needs its line feed");
    assert!(h.jobs().is_empty());
    let mut h = Harness::new();
    h.feed(b"@P").eof();
    assert!(h.jobs().is_empty());
    assert!(h.s.is_finished());
}

#[test]
fn a_broken_connection_aborts_the_open_job() {
    let mut h = Harness::new();
    h.feed(b"%PDF-1.4 half");
    h.s.handle_abort("reset");
    h.pump();
    let jobs = h.jobs();
    assert_eq!(jobs[0].aborted.as_deref(), Some("reset"));
    assert!(jobs[0].end.is_none());
    assert!(h.s.is_finished());
}

#[test]
fn a_full_backlog_drops_responses() {
    let mut h = Harness::with(SessionConfig {
        max_backlog: 100,
        ..Default::default()
    });
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines.extend_from_slice(b"@PJL ECHO 0123456789\r\n");
    }
    h.s.handle_input(SimTime::ZERO, &lines, &mut h.view);
    assert!(h.s.dropped_responses() > 0);
    let out = h.s.poll_transmit().unwrap();
    assert!(out.len() < 200);
}

#[test]
fn pjl_before_a_job_beyond_the_limit_is_not_kept() {
    let mut h = Harness::with(SessionConfig {
        max_pending: 64,
        ..Default::default()
    });
    let mut data = UEL.to_vec();
    for _ in 0..10 {
        data.extend_from_slice(b"@PJL COMMENT padding\r\n");
    }
    data.extend_from_slice(b"@PJL ENTER LANGUAGE = PDF\r\n%PDF");
    h.feed(&data).eof();
    let jobs = h.jobs();
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].doc.ends_with(b"@PJL ENTER LANGUAGE = PDF\r\n%PDF"));
    assert!(jobs[0].doc.len() < data.len());
}

#[test]
fn blank_lines_make_no_job_but_stay_with_one() {
    let mut h = Harness::new();
    h.feed(&cat(&[UEL, b"@PJL INFO ID\r\n", UEL, b"\r\n"]))
        .eof();
    assert!(
        h.jobs().is_empty(),
        "a line feed after the last UEL is no job"
    );
    let mut h = Harness::new();
    h.feed(b"\r\n\nplain text\n").eof();
    assert_eq!(h.jobs()[0].doc, b"\r\n\nplain text\n");
}
