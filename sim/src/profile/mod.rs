//! Printer profiles: a printer model described in TOML.
//!
//! A profile names the printer (identity), how fast it prints, what it accepts
//! (document formats, media, trays), its supplies, and every other IPP printer
//! attribute with its syntax (`[ipp]`). Unknown keys are errors that name the key
//! and the line, so a typo never silently changes the printer.
//!
//! The embedded default ([`Profile::default_profile`]) is an IPP Everywhere
//! office laser: colour, duplex, PDF, JPEG, PWG Raster and Apple Raster.

pub mod derive;
mod media;
mod typed;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

pub use media::{MediaSize, MediaSizeError};
pub use typed::TypedValue;

/// The text of the embedded default profile, as shipped in `fixtures/printers/default.toml`.
pub const DEFAULT_PROFILE_TOML: &str = include_str!("../../../fixtures/printers/default.toml");

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys; the message names the key and the line.
    #[error("profile {origin}: {source}")]
    Toml {
        /// Where the text came from.
        origin: String,
        /// The parser's error, with line and column.
        source: Box<toml::de::Error>,
    },
    /// A value was well-formed TOML but is not valid for its field.
    #[error("profile {origin}: {field}: {message}")]
    Invalid {
        /// Where the text came from.
        origin: String,
        /// The field, as a dotted path.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// A printer model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Profile {
    /// Who the printer is.
    pub identity: Identity,
    /// How fast it prints.
    pub speed: SpeedSpec,
    /// Job handling.
    #[serde(default)]
    pub jobs: JobsSpec,
    /// Document formats.
    pub formats: FormatsSpec,
    /// Media sizes, types and sources.
    pub media: MediaSpec,
    /// Input trays.
    #[serde(default)]
    pub trays: Vec<TraySpec>,
    /// Marker supplies (toner, ink).
    #[serde(default)]
    pub supplies: Vec<SupplySpec>,
    /// Every other IPP printer attribute, by name, with its syntax:
    /// `sides-supported = { keyword = ["one-sided", "two-sided-long-edge"] }`.
    #[serde(default)]
    pub ipp: BTreeMap<String, TypedValue>,
    /// IPP printer attributes recorded from a real printer (written by
    /// `paperjam profile from-capture`): each stands in for the attribute the
    /// printer would compute from the sections above, so the printer answers
    /// as the recorded one did. Attributes that follow the printer's state
    /// (`printer-state`, times, `marker-levels`, …) cannot be recorded.
    #[serde(default)]
    pub ipp_recorded: BTreeMap<String, TypedValue>,
    /// Faults this printer always has: a scenario (`faults = [...]` raised at
    /// start, `[[scenario.step]]` a timeline), as in a scenario file.
    #[serde(default)]
    pub scenario: Option<crate::fault::scenario::ScenarioSpec>,
    /// The LPD front end (RFC 1179): queues served, source-port policy.
    #[serde(default)]
    pub lpd: LpdSpec,
    /// The SNMP agent: communities, identity, and MIB values imported from a
    /// recording of a real printer.
    #[serde(default)]
    pub snmp: SnmpSpec,
    /// mDNS/DNS-SD: TXT records recorded from a real printer.
    #[serde(default)]
    pub mdns: MdnsSpec,
    /// Security: authentication per operation class, TLS, access lists
    /// (see [`crate::security::SecuritySpec`]). Open by default, as most
    /// printers leave the factory.
    #[serde(default)]
    pub security: crate::security::SecuritySpec,
}

/// The mDNS responder (`[mdns]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MdnsSpec {
    /// TXT records recorded from a real printer (written by `paperjam profile
    /// from-capture`), by service type (`_ipp._tcp`, `_ipps._tcp`,
    /// `_printer._tcp`, `_pdl-datastream._tcp`): `key=value` strings in
    /// order, advertised instead of the ones built from the profile, except
    /// `rp` and `adminurl`, which say where this printer serves.
    #[serde(default)]
    pub txt: BTreeMap<String, Vec<String>>,
}

