//! `paperjam serve --fleet N` and `--fleet-file FILE`: many virtual printers
//! in one process, each on its own loopback address (or its own ports), each
//! with its own model, faults and SNMP agent — the shape monitoring software
//! is tested against at scale.
//!
//! A fleet file (TOML) describes groups of printers:
//!
//! ```toml
//! [[printer]]
//! count = 98                 # how many of this kind (default 1)
//! profile = "office.toml"    # default: --profile, else the embedded one
//!
//! [[printer]]
//! count = 2
//! faults = ["media-jam"]     # raised at start, as --fault
//! quirks = ["snmp-stale-status"]
//! ```
//!
//! Printers are numbered from 0 in file order; printer `i` binds
//! `--fleet-base` + `i` (127.1.0.1, 127.1.0.2, …) with the same ports, or,
//! with `--fleet-ports`, the base address with every port + `i`.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use paperjam_sim::fault::Fault;
use paperjam_sim::ipp::attributes::StaticAttributes;
use paperjam_sim::ipp::quirks::Quirk;
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use serde::Deserialize;

/// The most printers one fleet runs.
pub const MAX_FLEET: usize = 65_000;

/// A fleet file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetFile {
    /// Groups of printers, in order.
    #[serde(default)]
    pub printer: Vec<FleetGroup>,
}

/// One group of a fleet file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetGroup {
    /// How many printers.
    #[serde(default = "one")]
    pub count: usize,
    /// Their profile (relative to the fleet file).
    pub profile: Option<PathBuf>,
    /// Faults raised at start.
    #[serde(default)]
    pub faults: Vec<String>,
    /// Quirks in force from the start.
    #[serde(default)]
    pub quirks: Vec<String>,
}

fn one() -> usize {
    1
}

/// Why a fleet could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The fleet file could not be read.
    #[error("cannot read fleet file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The fleet file is not valid TOML for a fleet.
    #[error("fleet file {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong, with its line.
        message: String,
    },
    /// Too many or too few printers, or addresses run out.
    #[error("{0}")]
    Size(String),
    /// A printer could not start.
    #[error("printer {index} ({addr}): {source}")]
    Start {
        /// Its number.
        index: usize,
        /// Its address.
        addr: IpAddr,
        /// Why.
        source: server::ServerError,
    },
}

/// One printer to start: its profile and what it starts with.
pub struct Member {
    /// The profile (shared by its group).
    pub profile: Arc<Profile>,
    /// IPP attributes built once per profile.
    pub statics: Arc<StaticAttributes>,
    /// Faults at start.
    pub faults: Vec<Fault>,
    /// Quirks at start.
    pub quirks: Vec<Quirk>,
}

/// `count` printers of `profile`, as `--fleet N` asks.
pub fn uniform(profile: Arc<Profile>, count: usize) -> Result<Vec<Member>, FleetError> {
    check_size(count)?;
    let statics = Arc::new(StaticAttributes::build(&profile));
    Ok((0..count)
        .map(|_| Member {
            profile: profile.clone(),
            statics: statics.clone(),
            faults: Vec::new(),
            quirks: Vec::new(),
        })
        .collect())
}

fn check_size(count: usize) -> Result<(), FleetError> {
    if count == 0 || count > MAX_FLEET {
        return Err(FleetError::Size(format!(
            "a fleet has 1 to {MAX_FLEET} printers, not {count}"
        )));
    }
    Ok(())
}

