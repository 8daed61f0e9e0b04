//! `sparkplane render` on every example manifest of the kubeflow Spark Operator's
//! documentation: each renders, every field it sets reaches the rendered objects, and the
//! objects pass the official Kubernetes schemas of the oldest and newest Kubernetes
//! versions the operator supports.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{kubernetes_validate, newest_kubernetes};
use serde_json::Value;

/// The oldest Kubernetes the operator supports.
const OLDEST_KUBERNETES: &str = "1.28.0";

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kubeflow-examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        14,
        "the 14 examples of kubeflow's documentation"
    );
    files
}

fn render(file: &Path, format: &str) -> String {
    render_with_warnings(file, format).0
}

/// The output and the field paths `render` warned about (unknown fields, which Kubernetes
/// ignores too).
fn render_with_warnings(file: &Path, format: &str) -> (String, Vec<String>) {
    let o = Command::new(env!("CARGO_BIN_EXE_sparkplane"))
        .args(["render", "-o", format, "-f"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let warned = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.contains("unknown field"))
        .filter_map(|l| l.split(": ").nth(2).map(str::to_string))
        .collect();
    (String::from_utf8(o.stdout).unwrap(), warned)
}

/// Fields that are about the application's lifecycle or Spark's version, not about the
/// objects it creates; the controller tests cover them.
const LIFECYCLE: &[&str] = &[
    "type",
    "mode",
    "sparkVersion",
    "restartPolicy",
    "timeToLiveSeconds",
    "suspend",
    "schedule",
    "concurrencyPolicy",
    "successfulRunHistoryLimit",
    "failedRunHistoryLimit",
    "timeZone",
];

/// Every leaf of `v` with its path.
fn leaves(v: &Value, path: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                leaves(v, format!("{path}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                leaves(v, format!("{path}[{i}]"), out);
            }
        }
        Value::String(s) => out.push((path, s.clone())),
        Value::Number(n) => out.push((path, n.to_string())),
        Value::Bool(b) => out.push((path, b.to_string())),
        Value::Null => {}
    }
}

