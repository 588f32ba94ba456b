//! The MIB a printer shows, built from the one printer model: the system
//! group (RFC 3418), the Host Resources device and printer tables (RFC 2790),
//! the Printer MIB (RFC 3805, values from IANA-PRINTER-MIB) and the PWG Port
//! Monitor MIB's IEEE 1284 device ID — so that what SNMP says is what IPP says.

use crate::ipp::attributes::StaticAttributes;
use crate::model::{Condition, Printer, PrinterState, SimTime};
use crate::profile::MediaSize;
use crate::wire::ipp::Value as IppValue;

use super::mib::{Access, Mib};
use super::{Oid, Value};

/// `system` (RFC 3418).
pub const SYSTEM: &[u32] = &[1, 3, 6, 1, 2, 1, 1];
/// `snmp` group (RFC 3418 §2).
pub const SNMP_GROUP: &[u32] = &[1, 3, 6, 1, 2, 1, 11];
/// `host` (RFC 2790).
pub const HOST: &[u32] = &[1, 3, 6, 1, 2, 1, 25];
/// `printmib` (RFC 3805).
pub const PRINTMIB: &[u32] = &[1, 3, 6, 1, 2, 1, 43];
/// `ppmMIB` (PWG 5107.1 Port Monitor MIB).
pub const PPM: &[u32] = &[1, 3, 6, 1, 4, 1, 2699, 1, 2];
/// `hrDevicePrinter`, the value of `hrDeviceType` for a printer.
pub const HR_DEVICE_PRINTER: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 1, 5];

/// `sysUpTime.0`.
pub fn sys_up_time() -> Oid {
    Oid::new(at(SYSTEM, &[3, 0]))
}
/// `sysDescr.0`.
pub fn sys_descr() -> Oid {
    Oid::new(at(SYSTEM, &[1, 0]))
}
/// `sysLocation.0`.
pub fn sys_location() -> Oid {
    Oid::new(at(SYSTEM, &[6, 0]))
}
/// `sysContact.0`.
pub fn sys_contact() -> Oid {
    Oid::new(at(SYSTEM, &[4, 0]))
}
/// `sysName.0`.
pub fn sys_name() -> Oid {
    Oid::new(at(SYSTEM, &[5, 0]))
}
/// `hrDeviceDescr.1`.
pub fn hr_device_descr() -> Oid {
    Oid::new(at(HOST, &[3, 2, 1, 3, 1]))
}
/// `hrPrinterStatus.1`.
pub fn hr_printer_status() -> Oid {
    Oid::new(at(HOST, &[3, 5, 1, 1, 1]))
}
/// `hrPrinterDetectedErrorState.1`.
pub fn hr_printer_detected_error_state() -> Oid {
    Oid::new(at(HOST, &[3, 5, 1, 2, 1]))
}
/// `prtGeneralPrinterName.1`.
pub fn prt_general_printer_name() -> Oid {
    Oid::new(at(PRINTMIB, &[5, 1, 1, 16, 1]))
}
/// `prtMarkerSuppliesLevel.1.N`.
pub fn prt_marker_supplies_level(n: u32) -> Oid {
    Oid::new(at(PRINTMIB, &[11, 1, 1, 9, 1, n]))
}
/// `ppmPrinterIEEE1284DeviceId.1`.
pub fn ppm_printer_ieee1284_device_id() -> Oid {
    Oid::new(at(PPM, &[1, 2, 1, 1, 3, 1]))
}

fn at(prefix: &[u32], more: &[u32]) -> Vec<u32> {
    let mut v = Vec::with_capacity(prefix.len() + more.len());
    v.extend_from_slice(prefix);
    v.extend_from_slice(more);
    v
}

/// The print services a printer runs, for `prtChannelTable` and the Port
/// Monitor MIB.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Channels {
    /// IPP's TCP port.
    pub ipp: Option<u16>,
    /// Whether IPPS is served (on the IPP port).
    pub ipps: bool,
    /// LPD's port and queue.
    pub lpd: Option<(u16, String)>,
    /// AppSocket's port.
    pub socket: Option<u16>,
    /// The host name or address the printer's URIs carry
    /// (`ppmPortServiceNameOrURI`): its bind address, or `NAME.local`.
    pub host: String,
}

