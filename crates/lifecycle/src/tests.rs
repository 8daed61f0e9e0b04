//! The lifecycle, case by case: (status before, observation) → (state after, actions).

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use sparkplane_api::v1beta2::{
    ApplicationStateType as S, ExecutorState, RestartPolicy, RestartPolicyType,
    SparkApplicationStatus,
};
use sparkplane_api::SparkApplication;

use super::pod::{Phase, PodSummary, Terminated, Waiting};
use super::*;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + secs).unwrap()
}

fn app(yaml_spec: &str) -> SparkApplication {
    let text = format!(
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: pi\n  namespace: ns\n  uid: u1\n  generation: 1\nspec:\n  type: Scala\n  sparkVersion: 4.0.0\n  image: spark:4.0.0\n  mainClass: Pi\n  mainApplicationFile: local:///x.jar\n  driver: {{}}\n  executor: {{}}\n{yaml_spec}"
    );
    serde_yaml_ng::from_str(&text).unwrap()
}

fn with_status(
    mut a: SparkApplication,
    f: impl FnOnce(&mut SparkApplicationStatus),
) -> SparkApplication {
    let mut st = SparkApplicationStatus {
        observed_spec_hash: Some(spec_hash(&a.spec)),
        ..Default::default()
    };
    f(&mut st);
    a.status = Some(st);
    a
}

fn submitted(st: &mut SparkApplicationStatus, at: i64, created: bool) {
    st.application_state.state = S::Submitted;
    st.submission_id = Some("u1-1".into());
    st.submission_attempts = 1;
    st.execution_attempts = 1;
    st.last_submission_attempt_time = Some(Time(t(at)));
    st.driver_info.pod_name = Some("pi-driver".into());
    conditions::set(
        &mut st.conditions,
        conditions::SUBMITTED,
        created,
        "x",
        "",
        t(at),
        None,
    );
}

fn pod(phase: Phase) -> PodSummary {
    PodSummary {
        name: "pi-driver".into(),
        phase,
        spark_app_id: Some("spark-1".into()),
        submission_id: Some("u1-1".into()),
        executor_id: None,
        terminated: None,
        waiting: None,
        unschedulable_since: None,
        unschedulable_message: None,
    }
}

fn found(p: PodSummary) -> Driver {
    Driver::Found(Box::new(p))
}

fn run(a: &SparkApplication, driver: Driver, now: i64) -> Decision {
    run_with(a, driver, now, true, &Settings::default())
}

fn run_with(a: &SparkApplication, driver: Driver, now: i64, gone: bool, s: &Settings) -> Decision {
    decide(&Input {
        app: a,
        driver,
        executors: vec![],
        run_objects_gone: gone,
        now: t(now),
        settings: s,
        refusal: None,
    })
}

#[test]
fn a_new_application_is_recorded_as_submitted_before_anything_is_created() {
    let d = run(&app(""), Driver::NotLooked, 0);
    assert_eq!(d.status.application_state.state, S::Submitted);
    assert_eq!(d.status.submission_id.as_deref(), Some("u1-1"));
    assert_eq!(
        d.actions,
        vec![Action::Submit {
            submission_id: "u1-1".into(),
            attempt: 1,
            admit: true,
        }]
    );
    assert!(!conditions::is_true(
        &d.status.conditions,
        conditions::SUBMITTED
    ));
    assert_eq!(
        (d.status.submission_attempts, d.status.execution_attempts),
        (1, 1)
    );
    assert_eq!(d.transition.unwrap().reason, "SparkApplicationSubmitted");
}

#[test]
fn a_submission_interrupted_by_a_restart_is_completed_with_the_same_id() {
    let a = with_status(app(""), |st| submitted(st, 0, false));
    let d = run(&a, Driver::NotLooked, 5);
    assert_eq!(
        d.actions,
        vec![Action::Submit {
            submission_id: "u1-1".into(),
            attempt: 1,
            admit: false,
        }]
    );
    assert_eq!(d.status.submission_attempts, 1, "not a new attempt");
    assert!(d.transition.is_none());
}

