//! DNS messages as the mDNS runner reads and writes them: `simple-dns`
//! builds and parses the packets; this module turns what it parsed into
//! owned values the checks can compare (names as raw labels compared without
//! regard to ASCII case, TXT strings exactly as on the wire, the header bits
//! the RFC grades), and renders a message as text for the evidence.
//!
//! Every received datagram first goes through the virtual printer's own
//! guard ([`paperjam_sim::mdns::guard::precheck`]), so a hostile answer is
//! refused with a reason before `simple-dns` sees it.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use simple_dns::rdata::{self, RData};
use simple_dns::{
    CharacterString, Label, Name as SName, Packet, Question as SQuestion, ResourceRecord, CLASS,
    QCLASS, QTYPE, TYPE,
};

/// Record types by number.
pub mod rtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Pointer.
    pub const PTR: u16 = 12;
    /// Text strings.
    pub const TXT: u16 = 16;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service location.
    pub const SRV: u16 = 33;
    /// Negative answer (RFC 6762 §6.1).
    pub const NSEC: u16 = 47;
    /// QTYPE ANY.
    pub const ANY: u16 = 255;

    /// The mnemonic of a type.
    pub fn name(t: u16) -> String {
        match t {
            A => "A".into(),
            PTR => "PTR".into(),
            TXT => "TXT".into(),
            AAAA => "AAAA".into(),
            SRV => "SRV".into(),
            NSEC => "NSEC".into(),
            ANY => "ANY".into(),
            13 => "HINFO".into(),
            other => format!("TYPE{other}"),
        }
    }
}

/// A domain name as labels of raw bytes; equality ignores ASCII case
/// (RFC 6762 §16).
#[derive(Debug, Clone, Default, Eq)]
pub struct Name {
    /// The labels, without the root.
    pub labels: Vec<Vec<u8>>,
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.labels.len() == other.labels.len()
            && self
                .labels
                .iter()
                .zip(&other.labels)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

impl Name {
    /// A dotted name of labels without dots (`_ipp._tcp.local`); a trailing
    /// dot is allowed.
    pub fn dotted(s: &str) -> Name {
        Name {
            labels: s
                .trim_end_matches('.')
                .split('.')
                .filter(|l| !l.is_empty())
                .map(|l| l.as_bytes().to_vec())
                .collect(),
        }
    }

    /// `label` (any bytes, dots included) in front of the dotted `rest`.
    pub fn prefixed(label: &[u8], rest: &str) -> Name {
        let mut n = Name::dotted(rest);
        n.labels.insert(0, label.to_vec());
        n
    }

    /// The service instance name `instance.<service>.local`.
    pub fn instance(instance: &[u8], service: &str) -> Name {
        Name::prefixed(instance, &format!("{service}.local"))
    }

    fn from_simple(n: &SName<'_>) -> Name {
        Name {
            labels: n.as_bytes().map(<[u8]>::to_vec).collect(),
        }
    }

    /// As a `simple-dns` name. Labels are raw bytes (an instance name may hold
    /// dots and backslashes), so the unchecked label constructor is used after
    /// checking lengths here.
    pub fn to_simple(&self) -> Result<SName<'_>, String> {
        let labels = self
            .labels
            .iter()
            .map(|l| {
                if l.is_empty() || l.len() > 63 {
                    Err(format!("a label of {} bytes cannot be sent", l.len()))
                } else {
                    Ok(Label::new_unchecked(l.as_slice()))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SName::new_with_labels(&labels))
    }

    /// The first label, lossily as text (an instance name).
    pub fn first_label(&self) -> String {
        self.labels
            .first()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .unwrap_or_default()
    }

    /// The name without its first label, dotted.
    pub fn parent(&self) -> Name {
        Name {
            labels: self.labels.iter().skip(1).cloned().collect(),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.labels.is_empty() {
            return f.write_str(".");
        }
        for (i, l) in self.labels.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            for c in String::from_utf8_lossy(l).chars() {
                match c {
                    '.' | '\\' => write!(f, "\\{c}")?,
                    c if c.is_control() => write!(f, "\\{:03}", u32::from(c))?,
                    c => write!(f, "{c}")?,
                }
            }
        }
        Ok(())
    }
}

/// Record data of the types DNS-SD uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Pointer.
    Ptr(Name),
    /// Service location.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// TCP or UDP port.
        port: u16,
        /// Host.
        target: Name,
    },
    /// The strings, exactly as on the wire.
    Txt(Vec<Vec<u8>>),
    /// The types an NSEC says exist.
    Nsec(Vec<u16>),
    /// Another type, not compared.
    Other(u16),
}

