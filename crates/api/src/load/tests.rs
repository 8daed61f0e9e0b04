use super::*;
use crate::problem::Severity;

/// The shape of kubeflow's spark-pi example, with the parts the brief of every operator user
/// touches: volumes, env, labels, restart policy, dynamic allocation and monitoring.
const PI: &str = r#"
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: spark-pi
  namespace: default
  labels:
    team: analytics
spec:
  type: Scala
  mode: cluster
  image: docker.io/apache/spark:4.0.1
  imagePullPolicy: IfNotPresent
  mainClass: org.apache.spark.examples.SparkPi
  mainApplicationFile: local:///opt/spark/examples/jars/spark-examples.jar
  arguments:
  - "1000"
  sparkVersion: 4.0.1
  sparkConf:
    spark.eventLog.enabled: "true"
  hadoopConf:
    fs.s3a.path.style.access: "true"
  restartPolicy:
    type: OnFailure
    onFailureRetries: 3
    onFailureRetryInterval: 10
    onSubmissionFailureRetries: 5
    onSubmissionFailureRetryInterval: 20
  volumes:
    - name: test-volume
      hostPath:
        path: /tmp
        type: Directory
  dynamicAllocation:
    enabled: true
    initialExecutors: 1
    minExecutors: 1
    maxExecutors: 5
  monitoring:
    exposeDriverMetrics: true
    exposeExecutorMetrics: true
    prometheus:
      jmxExporterJar: /prometheus/jmx_prometheus_javaagent.jar
      port: 8090
  driver:
    cores: 1
    coreLimit: 1200m
    memory: 512m
    labels:
      version: 4.0.1
    serviceAccount: spark-operator-spark
    env:
      - name: FOO
        value: bar
      - name: TOKEN
        valueFrom:
          secretKeyRef: {name: creds, key: token}
    volumeMounts:
      - name: test-volume
        mountPath: /tmp
    securityContext:
      runAsNonRoot: true
      runAsUser: 185
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
      seccompProfile:
        type: RuntimeDefault
  executor:
    cores: 1
    instances: 1
    memory: 512m
    envVars:
      A: b
    volumeMounts:
      - name: test-volume
        mountPath: /tmp
    tolerations:
      - key: dedicated
        operator: Equal
        value: spark
        effect: NoSchedule
"#;

const CLUSTER: &str = r#"
apiVersion: sparkplane.io/v1alpha1
kind: SparkCluster
metadata:
  name: demo
spec:
  sparkVersion: "4.3.0"
  sparkConf:
    spark.eventLog.enabled: "true"
  master:
    port: 7077
    webUIPort: 8080
    memory: 1g
  workers:
    replicas: 3
    minReplicas: 1
    maxReplicas: 4
    cores: 2
    memory: 2g
    daemonMemory: 512m
    decommissionTimeoutSeconds: 120
  recovery:
    mode: FILESYSTEM
  historyServer:
    port: 18080
  security:
    authenticate: true
"#;

/// The problems of `text`, errors and warnings.
fn problems(text: &str) -> Vec<Problem> {
    match parse_documents("m.yaml", text) {
        Ok((_, warnings)) => warnings,
        Err(ps) => ps,
    }
}

/// The errors of `text` as (document, path, message).
fn errors(text: &str) -> Vec<(Option<usize>, String, String)> {
    problems(text)
        .into_iter()
        .filter(Problem::is_error)
        .map(|p| (p.document, p.path, p.message))
        .collect()
}

/// Asserts that `text` has exactly one error, at `path`, whose message contains `fragment`.
#[track_caller]
fn one_error(text: &str, path: &str, fragment: &str) {
    let errs = errors(text);
    assert!(
        errs.len() == 1 && errs[0].1 == path && errs[0].2.contains(fragment),
        "want one error at {path:?} ~ {fragment:?}, got {errs:#?}"
    );
}

