//! Spark's pod memory arithmetic: a pod requests its memory plus an overhead, which is
//! `memoryOverhead` when set, or else the overhead factor's share of the memory, at least a
//! minimum. The driver step ([`crate::features::basic`]) and the operator's batch-scheduler
//! reservations (the executors' share, as Spark's `ResourceProfile` works it out) both use it.

/// Spark's fixed minimum overhead in MiB (before Spark 4.0's `spark.*.minMemoryOverhead`).
pub const MIN_OVERHEAD_MIB: u64 = 384;

/// The overhead factor Spark uses when `spark.{driver,executor}.memoryOverheadFactor` is
/// not set: `spark.kubernetes.memoryOverheadFactor` (`configured`), else 0.1 for JVM
/// applications and 0.4 for Python and R. The driver passes it on to the executors.
pub fn default_overhead_factor(configured: Option<f64>, jvm: bool) -> f64 {
    match (configured, jvm) {
        (Some(f), _) => f,
        (None, true) => 0.1,
        (None, false) => 0.4,
    }
}

/// `memory` plus its overhead, in MiB: `overhead` when set, else `factor × memory`
/// truncated (Scala's `toInt`/`toLong`), at least `minimum`.
pub fn with_overhead_mib(memory: u64, overhead: Option<u64>, factor: f64, minimum: u64) -> u64 {
    let overhead = overhead.unwrap_or_else(|| ((factor * memory as f64) as u64).max(minimum));
    memory.saturating_add(overhead)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(default_overhead_factor(None, true), 0.1);
        assert_eq!(default_overhead_factor(None, false), 0.4);
        assert_eq!(default_overhead_factor(Some(0.3), true), 0.3);
    }
}
