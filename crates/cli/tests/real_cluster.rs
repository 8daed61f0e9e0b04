//! The real-cluster tier: the operator's chart, Spark applications, native submission and the
//! CLI on a real one-node Kubernetes (`scripts/kube-lab.sh up`), with real Spark in the images of
//! `scripts/images.sh`.
//!
//! Opt-in: `SPARKPLANE_KUBE_LAB=<admin kubeconfig>` and `cargo test --test real_cluster --
//! --ignored --test-threads=1`; `scripts/test.sh` brings the cluster up and runs them.
// Helpers outside #[test] functions panic too: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "real_cluster/lab.rs"]
mod lab;

use std::time::Duration;

use lab::*;

const JOB_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn chart_runs_the_operator_from_its_image() {
    let lab = lab();
    let deploy = lab
        .get(OPERATOR_NS, "deployment", "sparkplane-operator")
        .expect("the chart's Deployment");
    assert_eq!(deploy["status"]["readyReplicas"], 1, "{deploy:#}");
    let pods = lab.list(
        OPERATOR_NS,
        "pods",
        "app.kubernetes.io/name=sparkplane-operator",
    );
    assert_eq!(pods.len(), 1, "one operator pod");
    let pod = &pods[0];
    assert_eq!(pod["status"]["phase"], "Running");
    assert_eq!(
        pod["spec"]["containers"][0]["image"], "sparkplane/operator:0.1.0",
        "the chart's default image"
    );
    assert_eq!(pod["spec"]["serviceAccountName"], OPERATOR_SA);
    // The real PodSecurity admission checks the operator's pod against "restricted".
    lab.namespace("spark-op-restricted", &[]);
    let o = lab.kubectl(&[
        "label",
        "--dry-run=server",
        "--overwrite",
        "namespace",
        OPERATOR_NS,
        "pod-security.kubernetes.io/enforce=restricted",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        !err.contains("violate"),
        "the operator's pod would violate restricted: {err}{out}"
    );
}

/// One rule of the chart's rule files.
#[derive(serde::Deserialize)]
struct Rule {
    #[serde(rename = "apiGroups")]
    api_groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
}

fn rules(file: &str) -> Vec<Rule> {
    let text = std::fs::read_to_string(chart().join("files").join(file)).expect("rule file");
    serde_yaml_ng::from_str(&text).expect("rule file is a list of rules")
}

fn can_i(lab: &Lab, sa: &str, ns: &str, verb: &str, resource: &str) -> bool {
    // `RESOURCE/NAME` means a named object to kubectl; a subresource has its own flag.
    let (resource, sub) = match resource.split_once('/') {
        Some((r, s)) => (r, Some(format!("--subresource={s}"))),
        None => (resource, None),
    };
    let mut args = vec!["auth", "can-i", verb, resource, "--as", sa];
    if !ns.is_empty() {
        args.extend(["-n", ns]);
    }
    if let Some(sub) = &sub {
        args.push(sub);
    }
    let o = lab.kubectl(&args);
    let (out, _) = text(&o);
    match out.trim() {
        "yes" => true,
        "no" => false,
        other => panic!("kubectl auth can-i {verb} {resource}: {other:?}"),
    }
}

const VERBS: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// Every granted verb is allowed, every other verb on the same resources is refused, and so is
/// everything sensitive the operator never needs.
fn check_rights(lab: &Lab, sa: &str, ns: &str, rules: &[Rule], forbidden: &[(&str, &str)]) {
    for rule in rules {
        for group in &rule.api_groups {
            for res in &rule.resources {
                let (base, sub) = match res.split_once('/') {
                    Some((b, s)) => (b, Some(s)),
                    None => (res.as_str(), None),
                };
                let qualified = if group.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}.{group}")
                };
                let resource = match sub {
                    Some(s) => format!("{qualified}/{s}"),
                    None => qualified,
                };
                for verb in VERBS {
                    let granted = rule.verbs.iter().any(|v| v == verb);
                    let granted_elsewhere = rules.iter().any(|r| {
                        r.api_groups.contains(group)
                            && r.resources.contains(res)
                            && r.verbs.iter().any(|v| v == verb)
                    });
                    assert_eq!(
                        can_i(lab, sa, ns, verb, &resource),
                        granted || granted_elsewhere,
                        "{sa} {verb} {resource} in {ns}"
                    );
                }
            }
        }
    }
    for (verb, resource) in forbidden {
        assert!(
            !can_i(lab, sa, ns, verb, resource),
            "{sa} must not {verb} {resource} in {ns}"
        );
    }
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn the_operator_and_the_drivers_have_exactly_the_charts_rights() {
    let lab = lab();
    let operator = format!("system:serviceaccount:{OPERATOR_NS}:{OPERATOR_SA}");
    let sensitive = [
        ("get", "secrets"),
        ("list", "secrets"),
        ("create", "pods/exec"),
        ("create", "serviceaccounts/token"),
        ("create", "rolebindings.rbac.authorization.k8s.io"),
        ("escalate", "roles.rbac.authorization.k8s.io"),
        ("update", "pods"),
        ("delete", "namespaces"),
        ("create", "customresourcedefinitions.apiextensions.k8s.io"),
    ];
    for ns in [JOBS_NS, RESTRICTED_NS] {
        check_rights(
            lab,
            &operator,
            ns,
            &rules("operator-rules.yaml"),
            &sensitive,
        );
        let driver = format!("system:serviceaccount:{ns}:spark");
        check_rights(lab, &driver, ns, &rules("driver-rules.yaml"), &sensitive);
    }
    // Nothing outside the job namespaces, and nothing cluster-wide but what leader election
    // and CRD-free discovery need.
    for (verb, resource) in [
        ("list", "pods"),
        ("create", "pods"),
        ("list", "sparkapplications.sparkoperator.k8s.io"),
    ] {
        assert!(
            !can_i(lab, &operator, "kube-system", verb, resource),
            "{verb} {resource} in kube-system"
        );
        assert!(
            !can_i(lab, &operator, "default", verb, resource),
            "{verb} {resource} in default"
        );
    }
    assert!(!can_i(lab, &operator, "", "list", "nodes"));
    assert!(!can_i(lab, &operator, "", "list", "namespaces"));
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn crds_take_strict_field_validation_and_show_printer_columns() {
    let lab = lab();
    let crds = lab::chart().join("crds");
    let o = lab.kubectl(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "--validate=strict",
        "-f",
        crds.to_str().expect("utf-8 path"),
    ]);
    let (out, err) = text(&o);
    assert!(
        o.status.success(),
        "the CRDs under strict validation: {err}{out}"
    );
    // An unknown field is refused by the server's strict validation of the CRD's schema.
    let bad = spark_pi(JOBS_NS, "strict-check", "  drivr: {}\n");
    let o = lab.kubectl_in(
        &["apply", "--validate=strict", "--dry-run=server", "-f", "-"],
        &bad,
    );
    let (out, err) = text(&o);
    assert!(!o.status.success(), "an unknown field was accepted: {out}");
    assert!(err.contains("unknown field \"spec.drivr\""), "{err}");
    // The same manifest without the typo is accepted as it is; suspended, it never runs.
    let good = spark_pi(JOBS_NS, "strict-check", "  suspend: true\n");
    let o = lab.kubectl_in(&["apply", "--validate=strict", "-f", "-"], &good);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}{out}");
    let table = lab.kubectl_ok(&["-n", JOBS_NS, "get", "sparkapp", "strict-check"]);
    lab.delete(JOBS_NS, "sparkapplication", "strict-check");
    let header = table.lines().next().unwrap_or_default();
    for col in [
        "NAME", "SUSPEND", "STATUS", "ATTEMPTS", "START", "FINISH", "AGE",
    ] {
        assert!(header.contains(col), "column {col} missing from {table:?}");
    }
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn spark_pi_completes_through_the_operator_with_executors_the_driver_made() {
    let lab = lab();
    let name = "spark-pi";
    lab.delete(JOBS_NS, "sparkapplication", name);
    lab.apply(&spark_pi(JOBS_NS, name, ""));
    let app = lab.wait_app_state(JOBS_NS, name, "COMPLETED", JOB_TIMEOUT);
    let executors = app["status"]["executorState"]
        .as_object()
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(
        executors >= 2,
        "the driver made {executors} executors: {app:#}"
    );
    let logs = lab.sparkplane_ok(&["app", "logs", name, "--kube", "-n", JOBS_NS]);
    assert!(logs.contains("Pi is roughly 3.1"), "{}", tail(&logs, 40));
    let header = lab.kubectl_ok(&["-n", JOBS_NS, "get", "sparkapp", name]);
    assert!(header.contains("COMPLETED"), "{header}");
}

