//! SNMP over UDP: [`serve_snmp`] reads datagrams, has the sans-IO
//! [`Agent`] answer each against the one printer model, and sends the answer
//! through the datagram faults in force (drop, delay, duplicate, truncate).
//!
//! Every datagram the agent does not answer is logged (`tracing::debug`, with
//! the reason and the sender) and counted in the agent's RFC 3418 counters;
//! a malformed one never stops the loop.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::fault::datagram::{DatagramFault, DatagramFaults};
use crate::snmp::{Agent, AgentStats, Context, Verdict};

use super::server::Shared;
use crate::security::audit::AuditEvent;

/// The largest datagram read (UDP's limit).
const MAX_DATAGRAM: usize = 65_535;

/// A handle on a running agent: its counters, for tests and the control API.
#[derive(Clone, Debug)]
pub struct AgentHandle(pub Arc<Mutex<Agent>>);

impl AgentHandle {
    /// The agent's counters now.
    pub fn stats(&self) -> AgentStats {
        match self.0.lock() {
            Ok(a) => a.stats().clone(),
            Err(p) => p.into_inner().stats().clone(),
        }
    }

    /// Run `f` on the agent.
    pub fn with<R>(&self, f: impl FnOnce(&mut Agent) -> R) -> R {
        match self.0.lock() {
            Ok(mut a) => f(&mut a),
            Err(p) => f(&mut p.into_inner()),
        }
    }
}

/// Answer one datagram: the agent's verdict, against the model as it is now.
pub fn answer(shared: &Shared, agent: &AgentHandle, datagram: &[u8]) -> Verdict {
    let now = shared.now();
    let quirks = crate::snmp::quirks::from_active(&shared.faults.quirks());
    let mut p = shared.printer();
    shared.tick(&mut p, now);
    let mut ctx = Context {
        printer: &mut p,
        core: &shared.core,
        now,
        quirks,
    };
    let v = agent.with(|a| a.handle(datagram, &mut ctx));
    drop(p);
    // Only a Set can change when the model next wants waking (a supply
    // level, a tray); reads leave the clock driver asleep.
    if crate::snmp::message::peek_pdu_tag(datagram) == Some(0xa3) {
        shared.poke();
    }
    v
}

/// Serve SNMP on `socket` until `shutdown` turns true.
pub async fn serve_snmp(
    socket: UdpSocket,
    shared: Arc<Shared>,
    agent: AgentHandle,
    mut shutdown: watch::Receiver<bool>,
) {
    let socket = Arc::new(socket);
    let mut faults_rx = shared.faults.datagram_faults();
    let mut faults = datagram_faults(&shared, &faults_rx.borrow());
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let (n, from) = tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok(x) => x,
                Err(e) => {
                    // ICMP port unreachable from an earlier reply, and the like.
                    tracing::debug!("snmp: receive error: {e}");
                    continue;
                }
            },
            _ = faults_rx.changed() => {
                faults = datagram_faults(&shared, &faults_rx.borrow_and_update());
                continue;
            }
            _ = shutdown.changed() => return,
        };
        let Some(datagram) = buf.get(..n) else {
            continue;
        };
        if !shared.gate.spec.access.snmp.allows(from.ip()) {
            let mut e = AuditEvent::new("snmp", from, "refused");
            e.outcome = "refused".into();
            e.detail = format!("{} is not in the SNMP access list", from.ip());
            shared.audit(&e);
            continue;
        }
        let is_set = crate::snmp::message::peek_pdu_tag(datagram) == Some(0xa3);
        let verdict = answer(&shared, &agent, datagram);
        if is_set && shared.audit.is_some() {
            audit_set(&shared, from, datagram, &verdict);
        }
        match verdict {
            Verdict::Reply(bytes) => send(&socket, from, bytes, &mut faults).await,
            Verdict::Drop(why) => tracing::debug!(%from, "snmp: no answer: {why}"),
        }
    }
}

