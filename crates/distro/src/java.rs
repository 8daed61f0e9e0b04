//! Finding a Java runtime and checking its version.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::DistroError;

/// A Java runtime found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaInfo {
    /// The `java` executable: `$JAVA_HOME/bin/java`, or the one on PATH with symlinks
    /// resolved (so that `path/../..` is its Java home).
    pub path: PathBuf,
    /// The major version: 8, 11, 17, 21, ...
    pub major: u32,
    /// The version as `java -version` prints it: `17.0.15`, `1.8.0_392`, `21`.
    pub version_string: String,
}

impl JavaInfo {
    /// The Java home this `java` belongs to (`<home>/bin/java`), to pass on as JAVA_HOME.
    pub fn home(&self) -> Option<PathBuf> {
        self.path
            .parent()
            .and_then(std::path::Path::parent)
            .map(std::path::Path::to_path_buf)
    }
}

/// Finds Java: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on PATH; checks
/// that its major version is at least `min_major`.
pub fn find_java(min_major: u32) -> Result<JavaInfo, DistroError> {
    let path = locate(min_major)?;
    let output = Command::new(&path)
        .arg("-version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| DistroError::JavaVersion {
            path: path.clone(),
            reason: format!("cannot run it: {e}"),
        })?;
    // `java -version` writes to stderr; some wrappers use stdout.
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    let first_line = || {
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("(no output)")
            .to_string()
    };
    if !output.status.success() {
        return Err(DistroError::JavaVersion {
            path,
            reason: format!(
                "`java -version` failed ({}): {}",
                output.status,
                first_line()
            ),
        });
    }
    let Some((version_string, major)) = parse_java_version(&text) else {
        return Err(DistroError::JavaVersion {
            path,
            reason: format!("unexpected `java -version` output: {}", first_line()),
        });
    };
    if major < min_major {
        return Err(DistroError::JavaTooOld {
            path,
            found: major,
            need: min_major,
        });
    }
    Ok(JavaInfo {
        path,
        major,
        version_string,
    })
}

/// The `java` executable to use, before checking its version.
fn locate(min_major: u32) -> Result<PathBuf, DistroError> {
    if let Some(home) = std::env::var_os("JAVA_HOME").filter(|v| !v.is_empty()) {
        let java_home = PathBuf::from(home);
        let java = java_home.join("bin").join(exe_name());
        if !java.is_file() {
            return Err(DistroError::BadJavaHome { java_home, java });
        }
        return Ok(java);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(exe_name()))
        .find(|p| is_executable(p))
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .ok_or(DistroError::JavaNotFound { need: min_major })
}

fn exe_name() -> &'static str {
    if cfg!(windows) {
        "java.exe"
    } else {
        "java"
    }
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// The version string and major version from the output of `java -version`: the quoted
/// version on the first line containing ` version "` (`openjdk version "17.0.15"
/// 2025-04-15`, `java version "1.8.0_392"`).
pub fn parse_java_version(output: &str) -> Option<(String, u32)> {
    output.lines().find_map(|line| {
        let (_, rest) = line.split_once(" version \"")?;
        let (version, _) = rest.split_once('"')?;
        let major = java_major(version)?;
        Some((version.to_string(), major))
    })
}

/// The major version of a Java version string: `1.8.0_392` → 8, `17.0.15` → 17, `21` → 21,
/// `23-ea` → 23.
fn java_major(version: &str) -> Option<u32> {
    let leading = |s: &str| -> Option<u32> {
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let mut parts = version.split('.');
    let first = leading(parts.next()?)?;
    if first == 1 {
        // Java 8 and older: "1.8.0_392".
        parts.next().and_then(leading)
    } else {
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_java_versions() {
        let cases: &[(&str, Option<(&str, u32)>)] = &[
            (
                "openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)\n",
                Some(("17.0.15", 17)),
            ),
            (
                "java version \"1.8.0_392\"\nJava(TM) SE Runtime Environment (build 1.8.0_392-b08)\n",
                Some(("1.8.0_392", 8)),
            ),
            ("openjdk version \"21\" 2023-09-19\n", Some(("21", 21))),
            ("openjdk version \"23-ea\" 2024-09-17\n", Some(("23-ea", 23))),
            ("openjdk version \"11.0.2\" 2019-01-15 LTS\n", Some(("11.0.2", 11))),
            (
                "Picked up JAVA_TOOL_OPTIONS: -Xmx1g\nopenjdk version \"21.0.4\" 2024-07-16\n",
                Some(("21.0.4", 21)),
            ),
            ("java version \"1.7.0_80\"\n", Some(("1.7.0_80", 7))),
            ("openjdk version \"\"\n", None),
            ("openjdk version \"abc\"\n", None),
            ("Error: could not find libjava.so\n", None),
            ("", None),
        ];
        for (output, want) in cases {
            let got = parse_java_version(output);
            let want = want.map(|(s, m)| (s.to_string(), m));
            assert_eq!(got, want, "{output:?}");
        }
    }
}
