//! What the responder advertises: the services that run, the instance and host
//! names, the addresses, and a TXT record per service.

use std::net::IpAddr;

use crate::profile::Profile;

use super::txt::{txt_for_service, TxtRecord};

/// Longest DNS label (RFC 1035 §2.3.4); an instance name is one label (RFC 6763 §4.1.1).
pub const MAX_LABEL: usize = 63;

/// One DNS-SD service type a printer can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKind {
    /// IPP over HTTP: `_ipp._tcp`.
    Ipp,
    /// IPP over HTTPS: `_ipps._tcp`.
    Ipps,
    /// LPD (RFC 1179): `_printer._tcp`.
    Lpd,
    /// AppSocket / JetDirect (port 9100): `_pdl-datastream._tcp`.
    AppSocket,
}

impl ServiceKind {
    /// Every kind, in the order they are advertised.
    pub const ALL: [ServiceKind; 4] = [
        ServiceKind::Ipp,
        ServiceKind::Ipps,
        ServiceKind::Lpd,
        ServiceKind::AppSocket,
    ];

    /// The service type without the domain, e.g. `_ipp._tcp`.
    pub fn service_type(self) -> &'static str {
        match self {
            ServiceKind::Ipp => "_ipp._tcp",
            ServiceKind::Ipps => "_ipps._tcp",
            ServiceKind::Lpd => "_printer._tcp",
            ServiceKind::AppSocket => "_pdl-datastream._tcp",
        }
    }

    /// The subtypes advertised with it (RFC 6763 §7.1): `_print` (IPP
    /// Everywhere) and `_universal` (AirPrint) for IPP, `_print` for IPPS.
    pub fn subtypes(self) -> &'static [&'static str] {
        match self {
            ServiceKind::Ipp => &["_print", "_universal"],
            ServiceKind::Ipps => &["_print"],
            ServiceKind::Lpd | ServiceKind::AppSocket => &[],
        }
    }
}

/// The LPD service: its port and the queue advertised as `rp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LpdAd {
    /// TCP port (515 on a real printer).
    pub port: u16,
    /// Queue name, e.g. `lp`.
    pub queue: String,
}

/// Which front ends run, and where. A service that does not run is not
/// advertised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningServices {
    /// IPP over HTTP: its port.
    pub ipp: Option<u16>,
    /// IPP over TLS: its port (the IPP port when TLS shares it, as paperjam's
    /// server does).
    pub ipps: Option<u16>,
    /// LPD.
    pub lpd: Option<LpdAd>,
    /// AppSocket: its port.
    pub appsocket: Option<u16>,
    /// The IPP resource path, advertised without its leading slash as `rp`.
    pub resource_path: String,
}

impl Default for RunningServices {
    fn default() -> Self {
        RunningServices {
            ipp: None,
            ipps: None,
            lpd: None,
            appsocket: None,
            resource_path: crate::ipp::PRINTER_PATH.to_string(),
        }
    }
}

impl RunningServices {
    /// No service at all (only the host's address records are advertised).
    pub fn none() -> RunningServices {
        RunningServices::default()
    }

    /// IPP on `port`, and IPPS on the same port when `tls`.
    pub fn with_ipp(mut self, port: u16, tls: bool) -> RunningServices {
        self.ipp = Some(port);
        self.ipps = tls.then_some(port);
        self
    }

    /// LPD on `port`, advertising `queue`.
    pub fn with_lpd(mut self, port: u16, queue: &str) -> RunningServices {
        self.lpd = Some(LpdAd {
            port,
            queue: queue.to_string(),
        });
        self
    }

    /// AppSocket on `port`.
    pub fn with_appsocket(mut self, port: u16) -> RunningServices {
        self.appsocket = Some(port);
        self
    }

    /// The port of `kind`, when it runs.
    pub fn port(&self, kind: ServiceKind) -> Option<u16> {
        match kind {
            ServiceKind::Ipp => self.ipp,
            ServiceKind::Ipps => self.ipps,
            ServiceKind::Lpd => self.lpd.as_ref().map(|l| l.port),
            ServiceKind::AppSocket => self.appsocket,
        }
    }
}

/// One advertised service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAd {
    /// Which service.
    pub kind: ServiceKind,
    /// The port in its SRV record.
    pub port: u16,
    /// Its TXT record.
    pub txt: TxtRecord,
}

