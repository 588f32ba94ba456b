//! The security case format: TOML files under `suites/security/`, one
//! `[[case]]` each, with the identity fields every suite has (`id`, `level`,
//! `clause`, `title`, `requirement`) and what a security finding needs on
//! top: how bad it is, where the advice comes from, the CVEs, and the fix in
//! words an administrator acts on. What a case does is a built-in probe,
//! named by `probe` (see [`Probe`]): security checks are conversations
//! (read a value, set it back; create a job, cancel it as someone else)
//! rather than one request and one answer.
//!
//! ```toml
//! [[case]]
//! id = "security/authn/pause-printer"
//! level = "MUST"
//! clause = "RFC 8011 §5.2.1, §9.2"
//! title = "Pause-Printer without credentials is refused"
//! requirement = "…"
//! severity = "high"
//! references = ["RFC 8011 §9.2"]
//! cve = []
//! fix = "Require an administrator's password for printer administration."
//! probe = "pause-printer"
//! changes = true
//! ```
//!
//! A probe that changes the printer must be marked `changes = true` (it runs
//! only with `--allow-changes`), one that may disturb it `disruptive = true`
//! (only with `--allow-disruptive`); a probe graded by the user's policy
//! names the policy key (`policy = "tls"`). The loader checks all three
//! against the probe, so a case file cannot make a probe look harmless.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::policy::KEYS as POLICY_KEYS;
use crate::spec::{CaseFileError, Level};

/// How bad a finding is (CVSS-style words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Takeover of the printer or of the hosts that trust it.
    Critical,
    /// Administration or data open to anyone on the network.
    High,
    /// A weakness that needs a second one to hurt.
    Medium,
    /// Hardening advice.
    Low,
    /// Worth knowing, not a weakness in itself.
    Info,
}

impl Severity {
    /// Every severity, worst first.
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

/// The built-in probes a case can name. Each knows whether it changes the
/// printer, whether it may disturb it, and which policy key grades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Probe {
    /// A TLS handshake on the IPP port or the IPPS port.
    IppsOffered,
    /// TLS 1.0 and 1.1 (and 1.2 under a 1.3 policy) refused on every TLS port.
    TlsMinimum,
    /// The certificate's validity period includes now.
    CertificateNotExpired,
    /// The certificate names the host the printer was reached by.
    CertificateNamesHost,
    /// A self-signed certificate, graded by policy.
    CertificateSelfSigned,
    /// A plain-HTTP Validate-Job (print operations without TLS).
    PlainPrint,
    /// A plain-HTTP Set-Printer-Attributes of printer-info to its own value.
    PlainAdmin,
    /// Pause-Printer without credentials (then Resume-Printer).
    PausePrinter,
    /// Resume-Printer without credentials.
    ResumePrinter,
    /// Purge-Jobs without credentials.
    PurgeJobs,
    /// Set-Printer-Attributes (printer-info to its own value) without credentials.
    SetPrinterAttributes,
    /// Cancel-Job of another user's job without credentials.
    CancelOtherUsersJob,
    /// Validate-Job without credentials, graded by policy.
    AnonymousPrint,
    /// A challenged request sent again with wrong credentials.
    BadCredentialsRefused,
    /// SNMP v1/v2c Get with the community `public`.
    PublicCommunity,
    /// SNMP v2c wrong-typed Set with `private` and `public`.
    WriteCommunity,
    /// v1/v2c answered at all (SNMPv3 only is the hardened setting).
    V3Only,
    /// Which objects a write community may write.
    WritableObjects,
    /// Raw ports 9100–9102 open.
    RawPrintPorts,
    /// LPD port 515 open.
    LpdPort,
    /// A cups-browsed-style UDP 631 listener that calls back.
    CupsBrowsed,
    /// mDNS/DNS-SD announcements.
    Mdns,
    /// Malformed IPP messages, then is the printer still answering?
    MalformedIpp,
    /// Oversize attributes, then is the printer still answering?
    OversizeAttributes,
    /// Slow-loris connections, then is the printer still answering?
    SlowLoris,
    /// A bounded request flood, then is the printer still answering?
    RequestFlood,
}

