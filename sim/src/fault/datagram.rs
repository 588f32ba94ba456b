//! Datagram faults for the UDP services (SNMP, mDNS): drop, delay, duplicate
//! or truncate a datagram, each with a probability.
//!
//! Sans-IO: [`DatagramFaults::apply`] takes the bytes of one outgoing datagram
//! and says what to send and after how long; it never touches a socket or a
//! clock, and its random choices come from a [`SeededRng`], so the same seed
//! and the same datagrams give the same outcome. The service's IO loop sends
//! each returned datagram once its delay has passed.
//!
//! Written in the same `NAME[=VALUE][,key=value…]` syntax as every fault:
//!
//! | fault | value | keys | effect |
//! |---|---|---|---|
//! | `drop` | | | the datagram is not sent |
//! | `delay` | delay | `jitter` | sent `delay ± jitter` later |
//! | `duplicate` | | | sent twice |
//! | `truncate` | bytes | | cut to that many bytes |
//!
//! Every fault takes `probability=0.0…1.0` (default 1): the chance that it
//! acts on a given datagram. Faults stack in the order given.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::duration::{format_duration, parse_duration};
use super::{FaultError, SeededRng};

/// What a datagram fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatagramFaultKind {
    /// The datagram is lost.
    Drop,
    /// The datagram is sent `delay ± jitter` later.
    Delay {
        /// Mean delay.
        delay: Duration,
        /// Uniform spread either side.
        jitter: Duration,
    },
    /// The datagram is sent twice.
    Duplicate,
    /// The datagram is cut to `to` bytes.
    Truncate {
        /// Bytes kept.
        to: usize,
    },
}

impl DatagramFaultKind {
    /// Its name in a fault spec.
    pub fn name(&self) -> &'static str {
        match self {
            DatagramFaultKind::Drop => "drop",
            DatagramFaultKind::Delay { .. } => "delay",
            DatagramFaultKind::Duplicate => "duplicate",
            DatagramFaultKind::Truncate { .. } => "truncate",
        }
    }

    /// Every datagram fault name.
    pub const NAMES: [&'static str; 4] = ["drop", "delay", "duplicate", "truncate"];
}

/// A datagram fault and how often it acts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatagramFault {
    /// What it does.
    pub kind: DatagramFaultKind,
    /// Chance that it acts on a datagram, `0.0..=1.0`.
    pub probability: f64,
}

impl fmt::Display for DatagramFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.name())?;
        match self.kind {
            DatagramFaultKind::Drop | DatagramFaultKind::Duplicate => {}
            DatagramFaultKind::Delay { delay, jitter } => {
                write!(f, "={}", format_duration(delay))?;
                if !jitter.is_zero() {
                    write!(f, ",jitter={}", format_duration(jitter))?;
                }
            }
            DatagramFaultKind::Truncate { to } => write!(f, "={to}")?,
        }
        if self.probability < 1.0 {
            write!(f, ",probability={}", self.probability)?;
        }
        Ok(())
    }
}

fn bad(field: &str, reason: impl Into<String>) -> FaultError {
    FaultError::BadValue {
        field: field.to_string(),
        reason: reason.into(),
    }
}

fn duration(field: &str, v: &str) -> Result<Duration, FaultError> {
    parse_duration(v).map_err(|e| bad(field, e.to_string()))
}

impl FromStr for DatagramFault {
    type Err = FaultError;

