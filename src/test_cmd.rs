//! `paperjam test`: grade a printer against a suite and write reports.
//!
//! The suite follows the target's scheme: `ipp://`/`ipps://` the IPP suite
//! ([`paperjam_suites::runner`]), `lpd://` the LPD suite and `socket://` the
//! AppSocket/PJL suite ([`paperjam_suites::raw`], targets in
//! [`paperjam_suites::raw_target`]), `snmp://` the SNMP suite
//! ([`paperjam_suites::snmp`]), `dnssd:` the mDNS/DNS-SD suite
//! ([`paperjam_suites::mdns`]). `--suite security` grades how exposed an
//! `ipp://`/`ipps://` printer is ([`paperjam_suites::security`]): TLS,
//! authentication, SNMP communities, open ports, and (opt-in) robustness,
//! against the user's `--policy`. Every suite is graded into the same
//! report, with the same exit statuses.

use std::collections::VecDeque;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use paperjam_suites::client::{Connection, TargetUri};
use paperjam_suites::grade::{CaseResult, Outcome};
use paperjam_suites::mdns::{self as mdns, DnssdTarget, MdnsCase, MdnsOptions, MdnsRunner};
use paperjam_suites::raw::{self, RawCase};
use paperjam_suites::raw_target::{self, RawProtocol, RawRunOptions, RawTarget};
use paperjam_suites::report::{html, junit, markdown, Report};
use paperjam_suites::runner::{value_text, RunOptions, Runner};
use paperjam_suites::security::exposure::{self as exposure, PortPlan, ServiceKind};
use paperjam_suites::security::policy::Policy;
use paperjam_suites::security::robustness::Limits;
use paperjam_suites::security::runner::{self as security, SecurityOptions, SecurityTarget};
use paperjam_suites::security::spec::SecurityCase;
use paperjam_suites::snmp::{self, SnmpCase, SnmpOptions, SnmpRunner, SnmpTarget};
use paperjam_suites::spec::{load_dir, Case, Level};

/// Flags of `paperjam test`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Exit status: 0 when every MUST passed (with --strict, every SHOULD too); 1 when one failed or
got no verdict; 2 when the runner could not run (bad target, unreachable target, suite errors).

The suite follows the target: ipp:// and ipps:// the IPP suite, lpd://host[:port]/queue (port
515) the LPD suite, socket://host[:port] (port 9100; raw:// too) the AppSocket/PJL suite,
snmp://[community@]host[:port] (port 161) the SNMP suite; the report names an SNMP target by its
sysDescr, and compares it with the same printer's IPP answers when --ipp names them.
dnssd:// (the first printer on the link) or dnssd://Instance%20Name._ipp._tcp.local runs the
mDNS/DNS-SD suite over multicast on --mdns-interface, and compares the TXT record with the
printer's IPP answers at its SRV target.

--suite security ipp://host[:port]/path (or ipps://) grades how exposed the printer is: TLS
versions and certificate, plain-HTTP print and administration, administrative operations
without credentials, SNMP default communities, open LPD/raw/SNMP/mDNS/CUPS-browsing ports (only
that host is probed, on the standard ports or those --port names), and with --allow-disruptive
malformed and oversize requests, slow connections and a bounded flood. --policy FILE says what
the organisation requires (anonymous printing, TLS, SNMP, raw printing…); the grade follows it.

Without --allow-print no case prints paper; without --allow-changes no case changes settings,
pauses the printer or cancels jobs; without --allow-write no SNMP SetRequest is sent. The report
says which cases were skipped and why.")]
pub struct TestArgs {
    /// The printer: `ipp://host[:port]/path`, `ipps://…`, `lpd://host[:port]/queue`,
    /// `socket://host[:port]` or `snmp://[community@]host[:port]` (not needed with --list).
    #[arg(required_unless_present = "list")]
    target: Option<String>,
    /// Which suite to run (default: the one the target speaks; ipp for --list
    /// without a target).
    #[arg(long, value_enum)]
    suite: Option<Suite>,
    /// Load the suite's cases from this folder instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    suite_dir: Option<PathBuf>,
    /// Run only cases whose id matches (`*` and `?` glob; repeatable).
    #[arg(long = "case", value_name = "GLOB")]
    cases: Vec<String>,
    /// Run cases at or above this level: must = MUST only, should = MUST and SHOULD,
    /// may = all (the default).
    #[arg(long, value_enum)]
    level: Option<LevelArg>,
    /// Count a missed SHOULD as a failure.
    #[arg(long)]
    strict: bool,
    /// Report formats to write (repeatable; default json and markdown).
    #[arg(long = "format", value_enum, value_name = "FORMAT")]
    formats: Vec<Format>,
    /// Folder for the reports (report.json, report.md, report.html, junit.xml).
    #[arg(long, value_name = "DIR", default_value = "paperjam-report")]
    out: PathBuf,
    /// Run cases that print paper.
    #[arg(long)]
    allow_print: bool,
    /// Most pages printing cases may use (IPP).
    #[arg(long, value_name = "N")]
    page_budget: Option<u32>,
    /// Run cases that change settings, pause the printer or cancel jobs (IPP).
    #[arg(long)]
    allow_changes: bool,
    /// Cases run at once (default 1, or 4 for a loopback target).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Time limit of one request, seconds (LPD and AppSocket: of connecting
    /// and of the PJL INFO ID probe; SNMP: of each of a request's three
    /// attempts). Default 30, for SNMP 2.
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// SNMP community to read with (default: the URI's, else `public`).
    #[arg(long, value_name = "NAME")]
    community: Option<String>,
    /// SNMP community of SetRequests (default: the read community).
    #[arg(long, value_name = "NAME")]
    write_community: Option<String>,
    /// Run SNMP cases that send SetRequests (they may change the printer's settings).
    #[arg(long)]
    allow_write: bool,
    /// The same printer's IPP URI, for the SNMP suite's cross-checks (skipped without it).
    #[arg(long, value_name = "URI")]
    ipp: Option<String>,
    /// The interface the mDNS suite browses on (a name such as `eth0`, or an
    /// IPv4 address of it; default: the OS's multicast route).
    #[arg(long, value_name = "NAME|ADDR")]
    mdns_interface: Option<String>,
    /// Security suite: the organisation's policy (TOML: anonymous-printing,
    /// tls, min-tls-version, self-signed-certificates, raw-printing, lpd,
    /// snmp, mdns, name); default: the built-in best practice.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Security suite: run the disruptive cases (malformed and oversize
    /// requests, slow-loris connections, a bounded request flood).
    #[arg(long)]
    allow_disruptive: bool,
    /// Security suite: the ports of a service, `KIND=PORT[,PORT…]` or
    /// `KIND=none` (kinds: ipp, ipps, lpd, raw, snmp, mdns, browse;
    /// repeatable). The target URI's port is the ipp port.
    #[arg(long = "port", value_name = "KIND=PORTS")]
    ports: Vec<String>,
    /// Security suite: the most requests of the flood (default 200).
    #[arg(long, value_name = "N")]
    flood_requests: Option<u32>,
    /// Security suite: the longest the flood and the slow-loris connections
    /// last, seconds (default 10).
    #[arg(long, value_name = "SECS")]
    flood_seconds: Option<u64>,
    /// Security suite: connections open at once in the flood and the
    /// slow-loris probe (default 8).
    #[arg(long, value_name = "N")]
    flood_connections: Option<u32>,
    /// Security suite: a user the runner may sign in as (HTTP Basic or
    /// Digest, as the printer asks) to set up a case, such as the job that
    /// another user then tries to cancel; the graded requests never carry it.
    /// `PAPERJAM_CREDENTIALS` works too, and keeps it out of the shell history.
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        env = "PAPERJAM_CREDENTIALS",
        hide_env_values = true
    )]
    credentials: Option<String>,
    /// List the cases (id, level, clause, title) and exit.
    #[arg(long)]
    list: bool,
}

