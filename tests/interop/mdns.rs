//! mDNS / DNS-SD against real peers. `lo` has no multicast, so each test
//! makes its own link: a veth pair between two network namespaces (PEERS.md:
//! `vA` 192.0.2.1/24 in the first, `vB` 192.0.2.2/24 in the second, names
//! unique to the test, deleted when it ends), with `paperjam serve --mdns` in
//! the first and avahi-daemon (on a private D-Bus, `allow-interfaces=vB`) or
//! python-zeroconf in the second:
//!
//! * avahi-browse lists and resolves every service paperjam advertises, with
//!   the TXT records the profile gives;
//! * on a name conflict (avahi publishes the name first) paperjam renames
//!   itself `… (2)`;
//! * after SIGINT paperjam's goodbyes make the services vanish from avahi;
//! * python-zeroconf, a second independent client, browses and resolves the
//!   same;
//! * the runner grades a printer service avahi publishes, from the other
//!   namespace, and prints the report.
//!
//! A missing peer (ip, avahi-daemon, avahi-utils, python3-zeroconf) fails the
//! test with the install hint.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use paperjam_sim::mdns::{txt_for_service, RunningServices, ServiceKind};
use paperjam_sim::profile::Profile;
use tempfile::TempDir;

use crate::peers::{require_tool, tail_of, ChildGuard, Paperjam, PrivateDbus, INSTALL_HINT};

/// How long a peer may take to see what it should.
const SEE: Duration = Duration::from_secs(20);

/// The instance name of the default profile.
const INSTANCE: &str = "paperjam virtual office laser";

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Two network namespaces joined by a veth pair, deleted when dropped.
struct VethPair {
    a: String,
    b: String,
}

impl VethPair {
    fn new(tag: &str) -> VethPair {
        require_tool("ip");
        let id = std::process::id();
        let (a, b) = (format!("pjA-{tag}-{id}"), format!("pjB-{tag}-{id}"));
        for n in [&a, &b] {
            let _ = Command::new("ip").args(["netns", "delete", n]).output();
        }
        let pair = VethPair { a, b };
        let (a, b) = (pair.a.as_str(), pair.b.as_str());
        for args in [
            vec!["netns", "add", a],
            vec!["netns", "add", b],
            vec!["-n", a, "link", "set", "lo", "up"],
            vec!["-n", b, "link", "set", "lo", "up"],
            vec![
                "link", "add", "vA", "netns", a, "type", "veth", "peer", "name", "vB", "netns", b,
            ],
            vec!["-n", a, "addr", "add", "192.0.2.1/24", "dev", "vA"],
            vec!["-n", b, "addr", "add", "192.0.2.2/24", "dev", "vB"],
            vec!["-n", a, "link", "set", "vA", "up"],
            vec!["-n", b, "link", "set", "vB", "up"],
        ] {
            run_ok(Command::new("ip").args(&args));
        }
        pair
    }

    fn exec_a(&self) -> [&str; 4] {
        ["ip", "netns", "exec", &self.a]
    }

    fn in_b(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.b, program]);
        c
    }

    fn in_a(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.a, program]);
        c
    }
}

impl Drop for VethPair {
    fn drop(&mut self) {
        for n in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "delete", n]).output();
        }
    }
}

/// One service `avahi-browse -r -p -k` resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resolved {
    name: String,
    service: String,
    host: String,
    addr: String,
    port: u16,
    txt: BTreeSet<String>,
}

