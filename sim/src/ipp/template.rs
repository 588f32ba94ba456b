//! Job template attributes in a request, checked against the printer's
//! `xxx-supported` values (RFC 8011 §5.2, §4.1.7; PWG 5100.7 for `media-col`).

use crate::model::NewJob;
use crate::profile::MediaSize;
use crate::wire::ipp::{Attribute, Group, Value};

use super::attributes::{is_template_attribute, StaticAttributes};
use super::request::unsupported_name;

/// Job template attributes sorted into what the printer will honour and what it won't.
#[derive(Debug, Default, Clone)]
pub struct TemplateCheck {
    /// Supported attributes, kept on the job.
    pub accepted: Vec<Attribute>,
    /// Unsupported attributes or values, for the unsupported-attributes group.
    pub unsupported: Vec<Attribute>,
}

fn supported<'a>(s: &'a StaticAttributes, name: &str) -> Option<&'a Attribute> {
    s.attributes.iter().find(|a| a.name == name)
}

fn contains(list: &Attribute, v: &Value) -> bool {
    list.values.iter().any(|s| match (s, v) {
        (Value::Keyword(a), Value::Keyword(b)) => a == b,
        (Value::Keyword(a), Value::Name(b)) | (Value::Name(a), Value::Keyword(b)) => a == b,
        (Value::Name(a), Value::Name(b)) => a == b,
        (Value::Enum(a), Value::Enum(b)) => a == b,
        (Value::Integer(a), Value::Integer(b)) => a == b,
        (Value::RangeOfInteger { lower, upper }, Value::Integer(b)) => lower <= b && b <= upper,
        (
            Value::Resolution { x, y, units },
            Value::Resolution {
                x: bx,
                y: by,
                units: bu,
            },
        ) => x == bx && y == by && units == bu,
        (a, b) => a == b,
    })
}

/// Check one value of a template attribute; `None` means supported.
fn check_value(s: &StaticAttributes, name: &str, v: &Value) -> bool {
    match name {
        "copies" => match (
            v,
            supported(s, "copies-supported").and_then(|a| a.values.first()),
        ) {
            (Value::Integer(n), Some(Value::RangeOfInteger { lower, upper })) => {
                lower <= n && n <= upper
            }
            _ => false,
        },
        "job-priority" => matches!(v, Value::Integer(n) if (1..=100).contains(n)),
        "page-ranges" => {
            matches!(
                supported(s, "page-ranges-supported").and_then(|a| a.values.first()),
                Some(Value::Boolean(true))
            ) && matches!(v, Value::RangeOfInteger { lower, upper } if *lower >= 1 && lower <= upper)
        }
        "media-col" => match v {
            Value::Collection(c) => check_media_col(s, c),
            _ => false,
        },
        "overrides" => {
            matches!(v, Value::Collection(_)) && supported(s, "overrides-supported").is_some()
        }
        "finishings-col" => {
            matches!(v, Value::Collection(_)) && supported(s, "finishings-col-supported").is_some()
        }
        "media" => {
            // Any size the printer lists, by name.
            matches!(v, Value::Keyword(_) | Value::Name(_))
                && supported(s, "media-supported").is_some_and(|l| contains(l, v))
        }
        "job-hold-until" => {
            matches!(v, Value::Keyword(_) | Value::Name(_))
                && supported(s, "job-hold-until-supported").is_some_and(|l| contains(l, v))
        }
        "job-sheets" => {
            matches!(v, Value::Keyword(_) | Value::Name(_))
                && supported(s, "job-sheets-supported").is_some_and(|l| contains(l, v))
        }
        other => {
            let sup = format!("{other}-supported");
            supported(s, &sup).is_some_and(|l| same_syntax(l, v) && contains(l, v))
        }
    }
}

fn same_syntax(list: &Attribute, v: &Value) -> bool {
    list.values.first().is_some_and(|s| match (s, v) {
        (Value::RangeOfInteger { .. }, Value::Integer(_))
        | (Value::Integer(_), Value::Integer(_)) => true,
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
    })
}

