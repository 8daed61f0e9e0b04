//! Spark distributions for sparkplane: installing official Apache Spark releases from their
//! PyPI `pyspark` source distributions into a per-user data directory, finding installed
//! distributions (managed ones and `$SPARK_HOME`), and finding a suitable Java.
//!
//! The `pyspark` sdist on PyPI carries a complete Spark: its `deps/` folder holds `bin/`,
//! `sbin/`, `jars/`, examples, data and licenses. An install rearranges it into a regular
//! `SPARK_HOME` (see [`layout`]) under [`Distributions::root`], one directory per version:
//!
//! ```text
//! <root>/4.3.0/{bin,sbin,jars,data,licenses,conf,examples/src/main/python,python/lib,RELEASE}
//! <root>/downloads/            archives being downloaded (removed once installed)
//! <root>/.4.3.0.lock           serialises installs of 4.3.0
//! <root>/.4.3.0.partial-*      an install in progress (or a crashed one, removed later)
//! ```
//!
//! The pure parts (index parsing, version choice, path mapping, version detection, Java
//! version parsing) are free functions with their own tests; HTTP and file system work is
//! kept thin around them.

use std::path::{Path, PathBuf};

use sparkplane_api::version::SparkVersion;

mod download;
mod error;
mod extract;
pub mod index;
mod install;
mod installed;
mod java;
pub mod layout;
mod progress;

pub use download::{fetch_releases, project_page_url, redact_url};
pub use error::DistroError;
pub use index::{IndexEntry, VersionSpec, DEFAULT_INDEX_URL};
pub use install::{default_index_url, InstallOutcome, InstallRequest};
pub use installed::{detect_version, pick, Installation, Origin, Resolved};
pub use java::{find_java, parse_java_version, JavaInfo};

/// sparkplane's per-user data directory: `$SPARKPLANE_HOME` when set, else the platform's
/// data directory + `sparkplane` (`~/.local/share/sparkplane` on Linux, honouring
/// `$XDG_DATA_HOME`).
pub fn data_dir() -> Result<PathBuf, DistroError> {
    if let Some(home) = env_path("SPARKPLANE_HOME") {
        return Ok(home);
    }
    directories::BaseDirs::new()
        .map(|d| d.data_dir().join("sparkplane"))
        .ok_or(DistroError::NoDataDir)
}

/// The managed Spark installs: a directory holding one `X.Y.Z/` `SPARK_HOME` per version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distributions {
    root: PathBuf,
}

impl Distributions {
    /// Installs under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Installs under `$SPARKPLANE_SPARK_DIR` when set, else under [`data_dir`]`/spark`.
    pub fn from_env() -> Result<Self, DistroError> {
        match env_path("SPARKPLANE_SPARK_DIR") {
            Some(dir) => Ok(Self::new(dir)),
            None => Ok(Self::new(data_dir()?.join("spark"))),
        }
    }

    /// The directory the installs live in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the managed install of `version` is (whether or not it is installed).
    pub fn managed_home(&self, version: &SparkVersion) -> PathBuf {
        self.root.join(layout::install_dir_name(version))
    }

    /// Where archives are downloaded to.
    pub fn downloads_dir(&self) -> PathBuf {
        self.root.join("downloads")
    }
}

/// A non-empty environment variable as a path.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Runs blocking work on a fresh thread, so that it never runs inside the caller's async
/// runtime (reqwest's blocking client refuses to) and a panic becomes an error.
pub(crate) fn off_runtime<T: Send>(
    what: &str,
    work: impl FnOnce() -> Result<T, DistroError> + Send,
) -> Result<T, DistroError> {
    std::thread::scope(|s| s.spawn(work).join()).unwrap_or_else(|_| {
        Err(DistroError::Panicked {
            what: what.to_string(),
        })
    })
}
