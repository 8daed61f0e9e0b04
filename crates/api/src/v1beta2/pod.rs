//! Driver and executor specs.
//!
//! kubeflow's Go types embed a shared `SparkPodSpec` in both; here the shared fields are
//! written once in a macro and spelled out in both structs, because serde's `flatten` would
//! swallow unknown fields instead of letting the loader report them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Container, EnvFromSource, EnvVar, HostAlias, Lifecycle, PodDNSConfig,
    PodSecurityContext, PodTemplateSpec, SecurityContext, Toleration, VolumeMount,
};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// Schema of the pod `template` fields: an object kept as written, as in kubeflow's CRD
/// (`Schemaless` + `PreserveUnknownFields`), so the API server neither prunes nor checks it.
fn preserved_object(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true
    })
}

macro_rules! spark_pod_spec {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// A pod template Spark starts the pod from, for settings Spark has no
            /// configuration for (Spark 3.0+); fields set elsewhere in this spec win over it.
            /// Typed as Kubernetes' `PodTemplateSpec`, so a misspelt field inside is reported
            /// by the loader, while the generated CRD keeps kubeflow's schemaless object.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[schemars(schema_with = "preserved_object")]
            pub template: Option<PodTemplateSpec>,
            /// CPU cores of the JVM (`spark.driver.cores` / `spark.executor.cores`), at
            /// least 1 (kubeflow defaults to 1 unless sparkConf sets it).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[schemars(range(min = 1))]
            pub cores: Option<i32>,
            /// Hard CPU limit of the pod, a Kubernetes CPU quantity such as `1200m`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub core_limit: Option<String>,
            /// JVM heap, a Spark memory size such as `512m` or `2g`
            /// (`spark.driver.memory` / `spark.executor.memory`; kubeflow defaults to `1g`
            /// unless sparkConf sets it).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub memory: Option<String>,
            /// Memory limit of the pod, replacing the one Spark computes; a Spark size
            /// (`4g`, converted to `4Gi`) or a Kubernetes quantity.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub memory_limit: Option<String>,
            /// Off-heap memory added to the pod, a Spark memory size (a bare number is
            /// MiB); wins over `memoryOverheadFactor`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub memory_overhead: Option<String>,
            /// GPUs requested for the pod.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub gpu: Option<GPUSpec>,
            /// Container image, replacing the application's `image`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub image: Option<String>,
            /// ConfigMaps mounted into the pod.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub config_maps: Vec<NamePath>,
            /// Secrets mounted into the pod.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub secrets: Vec<SecretInfo>,
            /// Environment variables of the Spark container.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub env: Vec<EnvVar>,
            /// Deprecated: environment variables as a name → value map; `env` replaces it.
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub env_vars: BTreeMap<String, String>,
            /// ConfigMaps and Secrets whose keys all become environment variables.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub env_from: Vec<EnvFromSource>,
            /// Deprecated: environment variables taken from Secret keys, as a name →
            /// (secret, key) map; `env` with `valueFrom` replaces it.
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub env_secret_key_refs: BTreeMap<String, NameKey>,
            /// Labels added to the pod.
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub labels: BTreeMap<String, String>,
            /// Annotations added to the pod.
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub annotations: BTreeMap<String, String>,
            /// Mounts of volumes listed in `spec.volumes` into the Spark container.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub volume_mounts: Vec<VolumeMount>,
            /// Affinity and anti-affinity rules of the pod.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub affinity: Option<Affinity>,
            /// Tolerations of the pod.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub tolerations: Vec<Toleration>,
            /// Security context of the pod.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub pod_security_context: Option<PodSecurityContext>,
            /// Security context of the Spark container.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub security_context: Option<SecurityContext>,
            /// Kubernetes scheduler that places the pod.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub scheduler_name: Option<String>,
            /// Containers running beside the Spark container.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub sidecars: Vec<Container>,
            /// Containers that run to completion before the Spark container starts.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub init_containers: Vec<Container>,
            /// Use the node's network namespace.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub host_network: Option<bool>,
            /// Node selector of this pod; kubeflow refuses it together with the
            /// application-level `nodeSelector`.
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub node_selector: BTreeMap<String, String>,
            /// DNS settings of the pod.
            #[serde(default, rename = "dnsConfig", skip_serializing_if = "Option::is_none")]
            pub dns_config: Option<PodDNSConfig>,
            /// Seconds the pod is given to stop after a termination request.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub termination_grace_period_seconds: Option<i64>,
            /// Kubernetes service account the pod runs as.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub service_account: Option<String>,
            /// Extra `/etc/hosts` entries of the pod.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub host_aliases: Vec<HostAlias>,
            /// Let the pod's containers see each other's processes.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub share_process_namespace: Option<bool>,
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
        }

        impl $name {
            /// The fields this spec shares with the other role's, borrowed.
            pub fn view(&self) -> super::PodView<'_> {
                super::PodView {
                    template: self.template.as_ref(),
                    cores: self.cores,
                    core_request: self.core_request.as_ref(),
                    core_limit: self.core_limit.as_ref(),
                    memory: self.memory.as_ref(),
                    memory_limit: self.memory_limit.as_ref(),
                    memory_overhead: self.memory_overhead.as_ref(),
                    gpu: self.gpu.as_ref(),
                    image: self.image.as_ref(),
                    config_maps: &self.config_maps,
                    secrets: &self.secrets,
                    env: &self.env,
                    env_vars: &self.env_vars,
                    env_from: &self.env_from,
                    env_secret_key_refs: &self.env_secret_key_refs,
                    labels: &self.labels,
                    annotations: &self.annotations,
                    volume_mounts: &self.volume_mounts,
                    affinity: self.affinity.as_ref(),
                    tolerations: &self.tolerations,
                    pod_security_context: self.pod_security_context.as_ref(),
                    security_context: self.security_context.as_ref(),
                    scheduler_name: self.scheduler_name.as_ref(),
                    sidecars: &self.sidecars,
                    init_containers: &self.init_containers,
                    host_network: self.host_network,
                    node_selector: &self.node_selector,
                    dns_config: self.dns_config.as_ref(),
                    termination_grace_period_seconds: self.termination_grace_period_seconds,
                    service_account: self.service_account.as_ref(),
                    host_aliases: &self.host_aliases,
                    share_process_namespace: self.share_process_namespace,
                    // Declared per role (their docs differ), present in both.
                    java_options: self.java_options.as_ref(),
                    lifecycle: self.lifecycle.as_ref(),
                    ports: &self.ports,
                    priority_class_name: self.priority_class_name.as_ref(),
                }
            }
        }
    };
}

