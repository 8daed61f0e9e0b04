//! The pod templates handed to Spark: the driver's (the manifest's template plus the
//! SparkApplication as owner) and the executors' (the same, with every webhook-style setting
//! of `spec.executor` applied, since the driver creates the executors from it).

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use sparkplane_api::SparkApplication;

use sparkplane_submit::PodSecurity;

use super::monitoring::MetricsMount;
use super::pod_patch;
use super::pod_security::{self, PodSecurityOptions};
use super::submit_args::Role;
use super::RenderError;

/// The name Spark gives the driver's container.
pub const DRIVER_CONTAINER: &str = "spark-kubernetes-driver";
/// The name Spark gives an executor's container.
pub const EXECUTOR_CONTAINER: &str = "spark-kubernetes-executor";

fn base(template: Option<&PodTemplateSpec>, container: &str) -> Pod {
    match template {
        Some(t) => Pod {
            metadata: t.metadata.clone().unwrap_or_default(),
            spec: t.spec.clone(),
            status: None,
        },
        None => Pod {
            metadata: ObjectMeta::default(),
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: container.into(),
                    ..Container::default()
                }],
                ..PodSpec::default()
            }),
            status: None,
        },
    }
}

/// The name of the container Spark runs in.
pub fn spark_container_name(pod: &Pod, role: Role) -> String {
    let Some(spec) = pod.spec.as_ref() else {
        return String::new();
    };
    let index = pod_patch::spark_container_index(spec, role);
    spec.containers
        .get(index)
        .map(|c| c.name.clone())
        .unwrap_or_default()
}

fn add_owner(meta: &mut ObjectMeta, owner: &OwnerReference) {
    let refs = meta.owner_references.get_or_insert_with(Vec::new);
    if !refs.contains(owner) {
        refs.push(owner.clone());
    }
}

/// Serialises a pod for Spark to read as a template. JSON is YAML too, and leaves no room
/// for YAML 1.1 readers to misread a value.
fn text(pod: &Pod) -> String {
    // Serialising k8s-openapi types cannot fail: their maps have string keys only.
    serde_json::to_string_pretty(pod).unwrap_or_default()
}

/// The driver's template, as text.
pub fn driver(app: &SparkApplication, owner: &OwnerReference) -> String {
    let mut pod = base(app.spec.driver.template.as_ref(), DRIVER_CONTAINER);
    add_owner(&mut pod.metadata, owner);
    text(&pod)
}

/// The executors' template, as text, made to meet the Pod Security `level`. Executors get a
/// non-controller reference to the SparkApplication (the driver pod is their controller), so
/// that queueing systems such as Kueue see them as the application's.
pub fn executor(
    app: &SparkApplication,
    owner: &OwnerReference,
    metrics: Option<&MetricsMount>,
    level: PodSecurity,
    options: &PodSecurityOptions,
) -> Result<String, RenderError> {
    let mut pod = base(app.spec.executor.template.as_ref(), EXECUTOR_CONTAINER);
    pod_patch::apply(&mut pod, app, Role::Executor, metrics)?;
    let spark = spark_container_name(&pod, Role::Executor);
    pod_security::apply(&mut pod, app, Role::Executor, &spark, level, options)?;
    let owner = OwnerReference {
        controller: None,
        block_owner_deletion: None,
        ..owner.clone()
    };
    add_owner(&mut pod.metadata, &owner);
    Ok(text(&pod))
}
