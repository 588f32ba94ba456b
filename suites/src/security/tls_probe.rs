//! TLS probes: which protocol versions a printer accepts, what a full
//! handshake negotiates, which certificate it shows, and whether it offers the
//! RFC 2817 `Upgrade: TLS` path on its clear-text port.
//!
//! # Sans-IO core
//!
//! [`client_hello`] builds a complete TLS record holding a ClientHello that
//! offers exactly one version, and [`parse_server_answer`] reads what a server
//! sent back first. Both are deterministic (the "random" fields are SHA-256
//! digests of the server name and version, so a capture of one run equals the
//! next), need no socket and never panic on any input. [`CertInfo::from_der`]
//! describes a certificate, [`CertInfo::names_host`] applies RFC 6125's
//! matching rules.
//!
//! # IO
//!
//! [`probe_version`] sends one such ClientHello on a fresh connection and
//! reads until the first answer is whole; [`probe_tls`] adds a full rustls
//! handshake (TLS 1.2 and 1.3 only, as rustls speaks no older version) that
//! accepts any certificate and records the chain; [`probe_upgrade`] tries
//! `OPTIONS *` with `Upgrade: TLS/1.2` (RFC 2817 §3.2). Every wait is bounded
//! by the timeout passed in.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most bytes [`probe_version`] reads while waiting for a whole answer.
pub const ANSWER_CAP: usize = 64 * 1024;
/// The most bytes [`probe_upgrade`] reads while waiting for a response head.
const HEAD_CAP: usize = 16 * 1024;
/// The largest TLS record a server may send (RFC 5246 §6.2.3: 2^14 + 2048).
const MAX_RECORD: usize = 16_384 + 2048;
/// The largest ServerHello accepted (a handshake message is at most 2^24, a
/// ServerHello is a few hundred bytes in practice).
const MAX_SERVER_HELLO: usize = 32 * 1024;

/// RFC 8446 §4.1.3: a ServerHello whose random is this value is a
/// HelloRetryRequest (SHA-256 of "HelloRetryRequest").
const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Record content types.
const CT_ALERT: u8 = 21;
const CT_HANDSHAKE: u8 = 22;
/// Handshake message types.
const HS_CLIENT_HELLO: u8 = 1;
const HS_SERVER_HELLO: u8 = 2;
/// Extension numbers.
const EXT_SERVER_NAME: u16 = 0x0000;
const EXT_SUPPORTED_GROUPS: u16 = 0x000a;
const EXT_EC_POINT_FORMATS: u16 = 0x000b;
const EXT_SIGNATURE_ALGORITHMS: u16 = 0x000d;
const EXT_EXTENDED_MASTER_SECRET: u16 = 0x0017;
const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;
const EXT_PSK_KEY_EXCHANGE_MODES: u16 = 0x002d;
const EXT_KEY_SHARE: u16 = 0x0033;
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;
/// The x25519 named group.
const GROUP_X25519: u16 = 0x001d;

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum TlsVersion {
    /// TLS 1.0 (RFC 2246), deprecated by RFC 8996.
    #[serde(rename = "TLS 1.0")]
    Tls10,
    /// TLS 1.1 (RFC 4346), deprecated by RFC 8996.
    #[serde(rename = "TLS 1.1")]
    Tls11,
    /// TLS 1.2 (RFC 5246).
    #[serde(rename = "TLS 1.2")]
    Tls12,
    /// TLS 1.3 (RFC 8446).
    #[serde(rename = "TLS 1.3")]
    Tls13,
}

impl TlsVersion {
    /// Every version, oldest first.
    pub const ALL: [TlsVersion; 4] = [
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ];

    /// The name, as reports print it (`TLS 1.2`).
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls10 => "TLS 1.0",
            TlsVersion::Tls11 => "TLS 1.1",
            TlsVersion::Tls12 => "TLS 1.2",
            TlsVersion::Tls13 => "TLS 1.3",
        }
    }

    /// The version number on the wire (0x0301 … 0x0304).
    pub fn wire(self) -> u16 {
        match self {
            TlsVersion::Tls10 => 0x0301,
            TlsVersion::Tls11 => 0x0302,
            TlsVersion::Tls12 => 0x0303,
            TlsVersion::Tls13 => 0x0304,
        }
    }

    /// The version a wire number names, if it is one of the four.
    pub fn from_wire(v: u16) -> Option<TlsVersion> {
        TlsVersion::ALL.into_iter().find(|t| t.wire() == v)
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A name for a version number that is not one of [`TlsVersion`]'s
/// (`SSL 3.0` for 0x0300, else the hex).
pub fn version_label(v: u16) -> String {
    match (v, TlsVersion::from_wire(v)) {
        (_, Some(t)) => t.name().to_string(),
        (0x0300, None) => "SSL 3.0 (0x0300)".to_string(),
        (0x0002, None) => "SSL 2.0 (0x0002)".to_string(),
        _ => format!("0x{v:04x}"),
    }
}

/// The IANA name of a cipher suite (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`),
/// or `0x….` when it is not one rustls knows.
pub fn cipher_suite_name(id: u16) -> String {
    match rustls::CipherSuite::from(id).as_str() {
        Some(s) => s.to_string(),
        None => format!("0x{id:04x}"),
    }
}

/// Cipher suites offered with TLS 1.0 and 1.1: CBC with RSA, DHE and ECDHE
/// key exchange, 3DES and RC4 included (old printers may know nothing else),
/// and the renegotiation SCSV (RFC 5746).
const LEGACY_SUITES: &[u16] = &[
    0xc014, // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
    0xc013, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    0xc00a, // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA
    0xc009, // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
    0x0039, // TLS_DHE_RSA_WITH_AES_256_CBC_SHA
    0x0033, // TLS_DHE_RSA_WITH_AES_128_CBC_SHA
    0x0035, // TLS_RSA_WITH_AES_256_CBC_SHA
    0x002f, // TLS_RSA_WITH_AES_128_CBC_SHA
    0xc012, // TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA
    0x0016, // TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA
    0x000a, // TLS_RSA_WITH_3DES_EDE_CBC_SHA
    0xc011, // TLS_ECDHE_RSA_WITH_RC4_128_SHA
    0x0005, // TLS_RSA_WITH_RC4_128_SHA
    0x0004, // TLS_RSA_WITH_RC4_128_MD5
    0x00ff, // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
];

/// Cipher suites offered with TLS 1.2: AEAD first (ECDHE-GCM, ChaCha20),
/// then the CBC suites TLS 1.2-only printers still choose.
const TLS12_SUITES: &[u16] = &[
    0xc02b, // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    0xc02f, // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    0xc02c, // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    0xc030, // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    0xcca9, // TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
    0xcca8, // TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
    0x009e, // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
    0x009f, // TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
    0xc023, // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256
    0xc027, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
    0x009c, // TLS_RSA_WITH_AES_128_GCM_SHA256
    0x009d, // TLS_RSA_WITH_AES_256_GCM_SHA384
    0x003c, // TLS_RSA_WITH_AES_128_CBC_SHA256
    0xc013, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    0x002f, // TLS_RSA_WITH_AES_128_CBC_SHA
    0x0035, // TLS_RSA_WITH_AES_256_CBC_SHA
    0x00ff, // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
];

/// Cipher suites offered with TLS 1.3 (RFC 8446 §B.4).
const TLS13_SUITES: &[u16] = &[
    0x1301, // TLS_AES_128_GCM_SHA256
    0x1302, // TLS_AES_256_GCM_SHA384
    0x1303, // TLS_CHACHA20_POLY1305_SHA256
];

/// x25519, P-256, P-384, P-521.
const GROUPS: &[u16] = &[GROUP_X25519, 0x0017, 0x0018, 0x0019];

/// Signature schemes (RFC 8446 §4.2.3), the SHA-1 ones last for old
/// TLS 1.2 servers.
const SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0603, // ecdsa_secp{256r1,384r1,521r1}_sha{256,384,512}
    0x0807, // ed25519
    0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha{256,384,512}
    0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha{256,384,512}
    0x0201, 0x0203, // rsa_pkcs1_sha1, ecdsa_sha1
];

