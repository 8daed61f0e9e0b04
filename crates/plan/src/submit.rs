//! A SparkApplication as a `spark-submit` command line for the local runtime: client mode
//! (the driver runs on this machine) against a local cluster's master or `local[*]`.
//!
//! Fields map as the kubeflow Spark Operator documents them (its own submission turns them
//! into the same `--conf` keys); fields that only mean something on Kubernetes are accepted
//! and reported in one warning, never silently dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sparkplane_api::restart::RetryPolicy;
use sparkplane_api::v1beta2::{
    defaults, PodView, SparkApplication, SparkApplicationSpec, SparkApplicationType,
};
use sparkplane_api::Problem;
use sparkplane_spark_resources::cores::standalone_max_cores;
use sparkplane_spark_resources::keys;

use crate::cluster::AUTH_SECRET_ENV;
use crate::conf::SparkConf;

/// The Kubernetes-only fields a driver or executor spec sets: they are ignored when the
/// application runs locally.
fn kubernetes_only_pod_fields(p: PodView<'_>) -> Vec<&'static str> {
    [
        (".template", p.template.is_some()),
        (".coreLimit", p.core_limit.is_some()),
        (".memoryLimit", p.memory_limit.is_some()),
        (".gpu", p.gpu.is_some()),
        (".image", p.image.is_some()),
        (".configMaps", !p.config_maps.is_empty()),
        (".secrets", !p.secrets.is_empty()),
        (".envFrom", !p.env_from.is_empty()),
        (".envSecretKeyRefs", !p.env_secret_key_refs.is_empty()),
        (".labels", !p.labels.is_empty()),
        (".annotations", !p.annotations.is_empty()),
        (".volumeMounts", !p.volume_mounts.is_empty()),
        (".affinity", p.affinity.is_some()),
        (".tolerations", !p.tolerations.is_empty()),
        (".podSecurityContext", p.pod_security_context.is_some()),
        (".securityContext", p.security_context.is_some()),
        (".schedulerName", p.scheduler_name.is_some()),
        (".sidecars", !p.sidecars.is_empty()),
        (".initContainers", !p.init_containers.is_empty()),
        (".hostNetwork", p.host_network.is_some()),
        (".nodeSelector", !p.node_selector.is_empty()),
        (".dnsConfig", p.dns_config.is_some()),
        (
            ".terminationGracePeriodSeconds",
            p.termination_grace_period_seconds.is_some(),
        ),
        (".serviceAccount", p.service_account.is_some()),
        (".hostAliases", !p.host_aliases.is_empty()),
        (
            ".shareProcessNamespace",
            p.share_process_namespace.is_some(),
        ),
        (".coreRequest", p.core_request.is_some()),
        (".lifecycle", p.lifecycle.is_some()),
        (".ports", !p.ports.is_empty()),
        (".priorityClassName", p.priority_class_name.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, set)| set.then_some(field))
    .collect()
}

/// Where the application runs.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// `local[*]`: driver and executors in one JVM.
    Local,
    /// A local standalone cluster.
    Cluster {
        /// `spark://host:port`.
        master_url: &'a str,
        /// The cluster's application defaults (its sparkConf, decommissioning, event logs).
        defaults: &'a SparkConf,
        /// Whether the cluster requires RPC authentication.
        authenticate: bool,
    },
}

/// Everything [`plan_submit`] needs besides the manifest.
#[derive(Debug, Clone, Copy)]
pub struct SubmitInputs<'a> {
    /// The validated application.
    pub app: &'a SparkApplication,
    /// The manifest file, for messages.
    pub source: &'a str,
    /// Absolute directory of the manifest: relative paths resolve against it, and the driver
    /// runs in it.
    pub manifest_dir: &'a Path,
    /// SPARK_HOME of the release to run.
    pub spark_home: &'a Path,
    /// JAVA_HOME to pass on.
    pub java_home: Option<&'a Path>,
    /// Where to run.
    pub target: Target<'a>,
    /// Port for the driver's UI and REST API (sparkplane follows progress through it).
    pub ui_port: u16,
    /// Properties file carrying `spark.authenticate.secret` (written 0600 by the runner);
    /// needed when the cluster authenticates, because Spark's standalone driver reads the
    /// secret only from its configuration.
    pub secret_properties: Option<&'a Path>,
}

