//! The controller over HTTP through kube-rs's real client, against the Kubernetes API double:
//! every state transition, restarts mid-submission, injected API faults, bad manifests,
//! suspend/resume, time to live, image-pull failures.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use kube::api::DynamicObject;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{json, Value};
use sparkplane_kube_double::{Fault, KubeDouble};
use sparkplane_lifecycle::Settings;
use sparkplane_operator::client;
use sparkplane_operator::controller::app_resource;
use sparkplane_operator::controller::{self, Config};
use sparkplane_operator::metrics::Metrics;

const NS: &str = "jobs";

fn app_path(name: &str) -> String {
    format!("/apis/sparkoperator.k8s.io/v1beta2/namespaces/{NS}/sparkapplications/{name}")
}

fn pod_path(name: &str) -> String {
    format!("/api/v1/namespaces/{NS}/pods/{name}")
}

/// A running operator; stopped when dropped.
struct Operator {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    metrics: Arc<Metrics>,
}

impl Operator {
    async fn start(double: &KubeDouble, settings: Settings) -> Operator {
        Self::start_with(double, settings, Default::default()).await
    }

    async fn start_with(
        double: &KubeDouble,
        settings: Settings,
        ui: sparkplane_render::UiOptions,
    ) -> Operator {
        let config = Config {
            namespaces: vec![NS.into()],
            lifecycle: settings,
            ui,
            ..Config::default()
        };
        Self::start_config(double, config).await
    }

    async fn start_config(double: &KubeDouble, config: Config) -> Operator {
        let metrics = Arc::new(Metrics::new());
        let client = client::client(Some(&double.url()), Some(metrics.clone()))
            .await
            .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = stopped.map(|_| ()).shared();
        let m = metrics.clone();
        let task = tokio::spawn(async move {
            controller::run(
                client,
                config,
                m,
                Arc::new(AtomicBool::new(false)),
                shutdown,
            )
            .await;
        });
        Operator {
            stop: Some(stop),
            task: Some(task),
            metrics,
        }
    }

    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

fn fast() -> Settings {
    Settings {
        driver_creation_grace: Duration::from_secs(2),
        image_pull_timeout: Duration::from_secs(2),
        max_retry_delay: Duration::from_secs(2),
        ..Settings::default()
    }
}

fn manifest(name: &str, extra: Value) -> Value {
    let mut m = json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "type": "Scala",
            "mode": "cluster",
            "sparkVersion": "4.0.0",
            "image": "spark:4.0.0",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "arguments": ["100"],
            "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark",
                       "tolerations": [{"key": "spark", "operator": "Exists"}]},
            "executor": {"instances": 2, "cores": 1, "memory": "512m",
                         "nodeSelector": {"pool": "spark"}}
        }
    });
    sparkplane_kube_double::merge_patch(&mut m["spec"], &extra);
    m
}

async fn create(double: &KubeDouble, app: &Value) {
    let client = client::client(Some(&double.url()), None).await.unwrap();
    let api: Api<DynamicObject> = Api::namespaced_with(client, NS, &app_resource());
    let obj: DynamicObject = serde_json::from_value(app.clone()).unwrap();
    api.create(&PostParams::default(), &obj).await.unwrap();
}

async fn patch_spec(double: &KubeDouble, name: &str, patch: Value) {
    let client = client::client(Some(&double.url()), None).await.unwrap();
    let api: Api<DynamicObject> = Api::namespaced_with(client, NS, &app_resource());
    api.patch(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({ "spec": patch })),
    )
    .await
    .unwrap();
}

