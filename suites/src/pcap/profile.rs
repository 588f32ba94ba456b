//! What a capture says about its printer, for `paperjam profile
//! from-capture`: the printer attributes of its successful
//! Get-Printer-Attributes answers (and the language it answered in), and
//! every MIB value its SNMP agent answered, and the TXT records of its mDNS
//! answers.

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
            SessionBody::Mdns { exchanges } => {
                for x in exchanges {
                    for (_, a) in &x.answers {
                        let Ok(m) = crate::mdns::dns::Msg::parse(a) else {
                            continue;
                        };
                        for rr in m.answers.iter().chain(&m.additional) {
                            match &rr.data {
                                crate::mdns::dns::Data::Txt(txt) => {
                                    record_txt(&mut s, &rr.name.labels, txt);
                                }
                                crate::mdns::dns::Data::Srv { target, .. } => {
                                    let instance = rr.name.first_label();
                                    if s.mdns_host.is_none()
                                        && s.mdns_instance.as_deref().is_none_or(|i| i == instance)
                                    {
                                        s.mdns_host = Some(target.first_label());
                                    }
                                }
                                _ => {}
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

/// The printer service types whose TXT records a profile keeps.
const SERVICES: [&str; 4] = [
    "_ipp._tcp",
    "_ipps._tcp",
    "_printer._tcp",
    "_pdl-datastream._tcp",
];

/// Keep a TXT record named `instance.service.local` for the first instance
/// seen (one printer per profile), the first record of each service.
fn record_txt(s: &mut Sources, labels: &[Vec<u8>], txt: &[Vec<u8>]) {
    let [instance, app, proto, local] = labels else {
        return;
    };
    if !local.eq_ignore_ascii_case(b"local") {
        return;
    }
    let service = format!(
        "{}.{}",
        String::from_utf8_lossy(app).to_ascii_lowercase(),
        String::from_utf8_lossy(proto).to_ascii_lowercase()
    );
    if !SERVICES.contains(&service.as_str()) {
        return;
    }
    let instance = String::from_utf8_lossy(instance).into_owned();
    match &s.mdns_instance {
        Some(i) if *i != instance => return,
        None => s.mdns_instance = Some(instance),
        _ => {}
    }
    if s.mdns_txt.iter().any(|(svc, _)| *svc == service) {
        return;
    }
    let strings = txt
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .filter(|t| !t.is_empty())
        .collect();
    s.mdns_txt.push((service, strings));
}
