//! The Spark configuration a manifest gives the driver and executor pods, as
//! `sparkplane-spark-resources` reads it ([`Manifest`], its [`Settings`]): the spec fields and
//! `sparkConf` with the precedence `submit_args` gives them on the spark-submit command line:
//!
//! - A pod's `memory`, `memoryOverhead`, `cores`, `coreRequest` and `coreLimit`, and
//!   `executor.instances`, become `--conf` settings after sparkConf's, so a spec field wins
//!   over its sparkConf key (`spark.driver.memory`, `spark.kubernetes.executor.request.cores`,
//!   ...).
//! - `memoryOverheadFactor` becomes `spark.kubernetes.memoryOverheadFactor` before
//!   sparkConf's settings, so that key in sparkConf wins over the field.
//! - Every other key (`spark.{driver,executor}.memoryOverheadFactor`, off-heap and PySpark
//!   memory) exists in sparkConf only.
//!
//! A value Spark would refuse is an error naming the field it came from (`spec.driver.memory`
//! or `spec.sparkConf.spark.driver.memory`), in the arithmetic's words.

use std::borrow::Cow;

use sparkplane_api::v1beta2::{SparkApplicationSpec, SparkApplicationType};
use sparkplane_spark_resources::cores::{self, CpuRequest};
use sparkplane_spark_resources::keys::{EXECUTOR_INSTANCES, KUBERNETES_MEMORY_OVERHEAD_FACTOR};
use sparkplane_spark_resources::{Invalid, Language, Settings};

use super::quantity::Quantity;
use crate::submit_args::Role;
use crate::RenderError;

/// A setting's value and the field it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The value as written.
    pub value: String,
    /// The field, for errors.
    pub path: String,
}

impl Setting {
    /// `spec.{path}` when the field is set, else `key` in sparkConf.
    fn field_or_conf(
        spec: &SparkApplicationSpec,
        field: Option<String>,
        path: String,
        key: &str,
    ) -> Option<Setting> {
        match field {
            Some(value) => Some(Setting { value, path }),
            None => conf(spec, key),
        }
    }
}

/// `key` as set in sparkConf.
fn conf(spec: &SparkApplicationSpec, key: &str) -> Option<Setting> {
    spec.spark_conf.get(key).map(|v| Setting {
        value: v.clone(),
        path: format!("spec.sparkConf.{key}"),
    })
}

/// The Spark configuration of a manifest, for the resource arithmetic.
pub struct Manifest<'a> {
    spec: &'a SparkApplicationSpec,
}

impl<'a> Manifest<'a> {
    /// The configuration of `spec`.
    pub fn new(spec: &'a SparkApplicationSpec) -> Self {
        Manifest { spec }
    }

    /// The application's language, from `spec.type`.
    pub fn language(&self) -> Language {
        match self.spec.r#type {
            SparkApplicationType::Java | SparkApplicationType::Scala => Language::Jvm,
            SparkApplicationType::Python => Language::Python,
            SparkApplicationType::R => Language::R,
        }
    }

    /// `key` and the field it comes from, when set.
    pub fn setting(&self, key: &str) -> Option<Setting> {
        let spec = self.spec;
        for role in [Role::Driver, Role::Executor] {
            let view = role.view(spec);
            let keys = role.resources();
            let field = if key == keys.memory_key() {
                Some(("memory", view.memory.cloned()))
            } else if key == keys.memory_overhead_key() {
                Some(("memoryOverhead", view.memory_overhead.cloned()))
            } else if key == keys.cores_key() {
                Some(("cores", view.cores.map(|n| n.to_string())))
            } else if key == keys.request_cores_key() {
                Some(("coreRequest", view.core_request.cloned()))
            } else if key == keys.limit_cores_key() {
                Some(("coreLimit", view.core_limit.cloned()))
            } else {
                None
            };
            if let Some((name, value)) = field {
                let path = format!("spec.{}.{name}", role.conf_word());
                return Setting::field_or_conf(spec, value, path, key);
            }
        }
        match key {
            KUBERNETES_MEMORY_OVERHEAD_FACTOR => conf(spec, key).or_else(|| {
                spec.memory_overhead_factor.clone().map(|value| Setting {
                    value,
                    path: "spec.memoryOverheadFactor".into(),
                })
            }),
            // An empty value counts as unset there, as in `submit_args`.
            EXECUTOR_INSTANCES => Setting::field_or_conf(
                spec,
                spec.executor.instances.map(|n| n.to_string()),
                "spec.executor.instances".into(),
                key,
            )
            .filter(|s| !s.value.is_empty()),
            _ => conf(spec, key),
        }
    }

    /// The field `key` was read from.
    fn path(&self, key: &str) -> String {
        self.setting(key)
            .map(|s| s.path)
            .unwrap_or_else(|| format!("spec.sparkConf.{key}"))
    }

    /// An unreadable setting as an error naming its field.
    pub fn error(&self, e: Invalid) -> RenderError {
        RenderError::field(self.path(&e.key), e.reason)
    }

    /// A Kubernetes CPU quantity read from `key` (as written there).
    fn cpu_quantity(&self, key: &str, value: &str) -> Result<Quantity, RenderError> {
        Quantity::parse(value).map_err(|e| RenderError::field(self.path(key), e.to_string()))
    }

    /// `spark.executor.instances` as a whole number, when set.
    pub fn executor_instances(&self) -> Result<Option<i32>, RenderError> {
        sparkplane_spark_resources::read_integer(self, EXECUTOR_INSTANCES)
            .map_err(|e| self.error(e))
    }

    /// The pod's CPU request as Spark writes it ([`cores::cpu_request`]), and as a quantity,
    /// for sums.
    pub fn cpu(&self, role: Role) -> Result<(String, Quantity), RenderError> {
        let role = role.resources();
        match cores::cpu_request(self, role).map_err(|e| self.error(e))? {
            CpuRequest::Written(r) => {
                let q = self.cpu_quantity(role.request_cores_key(), &r)?;
                Ok((r, q))
            }
            CpuRequest::Cores(n) => Ok((n.to_string(), Quantity::from_int(n.into()))),
        }
    }

    /// The pod's CPU limit ([`cores::cpu_limit`]) as a quantity, when set.
    pub fn cpu_limit(&self, role: Role) -> Result<Option<Quantity>, RenderError> {
        let role = role.resources();
        cores::cpu_limit(self, role)
            .map(|l| self.cpu_quantity(role.limit_cores_key(), &l))
            .transpose()
    }
}

impl Settings for Manifest<'_> {
    fn get(&self, key: &str) -> Option<Cow<'_, str>> {
        self.setting(key).map(|s| Cow::Owned(s.value))
    }
}
