//! `05 Queue SP Agent SP List LF` (RFC 1179 §5.5): remove jobs, honouring
//! who asks. The agent may remove its own jobs (those whose
//! `job-originating-user-name` is the agent); `root` may remove any. The list
//! holds job numbers (the model's `job-id`s, as listings show them) and user
//! names; `-` (or BSD's `-all`) means every job of the agent (every job for
//! `root`); an empty list means the agent's first job in the queue, as BSD
//! `lprm` with no argument. Jobs are canceled through the model
//! ([`Printer::cancel_job`]), so IPP sees them canceled too.
//!
//! The answer is text, one line per job or refusal, as BSD `lpd` answers
//! `lprm`:
//!
//! ```text
//! job 3 dequeued
//! job 4: permission denied (owned by bob)
//! ```

use crate::model::{Printer, SimTime};

use super::listing;

/// The user who may remove anyone's jobs.
pub const SUPERUSER: &str = "root";

/// One item of the list, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// No list: the agent's first job.
    First,
    /// `-` or `-all`: every job of the agent (every job for `root`).
    All,
    /// A job number.
    Job(u32),
    /// A user's jobs.
    User(String),
}

/// Read the list of a remove command.
pub fn targets(list: &[String]) -> Vec<Target> {
    if list.is_empty() {
        return vec![Target::First];
    }
    list.iter()
        .map(|item| match item.as_str() {
            "-" | "-all" => Target::All,
            s => match s.parse::<u32>() {
                Ok(n) => Target::Job(n),
                Err(_) => Target::User(s.to_string()),
            },
        })
        .collect()
}

/// What happens to one job or one item of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The job is removed.
    Remove {
        /// The job.
        job: u32,
    },
    /// The job belongs to someone else and the agent is not `root`.
    NotOwner {
        /// The job.
        job: u32,
        /// Whose it is.
        owner: String,
    },
    /// No job with that number waits or prints.
    NoSuchJob {
        /// The number asked for.
        job: u32,
    },
    /// The agent asked for another user's jobs and is not `root`.
    OtherUser {
        /// The user named.
        user: String,
    },
    /// Nothing of the agent's is in the queue.
    NothingToRemove,
}

/// Decide, without changing anything, what `agent` removing `list` does.
pub fn plan(p: &Printer, agent: &str, list: &[String]) -> Vec<Decision> {
    let root = agent == SUPERUSER;
    let queue = listing::queue(p);
    let mine = |user: &str| root || user == agent;
    let mut out: Vec<Decision> = Vec::new();
    let push = |d: Decision, out: &mut Vec<Decision>| {
        if !out.contains(&d) {
            out.push(d);
        }
    };
    for t in targets(list) {
        match t {
            Target::First => {
                if let Some((j, _)) = queue.iter().find(|(j, _)| mine(&j.spec.user)) {
                    push(Decision::Remove { job: j.id }, &mut out);
                }
            }
            Target::All => {
                for (j, _) in queue.iter().filter(|(j, _)| mine(&j.spec.user)) {
                    push(Decision::Remove { job: j.id }, &mut out);
                }
            }
            Target::Job(n) => match queue.iter().find(|(j, _)| j.id == n) {
                Some((j, _)) if mine(&j.spec.user) => {
                    push(Decision::Remove { job: n }, &mut out);
                }
                Some((j, _)) => push(
                    Decision::NotOwner {
                        job: n,
                        owner: j.spec.user.clone(),
                    },
                    &mut out,
                ),
                None => push(Decision::NoSuchJob { job: n }, &mut out),
            },
            Target::User(u) => {
                if !root && u != agent {
                    push(Decision::OtherUser { user: u }, &mut out);
                } else {
                    for (j, _) in queue.iter().filter(|(j, _)| j.spec.user == u) {
                        push(Decision::Remove { job: j.id }, &mut out);
                    }
                }
            }
        }
    }
    if out.is_empty() {
        out.push(Decision::NothingToRemove);
    }
    out
}

