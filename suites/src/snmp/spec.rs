//! The SNMP case format: TOML files under `suites/snmp/`, one `[[case]]`
//! each, with the same identity fields as every suite (`id`, `level`,
//! `clause`, `title`, `requirement`) and steps that send one request each
//! and check its answer.
//!
//! ```toml
//! [[case]]
//! id = "snmp/rfc3416/4.2.1/no-such-object-exception"
//! level = "MUST"
//! clause = "RFC 3416 §4.2.1"
//! title = "A Get of an object type the agent does not have"
//! requirement = "…"
//!
//! [[case.step]]
//! get = ["1.3.6.1.2.1.1.99.0"]
//! expect-exception = "noSuchObject"
//! ```
//!
//! OIDs are dotted (`1.3.6.1.2.1.1.1.0`) or named (`sysDescr.0`; the names
//! are in [`super::names`]). A step does exactly one thing:
//! - `get = [oids]`, `getnext = [oids]`,
//!   `getbulk = { non-repeaters = N, max-repetitions = M, oids = [...] }`,
//!   `set = { oid, type, value }` (or a list of them; `value = "$var"` sets a
//!   captured value back, its type with it);
//! - `walk = "oid"` (GetNext until the subtree ends, as snmpwalk) or
//!   `bulkwalk = "oid"` (GetBulk, v2c);
//! - `send-hex = "30 03 …"`: raw bytes, sent once;
//! - `wait-ms = N`: a pause (for clocks that must move);
//! - `check = "NAME"`: a built-in check over every binding the case has
//!   read so far (see [`super::checks::CHECKS`]);
//! - `ipp-agrees = "NAME"`: read the same thing over SNMP and over IPP and
//!   compare (see [`super::checks::CROSS_CHECKS`]); skipped when the run has
//!   no IPP target.
//!
//! Modifiers: `version = "1" | "2c"` (default: the case's, else 2c),
//! `community` (default: the run's, the write community for `set`;
//! `$community` and `$write-community` name them), `request-id`, `times = N`
//! (repeat the `get` list N times). Checks on the answer (every request
//! must get a Response with the request's version, community and
//! request-id, and — unless `expect-error-status` says otherwise —
//! error-status noError):
//! `expect-no-response`, `expect-error-status` (a name or a list),
//! `expect-error-index`, `expect-exception` (every binding), `expect-bindings`
//! (how many), `expect-same-names` (the request's names, in order),
//! `expect-increasing` (each name after the one asked), `expect = [{ oid,
//! type, range, contains, regex, max-length, display-string, more-than,
//! optional }]` (each binding at or under `oid`), and `capture = { var = "oid" }`.
//!
//! A case that sends a `set` writes to the target and runs only when writing
//! is allowed; a case with `ipp-agrees` needs an IPP target; `requires =
//! ["oid"]` skips the case unless the agent has an instance under each OID.

use std::collections::BTreeMap;
use std::path::Path;

use paperjam_sim::snmp::{Oid, Version};
use serde::{Deserialize, Serialize};

use super::names;
use crate::spec::Level;

/// Why an SNMP suite file could not be loaded.
pub type SnmpSpecError = crate::spec::CaseFileError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnmpFile {
    #[serde(rename = "case", default)]
    cases: Vec<SnmpCase>,
}

/// One value or a list of them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// One.
    One(T),
    /// Several.
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    /// As a list.
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(x) => vec![x.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// An SNMP conformance case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SnmpCase {
    /// Stable id: `snmp/spec/clause/name`.
    pub id: String,
    /// MUST, SHOULD or MAY.
    pub level: Level,
    /// The clause, as a person cites it.
    pub clause: String,
    /// A short title.
    pub title: String,
    /// The requirement, quoted from the spec.
    pub requirement: String,
    /// The version of every step that does not say (`1` or `2c`; 2c by default).
    #[serde(default)]
    pub version: Option<String>,
    /// Instances the agent must have for the case to apply (an OID or name
    /// each: a GetNext of it must land under it).
    #[serde(default)]
    pub requires: Vec<String>,
    /// The case grades whether the agent answers at all, so it runs even
    /// when the agent answered none of the runner's probes.
    #[serde(default)]
    pub runs_unanswered: bool,
    /// The steps, in order.
    #[serde(rename = "step", default)]
    pub steps: Vec<SnmpStep>,
    /// Where it was loaded from (filled by the loader).
    #[serde(skip_deserializing, default)]
    pub source: String,
}

