//! Running CUPS' `ipptool` conformance files and grading their results.
//!
//! [`run_suite`] copies the stock test files from `/usr/share/cups/ipptool/`
//! into a temporary folder together with the sample documents they name
//! (they refuse to run when a `FILE` is missing), runs
//! `ipptool -t -I -T 30 [-V ver] -f DOC URI FILE`, and parses its `-t` output
//! into a [`SuiteRun`]: one [`TestResult`] per `[PASS]`, `[FAIL]` or `[SKIP]`
//! line, with the indented lines after it as details (the failure reasons).
//! With `-I` ipptool's exit code is unreliable, so the FAIL lines are what counts.
//!
//! [`Waivers`] (from `fixtures/ipptool/waivers.toml`) turn known failures that
//! are not the printer's fault into reported-but-accepted ones; [`Graded`] is
//! the result, and [`Graded::record`] appends it to
//! `target/interop/ipptool-results.tsv` for `scripts/ipptool-table.sh`.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tempfile::TempDir;

use crate::peers::{self, require_tool};

/// Where Debian's cups-ipp-utils installs the stock test files.
pub const STOCK_DIR: &str = "/usr/share/cups/ipptool";

/// ipptool's `-t` output cuts test names to this many characters.
const NAME_WIDTH: usize = 68;

/// The longest a whole ipptool run may take before it is killed.
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// Sample documents the stock files name with `FILE`, and the committed
/// fixture (in `fixtures/documents/`) that stands in for each.
const SAMPLE_DOCUMENTS: &[(&str, &str)] = &[
    ("color.jpg", "color.jpg"),
    ("gray.jpg", "gray.jpg"),
    ("document-a4.pdf", "document-a4.pdf"),
    ("document-a4.ps", "document-a4.ps"),
    ("document-letter.pdf", "document-letter.pdf"),
    ("document-letter.ps", "document-letter.ps"),
    // create-job-format.test sends `FILE ../data/testprint.ps`.
    ("../data/testprint.ps", "document-letter.ps"),
];

/// The outcome ipptool printed for one test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `[PASS]`
    Pass,
    /// `[FAIL]`
    Fail,
    /// `[SKIP]` (a `SKIP-IF-*` condition held)
    Skip,
}

/// One `[PASS]`/`[FAIL]`/`[SKIP]` line and the indented lines under it.
#[derive(Clone, Debug)]
pub struct TestResult {
    /// The test's NAME, cut to 68 characters by ipptool.
    pub name: String,
    /// PASS, FAIL or SKIP.
    pub outcome: Outcome,
    /// For a FAIL, the reasons (`EXPECTED: …`, `status-code = …`); for a
    /// PASS, any `DISPLAY`ed attributes.
    pub details: Vec<String>,
}

/// What one ipptool run produced.
#[derive(Debug)]
pub struct SuiteRun {
    /// The stock file, e.g. `ipp-everywhere.test`.
    pub file: String,
    /// The printer URI it ran against.
    pub uri: String,
    /// The command line, for messages.
    pub command: String,
    /// One entry per result line, in order.
    pub tests: Vec<TestResult>,
    /// ipptool's whole stdout.
    pub stdout: String,
    /// ipptool's whole stderr (complaints about the test file land here).
    pub stderr: String,
    /// ipptool's exit code (informational only with `-I`).
    pub exit_code: Option<i32>,
    /// How long ipptool ran.
    pub elapsed: Duration,
}

impl SuiteRun {
    /// How many tests had `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.tests.iter().filter(|t| t.outcome == outcome).count()
    }

    /// ipptool's own complaints about the test file (a missing `FILE`, a
    /// syntax error): these are harness bugs, not printer failures.
    pub fn file_errors(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.contains(" on line ") || l.contains("cannot be read"))
            .collect()
    }
}

