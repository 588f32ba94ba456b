//! HTTP authentication: Basic (RFC 7617) and Digest (RFC 7616), for the
//! virtual printer's IPP server and for the test runner as a client.
//!
//! # Contract
//!
//! Sans-IO and deterministic: no sockets, no clock reads, no randomness.
//! Times come in as milliseconds (`now_ms`, any epoch, as long as the caller
//! is consistent); nonces are minted from a secret the caller supplies
//! ([`NonceMint`]) and client nonces (`cnonce`) are the caller's choice.
//!
//! - Server side: [`parse_authorization`] reads an `Authorization:` value
//!   into [`Credentials`] (or an [`AuthHeaderError`] naming the violation, fit
//!   for a 400 or 401 body); a [`Verifier`] checks them against the
//!   [`Users`] and says why they fail ([`Verdict`]); [`Challenge`] is the
//!   `WWW-Authenticate:` value to send with a 401.
//! - Client side: [`parse_challenges`] reads a `WWW-Authenticate:` value;
//!   [`DigestResponse::answer`] (or [`digest_response`]) computes the reply;
//!   [`Credentials::to_header_value`] writes it.
//!
//! Every parse has its emit, and `parse(emit(x)) == x` for whatever parse
//! returned (checked by [`fuzz_authorization`], the `http_auth` fuzz target).
//!
//! Not supported, and refused with a typed error rather than misread: the
//! `-sess` algorithms, SHA-512-256, `userhash=true`, `username*`. `qop=auth-int`
//! parses but the [`Verifier`] has no body to hash, so such credentials
//! verify as [`Verdict::WrongPassword`]. Nonce counts are not tracked (no
//! replay detection within a nonce's lifetime).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use md5::{Digest, Md5};
use sha2::Sha256;

use super::users::Users;

/// The longest header value [`parse_authorization`] and [`parse_challenges`]
/// read, in bytes.
pub const MAX_HEADER_LEN: usize = 4096;

/// The most auth-params one set of credentials or one challenge may have.
pub const MAX_PARAMS: usize = 32;

/// How many characters of an unknown scheme name an error repeats.
const MAX_SHOWN: usize = 64;

/// How far in the future a nonce's timestamp may be before it is called
/// forged (clock differences between a server's threads), in milliseconds.
const NONCE_FUTURE_SLACK_MS: u64 = 1000;

/// An HTTP authentication scheme this module speaks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// RFC 7617: user and password in base64.
    #[default]
    Basic,
    /// RFC 7616: a hash over the password and a server nonce.
    Digest,
}

impl Scheme {
    /// The name as written in headers: `Basic` or `Digest`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Basic => "Basic",
            Scheme::Digest => "Digest",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Digest hash algorithm (RFC 7616 §3.3 `algorithm`). MD5 is the default
/// when the parameter is absent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub enum DigestAlgorithm {
    /// `MD5`.
    #[default]
    Md5,
    /// `SHA-256`.
    Sha256,
}

/// Why an algorithm name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlgorithmError {
    /// A `-sess` variant (RFC 7616 §3.4.2), which this module does not do.
    #[error("session algorithm '{0}' is not supported (use MD5 or SHA-256)")]
    Session(String),
    /// Not an algorithm this module knows.
    #[error("unknown digest algorithm '{0}' (supported: MD5, SHA-256)")]
    Unknown(String),
}

impl DigestAlgorithm {
    /// The name as written in headers: `MD5` or `SHA-256`.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Sha256 => "SHA-256",
        }
    }

    /// How many hex digits a hash (and so a `response`) has: 32 or 64.
    pub fn hex_len(self) -> usize {
        match self {
            DigestAlgorithm::Md5 => 32,
            DigestAlgorithm::Sha256 => 64,
        }
    }

    /// The hash of `data`, in lowercase hex.
    pub fn hash_hex(self, data: &[u8]) -> String {
        self.hash_joined(&[data])
    }

    /// The hash of `parts` joined by `:`, in lowercase hex.
    fn hash_joined(self, parts: &[&[u8]]) -> String {
        fn run<D: Digest>(parts: &[&[u8]]) -> String {
            let mut d = D::new();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    d.update(b":");
                }
                d.update(part);
            }
            hex(&d.finalize())
        }
        match self {
            DigestAlgorithm::Md5 => run::<Md5>(parts),
            DigestAlgorithm::Sha256 => run::<Sha256>(parts),
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DigestAlgorithm {
    type Err = AlgorithmError;

    /// `MD5` or `SHA-256`, in any case; `-sess` variants are refused as such.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("MD5") {
            Ok(DigestAlgorithm::Md5)
        } else if s.eq_ignore_ascii_case("SHA-256") {
            Ok(DigestAlgorithm::Sha256)
        } else if s.len() > 5
            && s.is_char_boundary(s.len() - 5)
            && s[s.len() - 5..].eq_ignore_ascii_case("-sess")
        {
            Err(AlgorithmError::Session(s.to_string()))
        } else {
            Err(AlgorithmError::Unknown(s.to_string()))
        }
    }
}

impl TryFrom<String> for DigestAlgorithm {
    type Error = AlgorithmError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DigestAlgorithm> for String {
    fn from(a: DigestAlgorithm) -> String {
        a.name().to_string()
    }
}

/// What an `Authorization:` header says, once parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// RFC 7617 Basic: the user-id (before the first `:`) and the password.
    Basic {
        /// The user-id.
        user: String,
        /// The password.
        password: String,
    },
    /// RFC 7616 Digest.
    Digest(DigestResponse),
}

/// The parameters of Digest credentials (RFC 7616 §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestResponse {
    /// `username`.
    pub username: String,
    /// `realm`, as the client echoes it.
    pub realm: String,
    /// `nonce`, as the server sent it.
    pub nonce: String,
    /// `uri`: the request target the client hashed.
    pub uri: String,
    /// `response`: the hash, in lowercase hex (the parser lowercases it).
    pub response: String,
    /// `algorithm` (MD5 when the client sent none).
    pub algorithm: DigestAlgorithm,
    /// `qop`: `auth` (or another token); `None` for the RFC 2069 form.
    pub qop: Option<String>,
    /// `nc`: the nonce count, 8 hex digits.
    pub nc: Option<String>,
    /// `cnonce`: the client nonce.
    pub cnonce: Option<String>,
    /// `opaque`, echoed from the challenge.
    pub opaque: Option<String>,
}

