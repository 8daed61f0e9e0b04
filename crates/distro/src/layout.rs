//! The on-disk layout of a managed install, and how files of a pyspark sdist map into it.
//! Pure functions only.
//!
//! A managed install `<root>/X.Y.Z/` is a regular `SPARK_HOME`: `bin/`, `sbin/`, `jars/`,
//! `data/`, `licenses/` (and any other `deps/*` folder) at the top, the Python examples in
//! `examples/src/main/python/`, `python/lib/pyspark.zip` and `python/lib/py4j-*-src.zip`
//! (from which Spark builds the workers' PYTHONPATH), the Python sources in
//! `python/pyspark/` (used by `bin/pyspark`), an empty `conf/`, and a `RELEASE` file.

use std::path::Path;

use sparkplane_api::version::SparkVersion;

/// Name of the file that marks a Spark distribution and names its version.
pub const RELEASE_FILE: &str = "RELEASE";

/// Where `deps/examples/` of the sdist goes: where a binary distribution keeps its Python
/// examples.
pub const PYTHON_EXAMPLES_DIR: &str = "examples/src/main/python";

/// Top-level files of the sdist that a distribution keeps.
const KEPT_TOP_LEVEL_FILES: &[&str] = &["LICENSE", "NOTICE", "README.md"];

/// The install-relative path (with `/` separators) for a path inside a pyspark sdist, or
/// `None` when the entry is not part of a distribution (packaging metadata, the top folder
/// itself) or is unsafe (absolute, `..`, empty components).
///
/// `pyspark-4.3.0/deps/jars/x.jar` → `jars/x.jar`;
/// `pyspark-4.3.0/deps/examples/pi.py` → `examples/src/main/python/pi.py`;
/// `pyspark-4.3.0/lib/pyspark.zip` → `python/lib/pyspark.zip`;
/// `pyspark-4.3.0/pyspark/sql/x.py` → `python/pyspark/sql/x.py`.
pub fn map_sdist_path(path: &str) -> Option<String> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    let mut parts = trimmed.split('/');
    let top = parts.next()?;
    if !top.starts_with("pyspark-") {
        return None;
    }
    let rest: Vec<&str> = parts.collect();
    if rest
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\\'))
    {
        return None;
    }
    let mapped: Vec<&str> = match rest.as_slice() {
        ["deps"] | [] => return None,
        ["deps", "examples", tail @ ..] => {
            let mut v: Vec<&str> = PYTHON_EXAMPLES_DIR.split('/').collect();
            v.extend_from_slice(tail);
            v
        }
        ["deps", tail @ ..] => tail.to_vec(),
        ["lib", tail @ ..] => {
            let mut v = vec!["python", "lib"];
            v.extend_from_slice(tail);
            v
        }
        ["pyspark", tail @ ..] => {
            let mut v = vec!["python", "pyspark"];
            v.extend_from_slice(tail);
            v
        }
        [file] if KEPT_TOP_LEVEL_FILES.contains(file) => vec![*file],
        _ => return None,
    };
    Some(mapped.join("/"))
}

/// The name of the directory a version is installed in: `X.Y.Z`.
pub fn install_dir_name(v: &SparkVersion) -> String {
    v.to_string()
}

/// The prefix of the temporary directories an install of `v` extracts into:
/// `.X.Y.Z.partial-`.
pub fn partial_dir_prefix(v: &SparkVersion) -> String {
    format!(".{v}.partial-")
}

/// The name of the lock file that serialises installs of `v`: `.X.Y.Z.lock`.
pub fn lock_file_name(v: &SparkVersion) -> String {
    format!(".{v}.lock")
}

/// The contents of the `RELEASE` file of a managed install. Its first line starts with
/// `Spark X.Y.Z` like the file of an official binary distribution.
pub fn release_text(v: &SparkVersion, source_name: &str, source: &str, sha256: &str) -> String {
    format!(
        "Spark {v} (from the PyPI source distribution {source_name}, installed by sparkplane)\n\
         source: {source_name}\n\
         url: {source}\n\
         sha256: {sha256}\n"
    )
}

/// The version named by the first line of a `RELEASE` file (`Spark 3.5.1 (git revision
/// ...) built for Hadoop 3.3.4`, `Spark 4.3.0 built for ...`).
pub fn parse_release_version(text: &str) -> Option<SparkVersion> {
    let first = text.lines().next()?.trim();
    let rest = first.strip_prefix("Spark ")?;
    let token = rest.split_whitespace().next()?;
    token.parse().ok()
}

/// The version in the name of Spark's core jar: `spark-core_2.13-4.3.0.jar` → 4.3.0.
pub fn parse_core_jar_version(file_name: &str) -> Option<SparkVersion> {
    let rest = file_name
        .strip_prefix("spark-core_")?
        .strip_suffix(".jar")?;
    let (_scala, version) = rest.split_once('-')?;
    version.parse().ok()
}

/// True when `name` is the name of a managed install directory (`X.Y.Z`), and its version.
pub fn parse_install_dir_name(name: &str) -> Option<SparkVersion> {
    name.parse().ok()
}

