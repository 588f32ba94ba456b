//! Runs mDNS cases against a printer on a link and grades what it heard.
//!
//! Each case gets a link of its own: on the network, fresh sockets (the
//! browse made when the runner started is the case's step 1, so twenty cases
//! do not browse twenty times); with the virtual printer, a fresh responder
//! browsed anew on its simulated clock (a case may switch it off). A check's
//! findings end the case; a case whose printer was not found is skipped,
//! except the one that grades finding it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::browse::{discover, exchanges, Client, Datagram, Discovery};
use super::checks::{self, Ctx, Stop, CASE_STEP, DISCOVERY_STEP};
use super::link::{Link, UdpLink, UdpLinkConfig, VirtualPrinter};
use super::spec::MdnsCase;
use super::target::DnssdTarget;
use crate::grade::{CaseResult, Outcome};
use crate::spec::Level;

/// How the suite runs.
#[derive(Debug, Clone)]
pub struct MdnsOptions {
    /// How long to listen for the answers to one query.
    pub wait: Duration,
    /// Time limit of a TCP connection and of an IPP request.
    pub timeout: Duration,
}

impl Default for MdnsOptions {
    /// One second per query (responders answer within 120 ms, RFC 6762 §6),
    /// five seconds for TCP and IPP.
    fn default() -> Self {
        MdnsOptions {
            wait: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Where the printer is.
#[derive(Debug, Clone)]
pub enum Source {
    /// On a real link.
    Network(UdpLinkConfig),
    /// The virtual printer's responder, in memory.
    Virtual(VirtualPrinter),
}

/// A runner bound to one printer.
#[derive(Debug)]
pub struct MdnsRunner {
    target: DnssdTarget,
    source: Source,
    opts: MdnsOptions,
    /// The browse at start: what it found and its datagrams.
    discovery: Discovery,
    discovery_log: Vec<Datagram>,
    link_description: String,
}

impl MdnsRunner {
    /// A runner for `target` on `source`: opens a link and browses once.
    pub async fn new(
        target: DnssdTarget,
        source: Source,
        opts: MdnsOptions,
    ) -> Result<MdnsRunner, String> {
        let link = open(&source)?;
        let link_description = link.describe();
        let mut c = Client::new(link, opts.wait);
        let discovery = discover(&mut c, &target).await?;
        Ok(MdnsRunner {
            target,
            source,
            opts,
            discovery,
            discovery_log: c.log,
            link_description,
        })
    }

    /// The target.
    pub fn target(&self) -> &DnssdTarget {
        &self.target
    }

    /// What the browse at start found.
    pub fn discovery(&self) -> &Discovery {
        &self.discovery
    }

    /// Where the printer is.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The options.
    pub fn options(&self) -> &MdnsOptions {
        &self.opts
    }

    /// What the printer is, for the report: its instance, services, host and
    /// addresses, and the link.
    pub fn description(&self) -> String {
        format!(
            "{} — over {}",
            self.discovery.summary(),
            self.link_description
        )
    }

    /// Run one case.
    pub async fn run(&self, case: &MdnsCase) -> CaseResult {
        let start = Instant::now();
        let mut r = CaseResult::start(
            &case.id,
            case.level,
            &case.clause,
            &case.title,
            &case.requirement,
        );
        let (mut client, discovery, disc_log) = match self.prepare().await {
            Ok(x) => x,
            Err(e) => {
                r.outcome = Outcome::Error;
                r.reason = e;
                return r;
            }
        };
        let mut cx = Ctx {
            client: &mut client,
            d: &discovery,
            disc_log: &disc_log,
            findings: Vec::new(),
            extra: Vec::new(),
            timeout: self.opts.timeout,
        };
        let stopped = checks::run(&case.check, &mut cx).await;
        let findings = std::mem::take(&mut cx.findings);
        let extra = std::mem::take(&mut cx.extra);
        r.evidence = exchanges(&disc_log, DISCOVERY_STEP);
        r.evidence.extend(exchanges(&client.log, CASE_STEP));
        r.evidence.extend(extra);
        r.findings = findings;
        match stopped {
            Err(Stop::Skip(why)) if r.findings.is_empty() => {
                r.outcome = Outcome::Skip;
                r.reason = why;
            }
            Err(Stop::Error(why)) if r.findings.is_empty() => {
                r.outcome = Outcome::Error;
                r.reason = why;
            }
            _ => {}
        }
        if let Some(f) = r.findings.first() {
            r.outcome = match case.level {
                Level::Must => Outcome::Fail,
                Level::Should | Level::May => Outcome::Warn,
            };
            r.reason = format!(
                "step {}: {}: expected {}, got {}",
                f.step + 1,
                f.check,
                f.expected,
                f.actual
            );
        }
        r.elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        r
    }

    /// A client on a link of the case's own, what the browse found, and the
    /// browse's datagrams.
    async fn prepare(&self) -> Result<(Client, Discovery, Vec<Datagram>), String> {
        let link = open(&self.source)?;
        let mut c = Client::new(link, self.opts.wait);
        match &self.source {
            Source::Network(_) => Ok((c, self.discovery.clone(), self.discovery_log.clone())),
            Source::Virtual(_) => {
                let d = discover(&mut c, &self.target).await?;
                let log = std::mem::take(&mut c.log);
                Ok((c, d, log))
            }
        }
    }
}

fn open(source: &Source) -> Result<Link, String> {
    Ok(match source {
        Source::Network(cfg) => Link::Udp(UdpLink::open(cfg)?),
        Source::Virtual(vp) => Link::Memory(Box::new(vp.link())),
    })
}

/// Run `cases` one after another (one printer, one conversation at a time:
/// a case's queries would otherwise count against another's rate limits);
/// `done` is called after each. Results in the cases' order.
pub async fn run_cases<F>(runner: Arc<MdnsRunner>, cases: Vec<MdnsCase>, done: F) -> Vec<CaseResult>
where
    F: Fn(&CaseResult) + Send + Sync,
{
    let done = Mutex::new(done);
    let mut out = Vec::with_capacity(cases.len());
    for c in &cases {
        let r = runner.run(c).await;
        if let Ok(f) = done.lock() {
            f(&r);
        }
        out.push(r);
    }
    out
}
