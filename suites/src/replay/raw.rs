//! LPD and AppSocket in a replay: the captured client's bytes sent step by
//! step on one connection, the printer's acknowledgements and answers
//! compared with the captured ones ([`super::rules::raw_rules`]).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{error, grade, skip, Difference, ReplayOptions, Severity};
use crate::grade::{CaseResult, Exchange};
use crate::pcap::session::{Expect, RawStep};
use crate::raw::escaped;
use crate::raw_target::RawTarget;

/// Runs of digits replaced by `#`: job numbers, sizes and times.
pub fn digits_hashed(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(s.len());
    let mut in_digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

/// The shape of a PJL back-channel: each answer's command and the names of
/// the variables it reports, values left out.
pub fn pjl_shape(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text)
        .split(['\n', '\r', '\x0c'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            if let Some(rest) = l.strip_prefix("@PJL") {
                let words: Vec<&str> = rest.split_whitespace().take(2).collect();
                Some(format!("@PJL {}", words.join(" ")))
            } else {
                l.split_once('=').map(|(k, _)| k.trim().to_string())
            }
        })
        .collect()
}

/// The LPD command line with the target's queue in place of the captured one.
fn with_queue(line: &[u8], queue: &str) -> Vec<u8> {
    // `<code><queue>[ <rest>]\n`: the queue runs from byte 1 to a space or LF.
    if line.is_empty() || queue.is_empty() {
        return line.to_vec();
    }
    let end = line[1..]
        .iter()
        .position(|b| *b == b' ' || *b == b'\n')
        .map_or(line.len(), |p| p + 1);
    let mut out = vec![line[0]];
    out.extend_from_slice(queue.as_bytes());
    out.extend_from_slice(&line[end..]);
    out
}

async fn connect(target: &RawTarget, timeout: Duration) -> Result<TcpStream, String> {
    let addr = target.resolve().await.map_err(|e| e.to_string())?;
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => Err(format!("connecting to {addr} timed out")),
        Ok(Err(e)) => Err(format!("cannot connect to {addr}: {e}")),
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
    }
}

/// Read until the peer closes or `timeout` passes; `true` if it closed.
async fn read_to_close(s: &mut TcpStream, out: &mut Vec<u8>, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    let mut buf = [0u8; 8192];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Replay one LPD connection.
pub async fn replay_lpd(
    r: CaseResult,
    command: &str,
    steps: &[RawStep],
    target: &RawTarget,
    opts: &ReplayOptions,
) -> CaseResult {
    let first = steps.first().and_then(|s| s.send.first()).copied();
    if first == Some(2) && !opts.allow_print {
        return skip(
            r,
            "the session sends a print job and printing is not allowed (--allow-print)",
        );
    }
    if first == Some(5) && !opts.allow_write {
        return skip(
            r,
            "the session removes jobs and writing is not allowed (--allow-write)",
        );
    }
    let started = Instant::now();
    let mut s = match connect(target, opts.timeout).await {
        Ok(s) => s,
        Err(e) => return error(r, e),
    };
    let mut diffs = Vec::new();
    let mut evidence = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let send = if i == 0 {
            with_queue(&step.send, &target.queue)
        } else {
            step.send.clone()
        };
        let t0 = Instant::now();
        if let Err(e) = s.write_all(&send).await {
            diffs.push(Difference {
                check: format!("step {}: {}", i + 1, step.label),
                captured: "sent".into(),
                replayed: format!("the connection broke: {e}"),
                severity: Severity::Fail,
            });
            break;
        }
        let mut got = Vec::new();
        match step.expect {
            Expect::Nothing => {}
            Expect::Ack => {
                let mut b = [0u8; 1];
                match tokio::time::timeout(opts.timeout, s.read(&mut b)).await {
                    Ok(Ok(1)) => got.push(b[0]),
                    Ok(_) => {}
                    Err(_) => {}
                }
                if got != step.answer {
                    diffs.push(Difference {
                        check: format!("step {}: {} acknowledgement", i + 1, step.label),
                        captured: escaped(&step.answer, 16),
                        replayed: if got.is_empty() {
                            "none".into()
                        } else {
                            escaped(&got, 16)
                        },
                        severity: Severity::Fail,
                    });
                }
            }
            Expect::UntilClose => {
                let _ = s.shutdown().await;
                read_to_close(&mut s, &mut got, opts.timeout).await;
                let (c, t) = (digits_hashed(&step.answer), digits_hashed(&got));
                if c != t {
                    let severity = if got.is_empty() != step.answer.is_empty() {
                        Severity::Fail
                    } else {
                        Severity::Warn
                    };
                    diffs.push(Difference {
                        check: format!("step {}: {} answer", i + 1, step.label),
                        captured: escaped(&step.answer, 2000),
                        replayed: escaped(&got, 2000),
                        severity,
                    });
                }
            }
        }
        evidence.push(Exchange {
            step: i,
            request_hex: crate::grade::hex(&send, 4096),
            request_bytes: send.len(),
            request_decoded: format!("[{command}] {}", step.label),
            http_status: 0,
            response_hex: crate::grade::hex(&got, 65_536),
            response_bytes: got.len(),
            response_decoded: format!(
                "target: {} / captured (frame {}): {}",
                escaped(&got, 2000),
                step.frame,
                step.answer_text
            ),
            elapsed_ms: t0.elapsed().as_millis() as u64,
        });
    }
    let mut r = grade(r, 0, diffs);
    r.evidence = evidence;
    r.elapsed_ms = started.elapsed().as_millis() as u64;
    r
}

