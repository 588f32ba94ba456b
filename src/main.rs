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
mod test_cmd;

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
