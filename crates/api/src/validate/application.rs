//! Rules for `SparkApplication` and `ScheduledSparkApplication`: the markers of kubeflow's
//! CRD, the checks of its admission webhook, and what Spark and Kubernetes will refuse later.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Container, Toleration};

use super::{check_schedule, Checker};
use crate::names;
use crate::quantity::parse_spark_memory;
use crate::v1beta2::{
    DeployMode, PodView, ScheduledSparkApplication, SparkApplication, SparkApplicationSpec,
};

pub(super) fn application(c: &mut Checker<'_>, app: &SparkApplication) {
    name(c, app.metadata.name.as_deref());
    c.namespace(app.metadata.namespace.as_deref());
    app_spec(c, "spec", &app.spec, app.metadata.namespace.as_deref());
}

pub(super) fn scheduled(c: &mut Checker<'_>, s: &ScheduledSparkApplication) {
    name(c, s.metadata.name.as_deref());
    c.namespace(s.metadata.namespace.as_deref());
    if let Err(e) = check_schedule(&s.spec.schedule) {
        c.error("spec.schedule", e);
    }
    // "Local" (also kubeflow's default) is the operator's own zone; any other name must be
    // one the operator can load, or every run fails.
    if let Some(tz) = s.spec.time_zone.as_deref().filter(|tz| *tz != "Local") {
        if tz.parse::<chrono_tz::Tz>().is_err() {
            c.error(
                "spec.timeZone",
                format!("expected \"Local\", \"UTC\" or an IANA time zone such as America/New_York, got {tz:?}"),
            );
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
    app_spec(
        c,
        "spec.template",
        &s.spec.template,
        s.metadata.namespace.as_deref(),
    );
}

/// Kubernetes object names are DNS-1123 subdomains, but the UI Service and Ingress are named
/// after the application, and a Service name must be a DNS-1035 label. kubeflow's webhook
/// refuses such names for the same reason; refusing them here keeps every mode (local,
/// `render`, the operator) to one rule rather than a name that works only on a laptop.
fn name(c: &mut Checker<'_>, name: Option<&str>) {
    c.name(name, |n| {
        names::dns1123_subdomain(n)?;
        names::dns1035_label(n, 63).map_err(|e| {
            format!("{e} (the application's Services are named after it, as in kubeflow)")
        })
    });
}

fn app_spec(c: &mut Checker<'_>, p: &str, s: &SparkApplicationSpec, namespace: Option<&str>) {
    c.spark_version(&format!("{p}.sparkVersion"), &s.spark_version);
    if s.mode == Some(DeployMode::InClusterClient) {
        c.error(
            format!("{p}.mode"),
            "expected one of cluster, client (kubeflow's CRD does not admit in-cluster-client), got \"in-cluster-client\"",
        );
    }
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
    c.one_of(
        &format!("{p}.imagePullPolicy"),
        s.image_pull_policy.as_deref(),
        &["Always", "IfNotPresent", "Never"],
    );
    spark_conf(c, p, &s.spark_conf, namespace);
    for k in s.hadoop_conf.keys() {
        if k.starts_with("spark.hadoop.") {
            c.warning(
                format!("{p}.hadoopConf.{k}"),
                "the spark.hadoop. prefix is added for you; this key gets it twice",
            );
        }
    }
    if !s.node_selector.is_empty()
        && (!s.driver.node_selector.is_empty() || !s.executor.node_selector.is_empty())
    {
        c.error(
            format!("{p}.nodeSelector"),
            "expected either this nodeSelector or the driver's and executor's, got both (kubeflow refuses the combination)",
        );
    }
    volume_sizes(c, p, s);
    let volumes: BTreeSet<&str> = s.volumes.iter().map(|v| v.name.as_str()).collect();
    let d = &s.driver;
    pod(c, &format!("{p}.driver"), d.view(), &volumes);
    if let Some(n) = &d.pod_name {
        if let Err(e) = names::dns1123_subdomain(n) {
            c.error(format!("{p}.driver.podName"), format!("{e}, got {n:?}"));
        }
    }
    driver_heap(c, &format!("{p}.driver.memory"), d.memory.as_deref());
    let e = &s.executor;
    pod(c, &format!("{p}.executor"), e.view(), &volumes);
    c.at_least(
        &format!("{p}.executor.instances"),
        e.instances.map(i64::from),
        1,
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
    dynamic_allocation(c, p, s);
    let rp = &s.restart_policy;
    let rpp = format!("{p}.restartPolicy");
    for (field, value, min) in [
        ("onFailureRetries", rp.on_failure_retries.map(i64::from), 0),
        (
            "onSubmissionFailureRetries",
            rp.on_submission_failure_retries.map(i64::from),
            0,
        ),
        ("onFailureRetryInterval", rp.on_failure_retry_interval, 1),
        (
            "onSubmissionFailureRetryInterval",
            rp.on_submission_failure_retry_interval,
            1,
        ),
    ] {
        c.at_least(&format!("{rpp}.{field}"), value, min);
    }
    c.at_least(
        &format!("{p}.failureRetries"),
        s.failure_retries.map(i64::from),
        0,
    );
    c.at_least(&format!("{p}.retryInterval"), s.retry_interval, 0);
    c.at_least(&format!("{p}.timeToLiveSeconds"), s.time_to_live_seconds, 0);
    if let Some(pr) = s.monitoring.as_ref().and_then(|m| m.prometheus.as_ref()) {
        c.in_range(
            &format!("{p}.monitoring.prometheus.port"),
            pr.port.map(i64::from),
            1024,
            49151,
        );
    }
    if let Err(e) = s.scheduler() {
        c.error(format!("{p}.batchScheduler"), e.to_string());
    }
    if let Some(b) = &s.batch_scheduler_options {
        for (k, q) in &b.resources {
            c.kubernetes_quantity(&format!("{p}.batchSchedulerOptions.resources.{k}"), &q.0);
        }
    }
    ui_and_ingress(c, p, s);
}

/// The API server refuses an `emptyDir` whose size is not a Kubernetes quantity.
fn volume_sizes(c: &mut Checker<'_>, p: &str, s: &SparkApplicationSpec) {
    for (i, v) in s.volumes.iter().enumerate() {
        if let Some(q) = v.empty_dir.as_ref().and_then(|e| e.size_limit.as_ref()) {
            c.kubernetes_quantity(&format!("{p}.volumes[{i}].emptyDir.sizeLimit"), &q.0);
        }
    }
}

/// Spark and kubeflow read the same keys differently from what their authors may expect; and
/// some keys would take over what belongs to the operator (see [`crate::tenancy`]).
fn spark_conf(c: &mut Checker<'_>, p: &str, conf: &BTreeMap<String, String>, ns: Option<&str>) {
    c.spark_conf_keys(&format!("{p}.sparkConf"), conf);
    for r in c.policy.refusals(conf, ns) {
        c.error(r.path(p), r.message);
    }
}

fn pod(c: &mut Checker<'_>, p: &str, f: PodView<'_>, volumes: &BTreeSet<&str>) {
    c.at_least(&format!("{p}.cores"), f.cores.map(i64::from), 1);
    c.cpu(&format!("{p}.coreLimit"), f.core_limit.map(String::as_str));
    c.cpu(
        &format!("{p}.coreRequest"),
        f.core_request.map(String::as_str),
    );
    c.spark_memory_mib(&format!("{p}.memory"), f.memory.map(String::as_str));
    c.spark_memory_mib(
        &format!("{p}.memoryOverhead"),
        f.memory_overhead.map(String::as_str),
    );
    c.memory_limit(
        &format!("{p}.memoryLimit"),
        f.memory_limit.map(String::as_str),
    );
    c.at_least(&format!("{p}.gpu.quantity"), f.gpu.map(|g| g.quantity), 0);
    c.at_least(
        &format!("{p}.terminationGracePeriodSeconds"),
        f.termination_grace_period_seconds,
        0,
    );
    for (i, port) in f.ports.iter().enumerate() {
        let pp = format!("{p}.ports[{i}]");
        c.port_name(&format!("{pp}.name"), &port.name);
        c.port(
            &format!("{pp}.containerPort"),
            Some(i64::from(port.container_port)),
        );
        c.one_of(
            &format!("{pp}.protocol"),
            Some(&port.protocol),
            &["TCP", "UDP", "SCTP"],
        );
    }
    api_server_values(c, p, &f);
    // A mount of an undefined volume makes Kubernetes refuse the pod, long after submission.
    let template_volumes = f
        .template
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.volumes.as_ref())
        .into_iter()
        .flatten()
        .map(|v| v.name.as_str());
    let known: BTreeSet<&str> = volumes.iter().copied().chain(template_volumes).collect();
    for (i, m) in f.volume_mounts.iter().enumerate() {
        if !known.contains(m.name.as_str()) {
            let names = if known.is_empty() {
                "none is defined".to_string()
            } else {
                known.iter().copied().collect::<Vec<_>>().join(", ")
            };
            c.error(
                format!("{p}.volumeMounts[{i}].name"),
                format!(
                    "expected the name of a volume in spec.volumes ({names}), got {:?}",
                    m.name
                ),
            );
        }
    }
}

/// The Kubernetes values a pod spec carries that the API server checks: a pod with a bad one
/// is refused when the driver (or an executor) is created, long after the submission.
fn api_server_values(c: &mut Checker<'_>, p: &str, f: &PodView<'_>) {
    for (i, e) in f.env.iter().enumerate() {
        env_name(c, &format!("{p}.env[{i}].name"), &e.name);
    }
    for (i, t) in f.tolerations.iter().enumerate() {
        toleration(c, &format!("{p}.tolerations[{i}]"), t);
    }
    for (field, list) in [
        ("sidecars", f.sidecars),
        ("initContainers", f.init_containers),
    ] {
        for (j, ct) in list.iter().enumerate() {
            container(c, &format!("{p}.{field}[{j}]"), ct);
        }
    }
}

fn env_name(c: &mut Checker<'_>, path: &str, name: &str) {
    if name.is_empty() || name.contains('=') {
        c.error(
            path,
            format!("expected an environment variable name (not empty, without '='), got {name:?}"),
        );
    }
}

/// The API server's rules for a toleration (`ValidateTolerations`).
fn toleration(c: &mut Checker<'_>, tp: &str, t: &Toleration) {
    let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let (operator, effect) = (set(&t.operator), set(&t.effect));
    c.one_of(
        &format!("{tp}.operator"),
        operator.as_deref(),
        &["Exists", "Equal"],
    );
    c.one_of(
        &format!("{tp}.effect"),
        effect.as_deref(),
        &["NoSchedule", "PreferNoSchedule", "NoExecute"],
    );
    if let Some(k) = set(&t.key) {
        if let Err(e) = names::qualified_name(&k) {
            c.error(format!("{tp}.key"), format!("{e}, got {k:?}"));
        }
    }
    let exists = operator.as_deref() == Some("Exists");
    match set(&t.value) {
        Some(v) if exists => c.error(
            format!("{tp}.value"),
            format!("expected no value with operator Exists, got {v:?}"),
        ),
        Some(v) => {
            if let Err(e) = names::label_value(&v) {
                c.error(format!("{tp}.value"), format!("{e}, got {v:?}"));
            }
        }
        None => {}
    }
    if set(&t.key).is_none() && !exists {
        c.error(
            format!("{tp}.operator"),
            format!(
                "expected Exists when no key is given (it tolerates every taint), got {:?}",
                operator.unwrap_or_default()
            ),
        );
    }
    if t.toleration_seconds.is_some() && effect.as_deref() != Some("NoExecute") {
        c.error(
            format!("{tp}.effect"),
            format!(
                "expected NoExecute with tolerationSeconds, got {:?}",
                effect.unwrap_or_default()
            ),
        );
    }
}

/// A sidecar or init container: its name, environment, port names and resource quantities.
fn container(c: &mut Checker<'_>, cp: &str, ct: &Container) {
    if let Err(e) = names::dns1123_label(&ct.name) {
        c.error(format!("{cp}.name"), format!("{e}, got {:?}", ct.name));
    }
    for (i, e) in ct.env.iter().flatten().enumerate() {
        env_name(c, &format!("{cp}.env[{i}].name"), &e.name);
    }
    for (i, port) in ct.ports.iter().flatten().enumerate() {
        let pp = format!("{cp}.ports[{i}]");
        if let Some(n) = &port.name {
            c.port_name(&format!("{pp}.name"), n);
        }
        c.port(
            &format!("{pp}.containerPort"),
            Some(i64::from(port.container_port)),
        );
    }
    if let Some(r) = &ct.resources {
        for (kind, values) in [("limits", &r.limits), ("requests", &r.requests)] {
            for (k, q) in values.iter().flatten() {
                c.kubernetes_quantity(&format!("{cp}.resources.{kind}.{k}"), &q.0);
            }
        }
    }
}

/// In client mode, which is also how the driver starts inside its pod, `spark-submit` hands
/// `spark.driver.memory` to `java -Xmx` unchanged; Java reads only k, m, g and t suffixes and
/// reads a bare number as bytes.
fn driver_heap(c: &mut Checker<'_>, path: &str, memory: Option<&str>) {
    let Some(m) = memory else { return };
    if parse_spark_memory(m).is_err() {
        return; // already an error
    }
    let t = m.trim();
    let suffix = t.trim_start_matches(|ch: char| ch.is_ascii_digit());
    let digits = &t[..t.len() - suffix.len()];
    let advice = match suffix.to_ascii_lowercase().as_str() {
        "k" | "m" | "g" | "t" => return,
        "" => format!("Java reads it as {digits} bytes: write {digits}m"),
        two @ ("kb" | "mb" | "gb" | "tb") => format!(
            "Java refuses the {two} suffix: write {digits}{}",
            two.trim_end_matches('b')
        ),
        other => format!("Java refuses the {other} suffix: write it with k, m, g or t"),
    };
    c.warning(
        path,
        format!("the driver JVM is started with -Xmx{t}, and {advice}"),
    );
}

fn dynamic_allocation(c: &mut Checker<'_>, p: &str, s: &SparkApplicationSpec) {
    let Some(da) = &s.dynamic_allocation else {
        return;
    };
    let dp = format!("{p}.dynamicAllocation");
    for (field, value) in [
        ("initialExecutors", da.initial_executors),
        ("minExecutors", da.min_executors),
        ("maxExecutors", da.max_executors),
    ] {
        c.at_least(&format!("{dp}.{field}"), value.map(i64::from), 0);
    }
    c.at_least(
        &format!("{dp}.shuffleTrackingTimeout"),
        da.shuffle_tracking_timeout,
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
        let (lo, hi) = (da.min_executors, da.max_executors);
        let bounds = match (lo, hi) {
            (Some(a), Some(b)) if a <= b && (init < a || init > b) => {
                Some(format!("between minExecutors ({a}) and maxExecutors ({b})"))
            }
            (Some(a), None) if init < a => Some(format!("at least minExecutors ({a})")),
            (None, Some(b)) if init > b => Some(format!("at most maxExecutors ({b})")),
            _ => None,
        };
        if let Some(bounds) = bounds {
            c.error(
                format!("{dp}.initialExecutors"),
                format!("expected {bounds}, got {init}"),
            );
        }
    }
}

fn ui_and_ingress(c: &mut Checker<'_>, p: &str, s: &SparkApplicationSpec) {
    const SERVICE_TYPES: &[&str] = &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
    if let Some(ui) = &s.spark_ui_options {
        let up = format!("{p}.sparkUIOptions");
        c.port(&format!("{up}.servicePort"), ui.service_port.map(i64::from));
        c.one_of(
            &format!("{up}.serviceType"),
            ui.service_type.as_deref(),
            SERVICE_TYPES,
        );
    }
    // kubeflow's webhook: each option needs a port and a URL format, neither repeated.
    let mut ports = BTreeMap::new();
    let mut formats = BTreeMap::new();
    for (i, o) in s.driver_ingress_options.iter().enumerate() {
        let ip = format!("{p}.driverIngressOptions[{i}]");
        match o.service_port {
            None => c.error(format!("{ip}.servicePort"), "required field is missing"),
            Some(v) => {
                c.port(&format!("{ip}.servicePort"), Some(i64::from(v)));
                if let Some(first) = ports.insert(v, i) {
                    c.error(
                        format!("{ip}.servicePort"),
                        format!(
                            "expected a port not used by driverIngressOptions[{first}], got {v}"
                        ),
                    );
                }
            }
        }
        if o.service_port_name.is_none() {
            c.error(format!("{ip}.servicePortName"), "required field is missing");
        }
        match o.ingress_url_format.as_deref().filter(|f| !f.is_empty()) {
            None => c.error(
                format!("{ip}.ingressURLFormat"),
                "required field is missing (kubeflow's webhook refuses an empty URL format)",
            ),
            Some(f) => {
                if let Some(first) = formats.insert(f.to_string(), i) {
                    c.error(
                        format!("{ip}.ingressURLFormat"),
                        format!("expected a URL format not used by driverIngressOptions[{first}], got {f:?}"),
                    );
                }
            }
        }
        c.one_of(
            &format!("{ip}.serviceType"),
            o.service_type.as_deref(),
            SERVICE_TYPES,
        );
    }
}