/// Everything the responder advertises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// The service instance name, one label: the profile's `info`, else its
    /// name (e.g. `paperjam virtual office laser`).
    pub instance: String,
    /// The host label, without `.local` (e.g. `paperjam-laser`).
    pub host: String,
    /// Addresses for the host's A and AAAA records.
    pub addrs: Vec<IpAddr>,
    /// The services, in advertising order.
    pub services: Vec<ServiceAd>,
}

/// Why an announcement could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnouncementError {
    /// The host name is empty, has more than one label before `.local`, or is
    /// longer than 63 bytes.
    #[error("host name '{name}' cannot be used: {reason}")]
    BadHostName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An address that cannot be a host's own (unspecified or multicast).
    #[error("address {0} cannot be advertised as the host's")]
    BadAddress(IpAddr),
}

/// The longest prefix of `s` of at most `max` bytes ending on a character boundary.
pub(crate) fn cut_label(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The host label `host` given as `name`, `name.local` or `name.local.`.
fn host_label(host: &str) -> Result<String, AnnouncementError> {
    let bad = |reason| AnnouncementError::BadHostName {
        name: host.to_string(),
        reason,
    };
    let trimmed = host.trim_end_matches('.');
    let label = match trimmed.len().checked_sub(".local".len()) {
        Some(i) if trimmed.is_char_boundary(i) && trimmed[i..].eq_ignore_ascii_case(".local") => {
            &trimmed[..i]
        }
        _ => trimmed,
    };
    if label.is_empty() {
        return Err(bad("it is empty"));
    }
    if label.contains('.') {
        return Err(bad("an mDNS host name is one label followed by .local"));
    }
    if label.len() > MAX_LABEL {
        return Err(bad("a label is at most 63 bytes"));
    }
    if label.bytes().any(|b| b.is_ascii_control()) {
        return Err(bad("it has control characters"));
    }
    Ok(label.to_string())
}

impl Announcement {
    /// The announcement for a printer of `profile` whose `services` run, on
    /// host `host` (`name` or `name.local`) with `addrs`.
    ///
    /// The instance name is the profile's `info`, or its name when `info` is
    /// empty, cut to 63 bytes. TXT records come from
    /// [`super::txt_for_service`].
    pub fn from_profile(
        profile: &Profile,
        services: &RunningServices,
        host: &str,
        addrs: Vec<IpAddr>,
    ) -> Result<Announcement, AnnouncementError> {
        let host = host_label(host)?;
        if let Some(a) = addrs
            .iter()
            .find(|a| a.is_unspecified() || a.is_multicast())
        {
            return Err(AnnouncementError::BadAddress(*a));
        }
        let info = profile.identity.info.trim();
        let instance = if info.is_empty() {
            profile.identity.name.trim()
        } else {
            info
        };
        let instance = cut_label(instance, MAX_LABEL);
        let services = ServiceKind::ALL
            .iter()
            .filter_map(|&kind| {
                services.port(kind).map(|port| ServiceAd {
                    kind,
                    port,
                    txt: txt_for_service(profile, kind, services, &host),
                })
            })
            .collect();
        Ok(Announcement {
            instance,
            host,
            addrs,
            services,
        })
    }

    /// The advertised service of `kind`, if it runs.
    pub fn service(&self, kind: ServiceKind) -> Option<&ServiceAd> {
        self.services.iter().find(|s| s.kind == kind)
    }
}

/// The `n`th name for an instance after conflicts (RFC 6763 Appendix D):
/// `Name (2)`, `Name (3)`, …; `n == 1` is the name itself. The base is cut so
/// the result stays one 63-byte label.
pub(crate) fn instance_name(base: &str, n: u32) -> String {
    if n <= 1 {
        return cut_label(base, MAX_LABEL);
    }
    let suffix = format!(" ({n})");
    format!(
        "{}{suffix}",
        cut_label(base, MAX_LABEL.saturating_sub(suffix.len()))
    )
}

/// The `n`th host label after conflicts (RFC 6762 §9): `name-2`, `name-3`, …
pub(crate) fn host_name(base: &str, n: u32) -> String {
    if n <= 1 {
        return cut_label(base, MAX_LABEL);
    }
    let suffix = format!("-{n}");
    format!(
        "{}{suffix}",
        cut_label(base, MAX_LABEL.saturating_sub(suffix.len()))
    )
}
