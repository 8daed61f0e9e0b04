//! The SparkApplication lifecycle as a pure function: the application, what was observed of
//! its driver and executors, and the time in; the next status, the actions to take and when
//! to look again out.
//!
//! States keep kubeflow's names (tools read `status.applicationState.state`), with these
//! differences, each a fix of a reported problem:
//! - the submission is recorded in the status (state `SUBMITTED`, condition `Submitted`
//!   `False`/`Creating`) before anything is created, and every name derives from the
//!   submission id, so an operator restart mid-submission re-creates the same objects
//!   instead of a second driver;
//! - a driver reported missing is confirmed with a live GET by the shell before this sees
//!   it, and a just-submitted one gets a grace period;
//! - a driver whose image cannot be pulled, or that no node can take, fails after a
//!   timeout with the reason, instead of waiting in `SUBMITTED` forever;
//! - retries back off exponentially up to a cap;
//! - executor state is bounded;
//! - with ResourceQuota enforcement, an application that would exceed a quota ends
//!   `FAILED` before its submission (kubeflow's webhook denies it instead; module
//!   [`quota`]).
//!
//! No I/O: the operator's controller (crate `sparkplane-operator`) observes the cluster,
//! calls [`decide`] and carries out its actions; this crate depends on no async runtime or
//! Kubernetes client, and the time is an argument.

#![warn(missing_docs)]

pub mod conditions;
pub mod pod;
pub mod quota;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use sha2::{Digest, Sha256};
use sparkplane_api::restart::{self, Next, Outcome, RetryPolicy, DEFAULT_MAX_RETRY_DELAY};
use sparkplane_api::v1beta2::{
    ApplicationState, ApplicationStateType as State, ExecutorState, SparkApplicationSpec,
    SparkApplicationStatus,
};
use sparkplane_api::SparkApplication;

use self::pod::{Phase, PodSummary};

/// The operator's lifecycle settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// How long a just-submitted driver may be missing before the application fails
    /// (kubeflow's `--driver-pod-creation-grace-period`).
    pub driver_creation_grace: Duration,
    /// How long a driver image may fail to pull before the application fails.
    pub image_pull_timeout: Duration,
    /// How long a driver may find no node before the application fails (`None`: forever,
    /// for clusters that scale up on demand).
    pub unschedulable_timeout: Option<Duration>,
    /// The longest delay between retries.
    pub max_retry_delay: Duration,
    /// The most executors recorded in `status.executorState`.
    pub max_tracked_executors: usize,
    /// Time to live of terminated applications that set none (`None`: kept).
    pub default_ttl: Option<Duration>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            driver_creation_grace: Duration::from_secs(10),
            image_pull_timeout: Duration::from_secs(300),
            unschedulable_timeout: None,
            max_retry_delay: DEFAULT_MAX_RETRY_DELAY,
            max_tracked_executors: 1000,
            default_ttl: None,
        }
    }
}

/// What was observed of the current driver pod.
#[derive(Debug, Clone, PartialEq)]
pub enum Driver {
    /// No driver pod is expected (nothing submitted yet, or the run is over).
    NotLooked,
    /// The pod does not exist (confirmed with a live read).
    Missing,
    /// The pod.
    Found(Box<PodSummary>),
}

/// An executor pod, as the status records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executor {
    /// The pod's name.
    pub name: String,
    /// `spark-exec-id`.
    pub id: Option<u64>,
    /// Its state.
    pub state: ExecutorState,
}

/// Everything [`decide`] reads.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The application.
    pub app: &'a SparkApplication,
    /// Its driver.
    pub driver: Driver,
    /// Its executors of the current submission.
    pub executors: Vec<Executor>,
    /// Whether every object of earlier submissions is gone (driver pods, UI Services and
    /// Ingresses).
    pub run_objects_gone: bool,
    /// Now.
    pub now: Timestamp,
    /// The operator's settings.
    pub settings: &'a Settings,
    /// Why the application may not start a submission that needs admission (the
    /// ResourceQuota it would exceed), found by the shell after a first decision asked for
    /// one ([`Decision::needs_admission`]).
    pub refusal: Option<&'a str>,
}

