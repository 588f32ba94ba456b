//! `paperjam`: virtual printers that misbehave on command, and a conformance
//! runner that grades real ones. The CLI is thin: it parses flags and calls the
//! `paperjam-sim` and `paperjam-suites` crates.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, Limits, ServerConfig, TlsSource};
use paperjam_sim::profile::{Profile, DEFAULT_PROFILE_TOML};

mod fault_cmd;

/// Virtual printers that misbehave on command, and a conformance runner.
#[derive(Parser, Debug)]
#[command(name = "paperjam", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a virtual printer (IPP and IPPS on one port) until Ctrl-C.
    Serve(ServeArgs),
    /// Grade a printer: run a conformance suite against it and write reports.
    Test(test_cmd::TestArgs),
    /// Raise, clear and list faults on a running printer (its control API).
    Fault(fault_cmd::FaultArgs),
    /// Printer profiles.
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
}

#[derive(Subcommand, Debug)]
enum ProfileCommand {
    /// Print a profile's TOML (`default` is the embedded one) to copy and edit.
    Show {
        /// `default` or a path to a profile file.
        name: String,
    },
    /// Load a profile and report whether it is valid.
    Check {
        /// A path to a profile file.
        path: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Printer profile (TOML); the embedded default office laser if absent.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Address to bind. Loopback unless you say otherwise.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// IPP/IPPS port (0 picks a free one).
    #[arg(long, default_value_t = 8631)]
    ipp_port: u16,
    /// Spool folder for received documents (default: a fresh temporary folder, named at start).
    #[arg(long)]
    spool: Option<PathBuf>,
    /// Printing speed: `realtime`, `instant`, or a factor such as `10`.
    #[arg(long, default_value = "realtime")]
    speed: Speed,
    /// TLS certificate chain (PEM) for IPPS; a self-signed one is made if absent.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain IPP only.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    no_tls: bool,
    /// Largest IPP attribute section of a request, bytes.
    #[arg(long, default_value_t = Limits::default().max_request_bytes)]
    max_request_bytes: usize,
    /// Largest document after decompression, bytes.
    #[arg(long, default_value_t = Limits::default().max_document_bytes)]
    max_document_bytes: u64,
    /// Most connections served at once.
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Speak a broken dialect on purpose (repeatable): a quirk of
    /// `paperjam fault catalog`, e.g. ipp-version-1.0, server-error-busy;
    /// `NAME@Operation-Name` limits it to one operation.
    #[arg(long = "quirk", value_name = "NAME[@OPERATION]")]
    quirks: Vec<paperjam_sim::ipp::quirks::Quirk>,
    /// Raise a fault at start (repeatable): a toxic (`latency=200ms`,
    /// `reset_peer`), a quirk or an event (`media-jam`); see `paperjam fault catalog`.
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<paperjam_sim::fault::Fault>,
    /// Play a scenario: a timeline of faults (TOML, see fixtures/scenarios/).
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Seed of every random choice faults make (default: the scenario's, else 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Control API port (HTTP/JSON; 0 picks a free one). When the default port
    /// is taken, a free one is used and printed.
    #[arg(long)]
    control_port: Option<u16>,
    /// Address the control API binds. Loopback unless you say otherwise.
    #[arg(long, default_value = "127.0.0.1")]
    control_bind: IpAddr,
    /// Run without the control API.
    #[arg(long, conflicts_with_all = ["control_port"])]
    no_control: bool,
    /// LPD (RFC 1179) port (0 picks a free one). When the default port is
    /// taken, a free one is used and printed.
    #[arg(long)]
    lpd_port: Option<u16>,
    /// Serve no LPD.
    #[arg(long, conflicts_with_all = ["lpd_port"])]
    no_lpd: bool,
    /// AppSocket/JetDirect port for raw jobs and PJL (0 picks a free one).
    /// When the default port is taken, a free one is used and printed.
    #[arg(long)]
    socket_port: Option<u16>,
    /// Serve no AppSocket port.
    #[arg(long, conflicts_with_all = ["socket_port"])]
    no_socket: bool,
    /// Send IPP responses to HTTP/1.1 clients with chunked transfer encoding.
    #[arg(long)]
    chunked_responses: bool,
    /// Seconds a connection may stay silent before it is closed.
    #[arg(long, default_value_t = Limits::default().idle_timeout.as_secs())]
    idle_timeout: u64,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PAPERJAM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Profile { command } => profile(command),
        Command::Test(args) => test_cmd::run(args),
        Command::Fault(args) => fault_cmd::run(args),
    }
}

fn load_profile(path: Option<&PathBuf>) -> Result<Profile, String> {
    match path {
        None => Profile::default_profile().map_err(|e| e.to_string()),
        Some(p) => Profile::load(p).map_err(|e| e.to_string()),
    }
}

fn profile(cmd: ProfileCommand) -> ExitCode {
    match cmd {
        ProfileCommand::Show { name } => {
            if name == "default" {
                print!("{DEFAULT_PROFILE_TOML}");
                return ExitCode::SUCCESS;
            }
            match std::fs::read_to_string(&name) {
                Ok(t) => {
                    print!("{t}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("paperjam: cannot read profile {name}: {e}");
                    ExitCode::from(2)
                }
            }
        }
        ProfileCommand::Check { path } => match Profile::load(&path) {
            Ok(p) => {
                println!("{}: ok ({})", path.display(), p.make_and_model());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("paperjam: {e}");
                ExitCode::from(1)
            }
        },
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let profile = match load_profile(args.profile.as_ref()) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!("paperjam: {e}");
            return ExitCode::from(2);
        }
    };
    let mut cfg = ServerConfig::new(profile);
    cfg.bind = args.bind;
    cfg.ipp_port = args.ipp_port;
    cfg.spool = args.spool;
    cfg.speed = args.speed;
    cfg.chunked_responses = args.chunked_responses;
    cfg.quirks = args.quirks;
    cfg.faults = args.faults;
    if let Some(path) = &args.scenario {
        match paperjam_sim::fault::scenario::Scenario::load(path) {
            Ok(s) => {
                cfg.seed = args.seed.or(s.seed).unwrap_or(0);
                cfg.scenario = Some(s);
            }
            Err(e) => {
                eprintln!("paperjam: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        // The profile's own scenario, if it has one (checked when it was loaded).
        cfg.scenario = cfg.profile.scenario();
        cfg.seed = args
            .seed
            .or(cfg.scenario.as_ref().and_then(|s| s.seed))
            .unwrap_or(0);
    }
    let control = (!args.no_control).then_some((args.control_bind, args.control_port));
    cfg.lpd_port = (!args.no_lpd).then_some(args.lpd_port.unwrap_or(DEFAULT_LPD_PORT));
    cfg.socket_port = (!args.no_socket).then_some(args.socket_port.unwrap_or(DEFAULT_SOCKET_PORT));
    let lpd_default = !args.no_lpd && args.lpd_port.is_none();
    let socket_default = !args.no_socket && args.socket_port.is_none();
    cfg.limits = Limits {
        max_request_bytes: args.max_request_bytes,
        max_document_bytes: args.max_document_bytes,
        max_connections: args.max_connections,
        idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
    };
    cfg.tls = match (args.no_tls, args.tls_cert, args.tls_key) {
        (true, _, _) => TlsSource::Off,
        (false, Some(cert), Some(key)) => TlsSource::Files { cert, key },
        _ => TlsSource::SelfSigned,
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("paperjam: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    rt.block_on(async move {
        if !cfg.bind.is_loopback() {
            eprintln!(
                "paperjam: warning: serving on {}, reachable from other hosts",
                cfg.bind
            );
        }
        let running = match start_with_fallback(cfg, lpd_default, socket_default).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("paperjam: {e}");
                return ExitCode::from(2);
            }
        };
        for u in running.uris() {
            say(&u);
        }
        let control = match control {
            None => None,
            Some((bind, port)) => match start_control(bind, port, &running).await {
                Ok(c) => Some(c),
                Err(code) => return code,
            },
        };
        eprintln!("paperjam: spool {}", running.printer.spool_dir().display());
        eprintln!("paperjam: serving until Ctrl-C");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("paperjam: shutting down");
        if let Some(c) = control {
            c.shutdown().await;
        }
        running.shutdown(Duration::from_secs(10)).await;
        ExitCode::SUCCESS
    })
}

/// LPD's port unless told: RFC 1179's 515 needs root, so 515 + 8000.
const DEFAULT_LPD_PORT: u16 = 8515;
/// AppSocket's port unless told: JetDirect's own.
const DEFAULT_SOCKET_PORT: u16 = 9100;

/// Start the printer; when a default LPD or AppSocket port (not one the user
/// asked for) is taken, use a free port for it and say so.
async fn start_with_fallback(
    mut cfg: ServerConfig,
    lpd_default: bool,
    socket_default: bool,
) -> Result<server::RunningServer, server::ServerError> {
    for _ in 0..3 {
        match server::start(cfg.clone()).await {
            Err(server::ServerError::Bind { addr, source })
                if source.kind() == std::io::ErrorKind::AddrInUse
                    && ((lpd_default && cfg.lpd_port == Some(addr.port()))
                        || (socket_default && cfg.socket_port == Some(addr.port()))) =>
            {
                eprintln!("paperjam: port {} is taken; using a free one", addr.port());
                if cfg.lpd_port == Some(addr.port()) {
                    cfg.lpd_port = Some(0);
                } else {
                    cfg.socket_port = Some(0);
                }
            }
            other => return other,
        }
    }
    server::start(cfg).await
}

/// A line on stdout for scripts to read (URIs, the control URL). A reader that
/// took what it wanted and closed the pipe must not bring the printer down, so
/// write errors are ignored (`println!` would panic on a broken pipe).
fn say(line: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Start the control API: on `port`, or on the default port and, when that is
/// taken, on a free one. Prints its URL on stdout.
async fn start_control(
    bind: IpAddr,
    port: Option<u16>,
    running: &server::RunningServer,
) -> Result<paperjam_sim::net::control::ControlServer, ExitCode> {
    use paperjam_sim::net::control::{start_control, DEFAULT_CONTROL_PORT};
    let addr = std::net::SocketAddr::new(bind, port.unwrap_or(DEFAULT_CONTROL_PORT));
    let started = match start_control(addr, running.printer.clone()).await {
        Err(e) if port.is_none() && e.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!("paperjam: control port {DEFAULT_CONTROL_PORT} is taken; using a free one");
            start_control(std::net::SocketAddr::new(bind, 0), running.printer.clone()).await
        }
        other => other,
    };
    match started {
        Ok(c) => {
            let host = match c.addr.ip() {
                IpAddr::V6(a) => format!("[{a}]"),
                IpAddr::V4(a) => a.to_string(),
            };
            say(&format!("control: http://{host}:{}", c.addr.port()));
            if bind.is_loopback() {
                eprintln!("paperjam: control API on loopback only ({})", c.addr);
            } else {
                eprintln!(
                    "paperjam: warning: control API on {}, reachable from other hosts: anyone there can raise faults",
                    c.addr
                );
            }
            Ok(c)
        }
        Err(e) => {
            eprintln!("paperjam: cannot start the control API on {addr}: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// `paperjam test`: grade a printer against a suite and write reports.
mod test_cmd {
    use std::collections::VecDeque;
    use std::io::IsTerminal as _;
    use std::net::IpAddr;
    use std::path::PathBuf;
    use std::process::ExitCode;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use clap::ValueEnum;
    use indicatif::{ProgressBar, ProgressStyle};
    use paperjam_suites::client::{Connection, TargetUri};
    use paperjam_suites::grade::{CaseResult, Outcome};
    use paperjam_suites::report::{html, junit, markdown, Report};
    use paperjam_suites::runner::{value_text, RunOptions, Runner};
    use paperjam_suites::spec::{load_dir, Case, Level};

    /// Flags of `paperjam test`.
    #[derive(clap::Args, Debug)]
    #[command(after_help = "\
Exit status: 0 when every MUST passed (with --strict, every SHOULD too); 1 when one failed or
got no verdict; 2 when the runner could not run (bad target, unreachable target, suite errors).

Without --allow-print no case prints paper; without --allow-changes no case changes settings,
pauses the printer or cancels jobs. The report says which cases were skipped and why.")]
    pub struct TestArgs {
        /// The printer: `ipp://host[:port]/path` or `ipps://…` (not needed with --list).
        #[arg(required_unless_present = "list")]
        target: Option<String>,
        /// Which suite to run.
        #[arg(long, value_enum, default_value_t = Suite::Ipp)]
        suite: Suite,
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
        /// Most pages printing cases may use.
        #[arg(long, value_name = "N")]
        page_budget: Option<u32>,
        /// Run cases that change settings, pause the printer or cancel jobs.
        #[arg(long)]
        allow_changes: bool,
        /// Cases run at once (default 1, or 4 for a loopback target).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// Time limit of one request, seconds.
        #[arg(long, value_name = "SECS", default_value_t = 30)]
        timeout: u64,
        /// List the cases (id, level, clause, title) and exit.
        #[arg(long)]
        list: bool,
    }

    /// The suites there are.
    #[derive(Clone, Copy, Debug, ValueEnum)]
    enum Suite {
        /// IPP/1.1 and IPP/2.x over HTTP (`suites/ipp`).
        Ipp,
    }

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
    enum Format {
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
        fn file_name(self) -> &'static str {
            match self {
                Format::Json => "report.json",
                Format::Markdown => "report.md",
                Format::Html => "report.html",
                Format::Junit => "junit.xml",
            }
        }

        fn render(self, r: &Report) -> Result<String, String> {
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
        let dir = match (&args.suite_dir, args.suite) {
            (Some(d), _) => d.clone(),
            (None, Suite::Ipp) => paperjam_suites::ipp_suite_dir(),
        };
        let cases = select(
            load_dir(&dir).map_err(|e| Fatal(format!("cannot load the suite: {e}")))?,
            &args.cases,
            args.level.map(LevelArg::level),
        );
        if cases.is_empty() {
            return Err(Fatal(format!(
                "no case in {} matches the --case/--level filters",
                dir.display()
            )));
        }
        if args.list {
            print!("{}", list(&cases));
            return Ok(ExitCode::SUCCESS);
        }
        let target = parse_target(args.target.as_deref().unwrap_or_default())?;
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
            .unwrap_or(if is_loopback(&target) { 4 } else { 1 })
            .max(1);
        let opts = RunOptions {
            allow_print: args.allow_print,
            allow_changes: args.allow_changes,
            page_budget: args.page_budget,
            timeout: Duration::from_secs(args.timeout.max(1)),
            documents: paperjam_suites::documents_dir(),
            user: "paperjam".into(),
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Fatal(format!("cannot start the async runtime: {e}")))?;
        let (results, description, features_error) =
            rt.block_on(run_cases(target.clone(), opts, cases, jobs))?;

        let report = Report::new(&target.uri, &description, args.strict, results);
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
            let graded = report
                .cases
                .iter()
                .any(|c| !matches!(c.outcome, Outcome::Error | Outcome::Skip));
            if !graded {
                return Err(Fatal(format!(
                    "could not grade {}: Get-Printer-Attributes at start failed ({e}) and no case got a verdict",
                    target.uri
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

    /// Whether a case at `level` decides the exit status.
    fn gates(level: Level, strict: bool) -> bool {
        level == Level::Must || (strict && level == Level::Should)
    }

    /// The cases after `--case` and `--level`.
    fn select(cases: Vec<Case>, globs: &[String], level: Option<Level>) -> Vec<Case> {
        cases
            .into_iter()
            .filter(|c| level.is_none_or(|l| c.level <= l))
            .filter(|c| globs.is_empty() || globs.iter().any(|g| glob_match(g, &c.id)))
            .collect()
    }

    /// `--list` output: aligned columns.
    fn list(cases: &[Case]) -> String {
        let w_id = cases
            .iter()
            .map(|c| c.id.chars().count())
            .max()
            .unwrap_or(0);
        let w_clause = cases
            .iter()
            .map(|c| c.clause.chars().count())
            .max()
            .unwrap_or(0);
        let mut s = String::new();
        for c in cases {
            s.push_str(&format!(
                "{:<w_id$}  {:<6}  {:<w_clause$}  {}\n",
                c.id,
                c.level.as_str(),
                c.clause,
                c.title
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

    fn parse_target(s: &str) -> Result<TargetUri, Fatal> {
        let scheme = s
            .split_once("://")
            .map(|(a, _)| a.to_ascii_lowercase())
            .unwrap_or_default();
        match scheme.as_str() {
            "ipp" | "ipps" => TargetUri::parse(s).map_err(Fatal::from),
            _ => Err(Fatal(format!(
                "cannot test '{s}': paperjam test takes ipp:// or ipps:// targets; \
                 lpd/socket/snmp targets come with their protocols"
            ))),
        }
    }

    fn is_loopback(t: &TargetUri) -> bool {
        t.host.eq_ignore_ascii_case("localhost")
            || t.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
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
                (String::new(), Some(e.to_string()))
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
            assert!(parse_target("ipp://127.0.0.1:631/ipp/print").is_ok());
            assert!(parse_target("ipps://printer.local/ipp/print").is_ok());
            for bad in [
                "lpd://host/queue",
                "socket://host:9100",
                "snmp://host",
                "nothing",
            ] {
                match parse_target(bad) {
                    Err(Fatal(m)) => assert!(m.contains("come with their protocols"), "{m}"),
                    Ok(_) => panic!("{bad} accepted"),
                }
            }
            let lo = TargetUri::parse("ipp://localhost/ipp/print").ok();
            assert!(lo.as_ref().is_some_and(is_loopback));
            let v6 = TargetUri::parse("ipp://[::1]:631/ipp/print").ok();
            assert!(v6.as_ref().is_some_and(is_loopback));
            let far = TargetUri::parse("ipp://192.0.2.7/ipp/print").ok();
            assert!(far.as_ref().is_some_and(|t| !is_loopback(t)));
        }

        #[test]
        fn gating() {
            assert!(gates(Level::Must, false));
            assert!(!gates(Level::Should, false));
            assert!(gates(Level::Should, true));
            assert!(!gates(Level::May, true));
        }
    }
}
