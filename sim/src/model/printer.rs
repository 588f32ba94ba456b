//! The printer: state, conditions, the job queue, trays, supplies and counters.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use super::clock::{Clock, SimTime, Speed};
use super::events::{EventKind, EventLog};
use super::job::{Document, Job, JobState, NewJob};
use crate::profile::Profile;

/// RFC 8011 §5.4.11 `printer-state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrinterState {
    /// Ready, nothing to do.
    Idle = 3,
    /// Printing.
    Processing = 4,
    /// Stopped: paused, or a condition needs attention.
    Stopped = 5,
}

impl PrinterState {
    /// The IPP enum value.
    pub fn ipp_enum(self) -> i32 {
        self as i32
    }
}

/// A condition of the printer, raised by a fault or by printing itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Condition {
    /// Paper jam.
    MediaJam,
    /// A tray ran out of paper.
    MediaEmpty,
    /// The job wants media that is not loaded.
    MediaNeeded,
    /// A cover is open.
    DoorOpen,
    /// A supply is low (a warning; printing goes on).
    TonerLow,
    /// A supply is empty.
    TonerEmpty,
    /// The waste container is full.
    MarkerWasteFull,
    /// The printer is offline.
    Offline,
}

impl Condition {
    /// The `printer-state-reasons` keyword, with its severity suffix.
    pub fn ipp_reason(self) -> &'static str {
        match self {
            Condition::MediaJam => "media-jam-error",
            Condition::MediaEmpty => "media-empty-error",
            Condition::MediaNeeded => "media-needed-error",
            Condition::DoorOpen => "door-open-error",
            Condition::TonerLow => "toner-low-report",
            Condition::TonerEmpty => "toner-empty-error",
            Condition::MarkerWasteFull => "marker-waste-full-error",
            Condition::Offline => "offline-report",
        }
    }

    /// Whether the printer cannot print while this holds.
    pub fn stops_printing(self) -> bool {
        !matches!(self, Condition::TonerLow)
    }

    /// Every condition.
    pub const ALL: [Condition; 8] = [
        Condition::MediaJam,
        Condition::MediaEmpty,
        Condition::MediaNeeded,
        Condition::DoorOpen,
        Condition::TonerLow,
        Condition::TonerEmpty,
        Condition::MarkerWasteFull,
        Condition::Offline,
    ];
}

/// A row of the alert table (RFC 3805 prtAlertTable, PWG 5100.9 `printer-alert`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// PWG 5100.9 / RFC 3805 alert code keyword, e.g. `jam`, `coverOpen`.
    pub code: &'static str,
    /// `critical`, `warning` or `informational`... (RFC 3805 PrtAlertSeverityLevelTC).
    pub severity: &'static str,
    /// Sub-unit group, e.g. `mediaPath`, `cover`, `marker`, `general`.
    pub group: &'static str,
    /// Text for `printer-alert-description`.
    pub description: &'static str,
    /// When it was raised.
    pub time: SimTime,
    /// Its row in the alert table (`prtAlertIndex`): 1 is the power-up
    /// event, later rows number on from there and are never reused.
    pub index: u32,
}

impl Condition {
    /// The alert this condition puts in the alert table.
    pub fn alert(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Condition::MediaJam => ("jam", "critical", "mediaPath", "Paper jam"),
            Condition::MediaEmpty => ("inputMediaSupplyEmpty", "critical", "input", "Out of paper"),
            Condition::MediaNeeded => (
                "inputMediaSizeChangeRequest",
                "critical",
                "input",
                "Load paper",
            ),
            Condition::DoorOpen => ("coverOpen", "critical", "cover", "Door open"),
            Condition::TonerLow => ("markerTonerAlmostEmpty", "warning", "marker", "Toner low"),
            Condition::TonerEmpty => ("markerTonerEmpty", "critical", "marker", "Toner empty"),
            Condition::MarkerWasteFull => (
                "markerWasteTonerReceptacleFull",
                "critical",
                "marker",
                "Waste toner full",
            ),
            Condition::Offline => ("subunitOffline", "critical", "general", "Offline"),
        }
    }
}

/// Something the model refused to do.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    /// No job with that id (or it has left the history).
    #[error("job {0} does not exist")]
    NoSuchJob(u32),
    /// The job is in a state where the operation is not possible.
    #[error("job {id} is {state}; {what} is not possible")]
    NotPossible {
        /// The job.
        id: u32,
        /// Its state keyword.
        state: &'static str,
        /// The operation.
        what: &'static str,
    },
    /// The job is closed: it takes no more documents.
    #[error("job {0} already has its last document")]
    JobClosed(u32),
    /// No job is printing.
    #[error("no job is printing")]
    NothingPrinting,
    /// No such document in the job.
    #[error("job {job} has no document {number}")]
    NoSuchDocument {
        /// The job.
        job: u32,
        /// The document number asked for.
        number: u32,
    },
}

/// An input tray.
#[derive(Clone, Debug)]
pub struct Tray {
    /// `media-source` keyword.
    pub source: String,
    /// Size loaded.
    pub media: String,
    /// Type loaded.
    pub media_type: String,
    /// Sheets when full.
    pub capacity: u32,
    /// Sheets now.
    pub level: u32,
    /// Refills itself when empty.
    pub auto_refill: bool,
}

/// A marker supply.
#[derive(Clone, Debug)]
pub struct Supply {
    /// Name (`marker-names`).
    pub name: String,
    /// Kind (`marker-types`).
    pub kind: String,
    /// Colour (`marker-colors`).
    pub color: String,
    /// Level in millionths of full.
    pub level_ppm: u64,
    /// Low threshold, percent.
    pub low: u8,
    /// Millionths used per impression.
    pub per_impression: u64,
    /// Used only by colour impressions.
    pub color_only: bool,
}

impl Supply {
    /// Level, percent (0–100).
    pub fn level_percent(&self) -> u8 {
        u8::try_from(self.level_ppm / 10_000).unwrap_or(100)
    }

    /// At or below the low threshold.
    pub fn is_low(&self) -> bool {
        self.level_percent() <= self.low
    }
}

/// Lifetime counters.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    /// Impressions printed (prtMarkerLifeCount).
    pub impressions: u64,
    /// Sheets printed.
    pub sheets: u64,
    /// Jobs completed.
    pub jobs_completed: u64,
    /// Jobs canceled or aborted.
    pub jobs_failed: u64,
}

