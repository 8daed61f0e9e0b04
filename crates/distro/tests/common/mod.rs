//! Helpers shared by the integration tests: synthetic pyspark sdists and a lock for tests
//! that read or change process-wide environment variables.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};

static ENV_LOCK: Mutex<()> = Mutex::new(());

/// Serialises tests that depend on environment variables (SPARK_HOME, ...), and clears the
/// ones this crate reads so that the machine's own settings do not leak in.
pub fn env_lock() -> MutexGuard<'static, ()> {
    let guard = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for k in ["SPARK_HOME", "SPARKPLANE_PYPI_INDEX", "PIP_INDEX_URL"] {
        std::env::remove_var(k);
    }
    guard
}

/// One file of a synthetic sdist: path inside the archive, mode, contents.
pub type Member = (String, u32, Vec<u8>);

/// The members of a small but complete-looking sdist of `version` whose core jar claims
/// `jar_version`.
pub fn members(version: &str, jar_version: &str) -> Vec<Member> {
    let top = format!("pyspark-{version}");
    let f = |p: &str, mode: u32, body: &str| (format!("{top}/{p}"), mode, body.as_bytes().to_vec());
    vec![
        f("deps/bin/spark-submit", 0o755, "#!/bin/sh\necho submit\n"),
        f("deps/bin/spark-class", 0o755, "#!/bin/sh\necho class\n"),
        f("deps/bin/load-spark-env.sh", 0o644, "# sourced\n"),
        f("deps/sbin/spark-daemon.sh", 0o755, "#!/bin/sh\n"),
        (
            format!("{top}/deps/jars/spark-core_2.13-{jar_version}.jar"),
            0o644,
            b"PK fake jar".to_vec(),
        ),
        f("deps/jars/scala-library-2.13.16.jar", 0o644, "PK"),
        f(
            "deps/examples/pi.py",
            0o644,
            "print('Pi is roughly 3.14')\n",
        ),
        f("deps/examples/sql/basic.py", 0o644, "# sql\n"),
        f("deps/data/graphx/users.txt", 0o644, "1,a\n"),
        f("deps/licenses/LICENSE-py4j.txt", 0o644, "license\n"),
        f("lib/pyspark.zip", 0o644, "PK zip"),
        f("lib/py4j-0.10.9.9-src.zip", 0o644, "PK zip"),
        f("pyspark/__init__.py", 0o644, "\n"),
        f("setup.py", 0o755, "# setup\n"),
        f("PKG-INFO", 0o644, "Name: pyspark\n"),
        f("pyspark.egg-info/SOURCES.txt", 0o644, "x\n"),
    ]
}

/// Writes a gzipped tar of `members` (with directory entries for `deps/` and `deps/bin/`)
/// to `dir/file_name`; returns its path and lower-case hex sha256.
pub fn write_sdist(dir: &Path, file_name: &str, members: &[Member]) -> (PathBuf, String) {
    let path = dir.join(file_name);
    let file = File::create(&path).unwrap();
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::fast()));
    if let Some((first, _, _)) = members.first() {
        let top = first.split('/').next().unwrap();
        for d in [
            format!("{top}/"),
            format!("{top}/deps/"),
            format!("{top}/deps/bin/"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Directory);
            h.set_mode(0o755);
            h.set_size(0);
            tar.append_data(&mut h, &d, std::io::empty()).unwrap();
        }
    }
    for (name, mode, body) in members {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(*mode);
        h.set_size(body.len() as u64);
        tar.append_data(&mut h, name, body.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
    let sha = hex::encode(Sha256::digest(std::fs::read(&path).unwrap()));
    (path, sha)
}

/// A synthetic `pyspark-<version>.tar.gz` in `dir`.
pub fn sdist(dir: &Path, version: &str) -> (PathBuf, String) {
    write_sdist(
        dir,
        &format!("pyspark-{version}.tar.gz"),
        &members(version, version),
    )
}

/// Names in `root` that start with '.' and contain "partial".
pub fn partial_dirs(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.starts_with('.') && n.contains("partial"))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}