/// Why an `Authorization:` or `WWW-Authenticate:` value was refused. Each
/// variant names one violation; the message is meant for a person (it goes
/// in 400 and 401 bodies). Byte offsets count from the start of the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthHeaderError {
    /// The value is empty or only white space.
    #[error("empty authentication header")]
    Empty,
    /// The value is longer than [`MAX_HEADER_LEN`].
    #[error("authentication header of {len} bytes is longer than the {max} allowed", max = MAX_HEADER_LEN)]
    TooLong {
        /// The value's length in bytes.
        len: usize,
    },
    /// Neither `Basic` nor `Digest` (for challenges: no challenge of a known
    /// scheme at all).
    #[error("unknown authentication scheme '{0}' (supported: Basic, Digest)")]
    UnknownScheme(String),
    /// Basic credentials are not canonical, padded base64 (RFC 7617 §2).
    #[error(
        "Basic credentials are not base64 (RFC 7617 §2: base64 of user-id ':' password, padded)"
    )]
    BasicNotBase64,
    /// Basic credentials decode to bytes that are not UTF-8.
    #[error("Basic credentials are not UTF-8")]
    BasicNotUtf8,
    /// Basic credentials have no `:` between user-id and password.
    #[error("Basic credentials have no ':' between user-id and password")]
    BasicNoColon,
    /// RFC 7617 §2: "The user-id and password MUST NOT contain any control
    /// characters".
    #[error("Basic credentials contain a control character (RFC 7617 §2)")]
    BasicControlChar,
    /// Digest credentials' auth-param list is malformed.
    #[error("malformed Digest credentials at byte {at}: {reason}")]
    DigestSyntax {
        /// Where, in bytes from the start of the value.
        at: usize,
        /// What was expected or found.
        reason: &'static str,
    },
    /// A Digest parameter is given twice (names compare case-insensitively).
    #[error("Digest parameter '{0}' is given twice")]
    DigestDuplicate(String),
    /// A required Digest parameter is absent.
    #[error("Digest credentials lack the '{0}' parameter")]
    DigestMissing(&'static str),
    /// A Digest parameter's value is refused.
    #[error("Digest parameter '{param}': {reason}")]
    DigestBadValue {
        /// The parameter name, lowercase.
        param: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// More than [`MAX_PARAMS`] parameters (in one set of credentials, or
    /// one challenge).
    #[error("more than {max} authentication parameters", max = MAX_PARAMS)]
    TooManyParams,
    /// An `algorithm` this module does not know.
    #[error("unsupported digest algorithm '{0}' (supported: MD5, SHA-256)")]
    UnsupportedAlgorithm(String),
    /// A `-sess` algorithm (RFC 7616 §3.4.2), which this module does not do.
    #[error("session digest algorithm '{0}' is not supported (supported: MD5, SHA-256)")]
    SessionAlgorithm(String),
    /// A `WWW-Authenticate:` value's challenge list is malformed.
    #[error("malformed challenge at byte {at}: {reason}")]
    ChallengeSyntax {
        /// Where, in bytes from the start of the value.
        at: usize,
        /// What was expected or found.
        reason: &'static str,
    },
    /// A challenge gives a parameter twice.
    #[error("{scheme} challenge parameter '{param}' is given twice")]
    ChallengeDuplicate {
        /// `Basic` or `Digest`.
        scheme: &'static str,
        /// The parameter name, lowercase.
        param: String,
    },
    /// A challenge lacks a required parameter.
    #[error("{scheme} challenge lacks the '{param}' parameter")]
    ChallengeMissing {
        /// `Basic` or `Digest`.
        scheme: &'static str,
        /// The parameter.
        param: &'static str,
    },
    /// A challenge parameter's value is refused.
    #[error("{scheme} challenge parameter '{param}': {reason}")]
    ChallengeBadValue {
        /// `Basic` or `Digest`.
        scheme: &'static str,
        /// The parameter name, lowercase.
        param: String,
        /// What is wrong with the value.
        reason: String,
    },
}

impl From<AlgorithmError> for AuthHeaderError {
    fn from(e: AlgorithmError) -> Self {
        match e {
            AlgorithmError::Session(s) => AuthHeaderError::SessionAlgorithm(s),
            AlgorithmError::Unknown(s) => AuthHeaderError::UnsupportedAlgorithm(s),
        }
    }
}

// ---------------------------------------------------------------------------
// Lexing (RFC 9110 §5.6: token, quoted-string, OWS, lists).

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `s` is a non-empty `token`.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// RFC 9110 §11.2 `token68` characters, before the trailing `=`s.
fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

/// SP or HTAB.
fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The value without surrounding white space (CR and LF included), as
/// `start..end`.
fn trimmed(v: &[u8]) -> (usize, usize) {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = v.iter().position(|b| !blank(b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !blank(b)).map_or(start, |i| i + 1);
    (start, end.max(start))
}

/// The first position at or after `i` that is not SP/HTAB.
fn skip_ws(v: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && is_ws(v[i]) {
        i += 1;
    }
    i
}

/// The first position at or after `i` that is neither SP/HTAB nor a comma
/// (RFC 9110 §5.6.1: empty list elements are ignored).
fn skip_ws_commas(v: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && (is_ws(v[i]) || v[i] == b',') {
        i += 1;
    }
    i
}

/// The end of the run of `tchar`s starting at `i`.
fn token_end(v: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && is_tchar(v[i]) {
        i += 1;
    }
    i
}

/// A syntax error: where, and what.
type SyntaxError = (usize, &'static str);

/// A quoted-string starting at the `"` at `i`: its unescaped bytes and the
/// position after the closing quote.
fn quoted_string(v: &[u8], i: usize, end: usize) -> Result<(Vec<u8>, usize), SyntaxError> {
    let mut out = Vec::new();
    let mut j = i + 1;
    loop {
        let Some(&c) = v.get(j).filter(|_| j < end) else {
            return Err((i, "unterminated quoted string"));
        };
        match c {
            b'"' => return Ok((out, j + 1)),
            b'\\' => {
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                let Some(&d) = v.get(j + 1).filter(|_| j + 1 < end) else {
                    return Err((j, "backslash at the end of a quoted string"));
                };
                if d == b'\t' || d >= 0x20 && d != 0x7f {
                    out.push(d);
                    j += 2;
                } else {
                    return Err((j + 1, "control character after a backslash"));
                }
            }
            // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
            b'\t' | 0x20..=0x7e | 0x80..=0xff => {
                out.push(c);
                j += 1;
            }
            _ => return Err((j, "control character in a quoted string")),
        }
    }
}

/// One auth-param, name lowercased.
#[derive(Debug)]
struct RawParam {
    name: String,
    value: Vec<u8>,
}

/// `token BWS "=" BWS ( token / quoted-string )` at `i`; the param and the
/// position after it.
fn auth_param(v: &[u8], i: usize, end: usize) -> Result<(RawParam, usize), SyntaxError> {
    let name_end = token_end(v, i, end);
    if name_end == i {
        return Err((i, "expected a parameter name"));
    }
    let name = String::from_utf8_lossy(&v[i..name_end]).to_ascii_lowercase();
    let eq = skip_ws(v, name_end, end);
    if v.get(eq).filter(|_| eq < end) != Some(&b'=') {
        return Err((eq, "expected '=' after the parameter name"));
    }
    let at = skip_ws(v, eq + 1, end);
    if v.get(at).filter(|_| at < end) == Some(&b'"') {
        let (value, next) = quoted_string(v, at, end)?;
        return Ok((RawParam { name, value }, next));
    }
    let value_end = token_end(v, at, end);
    if value_end == at {
        return Err((at, "expected a token or a quoted string as the value"));
    }
    Ok((
        RawParam {
            name,
            value: v[at..value_end].to_vec(),
        },
        value_end,
    ))
}

/// Why an auth-param list was refused.
enum ListError {
    Syntax(SyntaxError),
    TooMany,
}

impl From<SyntaxError> for ListError {
    fn from(e: SyntaxError) -> Self {
        ListError::Syntax(e)
    }
}

/// `#auth-param` from `i` to `end`.
fn auth_param_list(v: &[u8], i: usize, end: usize) -> Result<Vec<RawParam>, ListError> {
    let mut out = Vec::new();
    let mut i = skip_ws_commas(v, i, end);
    while i < end {
        let (param, next) = auth_param(v, i, end)?;
        out.push(param);
        if out.len() > MAX_PARAMS {
            return Err(ListError::TooMany);
        }
        i = skip_ws(v, next, end);
        if i == end {
            break;
        }
        if v[i] != b',' {
            return Err(ListError::Syntax((i, "expected ',' after a parameter")));
        }
        i = skip_ws_commas(v, i, end);
    }
    Ok(out)
}

/// A string of our own for an error message: lossy UTF-8, cut short.
fn shown(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    if s.chars().count() > MAX_SHOWN {
        let mut cut: String = s.chars().take(MAX_SHOWN).collect();
        cut.push('…');
        cut
    } else {
        s.into_owned()
    }
}

/// Writes `s` as a quoted-string, escaping `"` and `\`.
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Params by name; a name given twice is reported through `duplicate`.
fn by_name(
    params: Vec<RawParam>,
    duplicate: impl Fn(String) -> AuthHeaderError,
) -> Result<BTreeMap<String, Vec<u8>>, AuthHeaderError> {
    let mut map = BTreeMap::new();
    for p in params {
        if map.contains_key(&p.name) {
            return Err(duplicate(p.name));
        }
        map.insert(p.name, p.value);
    }
    Ok(map)
}

// ---------------------------------------------------------------------------
// Authorization.

/// Parses the value of an `Authorization:` header (RFC 7617 §2, RFC 7616
/// §3.4). Scheme and parameter names are case-insensitive; surrounding white
/// space is ignored; values longer than [`MAX_HEADER_LEN`] or with more than
/// [`MAX_PARAMS`] parameters are refused. Unknown Digest parameters are
/// ignored (RFC 7616 §3.4).
pub fn parse_authorization(value: &[u8]) -> Result<Credentials, AuthHeaderError> {
    parse_authorization_within(value, MAX_HEADER_LEN)
}

fn parse_authorization_within(
    value: &[u8],
    max_len: usize,
) -> Result<Credentials, AuthHeaderError> {
    if value.len() > max_len {
        return Err(AuthHeaderError::TooLong { len: value.len() });
    }
    let (start, end) = trimmed(value);
    if start == end {
        return Err(AuthHeaderError::Empty);
    }
    let word_end = (start..end).find(|&i| is_ws(value[i])).unwrap_or(end);
    let word = &value[start..word_end];
    let rest = skip_ws(value, word_end, end);
    if word.eq_ignore_ascii_case(b"Basic") {
        parse_basic(&value[rest..end])
    } else if word.eq_ignore_ascii_case(b"Digest") {
        parse_digest(value, rest, end).map(Credentials::Digest)
    } else {
        Err(AuthHeaderError::UnknownScheme(shown(word)))
    }
}

/// RFC 7617 §2: `credentials = "Basic" 1*SP token68`, the base64 of
/// `user-id ":" password`.
fn parse_basic(token: &[u8]) -> Result<Credentials, AuthHeaderError> {
    if token.is_empty() {
        return Err(AuthHeaderError::BasicNotBase64);
    }
    let decoded = STANDARD
        .decode(token)
        .map_err(|_| AuthHeaderError::BasicNotBase64)?;
    let text = String::from_utf8(decoded).map_err(|_| AuthHeaderError::BasicNotUtf8)?;
    let (user, password) = text.split_once(':').ok_or(AuthHeaderError::BasicNoColon)?;
    // RFC 7617 §2: "The user-id and password MUST NOT contain any control
    // characters".
    if text.chars().any(char::is_control) {
        return Err(AuthHeaderError::BasicControlChar);
    }
    Ok(Credentials::Basic {
        user: user.to_string(),
        password: password.to_string(),
    })
}

/// RFC 7616 §3.4: the auth-params of Digest credentials, from `i` to `end`.
fn parse_digest(v: &[u8], i: usize, end: usize) -> Result<DigestResponse, AuthHeaderError> {
    let params = auth_param_list(v, i, end).map_err(|e| match e {
        ListError::Syntax((at, reason)) => AuthHeaderError::DigestSyntax { at, reason },
        ListError::TooMany => AuthHeaderError::TooManyParams,
    })?;
    let map = by_name(params, AuthHeaderError::DigestDuplicate)?;
    let bad = |param: &str, reason: &str| AuthHeaderError::DigestBadValue {
        param: param.to_string(),
        reason: reason.to_string(),
    };
    let text = |name: &'static str| -> Result<Option<String>, AuthHeaderError> {
        map.get(name)
            .map(|v| String::from_utf8(v.clone()).map_err(|_| bad(name, "not valid UTF-8")))
            .transpose()
    };
    let required = |name: &'static str| text(name)?.ok_or(AuthHeaderError::DigestMissing(name));

    if map.contains_key("username*") {
        return Err(bad(
            "username*",
            "the extended notation (RFC 8187) is not supported; send 'username'",
        ));
    }
    if let Some(h) = text("userhash")? {
        if h.eq_ignore_ascii_case("true") {
            return Err(bad("userhash", "hashed user names are not supported"));
        } else if !h.eq_ignore_ascii_case("false") {
            return Err(bad("userhash", "expected 'true' or 'false'"));
        }
    }
    let username = required("username")?;
    let realm = required("realm")?;
    let nonce = required("nonce")?;
    let uri = required("uri")?;
    let response = required("response")?;
    let algorithm = match text("algorithm")? {
        Some(a) => a.parse::<DigestAlgorithm>()?,
        None => DigestAlgorithm::Md5,
    };
    if response.len() != algorithm.hex_len() || !response.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthHeaderError::DigestBadValue {
            param: "response".to_string(),
            reason: format!(
                "expected {} hex digits for {algorithm}, got {:?}",
                algorithm.hex_len(),
                shown(response.as_bytes())
            ),
        });
    }
    let qop = text("qop")?;
    if let Some(q) = &qop {
        if !is_token(q) {
            return Err(bad("qop", "expected a token such as 'auth'"));
        }
    }
    let nc = text("nc")?;
    if let Some(n) = &nc {
        // nc-value = 8LHEX
        if n.len() != 8 || !n.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("nc", "expected 8 hex digits"));
        }
    }
    let cnonce = text("cnonce")?;
    if qop.is_some() {
        // RFC 7616 §3.4: cnonce and nc "MUST be sent" when qop is.
        if nc.is_none() {
            return Err(AuthHeaderError::DigestMissing("nc"));
        }
        if cnonce.is_none() {
            return Err(AuthHeaderError::DigestMissing("cnonce"));
        }
    }
    Ok(DigestResponse {
        username,
        realm,
        nonce,
        uri,
        response: response.to_ascii_lowercase(),
        algorithm,
        qop,
        nc,
        cnonce,
        opaque: text("opaque")?,
    })
}

