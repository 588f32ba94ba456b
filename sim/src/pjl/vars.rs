//! PJL environment variables (PJL ref ch. 6, "Environment commands").
//!
//! Three levels, as the PJL ref describes them: the *factory defaults* (here,
//! derived from the profile: the default paper size, colour, the languages),
//! the *user defaults* that `DEFAULT` changes and that persist in the printer
//! (shown by `DINQUIRE` and `INFO VARIABLES`), and the *current environment*
//! that `SET` changes for the job at hand, which the AppSocket session keeps
//! per connection and resets at each job's end. [`Variables`] holds the
//! first two; it belongs to the printer, not to a connection.
//!
//! Variables with a command modifier (`LPARM : PCL PITCH`) belong to one
//! language; the printer keeps whatever is set for them without checking, as
//! it has no language interpreters to ask.

use std::collections::BTreeMap;

use super::command::{Modifier, Value};
use super::status::{paper_name, StatusCode};
use crate::profile::Profile;

/// A variable's name, with the language it belongs to, upper case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VarKey {
    /// `LPARM : <personality>`, if any.
    pub personality: Option<String>,
    /// The variable's name.
    pub name: String,
}

impl VarKey {
    /// A variable of no particular language.
    pub fn plain(name: &str) -> VarKey {
        VarKey {
            personality: None,
            name: name.to_ascii_uppercase(),
        }
    }

    /// The key a command names: its `LPARM` modifier and variable.
    pub fn from_command(modifier: Option<&Modifier>, variable: &str) -> VarKey {
        VarKey {
            personality: modifier
                .filter(|m| m.name == "LPARM")
                .map(|m| m.value.to_ascii_uppercase()),
            name: variable.to_ascii_uppercase(),
        }
    }
}

/// The values a variable takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choices {
    /// One of these words (compared without regard to case).
    Enumerated(Vec<String>),
    /// An integer in this range.
    Range {
        /// Smallest.
        min: i64,
        /// Largest.
        max: i64,
    },
    /// Any string.
    Text,
}

/// One variable the printer knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarSpec {
    /// Its name.
    pub name: &'static str,
    /// Its factory default.
    pub factory: String,
    /// What it may be set to.
    pub choices: Choices,
}

/// Why a `SET` or `DEFAULT` was ignored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VarError {
    /// The printer has no such variable (`25006`).
    #[error("the printer has no variable {name}")]
    UnknownVariable {
        /// The name.
        name: String,
    },
    /// Not a number, for a numeric variable (`25008`).
    #[error("{name} takes a number, not {value:?}")]
    NotNumeric {
        /// The variable.
        name: String,
        /// The value given.
        value: String,
    },
    /// A number outside the variable's range (`25014`).
    #[error("{name} = {value} is outside {min}–{max}")]
    OutOfRange {
        /// The variable.
        name: String,
        /// The value given.
        value: i64,
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A word the variable does not take (`25016`).
    #[error("{name} does not take {value:?}")]
    NotInEnumeration {
        /// The variable.
        name: String,
        /// The value given.
        value: String,
    },
}

impl VarError {
    /// The PJL parser warning code for it (appendix D, 25xxx).
    pub fn status_code(&self) -> StatusCode {
        match self {
            VarError::UnknownVariable { .. } => StatusCode::UNSUPPORTED_OPTION,
            VarError::NotNumeric { .. } => StatusCode(25008),
            VarError::OutOfRange { .. } => StatusCode(25014),
            VarError::NotInEnumeration { .. } => StatusCode::UNSUPPORTED_VALUE,
        }
    }
}

/// The PJL language names of the profile's document formats.
pub fn languages(profile: &Profile) -> Vec<&'static str> {
    profile
        .formats
        .supported
        .iter()
        .filter_map(|f| match f.as_str() {
            "application/pdf" => Some("PDF"),
            "application/postscript" => Some("POSTSCRIPT"),
            "application/vnd.hp-pcl" => Some("PCL"),
            "image/pwg-raster" => Some("PWGRASTER"),
            "image/urf" => Some("URF"),
            "image/jpeg" => Some("JPEG"),
            _ => None,
        })
        .collect()
}

/// The printer's variables: what it knows, and the user defaults `DEFAULT`
/// set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variables {
    specs: Vec<VarSpec>,
    defaults: BTreeMap<VarKey, String>,
}

