//! The memory Spark requests for its driver and executor pods, in MiB, as Spark's
//! `BasicDriverFeatureStep` and `ResourceProfile` work it out: the memory, plus the
//! overhead or else the overhead factor's share (at least 384 MiB), plus for executors
//! PySpark memory (Python applications) and off-heap memory (when enabled). The arithmetic is
//! the native builder's ([`sparkplane_submit::memory`]).
//!
//! Each setting is read from its spec field or else sparkConf ([`super::spark_settings`]),
//! with Spark's grammar: a whole number with an optional case-insensitive suffix b, k, kb,
//! m, mb, g, gb, t, tb, p or pb. A bare number is MiB for the memory, the overhead and
//! PySpark memory, and bytes for `spark.memory.offHeap.size`, as in Spark. Each value is
//! floored to MiB, as Spark reads them. kubeflow's YuniKorn code refuses a bare number;
//! sparkplane reads it as Spark does. Anything else (`1Gi`, `1.5g`) is refused, naming the
//! field.

use sparkplane_api::v1beta2::{SparkApplicationSpec, SparkApplicationType};
use sparkplane_submit::memory::{default_overhead_factor, with_overhead_mib, MIN_OVERHEAD_MIB};

use super::spark_settings::{self, Pod};
use crate::render::RenderError;

/// Spark's default driver and executor memory, in MiB.
const DEFAULT_MEMORY_MIB: u64 = 1024;

/// The overhead factor of `pod`: `spark.{driver,executor}.memoryOverheadFactor`, else
/// Spark's default (`spark.kubernetes.memoryOverheadFactor`, else by application type).
fn overhead_factor(spec: &SparkApplicationSpec, pod: &Pod) -> Result<f64, RenderError> {
    if let Some(f) = pod.memory_overhead_factor() {
        return f.float();
    }
    let configured = spark_settings::kubernetes_overhead_factor(spec)
        .map(|f| f.float())
        .transpose()?;
    let jvm = matches!(
        spec.r#type,
        SparkApplicationType::Java | SparkApplicationType::Scala
    );
    Ok(default_overhead_factor(configured, jvm))
}

/// The pod's memory plus its overhead, in MiB.
fn memory_with_overhead(spec: &SparkApplicationSpec, pod: &Pod) -> Result<u64, RenderError> {
    let memory = match pod.memory() {
        Some(m) => m.mib()?,
        None => DEFAULT_MEMORY_MIB,
    };
    let overhead = pod.memory_overhead().map(|o| o.mib()).transpose()?;
    Ok(with_overhead_mib(
        memory,
        overhead,
        overhead_factor(spec, pod)?,
        MIN_OVERHEAD_MIB,
    ))
}

/// `spark.executor.pyspark.memory` of Python applications; a bare number means MiB.
fn pyspark_mib(spec: &SparkApplicationSpec) -> Result<u64, RenderError> {
    match spark_settings::conf(spec, "spark.executor.pyspark.memory") {
        Some(v) if spec.r#type == SparkApplicationType::Python => v.mib(),
        _ => Ok(0),
    }
}

/// `spark.memory.offHeap.size` when `spark.memory.offHeap.enabled` is true; a bare number
/// means bytes.
fn off_heap_mib(spec: &SparkApplicationSpec) -> Result<u64, RenderError> {
    let enabled = match spark_settings::conf(spec, "spark.memory.offHeap.enabled") {
        Some(e) => e.bool()?,
        None => false,
    };
    match spark_settings::conf(spec, "spark.memory.offHeap.size") {
        Some(size) if enabled => size.bytes_as_mib(),
        _ => Ok(0),
    }
}

/// MiB as the quantities take them. Spark sizes fit in 2^64 bytes, so their MiB fit an i64.
fn signed(mib: u64) -> i64 {
    i64::try_from(mib).unwrap_or(i64::MAX)
}

/// The driver pod's memory request in MiB: memory and overhead only, as Spark's
/// `BasicDriverFeatureStep` adds no PySpark or off-heap memory to the driver.
pub fn driver_mib(spec: &SparkApplicationSpec) -> Result<i64, RenderError> {
    memory_with_overhead(spec, &Pod::driver(spec)).map(signed)
}

/// One executor pod's memory request in MiB: memory, overhead, PySpark and off-heap memory,
/// the sum Spark's `ResourceProfile` makes (`totalMemMiB`).
pub fn executor_mib(spec: &SparkApplicationSpec) -> Result<i64, RenderError> {
    let total = memory_with_overhead(spec, &Pod::executor(spec))?
        .saturating_add(pyspark_mib(spec)?)
        .saturating_add(off_heap_mib(spec)?);
    Ok(signed(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(extra: serde_json::Value) -> SparkApplicationSpec {
        crate::render::fixtures::spec(&extra)
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
}
