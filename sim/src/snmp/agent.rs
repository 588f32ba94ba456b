//! The agent: a request datagram in, a response datagram (or a reasoned
//! silence) out — RFC 3416 PDU semantics for v2c, RFC 1157 for v1 and
//! RFC 3584 for the differences. Sans-IO: the caller hands it the printer,
//! the IPP core and the time.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::ipp::IppCore;
use crate::model::{Printer, SimTime};

use super::message::{
    self, error_status as es, Message, MessageError, Pdu, PduKind, VarBind, VarValue, Version,
};
use super::mib::{Access, Lookup, Mib};
use super::printer_mib::{self, AgentValues, Channels, Live};
use super::quirks::SnmpQuirks;
use super::{Oid, Value};

/// How an agent is set up.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// Communities that may read.
    pub read_communities: Vec<Vec<u8>>,
    /// Communities that may read and write.
    pub write_communities: Vec<Vec<u8>>,
    /// The largest response the agent sends (bytes). RFC 3417 §3.2 asks
    /// every agent to take at least 484; UDP caps it at 65,507.
    pub max_message_size: usize,
    /// The services, for the channel and port tables.
    pub channels: Channels,
    /// Initial values of agent-held objects.
    pub values: AgentValues,
    /// Values imported from a walk or snmprec: they stand in for the built
    /// ones, except the live objects that follow the printer.
    pub imported: Arc<Vec<(Oid, Value)>>,
}

impl AgentConfig {
    /// From the profile's `[snmp]` section, for the services running.
    pub fn from_profile(profile: &crate::profile::Profile, channels: Channels) -> AgentConfig {
        let spec = &profile.snmp;
        let mut c = AgentConfig::new(profile);
        c.read_communities = spec
            .read_communities
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        c.write_communities = spec
            .write_communities
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        c.max_message_size = spec.max_message_size.clamp(484, 65_507);
        c.channels = channels;
        if let Some(o) = spec
            .sys_object_id
            .as_deref()
            .and_then(|s| s.parse::<Oid>().ok())
        {
            c.values.sys_object_id = o;
        }
        c.values.sys_contact.clone_from(&spec.contact);
        c.values.community_shown = c
            .read_communities
            .first()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        c.imported = spec.imported.clone();
        c
    }

    /// Defaults: read `public`, write `private`, 65,507 bytes.
    pub fn new(profile: &crate::profile::Profile) -> AgentConfig {
        AgentConfig {
            read_communities: vec![b"public".to_vec()],
            write_communities: vec![b"private".to_vec()],
            max_message_size: 65_507,
            channels: Channels::default(),
            values: AgentValues {
                sys_object_id: Oid::new(printer_mib::PPM),
                sys_contact: String::new(),
                sys_name: profile.identity.name.clone(),
                current_operator: String::new(),
                service_person: String::new(),
                community_shown: String::new(),
            },
            imported: Arc::new(Vec::new()),
        }
    }
}

/// Counters of the RFC 3418 `snmp` group, and of what was dropped and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentStats {
    /// snmpInPkts.
    pub in_pkts: u32,
    /// snmpInBadVersions.
    pub bad_versions: u32,
    /// snmpInBadCommunityNames.
    pub bad_community_names: u32,
    /// snmpInBadCommunityUses.
    pub bad_community_uses: u32,
    /// snmpInASNParseErrs.
    pub asn_parse_errs: u32,
    /// snmpSilentDrops.
    pub silent_drops: u32,
    /// PDUs an agent does not answer (Response, Trap, Report…).
    pub unanswerable: u32,
    /// Responses sent.
    pub responses: u32,
}

