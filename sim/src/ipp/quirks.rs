//! Built-in misbehaviour of the IPP responder: the negative controls that
//! prove the grader flags what it should. Each quirk breaks one rule of RFC
//! 8010/8011 in the response, optionally only for one operation. (The fault
//! machinery of a later issue generalises this.)

use std::fmt;
use std::str::FromStr;

use crate::wire::ipp::{DelimiterTag, WireError};

use super::service::Response;

use super::codes::Operation;

/// One kind of misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuirkKind {
    /// The response's request-id is not the request's (RFC 8011 §4.1.1).
    WrongRequestId,
    /// The response is IPP/1.0 whatever the request's version (RFC 8011 §4.1.8).
    WrongVersion,
    /// `printer-uri-supported` is left out of printer attributes (RFC 8011 §5.4.1).
    MissingRequiredAttribute,
    /// attributes-natural-language comes before attributes-charset (RFC 8011 §4.1.4).
    ReorderedOperationGroup,
    /// The end-of-attributes tag is dropped (RFC 8010 §3.1.1).
    DroppedEndTag,
}

impl QuirkKind {
    /// Every quirk.
    pub const ALL: [QuirkKind; 5] = [
        QuirkKind::WrongRequestId,
        QuirkKind::WrongVersion,
        QuirkKind::MissingRequiredAttribute,
        QuirkKind::ReorderedOperationGroup,
        QuirkKind::DroppedEndTag,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            QuirkKind::WrongRequestId => "wrong-request-id",
            QuirkKind::WrongVersion => "wrong-version",
            QuirkKind::MissingRequiredAttribute => "missing-required-attribute",
            QuirkKind::ReorderedOperationGroup => "reordered-operation-group",
            QuirkKind::DroppedEndTag => "dropped-end-tag",
        }
    }
}

/// A quirk, for every operation or for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirk {
    /// What goes wrong.
    pub kind: QuirkKind,
    /// Only responses to this operation misbehave.
    pub only: Option<Operation>,
}

/// A quirk name that is not known.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum QuirkError {
    /// Unknown quirk.
    #[error("unknown quirk '{0}'; known: wrong-request-id, wrong-version, missing-required-attribute, reordered-operation-group, dropped-end-tag")]
    Unknown(String),
    /// Unknown operation after `@`.
    #[error("unknown operation '{0}' after @ (use an IPP operation name such as Get-Jobs)")]
    UnknownOperation(String),
}

impl FromStr for Quirk {
    type Err = QuirkError;
    /// `NAME` or `NAME@Operation-Name`.
    fn from_str(s: &str) -> Result<Quirk, QuirkError> {
        let (name, op) = match s.split_once('@') {
            Some((n, o)) => (n, Some(o)),
            None => (s, None),
        };
        let kind = QuirkKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| QuirkError::Unknown(name.to_string()))?;
        let only = match op {
            None => None,
            Some(o) => Some(
                (0..=0x100u16)
                    .map(Operation::from_raw)
                    .find(|x| x.name() == Some(o))
                    .ok_or_else(|| QuirkError::UnknownOperation(o.to_string()))?,
            ),
        };
        Ok(Quirk { kind, only })
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.only {
            Some(op) => write!(f, "{}@{op}", self.kind.name()),
            None => f.write_str(self.kind.name()),
        }
    }
}

/// Encode `response` to the request `op`, with every applicable quirk applied.
pub fn encode(response: &Response, op: Operation, quirks: &[Quirk]) -> Result<Vec<u8>, WireError> {
    let active: Vec<QuirkKind> = quirks
        .iter()
        .filter(|q| q.only.is_none_or(|o| o == op))
        .map(|q| q.kind)
        .collect();
    if active.is_empty() {
        return response.to_bytes();
    }
    // The attribute to drop may be among the pre-encoded ones: work on the whole message then.
    let mut r = if active.contains(&QuirkKind::MissingRequiredAttribute) {
        Response::new(response.clone().into_message())
    } else {
        response.clone()
    };
    for k in &active {
        match k {
            QuirkKind::WrongRequestId => {
                r.message.request_id = r.message.request_id.wrapping_add(1).max(1)
            }
            QuirkKind::WrongVersion => r.message.version = (1, 0),
            QuirkKind::MissingRequiredAttribute => {
                for g in r
                    .message
                    .groups
                    .iter_mut()
                    .filter(|g| g.tag == DelimiterTag::PrinterAttributes)
                {
                    g.attributes.retain(|a| a.name != "printer-uri-supported");
                }
            }
            QuirkKind::ReorderedOperationGroup => {
                if let Some(g) = r.message.groups.first_mut() {
                    if g.attributes.len() >= 2 {
                        g.attributes.swap(0, 1);
                    }
                }
            }
            QuirkKind::DroppedEndTag => {}
        }
    }
    r.encode_with(&r.message, !active.contains(&QuirkKind::DroppedEndTag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipp::{response, Status};
    use crate::wire::ipp::Message;

    #[test]
    fn names_parse() {
        assert_eq!(
            "wrong-version".parse::<Quirk>(),
            Ok(Quirk {
                kind: QuirkKind::WrongVersion,
                only: None
            })
        );
        assert_eq!(
            "dropped-end-tag@Get-Jobs".parse::<Quirk>(),
            Ok(Quirk {
                kind: QuirkKind::DroppedEndTag,
                only: Some(Operation::GetJobs)
            })
        );
        assert!("nope".parse::<Quirk>().is_err());
        assert!("wrong-version@Nope".parse::<Quirk>().is_err());
        for k in QuirkKind::ALL {
            assert_eq!(k.name().parse::<Quirk>().map(|q| q.kind), Ok(k));
        }
    }

    #[test]
    fn each_quirk_breaks_its_rule() {
        let msg = response((2, 0), Status::Ok, 7, "OK");
        let m = Response::new(msg.clone());
        let clean = encode(&m, Operation::GetJobs, &[]).unwrap();
        assert_eq!(clean, msg.to_bytes().unwrap());
        let q = |s: &str| vec![s.parse::<Quirk>().unwrap()];
        let b = encode(&m, Operation::GetJobs, &q("wrong-request-id")).unwrap();
        assert_eq!(&b[4..8], &8u32.to_be_bytes());
        let b = encode(&m, Operation::GetJobs, &q("wrong-version")).unwrap();
        assert_eq!(&b[..2], &[1, 0]);
        let b = encode(&m, Operation::GetJobs, &q("dropped-end-tag")).unwrap();
        assert!(Message::parse(&b).is_err());
        let b = encode(
            &m,
            Operation::GetPrinterAttributes,
            &q("dropped-end-tag@Get-Jobs"),
        )
        .unwrap();
        assert!(Message::parse(&b).is_ok());
        let b = encode(&m, Operation::GetJobs, &q("reordered-operation-group")).unwrap();
        let (p, _) = Message::parse(&b).unwrap();
        assert_eq!(
            p.groups[0].attributes[0].name,
            "attributes-natural-language"
        );
    }
}