#[test]
fn every_kubeflow_example_renders_with_every_field_it_sets() {
    let mut checked = 0;
    for file in examples() {
        let (rendered, warned) = render_with_warnings(&file, "json");
        // Escapes differ by where a value lands (JSON, Java properties, a JSON template in a
        // ConfigMap); compare without them.
        let haystack = rendered.replace('\\', "");
        let text = std::fs::read_to_string(&file).unwrap();
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            let doc: Value = serde::Deserialize::deserialize(doc).unwrap();
            let spec = match doc["kind"].as_str() {
                Some("SparkApplication") => &doc["spec"],
                Some("ScheduledSparkApplication") => &doc["spec"]["template"],
                _ => continue,
            };
            let mut fields = Vec::new();
            leaves(spec, "spec".into(), &mut fields);
            for (path, value) in fields {
                let top = path
                    .trim_start_matches("spec.")
                    .split(['.', '['])
                    .next()
                    .unwrap();
                let ignored = warned.iter().any(|w| path.starts_with(w.as_str()));
                if LIFECYCLE.contains(&top) || value.len() < 2 || ignored {
                    continue;
                }
                assert!(
                    haystack.contains(&value.replace('\\', "")),
                    "{}: {path} = {value:?} is not in the rendered objects",
                    file.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 150, "only {checked} fields checked");
}

/// Kinds `kubernetes-validate` has no schema for: the PodGroups of Volcano and
/// scheduler-plugins are custom resources (their shape is checked by the unit tests of
/// `render::batch`).
const NOT_VALIDATED: &[&str] = &["PodGroup"];

/// `files` pass the official schemas of the oldest supported and the newest Kubernetes.
fn schemas_accept(validator: &PathBuf, files: &[PathBuf]) {
    for version in [OLDEST_KUBERNETES.to_string(), newest_kubernetes(validator)] {
        let o = Command::new(validator)
            .args(["--strict", "--quiet", "--no-warn", "-k", &version])
            .args(files)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "Kubernetes {version}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn rendered_objects_pass_the_kubernetes_schemas() {
    let validator = kubernetes_validate();
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for file in examples() {
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        let rendered: Value = serde_json::from_str(&render(&file, "json")).unwrap();
        for (i, obj) in rendered["items"].as_array().unwrap().iter().enumerate() {
            let kind = obj["kind"].as_str().unwrap_or_default();
            if NOT_VALIDATED.contains(&kind) {
                skipped.push(format!("{stem}: {kind} {}", obj["apiVersion"]));
                continue;
            }
            let path = out.path().join(format!("{stem}-{i}.json"));
            std::fs::write(&path, obj.to_string()).unwrap();
            files.push(path);
        }
    }
    // Only the batch schedulers' PodGroups, one per example that needs one.
    assert_eq!(
        skipped,
        [
            "spark-pi-kube-scheduler: PodGroup \"scheduling.x-k8s.io/v1alpha1\"",
            "spark-pi-volcano: PodGroup \"scheduling.volcano.sh/v1beta1\"",
        ]
    );
    schemas_accept(&validator, &files);
    // The validator can fail: a pod with a misspelt field does not pass.
    let bad = out.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n    imagePullPolcy: Always\n",
    )
    .unwrap();
    let o = Command::new(&validator)
        .args(["--strict", "--quiet", "-k", OLDEST_KUBERNETES])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success(), "a misspelt field passed validation");
}

/// The PodGroups of kubeflow's two examples reserve what Spark requests. Both examples run
/// a 512m driver and two 512m executors of one core, each pod 512 + 384 MiB of overhead:
/// 896 + 2 × 896 = 2688 MiB and 3 cores. kubeflow reserves `1536m` (0.512 bytes a pod).
#[test]
fn pod_groups_reserve_what_spark_requests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kubeflow-examples");
    for example in ["spark-pi-volcano", "spark-pi-kube-scheduler"] {
        let rendered: Value =
            serde_json::from_str(&render(&dir.join(format!("{example}.yaml")), "json")).unwrap();
        let groups: Vec<&Value> = rendered["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["kind"] == "PodGroup")
            .collect();
        assert_eq!(groups.len(), 1, "{example}");
        assert_eq!(
            groups[0]["spec"]["minResources"],
            serde_json::json!({"cpu": "3", "memory": "2688Mi"}),
            "{example}"
        );
    }
}

#[test]
fn render_refuses_bad_manifests_with_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(
        &f,
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: x\nspec:\n  type: Scala\n  sparkVersion: 4.0.0\n  mainClass: Pi\n  mainApplicationFile: local:///x.jar\n  image: spark\n  driver:\n    volumeMounts:\n    - name: data\n      mountPath: /data\n  executor: {}\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sparkplane"))
        .args(["render", "-f"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "spec.driver.volumeMounts[0].name: expected the name of a volume in spec.volumes"
        ),
        "{err}"
    );
    assert_eq!(err.lines().filter(|l| !l.is_empty()).count(), 1, "{err}");
}

/// The driver pod and the executor template among rendered objects.
fn driver_and_executor(rendered: &Value) -> (Value, Value) {
    let items = rendered["items"].as_array().unwrap();
    let driver = items.iter().find(|o| o["kind"] == "Pod").unwrap().clone();
    let template = items
        .iter()
        .find_map(|o| o["data"]["podspec-configmap-key"].as_str())
        .unwrap();
    (driver, serde_yaml_ng::from_str(template).unwrap())
}

/// By default `render` prints what the operator creates under Pod Security "restricted".
/// kubeflow's spark-pi sets the container settings itself and gets the pod-level ones; the
/// pod-template example sets its user and group at pod level (and container settings there,
/// which Kubernetes drops) and gets the container settings; `--pod-security none` prints the
/// manifest's pods as kubeflow does.
#[test]
fn rendered_pods_carry_the_pod_security_settings() {
    use serde_json::json;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kubeflow-examples");
    let run = |example: &str, extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_sparkplane"))
            .args(["render", "-o", "json", "-f"])
            .arg(dir.join(format!("{example}.yaml")))
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        driver_and_executor(&serde_json::from_slice(&o.stdout).unwrap())
    };
    let manifest_container = json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
        "runAsGroup": 185, "runAsNonRoot": true, "runAsUser": 185,
        "seccompProfile": {"type": "RuntimeDefault"}});
    let (driver, executor) = run("spark-pi", &[]);
    for (pod, spark) in [
        (&driver, "spark-kubernetes-driver"),
        (&executor, "spark-kubernetes-executor"),
    ] {
        assert_eq!(
            pod["spec"]["securityContext"],
            json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})
        );
        let c = &pod["spec"]["containers"][0];
        assert_eq!(c["name"], spark);
        assert_eq!(c["securityContext"], manifest_container);
    }
    let manifest_pod = json!({"runAsGroup": 185, "runAsUser": 185, "runAsNonRoot": true,
                              "seccompProfile": {"type": "RuntimeDefault"}});
    let (driver, executor) = run("spark-pi-pod-template", &[]);
    for pod in [&driver, &executor] {
        assert_eq!(pod["spec"]["securityContext"], manifest_pod);
        assert_eq!(
            pod["spec"]["containers"][0]["securityContext"],
            json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}})
        );
    }
    let (driver, executor) = run("spark-pi-pod-template", &["--pod-security", "none"]);
    for pod in [&driver, &executor] {
        assert_eq!(pod["spec"]["securityContext"], manifest_pod);
        assert!(
            pod["spec"]["containers"][0]
                .get("securityContext")
                .is_none(),
            "{pod}"
        );
    }
    // A default below the minimum is a mistake in the settings.
    let o = Command::new(env!("CARGO_BIN_EXE_sparkplane"))
        .args([
            "render",
            "--pod-security",
            "none",
            "--pod-security-minimum",
            "baseline",
            "-f",
        ])
        .arg(dir.join("spark-pi.yaml"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim_end(),
        "error: --pod-security: expected a level of at least --pod-security-minimum \"baseline\", got \"none\""
    );
}

/// `render` prints a SparkCluster's objects as the operator applies them (the Secret, which
/// the operator generates, is named and not shown), and they pass the official schemas.
#[test]
fn a_spark_cluster_renders_its_objects() {
    let validator = kubernetes_validate();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/cluster.yaml");
    let o = Command::new(env!("CARGO_BIN_EXE_sparkplane"))
        .args(["render", "-o", "json", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("the Secret demo-auth (RPC authentication) is generated by the operator"),
        "{stderr}"
    );
    let rendered: Value = serde_json::from_slice(&o.stdout).unwrap();
    let items = rendered["items"].as_array().unwrap();
    let kinds: Vec<String> = items
        .iter()
        .map(|o| {
            format!(
                "{} {}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "ConfigMap demo-conf",
            "Service demo-master",
            "Deployment demo-master",
            "Service demo-workers",
            "StatefulSet demo-worker"
        ]
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("\"kind\": \"Secret\""));
    let out = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = items
        .iter()
        .enumerate()
        .map(|(i, obj)| {
            let p = out.path().join(format!("cluster-{i}.json"));
            std::fs::write(&p, obj.to_string()).unwrap();
            p
        })
        .collect();
    schemas_accept(&validator, &files);
}