/// The suites there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Suite {
    /// IPP/1.1 and IPP/2.x over HTTP (`suites/ipp`), for ipp:// and ipps:// targets.
    Ipp,
    /// LPD, RFC 1179 (`suites/lpd`), for lpd:// targets.
    Lpd,
    /// AppSocket/JetDirect and PJL (`suites/appsocket`), for socket:// targets.
    Appsocket,
    /// SNMP v1/v2c and the Printer MIB (`suites/snmp`), for snmp:// targets.
    Snmp,
    /// mDNS/DNS-SD and the Bonjour printing TXT keys (`suites/mdns`), for dnssd: targets.
    Mdns,
    /// Security posture (`suites/security`): TLS, authentication, SNMP,
    /// exposed ports, robustness; for ipp:// and ipps:// targets.
    Security,
}

impl Suite {
    /// The name `--suite` takes.
    fn name(self) -> &'static str {
        match self {
            Suite::Ipp => "ipp",
            Suite::Lpd => "lpd",
            Suite::Appsocket => "appsocket",
            Suite::Snmp => "snmp",
            Suite::Mdns => "mdns",
            Suite::Security => "security",
        }
    }

    /// Whether it can grade `t` (the security suite grades IPP targets).
    fn fits(self, t: &Target) -> bool {
        self == t.suite() || (self == Suite::Security && matches!(t, Target::Ipp(_)))
    }

    /// The targets it grades, for messages.
    fn schemes(self) -> &'static str {
        match self {
            Suite::Ipp => "ipp:// or ipps://",
            Suite::Lpd => "lpd://",
            Suite::Appsocket => "socket://",
            Suite::Snmp => "snmp://",
            Suite::Mdns => "dnssd:",
            Suite::Security => "ipp:// or ipps://",
        }
    }

    /// The built-in folder of its cases.
    fn dir(self) -> PathBuf {
        match self {
            Suite::Ipp => paperjam_suites::ipp_suite_dir(),
            Suite::Lpd => RawProtocol::Lpd.suite_dir(),
            Suite::Appsocket => RawProtocol::AppSocket.suite_dir(),
            Suite::Snmp => paperjam_suites::snmp_suite_dir(),
            Suite::Mdns => paperjam_suites::mdns_suite_dir(),
            Suite::Security => paperjam_suites::security_suite_dir(),
        }
    }
}

/// A target, by the protocol it speaks.
enum Target {
    /// `ipp://` or `ipps://`.
    Ipp(TargetUri),
    /// `lpd://` or `socket://`.
    Raw(RawTarget),
    /// `snmp://`.
    Snmp(SnmpTarget),
    /// `dnssd:`.
    Dnssd(DnssdTarget),
}

impl Target {
    /// The URI as reports show it (an SNMP community, a password, left out).
    fn uri(&self) -> String {
        match self {
            Target::Ipp(t) => t.uri.clone(),
            Target::Raw(t) => t.uri.clone(),
            Target::Snmp(t) => t.display_uri(),
            Target::Dnssd(t) => t.display_uri(),
        }
    }

    /// The suite that grades it.
    fn suite(&self) -> Suite {
        match self {
            Target::Ipp(_) => Suite::Ipp,
            Target::Raw(t) => match t.protocol {
                RawProtocol::Lpd => Suite::Lpd,
                RawProtocol::AppSocket => Suite::Appsocket,
            },
            Target::Snmp(_) => Suite::Snmp,
            Target::Dnssd(_) => Suite::Mdns,
        }
    }

    fn is_loopback(&self) -> bool {
        match self {
            Target::Ipp(t) => is_loopback(t),
            Target::Raw(t) => t.is_loopback(),
            Target::Snmp(t) => t.is_loopback(),
            Target::Dnssd(_) => false,
        }
    }
}

/// The selected cases of one suite.
enum Cases {
    /// IPP cases.
    Ipp(Vec<Case>),
    /// LPD or AppSocket cases.
    Raw(Vec<RawCase>),
    /// SNMP cases.
    Snmp(Vec<SnmpCase>),
    /// mDNS cases.
    Mdns(Vec<MdnsCase>),
    /// Security cases.
    Security(Vec<SecurityCase>),
}

/// What `--case`, `--level` and `--list` look at, in both case formats.
trait Listed {
    fn id(&self) -> &str;
    fn level(&self) -> Level;
    fn clause(&self) -> &str;
    fn title(&self) -> &str;
}

/// Both case types hold the listed fields under the same names.
macro_rules! listed {
    ($($t:ty),*) => {$(
        impl Listed for $t {
            fn id(&self) -> &str {
                &self.id
            }
            fn level(&self) -> Level {
                self.level
            }
            fn clause(&self) -> &str {
                &self.clause
            }
            fn title(&self) -> &str {
                &self.title
            }
        }
    )*};
}

