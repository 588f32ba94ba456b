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
        let running = match server::start(cfg).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("paperjam: {e}");
                return ExitCode::from(2);
            }
        };
        for u in running.uris() {
            println!("{u}");
        }
        eprintln!("paperjam: spool {}", running.printer.spool_dir().display());
        eprintln!("paperjam: serving until Ctrl-C");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("paperjam: shutting down");
        running.shutdown(Duration::from_secs(10)).await;
        ExitCode::SUCCESS
    })
}
