//! SNMPv1 and v2c messages (RFC 1157, RFC 3416) and their BER encoding.
//!
//! The encoding itself is rasn-snmp's; this module gives the agent and the
//! runner one plain type for both versions ([`Message`]) and the conversions.
//! A v1 message and a v2c one share their layout (RFC 3416 §3), so both are
//! read with the v2c types and told apart by the version field.

use rasn::types::{Integer, ObjectIdentifier, OctetString};
use rasn_snmp::v2::{self, ObjectSyntax, Pdus, VarBindValue};
use rasn_snmp::v2c;

use super::{Oid, Value};

/// The protocol version of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// SNMPv1 (version field 0).
    V1,
    /// SNMPv2c (version field 1).
    V2c,
}

impl Version {
    /// The value of the version field.
    pub fn wire(self) -> i64 {
        match self {
            Version::V1 => 0,
            Version::V2c => 1,
        }
    }

    /// As net-snmp's `-v` flag spells it.
    pub fn label(self) -> &'static str {
        match self {
            Version::V1 => "1",
            Version::V2c => "2c",
        }
    }
}

/// Which PDU a message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PduKind {
    /// GetRequest.
    Get,
    /// GetNextRequest.
    GetNext,
    /// GetBulkRequest (v2c).
    GetBulk,
    /// SetRequest.
    Set,
    /// Response (GetResponse in v1).
    Response,
    /// InformRequest (v2c).
    Inform,
    /// SNMPv2-Trap.
    Trap,
    /// Report.
    Report,
}

impl PduKind {
    /// The PDU's name, as RFC 3416 spells it.
    pub fn name(self) -> &'static str {
        match self {
            PduKind::Get => "GetRequest",
            PduKind::GetNext => "GetNextRequest",
            PduKind::GetBulk => "GetBulkRequest",
            PduKind::Set => "SetRequest",
            PduKind::Response => "Response",
            PduKind::Inform => "InformRequest",
            PduKind::Trap => "SNMPv2-Trap",
            PduKind::Report => "Report",
        }
    }
}

/// The value half of a variable binding.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VarValue {
    /// A value (`Value::Null` is the `unSpecified` NULL of requests).
    Value(Value),
    /// v2c exception: no such object type.
    NoSuchObject,
    /// v2c exception: the object type exists, this instance does not.
    NoSuchInstance,
    /// v2c exception: nothing after this OID.
    EndOfMibView,
}

impl VarValue {
    /// The value, if it is not an exception.
    pub fn value(&self) -> Option<&Value> {
        match self {
            VarValue::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// One variable binding.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VarBind {
    /// The name.
    pub oid: Oid,
    /// The value or exception.
    pub value: VarValue,
}

impl VarBind {
    /// A binding with a NULL value, as requests carry.
    pub fn null(oid: Oid) -> VarBind {
        VarBind {
            oid,
            value: VarValue::Value(Value::Null),
        }
    }
}

/// RFC 3416 error-status values (v1 uses 0–5).
pub mod error_status {
    /// noError.
    pub const NO_ERROR: u32 = 0;
    /// tooBig.
    pub const TOO_BIG: u32 = 1;
    /// noSuchName (v1).
    pub const NO_SUCH_NAME: u32 = 2;
    /// badValue (v1).
    pub const BAD_VALUE: u32 = 3;
    /// readOnly (v1).
    pub const READ_ONLY: u32 = 4;
    /// genErr.
    pub const GEN_ERR: u32 = 5;
    /// noAccess.
    pub const NO_ACCESS: u32 = 6;
    /// wrongType.
    pub const WRONG_TYPE: u32 = 7;
    /// wrongLength.
    pub const WRONG_LENGTH: u32 = 8;
    /// wrongEncoding.
    pub const WRONG_ENCODING: u32 = 9;
    /// wrongValue.
    pub const WRONG_VALUE: u32 = 10;
    /// noCreation.
    pub const NO_CREATION: u32 = 11;
    /// inconsistentValue.
    pub const INCONSISTENT_VALUE: u32 = 12;
    /// resourceUnavailable.
    pub const RESOURCE_UNAVAILABLE: u32 = 13;
    /// commitFailed.
    pub const COMMIT_FAILED: u32 = 14;
    /// undoFailed.
    pub const UNDO_FAILED: u32 = 15;
    /// authorizationError.
    pub const AUTHORIZATION_ERROR: u32 = 16;
    /// notWritable.
    pub const NOT_WRITABLE: u32 = 17;
    /// inconsistentName.
    pub const INCONSISTENT_NAME: u32 = 18;

    /// The status's name, as RFC 3416 spells it.
    pub fn name(status: u32) -> &'static str {
        match status {
            0 => "noError",
            1 => "tooBig",
            2 => "noSuchName",
            3 => "badValue",
            4 => "readOnly",
            5 => "genErr",
            6 => "noAccess",
            7 => "wrongType",
            8 => "wrongLength",
            9 => "wrongEncoding",
            10 => "wrongValue",
            11 => "noCreation",
            12 => "inconsistentValue",
            13 => "resourceUnavailable",
            14 => "commitFailed",
            15 => "undoFailed",
            16 => "authorizationError",
            17 => "notWritable",
            18 => "inconsistentName",
            _ => "unknown",
        }
    }
}

/// A PDU. For GetBulk, `error_status` holds non-repeaters and `error_index`
/// max-repetitions, as on the wire (RFC 3416 §3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pdu {
    /// Which PDU.
    pub kind: PduKind,
    /// request-id.
    pub request_id: i32,
    /// error-status (non-repeaters for GetBulk).
    pub error_status: u32,
    /// error-index (max-repetitions for GetBulk).
    pub error_index: u32,
    /// variable-bindings.
    pub varbinds: Vec<VarBind>,
}

