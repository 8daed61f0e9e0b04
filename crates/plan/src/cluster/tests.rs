use super::*;
use sparkplane_api::cluster::{
    HistoryServerSpec, RecoverySpec, SecuritySpec, SparkClusterSpec, WorkerSpec,
};

fn cluster(spec: SparkClusterSpec) -> SparkCluster {
    SparkCluster::new("demo", spec)
}

fn plan(c: &SparkCluster, history: Option<u16>) -> ClusterPlan {
    let layout = ClusterLayout::new("/d/clusters/demo");
    plan_cluster(&ClusterInputs {
        cluster: c,
        version: SparkVersion::new(4, 3, 0),
        spark_home: Path::new("/spark"),
        java_home: Some(Path::new("/jdk")),
        layout: &layout,
        ports: ResolvedPorts {
            master_rpc: 7077,
            master_ui: 8080,
            history_ui: history,
        },
        host: "127.0.0.1",
        cluster_id: "id-1",
    })
}

fn props(spec: &ProcessSpec) -> &str {
    &spec.properties.as_ref().unwrap().1
}

#[test]
fn master_command_and_urls() {
    let p = plan(&cluster(SparkClusterSpec::default()), None);
    assert_eq!(p.master_url, "spark://127.0.0.1:7077");
    assert_eq!(p.master_ui_url, "http://127.0.0.1:8080");
    assert_eq!(p.master.program, PathBuf::from("/spark/bin/spark-class"));
    assert_eq!(
        p.master.args[..7],
        [
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            "7077",
            "--webui-port",
            "8080"
        ]
    );
    assert_eq!(p.master.env["SPARK_DAEMON_MEMORY"], "1g");
    assert_eq!(p.master.env[CLUSTER_MARKER_ENV], "id-1");
    assert_eq!(p.master.env["JAVA_HOME"], "/jdk");
    assert_eq!(p.master.env["SPARK_CONF_DIR"], "/d/clusters/demo/conf");
    assert!(props(&p.master).contains("spark.port.maxRetries=0"));
    assert!(props(&p.master).contains("spark.master.rest.enabled=false"));
}

#[test]
fn authentication_is_on_by_default_and_can_be_turned_off() {
    let cases = [
        (None, true),
        (Some(SecuritySpec { authenticate: true }), true),
        (
            Some(SecuritySpec {
                authenticate: false,
            }),
            false,
        ),
    ];
    for (security, want) in cases {
        let p = plan(
            &cluster(SparkClusterSpec {
                security: security.clone(),
                ..Default::default()
            }),
            None,
        );
        assert_eq!(p.authenticate, want, "{security:?}");
        let w = p.worker(0, 40000, 40001);
        for spec in [&p.master, &w] {
            assert_eq!(props(spec).contains("spark.authenticate=true"), want);
            assert_eq!(spec.secret_env == vec![AUTH_SECRET_ENV.to_string()], want);
            assert!(!spec.env.contains_key(AUTH_SECRET_ENV));
        }
        assert_eq!(
            p.app_defaults.get("spark.authenticate").map(String::as_str),
            want.then_some("true")
        );
    }
}

#[test]
fn workers_offer_the_manifest_resources() {
    let c = cluster(SparkClusterSpec {
        workers: WorkerSpec {
            replicas: 3,
            min_replicas: Some(1),
            max_replicas: Some(5),
            cores: 2,
            memory: "3g".into(),
            daemon_memory: Some("256m".into()),
            ..Default::default()
        },
        ..Default::default()
    });
    let p = plan(&c, None);
    assert_eq!(
        (p.initial_workers, p.min_workers, p.max_workers),
        (3, 1, Some(5))
    );
    let w = p.worker(2, 41000, 41001);
    assert_eq!(w.role, Role::Worker(2));
    let args = w.args.join(" ");
    assert!(args.contains("--cores 2 --memory 3g"), "{args}");
    assert!(args.contains("--port 41000 --webui-port 41001"), "{args}");
    assert!(
        args.contains("--work-dir /d/clusters/demo/work/worker-2"),
        "{args}"
    );
    assert!(args.ends_with("spark://127.0.0.1:7077"), "{args}");
    assert_eq!(w.env["SPARK_DAEMON_MEMORY"], "256m");
    assert!(props(&w).contains("spark.decommission.enabled=true"));
    assert_eq!(w.log, PathBuf::from("/d/clusters/demo/logs/worker-2.log"));
}

