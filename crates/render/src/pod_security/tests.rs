use serde_json::{json, Value};
use sparkplane_submit::PodSecurity;

use super::super::{fixtures, render, RenderOptions};
use super::*;

fn base() -> Value {
    json!({"mainClass": "Main", "mainApplicationFile": "local:///app.jar", "image": "sparkplane/spark:4.0.0"})
}

fn app(patch: Value, annotation: Option<&str>) -> SparkApplication {
    let mut spec = base();
    sparkplane_kube_double::merge_patch(&mut spec, &patch);
    let mut a = fixtures::app("sec", &spec);
    if let Some(level) = annotation {
        a.metadata.annotations = Some([(ANNOTATION.to_string(), level.to_string())].into());
    }
    a
}

fn options(default: PodSecurity, minimum: PodSecurity) -> RenderOptions {
    RenderOptions {
        pod_security: PodSecurityOptions { default, minimum },
        ..RenderOptions::default()
    }
}

/// The driver pod and the executor template, as JSON.
fn pods(a: &SparkApplication, o: &RenderOptions) -> Result<(Value, Value), RenderError> {
    let r = render(a, o)?;
    let driver = serde_json::to_value(&r.driver.pod).unwrap();
    let cm = r.driver.pod_template.expect("executor template");
    let executor = serde_json::from_str(&cm.data.unwrap()["podspec-configmap-key"]).unwrap();
    Ok((driver, executor))
}

fn all_containers(pod: &Value) -> Vec<&Value> {
    ["containers", "initContainers"]
        .iter()
        .flat_map(|l| pod["spec"][l].as_array().into_iter().flatten())
        .collect()
}

/// By default ("restricted"), both pods get the settings, on every container: Spark's, the
/// sidecars and init containers of the role's fields and of its template.
#[test]
fn restricted_by_default_on_every_container() {
    let role = |spark: &str| {
        json!({
            "sidecars": [{"name": "log", "image": "fluent-bit"}],
            "initContainers": [{"name": "fetch", "image": "busybox"}],
            "template": {"spec": {"containers": [{"name": spark}, {"name": "agent", "image": "agent"}],
                                  "initContainers": [{"name": "warm", "image": "busybox"}]}}})
    };
    let a = app(
        json!({"driver": role("spark-kubernetes-driver"), "executor": role("spark-kubernetes-executor")}),
        None,
    );
    let (driver, executor) = pods(&a, &RenderOptions::default()).unwrap();
    for pod in [&driver, &executor] {
        assert_eq!(
            pod["spec"]["securityContext"],
            json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}),
            "{pod}"
        );
        let containers = all_containers(pod);
        // Spark's, agent, log; warm, fetch.
        assert_eq!(containers.len(), 5, "{pod}");
        for c in containers {
            assert_eq!(
                c["securityContext"]["allowPrivilegeEscalation"], false,
                "{c}"
            );
            assert_eq!(
                c["securityContext"]["capabilities"]["drop"],
                json!(["ALL"]),
                "{c}"
            );
            // No user id is forced on any image.
            assert!(c["securityContext"].get("runAsUser").is_none(), "{c}");
        }
    }
}

