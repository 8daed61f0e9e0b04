//! One meaning for every manifest: for each SparkApplication in `examples/` and in the
//! kubeflow examples corpus, the Spark configuration the local runtime gives spark-submit
//! and the one the Kubernetes render puts in the driver's `spark.properties` agree, except
//! for the settings that belong to one mode, which are listed here by name (and in
//! docs/architecture.md, "Per-mode settings").
//!
//! The local side is a spark-submit command line; its options are turned into the
//! properties spark-submit itself sets for them (`SparkSubmitArguments`), so both sides are
//! compared as Spark sees them.

// Test code: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sparkplane_api::{Manifest, SparkApplication};
use sparkplane_plan::submit::{plan_submit, SubmitInputs, Target};
use sparkplane_render::{render, RenderOptions};

/// SPARK_HOME the local plan is given: `local:///opt/spark/...` maps to it.
const SPARK_HOME: &str = "/spark-home";

/// Settings only the local runtime sets.
const LOCAL_ONLY: &[&str] = &[
    // The runtime picks a free port per application and follows progress through it.
    "spark.ui.port",
    // local[*] or the local standalone master; client mode on this machine.
    "spark.master",
    "spark.submit.deployMode",
];

/// Settings only Kubernetes has: spark-submit's own for a Kubernetes cluster-mode
/// submission, and the operator's labels, names and UI.
const KUBE_ONLY: &[&str] = &[
    "spark.master",
    "spark.submit.deployMode",
    "spark.app.id",
    "spark.app.submitTime",
    "spark.driver.host",
    "spark.driver.port",
    "spark.driver.blockManager.port",
];

/// Prefixes of settings only Kubernetes has.
const KUBE_ONLY_PREFIXES: &[&str] = &["spark.kubernetes."];

/// Settings of `spec.monitoring`, which only Kubernetes serves (the JMX exporter agent and
/// its configuration live in the image; the local runtime says it ignores the field).
const MONITORING_ONLY: &[&str] = &["spark.metrics.conf", "spark.metrics.namespace"];

/// The main classes spark-submit itself names for a Python or R primary resource in
/// Kubernetes cluster mode; locally spark-submit runs the same class internally.
const RUNNERS: &[&str] = &[
    "org.apache.spark.deploy.PythonRunner",
    "org.apache.spark.deploy.RRunner",
];

/// What Kubernetes refuses and the local runtime runs: a file of this machine (the operator
/// cannot upload it; the local runtime reads it in place).
const KUBE_REFUSES_LOCAL_FILES: &str = "is a file on this machine";

/// The properties spark-submit sets for its options (Spark's `SparkSubmitArguments`).
const OPTION_KEYS: &[(&str, &str)] = &[
    ("--name", "spark.app.name"),
    ("--jars", "spark.jars"),
    ("--files", "spark.files"),
    ("--py-files", "spark.submit.pyFiles"),
    ("--archives", "spark.archives"),
    ("--packages", "spark.jars.packages"),
    ("--exclude-packages", "spark.jars.excludes"),
    ("--repositories", "spark.jars.repositories"),
    ("--driver-memory", "spark.driver.memory"),
    ("--driver-cores", "spark.driver.cores"),
    ("--driver-java-options", "spark.driver.extraJavaOptions"),
    ("--driver-class-path", "spark.driver.extraClassPath"),
    ("--driver-library-path", "spark.driver.extraLibraryPath"),
    ("--executor-memory", "spark.executor.memory"),
    ("--executor-cores", "spark.executor.cores"),
    ("--num-executors", "spark.executor.instances"),
    ("--master", "spark.master"),
    ("--deploy-mode", "spark.submit.deployMode"),
];

/// Lists of URIs, whose order and empty entries carry no meaning, and to which spark-submit
/// adds the primary resource in Kubernetes cluster mode.
const URI_LISTS: &[&str] = &[
    "spark.jars",
    "spark.files",
    "spark.submit.pyFiles",
    "spark.archives",
];

