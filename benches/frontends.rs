//! LPD and AppSocket throughput through the whole stack into the spool, with
//! the LPD part side by side against a real peer LPD server.
//!
//! `cargo bench --bench frontends` (add `-- --quick` for short runs). An
//! in-process virtual printer at `--speed instant`; clients on loopback send
//!
//! - LPD jobs (RFC 1179, control file first as the CUPS `lpd` backend does)
//!   of a 64 KiB document: jobs a second, with 1 and 50 concurrent clients;
//! - AppSocket (port 9100) jobs of 8 MiB raw data: MB/s, 1 and 50 clients;
//!
//! then checks every spooled file's SHA-256 against what was sent.
//!
//! The same LPD client load then goes to LPRng's `lpd` (Debian `lprng`,
//! installed by `scripts/install-peers.sh`), started by the bench for each
//! run in the foreground (`lpd -F`) inside private mount and PID namespaces
//! (`unshare -m -p -f --kill-child`, root only), with its own `lpd.conf`,
//! printcap, `lpd.perms` (`DEFAULT ACCEPT`), `/etc/hosts` and
//! `/etc/resolv.conf` bind-mounted over the host's, so the host is never
//! touched. It listens on a free loopback port and spools queue `lp` into a
//! temp folder with printing disabled (`printing_disabled` in its
//! `control.pr`), so both servers do the same work: receive and store. Its
//! elapsed time, like paperjam's, runs until every data file is in the spool
//! and SHA-256 checked. Two settings keep LPRng from stalling on this
//! machine rather than tuning it: the client host name of the control file
//! resolves through the private `/etc/hosts`, and DNS goes to 127.0.0.1
//! (refused at once) instead of an unreachable name server (5 s timeouts
//! that left receivers hanging). The table prints paperjam / LPRng. When the
//! peer cannot run (no `lpd`, not LPRng, no `unshare`, not root), a line says
//! why and the absolute numbers stand alone. The peer is stopped by SIGKILL
//! to the namespace's first process (the kernel then kills the rest).
//!
//! No AppSocket peer server runs here: that reference is the spool disk's
//! own sequential write speed, measured in the same run (a `dd`-like write
//! and fsync of 256 MiB). Prints Markdown tables and writes them to
//! `target/bench/frontends.md`; asserts nothing, and never fails because of
//! the peer.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Result<T> = std::result::Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

async fn start() -> Result<RunningServer> {
    let mut profile = Profile::default_profile().map_err(err)?;
    // Every job of a run stays listed (the default profile keeps 200), so
    // `verify` finds all 1000 of a full run.
    profile.jobs.history = 1 << 20;
    let mut cfg = ServerConfig::new(Arc::new(profile));
    cfg.ipp_port = 0;
    cfg.lpd_port = Some(0);
    cfg.socket_port = Some(0);
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    let mut limits = cfg.limits.clone();
    limits.max_document_bytes = 1 << 34;
    cfg.limits = limits;
    server::start(cfg).await.map_err(err)
}

