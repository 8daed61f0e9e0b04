//! Every command the README shows works as written, where it can run offline: each command
//! of the README's code blocks is either run here, from the repository root with a fresh
//! sparkplane home, no Spark installed and no kubeconfig, or named below with the reason it
//! cannot run offline (the end-to-end tier runs those).

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// README commands that cannot run offline, by prefix, with why.
const NOT_OFFLINE: &[(&str, &str)] = &[
    ("sparkplane spark install ", "downloads Spark from PyPI"),
    ("sparkplane cluster ", "runs Spark"),
    ("sparkplane app submit ", "runs Spark"),
    ("sparkplane operator ", "needs a Kubernetes cluster"),
    ("scripts/quickstart.sh", "installs Spark and runs it"),
    ("scripts/test.sh", "the whole suite"),
];

/// The commands of the README's code blocks: continuation lines joined, comments dropped.
fn readme_commands() -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        // A comment starts at " #" (the README's commands have no `#` of their own).
        let code = line.split(" #").next().unwrap_or("").trim_end();
        match code.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(code);
                let command = pending.split_whitespace().collect::<Vec<_>>().join(" ");
                if !command.is_empty() {
                    out.push(command);
                }
                pending.clear();
            }
        }
    }
    out
}

/// Runs `command` through bash (for its globs) from the repository root, with this build's
/// `sparkplane` first on PATH.
fn run(command: &str, home: &Path) -> (Option<i32>, String, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_sparkplane"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .args(["-c", command])
        .current_dir(repo_root())
        .env("PATH", path)
        .env("SPARKPLANE_HOME", home)
        .env("SPARKPLANE_SPARK_DIR", home.join("no-spark"))
        .env("KUBECONFIG", home.join("no-kubeconfig"))
        .env_remove("SPARK_HOME")
        .output()
        .unwrap();
    let (out, err) = outputs(&o);
    (o.status.code(), out, err)
}

#[test]
fn every_offline_command_of_the_readme_works_as_written() {
    let home = tempfile::tempdir().unwrap();
    let commands = readme_commands();
    let mut ran = Vec::new();
    for command in &commands {
        if let Some((_, why)) = NOT_OFFLINE.iter().find(|(p, _)| command.starts_with(p)) {
            eprintln!("not run offline ({why}): {command}");
            continue;
        }
        assert!(
            command.starts_with("sparkplane "),
            "a README command neither run here nor in NOT_OFFLINE: {command}"
        );
        let (code, out, err) = run(command, home.path());
        assert_eq!(code, Some(0), "{command}\nstdout:\n{out}\nstderr:\n{err}");
        assert!(!out.is_empty(), "{command}: no output");
        ran.push((command.clone(), out));
    }
    let output = |prefix: &str| {
        ran.iter()
            .find(|(c, _)| c.starts_with(prefix))
            .map(|(_, out)| out.clone())
            .unwrap_or_else(|| panic!("the README shows no `{prefix}`: {commands:#?}"))
    };
    // Every example validates.
    let examples = std::fs::read_dir(repo_root().join("examples"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count();
    let validated = output("sparkplane validate ");
    assert_eq!(
        validated.matches(" is valid").count(),
        examples,
        "{validated}"
    );
    // The example renders in the image that holds its jar, as the chart's driver account.
    let rendered = output("sparkplane render -f examples/spark-pi.yaml");
    for fragment in [
        "image: \"sparkplane/spark:4.3.0\"",
        "serviceAccountName: spark\n",
        "\"local:///opt/spark/examples/jars/sparkplane-examples.jar\"",
    ] {
        assert!(rendered.contains(fragment), "{fragment:?} in {rendered}");
    }
    let submitted = output("sparkplane submit ");
    assert!(submitted.contains("kind: Pod"), "{submitted}");
}
