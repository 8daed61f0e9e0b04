//! The SparkCluster controller: a Spark standalone cluster as Kubernetes workloads, the
//! shell around [`sparkplane_cluster_objects::build`].
//!
//! Each reconcile parses the cluster (a bad manifest gets a `Valid=False` condition naming
//! every refused field, and nothing else happens to it), creates the RPC authentication
//! Secret once (create only: the operator never reads Secrets), server-side applies the
//! ConfigMap, the master's Service and Deployment and the workers' Service and StatefulSet,
//! and writes the status from what the applies returned. The owned Deployments and
//! StatefulSets are watched, so pods becoming ready update the status.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::NamespaceResourceScope;
use kube::runtime::controller::Action as Requeue;
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sparkplane_api::cluster::SparkClusterStatus;
use sparkplane_api::{parse_value_with, Manifest, SparkCluster, SparkConfPolicy};
use sparkplane_cluster_objects as objects;
use tracing::Instrument;

use super::objects::FIELD_MANAGER;
use super::ERROR_REQUEUE;
use crate::error::OperatorError;
use crate::metrics::{Metrics, ObjectLabels};

/// What cluster reconciles share.
pub struct ClusterContext {
    pub(crate) client: Client,
    pub(crate) metrics: Arc<Metrics>,
    /// The sparkConf keys the operator admits.
    pub(crate) spark_conf: SparkConfPolicy,
    /// The clusters (by uid) whose Secret exists: created, or found there.
    pub(crate) secrets: Mutex<HashSet<String>>,
}

/// The API resource of SparkCluster.
pub fn cluster_resource() -> ApiResource {
    ApiResource::erase::<SparkCluster>(&())
}

/// The kind this controller reconciles, in spans, logs and metrics.
const KIND: &str = "SparkCluster";

/// How often a cluster is looked at without any change (its owned objects' watches wake it
/// sooner).
const RESYNC: Duration = Duration::from_secs(300);

/// Reconciles one SparkCluster, in a span naming it; a success clears the count of its
/// failures that [`error_policy`] keeps.
pub async fn reconcile(
    obj: Arc<DynamicObject>,
    ctx: Arc<ClusterContext>,
) -> Result<Requeue, OperatorError> {
    let object = ObjectLabels::new(KIND, obj.namespace(), obj.name_any());
    let span = tracing::info_span!(
        "reconcile",
        kind = KIND,
        namespace = %object.namespace,
        name = %object.name
    );
    let result = reconcile_cluster(obj, ctx.clone()).instrument(span).await;
    if result.is_ok() {
        ctx.metrics.object_reconciled(&object);
    }
    result
}

/// The cluster as JSON with its `apiVersion` and `kind`, for the typed loader.
fn typed_json(obj: &DynamicObject) -> serde_json::Value {
    let mut value = serde_json::to_value(obj).unwrap_or_default();
    if let Some(m) = value.as_object_mut() {
        m.insert("apiVersion".into(), "sparkplane.io/v1alpha1".into());
        m.insert("kind".into(), KIND.into());
    }
    value
}

async fn reconcile_cluster(
    obj: Arc<DynamicObject>,
    ctx: Arc<ClusterContext>,
) -> Result<Requeue, OperatorError> {
    ctx.metrics.reconciles.inc();
    if obj.metadata.deletion_timestamp.is_some() {
        // Everything it made is owned by it: the garbage collector deletes it.
        return Ok(Requeue::await_change());
    }
    let ns = obj.namespace().unwrap_or_default();
    let name = obj.name_any();
    let api: Api<DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), &ns, &cluster_resource());
    let current: SparkClusterStatus = super::status::status_of(&obj);
    let source = format!("SparkCluster {ns}/{name}");
    let cluster = match parse_value_with(&source, typed_json(&obj), &ctx.spark_conf) {
        Ok((Manifest::SparkCluster(c), _)) => *c,
        Ok(_) => return Ok(Requeue::await_change()),
        Err(problems) => {
            let reasons: Vec<String> = problems
                .iter()
                .filter(|p| p.is_error())
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect();
            return refuse(&api, &obj, &current, reasons).await;
        }
    };
    let built = match objects::build(&cluster) {
        Ok(b) => b,
        Err(refusals) => {
            let reasons = refusals.iter().map(ToString::to_string).collect();
            return refuse(&api, &obj, &current, reasons).await;
        }
    };
    if objects::authenticate(&cluster) {
        ensure_secret(&ctx, &ns, &cluster).await?;
    }
    apply::<ConfigMap>(&ctx, &ns, &built.config).await?;
    apply::<Service>(&ctx, &ns, &built.master_service).await?;
    let master = apply::<Deployment>(&ctx, &ns, &built.master).await?;
    apply::<Service>(&ctx, &ns, &built.workers_service).await?;
    let workers = apply::<StatefulSet>(&ctx, &ns, &built.workers).await?;
    let status = observed(&cluster, &current, &master, &workers);
    if status != current {
        super::status::replace_any(&api, &cluster_resource(), &obj, &status).await?;
    }
    Ok(Requeue::requeue(RESYNC))
}

