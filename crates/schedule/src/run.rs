//! ScheduledSparkApplication: the SparkApplication of each run.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use sparkplane_api::{ScheduledSparkApplication, SparkApplication};

use sparkplane_render::{labels, names};

/// The SparkApplication a ScheduledSparkApplication starts at `at`: named after the
/// schedule and the run's time in seconds (kept within 63 characters), labelled with the
/// schedule's name and owned by it.
pub fn run_application(s: &ScheduledSparkApplication, at: DateTime<Utc>) -> SparkApplication {
    let name = s.metadata.name.clone().unwrap_or_default();
    let mut labels = s.metadata.labels.clone().unwrap_or_default();
    labels.insert(labels::SCHEDULED_APP_NAME.into(), name.clone());
    SparkApplication {
        metadata: ObjectMeta {
            name: Some(names::with_suffix(&name, &at.timestamp().to_string())),
            namespace: s.metadata.namespace.clone(),
            labels: Some(labels),
            // The schedule's choice of Pod Security level holds for its runs.
            annotations: s
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get_key_value(sparkplane_render::pod_security::ANNOTATION))
                .map(|(k, v)| [(k.clone(), v.clone())].into()),
            owner_references: Some(vec![OwnerReference {
                api_version: "sparkoperator.k8s.io/v1beta2".into(),
                kind: "ScheduledSparkApplication".into(),
                name,
                uid: s.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..ObjectMeta::default()
        },
        spec: s.spec.template.clone(),
        status: None,
    }
}
