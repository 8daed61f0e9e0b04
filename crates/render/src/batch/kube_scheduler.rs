//! scheduler-plugins' coscheduling (`batchScheduler: kube-scheduler`), as kubeflow's
//! `internal/scheduler/kubescheduler` does it: a `scheduling.x-k8s.io/v1alpha1` PodGroup
//! `<app>-pg` of `minMember` 1 reserving the driver's and the initial executors' requests
//! (as Spark requests them, see [`requests`]; `batchSchedulerOptions` is not read), and the `scheduling.x-k8s.io/pod-group` label on
//! the application, which its driver and executors inherit.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use sparkplane_api::SparkApplication;

use super::pod_group::PodGroup;
use super::requests;
use crate::{names, RenderError};

/// The PodGroup's API version.
pub const API_VERSION: &str = "scheduling.x-k8s.io/v1alpha1";
/// The pod label naming a pod's group (`v1alpha1.PodGroupLabel`).
pub const POD_GROUP_LABEL: &str = "scheduling.x-k8s.io/pod-group";

/// The PodGroup of application `app`: `<app>-pg`, cut to 63 characters (it is also a label
/// value).
pub fn pod_group_name(app: &str) -> String {
    names::with_suffix(app, "pg")
}

/// Labels `app` (a copy being prepared for submission) with its PodGroup and returns it.
pub fn apply(app: &mut SparkApplication, owner: &OwnerReference) -> Result<PodGroup, RenderError> {
    let min_resources = requests::reserved(&app.spec)?;
    let name = pod_group_name(app.metadata.name.as_deref().unwrap_or_default());
    app.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(POD_GROUP_LABEL.into(), name.clone());
    Ok(PodGroup::new(
        API_VERSION,
        name,
        app.metadata.namespace.clone(),
        owner,
        &min_resources,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn app(name: &str, spec: Value) -> SparkApplication {
        let mut v = json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": name, "namespace": "test-ns", "labels": {"preserve": "me"}},
            "spec": {"type": "Scala", "sparkVersion": "3.5.0", "driver": {}, "executor": {}}
        });
        sparkplane_kube_double::merge_patch(&mut v["spec"], &spec);
        serde_json::from_value(v).unwrap()
    }

    /// kubeflow's kubescheduler `TestScheduleCreatesPodGroupAndLabelsApp` application, its
    /// Kubernetes sizes (`1Gi`) written as Spark sizes, and options it does not read.
    /// Memory: driver 1024 + 256; executors 2 × (2048 + 512) = 5120; 1280 + 5120 = 6400 MiB.
    #[test]
    fn pod_groups_as_kubeflow_creates_them() {
        let test_app = json!({
            "driver": {"cores": 1, "memory": "1g", "memoryOverhead": "256m"},
            "executor": {"instances": 2, "cores": 1, "memory": "2g", "memoryOverhead": "512m"}});
        let mut with_options = test_app.clone();
        with_options["batchSchedulerOptions"] =
            json!({"queue": "q", "priorityClassName": "p", "resources": {"cpu": "64"}});
        let long = "a".repeat(70);
        let cases: &[(&str, &str, Value, Value)] = &[
            (
                "test app",
                "test-app",
                test_app.clone(),
                json!({"minMember": 1, "minResources": {"cpu": "3", "memory": "6400Mi"}}),
            ),
            (
                "options are not read",
                "test-app",
                with_options,
                json!({"minMember": 1, "minResources": {"cpu": "3", "memory": "6400Mi"}}),
            ),
            (
                "long name",
                &long,
                test_app,
                json!({"minMember": 1, "minResources": {"cpu": "3", "memory": "6400Mi"}}),
            ),
        ];
        for (what, name, spec, want) in cases {
            let mut a = app(name, spec.clone());
            let owner = crate::owner_reference(&a);
            let group = serde_json::to_value(apply(&mut a, &owner).unwrap()).unwrap();
            assert_eq!(&group["spec"], want, "{what}");
            assert_eq!(group["apiVersion"], API_VERSION);
            let group_name = group["metadata"]["name"].as_str().unwrap();
            assert!(
                group_name.len() <= 63 && group_name.ends_with("-pg"),
                "{group_name}"
            );
            if *name == "test-app" {
                assert_eq!(group_name, "test-app-pg");
            }
            assert_eq!(group["metadata"]["ownerReferences"][0]["controller"], true);
            let labels = a.metadata.labels.unwrap();
            assert_eq!(labels[POD_GROUP_LABEL], group_name, "{what}");
            assert_eq!(labels["preserve"], "me");
        }
    }

    /// Spark cannot read kubeflow's own test sizes: `1Gi` is no Spark size.
    #[test]
    fn a_kubernetes_size_names_its_field() {
        let mut a = app("test-app", json!({"executor": {"memory": "2Gi"}}));
        let owner = crate::owner_reference(&a);
        let e = apply(&mut a, &owner).unwrap_err();
        assert_eq!(e.path, "spec.executor.memory");
    }
}
