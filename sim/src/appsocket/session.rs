//! One AppSocket connection's state machine (see the module docs of
//! [`crate::appsocket`] for the contract and the job rules).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::model::SimTime;
use crate::pjl::status::pwg_media;
use crate::pjl::{
    find_uel, Command, DeviceStatus, InfoCategory, PjlError, Response, StatusCode, UelScan,
    UstatusKind, Value, VarKey, MAX_LINE, PREFIX, UEL,
};

use super::view::PrinterView;

/// What `INFO MEMORY` and `INFO CONFIG` report, bytes.
pub(crate) const MEMORY: u64 = 268_435_456;

/// A job's number on its connection (1, 2, 3…); the tokio layer maps it to
/// the model's `job-id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u32);

/// What a chunk of a job's document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// UELs and PJL command lines.
    Pjl,
    /// Print data: the page description language.
    Pdl,
}

/// How a job should be described in the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// `job-name`: `JOB NAME`, else `SET JOBNAME`, else the default.
    pub name: String,
    /// `job-originating-user-name`: `SET USERNAME`, else the default.
    pub user: String,
    /// `COPIES` × `QTY`.
    pub copies: u32,
    /// `DUPLEX = ON`.
    pub duplex: bool,
    /// `PAPER`, as a PWG size name, when the job set it.
    pub media: Option<String>,
    /// The language of `ENTER LANGUAGE`, if any.
    pub language: Option<String>,
}

/// What the session asks of the printer model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A job begins: create it, and start its one document.
    StartJob {
        /// The job.
        job: JobId,
        /// Its description so far.
        spec: JobSpec,
    },
    /// The next bytes of the job's document, in order.
    Data {
        /// The job.
        job: JobId,
        /// PJL framing or print data.
        kind: DataKind,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// The job's last byte is in: store the document and let it print.
    EndJob {
        /// The job.
        job: JobId,
        /// Its final description (`SET`s made after it started count).
        spec: JobSpec,
    },
    /// The job cannot be finished (the connection broke): abort it.
    AbortJob {
        /// The job.
        job: JobId,
        /// Why.
        reason: String,
    },
}

/// Limits and defaults of a session.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Longest PJL line, terminator included.
    pub max_line: usize,
    /// Most bytes of PJL lines kept for a job that has not started yet.
    pub max_pending: usize,
    /// Most bytes of back-channel output waiting to be sent.
    pub max_backlog: usize,
    /// `job-name` of a job that names none.
    pub default_job_name: String,
    /// `job-originating-user-name` of a job that names none.
    pub default_user: String,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            max_line: MAX_LINE,
            max_pending: 64 * 1024,
            max_backlog: 1 << 20,
            default_job_name: "AppSocket job".into(),
            default_user: "anonymous".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// At the start of a segment: PJL or print data?
    SegmentStart,
    /// Reading PJL command lines.
    Pjl,
    /// Skipping an overlong PJL line to its end.
    SkipLine,
    /// Print data up to the next UEL.
    Data,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeviceMode {
    Off,
    On,
    Verbose,
}

#[derive(Debug)]
struct OpenJob {
    id: JobId,
    /// `JOB NAME`.
    name: Option<String>,
    /// Open `JOB` commands not yet matched by `EOJ`.
    depth: u32,
    language: Option<String>,
}

#[derive(Debug)]
struct Printing {
    name: String,
    pages_reported: u64,
}

/// One AppSocket connection (see the module docs).
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    input: Vec<u8>,
    mode: Mode,
    eof: bool,
    pending: Vec<u8>,
    pending_lost: bool,
    open: Option<OpenJob>,
    env: BTreeMap<VarKey, String>,
    device: DeviceMode,
    job_status: bool,
    page_status: bool,
    timed: Option<Duration>,
    next_timed: Option<SimTime>,
    now: SimTime,
    status: Option<DeviceStatus>,
    out: Vec<u8>,
    dropped: u64,
    actions: VecDeque<Action>,
    printing: BTreeMap<JobId, Printing>,
    next_job: u32,
}