/// Options for one run of a stock file.
pub struct SuiteOptions<'a> {
    /// The stock file name, e.g. `ipp-2.1.test`.
    pub file: &'a str,
    /// `-V` IPP version, if any.
    pub version: Option<&'a str>,
    /// The `-f` document (sets `$filename` and `$filetype`).
    pub document: PathBuf,
}

/// Copies the stock files and sample documents into a fresh temporary
/// folder laid out as `TMP/ipptool/*.test` + `TMP/data/testprint.ps`, and for
/// `ipp-everywhere.test` the PWG raster samples (see `crate::samples`).
pub fn prepare_workdir(file: &str, uri: &str) -> TempDir {
    let stock = Path::new(STOCK_DIR);
    assert!(
        stock.join(file).is_file(),
        "{STOCK_DIR}/{file} not found: {}",
        peers::INSTALL_HINT
    );
    let tmp = tempfile::Builder::new()
        .prefix("ipptool-")
        .tempdir()
        .unwrap();
    let tests = tmp.path().join("ipptool");
    fs::create_dir_all(&tests).unwrap();
    // All .test files, so INCLUDE "ipp-2.0.test" and friends resolve.
    for entry in fs::read_dir(stock).expect("cannot list the stock test files") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "test") {
            fs::copy(&path, tests.join(path.file_name().unwrap())).unwrap();
        }
    }
    for (name, fixture) in SAMPLE_DOCUMENTS {
        let target = tests.join(name);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(peers::document(fixture), &target).unwrap();
    }
    if file == "ipp-everywhere.test" {
        crate::samples::provide_pwg_raster_samples(&tests.join(file), &tests, uri);
    }
    tmp
}

/// Runs a stock file against `uri` and parses the result.
pub fn run_suite(uri: &str, options: &SuiteOptions) -> SuiteRun {
    let workdir = prepare_workdir(options.file, uri);
    let tests = workdir.path().join("ipptool");
    let mut args: Vec<String> = vec!["-t".into(), "-I".into(), "-T".into(), "30".into()];
    if let Some(version) = options.version {
        args.extend(["-V".into(), version.into()]);
    }
    args.extend(["-f".into(), options.document.display().to_string()]);
    args.extend([uri.to_string(), options.file.to_string()]);
    let started = Instant::now();
    let (stdout, stderr, exit_code) = run_ipptool(&tests, &args);
    SuiteRun {
        elapsed: started.elapsed(),
        file: options.file.to_string(),
        uri: uri.to_string(),
        command: format!("ipptool {}", args.join(" ")),
        tests: parse_results(&stdout),
        stdout,
        stderr,
        exit_code,
    }
}

/// Runs `ipptool ARGS` in `dir`, with a deadline of [`RUN_TIMEOUT`];
/// returns stdout, stderr and the exit code.
pub fn run_ipptool(dir: &Path, args: &[String]) -> (String, String, Option<i32>) {
    let program = require_tool("ipptool");
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start ipptool");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "ipptool {} took longer than {RUN_TIMEOUT:?}; killed",
                args.join(" ")
            );
        }
        thread::sleep(Duration::from_millis(50));
    };
    (
        out_reader.join().unwrap(),
        err_reader.join().unwrap(),
        status.code(),
    )
}

/// Parses ipptool's `-t` output. Test lines look like
/// `    NAME (padded to 68)  [PASS]`; lines indented deeper belong to the test
/// above them; progress lines such as `[0001]` (from `REPEAT-*`) are ignored.
pub fn parse_results(stdout: &str) -> Vec<TestResult> {
    let mut results: Vec<TestResult> = Vec::new();
    let mut last_was_result = false;
    for line in stdout.lines() {
        let trimmed = line.trim_end();
        let outcome = [
            ("[PASS]", Outcome::Pass),
            ("[FAIL]", Outcome::Fail),
            ("[SKIP]", Outcome::Skip),
        ]
        .into_iter()
        .find(|(tag, _)| trimmed.ends_with(tag));
        if let Some((tag, outcome)) = outcome {
            let name = trimmed[..trimmed.len() - tag.len()].trim().to_string();
            results.push(TestResult {
                name,
                outcome,
                details: Vec::new(),
            });
            last_was_result = true;
        } else if line.starts_with("        ") && last_was_result {
            results
                .last_mut()
                .unwrap()
                .details
                .push(line.trim().to_string());
        } else if !line.starts_with("        ") {
            // A file header, a progress line or the summary ends the details.
            last_was_result = false;
        }
    }
    results
}

