//! Two printers at the ends of the scale, for the security suite and for
//! anyone who wants to see it fire: `paperjam serve --security locked-down`
//! and `--security wide-open`.
//!
//! **locked-down**: IPPS only on the IPP port (plain HTTP gets `426 Upgrade
//! Required`, and an RFC 2817 upgrade is honoured), TLS 1.2 or later with a
//! certificate for the names it serves; Digest authentication for printing,
//! job and printer administration, owner checks; no LPD, no raw port, an
//! SNMP agent that knows only a secret read-only community, no browse
//! listener.
//!
//! **wide-open**: plain IPP on the IPP port, a separate IPPS port that
//! answers TLS 1.0 with an expired certificate for `printer.invalid`;
//! anyone may print, pause, purge and cancel; LPD and raw ports 9100–9102
//! (as multi-port print servers have); SNMP with `public` and a writable
//! `private`; a cups-browsed-style listener that calls back.
//!
//! The credentials of the locked-down printer are public ([`ADMIN`],
//! [`USER`]): it is a test printer, locked against the suite, not against
//! anyone who reads this.

use std::sync::Arc;

use crate::fault::Fault;
use crate::net::ServerConfig;
use crate::profile::Profile;

use super::{Access, JobPasswordMode, SecuritySpec, TlsMode};

/// The locked-down printer's administrator: name and password.
pub const ADMIN: (&str, &str) = ("admin", "paperjam-admin");
/// The locked-down printer's ordinary user: name and password.
pub const USER: (&str, &str) = ("alice", "alice-prints");
/// The locked-down printer's SNMP read community (never `public`).
pub const LOCKED_COMMUNITY: &str = "paperjam-locked-ro";
/// The names the wide-open printer's certificate is made for (none the
/// printer is reached by).
pub const WIDE_OPEN_CERT_NAME: &str = "printer.invalid";

/// A preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Everything a hardening guide asks for.
    LockedDown,
    /// Everything a hardening guide warns about.
    WideOpen,
}

impl Preset {
    /// Both.
    pub const ALL: [Preset; 2] = [Preset::LockedDown, Preset::WideOpen];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Preset::LockedDown => "locked-down",
            Preset::WideOpen => "wide-open",
        }
    }

    /// The preset called `name`.
    pub fn from_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The `[security]` settings of the preset.
    pub fn security(self) -> SecuritySpec {
        match self {
            Preset::LockedDown => {
                let mut s = SecuritySpec {
                    auth_scheme: super::auth::Scheme::Digest,
                    users: [ADMIN, USER]
                        .iter()
                        .map(|(u, p)| (u.to_string(), p.to_string()))
                        .collect(),
                    admins: vec![ADMIN.0.to_string()],
                    print: Access::User,
                    job_admin: Access::User,
                    printer_admin: Access::Admin,
                    owner_check: true,
                    job_password: JobPasswordMode::Hold,
                    ..SecuritySpec::default()
                };
                s.tls.mode = TlsMode::Required;
                s.loaded_users = super::users::Users::from_map(s.users.clone()).unwrap_or_default();
                s
            }
            Preset::WideOpen => {
                let mut s = SecuritySpec::default();
                s.tls.mode = TlsMode::Off;
                s
            }
        }
    }

    /// `profile` with the preset's security settings (and, for SNMP, its
    /// communities).
    pub fn apply(self, profile: &Profile) -> Profile {
        let mut p = profile.clone();
        p.security = self.security();
        match self {
            Preset::LockedDown => {
                p.snmp.read_communities = vec![LOCKED_COMMUNITY.to_string()];
                p.snmp.write_communities = Vec::new();
            }
            Preset::WideOpen => {
                p.snmp.read_communities = vec!["public".into()];
                p.snmp.write_communities = vec!["private".into()];
            }
        }
        p
    }

    /// The faults the preset raises at start.
    pub fn faults(self) -> Vec<Fault> {
        match self {
            Preset::LockedDown => Vec::new(),
            Preset::WideOpen => [
                "anonymous-admin",
                "snmp-writable-private",
                "tls-legacy",
                "expired-certificate",
                "cups-browsed",
            ]
            .iter()
            .filter_map(|f| f.parse().ok())
            .collect(),
        }
    }

    /// Set `cfg` up as the preset: its profile, faults, certificate names,
    /// and which services it serves (a port the caller already chose is
    /// kept; a service the preset adds gets `default` from `ports`).
    pub fn configure(self, cfg: &mut ServerConfig, ports: &PresetPorts) {
        cfg.profile = Arc::new(self.apply(&cfg.profile));
        cfg.faults.extend(self.faults());
        match self {
            Preset::LockedDown => {
                cfg.lpd_port = None;
                cfg.socket_port = None;
                cfg.extra_socket_ports.clear();
                cfg.browse_port = None;
                cfg.ipps_port = None;
                cfg.snmp_port = cfg.snmp_port.or(Some(ports.snmp));
            }
            Preset::WideOpen => {
                cfg.tls = match &cfg.tls {
                    crate::net::TlsSource::Off => crate::net::TlsSource::SelfSigned,
                    other => other.clone(),
                };
                cfg.tls_names = Some(vec![WIDE_OPEN_CERT_NAME.to_string()]);
                cfg.lpd_port = cfg.lpd_port.or(Some(ports.lpd));
                cfg.socket_port = cfg.socket_port.or(Some(ports.raw[0]));
                if cfg.extra_socket_ports.is_empty() {
                    cfg.extra_socket_ports = ports.raw[1..].to_vec();
                }
                cfg.snmp_port = cfg.snmp_port.or(Some(ports.snmp));
                cfg.ipps_port = cfg.ipps_port.or(Some(ports.ipps));
                cfg.browse_port = cfg.browse_port.or(Some(ports.browse));
            }
        }
    }

    /// A loopback printer with every port picked by the OS (for tests).
    pub fn server_config(self, profile: Arc<Profile>) -> ServerConfig {
        let mut cfg = ServerConfig::new(profile);
        cfg.ipp_port = 0;
        self.configure(&mut cfg, &PresetPorts::any());
        cfg
    }
}

/// The ports a preset's services get when the caller gave none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetPorts {
    /// LPD.
    pub lpd: u16,
    /// The raw ports (three).
    pub raw: [u16; 3],
    /// SNMP (UDP).
    pub snmp: u16,
    /// The separate IPPS port.
    pub ipps: u16,
    /// The browse listener (UDP).
    pub browse: u16,
}

impl PresetPorts {
    /// Every port picked by the OS.
    pub fn any() -> PresetPorts {
        PresetPorts {
            lpd: 0,
            raw: [0; 3],
            snmp: 0,
            ipps: 0,
            browse: 0,
        }
    }
}
