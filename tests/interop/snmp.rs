//! The SNMP agent against real managers: net-snmp's `snmpget`, `snmpwalk`
//! (v1, GETNEXT), `snmpbulkwalk` (v2c, GETBULK) and `snmpset`; and the CUPS
//! `snmp` (discovery) and `socket` (supply levels) backends, which talk to
//! UDP 161 on the printer's own address — so those run inside a network
//! namespace made by the test, where the virtual printer owns port 161.

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::time::Duration;

use crate::faults::Control;
use crate::peers::{document, require_cups_backend, require_tool, Paperjam};

/// Run a net-snmp tool; its output as text, failing on a non-zero exit.
fn net_snmp(tool: &str, args: &[&str]) -> String {
    let path = require_tool(tool);
    let out = Command::new(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && !stderr.contains("Timeout") && !stderr.contains("Error"),
        "{tool} {args:?} failed ({}):\nstdout:\n{}\nstderr:\n{stderr}",
        out.status,
        stdout.lines().take(40).collect::<Vec<_>>().join("\n")
    );
    stdout
}

/// `OID = TYPE: value` lines of `-On` output, by OID (continuation lines
/// of multi-line values are folded into the previous value).
fn parse_walk(text: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if let Some((oid, value)) = line.split_once(" = ") {
            if oid.starts_with('.') {
                m.insert(oid.to_string(), value.to_string());
                last = Some(oid.to_string());
                continue;
            }
        }
        if let Some(k) = &last {
            if let Some(v) = m.get_mut(k) {
                v.push('\n');
                v.push_str(line);
            }
        }
    }
    m
}

fn host_port(uri: &str) -> String {
    uri.trim_start_matches("snmp://")
        .trim_end_matches('/')
        .to_string()
}

/// `snmpwalk -v1` (GETNEXT) and `snmpbulkwalk -v2c -Cr50` (GETBULK) walk
/// the whole agent with no error (net-snmp checks every OID increases), see
/// the same objects, and what they read is the profile: make and model,
/// hrDevicePrinter, the four supplies with their levels, the device ID.
#[test]
fn net_snmp_walks_the_whole_agent() {
    let mut printer = Paperjam::start();
    let target = host_port(&printer.snmp_uri());
    let v1 = parse_walk(&net_snmp(
        "snmpwalk",
        &["-v1", "-c", "public", "-On", &target, ".1"],
    ));
    let v2 = parse_walk(&net_snmp(
        "snmpbulkwalk",
        &["-v2c", "-c", "public", "-On", "-Cr50", &target, ".1"],
    ));
    assert!(v1.len() > 200, "{} objects in the v1 walk", v1.len());
    let keys1: Vec<&String> = v1.keys().collect();
    let keys2: Vec<&String> = v2.keys().collect();
    assert_eq!(
        keys1, keys2,
        "GETNEXT and GETBULK walks see the same objects"
    );
    let want = [
        (".1.3.6.1.2.1.25.3.2.1.2.1", "OID: .1.3.6.1.2.1.25.3.1.5"),
        (
            ".1.3.6.1.2.1.25.3.2.1.3.1",
            "STRING: \"paperjam Office Laser 4000\"",
        ),
        (".1.3.6.1.2.1.25.3.5.1.1.1", "INTEGER: 3"),
        (".1.3.6.1.2.1.43.11.1.1.6.1.1", "STRING: \"Black Toner\""),
        (".1.3.6.1.2.1.43.11.1.1.6.1.4", "STRING: \"Yellow Toner\""),
        (".1.3.6.1.2.1.43.11.1.1.9.1.1", "INTEGER: 80"),
        (".1.3.6.1.2.1.43.11.1.1.9.1.4", "INTEGER: 50"),
        (".1.3.6.1.2.1.43.12.1.1.4.1.3", "STRING: \"magenta\""),
        (".1.3.6.1.2.1.1.6.0", "STRING: \"Loopback lab, bench 1\""),
    ];
    for (oid, value) in want {
        assert_eq!(
            v1.get(oid).map(String::as_str),
            Some(value),
            "{oid} in the v1 walk"
        );
        assert_eq!(
            v2.get(oid).map(String::as_str),
            Some(value),
            "{oid} in the v2c walk"
        );
    }
    let id = v1
        .get(".1.3.6.1.4.1.2699.1.2.1.2.1.1.3.1")
        .expect("ppmPrinterIEEE1284DeviceId.1");
    assert!(
        id.contains("MFG:paperjam;MDL:Office Laser 4000;"),
        "device id {id}"
    );
    // snmpget of what CUPS reads, in one v1 request.
    let got = parse_walk(&net_snmp(
        "snmpget",
        &[
            "-v1",
            "-c",
            "public",
            "-On",
            &target,
            "1.3.6.1.2.1.25.3.2.1.2.1",
            "1.3.6.1.2.1.25.3.5.1.2.1",
            "1.3.6.1.2.1.43.5.1.1.2.1",
            "1.3.6.1.2.1.43.10.2.1.4.1.1",
            "1.3.6.1.2.1.1.6.0",
        ],
    ));
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(got[".1.3.6.1.2.1.43.10.2.1.4.1.1"].starts_with("Counter32: "));
}

