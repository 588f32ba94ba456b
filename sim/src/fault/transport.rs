//! Transport toxics: what happens to the bytes of a TCP connection, in
//! toxiproxy's vocabulary and with its semantics. Each toxic acts on one
//! direction and hits a connection with probability `toxicity` (decided once per
//! connection, from the seed).
//!
//! Written `NAME[=VALUE][,key=value…]`:
//!
//! | toxic | value | keys | effect |
//! |---|---|---|---|
//! | `latency` | delay | `jitter` | each chunk waits delay ± jitter |
//! | `bandwidth` | bytes/s | | at most that many bytes a second |
//! | `slicer` | average bytes | `variation`, `delay` | writes cut into small slices with a pause between |
//! | `stall` (or `timeout`) | close after (optional) | | data stops; the connection closes after the timeout, or never |
//! | `reset_peer` | after (optional) | | the connection is reset (RST, linger 0) after the timeout |
//! | `limit_data` | bytes | | the connection closes once that many bytes have passed |
//! | `slow_close` | delay | | the close is delayed |
//! | `down` | | | the listener refuses connections |
//!
//! Common keys: `direction=downstream|upstream` (default downstream: server to
//! client) and `toxicity=0.0…1.0` (default 1). Names take `-` or `_`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::duration::{format_duration, parse_duration};
use super::FaultError;

/// Which way the bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// From the printer to the client (responses). Toxiproxy's default.
    #[default]
    Downstream,
    /// From the client to the printer (requests, documents).
    Upstream,
}

impl Direction {
    /// Its name in a fault spec.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Downstream => "downstream",
            Direction::Upstream => "upstream",
        }
    }
}

/// What a toxic does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ToxicKind {
    /// Each chunk is delayed by `latency ± jitter`.
    Latency {
        /// Mean delay.
        latency: Duration,
        /// Uniform spread either side.
        jitter: Duration,
    },
    /// At most `rate` bytes a second.
    Bandwidth {
        /// Bytes per second (at least 1).
        rate: u64,
    },
    /// Data is cut into slices of `average ± variation` bytes, `delay` apart.
    Slicer {
        /// Mean slice size (at least 1).
        average: usize,
        /// Spread of slice sizes.
        variation: usize,
        /// Pause between slices.
        delay: Duration,
    },
    /// No data passes; after `timeout` the connection is closed (never, if `None`).
    Stall {
        /// When to give up and close.
        timeout: Option<Duration>,
    },
    /// The connection is reset (TCP RST) `timeout` after the toxic took hold.
    ResetPeer {
        /// Delay before the reset.
        timeout: Duration,
    },
    /// The connection closes once `bytes` bytes have passed.
    LimitData {
        /// Byte budget.
        bytes: u64,
    },
    /// Closing the connection is delayed by `delay`.
    SlowClose {
        /// The delay.
        delay: Duration,
    },
    /// The listener refuses new connections (and drops those it has).
    Down,
}

impl ToxicKind {
    /// Its canonical (toxiproxy) name.
    pub fn name(&self) -> &'static str {
        match self {
            ToxicKind::Latency { .. } => "latency",
            ToxicKind::Bandwidth { .. } => "bandwidth",
            ToxicKind::Slicer { .. } => "slicer",
            ToxicKind::Stall { .. } => "stall",
            ToxicKind::ResetPeer { .. } => "reset_peer",
            ToxicKind::LimitData { .. } => "limit_data",
            ToxicKind::SlowClose { .. } => "slow_close",
            ToxicKind::Down => "down",
        }
    }

    /// Every toxic name a spec may start with, canonical first.
    pub const NAMES: [&'static str; 8] = [
        "latency",
        "bandwidth",
        "slicer",
        "stall",
        "reset_peer",
        "limit_data",
        "slow_close",
        "down",
    ];
}

/// A toxic on one direction of every connection it hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Toxic {
    /// What it does.
    pub kind: ToxicKind,
    /// Which direction.
    pub direction: Direction,
    /// Probability that a connection is affected, `0.0..=1.0`.
    pub toxicity: f64,
}

/// Normalise `reset-peer` to `reset_peer`, `timeout` to `stall`.
pub(super) fn canonical_toxic_name(name: &str) -> Option<&'static str> {
    let n = name.replace('-', "_");
    match n.as_str() {
        "timeout" => Some("stall"),
        other => ToxicKind::NAMES.into_iter().find(|k| *k == other),
    }
}

fn need<'a>(field: &str, v: Option<&'a str>) -> Result<&'a str, FaultError> {
    v.ok_or_else(|| FaultError::MissingValue {
        field: field.to_string(),
    })
}

fn dur(field: &str, v: &str) -> Result<Duration, FaultError> {
    parse_duration(v).map_err(|e| FaultError::BadValue {
        field: field.to_string(),
        reason: e.to_string(),
    })
}

fn count(field: &str, v: &str, min: u64) -> Result<u64, FaultError> {
    let t = v.trim();
    if t.starts_with('-') {
        return Err(FaultError::BadValue {
            field: field.to_string(),
            reason: format!("'{t}' is negative"),
        });
    }
    let n: u64 = t.parse().map_err(|_| FaultError::BadValue {
        field: field.to_string(),
        reason: format!("'{t}' is not a whole number"),
    })?;
    if n < min {
        return Err(FaultError::BadValue {
            field: field.to_string(),
            reason: format!("must be at least {min}"),
        });
    }
    Ok(n)
}