impl Probe {
    /// Every probe.
    pub const ALL: [Probe; 26] = [
        Probe::IppsOffered,
        Probe::TlsMinimum,
        Probe::CertificateNotExpired,
        Probe::CertificateNamesHost,
        Probe::CertificateSelfSigned,
        Probe::PlainPrint,
        Probe::PlainAdmin,
        Probe::PausePrinter,
        Probe::ResumePrinter,
        Probe::PurgeJobs,
        Probe::SetPrinterAttributes,
        Probe::CancelOtherUsersJob,
        Probe::AnonymousPrint,
        Probe::BadCredentialsRefused,
        Probe::PublicCommunity,
        Probe::WriteCommunity,
        Probe::V3Only,
        Probe::WritableObjects,
        Probe::RawPrintPorts,
        Probe::LpdPort,
        Probe::CupsBrowsed,
        Probe::Mdns,
        Probe::MalformedIpp,
        Probe::OversizeAttributes,
        Probe::SlowLoris,
        Probe::RequestFlood,
    ];

    /// The name cases use.
    pub fn name(self) -> &'static str {
        match self {
            Probe::IppsOffered => "ipps-offered",
            Probe::TlsMinimum => "tls-minimum-version",
            Probe::CertificateNotExpired => "certificate-not-expired",
            Probe::CertificateNamesHost => "certificate-names-host",
            Probe::CertificateSelfSigned => "certificate-self-signed",
            Probe::PlainPrint => "plain-print",
            Probe::PlainAdmin => "plain-admin",
            Probe::PausePrinter => "pause-printer",
            Probe::ResumePrinter => "resume-printer",
            Probe::PurgeJobs => "purge-jobs",
            Probe::SetPrinterAttributes => "set-printer-attributes",
            Probe::CancelOtherUsersJob => "cancel-other-users-job",
            Probe::AnonymousPrint => "anonymous-print",
            Probe::BadCredentialsRefused => "bad-credentials-refused",
            Probe::PublicCommunity => "public-community",
            Probe::WriteCommunity => "write-community",
            Probe::V3Only => "v3-only",
            Probe::WritableObjects => "writable-objects",
            Probe::RawPrintPorts => "raw-print-ports",
            Probe::LpdPort => "lpd-port",
            Probe::CupsBrowsed => "cups-browsed",
            Probe::Mdns => "mdns",
            Probe::MalformedIpp => "malformed-ipp",
            Probe::OversizeAttributes => "oversize-attributes",
            Probe::SlowLoris => "slow-loris",
            Probe::RequestFlood => "request-flood",
        }
    }

    /// The probe called `name`.
    pub fn from_name(name: &str) -> Option<Probe> {
        Probe::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The policy key that grades it, if one does.
    pub fn policy_key(self) -> Option<&'static str> {
        Some(match self {
            Probe::IppsOffered | Probe::PlainPrint | Probe::PlainAdmin => "tls",
            Probe::TlsMinimum => "min-tls-version",
            Probe::CertificateSelfSigned => "self-signed-certificates",
            Probe::AnonymousPrint => "anonymous-printing",
            Probe::PublicCommunity | Probe::WriteCommunity | Probe::V3Only => "snmp",
            Probe::RawPrintPorts => "raw-printing",
            Probe::LpdPort => "lpd",
            Probe::Mdns => "mdns",
            _ => return None,
        })
    }

    /// Whether it changes the printer's state or jobs (pauses it, purges
    /// jobs, creates and cancels a job): it runs only with `--allow-changes`.
    pub fn changes(self) -> bool {
        matches!(
            self,
            Probe::PausePrinter
                | Probe::ResumePrinter
                | Probe::PurgeJobs
                | Probe::CancelOtherUsersJob
        )
    }

    /// Whether it talks IPP on the target's IPP port (it is skipped when
    /// that port takes no connection: a host graded for its SNMP alone).
    pub fn needs_ipp(self) -> bool {
        matches!(
            self,
            Probe::IppsOffered
                | Probe::PlainPrint
                | Probe::PlainAdmin
                | Probe::PausePrinter
                | Probe::ResumePrinter
                | Probe::PurgeJobs
                | Probe::SetPrinterAttributes
                | Probe::CancelOtherUsersJob
                | Probe::AnonymousPrint
                | Probe::BadCredentialsRefused
        ) || self.disruptive()
    }

    /// Whether it may disturb the printer (malformed input, load): it runs
    /// only with `--allow-disruptive`.
    pub fn disruptive(self) -> bool {
        matches!(
            self,
            Probe::MalformedIpp
                | Probe::OversizeAttributes
                | Probe::SlowLoris
                | Probe::RequestFlood
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecurityFile {
    #[serde(rename = "case", default)]
    cases: Vec<SecurityCase>,
}

/// A security case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecurityCase {
    /// Stable id: `security/<area>/<name>`.
    pub id: String,
    /// MUST, SHOULD or MAY.
    pub level: Level,
    /// The clause, as a person cites it.
    pub clause: String,
    /// A short title.
    pub title: String,
    /// The requirement, quoted from the spec or the hardening advice.
    pub requirement: String,
    /// How bad a finding is.
    pub severity: Severity,
    /// Where the advice comes from (RFCs, vendor guides, CIS).
    #[serde(default)]
    pub references: Vec<String>,
    /// CVE ids the finding is (part of).
    #[serde(default)]
    pub cve: Vec<String>,
    /// The setting to change, in words an administrator acts on.
    pub fix: String,
    /// The built-in probe's name (see [`Probe::name`]).
    pub probe: String,
    /// The policy key that grades it (must be the probe's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// It changes the printer (needs `--allow-changes`).
    #[serde(default)]
    pub changes: bool,
    /// It may disturb the printer (needs `--allow-disruptive`).
    #[serde(default)]
    pub disruptive: bool,
    /// Where it was loaded from (filled by the loader).
    #[serde(skip_deserializing, default)]
    pub source: String,
}

impl SecurityCase {
    /// The probe (the loader has checked the name).
    pub fn probe(&self) -> Option<Probe> {
        Probe::from_name(&self.probe)
    }

    /// What is wrong with the case, as (field, message).
    pub fn validate(&self) -> Result<Probe, (String, String)> {
        let bad = |f: &str, m: String| Err((f.to_string(), m));
        if !self.id.starts_with("security/") || self.id.split('/').count() != 3 {
            return bad("id", "security case ids are security/<area>/<name>".into());
        }
        for (field, text) in [
            ("clause", &self.clause),
            ("title", &self.title),
            ("requirement", &self.requirement),
            ("fix", &self.fix),
        ] {
            if text.trim().is_empty() {
                return bad(field, "must not be empty".into());
            }
        }
        for c in &self.cve {
            let ok = c
                .strip_prefix("CVE-")
                .and_then(|r| r.split_once('-'))
                .is_some_and(|(y, n)| {
                    y.len() == 4
                        && n.len() >= 4
                        && y.chars().all(|c| c.is_ascii_digit())
                        && n.chars().all(|c| c.is_ascii_digit())
                });
            if !ok {
                return bad("cve", format!("'{c}' is not a CVE id (CVE-YYYY-NNNN)"));
            }
        }
        let Some(probe) = self.probe() else {
            let names: Vec<&str> = Probe::ALL.iter().map(|p| p.name()).collect();
            return bad(
                "probe",
                format!(
                    "no built-in probe '{}' (there are: {})",
                    self.probe,
                    names.join(", ")
                ),
            );
        };
        match (&self.policy, probe.policy_key()) {
            (Some(k), _) if !POLICY_KEYS.contains(&k.as_str()) || k == "name" => {
                return bad("policy", format!("no policy key '{k}'"));
            }
            (Some(k), Some(want)) if k != want => {
                return bad(
                    "policy",
                    format!(
                        "probe {} is graded by policy key '{want}', not '{k}'",
                        probe.name()
                    ),
                );
            }
            (Some(k), None) => {
                return bad(
                    "policy",
                    format!("probe {} is not graded by a policy ('{k}')", probe.name()),
                );
            }
            (None, Some(want)) => {
                return bad(
                    "policy",
                    format!(
                        "probe {} is graded by the policy: add policy = \"{want}\"",
                        probe.name()
                    ),
                );
            }
            _ => {}
        }
        if probe.changes() != self.changes {
            return bad(
                "changes",
                if probe.changes() {
                    format!(
                        "probe {} changes the printer: add changes = true",
                        probe.name()
                    )
                } else {
                    format!("probe {} changes nothing: remove changes", probe.name())
                },
            );
        }
        if probe.disruptive() != self.disruptive {
            return bad(
                "disruptive",
                if probe.disruptive() {
                    format!(
                        "probe {} may disturb the printer: add disruptive = true",
                        probe.name()
                    )
                } else {
                    format!("probe {} disturbs nothing: remove disruptive", probe.name())
                },
            );
        }
        Ok(probe)
    }
}

/// Every case of every `.toml` file under `dir`, sorted by id.
pub fn load_dir(dir: &Path) -> Result<Vec<SecurityCase>, CaseFileError> {
    crate::spec::load_cases(dir, load_file, |c: &SecurityCase| c.id.as_str())
}

/// The cases of one file, each checked.
pub fn load_file(path: &Path) -> Result<Vec<SecurityCase>, CaseFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| CaseFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(&text, path)
}