/// A jam raised through the control API shows at once to snmpget: printer
/// status other(1), device down(5), the jammed bit, a jam(8) alert row; and
/// goes when cleared.
#[test]
fn net_snmp_sees_a_jam_come_and_go() {
    let mut printer = Paperjam::start();
    let target = host_port(&printer.snmp_uri());
    let control = Control::new(&printer.control_url());
    let get = |oids: &[&str]| {
        let mut args = vec!["-v2c", "-c", "public", "-On", &target];
        args.extend_from_slice(oids);
        parse_walk(&net_snmp("snmpget", &args))
    };
    control.raise("media-jam");
    let g = get(&[
        "1.3.6.1.2.1.25.3.5.1.1.1",
        "1.3.6.1.2.1.25.3.2.1.5.1",
        "1.3.6.1.2.1.25.3.5.1.2.1",
    ]);
    assert_eq!(g[".1.3.6.1.2.1.25.3.5.1.1.1"], "INTEGER: 1");
    assert_eq!(g[".1.3.6.1.2.1.25.3.2.1.5.1"], "INTEGER: 5");
    assert!(
        g[".1.3.6.1.2.1.25.3.5.1.2.1"].starts_with("Hex-STRING: 04 00"),
        "{g:?}"
    );
    let alerts = parse_walk(&net_snmp(
        "snmpwalk",
        &[
            "-v2c",
            "-c",
            "public",
            "-On",
            &target,
            "1.3.6.1.2.1.43.18.1.1.7",
        ],
    ));
    assert!(
        alerts.values().any(|v| v == "INTEGER: 8"),
        "no jam(8) alert: {alerts:?}"
    );
    control.clear("media-jam");
    let g = get(&["1.3.6.1.2.1.25.3.5.1.1.1"]);
    assert_eq!(g[".1.3.6.1.2.1.25.3.5.1.1.1"], "INTEGER: 3");
}

