//! Security settings of a virtual printer: who may do what, over which
//! transport, from where, and what is written down about it.
//!
//! - [`auth`]: HTTP Basic and Digest (RFC 7617, RFC 7616), sans-IO;
//! - [`users`]: the users file (`name:password` lines);
//! - [`acl`]: allowed source networks per service;
//! - [`audit`]: the JSON-lines audit log of jobs and administration;
//! - [`browse`]: a cups-browsed-style UDP listener (an insecure preset);
//! - [`legacy_tls`]: the ServerHello of a printer that still accepts TLS 1.0;
//! - [`preset`]: the locked-down and wide-open printers.
//!
//! The profile's `[security]` table ([`SecuritySpec`]) holds the settings;
//! [`Gate`] applies them to one IPP request, sans-IO: it says whether the
//! request goes on, as whom, or what the client is told instead.

pub mod acl;
pub mod audit;
pub mod auth;
pub mod browse;
pub mod legacy_tls;
pub mod preset;
pub mod users;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ipp::Operation;
use acl::Acl;
use auth::{Challenge, Credentials, DigestAlgorithm, NonceMint, Scheme, Verdict, Verifier};
use users::Users;

/// `job-password-encryption` values taken (PWG 5100.11 §6.1.4).
pub const JOB_PASSWORD_ENCRYPTIONS: &[&str] = &[
    "none", "md2", "md4", "md5", "sha", "sha2-224", "sha2-256", "sha2-384", "sha2-512",
];

/// How long a Digest nonce stays fresh (then the client is told `stale=true`).
pub const NONCE_MAX_AGE_MS: u64 = 5 * 60 * 1000;

/// Who may run the operations of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Anyone, without credentials.
    #[default]
    Anyone,
    /// Any user of the users list, authenticated.
    User,
    /// Only the users named in `admins`, authenticated.
    Admin,
}

/// How the IPP port treats TLS (a separate IPPS port, when one is served,
/// is TLS only whatever this says).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Plain IPP and IPPS on the same port (a TLS ClientHello is recognised).
    #[default]
    Optional,
    /// IPPS only: plain HTTP is answered `426 Upgrade Required`, and an
    /// HTTP Upgrade to TLS (RFC 2817) is honoured, as CUPS does.
    Required,
    /// Plain IPP only on the IPP port.
    Off,
}

/// The oldest TLS version accepted.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
pub enum MinTls {
    /// TLS 1.2 and 1.3.
    #[default]
    #[serde(rename = "1.2")]
    Tls12,
    /// TLS 1.3 only.
    #[serde(rename = "1.3")]
    Tls13,
}

/// What a job sent with a `job-password` (PWG 5100.11 §6.1.3) does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobPasswordMode {
    /// The job prints (a printer with no console to type the password on).
    #[default]
    Accept,
    /// The job is held (`job-password-wait`) until a Release-Job by its
    /// owner or an administrator, which stands for the password typed at
    /// the printer's console.
    Hold,
}

/// TLS settings (`[security.tls]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TlsSpec {
    /// How the IPP port treats TLS (a separate IPPS port, when one is served,
    /// is TLS only whatever this says).
    #[serde(default)]
    pub mode: TlsMode,
    /// The oldest version accepted.
    #[serde(default)]
    pub min_version: MinTls,
}

/// Allowed source networks per service (`[security.access]`); an empty list
/// lets everyone in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AccessSpec {
    /// IPP and IPPS (refused with HTTP 403).
    #[serde(default)]
    pub ipp: Acl,
    /// LPD (the connection is closed at once).
    #[serde(default)]
    pub lpd: Acl,
    /// AppSocket / raw ports (the connection is closed at once).
    #[serde(default)]
    pub socket: Acl,
    /// SNMP (the datagram is dropped, as net-snmp does).
    #[serde(default)]
    pub snmp: Acl,
}