/// A whole community-based message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    /// v1 or v2c.
    pub version: Version,
    /// The community string.
    pub community: Vec<u8>,
    /// The PDU.
    pub pdu: Pdu,
}

/// Why bytes are not an SNMPv1/v2c message we can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Not a BER SEQUENCE with an INTEGER version first.
    #[error("not an SNMP message: {0}")]
    NotSnmp(&'static str),
    /// A version we do not speak (3 is SNMPv3).
    #[error("SNMP version field {0} is not v1 (0) or v2c (1)")]
    UnsupportedVersion(i64),
    /// The BER decoder refused it.
    #[error("malformed BER: {0}")]
    Malformed(String),
    /// A v1 Trap (tag 4), which this agent does not read.
    #[error("PDU type {0:#04x} is not one this agent reads")]
    UnsupportedPdu(u8),
    /// An INTEGER value outside Integer32.
    #[error("INTEGER {0} is outside Integer32")]
    IntegerRange(String),
    /// An OID BER cannot encode (fewer than two arcs, or first arc above 2).
    #[error("OID {0} cannot be encoded")]
    BadOid(Oid),
    /// Encoding failed.
    #[error("cannot encode: {0}")]
    Encode(String),
}

/// Read the version field without decoding the rest (so an SNMPv3 message is
/// told apart from a malformed one).
pub fn peek_version(bytes: &[u8]) -> Result<i64, MessageError> {
    let rest = bytes
        .strip_prefix(&[0x30])
        .ok_or(MessageError::NotSnmp("does not start with a SEQUENCE"))?;
    let rest = skip_length(rest).ok_or(MessageError::NotSnmp("bad SEQUENCE length"))?;
    let rest = rest
        .strip_prefix(&[0x02])
        .ok_or(MessageError::NotSnmp("no INTEGER version"))?;
    let (&len, rest) = rest
        .split_first()
        .ok_or(MessageError::NotSnmp("no version length"))?;
    let len = usize::from(len);
    if len == 0 || len > 8 || rest.len() < len {
        return Err(MessageError::NotSnmp("bad version length"));
    }
    let mut v: i64 = if rest[0] & 0x80 != 0 { -1 } else { 0 };
    for b in &rest[..len] {
        v = (v << 8) | i64::from(*b);
    }
    Ok(v)
}

/// The PDU tag byte (0xa0 GetRequest …), without decoding.
pub fn peek_pdu_tag(bytes: &[u8]) -> Option<u8> {
    let rest = bytes.strip_prefix(&[0x30])?;
    let rest = skip_length(rest)?;
    let rest = skip_tlv(rest)?; // version
    let rest = skip_tlv(rest)?; // community
    rest.first().copied()
}

fn skip_length(b: &[u8]) -> Option<&[u8]> {
    let (&first, rest) = b.split_first()?;
    if first & 0x80 == 0 {
        return Some(rest);
    }
    let n = usize::from(first & 0x7f);
    rest.get(n..)
}