impl Variables {
    /// The factory defaults of a printer built from `profile`.
    pub fn factory(profile: &Profile) -> Variables {
        let enumerated =
            |v: &[&str]| Choices::Enumerated(v.iter().map(|s| s.to_string()).collect());
        let mut papers: Vec<String> = profile
            .media
            .sizes
            .iter()
            .filter_map(|s| paper_name(s).map(str::to_string))
            .collect();
        papers.dedup();
        let paper = paper_name(&profile.media.default)
            .map(str::to_string)
            .or_else(|| papers.first().cloned())
            .unwrap_or_else(|| "A4".to_string());
        if !papers.contains(&paper) {
            papers.insert(0, paper.clone());
        }
        let mut personalities = vec!["AUTO".to_string()];
        personalities.extend(languages(profile).iter().map(|s| s.to_string()));
        let render: &[&str] = if profile.is_color() {
            &["COLOR", "GRAYSCALE"]
        } else {
            &["GRAYSCALE"]
        };
        let specs = vec![
            VarSpec {
                name: "COPIES",
                factory: "1".into(),
                choices: Choices::Range { min: 1, max: 999 },
            },
            VarSpec {
                name: "QTY",
                factory: "1".into(),
                choices: Choices::Range { min: 1, max: 999 },
            },
            VarSpec {
                name: "DUPLEX",
                factory: "OFF".into(),
                choices: enumerated(&["OFF", "ON"]),
            },
            VarSpec {
                name: "BINDING",
                factory: "LONGEDGE".into(),
                choices: enumerated(&["LONGEDGE", "SHORTEDGE"]),
            },
            VarSpec {
                name: "PAPER",
                factory: paper,
                choices: Choices::Enumerated(papers),
            },
            VarSpec {
                name: "ORIENTATION",
                factory: "PORTRAIT".into(),
                choices: enumerated(&["PORTRAIT", "LANDSCAPE"]),
            },
            VarSpec {
                name: "RESOLUTION",
                factory: "600".into(),
                choices: enumerated(&["300", "600", "1200"]),
            },
            VarSpec {
                name: "RENDERMODE",
                factory: render[0].to_string(),
                choices: enumerated(render),
            },
            VarSpec {
                name: "ECONOMODE",
                factory: "OFF".into(),
                choices: enumerated(&["OFF", "ON"]),
            },
            VarSpec {
                name: "PERSONALITY",
                factory: "AUTO".into(),
                choices: Choices::Enumerated(personalities),
            },
            VarSpec {
                name: "TIMEOUT",
                factory: "15".into(),
                choices: Choices::Range { min: 5, max: 300 },
            },
            VarSpec {
                name: "JOBNAME",
                factory: String::new(),
                choices: Choices::Text,
            },
            VarSpec {
                name: "USERNAME",
                factory: String::new(),
                choices: Choices::Text,
            },
        ];
        Variables {
            specs,
            defaults: BTreeMap::new(),
        }
    }

    /// The variables the printer knows.
    pub fn specs(&self) -> &[VarSpec] {
        &self.specs
    }

    fn spec(&self, name: &str) -> Option<&VarSpec> {
        self.specs.iter().find(|s| s.name == name)
    }

    /// Check `value` for `key`: the value to store (enumerated words in the
    /// printer's own spelling), or why it is refused.
    pub fn check(&self, key: &VarKey, value: &Value) -> Result<String, VarError> {
        let text = value.text();
        if key.personality.is_some() {
            return Ok(text.to_string());
        }
        let Some(spec) = self.spec(&key.name) else {
            return Err(VarError::UnknownVariable {
                name: key.name.clone(),
            });
        };
        match &spec.choices {
            Choices::Text => Ok(text.to_string()),
            Choices::Range { min, max } => {
                let n: i64 = text.trim().parse().map_err(|_| VarError::NotNumeric {
                    name: key.name.clone(),
                    value: text.to_string(),
                })?;
                if n < *min || n > *max {
                    return Err(VarError::OutOfRange {
                        name: key.name.clone(),
                        value: n,
                        min: *min,
                        max: *max,
                    });
                }
                Ok(n.to_string())
            }
            Choices::Enumerated(words) => words
                .iter()
                .find(|w| w.eq_ignore_ascii_case(text))
                .cloned()
                .ok_or_else(|| VarError::NotInEnumeration {
                    name: key.name.clone(),
                    value: text.to_string(),
                }),
        }
    }

    /// The user default of `key` (`DINQUIRE`): set by `DEFAULT`, else the
    /// factory default; `None` for a variable the printer does not have.
    pub fn default_value(&self, key: &VarKey) -> Option<String> {
        if let Some(v) = self.defaults.get(key) {
            return Some(v.clone());
        }
        if key.personality.is_some() {
            return None;
        }
        self.spec(&key.name).map(|s| s.factory.clone())
    }

    /// `DEFAULT`: change the user default, if the value is acceptable.
    pub fn set_default(&mut self, key: VarKey, value: &Value) -> Result<(), VarError> {
        let v = self.check(&key, value)?;
        self.defaults.insert(key, v);
        Ok(())
    }

    /// The body of `INFO VARIABLES`: each variable with its current value
    /// (the current environment `current` overrides the user defaults) and
    /// its range, in the PJL ref's layout (`COPIES=1 [2 RANGE]`, then the
    /// choices, each on its own line after a tab).
    pub fn info_lines(&self, current: &BTreeMap<VarKey, String>) -> Vec<String> {
        let mut lines = Vec::new();
        for s in &self.specs {
            let key = VarKey::plain(s.name);
            let value = current
                .get(&key)
                .cloned()
                .or_else(|| self.default_value(&key))
                .unwrap_or_default();
            match &s.choices {
                Choices::Text => lines.push(format!("{}=\"{}\" [1 STRING]", s.name, value)),
                Choices::Range { min, max } => {
                    lines.push(format!("{}={} [2 RANGE]", s.name, value));
                    lines.push(format!("\t{min}"));
                    lines.push(format!("\t{max}"));
                }
                Choices::Enumerated(words) => {
                    lines.push(format!("{}={} [{} ENUMERATED]", s.name, value, words.len()));
                    lines.extend(words.iter().map(|w| format!("\t{w}")));
                }
            }
        }
        let mut lparm: BTreeMap<&VarKey, &String> = self
            .defaults
            .iter()
            .filter(|(k, _)| k.personality.is_some())
            .collect();
        for (k, v) in current.iter().filter(|(k, _)| k.personality.is_some()) {
            lparm.insert(k, v);
        }
        for (k, v) in lparm {
            let lang = k.personality.as_deref().unwrap_or_default();
            lines.push(format!("LPARM:{lang} {}={v} [1 STRING]", k.name));
        }
        lines
    }
}
