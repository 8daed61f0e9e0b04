//! Finding Java through JAVA_HOME and PATH, with fake `java` scripts.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sparkplane_distro::{find_java, DistroError};

/// Writes `<home>/bin/java`, a script printing `version_line` to stderr like `java -version`.
fn fake_java(home: &Path, version_line: &str) {
    fs::create_dir_all(home.join("bin")).unwrap();
    let java = home.join("bin/java");
    let script =
        format!("#!/bin/sh\necho '{version_line}' >&2\necho 'OpenJDK Runtime Environment' >&2\n");
    fs::write(&java, script).unwrap();
    fs::set_permissions(&java, fs::Permissions::from_mode(0o755)).unwrap();
}

// One test, because it changes JAVA_HOME and PATH for the whole process.
#[test]
fn finds_and_checks_java() {
    let tmp = tempfile::tempdir().unwrap();
    let j11 = tmp.path().join("jdk11");
    let j21 = tmp.path().join("jdk21");
    fake_java(&j11, "openjdk version \"11.0.2\" 2019-01-15");
    fake_java(&j21, "openjdk version \"21\" 2023-09-19");

    // JAVA_HOME wins.
    std::env::set_var("JAVA_HOME", &j11);
    let info = find_java(8).unwrap();
    assert_eq!((info.major, info.version_string.as_str()), (11, "11.0.2"));
    assert_eq!(info.path, j11.join("bin/java"));
    let err = find_java(17).unwrap_err();
    assert!(
        matches!(
            err,
            DistroError::JavaTooOld {
                found: 11,
                need: 17,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().starts_with("Java 11 at "), "{err}");

    // JAVA_HOME without bin/java.
    std::env::set_var("JAVA_HOME", tmp.path());
    let err = find_java(17).unwrap_err();
    assert!(matches!(err, DistroError::BadJavaHome { .. }), "{err}");
    assert!(err.to_string().contains("JAVA_HOME="), "{err}");

    // PATH, through a symlink that is resolved.
    std::env::remove_var("JAVA_HOME");
    let path_dir = tmp.path().join("path");
    fs::create_dir_all(&path_dir).unwrap();
    std::os::unix::fs::symlink(j21.join("bin/java"), path_dir.join("java")).unwrap();
    let old_path = std::env::var_os("PATH").unwrap_or_default();
    std::env::set_var("PATH", &path_dir);
    let info = find_java(17).unwrap();
    assert_eq!(info.major, 21);
    assert_eq!(info.path, fs::canonicalize(j21.join("bin/java")).unwrap());

    // Nowhere.
    std::env::set_var("PATH", tmp.path().join("empty"));
    let err = find_java(17).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Java not found: Spark needs Java 17 or newer; install a JDK (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME"
    );
    std::env::set_var("PATH", old_path);
}
