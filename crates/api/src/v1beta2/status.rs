//! `SparkApplication` status and its state names.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Observed state of a SparkApplication (kubeflow's fields and names).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SparkApplicationStatus {
    /// Spark's application id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_application_id: Option<String>,
    /// Id of the current submission.
    #[serde(
        default,
        rename = "submissionID",
        skip_serializing_if = "Option::is_none"
    )]
    pub submission_id: Option<String>,
    /// When the last submission was attempted (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_submission_attempt_time: Option<String>,
    /// When the application terminated (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_time: Option<String>,
    /// Driver details.
    #[serde(default)]
    pub driver_info: DriverInfo,
    /// State and error message.
    #[serde(default)]
    pub application_state: ApplicationState,
    /// Executor pod name → state.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub executor_state: BTreeMap<String, ExecutorState>,
    /// Runs so far.
    #[serde(default)]
    pub execution_attempts: i32,
    /// Submissions so far.
    #[serde(default)]
    pub submission_attempts: i32,
}

/// Driver details.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriverInfo {
    /// UI Service name.
    #[serde(
        default,
        rename = "webUIServiceName",
        skip_serializing_if = "Option::is_none"
    )]
    pub web_ui_service_name: Option<String>,
    /// UI address.
    #[serde(
        default,
        rename = "webUIAddress",
        skip_serializing_if = "Option::is_none"
    )]
    pub web_ui_address: Option<String>,
    /// UI port.
    #[serde(default, rename = "webUIPort", skip_serializing_if = "Option::is_none")]
    pub web_ui_port: Option<i32>,
    /// UI Ingress name.
    #[serde(
        default,
        rename = "webUIIngressName",
        skip_serializing_if = "Option::is_none"
    )]
    pub web_ui_ingress_name: Option<String>,
    /// UI Ingress address.
    #[serde(
        default,
        rename = "webUIIngressAddress",
        skip_serializing_if = "Option::is_none"
    )]
    pub web_ui_ingress_address: Option<String>,
    /// Driver pod name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
}

/// State with its error message.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationState {
    /// The state.
    #[serde(default)]
    pub state: ApplicationStateType,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// Application states, with kubeflow's wire names (tools read them).
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

impl fmt::Display for ApplicationStateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::New => f.write_str("NEW"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// Executor states.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum ExecutorState {
    /// Pending.
    #[serde(rename = "PENDING")]
    Pending,
    /// Running.
    #[serde(rename = "RUNNING")]
    Running,
    /// Completed.
    #[serde(rename = "COMPLETED")]
    Completed,
    /// Failed.
    #[serde(rename = "FAILED")]
    Failed,
    /// Unknown.
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_wire_names() {
        for (s, wire) in [
            (ApplicationStateType::New, "\"\""),
            (
                ApplicationStateType::SubmissionFailed,
                "\"SUBMISSION_FAILED\"",
            ),
            (ApplicationStateType::PendingRerun, "\"PENDING_RERUN\""),
            (ApplicationStateType::Completed, "\"COMPLETED\""),
        ] {
            assert_eq!(serde_json::to_string(&s).unwrap(), wire);
            assert_eq!(
                serde_json::from_str::<ApplicationStateType>(wire).unwrap(),
                s
            );
            assert_eq!(format!("\"{}\"", s.as_str()), wire);
        }
    }
}