/// An action for the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write the status, then create the objects of submission `submission_id`, then mark
    /// it submitted. Idempotent: the objects derive from the id.
    Submit {
        /// The submission id.
        submission_id: String,
        /// The attempt number, from 1.
        attempt: u32,
        /// Whether the submission runs a spec not admitted yet: the first run, the rerun
        /// after a spec change, or a resume. kubeflow's webhook checks ResourceQuotas when
        /// an application is created and when its spec changes (`suspend` included); reruns
        /// by the restart policy are not checked there, and are not here.
        admit: bool,
    },
    /// Delete the driver pods, UI Services and Ingresses of every submission.
    DeleteRunObjects,
    /// Delete what only a live application needs: the driver's PodDisruptionBudget and the
    /// batch scheduler's PodGroup. Idempotent.
    CleanUpTerminated,
    /// Delete the SparkApplication (its time to live is over).
    DeleteApplication,
}

/// A state change, for a Kubernetes Event and the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// The Event's reason.
    pub reason: String,
    /// The Event's message.
    pub message: String,
    /// Whether it is a warning.
    pub warning: bool,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The status to write (unchanged when nothing changed).
    pub status: SparkApplicationStatus,
    /// Actions, in order.
    pub actions: Vec<Action>,
    /// Look again after this long (besides watch events).
    pub requeue_after: Option<Duration>,
    /// The state change, if any.
    pub transition: Option<Transition>,
}

impl Decision {
    /// Whether a submission waits for admission: the shell checks the ResourceQuotas, and
    /// decides again with [`Input::refusal`] set when the application would exceed one.
    pub fn needs_admission(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a, Action::Submit { admit: true, .. }))
    }
}

/// Digest of the spec fields whose change reruns the application: all but `suspend` and
/// `timeToLiveSeconds`.
pub fn spec_hash(spec: &SparkApplicationSpec) -> String {
    let mut s = spec.clone();
    s.suspend = None;
    s.time_to_live_seconds = None;
    // Serialising the spec cannot fail: it has string keys only.
    let json = serde_json::to_vec(&s).unwrap_or_default();
    hex::encode(&Sha256::digest(&json)[..12])
}

/// The sequence number of a submission id `<uid>-<n>`.
fn sequence(submission_id: Option<&str>) -> u32 {
    submission_id
        .and_then(|s| s.rsplit_once('-'))
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

fn event_reason(state: State) -> &'static str {
    match state {
        State::New => "SparkApplicationAdded",
        State::Submitted => "SparkApplicationSubmitted",
        State::Running => "SparkDriverRunning",
        State::Succeeding => "SparkDriverCompleted",
        State::Failing => "SparkDriverFailed",
        State::Completed => "SparkApplicationCompleted",
        State::Failed => "SparkApplicationFailed",
        State::SubmissionFailed => "SparkApplicationSubmissionFailed",
        State::PendingRerun => "SparkApplicationPendingRerun",
        State::Invalidating => "SparkApplicationSpecUpdateProcessed",
        State::Suspending => "SparkApplicationSuspending",
        State::Suspended => "SparkApplicationSuspended",
        State::Resuming => "SparkApplicationResuming",
        State::Unknown => "SparkDriverUnknownState",
    }
}

fn is_warning(state: State) -> bool {
    match state {
        State::Failing | State::Failed | State::SubmissionFailed | State::Unknown => true,
        State::New
        | State::Submitted
        | State::Running
        | State::Succeeding
        | State::Completed
        | State::PendingRerun
        | State::Invalidating
        | State::Suspending
        | State::Suspended
        | State::Resuming => false,
    }
}

/// How long until `from + delay`, or `None` once it has passed.
fn remaining(from: Timestamp, delay: Duration, now: Timestamp) -> Option<Duration> {
    let elapsed = now.duration_since(from);
    let elapsed = Duration::try_from(elapsed).unwrap_or(Duration::ZERO);
    delay.checked_sub(elapsed).filter(|d| !d.is_zero())
}

struct Builder<'a> {
    input: &'a Input<'a>,
    status: SparkApplicationStatus,
    actions: Vec<Action>,
    requeue: Option<Duration>,
}

