//! What `restartPolicy` means, in both modes: whether a run that ended is followed by
//! another, and after how long. The operator's lifecycle and the local runtime's
//! application runner both decide with [`next`]; nothing else computes a retry.
//!
//! kubeflow's rules decide *whether*: `Never` never reruns; `OnFailure` reruns a failed run
//! while the runs so far do not exceed `onFailureRetries` (and a failed submission while the
//! submissions do not exceed `onSubmissionFailureRetries`); `Always` reruns after every run,
//! at once after a success. The *delay* is sparkplane's: retry *n* waits
//! `interval × 2^(n-1)`, at most a cap. kubeflow waits `interval × n`, which grows without
//! bound for an application restarted forever.

use std::time::Duration;

use crate::v1beta2::{RestartPolicy, RestartPolicyType};

/// The interval kubeflow uses when the manifest gives none and the policy is not `Never`
/// (`defaults.go`).
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(5);

/// The longest delay between two runs: the operator's `--max-retry-delay` default, and the
/// local runtime's cap.
pub const DEFAULT_MAX_RETRY_DELAY: Duration = Duration::from_secs(300);

/// The kind of restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RestartKind {
    /// Never rerun.
    Never,
    /// Rerun after failures, up to the retry counts.
    OnFailure,
    /// Rerun after every termination, successful or not.
    Always,
}

/// The retry settings of one application, with kubeflow's defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetryPolicy {
    /// The kind.
    pub kind: RestartKind,
    /// Reruns allowed after a failed run (OnFailure).
    pub on_failure_retries: u32,
    /// The base of the pause before such a rerun.
    pub on_failure_interval: Duration,
    /// Resubmissions allowed after a failed submission (OnFailure).
    pub on_submission_failure_retries: u32,
    /// The base of the pause before such a resubmission.
    pub on_submission_failure_interval: Duration,
}

impl RetryPolicy {
    /// Never rerun.
    pub fn never() -> Self {
        Self {
            kind: RestartKind::Never,
            on_failure_retries: 0,
            on_failure_interval: DEFAULT_RETRY_INTERVAL,
            on_submission_failure_retries: 0,
            on_submission_failure_interval: DEFAULT_RETRY_INTERVAL,
        }
    }

    /// The policy of a manifest's `restartPolicy`, with kubeflow's defaults: no type is
    /// `Never`, no count is 0, no interval is 5 s. Validation refuses negative values; were
    /// one to come through, a count reads as 0 and an interval as 0 s.
    pub fn of(rp: &RestartPolicy) -> Self {
        let kind = match rp.r#type {
            None | Some(RestartPolicyType::Never) => RestartKind::Never,
            Some(RestartPolicyType::OnFailure) => RestartKind::OnFailure,
            Some(RestartPolicyType::Always) => RestartKind::Always,
        };
        let interval = |v: Option<i64>| {
            v.map_or(DEFAULT_RETRY_INTERVAL, |s| {
                Duration::from_secs(u64::try_from(s).unwrap_or(0))
            })
        };
        let count = |v: Option<i32>| v.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        RetryPolicy {
            kind,
            on_failure_retries: count(rp.on_failure_retries),
            on_failure_interval: interval(rp.on_failure_retry_interval),
            on_submission_failure_retries: count(rp.on_submission_failure_retries),
            on_submission_failure_interval: interval(rp.on_submission_failure_retry_interval),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The driver finished successfully.
    Succeeded,
    /// The driver ran and failed.
    Failed,
    /// The driver could not be started at all.
    SubmissionFailed,
}

/// What follows a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Run again once this long has passed since the run ended.
    Rerun(Duration),
    /// Stop; the application's final state follows from the outcome.
    Finish,
}

/// What follows a run that ended with `outcome`, given how many runs (`execution_attempts`)
/// and submissions (`submission_attempts`) happened so far, the one that just ended
/// included; `cap` is the longest delay.
pub fn next(
    policy: &RetryPolicy,
    outcome: Outcome,
    execution_attempts: u32,
    submission_attempts: u32,
    cap: Duration,
) -> Next {
    let (retries, attempts, interval) = match (policy.kind, outcome) {
        (RestartKind::Never, _) | (RestartKind::OnFailure, Outcome::Succeeded) => {
            return Next::Finish
        }
        (RestartKind::Always, Outcome::Succeeded) => return Next::Rerun(Duration::ZERO),
        (RestartKind::Always, Outcome::Failed) => {
            (None, execution_attempts, policy.on_failure_interval)
        }
        (RestartKind::Always, Outcome::SubmissionFailed) => (
            None,
            submission_attempts,
            policy.on_submission_failure_interval,
        ),
        (RestartKind::OnFailure, Outcome::Failed) => (
            Some(policy.on_failure_retries),
            execution_attempts,
            policy.on_failure_interval,
        ),
        (RestartKind::OnFailure, Outcome::SubmissionFailed) => (
            Some(policy.on_submission_failure_retries),
            submission_attempts,
            policy.on_submission_failure_interval,
        ),
    };
    if retries.is_some_and(|n| attempts > n) {
        return Next::Finish;
    }
    Next::Rerun(retry_delay(interval, attempts, cap))
}