fn skip_tlv(b: &[u8]) -> Option<&[u8]> {
    let rest = b.get(1..)?;
    let (&first, after) = rest.split_first()?;
    let (len, after) = if first & 0x80 == 0 {
        (usize::from(first), after)
    } else {
        let n = usize::from(first & 0x7f);
        if n > 4 {
            return None;
        }
        let len_bytes = after.get(..n)?;
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, x| (acc << 8) | usize::from(*x));
        (len, after.get(n..)?)
    };
    after.get(len..)
}

/// Decode a v1 or v2c message.
pub fn decode(bytes: &[u8]) -> Result<Message, MessageError> {
    let version = match peek_version(bytes)? {
        0 => Version::V1,
        1 => Version::V2c,
        v => return Err(MessageError::UnsupportedVersion(v)),
    };
    if let Some(tag) = peek_pdu_tag(bytes) {
        if tag == 0xa4 || !(0xa0..=0xa8).contains(&tag) {
            return Err(MessageError::UnsupportedPdu(tag));
        }
    }
    let m: v2c::Message<Pdus> =
        rasn::ber::decode(bytes).map_err(|e| MessageError::Malformed(first_line(&e)))?;
    let pdu = match m.data {
        Pdus::GetRequest(p) => from_pdu(PduKind::Get, p.0)?,
        Pdus::GetNextRequest(p) => from_pdu(PduKind::GetNext, p.0)?,
        Pdus::Response(p) => from_pdu(PduKind::Response, p.0)?,
        Pdus::SetRequest(p) => from_pdu(PduKind::Set, p.0)?,
        Pdus::InformRequest(p) => from_pdu(PduKind::Inform, p.0)?,
        Pdus::Trap(p) => from_pdu(PduKind::Trap, p.0)?,
        Pdus::Report(p) => from_pdu(PduKind::Report, p.0)?,
        Pdus::GetBulkRequest(p) => Pdu {
            kind: PduKind::GetBulk,
            request_id: p.0.request_id,
            error_status: p.0.non_repeaters,
            error_index: p.0.max_repetitions,
            varbinds: from_varbinds(p.0.variable_bindings)?,
        },
    };
    Ok(Message {
        version,
        community: m.community.to_vec(),
        pdu,
    })
}

fn first_line(e: &impl std::fmt::Display) -> String {
    let s = e.to_string();
    s.lines().next().unwrap_or("").chars().take(200).collect()
}

fn from_pdu(kind: PduKind, p: v2::Pdu) -> Result<Pdu, MessageError> {
    Ok(Pdu {
        kind,
        request_id: p.request_id,
        error_status: p.error_status,
        error_index: p.error_index,
        varbinds: from_varbinds(p.variable_bindings)?,
    })
}

fn from_varbinds(list: Vec<v2::VarBind>) -> Result<Vec<VarBind>, MessageError> {
    list.into_iter()
        .map(|vb| {
            Ok(VarBind {
                oid: Oid(vb.name.to_vec()),
                value: match vb.value {
                    VarBindValue::Value(v) => VarValue::Value(from_syntax(v)?),
                    VarBindValue::Unspecified => VarValue::Value(Value::Null),
                    VarBindValue::NoSuchObject => VarValue::NoSuchObject,
                    VarBindValue::NoSuchInstance => VarValue::NoSuchInstance,
                    VarBindValue::EndOfMibView => VarValue::EndOfMibView,
                },
            })
        })
        .collect()
}

fn from_syntax(s: ObjectSyntax) -> Result<Value, MessageError> {
    use rasn_smi::v2::{ApplicationSyntax as A, SimpleSyntax as Simple};
    use rasn_snmp::v2::ObjectSyntax as S;
    Ok(match s {
        S::Simple(Simple::Integer(i)) => Value::Integer(
            i32::try_from(&i).map_err(|_| MessageError::IntegerRange(i.to_string()))?,
        ),
        S::Simple(Simple::String(b)) => Value::OctetString(b.to_vec()),
        S::Simple(Simple::ObjectId(o)) => Value::ObjectId(Oid(o.to_vec())),
        S::ApplicationWide(A::Address(a)) => Value::IpAddress(*a.0),
        S::ApplicationWide(A::Counter(c)) => Value::Counter32(c.0),
        S::ApplicationWide(A::Ticks(t)) => Value::TimeTicks(t.0),
        S::ApplicationWide(A::Arbitrary(o)) => Value::Opaque(o.as_ref().to_vec()),
        S::ApplicationWide(A::BigCounter(c)) => Value::Counter64(c.0),
        S::ApplicationWide(A::Unsigned(u)) => Value::Gauge32(u.0),
    })
}

