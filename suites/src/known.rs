//! Known real-world misbehaviour: when a case fails the way a printer in the
//! field is known to fail, the report names that printer and the public
//! report. The knowledge comes from the virtual printer's quirk catalog
//! (`paperjam_sim::fault::quirk`: IPP, LPD, AppSocket and SNMP quirks), whose
//! every entry lists the cases that flag it — checked by the detection-matrix
//! test.

use serde::{Deserialize, Serialize};

use paperjam_sim::ipp::quirks::QuirkKind;

/// A misbehaviour seen on real printers that a failed case matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownMisbehaviour {
    /// The quirk's name (`paperjam serve --quirk NAME` imitates it).
    pub quirk: String,
    /// What it does.
    pub summary: String,
    /// Where it was seen.
    pub seen_on: String,
    /// The public report.
    pub reference: String,
}

/// The known misbehaviours that case `id` flags.
pub fn for_case(id: &str) -> Vec<KnownMisbehaviour> {
    QuirkKind::ALL
        .iter()
        .filter(|k| k.flagged_by().contains(&id))
        .map(|k| KnownMisbehaviour {
            quirk: k.name().to_string(),
            summary: k.summary().to_string(),
            seen_on: k.seen_on().to_string(),
            reference: k.reference().to_string(),
        })
        .collect()
}

/// The known misbehaviours a failed case matches: those whose cases include
/// it, and whose telltale finding, if they have one, it has.
pub fn for_result(r: &crate::grade::CaseResult) -> Vec<KnownMisbehaviour> {
    let kinds: std::collections::BTreeMap<&str, QuirkKind> =
        QuirkKind::ALL.iter().map(|k| (k.name(), *k)).collect();
    for_case(&r.id)
        .into_iter()
        .filter(
            |m| match kinds.get(m.quirk.as_str()).copied().and_then(telltale) {
                Some(left) => r.findings.iter().any(left),
                None => true,
            },
        )
        .collect()
}

/// A test of one finding.
type FindingTest = Box<dyn Fn(&crate::grade::Finding) -> bool>;

/// The finding quirk `k` is known by, if it must have one: the catalog's
/// telltale check ([`QuirkKind::telltale`]); for SNMP quirks that share a
/// case (`snmp/rfc3805/supplies-level` flags both a Gauge32 level and an
/// out-of-range one), the kind of finding each leaves.
fn telltale(k: QuirkKind) -> Option<FindingTest> {
    if let Some(check) = k.telltale() {
        return Some(Box::new(move |f| f.check == check));
    }
    match k {
        // A value of the wrong ASN.1 type: `<object> type`.
        QuirkKind::SnmpWrongTypes => Some(Box::new(|f| f.check.ends_with(" type"))),
        // A level of the right type out of its range.
        QuirkKind::SnmpNegativeSupplyLevels => {
            Some(Box::new(|f| f.check == "prtMarkerSuppliesLevel value"))
        }
        // Flooding sends the same answer several times at once; a responder
        // that merely rate-limits at less than a second (avahi: 500 ms) is
        // another misbehaviour.
        QuirkKind::MdnsFlood => Some(Box::new(|f| {
            f.check == "multicast interval" && f.actual.contains("twice within 0 ms")
        })),
        _ => None,
    }
}

/// One line per misbehaviour, for text renderings.
pub fn lines(known: &[KnownMisbehaviour]) -> String {
    known
        .iter()
        .map(|k| {
            format!(
                "Matches a known misbehaviour: {} ({}), seen on {}: {}\n",
                k.quirk, k.summary, k.seen_on, k.reference
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quirk_case_maps_back_to_its_quirk() {
        for k in QuirkKind::ALL {
            for id in k.flagged_by() {
                assert!(
                    for_case(id).iter().any(|m| m.quirk == k.name()),
                    "{id} does not name {}",
                    k.name()
                );
            }
        }
        assert!(for_case("no/such/case").is_empty());
    }

    #[test]
    fn a_report_names_the_public_issue_of_a_matching_failure() {
        use crate::grade::{CaseResult, Outcome};
        use crate::spec::Level;
        let id = QuirkKind::WrongRequestId.flagged_by()[0];
        let case = |id: &str, outcome| CaseResult {
            id: id.into(),
            level: Level::Must,
            clause: "RFC 8011 §4.1.1".into(),
            title: "t".into(),
            requirement: "r".into(),
            outcome,
            reason: String::new(),
            findings: Vec::new(),
            evidence: Vec::new(),
            elapsed_ms: 0,
        };
        let r = crate::report::Report::new(
            "ipp://x/ipp/print",
            "",
            false,
            vec![case(id, Outcome::Fail), case("ipp/other", Outcome::Fail)],
        );
        assert_eq!(r.known_for(id)[0].quirk, "wrong-request-id");
        assert!(r.known_for("ipp/other").is_empty());
        let md = crate::report::markdown::render(&r);
        assert!(
            md.contains("Matches a known misbehaviour: `wrong-request-id`"),
            "{md}"
        );
        assert!(r.to_json().contains("\"known\""));
        // A passing case names nothing.
        let r = crate::report::Report::new("t", "", false, vec![case(id, Outcome::Pass)]);
        assert!(r.known.is_empty());
    }

    #[test]
    fn a_telltale_quirk_is_named_only_for_its_own_finding() {
        use crate::grade::{CaseResult, Finding, Outcome};
        use crate::spec::Level;
        let id = QuirkKind::LpdSlowAck.flagged_by()[0];
        let failed = |check: &str| CaseResult {
            id: id.into(),
            level: Level::Should,
            clause: "RFC 1179 §5.2".into(),
            title: "t".into(),
            requirement: "r".into(),
            outcome: Outcome::Warn,
            reason: String::new(),
            findings: vec![Finding {
                step: 1,
                check: check.into(),
                expected: "e".into(),
                actual: "a".into(),
            }],
            evidence: Vec::new(),
            elapsed_ms: 0,
        };
        let late = for_result(&failed("acknowledgement delay"));
        assert!(late.iter().any(|m| m.quirk == "lpd-slow-ack"), "{late:?}");
        let refused = for_result(&failed("acknowledgement"));
        assert!(
            refused.iter().all(|m| m.quirk != "lpd-slow-ack"),
            "{refused:?}"
        );
    }

    #[test]
    fn snmp_quirks_sharing_a_case_are_told_apart() {
        use crate::grade::{CaseResult, Finding, Outcome};
        use crate::spec::Level;
        let id = "snmp/rfc3805/supplies-level";
        let failed = |check: &str| CaseResult {
            id: id.into(),
            level: Level::Must,
            clause: "RFC 3805 §4".into(),
            title: "t".into(),
            requirement: "r".into(),
            outcome: Outcome::Fail,
            reason: String::new(),
            findings: vec![Finding {
                step: 1,
                check: check.into(),
                expected: "e".into(),
                actual: "a".into(),
            }],
            evidence: Vec::new(),
            elapsed_ms: 0,
        };
        let names = |check: &str| -> Vec<String> {
            for_result(&failed(check))
                .into_iter()
                .map(|m| m.quirk)
                .collect()
        };
        assert_eq!(names("prtMarkerSuppliesLevel type"), ["snmp-wrong-types"]);
        assert_eq!(
            names("prtMarkerSuppliesLevel value"),
            ["snmp-negative-supply-levels"]
        );
        assert_eq!(
            for_case("snmp/rfc3416/4.2.1/get-answered")[0].quirk,
            "snmp-silent"
        );
    }
}
