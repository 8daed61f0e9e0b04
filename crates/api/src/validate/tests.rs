use crate::load::parse_documents;
use crate::problem::{Problem, Severity};

const APP: &str = "apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: pi
  namespace: default
spec:
  type: Python
  sparkVersion: \"4.3.0\"
  mainApplicationFile: local:///pi.py
  driver:
    cores: 1
    memory: 512m
  executor:
    cores: 1
    instances: 2
    memory: 512m
";

const SCHEDULED: &str = "apiVersion: sparkoperator.k8s.io/v1beta2
kind: ScheduledSparkApplication
metadata:
  name: nightly
spec:
  schedule: \"0 3 * * *\"
  template:
    type: Python
    sparkVersion: \"4.3.0\"
    mainApplicationFile: local:///job.py
    driver: {}
    executor:
      instances: 1
";

const CLUSTER: &str = "apiVersion: sparkplane.io/v1alpha1
kind: SparkCluster
metadata:
  name: demo
spec:
  sparkVersion: \"4.3.0\"
  workers:
    replicas: 2
    cores: 1
    memory: 1g
";

fn problems(text: &str) -> Vec<Problem> {
    match parse_documents("m.yaml", text) {
        Ok((_, warnings)) => warnings,
        Err(ps) => ps,
    }
}

/// `APP` with `extra` appended to its spec.
fn app(extra: &str) -> String {
    format!("{APP}{extra}")
}

/// `APP` with `extra` lines added to the driver (or executor) block.
fn driver(extra: &str) -> String {
    APP.replace("  driver:\n", &format!("  driver:\n{extra}"))
}

fn executor(extra: &str) -> String {
    APP.replace("  executor:\n", &format!("  executor:\n{extra}"))
}

fn cluster(from: &str, to: &str) -> String {
    assert!(CLUSTER.contains(from), "{from}");
    CLUSTER.replacen(from, to, 1)
}

fn scheduled(from: &str, to: &str) -> String {
    assert!(SCHEDULED.contains(from), "{from}");
    SCHEDULED.replacen(from, to, 1)
}

const E: Severity = Severity::Error;
const W: Severity = Severity::Warning;

