//! What the fault layer costs, and how faithfully the toxics do what they say.
//!
//! `cargo bench --bench faults` (add `-- --quick` for short rows). In one run,
//! against in-process virtual printers on loopback:
//!
//! - the price of the layer: Get-Printer-Attributes throughput with no toxic
//!   (the pass-through every connection goes through) beside the same with a
//!   zero-delay toxic forcing the toxic path, as a ratio;
//! - fidelity: measured latency, bandwidth, slicing and toxicity beside the
//!   configured values, as ratios (1.00 is exact).
//!
//! toxiproxy, the reference for these semantics, is not packaged for this
//! machine, so the comparison is with the configured values. Prints a
//! Markdown table and writes it to `target/bench/faults.md`; asserts nothing.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use paperjam_sim::fault::Fault;
use paperjam_sim::model::Speed;
use paperjam_sim::net::{server, RunningServer, ServerConfig, TlsSource};
use paperjam_sim::profile::Profile;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Result<T> = std::result::Result<T, String>;

/// An IPP request: header, operation attributes `(tag, name, value)`, end tag.
fn ipp_request(op: u8, id: u32, attrs: &[(u8, &str, &str)]) -> Vec<u8> {
    let mut b = vec![2, 0, 0, op];
    b.extend_from_slice(&id.to_be_bytes());
    b.push(0x01);
    for (tag, name, value) in attrs {
        b.push(*tag);
        b.extend_from_slice(&(name.len() as u16).to_be_bytes());
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&(value.len() as u16).to_be_bytes());
        b.extend_from_slice(value.as_bytes());
    }
    b.push(0x03);
    b
}

/// Get-Printer-Attributes for `requested` (`printer-state`, `all`).
fn gpa(uri: &str, requested: &str) -> Vec<u8> {
    ipp_request(
        0x0B,
        1,
        &[
            (0x47, "attributes-charset", "utf-8"),
            (0x48, "attributes-natural-language", "en"),
            (0x45, "printer-uri", uri),
            (0x44, "requested-attributes", requested),
        ],
    )
}

/// Print-Job of `doc_len` bytes.
fn print_job(uri: &str, doc_len: usize) -> Vec<u8> {
    let mut b = ipp_request(
        0x02,
        1,
        &[
            (0x47, "attributes-charset", "utf-8"),
            (0x48, "attributes-natural-language", "en"),
            (0x45, "printer-uri", uri),
            (0x49, "document-format", "application/octet-stream"),
        ],
    );
    b.extend(std::iter::repeat_n(b'x', doc_len));
    b
}

/// POST `body` on `s` (keep-alive); read the whole answer; the number of
/// reads it took and its size.
async fn exchange(s: &mut TcpStream, addr: SocketAddr, body: &[u8]) -> Result<(usize, usize)> {
    let head = format!(
        "POST /ipp/print HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    s.write_all(body).await.map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut tmp = [0u8; 65536];
    let mut reads = 0;
    loop {
        let n = s.read(&mut tmp).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed".into());
        }
        reads += 1;
        buf.extend_from_slice(&tmp[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .ok_or("no content-length")?;
            if buf.len() >= end + 4 + len {
                return Ok((reads, buf.len()));
            }
        }
    }
}

async fn start(faults: &[&str]) -> Result<RunningServer> {
    let profile = Profile::default_profile().map_err(|e| e.to_string())?;
    let mut cfg = ServerConfig::new(Arc::new(profile));
    cfg.ipp_port = 0;
    cfg.speed = Speed::Instant;
    cfg.tls = TlsSource::Off;
    cfg.seed = 1;
    cfg.faults = faults
        .iter()
        .map(|f| f.parse::<Fault>().map_err(|e| e.to_string()))
        .collect::<Result<_>>()?;
    server::start(cfg).await.map_err(|e| e.to_string())
}

/// Requests a second over `conns` keep-alive connections for `secs`.
async fn throughput(faults: &[&str], conns: usize, secs: u64) -> Result<f64> {
    let srv = start(faults).await?;
    let addr = srv.ipp_addr;
    let uri = srv.uris()[0].clone();
    let done = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (done, count, uri) = (done.clone(), count.clone(), uri.clone());
        tasks.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
            let _ = s.set_nodelay(true);
            let body = gpa(&uri, "printer-state");
            while !done.load(Ordering::Relaxed) {
                exchange(&mut s, addr, &body).await?;
                count.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), String>(())
        }));
    }
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    done.store(true, Ordering::Relaxed);
    let elapsed = t0.elapsed().as_secs_f64();
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    srv.shutdown(Duration::from_secs(1)).await;
    Ok(count.load(Ordering::Relaxed) as f64 / elapsed)
}

