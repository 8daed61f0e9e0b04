//! Bad input: each gets one line naming the file, the field path and the expectation, a
//! non-zero exit, and leaves nothing running.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

const APP_HEAD: &str = "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: pi\nspec:\n  type: Scala\n  mode: cluster\n  sparkVersion: \"4.3.0\"\n  mainClass: org.example.Pi\n  mainApplicationFile: local:///x.jar\n  driver:\n    cores: 1\n  executor:\n    instances: 1\n";

/// Runs `validate` on `content`, expects failure with exactly one error line containing every
/// fragment, and no process left.
fn refused(content: &str, fragments: &[&str]) {
    let env = env();
    let f = env.file("manifest.yaml", content);
    let out = env.run(&["validate", "-f", &f.display().to_string()]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line, got: {stderr}");
    let line = errors[0];
    assert!(
        line.contains(&f.display().to_string()),
        "no file name in: {line}"
    );
    for frag in fragments {
        assert!(line.contains(frag), "{frag:?} missing in: {line}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_no_processes(&env);
}

#[test]
fn malformed_yaml() {
    refused(
        "apiVersion: v1\nkind: [unclosed\n",
        &["malformed YAML", "line"],
    );
}

#[test]
fn unknown_kind() {
    refused(
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkJob\nmetadata:\n  name: x\n",
        &["kind:", "SparkJob", "SparkApplication"],
    );
}

#[test]
fn unknown_field() {
    refused(
        &format!("{APP_HEAD}  driverr:\n    cores: 1\n"),
        &["spec.driverr", "unknown field"],
    );
}

#[test]
fn unknown_field_inside_a_kubernetes_type() {
    refused(
        &format!("{APP_HEAD}  volumes:\n    - name: data\n      emptyDirr: {{}}\n"),
        &["spec.volumes[0].emptyDirr", "unknown field"],
    );
}

#[test]
fn missing_required_field() {
    refused(
        &APP_HEAD.replace("  sparkVersion: \"4.3.0\"\n", ""),
        &["spec.sparkVersion", "required"],
    );
}

#[test]
fn negative_instances() {
    refused(
        &APP_HEAD.replace("instances: 1", "instances: -1"),
        &["spec.executor.instances", "-1"],
    );
}

#[test]
fn impossible_memory_quantity() {
    refused(
        &APP_HEAD.replacen("    cores: 1\n", "    cores: 1\n    memory: 12zb\n", 1),
        &["spec.driver.memory", "12zb"],
    );
}

#[test]
fn invalid_enum_value() {
    refused(
        &APP_HEAD.replace("type: Scala", "type: Rust"),
        &["spec.type", "Rust", "Scala"],
    );
}

#[test]
fn invalid_name() {
    refused(
        &APP_HEAD.replace("name: pi", "name: Spark_Pi"),
        &["metadata.name", "Spark_Pi"],
    );
}

#[test]
fn min_greater_than_max_executors() {
    refused(
        &format!("{APP_HEAD}  dynamicAllocation:\n    enabled: true\n    minExecutors: 5\n    maxExecutors: 2\n"),
        &["spec.dynamicAllocation.minExecutors", "5"],
    );
}

/// The tenancy boundary: a sparkConf key that would take over the operator's service
/// account is refused by `validate`, naming the key and the field to use instead.
#[test]
fn spark_conf_key_past_the_tenancy_boundary() {
    refused(
        &format!("{APP_HEAD}  sparkConf:\n    spark.kubernetes.authenticate.driver.serviceAccountName: cluster-admin\n"),
        &[
            "spec.sparkConf[\"spark.kubernetes.authenticate.driver.serviceAccountName\"]: expected no such key",
            "set spec.driver.serviceAccount instead",
            "--allow-spark-conf spark.kubernetes.authenticate.driver.serviceAccountName",
        ],
    );
}

/// `--allow-spark-conf` admits its key in `validate` and `render` (as in the operator), and
/// the rendered driver runs as the service account the key names; the flag takes only keys
/// the boundary refuses, so a misspelt one is an error rather than an entry that never
/// matches.
#[test]
fn allow_spark_conf_admits_its_key_in_validate_and_render() {
    let key = "spark.kubernetes.authenticate.driver.serviceAccountName";
    let env = env();
    let f = env.file(
        "m.yaml",
        &format!("{APP_HEAD}  image: spark:4.3.0\n  sparkConf:\n    {key}: spark-admin\n"),
    );
    let f = f.display().to_string();
    for command in ["validate", "render"] {
        let out = env.run(&[command, "-f", &f]);
        let (_, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!("spec.sparkConf[\"{key}\"]")),
            "{stderr}"
        );
    }
    let out = env.ok(&["validate", "--allow-spark-conf", key, "-f", &f]);
    assert!(out.contains("is valid"), "{out}");
    let rendered = env.ok(&["render", "-o", "json", "--allow-spark-conf", key, "-f", &f]);
    let list: serde_json::Value = serde_json::from_str(&rendered).unwrap();
    let pod = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Pod")
        .unwrap();
    assert_eq!(pod["spec"]["serviceAccountName"], "spark-admin");
    let out = env.run(&["validate", "--allow-spark-conf", "spark.mastr", "-f", &f]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("expected one of the sparkConf keys the operator refuses")
            && stderr.contains("\"spark.mastr\""),
        "{stderr}"
    );
}

#[test]
fn empty_file() {
    refused("\n# nothing here\n", &["no manifest"]);
}

#[test]
fn every_problem_of_a_file_is_reported() {
    let env = env();
    let f = env.file(
        "m.yaml",
        &format!(
            "{}---\n{}",
            APP_HEAD
                .replacen("    cores: 1\n", "    cores: 1\n    memory: lots\n", 1)
                .replace("instances: 1", "instances: -2"),
            APP_HEAD.replace("name: pi", "name: Bad_Name")
        ),
    );
    let out = env.run(&["validate", "-f", &f.display().to_string()]);
    let (_, stderr) = outputs(&out);
    assert_eq!(out.status.code(), Some(2));
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 3, "{stderr}");
    assert!(
        errors
            .iter()
            .any(|l| l.contains("(document 2)") && l.contains("metadata.name")),
        "{stderr}"
    );
}

#[test]
fn valid_examples_validate() {
    let env = env();
    // The word counts read files of this machine: they run on the local runtime only.
    let mut args = vec!["validate".to_string(), "--target".into(), "local".into()];
    for f in [
        "cluster.yaml",
        "spark-pi.yaml",
        "wordcount-python.yaml",
        "wordcount-scala.yaml",
    ] {
        args.push("-f".into());
        args.push(example(f).display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env.ok(&args);
    assert_eq!(
        out.lines().filter(|l| l.contains("is valid")).count(),
        4,
        "{out}"
    );
    let both = ["cluster.yaml", "spark-pi.yaml"].map(|f| example(f).display().to_string());
    let out = env.ok(&["validate", "-f", &both[0], "-f", &both[1]]);
    assert_eq!(
        out.lines().filter(|l| l.contains("is valid")).count(),
        2,
        "{out}"
    );
}

/// `cluster up` refusals: they must fail before starting anything.
fn up_refused(
    env: &TestEnv,
    manifest: &str,
    fragments: &[&str],
    configure: impl FnOnce(&mut std::process::Command),
) {
    let f = env.file("cluster.yaml", manifest);
    let mut cmd = env.cmd(&[
        "cluster",
        "up",
        "-f",
        &f.display().to_string(),
        "--timeout",
        "60",
    ]);
    configure(&mut cmd);
    let out = cmd.output().expect("run");
    let (_, stderr) = outputs(&out);
    assert!(!out.status.success(), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line: {stderr}");
    for frag in fragments {
        assert!(
            errors[0].contains(frag),
            "{frag:?} missing in: {}",
            errors[0]
        );
    }
    assert_no_processes(env);
}

#[test]
fn spark_version_not_installed() {
    let env = env();
    // A Spark directory of its own: the shared one may hold any release of any line (a
    // machine that recorded conformance has all five), and a release of the wanted line would
    // be used in its place.
    let spark_dir = tempfile::tempdir().expect("tempdir");
    up_refused(
        &env,
        &cluster_yaml("c1", "4.0.0", 1, ""),
        &[
            "spec.sparkVersion",
            "4.0.0",
            "not installed",
            "sparkplane spark install",
        ],
        |cmd| {
            cmd.env("SPARKPLANE_SPARK_DIR", spark_dir.path());
        },
    );
}

#[test]
fn port_already_taken() {
    let env = env();
    let _home = spark_home(TEST_SPARK_VERSION);
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = taken.local_addr().expect("addr").port();
    up_refused(
        &env,
        &cluster_yaml(
            "c2",
            TEST_SPARK_VERSION,
            1,
            &format!("  master:\n    port: {port}\n"),
        ),
        &["spec.master.port", &port.to_string(), "in use"],
        |_| {},
    );
}

#[test]
fn no_java() {
    let env = env();
    let _home = spark_home(TEST_SPARK_VERSION);
    up_refused(
        &env,
        &cluster_yaml("c3", TEST_SPARK_VERSION, 1, ""),
        &["Java", "install"],
        |cmd| {
            cmd.env("PATH", "/nonexistent").env_remove("JAVA_HOME");
        },
    );
}

#[test]
fn invalid_cluster_manifest_starts_nothing() {
    let env = env();
    up_refused(
        &env,
        &cluster_yaml("c4", TEST_SPARK_VERSION, 2, "")
            .replace("    cores: 1\n", "    cores: 1\n    maxReplicas: 1\n"),
        &["spec.workers.replicas", "maxReplicas"],
        |_| {},
    );
}

/// `validate` passes only what every target runs: a manifest the local runtime runs but
/// Kubernetes cannot (client mode, a file of this machine) is refused, saying that it is
/// Kubernetes' refusal, unless `--target local` asks about the local runtime only.
#[test]
fn validate_refuses_what_render_and_the_operator_would() {
    let env = env();
    let cases = [
        (
            APP_HEAD.replace("mode: cluster", "mode: client"),
            "spec.mode",
        ),
        (
            APP_HEAD.replace("local:///x.jar", "jobs/app.jar"),
            "spec.mainApplicationFile",
        ),
    ];
    for (i, (manifest, path)) in cases.iter().enumerate() {
        let f = env.file(
            &format!("m{i}.yaml"),
            &format!("{manifest}  image: spark:4.3.0\n"),
        );
        let f = f.display().to_string();
        for target in [None, Some("kubernetes"), Some("both")] {
            let mut args = vec!["validate", "-f", &f];
            if let Some(t) = target {
                args.extend(["--target", t]);
            }
            let out = env.run(&args);
            let (stdout, stderr) = outputs(&out);
            assert_eq!(out.status.code(), Some(2), "{target:?}: {stdout}{stderr}");
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(errors.len(), 1, "{stderr}");
            assert!(
                errors[0].starts_with(&format!("error: {f}: {path}: "))
                    && errors[0].ends_with("(on Kubernetes: `render` and the operator refuse it)"),
                "{stderr}"
            );
            assert!(!stdout.contains("is valid"), "{stdout}");
        }
        let out = env.ok(&["validate", "--target", "local", "-f", &f]);
        assert!(out.contains("is valid"), "{out}");
        // render says the same, in the same words.
        let out = env.run(&["render", "-f", &f]);
        let (_, stderr) = outputs(&out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&format!("{path}: ")), "{stderr}");
    }
}