impl Toxic {
    /// Build from a parsed spec: `name` is canonical, `value` the text after
    /// `=`, `keys` the other `key=value` pairs.
    pub(super) fn from_parts(
        name: &'static str,
        value: Option<&str>,
        keys: &[(&str, &str)],
    ) -> Result<Toxic, FaultError> {
        let mut direction = Direction::Downstream;
        let mut toxicity = 1.0;
        let mut jitter = Duration::ZERO;
        let mut variation = 0usize;
        let mut delay = Duration::ZERO;
        for (k, v) in keys {
            match (*k, name) {
                ("direction", _) => {
                    direction = match *v {
                        "downstream" | "down" => Direction::Downstream,
                        "upstream" | "up" => Direction::Upstream,
                        other => {
                            return Err(FaultError::BadValue {
                                field: "direction".into(),
                                reason: format!("'{other}' is neither upstream nor downstream"),
                            })
                        }
                    }
                }
                ("toxicity", _) => {
                    let t: f64 = v.parse().map_err(|_| FaultError::BadValue {
                        field: "toxicity".into(),
                        reason: format!("'{v}' is not a number"),
                    })?;
                    if !(0.0..=1.0).contains(&t) {
                        return Err(FaultError::BadValue {
                            field: "toxicity".into(),
                            reason: format!("{t} is outside 0.0..=1.0"),
                        });
                    }
                    toxicity = t;
                }
                ("jitter", "latency") => jitter = dur("jitter", v)?,
                ("variation", "slicer") => {
                    variation = usize::try_from(count("variation", v, 0)?).unwrap_or(usize::MAX)
                }
                ("delay", "slicer") => delay = dur("delay", v)?,
                (other, _) => {
                    return Err(FaultError::UnknownKey {
                        fault: name.to_string(),
                        key: other.to_string(),
                    })
                }
            }
        }
        let kind = match name {
            "latency" => ToxicKind::Latency {
                latency: dur("latency", need("latency", value)?)?,
                jitter,
            },
            "bandwidth" => ToxicKind::Bandwidth {
                rate: count("bandwidth", need("bandwidth", value)?, 1)?,
            },
            "slicer" => {
                let average = count("slicer", need("slicer", value)?, 1)?;
                ToxicKind::Slicer {
                    average: usize::try_from(average).unwrap_or(usize::MAX),
                    variation,
                    delay,
                }
            }
            "stall" => ToxicKind::Stall {
                timeout: value.map(|v| dur("stall", v)).transpose()?,
            },
            "reset_peer" => ToxicKind::ResetPeer {
                timeout: value
                    .map(|v| dur("reset_peer", v))
                    .transpose()?
                    .unwrap_or(Duration::ZERO),
            },
            "limit_data" => ToxicKind::LimitData {
                bytes: count("limit_data", need("limit_data", value)?, 0)?,
            },
            "slow_close" => ToxicKind::SlowClose {
                delay: dur("slow_close", need("slow_close", value)?)?,
            },
            "down" => {
                if let Some(v) = value {
                    return Err(FaultError::BadValue {
                        field: "down".into(),
                        reason: format!("takes no value, got '{v}'"),
                    });
                }
                ToxicKind::Down
            }
            other => return Err(FaultError::Unknown(other.to_string())),
        };
        Ok(Toxic {
            kind,
            direction,
            toxicity,
        })
    }
}

impl fmt::Display for Toxic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.name())?;
        match self.kind {
            ToxicKind::Latency { latency, jitter } => {
                write!(f, "={}", format_duration(latency))?;
                if !jitter.is_zero() {
                    write!(f, ",jitter={}", format_duration(jitter))?;
                }
            }
            ToxicKind::Bandwidth { rate } => write!(f, "={rate}")?,
            ToxicKind::Slicer {
                average,
                variation,
                delay,
            } => {
                write!(f, "={average}")?;
                if variation > 0 {
                    write!(f, ",variation={variation}")?;
                }
                if !delay.is_zero() {
                    write!(f, ",delay={}", format_duration(delay))?;
                }
            }
            ToxicKind::Stall { timeout: Some(t) } => write!(f, "={}", format_duration(t))?,
            ToxicKind::Stall { timeout: None } | ToxicKind::Down => {}
            ToxicKind::ResetPeer { timeout } => {
                if !timeout.is_zero() {
                    write!(f, "={}", format_duration(timeout))?;
                }
            }
            ToxicKind::LimitData { bytes } => write!(f, "={bytes}")?,
            ToxicKind::SlowClose { delay } => write!(f, "={}", format_duration(delay))?,
        }
        if self.direction != Direction::Downstream {
            write!(f, ",direction={}", self.direction.name())?;
        }
        if self.toxicity < 1.0 {
            write!(f, ",toxicity={}", self.toxicity)?;
        }
        Ok(())
    }
}

impl FromStr for Toxic {
    type Err = FaultError;
    fn from_str(s: &str) -> Result<Toxic, FaultError> {
        match s.parse::<super::Fault>()? {
            super::Fault::Toxic(t) => Ok(t),
            other => Err(FaultError::WrongFamily {
                fault: other.to_string(),
                wanted: "transport toxic",
            }),
        }
    }
}
