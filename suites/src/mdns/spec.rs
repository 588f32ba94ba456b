//! The mDNS case format: TOML files under `suites/mdns/`, one `[[case]]`
//! each, with the identity fields of every suite and the name of the check
//! that grades it:
//!
//! ```toml
//! [[case]]
//! id = "mdns/rfc6762/10/record-ttls"
//! level = "SHOULD"
//! clause = "RFC 6762 §10"
//! title = "Records carry the recommended TTLs"
//! requirement = "…"
//! check = "record-ttls"
//! ```
//!
//! Every case starts from the same browse and resolution of the printer
//! ([`super::browse::discover`]); the check then grades what was heard, and
//! may send more (a probe, a legacy query, queries in quick succession) or
//! switch the printer off. The checks are listed in [`super::checks::CHECKS`].

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::spec::Level;

/// Why an mDNS suite file could not be loaded.
pub type MdnsSpecError = crate::spec::CaseFileError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MdnsFile {
    #[serde(rename = "case", default)]
    cases: Vec<MdnsCase>,
}

/// An mDNS / DNS-SD conformance case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MdnsCase {
    /// Stable id: `mdns/spec/clause/name`.
    pub id: String,
    /// MUST, SHOULD or MAY.
    pub level: Level,
    /// The clause, as a person cites it.
    pub clause: String,
    /// A short title.
    pub title: String,
    /// The requirement, quoted from the spec.
    pub requirement: String,
    /// The built-in check that grades it.
    pub check: String,
    /// Where it was loaded from (filled by the loader).
    #[serde(skip_deserializing, default)]
    pub source: String,
}

impl MdnsCase {
    /// Whether the case compares the TXT record with the printer's IPP answers.
    pub fn needs_ipp(&self) -> bool {
        super::checks::needs_ipp(&self.check)
    }
}

/// Every case of every `.toml` file under `dir`, sorted by id.
pub fn load_dir(dir: &Path) -> Result<Vec<MdnsCase>, MdnsSpecError> {
    crate::spec::load_cases(dir, load_file, |c: &MdnsCase| c.id.as_str())
}

/// The cases of one file, each checked.
pub fn load_file(path: &Path) -> Result<Vec<MdnsCase>, MdnsSpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| MdnsSpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file: MdnsFile = toml::from_str(&text).map_err(|e| MdnsSpecError::Toml {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    let mut out = Vec::with_capacity(file.cases.len());
    for mut c in file.cases {
        let invalid = |field: &str, message: String| MdnsSpecError::Invalid {
            path: path.to_path_buf(),
            case: c.id.clone(),
            field: field.to_string(),
            message,
        };
        if !c.id.starts_with("mdns/") {
            return Err(invalid("id", "mDNS case ids start with mdns/".into()));
        }
        if c.requirement.trim().is_empty() {
            return Err(invalid("requirement", "must quote the spec".into()));
        }
        if !super::checks::CHECKS.contains(&c.check.as_str()) {
            return Err(invalid(
                "check",
                format!(
                    "no built-in check '{}' (there are: {})",
                    c.check,
                    super::checks::CHECKS.join(", ")
                ),
            ));
        }
        c.source = path.display().to_string();
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_suite_loads_and_unknown_checks_are_refused() {
        let cases = load_dir(&crate::mdns_suite_dir()).unwrap();
        assert!(cases.len() >= 15, "{}", cases.len());
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.toml");
        std::fs::write(
            &f,
            "[[case]]\nid = \"mdns/x\"\nlevel = \"MUST\"\nclause = \"c\"\ntitle = \"t\"\nrequirement = \"r\"\ncheck = \"nope\"\n",
        )
        .unwrap();
        assert!(load_file(&f)
            .unwrap_err()
            .to_string()
            .contains("no built-in check"));
        std::fs::write(
            &f,
            "[[case]]\nid = \"ipp/x\"\nlevel = \"MUST\"\nclause = \"c\"\ntitle = \"t\"\nrequirement = \"r\"\ncheck = \"record-ttls\"\n",
        )
        .unwrap();
        assert!(load_file(&f)
            .unwrap_err()
            .to_string()
            .contains("start with mdns/"));
        std::fs::write(&f, "[[case]]\nid = \"mdns/x\"\nbogus = 1\n").unwrap();
        assert!(load_file(&f).is_err());
    }
}
