//! `BasicDriverFeatureStep`: name, labels, image, ports, environment, resources.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ContainerPort, EnvVar, EnvVarSource, LocalObjectReference, ObjectFieldSelector,
    ResourceRequirements, SecurityContext,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{add_all, SparkPod};
use crate::conf::java_double;
use crate::driver::Ctx;
use crate::error::SubmitError;
use crate::request::MainResource;
use sparkplane_spark_resources::cores::{cpu_limit, cpu_request};
use sparkplane_spark_resources::keys::KUBERNETES_MEMORY_OVERHEAD_FACTOR;
use sparkplane_spark_resources::memory::{self, MinimumOverhead};
use sparkplane_spark_resources::{Language, Role};

/// The application's language, from its main resource.
fn language(ctx: &Ctx) -> Language {
    match ctx.req.resource {
        MainResource::Java { .. } => Language::Jvm,
        MainResource::Python(_) => Language::Python,
        MainResource::R(_) => Language::R,
    }
}

/// The memory overhead factor the driver uses by default and passes to executors.
pub fn default_overhead_factor(ctx: &Ctx) -> Result<f64, SubmitError> {
    Ok(memory::default_overhead_factor(&ctx.conf, language(ctx))?)
}

/// Driver memory including overhead, in MiB. From Spark 4.0 the minimum overhead is
/// `spark.driver.minMemoryOverhead` (else 384 MiB); before, a fixed 384 MiB.
pub fn driver_memory_mib(ctx: &Ctx) -> Result<u64, SubmitError> {
    let minimum = if ctx.behaviour.min_memory_overhead_conf {
        MinimumOverhead::FromConf
    } else {
        MinimumOverhead::Fixed
    };
    Ok(memory::pod_memory(&ctx.conf, Role::Driver, language(ctx), minimum)?.total())
}

/// `<vendor>/<resource>` limits from `spark.driver.resource.<name>.{amount,vendor}`.
fn custom_resources(ctx: &Ctx) -> Result<Vec<(String, String)>, SubmitError> {
    let mut names: Vec<String> = ctx
        .conf
        .entries()
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("spark.driver.resource."))
        .filter_map(|rest| rest.split_once('.').map(|(n, _)| n.to_string()))
        .collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let key = |field: &str| format!("spark.driver.resource.{name}.{field}");
        let Some(amount) = ctx.conf.get(&key("amount")) else {
            continue;
        };
        let vendor = ctx
            .conf
            .get(&key("vendor"))
            .ok_or_else(|| SubmitError::Missing {
                setting: key("vendor"),
                reason: "Kubernetes names a resource by vendor domain (e.g. nvidia.com)".into(),
            })?;
        out.push((format!("{vendor}/{name}"), amount.to_string()));
    }
    Ok(out)
}

/// Applies the step, in Spark's order: the container (name, image, ports), its environment,
/// its resources, then the pod's metadata and spec.
pub fn apply(ctx: &Ctx, p: &mut SparkPod) -> Result<(), SubmitError> {
    container(ctx, p);
    environment(ctx, p)?;
    resources(ctx, p)?;
    if ctx.behaviour.disallow_privilege_escalation {
        p.container
            .security_context
            .get_or_insert_with(SecurityContext::default)
            .allow_privilege_escalation = Some(false);
    }
    pod(ctx, p);
    Ok(())
}

/// The driver container's name (unless the template named it), image and ports.
fn container(ctx: &Ctx, p: &mut SparkPod) {
    let conf = &ctx.conf;
    let c = &mut p.container;
    if c.name.is_empty() {
        c.name = "spark-kubernetes-driver".into();
    }
    c.image = Some(ctx.image.clone());
    c.image_pull_policy = Some(
        conf.get("spark.kubernetes.container.image.pullPolicy")
            .unwrap_or("IfNotPresent")
            .to_string(),
    );
    let mut ports = vec![
        ("driver-rpc-port", ctx.driver_port),
        ("blockmanager", ctx.pod_block_manager_port),
        ("spark-ui", ctx.ui_port),
    ];
    if ctx.behaviour.spark_connect_port {
        ports.push(("spark-connect", ctx.connect_port));
    }
    let list = c.ports.get_or_insert_with(Vec::new);
    for (name, port) in ports {
        list.push(ContainerPort {
            name: Some(name.into()),
            container_port: port,
            protocol: Some("TCP".into()),
            ..Default::default()
        });
    }
}