impl Credentials {
    /// Basic credentials.
    pub fn basic(user: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials::Basic {
            user: user.into(),
            password: password.into(),
        }
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        match self {
            Credentials::Basic { .. } => Scheme::Basic,
            Credentials::Digest(_) => Scheme::Digest,
        }
    }

    /// The user name claimed.
    pub fn user(&self) -> &str {
        match self {
            Credentials::Basic { user, .. } => user,
            Credentials::Digest(d) => &d.username,
        }
    }

    /// The `Authorization:` value. Whatever [`parse_authorization`] returned
    /// writes back to a value that parses to it. (Values it cannot return do
    /// not: a Basic user with `:`, control characters, a Digest `qop` without
    /// `nc` and `cnonce`.) Digest string parameters are quoted; `algorithm`,
    /// `qop` and `nc` are tokens (RFC 7616 §3.4).
    pub fn to_header_value(&self) -> String {
        match self {
            Credentials::Basic { user, password } => {
                format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
            }
            Credentials::Digest(d) => d.to_header_value(),
        }
    }
}

impl DigestResponse {
    /// The `Authorization:` value, `Digest username="…", …`, in the order of
    /// RFC 7616 §3.9.1.
    pub fn to_header_value(&self) -> String {
        let mut out = String::from("Digest username=");
        push_quoted(&mut out, &self.username);
        out.push_str(", realm=");
        push_quoted(&mut out, &self.realm);
        out.push_str(", uri=");
        push_quoted(&mut out, &self.uri);
        out.push_str(", algorithm=");
        out.push_str(self.algorithm.name());
        out.push_str(", nonce=");
        push_quoted(&mut out, &self.nonce);
        if let Some(nc) = &self.nc {
            out.push_str(", nc=");
            out.push_str(nc);
        }
        if let Some(cnonce) = &self.cnonce {
            out.push_str(", cnonce=");
            push_quoted(&mut out, cnonce);
        }
        if let Some(qop) = &self.qop {
            out.push_str(", qop=");
            out.push_str(qop);
        }
        out.push_str(", response=");
        push_quoted(&mut out, &self.response);
        if let Some(opaque) = &self.opaque {
            out.push_str(", opaque=");
            push_quoted(&mut out, opaque);
        }
        out
    }

    /// A client's answer to a Digest `challenge`: the challenge's algorithm
    /// (MD5 if it names none), nonce and opaque; `qop=auth` with nonce count
    /// `nc` and client nonce `cnonce` if the challenge offers `auth`, the
    /// RFC 2069 form otherwise. `uri` is the request target as sent.
    pub fn answer(
        challenge: &Challenge,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
        nc: u32,
    ) -> DigestResponse {
        let algorithm = challenge.algorithm.unwrap_or_default();
        let nonce = challenge.nonce.clone().unwrap_or_default();
        let offers_auth = challenge
            .qop
            .as_deref()
            .is_some_and(|q| q.split(',').any(|o| o.trim().eq_ignore_ascii_case("auth")));
        let nc = format!("{nc:08x}");
        let qop = offers_auth.then_some((nc.as_str(), cnonce, "auth"));
        let response = digest_response(
            algorithm,
            user,
            &challenge.realm,
            password,
            method,
            uri,
            &nonce,
            qop,
        );
        DigestResponse {
            username: user.to_string(),
            realm: challenge.realm.clone(),
            nonce,
            uri: uri.to_string(),
            response,
            algorithm,
            qop: offers_auth.then(|| "auth".to_string()),
            nc: offers_auth.then(|| nc.clone()),
            cnonce: offers_auth.then(|| cnonce.to_string()),
            opaque: challenge.opaque.clone(),
        }
    }
}

/// The Digest `response`, lowercase hex (RFC 7616 §3.4.1):
/// `HA1 = H(user:realm:password)`, `HA2 = H(method:uri)`, then
/// `H(HA1:nonce:nc:cnonce:qop:HA2)` with `qop = Some((nc, cnonce, qop))`,
/// or `H(HA1:nonce:HA2)` without (the RFC 2069 form).
#[allow(clippy::too_many_arguments)]
pub fn digest_response(
    alg: DigestAlgorithm,
    user: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str, &str)>,
) -> String {
    let ha1 = alg.hash_joined(&[user.as_bytes(), realm.as_bytes(), password.as_bytes()]);
    let ha2 = alg.hash_joined(&[method.as_bytes(), uri.as_bytes()]);
    match qop {
        Some((nc, cnonce, qop)) => alg.hash_joined(&[
            ha1.as_bytes(),
            nonce.as_bytes(),
            nc.as_bytes(),
            cnonce.as_bytes(),
            qop.as_bytes(),
            ha2.as_bytes(),
        ]),
        None => alg.hash_joined(&[ha1.as_bytes(), nonce.as_bytes(), ha2.as_bytes()]),
    }
}

// ---------------------------------------------------------------------------
// WWW-Authenticate.

/// One challenge of a `WWW-Authenticate:` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme.
    pub scheme: Scheme,
    /// `realm`.
    pub realm: String,
    /// `nonce` (Digest; required there).
    pub nonce: Option<String>,
    /// `opaque` (Digest).
    pub opaque: Option<String>,
    /// `algorithm` (Digest; MD5 when absent).
    pub algorithm: Option<DigestAlgorithm>,
    /// `qop` (Digest): the offered options as written, e.g. `auth` or
    /// `auth, auth-int`.
    pub qop: Option<String>,
    /// `stale=true` (Digest): the credentials were right but the nonce is
    /// old; retry with the new one without asking the user.
    pub stale: bool,
}

impl Challenge {
    /// A Basic challenge for `realm`.
    pub fn basic(realm: impl Into<String>) -> Challenge {
        Challenge {
            scheme: Scheme::Basic,
            realm: realm.into(),
            nonce: None,
            opaque: None,
            algorithm: None,
            qop: None,
            stale: false,
        }
    }

    /// A Digest challenge for `realm` with `nonce`, offering `qop="auth"`.
    pub fn digest(
        realm: impl Into<String>,
        nonce: impl Into<String>,
        algorithm: DigestAlgorithm,
    ) -> Challenge {
        Challenge {
            scheme: Scheme::Digest,
            realm: realm.into(),
            nonce: Some(nonce.into()),
            opaque: None,
            algorithm: Some(algorithm),
            qop: Some("auth".to_string()),
            stale: false,
        }
    }

    /// The `WWW-Authenticate:` value: `Basic realm="x", charset="UTF-8"`
    /// (RFC 7617 §2.1; a Basic challenge writes only its realm), or
    /// `Digest realm="x", qop="auth", algorithm=MD5, nonce="…", opaque="…"`
    /// with `, stale=true` when stale (absent fields are left out). Whatever
    /// [`parse_challenges`] returned writes back to a value that parses to
    /// it.
    pub fn to_header_value(&self) -> String {
        let mut out = String::from(self.scheme.name());
        out.push_str(" realm=");
        push_quoted(&mut out, &self.realm);
        if self.scheme == Scheme::Basic {
            out.push_str(", charset=\"UTF-8\"");
            return out;
        }
        if let Some(qop) = &self.qop {
            out.push_str(", qop=");
            push_quoted(&mut out, qop);
        }
        if let Some(a) = self.algorithm {
            out.push_str(", algorithm=");
            out.push_str(a.name());
        }
        if let Some(nonce) = &self.nonce {
            out.push_str(", nonce=");
            push_quoted(&mut out, nonce);
        }
        if let Some(opaque) = &self.opaque {
            out.push_str(", opaque=");
            push_quoted(&mut out, opaque);
        }
        if self.stale {
            out.push_str(", stale=true");
        }
        out
    }
}

