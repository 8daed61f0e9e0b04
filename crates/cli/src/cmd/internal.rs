//! The hidden daemons: the cluster supervisor and the application runner.

use crate::cli::{AppRunnerArgs, SuperviseArgs};

pub async fn supervise(args: &SuperviseArgs) -> anyhow::Result<u8> {
    let layout = sparkplane_plan::ClusterLayout::new(&args.cluster_dir);
    sparkplane_local::supervisor::run(layout).await?;
    Ok(0)
}

pub async fn app_runner(args: &AppRunnerArgs) -> anyhow::Result<u8> {
    sparkplane_local::app::runner::run(&args.app_dir).await?;
    Ok(0)
}
