//! `dnssd:` targets: which printer on the link the mDNS suite grades.
//!
//! - `dnssd://` (or `dnssd:`): browse every printer service type and grade
//!   the first printer found (by instance name, `_ipp._tcp` first);
//! - `dnssd://_ipp._tcp.local`: the first printer of that type;
//! - `dnssd://Instance%20Name._ipp._tcp.local`: that service instance (its
//!   same-named instances of the other printer types with it). The instance
//!   is percent-encoded (`%20` a space, `%2E` a dot inside the instance);
//!   `.local` and a trailing dot may be left out.
//!
//! The link (the interface) is not part of the URI: `--mdns-interface`.

use crate::raw_target::percent_decode;

/// The printer service types the runner browses, in the order a printer is
/// chosen by.
pub const PRINTER_SERVICES: [&str; 4] = [
    "_ipp._tcp",
    "_ipps._tcp",
    "_printer._tcp",
    "_pdl-datastream._tcp",
];

/// Why a `dnssd:` target cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad target URI '{uri}': {why}")]
pub struct DnssdTargetError {
    /// The URI as given.
    pub uri: String,
    /// What is wrong with it.
    pub why: String,
}

/// A parsed `dnssd:` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnssdTarget {
    /// The URI as given.
    pub uri: String,
    /// The service instance (the first label, decoded), if one is named.
    pub instance: Option<String>,
    /// The service type (`_ipp._tcp`), if one is named.
    pub service: Option<String>,
}

impl DnssdTarget {
    /// Parse `dnssd:`, `dnssd://`, `dnssd://_svc._tcp[.local]` or
    /// `dnssd://Instance._svc._tcp[.local][.]` (scheme case-insensitive).
    pub fn parse(s: &str) -> Result<DnssdTarget, DnssdTargetError> {
        let bad = |why: &str| DnssdTargetError {
            uri: s.to_string(),
            why: why.to_string(),
        };
        let (scheme, rest) = s.split_once(':').ok_or_else(|| bad("no scheme"))?;
        if !scheme.eq_ignore_ascii_case("dnssd") {
            return Err(bad("scheme must be dnssd"));
        }
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') || rest.contains('?') {
            return Err(bad(
                "a dnssd: target is dnssd://[Instance.]_service._tcp.local, with no path",
            ));
        }
        if rest.is_empty() {
            return Ok(DnssdTarget {
                uri: s.to_string(),
                instance: None,
                service: None,
            });
        }
        let mut name = rest.strip_suffix('.').unwrap_or(rest);
        if name.len() >= ".local".len() {
            let cut = name.len() - ".local".len();
            if name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(".local") {
                name = &name[..cut];
            }
        }
        // The service type is the last two labels, `_name._tcp`; what is
        // before them (dots and all, once decoded) is the instance.
        let mut parts = name.rsplitn(3, '.');
        let (proto, svc, instance) = (parts.next(), parts.next(), parts.next());
        let (Some(proto), Some(svc)) = (proto, svc) else {
            return Err(bad(
                "name a service type such as _ipp._tcp.local, or nothing to browse them all",
            ));
        };
        if !(proto.eq_ignore_ascii_case("_tcp") || proto.eq_ignore_ascii_case("_udp")) {
            return Err(bad("the service type ends in _tcp or _udp (RFC 6763 §7)"));
        }
        if !svc.starts_with('_') || svc.len() < 2 || svc.len() > 16 {
            return Err(bad(
                "the service name is an underscore and 1 to 15 characters (RFC 6763 §7)",
            ));
        }
        let instance = match instance {
            None => None,
            Some(i) => {
                let i = percent_decode(i).map_err(|e| bad(&format!("instance name: {e}")))?;
                if i.is_empty() {
                    return Err(bad("an empty instance name"));
                }
                if i.len() > 63 {
                    return Err(bad("an instance name is one DNS label, at most 63 bytes"));
                }
                Some(i)
            }
        };
        Ok(DnssdTarget {
            uri: s.to_string(),
            instance,
            service: Some(format!(
                "{}.{}",
                svc.to_ascii_lowercase(),
                proto.to_ascii_lowercase()
            )),
        })
    }

    /// The URI as reports show it.
    pub fn display_uri(&self) -> String {
        match (&self.instance, &self.service) {
            (None, None) => "dnssd://".into(),
            (None, Some(s)) => format!("dnssd://{s}.local"),
            (Some(i), Some(s)) => format!("dnssd://{}.{s}.local", encode(i)),
            (Some(i), None) => format!("dnssd://{}", encode(i)),
        }
    }
}

/// Percent-encode what cannot stand in a URI authority (space, `%`, `.`,
/// `/`, `?`, `#`, `@`, `:` and control characters).
pub fn encode(s: &str) -> String {
    let mut v = Vec::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_~!$&'()*+,;=".contains(&b) || b >= 0x80 {
            v.push(b);
        } else {
            v.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
    String::from_utf8_lossy(&v).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ok(s: &str) -> DnssdTarget {
        DnssdTarget::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn refused(s: &str) -> String {
        match DnssdTarget::parse(s) {
            Ok(t) => panic!("{s} accepted as {t:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn browse_everything() {
        for s in ["dnssd://", "dnssd:", "DNSSD://", "dnssd:///"] {
            let t = ok(s);
            assert_eq!((t.instance, t.service), (None, None), "{s}");
        }
        assert_eq!(ok("dnssd:").display_uri(), "dnssd://");
    }

    #[test]
    fn a_service_type_or_an_instance() {
        let t = ok("dnssd://_ipp._tcp.local");
        assert_eq!(
            (t.instance, t.service.as_deref()),
            (None, Some("_ipp._tcp"))
        );
        let t = ok("dnssd://_IPPS._TCP");
        assert_eq!(t.service.as_deref(), Some("_ipps._tcp"));
        let t = ok("dnssd://Fake%20Printer._ipp._tcp.local.");
        assert_eq!(t.instance.as_deref(), Some("Fake Printer"));
        assert_eq!(t.service.as_deref(), Some("_ipp._tcp"));
        assert_eq!(t.display_uri(), "dnssd://Fake%20Printer._ipp._tcp.local");
        // Dots inside an instance: escaped or not, the service type is the
        // last two labels.
        let t = ok("dnssd://Lab%2E2 printer._pdl-datastream._tcp.local");
        assert_eq!(t.instance.as_deref(), Some("Lab.2 printer"));
        let t = ok("dnssd://Lab.2._printer._tcp");
        assert_eq!(t.instance.as_deref(), Some("Lab.2"));
        assert_eq!(t.service.as_deref(), Some("_printer._tcp"));
        let t = ok("dnssd://Caf%C3%A9._ipp._tcp.local");
        assert_eq!(t.instance.as_deref(), Some("Café"));
        assert_eq!(t.display_uri(), "dnssd://Café._ipp._tcp.local");
    }

    #[test]
    fn mistakes_say_what_they_are() {
        assert!(refused("ipp://x/ipp/print").contains("scheme must be dnssd"));
        assert!(refused("nothing").contains("no scheme"));
        assert!(refused("dnssd://Printer").contains("service type"));
        assert!(refused("dnssd://Printer._ipp._sctp.local").contains("_tcp or _udp"));
        assert!(refused("dnssd://Printer.ipp._tcp.local").contains("underscore"));
        assert!(refused("dnssd://host/path").contains("no path"));
        assert!(refused("dnssd://%zz._ipp._tcp").contains("instance name"));
        let long = format!("dnssd://{}._ipp._tcp", "x".repeat(64));
        assert!(refused(&long).contains("63 bytes"));
    }
}
