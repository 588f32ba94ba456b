//! Scenarios: a timeline of faults to raise and clear, written in TOML
//! (`fixtures/scenarios/*.toml`, or a profile's `[scenario]` table) and driven by
//! the printer's own clock, its jobs and pages, and the requests it receives.
//!
//! ```toml
//! name = "jam on page 3 of the second job, cleared 10 s later"
//! seed = 7                      # optional; `serve --seed` wins
//! faults = ["latency=20ms"]     # raised at start
//!
//! [[step]]
//! at_job = 2                    # job 2 ...
//! at_page = 3                   # ... has printed its third page
//! raise = "media-jam"
//! for = "10s"                   # cleared by itself 10 s later
//!
//! [[step]]
//! on_request = "Get-Printer-Attributes"
//! nth = 2                       # the second such request, before it is answered
//! raise = "server-error-busy"
//! for = "3s"
//!
//! [[step]]
//! after = "30s"                 # since the printer started
//! probability = 0.5             # rolled once, from the seed
//! raise = "power-cycle=5s"
//! ```
//!
//! A step fires once, when all of its triggers hold (`after`, `at_job`,
//! `at_page`, `on_request` + `nth`), with probability `probability`; its
//! action is `raise` (optionally `for` a while) or `clear`. The engine is
//! sans-IO: it is told the time, shown the model, and returns what to do.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::ipp::Operation;
use crate::model::{Printer, SimTime};

use super::duration::parse_duration;
use super::{Fault, FaultError, SeededRng};

/// A scenario file as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// What the scenario shows.
    #[serde(default)]
    pub name: String,
    /// Seed of the random choices (overridden by `serve --seed`).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Faults raised at start.
    #[serde(default)]
    pub faults: Vec<String>,
    /// The timeline.
    #[serde(default, rename = "step")]
    pub steps: Vec<StepSpec>,
}

/// One step as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Time since the printer started (`"5s"`).
    pub after: Option<String>,
    /// When this job (1 = the first) has arrived, or with `at_page`, printed that page.
    pub at_job: Option<u32>,
    /// When a job (or job `at_job`) has printed this page.
    pub at_page: Option<u32>,
    /// When a request of this operation arrives (with `nth`).
    pub on_request: Option<String>,
    /// Which request of `on_request` (1 = the first; default 1).
    pub nth: Option<u32>,
    /// Probability that the step fires when its triggers hold (default 1).
    pub probability: Option<f64>,
    /// A fault to raise.
    pub raise: Option<String>,
    /// How long the raised fault lasts (default: until cleared).
    #[serde(rename = "for")]
    pub hold: Option<String>,
    /// A fault to clear: its name, spec or id.
    pub clear: Option<String>,
}

/// A scenario that cannot be used; every variant names the field.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not TOML of the right shape (unknown keys included).
    #[error("scenario {path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The TOML parser's message (with line and column).
        message: String,
    },
    /// A field with a value that cannot be used.
    #[error("{field}: {reason}")]
    Field {
        /// Where: `step[2].raise`, `faults[0]`.
        field: String,
        /// Why.
        reason: String,
    },
}

fn field_err(field: impl Into<String>, reason: impl ToString) -> ScenarioError {
    ScenarioError::Field {
        field: field.into(),
        reason: reason.to_string(),
    }
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Raise a fault, for a while or until cleared.
    Raise {
        /// The fault.
        fault: Fault,
        /// How long it lasts.
        hold: Option<Duration>,
    },
    /// Clear the faults matching this selector.
    Clear(String),
}

/// When a step fires.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trigger {
    /// Not before this time.
    pub after: Option<Duration>,
    /// Job K has arrived (or printed `at_page`).
    pub at_job: Option<u32>,
    /// Page P has printed.
    pub at_page: Option<u32>,
    /// The `nth` request of this operation.
    pub on_request: Option<(Operation, u32)>,
}

/// One checked step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// When.
    pub when: Trigger,
    /// Probability it fires.
    pub probability: f64,
    /// What.
    pub action: Action,
}

/// A checked scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scenario {
    /// What it shows.
    pub name: String,
    /// Its own seed, if it has one.
    pub seed: Option<u64>,
    /// Faults raised at start.
    pub initial: Vec<Fault>,
    /// The timeline.
    pub steps: Vec<Step>,
}

