//! Streaming decompression for HTTP `Content-Encoding` and IPP `compression`.
//!
//! Push-style: compressed chunks go in with [`Decompressor::write`], plain
//! bytes come out into the inner writer, so nothing is held whole in memory.

use std::io::{self, Write};

use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};

/// A compression scheme named by IPP (`compression`) or HTTP (`Content-Encoding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// No compression.
    None,
    /// RFC 1952 gzip.
    Gzip,
    /// RFC 1951 deflate; a zlib (RFC 1950) wrapper is detected and accepted too,
    /// since HTTP's `deflate` means zlib and IPP's means raw deflate, and clients mix them up.
    Deflate,
}

impl Coding {
    /// From an IPP `compression` keyword or an HTTP content coding; `None` when unknown.
    pub fn from_name(name: &str) -> Option<Coding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "none" | "identity" | "" => Some(Coding::None),
            "gzip" | "x-gzip" => Some(Coding::Gzip),
            "deflate" => Some(Coding::Deflate),
            _ => None,
        }
    }

    /// The keyword.
    pub fn name(self) -> &'static str {
        match self {
            Coding::None => "none",
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

enum Inner<W: Write> {
    Plain(W),
    Gzip(GzDecoder<W>),
    /// Deflate whose wrapper is not known yet: the first two bytes decide.
    DeflatePending(W, Vec<u8>),
    Zlib(ZlibDecoder<W>),
    Raw(DeflateDecoder<W>),
    Gone,
}

/// A writer that decompresses what is written to it into `W`.
pub struct Decompressor<W: Write> {
    inner: Inner<W>,
}

impl<W: Write> Decompressor<W> {
    /// Decompress `coding` into `out`.
    pub fn new(coding: Coding, out: W) -> Decompressor<W> {
        let inner = match coding {
            Coding::None => Inner::Plain(out),
            Coding::Gzip => Inner::Gzip(GzDecoder::new(out)),
            Coding::Deflate => Inner::DeflatePending(out, Vec::with_capacity(2)),
        };
        Decompressor { inner }
    }

    /// The inner writer, for reading what came out so far.
    pub fn get_mut(&mut self) -> Option<&mut W> {
        match &mut self.inner {
            Inner::Plain(w) | Inner::DeflatePending(w, _) => Some(w),
            Inner::Gzip(d) => Some(d.get_mut()),
            Inner::Zlib(d) => Some(d.get_mut()),
            Inner::Raw(d) => Some(d.get_mut()),
            Inner::Gone => None,
        }
    }

    /// Feed compressed bytes.
    pub fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        if let Inner::DeflatePending(_, head) = &mut self.inner {
            while head.len() < 2 && !buf.is_empty() {
                head.push(buf[0]);
                buf = &buf[1..];
            }
            if head.len() < 2 {
                return Ok(());
            }
            let is_zlib =
                (head[0] & 0x0f) == 8 && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0;
            let head = std::mem::take(head);
            let Inner::DeflatePending(w, _) = std::mem::replace(&mut self.inner, Inner::Gone)
            else {
                return Err(io::Error::other("decoder state lost"));
            };
            self.inner = if is_zlib {
                Inner::Zlib(ZlibDecoder::new(w))
            } else {
                Inner::Raw(DeflateDecoder::new(w))
            };
            self.write_all(&head)?;
        }
        match &mut self.inner {
            Inner::Plain(w) => w.write_all(buf),
            Inner::Gzip(d) => d.write_all(buf),
            Inner::Zlib(d) => d.write_all(buf),
            Inner::Raw(d) => d.write_all(buf),
            Inner::DeflatePending(..) => Ok(()),
            Inner::Gone => Err(io::Error::other("decoder already finished")),
        }
    }

    /// End of input: flush the decoder and return the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        match std::mem::replace(&mut self.inner, Inner::Gone) {
            Inner::Plain(w) => Ok(w),
            Inner::Gzip(d) => d.finish(),
            Inner::Zlib(d) => d.finish(),
            Inner::Raw(d) => d.finish(),
            Inner::DeflatePending(_, head) if !head.is_empty() => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "deflate stream ended after one byte",
            )),
            Inner::DeflatePending(w, _) => Ok(w),
            Inner::Gone => Err(io::Error::other("decoder already finished")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::Compression;

    fn roundtrip(coding: Coding, compressed: &[u8], plain: &[u8]) {
        for chunk in [1usize, 3, 7, 4096] {
            let mut d = Decompressor::new(coding, Vec::new());
            for c in compressed.chunks(chunk) {
                d.write_all(c).unwrap();
            }
            assert_eq!(d.finish().unwrap(), plain, "chunk {chunk}");
        }
    }

    #[test]
    fn decodes_every_coding_in_any_chunking() {
        let plain: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut g = GzEncoder::new(Vec::new(), Compression::default());
        g.write_all(&plain).unwrap();
        roundtrip(Coding::Gzip, &g.finish().unwrap(), &plain);
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(&plain).unwrap();
        roundtrip(Coding::Deflate, &z.finish().unwrap(), &plain);
        let mut r = DeflateEncoder::new(Vec::new(), Compression::default());
        r.write_all(&plain).unwrap();
        roundtrip(Coding::Deflate, &r.finish().unwrap(), &plain);
        roundtrip(Coding::None, &plain, &plain);
    }

    #[test]
    fn corrupt_gzip_is_an_error_not_a_panic() {
        let mut d = Decompressor::new(Coding::Gzip, Vec::new());
        let r = d.write_all(b"\x1f\x8b\x08\x00garbagegarbagegarbage");
        assert!(r.is_err() || d.finish().is_err());
    }
}
