//! A printer that still accepts TLS 1.0 and 1.1 (the `tls-legacy` preset).
//!
//! rustls speaks no TLS below 1.2, and nothing here should. What a scanner
//! grades is the server's first answer to a ClientHello that offers only an
//! old version: an old printer answers with a ServerHello of that version,
//! its Certificate and ServerHelloDone; a current one with a
//! `protocol_version` alert. So with the preset in force, a ClientHello
//! whose highest version is below TLS 1.2 gets that first flight (built
//! here, sans-IO) and then the connection is closed: enough for a scanner,
//! `openssl s_client -tls1` included, to see TLS 1.0 accepted, and no
//! handshake that could carry data.

/// A ClientHello that offers nothing newer than TLS 1.1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyHello {
    /// The highest version offered (0x0301 for TLS 1.0, 0x0302 for 1.1).
    pub version: u16,
    /// The cipher suites offered.
    pub ciphers: Vec<u16>,
    /// The session id, echoed back.
    pub session_id: Vec<u8>,
}

/// What the first bytes of a connection say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloKind {
    /// More bytes are needed.
    Incomplete,
    /// A ClientHello that offers TLS 1.2 or later.
    Modern,
    /// A ClientHello that offers TLS 1.1 at most.
    Legacy(LegacyHello),
    /// Not a ClientHello.
    NotHello,
}

/// The largest ClientHello record looked at.
pub const MAX_HELLO: usize = 16 * 1024 + 5;

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Some(h)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
}

/// Classify the first bytes of a connection (one TLS record holding the
/// whole ClientHello, as every client sends it).
pub fn classify(bytes: &[u8]) -> HelloKind {
    if bytes.len() < 5 {
        return HelloKind::Incomplete;
    }
    if bytes[0] != 0x16 || bytes[1] != 0x03 {
        return HelloKind::NotHello;
    }
    let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    if bytes.len() < 5 + len {
        return if 5 + len > MAX_HELLO {
            HelloKind::NotHello
        } else {
            HelloKind::Incomplete
        };
    }
    parse_hello(&bytes[5..5 + len]).unwrap_or(HelloKind::NotHello)
}

fn parse_hello(body: &[u8]) -> Option<HelloKind> {
    let mut r = Reader { b: body };
    if r.u8()? != 1 {
        return Some(HelloKind::NotHello);
    }
    let l = r.take(3)?;
    let hlen = usize::from(l[0]) << 16 | usize::from(l[1]) << 8 | usize::from(l[2]);
    let mut r = Reader { b: r.take(hlen)? };
    let legacy = r.u16()?;
    r.take(32)?;
    let sid_len = usize::from(r.u8()?);
    let session_id = r.take(sid_len)?.to_vec();
    let cs_len = usize::from(r.u16()?);
    let cs = r.take(cs_len)?;
    let ciphers: Vec<u16> = cs
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let comp_len = usize::from(r.u8()?);
    r.take(comp_len)?;
    let mut highest = legacy;
    if let Some(ext_len) = r.u16() {
        let mut e = Reader {
            b: r.take(usize::from(ext_len))?,
        };
        while let Some(kind) = e.u16() {
            let n = usize::from(e.u16()?);
            let data = e.take(n)?;
            if kind == 0x002b {
                // supported_versions: a list of u16 after a one-byte length.
                let mut v = Reader { b: data.get(1..)? };
                while let Some(ver) = v.u16() {
                    if ver & 0x0f0f == 0x0a0a {
                        continue; // GREASE
                    }
                    highest = highest.max(ver);
                }
            }
        }
    }
    Some(if highest >= 0x0303 {
        HelloKind::Modern
    } else {
        HelloKind::Legacy(LegacyHello {
            version: highest.max(0x0301),
            ciphers,
            session_id,
        })
    })
}

/// Cipher suites a TLS 1.0 printer with an RSA key picks from, in its
/// order of preference.
const LEGACY_RSA_CIPHERS: [u16; 6] = [
    0xc013, // ECDHE-RSA-AES128-SHA
    0xc014, // ECDHE-RSA-AES256-SHA
    0x002f, // AES128-SHA
    0x0035, // AES256-SHA
    0x000a, // DES-CBC3-SHA
    0x0005, // RC4-SHA
];

/// The same for an ECDSA key (what the self-signed certificates here have).
const LEGACY_ECDSA_CIPHERS: [u16; 2] = [
    0xc009, // ECDHE-ECDSA-AES128-SHA
    0xc00a, // ECDHE-ECDSA-AES256-SHA
];

/// id-ecPublicKey (1.2.840.10045.2.1), DER: the certificate's key is ECDSA.
const EC_PUBLIC_KEY_OID: [u8; 9] = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

