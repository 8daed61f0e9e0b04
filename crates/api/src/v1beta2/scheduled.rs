//! `ScheduledSparkApplication`: a SparkApplication spec run on a cron schedule.

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::application::SparkApplicationSpec;

/// Desired state of a scheduled application: a schedule and the SparkApplication spec each
/// run is created from.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "sparkoperator.k8s.io",
    version = "v1beta2",
    kind = "ScheduledSparkApplication",
    singular = "scheduledsparkapplication",
    plural = "scheduledsparkapplications",
    namespaced,
    derive = "PartialEq",
    status = "ScheduledSparkApplicationStatus",
    shortname = "scheduledsparkapp",
    doc = "ScheduledSparkApplication is the Schema for the scheduledsparkapplications API.",
    annotation(
        "api-approved.kubernetes.io",
        "https://github.com/kubeflow/spark-operator/pull/1298"
    ),
    printcolumn = r#"{"name":"Schedule","type":"string","jsonPath":".spec.schedule"}"#,
    printcolumn = r#"{"name":"TimeZone","type":"string","jsonPath":".spec.timeZone"}"#,
    printcolumn = r#"{"name":"Suspend","type":"string","jsonPath":".spec.suspend"}"#,
    printcolumn = r#"{"name":"Last Run","type":"date","jsonPath":".status.lastRun"}"#,
    printcolumn = r#"{"name":"Last Run Name","type":"string","jsonPath":".status.lastRunName"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledSparkApplicationSpec {
    /// When to run: a five-field cron expression (`0 3 * * *`) or a descriptor such as
    /// `@hourly` or `@every 1h30m`.
    pub schedule: String,
    /// Time zone the schedule is read in: `Local` (kubeflow's default, the operator's zone),
    /// `UTC` or an IANA name such as `America/New_York`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The SparkApplication spec each run is created from.
    pub template: SparkApplicationSpec,
    /// While true, no further runs start (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,
    /// What a due run does while the previous run is unfinished (kubeflow treats unset as
    /// `Allow`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<ConcurrencyPolicy>,
    /// How many past successful runs are kept (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_run_history_limit: Option<i32>,
    /// How many past failed runs are kept (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_run_history_limit: Option<i32>,
}

/// What a due run does while the previous run is unfinished.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ConcurrencyPolicy {
    /// Start it anyway; runs may overlap.
    Allow,
    /// Skip it.
    Forbid,
    /// Kill the unfinished run and start the new one.
    Replace,
}

/// Observed state of a scheduled application, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledSparkApplicationStatus {
    /// When the most recent run started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<Time>,
    /// When the next run is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run: Option<Time>,
    /// Name of the SparkApplication of the most recent run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_name: Option<String>,
    /// Names of the SparkApplications of past successful runs still kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub past_successful_run_names: Vec<String>,
    /// Names of the SparkApplications of past failed runs still kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub past_failed_run_names: Vec<String>,
    /// Where scheduling stands.
    #[serde(default)]
    pub schedule_state: ScheduleState,
    /// Why scheduling is in that state (for example, why validation failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where scheduling of a ScheduledSparkApplication stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum ScheduleState {
    /// Just created (the empty string on the wire).
    #[default]
    #[serde(rename = "")]
    New,
    /// The schedule is being checked.
    Validating,
    /// The schedule is valid and runs are being created.
    Scheduled,
    /// The schedule was refused; `reason` says why.
    FailedValidation,
}

impl ScheduleState {
    /// The name on the wire (`""` for New).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::New => "",
            Self::Validating => "Validating",
            Self::Scheduled => "Scheduled",
            Self::FailedValidation => "FailedValidation",
        }
    }
}

/// The wire name, with `New` for the empty string (see [`super::ApplicationStateType`]).
impl fmt::Display for ScheduleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::New => f.write_str("New"),
            other => f.write_str(other.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_state_wire_names() {
        for (state, wire) in [
            (ScheduleState::New, ""),
            (ScheduleState::Validating, "Validating"),
            (ScheduleState::Scheduled, "Scheduled"),
            (ScheduleState::FailedValidation, "FailedValidation"),
        ] {
            let json = format!("{wire:?}");
            assert_eq!(serde_json::to_string(&state).unwrap(), json);
            assert_eq!(serde_json::from_str::<ScheduleState>(&json).unwrap(), state);
            assert_eq!(state.as_str(), wire);
        }
        assert_eq!(ScheduleState::New.to_string(), "New");
    }

    #[test]
    fn a_status_written_by_the_operator_loads() {
        let json = r#"{"lastRun": "2025-01-02T03:00:00Z", "nextRun": null,
            "lastRunName": "nightly-1735786800", "pastSuccessfulRunNames": ["nightly-1"],
            "scheduleState": "Scheduled"}"#;
        let st: ScheduledSparkApplicationStatus = serde_json::from_str(json).unwrap();
        assert_eq!(st.schedule_state, ScheduleState::Scheduled);
        assert_eq!(st.next_run, None);
        assert!(st.last_run.is_some());
        assert_eq!(st.past_successful_run_names, ["nightly-1"]);
    }
}
