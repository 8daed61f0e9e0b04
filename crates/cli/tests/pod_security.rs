//! Pods checked by kube-apiserver's own Pod Security admission code: every driver pod and
//! executor pod template that `sparkplane render` prints for the repository's examples and
//! for kubeflow's documentation examples, and that `sparkplane submit --pod-security
//! restricted` builds, passes the "restricted" level of policy version 1.36.
//!
//! The check is `test/podsecurity-check` (k8s.io/pod-security-admission v0.36.3's `policy`
//! package), named by `SPARKPLANE_PODSECURITY_CHECK`; scripts/test.sh builds it and sets the
//! variable. Without it these tests are reported as ignored (crates/cli/build.rs).
// Helpers outside #[test] functions panic too: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn checker() -> PathBuf {
    let path = std::env::var_os("SPARKPLANE_PODSECURITY_CHECK")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .expect("SPARKPLANE_PODSECURITY_CHECK names test/podsecurity-check's binary");
    assert!(
        path.is_file(),
        "SPARKPLANE_PODSECURITY_CHECK={}: no such file; build it with test/podsecurity-check/build.sh",
        path.display()
    );
    path
}

/// Runs the "restricted" check on `pods` (a v1 List); its exit code and output.
fn check(pods: &[Value]) -> (i32, String) {
    check_level(pods, "restricted")
}

