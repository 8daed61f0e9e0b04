//! One borrowed view of the fields `DriverSpec` and `ExecutorSpec` share.
//!
//! The two specs have the same field names but no common type (see [`super::pod`]), so
//! code that reads them for either role (validation, the spark-submit arguments, the pod
//! settings) reads this view, built by the same macro that writes the two structs.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Container, EnvFromSource, EnvVar, HostAlias, Lifecycle, PodDNSConfig,
    PodSecurityContext, PodTemplateSpec, SecurityContext, Toleration, VolumeMount,
};

use super::{GPUSpec, NameKey, NamePath, Port, SecretInfo};

/// The fields a driver and an executor spec share, borrowed; each means what it means in
/// [`super::DriverSpec`] and [`super::ExecutorSpec`].
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy)]
pub struct PodView<'a> {
    pub template: Option<&'a PodTemplateSpec>,
    pub cores: Option<i32>,
    pub core_request: Option<&'a String>,
    pub core_limit: Option<&'a String>,
    pub memory: Option<&'a String>,
    pub memory_limit: Option<&'a String>,
    pub memory_overhead: Option<&'a String>,
    pub gpu: Option<&'a GPUSpec>,
    pub image: Option<&'a String>,
    pub config_maps: &'a [NamePath],
    pub secrets: &'a [SecretInfo],
    pub env: &'a [EnvVar],
    pub env_vars: &'a BTreeMap<String, String>,
    pub env_from: &'a [EnvFromSource],
    pub env_secret_key_refs: &'a BTreeMap<String, NameKey>,
    pub labels: &'a BTreeMap<String, String>,
    pub annotations: &'a BTreeMap<String, String>,
    pub volume_mounts: &'a [VolumeMount],
    pub affinity: Option<&'a Affinity>,
    pub tolerations: &'a [Toleration],
    pub pod_security_context: Option<&'a PodSecurityContext>,
    pub security_context: Option<&'a SecurityContext>,
    pub scheduler_name: Option<&'a String>,
    pub sidecars: &'a [Container],
    pub init_containers: &'a [Container],
    pub host_network: Option<bool>,
    pub node_selector: &'a BTreeMap<String, String>,
    pub dns_config: Option<&'a PodDNSConfig>,
    pub termination_grace_period_seconds: Option<i64>,
    pub service_account: Option<&'a String>,
    pub host_aliases: &'a [HostAlias],
    pub share_process_namespace: Option<bool>,
    pub java_options: Option<&'a String>,
    pub lifecycle: Option<&'a Lifecycle>,
    pub ports: &'a [Port],
    pub priority_class_name: Option<&'a String>,
}
