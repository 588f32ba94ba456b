//! Events the printer records as things happen, and the subscriptions that
//! read them (RFC 3995 subscriptions, RFC 3996 `ippget` pull delivery).
//!
//! The log is bounded: events older than `event_life` or beyond `capacity`
//! are dropped, so a subscriber that never reads costs nothing unbounded.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use super::clock::SimTime;

/// An event keyword (RFC 3995 §5.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `printer-state-changed`.
    PrinterStateChanged,
    /// `printer-stopped`.
    PrinterStopped,
    /// `printer-config-changed`.
    PrinterConfigChanged,
    /// `job-created`.
    JobCreated,
    /// `job-state-changed`.
    JobStateChanged,
    /// `job-completed`.
    JobCompleted,
    /// `job-progress`.
    JobProgress,
}

impl EventKind {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            EventKind::PrinterStateChanged => "printer-state-changed",
            EventKind::PrinterStopped => "printer-stopped",
            EventKind::PrinterConfigChanged => "printer-config-changed",
            EventKind::JobCreated => "job-created",
            EventKind::JobStateChanged => "job-state-changed",
            EventKind::JobCompleted => "job-completed",
            EventKind::JobProgress => "job-progress",
        }
    }

    /// From a keyword.
    pub fn from_keyword(k: &str) -> Option<EventKind> {
        Self::ALL.iter().copied().find(|e| e.keyword() == k)
    }

    /// Every kind.
    pub const ALL: [EventKind; 7] = [
        EventKind::PrinterStateChanged,
        EventKind::PrinterStopped,
        EventKind::PrinterConfigChanged,
        EventKind::JobCreated,
        EventKind::JobStateChanged,
        EventKind::JobCompleted,
        EventKind::JobProgress,
    ];

    /// Whether a subscription to `sub` receives this event (`job-state-changed`
    /// includes the more specific job events, RFC 3995 §5.3.3.4).
    pub fn matches(self, sub: EventKind) -> bool {
        self == sub
            || (sub == EventKind::JobStateChanged
                && matches!(self, EventKind::JobCreated | EventKind::JobCompleted))
            || (sub == EventKind::PrinterStateChanged && self == EventKind::PrinterStopped)
    }
}

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// When it happened.
    pub time: SimTime,
    /// What happened.
    pub kind: EventKind,
    /// The job, for job events.
    pub job: Option<u32>,
    /// A sentence for `notify-text`.
    pub text: String,
}

/// A subscription (RFC 3995 §5.3) with its queue of undelivered notifications.
#[derive(Clone, Debug)]
pub struct Subscription {
    /// `notify-subscription-id`.
    pub id: u32,
    /// `notify-events`.
    pub events: Vec<EventKind>,
    /// `notify-job-id`: only this job's events.
    pub job: Option<u32>,
    /// `notify-subscriber-user-name`.
    pub user: String,
    /// `notify-user-data`.
    pub user_data: Vec<u8>,
    /// Lease in seconds (0 = no expiry).
    pub lease: u32,
    /// When the lease runs out.
    pub expires: Option<SimTime>,
    /// When it was created.
    pub created: SimTime,
    /// Notifications, each with its `notify-sequence-number` (1, 2, 3… per subscription).
    pub queue: VecDeque<(u32, Event)>,
    /// The sequence number the next notification gets.
    pub next_seq: u32,
}

impl Subscription {
    /// A subscription to `events`, for `job` if given, held by `user`.
    pub fn new(events: Vec<EventKind>, job: Option<u32>, user: &str, lease: u32) -> Subscription {
        Subscription {
            id: 0,
            events,
            job,
            user: user.to_string(),
            user_data: Vec::new(),
            lease,
            expires: None,
            created: SimTime::ZERO,
            queue: VecDeque::new(),
            next_seq: 1,
        }
    }
}

/// The subscriptions and what each has not yet fetched, bounded in time and count.
#[derive(Debug)]
pub struct EventLog {
    subs: BTreeMap<u32, Subscription>,
    next_sub: u32,
    /// How long notifications are kept (`ippget-event-life`).
    pub event_life: Duration,
    /// Most notifications kept per subscription (`notify-max-events-supported`).
    pub capacity: usize,
    /// Most subscriptions at once.
    pub max_subscriptions: usize,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog {
            subs: BTreeMap::new(),
            next_sub: 1,
            event_life: Duration::from_secs(60),
            capacity: 100,
            max_subscriptions: 1000,
        }
    }
}

