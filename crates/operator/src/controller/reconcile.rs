//! One reconcile: parse, observe, decide, write, act.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, ResourceQuota};
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, DynamicObject, ListParams};
use kube::runtime::controller::Action as Requeue;
use kube::{Api, Resource, ResourceExt};
use sparkplane_api::v1beta2::{
    ApplicationState, ApplicationStateType as State, SparkApplicationStatus,
};
use sparkplane_api::{parse_value_with, Manifest, Problem, SparkApplication};
use tracing::Instrument;

use super::index::Kept;
use super::{events, objects, status, submit, Context, ERROR_REQUEUE};
use crate::error::OperatorError;
use crate::metrics::{ObjectLabels, TransitionLabels};
use sparkplane_lifecycle::pod::PodSummary;
use sparkplane_lifecycle::quota::{self, QuotaError};
use sparkplane_lifecycle::{conditions, decide, Action, Driver, Executor, Input};
use sparkplane_render::labels;

/// How often an application is looked at without any event, as a safety net.
const RESYNC: Duration = Duration::from_secs(300);

/// Reconciles one SparkApplication, in a span naming it; a success clears the count of its
/// failures that [`error_policy`] keeps.
pub async fn reconcile(
    meta: Arc<super::AppMeta>,
    ctx: Arc<Context>,
) -> Result<Requeue, OperatorError> {
    let object = ObjectLabels::new(KIND, meta.namespace(), meta.name_any());
    let span = tracing::info_span!(
        "reconcile",
        kind = KIND,
        namespace = %object.namespace,
        name = %object.name
    );
    let result = reconcile_application(meta, ctx.clone())
        .instrument(span)
        .await;
    if result.is_ok() {
        ctx.metrics.object_reconciled(&object);
    }
    result
}

/// The kind this controller reconciles, in spans, logs and metrics.
const KIND: &str = "SparkApplication";

/// One reconcile of a SparkApplication: read it, observe its pods, let the lifecycle decide
/// (asking the quotas only when a run waits for admission), write the status, carry out the
/// actions, and say when to look again.
async fn reconcile_application(
    meta: Arc<super::AppMeta>,
    ctx: Arc<Context>,
) -> Result<Requeue, OperatorError> {
    ctx.metrics.reconciles.inc();
    if meta.metadata.deletion_timestamp.is_some() {
        return Ok(Requeue::await_change());
    }
    let ns = meta.namespace().unwrap_or_default();
    let name = meta.name_any();
    let api = status::apps(&ctx, &ns);
    let Some(obj) = read_application(&ctx, &api, &meta, &ns, &name).await? else {
        return Ok(Requeue::await_change());
    };
    let Some(app) = typed_application(&ctx, &api, &obj, &ns, &name).await? else {
        return Ok(Requeue::await_change());
    };
    let before = app.status.clone().unwrap_or_default();
    let (driver, executors, run_objects_gone) = observe(&ctx, &app, &before, &ns, &name).await?;
    let input = Input {
        app: &app,
        driver,
        executors,
        run_objects_gone,
        now: Timestamp::now(),
        settings: &ctx.config.lifecycle,
        refusal: None,
    };
    let mut decision = decide(&input);
    // The quotas are read only when a submission waits for admission, so enforcement costs
    // one list per new run, not one per reconcile.
    let refusal = if ctx.config.resource_quota_enforcement && decision.needs_admission() {
        quota_refusal(&ctx, &app, &ns).await?
    } else {
        None
    };
    if let Some(reason) = &refusal {
        decision = decide(&Input {
            refusal: Some(reason),
            ..input
        });
    }
    if decision.status != before {
        ctx.fresh
            .put(status::replace(&api, &obj, &decision.status).await?);
    }
    if let Some(t) = &decision.transition {
        record_transition(&ctx, &app, &before, &decision.status, t).await;
    }
    if let Carried::Deleted = carry_out(&ctx, &api, &app, &decision, &name).await? {
        return Ok(Requeue::await_change());
    }
    Ok(next_look(&decision))
}

/// The whole application: what this operator last wrote, if that is still the latest
/// version (the cache holds metadata only), or else read now; `None` when it is gone.
async fn read_application(
    ctx: &Context,
    api: &Api<DynamicObject>,
    meta: &super::AppMeta,
    ns: &str,
    name: &str,
) -> Result<Option<DynamicObject>, OperatorError> {
    if let Some(obj) = ctx
        .fresh
        .take(ns, name, meta.metadata.resource_version.as_deref())
    {
        return Ok(Some(obj));
    }
    api.get_opt(name)
        .await
        .map_err(|e| OperatorError::kube(format!("read {name}"), e))
}