/// A PySpark job with a shuffle, its file in a ConfigMap mounted into the driver.
const SHUFFLE_PY: &str = r#"
import sys
from operator import add
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("shuffle").getOrCreate()
n = int(sys.argv[1])
pairs = spark.sparkContext.parallelize(range(n), 8).map(lambda x: (x % 7, x))
sums = sorted(pairs.reduceByKey(add, 4).collect())
print("SUMS " + " ".join("%d=%d" % kv for kv in sums))
spark.stop()
"#;

/// The PodDisruptionBudgets an application owns.
fn pdbs_of(lab: &Lab, app: &str) -> Vec<serde_json::Value> {
    lab.list(JOBS_NS, "poddisruptionbudgets", "")
        .into_iter()
        .filter(|p| p["metadata"]["ownerReferences"][0]["name"] == app)
        .collect()
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn a_pyspark_shuffle_runs_from_a_configmap() {
    let lab = lab();
    let name = "pyspark-shuffle";
    lab.delete(JOBS_NS, "sparkapplication", name);
    let script = SHUFFLE_PY
        .lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>();
    lab.apply(&format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shuffle-job\n  namespace: {JOBS_NS}\ndata:\n  shuffle.py: |\n{script}"
    ));
    let manifest = format!(
        r#"apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: {name}
  namespace: {JOBS_NS}
spec:
  type: Python
  pythonVersion: "3"
  mode: cluster
  image: {SPARK_IMAGE}
  imagePullPolicy: IfNotPresent
  sparkVersion: "{SPARK_VERSION}"
  mainApplicationFile: local:///opt/jobs/shuffle.py
  arguments: ["70000"]
  driverPodDisruptionBudget: true
  restartPolicy:
    type: Never
  volumes:
    - name: job
      configMap:
        name: shuffle-job
  driver:
    cores: 1
    coreRequest: 250m
    memory: 512m
    serviceAccount: spark
    volumeMounts:
      - name: job
        mountPath: /opt/jobs
  executor:
    cores: 1
    coreRequest: 250m
    instances: 2
    memory: 512m
"#
    );
    lab.apply(&manifest);
    // driverPodDisruptionBudget: a policy/v1 budget guards the driver while it runs.
    let pdb = wait_for("the driver's PodDisruptionBudget", JOB_TIMEOUT, || {
        pdbs_of(lab, name).into_iter().next()
    });
    assert_eq!(pdb["spec"]["minAvailable"], 1, "{pdb:#}");
    let app = lab.wait_app_state(JOBS_NS, name, "COMPLETED", JOB_TIMEOUT);
    let executors = app["status"]["executorState"]
        .as_object()
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(executors >= 2, "the driver made {executors} executors");
    // The budget goes with the run; the UI Ingress of the chart's urlFormat stays with the
    // application.
    wait_for(
        "the driver's PodDisruptionBudget to go",
        Duration::from_secs(60),
        || pdbs_of(lab, name).is_empty().then_some(()),
    );
    let ingresses: Vec<_> = lab
        .list(JOBS_NS, "ingresses", "")
        .into_iter()
        .filter(|i| i["metadata"]["ownerReferences"][0]["name"] == name)
        .collect();
    assert_eq!(ingresses.len(), 1, "the UI Ingress of {name}");
    assert_eq!(
        ingresses[0]["spec"]["rules"][0]["host"],
        format!("{name}.spark.test")
    );
    let logs = lab.sparkplane_ok(&["app", "logs", name, "--kube", "-n", JOBS_NS]);
    let n: u64 = 70000;
    let expected: Vec<String> = (0..7)
        .map(|k| format!("{k}={}", (0..n).filter(|x| x % 7 == k).sum::<u64>()))
        .collect();
    let line = format!("SUMS {}", expected.join(" "));
    assert!(
        logs.contains(&line),
        "expected {line:?} in\n{}",
        tail(&logs, 40)
    );
}