impl EventLog {
    /// Record an event: every subscription that wants it queues it.
    pub fn push(&mut self, now: SimTime, kind: EventKind, job: Option<u32>, text: String) {
        let event = Event {
            time: now,
            kind,
            job,
            text,
        };
        for s in self.subs.values_mut() {
            if s.events.iter().any(|k| kind.matches(*k)) && (s.job.is_none() || s.job == job) {
                s.queue.push_back((s.next_seq, event.clone()));
                s.next_seq = s.next_seq.wrapping_add(1).max(1);
                while s.queue.len() > self.capacity {
                    s.queue.pop_front();
                }
            }
        }
    }

    /// Drop old notifications and expired subscriptions.
    pub fn expire(&mut self, now: SimTime) {
        let life = self.event_life;
        self.subs.retain(|_, s| s.expires.is_none_or(|t| t > now));
        for s in self.subs.values_mut() {
            while s
                .queue
                .front()
                .is_some_and(|(_, e)| e.time.after(life) < now)
            {
                s.queue.pop_front();
            }
        }
    }

    /// Add a subscription; returns its id, or `None` when the table is full.
    pub fn subscribe(&mut self, mut s: Subscription, now: SimTime) -> Option<u32> {
        if self.subs.len() >= self.max_subscriptions {
            return None;
        }
        let id = self.next_sub;
        self.next_sub = self.next_sub.wrapping_add(1).max(1);
        s.id = id;
        s.created = now;
        s.expires = if s.lease == 0 {
            None
        } else {
            Some(now.after(Duration::from_secs(u64::from(s.lease))))
        };
        self.subs.insert(id, s);
        Some(id)
    }

    /// A subscription.
    pub fn subscription(&self, id: u32) -> Option<&Subscription> {
        self.subs.get(&id)
    }

    /// All subscriptions.
    pub fn subscriptions(&self) -> impl Iterator<Item = &Subscription> {
        self.subs.values()
    }

    /// Renew a lease.
    pub fn renew(&mut self, id: u32, lease: u32, now: SimTime) -> bool {
        match self.subs.get_mut(&id) {
            Some(s) => {
                s.lease = lease;
                s.expires = if lease == 0 {
                    None
                } else {
                    Some(now.after(Duration::from_secs(u64::from(lease))))
                };
                true
            }
            None => false,
        }
    }

    /// Cancel a subscription.
    pub fn cancel(&mut self, id: u32) -> bool {
        self.subs.remove(&id).is_some()
    }

    /// A job finished: its job subscriptions end once its last notifications
    /// have had `event_life` to be fetched (RFC 3995 §5.3.4).
    pub fn job_finished(&mut self, job: u32, now: SimTime) {
        let until = now.after(self.event_life);
        for s in self.subs.values_mut() {
            if s.job == Some(job) {
                s.expires = Some(s.expires.map_or(until, |e| e.min(until)));
            }
        }
    }

    /// Notifications of subscription `id` numbered `from` and later.
    pub fn notifications(&self, id: u32, from: u32) -> Vec<&(u32, Event)> {
        self.subs
            .get(&id)
            .map(|s| s.queue.iter().filter(|(n, _)| *n >= from).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_sees_only_its_events_numbered_from_one() {
        let mut log = EventLog::default();
        log.push(SimTime(0), EventKind::JobCreated, Some(1), "before".into());
        let id = log
            .subscribe(
                Subscription::new(vec![EventKind::JobCompleted], None, "u", 60),
                SimTime(0),
            )
            .unwrap();
        log.push(SimTime(1), EventKind::JobCreated, Some(2), "c".into());
        log.push(SimTime(2), EventKind::JobCompleted, Some(2), "d".into());
        let ev = log.notifications(id, 1);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].0, 1);
        assert_eq!(ev[0].1.kind, EventKind::JobCompleted);
        log.expire(SimTime(61_000));
        assert!(log.subscription(id).is_none());
    }

    #[test]
    fn job_state_changed_covers_created_and_completed() {
        let mut log = EventLog::default();
        let id = log
            .subscribe(
                Subscription::new(vec![EventKind::JobStateChanged], Some(7), "u", 0),
                SimTime(0),
            )
            .unwrap();
        log.push(SimTime(1), EventKind::JobCreated, Some(7), "c".into());
        log.push(
            SimTime(1),
            EventKind::JobCreated,
            Some(8),
            "other job".into(),
        );
        log.push(SimTime(2), EventKind::JobCompleted, Some(7), "d".into());
        assert_eq!(log.notifications(id, 1).len(), 2);
        assert_eq!(log.notifications(id, 2).len(), 1);
    }
}
