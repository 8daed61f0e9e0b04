//! The Kubernetes objects of a `SparkCluster` (`sparkplane.io/v1alpha1`): a Spark standalone
//! master and its workers as Kubernetes workloads. Pure: a manifest in, objects out, no I/O.
//!
//! For a cluster `NAME` in namespace `NS`, [`build`] gives:
//!
//! - `NAME-conf`, a ConfigMap: the `spark-defaults.conf` of the master and of the workers
//!   (the cluster's `sparkConf` layered under each role's, under what sparkplane sets);
//! - `NAME-master`, a Service for the master's RPC (7077), UI (8080) and REST (6066) ports;
//! - `NAME-master`, a Deployment of one master pod (`Recreate`: never two masters);
//! - `NAME-workers`, the headless Service that names the worker pods;
//! - `NAME-worker`, a StatefulSet of the workers (stable names `NAME-worker-0`, `-1`, …),
//!   each offering Spark exactly the cores and memory its container is granted
//!   ([`sizing`]).
//!
//! [`auth_secret`] gives `NAME-auth`, the Secret holding the RPC authentication secret,
//! whose value the caller generates once; pods read it through `_SPARK_AUTH_SECRET`, never
//! from a file or a command line. Every object is owned by the SparkCluster (a controller
//! reference), so deleting the cluster deletes them all. Pods meet the Pod Security
//! "restricted" profile.
//!
//! Each builder is a list of small named steps over the object it builds.

#![warn(missing_docs)]

mod pods;
pub use pods::{DECOMMISSION_HOOK, WORKER_STOP_GRACE_SECONDS};
pub mod sizing;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sparkplane_api::cluster::SparkCluster;
use sparkplane_api::quantity::parse_spark_memory_mib;
use sparkplane_api::version::DEFAULT_VERSION;

pub use sizing::WorkerSize;

/// Longest cluster name on Kubernetes: the workers' StatefulSet `NAME-worker` must leave room
/// for the `controller-revision-hash` label of its pods (the name, a dash and ten
/// characters, at most 63).
pub const MAX_NAME: usize = 45;

/// The master's ports inside its pod and on its Service (the manifest's `master.port` and
/// `master.webUIPort` change the first two).
pub const MASTER_RPC_PORT: u16 = 7077;
/// The master UI's port (also its JSON endpoint, `/json/`).
pub const MASTER_UI_PORT: u16 = 8080;
/// The master's REST submission port (served only when RPC authentication is off: Spark's
/// REST server cannot authenticate).
pub const MASTER_REST_PORT: u16 = 6066;
/// A worker's RPC port.
pub const WORKER_RPC_PORT: u16 = 7078;
/// A worker's UI port.
pub const WORKER_UI_PORT: u16 = 8081;
/// The key of the authentication secret in the Secret.
pub const AUTH_SECRET_KEY: &str = "secret";
/// The variable Spark reads the authentication secret from.
pub const AUTH_SECRET_ENV: &str = "_SPARK_AUTH_SECRET";

/// Labels on every object and pod of a cluster.
pub mod labels {
    /// The cluster's name.
    pub const CLUSTER: &str = "sparkplane.io/cluster";
    /// `master` or `worker`.
    pub const ROLE: &str = "sparkplane.io/role";
    /// Who manages the object.
    pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
    /// The value of [`MANAGED_BY`].
    pub const MANAGER: &str = "sparkplane-operator";
}

/// A field of the manifest that cannot run on Kubernetes as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The field's path, `spec.workers.resources.limits.cpu`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
}

impl Refusal {
    /// A refusal of `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Refusal {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The names of a cluster's objects.
pub mod names {
    /// The ConfigMap of the daemons' configuration.
    pub fn config(cluster: &str) -> String {
        format!("{cluster}-conf")
    }
    /// The master's Deployment and Service.
    pub fn master(cluster: &str) -> String {
        format!("{cluster}-master")
    }
    /// The workers' StatefulSet (its pods are `NAME-worker-0`, …).
    pub fn workers(cluster: &str) -> String {
        format!("{cluster}-worker")
    }
    /// The workers' headless Service.
    pub fn workers_service(cluster: &str) -> String {
        format!("{cluster}-workers")
    }
    /// The Secret of the RPC authentication secret.
    pub fn auth_secret(cluster: &str) -> String {
        format!("{cluster}-auth")
    }
}

/// Every object of a cluster but its Secret, in the order they are applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Objects {
    /// `NAME-conf`.
    pub config: ConfigMap,
    /// `NAME-master` (Service).
    pub master_service: Service,
    /// `NAME-master` (Deployment).
    pub master: Deployment,
    /// `NAME-workers` (headless Service).
    pub workers_service: Service,
    /// `NAME-worker` (StatefulSet).
    pub workers: StatefulSet,
    /// What each worker offers Spark.
    pub worker_size: WorkerSize,
}