/// avahi's `\DDD` escapes undone.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            let n: u32 = s[i + 1..i + 4].parse().unwrap_or(0);
            out.push(u8::try_from(n).unwrap_or(b'?'));
            i += 4;
        } else if b[i] == b'\\' && i + 1 < b.len() {
            out.push(b[i + 1]);
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `"a=1" "b=2"` → {a=1, b=2}.
fn txt_set(field: &str) -> BTreeSet<String> {
    field
        .split("\" \"")
        .map(|s| s.trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// avahi-daemon in the second namespace, on a private system bus.
struct Avahi {
    _daemon: ChildGuard,
    dbus: PrivateDbus,
    ns: String,
    log: std::path::PathBuf,
    _dir: TempDir,
}

impl Avahi {
    fn start(pair: &VethPair) -> Avahi {
        let daemon = require_tool("avahi-daemon");
        require_tool("avahi-browse");
        require_tool("avahi-publish");
        let dir = tempfile::Builder::new().prefix("avahi-").tempdir().unwrap();
        let dbus = PrivateDbus::start(dir.path());
        let conf = dir.path().join("avahi-daemon.conf");
        fs::write(
            &conf,
            "[server]\nhost-name=avahi-peer\nallow-interfaces=vB\nuse-ipv4=yes\nuse-ipv6=no\nenable-dbus=yes\n\
             [wide-area]\nenable-wide-area=no\n[publish]\npublish-workstation=no\npublish-hinfo=no\n",
        )
        .unwrap();
        let log = dir.path().join("avahi-daemon.log");
        let log_file = fs::File::create(&log).unwrap();
        // `ip netns exec` runs in a mount namespace of its own: a tmpfs on
        // /run/avahi-daemon keeps this daemon's pid file and socket apart
        // from any other avahi on the machine.
        let script = format!(
            "mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && exec {} -f {} --no-drop-root --no-chroot --no-rlimits",
            daemon.display(),
            conf.display()
        );
        let mut child = ChildGuard::spawn(
            "avahi-daemon",
            Command::new("ip")
                .args(["netns", "exec", &pair.b, "sh", "-c", &script])
                .env("DBUS_SYSTEM_BUS_ADDRESS", &dbus.address)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file),
        );
        let deadline = Instant::now() + SEE;
        loop {
            let ok = Command::new(require_tool("avahi-browse"))
                .args(["-a", "-t", "-p"])
                .env("DBUS_SYSTEM_BUS_ADDRESS", &dbus.address)
                .output()
                .is_ok_and(|o| o.status.success());
            if ok && tail_of(&log, 4000).contains("Server startup complete") {
                break;
            }
            if let Some(status) = child.exited() {
                panic!("avahi-daemon exited ({status}): {}", tail_of(&log, 4000));
            }
            assert!(
                Instant::now() < deadline,
                "avahi-daemon did not start within {SEE:?}: {}",
                tail_of(&log, 4000)
            );
            thread::sleep(Duration::from_millis(100));
        }
        Avahi {
            _daemon: child,
            dbus,
            ns: pair.b.clone(),
            log,
            _dir: dir,
        }
    }

    /// `avahi-browse -a -r -t -p -k`: every service resolved.
    fn browse(&self) -> Vec<Resolved> {
        let out = Command::new(require_tool("avahi-browse"))
            .args(["-a", "-r", "-t", "-p", "-k"])
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.dbus.address)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("=;"))
            .filter_map(|l| {
                let f: Vec<&str> = l.splitn(10, ';').collect();
                (f.len() >= 9).then(|| Resolved {
                    name: unescape(f[3]),
                    service: f[4].to_string(),
                    host: f[6].to_string(),
                    addr: f[7].to_string(),
                    port: f[8].parse().unwrap_or(0),
                    txt: f.get(9).map(|t| txt_set(t)).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The names avahi lists (resolved or not): `(name, service)`.
    fn listed(&self) -> Vec<(String, String)> {
        let out = Command::new(require_tool("avahi-browse"))
            .args(["-a", "-t", "-p", "-k"])
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.dbus.address)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("+;"))
            .filter_map(|l| {
                let f: Vec<&str> = l.split(';').collect();
                (f.len() >= 5).then(|| (unescape(f[3]), f[4].to_string()))
            })
            .collect()
    }

    /// Polls [`Avahi::browse`] until `pick` accepts what it sees.
    fn wait_for<T>(&self, what: &str, pick: impl Fn(&[Resolved]) -> Option<T>) -> T {
        let deadline = Instant::now() + SEE;
        loop {
            let seen = self.browse();
            if let Some(x) = pick(&seen) {
                return x;
            }
            assert!(
                Instant::now() < deadline,
                "avahi-browse did not show {what} within {SEE:?}; it shows {seen:#?}\navahi log: {}",
                tail_of(&self.log, 3000)
            );
            thread::sleep(Duration::from_millis(250));
        }
    }

    /// `avahi-publish -s NAME TYPE PORT TXT…` (with `--subtype` args in
    /// `extra`), until it says the name is established.
    fn publish(
        &self,
        extra: &[&str],
        name: &str,
        stype: &str,
        port: u16,
        txt: &[&str],
    ) -> ChildGuard {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("publish.log");
        let log_file = fs::File::create(&log).unwrap();
        let mut child = ChildGuard::spawn(
            "avahi-publish",
            Command::new("ip")
                .args(["netns", "exec", &self.ns])
                .arg(require_tool("avahi-publish"))
                .arg("-s")
                .args(extra)
                .args([name, stype, &port.to_string()])
                .args(txt)
                .env("DBUS_SYSTEM_BUS_ADDRESS", &self.dbus.address)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file),
        );
        let deadline = Instant::now() + SEE;
        while !tail_of(&log, 2000).contains("Established") {
            if let Some(status) = child.exited() {
                panic!("avahi-publish exited ({status}): {}", tail_of(&log, 2000));
            }
            assert!(
                Instant::now() < deadline,
                "avahi-publish did not establish {name}"
            );
            thread::sleep(Duration::from_millis(100));
        }
        // The log folder goes with the test; the process is what matters.
        std::mem::forget(dir);
        child
    }
}

/// The port of a URI `scheme://host:PORT…`.
fn port_of(uri: &str) -> u16 {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    authority
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {uri}"))
}

/// paperjam serve in the first namespace, announcing on vA.
fn serve(pair: &VethPair) -> (Paperjam, RunningServices) {
    let mut pj = Paperjam::start_in(
        &pair.exec_a(),
        &["--bind", "192.0.2.1", "--mdns", "--mdns-interface", "vA"],
    );
    let ipp = port_of(&pj.uri);
    let lpd = port_of(&pj.lpd_uri());
    let sock = port_of(&pj.socket_uri());
    let services = RunningServices::none()
        .with_ipp(ipp, true)
        .with_lpd(lpd, "lp")
        .with_appsocket(sock);
    (pj, services)
}

/// The TXT record of `kind` the default profile gives, as a set of strings.
fn expected_txt(kind: ServiceKind, services: &RunningServices) -> BTreeSet<String> {
    let p = Profile::default_profile().unwrap();
    txt_for_service(&p, kind, services, "paperjam-laser")
        .to_strings()
        .into_iter()
        .map(|s| String::from_utf8(s).unwrap())
        .collect()
}

const TYPES: [(&str, ServiceKind); 4] = [
    ("_ipp._tcp", ServiceKind::Ipp),
    ("_ipps._tcp", ServiceKind::Ipps),
    ("_printer._tcp", ServiceKind::Lpd),
    ("_pdl-datastream._tcp", ServiceKind::AppSocket),
];

/// avahi-browse lists and resolves every service paperjam advertises: the
/// name, host, address, port and TXT record the profile gives.
#[test]
fn mdns_avahi_browses_and_resolves_every_paperjam_service() {
    let pair = VethPair::new("browse");
    let avahi = Avahi::start(&pair);
    let (mut pj, services) = serve(&pair);
    let name = pj.mdns_name();
    assert_eq!(name, INSTANCE);
    let seen = avahi.wait_for("paperjam's four services, resolved", |seen| {
        let mine: Vec<Resolved> = seen.iter().filter(|r| r.name == name).cloned().collect();
        TYPES
            .iter()
            .all(|(t, _)| mine.iter().any(|r| r.service == *t))
            .then_some(mine)
    });
    for (t, kind) in TYPES {
        let r = seen
            .iter()
            .find(|r| r.service == t)
            .unwrap_or_else(|| panic!("{t} not resolved: {seen:#?}"));
        assert_eq!(r.host, "paperjam-laser.local", "{r:?}");
        assert_eq!(r.addr, "192.0.2.1", "{r:?}");
        assert_eq!(Some(r.port), services.port(kind), "{r:?}");
        assert_eq!(r.txt, expected_txt(kind, &services), "{t}: {r:?}");
    }
    println!("avahi-browse resolved: {seen:#?}");
}

/// avahi holds the name first: paperjam's probe is answered, and it takes
/// `… (2)` for every service; avahi keeps its own.
#[test]
fn mdns_name_conflict_renames_paperjam() {
    let pair = VethPair::new("conflict");
    let avahi = Avahi::start(&pair);
    let _taken = avahi.publish(&[], INSTANCE, "_ipp._tcp", 631, &["txtvers=1"]);
    let (_pj, services) = serve(&pair);
    let renamed = format!("{INSTANCE} (2)");
    let seen = avahi.wait_for("paperjam renamed to … (2)", |seen| {
        let ok = TYPES.iter().all(|(t, _)| {
            seen.iter()
                .any(|r| r.name == renamed && r.service == *t && r.addr == "192.0.2.1")
        });
        ok.then(|| seen.to_vec())
    });
    let ipp = seen
        .iter()
        .find(|r| r.name == renamed && r.service == "_ipp._tcp")
        .unwrap();
    assert_eq!(Some(ipp.port), services.ipp);
    assert!(
        seen.iter()
            .any(|r| r.name == INSTANCE && r.service == "_ipp._tcp" && r.port == 631),
        "avahi lost its own name: {seen:#?}"
    );
}

/// SIGINT: paperjam says goodbye (TTL 0) and its services vanish from
/// avahi's cache within seconds (their TTLs are 75 minutes otherwise).
#[test]
fn mdns_goodbye_on_sigint_removes_paperjam_from_avahi() {
    let pair = VethPair::new("bye");
    let avahi = Avahi::start(&pair);
    let (mut pj, _) = serve(&pair);
    avahi.wait_for("paperjam's services", |seen| {
        (seen.iter().filter(|r| r.name == INSTANCE).count() >= 4).then_some(())
    });
    let status = pj.interrupt(Duration::from_secs(15));
    assert!(status.success(), "paperjam serve exited with {status}");
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let left: Vec<(String, String)> = avahi
            .listed()
            .into_iter()
            .filter(|(n, _)| n == INSTANCE)
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "avahi still lists {left:?} 8 s after paperjam's shutdown: no goodbyes?"
        );
        thread::sleep(Duration::from_millis(200));
    }
}