/// GetBulk's parameters.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BulkSpec {
    /// non-repeaters.
    pub non_repeaters: u32,
    /// max-repetitions.
    pub max_repetitions: u32,
    /// The names.
    pub oids: Vec<String>,
}

/// A value to set: text or a number.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum SetValue {
    /// A number.
    Number(i64),
    /// Text (or `$var`, a captured value).
    Text(String),
}

/// One binding of a SetRequest.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SetSpec {
    /// The instance.
    pub oid: String,
    /// The SMI type (see [`TYPES`]); may be left out with a `$var` value.
    #[serde(rename = "type", default)]
    pub syntax: Option<String>,
    /// The value.
    pub value: SetValue,
}

/// A check on the bindings at or under one OID.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SnmpExpect {
    /// The instance, column or subtree.
    pub oid: String,
    /// No binding at or under it is fine.
    #[serde(default)]
    pub optional: bool,
    /// Allowed SMI types, `|`-separated (see [`TYPES`]), or exceptions
    /// (`noSuchObject`, see [`EXCEPTIONS`]).
    #[serde(default, rename = "type")]
    pub syntax: Option<String>,
    /// Every integer value lies in this inclusive range.
    #[serde(default)]
    pub range: Option<[i64; 2]>,
    /// Some binding has each of these values (as text; OIDs dotted or named).
    #[serde(default)]
    pub contains: Vec<String>,
    /// Every value (as text) matches this regex.
    #[serde(default)]
    pub regex: Option<String>,
    /// Every string value has at most this many octets.
    #[serde(default)]
    pub max_length: Option<usize>,
    /// Every value is a DisplayString (RFC 2579): NVT ASCII, at most 255 octets.
    #[serde(default)]
    pub display_string: bool,
    /// Every integer value is greater than this captured variable (`$name`).
    #[serde(default)]
    pub more_than: Option<String>,
}

/// One step as written: exactly one action.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SnmpStep {
    /// What the step does, for reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// GetRequest of these names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get: Option<Vec<String>>,
    /// GetNextRequest of these names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub getnext: Option<Vec<String>>,
    /// GetBulkRequest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub getbulk: Option<BulkSpec>,
    /// SetRequest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<OneOrMany<SetSpec>>,
    /// Walk with GetNext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walk: Option<String>,
    /// Walk with GetBulk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulkwalk: Option<String>,
    /// Raw bytes, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_hex: Option<String>,
    /// Pause this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,
    /// A built-in check over what the case read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// A cross-check with IPP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipp_agrees: Option<String>,

    /// `1` or `2c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The community (`$community`, `$write-community` or a literal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
    /// The request-id to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i32>,
    /// Repeat the `get` list this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<usize>,

    /// No answer may come (the request is sent once).
    #[serde(default)]
    pub expect_no_response: bool,
    /// Allowed error-status names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_error_status: Option<OneOrMany<String>>,
    /// Required error-index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_error_index: Option<u32>,
    /// Every binding carries one of these exceptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_exception: Option<OneOrMany<String>>,
    /// The answer has exactly this many bindings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_bindings: Option<usize>,
    /// The answer names what the request named, in the same order.
    #[serde(default)]
    pub expect_same_names: bool,
    /// Each answered name comes after the one asked (GetNext, GetBulk).
    #[serde(default)]
    pub expect_increasing: bool,
    /// Checks on bindings.
    #[serde(default)]
    pub expect: Vec<SnmpExpect>,
    /// Variables to capture: `name = "oid"` (the value at that instance).
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

