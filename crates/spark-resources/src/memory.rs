//! Spark's pod memory, in MiB: a pod requests its memory plus an overhead, which is
//! `memoryOverhead` when set, or else the overhead factor's share of the memory, at least a
//! minimum (Spark's `BasicDriverFeatureStep` for the driver). An executor adds PySpark
//! memory (Python applications) and off-heap memory (when enabled), the sum Spark's
//! `ResourceProfile` makes. An executor memory limit replaces that sum through the overhead
//! ([`executor_memory`]).
//!
//! Sizes are read with Spark's grammar: a bare number is MiB for the memory, the overhead,
//! the minimum overhead and PySpark memory, and bytes for `spark.memory.offHeap.size`; each
//! is floored to MiB, as Spark reads them.

use sparkplane_api::quantity::parse_memory_limit;

use crate::keys::{
    KUBERNETES_MEMORY_OVERHEAD_FACTOR, OFF_HEAP_ENABLED, OFF_HEAP_SIZE, PYSPARK_MEMORY,
};
use crate::{
    read_boolean, read_bytes_as_mib, read_decimal, read_mib, Invalid, Language, Role, Settings,
};

/// Spark's fixed minimum overhead in MiB (before Spark 4.0's `spark.*.minMemoryOverhead`).
pub const MIN_OVERHEAD_MIB: u64 = 384;

/// Spark's default driver and executor memory, in MiB.
pub const DEFAULT_MEMORY_MIB: u64 = 1024;

/// Bytes in a MiB.
const MIB_BYTES: f64 = 1_048_576.0;

/// Where the minimum overhead comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinimumOverhead {
    /// Spark's fixed [`MIN_OVERHEAD_MIB`] (Spark before 4.0). The operator's reservations and
    /// quota check count this for every version.
    Fixed,
    /// `spark.{driver,executor}.minMemoryOverhead`, else [`MIN_OVERHEAD_MIB`] (Spark 4.0 on;
    /// the submission builder's driver).
    FromConf,
}

/// The overhead factor Spark uses when `spark.{driver,executor}.memoryOverheadFactor` is
/// not set: `spark.kubernetes.memoryOverheadFactor` (`configured`), else 0.1 for JVM
/// applications and 0.4 for Python and R. The driver passes it on to the executors.
pub fn default_factor(configured: Option<f64>, language: Language) -> f64 {
    match (configured, language) {
        (Some(f), _) => f,
        (None, Language::Jvm) => 0.1,
        (None, Language::Python | Language::R) => 0.4,
    }
}

/// `memory` plus its overhead, in MiB: `overhead` when set, else `factor × memory`
/// truncated (Scala's `toInt`/`toLong`), at least `minimum`.
pub fn with_overhead_mib(memory: u64, overhead: Option<u64>, factor: f64, minimum: u64) -> u64 {
    let overhead = overhead.unwrap_or_else(|| ((factor * memory as f64) as u64).max(minimum));
    memory.saturating_add(overhead)
}

/// The default overhead factor of `s` ([`default_factor`] of
/// `spark.kubernetes.memoryOverheadFactor`).
pub fn default_overhead_factor<S: Settings + ?Sized>(
    s: &S,
    language: Language,
) -> Result<f64, Invalid> {
    let configured = read_decimal(s, KUBERNETES_MEMORY_OVERHEAD_FACTOR)?;
    Ok(default_factor(configured, language))
}

/// The overhead factor of `role`: `spark.{driver,executor}.memoryOverheadFactor`, else the
/// default ([`default_overhead_factor`]).
pub fn overhead_factor<S: Settings + ?Sized>(
    s: &S,
    role: Role,
    language: Language,
) -> Result<f64, Invalid> {
    match read_decimal(s, role.memory_overhead_factor_key())? {
        Some(f) => Ok(f),
        None => default_overhead_factor(s, language),
    }
}

/// `spark.{driver,executor}.memory` in MiB, else Spark's default 1024.
pub fn memory_mib<S: Settings + ?Sized>(s: &S, role: Role) -> Result<u64, Invalid> {
    Ok(read_mib(s, role.memory_key())?.unwrap_or(DEFAULT_MEMORY_MIB))
}

/// `spark.{driver,executor}.memoryOverhead` in MiB, when set.
pub fn memory_overhead_mib<S: Settings + ?Sized>(
    s: &S,
    role: Role,
) -> Result<Option<u64>, Invalid> {
    read_mib(s, role.memory_overhead_key())
}