/// Several challenges in one `WWW-Authenticate:` value, comma-separated.
pub fn challenges_to_header_value(challenges: &[Challenge]) -> String {
    challenges
        .iter()
        .map(Challenge::to_header_value)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One challenge as written, before its scheme is looked at.
struct RawChallenge {
    scheme: String,
    at: usize,
    token68: bool,
    params: Vec<RawParam>,
}

/// RFC 9110 §11.6.1: `WWW-Authenticate = 1#challenge`, `challenge =
/// auth-scheme [ 1*SP ( token68 / #auth-param ) ]`. A comma ends either a
/// parameter or a challenge: what follows is a parameter when it is a token
/// followed by `=`.
fn challenge_list(v: &[u8]) -> Result<Vec<RawChallenge>, AuthHeaderError> {
    let syntax = |(at, reason): SyntaxError| AuthHeaderError::ChallengeSyntax { at, reason };
    let (start, end) = trimmed(v);
    let mut out = Vec::new();
    let mut i = skip_ws_commas(v, start, end);
    while i < end {
        let scheme_end = token_end(v, i, end);
        if scheme_end == i {
            return Err(syntax((i, "expected an authentication scheme")));
        }
        let mut ch = RawChallenge {
            scheme: String::from_utf8_lossy(&v[i..scheme_end]).into_owned(),
            at: i,
            token68: false,
            params: Vec::new(),
        };
        i = skip_ws(v, scheme_end, end);
        if i < end && v[i] != b',' {
            if i == scheme_end {
                return Err(syntax((i, "expected a space after the scheme")));
            }
            let mut t = i;
            while t < end && is_token68(v[t]) {
                t += 1;
            }
            if t > i {
                while t < end && v[t] == b'=' {
                    t += 1;
                }
            }
            let after = skip_ws(v, t, end);
            if t > i && (after == end || v[after] == b',') {
                ch.token68 = true;
                i = after;
            } else {
                loop {
                    let (param, next) = auth_param(v, i, end).map_err(syntax)?;
                    ch.params.push(param);
                    if ch.params.len() > MAX_PARAMS {
                        return Err(AuthHeaderError::TooManyParams);
                    }
                    i = skip_ws(v, next, end);
                    if i == end {
                        break;
                    }
                    if v[i] != b',' {
                        return Err(syntax((i, "expected ',' after a parameter")));
                    }
                    i = skip_ws_commas(v, i, end);
                    let t = token_end(v, i, end);
                    let after = skip_ws(v, t, end);
                    if i == end || t == i || after == end || v[after] != b'=' {
                        // The end, or the next challenge's scheme (or junk
                        // the outer loop reports).
                        break;
                    }
                }
            }
        }
        out.push(ch);
        i = skip_ws_commas(v, i, end);
    }
    Ok(out)
}

/// A known challenge from its raw form. `UnknownScheme`,
/// `UnsupportedAlgorithm` and `SessionAlgorithm` mean "not for us", the
/// other errors "malformed".
fn challenge_from_raw(raw: RawChallenge) -> Result<Challenge, AuthHeaderError> {
    let scheme = if raw.scheme.eq_ignore_ascii_case("Basic") {
        Scheme::Basic
    } else if raw.scheme.eq_ignore_ascii_case("Digest") {
        Scheme::Digest
    } else {
        return Err(AuthHeaderError::UnknownScheme(shown(raw.scheme.as_bytes())));
    };
    let name = scheme.name();
    if raw.token68 {
        return Err(AuthHeaderError::ChallengeSyntax {
            at: raw.at,
            reason: "this scheme takes parameters, not a token68",
        });
    }
    let map = by_name(raw.params, |param| AuthHeaderError::ChallengeDuplicate {
        scheme: name,
        param,
    })?;
    let bad = |param: &str, reason: &str| AuthHeaderError::ChallengeBadValue {
        scheme: name,
        param: param.to_string(),
        reason: reason.to_string(),
    };
    let text = |param: &'static str| -> Result<Option<String>, AuthHeaderError> {
        map.get(param)
            .map(|v| String::from_utf8(v.clone()).map_err(|_| bad(param, "not valid UTF-8")))
            .transpose()
    };
    let required = |param: &'static str| {
        text(param)?.ok_or(AuthHeaderError::ChallengeMissing {
            scheme: name,
            param,
        })
    };
    let realm = required("realm")?;
    if scheme == Scheme::Basic {
        // RFC 7617 §2.1: "The only allowed value is "UTF-8"".
        if let Some(c) = text("charset")? {
            if !c.eq_ignore_ascii_case("UTF-8") {
                return Err(bad(
                    "charset",
                    "the only allowed value is \"UTF-8\" (RFC 7617 §2.1)",
                ));
            }
        }
        return Ok(Challenge::basic(realm));
    }
    let algorithm = text("algorithm")?
        .map(|a| a.parse::<DigestAlgorithm>())
        .transpose()?;
    let nonce = required("nonce")?;
    let stale = match text("stale")? {
        None => false,
        Some(s) if s.eq_ignore_ascii_case("true") => true,
        Some(s) if s.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(bad("stale", "expected 'true' or 'false'")),
    };
    Ok(Challenge {
        scheme,
        realm,
        nonce: Some(nonce),
        opaque: text("opaque")?,
        algorithm,
        qop: text("qop")?,
        stale,
    })
}

/// Parses a `WWW-Authenticate:` value into its challenges, for clients. One
/// value may hold several (`Digest …, Basic realm="x"`). Challenges of other
/// schemes, or Digest ones with an algorithm this module does not do, are
/// skipped; if none is left, the first such reason is the error. A
/// malformed value is refused whole. A Basic challenge needs only `realm`
/// (`charset` may only be `UTF-8`); a Digest one `realm` and `nonce`.
/// Unknown parameters are ignored.
pub fn parse_challenges(value: &str) -> Result<Vec<Challenge>, AuthHeaderError> {
    parse_challenges_within(value, MAX_HEADER_LEN)
}

fn parse_challenges_within(value: &str, max_len: usize) -> Result<Vec<Challenge>, AuthHeaderError> {
    if value.len() > max_len {
        return Err(AuthHeaderError::TooLong { len: value.len() });
    }
    let raws = challenge_list(value.as_bytes())?;
    let mut out = Vec::new();
    let mut skipped = None;
    for raw in raws {
        match challenge_from_raw(raw) {
            Ok(c) => out.push(c),
            Err(
                e @ (AuthHeaderError::UnknownScheme(_)
                | AuthHeaderError::UnsupportedAlgorithm(_)
                | AuthHeaderError::SessionAlgorithm(_)),
            ) => {
                skipped.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    if out.is_empty() {
        return Err(skipped.unwrap_or(AuthHeaderError::Empty));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Nonces and verification.

/// Compares two byte strings in time that depends only on their lengths.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// Mints and checks server nonces, statelessly: a nonce is
/// `base64(t || SHA-256(secret || t)[..16])`, `t` the mint time in
/// milliseconds as 8 big-endian bytes, so the server can tell its own nonces
/// and their age without remembering them.
#[derive(Clone)]
pub struct NonceMint {
    secret: [u8; 32],
}

impl fmt::Debug for NonceMint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NonceMint { .. }")
    }
}

/// What [`NonceMint::check`] says about a nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// Ours and fresh.
    Valid,
    /// Ours, but older than the allowed age: ask again with `stale=true`.
    Stale,
    /// Not ours, malformed, or minted more than a second in the future.
    Forged,
}

impl NonceMint {
    /// A mint with this secret (the caller picks it, randomly in production,
    /// fixed in tests).
    pub fn new(secret: [u8; 32]) -> NonceMint {
        NonceMint { secret }
    }

    fn tag(&self, t: [u8; 8]) -> [u8; 16] {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(t);
        let digest = h.finalize();
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&digest[..16]);
        tag
    }

    /// A nonce minted at `now_ms`: 32 base64 characters.
    pub fn mint(&self, now_ms: u64) -> String {
        let t = now_ms.to_be_bytes();
        let mut raw = [0u8; 24];
        raw[..8].copy_from_slice(&t);
        raw[8..].copy_from_slice(&self.tag(t));
        STANDARD.encode(raw)
    }

    /// Whether `nonce` is one of ours, minted at most `max_age_ms` before
    /// `now_ms`.
    pub fn check(&self, nonce: &str, now_ms: u64, max_age_ms: u64) -> NonceCheck {
        let Ok(raw) = STANDARD.decode(nonce) else {
            return NonceCheck::Forged;
        };
        let Ok(raw) = <[u8; 24]>::try_from(raw.as_slice()) else {
            return NonceCheck::Forged;
        };
        let mut t = [0u8; 8];
        t.copy_from_slice(&raw[..8]);
        if !ct_eq(&self.tag(t), &raw[8..]) {
            return NonceCheck::Forged;
        }
        let minted = u64::from_be_bytes(t);
        if minted > now_ms.saturating_add(NONCE_FUTURE_SLACK_MS) {
            NonceCheck::Forged
        } else if now_ms.saturating_sub(minted) > max_age_ms {
            NonceCheck::Stale
        } else {
            NonceCheck::Valid
        }
    }
}

/// What a [`Verifier`] concluded; each carries the user name claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The credentials are right.
    Authenticated(String),
    /// No such user.
    UnknownUser(String),
    /// The password (or Digest response) is wrong.
    WrongPassword(String),
    /// Digest credentials for another realm.
    WrongRealm(String),
    /// Right Digest credentials over an expired nonce of ours: challenge
    /// again with `stale=true`.
    StaleNonce(String),
    /// A nonce that is not ours.
    ForgedNonce(String),
    /// The Digest `uri` is not the request's target.
    UriMismatch(String),
}

impl Verdict {
    /// The user name claimed.
    pub fn user(&self) -> &str {
        match self {
            Verdict::Authenticated(u)
            | Verdict::UnknownUser(u)
            | Verdict::WrongPassword(u)
            | Verdict::WrongRealm(u)
            | Verdict::StaleNonce(u)
            | Verdict::ForgedNonce(u)
            | Verdict::UriMismatch(u) => u,
        }
    }

    /// Whether the credentials were accepted.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Verdict::Authenticated(_))
    }
}

/// Whether `s` starts with `scheme "://"` (RFC 3986 §3.1 scheme).
fn absolute_uri_rest(s: &str) -> Option<&str> {
    let (scheme, rest) = s.split_once("://")?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    (first_ok && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then_some(rest)
}

/// The path and query of a request target: itself, or for an absolute URI
/// the part after the authority (`/` when empty).
fn path_and_query(uri: &str) -> String {
    let Some(rest) = absolute_uri_rest(uri) else {
        return uri.to_string();
    };
    let rest = rest.split('#').next().unwrap_or(rest);
    match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => rest[i..].to_string(),
        Some(i) => format!("/{}", &rest[i..]),
        None => "/".to_string(),
    }
}

/// Checks credentials against the users, for one realm.
#[derive(Debug, Clone, Copy)]
pub struct Verifier<'a> {
    /// Who may log in.
    pub users: &'a Users,
    /// The realm challenges name, which Digest credentials must echo.
    pub realm: &'a str,
    /// Mints and checks nonces.
    pub mint: &'a NonceMint,
    /// How long a nonce stays fresh, in milliseconds.
    pub nonce_max_age_ms: u64,
}