const ZEROCONF_SCRIPT: &str = r#"
import json, sys, time
from zeroconf import Zeroconf, ServiceBrowser, ServiceListener, IPVersion

types = ["_ipp._tcp.local.", "_ipps._tcp.local.", "_printer._tcp.local.", "_pdl-datastream._tcp.local."]

class Listener(ServiceListener):
    def __init__(self):
        self.names = set()
    def add_service(self, zc, t, n):
        self.names.add((t, n))
    def update_service(self, zc, t, n):
        self.names.add((t, n))
    def remove_service(self, zc, t, n):
        pass

zc = Zeroconf(interfaces=[sys.argv[1]], ip_version=IPVersion.V4Only)
listener = Listener()
browser = ServiceBrowser(zc, types, listener)
deadline = time.time() + 15
while time.time() < deadline and len({t for t, _ in listener.names}) < 4:
    time.sleep(0.25)
out = []
for t, n in sorted(listener.names):
    info = zc.get_service_info(t, n, timeout=3000)
    if info is None:
        out.append({"type": t, "name": n, "resolved": False})
        continue
    props = {k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()}
    out.append({"type": t, "name": n, "resolved": True, "port": info.port, "server": info.server,
                "addresses": info.parsed_addresses(), "txt": props})
browser.cancel()
zc.close()
print(json.dumps(out))
"#;