fn record(kind: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&u16::try_from(body.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let n = body.len();
    let mut out = vec![kind, (n >> 16) as u8, (n >> 8) as u8, n as u8];
    out.extend_from_slice(body);
    out
}

/// The first flight of a TLS 1.0/1.1 server to `hello`: ServerHello (its
/// version, a cipher both know, else AES128-SHA), Certificate (`cert_der`),
/// ServerHelloDone, in one record each. `random` fills the server random.
pub fn server_flight(hello: &LegacyHello, cert_der: &[u8], random: [u8; 32]) -> Vec<u8> {
    let ecdsa = cert_der
        .windows(EC_PUBLIC_KEY_OID.len())
        .any(|w| w == EC_PUBLIC_KEY_OID);
    let (prefs, fallback): (&[u16], u16) = if ecdsa {
        (&LEGACY_ECDSA_CIPHERS, 0xc009)
    } else {
        (&LEGACY_RSA_CIPHERS, 0x002f)
    };
    let cipher = prefs
        .iter()
        .copied()
        .find(|c| hello.ciphers.contains(c))
        .unwrap_or(fallback);
    let mut sh = Vec::new();
    sh.extend_from_slice(&hello.version.to_be_bytes());
    sh.extend_from_slice(&random);
    let sid: &[u8] = if hello.session_id.len() <= 32 {
        &hello.session_id
    } else {
        &[]
    };
    sh.push(sid.len() as u8);
    sh.extend_from_slice(sid);
    sh.extend_from_slice(&cipher.to_be_bytes());
    sh.push(0); // no compression
                // renegotiation_info, empty (RFC 5746): OpenSSL 3 stops at a ServerHello
                // without it unless told -legacy_server_connect.
    sh.extend_from_slice(&[0x00, 0x05, 0xff, 0x01, 0x00, 0x01, 0x00]);
    let mut out = record(0x16, hello.version, &handshake(2, &sh));
    let n = cert_der.len();
    let mut certs = vec![(n >> 16) as u8, (n >> 8) as u8, n as u8];
    certs.extend_from_slice(cert_der);
    let m = certs.len();
    let mut body = vec![(m >> 16) as u8, (m >> 8) as u8, m as u8];
    body.extend_from_slice(&certs);
    out.extend(record(0x16, hello.version, &handshake(11, &body)));
    out.extend(record(0x16, hello.version, &handshake(14, &[])));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn hello(version: u16, supported: Option<&[u16]>) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&version.to_be_bytes());
        h.extend_from_slice(&[7u8; 32]);
        h.push(0);
        h.extend_from_slice(&[0, 4, 0x00, 0x2f, 0xc0, 0x13]);
        h.extend_from_slice(&[1, 0]);
        if let Some(vs) = supported {
            let mut data = vec![(vs.len() * 2) as u8];
            for v in vs {
                data.extend_from_slice(&v.to_be_bytes());
            }
            let mut ext = vec![0x00, 0x2b, 0, data.len() as u8];
            ext.extend_from_slice(&data);
            h.extend_from_slice(&(ext.len() as u16).to_be_bytes());
            h.extend_from_slice(&ext);
        }
        record(0x16, 0x0301, &handshake(1, &h))
    }

    #[test]
    fn tells_old_from_new() {
        match classify(&hello(0x0301, None)) {
            HelloKind::Legacy(l) => {
                assert_eq!(l.version, 0x0301);
                assert_eq!(l.ciphers, vec![0x002f, 0xc013]);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(classify(&hello(0x0302, None)), HelloKind::Legacy(l) if l.version == 0x0302)
        );
        assert_eq!(classify(&hello(0x0303, None)), HelloKind::Modern);
        assert_eq!(
            classify(&hello(0x0303, Some(&[0x0a0a, 0x0304, 0x0303]))),
            HelloKind::Modern
        );
        assert_eq!(classify(b"GET / HTTP/1.1\r\n"), HelloKind::NotHello);
    }

    #[test]
    fn every_prefix_is_incomplete_or_decided() {
        let h = hello(0x0301, Some(&[0x0302, 0x0301]));
        for n in 0..h.len() {
            assert!(matches!(
                classify(&h[..n]),
                HelloKind::Incomplete | HelloKind::NotHello
            ));
        }
        assert!(matches!(classify(&h), HelloKind::Legacy(l) if l.version == 0x0302));
    }

    #[test]
    fn flight_is_three_records_of_the_version() {
        let l = LegacyHello {
            version: 0x0301,
            ciphers: vec![0x0035, 0xc00a],
            session_id: vec![1, 2, 3],
        };
        let f = server_flight(&l, &[0xaa; 10], [9; 32]);
        assert_eq!(&f[..3], &[0x16, 0x03, 0x01]);
        assert_eq!(f[5], 2); // ServerHello
        assert_eq!(&f[9..11], &[0x03, 0x01]);
        // cipher after version, random, session id
        let at = 9 + 2 + 32 + 1 + 3;
        assert_eq!(&f[at..at + 2], &[0x00, 0x35], "an RSA suite for an RSA key");
        assert_eq!(
            &f[at + 3..at + 10],
            &[0, 5, 0xff, 0x01, 0, 1, 0],
            "renegotiation_info"
        );
        let mut ec = vec![0x30; 4];
        ec.extend_from_slice(&EC_PUBLIC_KEY_OID);
        let f = server_flight(&l, &ec, [9; 32]);
        assert_eq!(
            &f[at..at + 2],
            &[0xc0, 0x0a],
            "an ECDSA suite for an ECDSA key"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(b in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = classify(&b);
        }
    }
}
