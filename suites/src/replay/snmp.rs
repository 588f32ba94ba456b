//! SNMP in a replay: a captured answer and the target's, compared binding by
//! binding after the rules of normalisation ([`super::rules::snmp_rules`]).

use paperjam_sim::snmp::message::{error_status, Message, VarValue};
use paperjam_sim::snmp::Value;

use super::{Difference, Severity};

fn syntax(v: &VarValue) -> &'static str {
    match v {
        VarValue::Value(v) => v.type_name(),
        VarValue::NoSuchObject => "noSuchObject",
        VarValue::NoSuchInstance => "noSuchInstance",
        VarValue::EndOfMibView => "endOfMibView",
    }
}

/// Port numbers in text replaced by `<port>`: `host:631` and `port 515`.
pub fn ports_hidden(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let after_colon = c == ':';
        let after_word = i >= 4
            && c == ' '
            && chars[i - 4..i]
                .iter()
                .collect::<String>()
                .eq_ignore_ascii_case("port");
        out.push(c);
        i += 1;
        if after_colon || after_word {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i > start {
                out.push_str("<port>");
            }
        }
    }
    out
}

/// The value as compared, or `None` when only its syntax is.
fn compared(v: &VarValue) -> Option<String> {
    match v {
        VarValue::Value(
            Value::TimeTicks(_) | Value::Counter32(_) | Value::Counter64(_) | Value::IpAddress(_),
        ) => None,
        VarValue::Value(v @ Value::OctetString(_)) => Some(ports_hidden(&v.to_string())),
        VarValue::Value(v) => Some(v.to_string()),
        _ => Some(String::new()),
    }
}

/// Every difference between the captured answer and the target's.
pub fn diff(captured: &Message, replayed: &Message) -> Vec<Difference> {
    let mut out = Vec::new();
    let (c, r) = (&captured.pdu, &replayed.pdu);
    if c.kind != r.kind {
        out.push(Difference {
            check: "PDU type".into(),
            captured: c.kind.name().into(),
            replayed: r.kind.name().into(),
            severity: Severity::Fail,
        });
    }
    if c.error_status != r.error_status || c.error_index != r.error_index {
        out.push(Difference {
            check: "error-status".into(),
            captured: format!(
                "{} (index {})",
                error_status::name(c.error_status),
                c.error_index
            ),
            replayed: format!(
                "{} (index {})",
                error_status::name(r.error_status),
                r.error_index
            ),
            severity: Severity::Fail,
        });
        // An error answer echoes the request's bindings: comparing them
        // with the other side's values says nothing more.
        if c.error_status != 0 || r.error_status != 0 {
            return out;
        }
    }
    if c.varbinds.len() != r.varbinds.len() {
        out.push(Difference {
            check: "variable-bindings count".into(),
            captured: c.varbinds.len().to_string(),
            replayed: r.varbinds.len().to_string(),
            severity: Severity::Fail,
        });
    }
    for (i, (cv, rv)) in c.varbinds.iter().zip(&r.varbinds).enumerate() {
        if cv.oid != rv.oid {
            out.push(Difference {
                check: format!("binding {} name", i + 1),
                captured: cv.oid.to_string(),
                replayed: rv.oid.to_string(),
                severity: Severity::Fail,
            });
            continue;
        }
        let (cs, rs) = (syntax(&cv.value), syntax(&rv.value));
        if cs != rs {
            out.push(Difference {
                check: format!("{} syntax", cv.oid),
                captured: cs.into(),
                replayed: rs.into(),
                severity: Severity::Fail,
            });
            continue;
        }
        if compared(&cv.value) != compared(&rv.value) {
            out.push(Difference {
                check: format!("{} value", cv.oid),
                captured: compared(&cv.value).unwrap_or_default(),
                replayed: compared(&rv.value).unwrap_or_default(),
                severity: Severity::Warn,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use paperjam_sim::snmp::message::{Pdu, PduKind, VarBind, Version};
    use paperjam_sim::snmp::Oid;

    fn reply(binds: Vec<(&str, Value)>) -> Message {
        Message {
            version: Version::V2c,
            community: b"public".to_vec(),
            pdu: Pdu {
                kind: PduKind::Response,
                request_id: 1,
                error_status: 0,
                error_index: 0,
                varbinds: binds
                    .into_iter()
                    .map(|(o, v)| VarBind {
                        oid: o.parse::<Oid>().unwrap_or_else(|_| Oid::new(vec![1, 3])),
                        value: VarValue::Value(v),
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn ports_in_text_are_hidden() {
        assert_eq!(
            ports_hidden("ipp://localhost:35995/ipp/print"),
            "ipp://localhost:<port>/ipp/print"
        );
        assert_eq!(
            ports_hidden("LPD port 37863 queue lp"),
            "LPD port <port> queue lp"
        );
        assert_eq!(ports_hidden("Port 40303"), "Port <port>");
        assert_eq!(ports_hidden("a:b 12:"), "a:b 12:");
    }

    #[test]
    fn uptime_and_counters_are_normalised() {
        let a = reply(vec![
            ("1.3.6.1.2.1.1.3.0", Value::TimeTicks(5)),
            ("1.3.6.1.2.1.1.5.0", Value::text("lp")),
        ]);
        let b = reply(vec![
            ("1.3.6.1.2.1.1.3.0", Value::TimeTicks(99_000)),
            ("1.3.6.1.2.1.1.5.0", Value::text("lp")),
        ]);
        assert!(diff(&a, &b).is_empty());
    }

    #[test]
    fn names_syntaxes_and_values_differ() {
        let a = reply(vec![
            ("1.3.6.1.2.1.1.5.0", Value::text("lp")),
            ("1.3.6.1.2.1.1.7.0", Value::Integer(72)),
        ]);
        let b = reply(vec![
            ("1.3.6.1.2.1.1.5.0", Value::text("other")),
            ("1.3.6.1.2.1.1.7.0", Value::Gauge32(72)),
        ]);
        let d = diff(&a, &b);
        assert_eq!(d.len(), 2, "{d:#?}");
        assert_eq!(d[0].severity, Severity::Warn);
        assert_eq!(d[1].severity, Severity::Fail);
    }
}
