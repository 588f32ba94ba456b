//! SNMP (v1 and v2c): the Printer MIB agent, as a sans-IO core over the printer model.
//!
//! [`Oid`] and [`Value`] are the data; [`message`] the PDUs and their BER;
//! [`mib`] an ordered view of object instances; [`printer_mib`] builds that
//! view from the one printer model; [`agent`] answers requests with it;
//! [`record`] reads and writes MIB dumps (`snmpwalk -On` output and snmpsim's
//! `.snmprec`).

pub mod agent;
pub mod import;
pub mod message;
pub mod mib;
pub mod oid;
pub mod printer_mib;
pub mod quirks;
pub mod record;
pub mod value;

pub use agent::{Agent, AgentConfig, AgentStats, Context, Dropped, Verdict};
pub use message::{Message, MessageError, Pdu, PduKind, VarBind, VarValue, Version};
pub use mib::{Access, Lookup, Mib};
pub use oid::{Oid, OidError};
pub use quirks::SnmpQuirks;
pub use value::Value;

#[cfg(test)]
mod tests;

/// Fuzz entry point (`fuzz/fuzz_targets/snmp_message.rs`): arbitrary bytes
/// as a datagram to the agent. Decoding never panics; what decodes encodes
/// back to something that decodes the same; the agent drops or answers it
/// (never panics), and what it answers is itself a valid Response.
pub fn fuzz_message(data: &[u8]) {
    use std::sync::Arc;
    if let Ok(m) = message::decode(data) {
        if let Ok(again) = message::encode(&m) {
            assert_eq!(
                message::decode(&again).ok(),
                Some(m.clone()),
                "re-encoding changed it"
            );
        }
    }
    let Ok(profile) = crate::profile::Profile::default_profile() else {
        return;
    };
    let profile = Arc::new(profile);
    let mut printer = crate::model::Printer::new(
        profile.clone(),
        crate::model::Clock::new(0),
        crate::model::Speed::Realtime,
    );
    let core = crate::ipp::IppCore::new(&profile);
    let mut agent = Agent::new(AgentConfig::from_profile(&profile, Default::default()));
    // Whatever the community, reach the PDU code: answer with ours.
    let input = match message::decode(data) {
        Ok(mut m) => {
            m.community = b"private".to_vec();
            message::encode(&m).unwrap_or_else(|_| data.to_vec())
        }
        Err(_) => data.to_vec(),
    };
    let mut ctx = Context {
        printer: &mut printer,
        core: &core,
        now: crate::model::SimTime(1000),
        quirks: SnmpQuirks::default(),
    };
    if let Verdict::Reply(out) = agent.handle(&input, &mut ctx) {
        let r = message::decode(&out);
        assert!(
            matches!(&r, Ok(m) if m.pdu.kind == PduKind::Response),
            "the agent's answer is not a Response: {r:?}"
        );
    }
}