/// Runs the check of `level` on `pods`; its exit code and output.
fn check_level(pods: &[Value], level: &str) -> (i32, String) {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": pods});
    let mut child = Command::new(checker())
        .args(["-level", level, "-version", "latest"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.to_string().as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let code = o.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "podsecurity-check failed to read its input: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (code, String::from_utf8_lossy(&o.stdout).into_owned())
}

fn sparkplane(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sparkplane"))
        .args(args)
        .output()
        .unwrap()
}

/// The driver pods and executor pod templates among printed objects (a v1 List), each named
/// after `label` so that the check's output says which it is.
fn pods_of(printed: &[u8], label: &str) -> Vec<Value> {
    let list: Value = serde_json::from_slice(printed).unwrap();
    let mut out = Vec::new();
    for item in list["items"].as_array().unwrap() {
        match item["kind"].as_str() {
            Some("Pod") => {
                let mut pod = item.clone();
                pod["metadata"]["name"] = json!(format!("{label} driver pod"));
                out.push(pod);
            }
            Some("ConfigMap") => {
                let Some(text) = item["data"]["podspec-configmap-key"].as_str() else {
                    continue;
                };
                let mut template: Value = serde_yaml_ng::from_str(text).unwrap();
                template["metadata"]["name"] = json!(format!("{label} executor template"));
                out.push(template);
            }
            _ => {}
        }
    }
    out
}

fn render(file: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["render", "-o", "json", "-f", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    sparkplane(&args)
}

/// kubeflow's documentation examples, and the repository's SparkApplication examples with
/// their application file put in the image and an image set: they are written for the local
/// runtime, whose local files `render` refuses (spark-submit would upload them).
fn example_manifests(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(repo().join("crates/cli/tests/kubeflow-examples"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
    for e in std::fs::read_dir(repo().join("examples")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let mut doc: Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if doc["kind"] != "SparkApplication" {
            continue;
        }
        let main = doc["spec"]["mainApplicationFile"]
            .as_str()
            .unwrap()
            .to_string();
        let base = main.rsplit('/').next().unwrap();
        doc["spec"]["mainApplicationFile"] = json!(format!("local:///opt/spark/work-dir/{base}"));
        if doc["spec"]["image"].is_null() {
            doc["spec"]["image"] = json!("sparkplane/spark:4.3.0");
        }
        let copy = dir.join(path.file_name().unwrap());
        std::fs::write(&copy, serde_json::to_string(&doc).unwrap()).unwrap();
        files.push(copy);
    }
    files.sort();
    assert_eq!(
        files.len(),
        17,
        "14 kubeflow examples and 3 of the repository's"
    );
    files
}

/// With the operator's default ("restricted"), every pod of every example is admitted.
#[test]
#[cfg_attr(
    not(podsecurity_check),
    ignore = "needs SPARKPLANE_PODSECURITY_CHECK (scripts/test.sh sets it)"
)]
fn rendered_examples_pass_restricted() {
    let dir = tempfile::tempdir().unwrap();
    let mut pods = Vec::new();
    let mut unsecured = Vec::new();
    for file in example_manifests(dir.path()) {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let label = match file.starts_with(dir.path()) {
            true => format!("examples/{stem}"),
            false => format!("kubeflow/{stem}"),
        };
        let o = render(&file, &[]);
        assert!(
            o.status.success(),
            "{label}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let found = pods_of(&o.stdout, &label);
        assert_eq!(
            found.len(),
            2,
            "{label}: a driver pod and an executor template"
        );
        pods.extend(found);
        let o = render(&file, &["--pod-security", "none"]);
        assert!(
            o.status.success(),
            "{label}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        unsecured.extend(pods_of(&o.stdout, &label));
    }
    let (code, out) = check(&pods);
    assert_eq!(code, 0, "violations of \"restricted\":\n{out}");
    // As the manifests say (kubeflow's behaviour), the pods of the examples that set no
    // security context are refused, and so are those of kubeflow's pod-template example
    // (its container settings sit in the pod's securityContext, where Kubernetes drops
    // them); kubeflow's other examples set every field "restricted" asks for themselves.
    let (code, out) = check(&unsecured);
    assert_eq!(code, 1);
    let mut refused: Vec<&str> = out.lines().map(|l| l.split(": ").next().unwrap()).collect();
    refused.sort();
    assert_eq!(
        refused,
        [
            "examples/spark-pi driver pod",
            "examples/spark-pi executor template",
            "examples/wordcount-python driver pod",
            "examples/wordcount-python executor template",
            "examples/wordcount-scala driver pod",
            "examples/wordcount-scala executor template",
            "kubeflow/spark-pi-pod-template driver pod",
            "kubeflow/spark-pi-pod-template executor template",
        ],
        "{out}"
    );
}

/// A manifest that needs root is refused under "restricted" with the field at fault; with the
/// level lowered, its pods are what the check refuses.
#[test]
#[cfg_attr(
    not(podsecurity_check),
    ignore = "needs SPARKPLANE_PODSECURITY_CHECK (scripts/test.sh sets it)"
)]
fn root_manifests_are_refused_or_violate() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = |annotations: &str| {
        format!(
            "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: root\n  namespace: jobs\n{annotations}spec:\n  type: Python\n  sparkVersion: \"4.3.0\"\n  image: registry.example.com/spark-root:4.3.0\n  mainApplicationFile: local:///opt/app/main.py\n  driver:\n    podSecurityContext:\n      runAsUser: 0\n  executor:\n    securityContext:\n      runAsNonRoot: false\n"
        )
    };
    let file = dir.path().join("root.yaml");
    std::fs::write(&file, manifest("")).unwrap();
    let o = render(&file, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    // The executor template is built first, so its setting is the one named.
    assert!(
        err.contains(
            "root.yaml: document 0: spec.executor.securityContext.runAsNonRoot: expected true or \
             unset for Pod Security \"restricted\", got false; the annotation \
             sparkplane.io/pod-security: baseline allows it"
        ),
        "{err}"
    );
    assert!(err.trim_end().lines().count() == 1, "{err}");
    // Lowered by the flag or by the annotation, the pods render, and violate "restricted".
    let annotated = dir.path().join("annotated.yaml");
    std::fs::write(
        &annotated,
        manifest("  annotations:\n    sparkplane.io/pod-security: baseline\n"),
    )
    .unwrap();
    for (f, extra) in [
        (&file, vec!["--pod-security", "none"]),
        (&annotated, vec![]),
    ] {
        let o = render(f, &extra);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (code, out) = check(&pods_of(&o.stdout, "root"));
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("root driver pod: ") && out.contains("runAsUser=0"),
            "{out}"
        );
        assert!(
            out.contains("root executor template: ")
                && out.contains("must not set securityContext.runAsNonRoot=false"),
            "{out}"
        );
    }
}

/// `sparkplane submit --pod-security restricted` secures the pods of spark-submit's command
/// line, pod templates with sidecars and init containers included; without the flag it builds
/// what spark-submit builds, which the check refuses.
#[test]
#[cfg_attr(
    not(podsecurity_check),
    ignore = "needs SPARKPLANE_PODSECURITY_CHECK (scripts/test.sh sets it)"
)]
fn submitted_pods_pass_restricted() {
    let dir = tempfile::tempdir().unwrap();
    let template = |spark: &str| {
        json!({"apiVersion": "v1", "kind": "Pod",
               "spec": {"containers": [{"name": spark}, {"name": "log-shipper", "image": "fluent/fluent-bit:3"}],
                        "initContainers": [{"name": "fetch", "image": "busybox"}],
                        "volumes": [{"name": "scratch", "emptyDir": {}}]}})
        .to_string()
    };
    let driver = dir.path().join("driver.yaml");
    let executor = dir.path().join("executor.yaml");
    std::fs::write(&driver, template("spark-kubernetes-driver")).unwrap();
    std::fs::write(&executor, template("spark-kubernetes-executor")).unwrap();
    let conf = |k: &str, v: &Path| format!("{k}={}", v.display());
    let driver_conf = conf("spark.kubernetes.driver.podTemplateFile", &driver);
    let executor_conf = conf("spark.kubernetes.executor.podTemplateFile", &executor);
    let submit = |extra: &[&str], templates: bool| {
        let mut args = vec![
            "submit", "--master", "k8s://https://127.0.0.1:6443", "--deploy-mode", "cluster",
            "--name", "pi", "--dry-run", "-o", "json", "--submission-id", "t",
            "--conf", "spark.kubernetes.container.image=sparkplane/spark:4.3.0",
            "--conf", "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName=OnDemand",
            "--conf", "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path=/data",
        ];
        if templates {
            args.extend(["--conf", &driver_conf, "--conf", &executor_conf]);
        }
        args.extend_from_slice(extra);
        args.push("local:///opt/spark/examples/src/main/python/pi.py");
        let o = sparkplane(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    for templates in [false, true] {
        let pods = pods_of(&submit(&["--pod-security", "restricted"], templates), "pi");
        assert_eq!(pods.len(), 2, "a driver pod and an executor template");
        let (code, out) = check(&pods);
        assert_eq!(code, 0, "templates {templates}: {out}");
        // spark-submit's own pods, as sparkplane builds them by default, are refused.
        let plain = pods_of(&submit(&[], templates), "pi");
        let (code, out) = check(&plain);
        assert_eq!(code, 1, "templates {templates}: {out}");
        assert!(out.contains("pi driver pod: "), "{out}");
    }
}

/// The step's own rules agree with the admission's: for pods that each set one thing, the
/// step finds a violation of "baseline", of "restricted", and of "restricted" after filling
/// in, exactly when kube-apiserver's policy code refuses the pod at that level.
#[test]
#[cfg_attr(
    not(podsecurity_check),
    ignore = "needs SPARKPLANE_PODSECURITY_CHECK (scripts/test.sh sets it)"
)]
fn the_steps_rules_agree_with_the_admission() {
    use sparkplane_submit::pod_security::{fill_restricted, violations, PodOrigin};
    use sparkplane_submit::PodSecurity;

    let sc = |v: Value| json!({"containers": [{"name": "c", "securityContext": v}]});
    let pod_sc = |v: Value| json!({"securityContext": v, "containers": [{"name": "c"}]});
    let volume = |v: Value| json!({"containers": [{"name": "c"}], "volumes": [v]});
    let cases: Vec<(&str, Value)> = vec![
        (
            "plain",
            json!({"containers": [{"name": "c"}], "initContainers": [{"name": "i"}]}),
        ),
        ("privileged", sc(json!({"privileged": true}))),
        ("not-privileged", sc(json!({"privileged": false}))),
        ("escalation", sc(json!({"allowPrivilegeEscalation": true}))),
        ("root-container", sc(json!({"runAsNonRoot": false}))),
        ("uid0-container", sc(json!({"runAsUser": 0}))),
        ("uid185-container", sc(json!({"runAsUser": 185}))),
        ("root-pod", pod_sc(json!({"runAsNonRoot": false}))),
        ("uid0-pod", pod_sc(json!({"runAsUser": 0}))),
        (
            "userns-root",
            json!({"hostUsers": false, "securityContext": {"runAsUser": 0, "runAsNonRoot": false},
                              "containers": [{"name": "c"}]}),
        ),
        (
            "userns-procmount",
            json!({"hostUsers": false,
                                   "containers": [{"name": "c", "securityContext": {"procMount": "Unmasked"}}]}),
        ),
        ("procmount", sc(json!({"procMount": "Unmasked"}))),
        ("procmount-default", sc(json!({"procMount": "Default"}))),
        ("cap-chown", sc(json!({"capabilities": {"add": ["CHOWN"]}}))),
        (
            "cap-sysadmin",
            sc(json!({"capabilities": {"add": ["SYS_ADMIN"]}})),
        ),
        (
            "cap-bind",
            sc(json!({"capabilities": {"add": ["NET_BIND_SERVICE"]}})),
        ),
        (
            "drop-netraw",
            sc(json!({"capabilities": {"drop": ["NET_RAW"]}})),
        ),
        (
            "seccomp-unconfined-pod",
            pod_sc(json!({"seccompProfile": {"type": "Unconfined"}})),
        ),
        (
            "seccomp-unconfined",
            sc(json!({"seccompProfile": {"type": "Unconfined"}})),
        ),
        (
            "seccomp-localhost",
            sc(json!({"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}})),
        ),
        (
            "apparmor-unconfined",
            sc(json!({"appArmorProfile": {"type": "Unconfined"}})),
        ),
        (
            "apparmor-pod-localhost",
            pod_sc(json!({"appArmorProfile": {"type": "Localhost", "localhostProfile": "p"}})),
        ),
        (
            "selinux-spc",
            sc(json!({"seLinuxOptions": {"type": "spc_t"}})),
        ),
        (
            "selinux-container",
            pod_sc(json!({"seLinuxOptions": {"type": "container_t", "level": "s0:c1"}})),
        ),
        ("selinux-user", sc(json!({"seLinuxOptions": {"user": "u"}}))),
        (
            "selinux-role-pod",
            pod_sc(json!({"seLinuxOptions": {"role": "r"}})),
        ),
        (
            "hostprocess",
            sc(json!({"windowsOptions": {"hostProcess": true}})),
        ),
        (
            "sysctl-safe",
            pod_sc(json!({"sysctls": [{"name": "net.ipv4.tcp_keepalive_time", "value": "60"}]})),
        ),
        (
            "sysctl-unsafe",
            pod_sc(json!({"sysctls": [{"name": "kernel.msgmax", "value": "1"}]})),
        ),
        (
            "host-network",
            json!({"hostNetwork": true, "containers": [{"name": "c"}]}),
        ),
        (
            "host-pid",
            json!({"hostPID": true, "containers": [{"name": "c"}]}),
        ),
        (
            "host-ipc",
            json!({"hostIPC": true, "containers": [{"name": "c"}]}),
        ),
        (
            "host-port",
            json!({"containers": [{"name": "c", "ports": [{"containerPort": 80, "hostPort": 80}]}]}),
        ),
        (
            "probe-host",
            json!({"containers": [{"name": "c", "readinessProbe": {"tcpSocket": {"port": 1, "host": "h"}}}]}),
        ),
        (
            "lifecycle-host",
            json!({"initContainers": [{"name": "i", "lifecycle": {"postStart": {"httpGet": {"port": 1, "host": "h"}}}}],
                                  "containers": [{"name": "c"}]}),
        ),
        (
            "init-privileged",
            json!({"containers": [{"name": "c"}],
                                   "initContainers": [{"name": "i", "securityContext": {"privileged": true}}]}),
        ),
        (
            "hostpath",
            volume(json!({"name": "v", "hostPath": {"path": "/"}})),
        ),
        (
            "nfs",
            volume(json!({"name": "v", "nfs": {"server": "s", "path": "/"}})),
        ),
        (
            "gitrepo",
            volume(json!({"name": "v", "gitRepo": {"repository": "r"}})),
        ),
        (
            "pvc",
            volume(json!({"name": "v", "persistentVolumeClaim": {"claimName": "c"}})),
        ),
        ("csi", volume(json!({"name": "v", "csi": {"driver": "d"}}))),
        (
            "image",
            volume(json!({"name": "v", "image": {"reference": "r"}})),
        ),
        (
            "ephemeral",
            volume(json!({"name": "v", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}})),
        ),
        (
            "projected",
            volume(json!({"name": "v", "projected": {"sources": []}})),
        ),
        (
            "windows",
            json!({"os": {"name": "windows"}, "containers": [{"name": "c"}]}),
        ),
    ];
    let pod = |name: &str, spec: &Value, annotations: Value| -> k8s_openapi::api::core::v1::Pod {
        serde_json::from_value(
            json!({"metadata": {"name": name, "annotations": annotations}, "spec": spec}),
        )
        .unwrap()
    };
    let mut pods = Vec::new();
    for (name, spec) in &cases {
        pods.push(pod(name, spec, json!({})));
    }
    let apparmor = "container.apparmor.security.beta.kubernetes.io/c";
    pods.push(pod(
        "apparmor-annotation",
        &json!({"containers": [{"name": "c"}]}),
        json!({apparmor: "unconfined"}),
    ));
    pods.push(pod(
        "apparmor-annotation-ok",
        &json!({"containers": [{"name": "c"}]}),
        json!({apparmor: "runtime/default"}),
    ));
    let filled: Vec<_> = pods
        .iter()
        .map(|p| {
            let mut p = p.clone();
            fill_restricted(&mut p);
            p
        })
        .collect();
    let origin = PodOrigin::default();
    let mut refusals = 0;
    for (what, level, pods) in [
        ("baseline", PodSecurity::Baseline, &pods),
        ("restricted", PodSecurity::Restricted, &pods),
        ("restricted", PodSecurity::Restricted, &filled),
    ] {
        let values: Vec<Value> = pods
            .iter()
            .map(|p| serde_json::to_value(p).unwrap())
            .collect();
        let (_, out) = check_level(&values, what);
        let mut admission: Vec<String> = out
            .lines()
            .map(|l| l.split(": ").next().unwrap().to_string())
            .collect();
        admission.sort();
        let mut step: Vec<String> = pods
            .iter()
            .filter(|p| !violations(p, level, &origin).is_empty())
            .map(|p| p.metadata.name.clone().unwrap())
            .collect();
        step.sort();
        assert_eq!(
            step,
            admission,
            "{what} (filled: {}): step vs admission\n{out}",
            std::ptr::eq(pods, &filled)
        );
        refusals += step.len();
    }
    // Each level refuses some and admits some: the comparison is not between two empty lists.
    assert!(refusals > 40, "{refusals}");
}