/// `snmpset` with the write community changes sysLocation, and IPP's
/// `printer-location` says the same (one printer); with `public` it is
/// refused (noAccess) and nothing changes.
#[test]
fn snmpset_changes_what_ipp_shows() {
    let ipptool = require_tool("ipptool");
    let mut printer = Paperjam::start();
    let target = host_port(&printer.snmp_uri());
    net_snmp(
        "snmpset",
        &[
            "-v2c",
            "-c",
            "private",
            &target,
            "1.3.6.1.2.1.1.6.0",
            "s",
            "Room 42",
        ],
    );
    let refused = Command::new(require_tool("snmpset"))
        .args([
            "-v2c",
            "-c",
            "public",
            &target,
            "1.3.6.1.2.1.1.6.0",
            "s",
            "Nowhere",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("noAccess"),
        "a set with the read community: {said}"
    );
    let dir = tempfile::tempdir().unwrap();
    let test = dir.path().join("location.test");
    std::fs::write(
        &test,
        "{\n OPERATION Get-Printer-Attributes\n GROUP operation-attributes-tag\n \
         ATTR charset attributes-charset utf-8\n ATTR naturalLanguage attributes-natural-language en\n \
         ATTR uri printer-uri $uri\n ATTR keyword requested-attributes printer-location\n \
         STATUS successful-ok\n EXPECT printer-location WITH-VALUE \"Room 42\"\n}\n",
    )
    .unwrap();
    let out: Output = Command::new(ipptool)
        .args(["-t", &printer.uri])
        .arg(&test)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "IPP printer-location is not the SNMP-set one:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A network namespace for one test, deleted when dropped.
struct Netns {
    name: String,
}

impl Netns {
    fn new(tag: &str) -> Netns {
        require_tool("ip");
        let name = format!("pj-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "delete", &name]).output();
        let ok = |args: &[&str]| {
            let out = Command::new("ip").args(args).output().unwrap();
            assert!(
                out.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        ok(&["netns", "add", &name]);
        ok(&["-n", &name, "link", "set", "lo", "up"]);
        Netns { name }
    }

    fn exec(&self) -> [&str; 4] {
        ["ip", "netns", "exec", &self.name]
    }

    fn command(&self, program: &std::path::Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .output();
    }
}

/// The CUPS `snmp` backend (discovery) finds the virtual printer, which owns
/// UDP 161 inside a namespace: it prints a `network …` line for the
/// printer's own address with the profile's make and model and IEEE 1284
/// device ID. The URI is the one the Port Monitor MIB advertises
/// (`ppmPortServiceNameOrURI`, IPPS here), as CUPS prefers it to a guessed
/// `socket://`.
#[test]
fn cups_snmp_backend_discovers_the_printer() {
    let backend = require_cups_backend("backend-available/snmp");
    let ns = Netns::new("snmp");
    let _printer = Paperjam::start_in(
        &ns.exec(),
        &[
            "--snmp-port",
            "161",
            "--socket-port",
            "9100",
            "--lpd-port",
            "515",
        ],
    );
    let conf = tempfile::tempdir().unwrap();
    std::fs::write(
        conf.path().join("snmp.conf"),
        "Address 127.0.0.1\nCommunity public\nDebugLevel 2\n",
    )
    .unwrap();
    let out = ns
        .command(&backend)
        .env("CUPS_SERVERROOT", conf.path())
        .env("CUPS_DATADIR", conf.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run the snmp backend: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stdout
        .lines()
        .find(|l| {
            // CUPS names the host by a reverse lookup of the address it asked.
            [
                "ipps://127.0.0.1:",
                "ipps://localhost:",
                "socket://127.0.0.1",
            ]
            .iter()
            .any(|p| l.starts_with(&format!("network {p}")))
        })
        .unwrap_or_else(|| panic!("no discovery line:\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    assert!(line.contains("paperjam Office Laser 4000"), "{line}");
    assert!(
        line.contains("MFG:paperjam;MDL:Office Laser 4000;"),
        "{line}"
    );
}

/// The CUPS `socket` backend prints over 9100 and, from the agent on UDP 161
/// of the same address, reports the supply levels as `marker-levels` and a
/// supply at 5% or less as `toner-low-report` — the same levels IPP shows.
#[test]
fn cups_socket_backend_reports_supplies_from_snmp() {
    let backend = require_cups_backend("backend-available/socket");
    let ns = Netns::new("sock");
    let _printer = Paperjam::start_in(
        &ns.exec(),
        &[
            "--snmp-port",
            "161",
            "--socket-port",
            "9100",
            "--fault",
            "toner-low",
        ],
    );
    let doc = document("document-letter.pdf");
    // The backend reads supplies only for a queue whose PPD says
    // cupsSNMPSupplies, and caches what it read per address.
    let dir = tempfile::tempdir().unwrap();
    let ppd = dir.path().join("paperjam.ppd");
    std::fs::write(&ppd, MINIMAL_PPD).unwrap();
    let out = ns
        .command(&backend)
        .args(["1", "alice", "title", "1", ""])
        .arg(&doc)
        .env("DEVICE_URI", "socket://127.0.0.1:9100")
        .env("CONTENT_TYPE", "application/pdf")
        .env("PPD", &ppd)
        .env("CUPS_CACHEDIR", dir.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run the socket backend: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the socket backend failed:\n{stderr}");
    let levels = stderr
        .lines()
        .find_map(|l| l.strip_prefix("ATTR: marker-levels="))
        .unwrap_or_else(|| panic!("no marker-levels from the backend:\n{stderr}"));
    let levels: Vec<i32> = levels
        .split(',')
        .map(|v| v.trim().parse().unwrap())
        .collect();
    assert_eq!(levels.len(), 4, "{levels:?}");
    assert!(levels[0] <= 5, "black toner low: {levels:?}");
    assert_eq!(&levels[1..], &[70, 60, 50], "{levels:?}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("STATE: +") && l.contains("toner-low-report")),
        "no toner-low-report:\n{stderr}"
    );
    assert!(
        stderr.contains("ATTR: marker-names="),
        "no marker-names:\n{stderr}"
    );
}

/// The least PPD CUPS opens, with SNMP supply reporting on.
const MINIMAL_PPD: &str = r#"*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "PAPERJAM.PPD"
*Manufacturer: "paperjam"
*Product: "(Office Laser 4000)"
*ModelName: "paperjam Office Laser 4000"
*ShortNickName: "paperjam Office Laser 4000"
*NickName: "paperjam Office Laser 4000"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: True
*DefaultColorSpace: RGB
*FileSystem: False
*Throughput: "30"
*LandscapeOrientation: Plus90
*TTRasterizer: Type42
*cupsSNMPSupplies: True
*OpenUI *PageSize: PickOne
*DefaultPageSize: A4
*PageSize A4: "<</PageSize[595 842]>>setpagedevice"
*CloseUI: *PageSize
*DefaultImageableArea: A4
*ImageableArea A4: "12 12 583 830"
*DefaultPaperDimension: A4
*PaperDimension A4: "595 842"
"#;

/// A recording of a real agent becomes a virtual printer: net-snmp snmpd
/// (configured as a printer, PEERS.md) is walked by `paperjam profile
/// snmp-export --from`, a profile takes the dump as its `[snmp] walk`, and
/// the virtual printer then answers snmpwalk with snmpd's values — its
/// supply, its device ID — while its status stays live.
#[test]
fn a_walk_of_snmpd_becomes_a_virtual_printer() {
    let snmpd = start_snmpd(
        "rocommunity public 127.0.0.1\n\
         sysdescr Recorded Printer 9000\nsyslocation Basement\n\
         override .1.3.6.1.2.1.25.3.2.1.3.1 octet_str \"Acme Recorded 9000\"\n\
         override .1.3.6.1.2.1.43.11.1.1.5.1.1 integer 3\n\
         override .1.3.6.1.2.1.43.11.1.1.6.1.1 octet_str \"Acme Black Toner\"\n\
         override .1.3.6.1.2.1.43.11.1.1.8.1.1 integer 100\n\
         override .1.3.6.1.2.1.43.11.1.1.9.1.1 integer 42\n\
         override .1.3.6.1.4.1.2699.1.2.1.2.1.1.3.1 octet_str \"MFG:Acme;MDL:Recorded 9000;CMD:PDF;\"\n",
    );
    let (dir, target) = (&snmpd.dir, &snmpd.target);
    let walk = dir.path().join("recorded.walk");
    let out = Command::new(env!("CARGO_BIN_EXE_paperjam"))
        .args([
            "profile",
            "snmp-export",
            "--from",
            &format!("snmp://{target}"),
            "-o",
        ])
        .arg(&walk)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let profile = dir.path().join("recorded.toml");
    std::fs::write(
        &profile,
        format!(
            "{}\n[snmp]\nwalk = \"recorded.walk\"\n",
            std::fs::read_to_string(
                crate::peers::repo_root().join("fixtures/printers/default.toml")
            )
            .unwrap()
        ),
    )
    .unwrap();
    let mut printer = Paperjam::start_with(&["--profile", profile.to_str().unwrap()]);
    let ours = host_port(&printer.snmp_uri());
    let got = parse_walk(&net_snmp(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-On",
            &ours,
            "1.3.6.1.2.1.1.1.0",
            "1.3.6.1.2.1.1.6.0",
            "1.3.6.1.2.1.43.11.1.1.6.1.1",
            "1.3.6.1.2.1.43.11.1.1.9.1.1",
            "1.3.6.1.4.1.2699.1.2.1.2.1.1.3.1",
            "1.3.6.1.2.1.25.3.5.1.1.1",
        ],
    ));
    assert_eq!(
        got[".1.3.6.1.2.1.1.1.0"],
        "STRING: \"Recorded Printer 9000\""
    );
    assert_eq!(got[".1.3.6.1.2.1.1.6.0"], "STRING: \"Basement\"");
    assert_eq!(
        got[".1.3.6.1.2.1.43.11.1.1.6.1.1"],
        "STRING: \"Acme Black Toner\""
    );
    assert_eq!(got[".1.3.6.1.2.1.43.11.1.1.9.1.1"], "INTEGER: 42");
    assert!(got[".1.3.6.1.4.1.2699.1.2.1.2.1.1.3.1"].contains("MFG:Acme;MDL:Recorded 9000;"));
    assert_eq!(got[".1.3.6.1.2.1.25.3.5.1.1.1"], "INTEGER: 3", "live: idle");
}

/// The runner grades net-snmp snmpd set up as a half-made printer (a
/// supplies level overridden, no description, no printer tables): the
/// protocol cases pass, the Printer MIB's missing objects fail by name,
/// the hrPrinterTable cases are skipped with the reason, and snmpd's one
/// known SHOULD gap (an oversized answer dropped instead of tooBig) warns.
#[test]
fn the_runner_grades_snmpd_as_a_printer() {
    let snmpd = start_snmpd(
        "rocommunity public 127.0.0.1\nrwcommunity private 127.0.0.1\n\
         sysdescr Half-made Printer\n\
         override .1.3.6.1.2.1.25.3.2.1.3.1 octet_str \"Acme Half 1\"\n\
         override .1.3.6.1.2.1.43.11.1.1.9.1.1 integer 42\n",
    );
    let (dir, target) = (&snmpd.dir, &snmpd.target);
    let out_dir = dir.path().join("report");
    let out = Command::new(env!("CARGO_BIN_EXE_paperjam"))
        .args([
            "test",
            &format!("snmp://{target}"),
            "--allow-write",
            "--write-community",
            "private",
        ])
        .arg("--out")
        .arg(&out_dir)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "MUST failures: exit 1\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap())
            .unwrap();
    let outcome = |id: &str| -> String {
        report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no case {id}"))["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for pass in [
        "snmp/rfc3416/4.2.1/get-answered",
        "snmp/rfc3416/4.2.1/no-such-object-exception",
        "snmp/rfc3416/4.2.2/getnext-increases",
        "snmp/rfc3416/4.2.2/end-of-mib-view",
        "snmp/rfc3416/4.2.3/getbulk-bounds",
        "snmp/rfc3416/4.2.5/set-read-only-refused",
        "snmp/rfc3416/4.2.5/set-wrong-type-refused",
        "snmp/rfc1157/4/unknown-community-dropped",
        "snmp/rfc1157/4/malformed-dropped",
        "snmp/rfc3418/sysdescr",
        "snmp/rfc3418/sysuptime-increases",
    ] {
        assert_eq!(outcome(pass), "pass", "{pass}");
    }
    for fail in [
        "snmp/rfc3805/general-printer-name",
        "snmp/rfc3805/marker-life-count",
        "snmp/rfc3805/supplies-rows",
    ] {
        assert_eq!(outcome(fail), "fail", "{fail}");
    }
    assert_eq!(outcome("snmp/rfc2790/hr-printer-status"), "skip");
    assert_eq!(outcome("snmp/rfc3416/4.2.1/too-big"), "warn");
}

/// net-snmp snmpd on a free loopback port with `conf` (after its
/// `agentaddress` line), answering; stopped when dropped.
struct Snmpd {
    _guard: crate::peers::ChildGuard,
    /// `127.0.0.1:PORT`.
    target: String,
    dir: tempfile::TempDir,
}

fn start_snmpd(conf_lines: &str) -> Snmpd {
    let snmpd = require_tool("snmpd");
    let dir = tempfile::tempdir().unwrap();
    let port = crate::peers::free_port();
    let conf = dir.path().join("snmpd.conf");
    std::fs::write(
        &conf,
        format!("agentaddress udp:127.0.0.1:{port}\n{conf_lines}"),
    )
    .unwrap();
    let log = dir.path().join("snmpd.log");
    let mut guard = crate::peers::ChildGuard::spawn(
        "snmpd",
        Command::new(snmpd)
            .args(["-f", "-C", "-c"])
            .arg(&conf)
            .arg("-Lf")
            .arg(&log)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    );
    let target = format!("127.0.0.1:{port}");
    crate::peers::poll_until(
        "snmpd answers",
        &mut guard,
        &log,
        Duration::from_secs(20),
        || {
            Command::new("snmpget")
                .args([
                    "-v2c",
                    "-c",
                    "public",
                    "-t",
                    "1",
                    "-r",
                    "0",
                    &target,
                    "1.3.6.1.2.1.1.1.0",
                ])
                .output()
                .ok()
                .filter(|o| o.status.success())
        },
    );
    Snmpd {
        _guard: guard,
        target,
        dir,
    }
}
