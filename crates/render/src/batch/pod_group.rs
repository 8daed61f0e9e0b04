//! The PodGroup object both Volcano and scheduler-plugins' coscheduling read: the pods of
//! one application are scheduled together once `minMember` of them fit and the cluster (or
//! queue) has `minResources`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::core::ApiResource;
use serde::Serialize;

use super::requests::Resources;

/// A PodGroup of either API group (the two CRDs share these fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodGroup {
    /// `scheduling.volcano.sh/v1beta1` or `scheduling.x-k8s.io/v1alpha1`.
    pub api_version: String,
    /// Always `PodGroup`.
    pub kind: String,
    /// Name, namespace and the SparkApplication as controller owner.
    pub metadata: ObjectMeta,
    /// What the scheduler waits for.
    pub spec: PodGroupSpec,
}

/// The fields kubeflow sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodGroupSpec {
    /// Pods that must fit together; kubeflow asks for 1 (the driver), so executors join
    /// as they come.
    pub min_member: i32,
    /// Resources the group needs before any pod of it is scheduled.
    pub min_resources: BTreeMap<String, String>,
    /// Volcano's queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Volcano's priority of the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
}

/// The `kind` of both CRDs.
pub const KIND: &str = "PodGroup";

/// The API resource of the PodGroups of `api_version` (`group/version`).
pub fn api_resource(api_version: &str) -> ApiResource {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: api_version.into(),
        kind: KIND.into(),
        plural: "podgroups".into(),
    }
}

impl PodGroup {
    /// A PodGroup of `minMember` 1 named `name`, owned by the application.
    pub fn new(
        api_version: &str,
        name: String,
        namespace: Option<String>,
        owner: &OwnerReference,
        min_resources: &Resources,
    ) -> PodGroup {
        PodGroup {
            api_version: api_version.into(),
            kind: KIND.into(),
            metadata: ObjectMeta {
                name: Some(name),
                namespace,
                owner_references: Some(vec![owner.clone()]),
                ..ObjectMeta::default()
            },
            spec: PodGroupSpec {
                min_member: 1,
                min_resources: min_resources
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_string()))
                    .collect(),
                queue: None,
                priority_class_name: None,
            },
        }
    }

    /// The API resource to apply it through.
    pub fn api_resource(&self) -> ApiResource {
        api_resource(&self.api_version)
    }

    /// Its name.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }
}
