//! Creating a submission's objects on the submission pool, apart from status tracking.

use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;
use kube::Resource;
use sparkplane_api::v1beta2::{ApplicationState, ApplicationStateType as State};
use sparkplane_api::SparkApplication;
use tracing::Instrument;

use super::objects::{self, CreateFailure};
use super::{status, Context};
use sparkplane_lifecycle::conditions;
use sparkplane_render::{render, RenderOptions};

/// One submission waiting for a worker.
pub struct Job {
    ctx: Arc<Context>,
    /// Only the application's name waits in the queue; its spec is read when a worker
    /// takes the job (10,000 waiting specs would be tens of megabytes).
    namespace: String,
    name: String,
    submission_id: String,
    attempt: u32,
    key: super::AppRef,
}

/// The submission queue: jobs wait here, small, until one of a fixed number of workers
/// takes them (a task per waiting job would hold its whole future while it waits).
pub type Queue = tokio::sync::mpsc::UnboundedSender<Job>;

/// Starts `workers` submission workers; they stop when every sender is dropped.
pub fn start_workers(workers: usize) -> (Queue, Vec<tokio::task::JoinHandle<()>>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Job>();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let handles = (0..workers.max(1))
        .map(|_| {
            let rx = rx.clone();
            tokio::spawn(async move {
                loop {
                    let job = rx.lock().await.recv().await;
                    let Some(job) = job else { break };
                    // Boxed: a submission's future is tens of kilobytes, held only while
                    // it runs rather than by every idle worker.
                    Box::pin(work(job)).await;
                }
            })
        })
        .collect();
    (tx, handles)
}

async fn work(job: Job) {
    let Job {
        ctx,
        namespace,
        name,
        submission_id,
        attempt,
        key,
    } = job;
    ctx.metrics.submit_queue_depth.dec();
    ctx.metrics.submissions_in_flight.inc();
    let span = tracing::info_span!(
        "submit",
        kind = "SparkApplication",
        %namespace,
        %name,
        submission = %submission_id
    );
    let result = async {
        match read(&ctx, &namespace, &name, &submission_id).await {
            Ok(Some((app, obj))) => run(&ctx, &app, obj, &submission_id, attempt).await,
            // Deleted, or moved on to another submission, while waiting.
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        }
    }
    .instrument(span)
    .await;
    if let Err(e) = result {
        tracing::warn!(app = %name, %namespace, error = %e, "submission not finished; it is retried");
        ctx.metrics.error(e.kind());
    }
    ctx.metrics.submissions_in_flight.dec();
    if let Ok(mut in_flight) = ctx.in_flight.lock() {
        in_flight.remove(&key);
    };
}

/// The application, typed and as read, if it is still at submission `submission_id`.
async fn read(
    ctx: &Context,
    ns: &str,
    name: &str,
    submission_id: &str,
) -> Result<Option<(SparkApplication, DynamicObject)>, crate::error::OperatorError> {
    let Some(obj) = status::apps(ctx, ns)
        .get_opt(name)
        .await
        .map_err(|e| crate::error::OperatorError::kube(format!("read {name}"), e))?
    else {
        return Ok(None);
    };
    // The reconcile that queued the job validated this spec.
    let value = status::typed_json(&obj, "SparkApplication");
    let Ok(app) = serde_json::from_value::<SparkApplication>(value) else {
        return Ok(None);
    };
    let current = app.status.as_ref().and_then(|s| s.submission_id.as_deref());
    Ok((current == Some(submission_id)).then_some((app, obj)))
}

/// Queues the creation of submission `submission_id` of `app`, unless it is under way
/// already.
pub fn enqueue(ctx: Arc<Context>, app: SparkApplication, submission_id: String, attempt: u32) {
    let ns = app.metadata.namespace.clone().unwrap_or_default();
    let name = app.metadata.name.clone().unwrap_or_default();
    let key = super::AppRef::new(&name).within(&ns);
    {
        let Ok(mut in_flight) = ctx.in_flight.lock() else {
            return;
        };
        if !in_flight.insert(key.clone()) {
            return;
        }
    }
    ctx.metrics.submit_queue_depth.inc();
    let queue = ctx.submit_queue.clone();
    let job = Job {
        ctx,
        namespace: ns,
        name,
        submission_id,
        attempt,
        key: key.clone(),
    };
    if let Err(e) = queue.send(job) {
        // The workers are gone: the operator is stopping. The next start resubmits.
        let job = e.0;
        job.ctx.metrics.submit_queue_depth.dec();
        if let Ok(mut in_flight) = job.ctx.in_flight.lock() {
            in_flight.remove(&key);
        };
    }
}

