//! The CRDs in `deploy/crds/` are what `sparkplane crd` generates from the types, and they
//! pass the official CustomResourceDefinition schema.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn checked_in_crds_match_the_types() {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sparkplane"))
        .args(["crd", "--out-dir"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut generated: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    generated.sort();
    let mut checked_in: Vec<String> = std::fs::read_dir(repo().join("deploy/crds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    checked_in.sort();
    assert_eq!(
        generated, checked_in,
        "deploy/crds/ has other files than `sparkplane crd` writes"
    );
    for f in &generated {
        let want = std::fs::read_to_string(out.path().join(f)).unwrap();
        let have = std::fs::read_to_string(repo().join("deploy/crds").join(f)).unwrap();
        assert!(
            want == have,
            "deploy/crds/{f} is out of date: regenerate with `sparkplane crd --out-dir deploy/crds`"
        );
    }
    // Printing gives the same documents.
    let o = Command::new(env!("CARGO_BIN_EXE_sparkplane"))
        .arg("crd")
        .output()
        .unwrap();
    let printed = String::from_utf8(o.stdout).unwrap();
    let joined: String = generated
        .iter()
        .map(|f| std::fs::read_to_string(out.path().join(f)).unwrap())
        .collect::<Vec<_>>()
        .join("");
    assert_eq!(printed.len(), joined.len());
}

#[test]
fn crds_pass_the_kubernetes_schema() {
    let validator = std::env::var_os("SPARKPLANE_KUBERNETES_VALIDATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("kubernetes-validate"));
    let files: Vec<PathBuf> = std::fs::read_dir(repo().join("deploy/crds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 3);
    let o = Command::new(&validator)
        .args(["--strict", "--quiet", "-k", "1.33.0"])
        .args(&files)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {}: {e}; run scripts/test.sh (installs kubernetes-validate) or \
                 `pip install kubernetes-validate`",
                validator.display()
            )
        });
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn the_helm_chart_carries_the_same_crds() {
    let chart = repo().join("deploy/helm/sparkplane-operator/crds");
    let mut names: Vec<_> = std::fs::read_dir(&chart)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        3,
        "the chart has other CRD files than deploy/crds"
    );
    for n in names {
        let a = std::fs::read(chart.join(&n)).unwrap();
        let b = std::fs::read(repo().join("deploy/crds").join(&n)).unwrap_or_default();
        assert!(
            a == b,
            "deploy/helm/sparkplane-operator/crds/{} differs from deploy/crds: copy it over",
            n.to_string_lossy()
        );
    }
}

#[test]
fn the_helm_chart_values_match_their_schema() {
    // kubernetes-validate's Python environment has jsonschema and PyYAML.
    let validator = std::env::var_os("SPARKPLANE_KUBERNETES_VALIDATE")
        .map(PathBuf::from)
        .expect("SPARKPLANE_KUBERNETES_VALIDATE names kubernetes-validate in its virtualenv (scripts/test.sh sets it)");
    let python = validator.with_file_name("python");
    let chart = repo().join("deploy/helm/sparkplane-operator");
    let check = |values: &str| {
        Command::new(&python)
            .args([
                "-c",
                "import json, sys, yaml, jsonschema\n\
                 schema = json.load(open(sys.argv[1]))\n\
                 values = yaml.safe_load(sys.argv[2])\n\
                 jsonschema.validate(values, schema)",
            ])
            .arg(chart.join("values.schema.json"))
            .arg(values)
            .output()
            .unwrap()
    };
    let values = std::fs::read_to_string(chart.join("values.yaml")).unwrap();
    let o = check(&values);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The schema refuses a misspelt key.
    let o = check(&values.replace("replicas: 1", "replica: 1"));
    assert!(
        !o.status.success(),
        "the values schema accepted a misspelt key"
    );
    // And a sparkConf key on the allow-list that the operator would refuse as a flag.
    let allow = |key: &str| {
        values.replace(
            "allowSparkConf: []",
            &format!("allowSparkConf: [\"{key}\"]"),
        )
    };
    let o = check(&allow("spark.master"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = check(&allow("spark.mastr"));
    assert!(
        !o.status.success(),
        "the values schema accepted spark.mastr"
    );
}

/// The chart's `controller.allowSparkConf` admits exactly the keys `--allow-spark-conf`
/// takes, so a value the schema passes never stops the operator at start.
#[test]
fn the_helm_chart_allows_the_spark_conf_keys_the_operator_does() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("deploy/helm/sparkplane-operator/values.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let mut chart: Vec<&str> = schema
        .pointer("/properties/controller/properties/allowSparkConf/items/enum")
        .and_then(serde_json::Value::as_array)
        .expect("controller.allowSparkConf in the values schema")
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    let mut operator: Vec<&str> = sparkplane_api::tenancy::refusable_keys().collect();
    chart.sort_unstable();
    operator.sort_unstable();
    assert_eq!(chart, operator);
    let template = std::fs::read_to_string(
        repo().join("deploy/helm/sparkplane-operator/templates/deployment.yaml"),
    )
    .unwrap();
    assert!(
        template.contains(
            "range .Values.controller.allowSparkConf }}\n            - --allow-spark-conf={{ . }}"
        ),
        "{template}"
    );
}