fn operation_named(name: &str) -> Option<Operation> {
    (0..=0x100u16)
        .map(Operation::from_raw)
        .find(|o| o.name() == Some(name))
}

impl Scenario {
    /// Read and check a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Scenario::from_toml(&text, &path.display().to_string())
    }

    /// Parse and check scenario TOML; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        let spec: ScenarioSpec = toml::from_str(text).map_err(|e| ScenarioError::Syntax {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        Scenario::from_spec(&spec)
    }

    /// Check a parsed scenario.
    pub fn from_spec(spec: &ScenarioSpec) -> Result<Scenario, ScenarioError> {
        let initial = spec
            .faults
            .iter()
            .enumerate()
            .map(|(i, f)| {
                f.parse::<Fault>()
                    .map_err(|e| field_err(format!("faults[{i}]"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut steps = Vec::new();
        for (i, s) in spec.steps.iter().enumerate() {
            let at = |f: &str| format!("step[{i}].{f}");
            let dur = |f: &str, v: &str| {
                parse_duration(v).map_err(|e: super::duration::DurationError| field_err(at(f), e))
            };
            let after = s.after.as_deref().map(|v| dur("after", v)).transpose()?;
            if s.at_job == Some(0) {
                return Err(field_err(at("at_job"), "jobs count from 1"));
            }
            if s.at_page == Some(0) {
                return Err(field_err(at("at_page"), "pages count from 1"));
            }
            let on_request = match (&s.on_request, s.nth) {
                (None, Some(_)) => {
                    return Err(field_err(
                        at("nth"),
                        "needs on_request = \"Operation-Name\"",
                    ))
                }
                (None, None) => None,
                (Some(op), nth) => {
                    let o = operation_named(op).ok_or_else(|| {
                        field_err(
                            at("on_request"),
                            format!("unknown operation '{op}' (use an IPP operation name such as Send-Document)"),
                        )
                    })?;
                    let n = nth.unwrap_or(1);
                    if n == 0 {
                        return Err(field_err(at("nth"), "requests count from 1"));
                    }
                    Some((o, n))
                }
            };
            let probability = s.probability.unwrap_or(1.0);
            if !(0.0..=1.0).contains(&probability) {
                return Err(field_err(
                    at("probability"),
                    format!("{probability} is outside 0.0..=1.0"),
                ));
            }
            let when = Trigger {
                after,
                at_job: s.at_job,
                at_page: s.at_page,
                on_request,
            };
            if when == Trigger::default() {
                return Err(field_err(
                    format!("step[{i}]"),
                    "has no trigger (after, at_job, at_page or on_request)",
                ));
            }
            let action = match (&s.raise, &s.clear) {
                (Some(r), None) => Action::Raise {
                    fault: r
                        .parse()
                        .map_err(|e: FaultError| field_err(at("raise"), e))?,
                    hold: s.hold.as_deref().map(|v| dur("for", v)).transpose()?,
                },
                (None, Some(c)) => {
                    if s.hold.is_some() {
                        return Err(field_err(at("for"), "only a raise lasts for a while"));
                    }
                    if c.trim().is_empty() {
                        return Err(field_err(at("clear"), "empty"));
                    }
                    Action::Clear(c.trim().to_string())
                }
                (Some(_), Some(_)) => {
                    return Err(field_err(
                        format!("step[{i}]"),
                        "has both raise and clear; write two steps",
                    ))
                }
                (None, None) => {
                    return Err(field_err(
                        format!("step[{i}]"),
                        "has neither raise nor clear",
                    ))
                }
            };
            steps.push(Step {
                when,
                probability,
                action,
            });
        }
        let sc = Scenario {
            name: spec.name.clone(),
            seed: spec.seed,
            initial,
            steps,
        };
        sc.check_timeline()?;
        Ok(sc)
    }

    /// A clear that can only come before every raise of its fault cannot do
    /// anything: reject it. Only steps triggered by time alone have a known
    /// order; others are assumed possible.
    fn check_timeline(&self) -> Result<(), ScenarioError> {
        let time_only =
            |t: &Trigger| t.at_job.is_none() && t.at_page.is_none() && t.on_request.is_none();
        for (i, s) in self.steps.iter().enumerate() {
            let Action::Clear(sel) = &s.action else {
                continue;
            };
            if !time_only(&s.when) {
                continue;
            }
            let at = s.when.after.unwrap_or_default();
            let matches = |f: &Fault| f.name() == sel || f.to_string() == *sel;
            let raised_initially = self.initial.iter().any(matches);
            let raisers: Vec<&Step> = self
                .steps
                .iter()
                .filter(|o| matches!(&o.action, Action::Raise { fault, .. } if matches(fault)))
                .collect();
            if raised_initially || sel.parse::<u64>().is_ok() {
                continue;
            }
            if raisers.is_empty() {
                return Err(field_err(
                    format!("step[{i}].clear"),
                    format!("'{sel}' is never raised by this scenario"),
                ));
            }
            let possible = raisers
                .iter()
                .any(|r| !time_only(&r.when) || r.when.after.unwrap_or_default() <= at);
            if !possible {
                return Err(field_err(
                    format!("step[{i}].clear"),
                    format!(
                        "clears '{sel}' at {at:?}, before any step raises it: the timeline is impossible"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A scenario being played on one printer.
#[derive(Debug)]
pub struct ScenarioRun {
    steps: Vec<Step>,
    fired: Vec<bool>,
    rolls: Vec<SeededRng>,
    requests: BTreeMap<u16, u32>,
}

impl ScenarioRun {
    /// Start playing `scenario` with `seed` on `printer` (page triggers are
    /// registered with the model so they stop it at the exact page).
    pub fn new(scenario: &Scenario, seed: u64, printer: &mut Printer) -> ScenarioRun {
        for s in &scenario.steps {
            if let Some(page) = s.when.at_page {
                printer.add_page_break(s.when.at_job, page);
            }
        }
        let salt = seed ^ 0x5CE7_A410_0000_0000;
        ScenarioRun {
            fired: vec![false; scenario.steps.len()],
            rolls: (0..scenario.steps.len() as u64)
                .map(|i| SeededRng::derive(salt, i))
                .collect(),
            steps: scenario.steps.clone(),
            requests: BTreeMap::new(),
        }
    }

    /// A request of `op` arrived: count it and return what fires now (before
    /// the request is handled, so a fault raised here applies to it).
    pub fn on_request(&mut self, op: Operation, printer: &Printer, now: SimTime) -> Vec<Action> {
        let n = self.requests.entry(op.raw()).or_insert(0);
        *n = n.saturating_add(1);
        self.poll(printer, now)
    }

    /// What fires at `now`, given the model.
    pub fn poll(&mut self, printer: &Printer, now: SimTime) -> Vec<Action> {
        let mut out = Vec::new();
        for i in 0..self.steps.len() {
            if self.fired[i] || !self.holds(&self.steps[i].when, printer, now) {
                continue;
            }
            self.fired[i] = true;
            if self.rolls[i].chance(self.steps[i].probability) {
                out.push(self.steps[i].action.clone());
            }
        }
        out
    }

    fn holds(&self, t: &Trigger, p: &Printer, now: SimTime) -> bool {
        if let Some(a) = t.after {
            if now < SimTime::ZERO.after(a) {
                return false;
            }
        }
        if let Some((op, nth)) = t.on_request {
            if self.requests.get(&op.raw()).copied().unwrap_or(0) < nth {
                return false;
            }
        }
        match (t.at_job, t.at_page) {
            (None, None) => true,
            (Some(k), None) => p.job(k).is_some(),
            (job, Some(page)) => {
                let printed = |id: u32| {
                    p.job(id)
                        .is_some_and(|j| j.impressions_completed >= u64::from(page))
                };
                match job {
                    Some(k) => printed(k),
                    None => {
                        p.page_break_hit().is_some_and(|(_, pg)| pg >= page)
                            || p.active_job().is_some_and(printed)
                    }
                }
            }
        }
    }

    /// When the next time-only step is due.
    pub fn next_deadline(&self) -> Option<SimTime> {
        self.steps
            .iter()
            .zip(&self.fired)
            .filter(|(s, f)| {
                !**f && s.when.at_job.is_none()
                    && s.when.at_page.is_none()
                    && s.when.on_request.is_none()
            })
            .filter_map(|(s, _)| s.when.after.map(|a| SimTime::ZERO.after(a)))
            .min()
    }

    /// Whether every step has fired.
    pub fn is_done(&self) -> bool {
        self.fired.iter().all(|f| *f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Scenario::from_toml(text, "t.toml").unwrap_err().to_string()
    }

    #[test]
    fn a_full_scenario_parses() {
        let s = Scenario::from_toml(
            r#"
name = "x"
seed = 3
faults = ["latency=20ms"]
[[step]]
at_job = 2
at_page = 3
raise = "media-jam"
for = "10s"
[[step]]
on_request = "Get-Printer-Attributes"
nth = 2
raise = "wrong-request-id"
[[step]]
after = "30s"
probability = 0.5
clear = "latency"
"#,
            "t.toml",
        )
        .unwrap();
        assert_eq!(s.seed, Some(3));
        assert_eq!(s.steps.len(), 3);
        assert_eq!(s.steps[0].when.at_page, Some(3));
        assert_eq!(
            s.steps[1].when.on_request,
            Some((Operation::GetPrinterAttributes, 2))
        );
    }

    #[test]
    fn bad_scenarios_name_the_field() {
        assert!(err("[[step]]\nafter = \"-5s\"\nraise = \"media-jam\"")
            .starts_with("step[0].after: negative duration"));
        assert!(err("[[step]]\nafter = \"5s\"\nraise = \"paper-explosion\"")
            .starts_with("step[0].raise: unknown fault"));
        assert!(err("[[step]]\nraise = \"media-jam\"").contains("step[0]: has no trigger"));
        assert!(
            err("[[step]]\nafter = \"1s\"\nraise = \"media-jam\"\nclear = \"media-jam\"")
                .contains("both raise and clear")
        );
        assert!(err("[[step]]\nat_page = 0\nraise = \"media-jam\"").starts_with("step[0].at_page"));
        assert!(err("[[step]]\nnth = 2\nraise = \"media-jam\"").starts_with("step[0].nth"));
        assert!(
            err("[[step]]\non_request = \"Print-Everything\"\nraise = \"media-jam\"")
                .starts_with("step[0].on_request: unknown operation")
        );
        assert!(
            err("[[step]]\nafter = \"1s\"\nprobability = 1.5\nraise = \"media-jam\"")
                .starts_with("step[0].probability")
        );
        assert!(
            err("[[step]]\nafter = \"1s\"\nclear = \"media-jam\"\nfor = \"1s\"")
                .starts_with("step[0].for")
        );
        assert!(
            err("[[step]]\nafter = \"1s\"\nraise = \"media-jam\"\ncolour = 1")
                .contains("unknown field `colour`")
        );
        assert!(err("faults = [\"latency=fast\"]").starts_with("faults[0]: latency"));
        // Impossible timelines.
        assert!(err("[[step]]\nafter = \"5s\"\nclear = \"media-jam\"").contains("never raised"));
        assert!(err(
            "[[step]]\nafter = \"5s\"\nclear = \"media-jam\"\n[[step]]\nafter = \"10s\"\nraise = \"media-jam\""
        )
        .contains("timeline is impossible"));
    }

    #[test]
    fn steps_fire_once_on_their_triggers() {
        use crate::model::{Clock, Speed};
        let profile = std::sync::Arc::new(crate::profile::Profile::default_profile().unwrap());
        let mut p = Printer::new(profile, Clock::new(0), Speed::Instant);
        let s = Scenario::from_toml(
            r#"
[[step]]
after = "2s"
raise = "toner-low"
[[step]]
on_request = "Get-Jobs"
nth = 2
raise = "media-jam"
"#,
            "t",
        )
        .unwrap();
        let mut run = ScenarioRun::new(&s, 1, &mut p);
        assert_eq!(run.next_deadline(), Some(SimTime(2000)));
        assert!(run.poll(&p, SimTime(1999)).is_empty());
        assert_eq!(run.poll(&p, SimTime(2000)).len(), 1);
        assert!(run.poll(&p, SimTime(5000)).is_empty());
        assert!(run
            .on_request(Operation::GetJobs, &p, SimTime(5000))
            .is_empty());
        let a = run.on_request(Operation::GetJobs, &p, SimTime(5001));
        assert_eq!(
            a,
            vec![Action::Raise {
                fault: "media-jam".parse().unwrap(),
                hold: None
            }]
        );
        assert!(run.is_done());
    }
}