#[test]
fn a_realistic_application_parses() {
    let (ms, warnings) = parse_documents("pi.yaml", PI).expect("valid");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        (ms.len(), ms[0].document, ms[0].source.as_str()),
        (1, 0, "pi.yaml")
    );
    let Manifest::SparkApplication(app) = &ms[0].manifest else {
        panic!("kind {}", ms[0].manifest.kind())
    };
    assert_eq!(ms[0].manifest.name(), Some("spark-pi"));
    let s = &app.spec;
    assert_eq!(s.spark_version, "4.0.1");
    assert_eq!(s.driver.memory.as_deref(), Some("512m"));
    assert_eq!(s.driver.core_limit.as_deref(), Some("1200m"));
    assert_eq!(s.executor.instances, Some(1));
    assert_eq!(
        s.restart_policy.on_submission_failure_retry_interval,
        Some(20)
    );
    assert_eq!(
        s.dynamic_allocation.as_ref().and_then(|d| d.max_executors),
        Some(5)
    );
    assert_eq!(
        s.monitoring
            .as_ref()
            .and_then(|m| m.prometheus.as_ref())
            .and_then(|p| p.port),
        Some(8090)
    );
    let host = s.volumes[0].host_path.as_ref().map(|h| h.path.as_str());
    assert_eq!(host, Some("/tmp"));
    assert_eq!(s.driver.env[1].name, "TOKEN");
    assert_eq!(s.executor.env_vars.get("A").map(String::as_str), Some("b"));
    assert_eq!(s.executor.tolerations[0].key.as_deref(), Some("dedicated"));
    // Round trip: serializing and parsing again gives the same value.
    let json = serde_json::to_string(app.as_ref()).unwrap();
    let (again, _) = parse_documents("pi.json", &json).expect("round trip");
    assert_eq!(again[0].manifest, ms[0].manifest);
}

#[test]
fn a_cluster_parses() {
    let (ms, warnings) = parse_documents("c.yaml", CLUSTER).expect("valid");
    assert!(warnings.is_empty(), "{warnings:?}");
    let Manifest::SparkCluster(c) = &ms[0].manifest else {
        panic!("kind {}", ms[0].manifest.kind())
    };
    assert_eq!((c.spec.workers.replicas, c.spec.workers.cores), (3, 2));
    assert_eq!(c.spec.workers.memory, "2g");
    assert_eq!(c.spec.master.port, Some(7077));
    assert_eq!(
        c.spec.history_server.as_ref().map(|h| h.enabled),
        Some(true)
    );
}

#[test]
fn a_scheduled_application_parses() {
    let text = "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\nmetadata:\n  name: nightly\nspec:\n  schedule: \"@every 1h30m\"\n  timeZone: Europe/Paris\n  concurrencyPolicy: Forbid\n  successfulRunHistoryLimit: 3\n  template:\n    type: Python\n    pythonVersion: \"3\"\n    sparkVersion: \"3.5.9\"\n    mainApplicationFile: local:///job.py\n    driver: {}\n    executor: {instances: 2}\n";
    let (ms, _) = parse_documents("s.yaml", text).expect("valid");
    let Manifest::ScheduledSparkApplication(s) = &ms[0].manifest else {
        panic!("kind {}", ms[0].manifest.kind())
    };
    assert_eq!(s.spec.schedule, "@every 1h30m");
    assert_eq!(s.spec.template.executor.instances, Some(2));
}

#[test]
fn json_documents_work() {
    let json = r#"{"apiVersion":"sparkplane.io/v1alpha1","kind":"SparkCluster","metadata":{"name":"j"},"spec":{"workers":{"replicas":1}}}"#;
    let (ms, _) = parse_documents("c.json", json).expect("valid");
    assert_eq!(ms[0].manifest.name(), Some("j"));
}

#[test]
fn malformed_yaml() {
    let ps = problems("apiVersion: v1\nkind: [oops\n");
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!((ps[0].document, ps[0].path.as_str()), (Some(0), ""));
    assert!(
        ps[0]
            .message
            .starts_with("malformed YAML at line 3, column 1: "),
        "{}",
        ps[0].message
    );
    one_error(
        "a: 1\n  b: 2\n",
        "",
        "malformed YAML at line 2, column 4: mapping values are not allowed",
    );
}

