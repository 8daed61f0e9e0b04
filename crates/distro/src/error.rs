//! The one error type of this crate. Every variant carries the path, URL or version it is
//! about, and every message is a single line.

use std::fmt;
use std::path::PathBuf;

use sparkplane_api::version::{SparkVersion, VersionError};

/// Why an operation on Spark distributions or Java failed.
#[derive(Debug, thiserror::Error)]
pub enum DistroError {
    /// No home directory to put the per-user data directory under.
    #[error("cannot determine the data directory (no home directory found); set SPARKPLANE_HOME")]
    NoDataDir,

    /// A version or version line was refused.
    #[error(transparent)]
    Version(#[from] VersionError),

    /// A file system operation failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "create directory".
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// An HTTP request failed before a response arrived, or while reading its body.
    #[error("cannot fetch {url}: {message}")]
    Http {
        /// The URL (credentials removed).
        url: String,
        /// The error with its causes, on one line.
        message: String,
    },

    /// The server answered with an error status.
    #[error("cannot fetch {url}: HTTP {status}")]
    HttpStatus {
        /// The URL (credentials removed).
        url: String,
        /// The status code.
        status: u16,
    },

    /// The package index lists no release matching the request.
    #[error(
        "no pyspark release {wanted} on {index} (supported releases there: {})",
        VersionList(available)
    )]
    NoSuchRelease {
        /// What was asked for: `4.3.0`, `4.3.x` or `in a supported line`.
        wanted: String,
        /// The index page consulted (credentials removed).
        index: String,
        /// The supported final releases the index does list.
        available: Vec<SparkVersion>,
    },

    /// The index gives no sha256 for the file, so its integrity cannot be checked.
    #[error("the index gives no sha256 for {url}; refusing to install an unverified file")]
    MissingSha256 {
        /// The file's URL (credentials removed).
        url: String,
    },

    /// A file's digest is not the expected one; the file was removed (unless it was the
    /// caller's own `from_file`).
    #[error("sha256 mismatch for {}: expected {expected}, got {actual}", path.display())]
    ChecksumMismatch {
        /// The checked file.
        path: PathBuf,
        /// The digest the index (or caller) gave.
        expected: String,
        /// The digest of the file.
        actual: String,
    },

    /// A file given to install from is not named `pyspark-X.Y.Z.tar.gz` and no exact version
    /// was requested.
    #[error(
        "cannot tell the Spark version of {}: expected a file named pyspark-X.Y.Z.tar.gz",
        path.display()
    )]
    UnknownArchiveVersion {
        /// The file.
        path: PathBuf,
    },

    /// The archive holds another version than the one requested.
    #[error("{} holds Spark {found}, not the requested {wanted}", path.display())]
    VersionMismatch {
        /// The archive.
        path: PathBuf,
        /// The version it holds.
        found: SparkVersion,
        /// The version asked for.
        wanted: String,
    },

    /// The archive could not be read or is not a pyspark source distribution.
    #[error("{} is not a usable pyspark source distribution: {reason}", path.display())]
    BadArchive {
        /// The archive.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// `$SPARK_HOME` is set but is not a usable Spark distribution.
    #[error("SPARK_HOME={}: {reason}; fix or unset SPARK_HOME", path.display())]
    BadSparkHome {
        /// The value of SPARK_HOME.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// No installed distribution fits the wanted version.
    #[error(
        "Spark {wanted} is not installed (installed: {}); run: sparkplane spark install {wanted}",
        VersionList(installed)
    )]
    NotInstalled {
        /// The version asked for.
        wanted: SparkVersion,
        /// The versions that are installed, oldest first.
        installed: Vec<SparkVersion>,
    },

    /// Work in a helper thread panicked (a bug).
    #[error("internal error while {what}: a worker thread panicked")]
    Panicked {
        /// What the thread was doing.
        what: String,
    },

    /// `$JAVA_HOME` is set but has no `bin/java`.
    #[error(
        "JAVA_HOME={} has no bin/java ({} does not exist); point JAVA_HOME at a JDK or unset it",
        java_home.display(), java.display()
    )]
    BadJavaHome {
        /// The value of JAVA_HOME.
        java_home: PathBuf,
        /// The missing executable.
        java: PathBuf,
    },

    /// No `java` executable was found.
    #[error(
        "Java not found: Spark needs Java {need} or newer; install a JDK (e.g. `apt-get install openjdk-{}-jre-headless`) or set JAVA_HOME",
        suggested_jdk(*need)
    )]
    JavaNotFound {
        /// The minimum Java major version needed.
        need: u32,
    },

    /// The Java found is older than needed.
    #[error(
        "Java {found} at {} is too old: Spark needs Java {need} or newer; install a newer JDK (e.g. `apt-get install openjdk-{}-jre-headless`) or point JAVA_HOME at one",
        path.display(), suggested_jdk(*need)
    )]
    JavaTooOld {
        /// The executable.
        path: PathBuf,
        /// Its major version.
        found: u32,
        /// The minimum needed.
        need: u32,
    },

    /// `java -version` could not be run or its output not understood.
    #[error("cannot determine the version of {}: {reason}", path.display())]
    JavaVersion {
        /// The executable.
        path: PathBuf,
        /// What went wrong (one line).
        reason: String,
    },
}

impl DistroError {
    /// An [`DistroError::Io`] for `op` on `path`.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// The JDK package to suggest: 17 is the oldest that runs every supported Spark line.
fn suggested_jdk(need: u32) -> u32 {
    need.max(17)
}

/// Versions joined by ", ", or "none".
struct VersionList<'a>(&'a [SparkVersion]);

impl fmt::Display for VersionList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

/// Makes any error chain one line: the messages of the error and its sources joined by ": ",
/// skipping a source whose text the previous message already contains.
pub(crate) fn one_line(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
    }
    out.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        let v = SparkVersion::new;
        let cases: Vec<(DistroError, &str)> = vec![
            (
                DistroError::NotInstalled {
                    wanted: v(3, 5, 0),
                    installed: vec![v(4, 3, 0)],
                },
                "Spark 3.5.0 is not installed (installed: 4.3.0); run: sparkplane spark install 3.5.0",
            ),
            (
                DistroError::NotInstalled {
                    wanted: v(4, 3, 0),
                    installed: vec![],
                },
                "Spark 4.3.0 is not installed (installed: none); run: sparkplane spark install 4.3.0",
            ),
            (
                DistroError::JavaNotFound { need: 17 },
                "Java not found: Spark needs Java 17 or newer; install a JDK (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME",
            ),
            (
                DistroError::JavaTooOld {
                    path: "/usr/bin/java".into(),
                    found: 11,
                    need: 17,
                },
                "Java 11 at /usr/bin/java is too old: Spark needs Java 17 or newer; install a newer JDK (e.g. `apt-get install openjdk-17-jre-headless`) or point JAVA_HOME at one",
            ),
            (
                DistroError::NoSuchRelease {
                    wanted: "4.3.9".into(),
                    index: "https://pypi.org/simple/pyspark/".into(),
                    available: vec![v(4, 3, 0), v(3, 5, 9)],
                },
                "no pyspark release 4.3.9 on https://pypi.org/simple/pyspark/ (supported releases there: 4.3.0, 3.5.9)",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn one_line_joins_sources() {
        let inner = std::io::Error::other("line one\nline two");
        let outer = DistroError::io("read", "/x", inner);
        assert_eq!(one_line(&outer), "cannot read /x: line one line two");
    }
}