impl Session {
    /// A new connection.
    pub fn new(config: SessionConfig) -> Session {
        Session {
            config,
            input: Vec::new(),
            mode: Mode::SegmentStart,
            eof: false,
            pending: Vec::new(),
            pending_lost: false,
            open: None,
            env: BTreeMap::new(),
            device: DeviceMode::Off,
            job_status: false,
            page_status: false,
            timed: None,
            next_timed: None,
            now: SimTime::ZERO,
            status: None,
            out: Vec::new(),
            dropped: 0,
            actions: VecDeque::new(),
            printing: BTreeMap::new(),
            next_job: 1,
        }
    }

    // ----- inputs -----

    /// Bytes from the client, at simulated time `now`.
    pub fn handle_input(&mut self, now: SimTime, bytes: &[u8], view: &mut dyn PrinterView) {
        self.now = self.now.max(now);
        if self.eof {
            tracing::debug!(len = bytes.len(), "appsocket: input after EOF ignored");
            return;
        }
        self.input.extend_from_slice(bytes);
        self.process(view);
    }

    /// The client shut down its sending side: what is buffered is read as
    /// it stands (an unterminated PJL line is ignored, a UEL cut short is
    /// data), and the open job ends.
    pub fn handle_eof(&mut self, view: &mut dyn PrinterView) {
        if self.eof {
            return;
        }
        self.eof = true;
        self.process(view);
        if !self.input.is_empty() {
            let rest = std::mem::take(&mut self.input);
            self.keep(&rest, DataKind::Pdl);
        }
        if self.open.is_some() {
            self.end_job(view);
        }
        self.pending.clear();
    }

    /// The connection broke (reset, timeout, shutdown): the open job is
    /// aborted and nothing more is read.
    pub fn handle_abort(&mut self, reason: &str) {
        self.eof = true;
        self.input.clear();
        self.pending.clear();
        if let Some(job) = self.open.take() {
            self.actions.push_back(Action::AbortJob {
                job: job.id,
                reason: reason.to_string(),
            });
        }
    }

    /// The printer's status now. When it differs from the last one and
    /// `USTATUS DEVICE` is on, an unsolicited `@PJL USTATUS DEVICE` goes out.
    pub fn handle_status(&mut self, status: DeviceStatus) {
        if self.status.as_ref() == Some(&status) {
            return;
        }
        let first = self.status.is_none();
        self.status = Some(status);
        if !first && self.device != DeviceMode::Off {
            if let Some(s) = self.status.clone() {
                self.send(Response::ustatus_device(&UstatusKind::Device, &s));
            }
        }
    }

    /// Pages of `job` printed so far (its impressions completed).
    pub fn handle_job_progress(&mut self, job: JobId, printed: u64) {
        let Some(p) = self.printing.get_mut(&job) else {
            return;
        };
        let from = p.pages_reported;
        p.pages_reported = p.pages_reported.max(printed);
        if self.page_status {
            for n in from + 1..=printed {
                if !self.send(Response::page(n)) {
                    break;
                }
            }
        }
    }

    /// `job` is done in the model (completed, aborted or canceled) after
    /// `printed` pages.
    pub fn handle_job_finished(&mut self, job: JobId, printed: u64) {
        self.handle_job_progress(job, printed);
        if let Some(p) = self.printing.remove(&job) {
            if self.job_status {
                self.send(Response::job_end(&p.name, printed));
            }
        }
    }

    /// Time passes: `USTATUS TIMED` sends the status when due.
    pub fn handle_timeout(&mut self, now: SimTime) {
        self.now = self.now.max(now);
        let (Some(due), Some(period)) = (self.next_timed, self.timed) else {
            return;
        };
        if now < due {
            return;
        }
        let status = self.status.clone().unwrap_or_else(DeviceStatus::ready);
        self.send(Response::ustatus_device(&UstatusKind::Timed, &status));
        let next = due.after(period);
        self.next_timed = Some(if next <= now { now.after(period) } else { next });
    }

