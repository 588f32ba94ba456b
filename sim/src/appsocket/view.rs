//! What the session asks the printer: its identity, status, counters and
//! PJL defaults.

use crate::pjl::vars::languages;
use crate::pjl::{status::paper_name, DeviceStatus, Value, VarError, VarKey, Variables};
use crate::profile::Profile;

/// The printer as the AppSocket session sees it. The tokio layer implements
/// it over the model (each call a short look under the model's lock);
/// tests and the fuzzer use [`FixedView`].
pub trait PrinterView {
    /// `INFO ID`: the model's name.
    fn id(&self) -> String;
    /// `INFO STATUS`: the status now.
    fn status(&self) -> DeviceStatus;
    /// `INFO PAGECOUNT`: pages the engine has printed in its life.
    fn page_count(&self) -> u64;
    /// `INFO CONFIG`: the response's body lines.
    fn config(&self) -> Vec<String>;
    /// The printer's variables and user defaults.
    fn variables(&self) -> Variables;
    /// `DEFAULT`: change a user default (kept by the printer, seen by every
    /// connection).
    fn set_default(&mut self, key: VarKey, value: &Value) -> Result<(), VarError>;
}

/// A printer view with fixed answers, for tests and fuzzing.
#[derive(Debug, Clone)]
pub struct FixedView {
    /// `INFO ID`.
    pub id: String,
    /// `INFO STATUS`.
    pub status: DeviceStatus,
    /// `INFO PAGECOUNT`.
    pub page_count: u64,
    /// `INFO CONFIG`.
    pub config: Vec<String>,
    /// Variables and user defaults.
    pub variables: Variables,
}

impl FixedView {
    /// A ready printer built from `profile`, with no pages printed.
    pub fn new(profile: &Profile) -> FixedView {
        FixedView {
            id: profile.make_and_model(),
            status: DeviceStatus::ready(),
            page_count: 0,
            config: config_lines(profile),
            variables: Variables::factory(profile),
        }
    }
}

impl PrinterView for FixedView {
    fn id(&self) -> String {
        self.id.clone()
    }
    fn status(&self) -> DeviceStatus {
        self.status.clone()
    }
    fn page_count(&self) -> u64 {
        self.page_count
    }
    fn config(&self) -> Vec<String> {
        self.config.clone()
    }
    fn variables(&self) -> Variables {
        self.variables.clone()
    }
    fn set_default(&mut self, key: VarKey, value: &Value) -> Result<(), VarError> {
        self.variables.set_default(key, value)
    }
}

/// The body of `INFO CONFIG` for a printer built from `profile`, in the PJL
/// ref's layout (ch. 7): trays, output bins, paper sizes, languages,
/// unsolicited status kinds, duplex, memory, display.
pub fn config_lines(profile: &Profile) -> Vec<String> {
    let mut v = Vec::new();
    v.push(format!("IN TRAYS [{} ENUMERATED]", profile.trays.len()));
    for (i, t) in profile.trays.iter().enumerate() {
        v.push(format!(
            "\tINTRAY{} {}",
            i + 1,
            t.source.to_ascii_uppercase()
        ));
    }
    v.push("OUTPUT BINS [1 ENUMERATED]".into());
    v.push("\tUPPER".into());
    let papers: Vec<&str> = profile
        .media
        .sizes
        .iter()
        .filter_map(|s| paper_name(s))
        .collect();
    v.push(format!("PAPERS [{} ENUMERATED]", papers.len()));
    v.extend(papers.iter().map(|p| format!("\t{p}")));
    let langs = languages(profile);
    v.push(format!("LANGUAGES [{} ENUMERATED]", langs.len()));
    v.extend(langs.iter().map(|l| format!("\t{l}")));
    v.push("USTATUS [4 ENUMERATED]".into());
    for k in ["DEVICE", "JOB", "PAGE", "TIMED"] {
        v.push(format!("\t{k}"));
    }
    v.push("DUPLEX".into());
    v.push(format!("MEMORY={}", super::session::MEMORY));
    v.push("DISPLAY LINES=1".into());
    v.push("DISPLAY CHARACTER SIZE=40".into());
    v
}
