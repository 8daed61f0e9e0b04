//! Batch schedulers (`batchScheduler`, `batchSchedulerOptions`), as kubeflow's operator
//! integrates them (`internal/scheduler`): what goes onto the driver and executors, and the
//! PodGroup the operator creates before the driver.
//!
//! - Volcano: a `scheduling.volcano.sh` PodGroup with the queue, priority class and
//!   reserved resources, named on the pods ([`volcano`]).
//! - `kube-scheduler` (scheduler-plugins' coscheduling): a `scheduling.x-k8s.io` PodGroup,
//!   named in a pod label ([`kube_scheduler`]).
//! - YuniKorn: gang-scheduling task groups and the queue, on the pods ([`yunikorn`]).
//!
//! What they reserve is what Spark requests for each pod (module `spark_memory` and
//! [`requests`]). Each setting is the spec field, else its sparkConf key, else the default,
//! in the order `submit_args` passes them (module `spark_settings`). Sizes are read as
//! Spark reads them: a bare number is MiB.
//!
//! Not reproduced: kubeflow's operator-level switches (`--enable-batch-scheduler`,
//! `--default-batch-scheduler`, `--kube-scheduler-names`). Here the application's
//! `batchScheduler` alone decides, and scheduler-plugins is known by kubeflow's name for it,
//! `kube-scheduler`, only. Client mode is refused before this runs, so kubeflow's
//! client-mode PodGroup (executors only) never applies.

pub mod kube_scheduler;
pub mod pod_group;
pub mod quantity;
pub mod requests;
pub(crate) mod spark_memory;
mod spark_settings;
pub mod volcano;
pub mod yunikorn;
mod yunikorn_usage;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::core::ApiResource;
use sparkplane_api::v1beta2::BatchScheduler;
use sparkplane_api::SparkApplication;

pub use pod_group::PodGroup;

use super::RenderError;

/// The application's batch scheduler, or an error naming `spec.batchScheduler`.
pub fn scheduler(app: &SparkApplication) -> Result<Option<BatchScheduler>, RenderError> {
    app.spec
        .scheduler()
        .map_err(|e| RenderError::field("spec.batchScheduler", e.to_string()))
}

/// Applies the batch scheduler to `app` (a copy being prepared for submission) and returns
/// the PodGroup to create before the driver, if the scheduler needs one.
pub fn apply(
    app: &mut SparkApplication,
    owner: &OwnerReference,
) -> Result<Option<PodGroup>, RenderError> {
    match scheduler(app)? {
        None => Ok(None),
        Some(BatchScheduler::Volcano) => volcano::apply(app, owner),
        Some(BatchScheduler::KubeScheduler) => kube_scheduler::apply(app, owner).map(Some),
        Some(BatchScheduler::Yunikorn) => yunikorn::apply(app).map(|()| None),
    }
}

/// The API resource and name of the PodGroup `app` may have, for deleting it when the
/// application terminates.
pub fn pod_group_of(app: &SparkApplication) -> Option<(ApiResource, String)> {
    let name = app.metadata.name.as_deref().unwrap_or_default();
    match app.spec.scheduler().ok()?? {
        BatchScheduler::Volcano => Some((
            pod_group::api_resource(volcano::API_VERSION),
            volcano::pod_group_name(name),
        )),
        BatchScheduler::KubeScheduler => Some((
            pod_group::api_resource(kube_scheduler::API_VERSION),
            kube_scheduler::pod_group_name(name),
        )),
        BatchScheduler::Yunikorn => None,
    }
}