/// 32 bytes that depend only on `label`, `version` and `server_name`.
fn derived(label: &str, version: TlsVersion, server_name: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"paperjam tls probe\0");
    h.update(label.as_bytes());
    h.update([0]);
    h.update(version.wire().to_be_bytes());
    h.update(server_name.as_bytes());
    h.finalize().into()
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Append `body` with a big-endian length prefix of `width` bytes (1, 2, 3).
/// Every caller's body is far below the prefix's range.
fn put_prefixed(out: &mut Vec<u8>, width: usize, body: &[u8]) {
    let len = body.len().to_be_bytes();
    out.extend_from_slice(&len[len.len() - width..]);
    out.extend_from_slice(body);
}

fn put_extension(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    put_u16(out, kind);
    put_prefixed(out, 2, body);
}

fn u16_list(items: &[u16]) -> Vec<u8> {
    items.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// Is `name` a DNS name we may put in SNI (RFC 6066 §3: not an IP literal)?
fn sni_name(name: &str) -> Option<&str> {
    let name = name.trim().trim_end_matches('.');
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    if name.is_empty() || bare.parse::<IpAddr>().is_ok() || name.len() > 253 {
        return None;
    }
    Some(name)
}

/// A complete TLS record holding a ClientHello that offers `version` only.
///
/// - TLS 1.0 and 1.1: `legacy_version` is that version, no
///   `supported_versions` extension; CBC (and RC4/3DES) suites with RSA,
///   DHE and ECDHE key exchange; `supported_groups` and `ec_point_formats`.
/// - TLS 1.2: `legacy_version` 0x0303; AEAD and CBC TLS 1.2 suites;
///   `signature_algorithms`, `supported_groups`, `ec_point_formats`,
///   `extended_master_secret`, `renegotiation_info`.
/// - TLS 1.3: `legacy_version` 0x0303, `supported_versions` [0x0304], an
///   x25519 `key_share`, `signature_algorithms`, `supported_groups`,
///   `psk_key_exchange_modes`, the three TLS 1.3 suites and a 32-byte
///   legacy session id (RFC 8446 §D.4 middlebox compatibility).
///
/// SNI (`server_name`) is sent when `server_name` is a DNS name, not an IP
/// address. The record's own version is 0x0301, as RFC 8446 §5.1 advises for
/// a first ClientHello. The random, session id and key share are SHA-256
/// digests of the name and version: the same call gives the same bytes.
pub fn client_hello(version: TlsVersion, server_name: &str) -> Vec<u8> {
    let mut extensions = Vec::new();
    if let Some(name) = sni_name(server_name) {
        // ServerNameList { NameType host_name(0), HostName }.
        let mut entry = vec![0u8];
        put_prefixed(&mut entry, 2, name.as_bytes());
        let mut list = Vec::new();
        put_prefixed(&mut list, 2, &entry);
        put_extension(&mut extensions, EXT_SERVER_NAME, &list);
    }
    let mut groups = Vec::new();
    put_prefixed(&mut groups, 2, &u16_list(GROUPS));
    put_extension(&mut extensions, EXT_SUPPORTED_GROUPS, &groups);
    let mut schemes = Vec::new();
    put_prefixed(&mut schemes, 2, &u16_list(SIGNATURE_SCHEMES));
    let suites = match version {
        TlsVersion::Tls10 | TlsVersion::Tls11 => {
            put_extension(&mut extensions, EXT_EC_POINT_FORMATS, &[1, 0]);
            LEGACY_SUITES
        }
        TlsVersion::Tls12 => {
            put_extension(&mut extensions, EXT_EC_POINT_FORMATS, &[1, 0]);
            put_extension(&mut extensions, EXT_SIGNATURE_ALGORITHMS, &schemes);
            put_extension(&mut extensions, EXT_EXTENDED_MASTER_SECRET, &[]);
            put_extension(&mut extensions, EXT_RENEGOTIATION_INFO, &[0]);
            TLS12_SUITES
        }
        TlsVersion::Tls13 => {
            put_extension(&mut extensions, EXT_SIGNATURE_ALGORITHMS, &schemes);
            let mut versions = Vec::new();
            put_prefixed(&mut versions, 1, &TlsVersion::Tls13.wire().to_be_bytes());
            put_extension(&mut extensions, EXT_SUPPORTED_VERSIONS, &versions);
            // psk_dhe_ke only.
            put_extension(&mut extensions, EXT_PSK_KEY_EXCHANGE_MODES, &[1, 1]);
            let mut share = Vec::new();
            put_u16(&mut share, GROUP_X25519);
            let mut key = derived("x25519", version, server_name);
            // A u-coordinate below 2^255 (RFC 7748 §5: the top bit is masked).
            key[31] &= 0x7f;
            put_prefixed(&mut share, 2, &key);
            let mut shares = Vec::new();
            put_prefixed(&mut shares, 2, &share);
            put_extension(&mut extensions, EXT_KEY_SHARE, &shares);
            TLS13_SUITES
        }
    };

    let legacy_version = match version {
        TlsVersion::Tls13 => TlsVersion::Tls12.wire(),
        v => v.wire(),
    };
    let mut body = Vec::new();
    put_u16(&mut body, legacy_version);
    body.extend_from_slice(&derived("random", version, server_name));
    match version {
        TlsVersion::Tls13 => put_prefixed(&mut body, 1, &derived("session", version, server_name)),
        _ => body.push(0),
    }
    put_prefixed(&mut body, 2, &u16_list(suites));
    // compression_methods: null only.
    body.extend_from_slice(&[1, 0]);
    put_prefixed(&mut body, 2, &extensions);

    let mut handshake = vec![HS_CLIENT_HELLO];
    put_prefixed(&mut handshake, 3, &body);
    let mut record = vec![CT_HANDSHAKE];
    put_u16(&mut record, TlsVersion::Tls10.wire());
    put_prefixed(&mut record, 2, &handshake);
    record
}

/// What a server sent back first, as far as [`parse_server_answer`] can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAnswer {
    /// A ServerHello for one of the four versions.
    Hello {
        /// The negotiated version: `supported_versions` when present
        /// (TLS 1.3), else the ServerHello's `legacy_version`.
        version: TlsVersion,
        /// The chosen cipher suite.
        cipher: u16,
    },
    /// A ServerHello with a version that is none of the four (SSL 3.0's
    /// 0x0300, say): the server chose something we did not offer.
    UnknownVersion {
        /// The version number.
        version: u16,
        /// The chosen cipher suite.
        cipher: u16,
    },
    /// A HelloRetryRequest (RFC 8446 §4.1.4): the server speaks TLS 1.3 but
    /// wants another key share.
    HelloRetry,
    /// An alert record.
    Alert {
        /// 1 warning, 2 fatal.
        level: u8,
        /// The alert description number.
        description: u8,
        /// Its RFC 8446 §6 name (`protocol_version`, `handshake_failure`), or
        /// `alert_N`.
        name: String,
    },
    /// Not a TLS answer (an HTTP response, say), or a TLS record we cannot
    /// read as a ServerHello or an alert: what it began with, as text when it
    /// is text, else as hex.
    NotTls(String),
    /// Not enough bytes yet to tell.
    Incomplete,
}

/// The name of a TLS alert description (RFC 8446 §6 and RFC 5246 §7.2).
pub fn alert_name(description: u8) -> String {
    let s = match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => return format!("alert_{description}"),
    };
    s.to_string()
}

/// The start of `bytes` for a report: the first line as text when it looks
/// like text, else the first 16 bytes in hex.
pub fn describe_bytes(bytes: &[u8]) -> String {
    let head = bytes.get(..bytes.len().min(120)).unwrap_or_default();
    let texty = !head.is_empty()
        && head
            .iter()
            .all(|b| (0x20..0x7f).contains(b) || matches!(b, b'\r' | b'\n' | b'\t'));
    if texty {
        let text = String::from_utf8_lossy(head);
        let line = text.lines().next().unwrap_or_default();
        return line.to_string();
    }
    let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > 16 { " …" } else { "" };
    format!("bytes {}{more}", hex.join(" "))
}

