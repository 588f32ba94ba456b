//! Printing through the real CUPS `ipp` backend, without cupsd.
//!
//! `scripts/install-peers.sh` extracts the backend from Debian's
//! `cups-daemon` package into `target/peers/cups-root`; it runs standalone as
//! `DEVICE_URI=… CONTENT_TYPE=… ipp JOBID USER TITLE COPIES OPTIONS FILE` and
//! reports on stderr with `STATE:`, `ATTR:`, `INFO:`, `ERROR:` and `DEBUG:`
//! lines (see PEERS.md).

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::ipptool::{parse_results, run_ipptool, Outcome};
use crate::peers::require_cups_backend;

/// How long the backend may take to send a job and see it finish.
const BACKEND_TIMEOUT: Duration = Duration::from_secs(120);

/// What one run of the backend did.
pub struct BackendRun {
    /// The backend's exit status (0 = CUPS_BACKEND_OK).
    pub status: ExitStatus,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

impl BackendRun {
    /// The job id the printer gave (from `DEBUG: job-id integer N`).
    pub fn job_id(&self) -> Option<u32> {
        self.stderr
            .lines()
            .find_map(|l| l.strip_prefix("DEBUG: job-id integer "))
            .and_then(|n| n.trim().parse().ok())
    }

    /// The lines that report trouble: `ERROR:` lines and `STATE: +…-error`
    /// reasons being set.
    pub fn error_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| {
                l.starts_with("ERROR:")
                    || (l.starts_with("STATE:")
                        && l.split_whitespace()
                            .skip(1)
                            .any(|r| r.starts_with('+') && r.ends_with("-error")))
            })
            .collect()
    }

    /// Its stderr without the (many) DEBUG lines, for failure messages.
    pub fn summary(&self) -> String {
        self.stderr
            .lines()
            .filter(|l| !l.starts_with("DEBUG:"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Runs the extracted `ipp` backend to print `file` as job 1 of user
/// `alice`, titled `title`, to `device_uri`; waits at most two minutes.
pub fn run_ipp_backend(device_uri: &str, file: &Path, content_type: &str) -> BackendRun {
    let backend = require_cups_backend("backend/ipp");
    let workdir = tempfile::Builder::new()
        .prefix("cups-backend-")
        .tempdir()
        .unwrap();
    let mut child = Command::new(&backend)
        .args(["1", "alice", "title", "1", ""])
        .arg(file)
        .env("DEVICE_URI", device_uri)
        .env("CONTENT_TYPE", content_type)
        .env("TMPDIR", workdir.path())
        .current_dir(workdir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", backend.display()));
    let mut err = child.stderr.take().unwrap();
    let reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + BACKEND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the CUPS ipp backend did not finish within {BACKEND_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(50));
    };
    BackendRun {
        status,
        stderr: reader.join().unwrap(),
    }
}

/// How one background run of the backend is started: see [`spawn_ipp_backend`].
pub struct BackendArgs<'a> {
    /// The `COPIES` argument (argv\[4\]).
    pub copies: u32,
    /// The `OPTIONS` argument (argv\[5\]), e.g. `"copies=3"`; usually empty.
    pub options: &'a str,
    /// Extra environment variables for the backend.
    pub env: &'a [(&'a str, &'a str)],
}

impl Default for BackendArgs<'_> {
    fn default() -> Self {
        BackendArgs {
            copies: 1,
            options: "",
            env: &[],
        }
    }
}

/// The CUPS `ipp` backend running in the background while the test acts on
/// the printer. Its stderr is read live, line by line, with the time each
/// line arrived; the process is killed and reaped when this is dropped.
pub struct LiveBackend {
    child: Child,
    started: Instant,
    /// `(time since start, line)` for every stderr line so far.
    lines: Arc<Mutex<Vec<(Duration, String)>>>,
    reader: Option<thread::JoinHandle<()>>,
    _workdir: TempDir,
}

/// How a [`LiveBackend`] ended.
pub struct LiveOutcome {
    /// Its exit status and whole stderr (a killed backend has a signal status).
    pub run: BackendRun,
    /// True if it was still running at the deadline and was killed.
    pub killed: bool,
    /// How long it ran.
    pub elapsed: Duration,
    /// Every stderr line with the time it arrived.
    pub timeline: Vec<(Duration, String)>,
}

impl LiveOutcome {
    /// The non-DEBUG stderr lines, each prefixed with the second it arrived
    /// (`[ 3.2s] INFO: …`), for failure messages and reports.
    pub fn timed_summary(&self) -> String {
        timed_summary(&self.timeline)
    }
}

fn timed_summary(lines: &[(Duration, String)]) -> String {
    lines
        .iter()
        .filter(|(_, l)| !l.starts_with("DEBUG"))
        .map(|(t, l)| format!("[{:5.1}s] {l}", t.as_secs_f64()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Starts the extracted `ipp` backend in the background, printing `file` as
/// job 1 of user `alice`, titled `title`, to `device_uri`.
pub fn spawn_ipp_backend(
    device_uri: &str,
    file: &Path,
    content_type: &str,
    args: &BackendArgs,
) -> LiveBackend {
    let backend = require_cups_backend("backend/ipp");
    let workdir = tempfile::Builder::new()
        .prefix("cups-backend-")
        .tempdir()
        .unwrap();
    let mut command = Command::new(&backend);
    command
        .args(["1", "alice", "title"])
        .arg(args.copies.to_string())
        .arg(args.options)
        .arg(file)
        .env("DEVICE_URI", device_uri)
        .env("CONTENT_TYPE", content_type)
        .env("TMPDIR", workdir.path())
        .current_dir(workdir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in args.env {
        command.env(key, value);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", backend.display()));
    let started = Instant::now();
    let err = child.stderr.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let reader = thread::spawn(move || {
        let mut err = BufReader::new(err);
        let mut buf = Vec::new();
        // Bytes, not `lines()`: a stray non-UTF-8 byte must not end the log.
        while let Ok(n) = err.read_until(b'\n', &mut buf) {
            if n == 0 {
                break;
            }
            let line = String::from_utf8_lossy(&buf).trim_end().to_string();
            sink.lock().unwrap().push((started.elapsed(), line));
            buf.clear();
        }
    });
    LiveBackend {
        child,
        started,
        lines,
        reader: Some(reader),
        _workdir: workdir,
    }
}

impl LiveBackend {
    /// Its non-DEBUG stderr lines so far, with their times.
    pub fn timed_summary(&self) -> String {
        timed_summary(&self.lines.lock().unwrap())
    }

    /// Waits until a stderr line satisfies `wanted` and returns it; fails
    /// (with what it printed) if the backend exits first or `timeout` passes.
    pub fn wait_for_line(
        &mut self,
        what: &str,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((_, line)) = self.lines.lock().unwrap().iter().find(|(_, l)| wanted(l)) {
                return Ok(line.clone());
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader catch the last lines before giving up.
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                if let Some((_, line)) = self.lines.lock().unwrap().iter().find(|(_, l)| wanted(l))
                {
                    return Ok(line.clone());
                }
                return Err(format!(
                    "the ipp backend exited ({status}) without printing {what}:\n{}",
                    self.timed_summary()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the ipp backend printed no {what} within {timeout:?}:\n{}",
                    self.timed_summary()
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the backend to exit, killing it if it is still running after
    /// `timeout`; returns what it did either way.
    pub fn finish(mut self, timeout: Duration) -> LiveOutcome {
        let deadline = Instant::now() + timeout;
        let (status, killed) = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break (status, false);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                break (self.child.wait().unwrap(), true);
            }
            thread::sleep(Duration::from_millis(50));
        };
        let elapsed = self.started.elapsed();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let timeline = std::mem::take(&mut *self.lines.lock().unwrap());
        let stderr = timeline
            .iter()
            .map(|(_, l)| format!("{l}\n"))
            .collect::<String>();
        LiveOutcome {
            run: BackendRun { status, stderr },
            killed,
            elapsed,
            timeline,
        }
    }
}

impl Drop for LiveBackend {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls the printer with `Get-Jobs which-jobs=completed` (an inline
/// ipptool test) until job `job_id` is listed, for at most 10 s.
pub fn wait_job_completed(uri: &str, job_id: u32) -> Result<(), String> {
    let dir = tempfile::Builder::new()
        .prefix("ipptool-jobs-")
        .tempdir()
        .unwrap();
    fs::write(
        dir.path().join("completed.test"),
        r#"{
  NAME "Job $job_id is listed by which-jobs=completed"
  OPERATION Get-Jobs
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name alice
  ATTR keyword which-jobs completed
  ATTR keyword requested-attributes job-id,job-state
  STATUS successful-ok
  EXPECT job-id OF-TYPE integer WITH-VALUE $job_id
  DISPLAY job-id
  DISPLAY job-state
}
"#,
    )
    .unwrap();
    let args = [
        "-t",
        "-T",
        "5",
        "-d",
        &format!("job_id={job_id}"),
        uri,
        "completed.test",
    ]
    .map(String::from);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (stdout, stderr, _) = run_ipptool(dir.path(), &args);
        let results = parse_results(&stdout);
        if results.iter().any(|r| r.outcome == Outcome::Pass) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "job {job_id} not completed after 10 s:\n{stdout}{stderr}"
            ));
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// The SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> String {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(path),
                Ok(t) if t.is_file() => files.push(path),
                _ => {}
            }
        }
    }
    files
}
