//! TXT records for the printer's services, computed from the profile.
//!
//! Keys of the Bonjour Printing Specification 1.2.1 (§9: `txtvers`, `qtotal`,
//! `rp`, `ty`, `product`, `note`, `priority`, `adminurl`, `pdl`, `Color`,
//! `Duplex`, `PaperMax`, `usb_MFG`, `usb_MDL`) and of IPP Everywhere
//! (PWG 5100.14 §4.2: `kind`, `URF`, `UUID`, `TLS`, `air`). Each value is
//! drawn from the same profile field the IPP front end reports, so a client
//! that compares TXT with Get-Printer-Attributes finds them equal:
//!
//! | key | IPP attribute |
//! | --- | --- |
//! | `ty` | `printer-make-and-model` |
//! | `note` | `printer-location` |
//! | `pdl` | `document-format-supported` |
//! | `URF` | `urf-supported` |
//! | `UUID` | `printer-uuid` without `urn:uuid:` |
//! | `Color` | `color-supported` |
//! | `Duplex` | `sides-supported` has a `two-sided-*` value |
//! | `kind` | `printer-kind` |
//! | `PaperMax` | the largest `media-size-supported` |
//! | `usb_MFG`, `usb_MDL` | `printer-device-id` `MFG:` and `MDL:` |

use std::collections::BTreeMap;

use crate::profile::{MediaSize, Profile};
use crate::wire::ipp::Value;

use super::announce::{RunningServices, ServiceKind};

/// Longest TXT string, `key=value` (RFC 6763 §6.1).
pub const MAX_TXT_STRING: usize = 255;

/// A TXT record: `key=value` strings in order. Keys compare without regard to
/// ASCII case (RFC 6763 §6.4); the first occurrence of a key wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxtRecord {
    entries: Vec<(String, String)>,
}

impl TxtRecord {
    /// An empty record.
    pub fn new() -> TxtRecord {
        TxtRecord::default()
    }

    /// Sets `key` to `value`, in place when the key is already there, at the
    /// end when not. A value too long for one 255-byte TXT string is cut at a
    /// character boundary.
    pub fn set(&mut self, key: &str, value: &str) {
        let room = MAX_TXT_STRING.saturating_sub(key.len() + 1);
        let value = cut(value, room).to_string();
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key.to_string(), value)),
        }
    }

    /// The value of `key`, whatever its case.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key))?;
        Some(self.entries.remove(i).1)
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    /// The entries as a map (keys as written).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.entries.iter().cloned().collect()
    }

    /// The record's strings as they go on the wire. An empty record is one
    /// empty string (RFC 6763 §6.1: "An empty TXT record containing zero
    /// strings is not allowed").
    pub fn to_strings(&self) -> Vec<Vec<u8>> {
        if self.entries.is_empty() {
            return vec![Vec::new()];
        }
        self.entries
            .iter()
            .map(|(k, v)| {
                let mut s = Vec::with_capacity(k.len() + 1 + v.len());
                s.extend_from_slice(k.as_bytes());
                s.push(b'=');
                s.extend_from_slice(v.as_bytes());
                s
            })
            .collect()
    }

    /// Reads TXT strings (as received): `key=value`, `key=` and `key` (a
    /// boolean attribute, kept with an empty value); strings with an empty
    /// key are skipped and a repeated key keeps its first value (RFC 6763 §6.4).
    pub fn from_strings<S: AsRef<[u8]>>(strings: &[S]) -> TxtRecord {
        let mut out = TxtRecord::new();
        for s in strings {
            let s = String::from_utf8_lossy(s.as_ref());
            let (k, v) = s.split_once('=').unwrap_or((&s, ""));
            if k.is_empty() || out.get(k).is_some() {
                continue;
            }
            out.entries.push((k.to_string(), v.to_string()));
        }
        out
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn ipp_values(profile: &Profile, name: &str) -> Option<Vec<Value>> {
    profile.ipp.get(name).and_then(|v| v.to_values().ok())
}

fn ipp_keywords(profile: &Profile, name: &str) -> Option<Vec<String>> {
    let values = ipp_values(profile, name)?;
    let words: Vec<String> = values
        .into_iter()
        .filter_map(|v| match v {
            Value::Keyword(s) => Some(s),
            _ => None,
        })
        .collect();
    Some(words)
}

fn ipp_bool(profile: &Profile, name: &str) -> Option<bool> {
    ipp_values(profile, name)?
        .into_iter()
        .find_map(|v| match v {
            Value::Boolean(b) => Some(b),
            _ => None,
        })
}

fn tf(b: bool) -> &'static str {
    if b {
        "T"
    } else {
        "F"
    }
}

