//! What a capture says about its printer, for `paperjam profile
//! from-capture`: the printer attributes of its successful
//! Get-Printer-Attributes answers (and the language it answered in), and
//! every MIB value its SNMP agent answered.

use paperjam_sim::profile::derive::Sources;
use paperjam_sim::wire::ipp::{DelimiterTag, Message};

use super::session::{SessionBody, SessionSet};

/// What a capture says about its printer: the printer attributes of every
/// successful Get-Printer-Attributes answer, and every MIB value answered.
pub fn profile_sources(set: &SessionSet, walk_file: Option<String>) -> Sources {
    use paperjam_sim::snmp::message::{decode, PduKind, VarValue};
    let mut s = Sources {
        origin: set.file.clone(),
        walk_file,
        ..Sources::default()
    };
    for sess in &set.sessions {
        match &sess.body {
            SessionBody::Http { exchanges } => {
                for x in exchanges {
                    let Some(r) = &x.response else { continue };
                    let Ok((req, _)) = Message::parse(&x.body) else {
                        continue;
                    };
                    if req.code != 0x000b {
                        continue;
                    }
                    let Ok((m, _)) = Message::parse(&r.body) else {
                        continue;
                    };
                    if let Some(paperjam_sim::wire::ipp::Value::NaturalLanguage(l)) = m
                        .attr(
                            DelimiterTag::OperationAttributes,
                            "attributes-natural-language",
                        )
                        .and_then(|a| a.first())
                    {
                        s.response_languages.push(l.clone());
                    }
                    if m.code >= 0x0100 {
                        continue;
                    }
                    for g in m.groups_of(DelimiterTag::PrinterAttributes) {
                        s.printer_attributes.extend(g.attributes.iter().cloned());
                    }
                }
            }
            SessionBody::Snmp { exchanges } => {
                for x in exchanges {
                    for (_, a) in &x.answers {
                        let Ok(m) = decode(a) else { continue };
                        if m.pdu.kind != PduKind::Response || m.pdu.error_status != 0 {
                            continue;
                        }
                        for vb in m.pdu.varbinds {
                            if let VarValue::Value(v) = vb.value {
                                s.mib.push((vb.oid, v));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    s
}