spark_pod_spec! {
    /// The driver: the JVM running the application's main program and scheduling its tasks.
    pub struct DriverSpec {
        /// Name of a driver pod the user created, for `in-cluster-client` mode only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(regex(pattern = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"))]
        pub pod_name: Option<String>,
        /// CPU request of the driver pod, a Kubernetes CPU quantity
        /// (`spark.kubernetes.driver.request.cores`); `cores` is used when unset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub core_request: Option<String>,
        /// Extra JVM options such as GC or logging settings
        /// (`spark.driver.extraJavaOptions`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub java_options: Option<String>,
        /// `postStart` and `preStop` hooks of the Spark container.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lifecycle: Option<Lifecycle>,
        /// URL of the Kubernetes API the driver uses to manage executor pods (default
        /// `https://kubernetes.default.svc`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub kubernetes_master: Option<String>,
        /// Annotations of the headless Service executors reach the driver through.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub service_annotations: BTreeMap<String, String>,
        /// Labels of that headless Service.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub service_labels: BTreeMap<String, String>,
        /// Extra container ports of the driver.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub ports: Vec<Port>,
        /// Kubernetes PriorityClass of the driver pod.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub priority_class_name: Option<String>,
    }
}

spark_pod_spec! {
    /// The executors: the JVMs running the tasks.
    pub struct ExecutorSpec {
        /// Number of executors, at least 1 (kubeflow defaults to 1 unless dynamic allocation
        /// is on or sparkConf sets `spark.executor.instances`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        pub instances: Option<i32>,
        /// CPU request of each executor pod, a Kubernetes CPU quantity
        /// (`spark.kubernetes.executor.request.cores`); `cores` is used when unset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub core_request: Option<String>,
        /// Extra JVM options (`spark.executor.extraJavaOptions`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub java_options: Option<String>,
        /// `postStart` and `preStop` hooks of the Spark container.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lifecycle: Option<Lifecycle>,
        /// Delete executor pods once they terminate, successfully or not (default true;
        /// `spark.kubernetes.executor.deleteOnTermination`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub delete_on_termination: Option<bool>,
        /// Extra container ports of each executor.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub ports: Vec<Port>,
        /// Kubernetes PriorityClass of the executor pods.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub priority_class_name: Option<String>,
    }
}

/// GPUs requested for a pod.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct GPUSpec {
    /// Extended resource name of the GPU, such as `nvidia.com/gpu` or `amd.com/gpu`.
    pub name: String,
    /// Number of GPUs.
    pub quantity: i64,
}

/// A ConfigMap and where it is mounted.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct NamePath {
    /// Name of the ConfigMap.
    pub name: String,
    /// Directory it is mounted at.
    pub path: String,
}

/// A Secret, where it is mounted and what it holds.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretInfo {
    /// Name of the Secret.
    pub name: String,
    /// Directory it is mounted at.
    pub path: String,
    /// What the Secret holds; decides which environment variable points at it.
    pub secret_type: SecretType,
}

/// What a mounted Secret holds.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum SecretType {
    /// A GCP service account JSON key; `GOOGLE_APPLICATION_CREDENTIALS` points at it.
    GCPServiceAccount,
    /// A Hadoop delegation token; `HADOOP_TOKEN_FILE_LOCATION` points at it.
    HadoopDelegationToken,
    /// Anything else; only mounted.
    Generic,
}

/// A key of a Secret.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct NameKey {
    /// Name of the Secret.
    pub name: String,
    /// Key inside the Secret.
    pub key: String,
}

/// A container port.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    /// Name of the port.
    pub name: String,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    /// Port number in the container, 1 to 65535.
    pub container_port: i32,
}