    // ----- outputs -----

    /// The next thing to do to the printer model.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Bytes for the back-channel, all that are waiting.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.out.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.out))
        }
    }

    /// When [`Session::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<SimTime> {
        self.next_timed
    }

    /// The client has finished sending, no job is open or still printing and
    /// nothing is left to send: the connection can close.
    pub fn is_finished(&self) -> bool {
        self.eof
            && self.input.is_empty()
            && self.open.is_none()
            && self.printing.is_empty()
            && self.out.is_empty()
            && self.actions.is_empty()
    }

    /// Whether jobs of this connection have been handed to the printer and
    /// not finished yet.
    pub fn has_jobs_printing(&self) -> bool {
        !self.printing.is_empty()
    }

    /// The jobs handed to the printer and not finished yet.
    pub fn jobs_printing(&self) -> impl Iterator<Item = JobId> + '_ {
        self.printing.keys().copied()
    }

    /// Whether a job is being received.
    pub fn has_open_job(&self) -> bool {
        self.open.is_some()
    }

    /// Whether the session wants [`Session::handle_status`] and job progress
    /// on every wake-up (unsolicited status on, or jobs printing).
    pub fn wants_updates(&self) -> bool {
        self.device != DeviceMode::Off || self.timed.is_some() || !self.printing.is_empty()
    }

    /// Whether the client has shut down its sending side.
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    /// Responses dropped because the back-channel backlog was full.
    pub fn dropped_responses(&self) -> u64 {
        self.dropped
    }

    // ----- the machine -----

    fn process(&mut self, view: &mut dyn PrinterView) {
        let buf = std::mem::take(&mut self.input);
        let mut pos = 0;
        while pos < buf.len() {
            let before = self.mode;
            match self.step(&buf[pos..], view) {
                Some(0) if self.mode == before => {
                    debug_assert!(false, "appsocket session made no progress in {before:?}");
                    break;
                }
                Some(n) => pos += n,
                None => break,
            }
        }
        self.input = buf[pos..].to_vec();
    }

    /// One step on `rest` (not empty): the bytes consumed (0 only with a
    /// change of mode), or `None` to wait for more.
    fn step(&mut self, rest: &[u8], view: &mut dyn PrinterView) -> Option<usize> {
        match self.mode {
            Mode::SegmentStart | Mode::Pjl => {
                if rest[0] == 0x1b {
                    if rest.starts_with(UEL) {
                        self.on_uel(view);
                        return Some(UEL.len());
                    }
                    if rest.len() < UEL.len() && UEL.starts_with(rest) && !self.eof {
                        return None;
                    }
                    self.begin_data(view);
                    return Some(0);
                }
                if rest.starts_with(PREFIX) {
                    self.mode = Mode::Pjl;
                    return self.pjl_line(rest, view);
                }
                if rest.len() < PREFIX.len() && PREFIX.starts_with(rest) {
                    if self.eof {
                        tracing::debug!("appsocket: {:?} at EOF ignored", rest);
                        self.keep(rest, DataKind::Pjl);
                        return Some(rest.len());
                    }
                    return None;
                }
                // A blank line (at a segment's start or between PJL lines) is
                // not print data yet: it goes with the PJL around it.
                match rest
                    .iter()
                    .position(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
                {
                    Some(i) if rest[i] == b'\n' => {
                        self.keep(&rest[..=i], DataKind::Pjl);
                        return Some(i + 1);
                    }
                    None if self.eof => {
                        self.keep(rest, DataKind::Pjl);
                        return Some(rest.len());
                    }
                    None if rest.len() < self.config.max_line => return None,
                    _ => {}
                }
                self.begin_data(view);
                Some(0)
            }
            Mode::SkipLine => {
                let lf = rest.iter().position(|&b| b == b'\n');
                let uel = find_uel(rest);
                let uel_at = match uel {
                    UelScan::Found(i) | UelScan::Partial(i) => Some(i),
                    UelScan::None => None,
                };
                match (lf, uel_at) {
                    (Some(l), u) if u.is_none_or(|u| l < u) => {
                        self.keep(&rest[..=l], DataKind::Pjl);
                        self.mode = Mode::Pjl;
                        Some(l + 1)
                    }
                    (_, Some(u)) if matches!(uel, UelScan::Found(_)) => {
                        self.keep(&rest[..u], DataKind::Pjl);
                        self.mode = Mode::Pjl;
                        Some(u)
                    }
                    (_, Some(u)) => {
                        if self.eof {
                            self.keep(rest, DataKind::Pjl);
                            Some(rest.len())
                        } else if u == 0 {
                            None
                        } else {
                            self.keep(&rest[..u], DataKind::Pjl);
                            Some(u)
                        }
                    }
                    _ => {
                        self.keep(rest, DataKind::Pjl);
                        Some(rest.len())
                    }
                }
            }
            Mode::Data => match find_uel(rest) {
                UelScan::Found(0) => {
                    self.on_uel(view);
                    Some(UEL.len())
                }
                UelScan::Found(i) => {
                    self.keep(&rest[..i], DataKind::Pdl);
                    Some(i)
                }
                UelScan::Partial(0) if !self.eof => None,
                UelScan::Partial(i) if i > 0 && !self.eof => {
                    self.keep(&rest[..i], DataKind::Pdl);
                    Some(i)
                }
                _ => {
                    self.keep(rest, DataKind::Pdl);
                    Some(rest.len())
                }
            },
        }
    }

    /// `rest` starts with `@PJL`: take one line, or wait for its end.
    fn pjl_line(&mut self, rest: &[u8], view: &mut dyn PrinterView) -> Option<usize> {
        let max = self.config.max_line.max(UEL.len() + PREFIX.len());
        let window = &rest[..rest.len().min(max)];
        let lf = window.iter().position(|&b| b == b'\n');
        let scan = find_uel(&window[..lf.unwrap_or(window.len())]);
        match (lf, scan) {
            (_, UelScan::Found(u)) => {
                // PJL ref appendix D, 20006: a line terminated by the UEL is
                // an error; the command is ignored.
                tracing::debug!(
                    line = %String::from_utf8_lossy(&rest[..u]),
                    "appsocket: PJL line ended by a UEL, ignored"
                );
                self.verbose_error(StatusCode::TERMINATED_BY_UEL, "line ended by UEL");
                self.keep(&rest[..u], DataKind::Pjl);
                Some(u)
            }
            (Some(l), _) => {
                self.execute_line(&rest[..l], view);
                self.keep(&rest[..=l], DataKind::Pjl);
                Some(l + 1)
            }
            (None, _) if self.eof => {
                tracing::debug!(
                    line = %String::from_utf8_lossy(rest),
                    "appsocket: unterminated PJL line at EOF ignored"
                );
                self.keep(rest, DataKind::Pjl);
                Some(rest.len())
            }
            (None, _) if rest.len() >= max => {
                tracing::info!(
                    limit = max,
                    "appsocket: PJL line longer than the limit, skipped to its end"
                );
                let e = PjlError::LineTooLong {
                    len: rest.len(),
                    max,
                };
                self.verbose_error(StatusCode(20005), &e.to_string());
                self.keep(window, DataKind::Pjl);
                self.mode = Mode::SkipLine;
                Some(window.len())
            }
            (None, _) => None,
        }
    }

    fn execute_line(&mut self, line: &[u8], view: &mut dyn PrinterView) {
        let cmd = match Command::parse_line(line) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(
                    line = %String::from_utf8_lossy(line),
                    "appsocket: malformed PJL line ignored: {e}"
                );
                if let Some(code) = e.status_code() {
                    self.verbose_error(StatusCode(code), &e.to_string());
                }
                return;
            }
        };
        self.execute(cmd, view);
    }

    fn execute(&mut self, cmd: Command, view: &mut dyn PrinterView) {
        match cmd {
            Command::Prefix | Command::Comment(_) => {}
            Command::Echo(text) => {
                self.send(Response::echo(&text));
            }
            Command::Enter { language } => {
                if self.open.is_none() {
                    self.start_job(None, view);
                }
                if let Some(j) = self.open.as_mut() {
                    j.language = Some(language);
                }
                // The ENTER line is kept (by the caller) before the data.
                self.mode = Mode::Data;
            }
            Command::Job { name, .. } => match self.open.as_mut() {
                Some(j) if j.depth > 0 => j.depth += 1,
                Some(_) => {
                    // A JOB after the last EOJ, before the UEL: a new job.
                    self.end_job(view);
                    self.open_job(name, 1, view);
                }
                None => self.open_job(name, 1, view),
            },
            Command::Eoj { .. } => match self.open.as_mut() {
                Some(j) if j.depth > 0 => j.depth -= 1,
                _ => {
                    tracing::debug!("appsocket: EOJ without JOB ignored");
                    self.verbose_error(StatusCode::EOJ_WITHOUT_JOB, "EOJ without JOB");
                }
            },
            Command::Set(a) => {
                let key = VarKey::from_command(a.modifier.as_ref(), &a.variable);
                match view.variables().check(&key, &a.value) {
                    Ok(v) => {
                        self.env.insert(key, v);
                    }
                    Err(e) => {
                        tracing::debug!("appsocket: SET ignored: {e}");
                        self.verbose_error(e.status_code(), &e.to_string());
                    }
                }
            }
            Command::Default(a) => {
                let key = VarKey::from_command(a.modifier.as_ref(), &a.variable);
                if let Err(e) = view.set_default(key, &a.value) {
                    tracing::debug!("appsocket: DEFAULT ignored: {e}");
                    self.verbose_error(e.status_code(), &e.to_string());
                }
            }
            Command::Inquire(q) => {
                let key = VarKey::from_command(q.modifier.as_ref(), &q.variable);
                let value = self
                    .env
                    .get(&key)
                    .cloned()
                    .or_else(|| view.variables().default_value(&key))
                    .unwrap_or_else(|| "?".into());
                self.send(Response::inquire(
                    false,
                    q.modifier.as_ref(),
                    &q.variable,
                    &value,
                ));
            }
            Command::Dinquire(q) => {
                let key = VarKey::from_command(q.modifier.as_ref(), &q.variable);
                let value = view
                    .variables()
                    .default_value(&key)
                    .unwrap_or_else(|| "?".into());
                self.send(Response::inquire(
                    true,
                    q.modifier.as_ref(),
                    &q.variable,
                    &value,
                ));
            }
            Command::Info(category) => {
                let lines = match &category {
                    InfoCategory::Id => vec![format!("\"{}\"", view.id().replace('"', "'"))],
                    InfoCategory::Status => view.status().lines(),
                    InfoCategory::Pagecount => vec![view.page_count().to_string()],
                    InfoCategory::Config => view.config(),
                    InfoCategory::Variables => view.variables().info_lines(&self.env),
                    InfoCategory::Ustatus => self.ustatus_lines(),
                    InfoCategory::Memory => {
                        vec![format!("TOTAL={MEMORY}"), format!("LARGEST={MEMORY}")]
                    }
                    InfoCategory::Filesys | InfoCategory::Other(_) => vec!["?".into()],
                };
                self.send(Response::info(category.name(), lines));
            }
            Command::Ustatus { kind, value } => self.ustatus(kind, &value),
            Command::UstatusOff => {
                self.device = DeviceMode::Off;
                self.job_status = false;
                self.page_status = false;
                self.timed = None;
                self.next_timed = None;
            }
            Command::Other { command, .. } => {
                tracing::debug!(%command, "appsocket: unsupported PJL command ignored");
                self.verbose_error(
                    StatusCode::UNSUPPORTED_COMMAND,
                    &format!("{command} not supported"),
                );
            }
        }
    }

    fn ustatus(&mut self, kind: UstatusKind, value: &Value) {
        let v = value.text().to_ascii_uppercase();
        let on_off = |v: &str| match v {
            "ON" => Some(true),
            "OFF" => Some(false),
            _ => None,
        };
        let ok = match kind {
            UstatusKind::Device => match v.as_str() {
                "ON" => Some(DeviceMode::On),
                "OFF" => Some(DeviceMode::Off),
                "VERBOSE" => Some(DeviceMode::Verbose),
                _ => None,
            }
            .map(|m| self.device = m)
            .is_some(),
            UstatusKind::Job => on_off(&v).map(|b| self.job_status = b).is_some(),
            UstatusKind::Page => on_off(&v).map(|b| self.page_status = b).is_some(),
            UstatusKind::Timed => match v.trim().parse::<u64>() {
                Ok(0) => {
                    self.timed = None;
                    self.next_timed = None;
                    true
                }
                Ok(n) => {
                    // PJL ref: 5 to 300 seconds; out-of-range values take the
                    // closest limit.
                    let period = Duration::from_secs(n.clamp(5, 300));
                    self.timed = Some(period);
                    self.next_timed = Some(self.now.after(period));
                    true
                }
                Err(_) => false,
            },
            UstatusKind::Other(ref k) => {
                tracing::debug!(kind = %k, "appsocket: unknown USTATUS kind ignored");
                false
            }
        };
        if !ok {
            self.verbose_error(
                StatusCode::UNSUPPORTED_VALUE,
                &format!("USTATUS {} = {} not supported", kind.name(), value.text()),
            );
        }
    }

    fn ustatus_lines(&self) -> Vec<String> {
        let device = match self.device {
            DeviceMode::Off => "OFF",
            DeviceMode::On => "ON",
            DeviceMode::Verbose => "VERBOSE",
        };
        let on = |b: bool| if b { "ON" } else { "OFF" };
        vec![
            format!("DEVICE={device} [3 ENUMERATED]"),
            "\tOFF".into(),
            "\tON".into(),
            "\tVERBOSE".into(),
            format!("JOB={} [2 ENUMERATED]", on(self.job_status)),
            "\tOFF".into(),
            "\tON".into(),
            format!("PAGE={} [2 ENUMERATED]", on(self.page_status)),
            "\tOFF".into(),
            "\tON".into(),
            format!("TIMED={} [2 RANGE]", self.timed.map_or(0, |d| d.as_secs())),
            "\t5".into(),
            "\t300".into(),
        ]
    }

    /// With `USTATUS DEVICE = VERBOSE`, report an ignored line's error code.
    fn verbose_error(&mut self, code: StatusCode, text: &str) {
        if self.device == DeviceMode::Verbose {
            let online = self.status.as_ref().is_none_or(|s| s.online);
            let s = DeviceStatus::new(code, text, online);
            self.send(Response::ustatus_device(&UstatusKind::Device, &s));
        }
    }

    /// Queue a response; false (and counted) when the backlog is full.
    fn send(&mut self, r: Response) -> bool {
        if self.out.len() >= self.config.max_backlog {
            if self.dropped == 0 {
                tracing::info!(
                    limit = self.config.max_backlog,
                    "appsocket: back-channel backlog full, dropping responses"
                );
            }
            self.dropped += 1;
            return false;
        }
        r.emit(&mut self.out);
        true
    }

    /// Bytes of the current segment: to the open job, or held until a job
    /// starts (within `max_pending`).
    fn keep(&mut self, bytes: &[u8], kind: DataKind) {
        if bytes.is_empty() {
            return;
        }
        if let Some(j) = &self.open {
            let id = j.id;
            if let Some(Action::Data {
                job,
                kind: k,
                bytes: b,
            }) = self.actions.back_mut()
            {
                if *job == id && *k == kind {
                    b.extend_from_slice(bytes);
                    return;
                }
            }
            self.actions.push_back(Action::Data {
                job: id,
                kind,
                bytes: bytes.to_vec(),
            });
            return;
        }
        if self.pending_lost {
            return;
        }
        if self.pending.len() + bytes.len() > self.config.max_pending {
            tracing::warn!(
                limit = self.config.max_pending,
                "appsocket: more PJL before a job than can be kept; a job starting in this segment will miss it"
            );
            self.pending.clear();
            self.pending_lost = true;
            return;
        }
        self.pending.extend_from_slice(bytes);
    }

    fn begin_data(&mut self, view: &dyn PrinterView) {
        if self.open.is_none() {
            self.start_job(None, view);
        }
        self.mode = Mode::Data;
    }

    /// A job starts without a `JOB` command: it ends at the next UEL.
    fn start_job(&mut self, name: Option<String>, view: &dyn PrinterView) {
        self.open_job(name, 0, view);
    }

    /// A job starts; `depth` 1 for a `JOB` command, which keeps it open
    /// across UELs until its `EOJ`.
    fn open_job(&mut self, name: Option<String>, depth: u32, view: &dyn PrinterView) {
        let id = JobId(self.next_job);
        self.next_job = self.next_job.wrapping_add(1).max(1);
        let job = OpenJob {
            id,
            name,
            depth,
            language: None,
        };
        let spec = self.spec(&job, view);
        self.actions.push_back(Action::StartJob {
            job: id,
            spec: spec.clone(),
        });
        if self.pending_lost {
            tracing::warn!(
                job = id.0,
                "appsocket: the job's document starts after PJL lines that were not kept"
            );
        }
        self.pending_lost = false;
        self.open = Some(job);
        let pending = std::mem::take(&mut self.pending);
        self.keep(&pending, DataKind::Pjl);
        if self.job_status {
            self.send(Response::job_start(&spec.name));
        }
    }

    fn end_job(&mut self, view: &dyn PrinterView) {
        let Some(job) = self.open.take() else { return };
        let spec = self.spec(&job, view);
        self.printing.insert(
            job.id,
            Printing {
                name: spec.name.clone(),
                pages_reported: 0,
            },
        );
        self.actions.push_back(Action::EndJob { job: job.id, spec });
        // The job's SET values end with it.
        self.env.clear();
    }

    fn on_uel(&mut self, view: &dyn PrinterView) {
        match self.open.as_ref().map(|j| j.depth) {
            Some(depth) => {
                self.keep(UEL, DataKind::Pjl);
                if depth == 0 {
                    self.end_job(view);
                }
            }
            None => {
                // A segment of PJL only: answered, and forgotten. SET values
                // last until a UEL outside a job.
                self.pending.clear();
                self.pending.extend_from_slice(UEL);
                self.pending_lost = false;
                self.env.clear();
            }
        }
        self.mode = Mode::SegmentStart;
    }

    /// A variable's value for the job: `SET`, else the printer's default.
    fn var(&self, name: &str, view: &dyn PrinterView) -> Option<String> {
        let key = VarKey::plain(name);
        self.env
            .get(&key)
            .cloned()
            .or_else(|| view.variables().default_value(&key))
    }

    fn spec(&self, job: &OpenJob, view: &dyn PrinterView) -> JobSpec {
        let num = |name: &str| {
            self.var(name, view)
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(1)
                .max(1)
        };
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
        JobSpec {
            name: job
                .name
                .clone()
                .filter(|s| !s.is_empty())
                .or_else(|| nonempty(self.var("JOBNAME", view)))
                .unwrap_or_else(|| self.config.default_job_name.clone()),
            user: nonempty(self.var("USERNAME", view))
                .unwrap_or_else(|| self.config.default_user.clone()),
            copies: num("COPIES").saturating_mul(num("QTY")),
            duplex: self
                .var("DUPLEX", view)
                .is_some_and(|v| v.eq_ignore_ascii_case("ON")),
            media: self
                .env
                .get(&VarKey::plain("PAPER"))
                .and_then(|p| pwg_media(p))
                .map(str::to_string),
            language: job.language.clone(),
        }
    }
}
