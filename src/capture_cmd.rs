//! `paperjam capture inspect`, `paperjam replay` and `paperjam profile
//! from-capture`: captures read, replayed against a target, and turned into
//! printers. The work is in `paperjam_suites::pcap` and `::replay` and in
//! `paperjam_sim::profile::derive`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use paperjam_sim::profile::derive::derive;
use paperjam_suites::client::TargetUri;
use paperjam_suites::grade::Outcome;
use paperjam_suites::pcap::profile::profile_sources;
use paperjam_suites::pcap::session::{render_text, SessionSet};
use paperjam_suites::raw_target::{RawProtocol, RawTarget};
use paperjam_suites::replay::{replay, ReplayOptions, ReplayTargets};
use paperjam_suites::report::{markdown, Report};
use paperjam_suites::snmp::SnmpTarget;

use crate::test_cmd::Format;

/// `paperjam capture …`.
#[derive(Args, Debug)]
pub struct CaptureArgs {
    #[command(subcommand)]
    command: CaptureCommand,
}

#[derive(Subcommand, Debug)]
enum CaptureCommand {
    /// Read a capture (pcap or pcapng) and show its sessions: TCP flows
    /// reassembled, each protocol's messages decoded (IPP operations and
    /// attributes, LPD commands, PJL, SNMP varbinds, mDNS records).
    Inspect {
        /// The capture file.
        file: PathBuf,
        /// `text` (default) or `json`.
        #[arg(long, value_enum, default_value = "text")]
        format: InspectFormat,
    },
}

/// How `capture inspect` writes.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum InspectFormat {
    /// For people.
    Text,
    /// For programs: every session, exchange and warning.
    Json,
}

/// `paperjam replay FILE --target URI…`.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The capture file (pcap or pcapng).
    file: PathBuf,
    /// Where each protocol's sessions go (repeatable: one each of
    /// ipp:// or ipps://, lpd://host/queue, socket://, snmp://, and dnssd:
    /// for mDNS, whose queries go to the multicast group on --mdns-interface).
    #[arg(long = "target", value_name = "URI", required = true)]
    targets: Vec<String>,
    /// The interface mDNS queries are sent on (a name such as `eth0`, or an
    /// IPv4 address of it; default: the OS's multicast route).
    #[arg(long, value_name = "NAME|ADDR")]
    mdns_interface: Option<String>,
    /// Replay requests that print (Print-Job, LPD jobs, AppSocket data).
    #[arg(long)]
    allow_print: bool,
    /// Replay requests that change the printer or others' jobs (IPP
    /// administration, Cancel-Job of a job the replay did not create, SNMP Set).
    #[arg(long, visible_alias = "allow-write")]
    allow_changes: bool,
    /// SNMP community to use instead of the captured one.
    #[arg(long, value_name = "NAME")]
    community: Option<String>,
    /// Time limit of one answer, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    timeout: u64,
    /// Count a value difference (a warning) as a failure.
    #[arg(long)]
    strict: bool,
    /// Report formats to write (repeatable; default json and markdown).
    #[arg(long = "format", value_enum, value_name = "FORMAT")]
    formats: Vec<Format>,
    /// Folder for the reports.
    #[arg(long, value_name = "DIR", default_value = "paperjam-replay")]
    out: PathBuf,
}

fn read(file: &Path) -> Result<SessionSet, String> {
    SessionSet::from_file(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
}

fn fail(msg: String) -> ExitCode {
    eprintln!("paperjam: {msg}");
    ExitCode::from(2)
}

/// Run `paperjam capture …`.
pub fn run_capture(args: CaptureArgs) -> ExitCode {
    match args.command {
        CaptureCommand::Inspect { file, format } => match read(&file) {
            Ok(set) => {
                let text = match format {
                    InspectFormat::Text => render_text(&set),
                    InspectFormat::Json => match serde_json::to_string_pretty(&set) {
                        Ok(j) => j + "\n",
                        Err(e) => return fail(format!("cannot write JSON: {e}")),
                    },
                };
                // A reader that stops early (`| head`) is not an error.
                use std::io::Write as _;
                match std::io::stdout().lock().write_all(text.as_bytes()) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                        fail(format!("cannot write: {e}"))
                    }
                    _ => ExitCode::SUCCESS,
                }
            }
            Err(e) => fail(e),
        },
    }
}