#[test]
fn driver_phases_map_to_states() {
    let term = |code: i32| Terminated {
        exit_code: code,
        reason: Some(if code == 0 { "Completed" } else { "Error" }.into()),
        message: None,
    };
    let cases: Vec<(PodSummary, S)> = vec![
        (pod(Phase::Pending), S::Submitted),
        (pod(Phase::Running), S::Running),
        (pod(Phase::Succeeded), S::Succeeding),
        (pod(Phase::Failed), S::Failing),
        (pod(Phase::Unknown), S::Unknown),
        (
            PodSummary {
                terminated: Some(term(0)),
                ..pod(Phase::Running)
            },
            S::Succeeding,
        ),
        (
            PodSummary {
                terminated: Some(term(1)),
                ..pod(Phase::Running)
            },
            S::Failing,
        ),
        (
            PodSummary {
                terminated: Some(term(0)),
                ..pod(Phase::Failed)
            },
            S::Succeeding,
        ),
    ];
    let a = with_status(app(""), |st| submitted(st, 0, true));
    for (p, want) in cases {
        let d = run(&a, found(p.clone()), 1);
        assert_eq!(d.status.application_state.state, want, "{p:?}");
        assert_eq!(d.status.spark_application_id.as_deref(), Some("spark-1"));
    }
    let failed = run(
        &a,
        found(PodSummary {
            terminated: Some(term(137)),
            ..pod(Phase::Failed)
        }),
        1,
    );
    assert_eq!(
        failed.status.application_state.error_message.as_deref(),
        Some("driver container failed with exit code 137, reason Error")
    );
}

#[test]
fn a_missing_driver_gets_a_grace_period_then_fails() {
    let a = with_status(app(""), |st| submitted(st, 0, true));
    let early = run(&a, Driver::Missing, 3);
    assert_eq!(early.status.application_state.state, S::Submitted);
    assert_eq!(early.requeue_after, Some(Duration::from_secs(7)));
    let late = run(&a, Driver::Missing, 11);
    assert_eq!(late.status.application_state.state, S::Failing);
    assert_eq!(
        late.status.application_state.error_message.as_deref(),
        Some("driver pod pi-driver not found")
    );
    // A running application whose driver vanished fails at once.
    let running = with_status(app(""), |st| {
        submitted(st, 0, true);
        st.application_state.state = S::Running;
    });
    assert_eq!(
        run(&running, Driver::Missing, 1)
            .status
            .application_state
            .state,
        S::Failing
    );
}

#[test]
fn success_completes_and_always_reruns() {
    let succeeding = |policy: &str| {
        with_status(app(policy), |st| {
            submitted(st, 0, true);
            st.application_state.state = S::Succeeding;
            st.termination_time = Some(Time(t(50)));
        })
    };
    let d = run(&succeeding(""), Driver::NotLooked, 60);
    assert_eq!(d.status.application_state.state, S::Completed);
    assert!(conditions::is_true(
        &d.status.conditions,
        conditions::TERMINATED
    ));
    let always = succeeding("  restartPolicy:\n    type: Always\n");
    let d = run_with(&always, Driver::NotLooked, 60, false, &Settings::default());
    assert_eq!(d.actions, vec![Action::DeleteRunObjects]);
    let d = run(&always, Driver::NotLooked, 61);
    assert_eq!(d.status.application_state.state, S::PendingRerun);
}

#[test]
fn failures_retry_with_capped_exponential_backoff_then_fail() {
    let policy = "  restartPolicy:\n    type: OnFailure\n    onFailureRetries: 3\n    onFailureRetryInterval: 10\n";
    let failing = |attempts: i32| {
        with_status(app(policy), |st| {
            submitted(st, 0, true);
            st.application_state.state = S::Failing;
            st.execution_attempts = attempts;
            st.termination_time = Some(Time(t(100)));
        })
    };
    // Attempt n waits 10 × 2^(n-1) seconds after the failure.
    for (attempts, wait) in [(1, 10), (2, 20), (3, 40)] {
        let a = failing(attempts);
        let d = run(&a, Driver::NotLooked, 100);
        assert_eq!(d.status.application_state.state, S::Failing);
        assert_eq!(d.requeue_after, Some(Duration::from_secs(wait)));
        let d = run(&a, Driver::NotLooked, 100 + wait as i64);
        assert_eq!(
            d.status.application_state.state,
            S::PendingRerun,
            "{attempts}"
        );
    }
    let d = run(&failing(4), Driver::NotLooked, 100);
    assert_eq!(d.status.application_state.state, S::Failed);
    // The cap holds for applications restarted forever.
    let settings = Settings {
        max_retry_delay: Duration::from_secs(60),
        ..Settings::default()
    };
    let forever = with_status(app("  restartPolicy:\n    type: Always\n"), |st| {
        st.application_state.state = S::Failing;
        st.execution_attempts = 50;
        st.termination_time = Some(Time(t(0)));
    });
    let d = run_with(&forever, Driver::NotLooked, 0, true, &settings);
    assert_eq!(d.requeue_after, Some(Duration::from_secs(60)));
}