/// What one mode gives Spark for one application.
#[derive(Debug, Default)]
struct Side {
    conf: BTreeMap<String, String>,
    main_class: Option<String>,
    primary: Option<String>,
    arguments: Vec<String>,
}

/// A URI as both sides can compare it: the local runtime resolves `local://` paths to files
/// of this machine, and `/opt/spark/...` (the image's SPARK_HOME) to the installed release.
fn normalise(uri: &str) -> String {
    let path = uri.strip_prefix("local://").unwrap_or(uri);
    match path.strip_prefix(&format!("{SPARK_HOME}/")) {
        Some(rest) => format!("/opt/spark/{rest}"),
        None => path.to_string(),
    }
}

fn local_side(app: &SparkApplication, dir: &Path) -> Result<Side, String> {
    let inputs = SubmitInputs {
        app,
        source: "manifest",
        manifest_dir: dir,
        spark_home: Path::new(SPARK_HOME),
        java_home: None,
        target: Target::Local,
        ui_port: 4040,
        secret_properties: None,
    };
    let plan = plan_submit(&inputs).map_err(|p| format!("{p:?}"))?;
    let mut side = Side::default();
    let mut args = plan.command.args.iter();
    while let Some(a) = args.next() {
        if a == "--conf" {
            let kv = args.next().expect("--conf value");
            let (k, v) = kv.split_once('=').expect("--conf k=v");
            side.conf.insert(k.to_string(), v.to_string());
        } else if a == "--class" {
            side.main_class = args.next().cloned();
        } else if let Some((_, key)) = OPTION_KEYS.iter().find(|(o, _)| o == a) {
            let v = args.next().expect("option value");
            side.conf.insert(key.to_string(), v.clone());
        } else if a.starts_with("--") {
            panic!("the parity test does not know spark-submit option {a}: add it to OPTION_KEYS");
        } else {
            side.primary = Some(normalise(a));
            side.arguments = args.cloned().collect();
            break;
        }
    }
    Ok(side)
}

fn kube_side(app: &SparkApplication) -> Result<Side, String> {
    let options = RenderOptions {
        submission_id: "parity-1".into(),
        ..RenderOptions::default()
    };
    let r = render(app, &options).map_err(|e| format!("{e:?}"))?;
    let props = &r.driver.conf_map.data.as_ref().unwrap()["spark.properties"];
    let mut side = Side {
        conf: sparkplane_submit::properties::load(props)
            .into_iter()
            .collect(),
        ..Side::default()
    };
    // The driver container's arguments: `driver --properties-file F [--class C] PRIMARY ARGS…`.
    let container = &r.driver.pod.spec.as_ref().unwrap().containers[0];
    let args = container.args.clone().unwrap_or_default();
    let mut it = args
        .iter()
        .skip_while(|a| *a != "--properties-file")
        .skip(2);
    let mut next = it.next();
    if next.map(String::as_str) == Some("--class") {
        side.main_class = it.next().cloned();
        next = it.next();
    }
    if side
        .main_class
        .as_deref()
        .is_some_and(|c| RUNNERS.contains(&c))
    {
        side.main_class = None;
    }
    side.primary = next.map(|p| normalise(p));
    side.arguments = it.cloned().collect();
    if app.spec.monitoring.is_some() {
        for key in MONITORING_ONLY {
            side.conf.remove(*key);
        }
        for key in [
            "spark.driver.extraJavaOptions",
            "spark.executor.extraJavaOptions",
        ] {
            strip_java_agent(&mut side.conf, key);
        }
    }
    Ok(side)
}

/// Removes the JMX exporter's `-javaagent:` option that monitoring adds to `key`.
fn strip_java_agent(conf: &mut BTreeMap<String, String>, key: &str) {
    let Some(v) = conf.get(key) else { return };
    let rest: Vec<&str> = v
        .split_whitespace()
        .filter(|o| !o.starts_with("-javaagent:"))
        .collect();
    if rest.is_empty() {
        conf.remove(key);
    } else {
        conf.insert(key.to_string(), rest.join(" "));
    }
}

