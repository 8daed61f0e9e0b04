//! The pod settings kubeflow's operator patches in through its mutating admission webhook,
//! applied directly: to the driver pod before it is created, and to the executor pod
//! template the driver creates its executors from. No webhook, so no admission latency, no
//! certificates to expire and no pods that slip through unpatched.
//!
//! Each function mirrors one of the webhook's mutations (`sparkpod_defaulter.go`), in its
//! order; what they add is appended, what they set replaces.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, Container, ContainerPort, EnvVar, Pod, PodSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use sha2::{Digest, Sha256};
use sparkplane_api::v1beta2::{PodView, SparkApplicationSpec};
use sparkplane_api::SparkApplication;

use super::submit_args::{Role, LOCAL_DIR_PREFIX};
use super::RenderError;

/// Where `sparkConfigMap` is mounted; `SPARK_CONF_DIR` points there.
pub const SPARK_CONF_DIR: &str = "/etc/spark/conf";
/// Where `hadoopConfigMap` is mounted; `HADOOP_CONF_DIR` points there.
pub const HADOOP_CONF_DIR: &str = "/etc/hadoop/conf";
/// Where the metrics ConfigMap is mounted.
pub const METRICS_CONF_DIR: &str = "/etc/metrics/conf";

/// The index of the container Spark runs in: by name, else the first.
pub fn spark_container_index(spec: &PodSpec, role: Role) -> usize {
    let names: &[&str] = match role {
        Role::Driver => &[super::templates::DRIVER_CONTAINER],
        Role::Executor => &["executor", super::templates::EXECUTOR_CONTAINER],
    };
    spec.containers
        .iter()
        .position(|c| names.contains(&c.name.as_str()))
        .unwrap_or(0)
}

/// The container Spark runs in: by name, else the first.
fn spark_container(spec: &mut PodSpec, role: Role) -> Option<&mut Container> {
    let index = spark_container_index(spec, role);
    spec.containers.get_mut(index)
}

/// The name of the volume a ConfigMap is mounted through: `<name>-vol`, or, when that is
/// too long or has dots, a sanitised prefix with a hash (kubeflow's rule).
pub fn config_map_volume_name(config_map: &str) -> String {
    let preferred = format!("{config_map}-vol");
    if preferred.len() <= 63 && !preferred.contains('.') {
        return preferred;
    }
    let hash = hex::encode(Sha256::digest(config_map.as_bytes()));
    let suffix = format!("-{}-vol", &hash[..8]);
    let mut prefix: String = config_map.replace('.', "-");
    prefix.truncate(63 - suffix.len());
    format!("{}{suffix}", prefix.trim_end_matches('-'))
}

fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        read_only: Some(true),
        ..VolumeMount::default()
    }
}