/// Why a datagram got no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Dropped {
    /// Not BER we can read.
    #[error("malformed message: {0}")]
    Malformed(MessageError),
    /// A version other than v1 or v2c.
    #[error("unsupported SNMP version {0}")]
    BadVersion(i64),
    /// The community is not one of ours (RFC 3584 §4.1: discarded silently).
    #[error("unknown community {0:?}")]
    BadCommunity(String),
    /// A PDU that agents do not answer, or GetBulk in a v1 message.
    #[error("{0} is not answered by an agent in SNMP{1}")]
    NotARequest(&'static str, &'static str),
    /// Even the tooBig response did not fit.
    #[error("the response does not fit in {0} bytes, not even as tooBig")]
    TooBig(usize),
    /// A quirk keeps the agent silent.
    #[error("quirk {0} keeps the agent silent")]
    Quirk(&'static str),
}

/// What the agent does with a datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Send these bytes back to the sender.
    Reply(Vec<u8>),
    /// Send nothing.
    Drop(Dropped),
}

/// The printer and the time, for one datagram.
pub struct Context<'a> {
    /// The model.
    pub printer: &'a mut Printer,
    /// IPP's view of the printer (its settable text attributes).
    pub core: &'a IppCore,
    /// Now.
    pub now: SimTime,
    /// Misbehaviour in force.
    pub quirks: SnmpQuirks,
}

/// The most varbinds one GetBulk answers, whatever max-repetitions asks.
pub const MAX_BULK_VARBINDS: usize = 4096;

/// An SNMP agent for one printer.
#[derive(Debug)]
pub struct Agent {
    cfg: AgentConfig,
    values: AgentValues,
    stats: AgentStats,
    cache: Option<(u64, Mib)>,
}

/// A Set that failed: the status and the 1-based index of the binding.
struct SetError(u32, u32);

impl Agent {
    /// An agent.
    pub fn new(cfg: AgentConfig) -> Agent {
        let values = cfg.values.clone();
        Agent {
            cfg,
            values,
            stats: AgentStats::default(),
            cache: None,
        }
    }

    /// Its counters.
    pub fn stats(&self) -> &AgentStats {
        &self.stats
    }

    /// Its configuration.
    pub fn config(&self) -> &AgentConfig {
        &self.cfg
    }

    /// The MIB as it is now (for export and tests).
    pub fn snapshot(&mut self, ctx: &Context<'_>) -> Mib {
        self.view(ctx).clone()
    }

    /// Answer one datagram.
    pub fn handle(&mut self, bytes: &[u8], ctx: &mut Context<'_>) -> Verdict {
        self.stats.in_pkts = self.stats.in_pkts.wrapping_add(1);
        if ctx.quirks.silent {
            return Verdict::Drop(Dropped::Quirk("snmp-silent"));
        }
        let req = match message::decode(bytes) {
            Ok(m) => m,
            Err(MessageError::UnsupportedVersion(v)) => {
                self.stats.bad_versions += 1;
                return Verdict::Drop(Dropped::BadVersion(v));
            }
            Err(e) => {
                self.stats.asn_parse_errs += 1;
                return Verdict::Drop(Dropped::Malformed(e));
            }
        };
        let factory = ctx.quirks.writable_private
            && matches!(req.community.as_slice(), b"private" | b"public");
        let may_write = factory || self.cfg.write_communities.contains(&req.community);
        let may_read = may_write || self.cfg.read_communities.contains(&req.community);
        if !may_read {
            self.stats.bad_community_names += 1;
            return Verdict::Drop(Dropped::BadCommunity(
                String::from_utf8_lossy(&req.community).into_owned(),
            ));
        }
        let v = req.version;
        let pdu = match (req.pdu.kind, v) {
            (PduKind::Get, _) => self.get(&req, ctx),
            (PduKind::GetNext, _) => self.get_next(&req, ctx),
            (PduKind::GetBulk, Version::V2c) => self.get_bulk(&req, ctx),
            (PduKind::Set, _) if !may_write => {
                self.stats.bad_community_uses += 1;
                // RFC 3584 §4.4: noAccess, which v1 reports as noSuchName.
                let status = if v == Version::V1 {
                    es::NO_SUCH_NAME
                } else {
                    es::NO_ACCESS
                };
                error_pdu(&req, status, 1)
            }
            (PduKind::Set, _) => self.set(&req, ctx),
            (kind, _) => {
                // A v1 GetBulk is an unknown PDU type (RFC 3584 §4.2.1).
                if kind == PduKind::GetBulk {
                    self.stats.asn_parse_errs += 1;
                } else {
                    self.stats.unanswerable += 1;
                }
                let label = if v == Version::V1 { "v1" } else { "v2c" };
                return Verdict::Drop(Dropped::NotARequest(kind.name(), label));
            }
        };
        let resp = Message {
            version: v,
            community: req.community.clone(),
            pdu,
        };
        match self.fit(&req, resp) {
            Some(bytes) => {
                self.stats.responses += 1;
                Verdict::Reply(bytes)
            }
            None => {
                self.stats.silent_drops += 1;
                Verdict::Drop(Dropped::TooBig(self.cfg.max_message_size))
            }
        }
    }