/// The command that runs the driver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitCommand {
    /// `$SPARK_HOME/bin/spark-submit`.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Environment to set (no secrets).
    pub env: BTreeMap<String, String>,
    /// Environment variables to set to the cluster's RPC secret.
    pub secret_env: Vec<String>,
    /// Working directory of the driver.
    pub working_dir: PathBuf,
}

/// The plan for one application.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitPlan {
    /// The driver command.
    pub command: SubmitCommand,
    /// Local files the command refers to, with the field naming each (the shell checks they
    /// exist before starting anything).
    pub local_files: Vec<(String, PathBuf)>,
    /// restartPolicy.
    pub retry: RetryPolicy,
    /// timeToLiveSeconds.
    pub time_to_live_seconds: Option<u64>,
    /// spec.suspend.
    pub suspend: bool,
    /// Warnings (fields without meaning on one machine, overridden settings).
    pub warnings: Vec<Problem>,
}

/// How a URI in a manifest is used locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A file on this machine.
    Local(PathBuf),
    /// A remote URI Spark fetches itself (http, s3a, hdfs, ...).
    Remote(String),
}

/// Resolves a manifest URI: `local://` and `file://` and plain paths are local files (relative
/// ones against the manifest's directory); `local:///opt/spark/...`, the path of Spark's
/// official image, maps to the installed SPARK_HOME so kubeflow's examples run unchanged.
pub fn resolve_uri(uri: &str, manifest_dir: &Path, spark_home: &Path) -> Resolved {
    let path = if let Some(rest) = uri.strip_prefix("local://") {
        rest
    } else if let Some(rest) = uri.strip_prefix("file://") {
        rest
    } else if uri.contains("://") {
        return Resolved::Remote(uri.to_string());
    } else {
        uri
    };
    if let Some(rest) = path.strip_prefix("/opt/spark/") {
        return Resolved::Local(spark_home.join(rest));
    }
    let p = Path::new(path);
    Resolved::Local(if p.is_absolute() {
        p.to_path_buf()
    } else {
        manifest_dir.join(p)
    })
}

struct Builder<'a> {
    inputs: &'a SubmitInputs<'a>,
    conf: SparkConf,
    ignored: Vec<String>,
    local_files: Vec<(String, PathBuf)>,
    warnings: Vec<Problem>,
}

