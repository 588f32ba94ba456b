//! `snmp://` targets (RFC 4088's form for SNMPv1/v2c): `snmp://[community@]host[:port][/]`.
//! The port is 161 unless given; the community is `public` unless the URI or
//! the runner's options name another. A `?query` is ignored; a path (an
//! SNMPv3 context) is refused.

use std::net::SocketAddr;

use crate::raw_target::{percent_decode, split_authority};

/// The SNMP agent port (RFC 3417 §3: "port 161").
pub const SNMP_PORT: u16 = 161;
/// The community managers use when told nothing else.
pub const DEFAULT_COMMUNITY: &str = "public";

/// Why an `snmp://` target cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SnmpTargetError {
    /// The target URI is not usable.
    #[error("bad target URI '{uri}': {why}")]
    BadUri {
        /// The URI as given.
        uri: String,
        /// What is wrong with it.
        why: String,
    },
    /// The host name did not resolve.
    #[error("cannot resolve {authority}: {source}")]
    Resolve {
        /// `host:port`.
        authority: String,
        /// What the resolver said.
        source: std::io::Error,
    },
    /// The host name resolved to no address.
    #[error("{authority} resolves to no address")]
    NoAddress {
        /// `host:port`.
        authority: String,
    },
}

/// A parsed `snmp://` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnmpTarget {
    /// The URI as given.
    pub uri: String,
    /// Host (IPv6 without brackets).
    pub host: String,
    /// UDP port.
    pub port: u16,
    /// The community the URI names, if it names one.
    pub community: Option<String>,
}

impl SnmpTarget {
    /// Parse `snmp://[community@]host[:port][/]`: the scheme is
    /// case-insensitive, the community may be percent-encoded, a `?query`
    /// is ignored.
    pub fn parse(s: &str) -> Result<SnmpTarget, SnmpTargetError> {
        let bad = |why: &str| SnmpTargetError::BadUri {
            uri: s.to_string(),
            why: why.to_string(),
        };
        let (scheme, rest) = s.split_once("://").ok_or_else(|| bad("no scheme"))?;
        if !scheme.eq_ignore_ascii_case("snmp") {
            return Err(bad("scheme must be snmp"));
        }
        let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !path.trim_matches('/').is_empty() {
            return Err(bad(
                "an snmp:// target has no path (SNMPv3 contexts are not supported): snmp://[community@]host[:port]",
            ));
        }
        let (community, hostport) = match authority.rsplit_once('@') {
            Some((c, h)) => {
                let c = percent_decode(c).map_err(|_| bad("bad % escape in the community"))?;
                if c.is_empty() {
                    return Err(bad("an empty community before @"));
                }
                (Some(c), h)
            }
            None => (None, authority),
        };
        let (host, port) = split_authority(hostport).map_err(bad)?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(SnmpTarget {
            uri: s.to_string(),
            host,
            port: port.unwrap_or(SNMP_PORT),
            community,
        })
    }

    /// The URI without its community, for reports (a community is a password).
    pub fn display_uri(&self) -> String {
        format!("snmp://{}", self.authority())
    }

    /// `host:port`, IPv6 in brackets.
    pub fn authority(&self) -> String {
        crate::raw_target::authority_of(&self.host, self.port)
    }

    /// Whether the host is this machine (`localhost` or a loopback address).
    pub fn is_loopback(&self) -> bool {
        crate::raw_target::is_loopback_host(&self.host)
    }

    /// The first address the host resolves to.
    pub async fn resolve(&self) -> Result<SocketAddr, SnmpTargetError> {
        let authority = self.authority();
        match crate::raw_target::resolve_first(&self.host, self.port).await {
            Ok(a) => Ok(a),
            Err(Some(source)) => Err(SnmpTargetError::Resolve { authority, source }),
            Err(None) => Err(SnmpTargetError::NoAddress { authority }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> SnmpTarget {
        SnmpTarget::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn refused(s: &str) -> String {
        match SnmpTarget::parse(s) {
            Ok(t) => panic!("{s} accepted as {t:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn snmp_uris() {
        let t = parsed("snmp://printer.local");
        assert_eq!(
            (t.host.as_str(), t.port, t.community),
            ("printer.local", 161, None)
        );
        let t = parsed("SNMP://private@127.0.0.1:8161/");
        assert_eq!(
            (t.host.as_str(), t.port, t.community.as_deref()),
            ("127.0.0.1", 8161, Some("private"))
        );
        assert!(t.is_loopback());
        assert_eq!(t.display_uri(), "snmp://127.0.0.1:8161");
        let t = parsed("snmp://my%40comm@[::1]:1161?x=y");
        assert_eq!(
            (t.host.as_str(), t.port, t.community.as_deref()),
            ("::1", 1161, Some("my@comm"))
        );
        assert_eq!(t.authority(), "[::1]:1161");
        assert!(t.is_loopback());
        assert!(!parsed("snmp://192.0.2.7").is_loopback());
        assert!(refused("snmp://h/context").contains("no path"));
        assert!(refused("snmp://@h").contains("empty community"));
        assert!(refused("snmp://a%zz@h").contains("% escape"));
        assert!(refused("snmp://h:0").contains("bad port"));
        assert!(refused("snmp://h:70000").contains("bad port"));
        assert!(refused("snmp://:161").contains("no host"));
        assert!(refused("ipp://h/ipp/print").contains("scheme must be snmp"));
        assert!(refused("h:161").contains("no scheme"));
        assert!(refused("snmp://[::1").contains("unclosed"));
    }
}
