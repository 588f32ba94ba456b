//! Request checks common to every operation (RFC 8011 §4.1; RFC 8010 §3).
//!
//! Each failure carries the status the printer must return and a message that
//! says what was wrong and where the rule is, so a client developer can fix it.

use crate::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value, ValueTag};

use super::codes::{Operation, Status};

/// IPP versions accepted (RFC 8011 §4.1.8, PWG 5100.12).
pub const SUPPORTED_VERSIONS: &[(u8, u8)] = &[(1, 1), (2, 0), (2, 1), (2, 2)];

/// A request refused before any operation ran.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// The status to return.
    pub status: Status,
    /// `status-message`.
    pub message: String,
    /// Attributes for the unsupported-attributes group.
    pub unsupported: Vec<Attribute>,
}

impl Rejection {
    /// A rejection with no unsupported attributes.
    pub fn new(status: Status, message: impl Into<String>) -> Rejection {
        Rejection {
            status,
            message: message.into(),
            unsupported: Vec::new(),
        }
    }

    /// `client-error-not-found` for a job id the printer does not know.
    pub fn no_such_job(id: u32) -> Rejection {
        Rejection::new(Status::NotFound, format!("job {id} does not exist"))
    }

    /// The answer for a refusal of the printer model about job `id`.
    pub fn from_model(id: u32, e: crate::model::ModelError) -> Rejection {
        match e {
            crate::model::ModelError::NoSuchJob(_) => Rejection::no_such_job(id),
            other => Rejection::new(Status::NotPossible, other.to_string()),
        }
    }

    /// Add an attribute to the unsupported group.
    pub fn with_unsupported(mut self, a: Attribute) -> Rejection {
        self.unsupported.push(a);
        self
    }
}

/// What a request is aimed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The printer (`printer-uri`).
    Printer,
    /// A job (`job-uri`, or `printer-uri` with `job-id`).
    Job(u32),
    /// The printer, with no job named (job operations that may omit it, like Cancel-My-Jobs).
    PrinterNoJob,
}

/// A request that passed the common checks.
#[derive(Debug)]
pub struct Checked<'a> {
    /// The operation.
    pub op: Operation,
    /// The operation attributes group.
    pub ops: &'a Group,
    /// The job attributes group, if any.
    pub job: Option<&'a Group>,
    /// `requesting-user-name`, or `anonymous`.
    pub user: String,
    /// The target.
    pub target: Target,
}

impl<'a> Checked<'a> {
    /// The job the request names (`job-id` or `job-uri`), or `client-error-bad-request`.
    pub fn job_id(&self) -> Result<u32, Rejection> {
        match self.target {
            Target::Job(id) => Ok(id),
            _ => Err(Rejection::new(
                Status::BadRequest,
                format!("{} needs job-id or job-uri (RFC 8011 §4.1.5)", self.op),
            )),
        }
    }

    /// An operation attribute's first value.
    pub fn op_value(&self, name: &str) -> Option<&'a Value> {
        self.ops.get(name).and_then(|a| a.values.first())
    }
}

/// The version a response carries: the request's if supported, else the
/// highest supported with the same major version, else 1.1.
pub fn response_version(requested: (u8, u8)) -> (u8, u8) {
    if SUPPORTED_VERSIONS.contains(&requested) {
        return requested;
    }
    SUPPORTED_VERSIONS
        .iter()
        .rev()
        .find(|(maj, _)| *maj == requested.0)
        .copied()
        .unwrap_or((1, 1))
}

fn single<'a>(group: &'a Group, name: &str) -> Option<&'a Attribute> {
    group.attributes.iter().find(|a| a.name == name)
}

/// Apply RFC 8011 §4.1 to a request addressed to `printer_path`.
pub fn check<'a>(req: &'a Message, printer_path: &str) -> Result<Checked<'a>, Rejection> {
    if !SUPPORTED_VERSIONS.contains(&req.version) {
        return Err(Rejection::new(
            Status::VersionNotSupported,
            format!(
                "IPP version {}.{} is not supported; use 1.1, 2.0, 2.1 or 2.2 (RFC 8011 §4.1.8)",
                req.version.0, req.version.1
            ),
        ));
    }
    if req.request_id == 0 || req.request_id > i32::MAX as u32 {
        return Err(Rejection::new(
            Status::BadRequest,
            format!(
                "request-id {} is out of range: it must be 1 to 2147483647 (RFC 8011 §4.1.1, RFC 8010 §3.4.1)",
                req.request_id
            ),
        ));
    }
    let Some(first) = req.groups.first() else {
        return Err(Rejection::new(
            Status::BadRequest,
            "the request has no operation attributes group (RFC 8011 §4.1.4)",
        ));
    };
    if first.tag != DelimiterTag::OperationAttributes {
        return Err(Rejection::new(
            Status::BadRequest,
            format!(
                "the first attribute group is {} but must be operation-attributes (RFC 8011 §4.1.4, RFC 8010 §3.1.2)",
                first.tag
            ),
        ));
    }
    let mut seen_groups: Vec<DelimiterTag> = Vec::new();
    for g in &req.groups {
        if seen_groups.contains(&g.tag) {
            return Err(Rejection::new(
                Status::BadRequest,
                format!(
                    "the {} group appears more than once (RFC 8010 §3.1.2)",
                    g.tag
                ),
            ));
        }
        seen_groups.push(g.tag);
        if let Some(dup) = first_duplicate(g) {
            return Err(Rejection::new(
                Status::BadRequest,
                format!(
                    "attribute '{dup}' appears more than once in the {} group (RFC 8011 §4.1.3)",
                    g.tag
                ),
            ));
        }
    }
    let ops = first;
    let mut attrs = ops.attributes.iter();
    match attrs.next() {
        Some(a) if a.name == "attributes-charset" => check_charset(a)?,
        _ => {
            return Err(Rejection::new(
                Status::BadRequest,
                "the first operation attribute must be attributes-charset (RFC 8011 §4.1.4)",
            ))
        }
    }
    match attrs.next() {
        Some(a) if a.name == "attributes-natural-language" => {
            if !matches!(a.values.as_slice(), [Value::NaturalLanguage(_)]) {
                return Err(Rejection::new(
                    Status::BadRequest,
                    "attributes-natural-language must be one naturalLanguage value (RFC 8011 §4.1.4)",
                ));
            }
        }
        _ => return Err(Rejection::new(
            Status::BadRequest,
            "the second operation attribute must be attributes-natural-language (RFC 8011 §4.1.4)",
        )),
    }
    let op = super::codes::Operation::from_raw(req.code);
    let user = match single(ops, "requesting-user-name") {
        None => "anonymous".to_string(),
        Some(a) => match a.values.as_slice() {
            [Value::Name(n)] | [Value::NameWithLanguage { name: n, .. }] => n.clone(),
            _ => {
                return Err(Rejection::new(
                    Status::BadRequest,
                    "requesting-user-name must be one name value (RFC 8011 §4.1.5)",
                ))
            }
        },
    };
    let target = target(ops, printer_path)?;
    let job = req
        .groups
        .iter()
        .find(|g| g.tag == DelimiterTag::JobAttributes);
    Ok(Checked {
        op,
        ops,
        job,
        user,
        target,
    })
}

