//! The memory Spark requests for its driver and executor pods, in MiB, as Spark's
//! `BasicDriverFeatureStep` and `ResourceProfile` work it out, from the manifest's settings
//! ([`super::spark_settings::Manifest`]). The arithmetic is `sparkplane-spark-resources`'
//! ([`sparkplane_spark_resources::memory`]): the memory, plus the overhead or else the
//! overhead factor's share (at least 384 MiB), plus for executors PySpark memory (Python
//! applications) and off-heap memory (when enabled).
//!
//! An executor's `memoryLimit` replaces that sum, through the overhead Spark is given
//! ([`executor_memory`]), so everything that counts executor memory sees the limit.
//!
//! Sizes are read with Spark's grammar: a whole number with an optional case-insensitive
//! suffix b, k, kb, m, mb, g, gb, t, tb, p or pb. A bare number is MiB for the memory, the
//! overhead and PySpark memory, and bytes for `spark.memory.offHeap.size`, as in Spark. Each
//! value is floored to MiB, as Spark reads them. kubeflow's YuniKorn code refuses a bare
//! number; sparkplane reads it as Spark does. Anything else (`1Gi`, `1.5g`) is refused,
//! naming the field.
//!
//! Two choices keep what the operator has always counted, where the submission builder
//! differs:
//! - The minimum overhead is Spark's fixed 384 MiB for every Spark version
//!   ([`MinimumOverhead::Fixed`]); the driver pod the builder makes for Spark 4.0 on honours
//!   `spark.driver.minMemoryOverhead` instead.
//! - When several settings are unreadable, the memory is named first, then the overhead,
//!   then the factor (the builder names the factor before the overhead, as Spark reads them).

use sparkplane_api::v1beta2::SparkApplicationSpec;
use sparkplane_spark_resources::memory::{self, ExecutorMemoryError, MinimumOverhead, PodMemory};
use sparkplane_spark_resources::Role;

pub use sparkplane_spark_resources::memory::ExecutorMemory;

use super::spark_settings::Manifest;
use crate::RenderError;

/// The minimum overhead the operator counts.
const MINIMUM: MinimumOverhead = MinimumOverhead::Fixed;

/// The pod's memory and overhead, the memory and the overhead read before the factor.
fn pod_memory(m: &Manifest, role: Role) -> Result<PodMemory, RenderError> {
    memory::memory_mib(m, role).map_err(|e| m.error(e))?;
    memory::memory_overhead_mib(m, role).map_err(|e| m.error(e))?;
    memory::pod_memory(m, role, m.language(), MINIMUM).map_err(|e| m.error(e))
}

/// MiB as the quantities take them. Spark sizes fit in 2^64 bytes, so their MiB fit an i64.
fn signed(mib: u64) -> i64 {
    i64::try_from(mib).unwrap_or(i64::MAX)
}

/// The driver pod's memory request in MiB: memory and overhead only, as Spark's
/// `BasicDriverFeatureStep` adds no PySpark or off-heap memory to the driver.
pub fn driver_mib(spec: &SparkApplicationSpec) -> Result<i64, RenderError> {
    pod_memory(&Manifest::new(spec), Role::Driver).map(|p| signed(p.total()))
}

/// The field of the executor memory limit.
const LIMIT_PATH: &str = "spec.executor.memoryLimit";

/// An executor pod's memory, honouring `spec.executor.memoryLimit`
/// ([`memory::executor_memory`]): a Spark size (`2g`) or a Kubernetes quantity (`2Gi`), as
/// kubeflow reads it. A limit below what Spark would request without it is refused.
pub fn executor_memory(spec: &SparkApplicationSpec) -> Result<ExecutorMemory, RenderError> {
    let m = Manifest::new(spec);
    pod_memory(&m, Role::Executor)?;
    let limit = spec.executor.memory_limit.as_deref();
    memory::executor_memory(&m, m.language(), MINIMUM, limit).map_err(|e| match e {
        ExecutorMemoryError::Invalid(e) => m.error(e),
        ExecutorMemoryError::Limit(message) => RenderError::field(LIMIT_PATH, message),
        ExecutorMemoryError::BelowMinimum(b) => {
            RenderError::field(LIMIT_PATH, b.message(limit.unwrap_or_default()))
        }
    })
}