/// spark-submit's command line for SparkPi on the Spark image, in the jobs namespace.
fn pi_submit_args(lab: &Lab, name: &str) -> Vec<String> {
    let mut args = vec![
        "--master".to_string(),
        format!("k8s://{}", lab.server()),
        "--deploy-mode".into(),
        "cluster".into(),
        "--name".into(),
        name.into(),
        "--class".into(),
        "org.sparkplane.examples.SparkPi".into(),
    ];
    for conf in [
        format!("spark.kubernetes.namespace={JOBS_NS}"),
        "spark.kubernetes.authenticate.driver.serviceAccountName=spark".into(),
        format!("spark.kubernetes.container.image={SPARK_IMAGE}"),
        "spark.kubernetes.container.image.pullPolicy=IfNotPresent".into(),
        format!("spark.kubernetes.driver.pod.name={name}-driver"),
        "spark.executor.instances=2".into(),
        "spark.kubernetes.driver.request.cores=250m".into(),
        "spark.kubernetes.executor.request.cores=250m".into(),
        "spark.driver.memory=512m".into(),
        "spark.executor.memory=512m".into(),
    ] {
        args.push("--conf".into());
        args.push(conf);
    }
    args.push(EXAMPLES_JAR.into());
    args.push("20".into());
    args
}

