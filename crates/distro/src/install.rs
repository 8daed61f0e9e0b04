//! Installing a release: from the package index or a local sdist file, atomically and safe
//! against concurrent installs of the same version.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sparkplane_api::version::{SparkVersion, VersionError};

use crate::download::{self, absolute_url, redact_url};
use crate::error::DistroError;
use crate::extract::{check_tree, extract_sdist};
use crate::index::{
    available_versions, choose_release, sdist_file_name, sdist_version, VersionSpec,
    DEFAULT_INDEX_URL,
};
use crate::installed::{Installation, Origin};
use crate::layout::{lock_file_name, partial_dir_prefix, release_text, RELEASE_FILE};
use crate::{off_runtime, Distributions};

/// What to install and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallRequest {
    /// The release: exact or a line; `None` = the newest supported release on the index
    /// (with `from_file`: whatever the file holds).
    pub version: Option<VersionSpec>,
    /// The simple index to download from (see [`default_index_url`]).
    pub index_url: String,
    /// Install from this already downloaded `pyspark-X.Y.Z.tar.gz` instead of the index.
    pub from_file: Option<PathBuf>,
    /// With `from_file`: the sha256 (hex) the file must have. Downloads are always checked
    /// against the digest the index gives.
    pub expected_sha256: Option<String>,
    /// Report progress on stderr: bars on a terminal, a few lines otherwise.
    pub progress: bool,
}

impl InstallRequest {
    /// A request for `version` from the [`default_index_url`], without progress output.
    pub fn new(version: Option<VersionSpec>) -> Self {
        Self {
            version,
            index_url: default_index_url(),
            from_file: None,
            expected_sha256: None,
            progress: false,
        }
    }
}

impl Default for InstallRequest {
    fn default() -> Self {
        Self::new(None)
    }
}

/// The index to use: `$SPARKPLANE_PYPI_INDEX`, else `$PIP_INDEX_URL`, else
/// [`DEFAULT_INDEX_URL`].
pub fn default_index_url() -> String {
    ["SPARKPLANE_PYPI_INDEX", "PIP_INDEX_URL"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| DEFAULT_INDEX_URL.to_string())
}

/// What [`Distributions::install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallOutcome {
    /// The managed install.
    pub installation: Installation,
    /// True when it was there already and nothing was downloaded or extracted.
    pub already_installed: bool,
}

/// Where an archive comes from, for the RELEASE file.
struct Source<'a> {
    archive: &'a Path,
    file_name: String,
    origin: String,
    sha256: String,
}

impl Distributions {
    /// Installs a release into `<root>/X.Y.Z/` (see the crate docs for the layout).
    ///
    /// Blocking (downloads and extracts hundreds of MB); from async code call it through
    /// `spawn_blocking`. Safe to call from inside an async runtime all the same.
    pub fn install(&self, req: &InstallRequest) -> Result<InstallOutcome, DistroError> {
        off_runtime("installing Spark", || match &req.from_file {
            Some(file) => self.install_from_file(file, req),
            None => self.install_from_index(req),
        })
    }

    /// Removes the managed install of `version`; false when there was none. Waits for an
    /// install of the same version in progress.
    pub fn uninstall(&self, version: &SparkVersion) -> Result<bool, DistroError> {
        let home = self.managed_home(version);
        if !home.is_dir() {
            return Ok(false);
        }
        let _lock = self.lock(version, false)?;
        if !home.is_dir() {
            return Ok(false);
        }
        // Move it out of sight first so that no half-removed tree is ever listed.
        let doomed = self.new_partial_dir_path(version);
        fs::rename(&home, &doomed).map_err(|e| DistroError::io("move away", &home, e))?;
        fs::remove_dir_all(&doomed).map_err(|e| DistroError::io("remove", &doomed, e))?;
        Ok(true)
    }

