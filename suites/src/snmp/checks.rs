//! Built-in checks over the MIB a case has read, for rules no single
//! binding can show (a level bounded by its own row's capacity, a supply
//! whose colorant must exist), and the comparisons of the IPP cross-checks.
//!
//! A `check = "NAME"` step looks at every binding the case read before it;
//! the case walks the tables the check names first:
//!
//! | check | reads | holds when |
//! |---|---|---|
//! | `hr-printer-rows` | `hrDeviceType`, `hrPrinterStatus` | there is a printer row, and each `hrPrinterTable` row's `hrDeviceType` is `hrDevicePrinter` (RFC 2790) |
//! | `supplies-rows` | `prtMarkerSuppliesTable` | there is a supply, and each has a description (OCTET STRING) and a max capacity (INTEGER, -2 or more) |
//! | `supplies-level` | `prtMarkerSuppliesTable` | each `prtMarkerSuppliesLevel` is an INTEGER in {-1, -2, -3} ∪ [0, max capacity] (no upper bound when the capacity is not positive) |
//! | `supplies-colorants` | `prtMarkerSuppliesTable`, `prtMarkerColorantTable` | each supply's non-zero `prtMarkerSuppliesColorantIndex` has a `prtMarkerColorantValue` row |
//! | `alert-rows` | `prtAlertTable` | each alert row has severity, group, code, description and time; its severity is other(1), critical(3), warning(4) or warningBinaryChangeEvent(5) |
//! | `input-levels` | `prtInputTable` | there is an input, and each `prtInputCurrentLevel` is an INTEGER in {-1, -2, -3} ∪ [0, max capacity] |

use std::collections::{BTreeMap, BTreeSet};

use paperjam_sim::snmp::{Oid, Value, VarValue};

use super::names::{name_of, oid_of};
use crate::grade::Finding;

/// Every binding a case has read, the last reading of each instance.
pub type Seen = BTreeMap<Oid, VarValue>;

/// A built-in check: the step's index, what was read, where findings go.
pub type CheckFn = fn(usize, &Seen, &mut Vec<Finding>);

/// The built-in checks, by name.
pub const CHECKS: &[(&str, CheckFn)] = &[
    ("hr-printer-rows", hr_printer_rows),
    ("supplies-rows", supplies_rows),
    ("supplies-level", supplies_level),
    ("supplies-colorants", supplies_colorants),
    ("alert-rows", alert_rows),
    ("input-levels", input_levels),
];

/// The IPP cross-checks, by name, with what each compares.
pub const CROSS_CHECKS: &[(&str, &str)] = &[
    (
        "printer-status",
        "IPP printer-state against hrPrinterStatus (and hrPrinterDetectedErrorState)",
    ),
    (
        "marker-levels",
        "IPP marker-levels against prtMarkerSuppliesLevel scaled by prtMarkerSuppliesMaxCapacity",
    ),
    (
        "device-id",
        "IPP printer-device-id against ppmPrinterIEEE1284DeviceId",
    ),
    (
        "make-and-model",
        "IPP printer-make-and-model against hrDeviceDescr",
    ),
];

fn oid(name: &str) -> Oid {
    oid_of(name).unwrap_or_default()
}

/// The rows of a column: each instance's index (the OID after the column)
/// and value, in order.
pub fn column<'a>(seen: &'a Seen, col: &Oid) -> Vec<(Vec<u32>, &'a VarValue)> {
    seen.range(col.clone()..)
        .take_while(|(o, _)| o.starts_with(col))
        .filter(|(o, _)| o.parts().len() > col.parts().len())
        .map(|(o, v)| (o.parts()[col.parts().len()..].to_vec(), v))
        .collect()
}

/// The name of a binding's type, or of its exception.
pub fn type_name(v: &VarValue) -> &'static str {
    match v {
        VarValue::NoSuchObject => "noSuchObject",
        VarValue::NoSuchInstance => "noSuchInstance",
        VarValue::EndOfMibView => "endOfMibView",
        VarValue::Value(v) => match v {
            Value::Integer(_) => "INTEGER",
            Value::OctetString(_) => "OCTET STRING",
            Value::ObjectId(_) => "OBJECT IDENTIFIER",
            Value::IpAddress(_) => "IpAddress",
            Value::Counter32(_) => "Counter32",
            Value::Gauge32(_) => "Gauge32",
            Value::TimeTicks(_) => "TimeTicks",
            Value::Opaque(_) => "Opaque",
            Value::Counter64(_) => "Counter64",
            Value::Null => "NULL",
        },
    }
}

