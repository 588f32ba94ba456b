//! Faults: misbehaviour as data — what, where, when, how often, with a seed.
//!
//! Three families share one spec syntax (`NAME[=VALUE][,key=value…]`) and one
//! live registry ([`live::FaultState`]):
//!
//! * [`transport`] toxics act on the bytes of every TCP connection
//!   (toxiproxy's vocabulary), and [`datagram`] faults on UDP services;
//! * protocol [`quirk`]s make a front end (IPP, LPD, AppSocket) speak a
//!   broken dialect seen on real printers;
//! * printer [`event`]s change the one printer model.
//!
//! Faults come from the command line, from a [`scenario`] timeline, and live
//! from the control API ([`crate::net::control`]). [`catalog`] lists them all
//! with the real-world reports they come from.

pub mod catalog;
pub mod datagram;
pub mod duration;
pub mod event;
pub mod live;
pub mod quirk;
pub mod rng;
pub mod scenario;
pub mod toxic_stream;
pub mod transport;

use std::fmt;
use std::str::FromStr;

use quirk::{Quirk, QuirkError};

pub use event::PrinterEvent;
pub use live::{ActiveFault, FaultSource, FaultState};
pub use rng::SeededRng;
pub use transport::{Direction, Toxic, ToxicKind};

/// One fault of any family.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// A transport toxic.
    Toxic(Toxic),
    /// A fault on the datagrams of UDP services (SNMP, mDNS).
    Datagram(datagram::DatagramFault),
    /// A protocol quirk.
    Quirk(Quirk),
    /// A printer event.
    Event(PrinterEvent),
}

/// The three families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Transport toxics.
    Transport,
    /// Protocol quirks.
    Quirk,
    /// Printer events.
    Event,
}

impl Fault {
    /// Its family.
    pub fn family(&self) -> Family {
        match self {
            Fault::Toxic(_) | Fault::Datagram(_) => Family::Transport,
            Fault::Quirk(_) => Family::Quirk,
            Fault::Event(_) => Family::Event,
        }
    }

    /// Its bare name (`latency`, `media-jam`, `ipp-version-1.0`), without
    /// parameters: what `clear` matches on.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Toxic(t) => t.kind.name(),
            Fault::Datagram(d) => d.kind.name(),
            Fault::Quirk(q) => q.kind.name(),
            Fault::Event(e) => e.name(),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Toxic(t) => t.fmt(f),
            Fault::Datagram(d) => d.fmt(f),
            Fault::Quirk(q) => q.fmt(f),
            Fault::Event(e) => e.fmt(f),
        }
    }
}

/// A fault spec that cannot be used; each variant names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// No fault of any family has this name.
    #[error("unknown fault '{0}' (run `paperjam fault catalog` for the list)")]
    Unknown(String),
    /// The fault needs a value after `=`.
    #[error("{field}: needs a value, as in {field}=…")]
    MissingValue {
        /// The fault or key.
        field: String,
    },
    /// A value that cannot be used.
    #[error("{field}: {reason}")]
    BadValue {
        /// The fault or key.
        field: String,
        /// Why.
        reason: String,
    },
    /// A `key=value` the fault does not take.
    #[error("{fault}: unknown key '{key}'")]
    UnknownKey {
        /// The fault.
        fault: String,
        /// The key.
        key: String,
    },
    /// A fault of another family where one family was asked for.
    #[error("'{fault}' is not a {wanted}")]
    WrongFamily {
        /// The spec.
        fault: String,
        /// The family wanted.
        wanted: &'static str,
    },
    /// A malformed quirk.
    #[error(transparent)]
    Quirk(#[from] QuirkError),
    /// Nothing active matches what was to be cleared.
    #[error("no active fault matches '{0}'")]
    NotActive(String),
}

impl FromStr for Fault {
    type Err = FaultError;

    /// `NAME[=VALUE][,key=value…]`; quirks take `NAME[@Operation]`.
    fn from_str(s: &str) -> Result<Fault, FaultError> {
        let s = s.trim();
        let mut parts = s.split(',').map(str::trim);
        let head = parts.next().unwrap_or_default();
        if head.is_empty() {
            return Err(FaultError::Unknown(String::new()));
        }
        let (name, value) = match head.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (head, None),
        };
        let mut keys = Vec::new();
        for p in parts {
            let (k, v) = p.split_once('=').ok_or_else(|| FaultError::BadValue {
                field: p.to_string(),
                reason: "expected key=value".into(),
            })?;
            keys.push((k.trim(), v.trim()));
        }
        let lower = name.to_ascii_lowercase();
        if datagram::DatagramFaultKind::NAMES.contains(&lower.as_str()) {
            return s.parse::<datagram::DatagramFault>().map(Fault::Datagram);
        }
        if let Some(canon) = transport::canonical_toxic_name(&lower) {
            return Toxic::from_parts(canon, value, &keys).map(Fault::Toxic);
        }
        let event_value = match (lower.as_str(), value) {
            ("power-cycle", Some(v)) => {
                Some(
                    duration::parse_duration(v).map_err(|e| FaultError::BadValue {
                        field: "power-cycle".into(),
                        reason: e.to_string(),
                    })?,
                )
            }
            _ => None,
        };
        let is_event = PrinterEvent::from_name(&lower, event_value).is_some()
            || PrinterEvent::from_name(&lower, None).is_some();
        if is_event {
            if let Some((k, _)) = keys.first() {
                return Err(FaultError::UnknownKey {
                    fault: lower,
                    key: k.to_string(),
                });
            }
            if value.is_some() && event_value.is_none() {
                return Err(FaultError::BadValue {
                    field: lower,
                    reason: "takes no value".into(),
                });
            }
            return PrinterEvent::from_name(&lower, event_value)
                .map(Fault::Event)
                .ok_or_else(|| FaultError::BadValue {
                    field: lower.clone(),
                    reason: "takes no value".into(),
                });
        }
        let quirk: Quirk = match name.parse() {
            Ok(q) => q,
            Err(QuirkError::Unknown(_)) => return Err(FaultError::Unknown(name.to_string())),
            Err(e) => return Err(e.into()),
        };
        if let Some(v) = value {
            return Err(FaultError::BadValue {
                field: name.to_string(),
                reason: format!("a quirk takes no value, got '{v}'"),
            });
        }
        if let Some((k, _)) = keys.first() {
            return Err(FaultError::UnknownKey {
                fault: name.to_string(),
                key: k.to_string(),
            });
        }
        Ok(Fault::Quirk(quirk))
    }
}

