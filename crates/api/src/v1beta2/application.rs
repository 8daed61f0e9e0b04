//! `SparkApplication` and the parts of its spec that are not pod settings.
//!
//! Defaults mentioned below are the ones kubeflow's defaulting webhook (`defaults.go`) fills
//! in; this crate does not fill them, so a parsed manifest says exactly what its author wrote.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Volume;
use k8s_openapi::api::networking::v1::IngressTLS;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::pod::{DriverSpec, ExecutorSpec};
use super::status::SparkApplicationStatus;

/// Desired state of a Spark application: everything a `spark-submit` command line carries,
/// plus the Kubernetes settings of the driver and executor pods.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "sparkoperator.k8s.io",
    version = "v1beta2",
    kind = "SparkApplication",
    singular = "sparkapplication",
    plural = "sparkapplications",
    namespaced,
    derive = "PartialEq",
    status = "SparkApplicationStatus",
    shortname = "sparkapp",
    doc = "SparkApplication is the Schema for the sparkapplications API",
    annotation(
        "api-approved.kubernetes.io",
        "https://github.com/kubeflow/spark-operator/pull/1298"
    ),
    printcolumn = r#"{"name":"Suspend","type":"boolean","jsonPath":".spec.suspend"}"#,
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.applicationState.state"}"#,
    printcolumn = r#"{"name":"Attempts","type":"string","jsonPath":".status.executionAttempts"}"#,
    printcolumn = r#"{"name":"Start","type":"string","jsonPath":".status.lastSubmissionAttemptTime"}"#,
    printcolumn = r#"{"name":"Finish","type":"string","jsonPath":".status.terminationTime"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct SparkApplicationSpec {
    /// While true, the application is not submitted; turning it on for a running application
    /// deletes its pods (the application must tolerate being stopped), turning it off again
    /// resubmits it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// Language of the application; decides how the main file is launched.
    pub r#type: SparkApplicationType,
    /// Spark release the application is written for, `X.Y.Z`. On Kubernetes the image decides
    /// what actually runs; locally it selects the Spark distribution.
    pub spark_version: String,
    /// Where the driver runs (kubeflow defaults to `cluster`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DeployMode>,
    /// User to impersonate when submitting (`spark-submit --proxy-user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_user: Option<String>,
    /// Container image of the driver, the executors and init-containers, unless one of them
    /// names its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Pull policy of that image (`Always`, `IfNotPresent` or `Never`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// Names of Secrets holding registry credentials for pulling the images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
    /// Fully qualified main class; only for Java and Scala applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_class: Option<String>,
    /// The application itself: a jar, Python or R file, as a path or URI (`local://` for a
    /// file inside the image). Required by the CRD; kept optional here so that its absence is
    /// reported by validation with the other problems of the document. (No `serde(default)`:
    /// serde reads a missing `Option` as `None` anyway, and schemars would take a default
    /// as "optional".)
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(required)]
    pub main_application_file: Option<String>,
    /// Arguments passed to the application's main method or script.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    /// Spark configuration properties, as `spark-submit --conf key=value` would pass them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_conf: BTreeMap<String, String>,
    /// Hadoop configuration properties; each key is passed with the `spark.hadoop.` prefix
    /// added for you.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hadoop_conf: BTreeMap<String, String>,
    /// Name of a ConfigMap of Spark configuration files (such as `log4j2.properties`); it is
    /// mounted and `SPARK_CONF_DIR` points at it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_config_map: Option<String>,
    /// Name of a ConfigMap of Hadoop configuration files (such as `core-site.xml`); it is
    /// mounted and `HADOOP_CONF_DIR` points at it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hadoop_config_map: Option<String>,
    /// Kubernetes volumes the driver and executors may mount through their `volumeMounts`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// The driver.
    pub driver: DriverSpec,
    /// The executors.
    pub executor: ExecutorSpec,
    /// Jars, files, archives and Maven packages the application needs.
    #[serde(default)]
    pub deps: Dependencies,
    /// Whether and when a terminated application is run again.
    #[serde(default)]
    pub restart_policy: RestartPolicy,
    /// Node selector for both driver and executor pods. kubeflow refuses it together with a
    /// pod-level `nodeSelector` and plans to deprecate it in favour of those.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Deprecated: times a failed application is retried (best effort); `restartPolicy`
    /// replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_retries: Option<i32>,
    /// Deprecated: seconds between submission retries; `restartPolicy` replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<i64>,
    /// Major Python version of the image, `"2"` or `"3"` (a string, not a number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_version: Option<PythonVersion>,
    /// Fraction of memory added for non-JVM use, a decimal string such as `"0.2"`. Spark's
    /// default is 0.10 for JVM and 0.40 for non-JVM applications; an explicit
    /// `memoryOverhead` of the driver or executor wins over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_overhead_factor: Option<String>,
    /// Metrics exposure through Prometheus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringSpec>,
    /// Batch scheduler that places the pods: `volcano`, `kube-scheduler` (scheduler-plugins'
    /// coscheduling) or `yunikorn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_scheduler: Option<String>,
    /// Seconds after termination after which the SparkApplication object is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_live_seconds: Option<i64>,
    /// Queue, priority and reserved resources for the batch scheduler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_scheduler_options: Option<BatchSchedulerConfiguration>,
    /// The Service and Ingress exposing the Spark UI.
    #[serde(
        default,
        rename = "sparkUIOptions",
        skip_serializing_if = "Option::is_none"
    )]
    pub spark_ui_options: Option<SparkUIConfiguration>,
    /// Further driver ports, each exposed through its own Service and Ingress.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub driver_ingress_options: Vec<DriverIngressConfiguration>,
    /// Dynamic allocation of executors (Spark 3.0+ on Kubernetes, with shuffle tracking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_allocation: Option<DynamicAllocation>,
    /// Create a PodDisruptionBudget protecting the running driver from voluntary eviction
    /// (such as `kubectl drain`). kubeflow's operator also needs `--enable-driver-pdb`;
    /// sparkplane's has no such switch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_pod_disruption_budget: Option<bool>,
}

