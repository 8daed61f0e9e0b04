//! The driver's PodDisruptionBudget (`driverPodDisruptionBudget: true`), as kubeflow's
//! `driver_pdb.go` builds it: `minAvailable: 1` over the application's driver pods, named
//! as the first driver pod, owned by the SparkApplication. It keeps `kubectl drain` and
//! other voluntary evictions from killing a running driver. The controller creates it with
//! the driver and deletes it when the run is torn down or the application terminates.
//!
//! kubeflow also needs the operator started with `--enable-driver-pdb`; here the
//! application's field alone decides.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sparkplane_api::SparkApplication;

use super::{labels, names};

/// The budget's name: the first attempt's driver pod name (kubeflow's
/// `GetDriverPodName`). One name for every attempt, since the selector covers every driver
/// of the application.
pub fn name(app: &SparkApplication) -> String {
    let explicit = app.spec.driver.pod_name.clone().or_else(|| {
        app.spec
            .spark_conf
            .get("spark.kubernetes.driver.pod.name")
            .cloned()
    });
    names::driver_pod(
        app.metadata.name.as_deref().unwrap_or_default(),
        explicit.as_deref(),
        1,
    )
}

/// The budget `app` asks for, if it asks for one.
pub fn build(app: &SparkApplication, owner: &OwnerReference) -> Option<PodDisruptionBudget> {
    if app.spec.driver_pod_disruption_budget != Some(true) {
        return None;
    }
    let app_name = app.metadata.name.clone().unwrap_or_default();
    Some(PodDisruptionBudget {
        metadata: ObjectMeta {
            name: Some(name(app)),
            namespace: app.metadata.namespace.clone(),
            labels: Some(
                [
                    (labels::LAUNCHED_BY.to_string(), "true".to_string()),
                    (labels::APP_NAME.to_string(), app_name.clone()),
                ]
                .into(),
            ),
            owner_references: Some(vec![owner.clone()]),
            ..ObjectMeta::default()
        },
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(
                    [
                        (labels::APP_NAME.to_string(), app_name),
                        (labels::SPARK_ROLE.to_string(), "driver".to_string()),
                    ]
                    .into(),
                ),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn app(spec: Value) -> SparkApplication {
        crate::fixtures::app("test-app", &spec)
    }

    /// kubeflow's `driver_pdb_test.go`: only `true` makes a budget; it is named as the
    /// driver pod and selects the application's driver.
    #[test]
    fn budgets_as_kubeflow_builds_them() {
        let cases: &[(&str, Value, Option<&str>)] = &[
            ("unset", json!({}), None),
            ("false", json!({"driverPodDisruptionBudget": false}), None),
            (
                "true",
                json!({"driverPodDisruptionBudget": true}),
                Some("test-app-driver"),
            ),
            (
                "driver pod name",
                json!({"driverPodDisruptionBudget": true, "driver": {"podName": "my-driver"}}),
                Some("my-driver"),
            ),
            (
                "driver pod name from sparkConf",
                json!({"driverPodDisruptionBudget": true,
                       "sparkConf": {"spark.kubernetes.driver.pod.name": "conf-driver"}}),
                Some("conf-driver"),
            ),
        ];
        for (what, spec, want) in cases {
            let a = app(spec.clone());
            let owner = crate::owner_reference(&a);
            let pdb = build(&a, &owner);
            let Some(want) = want else {
                assert!(pdb.is_none(), "{what}");
                continue;
            };
            let pdb = serde_json::to_value(pdb.expect(what)).unwrap();
            assert_eq!(
                pdb,
                json!({
                    "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                    "metadata": {
                        "name": want, "namespace": "default",
                        "labels": {"sparkoperator.k8s.io/launched-by-spark-operator": "true",
                                   "sparkoperator.k8s.io/app-name": "test-app"},
                        "ownerReferences": [{"apiVersion": "sparkoperator.k8s.io/v1beta2",
                            "kind": "SparkApplication", "name": "test-app", "uid": "u1",
                            "controller": true, "blockOwnerDeletion": true}]},
                    "spec": {"minAvailable": 1, "selector": {"matchLabels": {
                        "sparkoperator.k8s.io/app-name": "test-app", "spark-role": "driver"}}}
                }),
                "{what}"
            );
            assert_eq!(name(&a), *want);
        }
    }
}
