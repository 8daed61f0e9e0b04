//! The pod requests YuniKorn's task groups declare, as kubeflow's
//! `internal/scheduler/yunikorn/resourceusage` computes them to match what Spark requests:
//! the memory of `spark_memory`, and the CPU of `coreRequest`, else `cores`, else 1, as
//! written. Unlike kubeflow, each setting may come from sparkConf too (`spark_settings`).

use std::collections::BTreeMap;

use sparkplane_api::v1beta2::SparkApplicationSpec;

use super::spark_memory;
use super::spark_settings::Manifest;
use crate::submit_args::Role;
use crate::RenderError;

fn resources(
    spec: &SparkApplicationSpec,
    role: Role,
    mib: i64,
) -> Result<BTreeMap<&'static str, String>, RenderError> {
    let (cpu, _) = Manifest::new(spec).cpu(role)?;
    Ok([("cpu", cpu), ("memory", format!("{mib}Mi"))].into())
}

/// The driver pod's `minResource`.
pub fn driver(spec: &SparkApplicationSpec) -> Result<BTreeMap<&'static str, String>, RenderError> {
    resources(spec, Role::Driver, spark_memory::driver_mib(spec)?)
}

/// One executor pod's `minResource`.
pub fn executor(
    spec: &SparkApplicationSpec,
) -> Result<BTreeMap<&'static str, String>, RenderError> {
    resources(spec, Role::Executor, spark_memory::executor_mib(spec)?)
}
