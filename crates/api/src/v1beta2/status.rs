//! `SparkApplication` status and its state names.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Observed state of a SparkApplication, written by the operator (kubeflow's field names, so
/// `kubectl get -o yaml` output loads unchanged).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SparkApplicationStatus {
    /// Spark's own application id (`spark.app.id`), set on the driver and executor pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_application_id: Option<String>,
    /// Unique id of the current submission.
    #[serde(
        default,
        rename = "submissionID",
        skip_serializing_if = "Option::is_none"
    )]
    pub submission_id: Option<String>,
    /// When the last submission was attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_submission_attempt_time: Option<Time>,
    /// When the application terminated, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_time: Option<Time>,
    /// Where the driver and its UI are.
    #[serde(default)]
    pub driver_info: DriverInfo,
    /// Overall state of the application.
    #[serde(default)]
    pub application_state: ApplicationState,
    /// State of each executor, by executor pod name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub executor_state: BTreeMap<String, ExecutorState>,
    /// Runs attempted so far; counted up per run and reset when the spec changes.
    #[serde(default)]
    pub execution_attempts: i32,
    /// Submissions attempted so far; counted up per submission and reset when the spec
    /// changes or the application is rerun.
    #[serde(default)]
    pub submission_attempts: i32,
    /// `metadata.generation` of the spec this status describes (sparkplane's addition,
    /// the Kubernetes convention; kubeflow's operator does not write it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Digest of the spec fields whose change reruns the application (everything but
    /// `suspend` and `timeToLiveSeconds`); sparkplane's addition, so that a change is told
    /// from a mere `suspend` toggle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_spec_hash: Option<String>,
    /// Standard conditions (sparkplane's addition): `Submitted`, `Running`, `Terminated`
    /// and, while it is being watched, `DriverImagePullFailing`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

/// Where the driver and its UI are.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriverInfo {
    /// Name of the Service in front of the Spark UI.
    #[serde(
        default,
        rename = "webUIServiceName",
        skip_serializing_if = "Option::is_none"
    )]
    pub web_ui_service_name: Option<String>,
    /// Address of the UI through its ClusterIP Service, reachable inside the cluster.
    #[serde(
        default,
        rename = "webUIAddress",
        skip_serializing_if = "Option::is_none"
    )]
    pub web_ui_address: Option<String>,
    /// Port of the UI Service.
    #[serde(default, rename = "webUIPort", skip_serializing_if = "Option::is_none")]
    pub web_ui_port: Option<i32>,
    /// Name of the UI Ingress, when one was created.
    #[serde(
        default,
        rename = "webUIIngressName",
        skip_serializing_if = "Option::is_none"
    )]
    pub web_ui_ingress_name: Option<String>,
    /// Address of the UI through that Ingress.
    #[serde(
        default,
        rename = "webUIIngressAddress",
        skip_serializing_if = "Option::is_none"
    )]
    pub web_ui_ingress_address: Option<String>,
    /// Name of the driver pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
}

/// Overall state of an application, with the reason of a failure.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationState {
    /// The state.
    #[serde(default)]
    pub state: ApplicationStateType,
    /// Why the application or its submission failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// States of an application, with kubeflow's names on the wire (tools such as Airflow's
/// `SparkKubernetesOperator` read them). Which states may follow which is the controller's
/// business; nothing here depends on the order of the variants.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum ApplicationStateType {
    /// Just created (the empty string on the wire).
    #[default]
    #[serde(rename = "")]
    New,
    /// Submitted; the driver is starting.
    #[serde(rename = "SUBMITTED")]
    Submitted,
    /// The driver runs.
    #[serde(rename = "RUNNING")]
    Running,
    /// The driver succeeded; cleanup or a rerun decision follows.
    #[serde(rename = "SUCCEEDING")]
    Succeeding,
    /// The driver failed; a rerun decision follows.
    #[serde(rename = "FAILING")]
    Failing,
    /// Finished successfully (final).
    #[serde(rename = "COMPLETED")]
    Completed,
    /// Failed for good (final).
    #[serde(rename = "FAILED")]
    Failed,
    /// The submission itself failed.
    #[serde(rename = "SUBMISSION_FAILED")]
    SubmissionFailed,
    /// Waiting to run again.
    #[serde(rename = "PENDING_RERUN")]
    PendingRerun,
    /// The spec changed; the current run is being torn down.
    #[serde(rename = "INVALIDATING")]
    Invalidating,
    /// Being suspended.
    #[serde(rename = "SUSPENDING")]
    Suspending,
    /// Suspended.
    #[serde(rename = "SUSPENDED")]
    Suspended,
    /// Being resumed.
    #[serde(rename = "RESUMING")]
    Resuming,
    /// The driver's state cannot be told.
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

