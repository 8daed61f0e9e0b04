//! What a SparkApplication means where it leaves a setting out: kubeflow's defaults
//! (`api/v1beta2/defaults.go`), applied the same way by the Kubernetes render and the local
//! runtime, so that a manifest sizes its driver and executors alike in both modes. Each
//! default gives way to the same key in `sparkConf`.
//!
//! Spark's own defaults would differ by cluster manager: a standalone executor takes every
//! core its worker offers, a Kubernetes one takes one.

use super::{PodView, SparkApplicationSpec};

/// The memory kubeflow gives a driver or an executor that names none.
pub const MEMORY: &str = "1g";
/// The cores kubeflow gives a driver or an executor that names none.
pub const CORES: i32 = 1;
/// The executors kubeflow asks for when the application names none and does not allocate
/// them dynamically.
pub const EXECUTOR_INSTANCES: i32 = 1;

/// The cores of a driver or an executor: `view.cores`, else [`CORES`] unless `conf_key`
/// (`spark.driver.cores` or `spark.executor.cores`) is in sparkConf.
pub fn cores(spec: &SparkApplicationSpec, view: &PodView<'_>, conf_key: &str) -> Option<i32> {
    view.cores
        .or_else(|| (!spec.spark_conf.contains_key(conf_key)).then_some(CORES))
}

/// The memory of a driver or an executor: `view.memory`, else [`MEMORY`] unless `conf_key`
/// (`spark.driver.memory` or `spark.executor.memory`) is in sparkConf.
pub fn memory(spec: &SparkApplicationSpec, view: &PodView<'_>, conf_key: &str) -> Option<String> {
    view.memory
        .cloned()
        .or_else(|| (!spec.spark_conf.contains_key(conf_key)).then(|| MEMORY.to_string()))
}

/// Whether kubeflow's defaulting counts the application as allocating executors
/// dynamically: `dynamicAllocation.enabled`, else sparkConf's
/// `spark.dynamicallocation.enabled` read as Go's `strconv.ParseBool`. `defaults.go` reads
/// the key in lower case, so the usual camel-case key in sparkConf does not count here (it
/// still turns dynamic allocation on in Spark); reproduced so that the same manifests ask
/// for the same executors as under kubeflow.
pub fn dynamic_allocation(spec: &SparkApplicationSpec) -> bool {
    match &spec.dynamic_allocation {
        Some(d) => d.enabled,
        None => spec
            .spark_conf
            .get("spark.dynamicallocation.enabled")
            .is_some_and(|v| parse_go_bool(v)),
    }
}

/// Go's `strconv.ParseBool` truth values.
fn parse_go_bool(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// The executors to ask for: `executor.instances`, else [`EXECUTOR_INSTANCES`] unless
/// sparkConf sets `spark.executor.instances` or executors are allocated dynamically.
pub fn executor_instances(spec: &SparkApplicationSpec) -> Option<i32> {
    spec.executor.instances.or_else(|| {
        let unset = spec
            .spark_conf
            .get("spark.executor.instances")
            .is_none_or(|v| v.is_empty());
        (unset && !dynamic_allocation(spec)).then_some(EXECUTOR_INSTANCES)
    })
}

/// `spec` with every default above filled in: what kubeflow's defaulting webhook stores.
pub fn defaulted(spec: &SparkApplicationSpec) -> SparkApplicationSpec {
    let mut s = spec.clone();
    s.driver.cores = cores(spec, &spec.driver.view(), "spark.driver.cores");
    s.driver.memory = memory(spec, &spec.driver.view(), "spark.driver.memory");
    s.executor.cores = cores(spec, &spec.executor.view(), "spark.executor.cores");
    s.executor.memory = memory(spec, &spec.executor.view(), "spark.executor.memory");
    s.executor.instances = executor_instances(spec);
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn spec(yaml: &str) -> SparkApplicationSpec {
        let base = "type: Scala\nsparkVersion: 4.3.0\nmainApplicationFile: local:///a.jar\ndriver: {}\nexecutor: {}\n";
        let mut v: serde_json::Value = serde_yaml_ng::from_str(base).unwrap();
        let extra: serde_json::Value = serde_yaml_ng::from_str(yaml).unwrap();
        if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
            for (k, x) in extra {
                v.insert(k.clone(), x.clone());
            }
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn cores_and_memory_default_unless_set_or_in_spark_conf() {
        let cases: &[(&str, Option<i32>, Option<&str>)] = &[
            ("{}", Some(1), Some("1g")),
            ("driver: {cores: 3, memory: 2g}", Some(3), Some("2g")),
            (
                "sparkConf: {spark.driver.cores: '2', spark.driver.memory: 3g}",
                None,
                None,
            ),
        ];
        for (yaml, want_cores, want_memory) in cases {
            let s = spec(yaml);
            let view = s.driver.view();
            assert_eq!(
                cores(&s, &view, "spark.driver.cores"),
                *want_cores,
                "{yaml}"
            );
            assert_eq!(
                memory(&s, &view, "spark.driver.memory").as_deref(),
                *want_memory,
                "{yaml}"
            );
        }
    }

    #[test]
    fn executor_instances_default_to_one_without_dynamic_allocation() {
        let cases: &[(&str, Option<i32>)] = &[
            ("{}", Some(1)),
            ("executor: {instances: 4}", Some(4)),
            ("sparkConf: {spark.executor.instances: '3'}", None),
            ("sparkConf: {spark.executor.instances: ''}", Some(1)),
            ("dynamicAllocation: {enabled: true}", None),
            ("dynamicAllocation: {enabled: false}", Some(1)),
            // kubeflow's defaults.go reads the key in lower case, as Go booleans.
            ("sparkConf: {spark.dynamicallocation.enabled: 'TRUE'}", None),
            ("sparkConf: {spark.dynamicallocation.enabled: '1'}", None),
            (
                "sparkConf: {spark.dynamicallocation.enabled: 'yes'}",
                Some(1),
            ),
            (
                "sparkConf: {spark.dynamicAllocation.enabled: 'true'}",
                Some(1),
            ),
            (
                "dynamicAllocation: {enabled: true}\nexecutor: {instances: 2}",
                Some(2),
            ),
        ];
        for (yaml, want) in cases {
            assert_eq!(executor_instances(&spec(yaml)), *want, "{yaml}");
        }
    }
}