/// The SNMP agent (`[snmp]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SnmpSpec {
    /// Communities that may read (v1/v2c).
    #[serde(default = "default_read_communities")]
    pub read_communities: Vec<String>,
    /// Communities that may also write (SetRequest).
    #[serde(default = "default_write_communities")]
    pub write_communities: Vec<String>,
    /// `sysObjectID` (dotted); the PWG Port Monitor MIB's root by default.
    #[serde(default)]
    pub sys_object_id: Option<String>,
    /// `sysContact`.
    #[serde(default)]
    pub contact: String,
    /// The largest response the agent sends, in bytes (484–65507).
    #[serde(default = "default_max_message_size")]
    pub max_message_size: usize,
    /// A MIB dump (`snmpwalk -On` output or an snmpsim `.snmprec` file),
    /// relative to the profile file: its values stand in for the built ones,
    /// its supplies replace `[[supplies]]`, and its IEEE 1284 device ID the
    /// identity's. Objects that follow the printer's state stay live.
    #[serde(default)]
    pub walk: Option<std::path::PathBuf>,
    /// The values read from `walk` (filled when the profile is loaded).
    #[serde(skip)]
    pub imported: Arc<Vec<(crate::snmp::Oid, crate::snmp::Value)>>,
}

fn default_read_communities() -> Vec<String> {
    vec!["public".to_string()]
}

fn default_write_communities() -> Vec<String> {
    vec!["private".to_string()]
}

fn default_max_message_size() -> usize {
    65_507
}

impl Default for SnmpSpec {
    fn default() -> Self {
        SnmpSpec {
            read_communities: default_read_communities(),
            write_communities: default_write_communities(),
            sys_object_id: None,
            contact: String::new(),
            max_message_size: default_max_message_size(),
            walk: None,
            imported: Arc::new(Vec::new()),
        }
    }
}

/// The LPD front end (`[lpd]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LpdSpec {
    /// Queue names served; a job or query for any other queue is refused.
    #[serde(default = "default_lpd_queues")]
    pub queues: Vec<String>,
    /// Accept connections only from source ports 721–731 (RFC 1179 §3).
    /// Off by default: CUPS and LPRng send from other reserved ports.
    #[serde(default)]
    pub strict_source_port: bool,
}

fn default_lpd_queues() -> Vec<String> {
    vec!["lp".to_string()]
}

impl Default for LpdSpec {
    fn default() -> Self {
        LpdSpec {
            queues: default_lpd_queues(),
            strict_source_port: false,
        }
    }
}

/// Identity of the printer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Identity {
    /// `printer-name`.
    pub name: String,
    /// Manufacturer, for `printer-make-and-model` and the IEEE 1284 device ID.
    pub make: String,
    /// Model, for `printer-make-and-model` and the IEEE 1284 device ID.
    pub model: String,
    /// `printer-location`.
    #[serde(default)]
    pub location: String,
    /// `printer-info`.
    #[serde(default)]
    pub info: String,
    /// `printer-uuid` without the `urn:uuid:` prefix; derived from the name when absent.
    #[serde(default)]
    pub uuid: Option<String>,
    /// Serial number.
    #[serde(default)]
    pub serial: String,
    /// Firmware version string.
    #[serde(default)]
    pub firmware: String,
    /// IEEE 1284 device ID; derived from make, model and formats when absent.
    #[serde(default)]
    pub device_id: Option<String>,
}

/// Printing speed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SpeedSpec {
    /// Monochrome pages per minute.
    pub ppm: u32,
    /// Colour pages per minute (0 for a monochrome printer).
    #[serde(default)]
    pub ppm_color: u32,
}

/// Job handling.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct JobsSpec {
    /// How many finished jobs the printer remembers.
    #[serde(default = "default_history")]
    pub history: usize,
    /// Seconds a Create-Job waits for its next Send-Document (`multiple-operation-time-out`).
    #[serde(default = "default_mot")]
    pub multiple_operation_timeout: u32,
    /// Largest job id before ids wrap back to 1.
    #[serde(default = "default_max_job_id")]
    pub max_job_id: u32,
}

fn default_history() -> usize {
    100
}
fn default_mot() -> u32 {
    300
}
fn default_max_job_id() -> u32 {
    i32::MAX as u32
}

impl Default for JobsSpec {
    fn default() -> Self {
        JobsSpec {
            history: default_history(),
            multiple_operation_timeout: default_mot(),
            max_job_id: default_max_job_id(),
        }
    }
}

/// Document formats.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FormatsSpec {
    /// `document-format-supported`.
    pub supported: Vec<String>,
    /// `document-format-default`.
    pub default: String,
}