/// The least overhead Spark gives `role` when none is set.
pub fn minimum_overhead_mib<S: Settings + ?Sized>(
    s: &S,
    role: Role,
    minimum: MinimumOverhead,
) -> Result<u64, Invalid> {
    match minimum {
        MinimumOverhead::Fixed => Ok(MIN_OVERHEAD_MIB),
        MinimumOverhead::FromConf => {
            Ok(read_mib(s, role.min_memory_overhead_key())?.unwrap_or(MIN_OVERHEAD_MIB))
        }
    }
}

/// A pod's memory and the overhead Spark adds to it, in MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodMemory {
    /// The JVM's memory (`spark.{driver,executor}.memory`).
    pub memory: u64,
    /// The overhead: set, or the factor's share at least the minimum.
    pub overhead: u64,
}

impl PodMemory {
    /// Memory plus overhead: the driver pod's request and limit.
    pub fn total(self) -> u64 {
        self.memory.saturating_add(self.overhead)
    }
}

/// The memory and overhead of `role`'s pod, reading the settings in the order Spark's
/// `BasicDriverFeatureStep` does: memory, factor, minimum, overhead (so when several are
/// unreadable, the first in that order is the error).
pub fn pod_memory<S: Settings + ?Sized>(
    s: &S,
    role: Role,
    language: Language,
    minimum: MinimumOverhead,
) -> Result<PodMemory, Invalid> {
    let memory = memory_mib(s, role)?;
    let factor = overhead_factor(s, role, language)?;
    let minimum = minimum_overhead_mib(s, role, minimum)?;
    let overhead = memory_overhead_mib(s, role)?;
    let total = with_overhead_mib(memory, overhead, factor, minimum);
    Ok(PodMemory {
        memory,
        overhead: total.saturating_sub(memory),
    })
}

/// `spark.executor.pyspark.memory` of Python applications, in MiB (a bare number is MiB);
/// 0 for the others, which do not read it.
pub fn pyspark_mib<S: Settings + ?Sized>(s: &S, language: Language) -> Result<u64, Invalid> {
    match language {
        Language::Python => Ok(read_mib(s, PYSPARK_MEMORY)?.unwrap_or(0)),
        Language::Jvm | Language::R => Ok(0),
    }
}

/// `spark.memory.offHeap.size` in MiB when `spark.memory.offHeap.enabled` is true (a bare
/// size is bytes); else 0, and the size is not read.
pub fn off_heap_mib<S: Settings + ?Sized>(s: &S) -> Result<u64, Invalid> {
    if read_boolean(s, OFF_HEAP_ENABLED)?.unwrap_or(false) {
        Ok(read_bytes_as_mib(s, OFF_HEAP_SIZE)?.unwrap_or(0))
    } else {
        Ok(0)
    }
}

/// MiB of a `memoryLimit` as the kubeflow operator reads it (a Spark size such as `2g` or a
/// Kubernetes quantity such as `2Gi`), floored to MiB because Spark counts memory in whole
/// MiB: a pod sized from it stays within the limit asked for. A negative limit is 0 MiB (a
/// float to integer cast saturates).
pub fn memory_limit_mib(written: &str) -> Result<u64, String> {
    let bytes = parse_memory_limit(written)?;
    Ok((bytes / MIB_BYTES).floor() as u64)
}

/// An executor pod's memory as Spark sets it: request and limit alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutorMemory {
    /// The pod's memory in MiB: memory, overhead, PySpark and off-heap memory, the sum
    /// Spark's `ResourceProfile` makes (`totalMemMiB`).
    pub pod_mib: u64,
    /// The overhead in MiB that makes the pod's memory equal the memory limit; `None` when
    /// no limit is set.
    pub overhead_for_limit: Option<u64>,
}

/// An executor memory limit below what Spark would request without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BelowMinimum {
    /// What Spark would request: the sum of the four parts.
    pub minimum: u64,
    /// The memory.
    pub memory: u64,
    /// The overhead (set, or the default one).
    pub overhead: u64,
    /// Off-heap memory.
    pub off_heap: u64,
    /// PySpark memory.
    pub pyspark: u64,
}

impl BelowMinimum {
    /// The refusal of the limit `written`.
    pub fn message(&self, written: &str) -> String {
        let mut parts = format!("memory {}Mi + overhead {}Mi", self.memory, self.overhead);
        if self.off_heap > 0 {
            parts.push_str(&format!(" + off-heap {}Mi", self.off_heap));
        }
        if self.pyspark > 0 {
            parts.push_str(&format!(" + PySpark memory {}Mi", self.pyspark));
        }
        format!(
            "expected at least {}Mi ({parts}), got {written}: Spark sets an executor's \
             memory request and limit both to that sum, and no lower",
            self.minimum
        )
    }
}