impl Data {
    /// Its type.
    pub fn rtype(&self) -> u16 {
        match self {
            Data::A(_) => rtype::A,
            Data::Aaaa(_) => rtype::AAAA,
            Data::Ptr(_) => rtype::PTR,
            Data::Srv { .. } => rtype::SRV,
            Data::Txt(_) => rtype::TXT,
            Data::Nsec(_) => rtype::NSEC,
            Data::Other(t) => *t,
        }
    }
}

impl fmt::Display for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::A(a) => write!(f, "{a}"),
            Data::Aaaa(a) => write!(f, "{a}"),
            Data::Ptr(n) => write!(f, "{n}"),
            Data::Srv {
                priority,
                weight,
                port,
                target,
            } => write!(f, "{priority} {weight} {port} {target}"),
            Data::Txt(strings) => {
                let parts: Vec<String> = strings
                    .iter()
                    .map(|s| format!("\"{}\"", String::from_utf8_lossy(s).escape_debug()))
                    .collect();
                f.write_str(&parts.join(" "))
            }
            Data::Nsec(types) => {
                let names: Vec<String> = types.iter().map(|t| rtype::name(*t)).collect();
                write!(f, "types {}", names.join(" "))
            }
            Data::Other(_) => f.write_str("(not decoded)"),
        }
    }
}

/// A resource record as received (or to send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rr {
    /// Owner name.
    pub name: Name,
    /// Class without the cache-flush bit.
    pub class: u16,
    /// The cache-flush bit (RFC 6762 §10.2).
    pub cache_flush: bool,
    /// TTL, seconds.
    pub ttl: u32,
    /// Data.
    pub data: Data,
}

impl Rr {
    /// Same name, type, class and data (the TTL and cache-flush bit aside):
    /// the same record.
    pub fn same_record(&self, other: &Rr) -> bool {
        self.name == other.name && self.class == other.class && self.data == other.data
    }
}

impl fmt::Display for Rr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}{} ttl {} = {}",
            self.name,
            rtype::name(self.data.rtype()),
            if self.class == 1 {
                "IN".to_string()
            } else {
                format!("CLASS{}", self.class)
            },
            if self.cache_flush { " flush" } else { "" },
            self.ttl,
            self.data
        )
    }
}

/// A question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The name asked.
    pub name: Name,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS without the unicast-response bit.
    pub qclass: u16,
    /// The unicast-response ("QU") bit.
    pub unicast: bool,
}

/// A parsed DNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    /// Message ID.
    pub id: u16,
    /// QR: a response.
    pub response: bool,
    /// OPCODE.
    pub opcode: u8,
    /// AA: authoritative answer.
    pub authoritative: bool,
    /// TC: truncated.
    pub truncated: bool,
    /// RCODE.
    pub rcode: u8,
    /// Questions.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<Rr>,
    /// Authority section.
    pub authority: Vec<Rr>,
    /// Additional section.
    pub additional: Vec<Rr>,
}

