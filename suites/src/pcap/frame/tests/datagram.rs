//! SNMP and mDNS datagrams from third-party captures (payloads written out
//! here): zeek's `snmpv1_get.pcap` (a Xerox printer polled with SNMPv1),
//! `snmpv2_get_bulk.pcap`, nDPI's `snmp.pcap` (SNMPv3, v1 traps) and
//! zeek's `mdns.pcap` (a browse for `_ipp._tcp`).

use paperjam_sim::snmp::message::MessageError;

use super::super::datagram::{mdns, snmp, MdnsError, SnmpError};
use super::super::{guess_udp_protocol, UdpProtocol};
use super::unhex;

/// zeek snmpv1_get.pcap frame 3: GetRequest sysName.0, sysLocation.0.
const V1_GET: &str = "303402010004067075626c6963a027020127020100020100301c300c06082b060102010105000500300c06082b060102010106000500";
/// Frame 4: the printer's answer, "B6300" and "Chandra's cube".
const V1_RESPONSE: &str = "304702010004067075626c6963a23a020127020100020100302f301106082b0601020101050004054236333030301a06082b06010201010600040e4368616e64726127732063756265";
/// Frame 2: sysObjectID.0 answered with an OID.
const V1_OID_RESPONSE: &str = "303802010004067075626c6963a22b0201260201000201003020301e06082b0601020101020006122b060104018f5101010182295d011b020201";
/// Frame 8: IpAddress-looking strings and an INTEGER from a Xerox table.
const V1_XEROX: &str = "307902010004067075626c6963a26c0201290201000201003061302106122b06010401817d0840040201070a86deb738040b3137322e33312e31392e32302306122b06010401817d0840040201070a86deb736040d3235352e3235352e3235352e30301706122b06010401817d0840040201050a86deb960020101";
/// zeek snmpv2_get_bulk.pcap frame 1: GetBulkRequest, community "".
const V2_BULK: &str = "30230201010400a51c02046c4e552d020100020100300e300c06082b060102010105000500";
/// nDPI snmp.pcap frame 17: an SNMPv3 discovery request.
const V3: &str = "303e020103301102046c9af56e020300ffe30401040201030410300e0400020100020100040004000400301404000400a00e0204750558880201000201003000";
/// nDPI snmp.pcap frame 56: an SNMPv1 Trap (linkUp).
const V1_TRAP: &str = "307b02010004067075626c6963a46e06082b0601060301010540040a011e01020103020100430303ab543051300f060a2b0601020102020101020201023019060a2b060102010202010202040b45746865726e6574302f31300f060a2b0601020102020103020201063012060c2b060104010902020101140204027570";

#[test]
fn rfc1157_v1_get_request_and_response() {
    let g = snmp(&unhex(V1_GET)).unwrap();
    assert_eq!(g.version, "1");
    assert_eq!(g.community, "public");
    assert_eq!(g.pdu, "GetRequest");
    assert_eq!(g.request_id, 0x27);
    assert_eq!(g.error_name.as_deref(), Some("noError"));
    let oids: Vec<_> = g.varbinds.iter().map(|v| v.oid.as_str()).collect();
    assert_eq!(oids, ["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.6.0"]);
    assert_eq!(g.varbinds[0].type_name, "NULL");
    assert_eq!(g.varbinds[0].value, "");

    let r = snmp(&unhex(V1_RESPONSE)).unwrap();
    assert_eq!(r.pdu, "Response");
    assert_eq!(r.request_id, 0x27);
    assert_eq!(r.varbinds[0].value, "\"B6300\"");
    assert_eq!(r.varbinds[0].type_name, "STRING");
    assert_eq!(r.varbinds[1].value, "\"Chandra's cube\"");

    let o = snmp(&unhex(V1_OID_RESPONSE)).unwrap();
    assert_eq!(o.varbinds[0].type_name, "OID");
    assert_eq!(
        o.varbinds[0].value,
        ".1.3.6.1.4.1.2001.1.1.1.297.93.1.27.2.2.1"
    );

    let x = snmp(&unhex(V1_XEROX)).unwrap();
    assert_eq!(x.varbinds.len(), 3);
    assert_eq!(x.varbinds[0].value, "\"172.31.19.2\"");
    assert_eq!(x.varbinds[2].type_name, "INTEGER");
    assert_eq!(x.varbinds[2].value, "1");
}

