//! Cross-checks with IPP: the runners of other protocols (SNMP, mDNS) ask
//! the same printer's IPP service what it says, with the exchange kept as
//! evidence like any other.

use std::time::{Duration, Instant};

use paperjam_sim::wire::ipp::{
    Attribute, DelimiterTag, Group, Message as IppMessage, Value as IppValue,
};

use crate::client::{Connection, HttpRequest, TargetUri};
use crate::grade::{hex, Exchange};

/// Get-Printer-Attributes of `wanted` from `target`: the exchange (evidence)
/// and the answer (a successful status), or why there is none.
pub async fn ipp_attributes(
    target: &TargetUri,
    wanted: &[&str],
    timeout: Duration,
    step: usize,
    how: &str,
) -> (Exchange, Result<IppMessage, String>) {
    let mut ex = Exchange {
        step,
        ..Default::default()
    };
    let op = Group {
        tag: DelimiterTag::OperationAttributes,
        attributes: vec![
            Attribute::new("attributes-charset", IppValue::Charset("utf-8".into())),
            Attribute::new(
                "attributes-natural-language",
                IppValue::NaturalLanguage("en".into()),
            ),
            Attribute::new("printer-uri", IppValue::Uri(target.uri.clone())),
            Attribute::new("requesting-user-name", IppValue::Name("paperjam".into())),
            Attribute::with_values(
                "requested-attributes",
                wanted
                    .iter()
                    .map(|w| IppValue::Keyword((*w).to_string()))
                    .collect(),
            ),
        ],
    };
    let msg = IppMessage {
        version: (1, 1),
        code: 0x000B,
        request_id: 1,
        groups: vec![op],
    };
    let body = match msg.to_bytes() {
        Ok(b) => b,
        Err(e) => {
            return (
                ex,
                Err(format!("cannot encode Get-Printer-Attributes: {e}")),
            )
        }
    };
    ex.request_hex = hex(&body, 4096);
    ex.request_bytes = body.len();
    ex.request_decoded = format!(
        "IPP/1.1 Get-Printer-Attributes to {}{how}, requested-attributes {}\n",
        target.uri,
        wanted.join(",")
    );
    let req = HttpRequest {
        method: "POST".into(),
        path: target.path.clone(),
        http10: false,
        headers: vec![("Content-Type".into(), "application/ipp".into())],
        body,
        chunked: false,
        expect_continue: false,
    };
    let t0 = Instant::now();
    let reply = match Connection::open(target, timeout).await {
        Ok(mut c) => c.exchange(&req, timeout).await,
        Err(e) => Err(e),
    };
    ex.elapsed_ms = u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX);
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            ex.response_decoded = format!("(no answer: {e})\n");
            return (
                ex,
                Err(format!(
                    "Get-Printer-Attributes to {} failed: {e}",
                    target.uri
                )),
            );
        }
    };
    ex.http_status = reply.status;
    ex.response_hex = hex(&reply.body, 64 * 1024);
    ex.response_bytes = reply.body.len();
    let result = match IppMessage::parse(&reply.body).map(|(m, _)| m) {
        Ok(m) if m.code < 0x0100 => Ok(m),
        Ok(m) => Err(format!(
            "Get-Printer-Attributes got status 0x{:04x}",
            m.code
        )),
        Err(e) => Err(format!(
            "the IPP answer (HTTP {}) is not IPP: {e}",
            reply.status
        )),
    };
    ex.response_decoded = match &result {
        Ok(m) => {
            let mut s = format!("IPP status 0x{:04x}\n", m.code);
            for a in m
                .groups
                .iter()
                .filter(|g| g.tag == DelimiterTag::PrinterAttributes)
                .flat_map(|g| &g.attributes)
            {
                let vals: Vec<String> = a.values.iter().map(crate::runner::value_text).collect();
                s.push_str(&format!("  {} = {}\n", a.name, vals.join(",")));
            }
            s
        }
        Err(e) => format!("({e})\n"),
    };
    (ex, result)
}