/// The job being printed.
#[derive(Clone, Debug)]
struct Active {
    job: u32,
    page_time: Duration,
    next_page_at: SimTime,
}

/// One virtual printer.
#[derive(Debug)]
pub struct Printer {
    /// The profile it was built from.
    pub profile: Arc<Profile>,
    /// Its wall clock.
    pub clock: Clock,
    /// How fast it prints.
    pub speed: Speed,
    paused: bool,
    conditions: BTreeSet<Condition>,
    jobs: BTreeMap<u32, Job>,
    finished: VecDeque<u32>,
    next_job_id: u32,
    active: Option<Active>,
    /// Input trays.
    pub trays: Vec<Tray>,
    /// Supplies.
    pub supplies: Vec<Supply>,
    /// Lifetime counters.
    pub counters: Counters,
    /// When `printer-state` or its reasons last changed.
    pub state_changed: SimTime,
    /// When the configuration last changed.
    pub config_changed: SimTime,
    /// How many times Identify-Printer was called.
    pub identify_count: u64,
    /// The last identify actions asked for.
    pub last_identify: Vec<String>,
    /// When the printer was last told the time; lets views compute `printer-up-time`.
    pub now: SimTime,
    last_state: (PrinterState, Vec<String>),
    /// Events and subscriptions.
    pub events: EventLog,
    job_states: BTreeMap<u32, JobState>,
    condition_since: BTreeMap<Condition, SimTime>,
    paused_now: bool,
    hold_new_jobs: bool,
    shut_down_state: bool,
    disabled: bool,
    /// `printer-message-from-operator`.
    pub operator_message: String,
    /// When the printer last powered on (zero, or the end of the last power cycle).
    pub booted_at: SimTime,
    /// How many times the printer was power-cycled.
    pub power_cycles: u64,
    page_breaks: BTreeSet<(u32, u32)>,
    break_hit: Option<(u32, u32)>,
    alert_rows: BTreeMap<Condition, u32>,
    next_alert_row: u32,
    alert_events: u32,
    critical_events: u32,
}

impl Printer {
    /// A printer from a profile, switched on at `clock`.
    pub fn new(profile: Arc<Profile>, clock: Clock, speed: Speed) -> Printer {
        let trays = profile
            .trays
            .iter()
            .map(|t| Tray {
                source: t.source.clone(),
                media: t.media.clone(),
                media_type: t.media_type.clone(),
                capacity: t.capacity,
                level: t.level,
                auto_refill: t.auto_refill,
            })
            .collect();
        let supplies = profile
            .supplies
            .iter()
            .map(|s| Supply {
                name: s.name.clone(),
                kind: s.kind.clone(),
                color: s.color.clone(),
                level_ppm: u64::from(s.level) * 10_000,
                low: s.low,
                per_impression: (1_000_000 / u64::from(s.pages.max(1))).max(1),
                color_only: s.color_only,
            })
            .collect();
        let mut p = Printer {
            profile,
            clock,
            speed,
            paused: false,
            conditions: BTreeSet::new(),
            jobs: BTreeMap::new(),
            finished: VecDeque::new(),
            next_job_id: 1,
            active: None,
            trays,
            supplies,
            counters: Counters::default(),
            state_changed: SimTime::ZERO,
            config_changed: SimTime::ZERO,
            identify_count: 0,
            last_identify: Vec::new(),
            now: SimTime::ZERO,
            last_state: (PrinterState::Idle, Vec::new()),
            events: EventLog::default(),
            job_states: BTreeMap::new(),
            condition_since: BTreeMap::new(),
            paused_now: false,
            hold_new_jobs: false,
            shut_down_state: false,
            disabled: false,
            operator_message: String::new(),
            booted_at: SimTime::ZERO,
            power_cycles: 0,
            page_breaks: BTreeSet::new(),
            break_hit: None,
            alert_rows: BTreeMap::new(),
            next_alert_row: 1,
            alert_events: 0,
            critical_events: 0,
        };
        p.refresh_supply_conditions();
        p.last_state = (p.state(), p.state_reasons());
        p
    }

    // ----- views -----

    /// `printer-state`.
    pub fn state(&self) -> PrinterState {
        if self.shut_down_state {
            PrinterState::Stopped
        } else if self.active.is_some() && !self.is_blocked() {
            PrinterState::Processing
        } else if self.is_blocked() || self.paused {
            PrinterState::Stopped
        } else {
            PrinterState::Idle
        }
    }

    /// `printer-state-reasons` (`none` when there are none).
    pub fn state_reasons(&self) -> Vec<String> {
        let mut r: Vec<String> = self
            .conditions
            .iter()
            .map(|c| c.ipp_reason().to_string())
            .collect();
        if self.paused {
            if self.active.is_some() && !self.paused_now {
                r.push("moving-to-paused".into());
            } else {
                r.push("paused".into());
            }
        }
        if self.hold_new_jobs {
            r.push("hold-new-jobs".into());
        }
        if self.shut_down_state {
            r.push("shutdown".into());
        }
        if r.is_empty() {
            r.push("none".into());
        }
        r
    }

    /// A line a person would read on the printer's panel.
    pub fn state_message(&self) -> String {
        if let Some(c) = self.conditions.iter().find(|c| c.stops_printing()) {
            return match c {
                Condition::MediaJam => "Paper jam".into(),
                Condition::MediaEmpty => "Out of paper".into(),
                Condition::MediaNeeded => "Load paper".into(),
                Condition::DoorOpen => "Door open".into(),
                Condition::TonerEmpty => "Replace toner".into(),
                Condition::MarkerWasteFull => "Waste toner full".into(),
                Condition::Offline => "Offline".into(),
                Condition::TonerLow => "Toner low".into(),
            };
        }
        if self.paused {
            return "Paused".into();
        }
        match &self.active {
            Some(a) => format!("Printing job {}", a.job),
            None if self.conditions.contains(&Condition::TonerLow) => "Ready; toner low".into(),
            None => "Ready".into(),
        }
    }

    /// Whether Pause-Printer is in effect.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Whether new jobs are accepted (`printer-is-accepting-jobs`).
    pub fn is_accepting_jobs(&self) -> bool {
        !self.shut_down_state && !self.disabled
    }