    fn install_from_file(
        &self,
        file: &Path,
        req: &InstallRequest,
    ) -> Result<InstallOutcome, DistroError> {
        let named = file
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(sdist_version);
        let version = match (named, req.version) {
            (Some(found), Some(spec)) if !spec.matches(&found) => {
                return Err(DistroError::VersionMismatch {
                    path: file.to_path_buf(),
                    found,
                    wanted: spec.to_string(),
                })
            }
            (Some(found), _) => found,
            (None, Some(VersionSpec::Exact(v))) => v,
            (None, _) => {
                return Err(DistroError::UnknownArchiveVersion {
                    path: file.to_path_buf(),
                })
            }
        };
        if !version.is_supported() {
            return Err(VersionError::Unsupported(version).into());
        }
        if let Some(done) = self.existing(&version) {
            return Ok(done);
        }
        if !file.is_file() {
            return Err(DistroError::io(
                "read",
                file,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        self.create_root()?;
        let _lock = self.lock(&version, req.progress)?;
        if let Some(done) = self.existing(&version) {
            return Ok(done);
        }
        let sha256 = download::sha256_file(file)?;
        if let Some(expected) = &req.expected_sha256 {
            if !expected.trim().eq_ignore_ascii_case(&sha256) {
                return Err(DistroError::ChecksumMismatch {
                    path: file.to_path_buf(),
                    expected: expected.trim().to_ascii_lowercase(),
                    actual: sha256,
                });
            }
        }
        let source = Source {
            archive: file,
            file_name: sdist_file_name(&version),
            origin: file.display().to_string(),
            sha256,
        };
        self.unpack_and_commit(&version, &source, req.progress)
    }

    fn install_from_index(&self, req: &InstallRequest) -> Result<InstallOutcome, DistroError> {
        if let Some(VersionSpec::Exact(v)) = &req.version {
            if let Some(done) = self.existing(v) {
                return Ok(done);
            }
        }
        let client = download::client()?;
        let (page, entries) = download::fetch_index(&client, &req.index_url)?;
        let Some(entry) = choose_release(&entries, req.version.as_ref()) else {
            return Err(DistroError::NoSuchRelease {
                wanted: req
                    .version
                    .map_or_else(|| "in a supported line".to_string(), |s| s.to_string()),
                index: redact_url(page.as_str()),
                available: available_versions(&entries),
            });
        };
        let version = entry.version;
        let url = absolute_url(&page, &entry.url)?;
        let Some(expected) = entry.sha256.clone() else {
            return Err(DistroError::MissingSha256 {
                url: redact_url(url.as_str()),
            });
        };
        if let Some(done) = self.existing(&version) {
            return Ok(done);
        }
        self.create_root()?;
        let _lock = self.lock(&version, req.progress)?;
        if let Some(done) = self.existing(&version) {
            return Ok(done);
        }

        let downloads = self.downloads_dir();
        fs::create_dir_all(&downloads)
            .map_err(|e| DistroError::io("create directory", &downloads, e))?;
        let file_name = sdist_file_name(&version);
        let archive = downloads.join(&file_name);
        let mut have = false;
        if archive.is_file() {
            if download::sha256_file(&archive)? == expected {
                note(req.progress, &format!("using {}", archive.display()));
                have = true;
            } else {
                remove_file(&archive)?;
            }
        }
        if !have {
            let part = downloads.join(format!("{file_name}.part"));
            let actual = download::download(&client, &url, &part, &file_name, req.progress)?;
            if actual != expected {
                remove_file(&part)?;
                return Err(DistroError::ChecksumMismatch {
                    path: archive,
                    expected,
                    actual,
                });
            }
            fs::rename(&part, &archive).map_err(|e| DistroError::io("rename", &part, e))?;
        }
        let source = Source {
            archive: &archive,
            file_name,
            origin: redact_url(url.as_str()),
            sha256: expected,
        };
        let outcome = self.unpack_and_commit(&version, &source, req.progress)?;
        // The archive is only kept until it is installed: it is as large as the install.
        if let Err(e) = fs::remove_file(&archive) {
            tracing::warn!("cannot remove {}: {e}", archive.display());
        }
        Ok(outcome)
    }

    /// Extracts into a fresh partial directory, completes the layout and renames it into
    /// place. Must be called with the version's lock held.
    fn unpack_and_commit(
        &self,
        version: &SparkVersion,
        source: &Source<'_>,
        progress: bool,
    ) -> Result<InstallOutcome, DistroError> {
        self.remove_stale_partials(version);
        let partial = self.new_partial_dir_path(version);
        fs::create_dir(&partial).map_err(|e| DistroError::io("create directory", &partial, e))?;
        let result = self.fill(&partial, version, source, progress);
        let result = result.and_then(|()| {
            let home = self.managed_home(version);
            match fs::rename(&partial, &home) {
                Ok(()) => Ok(false),
                // Someone else put it there (not through an install holding the lock, e.g.
                // by hand): theirs wins.
                Err(_) if home.is_dir() => Ok(true),
                Err(e) => Err(DistroError::io("rename", &partial, e)),
            }
        });
        if result.as_ref().map_or(true, |already| *already) {
            let _ = fs::remove_dir_all(&partial);
        }
        let already_installed = result?;
        Ok(InstallOutcome {
            installation: self.managed_installation(version),
            already_installed,
        })
    }

    fn fill(
        &self,
        dir: &Path,
        version: &SparkVersion,
        source: &Source<'_>,
        progress: bool,
    ) -> Result<(), DistroError> {
        let label = format!("extracting {}", source.file_name);
        extract_sdist(source.archive, dir, &label, progress)?;
        check_tree(dir, version).map_err(|reason| DistroError::BadArchive {
            path: source.archive.to_path_buf(),
            reason,
        })?;
        let conf = dir.join("conf");
        fs::create_dir_all(&conf).map_err(|e| DistroError::io("create directory", &conf, e))?;
        let release = dir.join(RELEASE_FILE);
        let text = release_text(version, &source.file_name, &source.origin, &source.sha256);
        fs::write(&release, text).map_err(|e| DistroError::io("write", &release, e))
    }

    /// The managed install of `version` as an "already installed" outcome, if present.
    fn existing(&self, version: &SparkVersion) -> Option<InstallOutcome> {
        self.managed_home(version).is_dir().then(|| InstallOutcome {
            installation: self.managed_installation(version),
            already_installed: true,
        })
    }

    fn managed_installation(&self, version: &SparkVersion) -> Installation {
        Installation {
            version: *version,
            home: self.managed_home(version),
            origin: Origin::Managed,
        }
    }

    fn create_root(&self) -> Result<(), DistroError> {
        fs::create_dir_all(&self.root)
            .map_err(|e| DistroError::io("create directory", &self.root, e))
    }

    /// Takes the exclusive lock serialising installs of `version`; released when the
    /// returned file is dropped (also when the process dies).
    fn lock(&self, version: &SparkVersion, verbose: bool) -> Result<File, DistroError> {
        self.create_root()?;
        let path = self.root.join(lock_file_name(version));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| DistroError::io("open lock file", &path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(TryLockError::WouldBlock) => {
                note(
                    verbose,
                    &format!("waiting for another install of Spark {version} to finish ..."),
                );
                file.lock().map_err(|e| DistroError::io("lock", &path, e))?;
                Ok(file)
            }
            Err(TryLockError::Error(e)) => Err(DistroError::io("lock", &path, e)),
        }
    }

    /// A new, unused path `<root>/.X.Y.Z.partial-<pid>-<nanos>-<n>`.
    fn new_partial_dir_path(&self, version: &SparkVersion) -> PathBuf {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // Unique within the process too (two threads may read the same clock value).
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "{}{}-{nanos}-{n}",
            partial_dir_prefix(version),
            std::process::id()
        );
        self.root.join(name)
    }

    /// Removes partial directories of `version` left by crashed installs. Must be called
    /// with the version's lock held, so none of them belongs to a live install.
    fn remove_stale_partials(&self, version: &SparkVersion) {
        let prefix = partial_dir_prefix(version);
        let Ok(entries) = fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_str().is_some_and(|n| n.starts_with(&prefix)) {
                let path = entry.path();
                tracing::info!("removing a stale partial install {}", path.display());
                if let Err(e) = fs::remove_dir_all(&path) {
                    tracing::warn!("cannot remove {}: {e}", path.display());
                }
            }
        }
    }
}

fn remove_file(path: &Path) -> Result<(), DistroError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(DistroError::io("remove", path, e))
        }
        _ => Ok(()),
    }
}

/// A plain progress note on stderr when progress output is on.
fn note(enabled: bool, message: &str) {
    if enabled {
        eprintln!("{message}");
    }
}
