//! Configuration errors: where a problem is (file, line, dotted key) and
//! what it is, one line each.

use std::path::PathBuf;

/// A configuration that could not be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, when there is one.
    pub file: Option<PathBuf>,
    /// 1-based line of the offending key, when known.
    pub line: Option<usize>,
    /// Dotted key, e.g. `limits.nicklen`, when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.file {
            Some(p) => write!(f, "{}", p.display())?,
            None => write!(f, "configuration")?,
        }
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(k) = &self.key {
            write!(f, ": key `{k}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found in one configuration, in the order of the file
/// (problems without a line last); never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// One error that stands for all of them, for a message that must be one
    /// line (REHASH's NOTICE): the first, with a count of the others.
    pub fn summary(&self) -> ConfigError {
        let mut first = self.0.first().cloned().unwrap_or_else(|| ConfigError {
            file: None,
            line: None,
            key: None,
            message: "unusable".into(),
        });
        match self.0.len() {
            0 | 1 => {}
            2 => first.message += " (and 1 more problem)",
            n => first.message += &format!(" (and {} more problems)", n - 1),
        }
        first
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

impl std::fmt::Display for ConfigErrors {
    /// One line per problem.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// One problem [`super::Config::validate`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The dotted key, e.g. `limits.nicklen`.
    pub key: &'static str,
    /// For a key of an `[[oper]]` block: which block, counting from 0.
    pub block: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    pub(super) fn new(key: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            key,
            block: None,
            message: message.into(),
        }
    }
}
