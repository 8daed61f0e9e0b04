//! The input of the builder: what spark-submit knows once it has read its command line.

use sparkplane_api::version::SparkVersion;

use crate::conf::SparkConf;
use crate::ids::SubmissionIds;
use crate::pod_security::PodSecurity;
use crate::user::SubmitterUser;

/// The application's main resource, as `KubernetesClientApplication` receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MainResource {
    /// A JVM application: its jar (`None` when there is none: `spark-internal`) and main class.
    Java {
        /// The primary jar URI.
        jar: Option<String>,
        /// The main class.
        main_class: String,
    },
    /// A PySpark application's main file.
    Python(String),
    /// A SparkR application's main file.
    R(String),
}

impl MainResource {
    /// `spark.kubernetes.resource.type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            MainResource::Java { .. } => "java",
            MainResource::Python(_) => "python",
            MainResource::R(_) => "r",
        }
    }
}

/// A file of the submitter's `SPARK_CONF_DIR`, shipped to the driver in its ConfigMap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfFile {
    /// File name.
    pub name: String,
    /// Contents (UTF-8).
    pub contents: String,
}

/// Everything the builder needs. Building is a pure function of this.
#[derive(Debug, Clone)]
pub struct DriverRequest {
    /// The configuration spark-submit hands to the Kubernetes client application.
    pub conf: SparkConf,
    /// The main resource.
    pub resource: MainResource,
    /// Application arguments.
    pub app_args: Vec<String>,
    /// `--proxy-user`.
    pub proxy_user: Option<String>,
    /// Who submits: what decides the driver's `SPARK_USER` besides the proxy user
    /// ([`crate::user`]).
    pub submitter: SubmitterUser,
    /// Which Spark's behaviour to reproduce.
    pub version: SparkVersion,
    /// The random parts, drawn or derived.
    pub ids: SubmissionIds,
    /// The submitter's `SPARK_LOCAL_DIRS`.
    pub env_local_dirs: Option<String>,
    /// Files from the submitter's `SPARK_CONF_DIR` (already filtered as Spark filters them).
    pub conf_files: Vec<ConfFile>,
    /// The contents of `spark.kubernetes.driver.podTemplateFile`.
    pub driver_template: Option<String>,
    /// The contents of `spark.kubernetes.executor.podTemplateFile`.
    pub executor_template: Option<String>,
    /// The Pod Security level the driver pod and the executor template are made to meet
    /// (the [`crate::pod_security`] step); [`PodSecurity::None`] builds what spark-submit
    /// builds.
    pub pod_security: PodSecurity,
}
