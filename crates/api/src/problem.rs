//! A problem found in a manifest: where (file, document, field path) and what was expected.

use std::fmt;

/// How bad a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The manifest cannot be used.
    Error,
    /// The manifest is usable, but something in it has no effect or a changed effect.
    Warning,
}

/// One problem in one manifest, rendered on one line as `file[#doc]: path: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (or other source name) the manifest came from.
    pub source: String,
    /// Zero-based index of the YAML document inside the file; `None` when the file as a whole
    /// is at fault (empty file, malformed YAML before any document).
    pub document: Option<usize>,
    /// Field path in dotted form with `[i]` for list items, e.g. `spec.driver.memory`;
    /// empty when the problem is about the whole document.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
}

impl Problem {
    /// An error at `path` in document `document` of `source`.
    pub fn error(
        source: impl Into<String>,
        document: Option<usize>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            source: source.into(),
            document,
            path: path.into(),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    /// A warning at `path` in document `document` of `source`.
    pub fn warning(
        source: impl Into<String>,
        document: Option<usize>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(source, document, path, message)
        }
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        matches!(self.severity, Severity::Error)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {}", self.source)?;
        // Documents are numbered from 1 for people; only shown when the file has several or
        // the problem is not in the first one, so single-document files stay uncluttered.
        if let Some(doc) = self.document {
            if doc > 0 {
                write!(f, " (document {})", doc + 1)?;
            }
        }
        if self.path.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.path, self.message)
        }
    }
}