/// Agent-held values of the writable objects that IPP does not also hold.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AgentValues {
    /// `sysObjectID`.
    pub sys_object_id: Oid,
    /// `sysContact`.
    pub sys_contact: String,
    /// `sysName`.
    pub sys_name: String,
    /// `prtGeneralCurrentOperator`.
    pub current_operator: String,
    /// `prtGeneralServicePerson`.
    pub service_person: String,
    /// The community `ppmPrinterSnmpCommunityName` shows (empty: hidden).
    pub community_shown: String,
}

/// Everything the MIB is built from at one instant.
pub struct Live<'a> {
    /// The printer.
    pub printer: &'a Printer,
    /// IPP's printer attributes (location, name, info: Set-Printer-Attributes changes them).
    pub statics: &'a StaticAttributes,
    /// The services running.
    pub channels: &'a Channels,
    /// Agent-held values.
    pub values: &'a AgentValues,
    /// Now.
    pub now: SimTime,
}

/// hundredths of a second from `since` to `now`, as TimeTicks count.
pub fn ticks(now: SimTime, since: SimTime) -> u32 {
    u32::try_from(now.since(since).as_millis() / 10).unwrap_or(u32::MAX)
}

/// The first text value of an IPP printer attribute.
pub fn ipp_text(s: &StaticAttributes, name: &str) -> Option<String> {
    let a = s.attributes.iter().find(|a| a.name == name)?;
    a.values.iter().find_map(|v| match v {
        IppValue::Text(t) | IppValue::Name(t) | IppValue::Keyword(t) | IppValue::Uri(t) => {
            Some(t.clone())
        }
        _ => None,
    })
}