impl ApplicationStateType {
    /// The name on the wire (`""` for New).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::New => "",
            Self::Submitted => "SUBMITTED",
            Self::Running => "RUNNING",
            Self::Succeeding => "SUCCEEDING",
            Self::Failing => "FAILING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::SubmissionFailed => "SUBMISSION_FAILED",
            Self::PendingRerun => "PENDING_RERUN",
            Self::Invalidating => "INVALIDATING",
            Self::Suspending => "SUSPENDING",
            Self::Suspended => "SUSPENDED",
            Self::Resuming => "RESUMING",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// The wire name, except that the new state (an empty string on the wire) shows as `NEW`,
/// because an empty word in a status line reads as a missing value.
impl fmt::Display for ApplicationStateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::New => f.write_str("NEW"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// States of a driver pod as kubeflow reports them.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum DriverState {
    /// The pod is waiting to be scheduled or started.
    #[serde(rename = "PENDING")]
    Pending,
    /// The driver runs.
    #[serde(rename = "RUNNING")]
    Running,
    /// The driver exited successfully.
    #[serde(rename = "COMPLETED")]
    Completed,
    /// The driver failed.
    #[serde(rename = "FAILED")]
    Failed,
    /// The pod's state cannot be told (for example, its node is unreachable).
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

/// States of an executor pod, as recorded in `status.executorState`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ExecutorState {
    /// The pod is waiting to be scheduled or started.
    #[serde(rename = "PENDING")]
    Pending,
    /// The executor runs.
    #[serde(rename = "RUNNING")]
    Running,
    /// The executor exited successfully.
    #[serde(rename = "COMPLETED")]
    Completed,
    /// The executor failed.
    #[serde(rename = "FAILED")]
    Failed,
    /// The pod's state cannot be told.
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

impl DriverState {
    /// The name on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for DriverState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ExecutorState {
    /// The name on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for ExecutorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_state_wire_names() {
        use ApplicationStateType as S;
        let cases = [
            (S::New, "", "NEW"),
            (S::Submitted, "SUBMITTED", "SUBMITTED"),
            (S::Running, "RUNNING", "RUNNING"),
            (S::Succeeding, "SUCCEEDING", "SUCCEEDING"),
            (S::Failing, "FAILING", "FAILING"),
            (S::Completed, "COMPLETED", "COMPLETED"),
            (S::Failed, "FAILED", "FAILED"),
            (
                S::SubmissionFailed,
                "SUBMISSION_FAILED",
                "SUBMISSION_FAILED",
            ),
            (S::PendingRerun, "PENDING_RERUN", "PENDING_RERUN"),
            (S::Invalidating, "INVALIDATING", "INVALIDATING"),
            (S::Suspending, "SUSPENDING", "SUSPENDING"),
            (S::Suspended, "SUSPENDED", "SUSPENDED"),
            (S::Resuming, "RESUMING", "RESUMING"),
            (S::Unknown, "UNKNOWN", "UNKNOWN"),
        ];
        for (state, wire, shown) in cases {
            let json = format!("{wire:?}");
            assert_eq!(serde_json::to_string(&state).unwrap(), json);
            assert_eq!(serde_json::from_str::<S>(&json).unwrap(), state);
            assert_eq!(state.as_str(), wire);
            assert_eq!(state.to_string(), shown);
        }
        assert!(serde_json::from_str::<S>("\"DONE\"").is_err());
    }

    #[test]
    fn pod_state_wire_names() {
        for (d, e, wire) in [
            (DriverState::Pending, ExecutorState::Pending, "PENDING"),
            (DriverState::Running, ExecutorState::Running, "RUNNING"),
            (
                DriverState::Completed,
                ExecutorState::Completed,
                "COMPLETED",
            ),
            (DriverState::Failed, ExecutorState::Failed, "FAILED"),
            (DriverState::Unknown, ExecutorState::Unknown, "UNKNOWN"),
        ] {
            let json = format!("{wire:?}");
            assert_eq!(serde_json::to_string(&d).unwrap(), json);
            assert_eq!(serde_json::to_string(&e).unwrap(), json);
            assert_eq!(serde_json::from_str::<ExecutorState>(&json).unwrap(), e);
            assert_eq!((d.to_string(), e.to_string()), (wire.into(), wire.into()));
        }
    }

    #[test]
    fn a_status_written_by_the_operator_loads() {
        let json = r#"{
            "applicationState": {"state": "RUNNING"},
            "driverInfo": {"podName": "pi-driver", "webUIPort": 4040},
            "executorState": {"pi-exec-1": "RUNNING", "pi-exec-2": "PENDING"},
            "executionAttempts": 1,
            "submissionAttempts": 1,
            "lastSubmissionAttemptTime": "2025-01-02T03:04:05Z",
            "terminationTime": null,
            "sparkApplicationId": "spark-123",
            "submissionID": "abc"
        }"#;
        let st: SparkApplicationStatus = serde_json::from_str(json).unwrap();
        assert_eq!(st.application_state.state, ApplicationStateType::Running);
        assert_eq!(
            st.executor_state.get("pi-exec-2"),
            Some(&ExecutorState::Pending)
        );
        assert_eq!(st.termination_time, None);
        assert_eq!(
            st.last_submission_attempt_time.map(|t| t.0.to_string()),
            Some("2025-01-02T03:04:05Z".to_string())
        );
    }
}