impl<'a> Builder<'a> {
    fn new(inputs: &'a SubmitInputs<'a>) -> Self {
        Builder {
            inputs,
            conf: SparkConf::new(),
            ignored: Vec::new(),
            local_files: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn spec(&self) -> &'a SparkApplicationSpec {
        &self.inputs.app.spec
    }

    fn set(&mut self, key: &str, value: impl Into<String>) {
        self.conf.insert(key.to_string(), value.into());
    }

    fn warn(&mut self, path: &str, msg: String) {
        self.warnings
            .push(Problem::warning(self.inputs.source, Some(0), path, msg));
    }

    fn ignore_if(&mut self, present: bool, field: &'static str) {
        if present {
            self.ignored.push(field.to_string());
        }
    }

    fn uri(&mut self, field: String, uri: &str) -> String {
        match resolve_uri(uri, self.inputs.manifest_dir, self.inputs.spark_home) {
            Resolved::Local(p) => {
                let s = p.display().to_string();
                self.local_files.push((field, p));
                s
            }
            Resolved::Remote(u) => u,
        }
    }

    fn uris(&mut self, field: &str, list: &[String]) -> Option<String> {
        if list.is_empty() {
            return None;
        }
        let resolved: Vec<String> = list
            .iter()
            .enumerate()
            .map(|(i, u)| self.uri(format!("{field}[{i}]"), u))
            .collect();
        Some(resolved.join(","))
    }
}

/// Plans the spark-submit command for one application. Pure.
///
/// The conf is built in layers, each overriding the one before: the cluster's defaults,
/// then sparkConf and hadoopConf as given, then the typed fields (which the kubeflow
/// operator also passes after sparkConf), then sparkplane's own settings.
pub fn plan_submit(inputs: &SubmitInputs<'_>) -> Result<SubmitPlan, Vec<Problem>> {
    // kubeflow's defaults, as the Kubernetes render applies them: an application that names
    // no executor count or cores asks for the same executors here as there.
    let app = SparkApplication {
        spec: defaults::defaulted(&inputs.app.spec),
        ..inputs.app.clone()
    };
    let inputs = &SubmitInputs {
        app: &app,
        ..*inputs
    };
    let mut b = Builder::new(inputs);
    let (master, secret_env) = cluster_defaults(&mut b);
    given_conf(&mut b);
    driver_and_executor_resources(&mut b);
    dynamic_allocation(&mut b);
    executor_instances(&mut b);
    executor_env(&mut b);
    ui_port(&mut b);
    replace_master(&mut b, &master);
    let driver_env = driver_env(&mut b);
    kubernetes_only_fields(&mut b);
    report_ignored(&mut b);
    let args = command_line(&mut b, master)?;
    let env = environment(inputs, driver_env);
    let spec = b.spec();
    Ok(SubmitPlan {
        command: SubmitCommand {
            program: inputs.spark_home.join("bin").join("spark-submit"),
            args,
            env,
            secret_env,
            working_dir: inputs.manifest_dir.to_path_buf(),
        },
        local_files: b.local_files,
        retry: RetryPolicy::of(&spec.restart_policy),
        time_to_live_seconds: spec
            .time_to_live_seconds
            .and_then(|t| u64::try_from(t).ok()),
        suspend: spec.suspend.unwrap_or(false),
        warnings: b.warnings,
    })
}

/// Layer 1: the cluster's defaults. Returns the master URL and the environment variables
/// that carry the cluster's RPC secret.
fn cluster_defaults(b: &mut Builder<'_>) -> (String, Vec<String>) {
    match b.inputs.target {
        Target::Local => ("local[*]".to_string(), Vec::new()),
        Target::Cluster {
            master_url,
            defaults,
            authenticate,
        } => {
            b.conf.extend(defaults.clone());
            let env = if authenticate {
                vec![AUTH_SECRET_ENV.to_string()]
            } else {
                Vec::new()
            };
            (master_url.to_string(), env)
        }
    }
}

/// Layer 2: sparkConf and hadoopConf, as given.
fn given_conf(b: &mut Builder<'_>) {
    let spec = b.spec();
    for (k, v) in &spec.spark_conf {
        b.set(k, v.clone());
        if k.starts_with("spark.kubernetes.") {
            b.warn(
                &format!("spec.sparkConf.{k}"),
                "a Kubernetes-only setting; it has no effect in the local runtime".into(),
            );
        }
    }
    for (k, v) in &spec.hadoop_conf {
        b.set(&format!("spark.hadoop.{k}"), v.clone());
    }
}

/// Layer 3 begins: the driver's and executors' cores, memory and Java options.
fn driver_and_executor_resources(b: &mut Builder<'_>) {
    let spec = b.spec();
    let (d, e) = (&spec.driver, &spec.executor);
    if let Some(c) = d.cores {
        b.set(keys::DRIVER_CORES, c.to_string());
    }
    if let Some(m) = &d.memory {
        b.set(keys::DRIVER_MEMORY, m.clone());
    }
    if let Some(m) = &d.memory_overhead {
        b.set(keys::DRIVER_MEMORY_OVERHEAD, m.clone());
    }
    if let Some(j) = &d.java_options {
        b.set("spark.driver.extraJavaOptions", j.clone());
    }
    if let Some(c) = e.cores {
        b.set(keys::EXECUTOR_CORES, c.to_string());
    }
    if let Some(m) = &e.memory {
        b.set(keys::EXECUTOR_MEMORY, m.clone());
    }
    if let Some(m) = &e.memory_overhead {
        b.set(keys::EXECUTOR_MEMORY_OVERHEAD, m.clone());
    }
    if let Some(j) = &e.java_options {
        b.set("spark.executor.extraJavaOptions", j.clone());
    }
}

/// `spec.dynamicAllocation`, when enabled.
fn dynamic_allocation(b: &mut Builder<'_>) {
    for (k, v) in b
        .spec()
        .dynamic_allocation
        .iter()
        .flat_map(|d| d.spark_conf())
    {
        b.set(k, v);
    }
}

/// `spec.executor.instances`.
fn executor_instances(b: &mut Builder<'_>) {
    let spec = b.spec();
    let e = &spec.executor;
    let Some(n) = e.instances else {
        return;
    };
    b.set(keys::EXECUTOR_INSTANCES, n.to_string());
    let da_enabled = spec
        .dynamic_allocation
        .as_ref()
        .is_some_and(|da| da.enabled);
    // Spark's standalone scheduler sizes an application by cores, not by instance count;
    // capping the cores at instances × cores gives the instance count the manifest asks
    // for, unless the user capped cores already.
    if let (Target::Cluster { .. }, false) = (b.inputs.target, da_enabled) {
        b.conf
            .entry(keys::CORES_MAX.into())
            .or_insert_with(|| standalone_max_cores(n, e.cores).to_string());
    }
}

/// The executors' literal environment, as `spark.executorEnv.*`.
fn executor_env(b: &mut Builder<'_>) {
    let e = &b.spec().executor;
    let (executor_env, from_refs) = literal_env(&e.env, &e.env_vars);
    for (k, v) in executor_env {
        b.set(&format!("spark.executorEnv.{k}"), v);
    }
    if from_refs {
        b.ignored.push("spec.executor.env[].valueFrom".into());
    }
}

/// sparkplane's own: it follows the driver through this UI port.
fn ui_port(b: &mut Builder<'_>) {
    let ui_port = b.inputs.ui_port;
    if let Some(p) = b.spec().spark_conf.get("spark.ui.port") {
        b.warn(
            "spec.sparkConf.spark.ui.port",
            format!("{p} is replaced by port {ui_port} so sparkplane can follow the driver"),
        );
    }
    b.set("spark.ui.port", ui_port.to_string());
}

/// The master is passed as `--master`, so a `spark.master` in sparkConf is dropped.
fn replace_master(b: &mut Builder<'_>, master: &str) {
    if let Some(p) = b.spec().spark_conf.get("spark.master") {
        b.warn(
            "spec.sparkConf.spark.master",
            format!("{p:?} is replaced by {master:?}"),
        );
        b.conf.remove("spark.master");
    }
}

/// The driver's literal environment, which the driver process gets directly.
fn driver_env(b: &mut Builder<'_>) -> BTreeMap<String, String> {
    let d = &b.spec().driver;
    let (driver_env, from_refs) = literal_env(&d.env, &d.env_vars);
    if from_refs {
        b.ignored.push("spec.driver.env[].valueFrom".into());
    }
    driver_env
}

/// Kubernetes-only fields: accepted, collected for [`report_ignored`].
fn kubernetes_only_fields(b: &mut Builder<'_>) {
    let spec = b.spec();
    let (d, e) = (&spec.driver, &spec.executor);
    b.ignore_if(spec.image.is_some(), "spec.image");
    b.ignore_if(spec.image_pull_policy.is_some(), "spec.imagePullPolicy");
    b.ignore_if(!spec.image_pull_secrets.is_empty(), "spec.imagePullSecrets");
    b.ignore_if(!spec.volumes.is_empty(), "spec.volumes");
    b.ignore_if(!spec.node_selector.is_empty(), "spec.nodeSelector");
    b.ignore_if(spec.spark_config_map.is_some(), "spec.sparkConfigMap");
    b.ignore_if(spec.hadoop_config_map.is_some(), "spec.hadoopConfigMap");
    b.ignore_if(spec.monitoring.is_some(), "spec.monitoring");
    b.ignore_if(spec.batch_scheduler.is_some(), "spec.batchScheduler");
    b.ignore_if(
        spec.batch_scheduler_options.is_some(),
        "spec.batchSchedulerOptions",
    );
    b.ignore_if(spec.spark_ui_options.is_some(), "spec.sparkUIOptions");
    b.ignore_if(
        !spec.driver_ingress_options.is_empty(),
        "spec.driverIngressOptions",
    );
    b.ignore_if(
        spec.driver_pod_disruption_budget.is_some(),
        "spec.driverPodDisruptionBudget",
    );
    b.ignore_if(
        spec.memory_overhead_factor.is_some(),
        "spec.memoryOverheadFactor",
    );
    for (role, view) in [("spec.driver", d.view()), ("spec.executor", e.view())] {
        for field in kubernetes_only_pod_fields(view) {
            b.ignored.push(format!("{role}{field}"));
        }
    }
    b.ignore_if(d.pod_name.is_some(), "spec.driver.podName");
    b.ignore_if(
        d.kubernetes_master.is_some(),
        "spec.driver.kubernetesMaster",
    );
    b.ignore_if(
        !d.service_annotations.is_empty(),
        "spec.driver.serviceAnnotations",
    );
    b.ignore_if(!d.service_labels.is_empty(), "spec.driver.serviceLabels");
    b.ignore_if(
        e.delete_on_termination.is_some(),
        "spec.executor.deleteOnTermination",
    );
}

/// Every ignored field in one warning, so a manifest written for Kubernetes does not bury
/// the other warnings.
fn report_ignored(b: &mut Builder<'_>) {
    if !b.ignored.is_empty() {
        let fields = b.ignored.join(", ");
        b.warn(
            "",
            format!("accepted but without effect on one machine (Kubernetes only): {fields}"),
        );
    }
}

/// The spark-submit arguments: options, dependencies, `--conf`s, then the application and
/// its arguments.
fn command_line(b: &mut Builder<'_>, master: String) -> Result<Vec<String>, Vec<Problem>> {
    let inputs = b.inputs;
    let spec = b.spec();
    let mut args: Vec<String> = Vec::new();
    if let Some(p) = inputs.secret_properties {
        args.extend(["--properties-file".into(), p.display().to_string()]);
    }
    args.extend([
        "--master".into(),
        master,
        "--deploy-mode".into(),
        "client".into(),
        "--name".into(),
        inputs.app.metadata.name.clone().unwrap_or_default(),
    ]);
    if let Some(c) = &spec.main_class {
        args.extend(["--class".into(), c.clone()]);
    }
    dependency_args(b, &mut args);
    if let Some(u) = &spec.proxy_user {
        args.extend(["--proxy-user".into(), u.clone()]);
    }
    for (k, v) in &b.conf {
        args.extend(["--conf".into(), format!("{k}={v}")]);
    }
    let main = match spec.main_application_file.as_deref() {
        Some(f) => b.uri("spec.mainApplicationFile".into(), f),
        None => {
            return Err(vec![Problem::error(
                inputs.source,
                Some(0),
                "spec.mainApplicationFile",
                "required field is missing",
            )])
        }
    };
    args.push(main);
    args.extend(spec.arguments.iter().cloned());
    Ok(args)
}

/// `spec.deps`: URIs resolved (local ones recorded in `local_files`), package coordinates
/// as given.
fn dependency_args(b: &mut Builder<'_>, args: &mut Vec<String>) {
    let deps = &b.spec().deps;
    let lists: [(&str, &str, &[String]); 4] = [
        ("--jars", "spec.deps.jars", &deps.jars),
        ("--files", "spec.deps.files", &deps.files),
        ("--py-files", "spec.deps.pyFiles", &deps.py_files),
        ("--archives", "spec.deps.archives", &deps.archives),
    ];
    for (flag, field, list) in lists {
        if let Some(v) = b.uris(field, list) {
            args.extend([flag.to_string(), v]);
        }
    }
    let plain: [(&str, &[String]); 3] = [
        ("--packages", &deps.packages),
        ("--exclude-packages", &deps.exclude_packages),
        ("--repositories", &deps.repositories),
    ];
    for (flag, list) in plain {
        if !list.is_empty() {
            args.extend([flag.to_string(), list.join(",")]);
        }
    }
}

/// The driver process's environment: Spark's and Java's homes, then the driver's own
/// variables, which win.
fn environment(
    inputs: &SubmitInputs<'_>,
    driver_env: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert(
        "SPARK_HOME".to_string(),
        inputs.spark_home.display().to_string(),
    );
    env.insert("SPARK_LOCAL_IP".to_string(), "127.0.0.1".to_string());
    if let Some(j) = inputs.java_home {
        env.insert("JAVA_HOME".to_string(), j.display().to_string());
    }
    if matches!(inputs.app.spec.r#type, SparkApplicationType::Python) {
        env.insert("PYSPARK_PYTHON".to_string(), "python3".to_string());
    }
    env.extend(driver_env);
    env
}

/// Literal environment variables of a pod spec (`env` with values, then the deprecated
/// `envVars`), and whether some came from Secrets or ConfigMaps (not available locally).
fn literal_env(
    env: &[k8s_openapi::api::core::v1::EnvVar],
    env_vars: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, bool) {
    let mut out = BTreeMap::new();
    let mut from_refs = false;
    for v in env {
        match (&v.value, &v.value_from) {
            (_, Some(_)) => from_refs = true,
            (Some(val), None) => {
                out.insert(v.name.clone(), val.clone());
            }
            (None, None) => {
                out.insert(v.name.clone(), String::new());
            }
        }
    }
    for (k, v) in env_vars {
        out.entry(k.clone()).or_insert_with(|| v.clone());
    }
    (out, from_refs)
}

#[cfg(test)]
mod tests;