    /// `NAME[=VALUE][,key=value…]`, as in `drop,probability=0.3`,
    /// `delay=200ms,jitter=20ms`, `duplicate`, `truncate=16`.
    fn from_str(s: &str) -> Result<DatagramFault, FaultError> {
        let mut parts = s.trim().split(',').map(str::trim);
        let head = parts.next().unwrap_or_default();
        let (name, value) = match head.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (head, None),
        };
        let name = name.to_ascii_lowercase();
        let Some(name) = DatagramFaultKind::NAMES.into_iter().find(|n| *n == name) else {
            return Err(FaultError::Unknown(name));
        };
        let mut probability = 1.0;
        let mut jitter = Duration::ZERO;
        for p in parts {
            let (k, v) = p
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| bad(p, "expected key=value"))?;
            match (k, name) {
                ("probability", _) => {
                    let x: f64 = v
                        .parse()
                        .map_err(|_| bad("probability", format!("'{v}' is not a number")))?;
                    if !(0.0..=1.0).contains(&x) {
                        return Err(bad("probability", format!("{x} is outside 0.0..=1.0")));
                    }
                    probability = x;
                }
                ("jitter", "delay") => jitter = duration("jitter", v)?,
                (other, _) => {
                    return Err(FaultError::UnknownKey {
                        fault: name.to_string(),
                        key: other.to_string(),
                    })
                }
            }
        }
        let no_value = |kind: DatagramFaultKind| match value {
            Some(v) => Err(bad(name, format!("takes no value, got '{v}'"))),
            None => Ok(kind),
        };
        let need = || {
            value.ok_or_else(|| FaultError::MissingValue {
                field: name.to_string(),
            })
        };
        let kind = match name {
            "drop" => no_value(DatagramFaultKind::Drop)?,
            "duplicate" => no_value(DatagramFaultKind::Duplicate)?,
            "delay" => DatagramFaultKind::Delay {
                delay: duration("delay", need()?)?,
                jitter,
            },
            _ => {
                let v = need()?;
                if v.starts_with('-') {
                    return Err(bad("truncate", format!("'{v}' is negative")));
                }
                let to = v
                    .parse()
                    .map_err(|_| bad("truncate", format!("'{v}' is not a whole number")))?;
                DatagramFaultKind::Truncate { to }
            }
        };
        Ok(DatagramFault { kind, probability })
    }
}

/// The datagram faults of one UDP service, with their random source.
#[derive(Debug, Clone)]
pub struct DatagramFaults {
    faults: Vec<DatagramFault>,
    rng: SeededRng,
}

impl DatagramFaults {
    /// `faults`, acting in that order, drawing from `rng`.
    pub fn new(faults: Vec<DatagramFault>, rng: SeededRng) -> DatagramFaults {
        DatagramFaults { faults, rng }
    }

    /// Put `faults` in force instead (a fault raised or cleared live); the
    /// random source carries on.
    pub fn replace(&mut self, faults: Vec<DatagramFault>) {
        self.faults = faults;
    }

    /// The faults, in order.
    pub fn faults(&self) -> &[DatagramFault] {
        &self.faults
    }

    /// What to send for `datagram`: each entry is a delay and the bytes to
    /// send after it. Empty: dropped; two entries: duplicated.
    pub fn apply(&mut self, datagram: &[u8]) -> Vec<(Duration, Vec<u8>)> {
        let mut out = vec![(Duration::ZERO, datagram.to_vec())];
        for f in &self.faults {
            if out.is_empty() {
                break;
            }
            if !self.rng.chance(f.probability) {
                continue;
            }
            match f.kind {
                DatagramFaultKind::Drop => out.clear(),
                DatagramFaultKind::Delay { delay, jitter } => {
                    for (after, _) in &mut out {
                        *after = after.saturating_add(draw(&mut self.rng, delay, jitter));
                    }
                }
                DatagramFaultKind::Duplicate => {
                    let copies = out.clone();
                    out.extend(copies);
                }
                DatagramFaultKind::Truncate { to } => {
                    for (_, bytes) in &mut out {
                        bytes.truncate(to);
                    }
                }
            }
        }
        out
    }
}

