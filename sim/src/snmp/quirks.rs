//! SNMP misbehaviour seen in the field, switched on by quirks in the fault
//! machinery (`crate::fault::quirk`), applied by the agent.

use super::mib::Mib;
use super::printer_mib;
use super::{Oid, Value};

/// Which SNMP quirks are in force.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SnmpQuirks {
    /// `snmp-silent`: no answer at all (the manager times out).
    pub silent: bool,
    /// `snmp-v1-errors-in-v2c`: v2c requests get v1's noSuchName error
    /// instead of noSuchObject / noSuchInstance / endOfMibView exceptions.
    pub v1_errors: bool,
    /// `snmp-walk-out-of-order`: GetNext answers with the OID it was given,
    /// so the walk does not increase.
    pub walk_out_of_order: bool,
    /// `snmp-wrong-types`: hrPrinterDetectedErrorState as an INTEGER and
    /// supply levels as Gauge32.
    pub wrong_types: bool,
    /// `snmp-negative-supply-levels`: supply levels below -3 (not one of
    /// RFC 3805's -1, -2, -3).
    pub negative_levels: bool,
    /// `snmp-stale-status`: hrPrinterStatus stays at printing(4),
    /// hrDeviceStatus at running(2) and the error bits clear, whatever the
    /// printer does.
    pub stale_status: bool,
    /// `private` and `public` may write (the `snmp-writable-private` fault).
    pub writable_private: bool,
}

impl SnmpQuirks {
    /// Whether any quirk is on.
    pub fn any(&self) -> bool {
        *self != SnmpQuirks::default()
    }

    /// Apply the value quirks to a freshly built view.
    pub fn distort(&self, mib: &mut Mib) {
        let levels: Vec<Oid> = mib
            .iter()
            .map(|(o, _)| o.clone())
            .filter(|o| o.starts_with(&Oid::new([1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9])))
            .collect();
        if self.wrong_types {
            let err = printer_mib::hr_printer_detected_error_state();
            if let Some(o) = mib.get_mut(&err) {
                let bits = o.value.as_bytes().map(|b| b.to_vec()).unwrap_or_default();
                let n = bits.iter().fold(0i32, |acc, b| (acc << 8) | i32::from(*b));
                o.value = Value::Integer(n);
            }
            for l in &levels {
                if let Some(o) = mib.get_mut(l) {
                    let v = o.value.as_i64().unwrap_or(0);
                    o.value = Value::Gauge32(u32::try_from(v.max(0)).unwrap_or(0));
                }
            }
        }
        if self.negative_levels {
            for l in &levels {
                if let Some(o) = mib.get_mut(l) {
                    if let Value::Integer(i) = o.value {
                        o.value = Value::Integer(-101 - i.clamp(0, 100));
                    }
                }
            }
        }
        if self.stale_status {
            let set = |mib: &mut Mib, oid: Oid, v: Value| {
                if let Some(o) = mib.get_mut(&oid) {
                    o.value = v;
                }
            };
            set(mib, printer_mib::hr_printer_status(), Value::Integer(4));
            set(
                mib,
                Oid::new([1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5, 1]),
                Value::Integer(2),
            );
            set(
                mib,
                printer_mib::hr_printer_detected_error_state(),
                Value::OctetString(vec![0, 0]),
            );
        }
    }
}

/// The SNMP quirks among the quirks in force.
pub fn from_active(quirks: &[crate::fault::quirk::Quirk]) -> SnmpQuirks {
    use crate::fault::quirk::{is_raised, QuirkKind as K};
    SnmpQuirks {
        silent: is_raised(quirks, K::SnmpSilent),
        v1_errors: is_raised(quirks, K::SnmpV1ErrorsInV2c),
        walk_out_of_order: is_raised(quirks, K::SnmpWalkOutOfOrder),
        wrong_types: is_raised(quirks, K::SnmpWrongTypes),
        negative_levels: is_raised(quirks, K::SnmpNegativeSupplyLevels),
        stale_status: is_raised(quirks, K::SnmpStaleStatus),
        writable_private: is_raised(quirks, K::SnmpWritablePrivate),
    }
}
