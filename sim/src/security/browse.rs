//! A cups-browsed-style listener on UDP 631 (the `cups-browsed` preset).
//!
//! CUPS's legacy browsing protocol is one line per UDP datagram:
//!
//! ```text
//! type state uri "location" "info" "make-and-model"[ "attributes"]
//! ```
//!
//! with `type` and `state` in hexadecimal. Before the fixes of September
//! 2024, cups-browsed took any such packet from anyone, and fetched the
//! printer's attributes from the URI it named (CVE-2024-47176), which the
//! rest of the chain (CVE-2024-47076, CVE-2024-47175, CVE-2024-47177) turned
//! into running code when a job was printed. With the preset in force the
//! virtual printer does the first step: it parses the packet and sends a
//! Get-Printer-Attributes to the URI. That call back is what a scanner
//! sees. It never calls anything but the packet's sender or a loopback
//! address, so the preset cannot be used to make it call elsewhere.

use std::net::IpAddr;

/// One CUPS browse packet, as cupsd sends and cups-browsed reads it:
/// `type state uri "location" "info" "make-and-model"` and optional
/// `name=value` options, `type` and `state` in hex.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BrowsePacket {
    /// The CUPS printer-type bits (0x2 remote, 0x1 class, …).
    pub kind: u32,
    /// The IPP printer-state (3 idle, 4 processing, 5 stopped).
    pub state: u32,
    /// The printer's URI (no whitespace).
    pub uri: String,
    /// printer-location.
    pub location: String,
    /// printer-info.
    pub info: String,
    /// printer-make-and-model.
    pub make_and_model: String,
}

/// Why a packet is not a browse packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrowseError {
    /// Not UTF-8 text.
    #[error("the packet is not text")]
    NotText,
    /// The type, state or URI is missing or malformed.
    #[error("the packet has no hex type, hex state and URI")]
    Fields,
}

impl BrowsePacket {
    /// Parse one datagram ([`parse_browse_packet`] on its text).
    pub fn parse(data: &[u8]) -> Result<BrowsePacket, BrowseError> {
        let text = std::str::from_utf8(data).map_err(|_| BrowseError::NotText)?;
        parse_browse_packet(text).ok_or(BrowseError::Fields)
    }

    /// The packet's text, one line ending in `\n`. Quotes and line breaks are
    /// dropped from the quoted fields (the format has no escapes; cups-browsed
    /// itself strips quotes before sending) and whitespace from the URI.
    pub fn to_packet(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .filter(|c| !matches!(c, '"' | '\n' | '\r' | '\0'))
                .collect()
        };
        let uri: String = self.uri.chars().filter(|c| !c.is_whitespace()).collect();
        format!(
            "{:x} {:x} {} \"{}\" \"{}\" \"{}\"\n",
            self.kind,
            self.state,
            uri,
            clean(&self.location),
            clean(&self.info),
            clean(&self.make_and_model)
        )
    }
}

/// Read a browse packet as cups-browsed does: hex type, hex state and the
/// URI are required (`sscanf("%x%x%1023s")`, without the length limit); the
/// quoted location, info and make-and-model that follow are each optional
/// (empty when missing; an unterminated one runs to the end of the line);
/// anything after them (`lease-duration=…` options) is ignored. Only the
/// first line is read. `None` when the first three fields are not there.
pub fn parse_browse_packet(text: &str) -> Option<BrowsePacket> {
    let line = text.split('\n').next().unwrap_or_default();
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (kind, rest) = hex_field(line)?;
    let (state, rest) = hex_field(rest)?;
    let rest = rest.trim_start();
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (uri, mut rest) = rest.split_at(end);
    if uri.is_empty() {
        return None;
    }
    let mut quoted = [String::new(), String::new(), String::new()];
    for field in &mut quoted {
        let Some(after) = rest.trim_start().strip_prefix('"') else {
            break;
        };
        match after.split_once('"') {
            Some((value, more)) => {
                *field = value.to_string();
                rest = more;
            }
            None => {
                *field = after.to_string();
                rest = "";
            }
        }
    }
    let [location, info, make_and_model] = quoted;
    Some(BrowsePacket {
        kind,
        state,
        uri: uri.to_string(),
        location,
        info,
        make_and_model,
    })
}

