//! Records as the responder holds them (owned, compared without regard to
//! ASCII case), conversions to and from `simple-dns`, and the encoder that
//! splits a long answer over several datagrams.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use simple_dns::rdata::{self, RData};
use simple_dns::{
    CharacterString, Label, Name, Packet, PacketFlag, Question, ResourceRecord, CLASS, QCLASS,
    QTYPE, TYPE,
};

/// Largest datagram payload the responder sends: an Ethernet MTU less IPv6
/// and UDP headers, with room to spare (RFC 6762 §17).
pub(crate) const MAX_PAYLOAD: usize = 1440;

/// Longest label (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;

/// Record types by number.
pub(crate) mod rtype {
    pub const A: u16 = 1;
    pub const PTR: u16 = 12;
    pub const TXT: u16 = 16;
    pub const AAAA: u16 = 28;
    pub const SRV: u16 = 33;
    pub const NSEC: u16 = 47;
    pub const ANY: u16 = 255;
}

/// Class IN.
pub(crate) const CLASS_IN: u16 = 1;
/// QCLASS ANY.
pub(crate) const CLASS_ANY: u16 = 255;

/// A domain name as labels of raw bytes (what a peer sent is kept exactly,
/// UTF-8 or not); equality ignores ASCII case (RFC 6762 §16).
#[derive(Debug, Clone, Default)]
pub(crate) struct DnsName {
    labels: Vec<Vec<u8>>,
}

impl PartialEq for DnsName {
    fn eq(&self, other: &DnsName) -> bool {
        self.labels.len() == other.labels.len()
            && self
                .labels
                .iter()
                .zip(&other.labels)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

impl Eq for DnsName {}

impl DnsName {
    /// `labels` followed by `local`.
    pub(crate) fn local(labels: &[&str]) -> DnsName {
        let mut v: Vec<Vec<u8>> = labels.iter().map(|s| s.as_bytes().to_vec()).collect();
        v.push(b"local".to_vec());
        DnsName { labels: v }
    }

    /// A dotted ASCII service type (`_ipp._tcp`) under `.local`.
    pub(crate) fn service(service_type: &str) -> DnsName {
        let parts: Vec<&str> = service_type.split('.').collect();
        DnsName::local(&parts)
    }

    /// `label` in front of `rest`.
    pub(crate) fn prefixed(label: &str, rest: &DnsName) -> DnsName {
        let mut v = Vec::with_capacity(rest.labels.len() + 1);
        v.push(label.as_bytes().to_vec());
        v.extend(rest.labels.iter().cloned());
        DnsName { labels: v }
    }

    /// From a parsed name.
    pub(crate) fn from_simple(name: &Name<'_>) -> DnsName {
        DnsName {
            labels: name.as_bytes().map(<[u8]>::to_vec).collect(),
        }
    }

    /// As a `simple-dns` name; fails only for an empty label or one over 63
    /// bytes. Labels are raw bytes: `Label::new` would read `\\` as an
    /// escape, so the checked constructor is not used.
    pub(crate) fn to_simple(&self) -> Result<Name<'_>, EncodeError> {
        let labels = self
            .labels
            .iter()
            .map(|l| {
                if l.is_empty() || l.len() > MAX_LABEL {
                    Err(EncodeError(format!("a label of {} bytes", l.len())))
                } else {
                    Ok(Label::new_unchecked(l.as_slice()))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Name::new_with_labels(&labels))
    }

    /// Uncompressed wire form, for the lexicographic comparisons of RFC 6762 §8.2.
    pub(crate) fn wire(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.labels {
            out.push(u8::try_from(l.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(l);
        }
        out.push(0);
        out
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.labels.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            for c in String::from_utf8_lossy(l).chars() {
                if c == '.' || c == '\\' {
                    write!(f, "\\{c}")?;
                } else {
                    write!(f, "{c}")?;
                }
            }
        }
        Ok(())
    }
}

/// Record data of the types the responder deals in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Data {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Ptr(DnsName),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: DnsName,
    },
    /// The strings, as on the wire.
    Txt(Vec<Vec<u8>>),
    /// RFC 6762 §6.1 NSEC: the types that exist at the owner name.
    Nsec(Vec<u16>),
    /// Any other type; its data is never compared.
    Other(u16),
}

impl Data {
    pub(crate) fn rtype(&self) -> u16 {
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

    /// Same type and same data (names compared without regard to case).
    pub(crate) fn same(&self, other: &Data) -> bool {
        match (self, other) {
            (Data::Other(_), _) | (_, Data::Other(_)) => false,
            (Data::Nsec(a), Data::Nsec(b)) => {
                let mut a = a.clone();
                let mut b = b.clone();
                a.sort_unstable();
                b.sort_unstable();
                a == b
            }
            _ => self == other,
        }
    }

    /// The uncompressed RDATA (RFC 6762 §8.2 compares these bytewise).
    pub(crate) fn canonical(&self) -> Vec<u8> {
        match self {
            Data::A(a) => a.octets().to_vec(),
            Data::Aaaa(a) => a.octets().to_vec(),
            Data::Ptr(n) => n.wire(),
            Data::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                let mut v = Vec::new();
                v.extend_from_slice(&priority.to_be_bytes());
                v.extend_from_slice(&weight.to_be_bytes());
                v.extend_from_slice(&port.to_be_bytes());
                v.extend(target.wire());
                v
            }
            Data::Txt(strings) => {
                let mut v = Vec::new();
                for s in strings {
                    v.push(u8::try_from(s.len()).unwrap_or(u8::MAX));
                    v.extend_from_slice(s);
                }
                v
            }
            Data::Nsec(types) => nsec_bitmap(types),
            Data::Other(_) => Vec::new(),
        }
    }
}

/// The window-0 type bitmap of an NSEC record (RFC 4034 §4.1.2), window and
/// length bytes included.
fn nsec_bitmap(types: &[u16]) -> Vec<u8> {
    let bits = nsec_bits(types);
    let mut v = vec![0u8, u8::try_from(bits.len()).unwrap_or(32)];
    v.extend(bits);
    v
}

/// The bitmap bytes of window 0 for `types` below 256.
fn nsec_bits(types: &[u16]) -> Vec<u8> {
    let max = types
        .iter()
        .copied()
        .filter(|t| *t < 256)
        .max()
        .unwrap_or(0);
    let mut bits = vec![0u8; usize::from(max / 8) + 1];
    for t in types.iter().copied().filter(|t| *t < 256) {
        let i = usize::from(t / 8);
        bits[i] |= 0x80 >> (t % 8);
    }
    bits
}

/// One record we own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) name: DnsName,
    pub(crate) data: Data,
    /// The TTL advertised (after quirks).
    pub(crate) ttl: u32,
    /// A unique record: sent with the cache-flush bit, probed, defended.
    pub(crate) unique: bool,
}

/// A record as received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) name: DnsName,
    pub(crate) class: u16,
    pub(crate) ttl: u32,
    pub(crate) data: Data,
}