/// What the manifest sets wins over what the step fills in.
#[test]
fn manifest_settings_win() {
    let role = json!({
        "podSecurityContext": {"runAsUser": 1000, "fsGroup": 185,
                               "seccompProfile": {"type": "Localhost", "localhostProfile": "spark.json"}},
        "securityContext": {"readOnlyRootFilesystem": true, "capabilities": {"drop": ["NET_RAW"]}}});
    let a = app(json!({"driver": role, "executor": role}), None);
    let (driver, executor) = pods(&a, &RenderOptions::default()).unwrap();
    for (pod, spark) in [
        (&driver, "spark-kubernetes-driver"),
        (&executor, "spark-kubernetes-executor"),
    ] {
        assert_eq!(
            pod["spec"]["securityContext"],
            json!({"runAsUser": 1000, "fsGroup": 185, "runAsNonRoot": true,
                   "seccompProfile": {"type": "Localhost", "localhostProfile": "spark.json"}})
        );
        let c = pod["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == spark)
            .unwrap();
        assert_eq!(
            c["securityContext"],
            json!({"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                   "capabilities": {"drop": ["NET_RAW", "ALL"]}})
        );
    }
}

/// Explicit contradictions are refused with the manifest field they come from, and the
/// annotation value that would allow them.
#[test]
fn contradictions_name_the_manifest_field() {
    let hostpath = json!({"name": "host", "hostPath": {"path": "/data"}});
    let local = json!({"name": "spark-local-dir-1", "hostPath": {"path": "/mnt/ssd"}});
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"driver": {"securityContext": {"privileged": true}}}),
         "spec.driver.securityContext.privileged", "none"),
        (json!({"executor": {"podSecurityContext": {"runAsUser": 0}}}),
         "spec.executor.podSecurityContext.runAsUser", "baseline"),
        (json!({"driver": {"template": {"spec": {"securityContext": {"runAsNonRoot": false}}}}}),
         "spec.driver.template.spec.securityContext.runAsNonRoot", "baseline"),
        (json!({"driver": {"template": {"spec": {"containers": [
            {"name": "spark-kubernetes-driver"},
            {"name": "debug", "image": "d", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}}}}),
         "spec.driver.template.spec.containers[1].securityContext.capabilities.add[0]", "none"),
        (json!({"executor": {"template": {"spec": {"containers": [
            {"name": "spark-kubernetes-executor", "ports": [{"containerPort": 9000, "hostPort": 9000}]}]}}}}),
         "spec.executor.template.spec.containers[0].ports[0].hostPort", "none"),
        (json!({"executor": {"sidecars": [{"name": "s", "image": "s", "securityContext": {"privileged": true}}]}}),
         "spec.executor.sidecars[0].securityContext.privileged", "none"),
        (json!({"driver": {"initContainers": [{"name": "i", "image": "i", "securityContext": {"allowPrivilegeEscalation": true}}]}}),
         "spec.driver.initContainers[0].securityContext.allowPrivilegeEscalation", "baseline"),
        (json!({"driver": {"hostNetwork": true}}), "spec.driver.hostNetwork", "none"),
        (json!({"driver": {"lifecycle": {"preStop": {"httpGet": {"port": 4040, "host": "10.1.1.1"}}}}}),
         "spec.driver.lifecycle.preStop.httpGet.host", "none"),
        (json!({"volumes": [hostpath], "executor": {"volumeMounts": [{"name": "host", "mountPath": "/data"}]}}),
         "spec.volumes[0].hostPath", "none"),
        (json!({"volumes": [{"name": "a", "emptyDir": {}}, local], "executor": {"volumeMounts": [{"name": "spark-local-dir-1", "mountPath": "/tmp/spark"}]}}),
         "spec.volumes[1].hostPath", "none"),
        (json!({"sparkConf": {"spark.kubernetes.executor.volumes.nfs.share.mount.path": "/share",
                              "spark.kubernetes.executor.volumes.nfs.share.options.server": "nfs",
                              "spark.kubernetes.executor.volumes.nfs.share.options.path": "/"}}),
         "spec.sparkConf.spark.kubernetes.executor.volumes.nfs.share.mount.path", "baseline"),
        (json!({"executor": {"annotations": {"container.apparmor.security.beta.kubernetes.io/spark-kubernetes-executor": "unconfined"}}}),
         "spec.executor.annotations.container.apparmor.security.beta.kubernetes.io/spark-kubernetes-executor", "none"),
    ];
    for (patch, path, allowed_by) in cases {
        let a = app(patch.clone(), None);
        let e = render(&a, &RenderOptions::default()).unwrap_err();
        assert_eq!(e.path, path, "{patch}: {e}");
        assert!(
            e.message.contains("for Pod Security \"restricted\"")
                && e.message.ends_with(&format!(
                    "the annotation sparkplane.io/pod-security: {allowed_by} allows it"
                )),
            "{e}"
        );
        // The annotation the message names does allow it.
        let a = app(patch.clone(), Some(allowed_by));
        assert!(render(&a, &RenderOptions::default()).is_ok(), "{patch}");
    }
}

/// The annotation chooses the level of one application; the operator's minimum bounds it.
#[test]
fn the_annotation_chooses_the_level() {
    let root = json!({"driver": {"podSecurityContext": {"runAsUser": 0}}});
    // "baseline": uid 0 runs, nothing is filled in.
    let (driver, _) = pods(
        &app(root.clone(), Some("baseline")),
        &RenderOptions::default(),
    )
    .unwrap();
    assert_eq!(driver["spec"]["securityContext"], json!({"runAsUser": 0}));
    // The operator's default "none" is kubeflow's behaviour: no security context at all.
    let o = options(PodSecurity::None, PodSecurity::None);
    let (driver, executor) = pods(&app(json!({}), None), &o).unwrap();
    assert!(driver["spec"].get("securityContext").is_none(), "{driver}");
    assert!(
        executor["spec"].get("securityContext").is_none(),
        "{executor}"
    );
    // ... and the annotation can still ask for "restricted".
    let (driver, _) = pods(&app(json!({}), Some("restricted")), &o).unwrap();
    assert_eq!(driver["spec"]["securityContext"]["runAsNonRoot"], true);

    let e = render(
        &app(json!({}), Some("privileged")),
        &RenderOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.path, "metadata.annotations.sparkplane.io/pod-security");
    assert_eq!(
        e.message,
        r#"expected one of "restricted", "baseline", "none", got "privileged""#
    );

    let strict = options(PodSecurity::Restricted, PodSecurity::Baseline);
    let e = render(&app(json!({}), Some("none")), &strict).unwrap_err();
    assert_eq!(e.path, "metadata.annotations.sparkplane.io/pod-security");
    assert!(e.message.contains("at least \"baseline\""), "{e}");
    // A refusal that only a level below the minimum would lift says so.
    let e = render(
        &app(
            json!({"driver": {"securityContext": {"privileged": true}}}),
            None,
        ),
        &strict,
    )
    .unwrap_err();
    assert!(
        e.message
            .ends_with("the operator's --pod-security-minimum \"baseline\" does not allow it"),
        "{e}"
    );
}
