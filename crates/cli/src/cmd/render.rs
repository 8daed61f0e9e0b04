//! `sparkplane render`: the objects the operator creates for a manifest, offline.

use sparkplane_api::{LoadOptions, Manifest, SparkApplication};
use sparkplane_operator::render::{render, RenderOptions};
use sparkplane_operator::schedule;

use crate::cli::RenderArgs;
use crate::manifests;
use crate::Reported;

/// Renders every SparkApplication (and the run of every ScheduledSparkApplication) of the
/// files.
pub fn run(args: &RenderArgs) -> anyhow::Result<u8> {
    let files: Vec<&std::path::Path> = args.files.iter().map(|p| p.as_path()).collect();
    let spark_conf = args.tenancy.policy();
    let load = LoadOptions {
        skip_others: true,
        spark_conf: spark_conf.clone(),
    };
    let loaded = manifests::load_with(&files, &load)?;
    let options = RenderOptions {
        submission_id: args.submission_id.clone(),
        attempt: args.attempt.max(1),
        ui: args.ui.options(),
        pod_security: args.pod_security.options()?,
        spark_conf,
        ..RenderOptions::default()
    };
    let mut items = Vec::new();
    let mut failed = false;
    for m in &loaded {
        let app: SparkApplication = match &m.manifest {
            Manifest::SparkApplication(a) => (**a).clone(),
            Manifest::ScheduledSparkApplication(s) => {
                let run = schedule::run_application(s, chrono::Utc::now());
                items.push(serde_json::to_value(&run)?);
                run
            }
            Manifest::SparkCluster(_) => {
                eprintln!(
                    "{}: document {}: SparkCluster: nothing to render (the operator's SparkCluster \
                     controller is not built yet)",
                    m.source, m.document
                );
                continue;
            }
        };
        let mut app = app;
        app.metadata
            .namespace
            .get_or_insert_with(|| "default".to_string());
        match render(&app, &options) {
            Ok(r) => items.extend(r.all()),
            Err(e) => {
                eprintln!("{}: document {}: {e}", m.source, m.document);
                failed = true;
            }
        }
    }
    if failed {
        return Err(Reported(2).into());
    }
    super::submit::print_items(items, args.output)?;
    Ok(0)
}