impl Verifier<'_> {
    /// Checks `creds` for a request `method request_uri` at `now_ms`.
    ///
    /// Digest, in order: the realm must be ours; the `uri` must be the
    /// request target (the same string, or the same path and query when one
    /// is an absolute URI); the nonce must be ours; the user must exist; the
    /// response must match (compared in constant time); last, the nonce must
    /// be fresh, so `StaleNonce` means the password was right (RFC 7616
    /// §3.3: stale only "with a valid digest for that nonce").
    ///
    /// Basic: the user must exist and the password match (compared in
    /// constant time, over hashes, so the length does not show either).
    pub fn verify(
        &self,
        creds: &Credentials,
        method: &str,
        request_uri: &str,
        now_ms: u64,
    ) -> Verdict {
        match creds {
            Credentials::Basic { user, password } => {
                let Some(known) = self.users.password(user) else {
                    return Verdict::UnknownUser(user.clone());
                };
                let a = Sha256::digest(known.as_bytes());
                let b = Sha256::digest(password.as_bytes());
                if ct_eq(&a, &b) {
                    Verdict::Authenticated(user.clone())
                } else {
                    Verdict::WrongPassword(user.clone())
                }
            }
            Credentials::Digest(d) => self.verify_digest(d, method, request_uri, now_ms),
        }
    }

    fn verify_digest(
        &self,
        d: &DigestResponse,
        method: &str,
        request_uri: &str,
        now_ms: u64,
    ) -> Verdict {
        let user = d.username.clone();
        if d.realm != self.realm {
            return Verdict::WrongRealm(user);
        }
        if d.uri != request_uri && path_and_query(&d.uri) != path_and_query(request_uri) {
            return Verdict::UriMismatch(user);
        }
        let nonce = self.mint.check(&d.nonce, now_ms, self.nonce_max_age_ms);
        if nonce == NonceCheck::Forged {
            return Verdict::ForgedNonce(user);
        }
        let Some(password) = self.users.password(&d.username) else {
            return Verdict::UnknownUser(user);
        };
        let qop = match (&d.qop, &d.nc, &d.cnonce) {
            (Some(qop), Some(nc), Some(cnonce)) => {
                Some((nc.as_str(), cnonce.as_str(), qop.as_str()))
            }
            (None, _, _) => None,
            // qop without nc or cnonce: nothing to check against.
            (Some(_), _, _) => return Verdict::WrongPassword(user),
        };
        let want = digest_response(
            d.algorithm,
            &d.username,
            &d.realm,
            password,
            method,
            &d.uri,
            &d.nonce,
            qop,
        );
        if !ct_eq(want.as_bytes(), d.response.to_ascii_lowercase().as_bytes()) {
            return Verdict::WrongPassword(user);
        }
        if nonce == NonceCheck::Stale {
            return Verdict::StaleNonce(user);
        }
        Verdict::Authenticated(user)
    }

    /// The challenge to send with a 401: Basic for this realm, or Digest
    /// with a nonce minted at `now_ms` (and `stale` as given: true after a
    /// [`Verdict::StaleNonce`]).
    pub fn challenge(
        &self,
        scheme: Scheme,
        algorithm: DigestAlgorithm,
        now_ms: u64,
        stale: bool,
    ) -> Challenge {
        match scheme {
            Scheme::Basic => Challenge::basic(self.realm),
            Scheme::Digest => Challenge {
                stale,
                ..Challenge::digest(self.realm, self.mint.mint(now_ms), algorithm)
            },
        }
    }
}

// ---------------------------------------------------------------------------
// Fuzzing.