impl Received {
    pub(crate) fn from_simple(rr: &ResourceRecord<'_>) -> Received {
        let data = match &rr.rdata {
            RData::A(a) => Data::A(Ipv4Addr::from(a.address)),
            RData::AAAA(a) => Data::Aaaa(Ipv6Addr::from(a.address)),
            RData::PTR(p) => Data::Ptr(DnsName::from_simple(&p.0)),
            RData::SRV(s) => Data::Srv {
                priority: s.priority,
                weight: s.weight,
                port: s.port,
                target: DnsName::from_simple(&s.target),
            },
            RData::TXT(t) => Data::Txt(
                t.iter_raw()
                    .map(|(k, v)| {
                        let mut s = k.to_vec();
                        if let Some(v) = v {
                            s.push(b'=');
                            s.extend_from_slice(v);
                        }
                        s
                    })
                    .collect(),
            ),
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
        };
        Received {
            name: DnsName::from_simple(&rr.name),
            class: u16::from(rr.class),
            ttl: rr.ttl,
            data,
        }
    }

    /// Whether this is the same record as `ours`: name, type, class, data.
    pub(crate) fn matches(&self, ours: &Record) -> bool {
        self.class == CLASS_IN && self.name == ours.name && self.data.same(&ours.data)
    }
}

/// A record could not be encoded (a label or TXT string too long: the
/// announcement's checks make this unreachable, but it is never unwrapped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot encode an mDNS message: {0}")]
pub(crate) struct EncodeError(pub(crate) String);

/// A record to send, with the TTL and cache-flush bit of this sending.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Out<'r> {
    pub(crate) rec: &'r Record,
    pub(crate) ttl: u32,
    pub(crate) flush: bool,
}

/// A question to send.
#[derive(Debug, Clone)]
pub(crate) struct OutQuestion {
    pub(crate) name: DnsName,
    pub(crate) qtype: u16,
    pub(crate) qclass: u16,
    pub(crate) unicast: bool,
}

/// A message to encode.
#[derive(Debug, Clone, Default)]
pub(crate) struct Message<'r> {
    pub(crate) id: u16,
    pub(crate) response: bool,
    pub(crate) questions: Vec<OutQuestion>,
    pub(crate) answers: Vec<Out<'r>>,
    pub(crate) authority: Vec<Out<'r>>,
    pub(crate) additional: Vec<Out<'r>>,
}

