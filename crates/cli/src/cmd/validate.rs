//! `sparkplane validate`.

use crate::cli::ValidateArgs;
use crate::manifests;

pub fn run(args: &ValidateArgs) -> anyhow::Result<u8> {
    let files: Vec<&std::path::Path> = args.files.iter().map(|p| p.as_path()).collect();
    let options = sparkplane_api::LoadOptions {
        skip_others: false,
        spark_conf: args.tenancy.policy(),
    };
    let loaded = manifests::load_with(&files, &options)?;
    for m in &loaded {
        let (kind, name) = describe(&m.manifest);
        println!("{}: {kind} {name:?} is valid", m.source);
    }
    Ok(0)
}

/// Kind and name of a manifest, for messages.
pub fn describe(m: &sparkplane_api::Manifest) -> (&'static str, String) {
    use sparkplane_api::Manifest;
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