/// Asks the printer for some attributes with a small inline test and returns
/// them as `name -> "v1,v2,…"` (ipptool's text form). Missing ones are absent.
pub fn printer_attributes(uri: &str, names: &[&str]) -> BTreeMap<String, String> {
    let dir = tempfile::Builder::new()
        .prefix("ipptool-query-")
        .tempdir()
        .unwrap();
    let displays: String = names.iter().map(|n| format!("  DISPLAY {n}\n")).collect();
    let test = format!(
        "{{\n  NAME \"query\"\n  OPERATION Get-Printer-Attributes\n  GROUP operation-attributes-tag\n  \
         ATTR charset attributes-charset utf-8\n  ATTR naturalLanguage attributes-natural-language en\n  \
         ATTR uri printer-uri $uri\n  ATTR keyword requested-attributes {}\n  STATUS successful-ok\n{displays}}}\n",
        names.join(",")
    );
    fs::write(dir.path().join("query.test"), test).unwrap();
    let args = ["-t", "-T", "5", uri, "query.test"].map(String::from);
    let (stdout, _, _) = run_ipptool(dir.path(), &args);
    parse_results(&stdout)
        .into_iter()
        .flat_map(|t| t.details)
        .filter_map(|line| {
            // `name (1setOf type) = v1,v2`
            let (lhs, value) = line.split_once(" = ")?;
            let name = lhs.split(" (").next()?.trim().to_string();
            Some((name, value.trim().to_string()))
        })
        .collect()
}

/// One entry of `fixtures/ipptool/waivers.toml`.
#[derive(Debug, Deserialize)]
pub struct Waiver {
    /// The stock file, e.g. `ipp-everywhere.test`.
    pub file: String,
    /// The test's full NAME, exactly as in the file.
    pub test: String,
    /// Why this failure is not the printer's fault.
    pub reason: String,
    /// Which printers it covers: `paperjam`, `ippeveprinter`.
    pub applies_to: Vec<String>,
    /// If set, the waiver covers a failure only when each of its
    /// `EXPECTED:`/`NOT EXPECTED:` reasons begins with one of these, so a
    /// waiver for one wrong expectation of a big test does not hide others.
    #[serde(default)]
    pub only_expectations: Option<Vec<String>>,
}

impl Waiver {
    /// True if this waiver covers `test` of `file` for `tool`. ipptool cuts
    /// names to 68 characters, so a cut name matches a waiver it begins.
    fn covers(&self, tool: &str, file: &str, test: &TestResult) -> bool {
        let name = test.name.as_str();
        self.file == file
            && self.applies_to.iter().any(|t| t == tool)
            && (self.test == name
                || (name.chars().count() >= NAME_WIDTH && self.test.starts_with(name)))
            && self.covers_reasons(test)
    }

    /// True if every expectation the failure reports is one this waiver
    /// names (always true without `only_expectations`).
    fn covers_reasons(&self, test: &TestResult) -> bool {
        let Some(allowed) = &self.only_expectations else {
            return true;
        };
        test.details
            .iter()
            .filter(|d| d.starts_with("EXPECTED:") || d.starts_with("NOT EXPECTED:"))
            .all(|d| allowed.iter().any(|a| d.starts_with(a.as_str())))
    }
}