/// Whether a binding is of the type (or exception) named.
pub fn is_type(v: &VarValue, name: &str) -> bool {
    match v {
        VarValue::Value(x) => super::spec::type_tag(name) == Some(x.ber_tag()),
        other => type_name(other).eq_ignore_ascii_case(name.trim()),
    }
}

/// A binding's value as text: numbers, OIDs dotted, strings as their
/// (lossy UTF-8) text, exceptions by name.
pub fn value_text(v: &VarValue) -> String {
    match v {
        VarValue::Value(x) => match x {
            Value::Integer(i) => i.to_string(),
            Value::OctetString(b) => String::from_utf8_lossy(b).into_owned(),
            Value::ObjectId(o) => o.to_string(),
            Value::IpAddress(a) => format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            Value::Counter32(u) | Value::Gauge32(u) | Value::TimeTicks(u) => u.to_string(),
            Value::Counter64(u) => u.to_string(),
            Value::Opaque(b) => crate::grade::hex(b, 256),
            Value::Null => "NULL".into(),
        },
        other => type_name(other).to_string(),
    }
}

/// A binding as a report shows it: its type and value.
pub fn shown(v: &VarValue) -> String {
    match v {
        VarValue::Value(x) => {
            let mut s = x.to_string();
            if s.len() > 200 {
                let mut cut = 200;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                s.truncate(cut);
                s.push('…');
            }
            s
        }
        other => type_name(other).to_string(),
    }
}

/// An INTEGER's value (not a Gauge32 or a Counter32).
pub fn integer(v: &VarValue) -> Option<i64> {
    match v {
        VarValue::Value(Value::Integer(i)) => Some(i64::from(*i)),
        _ => None,
    }
}

fn finding(
    step: usize,
    check: String,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Finding {
    Finding {
        step,
        check,
        expected: expected.into(),
        actual: actual.into(),
    }
}

fn index_text(index: &[u32]) -> String {
    index
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// The row indices present in any of `cols`.
fn rows(seen: &Seen, cols: &[Oid]) -> BTreeSet<Vec<u32>> {
    cols.iter()
        .flat_map(|c| column(seen, c).into_iter().map(|(i, _)| i))
        .collect()
}

/// Check that `col.index` is present, of type `ty`; the value if it is.
fn cell<'a>(
    step: usize,
    seen: &'a Seen,
    col: &Oid,
    index: &[u32],
    ty: &str,
    out: &mut Vec<Finding>,
) -> Option<&'a VarValue> {
    let at = col.child(index);
    match seen.get(&at) {
        None => {
            out.push(finding(
                step,
                format!("{} presence", name_of(col)),
                format!("present in row {}", index_text(index)),
                "absent",
            ));
            None
        }
        Some(v) if !is_type(v, ty) => {
            out.push(finding(
                step,
                format!("{} type", name_of(col)),
                ty.to_string(),
                format!("{} at {}", type_name(v), name_of(&at)),
            ));
            None
        }
        Some(v) => Some(v),
    }
}

/// RFC 3805's levels: -1 other, -2 unknown, -3 some remaining, else 0 to
/// the capacity (when the capacity is known and positive).
fn level_ok(level: i64, max: Option<i64>) -> bool {
    match level {
        -3..=-1 => true,
        l if l < 0 => false,
        l => max.is_none_or(|m| m <= 0 || l <= m),
    }
}

