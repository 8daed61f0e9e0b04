//! Writing a SparkApplication's status: replaced whole with the resource version read, so
//! a status computed from a stale view is refused (409) instead of overwriting a newer one.

use kube::api::{DynamicObject, PostParams};
use kube::Api;
use serde_json::json;
use sparkplane_api::v1beta2::{ApplicationStateType as State, SparkApplicationStatus};

use super::{app_resource, Context};
use crate::error::OperatorError;

/// The status of an object read untyped; the default when it has none (or none readable).
pub fn status_of<S: serde::de::DeserializeOwned + Default>(obj: &DynamicObject) -> S {
    obj.data
        .get("status")
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_default()
}

/// An object read untyped, as JSON with its `apiVersion` and `kind` (list items and watch
/// events may lack them), ready for the typed loader.
pub fn typed_json(obj: &DynamicObject, kind: &str) -> serde_json::Value {
    let mut value = serde_json::to_value(obj).unwrap_or_default();
    if let Some(m) = value.as_object_mut() {
        m.insert("apiVersion".into(), "sparkoperator.k8s.io/v1beta2".into());
        m.insert("kind".into(), kind.into());
    }
    value
}

/// The applications of `ns`.
pub fn apps(ctx: &Context, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(ctx.client.clone(), ns, &app_resource())
}

/// Replaces the status of `obj` (at its resource version) with `status`; the object as
/// written.
pub async fn replace(
    api: &Api<DynamicObject>,
    obj: &DynamicObject,
    status: &SparkApplicationStatus,
) -> Result<DynamicObject, OperatorError> {
    replace_any(api, &app_resource(), obj, status).await
}

/// Replaces the status of `obj`, of kind `resource`, at its resource version; the object as
/// written.
pub async fn replace_any<S: serde::Serialize>(
    api: &Api<DynamicObject>,
    resource: &kube::api::ApiResource,
    obj: &DynamicObject,
    status: &S,
) -> Result<DynamicObject, OperatorError> {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let mut body = DynamicObject::new(&name, resource);
    body.metadata.namespace = obj.metadata.namespace.clone();
    body.metadata.resource_version = obj.metadata.resource_version.clone();
    body.data = json!({ "status": status });
    api.replace_status(&name, &PostParams::default(), &body)
        .await
        .map_err(|e| OperatorError::kube(format!("write status of {name}"), e))
}

/// Lets `change` edit the status of `name` and writes it back; the object as written, if
/// anything was. The first attempt starts from `read`, when the caller has just read the
/// object; a conflict (someone wrote in between) reads it again, up to five times.
/// `change` returns false to write nothing (the status moved on).
pub async fn update(
    api: &Api<DynamicObject>,
    name: &str,
    mut read: Option<DynamicObject>,
    mut change: impl FnMut(&mut SparkApplicationStatus) -> bool,
) -> Result<Option<DynamicObject>, OperatorError> {
    for _ in 0..5 {
        let obj = match read.take() {
            Some(obj) => obj,
            None => match api
                .get_opt(name)
                .await
                .map_err(|e| OperatorError::kube(format!("read {name}"), e))?
            {
                Some(obj) => obj,
                None => return Ok(None),
            },
        };
        let mut status: SparkApplicationStatus = status_of(&obj);
        if !change(&mut status) {
            return Ok(None);
        }
        match replace(api, &obj, &status).await {
            Err(OperatorError::Kube {
                source: kube::Error::Api(s),
                ..
            }) if s.code == 409 => continue,
            other => return other.map(Some),
        }
    }
    Err(OperatorError::Config(format!(
        "status of {name} kept changing under five attempts to write it"
    )))
}

/// Whether a status says the application ended for good.
pub fn is_final(status: &SparkApplicationStatus) -> bool {
    matches!(
        status.application_state.state,
        State::Completed | State::Failed
    )
}
