//! Semantic checks of parsed manifests: kubeflow's CRD markers and admission webhook rules,
//! and what Spark itself will refuse or misread. Every rule runs and every problem is kept,
//! each naming the field path, what was expected and what was found.

mod application;
mod cluster;
mod cron;

use std::collections::BTreeMap;

use crate::load::Manifest;
use crate::names;
use crate::problem::Problem;
use crate::quantity::{
    parse_cpu_quantity, parse_jvm_heap_size, parse_kubernetes_quantity, parse_memory_limit,
    parse_spark_memory, parse_spark_memory_mib,
};
use crate::tenancy::SparkConfPolicy;
use crate::version::SparkVersion;

pub use cron::check_schedule;

/// Checks one manifest (document `document` of `source`); returns its errors and warnings.
/// Every key of the tenancy boundary is refused (see [`validate_with`]).
pub fn validate(source: &str, document: usize, manifest: &Manifest) -> Vec<Problem> {
    validate_with(source, document, manifest, &SparkConfPolicy::default())
}

/// [`validate`], admitting the sparkConf keys `policy` allows (an operator's
/// `--allow-spark-conf`).
pub fn validate_with(
    source: &str,
    document: usize,
    manifest: &Manifest,
    policy: &SparkConfPolicy,
) -> Vec<Problem> {
    let mut c = Checker {
        source,
        document,
        policy,
        problems: Vec::new(),
    };
    match manifest {
        Manifest::SparkApplication(a) => application::application(&mut c, a),
        Manifest::ScheduledSparkApplication(s) => application::scheduled(&mut c, s),
        Manifest::SparkCluster(k) => cluster::cluster(&mut c, k),
    }
    c.problems
}

/// Collects the problems of one document.
struct Checker<'a> {
    source: &'a str,
    document: usize,
    /// The sparkConf keys admitted past the tenancy boundary.
    policy: &'a SparkConfPolicy,
    problems: Vec<Problem>,
}

const MIB: u64 = 1 << 20;

impl Checker<'_> {
    fn error(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.problems
            .push(Problem::error(self.source, Some(self.document), path, msg));
    }

    fn warning(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.problems.push(Problem::warning(
            self.source,
            Some(self.document),
            path,
            msg,
        ));
    }

    fn at_least(&mut self, path: &str, value: Option<i64>, min: i64) {
        if let Some(v) = value {
            if v < min {
                self.error(path, format!("expected an integer >= {min}, got {v}"));
            }
        }
    }

    fn in_range(&mut self, path: &str, value: Option<i64>, lo: i64, hi: i64) {
        if let Some(v) = value {
            if v < lo || v > hi {
                self.error(
                    path,
                    format!("expected an integer from {lo} to {hi}, got {v}"),
                );
            }
        }
    }

    fn port(&mut self, path: &str, value: Option<i64>) {
        self.in_range(path, value, 1, 65535);
    }

    /// A container port's name, which Kubernetes requires to be an IANA service name.
    fn port_name(&mut self, path: &str, name: &str) {
        if let Err(e) = names::iana_svc_name(name) {
            self.error(path, format!("{e}, got {name:?}"));
        }
    }

    fn one_of(&mut self, path: &str, value: Option<&str>, allowed: &[&str]) {
        if let Some(v) = value {
            if !allowed.contains(&v) {
                self.error(
                    path,
                    format!("expected one of {}, got {v:?}", allowed.join(", ")),
                );
            }
        }
    }

    /// A Spark size read with a bare number meaning MiB (`spark.{driver,executor}.memory`,
    /// `memoryOverhead`); Spark rounds down to whole MiB, so less than 1 MiB is zero.
    fn spark_memory_mib(&mut self, path: &str, value: Option<&str>) {
        if let Some(v) = value {
            match parse_spark_memory_mib(v) {
                Ok(0) => self.error(
                    path,
                    format!("expected a Spark memory size of at least 1m, got {v:?}"),
                ),
                Ok(_) => {}
                Err(e) => self.error(path, e),
            }
        }
    }

    /// A Spark size read with a bare number meaning bytes (a standalone worker's `--memory`),
    /// which Spark refuses below 1 MiB.
    fn spark_memory_bytes(&mut self, path: &str, value: Option<&str>) {
        if let Some(v) = value {
            match parse_spark_memory(v) {
                Ok(b) if b < MIB => self.error(
                    path,
                    format!("expected a Spark memory size of at least 1m (a bare number means bytes here), got {v:?}"),
                ),
                Ok(_) => {}
                Err(e) => self.error(path, e),
            }
        }
    }

    /// A size handed to `java -Xmx` unchanged (`SPARK_DAEMON_MEMORY`).
    fn jvm_heap(&mut self, path: &str, value: Option<&str>) {
        if let Some(v) = value {
            match parse_jvm_heap_size(v) {
                Ok(b) if b < MIB => self.error(
                    path,
                    format!("expected a JVM heap size of at least 1m (a bare number means bytes to -Xmx), got {v:?}"),
                ),
                Ok(_) => {}
                Err(e) => self.error(path, e),
            }
        }
    }

    fn cpu(&mut self, path: &str, value: Option<&str>) {
        if let Some(v) = value {
            match parse_cpu_quantity(v) {
                Ok(0) => self.error(
                    path,
                    format!("expected a CPU quantity greater than zero, got {v:?}"),
                ),
                Ok(_) => {}
                Err(e) => self.error(path, e),
            }
        }
    }

    fn memory_limit(&mut self, path: &str, value: Option<&str>) {
        if let Some(v) = value {
            match parse_memory_limit(v) {
                Ok(b) if b < 1.0 => self.error(
                    path,
                    format!("expected a memory limit of at least one byte, got {v:?}"),
                ),
                Ok(_) => {}
                Err(e) => self.error(path, e),
            }
        }
    }

    fn kubernetes_quantity(&mut self, path: &str, value: &str) {
        match parse_kubernetes_quantity(value) {
            Ok(q) if q < 0.0 => self.error(
                path,
                format!("expected a non-negative Kubernetes quantity, got {value:?}"),
            ),
            Ok(_) => {}
            Err(e) => self.error(path, e),
        }
    }

    fn name(&mut self, name: Option<&str>, check: impl Fn(&str) -> Result<(), String>) {
        match name {
            None => self.error("metadata.name", "required field is missing"),
            Some(n) => {
                if let Err(e) = check(n) {
                    self.error("metadata.name", format!("{e}, got {n:?}"));
                }
            }
        }
    }

    fn namespace(&mut self, ns: Option<&str>) {
        if let Some(ns) = ns {
            if let Err(e) = names::dns1123_label(ns) {
                self.error("metadata.namespace", format!("{e}, got {ns:?}"));
            }
        }
    }

    fn spark_version(&mut self, path: &str, v: &str) -> Option<SparkVersion> {
        match SparkVersion::parse_supported(v) {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(
                    path,
                    format!(
                        "expected a supported Spark version (3.5.x or 4.0.x to 4.3.x), got {v:?}"
                    ),
                );
                None
            }
        }
    }

    fn spark_conf_keys(&mut self, path: &str, conf: &BTreeMap<String, String>) {
        for k in conf.keys() {
            if !k.starts_with("spark.") {
                self.warning(
                    format!("{path}.{k}"),
                    "Spark ignores configuration keys that do not start with \"spark.\"",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