#[test]
fn a_rerun_gets_the_next_submission_and_its_own_driver_name() {
    let a = with_status(app(""), |st| {
        submitted(st, 0, true);
        st.application_state.state = S::PendingRerun;
    });
    let d = run(&a, Driver::NotLooked, 10);
    assert_eq!(
        d.actions,
        vec![Action::Submit {
            submission_id: "u1-2".into(),
            attempt: 2,
            admit: false,
        }]
    );
    assert_eq!(d.status.execution_attempts, 2);
    let not_gone = run_with(&a, Driver::NotLooked, 10, false, &Settings::default());
    assert_eq!(not_gone.actions, vec![Action::DeleteRunObjects]);
}

#[test]
fn submission_failures_retry_then_fail() {
    let policy = "  restartPolicy:\n    type: OnFailure\n    onSubmissionFailureRetries: 1\n    onSubmissionFailureRetryInterval: 5\n";
    let failed = |attempts: i32| {
        with_status(app(policy), |st| {
            st.application_state.state = S::SubmissionFailed;
            st.application_state.error_message = Some("boom".into());
            st.submission_id = Some(format!("u1-{attempts}"));
            st.submission_attempts = attempts;
            st.last_submission_attempt_time = Some(Time(t(0)));
        })
    };
    let d = run(&failed(1), Driver::NotLooked, 2);
    assert_eq!(d.requeue_after, Some(Duration::from_secs(3)));
    let d = run(&failed(1), Driver::NotLooked, 5);
    assert_eq!(d.status.application_state.state, S::Submitted);
    assert_eq!(d.status.submission_attempts, 2);
    // The failed submission was not counted as a run (the shell takes it back when it
    // records the failure), so the retry is the first run.
    assert_eq!(d.status.execution_attempts, 1);
    let d = run(&failed(2), Driver::NotLooked, 100);
    assert_eq!(d.status.application_state.state, S::Failed);
    assert_eq!(
        d.status.application_state.error_message.as_deref(),
        Some("boom")
    );
}

#[test]
fn image_pull_failures_fail_after_the_timeout_with_the_reason() {
    let pulling = PodSummary {
        waiting: Some(Waiting {
            reason: "ImagePullBackOff".into(),
            message: Some("Back-off pulling image \"nope:1\"".into()),
        }),
        ..pod(Phase::Pending)
    };
    let a = with_status(app(""), |st| submitted(st, 0, true));
    let first = run(&a, found(pulling.clone()), 20);
    assert_eq!(first.status.application_state.state, S::Submitted);
    assert!(conditions::is_true(
        &first.status.conditions,
        conditions::IMAGE_PULL_FAILING
    ));
    assert_eq!(first.requeue_after, Some(Duration::from_secs(300)));
    let mut later = a.clone();
    later.status = Some(first.status.clone());
    let still = run(&later, found(pulling.clone()), 200);
    assert_eq!(still.requeue_after, Some(Duration::from_secs(120)));
    let end = run(&later, found(pulling), 320);
    assert_eq!(end.status.application_state.state, S::Failing);
    assert!(end
        .status
        .application_state
        .error_message
        .unwrap()
        .contains("driver image cannot be pulled (for 300 s): ImagePullBackOff"));
    assert_eq!(end.actions, vec![Action::DeleteRunObjects]);
    // A name that can never be pulled fails at once.
    let invalid = PodSummary {
        waiting: Some(Waiting {
            reason: "InvalidImageName".into(),
            message: None,
        }),
        ..pod(Phase::Pending)
    };
    assert_eq!(
        run(&a, found(invalid), 1).status.application_state.state,
        S::Failing
    );
}

#[test]
fn unschedulable_drivers_fail_only_when_a_timeout_is_set() {
    let stuck = PodSummary {
        unschedulable_since: Some(t(0)),
        unschedulable_message: Some("0/3 nodes are available".into()),
        ..pod(Phase::Pending)
    };
    let a = with_status(app(""), |st| submitted(st, 0, true));
    let d = run(&a, found(stuck.clone()), 10_000);
    assert_eq!(d.status.application_state.state, S::Submitted);
    let settings = Settings {
        unschedulable_timeout: Some(Duration::from_secs(600)),
        ..Settings::default()
    };
    let d = run_with(&a, found(stuck.clone()), 599, true, &settings);
    assert_eq!(d.status.application_state.state, S::Submitted);
    let d = run_with(&a, found(stuck), 601, true, &settings);
    assert_eq!(d.status.application_state.state, S::Failing);
    assert!(d
        .status
        .application_state
        .error_message
        .unwrap()
        .contains("0/3 nodes"));
}