/// The path of `rel` (with `/` separators) below `base`.
pub fn join_rel(base: &Path, rel: &str) -> std::path::PathBuf {
    rel.split('/').fold(base.to_path_buf(), |p, c| p.join(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> SparkVersion {
        s.parse().unwrap()
    }

    #[test]
    fn maps_sdist_paths() {
        let cases: &[(&str, Option<&str>)] = &[
            ("pyspark-4.3.0/deps/jars/x.jar", Some("jars/x.jar")),
            (
                "pyspark-4.3.0/deps/bin/spark-submit",
                Some("bin/spark-submit"),
            ),
            (
                "pyspark-4.3.0/deps/sbin/spark-daemon.sh",
                Some("sbin/spark-daemon.sh"),
            ),
            ("pyspark-4.3.0/deps/bin/", Some("bin")),
            (
                "pyspark-4.3.0/deps/data/graphx/users.txt",
                Some("data/graphx/users.txt"),
            ),
            (
                "pyspark-4.3.0/deps/licenses/LICENSE-x.txt",
                Some("licenses/LICENSE-x.txt"),
            ),
            (
                "pyspark-4.3.0/deps/examples/pi.py",
                Some("examples/src/main/python/pi.py"),
            ),
            (
                "pyspark-4.3.0/deps/examples/sql/x.py",
                Some("examples/src/main/python/sql/x.py"),
            ),
            (
                "pyspark-4.3.0/deps/examples/",
                Some("examples/src/main/python"),
            ),
            (
                "pyspark-4.3.0/lib/pyspark.zip",
                Some("python/lib/pyspark.zip"),
            ),
            (
                "pyspark-4.3.0/lib/py4j-0.10.9.9-src.zip",
                Some("python/lib/py4j-0.10.9.9-src.zip"),
            ),
            (
                "pyspark-3.5.9/pyspark/sql/session.py",
                Some("python/pyspark/sql/session.py"),
            ),
            ("pyspark-4.3.0/LICENSE", Some("LICENSE")),
            ("pyspark-4.3.0/NOTICE", Some("NOTICE")),
            ("pyspark-4.3.0/deps/", None),
            ("pyspark-4.3.0/", None),
            ("pyspark-4.3.0", None),
            ("pyspark-4.3.0/setup.py", None),
            ("pyspark-4.3.0/PKG-INFO", None),
            ("pyspark-4.3.0/MANIFEST.in", None),
            ("pyspark-4.3.0/pyspark.egg-info/SOURCES.txt", None),
            ("other-1.0/deps/jars/x.jar", None),
            ("deps/jars/x.jar", None),
            ("/pyspark-4.3.0/deps/jars/x.jar", None),
            ("pyspark-4.3.0/deps/jars/../../../etc/passwd", None),
            ("pyspark-4.3.0/deps/jars//x.jar", None),
            ("pyspark-4.3.0/deps/./jars/x.jar", None),
            ("pyspark-4.3.0/lib/..", None),
        ];
        for (input, want) in cases {
            assert_eq!(map_sdist_path(input).as_deref(), *want, "{input}");
        }
    }

    #[test]
    fn release_versions() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "Spark 3.5.1 (git revision fd86f85e181) built for Hadoop 3.3.4\nBuild flags: -B",
                Some("3.5.1"),
            ),
            ("Spark 4.3.0 built for Hadoop 3.4.1\n", Some("4.3.0")),
            ("Spark 4.3.0\n", Some("4.3.0")),
            ("Spark 4.1.0-preview1 built for Hadoop 3.4.1", None),
            ("spark 4.3.0", None),
            ("", None),
            ("Build flags\nSpark 4.3.0", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_release_version(text), want.map(v), "{text:?}");
        }
        let written = release_text(&v("4.3.0"), "pyspark-4.3.0.tar.gz", "https://h/x", "ab");
        assert!(written.starts_with("Spark 4.3.0 "), "{written}");
        assert_eq!(parse_release_version(&written), Some(v("4.3.0")));
        assert!(written.contains("pyspark-4.3.0.tar.gz") && written.contains("sha256: ab"));
    }

    #[test]
    fn core_jar_versions() {
        let cases: &[(&str, Option<&str>)] = &[
            ("spark-core_2.13-4.3.0.jar", Some("4.3.0")),
            ("spark-core_2.12-3.5.9.jar", Some("3.5.9")),
            ("spark-core_2.13-4.3.0-tests.jar", None),
            ("spark-core_2.13-4.1.0-preview1.jar", None),
            ("spark-sql_2.13-4.3.0.jar", None),
            ("spark-core_2.13.jar", None),
        ];
        for (name, want) in cases {
            assert_eq!(parse_core_jar_version(name), want.map(v), "{name}");
        }
    }

    #[test]
    fn names() {
        let x = v("4.3.0");
        assert_eq!(install_dir_name(&x), "4.3.0");
        assert_eq!(partial_dir_prefix(&x), ".4.3.0.partial-");
        assert_eq!(lock_file_name(&x), ".4.3.0.lock");
        assert_eq!(parse_install_dir_name("4.3.0"), Some(x));
        assert_eq!(parse_install_dir_name(".4.3.0.partial-1"), None);
        assert_eq!(parse_install_dir_name("downloads"), None);
        assert_eq!(join_rel(Path::new("/r"), "a/b/c"), Path::new("/r/a/b/c"));
    }
}