/// The fuzzers' entry point for what the control API and the command line
/// read: `data` as a fault spec and as a scenario file. Parsing either may
/// fail, never panic; a spec that parses prints back to one that parses to the
/// same fault.
pub fn fuzz_fault_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(f) = text.parse::<Fault>() {
        let printed = f.to_string();
        match printed.parse::<Fault>() {
            Ok(again) => assert_eq!(again.to_string(), printed, "spec {text:?}"),
            Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e}"),
        }
    }
    let _ = scenario::Scenario::from_toml(&text, "fuzz");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn specs_parse_and_print_back() {
        for s in [
            "latency=200ms",
            "latency=200ms,jitter=50ms,direction=upstream,toxicity=0.5",
            "bandwidth=1000",
            "slicer=64,variation=16,delay=1ms",
            "stall",
            "stall=5s",
            "reset_peer",
            "reset_peer=100ms",
            "limit_data=1024",
            "slow_close=2s",
            "down",
            "drop,probability=0.3",
            "truncate=16",
            "media-jam",
            "toner-low",
            "paused",
            "job-aborted",
            "power-cycle=10s",
            "wrong-request-id",
            "dropped-end-tag@Get-Jobs",
        ] {
            let f: Fault = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(f.to_string(), s);
            assert_eq!(f.to_string().parse::<Fault>(), Ok(f));
        }
        assert_eq!(
            "reset-peer".parse::<Fault>().map(|f| f.to_string()),
            Ok("reset_peer".into())
        );
        assert_eq!(
            "timeout=1s".parse::<Fault>().map(|f| f.to_string()),
            Ok("stall=1s".into())
        );
        assert_eq!(
            "power-cycle".parse::<Fault>(),
            Ok(Fault::Event(PrinterEvent::PowerCycle {
                boot: Duration::from_secs(5)
            }))
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_refused(s in "\\PC{0,40}") {
            fuzz_fault_input(s.as_bytes());
        }

        #[test]
        fn spec_like_text_parses_or_is_refused(
            name in proptest::sample::select(vec![
                "latency", "bandwidth", "slicer", "stall", "reset_peer", "limit_data",
                "slow_close", "down", "drop", "delay", "duplicate", "truncate", "media-jam",
                "power-cycle", "wrong-request-id", "paused",
            ]),
            value in proptest::option::of("[-0-9.a-z]{0,6}"),
            keys in proptest::collection::vec(("[a-z]{1,9}", "[-0-9.a-z]{0,5}"), 0..3),
        ) {
            let mut s = name.to_string();
            if let Some(v) = value { s.push('='); s.push_str(&v); }
            for (k, v) in keys { s.push_str(&format!(",{k}={v}")); }
            fuzz_fault_input(s.as_bytes());
        }
    }

    #[test]
    fn bad_specs_name_the_field() {
        let err = |s: &str| s.parse::<Fault>().unwrap_err().to_string();
        assert!(err("paper-explosion").contains("unknown fault 'paper-explosion'"));
        assert!(err("latency").starts_with("latency: needs a value"));
        assert!(err("latency=-5ms").starts_with("latency: negative duration"));
        assert!(err("latency=5ms,jitter=-1ms").starts_with("jitter: negative"));
        assert!(err("latency=5ms,toxicity=2").starts_with("toxicity:"));
        assert!(err("latency=5ms,direction=sideways").starts_with("direction:"));
        assert!(err("latency=5ms,colour=red").contains("unknown key 'colour'"));
        assert!(err("bandwidth=0").starts_with("bandwidth: must be at least 1"));
        assert!(err("limit_data=-3").starts_with("limit_data:"));
        assert!(err("media-jam=3s").starts_with("media-jam: takes no value"));
        assert!(err("media-jam,x=1").contains("unknown key 'x'"));
        assert!(err("power-cycle=-1s").starts_with("power-cycle: negative"));
        assert!(err("wrong-request-id@Nope").contains("unknown operation 'Nope'"));
        assert!(err("down=3").starts_with("down: takes no value"));
    }
}