fn hr_printer_rows(step: usize, seen: &Seen, out: &mut Vec<Finding>) {
    let status = oid("hrPrinterStatus");
    let ty = oid("hrDeviceType");
    let printers = column(seen, &status);
    if printers.is_empty() {
        out.push(finding(
            step,
            "hrPrinterTable presence".into(),
            "a row for the printer".to_string(),
            "no hrPrinterStatus instance",
        ));
        return;
    }
    let want = oid("hrDevicePrinter");
    for (index, _) in printers {
        match seen.get(&ty.child(&index)) {
            Some(VarValue::Value(Value::ObjectId(o))) if *o == want => {}
            other => out.push(finding(
                step,
                "hrDeviceType value".into(),
                format!(
                    "hrDevicePrinter ({want}) for hrPrinterTable row {}",
                    index_text(&index)
                ),
                other.map_or("absent".into(), shown),
            )),
        }
    }
}

fn supplies_rows(step: usize, seen: &Seen, out: &mut Vec<Finding>) {
    let descr = oid("prtMarkerSuppliesDescription");
    let max = oid("prtMarkerSuppliesMaxCapacity");
    let level = oid("prtMarkerSuppliesLevel");
    let all = rows(seen, &[descr.clone(), max.clone(), level]);
    if all.is_empty() {
        out.push(finding(
            step,
            "prtMarkerSuppliesTable presence".into(),
            "a row per marker supply",
            "no rows",
        ));
        return;
    }
    for index in all {
        cell(step, seen, &descr, &index, "OCTET STRING", out);
        if let Some(v) = cell(step, seen, &max, &index, "INTEGER", out) {
            if integer(v).is_some_and(|m| m < -2) {
                out.push(finding(
                    step,
                    "prtMarkerSuppliesMaxCapacity value".into(),
                    "-1 (other), -2 (unknown) or 0 and more",
                    format!("{} at row {}", value_text(v), index_text(&index)),
                ));
            }
        }
    }
}

fn supplies_level(step: usize, seen: &Seen, out: &mut Vec<Finding>) {
    let max = oid("prtMarkerSuppliesMaxCapacity");
    let level = oid("prtMarkerSuppliesLevel");
    let levels = column(seen, &level);
    if levels.is_empty() {
        out.push(finding(
            step,
            "prtMarkerSuppliesLevel presence".into(),
            "a level per marker supply",
            "no instances",
        ));
        return;
    }
    for (index, v) in levels {
        let Some(l) = integer(v) else {
            out.push(finding(
                step,
                "prtMarkerSuppliesLevel type".into(),
                "INTEGER (Integer32)",
                format!("{} at row {}", type_name(v), index_text(&index)),
            ));
            continue;
        };
        let m = seen.get(&max.child(&index)).and_then(integer);
        if !level_ok(l, m) {
            let bound = match m {
                Some(m) if m > 0 => format!("0 to {m} (the row's max capacity)"),
                _ => "0 or more".into(),
            };
            out.push(finding(
                step,
                "prtMarkerSuppliesLevel value".into(),
                format!("-1 (other), -2 (unknown), -3 (some remaining) or {bound}"),
                format!("{l} at row {}", index_text(&index)),
            ));
        }
    }
}

fn supplies_colorants(step: usize, seen: &Seen, out: &mut Vec<Finding>) {
    let ci = oid("prtMarkerSuppliesColorantIndex");
    let value = oid("prtMarkerColorantValue");
    for (index, v) in column(seen, &ci) {
        let Some(n) = integer(v) else {
            out.push(finding(
                step,
                "prtMarkerSuppliesColorantIndex type".into(),
                "INTEGER",
                format!("{} at row {}", type_name(v), index_text(&index)),
            ));
            continue;
        };
        if n <= 0 {
            continue;
        }
        // Supplies and colorants are both indexed by hrDeviceIndex first.
        let Some(device) = index.first() else {
            continue;
        };
        let Ok(n) = u32::try_from(n) else { continue };
        cell(step, seen, &value, &[*device, n], "OCTET STRING", out);
    }
}