/// A field of an IEEE 1284 device ID (`MFG`, `MDL`, …); the long forms
/// (`MANUFACTURER`, `MODEL`) are accepted too.
fn device_id_field(device_id: &str, short: &str, long: &str) -> Option<String> {
    device_id.split(';').find_map(|part| {
        let (k, v) = part.split_once(':')?;
        let k = k.trim();
        (k.eq_ignore_ascii_case(short) || k.eq_ignore_ascii_case(long))
            .then(|| v.trim().to_string())
    })
}

/// `PaperMax` (Bonjour Printing Specification §9.2.11) from the largest width
/// and the largest length among the profile's media sizes: `<legal-A4` when
/// neither A4 nor US legal fits, `legal-A4` up to those, `tabloid-A3` when
/// tabloid or A3 fits, `isoC-A2` when ISO C2 or A2 fits, `>isoC-A2` beyond C2.
/// Sizes within 1 mm count as fitting.
pub fn paper_max(sizes: &[String]) -> Option<&'static str> {
    let parsed: Vec<MediaSize> = sizes
        .iter()
        .filter_map(|s| MediaSize::parse(s).ok())
        .collect();
    if parsed.is_empty() {
        return None;
    }
    // Width = the shorter side, length = the longer, whatever the name's order.
    let width = parsed.iter().map(|m| m.x.min(m.y)).max().unwrap_or(0);
    let length = parsed.iter().map(|m| m.x.max(m.y)).max().unwrap_or(0);
    let holds = |w: i32, l: i32| width + 100 >= w && length + 100 >= l;
    // In hundredths of a millimetre.
    const A4: (i32, i32) = (21000, 29700);
    const LEGAL: (i32, i32) = (21590, 35560);
    const A3: (i32, i32) = (29700, 42000);
    const TABLOID: (i32, i32) = (27940, 43180);
    const A2: (i32, i32) = (42000, 59400);
    const C2: (i32, i32) = (45800, 64800);
    Some(if width > C2.0 + 100 || length > C2.1 + 100 {
        ">isoC-A2"
    } else if holds(C2.0, C2.1) || holds(A2.0, A2.1) {
        "isoC-A2"
    } else if holds(A3.0, A3.1) || holds(TABLOID.0, TABLOID.1) {
        "tabloid-A3"
    } else if holds(A4.0, A4.1) || holds(LEGAL.0, LEGAL.1) {
        "legal-A4"
    } else {
        "<legal-A4"
    })
}

/// The `URF` TXT value (Apple Raster capabilities) when the profile accepts
/// `image/urf`: the profile's own `urf-supported` when it has one (so TXT and
/// IPP agree), else derived: `V1.4`, `W8` (and `SRGB24` in colour), `CP1`,
/// `DM1` when duplex, `RS` with the resolutions of
/// `printer-resolution-supported` (600 dpi when none), `IS1`. `None` when
/// `image/urf` is not supported.
pub fn urf_for_profile(profile: &Profile) -> Option<String> {
    if !profile.formats.supported.iter().any(|f| f == "image/urf") {
        return None;
    }
    if let Some(words) = ipp_keywords(profile, "urf-supported") {
        if !words.is_empty() {
            return Some(words.join(","));
        }
    }
    let mut parts = vec!["V1.4".to_string(), "W8".to_string()];
    if color(profile) {
        parts.push("SRGB24".into());
    }
    parts.push("CP1".into());
    if duplex(profile) {
        parts.push("DM1".into());
    }
    let mut dpi: Vec<i32> = ipp_values(profile, "printer-resolution-supported")
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| match v {
            Value::Resolution { x, units: 3, .. } => Some(x),
            Value::Resolution { x, units: 4, .. } => Some((f64::from(x) * 2.54).round() as i32),
            _ => None,
        })
        .collect();
    dpi.sort_unstable();
    dpi.dedup();
    if dpi.is_empty() {
        dpi.push(600);
    }
    let rs: Vec<String> = dpi.iter().map(i32::to_string).collect();
    parts.push(format!("RS{}", rs.join("-")));
    parts.push("IS1".into());
    Some(parts.join(","))
}

fn color(profile: &Profile) -> bool {
    ipp_bool(profile, "color-supported").unwrap_or_else(|| profile.is_color())
}

fn duplex(profile: &Profile) -> bool {
    match ipp_keywords(profile, "sides-supported") {
        Some(sides) => sides.iter().any(|s| s.starts_with("two-sided")),
        None => true,
    }
}

