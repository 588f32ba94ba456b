//! PJL status codes (`CODE=xxxxx`, PJL ref appendix D) and the one mapping
//! from the printer model's state to them, [`device_status`].
//!
//! Codes come in families by their first two digits: 10xxx informational,
//! 20xxx/25xxx/27xxx parser errors and warnings, 30xxx auto-continuable,
//! 35xxx possible operator intervention, 40xxx operator intervention
//! required, 41xyy foreground paper mount ("load paper"), 42xyy paper jams
//! by location, 50xxx hardware errors.
//!
//! ## The mapping
//!
//! The model can hold several conditions at once; `CODE=` carries one, the
//! first in this table that holds (the most urgent for an operator):
//!
//! | model (`Condition`, `Printer`) | CODE | DISPLAY | ONLINE | PJL ref appendix D |
//! |---|---|---|---|---|
//! | `MediaJam` | 40022 | `Paper jam` | FALSE | 40022 "13 PAPER JAM" / "REMOVE PAPER JAM" |
//! | `DoorOpen` | 40021 | `Door open` | FALSE | 40021 "12 PRINTER OPEN" / "CLOSE PRINTER COVER" |
//! | `MediaEmpty` | 41xyy | `Load tray x <size>` | FALSE | 41xyy foreground paper mount: x the tray, yy its media |
//! | `MediaNeeded` | 41xyy | `Load tray x <size>` | FALSE | as above, yy the size the job asks for |
//! | `TonerEmpty` | 40038 | `Replace toner` | FALSE | 40038 "16 LOW TONER" / "TONER LOW, PRESS GO KEY": printing halted for toner |
//! | `MarkerWasteFull` | 40141 | `Waste toner full` | FALSE | 40141 "WASTE TONER FULL REPLACE DRUM KIT" |
//! | `Offline` | 40079 | `Offline` | FALSE | 40079 "PRINTER MANUALLY TAKEN OFFLINE" / "00 OFFLINE" |
//! | Shutdown-Printer | 10002 | `Shut down` | FALSE | 10002 "READY (offline)" / "Not Ready" |
//! | paused (Pause-Printer) | 10002 | `Paused` | FALSE | 10002 |
//! | printing (`PrinterState::Processing`) | 10023 | `Processing job` | TRUE | 10023 "PROCESSING JOB" |
//! | `TonerLow` (a warning; printing goes on) | 10006 | `Toner low` | TRUE | 10006 "16 TONER LOW", the ref's own example of unsolicited status |
//! | none of the above | 10001 | `Ready` | TRUE | 10001 "00 READY" (online) |
//!
//! Notes on the choices:
//! - Toner low is 10006 (informational, the printer stays online), as the
//!   PJL ref's example in appendix D shows; 40038 is the intervention code
//!   for a printer that *stopped* on toner, which is what the model's
//!   `TonerEmpty` does.
//! - 40019 is "REMOVE PAPER FROM \[bin name\]" (an output bin full), not a waste
//!   container; the waste toner code is 40141.
//! - A jam is 40022, the generic "paper jam" code every PJL printer knows;
//!   42xyy (jam by location) and 44xyy are model-specific detail the model
//!   does not have (it knows no jam location).
//! - In 41xyy, x is the tray's position in the profile's `[[trays]]`
//!   (1 = the first, capped at 9; HP's own x values differ by model, Lexmark
//!   numbers trays the same way), and yy the media code of PJL ref
//!   appendix D's media table ([`media_code`]: 02 Letter, 03 Legal, 04 A4…;
//!   00 "unknown paper" for sizes it does not list).

use crate::model::{Condition, Printer, PrinterState};

/// A PJL status code (`CODE=`), five digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(pub u32);