fn alert_rows(step: usize, seen: &Seen, out: &mut Vec<Finding>) {
    let severity = oid("prtAlertSeverityLevel");
    let cols = [
        ("prtAlertSeverityLevel", "INTEGER"),
        ("prtAlertGroup", "INTEGER"),
        ("prtAlertCode", "INTEGER"),
        ("prtAlertDescription", "OCTET STRING"),
        ("prtAlertTime", "TimeTicks"),
    ];
    let table: Vec<Oid> = cols.iter().map(|(n, _)| oid(n)).collect();
    for index in rows(seen, &table) {
        for ((_, ty), col) in cols.iter().zip(&table) {
            cell(step, seen, col, &index, ty, out);
        }
        if let Some(s) = seen.get(&severity.child(&index)).and_then(integer) {
            if ![1, 3, 4, 5].contains(&s) {
                out.push(finding(
                    step,
                    "prtAlertSeverityLevel value".into(),
                    "other(1), critical(3), warning(4) or warningBinaryChangeEvent(5)",
                    format!("{s} at row {}", index_text(&index)),
                ));
            }
        }
    }
}

fn input_levels(step: usize, seen: &Seen, out: &mut Vec<Finding>) {
    let max = oid("prtInputMaxCapacity");
    let level = oid("prtInputCurrentLevel");
    let all = rows(seen, &[max.clone(), level.clone()]);
    if all.is_empty() {
        out.push(finding(
            step,
            "prtInputTable presence".into(),
            "a row per input",
            "no rows",
        ));
        return;
    }
    for index in all {
        let m = cell(step, seen, &max, &index, "INTEGER", out).and_then(integer);
        if m.is_some_and(|m| m < -2) {
            out.push(finding(
                step,
                "prtInputMaxCapacity value".into(),
                "-1 (other), -2 (unknown) or 0 and more",
                format!("{m:?} at row {}", index_text(&index)),
            ));
        }
        let Some(l) = cell(step, seen, &level, &index, "INTEGER", out).and_then(integer) else {
            continue;
        };
        if !level_ok(l, m) {
            out.push(finding(
                step,
                "prtInputCurrentLevel value".into(),
                format!(
                    "-1 (other), -2 (unknown), -3 (some remaining) or 0 to the max capacity ({})",
                    m.map_or("absent".into(), |m| m.to_string())
                ),
                format!("{l} at row {}", index_text(&index)),
            ));
        }
    }
}

/// What `printer-state` says hrPrinterStatus must be (RFC 3805 §2.2.13.2):
/// `Ok` when they agree, else (expected, actual).
pub fn printer_status_agrees(
    ipp_state: i32,
    hr_printer_status: i64,
    error_bits: &[u8],
) -> Result<(), (String, String)> {
    let name = |s: i64| match s {
        1 => "other(1)",
        2 => "unknown(2)",
        3 => "idle(3)",
        4 => "printing(4)",
        5 => "warmup(5)",
        _ => "not an hrPrinterStatus",
    };
    let actual = || {
        let bits = if error_bits.iter().any(|b| *b != 0) {
            format!(
                ", hrPrinterDetectedErrorState {}",
                crate::grade::hex(error_bits, 16)
            )
        } else {
            String::new()
        };
        format!("hrPrinterStatus {}{bits}", name(hr_printer_status))
    };
    let ok = match ipp_state {
        3 => hr_printer_status == 3,
        4 => matches!(hr_printer_status, 4 | 5),
        // Stopped: Critical Alert Active / Off-line rows (down, other), or
        // at least an error condition that says why.
        5 => hr_printer_status == 1 || error_bits.iter().any(|b| *b != 0),
        _ => {
            return Err((
                "printer-state idle(3), processing(4) or stopped(5)".into(),
                format!("printer-state {ipp_state}"),
            ))
        }
    };
    if ok {
        return Ok(());
    }
    let expected = match ipp_state {
        3 => "hrPrinterStatus idle(3), as IPP printer-state is idle(3)",
        4 => "hrPrinterStatus printing(4) (or warmup(5)), as IPP printer-state is processing(4)",
        _ => "hrPrinterStatus other(1), or an error bit in hrPrinterDetectedErrorState, as IPP printer-state is stopped(5)",
    };
    Err((expected.into(), actual()))
}

/// One marker supply as SNMP reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supply {
    /// prtMarkerSuppliesDescription.
    pub description: String,
    /// prtMarkerSuppliesMaxCapacity.
    pub max: Option<i64>,
    /// prtMarkerSuppliesLevel.
    pub level: Option<i64>,
}