/// The profile's `[security]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SecuritySpec {
    /// The HTTP authentication scheme the printer asks for.
    #[serde(default)]
    pub auth_scheme: Scheme,
    /// The Digest algorithm (MD5 by default, as CUPS and most clients use).
    #[serde(default)]
    pub digest_algorithm: DigestAlgorithm,
    /// The realm of the challenge.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// Users and their passwords.
    #[serde(default)]
    pub users: std::collections::BTreeMap<String, String>,
    /// A users file (`name:password` lines), relative to the profile.
    #[serde(default)]
    pub users_file: Option<PathBuf>,
    /// The users who may administer the printer and others' jobs.
    #[serde(default)]
    pub admins: Vec<String>,
    /// Who may print (Print-Job, Create-Job, Send-Document, Validate-Job, …).
    #[serde(default)]
    pub print: Access,
    /// Who may manage jobs (Cancel-Job, Hold-Job, Release-Job, Set-Job-Attributes, …).
    #[serde(default)]
    pub job_admin: Access,
    /// Who may administer the printer (Pause-Printer, Resume-Printer,
    /// Set-Printer-Attributes, Purge-Jobs, …).
    #[serde(default)]
    pub printer_admin: Access,
    /// Refuse operations on another user's job unless from an administrator
    /// (`client-error-not-authorized`). The owner is the authenticated user,
    /// else `requesting-user-name`.
    #[serde(default)]
    pub owner_check: bool,
    /// What a job with a `job-password` does.
    #[serde(default)]
    pub job_password: JobPasswordMode,
    /// TLS.
    #[serde(default)]
    pub tls: TlsSpec,
    /// Allowed source networks.
    #[serde(default)]
    pub access: AccessSpec,
    /// The users from `users` and `users_file` (filled when the profile is loaded).
    #[serde(skip)]
    pub loaded_users: Users,
}

fn default_realm() -> String {
    "paperjam".to_string()
}

impl Default for SecuritySpec {
    fn default() -> Self {
        SecuritySpec {
            auth_scheme: Scheme::default(),
            digest_algorithm: DigestAlgorithm::default(),
            realm: default_realm(),
            users: Default::default(),
            users_file: None,
            admins: Vec::new(),
            print: Access::Anyone,
            job_admin: Access::Anyone,
            printer_admin: Access::Anyone,
            owner_check: false,
            job_password: JobPasswordMode::Accept,
            tls: TlsSpec::default(),
            access: AccessSpec::default(),
            loaded_users: Users::default(),
        }
    }
}

/// Why the `[security]` table cannot be used; the message names the field.
#[derive(Debug, thiserror::Error)]
pub enum SecuritySpecError {
    /// The users file or table is wrong.
    #[error(transparent)]
    Users(#[from] users::UsersError),
    /// A setting that contradicts another.
    #[error("security.{field}: {message}")]
    Field {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl SecuritySpec {
    /// Read the users (the table, then the file relative to `dir`) and
    /// check that the settings fit together.
    pub fn load_users(&mut self, dir: Option<&Path>) -> Result<(), SecuritySpecError> {
        let mut all = self.users.clone();
        if let Some(f) = &self.users_file {
            let path = match dir {
                Some(d) if f.is_relative() => d.join(f),
                _ => f.clone(),
            };
            let from_file = Users::load(&path)?;
            for name in from_file.names() {
                if let Some(pw) = from_file.password(name) {
                    all.insert(name.to_string(), pw.to_string());
                }
            }
        }
        self.loaded_users = Users::from_map(all)?;
        self.check()
    }

    fn check(&self) -> Result<(), SecuritySpecError> {
        let field = |f: &str, m: String| SecuritySpecError::Field {
            field: f.to_string(),
            message: m,
        };
        for (name, a) in [
            ("print", self.print),
            ("job-admin", self.job_admin),
            ("printer-admin", self.printer_admin),
        ] {
            if a != Access::Anyone && self.loaded_users.is_empty() {
                return Err(field(
                    name,
                    format!(
                        "is '{}' but no user is defined (users or users-file)",
                        access_name(a)
                    ),
                ));
            }
            if a == Access::Admin && self.admins.is_empty() {
                return Err(field(name, "is 'admin' but admins is empty".into()));
            }
        }
        for (i, a) in self.admins.iter().enumerate() {
            if !self.loaded_users.contains(a) {
                return Err(field(
                    &format!("admins[{i}]"),
                    format!("'{a}' is not a defined user"),
                ));
            }
        }
        if self.realm.is_empty() || self.realm.contains('"') || self.realm.contains('\\') {
            return Err(field(
                "realm",
                "must be non-empty, without quotes or backslashes".into(),
            ));
        }
        Ok(())
    }

    /// Whether any operation class asks for credentials.
    pub fn asks_credentials(&self) -> bool {
        [self.print, self.job_admin, self.printer_admin]
            .iter()
            .any(|a| *a != Access::Anyone)
    }
}

fn access_name(a: Access) -> &'static str {
    match a {
        Access::Anyone => "anyone",
        Access::User => "user",
        Access::Admin => "admin",
    }
}

/// The classes operations fall in, for access control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpClass {
    /// Reading: printer and job attributes, subscriptions, notifications.
    Query,
    /// Submitting print data or validating a job.
    Print,
    /// Changing one job.
    JobAdmin,
    /// Changing the printer or every job.
    PrinterAdmin,
}

impl OpClass {
    /// The class of `op`. Unknown operations count as printer
    /// administration, so a new operation is never open by mistake.
    pub fn of(op: Operation) -> OpClass {
        use Operation as O;
        match op {
            O::GetPrinterAttributes
            | O::GetJobAttributes
            | O::GetJobs
            | O::GetPrinterSupportedValues
            | O::CreatePrinterSubscriptions
            | O::CreateJobSubscriptions
            | O::GetSubscriptionAttributes
            | O::GetSubscriptions
            | O::RenewSubscription
            | O::CancelSubscription
            | O::GetNotifications
            | O::GetDocumentAttributes
            | O::GetDocuments
            | O::IdentifyPrinter => OpClass::Query,
            O::PrintJob
            | O::PrintUri
            | O::ValidateJob
            | O::CreateJob
            | O::SendDocument
            | O::SendUri
            | O::CloseJob
            | O::ValidateDocument => OpClass::Print,
            O::CancelJob
            | O::HoldJob
            | O::ReleaseJob
            | O::RestartJob
            | O::SetJobAttributes
            | O::CancelMyJobs
            | O::ResubmitJob
            | O::ReprocessJob
            | O::ResumeJob
            | O::CancelDocument
            | O::SetDocumentAttributes => OpClass::JobAdmin,
            _ => OpClass::PrinterAdmin,
        }
    }

