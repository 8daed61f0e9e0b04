//! Rules for `SparkCluster`, from what Spark's standalone master and workers accept.

use super::Checker;
use crate::cluster::{RecoveryMode, SparkCluster};
use crate::names;
use crate::version::DEFAULT_VERSION;

/// Longest cluster name: derived names such as `<name>-master-svc` must stay DNS labels of
/// at most 63 characters.
const MAX_NAME: usize = 50;

pub(super) fn cluster(c: &mut Checker<'_>, k: &SparkCluster) {
    c.name(k.metadata.name.as_deref(), |n| {
        names::dns1035_label(n, MAX_NAME)
    });
    c.namespace(k.metadata.namespace.as_deref());
    let s = &k.spec;
    let version = match s.spark_version.as_deref() {
        Some(v) => c.spark_version("spec.sparkVersion", v),
        None => Some(DEFAULT_VERSION),
    };
    c.spark_conf_keys("spec.sparkConf", &s.spark_conf);
    c.spark_conf_keys("spec.master.sparkConf", &s.master.spark_conf);
    c.spark_conf_keys("spec.workers.sparkConf", &s.workers.spark_conf);

    // Every port a daemon listens on must be its own.
    let ports = [
        ("spec.master.port", s.master.port),
        ("spec.master.webUIPort", s.master.web_ui_port),
        (
            "spec.historyServer.port",
            s.history_server.as_ref().and_then(|h| h.port),
        ),
    ];
    for (i, (path, port)) in ports.iter().enumerate() {
        c.port(path, port.map(i64::from));
        let Some(port) = port else { continue };
        if let Some((other, _)) = ports[..i].iter().find(|(_, p)| *p == Some(*port)) {
            c.error(
                *path,
                format!("expected a port different from {other} ({port}), got {port}"),
            );
        }
    }

    // SPARK_DAEMON_MEMORY goes to -Xmx as written; a worker's --memory is a Spark size.
    c.jvm_heap("spec.master.memory", s.master.memory.as_deref());
    let w = &s.workers;
    c.jvm_heap("spec.workers.daemonMemory", w.daemon_memory.as_deref());
    c.spark_memory_bytes("spec.workers.memory", Some(&w.memory));
    c.at_least("spec.workers.replicas", Some(i64::from(w.replicas)), 0);
    c.at_least("spec.workers.cores", Some(i64::from(w.cores)), 1);
    c.at_least("spec.workers.minReplicas", w.min_replicas.map(i64::from), 0);
    c.at_least("spec.workers.maxReplicas", w.max_replicas.map(i64::from), 1);
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
    // Only judged against consistent bounds, so one mistake is not reported twice.
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
    if let (Some(r), Some(v)) = (&s.recovery, version) {
        if r.mode == RecoveryMode::RocksDb && v.major < 4 {
            c.error(
                "spec.recovery.mode",
                format!("expected NONE or FILESYSTEM for Spark {v} (ROCKSDB needs Spark 4.0 or later), got ROCKSDB"),
            );
        }
    }
}
