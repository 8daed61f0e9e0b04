//! The memory Spark requests for its driver and executor pods, in MiB, as Spark's
//! `BasicDriverFeatureStep` and `ResourceProfile` work it out: the memory, plus the
//! overhead or else the overhead factor's share (at least 384 MiB), plus for executors
//! PySpark memory (Python applications) and off-heap memory (when enabled). The arithmetic is
//! the native builder's ([`sparkplane_submit::memory`]).
//!
//! An executor's `memoryLimit` replaces that sum, through the overhead Spark is given
//! ([`executor_memory`]), so everything that counts executor memory sees the limit.
//!
//! Each setting is read from its spec field or else sparkConf ([`super::spark_settings`]),
//! with Spark's grammar: a whole number with an optional case-insensitive suffix b, k, kb,
//! m, mb, g, gb, t, tb, p or pb. A bare number is MiB for the memory, the overhead and
//! PySpark memory, and bytes for `spark.memory.offHeap.size`, as in Spark. Each value is
//! floored to MiB, as Spark reads them. kubeflow's YuniKorn code refuses a bare number;
//! sparkplane reads it as Spark does. Anything else (`1Gi`, `1.5g`) is refused, naming the
//! field.

use sparkplane_api::quantity::parse_memory_limit;
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

/// The pod's memory and its overhead, in MiB, each as Spark works it out.
fn memory_and_overhead(spec: &SparkApplicationSpec, pod: &Pod) -> Result<(u64, u64), RenderError> {
    let memory = match pod.memory() {
        Some(m) => m.mib()?,
        None => DEFAULT_MEMORY_MIB,
    };
    let overhead = pod.memory_overhead().map(|o| o.mib()).transpose()?;
    // The native builder's arithmetic gives the sum; the overhead is what it added.
    let total = with_overhead_mib(
        memory,
        overhead,
        overhead_factor(spec, pod)?,
        MIN_OVERHEAD_MIB,
    );
    Ok((memory, total.saturating_sub(memory)))
}

/// The pod's memory plus its overhead, in MiB.
fn memory_with_overhead(spec: &SparkApplicationSpec, pod: &Pod) -> Result<u64, RenderError> {
    let (memory, overhead) = memory_and_overhead(spec, pod)?;
    Ok(memory.saturating_add(overhead))
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

/// An executor pod's memory as Spark sets it: request and limit alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutorMemory {
    /// The pod's memory in MiB: memory, overhead, PySpark and off-heap memory, the sum
    /// Spark's `ResourceProfile` makes (`totalMemMiB`).
    pub pod_mib: u64,
    /// The overhead in MiB that makes the pod's memory equal `spec.executor.memoryLimit`;
    /// `None` when no limit is set.
    pub overhead_for_limit: Option<u64>,
}

/// MiB of `spec.executor.memoryLimit` when set: a Spark size (`2g`) or a Kubernetes
/// quantity (`2Gi`), as kubeflow reads it. Floored to MiB, because Spark counts memory in
/// whole MiB: the pod then stays within the limit asked for.
fn executor_limit_mib(spec: &SparkApplicationSpec) -> Result<Option<u64>, RenderError> {
    let Some(limit) = spec.executor.memory_limit.as_deref() else {
        return Ok(None);
    };
    let bytes = parse_memory_limit(limit)
        .map_err(|e| RenderError::field("spec.executor.memoryLimit", e))?;
    // A float to integer cast saturates, so a negative limit becomes 0 MiB and is refused
    // below as under the minimum.
    Ok(Some((bytes / MIB_BYTES).floor() as u64))
}

/// Bytes in a MiB.
const MIB_BYTES: f64 = 1_048_576.0;

/// An executor pod's memory, honouring `spec.executor.memoryLimit`.
///
/// Spark's `BasicExecutorFeatureStep` sets the executor container's memory request and limit
/// both to the sum it works out, over whatever the pod template says, and has no setting for
/// a limit of its own. So the only way to give executors the limit asked for is to raise the
/// overhead until the sum equals it: overhead = limit − memory − PySpark − off-heap. The
/// request rises with the limit (kubeflow's webhook raises only the limit).
///
/// A limit below what Spark would request without it (memory, the overhead set or else the
/// default one, PySpark, off-heap) is refused: kubeflow would make a pod whose limit is below
/// its request, which Kubernetes refuses, so no executor would ever start.
pub fn executor_memory(spec: &SparkApplicationSpec) -> Result<ExecutorMemory, RenderError> {
    let (memory, overhead) = memory_and_overhead(spec, &Pod::executor(spec))?;
    let pyspark = pyspark_mib(spec)?;
    let off_heap = off_heap_mib(spec)?;
    let minimum = memory
        .saturating_add(overhead)
        .saturating_add(pyspark)
        .saturating_add(off_heap);
    let Some(limit) = executor_limit_mib(spec)? else {
        return Ok(ExecutorMemory {
            pod_mib: minimum,
            overhead_for_limit: None,
        });
    };
    if limit < minimum {
        let mut parts = format!("memory {memory}Mi + overhead {overhead}Mi");
        if off_heap > 0 {
            parts.push_str(&format!(" + off-heap {off_heap}Mi"));
        }
        if pyspark > 0 {
            parts.push_str(&format!(" + PySpark memory {pyspark}Mi"));
        }
        let got = spec.executor.memory_limit.as_deref().unwrap_or_default();
        return Err(RenderError::field(
            "spec.executor.memoryLimit",
            format!(
                "expected at least {minimum}Mi ({parts}), got {got}: Spark sets an executor's \
                 memory request and limit both to that sum, and no lower"
            ),
        ));
    }
    // limit ≥ minimum ≥ memory + pyspark + off_heap, so nothing underflows.
    Ok(ExecutorMemory {
        pod_mib: limit,
        overhead_for_limit: Some(limit - memory - pyspark - off_heap),
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
