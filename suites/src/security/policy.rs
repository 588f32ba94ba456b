//! The user's security policy: what their organisation requires of a
//! printer, so the security suite grades against it rather than against one
//! fixed opinion.
//!
//! A TOML file, every key optional; the defaults follow common hardening
//! advice (CIS, the printer vendors' hardening guides, RFC 9325):
//!
//! ```toml
//! name = "Head office"
//! anonymous-printing = "warn"          # allowed | warn | forbidden
//! tls = "required"                     # required | preferred | optional
//! min-tls-version = "1.2"              # 1.2 | 1.3
//! self-signed-certificates = "allowed" # allowed | forbidden
//! raw-printing = "forbidden"           # allowed | warn | forbidden (ports 9100-9102)
//! lpd = "warn"                         # allowed | warn | forbidden (port 515)
//! snmp = "read-only"                   # v3-only | read-only | allowed
//! mdns = "allowed"                     # allowed | forbidden
//! ```
//!
//! An unknown key or a value that is not one of the listed ones is an
//! error naming its line ([`PolicyError::Parse`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::grade::Outcome;

/// The keys a policy file takes, in the order [`Policy::describe`] lists them.
pub const KEYS: &[&str] = &[
    "name",
    "anonymous-printing",
    "tls",
    "min-tls-version",
    "self-signed-certificates",
    "raw-printing",
    "lpd",
    "snmp",
    "mdns",
];

/// Allowed, allowed but reported, or not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stance {
    /// Allowed: the case passes, saying so.
    Allowed,
    /// Allowed but reported: the case warns.
    Warn,
    /// Not allowed: the case fails.
    Forbidden,
}

impl Stance {
    /// Its name in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Allowed => "allowed",
            Stance::Warn => "warn",
            Stance::Forbidden => "forbidden",
        }
    }

    /// The outcome when the thing the stance is about was found.
    pub fn outcome(self) -> Outcome {
        match self {
            Stance::Allowed => Outcome::Pass,
            Stance::Warn => Outcome::Warn,
            Stance::Forbidden => Outcome::Fail,
        }
    }
}

/// Allowed or not (no middle ground).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// Allowed: noted in the evidence.
    Allowed,
    /// Not allowed: the case fails.
    Forbidden,
}

impl Permission {
    /// Its name in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Allowed => "allowed",
            Permission::Forbidden => "forbidden",
        }
    }
}

/// Whether IPP must travel over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsPolicy {
    /// Plain IPP must not be accepted for administration (fail) and
    /// should not be for print data (warn); IPPS must be offered.
    Required,
    /// Plain IPP is reported (warn) for both.
    Preferred,
    /// Plain IPP is fine (pass, saying so).
    Optional,
}

impl TlsPolicy {
    /// Its name in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsPolicy::Required => "required",
            TlsPolicy::Preferred => "preferred",
            TlsPolicy::Optional => "optional",
        }
    }
}

/// The oldest TLS version a printer may accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MinTlsVersion {
    /// TLS 1.2 (RFC 8996 deprecates 1.0 and 1.1).
    #[serde(rename = "1.2")]
    Tls12,
    /// TLS 1.3 only.
    #[serde(rename = "1.3")]
    Tls13,
}

impl MinTlsVersion {
    /// `1.2` or `1.3`.
    pub fn as_str(self) -> &'static str {
        match self {
            MinTlsVersion::Tls12 => "1.2",
            MinTlsVersion::Tls13 => "1.3",
        }
    }
}

/// What SNMP may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnmpPolicy {
    /// Only SNMPv3 (user-based security, RFC 3414) may answer; any v1/v2c
    /// answer fails.
    V3Only,
    /// v1/v2c reads with a community of the organisation's own are
    /// tolerated (reported), but the default communities must not answer
    /// and no community may write.
    ReadOnly,
    /// v1/v2c is allowed, default communities included (reported); writing
    /// with a default community is still reported.
    Allowed,
}

impl SnmpPolicy {
    /// Its name in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            SnmpPolicy::V3Only => "v3-only",
            SnmpPolicy::ReadOnly => "read-only",
            SnmpPolicy::Allowed => "allowed",
        }
    }
}

/// A security policy. `Policy::default()` is the built-in one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Policy {
    /// A name for reports (default: `built-in defaults`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A Validate-Job without credentials accepted (default `warn`).
    #[serde(default = "stance_warn")]
    pub anonymous_printing: Stance,
    /// Whether IPP must be protected by TLS (default `required`).
    #[serde(default = "tls_required")]
    pub tls: TlsPolicy,
    /// The oldest TLS version the printer may accept (default `1.2`).
    #[serde(default = "tls12")]
    pub min_tls_version: MinTlsVersion,
    /// Whether a self-signed certificate is acceptable (default `allowed`:
    /// noted in the evidence).
    #[serde(default = "permission_allowed")]
    pub self_signed_certificates: Permission,
    /// Raw printing ports 9100–9102 open (default `forbidden`).
    #[serde(default = "stance_forbidden")]
    pub raw_printing: Stance,
    /// LPD port 515 open (default `warn`).
    #[serde(default = "stance_warn")]
    pub lpd: Stance,
    /// SNMP (default `read-only`).
    #[serde(default = "snmp_read_only")]
    pub snmp: SnmpPolicy,
    /// mDNS/DNS-SD announcements (default `allowed`).
    #[serde(default = "permission_allowed")]
    pub mdns: Permission,
}