/// The SMI type names cases may use, and the BER tag each means.
pub const TYPES: &[(&str, u8)] = &[
    ("INTEGER", 0x02),
    ("Integer32", 0x02),
    ("OCTET STRING", 0x04),
    ("NULL", 0x05),
    ("OBJECT IDENTIFIER", 0x06),
    ("IpAddress", 0x40),
    ("Counter32", 0x41),
    ("Gauge32", 0x42),
    ("Unsigned32", 0x42),
    ("TimeTicks", 0x43),
    ("Opaque", 0x44),
    ("Counter64", 0x46),
];

/// The BER tag of a type name.
pub fn type_tag(name: &str) -> Option<u8> {
    TYPES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(_, t)| *t)
}

/// The exception names `expect-exception` takes.
pub const EXCEPTIONS: &[&str] = &["noSuchObject", "noSuchInstance", "endOfMibView"];

/// What a step does, once checked.
#[derive(Debug, Clone)]
pub enum Action {
    /// GetRequest.
    Get(Vec<Oid>),
    /// GetNextRequest.
    GetNext(Vec<Oid>),
    /// GetBulkRequest.
    GetBulk {
        /// non-repeaters.
        non_repeaters: u32,
        /// max-repetitions.
        max_repetitions: u32,
        /// names.
        oids: Vec<Oid>,
    },
    /// SetRequest.
    Set(Vec<SetSpec>),
    /// A walk, with GetBulk when `bulk`.
    Walk {
        /// The subtree.
        root: Oid,
        /// GetBulk rather than GetNext.
        bulk: bool,
    },
    /// Raw bytes.
    SendRaw(Vec<u8>),
    /// A pause.
    Wait(u64),
    /// A built-in check.
    Check(String),
    /// A cross-check with IPP.
    IppAgrees(String),
}

/// A version name.
pub fn version(s: &str) -> Option<Version> {
    match s {
        "1" | "v1" => Some(Version::V1),
        "2c" | "v2c" => Some(Version::V2c),
        _ => None,
    }
}

/// Hex bytes, spaces allowed.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err("an odd number of hex digits".into());
    }
    digits
        .chunks(2)
        .map(|p| {
            let s: String = p.iter().collect();
            u8::from_str_radix(&s, 16).map_err(|_| format!("'{s}' is not a hex byte"))
        })
        .collect()
}

fn oids(list: &[String]) -> Result<Vec<Oid>, String> {
    list.iter().map(|s| names::parse(s)).collect()
}

impl SnmpStep {
    fn set_fields(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut add = |on: bool, name| {
            if on {
                v.push(name);
            }
        };
        add(self.get.is_some(), "get");
        add(self.getnext.is_some(), "getnext");
        add(self.getbulk.is_some(), "getbulk");
        add(self.set.is_some(), "set");
        add(self.walk.is_some(), "walk");
        add(self.bulkwalk.is_some(), "bulkwalk");
        add(self.send_hex.is_some(), "send-hex");
        add(self.wait_ms.is_some(), "wait-ms");
        add(self.check.is_some(), "check");
        add(self.ipp_agrees.is_some(), "ipp-agrees");
        v
    }

    /// Whether the step sends an SNMP request whose answer the expectations look at.
    pub fn is_request(action: &Action) -> bool {
        !matches!(
            action,
            Action::Wait(_) | Action::Check(_) | Action::IppAgrees(_)
        )
    }

