//! Helpers every benchmark shares: where it ran and when, for the head of
//! its table.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The CPU's model name, from `/proc/cpuinfo`.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// "YYYY-MM-DD HH:MM UTC" from the system clock (days-to-civil, no date crate).
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (h, m) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02} UTC")
}

#[allow(dead_code)] // the benches that start ippeveprinter use it
/// A private D-Bus "system" bus (ippeveprinter refuses to start without one).
pub struct PrivateDbus {
    /// `DBUS_SYSTEM_BUS_ADDRESS` for the programs that use it.
    pub address: String,
    child: Child,
}

#[allow(dead_code)] // the benches that start ippeveprinter use it
impl PrivateDbus {
    /// Start `program` (dbus-daemon) on a copy of the stock system bus
    /// configuration, its socket in `dir`; ready once the socket exists.
    pub fn start(program: &Path, dir: &Path) -> Result<PrivateDbus, String> {
        let stock = fs::read_to_string("/usr/share/dbus-1/system.conf")
            .map_err(|e| format!("cannot read /usr/share/dbus-1/system.conf: {e}"))?;
        let socket = dir.join("system_bus_socket");
        let config: String = stock
            .lines()
            .filter(|l| !l.contains("<user>") && !l.contains("<pidfile>"))
            .map(|l| {
                if l.trim_start().starts_with("<listen>") {
                    format!("  <listen>unix:path={}</listen>\n", socket.display())
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let conf = dir.join("system.conf");
        fs::write(&conf, config).map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
        let mut child = Command::new(program)
            .arg(format!("--config-file={}", conf.display()))
            .arg("--nofork")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start dbus-daemon: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            if !matches!(child.try_wait(), Ok(None)) || Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err("dbus-daemon did not create its socket".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(PrivateDbus {
            address: format!("unix:path={}", socket.display()),
            child,
        })
    }
}

impl Drop for PrivateDbus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `1234567` as `1,234,567`.
#[allow(dead_code)] // not every bench prints counts
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// An executable `name` on `PATH`, or in the sbin directories (ippeveprinter
/// and snmpd live there, and root's `PATH` may lack them).
#[allow(dead_code)] // the benches that run peers use it
pub fn find_tool(name: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.extend(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from));
    dirs.into_iter().map(|d| d.join(name)).find(|p| {
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    })
}

/// A TCP port free on 127.0.0.1 a moment ago (bind port 0, read it, let go).
#[allow(dead_code)] // the benches that start peers on ports of their own use it
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot bind 127.0.0.1:0: {e}"))
}

/// An IPP request: operation attributes charset, language, printer-uri, then `extra`
/// (tag, name, values: a 1setOf when more than one), end tag.
#[allow(dead_code)] // the IPP benches use it
pub fn ipp_request(op: u16, request_id: u32, uri: &str, extra: &[(u8, &str, &[&[u8]])]) -> Vec<u8> {
    let mut b = vec![2, 0];
    b.extend_from_slice(&op.to_be_bytes());
    b.extend_from_slice(&request_id.to_be_bytes());
    b.push(0x01);
    let mut attr = |tag: u8, name: &str, value: &[u8]| {
        b.push(tag);
        b.extend_from_slice(&u16::try_from(name.len()).unwrap_or(0).to_be_bytes());
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&u16::try_from(value.len()).unwrap_or(0).to_be_bytes());
        b.extend_from_slice(value);
    };
    attr(0x47, "attributes-charset", b"utf-8");
    attr(0x48, "attributes-natural-language", b"en");
    attr(0x45, "printer-uri", uri.as_bytes());
    for (tag, name, values) in extra {
        for (i, v) in values.iter().enumerate() {
            attr(*tag, if i == 0 { name } else { "" }, v);
        }
    }
    b.push(0x03);
    b
}
