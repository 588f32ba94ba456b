//! The printer's attributes as IPP shows them: the static part built once from
//! the profile, the live part from the printer model at each request.

use crate::model::Printer;
use crate::profile::{MediaSize, Profile};
use crate::wire::ipp::{Attribute, DelimiterTag, Group, Message, Value};

use super::codes::SUPPORTED_OPERATIONS;
use super::values::*;

/// Where the client reached us, for the URIs we hand out.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// `host:port` as the client addressed us (the HTTP Host header).
    pub authority: String,
    /// Whether this connection is TLS.
    pub tls: bool,
    /// The resource path of the printer, `/ipp/print`.
    pub path: String,
}

impl Endpoint {
    /// The printer's URI with the given scheme.
    pub fn printer_uri(&self, scheme: &str) -> String {
        format!("{scheme}://{}{}", self.authority, self.path)
    }

    /// `ipps` on TLS connections, `ipp` otherwise.
    pub fn scheme(&self) -> &'static str {
        if self.tls {
            "ipps"
        } else {
            "ipp"
        }
    }

    /// A job's URI.
    pub fn job_uri(&self, id: u32) -> String {
        format!("{}/{id}", self.printer_uri(self.scheme()))
    }

    /// An http(s) URL on this server.
    pub fn http_url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.authority)
    }
}

/// Names the printer computes itself; a profile's `[ipp]` table may not set them.
const COMPUTED: &[&str] = &[
    "charset-configured",
    "charset-supported",
    "compression-supported",
    "document-format-default",
    "document-format-supported",
    "generated-natural-language-supported",
    "ipp-versions-supported",
    "ippget-event-life",
    "job-ids-supported",
    "job-settable-attributes-supported",
    "marker-colors",
    "marker-high-levels",
    "marker-levels",
    "marker-low-levels",
    "marker-names",
    "marker-types",
    "media-bottom-margin-supported",
    "media-col-database",
    "media-col-default",
    "media-col-ready",
    "media-col-supported",
    "media-default",
    "media-left-margin-supported",
    "media-ready",
    "media-right-margin-supported",
    "media-size-supported",
    "media-source-supported",
    "media-supported",
    "media-top-margin-supported",
    "media-type-supported",
    "multiple-document-jobs-supported",
    "multiple-operation-time-out",
    "multiple-operation-time-out-action",
    "natural-language-configured",
    "notify-events-default",
    "notify-events-supported",
    "notify-lease-duration-default",
    "notify-lease-duration-supported",
    "notify-max-events-supported",
    "notify-pull-method-supported",
    "operations-supported",
    "pages-per-minute",
    "pages-per-minute-color",
    "printer-alert",
    "printer-alert-description",
    "printer-config-change-date-time",
    "printer-config-change-time",
    "printer-current-time",
    "printer-device-id",
    "printer-firmware-name",
    "printer-firmware-string-version",
    "printer-icons",
    "printer-info",
    "printer-input-tray",
    "printer-is-accepting-jobs",
    "printer-location",
    "printer-make-and-model",
    "printer-message-from-operator",
    "printer-more-info",
    "printer-name",
    "printer-serial-number",
    "printer-settable-attributes-supported",
    "printer-state",
    "printer-state-change-date-time",
    "printer-state-change-time",
    "printer-state-message",
    "printer-state-reasons",
    "printer-supply",
    "printer-supply-description",
    "printer-supply-info-uri",
    "printer-up-time",
    "printer-uri-supported",
    "printer-uuid",
    "queued-job-count",
    "uri-authentication-supported",
    "uri-security-supported",
    "which-jobs-supported",
];

/// Printer attributes that follow the printer's state, its supplies and trays,
/// or the address it was reached at: built for every request, never recorded.
const LIVE: &[&str] = &[
    "marker-colors",
    "marker-high-levels",
    "marker-levels",
    "marker-low-levels",
    "marker-names",
    "marker-types",
    "media-col-ready",
    "media-ready",
    "printer-alert",
    "printer-alert-description",
    "printer-config-change-date-time",
    "printer-config-change-time",
    "printer-current-time",
    "printer-icons",
    "printer-input-tray",
    "printer-is-accepting-jobs",
    "printer-message-from-operator",
    "printer-more-info",
    "printer-state",
    "printer-state-change-date-time",
    "printer-state-change-time",
    "printer-state-message",
    "printer-state-reasons",
    "printer-supply",
    "printer-supply-description",
    "printer-supply-info-uri",
    "printer-up-time",
    "printer-uri-supported",
    "queued-job-count",
    "uri-authentication-supported",
    "uri-security-supported",
];