fn first_duplicate(g: &Group) -> Option<&str> {
    let mut names: Vec<&str> = g.attributes.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

fn check_charset(a: &Attribute) -> Result<(), Rejection> {
    match a.values.as_slice() {
        [Value::Charset(c)] => {
            let c = c.to_ascii_lowercase();
            if c == "utf-8" || c == "us-ascii" {
                Ok(())
            } else {
                Err(Rejection::new(
                    Status::CharsetNotSupported,
                    format!("charset '{c}' is not supported; use utf-8 (RFC 8011 §4.1.4.1)"),
                )
                .with_unsupported(a.clone()))
            }
        }
        _ => Err(Rejection::new(
            Status::BadRequest,
            "attributes-charset must be one charset value (RFC 8011 §4.1.4)",
        )),
    }
}

/// The path of an `ipp://host:port/path` URI.
pub fn uri_path(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
    Some(path.split(['?', '#']).next().unwrap_or(path))
}

fn target(ops: &Group, printer_path: &str) -> Result<Target, Rejection> {
    let printer_uri = single(ops, "printer-uri");
    let job_uri = single(ops, "job-uri");
    let job_id = single(ops, "job-id");
    let uri_of = |a: &Attribute, what: &str| -> Result<String, Rejection> {
        match a.values.as_slice() {
            [Value::Uri(u)] => Ok(u.clone()),
            _ => Err(Rejection::new(
                Status::BadRequest,
                format!("{what} must be one uri value (RFC 8011 §4.1.5)"),
            )),
        }
    };
    if let Some(ju) = job_uri {
        let u = uri_of(ju, "job-uri")?;
        let path = uri_path(&u).unwrap_or("");
        let id = path
            .strip_prefix(printer_path)
            .and_then(|r| r.strip_prefix('/'))
            .and_then(|r| r.parse::<u32>().ok())
            .ok_or_else(|| {
                Rejection::new(
                    Status::NotFound,
                    format!("job-uri '{u}' does not name a job of this printer"),
                )
            })?;
        return Ok(Target::Job(id));
    }
    let Some(pu) = printer_uri else {
        return Err(Rejection::new(
            Status::BadRequest,
            "the request has no printer-uri or job-uri operation attribute (RFC 8011 §4.1.5, §4.2)",
        ));
    };
    let u = uri_of(pu, "printer-uri")?;
    let scheme_ok = u.starts_with("ipp://") || u.starts_with("ipps://");
    let path = uri_path(&u).unwrap_or("");
    if !scheme_ok || path.trim_end_matches('/') != printer_path {
        return Err(Rejection::new(
            Status::NotFound,
            format!("printer-uri '{u}' is not this printer; use ipp://HOST:PORT{printer_path}"),
        ));
    }
    match job_id {
        None => Ok(Target::Printer),
        Some(a) => match a.values.as_slice() {
            [Value::Integer(id)] if *id > 0 => Ok(Target::Job(*id as u32)),
            _ => Err(Rejection::new(
                Status::BadRequest,
                "job-id must be one integer greater than 0 (RFC 8011 §4.3.1)",
            )),
        },
    }
}

/// Whether the value is the out-of-band `unsupported`, `unknown` or `no-value`.
pub fn is_out_of_band(v: &Value) -> bool {
    matches!(v, Value::OutOfBand(_))
}

/// The out-of-band `unsupported` attribute for an unsupported attribute name (RFC 8011 §4.1.7).
pub fn unsupported_name(name: &str) -> Attribute {
    Attribute::new(name.to_string(), Value::OutOfBand(ValueTag::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(uri_path("ipp://h:631/ipp/print"), Some("/ipp/print"));
        assert_eq!(uri_path("ipp://h"), Some("/"));
        assert_eq!(uri_path("ipp://h/ipp/print?x"), Some("/ipp/print"));
        assert_eq!(uri_path("nope"), None);
    }

    #[test]
    fn versions() {
        assert_eq!(response_version((2, 1)), (2, 1));
        assert_eq!(response_version((2, 9)), (2, 2));
        assert_eq!(response_version((1, 0)), (1, 1));
        assert_eq!(response_version((0, 0)), (1, 1));
    }
}
