//! The report: one versioned JSON document that every other format is drawn from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::grade::{CaseResult, Outcome};
use crate::spec::Level;

/// The schema version of [`Report`]; bumped on any incompatible change.
pub const SCHEMA: &str = "paperjam-report/1";

/// Counts of outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Passed.
    pub pass: u32,
    /// SHOULD missed.
    pub warn: u32,
    /// Failed.
    pub fail: u32,
    /// Skipped.
    pub skip: u32,
    /// No verdict.
    pub error: u32,
}

impl Tally {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Warn => self.warn += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Skip => self.skip += 1,
            Outcome::Error => self.error += 1,
        }
    }

    /// All cases counted.
    pub fn total(&self) -> u32 {
        self.pass + self.warn + self.fail + self.skip + self.error
    }

    /// `(pass + skip) / total`, 1.0 when there is nothing.
    pub fn score(&self) -> f64 {
        match self.total() {
            0 => 1.0,
            t => f64::from(self.pass + self.skip) / f64::from(t),
        }
    }
}

/// Scores for the report's head.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Everything.
    pub all: Tally,
    /// By level (`MUST`, `SHOULD`, `MAY`).
    pub by_level: BTreeMap<String, Tally>,
    /// By spec section: the clause without its last component (`RFC 8011 §4.1`).
    pub by_section: BTreeMap<String, Tally>,
}

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: String,
    /// The target URI.
    pub target: String,
    /// What the target says it is (`printer-make-and-model`), if known.
    pub target_description: String,
    /// Whether warnings count as failures.
    pub strict: bool,
    /// Scores.
    pub summary: Summary,
    /// Every case, in id order.
    pub cases: Vec<CaseResult>,
}

/// The section a clause belongs to: `RFC 8011 §4.1.1` → `RFC 8011 §4.1`.
pub fn section_of(clause: &str) -> String {
    match clause.rsplit_once('§') {
        Some((spec, num)) => {
            let parts: Vec<&str> = num.split('.').collect();
            let keep = if parts.len() > 2 {
                &parts[..2]
            } else {
                &parts[..]
            };
            format!("{spec}§{}", keep.join("."))
        }
        None => clause.to_string(),
    }
}

impl Report {
    /// A report from results.
    pub fn new(
        target: &str,
        description: &str,
        strict: bool,
        mut cases: Vec<CaseResult>,
    ) -> Report {
        cases.sort_by(|a, b| a.id.cmp(&b.id));
        let mut summary = Summary::default();
        for c in &cases {
            let o = c.verdict(strict);
            summary.all.add(o);
            summary
                .by_level
                .entry(c.level.as_str().to_string())
                .or_default()
                .add(o);
            summary
                .by_section
                .entry(section_of(&c.clause))
                .or_default()
                .add(o);
        }
        Report {
            schema: SCHEMA.to_string(),
            target: target.to_string(),
            target_description: description.to_string(),
            strict,
            summary,
            cases,
        }
    }

    /// Whether every MUST held (warnings count under `strict`).
    pub fn musts_pass(&self) -> bool {
        self.cases
            .iter()
            .filter(|c| c.level == Level::Must || self.strict)
            .all(|c| !matches!(c.verdict(self.strict), Outcome::Fail))
    }

    /// The JSON document.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections() {
        assert_eq!(section_of("RFC 8011 §4.1.1"), "RFC 8011 §4.1");
        assert_eq!(section_of("RFC 8011 §4.2"), "RFC 8011 §4.2");
        assert_eq!(section_of("PWG 5100.14 §5.1"), "PWG 5100.14 §5.1");
        assert_eq!(section_of("whatever"), "whatever");
    }
}
