//! restartPolicy as the kubeflow operator documents it: what happens after an attempt ends.

use std::time::Duration;

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

/// The retry settings of one application (defaults applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetryPolicy {
    /// The kind.
    pub kind: RestartKind,
    /// Reruns allowed after a failed run (OnFailure).
    pub on_failure_retries: u32,
    /// Pause before such a rerun.
    pub on_failure_interval: Duration,
    /// Resubmissions allowed after a failed submission (OnFailure).
    pub on_submission_failure_retries: u32,
    /// Pause before such a resubmission.
    pub on_submission_failure_interval: Duration,
}

/// Interval the kubeflow operator uses when the manifest gives none and the policy is not Never.
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(5);

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
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The driver exited with status 0.
    Succeeded,
    /// The driver ran and failed.
    Failed,
    /// The driver could not be started at all.
    SubmissionFailed,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Run again after the pause.
    Rerun(Duration),
    /// Stop; the application's final state follows from the outcome.
    Finish,
}

/// Decides what follows an attempt, given how many runs (`execution_attempts`) and
/// submissions (`submission_attempts`) happened so far, including the one that just ended.
/// Mirrors kubeflow's rule: OnFailure reruns while attempts <= retries.
pub fn next(
    policy: &RetryPolicy,
    outcome: Outcome,
    execution_attempts: u32,
    submission_attempts: u32,
) -> Next {
    match (policy.kind, outcome) {
        (RestartKind::Never, _) => Next::Finish,
        (RestartKind::Always, Outcome::SubmissionFailed) => {
            Next::Rerun(policy.on_submission_failure_interval)
        }
        (RestartKind::Always, Outcome::Succeeded | Outcome::Failed) => {
            Next::Rerun(policy.on_failure_interval)
        }
        (RestartKind::OnFailure, Outcome::Succeeded) => Next::Finish,
        (RestartKind::OnFailure, Outcome::Failed) => {
            if execution_attempts <= policy.on_failure_retries {
                Next::Rerun(policy.on_failure_interval)
            } else {
                Next::Finish
            }
        }
        (RestartKind::OnFailure, Outcome::SubmissionFailed) => {
            if submission_attempts <= policy.on_submission_failure_retries {
                Next::Rerun(policy.on_submission_failure_interval)
            } else {
                Next::Finish
            }
        }
    }
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

    #[test]
    fn decisions() {
        use Outcome::*;
        use RestartKind::*;
        let s3 = Next::Rerun(Duration::from_secs(3));
        let s7 = Next::Rerun(Duration::from_secs(7));
        let cases = [
            (policy(Never, 5, 5), Failed, 1, 1, Next::Finish),
            (policy(Never, 5, 5), Succeeded, 1, 1, Next::Finish),
            (policy(OnFailure, 2, 0), Failed, 1, 1, s3),
            (policy(OnFailure, 2, 0), Failed, 2, 2, s3),
            (policy(OnFailure, 2, 0), Failed, 3, 3, Next::Finish),
            (policy(OnFailure, 2, 0), Succeeded, 1, 1, Next::Finish),
            (policy(OnFailure, 0, 1), SubmissionFailed, 0, 1, s7),
            (
                policy(OnFailure, 0, 1),
                SubmissionFailed,
                0,
                2,
                Next::Finish,
            ),
            (policy(Always, 0, 0), Succeeded, 9, 9, s3),
            (policy(Always, 0, 0), Failed, 9, 9, s3),
            (policy(Always, 0, 0), SubmissionFailed, 0, 9, s7),
        ];
        for (p, outcome, ex, sub, want) in cases {
            assert_eq!(
                next(&p, outcome, ex, sub),
                want,
                "{p:?} {outcome:?} {ex} {sub}"
            );
        }
    }
}
