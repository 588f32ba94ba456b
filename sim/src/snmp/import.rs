//! A recording of a real printer's MIB into a profile: the supplies, the
//! identity and the contact follow the dump, so IPP agrees with what SNMP
//! shows (`marker-names` ↔ prtMarkerSuppliesDescription, `printer-device-id`
//! ↔ ppmPrinterIEEE1284DeviceId, `printer-location` ↔ sysLocation).

use std::collections::BTreeMap;

use crate::profile::{Profile, SupplySpec};

use super::printer_mib::{PPM, PRINTMIB, SYSTEM};
use super::{Oid, Value};

/// Supply types (IANA PrtMarkerSuppliesTypeTC) as `marker-types` keywords.
fn supply_kind(t: i64) -> &'static str {
    match t {
        3 => "toner",
        4 => "waste-toner",
        5 => "ink",
        6 => "ink-cartridge",
        7 => "ink-ribbon",
        8 => "waste-ink",
        9 => "opc",
        10 => "developer",
        15 => "fuser",
        20 => "transfer-unit",
        21 => "toner-cartridge",
        32 => "staples",
        _ => "other",
    }
}

/// A colorant name as a `marker-colors` value.
fn color_of(name: &str) -> &'static str {
    match name.trim().to_ascii_lowercase().as_str() {
        "black" => "#000000",
        "cyan" => "#00FFFF",
        "magenta" => "#FF00FF",
        "yellow" => "#FFFF00",
        "red" => "#FF0000",
        "green" => "#00FF00",
        "blue" => "#0000FF",
        "white" => "#FFFFFF",
        _ => "none",
    }
}

/// A value by OID, from a dump.
fn lookup<'a>(by: &'a BTreeMap<&Oid, &Value>, parts: &[u32]) -> Option<&'a Value> {
    by.get(&Oid::new(parts)).copied()
}

/// IEEE 1284 device IDs travel with their two-byte big-endian length first
/// (some agents keep it in the MIB value): drop it when it is there.
fn strip_length_prefix(b: &[u8]) -> &[u8] {
    match b {
        [hi, lo, rest @ ..] => {
            let n = usize::from(*hi) << 8 | usize::from(*lo);
            if n == b.len() || n == rest.len() {
                rest
            } else {
                b
            }
        }
        _ => b,
    }
}

/// Take identity, contact and supplies from a dump.
pub fn apply_to_profile(profile: &mut Profile, entries: &[(Oid, Value)]) {
    let by: BTreeMap<&Oid, &Value> = entries.iter().map(|(o, v)| (o, v)).collect();
    let at = |prefix: &[u32], more: &[u32]| -> Vec<u32> {
        prefix.iter().chain(more.iter()).copied().collect()
    };
    let text = |parts: Vec<u32>| lookup(&by, &parts).and_then(Value::as_text);
    let device_id = lookup(&by, &at(PPM, &[1, 2, 1, 1, 3, 1]))
        .and_then(Value::as_bytes)
        .map(|b| {
            String::from_utf8_lossy(strip_length_prefix(b))
                .trim()
                .to_string()
        });
    if let Some(id) = device_id.filter(|s| s.contains(':')) {
        let field = |keys: &[&str]| {
            id.split(';').find_map(|kv| {
                let (k, v) = kv.split_once(':')?;
                keys.contains(&k.trim()).then(|| v.trim().to_string())
            })
        };
        if let Some(m) = field(&["MFG", "MANUFACTURER"]) {
            profile.identity.make = m;
        }
        if let Some(m) = field(&["MDL", "MODEL"]) {
            // "HP LaserJet…" under MFG:HP: the make is said once.
            let make = format!("{} ", profile.identity.make);
            profile.identity.model = m.strip_prefix(&make).map(str::to_string).unwrap_or(m);
        }
        profile.identity.device_id = Some(id);
    }
    if let Some(loc) = text(at(SYSTEM, &[6, 0])) {
        profile.identity.location = loc;
    }
    if let Some(c) = text(at(SYSTEM, &[4, 0])) {
        profile.snmp.contact = c;
    }
    if let Some(Value::ObjectId(o)) = lookup(&by, &at(SYSTEM, &[2, 0])) {
        profile.snmp.sys_object_id = Some(o.to_string());
    }
    // prtMarkerSuppliesTable rows of the first marker device.
    let descr_col = Oid::new(at(PRINTMIB, &[11, 1, 1, 6, 1]));
    let rows: Vec<u32> = entries
        .iter()
        .filter(|(o, _)| {
            o.starts_with(&descr_col) && o.parts().len() == descr_col.parts().len() + 1
        })
        .filter_map(|(o, _)| o.parts().last().copied())
        .collect();
    if rows.is_empty() {
        return;
    }
    let old = std::mem::take(&mut profile.supplies);
    for n in rows {
        let cell = |col: u32| lookup(&by, &at(PRINTMIB, &[11, 1, 1, col, 1, n]));
        let name = cell(6).and_then(Value::as_text).unwrap_or_default();
        let kind = supply_kind(cell(5).and_then(Value::as_i64).unwrap_or(1));
        let max = cell(8).and_then(Value::as_i64).unwrap_or(100);
        let level = cell(9).and_then(Value::as_i64).unwrap_or(-2);
        // -3 (some remaining) and -2 (unknown) have no percentage: say half.
        let percent = if level >= 0 && max > 0 {
            (level.saturating_mul(100) / max).clamp(0, 100)
        } else {
            50
        };
        let colorant = cell(3).and_then(Value::as_i64).unwrap_or(0);
        let color = u32::try_from(colorant)
            .ok()
            .and_then(|c| lookup(&by, &at(PRINTMIB, &[12, 1, 1, 4, 1, c])))
            .and_then(Value::as_text)
            .map_or("none", |c| color_of(&c));
        let color = if color == "none" {
            color_of(name.split_whitespace().next().unwrap_or(""))
        } else {
            color
        };
        let like = old.iter().find(|s| s.name == name);
        profile.supplies.push(SupplySpec {
            name,
            kind: kind.to_string(),
            color: color.to_string(),
            level: u8::try_from(percent).unwrap_or(50),
            low: like.map_or(5, |s| s.low),
            pages: like.map_or(10_000, |s| s.pages),
            color_only: !matches!(color, "#000000" | "none"),
        });
    }
}