    /// Encode the response; a Get/GetNext/Set answer too big for the limit
    /// becomes tooBig (RFC 3416 §4.2.1: empty bindings in v2c; RFC 1157
    /// §4.1.2: the request's bindings in v1); GetBulk answers are trimmed
    /// from the end instead (RFC 3416 §4.2.3).
    fn fit(&self, req: &Message, mut resp: Message) -> Option<Vec<u8>> {
        let max = self.cfg.max_message_size;
        let bytes = message::encode(&resp).ok()?;
        if bytes.len() <= max {
            return Some(bytes);
        }
        if req.pdu.kind == PduKind::GetBulk && !resp.pdu.varbinds.is_empty() {
            // Drop bindings until it fits: estimate, then check.
            let over = bytes.len() - max;
            let mut freed = 0;
            while freed < over {
                match resp.pdu.varbinds.pop() {
                    Some(vb) => freed += varbind_size(&vb),
                    None => break,
                }
            }
            loop {
                let b = message::encode(&resp).ok()?;
                if b.len() <= max {
                    return Some(b);
                }
                resp.pdu.varbinds.pop()?;
            }
        }
        resp.pdu.error_status = es::TOO_BIG;
        resp.pdu.error_index = 0;
        resp.pdu.varbinds = match req.version {
            Version::V2c => Vec::new(),
            Version::V1 => req.pdu.varbinds.clone(),
        };
        let b = message::encode(&resp).ok()?;
        (b.len() <= max).then_some(b)
    }

    /// The MIB view now, rebuilt only when something it shows changed.
    fn view(&mut self, ctx: &Context<'_>) -> &Mib {
        let key = self.fingerprint(ctx);
        let entry = match self.cache.take() {
            Some((k, mib)) if k == key => (k, mib),
            _ => {
                let statics = ctx.core.statics();
                let live = Live {
                    printer: ctx.printer,
                    statics: &statics,
                    channels: &self.cfg.channels,
                    values: &self.values,
                    now: ctx.now,
                };
                let mut mib = printer_mib::build(&live);
                overlay_imported(&mut mib, &self.cfg.imported);
                ctx.quirks.distort(&mut mib);
                (key, mib)
            }
        };
        let (_, mib) = self.cache.insert(entry);
        // The clocks move on every request.
        static CLOCKS: std::sync::LazyLock<[Oid; 2]> =
            std::sync::LazyLock::new(|| [printer_mib::sys_up_time(), hr_system_uptime()]);
        let up = printer_mib::ticks(ctx.now, ctx.printer.booted_at);
        for oid in CLOCKS.iter() {
            if let Some(o) = mib.get_mut(oid) {
                o.value = Value::TimeTicks(up);
            }
        }
        mib
    }

    /// A hash of everything the MIB shows but the clock.
    fn fingerprint(&self, ctx: &Context<'_>) -> u64 {
        let p = &*ctx.printer;
        let mut h = DefaultHasher::new();
        (p.state() as i32).hash(&mut h);
        p.is_paused().hash(&mut h);
        for c in p.conditions() {
            c.hash(&mut h);
        }
        for s in &p.supplies {
            s.level_percent().hash(&mut h);
        }
        for t in &p.trays {
            (t.level, &t.media).hash(&mut h);
        }
        p.counters.impressions.hash(&mut h);
        p.counters.jobs_failed.hash(&mut h);
        p.alert_events().hash(&mut h);
        p.active_job().hash(&mut h);
        p.queued_job_count().hash(&mut h);
        p.config_changed.hash(&mut h);
        p.booted_at.hash(&mut h);
        p.state_message().hash(&mut h);
        (Arc::as_ptr(&ctx.core.statics()) as usize).hash(&mut h);
        self.values.hash(&mut h);
        ctx.quirks.hash(&mut h);
        h.finish()
    }

