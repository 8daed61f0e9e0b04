//! `MountSecretsFeatureStep` and `EnvSecretsFeatureStep`.

use k8s_openapi::api::core::v1::{
    EnvVar, EnvVarSource, SecretKeySelector, SecretVolumeSource, Volume, VolumeMount,
};

use super::SparkPod;
use crate::driver::Ctx;
use crate::error::SubmitError;

/// `spark.kubernetes.driver.secrets.<name>=<path>`: the secret mounted at the path.
pub fn mount(ctx: &Ctx, p: &mut SparkPod) {
    for (secret, path) in ctx.prefixed("spark.kubernetes.driver.secrets.") {
        let volume = format!("{secret}-volume");
        p.add_volume(Volume {
            name: volume.clone(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret),
                ..Default::default()
            }),
            ..Default::default()
        });
        p.add_mount(VolumeMount {
            name: volume,
            mount_path: path,
            ..Default::default()
        });
    }
}

/// `spark.kubernetes.driver.secretKeyRef.<ENV>=<secret>:<key>`: a variable from a secret.
pub fn env(ctx: &Ctx, p: &mut SparkPod) -> Result<(), SubmitError> {
    for (name, reference) in ctx.prefixed("spark.kubernetes.driver.secretKeyRef.") {
        let (secret, key) = reference.split_once(':').ok_or_else(|| {
            SubmitError::invalid(
                format!("spark.kubernetes.driver.secretKeyRef.{name}"),
                "<secret name>:<key>",
                &reference,
            )
        })?;
        p.container.env.get_or_insert_with(Vec::new).push(EnvVar {
            name,
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: secret.to_string(),
                    key: key.to_string(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    Ok(())
}