/// The supplies of the first printer (lowest hrDeviceIndex) in `seen`.
pub fn supplies(seen: &Seen) -> Vec<Supply> {
    let descr = oid("prtMarkerSuppliesDescription");
    let max = oid("prtMarkerSuppliesMaxCapacity");
    let level = oid("prtMarkerSuppliesLevel");
    let all = rows(seen, &[descr.clone(), max.clone(), level.clone()]);
    let first = all.iter().next().and_then(|i| i.first().copied());
    all.iter()
        .filter(|i| i.first().copied() == first)
        .map(|i| Supply {
            description: seen
                .get(&descr.child(i))
                .map(value_text)
                .unwrap_or_default(),
            max: seen.get(&max.child(i)).and_then(integer),
            level: seen.get(&level.child(i)).and_then(integer),
        })
        .collect()
}

/// Compare IPP `marker-names`/`marker-levels` with the supplies: paired
/// by name when every name matches a description, else in order. A level
/// is compared when SNMP knows it (level ≥ 0 and capacity > 0): the IPP
/// percentage must be within one point of level × 100 / capacity.
/// Each disagreement as (check, expected, actual).
pub fn marker_levels_agree(
    names: &[String],
    levels: &[i64],
    supplies: &[Supply],
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if levels.len() != supplies.len() {
        out.push((
            "marker-levels count".to_string(),
            format!("{} (one per prtMarkerSuppliesTable row)", supplies.len()),
            levels.len().to_string(),
        ));
        return out;
    }
    let norm = |s: &str| s.trim().to_ascii_lowercase();
    let by_name = names.len() == levels.len()
        && names.iter().all(|n| {
            supplies
                .iter()
                .filter(|s| norm(&s.description) == norm(n))
                .count()
                == 1
        });
    for (i, ipp_level) in levels.iter().enumerate() {
        let s = if by_name {
            supplies
                .iter()
                .find(|s| norm(&s.description) == norm(&names[i]))
        } else {
            supplies.get(i)
        };
        let Some(s) = s else { continue };
        let (Some(level), Some(max)) = (s.level, s.max) else {
            continue;
        };
        if level < 0 || max <= 0 {
            continue;
        }
        let percent = (level * 100 + max / 2) / max;
        if (ipp_level - percent).abs() > 1 {
            let label = names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("#{}", i + 1));
            out.push((
                "marker-levels value".to_string(),
                format!(
                    "{percent} for {label} (prtMarkerSuppliesLevel {level} of {max} for '{}')",
                    s.description
                ),
                ipp_level.to_string(),
            ));
        }
    }
    out
}

/// The keys of an IEEE 1284 device ID, long names folded to the short
/// ones (`MANUFACTURER` → `MFG`, `MODEL` → `MDL`, `COMMAND SET` → `CMD`).
pub fn device_id_keys(id: &str) -> BTreeMap<String, String> {
    id.split(';')
        .filter_map(|kv| kv.split_once(':'))
        .map(|(k, v)| {
            let k = k.trim().to_ascii_uppercase();
            let k = match k.as_str() {
                "MANUFACTURER" => "MFG".to_string(),
                "MODEL" => "MDL".to_string(),
                "COMMAND SET" | "COMMANDSET" => "CMD".to_string(),
                _ => k,
            };
            (k, v.trim().to_string())
        })
        .collect()
}

/// Compare two device IDs key by key (MFG, MDL, and CMD as sets when both
/// have it). Each disagreement as (check, expected, actual).
pub fn device_ids_agree(ipp: &str, snmp: &str) -> Vec<(String, String, String)> {
    let (a, b) = (device_id_keys(ipp), device_id_keys(snmp));
    let mut out = Vec::new();
    for key in ["MFG", "MDL"] {
        let same = match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
            (None, None) => true,
            _ => false,
        };
        if !same {
            out.push((
                format!("device ID {key}"),
                format!(
                    "{key} as IPP printer-device-id has it: {}",
                    a.get(key).map_or("(none)", |s| s)
                ),
                b.get(key).map_or("(none)", |s| s).to_string(),
            ));
        }
    }
    if let (Some(x), Some(y)) = (a.get("CMD"), b.get("CMD")) {
        let set = |s: &str| -> BTreeSet<String> {
            s.split(',')
                .map(|c| c.trim().to_ascii_uppercase())
                .filter(|c| !c.is_empty())
                .collect()
        };
        if set(x) != set(y) {
            out.push((
                "device ID CMD".to_string(),
                format!("CMD as IPP printer-device-id has it: {x}"),
                y.clone(),
            ));
        }
    }
    out
}