/// One row per rule: (rule, manifest, path, message fragment, severity). Each manifest
/// breaks exactly one rule, so the row also asserts that nothing else is reported as an
/// error (and, for warnings, that the manifest stays valid).
#[test]
fn rules() {
    let mib = "a".repeat(51);
    #[rustfmt::skip]
    let cases: Vec<(&str, String, &str, &str, Severity)> = vec![
        // Names and namespaces.
        ("name not a subdomain", APP.replace("name: pi", "name: Pi_Job"), "metadata.name", "expected a DNS-1123 subdomain", E),
        ("name that cannot name a Service", APP.replace("name: pi", "name: 9lives"), "metadata.name", "expected a DNS-1035 label", E),
        ("name with a dot", APP.replace("name: pi", "name: pi.v2"), "metadata.name", "the application's Services are named after it", E),
        ("name missing", APP.replace("  name: pi\n", ""), "metadata.name", "required field is missing", E),
        ("namespace", APP.replace("namespace: default", "namespace: A.B"), "metadata.namespace", "expected a DNS-1123 label", E),
        // Version, main file, enums the types cannot express.
        ("unsupported version", APP.replace("4.3.0", "2.4.8"), "spec.sparkVersion", "expected a supported Spark version (3.5.x or 4.0.x to 4.3.x), got \"2.4.8\"", E),
        ("malformed version", APP.replace("\"4.3.0\"", "\"4.3\""), "spec.sparkVersion", "got \"4.3\"", E),
        ("main file missing", APP.replace("  mainApplicationFile: local:///pi.py\n", ""), "spec.mainApplicationFile", "required field is missing", E),
        ("main file empty", APP.replace("local:///pi.py", "\"\""), "spec.mainApplicationFile", "got an empty string", E),
        ("in-cluster-client", app("  mode: in-cluster-client\n"), "spec.mode", "expected one of cluster, client", E),
        ("pull policy", app("  imagePullPolicy: Sometimes\n"), "spec.imagePullPolicy", "expected one of Always, IfNotPresent, Never, got \"Sometimes\"", E),
        // Cores, instances, memory, CPU.
        ("driver cores", APP.replace("    cores: 1\n    memory: 512m\n  executor", "    cores: 0\n    memory: 512m\n  executor"), "spec.driver.cores", "expected an integer >= 1, got 0", E),
        ("executor cores", executor("    cores: -1\n").replace("    cores: 1\n    instances", "    instances"), "spec.executor.cores", "expected an integer >= 1, got -1", E),
        ("negative instances", APP.replace("instances: 2", "instances: -1"), "spec.executor.instances", "expected an integer >= 1, got -1", E),
        ("zero instances", APP.replace("instances: 2", "instances: 0"), "spec.executor.instances", "expected an integer >= 1, got 0", E),
        ("impossible memory", APP.replacen("memory: 512m", "memory: lots", 1), "spec.driver.memory", "expected a Spark memory size such as 512m or 2g (a whole number with an optional b, k, m, g, t or p suffix), got \"lots\"", E),
        ("kubernetes unit", APP.replace("instances: 2\n    memory: 512m", "instances: 2\n    memory: 1Gi"), "spec.executor.memory", "not Kubernetes units like Gi", E),
        ("decimal memory", APP.replace("instances: 2\n    memory: 512m", "instances: 2\n    memory: 1.5g"), "spec.executor.memory", "whole numbers", E),
        ("negative memory", APP.replace("instances: 2\n    memory: 512m", "instances: 2\n    memory: -1g"), "spec.executor.memory", "cannot be negative", E),
        ("zero memory", APP.replace("instances: 2\n    memory: 512m", "instances: 2\n    memory: \"0\""), "spec.executor.memory", "at least 1m, got \"0\"", E),
        ("memory overhead", executor("    memoryOverhead: 1Gi\n"), "spec.executor.memoryOverhead", "Gi", E),
        ("memory limit", driver("    memoryLimit: lots\n"), "spec.driver.memoryLimit", "expected a memory limit", E),
        ("core limit", driver("    coreLimit: lots\n"), "spec.driver.coreLimit", "expected a Kubernetes CPU quantity", E),
        ("core request zero", executor("    coreRequest: \"0\"\n"), "spec.executor.coreRequest", "greater than zero", E),
        ("overhead factor", app("  memoryOverheadFactor: \"-0.1\"\n"), "spec.memoryOverheadFactor", "expected a decimal number greater than zero, got \"-0.1\"", E),
        ("gpu quantity", driver("    gpu: {name: nvidia.com/gpu, quantity: -1}\n"), "spec.driver.gpu.quantity", ">= 0, got -1", E),
        ("grace period", executor("    terminationGracePeriodSeconds: -1\n"), "spec.executor.terminationGracePeriodSeconds", ">= 0", E),
        ("driver -Xmx suffix", APP.replacen("memory: 512m", "memory: 1gb", 1), "spec.driver.memory", "started with -Xmx1gb, and Java refuses the gb suffix: write 1g", W),
        ("driver -Xmx p", APP.replacen("memory: 512m", "memory: 1p", 1), "spec.driver.memory", "refuses the p suffix: write it with k, m, g or t", W),
        ("driver -Xmx bytes", APP.replacen("memory: 512m", "memory: \"1024\"", 1), "spec.driver.memory", "reads it as 1024 bytes: write 1024m", W),
        // Dynamic allocation.
        ("min > max executors", app("  dynamicAllocation:\n    enabled: true\n    minExecutors: 5\n    maxExecutors: 2\n"), "spec.dynamicAllocation.minExecutors", "expected at most maxExecutors (2), got 5", E),
        ("initial outside", app("  dynamicAllocation:\n    enabled: true\n    initialExecutors: 9\n    minExecutors: 1\n    maxExecutors: 2\n"), "spec.dynamicAllocation.initialExecutors", "expected between minExecutors (1) and maxExecutors (2), got 9", E),
        ("initial below min", app("  dynamicAllocation:\n    enabled: true\n    initialExecutors: 1\n    minExecutors: 2\n"), "spec.dynamicAllocation.initialExecutors", "expected at least minExecutors (2), got 1", E),
        ("negative min", app("  dynamicAllocation:\n    enabled: true\n    minExecutors: -1\n"), "spec.dynamicAllocation.minExecutors", ">= 0, got -1", E),
        ("shuffle timeout", app("  dynamicAllocation:\n    enabled: true\n    shuffleTrackingTimeout: -5\n"), "spec.dynamicAllocation.shuffleTrackingTimeout", ">= 0", E),
        // Restart policy and lifetimes.
        ("failure retries", app("  restartPolicy:\n    type: OnFailure\n    onFailureRetries: -1\n"), "spec.restartPolicy.onFailureRetries", "expected an integer >= 0, got -1", E),
        ("submission retries", app("  restartPolicy:\n    type: OnFailure\n    onSubmissionFailureRetries: -2\n"), "spec.restartPolicy.onSubmissionFailureRetries", ">= 0", E),
        ("retry interval", app("  restartPolicy:\n    type: OnFailure\n    onFailureRetryInterval: 0\n"), "spec.restartPolicy.onFailureRetryInterval", "expected an integer >= 1, got 0", E),
        ("submission interval", app("  restartPolicy:\n    type: Always\n    onSubmissionFailureRetryInterval: -1\n"), "spec.restartPolicy.onSubmissionFailureRetryInterval", ">= 1", E),
        ("deprecated retries", app("  failureRetries: -1\n"), "spec.failureRetries", ">= 0", E),
        ("deprecated interval", app("  retryInterval: -1\n"), "spec.retryInterval", ">= 0", E),
        ("ttl", app("  timeToLiveSeconds: -5\n"), "spec.timeToLiveSeconds", "expected an integer >= 0, got -5", E),
        // Ports, Services, Ingresses.
        ("prometheus port", app("  monitoring:\n    exposeDriverMetrics: true\n    exposeExecutorMetrics: true\n    prometheus:\n      jmxExporterJar: /j.jar\n      port: 80\n"), "spec.monitoring.prometheus.port", "expected an integer from 1024 to 49151, got 80", E),
        ("ui port", app("  sparkUIOptions:\n    servicePort: 0\n"), "spec.sparkUIOptions.servicePort", "from 1 to 65535, got 0", E),
        ("ui service type", app("  sparkUIOptions:\n    serviceType: Public\n"), "spec.sparkUIOptions.serviceType", "expected one of ClusterIP, NodePort, LoadBalancer, ExternalName", E),
        ("ingress port missing", app("  driverIngressOptions:\n    - servicePortName: x\n      ingressURLFormat: a.example\n"), "spec.driverIngressOptions[0].servicePort", "required field is missing", E),
        ("ingress port name missing", app("  driverIngressOptions:\n    - servicePort: 8080\n      ingressURLFormat: a.example\n"), "spec.driverIngressOptions[0].servicePortName", "required field is missing", E),
        ("ingress url missing", app("  driverIngressOptions:\n    - servicePort: 8080\n      servicePortName: x\n"), "spec.driverIngressOptions[0].ingressURLFormat", "required field is missing", E),
        ("ingress port twice", app("  driverIngressOptions:\n    - {servicePort: 8080, servicePortName: x, ingressURLFormat: a}\n    - {servicePort: 8080, servicePortName: y, ingressURLFormat: b}\n"), "spec.driverIngressOptions[1].servicePort", "not used by driverIngressOptions[0], got 8080", E),
        ("ingress url twice", app("  driverIngressOptions:\n    - {servicePort: 8080, servicePortName: x, ingressURLFormat: a}\n    - {servicePort: 8081, servicePortName: y, ingressURLFormat: a}\n"), "spec.driverIngressOptions[1].ingressURLFormat", "not used by driverIngressOptions[0]", E),
        ("container port", driver("    ports:\n      - {name: p, protocol: TCP, containerPort: 70000}\n"), "spec.driver.ports[0].containerPort", "from 1 to 65535, got 70000", E),
        // Values the API server refuses in the pods (`ValidatePod`), long after submission.
        ("upper-case port name", driver("    ports:\n      - {name: HTTP, protocol: TCP, containerPort: 80}\n"), "spec.driver.ports[0].name", "expected an IANA service name: at most 15 lowercase letters, digits and '-', with at least one letter, no '-' at either end and no \"--\", got \"HTTP\"", E),
        ("long port name", executor("    ports:\n      - {name: spark-ui-port-4040, protocol: TCP, containerPort: 4040}\n"), "spec.executor.ports[0].name", "IANA service name", E),
        ("env without a name", driver("    env:\n      - value: \"1\"\n"), "spec.driver.env[0].name", "expected an environment variable name (not empty, without '='), got \"\"", E),
        ("env name with =", executor("    env:\n      - {name: \"A=B\", value: \"1\"}\n"), "spec.executor.env[0].name", "without '='", E),
        ("toleration effect", driver("    tolerations:\n      - {key: a, operator: Exists, effect: Sometimes}\n"), "spec.driver.tolerations[0].effect", "expected one of NoSchedule, PreferNoSchedule, NoExecute, got \"Sometimes\"", E),
        ("toleration operator", driver("    tolerations:\n      - {key: a, operator: In, value: b}\n"), "spec.driver.tolerations[0].operator", "expected one of Exists, Equal, got \"In\"", E),
        ("toleration value with Exists", executor("    tolerations:\n      - {key: a, operator: Exists, value: b}\n"), "spec.executor.tolerations[0].value", "expected no value with operator Exists, got \"b\"", E),
        ("toleration of every key", executor("    tolerations:\n      - {value: b}\n"), "spec.executor.tolerations[0].operator", "expected Exists when no key is given", E),
        ("toleration seconds", driver("    tolerations:\n      - {key: a, operator: Exists, effect: NoSchedule, tolerationSeconds: 5}\n"), "spec.driver.tolerations[0].effect", "expected NoExecute with tolerationSeconds, got \"NoSchedule\"", E),
        ("toleration key", driver("    tolerations:\n      - {key: \"a b\", operator: Exists}\n"), "spec.driver.tolerations[0].key", "expected a qualified name", E),
        ("toleration value", driver("    tolerations:\n      - {key: a, value: \"x/y\"}\n"), "spec.driver.tolerations[0].value", "expected a label value", E),
        ("sidecar quantity", driver("    sidecars:\n      - name: log\n        image: busybox\n        resources:\n          limits: {memory: 10GB}\n"), "spec.driver.sidecars[0].resources.limits.memory", "expected a Kubernetes quantity such as 500m, 2, 1.5, 512Mi or 2Gi, got \"10GB\"", E),
        ("sidecar name", driver("    sidecars:\n      - {name: Log, image: busybox}\n"), "spec.driver.sidecars[0].name", "DNS-1123 label", E),
        ("init container env", executor("    initContainers:\n      - name: init\n        image: busybox\n        env:\n          - {value: x}\n"), "spec.executor.initContainers[0].env[0].name", "environment variable name", E),
        ("sidecar port name", driver("    sidecars:\n      - name: log\n        image: busybox\n        ports:\n          - {name: Metrics, containerPort: 9090}\n"), "spec.driver.sidecars[0].ports[0].name", "IANA service name", E),
        ("volume size", app("  volumes:\n    - name: scratch\n      emptyDir: {sizeLimit: 10GB}\n"), "spec.volumes[0].emptyDir.sizeLimit", "got \"10GB\"", E),
        ("port protocol", executor("    ports:\n      - {name: p, protocol: HTTP, containerPort: 80}\n"), "spec.executor.ports[0].protocol", "expected one of TCP, UDP, SCTP, got \"HTTP\"", E),
        // Pod wiring.
        ("undefined volume", app("  volumes:\n    - name: data\n      emptyDir: {}\n").replace("    cores: 1\n    memory: 512m\n  executor", "    cores: 1\n    memory: 512m\n    volumeMounts:\n      - {name: dat, mountPath: /d}\n  executor"), "spec.driver.volumeMounts[0].name", "expected the name of a volume in spec.volumes (data), got \"dat\"", E),
        ("node selectors twice", app("  nodeSelector: {a: b}\n").replace("  driver:\n", "  driver:\n    nodeSelector: {c: d}\n"), "spec.nodeSelector", "got both", E),
        ("driver pod name", driver("    podName: Driver_1\n"), "spec.driver.podName", "DNS-1123 subdomain", E),
        ("unknown batch scheduler", app("  batchScheduler: slurm\n"), "spec.batchScheduler", "expected one of \"volcano\", \"kube-scheduler\", \"yunikorn\", got \"slurm\"", E),
        ("scheduler quantity", app("  batchSchedulerOptions:\n    resources:\n      cpu: lots\n"), "spec.batchSchedulerOptions.resources.cpu", "expected a Kubernetes quantity", E),
        // Configuration keys.
        ("non-spark conf key", app("  sparkConf:\n    foo.bar: x\n"), "spec.sparkConf.foo.bar", "do not start with \"spark.\"", W),
        ("doubled hadoop prefix", app("  hadoopConf:\n    spark.hadoop.fs.x: y\n"), "spec.hadoopConf.spark.hadoop.fs.x", "gets it twice", W),
        // The tenancy boundary (crate::tenancy): refused, naming the key and the field to
        // use instead.
        ("operator key", app("  sparkConf:\n    spark.master: local[2]\n"), "spec.sparkConf[\"spark.master\"]", "expected no such key: it would take over the API server applications are submitted to from the operator (kubeflow's admission refuses it too); the operator sets it (its --driver-master), or let the operator admit the key with --allow-spark-conf spark.master", E),
        ("service account key", app("  sparkConf:\n    spark.kubernetes.authenticate.driver.serviceAccountName: cluster-admin\n"), "spec.sparkConf[\"spark.kubernetes.authenticate.driver.serviceAccountName\"]", "set spec.driver.serviceAccount instead", E),
        ("image key", app("  sparkConf:\n    spark.kubernetes.executor.container.image: evil\n"), "spec.sparkConf[\"spark.kubernetes.executor.container.image\"]", "set spec.image or spec.executor.image instead", E),
        ("namespace key", app("  sparkConf:\n    spark.kubernetes.namespace: other\n"), "spec.sparkConf[\"spark.kubernetes.namespace\"]", "expected the application's own namespace \"default\" or no such key, got \"other\"", E),
        ("namespace key, no namespace", app("  sparkConf:\n    spark.kubernetes.namespace: default\n").replace("  namespace: default\n", ""), "spec.sparkConf[\"spark.kubernetes.namespace\"]", "set metadata.namespace instead", E),
        ("template key", scheduled("    driver: {}", "    sparkConf:\n      spark.kubernetes.authenticate.oauthToken: t0ken\n    driver: {}"), "spec.template.sparkConf[\"spark.kubernetes.authenticate.oauthToken\"]", "set spec.driver.serviceAccount instead", E),
        // ScheduledSparkApplication.
        ("schedule field", scheduled("0 3 * * *", "61 * * * *"), "spec.schedule", "bad minute field", E),
        ("schedule fields", scheduled("0 3 * * *", "0 3 * *"), "spec.schedule", "4 fields", E),
        ("descriptor", scheduled("\"0 3 * * *\"", "\"@sometimes\""), "spec.schedule", "unknown descriptor, got \"@sometimes\"", E),
        ("every duration", scheduled("\"0 3 * * *\"", "\"@every 1y\""), "spec.schedule", "@every takes a Go duration", E),
        ("day of week 7", scheduled("0 3 * * *", "0 3 * * 7"), "spec.schedule", "bad day of week field \"7\"", E),
        ("time zone", scheduled("  template:", "  timeZone: New York\n  template:"), "spec.timeZone", "IANA time zone", E),
        ("unknown time zone", scheduled("  template:", "  timeZone: Mars/Olympus\n  template:"), "spec.timeZone", "IANA time zone such as America/New_York, got \"Mars/Olympus\"", E),
        ("history limit", scheduled("  template:", "  successfulRunHistoryLimit: 0\n  template:"), "spec.successfulRunHistoryLimit", ">= 1, got 0", E),
        ("failed history limit", scheduled("  template:", "  failedRunHistoryLimit: -1\n  template:"), "spec.failedRunHistoryLimit", ">= 1", E),
        ("template instances", scheduled("instances: 1", "instances: 0"), "spec.template.executor.instances", ">= 1, got 0", E),
        ("template version", scheduled("4.3.0", "3.4.0"), "spec.template.sparkVersion", "got \"3.4.0\"", E),
        ("scheduled name", scheduled("name: nightly", "name: Nightly"), "metadata.name", "DNS-1123 subdomain", E),
        // SparkCluster.
        ("cluster name", cluster("name: demo", "name: 1demo"), "metadata.name", "expected a DNS-1035 label", E),
        ("cluster name length", cluster("name: demo", &format!("name: {mib}")), "metadata.name", "at most 50", E),
        ("cluster version", cluster("4.3.0", "3.4.1"), "spec.sparkVersion", "expected a supported Spark version", E),
        ("negative replicas", cluster("replicas: 2", "replicas: -1"), "spec.workers.replicas", ">= 0, got -1", E),
        ("worker cores", cluster("cores: 1", "cores: 0"), "spec.workers.cores", ">= 1, got 0", E),
        ("worker memory decimal", cluster("memory: 1g", "memory: 1.5g"), "spec.workers.memory", "whole numbers", E),
        ("worker memory bytes", cluster("memory: 1g", "memory: \"1024\""), "spec.workers.memory", "a bare number means bytes here", E),
        ("worker memory zero", cluster("memory: 1g", "memory: 0g"), "spec.workers.memory", "at least 1m", E),
        ("master heap", cluster("  workers:", "  master:\n    memory: 1gb\n  workers:"), "spec.master.memory", "expected a JVM heap size", E),
        ("daemon heap", cluster("memory: 1g", "memory: 1g\n    daemonMemory: lots"), "spec.workers.daemonMemory", "got \"lots\"", E),
        ("daemon heap bytes", cluster("memory: 1g", "memory: 1g\n    daemonMemory: \"512\""), "spec.workers.daemonMemory", "at least 1m", E),
        ("min > max workers", cluster("cores: 1", "cores: 1\n    minReplicas: 5\n    maxReplicas: 3"), "spec.workers.minReplicas", "expected at most maxReplicas (3), got 5", E),
        ("replicas above max", cluster("cores: 1", "cores: 1\n    maxReplicas: 1"), "spec.workers.replicas", "expected at most maxReplicas (1), got 2", E),
        ("replicas outside", cluster("replicas: 2", "replicas: 5").replace("cores: 1", "cores: 1\n    minReplicas: 1\n    maxReplicas: 3"), "spec.workers.replicas", "expected between minReplicas (1) and maxReplicas (3), got 5", E),
        ("replicas below min", cluster("cores: 1", "cores: 1\n    minReplicas: 3"), "spec.workers.replicas", "expected at least minReplicas (3), got 2", E),
        ("max replicas", cluster("replicas: 2", "replicas: 0").replace("cores: 1", "cores: 1\n    maxReplicas: 0"), "spec.workers.maxReplicas", ">= 1, got 0", E),
        ("min replicas", cluster("cores: 1", "cores: 1\n    minReplicas: -1"), "spec.workers.minReplicas", ">= 0, got -1", E),
        ("decommission timeout", cluster("cores: 1", "cores: 1\n    decommissionTimeoutSeconds: -1"), "spec.workers.decommissionTimeoutSeconds", ">= 0", E),
        ("port zero", cluster("  workers:", "  master:\n    port: 0\n  workers:"), "spec.master.port", "from 1 to 65535, got 0", E),
        ("port too large", cluster("  workers:", "  master:\n    port: 70000\n  workers:"), "spec.master.port", "expected an integer from 0 to 65535, got integer 70000", E),
        ("same ports", cluster("  workers:", "  master:\n    port: 7077\n    webUIPort: 7077\n  workers:"), "spec.master.webUIPort", "expected a port different from spec.master.port (7077), got 7077", E),
        ("history port", cluster("  workers:", "  master:\n    webUIPort: 8080\n  historyServer:\n    port: 8080\n  workers:"), "spec.historyServer.port", "different from spec.master.webUIPort", E),
        ("rocksdb on 3.5", cluster("4.3.0", "3.5.9").replace("  workers:", "  recovery:\n    mode: ROCKSDB\n  workers:"), "spec.recovery.mode", "ROCKSDB needs Spark 4.0", E),
        ("recovery enum", cluster("  workers:", "  recovery:\n    mode: ETCD\n  workers:"), "spec.recovery.mode", "expected one of NONE, FILESYSTEM, ROCKSDB, got \"ETCD\"", E),
        ("cluster conf key", cluster("  workers:", "  sparkConf:\n    worker.x: y\n  workers:"), "spec.sparkConf.worker.x", "spark.", W),
    ];
    for (rule, text, path, fragment, severity) in cases {
        let ps = problems(&text);
        assert!(
            ps.iter()
                .any(|p| p.path == path && p.message.contains(fragment) && p.severity == severity),
            "{rule}: want {path:?} ~ {fragment:?} ({severity:?}), got {ps:#?}"
        );
        let errors = ps.iter().filter(|p| p.is_error()).count();
        let want_errors = usize::from(severity == E);
        assert_eq!(errors, want_errors, "{rule}: other errors in {ps:#?}");
    }
}

