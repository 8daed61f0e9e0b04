//! A SparkApplication as a spark-submit command line, the way kubeflow's operator builds it
//! (`submission.go`), with the defaults its admission webhook fills in (`defaults.go`).
//!
//! The result feeds [`sparkplane_submit::resolve`], so the driver objects come from the same
//! conformance-tested code path as `sparkplane submit`. Maps are walked in key order (Go
//! walks them at random), so the same manifest always gives the same command line.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Volume, VolumeMount};
use sparkplane_api::v1beta2::{
    defaults, PodView, SecretInfo, SecretType, SparkApplicationSpec, SparkApplicationType,
};
use sparkplane_api::SparkApplication;
use sparkplane_spark_resources::keys;
use sparkplane_submit::SubmitArgs;

use super::labels;
use super::RenderError;

/// Prefix of the volumes Spark itself mounts as local (scratch) directories.
pub const LOCAL_DIR_PREFIX: &str = "spark-local-dir-";

/// Which of the pods a setting is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The driver pod.
    Driver,
    /// The executor pods.
    Executor,
}

impl Role {
    /// The role as Spark's resource arithmetic names it.
    pub(crate) fn resources(self) -> sparkplane_spark_resources::Role {
        match self {
            Role::Driver => sparkplane_spark_resources::Role::Driver,
            Role::Executor => sparkplane_spark_resources::Role::Executor,
        }
    }

    pub(crate) fn conf_word(self) -> &'static str {
        self.resources().word()
    }

    /// This role's spec in `spec`, as the view both roles share.
    pub(crate) fn view(self, spec: &SparkApplicationSpec) -> PodView<'_> {
        match self {
            Role::Driver => spec.driver.view(),
            Role::Executor => spec.executor.view(),
        }
    }
}

/// Accumulates `--conf` settings in order.
struct Confs(Vec<String>);

impl Confs {
    fn set(&mut self, key: impl AsRef<str>, value: impl std::fmt::Display) {
        self.0.push(format!("{}={value}", key.as_ref()));
    }
}

/// The spark-submit options for one submission of `app`, as `submission_id`.
///
/// The `--conf`s come in kubeflow's order, which decides which of two settings of one key
/// wins: the application's settings, then sparkConf and hadoopConf, then each role's, then
/// the cluster-wide ones.
pub fn submit_args(
    app: &SparkApplication,
    submission_id: &str,
    master: &str,
    driver_pod_name: &str,
) -> Result<SubmitArgs, RenderError> {
    let spec = &app.spec;
    let name = app.metadata.name.clone().unwrap_or_default();
    let mut c = Confs(Vec::new());
    let mut args = options(app, master, &name);
    application_confs(&mut c, app);
    given_confs(&mut c, spec);
    c.set("spark.kubernetes.driver.pod.name", driver_pod_name);
    for role in [Role::Driver, Role::Executor] {
        let p = role.view(spec);
        pod_confs(&mut c, app, role, &name, submission_id)?;
        env_confs(&mut c, role, p.env_vars);
        secret_confs(&mut c, role, p.secrets);
        local_volume_confs(&mut c, role, &spec.volumes, p.volume_mounts)?;
    }
    for (k, v) in &spec.node_selector {
        c.set(format!("spark.kubernetes.node.selector.{k}"), v);
    }
    dynamic_allocation_confs(&mut c, spec);
    // The pod templates travel in the request, not as files; the container names tell
    // Spark which of their containers is its own.
    c.set(
        "spark.kubernetes.driver.podTemplateContainerName",
        super::templates::DRIVER_CONTAINER,
    );
    c.set(
        "spark.kubernetes.executor.podTemplateContainerName",
        super::templates::EXECUTOR_CONTAINER,
    );
    application(&mut args, spec)?;
    args.conf = c.0;
    Ok(args)
}

/// The options other than `--conf` and the application: master, mode, class, name, deps.
fn options(app: &SparkApplication, master: &str, name: &str) -> SubmitArgs {
    let deps = &app.spec.deps;
    let join = |v: &Vec<String>| (!v.is_empty()).then(|| v.join(","));
    SubmitArgs {
        master: Some(format!("k8s://{master}")),
        deploy_mode: Some("cluster".into()),
        class: app.spec.main_class.clone(),
        name: Some(name.to_string()),
        jars: join(&deps.jars),
        packages: join(&deps.packages),
        exclude_packages: join(&deps.exclude_packages),
        repositories: join(&deps.repositories),
        py_files: join(&deps.py_files),
        files: join(&deps.files),
        archives: join(&deps.archives),
        ..SubmitArgs::default()
    }
}

