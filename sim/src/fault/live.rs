//! The live registry of a printer's active faults: what the control API lists,
//! raises and clears, what the scenario engine drives, and what the network
//! layer reads (toxics through a watch channel, quirks as a snapshot).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::ipp::quirks::Quirk;
use crate::model::{Printer, SimTime};

use super::datagram::DatagramFault;
use super::{Fault, FaultError, PrinterEvent, SeededRng, Toxic, ToxicKind};

/// The toxics in force, each with the id of the fault that holds it.
pub type ToxicSet = Arc<[(u64, Toxic)]>;

/// Where a fault came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultSource {
    /// `serve --fault` / `--quirk`.
    Cli,
    /// The profile's `[faults]`.
    Profile,
    /// A scenario step.
    Scenario,
    /// The control API.
    Api,
}

/// One fault in force.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActiveFault {
    /// Its id, for `clear`.
    pub id: u64,
    /// The fault.
    #[serde(serialize_with = "ser_display")]
    pub fault: Fault,
    /// Its family.
    pub family: super::Family,
    /// Who raised it.
    pub source: FaultSource,
    /// When (simulated milliseconds since start).
    pub since_ms: u64,
    /// When it ends by itself, if it does.
    pub until_ms: Option<u64>,
}

fn ser_display<S: serde::Serializer>(f: &Fault, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(f)
}

#[derive(Debug)]
struct Inner {
    next_id: u64,
    active: Vec<ActiveFault>,
}

/// The faults of one printer.
#[derive(Debug)]
pub struct FaultState {
    seed: u64,
    inner: Mutex<Inner>,
    toxics: watch::Sender<ToxicSet>,
    datagrams: watch::Sender<Arc<[DatagramFault]>>,
    quirks: Mutex<Arc<[Quirk]>>,
    power: watch::Sender<u64>,
    connections: AtomicU64,
}