    /// Enable-Printer (`true`) and Disable-Printer (`false`): whether new jobs are accepted.
    pub fn set_accepting(&mut self, accepting: bool, now: SimTime) {
        self.disabled = !accepting;
        self.config_changed(now);
        self.handle_timeout(now);
    }

    /// The alert table: one row per condition, and the power-up event.
    pub fn alerts(&self) -> Vec<Alert> {
        let mut v = vec![Alert {
            code: "powerUp",
            severity: "other",
            group: "general",
            description: "Printer powered up",
            time: SimTime::ZERO,
            index: 1,
        }];
        for c in &self.conditions {
            let (code, severity, group, description) = c.alert();
            v.push(Alert {
                code,
                severity,
                group,
                description,
                time: self
                    .condition_since
                    .get(c)
                    .copied()
                    .unwrap_or(SimTime::ZERO),
                index: self.alert_rows.get(c).copied().unwrap_or(0),
            });
        }
        v.sort_by_key(|a| a.index);
        v
    }

    /// Alerts raised since power-up: (all, critical) — RFC 3805
    /// `prtAlertAllEvents` and `prtAlertCriticalEvents`.
    pub fn alert_events(&self) -> (u32, u32) {
        (self.alert_events, self.critical_events)
    }

    /// A condition just appeared: give it the next alert row and count it.
    fn note_raised(&mut self, c: Condition, now: SimTime) {
        self.condition_since.entry(c).or_insert(now);
        self.next_alert_row = self.next_alert_row.saturating_add(1);
        self.alert_rows.insert(c, self.next_alert_row);
        self.alert_events = self.alert_events.saturating_add(1);
        if c.alert().1 == "critical" {
            self.critical_events = self.critical_events.saturating_add(1);
        }
    }

    /// Whether Hold-New-Jobs is in effect.
    pub fn is_holding_new_jobs(&self) -> bool {
        self.hold_new_jobs
    }

    /// Whether Shutdown-Printer is in effect.
    pub fn is_shut_down(&self) -> bool {
        self.shut_down_state
    }