/// The delay before retry number `attempts` (1 for the first retry): `interval` doubled per
/// earlier retry, at most `cap`.
pub fn retry_delay(interval: Duration, attempts: u32, cap: Duration) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    interval
        .checked_mul(1u32 << doublings)
        .map_or(cap, |d| d.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(kind: RestartKind, retries: u32, sub_retries: u32) -> RetryPolicy {
        RetryPolicy {
            kind,
            on_failure_retries: retries,
            on_failure_interval: Duration::from_secs(3),
            on_submission_failure_retries: sub_retries,
            on_submission_failure_interval: Duration::from_secs(7),
        }
    }

    /// The cases of the local runtime's former table (`plan/src/retry.rs`), now with the
    /// delays of the one policy: doubling per attempt, and no wait after a success.
    #[test]
    fn decisions() {
        use Outcome::*;
        use RestartKind::*;
        let s = |n| Next::Rerun(Duration::from_secs(n));
        let cap = Duration::from_secs(60);
        let cases = [
            (policy(Never, 5, 5), Failed, 1, 1, Next::Finish),
            (policy(Never, 5, 5), Succeeded, 1, 1, Next::Finish),
            (policy(Never, 5, 5), SubmissionFailed, 0, 1, Next::Finish),
            (policy(OnFailure, 2, 0), Failed, 1, 1, s(3)),
            (policy(OnFailure, 2, 0), Failed, 2, 2, s(6)),
            (policy(OnFailure, 2, 0), Failed, 3, 3, Next::Finish),
            (policy(OnFailure, 2, 0), Succeeded, 1, 1, Next::Finish),
            (policy(OnFailure, 0, 1), SubmissionFailed, 0, 1, s(7)),
            (
                policy(OnFailure, 0, 1),
                SubmissionFailed,
                0,
                2,
                Next::Finish,
            ),
            (policy(OnFailure, 0, 0), Failed, 1, 1, Next::Finish),
            (policy(Always, 0, 0), Succeeded, 9, 9, s(0)),
            (policy(Always, 0, 0), Failed, 1, 1, s(3)),
            (policy(Always, 0, 0), Failed, 3, 3, s(12)),
            (policy(Always, 0, 0), Failed, 9, 9, s(60)),
            (policy(Always, 0, 0), SubmissionFailed, 0, 2, s(14)),
            (policy(Always, 0, 0), SubmissionFailed, 0, 9, s(60)),
        ];
        for (p, outcome, ex, sub, want) in cases {
            assert_eq!(
                next(&p, outcome, ex, sub, cap),
                want,
                "{p:?} {outcome:?} {ex} {sub}"
            );
        }
    }

    /// The operator's former table (`operator/src/lifecycle/backoff.rs`), every case kept.
    #[test]
    fn delays_double_and_stop_at_the_cap() {
        let cap = Duration::from_secs(300);
        let secs = Duration::from_secs;
        let cases = [
            (secs(5), 0, 5),
            (secs(5), 1, 5),
            (secs(5), 2, 10),
            (secs(5), 3, 20),
            (secs(5), 6, 160),
            (secs(5), 7, 300),
            (secs(5), 1000, 300),
            (secs(0), 4, 0),
            (secs(u64::MAX / 4), 40, 300),
        ];
        for (interval, attempts, want) in cases {
            assert_eq!(
                retry_delay(interval, attempts, cap),
                secs(want),
                "interval {interval:?}, attempts {attempts}"
            );
        }
    }

    /// kubeflow's defaults, and the reading of values validation refuses (the operator's
    /// former `(-3, 2) → 0 s` case).
    #[test]
    fn policies_of_manifests() {
        let rp = |v: serde_json::Value| -> RestartPolicy { serde_json::from_value(v).unwrap() };
        assert_eq!(
            RetryPolicy::of(&rp(serde_json::json!({}))),
            RetryPolicy::never()
        );
        let p = RetryPolicy::of(&rp(
            serde_json::json!({"type": "OnFailure", "onFailureRetries": 2}),
        ));
        assert_eq!(
            p,
            RetryPolicy {
                kind: RestartKind::OnFailure,
                on_failure_retries: 2,
                on_failure_interval: DEFAULT_RETRY_INTERVAL,
                on_submission_failure_retries: 0,
                on_submission_failure_interval: DEFAULT_RETRY_INTERVAL,
            }
        );
        let p = RetryPolicy::of(&rp(serde_json::json!({
            "type": "Always", "onFailureRetries": -1, "onFailureRetryInterval": -3,
            "onSubmissionFailureRetryInterval": 9
        })));
        assert_eq!(p.kind, RestartKind::Always);
        assert_eq!(p.on_failure_retries, 0);
        assert_eq!(p.on_failure_interval, Duration::ZERO);
        assert_eq!(p.on_submission_failure_interval, Duration::from_secs(9));
        assert_eq!(
            next(&p, Outcome::Failed, 2, 1, DEFAULT_MAX_RETRY_DELAY),
            Next::Rerun(Duration::ZERO)
        );
    }
}