/// Media.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MediaSpec {
    /// PWG 5101.1 self-describing size names, e.g. `iso_a4_210x297mm`.
    pub sizes: Vec<String>,
    /// `media-default`.
    pub default: String,
    /// `media-type-supported`.
    pub types: Vec<String>,
    /// `media-type` of `media-col-default`.
    pub default_type: String,
    /// `media-source-supported`.
    pub sources: Vec<String>,
    /// Margins in hundredths of a millimetre: bottom, left, right, top.
    pub margins: [i32; 4],
    /// Also list borderless (zero-margin) entries for these sizes.
    #[serde(default)]
    pub borderless: Vec<String>,
}

/// One input tray.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TraySpec {
    /// `media-source` keyword, e.g. `tray-1`, `main`, `manual`.
    pub source: String,
    /// The media size loaded.
    pub media: String,
    /// The media type loaded.
    #[serde(default = "default_media_type")]
    pub media_type: String,
    /// Sheets it holds when full.
    pub capacity: u32,
    /// Sheets in it now.
    pub level: u32,
    /// Refill the tray by itself when it runs empty (the default profile does, so
    /// long test runs never stop on `media-empty`).
    #[serde(default)]
    pub auto_refill: bool,
}

fn default_media_type() -> String {
    "stationery".to_string()
}

/// One marker supply.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SupplySpec {
    /// `marker-names` entry, e.g. `Black Toner`.
    pub name: String,
    /// `marker-types` keyword, e.g. `toner`, `ink-cartridge`.
    pub kind: String,
    /// `marker-colors` entry, `#RRGGBB` (or `none`).
    pub color: String,
    /// Level now, percent.
    pub level: u8,
    /// `marker-low-levels` entry, percent.
    #[serde(default = "default_low")]
    pub low: u8,
    /// Impressions a full supply lasts.
    #[serde(rename = "yield")]
    pub pages: u32,
    /// Used only for colour impressions.
    #[serde(default)]
    pub color_only: bool,
}

fn default_low() -> u8 {
    10
}

impl Profile {
    /// The embedded default: an IPP Everywhere office laser.
    pub fn default_profile() -> Result<Profile, ProfileError> {
        Profile::from_toml_str(DEFAULT_PROFILE_TOML, "default")
    }