#[test]
fn suspend_and_resume() {
    let running = with_status(app("  suspend: true\n"), |st| {
        submitted(st, 0, true);
        st.application_state.state = S::Running;
    });
    let d = run_with(&running, Driver::NotLooked, 1, false, &Settings::default());
    assert_eq!(d.status.application_state.state, S::Suspending);
    assert_eq!(d.actions, vec![Action::DeleteRunObjects]);
    let mut suspending = running.clone();
    suspending.status = Some(d.status);
    let d = run(&suspending, Driver::NotLooked, 2);
    assert_eq!(d.status.application_state.state, S::Suspended);
    // A suspend toggle is not a spec change.
    let mut resumed = app("");
    resumed.status = Some(d.status);
    let d = run(&resumed, Driver::NotLooked, 3);
    assert_eq!(d.status.application_state.state, S::Resuming);
    resumed.status = Some(d.status);
    let d = run(&resumed, Driver::NotLooked, 4);
    assert_eq!(d.status.application_state.state, S::Submitted);
    assert_eq!(d.status.submission_id.as_deref(), Some("u1-2"));
    // New and suspended: nothing to tear down.
    let d = run(&app("  suspend: true\n"), Driver::NotLooked, 0);
    assert_eq!(d.status.application_state.state, S::Suspended);
    assert!(d.actions.is_empty());
}

#[test]
fn a_spec_change_reruns_with_fresh_counters() {
    let mut a = with_status(app(""), |st| {
        submitted(st, 0, true);
        st.application_state.state = S::Running;
        st.execution_attempts = 3;
    });
    a.spec.arguments = vec!["10".into()];
    let d = run_with(&a, Driver::NotLooked, 1, false, &Settings::default());
    assert_eq!(d.status.application_state.state, S::Invalidating);
    assert_eq!(d.actions, vec![Action::DeleteRunObjects]);
    assert_eq!(d.status.execution_attempts, 0);
    a.status = Some(d.status);
    let d = run(&a, Driver::NotLooked, 2);
    assert_eq!(d.status.application_state.state, S::PendingRerun);
}

#[test]
fn terminated_applications_are_deleted_after_their_time_to_live() {
    let done = |spec: &str| {
        with_status(app(spec), |st| {
            st.application_state.state = S::Completed;
            st.termination_time = Some(Time(t(100)));
        })
    };
    let a = done("  timeToLiveSeconds: 60\n");
    assert_eq!(
        run(&a, Driver::NotLooked, 130).requeue_after,
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        run(&a, Driver::NotLooked, 160).actions,
        vec![Action::DeleteApplication]
    );
    assert!(run(&done(""), Driver::NotLooked, 10_000).actions.is_empty());
    let settings = Settings {
        default_ttl: Some(Duration::from_secs(10)),
        ..Settings::default()
    };
    assert_eq!(
        run_with(&done(""), Driver::NotLooked, 111, true, &settings).actions,
        vec![Action::DeleteApplication]
    );
}

#[test]
fn executor_state_is_bounded() {
    let a = with_status(app(""), |st| submitted(st, 0, true));
    let execs: Vec<Executor> = (1..=50)
        .rev()
        .map(|i| Executor {
            name: format!("pi-exec-{i}"),
            id: Some(i),
            state: PodSummary {
                executor_id: Some(i),
                ..pod(Phase::Running)
            }
            .executor_state(),
        })
        .collect();
    let settings = Settings {
        max_tracked_executors: 10,
        ..Settings::default()
    };
    let d = decide(&Input {
        app: &a,
        driver: found(pod(Phase::Running)),
        executors: execs,
        run_objects_gone: true,
        now: t(1),
        settings: &settings,
        refusal: None,
    });
    assert_eq!(d.status.executor_state.len(), 10);
    assert_eq!(
        d.status.executor_state.get("pi-exec-10"),
        Some(&ExecutorState::Running)
    );
    assert!(!d.status.executor_state.contains_key("pi-exec-11"));
}

