//! The users file: who may log in to a virtual printer, and with which
//! password.
//!
//! One user a line, `name:password`. The name ends at the first `:`, so a
//! password may itself contain colons. A line whose first non-blank character
//! is `#` is a comment; blank lines are skipped; a trailing `\r` is stripped,
//! so files written on Windows read the same. A UTF-8 byte-order mark at the
//! start of the file is ignored.
//!
//! ```text
//! # users.txt
//! alice:wonderland
//! bob:pass:with:colons
//! ```
//!
//! Names and passwords may not contain control characters: RFC 7617 §2 says
//! "The user-id and password MUST NOT contain any control characters", so a
//! user with one could never log in with Basic. Names may not contain `:`,
//! nor begin or end with white space (almost always a typo, `bob : secret`).
//!
//! Passwords are kept in clear text: this is a test printer, and Digest needs
//! `H(user:realm:password)`, which the file cannot precompute without knowing
//! the realm.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The users a virtual printer knows: name → password, in name order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Users {
    users: BTreeMap<String, String>,
}

/// Why a users file or map was refused. Each variant names where.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("cannot read users file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A line is not `name:password`, or its name or password is refused.
    #[error("{origin}:{line}: {message}")]
    Line {
        /// The file name (or whatever the text came from).
        origin: String,
        /// The line, counted from 1.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A user is defined twice.
    #[error("{origin}:{line}: user '{name}' is already defined on line {first_line}")]
    Duplicate {
        /// The file name (or whatever the text came from).
        origin: String,
        /// The second definition's line, counted from 1.
        line: usize,
        /// The user.
        name: String,
        /// The first definition's line, counted from 1.
        first_line: usize,
    },
    /// An entry of a map given to [`Users::from_map`] is refused.
    #[error("user '{name}': {message}")]
    Invalid {
        /// The user name as given.
        name: String,
        /// What is wrong with the entry.
        message: String,
    },
}

/// Why a name is refused, if it is.
fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("empty user name")
    } else if name.contains(':') {
        Some("user name contains ':'")
    } else if name.chars().any(char::is_control) {
        Some("user name contains a control character")
    } else if name.trim() != name {
        Some("user name begins or ends with white space")
    } else {
        None
    }
}

/// Why a password is refused, if it is.
fn password_problem(password: &str) -> Option<&'static str> {
    if password.is_empty() {
        Some("empty password")
    } else if password.chars().any(char::is_control) {
        Some("password contains a control character")
    } else {
        None
    }
}

impl Users {
    /// Users from a map of name → password. Refuses empty names, names with
    /// `:`, control characters or surrounding white space, and empty
    /// passwords or passwords with control characters.
    pub fn from_map(map: BTreeMap<String, String>) -> Result<Users, UsersError> {
        for (name, password) in &map {
            if let Some(message) = name_problem(name).or_else(|| password_problem(password)) {
                return Err(UsersError::Invalid {
                    name: name.clone(),
                    message: message.to_string(),
                });
            }
        }
        Ok(Users { users: map })
    }

