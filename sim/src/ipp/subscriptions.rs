//! Event subscriptions (RFC 3995) delivered by `ippget` pull (RFC 3996):
//! Create-Printer-Subscriptions, Create-Job-Subscriptions,
//! Get-Subscription-Attributes, Get-Subscriptions, Renew-Subscription,
//! Cancel-Subscription and Get-Notifications.

use crate::model::{EventKind, Printer, SimTime, Subscription};
use crate::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value};

use super::attributes::Endpoint;
use super::codes::{Operation, Status};
use super::request::{Checked, Rejection, Target};
use super::service::{response, IppCore};
use super::values::*;

/// Default lease, seconds (`notify-lease-duration-default`).
pub const DEFAULT_LEASE: u32 = 86_400;
/// Longest lease, seconds (`notify-lease-duration-supported` upper bound).
pub const MAX_LEASE: u32 = 67_108_863;
/// Seconds a client should wait between Get-Notifications.
pub const GET_INTERVAL: i32 = 10;

fn subscription_attributes(p: &Printer, s: &Subscription, ep: &Endpoint) -> Vec<Attribute> {
    let mut a = vec![
        integer("notify-subscription-id", clamp_i32(s.id)),
        uri("notify-printer-uri", &ep.printer_uri(ep.scheme())),
        keywords(
            "notify-events",
            &s.events.iter().map(|e| e.keyword()).collect::<Vec<_>>(),
        ),
        keyword("notify-pull-method", "ippget"),
        name("notify-subscriber-user-name", &s.user),
        integer("notify-lease-duration", clamp_i32(s.lease)),
        integer(
            "notify-sequence-number",
            clamp_i32(s.next_seq.saturating_sub(1)),
        ),
        integer("printer-up-time", p.up_time()),
    ];
    if let Some(j) = s.job {
        a.push(integer("notify-job-id", clamp_i32(j)));
    }
    if !s.user_data.is_empty() {
        a.push(Attribute::new(
            "notify-user-data",
            Value::OctetString(s.user_data.clone()),
        ));
    }
    a
}

impl IppCore {
    /// Subscription operations.
    pub(crate) fn subscriptions(
        &self,
        op: Operation,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
        ep: &Endpoint,
        now: SimTime,
    ) -> Result<Message, Rejection> {
        p.events.expire(now);
        let sub_id = || match c.op_value("notify-subscription-id") {
            Some(Value::Integer(n)) if *n > 0 => Ok(*n as u32),
            _ => Err(Rejection::new(
                Status::BadRequest,
                format!("{op} needs notify-subscription-id (RFC 3995)"),
            )),
        };
        match op {
            Operation::CreatePrinterSubscriptions | Operation::CreateJobSubscriptions => {
                self.create_subscriptions(op, p, req, c, now)
            }
            Operation::GetSubscriptionAttributes => {
                let id = sub_id()?;
                let s = p.events.subscription(id).ok_or_else(|| {
                    Rejection::new(
                        Status::NotFound,
                        format!("subscription {id} does not exist"),
                    )
                })?;
                let mut m = response(req.version, Status::Ok, req.request_id, "OK");
                m.groups.push(Group {
                    tag: DelimiterTag::SubscriptionAttributes,
                    attributes: subscription_attributes(p, s, ep),
                });
                Ok(m)
            }
            Operation::GetSubscriptions => {
                let job = match c.op_value("notify-job-id") {
                    Some(Value::Integer(n)) => Some(*n as u32),
                    _ => None,
                };
                let mine = matches!(c.op_value("my-subscriptions"), Some(Value::Boolean(true)));
                let limit = match c.op_value("limit") {
                    Some(Value::Integer(n)) if *n > 0 => *n as usize,
                    _ => usize::MAX,
                };
                let mut m = response(req.version, Status::Ok, req.request_id, "OK");
                for s in p
                    .events
                    .subscriptions()
                    .filter(|s| s.job == job)
                    .filter(|s| !mine || s.user == c.user)
                    .take(limit)
                {
                    m.groups.push(Group {
                        tag: DelimiterTag::SubscriptionAttributes,
                        attributes: subscription_attributes(p, s, ep),
                    });
                }
                Ok(m)
            }
            Operation::RenewSubscription => {
                let id = sub_id()?;
                if p.events.subscription(id).is_some_and(|s| s.job.is_some()) {
                    return Err(Rejection::new(Status::NotPossible, "job subscriptions end with their job and cannot be renewed (RFC 3995 §11.2.6)"));
                }
                let lease = match c.op_value("notify-lease-duration") {
                    Some(Value::Integer(n)) if *n >= 0 => (*n as u32).min(MAX_LEASE),
                    None => DEFAULT_LEASE,
                    Some(_) => {
                        return Err(Rejection::new(
                            Status::BadRequest,
                            "notify-lease-duration must be an integer of 0 or more",
                        ))
                    }
                };
                if !p.events.renew(id, lease, now) {
                    return Err(Rejection::new(
                        Status::NotFound,
                        format!("subscription {id} does not exist"),
                    ));
                }
                let mut m = response(
                    req.version,
                    Status::Ok,
                    req.request_id,
                    "Subscription renewed",
                );
                m.groups[0]
                    .attributes
                    .push(integer("notify-lease-duration", clamp_i32(lease)));
                Ok(m)
            }
            Operation::CancelSubscription => {
                let id = sub_id()?;
                if !p.events.cancel(id) {
                    return Err(Rejection::new(
                        Status::NotFound,
                        format!("subscription {id} does not exist"),
                    ));
                }
                Ok(response(
                    req.version,
                    Status::Ok,
                    req.request_id,
                    "Subscription canceled",
                ))
            }
            Operation::GetNotifications => self.get_notifications(p, req, c, ep),
            other => Err(Rejection::new(
                Status::OperationNotSupported,
                format!("operation {other} is not supported"),
            )),
        }
    }