/// The full reading of a first answer; [`ServerAnswer`] drops the
/// HelloRetryRequest's cipher.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Parsed {
    Answer(ServerAnswer),
    HelloRetry { cipher: u16 },
}

/// A bounds-checked reader over a ServerHello body.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err(format!(
                "{what}: {n} bytes needed, {} left",
                self.rest.len()
            ));
        }
        let (a, b) = self.rest.split_at(n);
        self.rest = b;
        Ok(a)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?.first().copied().unwrap_or_default())
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}

/// Read a ServerHello body (after the 4-byte handshake header).
fn parse_server_hello(body: &[u8]) -> Result<Parsed, String> {
    let mut r = Reader { rest: body };
    let legacy = r.u16("legacy_version")?;
    let random = r.take(32, "random")?;
    let sid_len = usize::from(r.u8("legacy_session_id length")?);
    r.take(sid_len, "legacy_session_id")?;
    let cipher = r.u16("cipher_suite")?;
    r.u8("compression_method")?;
    let mut version = legacy;
    if !r.rest.is_empty() {
        let ext_len = usize::from(r.u16("extensions length")?);
        let mut exts = Reader {
            rest: r.take(ext_len, "extensions")?,
        };
        while !exts.rest.is_empty() {
            let kind = exts.u16("extension type")?;
            let len = usize::from(exts.u16("extension length")?);
            let data = exts.take(len, "extension data")?;
            if kind == EXT_SUPPORTED_VERSIONS {
                let d: [u8; 2] = data
                    .try_into()
                    .map_err(|_| format!("supported_versions of {len} bytes, not 2"))?;
                version = u16::from_be_bytes(d);
            }
        }
    }
    if random == HELLO_RETRY_RANDOM {
        return Ok(Parsed::HelloRetry { cipher });
    }
    Ok(Parsed::Answer(match TlsVersion::from_wire(version) {
        Some(version) => ServerAnswer::Hello { version, cipher },
        None => ServerAnswer::UnknownVersion { version, cipher },
    }))
}

fn parse_detailed(bytes: &[u8]) -> Parsed {
    let not_tls = |why: String| Parsed::Answer(ServerAnswer::NotTls(why));
    let mut rest = bytes;
    // The handshake bytes of the records read so far (a ServerHello may be
    // split over several records).
    let mut handshake: Vec<u8> = Vec::new();
    let mut first = true;
    loop {
        let Some(&content_type) = rest.first() else {
            return Parsed::Answer(ServerAnswer::Incomplete);
        };
        let expected = if first {
            content_type == CT_HANDSHAKE || content_type == CT_ALERT
        } else {
            content_type == CT_HANDSHAKE
        };
        if !expected {
            return if first {
                not_tls(describe_bytes(bytes))
            } else {
                not_tls(format!(
                    "a record of type {content_type} in the middle of the ServerHello"
                ))
            };
        }
        let Some(&major) = rest.get(1) else {
            return Parsed::Answer(ServerAnswer::Incomplete);
        };
        if major != 3 {
            return not_tls(describe_bytes(bytes));
        }
        let Some(header) = rest.get(..5) else {
            return Parsed::Answer(ServerAnswer::Incomplete);
        };
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if len == 0 || len > MAX_RECORD {
            return not_tls(format!("a TLS record of {len} bytes"));
        }
        let Some(body) = rest.get(5..5 + len) else {
            return Parsed::Answer(ServerAnswer::Incomplete);
        };
        rest = rest.get(5 + len..).unwrap_or_default();
        if content_type == CT_ALERT {
            return match body {
                [level, description, ..] => Parsed::Answer(ServerAnswer::Alert {
                    level: *level,
                    description: *description,
                    name: alert_name(*description),
                }),
                _ => not_tls(format!("an alert record of {len} byte")),
            };
        }
        first = false;
        handshake.extend_from_slice(body);
        let Some(hs_header) = handshake.get(..4) else {
            continue;
        };
        if hs_header[0] != HS_SERVER_HELLO {
            return not_tls(format!(
                "handshake message type {} instead of ServerHello",
                hs_header[0]
            ));
        }
        let msg_len = usize::from(hs_header[1]) << 16
            | usize::from(hs_header[2]) << 8
            | usize::from(hs_header[3]);
        if msg_len > MAX_SERVER_HELLO {
            return not_tls(format!("a ServerHello of {msg_len} bytes"));
        }
        let Some(msg) = handshake.get(4..4 + msg_len) else {
            continue;
        };
        return match parse_server_hello(msg) {
            Ok(p) => p,
            Err(e) => not_tls(format!("malformed ServerHello: {e}")),
        };
    }
}

/// Read what a server sent back first after a ClientHello: a handshake
/// record with a ServerHello (reassembled when it spans several records), an
/// alert record, or something that is not TLS. Never panics; every strict
/// prefix of a whole answer is [`ServerAnswer::Incomplete`].
pub fn parse_server_answer(bytes: &[u8]) -> ServerAnswer {
    match parse_detailed(bytes) {
        Parsed::Answer(a) => a,
        Parsed::HelloRetry { .. } => ServerAnswer::HelloRetry,
    }
}

/// How a server answered a ClientHello offering one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionAnswer {
    /// A ServerHello for that version (or, for TLS 1.3, a
    /// HelloRetryRequest: the version is accepted, another key share is
    /// wanted).
    Accepted {
        /// The cipher suite the server chose.
        cipher: u16,
    },
    /// An alert (its name), the connection closed or reset, or a ServerHello
    /// for another version than the one offered (which one).
    Refused(String),
    /// The answer is not TLS (the text or bytes it began with).
    NotTls(String),
    /// Nothing whole came before the timeout.
    NoAnswer,
    /// The TCP connection could not be made.
    Unreachable(String),
}

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe
    )
}

/// Connect with a timeout; the error is the text for a report.
async fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, String> {
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => Err(format!(
            "no answer to TCP connect within {} ms",
            timeout.as_millis()
        )),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
    }
}

/// Offer `version` only, on a fresh connection to `addr`, and report how the
/// server answered. Waits at most `timeout` for the connection and at most
/// `timeout` more for a whole answer (reading no more than 64 KiB), then
/// closes the connection.
pub async fn probe_version(
    addr: SocketAddr,
    server_name: &str,
    version: TlsVersion,
    timeout: Duration,
) -> VersionAnswer {
    let mut stream = match connect(addr, timeout).await {
        Ok(s) => s,
        Err(e) => return VersionAnswer::Unreachable(e),
    };
    let hello = client_hello(version, server_name);
    let deadline = tokio::time::Instant::now() + timeout;
    match tokio::time::timeout_at(deadline, stream.write_all(&hello)).await {
        Err(_) => return VersionAnswer::NoAnswer,
        Ok(Err(e)) if is_reset(&e) => return VersionAnswer::Refused("connection reset".into()),
        Ok(Err(e)) => return VersionAnswer::Refused(format!("write failed: {e}")),
        Ok(Ok(())) => {}
    }
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 4096];
    loop {
        let parsed = parse_detailed(&buf);
        if parsed != Parsed::Answer(ServerAnswer::Incomplete) {
            return version_answer(version, parsed);
        }
        if buf.len() >= ANSWER_CAP {
            return VersionAnswer::NotTls(format!(
                "{} bytes without a whole ServerHello",
                buf.len()
            ));
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return VersionAnswer::NoAnswer,
            Ok(Ok(0)) if buf.is_empty() => {
                return VersionAnswer::Refused("connection closed".into())
            }
            Ok(Ok(0)) => {
                return VersionAnswer::Refused(format!(
                    "connection closed after {} bytes of an incomplete answer",
                    buf.len()
                ))
            }
            Ok(Ok(n)) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Ok(Err(e)) if is_reset(&e) => return VersionAnswer::Refused("connection reset".into()),
            Ok(Err(e)) => return VersionAnswer::Refused(format!("read failed: {e}")),
        }
    }
}

