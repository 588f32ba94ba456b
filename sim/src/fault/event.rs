//! Printer events: things that happen to the one printer model, so that every
//! protocol shows them at once (IPP `printer-state-reasons`, the SNMP alert
//! table, PJL status codes, the LPD queue listing).

use std::fmt;
use std::time::Duration;

use crate::model::{Condition, Printer, SimTime};

use super::duration::format_duration;

/// How long a power cycle keeps the printer off the network, unless told.
pub const DEFAULT_BOOT_DELAY: Duration = Duration::from_secs(5);

/// Something that happens to the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrinterEvent {
    /// A condition is raised (and stays until cleared).
    Condition(Condition),
    /// The printer stops at once, as if its Pause button were pressed.
    Paused,
    /// The job printing now is aborted by the printer (one-shot).
    JobAborted,
    /// The power goes off and comes back after `boot`: connections drop, jobs in
    /// progress are aborted, the printer answers again when it has booted.
    PowerCycle {
        /// Time off the network.
        boot: Duration,
    },
}

impl PrinterEvent {
    /// Every event, with its default parameters.
    pub fn all() -> Vec<PrinterEvent> {
        let mut v: Vec<PrinterEvent> = Condition::ALL
            .into_iter()
            .map(PrinterEvent::Condition)
            .collect();
        v.push(PrinterEvent::Paused);
        v.push(PrinterEvent::JobAborted);
        v.push(PrinterEvent::PowerCycle {
            boot: DEFAULT_BOOT_DELAY,
        });
        v
    }

    /// Its name in a fault spec.
    pub fn name(&self) -> &'static str {
        match self {
            PrinterEvent::Condition(c) => condition_name(*c),
            PrinterEvent::Paused => "paused",
            PrinterEvent::JobAborted => "job-aborted",
            PrinterEvent::PowerCycle { .. } => "power-cycle",
        }
    }

    /// The event called `name`; `value` is the text after `=` (only
    /// `power-cycle` takes one: its boot delay).
    pub fn from_name(name: &str, value: Option<Duration>) -> Option<PrinterEvent> {
        if name == "power-cycle" {
            return Some(PrinterEvent::PowerCycle {
                boot: value.unwrap_or(DEFAULT_BOOT_DELAY),
            });
        }
        if value.is_some() {
            return None;
        }
        match name {
            "paused" | "pause" => Some(PrinterEvent::Paused),
            "job-aborted" => Some(PrinterEvent::JobAborted),
            _ => Condition::ALL
                .into_iter()
                .find(|c| condition_name(*c) == name)
                .map(PrinterEvent::Condition),
        }
    }

    /// Whether the event stays raised until cleared (`false` for one-shots:
    /// `job-aborted`, and `power-cycle`, which ends by itself).
    pub fn is_sticky(&self) -> bool {
        matches!(self, PrinterEvent::Condition(_) | PrinterEvent::Paused)
    }

    /// Apply it to the model at `now`.
    pub fn raise(&self, p: &mut Printer, now: SimTime) {
        match self {
            PrinterEvent::Condition(c) => p.raise(*c, now),
            PrinterEvent::Paused => p.pause_now(now),
            PrinterEvent::JobAborted => {
                // Nothing printing: nothing to abort, and that is not an error.
                let _ = p.abort_current("Aborted by the printer (fault job-aborted)", now);
            }
            PrinterEvent::PowerCycle { boot } => p.power_cycle(now, now.after(*boot)),
        }
    }

    /// Undo it at `now` (nothing to undo for one-shots).
    pub fn clear(&self, p: &mut Printer, now: SimTime) {
        match self {
            PrinterEvent::Condition(c) => p.clear(*c, now),
            PrinterEvent::Paused => p.resume(now),
            PrinterEvent::JobAborted | PrinterEvent::PowerCycle { .. } => {}
        }
    }
}

/// The fault name of a condition: its IPP keyword without the severity suffix.
pub fn condition_name(c: Condition) -> &'static str {
    match c {
        Condition::MediaJam => "media-jam",
        Condition::MediaEmpty => "media-empty",
        Condition::MediaNeeded => "media-needed",
        Condition::DoorOpen => "door-open",
        Condition::TonerLow => "toner-low",
        Condition::TonerEmpty => "toner-empty",
        Condition::MarkerWasteFull => "marker-waste-full",
        Condition::Offline => "offline",
    }
}

impl fmt::Display for PrinterEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterEvent::PowerCycle { boot } => {
                write!(f, "power-cycle={}", format_duration(*boot))
            }
            other => f.write_str(other.name()),
        }
    }
}
