//! Apache YuniKorn (`batchScheduler: yunikorn`), as kubeflow's
//! `internal/scheduler/yunikorn` does it: gang scheduling through task groups. The driver
//! carries every task group in `yunikorn.apache.org/task-groups` (the originating pod is
//! the only one read); driver and executors carry their group's name in
//! `yunikorn.apache.org/task-group-name`, and `batchSchedulerOptions.queue` in the `queue`
//! label. No application id is set: YuniKorn takes Spark's `spark-app-selector` label.
//! `schedulerName: yunikorn` comes from `batchScheduler` itself (see `pod_patch`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, Toleration};
use serde::Serialize;
use sparkplane_api::SparkApplication;

use super::requests;
use super::yunikorn_usage;
use crate::RenderError;

/// The annotation with the task group a pod belongs to.
pub const TASK_GROUP_NAME: &str = "yunikorn.apache.org/task-group-name";
/// The annotation with every task group, on the driver.
pub const TASK_GROUPS: &str = "yunikorn.apache.org/task-groups";
/// The label with the pod's queue.
pub const QUEUE_LABEL: &str = "queue";
/// The driver's task group (the names of YuniKorn's Spark example).
const DRIVER_GROUP: &str = "spark-driver";
/// The executors' task group.
const EXECUTOR_GROUP: &str = "spark-executor";

/// One task group, its fields in the order kubeflow writes them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskGroup {
    name: &'static str,
    min_member: i32,
    min_resource: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    node_selector: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tolerations: Vec<Toleration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    affinity: Option<Affinity>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
}