impl Builder<'_> {
    fn state(&self) -> State {
        self.status.application_state.state
    }

    fn set_state(&mut self, to: State, error: Option<String>) {
        self.status.application_state = ApplicationState {
            state: to,
            error_message: error,
        };
    }

    fn requeue(&mut self, d: Duration) {
        self.requeue = Some(self.requeue.map_or(d, |r| r.min(d)));
    }

    fn now_time(&self) -> Time {
        Time(self.input.now)
    }

    fn generation(&self) -> Option<i64> {
        self.input.app.metadata.generation
    }

    fn condition(&mut self, type_: &str, status: bool, reason: &str, message: impl Into<String>) {
        let (now, g) = (self.input.now, self.generation());
        conditions::set(
            &mut self.status.conditions,
            type_,
            status,
            reason,
            message,
            now,
            g,
        );
    }

    /// Starts submission number `sequence + 1`, or, when it needs admission and the shell
    /// found a reason to refuse it, ends the application `FAILED` with that reason.
    fn submit(&mut self, admit: bool) {
        if let (true, Some(reason)) = (admit, self.input.refusal) {
            self.refuse(reason);
            return;
        }
        let uid = self.input.app.metadata.uid.clone().unwrap_or_default();
        let n = sequence(self.status.submission_id.as_deref()) + 1;
        let submission_id = format!("{uid}-{n}");
        self.status.submission_id = Some(submission_id.clone());
        self.status.last_submission_attempt_time = Some(self.now_time());
        self.status.submission_attempts += 1;
        self.status.execution_attempts += 1;
        self.status.termination_time = None;
        self.status.spark_application_id = None;
        self.status.executor_state.clear();
        self.status.driver_info = Default::default();
        self.set_state(State::Submitted, None);
        self.condition(
            conditions::SUBMITTED,
            false,
            "Creating",
            "creating the driver",
        );
        conditions::remove(&mut self.status.conditions, conditions::RUNNING);
        conditions::remove(&mut self.status.conditions, conditions::TERMINATED);
        conditions::remove(&mut self.status.conditions, conditions::IMAGE_PULL_FAILING);
        self.actions.push(Action::Submit {
            submission_id,
            attempt: n,
            admit,
        });
    }

    /// Ends the application `FAILED` without submitting it: what kubeflow's webhook would
    /// have denied. Nothing of an earlier run is left (a rerun or resume tore it down), so
    /// its driver and executors are forgotten.
    fn refuse(&mut self, reason: &str) {
        self.status.driver_info = Default::default();
        self.status.executor_state.clear();
        self.status.spark_application_id = None;
        conditions::remove(&mut self.status.conditions, conditions::SUBMITTED);
        conditions::remove(&mut self.status.conditions, conditions::IMAGE_PULL_FAILING);
        self.status.termination_time = None;
        self.terminate(State::Failed, Some(reason.to_string()));
        // terminate() names the condition after the state; this says why.
        self.condition(
            conditions::TERMINATED,
            true,
            "ResourceQuotaExceeded",
            reason.to_string(),
        );
    }

    fn terminate(&mut self, to: State, message: Option<String>) {
        if self.status.termination_time.is_none() {
            self.status.termination_time = Some(self.now_time());
        }
        let reason = match to {
            State::Completed => "Completed",
            _ => "Failed",
        };
        let m = message.clone().unwrap_or_default();
        self.set_state(to, message);
        self.condition(conditions::TERMINATED, true, reason, m);
        conditions::remove(&mut self.status.conditions, conditions::RUNNING);
        self.clean_up();
        self.ttl();
    }

    /// Asks for the terminated application's budget and PodGroup to go, when it has them.
    /// Asked again on each look at a terminated application (as kubeflow does), so that a
    /// failed deletion is retried.
    fn clean_up(&mut self) {
        let spec = &self.input.app.spec;
        let pod_group = spec
            .scheduler()
            .ok()
            .flatten()
            .is_some_and(|s| s.creates_pod_group());
        if pod_group || spec.driver_pod_disruption_budget == Some(true) {
            self.actions.push(Action::CleanUpTerminated);
        }
    }

    fn ttl(&mut self) {
        let app = &self.input.app.spec;
        let ttl = match app.time_to_live_seconds {
            Some(s) => Some(Duration::from_secs(s.max(0) as u64)),
            None => self.input.settings.default_ttl,
        };
        let (Some(ttl), Some(end)) = (ttl, self.status.termination_time.as_ref()) else {
            return;
        };
        match remaining(end.0, ttl, self.input.now) {
            None => self.actions.push(Action::DeleteApplication),
            Some(left) => self.requeue(left),
        }
    }

    /// Waits until `from + delay`; true once it has passed.
    fn waited(&mut self, from: Option<&Time>, delay: Duration) -> bool {
        let Some(from) = from else { return true };
        match remaining(from.0, delay, self.input.now) {
            None => true,
            Some(left) => {
                self.requeue(left);
                false
            }
        }
    }

    /// What the restart policy says follows a run that ended with `outcome`
    /// ([`restart::next`], the local runtime's rule too), with this operator's cap.
    fn after(&self, policy: &RetryPolicy, outcome: Outcome) -> Next {
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        restart::next(
            policy,
            outcome,
            count(self.status.execution_attempts),
            count(self.status.submission_attempts),
            self.input.settings.max_retry_delay,
        )
    }

    fn tear_down_then(&mut self, next: State) {
        if self.input.run_objects_gone {
            self.set_state(next, self.status.application_state.error_message.clone());
        } else {
            self.actions.push(Action::DeleteRunObjects);
            self.requeue(Duration::from_secs(1));
        }
    }

    fn observe_driver(&mut self) {
        let settings = self.input.settings;
        let pod = match &self.input.driver {
            Driver::NotLooked => return,
            Driver::Missing => {
                let started = self.status.last_submission_attempt_time.clone();
                if self.state() == State::Submitted
                    && !self.waited(started.as_ref(), settings.driver_creation_grace)
                {
                    return;
                }
                let name = self.status.driver_info.pod_name.clone().unwrap_or_default();
                self.status.termination_time = Some(self.now_time());
                self.set_state(State::Failing, Some(format!("driver pod {name} not found")));
                return;
            }
            Driver::Found(p) => (**p).clone(),
        };
        if let Some(id) = &pod.spark_app_id {
            self.status.spark_application_id = Some(id.clone());
        }
        self.track_executors(&pod);
        match pod.phase {
            Phase::Pending => {
                self.set_state(State::Submitted, None);
                self.pending(&pod);
            }
            Phase::Running => match &pod.terminated {
                Some(t) => self.driver_ended(t.exit_code == 0, &pod),
                None => {
                    conditions::remove(&mut self.status.conditions, conditions::IMAGE_PULL_FAILING);
                    self.set_state(State::Running, None);
                    self.condition(conditions::RUNNING, true, "DriverRunning", "");
                }
            },
            Phase::Succeeded => self.driver_ended(true, &pod),
            Phase::Failed => {
                let ok = pod.terminated.as_ref().is_some_and(|t| t.exit_code == 0);
                self.driver_ended(ok, &pod)
            }
            Phase::Unknown => self.set_state(State::Unknown, None),
        }
    }

    fn pending(&mut self, pod: &PodSummary) {
        let settings = self.input.settings;
        const PERMANENT: [&str; 2] = ["InvalidImageName", "ErrImageNeverPull"];
        const PULLING: [&str; 2] = ["ErrImagePull", "ImagePullBackOff"];
        match &pod.waiting {
            Some(w) if PERMANENT.contains(&w.reason.as_str()) => {
                let m = format!(
                    "driver image cannot be used: {}: {}",
                    w.reason,
                    w.message.clone().unwrap_or_default()
                );
                self.fail_pending(m);
                return;
            }
            Some(w) if PULLING.contains(&w.reason.as_str()) => {
                let message = w.message.clone().unwrap_or_default();
                if !conditions::is_true(&self.status.conditions, conditions::IMAGE_PULL_FAILING) {
                    self.condition(
                        conditions::IMAGE_PULL_FAILING,
                        true,
                        &w.reason,
                        message.clone(),
                    );
                }
                let since =
                    conditions::get(&self.status.conditions, conditions::IMAGE_PULL_FAILING)
                        .map(|c| c.last_transition_time.clone());
                if self.waited(since.as_ref(), settings.image_pull_timeout) {
                    let secs = settings.image_pull_timeout.as_secs();
                    self.fail_pending(format!(
                        "driver image cannot be pulled (for {secs} s): {}: {message}",
                        w.reason
                    ));
                    return;
                }
            }
            _ => conditions::remove(&mut self.status.conditions, conditions::IMAGE_PULL_FAILING),
        }
        if let (Some(since), Some(limit)) =
            (pod.unschedulable_since, settings.unschedulable_timeout)
        {
            if self.waited(Some(&Time(since)), limit) {
                self.fail_pending(format!(
                    "driver pod cannot be scheduled (for {} s): {}",
                    limit.as_secs(),
                    pod.unschedulable_message.clone().unwrap_or_default()
                ));
            }
        }
    }

    /// A driver that will never start: fail, and delete it so it stops holding resources.
    fn fail_pending(&mut self, message: String) {
        self.status.termination_time = Some(self.now_time());
        self.set_state(State::Failing, Some(message));
        self.actions.push(Action::DeleteRunObjects);
    }

    fn driver_ended(&mut self, success: bool, pod: &PodSummary) {
        conditions::remove(&mut self.status.conditions, conditions::RUNNING);
        if self.status.termination_time.is_none() {
            self.status.termination_time = Some(self.now_time());
        }
        if success {
            self.set_state(State::Succeeding, None);
        } else {
            let detail = match &pod.terminated {
                Some(t) => format!(
                    "driver container failed with exit code {}{}{}",
                    t.exit_code,
                    t.reason
                        .as_ref()
                        .map(|r| format!(", reason {r}"))
                        .unwrap_or_default(),
                    t.message
                        .as_ref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
                None => "driver pod failed".to_string(),
            };
            self.set_state(State::Failing, Some(detail));
        }
    }

    /// The executors of this run: those whose pods exist, with their pods' states, and those
    /// the status already lists whose pods are gone. Spark deletes its executor pods before the
    /// driver exits, so without the second kind a completed application would list none. As
    /// kubeflow does, a vanished executor that had not ended is `UNKNOWN` while the driver runs,
    /// then `COMPLETED` if the driver succeeded and `FAILED` otherwise.
    fn track_executors(&mut self, driver: &PodSummary) {
        let mut execs: Vec<&Executor> = self.input.executors.iter().collect();
        // The lowest executor ids are kept, as kubeflow keeps them, so the map stays stable.
        execs.sort_by_key(|e| (e.id.unwrap_or(u64::MAX), e.name.clone()));
        let mut states: BTreeMap<String, ExecutorState> = execs
            .into_iter()
            .take(self.input.settings.max_tracked_executors)
            .map(|e| (e.name.clone(), e.state))
            .collect();
        let vanished = vanished_executor_state(driver);
        for (name, old) in &self.status.executor_state {
            if states.len() >= self.input.settings.max_tracked_executors {
                break;
            }
            if states.contains_key(name) {
                continue;
            }
            let kept = match old {
                ExecutorState::Completed | ExecutorState::Failed => *old,
                ExecutorState::Pending | ExecutorState::Running | ExecutorState::Unknown => {
                    vanished
                }
            };
            states.insert(name.clone(), kept);
        }
        self.status.executor_state = states;
    }
}

