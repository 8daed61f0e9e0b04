#![allow(clippy::unwrap_used, clippy::expect_used)]

use k8s_openapi::api::core::v1::{Container, Pod, PodTemplateSpec};
use serde_json::{json, Value};
use sparkplane_submit::pod_security::{violations, PodOrigin, PodSecurity};

use super::*;

fn cluster(spec: Value) -> SparkCluster {
    serde_json::from_value(json!({
        "apiVersion": "sparkplane.io/v1alpha1",
        "kind": "SparkCluster",
        "metadata": {"name": "demo", "namespace": "spark", "uid": "u-1"},
        "spec": spec,
    }))
    .unwrap()
}

fn env_of(c: &Container) -> BTreeMap<String, Value> {
    c.env
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            let v = match (e.value, e.value_from) {
                (Some(v), _) => json!(v),
                (None, Some(f)) => serde_json::to_value(f).unwrap(),
                _ => Value::Null,
            };
            (e.name, v)
        })
        .collect()
}

fn first(t: &PodTemplateSpec) -> &Container {
    &t.spec.as_ref().unwrap().containers[0]
}

#[test]
fn every_object_is_named_labelled_and_owned_by_the_cluster() {
    let c = cluster(json!({"sparkVersion": "4.3.0"}));
    let o = build(&c).unwrap();
    let secret = auth_secret(&c, "s3cr3t");
    let metas = [
        ("ConfigMap", &o.config.metadata, "demo-conf"),
        ("Service", &o.master_service.metadata, "demo-master"),
        ("Deployment", &o.master.metadata, "demo-master"),
        ("Service", &o.workers_service.metadata, "demo-workers"),
        ("StatefulSet", &o.workers.metadata, "demo-worker"),
        ("Secret", &secret.metadata, "demo-auth"),
    ];
    for (kind, m, name) in metas {
        assert_eq!(m.name.as_deref(), Some(name), "{kind}");
        assert_eq!(m.namespace.as_deref(), Some("spark"), "{kind}");
        let owners = m.owner_references.as_ref().unwrap();
        assert_eq!(owners.len(), 1, "{kind}");
        assert_eq!(owners[0].uid, "u-1", "{kind}");
        assert_eq!(owners[0].kind, "SparkCluster", "{kind}");
        assert_eq!(owners[0].controller, Some(true), "{kind}");
        assert_eq!(
            m.labels.as_ref().unwrap()[labels::CLUSTER],
            "demo",
            "{kind}"
        );
    }
}

#[test]
fn the_master_serves_rpc_ui_and_rest_behind_its_service() {
    let cases = [
        (json!({}), 7077, 8080, "false"),
        (
            json!({"master": {"port": 7177, "webUIPort": 8180}, "security": {"authenticate": false}}),
            7177,
            8180,
            "true",
        ),
    ];
    for (spec, rpc, ui, rest) in cases {
        let c = cluster(spec.clone());
        let o = build(&c).unwrap();
        let svc = o.master_service.spec.unwrap();
        let ports: Vec<(String, i32)> = svc
            .ports
            .unwrap()
            .into_iter()
            .map(|p| (p.name.unwrap(), p.port))
            .collect();
        assert_eq!(
            ports,
            [
                ("rpc".into(), rpc),
                ("ui".into(), ui),
                ("rest".into(), 6066)
            ],
            "{spec}"
        );
        let d = o.master.spec;
        assert_eq!(d.replicas, Some(1));
        assert_eq!(d.strategy.unwrap().type_.as_deref(), Some("Recreate"));
        assert_eq!(d.selector.match_labels, svc.selector, "{spec}");
        let k = first(&d.template);
        assert_eq!(k.args.as_deref(), Some(&["master".to_string()][..]));
        let env = env_of(k);
        assert_eq!(env["SPARK_MASTER_PORT"], rpc.to_string(), "{spec}");
        assert_eq!(env["SPARK_MASTER_WEBUI_PORT"], ui.to_string(), "{spec}");
        assert_eq!(env["SPARK_DAEMON_MEMORY"], "1024m");
        let conf = &o.config.data.as_ref().unwrap()[conf_keys::MASTER];
        assert!(
            conf.contains(&format!("spark.master.rest.enabled={rest}\n")),
            "{conf}"
        );
        assert_eq!(
            master_url(&c),
            format!("spark://demo-master.spark.svc:{rpc}")
        );
    }
}