impl StatusCode {
    /// 10001: ready, online.
    pub const READY: StatusCode = StatusCode(10001);
    /// 10002: ready, offline (paused, shut down).
    pub const NOT_READY: StatusCode = StatusCode(10002);
    /// 10006: toner low; the printer stays online.
    pub const TONER_LOW: StatusCode = StatusCode(10006);
    /// 10010: status buffer overflow (unsolicited status was lost).
    pub const STATUS_BUFFER_OVERFLOW: StatusCode = StatusCode(10010);
    /// 10023: processing a job.
    pub const PROCESSING: StatusCode = StatusCode(10023);
    /// 20002: unsupported command.
    pub const UNSUPPORTED_COMMAND: StatusCode = StatusCode(20002);
    /// 20006: a command line terminated by the UEL.
    pub const TERMINATED_BY_UEL: StatusCode = StatusCode(20006);
    /// 25006: unsupported option name (a variable the printer does not have).
    pub const UNSUPPORTED_OPTION: StatusCode = StatusCode(25006);
    /// 25016: an alphanumeric value the option does not support.
    pub const UNSUPPORTED_VALUE: StatusCode = StatusCode(25016);
    /// 27002: `EOJ` without a matching `JOB`.
    pub const EOJ_WITHOUT_JOB: StatusCode = StatusCode(27002);
    /// 40021: printer open (door or cover).
    pub const DOOR_OPEN: StatusCode = StatusCode(40021);
    /// 40022: paper jam.
    pub const PAPER_JAM: StatusCode = StatusCode(40022);
    /// 40038: toner low/out, printing halted.
    pub const TONER_OUT: StatusCode = StatusCode(40038);
    /// 40079: printer taken offline.
    pub const OFFLINE: StatusCode = StatusCode(40079);
    /// 40141: waste toner full.
    pub const WASTE_TONER_FULL: StatusCode = StatusCode(40141);

    /// 41xyy: load paper into tray `tray` (1–9), of media code `media`
    /// (00–99).
    pub fn load_paper(tray: u8, media: u8) -> StatusCode {
        StatusCode(41_000 + u32::from(tray.min(9)) * 100 + u32::from(media.min(99)))
    }

    /// The family: the first two digits (10, 20, 40, 41…).
    pub fn family(self) -> u32 {
        self.0 / 1000
    }

    /// Whether the printer stays online with this status (10xxx).
    pub fn is_online(self) -> bool {
        self.family() == 10 && self != StatusCode::NOT_READY
    }
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:05}", self.0)
    }
}

/// A printer status as PJL reports it: `CODE=`, `DISPLAY="…"`, `ONLINE=`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceStatus {
    /// `CODE=`.
    pub code: StatusCode,
    /// `DISPLAY=`: the control panel's text.
    pub display: String,
    /// `ONLINE=`.
    pub online: bool,
}

impl DeviceStatus {
    /// A status.
    pub fn new(code: StatusCode, display: impl Into<String>, online: bool) -> DeviceStatus {
        DeviceStatus {
            code,
            display: display.into(),
            online,
        }
    }

    /// Ready and online.
    pub fn ready() -> DeviceStatus {
        DeviceStatus::new(StatusCode::READY, "Ready", true)
    }

    /// The body lines of a status response.
    pub fn lines(&self) -> Vec<String> {
        vec![
            format!("CODE={}", self.code),
            format!("DISPLAY=\"{}\"", self.display.replace('"', "'")),
            format!("ONLINE={}", if self.online { "TRUE" } else { "FALSE" }),
        ]
    }

    /// Read the status out of response body lines (`CODE=` is required;
    /// `DISPLAY` and `ONLINE` default to empty and to the code's family).
    pub fn from_lines(lines: &[String]) -> Option<DeviceStatus> {
        let mut code = None;
        let mut display = String::new();
        let mut online = None;
        for l in lines {
            let Some((k, v)) = l.split_once('=') else {
                continue;
            };
            match k.trim().to_ascii_uppercase().as_str() {
                "CODE" => code = v.trim().parse::<u32>().ok().map(StatusCode),
                "DISPLAY" => {
                    let v = v.trim();
                    display = v
                        .strip_prefix('"')
                        .and_then(|s| s.strip_suffix('"'))
                        .unwrap_or(v)
                        .to_string();
                }
                "ONLINE" => online = Some(v.trim().eq_ignore_ascii_case("TRUE")),
                _ => {}
            }
        }
        let code = code?;
        Some(DeviceStatus {
            code,
            display,
            online: online.unwrap_or_else(|| code.is_online()),
        })
    }
}