/// Whether `name` follows the printer's state (and so is built live).
pub fn is_live(name: &str) -> bool {
    LIVE.binary_search(&name).is_ok()
}

/// Whether the printer computes `name` itself.
pub fn is_computed(name: &str) -> bool {
    COMPUTED.binary_search(&name).is_ok()
}

/// Base names of job template attributes (RFC 8011 §5.2, PWG 5100.x): their
/// `-default`, `-supported` and `-ready` attributes form the `job-template` group.
const TEMPLATE_BASES: &[&str] = &[
    "copies",
    "finishings",
    "finishings-col",
    "job-account-id",
    "job-accounting-user-id",
    "job-hold-until",
    "job-priority",
    "job-sheets",
    "media",
    "media-col",
    "multiple-document-handling",
    "number-up",
    "orientation-requested",
    "output-bin",
    "overrides",
    "page-ranges",
    "presentation-direction-number-up",
    "print-color-mode",
    "print-content-optimize",
    "print-quality",
    "print-rendering-intent",
    "print-scaling",
    "printer-resolution",
    "sides",
];

/// Whether a printer attribute belongs to the `job-template` group.
pub fn is_job_template(name: &str) -> bool {
    let base = name
        .strip_suffix("-default")
        .or_else(|| name.strip_suffix("-supported"))
        .or_else(|| name.strip_suffix("-ready"));
    match base {
        Some(b) => TEMPLATE_BASES.contains(&b) || name == "media-col-database",
        None => name == "media-col-database",
    }
}

/// The job template attributes a request may carry (the bases above).
pub fn is_template_attribute(name: &str) -> bool {
    TEMPLATE_BASES.contains(&name)
}

/// The static printer attributes of a profile, built once.
#[derive(Debug, Clone)]
pub struct StaticAttributes {
    /// Everything but `media-col-database`, in order.
    pub attributes: Vec<Attribute>,
    /// `media-col-database`, returned only when asked for by name.
    pub media_col_database: Attribute,
    /// `attributes` encoded back to back (no group tag, no end tag), so a
    /// Get-Printer-Attributes for `all` copies bytes instead of re-encoding.
    pub encoded: Vec<u8>,
}

impl StaticAttributes {
    /// Refresh [`StaticAttributes::encoded`] after `attributes` changed.
    pub fn encode(&mut self) {
        let m = Message {
            version: (2, 0),
            code: 0,
            request_id: 1,
            groups: vec![Group {
                tag: DelimiterTag::PrinterAttributes,
                attributes: self.attributes.clone(),
            }],
        };
        // Header (8 bytes) and group tag (1) before, end tag (1) after.
        self.encoded = match m.to_bytes() {
            Ok(b) if b.len() >= 10 => b[9..b.len() - 1].to_vec(),
            _ => Vec::new(),
        };
    }
}

/// A `media-col` collection for a size with margins and optional source/type.
pub fn media_col(
    size: MediaSize,
    margins: [i32; 4],
    source: Option<&str>,
    kind: Option<&str>,
) -> Value {
    let mut m = vec![
        Attribute::new(
            "media-size",
            collection(vec![
                integer("x-dimension", size.x),
                integer("y-dimension", size.y),
            ]),
        ),
        integer("media-bottom-margin", margins[0]),
        integer("media-left-margin", margins[1]),
        integer("media-right-margin", margins[2]),
        integer("media-top-margin", margins[3]),
    ];
    if let Some(s) = source {
        m.push(keyword("media-source", s));
    }
    if let Some(t) = kind {
        m.push(keyword("media-type", t));
    }
    collection(m)
}

