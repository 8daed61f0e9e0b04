//! Test kit for sparkplane's end-to-end tests: an isolated sparkplane home per test, the
//! shared real Spark distributions, the example jar built with Spark's own Scala compiler, and
//! the process table.
//!
//! Tests that need a real Spark fail (never skip) with a message saying how to install it.

// Only tests use this crate (a dev-dependency everywhere): a panic here is a test failing,
// with the message saying why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The Spark release the end-to-end tests run on unless they say otherwise.
pub const TEST_SPARK_VERSION: &str = "4.3.0";

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where the shared Spark distributions live, found as `sparkplane spark install` puts them:
/// `$SPARKPLANE_SPARK_DIR`, else `$SPARKPLANE_HOME/spark`, else
/// `~/.local/share/sparkplane/spark`.
pub fn spark_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SPARKPLANE_SPARK_DIR") {
        return PathBuf::from(d);
    }
    if let Some(h) = std::env::var_os("SPARKPLANE_HOME") {
        return PathBuf::from(h).join("spark");
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join("sparkplane").join("spark")
}

/// SPARK_HOME of an installed release; panics with install instructions when missing.
pub fn spark_home(version: &str) -> PathBuf {
    let home = spark_dir().join(version);
    assert!(
        home.join("bin").join("spark-submit").exists(),
        "Spark {version} is not installed in {}: run `scripts/test.sh` (installs it) or \
         `cargo run -p sparkplane -- spark install {version}`",
        spark_dir().display()
    );
    home
}

static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// The examples jar for `version`'s Scala line, built on first use with the Scala compiler
/// inside that Spark distribution.
pub fn examples_jar(version: &str) -> PathBuf {
    let scala = if version.starts_with('3') {
        "2.12"
    } else {
        "2.13"
    };
    let jar = repo_root()
        .join("examples")
        .join("target")
        .join(format!("scala-{scala}"))
        .join("sparkplane-examples.jar");
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if !jar.exists() {
        let status = Command::new(repo_root().join("examples/scala/build.sh"))
            .arg(spark_home(version))
            .arg(&jar)
            .status()
            .expect("run examples/scala/build.sh");
        assert!(status.success(), "examples/scala/build.sh failed");
    }
    jar
}

/// An isolated sparkplane home for one test, sharing the Spark distributions.
pub struct TestEnv {
    /// The temporary home (removed on drop).
    pub home: tempfile::TempDir,
    bin: PathBuf,
}

impl TestEnv {
    /// A new environment running the sparkplane binary at `bin`.
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        Self {
            home: tempfile::Builder::new()
                .prefix("sparkplane-test-")
                .tempdir()
                .expect("temp dir"),
            bin: bin.into(),
        }
    }

    /// A command running `sparkplane ARGS` in this environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args)
            .env("SPARKPLANE_HOME", self.home.path())
            .env("SPARKPLANE_SPARK_DIR", spark_dir())
            .env_remove("SPARK_HOME")
            .env("NO_COLOR", "1");
        c
    }

    /// Runs `sparkplane ARGS` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run sparkplane")
    }

    /// Runs `sparkplane ARGS`, asserting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "sparkplane {args:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Writes `content` to `name` in the home and returns its path.
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.home.path().join(name);
        std::fs::write(&p, content).expect("write file");
        p
    }

    /// The recorded id (process marker) of cluster `name`.
    pub fn cluster_id(&self, name: &str) -> String {
        let p = self
            .home
            .path()
            .join("clusters")
            .join(name)
            .join("cluster.json");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).expect("cluster.json"))
                .expect("json");
        v["id"].as_str().expect("id").to_string()
    }

    /// `cluster status NAME -o json`, parsed.
    pub fn cluster_status(&self, name: &str) -> serde_json::Value {
        let out = self.ok(&["cluster", "status", name, "-o", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("status json");
        v[0].clone()
    }
}

impl Drop for TestEnv {
    /// Never leaves a test's Spark processes behind, whatever the test did.
    fn drop(&mut self) {
        let clusters = self.home.path().join("clusters");
        if let Ok(rd) = std::fs::read_dir(&clusters) {
            for e in rd.flatten() {
                if let Some(name) = e.file_name().to_str() {
                    let _ = self.cmd(&["cluster", "down", name]).output();
                }
            }
        }
        let apps = self.home.path().join("apps");
        if let Ok(rd) = std::fs::read_dir(&apps) {
            for e in rd.flatten() {
                if let Some(name) = e.file_name().to_str() {
                    let _ = self.cmd(&["app", "kill", name]).output();
                }
            }
        }
    }
}

/// Pids of live processes whose environment holds `key=value` (the cluster and application
/// markers), read straight from /proc.
pub fn marked_pids(key: &str, value: &str) -> Vec<u32> {
    let needle = format!("{key}={value}");
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
            .unwrap_or(true);
        if !zombie && env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()) {
            pids.push(pid);
        }
    }
    pids
}

/// Parses the `word<TAB>count` lines between the wordcount examples' markers.
pub fn parse_wordcount(stdout: &str) -> Vec<(String, u64)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in stdout.lines() {
        match line.trim_end() {
            "BEGIN WORDCOUNT" => inside = true,
            "END WORDCOUNT" => inside = false,
            l if inside => {
                if let Some((w, c)) = l.split_once('\t') {
                    out.push((w.to_string(), c.parse().expect("count")));
                }
            }
            _ => {}
        }
    }
    out
}

/// The expected word count of `text`, computed independently of Spark: lowercase, split on
/// anything but letters and apostrophes, sorted by word.
pub fn expected_wordcount(text: &str) -> Vec<(String, u64)> {
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    for w in text
        .to_lowercase()
        .split(|c: char| !(c.is_ascii_lowercase() || c == '\''))
        .filter(|w| !w.is_empty())
    {
        *counts.entry(w.to_string()).or_default() += 1;
    }
    counts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wordcount_helpers_agree_on_a_sample() {
        let text = "The cat, the hat.\nIt's the CAT!";
        let want = expected_wordcount(text);
        assert_eq!(
            want,
            vec![
                ("cat".to_string(), 2),
                ("hat".to_string(), 1),
                ("it's".to_string(), 1),
                ("the".to_string(), 3)
            ]
        );
        let printed = "noise\nBEGIN WORDCOUNT\ncat\t2\nhat\t1\nit's\t1\nthe\t3\nEND WORDCOUNT\n";
        assert_eq!(parse_wordcount(printed), want);
    }
}
