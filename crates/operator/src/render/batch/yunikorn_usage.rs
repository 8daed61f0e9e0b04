//! The pod requests YuniKorn's task groups declare, as kubeflow's
//! `internal/scheduler/yunikorn/resourceusage` computes them to match what Spark requests:
//! the memory of `spark_memory`, and the CPU of `coreRequest`, else
//! `cores`, else 1.

use std::collections::BTreeMap;

use sparkplane_api::v1beta2::SparkApplicationSpec;

use super::quantity::Quantity;
use super::spark_memory;
use crate::render::RenderError;

/// `coreRequest` as written (checked as a quantity), else `cores`, else 1.
fn cpu(role: &str, cores: Option<i32>, request: Option<&String>) -> Result<String, RenderError> {
    match (request, cores) {
        (Some(r), _) => Quantity::parse(r)
            .map(|_| r.clone())
            .map_err(|e| RenderError::field(format!("spec.{role}.coreRequest"), e.to_string())),
        (None, Some(c)) => Ok(c.to_string()),
        (None, None) => Ok("1".into()),
    }
}

fn resources(cpu: String, mib: i64) -> BTreeMap<&'static str, String> {
    [("cpu", cpu), ("memory", format!("{mib}Mi"))].into()
}

/// The driver pod's `minResource`.
pub fn driver(spec: &SparkApplicationSpec) -> Result<BTreeMap<&'static str, String>, RenderError> {
    let d = &spec.driver;
    let mib = spark_memory::driver_mib(spec)?;
    Ok(resources(
        cpu("driver", d.cores, d.core_request.as_ref())?,
        mib,
    ))
}

/// One executor pod's `minResource`.
pub fn executor(
    spec: &SparkApplicationSpec,
) -> Result<BTreeMap<&'static str, String>, RenderError> {
    let e = &spec.executor;
    let mib = spark_memory::executor_mib(spec)?;
    Ok(resources(
        cpu("executor", e.cores, e.core_request.as_ref())?,
        mib,
    ))
}
