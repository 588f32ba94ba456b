//! TLS for IPPS: a certificate from files, or a self-signed one made at start.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::security::MinTls;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file holds no certificate or no private key.
    #[error("{path} holds no {what}")]
    Missing {
        /// The file.
        path: String,
        /// `certificate` or `private key`.
        what: &'static str,
    },
    /// Making the self-signed certificate failed.
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(String),
    /// rustls refused the certificate and key.
    #[error("TLS configuration refused: {0}")]
    Config(String),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate and the TLS configuration that serves it.
#[derive(Clone)]
pub struct TlsIdentity {
    /// The rustls configuration.
    pub config: Arc<rustls::ServerConfig>,
    /// The leaf certificate, DER (the `tls-legacy` preset sends it).
    pub cert_der: Vec<u8>,
    /// The certificate in PEM, when it was made here (clients can trust it).
    pub pem: Option<String>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_der", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    min: MinTls,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let versions: &[&'static rustls::SupportedProtocolVersion] = match min {
        MinTls::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        MinTls::Tls13 => &[&rustls::version::TLS13],
    };
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    // No TLS 1.3 session tickets, as cupsd and ippeveprinter send none:
    // libcups (2.4, GnuTLS) reads the two tickets rustls sends after the
    // handshake as the start of an answer, and then gives up ("Unable to
    // read response") or reconnects without end.
    cfg.send_tls13_tickets = 0;
    Ok(Arc::new(cfg))
}

/// A self-signed certificate for `names` (host names or IP addresses).
/// Returns the config and the certificate in PEM, so clients can trust it.
pub fn self_signed(names: &[String]) -> Result<(Arc<rustls::ServerConfig>, String), TlsError> {
    let id = self_signed_identity(names, Validity::Current, MinTls::Tls12)?;
    Ok((id.config, id.pem.unwrap_or_default()))
}

/// When a made certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From a day ago for ten years.
    Current,
    /// 2020-01-01 to 2021-01-01: expired (the `expired-certificate` preset).
    Expired,
}

/// A self-signed certificate for `names`, valid as `validity` says, served
/// with TLS `min` or later.
pub fn self_signed_identity(
    names: &[String],
    validity: Validity,
    min: MinTls,
) -> Result<TlsIdentity, TlsError> {
    let mut params = rcgen::CertificateParams::new(names.to_vec())
        .map_err(|e| TlsError::Generate(e.to_string()))?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(
        rcgen::DnType::CommonName,
        names.first().cloned().unwrap_or_else(|| "paperjam".into()),
    );
    dn.push(rcgen::DnType::OrganizationName, "paperjam virtual printer");
    params.distinguished_name = dn;
    match validity {
        Validity::Current => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let (y, m, d) = civil(now.saturating_sub(86_400));
            params.not_before = rcgen::date_time_ymd(y, m, d);
            params.not_after = rcgen::date_time_ymd(y + 10, m, d.min(28));
        }
        Validity::Expired => {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
    }
    let key_pair = rcgen::KeyPair::generate().map_err(|e| TlsError::Generate(e.to_string()))?;
    let cert = params
        .self_signed(&key_pair)
        .map_err(|e| TlsError::Generate(e.to_string()))?;
    let pem = cert.pem();
    let der = cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    Ok(TlsIdentity {
        cert_der: der.to_vec(),
        config: server_config(vec![der], key, min)?,
        pem: Some(pem),
    })
}

/// Year, month, day of a Unix time.
fn civil(secs: u64) -> (i32, u8, u8) {
    let (y, m, d) = crate::ipp::values::civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    (i32::try_from(y).unwrap_or(2026), m, d)
}

/// A certificate chain and key from PEM files.
pub fn from_files(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    Ok(from_files_identity(cert, key, MinTls::Tls12)?.config)
}

/// A certificate chain and key from PEM files, served with TLS `min` or later.
pub fn from_files_identity(cert: &Path, key: &Path, min: MinTls) -> Result<TlsIdentity, TlsError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| TlsError::Read {
            path: p.display().to_string(),
            source,
        })
    };
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|source| TlsError::Read {
            path: cert.display().to_string(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::Missing {
            path: cert.display().to_string(),
            what: "certificate",
        });
    }
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|source| TlsError::Read {
            path: key.display().to_string(),
            source,
        })?
        .ok_or_else(|| TlsError::Missing {
            path: key.display().to_string(),
            what: "private key",
        })?;
    let cert_der = certs.first().map(|c| c.to_vec()).unwrap_or_default();
    Ok(TlsIdentity {
        config: server_config(certs, key, min)?,
        cert_der,
        pem: None,
    })
}
