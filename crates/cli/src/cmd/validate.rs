//! `sparkplane validate`: the manifest's own rules (`sparkplane_api`), then, for each target,
//! the very translation that would run it, so that what `validate` passes is what `render`,
//! the operator and the local runtime accept.

use std::path::Path;

use sparkplane_api::{LoadedManifest, Manifest, SparkApplication};
use sparkplane_plan::submit::{plan_submit, SubmitInputs, Target};
use sparkplane_render::RenderOptions;

use crate::cli::ValidateArgs;
use crate::{manifests, Reported};

pub fn run(args: &ValidateArgs) -> anyhow::Result<u8> {
    let files: Vec<&Path> = args.files.iter().map(|p| p.as_path()).collect();
    let options = sparkplane_api::LoadOptions {
        skip_others: false,
        spark_conf: args.tenancy.policy(),
    };
    let loaded = manifests::load_with(&files, &options)?;
    let mut refused = false;
    for m in &loaded {
        let mut problems = Vec::new();
        if args.target.kubernetes() {
            problems.extend(
                kubernetes_refusals(m, &options.spark_conf)?
                    .into_iter()
                    .map(|p| format!("{p} (on Kubernetes: `render` and the operator refuse it)")),
            );
        }
        if args.target.local() {
            problems.extend(
                local_refusals(m)
                    .into_iter()
                    .map(|p| format!("{p} (the local runtime refuses it)")),
            );
        }
        let (kind, name) = describe(&m.manifest);
        if problems.is_empty() {
            println!("{}: {kind} {name:?} is valid", m.source);
        }
        for p in problems {
            eprintln!("error: {}: {p}", place(m));
            refused = true;
        }
    }
    if refused {
        return Err(Reported(crate::EXIT_INVALID).into());
    }
    Ok(0)
}

/// The file, and the document when it is not the first, as the loader's problems name them.
fn place(m: &LoadedManifest) -> String {
    match m.document {
        0 => m.source.clone(),
        n => format!("{} (document {})", m.source, n + 1),
    }
}

/// What the Kubernetes translation (`render`'s) refuses of `m`, as `field.path: message`.
fn kubernetes_refusals(
    m: &LoadedManifest,
    policy: &sparkplane_api::SparkConfPolicy,
) -> anyhow::Result<Vec<String>> {
    let options = RenderOptions {
        submission_id: "validate".into(),
        spark_conf: policy.clone(),
        ..RenderOptions::default()
    };
    Ok(super::render::translate(&m.manifest, &options)?
        .err()
        .unwrap_or_default())
}

/// What the local runtime's planner refuses of an application `m`. Clusters are planned with
/// this machine's ports and directories, which `validate` does not look at.
fn local_refusals(m: &LoadedManifest) -> Vec<String> {
    let app: SparkApplication = match &m.manifest {
        Manifest::SparkApplication(a) => (**a).clone(),
        Manifest::ScheduledSparkApplication(_) | Manifest::SparkCluster(_) => return Vec::new(),
    };
    let dir = Path::new(&m.source)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let inputs = SubmitInputs {
        app: &app,
        source: &m.source,
        manifest_dir: &dir,
        // Only paths are formed from these: nothing is read.
        spark_home: Path::new("/spark"),
        java_home: None,
        target: Target::Local,
        ui_port: 4040,
        secret_properties: None,
    };
    match plan_submit(&inputs) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .iter()
            .filter(|p| p.is_error())
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect(),
    }
}

/// Kind and name of a manifest, for messages.
pub fn describe(m: &Manifest) -> (&'static str, String) {
    match m {
        Manifest::SparkApplication(a) => (
            "SparkApplication",
            a.metadata.name.clone().unwrap_or_default(),
        ),
        Manifest::ScheduledSparkApplication(a) => (
            "ScheduledSparkApplication",
            a.metadata.name.clone().unwrap_or_default(),
        ),
        Manifest::SparkCluster(c) => ("SparkCluster", c.metadata.name.clone().unwrap_or_default()),
    }
}
