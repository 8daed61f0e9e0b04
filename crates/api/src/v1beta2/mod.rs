//! The kubeflow Spark Operator's API, `sparkoperator.k8s.io/v1beta2`: `SparkApplication` and
//! `ScheduledSparkApplication`, field for field, with the same JSON names, so existing
//! manifests and tools (kubectl, Airflow's SparkKubernetesOperator) work unchanged.

mod application;
mod pod;
mod scheduled;
mod status;

pub use application::*;
pub use pod::*;
pub use scheduled::*;
pub use status::*;
