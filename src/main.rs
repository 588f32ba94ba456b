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

mod capture_cmd;
mod fault_cmd;
mod fleet;
mod record_cmd;
mod snmp_export;
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
    /// Stand in front of a real printer as a transparent proxy and record
    /// what goes through it into a pcapng file.
    Record(record_cmd::RecordArgs),
    /// Read a capture (pcap, pcapng): its sessions, decoded.
    Capture(capture_cmd::CaptureArgs),
    /// Replay the client side of a capture against a target and diff the
    /// answers with the captured ones.
    Replay(capture_cmd::ReplayArgs),
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
    /// Derive a profile from a capture: IPP attributes from its
    /// Get-Printer-Attributes answers, MIB values from its SNMP answers
    /// (written to a walk file beside the profile), so `serve --profile`
    /// imitates the captured printer.
    FromCapture {
        /// The capture file (pcap or pcapng).
        file: PathBuf,
        /// Write the profile here (and the walk beside it) instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Write a MIB dump: of a profile's virtual printer as it starts, or
    /// (with --from) of a live agent walked over SNMP. A profile's
    /// `[snmp] walk = "FILE"` reads it back.
    SnmpExport {
        /// The profile (default: the embedded one).
        #[arg(long, conflicts_with = "from")]
        profile: Option<PathBuf>,
        /// Walk a live agent instead: `snmp://[community@]host[:port]`.
        #[arg(long, value_name = "URI")]
        from: Option<String>,
        /// `walk` (snmpwalk -On text) or `snmprec` (snmpsim).
        #[arg(long, value_enum, default_value = "walk")]
        format: snmp_export::Format,
        /// Write here instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
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
    /// SNMP agent (v1/v2c, UDP) port (0 picks a free one; 161 needs root or a
    /// network namespace). When the default port is taken, a free one is used
    /// and printed.
    #[arg(long)]
    snmp_port: Option<u16>,
    /// Run no SNMP agent.
    #[arg(long, conflicts_with_all = ["snmp_port"])]
    no_snmp: bool,
    /// Announce the printer by mDNS/DNS-SD (RFC 6762/6763: _ipp._tcp,
    /// _ipps._tcp, _printer._tcp, _pdl-datastream._tcp). On by default when
    /// the printer binds a non-loopback address (loopback has no multicast).
    #[arg(long, conflicts_with = "no_mdns")]
    mdns: bool,
    /// Announce nothing by mDNS, whatever the bind address.
    #[arg(long)]
    no_mdns: bool,
    /// The interface mDNS announces on (its addresses go in the A/AAAA
    /// records); default: the bind address, or every non-loopback interface.
    #[arg(long, value_name = "NAME")]
    mdns_interface: Option<String>,
    /// Announce over IPv6 (ff02::fb) as well as IPv4.
    #[arg(long)]
    mdns_ipv6: bool,
    /// Run N printers in this process, each with its own model, faults and
    /// SNMP agent, on its own loopback address (see --fleet-base). LPD and
    /// AppSocket run only when their ports are given; IPPS is off unless a
    /// certificate is given; mDNS is off.
    #[arg(long, value_name = "N", conflicts_with = "fleet_file")]
    fleet: Option<usize>,
    /// A fleet described in a TOML file: groups of printers with their
    /// profile, faults and quirks (see src/fleet.rs).
    #[arg(long, value_name = "FILE")]
    fleet_file: Option<PathBuf>,
    /// The first printer's address; printer i binds this + i.
    #[arg(long, default_value = "127.1.0.1")]
    fleet_base: std::net::Ipv4Addr,
    /// Put every fleet printer on --bind, each port + i, instead of on
    /// addresses of its own.
    #[arg(long)]
    fleet_ports: bool,
    /// Serve no IPP (fleets of SNMP-only printers: half the sockets).
    #[arg(long)]
    no_ipp: bool,
    /// Send IPP responses to HTTP/1.1 clients with chunked transfer encoding.
    #[arg(long)]
    chunked_responses: bool,
    /// Seconds a connection may stay silent before it is closed.
    #[arg(long, default_value_t = Limits::default().idle_timeout.as_secs())]
    idle_timeout: u64,
    /// A security preset: `locked-down` (IPPS only, Digest authentication,
    /// owner checks, no LPD or raw port, a secret SNMP community) or
    /// `wide-open` (plain IPP, anonymous administration, TLS 1.0 and an
    /// expired certificate on a separate IPPS port, LPD, raw ports
    /// 9100–9102, SNMP public/private, a cups-browsed-style listener).
    #[arg(long, value_name = "PRESET", value_parser = ["locked-down", "wide-open"])]
    security: Option<String>,
    /// Append a JSON line for every job, administrative operation and
    /// refusal (who, from where, what became of it) to this file.
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Serve IPPS alone on this port too, as printers do on 443 (0 picks a free one).
    #[arg(long, value_name = "PORT")]
    ipps_port: Option<u16>,
    /// Another AppSocket port besides --socket-port (repeatable), as
    /// multi-port print servers answer on 9101 and 9102.
    #[arg(long = "raw-port", value_name = "PORT")]
    raw_ports: Vec<u16>,
    /// Bind a cups-browsed-style browse listener on this UDP port; it takes
    /// packets only while the `cups-browsed` fault is raised.
    #[arg(long, value_name = "PORT")]
    browse_port: Option<u16>,
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
        Command::Record(args) => record_cmd::run(args),
        Command::Capture(args) => capture_cmd::run_capture(args),
        Command::Replay(args) => capture_cmd::run_replay(args),
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
        ProfileCommand::FromCapture { file, out } => {
            capture_cmd::run_from_capture(&file, out.as_deref())
        }
        ProfileCommand::SnmpExport {
            profile,
            from,
            format,
            out,
        } => {
            let entries = match (from, profile) {
                (Some(uri), _) => match snmp_export::walk(&uri) {
                    Ok(e) => e,
                    Err(e) => {
                        eprintln!("paperjam: {e}");
                        return ExitCode::from(1);
                    }
                },
                (None, p) => match load_profile(p.as_ref()) {
                    Ok(p) => snmp_export::of_profile(Arc::new(p)),
                    Err(e) => {
                        eprintln!("paperjam: {e}");
                        return ExitCode::from(2);
                    }
                },
            };
            let text = snmp_export::render(&entries, format);
            match out {
                Some(path) => {
                    if let Err(e) = std::fs::write(&path, text) {
                        eprintln!("paperjam: cannot write {}: {e}", path.display());
                        return ExitCode::from(2);
                    }
                    eprintln!("paperjam: {} objects to {}", entries.len(), path.display());
                }
                None => print!("{text}"),
            }
            ExitCode::SUCCESS
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
    cfg.spool = args.spool.clone();
    cfg.speed = args.speed;
    cfg.chunked_responses = args.chunked_responses;
    cfg.quirks = args.quirks.clone();
    cfg.faults = args.faults.clone();
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
    cfg.snmp_port = (!args.no_snmp).then_some(args.snmp_port.unwrap_or(DEFAULT_SNMP_PORT));
    let mdns_on =
        args.mdns || args.mdns_interface.is_some() || (!args.no_mdns && !cfg.bind.is_loopback());
    cfg.mdns = mdns_on.then(|| server::MdnsSettings {
        interface: args.mdns_interface.clone(),
        ipv6: args.mdns_ipv6,
        ..server::MdnsSettings::default()
    });
    let defaults = Defaults {
        lpd: !args.no_lpd && args.lpd_port.is_none(),
        socket: !args.no_socket && args.socket_port.is_none(),
        snmp: !args.no_snmp && args.snmp_port.is_none(),
    };
    cfg.limits = Limits {
        max_request_bytes: args.max_request_bytes,
        max_document_bytes: args.max_document_bytes,
        max_connections: args.max_connections,
        idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
    };
    cfg.tls = match (args.no_tls, args.tls_cert.clone(), args.tls_key.clone()) {
        (true, _, _) => TlsSource::Off,
        (false, Some(cert), Some(key)) => TlsSource::Files { cert, key },
        _ => TlsSource::SelfSigned,
    };
    cfg.audit_log = args.audit_log.clone();
    cfg.ipps_port = args.ipps_port;
    cfg.extra_socket_ports = args.raw_ports.clone();
    cfg.browse_port = args.browse_port;
    let preset = args
        .security
        .as_deref()
        .and_then(paperjam_sim::security::preset::Preset::from_name);
    if let Some(preset) = preset {
        let socket = args.socket_port.unwrap_or(DEFAULT_SOCKET_PORT);
        let ports = paperjam_sim::security::preset::PresetPorts {
            lpd: args.lpd_port.unwrap_or(DEFAULT_LPD_PORT),
            // Port 0 picks a free port for each of the three.
            raw: match socket {
                0 => [0; 3],
                s => [s, s.saturating_add(1), s.saturating_add(2)],
            },
            snmp: args.snmp_port.unwrap_or(DEFAULT_SNMP_PORT),
            ipps: DEFAULT_IPPS_PORT,
            browse: args.ipp_port,
        };
        if args.no_tls {
            eprintln!(
                "paperjam: --security {} needs TLS; drop --no-tls",
                preset.name()
            );
            return ExitCode::from(2);
        }
        preset.configure(&mut cfg, &ports);
        if preset == paperjam_sim::security::preset::Preset::LockedDown {
            let (admin, apw) = paperjam_sim::security::preset::ADMIN;
            let (user, upw) = paperjam_sim::security::preset::USER;
            eprintln!(
                "paperjam: locked-down: Digest credentials {admin}:{apw} (administrator) and {user}:{upw}; SNMP community {}",
                paperjam_sim::security::preset::LOCKED_COMMUNITY
            );
        } else {
            eprintln!(
                "paperjam: warning: wide-open: anyone on the network may administer this printer"
            );
        }
    }
    if args.fleet.is_some() || args.fleet_file.is_some() {
        return serve_fleet(cfg, &args, control);
    }
    if args.no_ipp {
        eprintln!("paperjam: --no-ipp is for fleets (--fleet, --fleet-file)");
        return ExitCode::from(2);
    }
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
        let running = match start_with_fallback(cfg, defaults).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("paperjam: {e}");
                return ExitCode::from(2);
            }
        };
        for u in running.uris() {
            say(&u);
        }
        if let Some(name) = &running.mdns_instance {
            say(&format!("mdns: {name}._ipp._tcp.local"));
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

/// `serve --fleet N` / `--fleet-file`: start every printer, print their URIs,
/// serve until Ctrl-C.
fn serve_fleet(
    mut cfg: ServerConfig,
    args: &ServeArgs,
    control: Option<(IpAddr, Option<u16>)>,
) -> ExitCode {
    let members = match (&args.fleet_file, args.fleet) {
        (Some(path), _) => fleet::from_file(path, cfg.profile.clone()),
        (None, Some(n)) => fleet::uniform(cfg.profile.clone(), n),
        (None, None) => Err(fleet::FleetError::Size("no fleet asked for".into())),
    };
    let members = match members {
        Ok(m) => m,
        Err(e) => {
            eprintln!("paperjam: {e}");
            return ExitCode::from(2);
        }
    };
    // LPD and AppSocket only when asked for by port; IPP unless --no-ipp.
    cfg.lpd_port = args.lpd_port.filter(|_| !args.no_lpd);
    cfg.socket_port = args.socket_port.filter(|_| !args.no_socket);
    cfg.ipp = !args.no_ipp;
    let layout = if args.fleet_ports {
        fleet::Layout::Ports(cfg.bind)
    } else {
        fleet::Layout::Addresses(args.fleet_base)
    };
    let spool_root = match &cfg.spool {
        Some(d) => d.clone(),
        None => match tempfile::Builder::new().prefix("paperjam-fleet-").tempdir() {
            Ok(d) => d.keep(),
            Err(e) => {
                eprintln!("paperjam: cannot make a spool folder: {e}");
                return ExitCode::from(2);
            }
        },
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
        let count = members.len();
        let running = match fleet::start(members, &cfg, layout, &spool_root).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("paperjam: {e}");
                return ExitCode::from(2);
            }
        };
        for r in &running {
            for u in r.uris() {
                say(&u);
            }
        }
        let control = match control {
            None => None,
            Some((bind, port)) => {
                let handles = running.iter().map(|r| r.printer.clone()).collect();
                match start_control_fleet(bind, port, handles).await {
                    Ok(c) => Some(c),
                    Err(code) => return code,
                }
            }
        };
        say(&format!("fleet: {count} printers"));
        eprintln!("paperjam: spool {}", spool_root.display());
        eprintln!("paperjam: serving until Ctrl-C");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("paperjam: shutting down {count} printers");
        if let Some(c) = control {
            c.shutdown().await;
        }
        let mut all = tokio::task::JoinSet::new();
        for r in running {
            all.spawn(r.shutdown(Duration::from_secs(10)));
        }
        while all.join_next().await.is_some() {}
        ExitCode::SUCCESS
    })
}

