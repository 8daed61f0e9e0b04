//! Driver and executor specs. kubeflow's Go types embed a shared `SparkPodSpec`; here the
//! shared fields are spelled out in both structs by one macro, because serde's `flatten`
//! would swallow unknown fields instead of reporting them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Container, EnvFromSource, EnvVar, HostAlias, Lifecycle, PodDNSConfig,
    PodSecurityContext, PodTemplateSpec, SecurityContext, Toleration, VolumeMount,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
            /// Pod template the pod starts from (Spark 3.0+; fields set elsewhere win).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub template: Option<PodTemplateSpec>,
            /// CPU cores (`spark.driver.cores` / `spark.executor.cores`), at least 1.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cores: Option<i32>,
            /// Hard CPU limit, a Kubernetes quantity.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub core_limit: Option<String>,
            /// Heap size, a Spark memory size (`512m`, `2g`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub memory: Option<String>,
            /// Memory limit of the container.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub memory_limit: Option<String>,
            /// Off-heap memory overhead, a Spark memory size.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub memory_overhead: Option<String>,
            /// GPU request.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub gpu: Option<GPUSpec>,
            /// Image overriding the application's.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub image: Option<String>,
            /// ConfigMaps to mount.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub config_maps: Vec<NamePath>,
            /// Secrets to mount.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub secrets: Vec<SecretInfo>,
            /// Environment variables.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub env: Vec<EnvVar>,
            /// Deprecated: environment variables as a map (use `env`).
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub env_vars: BTreeMap<String, String>,
            /// Environment from ConfigMaps and Secrets.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub env_from: Vec<EnvFromSource>,
            /// Deprecated: environment variables from secret keys (use `env`).
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub env_secret_key_refs: BTreeMap<String, NameKey>,
            /// Pod labels.
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub labels: BTreeMap<String, String>,
            /// Pod annotations.
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub annotations: BTreeMap<String, String>,
            /// Volume mounts.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub volume_mounts: Vec<VolumeMount>,
            /// Affinity.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub affinity: Option<Affinity>,
            /// Tolerations.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub tolerations: Vec<Toleration>,
            /// Pod security context.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub pod_security_context: Option<PodSecurityContext>,
            /// Container security context.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub security_context: Option<SecurityContext>,
            /// Scheduler name.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub scheduler_name: Option<String>,
            /// Sidecar containers.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub sidecars: Vec<Container>,
            /// Init containers.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub init_containers: Vec<Container>,
            /// Host networking.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub host_network: Option<bool>,
            /// Node selector.
            #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
            pub node_selector: BTreeMap<String, String>,
            /// DNS configuration.
            #[serde(default, rename = "dnsConfig", skip_serializing_if = "Option::is_none")]
            pub dns_config: Option<PodDNSConfig>,
            /// Termination grace period, seconds.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub termination_grace_period_seconds: Option<i64>,
            /// Service account.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub service_account: Option<String>,
            /// Host aliases.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub host_aliases: Vec<HostAlias>,
            /// Share one process namespace between the pod's containers.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub share_process_namespace: Option<bool>,
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
        }
    };
}

spark_pod_spec! {
    /// The driver.
    pub struct DriverSpec {
        /// Driver pod name (client modes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub pod_name: Option<String>,
        /// CPU request (`spark.kubernetes.driver.request.cores`), a Kubernetes quantity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub core_request: Option<String>,
        /// Extra JVM options (`spark.driver.extraJavaOptions`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub java_options: Option<String>,
        /// Container lifecycle hooks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lifecycle: Option<Lifecycle>,
        /// Kubernetes API URL the driver uses.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub kubernetes_master: Option<String>,
        /// Annotations of the headless driver Service.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub service_annotations: BTreeMap<String, String>,
        /// Labels of the headless driver Service.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub service_labels: BTreeMap<String, String>,
        /// Extra container ports.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub ports: Vec<Port>,
        /// Priority class.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub priority_class_name: Option<String>,
    }
}

spark_pod_spec! {
    /// The executors.
    pub struct ExecutorSpec {
        /// Number of executors, at least 1.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub instances: Option<i32>,
        /// CPU request (`spark.kubernetes.executor.request.cores`), a Kubernetes quantity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub core_request: Option<String>,
        /// Extra JVM options (`spark.executor.extraJavaOptions`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub java_options: Option<String>,
        /// Container lifecycle hooks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub lifecycle: Option<Lifecycle>,
        /// Delete executor pods when they terminate (default true).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub delete_on_termination: Option<bool>,
        /// Extra container ports.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub ports: Vec<Port>,
        /// Priority class.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub priority_class_name: Option<String>,
    }
}

/// A GPU request.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct GPUSpec {
    /// Resource name, e.g. `nvidia.com/gpu`.
    pub name: String,
    /// How many.
    pub quantity: i64,
}

/// A ConfigMap mounted at a path.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct NamePath {
    /// ConfigMap name.
    pub name: String,
    /// Mount path.
    pub path: String,
}

/// A Secret mounted at a path.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretInfo {
    /// Secret name.
    pub name: String,
    /// Mount path.
    pub path: String,
    /// What the secret holds.
    pub secret_type: SecretType,
}

/// Kinds of mounted secrets.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum SecretType {
    /// A GCP service account key (sets GOOGLE_APPLICATION_CREDENTIALS).
    GCPServiceAccount,
    /// A Hadoop delegation token (sets HADOOP_TOKEN_FILE_LOCATION).
    HadoopDelegationToken,
    /// Anything else.
    Generic,
}

/// A key of a Secret.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct NameKey {
    /// Secret name.
    pub name: String,
    /// Key.
    pub key: String,
}

/// A container port.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    /// Port name.
    pub name: String,
    /// TCP or UDP.
    pub protocol: String,
    /// Port number.
    pub container_port: i32,
}