/// What every builder reads of the manifest, resolved once.
#[derive(Debug, Clone)]
pub(crate) struct Cluster<'a> {
    pub(crate) spec: &'a sparkplane_api::cluster::SparkClusterSpec,
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) owner: OwnerReference,
    pub(crate) image: String,
    pub(crate) authenticate: bool,
    pub(crate) rpc_port: u16,
    pub(crate) ui_port: u16,
    pub(crate) master_heap_mib: u64,
}

/// Whether RPC authentication is on (the default).
pub fn authenticate(cluster: &SparkCluster) -> bool {
    cluster
        .spec
        .security
        .as_ref()
        .is_none_or(|s| s.authenticate)
}

/// The image of a cluster: the manifest's, else `sparkplane/spark:VERSION`.
pub fn image(cluster: &SparkCluster) -> String {
    cluster.spec.image.clone().unwrap_or_else(|| {
        let version = cluster
            .spec
            .spark_version
            .clone()
            .unwrap_or_else(|| DEFAULT_VERSION.to_string());
        format!("sparkplane/spark:{version}")
    })
}

/// `spark://NAME-master.NS.svc:PORT`, the URL workers and applications use.
pub fn master_url(cluster: &SparkCluster) -> String {
    let name = cluster.metadata.name.clone().unwrap_or_default();
    let ns = cluster.metadata.namespace.clone().unwrap_or_default();
    let port = cluster.spec.master.port.unwrap_or(MASTER_RPC_PORT);
    format!("spark://{}.{ns}.svc:{port}", names::master(&name))
}

/// The label selector of the worker pods, as text (the scale subresource's selector).
pub fn worker_selector(cluster: &SparkCluster) -> String {
    let name = cluster.metadata.name.clone().unwrap_or_default();
    format!("{}={name},{}=worker", labels::CLUSTER, labels::ROLE)
}