impl FaultState {
    /// No faults; random choices drawn from `seed`.
    pub fn new(seed: u64) -> FaultState {
        FaultState {
            seed,
            inner: Mutex::new(Inner {
                next_id: 1,
                active: Vec::new(),
            }),
            toxics: watch::channel(Arc::from(Vec::new())).0,
            datagrams: watch::channel(Arc::from(Vec::new())).0,
            quirks: Mutex::new(Arc::from(Vec::new())),
            power: watch::channel(0).0,
            connections: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Raise `fault` at `now`; it ends by itself at `until`, if given. Events
    /// change `printer` at once. Returns the entry (one-shot events are applied
    /// and reported but not kept, except a power cycle while it lasts).
    pub fn raise(
        &self,
        fault: Fault,
        source: FaultSource,
        printer: &mut Printer,
        now: SimTime,
        until: Option<SimTime>,
    ) -> ActiveFault {
        let mut until = until;
        if let Fault::Event(e) = &fault {
            e.raise(printer, now);
            if let PrinterEvent::PowerCycle { boot } = e {
                until = Some(now.after(*boot));
                self.power.send_modify(|g| *g += 1);
            }
        }
        let mut inner = self.lock();
        let entry = ActiveFault {
            id: inner.next_id,
            family: fault.family(),
            fault,
            source,
            since_ms: now.as_millis(),
            until_ms: until.map(SimTime::as_millis),
        };
        inner.next_id += 1;
        let keep = match &entry.fault {
            Fault::Event(e) => e.is_sticky() || matches!(e, PrinterEvent::PowerCycle { .. }),
            _ => true,
        };
        if keep {
            inner.active.push(entry.clone());
            self.publish(&inner);
        }
        entry
    }

    /// Clear every active fault matching `selector`: its id, its bare name
    /// (`latency`, `media-jam`) or its full spec.
    pub fn clear(
        &self,
        selector: &str,
        printer: &mut Printer,
        now: SimTime,
    ) -> Result<Vec<ActiveFault>, FaultError> {
        let sel = selector.trim();
        let id: Option<u64> = sel.parse().ok();
        let gone = self.remove_where(printer, now, |f| {
            Some(f.id) == id || f.fault.name() == sel || f.fault.to_string() == sel
        });
        if gone.is_empty() {
            return Err(FaultError::NotActive(sel.to_string()));
        }
        Ok(gone)
    }

    /// Clear everything.
    pub fn reset(&self, printer: &mut Printer, now: SimTime) -> Vec<ActiveFault> {
        self.remove_where(printer, now, |_| true)
    }

    /// End the faults whose time is up; returns them.
    pub fn expire(&self, printer: &mut Printer, now: SimTime) -> Vec<ActiveFault> {
        let t = now.as_millis();
        self.remove_where(printer, now, |f| f.until_ms.is_some_and(|u| u <= t))
    }

    /// When the next timed fault ends.
    pub fn next_deadline(&self) -> Option<SimTime> {
        self.lock()
            .active
            .iter()
            .filter_map(|f| f.until_ms)
            .min()
            .map(SimTime)
    }

    fn remove_where(
        &self,
        printer: &mut Printer,
        now: SimTime,
        pred: impl Fn(&ActiveFault) -> bool,
    ) -> Vec<ActiveFault> {
        let mut inner = self.lock();
        let (gone, kept): (Vec<_>, Vec<_>) = inner.active.drain(..).partition(|f| pred(f));
        inner.active = kept;
        // An event raised twice stays until its last entry goes.
        for f in &gone {
            if let Fault::Event(e) = &f.fault {
                let still = inner.active.iter().any(|o| o.fault == f.fault);
                if !still {
                    e.clear(printer, now);
                }
            }
        }
        if !gone.is_empty() {
            self.publish(&inner);
        }
        gone
    }

    /// Tell the network layer what is in force now.
    fn publish(&self, inner: &Inner) {
        fn pick<T>(inner: &Inner, f: impl Fn(&ActiveFault) -> Option<T>) -> Arc<[T]> {
            inner.active.iter().filter_map(f).collect()
        }
        self.toxics.send_replace(pick(inner, |f| match &f.fault {
            Fault::Toxic(t) => Some((f.id, *t)),
            _ => None,
        }));
        self.datagrams.send_replace(pick(inner, |f| match &f.fault {
            Fault::Datagram(d) => Some(*d),
            _ => None,
        }));
        let quirks = pick(inner, |f| match &f.fault {
            Fault::Quirk(q) => Some(*q),
            _ => None,
        });
        let mut q = match self.quirks.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        *q = quirks;
    }

    /// What is in force now.
    pub fn list(&self) -> Vec<ActiveFault> {
        self.lock().active.clone()
    }

    /// The quirks in force.
    pub fn quirks(&self) -> Arc<[Quirk]> {
        match self.quirks.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The toxics in force, and their changes.
    pub fn toxics(&self) -> watch::Receiver<ToxicSet> {
        self.toxics.subscribe()
    }

    /// The datagram faults in force, for UDP services, and their changes.
    pub fn datagram_faults(&self) -> watch::Receiver<Arc<[DatagramFault]>> {
        self.datagrams.subscribe()
    }

    /// Bumped at each power cycle: connections watch it and drop.
    pub fn power_cycles(&self) -> watch::Receiver<u64> {
        self.power.subscribe()
    }

    /// Whether the listener should refuse connections now: a `down` toxic or a
    /// power cycle in progress.
    pub fn is_down(&self) -> bool {
        self.lock().active.iter().any(|f| {
            matches!(
                f.fault,
                Fault::Toxic(Toxic {
                    kind: ToxicKind::Down,
                    ..
                }) | Fault::Event(PrinterEvent::PowerCycle { .. })
            )
        })
    }

    /// The random source of the next connection: connection `n` of a run
    /// always draws the same numbers.
    pub fn next_connection_rng(&self) -> SeededRng {
        let n = self.connections.fetch_add(1, Ordering::Relaxed);
        SeededRng::derive(self.seed, n)
    }
}
