//! `MountVolumesFeatureStep`: `spark.kubernetes.driver.volumes.<type>.<name>.*`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EmptyDirVolumeSource, HostPathVolumeSource, NFSVolumeSource, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, Volume, VolumeMount,
    VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::SparkPod;
use crate::driver::Ctx;
use crate::error::SubmitError;

const PREFIX: &str = "spark.kubernetes.driver.volumes.";

/// One configured volume.
#[derive(Debug, Clone)]
struct VolumeSpec {
    kind: String,
    name: String,
    props: Vec<(String, String)>,
}

impl VolumeSpec {
    fn get(&self, key: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn key(&self, key: &str) -> String {
        format!("{PREFIX}{}.{}.{key}", self.kind, self.name)
    }

    fn required(&self, key: &str) -> Result<&str, SubmitError> {
        self.get(key).ok_or_else(|| SubmitError::Missing {
            setting: self.key(key),
            reason: format!("a {} volume needs it", self.kind),
        })
    }

    fn with_prefix(&self, prefix: &str) -> BTreeMap<String, String> {
        self.props
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone())))
            .collect()
    }
}

/// The volumes in Spark's order: by first appearance of `<type>.<name>` among the
/// configuration keys as Spark iterates them. Spark collects them in a Scala `Set`, whose
/// order is insertion order for up to four volumes; beyond four it is a hash order that
/// sparkplane does not reproduce (the order of a pod's volumes has no effect on the pod).
fn specs(ctx: &Ctx) -> Result<Vec<VolumeSpec>, SubmitError> {
    let mut out: Vec<VolumeSpec> = Vec::new();
    for (key, value) in ctx.prefixed(PREFIX) {
        let mut parts = key.splitn(3, '.');
        let (Some(kind), Some(name), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        match out.iter_mut().find(|s| s.kind == kind && s.name == name) {
            Some(s) => s.props.push((rest.to_string(), value)),
            None => out.push(VolumeSpec {
                kind: kind.into(),
                name: name.into(),
                props: vec![(rest.to_string(), value)],
            }),
        }
    }
    for s in &out {
        if !matches!(
            s.kind.as_str(),
            "hostPath" | "emptyDir" | "persistentVolumeClaim" | "nfs"
        ) {
            return Err(SubmitError::unsupported(
                format!("{PREFIX}{}", s.kind),
                "volume types are hostPath, emptyDir, persistentVolumeClaim and nfs",
            ));
        }
        s.required("mount.path")?;
        if s.get("mount.subPath").is_some() && s.get("mount.subPathExpr").is_some() {
            return Err(SubmitError::invalid(
                s.key("mount.subPath"),
                "either mount.subPath or mount.subPathExpr, not both",
                s.get("mount.subPath").unwrap_or_default(),
            ));
        }
    }
    let mut paths: Vec<&str> = out.iter().filter_map(|s| s.get("mount.path")).collect();
    paths.sort_unstable();
    if let Some(w) = paths.windows(2).find(|w| w[0] == w[1]) {
        return Err(SubmitError::invalid(
            format!("{PREFIX}*.mount.path"),
            "a different mount path for each volume",
            w[0],
        ));
    }
    Ok(out)
}

/// Applies the step; returns the PVCs to create for `OnDemand` claims.
pub fn apply(ctx: &Ctx, p: &mut SparkPod) -> Result<Vec<PersistentVolumeClaim>, SubmitError> {
    let mut claims = Vec::new();
    for (i, s) in specs(ctx)?.into_iter().enumerate() {
        let read_only = s
            .get("mount.readOnly")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        p.add_mount(VolumeMount {
            name: s.name.clone(),
            mount_path: s.required("mount.path")?.to_string(),
            read_only: Some(read_only),
            sub_path: Some(s.get("mount.subPath").unwrap_or("").to_string()),
            sub_path_expr: ctx
                .behaviour
                .sub_path_expr
                .then(|| s.get("mount.subPathExpr").unwrap_or("").to_string()),
            ..Default::default()
        });
        let mut volume = Volume {
            name: s.name.clone(),
            ..Default::default()
        };
        match s.kind.as_str() {
            "hostPath" => {
                volume.host_path = Some(HostPathVolumeSource {
                    path: s.required("options.path")?.to_string(),
                    type_: Some(match ctx.behaviour.volume_type_and_labels {
                        true => s.get("options.type").unwrap_or("").to_string(),
                        false => String::new(),
                    }),
                });
            }
            "emptyDir" => {
                volume.empty_dir = Some(EmptyDirVolumeSource {
                    medium: Some(s.get("options.medium").unwrap_or("").to_string()),
                    size_limit: s.get("options.sizeLimit").map(|v| Quantity(v.to_string())),
                    ..Default::default()
                });
            }
            "nfs" => {
                volume.nfs = Some(NFSVolumeSource {
                    path: s.required("options.path")?.to_string(),
                    server: s.required("options.server")?.to_string(),
                    ..Default::default()
                });
            }
            _ => {
                let template = s.required("options.claimName")?;
                let claim = template.replace("OnDemand", &format!("{}-driver-pvc-{i}", ctx.prefix));
                if let (Some(class), Some(size)) =
                    (s.get("options.storageClass"), s.get("options.sizeLimit"))
                {
                    claims.push(claim_object(ctx, &s, &claim, class, size));
                }
                volume.persistent_volume_claim = Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim,
                    read_only: Some(read_only),
                });
            }
        }
        p.add_volume(volume);
    }
    Ok(claims)
}

fn claim_object(
    ctx: &Ctx,
    s: &VolumeSpec,
    name: &str,
    class: &str,
    size: &str,
) -> PersistentVolumeClaim {
    let (mut labels, annotations) = match ctx.behaviour.volume_type_and_labels {
        true => (s.with_prefix("label."), s.with_prefix("annotation.")),
        false => (BTreeMap::new(), BTreeMap::new()),
    };
    labels.insert("spark-app-selector".into(), ctx.req.ids.app_id.clone());
    let mode = if ctx.behaviour.read_write_once_pod
        && !ctx
            .conf
            .get_bool("spark.kubernetes.legacy.useReadWriteOnceAccessMode", false)
            .unwrap_or(false)
    {
        "ReadWriteOncePod"
    } else {
        "ReadWriteOnce"
    };
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..Default::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            storage_class_name: Some(class.into()),
            access_modes: Some(vec![mode.into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some([("storage".to_string(), Quantity(size.into()))].into()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}