/// The controller reference every object carries.
pub fn owner_reference(cluster: &SparkCluster) -> OwnerReference {
    OwnerReference {
        api_version: "sparkplane.io/v1alpha1".into(),
        kind: "SparkCluster".into(),
        name: cluster.metadata.name.clone().unwrap_or_default(),
        uid: cluster.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// The fields Kubernetes cannot run as given, each named.
fn refusals(cluster: &SparkCluster) -> Vec<Refusal> {
    let mut out = Vec::new();
    let name = cluster.metadata.name.as_deref().unwrap_or_default();
    if name.len() > MAX_NAME {
        out.push(Refusal::new(
            "metadata.name",
            format!(
                "expected at most {MAX_NAME} characters on Kubernetes (the workers' \
                 StatefulSet {name}-worker must leave room for its pods' revision label), \
                 got {} ({name:?})",
                name.len()
            ),
        ));
    }
    let s = &cluster.spec;
    if s.recovery
        .as_ref()
        .is_some_and(|r| r.mode != sparkplane_api::cluster::RecoveryMode::None)
    {
        out.push(Refusal::new(
            "spec.recovery",
            "expected no recovery on Kubernetes (master recovery is not built there yet), \
             got a recovery mode",
        ));
    }
    if s.history_server.as_ref().is_some_and(|h| h.enabled) {
        out.push(Refusal::new(
            "spec.historyServer",
            "expected no history server on Kubernetes (not built there yet), got one",
        ));
    }
    out
}

fn resolve(cluster: &SparkCluster) -> Result<Cluster<'_>, Vec<Refusal>> {
    let mut refused = refusals(cluster);
    let heap = cluster.spec.master.memory.as_deref().unwrap_or("1g");
    let master_heap_mib = match parse_spark_memory_mib(heap) {
        Ok(m) => m,
        Err(e) => {
            refused.push(Refusal::new("spec.master.memory", e));
            0
        }
    };
    if !refused.is_empty() {
        return Err(refused);
    }
    Ok(Cluster {
        spec: &cluster.spec,
        name: cluster.metadata.name.clone().unwrap_or_default(),
        namespace: cluster.metadata.namespace.clone().unwrap_or_default(),
        owner: owner_reference(cluster),
        image: image(cluster),
        authenticate: authenticate(cluster),
        rpc_port: cluster.spec.master.port.unwrap_or(MASTER_RPC_PORT),
        ui_port: cluster.spec.master.web_ui_port.unwrap_or(MASTER_UI_PORT),
        master_heap_mib,
    })
}

/// Every object of `cluster` but its Secret, or every field that stops it.
pub fn build(cluster: &SparkCluster) -> Result<Objects, Vec<Refusal>> {
    let resolved = resolve(cluster);
    let size = sizing::worker_size(
        cluster.spec.workers.resources.as_ref(),
        cluster.spec.workers.cores,
        &cluster.spec.workers.memory,
        cluster.spec.workers.daemon_memory.as_deref(),
    );
    let (c, size) = match (resolved, size) {
        (Ok(c), Ok(s)) => (c, s),
        (r, s) => {
            let mut all = r.err().unwrap_or_default();
            all.extend(s.err().unwrap_or_default());
            return Err(all);
        }
    };
    Ok(Objects {
        config: config_map(&c),
        master_service: master_service(&c),
        master: master_deployment(&c),
        workers_service: workers_service(&c),
        workers: workers_stateful_set(&c, &size),
        worker_size: size,
    })
}

/// The Secret `NAME-auth` holding `secret` (generated by the caller, once).
pub fn auth_secret(cluster: &SparkCluster, secret: &str) -> Secret {
    let name = cluster.metadata.name.clone().unwrap_or_default();
    Secret {
        metadata: metadata(
            &names::auth_secret(&name),
            cluster.metadata.namespace.clone().unwrap_or_default(),
            owner_reference(cluster),
            common_labels(&name),
        ),
        string_data: Some([(AUTH_SECRET_KEY.to_string(), secret.to_string())].into()),
        type_: Some("Opaque".into()),
        ..Default::default()
    }
}

// ---- shared steps

fn common_labels(cluster: &str) -> BTreeMap<String, String> {
    [
        (labels::CLUSTER.to_string(), cluster.to_string()),
        (labels::MANAGED_BY.to_string(), labels::MANAGER.to_string()),
        ("app.kubernetes.io/name".to_string(), "spark".to_string()),
        (
            "app.kubernetes.io/instance".to_string(),
            cluster.to_string(),
        ),
    ]
    .into()
}

/// The labels that select the pods of `role`.
pub(crate) fn selector_labels(cluster: &str, role: &str) -> BTreeMap<String, String> {
    [
        (labels::CLUSTER.to_string(), cluster.to_string()),
        (labels::ROLE.to_string(), role.to_string()),
    ]
    .into()
}

pub(crate) fn role_labels(cluster: &str, role: &str) -> BTreeMap<String, String> {
    let mut l = common_labels(cluster);
    l.extend(selector_labels(cluster, role));
    l.insert("app.kubernetes.io/component".into(), role.into());
    l
}

fn metadata(
    name: &str,
    namespace: String,
    owner: OwnerReference,
    labels: BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(namespace),
        labels: Some(labels),
        owner_references: Some(vec![owner]),
        ..Default::default()
    }
}

fn port(name: &str, port: u16) -> ServicePort {
    ServicePort {
        name: Some(name.into()),
        port: i32::from(port),
        target_port: Some(IntOrString::String(name.into())),
        protocol: Some("TCP".into()),
        ..Default::default()
    }
}

// ---- the ConfigMap

/// The master's own settings, over the manifest's.
fn master_conf(c: &Cluster<'_>) -> BTreeMap<String, String> {
    let mut conf = c.spec.spark_conf.clone();
    conf.extend(c.spec.master.spark_conf.clone());
    conf.extend(auth_conf(c));
    // Spark's REST server cannot authenticate: it runs only when RPC authentication is off.
    conf.insert(
        "spark.master.rest.enabled".into(),
        (!c.authenticate).to_string(),
    );
    conf.insert(
        "spark.master.rest.port".into(),
        MASTER_REST_PORT.to_string(),
    );
    // Read by spark-submit in the master pod: its applications drain when a worker goes.
    for (k, v) in sparkplane_api::cluster::APP_DECOMMISSION_CONF {
        conf.insert(k.into(), v.into());
    }
    conf
}