/// Mean and standard deviation (ms) of `n` sequential exchanges.
async fn response_times(faults: &[&str], n: usize) -> Result<(f64, f64)> {
    let srv = start(faults).await?;
    let addr = srv.ipp_addr;
    let body = gpa(&srv.uris()[0], "printer-state");
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let _ = s.set_nodelay(true);
    let mut v = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        exchange(&mut s, addr, &body).await?;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    srv.shutdown(Duration::from_secs(1)).await;
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
    Ok((mean, var.sqrt()))
}

/// Bytes a second of a `len`-byte upload.
async fn upload_rate(faults: &[&str], len: usize) -> Result<f64> {
    let srv = start(faults).await?;
    let addr = srv.ipp_addr;
    let body = print_job(&srv.uris()[0], len);
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let t = Instant::now();
    exchange(&mut s, addr, &body).await?;
    let rate = body.len() as f64 / t.elapsed().as_secs_f64();
    srv.shutdown(Duration::from_secs(1)).await;
    Ok(rate)
}

/// Reads needed for one full Get-Printer-Attributes answer (all
/// attributes), its size, and the time it took.
async fn slices(faults: &[&str]) -> Result<(usize, usize, f64)> {
    let srv = start(faults).await?;
    let addr = srv.ipp_addr;
    let uri = srv.uris()[0].clone();
    // Ask for everything: a large answer.
    let body = gpa(&uri, "all");
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let _ = s.set_nodelay(true);
    let t = Instant::now();
    let (reads, size) = exchange(&mut s, addr, &body).await?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    srv.shutdown(Duration::from_secs(1)).await;
    Ok((reads, size, ms))
}

/// Share of `n` fresh connections that were reset.
async fn reset_share(faults: &[&str], n: usize) -> Result<f64> {
    let srv = start(faults).await?;
    let addr = srv.ipp_addr;
    let body = gpa(&srv.uris()[0], "printer-state");
    let mut resets = 0;
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        if exchange(&mut s, addr, &body).await.is_err() {
            resets += 1;
        }
    }
    srv.shutdown(Duration::from_secs(1)).await;
    Ok(f64::from(resets) / n as f64)
}

fn run(quick: bool) -> Result<String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let secs = if quick { 1 } else { 5 };
    let n = if quick { 40 } else { 200 };
    let mut t = String::from("| measure | configured | measured | ratio |\n|---|---|---|---|\n");
    rt.block_on(async {
        let clean = throughput(&[], 8, secs).await?;
        let path = throughput(&["latency=0ms"], 8, secs).await?;
        t.push_str(&format!(
            "| Get-Printer-Attributes, 8 keep-alive connections, no toxic | — | {clean:.0} req/s | 1.00 |\n"
        ));
        t.push_str(&format!(
            "| the same through the toxic path (`latency=0ms`) | — | {path:.0} req/s | {:.2} |\n",
            path / clean
        ));
        let (base, _) = response_times(&[], n).await?;
        for (spec, want, jitter) in [
            ("latency=20ms", 20.0, 0.0),
            ("latency=20ms,jitter=10ms", 20.0, 10.0),
        ] {
            let (mean, sd) = response_times(&[spec], n).await?;
            let added = mean - base;
            t.push_str(&format!(
                "| `{spec}`: added response time (mean ± sd over {n}) | {want:.1} ± {:.1} ms | {added:.1} ± {sd:.1} ms | {:.2} |\n",
                jitter / 3f64.sqrt(),
                added / want
            ));
        }
        let len = if quick { 1_000_000 } else { 4_000_000 };
        let rate = upload_rate(&["bandwidth=2000000,direction=upstream"], len).await?;
        t.push_str(&format!(
            "| `bandwidth=2000000,direction=upstream`: a {} MB upload | 2.00 MB/s | {:.2} MB/s | {:.2} |\n",
            len / 1_000_000,
            rate / 1e6,
            rate / 2e6
        ));
        let (clean_reads, size, _) = slices(&[]).await?;
        let (reads, _, ms) = slices(&["slicer=512,delay=2ms"]).await?;
        let want_reads = size.div_ceil(512);
        t.push_str(&format!(
            "| `slicer=512,delay=2ms`: reads for a {size}-byte answer (clean: {clean_reads}) | ≥ {want_reads} reads, ≥ {} ms | {reads} reads, {ms:.0} ms | {:.2} |\n",
            (want_reads - 1) * 2,
            reads as f64 / want_reads as f64
        ));
        let share = reset_share(&["reset_peer,toxicity=0.3"], n).await?;
        t.push_str(&format!(
            "| `reset_peer,toxicity=0.3`: connections reset, of {n} | 0.30 | {share:.2} | {:.2} |\n",
            share / 0.3
        ));
        Ok::<(), String>(())
    })?;
    Ok(t)
}

fn main() -> std::process::ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    match run(quick) {
        Ok(table) => {
            println!("{table}");
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
            let name = if quick {
                "faults-quick.md"
            } else {
                "faults.md"
            };
            if std::fs::create_dir_all(&dir).is_ok()
                && std::fs::write(dir.join(name), &table).is_ok()
            {
                println!("written to {}", dir.join(name).display());
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench faults: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
