//! The resource settings Spark sees for the driver and executor pods, read from the spec
//! fields and `sparkConf` with the precedence `submit_args` gives them on the spark-submit
//! command line:
//!
//! - A pod's `memory`, `memoryOverhead`, `cores` and `coreRequest`, and `executor.instances`,
//!   become `--conf` settings after sparkConf's, so a spec field wins over its sparkConf key
//!   (`spark.driver.memory`, `spark.kubernetes.executor.request.cores`, ...).
//! - `memoryOverheadFactor` becomes `spark.kubernetes.memoryOverheadFactor` before
//!   sparkConf's settings, so that key in sparkConf wins over the field.
//! - `spark.{driver,executor}.memoryOverheadFactor`, off-heap and PySpark memory exist in
//!   sparkConf only.
//!
//! Values are read with Spark's grammar for each key. A value Spark would refuse is an error
//! naming the field it came from (`spec.driver.memory` or `spec.sparkConf.spark.driver.memory`).

use sparkplane_api::quantity::{parse_spark_memory, parse_spark_memory_mib};
use sparkplane_api::v1beta2::{PodView, SparkApplicationSpec};

use super::quantity::Quantity;
use crate::render::submit_args::Role;
use crate::render::RenderError;

/// A setting's value and the field it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The value as written.
    pub value: String,
    /// The field, for errors.
    pub path: String,
}

impl Setting {
    fn error(&self, message: String) -> RenderError {
        RenderError::field(self.path.clone(), message)
    }

    /// MiB of a Spark size where a bare number means MiB (`spark.driver.memory`,
    /// `*.memoryOverhead`, `spark.executor.pyspark.memory`), floored to MiB as Spark does.
    pub fn mib(&self) -> Result<u64, RenderError> {
        parse_spark_memory_mib(&self.value).map_err(|e| self.error(e))
    }

    /// MiB of a Spark size where a bare number means bytes (`spark.memory.offHeap.size`),
    /// floored to MiB as Spark's `executorOffHeapMemorySizeAsMb` does.
    pub fn bytes_as_mib(&self) -> Result<u64, RenderError> {
        parse_spark_memory(&self.value)
            .map(|b| b >> 20)
            .map_err(|e| self.error(e))
    }

    /// A decimal number (an overhead factor).
    pub fn float(&self) -> Result<f64, RenderError> {
        self.value
            .trim()
            .parse::<f64>()
            .map_err(|_| self.error(format!("expected a decimal number, got {:?}", self.value)))
    }

    /// A whole number (cores, instances).
    pub fn int(&self) -> Result<i32, RenderError> {
        self.value
            .trim()
            .parse::<i32>()
            .map_err(|_| self.error(format!("expected a whole number, got {:?}", self.value)))
    }

    /// A boolean as Spark reads it: `true` or `false` in any case.
    pub fn bool(&self) -> Result<bool, RenderError> {
        match self.value.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.error(format!("expected true or false, got {:?}", self.value))),
        }
    }

    /// A Kubernetes CPU quantity (`spark.kubernetes.*.request.cores`).
    pub fn cpu(&self) -> Result<Quantity, RenderError> {
        Quantity::parse(&self.value).map_err(|e| self.error(e.to_string()))
    }
}

/// `key` as set in sparkConf.
pub fn conf(spec: &SparkApplicationSpec, key: &str) -> Option<Setting> {
    spec.spark_conf.get(key).map(|v| Setting {
        value: v.clone(),
        path: format!("spec.sparkConf.{key}"),
    })
}

/// The spec field at `path` when set, else `key` in sparkConf.
fn field_or_conf(
    spec: &SparkApplicationSpec,
    field: Option<String>,
    path: &str,
    key: &str,
) -> Option<Setting> {
    match field {
        Some(value) => Some(Setting {
            value,
            path: path.into(),
        }),
        None => conf(spec, key),
    }
}

/// `spark.kubernetes.memoryOverheadFactor`: sparkConf's, else `spec.memoryOverheadFactor`.
pub fn kubernetes_overhead_factor(spec: &SparkApplicationSpec) -> Option<Setting> {
    conf(spec, "spark.kubernetes.memoryOverheadFactor").or_else(|| {
        spec.memory_overhead_factor.clone().map(|value| Setting {
            value,
            path: "spec.memoryOverheadFactor".into(),
        })
    })
}