/// The workers' own settings, over the manifest's: decommissioning on, as locally.
fn worker_conf(c: &Cluster<'_>) -> BTreeMap<String, String> {
    let mut conf = c.spec.spark_conf.clone();
    conf.extend(c.spec.workers.spark_conf.clone());
    conf.extend(auth_conf(c));
    for (k, v) in sparkplane_api::cluster::WORKER_DECOMMISSION_CONF {
        conf.insert(k.into(), v.into());
    }
    conf
}

fn auth_conf(c: &Cluster<'_>) -> BTreeMap<String, String> {
    if c.authenticate {
        [("spark.authenticate".to_string(), "true".to_string())].into()
    } else {
        BTreeMap::new()
    }
}

/// The ConfigMap's keys, mounted as each role's `spark-defaults.conf`.
pub mod conf_keys {
    /// The master's (and of `spark-submit` run in the master pod).
    pub const MASTER: &str = "master.conf";
    /// The workers'.
    pub const WORKER: &str = "worker.conf";
}

fn config_map(c: &Cluster<'_>) -> ConfigMap {
    let render = |conf: &BTreeMap<String, String>| {
        format!(
            "# Written by sparkplane-operator from SparkCluster {}; edits are overwritten.\n{}",
            c.name,
            sparkplane_api::java_properties::lines(conf, false)
        )
    };
    ConfigMap {
        metadata: metadata(
            &names::config(&c.name),
            c.namespace.clone(),
            c.owner.clone(),
            common_labels(&c.name),
        ),
        data: Some(
            [
                (conf_keys::MASTER.to_string(), render(&master_conf(c))),
                (conf_keys::WORKER.to_string(), render(&worker_conf(c))),
            ]
            .into(),
        ),
        ..Default::default()
    }
}

// ---- the master

fn master_service(c: &Cluster<'_>) -> Service {
    Service {
        metadata: metadata(
            &names::master(&c.name),
            c.namespace.clone(),
            c.owner.clone(),
            role_labels(&c.name, "master"),
        ),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(selector_labels(&c.name, "master")),
            ports: Some(vec![
                port("rpc", c.rpc_port),
                port("ui", c.ui_port),
                port("rest", MASTER_REST_PORT),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn master_deployment(c: &Cluster<'_>) -> Deployment {
    Deployment {
        metadata: metadata(
            &names::master(&c.name),
            c.namespace.clone(),
            c.owner.clone(),
            role_labels(&c.name, "master"),
        ),
        spec: DeploymentSpec {
            replicas: Some(1),
            // One master at a time: a second one would split the workers.
            strategy: Some(DeploymentStrategy {
                type_: Some("Recreate".into()),
                ..Default::default()
            }),
            selector: LabelSelector {
                match_labels: Some(selector_labels(&c.name, "master")),
                ..Default::default()
            },
            template: pods::master_template(c),
            ..Default::default()
        },
        ..Default::default()
    }
}

// ---- the workers

fn workers_service(c: &Cluster<'_>) -> Service {
    Service {
        metadata: metadata(
            &names::workers_service(&c.name),
            c.namespace.clone(),
            c.owner.clone(),
            role_labels(&c.name, "worker"),
        ),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            // Workers are addressed before they are ready (they register first).
            publish_not_ready_addresses: Some(true),
            selector: Some(selector_labels(&c.name, "worker")),
            ports: Some(vec![
                port("rpc", WORKER_RPC_PORT),
                port("ui", WORKER_UI_PORT),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn workers_stateful_set(c: &Cluster<'_>, size: &WorkerSize) -> StatefulSet {
    StatefulSet {
        metadata: metadata(
            &names::workers(&c.name),
            c.namespace.clone(),
            c.owner.clone(),
            role_labels(&c.name, "worker"),
        ),
        spec: StatefulSetSpec {
            replicas: Some(c.spec.workers.replicas),
            service_name: Some(names::workers_service(&c.name)),
            // Workers do not depend on each other: start and stop them all at once.
            pod_management_policy: Some("Parallel".into()),
            selector: LabelSelector {
                match_labels: Some(selector_labels(&c.name, "worker")),
                ..Default::default()
            },
            template: pods::worker_template(c, size),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[cfg(test)]
mod tests;