/// Waits (up to 30 s) until `f` holds of the application, returning it.
async fn wait_app(
    double: &KubeDouble,
    name: &str,
    what: &str,
    f: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let obj = double.object(&app_path(name)).unwrap_or(Value::Null);
        if f(&obj) {
            return obj;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {name}: {what}; last seen: {obj:#}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn state(app: &Value) -> &str {
    app.pointer("/status/applicationState/state")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn condition(app: &Value, t: &str) -> Option<String> {
    app.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == t)
        .map(|c| c["status"].as_str().unwrap_or("").to_string())
}

async fn wait_state(double: &KubeDouble, name: &str, want: &str) -> Value {
    wait_app(double, name, want, |a| state(a) == want).await
}

async fn wait_submitted(double: &KubeDouble, name: &str) -> Value {
    wait_app(double, name, "Submitted=True", |a| {
        condition(a, "Submitted").as_deref() == Some("True")
    })
    .await
}

fn pod_posts(double: &KubeDouble) -> usize {
    double
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == format!("/api/v1/namespaces/{NS}/pods"))
        .count()
}

fn events(double: &KubeDouble) -> Vec<String> {
    double
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.contains("/events"))
        .filter_map(|r| r.body["reason"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_runs_through_its_states_to_completed() {
    let double = KubeDouble::start().unwrap();
    let ui = sparkplane_render::UiOptions {
        ingress_url_format: Some("{{$appName}}.spark.example.com".into()),
        ingress_class_name: Some("nginx".into()),
        ..Default::default()
    };
    let op = Operator::start_with(&double, fast(), ui).await;
    create(&double, &manifest("pi", json!({}))).await;
    let app = wait_submitted(&double, "pi").await;
    assert_eq!(state(&app), "SUBMITTED");
    let uid = app["metadata"]["uid"].as_str().unwrap().to_string();
    assert_eq!(app["status"]["submissionID"], format!("{uid}-1"));
    assert_eq!(app["status"]["driverInfo"]["podName"], "pi-driver");
    assert_eq!(app["status"]["driverInfo"]["webUIServiceName"], "pi-ui-svc");

    // The driver pod carries the webhook-style fields and is owned by the application.
    let pod = double.object(&pod_path("pi-driver")).expect("driver pod");
    assert_eq!(pod["metadata"]["ownerReferences"][0]["uid"], uid.as_str());
    assert_eq!(
        pod["metadata"]["ownerReferences"][0]["kind"],
        "SparkApplication"
    );
    assert_eq!(pod["spec"]["tolerations"][0]["key"], "spark");
    assert_eq!(pod["spec"]["serviceAccountName"], "spark");
    assert_eq!(
        pod["metadata"]["labels"]["sparkoperator.k8s.io/app-name"],
        "pi"
    );
    // The executor template carries the executors' fields.
    let maps = double.objects(&format!("/api/v1/namespaces/{NS}/configmaps"));
    let template = maps
        .iter()
        .find(|m| {
            m["metadata"]["name"]
                .as_str()
                .unwrap()
                .ends_with("-driver-podspec-conf-map")
        })
        .expect("executor pod template");
    let text = template["data"]["podspec-configmap-key"].as_str().unwrap();
    let exec: Value = serde_json::from_str(text).unwrap();
    assert_eq!(exec["spec"]["nodeSelector"]["pool"], "spark");
    assert_eq!(exec["metadata"]["ownerReferences"][0]["uid"], uid.as_str());
    assert!(double
        .object(&format!("/api/v1/namespaces/{NS}/services/pi-ui-svc"))
        .is_some());
    let ingress = double
        .object(&format!(
            "/apis/networking.k8s.io/v1/namespaces/{NS}/ingresses/pi-ui-ingress"
        ))
        .expect("UI ingress");
    assert_eq!(ingress["spec"]["rules"][0]["host"], "pi.spark.example.com");
    assert_eq!(
        app["status"]["driverInfo"]["webUIIngressAddress"],
        "http://pi.spark.example.com"
    );
    validate_emitted(&double);

    double
        .set_status(&pod_path("pi-driver"), json!({"phase": "Running"}))
        .unwrap();
    wait_state(&double, "pi", "RUNNING").await;
    // Executors the driver creates are tracked in the status.
    let client = client::client(Some(&double.url()), None).await.unwrap();
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client, NS);
    let exec: k8s_openapi::api::core::v1::Pod = serde_json::from_value(json!({
        "metadata": {"name": "pi-exec-1", "labels": {
            "sparkoperator.k8s.io/app-name": "pi",
            "sparkoperator.k8s.io/launched-by-spark-operator": "true",
            "sparkoperator.k8s.io/submission-id": format!("{uid}-1"),
            "spark-role": "executor", "spark-exec-id": "1"}},
        "spec": {"containers": [{"name": "spark-kubernetes-executor", "image": "spark"}]}
    }))
    .unwrap();
    pods.create(&PostParams::default(), &exec).await.unwrap();
    double
        .set_status(&pod_path("pi-exec-1"), json!({"phase": "Running"}))
        .unwrap();
    wait_app(&double, "pi", "executor state", |a| {
        a["status"]["executorState"]["pi-exec-1"] == "RUNNING"
    })
    .await;
    double
        .set_status(
            &pod_path("pi-driver"),
            json!({"phase": "Succeeded", "containerStatuses": [{"name": "spark-kubernetes-driver",
                "ready": false, "restartCount": 0, "image": "spark", "imageID": "",
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
        )
        .unwrap();
    let done = wait_state(&double, "pi", "COMPLETED").await;
    assert!(done["status"]["terminationTime"].is_string());
    assert_eq!(condition(&done, "Terminated").as_deref(), Some("True"));
    assert_eq!(done["status"]["executionAttempts"], 1);
    let reasons = events(&double);
    for r in [
        "SparkApplicationSubmitted",
        "SparkDriverRunning",
        "SparkDriverCompleted",
        "SparkApplicationCompleted",
    ] {
        assert!(
            reasons.iter().any(|e| e == r),
            "no {r} event in {reasons:?}"
        );
    }
    // One driver pod (the other POST is the test's executor).
    assert_eq!(pod_posts(&double), 2);
    // Without ResourceQuota enforcement the quotas are never read.
    assert!(!double
        .requests()
        .iter()
        .any(|r| r.path.contains("resourcequotas")));
    assert_rbac_allows_every_call(&double);
    let text = op.metrics.encode();
    assert!(
        text.contains("sparkplane_application_submit_latency_seconds_count 1"),
        "{text}"
    );
    assert!(
        text.contains("sparkplane_kube_api_calls_total{verb=\"create\",code=\"201\"}"),
        "{text}"
    );
    op.stop().await;
}

/// Every API call the operator made is allowed by the Helm chart's RBAC rules: a rule
/// missing from the chart fails here, not in production.
fn assert_rbac_allows_every_call(double: &KubeDouble) {
    let chart = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/helm/sparkplane-operator/files");
    let mut rules: Vec<Value> = Vec::new();
    for f in [
        "operator-rules.yaml",
        "leader-rules.yaml",
        "selector-rules.yaml",
    ] {
        let text = std::fs::read_to_string(chart.join(f)).unwrap();
        let r: Vec<Value> = serde_yaml_ng::from_str(&text).unwrap();
        rules.extend(r);
    }
    let allowed = |group: &str, resource: &str, verb: &str| {
        rules.iter().any(|r| {
            let has = |k: &str, v: &str| {
                r[k].as_array()
                    .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(v)))
            };
            has("apiGroups", group) && has("resources", resource) && has("verbs", verb)
        })
    };
    for r in double.requests() {
        let parts: Vec<&str> = r.path.trim_matches('/').split('/').collect();
        let (group, rest) = match parts.as_slice() {
            ["api", _, rest @ ..] => ("", rest),
            ["apis", g, _, rest @ ..] => (*g, rest),
            _ => continue,
        };
        let rest = match rest {
            ["namespaces", _, rest @ ..] if !rest.is_empty() => rest,
            other => other,
        };
        let (resource, named) = match rest {
            [plural] => (plural.to_string(), false),
            [plural, _] => (plural.to_string(), true),
            [plural, _, sub] => (format!("{plural}/{sub}"), true),
            _ => continue,
        };
        // The tests' own calls: creating and editing applications and schedules.
        let test_call = resource == "sparkclusters"
            && matches!(r.method.as_str(), "POST" | "PATCH")
            || (resource == "sparkapplications" || resource == "scheduledsparkapplications")
                && r.method == "PATCH"
            || resource == "scheduledsparkapplications" && r.method == "POST"
            || resource == "namespaces" && r.method == "POST"
            || resource == "resourcequotas" && r.method == "POST"
            || resource == "sparkapplications"
                && r.method == "POST"
                && r.body["metadata"]["labels"]
                    .get("sparkoperator.k8s.io/scheduled-app-name")
                    .is_none();
        if test_call {
            continue;
        }
        let verb = match (r.method.as_str(), named) {
            ("GET", true) => "get",
            ("GET", false)
                if r.query
                    .get("watch")
                    .is_some_and(|w| w == "true" || w == "1") =>
            {
                "watch"
            }
            ("GET", false) => "list",
            ("POST", _) => "create",
            ("PUT", _) => "update",
            ("PATCH", _) => "patch",
            ("DELETE", true) => "delete",
            ("DELETE", false) => "deletecollection",
            _ => "other",
        };
        assert!(
            allowed(group, &resource, verb),
            "the chart's RBAC does not allow {verb} {resource} (group {group:?}): {} {}",
            r.method,
            r.path
        );
    }
}

/// Kinds of custom resources the operator creates that `kubernetes-validate` does not know.
const NOT_VALIDATED: &[&str] = &["PodGroup"];

/// Every object the operator created passes the official Kubernetes schemas of the oldest
/// and newest Kubernetes versions it supports, but the custom resources of
/// [`NOT_VALIDATED`].
fn validate_emitted(double: &KubeDouble) {
    let validator = std::env::var_os("SPARKPLANE_KUBERNETES_VALIDATE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "kubernetes-validate".into());
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for collection in [
        format!("/api/v1/namespaces/{NS}/pods"),
        format!("/api/v1/namespaces/{NS}/services"),
        format!("/api/v1/namespaces/{NS}/configmaps"),
        format!("/apis/networking.k8s.io/v1/namespaces/{NS}/networkpolicies"),
        format!("/apis/networking.k8s.io/v1/namespaces/{NS}/ingresses"),
        format!("/apis/policy/v1/namespaces/{NS}/poddisruptionbudgets"),
        format!("/api/v1/namespaces/{NS}/secrets"),
        format!("/apis/apps/v1/namespaces/{NS}/deployments"),
        format!("/apis/apps/v1/namespaces/{NS}/statefulsets"),
        format!("/apis/scheduling.volcano.sh/v1beta1/namespaces/{NS}/podgroups"),
        format!("/apis/scheduling.x-k8s.io/v1alpha1/namespaces/{NS}/podgroups"),
    ] {
        for (i, obj) in double.objects(&collection).into_iter().enumerate() {
            // PodGroups are the batch schedulers' CRDs: the validator has no schema for
            // them. The unit tests of `render::batch` check them against kubeflow's.
            if NOT_VALIDATED.contains(&obj["kind"].as_str().unwrap_or_default()) {
                continue;
            }
            let name = format!("{}-{i}.json", collection.rsplit('/').next().unwrap());
            let path = dir.path().join(name);
            std::fs::write(&path, serde_json::to_string(&obj).unwrap()).unwrap();
            files.push(path);
        }
    }
    assert!(files.len() >= 6, "only {} objects", files.len());
    // The oldest supported version, then the validator's default: the newest it knows.
    for version in [Some("1.28.0"), None] {
        let pinned = version.map(|v| vec!["-k", v]).unwrap_or_default();
        let o = std::process::Command::new(&validator)
            .args(["--strict", "--quiet", "--no-warn"])
            .args(&pinned)
            .args(&files)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {}: {e}; run scripts/test.sh (installs kubernetes-validate) or \
                     `pip install kubernetes-validate` (or set SPARKPLANE_KUBERNETES_VALIDATE)",
                    validator.display()
                )
            });
        assert!(
            o.status.success(),
            "Kubernetes {}: {}{}",
            version.unwrap_or("newest"),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_runs_are_retried_under_a_new_driver_name_then_fail() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    let policy = json!({"restartPolicy": {"type": "OnFailure", "onFailureRetries": 1,
                         "onFailureRetryInterval": 1}});
    create(&double, &manifest("flaky", policy)).await;
    wait_submitted(&double, "flaky").await;
    let failed = json!({"phase": "Failed", "containerStatuses": [{"name": "spark-kubernetes-driver",
        "ready": false, "restartCount": 0, "image": "spark", "imageID": "",
        "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]});
    double
        .set_status(&pod_path("flaky-driver"), failed.clone())
        .unwrap();
    // The rerun gets its own driver pod, and the first one is deleted.
    let app = wait_app(&double, "flaky", "second submission", |a| {
        a["status"]["driverInfo"]["podName"] == "flaky-2-driver"
            && condition(a, "Submitted").as_deref() == Some("True")
    })
    .await;
    assert_eq!(app["status"]["executionAttempts"], 2);
    assert!(double.object(&pod_path("flaky-driver")).is_none());
    double
        .set_status(&pod_path("flaky-2-driver"), failed)
        .unwrap();
    let app = wait_state(&double, "flaky", "FAILED").await;
    assert_eq!(
        app["status"]["applicationState"]["errorMessage"],
        "driver container failed with exit code 1, reason Error"
    );
    assert_eq!(pod_posts(&double), 2);
    assert_rbac_allows_every_call(&double);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_a_submission_creates_no_second_driver() {
    let double = KubeDouble::start().unwrap();
    // Every Service apply fails: the driver pod exists, the submission is not finished.
    double.inject(Fault {
        method: Some("PATCH".into()),
        path_contains: "/services/".into(),
        code: Some(503),
        delay: Duration::ZERO,
        times: 1_000_000,
    });
    let op = Operator::start(&double, fast()).await;
    create(&double, &manifest("pi", json!({}))).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while double.object(&pod_path("pi-driver")).is_none() {
        assert!(Instant::now() < deadline, "no driver pod");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let app = double.object(&app_path("pi")).unwrap();
    assert_eq!(state(&app), "SUBMITTED");
    assert_eq!(condition(&app, "Submitted").as_deref(), Some("False"));
    op.stop().await;

    // A new operator with a healthy API finishes the same submission.
    double.clear_faults();
    let _op = Operator::start(&double, fast()).await;
    let app = wait_submitted(&double, "pi").await;
    assert_eq!(app["status"]["submissionAttempts"], 1);
    let pods = double.objects(&format!("/api/v1/namespaces/{NS}/pods"));
    assert_eq!(pods.len(), 1, "exactly one driver pod");
    assert!(double
        .object(&format!("/api/v1/namespaces/{NS}/services/pi-ui-svc"))
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_api_faults_are_survived() {
    let double = KubeDouble::start().unwrap();
    for (method, path, code) in [
        ("POST", "/pods", 500),
        ("POST", "/pods", 429),
        ("PUT", "/status", 409),
        ("PUT", "/status", 503),
        ("GET", "/sparkapplications", 410),
    ] {
        double.inject(Fault {
            method: Some(method.into()),
            path_contains: path.into(),
            code: Some(code),
            delay: Duration::ZERO,
            times: 1,
        });
    }
    // A slow answer to the driver pod's status read.
    double.inject(Fault {
        method: Some("GET".into()),
        path_contains: "/pods/pi-driver".into(),
        code: None,
        delay: Duration::from_secs(2),
        times: 1,
    });
    let op = Operator::start(&double, fast()).await;
    create(&double, &manifest("pi", json!({}))).await;
    wait_submitted(&double, "pi").await;
    double
        .set_status(&pod_path("pi-driver"), json!({"phase": "Running"}))
        .unwrap();
    wait_state(&double, "pi", "RUNNING").await;
    assert_eq!(
        double
            .objects(&format!("/api/v1/namespaces/{NS}/pods"))
            .len(),
        1
    );
    let text = op.metrics.encode();
    assert!(text.contains("code=\"500\""), "{text}");
    assert!(text.contains("sparkplane_reconcile_errors_total"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_manifest_gets_a_status_naming_the_field_and_does_not_stop_others() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    create(
        &double,
        &manifest("bad", json!({"driver": {"memory": "lots"}})),
    )
    .await;
    create(&double, &manifest("good", json!({}))).await;
    let bad = wait_state(&double, "bad", "FAILED").await;
    let message = bad["status"]["applicationState"]["errorMessage"]
        .as_str()
        .unwrap();
    assert!(message.contains("spec.driver.memory"), "{message}");
    assert!(message.contains("\"lots\""), "{message}");
    wait_submitted(&double, "good").await;
    assert!(double.object(&pod_path("bad-driver")).is_none());
    // A manifest that renders to something the builder refuses fails its submission.
    create(
        &double,
        &manifest("local", json!({"deps": {"jars": ["/tmp/lib.jar"]}})),
    )
    .await;
    let local = wait_state(&double, "local", "FAILED").await;
    let message = local["status"]["applicationState"]["errorMessage"]
        .as_str()
        .unwrap();
    assert!(message.starts_with("spec.deps.jars: "), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspend_and_resume() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    create(&double, &manifest("s", json!({"suspend": true}))).await;
    wait_state(&double, "s", "SUSPENDED").await;
    assert_eq!(pod_posts(&double), 0);
    patch_spec(&double, "s", json!({"suspend": false})).await;
    wait_submitted(&double, "s").await;
    patch_spec(&double, "s", json!({"suspend": true})).await;
    wait_state(&double, "s", "SUSPENDED").await;
    assert!(double.object(&pod_path("s-driver")).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spec_change_reruns_the_application() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    create(&double, &manifest("c", json!({}))).await;
    wait_submitted(&double, "c").await;
    patch_spec(&double, "c", json!({"arguments": ["200"]})).await;
    let app = wait_app(&double, "c", "rerun", |a| {
        a["status"]["driverInfo"]["podName"] == "c-2-driver"
            && condition(a, "Submitted").as_deref() == Some("True")
    })
    .await;
    assert_eq!(app["status"]["executionAttempts"], 1);
    assert!(double.object(&pod_path("c-driver")).is_none());
    assert!(events(&double)
        .iter()
        .any(|e| e == "SparkApplicationSpecUpdateProcessed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_applications_are_deleted_after_their_time_to_live() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    create(&double, &manifest("ttl", json!({"timeToLiveSeconds": 1}))).await;
    wait_submitted(&double, "ttl").await;
    double
        .set_status(&pod_path("ttl-driver"), json!({"phase": "Succeeded"}))
        .unwrap();
    // COMPLETED lasts what is left of the second after the driver ended, which a loaded
    // machine can spend before this loop looks again: the event is its lasting trace.
    wait_app(&double, "ttl", "deleted", |a| a.is_null()).await;
    let reasons = events(&double);
    assert!(
        reasons.iter().any(|e| e == "SparkApplicationCompleted"),
        "{reasons:?}"
    );
    assert!(double
        .requests()
        .iter()
        .any(|r| r.method == "DELETE" && r.path.starts_with(&app_path("ttl"))));
    assert_rbac_allows_every_call(&double);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_pull_failures_and_lost_drivers_fail_with_the_reason() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    create(&double, &manifest("img", json!({"image": "nope:1"}))).await;
    create(&double, &manifest("lost", json!({}))).await;
    wait_submitted(&double, "img").await;
    double
        .set_status(
            &pod_path("img-driver"),
            json!({"phase": "Pending", "containerStatuses": [{"name": "spark-kubernetes-driver",
                "ready": false, "restartCount": 0, "image": "nope:1", "imageID": "",
                "state": {"waiting": {"reason": "ImagePullBackOff",
                                      "message": "Back-off pulling image \"nope:1\""}}}]}),
        )
        .unwrap();
    let img = wait_state(&double, "img", "FAILED").await;
    let m = img["status"]["applicationState"]["errorMessage"]
        .as_str()
        .unwrap();
    assert!(
        m.contains("driver image cannot be pulled") && m.contains("nope:1"),
        "{m}"
    );
    assert!(
        double.object(&pod_path("img-driver")).is_none(),
        "the stuck pod is deleted"
    );

    wait_submitted(&double, "lost").await;
    double
        .set_status(&pod_path("lost-driver"), json!({"phase": "Running"}))
        .unwrap();
    wait_state(&double, "lost", "RUNNING").await;
    let client = client::client(Some(&double.url()), None).await.unwrap();
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client, NS);
    pods.delete("lost-driver", &Default::default())
        .await
        .unwrap();
    let lost = wait_state(&double, "lost", "FAILED").await;
    assert_eq!(
        lost["status"]["applicationState"]["errorMessage"],
        "driver pod lost-driver not found"
    );
    assert_rbac_allows_every_call(&double);
}

async fn create_scheduled(double: &KubeDouble, name: &str, extra: Value) {
    let mut m = json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "ScheduledSparkApplication",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"schedule": "@every 2s", "timeZone": "UTC",
                 "template": manifest("x", json!({}))["spec"].clone()}
    });
    sparkplane_kube_double::merge_patch(&mut m["spec"], &extra);
    let client = client::client(Some(&double.url()), None).await.unwrap();
    let api: Api<DynamicObject> = Api::namespaced_with(
        client,
        NS,
        &sparkplane_operator::controller::scheduled::scheduled_resource(),
    );
    let obj: DynamicObject = serde_json::from_value(m).unwrap();
    api.create(&PostParams::default(), &obj).await.unwrap();
}

fn runs_of(double: &KubeDouble, name: &str) -> Vec<Value> {
    double
        .objects(&format!(
            "/apis/sparkoperator.k8s.io/v1beta2/namespaces/{NS}/sparkapplications"
        ))
        .into_iter()
        .filter(|a| a["metadata"]["labels"]["sparkoperator.k8s.io/scheduled-app-name"] == name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_applications_start_runs_and_keep_history() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    create_scheduled(&double, "every", json!({"concurrencyPolicy": "Allow"})).await;
    create_scheduled(&double, "forbid", json!({"concurrencyPolicy": "Forbid"})).await;
    let sched = |n: &str| {
        double.object(&format!(
            "/apis/sparkoperator.k8s.io/v1beta2/namespaces/{NS}/scheduledsparkapplications/{n}"
        ))
    };
    // Runs start, are submitted like any application, and are recorded.
    let deadline = Instant::now() + Duration::from_secs(30);
    while runs_of(&double, "every").len() < 2 {
        assert!(
            Instant::now() < deadline,
            "no second run: {:?}",
            sched("every")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let every = sched("every").unwrap();
    assert_eq!(every["status"]["scheduleState"], "Scheduled");
    let last = every["status"]["lastRunName"].as_str().unwrap().to_string();
    assert!(last.starts_with("every-"), "{last}");
    wait_submitted(&double, &last).await;
    // Forbid: while the first run is unfinished, no second one starts.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(runs_of(&double, "forbid").len(), 1);
    let forbid = sched("forbid").unwrap();
    assert!(
        forbid["status"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("is still"),
        "{forbid:#}"
    );
    // Finished runs beyond the history limit (1) are deleted.
    for run in runs_of(&double, "every") {
        let n = run["metadata"]["name"].as_str().unwrap().to_string();
        let driver = run["status"]["driverInfo"]["podName"]
            .as_str()
            .map(str::to_string);
        if let Some(d) = driver {
            let _ = double.set_status(&pod_path(&d), json!({"phase": "Succeeded"}));
            wait_state(&double, &n, "COMPLETED").await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let s = sched("every").unwrap();
        let past = s["status"]["pastSuccessfulRunNames"]
            .as_array()
            .map(Vec::len);
        let completed = runs_of(&double, "every")
            .iter()
            .filter(|r| state(r) == "COMPLETED")
            .count();
        if past == Some(1) && completed <= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "history not trimmed: {s:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_rbac_allows_every_call(&double);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_schedule_fails_validation_with_the_field() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    create_scheduled(&double, "bad", json!({"schedule": "61 * * * *"})).await;
    let path = format!(
        "/apis/sparkoperator.k8s.io/v1beta2/namespaces/{NS}/scheduledsparkapplications/bad"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = double.object(&path).unwrap();
        if s["status"]["scheduleState"] == "FailedValidation" {
            assert!(
                s["status"]["reason"]
                    .as_str()
                    .unwrap()
                    .contains("spec.schedule"),
                "{s:#}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{s:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(runs_of(&double, "bad").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_are_selected_by_label_as_they_come() {
    let double = KubeDouble::start().unwrap();
    let metrics = Arc::new(Metrics::new());
    let client = client::client(Some(&double.url()), None).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = Config {
        namespace_selector: Some("team=spark".into()),
        lifecycle: fast(),
        ..Config::default()
    };
    let task = tokio::spawn(controller::run(
        client.clone(),
        config,
        metrics,
        Arc::new(AtomicBool::new(false)),
        stopped.map(|_| ()).shared(),
    ));
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client);
    let ns = |name: &str, labels: Value| {
        serde_json::from_value::<k8s_openapi::api::core::v1::Namespace>(
            json!({"metadata": {"name": name, "labels": labels}}),
        )
        .unwrap()
    };
    namespaces
        .create(&PostParams::default(), &ns("other", json!({})))
        .await
        .unwrap();
    // A namespace labelled after the operator started is picked up.
    namespaces
        .create(&PostParams::default(), &ns(NS, json!({"team": "spark"})))
        .await
        .unwrap();
    create(&double, &manifest("pi", json!({}))).await;
    let mut other = manifest("elsewhere", json!({}));
    other["metadata"]["namespace"] = json!("other");
    let c = client::client(Some(&double.url()), None).await.unwrap();
    let api: Api<DynamicObject> = Api::namespaced_with(c, "other", &app_resource());
    api.create(
        &PostParams::default(),
        &serde_json::from_value(other).unwrap(),
    )
    .await
    .unwrap();
    wait_submitted(&double, "pi").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let elsewhere = double
        .object("/apis/sparkoperator.k8s.io/v1beta2/namespaces/other/sparkapplications/elsewhere")
        .unwrap();
    assert!(elsewhere.get("status").is_none(), "{elsewhere:#}");
    assert_rbac_allows_every_call(&double);
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}

fn succeed_driver(double: &KubeDouble, pod: &str) {
    double
        .set_status(
            &pod_path(pod),
            json!({"phase": "Succeeded", "containerStatuses": [{"name": "spark-kubernetes-driver",
                "ready": false, "restartCount": 0, "image": "spark", "imageID": "",
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_scheduler_pod_groups_and_driver_budgets_live_as_long_as_the_application() {
    let double = KubeDouble::start().unwrap();
    let op = Operator::start(&double, fast()).await;
    create(
        &double,
        &manifest(
            "gang",
            json!({"batchScheduler": "volcano",
                   "batchSchedulerOptions": {"queue": "q1", "priorityClassName": "high"}}),
        ),
    )
    .await;
    create(
        &double,
        &manifest("guarded", json!({"driverPodDisruptionBudget": true})),
    )
    .await;
    let gang = wait_submitted(&double, "gang").await;
    let guarded = wait_submitted(&double, "guarded").await;

    // Volcano: the PodGroup, owned by the application, created before the driver pod.
    let group_path =
        format!("/apis/scheduling.volcano.sh/v1beta1/namespaces/{NS}/podgroups/spark-gang-pg");
    let group = double.object(&group_path).expect("PodGroup");
    let owner = &group["metadata"]["ownerReferences"][0];
    assert_eq!(owner["uid"], gang["metadata"]["uid"]);
    assert_eq!(owner["kind"], "SparkApplication");
    assert_eq!(owner["controller"], true);
    assert_eq!(group["spec"]["minMember"], 1);
    assert_eq!(group["spec"]["queue"], "q1");
    assert_eq!(group["spec"]["priorityClassName"], "high");
    // What Spark requests: driver 512 + 384 MiB, executors 2 × (512 + 384) MiB = 2688 MiB.
    assert_eq!(
        group["spec"]["minResources"],
        json!({"cpu": "3", "memory": "2688Mi"})
    );
    let requests = double.requests();
    let position = |method: &str, path: &str| {
        requests
            .iter()
            .position(|r| r.method == method && r.path.starts_with(path))
    };
    let group_applied = position("PATCH", &group_path).expect("PodGroup applied");
    let driver_created = requests
        .iter()
        .position(|r| {
            r.method == "POST"
                && r.path == format!("/api/v1/namespaces/{NS}/pods")
                && r.body["metadata"]["name"] == "gang-driver"
        })
        .expect("driver created");
    assert!(group_applied < driver_created, "PodGroup after the driver");
    let pod = double.object(&pod_path("gang-driver")).expect("driver pod");
    assert_eq!(
        pod["metadata"]["annotations"]["scheduling.k8s.io/group-name"],
        "spark-gang-pg"
    );
    assert_eq!(pod["spec"]["schedulerName"], "volcano");
    // Executors get it through the driver's Spark configuration.
    let maps = double.objects(&format!("/api/v1/namespaces/{NS}/configmaps"));
    let conf = "spark.kubernetes.executor.annotation.scheduling.k8s.io/group-name=spark-gang-pg";
    assert!(
        maps.iter().any(|m| m["data"].to_string().contains(conf)),
        "no {conf} in the driver's configuration"
    );

    // The driver's budget, owned by the application.
    let pdb_path = format!("/apis/policy/v1/namespaces/{NS}/poddisruptionbudgets/guarded-driver");
    let pdb = double
        .object(&pdb_path)
        .expect("driver PodDisruptionBudget");
    assert_eq!(
        pdb["metadata"]["ownerReferences"][0]["uid"],
        guarded["metadata"]["uid"]
    );
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        json!({"sparkoperator.k8s.io/app-name": "guarded", "spark-role": "driver"})
    );
    // The application without a budget has none.
    assert!(double
        .object(&format!(
            "/apis/policy/v1/namespaces/{NS}/poddisruptionbudgets/gang-driver"
        ))
        .is_none());
    validate_emitted(&double);

    // Both go when their application terminates.
    succeed_driver(&double, "gang-driver");
    succeed_driver(&double, "guarded-driver");
    wait_state(&double, "gang", "COMPLETED").await;
    wait_state(&double, "guarded", "COMPLETED").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while double.object(&group_path).is_some() || double.object(&pdb_path).is_some() {
        assert!(
            Instant::now() < deadline,
            "PodGroup or PodDisruptionBudget left after termination"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_rbac_allows_every_call(&double);
    op.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_batch_scheduler_fails_naming_the_field() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    create(
        &double,
        &manifest("odd", json!({"batchScheduler": "slurm"})),
    )
    .await;
    let app = wait_state(&double, "odd", "FAILED").await;
    let message = app["status"]["applicationState"]["errorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains(
            "spec.batchScheduler: expected one of \"volcano\", \"kube-scheduler\", \"yunikorn\", got \"slurm\""
        ),
        "{message}"
    );
    assert_eq!(pod_posts(&double), 0);
}

/// With `--enable-resource-quota-enforcement`: an application that fits the namespace's
/// ResourceQuota runs; one that would exceed it ends FAILED naming the quota, with no
/// driver created; once its spec fits, it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_quotas_fail_applications_that_would_exceed_them() {
    let double = KubeDouble::start().unwrap();
    let client = client::client(Some(&double.url()), None).await.unwrap();
    let quotas: Api<k8s_openapi::api::core::v1::ResourceQuota> = Api::namespaced(client, NS);
    let quota = |name: &str, spec: Value| {
        serde_json::from_value::<k8s_openapi::api::core::v1::ResourceQuota>(
            json!({"metadata": {"name": name, "namespace": NS}, "spec": spec}),
        )
        .unwrap()
    };
    let hard = json!({"requests.cpu": "10", "limits.memory": "20Gi", "pods": "100"});
    quotas
        .create(
            &PostParams::default(),
            &quota("compute", json!({"hard": hard})),
        )
        .await
        .unwrap();
    // Plays the quota controller: 7 of 10 CPUs are taken.
    double
        .set_status(
            &format!("/api/v1/namespaces/{NS}/resourcequotas/compute"),
            json!({"hard": hard, "used": {"requests.cpu": "7", "limits.memory": "1Gi", "pods": "7"}}),
        )
        .unwrap();
    // A scoped quota is skipped, as kubeflow skips it.
    quotas
        .create(
            &PostParams::default(),
            &quota(
                "best-effort",
                json!({"hard": {"requests.cpu": "0"}, "scopes": ["NotBestEffort"]}),
            ),
        )
        .await
        .unwrap();
    let _op = Operator::start_config(
        &double,
        Config {
            namespaces: vec![NS.into()],
            lifecycle: fast(),
            resource_quota_enforcement: true,
            ..Config::default()
        },
    )
    .await;
    // The driver and two executors of one core each: 3 + 7 = 10 fits.
    create(&double, &manifest("fits", json!({}))).await;
    // Three executors: 4 + 7 > 10.
    create(
        &double,
        &manifest("big", json!({"executor": {"instances": 3}})),
    )
    .await;
    let big = wait_state(&double, "big", "FAILED").await;
    assert_eq!(
        big["status"]["applicationState"]["errorMessage"],
        "exceeds ResourceQuota compute in jobs: requests.cpu 4 requested, 7 of 10 used"
    );
    assert_eq!(condition(&big, "Terminated").as_deref(), Some("True"));
    assert!(big["status"].get("submissionID").is_none(), "{big:#}");
    wait_submitted(&double, "fits").await;
    assert!(double.object(&pod_path("big-driver")).is_none());
    assert_eq!(pod_posts(&double), 1, "the driver of fits only");
    // The Event follows the status write.
    let warned = || {
        double.requests().iter().any(|r| {
            r.method == "POST"
                && r.path.contains("/events")
                && r.body["type"] == "Warning"
                && r.body["reason"] == "SparkApplicationFailed"
                && r.body["note"]
                    .as_str()
                    .is_some_and(|n| n.contains("exceeds ResourceQuota compute"))
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !warned() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        warned(),
        "no Warning event naming the quota: {:?}",
        events(&double)
    );
    // A spec change is checked again, as kubeflow's webhook checks updates: two executors
    // fit.
    patch_spec(&double, "big", json!({"executor": {"instances": 2}})).await;
    wait_submitted(&double, "big").await;
    assert!(double.object(&pod_path("big-driver")).is_some());
    assert_rbac_allows_every_call(&double);
}

/// Under the operator's default Pod Security level ("restricted") a driver pod carries the
/// level's settings; an application whose settings contradict it ends FAILED naming the field,
/// with no driver; the same application annotated `sparkplane.io/pod-security: none` runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_security_refuses_contradicting_applications() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    create(&double, &manifest("plain", json!({}))).await;
    wait_submitted(&double, "plain").await;
    let pod = double
        .object(&pod_path("plain-driver"))
        .expect("driver pod");
    assert_eq!(
        pod["spec"]["securityContext"],
        json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})
    );

    let privileged = json!({"driver": {"securityContext": {"privileged": true}}});
    create(&double, &manifest("priv", privileged.clone())).await;
    let app = wait_state(&double, "priv", "FAILED").await;
    let message = app["status"]["applicationState"]["errorMessage"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        message,
        "spec.driver.securityContext.privileged: expected unset or false for Pod Security \
         \"restricted\", got true; the annotation sparkplane.io/pod-security: none allows it"
    );
    assert!(double.object(&pod_path("priv-driver")).is_none());

    let mut opted_out = manifest("priv-ok", privileged);
    opted_out["metadata"]["annotations"] = json!({"sparkplane.io/pod-security": "none"});
    create(&double, &opted_out).await;
    wait_submitted(&double, "priv-ok").await;
    let pod = double
        .object(&pod_path("priv-ok-driver"))
        .expect("driver pod");
    assert_eq!(
        pod["spec"]["containers"][0]["securityContext"]["privileged"],
        true
    );
    assert!(pod["spec"].get("securityContext").is_none(), "{pod}");
}

/// The tenancy boundary (`sparkplane_api::tenancy`): an application whose sparkConf would
/// take over the operator's service account fails before anything is created, naming the
/// key; a scheduled template with such a key fails validation; an operator started with
/// the key on its allow-list (`--allow-spark-conf`) runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spark_conf_keys_past_the_tenancy_boundary_fail_unless_allowed() {
    let key = "spark.kubernetes.authenticate.driver.serviceAccountName";
    let double = KubeDouble::start().unwrap();
    let op = Operator::start(&double, fast()).await;
    create(
        &double,
        &manifest("escalate", json!({"sparkConf": {key: "cluster-admin"}})),
    )
    .await;
    let failed = wait_state(&double, "escalate", "FAILED").await;
    let message = failed["status"]["applicationState"]["errorMessage"]
        .as_str()
        .unwrap();
    assert!(
        message.contains(&format!("spec.sparkConf[\"{key}\"]: expected no such key")),
        "{message}"
    );
    assert!(
        message.contains("set spec.driver.serviceAccount instead"),
        "{message}"
    );
    assert!(!message.contains("cluster-admin"), "{message}");
    create_scheduled(
        &double,
        "nightly",
        json!({"template": {"sparkConf": {"spark.master": "k8s://https://elsewhere"}}}),
    )
    .await;
    let path = format!(
        "/apis/sparkoperator.k8s.io/v1beta2/namespaces/{NS}/scheduledsparkapplications/nightly"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = double.object(&path).unwrap();
        if s["status"]["scheduleState"] == "FailedValidation" {
            let reason = s["status"]["reason"].as_str().unwrap();
            assert!(
                reason.contains("spec.template.sparkConf[\"spark.master\"]"),
                "{reason}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{s:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pod_posts(&double), 0);
    assert!(runs_of(&double, "nightly").is_empty());
    op.stop().await;

    let config = Config {
        namespaces: vec![NS.into()],
        lifecycle: fast(),
        spark_conf: sparkplane_api::SparkConfPolicy::allowing([key]).unwrap(),
        ..Config::default()
    };
    let _op = Operator::start_config(&double, config).await;
    create(
        &double,
        &manifest(
            "admitted",
            json!({"sparkConf": {key: "spark-admin"}, "driver": {"serviceAccount": null}}),
        ),
    )
    .await;
    let admitted = wait_submitted(&double, "admitted").await;
    let pod_name = admitted["status"]["driverInfo"]["podName"]
        .as_str()
        .unwrap();
    let pod = double.object(&pod_path(pod_name)).unwrap();
    assert_eq!(pod["spec"]["serviceAccountName"], "spark-admin");
}

/// What the test's log subscriber writes.
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

/// Every reconcile runs in a span naming its object, and the error policy logs each
/// failure naming the object and counts the failures in a row for it; the count goes once
/// the object reconciles. (The only test of this binary that installs a log subscriber.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_reconciles_are_logged_and_counted_for_their_object() {
    let logs = Logs::default();
    tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .with_env_filter("sparkplane_operator=info")
        .init();
    let double = KubeDouble::start().unwrap();
    double.inject(Fault {
        method: Some("GET".into()),
        path_contains: "/sparkapplications/flaky".into(),
        code: Some(500),
        delay: Duration::ZERO,
        times: 3,
    });
    let op = Operator::start(&double, fast()).await;
    create(&double, &manifest("flaky", json!({}))).await;
    wait_submitted(&double, "flaky").await;
    let text = logs.text();
    let lines: Vec<&str> = text.lines().collect();
    for n in 1..=3 {
        assert!(
            lines
                .iter()
                .any(|l| l.contains("reconcile failed; retrying")
                    && l.contains("kind=\"SparkApplication\"")
                    && l.contains("namespace=jobs")
                    && l.contains("name=flaky")
                    && l.contains(&format!("failures={n}"))),
            "failure {n} of flaky not logged: {text}"
        );
    }
    assert!(
        lines.iter().any(|l| l
            .contains("reconcile{kind=\"SparkApplication\" namespace=jobs name=flaky}")
            && l.contains("state change")),
        "no state change logged in the reconcile's span: {text}"
    );
    let metrics = op.metrics.encode();
    assert!(
        !metrics.contains("name=\"flaky\""),
        "flaky reconciled, yet still counted as failing: {metrics}"
    );
    assert!(
        metrics.contains("sparkplane_reconcile_errors_total{kind=\"server\"} 3"),
        "{metrics}"
    );
}

// ---- SparkCluster

fn cluster_path(name: &str) -> String {
    format!("/apis/sparkplane.io/v1alpha1/namespaces/{NS}/sparkclusters/{name}")
}

fn sts_path(name: &str) -> String {
    format!("/apis/apps/v1/namespaces/{NS}/statefulsets/{name}")
}

fn cluster_manifest(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "sparkplane.io/v1alpha1",
        "kind": "SparkCluster",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    })
}

fn cluster_api(client: kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(
        client,
        NS,
        &sparkplane_operator::controller::cluster::cluster_resource(),
    )
}

async fn create_cluster(double: &KubeDouble, name: &str, spec: Value) {
    let client = client::client(Some(&double.url()), None).await.unwrap();
    let obj: DynamicObject = serde_json::from_value(cluster_manifest(name, spec)).unwrap();
    cluster_api(client)
        .create(&PostParams::default(), &obj)
        .await
        .unwrap();
}

/// Waits (up to 30 s) until `f` holds of the cluster, returning it.
async fn wait_cluster(
    double: &KubeDouble,
    name: &str,
    what: &str,
    f: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let obj = double.object(&cluster_path(name)).unwrap_or(Value::Null);
        if f(&obj) {
            return obj;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for cluster {name}: {what}; last seen: {obj:#}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_object(double: &KubeDouble, path: &str, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let obj = double.object(path).unwrap_or(Value::Null);
        if f(&obj) {
            return obj;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {path}; last seen: {obj:#}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The SparkCluster's conditions, as type → (status, message).
fn cluster_condition(c: &Value, t: &str) -> Option<(String, String)> {
    c.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|x| x["type"] == t)
        .map(|x| {
            (
                x["status"].as_str().unwrap_or("").to_string(),
                x["message"].as_str().unwrap_or("").to_string(),
            )
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_gets_its_objects_owned_and_its_status_from_its_pods() {
    let double = KubeDouble::start().unwrap();
    let op = Operator::start(&double, fast()).await;
    create_cluster(&double, "demo", json!({"sparkVersion": "4.3.0"})).await;
    let c = wait_cluster(&double, "demo", "a status", |c| {
        c["status"]["observedGeneration"] == c["metadata"]["generation"]
    })
    .await;
    let uid = c["metadata"]["uid"].as_str().unwrap().to_string();
    assert_eq!(
        c["status"]["masterUrl"],
        "spark://demo-master.jobs.svc:7077"
    );
    assert_eq!(c["status"]["desiredWorkers"], 2);
    assert_eq!(c["status"]["readyWorkers"], 0);
    assert_eq!(c["status"]["state"], "Starting");
    assert_eq!(
        c["status"]["selector"],
        "sparkplane.io/cluster=demo,sparkplane.io/role=worker"
    );
    assert_eq!(
        cluster_condition(&c, "Valid").map(|x| x.0).as_deref(),
        Some("True")
    );
    for path in [
        format!("/api/v1/namespaces/{NS}/configmaps/demo-conf"),
        format!("/api/v1/namespaces/{NS}/services/demo-master"),
        format!("/api/v1/namespaces/{NS}/services/demo-workers"),
        format!("/api/v1/namespaces/{NS}/secrets/demo-auth"),
        format!("/apis/apps/v1/namespaces/{NS}/deployments/demo-master"),
        sts_path("demo-worker"),
    ] {
        let o = double.object(&path).unwrap_or_else(|| panic!("{path}"));
        let owner = &o["metadata"]["ownerReferences"][0];
        assert_eq!(owner["uid"], uid.as_str(), "{path}");
        assert_eq!(owner["kind"], "SparkCluster", "{path}");
        assert_eq!(owner["controller"], true, "{path}");
    }
    let sts = double.object(&sts_path("demo-worker")).unwrap();
    assert_eq!(sts["spec"]["replicas"], 2);
    // The secret is generated once, and its value is in no pod, object or log but the Secret.
    let secret = double
        .object(&format!("/api/v1/namespaces/{NS}/secrets/demo-auth"))
        .unwrap();
    let value = secret["stringData"]["secret"]
        .as_str()
        .or(secret["data"]["secret"].as_str())
        .unwrap()
        .to_string();
    assert_eq!(value.len(), 64);
    for path in [
        sts_path("demo-worker"),
        format!("/apis/apps/v1/namespaces/{NS}/deployments/demo-master"),
        format!("/api/v1/namespaces/{NS}/configmaps/demo-conf"),
        cluster_path("demo"),
    ] {
        let text = double.object(&path).unwrap().to_string();
        assert!(!text.contains(&value), "the secret leaked into {path}");
    }

    // Pods becoming ready (the workloads' statuses) make the cluster Running.
    double
        .set_status(
            &format!("/apis/apps/v1/namespaces/{NS}/deployments/demo-master"),
            json!({"replicas": 1, "readyReplicas": 1}),
        )
        .unwrap();
    double
        .set_status(
            &sts_path("demo-worker"),
            json!({"replicas": 2, "readyReplicas": 2}),
        )
        .unwrap();
    let c = wait_cluster(&double, "demo", "Running", |c| {
        c["status"]["state"] == "Running"
    })
    .await;
    assert_eq!(c["status"]["readyWorkers"], 2);
    assert_eq!(c["status"]["replicas"], 2);
    assert_eq!(
        cluster_condition(&c, "Ready").map(|x| x.0).as_deref(),
        Some("True")
    );
    let secret_posts = double
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/secrets"))
        .count();
    assert_eq!(secret_posts, 1, "the secret is created once");
    validate_emitted(&double);
    assert_rbac_allows_every_call(&double);
    assert!(
        !double
            .requests()
            .iter()
            .any(|r| r.path.contains("/secrets") && r.method != "POST"),
        "the operator never reads Secrets"
    );
    op.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_a_cluster_changes_its_workers_stateful_set() {
    let double = KubeDouble::start().unwrap();
    let _op = Operator::start(&double, fast()).await;
    create_cluster(&double, "scaled", json!({"workers": {"replicas": 2}})).await;
    wait_object(&double, &sts_path("scaled-worker"), |s| {
        s["spec"]["replicas"] == 2
    })
    .await;
    // What `kubectl scale sparkcluster scaled --replicas 3` writes through the scale
    // subresource: spec.workers.replicas.
    let client = client::client(Some(&double.url()), None).await.unwrap();
    for n in [3, 1, 0] {
        cluster_api(client.clone())
            .patch(
                "scaled",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"workers": {"replicas": n}}})),
            )
            .await
            .unwrap();
        wait_object(&double, &sts_path("scaled-worker"), |s| {
            s["spec"]["replicas"] == n
        })
        .await;
        let c = wait_cluster(&double, "scaled", "desired workers", |c| {
            c["status"]["desiredWorkers"] == n
                && c["status"]["observedGeneration"] == c["metadata"]["generation"]
        })
        .await;
        assert_eq!(c["spec"]["workers"]["replicas"], n);
    }
    // Outside minReplicas..maxReplicas: refused naming the field; the workers stay as they
    // were until the request fits again.
    cluster_api(client.clone())
        .patch(
            "scaled",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"workers": {"replicas": 5, "maxReplicas": 4}}})),
        )
        .await
        .unwrap();
    let c = wait_cluster(&double, "scaled", "Valid=False", |c| {
        cluster_condition(c, "Valid").is_some_and(|x| x.0 == "False")
    })
    .await;
    let (_, message) = cluster_condition(&c, "Valid").unwrap();
    assert!(message.contains("spec.workers.replicas"), "{message}");
    assert_eq!(
        double.object(&sts_path("scaled-worker")).unwrap()["spec"]["replicas"],
        0
    );
    cluster_api(client)
        .patch(
            "scaled",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"workers": {"replicas": 4}}})),
        )
        .await
        .unwrap();
    wait_object(&double, &sts_path("scaled-worker"), |s| {
        s["spec"]["replicas"] == 4
    })
    .await;
    wait_cluster(&double, "scaled", "Valid=True", |c| {
        cluster_condition(c, "Valid").is_some_and(|x| x.0 == "True")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_cluster_is_refused_naming_the_field_and_others_still_run() {
    let double = KubeDouble::start().unwrap();
    let op = Operator::start(&double, fast()).await;
    create_cluster(&double, "bad", json!({"workers": {"memory": "lots"}})).await;
    create_cluster(
        &double,
        "small",
        json!({"workers": {"resources": {"limits": {"cpu": "500m", "memory": "2Gi"}}}}),
    )
    .await;
    // A cluster whose StatefulSet the API keeps refusing (a broken cluster, not a bad
    // manifest).
    double.inject(Fault {
        method: Some("PATCH".into()),
        path_contains: "/statefulsets/broken-worker".into(),
        code: Some(500),
        delay: Duration::ZERO,
        times: 1_000_000,
    });
    create_cluster(&double, "broken", json!({})).await;
    create_cluster(&double, "good", json!({})).await;
    for (name, field) in [
        ("bad", "spec.workers.memory"),
        ("small", "spec.workers.resources.limits.cpu"),
    ] {
        let c = wait_cluster(&double, name, "Valid=False", |c| {
            cluster_condition(c, "Valid").is_some_and(|x| x.0 == "False")
        })
        .await;
        let (_, message) = cluster_condition(&c, "Valid").unwrap();
        assert!(message.contains(field), "{name}: {message}");
        assert_eq!(c["status"]["state"], "Invalid");
        assert!(double
            .object(&sts_path(&format!("{name}-worker")))
            .is_none());
    }
    let (_, message) =
        cluster_condition(&double.object(&cluster_path("bad")).unwrap(), "Valid").unwrap();
    assert!(message.contains("\"lots\""), "{message}");
    wait_object(&double, &sts_path("good-worker"), |s| s.is_object()).await;
    wait_cluster(&double, "good", "a status", |c| {
        c["status"]["masterUrl"].is_string()
    })
    .await;
    // The broken one is retried, its failures counted under its name.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = op.metrics.encode();
        if text.contains("kind=\"SparkCluster\",namespace=\"jobs\",name=\"broken\"") {
            break;
        }
        assert!(Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(double.object(&sts_path("broken-worker")).is_none());
    op.stop().await;
}
