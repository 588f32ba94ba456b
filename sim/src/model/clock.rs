//! Simulated time: the model never reads the OS clock; it is told what time it is.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A point in simulated time: milliseconds since the printer was switched on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The moment the printer was switched on.
    pub const ZERO: SimTime = SimTime(0);

    /// Milliseconds since power-on.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds since power-on.
    pub fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// This time plus `d`, saturating.
    pub fn after(self, d: Duration) -> SimTime {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        SimTime(self.0.saturating_add(ms))
    }

    /// Time elapsed since `earlier` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// The printer's notion of wall-clock time: the Unix time at power-on, plus
/// simulated time since. Given once at construction, so the core stays
/// deterministic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Unix time in milliseconds at which the printer was switched on.
    pub boot_unix_ms: i64,
}

impl Clock {
    /// A clock whose power-on happened at `boot_unix_ms`.
    pub fn new(boot_unix_ms: i64) -> Clock {
        Clock { boot_unix_ms }
    }

    /// Unix time in milliseconds at simulated time `t`.
    pub fn unix_ms(&self, t: SimTime) -> i64 {
        self.boot_unix_ms
            .saturating_add(i64::try_from(t.0).unwrap_or(i64::MAX))
    }
}

/// How fast simulated printing goes compared with the profile's pages per minute.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Speed {
    /// As fast as the profile's pages-per-minute says.
    #[default]
    Realtime,
    /// Every page takes no time at all.
    Instant,
    /// `Factor(10.0)` prints ten times faster than the profile says.
    Factor(f64),
}

impl Speed {
    /// How long one page takes at `ppm` pages per minute.
    pub fn page_time(self, ppm: u32) -> Duration {
        let base_ms = 60_000.0 / f64::from(ppm.max(1));
        let ms = match self {
            Speed::Realtime => base_ms,
            Speed::Instant => 0.0,
            Speed::Factor(f) if f > 0.0 => base_ms / f,
            Speed::Factor(_) => 0.0,
        };
        Duration::from_micros((ms * 1000.0) as u64)
    }
}

/// The speed given on the command line was not `realtime`, `instant` or a positive number.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("speed '{0}' is not 'realtime', 'instant' or a positive factor such as '10'")]
pub struct BadSpeed(pub String);

impl FromStr for Speed {
    type Err = BadSpeed;
    fn from_str(s: &str) -> Result<Speed, BadSpeed> {
        match s {
            "realtime" => Ok(Speed::Realtime),
            "instant" => Ok(Speed::Instant),
            other => match other.trim_end_matches('x').parse::<f64>() {
                Ok(f) if f.is_finite() && f > 0.0 => Ok(Speed::Factor(f)),
                _ => Err(BadSpeed(s.to_string())),
            },
        }
    }
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Speed::Realtime => f.write_str("realtime"),
            Speed::Instant => f.write_str("instant"),
            Speed::Factor(x) => write!(f, "{x}x"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_parse() {
        assert_eq!("instant".parse::<Speed>(), Ok(Speed::Instant));
        assert_eq!("realtime".parse::<Speed>(), Ok(Speed::Realtime));
        assert_eq!("10".parse::<Speed>(), Ok(Speed::Factor(10.0)));
        assert_eq!("2.5x".parse::<Speed>(), Ok(Speed::Factor(2.5)));
        assert!("0".parse::<Speed>().is_err());
        assert!("-3".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
    }

    #[test]
    fn page_time_scales() {
        assert_eq!(Speed::Realtime.page_time(30), Duration::from_secs(2));
        assert_eq!(Speed::Factor(2.0).page_time(30), Duration::from_secs(1));
        assert_eq!(Speed::Instant.page_time(30), Duration::ZERO);
    }
}