/// A hex number after optional whitespace (and an optional `0x`), and the
/// rest of the text.
fn hex_field(s: &str) -> Option<(u32, &str)> {
    let s = s.trim_start();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let end = s.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(s.len());
    let (digits, rest) = s.split_at(end);
    if digits.is_empty() {
        return None;
    }
    Some((u32::from_str_radix(digits, 16).ok()?, rest))
}

/// Where a packet's URI points, when the listener may call it: its host
/// must be the sender's address or a loopback address.
pub fn callback_target(uri: &str, sender: IpAddr) -> Result<(IpAddr, u16, String), String> {
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| format!("'{uri}' is not a URI"))?;
    let default_port = match scheme {
        "ipp" => 631,
        "http" => 80,
        other => {
            return Err(format!(
                "the listener calls only ipp:// and http://, not {other}://"
            ))
        }
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        let (h, p) = h
            .split_once(']')
            .ok_or_else(|| format!("bad host in '{uri}'"))?;
        (h, p.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let ip: IpAddr = host
        .parse()
        .map_err(|_| format!("'{host}' is not an IP address (the listener resolves no names)"))?;
    let port = match port {
        None => default_port,
        Some(p) => p.parse().map_err(|_| format!("bad port in '{uri}'"))?,
    };
    if !(ip.is_loopback() || ip == sender) {
        return Err(format!(
            "{ip} is neither the sender {sender} nor a loopback address; not called"
        ));
    }
    Ok((ip, port, path.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_a_cups_packet() {
        let p = BrowsePacket::parse(
            b"3 3 ipp://10.0.0.5:631/printers/evil \"Lab\" \"A printer\" \"HP LaserJet\"\n",
        )
        .unwrap();
        assert_eq!(p.kind, 3);
        assert_eq!(p.uri, "ipp://10.0.0.5:631/printers/evil");
        assert_eq!(p.make_and_model, "HP LaserJet");
        assert_eq!(BrowsePacket::parse(p.to_packet().as_bytes()).unwrap(), p);
        assert!(BrowsePacket::parse(b"zz 3 ipp://x/ \"\" \"\" \"\"").is_err());
        assert!(BrowsePacket::parse(b"3 3").is_err());
        assert!(BrowsePacket::parse(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn calls_back_only_the_sender_or_loopback() {
        let sender: IpAddr = "10.0.0.5".parse().unwrap();
        assert_eq!(
            callback_target("ipp://10.0.0.5:8000/printers/x", sender).unwrap(),
            (sender, 8000, "/printers/x".into())
        );
        assert!(callback_target("ipp://127.0.0.1/p", sender).is_ok());
        assert!(callback_target("ipp://10.0.0.6/p", sender).is_err());
        assert!(callback_target("ipp://evil.example/p", sender).is_err());
        assert!(callback_target("file:///etc/passwd", sender).is_err());
    }

    proptest::proptest! {
        #[test]
        fn round_trip(kind in 0u32..0xffff, state in 3u32..6, host in 1u8..255,
                      loc in "[a-zA-Z0-9 ]{0,20}", info in "[a-zA-Z0-9 ]{0,20}") {
            let p = BrowsePacket { kind, state, uri: format!("ipp://10.0.0.{host}/printers/p"),
                location: loc, info, make_and_model: "M".into() };
            proptest::prop_assert_eq!(BrowsePacket::parse(p.to_packet().as_bytes()).unwrap(), p);
        }

        #[test]
        fn never_panics(b in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = BrowsePacket::parse(&b);
        }
    }
}
