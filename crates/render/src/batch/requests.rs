//! What the PodGroups of Volcano and scheduler-plugins reserve: the driver's and the initial
//! executors' requests, on the spec kubeflow's defaulting webhook (`defaults.go`) fills in.
//! Each setting is the spec field, else its sparkConf key, else the default, as Spark sees
//! them on the command line `submit_args` builds (module `spark_settings`).
//!
//! Memory is what Spark requests for each pod (module `spark_memory`): `memory` read as a
//! Spark size (`512m` is 512 MiB, a bare `1024` is 1024 MiB), plus `memoryOverhead` or else
//! the overhead factor's share (at least 384 MiB), plus PySpark and off-heap memory for
//! executors. The sum is written in binary units (`2688Mi`). kubeflow's
//! `GetDriverRequestResource` and `GetExecutorRequestResource` read `memory` as a Kubernetes
//! quantity instead: `512m` is 0.512 bytes, `1g` is left out, and no overhead factor
//! applies. Such a PodGroup reserves next to nothing, which defeats gang scheduling, so that
//! is not reproduced.
//!
//! CPU is what Spark requests for each pod: the request cores (`coreRequest`), else the
//! cores. kubeflow ignores the driver's `coreRequest` and falls back to `coreLimit`, a limit
//! rather than a request; sparkplane counts what the pods request.

use std::collections::BTreeMap;

use sparkplane_api::v1beta2::defaults::defaulted;
use sparkplane_api::v1beta2::SparkApplicationSpec;

use super::quantity::Quantity;
use super::spark_memory;
use super::spark_settings::Manifest;
use crate::submit_args::Role;
use crate::RenderError;

/// Resource name → amount (Go's `corev1.ResourceList`).
pub type Resources = BTreeMap<String, Quantity>;

/// The executors the driver asks for at start: with dynamic allocation the largest of
/// `instances`, `initialExecutors` and `minExecutors`; otherwise `instances`, or Spark's
/// default of 2. `instances` is `spec.executor.instances`, else `spark.executor.instances`.
pub fn initial_executors(spec: &SparkApplicationSpec) -> Result<i32, RenderError> {
    let instances = Manifest::new(spec).executor_instances()?;
    Ok(
        match spec.dynamic_allocation.as_ref().filter(|d| d.enabled) {
            Some(d) => [instances, d.initial_executors, d.min_executors]
                .into_iter()
                .flatten()
                .fold(0, i32::max),
            None => instances.unwrap_or(2),
        },
    )
}

/// Sums resource lists name by name.
pub fn sum<'a>(lists: impl IntoIterator<Item = &'a Resources>) -> Resources {
    let mut total = Resources::new();
    for list in lists {
        for (name, q) in list {
            total
                .entry(name.clone())
                .or_insert_with(|| Quantity::from_int(0))
                .add(*q);
        }
    }
    total
}

/// One pod's CPU and memory requests.
fn pod(spec: &SparkApplicationSpec, role: Role, memory_mib: i64) -> Result<Resources, RenderError> {
    let (_, cpu) = Manifest::new(spec).cpu(role)?;
    Ok(Resources::from([
        ("cpu".into(), cpu),
        ("memory".into(), Quantity::from_mib(memory_mib)),
    ]))
}

/// One pod's CPU limit, for a quota's `limits.cpu`: the limit cores, else the CPU
/// request. Spark sets no CPU limit without the limit cores; then a LimitRange default, if
/// any, applies, and a limit is never below the request, so the request is the least the
/// pod can count. kubeflow falls back to the cores instead, which differ only when a
/// request is set.
fn pod_cpu_limit(spec: &SparkApplicationSpec, role: Role) -> Result<Quantity, RenderError> {
    let m = Manifest::new(spec);
    match m.cpu_limit(role)? {
        Some(limit) => Ok(limit),
        None => m.cpu(role).map(|(_, q)| q),
    }
}