/// `delay ± jitter`, uniform.
fn draw(rng: &mut SeededRng, delay: Duration, jitter: Duration) -> Duration {
    if jitter.is_zero() {
        return delay;
    }
    let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    let lo = micros(delay.saturating_sub(jitter));
    let hi = micros(delay.saturating_add(jitter));
    Duration::from_micros(rng.range(lo, hi))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use proptest::prelude::*;

    fn faults(specs: &[&str], seed: u64) -> DatagramFaults {
        DatagramFaults::new(
            specs.iter().map(|s| s.parse().unwrap()).collect(),
            SeededRng::new(seed),
        )
    }

    #[test]
    fn specs_parse_and_print_back() {
        for s in [
            "drop",
            "drop,probability=0.3",
            "delay=200ms",
            "delay=200ms,jitter=20ms",
            "delay=1.5ms,probability=0.01",
            "duplicate",
            "duplicate,probability=0.5",
            "truncate=16",
            "truncate=0,probability=0.25",
        ] {
            let f: DatagramFault = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(f.to_string(), s);
        }
        assert_eq!(
            " DROP , probability = 1 ".parse::<DatagramFault>(),
            Ok(DatagramFault {
                kind: DatagramFaultKind::Drop,
                probability: 1.0
            })
        );
    }

    #[test]
    fn bad_specs_name_the_field() {
        let err = |s: &str| s.parse::<DatagramFault>().unwrap_err().to_string();
        assert!(err("explode").contains("unknown fault 'explode'"));
        assert!(err("").contains("unknown fault ''"));
        assert!(err("delay").starts_with("delay: needs a value"));
        assert!(err("truncate").starts_with("truncate: needs a value"));
        assert!(err("delay=-5ms").starts_with("delay: negative duration"));
        assert!(err("delay=5ms,jitter=soon").starts_with("jitter: cannot read"));
        assert!(err("truncate=-1").starts_with("truncate: '-1' is negative"));
        assert!(err("truncate=lots").starts_with("truncate: 'lots' is not a whole number"));
        assert!(err("drop=3").starts_with("drop: takes no value"));
        assert!(err("duplicate=2").starts_with("duplicate: takes no value"));
        assert!(err("drop,probability=1.5").starts_with("probability: 1.5 is outside"));
        assert!(err("drop,probability=often").starts_with("probability: 'often' is not"));
        assert!(err("drop,jitter=1ms").contains("drop: unknown key 'jitter'"));
        assert!(err("drop,loud").starts_with("loud: expected key=value"));
    }

    fn kind() -> impl Strategy<Value = DatagramFaultKind> {
        prop_oneof![
            Just(DatagramFaultKind::Drop),
            Just(DatagramFaultKind::Duplicate),
            (0u64..86_400_000_000, 0u64..10_000_000).prop_map(|(d, j)| {
                DatagramFaultKind::Delay {
                    delay: Duration::from_micros(d),
                    jitter: Duration::from_micros(j),
                }
            }),
            (0usize..100_000).prop_map(|to| DatagramFaultKind::Truncate { to }),
        ]
    }

    proptest! {
        #[test]
        fn every_fault_round_trips_through_its_spec(
            kind in kind(),
            probability in prop_oneof![Just(1.0), 0.0f64..=1.0],
        ) {
            let f = DatagramFault { kind, probability };
            let text = f.to_string();
            prop_assert_eq!(text.parse::<DatagramFault>(), Ok(f));
            // Every cut-short spec is read or refused, never a panic.
            for end in 0..text.len() {
                let _ = text[..end].parse::<DatagramFault>();
            }
        }

        #[test]
        fn any_text_is_parsed_or_refused_without_panic(s in "\\PC{0,40}") {
            let _ = s.parse::<DatagramFault>();
        }
    }

    #[test]
    fn no_fault_sends_the_datagram_as_is() {
        let mut f = faults(&[], 0);
        assert_eq!(f.apply(b"ping"), vec![(Duration::ZERO, b"ping".to_vec())]);
    }

    #[test]
    fn drop_probability_is_respected_and_seeded() {
        let run = |seed| {
            let mut f = faults(&["drop,probability=0.3"], seed);
            (0..10_000)
                .map(|_| f.apply(b"x").is_empty())
                .collect::<Vec<_>>()
        };
        let a = run(5);
        let dropped = a.iter().filter(|d| **d).count();
        assert!((2_800..3_200).contains(&dropped), "{dropped}");
        assert_eq!(a, run(5));
        assert_ne!(a, run(6));
    }

    #[test]
    fn delay_draws_within_the_jitter() {
        let mut f = faults(&["delay=200ms,jitter=20ms"], 1);
        let mut seen = Vec::new();
        for _ in 0..1000 {
            let out = f.apply(b"abc");
            assert_eq!(out.len(), 1);
            let (after, bytes) = &out[0];
            assert_eq!(bytes, b"abc");
            assert!(
                (Duration::from_millis(180)..=Duration::from_millis(220)).contains(after),
                "{after:?}"
            );
            seen.push(*after);
        }
        let below = seen
            .iter()
            .filter(|d| **d < Duration::from_millis(200))
            .count();
        assert!((400..600).contains(&below), "{below}");
    }

    #[test]
    fn duplicate_and_truncate_stack_in_order() {
        let mut f = faults(&["truncate=2", "duplicate", "delay=10ms"], 0);
        assert_eq!(
            f.apply(b"hello"),
            vec![
                (Duration::from_millis(10), b"he".to_vec()),
                (Duration::from_millis(10), b"he".to_vec()),
            ]
        );
        let mut f = faults(&["drop", "duplicate"], 0);
        assert!(f.apply(b"hello").is_empty());
        let mut f = faults(&["truncate=100"], 0);
        assert_eq!(f.apply(b"hi"), vec![(Duration::ZERO, b"hi".to_vec())]);
    }
}