    fn get(&mut self, req: &Message, ctx: &Context<'_>) -> Pdu {
        let v = req.version;
        let mib = self.view(ctx);
        let mut out = Vec::with_capacity(req.pdu.varbinds.len());
        for (i, vb) in req.pdu.varbinds.iter().enumerate() {
            let value = match mib.get(&vb.oid) {
                Lookup::Found(o) if v == Version::V1 && o.value.ber_tag() == 0x46 => {
                    VarValue::NoSuchObject
                }
                Lookup::Found(o) => VarValue::Value(o.value.clone()),
                Lookup::NoSuchInstance => VarValue::NoSuchInstance,
                Lookup::NoSuchObject => VarValue::NoSuchObject,
            };
            if !matches!(value, VarValue::Value(_)) && (v == Version::V1 || ctx.quirks.v1_errors) {
                return error_pdu(req, es::NO_SUCH_NAME, index(i));
            }
            out.push(VarBind {
                oid: vb.oid.clone(),
                value,
            });
        }
        ok_pdu(req, out)
    }

    fn get_next(&mut self, req: &Message, ctx: &Context<'_>) -> Pdu {
        let v = req.version;
        let backwards = ctx.quirks.walk_out_of_order;
        let mib = self.view(ctx);
        let mut out = Vec::with_capacity(req.pdu.varbinds.len());
        for (i, vb) in req.pdu.varbinds.iter().enumerate() {
            match next_binding(mib, &vb.oid, v, backwards) {
                Some(b) => out.push(b),
                None if v == Version::V1 || ctx.quirks.v1_errors => {
                    return error_pdu(req, es::NO_SUCH_NAME, index(i))
                }
                None => out.push(VarBind {
                    oid: vb.oid.clone(),
                    value: VarValue::EndOfMibView,
                }),
            }
        }
        ok_pdu(req, out)
    }