/// One executor pod's memory request in MiB ([`executor_memory`]): what batch schedulers
/// reserve and ResourceQuotas count.
pub fn executor_mib(spec: &SparkApplicationSpec) -> Result<i64, RenderError> {
    executor_memory(spec).map(|m| signed(m.pod_mib))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(extra: serde_json::Value) -> SparkApplicationSpec {
        crate::fixtures::spec(&extra)
    }

    /// (name, spec, driver MiB, executor MiB). With nothing set a pod is 1024 MiB plus
    /// max(0.1 × 1024, 384) = 1408. Products are truncated (0.1 × 4096 = 409.6 → 409).
    type Case<'a> = (&'a str, serde_json::Value, i64, i64);

    #[test]
    fn sizes_and_settings_as_spark_reads_them() {
        let cases: &[Case] = &[
            // Bare numbers: MiB for memory and overhead, as Spark reads them.
            (
                // 2048 + max(204.8, 384) = 2432; 1536 + 384 = 1920
                "bare memory is MiB",
                json!({"driver": {"memory": "2048"}, "executor": {"memory": "1536"}}),
                2432,
                1920,
            ),
            (
                // 1024 + 256 = 1280; 1024 + 512 = 1536
                "bare memoryOverhead is MiB",
                json!({"driver": {"memoryOverhead": "256"}, "executor": {"memoryOverhead": "512"}}),
                1280,
                1536,
            ),
            (
                // 2G = 2048: 2048 + 384 = 2432; 1048576k = 1024: 1024 + 384 = 1408
                "suffixes in any case",
                json!({"driver": {"memory": "2G"}, "executor": {"memory": "1048576k"}}),
                2432,
                1408,
            ),
            (
                // 2147483648b = 2048: 2432; 1536MB + 1gb overhead = 1536 + 1024 = 2560
                "b, mb and gb",
                json!({"driver": {"memory": "2147483648b"},
                       "executor": {"memory": "1536MB", "memoryOverhead": "1gb"}}),
                2432,
                2560,
            ),
            (
                // 1tb = 1048576 + 104857 (0.1 × 1048576 = 104857.6) = 1153433
                "tb",
                json!({"driver": {"memory": "1tb"}}),
                1153433,
                1408,
            ),
            // Each sparkConf key.
            (
                // 4096 + 409 = 4505; executor untouched 1408
                "spark.driver.memory",
                json!({"sparkConf": {"spark.driver.memory": "4g"}}),
                4505,
                1408,
            ),
            (
                // bare 4096 MiB: 4096 + 409 = 4505
                "spark.executor.memory, bare",
                json!({"sparkConf": {"spark.executor.memory": "4096"}}),
                1408,
                4505,
            ),
            (
                // 1024 + 1024 = 2048
                "spark.driver.memoryOverhead",
                json!({"sparkConf": {"spark.driver.memoryOverhead": "1g"}}),
                2048,
                1408,
            ),
            (
                // bare 600 MiB: 1024 + 600 = 1624
                "spark.executor.memoryOverhead, bare",
                json!({"sparkConf": {"spark.executor.memoryOverhead": "600"}}),
                1408,
                1624,
            ),
            (
                // 2048 + 0.5 × 2048 = 3072; the executor keeps 0.1: 2048 + 384 = 2432
                "spark.driver.memoryOverheadFactor",
                json!({"driver": {"memory": "2g"}, "executor": {"memory": "2g"},
                       "sparkConf": {"spark.driver.memoryOverheadFactor": "0.5"}}),
                3072,
                2432,
            ),
            (
                // the driver keeps 0.1: 2432; 2048 + 1024 = 3072
                "spark.executor.memoryOverheadFactor",
                json!({"driver": {"memory": "2g"}, "executor": {"memory": "2g"},
                       "sparkConf": {"spark.executor.memoryOverheadFactor": "0.5"}}),
                2432,
                3072,
            ),
            (
                // both 2048 + 1024 = 3072
                "spark.kubernetes.memoryOverheadFactor",
                json!({"driver": {"memory": "2g"}, "executor": {"memory": "2g"},
                       "sparkConf": {"spark.kubernetes.memoryOverheadFactor": "0.5"}}),
                3072,
                3072,
            ),
            (
                // 1024 + 512 = 1536 on executors only
                "spark.memory.offHeap.enabled and size",
                json!({"sparkConf": {"spark.memory.offHeap.enabled": "TRUE",
                                     "spark.memory.offHeap.size": "512m"}}),
                1408,
                1920,
            ),
            (
                // a bare off-heap size is bytes: 1073741824 = 1024 MiB; 1408 + 1024 = 2432
                "spark.memory.offHeap.size, bare bytes",
                json!({"sparkConf": {"spark.memory.offHeap.enabled": "true",
                                     "spark.memory.offHeap.size": "1073741824"}}),
                1408,
                2432,
            ),
            (
                // 1500k = 1.46 MiB, floored to 1: 1408 + 1 = 1409
                "spark.memory.offHeap.size floored to MiB",
                json!({"sparkConf": {"spark.memory.offHeap.enabled": "true",
                                     "spark.memory.offHeap.size": "1500k"}}),
                1408,
                1409,
            ),
            (
                // disabled ("False" as Spark reads it): 1408
                "spark.memory.offHeap.enabled false",
                json!({"sparkConf": {"spark.memory.offHeap.enabled": "False",
                                     "spark.memory.offHeap.size": "1g"}}),
                1408,
                1408,
            ),
            (
                // Python, factor 0.4: 1024 + 409 = 1433; executor 1433 + 300 (bare MiB) = 1733
                "spark.executor.pyspark.memory, bare",
                json!({"type": "Python", "sparkConf": {"spark.executor.pyspark.memory": "300"}}),
                1433,
                1733,
            ),
            (
                // not Python: not counted, 1408
                "spark.executor.pyspark.memory, Scala",
                json!({"sparkConf": {"spark.executor.pyspark.memory": "1g"}}),
                1408,
                1408,
            ),
            // Precedence.
            (
                // the spec fields: 2048 + 384 = 2432; 512 + 384 = 896
                "memory: spec over sparkConf",
                json!({"driver": {"memory": "2g"}, "executor": {"memory": "512m"},
                       "sparkConf": {"spark.driver.memory": "8g", "spark.executor.memory": "8g"}}),
                2432,
                896,
            ),
            (
                // the spec fields: 1024 + 100 = 1124; 1024 + 200 = 1224
                "memoryOverhead: spec over sparkConf",
                json!({"driver": {"memoryOverhead": "100m"}, "executor": {"memoryOverhead": "200"},
                       "sparkConf": {"spark.driver.memoryOverhead": "1g",
                                     "spark.executor.memoryOverhead": "1g"}}),
                1124,
                1224,
            ),
            (
                // submit_args passes spec.memoryOverheadFactor before sparkConf, so sparkConf's
                // 0.5 wins over 0.2: 2048 + 1024 = 3072 each
                "memoryOverheadFactor: sparkConf over spec",
                json!({"memoryOverheadFactor": "0.2",
                       "driver": {"memory": "2g"}, "executor": {"memory": "2g"},
                       "sparkConf": {"spark.kubernetes.memoryOverheadFactor": "0.5"}}),
                3072,
                3072,
            ),
            (
                // spec factor alone: 2048 + 0.2 × 2048 = 2048 + 409 = 2457 each
                "memoryOverheadFactor: spec",
                json!({"memoryOverheadFactor": "0.2",
                       "driver": {"memory": "2g"}, "executor": {"memory": "2g"}}),
                2457,
                2457,
            ),
            (
                // the driver's own factor 0.2 wins over 0.5: 2048 + 409 = 2457; executor 0.5:
                // 2048 + 1024 = 3072
                "spark.driver.memoryOverheadFactor over spark.kubernetes.memoryOverheadFactor",
                json!({"driver": {"memory": "2g"}, "executor": {"memory": "2g"},
                       "sparkConf": {"spark.driver.memoryOverheadFactor": "0.2",
                                     "spark.kubernetes.memoryOverheadFactor": "0.5"}}),
                2457,
                3072,
            ),
            (
                // Python's default 0.4 replaced by 0.1: 2048 + max(204.8, 384) = 2432 each
                "spark.kubernetes.memoryOverheadFactor over Python's default",
                json!({"type": "Python", "driver": {"memory": "2g"}, "executor": {"memory": "2g"},
                       "sparkConf": {"spark.kubernetes.memoryOverheadFactor": "0.1"}}),
                2432,
                2432,
            ),
            (
                // a spec field wins, so a sparkConf value Spark would refuse is never read
                "spec over an unreadable sparkConf value",
                json!({"driver": {"memory": "1g"},
                       "sparkConf": {"spark.driver.memory": "1Gi"}}),
                1408,
                1408,
            ),
        ];
        for (name, extra, driver, executor) in cases {
            let s = spec(extra.clone());
            let got = (driver_mib(&s), executor_mib(&s));
            let got = (
                got.0.unwrap_or_else(|e| panic!("{name}: {e}")),
                got.1.unwrap_or_else(|e| panic!("{name}: {e}")),
            );
            assert_eq!(got, (*driver, *executor), "{name}");
        }
    }

    /// Anything but a Spark size (or a number, a boolean) fails, naming the field it was
    /// read from.
    #[test]
    fn unreadable_settings_name_their_field() {
        let cases = [
            (json!({"driver": {"memory": "1Gi"}}), "spec.driver.memory"),
            (json!({"driver": {"memory": "1.5g"}}), "spec.driver.memory"),
            (
                json!({"executor": {"memory": "12zb"}}),
                "spec.executor.memory",
            ),
            (
                json!({"executor": {"memoryOverhead": "512Mi"}}),
                "spec.executor.memoryOverhead",
            ),
            (
                json!({"sparkConf": {"spark.driver.memory": "1Gi"}}),
                "spec.sparkConf.spark.driver.memory",
            ),
            (
                json!({"sparkConf": {"spark.executor.memory": "-1g"}}),
                "spec.sparkConf.spark.executor.memory",
            ),
            (
                json!({"sparkConf": {"spark.driver.memoryOverhead": "lots"}}),
                "spec.sparkConf.spark.driver.memoryOverhead",
            ),
            (
                json!({"sparkConf": {"spark.executor.memoryOverhead": "1.5g"}}),
                "spec.sparkConf.spark.executor.memoryOverhead",
            ),
            (
                json!({"memoryOverheadFactor": "a tenth"}),
                "spec.memoryOverheadFactor",
            ),
            (
                json!({"sparkConf": {"spark.kubernetes.memoryOverheadFactor": "x"}}),
                "spec.sparkConf.spark.kubernetes.memoryOverheadFactor",
            ),
            (
                json!({"sparkConf": {"spark.driver.memoryOverheadFactor": "x"}}),
                "spec.sparkConf.spark.driver.memoryOverheadFactor",
            ),
            (
                json!({"sparkConf": {"spark.executor.memoryOverheadFactor": "x"}}),
                "spec.sparkConf.spark.executor.memoryOverheadFactor",
            ),
            (
                json!({"sparkConf": {"spark.memory.offHeap.enabled": "yes"}}),
                "spec.sparkConf.spark.memory.offHeap.enabled",
            ),
            (
                json!({"sparkConf": {"spark.memory.offHeap.enabled": "true",
                                     "spark.memory.offHeap.size": "1.5g"}}),
                "spec.sparkConf.spark.memory.offHeap.size",
            ),
            (
                json!({"type": "Python", "sparkConf": {"spark.executor.pyspark.memory": "1Gi"}}),
                "spec.sparkConf.spark.executor.pyspark.memory",
            ),
        ];
        for (extra, path) in cases {
            let s = spec(extra.clone());
            let e = driver_mib(&s).and_then(|_| executor_mib(&s)).unwrap_err();
            assert_eq!(e.path, path, "{extra}");
        }
    }

    /// When several settings are unreadable, the operator names the memory, then the
    /// overhead, then the factor (the native builder reads the factor before the overhead).
    #[test]
    fn the_first_unreadable_setting_is_named_in_the_operators_order() {
        let all = [
            ("spark.executor.memory", "x"),
            ("spark.executor.memoryOverhead", "x"),
            ("spark.executor.memoryOverheadFactor", "x"),
        ];
        for n in 0..all.len() {
            let conf: serde_json::Map<String, serde_json::Value> = all[n..]
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            let e = executor_mib(&spec(json!({ "sparkConf": conf }))).unwrap_err();
            assert_eq!(e.path, format!("spec.sparkConf.{}", all[n].0));
        }
    }

    /// (name, spec, executor pod MiB, overhead rendered for the limit). Without a limit an
    /// executor is 1024 MiB + max(0.1 × 1024, 384) = 1408; a limit sets the pod's memory and
    /// the overhead becomes limit − memory − off-heap − PySpark.
    type LimitCase<'a> = (&'a str, serde_json::Value, u64, u64);

    #[test]
    fn executor_memory_limit_sets_the_overhead() {
        let cases: &[LimitCase] = &[
            (
                // 2Gi = 2048 ≥ 1408; overhead 2048 − 1024 = 1024 (up from 384)
                "Kubernetes quantity above the default",
                json!({"executor": {"memoryLimit": "2Gi"}}),
                2048,
                1024,
            ),
            (
                // 2g is a Spark size: 2048 MiB as well; overhead 1024
                "Spark size",
                json!({"executor": {"memoryLimit": "2g"}}),
                2048,
                1024,
            ),
            (
                // exactly the default: 1408 − 1024 = 384, the overhead Spark would pick
                "limit equal to the default",
                json!({"executor": {"memoryLimit": "1408Mi"}}),
                1408,
                384,
            ),
            (
                // user overhead 512: minimum 1024 + 512 = 1536 ≤ 2048; overhead 2048 − 1024
                "limit with the user's overhead",
                json!({"executor": {"memoryLimit": "2g", "memoryOverhead": "512m"}}),
                2048,
                1024,
            ),
            (
                // user overhead 256, under the default 384 but explicit: minimum 1280, and a
                // limit of exactly 1280 is fine, overhead 256
                "limit equal to memory + the user's overhead",
                json!({"executor": {"memoryLimit": "1280Mi", "memoryOverhead": "256m"}}),
                1280,
                256,
            ),
            (
                // sparkConf overhead 600: minimum 1624 ≤ 3072; overhead 3072 − 1024 = 2048
                "limit with spark.executor.memoryOverhead",
                json!({"executor": {"memoryLimit": "3g"},
                       "sparkConf": {"spark.executor.memoryOverhead": "600"}}),
                3072,
                2048,
            ),
            (
                // memory 4096 from sparkConf: minimum 4096 + 409 = 4505 ≤ 5120; 5120 − 4096
                "limit with spark.executor.memory",
                json!({"executor": {"memoryLimit": "5Gi"},
                       "sparkConf": {"spark.executor.memory": "4g"}}),
                5120,
                1024,
            ),
            (
                // off-heap 512: minimum 1024 + 384 + 512 = 1920 ≤ 3072;
                // overhead 3072 − 1024 − 512 = 1536
                "limit with off-heap memory",
                json!({"executor": {"memoryLimit": "3g"},
                       "sparkConf": {"spark.memory.offHeap.enabled": "true",
                                     "spark.memory.offHeap.size": "512m"}}),
                3072,
                1536,
            ),
            (
                // Python, factor 0.4: 409; PySpark 300: minimum 1024 + 409 + 300 = 1733;
                // overhead 3072 − 1024 − 300 = 1748
                "limit with PySpark memory",
                json!({"type": "Python", "executor": {"memoryLimit": "3Gi"},
                       "sparkConf": {"spark.executor.pyspark.memory": "300"}}),
                3072,
                1748,
            ),
            (
                // Python, memory 2048, overhead 0.4 × 2048 = 819, off-heap 1024, PySpark 512:
                // minimum 4403 ≤ 6144; overhead 6144 − 2048 − 1024 − 512 = 2560
                "limit with off-heap and PySpark memory",
                json!({"type": "Python", "executor": {"memory": "2g", "memoryLimit": "6g"},
                       "sparkConf": {"spark.memory.offHeap.enabled": "true",
                                     "spark.memory.offHeap.size": "1g",
                                     "spark.executor.pyspark.memory": "512m"}}),
                6144,
                2560,
            ),
            (
                // 1500000000 bytes = 1430.5 MiB, floored to 1430 so the pod stays within it;
                // overhead 1430 − 1024 = 406
                "bytes floored to MiB",
                json!({"executor": {"memoryLimit": "1500000000"}}),
                1430,
                406,
            ),
            (
                // 1.5g reads as 1.5Gi (kubeflow's reading) = 1536; overhead 512
                "decimal Spark-like size",
                json!({"executor": {"memoryLimit": "1.5g"}}),
                1536,
                512,
            ),
        ];
        for (name, extra, pod, overhead) in cases {
            let s = spec(extra.clone());
            let got = executor_memory(&s).unwrap_or_else(|e| panic!("{name}: {e}"));
            let want = ExecutorMemory {
                pod_mib: *pod,
                overhead_for_limit: Some(*overhead),
            };
            assert_eq!(got, want, "{name}");
            // What batch schedulers and quotas see is the same number.
            assert_eq!(executor_mib(&s).ok(), i64::try_from(*pod).ok(), "{name}");
        }
    }

    #[test]
    fn no_executor_limit_derives_no_overhead_and_the_driver_limit_changes_nothing() {
        // The driver's limit works through its pod template; its request stays 1408.
        let s = spec(json!({"driver": {"memoryLimit": "4g"}}));
        let want = ExecutorMemory {
            pod_mib: 1408,
            overhead_for_limit: None,
        };
        assert_eq!(executor_memory(&s).ok(), Some(want));
        assert_eq!(driver_mib(&s).ok(), Some(1408));
    }

    /// A limit under what Spark would request without it is refused, naming the field and
    /// the minimum.
    #[test]
    fn executor_memory_limit_below_the_minimum_is_refused() {
        let cases = [
            (
                // 1024 + 384 = 1408 > 1024
                json!({"executor": {"memoryLimit": "1Gi"}}),
                "expected at least 1408Mi (memory 1024Mi + overhead 384Mi), got 1Gi",
            ),
            (
                // one MiB short of the default
                json!({"executor": {"memoryLimit": "1407Mi"}}),
                "expected at least 1408Mi (memory 1024Mi + overhead 384Mi), got 1407Mi",
            ),
            (
                // 1024 + 512 = 1536 > 1500
                json!({"executor": {"memoryLimit": "1500Mi", "memoryOverhead": "512m"}}),
                "expected at least 1536Mi (memory 1024Mi + overhead 512Mi), got 1500Mi",
            ),
            (
                // 1024 + 409 + 512 + 300 = 2245 > 2048
                json!({"type": "Python", "executor": {"memoryLimit": "2g"},
                       "sparkConf": {"spark.memory.offHeap.enabled": "true",
                                     "spark.memory.offHeap.size": "512m",
                                     "spark.executor.pyspark.memory": "300"}}),
                "expected at least 2245Mi (memory 1024Mi + overhead 409Mi + off-heap 512Mi \
                 + PySpark memory 300Mi), got 2g",
            ),
            (
                // negative: 0 MiB
                json!({"executor": {"memoryLimit": "-2Gi"}}),
                "expected at least 1408Mi (memory 1024Mi + overhead 384Mi), got -2Gi",
            ),
            (
                json!({"executor": {"memoryLimit": "lots"}}),
                "expected a memory limit",
            ),
        ];
        for (extra, message) in cases {
            let e = executor_memory(&spec(extra.clone())).unwrap_err();
            assert_eq!(e.path, "spec.executor.memoryLimit", "{extra}");
            assert!(e.message.starts_with(message), "{extra}: {}", e.message);
            assert_eq!(executor_mib(&spec(extra.clone())).ok(), None, "{extra}");
        }
    }
}