fn uri_set(value: Option<&String>, primary: Option<&str>) -> BTreeSet<String> {
    value
        .map(|v| {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(normalise)
                .collect::<BTreeSet<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|u| Some(u.as_str()) != primary)
        .collect()
}

/// Every difference between the two sides that is not a per-mode setting.
fn differences(local: &Side, kube: &Side) -> Vec<String> {
    let mut out = Vec::new();
    let keys: BTreeSet<&String> = local.conf.keys().chain(kube.conf.keys()).collect();
    for key in keys {
        let (l, k) = (local.conf.get(key), kube.conf.get(key));
        if URI_LISTS.contains(&key.as_str()) {
            let primary = kube.primary.as_deref();
            let (ls, ks) = (uri_set(l, primary), uri_set(k, primary));
            if ls != ks {
                out.push(format!("{key}: local {ls:?}, kube {ks:?}"));
            }
            continue;
        }
        let local_only = LOCAL_ONLY.contains(&key.as_str());
        let kube_only = KUBE_ONLY.contains(&key.as_str())
            || KUBE_ONLY_PREFIXES.iter().any(|p| key.starts_with(p));
        match (l, k) {
            (Some(_), _) if local_only => {}
            (_, Some(_)) if kube_only => {}
            (Some(a), Some(b)) if a == b => {}
            _ => out.push(format!("{key}: local {l:?}, kube {k:?}")),
        }
    }
    if local.main_class != kube.main_class {
        out.push(format!(
            "main class: local {:?}, kube {:?}",
            local.main_class, kube.main_class
        ));
    }
    if local.primary != kube.primary {
        out.push(format!(
            "primary resource: local {:?}, kube {:?}",
            local.primary, kube.primary
        ));
    }
    if local.arguments != kube.arguments {
        out.push(format!(
            "arguments: local {:?}, kube {:?}",
            local.arguments, kube.arguments
        ));
    }
    out
}

/// The manifests of the corpora, with the directory each resolves relative paths against.
fn corpus() -> Vec<(String, PathBuf, SparkApplication)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["examples", "crates/cli/tests/kubeflow-examples"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for p in files {
        let text = std::fs::read_to_string(&p).unwrap();
        let source = p.display().to_string();
        let (loaded, _) = sparkplane_api::parse_documents_skipping_others(&source, &text)
            .unwrap_or_else(|e| panic!("{source}: {e:?}"));
        for m in loaded {
            let app = match m.manifest {
                Manifest::SparkApplication(a) => *a,
                Manifest::ScheduledSparkApplication(s) => SparkApplication {
                    metadata: s.metadata.clone(),
                    spec: s.spec.template.clone(),
                    status: None,
                },
                Manifest::SparkCluster(_) => continue,
            };
            out.push((source.clone(), p.parent().unwrap().to_path_buf(), app));
        }
    }
    out
}

#[test]
fn the_local_plan_and_the_kubernetes_render_give_spark_the_same_configuration() {
    let (mut compared, mut refused) = (0, 0);
    let mut report = Vec::new();
    for (source, dir, app) in corpus() {
        let local = local_side(&app, &dir);
        let kube = kube_side(&app);
        match (local, kube) {
            (Ok(l), Ok(k)) => {
                compared += 1;
                for d in differences(&l, &k) {
                    report.push(format!("{source}: {d}"));
                }
            }
            (Ok(_), Err(e)) if e.contains(KUBE_REFUSES_LOCAL_FILES) => refused += 1,
            (l, k) => report.push(format!(
                "{source}: one mode refuses it: local {:?}, kube {:?}",
                l.err(),
                k.err()
            )),
        }
    }
    // The corpora hold 17 applications: 15 for both modes, 2 with files of this machine.
    assert_eq!((compared, refused), (15, 2), "{}", report.join("\n"));
    assert!(report.is_empty(), "{}", report.join("\n"));
}