/// Why an executor's memory cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutorMemoryError {
    /// A setting Spark would refuse.
    Invalid(Invalid),
    /// The memory limit is not a memory limit ([`memory_limit_mib`]'s message).
    Limit(String),
    /// The memory limit is below what Spark would request without it.
    BelowMinimum(BelowMinimum),
}

impl From<Invalid> for ExecutorMemoryError {
    fn from(e: Invalid) -> Self {
        ExecutorMemoryError::Invalid(e)
    }
}

/// An executor pod's memory, honouring the memory limit `limit` (as written) when set.
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
///
/// Read in order: the pod's memory and overhead ([`pod_memory`]), PySpark memory, off-heap
/// memory, the limit.
pub fn executor_memory<S: Settings + ?Sized>(
    s: &S,
    language: Language,
    minimum: MinimumOverhead,
    limit: Option<&str>,
) -> Result<ExecutorMemory, ExecutorMemoryError> {
    let PodMemory { memory, overhead } = pod_memory(s, Role::Executor, language, minimum)?;
    let pyspark = pyspark_mib(s, language)?;
    let off_heap = off_heap_mib(s)?;
    let least = memory
        .saturating_add(overhead)
        .saturating_add(pyspark)
        .saturating_add(off_heap);
    let Some(limit) = limit else {
        return Ok(ExecutorMemory {
            pod_mib: least,
            overhead_for_limit: None,
        });
    };
    let limit = memory_limit_mib(limit).map_err(ExecutorMemoryError::Limit)?;
    if limit < least {
        return Err(ExecutorMemoryError::BelowMinimum(BelowMinimum {
            minimum: least,
            memory,
            overhead,
            off_heap,
            pyspark,
        }));
    }
    // limit ≥ least ≥ memory + pyspark + off_heap, so nothing underflows.
    Ok(ExecutorMemory {
        pod_mib: limit,
        overhead_for_limit: Some(limit - memory - pyspark - off_heap),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf;

    // Moved from `sparkplane-submit`'s `memory` module with its cases.
    #[test]
    fn overhead_rules() {
        // (memory, overhead, factor, minimum, want)
        let cases: &[(u64, Option<u64>, f64, u64, u64)] = &[
            (1024, None, 0.1, 384, 1408),      // 102.4 < 384
            (8192, None, 0.1, 384, 9011),      // 819.2 truncated to 819
            (2048, None, 0.4, 384, 2867),      // 819.2 truncated to 819
            (1024, Some(256), 0.1, 384, 1280), // explicit overhead, even under the minimum
            (1024, None, 0.1, 512, 1536),      // a raised minimum
        ];
        for &(m, o, f, min, want) in cases {
            assert_eq!(with_overhead_mib(m, o, f, min), want, "{m} {o:?} {f} {min}");
        }
        assert_eq!(default_factor(None, Language::Jvm), 0.1);
        assert_eq!(default_factor(None, Language::Python), 0.4);
        assert_eq!(default_factor(Some(0.3), Language::Jvm), 0.3);
    }

    /// (name, settings, language, minimum rule, driver MiB). With nothing set a pod is
    /// 1024 MiB plus max(0.1 × 1024, 384) = 1408.
    type DriverCase<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        Language,
        MinimumOverhead,
        u64,
    );

    #[test]
    fn driver_memory_by_setting_and_version() {
        use Language::*;
        use MinimumOverhead::*;
        let cases: &[DriverCase] = &[
            ("nothing set", &[], Jvm, Fixed, 1408),
            // 1024 + max(409.6, 384) = 1433
            ("Python's factor", &[], Python, Fixed, 1433),
            ("R's factor", &[], R, Fixed, 1433),
            // 4096 + 409 = 4505
            ("memory", &[("spark.driver.memory", "4g")], Jvm, Fixed, 4505),
            (
                "overhead",
                &[("spark.driver.memoryOverhead", "256")],
                Jvm,
                Fixed,
                1280,
            ),
            (
                // 2048 + 0.5 × 2048
                "own factor over the Kubernetes one",
                &[
                    ("spark.driver.memory", "2g"),
                    ("spark.driver.memoryOverheadFactor", "0.5"),
                    ("spark.kubernetes.memoryOverheadFactor", "0.2"),
                ],
                Jvm,
                Fixed,
                3072,
            ),
            (
                // 2048 + max(204.8, 384)
                "the Kubernetes factor over Python's default",
                &[
                    ("spark.driver.memory", "2g"),
                    ("spark.kubernetes.memoryOverheadFactor", "0.1"),
                ],
                Python,
                Fixed,
                2432,
            ),
            (
                "a minimum before Spark 4.0 is not read",
                &[("spark.driver.minMemoryOverhead", "512m")],
                Jvm,
                Fixed,
                1408,
            ),
            (
                "a minimum from Spark 4.0",
                &[("spark.driver.minMemoryOverhead", "512m")],
                Jvm,
                FromConf,
                1536,
            ),
            (
                "the executor's minimum is not the driver's",
                &[("spark.executor.minMemoryOverhead", "512m")],
                Jvm,
                FromConf,
                1408,
            ),
        ];
        for (name, settings, language, minimum, want) in cases {
            let got = pod_memory(&conf(settings), Role::Driver, *language, *minimum)
                .map(PodMemory::total);
            assert_eq!(got, Ok(*want), "{name}");
        }
    }

    #[test]
    fn reading_order_names_the_first_unreadable_setting() {
        let all = [
            ("spark.driver.memory", "x"),
            ("spark.driver.memoryOverheadFactor", "x"),
            ("spark.driver.minMemoryOverhead", "x"),
            ("spark.driver.memoryOverhead", "x"),
        ];
        for n in 0..all.len() {
            let c = conf(&all[n..]);
            let e =
                pod_memory(&c, Role::Driver, Language::Jvm, MinimumOverhead::FromConf).unwrap_err();
            assert_eq!(e.key, all[n].0);
        }
    }

    /// (name, settings, language, limit, executor pod MiB, overhead for the limit).
    type ExecutorCase<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        Language,
        Option<&'a str>,
        u64,
        Option<u64>,
    );

    #[test]
    fn executor_memory_adds_pyspark_and_off_heap_and_honours_a_limit() {
        use Language::*;
        let cases: &[ExecutorCase] = &[
            ("nothing set", &[], Jvm, None, 1408, None),
            (
                "off-heap",
                &[
                    ("spark.memory.offHeap.enabled", "TRUE"),
                    ("spark.memory.offHeap.size", "512m"),
                ],
                Jvm,
                None,
                1920,
                None,
            ),
            (
                "off-heap disabled: the size is not read",
                &[
                    ("spark.memory.offHeap.enabled", "False"),
                    ("spark.memory.offHeap.size", "lots"),
                ],
                Jvm,
                None,
                1408,
                None,
            ),
            (
                // 1024 + 409 + 300
                "PySpark memory, Python",
                &[("spark.executor.pyspark.memory", "300")],
                Python,
                None,
                1733,
                None,
            ),
            (
                "PySpark memory, JVM: not read",
                &[("spark.executor.pyspark.memory", "lots")],
                Jvm,
                None,
                1408,
                None,
            ),
            ("limit", &[], Jvm, Some("2Gi"), 2048, Some(1024)),
            (
                // 6144 − 2048 − 1024 − 512
                "limit with off-heap and PySpark memory",
                &[
                    ("spark.executor.memory", "2g"),
                    ("spark.memory.offHeap.enabled", "true"),
                    ("spark.memory.offHeap.size", "1g"),
                    ("spark.executor.pyspark.memory", "512m"),
                ],
                Python,
                Some("6g"),
                6144,
                Some(2560),
            ),
        ];
        for (name, settings, language, limit, pod, overhead) in cases {
            let got = executor_memory(&conf(settings), *language, MinimumOverhead::Fixed, *limit);
            let want = ExecutorMemory {
                pod_mib: *pod,
                overhead_for_limit: *overhead,
            };
            assert_eq!(got, Ok(want), "{name}");
        }
    }

    #[test]
    fn a_limit_below_the_minimum_or_unreadable_is_refused() {
        let c = conf(&[
            ("spark.memory.offHeap.enabled", "true"),
            ("spark.memory.offHeap.size", "512m"),
            ("spark.executor.pyspark.memory", "300"),
        ]);
        match executor_memory(&c, Language::Python, MinimumOverhead::Fixed, Some("2g")) {
            Err(ExecutorMemoryError::BelowMinimum(b)) => assert_eq!(
                b.message("2g"),
                "expected at least 2245Mi (memory 1024Mi + overhead 409Mi + off-heap 512Mi \
                 + PySpark memory 300Mi), got 2g: Spark sets an executor's memory request and \
                 limit both to that sum, and no lower"
            ),
            other => panic!("{other:?}"),
        }
        let none = conf(&[]);
        match executor_memory(&none, Language::Jvm, MinimumOverhead::Fixed, Some("lots")) {
            Err(ExecutorMemoryError::Limit(m)) => assert!(m.starts_with("expected a memory limit")),
            other => panic!("{other:?}"),
        }
        assert_eq!(memory_limit_mib("1500000000"), Ok(1430));
        assert_eq!(memory_limit_mib("-2Gi"), Ok(0));
    }
}