/// Replay one AppSocket connection: the data, a half-close, the back-channel
/// until the printer closes.
pub async fn replay_socket(
    r: CaseResult,
    data: &[u8],
    back_channel: &[u8],
    target: &RawTarget,
    opts: &ReplayOptions,
) -> CaseResult {
    if !opts.allow_print {
        return skip(
            r,
            "AppSocket data is printed and printing is not allowed (--allow-print)",
        );
    }
    let started = Instant::now();
    let mut s = match connect(target, opts.timeout).await {
        Ok(s) => s,
        Err(e) => return error(r, e),
    };
    let mut diffs = Vec::new();
    let mut got = Vec::new();
    match s.write_all(data).await {
        Err(e) => diffs.push(Difference {
            check: "job data".into(),
            captured: format!("{} bytes sent", data.len()),
            replayed: format!("the connection broke: {e}"),
            severity: Severity::Fail,
        }),
        Ok(()) => {
            let _ = s.shutdown().await;
            if !read_to_close(&mut s, &mut got, opts.timeout).await {
                diffs.push(Difference {
                    check: "close after the job".into(),
                    captured: "closed".into(),
                    replayed: format!("still open after {} ms", opts.timeout.as_millis()),
                    severity: Severity::Warn,
                });
            }
            let (c, t) = (pjl_shape(back_channel), pjl_shape(&got));
            if c != t || got.is_empty() != back_channel.is_empty() {
                diffs.push(Difference {
                    check: "back-channel".into(),
                    captured: escaped(back_channel, 2000),
                    replayed: escaped(&got, 2000),
                    severity: Severity::Warn,
                });
            }
        }
    }
    let mut r = grade(r, 0, diffs);
    r.evidence.push(Exchange {
        step: 0,
        request_hex: crate::grade::hex(data, 4096),
        request_bytes: data.len(),
        request_decoded: "[appsocket] job data, then half-close".into(),
        http_status: 0,
        response_hex: crate::grade::hex(&got, 65_536),
        response_bytes: got.len(),
        response_decoded: format!(
            "target: {} / captured: {}",
            escaped(&got, 2000),
            escaped(back_channel, 2000)
        ),
        elapsed_ms: started.elapsed().as_millis() as u64,
    });
    r.elapsed_ms = started.elapsed().as_millis() as u64;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_listings_compare_without_numbers() {
        assert_eq!(
            digits_hashed(b"lp: 1st job 001localhost 2926 bytes"),
            "lp: #st job #localhost # bytes"
        );
    }

    #[test]
    fn pjl_answers_compare_by_shape() {
        assert_eq!(
            pjl_shape(b"@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY=\"Ready\"\r\n\x0c"),
            vec!["@PJL INFO STATUS", "CODE", "DISPLAY"]
        );
    }

    #[test]
    fn the_queue_is_the_targets() {
        assert_eq!(with_queue(b"\x02lp\n", "office"), b"\x02office\n");
        assert_eq!(with_queue(b"\x04lp 12\n", "q"), b"\x04q 12\n");
    }
}
