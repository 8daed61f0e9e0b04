use serde_json::{json, Value};

use super::*;

fn pod(spec: Value) -> Pod {
    serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": spec})).unwrap()
}

fn spark() -> Value {
    json!({"name": "spark", "image": "sparkplane/spark:4.3.0"})
}

fn origin() -> PodOrigin {
    PodOrigin {
        prefix: "t: ".into(),
    }
}

fn restricted(mut p: Pod) -> Result<Value, Violation> {
    apply(&mut p, PodSecurity::Restricted, &origin())?;
    Ok(serde_json::to_value(&p).unwrap())
}

/// The restricted settings a container gets when it sets none.
fn filled_container() -> Value {
    json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}})
}

#[test]
fn levels_parse_and_order() {
    for l in PodSecurity::ALL {
        assert_eq!(l.name().parse::<PodSecurity>(), Ok(l));
    }
    assert!(PodSecurity::None < PodSecurity::Baseline);
    assert!(PodSecurity::Baseline < PodSecurity::Restricted);
    assert_eq!(
        "privileged".parse::<PodSecurity>().unwrap_err(),
        r#"expected one of "restricted", "baseline", "none", got "privileged""#
    );
}

/// A pod that sets nothing gets the pod-level and container-level settings, and no user id.
#[test]
fn restricted_fills_in_what_is_unset() {
    let p = restricted(pod(json!({"containers": [spark()]}))).unwrap();
    assert_eq!(
        p["spec"]["securityContext"],
        json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})
    );
    assert_eq!(
        p["spec"]["containers"][0]["securityContext"],
        filled_container()
    );
}

/// Every container is covered: the Spark container, sidecars and init containers.
#[test]
fn restricted_covers_every_container() {
    let p = restricted(pod(json!({
        "containers": [spark(), {"name": "sidecar"}, {"name": "agent", "securityContext": {"readOnlyRootFilesystem": true}}],
        "initContainers": [{"name": "init-a"}, {"name": "init-b"}],
    })))
    .unwrap();
    for list in ["containers", "initContainers"] {
        for c in p["spec"][list].as_array().unwrap() {
            let sc = &c["securityContext"];
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{c}");
            assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]), "{c}");
        }
    }
    assert_eq!(
        p["spec"]["containers"][2]["securityContext"]["readOnlyRootFilesystem"],
        true
    );
}

/// Whatever the manifest sets explicitly stays as it is; only unset fields are filled in.
#[test]
fn user_settings_win() {
    // (pod securityContext, container securityContext, expected pod, expected container)
    let cases = [
        (
            json!({"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 2000}),
            json!(null),
            json!({"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 2000, "runAsNonRoot": true,
                   "seccompProfile": {"type": "RuntimeDefault"}}),
            filled_container(),
        ),
        (
            json!({"seccompProfile": {"type": "Localhost", "localhostProfile": "spark.json"}}),
            json!({"runAsUser": 185}),
            json!({"runAsNonRoot": true,
                   "seccompProfile": {"type": "Localhost", "localhostProfile": "spark.json"}}),
            json!({"runAsUser": 185, "allowPrivilegeEscalation": false,
                   "capabilities": {"drop": ["ALL"]}}),
        ),
        (
            json!(null),
            // A drop list gains ALL; what is added stays.
            json!({"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["NET_RAW"]},
                   "seccompProfile": {"type": "RuntimeDefault"}, "runAsNonRoot": true}),
            json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}),
            json!({"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["NET_RAW", "ALL"]},
                   "seccompProfile": {"type": "RuntimeDefault"}, "runAsNonRoot": true,
                   "allowPrivilegeEscalation": false}),
        ),
        (
            json!({"runAsNonRoot": true}),
            json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
                   "readOnlyRootFilesystem": true}),
            json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}),
            json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
                   "readOnlyRootFilesystem": true}),
        ),
    ];
    for (pod_sc, c_sc, want_pod, want_c) in cases {
        let mut c = spark();
        if !c_sc.is_null() {
            c["securityContext"] = c_sc.clone();
        }
        let mut spec = json!({"containers": [c]});
        if !pod_sc.is_null() {
            spec["securityContext"] = pod_sc.clone();
        }
        let p = restricted(pod(spec)).unwrap();
        assert_eq!(p["spec"]["securityContext"], want_pod, "{pod_sc} {c_sc}");
        assert_eq!(
            p["spec"]["containers"][0]["securityContext"], want_c,
            "{pod_sc} {c_sc}"
        );
    }
}