/// Whether a make-and-model and an hrDeviceDescr name the same thing:
/// equal once case and spacing are folded, or one inside the other
/// (hrDeviceDescr is cut at 64 octets, or adds the revision).
pub fn make_and_model_agrees(ipp: &str, descr: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase()
    };
    let (a, b) = (norm(ipp), norm(descr));
    !a.is_empty() && !b.is_empty() && (a.contains(&b) || b.contains(&a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(pairs: &[(&str, Value)]) -> Seen {
        pairs
            .iter()
            .map(|(o, v)| {
                (
                    super::super::names::parse(o).unwrap_or_else(|e| panic!("{e}")),
                    VarValue::Value(v.clone()),
                )
            })
            .collect()
    }

    fn run(check: CheckFn, s: &Seen) -> Vec<String> {
        let mut out = Vec::new();
        check(0, s, &mut out);
        out.into_iter().map(|f| f.check).collect()
    }

    #[test]
    fn supply_levels() {
        let row = |level: Value, max: i32| {
            seen(&[
                (
                    "prtMarkerSuppliesDescription.1.1",
                    Value::text("Black Toner"),
                ),
                ("prtMarkerSuppliesMaxCapacity.1.1", Value::Integer(max)),
                ("prtMarkerSuppliesLevel.1.1", level),
            ])
        };
        assert!(run(supplies_level, &row(Value::Integer(40), 100)).is_empty());
        assert!(run(supplies_level, &row(Value::Integer(-3), 100)).is_empty());
        assert!(run(supplies_level, &row(Value::Integer(500), -2)).is_empty());
        assert_eq!(
            run(supplies_level, &row(Value::Integer(101), 100)),
            ["prtMarkerSuppliesLevel value"]
        );
        assert_eq!(
            run(supplies_level, &row(Value::Integer(-60), 100)),
            ["prtMarkerSuppliesLevel value"]
        );
        assert_eq!(
            run(supplies_level, &row(Value::Gauge32(40), 100)),
            ["prtMarkerSuppliesLevel type"]
        );
        assert!(run(supplies_rows, &row(Value::Integer(1), 100)).is_empty());
        assert_eq!(
            run(supplies_rows, &row(Value::Integer(1), -5)),
            ["prtMarkerSuppliesMaxCapacity value"]
        );
        assert_eq!(
            run(supplies_rows, &Seen::new()),
            ["prtMarkerSuppliesTable presence"]
        );
        assert_eq!(
            run(supplies_level, &Seen::new()),
            ["prtMarkerSuppliesLevel presence"]
        );
    }

    #[test]
    fn colorants_and_alerts_and_inputs() {
        let s = seen(&[
            ("prtMarkerSuppliesColorantIndex.1.1", Value::Integer(1)),
            ("prtMarkerSuppliesColorantIndex.1.2", Value::Integer(0)),
            ("prtMarkerSuppliesColorantIndex.1.3", Value::Integer(3)),
            ("prtMarkerColorantValue.1.1", Value::text("black")),
        ]);
        assert_eq!(
            run(supplies_colorants, &s),
            ["prtMarkerColorantValue presence"]
        );
        let s = seen(&[
            ("prtAlertSeverityLevel.1.1", Value::Integer(3)),
            ("prtAlertGroup.1.1", Value::Integer(8)),
            ("prtAlertCode.1.1", Value::Integer(8)),
            ("prtAlertDescription.1.1", Value::text("Jam")),
            ("prtAlertTime.1.1", Value::TimeTicks(5)),
            ("prtAlertSeverityLevel.1.2", Value::Integer(2)),
        ]);
        let got = run(alert_rows, &s);
        assert!(
            got.contains(&"prtAlertSeverityLevel value".to_string()),
            "{got:?}"
        );
        assert!(
            got.contains(&"prtAlertDescription presence".to_string()),
            "{got:?}"
        );
        assert!(run(alert_rows, &Seen::new()).is_empty());
        let s = seen(&[
            ("prtInputMaxCapacity.1.1", Value::Integer(250)),
            ("prtInputCurrentLevel.1.1", Value::Integer(260)),
            ("prtInputMaxCapacity.1.2", Value::Integer(-2)),
            ("prtInputCurrentLevel.1.2", Value::Integer(-3)),
        ]);
        assert_eq!(run(input_levels, &s), ["prtInputCurrentLevel value"]);
        assert_eq!(run(input_levels, &Seen::new()), ["prtInputTable presence"]);
    }

    #[test]
    fn printer_rows() {
        let printer = Value::ObjectId(oid("hrDevicePrinter"));
        let s = seen(&[
            ("hrDeviceType.1", printer.clone()),
            (
                "hrDeviceType.2",
                Value::ObjectId(Oid::new([1, 3, 6, 1, 2, 1, 25, 3, 1, 4])),
            ),
            ("hrPrinterStatus.1", Value::Integer(3)),
        ]);
        assert!(run(hr_printer_rows, &s).is_empty());
        let s = seen(&[
            ("hrDeviceType.1", printer),
            ("hrPrinterStatus.2", Value::Integer(3)),
        ]);
        assert_eq!(run(hr_printer_rows, &s), ["hrDeviceType value"]);
        assert_eq!(
            run(hr_printer_rows, &Seen::new()),
            ["hrPrinterTable presence"]
        );
    }

    #[test]
    fn ipp_comparisons() {
        assert!(printer_status_agrees(3, 3, &[0, 0]).is_ok());
        assert!(printer_status_agrees(3, 4, &[0, 0]).is_err());
        assert!(printer_status_agrees(4, 4, &[0]).is_ok());
        assert!(printer_status_agrees(4, 3, &[0]).is_err());
        assert!(printer_status_agrees(5, 1, &[0, 0]).is_ok());
        assert!(printer_status_agrees(5, 3, &[0x04, 0]).is_ok());
        let e = printer_status_agrees(5, 4, &[0, 0]);
        assert!(e.is_err_and(|(x, a)| x.contains("stopped") && a.contains("printing(4)")));
        let s = |d: &str, level, max| Supply {
            description: d.into(),
            max: Some(max),
            level: Some(level),
        };
        let sup = [s("Black", 40, 100), s("Waste", 1, 2), s("Drum", -3, 100)];
        let names: Vec<String> = ["Black", "Waste", "Drum"]
            .iter()
            .map(|x| x.to_string())
            .collect();
        assert!(marker_levels_agree(&names, &[40, 50, 70], &sup).is_empty());
        assert!(marker_levels_agree(&names, &[41, 49, 0], &sup).is_empty());
        assert_eq!(marker_levels_agree(&names, &[60, 50, 70], &sup).len(), 1);
        assert_eq!(
            marker_levels_agree(&names, &[60], &sup)[0].0,
            "marker-levels count"
        );
        // Paired by name when the names say so, not by order.
        let swapped: Vec<String> = ["Waste", "Black", "Drum"]
            .iter()
            .map(|x| x.to_string())
            .collect();
        assert!(marker_levels_agree(&swapped, &[50, 40, 0], &sup).is_empty());
        let a = "MFG:paperjam;MDL:Office Laser 4000;CMD:PDF,URF;";
        assert!(device_ids_agree(
            a,
            "MANUFACTURER:Paperjam;MODEL:Office Laser 4000;COMMAND SET:URF,PDF"
        )
        .is_empty());
        assert_eq!(device_ids_agree(a, "MFG:paperjam;MDL:Other;").len(), 1);
        assert_eq!(
            device_ids_agree(a, "MFG:paperjam;MDL:Office Laser 4000;CMD:PCL")[0].0,
            "device ID CMD"
        );
        assert!(make_and_model_agrees(
            "HP LaserJet  4000",
            "hp laserjet 4000 rev. 2"
        ));
        assert!(!make_and_model_agrees(
            "HP LaserJet 4000",
            "Brother HL-2270"
        ));
        assert!(!make_and_model_agrees("", "x"));
    }
}