fn version_answer(asked: TlsVersion, parsed: Parsed) -> VersionAnswer {
    match parsed {
        Parsed::HelloRetry { cipher } if asked == TlsVersion::Tls13 => {
            VersionAnswer::Accepted { cipher }
        }
        Parsed::HelloRetry { .. } => VersionAnswer::Refused(format!(
            "a TLS 1.3 HelloRetryRequest to a {} hello",
            asked.name()
        )),
        Parsed::Answer(a) => match a {
            ServerAnswer::Hello { version, cipher } if version == asked => {
                VersionAnswer::Accepted { cipher }
            }
            ServerAnswer::Hello { version, .. } => {
                VersionAnswer::Refused(format!("server chose {} instead", version.name()))
            }
            ServerAnswer::UnknownVersion { version, .. } => {
                VersionAnswer::Refused(format!("server chose {} instead", version_label(version)))
            }
            ServerAnswer::HelloRetry => VersionAnswer::Refused("HelloRetryRequest".into()),
            ServerAnswer::Alert { name, .. } => VersionAnswer::Refused(name),
            ServerAnswer::NotTls(s) => VersionAnswer::NotTls(s),
            ServerAnswer::Incomplete => VersionAnswer::NoAnswer,
        },
    }
}

/// One certificate, described for a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// The subject's distinguished name (`CN=printer.example, O=…`).
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// The subject's common names (CN), for RFC 6125's fallback.
    pub common_names: Vec<String>,
    /// notBefore, unix seconds.
    pub not_before: i64,
    /// notAfter, unix seconds.
    pub not_after: i64,
    /// dNSName entries of subjectAltName.
    pub dns_names: Vec<String>,
    /// iPAddress entries of subjectAltName.
    pub ip_addresses: Vec<IpAddr>,
    /// Issuer and subject are the same name (and, when both key identifiers
    /// are present, the same key). The signature itself is not checked.
    pub self_signed: bool,
    /// The public key: `RSA 2048`, `EC P-256`, `Ed25519`, …
    pub key: String,
    /// The signature algorithm (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`).
    pub signature: String,
    /// SHA-256 of the DER, lowercase hex without separators.
    pub sha256: String,
}

/// Lowercase hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn describe_key(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> String {
    use x509_parser::public_key::PublicKey;
    let alg = spki.algorithm.algorithm.to_id_string();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(point)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => "EC P-256".to_string(),
                Some("1.3.132.0.34") => "EC P-384".to_string(),
                Some("1.3.132.0.35") => "EC P-521".to_string(),
                Some(other) => format!("EC {other} ({} bits)", point.key_size()),
                None => format!("EC {} bits", point.key_size()),
            }
        }
        Ok(PublicKey::DSA(y)) => format!("DSA {}", y.len() * 8),
        _ => match alg.as_str() {
            "1.3.101.112" => "Ed25519".to_string(),
            "1.3.101.113" => "Ed448".to_string(),
            other => format!("key algorithm {other}"),
        },
    }
}

impl CertInfo {
    /// Describe a DER-encoded X.509 certificate.
    pub fn from_der(der: &[u8]) -> Result<CertInfo, String> {
        use x509_parser::extensions::GeneralName;
        use x509_parser::prelude::FromDer;
        let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der)
            .map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(d) => dns_names.push((*d).to_string()),
                    GeneralName::IPAddress(b) => {
                        if let Ok(a) = <[u8; 4]>::try_from(*b) {
                            ip_addresses.push(IpAddr::from(a));
                        } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                            ip_addresses.push(IpAddr::from(a));
                        }
                    }
                    _ => {}
                }
            }
        }
        let common_names = cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok().map(str::to_string))
            .collect();
        let same_name = cert.subject().as_raw() == cert.issuer().as_raw();
        let mut ski = None;
        let mut aki = None;
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => {
                    ski = Some(k.0.to_vec())
                }
                x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(a) => {
                    aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                _ => {}
            }
        }
        let same_key = match (&ski, &aki) {
            (Some(s), Some(a)) => s == a,
            _ => true,
        };
        let sig_oid = &cert.signature_algorithm.algorithm;
        let signature = x509_parser::objects::oid2sn(sig_oid, x509_parser::objects::oid_registry())
            .map(str::to_string)
            .unwrap_or_else(|_| sig_oid.to_id_string());
        Ok(CertInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            common_names,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            dns_names,
            ip_addresses,
            self_signed: same_name && same_key,
            key: describe_key(cert.public_key()),
            signature,
            sha256: hex(&Sha256::digest(der)),
        })
    }

    /// Past notAfter at `unix` seconds.
    pub fn expired_at(&self, unix: i64) -> bool {
        unix > self.not_after
    }

    /// Before notBefore at `unix` seconds.
    pub fn not_yet_valid_at(&self, unix: i64) -> bool {
        unix < self.not_before
    }

    /// Does the certificate name `host` (RFC 6125 §6)?
    ///
    /// - An IP address (`192.0.2.1`, `[2001:db8::1]`) matches an iPAddress
    ///   subjectAltName only.
    /// - A DNS name matches a dNSName subjectAltName, without regard to case
    ///   and to a final dot; a `*.` left-most label stands for exactly one
    ///   label (`*.example.com` names `a.example.com`, not `example.com` nor
    ///   `a.b.example.com`), and only when at least two labels follow it.
    /// - When the certificate has neither dNSName nor iPAddress entries, a DNS
    ///   name is compared with the subject's common names (§6.4.4).
    pub fn names_host(&self, host: &str) -> bool {
        let host = host.trim();
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self.ip_addresses.contains(&ip);
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return false;
        }
        if self.dns_names.is_empty() && self.ip_addresses.is_empty() {
            return self.common_names.iter().any(|cn| dns_matches(cn, &host));
        }
        self.dns_names.iter().any(|p| dns_matches(p, &host))
    }
}

/// One reference name against one presented pattern (`host` lowercase, no
/// final dot).
fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
    if let Some(suffix) = pattern.strip_prefix("*.") {
        if suffix.contains('*') || !suffix.contains('.') {
            return false;
        }
        return match host.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest == suffix,
            None => false,
        };
    }
    !pattern.is_empty() && !pattern.contains('*') && pattern == host
}

/// What a full handshake negotiated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Negotiated {
    /// The protocol version.
    pub version: TlsVersion,
    /// The cipher suite's IANA name.
    pub cipher: String,
    /// The ALPN protocol, when the server chose one.
    pub alpn: Option<String>,
}

/// Everything [`probe_tls`] learned about one TLS endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct TlsReport {
    /// The endpoint.
    pub address: SocketAddr,
    /// The name sent as SNI (none when it is an IP address).
    pub server_name: String,
    /// The full rustls handshake (TLS 1.2 or 1.3), or why it failed.
    pub handshake: Result<Negotiated, String>,
    /// The certificates the server presented, leaf first.
    pub chain: Vec<CertInfo>,
    /// The same certificates in DER (not serialized).
    #[serde(skip)]
    pub chain_der: Vec<Vec<u8>>,
    /// How each version alone was answered, oldest first.
    pub versions: Vec<(TlsVersion, VersionAnswer)>,
}

/// A certificate verifier that accepts everything and keeps the chain.
///
/// Handshake signatures are not checked either: a printer's 1024-bit RSA
/// key or SHA-1 signature would otherwise end the handshake before the
/// report could say so.
#[derive(Debug, Default)]
struct RecordingVerifier {
    chain: Mutex<Vec<Vec<u8>>>,
}

impl rustls::client::danger::ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            *chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.as_ref().to_vec())
                .collect();
        }
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        use rustls::SignatureScheme as S;
        vec![
            S::ECDSA_NISTP256_SHA256,
            S::ECDSA_NISTP384_SHA384,
            S::ECDSA_NISTP521_SHA512,
            S::ED25519,
            S::ED448,
            S::RSA_PSS_SHA256,
            S::RSA_PSS_SHA384,
            S::RSA_PSS_SHA512,
            S::RSA_PKCS1_SHA256,
            S::RSA_PKCS1_SHA384,
            S::RSA_PKCS1_SHA512,
            S::RSA_PKCS1_SHA1,
            S::ECDSA_SHA1_Legacy,
        ]
    }
}