/// The printers of a fleet file; `default` is the profile of groups that name none.
pub fn from_file(path: &Path, default: Arc<Profile>) -> Result<Vec<Member>, FleetError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| FleetError::Read {
        path: shown.clone(),
        source,
    })?;
    let file: FleetFile = toml::from_str(&text).map_err(|e| FleetError::Invalid {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let invalid = |message: String| FleetError::Invalid {
        path: shown.clone(),
        message,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    let default_statics = Arc::new(StaticAttributes::build(&default));
    for (g, group) in file.printer.iter().enumerate() {
        let (profile, statics) = match &group.profile {
            None => (default.clone(), default_statics.clone()),
            Some(p) => {
                let p = if p.is_relative() {
                    dir.join(p)
                } else {
                    p.clone()
                };
                let profile = Arc::new(
                    Profile::load(&p)
                        .map_err(|e| invalid(format!("printer group {}: {e}", g + 1)))?,
                );
                let statics = Arc::new(StaticAttributes::build(&profile));
                (profile, statics)
            }
        };
        let faults = group
            .faults
            .iter()
            .map(|f| {
                f.parse::<Fault>()
                    .map_err(|e| invalid(format!("printer group {}: fault {f:?}: {e}", g + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let quirks = group
            .quirks
            .iter()
            .map(|q| {
                q.parse::<Quirk>()
                    .map_err(|e| invalid(format!("printer group {}: quirk {q:?}: {e}", g + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for _ in 0..group.count {
            out.push(Member {
                profile: profile.clone(),
                statics: statics.clone(),
                faults: faults.clone(),
                quirks: quirks.clone(),
            });
        }
    }
    check_size(out.len())?;
    Ok(out)
}

/// Where printer `index` listens.
#[derive(Clone, Copy, Debug)]
pub enum Layout {
    /// Each on `base + index`, with the same ports.
    Addresses(Ipv4Addr),
    /// All on one address, each port + `index`.
    Ports(IpAddr),
}

fn port_plus(port: Option<u16>, index: usize) -> Result<Option<u16>, FleetError> {
    match port {
        None | Some(0) => Ok(port),
        Some(p) => u16::try_from(usize::from(p) + index)
            .map(Some)
            .map_err(|_| FleetError::Size(format!("port {p} + {index} is past 65535"))),
    }
}

/// Start every printer: `template` gives the ports, speed, limits and seed;
/// each printer gets its own spool folder under `spool`.
pub async fn start(
    members: Vec<Member>,
    template: &ServerConfig,
    layout: Layout,
    spool: &Path,
) -> Result<Vec<RunningServer>, FleetError> {
    let mut running = Vec::with_capacity(members.len());
    for (index, m) in members.into_iter().enumerate() {
        let mut cfg = template.clone();
        cfg.profile = m.profile;
        cfg.statics = Some(m.statics);
        cfg.faults.extend(m.faults);
        cfg.quirks.extend(m.quirks);
        cfg.seed = template.seed.wrapping_add(index as u64);
        cfg.spool = Some(spool.join(format!("printer-{index}")));
        cfg.tls = match &template.tls {
            TlsSource::SelfSigned => TlsSource::Off,
            other => other.clone(),
        };
        cfg.mdns = None;
        match layout {
            Layout::Addresses(base) => {
                let n = u32::from(base)
                    .checked_add(u32::try_from(index).unwrap_or(u32::MAX))
                    .filter(|n| Ipv4Addr::from(*n).is_loopback() || !base.is_loopback())
                    .ok_or_else(|| {
                        FleetError::Size(format!(
                            "addresses from {base} run out at printer {index}"
                        ))
                    })?;
                cfg.bind = IpAddr::V4(Ipv4Addr::from(n));
            }
            Layout::Ports(addr) => {
                cfg.bind = addr;
                cfg.ipp_port = port_plus(Some(cfg.ipp_port), index)?.unwrap_or(0);
                cfg.snmp_port = port_plus(cfg.snmp_port, index)?;
                cfg.lpd_port = port_plus(cfg.lpd_port, index)?;
                cfg.socket_port = port_plus(cfg.socket_port, index)?;
            }
        }
        let addr = cfg.bind;
        let r = server::start(cfg)
            .await
            .map_err(|source| FleetError::Start {
                index,
                addr,
                source,
            })?;
        running.push(r);
    }
    Ok(running)
}