listed!(Case, RawCase, SnmpCase, MdnsCase, SecurityCase);

/// `--level`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum LevelArg {
    /// MUST only.
    Must,
    /// MUST and SHOULD.
    Should,
    /// Everything.
    May,
}

impl LevelArg {
    fn level(self) -> Level {
        match self {
            LevelArg::Must => Level::Must,
            LevelArg::Should => Level::Should,
            LevelArg::May => Level::May,
        }
    }
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// `report.json`, the versioned source of the others.
    Json,
    /// `report.md`.
    Markdown,
    /// `report.html`, one self-contained page.
    Html,
    /// `junit.xml`.
    Junit,
}

impl Format {
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Markdown => "report.md",
            Format::Html => "report.html",
            Format::Junit => "junit.xml",
        }
    }

    pub(crate) fn render(self, r: &Report) -> Result<String, String> {
        match self {
            Format::Json => Ok(r.to_json()),
            Format::Markdown => Ok(markdown::render(r)),
            Format::Html => Ok(html::render(r)),
            Format::Junit => junit::render(r).map_err(|e| e.to_string()),
        }
    }
}

/// Why the runner could not run (exit status 2).
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Fatal {
        Fatal(e.to_string())
    }
}

/// Run `paperjam test`.
pub fn run(args: TestArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) => code,
        Err(Fatal(msg)) => {
            eprintln!("paperjam: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run_inner(args: TestArgs) -> Result<ExitCode, Fatal> {
    let target = args.target.as_deref().map(parse_target).transpose()?;
    let suite = pick_suite(args.suite, target.as_ref())?;
    let dir = args.suite_dir.clone().unwrap_or_else(|| suite.dir());
    let (globs, level) = (&args.cases, args.level.map(LevelArg::level));
    let cases = match suite {
        Suite::Ipp => Cases::Ipp(select(
            load_dir(&dir).map_err(|e| Fatal(format!("cannot load the suite: {e}")))?,
            globs,
            level,
        )),
        Suite::Lpd | Suite::Appsocket => Cases::Raw(select(
            raw::load_dir(&dir).map_err(|e| Fatal(format!("cannot load the suite: {e}")))?,
            globs,
            level,
        )),
        Suite::Snmp => Cases::Snmp(select(
            snmp::load_dir(&dir).map_err(|e| Fatal(format!("cannot load the suite: {e}")))?,
            globs,
            level,
        )),
        Suite::Mdns => Cases::Mdns(select(
            mdns::load_dir(&dir).map_err(|e| Fatal(format!("cannot load the suite: {e}")))?,
            globs,
            level,
        )),
        Suite::Security => Cases::Security(select(
            paperjam_suites::security::spec::load_dir(&dir)
                .map_err(|e| Fatal(format!("cannot load the suite: {e}")))?,
            globs,
            level,
        )),
    };
    let listing = match &cases {
        Cases::Ipp(c) => list(c),
        Cases::Raw(c) => list(c),
        Cases::Snmp(c) => list(c),
        Cases::Mdns(c) => list(c),
        Cases::Security(c) => list(c),
    };
    if listing.is_empty() {
        return Err(Fatal(format!(
            "no case in {} matches the --case/--level filters",
            dir.display()
        )));
    }
    if args.list {
        print!("{listing}");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(target) = target else {
        return Err(Fatal("no target given".into()));
    };
    for (given, flag) in ignored_flags(&args, suite) {
        if given {
            eprintln!(
                "paperjam: warning: {flag} has no effect on the {} suite",
                suite.name()
            );
        }
    }
    let mut formats: Vec<Format> = Vec::new();
    for f in &args.formats {
        if !formats.contains(f) {
            formats.push(*f);
        }
    }
    if formats.is_empty() {
        formats = vec![Format::Json, Format::Markdown];
    }
    let jobs = args
        .jobs
        .unwrap_or(if target.is_loopback() { 4 } else { 1 })
        .max(1);
    let opts = RunOptions {
        allow_print: args.allow_print,
        allow_changes: args.allow_changes,
        page_budget: args.page_budget,
        timeout: Duration::from_secs(args.timeout.unwrap_or(30).max(1)),
        documents: paperjam_suites::documents_dir(),
        user: "paperjam".into(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Fatal(format!("cannot start the async runtime: {e}")))?;
    let uri = target.uri();
    let mut section = None;
    let (results, description, features_error) = match (target, cases) {
        (Target::Ipp(t), Cases::Security(c)) => {
            let (results, description, sec) = rt.block_on(run_security_cases(t, &args, c))?;
            section = Some(sec);
            (results, description, None)
        }
        (Target::Ipp(t), Cases::Ipp(c)) => rt.block_on(run_cases(t, opts, c, jobs))?,
        (Target::Raw(t), Cases::Raw(c)) => rt.block_on(run_raw_cases(&t, &opts, c, jobs))?,
        (Target::Dnssd(t), Cases::Mdns(c)) => rt.block_on(run_mdns_cases(t, &args, c))?,
        (Target::Snmp(t), Cases::Snmp(c)) => {
            let o = snmp_options(&args, &t)?;
            rt.block_on(run_snmp_cases(&t, o, c, jobs))?
        }
        // `pick_suite` matched the suite to the target.
        _ => return Err(Fatal(format!("the suite does not fit {uri}"))),
    };

    let mut report = Report::new(&uri, &description, args.strict, results);
    report.security = section;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Fatal(format!("cannot create {}: {e}", args.out.display())))?;
    let mut written = Vec::new();
    for f in formats {
        let path = args.out.join(f.file_name());
        let text = f
            .render(&report)
            .map_err(|e| Fatal(format!("cannot render {}: {e}", f.file_name())))?;
        std::fs::write(&path, text)
            .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?;
        written.push(path);
    }
    print!("{}", markdown::summary_table(&report));
    println!();
    for p in &written {
        println!("wrote {}", p.display());
    }
    if let Some(e) = features_error {
        // An SNMP agent that answers nothing cannot be graded, whatever the
        // one case that grades answering says.
        if matches!(suite, Suite::Snmp | Suite::Mdns) {
            return Err(Fatal(format!("could not grade {uri}: {e}")));
        }
        let graded = report
            .cases
            .iter()
            .any(|c| !matches!(c.outcome, Outcome::Error | Outcome::Skip));
        if !graded {
            return Err(Fatal(format!(
                "could not grade {uri}: {e} and no case got a verdict"
            )));
        }
    }
    let failed: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| gates(c.level, args.strict))
        .filter(|c| matches!(c.verdict(args.strict), Outcome::Fail | Outcome::Error))
        .collect();
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "paperjam: {} required case(s) failed or got no verdict",
            failed.len()
        );
        Ok(ExitCode::from(1))
    }
}

