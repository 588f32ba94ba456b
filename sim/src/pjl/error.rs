//! Why a PJL command line or response could not be read. Each variant names
//! one violation of the PJL ref's command format (ch. 2) and carries where
//! it was found; [`PjlError::status_code`] gives the PJL parser error code a
//! printer reports for it with `USTATUS DEVICE = VERBOSE` (appendix D,
//! 20xxx "PJL parser errors": the whole command is ignored).

/// A PJL syntax violation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PjlError {
    /// No line terminator (or, for a response, no form feed) yet: more bytes
    /// are needed.
    #[error("incomplete: no terminator in the {have} bytes so far")]
    Incomplete {
        /// Bytes available.
        have: usize,
    },
    /// The line is longer than the limit, terminator not found.
    #[error("PJL line of at least {len} bytes exceeds the limit of {max}")]
    LineTooLong {
        /// Bytes seen without a terminator.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The line does not start with `@PJL` (upper case).
    #[error("the line does not start with @PJL")]
    MissingPrefix,
    /// `@PJL` is followed by something other than whitespace or the line end.
    #[error("@PJL is not followed by whitespace (byte {byte:#04x} at offset 4)")]
    MissingSpaceAfterPrefix {
        /// The byte found.
        byte: u8,
    },
    /// A control character (other than a tab) inside the line.
    #[error("invalid byte {byte:#04x} at offset {offset}")]
    InvalidCharacter {
        /// Offset in the line.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A quoted string has no closing quote.
    #[error("the string opened at offset {offset} has no closing quote")]
    UnterminatedString {
        /// Offset of the opening quote.
        offset: usize,
    },
    /// A closing quote is followed by something other than whitespace or the
    /// line end (`20007`).
    #[error("no whitespace after the closing quote at offset {offset}")]
    NoSpaceAfterString {
        /// Offset of the byte after the quote.
        offset: usize,
    },
    /// An option has `=` but no value (`20015`).
    #[error("option {option} has '=' but no value (offset {offset})")]
    MissingValue {
        /// The option name.
        option: String,
        /// Offset of the `=`.
        offset: usize,
    },
    /// A command modifier has `:` but no value (`20014`).
    #[error("command modifier {modifier} has ':' but no value (offset {offset})")]
    MissingModifierValue {
        /// The modifier name.
        modifier: String,
        /// Offset of the `:`.
        offset: usize,
    },
    /// A name (command, modifier, option) was expected, another symbol found.
    #[error("expected a name at offset {offset}, found byte {byte:#04x}")]
    ExpectedName {
        /// Offset of the byte.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A command modifier after an option (`20017`) or a second modifier
    /// (`20016`).
    #[error("command modifier {modifier} at offset {offset} is misplaced")]
    MisplacedModifier {
        /// The modifier name.
        modifier: String,
        /// Its offset.
        offset: usize,
    },
    /// A command lacks an option it requires (`20023`), e.g. `ENTER` without
    /// `LANGUAGE`, `SET` without a variable.
    #[error("{command} needs {what}")]
    MissingOption {
        /// The command.
        command: &'static str,
        /// What is missing.
        what: &'static str,
    },
}

impl PjlError {
    /// The PJL parser error code a printer reports for this (PJL ref
    /// appendix D); `None` for [`PjlError::Incomplete`], which is not an
    /// error yet.
    pub fn status_code(&self) -> Option<u32> {
        Some(match self {
            PjlError::Incomplete { .. } => return None,
            PjlError::LineTooLong { .. } => 20005,
            PjlError::MissingPrefix => 25002,
            PjlError::MissingSpaceAfterPrefix { .. } => 20001,
            PjlError::InvalidCharacter { .. } => 20010,
            PjlError::UnterminatedString { .. } => 20011,
            PjlError::NoSpaceAfterString { .. } => 20007,
            PjlError::MissingValue { .. } => 20015,
            PjlError::MissingModifierValue { .. } => 20014,
            PjlError::ExpectedName { .. } => 20018,
            PjlError::MisplacedModifier { .. } => 20017,
            PjlError::MissingOption { .. } => 20023,
        })
    }
}
