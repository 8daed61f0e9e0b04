//! Creating and deleting a submission's objects.

use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::NamespaceResourceScope;
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sparkplane_api::SparkApplication;

use super::Context;
use crate::error::OperatorError;
use sparkplane_render::batch::{self, PodGroup};
use sparkplane_render::{labels, names, pdb, Rendered};

/// The field manager of the operator's server-side applies.
pub const FIELD_MANAGER: &str = "sparkplane-operator";

/// Why a submission's objects were not created.
#[derive(Debug)]
pub enum CreateFailure {
    /// The objects cannot be created as they are: the submission failed.
    Permanent(String),
    /// The API did not answer as hoped; creating again may work.
    Transient(OperatorError),
}

fn classify(action: &str, e: kube::Error) -> CreateFailure {
    match &e {
        kube::Error::Api(s) if (400..500).contains(&s.code) && s.code != 429 && s.code != 409 => {
            CreateFailure::Permanent(format!("{action}: {}", s.message))
        }
        _ => CreateFailure::Transient(OperatorError::kube(action, e)),
    }
}

async fn apply<T>(ctx: &Context, ns: &str, obj: &T) -> Result<(), CreateFailure>
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
    .map_err(|e| classify(&format!("apply {kind} {name}"), e))?;
    Ok(())
}

/// Server-side applies a PodGroup, a custom resource of the scheduler's API group.
async fn apply_pod_group(ctx: &Context, ns: &str, group: &PodGroup) -> Result<(), CreateFailure> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), ns, &group.api_resource());
    let name = group.name();
    api.patch(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(group),
    )
    .await
    // A 404 (the scheduler's CRD is not installed) fails the submission, as in kubeflow.
    .map_err(|e| classify(&format!("apply PodGroup {name} ({})", group.api_version), e))?;
    Ok(())
}

/// Creates every object of `rendered`: the batch scheduler's PodGroup (which must exist
/// before the scheduler sees the driver), the driver pod (an existing pod of the same
/// submission counts as created), then the rest, server-side applied, the driver's own
/// objects owned by the pod as spark-submit makes them.
pub async fn create(
    ctx: &Context,
    ns: &str,
    submission_id: &str,
    mut rendered: Rendered,
) -> Result<Rendered, CreateFailure> {
    if let Some(group) = &rendered.pod_group {
        apply_pod_group(ctx, ns, group).await?;
    }
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), ns);
    let pod_name = rendered.driver_pod_name().to_string();
    let uid = match pods
        .create(&PostParams::default(), &rendered.driver.pod)
        .await
    {
        Ok(p) => p.uid().unwrap_or_default(),
        Err(kube::Error::Api(s)) if s.code == 409 => {
            let existing = pods
                .get(&pod_name)
                .await
                .map_err(|e| classify(&format!("read driver pod {pod_name}"), e))?;
            let theirs = existing
                .labels()
                .get(labels::SUBMISSION_ID)
                .cloned()
                .unwrap_or_default();
            if theirs != submission_id {
                return Err(CreateFailure::Permanent(format!(
                    "driver pod {pod_name} already exists and belongs to submission {theirs:?}; \
                     delete it or name the driver differently (spec.driver.podName)"
                )));
            }
            existing.uid().unwrap_or_default()
        }
        Err(e) => return Err(classify(&format!("create driver pod {pod_name}"), e)),
    };
    rendered.driver.set_owner(&uid);
    let d = &rendered.driver;
    apply(ctx, ns, &d.service).await?;
    if let Some(n) = &d.network_policy {
        apply::<NetworkPolicy>(ctx, ns, n).await?;
    }
    for c in &d.claims {
        apply::<PersistentVolumeClaim>(ctx, ns, c).await?;
    }
    if let Some(t) = &d.pod_template {
        apply::<ConfigMap>(ctx, ns, t).await?;
    }
    apply::<ConfigMap>(ctx, ns, &d.conf_map).await?;
    if let Some(c) = &rendered.metrics_config_map {
        apply::<ConfigMap>(ctx, ns, c).await?;
    }
    for s in &rendered.services {
        apply::<Service>(ctx, ns, s).await?;
    }
    for i in &rendered.ingresses {
        apply::<Ingress>(ctx, ns, i).await?;
    }
    // After the driver, as kubeflow creates it once the application is submitted.
    if let Some(b) = &rendered.driver_pdb {
        apply::<PodDisruptionBudget>(ctx, ns, b).await?;
    }
    Ok(rendered)
}