    fn get_bulk(&mut self, req: &Message, ctx: &Context<'_>) -> Pdu {
        let backwards = ctx.quirks.walk_out_of_order;
        let max_size = self.cfg.max_message_size;
        let mib = self.view(ctx);
        let list = &req.pdu.varbinds;
        let n = (req.pdu.error_status as usize).min(list.len());
        let m = req.pdu.error_index as usize;
        let mut out = Vec::new();
        let mut size = 0usize;
        let next = |oid: &Oid| {
            next_binding(mib, oid, Version::V2c, backwards).unwrap_or(VarBind {
                oid: oid.clone(),
                value: VarValue::EndOfMibView,
            })
        };
        for vb in &list[..n] {
            let b = next(&vb.oid);
            size += varbind_size(&b);
            out.push(b);
        }
        let mut cursors: Vec<Oid> = list[n..].iter().map(|vb| vb.oid.clone()).collect();
        'rounds: for _ in 0..m {
            if cursors.is_empty() {
                break;
            }
            let mut all_done = true;
            for c in cursors.iter_mut() {
                let b = next(c);
                if b.value != VarValue::EndOfMibView {
                    all_done = false;
                }
                c.clone_from(&b.oid);
                size += varbind_size(&b);
                out.push(b);
                if out.len() >= MAX_BULK_VARBINDS || size > max_size {
                    break 'rounds;
                }
            }
            if all_done {
                break;
            }
        }
        ok_pdu(req, out)
    }

    fn set(&mut self, req: &Message, ctx: &mut Context<'_>) -> Pdu {
        let v = req.version;
        if let Err(SetError(status, idx)) = self.check_set(req, ctx) {
            let status = if v == Version::V1 {
                v1_status(status)
            } else {
                status
            };
            return error_pdu(req, status, idx);
        }
        for vb in &req.pdu.varbinds {
            if let VarValue::Value(value) = &vb.value {
                self.apply_set(&vb.oid, value, ctx);
            }
        }
        self.cache = None;
        ok_pdu(req, req.pdu.varbinds.clone())
    }

    /// RFC 3416 §4.2.5 phase one: every binding must be acceptable.
    fn check_set(&mut self, req: &Message, ctx: &Context<'_>) -> Result<(), SetError> {
        let mib = self.view(ctx);
        for (i, vb) in req.pdu.varbinds.iter().enumerate() {
            let idx = index(i);
            let Some(value) = vb.value.value() else {
                return Err(SetError(es::WRONG_TYPE, idx));
            };
            let current = match mib.get(&vb.oid) {
                Lookup::Found(o) => o,
                Lookup::NoSuchInstance | Lookup::NoSuchObject => {
                    return Err(SetError(es::NO_CREATION, idx))
                }
            };
            if current.access != Access::ReadWrite {
                return Err(SetError(es::NOT_WRITABLE, idx));
            }
            if !value.same_type(&current.value) {
                return Err(SetError(es::WRONG_TYPE, idx));
            }
            match value {
                Value::OctetString(b) if b.len() > 255 => {
                    return Err(SetError(es::WRONG_LENGTH, idx))
                }
                Value::OctetString(b) if std::str::from_utf8(b).is_err() => {
                    return Err(SetError(es::WRONG_VALUE, idx))
                }
                // A tray holds a size the printer knows (IPP media-ready follows).
                Value::OctetString(b)
                    if matches!(settable(&vb.oid), Some(Settable::TrayMedia(_)))
                        && !ctx
                            .printer
                            .profile
                            .media
                            .sizes
                            .iter()
                            .any(|m| m.as_bytes() == b.as_slice()) =>
                {
                    return Err(SetError(es::WRONG_VALUE, idx))
                }
                Value::Integer(i) => {
                    let ok = match settable(&vb.oid) {
                        Some(Settable::SupplyLevel(_)) => (0..=100).contains(i),
                        Some(Settable::TrayLevel(t)) => {
                            ctx.printer.trays.get(t).is_some_and(|tr| {
                                *i >= 0 && i64::from(*i) <= i64::from(tr.capacity)
                            })
                        }
                        _ => true,
                    };
                    if !ok {
                        return Err(SetError(es::WRONG_VALUE, idx));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn apply_set(&mut self, oid: &Oid, value: &Value, ctx: &mut Context<'_>) {
        let text = value.as_text().unwrap_or_default();
        let num = value.as_i64().unwrap_or(0);
        let now = ctx.now;
        match settable(oid) {
            Some(Settable::SysContact) => self.values.sys_contact = text,
            Some(Settable::SysName) => self.values.sys_name = text,
            Some(Settable::SysLocation) => {
                ctx.core
                    .set_printer_text(ctx.printer, "printer-location", &text, now)
            }
            Some(Settable::PrinterName) => {
                ctx.core
                    .set_printer_text(ctx.printer, "printer-name", &text, now)
            }
            Some(Settable::CurrentOperator) => self.values.current_operator = text,
            Some(Settable::ServicePerson) => self.values.service_person = text,
            Some(Settable::SupplyLevel(i)) => {
                ctx.printer
                    .set_supply_level(i, u8::try_from(num).unwrap_or(100), now);
            }
            Some(Settable::TrayLevel(i)) => {
                if let Some(t) = ctx.printer.trays.get_mut(i) {
                    t.level = u32::try_from(num).unwrap_or(0).min(t.capacity);
                }
            }
            Some(Settable::TrayMedia(i)) => {
                if let Some(t) = ctx.printer.trays.get_mut(i) {
                    t.media = text;
                }
                ctx.printer.config_changed(now);
            }
            None => {}
        }
    }
}

fn hr_system_uptime() -> Oid {
    Oid::new([1, 3, 6, 1, 2, 1, 25, 1, 1, 0])
}

/// The writable objects and what a Set of each changes.
enum Settable {
    SysContact,
    SysName,
    SysLocation,
    PrinterName,
    CurrentOperator,
    ServicePerson,
    SupplyLevel(usize),
    TrayLevel(usize),
    TrayMedia(usize),
}

fn settable(oid: &Oid) -> Option<Settable> {
    let p = oid.parts();
    let sys = printer_mib::SYSTEM;
    let prt = printer_mib::PRINTMIB;
    if let Some(rest) = p.strip_prefix(sys) {
        return match rest {
            [4, 0] => Some(Settable::SysContact),
            [5, 0] => Some(Settable::SysName),
            [6, 0] => Some(Settable::SysLocation),
            _ => None,
        };
    }
    let rest = p.strip_prefix(prt)?;
    let row = |n: u32| usize::try_from(n).ok()?.checked_sub(1);
    match rest {
        [5, 1, 1, 4, 1] => Some(Settable::CurrentOperator),
        [5, 1, 1, 5, 1] => Some(Settable::ServicePerson),
        [5, 1, 1, 16, 1] => Some(Settable::PrinterName),
        [11, 1, 1, 9, 1, n] => row(*n).map(Settable::SupplyLevel),
        [8, 2, 1, 10, 1, n] => row(*n).map(Settable::TrayLevel),
        [8, 2, 1, 12, 1, n] => row(*n).map(Settable::TrayMedia),
        _ => None,
    }
}

/// Subtrees that are ours alone whatever a recording says: sysUpTime,
/// hrSystemUptime, the alert table, the console display and lights.
const LIVE_SUBTREES: [&[u32]; 5] = [
    &[1, 3, 6, 1, 2, 1, 1, 3],
    &[1, 3, 6, 1, 2, 1, 25, 1, 1],
    &[1, 3, 6, 1, 2, 1, 43, 16, 5],
    &[1, 3, 6, 1, 2, 1, 43, 17, 6],
    &[1, 3, 6, 1, 2, 1, 43, 18, 1],
];

/// Status, level and counter columns: our own rows stay live.
const LIVE_COLUMNS: [&[u32]; 6] = [
    &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5],
    &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1],
    &[1, 3, 6, 1, 2, 1, 43, 6, 1, 1, 3],
    &[1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 10],
    &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4],
    &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9],
];

