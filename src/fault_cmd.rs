//! `paperjam fault`: list, raise and clear faults on a running virtual printer
//! through its control API, and print the catalog of every fault.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use paperjam_sim::fault::catalog::catalog;
use paperjam_sim::fault::Fault;

/// Where the control API is unless told.
const DEFAULT_CONTROL: &str = "http://127.0.0.1:8630";

/// Flags of `paperjam fault`.
#[derive(clap::Args, Debug)]
pub struct FaultArgs {
    /// The printer's control API (`serve` prints it at start).
    #[arg(long, env = "PAPERJAM_CONTROL", default_value = DEFAULT_CONTROL, global = true)]
    control: String,
    #[command(subcommand)]
    command: FaultCommand,
}

#[derive(clap::Subcommand, Debug)]
enum FaultCommand {
    /// Every fault paperjam knows: toxics, quirks, events (no printer needed).
    Catalog {
        /// `text` or `json`.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The faults in force on the printer.
    List,
    /// The printer's state: printer-state, reasons, alerts, jobs, faults.
    State,
    /// Raise a fault, e.g. `media-jam`, `latency=200ms`, `server-error-busy`.
    Raise {
        /// The fault spec.
        spec: String,
        /// End it by itself after this long (e.g. `10s`).
        #[arg(long = "for")]
        hold: Option<String>,
    },
    /// Clear the faults matching an id, a name or a spec.
    Clear {
        /// What to clear.
        selector: String,
    },
    /// Clear every fault.
    Reset,
}

/// Run `paperjam fault …`.
pub fn run(args: FaultArgs) -> ExitCode {
    let (method, path, body) = match &args.command {
        FaultCommand::Catalog { format } => return print_catalog(format),
        FaultCommand::List => ("GET", "/faults".to_string(), None),
        FaultCommand::State => ("GET", "/state".to_string(), None),
        FaultCommand::Raise { spec, hold } => {
            // Check locally first: a clear message without a round trip.
            if let Err(e) = spec.parse::<Fault>() {
                eprintln!("paperjam: {e}");
                return ExitCode::from(2);
            }
            let mut m = serde_json::Map::new();
            m.insert("fault".into(), spec.clone().into());
            if let Some(h) = hold {
                m.insert("for".into(), h.clone().into());
            }
            (
                "POST",
                "/faults".to_string(),
                Some(serde_json::Value::Object(m).to_string()),
            )
        }
        FaultCommand::Clear { selector } => (
            "DELETE",
            format!("/faults/{}", percent_encode(selector)),
            None,
        ),
        FaultCommand::Reset => ("POST", "/reset".to_string(), None),
    };
    match call(&args.control, method, &path, body.as_deref()) {
        Ok((status, text)) => {
            println!("{}", text.trim_end());
            if (200..300).contains(&status) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("paperjam: control API {}: {e}", args.control);
            ExitCode::from(2)
        }
    }
}

fn print_catalog(format: &str) -> ExitCode {
    let entries = catalog();
    match format {
        "json" => match serde_json::to_string_pretty(&entries) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("paperjam: {e}");
                return ExitCode::from(2);
            }
        },
        "text" => {
            // Write errors (a closed pipe, as with `| head`) end the listing quietly.
            let mut out = std::io::stdout().lock();
            for e in &entries {
                let mut family = format!("{:?}", e.family).to_ascii_lowercase();
                if let Some(p) = e.protocol {
                    family = format!("{family} ({p})");
                }
                let _ = writeln!(out, "{:<28} {:<16} {}", e.name, family, e.syntax);
                let _ = writeln!(out, "    {}", e.summary);
                if let Some(s) = e.seen_on {
                    let _ = writeln!(out, "    seen on: {s}");
                }
                if let Some(r) = e.reference {
                    let _ = writeln!(out, "    {r}");
                }
            }
        }
        other => {
            eprintln!("paperjam: unknown format '{other}' (text or json)");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One HTTP/1.1 request to the control API (`base` may end in a fleet
/// printer's `/printers/N`); returns status and body.
fn call(base: &str, method: &str, path: &str, body: Option<&str>) -> Result<(u16, String), String> {
    let rest = base
        .strip_prefix("http://")
        .ok_or("the control URL must start with http://")?
        .trim_end_matches('/');
    // A fleet's printer N: http://HOST:PORT/printers/N.
    let (authority, prefix) = match rest.split_once('/') {
        Some((a, p)) => (a, format!("/{p}")),
        None => (rest, String::new()),
    };
    let path = format!("{prefix}{path}");
    let mut stream = TcpStream::connect(authority).map_err(|e| {
        format!("{e} (is `paperjam serve` running? it prints its control URL at start)")
    })?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(req.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or("malformed HTTP answer")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("malformed HTTP status line")?;
    Ok((status, rest.to_string()))
}