/// The flags given that the suite does not use, with their names.
fn ignored_flags(args: &TestArgs, suite: Suite) -> Vec<(bool, &'static str)> {
    let snmp = [
        (args.community.is_some(), "--community"),
        (args.write_community.is_some(), "--write-community"),
        (args.allow_write, "--allow-write"),
        (args.ipp.is_some(), "--ipp"),
    ];
    let ipp = [
        (args.allow_changes, "--allow-changes"),
        (args.page_budget.is_some(), "--page-budget"),
    ];
    let mdns = [(args.mdns_interface.is_some(), "--mdns-interface")];
    let security = [
        (args.policy.is_some(), "--policy"),
        (args.allow_disruptive, "--allow-disruptive"),
        (!args.ports.is_empty(), "--port"),
        (args.flood_requests.is_some(), "--flood-requests"),
        (args.flood_seconds.is_some(), "--flood-seconds"),
        (args.flood_connections.is_some(), "--flood-connections"),
        (args.credentials.is_some(), "--credentials"),
    ];
    if suite == Suite::Security {
        return vec![
            (args.write_community.is_some(), "--write-community"),
            (args.allow_write, "--allow-write"),
            (args.ipp.is_some(), "--ipp"),
            (args.allow_print, "--allow-print"),
            (args.page_budget.is_some(), "--page-budget"),
            (args.mdns_interface.is_some(), "--mdns-interface"),
        ];
    }
    let mut v: Vec<(bool, &'static str)> = match suite {
        Suite::Security => Vec::new(),
        Suite::Ipp => snmp.to_vec(),
        Suite::Lpd | Suite::Appsocket => snmp.into_iter().chain(ipp).collect(),
        Suite::Snmp => ipp
            .into_iter()
            .chain([(args.allow_print, "--allow-print")])
            .collect(),
        Suite::Mdns => snmp
            .into_iter()
            .chain(ipp)
            .chain([(args.allow_print, "--allow-print")])
            .collect(),
    };
    if suite != Suite::Mdns {
        v.extend(mdns);
    }
    v.extend(security);
    v
}

/// The security suite's target and options from the flags: the standard
/// port table with the URI's port as the IPP port, then each `--port`;
/// the policy file, or the built-in one; 30 s an IPP request unless
/// `--timeout`, 3 s a port probe (or `--timeout`, if shorter).
fn security_setup(args: &TestArgs, t: &TargetUri) -> Result<(PortPlan, SecurityOptions), Fatal> {
    let mut plan = PortPlan::standard();
    plan.set(ServiceKind::Ipp, vec![t.port]);
    for p in &args.ports {
        let (kind, ports) =
            exposure::parse_override(p).map_err(|e| Fatal(format!("--port {e}")))?;
        plan.set(kind, ports);
    }
    let policy = match &args.policy {
        Some(path) => Policy::load(path).map_err(|e| Fatal(e.to_string()))?,
        None => Policy::default(),
    };
    let mut o = SecurityOptions::new(policy);
    o.allow_changes = args.allow_changes;
    o.allow_disruptive = args.allow_disruptive;
    if let Some(secs) = args.timeout {
        o.timeout = Duration::from_secs(secs.max(1));
        o.probe_timeout = o.probe_timeout.min(o.timeout);
    }
    if let Some(c) = &args.community {
        o.communities.push(c.clone());
    }
    if let Some(c) = &args.credentials {
        let (user, password) = c
            .split_once(':')
            .filter(|(u, _)| !u.is_empty())
            .ok_or_else(|| Fatal("--credentials takes USER:PASSWORD".into()))?;
        o.credentials = Some((user.to_string(), password.to_string()));
    }
    o.flood = Limits {
        requests: args.flood_requests.unwrap_or(o.flood.requests).max(1),
        duration: args
            .flood_seconds
            .map_or(o.flood.duration, |s| Duration::from_secs(s.max(1))),
        connections: args.flood_connections.unwrap_or(o.flood.connections).max(1),
    };
    Ok((plan, o))
}

/// The SNMP suite's options from the flags: the community of `--community`,
/// else the URI's, else `public`; 2 s a request unless `--timeout`.
fn snmp_options(args: &TestArgs, t: &SnmpTarget) -> Result<SnmpOptions, Fatal> {
    let community = args
        .community
        .clone()
        .or_else(|| t.community.clone())
        .unwrap_or_else(|| snmp::target::DEFAULT_COMMUNITY.to_string());
    let mut o = SnmpOptions::new(&community);
    if let Some(w) = &args.write_community {
        o.write_community.clone_from(w);
    }
    o.allow_write = args.allow_write;
    if let Some(secs) = args.timeout {
        o.timeout = Duration::from_secs(secs.max(1));
        o.ipp_timeout = o.timeout;
    }
    if let Some(ipp) = &args.ipp {
        let u = TargetUri::parse(ipp).map_err(|e| Fatal(format!("--ipp: {e}")))?;
        o.ipp = Some(u);
    }
    Ok(o)
}

/// Whether a case at `level` decides the exit status.
fn gates(level: Level, strict: bool) -> bool {
    level == Level::Must || (strict && level == Level::Should)
}

/// The suite: `--suite` if given, which must fit the target; else the
/// target's; else (`--list` alone) IPP.
fn pick_suite(given: Option<Suite>, target: Option<&Target>) -> Result<Suite, Fatal> {
    match (given, target) {
        (Some(s), Some(t)) if !s.fits(t) => Err(Fatal(format!(
            "--suite {} cannot test {}: it grades {} targets (leave --suite out to run the {} suite)",
            s.name(),
            t.uri(),
            s.schemes(),
            t.suite().name()
        ))),
        (Some(s), _) => Ok(s),
        (None, Some(t)) => Ok(t.suite()),
        (None, None) => Ok(Suite::Ipp),
    }
}