    /// The step's action, or the field and what is wrong with it.
    pub fn action(&self) -> Result<Action, (String, String)> {
        let fields = self.set_fields();
        if fields.len() != 1 {
            return Err((
                fields.join(", "),
                format!(
                    "a step takes exactly one action, this one has {}",
                    fields.len()
                ),
            ));
        }
        let field = fields[0].to_string();
        let err = |m: String| (field.clone(), m);
        let action = if let Some(l) = &self.get {
            Action::Get(oids(l).map_err(err)?)
        } else if let Some(l) = &self.getnext {
            Action::GetNext(oids(l).map_err(err)?)
        } else if let Some(b) = &self.getbulk {
            Action::GetBulk {
                non_repeaters: b.non_repeaters,
                max_repetitions: b.max_repetitions,
                oids: oids(&b.oids).map_err(err)?,
            }
        } else if let Some(s) = &self.set {
            let list = s.to_vec();
            for b in &list {
                names::parse(&b.oid).map_err(err)?;
                match (&b.syntax, &b.value) {
                    (None, SetValue::Text(t)) if t.starts_with('$') => {}
                    (None, _) => {
                        return Err(err(
                            "a type is needed unless the value is a $variable".into()
                        ))
                    }
                    (Some(t), _) if type_tag(t).is_none() => {
                        return Err(err(format!("unknown type '{t}'")))
                    }
                    _ => {}
                }
            }
            Action::Set(list)
        } else if let Some(w) = &self.walk {
            Action::Walk {
                root: names::parse(w).map_err(err)?,
                bulk: false,
            }
        } else if let Some(w) = &self.bulkwalk {
            Action::Walk {
                root: names::parse(w).map_err(err)?,
                bulk: true,
            }
        } else if let Some(h) = &self.send_hex {
            Action::SendRaw(parse_hex(h).map_err(err)?)
        } else if let Some(ms) = self.wait_ms {
            Action::Wait(ms)
        } else if let Some(c) = &self.check {
            if !super::checks::CHECKS.iter().any(|(n, _)| n == c) {
                return Err(err(format!("no built-in check '{c}'")));
            }
            Action::Check(c.clone())
        } else if let Some(c) = &self.ipp_agrees {
            if !super::checks::CROSS_CHECKS.iter().any(|(n, _)| n == c) {
                return Err(err(format!("no cross-check '{c}'")));
            }
            Action::IppAgrees(c.clone())
        } else {
            unreachable!("one field is set")
        };
        self.check_modifiers(&action)?;
        Ok(action)
    }

    fn check_modifiers(&self, action: &Action) -> Result<(), (String, String)> {
        let request = SnmpStep::is_request(action);
        if let Some(v) = &self.version {
            if version(v).is_none() {
                return Err(("version".into(), format!("'{v}' is not 1 or 2c")));
            }
        }
        if self.times.is_some() && !matches!(action, Action::Get(_)) {
            return Err(("times".into(), "goes with get".into()));
        }
        let expects_answer = self.expect_error_status.is_some()
            || self.expect_error_index.is_some()
            || self.expect_exception.is_some()
            || self.expect_bindings.is_some()
            || self.expect_same_names
            || self.expect_increasing
            || !self.expect.is_empty()
            || !self.capture.is_empty();
        if !request && (expects_answer || self.expect_no_response) {
            return Err((
                "expect".into(),
                "checks on an answer go with a step that sends a request".into(),
            ));
        }
        if !request
            && (self.version.is_some() || self.community.is_some() || self.request_id.is_some())
        {
            return Err((
                "version/community/request-id".into(),
                "go with a step that sends a request".into(),
            ));
        }
        if self.expect_no_response && expects_answer {
            return Err((
                "expect-no-response".into(),
                "a step that expects no answer cannot check one".into(),
            ));
        }
        if matches!(action, Action::SendRaw(_)) && expects_answer {
            return Err((
                "send-hex".into(),
                "raw bytes are checked with expect-no-response only".into(),
            ));
        }
        if matches!(action, Action::Walk { .. })
            && (self.expect_error_status.is_some()
                || self.expect_error_index.is_some()
                || self.expect_exception.is_some()
                || self.expect_same_names
                || self.request_id.is_some())
        {
            return Err((
                "walk".into(),
                "a walk checks its bindings (expect, expect-bindings), not one answer".into(),
            ));
        }
        if matches!(
            action,
            Action::GetBulk { .. } | Action::Walk { bulk: true, .. }
        ) && self.version.as_deref().and_then(version) == Some(Version::V1)
        {
            return Err(("version".into(), "GetBulk is not part of SNMPv1".into()));
        }
        for s in self.expect_error_status.iter().flat_map(OneOrMany::to_vec) {
            if status_code(&s).is_none() {
                return Err((
                    "expect-error-status".into(),
                    format!("unknown status '{s}'"),
                ));
            }
        }
        for s in self.expect_exception.iter().flat_map(OneOrMany::to_vec) {
            if !EXCEPTIONS.contains(&s.as_str()) {
                return Err((
                    "expect-exception".into(),
                    format!("unknown exception '{s}'"),
                ));
            }
        }
        for e in &self.expect {
            names::parse(&e.oid).map_err(|m| ("expect oid".to_string(), m))?;
            if let Some(t) = &e.syntax {
                for t in t.split('|') {
                    if type_tag(t).is_none() && !EXCEPTIONS.contains(&t.trim()) {
                        return Err(("expect type".into(), format!("unknown type '{t}'")));
                    }
                }
            }
            if let Some(re) = &e.regex {
                regex::Regex::new(re).map_err(|m| ("expect regex".to_string(), m.to_string()))?;
            }
            if let Some(v) = &e.more_than {
                if !v.starts_with('$') {
                    return Err(("expect more-than".into(), "takes a $variable".into()));
                }
            }
        }
        for (var, oid) in &self.capture {
            names::parse(oid).map_err(|m| (format!("capture {var}"), m))?;
        }
        Ok(())
    }
}

