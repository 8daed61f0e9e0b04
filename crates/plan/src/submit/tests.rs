use super::*;
use sparkplane_api::load::{parse_documents_with, LoadOptions, Manifest};
use sparkplane_api::tenancy::{refusable_keys, SparkConfPolicy};

const BASE: &str = "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: pi\nspec:\n  type: Scala\n  sparkVersion: \"4.3.0\"\n  mainClass: org.example.Pi\n  mainApplicationFile: jobs/pi.jar\n  arguments: [\"10\", \"a b\"]\n  driver:\n    cores: 1\n    memory: 512m\n  executor:\n    cores: 2\n    instances: 3\n    memory: 1g\n";

/// The plan's own handling of every key is tested here, so the keys the tenancy boundary
/// refuses before any plan (`sparkplane_api::tenancy`) are admitted.
fn app(text: &str) -> SparkApplication {
    let options = LoadOptions {
        spark_conf: SparkConfPolicy::allowing(refusable_keys()).expect("refusable keys"),
        ..LoadOptions::default()
    };
    let (ms, _) = parse_documents_with("app.yaml", text, &options).expect("valid manifest");
    match ms.into_iter().next().map(|m| m.manifest) {
        Some(Manifest::SparkApplication(a)) => *a,
        other => panic!("not an application: {other:?}"),
    }
}

fn plan(text: &str, cluster: bool) -> SubmitPlan {
    let a = app(text);
    let defaults: SparkConf = [("spark.decommission.enabled".to_string(), "true".to_string())]
        .into_iter()
        .collect();
    let target = if cluster {
        Target::Cluster {
            master_url: "spark://127.0.0.1:7077",
            defaults: &defaults,
            authenticate: true,
        }
    } else {
        Target::Local
    };
    let secret = Path::new("/apps/pi/secret.properties");
    plan_submit(&SubmitInputs {
        app: &a,
        source: "app.yaml",
        manifest_dir: Path::new("/m"),
        spark_home: Path::new("/spark"),
        java_home: None,
        target,
        ui_port: 4999,
        secret_properties: cluster.then_some(secret),
    })
    .expect("plan")
}

fn confs(p: &SubmitPlan) -> Vec<String> {
    p.command
        .args
        .windows(2)
        .filter(|w| w[0] == "--conf")
        .map(|w| w[1].clone())
        .collect()
}

fn flag<'a>(p: &'a SubmitPlan, name: &str) -> Option<&'a str> {
    p.command
        .args
        .windows(2)
        .find(|w| w[0] == name)
        .map(|w| w[1].as_str())
}

