//! Every fault paperjam knows, with what it does and where it was seen: what
//! `paperjam fault catalog` and the control API's `GET /catalog` list.

use crate::fault::quirk::{QuirkKind, QuirkProtocol};
use crate::model::Condition;

use super::event::{condition_name, PrinterEvent};
use super::Family;

/// One kind of fault.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CatalogEntry {
    /// Its name.
    pub name: &'static str,
    /// Its family.
    pub family: Family,
    /// How to write it.
    pub syntax: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// The real printer or software it imitates, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_on: Option<&'static str>,
    /// The public report it comes from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'static str>,
    /// For a quirk, the protocol it breaks (`ipp`, `lpd`, `appsocket`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<&'static str>,
}

const TOXICS: [(&str, &str, &str); 8] = [
    (
        "latency",
        "latency=DUR[,jitter=DUR]",
        "Each chunk waits DUR ± jitter.",
    ),
    (
        "bandwidth",
        "bandwidth=BYTES_PER_S",
        "At most that many bytes a second.",
    ),
    (
        "slicer",
        "slicer=BYTES[,variation=BYTES][,delay=DUR]",
        "Data cut into small slices with a pause between.",
    ),
    (
        "stall",
        "stall[=DUR]",
        "No data passes; the connection closes after DUR, or never (toxiproxy's timeout).",
    ),
    (
        "reset_peer",
        "reset_peer[=DUR]",
        "The connection is reset (TCP RST) after DUR.",
    ),
    (
        "limit_data",
        "limit_data=BYTES",
        "The connection closes once BYTES have passed.",
    ),
    (
        "slow_close",
        "slow_close=DUR",
        "Closing the connection takes DUR.",
    ),
    (
        "down",
        "down",
        "The port refuses connections; open ones drop.",
    ),
];

const DATAGRAMS: [(&str, &str, &str); 4] = [
    (
        "drop",
        "drop[,probability=P]",
        "UDP: the datagram is lost (SNMP, mDNS services).",
    ),
    (
        "delay",
        "delay=DUR[,jitter=DUR][,probability=P]",
        "UDP: the datagram is sent late.",
    ),
    (
        "duplicate",
        "duplicate[,probability=P]",
        "UDP: the datagram is sent twice.",
    ),
    (
        "truncate",
        "truncate=BYTES[,probability=P]",
        "UDP: the datagram is cut to BYTES.",
    ),
];

fn event_summary(e: &PrinterEvent) -> &'static str {
    match e {
        PrinterEvent::Condition(c) => match c {
            Condition::MediaJam => "Paper jam: printer stopped, media-jam-error, job processing-stopped.",
            Condition::MediaEmpty => "A tray is empty: media-empty-error; printing stops.",
            Condition::MediaNeeded => "The job needs media that is not loaded: media-needed-error.",
            Condition::DoorOpen => "A cover is open: door-open-error; printing stops.",
            Condition::TonerLow => "Toner low: toner-low-report; printing goes on.",
            Condition::TonerEmpty => "Toner empty: toner-empty-error; printing stops.",
            Condition::MarkerWasteFull => "Waste toner full: marker-waste-full-error; printing stops.",
            Condition::Offline => "The printer is offline: offline-report; printing stops.",
        },
        PrinterEvent::Paused => "The printer stops at once, as if paused at its panel.",
        PrinterEvent::JobAborted => "The job printing now is aborted by the printer (aborted-by-system).",
        PrinterEvent::PowerCycle { .. } => {
            "Power off and on: connections drop, jobs in progress are aborted, the port refuses connections until booted (default 5s), printer-up-time restarts."
        }
    }
}

/// The whole catalog: toxics, quirks, events.
pub fn catalog() -> Vec<CatalogEntry> {
    let transport = |table: &[(&'static str, &'static str, &'static str)],
                     reference: Option<&'static str>| {
        table
            .iter()
            .map(|(name, syntax, summary)| CatalogEntry {
                name,
                family: Family::Transport,
                syntax,
                summary,
                seen_on: None,
                reference,
                protocol: None,
            })
            .collect::<Vec<_>>()
    };
    let mut v = transport(&TOXICS, Some("https://github.com/Shopify/toxiproxy#toxics"));
    v.extend(transport(&DATAGRAMS, None));
    v.extend(QuirkKind::ALL.iter().map(|k| CatalogEntry {
        name: k.name(),
        family: Family::Quirk,
        syntax: match k.protocol() {
            QuirkProtocol::Ipp => "NAME[@Operation-Name]",
            _ => "NAME",
        },
        summary: k.summary(),
        seen_on: Some(k.seen_on()),
        reference: Some(k.reference()),
        protocol: Some(k.protocol().name()),
    }));
    v.extend(PrinterEvent::all().iter().map(|e| CatalogEntry {
        name: e.name(),
        family: Family::Event,
        syntax: match e {
            PrinterEvent::PowerCycle { .. } => "power-cycle[=BOOT_DELAY]",
            _ => "NAME",
        },
        summary: event_summary(e),
        seen_on: match e {
            PrinterEvent::Condition(Condition::MediaJam) => {
                Some("HP printers reporting a jam over IPP")
            }
            _ => None,
        },
        reference: match e {
            PrinterEvent::Condition(Condition::MediaJam) => {
                Some("https://github.com/OpenPrinting/cups/issues/1298")
            }
            _ => None,
        },
        protocol: None,
    }));
    v
}

/// Every event's name; `condition_name` for each condition plus the rest.
pub fn event_names() -> Vec<&'static str> {
    Condition::ALL
        .into_iter()
        .map(condition_name)
        .chain(["paused", "job-aborted", "power-cycle"])
        .collect()
}