/// The waivers file as data.
#[derive(Debug, Deserialize)]
pub struct Waivers {
    /// The `[[waiver]]` tables, in file order.
    #[serde(default, rename = "waiver")]
    pub waivers: Vec<Waiver>,
}

impl Waivers {
    /// Loads `fixtures/ipptool/waivers.toml`; every waiver needs a reason.
    pub fn load() -> Waivers {
        let path = peers::repo_root().join("fixtures/ipptool/waivers.toml");
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let waivers: Waivers =
            toml::from_str(&text).unwrap_or_else(|e| panic!("bad {}: {e}", path.display()));
        for w in &waivers.waivers {
            assert!(
                !w.reason.trim().is_empty(),
                "waiver {:?} has no reason",
                w.test
            );
        }
        waivers
    }

    /// Splits a run's failures into waived and unwaived for `tool`, and
    /// finds the waivers for this file and tool that matched nothing.
    pub fn grade<'r>(&self, tool: &str, run: &'r SuiteRun) -> Graded<'r, '_> {
        let mut waived = Vec::new();
        let mut unwaived = Vec::new();
        for test in run.tests.iter().filter(|t| t.outcome == Outcome::Fail) {
            match self
                .waivers
                .iter()
                .find(|w| w.covers(tool, &run.file, test))
            {
                Some(waiver) => waived.push((test, waiver)),
                None => unwaived.push(test),
            }
        }
        let stale = self
            .waivers
            .iter()
            .filter(|w| w.file == run.file && w.applies_to.iter().any(|t| t == tool))
            .filter(|w| !waived.iter().any(|(_, used)| std::ptr::eq(*used, *w)))
            .collect();
        Graded {
            tool: tool.to_string(),
            run,
            waived,
            unwaived,
            stale,
        }
    }
}

/// A run after the waivers were applied.
pub struct Graded<'r, 'w> {
    /// `paperjam` or `ippeveprinter`.
    pub tool: String,
    /// The run graded.
    pub run: &'r SuiteRun,
    /// Failures covered by a waiver, with it.
    pub waived: Vec<(&'r TestResult, &'w Waiver)>,
    /// Failures that count.
    pub unwaived: Vec<&'r TestResult>,
    /// Waivers for this file and tool that matched no failure.
    pub stale: Vec<&'w Waiver>,
}

impl Graded<'_, '_> {
    /// Prints the summary, the waived failures and any stale waivers to stderr
    /// (shown with `--nocapture` or by nextest on failure).
    pub fn report(&self) {
        eprintln!("{self}");
        for waiver in &self.stale {
            eprintln!(
                "STALE WAIVER ({} / {}): {:?} matched no failure, or the failure had \
                 other reasons too ({})",
                self.tool, waiver.file, waiver.test, waiver.reason
            );
        }
    }

    /// Appends `TOOL\tFILE\tpass\tfail\tskip\twaived` to
    /// `target/interop/ipptool-results.tsv`, where `fail` counts only the
    /// unwaived failures. One `write` call per line keeps concurrent tests
    /// from interleaving.
    pub fn record(&self) {
        let path = peers::results_dir().join("ipptool-results.tsv");
        let line = format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            self.tool,
            self.run.file,
            self.run.count(Outcome::Pass),
            self.unwaived.len(),
            self.run.count(Outcome::Skip),
            self.waived.len()
        );
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .unwrap_or_else(|e| panic!("cannot append to {}: {e}", path.display()));
    }
}