/// Language of an application.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum SparkApplicationType {
    /// A Java application packaged as a jar.
    Java,
    /// A Python (PySpark) script.
    Python,
    /// A Scala application packaged as a jar.
    Scala,
    /// An R (SparkR) script.
    R,
}

/// Where the driver runs.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum DeployMode {
    /// The driver runs in a pod of its own, created by `spark-submit`.
    #[serde(rename = "cluster")]
    Cluster,
    /// The driver runs inside the `spark-submit` process.
    #[serde(rename = "client")]
    Client,
    /// The driver runs in a pod the user created (`driver.podName`). kubeflow defines the
    /// constant but its CRD only admits `cluster` and `client`, so the generated schema leaves
    /// it out and validation refuses it.
    #[serde(rename = "in-cluster-client")]
    #[schemars(skip)]
    InClusterClient,
}

/// Major Python version of the image.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum PythonVersion {
    /// Python 2.
    #[serde(rename = "2")]
    Two,
    /// Python 3.
    #[serde(rename = "3")]
    Three,
}

/// Whether and when a terminated application is run again; covers both failed submissions
/// and failed runs.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestartPolicy {
    /// `Never` (kubeflow's default), `OnFailure` or `Always`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<RestartPolicyType>,
    /// How many times a failed submission is retried before giving up (best effort: caching
    /// may add attempts). Meant for `OnFailure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub on_submission_failure_retries: Option<i32>,
    /// How many times a failed run is retried before giving up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub on_failure_retries: Option<i32>,
    /// Seconds between retries of failed submissions (kubeflow defaults to 5 unless the type
    /// is `Never`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub on_submission_failure_retry_interval: Option<i64>,
    /// Seconds between retries of failed runs (kubeflow defaults to 5 unless the type is
    /// `Never`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub on_failure_retry_interval: Option<i64>,
}

/// Kind of restart policy.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum RestartPolicyType {
    /// A terminated application stays terminated.
    Never,
    /// Failed submissions and failed runs are retried, up to the configured counts.
    OnFailure,
    /// The application is run again whenever it terminates, successfully or not.
    Always,
}

/// Everything the application needs besides its main file; each list maps to the
/// `spark-submit` option of the same meaning.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dependencies {
    /// Jars put on the driver and executor classpaths (`--jars`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jars: Vec<String>,
    /// Files placed in the working directory of each executor (`--files`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Python files (`.py`, `.zip`, `.egg`) put on the `PYTHONPATH` (`--py-files`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub py_files: Vec<String>,
    /// Maven coordinates `groupId:artifactId:version` resolved and put on the classpaths
    /// (`--packages`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// `groupId:artifactId` pairs left out while resolving `packages`, to avoid conflicts
    /// (`--exclude-packages`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_packages: Vec<String>,
    /// Further Maven repositories searched for `packages` (`--repositories`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<String>,
    /// Archives extracted into the working directory of each executor (`--archives`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub archives: Vec<String>,
}

/// How a batch scheduler (Volcano, YuniKorn) treats the application.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchSchedulerConfiguration {
    /// Resource queue the application belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Name of a Kubernetes PriorityClass for the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Resources to reserve for the whole application (resource name → Kubernetes quantity),
    /// used instead of the sum the operator would compute; usually a lower bound.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<String, Quantity>,
}

