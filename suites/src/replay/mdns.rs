//! mDNS in a replay: each query a browser sent, sent again on the target's
//! link (from the mDNS port, as the browser did), and the answers heard
//! compared with the ones the capture holds, question by question, after
//! the rules of normalisation ([`super::rules::mdns_rules`]).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::{error, grade, skip, Difference, ReplayOptions, Severity};
use crate::grade::{hex, CaseResult, Exchange};
use crate::mdns::dns::{self, rtype, Data, Msg, Rr};
use crate::mdns::link::{Link, UdpLink};
use crate::mdns::runner::Source;
use crate::pcap::session::DatagramExchange;

/// How long the runner listens for the answers to one query (link time).
const LISTEN: Duration = Duration::from_secs(1);

fn open(source: &Source) -> Result<Link, String> {
    Ok(match source {
        Source::Network(cfg) => Link::Udp(UdpLink::open(cfg)?),
        Source::Virtual(vp) => Link::Memory(Box::new(vp.link())),
    })
}

/// The record's data as compared: addresses not at all, SRV without its
/// port, TXT as its keys and values in order with ports hidden.
fn data_text(d: &Data) -> Option<String> {
    match d {
        Data::A(_) | Data::Aaaa(_) => None,
        Data::Srv {
            priority,
            weight,
            target,
            ..
        } => Some(format!("{priority} {weight} <port> {target}")),
        Data::Txt(strings) => {
            let mut pairs: Vec<String> = dns::txt_pairs(strings)
                .into_iter()
                .map(|(k, v)| match v {
                    Some(v) => format!(
                        "{}={}",
                        k.to_ascii_lowercase(),
                        super::snmp::ports_hidden(&v)
                    ),
                    None => k.to_ascii_lowercase(),
                })
                .collect();
            pairs.sort();
            Some(pairs.join(" "))
        }
        other => Some(other.to_string()),
    }
}