/// Waits for a driver pod to succeed and returns its log.
fn driver_succeeded(lab: &Lab, pod: &str) -> String {
    wait_for(&format!("{pod} to succeed"), JOB_TIMEOUT, || {
        let p = lab.get(JOBS_NS, "pod", pod)?;
        match p["status"]["phase"].as_str() {
            Some("Succeeded") => Some(()),
            Some("Failed") => panic!("{pod} failed: {:#}", p["status"]),
            _ => None,
        }
    });
    lab.kubectl_ok(&["-n", JOBS_NS, "logs", pod])
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn sparkplane_submit_and_the_real_spark_submit_both_run_spark_pi() {
    let lab = lab();
    for name in ["pi-native", "pi-spark-submit"] {
        lab.delete(JOBS_NS, "pod", &format!("{name}-driver"));
    }
    // sparkplane's native builder, no JVM: it waits for the application as spark-submit does.
    let args = pi_submit_args(lab, "pi-native");
    let mut native = vec!["submit", "--spark-version", SPARK_VERSION];
    native.extend(args.iter().map(String::as_str));
    let out = lab.sparkplane_ok(&native);
    let log = driver_succeeded(lab, "pi-native-driver");
    assert!(
        log.contains("Pi is roughly 3.1"),
        "{}\n{}",
        tail(&log, 30),
        out
    );

    // The real spark-submit of the same version, from the official distribution.
    let home = sparkplane_testkit::spark_home(SPARK_VERSION);
    let o = std::process::Command::new(home.join("bin/spark-submit"))
        .args(pi_submit_args(lab, "pi-spark-submit"))
        .env("KUBECONFIG", &lab.kubeconfig)
        .env("SPARK_HOME", &home)
        .output()
        .expect("spark-submit runs");
    let (out, err) = text(&o);
    assert!(
        o.status.success(),
        "spark-submit: {}",
        tail(&format!("{out}{err}"), 40)
    );
    let log = driver_succeeded(lab, "pi-spark-submit-driver");
    assert!(log.contains("Pi is roughly 3.1"), "{}", tail(&log, 30));
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn suspend_resume_a_spec_change_and_time_to_live() {
    let lab = lab();
    let name = "lifecycle";
    lab.delete(JOBS_NS, "sparkapplication", name);
    let small = "  suspend: true\n";
    let manifest = spark_pi(JOBS_NS, name, small).replace("instances: 2", "instances: 1");
    lab.apply(&manifest);
    lab.wait_app_state(JOBS_NS, name, "SUSPENDED", Duration::from_secs(60));
    assert!(
        lab.list(
            JOBS_NS,
            "pods",
            &format!("sparkoperator.k8s.io/app-name={name}")
        )
        .is_empty(),
        "a suspended application has no driver"
    );
    // Resume: it runs to completion.
    lab.kubectl_ok(&[
        "-n",
        JOBS_NS,
        "patch",
        "sparkapplication",
        name,
        "--type=merge",
        "-p",
        r#"{"spec":{"suspend":false}}"#,
    ]);
    let first = lab.wait_app_state(JOBS_NS, name, "COMPLETED", JOB_TIMEOUT);
    let first_submission = first["status"]["submissionID"].clone();
    // A spec change reruns it under a new submission.
    lab.kubectl_ok(&[
        "-n",
        JOBS_NS,
        "patch",
        "sparkapplication",
        name,
        "--type=merge",
        "-p",
        r#"{"spec":{"arguments":["7"]}}"#,
    ]);
    let second = wait_for("the rerun after a spec change", JOB_TIMEOUT, || {
        let app = lab.get(JOBS_NS, "sparkapplication", name)?;
        let done = app["status"]["applicationState"]["state"] == "COMPLETED"
            && app["status"]["submissionID"] != first_submission;
        done.then_some(app)
    });
    assert_eq!(
        second["status"]["observedGeneration"],
        second["metadata"]["generation"]
    );
    // Time to live: the terminated application is deleted.
    lab.kubectl_ok(&[
        "-n",
        JOBS_NS,
        "patch",
        "sparkapplication",
        name,
        "--type=merge",
        "-p",
        r#"{"spec":{"timeToLiveSeconds":5}}"#,
    ]);
    wait_for(
        "the application's deletion after its time to live",
        Duration::from_secs(120),
        || {
            lab.get(JOBS_NS, "sparkapplication", name)
                .is_none()
                .then_some(())
        },
    );
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn a_scheduled_application_runs_twice() {
    let lab = lab();
    let name = "pi-every";
    lab.delete(JOBS_NS, "scheduledsparkapplication", name);
    let template = spark_pi(JOBS_NS, "unused", "")
        .replace("instances: 2", "instances: 1")
        .split("spec:\n")
        .nth(1)
        .expect("spec")
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect::<String>();
    lab.apply(&format!(
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\nmetadata:\n  name: {name}\n  namespace: {JOBS_NS}\nspec:\n  schedule: \"@every 30s\"\n  concurrencyPolicy: Forbid\n  successfulRunHistoryLimit: 5\n  template:\n{template}"
    ));
    let status = wait_for("two successful runs", Duration::from_secs(420), || {
        let s = lab.get(JOBS_NS, "scheduledsparkapplication", name)?;
        let runs = s["status"]["pastSuccessfulRunNames"].as_array()?.len();
        (runs >= 2).then_some(s)
    });
    lab.delete(JOBS_NS, "scheduledsparkapplication", name);
    let runs = status["status"]["pastSuccessfulRunNames"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_ne!(runs[0], runs[1], "two distinct runs: {status:#}");
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn a_driver_image_that_does_not_exist_fails_with_the_reason() {
    let lab = lab();
    let name = "no-image";
    lab.delete(JOBS_NS, "sparkapplication", name);
    // A registry on the node's own address where nothing listens: the pull fails here, and
    // nothing leaves the machine.
    let manifest = spark_pi(JOBS_NS, name, "").replace(
        &format!("image: {SPARK_IMAGE}"),
        "image: 10.250.0.1:5999/sparkplane/missing:1",
    );
    lab.apply(&manifest);
    // The chart sets controller.imagePullTimeoutSeconds=60 for these tests.
    let app = lab.wait_app_state(JOBS_NS, name, "FAILED", Duration::from_secs(240));
    let msg = app["status"]["applicationState"]["errorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(
        msg.contains("ImagePullBackOff") || msg.contains("ErrImagePull"),
        "the reason: {msg}"
    );
    lab.delete(JOBS_NS, "sparkapplication", name);
}

/// A PySpark job whose tasks take a while, so executors and drivers can be hit mid-job.
const SLOW_PY: &str = r#"
import sys, time
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("slow").getOrCreate()
tasks, secs = int(sys.argv[1]), float(sys.argv[2])
def work(i):
    time.sleep(secs)
    return i
total = spark.sparkContext.parallelize(range(tasks), tasks).map(work).sum()
print("TOTAL %d" % total)
if len(sys.argv) > 3:
    time.sleep(float(sys.argv[3]))
spark.stop()
"#;

fn slow_app(name: &str, args: &[&str], extra_spec: &str) -> String {
    let args = args
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: {name}
  namespace: {JOBS_NS}
spec:
  type: Python
  pythonVersion: "3"
  mode: cluster
  image: {SPARK_IMAGE}
  imagePullPolicy: IfNotPresent
  sparkVersion: "{SPARK_VERSION}"
  mainApplicationFile: local:///opt/jobs/slow.py
  arguments: [{args}]
  volumes:
    - name: job
      configMap:
        name: slow-job
  driver:
    cores: 1
    coreRequest: 250m
    memory: 512m
    serviceAccount: spark
    volumeMounts:
      - name: job
        mountPath: /opt/jobs
  executor:
    cores: 1
    coreRequest: 250m
    memory: 512m
{extra_spec}"#
    )
}

fn slow_job_configmap(lab: &Lab) {
    let script = SLOW_PY
        .lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>();
    lab.apply(&format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: slow-job\n  namespace: {JOBS_NS}\ndata:\n  slow.py: |\n{script}"
    ));
}

fn running_pods(lab: &Lab, selector: &str) -> Vec<String> {
    lab.list(JOBS_NS, "pods", selector)
        .iter()
        .filter(|p| {
            p["status"]["phase"] == "Running" && p["metadata"]["deletionTimestamp"].is_null()
        })
        .filter_map(|p| p["metadata"]["name"].as_str().map(String::from))
        .collect()
}

/// Applies `manifest`, waits until `count` pods of `role` run, and deletes the first of them.
fn delete_mid_job(lab: &Lab, manifest: &str, name: &str, role: &str, count: usize) {
    lab.apply(manifest);
    let selector = format!("sparkoperator.k8s.io/app-name={name},spark-role={role}");
    let pods = wait_for(&format!("{count} running {role} pods"), JOB_TIMEOUT, || {
        let p = running_pods(lab, &selector);
        (p.len() >= count).then_some(p)
    });
    lab.kubectl_ok(&["-n", JOBS_NS, "delete", "pod", &pods[0], "--wait=false"]);
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn a_deleted_executor_does_not_fail_the_job() {
    let lab = lab();
    let name = "lose-executor";
    lab.delete(JOBS_NS, "sparkapplication", name);
    slow_job_configmap(lab);
    let manifest = slow_app(
        name,
        &["40", "1"],
        "    instances: 2\n  restartPolicy:\n    type: Never\n",
    );
    delete_mid_job(lab, &manifest, name, "executor", 2);
    lab.wait_app_state(JOBS_NS, name, "COMPLETED", JOB_TIMEOUT);
    let logs = lab.sparkplane_ok(&["app", "logs", name, "--kube", "-n", JOBS_NS]);
    assert!(logs.contains("TOTAL 780"), "{}", tail(&logs, 30));
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn a_deleted_driver_is_rerun_with_restart_policy_on_failure() {
    let lab = lab();
    let name = "lose-driver";
    lab.delete(JOBS_NS, "sparkapplication", name);
    slow_job_configmap(lab);
    let manifest = slow_app(
        name,
        &["6", "1"],
        "    instances: 1\n  restartPolicy:\n    type: OnFailure\n    onFailureRetries: 2\n    onFailureRetryInterval: 1\n",
    );
    delete_mid_job(lab, &manifest, name, "driver", 1);
    let app = lab.wait_app_state(JOBS_NS, name, "COMPLETED", JOB_TIMEOUT * 2);
    let attempts = app["status"]["executionAttempts"].as_i64().unwrap_or(0);
    assert!(
        attempts >= 2,
        "the application ran again: {:#}",
        app["status"]
    );
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn dynamic_allocation_scales_executors_up_and_back_down() {
    let lab = lab();
    let name = "dyn-alloc";
    lab.delete(JOBS_NS, "sparkapplication", name);
    slow_job_configmap(lab);
    // 24 two-second tasks want more executors; then the driver idles 60 s with none needed.
    lab.apply(&slow_app(
        name,
        &["24", "2", "60"],
        "  restartPolicy:\n    type: Never\n  dynamicAllocation:\n    enabled: true\n    initialExecutors: 1\n    minExecutors: 0\n    maxExecutors: 3\n    shuffleTrackingTimeout: 1\n  sparkConf:\n    spark.dynamicAllocation.executorIdleTimeout: 5s\n    spark.dynamicAllocation.schedulerBacklogTimeout: 1s\n",
    ));
    let selector = format!("sparkoperator.k8s.io/app-name={name},spark-role=executor");
    let most = wait_for("executors to scale up", JOB_TIMEOUT, || {
        let n = running_pods(lab, &selector).len();
        (n >= 2).then_some(n)
    });
    // The CLI, while the driver runs: its Spark UI through a real kubelet's port-forward.
    let port = free_port();
    let mut ui = std::process::Command::new(&lab.sparkplane)
        .args([
            "app",
            "ui",
            name,
            "--kube",
            "-n",
            JOBS_NS,
            "--port",
            &port.to_string(),
        ])
        .env("KUBECONFIG", &lab.kubeconfig)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("app ui");
    let page = wait_for(
        "the Spark UI through app ui",
        Duration::from_secs(60),
        || http_get(port, "/api/v1/applications").filter(|b| b.contains("\"id\"")),
    );
    let _ = ui.kill();
    let _ = ui.wait();
    assert!(page.contains("slow"), "{page}");
    wait_for(
        "executors to scale back down to none",
        Duration::from_secs(120),
        || {
            let app = lab.get(JOBS_NS, "sparkapplication", name)?;
            let running = app["status"]["applicationState"]["state"] == "RUNNING";
            (running && running_pods(lab, &selector).is_empty()).then_some(())
        },
    );
    lab.wait_app_state(JOBS_NS, name, "COMPLETED", JOB_TIMEOUT);
    assert!(most >= 2);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A GET on loopback, or None when nothing answers yet.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    body.starts_with("HTTP/1.1 200").then_some(body)
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn the_app_commands_work_against_the_cluster() {
    let lab = lab();
    let name = "cli-pi";
    lab.delete(JOBS_NS, "sparkapplication", name);
    lab.apply(&spark_pi(JOBS_NS, name, "").replace("instances: 2", "instances: 1"));
    lab.wait_app_state(JOBS_NS, name, "COMPLETED", JOB_TIMEOUT);
    let list = lab.sparkplane_ok(&["app", "list", "--kube", "-n", JOBS_NS]);
    assert!(
        list.lines()
            .any(|l| l.contains(name) && l.contains("COMPLETED")),
        "{list}"
    );
    let status = lab.sparkplane_ok(&["app", "status", name, "--kube", "-n", JOBS_NS, "-o", "json"]);
    let status: serde_json::Value = serde_json::from_str(&status).expect("status json");
    assert_eq!(
        status["applicationState"]["state"], "COMPLETED",
        "{status:#}"
    );
    let logs = lab.sparkplane_ok(&["app", "logs", name, "--kube", "-n", JOBS_NS]);
    assert!(logs.contains("Pi is roughly 3.1"));
    let events = lab.sparkplane_ok(&["app", "events", name, "--kube", "-n", JOBS_NS]);
    assert!(
        events.contains("COMPLETED") || events.contains("Completed"),
        "{events}"
    );
    lab.sparkplane_ok(&["app", "delete", name, "--kube", "-n", JOBS_NS]);
    wait_for(
        "the application and its driver to go",
        Duration::from_secs(120),
        || {
            let gone = lab.get(JOBS_NS, "sparkapplication", name).is_none()
                && lab
                    .list(
                        JOBS_NS,
                        "pods",
                        &format!("sparkoperator.k8s.io/app-name={name}"),
                    )
                    .is_empty();
            gone.then_some(())
        },
    );
}

/// A SparkCluster of two Spark workers, in the namespace that enforces Pod Security
/// "restricted".
fn standalone_cluster(name: &str) -> String {
    format!(
        r#"apiVersion: sparkplane.io/v1alpha1
kind: SparkCluster
metadata:
  name: {name}
  namespace: {RESTRICTED_NS}
spec:
  sparkVersion: "{SPARK_VERSION}"
  image: {SPARK_IMAGE}
  master:
    memory: 512m
    resources:
      requests: {{cpu: 250m, memory: 2Gi}}
      limits: {{memory: 2Gi}}
  workers:
    replicas: 2
    minReplicas: 1
    maxReplicas: 3
    daemonMemory: 256m
    resources:
      requests: {{cpu: 250m, memory: 1536Mi}}
      limits: {{cpu: "1", memory: 1536Mi}}
"#
    )
}

/// The master's `/json/` through a real kubelet's port-forward to its Service's UI port.
fn master_json(lab: &Lab, name: &str) -> serde_json::Value {
    let port = free_port();
    let mut forward = std::process::Command::new(lab.bin.join("kubectl"))
        .args([
            "-n",
            RESTRICTED_NS,
            "port-forward",
            &format!("svc/{name}-master"),
            &format!("{port}:8080"),
        ])
        .env("KUBECONFIG", &lab.kubeconfig)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("kubectl port-forward");
    let body = wait_for(
        "the master's /json/ through port-forward",
        Duration::from_secs(60),
        || http_get(port, "/json/"),
    );
    let _ = forward.kill();
    let _ = forward.wait();
    let json = body.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(json).unwrap_or_else(|e| panic!("master /json/: {e}: {body}"))
}

fn alive_workers(master: &serde_json::Value) -> usize {
    master["workers"]
        .as_array()
        .map(|w| w.iter().filter(|w| w["state"] == "ALIVE").count())
        .unwrap_or(0)
}

/// SparkPi with spark-submit in the master pod (client mode) against the cluster's master
/// URL. The standalone driver reads the authentication secret only from its configuration:
/// the pod's `spark-defaults.conf` and the secret (from the pod's environment, by the shell's
/// builtin printf: never an argument) go into a 0600 properties file.
fn submit_in_master_pod(lab: &Lab, name: &str) -> String {
    submit_in_master_pod_with(
        lab,
        name,
        "",
        "--class org.sparkplane.examples.SparkPi /opt/spark/examples/jars/sparkplane-examples.jar 20",
    )
}

/// Runs spark-submit in the master pod with the cluster's own defaults (and its secret):
/// `prepare` runs first, `args` end the command line.
fn submit_in_master_pod_with(lab: &Lab, name: &str, prepare: &str, args: &str) -> String {
    let script = format!(
        r#"set -eu
umask 077
{prepare}
conf=/tmp/submit.conf
cat "$SPARK_CONF_DIR/spark-defaults.conf" > "$conf"
printf 'spark.authenticate.secret=%s\n' "$_SPARK_AUTH_SECRET" >> "$conf"
exec /opt/spark/bin/spark-submit --properties-file "$conf" \
  --master spark://{name}-master.{RESTRICTED_NS}.svc:7077 \
  --driver-memory 512m --executor-memory 512m --total-executor-cores 2 \
  {args}"#
    );
    let o = lab.kubectl(&[
        "-n",
        RESTRICTED_NS,
        "exec",
        &format!("deploy/{name}-master"),
        "--",
        "bash",
        "-c",
        &script,
    ]);
    let (out, err) = text(&o);
    assert!(
        o.status.success(),
        "spark-submit in the master pod failed:\n{}\n{}",
        tail(&out, 40),
        tail(&err, 80)
    );
    format!("{out}{err}")
}

/// Prints what explains a cluster's failure.
fn dump_cluster(lab: &Lab, name: &str) {
    let selector = format!("sparkplane.io/cluster={name}");
    for args in [
        vec![
            "-n",
            RESTRICTED_NS,
            "get",
            "sparkcluster",
            name,
            "-o",
            "yaml",
        ],
        vec![
            "-n",
            RESTRICTED_NS,
            "get",
            "all",
            "-l",
            &selector,
            "-o",
            "wide",
        ],
        vec![
            "-n",
            RESTRICTED_NS,
            "get",
            "events",
            "--sort-by=.lastTimestamp",
        ],
        vec![
            "-n",
            RESTRICTED_NS,
            "logs",
            "-l",
            &selector,
            "--tail=40",
            "--prefix",
        ],
        vec![
            "-n",
            OPERATOR_NS,
            "logs",
            "deploy/sparkplane-operator",
            "--tail=60",
        ],
    ] {
        let o = lab.kubectl(&args);
        let (out, err) = text(&o);
        eprintln!("--- kubectl {}\n{out}{err}", args.join(" "));
    }
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn a_spark_cluster_runs_spark_pi_on_two_workers_and_goes_with_its_owner() {
    let lab = lab();
    let name = "standalone";
    // `helm upgrade` leaves the CRDs of an earlier install as they were: this test needs the
    // chart's (the scale subresource, the new status fields).
    let crd = lab::chart().join("crds/sparkplane.io_sparkclusters.yaml");
    lab.kubectl_ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        crd.to_str().expect("utf-8 path"),
    ]);
    lab.delete(RESTRICTED_NS, "sparkcluster", name);
    lab.apply(&standalone_cluster(name));
    // The operator's status: every pod ready (the namespace's Pod Security admission
    // admitted them as "restricted").
    let ready = std::panic::catch_unwind(|| {
        wait_for("the cluster to be Running", JOB_TIMEOUT, || {
            let c = lab.get(RESTRICTED_NS, "sparkcluster", name)?;
            (c["status"]["state"] == "Running").then_some(c)
        })
    });
    let cluster = ready.unwrap_or_else(|e| {
        dump_cluster(lab, name);
        std::panic::resume_unwind(e)
    });
    assert_eq!(
        cluster["status"]["masterUrl"],
        format!("spark://{name}-master.{RESTRICTED_NS}.svc:7077")
    );
    assert_eq!(cluster["status"]["readyWorkers"], 2, "{cluster:#}");
    assert_eq!(
        cluster["status"]["observedGeneration"], cluster["metadata"]["generation"],
        "{cluster:#}"
    );
    let uid = cluster["metadata"]["uid"]
        .as_str()
        .expect("uid")
        .to_string();
    // Spark's own view: two ALIVE workers, each offering what its container is granted
    // (1 core; 1536Mi - 256m daemon heap - 384Mi overhead = 896 MiB).
    let master = wait_for("2 ALIVE workers at the master", JOB_TIMEOUT, || {
        let m = master_json(lab, name);
        (alive_workers(&m) == 2).then_some(m)
    });
    for w in master["workers"].as_array().expect("workers") {
        assert_eq!(w["cores"], 1, "{w}");
        assert_eq!(w["memory"], 896, "{w}");
    }
    let out = submit_in_master_pod(lab, name);
    assert!(out.contains("Pi is roughly 3.1"), "{}", tail(&out, 40));
    let master = master_json(lab, name);
    let done = master["completedapps"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert!(
        done >= 1,
        "no completed application at the master: {master:#}"
    );
    // The printer columns.
    let header = lab.kubectl_ok(&["-n", RESTRICTED_NS, "get", "sparkcluster", name]);
    assert!(
        header.contains("READY") && header.contains("DESIRED"),
        "{header}"
    );
    // The scale subresource, as `kubectl scale` (and a HorizontalPodAutoscaler) use it, while
    // a job runs on both workers: the leaving worker's preStop hook decommissions it (the
    // master shows it DECOMMISSIONED), its executor finishes its task and leaves, and the job
    // completes on the other.
    // Outside minReplicas..maxReplicas, the API server itself refuses the scale (the CRD's
    // CEL rules), naming the field, whatever the client.
    for (n, bound) in [("4", "at most maxReplicas"), ("0", "at least minReplicas")] {
        let o = lab.kubectl(&scale_cluster(name, n));
        let (out, err) = text(&o);
        assert!(!o.status.success(), "scale to {n} was accepted: {out}");
        assert!(
            err.contains("spec.workers.replicas") && err.contains(bound),
            "scale to {n}: {err}"
        );
    }
    let job = std::thread::spawn({
        let name = name.to_string();
        move || {
            submit_in_master_pod_with(
                lab,
                &name,
                "cat > /tmp/slow.py <<'EOF'\n\
                 import time\n\
                 from pyspark.sql import SparkSession\n\
                 sc = SparkSession.builder.getOrCreate().sparkContext\n\
                 print('SLOW SUM', sc.parallelize(range(60), 60).map(lambda x: (time.sleep(1), x)[1]).sum())\n\
                 EOF",
                "/tmp/slow.py",
            )
        }
    });
    wait_for("an executor on each worker", JOB_TIMEOUT, || {
        let m = master_json(lab, name);
        let busy = m["workers"]
            .as_array()?
            .iter()
            .filter(|w| w["state"] == "ALIVE" && w["coresused"] == 1)
            .count();
        (busy == 2).then_some(())
    });
    lab.kubectl_ok(&scale_cluster(name, "1"));
    wait_for("a DECOMMISSIONED worker at the master", JOB_TIMEOUT, || {
        let m = master_json(lab, name);
        m["workers"]
            .as_array()?
            .iter()
            .any(|w| w["state"] == "DECOMMISSIONED")
            .then_some(())
    });
    let out = job.join().expect("the slow job's thread");
    assert!(out.contains("SLOW SUM 1770"), "{}", tail(&out, 60));
    wait_for("the workers scaled to 1", JOB_TIMEOUT, || {
        let sts = lab.get(RESTRICTED_NS, "statefulset", &format!("{name}-worker"))?;
        let c = lab.get(RESTRICTED_NS, "sparkcluster", name)?;
        (sts["spec"]["replicas"] == 1
            && c["status"]["replicas"] == 1
            && c["status"]["desiredWorkers"] == 1)
            .then_some(())
    });
    // Every object is owned by the cluster, and goes with it.
    let selector = format!("sparkplane.io/cluster={name}");
    let kinds = "deployments,statefulsets,services,configmaps,secrets";
    let owned = lab.list(RESTRICTED_NS, kinds, &selector);
    assert_eq!(owned.len(), 6, "{owned:#?}");
    for o in &owned {
        assert_eq!(
            o["metadata"]["ownerReferences"][0]["uid"],
            uid.as_str(),
            "{}",
            o["metadata"]["name"]
        );
    }
    lab.delete(RESTRICTED_NS, "sparkcluster", name);
    wait_for(
        "the garbage collector to delete what the cluster owned",
        Duration::from_secs(120),
        || {
            let left = lab.list(RESTRICTED_NS, &format!("{kinds},pods"), &selector);
            left.is_empty().then_some(())
        },
    );
}

/// `kubectl scale` of SparkCluster `name` in the restricted namespace, through the scale
/// subresource as a HorizontalPodAutoscaler uses it.
fn scale_cluster<'a>(name: &'a str, replicas: &'a str) -> [&'a str; 7] {
    [
        "-n",
        RESTRICTED_NS,
        "scale",
        "sparkcluster",
        name,
        "--replicas",
        replicas,
    ]
}

fn operator_pod(lab: &Lab) -> String {
    let pods = lab.list(
        OPERATOR_NS,
        "pods",
        "app.kubernetes.io/name=sparkplane-operator",
    );
    pods.iter()
        .find(|p| p["status"]["phase"] == "Running" && p["metadata"]["deletionTimestamp"].is_null())
        .and_then(|p| p["metadata"]["name"].as_str().map(String::from))
        .expect("a running operator pod")
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn the_operator_restarted_mid_burst_creates_no_duplicate_driver() {
    let lab = lab();
    let ns = "spark-e2e";
    let n = 50;
    // Drivers that no node takes: each application stops at SUBMITTED with its one driver pod,
    // so the burst costs no Spark run.
    let apps: String = (0..n)
        .map(|i| {
            spark_pi(
                ns,
                &format!("burst-{i}"),
                "  nodeSelector:\n    sparkplane-e2e/none: \"true\"\n",
            ) + "---\n"
        })
        .collect();
    lab.apply(&apps);
    std::thread::sleep(Duration::from_secs(2));
    let before = operator_pod(lab);
    lab.kubectl_ok(&["-n", OPERATOR_NS, "delete", "pod", &before, "--wait=false"]);
    wait_for(
        "every application submitted once",
        Duration::from_secs(300),
        || {
            let apps = lab.list(ns, "sparkapplications", "");
            let submitted = apps
                .iter()
                .filter(|a| {
                    a["metadata"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("burst-"))
                })
                // The state is SUBMITTED from the moment the submission id is recorded, before
                // the driver pod is created; the Submitted condition says it was.
                .filter(|a| a["status"]["applicationState"]["state"] == "SUBMITTED")
                .filter(|a| {
                    a["status"]["conditions"].as_array().is_some_and(|cs| {
                        cs.iter()
                            .any(|c| c["type"] == "Submitted" && c["status"] == "True")
                    })
                })
                .count();
            (submitted == n).then_some(())
        },
    );
    let drivers = lab.list(ns, "pods", "spark-role=driver");
    for i in 0..n {
        let app = format!("burst-{i}");
        let mine = drivers
            .iter()
            .filter(|p| p["metadata"]["labels"]["sparkoperator.k8s.io/app-name"] == app.as_str())
            .count();
        assert_eq!(mine, 1, "{app} has {mine} driver pods");
    }
    let names: Vec<String> = (0..n).map(|i| format!("burst-{i}")).collect();
    let mut args = vec!["-n", ns, "delete", "sparkapplication", "--wait=true"];
    args.extend(names.iter().map(String::as_str));
    lab.kubectl_ok(&args);
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn the_operator_recovers_from_an_api_server_restart_mid_run() {
    let lab = lab();
    let name = "api-restart";
    lab.delete(JOBS_NS, "sparkapplication", name);
    slow_job_configmap(lab);
    lab.apply(&slow_app(
        name,
        &["20", "1"],
        "    instances: 1\n  restartPolicy:\n    type: Never\n",
    ));
    lab.wait_app_state(JOBS_NS, name, "RUNNING", JOB_TIMEOUT);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/kube-lab.sh");
    let o = std::process::Command::new("bash")
        .arg(script)
        .arg("restart-apiserver")
        .output()
        .expect("kube-lab.sh restart-apiserver");
    let (out, err) = text(&o);
    assert!(o.status.success(), "restart-apiserver: {err}{out}");
    lab.wait_app_state(JOBS_NS, name, "COMPLETED", JOB_TIMEOUT);
    // The operator noticed: an application made after the restart is run as well.
    let after = "after-restart";
    lab.delete(JOBS_NS, "sparkapplication", after);
    lab.apply(&spark_pi(JOBS_NS, after, "").replace("instances: 2", "instances: 1"));
    lab.wait_app_state(JOBS_NS, after, "COMPLETED", JOB_TIMEOUT);
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn a_helm_upgrade_rolls_the_operator_over() {
    let lab = lab();
    let before = operator_pod(lab);
    let chart = chart();
    // A changed setting makes a new ReplicaSet: the rolling update waits for the new pod to be
    // ready while the old one still leads.
    let o = lab.helm(&[
        "upgrade",
        RELEASE,
        chart.to_str().expect("utf-8 path"),
        "--namespace",
        OPERATOR_NS,
        "-f",
        values_file().to_str().expect("utf-8 path"),
        "--set",
        "controller.statusWorkers=12",
        "--wait",
        "--timeout",
        "3m",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "helm upgrade: {err}{out}");
    let after = wait_for(
        "the old operator pod to go",
        Duration::from_secs(120),
        || {
            let pods = lab.list(
                OPERATOR_NS,
                "pods",
                "app.kubernetes.io/name=sparkplane-operator",
            );
            (pods.len() == 1).then(|| operator_pod(lab))
        },
    );
    assert_ne!(before, after);
    // The new pod leads: an application is run.
    let name = "after-upgrade";
    lab.delete(JOBS_NS, "sparkapplication", name);
    lab.apply(&spark_pi(JOBS_NS, name, "  suspend: true\n"));
    lab.wait_app_state(JOBS_NS, name, "SUSPENDED", Duration::from_secs(60));
    lab.delete(JOBS_NS, "sparkapplication", name);
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn applications_run_in_a_namespace_that_enforces_restricted() {
    let lab = lab();
    let ns = RESTRICTED_NS;
    // The operator's default level (restricted) fills in what the level needs: the real
    // PodSecurity admission takes the driver, and the driver's executors.
    let name = "pi-restricted";
    lab.delete(ns, "sparkapplication", name);
    lab.apply(&spark_pi(ns, name, ""));
    let app = lab.wait_app_state(ns, name, "COMPLETED", JOB_TIMEOUT);
    let executors = app["status"]["executorState"]
        .as_object()
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(
        executors >= 2,
        "the driver's executors were admitted: {:#}",
        app["status"]
    );
    let logs = lab.sparkplane_ok(&["app", "logs", name, "--kube", "-n", ns]);
    assert!(logs.contains("Pi is roughly 3.1"));
    lab.delete(ns, "sparkapplication", name);

    // The same application with the level lowered to none by its annotation: the namespace
    // refuses its driver, so the setting is what made the first one pass.
    let name = "pi-unrestricted";
    lab.delete(ns, "sparkapplication", name);
    let manifest = spark_pi(ns, name, "").replace(
        &format!("  namespace: {ns}\n"),
        &format!("  namespace: {ns}\n  annotations:\n    sparkplane.io/pod-security: none\n"),
    );
    lab.apply(&manifest);
    let app = lab.wait_app_state(ns, name, "FAILED", Duration::from_secs(180));
    let msg = app["status"]["applicationState"]["errorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(msg.contains("violates PodSecurity \"restricted"), "{msg}");
    lab.delete(ns, "sparkapplication", name);
}

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn batch_scheduler_pod_groups_are_accepted_and_removed() {
    let lab = lab();
    // No batch scheduler runs here, so the drivers wait; their PodGroups are what is checked.
    for (scheduler, kind, group_name) in [
        (
            "volcano",
            "podgroups.scheduling.volcano.sh",
            "spark-pg-volcano-pg",
        ),
        (
            "kube-scheduler",
            "podgroups.scheduling.x-k8s.io",
            "pg-kube-scheduler-pg",
        ),
    ] {
        let name = if scheduler == "volcano" {
            "pg-volcano"
        } else {
            "pg-kube-scheduler"
        };
        lab.delete(JOBS_NS, "sparkapplication", name);
        lab.apply(&spark_pi(
            JOBS_NS,
            name,
            &format!("  batchScheduler: {scheduler}\n"),
        ));
        lab.wait_app_state(JOBS_NS, name, "SUBMITTED", Duration::from_secs(60));
        let group = wait_for(
            &format!("{kind} {group_name}"),
            Duration::from_secs(60),
            || lab.get(JOBS_NS, kind, group_name),
        );
        assert_eq!(
            group["metadata"]["ownerReferences"][0]["name"], name,
            "{group:#}"
        );
        assert!(
            group["spec"]["minResources"]["memory"].is_string(),
            "{group:#}"
        );
        lab.delete(JOBS_NS, "sparkapplication", name);
        wait_for(
            &format!("{kind} {group_name} to go"),
            Duration::from_secs(60),
            || lab.get(JOBS_NS, kind, group_name).is_none().then_some(()),
        );
    }
}

/// Rights the chart grants that the tier does not use, each with where it is exercised. Every
/// other right must appear in the API server's audit log of the operator's requests.
const RIGHTS_USED_ELSEWHERE: [(&str, &str, &str); 5] = [
    (
        "get",
        "pods",
        "a live read before a driver is declared lost: controller scenario \
         image_pull_failures_and_lost_drivers_fail_with_the_reason, on the double",
    ),
    (
        "create",
        "persistentvolumeclaims",
        "on-demand PVCs: the lab has no storage provisioner",
    ),
    (
        "patch",
        "persistentvolumeclaims",
        "on-demand PVCs: the lab has no storage provisioner",
    ),
    (
        "delete",
        "podgroups.scheduling.volcano.sh",
        "deleted when the application terminates; no batch scheduler runs here to start it",
    ),
    (
        "delete",
        "podgroups.scheduling.x-k8s.io",
        "deleted when the application terminates; no batch scheduler runs here to start it",
    ),
];

#[test]
#[ignore = "real cluster: set SPARKPLANE_KUBE_LAB (scripts/test.sh does)"]
fn zz_every_right_of_the_operator_was_used_or_is_accounted_for() {
    let lab = lab();
    let audit = lab
        .kubeconfig
        .parent()
        .expect("the lab directory")
        .join("log/audit.log");
    let text = std::fs::read_to_string(&audit).expect("the API server's audit log");
    let operator = format!("system:serviceaccount:{OPERATOR_NS}:{OPERATOR_SA}");
    let mut used = std::collections::BTreeSet::new();
    for line in text.lines() {
        let Ok(e) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if e["user"]["username"] != operator.as_str() || e["responseStatus"]["code"] == 403 {
            continue;
        }
        let o = &e["objectRef"];
        let group = o["apiGroup"].as_str().unwrap_or_default();
        let mut resource = o["resource"].as_str().unwrap_or_default().to_string();
        if !group.is_empty() {
            resource = format!("{resource}.{group}");
        }
        if let Some(sub) = o["subresource"].as_str() {
            resource = format!("{resource}/{sub}");
        }
        let verb = e["verb"].as_str().unwrap_or_default().to_string();
        // A server-side apply that creates its object is authorized as create as well as
        // patch (a patch-only account gets "cannot create resource"); the audit log shows it
        // as a patch answered 201.
        if verb == "patch" && e["responseStatus"]["code"] == 201 {
            used.insert(("create".to_string(), resource.clone()));
        }
        used.insert((verb, resource));
    }
    let mut unused = Vec::new();
    for file in ["operator-rules.yaml", "leader-rules.yaml"] {
        for rule in rules(file) {
            for group in &rule.api_groups {
                for res in &rule.resources {
                    let (base, sub) = match res.split_once('/') {
                        Some((b, s)) => (b, Some(s)),
                        None => (res.as_str(), None),
                    };
                    let mut resource = if group.is_empty() {
                        base.to_string()
                    } else {
                        format!("{base}.{group}")
                    };
                    if let Some(s) = sub {
                        resource = format!("{resource}/{s}");
                    }
                    for verb in &rule.verbs {
                        if used.contains(&(verb.clone(), resource.clone())) {
                            continue;
                        }
                        if RIGHTS_USED_ELSEWHERE
                            .iter()
                            .any(|(v, r, _)| v == verb && *r == resource)
                        {
                            continue;
                        }
                        unused.push(format!("{verb} {resource} ({file})"));
                    }
                }
            }
        }
    }
    assert!(
        unused.is_empty(),
        "rights the operator holds but never used on the real cluster: {unused:#?}\nused: {used:#?}"
    );
}
