//! The Spark configuration keys of pod resources. Every crate names them through these
//! constants (and [`Role`]'s methods), never as string literals of its own.

use crate::Role;

/// `spark.driver.memory`.
pub const DRIVER_MEMORY: &str = "spark.driver.memory";
/// `spark.executor.memory`.
pub const EXECUTOR_MEMORY: &str = "spark.executor.memory";
/// `spark.driver.memoryOverhead`.
pub const DRIVER_MEMORY_OVERHEAD: &str = "spark.driver.memoryOverhead";
/// `spark.executor.memoryOverhead`.
pub const EXECUTOR_MEMORY_OVERHEAD: &str = "spark.executor.memoryOverhead";
/// `spark.driver.memoryOverheadFactor`.
pub const DRIVER_MEMORY_OVERHEAD_FACTOR: &str = "spark.driver.memoryOverheadFactor";
/// `spark.executor.memoryOverheadFactor`.
pub const EXECUTOR_MEMORY_OVERHEAD_FACTOR: &str = "spark.executor.memoryOverheadFactor";
/// `spark.driver.minMemoryOverhead` (read from Spark 4.0).
pub const DRIVER_MIN_MEMORY_OVERHEAD: &str = "spark.driver.minMemoryOverhead";
/// `spark.executor.minMemoryOverhead` (read from Spark 4.0).
pub const EXECUTOR_MIN_MEMORY_OVERHEAD: &str = "spark.executor.minMemoryOverhead";
/// `spark.kubernetes.memoryOverheadFactor`: the factor of both roles unless their own is
/// set; the driver passes its value on to the executors.
pub const KUBERNETES_MEMORY_OVERHEAD_FACTOR: &str = "spark.kubernetes.memoryOverheadFactor";
/// `spark.executor.pyspark.memory`.
pub const PYSPARK_MEMORY: &str = "spark.executor.pyspark.memory";
/// `spark.memory.offHeap.enabled`.
pub const OFF_HEAP_ENABLED: &str = "spark.memory.offHeap.enabled";
/// `spark.memory.offHeap.size`.
pub const OFF_HEAP_SIZE: &str = "spark.memory.offHeap.size";
/// `spark.driver.cores`.
pub const DRIVER_CORES: &str = "spark.driver.cores";
/// `spark.executor.cores`.
pub const EXECUTOR_CORES: &str = "spark.executor.cores";
/// `spark.kubernetes.driver.request.cores`.
pub const DRIVER_REQUEST_CORES: &str = "spark.kubernetes.driver.request.cores";
/// `spark.kubernetes.executor.request.cores`.
pub const EXECUTOR_REQUEST_CORES: &str = "spark.kubernetes.executor.request.cores";
/// `spark.kubernetes.driver.limit.cores`.
pub const DRIVER_LIMIT_CORES: &str = "spark.kubernetes.driver.limit.cores";
/// `spark.kubernetes.executor.limit.cores`.
pub const EXECUTOR_LIMIT_CORES: &str = "spark.kubernetes.executor.limit.cores";
/// `spark.executor.instances`.
pub const EXECUTOR_INSTANCES: &str = "spark.executor.instances";
/// `spark.cores.max`: the cores a standalone application takes at most.
pub const CORES_MAX: &str = "spark.cores.max";

impl Role {
    /// `spark.{driver,executor}.memory`.
    pub fn memory_key(self) -> &'static str {
        match self {
            Role::Driver => DRIVER_MEMORY,
            Role::Executor => EXECUTOR_MEMORY,
        }
    }

    /// `spark.{driver,executor}.memoryOverhead`.
    pub fn memory_overhead_key(self) -> &'static str {
        match self {
            Role::Driver => DRIVER_MEMORY_OVERHEAD,
            Role::Executor => EXECUTOR_MEMORY_OVERHEAD,
        }
    }

    /// `spark.{driver,executor}.memoryOverheadFactor`.
    pub fn memory_overhead_factor_key(self) -> &'static str {
        match self {
            Role::Driver => DRIVER_MEMORY_OVERHEAD_FACTOR,
            Role::Executor => EXECUTOR_MEMORY_OVERHEAD_FACTOR,
        }
    }

    /// `spark.{driver,executor}.minMemoryOverhead`.
    pub fn min_memory_overhead_key(self) -> &'static str {
        match self {
            Role::Driver => DRIVER_MIN_MEMORY_OVERHEAD,
            Role::Executor => EXECUTOR_MIN_MEMORY_OVERHEAD,
        }
    }

    /// `spark.{driver,executor}.cores`.
    pub fn cores_key(self) -> &'static str {
        match self {
            Role::Driver => DRIVER_CORES,
            Role::Executor => EXECUTOR_CORES,
        }
    }

    /// `spark.kubernetes.{driver,executor}.request.cores`.
    pub fn request_cores_key(self) -> &'static str {
        match self {
            Role::Driver => DRIVER_REQUEST_CORES,
            Role::Executor => EXECUTOR_REQUEST_CORES,
        }
    }

    /// `spark.kubernetes.{driver,executor}.limit.cores`.
    pub fn limit_cores_key(self) -> &'static str {
        match self {
            Role::Driver => DRIVER_LIMIT_CORES,
            Role::Executor => EXECUTOR_LIMIT_CORES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_keys_spell_the_role() {
        for role in [Role::Driver, Role::Executor] {
            let r = role.word();
            assert_eq!(role.memory_key(), format!("spark.{r}.memory"));
            assert_eq!(
                role.memory_overhead_key(),
                format!("spark.{r}.memoryOverhead")
            );
            assert_eq!(
                role.memory_overhead_factor_key(),
                format!("spark.{r}.memoryOverheadFactor")
            );
            assert_eq!(
                role.min_memory_overhead_key(),
                format!("spark.{r}.minMemoryOverhead")
            );
            assert_eq!(role.cores_key(), format!("spark.{r}.cores"));
            assert_eq!(
                role.request_cores_key(),
                format!("spark.kubernetes.{r}.request.cores")
            );
            assert_eq!(
                role.limit_cores_key(),
                format!("spark.kubernetes.{r}.limit.cores")
            );
        }
    }
}