fn config_map_volume(volume: &str, config_map: &str) -> Volume {
    Volume {
        name: volume.into(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.into(),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// Applies the webhook's mutations for `role` to `pod`. `metrics` is the metrics ConfigMap
/// and port when Prometheus monitoring applies to this role.
///
/// The volumes, mounts, environment and ports of all mutations are gathered first and
/// added to the container and pod in one go, so each list keeps the webhook's order.
pub fn apply(
    pod: &mut Pod,
    app: &SparkApplication,
    role: Role,
    metrics: Option<&super::monitoring::MetricsMount>,
) -> Result<(), RenderError> {
    let spec = &app.spec;
    let p = role.view(spec);
    let path = match role {
        Role::Driver => "spec.driver",
        Role::Executor => "spec.executor",
    };
    let pod_spec = pod.spec.get_or_insert_with(PodSpec::default);
    if pod_spec.containers.is_empty() {
        return Err(RenderError::field(
            format!("{path}.template.spec.containers"),
            "the pod has no container for Spark to run in",
        ));
    }
    let mut added = Additions {
        volumes: Vec::new(),
        mounts: Vec::new(),
        env: p.env.to_vec(),
        ports: Vec::new(),
    };
    added.config_maps(spec, p);
    added.volumes(spec, p, path)?;
    added.ports(p, metrics);

    let c = spark_container(pod_spec, role)
        .ok_or_else(|| RenderError::field(format!("{path}.template"), "no container for Spark"))?;
    let volumes = std::mem::take(&mut added.volumes);
    added.extend_container(c, p);
    container_settings(c, p, role, path)?;

    if !volumes.is_empty() {
        pod_spec
            .volumes
            .get_or_insert_with(Vec::new)
            .extend(volumes);
    }
    host_and_containers(pod_spec, p);
    scheduling(pod_spec, spec, p);
    pod_security_and_lifetime(pod_spec, p);
    Ok(())
}

/// What the mutations add to the Spark container and the pod.
struct Additions {
    volumes: Vec<Volume>,
    mounts: Vec<VolumeMount>,
    env: Vec<EnvVar>,
    ports: Vec<ContainerPort>,
}

impl Additions {
    /// addHadoopConfigMap, addSparkConfigMap, addGeneralConfigMaps.
    fn config_maps(&mut self, spec: &SparkApplicationSpec, p: PodView<'_>) {
        for (cm, volume, dir, var) in [
            (
                spec.hadoop_config_map.as_ref(),
                "hadoop-configmap-volume",
                HADOOP_CONF_DIR,
                "HADOOP_CONF_DIR",
            ),
            (
                spec.spark_config_map.as_ref(),
                "spark-configmap-volume",
                SPARK_CONF_DIR,
                "SPARK_CONF_DIR",
            ),
        ] {
            if let Some(cm) = cm {
                self.volumes.push(config_map_volume(volume, cm));
                self.mounts.push(mount(volume, dir));
                self.env.push(EnvVar {
                    name: var.into(),
                    value: Some(dir.into()),
                    value_from: None,
                });
            }
        }
        for np in p.config_maps {
            let volume = config_map_volume_name(&np.name);
            self.volumes.push(config_map_volume(&volume, &np.name));
            self.mounts.push(mount(&volume, &np.path));
        }
    }

    /// addVolumes: only the volumes this role mounts; local dirs are Spark's (confs).
    fn volumes(
        &mut self,
        spec: &SparkApplicationSpec,
        p: PodView<'_>,
        path: &str,
    ) -> Result<(), RenderError> {
        let mut added = BTreeSet::new();
        for (i, m) in p.volume_mounts.iter().enumerate() {
            if m.name.starts_with(LOCAL_DIR_PREFIX) {
                continue;
            }
            let Some(v) = spec.volumes.iter().find(|v| v.name == m.name) else {
                return Err(RenderError::field(
                    format!("{path}.volumeMounts[{i}].name"),
                    format!("no volume named {} in spec.volumes", m.name),
                ));
            };
            if added.insert(m.name.clone()) {
                self.volumes.push(v.clone());
            }
            self.mounts.push(m.clone());
        }
        Ok(())
    }

    /// The role's ports, then the metrics port and its ConfigMap.
    fn ports(&mut self, p: PodView<'_>, metrics: Option<&super::monitoring::MetricsMount>) {
        for port in p.ports {
            self.ports.push(ContainerPort {
                name: Some(port.name.clone()),
                container_port: port.container_port,
                protocol: Some(port.protocol.clone()),
                ..ContainerPort::default()
            });
        }
        if let Some(m) = metrics {
            self.volumes
                .push(config_map_volume(&m.volume, &m.config_map));
            self.mounts.push(mount(&m.volume, METRICS_CONF_DIR));
            self.ports.push(ContainerPort {
                name: Some(m.port_name.clone()),
                container_port: m.port,
                protocol: Some("TCP".into()),
                ..ContainerPort::default()
            });
        }
    }

    /// Appends the container's share: env, envFrom, mounts and ports.
    fn extend_container(self, c: &mut Container, p: PodView<'_>) {
        if !self.env.is_empty() {
            c.env.get_or_insert_with(Vec::new).extend(self.env);
        }
        if !p.env_from.is_empty() {
            c.env_from
                .get_or_insert_with(Vec::new)
                .extend(p.env_from.iter().cloned());
        }
        if !self.mounts.is_empty() {
            c.volume_mounts
                .get_or_insert_with(Vec::new)
                .extend(self.mounts);
        }
        if !self.ports.is_empty() {
            c.ports.get_or_insert_with(Vec::new).extend(self.ports);
        }
    }
}

/// Container-level settings: limits, security context, lifecycle.
fn container_settings(
    c: &mut Container,
    p: PodView<'_>,
    role: Role,
    path: &str,
) -> Result<(), RenderError> {
    // Only the driver's: Spark's executor step replaces the executor container's memory
    // limit with its request, so a limit here would never reach a pod and would only
    // mislead whoever reads the template. `executor.memoryLimit` acts through the overhead
    // instead (`batch::spark_memory::executor_memory`).
    if let Some(limit) = p.memory_limit.filter(|_| role == Role::Driver) {
        let q = sparkplane_api::quantity::memory_limit_quantity(limit)
            .map_err(|e| RenderError::field(format!("{path}.memoryLimit"), e))?;
        c.resources
            .get_or_insert_with(Default::default)
            .limits
            .get_or_insert_with(Default::default)
            .insert("memory".into(), Quantity(q));
    }
    if let Some(gpu) = p.gpu.filter(|g| !g.name.is_empty() && g.quantity > 0) {
        c.resources
            .get_or_insert_with(Default::default)
            .limits
            .get_or_insert_with(Default::default)
            .insert(gpu.name.clone(), Quantity(gpu.quantity.to_string()));
    }
    if let Some(sc) = p.security_context {
        c.security_context = Some(sc.clone());
    }
    if let Some(l) = p.lifecycle {
        c.lifecycle = Some(l.clone());
    }
    Ok(())
}

/// Host network and aliases, init containers and sidecars, DNS.
fn host_and_containers(pod_spec: &mut PodSpec, p: PodView<'_>) {
    if p.host_network == Some(true) {
        pod_spec.host_network = Some(true);
        pod_spec.dns_policy = Some("ClusterFirstWithHostNet".into());
    }
    if !p.host_aliases.is_empty() {
        pod_spec
            .host_aliases
            .get_or_insert_with(Vec::new)
            .extend(p.host_aliases.iter().cloned());
    }
    add_containers(
        pod_spec.init_containers.get_or_insert_with(Vec::new),
        p.init_containers,
    );
    add_containers(&mut pod_spec.containers, p.sidecars);
    if pod_spec.init_containers.as_ref().is_some_and(Vec::is_empty) {
        pod_spec.init_containers = None;
    }
    if let Some(d) = p.dns_config {
        pod_spec.dns_config = Some(d.clone());
    }
}

/// Priority, scheduler, node selector, affinity, tolerations.
fn scheduling(pod_spec: &mut PodSpec, spec: &SparkApplicationSpec, p: PodView<'_>) {
    if let Some(pc) = p.priority_class_name.filter(|s| !s.is_empty()) {
        pod_spec.priority_class_name = Some(pc.clone());
        pod_spec.priority = None;
        pod_spec.preemption_policy = None;
    }
    // A batch scheduler wins over the pod's own scheduler name.
    if let Some(s) = spec
        .batch_scheduler
        .as_ref()
        .or(p.scheduler_name)
        .filter(|s| !s.is_empty())
    {
        pod_spec.scheduler_name = Some(s.clone());
    }
    if !p.node_selector.is_empty() {
        pod_spec
            .node_selector
            .get_or_insert_with(Default::default)
            .extend(p.node_selector.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if let Some(a) = p.affinity {
        pod_spec.affinity = Some(a.clone());
    }
    if !p.tolerations.is_empty() {
        pod_spec
            .tolerations
            .get_or_insert_with(Vec::new)
            .extend(p.tolerations.iter().cloned());
    }
}

/// The pod's security context, grace period and process namespace.
fn pod_security_and_lifetime(pod_spec: &mut PodSpec, p: PodView<'_>) {
    if let Some(psc) = p.pod_security_context {
        pod_spec.security_context = Some(psc.clone());
    }
    if let Some(g) = p.termination_grace_period_seconds {
        pod_spec.termination_grace_period_seconds = Some(g);
    }
    if p.share_process_namespace == Some(true) {
        pod_spec.share_process_namespace = Some(true);
    }
}

/// Appends the containers not already there (same name and image), as the webhook does.
fn add_containers(list: &mut Vec<Container>, new: &[Container]) {
    for c in new {
        if !list.iter().any(|e| e.name == c.name && e.image == c.image) {
            list.push(c.clone());
        }
    }
}