/// Spark deletes its executor pods before the driver exits: the executors the status listed
/// stay, with a final state read from the driver's, as kubeflow keeps them.
#[test]
fn vanished_executors_keep_a_state_by_the_drivers() {
    let exited = |code: i32| PodSummary {
        terminated: Some(Terminated {
            exit_code: code,
            reason: None,
            message: None,
        }),
        ..pod(Phase::Running)
    };
    let cases: Vec<(&str, PodSummary, ExecutorState, ExecutorState)> = vec![
        (
            "driver runs",
            pod(Phase::Running),
            ExecutorState::Running,
            ExecutorState::Unknown,
        ),
        (
            "driver succeeded",
            pod(Phase::Succeeded),
            ExecutorState::Running,
            ExecutorState::Completed,
        ),
        (
            "driver exited 0",
            exited(0),
            ExecutorState::Unknown,
            ExecutorState::Completed,
        ),
        (
            "driver exited 1",
            exited(1),
            ExecutorState::Running,
            ExecutorState::Failed,
        ),
        (
            "driver failed",
            pod(Phase::Failed),
            ExecutorState::Pending,
            ExecutorState::Failed,
        ),
        (
            "ended stays ended",
            pod(Phase::Succeeded),
            ExecutorState::Failed,
            ExecutorState::Failed,
        ),
        (
            "ended stays ended",
            pod(Phase::Failed),
            ExecutorState::Completed,
            ExecutorState::Completed,
        ),
    ];
    for (what, driver, before, after) in cases {
        let a = with_status(app(""), |st| {
            submitted(st, 0, true);
            st.application_state.state = S::Running;
            st.executor_state.insert("pi-exec-1".into(), before);
        });
        let live = Executor {
            name: "pi-exec-2".into(),
            id: Some(2),
            state: ExecutorState::Running,
        };
        let d = decide(&Input {
            app: &a,
            driver: found(driver),
            executors: vec![live],
            run_objects_gone: true,
            now: t(1),
            settings: &Settings::default(),
            refusal: None,
        });
        assert_eq!(
            d.status.executor_state.get("pi-exec-1"),
            Some(&after),
            "{what}"
        );
        assert_eq!(
            d.status.executor_state.get("pi-exec-2"),
            Some(&ExecutorState::Running),
            "{what}: a live executor keeps its pod's state"
        );
    }
}

#[test]
fn policy_never_fails_for_good() {
    let a = with_status(app(""), |st| {
        submitted(st, 0, true);
        st.application_state.state = S::Failing;
        st.application_state.error_message = Some("driver pod pi-driver not found".into());
        st.termination_time = Some(Time(t(5)));
    });
    let d = run(&a, Driver::NotLooked, 6);
    assert_eq!(d.status.application_state.state, S::Failed);
    assert_eq!(
        d.status.application_state.error_message.as_deref(),
        Some("driver pod pi-driver not found")
    );
    let _ = RestartPolicy {
        r#type: Some(RestartPolicyType::Never),
        ..Default::default()
    };
}

#[test]
fn terminated_applications_drop_their_budget_and_pod_group() {
    let at = |state: S, spec: &str| {
        with_status(app(spec), |st| {
            st.application_state.state = state;
            st.termination_time = Some(Time(t(100)));
        })
    };
    let clean = vec![Action::CleanUpTerminated];
    let cases: &[(&str, S, &str, Vec<Action>)] = &[
        (
            "succeeding, budget",
            S::Succeeding,
            "  driverPodDisruptionBudget: true\n",
            clean.clone(),
        ),
        (
            "completed, volcano",
            S::Completed,
            "  batchScheduler: volcano\n",
            clean.clone(),
        ),
        (
            "failed, kube-scheduler",
            S::Failed,
            "  batchScheduler: kube-scheduler\n",
            clean.clone(),
        ),
        (
            "yunikorn creates no object",
            S::Completed,
            "  batchScheduler: yunikorn\n",
            vec![],
        ),
        (
            "budget off",
            S::Completed,
            "  driverPodDisruptionBudget: false\n",
            vec![],
        ),
        ("nothing to drop", S::Succeeding, "", vec![]),
        (
            "then the time to live",
            S::Completed,
            "  driverPodDisruptionBudget: true\n  timeToLiveSeconds: 0\n",
            vec![Action::CleanUpTerminated, Action::DeleteApplication],
        ),
    ];
    for (what, state, spec, want) in cases {
        let d = run(&at(*state, spec), Driver::NotLooked, 200);
        assert_eq!(&d.actions, want, "{what}");
    }
}