/// The media codes of PJL ref appendix D ("yy = media code") with the PJL
/// `PAPER` names and the PWG 5101.1 size names the profile uses.
pub const MEDIA: &[(u8, &str, &str)] = &[
    (2, "LETTER", "na_letter_8.5x11in"),
    (3, "LEGAL", "na_legal_8.5x14in"),
    (4, "A4", "iso_a4_210x297mm"),
    (5, "EXECUTIVE", "na_executive_7.25x10.5in"),
    (6, "LEDGER", "na_ledger_11x17in"),
    (7, "A3", "iso_a3_297x420mm"),
    (8, "COM10", "na_number-10_4.125x9.5in"),
    (9, "MONARCH", "na_monarch_3.875x7.5in"),
    (10, "C5", "iso_c5_162x229mm"),
    (11, "DL", "iso_dl_110x220mm"),
    (12, "JISB4", "jis_b4_257x364mm"),
    (13, "JISB5", "jis_b5_182x257mm"),
    (14, "B5", "iso_b5_176x250mm"),
    (16, "JPOSTCARD", "jpn_hagaki_100x148mm"),
    (17, "JDOUBLEPOSTCARD", "jpn_oufuku_148x200mm"),
    (18, "A5", "iso_a5_148x210mm"),
    (24, "A6", "iso_a6_105x148mm"),
    (26, "JISB6", "jis_b6_128x182mm"),
];

/// The appendix D media code of a PWG size name; 0 ("unknown paper") for
/// sizes the table does not list.
pub fn media_code(pwg: &str) -> u8 {
    MEDIA
        .iter()
        .find(|(_, _, p)| *p == pwg)
        .map_or(0, |(c, _, _)| *c)
}

/// The PJL `PAPER` name of a PWG size name.
pub fn paper_name(pwg: &str) -> Option<&'static str> {
    MEDIA.iter().find(|(_, _, p)| *p == pwg).map(|(_, n, _)| *n)
}

/// The PWG size name of a PJL `PAPER` name (any case).
pub fn pwg_media(paper: &str) -> Option<&'static str> {
    MEDIA
        .iter()
        .find(|(_, n, _)| n.eq_ignore_ascii_case(paper))
        .map(|(_, _, p)| *p)
}

/// The printer's status as PJL reports it (`INFO STATUS`, `USTATUS DEVICE`):
/// the first row of the table in the module docs that holds.
pub fn device_status(p: &Printer) -> DeviceStatus {
    let has = |c: Condition| p.conditions().any(|x| x == c);
    if has(Condition::MediaJam) {
        return DeviceStatus::new(StatusCode::PAPER_JAM, "Paper jam", false);
    }
    if has(Condition::DoorOpen) {
        return DeviceStatus::new(StatusCode::DOOR_OPEN, "Door open", false);
    }
    if has(Condition::MediaEmpty) {
        let idx = p.trays.iter().position(|t| t.level == 0).unwrap_or(0);
        let media = p
            .trays
            .get(idx)
            .map(|t| t.media.clone())
            .unwrap_or_default();
        return load_paper(idx, &media);
    }
    if has(Condition::MediaNeeded) {
        let wanted = p
            .active_job()
            .and_then(|id| p.job(id))
            .and_then(|j| j.spec.media.clone())
            .or_else(|| p.trays.first().map(|t| t.media.clone()))
            .unwrap_or_default();
        let idx = p.trays.iter().position(|t| t.media == wanted).unwrap_or(0);
        return load_paper(idx, &wanted);
    }
    if has(Condition::TonerEmpty) {
        return DeviceStatus::new(StatusCode::TONER_OUT, "Replace toner", false);
    }
    if has(Condition::MarkerWasteFull) {
        return DeviceStatus::new(StatusCode::WASTE_TONER_FULL, "Waste toner full", false);
    }
    if has(Condition::Offline) {
        return DeviceStatus::new(StatusCode::OFFLINE, "Offline", false);
    }
    if p.is_shut_down() {
        return DeviceStatus::new(StatusCode::NOT_READY, "Shut down", false);
    }
    if p.is_paused() && p.state() == PrinterState::Stopped {
        return DeviceStatus::new(StatusCode::NOT_READY, "Paused", false);
    }
    if p.state() == PrinterState::Processing {
        return DeviceStatus::new(StatusCode::PROCESSING, "Processing job", true);
    }
    if has(Condition::TonerLow) {
        return DeviceStatus::new(StatusCode::TONER_LOW, "Toner low", true);
    }
    DeviceStatus::ready()
}

fn load_paper(tray_index: usize, media: &str) -> DeviceStatus {
    let x = u8::try_from(tray_index + 1).unwrap_or(9).min(9);
    let display = match paper_name(media) {
        Some(n) => format!("Load tray {x} {n}"),
        None if media.is_empty() => format!("Load tray {x}"),
        None => format!("Load tray {x} {media}"),
    };
    DeviceStatus::new(StatusCode::load_paper(x, media_code(media)), display, false)
}