/// The application's node selector overlaid with the pod's.
fn node_selector(
    app: &BTreeMap<String, String>,
    pod: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut merged = app.clone();
    merged.extend(pod.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged
}

/// Adds the task groups and the queue to `app` (a copy being prepared for submission).
pub fn apply(app: &mut SparkApplication) -> Result<(), RenderError> {
    let spec = sparkplane_api::v1beta2::defaults::defaulted(&app.spec);
    let queue = spec
        .batch_scheduler_options
        .as_ref()
        .and_then(|o| o.queue.clone());
    // kubeflow's task groups share the pods' label maps, so the queue label it adds
    // afterwards shows in a group whose pod had labels already, and not in one whose pod had
    // none. Reproduced as such.
    let labels_with_queue = |labels: &BTreeMap<String, String>| {
        let mut l = labels.clone();
        if let (false, Some(q)) = (l.is_empty(), &queue) {
            l.insert(QUEUE_LABEL.into(), q.clone());
        }
        l
    };
    let (d, e) = (&spec.driver, &spec.executor);
    let mut groups = vec![TaskGroup {
        name: DRIVER_GROUP,
        min_member: 1,
        min_resource: yunikorn_usage::driver(&spec)?,
        node_selector: node_selector(&spec.node_selector, &d.node_selector),
        tolerations: d.tolerations.clone(),
        affinity: d.affinity.clone(),
        labels: labels_with_queue(&d.labels),
    }];
    // A task group of no members is invalid: without initial executors there is none.
    let executors = requests::initial_executors(&spec)?;
    if executors > 0 {
        groups.push(TaskGroup {
            name: EXECUTOR_GROUP,
            min_member: executors,
            min_resource: yunikorn_usage::executor(&spec)?,
            node_selector: node_selector(&spec.node_selector, &e.node_selector),
            tolerations: e.tolerations.clone(),
            affinity: e.affinity.clone(),
            labels: labels_with_queue(&e.labels),
        });
    }
    // Plain structs, string-keyed maps and k8s-openapi types: serialising cannot fail.
    let groups = serde_json::to_string(&groups).unwrap_or_default();
    let (driver, executor) = (&mut app.spec.driver, &mut app.spec.executor);
    if let Some(q) = queue {
        driver.labels.insert(QUEUE_LABEL.into(), q.clone());
        executor.labels.insert(QUEUE_LABEL.into(), q);
    }
    driver
        .annotations
        .insert(TASK_GROUP_NAME.into(), DRIVER_GROUP.into());
    executor
        .annotations
        .insert(TASK_GROUP_NAME.into(), EXECUTOR_GROUP.into());
    driver.annotations.insert(TASK_GROUPS.into(), groups);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn app(spec: Value) -> SparkApplication {
        crate::fixtures::app("pi", &spec)
    }

    fn group(name: &str, n: i32, cpu: &str, memory: &str) -> Value {
        json!({"name": name, "minMember": n, "minResource": {"cpu": cpu, "memory": memory}})
    }

    /// kubeflow's yunikorn `TestSchedule` cases, with the task groups it expects.
    #[test]
    fn task_groups_as_kubeflow_writes_them() {
        let pi = json!({"driver": {"cores": 1, "coreLimit": "1200m", "memory": "512m"},
                        "executor": {"instances": 2, "cores": 1, "coreLimit": "1200m", "memory": "512m"}});
        let small = |conf: Value| {
            json!({"type": "Python", "sparkConf": conf,
                   "driver": {"cores": 1, "memory": "512m"},
                   "executor": {"instances": 2, "cores": 1, "memory": "512m"}})
        };
        let mut pi_queue = pi.clone();
        pi_queue["batchSchedulerOptions"] = json!({"queue": "root.default"});
        let affinity = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
            {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "another-key", "operator": "In", "values": ["value1", "value2"]}]}]}}});
        let toleration = json!({"key": "example-key", "operator": "Equal",
                                "value": "example-value", "effect": "NoSchedule"});
        let cases: &[(&str, Value, Value)] = &[
            (
                "spark-pi-yunikorn",
                pi_queue,
                json!([
                    group("spark-driver", 1, "1", "896Mi"),
                    group("spark-executor", 2, "1", "896Mi")
                ]),
            ),
            (
                "dynamic allocation and memory overhead",
                json!({
                "type": "Python", "memoryOverheadFactor": "0.3",
                "driver": {"coreRequest": "2000m", "cores": 4, "memory": "8g"},
                "executor": {"instances": 4, "memoryOverhead": "2g", "cores": 8, "memory": "64g"},
                "dynamicAllocation": {"enabled": true, "initialExecutors": 8, "minExecutors": 2},
                "batchSchedulerOptions": {"queue": "root.default"}}),
                json!([
                    group("spark-driver", 1, "2000m", "10649Mi"),
                    group("spark-executor", 8, "8", "67584Mi")
                ]),
            ),
            (
                "node selectors, tolerations, affinity and labels",
                json!({
                "type": "Python", "nodeSelector": {"key": "value"},
                "driver": {"cores": 1, "memory": "1g",
                           "nodeSelector": {"key": "newvalue", "key2": "value2"},
                           "tolerations": [toleration]},
                "executor": {"instances": 1, "cores": 1, "memory": "1g",
                             "affinity": affinity, "labels": {"label": "value"}}}),
                json!([
                {"name": "spark-driver", "minMember": 1,
                 "minResource": {"cpu": "1", "memory": "1433Mi"},
                 "nodeSelector": {"key": "newvalue", "key2": "value2"},
                 "tolerations": [toleration]},
                {"name": "spark-executor", "minMember": 1,
                 "minResource": {"cpu": "1", "memory": "1433Mi"},
                 "nodeSelector": {"key": "value"}, "affinity": affinity,
                 "labels": {"label": "value"}}]),
            ),
            (
                "spark.executor.pyspark.memory",
                small(json!({"spark.executor.pyspark.memory": "500m"})),
                json!([
                    group("spark-driver", 1, "1", "896Mi"),
                    group("spark-executor", 2, "1", "1396Mi")
                ]),
            ),
            (
                "spark.memory.offHeap.size",
                small(json!({"spark.memory.offHeap.enabled": "true",
                "spark.memory.offHeap.size": "400m"})),
                json!([
                    group("spark-driver", 1, "1", "896Mi"),
                    group("spark-executor", 2, "1", "1296Mi")
                ]),
            ),
            (
                "off-heap and pyspark memory",
                small(json!({"spark.memory.offHeap.enabled": "true",
                "spark.memory.offHeap.size": "400m", "spark.executor.pyspark.memory": "500"})),
                json!([
                    group("spark-driver", 1, "1", "896Mi"),
                    group("spark-executor", 2, "1", "1796Mi")
                ]),
            ),
            // Not in kubeflow's tests: what its code does.
            (
                "no executors at start",
                json!({"executor": {"cores": 2},
                "dynamicAllocation": {"enabled": true}}),
                json!([group("spark-driver", 1, "1", "1408Mi")]),
            ),
            // Not kubeflow's behaviour: its byteStringAsBytes refuses a bare number, where
            // Spark reads MiB. Driver 1024 + 384 = 1408; executor 1536 + 384 = 1920.
            (
                "bare numbers are MiB",
                json!({"driver": {"memory": "1024"}, "executor": {"memory": "1536"}}),
                json!([
                    group("spark-driver", 1, "1", "1408Mi"),
                    group("spark-executor", 1, "1", "1920Mi")
                ]),
            ),
            // Not kubeflow's behaviour: it reads the spec fields only. Driver 2048 + 384 =
            // 2432 with 2 cores; executors 3 × (1024 + 512) = 1536 with request 500m.
            (
                "settings from sparkConf",
                json!({"sparkConf": {"spark.driver.memory": "2g", "spark.driver.cores": "2",
                                     "spark.executor.memoryOverhead": "512",
                                     "spark.kubernetes.executor.request.cores": "500m",
                                     "spark.executor.instances": "3"}}),
                json!([
                    group("spark-driver", 1, "2", "2432Mi"),
                    group("spark-executor", 3, "500m", "1536Mi")
                ]),
            ),
            (
                "the queue shows in groups of pods with labels",
                json!({
                "driver": {"labels": {"team": "a"}},
                "batchSchedulerOptions": {"queue": "root.a"}}),
                json!([
                {"name": "spark-driver", "minMember": 1,
                 "minResource": {"cpu": "1", "memory": "1408Mi"},
                 "labels": {"team": "a", "queue": "root.a"}},
                group("spark-executor", 1, "1", "1408Mi")]),
            ),
        ];
        for (name, spec, want) in cases {
            let mut a = app(spec.clone());
            apply(&mut a).unwrap_or_else(|e| panic!("{name}: {e}"));
            let d = &a.spec.driver;
            let got: Value = serde_json::from_str(&d.annotations[TASK_GROUPS]).unwrap();
            assert_eq!(&got, want, "{name}");
            assert_eq!(d.annotations[TASK_GROUP_NAME], "spark-driver");
            let e = &a.spec.executor;
            assert_eq!(e.annotations[TASK_GROUP_NAME], "spark-executor");
            assert!(!e.annotations.contains_key(TASK_GROUPS));
            let queue = spec["batchSchedulerOptions"]["queue"].as_str();
            assert_eq!(
                d.labels.get(QUEUE_LABEL).map(String::as_str),
                queue,
                "{name}"
            );
            assert_eq!(
                e.labels.get(QUEUE_LABEL).map(String::as_str),
                queue,
                "{name}"
            );
        }
    }

    /// The JSON keeps kubeflow's field order.
    #[test]
    fn task_group_fields_in_kubeflows_order() {
        let mut a =
            app(json!({"driver": {"cores": 1, "memory": "512m"}, "executor": {"instances": 2}}));
        apply(&mut a).unwrap();
        assert_eq!(
            a.spec.driver.annotations[TASK_GROUPS],
            r#"[{"name":"spark-driver","minMember":1,"minResource":{"cpu":"1","memory":"896Mi"}},{"name":"spark-executor","minMember":2,"minResource":{"cpu":"1","memory":"1408Mi"}}]"#
        );
    }

    #[test]
    fn sizes_spark_cannot_read_name_their_field() {
        let cases: &[(Value, &str)] = &[
            (json!({"driver": {"memory": "1Gi"}}), "spec.driver.memory"),
            (
                json!({"sparkConf": {"spark.executor.memory": "1.5g"}}),
                "spec.sparkConf.spark.executor.memory",
            ),
            (
                json!({"executor": {"memoryOverhead": "1.5g"}}),
                "spec.executor.memoryOverhead",
            ),
            (
                json!({"executor": {"coreRequest": "lots"}}),
                "spec.executor.coreRequest",
            ),
            (
                json!({"sparkConf": {"spark.memory.offHeap.enabled": "true",
                                  "spark.memory.offHeap.size": "1Gi"}}),
                "spec.sparkConf.spark.memory.offHeap.size",
            ),
        ];
        for (spec, path) in cases {
            let e = apply(&mut app(spec.clone())).unwrap_err();
            assert_eq!(e.path, *path);
        }
    }
}