    fn create_subscriptions(
        &self,
        op: Operation,
        p: &mut Printer,
        req: &Message,
        c: &Checked<'_>,
        now: SimTime,
    ) -> Result<Message, Rejection> {
        let job_from_target = match c.target {
            Target::Job(id) => Some(id),
            _ => None,
        };
        let groups: Vec<&Group> = req
            .groups
            .iter()
            .filter(|g| g.tag == DelimiterTag::SubscriptionAttributes)
            .collect();
        if groups.is_empty() {
            return Err(Rejection::new(
                Status::BadRequest,
                format!("{op} needs at least one subscription attributes group (RFC 3995 §11.1)"),
            ));
        }
        let mut m = response(req.version, Status::Ok, req.request_id, "OK");
        let mut any_ok = false;
        let mut refused: Vec<Attribute> = Vec::new();
        for g in groups {
            let mut out = Vec::new();
            let mut failed: Option<(Status, Attribute)> = None;
            let mut events = vec![EventKind::JobCompleted];
            let mut lease = if op == Operation::CreateJobSubscriptions {
                0
            } else {
                DEFAULT_LEASE
            };
            let mut job = job_from_target;
            let mut user_data = Vec::new();
            for a in &g.attributes {
                match a.name.as_str() {
                    "notify-pull-method" => {
                        if a.values.first().and_then(Value::as_str) != Some("ippget") {
                            failed = Some((Status::AttributesOrValuesNotSupported, a.clone()));
                        }
                    }
                    "notify-recipient-uri" => {
                        failed = Some((Status::UriSchemeNotSupported, a.clone()))
                    }
                    "notify-events" => {
                        let mut ev = Vec::new();
                        for v in &a.values {
                            match v.as_str().and_then(EventKind::from_keyword) {
                                Some(k) => ev.push(k),
                                None => {
                                    failed =
                                        Some((Status::AttributesOrValuesNotSupported, a.clone()))
                                }
                            }
                        }
                        events = ev;
                    }
                    "notify-lease-duration" => match a.values.first() {
                        Some(Value::Integer(n))
                            if *n >= 0 && op == Operation::CreatePrinterSubscriptions =>
                        {
                            lease = (*n as u32).min(MAX_LEASE)
                        }
                        _ => failed = Some((Status::AttributesOrValuesNotSupported, a.clone())),
                    },
                    "notify-job-id" => match a.values.first() {
                        Some(Value::Integer(n)) if *n > 0 => job = Some(*n as u32),
                        _ => failed = Some((Status::BadRequest, a.clone())),
                    },
                    "notify-user-data" => match a.values.first() {
                        Some(Value::OctetString(b)) if b.len() <= 63 => user_data = b.clone(),
                        _ => failed = Some((Status::RequestValueTooLong, a.clone())),
                    },
                    "notify-charset" | "notify-natural-language" | "notify-time-interval" => {}
                    _ => failed = Some((Status::AttributesOrValuesNotSupported, a.clone())),
                }
            }
            if op == Operation::CreateJobSubscriptions {
                match job {
                    Some(j) if p.job(j).is_some() => {}
                    Some(j) => {
                        failed = Some((Status::NotFound, integer("notify-job-id", clamp_i32(j))))
                    }
                    None => failed = Some((Status::BadRequest, integer("notify-job-id", 0))),
                }
            } else {
                job = None;
            }
            if !g.attributes.iter().any(|a| a.name == "notify-pull-method") && failed.is_none() {
                failed = Some((Status::BadRequest, keyword("notify-pull-method", "ippget")));
            }
            match failed {
                Some((status, attr)) => {
                    out.push(Attribute::new(
                        "notify-status-code",
                        Value::Enum(i32::from(status.raw())),
                    ));
                    refused.push(attr);
                }
                None => {
                    let mut s = Subscription::new(events, job, &c.user, lease);
                    s.user_data = user_data;
                    match p.events.subscribe(s, now) {
                        Some(id) => {
                            out.push(integer("notify-subscription-id", clamp_i32(id)));
                            if lease > 0 {
                                out.push(integer("notify-lease-duration", clamp_i32(lease)));
                            }
                            any_ok = true;
                        }
                        None => out.push(Attribute::new(
                            "notify-status-code",
                            Value::Enum(i32::from(Status::TemporaryError.raw())),
                        )),
                    }
                }
            }
            m.groups.push(Group {
                tag: DelimiterTag::SubscriptionAttributes,
                attributes: out,
            });
        }
        if !refused.is_empty() {
            // The attributes that made a group fail (RFC 3995 §11.1.5).
            m.groups.insert(
                1,
                Group {
                    tag: DelimiterTag::UnsupportedAttributes,
                    attributes: refused,
                },
            );
        }
        if !any_ok {
            m.code = Status::AttributesOrValuesNotSupported.raw();
            m.groups[0].attributes[2] = text(
                "status-message",
                "no subscription could be created; see notify-status-code in each group",
            );
        }
        Ok(m)
    }

