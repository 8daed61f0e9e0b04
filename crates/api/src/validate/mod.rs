//! Semantic checks of parsed manifests. Every rule runs and every problem is kept, each naming
//! the field and what was expected.

mod cron;

use std::collections::BTreeMap;

use crate::cluster::{RecoveryMode, SparkCluster};
use crate::load::Manifest;
use crate::names;
use crate::problem::Problem;
use crate::quantity::{parse_cpu_quantity, parse_spark_memory_mib};
use crate::v1beta2::{ScheduledSparkApplication, SparkApplication, SparkApplicationSpec};
use crate::version::SparkVersion;

pub use cron::check_schedule;

/// Collects the problems of one document.
struct Checker<'a> {
    source: &'a str,
    document: usize,
    problems: Vec<Problem>,
}

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

    fn memory(&mut self, path: &str, value: Option<&str>) {
        if let Some(v) = value {
            match parse_spark_memory_mib(v) {
                Ok(0) => self.error(
                    path,
                    format!("expected a Spark memory size greater than zero, got {v:?}"),
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

    fn port(&mut self, path: &str, value: Option<i64>) {
        self.in_range(path, value, 1, 65535);
    }
}

/// Checks one manifest; returns its errors and warnings.
pub fn validate(source: &str, document: usize, manifest: &Manifest) -> Vec<Problem> {
    let mut c = Checker {
        source,
        document,
        problems: Vec::new(),
    };
    match manifest {
        Manifest::SparkApplication(a) => application(&mut c, a),
        Manifest::ScheduledSparkApplication(s) => scheduled(&mut c, s),
        Manifest::SparkCluster(k) => cluster(&mut c, k),
    }
    c.problems
}

fn application(c: &mut Checker<'_>, app: &SparkApplication) {
    c.name(app.metadata.name.as_deref(), names::dns1123_subdomain);
    c.namespace(app.metadata.namespace.as_deref());
    app_spec(c, "spec", &app.spec);
}

fn app_spec(c: &mut Checker<'_>, p: &str, s: &SparkApplicationSpec) {
    c.spark_version(&format!("{p}.sparkVersion"), &s.spark_version);
    match s.main_application_file.as_deref() {
        None => c.error(
            format!("{p}.mainApplicationFile"),
            "required field is missing",
        ),
        Some(f) if f.trim().is_empty() => c.error(
            format!("{p}.mainApplicationFile"),
            "expected a file path or URI, got an empty string",
        ),
        Some(_) => {}
    }
    c.spark_conf_keys(&format!("{p}.sparkConf"), &s.spark_conf);
    for k in s.hadoop_conf.keys() {
        if k.starts_with("spark.hadoop.") {
            c.warning(
                format!("{p}.hadoopConf.{k}"),
                "the spark.hadoop. prefix is added for you; this key gets it twice",
            );
        }
    }
    let d = &s.driver;
    c.at_least(&format!("{p}.driver.cores"), d.cores.map(i64::from), 1);
    c.memory(&format!("{p}.driver.memory"), d.memory.as_deref());
    c.memory(
        &format!("{p}.driver.memoryOverhead"),
        d.memory_overhead.as_deref(),
    );
    c.cpu(&format!("{p}.driver.coreLimit"), d.core_limit.as_deref());
    c.cpu(
        &format!("{p}.driver.coreRequest"),
        d.core_request.as_deref(),
    );
    if let Some(n) = &d.pod_name {
        if let Err(e) = names::dns1123_subdomain(n) {
            c.error(format!("{p}.driver.podName"), format!("{e}, got {n:?}"));
        }
    }
    let e = &s.executor;
    c.at_least(&format!("{p}.executor.cores"), e.cores.map(i64::from), 1);
    c.at_least(
        &format!("{p}.executor.instances"),
        e.instances.map(i64::from),
        1,
    );
    c.memory(&format!("{p}.executor.memory"), e.memory.as_deref());
    c.memory(
        &format!("{p}.executor.memoryOverhead"),
        e.memory_overhead.as_deref(),
    );
    c.cpu(&format!("{p}.executor.coreLimit"), e.core_limit.as_deref());
    c.cpu(
        &format!("{p}.executor.coreRequest"),
        e.core_request.as_deref(),
    );
    if let Some(f) = &s.memory_overhead_factor {
        if !f
            .trim()
            .parse::<f64>()
            .is_ok_and(|v| v > 0.0 && v.is_finite())
        {
            c.error(
                format!("{p}.memoryOverheadFactor"),
                format!("expected a decimal number greater than zero, got {f:?}"),
            );
        }
    }
    if let Some(da) = &s.dynamic_allocation {
        let dp = format!("{p}.dynamicAllocation");
        c.at_least(
            &format!("{dp}.initialExecutors"),
            da.initial_executors.map(i64::from),
            0,
        );
        c.at_least(
            &format!("{dp}.minExecutors"),
            da.min_executors.map(i64::from),
            0,
        );
        c.at_least(
            &format!("{dp}.maxExecutors"),
            da.max_executors.map(i64::from),
            0,
        );
        if let (Some(min), Some(max)) = (da.min_executors, da.max_executors) {
            if min > max {
                c.error(
                    format!("{dp}.minExecutors"),
                    format!("expected at most maxExecutors ({max}), got {min}"),
                );
            }
        }
        if let Some(init) = da.initial_executors {
            let lo = da.min_executors.unwrap_or(0);
            let hi = da.max_executors.unwrap_or(i32::MAX);
            if lo <= hi && (init < lo || init > hi) {
                c.error(
                    format!("{dp}.initialExecutors"),
                    format!(
                        "expected between minExecutors ({lo}) and maxExecutors ({hi}), got {init}"
                    ),
                );
            }
        }
    }
    let rp = &s.restart_policy;
    let rpp = format!("{p}.restartPolicy");
    c.at_least(
        &format!("{rpp}.onFailureRetries"),
        rp.on_failure_retries.map(i64::from),
        0,
    );
    c.at_least(
        &format!("{rpp}.onSubmissionFailureRetries"),
        rp.on_submission_failure_retries.map(i64::from),
        0,
    );
    c.at_least(
        &format!("{rpp}.onFailureRetryInterval"),
        rp.on_failure_retry_interval,
        1,
    );
    c.at_least(
        &format!("{rpp}.onSubmissionFailureRetryInterval"),
        rp.on_submission_failure_retry_interval,
        1,
    );
    c.at_least(&format!("{p}.timeToLiveSeconds"), s.time_to_live_seconds, 0);
    if let Some(m) = &s.monitoring {
        if let Some(pr) = &m.prometheus {
            c.in_range(
                &format!("{p}.monitoring.prometheus.port"),
                pr.port.map(i64::from),
                1024,
                49151,
            );
        }
    }
    if let Some(ui) = &s.spark_ui_options {
        c.port(
            &format!("{p}.sparkUIOptions.servicePort"),
            ui.service_port.map(i64::from),
        );
    }
    for (i, o) in s.driver_ingress_options.iter().enumerate() {
        let ip = format!("{p}.driverIngressOptions[{i}]");
        match o.service_port {
            None => c.error(format!("{ip}.servicePort"), "required field is missing"),
            Some(v) => c.port(&format!("{ip}.servicePort"), Some(i64::from(v))),
        }
        if o.service_port_name.is_none() {
            c.error(format!("{ip}.servicePortName"), "required field is missing");
        }
    }
    for (role, ports) in [("driver", &d.ports), ("executor", &e.ports)] {
        for (i, port) in ports.iter().enumerate() {
            c.port(
                &format!("{p}.{role}.ports[{i}].containerPort"),
                Some(i64::from(port.container_port)),
            );
        }
    }
}

fn scheduled(c: &mut Checker<'_>, s: &ScheduledSparkApplication) {
    c.name(s.metadata.name.as_deref(), names::dns1123_subdomain);
    c.namespace(s.metadata.namespace.as_deref());
    if let Err(e) = check_schedule(&s.spec.schedule) {
        c.error("spec.schedule", e);
    }
    if let Some(tz) = &s.spec.time_zone {
        if tz.trim().is_empty() || tz.contains(' ') {
            c.error("spec.timeZone", format!("expected \"Local\", \"UTC\" or an IANA time zone such as Europe/Paris, got {tz:?}"));
        }
    }
    c.at_least(
        "spec.successfulRunHistoryLimit",
        s.spec.successful_run_history_limit.map(i64::from),
        1,
    );
    c.at_least(
        "spec.failedRunHistoryLimit",
        s.spec.failed_run_history_limit.map(i64::from),
        1,
    );
    app_spec(c, "spec.template", &s.spec.template);
}

fn cluster(c: &mut Checker<'_>, k: &SparkCluster) {
    c.name(k.metadata.name.as_deref(), |n| names::dns1035_label(n, 50));
    c.namespace(k.metadata.namespace.as_deref());
    let s = &k.spec;
    let version = s
        .spark_version
        .as_deref()
        .and_then(|v| c.spark_version("spec.sparkVersion", v));
    c.spark_conf_keys("spec.sparkConf", &s.spark_conf);
    c.spark_conf_keys("spec.master.sparkConf", &s.master.spark_conf);
    c.spark_conf_keys("spec.workers.sparkConf", &s.workers.spark_conf);
    c.port("spec.master.port", s.master.port.map(i64::from));
    c.port("spec.master.webUIPort", s.master.web_ui_port.map(i64::from));
    if let (Some(a), Some(b)) = (s.master.port, s.master.web_ui_port) {
        if a == b {
            c.error(
                "spec.master.webUIPort",
                format!("expected a port different from spec.master.port, got {b}"),
            );
        }
    }
    c.memory("spec.master.memory", s.master.memory.as_deref());
    let w = &s.workers;
    c.at_least("spec.workers.replicas", Some(i64::from(w.replicas)), 0);
    c.at_least("spec.workers.cores", Some(i64::from(w.cores)), 1);
    c.at_least("spec.workers.minReplicas", w.min_replicas.map(i64::from), 0);
    c.at_least("spec.workers.maxReplicas", w.max_replicas.map(i64::from), 1);
    c.memory("spec.workers.memory", Some(&w.memory));
    c.memory("spec.workers.daemonMemory", w.daemon_memory.as_deref());
    c.at_least(
        "spec.workers.decommissionTimeoutSeconds",
        w.decommission_timeout_seconds,
        0,
    );
    let (min, max) = (w.min_replicas, w.max_replicas);
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            c.error(
                "spec.workers.minReplicas",
                format!("expected at most maxReplicas ({hi}), got {lo}"),
            );
        }
    }
    let lo = min.unwrap_or(0);
    let hi = max.unwrap_or(i32::MAX);
    if lo <= hi && w.replicas >= 0 && (w.replicas < lo || w.replicas > hi) {
        let bounds = match (min, max) {
            (Some(a), Some(b)) => format!("between minReplicas ({a}) and maxReplicas ({b})"),
            (Some(a), None) => format!("at least minReplicas ({a})"),
            (None, Some(b)) => format!("at most maxReplicas ({b})"),
            (None, None) => String::new(),
        };
        c.error(
            "spec.workers.replicas",
            format!("expected {bounds}, got {}", w.replicas),
        );
    }
    if let Some(h) = &s.history_server {
        c.port("spec.historyServer.port", h.port.map(i64::from));
    }
    if let Some(r) = &s.recovery {
        if r.mode == RecoveryMode::RocksDb {
            if let Some(v) = version.or(s
                .spark_version
                .is_none()
                .then_some(crate::version::DEFAULT_VERSION))
            {
                if v.major < 4 {
                    c.error("spec.recovery.mode", format!("expected NONE or FILESYSTEM for Spark {v} (ROCKSDB needs Spark 4.0 or later), got ROCKSDB"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
