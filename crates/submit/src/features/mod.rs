//! Spark's driver feature steps, one file each, applied in Spark's order by
//! [`crate::driver::build_driver`]. Each step reads the request and adds to the pod.

pub mod basic;
pub mod command;
pub mod local_dirs;
pub mod network_policy;
pub mod pod_security;
pub mod pod_template;
pub mod secrets;
pub mod service;
pub mod volumes;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, Volume, VolumeMount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The pod being built and its Spark container (kept apart until the end, as Spark does).
#[derive(Debug, Clone, Default)]
pub struct SparkPod {
    /// The pod, without the Spark container.
    pub pod: Pod,
    /// The Spark container.
    pub container: Container,
}

impl SparkPod {
    /// The pod's metadata.
    pub fn meta(&mut self) -> &mut ObjectMeta {
        &mut self.pod.metadata
    }

    /// The pod's spec, created when missing.
    pub fn spec(&mut self) -> &mut PodSpec {
        self.pod.spec.get_or_insert_with(PodSpec::default)
    }

    /// Appends a volume.
    pub fn add_volume(&mut self, v: Volume) {
        self.spec().volumes.get_or_insert_with(Vec::new).push(v);
    }

    /// Appends a volume mount to the Spark container.
    pub fn add_mount(&mut self, m: VolumeMount) {
        self.container
            .volume_mounts
            .get_or_insert_with(Vec::new)
            .push(m);
    }

    /// Appends an environment variable to the Spark container.
    pub fn add_env(&mut self, name: &str, value: &str) {
        self.container
            .env
            .get_or_insert_with(Vec::new)
            .push(k8s_openapi::api::core::v1::EnvVar {
                name: name.into(),
                value: Some(value.into()),
                ..Default::default()
            });
    }
}

/// Adds `entries` to a map field, later keys winning (fabric8's `addTo...`).
pub fn add_all(map: &mut Option<BTreeMap<String, String>>, entries: &[(String, String)]) {
    if entries.is_empty() {
        return;
    }
    let m = map.get_or_insert_with(BTreeMap::new);
    for (k, v) in entries {
        m.insert(k.clone(), v.clone());
    }
}