/// python-zeroconf, an independent DNS-SD client, browses and resolves the
/// same four services, with the same TXT keys.
#[test]
fn mdns_python_zeroconf_resolves_paperjam() {
    let python = Path::new("/usr/bin/python3");
    let has = Command::new(python)
        .args(["-c", "import zeroconf"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has,
        "python3-zeroconf not found (for /usr/bin/python3): {INSTALL_HINT}"
    );
    let pair = VethPair::new("zc");
    let (_pj, services) = serve(&pair);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("browse.py");
    fs::write(&script, ZEROCONF_SCRIPT).unwrap();
    let out = run_ok(pair.in_b("/usr/bin/python3").arg(&script).arg("192.0.2.2"));
    let text = String::from_utf8_lossy(&out.stdout);
    let found: serde_json::Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("python-zeroconf printed no JSON ({e}): {text}"));
    let list = found.as_array().cloned().unwrap_or_default();
    for (t, kind) in TYPES {
        let full = format!("{INSTANCE}.{t}.local.");
        let s = list
            .iter()
            .find(|s| s["name"] == full.as_str())
            .unwrap_or_else(|| panic!("python-zeroconf did not find {full}: {text}"));
        assert_eq!(s["resolved"], true, "{s}");
        assert_eq!(s["server"], "paperjam-laser.local.", "{s}");
        assert_eq!(
            s["port"].as_u64(),
            services.port(kind).map(u64::from),
            "{s}"
        );
        assert!(
            s["addresses"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "192.0.2.1")),
            "{s}"
        );
        for kv in expected_txt(kind, &services) {
            let (k, v) = kv.split_once('=').unwrap();
            assert_eq!(s["txt"][k], v, "{t} TXT {k}: {s}");
        }
    }
}

