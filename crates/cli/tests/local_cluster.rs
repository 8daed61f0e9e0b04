//! End-to-end: real Spark standalone clusters and applications through the sparkplane binary.
//! Run one at a time (`--test-threads=1`): each starts real JVMs.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

const V: &str = TEST_SPARK_VERSION;

fn up(env: &TestEnv, yaml: &str) -> std::path::PathBuf {
    let f = env.file(&format!("cluster-{}.yaml", rand_suffix()), yaml);
    env.ok(&[
        "cluster",
        "up",
        "-f",
        &f.display().to_string(),
        "--timeout",
        "180",
    ]);
    f
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn submit(
    env: &TestEnv,
    name: &str,
    yaml: &str,
    cluster: Option<&str>,
    wait: bool,
) -> std::process::Output {
    let f = env.file(&format!("{name}.yaml"), yaml);
    let f = f.display().to_string();
    let mut args = vec!["app", "submit", "-f", &f];
    if let Some(c) = cluster {
        args.extend(["--cluster", c]);
    }
    if wait {
        args.push("--wait");
    }
    env.run(&args)
}

fn driver_stdout(env: &TestEnv, name: &str) -> String {
    std::fs::read_to_string(env.home.path().join("apps").join(name).join("driver.out"))
        .unwrap_or_default()
}

fn wait_state(env: &TestEnv, name: &str, timeout: Duration, want: &[&str]) -> serde_json::Value {
    wait_for(&format!("{name} in {want:?}"), timeout, || {
        let st = app_status(env, name);
        want.contains(&st["state"].as_str().unwrap_or(""))
            .then_some(st)
    })
}

/// Waits until the driver reports at least one completed task: the job is really running.
fn wait_tasks_done(env: &TestEnv, name: &str) {
    wait_for(
        &format!("{name} to complete a task"),
        Duration::from_secs(180),
        || {
            let st = app_status(env, name);
            let (Some(id), Some(ui)) = (
                st["sparkApplicationId"].as_str(),
                st["webUiAddress"].as_str(),
            ) else {
                return None;
            };
            let out = std::process::Command::new("curl")
                .args([
                    "-s",
                    "--max-time",
                    "3",
                    &format!("{ui}/api/v1/applications/{id}/jobs"),
                ])
                .output()
                .ok()?;
            let jobs: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            let done: u64 = jobs
                .as_array()?
                .iter()
                .filter_map(|j| j["numCompletedTasks"].as_u64())
                .sum();
            (done >= 1).then_some(())
        },
    );
}

fn slow_sum_expected(tasks: u64) -> u64 {
    let n = tasks * 1000;
    n * (n - 1) / 2
}

#[test]
fn cluster_runs_pyspark_and_scala_jobs_with_the_right_answers() {
    let env = env();
    let _ = examples_jar(V);
    up(
        &env,
        &cluster_yaml("main", V, 2, "  historyServer:\n    enabled: true\n"),
    );

    // Resources from the manifest are what Spark itself shows.
    let st = env.cluster_status("main");
    assert_eq!(st["master"]["aliveWorkers"], 2, "{st}");
    for w in st["master"]["workers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["state"] == "ALIVE")
    {
        assert_eq!(w["cores"], 1, "{w}");
        assert_eq!(w["memoryMiB"], 1024, "{w}");
    }
    let url = st["masterUrl"].as_str().unwrap();
    assert!(url.starts_with("spark://127.0.0.1:"), "{url}");

    let text = std::fs::read_to_string(example("data/words.txt")).unwrap();
    let want = expected_wordcount(&text);

    // PySpark with a shuffle.
    let words = example("data/words.txt").display().to_string();
    let py = python_app(
        "wc-py",
        V,
        &example("python/wordcount.py"),
        &[&words, "4"],
        "",
    );
    let out = submit(&env, "wc-py", &py, Some("main"), true);
    let (so, se) = outputs(&out);
    assert!(out.status.success(), "{so}\n{se}");
    assert_eq!(parse_wordcount(&driver_stdout(&env, "wc-py")), want);
    assert!(so.contains("COMPLETED"), "{so}");
    let logs = env.ok(&["app", "logs", "wc-py"]);
    assert!(logs.contains("BEGIN WORDCOUNT"), "{logs}");

    // Scala, same data, same answer.
    let scala = scala_app(
        "wc-scala",
        V,
        "org.sparkplane.examples.WordCount",
        &[&words, "4"],
    );
    let out = submit(&env, "wc-scala", &scala, Some("main"), true);
    assert!(out.status.success(), "{:?}", outputs(&out));
    assert_eq!(parse_wordcount(&driver_stdout(&env, "wc-scala")), want);

    // Both ran on the cluster, not locally: the master saw them.
    let st = env.cluster_status("main");
    let master = &st["master"];
    assert!(master["completedApps"].as_u64().unwrap() >= 2, "{st}");

    // The history server lists both from the event logs.
    let history = st["historyUI"].as_str().expect("history UI").to_string();
    wait_for(
        "the history server to list both applications",
        Duration::from_secs(120),
        || {
            let out = std::process::Command::new("curl")
                .args([
                    "-s",
                    "--max-time",
                    "3",
                    &format!("{history}/api/v1/applications"),
                ])
                .output()
                .ok()?;
            let apps: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            (apps.as_array()?.len() >= 2).then_some(())
        },
    );

    // Component logs.
    let logs = env.ok(&[
        "cluster",
        "logs",
        "main",
        "--component",
        "master",
        "--tail",
        "20",
    ]);
    assert!(
        logs.contains("master.log") && logs.lines().count() > 5,
        "{logs}"
    );

    let id = env.cluster_id("main");
    env.ok(&["cluster", "down", "main"]);
    assert!(marked_pids("SPARKPLANE_CLUSTER_ID", &id).is_empty());
    assert_no_processes(&env);
}

#[test]
fn a_killed_worker_comes_back_and_the_job_completes() {
    let env = env();
    up(&env, &cluster_yaml("kw", V, 2, ""));
    let app = python_app(
        "slow",
        V,
        &example("python/slow_sum.py"),
        &["40", "1.0"],
        "",
    );
    let out = submit(&env, "slow", &app, Some("kw"), false);
    assert!(out.status.success(), "{:?}", outputs(&out));
    wait_tasks_done(&env, "slow");

    let victim = process_pid(&env, "kw", json!({"kind": "worker", "index": 0}));
    kill9(victim);

    let st = wait_state(
        &env,
        "slow",
        Duration::from_secs(300),
        &["COMPLETED", "FAILED"],
    );
    assert_eq!(st["state"], "COMPLETED", "{st}");
    assert!(driver_stdout(&env, "slow").contains(&format!("RESULT {}", slow_sum_expected(40))));

    // The supervisor restarted the worker and it registered again.
    let restarted = process_pid(&env, "kw", json!({"kind": "worker", "index": 0}));
    assert_ne!(restarted, victim);
    wait_for("2 alive workers", Duration::from_secs(60), || {
        (env.cluster_status("kw")["master"]["aliveWorkers"] == 2).then_some(())
    });
    env.ok(&["cluster", "down", "kw"]);
    assert_no_processes(&env);
}

#[test]
fn a_killed_master_recovers_from_the_filesystem_and_the_job_completes() {
    let env = env();
    up(
        &env,
        &cluster_yaml("km", V, 2, "  recovery:\n    mode: FILESYSTEM\n"),
    );
    let app = python_app(
        "slow",
        V,
        &example("python/slow_sum.py"),
        &["40", "1.0"],
        "",
    );
    assert!(submit(&env, "slow", &app, Some("km"), false)
        .status
        .success());
    wait_tasks_done(&env, "slow");

    let victim = process_pid(&env, "km", json!({"kind": "master"}));
    kill9(victim);

    let st = wait_state(
        &env,
        "slow",
        Duration::from_secs(300),
        &["COMPLETED", "FAILED"],
    );
    assert_eq!(st["state"], "COMPLETED", "{st}");
    assert!(driver_stdout(&env, "slow").contains(&format!("RESULT {}", slow_sum_expected(40))));

    let restarted = process_pid(&env, "km", json!({"kind": "master"}));
    assert_ne!(restarted, victim);
    wait_for(
        "workers re-registered with the recovered master",
        Duration::from_secs(120),
        || {
            let s = env.cluster_status("km");
            (s["master"]["status"] == "ALIVE" && s["master"]["aliveWorkers"] == 2).then_some(())
        },
    );
    let log = std::fs::read_to_string(env.home.path().join("clusters/km/logs/master.log")).unwrap();
    assert!(
        log.contains("recover") || log.contains("Recover"),
        "master log shows no recovery"
    );
    env.ok(&["cluster", "down", "km"]);
    assert_no_processes(&env);
}

#[test]
fn scaling_down_during_a_job_lets_it_complete() {
    let env = env();
    up(&env, &cluster_yaml("sc", V, 3, ""));
    let mut app = python_app(
        "slow",
        V,
        &example("python/slow_sum.py"),
        &["30", "1.0"],
        "",
    );
    app = app.replace("instances: 2", "instances: 3");
    assert!(submit(&env, "slow", &app, Some("sc"), false)
        .status
        .success());
    wait_tasks_done(&env, "slow");

    env.ok(&[
        "cluster",
        "scale",
        "sc",
        "--workers",
        "1",
        "--timeout",
        "600",
    ]);
    let st = env.cluster_status("sc");
    assert_eq!(st["master"]["aliveWorkers"], 1, "{st}");

    let st = wait_state(
        &env,
        "slow",
        Duration::from_secs(300),
        &["COMPLETED", "FAILED"],
    );
    assert_eq!(st["state"], "COMPLETED", "{st}");
    assert!(driver_stdout(&env, "slow").contains(&format!("RESULT {}", slow_sum_expected(30))));

    // And back up.
    env.ok(&["cluster", "scale", "sc", "--workers", "2"]);
    assert_eq!(env.cluster_status("sc")["master"]["aliveWorkers"], 2);
    env.ok(&["cluster", "down", "sc"]);
    assert_no_processes(&env);
}

#[test]
fn two_clusters_side_by_side() {
    let env = env();
    up(&env, &cluster_yaml("left", V, 1, ""));
    up(&env, &cluster_yaml("right", V, 1, ""));
    let (l, r) = (env.cluster_status("left"), env.cluster_status("right"));
    assert_ne!(l["masterUrl"], r["masterUrl"]);
    assert_ne!(l["webUI"], r["webUI"]);

    let words = example("data/words.txt").display().to_string();
    let want = expected_wordcount(&std::fs::read_to_string(&words).unwrap());
    for c in ["left", "right"] {
        let name = format!("wc-{c}");
        let app = python_app(
            &name,
            V,
            &example("python/wordcount.py"),
            &[&words, "2"],
            "",
        );
        let out = submit(&env, &name, &app, Some(c), true);
        assert!(out.status.success(), "{:?}", outputs(&out));
        assert_eq!(parse_wordcount(&driver_stdout(&env, &name)), want);
        // Each cluster saw only its own application.
        let st = env.cluster_status(c);
        assert_eq!(st["master"]["completedApps"], 1, "{st}");
    }

    let left_id = env.cluster_id("left");
    env.ok(&["cluster", "down", "left"]);
    assert!(marked_pids("SPARKPLANE_CLUSTER_ID", &left_id).is_empty());
    let r = env.cluster_status("right");
    assert_eq!(r["up"], true);
    assert_eq!(r["master"]["aliveWorkers"], 1, "{r}");
    let app = python_app(
        "wc-after",
        V,
        &example("python/wordcount.py"),
        &[&words, "2"],
        "",
    );
    assert!(submit(&env, "wc-after", &app, Some("right"), true)
        .status
        .success());
    env.ok(&["cluster", "down", "right"]);
    assert_no_processes(&env);
}

#[test]
fn a_failed_cluster_up_leaves_nothing_running() {
    let env = env();
    // The master refuses a non-boolean spreadOut at start-up and exits.
    let yaml = cluster_yaml(
        "broken",
        V,
        1,
        "  master:\n    sparkConf:\n      spark.deploy.spreadOut: \"perhaps\"\n",
    );
    let f = env.file("broken.yaml", &yaml);
    let out = env.run(&[
        "cluster",
        "up",
        "-f",
        &f.display().to_string(),
        "--timeout",
        "120",
    ]);
    let (_, se) = outputs(&out);
    assert!(!out.status.success(), "{se}");
    let errors: Vec<&str> = se.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{se}");
    assert!(
        errors[0].contains("broken") && errors[0].contains("master"),
        "{se}"
    );
    assert_no_processes(&env);
}

#[test]
fn local_mode_restart_policy_and_kill() {
    let env = env();
    let words = example("data/words.txt").display().to_string();

    // local[*]: no cluster.
    let app = python_app(
        "local-wc",
        V,
        &example("python/wordcount.py"),
        &[&words, "2"],
        "",
    );
    let out = submit(&env, "local-wc", &app, None, true);
    assert!(out.status.success(), "{:?}", outputs(&out));
    assert_eq!(
        parse_wordcount(&driver_stdout(&env, "local-wc")),
        expected_wordcount(&std::fs::read_to_string(&words).unwrap())
    );

    // A failing application retried once (OnFailure, 1 retry): two runs, then FAILED, and
    // `--wait` exits non-zero.
    let missing = env
        .home
        .path()
        .join("no-such-input.txt")
        .display()
        .to_string();
    let failing = python_app(
        "failing",
        V,
        &example("python/wordcount.py"),
        &[&missing, "2"],
        "  restartPolicy:\n    type: OnFailure\n    onFailureRetries: 1\n    onFailureRetryInterval: 1\n",
    );
    let out = submit(&env, "failing", &failing, None, true);
    assert!(!out.status.success());
    let st = app_status(&env, "failing");
    assert_eq!(st["state"], "FAILED", "{st}");
    assert_eq!(st["executionAttempts"], 2, "{st}");

    // Kill a running application: FAILED with the reason, and its processes are gone.
    let slow = python_app("slow", V, &example("python/slow_sum.py"), &["20", "5"], "");
    assert!(submit(&env, "slow", &slow, None, false).status.success());
    wait_state(&env, "slow", Duration::from_secs(120), &["RUNNING"]);
    env.ok(&["app", "kill", "slow"]);
    let st = app_status(&env, "slow");
    assert_eq!(st["state"], "FAILED", "{st}");
    assert!(
        st["errorMessage"].as_str().unwrap_or("").contains("kill"),
        "{st}"
    );
    let list = env.ok(&["app", "list"]);
    for n in ["local-wc", "failing", "slow"] {
        assert!(list.contains(n), "{list}");
    }
    assert_no_processes(&env);
}

#[test]
fn an_unauthenticated_client_is_refused_by_a_cluster() {
    let env = env();
    up(&env, &cluster_yaml("sec", V, 1, ""));
    let url = env.cluster_status("sec")["masterUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let home = spark_home(V);
    // Plain spark-submit without the cluster's secret.
    // `timeout` bounds the run: a refused driver gives up by itself after its registration
    // retries (about a minute).
    let out = std::process::Command::new("timeout")
        .arg("150")
        .arg(home.join("bin/spark-submit"))
        .args([
            "--master",
            &url,
            "--conf",
            "spark.authenticate=true",
            "--conf",
            "spark.authenticate.secret=wrong",
        ])
        .arg(home.join("examples/src/main/python/pi.py"))
        .arg("2")
        .env("SPARK_HOME", &home)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .env("SPARKPLANE_HOME", env.home.path())
        .output()
        .expect("spark-submit");
    let (so, se) = outputs(&out);
    assert!(
        !so.contains("Pi is roughly"),
        "an unauthenticated client ran a job:\n{so}"
    );
    assert!(
        se.contains("SaslException") || se.contains("Mismatched") || se.contains("authenticat"),
        "{se}"
    );
    env.ok(&["cluster", "down", "sec"]);
    assert_no_processes(&env);
}

#[test]
fn spark_3_5_runs_too() {
    const V35: &str = "3.5.9";
    let env = env();
    up(&env, &cluster_yaml("old", V35, 2, ""));
    let words = example("data/words.txt").display().to_string();
    let want = expected_wordcount(&std::fs::read_to_string(&words).unwrap());
    let py = python_app(
        "wc35",
        V35,
        &example("python/wordcount.py"),
        &[&words, "4"],
        "",
    );
    let out = submit(&env, "wc35", &py, Some("old"), true);
    assert!(out.status.success(), "{:?}", outputs(&out));
    assert_eq!(parse_wordcount(&driver_stdout(&env, "wc35")), want);
    let scala = scala_app(
        "wc35s",
        V35,
        "org.sparkplane.examples.WordCount",
        &[&words, "4"],
    );
    let out = submit(&env, "wc35s", &scala, Some("old"), true);
    assert!(out.status.success(), "{:?}", outputs(&out));
    assert_eq!(parse_wordcount(&driver_stdout(&env, "wc35s")), want);
    env.ok(&["cluster", "down", "old"]);
    assert_no_processes(&env);
}