/// The error-status code of a name (`noError`, `tooBig`, …).
pub fn status_code(name: &str) -> Option<u32> {
    (0..=18).find(|c| paperjam_sim::snmp::message::error_status::name(*c) == name)
}

impl SnmpCase {
    /// Whether the case sends SetRequests (it then changes the target, or
    /// could: it runs only when writing is allowed).
    pub fn writes(&self) -> bool {
        self.steps.iter().any(|s| s.set.is_some())
    }

    /// Whether the case compares SNMP with IPP.
    pub fn needs_ipp(&self) -> bool {
        self.steps.iter().any(|s| s.ipp_agrees.is_some())
    }

    /// The case's default version.
    pub fn default_version(&self) -> Version {
        self.version
            .as_deref()
            .and_then(version)
            .unwrap_or(Version::V2c)
    }

    /// The versions its SNMP requests use (raw bytes have none).
    pub fn versions(&self) -> Vec<Version> {
        let mut v: Vec<Version> = Vec::new();
        for s in &self.steps {
            let speaks = s.get.is_some()
                || s.getnext.is_some()
                || s.getbulk.is_some()
                || s.set.is_some()
                || s.walk.is_some()
                || s.bulkwalk.is_some()
                || s.ipp_agrees.is_some();
            if !speaks {
                continue;
            }
            let ver = s
                .version
                .as_deref()
                .and_then(version)
                .unwrap_or(self.default_version());
            if !v.contains(&ver) {
                v.push(ver);
            }
        }
        v
    }
}

/// Every case of every `.toml` file under `dir`, sorted by id.
pub fn load_dir(dir: &Path) -> Result<Vec<SnmpCase>, SnmpSpecError> {
    crate::spec::load_cases(dir, load_file, |c: &SnmpCase| c.id.as_str())
}

