//! A profile derived from what a real printer said: the printer attributes
//! of its Get-Printer-Attributes answers and the MIB values of its SNMP
//! answers (as `paperjam profile from-capture` finds them in a capture).
//!
//! The sections a profile needs (identity, speed, formats, media, supplies)
//! are filled from the attributes; every other attribute goes in `[ipp]`;
//! a computed attribute whose computed value would not be the recorded one
//! goes in `[ipp-recorded]`, so the printer served from the profile answers
//! as the recorded printer did. What follows the printer's state is left
//! live and listed in the notes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::ipp::attributes::{is_computed, is_live, StaticAttributes};
use crate::profile::{MediaSize, Profile};
use crate::snmp::{Oid, Value as SnmpValue};
use crate::wire::ipp::{Attribute, Value};

/// What a derivation starts from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Where it came from, for the profile's head comment.
    pub origin: String,
    /// The printer attributes answered, later answers overriding earlier.
    pub printer_attributes: Vec<Attribute>,
    /// The `attributes-natural-language` of the printer's IPP answers, in
    /// order: a printer answers in the language asked for when it generates
    /// it, so these stand for `natural-language-configured` and
    /// `generated-natural-language-supported` when it was not asked for them.
    pub response_languages: Vec<String>,
    /// The instance name the printer's mDNS answers use, if any.
    pub mdns_instance: Option<String>,
    /// The host name (one label) its SRV records point at, if any.
    pub mdns_host: Option<String>,
    /// Its TXT records by service type (`_ipp._tcp`): the strings in order.
    pub mdns_txt: Vec<(String, Vec<String>)>,
    /// MIB values answered (name, value).
    pub mib: Vec<(Oid, SnmpValue)>,
    /// The file name the MIB values are written to, relative to the profile.
    pub walk_file: Option<String>,
}

/// A derived profile.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The profile's TOML.
    pub toml: String,
    /// The MIB values as `snmpwalk -On` text, for [`Sources::walk_file`].
    pub walk: Option<String>,
    /// What could not be carried over, and why.
    pub notes: Vec<String>,
}

/// Why no profile could be derived.
#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    /// Neither printer attributes nor MIB values.
    #[error("the capture holds no Get-Printer-Attributes answer and no SNMP answer to derive a profile from")]
    Nothing,
    /// The derived TOML did not load back (a bug: the message says where).
    #[error("the derived profile does not load: {0}")]
    DoesNotLoad(String),
}

/// A TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn strings_array(v: &[String]) -> String {
    strings(v)
}

fn strings(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|s| q(s)).collect();
    format!("[{}]", items.join(", "))
}

/// One value as the profile's typed notation writes it (without the syntax).
fn scalar(v: &Value) -> Option<(&'static str, String)> {
    Some(match v {
        Value::Integer(n) => ("integer", n.to_string()),
        Value::Boolean(b) => ("boolean", b.to_string()),
        Value::Enum(n) => ("enum", n.to_string()),
        Value::Keyword(s) => ("keyword", q(s)),
        Value::Text(s) => ("text", q(s)),
        Value::Name(s) => ("name", q(s)),
        Value::Uri(s) => ("uri", q(s)),
        Value::UriScheme(s) => ("uri-scheme", q(s)),
        Value::Charset(s) => ("charset", q(s)),
        Value::NaturalLanguage(s) => ("natural-language", q(s)),
        Value::MimeMediaType(s) => ("mime-media-type", q(s)),
        Value::OctetString(b) => ("octet-string", q(std::str::from_utf8(b).ok()?)),
        Value::RangeOfInteger { lower, upper } => {
            ("range-of-integer", q(&format!("{lower}-{upper}")))
        }
        Value::Resolution { x, y, units } => (
            "resolution",
            q(&format!(
                "{x}x{y}{}",
                if *units == 4 { "dpcm" } else { "dpi" }
            )),
        ),
        Value::TextWithLanguage { language, text } => {
            ("text-with-language", q(&format!("{language}:{text}")))
        }
        Value::NameWithLanguage { language, name } => {
            ("name-with-language", q(&format!("{language}:{name}")))
        }
        Value::Collection(c) => {
            let mut members = Vec::new();
            for m in &c.members {
                members.push(format!("{} = {}", key(&m.name), typed(&m.values)?));
            }
            ("collection", format!("{{ {} }}", members.join(", ")))
        }
        Value::OutOfBand(tag) => match tag.to_string().as_str() {
            "no-value" => ("no-value", "true".into()),
            "unknown" => ("unknown", "true".into()),
            _ => return None,
        },
        Value::DateTime(_) | Value::Unknown { .. } => return None,
    })
}

fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        name.to_string()
    } else {
        q(name)
    }
}

/// `{ syntax = value }` or `{ syntax = [values] }`, when every value has
/// the same syntax and the notation can write it.
pub fn typed(values: &[Value]) -> Option<String> {
    let mut syntax = None;
    let mut items = Vec::new();
    for v in values {
        let (s, text) = scalar(v)?;
        if syntax.is_some_and(|x| x != s) {
            return None;
        }
        syntax = Some(s);
        items.push(text);
    }
    let s = syntax?;
    if matches!(s, "no-value" | "unknown") {
        return Some(format!("{{ {s} = true }}"));
    }
    Some(if items.len() == 1 {
        format!("{{ {s} = {} }}", items[0])
    } else {
        format!("{{ {s} = [{}] }}", items.join(", "))
    })
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Text(s)
        | Value::Name(s)
        | Value::Keyword(s)
        | Value::Uri(s)
        | Value::MimeMediaType(s) => Some(s.clone()),
        Value::TextWithLanguage { text, .. } => Some(text.clone()),
        Value::NameWithLanguage { name, .. } => Some(name.clone()),
        Value::OctetString(b) => std::str::from_utf8(b).ok().map(str::to_string),
        _ => None,
    }
}

struct Attrs<'a>(BTreeMap<&'a str, &'a Attribute>);

