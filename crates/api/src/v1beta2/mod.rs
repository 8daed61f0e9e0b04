//! The kubeflow Spark Operator's API, `sparkoperator.k8s.io/v1beta2`: `SparkApplication` and
//! `ScheduledSparkApplication`, field for field, with the same JSON names, so existing
//! manifests and tools (kubectl, Airflow's SparkKubernetesOperator) work unchanged.
//!
//! Transcribed from kubeflow/spark-operator's `api/v1beta2` Go types and CRDs. Deliberate
//! differences:
//! - Fields the CRD requires but whose absence validation should report together with the
//!   document's other problems (`mainApplicationFile`, `driverIngressOptions[].servicePort`
//!   and `servicePortName`) are `Option`s; the generated CRD still lists them as required.
//! - The driver and executor `template` is typed as Kubernetes' `PodTemplateSpec`, so that
//!   misspelt fields inside it are reported (as warnings: kubeflow keeps the template
//!   schemaless and such fields have no effect); the generated CRD keeps it schemaless.
//! - Status timestamps are `Time`; status states are enums.

mod application;
pub mod defaults;
mod pod;
mod pod_view;
mod scheduled;
mod scheduler;
mod status;

pub use application::*;
pub use pod::*;
pub use pod_view::*;
pub use scheduled::*;
pub use scheduler::*;
pub use status::*;