    /// Its name in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            OpClass::Query => "query",
            OpClass::Print => "print",
            OpClass::JobAdmin => "job-admin",
            OpClass::PrinterAdmin => "printer-admin",
        }
    }

    /// Whether operations of this class go in the audit log.
    pub fn audited(self) -> bool {
        self != OpClass::Query
    }
}

/// One IPP request as the gate sees it.
#[derive(Debug, Clone)]
pub struct GateRequest<'a> {
    /// The operation.
    pub op: Operation,
    /// The `Authorization` header's value, if any.
    pub authorization: Option<&'a [u8]>,
    /// The HTTP method (`POST`).
    pub method: &'a str,
    /// The request target of the HTTP request line (for Digest's `uri`).
    pub uri: &'a str,
    /// `requesting-user-name`, if sent.
    pub requesting_user: Option<&'a str>,
    /// For operations on one job: the owner of that job, if it exists.
    pub job_owner: Option<&'a str>,
}

/// What the gate decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go on; `user` is the authenticated user, if there is one (it
    /// replaces `requesting-user-name`, RFC 8011 §9.3 "most authenticated").
    Allow {
        /// The authenticated user.
        user: Option<String>,
    },
    /// HTTP 401 with this `WWW-Authenticate` value.
    Challenge {
        /// The `WWW-Authenticate` value.
        challenge: String,
        /// Why, for the body and the audit log.
        reason: String,
    },
    /// HTTP 400: the `Authorization` header cannot be read.
    BadHeader(String),
    /// IPP `client-error-not-authorized`: known, but not allowed.
    NotAuthorized {
        /// The authenticated user, if any.
        user: Option<String>,
        /// Why.
        reason: String,
    },
}

/// A printer's security settings in force, with the Digest nonce secret.
#[derive(Debug)]
pub struct Gate {
    /// The settings.
    pub spec: SecuritySpec,
    mint: NonceMint,
}

impl Gate {
    /// A gate for `spec`; `secret` keys the Digest nonces.
    pub fn new(spec: SecuritySpec, secret: [u8; 32]) -> Gate {
        Gate {
            spec,
            mint: NonceMint::new(secret),
        }
    }

    /// The `WWW-Authenticate` value of a fresh challenge.
    pub fn challenge(&self, now_ms: u64, stale: bool) -> String {
        let c = match self.spec.auth_scheme {
            Scheme::Basic => Challenge {
                scheme: Scheme::Basic,
                realm: self.spec.realm.clone(),
                nonce: None,
                opaque: None,
                algorithm: None,
                qop: None,
                stale: false,
            },
            Scheme::Digest => Challenge {
                scheme: Scheme::Digest,
                realm: self.spec.realm.clone(),
                nonce: Some(self.mint.mint(now_ms)),
                opaque: None,
                algorithm: Some(self.spec.digest_algorithm),
                qop: Some("auth".into()),
                stale,
            },
        };
        c.to_header_value()
    }

