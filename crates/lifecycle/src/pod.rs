//! What the lifecycle needs to know of a pod, read from it once.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use sparkplane_api::v1beta2::ExecutorState;

use sparkplane_render::labels;

/// The phase of a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not yet running: being scheduled, pulling images, or starting.
    Pending,
    /// At least one container runs.
    Running,
    /// Every container exited successfully.
    Succeeded,
    /// A container failed.
    Failed,
    /// The pod's node cannot be reached.
    Unknown,
}

/// How the Spark container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    /// Its exit code.
    pub exit_code: i32,
    /// Kubernetes' reason (`Error`, `OOMKilled`, ...).
    pub reason: Option<String>,
    /// Kubernetes' message.
    pub message: Option<String>,
}

/// Why a pod's container cannot start, as it is waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// Kubernetes' reason (`ImagePullBackOff`, `CreateContainerConfigError`, ...).
    pub reason: String,
    /// Kubernetes' message.
    pub message: Option<String>,
}

/// A summary of a driver or executor pod.
#[derive(Debug, Clone, PartialEq)]
pub struct PodSummary {
    /// The pod's name.
    pub name: String,
    /// Its phase.
    pub phase: Phase,
    /// `spark-app-selector`: Spark's application id.
    pub spark_app_id: Option<String>,
    /// The submission it belongs to.
    pub submission_id: Option<String>,
    /// `spark-exec-id`, for executors.
    pub executor_id: Option<u64>,
    /// How the Spark container ended, when it did.
    pub terminated: Option<Terminated>,
    /// Why the Spark container (or an init container) waits, when it does.
    pub waiting: Option<Waiting>,
    /// Since when the scheduler has found no node for it.
    pub unschedulable_since: Option<Timestamp>,
    /// The scheduler's message about that.
    pub unschedulable_message: Option<String>,
}

const SPARK_CONTAINERS: [&str; 3] = [
    "spark-kubernetes-driver",
    "spark-kubernetes-executor",
    "executor",
];

impl PodSummary {
    /// Reads the summary from a pod.
    pub fn of(pod: &Pod) -> Self {
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        let status = pod.status.clone().unwrap_or_default();
        let phase = match status.phase.as_deref() {
            Some("Running") => Phase::Running,
            Some("Succeeded") => Phase::Succeeded,
            Some("Failed") => Phase::Failed,
            Some("Unknown") => Phase::Unknown,
            // No phase yet means the pod was just created.
            _ => Phase::Pending,
        };
        let statuses = status.container_statuses.clone().unwrap_or_default();
        let spark = statuses
            .iter()
            .find(|c| SPARK_CONTAINERS.contains(&c.name.as_str()))
            .or(statuses.first());
        let terminated = spark
            .and_then(|c| c.state.as_ref())
            .and_then(|s| s.terminated.as_ref())
            .map(|t| Terminated {
                exit_code: t.exit_code,
                reason: t.reason.clone(),
                message: t.message.clone(),
            });
        let init = status.init_container_statuses.clone().unwrap_or_default();
        let waiting = init
            .iter()
            .chain(spark)
            .filter_map(|c| c.state.as_ref()?.waiting.as_ref())
            .find_map(|w| {
                let reason = w.reason.clone()?;
                // Starting up is not a problem worth reporting.
                (reason != "ContainerCreating" && reason != "PodInitializing").then(|| Waiting {
                    reason,
                    message: w.message.clone(),
                })
            });
        let unschedulable = status.conditions.as_ref().and_then(|cs| {
            cs.iter().find(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("Unschedulable")
            })
        });
        PodSummary {
            name: pod.metadata.name.clone().unwrap_or_default(),
            phase,
            spark_app_id: labels.get(labels::SPARK_APP_SELECTOR).cloned(),
            submission_id: labels.get(labels::SUBMISSION_ID).cloned(),
            executor_id: labels.get("spark-exec-id").and_then(|v| v.parse().ok()),
            terminated,
            waiting,
            unschedulable_since: unschedulable
                .and_then(|c| c.last_transition_time.as_ref())
                .map(|t| t.0),
            unschedulable_message: unschedulable.and_then(|c| c.message.clone()),
        }
    }

    /// The executor state kubeflow reports for this pod.
    pub fn executor_state(&self) -> ExecutorState {
        match self.phase {
            Phase::Pending => ExecutorState::Pending,
            Phase::Running => match &self.terminated {
                Some(t) if t.exit_code == 0 => ExecutorState::Completed,
                Some(_) => ExecutorState::Failed,
                None => ExecutorState::Running,
            },
            Phase::Succeeded => ExecutorState::Completed,
            Phase::Failed => match &self.terminated {
                Some(t) if t.exit_code == 0 => ExecutorState::Completed,
                _ => ExecutorState::Failed,
            },
            Phase::Unknown => ExecutorState::Unknown,
        }
    }
}