/// A TLS 1.2 + 1.3 client config (ring, ALPN http/1.1) around `verifier`.
fn client_config(verifier: Arc<RecordingVerifier>) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// The rustls name for `name`: an IP address (no SNI is sent) or a DNS name;
/// `fallback` when `name` is neither.
fn rustls_name(name: &str, fallback: IpAddr) -> rustls::pki_types::ServerName<'static> {
    let name = name.trim().trim_end_matches('.');
    let bare = name
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(name);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return rustls::pki_types::ServerName::IpAddress(ip.into());
    }
    rustls::pki_types::ServerName::try_from(bare.to_string())
        .unwrap_or(rustls::pki_types::ServerName::IpAddress(fallback.into()))
}

fn map_version(v: Option<rustls::ProtocolVersion>) -> Result<TlsVersion, String> {
    match v {
        Some(rustls::ProtocolVersion::TLSv1_3) => Ok(TlsVersion::Tls13),
        Some(rustls::ProtocolVersion::TLSv1_2) => Ok(TlsVersion::Tls12),
        Some(other) => Err(format!("negotiated {other:?}")),
        None => Err("no version negotiated".into()),
    }
}

/// A full handshake over `tcp`; the chain lands in `verifier`.
async fn handshake(
    tcp: TcpStream,
    name: rustls::pki_types::ServerName<'static>,
    verifier: Arc<RecordingVerifier>,
    timeout: Duration,
) -> Result<Negotiated, String> {
    let cfg = client_config(verifier)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let mut tls = match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
        Err(_) => return Err(format!("no handshake within {} ms", timeout.as_millis())),
        Ok(Err(e)) => return Err(e.to_string()),
        Ok(Ok(t)) => t,
    };
    let (_, conn) = tls.get_ref();
    let version = map_version(conn.protocol_version())?;
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|s| cipher_suite_name(u16::from(s.suite())))
        .unwrap_or_default();
    let alpn = conn
        .alpn_protocol()
        .map(|a| String::from_utf8_lossy(a).into_owned());
    // Say goodbye properly; the answer does not matter.
    let _ = tokio::time::timeout(timeout, tls.shutdown()).await;
    Ok(Negotiated {
        version,
        cipher,
        alpn,
    })
}

/// Probe the TLS endpoint at `addr`: one full rustls handshake (TLS 1.2 and
/// 1.3, ALPN `http/1.1`, any certificate accepted and recorded; SNI is
/// `server_name` unless it is an IP address), then [`probe_version`] for each
/// of the four versions, one after the other on fresh connections. Each step
/// waits at most `timeout` per connect and per answer.
pub async fn probe_tls(addr: SocketAddr, server_name: &str, timeout: Duration) -> TlsReport {
    let verifier = Arc::new(RecordingVerifier::default());
    let handshake = match connect(addr, timeout).await {
        Err(e) => Err(e),
        Ok(tcp) => {
            let name = rustls_name(server_name, addr.ip());
            handshake(tcp, name, verifier.clone(), timeout).await
        }
    };
    let chain_der = verifier.chain.lock().map(|c| c.clone()).unwrap_or_default();
    let chain = chain_der
        .iter()
        .filter_map(|d| CertInfo::from_der(d).ok())
        .collect();
    let mut versions = Vec::new();
    for v in TlsVersion::ALL {
        versions.push((v, probe_version(addr, server_name, v, timeout).await));
    }
    TlsReport {
        address: addr,
        server_name: server_name.to_string(),
        handshake,
        chain,
        chain_der,
        versions,
    }
}

/// What the clear-text port said to an RFC 2817 upgrade request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpgradeAnswer {
    /// The HTTP status, when a response head came.
    pub status: Option<u16>,
    /// The response head as text (evidence), or what came instead.
    pub head: String,
    /// After a `101 Switching Protocols`: the TLS handshake on the same
    /// connection, its version or why it failed.
    pub then_tls: Option<Result<TlsVersion, String>>,
    /// Why no response head came (connect failed, timeout, closed).
    pub error: Option<String>,
}

/// The request [`probe_upgrade`] sends (RFC 2817 §3.2, `OPTIONS *`).
pub fn upgrade_request(host: &str) -> String {
    format!("OPTIONS * HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: TLS/1.2\r\n\r\n")
}

