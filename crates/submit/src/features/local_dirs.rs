//! `LocalDirsFeatureStep`: scratch space for shuffle and spill.

use k8s_openapi::api::core::v1::{EmptyDirVolumeSource, Volume, VolumeMount};

use super::SparkPod;
use crate::driver::Ctx;
use crate::error::SubmitError;

/// Applies the step. When the pod already mounts volumes named `spark-local-dir-*`, those are
/// the local dirs; otherwise each dir (from `SPARK_LOCAL_DIRS`, `spark.local.dir` or a fresh
/// `/var/data/spark-<uuid>`) gets an `emptyDir`. Spark shuffles the dirs at random to spread
/// load; sparkplane keeps the order given, which is one of the orders Spark may produce.
pub fn apply(ctx: &Ctx, p: &mut SparkPod) -> Result<(), SubmitError> {
    let existing: Vec<String> = p
        .container
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| m.name.starts_with("spark-local-dir-"))
        .map(|m| m.mount_path.clone())
        .collect();
    let dirs = if existing.is_empty() {
        let default = format!("/var/data/spark-{}", ctx.req.ids.local_dir_uuid);
        let dirs: Vec<String> = ctx
            .req
            .env_local_dirs
            .as_deref()
            .or_else(|| ctx.conf.get("spark.local.dir"))
            .unwrap_or(&default)
            .split(',')
            .map(str::to_string)
            .collect();
        let tmpfs = ctx
            .conf
            .get_bool("spark.kubernetes.local.dirs.tmpfs", false)?;
        for (i, dir) in dirs.iter().enumerate() {
            let name = format!("spark-local-dir-{}", i + 1);
            p.add_volume(Volume {
                name: name.clone(),
                empty_dir: Some(EmptyDirVolumeSource {
                    medium: tmpfs.then(|| "Memory".to_string()),
                    ..Default::default()
                }),
                ..Default::default()
            });
            p.add_mount(VolumeMount {
                name,
                mount_path: dir.clone(),
                ..Default::default()
            });
        }
        dirs
    } else {
        existing
    };
    p.add_env("SPARK_LOCAL_DIRS", &dirs.join(","));
    Ok(())
}