fn targets(uris: &[String], mdns_interface: Option<&str>) -> Result<ReplayTargets, String> {
    let mut t = ReplayTargets::default();
    for u in uris {
        if u.to_ascii_lowercase().starts_with("dnssd:") {
            t.mdns = Some(paperjam_suites::mdns::Source::Network(
                paperjam_suites::mdns::UdpLinkConfig {
                    interface: mdns_interface.map(paperjam_suites::mdns::Interface::parse),
                    ..paperjam_suites::mdns::UdpLinkConfig::default()
                },
            ));
            continue;
        }
        let scheme = u.split("://").next().unwrap_or("").to_ascii_lowercase();
        match scheme.as_str() {
            "ipp" | "ipps" | "http" | "https" => {
                t.ipp = Some(TargetUri::parse(u).map_err(|e| e.to_string())?);
            }
            "lpd" | "socket" | "raw" => {
                let r = RawTarget::parse(u).map_err(|e| e.to_string())?;
                match r.protocol {
                    RawProtocol::Lpd => t.lpd = Some(r),
                    RawProtocol::AppSocket => t.socket = Some(r),
                }
            }
            "snmp" => t.snmp = Some(SnmpTarget::parse(u).map_err(|e| e.to_string())?),
            _ => {
                return Err(format!(
                    "{u}: a replay target is ipp://, ipps://, lpd://, socket://, snmp:// or dnssd:"
                ))
            }
        }
    }
    Ok(t)
}

/// Run `paperjam replay`.
pub fn run_replay(args: ReplayArgs) -> ExitCode {
    let set = match read(&args.file) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let targets = match targets(&args.targets, args.mdns_interface.as_deref()) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let capture = args
        .file
        .file_stem()
        .map_or("capture".into(), |s| s.to_string_lossy().into_owned());
    let opts = ReplayOptions {
        capture: capture.clone(),
        allow_print: args.allow_print,
        allow_write: args.allow_changes,
        timeout: Duration::from_secs(args.timeout.max(1)),
        community: args.community.clone(),
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let result = rt.block_on(replay(&set.sessions, &targets, &opts));
    let mut report = Report::new(
        &targets.describe(),
        &format!(
            "replay of {} ({} sessions, {} frames)",
            args.file.display(),
            set.sessions.len(),
            set.frames
        ),
        args.strict,
        result.cases,
    );
    report.normalisation = result.rules;
    report.notes = set.warnings.iter().map(ToString::to_string).collect();
    for sess in &set.sessions {
        for p in &sess.problems {
            report.notes.push(format!("s{}: {p}", sess.number));
        }
    }
    for n in &report.notes {
        eprintln!("paperjam: {}: {n}", args.file.display());
    }
    let formats = if args.formats.is_empty() {
        vec![Format::Json, Format::Markdown]
    } else {
        args.formats.clone()
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(format!("cannot create {}: {e}", args.out.display()));
    }
    for f in formats {
        let path = args.out.join(f.file_name());
        let text = match f.render(&report) {
            Ok(t) => t,
            Err(e) => return fail(format!("cannot render {}: {e}", f.file_name())),
        };
        if let Err(e) = std::fs::write(&path, text) {
            return fail(format!("cannot write {}: {e}", path.display()));
        }
        println!("wrote {}", path.display());
    }
    print!("{}", markdown::summary_table(&report));
    let bad = report
        .cases
        .iter()
        .filter(|c| matches!(c.verdict(args.strict), Outcome::Fail | Outcome::Error))
        .count();
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("paperjam: {bad} exchange(s) answered otherwise than captured, or got no answer");
        ExitCode::from(1)
    }
}

/// Run `paperjam profile from-capture`.
pub fn run_from_capture(file: &Path, out: Option<&Path>) -> ExitCode {
    let set = match read(file) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let walk_name = out.map(|o| {
        let stem = o
            .file_stem()
            .map_or("profile".into(), |s| s.to_string_lossy().into_owned());
        format!("{stem}.snmpwalk")
    });
    let mut src = profile_sources(&set, walk_name.clone());
    if src.mib.is_empty() {
        src.walk_file = None;
    } else if out.is_none() {
        return fail(
            "the capture has SNMP answers: give --out FILE.toml so the MIB values can go in a walk file beside it"
                .into(),
        );
    }
    let derived = match derive(&src) {
        Ok(d) => d,
        Err(e) => return fail(format!("{}: {e}", file.display())),
    };
    for n in &derived.notes {
        eprintln!("note: {n}");
    }
    match out {
        None => print!("{}", derived.toml),
        Some(o) => {
            if let Err(e) = std::fs::write(o, &derived.toml) {
                return fail(format!("cannot write {}: {e}", o.display()));
            }
            println!("wrote {}", o.display());
            if let (Some(walk), Some(name)) = (&derived.walk, &src.walk_file) {
                let p = o.parent().unwrap_or(Path::new(".")).join(name);
                if let Err(e) = std::fs::write(&p, walk) {
                    return fail(format!("cannot write {}: {e}", p.display()));
                }
                println!("wrote {}", p.display());
            }
        }
    }
    ExitCode::SUCCESS
}