/// The CPU limits of the driver and the initial executors, after kubeflow's defaults.
pub fn cpu_limits(spec: &SparkApplicationSpec) -> Result<Quantity, RenderError> {
    let spec = defaulted(spec);
    let mut total = pod_cpu_limit(&spec, Role::Driver)?;
    let one = pod_cpu_limit(&spec, Role::Executor)?;
    for _ in 0..initial_executors(&spec)?.max(0) {
        total.add(one);
    }
    Ok(total)
}

/// All initial executors' requests.
fn executors(spec: &SparkApplicationSpec) -> Result<Resources, RenderError> {
    let one = pod(spec, Role::Executor, spark_memory::executor_mib(spec)?)?;
    let n = usize::try_from(initial_executors(spec)?).unwrap_or(0);
    Ok(sum(std::iter::repeat_n(&one, n)))
}

/// What a PodGroup of `spec` reserves: the driver's and the initial executors' requests,
/// after kubeflow's defaults. A setting Spark would refuse is an error naming its field.
pub fn reserved(spec: &SparkApplicationSpec) -> Result<Resources, RenderError> {
    let spec = defaulted(spec);
    let driver = pod(&spec, Role::Driver, spark_memory::driver_mib(&spec)?)?;
    Ok(sum([&driver, &executors(&spec)?]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(extra: serde_json::Value) -> SparkApplicationSpec {
        crate::fixtures::spec(&extra)
    }

    /// Asserts each case's reservation.
    fn check(cases: &[Case]) {
        for (name, extra, want) in cases {
            let got =
                text(&reserved(&spec(extra.clone())).unwrap_or_else(|e| panic!("{name}: {e}")));
            let want: BTreeMap<String, String> = want
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    fn text(r: &Resources) -> BTreeMap<String, String> {
        r.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
    }

    type Case<'a> = (&'a str, serde_json::Value, &'a [(&'a str, &'a str)]);

    /// Memory is what Spark requests per pod, worked out by hand in each case (MiB; the
    /// default overhead is max(factor × memory, 384), the factor 0.1 for Scala). CPU is
    /// kubeflow's count.
    #[test]
    fn driver_plus_executors_as_spark_requests_them() {
        let cases: &[Case] = &[
            (
                // driver 1024 + 256; executors 2 × (2048 + 512) = 5120; 1280 + 5120 = 6400
                "explicit overheads",
                json!({"driver": {"cores": 1, "memory": "1g", "memoryOverhead": "256m"},
                       "executor": {"instances": 2, "cores": 1, "memory": "2g", "memoryOverhead": "512m"}}),
                &[("cpu", "3"), ("memory", "6400Mi")],
            ),
            (
                // driver 512 + 384 = 896; executors 2 × (512 + 384) = 1792; 896 + 1792 = 2688
                "spark-pi-volcano: 512m is 512 MiB",
                json!({"driver": {"cores": 1, "memory": "512m"},
                       "executor": {"instances": 2, "cores": 1, "memory": "512m"}}),
                &[("cpu", "3"), ("memory", "2688Mi")],
            ),
            (
                // driver 1024 + 384 = 1408; one executor 1408; 2816
                "defaults: 1g each, one executor",
                json!({}),
                &[("cpu", "2"), ("memory", "2816Mi")],
            ),
            (
                // driver 512 + 512 = 1024; one executor 1024; 2048 = 2Gi
                "whole GiB print as Gi",
                json!({"driver": {"memory": "512m", "memoryOverhead": "512m"},
                       "executor": {"memory": "512m", "memoryOverhead": "512m"}}),
                &[("cpu", "2"), ("memory", "2Gi")],
            ),
            (
                // driver 4096 + 0.5 × 4096 = 6144; one executor 1024 + 0.5 × 1024 = 1536; 7680
                "memoryOverheadFactor",
                json!({"memoryOverheadFactor": "0.5", "driver": {"memory": "4g"}}),
                &[("cpu", "2"), ("memory", "7680Mi")],
            ),
            (
                // factor 0.4: driver 2048 + 819.2 = 2867.2, floored 2867; executor
                // 2048 + 819.2 + 300 PySpark + 1024 off-heap = 4191.2, floored 4191;
                // 2867 + 2 × 4191 = 11249
                "Python: PySpark and off-heap memory on executors only",
                json!({"type": "Python",
                       "driver": {"memory": "2g"}, "executor": {"instances": 2, "memory": "2g"},
                       "sparkConf": {"spark.executor.pyspark.memory": "300",
                                     "spark.memory.offHeap.enabled": "true",
                                     "spark.memory.offHeap.size": "1g"}}),
                &[("cpu", "3"), ("memory", "11249Mi")],
            ),
            (
                // PySpark memory counts for Python only; off-heap is off: 1408 + 1408 = 2816
                "Scala: no PySpark memory, off-heap disabled",
                json!({"sparkConf": {"spark.executor.pyspark.memory": "1g",
                                     "spark.memory.offHeap.enabled": "false",
                                     "spark.memory.offHeap.size": "1g"}}),
                &[("cpu", "2"), ("memory", "2816Mi")],
            ),
            (
                // 1408 + 3 × 1408 = 5632. CPU is what Spark requests: the driver's
                // coreRequest 5 (kubeflow counts the coreLimit 1.2), executors 3 × 500m;
                // 5 + 1.5 = 6.5
                "core request and limit",
                json!({"driver": {"coreLimit": "1200m", "coreRequest": "5"},
                       "sparkConf": {"spark.driver.cores": "2"},
                       "executor": {"instances": 3, "coreRequest": "500m", "coreLimit": "2"}}),
                &[("cpu", "6500m"), ("memory", "5632Mi")],
            ),
            (
                // 1408 + 4 × 1408 = 7040
                "dynamic allocation starts at the largest",
                json!({"executor": {"instances": 1, "cores": 2},
                       "dynamicAllocation": {"enabled": true, "initialExecutors": 4, "minExecutors": 3}}),
                &[("cpu", "9"), ("memory", "7040Mi")],
            ),
            (
                // the driver alone: 1408
                "no executors at start",
                json!({"executor": {"cores": 2},
                       "dynamicAllocation": {"enabled": true}}),
                &[("cpu", "1"), ("memory", "1408Mi")],
            ),
            (
                // 1408 + 5 × 1408 = 8448; CPU 1 + 5 (kubeflow counts two executors)
                "instances from sparkConf",
                json!({"sparkConf": {"spark.executor.instances": "5"}}),
                &[("cpu", "6"), ("memory", "8448Mi")],
            ),
            (
                // Spark reads a bare number as MiB: driver 2048 + 384 = 2432; one executor
                // 1024 + 512 = 1536; 3968
                "bare numbers are MiB",
                json!({"driver": {"memory": "2048"},
                       "executor": {"memory": "1024", "memoryOverhead": "512"}}),
                &[("cpu", "2"), ("memory", "3968Mi")],
            ),
        ];
        check(cases);
    }

    /// Each sparkConf key counts when its spec field is not set, and the spec field wins
    /// when it is (as `submit_args` passes it after sparkConf). Every pod is 1408 MiB
    /// (1024 + 384) unless the case says otherwise.
    #[test]
    fn spark_conf_settings_count_and_spec_fields_win() {
        let cases: &[Case] = &[
            (
                // driver 3 cores + one executor 1 = 4; 2 × 1408 = 2816
                "spark.driver.cores",
                json!({"sparkConf": {"spark.driver.cores": "3"}}),
                &[("cpu", "4"), ("memory", "2816Mi")],
            ),
            (
                // 1 + 2 × 2 = 5; 3 × 1408 = 4224
                "spark.executor.cores",
                json!({"executor": {"instances": 2}, "sparkConf": {"spark.executor.cores": "2"}}),
                &[("cpu", "5"), ("memory", "4224Mi")],
            ),
            (
                // 0.5 + 1 = 1.5
                "spark.kubernetes.driver.request.cores",
                json!({"sparkConf": {"spark.kubernetes.driver.request.cores": "500m"}}),
                &[("cpu", "1500m"), ("memory", "2816Mi")],
            ),
            (
                // 1 + 2 × 0.25 = 1.5; 3 × 1408 = 4224
                "spark.kubernetes.executor.request.cores",
                json!({"executor": {"instances": 2},
                       "sparkConf": {"spark.kubernetes.executor.request.cores": "250m"}}),
                &[("cpu", "1500m"), ("memory", "4224Mi")],
            ),
            (
                // the request, not the cores: 2 + 1 = 3
                "request cores over cores",
                json!({"sparkConf": {"spark.driver.cores": "4",
                                     "spark.kubernetes.driver.request.cores": "2"}}),
                &[("cpu", "3"), ("memory", "2816Mi")],
            ),
            (
                // 1 + 3 = 4 cores; 4 × 1408 = 5632
                "spark.executor.instances",
                json!({"sparkConf": {"spark.executor.instances": "3"}}),
                &[("cpu", "4"), ("memory", "5632Mi")],
            ),
            (
                // dynamic allocation starts at max(4 instances, 2 initial) = 4: 5 cores,
                // 5 × 1408 = 7040
                "spark.executor.instances with dynamic allocation",
                json!({"dynamicAllocation": {"enabled": true, "initialExecutors": 2},
                       "sparkConf": {"spark.executor.instances": "4"}}),
                &[("cpu", "5"), ("memory", "7040Mi")],
            ),
            (
                // driver 2048 + 384 = 2432; executors 2 × (2048 + 384) = 4864 (bare 2048 is
                // MiB); 7296
                "spark.driver.memory and spark.executor.memory",
                json!({"executor": {"instances": 2},
                       "sparkConf": {"spark.driver.memory": "2g", "spark.executor.memory": "2048"}}),
                &[("cpu", "3"), ("memory", "7296Mi")],
            ),
            (
                // driver 1024 + 1024 = 2048; executor 1024 + 2048 = 3072; 5120
                "spark.driver.memoryOverhead and spark.executor.memoryOverhead",
                json!({"sparkConf": {"spark.driver.memoryOverhead": "1g",
                                     "spark.executor.memoryOverhead": "2048"}}),
                &[("cpu", "2"), ("memory", "5Gi")],
            ),
            (
                // driver 1024 + 512 = 1536; executor 1024 + 0.75 × 1024 = 1792; 3328
                "the overhead factors",
                json!({"sparkConf": {"spark.driver.memoryOverheadFactor": "0.5",
                                     "spark.kubernetes.memoryOverheadFactor": "0.75"}}),
                &[("cpu", "2"), ("memory", "3328Mi")],
            ),
            (
                // executor 1408 + 256 off-heap = 1664; 1408 + 1664 = 3072
                "off-heap memory",
                json!({"sparkConf": {"spark.memory.offHeap.enabled": "true",
                                     "spark.memory.offHeap.size": "256m"}}),
                &[("cpu", "2"), ("memory", "3Gi")],
            ),
            (
                // Python: 1024 + 409 = 1433; executor 1433 + 100 = 1533; 2966
                "PySpark memory",
                json!({"type": "Python", "sparkConf": {"spark.executor.pyspark.memory": "100m"}}),
                &[("cpu", "2"), ("memory", "2966Mi")],
            ),
            (
                // the spec fields: 2 driver cores + 1 executor × 1 core = 3; driver memory
                // 512 + 384 = 896, executor 1024 + 100 = 1124; 2020
                "spec over sparkConf: cores, memory, overhead, instances",
                json!({"driver": {"cores": 2, "memory": "512m"},
                       "executor": {"instances": 1, "cores": 1, "memoryOverhead": "100m"},
                       "sparkConf": {"spark.driver.cores": "8", "spark.executor.cores": "8",
                                     "spark.driver.memory": "8g",
                                     "spark.executor.memoryOverhead": "8g",
                                     "spark.executor.instances": "8"}}),
                &[("cpu", "3"), ("memory", "2020Mi")],
            ),
            (
                // the spec's coreRequest: 1 + 2 × 0.5 = 2; 3 × 1408 = 4224
                "spec over sparkConf: request cores",
                json!({"driver": {"coreRequest": "1"},
                       "executor": {"instances": 2, "coreRequest": "500m"},
                       "sparkConf": {"spark.kubernetes.driver.request.cores": "8",
                                     "spark.kubernetes.executor.request.cores": "8"}}),
                &[("cpu", "2"), ("memory", "4224Mi")],
            ),
        ];
        check(cases);
    }

    /// Each pod's limit cores, else its CPU request, worked out by hand.
    #[test]
    fn cpu_limits_are_the_limit_cores_else_the_request() {
        let cases: &[(&str, serde_json::Value, &str)] = &[
            // kubeflow's validator test application: 1 + 1
            (
                "no limits: the cores",
                json!({"driver": {"cores": 1}, "executor": {"instances": 1, "cores": 1}}),
                "2",
            ),
            // 1.2 + 3 × 2 = 7.2
            (
                "coreLimit",
                json!({"driver": {"coreLimit": "1200m"},
                       "executor": {"instances": 3, "coreLimit": "2"}}),
                "7200m",
            ),
            // the driver's request 500m; executors 2 × 0.25 from sparkConf = 1
            (
                "the request without a limit; limits from sparkConf",
                json!({"driver": {"coreRequest": "500m"},
                       "executor": {"instances": 2},
                       "sparkConf": {"spark.kubernetes.executor.limit.cores": "250m"}}),
                "1",
            ),
            // dynamic allocation without instances starts no executor: the driver's 2
            (
                "no executors at start",
                json!({"driver": {"cores": 2}, "dynamicAllocation": {"enabled": true}}),
                "2",
            ),
        ];
        for (name, extra, want) in cases {
            let got = cpu_limits(&spec(extra.clone())).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got.to_string(), *want, "{name}");
        }
        let e = cpu_limits(&spec(json!({"executor": {"coreLimit": "lots"}}))).unwrap_err();
        assert_eq!(e.path, "spec.executor.coreLimit");
    }

    #[test]
    fn a_setting_spark_cannot_read_names_its_field() {
        let cases = [
            (json!({"driver": {"memory": "1Gi"}}), "spec.driver.memory"),
            (
                json!({"executor": {"memoryOverhead": "512Mi"}}),
                "spec.executor.memoryOverhead",
            ),
            (
                json!({"memoryOverheadFactor": "a tenth"}),
                "spec.memoryOverheadFactor",
            ),
            (
                json!({"sparkConf": {"spark.memory.offHeap.enabled": "true",
                                     "spark.memory.offHeap.size": "1.5g"}}),
                "spec.sparkConf.spark.memory.offHeap.size",
            ),
            (
                json!({"sparkConf": {"spark.driver.memory": "2Gi"}}),
                "spec.sparkConf.spark.driver.memory",
            ),
            (
                json!({"sparkConf": {"spark.driver.cores": "two"}}),
                "spec.sparkConf.spark.driver.cores",
            ),
            (
                json!({"sparkConf": {"spark.executor.cores": "1.5"}}),
                "spec.sparkConf.spark.executor.cores",
            ),
            (
                json!({"driver": {"coreRequest": "lots"}}),
                "spec.driver.coreRequest",
            ),
            (
                json!({"sparkConf": {"spark.kubernetes.executor.request.cores": "lots"}}),
                "spec.sparkConf.spark.kubernetes.executor.request.cores",
            ),
            (
                json!({"sparkConf": {"spark.executor.instances": "many"}}),
                "spec.sparkConf.spark.executor.instances",
            ),
        ];
        for (extra, path) in cases {
            let e = reserved(&spec(extra.clone())).unwrap_err();
            assert_eq!(e.path, path, "{extra}");
        }
    }
}