#[test]
fn rfc3416_v2c_get_bulk_names_no_error_status() {
    let b = snmp(&unhex(V2_BULK)).unwrap();
    assert_eq!(b.version, "2c");
    assert_eq!(b.community, "");
    assert_eq!(b.pdu, "GetBulkRequest");
    assert_eq!(b.error_name, None);
    assert_eq!((b.error_status, b.error_index), (0, 0));
}

#[test]
fn unsupported_versions_and_pdus_are_typed_errors() {
    let e = snmp(&unhex(V3)).unwrap_err();
    assert_eq!(e, SnmpError::Decode(MessageError::UnsupportedVersion(3)));
    assert_eq!(e.version(), Some(3));
    let e = snmp(&unhex(V1_TRAP)).unwrap_err();
    assert_eq!(e, SnmpError::Decode(MessageError::UnsupportedPdu(0xa4)));
    // Still SNMP as far as the guess goes, on the SNMP ports.
    assert_eq!(
        guess_udp_protocol(49000, 161, &unhex(V3)),
        UdpProtocol::Snmp
    );
    assert_eq!(
        guess_udp_protocol(161, 162, &unhex(V1_TRAP)),
        UdpProtocol::Snmp
    );
    assert_eq!(
        guess_udp_protocol(49000, 49001, &unhex(V3)),
        UdpProtocol::Unknown
    );
}

#[test]
fn snmp_on_an_odd_port_is_still_snmp() {
    assert_eq!(
        guess_udp_protocol(40000, 1161, &unhex(V1_GET)),
        UdpProtocol::Snmp
    );
}

#[test]
fn snmp_garbage_never_panics() {
    let good = unhex(V1_RESPONSE);
    for cut in 0..good.len() {
        assert!(snmp(&good[..cut]).is_err(), "cut {cut}");
    }
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0xff;
        let _ = snmp(&bad);
    }
    assert!(matches!(
        snmp(b"hello"),
        Err(SnmpError::Decode(MessageError::NotSnmp(_)))
    ));
}

/// zeek mdns.pcap frame 2: a query for `_ipp._tcp.local` and
/// `_ipps._tcp.local` PTRs, over IPv4.
const MDNS_QUERY: &str =
    "000000000002000000000000045f697070045f746370056c6f63616c00000c0001055f69707073c011000c0001";
/// Frame 4: a response with AAAA, A and PTR records, all cache-flush.
const MDNS_RESPONSE: &str = "0000840000000006000000001c6a6f68616e6e612d51454d552d5669727475616c2d4d616368696e65056c6f63616c00001c8001000000000010fd52429ec03c8235883cd6fffee14dc40134016301640134013101650165016601660166013601640163013301380138013501330132013801630133013001630165013901320134013201350164016603697036046172706100000c8001000000000002c00cc00c001c8001000000000010fd52429ec03c823559685bc61563f82f0166013201380166013301360135013101360163016201350138013601390135c06a000c8001000000000002c00cc00c000180010000000000040a00020701370132013002313007696e2d61646472c08e000c8001000000000002c00c";
/// Frame 12: a probe (ANY questions, proposed records in authority).
const MDNS_PROBE: &str = "000000000004000000060000013401630164013401310165016501660166016601360164016301330138013801350133013201380163013301300163016501390132013401320135016401660369703604617270610000ff00011c6a6f68616e6e612d51454d552d5669727475616c2d4d616368696e65056c6f63616c0000ff000101370132013002313007696e2d61646472c05000ff00010166013201380166013301360135013101360163016201350138013601390135c02c00ff0001c05a000100010000007800040a000207c082000c0001000000780002c05ac05a001c0001000000780010fd52429ec03c823559685bc61563f82fc099000c0001000000780002c05ac05a001c0001000000780010fd52429ec03c8235883cd6fffee14dc4c00c000c0001000000780002c05a";

