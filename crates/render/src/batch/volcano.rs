//! Volcano (`batchScheduler: volcano`), as kubeflow's `internal/scheduler/volcano` does it
//! in cluster mode: a `scheduling.volcano.sh/v1beta1` PodGroup `spark-<app>-pg` of
//! `minMember` 1, reserving `batchSchedulerOptions.resources` or else the driver's and the
//! initial executors' requests (as Spark requests them, see [`requests`]), in the options'
//! queue and priority class; the driver and executors name it in their
//! `scheduling.k8s.io/group-name` annotation.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use sparkplane_api::SparkApplication;

use super::pod_group::PodGroup;
use super::quantity::Quantity;
use super::requests::{self, Resources};
use crate::{names, RenderError};

/// The PodGroup's API version.
pub const API_VERSION: &str = "scheduling.volcano.sh/v1beta1";
/// The pod annotation naming a pod's group (`v1beta1.KubeGroupNameAnnotationKey`).
pub const GROUP_NAME_ANNOTATION: &str = "scheduling.k8s.io/group-name";

/// The PodGroup of application `app`: `spark-<app>-pg`, cut to 63 characters.
pub fn pod_group_name(app: &str) -> String {
    names::with_suffix(&format!("spark-{app}"), "pg")
}

/// Names the PodGroup on the driver and executors of `app` (a copy being prepared for
/// submission) and returns it. A driver that names a group itself keeps it, and no
/// PodGroup is made (kubeflow's rule).
pub fn apply(
    app: &mut SparkApplication,
    owner: &OwnerReference,
) -> Result<Option<PodGroup>, RenderError> {
    if app
        .spec
        .driver
        .annotations
        .contains_key(GROUP_NAME_ANNOTATION)
    {
        return Ok(None);
    }
    let options = app.spec.batch_scheduler_options.clone().unwrap_or_default();
    let min_resources = if options.resources.is_empty() {
        requests::reserved(&app.spec)?
    } else {
        options
            .resources
            .iter()
            .map(|(k, q)| {
                Quantity::parse(&q.0).map(|v| (k.clone(), v)).map_err(|e| {
                    RenderError::field(
                        format!("spec.batchSchedulerOptions.resources.{k}"),
                        e.to_string(),
                    )
                })
            })
            .collect::<Result<Resources, _>>()?
    };
    let name = pod_group_name(app.metadata.name.as_deref().unwrap_or_default());
    let mut group = PodGroup::new(
        API_VERSION,
        name.clone(),
        app.metadata.namespace.clone(),
        owner,
        &min_resources,
    );
    // Go's `omitempty` drops an empty queue or priority class.
    group.spec.queue = options.queue.filter(|q| !q.is_empty());
    group.spec.priority_class_name = options.priority_class_name.filter(|p| !p.is_empty());
    for annotations in [
        &mut app.spec.driver.annotations,
        &mut app.spec.executor.annotations,
    ] {
        annotations.insert(GROUP_NAME_ANNOTATION.into(), name.clone());
    }
    Ok(Some(group))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn app(spec: Value) -> SparkApplication {
        let mut s = json!({"mode": "cluster",
                           "driver": {"cores": 1, "memory": "2g"},
                           "executor": {"instances": 2, "cores": 1, "memory": "1g"}});
        sparkplane_kube_double::merge_patch(&mut s, &spec);
        crate::fixtures::app("test-app", &s)
    }

    /// kubeflow's volcano `TestSchedule` cluster-mode cases, and its rule for a driver that
    /// names its group itself.
    #[test]
    fn pod_groups_as_kubeflow_creates_them() {
        let cases: &[(&str, Value, Option<Value>)] = &[
            (
                "queue",
                json!({"batchSchedulerOptions": {"queue": "batch-queue"}}),
                // driver 2048 + 384 = 2432; executors 2 × (1024 + 384) = 2816; 5248
                Some(
                    json!({"minMember": 1, "minResources": {"cpu": "3", "memory": "5248Mi"},
                            "queue": "batch-queue"}),
                ),
            ),
            (
                "custom resources win over the sum",
                json!({"executor": {"instances": 3},
                       "batchSchedulerOptions": {"queue": "gpu-queue", "priorityClassName": "high",
                           "resources": {"cpu": "6", "memory": "12Gi", "gpu": "4"}}}),
                Some(
                    json!({"minMember": 1, "queue": "gpu-queue", "priorityClassName": "high",
                            "minResources": {"cpu": "6", "memory": "12Gi", "gpu": "4"}}),
                ),
            ),
            (
                "no options: the sum of requests; empty names are dropped",
                // driver 1024 + 512 = 1536; executors 2 × (2048 + 384) = 4864; 6400
                json!({"driver": {"memory": "1g", "memoryOverhead": "512m"},
                       "executor": {"memory": "2g"},
                       "batchSchedulerOptions": {"queue": "", "priorityClassName": ""}}),
                Some(json!({"minMember": 1, "minResources": {"cpu": "3", "memory": "6400Mi"}})),
            ),
            (
                "the driver names its own group",
                json!({"driver": {"annotations": {"scheduling.k8s.io/group-name": "mine"}}}),
                None,
            ),
        ];
        let owner = crate::owner_reference(&app(json!({})));
        for (name, spec, want) in cases {
            let mut a = app(spec.clone());
            let group = apply(&mut a, &owner).unwrap();
            let Some(want) = want else {
                assert!(group.is_none(), "{name}");
                assert!(!a
                    .spec
                    .executor
                    .annotations
                    .contains_key(GROUP_NAME_ANNOTATION));
                continue;
            };
            let group = serde_json::to_value(group.expect(name)).unwrap();
            assert_eq!(&group["spec"], want, "{name}");
            assert_eq!(group["apiVersion"], API_VERSION);
            assert_eq!(group["kind"], "PodGroup");
            assert_eq!(group["metadata"]["name"], "spark-test-app-pg");
            assert_eq!(group["metadata"]["namespace"], "default");
            let refs = &group["metadata"]["ownerReferences"];
            assert_eq!(refs.as_array().map(Vec::len), Some(1));
            assert_eq!(refs[0]["kind"], "SparkApplication");
            assert_eq!(refs[0]["name"], "test-app");
            assert_eq!(refs[0]["controller"], true);
            for a in [&a.spec.driver.annotations, &a.spec.executor.annotations] {
                assert_eq!(a[GROUP_NAME_ANNOTATION], "spark-test-app-pg", "{name}");
            }
        }
    }

    #[test]
    fn a_bad_size_names_its_field() {
        let cases = [
            (
                json!({"batchSchedulerOptions": {"resources": {"cpu": "lots"}}}),
                "spec.batchSchedulerOptions.resources.cpu",
            ),
            (json!({"driver": {"memory": "2Gi"}}), "spec.driver.memory"),
        ];
        for (spec, path) in cases {
            let mut a = app(spec);
            let owner = crate::owner_reference(&a);
            let e = apply(&mut a, &owner).unwrap_err();
            assert_eq!(e.path, path);
        }
    }
}