    /// Conditions raised now.
    pub fn conditions(&self) -> impl Iterator<Item = Condition> + '_ {
        self.conditions.iter().copied()
    }

    /// A job by id.
    pub fn job(&self, id: u32) -> Option<&Job> {
        self.jobs.get(&id)
    }

    /// All known jobs, oldest first.
    pub fn jobs(&self) -> impl DoubleEndedIterator<Item = &Job> {
        self.jobs.values()
    }

    /// Jobs not yet in a terminal state (`queued-job-count`).
    pub fn queued_job_count(&self) -> usize {
        self.jobs
            .values()
            .filter(|j| !j.state.is_terminal())
            .count()
    }

    /// The id of the job being printed.
    pub fn active_job(&self) -> Option<u32> {
        self.active.as_ref().map(|a| a.job)
    }

    /// Seconds since power-on, at the last time the printer was told.
    pub fn up_time(&self) -> i32 {
        let up = self.now.since(self.booted_at).as_secs();
        i32::try_from(up).unwrap_or(i32::MAX).max(1)
    }

    fn is_blocked(&self) -> bool {
        self.paused_now
            || self.shut_down_state
            || self.conditions.iter().any(|c| c.stops_printing())
    }

    // ----- conditions -----

    /// Raise a condition (a jam, an open door…).
    ///
    /// Supply conditions change the supply itself, so every view agrees
    /// (`marker-levels`, the SNMP supplies table): `TonerLow` takes the first
    /// supply down to its low mark, `TonerEmpty` empties it.
    pub fn raise(&mut self, c: Condition, now: SimTime) {
        if let Some(s) = self.supplies.first_mut() {
            match c {
                Condition::TonerLow => {
                    s.level_ppm = s.level_ppm.min(u64::from(s.low) * 10_000).max(1)
                }
                Condition::TonerEmpty => s.level_ppm = 0,
                _ => {}
            }
        }
        if self.conditions.insert(c) {
            self.condition_since.insert(c, now);
            self.note_raised(c, now);
        }
        self.handle_timeout(now);
    }

    /// Clear a condition; printing resumes if nothing else stops it.
    ///
    /// Clearing `TonerLow` or `TonerEmpty` is a new cartridge: the supplies
    /// that were low or empty are full again.
    pub fn clear(&mut self, c: Condition, now: SimTime) {
        if matches!(c, Condition::TonerLow | Condition::TonerEmpty) {
            for s in self.supplies.iter_mut().filter(|s| s.is_low()) {
                s.level_ppm = 1_000_000;
            }
            self.conditions.remove(&c);
            self.refresh_supply_conditions();
        }
        self.conditions.remove(&c);
        self.condition_since.remove(&c);
        self.alert_rows.remove(&c);
        if let Some(a) = self.active.as_mut() {
            if a.next_page_at < now {
                a.next_page_at = now.after(a.page_time);
            }
        }
        self.handle_timeout(now);
    }

    /// Set a supply's level (percent), as an SNMP Set of
    /// prtMarkerSuppliesLevel does; toner-low and toner-empty follow.
    pub fn set_supply_level(&mut self, index: usize, percent: u8, now: SimTime) -> bool {
        let Some(s) = self.supplies.get_mut(index) else {
            return false;
        };
        s.level_ppm = u64::from(percent.min(100)) * 10_000;
        self.now = self.now.max(now);
        if percent > 0 {
            self.conditions.remove(&Condition::TonerEmpty);
            self.alert_rows.remove(&Condition::TonerEmpty);
            self.condition_since.remove(&Condition::TonerEmpty);
        }
        self.refresh_supply_conditions();
        self.handle_timeout(now);
        true
    }

    /// Pause-Printer-After-Current-Job: the job printing finishes, no new job starts.
    pub fn pause(&mut self, now: SimTime) {
        self.paused = true;
        self.handle_timeout(now);
    }

    /// Pause-Printer: stop at once, mid-job if need be.
    pub fn pause_now(&mut self, now: SimTime) {
        self.paused = true;
        self.paused_now = true;
        self.handle_timeout(now);
    }

    /// Resume-Printer.
    pub fn resume(&mut self, now: SimTime) {
        self.paused = false;
        self.paused_now = false;
        self.resume_active(now);
        self.handle_timeout(now);
    }

    fn resume_active(&mut self, now: SimTime) {
        if let Some(a) = self.active.as_mut() {
            if a.next_page_at < now {
                a.next_page_at = now.after(a.page_time);
            }
        }
    }

    /// Hold-New-Jobs (`true`) and Release-Held-New-Jobs (`false`).
    pub fn set_hold_new_jobs(&mut self, hold: bool, now: SimTime) {
        self.hold_new_jobs = hold;
        if !hold {
            for j in self.jobs.values_mut() {
                if j.state == JobState::PendingHeld
                    && j.reasons.iter().any(|r| r == "job-held-on-create")
                {
                    j.state = JobState::Pending;
                    j.reasons.retain(|r| r != "job-held-on-create");
                }
            }
        }
        self.handle_timeout(now);
    }

    /// Shutdown-Printer: stopped and not accepting jobs until Startup-Printer.
    pub fn shutdown_printer(&mut self, now: SimTime) {
        self.shut_down_state = true;
        self.handle_timeout(now);
    }

    /// Startup-Printer.
    pub fn startup_printer(&mut self, now: SimTime) {
        self.shut_down_state = false;
        self.resume_active(now);
        self.handle_timeout(now);
    }

    /// Restart-Printer: a power cycle of the engine; the job printing starts over.
    pub fn restart_printer(&mut self, now: SimTime) {
        if let Some(a) = self.active.take() {
            if let Some(j) = self.jobs.get_mut(&a.job) {
                j.state = JobState::Pending;
                j.reasons = vec!["job-restartable".into()];
                j.impressions_completed = 0;
                j.sheets_completed = 0;
            }
        }
        self.paused = false;
        self.paused_now = false;
        self.shut_down_state = false;
        self.handle_timeout(now);
    }

    /// A fault aborts the job printing now (`job-state` aborted,
    /// `aborted-by-system`); returns its id.
    pub fn abort_current(&mut self, why: &str, now: SimTime) -> Result<u32, ModelError> {
        let a = self.active.take().ok_or(ModelError::NothingPrinting)?;
        if let Some(job) = self.jobs.get_mut(&a.job) {
            job.state = JobState::Aborted;
            job.reasons = vec!["aborted-by-system".into()];
            job.message = why.to_string();
            job.completed_at = Some(now);
            job.receiving = false;
            self.counters.jobs_failed += 1;
            self.finished.push_back(a.job);
        }
        self.handle_timeout(now);
        Ok(a.job)
    }

    /// The power goes off and comes back at `back_at`: jobs in progress (printing
    /// or still receiving) are aborted, pending ones stay queued, pause and
    /// offline are forgotten, physical conditions (a jam, an open door) remain,
    /// and `printer-up-time` counts from `back_at`.
    pub fn power_cycle(&mut self, now: SimTime, back_at: SimTime) {
        self.active = None;
        for job in self.jobs.values_mut() {
            let in_progress = matches!(
                job.state,
                JobState::Processing | JobState::ProcessingStopped
            ) || (job.receiving || !job.closed) && !job.state.is_terminal();
            if in_progress {
                job.state = JobState::Aborted;
                job.reasons = vec!["aborted-by-system".into()];
                job.message = "The printer was power-cycled".into();
                job.completed_at = Some(now);
                job.receiving = false;
                job.closed = true;
                self.counters.jobs_failed += 1;
                self.finished.push_back(job.id);
            }
        }
        self.paused = false;
        self.paused_now = false;
        self.shut_down_state = false;
        self.conditions.remove(&Condition::Offline);
        self.condition_since.remove(&Condition::Offline);
        self.alert_rows.remove(&Condition::Offline);
        self.booted_at = back_at;
        self.power_cycles += 1;
        self.handle_timeout(now);
    }

    /// Stop the engine right after page `page` of job `job` (of any job if
    /// `None`) has printed, until [`Printer::release_page_break`]: lets a
    /// scenario raise a jam at an exact page even when pages print instantly.
    /// The stop is invisible to clients (the job stays `processing`).
    pub fn add_page_break(&mut self, job: Option<u32>, page: u32) {
        self.page_breaks.insert((job.unwrap_or(0), page));
    }

    /// The page break the engine stopped at: `(job, page)`.
    pub fn page_break_hit(&self) -> Option<(u32, u32)> {
        self.break_hit
    }

    /// Go on printing after a page break.
    pub fn release_page_break(&mut self, now: SimTime) {
        if self.break_hit.take().is_some() {
            self.handle_timeout(now);
        }
    }

    /// Set `printer-message-from-operator` and other configuration: records the change.
    pub fn config_changed(&mut self, now: SimTime) {
        self.config_changed = now;
        self.events.push(
            now,
            EventKind::PrinterConfigChanged,
            None,
            "Printer configuration changed".into(),
        );
    }

    /// A mutable job, for attribute changes (Set-Job-Attributes).
    pub fn job_mut(&mut self, id: u32) -> Option<&mut Job> {
        self.jobs.get_mut(&id)
    }

    /// Cancel-Current-Job: cancel the job printing now; returns its id.
    pub fn cancel_current(&mut self, by: &str, now: SimTime) -> Result<u32, ModelError> {
        let id = self
            .active
            .as_ref()
            .map(|a| a.job)
            .ok_or(ModelError::NothingPrinting)?;
        self.cancel_job(id, by, now)?;
        Ok(id)
    }

    /// Suspend-Current-Job: the job printing stops where it is and waits for Resume-Job.
    pub fn suspend_current(&mut self, now: SimTime) -> Result<u32, ModelError> {
        let a = self.active.take().ok_or(ModelError::NothingPrinting)?;
        if let Some(j) = self.jobs.get_mut(&a.job) {
            j.state = JobState::ProcessingStopped;
            j.reasons = vec!["job-suspended".into()];
        }
        self.handle_timeout(now);
        Ok(a.job)
    }

    /// Resume-Job: a suspended job goes back in the queue and carries on where it stopped.
    pub fn resume_job(&mut self, id: u32, now: SimTime) -> Result<(), ModelError> {
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        if !(job.state == JobState::ProcessingStopped
            && job.reasons.iter().any(|r| r == "job-suspended"))
        {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "Resume-Job",
            });
        }
        job.state = JobState::Pending;
        job.reasons.clear();
        self.handle_timeout(now);
        Ok(())
    }

    /// Restart-Job: a finished job is queued again, same id, from its first page.
    pub fn restart_job(&mut self, id: u32, now: SimTime) -> Result<(), ModelError> {
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        if !job.state.is_terminal() || job.documents.is_empty() {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "Restart-Job",
            });
        }
        job.state = JobState::Pending;
        job.reasons = vec!["job-restartable".into()];
        job.impressions_completed = 0;
        job.sheets_completed = 0;
        job.completed_at = None;
        job.processing_at = None;
        self.finished.retain(|f| *f != id);
        self.handle_timeout(now);
        Ok(())
    }

    /// Reprocess-Job and Resubmit-Job: a copy of a finished job, under a new id,
    /// with `change` applied to its request.
    pub fn copy_job(
        &mut self,
        id: u32,
        change: impl FnOnce(&mut NewJob),
        now: SimTime,
    ) -> Result<u32, ModelError> {
        let job = self.jobs.get(&id).ok_or(ModelError::NoSuchJob(id))?;
        if !job.state.is_terminal() || job.documents.is_empty() {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "copying the job",
            });
        }
        let mut spec = job.spec.clone();
        let docs = job.documents.clone();
        change(&mut spec);
        let new = self.create_job(spec, now);
        if let Some(j) = self.jobs.get_mut(&new) {
            j.documents = docs;
            Self::close(j);
        }
        self.handle_timeout(now);
        Ok(new)
    }

    /// Promote-Job: print this job next.
    pub fn promote_job(&mut self, id: u32, now: SimTime) -> Result<(), ModelError> {
        let first = self
            .jobs
            .values()
            .filter(|j| !j.state.is_terminal())
            .map(|j| j.order)
            .min()
            .unwrap_or(0);
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        if !matches!(job.state, JobState::Pending | JobState::PendingHeld) {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "Promote-Job",
            });
        }
        job.order = first.saturating_sub(1);
        job.spec.priority = job.spec.priority.max(100);
        self.handle_timeout(now);
        Ok(())
    }

    /// Schedule-Job-After: print `id` right after `after`.
    pub fn schedule_after(&mut self, id: u32, after: u32, now: SimTime) -> Result<(), ModelError> {
        let (order, priority) = match self.jobs.get(&after) {
            Some(j) => (j.order, j.spec.priority),
            None => return Err(ModelError::NoSuchJob(after)),
        };
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        if !matches!(job.state, JobState::Pending | JobState::PendingHeld) {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "Schedule-Job-After",
            });
        }
        job.order = order.saturating_add(1);
        job.spec.priority = priority;
        self.handle_timeout(now);
        Ok(())
    }

    /// Cancel-Document.
    pub fn cancel_document(
        &mut self,
        id: u32,
        number: u32,
        now: SimTime,
    ) -> Result<(), ModelError> {
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        if job.state.is_terminal() {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "Cancel-Document",
            });
        }
        let doc = job
            .documents
            .iter_mut()
            .find(|d| d.number == number)
            .ok_or(ModelError::NoSuchDocument { job: id, number })?;
        if doc.canceled {
            return Err(ModelError::NotPossible {
                id,
                state: "canceled",
                what: "Cancel-Document",
            });
        }
        doc.canceled = true;
        if job.closed {
            Self::close(job);
        }
        self.handle_timeout(now);
        Ok(())
    }

    /// Purge-Jobs: cancel every job and forget them all.
    pub fn purge_jobs(&mut self, by: &str, now: SimTime) {
        let ids: Vec<u32> = self.jobs.keys().copied().collect();
        for id in ids {
            let _ = self.cancel_job(id, by, now);
        }
        self.jobs.clear();
        self.finished.clear();
        self.handle_timeout(now);
    }

    /// Identify-Printer.
    pub fn identify(&mut self, actions: Vec<String>) {
        self.identify_count += 1;
        self.last_identify = actions;
    }

    // ----- jobs -----

    /// Create a job. It waits for documents until closed.
    pub fn create_job(&mut self, spec: NewJob, now: SimTime) -> u32 {
        let id = self.next_job_id;
        self.next_job_id = if id >= self.profile.jobs.max_job_id {
            1
        } else {
            id + 1
        };
        let held = spec.hold_until.is_some() || self.hold_new_jobs;
        let password_wait = spec.hold_until.as_deref() == Some("job-password-wait");
        let uuid = crate::profile::uuid_from_name(&format!(
            "{}/job/{}/{}",
            self.profile.identity.name, id, self.clock.boot_unix_ms
        ));
        let job = Job {
            id,
            uuid,
            spec,
            state: if held {
                JobState::PendingHeld
            } else {
                JobState::Pending
            },
            reasons: if self.hold_new_jobs {
                vec!["job-held-on-create".into(), "job-incoming".into()]
            } else if password_wait {
                vec!["job-password-wait".into(), "job-incoming".into()]
            } else if held {
                vec!["job-hold-until-specified".into(), "job-incoming".into()]
            } else {
                vec!["job-incoming".into()]
            },
            message: String::new(),
            documents: Vec::new(),
            closed: false,
            created: now,
            processing_at: None,
            completed_at: None,
            last_activity: now,
            impressions_completed: 0,
            sheets_completed: 0,
            impressions_total: 0,
            receiving: false,
            order: u64::from(id) * 1024,
        };
        self.jobs.insert(id, job);
        self.now = self.now.max(now);
        id
    }

    /// A document is about to be received for `id`.
    pub fn begin_document(&mut self, id: u32, now: SimTime) -> Result<u32, ModelError> {
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        if job.closed {
            return Err(ModelError::JobClosed(id));
        }
        if job.state.is_terminal() {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "adding a document",
            });
        }
        job.receiving = true;
        job.last_activity = now;
        Ok(u32::try_from(job.documents.len()).unwrap_or(u32::MAX - 1) + 1)
    }

    /// A document was received in full and spooled. `last` closes the job.
    pub fn add_document(
        &mut self,
        id: u32,
        doc: Document,
        last: bool,
        now: SimTime,
    ) -> Result<(), ModelError> {
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        job.receiving = false;
        job.last_activity = now;
        if job.state.is_terminal() {
            // Canceled while the document was arriving: keep the document as evidence.
            job.documents.push(doc);
            return Ok(());
        }
        job.documents.push(doc);
        if last {
            Self::close(job);
        }
        self.handle_timeout(now);
        Ok(())
    }

    /// The document being received for `id` did not arrive whole.
    pub fn document_failed(&mut self, id: u32, why: &str, now: SimTime) {
        if let Some(job) = self.jobs.get_mut(&id) {
            job.receiving = false;
            if !job.state.is_terminal() {
                job.state = JobState::Aborted;
                job.reasons = vec!["aborted-by-system".into()];
                job.message = format!("Document not received: {why}");
                job.completed_at = Some(now);
                self.counters.jobs_failed += 1;
                self.finished.push_back(id);
            }
        }
        self.handle_timeout(now);
    }

    /// A document announced for `id` turned out to be empty and is not kept.
    pub fn document_discarded(&mut self, id: u32) {
        if let Some(job) = self.jobs.get_mut(&id) {
            job.receiving = false;
        }
    }

    /// Close-Job: no more documents will come.
    pub fn close_job(&mut self, id: u32, now: SimTime) -> Result<(), ModelError> {
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        if job.state.is_terminal() {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "Close-Job",
            });
        }
        job.last_activity = now;
        Self::close(job);
        self.handle_timeout(now);
        Ok(())
    }

    fn close(job: &mut Job) {
        job.closed = true;
        job.reasons.retain(|r| r != "job-incoming");
        if job.documents.is_empty() {
            // RFC 8011 §4.3.1: a job closed without documents has nothing to print.
            job.reasons.push("job-data-insufficient".into());
        }
        job.impressions_total = job
            .documents
            .iter()
            .filter(|d| !d.canceled)
            .map(|d| u64::from(d.pages))
            .sum::<u64>()
            * u64::from(job.spec.copies.max(1));
    }

    /// Cancel-Job.
    pub fn cancel_job(&mut self, id: u32, by: &str, now: SimTime) -> Result<(), ModelError> {
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        if job.state.is_terminal() {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "Cancel-Job",
            });
        }
        job.state = JobState::Canceled;
        job.reasons = vec!["job-canceled-by-user".into()];
        job.message = format!("Canceled by {by}");
        job.completed_at = Some(now);
        self.counters.jobs_failed += 1;
        self.finished.push_back(id);
        if self.active.as_ref().map(|a| a.job) == Some(id) {
            self.active = None;
        }
        self.handle_timeout(now);
        Ok(())
    }

    /// Hold-Job.
    pub fn hold_job(&mut self, id: u32, until: &str, now: SimTime) -> Result<(), ModelError> {
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        if !matches!(job.state, JobState::Pending | JobState::PendingHeld) {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "Hold-Job",
            });
        }
        job.state = JobState::PendingHeld;
        job.spec.hold_until = Some(until.to_string());
        job.reasons.retain(|r| r != "job-hold-until-specified");
        job.reasons.push("job-hold-until-specified".into());
        job.last_activity = now;
        Ok(())
    }

    /// Release-Job.
    pub fn release_job(&mut self, id: u32, now: SimTime) -> Result<(), ModelError> {
        let job = self.jobs.get_mut(&id).ok_or(ModelError::NoSuchJob(id))?;
        if job.state != JobState::PendingHeld {
            return Err(ModelError::NotPossible {
                id,
                state: job.state.keyword(),
                what: "Release-Job",
            });
        }
        job.state = JobState::Pending;
        job.spec.hold_until = None;
        job.reasons.retain(|r| r != "job-hold-until-specified");
        job.last_activity = now;
        self.handle_timeout(now);
        Ok(())
    }

    /// The printer is switched off: every job not yet finished is recorded as aborted.
    pub fn shut_down(&mut self, now: SimTime) {
        self.active = None;
        for job in self.jobs.values_mut() {
            if !job.state.is_terminal() {
                job.state = JobState::Aborted;
                job.reasons = vec!["aborted-by-system".into()];
                job.message = "The printer was shut down".into();
                job.completed_at = Some(now);
                job.receiving = false;
                self.counters.jobs_failed += 1;
            }
        }
    }

    // ----- time -----

    /// When the model next needs [`Printer::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<SimTime> {
        let page = match &self.active {
            Some(a) if !self.is_blocked() && self.break_hit.is_none() => Some(a.next_page_at),
            _ => None,
        };
        let mot = Duration::from_secs(u64::from(self.profile.jobs.multiple_operation_timeout));
        let incoming = self
            .jobs
            .values()
            .filter(|j| !j.closed && !j.receiving && !j.state.is_terminal())
            .map(|j| j.last_activity.after(mot))
            .min();
        match (page, incoming) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Move the printer on to `now`: print pages that are due, finish jobs,
    /// start the next, close jobs whose documents stopped coming.
    pub fn handle_timeout(&mut self, now: SimTime) {
        self.now = self.now.max(now);
        self.expire_incoming(now);
        for _ in 0..1_000_000 {
            if !self.step(now) {
                break;
            }
        }
        self.sync_job_reasons();
        self.prune_history();
        self.record_events(now);
    }

    fn record_events(&mut self, now: SimTime) {
        let snapshot = (self.state(), self.state_reasons());
        if snapshot != self.last_state {
            let stopped =
                snapshot.0 == PrinterState::Stopped && self.last_state.0 != PrinterState::Stopped;
            self.last_state = snapshot;
            self.state_changed = now;
            let text = format!(
                "Printer state is now {:?}: {}",
                self.last_state.0,
                self.state_message()
            );
            self.events
                .push(now, EventKind::PrinterStateChanged, None, text.clone());
            if stopped {
                self.events.push(now, EventKind::PrinterStopped, None, text);
            }
        }
        let mut finished = Vec::new();
        for job in self.jobs.values() {
            match self.job_states.get(&job.id) {
                None => {
                    self.events.push(
                        now,
                        EventKind::JobCreated,
                        Some(job.id),
                        format!("Job {} created", job.id),
                    );
                    if !job.state.is_terminal() {
                        self.job_states.insert(job.id, job.state);
                        continue;
                    }
                }
                Some(old) if *old == job.state => continue,
                Some(_) => {}
            }
            self.events.push(
                now,
                EventKind::JobStateChanged,
                Some(job.id),
                format!("Job {} is {}", job.id, job.state.keyword()),
            );
            if job.state.is_terminal() {
                self.events.push(
                    now,
                    EventKind::JobCompleted,
                    Some(job.id),
                    format!("Job {} {}", job.id, job.state.keyword()),
                );
                finished.push(job.id);
            }
            self.job_states.insert(job.id, job.state);
        }
        let jobs = &self.jobs;
        self.job_states.retain(|id, _| jobs.contains_key(id));
        for id in finished {
            self.events.job_finished(id, now);
        }
        self.events.expire(now);
    }

    fn expire_incoming(&mut self, now: SimTime) {
        let mot = Duration::from_secs(u64::from(self.profile.jobs.multiple_operation_timeout));
        for job in self.jobs.values_mut() {
            if !job.closed
                && !job.receiving
                && !job.state.is_terminal()
                && job.last_activity.after(mot) <= now
            {
                if job.documents.is_empty() {
                    job.state = JobState::Aborted;
                    job.reasons = vec!["aborted-by-system".into()];
                    job.message = "No document arrived within multiple-operation-time-out".into();
                    job.completed_at = Some(now);
                    self.counters.jobs_failed += 1;
                    self.finished.push_back(job.id);
                } else {
                    Self::close(job);
                }
            }
        }
    }

    /// One step of progress; false when nothing more can happen at `now`.
    fn step(&mut self, now: SimTime) -> bool {
        if self.is_blocked() || self.break_hit.is_some() {
            return false;
        }
        if let Some(active) = self.active.clone() {
            let Some(job) = self.jobs.get(&active.job) else {
                self.active = None;
                return true;
            };
            if job.impressions_completed >= job.impressions_total {
                self.finish_active(now);
                return true;
            }
            if active.next_page_at > now {
                return false;
            }
            self.print_impression(active.job, now);
            if let Some(a) = self.active.as_mut() {
                a.next_page_at = a.next_page_at.after(a.page_time);
            }
            if !self.page_breaks.is_empty() {
                let page = self.jobs.get(&active.job).map_or(0, |j| {
                    u32::try_from(j.impressions_completed).unwrap_or(u32::MAX)
                });
                for key in [(active.job, page), (0, page)] {
                    if self.page_breaks.remove(&key) {
                        self.break_hit = Some((active.job, page));
                        return false;
                    }
                }
            }
            return true;
        }
        if self.paused {
            return false;
        }
        // Highest priority first, then oldest.
        let next = self
            .jobs
            .values()
            .filter(|j| j.is_printable())
            .max_by_key(|j| {
                (
                    j.spec.priority,
                    std::cmp::Reverse(j.order),
                    std::cmp::Reverse(j.id),
                )
            })
            .map(|j| j.id);
        let Some(id) = next else { return false };
        let ppm = match self.jobs.get(&id) {
            Some(j) if j.spec.color && self.profile.speed.ppm_color > 0 => {
                self.profile.speed.ppm_color
            }
            _ => self.profile.speed.ppm,
        };
        let page_time = self.speed.page_time(ppm);
        if let Some(job) = self.jobs.get_mut(&id) {
            job.state = JobState::Processing;
            job.processing_at = Some(now);
            job.reasons = vec!["job-printing".into()];
            if job.documents.is_empty() {
                job.state = JobState::Aborted;
                job.reasons = vec!["aborted-by-system".into(), "job-data-insufficient".into()];
                job.message = "The job has no documents".into();
                job.completed_at = Some(now);
                self.counters.jobs_failed += 1;
                self.finished.push_back(id);
                return true;
            }
        }
        self.active = Some(Active {
            job: id,
            page_time,
            next_page_at: now.after(page_time),
        });
        true
    }

    fn print_impression(&mut self, id: u32, now: SimTime) {
        let (color, duplex, media) = match self.jobs.get(&id) {
            Some(j) => (j.spec.color, j.spec.duplex, j.spec.media.clone()),
            None => return,
        };
        let done = self
            .jobs
            .get(&id)
            .map(|j| j.impressions_completed)
            .unwrap_or(0);
        let new_sheet = !duplex || done % 2 == 0;
        if new_sheet && !self.take_sheet(media.as_deref(), now) {
            return;
        }
        for s in &mut self.supplies {
            if s.color_only && !color {
                continue;
            }
            s.level_ppm = s.level_ppm.saturating_sub(s.per_impression);
        }
        self.refresh_supply_conditions();
        self.counters.impressions += 1;
        if new_sheet {
            self.counters.sheets += 1;
        }
        if let Some(j) = self.jobs.get_mut(&id) {
            j.impressions_completed += 1;
            if new_sheet {
                j.sheets_completed += 1;
            }
        }
    }

    /// Take a sheet from a tray holding `media`; raise media-empty when none is left.
    fn take_sheet(&mut self, media: Option<&str>, now: SimTime) -> bool {
        if self.trays.is_empty() {
            return true;
        }
        let idx = media
            .and_then(|m| self.trays.iter().position(|t| t.media == m && t.level > 0))
            .or_else(|| media.and_then(|m| self.trays.iter().position(|t| t.media == m)))
            .or_else(|| self.trays.iter().position(|t| t.level > 0))
            .unwrap_or(0);
        let Some(tray) = self.trays.get_mut(idx) else {
            return true;
        };
        if tray.level == 0 && tray.auto_refill {
            tray.level = tray.capacity;
        }
        if tray.level == 0 {
            if self.conditions.insert(Condition::MediaEmpty) {
                self.note_raised(Condition::MediaEmpty, now);
            }
            self.state_changed = now;
            return false;
        }
        tray.level -= 1;
        true
    }

    fn refresh_supply_conditions(&mut self) {
        let low = self.supplies.iter().any(|s| s.is_low() && s.level_ppm > 0);
        let empty = self.supplies.iter().any(|s| s.level_ppm == 0);
        let now = self.now;
        if low {
            if self.conditions.insert(Condition::TonerLow) {
                self.note_raised(Condition::TonerLow, now);
            }
        } else if self.conditions.remove(&Condition::TonerLow) {
            self.alert_rows.remove(&Condition::TonerLow);
            self.condition_since.remove(&Condition::TonerLow);
        }
        if empty && self.conditions.insert(Condition::TonerEmpty) {
            self.note_raised(Condition::TonerEmpty, now);
        }
    }

    fn finish_active(&mut self, now: SimTime) {
        if let Some(a) = self.active.take() {
            if let Some(job) = self.jobs.get_mut(&a.job) {
                job.state = JobState::Completed;
                job.reasons = vec!["job-completed-successfully".into()];
                job.message = "Printed".into();
                job.completed_at = Some(now);
                self.counters.jobs_completed += 1;
                self.finished.push_back(a.job);
            }
        }
    }

    fn sync_job_reasons(&mut self) {
        let blocked = self.is_blocked();
        if let Some(a) = &self.active {
            if let Some(job) = self.jobs.get_mut(&a.job) {
                if blocked {
                    job.state = JobState::ProcessingStopped;
                    if !job.reasons.iter().any(|r| r == "printer-stopped") {
                        job.reasons.push("printer-stopped".into());
                    }
                } else if job.state == JobState::ProcessingStopped {
                    job.state = JobState::Processing;
                    job.reasons.retain(|r| r != "printer-stopped");
                }
            }
        }
    }

    fn prune_history(&mut self) {
        let limit = self.profile.jobs.history;
        while self.finished.len() > limit {
            if let Some(old) = self.finished.pop_front() {
                self.jobs.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn printer(speed: Speed) -> Printer {
        Printer::new(
            Arc::new(Profile::default_profile().unwrap()),
            Clock::new(1_700_000_000_000),
            speed,
        )
    }

    fn doc(pages: u32) -> Document {
        Document {
            number: 1,
            format: "application/pdf".into(),
            name: None,
            compression: "none".into(),
            path: PathBuf::from("/dev/null"),
            bytes: 10,
            wire_bytes: 10,
            sha256: String::new(),
            pages,
            canceled: false,
        }
    }

    fn submit(p: &mut Printer, pages: u32, now: SimTime) -> u32 {
        let id = p.create_job(
            NewJob {
                name: "t".into(),
                user: "u".into(),
                copies: 1,
                priority: 50,
                ..Default::default()
            },
            now,
        );
        p.begin_document(id, now).unwrap();
        p.add_document(id, doc(pages), true, now).unwrap();
        id
    }

    #[test]
    fn jobs_take_simulated_time_and_queue() {
        let mut p = printer(Speed::Realtime); // 30 ppm: 2 s a page
        let a = submit(&mut p, 2, SimTime(0));
        let b = submit(&mut p, 1, SimTime(0));
        assert_eq!(p.job(a).unwrap().state, JobState::Processing);
        assert_eq!(p.job(b).unwrap().state, JobState::Pending);
        assert_eq!(p.state(), PrinterState::Processing);
        assert_eq!(p.poll_timeout(), Some(SimTime(2000)));
        p.handle_timeout(SimTime(2000));
        assert_eq!(p.job(a).unwrap().impressions_completed, 1);
        p.handle_timeout(SimTime(4000));
        assert_eq!(p.job(a).unwrap().state, JobState::Completed);
        assert_eq!(p.job(b).unwrap().state, JobState::Processing);
        p.handle_timeout(SimTime(6000));
        assert_eq!(p.job(b).unwrap().state, JobState::Completed);
        assert_eq!(p.state(), PrinterState::Idle);
        assert_eq!(p.counters.impressions, 3);
    }

    #[test]
    fn jam_stops_and_clear_resumes() {
        let mut p = printer(Speed::Realtime);
        let a = submit(&mut p, 3, SimTime(0));
        p.raise(Condition::MediaJam, SimTime(100));
        assert_eq!(p.state(), PrinterState::Stopped);
        assert!(p.state_reasons().contains(&"media-jam-error".to_string()));
        assert_eq!(p.job(a).unwrap().state, JobState::ProcessingStopped);
        p.handle_timeout(SimTime(60_000));
        assert_eq!(p.job(a).unwrap().impressions_completed, 0);
        p.clear(Condition::MediaJam, SimTime(60_000));
        assert_eq!(p.job(a).unwrap().state, JobState::Processing);
        p.handle_timeout(SimTime(70_000));
        assert_eq!(p.job(a).unwrap().state, JobState::Completed);
    }

    #[test]
    fn instant_speed_completes_at_once() {
        let mut p = printer(Speed::Instant);
        let a = submit(&mut p, 50, SimTime(0));
        p.handle_timeout(SimTime(0));
        assert_eq!(p.job(a).unwrap().state, JobState::Completed);
    }

    #[test]
    fn hold_release_cancel() {
        let mut p = printer(Speed::Instant);
        let id = p.create_job(
            NewJob {
                hold_until: Some("indefinite".into()),
                copies: 1,
                ..Default::default()
            },
            SimTime(0),
        );
        p.begin_document(id, SimTime(0)).unwrap();
        p.add_document(id, doc(1), true, SimTime(0)).unwrap();
        assert_eq!(p.job(id).unwrap().state, JobState::PendingHeld);
        p.release_job(id, SimTime(1)).unwrap();
        assert_eq!(p.job(id).unwrap().state, JobState::Completed);
        assert!(p.cancel_job(id, "u", SimTime(2)).is_err());
    }

    #[test]
    fn paused_printer_starts_nothing() {
        let mut p = printer(Speed::Instant);
        p.pause(SimTime(0));
        let a = submit(&mut p, 1, SimTime(0));
        assert_eq!(p.job(a).unwrap().state, JobState::Pending);
        assert_eq!(p.state(), PrinterState::Stopped);
        p.resume(SimTime(1));
        assert_eq!(p.job(a).unwrap().state, JobState::Completed);
    }

    #[test]
    fn create_job_times_out_without_documents() {
        let mut p = printer(Speed::Instant);
        let id = p.create_job(NewJob::default(), SimTime(0));
        let t = p.poll_timeout().unwrap();
        p.handle_timeout(t);
        assert_eq!(p.job(id).unwrap().state, JobState::Aborted);
    }

    #[test]
    fn history_is_bounded() {
        let mut p = printer(Speed::Instant);
        let limit = p.profile.jobs.history;
        for _ in 0..limit + 5 {
            submit(&mut p, 1, SimTime(0));
        }
        assert_eq!(p.jobs().count(), limit);
    }
}