impl<'a> Attrs<'a> {
    fn text(&self, name: &str) -> Option<String> {
        self.0.get(name).and_then(|a| a.first()).and_then(text_of)
    }
    fn texts(&self, name: &str) -> Vec<String> {
        self.0
            .get(name)
            .map(|a| a.values.iter().filter_map(text_of).collect())
            .unwrap_or_default()
    }
    fn ints(&self, name: &str) -> Vec<i32> {
        self.0
            .get(name)
            .map(|a| {
                a.values
                    .iter()
                    .filter_map(|v| match v {
                        Value::Integer(n) | Value::Enum(n) => Some(*n),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    fn int(&self, name: &str) -> Option<i32> {
        self.ints(name).first().copied()
    }
    fn collections(&self, name: &str) -> Vec<crate::wire::ipp::Collection> {
        self.0
            .get(name)
            .map(|a| {
                a.values
                    .iter()
                    .filter_map(|v| match v {
                        Value::Collection(c) => Some(c.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    /// `key=value;key=value;` octetStrings (printer-input-tray,
    /// printer-supply), one map each.
    fn tray_entries(&self, name: &str) -> Vec<BTreeMap<String, String>> {
        self.texts(name)
            .iter()
            .map(|t| {
                t.split(';')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .collect()
            })
            .collect()
    }
}

/// `wasteToner` → `waste-toner` (Printer MIB type names as IPP keywords).
fn kebab(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The size among `sizes` whose dimensions are the collection's media-size.
fn size_by_dimensions(col: &crate::wire::ipp::Collection, sizes: &[String]) -> Option<String> {
    let Value::Collection(size) = col.get("media-size")?.first()? else {
        return None;
    };
    let dim = |n: &str| match size.get(n).and_then(|a| a.first()) {
        Some(Value::Integer(v)) => Some(*v),
        _ => None,
    };
    let (x, y) = (dim("x-dimension")?, dim("y-dimension")?);
    sizes
        .iter()
        .find(|s| MediaSize::parse(s).is_ok_and(|m| m.x == x && m.y == y))
        .cloned()
}

/// `MFG:x;MDL:y;` → the value of `keys`.
fn device_id_field(id: &str, keys: &[&str]) -> Option<String> {
    id.split(';').find_map(|kv| {
        let (k, v) = kv.split_once(':')?;
        keys.iter()
            .any(|x| k.trim().eq_ignore_ascii_case(x))
            .then(|| v.trim().to_string())
    })
}

/// The profile's sections but `[ipp-recorded]`.
fn sections(a: &Attrs<'_>, sources: &Sources, notes: &mut Vec<String>) -> String {
    let mut t = String::new();
    // The profile's name is also the printer's mDNS host name.
    let name = a
        .text("printer-name")
        .or_else(|| sources.mdns_host.clone())
        .unwrap_or_else(|| "captured-printer".into());
    let mm = a.text("printer-make-and-model").unwrap_or_default();
    let device_id = a.text("printer-device-id");
    let (make, model) = match device_id.as_deref().and_then(|d| {
        Some((
            device_id_field(d, &["MFG", "MANUFACTURER"])?,
            device_id_field(d, &["MDL", "MODEL"])?,
        ))
    }) {
        Some((mfg, mdl)) if !mfg.is_empty() && !mdl.is_empty() => (mfg, mdl),
        _ => match mm.split_once(' ') {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None if !mm.is_empty() => (mm.clone(), mm.clone()),
            None => ("Unknown".to_string(), "Printer".to_string()),
        },
    };
    let _ = writeln!(t, "[identity]");
    let _ = writeln!(t, "name = {}", q(&name));
    let _ = writeln!(t, "make = {}", q(&make));
    let _ = writeln!(t, "model = {}", q(&model));
    if let Some(v) = a.text("printer-location") {
        let _ = writeln!(t, "location = {}", q(&v));
    }
    // The mDNS instance name is the profile's info (or its name).
    if let Some(v) = a
        .text("printer-info")
        .or_else(|| sources.mdns_instance.clone())
    {
        let _ = writeln!(t, "info = {}", q(&v));
    }
    if let Some(u) = a.text("printer-uuid") {
        let _ = writeln!(t, "uuid = {}", q(u.trim_start_matches("urn:uuid:")));
    }
    let serial = a.text("printer-serial-number").or_else(|| {
        device_id
            .as_deref()
            .and_then(|d| device_id_field(d, &["SN", "SERN"]))
    });
    if let Some(s) = serial {
        let _ = writeln!(t, "serial = {}", q(&s));
    }
    if let Some(f) = a.texts("printer-firmware-string-version").first() {
        let _ = writeln!(t, "firmware = {}", q(f));
    }
    if let Some(d) = &device_id {
        let _ = writeln!(t, "device-id = {}", q(d));
    }

    let color = matches!(
        a.0.get("color-supported").and_then(|x| x.first()),
        Some(Value::Boolean(true))
    );
    let ppm = a.int("pages-per-minute").filter(|n| *n > 0).unwrap_or(20);
    let ppm_color = a
        .int("pages-per-minute-color")
        .filter(|n| *n >= 0)
        .unwrap_or(if color { ppm } else { 0 });
    let _ = writeln!(t, "\n[speed]\nppm = {ppm}\nppm-color = {ppm_color}");

    let mut formats = a.texts("document-format-supported");
    if formats.is_empty() {
        notes
            .push("no document-format-supported: the profile says application/octet-stream".into());
        formats.push("application/octet-stream".into());
    }
    let default_format = a
        .text("document-format-default")
        .filter(|f| formats.contains(f))
        .unwrap_or_else(|| formats[0].clone());
    let _ = writeln!(
        t,
        "\n[formats]\nsupported = {}\ndefault = {}",
        strings(&formats),
        q(&default_format)
    );

    let all_media = a.texts("media-supported");
    let mut sizes: Vec<String> = all_media
        .iter()
        .filter(|m| MediaSize::parse(m).is_ok())
        .cloned()
        .collect();
    sizes.dedup();
    let odd: Vec<&String> = all_media.iter().filter(|m| !sizes.contains(m)).collect();
    if !odd.is_empty() {
        notes.push(format!(
            "media-supported names that are not PWG 5101.1 sizes stay only in [ipp-recorded]: {}",
            odd.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if sizes.is_empty() {
        notes.push("no PWG media size answered: the profile's [media] has A4 and Letter".into());
        sizes = vec!["iso_a4_210x297mm".into(), "na_letter_8.5x11in".into()];
    }
    let media_default = a
        .text("media-default")
        .filter(|m| sizes.contains(m))
        .unwrap_or_else(|| sizes[0].clone());
    let mut types = a.texts("media-type-supported");
    if types.is_empty() {
        types.push("stationery".into());
    }
    let default_type =
        a.0.get("media-col-default")
            .and_then(|x| x.first())
            .and_then(|v| match v {
                Value::Collection(c) => c
                    .get("media-type")
                    .and_then(|m| m.first())
                    .and_then(text_of),
                _ => None,
            })
            .filter(|t| types.contains(t))
            .unwrap_or_else(|| types[0].clone());
    let mut sources_kw = a.texts("media-source-supported");
    if sources_kw.is_empty() {
        sources_kw.push("auto".into());
    }
    let margin = |n: &str| a.int(n).filter(|m| *m >= 0).unwrap_or(423);
    let _ = writeln!(
        t,
        "\n[media]\nsizes = {}\ndefault = {}\ntypes = {}\ndefault-type = {}\nsources = {}\nmargins = [{}, {}, {}, {}]",
        strings(&sizes),
        q(&media_default),
        strings(&types),
        q(&default_type),
        strings(&sources_kw),
        margin("media-bottom-margin-supported"),
        margin("media-left-margin-supported"),
        margin("media-right-margin-supported"),
        margin("media-top-margin-supported"),
    );

    // Trays: from media-col-ready (what is loaded where) and
    // printer-input-tray (how much each holds).
    let trays = a.tray_entries("printer-input-tray");
    let mut seen_sources = Vec::new();
    for col in a.collections("media-col-ready") {
        let Some(source) = col
            .get("media-source")
            .and_then(|m| m.first())
            .and_then(text_of)
        else {
            continue;
        };
        if seen_sources.contains(&source) {
            continue;
        }
        let media = col
            .get("media-size-name")
            .and_then(|m| m.first())
            .and_then(text_of)
            .filter(|m| sizes.contains(m))
            .or_else(|| size_by_dimensions(&col, &sizes));
        let Some(media) = media else {
            notes.push(format!(
                "the media loaded in {source} is not one of the sizes: no tray for it"
            ));
            continue;
        };
        let kind = col
            .get("media-type")
            .and_then(|m| m.first())
            .and_then(text_of)
            .unwrap_or_else(|| default_type.clone());
        let entry = trays.iter().find(|t| t.get("name") == Some(&source));
        let number = |k: &str| {
            entry
                .and_then(|t| t.get(k))
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|n| *n > 0)
        };
        let capacity = number("maxcapacity").unwrap_or(250);
        let level = number("level").unwrap_or(capacity).min(capacity);
        let _ = writeln!(
            t,
            "\n[[trays]]\nsource = {}\nmedia = {}\nmedia-type = {}\ncapacity = {capacity}\nlevel = {level}\nauto-refill = true",
            q(&source),
            q(&media),
            q(&kind)
        );
        seen_sources.push(source);
    }

    // Supplies: from the marker-* attributes, in order (or printer-supply
    // and its descriptions when there are none).
    let names = a.texts("marker-names");
    if names.is_empty() {
        let descriptions = a.texts("printer-supply-description");
        for (i, entry) in a.tray_entries("printer-supply").iter().enumerate() {
            let name = descriptions
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("Supply {}", i + 1));
            let kind = entry.get("type").map_or("toner".to_string(), |k| kebab(k));
            let max = entry
                .get("maxcapacity")
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(100);
            let level = entry
                .get("level")
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .map_or(100, |l| (l * 100 / max).clamp(0, 100));
            let color = match entry.get("colorantname").map(|c| c.to_ascii_lowercase()) {
                Some(c) if c == "black" => "#000000",
                Some(c) if c == "cyan" => "#00FFFF",
                Some(c) if c == "magenta" => "#FF00FF",
                Some(c) if c == "yellow" => "#FFFF00",
                _ => "none",
            };
            let _ = writeln!(
                t,
                "\n[[supplies]]\nname = {}\nkind = {}\ncolor = {}\nlevel = {level}\nlow = 10\nyield = 10000",
                q(&name),
                q(&kind),
                q(color),
            );
        }
    }
    let kinds = a.texts("marker-types");
    let colors = a.texts("marker-colors");
    let levels = a.ints("marker-levels");
    let lows = a.ints("marker-low-levels");
    for (i, n) in names.iter().enumerate() {
        let level = levels.get(i).copied().unwrap_or(100);
        if level < 0 {
            notes.push(format!(
                "marker-levels of {n} is {level} (unknown): the profile says 100"
            ));
        }
        let _ = writeln!(
            t,
            "\n[[supplies]]\nname = {}\nkind = {}\ncolor = {}\nlevel = {}\nlow = {}\nyield = 10000",
            q(n),
            q(kinds.get(i).map_or("toner", String::as_str)),
            q(colors.get(i).map_or("none", String::as_str)),
            if level < 0 { 100 } else { level.min(100) },
            lows.get(i).copied().unwrap_or(10).clamp(0, 100),
        );
    }
    if let (Some(walk), false) = (&sources.walk_file, sources.mib.is_empty()) {
        let _ = writeln!(t, "\n[snmp]\nwalk = {}", q(walk));
    }

    if !sources.mdns_txt.is_empty() {
        let _ = writeln!(t, "\n[mdns.txt]");
        for (service, strings) in &sources.mdns_txt {
            let _ = writeln!(t, "{} = {}", q(service), strings_array(strings));
        }
    }

    let _ = writeln!(t, "\n[ipp]");
    for (n, attr) in &a.0 {
        if is_computed(n) || is_live(n) {
            continue;
        }
        match typed(&attr.values) {
            Some(v) => {
                let _ = writeln!(t, "{} = {v}", key(n));
            }
            None => notes.push(format!(
                "{n} is not carried over: its values mix syntaxes or have one a profile cannot write"
            )),
        }
    }
    t
}

/// Derive a profile from `sources`.
pub fn derive(sources: &Sources) -> Result<Derived, DeriveError> {
    if sources.printer_attributes.is_empty()
        && sources.mib.is_empty()
        && sources.mdns_txt.is_empty()
    {
        return Err(DeriveError::Nothing);
    }
    let mut notes = Vec::new();
    let mut map = BTreeMap::new();
    for attr in &sources.printer_attributes {
        map.insert(attr.name.as_str(), attr);
    }
    let mut languages: Vec<Value> = Vec::new();
    for l in &sources.response_languages {
        if !languages
            .iter()
            .any(|v| matches!(v, Value::NaturalLanguage(x) if x.eq_ignore_ascii_case(l)))
        {
            languages.push(Value::NaturalLanguage(l.clone()));
        }
    }
    let configured;
    let generated;
    if !languages.is_empty() {
        configured = Attribute::new("natural-language-configured", languages[0].clone());
        generated = Attribute::with_values("generated-natural-language-supported", languages);
        map.entry("natural-language-configured")
            .or_insert(&configured);
        map.entry("generated-natural-language-supported")
            .or_insert(&generated);
    }
    let attrs = Attrs(map);
    let walk = (!sources.mib.is_empty()).then(|| {
        let mut entries = sources.mib.clone();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                // Keep the later answer.
                std::mem::swap(later, earlier);
                true
            } else {
                false
            }
        });
        crate::snmp::record::write_walk(&entries)
    });
    let body = sections(&attrs, sources, &mut notes);
    // The same sections without the walk, to load and check here (the walk
    // file is written beside the profile by the caller).
    let unwalked = Sources {
        walk_file: None,
        ..Sources::default()
    };
    let check_body = sections(&attrs, &unwalked, &mut Vec::new());
    let head = format!(
        "# Derived by `paperjam profile from-capture` from {}.\n# Sections come from the printer's answers; [ipp-recorded] holds what the printer\n# computes but the recorded printer answered otherwise.\n\n",
        sources.origin
    );
    // The printer a profile without [ipp-recorded] makes: what it would
    // compute, to find what must be recorded.
    let base = Profile::from_toml_str(&format!("{head}{check_body}"), "the derived profile")
        .map_err(|e| DeriveError::DoesNotLoad(e.to_string()))?;
    let computed = StaticAttributes::build(&base);
    let mut recorded = String::from("\n[ipp-recorded]\n");
    let mut live = Vec::new();
    for (n, attr) in &attrs.0 {
        if is_live(n) {
            live.push(n.to_string());
            continue;
        }
        if !is_computed(n) {
            continue;
        }
        let same = if *n == "media-col-database" {
            computed.media_col_database.values == attr.values
        } else {
            computed
                .attributes
                .iter()
                .any(|c| c.name == *n && c.values == attr.values)
        };
        if same {
            continue;
        }
        match typed(&attr.values) {
            Some(v) => {
                let _ = writeln!(recorded, "{} = {v}", key(n));
            }
            None => notes.push(format!(
                "{n} is not recorded: its values mix syntaxes or have one a profile cannot write"
            )),
        }
    }
    if !live.is_empty() {
        notes.push(format!(
            "live, not recorded (they follow the printer's state): {}",
            live.join(", ")
        ));
    }
    let toml = format!("{head}{body}{recorded}");
    Profile::from_toml_str(
        &format!("{head}{check_body}{recorded}"),
        "the derived profile",
    )
    .map_err(|e| DeriveError::DoesNotLoad(e.to_string()))?;
    Ok(Derived { toml, walk, notes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipp::attributes::StaticAttributes;

    fn attrs() -> Vec<Attribute> {
        vec![
            Attribute::new("printer-name", Value::Name("front-desk".into())),
            Attribute::new(
                "printer-make-and-model",
                Value::Text("Acme LaserWriter 9".into()),
            ),
            Attribute::new(
                "printer-device-id",
                Value::Text("MFG:Acme;MDL:LaserWriter 9;CMD:PCL,PDF;".into()),
            ),
            Attribute::with_values(
                "document-format-supported",
                vec![
                    Value::MimeMediaType("application/pdf".into()),
                    Value::MimeMediaType("application/octet-stream".into()),
                ],
            ),
            Attribute::with_values(
                "media-supported",
                vec![
                    Value::Keyword("na_letter_8.5x11in".into()),
                    Value::Keyword("iso-a4-white".into()),
                ],
            ),
            Attribute::with_values(
                "operations-supported",
                vec![Value::Enum(2), Value::Enum(4), Value::Enum(11)],
            ),
            Attribute::new("printer-state", Value::Enum(3)),
            Attribute::with_values("sides-supported", vec![Value::Keyword("one-sided".into())]),
            Attribute::new(
                "printer-state-message",
                Value::TextWithLanguage {
                    language: "en".into(),
                    text: "ready".into(),
                },
            ),
            Attribute::new(
                "printer-info",
                Value::TextWithLanguage {
                    language: "en".into(),
                    text: "Front desk".into(),
                },
            ),
        ]
    }

    #[test]
    fn a_derived_profile_answers_what_was_recorded() {
        let d = derive(&Sources {
            origin: "a test".into(),
            printer_attributes: attrs(),
            ..Sources::default()
        })
        .unwrap();
        let p = Profile::from_toml_str(&d.toml, "derived").unwrap();
        assert_eq!(p.identity.make, "Acme");
        assert_eq!(p.identity.model, "LaserWriter 9");
        let st = StaticAttributes::build(&p);
        for want in attrs() {
            if is_live(&want.name) {
                continue;
            }
            let got = st.attributes.iter().find(|a| a.name == want.name);
            assert_eq!(got, Some(&want), "{}\n{}", want.name, d.toml);
        }
        assert!(d.notes.iter().any(|n| n.contains("printer-state")));
        assert!(d.notes.iter().any(|n| n.contains("iso-a4-white")));
    }

    #[test]
    fn nothing_to_derive_from_is_an_error() {
        assert!(matches!(
            derive(&Sources::default()),
            Err(DeriveError::Nothing)
        ));
    }

    #[test]
    fn typed_notation() {
        assert_eq!(
            typed(&[Value::Keyword("a".into()), Value::Keyword("b".into())]).as_deref(),
            Some(r#"{ keyword = ["a", "b"] }"#)
        );
        assert_eq!(
            typed(&[Value::Keyword("a".into()), Value::Integer(1)]),
            None
        );
    }
}