#[test]
fn valid_manifests_have_no_problems() {
    let with_template_volume = driver(
        "    volumeMounts:\n      - {name: scratch, mountPath: /s}\n    template:\n      spec:\n        volumes:\n          - name: scratch\n            emptyDir: {}\n",
    );
    for text in [
        APP.to_string(),
        SCHEDULED.to_string(),
        CLUSTER.to_string(),
        with_template_volume,
        app("  dynamicAllocation:\n    enabled: true\n    initialExecutors: 2\n    minExecutors: 1\n    maxExecutors: 4\n"),
        app("  restartPolicy:\n    type: OnFailure\n    onFailureRetries: 0\n    onFailureRetryInterval: 1\n"),
        driver("    memoryLimit: 2g\n    coreLimit: 1200m\n    coreRequest: \"0.5\"\n"),
        // What the API server accepts of the same values.
        driver("    ports:\n      - {name: ui-4040, protocol: TCP, containerPort: 4040}\n    env:\n      - {name: A, value: \"1\"}\n    tolerations:\n      - {operator: Exists}\n      - {key: a, operator: Equal, value: b, effect: NoExecute, tolerationSeconds: 30}\n      - {key: b, value: c}\n    sidecars:\n      - name: log\n        image: busybox\n        ports:\n          - {containerPort: 9090}\n        resources:\n          limits: {memory: 10G, cpu: 500m}\n"),
        app("  volumes:\n    - name: scratch\n      emptyDir: {sizeLimit: 10Gi}\n"),
        scheduled("  template:", "  timeZone: America/New_York\n  template:"),
        scheduled("  template:", "  timeZone: Local\n  template:"),
        cluster("replicas: 2", "replicas: 0"),
        cluster("  workers:", "  recovery:\n    mode: ROCKSDB\n  workers:"),
    ] {
        assert_eq!(problems(&text), Vec::<Problem>::new(), "{text}");
    }
}

