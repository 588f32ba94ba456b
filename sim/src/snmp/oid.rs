//! Object identifiers: parse the dotted form, print it, order them as SNMP does.

use std::fmt;
use std::str::FromStr;

/// An OBJECT IDENTIFIER. `Ord` is the lexicographic order of its
/// sub-identifiers, which is the order GetNext walks (RFC 3416 §4.2.2).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Oid(pub Vec<u32>);

/// Why a dotted OID did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidError {
    /// Nothing to parse.
    #[error("empty OID")]
    Empty,
    /// A part is not a number that fits 32 bits.
    #[error("OID part {part:?} is not a 32-bit number")]
    BadPart {
        /// The offending part.
        part: String,
    },
    /// More than 128 sub-identifiers (RFC 2578 §3.5).
    #[error("OID has {0} sub-identifiers; at most 128 are allowed")]
    TooLong(usize),
}

/// The most sub-identifiers an OID may have (RFC 2578 §3.5).
pub const MAX_SUB_IDS: usize = 128;

impl Oid {
    /// An OID from its parts.
    pub fn new(parts: impl Into<Vec<u32>>) -> Oid {
        Oid(parts.into())
    }

    /// The parts.
    pub fn parts(&self) -> &[u32] {
        &self.0
    }

    /// This OID with `more` appended.
    pub fn child(&self, more: &[u32]) -> Oid {
        let mut v = Vec::with_capacity(self.0.len() + more.len());
        v.extend_from_slice(&self.0);
        v.extend_from_slice(more);
        Oid(v)
    }

    /// Whether `self` lies under `prefix` (or is it).
    pub fn starts_with(&self, prefix: &Oid) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl FromStr for Oid {
    type Err = OidError;

    /// `1.3.6.1.2.1.1.1.0`, with or without a leading dot.
    fn from_str(s: &str) -> Result<Oid, OidError> {
        let s = s.trim();
        let s = s.strip_prefix('.').unwrap_or(s);
        if s.is_empty() {
            return Err(OidError::Empty);
        }
        let parts = s
            .split('.')
            .map(|p| {
                p.parse::<u32>().map_err(|_| OidError::BadPart {
                    part: p.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if parts.len() > MAX_SUB_IDS {
            return Err(OidError::TooLong(parts.len()));
        }
        Ok(Oid(parts))
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

/// `oid!(1, 3, 6, 1)`: an [`Oid`] from literal parts.
#[macro_export]
macro_rules! oid {
    ($($p:expr),+ $(,)?) => { $crate::snmp::Oid(vec![$($p),+]) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let o: Oid = ".1.3.6.1.2.1.1.1.0".parse().unwrap();
        assert_eq!(o.to_string(), "1.3.6.1.2.1.1.1.0");
        assert_eq!(o, oid!(1, 3, 6, 1, 2, 1, 1, 1, 0));
        assert!(matches!(
            "1.x".parse::<Oid>(),
            Err(OidError::BadPart { .. })
        ));
        assert_eq!("".parse::<Oid>(), Err(OidError::Empty));
        let long = vec!["1"; 129].join(".");
        assert_eq!(long.parse::<Oid>(), Err(OidError::TooLong(129)));
    }

    #[test]
    fn orders_lexicographically() {
        let a: Oid = "1.3.6.1.2.1.1".parse().unwrap();
        let b: Oid = "1.3.6.1.2.1.1.1.0".parse().unwrap();
        let c: Oid = "1.3.6.1.2.1.2".parse().unwrap();
        let d: Oid = "1.3.6.1.2.1.10".parse().unwrap();
        assert!(a < b && b < c && c < d);
        assert!(b.starts_with(&a));
    }
}