    /// Parse a profile from TOML text; `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        Profile::from_toml_in(text, origin, None)
    }

    /// Parse a profile whose relative paths (`[snmp] walk`) are relative to `dir`.
    pub fn from_toml_in(
        text: &str,
        origin: &str,
        dir: Option<&Path>,
    ) -> Result<Profile, ProfileError> {
        let mut profile: Profile = toml::from_str(text).map_err(|e| ProfileError::Toml {
            origin: origin.to_string(),
            source: Box::new(e),
        })?;
        profile.validate(origin)?;
        profile
            .security
            .load_users(dir)
            .map_err(|e| ProfileError::Invalid {
                origin: origin.to_string(),
                field: "security".into(),
                message: e.to_string(),
            })?;
        if let Some(walk) = profile.snmp.walk.clone() {
            let path = match dir {
                Some(d) if walk.is_relative() => d.join(&walk),
                _ => walk,
            };
            profile.import_walk(&path, origin)?;
        }
        Ok(profile)
    }

    /// Take MIB values from a dump (`snmpwalk -On` output or `.snmprec`):
    /// the agent shows them, and the supplies and device ID follow them.
    pub fn import_walk(&mut self, path: &Path, origin: &str) -> Result<(), ProfileError> {
        let invalid = |message: String| ProfileError::Invalid {
            origin: origin.to_string(),
            field: "snmp.walk".into(),
            message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
        let dump = crate::snmp::record::parse_dump(&text)
            .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        for w in &dump.warnings {
            tracing::warn!("{}: {w}", path.display());
        }
        crate::snmp::import::apply_to_profile(self, &dump.entries);
        self.snmp.imported = Arc::new(dump.entries);
        Ok(())
    }

    /// Read and parse a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Profile::from_toml_in(&text, &path.display().to_string(), path.parent())
    }

    /// The printer's UUID (`urn:uuid:…` without the prefix).
    pub fn uuid(&self) -> String {
        match &self.identity.uuid {
            Some(u) => u.clone(),
            None => uuid_from_name(&self.identity.name),
        }
    }

    /// `printer-make-and-model`.
    pub fn make_and_model(&self) -> String {
        format!("{} {}", self.identity.make, self.identity.model)
    }

    /// The IEEE 1284 device ID.
    pub fn device_id(&self) -> String {
        if let Some(id) = &self.identity.device_id {
            return id.clone();
        }
        let cmd: Vec<&str> = self
            .formats
            .supported
            .iter()
            .filter_map(|f| match f.as_str() {
                "application/pdf" => Some("PDF"),
                "image/pwg-raster" => Some("PWGRaster"),
                "image/urf" => Some("URF"),
                "image/jpeg" => Some("JPEG"),
                "application/postscript" => Some("POSTSCRIPT"),
                "application/vnd.hp-pcl" => Some("PCL"),
                _ => None,
            })
            .collect();
        format!(
            "MFG:{};MDL:{};CMD:{};",
            self.identity.make,
            self.identity.model,
            cmd.join(",")
        )
    }

    /// Whether the printer prints in colour.
    pub fn is_color(&self) -> bool {
        self.speed.ppm_color > 0
    }

    /// The profile's own scenario, checked.
    pub fn scenario(&self) -> Option<crate::fault::scenario::Scenario> {
        self.scenario
            .as_ref()
            .and_then(|s| crate::fault::scenario::Scenario::from_spec(s).ok())
    }

    fn validate(&self, origin: &str) -> Result<(), ProfileError> {
        let invalid = |field: &str, message: String| ProfileError::Invalid {
            origin: origin.to_string(),
            field: field.to_string(),
            message,
        };
        if let Some(o) = &self.snmp.sys_object_id {
            if let Err(e) = o.parse::<crate::snmp::Oid>() {
                return Err(invalid("snmp.sys-object-id", e.to_string()));
            }
        }
        if !(484..=65_507).contains(&self.snmp.max_message_size) {
            return Err(invalid(
                "snmp.max-message-size",
                format!(
                    "{} is outside 484-65507 (RFC 3417 section 3.2, and UDP's limit)",
                    self.snmp.max_message_size
                ),
            ));
        }
        if self
            .snmp
            .read_communities
            .iter()
            .chain(&self.snmp.write_communities)
            .any(String::is_empty)
        {
            return Err(invalid("snmp", "a community must not be empty".into()));
        }
        if let Some(spec) = &self.scenario {
            if let Err(e) = crate::fault::scenario::Scenario::from_spec(spec) {
                let (field, message) = match e {
                    crate::fault::scenario::ScenarioError::Field { field, reason } => {
                        (format!("scenario.{field}"), reason)
                    }
                    other => ("scenario".to_string(), other.to_string()),
                };
                return Err(ProfileError::Invalid {
                    origin: origin.to_string(),
                    field,
                    message,
                });
            }
        }
        let invalid = |field: &str, message: String| ProfileError::Invalid {
            origin: origin.to_string(),
            field: field.to_string(),
            message,
        };
        if self.identity.name.trim().is_empty() {
            return Err(invalid("identity.name", "must not be empty".into()));
        }
        if self.speed.ppm == 0 {
            return Err(invalid("speed.ppm", "must be at least 1".into()));
        }
        if !self.formats.supported.contains(&self.formats.default) {
            return Err(invalid(
                "formats.default",
                format!("'{}' is not in formats.supported", self.formats.default),
            ));
        }
        if self.media.sizes.is_empty() {
            return Err(invalid("media.sizes", "must list at least one size".into()));
        }
        for (i, s) in self.media.sizes.iter().enumerate() {
            MediaSize::parse(s)
                .map_err(|e| invalid(&format!("media.sizes[{i}]"), e.to_string()))?;
        }
        if !self.media.sizes.contains(&self.media.default) {
            return Err(invalid(
                "media.default",
                format!("'{}' is not in media.sizes", self.media.default),
            ));
        }
        for (i, t) in self.trays.iter().enumerate() {
            if !self.media.sizes.contains(&t.media) {
                return Err(invalid(
                    &format!("trays[{i}].media"),
                    format!("'{}' is not in media.sizes", t.media),
                ));
            }
            if t.level > t.capacity {
                return Err(invalid(
                    &format!("trays[{i}].level"),
                    format!("{} is more than the capacity {}", t.level, t.capacity),
                ));
            }
        }
        for (i, s) in self.supplies.iter().enumerate() {
            if s.level > 100 || s.low > 100 {
                return Err(invalid(
                    &format!("supplies[{i}]"),
                    "level and low are percentages, 0 to 100".into(),
                ));
            }
            if s.pages == 0 {
                return Err(invalid(
                    &format!("supplies[{i}].yield"),
                    "must be at least 1".into(),
                ));
            }
        }
        if self.lpd.queues.is_empty() {
            return Err(invalid("lpd.queues", "must list at least one queue".into()));
        }
        for (i, q) in self.lpd.queues.iter().enumerate() {
            if q.is_empty()
                || q.bytes()
                    .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
            {
                return Err(invalid(
                    &format!("lpd.queues[{i}]"),
                    format!("'{q}' must be non-empty, without spaces or control characters"),
                ));
            }
        }
        for (service, strings) in &self.mdns.txt {
            if !matches!(
                service.as_str(),
                "_ipp._tcp" | "_ipps._tcp" | "_printer._tcp" | "_pdl-datastream._tcp"
            ) {
                return Err(invalid(
                    &format!("mdns.txt.{service}"),
                    "is not a printer service type (_ipp._tcp, _ipps._tcp, _printer._tcp, _pdl-datastream._tcp)".into(),
                ));
            }
            for (i, entry) in strings.iter().enumerate() {
                if entry.is_empty() || entry.starts_with('=') || entry.len() > 255 {
                    return Err(invalid(
                        &format!("mdns.txt.{service}[{i}]"),
                        format!("'{entry}' is not a TXT string key=value of at most 255 bytes with a key"),
                    ));
                }
            }
        }
        for (name, value) in &self.ipp_recorded {
            if crate::ipp::attributes::is_live(name) {
                return Err(invalid(
                    &format!("ipp-recorded.{name}"),
                    "follows the printer's state and cannot be recorded".into(),
                ));
            }
            value
                .to_values()
                .map_err(|m| invalid(&format!("ipp-recorded.{name}"), m))?;
        }
        for (name, value) in &self.ipp {
            if crate::ipp::attributes::is_computed(name) {
                return Err(invalid(
                    &format!("ipp.{name}"),
                    "is computed from the printer's state and the other sections; set it there"
                        .into(),
                ));
            }
            value
                .to_values()
                .map_err(|m| invalid(&format!("ipp.{name}"), m))?;
        }
        Ok(())
    }
}