/// Whether `oid` follows the printer's state, so an imported recording's
/// value does not stand in for it (in the status, level and counter
/// columns, for the rows the virtual printer has itself).
pub fn follows_state(oid: &Oid) -> bool {
    LIVE_SUBTREES
        .iter()
        .chain(LIVE_COLUMNS.iter())
        .any(|p| oid.starts_with(&Oid::new(*p)))
}

/// Imported values replace built ones, except objects that follow the
/// printer's state: the clocks, the alert table and the front panel are
/// ours alone (a recording's alerts are stale); in the status, level and
/// counter columns our own rows stay live while a recording's other rows
/// (e.g. the other devices of snmpd's hrDeviceTable) are kept.
fn overlay_imported(mib: &mut Mib, imported: &[(Oid, Value)]) {
    if imported.is_empty() {
        return;
    }
    let subtrees: Vec<Oid> = LIVE_SUBTREES.iter().map(|p| Oid::new(*p)).collect();
    let columns: Vec<Oid> = LIVE_COLUMNS.iter().map(|p| Oid::new(*p)).collect();
    for (oid, value) in imported {
        if subtrees.iter().any(|l| oid.starts_with(l)) {
            continue;
        }
        let ours = match mib.get(oid) {
            Lookup::Found(o) => Some(o.access),
            _ => None,
        };
        if ours.is_some() && columns.iter().any(|c| oid.starts_with(c)) {
            continue;
        }
        mib.instance(oid.clone(), value.clone(), ours.unwrap_or(Access::ReadOnly));
    }
}