/// The `http_auth` fuzz target's oracle, on arbitrary bytes: as an
/// `Authorization:` value they parse or are refused, never panic, and what
/// parses writes back to a value that parses to the same credentials; as a
/// `WWW-Authenticate:` value (lossy UTF-8), the same for challenges. Panics
/// when an invariant fails. (Written values may be longer than
/// [`MAX_HEADER_LEN`], so they are re-read without that limit.)
pub fn fuzz_authorization(data: &[u8]) {
    if let Ok(creds) = parse_authorization(data) {
        let written = creds.to_header_value();
        match parse_authorization_within(written.as_bytes(), usize::MAX) {
            Ok(again) => assert_eq!(again, creds, "{data:?} was written as {written:?}"),
            Err(e) => panic!("{data:?} was written as {written:?}, which does not parse: {e}"),
        }
    }
    let text = String::from_utf8_lossy(data);
    if let Ok(challenges) = parse_challenges(&text) {
        let written = challenges_to_header_value(&challenges);
        match parse_challenges_within(&written, usize::MAX) {
            Ok(again) => assert_eq!(again, challenges, "{text:?} was written as {written:?}"),
            Err(e) => panic!("{text:?} was written as {written:?}, which does not parse: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    // RFC 7616 §3.9.1.
    const USER: &str = "Mufasa";
    const PASSWORD: &str = "Circle of Life";
    const REALM: &str = "http-auth@example.org";
    const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    const OPAQUE: &str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
    const RFC7616_MD5_HEADER: &str = "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, response=\"8ca523f5e9506fed4657c9700eebdbec\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

    fn err(value: &str) -> AuthHeaderError {
        match parse_authorization(value.as_bytes()) {
            Err(e) => e,
            Ok(c) => panic!("{value:?} parsed as {c:?}"),
        }
    }

    fn digest(value: &str) -> DigestResponse {
        match parse_authorization(value.as_bytes()) {
            Ok(Credentials::Digest(d)) => d,
            other => panic!("{value:?}: {other:?}"),
        }
    }

    /// A valid Digest header with `extra` appended to its parameters.
    fn digest_with(extra: &str) -> String {
        format!(
            "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"{}\"{extra}",
            "0".repeat(32)
        )
    }

    // --- RFC vectors -------------------------------------------------------

    #[test]
    fn rfc7616_3_9_1_md5_and_sha256_responses() {
        let qop = Some(("00000001", CNONCE, "auth"));
        let md5 = digest_response(
            DigestAlgorithm::Md5,
            USER,
            REALM,
            PASSWORD,
            "GET",
            "/dir/index.html",
            NONCE,
            qop,
        );
        assert_eq!(md5, "8ca523f5e9506fed4657c9700eebdbec");
        let sha = digest_response(
            DigestAlgorithm::Sha256,
            USER,
            REALM,
            PASSWORD,
            "GET",
            "/dir/index.html",
            NONCE,
            qop,
        );
        assert_eq!(
            sha,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn rfc2617_3_5_example_response() {
        let r = digest_response(
            DigestAlgorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            Some(("00000001", "0a4f113b", "auth")),
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn rfc2069_form_without_qop() {
        let ha1 = DigestAlgorithm::Md5.hash_hex(b"u:r:p");
        let ha2 = DigestAlgorithm::Md5.hash_hex(b"GET:/x");
        let want = DigestAlgorithm::Md5.hash_hex(format!("{ha1}:n:{ha2}").as_bytes());
        assert_eq!(
            digest_response(DigestAlgorithm::Md5, "u", "r", "p", "GET", "/x", "n", None),
            want
        );
        assert_eq!(
            DigestAlgorithm::Md5.hash_hex(b""),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            DigestAlgorithm::Sha256.hash_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn rfc7616_3_9_1_authorization_parses() {
        let d = digest(RFC7616_MD5_HEADER);
        assert_eq!(
            d,
            DigestResponse {
                username: USER.into(),
                realm: REALM.into(),
                nonce: NONCE.into(),
                uri: "/dir/index.html".into(),
                response: "8ca523f5e9506fed4657c9700eebdbec".into(),
                algorithm: DigestAlgorithm::Md5,
                qop: Some("auth".into()),
                nc: Some("00000001".into()),
                cnonce: Some(CNONCE.into()),
                opaque: Some(OPAQUE.into()),
            }
        );
        let written = Credentials::Digest(d.clone()).to_header_value();
        assert_eq!(
            written,
            format!(
                "Digest username=\"Mufasa\", realm=\"{REALM}\", uri=\"/dir/index.html\", algorithm=MD5, nonce=\"{NONCE}\", nc=00000001, cnonce=\"{CNONCE}\", qop=auth, response=\"8ca523f5e9506fed4657c9700eebdbec\", opaque=\"{OPAQUE}\""
            )
        );
        assert_eq!(digest(&written), d);
    }

    #[test]
    fn rfc7617_2_basic_example() {
        let c = parse_authorization(b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!(c, Credentials::basic("Aladdin", "open sesame"));
        assert_eq!(c.to_header_value(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(c.user(), "Aladdin");
        assert_eq!(c.scheme(), Scheme::Basic);
        // Scheme case, surrounding and separating white space.
        assert_eq!(
            parse_authorization(b"  bAsIc \t QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n").unwrap(),
            c
        );
        // The user ends at the first colon.
        let c =
            parse_authorization(format!("Basic {}", STANDARD.encode("a:b:c")).as_bytes()).unwrap();
        assert_eq!(c, Credentials::basic("a", "b:c"));
        // UTF-8 (RFC 7617 §2.1).
        let c = parse_authorization(format!("Basic {}", STANDARD.encode("test:123£")).as_bytes())
            .unwrap();
        assert_eq!(c, Credentials::basic("test", "123£"));
    }

    #[test]
    fn digest_parsing_details() {
        // Names case-insensitive, white space around '=' and ',', empty
        // list elements, token or quoted values, escapes, unknown params
        // ignored, uppercase response lowercased, algorithm default MD5.
        let d = digest(&format!(
            "DIGEST ,UserName = \"a\\\"b\\\\c\" ,, REALM=r , Nonce=\"n\", URI=\"/p?q=1\", response={}, domain=\"x\", userhash=false,",
            "ABCDEF0123456789abcdef0123456789"
        ));
        assert_eq!(d.username, "a\"b\\c");
        assert_eq!(d.realm, "r");
        assert_eq!(d.uri, "/p?q=1");
        assert_eq!(d.response, "abcdef0123456789abcdef0123456789");
        assert_eq!(d.algorithm, DigestAlgorithm::Md5);
        assert_eq!((d.qop, d.nc, d.cnonce, d.opaque), (None, None, None, None));
        let d = digest(&format!(
            "Digest username=u, realm=r, nonce=n, uri=\"/\", algorithm=\"sha-256\", response=\"{}\"",
            "f".repeat(64)
        ));
        assert_eq!(d.algorithm, DigestAlgorithm::Sha256);
    }

    // --- One case per error variant ----------------------------------------

    #[test]
    fn error_empty() {
        assert_eq!(err(""), AuthHeaderError::Empty);
        assert_eq!(err(" \t\r\n"), AuthHeaderError::Empty);
    }

    #[test]
    fn error_too_long() {
        let long = format!("Basic {}", "A".repeat(MAX_HEADER_LEN));
        assert_eq!(
            err(&long),
            AuthHeaderError::TooLong {
                len: MAX_HEADER_LEN + 6
            }
        );
        assert!(err(&long).to_string().contains("4096"));
    }

    #[test]
    fn error_unknown_scheme() {
        assert_eq!(
            err("Bearer abc"),
            AuthHeaderError::UnknownScheme("Bearer".into())
        );
        assert_eq!(
            err("Basicabc"),
            AuthHeaderError::UnknownScheme("Basicabc".into())
        );
        let e = err(&"x".repeat(200));
        assert!(
            matches!(&e, AuthHeaderError::UnknownScheme(s) if s.chars().count() == MAX_SHOWN + 1)
        );
    }

    #[test]
    fn error_basic_not_base64() {
        assert_eq!(err("Basic"), AuthHeaderError::BasicNotBase64);
        assert_eq!(err("Basic !!!!"), AuthHeaderError::BasicNotBase64);
        // RFC 7617 uses padded base64.
        assert_eq!(
            err("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ"),
            AuthHeaderError::BasicNotBase64
        );
        assert_eq!(
            err("Basic QWxh ZGRpbjpvcGVuIHNlc2FtZQ=="),
            AuthHeaderError::BasicNotBase64
        );
        // URL-safe alphabet.
        assert_eq!(err("Basic _-8="), AuthHeaderError::BasicNotBase64);
    }

    #[test]
    fn error_basic_not_utf8() {
        let v = format!("Basic {}", STANDARD.encode(b"\xff\xfe:pw"));
        assert_eq!(err(&v), AuthHeaderError::BasicNotUtf8);
    }

    #[test]
    fn error_basic_no_colon() {
        let v = format!("Basic {}", STANDARD.encode("aladdin"));
        assert_eq!(err(&v), AuthHeaderError::BasicNoColon);
    }

    #[test]
    fn error_basic_control_char() {
        for raw in ["al\u{1}addin:x", "a:pass\tword", "a:b\u{7f}"] {
            let v = format!("Basic {}", STANDARD.encode(raw));
            assert_eq!(err(&v), AuthHeaderError::BasicControlChar, "{raw:?}");
        }
    }

    #[test]
    fn error_digest_syntax() {
        let syntax = |v: &str| match err(v) {
            AuthHeaderError::DigestSyntax { at, reason } => (at, reason),
            other => panic!("{v:?}: {other:?}"),
        };
        assert_eq!(
            syntax("Digest username"),
            (15, "expected '=' after the parameter name")
        );
        assert_eq!(
            syntax("Digest username=").1,
            "expected a token or a quoted string as the value"
        );
        assert_eq!(syntax("Digest username=\"abc").0, 16);
        assert_eq!(
            syntax("Digest username=\"abc").1,
            "unterminated quoted string"
        );
        assert_eq!(
            syntax("Digest username=\"a\u{1}b\"").1,
            "control character in a quoted string"
        );
        assert_eq!(
            syntax("Digest username=\"ab\\").1,
            "backslash at the end of a quoted string"
        );
        assert_eq!(
            syntax("Digest username=\"ab\\\u{1}\"").1,
            "control character after a backslash"
        );
        assert_eq!(
            syntax("Digest username=a realm=b").1,
            "expected ',' after a parameter"
        );
        assert_eq!(syntax("Digest =a").1, "expected a parameter name");
        assert_eq!(
            syntax("Digest user@name=a").1,
            "expected '=' after the parameter name"
        );
        let e = err("Digest username=\"abc");
        assert_eq!(
            e.to_string(),
            "malformed Digest credentials at byte 16: unterminated quoted string"
        );
    }

    #[test]
    fn error_digest_duplicate() {
        assert_eq!(
            err(&digest_with(", USERNAME=\"again\"")),
            AuthHeaderError::DigestDuplicate("username".into())
        );
    }

    #[test]
    fn error_digest_missing() {
        let full = [
            ("username", "username=\"u\""),
            ("realm", "realm=\"r\""),
            ("nonce", "nonce=\"n\""),
            ("uri", "uri=\"/\""),
            ("response", "response=\"00000000000000000000000000000000\""),
        ];
        for (missing, _) in full {
            let rest: Vec<&str> = full
                .iter()
                .filter(|(n, _)| *n != missing)
                .map(|(_, p)| *p)
                .collect();
            let v = format!("Digest {}", rest.join(", "));
            assert_eq!(err(&v), AuthHeaderError::DigestMissing(missing), "{v}");
        }
        assert_eq!(err("Digest"), AuthHeaderError::DigestMissing("username"));
        assert_eq!(
            err(&digest_with(", qop=auth, cnonce=\"c\"")),
            AuthHeaderError::DigestMissing("nc")
        );
        assert_eq!(
            err(&digest_with(", qop=auth, nc=00000001")),
            AuthHeaderError::DigestMissing("cnonce")
        );
    }

    #[test]
    fn error_digest_bad_value() {
        let param = |extra: &str| match err(&digest_with(extra)) {
            AuthHeaderError::DigestBadValue { param, .. } => param,
            other => panic!("{extra:?}: {other:?}"),
        };
        assert_eq!(param(", qop=auth, nc=1, cnonce=c"), "nc");
        assert_eq!(param(", nc=0000000g"), "nc");
        assert_eq!(param(", qop=\"auth auth\", nc=00000001, cnonce=c"), "qop");
        assert_eq!(param(", userhash=true"), "userhash");
        assert_eq!(param(", userhash=maybe"), "userhash");
        assert_eq!(param(", username*=UTF-8''J%C3%A4s%C3%B8n"), "username*");
        // response: the algorithm's length, hex.
        let e = err("Digest username=u, realm=r, nonce=n, uri=\"/\", algorithm=SHA-256, response=\"00000000000000000000000000000000\"");
        assert_eq!(
            e.to_string(),
            "Digest parameter 'response': expected 64 hex digits for SHA-256, got \"00000000000000000000000000000000\""
        );
        let e = err(&format!(
            "Digest username=u, realm=r, nonce=n, uri=\"/\", response=\"{}\"",
            "z".repeat(32)
        ));
        assert!(matches!(e, AuthHeaderError::DigestBadValue { param, .. } if param == "response"));
    }

    #[test]
    fn error_digest_value_not_utf8() {
        let mut v = digest_with(", opaque=\"").into_bytes();
        v.extend_from_slice(b"\xff\xfe\"");
        assert_eq!(
            parse_authorization(&v),
            Err(AuthHeaderError::DigestBadValue {
                param: "opaque".into(),
                reason: "not valid UTF-8".into()
            })
        );
    }

    #[test]
    fn error_too_many_params() {
        let extra: String = (0..MAX_PARAMS).map(|i| format!(", x{i}=1")).collect();
        assert_eq!(err(&digest_with(&extra)), AuthHeaderError::TooManyParams);
        let fits: String = (0..MAX_PARAMS - 5).map(|i| format!(", x{i}=1")).collect();
        assert!(parse_authorization(digest_with(&fits).as_bytes()).is_ok());
    }

    #[test]
    fn error_unsupported_and_session_algorithms() {
        assert_eq!(
            err(&digest_with(", algorithm=SHA-512-256")),
            AuthHeaderError::UnsupportedAlgorithm("SHA-512-256".into())
        );
        assert_eq!(
            err(&digest_with(", algorithm=MD5-sess")),
            AuthHeaderError::SessionAlgorithm("MD5-sess".into())
        );
        assert_eq!(
            "sha-256-SESS".parse::<DigestAlgorithm>(),
            Err(AlgorithmError::Session("sha-256-SESS".into()))
        );
        assert_eq!("md5".parse::<DigestAlgorithm>(), Ok(DigestAlgorithm::Md5));
        assert_eq!(
            "Sha-256".parse::<DigestAlgorithm>(),
            Ok(DigestAlgorithm::Sha256)
        );
        assert_eq!(
            "".parse::<DigestAlgorithm>(),
            Err(AlgorithmError::Unknown(String::new()))
        );
        // Not a char boundary five bytes from the end: no panic.
        assert!(matches!(
            "é-sess".parse::<DigestAlgorithm>(),
            Err(AlgorithmError::Session(_))
        ));
        assert!(matches!(
            "aé£".parse::<DigestAlgorithm>(),
            Err(AlgorithmError::Unknown(_))
        ));
    }

    #[test]
    fn error_challenge_variants() {
        let e = |v: &str| parse_challenges(v).unwrap_err();
        assert!(matches!(
            e("Basic realm=\"x\" charset=\"UTF-8\""),
            AuthHeaderError::ChallengeSyntax { .. }
        ));
        assert!(matches!(
            e("Basic\"x\""),
            AuthHeaderError::ChallengeSyntax { at: 5, .. }
        ));
        assert!(matches!(
            e("=x"),
            AuthHeaderError::ChallengeSyntax { at: 0, .. }
        ));
        assert!(matches!(
            e("Basic abc=="),
            AuthHeaderError::ChallengeSyntax { at: 0, .. }
        ));
        assert_eq!(
            e("Basic realm=a, Realm=b"),
            AuthHeaderError::ChallengeDuplicate {
                scheme: "Basic",
                param: "realm".into()
            }
        );
        assert_eq!(
            e("Basic charset=\"UTF-8\""),
            AuthHeaderError::ChallengeMissing {
                scheme: "Basic",
                param: "realm"
            }
        );
        assert_eq!(
            e("Digest realm=\"r\""),
            AuthHeaderError::ChallengeMissing {
                scheme: "Digest",
                param: "nonce"
            }
        );
        assert!(matches!(
            e("Basic realm=\"r\", charset=latin1"),
            AuthHeaderError::ChallengeBadValue { scheme: "Basic", param, .. } if param == "charset"
        ));
        assert!(matches!(
            e("Digest realm=\"r\", nonce=\"n\", stale=yes"),
            AuthHeaderError::ChallengeBadValue { scheme: "Digest", param, .. } if param == "stale"
        ));
        assert_eq!(
            e("Negotiate abc=="),
            AuthHeaderError::UnknownScheme("Negotiate".into())
        );
        assert_eq!(
            e("Digest realm=r, nonce=n, algorithm=SHA-512-256"),
            AuthHeaderError::UnsupportedAlgorithm("SHA-512-256".into())
        );
        assert_eq!(e(" , "), AuthHeaderError::Empty);
        assert_eq!(
            e(&"a".repeat(MAX_HEADER_LEN + 1)),
            AuthHeaderError::TooLong {
                len: MAX_HEADER_LEN + 1
            }
        );
        let many: String = (0..=MAX_PARAMS).map(|i| format!(", x{i}=1")).collect();
        assert_eq!(
            e(&format!("Basic realm=r{many}")),
            AuthHeaderError::TooManyParams
        );
    }

    #[test]
    fn error_messages_read_well() {
        assert_eq!(
            err("Bearer x").to_string(),
            "unknown authentication scheme 'Bearer' (supported: Basic, Digest)"
        );
        assert_eq!(
            err(&digest_with(", realm=x")).to_string(),
            "Digest parameter 'realm' is given twice"
        );
        assert_eq!(
            err("Digest").to_string(),
            "Digest credentials lack the 'username' parameter"
        );
        assert_eq!(
            err(&digest_with(", algorithm=MD5-sess")).to_string(),
            "session digest algorithm 'MD5-sess' is not supported (supported: MD5, SHA-256)"
        );
    }

    // --- Challenges --------------------------------------------------------

    #[test]
    fn rfc7616_3_9_1_challenges() {
        let value = format!(
            "Digest realm=\"{REALM}\", qop=\"auth, auth-int\", algorithm=SHA-256, nonce=\"{NONCE}\", opaque=\"{OPAQUE}\", Digest realm=\"{REALM}\", qop=\"auth, auth-int\", algorithm=MD5, nonce=\"{NONCE}\", opaque=\"{OPAQUE}\""
        );
        let cs = parse_challenges(&value).unwrap();
        assert_eq!(cs.len(), 2);
        let want = |alg| Challenge {
            scheme: Scheme::Digest,
            realm: REALM.into(),
            nonce: Some(NONCE.into()),
            opaque: Some(OPAQUE.into()),
            algorithm: Some(alg),
            qop: Some("auth, auth-int".into()),
            stale: false,
        };
        assert_eq!(
            cs,
            [want(DigestAlgorithm::Sha256), want(DigestAlgorithm::Md5)]
        );
        // Answering the MD5 one gives the RFC's response.
        let answer =
            DigestResponse::answer(&cs[1], USER, PASSWORD, "GET", "/dir/index.html", CNONCE, 1);
        assert_eq!(answer.response, "8ca523f5e9506fed4657c9700eebdbec");
        assert_eq!(answer, digest(RFC7616_MD5_HEADER));
        let answer =
            DigestResponse::answer(&cs[0], USER, PASSWORD, "GET", "/dir/index.html", CNONCE, 1);
        assert_eq!(
            answer.response,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn rfc7235_4_1_mixed_challenges_skip_unknown_schemes() {
        let value = "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"";
        assert_eq!(
            parse_challenges(value).unwrap(),
            [Challenge::basic("simple")]
        );
        let value = "Negotiate, NTLM abc==, Basic realm=\"x\", charset=\"utf-8\", Bearer";
        assert_eq!(parse_challenges(value).unwrap(), [Challenge::basic("x")]);
        let value = "Digest realm=r, nonce=n, algorithm=MD5-sess, Basic realm=b";
        assert_eq!(parse_challenges(value).unwrap(), [Challenge::basic("b")]);
    }

    #[test]
    fn challenge_headers_as_written() {
        assert_eq!(
            Challenge::basic("printer").to_header_value(),
            "Basic realm=\"printer\", charset=\"UTF-8\""
        );
        let mut c = Challenge::digest("printer", "abc=", DigestAlgorithm::Md5);
        c.opaque = Some("o".into());
        assert_eq!(
            c.to_header_value(),
            "Digest realm=\"printer\", qop=\"auth\", algorithm=MD5, nonce=\"abc=\", opaque=\"o\""
        );
        c.stale = true;
        assert!(c.to_header_value().ends_with(", stale=true"));
        assert_eq!(parse_challenges(&c.to_header_value()).unwrap(), [c.clone()]);
        let both = [c.clone(), Challenge::basic("printer")];
        assert_eq!(
            parse_challenges(&challenges_to_header_value(&both)).unwrap(),
            both
        );
    }

    // --- Nonces ------------------------------------------------------------

    fn mint() -> NonceMint {
        NonceMint::new([7; 32])
    }

    #[test]
    fn nonce_valid_stale_forged() {
        let m = mint();
        let n = m.mint(1_000_000);
        assert_eq!(n.len(), 32);
        assert_eq!(m.check(&n, 1_000_000, 60_000), NonceCheck::Valid);
        assert_eq!(m.check(&n, 1_060_000, 60_000), NonceCheck::Valid);
        assert_eq!(m.check(&n, 1_060_001, 60_000), NonceCheck::Stale);
        // A little in the future is fine, more than a second is not.
        assert_eq!(m.check(&n, 999_000, 60_000), NonceCheck::Valid);
        assert_eq!(m.check(&n, 998_999, 60_000), NonceCheck::Forged);
        // Another secret's, tampered, truncated, garbage.
        assert_eq!(
            NonceMint::new([8; 32]).check(&n, 1_000_000, 60_000),
            NonceCheck::Forged
        );
        let mut raw = STANDARD.decode(&n).unwrap();
        raw[7] ^= 1;
        assert_eq!(
            m.check(&STANDARD.encode(&raw), 1_000_000, 60_000),
            NonceCheck::Forged
        );
        assert_eq!(m.check(&n[..28], 1_000_000, 60_000), NonceCheck::Forged);
        assert_eq!(m.check("", 1_000_000, 60_000), NonceCheck::Forged);
        assert_eq!(
            m.check("not base64!", 1_000_000, 60_000),
            NonceCheck::Forged
        );
        assert_eq!(m.check(NONCE, 1_000_000, 60_000), NonceCheck::Forged);
        // Extremes do not overflow.
        assert_eq!(m.check(&m.mint(u64::MAX), u64::MAX, 0), NonceCheck::Valid);
        assert_eq!(m.check(&m.mint(0), u64::MAX, u64::MAX), NonceCheck::Valid);
        assert_eq!(m.check(&m.mint(0), u64::MAX, 5), NonceCheck::Stale);
        assert_eq!(format!("{m:?}"), "NonceMint { .. }");
    }

    #[test]
    fn ct_eq_compares() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(!ct_eq(b"\x00", b"\x80"));
    }

    // --- Verifier ----------------------------------------------------------

    const NOW: u64 = 5_000_000;
    const MAX_AGE: u64 = 30_000;

    fn users() -> Users {
        Users::parse("alice:wonderland\nbob:builder:with:colons\n", "test").unwrap()
    }

    fn verifier<'a>(users: &'a Users, mint: &'a NonceMint) -> Verifier<'a> {
        Verifier {
            users,
            realm: "printer",
            mint,
            nonce_max_age_ms: MAX_AGE,
        }
    }

    #[test]
    fn verify_basic() {
        let (u, m) = (users(), mint());
        let v = verifier(&u, &m);
        let check = |user: &str, pw: &str| {
            v.verify(&Credentials::basic(user, pw), "POST", "/ipp/print", NOW)
        };
        assert_eq!(
            check("alice", "wonderland"),
            Verdict::Authenticated("alice".into())
        );
        assert_eq!(
            check("bob", "builder:with:colons"),
            Verdict::Authenticated("bob".into())
        );
        assert_eq!(
            check("alice", "wonderlan"),
            Verdict::WrongPassword("alice".into())
        );
        assert_eq!(check("alice", ""), Verdict::WrongPassword("alice".into()));
        assert_eq!(check("carol", "x"), Verdict::UnknownUser("carol".into()));
        assert_eq!(
            check("Alice", "wonderland"),
            Verdict::UnknownUser("Alice".into())
        );
        assert!(check("alice", "wonderland").is_authenticated());
        assert!(!check("alice", "x").is_authenticated());
        assert_eq!(check("alice", "x").user(), "alice");
        // Through the header, both ways.
        let header = Credentials::basic("alice", "wonderland").to_header_value();
        let creds = parse_authorization(header.as_bytes()).unwrap();
        assert!(v.verify(&creds, "POST", "/", NOW).is_authenticated());
    }

    /// A client's Digest credentials, through the header both ways.
    fn client(
        v: &Verifier<'_>,
        minted_at: u64,
        user: &str,
        pw: &str,
        uri: &str,
        qop: bool,
        alg: DigestAlgorithm,
    ) -> Credentials {
        let mut challenge = v.challenge(Scheme::Digest, alg, minted_at, false);
        if !qop {
            challenge.qop = None;
        }
        let challenge = parse_challenges(&challenge.to_header_value())
            .unwrap()
            .remove(0);
        let d = DigestResponse::answer(&challenge, user, pw, "POST", uri, "cn0nce", 1);
        assert_eq!(d.qop.is_some(), qop);
        parse_authorization(Credentials::Digest(d).to_header_value().as_bytes()).unwrap()
    }

    #[test]
    fn verify_digest_verdicts() {
        let (u, m) = (users(), mint());
        let v = verifier(&u, &m);
        let md5 = DigestAlgorithm::Md5;
        for alg in [md5, DigestAlgorithm::Sha256] {
            for qop in [true, false] {
                let c = client(&v, NOW, "alice", "wonderland", "/ipp/print", qop, alg);
                assert_eq!(
                    v.verify(&c, "POST", "/ipp/print", NOW),
                    Verdict::Authenticated("alice".into())
                );
            }
        }
        let good = client(&v, NOW, "alice", "wonderland", "/ipp/print", true, md5);
        let ok = |c: &Credentials, uri: &str, now: u64| v.verify(c, "POST", uri, now);
        // The method is part of HA2.
        assert_eq!(
            v.verify(&good, "GET", "/ipp/print", NOW),
            Verdict::WrongPassword("alice".into())
        );
        let c = client(&v, NOW, "alice", "wonderlan", "/ipp/print", true, md5);
        assert_eq!(
            ok(&c, "/ipp/print", NOW),
            Verdict::WrongPassword("alice".into())
        );
        let c = client(&v, NOW, "mallory", "x", "/ipp/print", true, md5);
        assert_eq!(
            ok(&c, "/ipp/print", NOW),
            Verdict::UnknownUser("mallory".into())
        );
        assert_eq!(
            ok(&good, "/ipp/other", NOW),
            Verdict::UriMismatch("alice".into())
        );
        // Right password, old nonce: stale. Wrong password, old nonce: wrong.
        assert_eq!(
            ok(&good, "/ipp/print", NOW + MAX_AGE + 1),
            Verdict::StaleNonce("alice".into())
        );
        let c = client(&v, NOW, "alice", "nope", "/ipp/print", true, md5);
        assert_eq!(
            ok(&c, "/ipp/print", NOW + MAX_AGE + 1),
            Verdict::WrongPassword("alice".into())
        );
        // Another mint's nonce, or one from the future.
        let other = NonceMint::new([9; 32]);
        let c = client(
            &verifier(&u, &other),
            NOW,
            "alice",
            "wonderland",
            "/ipp/print",
            true,
            md5,
        );
        assert_eq!(
            ok(&c, "/ipp/print", NOW),
            Verdict::ForgedNonce("alice".into())
        );
        let c = client(
            &v,
            NOW + 5_000,
            "alice",
            "wonderland",
            "/ipp/print",
            true,
            md5,
        );
        assert_eq!(
            ok(&c, "/ipp/print", NOW),
            Verdict::ForgedNonce("alice".into())
        );
        // Another realm.
        let Credentials::Digest(mut d) = good.clone() else {
            unreachable!()
        };
        d.realm = "elsewhere".into();
        assert_eq!(
            v.verify(&Credentials::Digest(d.clone()), "POST", "/ipp/print", NOW),
            Verdict::WrongRealm("alice".into())
        );
        // qop without nc/cnonce cannot be checked.
        let Credentials::Digest(mut d) = good.clone() else {
            unreachable!()
        };
        d.nc = None;
        assert_eq!(
            v.verify(&Credentials::Digest(d), "POST", "/ipp/print", NOW),
            Verdict::WrongPassword("alice".into())
        );
        // Uppercase hex in a hand-built response still compares.
        let Credentials::Digest(mut d) = good.clone() else {
            unreachable!()
        };
        d.response = d.response.to_ascii_uppercase();
        assert!(v
            .verify(&Credentials::Digest(d), "POST", "/ipp/print", NOW)
            .is_authenticated());
    }

    #[test]
    fn verify_digest_absolute_uri() {
        let (u, m) = (users(), mint());
        let v = verifier(&u, &m);
        let md5 = DigestAlgorithm::Md5;
        let c = client(
            &v,
            NOW,
            "alice",
            "wonderland",
            "ipp://printer.local:631/ipp/print",
            true,
            md5,
        );
        assert!(v.verify(&c, "POST", "/ipp/print", NOW).is_authenticated());
        assert!(v
            .verify(&c, "POST", "ipp://printer.local:631/ipp/print", NOW)
            .is_authenticated());
        assert_eq!(
            v.verify(&c, "POST", "/ipp/other", NOW),
            Verdict::UriMismatch("alice".into())
        );
        let c = client(&v, NOW, "alice", "wonderland", "http://h?x=1", true, md5);
        assert!(v.verify(&c, "POST", "/?x=1", NOW).is_authenticated());
        // "://" in a query is not an absolute URI.
        let c = client(
            &v,
            NOW,
            "alice",
            "wonderland",
            "/a?u=http://h/ipp/print",
            true,
            md5,
        );
        assert_eq!(
            v.verify(&c, "POST", "/ipp/print", NOW),
            Verdict::UriMismatch("alice".into())
        );
        assert_eq!(path_and_query("http://h"), "/");
        assert_eq!(path_and_query("https://h:1/a/b?c#frag"), "/a/b?c");
        assert_eq!(path_and_query("/plain"), "/plain");
        assert_eq!(path_and_query("1http://h/x"), "1http://h/x");
    }

    #[test]
    fn verifier_challenges() {
        let (u, m) = (users(), mint());
        let v = verifier(&u, &m);
        assert_eq!(
            v.challenge(Scheme::Basic, DigestAlgorithm::Md5, NOW, false),
            Challenge::basic("printer")
        );
        let c = v.challenge(Scheme::Digest, DigestAlgorithm::Sha256, NOW, true);
        assert!(c.stale);
        assert_eq!(c.algorithm, Some(DigestAlgorithm::Sha256));
        assert_eq!(
            m.check(c.nonce.as_deref().unwrap(), NOW, 1),
            NonceCheck::Valid
        );
    }

    #[test]
    fn scheme_and_algorithm_serde() {
        assert_eq!(
            serde_json::from_str::<Scheme>("\"basic\"").unwrap(),
            Scheme::Basic
        );
        assert_eq!(
            serde_json::from_str::<Scheme>("\"digest\"").unwrap(),
            Scheme::Digest
        );
        assert!(serde_json::from_str::<Scheme>("\"Digest\"").is_err());
        assert_eq!(Scheme::default(), Scheme::Basic);
        assert_eq!(
            (Scheme::Basic.name(), Scheme::Digest.to_string()),
            ("Basic", "Digest".into())
        );
        assert_eq!(
            serde_json::from_str::<DigestAlgorithm>("\"sha-256\"").unwrap(),
            DigestAlgorithm::Sha256
        );
        assert_eq!(
            serde_json::to_string(&DigestAlgorithm::Sha256).unwrap(),
            "\"SHA-256\""
        );
        let e = serde_json::from_str::<DigestAlgorithm>("\"MD5-sess\"").unwrap_err();
        assert!(e.to_string().contains("session algorithm"), "{e}");
    }

    // --- Robustness --------------------------------------------------------

    #[test]
    fn every_prefix_parses_or_is_refused() {
        let basic = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==";
        let sha = DigestResponse::answer(
            &Challenge::digest(REALM, NONCE, DigestAlgorithm::Sha256),
            "a \"quoted\\\" user",
            PASSWORD,
            "GET",
            "/",
            CNONCE,
            7,
        );
        let sha = Credentials::Digest(sha).to_header_value();
        for header in [RFC7616_MD5_HEADER, basic, &sha] {
            let bytes = header.as_bytes();
            for end in 0..=bytes.len() {
                fuzz_authorization(&bytes[..end]);
                let r = parse_authorization(&bytes[..end]);
                if header.starts_with("Digest") && r.is_ok() {
                    // Only whole parameter lists parse: the cut is at a
                    // ',' (all the required ones come before it) or the end.
                    let t = bytes[..end]
                        .iter()
                        .rposition(|b| !matches!(b, b' ' | b','))
                        .map_or(0, |i| i + 1);
                    assert!(
                        bytes[t - 1] == b'"' && (t == bytes.len() || bytes[t] == b','),
                        "{end}: {r:?}"
                    );
                }
            }
            assert!(parse_authorization(bytes).is_ok());
        }
        let challenge = challenges_to_header_value(&[
            Challenge {
                opaque: Some("o\\\"".into()),
                stale: true,
                ..Challenge::digest(REALM, NONCE, DigestAlgorithm::Md5)
            },
            Challenge::basic("b"),
        ]);
        for end in 0..=challenge.len() {
            fuzz_authorization(&challenge.as_bytes()[..end]);
        }
    }

    #[test]
    fn fuzz_seeds() {
        for seed in [
            &b""[..],
            b"Digest",
            b"Digest ,,,,",
            b"Digest a=\"\\",
            b"Basic ====",
            b"Basic Og==",
            b"basic, digest realm=x, nonce=y",
            b"Digest realm=\"x\", nonce=\"y\", Basic realm=z, Negotiate abc==",
            b"\xff\xfe Digest",
            b"Digest username=\"\xc3\xa9\", realm=r, nonce=n, uri=\"/\", response=00000000000000000000000000000000",
        ] {
            fuzz_authorization(seed);
        }
        // Basic with an empty user and password is well-formed.
        assert_eq!(
            parse_authorization(b"Basic Og==").unwrap(),
            Credentials::basic("", "")
        );
    }

    // --- Property tests ----------------------------------------------------

    /// Printable text, quotes and backslashes included, some non-ASCII, and
    /// HTAB (allowed in quoted strings).
    fn text() -> impl Strategy<Value = String> {
        "[\t -~é€漢\u{1F5A8}]{0,24}"
    }

    fn algorithm() -> impl Strategy<Value = DigestAlgorithm> {
        prop_oneof![Just(DigestAlgorithm::Md5), Just(DigestAlgorithm::Sha256)]
    }

    fn digest_response_strategy() -> impl Strategy<Value = DigestResponse> {
        let qop_part = prop_oneof![
            ("[a-z-]{1,8}", "[0-9a-fA-F]{8}", text()).prop_map(|(q, n, c)| (
                Some(q),
                Some(n),
                Some(c)
            )),
            (
                proptest::option::of("[0-9a-fA-F]{8}"),
                proptest::option::of(text())
            )
                .prop_map(|(n, c)| (None, n, c)),
        ];
        (
            (text(), text(), text(), text()),
            algorithm(),
            "[0-9a-f]{64}",
            qop_part,
            proptest::option::of(text()),
        )
            .prop_map(
                |((username, realm, nonce, uri), algorithm, hex, (qop, nc, cnonce), opaque)| {
                    DigestResponse {
                        username,
                        realm,
                        nonce,
                        uri,
                        response: hex[..algorithm.hex_len()].to_string(),
                        algorithm,
                        qop,
                        nc,
                        cnonce,
                        opaque,
                    }
                },
            )
    }

    fn challenge_strategy() -> impl Strategy<Value = Challenge> {
        prop_oneof![
            text().prop_map(Challenge::basic),
            (
                text(),
                text(),
                proptest::option::of(text()),
                proptest::option::of(algorithm()),
                proptest::option::of(text()),
                any::<bool>(),
            )
                .prop_map(|(realm, nonce, opaque, algorithm, qop, stale)| Challenge {
                    scheme: Scheme::Digest,
                    realm,
                    nonce: Some(nonce),
                    opaque,
                    algorithm,
                    qop,
                    stale,
                }),
        ]
    }

    proptest! {
        #[test]
        fn basic_round_trips(user in "[ -9;-~é€漢]{0,24}", password in "[ -~é€漢]{0,24}") {
            let c = Credentials::basic(user, password);
            prop_assert_eq!(parse_authorization(c.to_header_value().as_bytes()), Ok(c));
        }

        #[test]
        fn digest_round_trips(d in digest_response_strategy()) {
            let c = Credentials::Digest(d);
            let written = c.to_header_value();
            prop_assert_eq!(parse_authorization(written.as_bytes()), Ok(c.clone()));
            // Prefixes never panic.
            for end in (0..written.len()).step_by(7) {
                fuzz_authorization(&written.as_bytes()[..end]);
            }
        }

        #[test]
        fn challenges_round_trip(cs in proptest::collection::vec(challenge_strategy(), 1..4)) {
            let written = challenges_to_header_value(&cs);
            prop_assert_eq!(parse_challenges(&written), Ok(cs.clone()));
            for c in &cs {
                prop_assert_eq!(parse_challenges(&c.to_header_value()), Ok(vec![c.clone()]));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            fuzz_authorization(&data);
        }

        #[test]
        fn header_like_text_never_panics(
            s in "(Basic|Digest|digest|Negotiate)?[ ,=\"\\\\a-zA-Z0-9/+\t-]{0,80}"
        ) {
            fuzz_authorization(s.as_bytes());
        }

        #[test]
        fn answers_verify(user in "[a-z]{1,8}", password in "[ -9;-~]{1,16}", uri in "/[a-z/?=]{0,20}", alg in algorithm(), nc in 1u32..) {
            let users = Users::from_map(BTreeMap::from([(user.clone(), password.clone())])).unwrap();
            let m = mint();
            let v = verifier(&users, &m);
            let challenge = v.challenge(Scheme::Digest, alg, NOW, false);
            let d = DigestResponse::answer(&challenge, &user, &password, "POST", &uri, "c", nc);
            let c = parse_authorization(Credentials::Digest(d).to_header_value().as_bytes()).unwrap();
            prop_assert_eq!(v.verify(&c, "POST", &uri, NOW + 1), Verdict::Authenticated(user));
        }
    }
}
