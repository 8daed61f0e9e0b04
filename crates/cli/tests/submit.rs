//! `sparkplane submit` beyond conformance: schema validity of every object, refusals and
//! malformed command lines, determinism, idempotent re-submission, following the driver,
//! `--status` and `--kill`. Kubernetes is the API double over real HTTP (kube-rs client).

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::kubernetes_validate;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sparkplane_conformance::{cases, corpus_dir};
use sparkplane_kube_double::KubeDouble;

const JAR: &str = "local:///opt/spark/examples/jars/spark-examples.jar";

fn sparkplane(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sparkplane"));
    c.current_dir(dir)
        .env_remove("HADOOP_CONF_DIR")
        .env_remove("SPARK_LOCAL_DIRS")
        .env_remove("SPARK_HOME")
        .env_remove("HADOOP_USER_NAME")
        .env("SPARK_CONF_DIR", dir.join("no-conf-dir"))
        .env("SPARK_USER", "tester")
        .env("KUBECONFIG", dir.join("no-kubeconfig"));
    c
}

fn submit_args(master: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "submit",
        "--master",
        master,
        "--deploy-mode",
        "cluster",
        "--name",
        "spark-pi",
        "--class",
        "org.apache.spark.examples.SparkPi",
        "--conf",
        "spark.kubernetes.container.image=apache/spark:4.3.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn run(dir: &Path, args: &[String]) -> Output {
    sparkplane(dir)
        .args(args)
        .output()
        .expect("sparkplane runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_case_validates_against_the_kubernetes_schemas() {
    let validator = kubernetes_validate();
    let out = tempfile::tempdir().unwrap();
    let common: Vec<String> = std::fs::read_to_string(corpus_dir().join("common-args"))
        .unwrap()
        .lines()
        .map(|l| l.replace("@URL@", "https://k8s.example.com:6443"))
        .collect();
    let mut files = Vec::new();
    for version in ["3.5.9", "4.0.5", "4.1.4", "4.2.1", "4.3.0"] {
        for case in cases().unwrap() {
            let mut c = sparkplane(&case.dir);
            c.args([
                "submit",
                "--dry-run",
                "-o",
                "yaml",
                "--spark-version",
                version,
            ])
            .args(&common)
            .args(&case.args);
            if let Some(d) = &case.conf_dir {
                c.env("SPARK_CONF_DIR", d);
            }
            case.apply_env(&mut c);
            let o = c.output().unwrap();
            assert!(
                o.status.success(),
                "{} {version}: {}",
                case.name,
                stderr(&o)
            );
            let f = out.path().join(format!("{version}-{}.yaml", case.name));
            std::fs::write(&f, &o.stdout).unwrap();
            files.push(f);
        }
    }
    let o = Command::new(&validator)
        .args(["--strict", "--quiet", "-k", "1.33.0"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "objects fail the Kubernetes schemas:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    // The validator can fail: a pod with an unknown field and a wrongly typed port does.
    let bad = out.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n  - name: c\n    image: i\n    ports: [{containerPort: seventy}]\n    bogus: 1\n",
    )
    .unwrap();
    let o = Command::new(&validator)
        .args(["--strict", "--quiet", "-k", "1.33.0"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success(), "the validator accepted an invalid pod");
}

#[test]
fn bad_command_lines_and_unsupported_settings_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.jar"), "").unwrap();
    let m = "k8s://https://k8s:6443";
    let privileged = dir.path().join("privileged.yaml");
    std::fs::write(
        &privileged,
        "spec:\n  containers:\n  - name: spark-kubernetes-driver\n    securityContext:\n      privileged: true\n",
    )
    .unwrap();
    let privileged_template = format!(
        "spark.kubernetes.driver.podTemplateFile={}",
        privileged.display()
    );
    let privileged_path = format!(
        "{}: spec.containers[0].securityContext.privileged: expected unset or false for Pod \
         Security \"baseline\", got true (--pod-security none allows it)",
        privileged.display()
    );
    let cases: Vec<(Vec<String>, &str)> =
        vec![
        (
            submit_args(
                m,
                &["--pod-security", "baseline", "--conf", &privileged_template, JAR],
            ),
            &privileged_path,
        ),
        (
            submit_args(
                m,
                &[
                    "--pod-security",
                    "restricted",
                    "--conf",
                    "spark.kubernetes.executor.volumes.nfs.share.mount.path=/share",
                    JAR,
                ],
            ),
            "spark.kubernetes.executor.volumes.nfs.share.mount.path: expected a volume of type \
             emptyDir or persistentVolumeClaim for Pod Security \"restricted\", got nfs \
             (--pod-security baseline allows it)",
        ),
        (
            submit_args(m, &["--deploy-mode", "client", JAR]),
            "--deploy-mode",
        ),
        (submit_args("spark://m:7077", &[JAR]), "--master"),
        (
            submit_args(m, &["--conf", "novalue", JAR]),
            "--conf: expected KEY=VALUE",
        ),
        (submit_args(m, &["app.jar"]), "primary resource"),
        (submit_args(m, &["--jars", "/tmp/dep.jar", JAR]), "--jars"),
        (
            submit_args(m, &["--py-files", "deps.zip", "local:///app.py"]),
            "--py-files",
        ),
        (submit_args(m, &["--keytab", "k.keytab", JAR]), "--keytab"),
        (
            submit_args(m, &["--proxy-user", "a/b/c@R", JAR]),
            "--proxy-user: expected a user name",
        ),
        (submit_args(m, &["--proxy-user", "", JAR]), "--proxy-user"),
        (
            submit_args(m, &["--conf", "spark.kerberos.principal=a@B", JAR]),
            "spark.kerberos.principal",
        ),
        (
            submit_args(
                m,
                &[
                    "--conf",
                    "spark.kubernetes.driver.pod.featureSteps=x.Y",
                    JAR,
                ],
            ),
            "spark.kubernetes.driver.pod.featureSteps",
        ),
        (
            submit_args(
                m,
                &[
                    "--conf",
                    "spark.kubernetes.authenticate.driver.oauthToken=t",
                    JAR,
                ],
            ),
            "spark.kubernetes.authenticate.driver.oauthToken",
        ),
        (
            submit_args(m, &["--conf", "spark.driver.memory=lots", JAR]),
            "spark.driver.memory",
        ),
        (
            submit_args(m, &["--conf", "spark.driver.port=x", JAR]),
            "spark.driver.port",
        ),
        (
            submit_args(
                m,
                &[
                    "--conf",
                    "spark.kubernetes.driver.secretKeyRef.A=nokey",
                    JAR,
                ],
            ),
            "spark.kubernetes.driver.secretKeyRef.A",
        ),
        (
            submit_args(
                m,
                &["--conf", "spark.kubernetes.driver.label.spark-role=x", JAR],
            ),
            "spark.kubernetes.driver.label.spark-role",
        ),
        (
            submit_args(
                m,
                &[
                    "--conf",
                    "spark.kubernetes.driver.volumes.hostPath.v.mount.path=/a",
                    JAR,
                ],
            ),
            "spark.kubernetes.driver.volumes.hostPath.v.options.path",
        ),
        (
            submit_args(
                m,
                &[
                    "--conf",
                    "spark.kubernetes.driver.volumes.secret.v.mount.path=/a",
                    JAR,
                ],
            ),
            "spark.kubernetes.driver.volumes.secret",
        ),
        (
            submit_args(
                m,
                &[
                    "--conf",
                    "spark.kubernetes.driver.podTemplateFile=missing.yaml",
                    JAR,
                ],
            ),
            "spark.kubernetes.driver.podTemplateFile",
        ),
        (
            submit_args(
                m,
                &[
                    "--conf",
                    "spark.kubernetes.driver.podTemplateFile=s3a://b/t.yaml",
                    JAR,
                ],
            ),
            "spark.kubernetes.driver.podTemplateFile",
        ),
        (
            submit_args(m, &["--spark-version", "3.4.1", JAR]),
            "--spark-version",
        ),
        (
            submit_args(m, &["--properties-file", "missing.conf", JAR]),
            "--properties-file",
        ),
        (submit_args(m, &[]), "primary resource"),
        (
            vec![
                "submit".into(),
                "--master".into(),
                m.into(),
                "--deploy-mode".into(),
                "cluster".into(),
                "--class".into(),
                "A".into(),
                JAR.into(),
            ],
            "spark.kubernetes.container.image",
        ),
    ];
    for (args, want) in cases {
        let mut args = args;
        args.insert(1, "--dry-run".into());
        let o = run(dir.path(), &args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{want}: succeeded");
        assert_eq!(
            err.lines().count(),
            1,
            "{want}: not one line: {args:?}: {err}"
        );
        assert!(err.starts_with("error: "), "{want}: {err}");
        assert!(err.contains(want), "{want}: {err}");
    }
    // HADOOP_CONF_DIR would be shipped by spark-submit: refused too.
    let o = sparkplane(dir.path())
        .env("HADOOP_CONF_DIR", dir.path())
        .args(submit_args(m, &["--dry-run", JAR]))
        .output()
        .unwrap();
    assert!(
        !o.status.success() && stderr(&o).starts_with("error: HADOOP_CONF_DIR"),
        "{}",
        stderr(&o)
    );
    // So would a HADOOP_USER_NAME Hadoop cannot read, whatever SPARK_USER says.
    let o = sparkplane(dir.path())
        .env("HADOOP_USER_NAME", "a/b/c@R")
        .args(submit_args(m, &["--dry-run", JAR]))
        .output()
        .unwrap();
    assert!(
        !o.status.success() && stderr(&o).starts_with("error: HADOOP_USER_NAME"),
        "{}",
        stderr(&o)
    );
    // A clap-level error (unknown option) is also an error exit.
    let o = run(dir.path(), &submit_args(m, &["--no-such-flag", JAR]));
    assert!(!o.status.success());
}

fn dry_run(dir: &Path, extra: &[&str]) -> String {
    let mut a = submit_args("k8s://https://k8s:6443", &["--dry-run", "-o", "json"]);
    a.extend(extra.iter().map(|s| s.to_string()));
    a.push(JAR.into());
    let o = run(dir, &a);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn a_submission_id_makes_building_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let a = dry_run(
        dir.path(),
        &["--submission-id", "analytics/nightly-2026-11-21"],
    );
    let b = dry_run(
        dir.path(),
        &["--submission-id", "analytics/nightly-2026-11-21"],
    );
    let strip_time = |s: &str| -> String {
        // spark.app.submitTime (and the date comment) record when; everything else is equal.
        s.lines()
            .map(|l| {
                if l.contains("spark.properties") {
                    "<properties>"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip_time(&a), strip_time(&b));
    let c = dry_run(dir.path(), &["--submission-id", "analytics/other"]);
    assert_ne!(strip_time(&a), strip_time(&c));
    // Without an id, ids are random, as spark-submit's.
    let d = dry_run(dir.path(), &[]);
    let e = dry_run(dir.path(), &[]);
    assert_ne!(strip_time(&d), strip_time(&e));
}

fn count(double: &KubeDouble, path: &str) -> usize {
    double.objects(path).len()
}

#[test]
fn submitting_twice_with_one_id_creates_the_objects_once() {
    let dir = tempfile::tempdir().unwrap();
    let double = KubeDouble::start().unwrap();
    let master = format!("k8s://{}", double.url());
    let args = submit_args(
        &master,
        &[
            "--submission-id",
            "default/pi-1",
            "--conf",
            "spark.kubernetes.submission.waitAppCompletion=false",
            JAR,
        ],
    );
    for _ in 0..2 {
        let o = run(dir.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(count(&double, "/api/v1/namespaces/default/pods"), 1);
    assert_eq!(count(&double, "/api/v1/namespaces/default/services"), 1);
    assert_eq!(count(&double, "/api/v1/namespaces/default/configmaps"), 1);
    assert_eq!(
        count(
            &double,
            "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies"
        ),
        1
    );
    // Every owned object points at the pod, so deleting the pod removes them.
    let pod = &double.objects("/api/v1/namespaces/default/pods")[0];
    let uid = pod["metadata"]["uid"].clone();
    for path in [
        "/api/v1/namespaces/default/services",
        "/api/v1/namespaces/default/configmaps",
    ] {
        for o in double.objects(path) {
            assert_eq!(o["metadata"]["ownerReferences"][0]["uid"], uid, "{path}");
        }
    }
    // A different application may not take over an existing pod name.
    let mut other = args.clone();
    let at = other
        .iter()
        .position(|a| a == "spark.kubernetes.container.image=apache/spark:4.3.0")
        .unwrap();
    other[at] = "spark.kubernetes.container.image=apache/spark:4.3.0".into();
    other.insert(1, "--conf".into());
    other.insert(
        2,
        format!(
            "spark.kubernetes.driver.pod.name={}",
            pod["metadata"]["name"].as_str().unwrap()
        ),
    );
    let at = other.iter().position(|a| a == "default/pi-1").unwrap();
    other[at] = "default/pi-2".into();
    let o = run(dir.path(), &other);
    assert!(!o.status.success(), "took over another application's pod");
}

#[test]
fn waiting_follows_the_driver_to_the_end_and_status_and_kill_work() {
    let dir = tempfile::tempdir().unwrap();
    let double = KubeDouble::start().unwrap();
    let master = format!("k8s://{}", double.url());
    let mut child = sparkplane(dir.path())
        .args(submit_args(&master, &[JAR]))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pods = "/api/v1/namespaces/default/pods";
    let start = Instant::now();
    let name = loop {
        // The conf ConfigMap is applied last: once it exists, the submission is complete.
        if count(&double, "/api/v1/namespaces/default/configmaps") == 1 {
            break double.objects(pods)[0]["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no pod created");
        std::thread::sleep(Duration::from_millis(50));
    };
    let pod = format!("{pods}/{name}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "submit returned before the driver finished"
    );
    double
        .set_status(&pod, serde_json::json!({"phase": "Running"}))
        .unwrap();

    let status = run(
        dir.path(),
        &[
            "submit".into(),
            "--master".into(),
            master.clone(),
            "--status".into(),
            format!("default:{name}"),
        ],
    );
    assert!(status.status.success(), "{}", stderr(&status));
    let text = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(
        text.contains(&format!("pod name: {name}")) && text.contains("phase: Running"),
        "{text}"
    );

    double
        .set_status(&pod, serde_json::json!({"phase": "Succeeded"}))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("phase: Running") && err.contains("phase: Succeeded"),
        "{err}"
    );

    let kill = run(
        dir.path(),
        &[
            "submit".into(),
            "--master".into(),
            master.clone(),
            "--kill".into(),
            "default:spark-pi-*".into(),
        ],
    );
    assert!(kill.status.success(), "{}", stderr(&kill));
    assert_eq!(count(&double, pods), 0);
    assert_eq!(
        count(&double, "/api/v1/namespaces/default/services"),
        0,
        "owned objects are collected"
    );
    let again = run(
        dir.path(),
        &[
            "submit".into(),
            "--master".into(),
            master,
            "--kill".into(),
            format!("default:{name}"),
        ],
    );
    assert!(
        !again.status.success(),
        "killing a missing driver succeeded"
    );
}

#[test]
fn credentials_come_from_kubeconfig_and_the_server_from_the_master_url() {
    let dir = tempfile::tempdir().unwrap();
    let double = KubeDouble::start().unwrap();
    // The kubeconfig names another server; as with spark-submit, the master URL wins, and the
    // current context's credentials are sent to it.
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster: {server: 'https://elsewhere.invalid:6443'}\nusers:\n- name: u\n  user: {token: test-token-123}\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n",
    )
    .unwrap();
    let master = format!("k8s://{}", double.url());
    let o = sparkplane(dir.path())
        .env("KUBECONFIG", &kubeconfig)
        .args(submit_args(
            &master,
            &[
                "--conf",
                "spark.kubernetes.submission.waitAppCompletion=false",
                JAR,
            ],
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let requests = double.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(
            r.authorization.as_deref(),
            Some("Bearer test-token-123"),
            "{} {}",
            r.method,
            r.path
        );
    }
    assert!(
        !stderr(&o).contains("test-token-123"),
        "the token was printed"
    );
}