/// The cases after `--case` and `--level`.
fn select<C: Listed>(cases: Vec<C>, globs: &[String], level: Option<Level>) -> Vec<C> {
    cases
        .into_iter()
        .filter(|c| level.is_none_or(|l| c.level() <= l))
        .filter(|c| globs.is_empty() || globs.iter().any(|g| glob_match(g, c.id())))
        .collect()
}

/// `--list` output: aligned columns.
fn list<C: Listed>(cases: &[C]) -> String {
    let w_id = cases
        .iter()
        .map(|c| c.id().chars().count())
        .max()
        .unwrap_or(0);
    let w_clause = cases
        .iter()
        .map(|c| c.clause().chars().count())
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    for c in cases {
        s.push_str(&format!(
            "{:<w_id$}  {:<6}  {:<w_clause$}  {}\n",
            c.id(),
            c.level().as_str(),
            c.clause(),
            c.title()
        ));
    }
    s
}

/// Glob over case ids: `*` is any run of characters (slashes included), `?` one.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn parse_target(s: &str) -> Result<Target, Fatal> {
    let scheme = s
        .split_once("://")
        .map(|(a, _)| a.to_ascii_lowercase())
        .unwrap_or_default();
    match scheme.as_str() {
        "ipp" | "ipps" => TargetUri::parse(s).map(Target::Ipp).map_err(Fatal::from),
        "lpd" | "socket" | "raw" => RawTarget::parse(s).map(Target::Raw).map_err(Fatal::from),
        "snmp" => SnmpTarget::parse(s).map(Target::Snmp).map_err(Fatal::from),
        _ if s.to_ascii_lowercase().starts_with("dnssd:") => {
            DnssdTarget::parse(s).map(Target::Dnssd).map_err(Fatal::from)
        }
        _ => Err(Fatal(format!(
            "cannot test '{s}': paperjam test takes ipp://, ipps://, lpd://, socket:// or snmp:// targets, or dnssd: (mDNS)"
        ))),
    }
}

fn is_loopback(t: &TargetUri) -> bool {
    paperjam_suites::raw_target::is_loopback_host(&t.host)
}

