//! TO BE WRITTEN (api helper).
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Placeholder.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(group = "sparkoperator.k8s.io", version = "v1beta2", kind = "SparkApplication", namespaced, derive = "PartialEq")]
pub struct SparkApplicationSpec {}
/// Placeholder.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(group = "sparkoperator.k8s.io", version = "v1beta2", kind = "ScheduledSparkApplication", namespaced, derive = "PartialEq")]
pub struct ScheduledSparkApplicationSpec {}
