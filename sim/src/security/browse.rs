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

/// One browse packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowsePacket {
    /// Printer type bits (`CUPS_PRINTER_*`).
    pub kind: u32,
    /// Printer state (3 idle, 4 processing, 5 stopped).
    pub state: u32,
    /// The printer's URI.
    pub uri: String,
    /// `printer-location`.
    pub location: String,
    /// `printer-info`.
    pub info: String,
    /// `printer-make-and-model`.
    pub make_and_model: String,
}

/// Why a packet is not a browse packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrowseError {
    /// Not UTF-8 text.
    #[error("the packet is not text")]
    NotText,
    /// A field is missing or malformed.
    #[error("the packet's {field} is missing or malformed")]
    Field {
        /// Which.
        field: &'static str,
    },
}

impl BrowsePacket {
    /// The packet as sent.
    pub fn to_line(&self) -> String {
        format!(
            "{:x} {:x} {} \"{}\" \"{}\" \"{}\"\n",
            self.kind,
            self.state,
            self.uri,
            self.location.replace('"', "'"),
            self.info.replace('"', "'"),
            self.make_and_model.replace('"', "'")
        )
    }

    /// Parse one packet.
    pub fn parse(data: &[u8]) -> Result<BrowsePacket, BrowseError> {
        let text = std::str::from_utf8(data).map_err(|_| BrowseError::NotText)?;
        let text = text.trim_end_matches(['\n', '\r', '\0']);
        let mut rest = text.trim_start();
        let mut word = |field: &'static str| -> Result<&str, BrowseError> {
            let s = rest.trim_start();
            let end = s.find(char::is_whitespace).unwrap_or(s.len());
            if end == 0 {
                return Err(BrowseError::Field { field });
            }
            rest = &s[end..];
            Ok(&s[..end])
        };
        let kind = u32::from_str_radix(word("type")?, 16)
            .map_err(|_| BrowseError::Field { field: "type" })?;
        let state = u32::from_str_radix(word("state")?, 16)
            .map_err(|_| BrowseError::Field { field: "state" })?;
        let uri = word("uri")?.to_string();
        if !uri.contains("://") {
            return Err(BrowseError::Field { field: "uri" });
        }
        let mut quoted = |field: &'static str| -> Result<String, BrowseError> {
            let s = rest.trim_start();
            let s = s.strip_prefix('"').ok_or(BrowseError::Field { field })?;
            let end = s.find('"').ok_or(BrowseError::Field { field })?;
            rest = &s[end + 1..];
            Ok(s[..end].to_string())
        };
        Ok(BrowsePacket {
            kind,
            state,
            uri,
            location: quoted("location")?,
            info: quoted("info")?,
            make_and_model: quoted("make-and-model")?,
        })
    }
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
        assert_eq!(BrowsePacket::parse(p.to_line().as_bytes()).unwrap(), p);
        assert!(BrowsePacket::parse(b"zz 3 ipp://x/ \"\" \"\" \"\"").is_err());
        assert!(BrowsePacket::parse(b"3 3 ipp://x/ \"a\"").is_err());
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
            proptest::prop_assert_eq!(BrowsePacket::parse(p.to_line().as_bytes()).unwrap(), p);
        }

        #[test]
        fn never_panics(b in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = BrowsePacket::parse(&b);
        }
    }
}