/// A document of `len` bytes that differs per `seed`.
fn document(len: usize, seed: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

async fn ack(s: &mut TcpStream) -> Result<()> {
    let mut b = [0u8; 1];
    s.read_exact(&mut b).await.map_err(err)?;
    if b[0] != 0 {
        return Err(format!("refused with ack {}", b[0]));
    }
    Ok(())
}

/// One LPD job, control file first.
async fn lpd_job(addr: SocketAddr, n: u32, doc: &[u8]) -> Result<()> {
    let mut s = TcpStream::connect(addr).await.map_err(err)?;
    // Small writes each waiting for a one-byte ack: without this, Nagle and
    // delayed ACKs add 40 ms a step.
    s.set_nodelay(true).map_err(err)?;
    s.write_all(b"\x02lp\n").await.map_err(err)?;
    ack(&mut s).await?;
    let data_name = format!("dfA{:03}bench", n % 1000);
    let control =
        format!("Hbench\nPbench\nJbench job {n}\nl{data_name}\nU{data_name}\nN{data_name}\n");
    s.write_all(format!("\x02{} cfA{:03}bench\n", control.len(), n % 1000).as_bytes())
        .await
        .map_err(err)?;
    ack(&mut s).await?;
    s.write_all(&[control.as_bytes(), &[0]].concat())
        .await
        .map_err(err)?;
    ack(&mut s).await?;
    s.write_all(format!("\x03{} {data_name}\n", doc.len()).as_bytes())
        .await
        .map_err(err)?;
    ack(&mut s).await?;
    s.write_all(doc).await.map_err(err)?;
    s.write_all(&[0]).await.map_err(err)?;
    ack(&mut s).await?;
    Ok(())
}

/// One AppSocket job: send, half-close, read the back-channel to EOF.
async fn socket_job(addr: SocketAddr, doc: &[u8]) -> Result<()> {
    let mut s = TcpStream::connect(addr).await.map_err(err)?;
    s.write_all(doc).await.map_err(err)?;
    s.shutdown().await.map_err(err)?;
    let mut sink = Vec::new();
    s.read_to_end(&mut sink).await.map_err(err)?;
    Ok(())
}

/// Wait until the printer holds `n` jobs with a document each, then check
/// every spooled file's SHA-256 against `expected`; returns how many matched.
async fn verify(srv: &RunningServer, n: usize, expected: &[String]) -> Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let docs: Vec<(String, std::path::PathBuf)> = srv.printer.with(|p, _| {
            p.jobs()
                .flat_map(|j| {
                    j.documents
                        .iter()
                        .map(|d| (d.sha256.clone(), d.path.clone()))
                })
                .collect()
        });
        if docs.len() >= n {
            let mut ok = 0;
            for (sha, path) in &docs {
                let bytes = std::fs::read(path).map_err(err)?;
                let actual = hex(&Sha256::digest(&bytes));
                if actual == *sha && expected.contains(&actual) {
                    ok += 1;
                }
            }
            return Ok(ok);
        }
        if Instant::now() > deadline {
            return Err(format!("only {} of {n} documents spooled", docs.len()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Which front end a run drives.
#[derive(Clone, Copy)]
enum Front {
    Lpd,
    Socket,
}

/// The documents of a run, one per client, and their SHA-256 digests.
fn documents(clients: usize, size: usize) -> (Arc<Vec<Vec<u8>>>, Vec<String>) {
    let docs: Vec<Vec<u8>> = (0..clients).map(|c| document(size, c as u64 + 1)).collect();
    let expected = docs.iter().map(|d| hex(&Sha256::digest(d))).collect();
    (Arc::new(docs), expected)
}

/// The client load: `jobs` jobs from `clients` concurrent clients to `addr`;
/// returns how many jobs were sent. LPD jobs are numbered 0, 1, … across all
/// clients, so job numbers (and data file names) are unique up to 1000 jobs.
async fn drive(
    front: Front,
    addr: SocketAddr,
    clients: usize,
    jobs: usize,
    docs: &Arc<Vec<Vec<u8>>>,
) -> Result<usize> {
    let per = jobs / clients;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let docs = docs.clone();
        tasks.push(tokio::spawn(async move {
            for k in 0..per {
                match front {
                    Front::Lpd => lpd_job(addr, (c * per + k) as u32, &docs[c]).await?,
                    Front::Socket => socket_job(addr, &docs[c]).await?,
                }
            }
            Ok::<(), String>(())
        }));
    }
    for t in tasks {
        t.await.map_err(err)??;
    }
    Ok(per * clients)
}

/// Run `jobs` jobs from `clients` concurrent clients through `front`;
/// returns (elapsed, jobs, SHA-256 matches).
async fn run_jobs(
    front: Front,
    clients: usize,
    jobs: usize,
    size: usize,
) -> Result<(f64, usize, usize)> {
    let srv = start().await?;
    let addr = match front {
        Front::Lpd => srv.lpd_addr.ok_or("no LPD port")?,
        Front::Socket => srv.socket_addr.ok_or("no AppSocket port")?,
    };
    let (docs, expected) = documents(clients, size);
    let t = Instant::now();
    let total = drive(front, addr, clients, jobs, &docs).await?;
    let ok = verify(&srv, total, &expected).await?;
    let elapsed = t.elapsed().as_secs_f64();
    srv.shutdown(Duration::from_secs(1)).await;
    Ok((elapsed, total, ok))
}

/// LPRng's `lpd`, listening on a loopback port, its queue `lp` spooling
/// into a temp folder; inside private mount and PID namespaces.
struct Peer {
    /// `unshare`; SIGKILL to it reaches the namespace's first process
    /// (`--kill-child`), whose death makes the kernel kill all the rest.
    child: std::process::Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

/// Where LPRng's `lpd` is, checked to be LPRng; `Err` says why not.
fn lprng_lpd() -> Result<std::path::PathBuf> {
    let lpd = ["/usr/sbin/lpd", "/usr/local/sbin/lpd", "/sbin/lpd"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .ok_or("no lpd binary (Debian package lprng; scripts/install-peers.sh installs it)")?;
    let out = std::process::Command::new(&lpd)
        .arg("-V")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", lpd.display()))?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    if !text.contains("LPRng") {
        return Err(format!("{} is not LPRng's lpd", lpd.display()));
    }
    if !Path::new("/etc/lprng/lpd.conf").exists() {
        return Err("no /etc/lprng/lpd.conf to bind-mount a config over".into());
    }
    Ok(lpd)
}

/// The version line of LPRng's `lpd -V`, for the report.
fn lprng_version(lpd: &Path) -> String {
    std::process::Command::new(lpd)
        .arg("-V")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&o.stderr).lines())
                .find_map(|l| {
                    l.split([',', ' '])
                        .find(|w| w.starts_with("LPRng"))
                        .map(String::from)
                })
        })
        .unwrap_or_else(|| "LPRng".into())
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" / ")
}

