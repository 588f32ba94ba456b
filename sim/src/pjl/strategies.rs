//! proptest strategies for PJL commands and responses (test-only). Every
//! value they make emits to a line that parses back to it.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::command::{Assignment, Command, InfoCategory, Modifier, Opt, Query, UstatusKind, Value};
use super::response::Response;

/// An upper-case name (command, option, variable).
pub fn name() -> impl Strategy<Value = String> {
    "[A-Z][A-Z0-9_]{0,11}"
}

/// A name that is none of the commands the parser types.
pub fn other_command() -> impl Strategy<Value = String> {
    name().prop_filter("a typed command", |n| {
        !matches!(
            n.as_str(),
            "COMMENT"
                | "ECHO"
                | "ENTER"
                | "JOB"
                | "EOJ"
                | "SET"
                | "DEFAULT"
                | "INQUIRE"
                | "DINQUIRE"
                | "INFO"
                | "USTATUS"
                | "USTATUSOFF"
        )
    })
}

/// An unquoted value: letters, digits, signs, dots, and some Latin-1.
pub fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+.\\-/_#é]{1,12}"
}

/// A quoted string's contents: printable, tabs, no quotes.
pub fn string() -> impl Strategy<Value = String> {
    "[ -!#-~\t äöü€]{0,20}"
}

/// Free text for COMMENT and ECHO: no leading whitespace.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[!-~äé][ -~\t]{0,30}"]
}

/// Any value.
pub fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        word().prop_map(Value::Word),
        string().prop_map(Value::Quoted)
    ]
}

/// `LPARM : x` and the like.
pub fn modifier() -> impl Strategy<Value = Option<Modifier>> {
    proptest::option::of(
        (select(vec!["LPARM", "IPARM"]), word()).prop_map(|(n, v)| Modifier {
            name: n.to_string(),
            value: v,
        }),
    )
}

/// Options other than `NAME`.
pub fn options() -> impl Strategy<Value = Vec<Opt>> {
    vec(
        (
            name().prop_filter("NAME is typed", |n| n != "NAME"),
            proptest::option::of(value()),
        )
            .prop_map(|(name, value)| Opt { name, value }),
        0..4,
    )
}

/// Any command.
pub fn command() -> impl Strategy<Value = Command> {
    let info = prop_oneof![
        Just(InfoCategory::Id),
        Just(InfoCategory::Config),
        Just(InfoCategory::Filesys),
        Just(InfoCategory::Memory),
        Just(InfoCategory::Pagecount),
        Just(InfoCategory::Status),
        Just(InfoCategory::Variables),
        Just(InfoCategory::Ustatus),
        name()
            .prop_filter("a typed category", |n| matches!(
                InfoCategory::from_name(n),
                InfoCategory::Other(_)
            ))
            .prop_map(InfoCategory::Other),
    ];
    let kind = prop_oneof![
        Just(UstatusKind::Device),
        Just(UstatusKind::Job),
        Just(UstatusKind::Page),
        Just(UstatusKind::Timed),
        name()
            .prop_filter("a typed kind", |n| matches!(
                UstatusKind::from_name(n),
                UstatusKind::Other(_)
            ))
            .prop_map(UstatusKind::Other),
    ];
    prop_oneof![
        Just(Command::Prefix),
        text().prop_map(Command::Comment),
        text().prop_map(Command::Echo),
        word().prop_map(|language| Command::Enter { language }),
        (proptest::option::of(string()), options())
            .prop_map(|(name, options)| Command::Job { name, options }),
        (proptest::option::of(string()), options())
            .prop_map(|(name, options)| Command::Eoj { name, options }),
        (modifier(), name(), value()).prop_map(|(modifier, variable, value)| Command::Set(
            Assignment {
                modifier,
                variable,
                value
            }
        )),
        (modifier(), name(), value()).prop_map(|(modifier, variable, value)| {
            Command::Default(Assignment {
                modifier,
                variable,
                value,
            })
        }),
        (modifier(), name())
            .prop_map(|(modifier, variable)| Command::Inquire(Query { modifier, variable })),
        (modifier(), name())
            .prop_map(|(modifier, variable)| Command::Dinquire(Query { modifier, variable })),
        info.prop_map(Command::Info),
        (kind, value()).prop_map(|(kind, value)| Command::Ustatus { kind, value }),
        Just(Command::UstatusOff),
        (other_command(), modifier(), options()).prop_map(|(command, modifier, options)| {
            Command::Other {
                command,
                modifier,
                options,
            }
        }),
    ]
}

/// Any response: header and lines free of CR, LF and FF.
pub fn response() -> impl Strategy<Value = Response> {
    ("[ -~äé€\t]{0,30}", vec("[ -~äé€\t]{0,30}", 0..6))
        .prop_map(|(header, lines)| Response { header, lines })
}