/// The Service and Ingress that expose the Spark UI of the driver.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SparkUIConfiguration {
    /// Port of the Service; the target port is the driver's `spark.ui.port` (4040 unless
    /// configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_port: Option<i32>,
    /// Name of the Service port (default `spark-driver-ui-port`); some proxies, such as
    /// Istio's Envoy, need a particular name to treat the traffic as HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_port_name: Option<String>,
    /// Kubernetes Service type (`ClusterIP` by default, `NodePort`, `LoadBalancer`,
    /// `ExternalName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// Annotations added to the Service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_annotations: BTreeMap<String, String>,
    /// Labels added to the Service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_labels: BTreeMap<String, String>,
    /// Annotations added to the Ingress (such as the ingress class).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ingress_annotations: BTreeMap<String, String>,
    /// TLS settings of the Ingress (hosts and certificate Secret).
    #[serde(default, rename = "ingressTLS", skip_serializing_if = "Vec::is_empty")]
    pub ingress_tls: Vec<IngressTLS>,
}

/// A further driver port exposed through its own Service and Ingress.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriverIngressConfiguration {
    /// Port of the Service (required by the CRD; kept optional here so that its absence is
    /// reported by validation).
    #[schemars(required)]
    pub service_port: Option<i32>,
    /// Name of the Service port (required by the CRD, like `servicePort`).
    #[schemars(required)]
    pub service_port_name: Option<String>,
    /// Kubernetes Service type (`ClusterIP` by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// Annotations added to the Service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_annotations: BTreeMap<String, String>,
    /// Labels added to the Service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_labels: BTreeMap<String, String>,
    /// URL format of the Ingress; kubeflow's webhook requires it and refuses duplicates.
    #[serde(
        default,
        rename = "ingressURLFormat",
        skip_serializing_if = "Option::is_none"
    )]
    pub ingress_url_format: Option<String>,
    /// Annotations added to the Ingress.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ingress_annotations: BTreeMap<String, String>,
    /// TLS settings of the Ingress.
    #[serde(default, rename = "ingressTLS", skip_serializing_if = "Vec::is_empty")]
    pub ingress_tls: Vec<IngressTLS>,
}

/// Metrics exposure through Prometheus.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitoringSpec {
    /// Expose the driver's metrics (required).
    pub expose_driver_metrics: bool,
    /// Expose the executors' metrics (required).
    pub expose_executor_metrics: bool,
    /// Content of a `metrics.properties` configuring Spark's metric system; the image's own
    /// file is used when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_properties: Option<String>,
    /// Path of `metrics.properties` inside the container (default
    /// `/etc/metrics/conf/metrics.properties`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_properties_file: Option<String>,
    /// The Prometheus JMX exporter Java agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusSpec>,
}

/// The Prometheus JMX exporter Java agent that serves the metrics over HTTP.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusSpec {
    /// Path of the exporter jar inside the container (required).
    pub jmx_exporter_jar: String,
    /// Port of the exporter's HTTP server, 1024 to 49151 (default 8090).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1024, max = 49151))]
    pub port: Option<i32>,
    /// Name of that container port (default `jmx-exporter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
    /// Path of an exporter configuration file in the image; wins over `configuration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
    /// Content of the exporter configuration; the image's `prometheus.yaml` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
}

/// Dynamic allocation: executors are added and removed with the workload.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DynamicAllocation {
    /// Turns dynamic allocation on.
    #[serde(default)]
    pub enabled: bool,
    /// Executors requested at the start; when `executor.instances` is also set, Spark starts
    /// with the larger of the two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_executors: Option<i32>,
    /// Fewest executors kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_executors: Option<i32>,
    /// Most executors requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_executors: Option<i32>,
    /// Keep executors that hold shuffle data of active jobs, so no external shuffle service
    /// is needed (kubeflow defaults it to true when dynamic allocation is on; turn it off when
    /// an external shuffle service is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shuffle_tracking_enabled: Option<bool>,
    /// Milliseconds an executor holding shuffle data is kept when shuffle tracking is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shuffle_tracking_timeout: Option<i64>,
}

impl DynamicAllocation {
    /// The Spark settings this asks for, in kubeflow's order; none unless enabled. Shuffle
    /// tracking is on unless turned off. Both the Kubernetes render and the local planner
    /// pass them.
    pub fn spark_conf(&self) -> Vec<(&'static str, String)> {
        if !self.enabled {
            return Vec::new();
        }
        let mut conf = vec![("spark.dynamicAllocation.enabled", "true".to_string())];
        let counts = [
            (
                "spark.dynamicAllocation.initialExecutors",
                self.initial_executors,
            ),
            ("spark.dynamicAllocation.minExecutors", self.min_executors),
            ("spark.dynamicAllocation.maxExecutors", self.max_executors),
        ];
        conf.extend(
            counts
                .into_iter()
                .filter_map(|(k, v)| v.map(|n| (k, n.to_string()))),
        );
        conf.push((
            "spark.dynamicAllocation.shuffleTracking.enabled",
            self.shuffle_tracking_enabled.unwrap_or(true).to_string(),
        ));
        if let Some(t) = self.shuffle_tracking_timeout {
            conf.push((
                "spark.dynamicAllocation.shuffleTracking.timeout",
                t.to_string(),
            ));
        }
        conf
    }
}
