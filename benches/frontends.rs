//! LPD and AppSocket throughput through the whole stack into the spool.
//!
//! `cargo bench --bench frontends` (add `-- --quick` for short runs). An
//! in-process virtual printer at `--speed instant`; clients on loopback send
//!
//! - LPD jobs (RFC 1179, control file first as the CUPS `lpd` backend does)
//!   of a 64 KiB document: jobs a second, with 1 and 50 concurrent clients;
//! - AppSocket (port 9100) jobs of 8 MiB raw data: MB/s, 1 and 50 clients;
//!
//! then checks every spooled file's SHA-256 against what was sent. No peer
//! LPD server runs here without a system printcap, so the reference is the
//! spool disk's own sequential write speed, measured in the same run (a
//! `dd`-like write and fsync of 256 MiB). Prints a Markdown table and writes
//! it to `target/bench/frontends.md`; asserts nothing.

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
    let mut cfg = ServerConfig::new(Arc::new(Profile::default_profile().map_err(err)?));
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
    let docs: Vec<Vec<u8>> = (0..clients).map(|c| document(size, c as u64 + 1)).collect();
    let expected: Vec<String> = docs.iter().map(|d| hex(&Sha256::digest(d))).collect();
    let docs = Arc::new(docs);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let docs = docs.clone();
        tasks.push(tokio::spawn(async move {
            for k in 0..jobs / clients {
                match front {
                    Front::Lpd => lpd_job(addr, (c * 1000 + k) as u32, &docs[c]).await?,
                    Front::Socket => socket_job(addr, &docs[c]).await?,
                }
            }
            Ok::<(), String>(())
        }));
    }
    for t in tasks {
        t.await.map_err(err)??;
    }
    let total = (jobs / clients) * clients;
    let ok = verify(&srv, total, &expected).await?;
    let elapsed = t.elapsed().as_secs_f64();
    srv.shutdown(Duration::from_secs(1)).await;
    Ok((elapsed, total, ok))
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

fn run(quick: bool) -> Result<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(err)?;
    let disk = disk_speed(if quick { 64 } else { 256 })?;
    let mut t = String::from(
        "| front end | clients | jobs | job size | elapsed | rate | SHA-256 match |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    rt.block_on(async {
        let lpd_jobs = if quick { 100 } else { 1000 };
        for clients in [1, 50] {
            let (s, n, ok) = run_jobs(Front::Lpd, clients, lpd_jobs.max(clients), 64 * 1024).await?;
            t.push_str(&format!(
                "| LPD | {clients} | {n} | 64 KiB | {s:.2} s | {:.0} jobs/s | {ok}/{n} |\n",
                n as f64 / s
            ));
        }
        let size = 8 << 20;
        for clients in [1, 50] {
            let jobs = if quick { clients.max(4) } else { clients.max(20) };
            let (s, n, ok) = run_jobs(Front::Socket, clients, jobs, size).await?;
            t.push_str(&format!(
                "| AppSocket | {clients} | {n} | 8 MiB | {s:.2} s | {:.0} MB/s ({:.2}× the disk) | {ok}/{n} |\n",
                (n * size) as f64 / s / 1e6,
                (n * size) as f64 / s / 1e6 / (disk * 1.048_576)
            ));
        }
        Ok::<(), String>(())
    })?;
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