fn refused(a: &SparkApplication, now: i64, reason: &str) -> Decision {
    decide(&Input {
        app: a,
        driver: Driver::NotLooked,
        executors: vec![],
        run_objects_gone: true,
        now: t(now),
        settings: &Settings::default(),
        refusal: Some(reason),
    })
}

/// Which submissions ask for admission: those kubeflow's webhook would check (creation and
/// spec changes, `suspend` included), not the restart policy's reruns or retries.
#[test]
fn submissions_of_a_spec_not_admitted_yet_need_admission() {
    let pending_rerun = |executions: i32| {
        with_status(app(""), |st| {
            submitted(st, 0, true);
            st.application_state.state = S::PendingRerun;
            st.execution_attempts = executions;
        })
    };
    let resuming = with_status(app(""), |st| {
        submitted(st, 0, true);
        st.application_state.state = S::Resuming;
    });
    let retry = with_status(
        app("  restartPolicy:\n    type: OnFailure\n    onSubmissionFailureRetries: 3\n"),
        |st| {
            submitted(st, 0, false);
            st.application_state.state = S::SubmissionFailed;
        },
    );
    let interrupted = with_status(app(""), |st| submitted(st, 0, false));
    let cases: [(&str, SparkApplication, bool); 6] = [
        ("new", app(""), true),
        ("rerun after a spec change", pending_rerun(0), true),
        ("resume", resuming, true),
        ("rerun by the restart policy", pending_rerun(1), false),
        ("retry after a submission failure", retry, false),
        ("interrupted submission", interrupted, false),
    ];
    for (name, a, want) in cases {
        let d = run(&a, Driver::NotLooked, 1000);
        assert!(
            d.actions.iter().any(|x| matches!(x, Action::Submit { .. })),
            "{name}: {:?}",
            d.actions
        );
        assert_eq!(d.needs_admission(), want, "{name}");
        // A refusal ends in FAILED only what needs admission; the rest submits as before.
        let r = refused(
            &a,
            1000,
            "exceeds ResourceQuota q in ns: cpu 2 requested, 0 of 1 used",
        );
        let state = r.status.application_state.state;
        assert_eq!(state == S::Failed, want, "{name}: {state}");
        assert_eq!(r.actions.is_empty(), want, "{name}: {:?}", r.actions);
    }
}

#[test]
fn a_refused_application_fails_with_the_reason_and_reruns_on_a_spec_change() {
    let reason = "exceeds ResourceQuota compute in ns: requests.cpu 3 requested, 9 of 10 used";
    let mut a = app("");
    let d = refused(&a, 5, reason);
    assert_eq!(d.status.application_state.state, S::Failed);
    assert_eq!(
        d.status.application_state.error_message.as_deref(),
        Some(reason)
    );
    assert!(d.actions.is_empty());
    assert_eq!(d.status.submission_id, None, "nothing was submitted");
    assert_eq!(d.status.termination_time, Some(Time(t(5))));
    let c = conditions::get(&d.status.conditions, conditions::TERMINATED).unwrap();
    assert_eq!(
        (c.reason.as_str(), c.message.as_str()),
        ("ResourceQuotaExceeded", reason)
    );
    assert!(conditions::get(&d.status.conditions, conditions::SUBMITTED).is_none());
    let t = d.transition.clone().unwrap();
    assert_eq!((t.from, t.to, t.warning), (S::New, S::Failed, true));
    assert_eq!(t.reason, "SparkApplicationFailed");
    assert_eq!(t.message, format!("FAILED: {reason}"));
    assert_eq!(d.status.observed_spec_hash, Some(spec_hash(&a.spec)));
    // Failed stays failed while the spec is the same.
    a.status = Some(d.status);
    assert_eq!(
        run(&a, Driver::NotLooked, 6).status.application_state.state,
        S::Failed
    );
    // A smaller spec reruns, and its submission asks for admission again.
    a.spec.executor.instances = Some(1);
    let d = run(&a, Driver::NotLooked, 7);
    assert_eq!(d.status.application_state.state, S::PendingRerun);
    a.status = Some(d.status);
    let d = run(&a, Driver::NotLooked, 8);
    assert_eq!(d.status.application_state.state, S::Submitted);
    assert!(d.needs_admission());
    assert_eq!(d.status.termination_time, None);
}