/// The records of `msgs`' answer sections that answer one of `q`'s
/// questions, by (owner name, type), each with its data as compared.
fn answers(q: &Msg, msgs: &[Msg]) -> BTreeMap<(String, String), Vec<Option<String>>> {
    let asked = |rr: &Rr| {
        q.questions
            .iter()
            .any(|qq| qq.name == rr.name && (qq.qtype == rtype::ANY || qq.qtype == rr.data.rtype()))
    };
    let mut out: BTreeMap<(String, String), Vec<Option<String>>> = BTreeMap::new();
    for m in msgs {
        for rr in m.answers.iter().filter(|rr| asked(rr)) {
            let key = (
                rr.name.to_string().to_ascii_lowercase(),
                rtype::name(rr.data.rtype()),
            );
            let v = out.entry(key).or_default();
            let d = data_text(&rr.data);
            if !v.contains(&d) {
                v.push(d);
            }
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

/// Every difference between the captured answers to `q` and the target's.
pub fn diff(q: &Msg, captured: &[Msg], heard: &[Msg]) -> Vec<Difference> {
    let mut c = answers(q, captured);
    let mut r = answers(q, heard);
    // The query's known answers (RFC 6762 §7.1) are the captured printer's
    // records: it left them out, and the target may or may not know them as
    // the same records (its ports differ), so they are not compared.
    for rr in &q.answers {
        let key = (
            rr.name.to_string().to_ascii_lowercase(),
            rtype::name(rr.data.rtype()),
        );
        c.remove(&key);
        r.remove(&key);
    }
    let mut out = Vec::new();
    for (key, cv) in &c {
        match r.get(key) {
            None => out.push(Difference {
                check: format!("{} {}", key.0, key.1),
                captured: format!("{} record(s)", cv.len()),
                replayed: "(not answered)".into(),
                severity: Severity::Fail,
            }),
            Some(rv) if rv != cv => out.push(Difference {
                check: format!("{} {} data", key.0, key.1),
                captured: cv.iter().flatten().cloned().collect::<Vec<_>>().join(" | "),
                replayed: rv.iter().flatten().cloned().collect::<Vec<_>>().join(" | "),
                severity: Severity::Warn,
            }),
            Some(_) => {}
        }
    }
    let extra: Vec<String> = r
        .keys()
        .filter(|k| !c.contains_key(*k))
        .map(|(n, t)| format!("{n} {t}"))
        .collect();
    if !extra.is_empty() {
        out.push(Difference {
            check: "records the capture does not have".into(),
            captured: "(none)".into(),
            replayed: extra.join(", "),
            severity: Severity::Warn,
        });
    }
    out
}

/// Replay one mDNS session's queries on the target's link.
pub async fn replay(
    mut case: impl FnMut(usize, &str, u64) -> CaseResult,
    exchanges: &[DatagramExchange],
    source: &Source,
    opts: &ReplayOptions,
    cases: &mut Vec<CaseResult>,
) {
    for (i, x) in exchanges.iter().enumerate() {
        let r = case(i + 1, "mdns query", x.frame);
        if x.request.is_empty() {
            cases.push(skip(
                r,
                "an announcement: nothing asked for it, nothing to send",
            ));
            continue;
        }
        let q = match Msg::parse(&x.request) {
            Ok(q) if !q.response => q,
            Ok(_) => {
                cases.push(skip(r, "not a query"));
                continue;
            }
            Err(e) => {
                cases.push(skip(r, format!("the captured query does not parse: {e}")));
                continue;
            }
        };
        if !q.authority.is_empty() {
            cases.push(skip(
                r,
                "a probe (records in the authority section): the sender claiming its own names, not a question for the printer",
            ));
            continue;
        }
        if x.answers.is_empty() {
            cases.push(skip(
                r,
                "the capture has no answer to this query to compare with",
            ));
            continue;
        }
        let started = Instant::now();
        let mut link = match open(source) {
            Ok(l) => l,
            Err(e) => {
                cases.push(error(r, e));
                continue;
            }
        };
        let captured: Vec<Msg> = x
            .answers
            .iter()
            .filter_map(|(_, b)| Msg::parse(b).ok())
            .collect();
        let mut heard_bytes = Vec::new();
        let mut heard: Vec<Msg> = Vec::new();
        let mut broken = None;
        // Asked once more a second later when answers are missing, as a
        // querier does: a responder multicasts a record at most once a
        // second (RFC 6762 §6), so a query that came just after its own
        // announcement may go unanswered at first.
        for _attempt in 0..2 {
            if let Err(e) = link.send(&x.request, false).await {
                broken = Some(e);
                break;
            }
            let until = link.now() + LISTEN.min(opts.timeout);
            loop {
                match link.recv_until(until).await {
                    Ok(Some(h)) => heard_bytes.push(h.bytes),
                    Ok(None) => break,
                    Err(e) => {
                        broken = Some(e);
                        break;
                    }
                }
            }
            heard = heard_bytes
                .iter()
                .filter_map(|b| Msg::parse(b).ok())
                .filter(|m| m.response)
                .collect();
            let missing = diff(&q, &captured, &heard)
                .iter()
                .any(|d| d.severity == Severity::Fail);
            if broken.is_some() || !missing {
                break;
            }
        }
        if let Some(e) = broken {
            cases.push(error(r, e));
            continue;
        }
        let mut r = grade(r, 0, diff(&q, &captured, &heard));
        let joined: Vec<u8> = heard_bytes.concat();
        r.evidence.push(Exchange {
            step: 0,
            request_hex: hex(&x.request, 4096),
            request_bytes: x.request.len(),
            request_decoded: format!("[sent on the target's link] {}", dns::describe(&x.request)),
            http_status: 0,
            response_hex: hex(&joined, 65_536),
            response_bytes: joined.len(),
            response_decoded: heard_bytes
                .iter()
                .map(|b| dns::describe(b))
                .collect::<Vec<_>>()
                .join("\n"),
            elapsed_ms: started.elapsed().as_millis() as u64,
        });
        let cap: Vec<u8> = x.answers.iter().flat_map(|(_, b)| b.clone()).collect();
        r.evidence.push(Exchange {
            step: 0,
            request_hex: hex(&x.request, 4096),
            request_bytes: x.request.len(),
            request_decoded: format!(
                "[captured, frame {}] {}",
                x.frame,
                dns::describe(&x.request)
            ),
            http_status: 0,
            response_hex: hex(&cap, 65_536),
            response_bytes: cap.len(),
            response_decoded: x
                .answers
                .iter()
                .map(|(f, b)| format!("frame {f}: {}", dns::describe(b)))
                .collect::<Vec<_>>()
                .join("\n"),
            elapsed_ms: 0,
        });
        cases.push(r);
    }
}