impl StaticAttributes {
    /// Build from a profile.
    pub fn build(profile: &Profile) -> StaticAttributes {
        let mut a: Vec<Attribute> = Vec::new();
        let id = &profile.identity;
        a.push(Attribute::new(
            "charset-configured",
            Value::Charset("utf-8".into()),
        ));
        a.push(Attribute::with_values(
            "charset-supported",
            vec![
                Value::Charset("utf-8".into()),
                Value::Charset("us-ascii".into()),
            ],
        ));
        a.push(keywords(
            "compression-supported",
            &["none", "deflate", "gzip"],
        ));
        a.push(Attribute::new(
            "document-format-default",
            Value::MimeMediaType(profile.formats.default.clone()),
        ));
        a.push(Attribute::with_values(
            "document-format-supported",
            profile
                .formats
                .supported
                .iter()
                .map(|f| Value::MimeMediaType(f.clone()))
                .collect(),
        ));
        a.push(Attribute::new(
            "generated-natural-language-supported",
            Value::NaturalLanguage("en".into()),
        ));
        a.push(Attribute::new(
            "natural-language-configured",
            Value::NaturalLanguage("en".into()),
        ));
        a.push(keywords(
            "ipp-versions-supported",
            &["1.1", "2.0", "2.1", "2.2"],
        ));
        a.push(boolean("job-ids-supported", true));
        a.push(boolean("multiple-document-jobs-supported", true));
        a.push(integer(
            "multiple-operation-time-out",
            clamp_i32(profile.jobs.multiple_operation_timeout),
        ));
        // What the model does when the time-out passes: prints what arrived.
        a.push(keyword("multiple-operation-time-out-action", "process-job"));
        a.push(Attribute::with_values(
            "operations-supported",
            SUPPORTED_OPERATIONS
                .iter()
                .map(|o| Value::Enum(i32::from(o.raw())))
                .collect(),
        ));
        a.push(integer("pages-per-minute", clamp_i32(profile.speed.ppm)));
        if profile.speed.ppm_color > 0 {
            a.push(integer(
                "pages-per-minute-color",
                clamp_i32(profile.speed.ppm_color),
            ));
        }
        a.push(text("printer-device-id", &profile.device_id()));
        if !id.firmware.is_empty() {
            a.push(name("printer-firmware-name", "firmware"));
            a.push(text("printer-firmware-string-version", &id.firmware));
        }
        a.push(text(
            "printer-info",
            if id.info.is_empty() {
                &id.name
            } else {
                &id.info
            },
        ));
        a.push(text("printer-location", &id.location));
        a.push(text("printer-make-and-model", &profile.make_and_model()));
        a.push(name("printer-name", &id.name));
        if !id.serial.is_empty() {
            a.push(text("printer-serial-number", &id.serial));
        }
        a.push(uri("printer-uuid", &format!("urn:uuid:{}", profile.uuid())));
        a.push(keywords(
            "which-jobs-supported",
            &[
                "completed",
                "not-completed",
                "aborted",
                "all",
                "canceled",
                "pending",
                "pending-held",
                "processing",
                "processing-stopped",
                "proof-print",
            ],
        ));
        // Subscriptions, pull delivery only (RFC 3995, RFC 3996).
        a.push(keyword("notify-events-default", "job-completed"));
        a.push(keywords(
            "notify-events-supported",
            &crate::model::EventKind::ALL
                .iter()
                .map(|e| e.keyword())
                .collect::<Vec<_>>(),
        ));
        a.push(integer(
            "notify-lease-duration-default",
            clamp_i32(super::subscriptions::DEFAULT_LEASE),
        ));
        a.push(Attribute::new(
            "notify-lease-duration-supported",
            Value::RangeOfInteger {
                lower: 0,
                upper: clamp_i32(super::subscriptions::MAX_LEASE),
            },
        ));
        a.push(integer("notify-max-events-supported", 100));
        a.push(keyword("notify-pull-method-supported", "ippget"));
        a.push(integer("ippget-event-life", 60));
        a.push(keywords(
            "job-settable-attributes-supported",
            super::admin::SETTABLE_JOB,
        ));

        // Media.
        let m = &profile.media;
        let sizes: Vec<(String, MediaSize)> = m
            .sizes
            .iter()
            .filter_map(|s| MediaSize::parse(s).ok().map(|d| (s.clone(), d)))
            .collect();
        a.push(keywords("media-supported", &m.sizes));
        a.push(keyword("media-default", &m.default));
        a.push(keywords(
            "media-col-supported",
            &[
                "media-bottom-margin",
                "media-left-margin",
                "media-right-margin",
                "media-size",
                "media-source",
                "media-top-margin",
                "media-type",
            ],
        ));
        let default_size = MediaSize::parse(&m.default).unwrap_or(MediaSize { x: 21000, y: 29700 });
        a.push(Attribute::new(
            "media-col-default",
            media_col(
                default_size,
                m.margins,
                m.sources.first().map(String::as_str),
                Some(&m.default_type),
            ),
        ));
        a.push(Attribute::with_values(
            "media-size-supported",
            sizes
                .iter()
                .map(|(_, d)| {
                    collection(vec![
                        integer("x-dimension", d.x),
                        integer("y-dimension", d.y),
                    ])
                })
                .collect(),
        ));
        a.push(keywords("media-source-supported", &m.sources));
        a.push(keywords("media-type-supported", &m.types));
        let margin_values = |i: usize| -> Vec<Value> {
            let mut v = vec![Value::Integer(m.margins[i])];
            if !m.borderless.is_empty() && m.margins[i] != 0 {
                v.push(Value::Integer(0));
            }
            v
        };
        for (i, n) in [
            "media-bottom-margin-supported",
            "media-left-margin-supported",
            "media-right-margin-supported",
            "media-top-margin-supported",
        ]
        .iter()
        .enumerate()
        {
            a.push(Attribute::with_values(*n, margin_values(i)));
        }
        let mut db = Vec::new();
        for (n, d) in &sizes {
            db.push(media_col(*d, m.margins, None, None));
            if m.borderless.contains(n) {
                db.push(media_col(*d, [0; 4], None, None));
            }
        }
        let media_col_database = Attribute::with_values("media-col-database", db);

        for (n, v) in &profile.ipp {
            if let Ok(values) = v.to_values() {
                a.push(Attribute::with_values(n.clone(), values));
            }
        }
        let mut media_col_database = media_col_database;
        for (n, v) in &profile.ipp_recorded {
            let Ok(values) = v.to_values() else { continue };
            if is_live(n) {
                continue;
            }
            let attr = Attribute::with_values(n.clone(), values);
            if n == "media-col-database" {
                media_col_database = attr;
            } else if let Some(slot) = a.iter_mut().find(|x| x.name == *n) {
                *slot = attr;
            } else {
                a.push(attr);
            }
        }
        let recorded_settable = profile
            .ipp_recorded
            .contains_key("printer-settable-attributes-supported");
        let mut st = StaticAttributes {
            attributes: a,
            media_col_database,
            encoded: Vec::new(),
        };
        let mut settable: Vec<String> = super::admin::SETTABLE_PRINTER
            .iter()
            .map(|s| s.to_string())
            .collect();
        settable.extend(super::admin::settable_defaults(&st));
        if !recorded_settable {
            st.attributes
                .push(keywords("printer-settable-attributes-supported", &settable));
        }
        st.encode();
        st
    }
}

