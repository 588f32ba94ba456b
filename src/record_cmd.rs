//! `paperjam record`: a transparent proxy in front of a real printer that
//! records what goes through it into a pcapng file.
//!
//! The proxy itself is [`paperjam_suites::pcap::record`] (embeddable, tested
//! there and in `tests/record_proxy.rs`); this file only reads the flags,
//! starts it, waits for Ctrl-C, `--duration` or `--count`, and prints the
//! summary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use paperjam_suites::pcap::record::{
    parse_listen, RecordConfig, RecordError, Recorder, Relay, Upstream, UpstreamScheme,
};
use paperjam_suites::pcap::write::SharedWriter;

/// Flags of `paperjam record`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  paperjam record --upstream ipp://10.0.0.7/ipp/print --out printer.pcapng
      then point the client at ipp://127.0.0.1:8631/ipp/print
  paperjam record --listen 127.0.0.1:9100 --upstream socket://10.0.0.7 --out job.pcapng --count 1
  paperjam record --upstream ipp://10.0.0.7/ipp/print --udp-listen 127.0.0.1:8161 --out both.pcapng
  paperjam record --listen 127.0.0.1:8161 --upstream snmp://10.0.0.7 --out snmp.pcapng --duration 60

Upstreams: ipp:// and ipps:// (port 631), http:// (80), https:// (443), lpd:// (515),
socket:// (9100), tcp://host:port, and snmp:// (161, UDP). TCP is relayed byte for byte:
ipps:// and https:// stay TLS, so the capture holds encrypted records, not IPP.

The capture shows the client talking straight to the printer, with their real addresses
and ports, as if taken on the printer's wire; --as-seen shows the proxy's own sockets
instead (client -> proxy, proxy -> printer). Half-closes and resets are passed on and
recorded as FIN and RST. A connection the printer refuses is reset, with a warning.

The listen address defaults to loopback, on the printer's port (+ 8000 below 1024: 8631,
8515, 8161). Ctrl-C, --duration or --count stop it; the file is flushed and a summary
printed. Exit status: 0 when the capture is complete, 1 when writing it failed part-way,
2 when the proxy could not start.")]
pub struct RecordArgs {
    /// The printer to stand in front of: `ipp://host[:port]/…`, `ipps://…`
    /// (TLS stays encrypted in the capture), `http://…`, `lpd://host[:port]`,
    /// `socket://host[:port]`, `tcp://host:port`, or `snmp://host[:port]` (UDP).
    #[arg(long, value_name = "URI")]
    upstream: String,
    /// Where clients connect: `ADDR:PORT`, or `PORT` on loopback (default:
    /// 127.0.0.1 on the upstream's port, + 8000 when below 1024). UDP for an
    /// snmp:// upstream.
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<String>,
    /// The pcapng file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Relay SNMP (UDP) too, listening here (`ADDR:PORT` or `PORT` on loopback).
    #[arg(long, value_name = "ADDR:PORT")]
    udp_listen: Option<String>,
    /// Where --udp-listen forwards (default: snmp:// on the upstream's host, port 161).
    #[arg(long, value_name = "URI", requires = "udp_listen")]
    udp_upstream: Option<String>,
    /// Most connections relayed at once (and UDP clients); more wait.
    #[arg(long, value_name = "N", default_value_t = RecordConfig::default().max_connections)]
    max_connections: usize,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    duration: Option<u64>,
    /// Stop once N connections are done (for an snmp:// upstream: once N
    /// requests are relayed and their answers have had a second to come).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Record the proxy's own addresses (client -> proxy, proxy -> printer)
    /// instead of the client talking straight to the printer.
    #[arg(long)]
    as_seen: bool,
    /// Time limit of connecting to the upstream, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    connect_timeout: u64,
}

/// Build the proxy's configuration from the flags.
fn config(args: &RecordArgs) -> Result<RecordConfig, RecordError> {
    let upstream = Upstream::parse(&args.upstream)?;
    let listen = match &args.listen {
        Some(s) => parse_listen(s)?,
        None => parse_listen(&upstream.default_listen_port().to_string())?,
    };
    let mut cfg = RecordConfig {
        max_connections: args.max_connections.max(1),
        count: args.count,
        duration: args.duration.map(Duration::from_secs),
        as_seen: args.as_seen,
        connect_timeout: Duration::from_secs(args.connect_timeout.max(1)),
        ..RecordConfig::default()
    };
    if upstream.scheme.is_udp() {
        if args.udp_listen.is_some() {
            return Err(RecordError::Config(
                "an snmp:// upstream is relayed on --listen; --udp-listen is for TCP upstreams",
            ));
        }
        cfg.udp = Some(Relay { listen, upstream });
        return Ok(cfg);
    }
    if let Some(udp_listen) = &args.udp_listen {
        let udp_upstream = match &args.udp_upstream {
            Some(u) => Upstream::parse(u)?,
            None => Upstream {
                uri: format!("snmp://{}", upstream.authority()),
                scheme: UpstreamScheme::Snmp,
                host: upstream.host.clone(),
                port: 161,
            },
        };
        if !udp_upstream.scheme.is_udp() {
            return Err(RecordError::Config("--udp-upstream must be an snmp:// URI"));
        }
        cfg.udp = Some(Relay {
            listen: parse_listen(udp_listen)?,
            upstream: udp_upstream,
        });
    }
    cfg.tcp = Some(Relay { listen, upstream });
    Ok(cfg)
}