/// The strings of a TXT rdata as sent: `simple-dns` hides them, so the record
/// is written alone under the root name and its rdata read back.
fn txt_strings(txt: &rdata::TXT<'_>) -> Vec<Vec<u8>> {
    let mut p = Packet::new_reply(0);
    p.answers.push(ResourceRecord::new(
        SName::new_unchecked(""),
        CLASS::IN,
        0,
        RData::TXT(txt.clone()),
    ));
    let Ok(bytes) = p.build_bytes_vec() else {
        return Vec::new();
    };
    // Header (12), root name (1), type, class, TTL, rdlength (10).
    let mut rest = bytes.get(23..).unwrap_or_default();
    let mut out = Vec::new();
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        let Some(s) = tail.get(..len) else { break };
        out.push(s.to_vec());
        rest = &tail[len..];
    }
    out
}

fn data_of(rd: &RData<'_>) -> Data {
    match rd {
        RData::A(a) => Data::A(Ipv4Addr::from(a.address)),
        RData::AAAA(a) => Data::Aaaa(Ipv6Addr::from(a.address)),
        RData::PTR(p) => Data::Ptr(Name::from_simple(&p.0)),
        RData::SRV(s) => Data::Srv {
            priority: s.priority,
            weight: s.weight,
            port: s.port,
            target: Name::from_simple(&s.target),
        },
        RData::TXT(t) => Data::Txt(txt_strings(t)),
        RData::NSEC(n) => Data::Nsec(
            n.type_bit_maps
                .iter()
                .flat_map(|m| {
                    let base = u16::from(m.window_block) << 8;
                    m.bitmap.iter().enumerate().flat_map(move |(i, byte)| {
                        (0..8u16)
                            .filter(move |bit| byte & (0x80 >> bit) != 0)
                            .map(move |bit| base + u16::try_from(i).unwrap_or(0) * 8 + bit)
                    })
                })
                .collect(),
        ),
        other => Data::Other(u16::from(other.type_code())),
    }
}

fn rr_of(rr: &ResourceRecord<'_>) -> Rr {
    Rr {
        name: Name::from_simple(&rr.name),
        class: u16::from(rr.class),
        cache_flush: rr.cache_flush,
        ttl: rr.ttl,
        data: data_of(&rr.rdata),
    }
}

impl Msg {
    /// Parse a received datagram: the guard first, then `simple-dns`.
    pub fn parse(bytes: &[u8]) -> Result<Msg, String> {
        paperjam_sim::mdns::guard::precheck(bytes).map_err(|e| e.to_string())?;
        let p = Packet::parse(bytes).map_err(|e| format!("malformed DNS message: {e}"))?;
        let (b2, b3) = (bytes[2], bytes[3]);
        Ok(Msg {
            id: p.id(),
            response: b2 & 0x80 != 0,
            opcode: (b2 >> 3) & 0x0F,
            authoritative: b2 & 0x04 != 0,
            truncated: b2 & 0x02 != 0,
            rcode: b3 & 0x0F,
            questions: p
                .questions
                .iter()
                .map(|q| Question {
                    name: Name::from_simple(&q.qname),
                    qtype: u16::from(q.qtype),
                    qclass: u16::from(q.qclass),
                    unicast: q.unicast_response,
                })
                .collect(),
            answers: p.answers.iter().map(rr_of).collect(),
            authority: p.name_servers.iter().map(rr_of).collect(),
            additional: p.additional_records.iter().map(rr_of).collect(),
        })
    }

    /// Every record of the three sections, with the section's short name.
    pub fn records(&self) -> impl Iterator<Item = (&'static str, &Rr)> {
        self.answers
            .iter()
            .map(|r| ("an", r))
            .chain(self.authority.iter().map(|r| ("ns", r)))
            .chain(self.additional.iter().map(|r| ("ar", r)))
    }

    /// The records of the answer and additional sections (what a response
    /// asserts; the authority section of a response is not cached).
    pub fn asserted(&self) -> impl Iterator<Item = &Rr> {
        self.answers.iter().chain(self.additional.iter())
    }
}