/// The state of an executor whose pod is gone before it was seen to end, by the driver's state.
fn vanished_executor_state(driver: &PodSummary) -> ExecutorState {
    match (driver.phase, &driver.terminated) {
        (Phase::Succeeded, _) => ExecutorState::Completed,
        (Phase::Running, Some(t)) if t.exit_code == 0 => ExecutorState::Completed,
        (Phase::Running, Some(_)) | (Phase::Failed, _) => ExecutorState::Failed,
        (Phase::Running, None) | (Phase::Pending, _) | (Phase::Unknown, _) => {
            ExecutorState::Unknown
        }
    }
}

/// Decides what to do with `input.app`: an ordered list of small steps, the first of which
/// moves the state (a new spec, a suspension, or the current state's own step), then the
/// bookkeeping every decision ends with.
pub fn decide(input: &Input<'_>) -> Decision {
    let app = input.app;
    let status = app.status.clone().unwrap_or_default();
    let from = status.application_state.state;
    let mut b = Builder {
        input,
        status,
        actions: Vec::new(),
        requeue: None,
    };
    let hash = spec_hash(&app.spec);
    let spec_changed = b
        .status
        .observed_spec_hash
        .as_ref()
        .is_some_and(|h| *h != hash);
    if spec_changed && from != State::New {
        b.restart_for_new_spec();
    } else if app.spec.suspend == Some(true) && is_suspendable(from) {
        b.suspend(from);
    } else {
        b.step(from, &RetryPolicy::of(&app.spec.restart_policy));
    }
    b.status.observed_generation = app.metadata.generation;
    b.status.observed_spec_hash = Some(hash);
    b.requeue_moving_states();
    b.finish(from)
}

