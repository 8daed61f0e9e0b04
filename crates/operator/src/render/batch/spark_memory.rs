//! The memory Spark requests for its driver and executor pods, in MiB, as Spark's
//! `BasicDriverFeatureStep` and `ResourceProfile` work it out: `memory` read as a Spark size,
//! plus `memoryOverhead` or else the overhead factor's share (at least 384 MiB), plus for
//! executors PySpark memory (Python applications) and off-heap memory (when enabled).
//!
//! Sizes are read as kubeflow's `internal/scheduler/yunikorn/resourceusage` reads them
//! (`byteStringAsBytes`): a unit is required, and the sum is floored to MiB at the end.
//! YuniKorn's task groups carry these values as kubeflow computes them, and the PodGroups of
//! Volcano and scheduler-plugins reserve them.

use sparkplane_api::v1beta2::{SparkApplicationSpec, SparkApplicationType};

use crate::render::RenderError;

/// Spark's smallest memory overhead.
const MIN_OVERHEAD: f64 = (384u64 << 20) as f64;

/// Bytes of a Spark size as kubeflow's `byteStringAsBytes` reads it: digits and a
/// case-insensitive suffix b, k, kb, m, mb, g, gb, t, tb, p, pb. Unlike Spark, a bare number
/// is refused.
fn java_bytes(s: &str) -> Option<i64> {
    let lower = s.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, suffix) = lower.split_at(split);
    let shift = match suffix {
        "b" => 0,
        "k" | "kb" => 10,
        "m" | "mb" => 20,
        "g" | "gb" => 30,
        "t" | "tb" => 40,
        "p" | "pb" => 50,
        _ => return None,
    };
    digits.parse::<i64>().ok()?.checked_mul(1 << shift)
}

fn bytes_of(path: String, s: &str) -> Result<i64, RenderError> {
    java_bytes(s).ok_or_else(|| {
        RenderError::field(
            path,
            format!("expected a Spark size with a unit (such as 512m or 2g), got {s:?}"),
        )
    })
}

fn overhead_factor(spec: &SparkApplicationSpec) -> Result<f64, RenderError> {
    match &spec.memory_overhead_factor {
        Some(f) => f.parse::<f64>().map_err(|_| {
            RenderError::field(
                "spec.memoryOverheadFactor",
                format!("expected a decimal number, got {f:?}"),
            )
        }),
        None => Ok(match spec.r#type {
            SparkApplicationType::Java | SparkApplicationType::Scala => 0.1,
            SparkApplicationType::Python | SparkApplicationType::R => 0.4,
        }),
    }
}

/// Memory plus overhead, in bytes.
fn memory_bytes(
    role: &str,
    memory: Option<&String>,
    overhead: Option<&String>,
    factor: f64,
) -> Result<i64, RenderError> {
    let memory = match memory {
        Some(m) => bytes_of(format!("spec.{role}.memory"), m)?,
        None => 0,
    };
    let overhead = match overhead {
        Some(o) => bytes_of(format!("spec.{role}.memoryOverhead"), o)?,
        // Go converts the float back with int64(), which truncates as `as` does.
        None => (memory as f64 * factor).max(MIN_OVERHEAD) as i64,
    };
    Ok(memory + overhead)
}

/// `spark.executor.pyspark.memory` of Python applications; a bare number means MiB.
fn pyspark_bytes(spec: &SparkApplicationSpec) -> Result<i64, RenderError> {
    let key = "spark.executor.pyspark.memory";
    match spec.spark_conf.get(key) {
        Some(v) if spec.r#type == SparkApplicationType::Python => {
            let v = if v.parse::<i64>().is_ok() {
                format!("{v}m")
            } else {
                v.clone()
            };
            bytes_of(format!("spec.sparkConf.{key}"), &v)
        }
        _ => Ok(0),
    }
}

/// `spark.memory.offHeap.size` unless off-heap memory is absent or `false`.
fn off_heap_bytes(spec: &SparkApplicationSpec) -> Result<i64, RenderError> {
    let conf = &spec.spark_conf;
    match (
        conf.get("spark.memory.offHeap.enabled").map(String::as_str),
        conf.get("spark.memory.offHeap.size"),
    ) {
        (None | Some("false"), _) | (_, None) => Ok(0),
        (_, Some(size)) => bytes_of("spec.sparkConf.spark.memory.offHeap.size".into(), size),
    }
}

/// Floored to MiB even above a GiB, as Spark writes pod memory.
fn mib(bytes: i64) -> i64 {
    bytes / 1024 / 1024
}

/// The driver pod's memory request in MiB: memory and overhead only, as Spark's
/// `BasicDriverFeatureStep` adds no PySpark or off-heap memory to the driver.
pub fn driver_mib(spec: &SparkApplicationSpec) -> Result<i64, RenderError> {
    let d = &spec.driver;
    let bytes = memory_bytes(
        "driver",
        d.memory.as_ref(),
        d.memory_overhead.as_ref(),
        overhead_factor(spec)?,
    )?;
    Ok(mib(bytes))
}

/// One executor pod's memory request in MiB: memory, overhead, PySpark and off-heap memory,
/// the sum Spark's `ResourceProfile` makes (`totalMemMiB`).
pub fn executor_mib(spec: &SparkApplicationSpec) -> Result<i64, RenderError> {
    let e = &spec.executor;
    let bytes = memory_bytes(
        "executor",
        e.memory.as_ref(),
        e.memory_overhead.as_ref(),
        overhead_factor(spec)?,
    )? + pyspark_bytes(spec)?
        + off_heap_bytes(spec)?;
    Ok(mib(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_sizes_as_kubeflow_reads_them() {
        let cases: &[(&str, Option<i64>)] = &[
            ("512m", Some(512 << 20)),
            ("512MB", Some(512 << 20)),
            ("8g", Some(8 << 30)),
            ("1b", Some(1)),
            ("2k", Some(2048)),
            ("1024", None),
            ("1.5g", None),
            ("1Gi", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(java_bytes(s), *want, "{s}");
        }
    }
}
