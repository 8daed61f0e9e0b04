//! Unpacking a pyspark sdist (`pyspark-X.Y.Z.tar.gz`) into the layout of a Spark
//! distribution (see `layout.rs`).

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;
use sparkplane_api::version::SparkVersion;
use tar::EntryType;

use crate::error::DistroError;
use crate::layout::{join_rel, map_sdist_path, parse_core_jar_version};
use crate::progress::Progress;

/// Counts the compressed bytes read, for progress.
struct Counting<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

/// Unpacks the distribution files of the sdist `archive` into the existing, empty
/// directory `dest`. Executable bits are kept; symlinks and other special entries (none in
/// official sdists) are skipped.
pub(crate) fn extract_sdist(
    archive: &Path,
    dest: &Path,
    label: &str,
    show_progress: bool,
) -> Result<(), DistroError> {
    let file = File::open(archive).map_err(|e| DistroError::io("open", archive, e))?;
    let size = file.metadata().ok().map(|m| m.len());
    let reader = Counting {
        inner: BufReader::with_capacity(1 << 20, file),
        progress: Progress::start(show_progress, label, size),
    };
    let mut tar = tar::Archive::new(GzDecoder::new(reader));
    let result = unpack_entries(&mut tar, archive, dest);
    let progress = tar.into_inner().into_inner().progress;
    match result {
        Ok(files) => {
            progress.finish(&format!("extracted {files} files"));
            Ok(())
        }
        Err(e) => {
            progress.abandon();
            Err(e)
        }
    }
}

/// Writes every mapped entry; returns the number of files written.
fn unpack_entries<R: Read>(
    tar: &mut tar::Archive<R>,
    archive: &Path,
    dest: &Path,
) -> Result<u64, DistroError> {
    let bad = |reason: String| DistroError::BadArchive {
        path: archive.to_path_buf(),
        reason,
    };
    let mut files = 0;
    let entries = tar.entries().map_err(|e| bad(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let raw = entry.path_bytes().into_owned();
        let Ok(name) = std::str::from_utf8(&raw) else {
            tracing::warn!(
                "skipping an entry with a non-UTF-8 name in {}",
                archive.display()
            );
            continue;
        };
        let Some(rel) = map_sdist_path(name) else {
            continue;
        };
        let target = join_rel(dest, &rel);
        match entry.header().entry_type() {
            EntryType::Directory => create_dir_all(&target)?,
            EntryType::Regular | EntryType::Continuous => {
                if let Some(parent) = target.parent() {
                    create_dir_all(parent)?;
                }
                let mode = entry.header().mode().unwrap_or(0o644);
                let mut out =
                    File::create(&target).map_err(|e| DistroError::io("create", &target, e))?;
                io::copy(&mut entry, &mut out).map_err(|e| {
                    // A read error is the archive's fault, a write error ours.
                    if e.kind() == io::ErrorKind::InvalidData
                        || e.kind() == io::ErrorKind::UnexpectedEof
                    {
                        bad(format!("{name}: {e}"))
                    } else {
                        DistroError::io("write", &target, e)
                    }
                })?;
                set_mode(&target, mode)?;
                files += 1;
            }
            other => {
                tracing::warn!(
                    "skipping {name} in {}: unsupported entry type {other:?}",
                    archive.display()
                );
            }
        }
    }
    if files == 0 {
        return Err(bad("it holds no pyspark-X.Y.Z/deps files".into()));
    }
    Ok(files)
}

/// Checks that `home` looks like a complete distribution of `version`: Spark's launch
/// scripts, jars (with a core jar of the right version, when one is named as usual) and
/// the Python libraries. Returns what is wrong.
pub(crate) fn check_tree(home: &Path, version: &SparkVersion) -> Result<(), String> {
    for required in [
        "bin/spark-submit",
        "bin/spark-class",
        "python/lib/pyspark.zip",
    ] {
        if !join_rel(home, required).is_file() {
            return Err(format!("it has no {}", sdist_name_of(required)));
        }
    }
    let jars = home.join("jars");
    let names = fs::read_dir(&jars).map_err(|_| "it has no deps/jars folder".to_string())?;
    for name in names.flatten() {
        let name = name.file_name();
        if let Some(found) = name.to_str().and_then(parse_core_jar_version) {
            if found != *version {
                return Err(format!("its jars are of Spark {found}, not {version}"));
            }
        }
    }
    Ok(())
}

/// The sdist path an install path comes from, for messages.
fn sdist_name_of(install_rel: &str) -> String {
    match install_rel.strip_prefix("python/lib/") {
        Some(f) => format!("lib/{f}"),
        None => format!("deps/{install_rel}"),
    }
}

fn create_dir_all(p: &Path) -> Result<(), DistroError> {
    fs::create_dir_all(p).map_err(|e| DistroError::io("create directory", p, e))
}

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) -> Result<(), DistroError> {
    use std::os::unix::fs::PermissionsExt;
    // Keep the permission bits (not setuid and the like); the owner may always read and
    // write so that the install can be removed and updated.
    let perm = fs::Permissions::from_mode((mode & 0o777) | 0o600);
    fs::set_permissions(p, perm).map_err(|e| DistroError::io("set permissions of", p, e))
}

#[cfg(not(unix))]
fn set_mode(_p: &Path, _mode: u32) -> Result<(), DistroError> {
    Ok(())
}
