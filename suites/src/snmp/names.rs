//! The MIB objects the SNMP suite names, so that cases read
//! `sysDescr.0` rather than `1.3.6.1.2.1.1.1.0`: a name, optionally followed
//! by the instance's sub-identifiers, or a dotted OID.

use paperjam_sim::snmp::Oid;

/// `(name, OID)` of every object, table and group the suite names.
pub const NAMES: &[(&str, &str)] = &[
    // RFC 3418, the system group.
    ("system", "1.3.6.1.2.1.1"),
    ("sysDescr", "1.3.6.1.2.1.1.1"),
    ("sysObjectID", "1.3.6.1.2.1.1.2"),
    ("sysUpTime", "1.3.6.1.2.1.1.3"),
    ("sysContact", "1.3.6.1.2.1.1.4"),
    ("sysName", "1.3.6.1.2.1.1.5"),
    ("sysLocation", "1.3.6.1.2.1.1.6"),
    ("sysServices", "1.3.6.1.2.1.1.7"),
    ("enterprises", "1.3.6.1.4.1"),
    // RFC 2790, Host Resources.
    ("host", "1.3.6.1.2.1.25"),
    ("hrDevicePrinter", "1.3.6.1.2.1.25.3.1.5"),
    ("hrDeviceTable", "1.3.6.1.2.1.25.3.2"),
    ("hrDeviceType", "1.3.6.1.2.1.25.3.2.1.2"),
    ("hrDeviceDescr", "1.3.6.1.2.1.25.3.2.1.3"),
    ("hrDeviceStatus", "1.3.6.1.2.1.25.3.2.1.5"),
    ("hrPrinterTable", "1.3.6.1.2.1.25.3.5"),
    ("hrPrinterStatus", "1.3.6.1.2.1.25.3.5.1.1"),
    ("hrPrinterDetectedErrorState", "1.3.6.1.2.1.25.3.5.1.2"),
    // RFC 3805, the Printer MIB.
    ("printmib", "1.3.6.1.2.1.43"),
    ("prtGeneralTable", "1.3.6.1.2.1.43.5.1"),
    ("prtGeneralPrinterName", "1.3.6.1.2.1.43.5.1.1.16"),
    ("prtInputTable", "1.3.6.1.2.1.43.8.2"),
    ("prtInputMaxCapacity", "1.3.6.1.2.1.43.8.2.1.9"),
    ("prtInputCurrentLevel", "1.3.6.1.2.1.43.8.2.1.10"),
    ("prtMarkerTable", "1.3.6.1.2.1.43.10.2"),
    ("prtMarkerLifeCount", "1.3.6.1.2.1.43.10.2.1.4"),
    ("prtMarkerSuppliesTable", "1.3.6.1.2.1.43.11.1"),
    ("prtMarkerSuppliesColorantIndex", "1.3.6.1.2.1.43.11.1.1.3"),
    ("prtMarkerSuppliesClass", "1.3.6.1.2.1.43.11.1.1.4"),
    ("prtMarkerSuppliesType", "1.3.6.1.2.1.43.11.1.1.5"),
    ("prtMarkerSuppliesDescription", "1.3.6.1.2.1.43.11.1.1.6"),
    ("prtMarkerSuppliesSupplyUnit", "1.3.6.1.2.1.43.11.1.1.7"),
    ("prtMarkerSuppliesMaxCapacity", "1.3.6.1.2.1.43.11.1.1.8"),
    ("prtMarkerSuppliesLevel", "1.3.6.1.2.1.43.11.1.1.9"),
    ("prtMarkerColorantTable", "1.3.6.1.2.1.43.12.1"),
    ("prtMarkerColorantValue", "1.3.6.1.2.1.43.12.1.1.4"),
    ("prtAlertTable", "1.3.6.1.2.1.43.18.1"),
    ("prtAlertSeverityLevel", "1.3.6.1.2.1.43.18.1.1.2"),
    ("prtAlertTrainingLevel", "1.3.6.1.2.1.43.18.1.1.3"),
    ("prtAlertGroup", "1.3.6.1.2.1.43.18.1.1.4"),
    ("prtAlertCode", "1.3.6.1.2.1.43.18.1.1.7"),
    ("prtAlertDescription", "1.3.6.1.2.1.43.18.1.1.8"),
    ("prtAlertTime", "1.3.6.1.2.1.43.18.1.1.9"),
    // PWG 5107.1, the Port Monitor MIB.
    ("ppmMIB", "1.3.6.1.4.1.2699.1.2"),
    ("ppmPrinterTable", "1.3.6.1.4.1.2699.1.2.1.2.1"),
    (
        "ppmPrinterIEEE1284DeviceId",
        "1.3.6.1.4.1.2699.1.2.1.2.1.1.3",
    ),
];

/// The OID of a known name.
pub fn oid_of(name: &str) -> Option<Oid> {
    NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, o)| o.parse().ok())
}

/// Parse `name[.sub…]` (`sysDescr.0`, `prtMarkerSuppliesLevel.1.2`) or a
/// dotted OID (`1.3.6.1.2.1.1.1.0`, a leading dot allowed).
pub fn parse(s: &str) -> Result<Oid, String> {
    let s = s.trim();
    if s.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return s.parse::<Oid>().map_err(|e| format!("'{s}': {e}"));
    }
    let (name, rest) = s.split_once('.').unwrap_or((s, ""));
    let base = oid_of(name).ok_or_else(|| {
        format!("'{name}' is not an object this suite knows (write its dotted OID instead)")
    })?;
    if rest.is_empty() {
        return Ok(base);
    }
    let more: Oid = rest.parse().map_err(|e| format!("'{s}': {e}"))?;
    Ok(base.child(more.parts()))
}

/// A name for `oid`: the longest known prefix and the rest
/// (`sysDescr.0`), or the dotted OID when no name covers it.
pub fn name_of(oid: &Oid) -> String {
    let best = NAMES
        .iter()
        .filter_map(|(n, o)| o.parse::<Oid>().ok().map(|o| (n, o)))
        .filter(|(_, o)| oid.starts_with(o))
        .max_by_key(|(_, o)| o.parts().len());
    match best {
        Some((n, o)) if o.parts().len() == oid.parts().len() => n.to_string(),
        Some((n, o)) => {
            let rest: Vec<String> = oid.parts()[o.parts().len()..]
                .iter()
                .map(u32::to_string)
                .collect();
            format!("{n}.{}", rest.join("."))
        }
        None => oid.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        let p = |s: &str| parse(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p("sysDescr.0").to_string(), "1.3.6.1.2.1.1.1.0");
        assert_eq!(p(".1.3.6.1.2.1.1.1.0"), p("sysDescr.0"));
        assert_eq!(
            p("prtMarkerSuppliesLevel.1.2").to_string(),
            "1.3.6.1.2.1.43.11.1.1.9.1.2"
        );
        assert_eq!(p("system").to_string(), "1.3.6.1.2.1.1");
        assert!(parse("sysNothing.0").is_err());
        assert!(parse("sysDescr.x").is_err());
        assert_eq!(name_of(&p("sysDescr.0")), "sysDescr.0");
        assert_eq!(name_of(&p("hrDevicePrinter")), "hrDevicePrinter");
        assert_eq!(name_of(&p("1.3.6.1.6.3.1")), "1.3.6.1.6.3.1");
        assert_eq!(name_of(&p("1.3.6.1.4.1.9.1")), "enterprises.9.1");
        // Every name parses and names itself back.
        for (n, _) in NAMES {
            assert_eq!(name_of(&p(n)), *n);
        }
    }
}
