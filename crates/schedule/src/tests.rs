//! Scheduled runs, case by case.

use chrono::{DateTime, Utc};
use sparkplane_api::v1beta2::{ApplicationStateType as S, ScheduleState};
use sparkplane_api::ScheduledSparkApplication;

use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn sched(extra: &str) -> ScheduledSparkApplication {
    serde_yaml_ng::from_str(&format!(
        "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\nmetadata:\n  name: nightly\n  namespace: ns\n  uid: s1\nspec:\n  schedule: \"0 3 * * *\"\n  timeZone: UTC\n  template:\n    type: Scala\n    sparkVersion: 4.0.0\n    mainClass: Pi\n    mainApplicationFile: local:///x.jar\n    driver: {{}}\n    executor: {{}}\n{extra}"
    ))
    .unwrap()
}

fn run(name: &str, state: S, created: &str) -> Run {
    Run {
        name: name.into(),
        state,
        created: at(created),
    }
}

fn created(d: &Decision) -> Vec<String> {
    d.actions
        .iter()
        .filter_map(|a| match a {
            Action::Create(app) => app.metadata.name.clone(),
            Action::Delete(_) => None,
        })
        .collect()
}

fn deleted(d: &Decision) -> Vec<String> {
    d.actions
        .iter()
        .filter_map(|a| match a {
            Action::Delete(n) => Some(n.clone()),
            Action::Create(_) => None,
        })
        .collect()
}

#[test]
fn the_first_look_schedules_the_next_run() {
    let d = decide(&sched(""), &[], at("2026-01-01T10:00:00Z"));
    assert_eq!(d.status.schedule_state, ScheduleState::Scheduled);
    assert_eq!(
        d.status.next_run.unwrap().0.to_string(),
        "2026-01-02T03:00:00Z"
    );
    assert!(d.actions.is_empty());
    assert_eq!(d.requeue_after, Some(Duration::from_secs(17 * 3600)));
}

#[test]
fn a_due_run_is_created_once_with_a_name_from_its_time() {
    let mut s = sched("");
    s.status = Some(decide(&s, &[], at("2026-01-01T10:00:00Z")).status);
    let d = decide(&s, &[], at("2026-01-02T03:00:01Z"));
    let name = format!("nightly-{}", at("2026-01-02T03:00:00Z").timestamp());
    assert_eq!(created(&d), vec![name.clone()]);
    assert_eq!(d.status.last_run_name.as_deref(), Some(name.as_str()));
    assert_eq!(
        d.status.next_run.unwrap().0.to_string(),
        "2026-01-03T03:00:00Z"
    );
    let Action::Create(app) = &d.actions[0] else {
        panic!()
    };
    assert_eq!(
        app.metadata.labels.as_ref().unwrap()["sparkoperator.k8s.io/scheduled-app-name"],
        "nightly"
    );
    assert_eq!(app.metadata.owner_references.as_ref().unwrap()[0].uid, "s1");
}

#[test]
fn concurrency_policies() {
    let due = |policy: &str| {
        let mut s = sched(&format!("  concurrencyPolicy: {policy}\n"));
        let mut st = decide(&s, &[], at("2026-01-01T10:00:00Z")).status;
        st.last_run_name = Some("nightly-1".into());
        s.status = Some(st);
        let runs = [run("nightly-1", S::Running, "2026-01-01T03:00:00Z")];
        decide(&s, &runs, at("2026-01-02T03:00:05Z"))
    };
    let allow = due("Allow");
    assert_eq!(created(&allow).len(), 1);
    assert!(deleted(&allow).is_empty());
    let forbid = due("Forbid");
    assert!(created(&forbid).is_empty());
    assert!(forbid
        .status
        .reason
        .unwrap()
        .contains("nightly-1 is still RUNNING"));
    assert_eq!(
        forbid.status.next_run.unwrap().0.to_string(),
        "2026-01-03T03:00:00Z"
    );
    let replace = due("Replace");
    assert_eq!(deleted(&replace), vec!["nightly-1".to_string()]);
    assert_eq!(created(&replace).len(), 1);
}

#[test]
fn history_keeps_the_newest_runs_up_to_the_limits() {
    let s = sched("  successfulRunHistoryLimit: 2\n  failedRunHistoryLimit: 0\n");
    let runs = [
        run("nightly-1", S::Completed, "2026-01-01T03:00:00Z"),
        run("nightly-2", S::Completed, "2026-01-02T03:00:00Z"),
        run("nightly-3", S::Completed, "2026-01-03T03:00:00Z"),
        run("nightly-4", S::Failed, "2026-01-04T03:00:00Z"),
        run("nightly-5", S::Running, "2026-01-05T03:00:00Z"),
    ];
    let d = decide(&s, &runs, at("2026-01-05T10:00:00Z"));
    assert_eq!(
        d.status.past_successful_run_names,
        ["nightly-3", "nightly-2"]
    );
    assert!(d.status.past_failed_run_names.is_empty());
    let mut gone = deleted(&d);
    gone.sort();
    assert_eq!(gone, ["nightly-1", "nightly-4"]);
}

#[test]
fn bad_schedules_and_suspension() {
    let d = decide(
        &sched("").clone_with_schedule("61 * * * *"),
        &[],
        at("2026-01-01T00:00:00Z"),
    );
    assert_eq!(d.status.schedule_state, ScheduleState::FailedValidation);
    assert!(d.status.reason.unwrap().starts_with("spec.schedule: "));
    let d = decide(&sched("  suspend: true\n"), &[], at("2026-01-01T00:00:00Z"));
    assert!(d.actions.is_empty());
    assert_eq!(d.requeue_after, None);
    assert_eq!(d.status.next_run, None);
}

trait WithSchedule {
    fn clone_with_schedule(&self, s: &str) -> Self;
}

impl WithSchedule for ScheduledSparkApplication {
    fn clone_with_schedule(&self, s: &str) -> Self {
        let mut c = self.clone();
        c.spec.schedule = s.into();
        c
    }
}
