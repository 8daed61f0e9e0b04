//! The command line's own surface, offline: `spark home`, and the `app` commands the parser
//! refuses without `--kube`.

// Test code: a panic is how a test fails (the workspace denies unwrap and expect
// outside tests, and clippy counts only #[test] functions here as tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

/// `spark home VERSION` prints the Spark home of exactly that release: `$SPARK_HOME` when it
/// is that release, else sparkplane's install; never another release of the line; a release
/// that is not installed is an error naming it, with the command that installs it.
#[test]
fn spark_home_prints_the_home_of_an_installed_release() {
    let env = env();
    let managed = tempfile::tempdir().unwrap();
    for v in ["3.5.9", "4.3.0"] {
        std::fs::create_dir(managed.path().join(v)).unwrap();
    }
    let custom = tempfile::tempdir().unwrap();
    std::fs::write(
        custom.path().join("RELEASE"),
        "Spark 4.3.0 built for Hadoop 3.4.1\n",
    )
    .unwrap();
    let home = |v: &str, spark_home: Option<&std::path::Path>| {
        let mut c = env.cmd(&["spark", "home", v]);
        c.env("SPARKPLANE_SPARK_DIR", managed.path());
        if let Some(h) = spark_home {
            c.env("SPARK_HOME", h);
        }
        let o = c.output().unwrap();
        let (out, err) = outputs(&o);
        (o.status.code(), out, err)
    };
    let (code, out, _) = home("4.3.0", None);
    assert_eq!(code, Some(0));
    assert_eq!(out, format!("{}\n", managed.path().join("4.3.0").display()));
    let (code, out, _) = home("3.5.9", None);
    assert_eq!(code, Some(0));
    assert_eq!(out, format!("{}\n", managed.path().join("3.5.9").display()));
    // $SPARK_HOME of the same release is preferred, as for running applications.
    let (code, out, _) = home("4.3.0", Some(custom.path()));
    assert_eq!(code, Some(0));
    assert_eq!(out, format!("{}\n", custom.path().display()));
    // 4.3.1 is not installed: 4.3.0 is not offered in its place.
    let (code, out, err) = home("4.3.1", None);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out, "");
    assert_eq!(
        err,
        "error: Spark 4.3.1 is not installed (installed: 3.5.9, 4.3.0); run: sparkplane spark install 4.3.1\n"
    );
    // Not a release.
    let (code, _, err) = home("4.3", None);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with("error: VERSION: ") && err.contains("\"4.3\""),
        "{err}"
    );
}

/// `app events|ui|delete` act on SparkApplications on Kubernetes only: without `--kube` the
/// argument parser refuses them (exit 2, naming the flag), before anything runs; the
/// commands that also work locally are not refused.
#[test]
fn kube_only_app_commands_are_refused_by_the_parser() {
    let env = env();
    for args in [
        &["app", "events", "pi"][..],
        &["app", "ui", "pi"],
        &["app", "ui", "pi", "--port", "4041"],
        &["app", "delete", "pi"],
        &["app", "delete", "pi", "-n", "jobs"],
    ] {
        let o = env.run(args);
        let (out, err) = outputs(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(out, "");
        assert!(
            err.starts_with(
                "error: the following required arguments were not provided:\n  --kube\n"
            ),
            "{args:?}: {err}"
        );
    }
    // Local commands: past the parser, to the local runtime, which has no such application.
    for args in [&["app", "status", "pi"][..], &["app", "logs", "pi"]] {
        let o = env.run(args);
        let (_, err) = outputs(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("no application named \"pi\""),
            "{args:?}: {err}"
        );
    }
}
