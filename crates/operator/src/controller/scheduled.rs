//! The ScheduledSparkApplication controller: the shell around
//! [`sparkplane_schedule::decide`].

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kube::api::{ApiResource, DeleteParams, DynamicObject, ListParams, PostParams};
use kube::runtime::controller::Action as Requeue;
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use sparkplane_api::v1beta2::{
    ScheduleState, ScheduledSparkApplicationStatus, SparkApplicationStatus,
};
use sparkplane_api::{parse_value_with, Manifest, ScheduledSparkApplication, SparkConfPolicy};
use tracing::Instrument;

use super::{app_resource, ERROR_REQUEUE};
use crate::error::OperatorError;
use crate::metrics::{Metrics, ObjectLabels};
use sparkplane_render::labels;
use sparkplane_schedule::{decide, Action, Run};

/// What scheduled reconciles share.
pub struct ScheduledContext {
    pub(crate) client: Client,
    pub(crate) metrics: Arc<Metrics>,
    /// The sparkConf keys the operator admits in templates.
    pub(crate) spark_conf: SparkConfPolicy,
}

/// The API resource of ScheduledSparkApplication.
pub fn scheduled_resource() -> ApiResource {
    ApiResource::erase::<ScheduledSparkApplication>(&())
}

/// The kind this controller reconciles, in spans, logs and metrics.
const KIND: &str = "ScheduledSparkApplication";

/// Reconciles one ScheduledSparkApplication, in a span naming it; a success clears the
/// count of its failures that [`error_policy`] keeps.
pub async fn reconcile(
    obj: Arc<DynamicObject>,
    ctx: Arc<ScheduledContext>,
) -> Result<Requeue, OperatorError> {
    let object = ObjectLabels::new(KIND, obj.namespace(), obj.name_any());
    let span = tracing::info_span!(
        "reconcile",
        kind = KIND,
        namespace = %object.namespace,
        name = %object.name
    );
    let result = reconcile_scheduled(obj, ctx.clone()).instrument(span).await;
    if result.is_ok() {
        ctx.metrics.object_reconciled(&object);
    }
    result
}

async fn reconcile_scheduled(
    obj: Arc<DynamicObject>,
    ctx: Arc<ScheduledContext>,
) -> Result<Requeue, OperatorError> {
    ctx.metrics.reconciles.inc();
    if obj.metadata.deletion_timestamp.is_some() {
        return Ok(Requeue::await_change());
    }
    let ns = obj.namespace().unwrap_or_default();
    let name = obj.name_any();
    let api: Api<DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), &ns, &scheduled_resource());
    let value = super::status::typed_json(&obj, "ScheduledSparkApplication");
    let source = format!("ScheduledSparkApplication {ns}/{name}");
    let scheduled = match parse_value_with(&source, value, &ctx.spark_conf) {
        Ok((Manifest::ScheduledSparkApplication(s), _)) => *s,
        Ok(_) => return Ok(Requeue::await_change()),
        Err(problems) => {
            let reason = problems
                .iter()
                .filter(|p| p.is_error())
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect::<Vec<_>>()
                .join("; ");
            let st = ScheduledSparkApplicationStatus {
                schedule_state: ScheduleState::FailedValidation,
                reason: Some(reason),
                ..Default::default()
            };
            write_status(&api, &obj, &st).await?;
            return Ok(Requeue::await_change());
        }
    };
    let apps: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), &ns, &app_resource());
    let list = apps
        .list(&ListParams::default().labels(&format!("{}={name}", labels::SCHEDULED_APP_NAME)))
        .await
        .map_err(|e| OperatorError::kube(format!("list runs of {name}"), e))?;
    let runs: Vec<Run> = list
        .items
        .iter()
        .map(|a| {
            let status: SparkApplicationStatus = super::status::status_of(a);
            Run {
                name: a.name_any(),
                state: status.application_state.state,
                created: a
                    .metadata
                    .creation_timestamp
                    .as_ref()
                    .and_then(|t| DateTime::from_timestamp(t.0.as_second(), 0))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let decision = decide(&scheduled, &runs, Utc::now());
    for action in &decision.actions {
        match action {
            Action::Create(app) => {
                let obj: DynamicObject = serde_json::from_value(json!({
                    "apiVersion": "sparkoperator.k8s.io/v1beta2",
                    "kind": "SparkApplication",
                    "metadata": app.metadata,
                    "spec": app.spec,
                }))
                .map_err(|e| OperatorError::Config(format!("run of {name}: {e}")))?;
                match apps.create(&PostParams::default(), &obj).await {
                    Ok(_) => {}
                    // Created before a restart: the name is the scheduled time's.
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => {
                        return Err(OperatorError::kube(format!("create a run of {name}"), e))
                    }
                }
            }
            Action::Delete(run) => match apps.delete(run, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(OperatorError::kube(format!("delete run {run}"), e)),
            },
        }
    }
    if Some(&decision.status) != scheduled.status.as_ref() {
        write_status(&api, &obj, &decision.status).await?;
    }
    Ok(match decision.requeue_after {
        // Runs change state without touching the schedule; look now and then.
        Some(d) => Requeue::requeue(d.min(Duration::from_secs(60))),
        None => Requeue::requeue(Duration::from_secs(60)),
    })
}

async fn write_status(
    api: &Api<DynamicObject>,
    obj: &DynamicObject,
    status: &ScheduledSparkApplicationStatus,
) -> Result<(), OperatorError> {
    super::status::replace_any(api, &scheduled_resource(), obj, status)
        .await
        .map(drop)
}

/// After an error: log it naming the object, count it by kind and for the object, and try
/// again shortly.
pub fn error_policy(
    obj: Arc<DynamicObject>,
    e: &OperatorError,
    ctx: Arc<ScheduledContext>,
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
        "scheduled reconcile failed; retrying"
    );
    Requeue::requeue(ERROR_REQUEUE)
}