/// Run `cases` with `jobs` at once; returns the results, the target's
/// `printer-make-and-model`, and why the attributes could not be read at start.
async fn run_cases(
    target: TargetUri,
    opts: RunOptions,
    cases: Vec<Case>,
    jobs: usize,
) -> Result<(Vec<CaseResult>, String, Option<String>), Fatal> {
    // Fail fast, before any case, if nothing answers at all.
    Connection::open(&target, opts.timeout)
        .await
        .map_err(|e| Fatal(format!("cannot reach {}: {e}", target.uri)))?;
    let runner = Runner::new(target, opts).await;
    let (description, features_error) = match runner.features() {
        Ok(m) => {
            let model = m
                .groups
                .iter()
                .flat_map(|g| g.attributes.iter())
                .find(|a| a.name == "printer-make-and-model")
                .and_then(|a| a.values.first())
                .map(value_text)
                .unwrap_or_default();
            (model, None)
        }
        Err(e) => {
            eprintln!("paperjam: warning: Get-Printer-Attributes at start failed: {e}");
            (
                String::new(),
                Some(format!("Get-Printer-Attributes at start failed ({e})")),
            )
        }
    };
    let n = cases.len();
    let runner = Arc::new(runner);
    let queue = Arc::new(Mutex::new(cases.into_iter().collect::<VecDeque<Case>>()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<CaseResult>();
    for _ in 0..jobs.min(n) {
        let (runner, queue, tx) = (Arc::clone(&runner), Arc::clone(&queue), tx.clone());
        tokio::spawn(async move {
            loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(case) = next else { break };
                let result = runner.run(&case).await;
                if tx.send(result).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let progress = Progress::new(n);
    let mut results = Vec::with_capacity(n);
    while let Some(r) = rx.recv().await {
        progress.case_done(&r);
        results.push(r);
    }
    progress.finish();
    if results.len() != n {
        return Err(Fatal(format!(
            "only {} of {n} cases finished (a worker stopped)",
            results.len()
        )));
    }
    Ok((results, description, features_error))
}

/// Run raw `cases` (LPD or AppSocket) with `jobs` at once; returns the
/// results and the target's description (no attributes are read at start).
/// Nothing runs unless the target accepts a connection first.
async fn run_raw_cases(
    target: &RawTarget,
    opts: &RunOptions,
    cases: Vec<RawCase>,
    jobs: usize,
) -> Result<(Vec<CaseResult>, String, Option<String>), Fatal> {
    let unreachable =
        |e: raw_target::RawTargetError| Fatal(format!("cannot reach {}: {e}", target.uri));
    let addr = target.resolve().await.map_err(unreachable)?;
    let description = target
        .describe(addr, opts.timeout)
        .await
        .map_err(unreachable)?;
    let raw_opts = RawRunOptions {
        queue: target.queue.clone(),
        allow_print: opts.allow_print,
        documents: opts.documents.clone(),
        jobs,
    };
    let progress = Progress::new(cases.len());
    let results = raw_target::run_cases(cases, addr, &raw_opts, |r| progress.case_done(r)).await;
    progress.finish();
    Ok((results?, description, None))
}

/// Run SNMP `cases` with `jobs` at once; returns the results, the agent's
/// sysDescr, and, when it answered no probe, why.
async fn run_snmp_cases(
    target: &SnmpTarget,
    opts: SnmpOptions,
    cases: Vec<SnmpCase>,
    jobs: usize,
) -> Result<(Vec<CaseResult>, String, Option<String>), Fatal> {
    let runner = SnmpRunner::new(target, opts)
        .await
        .map_err(|e| Fatal(format!("cannot reach {}: {e}", target.display_uri())))?;
    let probe = runner.probe();
    let silent = probe.v1.is_none() && probe.v2c.is_none();
    let unanswered = silent.then(|| {
        let why = format!(
            "the agent answered no Get of sysDescr.0 (SNMPv2c or SNMPv1, community \"{}\")",
            runner.options().community
        );
        eprintln!("paperjam: warning: {why}");
        why
    });
    let description = runner.description();
    let progress = Progress::new(cases.len());
    let results = snmp::run_cases(Arc::new(runner), cases, jobs, |r| progress.case_done(r)).await;
    progress.finish();
    Ok((results, description, unanswered))
}

/// Run mDNS `cases` one after another over multicast on `--mdns-interface`;
/// returns the results, what the browse found, and, when it found no
/// printer, why nothing could be graded.
async fn run_mdns_cases(
    target: DnssdTarget,
    args: &TestArgs,
    cases: Vec<MdnsCase>,
) -> Result<(Vec<CaseResult>, String, Option<String>), Fatal> {
    let link = mdns::UdpLinkConfig {
        interface: args.mdns_interface.as_deref().map(mdns::Interface::parse),
        ..mdns::UdpLinkConfig::default()
    };
    let mut opts = MdnsOptions::default();
    if let Some(secs) = args.timeout {
        opts.timeout = Duration::from_secs(secs.max(1));
    }
    let uri = target.display_uri();
    let runner = MdnsRunner::new(target, mdns::Source::Network(link), opts)
        .await
        .map_err(|e| Fatal(format!("cannot browse for {uri}: {e}")))?;
    let description = runner.description();
    let unfound = runner.discovery().resolved().next().is_none().then(|| {
        let why = format!("no printer answered the browse ({description})");
        eprintln!("paperjam: warning: {why}");
        why
    });
    let progress = Progress::new(cases.len());
    let results = mdns::run_cases(Arc::new(runner), cases, |r| progress.case_done(r)).await;
    progress.finish();
    Ok((results, description, unfound))
}

/// Run the security `cases` one at a time against the printer at `t` (only
/// that host is probed); returns the results, its
/// `printer-make-and-model`, and the report's security section. When the
/// IPP port takes no connection, the cases that need it are skipped.
async fn run_security_cases(
    t: TargetUri,
    args: &TestArgs,
    cases: Vec<SecurityCase>,
) -> Result<
    (
        Vec<CaseResult>,
        String,
        paperjam_suites::report::security::SecuritySection,
    ),
    Fatal,
> {
    let (plan, opts) = security_setup(args, &t)?;
    let target = SecurityTarget::resolve(t, plan)
        .await
        .map_err(|e| Fatal(format!("cannot reach the target: {e}")))?;
    let reachable = tokio::time::timeout(
        opts.timeout,
        tokio::net::TcpStream::connect(target.ipp_addr()),
    )
    .await
    .map_err(|_| "no answer".to_string())
    .and_then(|r| r.map_err(|e| e.to_string()));
    if let Err(e) = &reachable {
        // A host graded for its other services (an SNMP agent, a print
        // server's raw ports): the IPP cases are skipped with the reason.
        eprintln!(
            "paperjam: warning: {} takes no connection ({e}); its IPP cases are skipped",
            target.ipp.uri
        );
    }
    let description = security::describe_printer(&target, opts.timeout)
        .await
        .unwrap_or_default();
    eprintln!(
        "paperjam: grading {} ({}) against the policy {}",
        target.ipp.uri,
        target.host,
        opts.policy.describe()
    );
    let progress = Progress::new(cases.len());
    let (results, section) =
        security::run_security_with(&target, &cases, &opts, |r| progress.case_done(r)).await;
    progress.finish();
    Ok((results, description, section))
}

/// A progress bar on a terminal, one line per case otherwise (stderr).
struct Progress(Option<ProgressBar>);

impl Progress {
    fn new(n: usize) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let pb = ProgressBar::new(u64::try_from(n).unwrap_or(u64::MAX));
        let style = ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} {elapsed_precise} {wide_msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        pb.set_style(style);
        pb.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(pb))
    }

    fn case_done(&self, r: &CaseResult) {
        let line = line(r);
        match &self.0 {
            Some(pb) => {
                if r.outcome != Outcome::Pass {
                    pb.println(line);
                }
                pb.set_message(r.id.clone());
                pb.inc(1);
            }
            None => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

/// `PASS ipp/rfc8011/4.1.1/request-id-echoed (12 ms)`, with the reason when not a pass.
fn line(r: &CaseResult) -> String {
    let mut s = format!(
        "{} {} ({} ms)",
        r.outcome.as_str().to_uppercase(),
        r.id,
        r.elapsed_ms
    );
    if !r.reason.is_empty() {
        s.push_str(": ");
        s.push_str(&r.reason);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `paperjam test ARGS…` as clap reads it.
    fn args(a: &[&str]) -> TestArgs {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            test: TestArgs,
        }
        Cli::try_parse_from(std::iter::once("test").chain(a.iter().copied()))
            .unwrap_or_else(|e| panic!("{e}"))
            .test
    }

    #[test]
    fn globs() {
        assert!(glob_match(
            "ipp/rfc8011/4.1.1/*",
            "ipp/rfc8011/4.1.1/bad-request-id-0"
        ));
        assert!(!glob_match("ipp/rfc8011/4.1.1/*", "ipp/rfc8011/4.1.4/x"));
        assert!(glob_match(
            "*request-id*",
            "ipp/rfc8011/4.1.1/request-id-echoed"
        ));
        assert!(glob_match("ipp/rfc8011/4.1.?/*", "ipp/rfc8011/4.1.4/x"));
        assert!(!glob_match("ipp/rfc8011/4.1.?", "ipp/rfc8011/4.1.10"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("exact", "exact"));
    }

    #[test]
    fn targets() {
        let suite = |s: &str| parse_target(s).ok().map(|t| t.suite());
        assert_eq!(suite("ipp://127.0.0.1:631/ipp/print"), Some(Suite::Ipp));
        assert_eq!(suite("ipps://printer.local/ipp/print"), Some(Suite::Ipp));
        assert_eq!(suite("lpd://host/queue"), Some(Suite::Lpd));
        assert_eq!(suite("LPD://host:8515/lp"), Some(Suite::Lpd));
        assert_eq!(suite("socket://host:9100"), Some(Suite::Appsocket));
        assert_eq!(suite("socket://host"), Some(Suite::Appsocket));
        assert_eq!(suite("raw://host:9100"), Some(Suite::Appsocket));
        assert_eq!(suite("snmp://127.0.0.1:8161"), Some(Suite::Snmp));
        assert_eq!(suite("SNMP://private@printer.local"), Some(Suite::Snmp));
        assert_eq!(suite("dnssd://"), Some(Suite::Mdns));
        assert_eq!(suite("dnssd:"), Some(Suite::Mdns));
        assert_eq!(
            suite("DNSSD://Fake%20Printer._ipp._tcp.local"),
            Some(Suite::Mdns)
        );
        assert!(parse_target("dnssd://Printer").is_err());
        for bad in ["mdns://host", "nothing"] {
            match parse_target(bad) {
                Err(Fatal(m)) => assert!(m.contains("snmp:// targets"), "{m}"),
                Ok(_) => panic!("{bad} accepted"),
            }
        }
        // The community stays out of the report.
        let t = parse_target("snmp://secret@127.0.0.1:8161").ok();
        assert_eq!(
            t.as_ref().map(Target::uri).as_deref(),
            Some("snmp://127.0.0.1:8161")
        );
        assert!(t.as_ref().is_some_and(Target::is_loopback));
        // A raw target with a mistake says what it is.
        for (bad, why) in [
            ("lpd://host", "names its queue"),
            ("socket://host:9100/x", "no path"),
            ("lpd://host:0/lp", "bad port"),
            ("snmp://host/context", "no path"),
        ] {
            match parse_target(bad) {
                Err(Fatal(m)) => assert!(m.contains(why), "{bad}: {m}"),
                Ok(_) => panic!("{bad} accepted"),
            }
        }
        let lo = parse_target("lpd://localhost/lp").ok();
        assert!(lo.as_ref().is_some_and(Target::is_loopback));
        let far = parse_target("socket://192.0.2.7").ok();
        assert!(far.as_ref().is_some_and(|t| !t.is_loopback()));
        let lo = TargetUri::parse("ipp://localhost/ipp/print").ok();
        assert!(lo.as_ref().is_some_and(is_loopback));
        let v6 = TargetUri::parse("ipp://[::1]:631/ipp/print").ok();
        assert!(v6.as_ref().is_some_and(is_loopback));
        let far = TargetUri::parse("ipp://192.0.2.7/ipp/print").ok();
        assert!(far.as_ref().is_some_and(|t| !is_loopback(t)));
    }

    #[test]
    fn suite_follows_the_target() {
        let t = |s: &str| parse_target(s).unwrap_or_else(|Fatal(m)| panic!("{m}"));
        let pick = |given, target: Option<&Target>| pick_suite(given, target).ok();
        assert_eq!(pick(None, None), Some(Suite::Ipp));
        assert_eq!(pick(Some(Suite::Appsocket), None), Some(Suite::Appsocket));
        let lpd = t("lpd://127.0.0.1/lp");
        assert_eq!(pick(None, Some(&lpd)), Some(Suite::Lpd));
        assert_eq!(pick(Some(Suite::Lpd), Some(&lpd)), Some(Suite::Lpd));
        let sock = t("socket://127.0.0.1");
        assert_eq!(pick(None, Some(&sock)), Some(Suite::Appsocket));
        let ipp = t("ipp://127.0.0.1/ipp/print");
        assert_eq!(pick(None, Some(&ipp)), Some(Suite::Ipp));
        let agent = t("snmp://127.0.0.1:8161");
        assert_eq!(pick(None, Some(&agent)), Some(Suite::Snmp));
        assert_eq!(pick(Some(Suite::Snmp), Some(&agent)), Some(Suite::Snmp));
        for (given, target) in [
            (Suite::Ipp, &lpd),
            (Suite::Appsocket, &lpd),
            (Suite::Lpd, &sock),
            (Suite::Lpd, &ipp),
            (Suite::Snmp, &ipp),
            (Suite::Ipp, &agent),
        ] {
            match pick_suite(Some(given), Some(target)) {
                Err(Fatal(m)) => {
                    assert!(m.contains(&format!("--suite {}", given.name())), "{m}");
                    assert!(m.contains(&target.uri()), "{m}");
                }
                Ok(s) => panic!(
                    "--suite {} accepted for {}: {s:?}",
                    given.name(),
                    target.uri()
                ),
            }
        }
    }

    #[test]
    fn raw_cases_list_and_select() {
        let cases = raw::load_dir(&Suite::Lpd.dir()).unwrap_or_else(|e| panic!("{e}"));
        let n = cases.len();
        let listing = list(&cases);
        assert_eq!(listing.lines().count(), n);
        assert!(listing.contains("lpd/rfc1179/5.2/receive-job-known-queue"));
        let must = select(cases.clone(), &[], Some(Level::Must));
        assert!(!must.is_empty() && must.len() < n);
        assert!(must.iter().all(|c| c.level == Level::Must));
        let in_5_2 = cases
            .iter()
            .filter(|c| c.id.starts_with("lpd/rfc1179/5.2/"))
            .count();
        let some = select(cases, &["lpd/rfc1179/5.2/*".to_string()], None);
        assert!(some.iter().all(|c| c.id.starts_with("lpd/rfc1179/5.2/")));
        assert!(some.len() >= 2 && some.len() < n);
        assert_eq!(some.len(), in_5_2);
    }

    #[test]
    fn snmp_cases_list_and_flags() {
        let cases = snmp::load_dir(&Suite::Snmp.dir()).unwrap_or_else(|e| panic!("{e}"));
        let listing = list(&cases);
        assert!(listing.contains("snmp/rfc3416/4.2.1/get-answered"));
        let some = select(cases, &["snmp/rfc3416/*".to_string()], Some(Level::Must));
        assert!(!some.is_empty());
        assert!(some
            .iter()
            .all(|c| c.id.starts_with("snmp/rfc3416/") && c.level == Level::Must));
        let a = args(&[
            "snmp://uri-community@127.0.0.1:8161",
            "--allow-write",
            "--ipp",
            "ipp://127.0.0.1:8631/ipp/print",
        ]);
        let Some(Target::Snmp(t)) = a.target.as_deref().and_then(|s| parse_target(s).ok()) else {
            panic!("not an snmp target");
        };
        let o = snmp_options(&a, &t).unwrap_or_else(|Fatal(m)| panic!("{m}"));
        assert_eq!(
            (o.community.as_str(), o.write_community.as_str()),
            ("uri-community", "uri-community")
        );
        assert!(o.allow_write && o.ipp.is_some());
        assert_eq!(o.timeout, Duration::from_secs(2));
        let a = args(&[
            "snmp://127.0.0.1",
            "--community",
            "c",
            "--write-community",
            "w",
            "--timeout",
            "5",
        ]);
        let o = snmp_options(&a, &t).unwrap_or_else(|Fatal(m)| panic!("{m}"));
        assert_eq!(
            (o.community.as_str(), o.write_community.as_str()),
            ("c", "w")
        );
        assert_eq!(
            (o.timeout, o.allow_write, o.ipp.is_none()),
            (Duration::from_secs(5), false, true)
        );
        let a = args(&["snmp://127.0.0.1", "--ipp", "nonsense"]);
        assert!(snmp_options(&a, &t).is_err());
        // Flags for other suites are named.
        let a = args(&["snmp://127.0.0.1", "--allow-print", "--allow-changes"]);
        let ignored: Vec<&str> = ignored_flags(&a, Suite::Snmp)
            .into_iter()
            .filter(|(given, _)| *given)
            .map(|(_, f)| f)
            .collect();
        assert_eq!(ignored, ["--allow-changes", "--allow-print"]);
        let a = args(&["ipp://127.0.0.1/ipp/print", "--allow-write"]);
        assert!(ignored_flags(&a, Suite::Ipp)
            .iter()
            .any(|(g, f)| *g && *f == "--allow-write"));
    }

    #[test]
    fn security_suite_flags() {
        // The suite grades IPP targets only, and must be asked for.
        let t = |s: &str| parse_target(s).unwrap_or_else(|Fatal(m)| panic!("{m}"));
        let ipps = t("ipps://127.0.0.1:8631/ipp/print");
        assert_eq!(pick_suite(None, Some(&ipps)).ok(), Some(Suite::Ipp));
        assert_eq!(
            pick_suite(Some(Suite::Security), Some(&ipps)).ok(),
            Some(Suite::Security)
        );
        for other in ["lpd://127.0.0.1/lp", "snmp://127.0.0.1"] {
            match pick_suite(Some(Suite::Security), Some(&t(other))) {
                Err(Fatal(m)) => assert!(m.contains("ipp:// or ipps://"), "{m}"),
                Ok(s) => panic!("{other}: {s:?}"),
            }
        }
        let cases = paperjam_suites::security::spec::load_dir(&Suite::Security.dir())
            .unwrap_or_else(|e| panic!("{e}"));
        let listing = list(&cases);
        assert!(listing.contains("security/transport/tls-1.2-minimum"));
        assert_eq!(listing.lines().count(), cases.len());

        let a = args(&[
            "--suite",
            "security",
            "ipp://127.0.0.1:8631/ipp/print",
            "--port",
            "raw=9100,9101",
            "--port",
            "mdns=none",
            "--allow-disruptive",
            "--allow-changes",
            "--flood-requests",
            "50",
            "--flood-seconds",
            "3",
            "--community",
            "office",
            "--timeout",
            "2",
        ]);
        let Some(Target::Ipp(uri)) = a.target.as_deref().and_then(|s| parse_target(s).ok()) else {
            panic!("not an IPP target");
        };
        let (plan, o) = security_setup(&a, &uri).unwrap_or_else(|Fatal(m)| panic!("{m}"));
        assert_eq!(plan.ports(ServiceKind::Ipp), [8631]);
        assert_eq!(plan.ports(ServiceKind::Raw), [9100, 9101]);
        assert!(plan.ports(ServiceKind::Mdns).is_empty());
        assert_eq!(plan.ports(ServiceKind::Lpd), [515]);
        assert!(o.allow_disruptive && o.allow_changes);
        assert_eq!(
            (o.flood.requests, o.flood.duration, o.flood.connections),
            (50, Duration::from_secs(3), 8)
        );
        assert_eq!(o.communities, ["office"]);
        assert_eq!(o.timeout, Duration::from_secs(2));
        assert_eq!(o.probe_timeout, Duration::from_secs(2));
        assert_eq!(o.policy, Policy::default());
        // The IPP port can be moved by --port too.
        let a = args(&[
            "--suite",
            "security",
            "ipp://h/ipp/print",
            "--port",
            "ipp=8631",
        ]);
        let (plan, _) = security_setup(
            &a,
            &TargetUri::parse("ipp://h/ipp/print").unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|Fatal(m)| panic!("{m}"));
        assert_eq!(plan.ports(ServiceKind::Ipp), [8631]);
        // Mistakes are fatal and say what is wrong.
        let uri = TargetUri::parse("ipp://h/ipp/print").unwrap_or_else(|e| panic!("{e}"));
        let a = args(&[
            "--suite",
            "security",
            "ipp://h/ipp/print",
            "--port",
            "fax=1",
        ]);
        assert!(matches!(security_setup(&a, &uri), Err(Fatal(m)) if m.contains("fax")));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let bad = dir.path().join("policy.toml");
        std::fs::write(&bad, "tls = \"required\"\nlpd = \"never\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let a = args(&[
            "--suite",
            "security",
            "ipp://h/ipp/print",
            "--policy",
            &bad.display().to_string(),
        ]);
        match security_setup(&a, &uri) {
            Err(Fatal(m)) => assert!(m.contains("line 2"), "{m}"),
            Ok(_) => panic!("a bad policy was accepted"),
        }
        // Flags of other suites are named, and security flags elsewhere.
        let a = args(&[
            "--suite",
            "security",
            "ipp://h/ipp/print",
            "--allow-write",
            "--allow-print",
        ]);
        let ignored: Vec<&str> = ignored_flags(&a, Suite::Security)
            .into_iter()
            .filter(|(given, _)| *given)
            .map(|(_, f)| f)
            .collect();
        assert_eq!(ignored, ["--allow-write", "--allow-print"]);
        let a = args(&["ipp://h/ipp/print", "--allow-disruptive", "--port", "raw=1"]);
        let ignored: Vec<&str> = ignored_flags(&a, Suite::Ipp)
            .into_iter()
            .filter(|(given, _)| *given)
            .map(|(_, f)| f)
            .collect();
        assert_eq!(ignored, ["--allow-disruptive", "--port"]);
    }

    #[test]
    fn gating() {
        assert!(gates(Level::Must, false));
        assert!(!gates(Level::Should, false));
        assert!(gates(Level::Should, true));
        assert!(!gates(Level::May, true));
    }
}