/// Namespace, image, pull settings, Python version and overhead factor.
fn application_confs(c: &mut Confs, app: &SparkApplication) {
    let spec = &app.spec;
    let namespace = app.metadata.namespace.clone().unwrap_or_default();
    c.set("spark.kubernetes.namespace", &namespace);
    if let Some(image) = spec.image.as_deref().filter(|s| !s.is_empty()) {
        c.set("spark.kubernetes.container.image", image);
    }
    if let Some(p) = spec.image_pull_policy.as_deref().filter(|s| !s.is_empty()) {
        c.set("spark.kubernetes.container.image.pullPolicy", p);
    }
    if !spec.image_pull_secrets.is_empty() {
        c.set(
            "spark.kubernetes.container.image.pullSecrets",
            spec.image_pull_secrets.join(","),
        );
    }
    if let Some(v) = spec.python_version {
        let v = match v {
            sparkplane_api::v1beta2::PythonVersion::Two => "2",
            sparkplane_api::v1beta2::PythonVersion::Three => "3",
        };
        c.set("spark.kubernetes.pyspark.pythonVersion", v);
    }
    if let Some(f) = spec
        .memory_overhead_factor
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        c.set(keys::KUBERNETES_MEMORY_OVERHEAD_FACTOR, f);
    }
}

/// sparkConf and hadoopConf, as given (but the driver pod's name, which the operator picks).
fn given_confs(c: &mut Confs, spec: &SparkApplicationSpec) {
    // The operator follows the driver itself; spark-submit must not wait.
    c.set("spark.kubernetes.submission.waitAppCompletion", "false");
    for (k, v) in &spec.spark_conf {
        if k != "spark.kubernetes.driver.pod.name" {
            c.set(k, v);
        }
    }
    for (k, v) in &spec.hadoop_conf {
        c.set(format!("spark.hadoop.{k}"), v);
    }
}

/// `spec.dynamicAllocation`, when enabled.
fn dynamic_allocation_confs(c: &mut Confs, spec: &SparkApplicationSpec) {
    for (k, v) in spec.dynamic_allocation.iter().flat_map(|d| d.spark_conf()) {
        c.set(k, v);
    }
}

/// The proxy user, the primary resource and the application's arguments; refuses an
/// application without a main file, or a JVM one without a main class.
fn application(args: &mut SubmitArgs, spec: &SparkApplicationSpec) -> Result<(), RenderError> {
    args.proxy_user = spec.proxy_user.clone().filter(|s| !s.is_empty());
    args.primary = spec.main_application_file.clone();
    if args.primary.is_none() {
        return Err(RenderError::field(
            "spec.mainApplicationFile",
            "the application's jar, .py or .R file is required",
        ));
    }
    if args.class.is_none()
        && matches!(
            spec.r#type,
            SparkApplicationType::Java | SparkApplicationType::Scala
        )
    {
        return Err(RenderError::field(
            "spec.mainClass",
            "Java and Scala applications need their main class",
        ));
    }
    args.app_args = spec.arguments.clone();
    Ok(())
}

/// What the per-role steps read.
struct RoleCtx<'a> {
    spec: &'a SparkApplicationSpec,
    role: Role,
    p: PodView<'a>,
    /// The role's word in Spark's keys: `driver` or `executor`.
    r: &'static str,
}

impl RoleCtx<'_> {
    fn label(&self, k: &str) -> String {
        format!("spark.kubernetes.{}.label.{k}", self.r)
    }
}

/// One role's pod settings, in kubeflow's order.
fn pod_confs(
    c: &mut Confs,
    app: &SparkApplication,
    role: Role,
    name: &str,
    submission_id: &str,
) -> Result<(), RenderError> {
    let spec = &app.spec;
    let ctx = RoleCtx {
        spec,
        role,
        p: role.view(spec),
        r: role.conf_word(),
    };
    operator_labels(c, &ctx, name, submission_id);
    if role == Role::Executor {
        executor_instances(c, spec);
    }
    if let Some(image) = ctx
        .p
        .image
        .filter(|s| !s.is_empty())
        .or(spec.image.as_ref().filter(|s| !s.is_empty()))
    {
        c.set(format!("spark.kubernetes.{}.container.image", ctx.r), image);
    }
    cores_and_memory(c, &ctx)?;
    role_settings(c, &ctx);
    labels_and_annotations(c, &ctx, app);
    for (k, v) in ctx.p.env_secret_key_refs {
        c.set(
            format!("spark.kubernetes.{}.secretKeyRef.{k}", ctx.r),
            format!("{}:{}", v.name, v.key),
        );
    }
    if role == Role::Executor {
        if let Some(v) = ctx.p.java_options {
            c.set("spark.executor.extraJavaOptions", v);
        }
    }
    Ok(())
}

