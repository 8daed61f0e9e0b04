//! Conformance: `sparkplane submit` creates exactly what the real spark-submit creates.
//!
//! For every case in `conformance/cases` and every Spark version with recorded output, runs
//! `sparkplane submit --spark-version V` against the Kubernetes API double, exactly as
//! `conformance/record.sh` ran that version's spark-submit, and compares the normalised
//! requests. The recorded outputs live in `conformance/expected/` (checked in);
//! `SPARKPLANE_CONFORMANCE_DIR` points the test at freshly recorded ones instead (CI records
//! them again on every run with the real spark-submit).

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use sparkplane_conformance::{cases, corpus_dir, expected_path, first_difference, normalize};
use sparkplane_kube_double::KubeDouble;

fn expected_root() -> PathBuf {
    std::env::var_os("SPARKPLANE_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| corpus_dir().join("expected"))
}

fn versions() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(expected_root())
        .expect("the expected outputs directory exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Runs one case through `sparkplane submit`; returns the normalised requests.
fn run_case(case: &sparkplane_conformance::Case, version: &str) -> serde_json::Value {
    let double = KubeDouble::start().expect("the API double starts");
    let common: Vec<String> = std::fs::read_to_string(corpus_dir().join("common-args"))
        .expect("common-args")
        .lines()
        .map(|l| l.replace("@URL@", &double.url()))
        .collect();
    let empty = tempfile::tempdir().expect("tempdir");
    let conf_dir = case
        .conf_dir
        .clone()
        .unwrap_or_else(|| empty.path().to_path_buf());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparkplane"));
    cmd.arg("submit")
        .arg("--spark-version")
        .arg(version)
        .args(&common)
        .args(&case.args)
        .current_dir(&case.dir)
        .env_remove("HADOOP_CONF_DIR")
        .env_remove("SPARK_LOCAL_DIRS")
        .env_remove("SPARK_HOME")
        .env_remove("HADOOP_USER_NAME")
        .env("SPARK_USER", "conformance")
        .env("SPARK_CONF_DIR", &conf_dir)
        .env("KUBECONFIG", empty.path().join("no-kubeconfig"));
    case.apply_env(&mut cmd);
    let out = cmd.output().expect("sparkplane runs");
    assert!(
        out.status.success(),
        "case {} ({version}): sparkplane submit failed: {}",
        case.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let requests: Vec<serde_json::Value> = double
        .requests()
        .into_iter()
        .map(|r| serde_json::to_value(r).expect("serialisable"))
        .collect();
    normalize(&requests).unwrap()
}

#[test]
fn sparkplane_submit_creates_what_spark_submit_creates() {
    let versions = versions();
    assert!(
        !versions.is_empty(),
        "no recorded outputs in {}",
        expected_root().display()
    );
    let cases = cases().expect("the corpus reads");
    assert!(
        cases.len() >= 40,
        "the corpus has {} cases; it needs at least 40",
        cases.len()
    );
    let mut failures = Vec::new();
    let mut compared = 0;
    for version in &versions {
        for case in &cases {
            let path = expected_path(&expected_root(), version, &case.name);
            let Ok(text) = std::fs::read_to_string(&path) else {
                failures.push(format!(
                    "{version} {}: no recording at {}",
                    case.name,
                    path.display()
                ));
                continue;
            };
            let recorded: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            // Normalising is idempotent: doing it again lets recordings made by an older
            // normaliser compare under the current one.
            let expected =
                normalize(recorded.as_array().map(Vec::as_slice).unwrap_or_default()).unwrap();
            let actual = run_case(case, version);
            compared += 1;
            if let Some(d) = first_difference(&expected, &actual) {
                failures.push(format!("{version} {}: {d}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} submissions differ from spark-submit:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