/// Creates the submission's objects and records the outcome in the status, starting from
/// `obj`, the application as `read` found it.
async fn run(
    ctx: &Context,
    app: &SparkApplication,
    obj: DynamicObject,
    submission_id: &str,
    attempt: u32,
) -> Result<(), crate::error::OperatorError> {
    let ns = app.metadata.namespace.clone().unwrap_or_default();
    let name = app.metadata.name.clone().unwrap_or_default();
    let api = status::apps(ctx, &ns);
    let options = RenderOptions {
        master: ctx.config.master.clone(),
        submission_id: submission_id.to_string(),
        attempt,
        now_millis: Timestamp::now().as_millisecond(),
        ui: ctx.config.ui.clone(),
        pod_security: ctx.config.pod_security,
        spark_conf: ctx.config.spark_conf.clone(),
        ..RenderOptions::default()
    };
    let outcome = match render(app, &options) {
        Err(e) => Err(CreateFailure::Permanent(e.to_string())),
        Ok(rendered) => objects::create(ctx, &ns, submission_id, rendered).await,
    };
    match outcome {
        Ok(rendered) => {
            let created = app.metadata.creation_timestamp.clone();
            let mut first = false;
            let written = status::update(&api, &name, Some(obj), |st| {
                if st.submission_id.as_deref() != Some(submission_id)
                    || conditions::is_true(&st.conditions, conditions::SUBMITTED)
                {
                    return false;
                }
                first = true;
                let now = Timestamp::now();
                conditions::set(
                    &mut st.conditions,
                    conditions::SUBMITTED,
                    true,
                    "DriverCreated",
                    format!("driver pod {}", rendered.driver_pod_name()),
                    now,
                    app.metadata.generation,
                );
                let info = &mut st.driver_info;
                info.pod_name = Some(rendered.driver_pod_name().to_string());
                if let Some((svc, port)) = &rendered.ui_service {
                    info.web_ui_service_name = Some(svc.clone());
                    info.web_ui_port = Some(*port);
                    info.web_ui_address = Some(format!("{svc}.{ns}.svc:{port}"));
                }
                if let Some((ing, url)) = &rendered.ui_ingress {
                    info.web_ui_ingress_name = Some(ing.clone());
                    info.web_ui_ingress_address = Some(url.clone());
                }
                true
            })
            .await?;
            if let Some(w) = written {
                ctx.fresh.put(w);
            }
            if first {
                if let Some(c) = created {
                    let secs = Timestamp::now().duration_since(c.0).as_secs_f64();
                    ctx.metrics.submit_latency.observe(secs.max(0.0));
                }
            }
            Ok(())
        }
        Err(CreateFailure::Permanent(message)) => {
            let written = status::update(&api, &name, Some(obj), |st| {
                if st.submission_id.as_deref() != Some(submission_id)
                    || st.application_state.state != State::Submitted
                {
                    return false;
                }
                st.application_state = ApplicationState {
                    state: State::SubmissionFailed,
                    error_message: Some(message.clone()),
                };
                // Only runs that started count as executions.
                st.execution_attempts = (st.execution_attempts - 1).max(0);
                conditions::set(
                    &mut st.conditions,
                    conditions::SUBMITTED,
                    false,
                    "SubmissionFailed",
                    message.clone(),
                    Timestamp::now(),
                    app.metadata.generation,
                );
                true
            })
            .await?;
            if let Some(w) = written {
                ctx.fresh.put(w);
            }
            let _ = ctx
                .recorder
                .publish(
                    &app.object_ref(&()),
                    super::events::Kind::Warning,
                    "SparkApplicationSubmissionFailed",
                    &truncate(&message),
                    "Submit",
                )
                .await;
            Ok(())
        }
        Err(CreateFailure::Transient(e)) => Err(e),
    }
}

/// Event notes are limited to 1 kB.
pub fn truncate(s: &str) -> String {
    if s.len() <= 1000 {
        return s.to_string();
    }
    let mut end = 1000;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