#[test]
fn every_rule_of_a_document_is_reported() {
    let text = APP
        .replace("name: pi", "name: Pi_Job")
        .replace("instances: 2", "instances: -1")
        .replacen("memory: 512m", "memory: lots", 1);
    let mut paths: Vec<String> = problems(&text)
        .into_iter()
        .filter(Problem::is_error)
        .map(|p| p.path)
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "metadata.name",
            "spec.driver.memory",
            "spec.executor.instances"
        ]
    );
}

/// An operator's allow-list (`--allow-spark-conf`) admits its keys, and only those; the
/// namespace key naming the application's own namespace needs none.
#[test]
fn the_allow_list_admits_its_keys_past_the_tenancy_boundary() {
    use crate::load::{parse_documents_with, LoadOptions};
    use crate::tenancy::SparkConfPolicy;
    let text = app("  sparkConf:\n    spark.kubernetes.namespace: default\n    spark.kubernetes.authenticate.driver.serviceAccountName: spark-admin\n    spark.master: k8s://https://elsewhere\n");
    let with = |keys: &[&str]| {
        let options = LoadOptions {
            spark_conf: SparkConfPolicy::allowing(keys).unwrap(),
            ..LoadOptions::default()
        };
        match parse_documents_with("m.yaml", &text, &options) {
            Ok((_, warnings)) => warnings,
            Err(ps) => ps,
        }
        .into_iter()
        .filter(Problem::is_error)
        .map(|p| p.path)
        .collect::<Vec<_>>()
    };
    assert_eq!(
        with(&[]),
        [
            "spec.sparkConf[\"spark.kubernetes.authenticate.driver.serviceAccountName\"]",
            "spec.sparkConf[\"spark.master\"]"
        ]
    );
    assert_eq!(
        with(&["spark.kubernetes.authenticate.driver.serviceAccountName"]),
        ["spec.sparkConf[\"spark.master\"]"]
    );
    assert_eq!(
        with(&[
            "spark.master",
            "spark.kubernetes.authenticate.driver.serviceAccountName"
        ]),
        Vec::<String>::new()
    );
}