/// Carry out `agent`'s removal of `list` at `now`; the answer's lines.
pub fn apply(p: &mut Printer, agent: &str, list: &[String], now: SimTime) -> Vec<String> {
    plan(p, agent, list)
        .into_iter()
        .map(|d| match d {
            Decision::Remove { job } => match p.cancel_job(job, agent, now) {
                Ok(()) => format!("job {job} dequeued"),
                Err(e) => format!("job {job}: {e}"),
            },
            Decision::NotOwner { job, owner } => {
                format!("job {job}: permission denied (owned by {owner})")
            }
            Decision::NoSuchJob { job } => format!("job {job}: no such job in the queue"),
            Decision::OtherUser { user } => {
                format!("{user}: permission denied (only {SUPERUSER} removes others' jobs)")
            }
            Decision::NothingToRemove => format!("{agent}: no jobs to remove"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use super::*;
    use crate::model::{Clock, JobState, NewJob, Speed};
    use crate::profile::Profile;

    fn printer_with(users: &[&str]) -> Printer {
        let profile = Arc::new(Profile::default_profile().unwrap());
        let mut p = Printer::new(profile, Clock::new(0), Speed::Realtime);
        p.pause(SimTime::ZERO);
        for u in users {
            p.create_job(
                NewJob {
                    name: format!("{u}'s job"),
                    user: (*u).to_string(),
                    copies: 1,
                    priority: 50,
                    ..Default::default()
                },
                SimTime::ZERO,
            );
        }
        p
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn owner_removes_own_job_not_others() {
        let mut p = printer_with(&["alice", "bob", "alice"]);
        assert_eq!(
            apply(&mut p, "alice", &s(&["1", "2"]), SimTime(1)),
            s(&["job 1 dequeued", "job 2: permission denied (owned by bob)"])
        );
        assert_eq!(p.job(1).unwrap().state, JobState::Canceled);
        assert_eq!(p.job(2).unwrap().state, JobState::Pending);
        assert_eq!(p.job(3).unwrap().state, JobState::Pending);
        assert_eq!(p.job(1).unwrap().message, "Canceled by alice");
    }

    #[test]
    fn root_removes_anything() {
        let mut p = printer_with(&["alice", "bob"]);
        assert_eq!(
            apply(&mut p, "root", &s(&["2"]), SimTime(1)),
            s(&["job 2 dequeued"])
        );
        assert_eq!(
            apply(&mut p, "root", &s(&["-"]), SimTime(1)),
            s(&["job 1 dequeued"])
        );
        assert_eq!(
            apply(&mut p, "root", &[], SimTime(1)),
            s(&["root: no jobs to remove"])
        );
    }

    #[test]
    fn dash_and_user_names() {
        let mut p = printer_with(&["alice", "bob", "alice"]);
        assert_eq!(
            plan(&p, "alice", &s(&["-"])),
            vec![Decision::Remove { job: 1 }, Decision::Remove { job: 3 }]
        );
        assert_eq!(
            plan(&p, "alice", &s(&["alice", "1"])),
            vec![Decision::Remove { job: 1 }, Decision::Remove { job: 3 }]
        );
        assert_eq!(
            plan(&p, "alice", &s(&["bob"])),
            vec![Decision::OtherUser { user: "bob".into() }]
        );
        assert_eq!(
            plan(&p, "root", &s(&["bob"])),
            vec![Decision::Remove { job: 2 }]
        );
        assert_eq!(plan(&p, "alice", &[]), vec![Decision::Remove { job: 1 }]);
        assert_eq!(plan(&p, "carol", &[]), vec![Decision::NothingToRemove]);
        assert_eq!(
            plan(&p, "alice", &s(&["99"])),
            vec![Decision::NoSuchJob { job: 99 }]
        );
        // A finished job is no longer in the queue.
        apply(&mut p, "alice", &s(&["1"]), SimTime(1));
        assert_eq!(
            plan(&p, "alice", &s(&["1"])),
            vec![Decision::NoSuchJob { job: 1 }]
        );
    }
}