/// The runner, in the first namespace, grades a printer service avahi
/// publishes in the second: the chain resolves, nothing listens on the SRV
/// port, the IPP cross-checks are skipped (no IPP there), the goodbye case
/// is skipped (the runner does not switch a real printer off). The report is
/// printed.
#[test]
fn mdns_runner_grades_an_avahi_published_printer() {
    let pair = VethPair::new("grade");
    let avahi = Avahi::start(&pair);
    let _fake = avahi.publish(
        &[
            "--subtype=_print._sub._ipp._tcp",
            "--subtype=_universal._sub._ipp._tcp",
        ],
        "Fake Printer",
        "_ipp._tcp",
        631,
        &[
            "txtvers=1",
            "qtotal=1",
            "rp=ipp/print",
            "ty=Fake Printer 1000",
            "note=Lab B",
            "pdl=application/pdf,image/pwg-raster,image/urf",
            "UUID=4509a320-00a0-008f-00b6-002507510eca",
            "kind=document",
            "URF=V1.4,W8,RS300",
            "Color=T",
            "Duplex=F",
        ],
    );
    let out_dir = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_paperjam");
    let out = pair
        .in_a(binary)
        .args(["test", "dnssd://", "--mdns-interface", "vA", "--out"])
        .arg(out_dir.path())
        .args(["--format", "json", "--format", "markdown"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report_md = fs::read_to_string(out_dir.path().join("report.md"))
        .unwrap_or_else(|e| panic!("no report.md ({e}); stderr:\n{stderr}"));
    println!("{stderr}\n{report_md}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a MUST failed (srv-port-answers): exit 1; stderr:\n{stderr}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out_dir.path().join("report.json")).unwrap())
            .unwrap();
    let outcome = |id: &str| -> String {
        json["cases"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["id"] == id))
            .map(|c| c["outcome"].as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|| panic!("no case {id} in the report"))
    };
    assert_eq!(outcome("mdns/rfc6763/4/ptr-srv-txt-a-chain"), "pass");
    assert_eq!(outcome("mdns/bonjour-printing/txt-required-keys"), "pass");
    assert_eq!(outcome("mdns/pwg5100.14/4.2/print-subtype"), "pass");
    assert_eq!(outcome("mdns/rfc6762/9/name-defended"), "pass");
    assert_eq!(outcome("mdns/rfc6762/6.7/legacy-unicast-answered"), "pass");
    assert_eq!(outcome("mdns/rfc6763/5/srv-port-answers"), "fail");
    assert_eq!(outcome("mdns/rfc6762/10.1/goodbye-on-shutdown"), "skip");
    for id in [
        "mdns/ipp/pdl-agrees",
        "mdns/ipp/uuid-agrees",
        "mdns/ipp/rp-agrees",
        "mdns/ipp/ty-agrees",
        "mdns/ipp/note-agrees",
        "mdns/ipp/color-duplex-agree",
    ] {
        assert_eq!(outcome(id), "skip", "{id}");
    }
    let description = json["target_description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with("Fake Printer (_ipp._tcp) on avahi-peer.local"),
        "the report names the printer found: {description}"
    );
}

/// `paperjam replay` of avahi-browse's session with paperjam
/// (`captures/mdns-avahi-browse.pcapng`), its queries sent again over the
/// veth to a live `paperjam serve` (as recorded: no TLS): every query the
/// capture holds an answer to is answered the same, question by question.
#[test]
fn mdns_replay_of_avahi_browse_against_paperjam_over_the_veth() {
    let pair = VethPair::new("replay");
    let _pj = Paperjam::start_in(
        &pair.exec_a(),
        &[
            "--bind",
            "192.0.2.1",
            "--mdns",
            "--mdns-interface",
            "vA",
            "--no-tls",
        ],
    );
    let out_dir = tempfile::tempdir().unwrap();
    let capture = crate::peers::repo_root().join("captures/mdns-avahi-browse.pcapng");
    let out = pair
        .in_b(env!("CARGO_BIN_EXE_paperjam"))
        .arg("replay")
        .arg(&capture)
        .args(["--target", "dnssd:", "--mdns-interface", "vB", "--out"])
        .arg(out_dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(out_dir.path().join("report.json"))
            .unwrap_or_else(|e| panic!("no report ({e}); stderr:\n{stderr}")),
    )
    .unwrap();
    let cases = json["cases"].as_array().cloned().unwrap_or_default();
    let compared: Vec<&serde_json::Value> =
        cases.iter().filter(|c| c["outcome"] != "skip").collect();
    assert_eq!(compared.len(), 3, "the three answered queries: {json:#}");
    for c in &compared {
        assert_eq!(c["outcome"], "pass", "{c:#}");
    }
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
}