/// The labels the operator puts on every pod of the application.
fn operator_labels(c: &mut Confs, ctx: &RoleCtx<'_>, name: &str, submission_id: &str) {
    c.set(ctx.label(labels::APP_NAME), name);
    c.set(ctx.label(labels::LAUNCHED_BY), "true");
    // kubeflow marks pods for its webhook; sparkplane has none, but tools select on it.
    if ctx.p.template.is_none() {
        c.set(ctx.label(labels::MUTATED_BY), "true");
    }
    c.set(ctx.label(labels::SUBMISSION_ID), submission_id);
}

/// The executor count, with kubeflow's default (`sparkplane_api::v1beta2::defaults`).
fn executor_instances(c: &mut Confs, spec: &SparkApplicationSpec) {
    if let Some(n) = defaults::executor_instances(spec) {
        c.set(keys::EXECUTOR_INSTANCES, n);
    }
}

/// Cores and memory, with kubeflow's defaults (1 core, 1g) where sparkConf sets none.
fn cores_and_memory(c: &mut Confs, ctx: &RoleCtx<'_>) -> Result<(), RenderError> {
    let (spec, p) = (ctx.spec, ctx.p);
    let keys = ctx.role.resources();
    if let Some(n) = defaults::cores(spec, &p, keys.cores_key()) {
        c.set(keys.cores_key(), n);
    }
    if let Some(v) = p.core_request {
        c.set(keys.request_cores_key(), v);
    }
    if let Some(v) = p.core_limit {
        c.set(keys.limit_cores_key(), v);
    }
    if let Some(v) = defaults::memory(spec, &p, keys.memory_key()) {
        c.set(keys.memory_key(), v);
    }
    // Spark sets an executor's memory limit to its request and ignores the template's, so
    // `executor.memoryLimit` takes effect through the overhead (see
    // `batch::spark_memory::executor_memory`). Set after sparkConf, it wins over
    // `spark.executor.memoryOverhead` there; the minimum the limit was checked against
    // already counted that overhead.
    let derived = match ctx.role {
        // Only with a limit: without one, Spark's own arithmetic applies unchanged, and
        // sizes this reading cannot parse are left for Spark to report.
        Role::Executor if p.memory_limit.is_some() => {
            super::batch::spark_memory::executor_memory(spec)?.overhead_for_limit
        }
        Role::Executor | Role::Driver => None,
    };
    if let Some(mib) = derived {
        c.set(keys.memory_overhead_key(), format!("{mib}m"));
    } else if let Some(v) = p.memory_overhead {
        c.set(keys.memory_overhead_key(), v);
    }
    Ok(())
}

/// The service account, and what only one of the roles has.
fn role_settings(c: &mut Confs, ctx: &RoleCtx<'_>) {
    let (spec, p) = (ctx.spec, ctx.p);
    if let Some(v) = p.service_account {
        c.set(
            format!("spark.kubernetes.authenticate.{}.serviceAccountName", ctx.r),
            v,
        );
    }
    match ctx.role {
        Role::Driver => {
            if let Some(v) = p.java_options {
                c.set("spark.driver.extraJavaOptions", v);
            }
            if let Some(v) = &spec.driver.kubernetes_master {
                c.set("spark.kubernetes.driver.master", v);
            }
        }
        Role::Executor => {
            if let Some(v) = spec.executor.delete_on_termination {
                c.set("spark.kubernetes.executor.deleteOnTermination", v);
            }
        }
    }
}

/// The application's labels, then the role's labels and annotations, then the driver
/// Service's.
fn labels_and_annotations(c: &mut Confs, ctx: &RoleCtx<'_>, app: &SparkApplication) {
    let (spec, p) = (ctx.spec, ctx.p);
    for (k, v) in &app.metadata.labels.clone().unwrap_or_default() {
        // Kueue's labels stay on the SparkApplication (kubeflow does the same).
        if !k.starts_with("kueue.x-k8s.io/") {
            c.set(ctx.label(k), v);
        }
    }
    for (k, v) in p.labels {
        c.set(ctx.label(k), v);
    }
    for (k, v) in p.annotations {
        c.set(format!("spark.kubernetes.{}.annotation.{k}", ctx.r), v);
    }
    if ctx.role == Role::Driver {
        for (k, v) in &spec.driver.service_labels {
            c.set(format!("spark.kubernetes.driver.service.label.{k}"), v);
        }
        for (k, v) in &spec.driver.service_annotations {
            c.set(format!("spark.kubernetes.driver.service.annotation.{k}"), v);
        }
    }
}