/// Explicit settings that break "restricted" are refused with the path of the first one,
/// what is expected, what was set, and the strictest level that would allow it.
#[test]
fn contradictions_are_refused() {
    use PodSecurity::{Baseline, None};
    // (spec, path, got, allowed by)
    let c = |sc: Value| json!({"containers": [{"name": "spark", "securityContext": sc}]});
    let cases: Vec<(Value, &str, &str, PodSecurity)> = vec![
        (
            c(json!({"privileged": true})),
            "t: spec.containers[0].securityContext.privileged",
            "true",
            None,
        ),
        (
            c(json!({"allowPrivilegeEscalation": true})),
            "t: spec.containers[0].securityContext.allowPrivilegeEscalation",
            "true",
            Baseline,
        ),
        (
            c(json!({"runAsNonRoot": false})),
            "t: spec.containers[0].securityContext.runAsNonRoot",
            "false",
            Baseline,
        ),
        (
            c(json!({"runAsUser": 0})),
            "t: spec.containers[0].securityContext.runAsUser",
            "0",
            Baseline,
        ),
        (
            c(json!({"capabilities": {"add": ["NET_BIND_SERVICE", "CHOWN"]}})),
            "t: spec.containers[0].securityContext.capabilities.add[1]",
            "\"CHOWN\"",
            Baseline,
        ),
        (
            c(json!({"capabilities": {"add": ["SYS_ADMIN"]}})),
            "t: spec.containers[0].securityContext.capabilities.add[0]",
            "\"SYS_ADMIN\"",
            None,
        ),
        (
            c(json!({"seccompProfile": {"type": "Unconfined"}})),
            "t: spec.containers[0].securityContext.seccompProfile.type",
            "\"Unconfined\"",
            None,
        ),
        (
            c(json!({"appArmorProfile": {"type": "Unconfined"}})),
            "t: spec.containers[0].securityContext.appArmorProfile.type",
            "\"Unconfined\"",
            None,
        ),
        (
            c(json!({"procMount": "Unmasked"})),
            "t: spec.containers[0].securityContext.procMount",
            "\"Unmasked\"",
            None,
        ),
        (
            c(json!({"seLinuxOptions": {"type": "spc_t"}})),
            "t: spec.containers[0].securityContext.seLinuxOptions.type",
            "\"spc_t\"",
            None,
        ),
        (
            c(json!({"seLinuxOptions": {"user": "root"}})),
            "t: spec.containers[0].securityContext.seLinuxOptions.user",
            "\"root\"",
            None,
        ),
        (
            c(json!({"windowsOptions": {"hostProcess": true}})),
            "t: spec.containers[0].securityContext.windowsOptions.hostProcess",
            "true",
            None,
        ),
        (
            json!({"securityContext": {"runAsNonRoot": false}, "containers": [spark()]}),
            "t: spec.securityContext.runAsNonRoot",
            "false",
            Baseline,
        ),
        (
            json!({"securityContext": {"runAsUser": 0}, "containers": [spark()]}),
            "t: spec.securityContext.runAsUser",
            "0",
            Baseline,
        ),
        (
            json!({"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [spark()]}),
            "t: spec.securityContext.seccompProfile.type",
            "\"Unconfined\"",
            None,
        ),
        (
            json!({"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_rmem", "value": "1"}, {"name": "kernel.msgmax", "value": "1"}]}, "containers": [spark()]}),
            "t: spec.securityContext.sysctls[1].name",
            "\"kernel.msgmax\"",
            None,
        ),
        (
            json!({"hostNetwork": true, "containers": [spark()]}),
            "t: spec.hostNetwork",
            "true",
            None,
        ),
        (
            json!({"hostPID": true, "containers": [spark()]}),
            "t: spec.hostPID",
            "true",
            None,
        ),
        (
            json!({"hostIPC": true, "containers": [spark()]}),
            "t: spec.hostIPC",
            "true",
            None,
        ),
        (
            json!({"containers": [spark(), {"name": "agent", "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 8081}]}]}),
            "t: spec.containers[1].ports[1].hostPort",
            "8081",
            None,
        ),
        (
            json!({"containers": [spark()], "initContainers": [{"name": "i", "securityContext": {"privileged": true}}]}),
            "t: spec.initContainers[0].securityContext.privileged",
            "true",
            None,
        ),
        (
            json!({"containers": [{"name": "s", "livenessProbe": {"httpGet": {"port": 80, "host": "10.0.0.1"}}}]}),
            "t: spec.containers[0].livenessProbe.httpGet.host",
            "\"10.0.0.1\"",
            None,
        ),
        (
            json!({"containers": [{"name": "s", "lifecycle": {"preStop": {"tcpSocket": {"port": 80, "host": "h"}}}}]}),
            "t: spec.containers[0].lifecycle.preStop.tcpSocket.host",
            "\"h\"",
            None,
        ),
        (
            json!({"containers": [spark()], "volumes": [{"name": "a", "emptyDir": {}}, {"name": "data", "hostPath": {"path": "/data"}}]}),
            "t: spec.volumes[1].hostPath",
            "hostPath",
            None,
        ),
        (
            json!({"containers": [spark()], "volumes": [{"name": "shared", "nfs": {"server": "nfs", "path": "/"}}]}),
            "t: spec.volumes[0].nfs",
            "nfs",
            Baseline,
        ),
    ];
    for (spec, path, got, allowed_by) in cases {
        let e = restricted(pod(spec.clone())).unwrap_err();
        assert_eq!(e.path, path, "{spec}");
        assert_eq!(e.got, got, "{spec}");
        assert_eq!(e.allowed_by, allowed_by, "{spec}");
        assert_eq!(e.level, PodSecurity::Restricted);
        let line = e.to_string();
        assert!(
            line.starts_with(&format!("{path}: expected "))
                && line.contains("for Pod Security \"restricted\", got ")
                && !line.contains('\n'),
            "{line}"
        );
        // "baseline" refuses exactly what "restricted" refuses and even it does not allow.
        let mut p = pod(spec.clone());
        let at_baseline = apply(&mut p, PodSecurity::Baseline, &origin());
        assert_eq!(
            at_baseline.is_err(),
            allowed_by == None,
            "{spec}: {at_baseline:?}"
        );
        // "none" takes everything.
        let mut p = pod(spec.clone());
        assert_eq!(apply(&mut p, PodSecurity::None, &origin()), Ok(()));
        assert_eq!(p, pod(spec));
    }
}

#[test]
fn apparmor_annotations_are_checked() {
    let mut p = pod(json!({"containers": [spark()]}));
    p.metadata.annotations = Some(
        [
            (
                "container.apparmor.security.beta.kubernetes.io/a".to_string(),
                "runtime/default".to_string(),
            ),
            (
                "container.apparmor.security.beta.kubernetes.io/spark".to_string(),
                "unconfined".to_string(),
            ),
        ]
        .into(),
    );
    let e = restricted(p).unwrap_err();
    assert_eq!(
        e.path,
        "t: metadata.annotations.container.apparmor.security.beta.kubernetes.io/spark"
    );
}

/// In a user namespace (`hostUsers: false`) uid 0 is allowed, as the 1.35+ policy allows it.
#[test]
fn user_namespaces_may_run_as_root() {
    let spec = json!({"hostUsers": false, "securityContext": {"runAsUser": 0, "runAsNonRoot": false},
                      "containers": [{"name": "s", "securityContext": {"runAsUser": 0}}]});
    let p = restricted(pod(spec)).unwrap();
    assert_eq!(p["spec"]["securityContext"]["runAsNonRoot"], false);
    // procMount stays refused under "restricted", but "baseline" takes it there.
    let spec = json!({"hostUsers": false, "containers": [{"name": "s", "securityContext": {"procMount": "Unmasked"}}]});
    let e = restricted(pod(spec.clone())).unwrap_err();
    assert_eq!(e.allowed_by, PodSecurity::Baseline);
    let mut p = pod(spec);
    assert_eq!(apply(&mut p, PodSecurity::Baseline, &origin()), Ok(()));
}

/// Windows pods get no Linux-only settings (the API refuses them there).
#[test]
fn windows_pods_get_no_linux_settings() {
    let p = restricted(pod(
        json!({"os": {"name": "windows"}, "containers": [spark()]}),
    ))
    .unwrap();
    assert_eq!(p["spec"]["securityContext"], json!({"runAsNonRoot": true}));
    assert_eq!(
        p["spec"]["containers"][0].get("securityContext"),
        Option::None
    );
}

/// Unfilled, a pod that sets nothing breaks "restricted" but not "baseline".
#[test]
fn violations_of_an_unfilled_pod() {
    let p = pod(json!({"containers": [spark()]}));
    let v = violations(&p, PodSecurity::Restricted, &origin());
    let paths: Vec<&str> = v.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "t: spec.containers[0].securityContext.allowPrivilegeEscalation",
            "t: spec.containers[0].securityContext.capabilities.drop",
            "t: spec.containers[0].securityContext.runAsNonRoot",
            "t: spec.containers[0].securityContext.seccompProfile.type",
        ]
    );
    assert!(violations(&p, PodSecurity::Baseline, &origin()).is_empty());
}

#[test]
fn spark_settings_that_add_volumes_or_annotations() {
    // (key, value, refused under restricted, refused under baseline)
    let cases = [
        ("spark.kubernetes.executor.volumes.hostPath.data.mount.path", "/data", true, true),
        ("spark.kubernetes.executor.volumes.nfs.share.options.server", "nfs", true, false),
        ("spark.kubernetes.executor.volumes.persistentVolumeClaim.d.options.claimName", "c", false, false),
        ("spark.kubernetes.executor.volumes.emptyDir.spark-local-dir-1.mount.path", "/tmp", false, false),
        ("spark.kubernetes.driver.volumes.hostPath.data.mount.path", "/data", false, false),
        ("spark.kubernetes.executor.annotation.container.apparmor.security.beta.kubernetes.io/spark-kubernetes-executor", "unconfined", true, true),
        ("spark.kubernetes.executor.annotation.container.apparmor.security.beta.kubernetes.io/spark-kubernetes-executor", "runtime/default", false, false),
    ];
    for (key, value, restricted, baseline) in cases {
        for (level, refused) in [
            (PodSecurity::Restricted, restricted),
            (PodSecurity::Baseline, baseline),
            (PodSecurity::None, false),
        ] {
            let r = check_conf([(key, value)], "executor", level, &origin());
            match r {
                Err(e) => {
                    assert!(refused, "{key} refused under {level}: {e}");
                    assert_eq!(e.path, key);
                }
                Ok(()) => assert!(!refused, "{key} accepted under {level}"),
            }
        }
    }
}