#[test]
fn unknown_kind() {
    one_error(
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkJob\nmetadata: {name: x}\n",
        "kind",
        "expected one of SparkApplication, ScheduledSparkApplication (sparkoperator.k8s.io/v1beta2) or SparkCluster (sparkplane.io/v1alpha1), got \"SparkJob\"",
    );
}

#[test]
fn wrong_api_version() {
    one_error(
        &PI.replace("sparkoperator.k8s.io/v1beta2", "sparkoperator.k8s.io/v1beta1"),
        "apiVersion",
        "expected \"sparkoperator.k8s.io/v1beta2\" for kind SparkApplication, got \"sparkoperator.k8s.io/v1beta1\"",
    );
    one_error(
        &CLUSTER.replace("sparkplane.io/v1alpha1", "sparkoperator.k8s.io/v1beta2"),
        "apiVersion",
        "expected \"sparkplane.io/v1alpha1\" for kind SparkCluster",
    );
}

#[test]
fn missing_api_version_and_kind() {
    let errs = errors("metadata: {name: x}\n");
    let paths: Vec<&str> = errs.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(paths, ["apiVersion", "kind"]);
    assert!(errs.iter().all(|e| e.2 == "required field is missing"));
    one_error(
        "apiVersion: v1\nkind: 3\n",
        "kind",
        "expected a string, got number 3",
    );
    one_error(
        "- a\n- b\n",
        "",
        "expected a mapping with apiVersion and kind, got a list",
    );
}

#[test]
fn unknown_top_level_field() {
    one_error(
        &format!("{PI}specc: {{}}\n"),
        "specc",
        "unknown field (not part of the SparkApplication API)",
    );
    one_error(
        &format!("{PI}  bogus: 1\n"),
        "spec.bogus",
        "unknown field (not part of the SparkApplication API)",
    );
}

#[test]
fn unknown_field_nested_in_kubernetes_types() {
    // k8s-openapi itself ignores unknown fields; they must still be reported.
    let cases = [
        (
            PI.replace("      hostPath:", "      bogus: 1\n      hostPath:"),
            "spec.volumes[0].bogus",
        ),
        (
            PI.replace("        type: Directory", "        typ: Directory"),
            "spec.volumes[0].hostPath.typ",
        ),
        (
            PI.replace(
                "        drop: [ALL]",
                "        drop: [ALL]\n        dropp: [x]",
            ),
            "spec.driver.securityContext.capabilities.dropp",
        ),
        (
            PI.replace("        effect: NoSchedule", "        effects: NoSchedule"),
            "spec.executor.tolerations[0].effects",
        ),
        (
            PI.replace("  labels:\n    team", "  labelz:\n    team"),
            "metadata.labelz",
        ),
    ];
    for (text, path) in cases {
        one_error(
            &text,
            path,
            "unknown field (not part of the SparkApplication API)",
        );
    }
    let cluster = CLUSTER.replace("    cores: 2", "    cores: 2\n    coress: 3");
    one_error(
        &cluster,
        "spec.workers.coress",
        "not part of the SparkCluster API",
    );
}

#[test]
fn unknown_field_in_a_pod_template_is_a_warning() {
    let text = PI.replace(
        "    cores: 1\n    instances: 1",
        "    template:\n      spec:\n        securityContext:\n          capabilities: {drop: [ALL]}\n    cores: 1\n    instances: 1",
    );
    let (_, warnings) = parse_documents("m.yaml", &text).expect("only a warning");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        warnings[0].path,
        "spec.executor.template.spec.securityContext.capabilities"
    );
    assert!(warnings[0].message.contains("no effect"), "{}", warnings[0]);
}