impl fmt::Display for Graded<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let run = self.run;
        writeln!(
            f,
            "{} {} ({}): {} pass, {} fail, {} skip, {} waived (ipptool exit {:?}, {:.1} s)\n  {}",
            self.tool,
            run.file,
            run.uri,
            run.count(Outcome::Pass),
            self.unwaived.len(),
            run.count(Outcome::Skip),
            self.waived.len(),
            run.exit_code,
            run.elapsed.as_secs_f64(),
            run.command
        )?;
        for test in &self.unwaived {
            writeln!(f, "  FAIL {}", test.name)?;
            for detail in test.details.iter().take(12) {
                writeln!(f, "      {detail}")?;
            }
        }
        for (test, waiver) in &self.waived {
            writeln!(f, "  WAIVED {} ({})", test.name, waiver.reason)?;
        }
        for line in run.file_errors() {
            writeln!(f, "  ipptool: {line}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parser reads names, outcomes and the failure reasons under a FAIL,
    /// and ignores repeat-progress lines and the summary.
    #[test]
    fn parse_ipptool_t_output() {
        let out = "\"/x/ipp-1.1.test\":\n    \
            Get-Printer-Attributes                                               [PASS]\n        \
            printer-up-time (integer) = 3\n    \
            Print-Job with copies                                                [0001]\n    \
            Print-Job with copies                                                [PASS]\n    \
            Send-Document missing last-document: Create-Job Operation            [FAIL]\n        \
            RECEIVED: 122 bytes in response\n        \
            EXPECTED: STATUS successful-ok (got server-error-busy)\n    \
            Print-URI                                                            [SKIP]\n\n\
            Summary: 4 tests, 2 passed, 1 failed, 1 skipped\nScore: 75%\n";
        let results = parse_results(out);
        let names: Vec<_> = results
            .iter()
            .map(|r| (r.name.as_str(), r.outcome))
            .collect();
        assert_eq!(
            names,
            [
                ("Get-Printer-Attributes", Outcome::Pass),
                ("Print-Job with copies", Outcome::Pass),
                (
                    "Send-Document missing last-document: Create-Job Operation",
                    Outcome::Fail
                ),
                ("Print-URI", Outcome::Skip),
            ]
        );
        assert_eq!(results[0].details, ["printer-up-time (integer) = 3"]);
        assert_eq!(results[2].details.len(), 2);
        assert!(results[3].details.is_empty());
    }

    /// A failure named `name` with these reasons.
    fn failure(name: &str, details: &[&str]) -> TestResult {
        TestResult {
            name: name.into(),
            outcome: Outcome::Fail,
            details: details.iter().map(|d| d.to_string()).collect(),
        }
    }

    /// A waiver matches its exact name, or a name ipptool cut to 68 characters.
    #[test]
    fn waiver_matches_cut_names() {
        let waiver = Waiver {
            file: "f.test".into(),
            test: "RFC 8011 section 4.1.4: attributes-natural-language + attributes-charset".into(),
            reason: "r".into(),
            applies_to: vec!["paperjam".into()],
            only_expectations: None,
        };
        let cut: String = waiver.test.chars().take(NAME_WIDTH).collect();
        assert!(waiver.covers("paperjam", "f.test", &failure(&waiver.test, &[])));
        assert!(waiver.covers("paperjam", "f.test", &failure(&cut, &[])));
        assert!(!waiver.covers("ippeveprinter", "f.test", &failure(&cut, &[])));
        assert!(!waiver.covers("paperjam", "f.test", &failure("RFC 8011", &[])));
    }

    /// With `only_expectations`, other failed expectations are not hidden.
    #[test]
    fn waiver_limited_to_expectations() {
        let waiver = Waiver {
            file: "f.test".into(),
            test: "T".into(),
            reason: "r".into(),
            applies_to: vec!["paperjam".into()],
            only_expectations: Some(vec!["EXPECTED: overrides-supported WITH-VALUE".into()]),
        };
        let only_that = failure(
            "T",
            &[
                "EXPECTED: overrides-supported WITH-VALUE \"document-number\"",
                "GOT: x",
            ],
        );
        let more = failure(
            "T",
            &[
                "EXPECTED: overrides-supported WITH-VALUE \"document-number\"",
                "EXPECTED: printer-icons",
            ],
        );
        assert!(waiver.covers("paperjam", "f.test", &only_that));
        assert!(!waiver.covers("paperjam", "f.test", &more));
    }
}