/// The host part of a `Host` value (`printer:631` → `printer`,
/// `[::1]:631` → `::1`).
fn host_part(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Ask the clear-text HTTP port at `addr` to upgrade to TLS (RFC 2817):
/// send [`upgrade_request`], read the response head (at most 16 KiB), and
/// after a `101` run a TLS handshake (any certificate accepted) on the same
/// connection. Each step waits at most `timeout`.
pub async fn probe_upgrade(addr: SocketAddr, host: &str, timeout: Duration) -> UpgradeAnswer {
    let mut answer = UpgradeAnswer {
        status: None,
        head: String::new(),
        then_tls: None,
        error: None,
    };
    let mut stream = match connect(addr, timeout).await {
        Ok(s) => s,
        Err(e) => {
            answer.error = Some(e);
            return answer;
        }
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let request = upgrade_request(host);
    if let Err(e) = tokio::time::timeout_at(deadline, stream.write_all(request.as_bytes()))
        .await
        .map_err(|_| "timeout while sending".to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
    {
        answer.error = Some(e);
        return answer;
    }
    // Read the head byte by byte past its end would steal TLS bytes, but the
    // client speaks first in TLS, so the server sends nothing after a 101
    // head until our ClientHello: reading in chunks is safe.
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 2048];
    let head_len = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buf.len() >= HEAD_CAP {
            answer.head = describe_bytes(&buf);
            answer.error = Some(format!("no end of head in {} bytes", buf.len()));
            return answer;
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => {
                answer.head = String::from_utf8_lossy(&buf).into_owned();
                answer.error = Some(format!("no whole answer within {} ms", timeout.as_millis()));
                return answer;
            }
            Ok(Ok(0)) => {
                answer.head = String::from_utf8_lossy(&buf).into_owned();
                answer.error = Some("connection closed".into());
                return answer;
            }
            Ok(Ok(n)) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Ok(Err(e)) => {
                answer.head = String::from_utf8_lossy(&buf).into_owned();
                answer.error = Some(e.to_string());
                return answer;
            }
        }
    };
    let head = buf.get(..head_len).unwrap_or_default();
    answer.head = String::from_utf8_lossy(head).trim_end().to_string();
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(head) {
        Ok(httparse::Status::Complete(_)) => answer.status = resp.code,
        Ok(httparse::Status::Partial) => answer.error = Some("incomplete response head".into()),
        Err(e) => answer.error = Some(format!("not an HTTP response: {e}")),
    }
    if answer.status == Some(101) {
        let verifier = Arc::new(RecordingVerifier::default());
        let name = rustls_name(host_part(host), addr.ip());
        answer.then_tls = Some(
            handshake(stream, name, verifier, timeout)
                .await
                .map(|n| n.version),
        );
    }
    answer
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::net::TcpListener;

    const T: Duration = Duration::from_secs(5);

    // ---- sans-IO: ClientHello -------------------------------------------

    /// A ClientHello read back, checking every length on the way.
    #[derive(Debug)]
    struct Hello {
        legacy: u16,
        random: Vec<u8>,
        session_id: Vec<u8>,
        suites: Vec<u16>,
        compression: Vec<u8>,
        extensions: Vec<(u16, Vec<u8>)>,
    }

    impl Hello {
        fn ext(&self, kind: u16) -> Option<&[u8]> {
            self.extensions
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, v)| v.as_slice())
        }
    }

    fn u16_at(b: &[u8], i: usize) -> u16 {
        u16::from_be_bytes([b[i], b[i + 1]])
    }

    fn read_hello(record: &[u8]) -> Hello {
        assert_eq!(record[0], 22, "a handshake record");
        assert_eq!(u16_at(record, 1), 0x0301, "record version");
        assert_eq!(
            usize::from(u16_at(record, 3)),
            record.len() - 5,
            "record length"
        );
        let hs = &record[5..];
        assert_eq!(hs[0], 1, "ClientHello");
        let len = usize::from(hs[1]) << 16 | usize::from(hs[2]) << 8 | usize::from(hs[3]);
        assert_eq!(len, hs.len() - 4, "handshake length");
        let b = &hs[4..];
        let legacy = u16_at(b, 0);
        let random = b[2..34].to_vec();
        let sid = usize::from(b[34]);
        let session_id = b[35..35 + sid].to_vec();
        let mut i = 35 + sid;
        let suites_len = usize::from(u16_at(b, i));
        assert_eq!(suites_len % 2, 0);
        let suites = (0..suites_len / 2)
            .map(|k| u16_at(b, i + 2 + 2 * k))
            .collect();
        i += 2 + suites_len;
        let clen = usize::from(b[i]);
        let compression = b[i + 1..i + 1 + clen].to_vec();
        i += 1 + clen;
        let elen = usize::from(u16_at(b, i));
        i += 2;
        assert_eq!(i + elen, b.len(), "extensions end the message");
        let mut extensions = Vec::new();
        while i < b.len() {
            let kind = u16_at(b, i);
            let l = usize::from(u16_at(b, i + 2));
            extensions.push((kind, b[i + 4..i + 4 + l].to_vec()));
            i += 4 + l;
        }
        assert_eq!(i, b.len());
        Hello {
            legacy,
            random,
            session_id,
            suites,
            compression,
            extensions,
        }
    }

    #[test]
    fn client_hello_lengths_and_versions() {
        for v in TlsVersion::ALL {
            let h = read_hello(&client_hello(v, "printer.example"));
            let expect_legacy = if v == TlsVersion::Tls13 {
                0x0303
            } else {
                v.wire()
            };
            assert_eq!(h.legacy, expect_legacy, "{v}");
            assert_eq!(h.random.len(), 32);
            assert_eq!(h.compression, vec![0]);
            assert!(h.ext(EXT_SUPPORTED_GROUPS).is_some(), "{v}");
            match v {
                TlsVersion::Tls13 => {
                    assert_eq!(h.ext(EXT_SUPPORTED_VERSIONS), Some(&[2, 3, 4][..]));
                    assert_eq!(h.suites, vec![0x1301, 0x1302, 0x1303]);
                    assert_eq!(h.session_id.len(), 32);
                    let ks = h.ext(EXT_KEY_SHARE).unwrap();
                    // client_shares length 36: group x25519, 32-byte key.
                    assert_eq!(&ks[..6], &[0, 36, 0, 0x1d, 0, 32]);
                    assert_eq!(ks.len(), 38);
                    assert!(h.ext(EXT_SIGNATURE_ALGORITHMS).is_some());
                }
                TlsVersion::Tls12 => {
                    assert!(h.ext(EXT_SUPPORTED_VERSIONS).is_none());
                    assert!(h.ext(EXT_SIGNATURE_ALGORITHMS).is_some());
                    assert!(h.suites.contains(&0xc02f) && h.suites.contains(&0xcca8));
                    assert!(!h.suites.iter().any(|s| s >> 8 == 0x13));
                }
                _ => {
                    assert!(h.ext(EXT_SUPPORTED_VERSIONS).is_none());
                    assert!(h.ext(EXT_KEY_SHARE).is_none());
                    assert_eq!(h.ext(EXT_EC_POINT_FORMATS), Some(&[1, 0][..]));
                    assert!(h.suites.contains(&0x002f) && h.suites.contains(&0xc013));
                    assert!(!h.suites.iter().any(|s| s >> 8 == 0x13));
                }
            }
            // SNI for a DNS name.
            let sni = h.ext(EXT_SERVER_NAME).unwrap();
            assert_eq!(&sni[5..], b"printer.example");
            assert_eq!(usize::from(u16_at(sni, 0)), sni.len() - 2);
            assert_eq!(sni[2], 0);
        }
    }

    #[test]
    fn client_hello_has_no_sni_for_ip_addresses() {
        for name in ["127.0.0.1", "::1", "[2001:db8::1]", ""] {
            for v in TlsVersion::ALL {
                let h = read_hello(&client_hello(v, name));
                assert!(h.ext(EXT_SERVER_NAME).is_none(), "{name} {v}");
            }
        }
    }

    #[test]
    fn client_hello_is_deterministic_and_depends_on_name_and_version() {
        let a = client_hello(TlsVersion::Tls13, "a.example");
        assert_eq!(a, client_hello(TlsVersion::Tls13, "a.example"));
        let b = client_hello(TlsVersion::Tls13, "b.example");
        assert_ne!(read_hello(&a).random, read_hello(&b).random);
        let c = client_hello(TlsVersion::Tls12, "a.example");
        assert_ne!(read_hello(&a).random, read_hello(&c).random);
    }

    #[test]
    fn our_client_hello_is_not_a_server_answer() {
        match parse_server_answer(&client_hello(TlsVersion::Tls12, "x.example")) {
            ServerAnswer::NotTls(s) => assert!(s.contains("type 1"), "{s}"),
            other => panic!("{other:?}"),
        }
    }

    // ---- sans-IO: server answers ----------------------------------------

    fn server_hello_body(
        legacy: u16,
        random: [u8; 32],
        cipher: u16,
        exts: &[(u16, &[u8])],
    ) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&legacy.to_be_bytes());
        b.extend_from_slice(&random);
        b.push(32);
        b.extend_from_slice(&[7; 32]);
        b.extend_from_slice(&cipher.to_be_bytes());
        b.push(0);
        if !exts.is_empty() {
            let mut e = Vec::new();
            for (k, v) in exts {
                put_extension(&mut e, *k, v);
            }
            put_prefixed(&mut b, 2, &e);
        }
        let mut hs = vec![HS_SERVER_HELLO];
        put_prefixed(&mut hs, 3, &b);
        hs
    }

    fn records(content_type: u8, payload: &[u8], split: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for part in payload.chunks(split) {
            out.push(content_type);
            out.extend_from_slice(&[3, 3]);
            put_prefixed(&mut out, 2, part);
        }
        out
    }

    fn tls12_hello() -> Vec<u8> {
        records(
            CT_HANDSHAKE,
            &server_hello_body(0x0303, [1; 32], 0xc02f, &[(0xff01, &[0])]),
            1 << 14,
        )
    }

    fn tls13_hello() -> Vec<u8> {
        let share = [&[0u8, 0x1d, 0, 32][..], &[9u8; 32][..]].concat();
        records(
            CT_HANDSHAKE,
            &server_hello_body(
                0x0303,
                [2; 32],
                0x1301,
                &[(0x002b, &[3, 4]), (0x0033, &share)],
            ),
            1 << 14,
        )
    }

    fn hello_retry() -> Vec<u8> {
        records(
            CT_HANDSHAKE,
            &server_hello_body(
                0x0303,
                HELLO_RETRY_RANDOM,
                0x1302,
                &[(0x002b, &[3, 4]), (0x0033, &[0, 0x17])],
            ),
            1 << 14,
        )
    }

    fn ssl3_hello() -> Vec<u8> {
        records(
            CT_HANDSHAKE,
            &server_hello_body(0x0300, [3; 32], 0x000a, &[]),
            1 << 14,
        )
    }

    const ALERT_PROTOCOL_VERSION: [u8; 7] = [21, 3, 3, 0, 2, 2, 70];
    const HTTP_400: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn server_hello_tls12() {
        assert_eq!(
            parse_server_answer(&tls12_hello()),
            ServerAnswer::Hello {
                version: TlsVersion::Tls12,
                cipher: 0xc02f
            }
        );
    }

    #[test]
    fn server_hello_tls13_reads_supported_versions() {
        assert_eq!(
            parse_server_answer(&tls13_hello()),
            ServerAnswer::Hello {
                version: TlsVersion::Tls13,
                cipher: 0x1301
            }
        );
    }

    #[test]
    fn hello_retry_request() {
        assert_eq!(
            parse_server_answer(&hello_retry()),
            ServerAnswer::HelloRetry
        );
        assert_eq!(
            version_answer(TlsVersion::Tls13, parse_detailed(&hello_retry())),
            VersionAnswer::Accepted { cipher: 0x1302 }
        );
    }

    #[test]
    fn ssl3_is_an_unknown_version() {
        assert_eq!(
            parse_server_answer(&ssl3_hello()),
            ServerAnswer::UnknownVersion {
                version: 0x0300,
                cipher: 0x000a
            }
        );
        assert_eq!(
            version_answer(TlsVersion::Tls10, parse_detailed(&ssl3_hello())),
            VersionAnswer::Refused("server chose SSL 3.0 (0x0300) instead".into())
        );
    }

    #[test]
    fn server_hello_split_over_records_and_followed_by_more() {
        let body = server_hello_body(0x0303, [1; 32], 0xc02f, &[(0xff01, &[0])]);
        for split in [1, 3, 4, 5, 40, 77] {
            let mut bytes = records(CT_HANDSHAKE, &body, split);
            assert_eq!(
                parse_server_answer(&bytes),
                ServerAnswer::Hello {
                    version: TlsVersion::Tls12,
                    cipher: 0xc02f
                },
                "split {split}"
            );
            // A Certificate record after it changes nothing.
            bytes.extend_from_slice(&records(CT_HANDSHAKE, &[11, 0, 0, 3, 0, 0, 0], 100));
            assert!(matches!(
                parse_server_answer(&bytes),
                ServerAnswer::Hello { .. }
            ));
        }
    }

    #[test]
    fn alert_record() {
        assert_eq!(
            parse_server_answer(&ALERT_PROTOCOL_VERSION),
            ServerAnswer::Alert {
                level: 2,
                description: 70,
                name: "protocol_version".into()
            }
        );
        assert_eq!(alert_name(40), "handshake_failure");
        assert_eq!(alert_name(250), "alert_250");
    }

    #[test]
    fn http_is_not_tls() {
        assert_eq!(
            parse_server_answer(HTTP_400),
            ServerAnswer::NotTls("HTTP/1.1 400 Bad Request".into())
        );
        // Binary garbage is shown as hex.
        match parse_server_answer(&[0x80, 0x2e, 0x01, 0x02]) {
            ServerAnswer::NotTls(s) => assert_eq!(s, "bytes 80 2e 01 02"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_truncation_is_incomplete_or_not_tls() {
        let tls = [
            tls12_hello(),
            tls13_hello(),
            hello_retry(),
            ssl3_hello(),
            ALERT_PROTOCOL_VERSION.to_vec(),
            records(
                CT_HANDSHAKE,
                &server_hello_body(0x0303, [1; 32], 0xc02f, &[]),
                9,
            ),
        ];
        for whole in &tls {
            for n in 0..whole.len() {
                assert_eq!(
                    parse_server_answer(&whole[..n]),
                    ServerAnswer::Incomplete,
                    "{n} of {} bytes",
                    whole.len()
                );
            }
            assert_ne!(parse_server_answer(whole), ServerAnswer::Incomplete);
        }
        assert_eq!(parse_server_answer(&[]), ServerAnswer::Incomplete);
        for n in 1..=HTTP_400.len() {
            assert!(matches!(
                parse_server_answer(&HTTP_400[..n]),
                ServerAnswer::NotTls(_)
            ));
        }
    }

    #[test]
    fn malformed_server_hellos_are_not_tls() {
        // An extension block longer than the message.
        let mut body = server_hello_body(0x0303, [1; 32], 0xc02f, &[(0xff01, &[0])]);
        let ext_len_at = 4 + 2 + 32 + 1 + 32 + 2 + 1;
        body[ext_len_at + 1] += 10;
        match parse_server_answer(&records(CT_HANDSHAKE, &body, 1 << 14)) {
            ServerAnswer::NotTls(s) => assert!(s.starts_with("malformed ServerHello"), "{s}"),
            other => panic!("{other:?}"),
        }
        // A record of length 0, an alert of one byte, a huge record.
        assert!(matches!(
            parse_server_answer(&[22, 3, 3, 0, 0]),
            ServerAnswer::NotTls(_)
        ));
        assert!(matches!(
            parse_server_answer(&[21, 3, 3, 0, 1, 2]),
            ServerAnswer::NotTls(_)
        ));
        assert!(matches!(
            parse_server_answer(&[22, 3, 3, 0xff, 0xff]),
            ServerAnswer::NotTls(_)
        ));
        // An alert in the middle of a split ServerHello.
        let mut split = records(
            CT_HANDSHAKE,
            &server_hello_body(0x0303, [1; 32], 1, &[]),
            10,
        );
        split.truncate(15);
        split.extend_from_slice(&ALERT_PROTOCOL_VERSION);
        assert!(matches!(
            parse_server_answer(&split),
            ServerAnswer::NotTls(_)
        ));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_server_answer(&bytes);
        }

        #[test]
        fn parse_never_panics_on_tls_like_input(
            ct in prop_oneof![Just(21u8), Just(22u8)],
            tail in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            let mut bytes = vec![ct, 3, 3];
            bytes.extend_from_slice(&tail);
            let _ = parse_server_answer(&bytes);
        }

        #[test]
        fn client_hello_is_always_well_formed(name in "[a-z0-9.:-]{0,80}", v in 0usize..4) {
            let h = read_hello(&client_hello(TlsVersion::ALL[v], &name));
            prop_assert_eq!(h.random.len(), 32);
        }
    }

    #[test]
    fn names() {
        assert_eq!(
            cipher_suite_name(0xc02f),
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        );
        assert_eq!(cipher_suite_name(0x0a0a), "0x0a0a");
        assert_eq!(version_label(0x0300), "SSL 3.0 (0x0300)");
        assert_eq!(version_label(0x0303), "TLS 1.2");
        assert_eq!(
            serde_json::to_string(&TlsVersion::Tls10).unwrap(),
            "\"TLS 1.0\""
        );
        assert!(TlsVersion::Tls10 < TlsVersion::Tls13);
    }

    // ---- certificates -----------------------------------------------------

    fn cert(dns: &[&str], ips: &[IpAddr], cn: &[&str]) -> CertInfo {
        CertInfo {
            subject: String::new(),
            issuer: String::new(),
            common_names: cn.iter().map(|s| s.to_string()).collect(),
            not_before: 100,
            not_after: 200,
            dns_names: dns.iter().map(|s| s.to_string()).collect(),
            ip_addresses: ips.to_vec(),
            self_signed: true,
            key: String::new(),
            signature: String::new(),
            sha256: String::new(),
        }
    }

    #[test]
    fn rfc6125_matching() {
        let c = cert(
            &["Printer.Example.com", "*.print.example.com"],
            &["192.0.2.7".parse().unwrap(), "2001:db8::7".parse().unwrap()],
            &["ignored.example"],
        );
        assert!(c.names_host("printer.example.com"));
        assert!(c.names_host("PRINTER.example.com."));
        assert!(c.names_host("a.print.example.com"));
        assert!(
            !c.names_host("print.example.com"),
            "the wildcard needs a label"
        );
        assert!(!c.names_host("a.b.print.example.com"), "one label only");
        assert!(!c.names_host("ignored.example"), "no CN fallback with SANs");
        assert!(c.names_host("192.0.2.7"));
        assert!(c.names_host("[2001:db8::7]"));
        assert!(c.names_host("2001:db8::7"));
        assert!(!c.names_host("192.0.2.8"));
        assert!(!c.names_host(""));

        // An IP address never matches a dNSName, even spelled the same.
        let c = cert(&["192.0.2.7"], &[], &[]);
        assert!(!c.names_host("192.0.2.7"));

        // No SAN at all: the CN, for DNS names only.
        let c = cert(&[], &[], &["npi1234.local", "192.0.2.9"]);
        assert!(c.names_host("NPI1234.local"));
        assert!(!c.names_host("192.0.2.9"));

        // Wildcards too broad or in the wrong place.
        let c = cert(&["*.com", "a*.example.com", "*.*.example.com"], &[], &[]);
        assert!(!c.names_host("example.com"));
        assert!(!c.names_host("ab.example.com"));
        assert!(!c.names_host("a.b.example.com"));
    }

    #[test]
    fn validity_window() {
        let c = cert(&[], &[], &[]);
        assert!(c.not_yet_valid_at(99) && !c.not_yet_valid_at(100));
        assert!(!c.expired_at(200) && c.expired_at(201));
    }

    #[test]
    fn from_der_rejects_garbage() {
        assert!(CertInfo::from_der(b"not a certificate").is_err());
        assert!(CertInfo::from_der(&[]).is_err());
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    // ---- live servers on 127.0.0.1 ----------------------------------------

    fn self_signed(names: &[&str]) -> (Vec<u8>, PrivateKeyDer<'static>) {
        let ck = rcgen::generate_simple_self_signed(
            names.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
        (ck.cert.der().to_vec(), key)
    }

    fn expired() -> (Vec<u8>, PrivateKeyDer<'static>) {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let kp = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&kp).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(kp.serialize_der()));
        (cert.der().to_vec(), key)
    }

    fn server_config(der: &[u8], key: PrivateKeyDer<'static>) -> Arc<rustls::ServerConfig> {
        let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(der.to_vec())], key)
        .unwrap();
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(cfg)
    }

    /// A rustls server on 127.0.0.1: it is ready once bound (connections
    /// wait in the backlog).
    async fn tls_server(cfg: Arc<rustls::ServerConfig>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
        tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(s).await {
                        let mut b = [0u8; 64];
                        let _ = tls.read(&mut b).await;
                    }
                });
            }
        });
        addr
    }

    /// A plain TCP server that answers anything with `answer`, then waits
    /// for the client to close.
    async fn plain_server(answer: &'static [u8]) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut b = vec![0u8; 4096];
                    if s.read(&mut b).await.unwrap_or(0) > 0 {
                        let _ = s.write_all(answer).await;
                        while s.read(&mut b).await.unwrap_or(0) > 0 {}
                    }
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn probe_tls_against_rustls() {
        let (der, key) = self_signed(&["localhost", "127.0.0.1"]);
        let addr = tls_server(server_config(&der, key)).await;
        let report = probe_tls(addr, "localhost", T).await;

        let negotiated = report.handshake.as_ref().unwrap();
        assert_eq!(negotiated.version, TlsVersion::Tls13);
        assert!(
            negotiated.cipher.starts_with("TLS13_"),
            "{}",
            negotiated.cipher
        );
        assert_eq!(negotiated.alpn.as_deref(), Some("http/1.1"));
        assert_eq!(report.chain_der, vec![der.clone()]);

        let leaf = &report.chain[0];
        assert!(leaf.names_host("localhost"));
        assert!(leaf.names_host("127.0.0.1"));
        assert!(!leaf.names_host("printer.example"));
        assert!(!leaf.expired_at(now()));
        assert!(!leaf.not_yet_valid_at(now()));
        assert!(leaf.self_signed);
        assert_eq!(leaf.key, "EC P-256");
        assert_eq!(leaf.signature, "ecdsa-with-SHA256");
        assert_eq!(leaf.sha256, hex(&Sha256::digest(&der)));
        assert_eq!(leaf.subject, leaf.issuer);

        let answers: Vec<_> = report.versions.iter().map(|(_, a)| a.clone()).collect();
        assert_eq!(
            report.versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
            TlsVersion::ALL.to_vec()
        );
        // rustls refuses with protocol_version, or with handshake_failure
        // when it first misses signature_algorithms (which RFC 5246
        // §7.4.1.4.1 forbids in a hello offering TLS 1.0 or 1.1 only).
        for old in &answers[..2] {
            assert!(
                matches!(old, VersionAnswer::Refused(a) if a == "protocol_version" || a == "handshake_failure"),
                "{old:?}"
            );
        }
        assert!(
            matches!(answers[2], VersionAnswer::Accepted { cipher } if cipher >> 8 == 0xc0 || cipher >> 8 == 0xcc),
            "{:?}",
            answers[2]
        );
        assert!(
            matches!(answers[3], VersionAnswer::Accepted { cipher } if cipher >> 8 == 0x13),
            "{:?}",
            answers[3]
        );

        let json = serde_json::to_value(&report).unwrap();
        assert!(json.get("chain_der").is_none());
        assert_eq!(json["handshake"]["Ok"]["version"], "TLS 1.3");
        assert_eq!(json["versions"][0][0], "TLS 1.0");
    }

    #[tokio::test]
    async fn probe_tls_by_ip_address_sends_no_sni() {
        let (der, key) = self_signed(&["localhost", "127.0.0.1"]);
        let addr = tls_server(server_config(&der, key)).await;
        let report = probe_tls(addr, "127.0.0.1", T).await;
        assert!(report.handshake.is_ok(), "{:?}", report.handshake);
        assert!(report.chain[0].names_host(&addr.ip().to_string()));
    }

    #[tokio::test]
    async fn expired_certificate_is_reported() {
        let (der, key) = expired();
        let addr = tls_server(server_config(&der, key)).await;
        let report = probe_tls(addr, "localhost", T).await;
        assert!(report.handshake.is_ok(), "{:?}", report.handshake);
        let leaf = &report.chain[0];
        assert!(leaf.expired_at(now()));
        assert!(!leaf.expired_at(leaf.not_after));
        assert_eq!(leaf.not_after, 978_307_200, "2001-01-01T00:00:00Z");
        assert!(leaf.names_host("localhost"));
    }

    #[tokio::test]
    async fn plain_http_is_not_tls() {
        let addr = plain_server(HTTP_400).await;
        let answer = probe_version(addr, "localhost", TlsVersion::Tls12, T).await;
        assert_eq!(
            answer,
            VersionAnswer::NotTls("HTTP/1.1 400 Bad Request".into())
        );
        let report = probe_tls(addr, "localhost", T).await;
        assert!(report.handshake.is_err());
        assert!(report.chain.is_empty());
        for (_, a) in &report.versions {
            assert!(matches!(a, VersionAnswer::NotTls(_)), "{a:?}");
        }
    }

    #[tokio::test]
    async fn closed_port_is_unreachable_and_silence_is_no_answer() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed = listener.local_addr().unwrap();
        drop(listener);
        assert!(matches!(
            probe_version(closed, "localhost", TlsVersion::Tls12, T).await,
            VersionAnswer::Unreachable(_)
        ));

        // A server that accepts and says nothing.
        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = silent.local_addr().unwrap();
        let answer = probe_version(addr, "x", TlsVersion::Tls13, Duration::from_millis(200)).await;
        assert_eq!(answer, VersionAnswer::NoAnswer);
        drop(silent);
    }

    #[tokio::test]
    async fn rfc2817_upgrade() {
        let (der, key) = self_signed(&["localhost"]);
        let acceptor = tokio_rustls::TlsAcceptor::from(server_config(&der, key));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut b = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                s.read_exact(&mut b).await.unwrap();
                head.push(b[0]);
            }
            assert!(head.starts_with(b"OPTIONS * HTTP/1.1\r\n"));
            s.write_all(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: TLS/1.2, HTTP/1.1\r\nConnection: Upgrade\r\n\r\n")
                .await
                .unwrap();
            let mut tls = acceptor.accept(s).await.unwrap();
            let _ = tls.read(&mut [0u8; 16]).await;
        });
        let a = probe_upgrade(addr, &format!("localhost:{}", addr.port()), T).await;
        assert_eq!(a.status, Some(101), "{a:?}");
        assert!(a.head.starts_with("HTTP/1.1 101"));
        assert_eq!(a.then_tls, Some(Ok(TlsVersion::Tls13)));
        assert_eq!(a.error, None);

        let refused = plain_server(HTTP_400).await;
        let a = probe_upgrade(refused, "localhost", T).await;
        assert_eq!(a.status, Some(400));
        assert_eq!(a.then_tls, None);
        assert_eq!(a.head, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0");
    }

    #[test]
    fn host_part_strips_ports() {
        assert_eq!(host_part("printer:631"), "printer");
        assert_eq!(host_part("[::1]:631"), "::1");
        assert_eq!(host_part("::1"), "::1");
        assert_eq!(host_part("printer"), "printer");
    }
}