/// The binding GetNext returns for `oid`: the next instance (skipping
/// Counter64 in v1, RFC 3584 §4.2.2.1), or `None` at the end of the MIB.
fn next_binding(mib: &Mib, oid: &Oid, v: Version, backwards: bool) -> Option<VarBind> {
    let mut cur = oid.clone();
    loop {
        let (next, obj) = mib.next_after(&cur)?;
        if v == Version::V1 && obj.value.ber_tag() == 0x46 {
            cur = next.clone();
            continue;
        }
        let mut name = next.clone();
        if backwards {
            // The quirk: a name that does not increase (a walker loops or stops).
            name = oid.clone();
        }
        return Some(VarBind {
            oid: name,
            value: VarValue::Value(obj.value.clone()),
        });
    }
}

fn index(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

/// RFC 3584 §4.4: v2 error statuses as v1 reports them.
fn v1_status(s: u32) -> u32 {
    match s {
        es::WRONG_VALUE
        | es::WRONG_ENCODING
        | es::WRONG_TYPE
        | es::WRONG_LENGTH
        | es::INCONSISTENT_VALUE => es::BAD_VALUE,
        es::NO_ACCESS
        | es::NOT_WRITABLE
        | es::NO_CREATION
        | es::INCONSISTENT_NAME
        | es::AUTHORIZATION_ERROR => es::NO_SUCH_NAME,
        es::RESOURCE_UNAVAILABLE | es::COMMIT_FAILED | es::UNDO_FAILED => es::GEN_ERR,
        other => other,
    }
}

fn ok_pdu(req: &Message, varbinds: Vec<VarBind>) -> Pdu {
    Pdu {
        kind: PduKind::Response,
        request_id: req.pdu.request_id,
        error_status: es::NO_ERROR,
        error_index: 0,
        varbinds,
    }
}

fn error_pdu(req: &Message, status: u32, idx: u32) -> Pdu {
    Pdu {
        kind: PduKind::Response,
        request_id: req.pdu.request_id,
        error_status: status,
        error_index: idx,
        varbinds: req.pdu.varbinds.clone(),
    }
}

/// The encoded size of a binding (exact for the BER rasn writes).
pub fn varbind_size(vb: &VarBind) -> usize {
    let oid = tlv(oid_len(&vb.oid));
    let value = match &vb.value {
        VarValue::Value(v) => tlv(value_len(v)),
        _ => 2,
    };
    tlv(oid + value)
}

fn tlv(content: usize) -> usize {
    let len_len = if content < 0x80 {
        1
    } else {
        1 + (usize::BITS as usize / 8 - content.leading_zeros() as usize / 8)
    };
    1 + len_len + content
}

fn base128_len(x: u64) -> usize {
    let bits = 64 - x.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

fn oid_len(o: &Oid) -> usize {
    let p = o.parts();
    match p {
        [] => 0,
        [a] => base128_len(u64::from(*a) * 40),
        [a, b, rest @ ..] => {
            base128_len(u64::from(*a) * 40 + u64::from(*b))
                + rest
                    .iter()
                    .map(|x| base128_len(u64::from(*x)))
                    .sum::<usize>()
        }
    }
}

fn int_len(i: i64) -> usize {
    (1..=8)
        .find(|n| {
            let bits = 8 * n - 1;
            bits >= 63 || (-(1i64 << bits) <= i && i < (1i64 << bits))
        })
        .unwrap_or(8)
}

fn value_len(v: &Value) -> usize {
    match v {
        Value::Integer(i) => int_len(i64::from(*i)),
        Value::OctetString(b) | Value::Opaque(b) => b.len(),
        Value::ObjectId(o) => oid_len(o),
        Value::IpAddress(_) => 4,
        Value::Counter32(u) | Value::Gauge32(u) | Value::TimeTicks(u) => int_len(i64::from(*u)),
        Value::Counter64(u) => {
            if *u >= 1 << 63 {
                9
            } else {
                int_len(i64::try_from(*u).unwrap_or(i64::MAX))
            }
        }
        Value::Null => 0,
    }
}
