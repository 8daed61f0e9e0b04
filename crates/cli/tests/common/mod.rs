//! Shared helpers of the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub use sparkplane_testkit::*;

/// A test environment running this crate's `sparkplane` binary.
pub fn env() -> TestEnv {
    TestEnv::new(env!("CARGO_BIN_EXE_sparkplane"))
}

/// A SparkCluster manifest.
pub fn cluster_yaml(name: &str, version: &str, workers: u32, extra_spec: &str) -> String {
    format!(
        "apiVersion: sparkplane.io/v1alpha1\nkind: SparkCluster\nmetadata:\n  name: {name}\nspec:\n  sparkVersion: \"{version}\"\n  workers:\n    replicas: {workers}\n    cores: 1\n    memory: 1g\n{extra_spec}"
    )
}

/// A PySpark SparkApplication running `script` with `args`.
pub fn python_app(
    name: &str,
    version: &str,
    script: &Path,
    args: &[&str],
    extra_spec: &str,
) -> String {
    let args = args
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: {name}\nspec:\n  type: Python\n  mode: cluster\n  sparkVersion: \"{version}\"\n  mainApplicationFile: {}\n  arguments: [{args}]\n  driver:\n    cores: 1\n    memory: 512m\n  executor:\n    cores: 1\n    instances: 2\n    memory: 512m\n{extra_spec}",
        script.display()
    )
}

/// A Scala SparkApplication from the examples jar.
pub fn scala_app(name: &str, version: &str, class: &str, args: &[&str]) -> String {
    let args = args
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: {name}\nspec:\n  type: Scala\n  mode: cluster\n  sparkVersion: \"{version}\"\n  mainClass: {class}\n  mainApplicationFile: {}\n  arguments: [{args}]\n  driver:\n    cores: 1\n    memory: 512m\n  executor:\n    cores: 1\n    instances: 2\n    memory: 512m\n",
        examples_jar(version).display()
    )
}

/// Path of an example file.
pub fn example(rel: &str) -> PathBuf {
    repo_root().join("examples").join(rel)
}

/// Polls `f` every 500 ms until it returns Some or `timeout` passes (then panics with `what`).
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `app status NAME -o json`, parsed.
pub fn app_status(env: &TestEnv, name: &str) -> serde_json::Value {
    let out = env.ok(&["app", "status", name, "-o", "json"]);
    serde_json::from_str(&out).expect("app status json")
}

/// Processes started on behalf of this test environment (every sparkplane process inherits
/// `SPARKPLANE_HOME`, and Spark's daemons and executors inherit it from them).
pub fn test_pids(env: &TestEnv) -> Vec<u32> {
    marked_pids("SPARKPLANE_HOME", &env.home.path().display().to_string())
}

/// Asserts that no process of this environment is left, waiting briefly for exits in flight.
pub fn assert_no_processes(env: &TestEnv) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = test_pids(env);
        if left.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            let cmds: Vec<String> = left
                .iter()
                .map(|p| {
                    std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                        .unwrap_or_default()
                        .replace('\0', " ")
                })
                .collect();
            panic!("processes left behind: {left:?}: {cmds:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Pid of a cluster process (`master`, `worker-N`) from `cluster status -o json`.
pub fn process_pid(env: &TestEnv, cluster: &str, role: serde_json::Value) -> u32 {
    let st = env.cluster_status(cluster);
    st["processes"]["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .find(|p| p["role"] == role)
        .and_then(|p| p["pid"].as_u64())
        .map(|p| p as u32)
        .unwrap_or_else(|| panic!("no pid for {role} in {st}"))
}

/// Sends SIGKILL.
pub fn kill9(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -9 {pid}");
}

/// Stdout and stderr as strings.
pub fn outputs(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `kubernetes-validate` executable (PyPI), which `scripts/test.sh` installs.
pub fn kubernetes_validate() -> PathBuf {
    let candidates = [
        std::env::var_os("SPARKPLANE_KUBERNETES_VALIDATE").map(PathBuf::from),
        Some(PathBuf::from("kubernetes-validate")),
    ];
    for c in candidates.into_iter().flatten() {
        if Command::new(&c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c;
        }
    }
    panic!(
        "kubernetes-validate is not installed: run scripts/test.sh (installs it), or \
         `pip install kubernetes-validate` and put it on PATH (or set SPARKPLANE_KUBERNETES_VALIDATE)"
    );
}

/// The newest Kubernetes version the installed `kubernetes-validate` has schemas for (its
/// default, which `--help` shows).
#[allow(dead_code)]
pub fn newest_kubernetes(validator: &PathBuf) -> String {
    let o = Command::new(validator).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout).replace('\n', " ");
    let words: Vec<&str> = help.split_whitespace().collect();
    let i = words
        .iter()
        .position(|w| *w == "Defaults")
        .expect("kubernetes-validate --help names its default version");
    words[i + 2].trim_end_matches('.').to_string()
}
