//! What must differ between a captured answer and a replayed one, and how a
//! replay compares them: the rules of normalisation, listed in every replay
//! report so a reader knows exactly what was not compared.

use serde::{Deserialize, Serialize};

/// How one value is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// Syntax and value both compared.
    Exact,
    /// Only the syntax compared: the value depends on when or where it was asked.
    SyntaxOnly,
    /// A job id: the replayed value must be the id the target gave the job
    /// the captured id stands for.
    JobId,
    /// A URI: the scheme and path compared, the host and port not; the
    /// printer's own path and job ids in it mapped.
    Uri,
}

/// One rule of normalisation, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// A short name (`ipp-times`).
    pub name: String,
    /// What it applies to.
    pub applies_to: String,
    /// What is done.
    pub treatment: String,
}

fn rule(name: &str, applies_to: &str, treatment: &str) -> Rule {
    Rule {
        name: name.to_string(),
        applies_to: applies_to.to_string(),
        treatment: treatment.to_string(),
    }
}

/// IPP attributes whose value is a time.
const IPP_TIMES: &[&str] = &[
    "printer-up-time",
    "printer-current-time",
    "printer-config-change-time",
    "printer-config-change-date-time",
    "printer-state-change-time",
    "printer-state-change-date-time",
    "job-printer-up-time",
    "printer-uptime",
];

/// IPP attributes whose value is a count that moves as the printer works.
const IPP_COUNTERS: &[&str] = &[
    "queued-job-count",
    "printer-config-changes",
    "job-k-octets-processed",
    "job-impressions-completed",
    "job-media-sheets-completed",
    "job-pages-completed",
    "number-of-intervening-jobs",
    "printer-impressions-completed",
    "printer-media-sheets-completed",
    "printer-pages-completed",
];

/// IPP attributes that tell where a job is, which depends on when the
/// request reached the printer.
const IPP_JOB_PROGRESS: &[&str] = &[
    "job-state",
    "job-state-reasons",
    "job-state-message",
    "job-printer-state-message",
    "job-printer-state-reasons",
];

/// Free text a printer words as it likes.
const IPP_FREE_TEXT: &[&str] = &[
    "printer-state-message",
    "status-message",
    "detailed-status-message",
];

/// The printer's own web pages: where they are differs between printers and
/// between the ports a printer was reached on.
const IPP_WEB: &[&str] = &[
    "printer-icons",
    "printer-more-info",
    "printer-supply-info-uri",
];

/// Supply and tray levels, which drain as the printer prints.
const IPP_SUPPLY_LEVELS: &[&str] = &["marker-levels", "printer-input-tray", "printer-supply"];

/// How the IPP attribute `name` is compared.
pub fn ipp_treatment(name: &str) -> Treatment {
    if IPP_TIMES.contains(&name)
        || name.starts_with("time-at-")
        || name.starts_with("date-time-at-")
        || name.ends_with("-date-time") && name.starts_with("printer-")
    {
        return Treatment::SyntaxOnly;
    }
    if IPP_COUNTERS.contains(&name)
        || name.ends_with("-completed")
        || name.ends_with("-completed-col")
        || name.ends_with("-count") && name.starts_with("printer-")
    {
        return Treatment::SyntaxOnly;
    }
    if IPP_JOB_PROGRESS.contains(&name)
        || IPP_FREE_TEXT.contains(&name)
        || IPP_WEB.contains(&name)
        || IPP_SUPPLY_LEVELS.contains(&name)
    {
        return Treatment::SyntaxOnly;
    }
    match name {
        "job-uuid" => Treatment::SyntaxOnly,
        "job-id" | "notify-job-id" => Treatment::JobId,
        "job-uri" | "job-printer-uri" => Treatment::Uri,
        _ => Treatment::Exact,
    }
}