/// The cases of one file, each step checked.
pub fn load_file(path: &Path) -> Result<Vec<SnmpCase>, SnmpSpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SnmpSpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file: SnmpFile = toml::from_str(&text).map_err(|e| SnmpSpecError::Toml {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    let mut out = Vec::with_capacity(file.cases.len());
    for mut c in file.cases {
        let invalid = |field: String, message: String| SnmpSpecError::Invalid {
            path: path.to_path_buf(),
            case: c.id.clone(),
            field,
            message,
        };
        if !c.id.starts_with("snmp/") {
            return Err(invalid(
                "id".into(),
                "SNMP case ids start with snmp/".into(),
            ));
        }
        if c.requirement.trim().is_empty() {
            return Err(invalid("requirement".into(), "must quote the spec".into()));
        }
        if c.steps.is_empty() {
            return Err(invalid("step".into(), "a case needs steps".into()));
        }
        if let Some(v) = &c.version {
            if version(v).is_none() {
                return Err(invalid("version".into(), format!("'{v}' is not 1 or 2c")));
            }
        }
        for r in &c.requires {
            names::parse(r).map_err(|m| invalid("requires".into(), m))?;
        }
        for (i, s) in c.steps.iter().enumerate() {
            let action = s
                .action()
                .map_err(|(field, message)| invalid(format!("step {} {field}", i + 1), message))?;
            if c.default_version() == Version::V1
                && s.version.is_none()
                && matches!(
                    action,
                    Action::GetBulk { .. } | Action::Walk { bulk: true, .. }
                )
            {
                return Err(invalid(
                    format!("step {}", i + 1),
                    "GetBulk is not part of SNMPv1".into(),
                ));
            }
        }
        c.source = path.display().to_string();
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(toml_text: &str) -> Result<Action, (String, String)> {
        let s: SnmpStep = toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"));
        s.action()
    }

    #[test]
    fn steps_take_one_action() {
        assert!(matches!(step("get = [\"sysDescr.0\"]"), Ok(Action::Get(o)) if o.len() == 1));
        assert!(step("get = [\"sysDescr.0\"]\nwalk = \"system\"").is_err());
        assert!(step("expect-no-response = true").is_err());
        assert!(step("get = [\"nonsense.0\"]").is_err());
        assert!(matches!(
            step("getbulk = { non-repeaters = 1, max-repetitions = 3, oids = [\"sysUpTime\", \"system\"] }"),
            Ok(Action::GetBulk { non_repeaters: 1, max_repetitions: 3, .. })
        ));
        assert!(step("bulkwalk = \"system\"\nversion = \"1\"").is_err());
        assert!(step("walk = \"system\"\nexpect-error-status = \"noError\"").is_err());
        assert!(step("get = [\"sysDescr.0\"]\nexpect-error-status = \"noSuchThing\"").is_err());
        assert!(step("get = [\"sysDescr.0\"]\nexpect-exception = \"noSuchThing\"").is_err());
        assert!(step("get = [\"sysDescr.0\"]\nversion = \"3\"").is_err());
        assert!(step("wait-ms = 5\nversion = \"1\"").is_err());
        assert!(step("check = \"no-such-check\"").is_err());
        assert!(step("ipp-agrees = \"no-such-thing\"").is_err());
        assert!(step("send-hex = \"30 0\"").is_err());
        assert!(matches!(step("send-hex = \"30 00\""), Ok(Action::SendRaw(b)) if b == [0x30, 0]));
        assert!(step("set = { oid = \"sysContact.0\", value = 1 }").is_err());
        assert!(step("set = { oid = \"sysContact.0\", value = \"$c\" }").is_ok());
        assert!(step("set = [{ oid = \"sysContact.0\", type = \"INTEGER\", value = 1 }]").is_ok());
        assert!(step("set = { oid = \"sysContact.0\", type = \"Float\", value = 1 }").is_err());
        assert!(step("walk = \"system\"\ntimes = 2").is_err());
        assert!(step(
            "get = [\"sysDescr.0\"]\nexpect = [{ oid = \"sysDescr.0\", type = \"Nope\" }]"
        )
        .is_err());
        assert!(
            step("get = [\"sysDescr.0\"]\nexpect-no-response = true\nexpect-bindings = 1").is_err()
        );
    }

    #[test]
    fn names_of_statuses_and_types() {
        assert_eq!(status_code("noError"), Some(0));
        assert_eq!(status_code("notWritable"), Some(17));
        assert_eq!(status_code("bogus"), None);
        assert_eq!(type_tag("octet string"), Some(0x04));
        assert_eq!(type_tag("Counter32"), Some(0x41));
        assert_eq!(type_tag("Float"), None);
    }
}