/// Log a SetRequest: which objects, and what became of it (the community
/// itself is never logged).
fn audit_set(shared: &Shared, from: SocketAddr, datagram: &[u8], verdict: &Verdict) {
    let mut e = AuditEvent::new("snmp", from, "set");
    e.operation = Some("SetRequest".into());
    e.class = Some("printer-admin");
    if let Ok(m) = crate::snmp::message::decode(datagram) {
        e.detail = m
            .pdu
            .varbinds
            .iter()
            .map(|v| v.oid.to_string())
            .collect::<Vec<_>>()
            .join(" ");
    }
    e.outcome = match verdict {
        Verdict::Reply(bytes) => match crate::snmp::message::decode(bytes) {
            Ok(m) if m.pdu.error_status == 0 => "accepted".into(),
            Ok(m) => format!("error-status {}", m.pdu.error_status),
            Err(_) => "answered".into(),
        },
        Verdict::Drop(why) => format!("dropped: {why}"),
    };
    shared.audit(&e);
}

fn datagram_faults(shared: &Shared, list: &Arc<[DatagramFault]>) -> DatagramFaults {
    DatagramFaults::new(list.to_vec(), shared.faults.next_connection_rng())
}

async fn send(
    socket: &Arc<UdpSocket>,
    to: SocketAddr,
    bytes: Vec<u8>,
    faults: &mut DatagramFaults,
) {
    let plan = if faults.faults().is_empty() {
        vec![(std::time::Duration::ZERO, bytes)]
    } else {
        faults.apply(&bytes)
    };
    for (after, b) in plan {
        if after.is_zero() {
            if let Err(e) = socket.send_to(&b, to).await {
                tracing::debug!(%to, "snmp: send failed: {e}");
            }
        } else {
            let s = socket.clone();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                if let Err(e) = s.send_to(&b, to).await {
                    tracing::debug!(%to, "snmp: send failed: {e}");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::Duration;

    use crate::fault::{Fault, FaultSource};
    use crate::net::{server, ServerConfig, TlsSource};
    use crate::profile::Profile;
    use crate::snmp::message::{self, Message, Pdu, PduKind, VarBind, Version};

    fn get_bytes(id: i32) -> Vec<u8> {
        message::encode(&Message {
            version: Version::V2c,
            community: b"public".to_vec(),
            pdu: Pdu {
                kind: PduKind::Get,
                request_id: id,
                error_status: 0,
                error_index: 0,
                varbinds: vec![VarBind::null("1.3.6.1.2.1.1.1.0".parse().unwrap())],
            },
        })
        .unwrap()
    }

    /// How many answers to one request arrive within `wait`.
    async fn answers(
        sock: &tokio::net::UdpSocket,
        to: std::net::SocketAddr,
        id: i32,
        wait: Duration,
    ) -> usize {
        sock.send_to(&get_bytes(id), to).await.unwrap();
        let mut n = 0;
        let mut buf = vec![0u8; 65_535];
        while let Ok(Ok((len, _))) = tokio::time::timeout(wait, sock.recv_from(&mut buf)).await {
            let m = message::decode(&buf[..len]).unwrap();
            assert_eq!(m.pdu.request_id, id);
            n += 1;
        }
        n
    }

    /// The datagram faults act on the agent's answers: dropped, doubled,
    /// and back to one once cleared — and the agent counts every request.
    #[tokio::test]
    async fn datagram_faults_act_on_answers() {
        let mut cfg = ServerConfig::new(std::sync::Arc::new(Profile::default_profile().unwrap()));
        cfg.ipp_port = 0;
        cfg.snmp_port = Some(0);
        cfg.tls = TlsSource::Off;
        let running = server::start(cfg).await.unwrap();
        let to = running.snmp_addr.unwrap();
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let wait = Duration::from_millis(300);
        assert_eq!(answers(&sock, to, 1, wait).await, 1);
        running
            .printer
            .raise_fault("drop".parse::<Fault>().unwrap(), FaultSource::Api, None);
        assert_eq!(answers(&sock, to, 2, wait).await, 0);
        running.printer.clear_fault("drop").unwrap();
        running.printer.raise_fault(
            "duplicate".parse::<Fault>().unwrap(),
            FaultSource::Api,
            None,
        );
        assert_eq!(answers(&sock, to, 3, wait).await, 2);
        running.printer.clear_fault("duplicate").unwrap();
        assert_eq!(answers(&sock, to, 4, wait).await, 1);
        let stats = running.snmp_agent.as_ref().unwrap().stats();
        assert_eq!(stats.in_pkts, 4);
        assert_eq!(
            stats.responses, 4,
            "the agent answered; the fault ate the answer"
        );
        running.shutdown(Duration::from_secs(1)).await;
    }
}