/// Creates the cluster's Secret with a fresh random secret unless it exists. Only `create`:
/// an existing Secret (a 409) is kept as it is, so the secret is generated once, and the
/// operator needs no right to read Secrets.
async fn ensure_secret(
    ctx: &ClusterContext,
    ns: &str,
    cluster: &SparkCluster,
) -> Result<(), OperatorError> {
    let uid = cluster.metadata.uid.clone().unwrap_or_default();
    if ctx.secrets.lock().is_ok_and(|s| s.contains(&uid)) {
        return Ok(());
    }
    let secret = objects::auth_secret(cluster, &random_secret());
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let name = secret.metadata.name.clone().unwrap_or_default();
    match api.create(&PostParams::default(), &secret).await {
        Ok(_) => tracing::info!(secret = %name, "created the RPC authentication secret"),
        Err(kube::Error::Api(s)) if s.code == 409 => {}
        // Never the error's body: it could echo the request.
        Err(kube::Error::Api(s)) => {
            return Err(OperatorError::Config(format!(
                "create Secret {name}: {} ({})",
                s.reason, s.code
            )))
        }
        Err(e) => return Err(OperatorError::kube(format!("create Secret {name}"), e)),
    }
    if let Ok(mut s) = ctx.secrets.lock() {
        s.insert(uid);
    }
    Ok(())
}

/// 32 random bytes, hex.
fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

async fn apply<T>(ctx: &ClusterContext, ns: &str, obj: &T) -> Result<T, OperatorError>
where
    T: Resource<Scope = NamespaceResourceScope>
        + Clone
        + Serialize
        + DeserializeOwned
        + std::fmt::Debug,
    <T as Resource>::DynamicType: Default,
{
    let api: Api<T> = Api::namespaced(ctx.client.clone(), ns);
    let name = obj.meta().name.clone().unwrap_or_default();
    let kind = T::kind(&Default::default()).to_string();
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(obj),
    )
    .await
    .map_err(|e| OperatorError::kube(format!("apply {kind} {name}"), e))
}

/// A condition, keeping its transition time when its status did not change.
fn condition(
    previous: &[Condition],
    type_: &str,
    ok: bool,
    reason: &str,
    message: String,
    generation: Option<i64>,
) -> Condition {
    let status = if ok { "True" } else { "False" };
    let since = previous
        .iter()
        .find(|c| c.type_ == type_ && c.status == status)
        .map(|c| c.last_transition_time.clone())
        .unwrap_or_else(|| Time(jiff_now()));
    Condition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.into(),
        message,
        observed_generation: generation,
        last_transition_time: since,
    }
}

fn jiff_now() -> k8s_openapi::jiff::Timestamp {
    k8s_openapi::jiff::Timestamp::now()
}

/// The status of a valid cluster from its applied workloads.
fn observed(
    cluster: &SparkCluster,
    current: &SparkClusterStatus,
    master: &Deployment,
    workers: &StatefulSet,
) -> SparkClusterStatus {
    let generation = cluster.metadata.generation;
    let desired = cluster.spec.workers.replicas;
    let master_ready = master
        .status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
        >= 1;
    let ws = workers.status.as_ref();
    let ready = ws.and_then(|s| s.ready_replicas).unwrap_or(0);
    let replicas = ws.map(|s| s.replicas).unwrap_or(0);
    let all = master_ready && ready >= desired && replicas == desired;
    let state = match (master_ready, all) {
        (_, true) => "Running",
        (true, false) => "Degraded",
        (false, false) => "Starting",
    };
    let message = format!(
        "master {}; {ready} of {desired} workers ready",
        if master_ready { "ready" } else { "not ready" }
    );
    let reason = if all { "AllReady" } else { "NotAllReady" };
    SparkClusterStatus {
        state: Some(state.into()),
        master_url: Some(objects::master_url(cluster)),
        alive_workers: current.alive_workers,
        desired_workers: Some(desired),
        ready_workers: Some(ready),
        replicas: Some(replicas),
        selector: Some(objects::worker_selector(cluster)),
        conditions: vec![
            condition(
                &current.conditions,
                "Valid",
                true,
                "Accepted",
                "the manifest was accepted".into(),
                generation,
            ),
            condition(
                &current.conditions,
                "Ready",
                all,
                reason,
                message,
                generation,
            ),
        ],
        observed_generation: generation,
    }
}

/// Writes the status of a cluster that cannot run as given: `Valid=False`, naming every
/// refused field. Nothing is created or changed; a new generation is looked at again.
async fn refuse(
    api: &Api<DynamicObject>,
    obj: &DynamicObject,
    current: &SparkClusterStatus,
    reasons: Vec<String>,
) -> Result<Requeue, OperatorError> {
    let generation = obj.metadata.generation;
    let message = reasons.join("; ");
    let status = SparkClusterStatus {
        state: Some("Invalid".into()),
        conditions: vec![
            condition(
                &current.conditions,
                "Valid",
                false,
                "InvalidSpec",
                message.clone(),
                generation,
            ),
            condition(
                &current.conditions,
                "Ready",
                false,
                "InvalidSpec",
                "the manifest was refused".into(),
                generation,
            ),
        ],
        observed_generation: generation,
        ..current.clone()
    };
    if &status != current {
        tracing::warn!(reasons = %message, "cluster refused");
        super::status::replace_any(api, &cluster_resource(), obj, &status).await?;
    }
    Ok(Requeue::await_change())
}

/// After an error: log it naming the object, count it by kind and for the object, and try
/// again shortly.
pub fn error_policy(
    obj: Arc<DynamicObject>,
    e: &OperatorError,
    ctx: Arc<ClusterContext>,
) -> Requeue {
    let object = ObjectLabels::new(KIND, obj.namespace(), obj.name_any());
    ctx.metrics.error(e.kind());
    let failures = ctx.metrics.object_failed(&object);
    tracing::warn!(
        kind = KIND,
        namespace = %object.namespace,
        name = %object.name,
        failures,
        error = %e,
        "cluster reconcile failed; retrying"
    );
    Requeue::requeue(ERROR_REQUEUE)
}