fn to_oid(o: &Oid) -> Result<ObjectIdentifier, MessageError> {
    ObjectIdentifier::new(o.0.clone()).ok_or_else(|| MessageError::BadOid(o.clone()))
}

fn to_syntax(v: &Value) -> Result<VarBindValue, MessageError> {
    use rasn_smi::v1::{Counter, Gauge, IpAddress, TimeTicks};
    use rasn_smi::v2::{ApplicationSyntax as A, Counter64, SimpleSyntax as Simple};
    let s = match v {
        Value::Null => return Ok(VarBindValue::Unspecified),
        Value::Integer(i) => ObjectSyntax::Simple(Simple::Integer(Integer::from(*i))),
        Value::OctetString(b) => ObjectSyntax::Simple(Simple::String(OctetString::from(b.clone()))),
        Value::ObjectId(o) => ObjectSyntax::Simple(Simple::ObjectId(to_oid(o)?)),
        Value::IpAddress(a) => ObjectSyntax::ApplicationWide(A::Address(IpAddress((*a).into()))),
        Value::Counter32(c) => ObjectSyntax::ApplicationWide(A::Counter(Counter(*c))),
        Value::Gauge32(g) => ObjectSyntax::ApplicationWide(A::Unsigned(Gauge(*g))),
        Value::TimeTicks(t) => ObjectSyntax::ApplicationWide(A::Ticks(TimeTicks(*t))),
        Value::Counter64(c) => ObjectSyntax::ApplicationWide(A::BigCounter(Counter64(*c))),
        Value::Opaque(b) => {
            // rasn-smi's Opaque has no public constructor: decode one.
            let mut tlv = vec![0x44];
            push_length(&mut tlv, b.len());
            tlv.extend_from_slice(b);
            let o = rasn::ber::decode(&tlv).map_err(|e| MessageError::Encode(first_line(&e)))?;
            ObjectSyntax::ApplicationWide(A::Arbitrary(o))
        }
    };
    Ok(VarBindValue::Value(s))
}

/// Append a BER definite length.
pub fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Encode a message.
pub fn encode(m: &Message) -> Result<Vec<u8>, MessageError> {
    let varbinds = m
        .pdu
        .varbinds
        .iter()
        .map(|vb| {
            Ok(v2::VarBind {
                name: to_oid(&vb.oid)?,
                value: match &vb.value {
                    VarValue::Value(v) => to_syntax(v)?,
                    VarValue::NoSuchObject => VarBindValue::NoSuchObject,
                    VarValue::NoSuchInstance => VarBindValue::NoSuchInstance,
                    VarValue::EndOfMibView => VarBindValue::EndOfMibView,
                },
            })
        })
        .collect::<Result<Vec<_>, MessageError>>()?;
    let p = &m.pdu;
    let pdu = v2::Pdu {
        request_id: p.request_id,
        error_status: p.error_status,
        error_index: p.error_index,
        variable_bindings: varbinds,
    };
    let data = match p.kind {
        PduKind::Get => Pdus::GetRequest(v2::GetRequest(pdu)),
        PduKind::GetNext => Pdus::GetNextRequest(v2::GetNextRequest(pdu)),
        PduKind::Response => Pdus::Response(v2::Response(pdu)),
        PduKind::Set => Pdus::SetRequest(v2::SetRequest(pdu)),
        PduKind::Inform => Pdus::InformRequest(v2::InformRequest(pdu)),
        PduKind::Trap => Pdus::Trap(v2::Trap(pdu)),
        PduKind::Report => Pdus::Report(v2::Report(pdu)),
        PduKind::GetBulk => Pdus::GetBulkRequest(v2::GetBulkRequest(v2::BulkPdu {
            request_id: pdu.request_id,
            non_repeaters: pdu.error_status,
            max_repetitions: pdu.error_index,
            variable_bindings: pdu.variable_bindings,
        })),
    };
    let msg = v2c::Message {
        version: Integer::from(m.version.wire()),
        community: OctetString::from(m.community.clone()),
        data,
    };
    rasn::ber::encode(&msg).map_err(|e| MessageError::Encode(first_line(&e)))
}