/// Text for a report: the header on one line, then a question or record a line.
pub fn describe(bytes: &[u8]) -> String {
    let m = match Msg::parse(bytes) {
        Ok(m) => m,
        Err(e) => return format!("(not a DNS message: {e})\n"),
    };
    let mut s = format!(
        "{} id {} opcode {} rcode {}{}{}, {} question(s), {} answer(s), {} authority, {} additional\n",
        if m.response { "response" } else { "query" },
        m.id,
        m.opcode,
        m.rcode,
        if m.authoritative { " AA" } else { "" },
        if m.truncated { " TC" } else { "" },
        m.questions.len(),
        m.answers.len(),
        m.authority.len(),
        m.additional.len()
    );
    for q in &m.questions {
        s.push_str(&format!(
            "  qd {} {} {}{}\n",
            q.name,
            rtype::name(q.qtype),
            if q.qclass == 1 {
                "IN".to_string()
            } else {
                format!("CLASS{}", q.qclass)
            },
            if q.unicast { " QU" } else { " QM" }
        ));
    }
    for (section, r) in m.records() {
        s.push_str(&format!("  {section} {r}\n"));
    }
    s
}

/// A query to build.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Message ID (0 for multicast queries, RFC 6762 §18.1).
    pub id: u16,
    /// Questions.
    pub questions: Vec<Question>,
    /// Known answers (RFC 6762 §7.1), sent without the cache-flush bit.
    pub known: Vec<Rr>,
    /// Proposed records of a probe (RFC 6762 §8.1).
    pub authority: Vec<Rr>,
}

impl Query {
    /// One question of `qtype` for `name`, QM.
    pub fn ask(mut self, name: Name, qtype: u16) -> Query {
        self.questions.push(Question {
            name,
            qtype,
            qclass: 1,
            unicast: false,
        });
        self
    }

    /// The message's bytes (names uncompressed: a query is small, and every
    /// byte stays where a reader of the evidence expects it).
    pub fn build(&self) -> Result<Vec<u8>, String> {
        let mut p = Packet::new_query(self.id);
        for q in &self.questions {
            let qtype = match q.qtype {
                rtype::ANY => QTYPE::ANY,
                t => QTYPE::TYPE(TYPE::from(t)),
            };
            p.questions.push(SQuestion::new(
                q.name.to_simple()?,
                qtype,
                QCLASS::CLASS(CLASS::IN),
                q.unicast,
            ));
        }
        for r in &self.known {
            p.answers.push(to_simple(r, false)?);
        }
        for r in &self.authority {
            p.name_servers.push(to_simple(r, false)?);
        }
        p.build_bytes_vec().map_err(|e| e.to_string())
    }
}

fn to_simple(r: &Rr, flush: bool) -> Result<ResourceRecord<'_>, String> {
    let data = match &r.data {
        Data::A(a) => RData::A(rdata::A {
            address: u32::from(*a),
        }),
        Data::Aaaa(a) => RData::AAAA(rdata::AAAA {
            address: u128::from(*a),
        }),
        Data::Ptr(n) => RData::PTR(rdata::PTR(n.to_simple()?)),
        Data::Srv {
            priority,
            weight,
            port,
            target,
        } => RData::SRV(rdata::SRV {
            priority: *priority,
            weight: *weight,
            port: *port,
            target: target.to_simple()?,
        }),
        Data::Txt(strings) => {
            let mut t = rdata::TXT::new();
            for s in strings {
                t.add_char_string(CharacterString::new(s).map_err(|e| e.to_string())?);
            }
            RData::TXT(t)
        }
        Data::Nsec(_) | Data::Other(_) => {
            return Err(format!(
                "the runner does not send {} records",
                rtype::name(r.data.rtype())
            ))
        }
    };
    Ok(ResourceRecord::new(r.name.to_simple()?, CLASS::IN, r.ttl, data).with_cache_flush(flush))
}

