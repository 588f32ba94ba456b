//! The scripted-session format: cases in TOML files that a person can read,
//! write and diff, loaded at run time (no recompiling).
//!
//! ```toml
//! [[case]]
//! id = "ipp/rfc8011/4.1.1/bad-request-id-0"
//! level = "MUST"
//! clause = "RFC 8011 §4.1.1"
//! title = "Bad request-id value 0"
//! requirement = "The Printer MUST ... reject a request-id of 0 with client-error-bad-request."
//!
//! [[case.step]]
//! operation = "Get-Printer-Attributes"
//! request-id = 0
//! status = ["client-error-bad-request"]
//! expect = [{ attribute = "printer-uri-supported", absent = true }]
//! ```
//!
//! Attributes are written `"TYPE NAME VALUE[,VALUE…]"` (ipptool's order), for
//! example `"keyword requested-attributes all,media-col-database"`; collections
//! as `"collection media-col {collection media-size {integer x-dimension 21000; integer y-dimension 29700}; keyword media-source main}"`.
//! `$uri`, `$user` and captured variables (`$job-id`) are substituted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Why a suite file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// Reading failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The TOML is malformed or has an unknown key (the message names the line).
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: Box<toml::de::Error>,
    },
    /// A field holds a value that is not valid.
    #[error("{path}: case {case}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The case id.
        case: String,
        /// What is wrong.
        message: String,
    },
    /// Two cases share an id.
    #[error("case id {0} appears twice")]
    DuplicateId(String),
}

/// Requirement level (RFC 2119).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// An absolute requirement.
    #[serde(rename = "MUST")]
    Must,
    /// A recommendation: missing it is a warning (a failure with `--strict`).
    #[serde(rename = "SHOULD")]
    Should,
    /// Optional behaviour, checked when the target claims it.
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    /// `MUST`, `SHOULD` or `MAY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

/// One suite file: a list of cases.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteFile {
    /// The cases.
    #[serde(rename = "case", default)]
    pub cases: Vec<Case>,
}

/// A conformance case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Case {
    /// Stable id: protocol/spec/clause/name.
    pub id: String,
    /// MUST, SHOULD or MAY.
    pub level: Level,
    /// The clause, as a person cites it: `RFC 8011 §4.1.1`.
    pub clause: String,
    /// A short title.
    pub title: String,
    /// The requirement, quoted from the spec.
    pub requirement: String,
    /// The case submits a job that would print paper.
    #[serde(default)]
    pub prints: bool,
    /// Pages it prints at most (counts against `--page-budget`).
    #[serde(default = "one")]
    pub pages: u32,
    /// The case changes settings or state others rely on (pause, set attributes).
    #[serde(default)]
    pub changes_settings: bool,
    /// What the target must advertise for the case to apply.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// The steps, in order.
    #[serde(rename = "step", default)]
    pub steps: Vec<Step>,
    /// Where it was loaded from (filled by the loader).
    #[serde(skip_deserializing, default)]
    pub source: String,
}

fn one() -> u32 {
    1
}

/// A condition on what the target advertises.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Requirement {
    /// `operations-supported` must list this operation.
    #[serde(default)]
    pub operation: Option<String>,
    /// This printer attribute must be present…
    #[serde(default)]
    pub attribute: Option<String>,
    /// …and contain this value.
    #[serde(default)]
    pub contains: Option<String>,
    /// `ipp-versions-supported` must list this version.
    #[serde(default)]
    pub version: Option<String>,
}

/// HTTP framing of a step's request.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HttpSpec {
    /// Send the body with `Transfer-Encoding: chunked`.
    #[serde(default)]
    pub chunked: bool,
    /// Send `Expect: 100-continue` and wait for the interim answer.
    #[serde(default)]
    pub expect_continue: bool,
    /// `1.1` (default) or `1.0`.
    #[serde(default)]
    pub version: Option<String>,
    /// Content-Type to send instead of `application/ipp`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Compress the whole body with this `Content-Encoding` (`gzip`, `deflate`).
    #[serde(default)]
    pub content_encoding: Option<String>,
    /// Method instead of POST.
    #[serde(default)]
    pub method: Option<String>,
    /// Path instead of the target URI's.
    #[serde(default)]
    pub path: Option<String>,
    /// Send this many requests on one connection (keep-alive), checking each.
    #[serde(default)]
    pub repeat_on_connection: Option<u32>,
}

/// An extra attribute group.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// `operation`, `job`, `printer`, `subscription`, `document`, `unsupported`, or a number.
    pub tag: String,
    /// Attributes, `"TYPE NAME VALUE"`.
    #[serde(default)]
    pub attr: Vec<String>,
}

/// Repeat a step until an attribute has one of the values.
///
/// The repeat gives up early when repeating cannot help: when the answer is
/// a client error (0x04xx), or a successful answer that lacks the watched
/// attribute altogether. Server errors (`server-error-busy`…) are retried.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Repeat {
    /// The attribute to watch.
    pub attribute: String,
    /// Stop when it has one of these values.
    pub values: Vec<String>,
    /// Most attempts.
    #[serde(default = "ten")]
    pub limit: u32,
    /// Pause between attempts, ms.
    #[serde(default = "delay")]
    pub delay_ms: u64,
}