/// A stable UUID (version 5 layout) derived from a printer name.
pub fn uuid_from_name(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(format!("paperjam:{name}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_profile_loads() {
        let p = Profile::default_profile().unwrap();
        assert!(p.is_color());
        assert!(p.formats.supported.iter().any(|f| f == "application/pdf"));
        assert_eq!(p.uuid().len(), 36);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = DEFAULT_PROFILE_TOML.replacen("[speed]\n", "[speed]\npppm = 3\n", 1);
        let err = Profile::from_toml_str(&text, "t").unwrap_err().to_string();
        assert!(err.contains("pppm"), "{err}");
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn computed_attribute_in_ipp_table_is_refused() {
        let text = format!("{DEFAULT_PROFILE_TOML}\n[ipp.printer-state]\nenum = 3\n");
        // The [ipp] table may already exist; a duplicate table is also an error,
        // so accept either message but never success.
        assert!(Profile::from_toml_str(&text, "t").is_err());
    }

    #[test]
    fn lpd_section_defaults_and_validates() {
        let p = Profile::default_profile().unwrap();
        assert_eq!(p.lpd.queues, vec!["lp".to_string()]);
        assert!(!p.lpd.strict_source_port);
        // A profile without [lpd] still loads, with the defaults.
        let start = DEFAULT_PROFILE_TOML.find("[lpd]").unwrap();
        let end = start + DEFAULT_PROFILE_TOML[start..].find("\n\n").unwrap();
        let without = format!(
            "{}{}",
            &DEFAULT_PROFILE_TOML[..start],
            &DEFAULT_PROFILE_TOML[end..]
        );
        let old = Profile::from_toml_str(&without, "t").unwrap();
        assert_eq!(old.lpd.queues, vec!["lp".to_string()]);
        let bad = DEFAULT_PROFILE_TOML.replacen("queues = [\"lp\"]", "queues = [\"a b\"]", 1);
        let err = Profile::from_toml_str(&bad, "t").unwrap_err().to_string();
        assert!(err.contains("lpd.queues[0]"), "{err}");
        let typo = DEFAULT_PROFILE_TOML.replacen("[lpd]\n", "[lpd]\nqueue = 1\n", 1);
        assert!(Profile::from_toml_str(&typo, "t").is_err());
    }

    #[test]
    fn uuid_is_stable() {
        assert_eq!(uuid_from_name("a"), uuid_from_name("a"));
        assert_ne!(uuid_from_name("a"), uuid_from_name("b"));
    }
}