#[test]
fn missing_required_field() {
    one_error(
        &PI.replace("  sparkVersion: 4.0.1\n", ""),
        "spec.sparkVersion",
        "required field is missing",
    );
    let no_driver = PI.replace("  driver:\n", "  driverNot:\n");
    let errs = errors(&no_driver);
    assert!(
        errs.iter()
            .any(|e| e.1 == "spec.driver" && e.2 == "required field is missing"),
        "{errs:?}"
    );
    one_error(
        &PI.replace(
            "      jmxExporterJar: /prometheus/jmx_prometheus_javaagent.jar\n",
            "",
        ),
        "spec.monitoring.prometheus.jmxExporterJar",
        "required field is missing",
    );
}

#[test]
fn negative_instances() {
    one_error(
        &PI.replace("instances: 1", "instances: -1"),
        "spec.executor.instances",
        "expected an integer >= 1, got -1",
    );
}

#[test]
fn impossible_memory() {
    for bad in ["lots", "-1g", "1.5g", "\"0\"", "12zb", "1Gi"] {
        let text = PI.replacen(
            "    memory: 512m\n    labels",
            &format!("    memory: {bad}\n    labels"),
            1,
        );
        one_error(&text, "spec.driver.memory", "Spark memory size");
    }
}

#[test]
fn wrong_types() {
    let cases = [
        (
            PI.replace("instances: 1", "instances: many"),
            "spec.executor.instances",
            "expected an integer, got string \"many\"",
        ),
        (
            PI.replace("instances: 1", "instances: 1.5"),
            "spec.executor.instances",
            "expected an integer, got decimal number 1.5",
        ),
        (
            PI.replace("instances: 1", "instances: 3000000000"),
            "spec.executor.instances",
            "expected an integer from -2147483648 to 2147483647, got integer 3000000000",
        ),
        (
            PI.replace(
                "    spark.eventLog.enabled: \"true\"",
                "    spark.eventLog.enabled: true",
            ),
            "spec.sparkConf.spark.eventLog.enabled",
            "expected a string, got boolean true (quote it: \"true\")",
        ),
        (
            PI.replace("  arguments:\n  - \"1000\"", "  arguments: \"1000\""),
            "spec.arguments",
            "expected a list, got string \"1000\"",
        ),
        (
            PI.replace("        value: bar", "        value: 3"),
            "spec.driver.env[0].value",
            "(quote it: \"3\")",
        ),
        (
            PI.replace("  type: Scala", "  type: Scala\n  pythonVersion: 3"),
            "spec.pythonVersion",
            "expected a string, got integer 3",
        ),
    ];
    for (text, path, fragment) in cases {
        one_error(&text, path, fragment);
    }
}

#[test]
fn invalid_enum_value() {
    let cases = [
        (
            PI.replace("type: Scala", "type: Rust"),
            "spec.type",
            "expected one of Java, Python, Scala, R, got \"Rust\"",
        ),
        (
            PI.replace("mode: cluster", "mode: local"),
            "spec.mode",
            "expected one of cluster, client, in-cluster-client, got \"local\"",
        ),
        (
            PI.replace("type: OnFailure", "type: Sometimes"),
            "spec.restartPolicy.type",
            "expected one of Never, OnFailure, Always, got \"Sometimes\"",
        ),
        (
            PI.replace("  type: Scala", "  type: Scala\n  pythonVersion: \"4\""),
            "spec.pythonVersion",
            "expected one of 2, 3, got \"4\"",
        ),
    ];
    for (text, path, fragment) in cases {
        one_error(&text, path, fragment);
    }
}

#[test]
fn invalid_name() {
    one_error(&PI.replace("name: spark-pi", "name: Spark_Pi"), "metadata.name", "expected a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters, got \"Spark_Pi\"");
}

#[test]
fn min_greater_than_max_executors() {
    one_error(
        &PI.replace("minExecutors: 1", "minExecutors: 5")
            .replace("maxExecutors: 5", "maxExecutors: 2")
            .replace("initialExecutors: 1", "initialExecutors: 2"),
        "spec.dynamicAllocation.minExecutors",
        "expected at most maxExecutors (2), got 5",
    );
}