fn ten() -> u32 {
    10
}
fn delay() -> u64 {
    250
}

/// One request and what must be true of its answer.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Step {
    /// What this step does, for reports.
    #[serde(default)]
    pub name: Option<String>,
    /// IPP operation: a name (`Get-Printer-Attributes`) or `0x000B`.
    #[serde(default)]
    pub operation: Option<String>,
    /// IPP version, `2.0` by default.
    #[serde(default)]
    pub version: Option<String>,
    /// request-id; a fresh one if absent.
    #[serde(default)]
    pub request_id: Option<u32>,
    /// Do not add attributes-charset, attributes-natural-language, printer-uri, requesting-user-name.
    #[serde(default)]
    pub bare: bool,
    /// Leave out these of the four automatic operation attributes.
    #[serde(default)]
    pub omit: Vec<String>,
    /// Operation attributes, after the automatic ones.
    #[serde(default)]
    pub attr: Vec<String>,
    /// Job template attributes (a job attributes group).
    #[serde(default)]
    pub job: Vec<String>,
    /// Further groups, in order.
    #[serde(default)]
    pub group: Vec<GroupSpec>,
    /// The whole IPP message in the raw notation (hex bytes, "text", attr(tag,"name","value")),
    /// instead of building it.
    #[serde(default)]
    pub raw: Option<String>,
    /// A document from the fixtures folder to send after the attributes.
    #[serde(default)]
    pub document: Option<String>,
    /// Compress the document (`gzip`, `deflate`) before sending.
    #[serde(default)]
    pub compress_document: Option<String>,
    /// HTTP framing.
    #[serde(default)]
    pub http: HttpSpec,
    /// Accepted IPP statuses (any of); empty means no status check.
    #[serde(default)]
    pub status: Vec<String>,
    /// Required HTTP status.
    #[serde(default)]
    pub http_status: Option<u16>,
    /// The response must not be IPP at all (an HTTP-level refusal is expected).
    #[serde(default)]
    pub expect_http_error: bool,
    /// Either an IPP response (checked as usual) or an HTTP client error
    /// (4xx) is acceptable. For malformed requests where the spec leaves open
    /// whether the refusal comes from the IPP layer or the HTTP layer.
    #[serde(default)]
    pub http_error_ok: bool,
    /// The answer must not be an IPP response: any HTTP error, or a page that
    /// is not `application/ipp` (for requests that are not IPP, such as a GET).
    #[serde(default)]
    pub not_ipp: bool,
    /// Checks on attributes.
    #[serde(default)]
    pub expect: Vec<Expect>,
    /// Checks on the response header.
    #[serde(default)]
    pub response: Option<ResponseCheck>,
    /// Variables to capture: `job-id = "job-id"` (variable = attribute).
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// Repeat until a state is reached.
    #[serde(default)]
    pub repeat: Option<Repeat>,
    /// The answer must arrive within this many milliseconds.
    #[serde(default)]
    pub max_ms: Option<u64>,
}

/// Checks on the IPP response header.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ResponseCheck {
    /// The response's version must be this (`2.0`).
    #[serde(default)]
    pub version: Option<String>,
    /// The response's major version must equal the request's.
    #[serde(default)]
    pub same_major_version: bool,
    /// The request-id must be echoed.
    #[serde(default)]
    pub echo_request_id: bool,
    /// The first two operation attributes must be attributes-charset and attributes-natural-language.
    #[serde(default)]
    pub charset_and_language_first: bool,
    /// The response must have a status-message.
    #[serde(default)]
    pub status_message: bool,
    /// An interim `100 Continue` must have come before the final answer (for
    /// a step sent with `http = { expect-continue = true }` whose answer
    /// needs the body: RFC 9110 §10.1.1).
    #[serde(default)]
    pub interim_continue: bool,
    /// No attribute may appear twice in one group.
    #[serde(default)]
    pub unique_attributes: bool,
    /// Groups must come in this order (by name), others allowed between.
    #[serde(default)]
    pub group_order: Vec<String>,
    /// An HTTP header must match: `{ name = "content-type", regex = "^application/ipp" }`.
    #[serde(default)]
    pub header: Vec<HeaderCheck>,
}

/// A check on one HTTP response header.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderCheck {
    /// Header name, any case.
    pub name: String,
    /// A regex its value must match.
    pub regex: String,
}

