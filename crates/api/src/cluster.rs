//! `SparkCluster` (`sparkplane.io/v1alpha1`): a Spark standalone cluster, a master and N
//! workers, optionally with a history server. The same manifest runs on one machine (the local
//! runtime: supervised processes) and, later, on Kubernetes (workloads); fields that only make
//! sense on one of them say so.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ResourceRequirements, Toleration};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How long a scale-down waits for a decommissioned worker's executors, unless
/// `workers.decommissionTimeoutSeconds` says otherwise: locally and on Kubernetes alike.
pub const DEFAULT_DECOMMISSION_TIMEOUT_SECONDS: i64 = 600;

/// What a cluster's applications are given so that a worker's scale-down drains them
/// gracefully (executors decommission, their shuffle and RDD blocks migrate): by the local
/// runtime to every application it submits to a cluster, and on Kubernetes through the
/// master's `spark-defaults.conf`, which `spark-submit` run in the master pod reads.
pub const APP_DECOMMISSION_CONF: [(&str, &str); 4] = [
    ("spark.decommission.enabled", "true"),
    ("spark.storage.decommission.enabled", "true"),
    ("spark.storage.decommission.shuffleBlocks.enabled", "true"),
    ("spark.storage.decommission.rddBlocks.enabled", "true"),
];

/// What the workers are given so that SIGPWR decommissions them.
pub const WORKER_DECOMMISSION_CONF: [(&str, &str); 1] = [("spark.decommission.enabled", "true")];
/// Desired state of a Spark standalone cluster.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "sparkplane.io",
    version = "v1alpha1",
    kind = "SparkCluster",
    namespaced,
    derive = "PartialEq",
    status = "SparkClusterStatus",
    shortname = "sparkcluster",
    scale(
        spec_replicas_path = ".spec.workers.replicas",
        status_replicas_path = ".status.replicas",
        label_selector_path = ".status.selector"
    ),
    printcolumn = r#"{"name":"Version","type":"string","jsonPath":".spec.sparkVersion"}"#,
    printcolumn = r#"{"name":"Workers","type":"integer","jsonPath":".status.aliveWorkers"}"#,
    printcolumn = r#"{"name":"Ready","type":"integer","jsonPath":".status.readyWorkers"}"#,
    printcolumn = r#"{"name":"Desired","type":"integer","jsonPath":".spec.workers.replicas"}"#,
    printcolumn = r#"{"name":"Master","type":"string","priority":1,"jsonPath":".status.masterUrl"}"#,
    printcolumn = r#"{"name":"State","type":"string","jsonPath":".status.state"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct SparkClusterSpec {
    /// Spark release the cluster runs, `X.Y.Z`; defaults to the newest supported release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_version: Option<String>,
    /// Container image (Kubernetes only; the local runtime uses an installed distribution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Spark configuration given to the master, the workers, the history server and, as
    /// defaults, to every application submitted to this cluster.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_conf: BTreeMap<String, String>,
    /// The master.
    #[serde(default)]
    pub master: MasterSpec,
    /// The workers.
    #[serde(default)]
    pub workers: WorkerSpec,
    /// Master state recovery after a master restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoverySpec>,
    /// An optional Spark history server reading the cluster's event logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_server: Option<HistoryServerSpec>,
    /// Security settings; RPC authentication is on unless turned off here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<SecuritySpec>,
}

/// The standalone master.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MasterSpec {
    /// RPC port (`spark://host:PORT`). Locally: a free port from 7077 up when unset; a set port
    /// must be free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Web UI port. Locally: a free port from 8080 up when unset.
    #[serde(default, rename = "webUIPort", skip_serializing_if = "Option::is_none")]
    pub web_ui_port: Option<u16>,
    /// Heap of the master daemon, a Spark memory size such as `1g` (default `1g`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Spark configuration for the master only (`spark.deploy.*`, `spark.master.*`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_conf: BTreeMap<String, String>,
    /// Kubernetes only: resources of the master container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Kubernetes only: node selector of the master pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Kubernetes only: tolerations of the master pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
}