/// `obj` parsed and validated; an invalid one gets its problems in its status, and `None`.
async fn typed_application(
    ctx: &Context,
    api: &Api<DynamicObject>,
    obj: &DynamicObject,
    ns: &str,
    name: &str,
) -> Result<Option<SparkApplication>, OperatorError> {
    let source = format!("SparkApplication {ns}/{name}");
    let value = status::typed_json(obj, "SparkApplication");
    match parse_value_with(&source, value, &ctx.config.spark_conf) {
        Ok((Manifest::SparkApplication(a), _)) => Ok(Some(*a)),
        Ok(_) => Ok(None),
        Err(problems) => {
            invalid(ctx, api, obj, &problems).await?;
            Ok(None)
        }
    }
}

/// What the lifecycle reads of the application's pods: its driver (when a submission was
/// made), the executors of that submission, and whether every object of earlier runs is
/// gone (asked only in the states that wait on it).
async fn observe(
    ctx: &Context,
    app: &SparkApplication,
    before: &SparkApplicationStatus,
    ns: &str,
    name: &str,
) -> Result<(Driver, Vec<Executor>, bool), OperatorError> {
    let state = before.application_state.state;
    let submitted = conditions::is_true(&before.conditions, conditions::SUBMITTED);
    let driver = match state {
        State::Submitted | State::Running | State::Unknown if submitted => {
            observe_driver(ctx, ns, name, before).await?
        }
        _ => Driver::NotLooked,
    };
    let executors = match &driver {
        Driver::Found(_) => executors(ctx, ns, name, before.submission_id.as_deref()),
        _ => Vec::new(),
    };
    let needs_gone_check = matches!(
        state,
        State::Succeeding
            | State::Failing
            | State::PendingRerun
            | State::Invalidating
            | State::Suspending
            | State::Running
            | State::Submitted
            | State::Unknown
    );
    let run_objects_gone = !needs_gone_check || objects::driver_pods(ctx, app).is_empty();
    Ok((driver, executors, run_objects_gone))
}

/// Whether the actions deleted the application itself.
enum Carried {
    /// Every action was carried out; the application stays.
    Done,
    /// The application was deleted (its time to live ran out).
    Deleted,
}

/// Carries out the decision's actions, in order.
async fn carry_out(
    ctx: &Arc<Context>,
    api: &Api<DynamicObject>,
    app: &SparkApplication,
    decision: &sparkplane_lifecycle::Decision,
    name: &str,
) -> Result<Carried, OperatorError> {
    for action in &decision.actions {
        match action {
            Action::Submit {
                submission_id,
                attempt,
                admit: _,
            } => {
                let mut next = app.clone();
                next.status = Some(decision.status.clone());
                submit::enqueue(ctx.clone(), next, submission_id.clone(), *attempt);
            }
            Action::DeleteRunObjects => objects::delete_run_objects(ctx, app).await?,
            Action::CleanUpTerminated => objects::clean_up_terminated(ctx, app).await?,
            Action::DeleteApplication => {
                match api.delete(name, &DeleteParams::background()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) => return Err(OperatorError::kube(format!("delete {name}"), e)),
                }
                return Ok(Carried::Deleted);
            }
        }
    }
    Ok(Carried::Done)
}

/// When to look again besides watch events: as the lifecycle asks; soon while the driver
/// objects do not exist yet (a submission that failed on a transient error is retried from
/// here); never for a final state; else at the resync period.
fn next_look(decision: &sparkplane_lifecycle::Decision) -> Requeue {
    let creating = decision.status.application_state.state == State::Submitted
        && !conditions::is_true(&decision.status.conditions, conditions::SUBMITTED);
    match decision.requeue_after {
        Some(d) => Requeue::requeue(d),
        None if creating => Requeue::requeue(ERROR_REQUEUE),
        None if status::is_final(&decision.status) => Requeue::await_change(),
        None => Requeue::requeue(RESYNC),
    }
}

/// Why `app` may not start a run under the ResourceQuotas of `ns`, if it may not.
async fn quota_refusal(
    ctx: &Context,
    app: &SparkApplication,
    ns: &str,
) -> Result<Option<String>, OperatorError> {
    let api: Api<ResourceQuota> = Api::namespaced(ctx.client.clone(), ns);
    let quotas = api
        .list(&ListParams::default())
        .await
        .map_err(|e| OperatorError::kube(format!("list ResourceQuotas in {ns}"), e))?;
    match quota::check(app, &quotas.items) {
        Ok(()) => Ok(None),
        Err(e @ (QuotaError::Exceeded(_) | QuotaError::Unreadable { .. })) => {
            Ok(Some(e.to_string()))
        }
        // Rendering reads the same settings and fails the submission naming the field, as
        // it does without enforcement.
        Err(QuotaError::Usage(_)) => Ok(None),
    }
}