fn check_media_col(s: &StaticAttributes, c: &crate::wire::ipp::Collection) -> bool {
    for m in &c.members {
        let Some(v) = m.values.first() else {
            return false;
        };
        let ok = match m.name.as_str() {
            "media-size" => match v {
                Value::Collection(sz) => {
                    let x = sz
                        .get("x-dimension")
                        .and_then(|a| a.values.first())
                        .and_then(Value::as_i32);
                    let y = sz
                        .get("y-dimension")
                        .and_then(|a| a.values.first())
                        .and_then(Value::as_i32);
                    match (x, y) {
                        (Some(x), Some(y)) => supported(s, "media-size-supported").is_some_and(|l| {
                            l.values.iter().any(|e| match e {
                                Value::Collection(e) => {
                                    let ex = e.get("x-dimension").and_then(|a| a.values.first()).and_then(Value::as_i32);
                                    let ey = e.get("y-dimension").and_then(|a| a.values.first()).and_then(Value::as_i32);
                                    matches!((ex, ey), (Some(ex), Some(ey)) if MediaSize { x: ex, y: ey }.matches(MediaSize { x, y }))
                                }
                                _ => false,
                            })
                        }),
                        _ => false,
                    }
                }
                _ => false,
            },
            "media-source" | "media-type" => {
                supported(s, &format!("{}-supported", m.name)).is_some_and(|l| contains(l, v))
            }
            "media-bottom-margin"
            | "media-left-margin"
            | "media-right-margin"
            | "media-top-margin" => {
                supported(s, &format!("{}-supported", m.name)).is_some_and(|l| contains(l, v))
            }
            "media-size-name" | "media-key" => true,
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Check the job attributes group of a request.
pub fn check_job_group(s: &StaticAttributes, g: &Group) -> TemplateCheck {
    let mut out = TemplateCheck::default();
    for a in &g.attributes {
        if !is_template_attribute(&a.name) {
            out.unsupported.push(unsupported_name(&a.name));
            continue;
        }
        let bad: Vec<Value> = a
            .values
            .iter()
            .filter(|v| !check_value(s, &a.name, v))
            .cloned()
            .collect();
        let single_valued = !matches!(
            a.name.as_str(),
            "finishings" | "page-ranges" | "finishings-col" | "overrides"
        );
        if single_valued && a.values.len() > 1 {
            out.unsupported.push(a.clone());
        } else if bad.is_empty() && !a.values.is_empty() {
            out.accepted.push(a.clone());
        } else {
            out.unsupported
                .push(Attribute::with_values(a.name.clone(), bad));
        }
    }
    out
}

/// Fill the simulation's view of a job from its accepted template attributes.
pub fn apply_to_job(spec: &mut NewJob, accepted: &[Attribute], color_printer: bool) {
    spec.copies = 1;
    spec.priority = 50;
    spec.color = color_printer;
    for a in accepted {
        let v = a.values.first();
        match (a.name.as_str(), v) {
            ("copies", Some(Value::Integer(n))) => {
                spec.copies = u32::try_from(*n).unwrap_or(1).max(1)
            }
            ("sides", Some(Value::Keyword(k))) => spec.duplex = k != "one-sided",
            ("print-color-mode", Some(Value::Keyword(k))) => {
                spec.color = color_printer
                    && !matches!(
                        k.as_str(),
                        "monochrome" | "auto-monochrome" | "process-monochrome"
                    )
            }
            ("media", Some(Value::Keyword(m) | Value::Name(m))) => spec.media = Some(m.clone()),
            ("job-priority", Some(Value::Integer(p))) => spec.priority = *p,
            ("job-hold-until", Some(Value::Keyword(k) | Value::Name(k))) if k != "no-hold" => {
                spec.hold_until = Some(k.clone())
            }
            _ => {}
        }
    }
    spec.attributes = accepted.to_vec();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipp::values::{integer, keyword};
    use crate::profile::Profile;
    use crate::wire::ipp::DelimiterTag;

    fn statics() -> StaticAttributes {
        StaticAttributes::build(&Profile::default_profile().unwrap())
    }

    fn group(attrs: Vec<Attribute>) -> Group {
        Group {
            tag: DelimiterTag::JobAttributes,
            attributes: attrs,
        }
    }

    #[test]
    fn sorts_supported_from_unsupported() {
        let s = statics();
        let g = group(vec![
            integer("copies", 2),
            keyword("sides", "two-sided-long-edge"),
            keyword("print-color-mode", "bi-level"),
            integer("copies-xyz", 1),
            integer("copies2", 1),
        ]);
        let c = check_job_group(&s, &g);
        let acc: Vec<&str> = c.accepted.iter().map(|a| a.name.as_str()).collect();
        let uns: Vec<&str> = c.unsupported.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(acc, ["copies", "sides"]);
        assert_eq!(uns, ["print-color-mode", "copies-xyz", "copies2"]);
    }

    #[test]
    fn copies_out_of_range_is_unsupported() {
        let s = statics();
        let c = check_job_group(&s, &group(vec![integer("copies", 5000)]));
        assert_eq!(c.unsupported.len(), 1);
    }
}