    /// Parses the text of a users file; `origin` (usually the file name)
    /// prefixes error messages: `users.txt:3: no ':' between name and
    /// password`.
    pub fn parse(text: &str, origin: &str) -> Result<Users, UsersError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut users = BTreeMap::new();
        let mut first_lines: BTreeMap<String, usize> = BTreeMap::new();
        let line_error = |line: usize, message: String| UsersError::Line {
            origin: origin.to_string(),
            line,
            message,
        };
        for (index, raw) in text.split('\n').enumerate() {
            let line = index + 1;
            let content = raw.strip_suffix('\r').unwrap_or(raw);
            let trimmed = content.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Some((name, password)) = content.split_once(':') else {
                return Err(line_error(
                    line,
                    "no ':' between name and password".to_string(),
                ));
            };
            if let Some(problem) = name_problem(name) {
                return Err(line_error(line, problem.to_string()));
            }
            if let Some(problem) = password_problem(password) {
                return Err(line_error(line, format!("{problem} for user '{name}'")));
            }
            if let Some(&first_line) = first_lines.get(name) {
                return Err(UsersError::Duplicate {
                    origin: origin.to_string(),
                    line,
                    name: name.to_string(),
                    first_line,
                });
            }
            first_lines.insert(name.to_string(), line);
            users.insert(name.to_string(), password.to_string());
        }
        Ok(Users { users })
    }

    /// Reads and parses a users file; errors name the file.
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Users::parse(&text, &path.display().to_string())
    }

    /// The password of `name`, if the user exists.
    pub fn password(&self, name: &str) -> Option<&str> {
        self.users.get(name).map(String::as_str)
    }

    /// Whether `name` is a user.
    pub fn contains(&self, name: &str) -> bool {
        self.users.contains_key(name)
    }

    /// Whether there are no users at all.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// The user names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.users.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn good_file_with_comments_and_blank_lines() {
        let text = "# who may print\n\nalice:wonderland\n  # indented comment\nbob:builder\n\n";
        let users = Users::parse(text, "users.txt").unwrap();
        assert_eq!(users.len(), 2);
        assert!(!users.is_empty());
        assert_eq!(users.password("alice"), Some("wonderland"));
        assert_eq!(users.password("bob"), Some("builder"));
        assert_eq!(users.password("carol"), None);
        assert!(users.contains("alice"));
        assert!(!users.contains("Alice"));
        assert_eq!(users.names().collect::<Vec<_>>(), ["alice", "bob"]);
    }

    #[test]
    fn password_may_contain_colons_and_spaces() {
        let users = Users::parse("bob:pass:with:colons\ncarol: spaced pw ", "u").unwrap();
        assert_eq!(users.password("bob"), Some("pass:with:colons"));
        assert_eq!(users.password("carol"), Some(" spaced pw "));
    }

    #[test]
    fn crlf_file_reads_like_lf() {
        let crlf = "\u{feff}# c\r\nalice:wonderland\r\n\r\nbob:builder\r\n";
        let lf = "# c\nalice:wonderland\n\nbob:builder\n";
        let a = Users::parse(crlf, "crlf.txt").unwrap();
        assert_eq!(a, Users::parse(lf, "lf.txt").unwrap());
        assert_eq!(a.password("alice"), Some("wonderland"));
    }

    #[test]
    fn empty_file_has_no_users() {
        let users = Users::parse("", "empty").unwrap();
        assert!(users.is_empty());
        assert_eq!(users, Users::default());
    }

    fn line_error(text: &str) -> (usize, String, String) {
        match Users::parse(text, "users.txt") {
            Err(e @ UsersError::Line { .. }) => {
                let shown = e.to_string();
                let UsersError::Line { line, message, .. } = e else {
                    unreachable!()
                };
                (line, message, shown)
            }
            other => panic!("expected a line error, got {other:?}"),
        }
    }

    #[test]
    fn missing_colon_names_its_line() {
        let (line, _, shown) = line_error("# users\nalice:x\nbob\n");
        assert_eq!(line, 3);
        assert_eq!(shown, "users.txt:3: no ':' between name and password");
    }

    #[test]
    fn empty_name_names_its_line() {
        let (line, message, _) = line_error("alice:x\n:secret\n");
        assert_eq!((line, message.as_str()), (2, "empty user name"));
    }

    #[test]
    fn empty_password_names_its_line() {
        let (line, message, _) = line_error("alice:\n");
        assert_eq!(line, 1);
        assert_eq!(message, "empty password for user 'alice'");
    }

    #[test]
    fn control_characters_name_their_line() {
        let (line, message, _) = line_error("a:b\nal\u{1}ice:x\n");
        assert_eq!(
            (line, message.as_str()),
            (2, "user name contains a control character")
        );
        let (line, message, _) = line_error("a:b\n\nalice:x\ty\n");
        assert_eq!(line, 3);
        assert!(message.starts_with("password contains a control character"));
    }

    #[test]
    fn padded_name_names_its_line() {
        let (line, message, _) = line_error("bob :secret\n");
        assert_eq!(line, 1);
        assert_eq!(message, "user name begins or ends with white space");
    }

    #[test]
    fn duplicate_names_both_lines() {
        let e = Users::parse("alice:x\nbob:1\n\n# again\nbob:2\n", "users.txt").unwrap_err();
        assert!(matches!(
            &e,
            UsersError::Duplicate { line: 5, first_line: 2, name, .. } if name == "bob"
        ));
        assert_eq!(
            e.to_string(),
            "users.txt:5: user 'bob' is already defined on line 2"
        );
    }

    #[test]
    fn from_map_checks_entries() {
        let ok = BTreeMap::from([("alice".to_string(), "pw:x".to_string())]);
        assert_eq!(Users::from_map(ok).unwrap().password("alice"), Some("pw:x"));
        for (name, password, want) in [
            ("", "pw", "empty user name"),
            ("a:b", "pw", "user name contains ':'"),
            ("a\nb", "pw", "user name contains a control character"),
            ("alice", "", "empty password"),
        ] {
            let map = BTreeMap::from([(name.to_string(), password.to_string())]);
            match Users::from_map(map) {
                Err(UsersError::Invalid { name: n, message }) => {
                    assert_eq!(n, name);
                    assert_eq!(message, want);
                }
                other => panic!("{name:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn load_reads_a_file_and_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.txt");
        std::fs::write(&path, "alice:wonderland\nbroken\n").unwrap();
        let e = Users::load(&path).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}:2: no ':' between name and password", path.display())
        );
        std::fs::write(&path, "alice:wonderland\n").unwrap();
        assert_eq!(
            Users::load(&path).unwrap().password("alice"),
            Some("wonderland")
        );
        let missing = dir.path().join("nope.txt");
        let e = Users::load(&missing).unwrap_err();
        assert!(matches!(e, UsersError::Read { .. }), "{e:?}");
        assert!(e.to_string().contains("nope.txt"));
    }
}
