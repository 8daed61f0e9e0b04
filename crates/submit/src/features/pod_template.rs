//! Pod templates: the driver's starting pod, and `PodTemplateConfigMapStep`, which ships the
//! executor template to the driver.

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, KeyToPath, Pod, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::SparkPod;
use crate::driver::Ctx;
use crate::error::SubmitError;

const TEMPLATE_DIR: &str = "/opt/spark/pod-template";
const TEMPLATE_FILE: &str = "pod-spec-template.yml";
const TEMPLATE_KEY: &str = "podspec-configmap-key";

/// The driver's starting pod: the template with its Spark container taken out (the one named
/// by `spark.kubernetes.driver.podTemplateContainerName`, else the first), or an empty pod.
pub fn initial_pod(ctx: &Ctx) -> Result<SparkPod, SubmitError> {
    let Some(text) = &ctx.req.driver_template else {
        return Ok(SparkPod::default());
    };
    let setting = "spark.kubernetes.driver.podTemplateFile";
    let mut pod: Pod = serde_yaml_ng::from_str(text)
        .map_err(|e| SubmitError::invalid(setting, "a Kubernetes Pod manifest", e.to_string()))?;
    // Spark writes the name, and the namespace comes from the request path.
    let mut containers = pod
        .spec
        .as_mut()
        .map(|s| std::mem::take(&mut s.containers))
        .unwrap_or_default();
    let wanted = ctx
        .conf
        .get("spark.kubernetes.driver.podTemplateContainerName");
    let index = wanted
        .and_then(|w| containers.iter().position(|c| c.name == w))
        .or(if containers.is_empty() { None } else { Some(0) });
    let container = match index {
        Some(i) => containers.remove(i),
        None => Container::default(),
    };
    if let Some(spec) = pod.spec.as_mut() {
        spec.containers = containers;
    }
    Ok(SparkPod { pod, container })
}

/// Applies the step: when `spark.kubernetes.executor.podTemplateFile` is set, mounts the
/// ConfigMap holding it. Returns that ConfigMap.
pub fn apply(ctx: &Ctx, p: &mut SparkPod) -> Option<ConfigMap> {
    let text = ctx.executor_template.as_ref()?;
    let name = format!("{}-driver-podspec-conf-map", ctx.prefix);
    p.add_volume(Volume {
        name: "pod-template-volume".into(),
        config_map: Some(ConfigMapVolumeSource {
            name: name.clone(),
            items: Some(vec![KeyToPath {
                key: TEMPLATE_KEY.into(),
                path: TEMPLATE_FILE.into(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    });
    p.add_mount(VolumeMount {
        name: "pod-template-volume".into(),
        mount_path: TEMPLATE_DIR.into(),
        ..Default::default()
    });
    Some(ConfigMap {
        metadata: ObjectMeta {
            name: Some(name),
            ..Default::default()
        },
        immutable: Some(true),
        data: Some([(TEMPLATE_KEY.to_string(), text.clone())].into()),
        ..Default::default()
    })
}

/// System properties the step adds.
pub fn properties(ctx: &Ctx) -> Vec<(String, String)> {
    match ctx.executor_template {
        Some(_) => vec![(
            "spark.kubernetes.executor.podTemplateFile".into(),
            format!("{TEMPLATE_DIR}/{TEMPLATE_FILE}"),
        )],
        None => vec![],
    }
}