/// `SPARK_USER`, the application id, `spark.kubernetes.driverEnv.*` and the bind address.
fn environment(ctx: &Ctx, p: &mut SparkPod) -> Result<(), SubmitError> {
    let user = crate::user::driver_spark_user(
        &ctx.req.submitter,
        ctx.req.proxy_user.as_deref(),
        &ctx.behaviour,
    )?;
    p.add_env("SPARK_USER", &user);
    p.add_env("SPARK_APPLICATION_ID", &ctx.req.ids.app_id);
    for (k, v) in ctx.prefixed("spark.kubernetes.driverEnv.") {
        p.add_env(&k, &v);
    }
    p.container.env.get_or_insert_with(Vec::new).push(EnvVar {
        name: "SPARK_DRIVER_BIND_ADDRESS".into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                api_version: Some("v1".into()),
                field_path: "status.podIP".into(),
            }),
            ..Default::default()
        }),
        ..Default::default()
    });
    Ok(())
}

/// Memory (request and limit alike), CPU request and limit, and custom resources.
fn resources(ctx: &Ctx, p: &mut SparkPod) -> Result<(), SubmitError> {
    let conf = &ctx.conf;
    let memory = Quantity(format!("{}Mi", driver_memory_mib(ctx)?));
    let cpu_request = cpu_request(conf, Role::Driver)?.text();
    let res = p
        .container
        .resources
        .get_or_insert_with(ResourceRequirements::default);
    let requests = res.requests.get_or_insert_with(BTreeMap::new);
    requests.insert("cpu".into(), Quantity(cpu_request));
    requests.insert("memory".into(), memory.clone());
    let limits = res.limits.get_or_insert_with(BTreeMap::new);
    if let Some(l) = cpu_limit(conf, Role::Driver) {
        limits.insert("cpu".into(), Quantity(l));
    }
    limits.insert("memory".into(), memory);
    for (k, v) in custom_resources(ctx)? {
        limits.insert(k, Quantity(v));
    }
    Ok(())
}

/// The pod's name, labels and annotations, and its spec: restart policy, node selectors,
/// image pull secrets, service account and scheduler.
fn pod(ctx: &Ctx, p: &mut SparkPod) {
    let conf = &ctx.conf;
    p.meta().name = Some(ctx.pod_name.clone());
    add_all(&mut p.pod.metadata.labels, &ctx.labels);
    add_all(&mut p.pod.metadata.annotations, &ctx.annotations);
    let spec = p.spec();
    spec.restart_policy = Some("Never".into());
    let global = ctx.prefixed("spark.kubernetes.node.selector.");
    let driver = ctx.prefixed("spark.kubernetes.driver.node.selector.");
    if !global.is_empty() || !driver.is_empty() {
        add_all(&mut spec.node_selector, &global);
        add_all(&mut spec.node_selector, &driver);
    }
    let secrets: Vec<LocalObjectReference> = conf
        .get("spark.kubernetes.container.image.pullSecrets")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| LocalObjectReference { name: s.into() })
        .collect();
    if !secrets.is_empty() {
        spec.image_pull_secrets
            .get_or_insert_with(Vec::new)
            .extend(secrets);
    }
    // `DriverKubernetesCredentialsFeatureStep`: with no uploaded credentials (refused), the
    // service account, set under both of its names.
    if let Some(sa) = conf.get("spark.kubernetes.authenticate.driver.serviceAccountName") {
        #[allow(deprecated)]
        {
            spec.service_account = Some(sa.to_string());
        }
        spec.service_account_name = Some(sa.to_string());
    }
    if let Some(s) = conf
        .get("spark.kubernetes.driver.scheduler.name")
        .or_else(|| conf.get("spark.kubernetes.scheduler.name"))
    {
        spec.scheduler_name = Some(s.to_string());
    }
}

/// System properties the step adds to `spark.properties`.
pub fn properties(ctx: &Ctx) -> Result<Vec<(String, String)>, SubmitError> {
    Ok(vec![
        (
            "spark.kubernetes.driver.pod.name".into(),
            ctx.pod_name.clone(),
        ),
        ("spark.app.id".into(), ctx.req.ids.app_id.clone()),
        ("spark.kubernetes.submitInDriver".into(), "true".into()),
        (
            KUBERNETES_MEMORY_OVERHEAD_FACTOR.into(),
            java_double(default_overhead_factor(ctx)?),
        ),
    ])
}