/// `pdl`: the supported formats, comma-separated, as many whole formats as
/// fit in one TXT string.
fn pdl(profile: &Profile) -> String {
    let room = MAX_TXT_STRING - "pdl=".len();
    let mut out = String::new();
    for f in &profile.formats.supported {
        let extra = if out.is_empty() { f.len() } else { f.len() + 1 };
        if out.len() + extra > room {
            break;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(f);
    }
    out
}

/// The TXT record of one service, from the profile and the services that run.
///
/// Pure: the same profile, services and host give the same record. `host` is
/// the host label (without `.local`), used in `adminurl`. Keys per service:
///
/// - `_ipp._tcp` / `_ipps._tcp`: `txtvers qtotal rp ty adminurl note priority
///   product pdl URF UUID Color Duplex kind PaperMax air usb_MFG usb_MDL`,
///   plus `TLS=1.2` for `_ipps._tcp`;
/// - `_printer._tcp`: the same without `URF kind air`, with `rp` the LPD queue;
/// - `_pdl-datastream._tcp`: as `_printer._tcp` without `rp`.
///
/// `priority` is 0 for IPP and IPPS, 40 for AppSocket, 50 for LPD (lower is
/// preferred). `adminurl` points at the IPP port (`https` on `_ipps`), and is
/// left out when neither IPP nor IPPS runs.
pub fn txt_for_service(
    profile: &Profile,
    kind: ServiceKind,
    services: &RunningServices,
    host: &str,
) -> TxtRecord {
    let mut t = TxtRecord::new();
    t.set("txtvers", "1");
    t.set("qtotal", "1");
    match kind {
        ServiceKind::Ipp | ServiceKind::Ipps => {
            let rp = services.resource_path.trim_start_matches('/');
            t.set("rp", rp);
        }
        ServiceKind::Lpd => {
            let queue = services
                .lpd
                .as_ref()
                .map(|l| l.queue.clone())
                .or_else(|| profile.lpd.queues.first().cloned())
                .unwrap_or_else(|| "lp".to_string());
            t.set("rp", &queue);
        }
        ServiceKind::AppSocket => {}
    }
    t.set("ty", &profile.make_and_model());
    let admin = match (kind, services.ipp, services.ipps) {
        (ServiceKind::Ipps, _, Some(port)) => Some(format!("https://{host}.local:{port}/")),
        (_, Some(port), _) => Some(format!("http://{host}.local:{port}/")),
        (_, None, Some(port)) => Some(format!("https://{host}.local:{port}/")),
        (_, None, None) => None,
    };
    if let Some(url) = admin {
        t.set("adminurl", &url);
    }
    t.set("note", &profile.identity.location);
    t.set(
        "priority",
        match kind {
            ServiceKind::Ipp | ServiceKind::Ipps => "0",
            ServiceKind::AppSocket => "40",
            ServiceKind::Lpd => "50",
        },
    );
    t.set("product", &format!("({})", profile.identity.model));
    t.set("pdl", &pdl(profile));
    let ipp_like = matches!(kind, ServiceKind::Ipp | ServiceKind::Ipps);
    if ipp_like {
        if let Some(urf) = urf_for_profile(profile) {
            t.set("URF", &urf);
        }
    }
    let uuid = profile.uuid();
    let uuid = uuid.strip_prefix("urn:uuid:").unwrap_or(&uuid).to_string();
    t.set("UUID", &uuid);
    t.set("Color", tf(color(profile)));
    t.set("Duplex", tf(duplex(profile)));
    if ipp_like {
        let kinds = ipp_keywords(profile, "printer-kind")
            .filter(|k| !k.is_empty())
            .map(|k| k.join(","))
            .unwrap_or_else(|| "document".to_string());
        t.set("kind", &kinds);
    }
    if let Some(pm) = paper_max(&profile.media.sizes) {
        t.set("PaperMax", pm);
    }
    if kind == ServiceKind::Ipps {
        t.set("TLS", "1.2");
    }
    if ipp_like {
        t.set("air", "none");
    }
    let id = profile.device_id();
    let mfg = device_id_field(&id, "MFG", "MANUFACTURER")
        .unwrap_or_else(|| profile.identity.make.clone());
    let mdl =
        device_id_field(&id, "MDL", "MODEL").unwrap_or_else(|| profile.identity.model.clone());
    t.set("usb_MFG", &mfg);
    t.set("usb_MDL", &mdl);
    match profile.mdns.txt.get(kind.service_type()) {
        Some(recorded) => recorded_txt(recorded, &t),
        None => t,
    }
}

/// A recorded TXT record, with `rp` and `adminurl` (where this printer
/// serves) taken from `built` when the recording has them.
fn recorded_txt(recorded: &[String], built: &TxtRecord) -> TxtRecord {
    let mut t = TxtRecord::new();
    for entry in recorded {
        let (key, value) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
        let live = ["rp", "adminurl"]
            .iter()
            .any(|k| key.eq_ignore_ascii_case(k))
            .then(|| built.get(key))
            .flatten();
        t.set(key, live.unwrap_or(value));
    }
    t
}