impl Peer {
    /// Starts LPRng's `lpd` and waits until it accepts connections.
    fn start(lpd: &Path) -> Result<Peer> {
        use std::os::unix::fs::PermissionsExt as _;
        use std::os::unix::process::CommandExt as _;
        let dir = tempfile::Builder::new()
            .prefix("frontends-lprng-")
            .tempdir()
            .map_err(err)?;
        let d = dir.path();
        let spool = d.join("spool");
        std::fs::create_dir(&spool).map_err(err)?;
        // lpd drops root for user `daemon`: it must reach and write the spool.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).map_err(err)?;
        std::fs::set_permissions(&spool, std::fs::Permissions::from_mode(0o777)).map_err(err)?;
        // Jobs stay in the spool (paperjam keeps them too) and are counted there.
        std::fs::write(spool.join("control.pr"), "printing_disabled=1\n").map_err(err)?;
        std::fs::set_permissions(
            spool.join("control.pr"),
            std::fs::Permissions::from_mode(0o666),
        )
        .map_err(err)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(err)?
            .port();
        let conf = format!(
            "printcap_path={0}/printcap\nlpd_printcap_path={0}/printcap\n\
             perms_path={0}/lpd.perms\nlockfile={0}/lpd.lock\nunix_socket_path=off\n\
             lpd_listen_port=127.0.0.1%{port}\nlpd_port={port}\n",
            d.display()
        );
        std::fs::write(d.join("lpd.conf"), conf).map_err(err)?;
        std::fs::write(
            d.join("printcap"),
            format!(
                "lp:\\\n  :sd={}:\\\n  :lp=/dev/null:sh:mx=0:\n",
                spool.display()
            ),
        )
        .map_err(err)?;
        std::fs::write(d.join("lpd.perms"), "DEFAULT ACCEPT\n").map_err(err)?;
        let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
        std::fs::write(
            d.join("hosts"),
            format!("{hosts}\n127.0.0.1 localhost bench\n"),
        )
        .map_err(err)?;
        std::fs::write(d.join("resolv.conf"), "nameserver 127.0.0.1\n").map_err(err)?;
        let script = format!(
            "set -e; D='{d}'; mount --bind \"$D/lpd.conf\" /etc/lprng/lpd.conf; \
             mount --bind \"$D/hosts\" /etc/hosts; \
             if [ -e /etc/resolv.conf ]; then mount --bind \"$D/resolv.conf\" /etc/resolv.conf; fi; \
             '{lpd}' -F & wait",
            d = d.display(),
            lpd = lpd.display()
        );
        let log = std::fs::File::create(d.join("lpd.log")).map_err(err)?;
        let mut cmd = if Path::new("/usr/bin/setpriv").exists() {
            // Also gone if the bench itself is killed.
            let mut c = std::process::Command::new("/usr/bin/setpriv");
            c.args(["--pdeathsig", "KILL", "unshare"]);
            c
        } else {
            std::process::Command::new("unshare")
        };
        cmd.args(["-m", "-p", "-f", "--kill-child", "sh", "-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().map_err(err)?)
            .stderr(log)
            .process_group(0);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot run unshare: {e}"))?;
        let mut peer = Peer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let why = loop {
            if let Ok(Some(status)) = peer.child.try_wait() {
                break format!(
                    "unshare/lpd exited ({status}): {}",
                    tail(&peer.dir.path().join("lpd.log"))
                );
            }
            if std::net::TcpStream::connect_timeout(&peer.addr, Duration::from_millis(200)).is_ok()
            {
                return Ok(peer);
            }
            if Instant::now() > deadline {
                break format!(
                    "lpd did not listen on {} within 10 s: {}",
                    peer.addr,
                    tail(&peer.dir.path().join("lpd.log"))
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let _ = peer.stop();
        Err(why)
    }

    /// Waits until the spool holds `n` data files, then checks each one's
    /// SHA-256 against `expected`; returns (data files, control files,
    /// matches).
    fn verify(&self, n: usize, expected: &[String]) -> Result<(usize, usize, usize)> {
        let spool = self.dir.path().join("spool");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut data = Vec::new();
            let mut control = 0;
            for e in std::fs::read_dir(&spool).map_err(err)? {
                let name = e.map_err(err)?.file_name().to_string_lossy().to_string();
                if name.starts_with("df") {
                    data.push(spool.join(name));
                } else if name.starts_with("hf") {
                    control += 1;
                }
            }
            if (data.len() >= n && control >= n) || Instant::now() > deadline {
                let mut ok = 0;
                for path in &data {
                    let bytes = std::fs::read(path).map_err(err)?;
                    if expected.contains(&hex(&Sha256::digest(&bytes))) {
                        ok += 1;
                    }
                }
                return Ok((data.len(), control, ok));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the namespace and the process group; says if lpd still listens.
    fn stop(mut self) -> Option<String> {
        let _ = self.child.kill();
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(std::process::Stdio::null())
            .status();
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_secs(2);
        while std::net::TcpStream::connect_timeout(&self.addr, Duration::from_millis(100)).is_ok() {
            if Instant::now() > deadline {
                return Some(format!(
                    "LPRng lpd still listens on {} after the kill",
                    self.addr
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// What one run against the peer measured: (elapsed, jobs, data files in the
/// spool, control files, SHA-256 matches).
type PeerRun = (f64, usize, usize, usize, usize);

/// One LPD run against LPRng: a fresh `lpd`, the same client load as for
/// paperjam; `Err` if `lpd` did not start, else the run's result and a
/// warning if the peer would not die.
fn run_peer(
    rt: &tokio::runtime::Runtime,
    lpd: &Path,
    clients: usize,
    jobs: usize,
    size: usize,
) -> Result<(Result<PeerRun>, Option<String>)> {
    // A second try if the free port was taken in between (or a slow start).
    let peer = Peer::start(lpd).or_else(|_| Peer::start(lpd))?;
    let (docs, expected) = documents(clients, size);
    let t = Instant::now();
    let result = rt
        .block_on(drive(Front::Lpd, peer.addr, clients, jobs, &docs))
        .and_then(|total| {
            let (data, control, ok) = peer.verify(total, &expected)?;
            Ok((t.elapsed().as_secs_f64(), total, data, control, ok))
        });
    let warning = peer.stop();
    Ok((result, warning))
}

/// Sequential write + fsync of `mb` MiB in the temp folder: the disk's limit.
fn disk_speed(mb: usize) -> Result<f64> {
    let dir = tempfile::tempdir().map_err(err)?;
    let path: &Path = &dir.path().join("dd.bin");
    let block = vec![0x5Au8; 1 << 20];
    let t = Instant::now();
    let mut f = std::fs::File::create(path).map_err(err)?;
    for _ in 0..mb {
        f.write_all(&block).map_err(err)?;
    }
    f.sync_all().map_err(err)?;
    Ok(mb as f64 / t.elapsed().as_secs_f64())
}

/// A table cell: no `|` or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "/").replace('\n', " ")
}

fn run(quick: bool) -> Result<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(err)?;
    let disk = disk_speed(if quick { 64 } else { 256 })?;
    let mut lpd = lprng_lpd();
    let peer_name = match &lpd {
        Ok(p) => lprng_version(p),
        Err(_) => "LPRng".to_string(),
    };
    let mut notes = Vec::new();
    let mut t = format!(
        "## LPD, 64 KiB jobs, control file first: paperjam and {peer_name} `lpd` side by side\n\n\
         | clients | jobs | paperjam elapsed | paperjam rate | paperjam SHA-256 | {peer_name} elapsed | {peer_name} rate | {peer_name} spool (data / control files, SHA-256) | paperjam / {peer_name} |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    let none = "— | — | — | —".to_string();
    let lpd_jobs: usize = if quick { 100 } else { 1000 };
    for clients in [1, 50] {
        let jobs = lpd_jobs.max(clients);
        let (s, n, ok) = rt.block_on(run_jobs(Front::Lpd, clients, jobs, 64 * 1024))?;
        let ours = n as f64 / s;
        let peer_cells = match lpd.clone() {
            Err(_) => none.clone(),
            Ok(path) => match run_peer(&rt, &path, clients, jobs, 64 * 1024) {
                Err(why) => {
                    lpd = Err(format!("it did not start: {why}"));
                    none.clone()
                }
                Ok((result, warning)) => {
                    notes.extend(warning);
                    match result {
                        Ok((ps, pn, data, control, pok)) => {
                            let theirs = pn as f64 / ps;
                            let ratio = if data == pn && pok == pn {
                                format!("{:.2}×", ours / theirs)
                            } else {
                                notes.push(format!(
                                    "{peer_name} with {clients} client(s): only {pok} of {pn} \
                                     jobs' data spooled intact within 30 s; no ratio."
                                ));
                                "—".to_string()
                            };
                            format!(
                                "{ps:.2} s | {theirs:.0} jobs/s | {data} / {control}, {pok}/{pn} | {ratio}"
                            )
                        }
                        Err(e) => {
                            notes.push(format!(
                                "{peer_name} with {clients} client(s) failed: {e}; no ratio."
                            ));
                            "error | — | — | —".to_string()
                        }
                    }
                }
            },
        };
        t.push_str(&format!(
            "| {clients} | {n} | {s:.2} s | {ours:.0} jobs/s | {ok}/{n} | {peer_cells} |\n"
        ));
    }
    match &lpd {
        Ok(_) => t.push_str(&format!(
            "\nPeer: {peer_name} `lpd -F` in private mount and PID namespaces, one per run, \
             queue `lp` spooling to a temp folder with printing disabled, on a loopback port. \
             Both elapsed times run until every document is in the spool and SHA-256 checked.\n"
        )),
        Err(why) => {
            eprintln!("bench frontends: peer LPRng lpd not run: {why}");
            t.push_str(&format!(
                "\nPeer not run: LPRng's lpd is unavailable ({}); paperjam's numbers stand alone.\n",
                cell(why)
            ))
        }
    }
    for n in &notes {
        t.push_str(&format!("\n{}\n", cell(n)));
    }
    t.push_str(
        "\n## AppSocket, 8 MiB jobs (no peer server: the reference is the disk)\n\n\
         | clients | jobs | elapsed | rate | SHA-256 match |\n|---:|---:|---:|---:|---:|\n",
    );
    let size = 8 << 20;
    for clients in [1, 50] {
        let jobs = if quick {
            clients.max(4)
        } else {
            clients.max(20)
        };
        let (s, n, ok) = rt.block_on(run_jobs(Front::Socket, clients, jobs, size))?;
        t.push_str(&format!(
            "| {clients} | {n} | {s:.2} s | {:.0} MB/s ({:.2}× the disk) | {ok}/{n} |\n",
            (n * size) as f64 / s / 1e6,
            (n * size) as f64 / s / 1e6 / (disk * 1.048_576)
        ));
    }
    t.push_str(&format!(
        "\nThe spool disk, sequential write + fsync: {:.0} MB/s.\n",
        disk * 1.048_576
    ));
    Ok(t)
}

fn main() -> std::process::ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    match run(quick) {
        Ok(table) => {
            println!("{table}");
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
            let name = if quick {
                "frontends-quick.md"
            } else {
                "frontends.md"
            };
            if std::fs::create_dir_all(&dir).is_ok()
                && std::fs::write(dir.join(name), &table).is_ok()
            {
                println!("written to {}", dir.join(name).display());
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench frontends: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
