//! Single datagrams: SNMP (RFC 1157, RFC 3416) and mDNS (RFC 6762), read
//! into summaries a capture report can show.
//!
//! SNMP is decoded with the virtual printer's own codec
//! ([`paperjam_sim::snmp::message`]), so what the agent would refuse is
//! refused here with the same reason (SNMPv3 and v1 Trap PDUs among them,
//! with their version or PDU tag named). mDNS goes through the suite's DNS
//! reader ([`crate::mdns::dns::Msg`]): the virtual printer's guard first,
//! then `simple-dns`, so a hostile packet is refused with a reason and never
//! reaches the parser.

use paperjam_sim::snmp::message::{self, error_status, MessageError, PduKind, VarValue};

use crate::mdns::dns::{self, Data, Msg};

/// Why a datagram is not an SNMP message we can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnmpError {
    /// The codec refused it (not BER, a version or PDU it does not read,
    /// malformed BER…).
    #[error("{0}")]
    Decode(#[from] MessageError),
}

impl SnmpError {
    /// The version field, when the message has one (3 for SNMPv3).
    pub fn version(&self) -> Option<i64> {
        match self {
            SnmpError::Decode(MessageError::UnsupportedVersion(v)) => Some(*v),
            SnmpError::Decode(_) => None,
        }
    }
}

/// One variable binding, as text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnmpVarBind {
    /// The OID, dotted (`1.3.6.1.2.1.1.5.0`).
    pub oid: String,
    /// The value as `snmpwalk -On` prints it after the type
    /// (`"B6300"`, `42`, `.1.3.6.1.4.1.253`); empty for NULL and exceptions.
    pub value: String,
    /// The SMI type (`INTEGER`, `STRING`, `OID`…), or the exception
    /// (`noSuchObject`, `noSuchInstance`, `endOfMibView`).
    pub type_name: String,
}

/// An SNMP message, summarised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnmpDatagram {
    /// `1` or `2c`.
    pub version: String,
    /// The community string, as text.
    pub community: String,
    /// The PDU as RFC 3416 names it (`GetRequest`, `Response`…).
    pub pdu: String,
    /// request-id.
    pub request_id: i32,
    /// error-status (non-repeaters for GetBulkRequest).
    pub error_status: u32,
    /// error-index (max-repetitions for GetBulkRequest).
    pub error_index: u32,
    /// The error-status's name (`noError`, `noSuchName`…); `None` for
    /// GetBulkRequest, where the field is non-repeaters.
    pub error_name: Option<String>,
    /// The variable bindings in order.
    pub varbinds: Vec<SnmpVarBind>,
}

/// Decode an SNMP datagram. Never panics.
pub fn snmp(payload: &[u8]) -> Result<SnmpDatagram, SnmpError> {
    let m = message::decode(payload)?;
    let bulk = m.pdu.kind == PduKind::GetBulk;
    Ok(SnmpDatagram {
        version: m.version.label().to_string(),
        community: super::text(&m.community),
        pdu: m.pdu.kind.name().to_string(),
        request_id: m.pdu.request_id,
        error_status: m.pdu.error_status,
        error_index: m.pdu.error_index,
        error_name: (!bulk).then(|| error_status::name(m.pdu.error_status).to_string()),
        varbinds: m
            .pdu
            .varbinds
            .iter()
            .map(|vb| {
                let (value, type_name) = match &vb.value {
                    VarValue::Value(v) => {
                        let shown = v.to_string();
                        let value = match shown.split_once(": ") {
                            Some((_, value)) => value.to_string(),
                            None => String::new(),
                        };
                        (value, v.type_name().to_string())
                    }
                    VarValue::NoSuchObject => (String::new(), "noSuchObject".to_string()),
                    VarValue::NoSuchInstance => (String::new(), "noSuchInstance".to_string()),
                    VarValue::EndOfMibView => (String::new(), "endOfMibView".to_string()),
                };
                SnmpVarBind {
                    oid: vb.oid.to_string(),
                    value,
                    type_name,
                }
            })
            .collect(),
    })
}