#[test]
fn duplicate_keys() {
    let text = PI.replace("  driver:\n", "  executor: {}\n  driver:\n");
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].1, "spec.executor");
    assert!(errs[0].2.starts_with("duplicate key"), "{}", errs[0].2);
}

#[test]
fn empty_files() {
    for text in ["", "\n# only a comment\n", "---\n", "---\n---\n"] {
        let ps = problems(text);
        assert_eq!(ps.len(), 1, "{text:?}: {ps:?}");
        assert_eq!((ps[0].document, ps[0].path.as_str()), (None, ""));
        assert_eq!(
            ps[0].message,
            "the file holds no manifest (expected at least one YAML or JSON document)"
        );
        assert_eq!(ps[0].to_string(), "error: m.yaml: the file holds no manifest (expected at least one YAML or JSON document)");
    }
}

#[test]
fn multi_document_file_with_one_bad_document() {
    let bad = PI.replace("name: spark-pi", "name: Bad_Name").replacen(
        "memory: 512m\n    labels",
        "memory: lots\n    labels",
        1,
    );
    let text = format!("{PI}---\n{bad}---\n{CLUSTER}---\n");
    let Err(ps) = parse_documents("m.yaml", &text) else {
        panic!("expected errors")
    };
    let errs: Vec<&Problem> = ps.iter().filter(|p| p.is_error()).collect();
    let found: Vec<(Option<usize>, &str)> =
        errs.iter().map(|p| (p.document, p.path.as_str())).collect();
    assert_eq!(
        found,
        [(Some(1), "metadata.name"), (Some(1), "spec.driver.memory")]
    );
    assert!(
        errs[0].to_string().starts_with(
            "error: m.yaml (document 2): metadata.name: expected a DNS-1123 subdomain"
        ),
        "{}",
        errs[0]
    );
    // The good documents alone load, each with its index.
    let (ms, _) = parse_documents("m.yaml", &format!("{PI}---\n{CLUSTER}")).expect("valid");
    let docs: Vec<(usize, &str)> = ms.iter().map(|m| (m.document, m.manifest.kind())).collect();
    assert_eq!(docs, [(0, "SparkApplication"), (1, "SparkCluster")]);
}

#[test]
fn a_syntax_error_after_good_documents_names_its_document() {
    let ps = problems(&format!("{CLUSTER}---\nkind: [\n"));
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!(ps[0].document, Some(1));
    assert!(
        ps[0].message.starts_with("malformed YAML at line"),
        "{}",
        ps[0]
    );
}

#[test]
fn warnings_do_not_fail_the_load() {
    let text = PI.replace(
        "    spark.eventLog.enabled: \"true\"",
        "    eventLog.enabled: \"true\"",
    );
    let (ms, warnings) = parse_documents("m.yaml", &text).expect("warnings only");
    assert_eq!(ms.len(), 1);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert_eq!(warnings[0].path, "spec.sparkConf.eventLog.enabled");
    // With an error as well, warnings are returned among the problems.
    let ps = problems(&text.replace("instances: 1", "instances: 0"));
    assert_eq!(ps.len(), 2, "{ps:?}");
}

#[test]
fn status_is_read_but_not_policed() {
    let text = format!("{PI}status:\n  applicationState:\n    state: RUNNING\n  executionAttempts: 1\n  someFutureField: x\n");
    let (ms, _) = parse_documents("m.yaml", &text).expect("valid");
    let Manifest::SparkApplication(app) = &ms[0].manifest else {
        panic!("kind")
    };
    let state = app.status.as_ref().map(|s| s.application_state.state);
    assert_eq!(state, Some(crate::v1beta2::ApplicationStateType::Running));
}

