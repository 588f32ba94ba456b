//! The spool: accepted documents on disk, byte-exact, written as they stream in.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::wire::coding::{Coding, Decompressor};

/// Why a document could not be spooled.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// Writing to disk failed.
    #[error("spool write failed for {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The compressed data is corrupt.
    #[error("document data is not valid {coding}: {message}")]
    Corrupt {
        /// The coding claimed.
        coding: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The document is larger than the configured limit.
    #[error("document is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
}

/// Where documents go.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Spool {
    /// A spool in `dir` (created if missing); files stay after the printer stops.
    pub fn in_dir(dir: &Path) -> io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        Ok(Spool {
            dir: dir.to_path_buf(),
            _temp: None,
        })
    }

    /// A spool in a fresh temporary folder, removed when the spool is dropped.
    pub fn temporary() -> io::Result<Spool> {
        let t = tempfile::Builder::new()
            .prefix("paperjam-spool-")
            .tempdir()?;
        Ok(Spool {
            dir: t.path().to_path_buf(),
            _temp: Some(t),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A writer for document `doc` of job `job`. `limit` bounds the stored
    /// (decompressed) size.
    pub fn writer(
        &self,
        job: u32,
        doc: u32,
        format: &str,
        coding: Coding,
        limit: u64,
    ) -> Result<SpoolWriter, SpoolError> {
        let path = self
            .dir
            .join(format!("job-{job:06}-doc-{doc}.{}", extension(format)));
        let file = File::create(&path).map_err(|source| SpoolError::Io {
            path: path.clone(),
            source,
        })?;
        let sink = Sink {
            file: BufWriter::with_capacity(64 * 1024, file),
            hasher: Sha256::new(),
            pages: PageCounter::default(),
            bytes: 0,
            limit,
            over: false,
        };
        Ok(SpoolWriter {
            path,
            coding,
            wire_bytes: 0,
            decoder: Decompressor::new(coding, sink),
        })
    }
}

fn extension(format: &str) -> &'static str {
    match format {
        "application/pdf" => "pdf",
        "image/jpeg" => "jpg",
        "image/pwg-raster" => "pwg",
        "image/urf" => "urf",
        "application/postscript" => "ps",
        "text/plain" => "txt",
        _ => "prn",
    }
}

struct Sink {
    file: BufWriter<File>,
    hasher: Sha256,
    pages: PageCounter,
    bytes: u64,
    limit: u64,
    over: bool,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let len = buf.len() as u64;
        if self.bytes.saturating_add(len) > self.limit {
            self.over = true;
            return Err(io::Error::other("document size limit"));
        }
        self.file.write_all(buf)?;
        self.hasher.update(buf);
        self.pages.feed(buf);
        self.bytes += len;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A document being written to the spool.
pub struct SpoolWriter {
    path: PathBuf,
    coding: Coding,
    wire_bytes: u64,
    decoder: Decompressor<Sink>,
}

/// A document written in full.
#[derive(Debug, Clone)]
pub struct SpooledDocument {
    /// Where it is.
    pub path: PathBuf,
    /// Stored (decompressed) size.
    pub bytes: u64,
    /// Bytes received on the wire.
    pub wire_bytes: u64,
    /// SHA-256 of the stored bytes, hex.
    pub sha256: String,
    /// Pages counted (at least 1).
    pub pages: u32,
    /// The format its first bytes show, if recognisable.
    pub detected_format: Option<&'static str>,
}

impl SpoolWriter {
    /// Where the document is being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append received (possibly compressed) bytes.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), SpoolError> {
        self.wire_bytes += chunk.len() as u64;
        let r = self.decoder.write_all(chunk);
        self.check(r)
    }

    fn check(&mut self, r: io::Result<()>) -> Result<(), SpoolError> {
        match r {
            Ok(()) => Ok(()),
            Err(e) => {
                if let Some(s) = self.decoder.get_mut() {
                    if s.over {
                        return Err(SpoolError::TooLarge { limit: s.limit });
                    }
                }
                Err(self.classify(e))
            }
        }
    }

    fn classify(&self, e: io::Error) -> SpoolError {
        if self.coding != Coding::None
            && matches!(
                e.kind(),
                io::ErrorKind::InvalidInput
                    | io::ErrorKind::InvalidData
                    | io::ErrorKind::UnexpectedEof
            )
        {
            SpoolError::Corrupt {
                coding: self.coding.name(),
                message: e.to_string(),
            }
        } else {
            SpoolError::Io {
                path: self.path.clone(),
                source: e,
            }
        }
    }

    /// All bytes are in: flush, and say what was stored.
    pub fn finish(self) -> Result<SpooledDocument, SpoolError> {
        let SpoolWriter {
            path,
            coding,
            wire_bytes,
            decoder,
        } = self;
        let mut sink = decoder.finish().map_err(|e| {
            if coding == Coding::None {
                SpoolError::Io {
                    path: path.clone(),
                    source: e,
                }
            } else {
                SpoolError::Corrupt {
                    coding: coding.name(),
                    message: e.to_string(),
                }
            }
        })?;
        if sink.over {
            return Err(SpoolError::TooLarge { limit: sink.limit });
        }
        sink.file.flush().map_err(|source| SpoolError::Io {
            path: path.clone(),
            source,
        })?;
        let sha256 = sink
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(SpooledDocument {
            path,
            bytes: sink.bytes,
            wire_bytes,
            sha256,
            pages: sink.pages.pages(),
            detected_format: sink.pages.sniff(),
        })
    }
}

/// Counts pages in a document as it streams past, by its own framing: PDF page
/// objects, the Apple Raster page count, the PWG Raster `TotalPageCount`.
/// Formats it cannot count are one page.
#[derive(Debug, Default, Clone)]
pub struct PageCounter {
    head: Vec<u8>,
    tail: Vec<u8>,
    pdf_pages: u32,
    seen: u64,
}

const PDF_PAGE: &[&[u8]] = &[b"/Type/Page", b"/Type /Page"];

impl PageCounter {
    /// Feed the next bytes.
    pub fn feed(&mut self, buf: &[u8]) {
        if self.head.len() < 64 {
            let n = (64 - self.head.len()).min(buf.len());
            self.head.extend_from_slice(&buf[..n]);
        }
        if self.head.starts_with(b"%PDF") || self.head.len() < 4 {
            // Scan tail+buf for page objects, not counting "/Pages".
            let mut window = std::mem::take(&mut self.tail);
            window.extend_from_slice(buf);
            let already = window.len() - buf.len();
            for pat in PDF_PAGE {
                let mut i = 0;
                while i + pat.len() < window.len() {
                    if &window[i..i + pat.len()] == *pat {
                        let next = window[i + pat.len()];
                        // Count only matches that end in the new bytes, once.
                        if next != b's' && i + pat.len() >= already {
                            self.pdf_pages += 1;
                        }
                        i += pat.len();
                    } else {
                        i += 1;
                    }
                }
            }
            let keep = window.len().min(16);
            self.tail = window[window.len() - keep..].to_vec();
        }
        self.seen += buf.len() as u64;
    }

    /// The document format its first bytes show.
    pub fn sniff(&self) -> Option<&'static str> {
        let h = &self.head;
        if h.starts_with(b"%PDF") {
            Some("application/pdf")
        } else if h.starts_with(b"\xff\xd8\xff") {
            Some("image/jpeg")
        } else if h.starts_with(b"RaS2") {
            Some("image/pwg-raster")
        } else if h.starts_with(b"UNIRAST") {
            Some("image/urf")
        } else if h.starts_with(b"%!") {
            Some("application/postscript")
        } else {
            None
        }
    }

    /// Pages found so far (at least 1).
    pub fn pages(&self) -> u32 {
        let h = &self.head;
        let counted = if h.starts_with(b"%PDF") {
            self.pdf_pages
        } else if h.starts_with(b"UNIRAST\0") && h.len() >= 12 {
            u32::from_be_bytes([h[8], h[9], h[10], h[11]])
        } else {
            0
        };
        counted.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spools_byte_exact_and_hashes() {
        let spool = Spool::temporary().unwrap();
        let mut w = spool
            .writer(1, 1, "application/pdf", Coding::None, 1 << 20)
            .unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 256) as u8).collect();
        for c in data.chunks(999) {
            w.write(c).unwrap();
        }
        let d = w.finish().unwrap();
        assert_eq!(std::fs::read(&d.path).unwrap(), data);
        assert_eq!(d.bytes, 100_000);
        let hex: String = Sha256::digest(&data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(d.sha256, hex);
    }

    #[test]
    fn limit_is_enforced() {
        let spool = Spool::temporary().unwrap();
        let mut w = spool.writer(1, 1, "x", Coding::None, 10).unwrap();
        assert!(matches!(
            w.write(&[0u8; 11]),
            Err(SpoolError::TooLarge { limit: 10 })
        ));
    }

    #[test]
    fn counts_pdf_pages_across_chunks() {
        let pdf = b"%PDF-1.4\n1 0 obj <</Type /Pages /Kids [2 0 R 3 0 R]>>\n2 0 obj <</Type /Page>>\n3 0 obj <</Type/Page /Parent 1 0 R>>\n%%EOF";
        for chunk in 1..pdf.len() {
            let mut c = PageCounter::default();
            for part in pdf.chunks(chunk) {
                c.feed(part);
            }
            assert_eq!(c.pages(), 2, "chunk size {chunk}");
        }
    }

    #[test]
    fn counts_urf_pages() {
        let mut c = PageCounter::default();
        c.feed(b"UNIRAST\0\0\0\0\x05rest");
        assert_eq!(c.pages(), 5);
    }
}
