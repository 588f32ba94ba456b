//! Outcomes, findings and the evidence behind them.

use serde::{Deserialize, Serialize};

use crate::spec::Level;

/// What a case concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every check held.
    Pass,
    /// A SHOULD was missed (a failure under `--strict`).
    Warn,
    /// A MUST was broken.
    Fail,
    /// The case did not apply or was not allowed; the reason says which.
    Skip,
    /// No verdict: the target could not be reached or its answer could not be read.
    Error,
}

impl Outcome {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
            Outcome::Error => "error",
        }
    }
}

/// One check that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Which step (0-based).
    pub step: usize,
    /// What was checked, e.g. `status`, `printer-uri-supported type`.
    pub check: String,
    /// What the spec asks for.
    pub expected: String,
    /// What the target did.
    pub actual: String,
}

/// One request and its answer, kept as evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// Which step (0-based).
    pub step: usize,
    /// The request's first bytes, hex (documents are cut to 4 KiB).
    pub request_hex: String,
    /// Request size in bytes.
    pub request_bytes: usize,
    /// The request decoded.
    pub request_decoded: String,
    /// HTTP status of the answer (0 if none).
    pub http_status: u16,
    /// The answer's bytes, hex (cut to 64 KiB).
    pub response_hex: String,
    /// Answer size in bytes.
    pub response_bytes: usize,
    /// The answer decoded (IPP attributes, or the reason it could not be).
    pub response_decoded: String,
    /// Milliseconds from request to answer.
    pub elapsed_ms: u64,
}

/// A case's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// Level.
    pub level: Level,
    /// Clause.
    pub clause: String,
    /// Title.
    pub title: String,
    /// The requirement quoted.
    pub requirement: String,
    /// The verdict.
    pub outcome: Outcome,
    /// Why it was skipped or errored, or a one-line summary of the failure.
    pub reason: String,
    /// Checks that did not hold.
    pub findings: Vec<Finding>,
    /// Every exchange.
    pub evidence: Vec<Exchange>,
    /// Time the case took, ms.
    pub elapsed_ms: u64,
}

impl CaseResult {
    /// A passing result with the case's identity and nothing recorded yet,
    /// for a runner to fill in.
    pub fn start(
        id: &str,
        level: Level,
        clause: &str,
        title: &str,
        requirement: &str,
    ) -> CaseResult {
        CaseResult {
            id: id.to_string(),
            level,
            clause: clause.to_string(),
            title: title.to_string(),
            requirement: requirement.to_string(),
            outcome: Outcome::Pass,
            reason: String::new(),
            findings: Vec::new(),
            evidence: Vec::new(),
            elapsed_ms: 0,
        }
    }

    /// The verdict given strictness: with `strict`, warnings are failures.
    pub fn verdict(&self, strict: bool) -> Outcome {
        if strict && self.outcome == Outcome::Warn {
            Outcome::Fail
        } else {
            self.outcome
        }
    }
}

/// Hex of the first `max` bytes.
pub fn hex(b: &[u8], max: usize) -> String {
    let mut s: String = b.iter().take(max).map(|x| format!("{x:02x}")).collect();
    if b.len() > max {
        s.push('…');
    }
    s
}
