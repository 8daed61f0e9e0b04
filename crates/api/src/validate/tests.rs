use crate::load::parse_documents;
use crate::problem::Problem;

const APP: &str = "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: pi\nspec:\n  type: Python\n  sparkVersion: \"4.3.0\"\n  mainApplicationFile: local:///pi.py\n  driver:\n    cores: 1\n    memory: 512m\n  executor:\n    cores: 1\n    instances: 2\n    memory: 512m\n";

const CLUSTER: &str = "apiVersion: sparkplane.io/v1alpha1\nkind: SparkCluster\nmetadata:\n  name: demo\nspec:\n  sparkVersion: \"4.3.0\"\n  workers:\n    replicas: 2\n    cores: 1\n    memory: 1g\n";

fn problems(text: &str) -> Vec<Problem> {
    match parse_documents("m.yaml", text) {
        Ok((_, warnings)) => warnings,
        Err(ps) => ps,
    }
}

/// (description, manifest, path, message fragment, is_error)
#[test]
fn rules() {
    let app_with = |spec_extra: &str| format!("{APP}{spec_extra}");
    let cluster_with = |from: &str, to: &str| CLUSTER.replace(from, to);
    let cases: Vec<(&str, String, &str, &str, bool)> = vec![
        ("bad name", APP.replace("name: pi", "name: Pi_Job"), "metadata.name", "DNS-1123 subdomain", true),
        ("bad namespace", APP.replace("name: pi", "name: pi\n  namespace: A.B"), "metadata.namespace", "DNS-1123 label", true),
        ("unsupported version", APP.replace("4.3.0", "2.4.8"), "spec.sparkVersion", "got \"2.4.8\"", true),
        ("empty main file", APP.replace("local:///pi.py", "\"\""), "spec.mainApplicationFile", "empty", true),
        ("driver cores", APP.replace("    cores: 1\n    memory: 512m\n  executor", "    cores: 0\n    memory: 512m\n  executor"), "spec.driver.cores", ">= 1, got 0", true),
        ("negative instances", APP.replace("instances: 2", "instances: -1"), "spec.executor.instances", ">= 1, got -1", true),
        ("impossible memory", APP.replace("    memory: 512m\n  executor", "    memory: lots\n  executor"), "spec.driver.memory", "got \"lots\"", true),
        ("kubernetes unit", APP.replace("instances: 2\n    memory: 512m", "instances: 2\n    memory: 1Gi"), "spec.executor.memory", "Gi", true),
        ("zero memory", APP.replace("instances: 2\n    memory: 512m", "instances: 2\n    memory: 0m"), "spec.executor.memory", "greater than zero", true),
        ("bad core limit", app_with("").replace("    cores: 1\n    memory: 512m\n  executor", "    cores: 1\n    coreLimit: lots\n    memory: 512m\n  executor"), "spec.driver.coreLimit", "CPU quantity", true),
        ("overhead factor", app_with("  memoryOverheadFactor: \"-0.1\"\n"), "spec.memoryOverheadFactor", "greater than zero", true),
        ("min > max executors", app_with("  dynamicAllocation:\n    enabled: true\n    minExecutors: 5\n    maxExecutors: 2\n"), "spec.dynamicAllocation.minExecutors", "at most maxExecutors (2), got 5", true),
        ("initial outside", app_with("  dynamicAllocation:\n    enabled: true\n    initialExecutors: 9\n    minExecutors: 1\n    maxExecutors: 2\n"), "spec.dynamicAllocation.initialExecutors", "got 9", true),
        ("negative retries", app_with("  restartPolicy:\n    type: OnFailure\n    onFailureRetries: -1\n"), "spec.restartPolicy.onFailureRetries", ">= 0", true),
        ("ttl", app_with("  timeToLiveSeconds: -5\n"), "spec.timeToLiveSeconds", ">= 0", true),
        ("prometheus port", app_with("  monitoring:\n    exposeDriverMetrics: true\n    exposeExecutorMetrics: true\n    prometheus:\n      jmxExporterJar: /j.jar\n      port: 80\n"), "spec.monitoring.prometheus.port", "1024 to 49151", true),
        ("ingress port required", app_with("  driverIngressOptions:\n    - servicePortName: x\n"), "spec.driverIngressOptions[0].servicePort", "required", true),
        ("non-spark conf key", app_with("  sparkConf:\n    foo.bar: x\n"), "spec.sparkConf.foo.bar", "spark.", false),
        ("doubled hadoop prefix", app_with("  hadoopConf:\n    spark.hadoop.fs.x: y\n"), "spec.hadoopConf.spark.hadoop.fs.x", "twice", false),
        ("cluster name", CLUSTER.replace("name: demo", "name: 1demo"), "metadata.name", "DNS-1035", true),
        ("cluster name length", CLUSTER.replace("name: demo", &format!("name: {}", "a".repeat(51))), "metadata.name", "at most 50", true),
        ("cluster version", CLUSTER.replace("4.3.0", "3.4.1"), "spec.sparkVersion", "supported", true),
        ("negative replicas", cluster_with("replicas: 2", "replicas: -1"), "spec.workers.replicas", ">= 0", true),
        ("worker cores", cluster_with("cores: 1", "cores: 0"), "spec.workers.cores", ">= 1", true),
        ("worker memory", cluster_with("memory: 1g", "memory: 1.5g"), "spec.workers.memory", "Spark memory size", true),
        ("min > max workers", cluster_with("cores: 1", "cores: 1\n    minReplicas: 3\n    maxReplicas: 2"), "spec.workers.minReplicas", "at most maxReplicas (2), got 3", true),
        ("replicas above max", cluster_with("cores: 1", "cores: 1\n    maxReplicas: 1"), "spec.workers.replicas", "at most maxReplicas (1), got 2", true),
        ("replicas below min", cluster_with("cores: 1", "cores: 1\n    minReplicas: 3\n    maxReplicas: 5"), "spec.workers.replicas", "between minReplicas (3) and maxReplicas (5), got 2", true),
        ("port range", cluster_with("  workers:", "  master:\n    port: 70000\n  workers:"), "spec.master.port", "", true),
        ("same ports", cluster_with("  workers:", "  master:\n    port: 7077\n    webUIPort: 7077\n  workers:"), "spec.master.webUIPort", "different", true),
        ("rocksdb on 3.5", CLUSTER.replace("4.3.0", "3.5.9").replace("  workers:", "  recovery:\n    mode: ROCKSDB\n  workers:"), "spec.recovery.mode", "ROCKSDB needs Spark 4.0", true),
        ("recovery enum", cluster_with("  workers:", "  recovery:\n    mode: ETCD\n  workers:"), "spec.recovery.mode", "expected one of NONE, FILESYSTEM, ROCKSDB", true),
        ("bad schedule", "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\nmetadata:\n  name: s\nspec:\n  schedule: \"61 * * * *\"\n  template:\n    type: Python\n    sparkVersion: \"4.3.0\"\n    mainApplicationFile: x.py\n    driver: {}\n    executor: {}\n".into(), "spec.schedule", "minute", true),
        ("template checked", "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\nmetadata:\n  name: s\nspec:\n  schedule: \"@daily\"\n  template:\n    type: Python\n    sparkVersion: \"4.3.0\"\n    mainApplicationFile: x.py\n    driver: {}\n    executor:\n      instances: 0\n".into(), "spec.template.executor.instances", ">= 1", true),
    ];
    for (what, text, path, fragment, is_error) in cases {
        let ps = problems(&text);
        assert!(
            ps.iter().any(|p| p.path == path
                && p.message.contains(fragment)
                && p.is_error() == is_error),
            "{what}: want {path:?} ~ {fragment:?} (error: {is_error}), got {ps:#?}"
        );
    }
}

#[test]
fn valid_manifests_have_no_problems() {
    for text in [APP, CLUSTER] {
        assert_eq!(problems(text), Vec::<Problem>::new());
    }
}