/// The standalone workers.
///
/// The bounds on `replicas` are also CEL rules of the CRD, so that the API server refuses a
/// scale outside them, whichever client makes it (`kubectl scale`, a HorizontalPodAutoscaler,
/// `sparkplane cluster scale --kube`), naming the field; `validate` checks the same offline.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "rule": "!has(self.minReplicas) || !has(self.replicas) || self.replicas >= self.minReplicas",
        "message": "expected replicas at least minReplicas",
        "fieldPath": ".replicas",
        "reason": "FieldValueInvalid"
    },
    {
        "rule": "!has(self.maxReplicas) || !has(self.replicas) || self.replicas <= self.maxReplicas",
        "message": "expected replicas at most maxReplicas",
        "fieldPath": ".replicas",
        "reason": "FieldValueInvalid"
    }
]))]
pub struct WorkerSpec {
    /// Number of workers (default 2).
    #[serde(default = "default_replicas")]
    pub replicas: i32,
    /// Lowest number of workers scaling may go to (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i32>,
    /// Highest number of workers scaling may go to (default unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<i32>,
    /// Cores each worker offers to executors (default 1). Spark's master shows this number.
    #[serde(default = "default_cores")]
    pub cores: i32,
    /// Memory each worker offers to executors, a Spark memory size such as `1g` (default `1g`).
    #[serde(default = "default_memory")]
    pub memory: String,
    /// Heap of the worker daemon itself (default `512m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daemon_memory: Option<String>,
    /// How long a scale-down waits for the executors of a decommissioned worker to finish their
    /// tasks before stopping it anyway, in seconds (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decommission_timeout_seconds: Option<i64>,
    /// Spark configuration for the workers only (`spark.worker.*`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spark_conf: BTreeMap<String, String>,
    /// Kubernetes only: resources of each worker container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Kubernetes only: node selector of the worker pods.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Kubernetes only: tolerations of the worker pods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
}

impl Default for WorkerSpec {
    fn default() -> Self {
        Self {
            replicas: default_replicas(),
            min_replicas: None,
            max_replicas: None,
            cores: default_cores(),
            memory: default_memory(),
            daemon_memory: None,
            decommission_timeout_seconds: None,
            spark_conf: BTreeMap::new(),
            resources: None,
            node_selector: BTreeMap::new(),
            tolerations: Vec::new(),
        }
    }
}

fn default_replicas() -> i32 {
    2
}
fn default_cores() -> i32 {
    1
}
fn default_memory() -> String {
    "1g".to_string()
}

/// How the master recovers its state (registered workers and applications) after a restart.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum RecoveryMode {
    /// No recovery: a restarted master starts empty and workers re-register.
    #[default]
    #[serde(rename = "NONE")]
    None,
    /// State is persisted to a directory (`spark.deploy.recoveryDirectory`).
    #[serde(rename = "FILESYSTEM")]
    FileSystem,
    /// State is persisted to a RocksDB database in a directory (Spark 4.0 and later).
    #[serde(rename = "ROCKSDB")]
    RocksDb,
}

/// Master recovery settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoverySpec {
    /// `NONE`, `FILESYSTEM` or `ROCKSDB`.
    #[serde(default)]
    pub mode: RecoveryMode,
    /// Where recovery state lives. Locally: defaults to the cluster's state directory; on
    /// Kubernetes: a path on the master's persistent volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
}

/// Spark history server settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryServerSpec {
    /// Run a history server (default true when this block is present).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// UI port. Locally: a free port from 18080 up when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Event log directory shared by applications and the history server; locally defaults to
    /// the cluster's state directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_directory: Option<String>,
}

/// Security settings of a cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecuritySpec {
    /// Spark RPC authentication with a generated shared secret (default true). Every
    /// application submitted through sparkplane receives the secret; it is never logged.
    #[serde(default = "default_true")]
    pub authenticate: bool,
}

impl Default for SecuritySpec {
    fn default() -> Self {
        Self { authenticate: true }
    }
}

fn default_true() -> bool {
    true
}

/// Observed state of a cluster (written by the operator on Kubernetes; the local runtime
/// reports the same fields from the master).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SparkClusterStatus {
    /// `Starting`, `Running`, `Degraded` or `Stopped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Master URL, `spark://host:port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_url: Option<String>,
    /// Workers registered and alive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alive_workers: Option<i32>,
    /// Kubernetes: workers the manifest asks for (`spec.workers.replicas`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_workers: Option<i32>,
    /// Kubernetes: worker pods that are ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_workers: Option<i32>,
    /// Kubernetes: worker pods that exist (the scale subresource's `status.replicas`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Kubernetes: the label selector of the worker pods, as text (the scale subresource's
    /// selector, which a HorizontalPodAutoscaler reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Kubernetes: `Ready` (master and every worker pod ready), `Valid` (the manifest was
    /// accepted; when `False`, the message names each refused field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    /// Kubernetes: the `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