/// Reads the driver: from the cache, and when the cache has none, from the API, so that a
/// cache behind the API never fails an application.
async fn observe_driver(
    ctx: &Context,
    ns: &str,
    app: &str,
    status: &SparkApplicationStatus,
) -> Result<Driver, OperatorError> {
    let Some(pod_name) = status.driver_info.pod_name.clone() else {
        return Ok(Driver::Missing);
    };
    let wanted = status.submission_id.as_deref();
    if let Some((summary, submission)) = ctx.index.pod(ns, app, &pod_name) {
        if submission.as_deref() == wanted {
            return Ok(Driver::Found(Box::new(summary)));
        }
    }
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), ns);
    match pods.get_opt(&pod_name).await {
        Ok(Some(p)) if p.labels().get(labels::SUBMISSION_ID).map(String::as_str) == wanted => {
            Ok(Driver::Found(Box::new(PodSummary::of(&p))))
        }
        Ok(_) => Ok(Driver::Missing),
        Err(e) => Err(OperatorError::kube(
            format!("read driver pod {pod_name}"),
            e,
        )),
    }
}

fn executors(ctx: &Context, ns: &str, app: &str, submission: Option<&str>) -> Vec<Executor> {
    ctx.index
        .pods_of(ns, app)
        .into_iter()
        .filter(|(_, e)| e.submission_id.as_deref() == submission)
        .filter_map(|(name, e)| match e.kept {
            Kept::Executor(id, state) => Some(Executor { name, id, state }),
            Kept::Driver(_) => None,
        })
        .collect()
}

async fn record_transition(
    ctx: &Context,
    app: &SparkApplication,
    before: &SparkApplicationStatus,
    after: &SparkApplicationStatus,
    t: &sparkplane_lifecycle::Transition,
) {
    let labels = TransitionLabels {
        from: t.from.to_string(),
        to: t.to.to_string(),
    };
    ctx.metrics.transitions.get_or_create(&labels).inc();
    // Latency of each transition, measured from the submission it belongs to.
    if let Some(start) = before
        .last_submission_attempt_time
        .as_ref()
        .or(after.last_submission_attempt_time.as_ref())
    {
        let secs = Timestamp::now()
            .duration_since(start.0)
            .as_secs_f64()
            .max(0.0);
        ctx.metrics
            .transition_latency
            .get_or_create(&labels)
            .observe(secs);
    }
    if t.to == State::Running {
        if let Some(c) = &app.metadata.creation_timestamp {
            let secs = Timestamp::now().duration_since(c.0).as_secs_f64().max(0.0);
            ctx.metrics.start_latency.observe(secs);
        }
    }
    tracing::info!(
        app = %app.metadata.name.as_deref().unwrap_or_default(),
        namespace = %app.metadata.namespace.as_deref().unwrap_or_default(),
        from = %t.from,
        to = %t.to,
        "state change"
    );
    let kind = if t.warning {
        events::Kind::Warning
    } else {
        events::Kind::Normal
    };
    let note = submit::truncate(&t.message);
    let published = ctx
        .recorder
        .publish(&app.object_ref(&()), kind, &t.reason, &note, "Reconcile")
        .await;
    if let Err(e) = published {
        tracing::warn!(error = %e, "cannot record an event");
    }
}

/// Marks an application the operator cannot read as FAILED, naming every field at fault.
async fn invalid(
    ctx: &Context,
    api: &Api<DynamicObject>,
    obj: &DynamicObject,
    problems: &[Problem],
) -> Result<(), OperatorError> {
    let message = problems
        .iter()
        .filter(|p| p.is_error())
        .map(|p| {
            if p.path.is_empty() {
                p.message.clone()
            } else {
                format!("{}: {}", p.path, p.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut st: SparkApplicationStatus = status::status_of(obj);
    if st.application_state.state == State::Failed
        && st.application_state.error_message.as_deref() == Some(message.as_str())
    {
        return Ok(());
    }
    st.application_state = ApplicationState {
        state: State::Failed,
        error_message: Some(format!("invalid SparkApplication: {message}")),
    };
    st.observed_generation = obj.metadata.generation;
    st.observed_spec_hash = None;
    conditions::set(
        &mut st.conditions,
        conditions::TERMINATED,
        true,
        "Invalid",
        message.clone(),
        Timestamp::now(),
        obj.metadata.generation,
    );
    if st.termination_time.is_none() {
        st.termination_time = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            Timestamp::now(),
        ));
    }
    ctx.fresh.put(status::replace(api, obj, &st).await?);
    ctx.metrics.invalid_applications.inc();
    let reference = obj.object_ref(&super::app_resource());
    let note = submit::truncate(&message);
    let _ = ctx
        .recorder
        .publish(
            &reference,
            events::Kind::Warning,
            "SparkApplicationInvalid",
            &note,
            "Validate",
        )
        .await;
    Ok(())
}

/// After an error: log it naming the object, count it by kind and for the object, and try
/// again shortly.
pub fn error_policy(obj: Arc<super::AppMeta>, e: &OperatorError, ctx: Arc<Context>) -> Requeue {
    let object = ObjectLabels::new(KIND, obj.namespace(), obj.name_any());
    ctx.metrics.error(e.kind());
    let failures = ctx.metrics.object_failed(&object);
    tracing::warn!(
        kind = KIND,
        namespace = %object.namespace,
        name = %object.name,
        failures,
        error = %e,
        "reconcile failed; retrying"
    );
    Requeue::requeue(ERROR_REQUEUE)
}