fn env_prefix(role: Role) -> &'static str {
    match role {
        Role::Driver => "spark.kubernetes.driverEnv.",
        Role::Executor => "spark.executorEnv.",
    }
}

fn env_confs(c: &mut Confs, role: Role, vars: &BTreeMap<String, String>) {
    for (k, v) in vars {
        c.set(format!("{}{k}", env_prefix(role)), v);
    }
}

fn secret_confs(c: &mut Confs, role: Role, secrets: &[SecretInfo]) {
    let r = role.conf_word();
    for s in secrets {
        c.set(format!("spark.kubernetes.{r}.secrets.{}", s.name), &s.path);
        let file = |f: &str| format!("{}/{f}", s.path.trim_end_matches('/'));
        match s.secret_type {
            SecretType::GCPServiceAccount => c.set(
                format!("{}GOOGLE_APPLICATION_CREDENTIALS", env_prefix(role)),
                file("key.json"),
            ),
            SecretType::HadoopDelegationToken => c.set(
                format!("{}HADOOP_TOKEN_FILE_LOCATION", env_prefix(role)),
                file("hadoop.token"),
            ),
            SecretType::Generic => {}
        }
    }
}

/// Volumes named `spark-local-dir-*` become Spark's own volume settings, so that Spark uses
/// them as local directories; every other volume goes into the pod directly
/// ([`super::pod_patch`]).
fn local_volume_confs(
    c: &mut Confs,
    role: Role,
    volumes: &[Volume],
    mounts: &[VolumeMount],
) -> Result<(), RenderError> {
    let r = role.conf_word();
    for (i, m) in mounts.iter().enumerate() {
        if !m.name.starts_with(LOCAL_DIR_PREFIX) {
            continue;
        }
        let path = format!("spec.{r}.volumeMounts[{i}]");
        let Some(v) = volumes.iter().find(|v| v.name == m.name) else {
            return Err(RenderError::field(
                format!("{path}.name"),
                format!("no volume named {} in spec.volumes", m.name),
            ));
        };
        let (kind, options): (&str, Vec<(&str, String)>) = if let Some(e) = &v.empty_dir {
            let mut o = vec![];
            if let Some(s) = &e.size_limit {
                o.push(("sizeLimit", s.0.clone()));
            }
            if let Some(m) = e.medium.as_ref().filter(|m| !m.is_empty()) {
                o.push(("medium", m.clone()));
            }
            ("emptyDir", o)
        } else if let Some(h) = &v.host_path {
            let mut o = vec![("path", h.path.clone())];
            if let Some(t) = &h.type_ {
                o.push(("type", t.clone()));
            }
            ("hostPath", o)
        } else if let Some(n) = &v.nfs {
            let mut o = vec![("path", n.path.clone()), ("server", n.server.clone())];
            if n.read_only == Some(true) {
                o.push(("readOnly", "true".into()));
            }
            ("nfs", o)
        } else if let Some(p) = &v.persistent_volume_claim {
            let mut o = vec![("claimName", p.claim_name.clone())];
            if p.read_only == Some(true) {
                o.push(("readOnly", "true".into()));
            }
            ("persistentVolumeClaim", o)
        } else {
            return Err(RenderError::field(
                format!("{path}.name"),
                format!(
                    "volume {} is a Spark local directory (named {LOCAL_DIR_PREFIX}*), which \
                     must be an emptyDir, hostPath, nfs or persistentVolumeClaim volume",
                    m.name
                ),
            ));
        };
        let base = format!("spark.kubernetes.{r}.volumes.{kind}.{}", m.name);
        if !m.mount_path.is_empty() {
            c.set(format!("{base}.mount.path"), &m.mount_path);
        }
        if let Some(s) = m.sub_path.as_ref().filter(|s| !s.is_empty()) {
            c.set(format!("{base}.mount.subPath"), s);
        }
        if m.read_only == Some(true) {
            c.set(format!("{base}.mount.readOnly"), "true");
        }
        for (k, v) in options {
            c.set(format!("{base}.options.{k}"), v);
        }
    }
    Ok(())
}
