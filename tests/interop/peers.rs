//! Locating and running the processes the interop tests talk to.
//!
//! * [`require_tool`] finds an installed peer program (`ipptool`,
//!   `ippeveprinter`, `gs`, …) or panics with the install hint: a test that
//!   needs a missing peer fails loudly, it never passes or skips.
//! * [`IppEvePrinter`] runs CUPS' reference printer on a private D-Bus system
//!   bus, as `/work/shared/PEERS.md` describes.
//! * [`Paperjam`] runs `paperjam serve` and reads the URIs it prints.
//!
//! Every child process sits in a [`ChildGuard`], which kills and reaps it when
//! the test ends, whether it passed or panicked. Readiness is always polled with
//! a deadline; no test waits by sleeping a fixed time.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The hint printed whenever a peer program or file is missing.
pub const INSTALL_HINT: &str = "run scripts/install-peers.sh";

/// How long a peer may take to start listening before the test fails.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// Interval between two readiness probes.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The repository root: the folder that holds `fixtures/ipptool/waivers.toml`.
///
/// Tried in order: `$PAPERJAM_REPO_ROOT`, the folder three levels above this
/// source file when the compiler gave an absolute path (a scratch crate that
/// points at `tests/interop/main.rs` from outside), and the manifest folder of
/// the crate being tested (the normal case: the root package `paperjam`).
pub fn repo_root() -> PathBuf {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("PAPERJAM_REPO_ROOT") {
        candidates.push(PathBuf::from(dir));
    }
    let this_file = Path::new(file!());
    if this_file.is_absolute() {
        if let Some(root) = this_file.ancestors().nth(3) {
            candidates.push(root.to_path_buf());
        }
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    candidates
        .iter()
        .find(|dir| dir.join("fixtures/ipptool/waivers.toml").is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!("cannot find the repository root (tried {candidates:?}); set PAPERJAM_REPO_ROOT")
        })
}

/// Where `scripts/install-peers.sh` puts what it extracts, and where generated
/// documents are cached: `$PAPERJAM_PEERS_DIR`, else `<repo>/target/peers`.
pub fn peers_dir() -> PathBuf {
    std::env::var_os("PAPERJAM_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/peers"))
}

/// Where the tests write their reports (`ipptool-results.tsv`):
/// `<repo>/target/interop`, created if needed.
pub fn results_dir() -> PathBuf {
    let dir = repo_root().join("target/interop");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A committed test document under `fixtures/documents/`; panics if it is missing.
pub fn document(name: &str) -> PathBuf {
    let path = repo_root().join("fixtures/documents").join(name);
    assert!(
        path.is_file(),
        "test document {} is missing",
        path.display()
    );
    path
}

/// Finds `name` in `$PATH` (plus the sbin folders, where Debian puts
/// `ippeveprinter`), or panics with "`name` not found: run scripts/install-peers.sh".
pub fn require_tool(name: &str) -> PathBuf {
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path_var).collect();
    dirs.extend(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
        .unwrap_or_else(|| panic!("{name} not found: {INSTALL_HINT}"))
}

/// A CUPS backend extracted by `scripts/install-peers.sh`, e.g. `backend/ipp`
/// or `backend-available/socket`; panics with the install hint if missing.
pub fn require_cups_backend(relative: &str) -> PathBuf {
    let path = peers_dir().join("cups-root/usr/lib/cups").join(relative);
    assert!(
        is_executable(&path),
        "CUPS backend {} not found: {INSTALL_HINT}",
        path.display()
    );
    path
}

/// True if `path` is a regular file with an execute bit.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A free TCP port on 127.0.0.1: bind port 0, read the port, release it.
/// Another process may grab it in between; starters retry on that.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("cannot bind 127.0.0.1:0")
}

/// The last `max` bytes of a log file, for failure messages.
pub fn tail_of(path: &Path, max: usize) -> String {
    let text = fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(max);
    String::from_utf8_lossy(&text[start..]).into_owned()
}

/// A child process that is killed (SIGKILL) and reaped when dropped.
pub struct ChildGuard {
    name: String,
    child: Child,
}

impl ChildGuard {
    /// Spawns `command`, naming it `name` in messages.
    pub fn spawn(name: &str, command: &mut Command) -> ChildGuard {
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        ChildGuard {
            name: name.to_string(),
            child,
        }
    }