    fn get_notifications(
        &self,
        p: &Printer,
        req: &Message,
        c: &Checked<'_>,
        ep: &Endpoint,
    ) -> Result<Message, Rejection> {
        let ids: Vec<u32> = c
            .ops
            .get("notify-subscription-ids")
            .map(|a| {
                a.values
                    .iter()
                    .filter_map(Value::as_i32)
                    .filter(|v| *v > 0)
                    .map(|v| v as u32)
                    .collect()
            })
            .unwrap_or_default();
        if ids.is_empty() {
            return Err(Rejection::new(
                Status::BadRequest,
                "Get-Notifications needs notify-subscription-ids (RFC 3996 §5.2)",
            ));
        }
        let seqs: Vec<u32> = c
            .ops
            .get("notify-sequence-numbers")
            .map(|a| {
                a.values
                    .iter()
                    .filter_map(Value::as_i32)
                    .map(|v| v.max(1) as u32)
                    .collect()
            })
            .unwrap_or_default();
        for id in &ids {
            if p.events.subscription(*id).is_none() {
                return Err(Rejection::new(
                    Status::NotFound,
                    format!("subscription {id} does not exist"),
                ));
            }
        }
        let mut m = response(req.version, Status::Ok, req.request_id, "OK");
        m.groups[0]
            .attributes
            .push(integer("notify-get-interval", GET_INTERVAL));
        m.groups[0]
            .attributes
            .push(integer("printer-up-time", p.up_time()));
        for (i, id) in ids.iter().enumerate() {
            let from = seqs.get(i).copied().unwrap_or(1);
            let Some(s) = p.events.subscription(*id) else {
                continue;
            };
            for (seq, e) in p.events.notifications(*id, from) {
                let mut a = vec![
                    Attribute::new("notify-charset", Value::Charset("utf-8".into())),
                    Attribute::new(
                        "notify-natural-language",
                        Value::NaturalLanguage("en".into()),
                    ),
                    integer("notify-subscription-id", clamp_i32(*id)),
                    uri("notify-printer-uri", &ep.printer_uri(ep.scheme())),
                    integer("notify-sequence-number", clamp_i32(*seq)),
                    keyword("notify-subscribed-event", e.kind.keyword()),
                    text("notify-text", &e.text),
                    integer("printer-up-time", clamp_i32(e.time.as_secs()).max(1)),
                    date_time("printer-current-time", p.clock.unix_ms(e.time)),
                    enumeration("printer-state", p.state().ipp_enum()),
                    keywords("printer-state-reasons", &p.state_reasons()),
                    boolean("printer-is-accepting-jobs", p.is_accepting_jobs()),
                ];
                if !s.user_data.is_empty() {
                    a.push(Attribute::new(
                        "notify-user-data",
                        Value::OctetString(s.user_data.clone()),
                    ));
                }
                if let Some(j) = e.job.and_then(|j| p.job(j)) {
                    a.push(integer("notify-job-id", clamp_i32(j.id)));
                    a.push(enumeration("job-state", j.state.ipp_enum()));
                    a.push(keywords(
                        "job-state-reasons",
                        &if j.reasons.is_empty() {
                            vec!["none".to_string()]
                        } else {
                            j.reasons.clone()
                        },
                    ));
                    a.push(integer(
                        "job-impressions-completed",
                        clamp_i32(j.impressions_completed),
                    ));
                }
                m.groups.push(Group {
                    tag: DelimiterTag::EventNotificationAttributes,
                    attributes: a,
                });
            }
        }
        Ok(m)
    }
}