/// A check on one attribute of the response.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expect {
    /// The attribute. `a/b` names member `b` of the collection values of
    /// `a` (`media-col-database/media-size/x-dimension`); such a member must
    /// be in every collection value unless `optional`.
    pub attribute: String,
    /// It must not be present.
    #[serde(default)]
    pub absent: bool,
    /// Check only if present.
    #[serde(default)]
    pub optional: bool,
    /// The group it must be in: `operation`, `job`, `printer`, `unsupported`, `subscription`, `event`, `document`.
    #[serde(default)]
    pub group: Option<String>,
    /// Allowed syntaxes, `|`-separated: `keyword|name`.
    #[serde(default, rename = "type")]
    pub syntax: Option<String>,
    /// Exact number of values.
    #[serde(default)]
    pub count: Option<usize>,
    /// At least this many values.
    #[serde(default)]
    pub min_count: Option<usize>,
    /// The attribute must include each of these values.
    #[serde(default)]
    pub contains: Vec<String>,
    /// Every value must be one of these.
    #[serde(default)]
    pub one_of: Vec<String>,
    /// Every value (as text) must match this regex.
    #[serde(default)]
    pub regex: Option<String>,
    /// Every integer value must lie in this inclusive range.
    #[serde(default)]
    pub range: Option<[i64; 2]>,
    /// It must have as many values as this other attribute.
    #[serde(default)]
    pub same_count_as: Option<String>,
    /// Its position in its group (0-based).
    #[serde(default)]
    pub position: Option<usize>,
    /// Appears in exactly this many groups of its kind (e.g. one job group per job).
    #[serde(default)]
    pub groups: Option<usize>,
    /// No value may be one of these (`$variables` are substituted, as in `contains` and `one-of`).
    #[serde(default)]
    pub excludes: Vec<String>,
    /// Check only when the response meets this condition (for rules such as
    /// "if printer-state-reasons has an error, printer-state is stopped").
    #[serde(default)]
    pub when: Option<Condition>,
}

/// A condition on another attribute of the same response.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The attribute (in any group).
    pub attribute: String,
    /// Met when one of its values (as text) matches this regex.
    pub regex: String,
}

/// Why a suite file of the raw-TCP, SNMP or mDNS format could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CaseFileError {
    /// Reading failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The TOML is malformed or has an unknown key (the message names the line).
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: Box<toml::de::Error>,
    },
    /// A field holds a value that is not valid.
    #[error("{path}: case {case}: {field}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The case id.
        case: String,
        /// The field, e.g. `step 3 send`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Two cases share an id.
    #[error("case id {0} appears twice")]
    DuplicateId(String),
}

/// Every `*.toml` file under `dir`, at any depth, sorted; a folder that
/// cannot be read is returned with the OS error.
pub fn toml_files(dir: &Path) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| (d.clone(), e))?;
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Every case of every `.toml` file under `dir`, read by `load_file`,
/// sorted by id; two cases with one id are an error. The case formats of
/// the raw-TCP, SNMP, mDNS and security suites share it.
pub fn load_cases<C>(
    dir: &Path,
    load_file: impl Fn(&Path) -> Result<Vec<C>, CaseFileError>,
    id: impl Fn(&C) -> &str,
) -> Result<Vec<C>, CaseFileError> {
    let files = toml_files(dir).map_err(|(path, source)| CaseFileError::Read { path, source })?;
    let mut cases = Vec::new();
    for f in files {
        cases.extend(load_file(&f)?);
    }
    cases.sort_by(|a, b| id(a).cmp(id(b)));
    for w in cases.windows(2) {
        if id(&w[0]) == id(&w[1]) {
            return Err(CaseFileError::DuplicateId(id(&w[0]).to_string()));
        }
    }
    Ok(cases)
}

/// All cases of every `*.toml` under `dir`, sorted by id.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, SpecError> {
    let files = toml_files(dir).map_err(|(path, source)| SpecError::Read { path, source })?;
    let mut cases = Vec::new();
    for f in files {
        cases.extend(load_file(&f, dir)?);
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    for w in cases.windows(2) {
        if w[0].id == w[1].id {
            return Err(SpecError::DuplicateId(w[0].id.clone()));
        }
    }
    Ok(cases)
}

/// The cases of one file.
pub fn load_file(path: &Path, root: &Path) -> Result<Vec<Case>, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file: SuiteFile = toml::from_str(&text).map_err(|e| SpecError::Toml {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    let rel = path
        .strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string();
    let mut out = Vec::new();
    for mut c in file.cases {
        c.source = rel.clone();
        let invalid = |m: String| SpecError::Invalid {
            path: path.to_path_buf(),
            case: c.id.clone(),
            message: m,
        };
        if c.steps.is_empty() {
            return Err(invalid("a case needs at least one [[case.step]]".into()));
        }
        if c.requirement.trim().is_empty() {
            return Err(invalid("requirement must quote the spec".into()));
        }
        for s in &c.steps {
            for a in s
                .attr
                .iter()
                .chain(s.job.iter())
                .chain(s.group.iter().flat_map(|g| g.attr.iter()))
            {
                // Syntax errors surface at load time; variables stay until run time.
                crate::attrs::parse_attr(a, &|_| Some("1".into()))
                    .map_err(|e| invalid(format!("attribute '{a}': {e}")))?;
            }
            for e in &s.expect {
                let regexes = e.regex.iter().chain(e.when.iter().map(|w| &w.regex));
                for re in regexes {
                    regex::Regex::new(re)
                        .map_err(|err| invalid(format!("expect {}: regex: {err}", e.attribute)))?;
                }
            }
            if s.operation.is_none() && s.raw.is_none() {
                return Err(invalid("a step needs operation or raw".into()));
            }
        }
        out.push(c);
    }
    Ok(out)
}
