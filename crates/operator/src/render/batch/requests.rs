//! What the PodGroups of Volcano and scheduler-plugins reserve: the driver's and the initial
//! executors' requests, on the spec kubeflow's defaulting webhook (`defaults.go`) fills in.
//!
//! Memory is what Spark requests for each pod (module `spark_memory`):
//! `memory` read as a Spark size (`512m` is 512 MiB), plus `memoryOverhead` or else the
//! overhead factor's share (at least 384 MiB), plus PySpark and off-heap memory for
//! executors. A unit is required (`1024` alone is refused), as for YuniKorn's task groups.
//! The sum is written in binary units (`2688Mi`). kubeflow's `GetDriverRequestResource`
//! and `GetExecutorRequestResource` read `memory` as a Kubernetes quantity instead: `512m`
//! is 0.512 bytes, `1g` is left out, and no overhead factor applies. Such a PodGroup
//! reserves next to nothing, which defeats gang scheduling, so that is not reproduced.
//!
//! CPU is as kubeflow counts it: the driver's `cores`, else `coreLimit`; an executor's
//! `coreRequest`, else `cores`, else `coreLimit`.

use std::collections::BTreeMap;

use sparkplane_api::v1beta2::SparkApplicationSpec;

use super::quantity::Quantity;
use super::spark_memory;
use crate::render::RenderError;

/// Resource name → amount (Go's `corev1.ResourceList`).
pub type Resources = BTreeMap<String, Quantity>;

/// `spec` with kubeflow's defaults: one core and `1g` for the driver and executors unless
/// sparkConf sets them, and one executor unless sparkConf or dynamic allocation decide.
pub fn defaulted(spec: &SparkApplicationSpec) -> SparkApplicationSpec {
    let mut s = spec.clone();
    let conf = &spec.spark_conf;
    if s.driver.cores.is_none() && !conf.contains_key("spark.driver.cores") {
        s.driver.cores = Some(1);
    }
    if s.driver.memory.is_none() && !conf.contains_key("spark.driver.memory") {
        s.driver.memory = Some("1g".into());
    }
    if s.executor.cores.is_none() && !conf.contains_key("spark.executor.cores") {
        s.executor.cores = Some(1);
    }
    if s.executor.memory.is_none() && !conf.contains_key("spark.executor.memory") {
        s.executor.memory = Some("1g".into());
    }
    // defaults.go reads the conf key in lower case, so only the spec field counts there.
    let dynamic = match &s.dynamic_allocation {
        Some(d) => d.enabled,
        None => conf
            .get("spark.dynamicallocation.enabled")
            .is_some_and(|v| parse_go_bool(v)),
    };
    let conf_instances = conf
        .get("spark.executor.instances")
        .is_some_and(|v| !v.is_empty());
    if s.executor.instances.is_none() && !conf_instances && !dynamic {
        s.executor.instances = Some(1);
    }
    s
}

/// Go's `strconv.ParseBool` truth values.
fn parse_go_bool(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// The executors the driver asks for at start: with dynamic allocation the largest of
/// `instances`, `initialExecutors` and `minExecutors`; otherwise `instances`, or 2.
pub fn initial_executors(spec: &SparkApplicationSpec) -> i32 {
    match spec.dynamic_allocation.as_ref().filter(|d| d.enabled) {
        Some(d) => [
            spec.executor.instances,
            d.initial_executors,
            d.min_executors,
        ]
        .into_iter()
        .flatten()
        .fold(0, i32::max),
        None => spec.executor.instances.unwrap_or(2),
    }
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

/// The CPU of the first of `cpus` that is a quantity (none if none is), and `memory_mib`.
fn pod(cpus: &[Option<Quantity>], memory_mib: i64) -> Resources {
    let mut r = Resources::new();
    if let Some(cpu) = cpus.iter().flatten().next() {
        r.insert("cpu".into(), *cpu);
    }
    r.insert("memory".into(), Quantity::from_mib(memory_mib));
    r
}

fn parsed(s: Option<&String>) -> Option<Quantity> {
    s.and_then(|s| Quantity::parse(s).ok())
}

/// The driver's request: `cores`, else `coreLimit` (kubeflow ignores `coreRequest` here).
fn driver(spec: &SparkApplicationSpec) -> Result<Resources, RenderError> {
    let d = &spec.driver;
    Ok(pod(
        &[
            d.cores.map(|c| Quantity::from_int(c.into())),
            parsed(d.core_limit.as_ref()),
        ],
        spark_memory::driver_mib(spec)?,
    ))
}

/// All initial executors' requests: `coreRequest`, else `cores`, else `coreLimit`.
fn executors(spec: &SparkApplicationSpec) -> Result<Resources, RenderError> {
    let e = &spec.executor;
    let one = pod(
        &[
            parsed(e.core_request.as_ref()),
            e.cores.map(|c| Quantity::from_int(c.into())),
            parsed(e.core_limit.as_ref()),
        ],
        spark_memory::executor_mib(spec)?,
    );
    let n = usize::try_from(initial_executors(spec)).unwrap_or(0);
    Ok(sum(std::iter::repeat_n(&one, n)))
}

/// What a PodGroup of `spec` reserves: the driver's and the initial executors' requests,
/// after kubeflow's defaults. A memory size that is not a Spark size with a unit is an error
/// naming its field.
pub fn reserved(spec: &SparkApplicationSpec) -> Result<Resources, RenderError> {
    let spec = defaulted(spec);
    Ok(sum([&driver(&spec)?, &executors(&spec)?]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(extra: serde_json::Value) -> SparkApplicationSpec {
        let mut v = json!({"type": "Scala", "sparkVersion": "4.0.0", "driver": {}, "executor": {}});
        sparkplane_kube_double::merge_patch(&mut v, &extra);
        serde_json::from_value(v).unwrap()
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
                // 1408 + 3 × 1408 = 5632
                "core request and limit",
                json!({"driver": {"coreLimit": "1200m", "coreRequest": "5"},
                       "sparkConf": {"spark.driver.cores": "2"},
                       "executor": {"instances": 3, "coreRequest": "500m", "coreLimit": "2"}}),
                &[("cpu", "2700m"), ("memory", "5632Mi")],
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
                // 1408 + 2 × 1408 = 4224
                "instances from sparkConf: kubeflow counts two",
                json!({"sparkConf": {"spark.executor.instances": "5"}}),
                &[("cpu", "3"), ("memory", "4224Mi")],
            ),
        ];
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

    #[test]
    fn a_memory_that_is_no_spark_size_names_its_field() {
        let cases = [
            (json!({"driver": {"memory": "1Gi"}}), "spec.driver.memory"),
            (json!({"driver": {"memory": "1024"}}), "spec.driver.memory"),
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
        ];
        for (extra, path) in cases {
            let e = reserved(&spec(extra.clone())).unwrap_err();
            assert_eq!(e.path, path, "{extra}");
        }
    }
}
