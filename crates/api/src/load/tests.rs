use super::*;

const PI: &str = r#"
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: spark-pi
  namespace: default
spec:
  type: Scala
  mode: cluster
  image: spark:4.0.1
  imagePullPolicy: IfNotPresent
  mainClass: org.apache.spark.examples.SparkPi
  mainApplicationFile: local:///opt/spark/examples/jars/spark-examples.jar
  arguments: ["1000"]
  sparkVersion: "4.0.1"
  sparkConf:
    spark.eventLog.enabled: "true"
  hadoopConf:
    fs.s3a.path.style.access: "true"
  restartPolicy:
    type: OnFailure
    onFailureRetries: 3
    onFailureRetryInterval: 10
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
    volumeMounts:
      - name: test-volume
        mountPath: /tmp
    securityContext:
      runAsNonRoot: true
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
  executor:
    cores: 1
    instances: 1
    memory: 512m
    envVars:
      A: b
    tolerations:
      - key: dedicated
        operator: Equal
        value: spark
        effect: NoSchedule
"#;

fn errors(text: &str) -> Vec<(String, String)> {
    match parse_documents("m.yaml", text) {
        Ok(_) => Vec::new(),
        Err(ps) => ps
            .into_iter()
            .filter(Problem::is_error)
            .map(|p| (p.path, p.message))
            .collect(),
    }
}

#[test]
fn a_realistic_application_parses() {
    let (ms, warnings) = parse_documents("m.yaml", PI).expect("valid");
    assert!(warnings.is_empty(), "{warnings:?}");
    let Manifest::SparkApplication(app) = &ms[0].manifest else {
        panic!("kind")
    };
    assert_eq!(app.metadata.name.as_deref(), Some("spark-pi"));
    assert_eq!(app.spec.driver.memory.as_deref(), Some("512m"));
    assert_eq!(app.spec.executor.instances, Some(1));
    assert_eq!(
        app.spec.volumes[0]
            .host_path
            .as_ref()
            .map(|h| h.path.as_str()),
        Some("/tmp")
    );
    assert_eq!(
        app.spec.executor.env_vars.get("A").map(String::as_str),
        Some("b")
    );
    // Round trip: serializing and parsing again gives the same value.
    let json = serde_json::to_string(app.as_ref()).unwrap();
    let (again, _) = parse_documents("m.json", &json).expect("round trip");
    assert_eq!(again[0].manifest, ms[0].manifest);
}

#[test]
fn bad_documents_name_the_field() {
    let app = |extra: &str| format!("{PI}{extra}");
    let cases: Vec<(String, &str, &str)> = vec![
        (
            "apiVersion: v1\nkind: [oops\n".into(),
            "",
            "malformed YAML at line",
        ),
        (
            "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkJob\n".into(),
            "kind",
            "expected one of SparkApplication",
        ),
        (
            "apiVersion: sparkplane.io/v1alpha1\nkind: SparkApplication\n".into(),
            "apiVersion",
            "expected \"sparkoperator.k8s.io/v1beta2\"",
        ),
        (
            "kind: SparkApplication\n".into(),
            "apiVersion",
            "required field is missing",
        ),
        (app("  bogus: 1\n"), "spec.bogus", "unknown field"),
        (
            PI.replace("      hostPath:", "      hostPathh:"),
            "spec.volumes[0].hostPathh",
            "unknown field",
        ),
        (
            PI.replace(
                "        drop: [ALL]",
                "        drop: [ALL]\n        dropp: [x]",
            ),
            "spec.driver.securityContext.capabilities.dropp",
            "unknown field",
        ),
        (
            PI.replace("  sparkVersion: \"4.0.1\"\n", ""),
            "spec.sparkVersion",
            "required field is missing",
        ),
        (
            PI.replace("type: Scala", "type: Rust"),
            "spec.type",
            "expected one of Java, Python, Scala, R, got \"Rust\"",
        ),
        (
            PI.replace("    instances: 1", "    instances: many"),
            "spec.executor.instances",
            "expected an integer",
        ),
        ("\n# only a comment\n".into(), "", "holds no manifest"),
        ("".into(), "", "holds no manifest"),
        ("- a\n- b\n".into(), "", "expected a mapping"),
    ];
    for (text, path, fragment) in cases {
        let errs = errors(&text);
        assert!(
            errs.iter().any(|(p, m)| p == path && m.contains(fragment)),
            "want {path:?} ~ {fragment:?}, got {errs:?}"
        );
    }
}

#[test]
fn every_document_is_checked_and_numbered() {
    let text = format!(
        "{PI}---\n{}---\n",
        PI.replace("name: spark-pi", "name: Bad_Name")
            .replace("memory: 512m\n    labels", "memory: lots\n    labels")
    );
    let Err(ps) = parse_documents("m.yaml", &text) else {
        panic!("expected errors")
    };
    let errs: Vec<&Problem> = ps.iter().filter(|p| p.is_error()).collect();
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs.iter().all(|p| p.document == Some(1)));
    assert!(
        errs[0]
            .to_string()
            .starts_with("error: m.yaml (document 2): "),
        "{}",
        errs[0]
    );
}

#[test]
fn clusters_and_scheduled_applications_parse() {
    let text = "apiVersion: sparkplane.io/v1alpha1\nkind: SparkCluster\nmetadata:\n  name: demo\nspec:\n  workers:\n    replicas: 3\n    cores: 2\n    memory: 2g\n  recovery:\n    mode: FILESYSTEM\n---\napiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\nmetadata:\n  name: nightly\nspec:\n  schedule: \"@every 1h\"\n  concurrencyPolicy: Forbid\n  template:\n    type: Python\n    sparkVersion: \"3.5.9\"\n    mainApplicationFile: local:///job.py\n    driver: {}\n    executor: {instances: 2}\n";
    let (ms, _) = parse_documents("m.yaml", text).expect("valid");
    assert_eq!(ms.len(), 2);
    let Manifest::SparkCluster(c) = &ms[0].manifest else {
        panic!("kind")
    };
    assert_eq!(c.spec.workers.replicas, 3);
    assert_eq!(c.spec.workers.memory, "2g");
    // Unknown fields of the cluster kind are reported with their path.
    let errs = errors(&text.replace("    cores: 2", "    cores: 2\n    coress: 3"));
    assert!(
        errs.iter().any(|(p, _)| p == "spec.workers.coress"),
        "{errs:?}"
    );
}

#[test]
fn json_documents_work() {
    let json = r#"{"apiVersion":"sparkplane.io/v1alpha1","kind":"SparkCluster","metadata":{"name":"j"},"spec":{}}"#;
    let (ms, _) = parse_documents("c.json", json).expect("valid");
    assert_eq!(ms.len(), 1);
}

#[test]
fn crds_generate() {
    use kube::CustomResourceExt;
    for crd in [
        SparkApplication::crd(),
        ScheduledSparkApplication::crd(),
        SparkCluster::crd(),
    ] {
        let yaml = serde_yaml_ng::to_string(&crd).expect("yaml");
        assert!(
            yaml.contains("additionalPrinterColumns"),
            "{}",
            crd.spec.names.kind
        );
    }
    let sa = serde_json::to_string(&SparkApplication::crd()).unwrap();
    assert!(sa.contains(".status.applicationState.state"));
    assert!(sa.contains("sparkapp"));
}