impl std::fmt::Display for SnmpDatagram {
    /// `2c community "public" GetRequest request-id 7`, then a line per
    /// binding (`  1.3.6.1.2.1.1.5.0 = STRING: "lp"`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} community {:?} {} request-id {}",
            self.version, self.community, self.pdu, self.request_id
        )?;
        match &self.error_name {
            None => write!(
                f,
                " non-repeaters {} max-repetitions {}",
                self.error_status, self.error_index
            )?,
            Some(e) if self.error_status != 0 => {
                write!(f, " error-status {e} index {}", self.error_index)?
            }
            Some(_) => {}
        }
        for vb in &self.varbinds {
            if vb.value.is_empty() {
                write!(f, "\n  {} = {}", vb.oid, vb.type_name)?;
            } else {
                write!(f, "\n  {} = {}: {}", vb.oid, vb.type_name, vb.value)?;
            }
        }
        Ok(())
    }
}

/// An SNMP datagram as text for evidence and `capture inspect`, or why it
/// cannot be read.
pub fn describe_snmp(payload: &[u8]) -> String {
    match snmp(payload) {
        Ok(d) => d.to_string(),
        Err(e) => format!("not readable as SNMP v1/v2c: {e}"),
    }
}

/// Why a datagram is not a DNS message we can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MdnsError {
    /// The guard refused it: too short, counts beyond its length, a name
    /// that loops or runs off the end…
    #[error("{0}")]
    Guard(#[from] paperjam_sim::mdns::guard::PacketError),
    /// The guard let it through and `simple-dns` refused it.
    #[error("{0}")]
    Malformed(String),
}

/// A question.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MdnsQuestion {
    /// The name asked.
    pub name: String,
    /// The type's mnemonic (`PTR`, `ANY`, `TYPE65`…).
    pub qtype: String,
    /// The unicast-response ("QU") bit (RFC 6762 §5.4).
    pub unicast_response: bool,
}

/// A resource record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MdnsRecord {
    /// The owner name.
    pub name: String,
    /// The type's mnemonic.
    pub rtype: String,
    /// The class (1 is IN), without the cache-flush bit.
    pub class: u16,
    /// TTL in seconds.
    pub ttl: u32,
    /// The cache-flush bit (RFC 6762 §10.2).
    pub cache_flush: bool,
    /// The data as text: a PTR's target, an SRV's `priority weight port
    /// target`, an A or AAAA address, an NSEC's types.
    pub data: String,
    /// A TXT record's strings as `key=value` (`key` alone for a boolean
    /// attribute), in order; empty for other types.
    pub txt: Vec<String>,
}

/// An mDNS message, summarised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MdnsDatagram {
    /// The message ID (0 in multicast mDNS).
    pub id: u16,
    /// QR: a response.
    pub is_response: bool,
    /// AA: authoritative (set on every mDNS response, RFC 6762 §18.4).
    pub authoritative: bool,
    /// TC: more known answers follow (RFC 6762 §18.5).
    pub truncated: bool,
    /// OPCODE (0 in mDNS).
    pub opcode: u8,
    /// RCODE (0 in mDNS).
    pub rcode: u8,
    /// The questions.
    pub questions: Vec<MdnsQuestion>,
    /// The answer section.
    pub answers: Vec<MdnsRecord>,
    /// The authority section (a probe's proposed records).
    pub authority: Vec<MdnsRecord>,
    /// The additional section.
    pub additional: Vec<MdnsRecord>,
}

/// Decode an mDNS datagram. Never panics.
pub fn mdns(payload: &[u8]) -> Result<MdnsDatagram, MdnsError> {
    paperjam_sim::mdns::guard::precheck(payload)?;
    let m = Msg::parse(payload).map_err(MdnsError::Malformed)?;
    let records = |rs: &[dns::Rr]| -> Vec<MdnsRecord> { rs.iter().map(record).collect() };
    Ok(MdnsDatagram {
        id: m.id,
        is_response: m.response,
        authoritative: m.authoritative,
        truncated: m.truncated,
        opcode: m.opcode,
        rcode: m.rcode,
        questions: m
            .questions
            .iter()
            .map(|q| MdnsQuestion {
                name: q.name.to_string(),
                qtype: dns::rtype::name(q.qtype),
                unicast_response: q.unicast,
            })
            .collect(),
        answers: records(&m.answers),
        authority: records(&m.authority),
        additional: records(&m.additional),
    })
}

fn record(r: &dns::Rr) -> MdnsRecord {
    let txt = match &r.data {
        Data::Txt(strings) => strings.iter().map(|s| super::text(s)).collect(),
        _ => Vec::new(),
    };
    MdnsRecord {
        name: r.name.to_string(),
        rtype: dns::rtype::name(r.data.rtype()),
        class: r.class,
        ttl: r.ttl,
        cache_flush: r.cache_flush,
        data: r.data.to_string(),
        txt,
    }
}
