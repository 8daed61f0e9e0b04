//! Standard conditions on the SparkApplication status.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

/// The driver objects are created (`True`), being created (`False`, reason `Creating`) or
/// could not be (`False`, reason `SubmissionFailed`).
pub const SUBMITTED: &str = "Submitted";
/// The driver runs.
pub const RUNNING: &str = "Running";
/// The application has ended for good: reason `Completed` or `Failed`.
pub const TERMINATED: &str = "Terminated";
/// The driver's image cannot be pulled; its transition time is when that was first seen.
pub const IMAGE_PULL_FAILING: &str = "DriverImagePullFailing";

/// Sets condition `type_`; the transition time changes only when the status does.
pub fn set(
    conditions: &mut Vec<Condition>,
    type_: &str,
    status: bool,
    reason: &str,
    message: impl Into<String>,
    now: Timestamp,
    generation: Option<i64>,
) {
    let status = if status { "True" } else { "False" }.to_string();
    let message = message.into();
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(c) => {
            if c.status != status {
                c.last_transition_time = Time(now);
            }
            c.status = status;
            c.reason = reason.into();
            c.message = message;
            c.observed_generation = generation;
        }
        None => conditions.push(Condition {
            type_: type_.into(),
            status,
            reason: reason.into(),
            message,
            last_transition_time: Time(now),
            observed_generation: generation,
        }),
    }
}

/// Condition `type_`, when present.
pub fn get<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether condition `type_` is present and true.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    get(conditions, type_).is_some_and(|c| c.status == "True")
}

/// Removes condition `type_`.
pub fn remove(conditions: &mut Vec<Condition>, type_: &str) {
    conditions.retain(|c| c.type_ != type_);
}
