//! Allowed source networks: which clients a service answers.
//!
//! An [`Acl`] is a list of networks; a client is allowed when its address is
//! in one of them. An empty list allows everyone. Entries, as written in a
//! profile:
//!
//! - a CIDR network, `10.0.0.0/8`, `fd00::/8` (host bits are cleared:
//!   `10.1.2.3/8` is `10.0.0.0/8`);
//! - a bare address, `192.168.1.20`, `::1` (one host: `/32` or `/128`);
//! - `any`: `0.0.0.0/0` and `::/0`;
//! - `loopback`: `127.0.0.0/8` and `::1/128`.
//!
//! An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket
//! reports for an IPv4 client) is matched as the IPv4 address `a.b.c.d`.
//!
//! Sans-IO: the caller passes the peer address it got from its socket.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Allowed source networks. Empty allows everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acl {
    nets: Vec<IpNet>,
}

/// Why an ACL entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AclError {
    /// One entry is neither a network, an address, `any` nor `loopback`.
    #[error("entry {index} '{entry}': {reason}")]
    Entry {
        /// The entry's place in the list, counted from 1.
        index: usize,
        /// The entry as written.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// The networks one entry stands for, or why it stands for none.
fn parse_entry(entry: &str) -> Result<Vec<IpNet>, String> {
    let text = entry.trim();
    if text.is_empty() {
        return Err("empty entry".to_string());
    }
    if text.eq_ignore_ascii_case("any") {
        return fixed(&[
            (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            (IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
        ]);
    }
    if text.eq_ignore_ascii_case("loopback") {
        return fixed(&[
            (IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
            (IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
        ]);
    }
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|e: std::net::AddrParseError| e.to_string())?;
    let Some(prefix) = prefix else {
        return Ok(vec![IpNet::from(addr)]);
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len: u8 = match prefix.parse() {
        Ok(len) if len <= max => len,
        _ => {
            return Err(format!(
                "invalid prefix length '{prefix}' (0 to {max} for an IPv{} address)",
                if addr.is_ipv4() { 4 } else { 6 }
            ))
        }
    };
    IpNet::new(addr, len)
        .map(|n| vec![n.trunc()])
        .map_err(|e| e.to_string())
}

/// The fixed networks of `any` and `loopback`.
fn fixed(nets: &[(IpAddr, u8)]) -> Result<Vec<IpNet>, String> {
    nets.iter()
        .map(|&(addr, len)| IpNet::new(addr, len).map_err(|e| e.to_string()))
        .collect()
}

impl Acl {
    /// Parses a list of entries (see the module docs). The error names the
    /// first bad entry by its place in the list, counted from 1.
    pub fn parse(entries: &[String]) -> Result<Acl, AclError> {
        let mut nets = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let more = parse_entry(entry).map_err(|reason| AclError::Entry {
                index: i + 1,
                entry: entry.clone(),
                reason,
            })?;
            for net in more {
                if !nets.contains(&net) {
                    nets.push(net);
                }
            }
        }
        Ok(Acl { nets })
    }

    /// An ACL that allows everyone (the empty list).
    pub fn everyone() -> Acl {
        Acl::default()
    }

    /// Whether every address is allowed: the list is empty, or holds both
    /// `0.0.0.0/0` and `::/0`.
    pub fn is_open(&self) -> bool {
        self.nets.is_empty()
            || (self
                .nets
                .iter()
                .any(|n| n.prefix_len() == 0 && matches!(n, IpNet::V4(_)))
                && self
                    .nets
                    .iter()
                    .any(|n| n.prefix_len() == 0 && matches!(n, IpNet::V6(_))))
    }

    /// The networks, in the order given (duplicates dropped).
    pub fn nets(&self) -> &[IpNet] {
        &self.nets
    }

    /// Whether a client at `ip` is allowed. An IPv4-mapped IPv6 address is
    /// matched as its IPv4 address (and, failing that, as itself).
    pub fn allows(&self, ip: IpAddr) -> bool {
        if self.nets.is_empty() {
            return true;
        }
        let mapped = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        self.nets
            .iter()
            .any(|n| n.contains(&ip) || mapped.as_ref().is_some_and(|m| n.contains(m)))
    }
}

impl fmt::Display for Acl {
    /// `10.0.0.0/8, ::1/128`, or `any` when the list is empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nets.is_empty() {
            return f.write_str("any");
        }
        for (i, net) in self.nets.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{net}")?;
        }
        Ok(())
    }
}

impl<'de> serde::Deserialize<'de> for Acl {
    /// From a list of entry strings; the error names the bad entry.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Acl, D::Error> {
        let entries = Vec::<String>::deserialize(d)?;
        Acl::parse(&entries).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Acl {
    /// As the list of its networks in CIDR notation.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.nets.iter().map(|n| n.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    fn acl(entries: &[&str]) -> Acl {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        Acl::parse(&entries).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn empty_allows_everyone() {
        let a = Acl::parse(&[]).unwrap();
        assert!(a.is_open());
        assert_eq!(a, Acl::everyone());
        assert!(a.allows(ip("203.0.113.9")));
        assert!(a.allows(ip("2001:db8::1")));
        assert_eq!(a.to_string(), "any");
    }

    #[test]
    fn cidr_and_bare_addresses() {
        let a = acl(&["10.0.0.0/8", "192.168.1.20", "fd00::/8", "::1"]);
        assert!(!a.is_open());
        assert!(a.allows(ip("10.255.0.1")));
        assert!(!a.allows(ip("11.0.0.1")));
        assert!(a.allows(ip("192.168.1.20")));
        assert!(!a.allows(ip("192.168.1.21")));
        assert!(a.allows(ip("fd12::5")));
        assert!(a.allows(ip("::1")));
        assert!(!a.allows(ip("::2")));
        assert_eq!(
            a.to_string(),
            "10.0.0.0/8, 192.168.1.20/32, fd00::/8, ::1/128"
        );
    }

    #[test]
    fn host_bits_are_cleared() {
        assert_eq!(acl(&["10.1.2.3/8"]), acl(&["10.0.0.0/8"]));
        assert_eq!(acl(&["10.1.2.3/8"]).to_string(), "10.0.0.0/8");
    }

    #[test]
    fn words_any_and_loopback() {
        let any = acl(&["ANY"]);
        assert!(any.is_open());
        assert!(any.allows(ip("8.8.8.8")));
        assert!(any.allows(ip("2001:db8::1")));
        assert_eq!(any.to_string(), "0.0.0.0/0, ::/0");
        let lo = acl(&["loopback"]);
        assert!(!lo.is_open());
        assert!(lo.allows(ip("127.0.0.1")));
        assert!(lo.allows(ip("127.3.2.1")));
        assert!(lo.allows(ip("::1")));
        assert!(!lo.allows(ip("192.168.0.1")));
        assert_eq!(lo.to_string(), "127.0.0.0/8, ::1/128");
        assert!(!acl(&["0.0.0.0/0"]).is_open());
    }

    #[test]
    fn mapped_addresses_match_as_ipv4() {
        let a = acl(&["10.0.0.0/8"]);
        assert!(a.allows(ip("::ffff:10.1.2.3")));
        assert!(!a.allows(ip("::ffff:11.1.2.3")));
        assert!(acl(&["loopback"]).allows(ip("::ffff:127.0.0.1")));
        // Written as a mapped IPv6 network, it still matches itself.
        assert!(acl(&["::ffff:10.0.0.0/104"]).allows(ip("::ffff:10.9.9.9")));
    }

    #[test]
    fn errors_name_the_entry() {
        let entries: Vec<String> = ["10.0.0.0/8", "10.0.0.300/8"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let e = Acl::parse(&entries).unwrap_err();
        assert_eq!(
            e.to_string(),
            "entry 2 '10.0.0.300/8': invalid IP address syntax"
        );
        for (entry, reason) in [
            ("", "empty entry"),
            (
                "10.0.0.0/33",
                "invalid prefix length '33' (0 to 32 for an IPv4 address)",
            ),
            (
                "::/129",
                "invalid prefix length '129' (0 to 128 for an IPv6 address)",
            ),
            (
                "10.0.0.0/x",
                "invalid prefix length 'x' (0 to 32 for an IPv4 address)",
            ),
            ("everyone", "invalid IP address syntax"),
        ] {
            let e = Acl::parse(&[entry.to_string()]).unwrap_err();
            assert_eq!(
                e,
                AclError::Entry {
                    index: 1,
                    entry: entry.to_string(),
                    reason: reason.to_string()
                }
            );
        }
    }

    #[test]
    fn serde_from_a_list_of_strings() {
        let a: Acl = serde_json::from_str(r#"["loopback", "10.0.0.0/8"]"#).unwrap();
        assert_eq!(a, acl(&["loopback", "10.0.0.0/8"]));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"["127.0.0.0/8","::1/128","10.0.0.0/8"]"#
        );
        let again: Acl = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(again, a);
        let e = serde_json::from_str::<Acl>(r#"["10.0.0.0/8", "nope"]"#).unwrap_err();
        assert!(e.to_string().contains("entry 2 'nope'"), "{e}");
    }

    proptest! {
        #[test]
        fn a_network_allows_its_own_address(a in any::<u32>(), p in 0u8..=32) {
            let addr = Ipv4Addr::from(a);
            let net = acl(&[&format!("{addr}/{p}")]);
            prop_assert!(net.allows(IpAddr::V4(addr)));
            prop_assert!(net.allows(IpAddr::V6(addr.to_ipv6_mapped())));
        }

        #[test]
        fn a_v6_network_allows_its_own_address(a in any::<u128>(), p in 0u8..=128) {
            let addr = Ipv6Addr::from(a);
            let net = acl(&[&format!("{addr}/{p}")]);
            prop_assert!(net.allows(IpAddr::V6(addr)));
        }

        #[test]
        fn a_host_allows_only_itself(a in any::<u32>(), b in any::<u32>()) {
            let host = acl(&[&Ipv4Addr::from(a).to_string()]);
            prop_assert_eq!(host.allows(IpAddr::V4(Ipv4Addr::from(b))), a == b);
        }

        #[test]
        fn display_parses_back(a in any::<u32>(), p in 0u8..=32, b in any::<u128>(), q in 0u8..=128) {
            let x = acl(&[&format!("{}/{p}", Ipv4Addr::from(a)), &format!("{}/{q}", Ipv6Addr::from(b))]);
            let shown: Vec<String> = x.to_string().split(", ").map(str::to_string).collect();
            prop_assert_eq!(Acl::parse(&shown).unwrap(), x);
        }
    }
}
