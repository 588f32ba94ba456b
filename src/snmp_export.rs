//! `paperjam profile snmp-export`: a MIB dump (`snmpwalk -On` text or an
//! snmpsim `.snmprec`) of a profile's virtual printer as it starts, or of
//! any live agent walked over SNMP (a virtual printer, a real one, snmpd) —
//! the file a profile's `[snmp] walk` reads back.

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use paperjam_sim::ipp::IppCore;
use paperjam_sim::model::{Clock, Printer, SimTime, Speed};
use paperjam_sim::profile::Profile;
use paperjam_sim::snmp::message::{self, Message, Pdu, PduKind, VarBind, VarValue, Version};
use paperjam_sim::snmp::printer_mib::Channels;
use paperjam_sim::snmp::{record, Agent, AgentConfig, Context, Oid, SnmpQuirks, Value};

/// The dump formats.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// `snmpwalk -On` output.
    Walk,
    /// snmpsim's `OID|TAG|VALUE`.
    Snmprec,
}

/// Write `entries` in `format`.
pub fn render(entries: &[(Oid, Value)], format: Format) -> String {
    match format {
        Format::Walk => record::write_walk(entries),
        Format::Snmprec => record::write_snmprec(entries),
    }
}

/// The MIB of a fresh virtual printer of `profile` (IPP on 8631, SNMP
/// only: the ports `serve` uses by default).
pub fn of_profile(profile: Arc<Profile>) -> Vec<(Oid, Value)> {
    let mut printer = Printer::new(profile.clone(), Clock::new(0), Speed::Realtime);
    let core = IppCore::new(&profile);
    let channels = Channels {
        ipp: Some(8631),
        ..Channels::default()
    };
    let mut agent = Agent::new(AgentConfig::from_profile(&profile, channels));
    let ctx = Context {
        printer: &mut printer,
        core: &core,
        now: SimTime::ZERO,
        quirks: SnmpQuirks::default(),
    };
    agent
        .snapshot(&ctx)
        .iter()
        .map(|(o, obj)| (o.clone(), obj.value.clone()))
        .collect()
}

/// Why a live walk failed.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// The target is not `snmp://[community@]host[:port]`.
    #[error("{0}")]
    Target(String),
    /// A socket error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// No answer after the retries.
    #[error("no answer from {0} (timeout)")]
    Timeout(SocketAddr),
    /// An answer that is not a valid response.
    #[error("bad answer from {addr}: {why}")]
    Bad {
        /// Who.
        addr: SocketAddr,
        /// What is wrong.
        why: String,
    },
}

/// Walk a live agent with v2c GetBulk (25 a time), from `1.3` to the end.
pub fn walk(target: &str) -> Result<Vec<(Oid, Value)>, WalkError> {
    let rest = target
        .strip_prefix("snmp://")
        .ok_or_else(|| WalkError::Target(format!("{target}: not an snmp:// URI")))?
        .trim_end_matches('/');
    let (community, host) = match rest.rsplit_once('@') {
        Some((c, h)) => (c.to_string(), h),
        None => ("public".to_string(), rest),
    };
    let with_port = if host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host.to_string()
    } else {
        format!("{host}:161")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| WalkError::Target(format!("{target}: {e}")))?
        .next()
        .ok_or_else(|| WalkError::Target(format!("{target}: no address")))?;
    let sock = UdpSocket::bind(if addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })?;
    sock.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut out = Vec::new();
    let mut cursor = Oid::new([1, 3]);
    let mut id = 1;
    let mut buf = vec![0u8; 65_535];
    'walk: loop {
        id += 1;
        let req = Message {
            version: Version::V2c,
            community: community.as_bytes().to_vec(),
            pdu: Pdu {
                kind: PduKind::GetBulk,
                request_id: id,
                error_status: 0,
                error_index: 25,
                varbinds: vec![VarBind::null(cursor.clone())],
            },
        };
        let bytes = message::encode(&req).map_err(|e| WalkError::Bad {
            addr,
            why: e.to_string(),
        })?;
        let mut answer = None;
        for _ in 0..3 {
            sock.send_to(&bytes, addr)?;
            match sock.recv_from(&mut buf) {
                Ok((n, from)) if from == addr => {
                    let m = message::decode(&buf[..n]).map_err(|e| WalkError::Bad {
                        addr,
                        why: e.to_string(),
                    })?;
                    if m.pdu.request_id == id {
                        answer = Some(m);
                        break;
                    }
                }
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let m = answer.ok_or(WalkError::Timeout(addr))?;
        if m.pdu.error_status != 0 {
            return Err(WalkError::Bad {
                addr,
                why: format!(
                    "error-status {}",
                    message::error_status::name(m.pdu.error_status)
                ),
            });
        }
        if m.pdu.varbinds.is_empty() {
            break;
        }
        for vb in m.pdu.varbinds {
            let VarValue::Value(v) = vb.value else {
                break 'walk;
            };
            if vb.oid <= cursor {
                return Err(WalkError::Bad {
                    addr,
                    why: format!("OID not increasing: {} after {}", vb.oid, cursor),
                });
            }
            cursor = vb.oid.clone();
            out.push((vb.oid, v));
        }
    }
    Ok(out)
}