/// The live printer attributes: state, time, queue, supplies, trays, URIs.
pub fn live_attributes(p: &Printer, ep: &Endpoint) -> Vec<Attribute> {
    live_attributes_filtered(p, ep, &|_| true)
}

/// The live attributes `wants` asks for; the others are not even built.
pub fn live_attributes_filtered(
    p: &Printer,
    ep: &Endpoint,
    wants: &dyn Fn(&str) -> bool,
) -> Vec<Attribute> {
    let mut a = Vec::with_capacity(32);
    let state = p.state();
    if wants("printer-state") {
        a.push(enumeration("printer-state", state.ipp_enum()));
    }
    if wants("printer-state-reasons") {
        a.push(keywords("printer-state-reasons", &p.state_reasons()));
    }
    if wants("printer-state-message") {
        a.push(text("printer-state-message", &p.state_message()));
    }
    if wants("printer-is-accepting-jobs") {
        a.push(boolean("printer-is-accepting-jobs", p.is_accepting_jobs()));
    }
    if wants("queued-job-count") {
        a.push(integer("queued-job-count", clamp_i32(p.queued_job_count())));
    }
    if wants("printer-up-time") {
        a.push(integer("printer-up-time", p.up_time()));
    }
    if wants("printer-current-time") {
        a.push(date_time("printer-current-time", p.clock.unix_ms(p.now)));
    }
    if wants("printer-state-change-time") {
        a.push(integer(
            "printer-state-change-time",
            clamp_i32(p.state_changed.as_secs()).max(1),
        ));
    }
    if wants("printer-state-change-date-time") {
        a.push(date_time(
            "printer-state-change-date-time",
            p.clock.unix_ms(p.state_changed),
        ));
    }
    if wants("printer-config-change-time") {
        a.push(integer(
            "printer-config-change-time",
            clamp_i32(p.config_changed.as_secs()).max(1),
        ));
    }
    if wants("printer-config-change-date-time") {
        a.push(date_time(
            "printer-config-change-date-time",
            p.clock.unix_ms(p.config_changed),
        ));
    }
    // URIs: the same port speaks IPP and IPPS, unless the security settings
    // say one of them only.
    let sec = &p.profile.security;
    let schemes: &[(&str, &str)] = match sec.tls.mode {
        crate::security::TlsMode::Optional => &[("ipp", "none"), ("ipps", "tls")],
        crate::security::TlsMode::Required => &[("ipps", "tls")],
        crate::security::TlsMode::Off => &[("ipp", "none")],
    };
    let authentication = if sec.asks_credentials() {
        match sec.auth_scheme {
            crate::security::auth::Scheme::Basic => "basic",
            crate::security::auth::Scheme::Digest => "digest",
        }
    } else {
        "none"
    };
    if wants("printer-uri-supported") {
        a.push(Attribute::with_values(
            "printer-uri-supported",
            schemes
                .iter()
                .map(|(scheme, _)| Value::Uri(ep.printer_uri(scheme)))
                .collect(),
        ));
    }
    if wants("uri-authentication-supported") {
        a.push(Attribute::with_values(
            "uri-authentication-supported",
            schemes
                .iter()
                .map(|_| Value::Keyword(authentication.into()))
                .collect(),
        ));
    }
    if wants("uri-security-supported") {
        a.push(Attribute::with_values(
            "uri-security-supported",
            schemes
                .iter()
                .map(|(_, security)| Value::Keyword((*security).into()))
                .collect(),
        ));
    }
    if sec.job_password == crate::security::JobPasswordMode::Hold {
        if wants("job-password-supported") {
            a.push(integer("job-password-supported", 255));
        }
        if wants("job-password-encryption-supported") {
            a.push(keywords(
                "job-password-encryption-supported",
                crate::security::JOB_PASSWORD_ENCRYPTIONS,
            ));
        }
    }
    if wants("printer-more-info") {
        a.push(uri("printer-more-info", &ep.http_url("/")));
    }
    if wants("printer-supply-info-uri") {
        a.push(uri("printer-supply-info-uri", &ep.http_url("/supplies")));
    }
    if wants("printer-icons") {
        a.push(Attribute::with_values(
            "printer-icons",
            vec![
                Value::Uri(ep.http_url("/icon-48.png")),
                Value::Uri(ep.http_url("/icon-128.png")),
                Value::Uri(ep.http_url("/icon-512.png")),
            ],
        ));
    }
    // Supplies.
    if !p.supplies.is_empty() {
        let s = &p.supplies;
        if wants("marker-names") {
            a.push(Attribute::with_values(
                "marker-names",
                s.iter().map(|x| Value::Name(x.name.clone())).collect(),
            ));
        }
        if wants("marker-colors") {
            a.push(Attribute::with_values(
                "marker-colors",
                s.iter().map(|x| Value::Name(x.color.clone())).collect(),
            ));
        }
        if wants("marker-types") {
            a.push(Attribute::with_values(
                "marker-types",
                s.iter().map(|x| Value::Keyword(x.kind.clone())).collect(),
            ));
        }
        if wants("marker-levels") {
            a.push(Attribute::with_values(
                "marker-levels",
                s.iter()
                    .map(|x| Value::Integer(i32::from(x.level_percent())))
                    .collect(),
            ));
        }
        if wants("marker-low-levels") {
            a.push(Attribute::with_values(
                "marker-low-levels",
                s.iter().map(|x| Value::Integer(i32::from(x.low))).collect(),
            ));
        }
        if wants("marker-high-levels") {
            a.push(Attribute::with_values(
                "marker-high-levels",
                s.iter().map(|_| Value::Integer(100)).collect(),
            ));
        }
        if wants("printer-supply") {
            a.push(Attribute::with_values(
            "printer-supply",
            s.iter()
                .enumerate()
                .map(|(i, x)| {
                    Value::OctetString(
                        format!(
                            "index={};class=supplyThatIsConsumed;type={};unit=percent;maxcapacity=100;level={};colorantname={};",
                            i + 1,
                            if x.kind.contains("ink") { "ink" } else { "toner" },
                            x.level_percent(),
                            color_name(&x.color)
                        )
                        .into_bytes(),
                    )
                })
                .collect(),
        ));
        }
        if wants("printer-supply-description") {
            a.push(Attribute::with_values(
                "printer-supply-description",
                s.iter().map(|x| Value::Text(x.name.clone())).collect(),
            ));
        }
    }
    // Trays.
    let prof = &p.profile;
    if !p.trays.is_empty() {
        let mut ready: Vec<String> = Vec::new();
        let mut cols = Vec::new();
        for t in &p.trays {
            if !ready.contains(&t.media) {
                ready.push(t.media.clone());
            }
            if let Ok(d) = MediaSize::parse(&t.media) {
                cols.push(media_col(
                    d,
                    prof.media.margins,
                    Some(&t.source),
                    Some(&t.media_type),
                ));
            }
        }
        if wants("media-ready") {
            a.push(keywords("media-ready", &ready));
        }
        if wants("media-col-ready") {
            a.push(Attribute::with_values("media-col-ready", cols));
        }
        if wants("printer-input-tray") {
            a.push(Attribute::with_values(
            "printer-input-tray",
            p.trays
                .iter()
                .map(|t| {
                    Value::OctetString(
                        format!(
                            "type=sheetFeedAutoRemovableTray;mediafeed=0;mediaxfeed=0;maxcapacity={};level={};status=0;name={};",
                            t.capacity, t.level, t.source
                        )
                        .into_bytes(),
                    )
                })
                .collect(),
        ));
        }
    }
    // Alerts (PWG 5100.9), the same table SNMP's prtAlertTable shows.
    let alerts = p.alerts();
    if wants("printer-alert") {
        a.push(Attribute::with_values(
            "printer-alert",
            alerts
                .iter()
                .enumerate()
                .map(|(i, al)| {
                    Value::OctetString(
                        format!(
                            "code={};index={};severity={};group={};time={}",
                            al.code,
                            i + 1,
                            al.severity,
                            al.group,
                            al.time.as_secs()
                        )
                        .into_bytes(),
                    )
                })
                .collect(),
        ));
    }
    if wants("printer-alert-description") {
        a.push(Attribute::with_values(
            "printer-alert-description",
            alerts
                .iter()
                .map(|al| Value::Text(al.description.to_string()))
                .collect(),
        ));
    }
    if wants("printer-message-from-operator") {
        a.push(text("printer-message-from-operator", &p.operator_message));
    }
    a
}

fn color_name(hex: &str) -> &'static str {
    match hex.to_ascii_lowercase().as_str() {
        "#000000" => "black",
        "#00ffff" => "cyan",
        "#ff00ff" => "magenta",
        "#ffff00" => "yellow",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_list_is_sorted_for_binary_search() {
        let mut sorted = COMPUTED.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, COMPUTED);
    }

    #[test]
    fn template_classification() {
        assert!(is_job_template("copies-supported"));
        assert!(is_job_template("media-col-default"));
        assert!(is_job_template("media-ready"));
        assert!(!is_job_template("printer-name"));
        assert!(!is_job_template("media-size-supported"));
    }

    #[test]
    fn static_attributes_of_default_profile() {
        let p = Profile::default_profile().unwrap();
        let s = StaticAttributes::build(&p);
        let names: Vec<&str> = s.attributes.iter().map(|a| a.name.as_str()).collect();
        for required in [
            "printer-name",
            "operations-supported",
            "media-col-default",
            "document-format-supported",
        ] {
            assert!(names.contains(&required), "{required}");
        }
        let mut dedup = names.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), names.len(), "no attribute twice");
    }
}
