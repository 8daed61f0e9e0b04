//! The batch schedulers `spec.batchScheduler` may name.

use super::SparkApplicationSpec;

/// A batch scheduler kubeflow's operator integrates with (`internal/scheduler`). Each one
/// changes what a submission creates, so an unknown name is refused rather than passed to
/// the pods as a plain scheduler name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BatchScheduler {
    /// Volcano: a `scheduling.volcano.sh/v1beta1` PodGroup, named on the pods.
    Volcano,
    /// scheduler-plugins' coscheduling: a `scheduling.x-k8s.io/v1alpha1` PodGroup, named
    /// by a pod label.
    KubeScheduler,
    /// Apache YuniKorn: gang-scheduling task groups in pod annotations, and a queue label.
    Yunikorn,
}

impl BatchScheduler {
    /// Every scheduler, in the order error messages list them.
    pub const ALL: [BatchScheduler; 3] = [
        BatchScheduler::Volcano,
        BatchScheduler::KubeScheduler,
        BatchScheduler::Yunikorn,
    ];

    /// The name `spec.batchScheduler` gives it (also the pods' `schedulerName`).
    pub fn name(self) -> &'static str {
        match self {
            BatchScheduler::Volcano => "volcano",
            BatchScheduler::KubeScheduler => "kube-scheduler",
            BatchScheduler::Yunikorn => "yunikorn",
        }
    }

    /// The scheduler called `name`.
    pub fn from_name(name: &str) -> Option<BatchScheduler> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether the scheduler needs a PodGroup object, which the operator deletes when the
    /// application terminates.
    pub fn creates_pod_group(self) -> bool {
        match self {
            BatchScheduler::Volcano | BatchScheduler::KubeScheduler => true,
            BatchScheduler::Yunikorn => false,
        }
    }
}

/// `spec.batchScheduler` names no scheduler the operator knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "expected one of {}, got {name:?}",
    BatchScheduler::ALL.map(|s| format!("{:?}", s.name())).join(", ")
)]
pub struct UnknownScheduler {
    /// The name given.
    pub name: String,
}

impl SparkApplicationSpec {
    /// The batch scheduler of the application: none when `batchScheduler` is unset or
    /// empty (kubeflow treats both as "no batch scheduling").
    pub fn scheduler(&self) -> Result<Option<BatchScheduler>, UnknownScheduler> {
        match self.batch_scheduler.as_deref() {
            None | Some("") => Ok(None),
            Some(name) => BatchScheduler::from_name(name)
                .map(Some)
                .ok_or_else(|| UnknownScheduler { name: name.into() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Case<'a> = (Option<&'a str>, Result<Option<BatchScheduler>, &'a str>);

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for s in BatchScheduler::ALL {
            assert_eq!(BatchScheduler::from_name(s.name()), Some(s));
        }
        let mut spec: SparkApplicationSpec = serde_json::from_value(serde_json::json!({
            "type": "Scala", "sparkVersion": "4.0.0", "driver": {}, "executor": {}
        }))
        .unwrap();
        let cases: &[Case] = &[
            (None, Ok(None)),
            (Some(""), Ok(None)),
            (Some("volcano"), Ok(Some(BatchScheduler::Volcano))),
            (
                Some("kube-scheduler"),
                Ok(Some(BatchScheduler::KubeScheduler)),
            ),
            (Some("yunikorn"), Ok(Some(BatchScheduler::Yunikorn))),
            (
                Some("Volcano"),
                Err(r#"expected one of "volcano", "kube-scheduler", "yunikorn", got "Volcano""#),
            ),
        ];
        for (name, want) in cases {
            spec.batch_scheduler = name.map(str::to_string);
            let got = spec.scheduler().map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_string), "{name:?}");
        }
    }
}