/// Suspension applies to every state that is not final and not already on its way there.
fn is_suspendable(s: State) -> bool {
    !matches!(
        s,
        State::Suspending | State::Suspended | State::Completed | State::Failed
    )
}

impl Builder<'_> {
    /// A new spec: tear the run down and start over with fresh counters.
    fn restart_for_new_spec(&mut self) {
        self.status.execution_attempts = 0;
        self.status.submission_attempts = 0;
        self.status.termination_time = None;
        self.set_state(State::Invalidating, None);
        self.tear_down_then(State::PendingRerun);
    }

    fn suspend(&mut self, from: State) {
        if from == State::New {
            self.set_state(State::Suspended, None);
        } else {
            self.set_state(State::Suspending, None);
            self.tear_down_then(State::Suspended);
        }
    }

    /// The step of the current state.
    fn step(&mut self, from: State, policy: &RetryPolicy) {
        match from {
            State::New | State::Resuming => self.submit(true),
            State::Submitted | State::Running | State::Unknown => self.watch_run(from),
            // `Always` reruns a success at once.
            State::Succeeding => match self.after(policy, Outcome::Succeeded) {
                Next::Rerun(_) => self.tear_down_then(State::PendingRerun),
                Next::Finish => self.terminate(State::Completed, None),
            },
            State::Failing => self.retry_or_fail(policy, Outcome::Failed),
            State::SubmissionFailed => self.retry_or_fail(policy, Outcome::SubmissionFailed),
            State::PendingRerun => self.rerun_when_gone(),
            State::Invalidating => self.tear_down_then(State::PendingRerun),
            State::Suspending => self.tear_down_then(State::Suspended),
            State::Suspended => {
                if self.input.app.spec.suspend != Some(true) {
                    self.set_state(State::Resuming, None);
                }
            }
            State::Completed | State::Failed => {
                self.clean_up();
                self.ttl();
            }
        }
    }

    /// A submitted or running application: follow its driver.
    fn watch_run(&mut self, from: State) {
        if from == State::Submitted
            && !conditions::is_true(&self.status.conditions, conditions::SUBMITTED)
        {
            // The operator stopped between recording the submission and creating the
            // driver: create it now, with the same names.
            let submission_id = self.status.submission_id.clone().unwrap_or_default();
            let attempt = sequence(Some(&submission_id));
            // Admitted, if it needed to be, before the status recorded it.
            self.actions.push(Action::Submit {
                submission_id,
                attempt,
                admit: false,
            });
        } else {
            self.observe_driver();
        }
    }

    /// A failed run or submission: wait out the policy's delay and go again, or fail for good.
    fn retry_or_fail(&mut self, policy: &RetryPolicy, outcome: Outcome) {
        match self.after(policy, outcome) {
            Next::Rerun(delay) => {
                let from_time = match outcome {
                    Outcome::SubmissionFailed => self.status.last_submission_attempt_time.clone(),
                    Outcome::Failed | Outcome::Succeeded => self.status.termination_time.clone(),
                };
                if self.waited(from_time.as_ref(), delay) {
                    match outcome {
                        Outcome::SubmissionFailed => self.submit(false),
                        Outcome::Failed | Outcome::Succeeded => {
                            self.tear_down_then(State::PendingRerun)
                        }
                    }
                }
            }
            Next::Finish => {
                let m = self.status.application_state.error_message.clone();
                self.terminate(State::Failed, m);
            }
        }
    }

    /// Rerun once the last run's objects are gone.
    fn rerun_when_gone(&mut self) {
        if self.input.run_objects_gone {
            // A spec change resets the execution attempts; a rerun by the restart policy
            // follows at least one execution.
            let after_spec_change = self.status.execution_attempts == 0;
            self.status.submission_attempts = 0;
            self.submit(after_spec_change);
        } else {
            self.tear_down_then(State::PendingRerun);
        }
    }

    /// States that move on by themselves are looked at again at once.
    fn requeue_moving_states(&mut self) {
        if matches!(
            self.state(),
            State::Succeeding | State::Failing | State::PendingRerun | State::Resuming
        ) && self.actions.is_empty()
            && self.requeue.is_none()
        {
            self.requeue(Duration::ZERO);
        }
    }

    /// The decision, with the transition event when the state moved.
    fn finish(self, from: State) -> Decision {
        let to = self.state();
        let transition = (to != from).then(|| Transition {
            from,
            to,
            reason: event_reason(to).to_string(),
            message: match &self.status.application_state.error_message {
                Some(m) => format!("{}: {m}", to),
                None => format!("{from} → {to}"),
            },
            warning: is_warning(to),
        });
        Decision {
            status: self.status,
            actions: self.actions,
            requeue_after: self.requeue,
            transition,
        }
    }
}