/// `spark.executor.instances`: `spec.executor.instances`, else sparkConf's unless empty (an
/// empty value counts as unset there, as in `submit_args`).
pub fn executor_instances(spec: &SparkApplicationSpec) -> Option<Setting> {
    field_or_conf(
        spec,
        spec.executor.instances.map(|n| n.to_string()),
        "spec.executor.instances",
        "spark.executor.instances",
    )
    .filter(|s| !s.value.is_empty())
}

/// The settings of the driver or the executors.
pub struct Pod<'a> {
    spec: &'a SparkApplicationSpec,
    role: Role,
    view: PodView<'a>,
}

impl<'a> Pod<'a> {
    /// The driver's settings.
    pub fn driver(spec: &'a SparkApplicationSpec) -> Self {
        Pod {
            spec,
            role: Role::Driver,
            view: Role::Driver.view(spec),
        }
    }

    /// The executors' settings.
    pub fn executor(spec: &'a SparkApplicationSpec) -> Self {
        Pod {
            spec,
            role: Role::Executor,
            view: Role::Executor.view(spec),
        }
    }

    fn field(&self, name: &str, value: Option<String>, key: &str) -> Option<Setting> {
        let r = self.role.conf_word();
        field_or_conf(self.spec, value, &format!("spec.{r}.{name}"), key)
    }

    /// `memory`, else `spark.{driver,executor}.memory`.
    pub fn memory(&self) -> Option<Setting> {
        let r = self.role.conf_word();
        self.field(
            "memory",
            self.view.memory.cloned(),
            &format!("spark.{r}.memory"),
        )
    }

    /// `memoryOverhead`, else `spark.{driver,executor}.memoryOverhead`.
    pub fn memory_overhead(&self) -> Option<Setting> {
        let r = self.role.conf_word();
        self.field(
            "memoryOverhead",
            self.view.memory_overhead.cloned(),
            &format!("spark.{r}.memoryOverhead"),
        )
    }

    /// `spark.{driver,executor}.memoryOverheadFactor` (sparkConf only).
    pub fn memory_overhead_factor(&self) -> Option<Setting> {
        let r = self.role.conf_word();
        conf(self.spec, &format!("spark.{r}.memoryOverheadFactor"))
    }

    /// `cores`, else `spark.{driver,executor}.cores`.
    pub fn cores(&self) -> Option<Setting> {
        let r = self.role.conf_word();
        self.field(
            "cores",
            self.view.cores.map(|n| n.to_string()),
            &format!("spark.{r}.cores"),
        )
    }

    /// `coreRequest`, else `spark.kubernetes.{driver,executor}.request.cores`.
    pub fn core_request(&self) -> Option<Setting> {
        let r = self.role.conf_word();
        self.field(
            "coreRequest",
            self.view.core_request.cloned(),
            &format!("spark.kubernetes.{r}.request.cores"),
        )
    }

    /// `coreLimit`, else `spark.kubernetes.{driver,executor}.limit.cores`.
    pub fn core_limit(&self) -> Option<Setting> {
        let r = self.role.conf_word();
        self.field(
            "coreLimit",
            self.view.core_limit.cloned(),
            &format!("spark.kubernetes.{r}.limit.cores"),
        )
    }

    /// The pod's CPU request as Spark writes it (`BasicDriverFeatureStep`,
    /// `BasicExecutorFeatureStep`): the request cores as written, else the cores, else 1.
    /// Also returned as a quantity, for sums.
    pub fn cpu(&self) -> Result<(String, Quantity), RenderError> {
        match (self.core_request(), self.cores()) {
            (Some(r), _) => r.cpu().map(|q| (r.value, q)),
            (None, Some(c)) => {
                let n = c.int()?;
                Ok((n.to_string(), Quantity::from_int(n.into())))
            }
            (None, None) => Ok(("1".into(), Quantity::from_int(1))),
        }
    }
}