fn warn_if_exposed(what: &str, addr: Option<SocketAddr>) {
    if let Some(a) = addr.filter(|a| !a.ip().is_loopback()) {
        eprintln!("paperjam: warning: {what} on {a}, reachable from other hosts");
    }
}

/// `paperjam record`.
pub fn run(args: RecordArgs) -> ExitCode {
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("paperjam: {e}");
            return ExitCode::from(2);
        }
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
        let tcp_up = cfg.tcp.as_ref().map(|r| r.upstream.clone());
        let udp_up = cfg.udp.as_ref().map(|r| r.upstream.clone());
        // Bind before creating the file, so a failed start leaves no empty capture.
        let recorder = match Recorder::bind(cfg).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("paperjam: {e}");
                return ExitCode::from(2);
            }
        };
        let sink = match SharedWriter::create(&args.out) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("paperjam: {}: {e}", args.out.display());
                return ExitCode::from(2);
            }
        };
        warn_if_exposed("listening", recorder.tcp_addr());
        warn_if_exposed("listening (UDP)", recorder.udp_addr());
        if let (Some(a), Some(u)) = (recorder.tcp_addr(), &tcp_up) {
            let tls = if u.scheme.is_tls() {
                " (TLS: recorded encrypted)"
            } else {
                ""
            };
            eprintln!("paperjam: relaying tcp {a} -> {}{tls}", u.authority());
        }
        if let (Some(a), Some(u)) = (recorder.udp_addr(), &udp_up) {
            eprintln!("paperjam: relaying udp {a} -> {}", u.authority());
        }
        eprintln!(
            "paperjam: recording into {} until Ctrl-C{}{}",
            args.out.display(),
            args.duration
                .map(|d| format!(", {d} s"))
                .unwrap_or_default(),
            args.count
                .map(|n| format!(" or {n} connection(s)"))
                .unwrap_or_default(),
        );
        let ctrl_c = async {
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::warn!("cannot listen for Ctrl-C: {e}");
                std::future::pending::<()>().await;
            }
        };
        let summary = match recorder.run(sink.clone(), ctrl_c).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("paperjam: {e}");
                return ExitCode::from(2);
            }
        };
        let finished = sink.finish();
        say(&format!("recorded {summary} into {}", args.out.display()));
        match summary
            .write_error
            .or_else(|| finished.err().map(|e| e.to_string()))
        {
            Some(e) => {
                eprintln!("paperjam: the capture is incomplete: {e}");
                ExitCode::from(1)
            }
            None => ExitCode::SUCCESS,
        }
    })
}

/// A line on stdout; a closed pipe is not an error.
fn say(line: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: RecordArgs,
    }

    fn cfg(argv: &[&str]) -> Result<RecordConfig, RecordError> {
        let cli = Cli::try_parse_from(std::iter::once("record").chain(argv.iter().copied()))
            .map_err(|_| RecordError::Config("clap"))?;
        config(&cli.args)
    }

    #[test]
    fn the_listen_address_defaults_to_loopback_on_the_printers_port() {
        let c = cfg(&["--upstream", "ipp://10.0.0.7/ipp/print", "--out", "x"]).unwrap();
        let tcp = c.tcp.unwrap();
        assert_eq!(tcp.listen, "127.0.0.1:8631".parse().unwrap());
        assert!(c.udp.is_none());
        let c = cfg(&["--upstream", "snmp://10.0.0.7", "--out", "x"]).unwrap();
        assert!(c.tcp.is_none());
        assert_eq!(c.udp.unwrap().listen, "127.0.0.1:8161".parse().unwrap());
    }

    #[test]
    fn udp_listen_relays_snmp_to_the_same_host() {
        let c = cfg(&[
            "--upstream",
            "socket://10.0.0.7",
            "--udp-listen",
            "1161",
            "--out",
            "x",
        ])
        .unwrap();
        let udp = c.udp.unwrap();
        assert_eq!(udp.upstream.authority(), "10.0.0.7:161");
        assert_eq!(c.tcp.unwrap().listen.port(), 9100);
        assert!(cfg(&["--upstream", "snmp://h", "--udp-listen", "1", "--out", "x"]).is_err());
    }
}