/// The rules IPP replay follows, for the report.
pub fn ipp_rules() -> Vec<Rule> {
    vec![
        rule(
            "ipp-request-id",
            "request-id",
            "not compared between the two answers: each must echo the request-id of the request it answers",
        ),
        rule(
            "ipp-job-ids",
            "job-id, notify-job-id, job-uuid, and job ids named in later requests",
            "the target's id for a job stands for the captured one: learned from the answer that created the job, substituted into later requests, mapped back when answers are compared; job-uuid: syntax compared, value not (unique to each job)",
        ),
        rule(
            "ipp-addresses",
            "every uri value; printer-uri in requests",
            "requests are rewritten to name the target; in answers the scheme and path are compared, not the host or port, with the printer's own path (captured vs target) and job ids mapped; a job-uri is compared by its scheme and the job id it ends with (printers lay job URIs out differently)",
        ),
        rule(
            "ipp-times",
            &format!("{}, time-at-*, date-time-at-*", IPP_TIMES.join(", ")),
            "syntax compared, value not (the clocks differ)",
        ),
        rule(
            "ipp-counters",
            &format!(
                "{}, printer-*-count, *-completed",
                IPP_COUNTERS.join(", ")
            ),
            "syntax compared, value not (counts move as the printer works)",
        ),
        rule(
            "ipp-job-progress",
            &IPP_JOB_PROGRESS.join(", "),
            "syntax compared, value not (where a job is depends on when the request arrived)",
        ),
        rule(
            "ipp-free-text",
            &IPP_FREE_TEXT.join(", "),
            "syntax compared, value not (free text each printer words its own way)",
        ),
        rule(
            "ipp-web-pages",
            &IPP_WEB.join(", "),
            "syntax compared, value not (the printer's own web pages live where each printer puts them)",
        ),
        rule(
            "ipp-supply-levels",
            &IPP_SUPPLY_LEVELS.join(", "),
            "syntax compared, value not (supplies and trays drain as the printer prints)",
        ),
        rule(
            "ipp-order",
            "attributes within a group; members of a collection",
            "compared as sets by name (RFC 8010 gives their order no meaning); the values of one attribute are compared in order",
        ),
        rule(
            "ipp-grading",
            "each exchange",
            "fail: another status code, an attribute the capture had is missing, or its syntax differs; warn: only values differ or the target answers more attributes; pass: nothing differs",
        ),
    ]
}

/// The rules SNMP replay follows, for the report.
pub fn snmp_rules() -> Vec<Rule> {
    vec![
        rule(
            "snmp-request-id",
            "request-id",
            "each answer must echo its request's; not compared between the two answers",
        ),
        rule(
            "snmp-uptime",
            "TimeTicks values (sysUpTime, hrSystemUptime, prtAlertTime…)",
            "syntax compared, value not",
        ),
        rule(
            "snmp-counters",
            "Counter32 and Counter64 values",
            "syntax compared, value not",
        ),
        rule(
            "snmp-addresses",
            "IpAddress values; port numbers inside text (`host:631`, `port 515`), as the Port Monitor MIB and prtChannelInformation write them",
            "IpAddress: syntax compared, value not; in text, the port numbers are replaced by <port>",
        ),
        rule(
            "snmp-grading",
            "each request",
            "fail: error-status, error-index, the OIDs answered or a syntax differ; warn: only values differ; pass: nothing differs",
        ),
    ]
}

/// The rules mDNS replay follows, for the report.
pub fn mdns_rules() -> Vec<Rule> {
    vec![
        rule(
            "mdns-which-queries",
            "captured queries",
            "a query is sent again (from the mDNS port, to the group) only when the capture holds an answer to it, and asked once more a second later if answers are missing (a responder multicasts a record at most once a second, RFC 6762 §6); probes and announcements are not queries and are skipped",
        ),
        rule(
            "mdns-answers",
            "answer-section records that answer one of the query's questions",
            "compared by owner name and type; a record the capture had and the target does not send fails",
        ),
        rule(
            "mdns-known-answers",
            "records named in the query's known-answer section",
            "not compared: the captured printer left them out (RFC 6762 §7.1), and whether the target does depends on whether its records are the same (its ports differ)",
        ),
        rule(
            "mdns-volatile",
            "TTLs, the cache-flush bit, A and AAAA addresses, SRV ports, port numbers inside TXT values; the order of TXT keys",
            "not compared (they follow the link, the ports the printer was started on, and the moment asked)",
        ),
    ]
}

/// The rules LPD and AppSocket replay follow, for the report.
pub fn raw_rules() -> Vec<Rule> {
    vec![
        rule(
            "lpd-acks",
            "LPD acknowledgements",
            "compared byte for byte (0 accepts, anything else refuses)",
        ),
        rule(
            "lpd-queue-listing",
            "LPD queue-state answers",
            "compared line by line with runs of digits (job numbers, sizes, times) replaced by #",
        ),
        rule(
            "appsocket-back-channel",
            "AppSocket back-channel",
            "PJL answers compared by their command and variable names; their values and other text not",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn treatments() {
        assert_eq!(ipp_treatment("printer-up-time"), Treatment::SyntaxOnly);
        assert_eq!(ipp_treatment("time-at-creation"), Treatment::SyntaxOnly);
        assert_eq!(ipp_treatment("queued-job-count"), Treatment::SyntaxOnly);
        assert_eq!(ipp_treatment("job-state"), Treatment::SyntaxOnly);
        assert_eq!(ipp_treatment("job-id"), Treatment::JobId);
        assert_eq!(ipp_treatment("job-uri"), Treatment::Uri);
        assert_eq!(ipp_treatment("printer-name"), Treatment::Exact);
        assert_eq!(ipp_treatment("media-supported"), Treatment::Exact);
        assert_eq!(ipp_treatment("printer-state"), Treatment::Exact);
    }

    #[test]
    fn every_rule_is_listed() {
        assert!(ipp_rules().iter().any(|r| r.name == "ipp-times"));
        assert!(!snmp_rules().is_empty() && !raw_rules().is_empty());
    }
}