/// A TXT record's strings as `(key, value)`: `key=value`, `key=` (empty
/// value) and `key` (a boolean attribute, `None`). Strings with no key are
/// left out (RFC 6763 §6.4: they "MUST be silently ignored"); a repeated key
/// keeps its first value.
pub fn txt_pairs(strings: &[Vec<u8>]) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for s in strings {
        let (k, v) = match s.iter().position(|b| *b == b'=') {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (&s[..], None),
        };
        if k.is_empty() {
            continue;
        }
        let k = String::from_utf8_lossy(k).into_owned();
        if out.iter().any(|(x, _)| x.eq_ignore_ascii_case(&k)) {
            continue;
        }
        out.push((k, v.map(|v| String::from_utf8_lossy(v).into_owned())));
    }
    out
}

/// The value of `key` in TXT `strings`, whatever its case (`Some("")` for a
/// boolean attribute or an empty value).
pub fn txt_get(strings: &[Vec<u8>], key: &str) -> Option<String> {
    txt_pairs(strings)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_query_round_trips_with_raw_labels() {
        let inst = Name::instance(b"Office. \\Laser", "_ipp._tcp");
        assert_eq!(inst.labels.len(), 4);
        assert_eq!(inst.to_string(), "Office\\. \\\\Laser._ipp._tcp.local");
        let q = Query {
            id: 7,
            authority: vec![Rr {
                name: inst.clone(),
                class: 1,
                cache_flush: false,
                ttl: 120,
                data: Data::Srv {
                    priority: 0,
                    weight: 0,
                    port: 9,
                    target: Name::dotted("probe.local."),
                },
            }],
            ..Query::default()
        }
        .ask(inst.clone(), rtype::ANY)
        .ask(Name::dotted("_ipp._tcp.local"), rtype::PTR);
        let bytes = q.build().unwrap();
        let m = Msg::parse(&bytes).unwrap();
        assert!(!m.response);
        assert_eq!(m.id, 7);
        assert_eq!(m.questions[0].name, inst);
        assert_eq!(m.questions[0].qtype, rtype::ANY);
        assert_eq!(m.questions[1].name, Name::dotted("_IPP._TCP.local"));
        assert_eq!(m.authority.len(), 1);
        assert_eq!(m.authority[0].data.rtype(), rtype::SRV);
        assert!(describe(&bytes).contains("qd Office\\. \\\\Laser._ipp._tcp.local ANY IN QM"));
    }

    #[test]
    fn txt_strings_are_read_exactly() {
        let strings = vec![
            b"txtvers=1".to_vec(),
            b"Color".to_vec(),
            b"note=".to_vec(),
            b"=orphan".to_vec(),
            b"COLOR=F".to_vec(),
        ];
        let q = Query {
            known: vec![Rr {
                name: Name::dotted("x._ipp._tcp.local"),
                class: 1,
                cache_flush: false,
                ttl: 4500,
                data: Data::Txt(strings.clone()),
            }],
            ..Query::default()
        };
        let m = Msg::parse(&q.build().unwrap()).unwrap();
        assert_eq!(m.answers[0].data, Data::Txt(strings.clone()));
        let pairs = txt_pairs(&strings);
        assert_eq!(pairs.len(), 3);
        assert_eq!(txt_get(&strings, "color").as_deref(), Some(""));
        assert_eq!(txt_get(&strings, "note").as_deref(), Some(""));
        assert_eq!(txt_get(&strings, "txtVers").as_deref(), Some("1"));
        assert_eq!(txt_get(&strings, "orphan"), None);
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(Msg::parse(&[0, 1, 2]).unwrap_err().contains("shorter"));
        let mut loop_ = vec![0u8; 12];
        loop_[5] = 1;
        loop_.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
        assert!(Msg::parse(&loop_).is_err());
        assert!(describe(&[1, 2, 3]).starts_with("(not a DNS message"));
    }
}