#[test]
fn crds_generate_with_kubeflow_printer_columns() {
    use kube::CustomResourceExt;
    let cases = [
        (
            serde_json::to_value(SparkApplication::crd()).unwrap(),
            "sparkapp",
            vec![
                ("Suspend", "boolean", ".spec.suspend"),
                ("Status", "string", ".status.applicationState.state"),
                ("Attempts", "string", ".status.executionAttempts"),
                ("Start", "string", ".status.lastSubmissionAttemptTime"),
                ("Finish", "string", ".status.terminationTime"),
                ("Age", "date", ".metadata.creationTimestamp"),
            ],
        ),
        (
            serde_json::to_value(ScheduledSparkApplication::crd()).unwrap(),
            "scheduledsparkapp",
            vec![
                ("Schedule", "string", ".spec.schedule"),
                ("TimeZone", "string", ".spec.timeZone"),
                ("Suspend", "string", ".spec.suspend"),
                ("Last Run", "date", ".status.lastRun"),
                ("Last Run Name", "string", ".status.lastRunName"),
                ("Age", "date", ".metadata.creationTimestamp"),
            ],
        ),
        (
            serde_json::to_value(SparkCluster::crd()).unwrap(),
            "sparkcluster",
            vec![
                ("Version", "string", ".spec.sparkVersion"),
                ("Workers", "integer", ".status.aliveWorkers"),
                ("Ready", "integer", ".status.readyWorkers"),
                ("Desired", "integer", ".spec.workers.replicas"),
                ("Master", "string", ".status.masterUrl"),
                ("State", "string", ".status.state"),
                ("Age", "date", ".metadata.creationTimestamp"),
            ],
        ),
    ];
    for (crd, short, want) in cases {
        serde_yaml_ng::to_string(&crd).expect("yaml");
        let version = &crd["spec"]["versions"][0];
        let columns: Vec<(&str, &str, &str)> = version["additionalPrinterColumns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| {
                let s = |k: &str| c[k].as_str().unwrap_or_default();
                (s("name"), s("type"), s("jsonPath"))
            })
            .collect();
        assert_eq!(columns, want, "{short}");
        assert_eq!(crd["spec"]["names"]["shortNames"][0], short);
    }
}

#[test]
fn the_application_crd_mirrors_kubeflow_schema() {
    use kube::CustomResourceExt;
    let crd = serde_json::to_value(SparkApplication::crd()).unwrap();
    assert_eq!(
        crd["metadata"]["annotations"]["api-approved.kubernetes.io"],
        "https://github.com/kubeflow/spark-operator/pull/1298"
    );
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let mut required: Vec<&str> = spec["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    required.sort();
    assert_eq!(
        required,
        [
            "driver",
            "executor",
            "mainApplicationFile",
            "sparkVersion",
            "type"
        ]
    );
    let p = &spec["properties"];
    assert_eq!(p["mode"]["enum"], serde_json::json!(["cluster", "client"]));
    assert_eq!(p["pythonVersion"]["enum"], serde_json::json!(["2", "3"]));
    // JSONSchemaProps holds bounds as floats.
    let bound = |v: &serde_json::Value| v.as_f64();
    assert_eq!(
        bound(&p["executor"]["properties"]["instances"]["minimum"]),
        Some(1.0)
    );
    assert_eq!(
        bound(&p["driver"]["properties"]["cores"]["minimum"]),
        Some(1.0)
    );
    let rp = &p["restartPolicy"]["properties"];
    assert_eq!(bound(&rp["onFailureRetries"]["minimum"]), Some(0.0));
    assert_eq!(bound(&rp["onFailureRetryInterval"]["minimum"]), Some(1.0));
    let port = &p["monitoring"]["properties"]["prometheus"]["properties"]["port"];
    assert_eq!(
        (bound(&port["minimum"]), bound(&port["maximum"])),
        (Some(1024.0), Some(49151.0))
    );
    let template = &p["driver"]["properties"]["template"];
    assert_eq!(template["x-kubernetes-preserve-unknown-fields"], true);
    assert_eq!(template["type"], "object");
    let ingress = &p["driverIngressOptions"]["items"]["required"];
    assert_eq!(
        ingress,
        &serde_json::json!(["servicePort", "servicePortName"])
    );
}