/// The cases in `text` (read from `path`, which names it in errors).
pub fn load_str(text: &str, path: &Path) -> Result<Vec<SecurityCase>, CaseFileError> {
    let file: SecurityFile = toml::from_str(text).map_err(|e| CaseFileError::Toml {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    let mut out = Vec::with_capacity(file.cases.len());
    for mut c in file.cases {
        c.validate()
            .map_err(|(field, message)| CaseFileError::Invalid {
                path: path.to_path_buf(),
                case: c.id.clone(),
                field,
                message,
            })?;
        c.source = path.display().to_string();
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[case]]
id = "security/authn/pause-printer"
level = "MUST"
clause = "RFC 8011 §9.2"
title = "t"
requirement = "r"
severity = "high"
fix = "f"
probe = "pause-printer"
changes = true
"#;

    fn load(text: &str) -> Result<Vec<SecurityCase>, String> {
        load_str(text, Path::new("x.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn probes_round_trip_their_names() {
        for p in Probe::ALL {
            assert_eq!(Probe::from_name(p.name()), Some(p));
            if let Some(k) = p.policy_key() {
                assert!(POLICY_KEYS.contains(&k), "{k}");
            }
            assert!(!(p.changes() && p.disruptive()));
        }
        assert_eq!(Probe::from_name("nope"), None);
        assert!(Severity::Critical < Severity::Info);
    }

    #[test]
    fn a_good_case_loads() {
        let c = load(GOOD).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c[0].probe(), Some(Probe::PausePrinter));
        assert_eq!(c[0].severity, Severity::High);
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            (
                GOOD.replace("probe = \"pause-printer\"", "probe = \"pause\""),
                "no built-in probe 'pause'",
            ),
            (GOOD.replace("changes = true", ""), "add changes = true"),
            (
                GOOD.replace("changes = true", "changes = true\ndisruptive = true"),
                "remove disruptive",
            ),
            (
                GOOD.replace("changes = true", "changes = true\npolicy = \"tls\""),
                "not graded by a policy",
            ),
            (
                GOOD.replace("fix = \"f\"", "fix = \" \""),
                "fix: must not be empty",
            ),
            (
                GOOD.replace("security/authn/pause-printer", "authn/pause-printer"),
                "security/<area>/<name>",
            ),
            (
                GOOD.replace("changes = true", "changes = true\ncve = [\"CVE-24-1\"]"),
                "not a CVE id",
            ),
        ];
        for (text, want) in cases {
            let e = load(&text).err().unwrap_or_default();
            assert!(e.contains(want), "{want}: {e}");
        }
        let anon = GOOD
            .replace("probe = \"pause-printer\"", "probe = \"anonymous-print\"")
            .replace("changes = true", "");
        let e = load(&anon).err().unwrap_or_default();
        assert!(e.contains("add policy = \"anonymous-printing\""), "{e}");
        let e = load(&anon.replace("fix = \"f\"", "fix = \"f\"\npolicy = \"tls\""))
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("graded by policy key 'anonymous-printing', not 'tls'"),
            "{e}"
        );
        let e = load(&anon.replace("fix = \"f\"", "fix = \"f\"\npolicy = \"colour\""))
            .err()
            .unwrap_or_default();
        assert!(e.contains("no policy key 'colour'"), "{e}");
        assert!(load(&anon.replace(
            "fix = \"f\"",
            "fix = \"f\"\npolicy = \"anonymous-printing\""
        ))
        .is_ok());
    }

    #[test]
    fn unknown_keys_name_key_and_line() {
        let e = load(&GOOD.replace("changes = true", "changes = true\nseverty = \"low\""))
            .err()
            .unwrap_or_default();
        assert!(e.contains("severty"), "{e}");
        assert!(e.contains("line 12"), "{e}");
        let e = load(&GOOD.replace("\"high\"", "\"urgent\""))
            .err()
            .unwrap_or_default();
        assert!(e.contains("line 8") && e.contains("critical"), "{e}");
    }
}