#[test]
fn conf_layers_cluster_then_role_then_sparkplane() {
    let mut spec = SparkClusterSpec::default();
    spec.spark_conf.insert("spark.a".into(), "cluster".into());
    spec.spark_conf.insert("spark.b".into(), "cluster".into());
    spec.spark_conf
        .insert("spark.port.maxRetries".into(), "16".into());
    spec.master
        .spark_conf
        .insert("spark.b".into(), "master".into());
    spec.workers
        .spark_conf
        .insert("spark.b".into(), "worker".into());
    let p = plan(&cluster(spec), None);
    let m = props(&p.master);
    assert!(
        m.contains("spark.a=cluster") && m.contains("spark.b=master"),
        "{m}"
    );
    // sparkplane's own settings win: ports must not drift.
    assert!(m.contains("spark.port.maxRetries=0"), "{m}");
    let w = p.worker(0, 1, 2);
    assert!(props(&w).contains("spark.b=worker"));
    assert_eq!(p.app_defaults["spark.a"], "cluster");
    assert_eq!(p.app_defaults["spark.decommission.enabled"], "true");
}

#[test]
fn recovery_modes() {
    let cases = [
        (RecoveryMode::None, None, None),
        (
            RecoveryMode::FileSystem,
            None,
            Some(("FILESYSTEM", "/d/clusters/demo/recovery")),
        ),
        (
            RecoveryMode::FileSystem,
            Some("/custom".to_string()),
            Some(("FILESYSTEM", "/custom")),
        ),
        (
            RecoveryMode::RocksDb,
            None,
            Some(("ROCKSDB", "/d/clusters/demo/recovery")),
        ),
    ];
    for (mode, directory, want) in cases {
        let p = plan(
            &cluster(SparkClusterSpec {
                recovery: Some(RecoverySpec {
                    mode,
                    directory: directory.clone(),
                }),
                ..Default::default()
            }),
            None,
        );
        let m = props(&p.master);
        match want {
            None => assert!(!m.contains("recoveryMode"), "{m}"),
            Some((mode, dir)) => {
                assert!(
                    m.contains(&format!("spark.deploy.recoveryMode={mode}")),
                    "{m}"
                );
                assert!(
                    m.contains(&format!("spark.deploy.recoveryDirectory={dir}")),
                    "{m}"
                );
            }
        }
    }
}

#[test]
fn history_server_and_event_logs() {
    let c = cluster(SparkClusterSpec {
        history_server: Some(HistoryServerSpec {
            enabled: true,
            port: None,
            log_directory: None,
        }),
        ..Default::default()
    });
    let p = plan(&c, Some(18080));
    let h = p.history.as_ref().expect("history planned");
    assert_eq!(h.args[0], "org.apache.spark.deploy.history.HistoryServer");
    let hp = props(h);
    assert!(hp.contains("spark.history.ui.port=18080"), "{hp}");
    assert!(
        hp.contains("spark.history.fs.logDirectory=file\\:/d/clusters/demo/events"),
        "{hp}"
    );
    assert_eq!(p.history_ui_url.as_deref(), Some("http://127.0.0.1:18080"));
    assert_eq!(p.app_defaults["spark.eventLog.enabled"], "true");
    assert_eq!(
        p.app_defaults["spark.eventLog.dir"],
        "file:/d/clusters/demo/events"
    );

    // Disabled: no process, no event logs.
    let off = plan(&cluster(SparkClusterSpec::default()), None);
    assert!(off.history.is_none());
    assert!(!off.app_defaults.contains_key("spark.eventLog.enabled"));
}

#[test]
fn planning_is_deterministic() {
    let c = cluster(SparkClusterSpec::default());
    assert_eq!(plan(&c, None), plan(&c, None));
}