/// The fleet's control API: `/printers/N/…` for printer N.
async fn start_control_fleet(
    bind: IpAddr,
    port: Option<u16>,
    handles: Vec<server::PrinterHandle>,
) -> Result<paperjam_sim::net::control::ControlServer, ExitCode> {
    use paperjam_sim::net::control::{start_control_fleet, DEFAULT_CONTROL_PORT};
    let addr = std::net::SocketAddr::new(bind, port.unwrap_or(DEFAULT_CONTROL_PORT));
    let started = match start_control_fleet(addr, handles.clone()).await {
        Err(e) if port.is_none() && e.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!("paperjam: control port {DEFAULT_CONTROL_PORT} is taken; using a free one");
            start_control_fleet(std::net::SocketAddr::new(bind, 0), handles).await
        }
        other => other,
    };
    match started {
        Ok(c) => {
            say(&format!("control: http://{}", c.addr));
            Ok(c)
        }
        Err(e) => {
            eprintln!("paperjam: cannot start the control API on {addr}: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// LPD's port unless told: RFC 1179's 515 needs root, so 515 + 8000.
const DEFAULT_LPD_PORT: u16 = 8515;
/// AppSocket's port unless told: JetDirect's own.
const DEFAULT_SOCKET_PORT: u16 = 9100;

/// The separate IPPS port of the wide-open preset unless told: 443 + 8000.
const DEFAULT_IPPS_PORT: u16 = 8443;

/// SNMP's port unless told: 161 needs root, so 161 + 8000.
const DEFAULT_SNMP_PORT: u16 = 8161;

/// Which ports are defaults (not asked for by the user), so may move.
#[derive(Clone, Copy)]
struct Defaults {
    lpd: bool,
    socket: bool,
    snmp: bool,
}

/// Start the printer; when a default LPD, AppSocket or SNMP port (not one the
/// user asked for) is taken, use a free port for it and say so.
async fn start_with_fallback(
    mut cfg: ServerConfig,
    defaults: Defaults,
) -> Result<server::RunningServer, server::ServerError> {
    for _ in 0..4 {
        match server::start(cfg.clone()).await {
            Err(server::ServerError::Bind { addr, source })
                if source.kind() == std::io::ErrorKind::AddrInUse =>
            {
                let port = Some(addr.port());
                let slot = if defaults.lpd && cfg.lpd_port == port {
                    &mut cfg.lpd_port
                } else if defaults.socket && cfg.socket_port == port {
                    &mut cfg.socket_port
                } else if defaults.snmp && cfg.snmp_port == port {
                    &mut cfg.snmp_port
                } else {
                    return Err(server::ServerError::Bind { addr, source });
                };
                eprintln!("paperjam: port {} is taken; using a free one", addr.port());
                *slot = Some(0);
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