#[test]
fn command_line_on_a_cluster() {
    let p = plan(BASE, true);
    assert_eq!(p.command.program, PathBuf::from("/spark/bin/spark-submit"));
    assert_eq!(
        flag(&p, "--properties-file"),
        Some("/apps/pi/secret.properties")
    );
    assert_eq!(flag(&p, "--master"), Some("spark://127.0.0.1:7077"));
    assert_eq!(flag(&p, "--deploy-mode"), Some("client"));
    assert_eq!(flag(&p, "--name"), Some("pi"));
    assert_eq!(flag(&p, "--class"), Some("org.example.Pi"));
    // Primary resource resolved against the manifest directory, then the arguments verbatim.
    let n = p.command.args.len();
    assert_eq!(p.command.args[n - 3..], ["/m/jobs/pi.jar", "10", "a b"]);
    assert_eq!(
        p.local_files,
        vec![(
            "spec.mainApplicationFile".to_string(),
            PathBuf::from("/m/jobs/pi.jar")
        )]
    );
    let c = confs(&p);
    for want in [
        "spark.decommission.enabled=true",
        "spark.driver.cores=1",
        "spark.driver.memory=512m",
        "spark.executor.cores=2",
        "spark.executor.memory=1g",
        "spark.executor.instances=3",
        "spark.cores.max=6",
        "spark.ui.port=4999",
    ] {
        assert!(c.contains(&want.to_string()), "{want} not in {c:?}");
    }
    assert_eq!(p.command.secret_env, vec![AUTH_SECRET_ENV.to_string()]);
    assert_eq!(p.command.working_dir, PathBuf::from("/m"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn local_mode_has_no_cluster_settings() {
    let p = plan(BASE, false);
    assert_eq!(flag(&p, "--master"), Some("local[*]"));
    assert_eq!(flag(&p, "--properties-file"), None);
    let c = confs(&p);
    assert!(!c.iter().any(|x| x.starts_with("spark.cores.max")), "{c:?}");
    assert!(
        !c.iter().any(|x| x.starts_with("spark.decommission")),
        "{c:?}"
    );
    assert!(p.command.secret_env.is_empty());
}

#[test]
fn field_mapping_table() {
    // (spec addition, expected --conf or flag fragments)
    let cases: &[(&str, &[&str])] = &[
        (
            "  sparkConf:\n    spark.sql.shuffle.partitions: \"7\"\n",
            &["spark.sql.shuffle.partitions=7"],
        ),
        (
            "  hadoopConf:\n    fs.s3a.path.style.access: \"true\"\n",
            &["spark.hadoop.fs.s3a.path.style.access=true"],
        ),
        (
            "  dynamicAllocation:\n    enabled: true\n    minExecutors: 1\n    maxExecutors: 4\n",
            &[
                "spark.dynamicAllocation.enabled=true",
                "spark.dynamicAllocation.minExecutors=1",
                "spark.dynamicAllocation.maxExecutors=4",
                "spark.dynamicAllocation.shuffleTracking.enabled=true",
            ],
        ),
        (
            "  deps:\n    jars: [local:///opt/spark/jars/x.jar, https://repo/y.jar]\n",
            &["--jars=/spark/jars/x.jar,https://repo/y.jar"],
        ),
        (
            "  deps:\n    pyFiles: [file:///abs/lib.zip, rel/lib2.zip]\n",
            &["--py-files=/abs/lib.zip,/m/rel/lib2.zip"],
        ),
        (
            "  deps:\n    packages: [org.a:b:1.0, org.c:d:2.0]\n",
            &["--packages=org.a:b:1.0,org.c:d:2.0"],
        ),
        ("  proxyUser: alice\n", &["--proxy-user=alice"]),
    ];
    for (extra, wants) in cases {
        let p = plan(&format!("{BASE}{extra}"), true);
        let c = confs(&p);
        for want in *wants {
            match want.strip_prefix("--").and_then(|w| w.split_once('=')) {
                Some((f, v)) => assert_eq!(flag(&p, &format!("--{f}")), Some(v), "{extra}"),
                None => assert!(c.contains(&want.to_string()), "{want} not in {c:?}"),
            }
        }
    }
}

#[test]
fn typed_fields_win_over_spark_conf_and_ui_port_is_ours() {
    let text = format!("{BASE}  sparkConf:\n    spark.driver.memory: 4g\n    spark.ui.port: \"4040\"\n    spark.kubernetes.namespace: x\n");
    let p = plan(&text, true);
    let c = confs(&p);
    assert!(c.contains(&"spark.driver.memory=512m".to_string()), "{c:?}");
    assert!(c.contains(&"spark.ui.port=4999".to_string()), "{c:?}");
    let w: Vec<String> = p.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter().any(|w| w.contains("spec.sparkConf.spark.ui.port")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("spec.sparkConf.spark.kubernetes.namespace")),
        "{w:?}"
    );
}

#[test]
fn kubernetes_only_fields_are_reported_once() {
    let text = BASE
        .replace("  type: Scala\n", "  type: Scala\n  image: spark:4\n  imagePullPolicy: Always\n")
        .replace("    memory: 512m\n", "    memory: 512m\n    serviceAccount: spark\n    tolerations:\n      - key: k\n        operator: Exists\n");
    let p = plan(&text, true);
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    let w = p.warnings[0].to_string();
    for f in [
        "spec.image",
        "spec.imagePullPolicy",
        "spec.driver.serviceAccount",
        "spec.driver.tolerations",
    ] {
        assert!(w.contains(f), "{f} not in {w}");
    }
}

#[test]
fn environment_and_python() {
    let text = BASE
        .replace("type: Scala", "type: Python")
        .replace("    memory: 512m\n", "    memory: 512m\n    env:\n      - name: A\n        value: \"1\"\n      - name: S\n        valueFrom:\n          secretKeyRef: {name: s, key: k}\n    envVars:\n      B: \"2\"\n")
        .replace("    memory: 1g\n", "    memory: 1g\n    envVars:\n      E: x\n");
    let p = plan(&text, false);
    assert_eq!(p.command.env.get("A").map(String::as_str), Some("1"));
    assert_eq!(p.command.env.get("B").map(String::as_str), Some("2"));
    assert!(!p.command.env.contains_key("S"));
    assert_eq!(
        p.command.env.get("PYSPARK_PYTHON").map(String::as_str),
        Some("python3")
    );
    assert!(confs(&p).contains(&"spark.executorEnv.E=x".to_string()));
    assert!(p
        .warnings
        .iter()
        .any(|w| w.to_string().contains("valueFrom")));
}

#[test]
fn uris() {
    let cases = [
        (
            "local:///opt/spark/examples/src/main/python/pi.py",
            Resolved::Local("/spark/examples/src/main/python/pi.py".into()),
        ),
        ("local:///data/x.jar", Resolved::Local("/data/x.jar".into())),
        ("file:///data/x.jar", Resolved::Local("/data/x.jar".into())),
        ("/abs/x.py", Resolved::Local("/abs/x.py".into())),
        ("rel/x.py", Resolved::Local("/m/rel/x.py".into())),
        (
            "s3a://bucket/x.jar",
            Resolved::Remote("s3a://bucket/x.jar".into()),
        ),
        (
            "https://host/x.jar",
            Resolved::Remote("https://host/x.jar".into()),
        ),
    ];
    for (uri, want) in cases {
        assert_eq!(
            resolve_uri(uri, Path::new("/m"), Path::new("/spark")),
            want,
            "{uri}"
        );
    }
}

/// The local plan carries the manifest's restartPolicy with kubeflow's defaults, as
/// `sparkplane_api::restart` reads it for both modes.
#[test]
fn restart_policy_defaults() {
    use sparkplane_api::restart::{RestartKind, DEFAULT_RETRY_INTERVAL};
    use std::time::Duration;
    let never = plan(BASE, true).retry;
    assert_eq!(never.kind, RestartKind::Never);
    let on_failure = plan(
        &format!(
            "{BASE}  restartPolicy:\n    type: OnFailure\n    onFailureRetries: 3\n    onSubmissionFailureRetryInterval: 20\n"
        ),
        true,
    )
    .retry;
    assert_eq!(on_failure.kind, RestartKind::OnFailure);
    assert_eq!(on_failure.on_failure_retries, 3);
    assert_eq!(on_failure.on_failure_interval, DEFAULT_RETRY_INTERVAL);
    assert_eq!(
        on_failure.on_submission_failure_interval,
        Duration::from_secs(20)
    );
}

#[test]
fn suspend_and_ttl() {
    let p = plan(
        &format!("{BASE}  suspend: true\n  timeToLiveSeconds: 30\n"),
        false,
    );
    assert!(p.suspend);
    assert_eq!(p.time_to_live_seconds, Some(30));
}

/// The README's example runs locally from the Spark home, where the image has its jar
/// (`local:///opt/spark/...`); its Kubernetes-only fields are reported, nothing else.
#[test]
fn the_spark_pi_example_runs_its_jar_from_the_spark_home() {
    let p = plan(include_str!("../../../../examples/spark-pi.yaml"), true);
    let jar = PathBuf::from("/spark/examples/jars/sparkplane-examples.jar");
    assert_eq!(
        p.local_files,
        [("spec.mainApplicationFile".to_string(), jar.clone())]
    );
    assert!(
        p.command.args.contains(&jar.display().to_string()),
        "{:?}",
        p.command.args
    );
    assert_eq!(flag(&p, "--class"), Some("org.sparkplane.examples.SparkPi"));
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    let w = p.warnings[0].to_string();
    for f in ["spec.image", "spec.driver.serviceAccount"] {
        assert!(w.contains(f), "{f} not in {w}");
    }
}
