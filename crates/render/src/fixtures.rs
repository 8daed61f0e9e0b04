//! Test applications for the render modules' table tests.

use serde_json::{json, Value};
use sparkplane_api::v1beta2::SparkApplicationSpec;
use sparkplane_api::SparkApplication;

/// A minimal Scala application spec with `patch` merged in (JSON merge patch).
pub fn spec(patch: &Value) -> SparkApplicationSpec {
    let mut v = json!({"type": "Scala", "sparkVersion": "4.0.0", "driver": {}, "executor": {}});
    sparkplane_kube_double::merge_patch(&mut v, patch);
    serde_json::from_value(v).unwrap()
}

/// An application `name` in namespace `default`, uid `u1`, with [`spec`]`(patch)`.
pub fn app(name: &str, patch: &Value) -> SparkApplication {
    let mut v = json!({
        "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
        "metadata": {"name": name, "namespace": "default", "uid": "u1"},
        "spec": {"type": "Scala", "sparkVersion": "4.0.0", "driver": {}, "executor": {}}
    });
    sparkplane_kube_double::merge_patch(&mut v["spec"], patch);
    serde_json::from_value(v).unwrap()
}