async fn delete_if_there<T>(ctx: &Context, ns: &str, name: &str) -> Result<(), OperatorError>
where
    T: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + std::fmt::Debug,
    <T as Resource>::DynamicType: Default,
{
    let api: Api<T> = Api::namespaced(ctx.client.clone(), ns);
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(OperatorError::kube(
            format!("delete {} {name}", T::kind(&Default::default())),
            e,
        )),
    }
}

async fn delete_dynamic_if_there(
    ctx: &Context,
    ns: &str,
    resource: &ApiResource,
    name: &str,
) -> Result<(), OperatorError> {
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), ns, resource);
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(OperatorError::kube(
            format!("delete {} {name}", resource.kind),
            e,
        )),
    }
}

/// The driver pods of `app` in the cache.
pub fn driver_pods(ctx: &Context, app: &SparkApplication) -> Vec<String> {
    let name = app.metadata.name.as_deref().unwrap_or_default();
    let ns = app.metadata.namespace.as_deref().unwrap_or_default();
    ctx.index
        .pods_of(ns, name)
        .into_iter()
        .filter(|(_, e)| e.role == super::index::Role::Driver)
        .map(|(n, _)| n)
        .collect()
}

/// Deletes the driver pods (their executors and objects go with them, by ownership), the
/// driver's PodDisruptionBudget, UI and driver-port Services and Ingresses of every
/// submission of `app`.
pub async fn delete_run_objects(
    ctx: &Context,
    app: &SparkApplication,
) -> Result<(), OperatorError> {
    let name = app.metadata.name.clone().unwrap_or_default();
    let ns = app.metadata.namespace.clone().unwrap_or_default();
    // First, so that a drain under way is not held by a budget whose driver is gone. Not
    // gated on the spec: a spec that turned the budget off must still drop it.
    delete_if_there::<PodDisruptionBudget>(ctx, &ns, &pdb::name(app)).await?;
    for pod in driver_pods(ctx, app) {
        delete_if_there::<Pod>(ctx, &ns, &pod).await?;
    }
    delete_if_there::<Service>(ctx, &ns, &names::ui_service(&name)).await?;
    if ctx.config.ui.ingress_url_format.is_some() {
        delete_if_there::<Ingress>(ctx, &ns, &names::ui_ingress(&name)).await?;
    }
    for d in &app.spec.driver_ingress_options {
        if let Some(port) = d.service_port {
            delete_if_there::<Service>(ctx, &ns, &format!("{name}-driver-{port}")).await?;
            if d.ingress_url_format.is_some() {
                delete_if_there::<Ingress>(ctx, &ns, &format!("{name}-ing-{port}")).await?;
            }
        }
    }
    Ok(())
}

/// Deletes what only a live application needs once `app` has terminated (kubeflow's
/// `cleanUpOnTermination`): the driver's PodDisruptionBudget and the batch scheduler's
/// PodGroup.
pub async fn clean_up_terminated(
    ctx: &Context,
    app: &SparkApplication,
) -> Result<(), OperatorError> {
    let ns = app.metadata.namespace.clone().unwrap_or_default();
    delete_if_there::<PodDisruptionBudget>(ctx, &ns, &pdb::name(app)).await?;
    if let Some((resource, name)) = batch::pod_group_of(app) {
        delete_dynamic_if_there(ctx, &ns, &resource, &name).await?;
    }
    Ok(())
}
