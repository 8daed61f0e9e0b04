//! Prometheus monitoring (`spec.monitoring`), as kubeflow's operator sets it up: a ConfigMap
//! with `metrics.properties` and the JMX exporter's configuration, the exporter as a Java
//! agent of the driver and/or executors, scrape annotations, and the metrics settings.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use sparkplane_api::SparkApplication;

use super::labels;
use super::pod_patch::METRICS_CONF_DIR;

/// The exporter's default port.
pub const DEFAULT_PORT: i32 = 8090;

/// Spark's metrics configuration when the manifest gives none: JMX sink and JVM sources.
const DEFAULT_METRICS_PROPERTIES: &str = "
*.sink.jmx.class=org.apache.spark.metrics.sink.JmxSink
driver.source.jvm.class=org.apache.spark.metrics.source.JvmSource
executor.source.jvm.class=org.apache.spark.metrics.source.JvmSource";

/// The JMX exporter's configuration when the manifest gives none: Spark's metric names as
/// Prometheus metrics (our own rules, covering the driver, executor and streaming sources).
const DEFAULT_EXPORTER_CONFIG: &str = r#"
lowercaseOutputName: true
attrNameSnakeCase: true
rules:
  - pattern: metrics<name=(\S+)\.(\S+)\.driver\.(\S+)\.(\S+)><>Value
    name: spark_driver_$3_$4
    type: GAUGE
    labels:
      app_namespace: "$1"
      app_id: "$2"
  - pattern: metrics<name=(\S+)\.(\S+)\.driver\.(\S+)\.(\S+)><>Count
    name: spark_driver_$3_$4_count
    type: COUNTER
    labels:
      app_namespace: "$1"
      app_id: "$2"
  - pattern: metrics<name=(\S+)\.(\S+)\.(\d+)\.(\S+)\.(\S+)><>Value
    name: spark_executor_$4_$5
    type: GAUGE
    labels:
      app_namespace: "$1"
      app_id: "$2"
      executor_id: "$3"
  - pattern: metrics<name=(\S+)\.(\S+)\.(\d+)\.(\S+)\.(\S+)><>Count
    name: spark_executor_$4_$5_count
    type: COUNTER
    labels:
      app_namespace: "$1"
      app_id: "$2"
      executor_id: "$3"
"#;

/// What a pod mounts and exposes for the exporter.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsMount {
    /// The ConfigMap's name.
    pub config_map: String,
    /// The volume's name.
    pub volume: String,
    /// The exporter's port.
    pub port: i32,
    /// That port's name.
    pub port_name: String,
}

/// Monitoring's contributions to one submission.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Monitoring {
    /// The ConfigMap to create (none when the image carries both files).
    pub config_map: Option<ConfigMap>,
    /// The driver's mount, when its metrics are exposed.
    pub driver: Option<MetricsMount>,
    /// The executors' mount, when theirs are.
    pub executor: Option<MetricsMount>,
}

/// Applies `spec.monitoring` to `app` (a copy being prepared for submission): Java agent,
/// annotations and metrics settings. Returns what the pods and the API need besides.
pub fn apply(app: &mut SparkApplication, owner: &OwnerReference) -> Monitoring {
    let Some(m) = app.spec.monitoring.clone() else {
        return Monitoring::default();
    };
    let Some(prom) = m.prometheus.clone() else {
        return Monitoring::default();
    };
    let name = app.metadata.name.clone().unwrap_or_default();
    let namespace = app.metadata.namespace.clone().unwrap_or_default();
    let port = prom.port.unwrap_or(DEFAULT_PORT);
    let properties_file = m.metrics_properties_file.clone().filter(|s| !s.is_empty());
    let exporter_file = prom.config_file.clone().filter(|s| !s.is_empty());
    let config_map_name = format!("{name}-prom-conf");

    let config_map = (properties_file.is_none() || exporter_file.is_none()).then(|| {
        let mut data = BTreeMap::new();
        if properties_file.is_none() {
            data.insert(
                "metrics.properties".to_string(),
                m.metrics_properties
                    .clone()
                    .unwrap_or_else(|| DEFAULT_METRICS_PROPERTIES.into()),
            );
        }
        if exporter_file.is_none() {
            data.insert(
                "prometheus.yaml".to_string(),
                prom.configuration
                    .clone()
                    .unwrap_or_else(|| DEFAULT_EXPORTER_CONFIG.into()),
            );
        }
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(config_map_name.clone()),
                namespace: Some(namespace.clone()),
                labels: Some([(labels::CREATED_BY.to_string(), "true".to_string())].into()),
                owner_references: Some(vec![owner.clone()]),
                ..ObjectMeta::default()
            },
            data: Some(data),
            ..ConfigMap::default()
        }
    });

    let agent = match &exporter_file {
        Some(f) => format!("-javaagent:{}={port}:{f}", prom.jmx_exporter_jar),
        None => format!(
            "-javaagent:{}={port}:{METRICS_CONF_DIR}/prometheus.yaml",
            prom.jmx_exporter_jar
        ),
    };
    let conf = &mut app.spec.spark_conf;
    // Namespaced metric names keep applications apart in one Prometheus.
    conf.insert(
        "spark.metrics.namespace".into(),
        format!("{namespace}.{name}"),
    );
    conf.insert(
        "spark.metrics.conf".into(),
        properties_file
            .clone()
            .unwrap_or_else(|| format!("{METRICS_CONF_DIR}/metrics.properties")),
    );
    let annotate = |a: &mut BTreeMap<String, String>, j: &mut Option<String>| {
        a.insert("prometheus.io/scrape".into(), "true".into());
        a.insert("prometheus.io/port".into(), port.to_string());
        a.insert("prometheus.io/path".into(), "/metrics".into());
        *j = Some(match j.take() {
            Some(existing) => format!("{existing} {agent}"),
            None => agent.clone(),
        });
    };
    let mount = (properties_file.is_none() || exporter_file.is_none()).then(|| MetricsMount {
        config_map: config_map_name.clone(),
        volume: format!("{config_map_name}-vol"),
        port,
        port_name: prom
            .port_name
            .clone()
            .unwrap_or_else(|| "jmx-exporter".into()),
    });
    let mut out = Monitoring {
        config_map,
        ..Monitoring::default()
    };
    if m.expose_driver_metrics {
        let d = &mut app.spec.driver;
        annotate(&mut d.annotations, &mut d.java_options);
        out.driver = mount.clone();
    }
    if m.expose_executor_metrics {
        let e = &mut app.spec.executor;
        annotate(&mut e.annotations, &mut e.java_options);
        out.executor = mount;
    }
    out
}