#[test]
fn rfc6762_query_from_a_capture() {
    let q = mdns(&unhex(MDNS_QUERY)).unwrap();
    assert_eq!(q.id, 0);
    assert!(!q.is_response);
    let names: Vec<_> = q
        .questions
        .iter()
        .map(|q| (q.name.as_str(), q.qtype.as_str(), q.unicast_response))
        .collect();
    assert_eq!(
        names,
        [
            ("_ipp._tcp.local", "PTR", false),
            ("_ipps._tcp.local", "PTR", false)
        ]
    );
    assert_eq!(
        guess_udp_protocol(5353, 5353, &unhex(MDNS_QUERY)),
        UdpProtocol::Mdns
    );
}

#[test]
fn rfc6762_response_from_a_capture() {
    let r = mdns(&unhex(MDNS_RESPONSE)).unwrap();
    assert!(r.is_response && r.authoritative);
    assert_eq!(r.answers.len(), 6);
    assert!(r.answers.iter().all(|a| a.cache_flush && a.class == 1));
    let a = r.answers.iter().find(|a| a.rtype == "A").unwrap();
    assert_eq!(a.name, "johanna-QEMU-Virtual-Machine.local");
    assert_eq!(a.data, "10.0.2.7");
    assert_eq!(a.ttl, 0);
    let aaaa = &r.answers[0];
    assert_eq!(aaaa.rtype, "AAAA");
    assert_eq!(aaaa.data, "fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4");
    let ptr = r.answers.iter().find(|a| a.rtype == "PTR").unwrap();
    assert_eq!(ptr.data, "johanna-QEMU-Virtual-Machine.local");
}

#[test]
fn rfc6762_8_1_probe_has_authority_records() {
    let p = mdns(&unhex(MDNS_PROBE)).unwrap();
    assert_eq!(p.questions.len(), 4);
    assert!(p.questions.iter().all(|q| q.qtype == "ANY"));
    assert_eq!(p.authority.len(), 6);
    assert!(p.authority.iter().all(|r| r.ttl == 120 && !r.cache_flush));
}

#[test]
fn rfc6763_srv_and_txt_rdata_as_text() {
    use simple_dns::rdata::{RData, SRV, TXT};
    use simple_dns::{Name, Packet, Question, ResourceRecord, CLASS, QCLASS, QTYPE, TYPE};
    let mut p = Packet::new_reply(0);
    p.questions.push(Question::new(
        Name::new_unchecked("_ipp._tcp.local"),
        QTYPE::TYPE(TYPE::PTR),
        QCLASS::CLASS(CLASS::IN),
        true,
    ));
    p.answers.push(
        ResourceRecord::new(
            Name::new_unchecked("Printer._ipp._tcp.local"),
            CLASS::IN,
            120,
            RData::SRV(SRV {
                priority: 0,
                weight: 5,
                port: 631,
                target: Name::new_unchecked("printer.local"),
            }),
        )
        .with_cache_flush(true),
    );
    let txt = TXT::new()
        .with_string("txtvers=1")
        .unwrap()
        .with_string("rp=ipp/print")
        .unwrap()
        .with_string("Color")
        .unwrap();
    p.additional_records.push(ResourceRecord::new(
        Name::new_unchecked("Printer._ipp._tcp.local"),
        CLASS::IN,
        4500,
        RData::TXT(txt),
    ));
    let bytes = p.build_bytes_vec().unwrap();
    let m = mdns(&bytes).unwrap();
    assert!(m.questions[0].unicast_response);
    assert_eq!(m.answers[0].rtype, "SRV");
    assert_eq!(m.answers[0].data, "0 5 631 printer.local");
    assert!(m.answers[0].cache_flush);
    assert_eq!(m.additional[0].rtype, "TXT");
    assert_eq!(m.additional[0].txt, ["txtvers=1", "rp=ipp/print", "Color"]);
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["answers"][0]["data"], "0 5 631 printer.local");
}

#[test]
fn mdns_garbage_is_a_typed_error() {
    assert!(matches!(mdns(b"short"), Err(MdnsError::Guard(_))));
    let good = unhex(MDNS_RESPONSE);
    for cut in 0..good.len() {
        assert!(mdns(&good[..cut]).is_err(), "cut {cut}");
    }
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] = bad[i].wrapping_add(0x41);
        let _ = mdns(&bad);
    }
    // A compression pointer to itself.
    let mut looped = unhex(MDNS_QUERY);
    looped[12] = 0xc0;
    looped[13] = 12;
    assert!(mdns(&looped).is_err());
}