    /// The exit status if the process has already ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait failed")
    }

    /// Mutable access to the child, e.g. to take its stdout.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Poll until something accepts TCP connections on 127.0.0.1:`port`
    /// (true), or the process has exited or `timeout` passed (false): an
    /// early exit (the port was taken) is noticed at once.
    pub fn wait_listening(&mut self, port: u16, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if tcp_accepts(port) {
                return true;
            }
            if self.exited().is_some() || Instant::now() >= deadline {
                return false;
            }
            thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // PAPERJAM_INTEROP_VERBOSE=1 shows each stop, to debug leftovers.
        if std::env::var_os("PAPERJAM_INTEROP_VERBOSE").is_some() {
            eprintln!("stopped {} (pid {})", self.name, self.child.id());
        }
    }
}

/// Polls until `check` returns `Some`, failing if `process` exits first or the
/// deadline passes. `what` and `log` go into the failure message.
pub fn poll_until<T>(
    what: &str,
    process: &mut ChildGuard,
    log: &Path,
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        if let Some(status) = process.exited() {
            panic!(
                "{} exited ({status}) while waiting for {what}; its log ({}) ends with:\n{}",
                process.name,
                log.display(),
                tail_of(log, 4000)
            );
        }
        if Instant::now() >= deadline {
            panic!(
                "timed out after {timeout:?} waiting for {what} from {}; its log ({}) ends with:\n{}",
                process.name,
                log.display(),
                tail_of(log, 4000)
            );
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// True if something accepts TCP connections on 127.0.0.1:`port`.
pub fn tcp_accepts(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// A private D-Bus "system" bus in a folder of the test's own, because
/// `ippeveprinter` refuses to start without one ("Unable to initialize DNS-SD").
pub struct PrivateDbus {
    /// The value for `DBUS_SYSTEM_BUS_ADDRESS`.
    pub address: String,
    _daemon: ChildGuard,
}

impl PrivateDbus {
    /// Writes a copy of `/usr/share/dbus-1/system.conf` listening on
    /// `dir/system_bus_socket` (without its `<user>` and `<pidfile>` lines),
    /// starts `dbus-daemon --nofork` on it and waits for the socket.
    pub fn start(dir: &Path) -> PrivateDbus {
        let daemon_path = require_tool("dbus-daemon");
        let stock = Path::new("/usr/share/dbus-1/system.conf");
        let stock_text = fs::read_to_string(stock)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}: {INSTALL_HINT}", stock.display()));
        let socket = dir.join("system_bus_socket");
        let config_text: String = stock_text
            .lines()
            .filter(|line| !line.contains("<user>") && !line.contains("<pidfile>"))
            .map(|line| {
                if line.trim_start().starts_with("<listen>") {
                    format!("  <listen>unix:path={}</listen>", socket.display())
                } else if line.trim() == "<includedir>system.d</includedir>" {
                    // Relative to the stock file's folder, not to the copy's:
                    // the services' policies (avahi's, to own its name) live there.
                    "  <includedir>/usr/share/dbus-1/system.d</includedir>".to_string()
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config = dir.join("system.conf");
        fs::write(&config, config_text).expect("cannot write dbus config");
        let log = dir.join("dbus-daemon.log");
        let log_file = File::create(&log).expect("cannot create the dbus log");
        let mut daemon = ChildGuard::spawn(
            "dbus-daemon",
            Command::new(daemon_path)
                .arg(format!("--config-file={}", config.display()))
                .arg("--nofork")
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("cannot clone the dbus log"))
                .stderr(log_file),
        );
        poll_until("its socket", &mut daemon, &log, STARTUP_TIMEOUT, || {
            socket.exists().then_some(())
        });
        PrivateDbus {
            address: format!("unix:path={}", socket.display()),
            _daemon: daemon,
        }
    }
}

/// CUPS' `ippeveprinter` on a free loopback port, with its own spool folder
/// and private D-Bus. Both processes are stopped when this is dropped
/// (the printer first: fields drop in declaration order).
pub struct IppEvePrinter {
    /// Held for its `Drop`, which stops the printer.
    _printer: ChildGuard,
    /// The TCP port it listens on.
    pub port: u16,
    /// Its spool folder (`-d`); `-k` keeps the documents there.
    pub spool: PathBuf,
    /// Its log (stdout and stderr).
    pub log: PathBuf,
    _dbus: PrivateDbus,
    _dir: TempDir,
}

impl IppEvePrinter {
    /// Starts `ippeveprinter -p PORT -r off -n localhost -k -d SPOOL -c /bin/true
    /// -2 -f application/pdf,image/jpeg,image/pwg-raster,image/urf "Peer"` and
    /// waits until it accepts connections and reports a `printer-up-time` above
    /// zero (it reports 0 during its first second, which `ipp-1.1.test` fails).
    /// A port taken in the meantime by someone else is retried on a new port.
    pub fn start() -> IppEvePrinter {
        IppEvePrinter::start_waiting(true)
    }

    /// Like [`IppEvePrinter::start`]; with `wait_up_time: false` it returns as
    /// soon as the port accepts connections, still inside the printer's first
    /// second (to observe what it reports then).
    pub fn start_waiting(wait_up_time: bool) -> IppEvePrinter {
        let program = require_tool("ippeveprinter");
        let dir = tempfile::Builder::new()
            .prefix("ippeveprinter-")
            .tempdir()
            .unwrap();
        let dbus = PrivateDbus::start(dir.path());
        let spool = dir.path().join("spool");
        fs::create_dir_all(&spool).unwrap();
        let log = dir.path().join("ippeveprinter.log");
        for attempt in 1..=3 {
            let port = free_port();
            let log_file = File::create(&log).expect("cannot create ippeveprinter log");
            let mut printer = ChildGuard::spawn(
                "ippeveprinter",
                Command::new(&program)
                    .args([
                        "-p",
                        &port.to_string(),
                        "-r",
                        "off",
                        "-n",
                        "localhost",
                        "-k",
                        "-d",
                    ])
                    .arg(&spool)
                    .args(["-c", "/bin/true", "-2", "-f"])
                    .arg("application/pdf,image/jpeg,image/pwg-raster,image/urf")
                    .arg("Peer")
                    .env("DBUS_SYSTEM_BUS_ADDRESS", &dbus.address)
                    .stdin(Stdio::null())
                    .stdout(log_file.try_clone().unwrap())
                    .stderr(log_file),
            );
            if !printer.wait_listening(port, STARTUP_TIMEOUT) {
                if attempt < 3 && printer.exited().is_some() {
                    eprintln!(
                        "ippeveprinter exited on port {port} (attempt {attempt}), retrying:\n{}",
                        tail_of(&log, 1000)
                    );
                    continue;
                }
                panic!(
                    "ippeveprinter did not listen on 127.0.0.1:{port} within {STARTUP_TIMEOUT:?}; \
                     its log ends with:\n{}",
                    tail_of(&log, 4000)
                );
            }
            let uri = format!("ipp://127.0.0.1:{port}/ipp/print");
            if !wait_up_time {
                return IppEvePrinter {
                    _printer: printer,
                    port,
                    spool,
                    log,
                    _dbus: dbus,
                    _dir: dir,
                };
            }
            poll_until(
                "printer-up-time > 0",
                &mut printer,
                &log,
                STARTUP_TIMEOUT,
                || {
                    let attrs = crate::ipptool::printer_attributes(&uri, &["printer-up-time"]);
                    let up = attrs
                        .get("printer-up-time")
                        .and_then(|v| v.parse::<i64>().ok());
                    (up.unwrap_or(0) > 0).then_some(())
                },
            );
            return IppEvePrinter {
                _printer: printer,
                port,
                spool,
                log,
                _dbus: dbus,
                _dir: dir,
            };
        }
        unreachable!("the loop returns or panics")
    }

    /// Its printer URI, `ipp://127.0.0.1:PORT/ipp/print`.
    pub fn uri(&self) -> String {
        format!("ipp://127.0.0.1:{}/ipp/print", self.port)
    }
}

/// `paperjam serve` on an ephemeral port, with a spool folder of its own.
///
/// The contract relied on: `paperjam serve --ipp-port 0 --speed instant
/// --control-port 0 --spool DIR [EXTRA…]` prints the URIs it serves on
/// stdout, one per line, for example
///
/// ```text
/// ipp://127.0.0.1:40123/ipp/print
/// ipps://127.0.0.1:40123/ipp/print
/// control: http://127.0.0.1:40124
/// ```
///
/// and the first line starting with `ipp://` means it is ready to accept
/// requests. Other stdout lines are kept (see [`Paperjam::ipps_uri`] and
/// [`Paperjam::control_url`]); stderr goes to a log file that failure
/// messages quote.
pub struct Paperjam {
    /// Held for its `Drop`, which stops the server.
    _server: ChildGuard,
    /// The first `ipp://` URI it printed.
    pub uri: String,
    /// The stdout lines read so far, other than the `ipp://` one.
    stdout_seen: Vec<String>,
    /// Further stdout lines, from the reader thread.
    stdout_lines: mpsc::Receiver<String>,
    /// The spool folder given with `--spool`.
    pub spool: PathBuf,
    /// Its stderr log.
    pub log: PathBuf,
    _dir: TempDir,
}

impl Paperjam {
    /// Starts `paperjam serve --ipp-port 0 --speed instant --control-port 0
    /// --spool DIR`.
    pub fn start() -> Paperjam {
        Paperjam::start_with(&[])
    }

    /// Like [`Paperjam::start`], with `extra` flags appended. A `--speed` or
    /// `--control-port` in `extra` replaces the default one (`serve` refuses a
    /// flag given twice).
    pub fn start_with(extra: &[&str]) -> Paperjam {
        Paperjam::start_in(&[], extra)
    }

    /// Like [`Paperjam::start_with`], run under `prefix` (e.g. `ip netns
    /// exec NAME`, to serve inside a network namespace).
    pub fn start_in(prefix: &[&str], extra: &[&str]) -> Paperjam {
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_paperjam"));
        assert!(
            binary.is_file(),
            "paperjam binary {} not built",
            binary.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("paperjam-")
            .tempdir()
            .unwrap();
        let spool = dir.path().join("spool");
        fs::create_dir_all(&spool).unwrap();
        let log = dir.path().join("paperjam.stderr.log");
        let given = |flag: &str| {
            extra
                .iter()
                .any(|a| *a == flag || a.starts_with(&format!("{flag}=")))
        };
        let mut defaults: Vec<&str> = Vec::new();
        if !given("--speed") {
            defaults.extend(["--speed", "instant"]);
        }
        if !given("--control-port") {
            defaults.extend(["--control-port", "0"]);
        }
        if !given("--lpd-port") && !given("--no-lpd") {
            defaults.extend(["--lpd-port", "0"]);
        }
        if !given("--socket-port") && !given("--no-socket") {
            defaults.extend(["--socket-port", "0"]);
        }
        if !given("--snmp-port") && !given("--no-snmp") {
            defaults.extend(["--snmp-port", "0"]);
        }
        let mut command = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&binary);
                c
            }
            None => Command::new(&binary),
        };
        let mut server = ChildGuard::spawn(
            "paperjam serve",
            command
                .args(["serve", "--ipp-port", "0"])
                .args(&defaults)
                .arg("--spool")
                .arg(&spool)
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(File::create(&log).expect("cannot create paperjam log")),
        );
        let stdout = server.child_mut().stdout.take().expect("stdout is piped");
        // A reader thread forwards stdout lines and keeps draining the pipe
        // (ignoring send errors once the receiver is gone), so paperjam never
        // blocks on a full pipe.
        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = lines_tx.send(line);
            }
        });
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut seen = Vec::new();
        let uri = loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match lines_rx.recv_timeout(remaining) {
                Ok(line) => {
                    let line = line.trim().to_string();
                    if line.starts_with("ipp://") {
                        break line;
                    }
                    seen.push(line);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // stdout closed: paperjam exited (or closed stdout) early.
                    let status = wait_briefly(&mut server);
                    panic!(
                        "paperjam serve ended its stdout without printing an ipp:// URI \
                         (exit: {status}); stdout was {seen:?}; stderr ({}):\n{}",
                        log.display(),
                        tail_of(&log, 4000)
                    );
                }
                Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                    "paperjam serve printed no ipp:// URI within {STARTUP_TIMEOUT:?}; \
                     stdout so far {seen:?}; stderr ({}):\n{}",
                    log.display(),
                    tail_of(&log, 4000)
                ),
            }
        };
        Paperjam {
            _server: server,
            uri,
            stdout_seen: seen,
            stdout_lines: lines_rx,
            spool,
            log,
            _dir: dir,
        }
    }

    /// The `ipps://` URI it printed (before or, within 5 s, after the
    /// `ipp://` line); panics if there is none, e.g. with `--no-tls`.
    #[allow(dead_code)] // for IPPS tests; none use it yet
    pub fn ipps_uri(&mut self) -> String {
        self.stdout_line("an ipps:// URI", |l| {
            l.starts_with("ipps://").then(|| l.to_string())
        })
    }

    /// The `lpd://host:port/queue` URI it printed.
    pub fn lpd_uri(&mut self) -> String {
        self.stdout_line("an lpd:// URI", |l| {
            l.starts_with("lpd://").then(|| l.to_string())
        })
    }

    /// The `socket://host:port` URI it printed.
    pub fn socket_uri(&mut self) -> String {
        self.stdout_line("a socket:// URI", |l| {
            l.starts_with("socket://").then(|| l.to_string())
        })
    }

    /// The `snmp://host:port` URI it printed.
    pub fn snmp_uri(&mut self) -> String {
        self.stdout_line("an snmp:// URI", |l| {
            l.starts_with("snmp://").then(|| l.to_string())
        })
    }

    /// The service instance name it announces by mDNS, from the `mdns:
    /// NAME._ipp._tcp.local` line `serve --mdns` prints (the name it starts
    /// probing for; a conflict may rename it later).
    #[allow(dead_code)] // for the mDNS interop tests
    pub fn mdns_name(&mut self) -> String {
        self.stdout_line("an `mdns: NAME._ipp._tcp.local` line", |l| {
            l.strip_prefix("mdns:").map(|n| {
                let n = n.trim();
                n.strip_suffix("._ipp._tcp.local").unwrap_or(n).to_string()
            })
        })
    }

    /// Sends SIGINT (a clean shutdown: the printer says goodbye) and waits
    /// up to `timeout` for it to exit; its exit status.
    #[allow(dead_code)] // for the mDNS interop tests
    pub fn interrupt(&mut self, timeout: Duration) -> ExitStatus {
        let pid = self._server.child_mut().id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status();
        assert!(
            sent.is_ok_and(|s| s.success()),
            "cannot send SIGINT to paperjam serve (pid {pid})"
        );
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self._server.exited() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "paperjam serve did not exit within {timeout:?} of SIGINT; stderr ({}):\n{}",
                self.log.display(),
                tail_of(&self.log, 4000)
            );
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// The control API's base URL, `http://127.0.0.1:PORT`, from the
    /// `control: URL` line `serve` prints on stdout (before or, within 5 s,
    /// after the `ipp://` line); panics if there is none.
    pub fn control_url(&mut self) -> String {
        self.stdout_line("a `control: URL` line", |l| {
            l.strip_prefix("control:")
                .map(|url| url.trim().trim_end_matches('/').to_string())
        })
    }

    /// The first stdout line (seen so far or arriving within 5 s) that `pick`
    /// accepts, mapped by it; panics naming `what` if none comes.
    fn stdout_line(&mut self, what: &str, pick: impl Fn(&str) -> Option<String>) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(found) = self.stdout_seen.iter().find_map(|l| pick(l)) {
                return found;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.stdout_lines.recv_timeout(remaining) {
                Ok(line) => self.stdout_seen.push(line.trim().to_string()),
                Err(_) => panic!(
                    "paperjam serve printed no {what}; stdout: {:?}; stderr ({}):\n{}",
                    self.stdout_seen,
                    self.log.display(),
                    tail_of(&self.log, 4000)
                ),
            }
        }
    }
}

/// The exit status of a process whose stdout just closed: waits up to 2 s,
/// then describes it as still running.
fn wait_briefly(process: &mut ChildGuard) -> String {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        if let Some(status) = process.exited() {
            return status.to_string();
        }
        if Instant::now() >= deadline {
            return "still running".to_string();
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// Run `f` on every item, `workers` at a time, on threads of their own;
/// the results in the items' order.
pub fn run_parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<R>>> =
        std::sync::Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                results
                    .lock()
                    .expect("no worker panicked holding the results")[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .expect("no worker panicked holding the results")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}