    /// Decide on one request. `relaxed` (the `anonymous-admin` preset) lets
    /// every request through as its `requesting-user-name`.
    pub fn decide(&self, r: &GateRequest<'_>, now_ms: u64, relaxed: bool) -> Decision {
        if relaxed {
            return Decision::Allow { user: None };
        }
        let class = OpClass::of(r.op);
        let need = match class {
            OpClass::Query => Access::Anyone,
            OpClass::Print => self.spec.print,
            OpClass::JobAdmin => self.spec.job_admin,
            OpClass::PrinterAdmin => self.spec.printer_admin,
        };
        // Credentials are checked whenever they are sent, so a wrong
        // password is never let through as anonymous.
        let user = match r.authorization {
            None => None,
            Some(h) => match self.authenticate(h, r, now_ms) {
                Ok(u) => Some(u),
                Err(d) => return d,
            },
        };
        let challenge = |reason: String| Decision::Challenge {
            challenge: self.challenge(now_ms, false),
            reason,
        };
        let is_admin = |u: &Option<String>| {
            u.as_ref()
                .is_some_and(|u| self.spec.admins.iter().any(|a| a == u))
        };
        match (need, &user) {
            (Access::Anyone, _) => {}
            (Access::User | Access::Admin, None) => {
                return challenge(format!(
                    "{} needs credentials ({} operations: {})",
                    r.op,
                    class.name(),
                    access_name(need)
                ))
            }
            (Access::Admin, Some(u)) if !is_admin(&user) => {
                return Decision::NotAuthorized {
                    user: user.clone(),
                    reason: format!("{u} is not an administrator of this printer"),
                }
            }
            _ => {}
        }
        if self.spec.owner_check && class == OpClass::JobAdmin && !is_admin(&user) {
            if let Some(owner) = r.job_owner {
                let who = user
                    .as_deref()
                    .or(r.requesting_user)
                    .unwrap_or("anonymous")
                    .to_string();
                if who != owner {
                    if user.is_none() && !self.spec.loaded_users.is_empty() {
                        // An administrator could: ask for credentials.
                        return challenge(format!(
                            "the job belongs to {owner}; sign in as its owner or an administrator"
                        ));
                    }
                    return Decision::NotAuthorized {
                        user,
                        reason: format!("the job belongs to {owner}, not to {who}"),
                    };
                }
            }
        }
        Decision::Allow { user }
    }

    fn authenticate(
        &self,
        header: &[u8],
        r: &GateRequest<'_>,
        now_ms: u64,
    ) -> Result<String, Decision> {
        let creds = auth::parse_authorization(header).map_err(|e| {
            Decision::BadHeader(format!("the Authorization header cannot be read: {e}"))
        })?;
        let verifier = Verifier {
            users: &self.spec.loaded_users,
            realm: &self.spec.realm,
            mint: &self.mint,
            nonce_max_age_ms: NONCE_MAX_AGE_MS,
        };
        if matches!(creds, Credentials::Basic { .. }) && self.spec.auth_scheme == Scheme::Digest {
            return Err(Decision::Challenge {
                challenge: self.challenge(now_ms, false),
                reason: "this printer takes Digest credentials, not Basic".into(),
            });
        }
        match verifier.verify(&creds, r.method, r.uri, now_ms) {
            Verdict::Authenticated(u) => Ok(u),
            Verdict::StaleNonce(u) => Err(Decision::Challenge {
                challenge: self.challenge(now_ms, true),
                reason: format!("the nonce {u} sent is stale"),
            }),
            other => Err(Decision::Challenge {
                challenge: self.challenge(now_ms, false),
                reason: verdict_reason(&other),
            }),
        }
    }
}

fn verdict_reason(v: &Verdict) -> String {
    match v {
        Verdict::Authenticated(u) => format!("{u} authenticated"),
        Verdict::UnknownUser(u) => format!("no user '{u}'"),
        Verdict::WrongPassword(u) => format!("wrong password for '{u}'"),
        Verdict::WrongRealm(u) => format!("'{u}' sent credentials for another realm"),
        Verdict::StaleNonce(u) => format!("'{u}' sent a stale nonce"),
        Verdict::ForgedNonce(u) => format!("'{u}' sent a nonce this printer never gave"),
        Verdict::UriMismatch(u) => format!("'{u}' sent a Digest uri that is not the request's"),
    }
}

/// Whether `peer` may use a service whose access list is `acl`.
pub fn admitted(acl: &Acl, peer: IpAddr) -> bool {
    acl.allows(peer)
}

#[cfg(test)]
mod tests;