#[test]
fn workers_are_a_stateful_set_told_what_their_containers_are_granted() {
    let cases = [
        // (spec, replicas, SPARK_WORKER_CORES, SPARK_WORKER_MEMORY, memory limit)
        (json!({}), 2, "1", "1024m", "1920Mi"),
        (
            json!({"workers": {"replicas": 3, "cores": 2, "memory": "2g", "daemonMemory": "256m"}}),
            3,
            "2",
            "2048m",
            "2688Mi",
        ),
        (
            json!({"workers": {"replicas": 2, "daemonMemory": "256m", "resources": {
                "requests": {"cpu": "200m", "memory": "1280Mi"},
                "limits": {"cpu": "1", "memory": "1280Mi"}}}}),
            2,
            "1",
            "640m",
            "1280Mi",
        ),
    ];
    for (spec, replicas, cores, memory, limit) in cases {
        let o = build(&cluster(spec.clone())).unwrap();
        let s = o.workers.spec;
        assert_eq!(s.replicas, Some(replicas), "{spec}");
        assert_eq!(s.service_name.as_deref(), Some("demo-workers"));
        let k = first(&s.template);
        let env = env_of(k);
        assert_eq!(env["SPARK_WORKER_CORES"], cores, "{spec}");
        assert_eq!(env["SPARK_WORKER_MEMORY"], memory, "{spec}");
        assert_eq!(
            env["SPARK_MASTER_URL"],
            "spark://demo-master.spark.svc:7077"
        );
        let limits = k.resources.as_ref().unwrap().limits.as_ref().unwrap();
        assert_eq!(limits["memory"].0, limit, "{spec}");
        assert_eq!(
            s.selector.match_labels.as_ref().unwrap(),
            &selector_labels("demo", "worker")
        );
        let conf = &o.config.data.as_ref().unwrap()[conf_keys::WORKER];
        assert!(conf.contains("spark.decommission.enabled=true\n"), "{conf}");
    }
    assert_eq!(
        worker_selector(&cluster(json!({}))),
        "sparkplane.io/cluster=demo,sparkplane.io/role=worker"
    );
}

#[test]
fn the_secret_reaches_pods_by_reference_only() {
    for (spec, on) in [
        (json!({}), true),
        (json!({"security": {"authenticate": false}}), false),
    ] {
        let c = cluster(spec.clone());
        let o = build(&c).unwrap();
        let text = format!("{o:?}");
        assert!(!text.contains("s3cr3t"));
        for t in [&o.master.spec.template, &o.workers.spec.template] {
            let env = env_of(first(t));
            match env.get(AUTH_SECRET_ENV) {
                Some(v) => {
                    assert!(on, "{spec}");
                    assert_eq!(v["secretKeyRef"]["name"], "demo-auth");
                    assert_eq!(v["secretKeyRef"]["key"], AUTH_SECRET_KEY);
                }
                None => assert!(!on, "{spec}"),
            }
        }
        let conf = o.config.data.as_ref().unwrap();
        for key in [conf_keys::MASTER, conf_keys::WORKER] {
            assert_eq!(
                conf[key].contains("spark.authenticate=true\n"),
                on,
                "{spec}: {}",
                conf[key]
            );
        }
    }
    let s = auth_secret(&cluster(json!({})), "s3cr3t");
    assert_eq!(s.string_data.unwrap()[AUTH_SECRET_KEY], "s3cr3t");
}

#[test]
fn pods_meet_pod_security_restricted() {
    let c = cluster(json!({
        "master": {"nodeSelector": {"pool": "spark"}},
        "workers": {"tolerations": [{"key": "spark", "operator": "Exists"}]}
    }));
    let o = build(&c).unwrap();
    for (role, t) in [
        ("master", o.master.spec.template),
        ("worker", o.workers.spec.template),
    ] {
        let pod = Pod {
            metadata: t.metadata.clone().unwrap_or_default(),
            spec: t.spec.clone(),
            status: None,
        };
        let v = violations(&pod, PodSecurity::Restricted, &PodOrigin::default());
        assert!(v.is_empty(), "{role}: {v:?}");
        let sc = first(&t).security_context.clone().unwrap();
        assert_eq!(sc.allow_privilege_escalation, Some(false), "{role}");
        let drop = sc.capabilities.unwrap().drop.unwrap();
        assert!(drop.contains(&"ALL".to_string()), "{role}");
        let psc = t.spec.as_ref().unwrap().security_context.clone().unwrap();
        assert_eq!(psc.run_as_non_root, Some(true), "{role}");
        assert_eq!(
            psc.seccomp_profile.unwrap().type_,
            "RuntimeDefault",
            "{role}"
        );
    }
}