fn ipp_keywords(s: &StaticAttributes, name: &str) -> Vec<String> {
    s.attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| {
            a.values
                .iter()
                .filter_map(|v| match v {
                    IppValue::Keyword(k) => Some(k.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// RFC 2790 `hrDeviceStatus` and `hrPrinterStatus` for the printer's state,
/// as RFC 3805 §2.2.13.2 pairs them.
pub fn device_and_printer_status(p: &Printer) -> (i32, i32) {
    let critical = p.conditions().any(Condition::stops_printing);
    let warning = p.conditions().any(|c| !c.stops_printing());
    match p.state() {
        // down(5) / other(1): stopped by an operator or a critical alert.
        PrinterState::Stopped => (5, 1),
        PrinterState::Processing => (if warning { 3 } else { 2 }, 4),
        PrinterState::Idle if critical => (5, 1),
        PrinterState::Idle => (if warning { 3 } else { 2 }, 3),
    }
}

/// RFC 2790 `hrPrinterDetectedErrorState`: two octets, bit 0 the most
/// significant bit of the first.
pub fn detected_error_state(p: &Printer) -> [u8; 2] {
    let mut bits = [0u8; 2];
    let mut set = |bit: usize| bits[bit / 8] |= 0x80 >> (bit % 8);
    for c in p.conditions() {
        match c {
            Condition::MediaJam => set(5),
            Condition::MediaEmpty => {
                set(1);
                set(13);
            }
            Condition::MediaNeeded => set(1),
            Condition::DoorOpen => set(4),
            Condition::TonerLow => set(2),
            Condition::TonerEmpty => set(3),
            Condition::MarkerWasteFull => set(7),
            Condition::Offline => set(6),
        }
    }
    if p.trays
        .iter()
        .any(|t| t.capacity > 0 && t.level > 0 && t.level * 10 <= t.capacity)
    {
        set(0);
    }
    bits
}

/// IANA PrtAlertCodeTC for the model's alert keyword.
fn alert_code(code: &str) -> i32 {
    match code {
        "coverOpen" => 3,
        "jam" => 8,
        "subunitOffline" => 22,
        "poweredUp" | "powerUp" => 503,
        "inputMediaSupplyEmpty" => 808,
        "inputMediaSizeChangeRequest" | "inputMediaChangeRequest" => 809,
        "markerTonerEmpty" => 1101,
        "markerTonerAlmostEmpty" => 1104,
        "markerWasteTonerReceptacleFull" => 1109,
        _ => 1,
    }
}

/// IANA PrtAlertGroupTC for the model's group keyword.
fn alert_group(group: &str) -> i32 {
    match group {
        "general" => 5,
        "cover" => 6,
        "input" => 8,
        "output" => 9,
        "marker" => 10,
        "markerSupplies" => 11,
        "mediaPath" => 13,
        _ => 1,
    }
}

/// RFC 3805 PrtAlertSeverityLevelTC.
fn alert_severity(s: &str) -> i32 {
    match s {
        "critical" => 3,
        "warning" => 4,
        _ => 1,
    }
}

/// IANA PrtMarkerSuppliesTypeTC for the model's `marker-types` keyword.
fn supply_type(kind: &str) -> i32 {
    match kind {
        "toner" => 3,
        "waste-toner" => 4,
        "ink" => 5,
        "ink-cartridge" => 6,
        "ink-ribbon" => 7,
        "waste-ink" => 8,
        "opc" => 9,
        "developer" => 10,
        "fuser" => 15,
        "transfer-unit" => 20,
        "toner-cartridge" => 21,
        "staples" => 32,
        _ => 1,
    }
}

/// A colorant name (RFC 3805 prtMarkerColorantValue) for a `marker-colors` value.
pub fn colorant_name(color: &str) -> &'static str {
    match color.to_ascii_uppercase().as_str() {
        "#000000" => "black",
        "#00FFFF" => "cyan",
        "#FF00FF" => "magenta",
        "#FFFF00" => "yellow",
        "#FF0000" => "red",
        "#00FF00" => "green",
        "#0000FF" => "blue",
        "#FFFFFF" => "white",
        _ => "other",
    }
}

/// IANA PrtInterpreterLangFamilyTC for a MIME type.
fn lang_family(mime: &str) -> Option<(i32, &'static str)> {
    Some(match mime {
        "application/pdf" => (54, "PDF"),
        "application/postscript" => (6, "PostScript"),
        "application/vnd.hp-pcl" => (3, "PCL"),
        "image/jpeg" => (61, "JPEG"),
        "image/pwg-raster" => (84, "PWG Raster"),
        "image/urf" => (85, "Apple Raster"),
        "text/plain" => (30, "Text"),
        "application/octet-stream" => (37, "Automatic"),
        _ => return None,
    })
}

/// PrtSubUnitStatusTC for an input: availableIdle(0), +criticalAlerts(16)
/// when empty or jammed, +nonCriticalAlerts(8) when low.
fn input_status(p: &Printer, level: u32, capacity: u32) -> i32 {
    let mut s = 0;
    if level == 0 {
        s |= 16;
    } else if capacity > 0 && level * 10 <= capacity {
        s |= 8;
    }
    if p.conditions().any(|c| c == Condition::Offline) {
        s |= 32;
    }
    s
}

/// Build the whole MIB view from the printer as it is now.
pub fn build(live: &Live<'_>) -> Mib {
    let mut m = Mib::new();
    system(&mut m, live);
    host_resources(&mut m, live);
    printer_mib(&mut m, live);
    port_monitor(&mut m, live);
    m
}

fn text(s: impl AsRef<str>) -> Value {
    Value::text(s)
}

fn int(i: impl TryInto<i32>) -> Value {
    Value::Integer(i.try_into().unwrap_or(i32::MAX))
}

fn system(m: &mut Mib, live: &Live<'_>) {
    let p = live.printer;
    let id = &p.profile.identity;
    let ro = Access::ReadOnly;
    let rw = Access::ReadWrite;
    let mut descr = p.profile.make_and_model();
    if !id.firmware.is_empty() {
        descr.push_str(&format!(", firmware {}", id.firmware));
    }
    m.scalar(&at(SYSTEM, &[1]), text(descr), ro);
    m.scalar(
        &at(SYSTEM, &[2]),
        Value::ObjectId(live.values.sys_object_id.clone()),
        ro,
    );
    m.scalar(
        &at(SYSTEM, &[3]),
        Value::TimeTicks(ticks(live.now, p.booted_at)),
        ro,
    );
    m.scalar(&at(SYSTEM, &[4]), text(&live.values.sys_contact), rw);
    m.scalar(&at(SYSTEM, &[5]), text(&live.values.sys_name), rw);
    let location = ipp_text(live.statics, "printer-location").unwrap_or_default();
    m.scalar(&at(SYSTEM, &[6]), text(location), rw);
    // applications(64) + end-to-end(8): a printer's usual sysServices.
    m.scalar(&at(SYSTEM, &[7]), Value::Integer(72), ro);
    m.scalar(&at(SYSTEM, &[8]), Value::TimeTicks(0), ro);
}

fn host_resources(m: &mut Mib, live: &Live<'_>) {
    let p = live.printer;
    let ro = Access::ReadOnly;
    let up = ticks(live.now, p.booted_at);
    // hrSystem
    m.scalar(&at(HOST, &[1, 1]), Value::TimeTicks(up), ro);
    m.scalar(&at(HOST, &[1, 5]), Value::Gauge32(0), ro);
    m.scalar(
        &at(HOST, &[1, 6]),
        Value::Gauge32(u32::try_from(p.queued_job_count()).unwrap_or(u32::MAX)),
        ro,
    );
    // hrStorage: memory size (KB).
    m.scalar(&at(HOST, &[2, 2]), Value::Integer(262_144), ro);
    let (dev_status, prn_status) = device_and_printer_status(p);
    let dev = |col: u32| at(HOST, &[3, 2, 1, col]);
    m.cell(&dev(1), &[1], Value::Integer(1), ro);
    m.cell(
        &dev(2),
        &[1],
        Value::ObjectId(Oid::new(HR_DEVICE_PRINTER)),
        ro,
    );
    m.cell(&dev(3), &[1], text(p.profile.make_and_model()), ro);
    m.cell(&dev(4), &[1], Value::ObjectId(Oid::new([0, 0])), ro);
    m.cell(&dev(5), &[1], Value::Integer(dev_status), ro);
    m.cell(
        &dev(6),
        &[1],
        Value::Counter32(u32::try_from(p.counters.jobs_failed).unwrap_or(u32::MAX)),
        ro,
    );
    let prn = |col: u32| at(HOST, &[3, 5, 1, col]);
    m.cell(&prn(1), &[1], Value::Integer(prn_status), ro);
    m.cell(
        &prn(2),
        &[1],
        Value::OctetString(detected_error_state(p).to_vec()),
        ro,
    );
}

fn printer_mib(m: &mut Mib, live: &Live<'_>) {
    let p = live.printer;
    let profile = &p.profile;
    let ro = Access::ReadOnly;
    let rw = Access::ReadWrite;
    let t = |group: &[u32], col: u32| at(PRINTMIB, &at(group, &[col]));

    // prtGeneralTable (43.5.1.1), index hrDeviceIndex.
    let g = |col: u32| t(&[5, 1, 1], col);
    // The model keeps when the configuration last changed, not how often.
    let config_changes = u32::from(p.config_changed != SimTime::ZERO);
    m.cell(&g(1), &[1], Value::Counter32(config_changes), ro);
    m.cell(&g(2), &[1], Value::Integer(1), ro);
    m.cell(&g(3), &[1], Value::Integer(3), ro);
    m.cell(&g(4), &[1], text(&live.values.current_operator), rw);
    m.cell(&g(5), &[1], text(&live.values.service_person), rw);
    for col in [6, 7, 8, 9, 10] {
        m.cell(&g(col), &[1], Value::Integer(1), ro);
    }
    m.cell(&g(11), &[1], Value::Integer(2), ro);
    m.cell(&g(12), &[1], Value::Integer(40), ro);
    m.cell(&g(13), &[1], Value::Integer(3), ro);
    m.cell(&g(14), &[1], Value::Integer(4), ro);
    m.cell(&g(15), &[1], Value::Integer(4), ro);
    let name =
        ipp_text(live.statics, "printer-name").unwrap_or_else(|| profile.identity.name.clone());
    m.cell(&g(16), &[1], text(name), rw);
    m.cell(&g(17), &[1], text(&profile.identity.serial), ro);
    let (all_events, critical_events) = p.alert_events();
    m.cell(&g(18), &[1], Value::Counter32(critical_events), ro);
    m.cell(&g(19), &[1], Value::Counter32(all_events), ro);

    // prtCoverTable (43.6.1.1).
    let door_open = p.conditions().any(|c| c == Condition::DoorOpen);
    m.cell(&t(&[6, 1, 1], 2), &[1, 1], text("Front cover"), ro);
    m.cell(
        &t(&[6, 1, 1], 3),
        &[1, 1],
        Value::Integer(if door_open { 3 } else { 4 }),
        ro,
    );

    // prtLocalizationTable (43.7.1.1): English, US, UTF-8 (IANA MIBenum 106).
    m.cell(&t(&[7, 1, 1], 2), &[1, 1], text("en"), ro);
    m.cell(&t(&[7, 1, 1], 3), &[1, 1], text("US"), ro);
    m.cell(&t(&[7, 1, 1], 4), &[1, 1], Value::Integer(106), ro);

    // prtInputTable (43.8.2.1), one row per tray.
    for (i, tray) in p.trays.iter().enumerate() {
        let idx = [1, u32::try_from(i + 1).unwrap_or(u32::MAX)];
        let c = |col: u32| t(&[8, 2, 1], col);
        let size = MediaSize::parse(&tray.media).ok();
        let manual = tray.source.contains("manual") || tray.source.contains("by-pass");
        m.cell(&c(2), &idx, Value::Integer(if manual { 5 } else { 3 }), ro);
        // micrometers(4); PWG sizes are hundredths of a millimetre.
        m.cell(&c(3), &idx, Value::Integer(4), ro);
        m.cell(
            &c(4),
            &idx,
            int(size.map_or(-2, |s| s.y.saturating_mul(10))),
            ro,
        );
        m.cell(
            &c(5),
            &idx,
            int(size.map_or(-2, |s| s.x.saturating_mul(10))),
            ro,
        );
        m.cell(
            &c(6),
            &idx,
            int(size.map_or(-2, |s| s.y.saturating_mul(10))),
            ro,
        );
        m.cell(
            &c(7),
            &idx,
            int(size.map_or(-2, |s| s.x.saturating_mul(10))),
            ro,
        );
        // sheets(8)
        m.cell(&c(8), &idx, Value::Integer(8), ro);
        m.cell(&c(9), &idx, int(tray.capacity), ro);
        m.cell(&c(10), &idx, int(tray.level), rw);
        m.cell(
            &c(11),
            &idx,
            Value::Integer(input_status(p, tray.level, tray.capacity)),
            ro,
        );
        m.cell(&c(12), &idx, text(&tray.media), rw);
        m.cell(&c(13), &idx, text(&tray.source), ro);
        m.cell(&c(14), &idx, text(&profile.identity.make), ro);
        m.cell(
            &c(18),
            &idx,
            text(format!("Tray {} ({})", i + 1, tray.source)),
            ro,
        );
        m.cell(&c(21), &idx, text(&tray.media_type), ro);
    }

    // prtOutputTable (43.9.2.1): one face-down bin.
    let o = |col: u32| t(&[9, 2, 1], col);
    m.cell(&o(2), &[1, 1], Value::Integer(4), ro);
    m.cell(&o(3), &[1, 1], Value::Integer(8), ro);
    m.cell(&o(4), &[1, 1], Value::Integer(250), ro);
    m.cell(&o(5), &[1, 1], Value::Integer(-3), ro);
    m.cell(&o(6), &[1, 1], Value::Integer(0), ro);
    m.cell(&o(7), &[1, 1], text("face-down"), ro);

    // prtMarkerTable (43.10.2.1).
    let mk = |col: u32| t(&[10, 2, 1], col);
    let impressions = u32::try_from(p.counters.impressions % (1 << 32)).unwrap_or(0);
    let colorants = u32::try_from(p.supplies.len()).unwrap_or(0);
    m.cell(&mk(2), &[1, 1], Value::Integer(4), ro);
    m.cell(&mk(3), &[1, 1], Value::Integer(7), ro);
    m.cell(&mk(4), &[1, 1], Value::Counter32(impressions), ro);
    m.cell(&mk(5), &[1, 1], Value::Counter32(impressions), ro);
    m.cell(&mk(6), &[1, 1], int(colorants), ro);
    m.cell(&mk(7), &[1, 1], Value::Integer(0), ro);
    m.cell(&mk(8), &[1, 1], Value::Integer(3), ro);
    m.cell(&mk(9), &[1, 1], Value::Integer(600), ro);
    m.cell(&mk(10), &[1, 1], Value::Integer(600), ro);
    // hundredths of a millimetre to ten-thousandths of an inch.
    let margin = profile.media.margins[0].max(0).saturating_mul(1000) / 254;
    for col in 11..=14 {
        m.cell(&mk(col), &[1, 1], int(margin), ro);
    }
    let marker_alerts = p
        .conditions()
        .filter(|c| {
            matches!(
                c,
                Condition::TonerLow | Condition::TonerEmpty | Condition::MarkerWasteFull
            )
        })
        .map(|c| if c.stops_printing() { 16 } else { 8 })
        .max()
        .unwrap_or(0);
    m.cell(&mk(15), &[1, 1], Value::Integer(marker_alerts), ro);

    // prtMarkerSuppliesTable (43.11.1.1) and prtMarkerColorantTable (43.12.1.1).
    for (i, s) in p.supplies.iter().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let idx = [1, n];
        let c = |col: u32| t(&[11, 1, 1], col);
        let waste = s.kind.starts_with("waste");
        m.cell(&c(2), &idx, Value::Integer(1), ro);
        m.cell(&c(3), &idx, int(if waste { 0 } else { n }), ro);
        m.cell(&c(4), &idx, Value::Integer(if waste { 4 } else { 3 }), ro);
        m.cell(&c(5), &idx, Value::Integer(supply_type(&s.kind)), ro);
        m.cell(&c(6), &idx, text(&s.name), ro);
        // percent(19): max capacity 100, level = marker-levels.
        m.cell(&c(7), &idx, Value::Integer(19), ro);
        m.cell(&c(8), &idx, Value::Integer(100), ro);
        m.cell(
            &c(9),
            &idx,
            Value::Integer(i32::from(s.level_percent())),
            rw,
        );
        if !waste {
            let k = |col: u32| t(&[12, 1, 1], col);
            m.cell(&k(2), &idx, Value::Integer(1), ro);
            // process(3)
            m.cell(&k(3), &idx, Value::Integer(3), ro);
            m.cell(&k(4), &idx, text(colorant_name(&s.color)), ro);
            m.cell(&k(5), &idx, Value::Integer(256), ro);
        }
    }

    // prtMediaPathTable (43.13.4.1): the simplex path, and the duplex path.
    let duplex = ipp_keywords(live.statics, "sides-supported")
        .iter()
        .any(|s| s.starts_with("two-sided"));
    let (max_x, max_y) = profile
        .media
        .sizes
        .iter()
        .filter_map(|s| MediaSize::parse(s).ok())
        .fold((0, 0), |(x, y), s| (x.max(s.x), y.max(s.y)));
    let (min_x, min_y) = profile
        .media
        .sizes
        .iter()
        .filter_map(|s| MediaSize::parse(s).ok())
        .fold((i32::MAX, i32::MAX), |(x, y), s| (x.min(s.x), y.min(s.y)));
    let paths: &[(u32, i32, &str)] = if duplex {
        &[(1, 5, "Simplex path"), (2, 3, "Duplex path")]
    } else {
        &[(1, 5, "Simplex path")]
    };
    for &(n, kind, descr) in paths {
        let idx = [1, n];
        let c = |col: u32| t(&[13, 4, 1], col);
        // impressionsPerHour(7); sizes in micrometers(4).
        m.cell(&c(2), &idx, Value::Integer(7), ro);
        m.cell(&c(3), &idx, Value::Integer(4), ro);
        m.cell(&c(4), &idx, int(profile.speed.ppm.saturating_mul(60)), ro);
        m.cell(&c(5), &idx, int(max_y.saturating_mul(10)), ro);
        m.cell(&c(6), &idx, int(max_x.saturating_mul(10)), ro);
        m.cell(&c(7), &idx, int(min_y.min(max_y).saturating_mul(10)), ro);
        m.cell(&c(8), &idx, int(min_x.min(max_x).saturating_mul(10)), ro);
        m.cell(&c(9), &idx, Value::Integer(kind), ro);
        m.cell(&c(10), &idx, text(descr), ro);
        m.cell(&c(11), &idx, Value::Integer(0), ro);
    }

    // prtInterpreterTable (43.15.1.1): one per document format, PJL first.
    let mut langs: Vec<(i32, String)> = vec![(5, "PJL".into())];
    for f in &profile.formats.supported {
        if let Some((fam, d)) = lang_family(f) {
            langs.push((fam, d.to_string()));
        }
    }
    for (i, (fam, d)) in langs.iter().enumerate() {
        let idx = [1, u32::try_from(i + 1).unwrap_or(u32::MAX)];
        let c = |col: u32| t(&[15, 1, 1], col);
        m.cell(&c(2), &idx, Value::Integer(*fam), ro);
        m.cell(&c(3), &idx, text(""), ro);
        m.cell(&c(4), &idx, text(""), ro);
        m.cell(&c(5), &idx, text(d), ro);
        m.cell(&c(6), &idx, text(&profile.identity.firmware), ro);
        // portrait(3)
        m.cell(&c(7), &idx, Value::Integer(3), ro);
        m.cell(&c(8), &idx, Value::Integer(600), ro);
        m.cell(&c(9), &idx, Value::Integer(600), ro);
        m.cell(&c(10), &idx, Value::Integer(106), ro);
        m.cell(&c(11), &idx, Value::Integer(106), ro);
        // yes(3) for PJL, no(4) for the rest
        m.cell(
            &c(12),
            &idx,
            Value::Integer(if *fam == 5 { 3 } else { 4 }),
            ro,
        );
    }

    // prtChannelTable (43.14.1.1): one channel per print service running.
    let mut chans: Vec<(i32, String)> = Vec::new();
    if let Some((port, q)) = &live.channels.lpd {
        chans.push((8, format!("LPD port {port} queue {q}")));
    }
    if let Some(port) = live.channels.socket {
        chans.push((11, format!("Port {port}")));
    }
    if let Some(port) = live.channels.ipp {
        chans.push((44, format!("IPP port {port}")));
    }
    let default_lang = if langs.len() > 1 { 2 } else { 1 };
    for (i, (kind, info)) in chans.iter().enumerate() {
        let idx = [1, u32::try_from(i + 1).unwrap_or(u32::MAX)];
        let c = |col: u32| t(&[14, 1, 1], col);
        m.cell(&c(2), &idx, Value::Integer(*kind), ro);
        m.cell(&c(3), &idx, text(""), ro);
        m.cell(&c(4), &idx, Value::Integer(1), ro);
        m.cell(&c(5), &idx, Value::Integer(default_lang), ro);
        // printDataAccepted(3)
        m.cell(&c(6), &idx, Value::Integer(3), ro);
        m.cell(&c(7), &idx, Value::Integer(1), ro);
        m.cell(&c(8), &idx, Value::Integer(0), ro);
        m.cell(&c(9), &idx, text(info), ro);
    }

    // prtConsoleDisplayBufferTable (43.16.5.1): the front panel's two lines.
    let line2 = match p.active_job() {
        Some(j) => format!("Job {j}"),
        None => String::new(),
    };
    m.cell(&t(&[16, 5, 1], 2), &[1, 1], text(p.state_message()), ro);
    m.cell(&t(&[16, 5, 1], 2), &[1, 2], text(line2), ro);

    // prtConsoleLightTable (43.17.6.1): Ready (green) and Attention (orange).
    let attention = p.conditions().any(Condition::stops_printing) || p.is_paused();
    let ready_on = !attention;
    for (n, on, color, descr) in [(1, ready_on, 5, "Ready"), (2, attention, 10, "Attention")] {
        let idx = [1, n];
        let c = |col: u32| t(&[17, 6, 1], col);
        m.cell(&c(2), &idx, Value::Integer(if on { 1000 } else { 0 }), ro);
        m.cell(&c(3), &idx, Value::Integer(0), ro);
        m.cell(&c(4), &idx, Value::Integer(color), ro);
        m.cell(&c(5), &idx, text(descr), ro);
    }

    // prtAlertTable (43.18.1.1): a row per condition, and the power-up event.
    for a in p.alerts() {
        let idx = [1, a.index];
        let c = |col: u32| t(&[18, 1, 1], col);
        m.cell(&c(2), &idx, Value::Integer(alert_severity(a.severity)), ro);
        // untrained(3) for a jam or paper, fieldService(5) for waste
        let training = if a.code == "markerWasteTonerReceptacleFull" {
            5
        } else {
            3
        };
        m.cell(&c(3), &idx, Value::Integer(training), ro);
        m.cell(&c(4), &idx, Value::Integer(alert_group(a.group)), ro);
        m.cell(&c(5), &idx, Value::Integer(-1), ro);
        m.cell(&c(6), &idx, Value::Integer(-1), ro);
        m.cell(&c(7), &idx, Value::Integer(alert_code(a.code)), ro);
        m.cell(&c(8), &idx, text(a.description), ro);
        m.cell(
            &c(9),
            &idx,
            Value::TimeTicks(ticks(a.time, p.booted_at)),
            ro,
        );
    }
}

fn port_monitor(m: &mut Mib, live: &Live<'_>) {
    let p = live.printer;
    let ro = Access::ReadOnly;
    // ppmGeneral (…2699.1.2.1.1): natural language, number of printers.
    m.scalar(&at(PPM, &[1, 1, 1]), text("en-us"), ro);
    m.scalar(&at(PPM, &[1, 1, 2]), Value::Gauge32(1), ro);
    let pr = |col: u32| at(PPM, &[1, 2, 1, 1, col]);
    let name =
        ipp_text(live.statics, "printer-name").unwrap_or_else(|| p.profile.identity.name.clone());
    let mut ports: Vec<(i32, String, u16)> = Vec::new();
    if let Some(port) = live.channels.ipp {
        let scheme = if live.channels.ipps { "ipps" } else { "ipp" };
        ports.push((
            44,
            format!("{scheme}://localhost:{port}{}", crate::ipp::PRINTER_PATH),
            port,
        ));
    }
    if let Some((port, q)) = &live.channels.lpd {
        ports.push((8, q.clone(), *port));
    }
    if let Some(port) = live.channels.socket {
        ports.push((11, String::new(), port));
    }
    m.cell(&pr(2), &[1], text(name), ro);
    m.cell(&pr(3), &[1], text(p.profile.device_id()), ro);
    m.cell(&pr(4), &[1], int(ports.len()), ro);
    m.cell(&pr(5), &[1], Value::Integer(1), ro);
    m.cell(&pr(6), &[1], Value::Integer(1), ro);
    m.cell(&pr(7), &[1], text(&live.values.community_shown), ro);
    m.cell(&pr(8), &[1], Value::Integer(1), ro);
    for (i, (kind, svc, port)) in ports.iter().enumerate() {
        let idx = [1, u32::try_from(i + 1).unwrap_or(u32::MAX)];
        let c = |col: u32| at(PPM, &[1, 3, 1, 1, col]);
        m.cell(&c(2), &idx, Value::Integer(1), ro);
        m.cell(&c(3), &idx, text(format!("port{}", i + 1)), ro);
        m.cell(&c(4), &idx, text(svc), ro);
        m.cell(&c(5), &idx, Value::Integer(*kind), ro);
        m.cell(&c(6), &idx, int(*port), ro);
        m.cell(&c(7), &idx, Value::Integer(2), ro);
        m.cell(&c(8), &idx, int(i + 1), ro);
        m.cell(&c(9), &idx, Value::Integer(1), ro);
    }
}
