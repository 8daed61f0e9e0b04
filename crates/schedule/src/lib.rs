//! ScheduledSparkApplication as a pure function: the schedule, its runs and the time in; the
//! next status, the runs to create and delete, and when to look again out.
//!
//! Each run is named after its scheduled time, so an operator restarted after creating a run
//! but before recording it finds the run there (409) instead of starting a second one.
//!
//! No I/O: the operator's controller (crate `sparkplane-operator`) lists the runs, calls
//! [`decide`] and creates and deletes what it says; this crate depends on no async runtime or
//! Kubernetes client, and the time is an argument. (One input is read from the process:
//! [`cron::zone`] takes `TZ` for `timeZone: Local`, as kubeflow does.)

#![warn(missing_docs)]

pub mod cron;
mod run;

#[cfg(test)]
mod tests;

use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use sparkplane_api::v1beta2::{
    ApplicationStateType as State, ConcurrencyPolicy, ScheduleState, ScheduledSparkApplicationSpec,
    ScheduledSparkApplicationStatus,
};
use sparkplane_api::{ScheduledSparkApplication, SparkApplication};

pub use run::run_application;

/// A run of the schedule, as found in the API.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The SparkApplication's name.
    pub name: String,
    /// Its state.
    pub state: State,
    /// When it was created.
    pub created: DateTime<Utc>,
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Create this run.
    Create(Box<SparkApplication>),
    /// Delete the run of this name.
    Delete(String),
}

/// The outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The status to write.
    pub status: ScheduledSparkApplicationStatus,
    /// Actions, in order.
    pub actions: Vec<Action>,
    /// When to look again.
    pub requeue_after: Option<Duration>,
}

fn to_time(t: DateTime<Utc>) -> Time {
    Time(Timestamp::from_second(t.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH))
}

fn from_time(t: &Time) -> DateTime<Utc> {
    DateTime::from_timestamp(t.0.as_second(), 0).unwrap_or_default()
}

fn is_final(s: State) -> bool {
    matches!(s, State::Completed | State::Failed)
}

/// Decides what to do with a ScheduledSparkApplication at `now`, given its runs: check the
/// schedule, trim the run history, then (unless suspended) start the run that is due and
/// say when the next one is.
pub fn decide(s: &ScheduledSparkApplication, runs: &[Run], now: DateTime<Utc>) -> Decision {
    let mut st = s.status.clone().unwrap_or_default();
    let mut actions = Vec::new();
    let spec = &s.spec;
    let (schedule, zone) = match parse_schedule(spec) {
        Ok(p) => p,
        Err(reason) => {
            st.schedule_state = ScheduleState::FailedValidation;
            st.reason = Some(reason);
            st.next_run = None;
            return idle(st, actions);
        }
    };
    trim_history(spec, runs, &mut st, &mut actions);
    if spec.suspend == Some(true) {
        st.schedule_state = ScheduleState::Scheduled;
        st.reason = Some("suspended: no runs start".into());
        st.next_run = None;
        return idle(st, actions);
    }
    st.schedule_state = ScheduleState::Scheduled;
    let next = st
        .next_run
        .as_ref()
        .map(from_time)
        .or_else(|| schedule.next_after(now, zone));
    let Some(next) = next else {
        st.reason = Some("spec.schedule: no time matches in the next five years".into());
        st.next_run = None;
        return idle(st, actions);
    };
    let mut due = next;
    if now >= next {
        start_due_run(s, runs, next, &mut st, &mut actions);
        due = match schedule.next_after(now, zone) {
            Some(n) => n,
            None => {
                st.next_run = None;
                return idle(st, actions);
            }
        };
    }
    st.next_run = Some(to_time(due));
    let wait = (due - now).to_std().unwrap_or(Duration::ZERO);
    Decision {
        status: st,
        actions,
        requeue_after: Some(wait),
    }
}

/// A decision that waits for a change rather than a time.
fn idle(status: ScheduledSparkApplicationStatus, actions: Vec<Action>) -> Decision {
    Decision {
        status,
        actions,
        requeue_after: None,
    }
}

/// The cron schedule and its time zone, or the field that is wrong.
fn parse_schedule(
    spec: &ScheduledSparkApplicationSpec,
) -> Result<(cron::Schedule, chrono_tz::Tz), String> {
    cron::Schedule::parse(&spec.schedule)
        .map_err(|e| format!("spec.schedule: {e}"))
        .and_then(|c| {
            cron::zone(spec.time_zone.as_deref())
                .map(|z| (c, z))
                .map_err(|e| format!("spec.timeZone: {e}"))
        })
}

/// History: keep the newest finished runs up to each limit, delete the others.
fn trim_history(
    spec: &ScheduledSparkApplicationSpec,
    runs: &[Run],
    st: &mut ScheduledSparkApplicationStatus,
    actions: &mut Vec<Action>,
) {
    for (state, limit, names) in [
        (
            State::Completed,
            spec.successful_run_history_limit.unwrap_or(1),
            &mut st.past_successful_run_names,
        ),
        (
            State::Failed,
            spec.failed_run_history_limit.unwrap_or(1),
            &mut st.past_failed_run_names,
        ),
    ] {
        let mut done: Vec<&Run> = runs.iter().filter(|r| r.state == state).collect();
        done.sort_by(|a, b| b.created.cmp(&a.created).then(b.name.cmp(&a.name)));
        let keep = limit.max(0) as usize;
        *names = done.iter().take(keep).map(|r| r.name.clone()).collect();
        actions.extend(
            done.iter()
                .skip(keep)
                .map(|r| Action::Delete(r.name.clone())),
        );
    }
}

/// The run due at `next`, as the concurrency policy allows: skipped while the last one is
/// active under `Forbid`, replacing it under `Replace`, alongside it under `Allow`.
fn start_due_run(
    s: &ScheduledSparkApplication,
    runs: &[Run],
    next: DateTime<Utc>,
    st: &mut ScheduledSparkApplicationStatus,
    actions: &mut Vec<Action>,
) {
    let last_active = st
        .last_run_name
        .as_ref()
        .and_then(|n| runs.iter().find(|r| &r.name == n))
        .filter(|r| !is_final(r.state));
    let policy = s
        .spec
        .concurrency_policy
        .unwrap_or(ConcurrencyPolicy::Allow);
    let start = match (policy, last_active) {
        (ConcurrencyPolicy::Forbid, Some(r)) => {
            st.reason = Some(format!(
                "skipped the run due at {}: {} is still {}",
                next.to_rfc3339(),
                r.name,
                r.state
            ));
            false
        }
        (ConcurrencyPolicy::Replace, Some(r)) => {
            actions.push(Action::Delete(r.name.clone()));
            true
        }
        _ => true,
    };
    if start {
        let app = run_application(s, next);
        st.last_run = Some(to_time(next));
        st.last_run_name = app.metadata.name.clone();
        st.reason = None;
        actions.push(Action::Create(Box::new(app)));
    }
}