#[test]
fn the_image_follows_the_version_unless_given() {
    let cases = [
        (json!({}), "sparkplane/spark:4.3.0"),
        (json!({"sparkVersion": "3.5.9"}), "sparkplane/spark:3.5.9"),
        (
            json!({"image": "registry.example/spark:x"}),
            "registry.example/spark:x",
        ),
    ];
    for (spec, want) in cases {
        let o = build(&cluster(spec.clone())).unwrap();
        for t in [&o.master.spec.template, &o.workers.spec.template] {
            assert_eq!(first(t).image.as_deref(), Some(want), "{spec}");
        }
    }
}

#[test]
fn what_kubernetes_cannot_run_is_refused_with_every_field() {
    let long = "a".repeat(46);
    let mut c = cluster(json!({
        "recovery": {"mode": "FILESYSTEM"},
        "historyServer": {},
        "workers": {"resources": {"limits": {"cpu": "500m", "memory": "800Mi"}}}
    }));
    c.metadata.name = Some(long);
    let paths: Vec<String> = build(&c).unwrap_err().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "metadata.name",
            "spec.recovery",
            "spec.historyServer",
            "spec.workers.resources.limits.cpu",
            "spec.workers.resources.limits.memory",
        ]
    );
    // Recovery NONE and a disabled history server are fine.
    build(&cluster(
        json!({"recovery": {"mode": "NONE"}, "historyServer": {"enabled": false}}),
    ))
    .unwrap();
}

#[test]
fn workers_are_decommissioned_before_they_stop() {
    let cases: &[(Value, i64)] = &[
        // The manifest's timeout, else the local runtime's default; the JVM's stop after it.
        (json!({"sparkVersion": "4.3.0"}), 600 + 30),
        (
            json!({"sparkVersion": "4.3.0", "workers": {"decommissionTimeoutSeconds": 45}}),
            45 + 30,
        ),
        (
            json!({"sparkVersion": "4.3.0", "workers": {"decommissionTimeoutSeconds": 0}}),
            30,
        ),
    ];
    for (spec, grace) in cases {
        let o = build(&cluster(spec.clone())).unwrap();
        let t = &o.workers.spec.template;
        let hook = first(t)
            .lifecycle
            .as_ref()
            .and_then(|l| l.pre_stop.as_ref())
            .and_then(|h| h.exec.as_ref())
            .and_then(|e| e.command.clone());
        assert_eq!(
            hook,
            Some(vec!["/opt/decom.sh".to_string(), "worker".to_string()]),
            "{spec}"
        );
        assert_eq!(
            t.spec.as_ref().unwrap().termination_grace_period_seconds,
            Some(*grace),
            "{spec}"
        );
        // Spark's side of it: the workers decommission on SIGPWR.
        let conf = o.config.data.as_ref().unwrap()[conf_keys::WORKER].clone();
        assert!(conf.contains("spark.decommission.enabled=true\n"), "{conf}");
    }
    // And the applications' side, for spark-submit in the master pod.
    let o = build(&cluster(json!({"sparkVersion": "4.3.0"}))).unwrap();
    let conf = o.config.data.as_ref().unwrap()[conf_keys::MASTER].clone();
    for key in [
        "spark.decommission.enabled",
        "spark.storage.decommission.enabled",
        "spark.storage.decommission.shuffleBlocks.enabled",
        "spark.storage.decommission.rddBlocks.enabled",
    ] {
        assert!(conf.contains(&format!("{key}=true\n")), "{conf}");
    }
    // The master has no hook: it is not scaled.
    let o = build(&cluster(json!({"sparkVersion": "4.3.0"}))).unwrap();
    assert!(first(&o.master.spec.template).lifecycle.is_none());
}