fn to_rdata(data: &Data) -> Result<RData<'_>, EncodeError> {
    let err = |e: simple_dns::SimpleDnsError| EncodeError(e.to_string());
    Ok(match data {
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
            let mut txt = rdata::TXT::new();
            for s in strings {
                txt.add_char_string(CharacterString::new(s).map_err(err)?);
            }
            RData::TXT(txt)
        }
        Data::Nsec(_) => {
            return Err(EncodeError("NSEC needs its owner name".into()));
        }
        Data::Other(t) => return Err(EncodeError(format!("cannot send a record of type {t}"))),
    })
}

fn to_simple<'r>(o: &Out<'r>) -> Result<ResourceRecord<'r>, EncodeError> {
    let name = o.rec.name.to_simple()?;
    let data = match &o.rec.data {
        // RFC 6762 §6.1: "the 'Next Domain Name' field contains the record's own name".
        Data::Nsec(types) => RData::NSEC(rdata::NSEC {
            next_name: o.rec.name.to_simple()?,
            type_bit_maps: vec![rdata::NsecTypeBitMap {
                window_block: 0,
                bitmap: Cow::Owned(nsec_bits(types)),
            }],
        }),
        other => to_rdata(other)?,
    };
    Ok(ResourceRecord::new(name, CLASS::IN, o.ttl, data).with_cache_flush(o.flush))
}

impl<'r> Message<'r> {
    pub(crate) fn record_count(&self) -> usize {
        self.answers.len() + self.authority.len() + self.additional.len()
    }

    /// The message's bytes, names compressed.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut p = if self.response {
            let mut p = Packet::new_reply(self.id);
            // RFC 6762 §18.4: "In response messages for Multicast domains, the
            // Authoritative Answer bit MUST be set to one".
            p.set_flags(PacketFlag::AUTHORITATIVE_ANSWER);
            p
        } else {
            Packet::new_query(self.id)
        };
        for q in &self.questions {
            let qtype = match q.qtype {
                rtype::ANY => QTYPE::ANY,
                t => QTYPE::TYPE(TYPE::from(t)),
            };
            let qclass = match q.qclass {
                CLASS_ANY => QCLASS::ANY,
                _ => QCLASS::CLASS(CLASS::IN),
            };
            p.questions
                .push(Question::new(q.name.to_simple()?, qtype, qclass, q.unicast));
        }
        for o in &self.answers {
            p.answers.push(to_simple(o)?);
        }
        for o in &self.authority {
            p.name_servers.push(to_simple(o)?);
        }
        for o in &self.additional {
            p.additional_records.push(to_simple(o)?);
        }
        p.build_bytes_vec_compressed()
            .map_err(|e| EncodeError(e.to_string()))
    }

    /// The message as datagrams of at most `max` bytes: the records are
    /// packed in order (answers, authority, additional) and a datagram is
    /// closed when the next record would not fit. Questions go in the first
    /// datagram only. A single record larger than `max` still goes, alone.
    pub(crate) fn encode_split(&self, max: usize) -> Result<Vec<Vec<u8>>, EncodeError> {
        let whole = self.encode()?;
        if whole.len() <= max || self.record_count() <= 1 {
            return Ok(vec![whole]);
        }
        #[derive(Clone, Copy)]
        enum Section {
            Answer,
            Authority,
            Additional,
        }
        let items = self
            .answers
            .iter()
            .map(|o| (Section::Answer, *o))
            .chain(self.authority.iter().map(|o| (Section::Authority, *o)))
            .chain(self.additional.iter().map(|o| (Section::Additional, *o)));
        let fresh = |first: bool| Message {
            id: self.id,
            response: self.response,
            questions: if first {
                self.questions.clone()
            } else {
                Vec::new()
            },
            ..Message::default()
        };
        let mut out = Vec::new();
        let mut cur = fresh(true);
        for (section, o) in items {
            let push = |m: &mut Message<'r>| match section {
                Section::Answer => m.answers.push(o),
                Section::Authority => m.authority.push(o),
                Section::Additional => m.additional.push(o),
            };
            push(&mut cur);
            if cur.record_count() > 1 && cur.encode()?.len() > max {
                match section {
                    Section::Answer => cur.answers.pop(),
                    Section::Authority => cur.authority.pop(),
                    Section::Additional => cur.additional.pop(),
                };
                out.push(cur.encode()?);
                cur = fresh(false);
                push(&mut cur);
            }
        }
        if cur.record_count() > 0 || out.is_empty() {
            out.push(cur.encode()?);
        }
        Ok(out)
    }
}