fn stance_warn() -> Stance {
    Stance::Warn
}
fn stance_forbidden() -> Stance {
    Stance::Forbidden
}
fn tls_required() -> TlsPolicy {
    TlsPolicy::Required
}
fn tls12() -> MinTlsVersion {
    MinTlsVersion::Tls12
}
fn permission_allowed() -> Permission {
    Permission::Allowed
}
fn snmp_read_only() -> SnmpPolicy {
    SnmpPolicy::ReadOnly
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            name: None,
            anonymous_printing: stance_warn(),
            tls: tls_required(),
            min_tls_version: tls12(),
            self_signed_certificates: permission_allowed(),
            raw_printing: stance_forbidden(),
            lpd: stance_warn(),
            snmp: snmp_read_only(),
            mdns: permission_allowed(),
        }
    }
}

/// Why a policy file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Reading failed.
    #[error("cannot read the policy {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Malformed TOML, an unknown key or a bad value.
    #[error("{origin}: line {line}, column {column}: {message}")]
    Parse {
        /// The file, or `policy` for text.
        origin: String,
        /// 1-based line of the offending key or value (0 when unknown).
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, with the keys or values allowed.
        message: String,
    },
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit_once('\n')
        .map_or(before, |(_, l)| l)
        .chars()
        .count()
        + 1;
    (line, column)
}

impl Policy {
    /// The policy in `text`; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        toml::from_str::<Policy>(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            PolicyError::Parse {
                origin: origin.to_string(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })
    }

    /// The policy in the file at `path`.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Policy::parse(&text, &path.display().to_string())
    }

    /// The name for reports.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("built-in defaults")
    }

    /// The value of `key` (one of [`KEYS`] other than `name`) as written in
    /// a policy file.
    pub fn value_of(&self, key: &str) -> Option<&'static str> {
        Some(match key {
            "anonymous-printing" => self.anonymous_printing.as_str(),
            "tls" => self.tls.as_str(),
            "min-tls-version" => self.min_tls_version.as_str(),
            "self-signed-certificates" => self.self_signed_certificates.as_str(),
            "raw-printing" => self.raw_printing.as_str(),
            "lpd" => self.lpd.as_str(),
            "snmp" => self.snmp.as_str(),
            "mdns" => self.mdns.as_str(),
            _ => return None,
        })
    }

    /// One line for reports: the name, then every setting.
    pub fn describe(&self) -> String {
        let settings: Vec<String> = KEYS
            .iter()
            .filter_map(|k| self.value_of(k).map(|v| format!("{k} = {v}")))
            .collect();
        format!("{} ({})", self.display_name(), settings.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, String) {
        match Policy::parse(text, "p.toml") {
            Err(PolicyError::Parse { line, message, .. }) => (line, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_follow_best_practice() {
        let p = Policy::parse("", "p.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p, Policy::default());
        assert_eq!(p.anonymous_printing, Stance::Warn);
        assert_eq!(p.tls, TlsPolicy::Required);
        assert_eq!(p.min_tls_version, MinTlsVersion::Tls12);
        assert_eq!(p.self_signed_certificates, Permission::Allowed);
        assert_eq!(p.raw_printing, Stance::Forbidden);
        assert_eq!(p.lpd, Stance::Warn);
        assert_eq!(p.snmp, SnmpPolicy::ReadOnly);
        assert_eq!(p.mdns, Permission::Allowed);
        assert!(p
            .describe()
            .starts_with("built-in defaults (anonymous-printing = warn, tls = required"));
    }

    #[test]
    fn every_key_and_value() {
        let p = Policy::parse(
            "name = \"Lab\"\nanonymous-printing = \"allowed\"\ntls = \"optional\"\n\
             min-tls-version = \"1.3\"\nself-signed-certificates = \"forbidden\"\n\
             raw-printing = \"warn\"\nlpd = \"forbidden\"\nsnmp = \"v3-only\"\nmdns = \"forbidden\"\n",
            "p.toml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.display_name(), "Lab");
        assert_eq!(p.min_tls_version, MinTlsVersion::Tls13);
        assert_eq!(p.snmp, SnmpPolicy::V3Only);
        assert_eq!(p.raw_printing.outcome(), Outcome::Warn);
        for k in KEYS.iter().filter(|k| **k != "name") {
            assert!(p.value_of(k).is_some(), "{k}");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let (line, m) = err("tls = \"required\"\n\nanonymus-printing = \"allowed\"\n");
        assert_eq!(line, 3);
        assert!(m.contains("anonymus-printing"), "{m}");
        let (line, m) = err("# comment\nsnmp = \"v2c\"\n");
        assert_eq!(line, 2);
        assert!(m.contains("v3-only"), "{m}");
        let (line, _) = err("name = \"x\"\nmin-tls-version = 1.2\n");
        assert_eq!(line, 2);
        let (line, _) = err("lpd = \"warn\"\nlpd = \"allowed\"\n");
        assert_eq!(line, 2);
        let e = Policy::parse("raw-printing = \"never\"", "/etc/p.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("/etc/p.toml: line 1, column"), "{e}");
    }

    #[test]
    fn line_and_column() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
