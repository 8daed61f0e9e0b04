//! ResourceQuota enforcement (kubeflow's `--enable-resource-quota-enforcement`) as a pure
//! check: would an application's pods, added to what each ResourceQuota of its namespace
//! has used, go over the quota's hard limit?
//!
//! kubeflow's admission webhook denies such an application when it is created or its spec
//! changes (`internal/webhook/resourcequota.go`). sparkplane has no webhook: the shell runs
//! this before a submission the lifecycle marks as needing admission, and a refused
//! application ends `FAILED` instead.
//!
//! The application's usage is the driver and the initial executors as the PodGroups of
//! batch schedulers reserve them ([`requests::reserved`]): memory with Spark's overhead,
//! CPU as the pods request it. It counts under the names kubeflow fills in:
//! - `cpu`, `requests.cpu`: the CPU requests;
//! - `limits.cpu`: the limit cores, else the CPU request ([`requests::cpu_limits`]);
//! - `memory`, `requests.memory`, `limits.memory`: the memory, as Spark sets the memory limit
//!   to the request.
//!
//! Other resources a quota tracks (`pods`, `count/...`, storage) are not checked, as kubeflow
//! does not check them: the API server still enforces them on each pod.
//!
//! As in kubeflow, a quota with `scopes` or a `scopeSelector` is skipped (whether it applies
//! depends on each pod). Unlike kubeflow, which checks only the resources `status.hard`
//! lists, every resource of `spec.hard` is checked, with `status.used` taken as zero where
//! the quota controller has not filled it in yet: a quota just created still refuses an
//! application larger than itself.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceQuota;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as KubeQuantity;
use sparkplane_api::SparkApplication;

use sparkplane_render::batch::quantity::{NotAQuantity, Quantity};
use sparkplane_render::batch::requests::{self, Resources};
use sparkplane_render::RenderError;

/// The first ResourceQuota an application would exceed, and by how much.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "exceeds ResourceQuota {quota} in {namespace}: {resource} {requested} requested, {used} of {hard} used"
)]
pub struct Exceeded {
    /// The quota's name.
    pub quota: String,
    /// Its namespace.
    pub namespace: String,
    /// The resource (`requests.cpu`, `limits.memory`).
    pub resource: String,
    /// What the application's pods would take.
    pub requested: Quantity,
    /// What the quota has used already (`status.used`).
    pub used: Quantity,
    /// The quota's limit (`spec.hard`).
    pub hard: Quantity,
}

/// Why an application does not pass the check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    /// It would exceed a quota (boxed: the amounts make it the largest variant by far).
    #[error(transparent)]
    Exceeded(Box<Exceeded>),
    /// Its usage cannot be worked out: a setting Spark would refuse, named by its field.
    #[error("resource usage cannot be worked out: {0}")]
    Usage(RenderError),
    /// A quota holds a value that is not a quantity (the API server validates them, so only
    /// a broken server sends one).
    #[error("ResourceQuota {quota}: {field}: {source}")]
    Unreadable {
        /// The quota's name.
        quota: String,
        /// `spec.hard[cpu]`, `status.used[cpu]`.
        field: String,
        /// The value.
        source: NotAQuantity,
    },
}

/// What the application's pods take, under each resource name a quota may track.
pub fn usage(app: &SparkApplication) -> Result<Resources, RenderError> {
    let mut usage = Resources::new();
    for (name, q) in requests::reserved(&app.spec)? {
        let names: &[&str] = match name.as_str() {
            "cpu" => &["cpu", "requests.cpu"],
            "memory" => &["memory", "requests.memory", "limits.memory"],
            // `reserved` names no other resource; anything new is not a quota's concern.
            _ => &[],
        };
        for n in names {
            usage.insert((*n).to_string(), q);
        }
    }
    usage.insert("limits.cpu".into(), requests::cpu_limits(&app.spec)?);
    Ok(usage)
}

/// Checks `app` against its namespace's `quotas`, in their order: `Ok` when it fits them
/// all, else the first quota and resource it would exceed.
pub fn check(app: &SparkApplication, quotas: &[ResourceQuota]) -> Result<(), QuotaError> {
    let usage = usage(app).map_err(QuotaError::Usage)?;
    for quota in quotas {
        check_one(&usage, quota)?;
    }
    Ok(())
}

fn check_one(usage: &Resources, quota: &ResourceQuota) -> Result<(), QuotaError> {
    let name = quota.metadata.name.clone().unwrap_or_default();
    let Some(spec) = &quota.spec else {
        return Ok(());
    };
    let scoped =
        spec.scope_selector.is_some() || spec.scopes.as_ref().is_some_and(|s| !s.is_empty());
    if scoped {
        return Ok(());
    }
    let no_hard = BTreeMap::new();
    let hard = spec.hard.as_ref().unwrap_or(&no_hard);
    let used = quota
        .status
        .as_ref()
        .and_then(|s| s.used.as_ref())
        .unwrap_or(&no_hard);
    let read = |field: &str, resource: &str, q: &KubeQuantity| {
        Quantity::parse(&q.0).map_err(|source| QuotaError::Unreadable {
            quota: name.clone(),
            field: format!("{field}[{resource}]"),
            source,
        })
    };
    for (resource, requested) in usage {
        let Some(limit) = hard.get(resource) else {
            continue;
        };
        let limit = read("spec.hard", resource, limit)?;
        let already = match used.get(resource) {
            Some(u) => read("status.used", resource, u)?,
            None => Quantity::from_int(0),
        };
        let mut total = *requested;
        total.add(already);
        if total.cmp_value(&limit) == Ordering::Greater {
            return Err(QuotaError::Exceeded(Box::new(Exceeded {
                quota: name,
                namespace: quota.metadata.namespace.clone().unwrap_or_default(),
                resource: resource.clone(),
                requested: *requested,
                used: already,
                hard: limit,
            })));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// kubeflow's validator test application (`newSparkApplication`): a Scala driver and
    /// one executor, each one core and `1g`. Each pod requests 1024 + 384 MiB = 1408 MiB;
    /// the application 2 CPU and 2816 MiB.
    fn app(extra: serde_json::Value) -> SparkApplication {
        let mut v = json!({
            "apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": "test-app", "namespace": "default"},
            "spec": {"type": "Scala", "sparkVersion": "3.5.0", "mode": "cluster",
                     "mainApplicationFile": "local:///app.py",
                     "driver": {"cores": 1, "memory": "1g"},
                     "executor": {"cores": 1, "memory": "1g", "instances": 1}}});
        sparkplane_kube_double::merge_patch(&mut v, &json!({ "spec": extra }));
        serde_json::from_value(v).unwrap()
    }

    /// A quota named `name` in `default` with `spec.hard` and `status.used`.
    fn quota(name: &str, hard: serde_json::Value, used: serde_json::Value) -> ResourceQuota {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"hard": hard},
            "status": {"hard": hard, "used": used}}))
        .unwrap()
    }

    fn exceeded(quota: &str, resource: &str, requested: &str, used: &str, hard: &str) -> String {
        format!(
            "exceeds ResourceQuota {quota} in default: {resource} {requested} requested, {used} of {hard} used"
        )
    }

    #[test]
    fn usage_under_each_quota_name() {
        let got: BTreeMap<String, String> = usage(&app(json!({})))
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect();
        let want: BTreeMap<String, String> = [
            ("cpu", "2"),
            ("limits.cpu", "2"),
            ("limits.memory", "2816Mi"),
            ("memory", "2816Mi"),
            ("requests.cpu", "2"),
            ("requests.memory", "2816Mi"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    /// (case, application changes, quotas, `None` when it fits or the refusal's text).
    type Case = (
        &'static str,
        serde_json::Value,
        Vec<ResourceQuota>,
        Option<String>,
    );

    #[test]
    fn fits_or_names_the_first_quota_exceeded() {
        let cases: Vec<Case> = vec![
            (
                // kubeflow's ResourceQuotaSatisfied: 2 + 0 ≤ 20 for each
                "kubeflow: ample",
                json!({}),
                vec![quota(
                    "ample",
                    json!({"cpu": "20", "requests.cpu": "20", "limits.cpu": "20"}),
                    json!({"cpu": "0", "requests.cpu": "0", "limits.cpu": "0"}),
                )],
                None,
            ),
            (
                // kubeflow's update with a spec change: 2 + 1 ≤ 20
                "kubeflow: ample, some used",
                json!({"arguments": ["--foo"]}),
                vec![quota(
                    "ample",
                    json!({"cpu": "20", "requests.cpu": "20", "limits.cpu": "20"}),
                    json!({"cpu": "1", "requests.cpu": "1", "limits.cpu": "1"}),
                )],
                None,
            ),
            (
                // kubeflow's ResourceQuotaExceeded: limits.cpu 2 + 0 > 1
                "kubeflow: strict",
                json!({}),
                vec![quota(
                    "strict",
                    json!({"limits.cpu": "1"}),
                    json!({"limits.cpu": "0"}),
                )],
                Some(exceeded("strict", "limits.cpu", "2", "0", "1")),
            ),
            (
                // 2 + 8 = 10: exactly the limit fits
                "up to the limit",
                json!({}),
                vec![quota(
                    "compute",
                    json!({"requests.cpu": "10"}),
                    json!({"requests.cpu": "8"}),
                )],
                None,
            ),
            (
                // driver 1 + 2 executors × 1 = 3; 3 + 9 > 10
                "one core over",
                json!({"executor": {"instances": 2}}),
                vec![quota(
                    "compute",
                    json!({"requests.cpu": "10"}),
                    json!({"requests.cpu": "9"}),
                )],
                Some(exceeded("compute", "requests.cpu", "3", "9", "10")),
            ),
            (
                // 2816 + 256 = 3072 MiB = 3 GiB fits; 2816 + 257 does not
                "memory to the MiB",
                json!({}),
                vec![quota(
                    "mem",
                    json!({"memory": "3Gi"}),
                    json!({"memory": "256Mi"}),
                )],
                None,
            ),
            (
                "memory one MiB over",
                json!({}),
                vec![quota(
                    "mem",
                    json!({"memory": "3Gi"}),
                    json!({"memory": "257Mi"}),
                )],
                Some(exceeded("mem", "memory", "2816Mi", "257Mi", "3Gi")),
            ),
            (
                // 2816 MiB = 2,952,790,016 bytes ≤ 3G = 3,000,000,000; + 50M = 3,002,790,016
                // bytes does not fit
                "decimal units against binary ones",
                json!({}),
                vec![
                    quota("a", json!({"requests.memory": "3G"}), json!({})),
                    quota(
                        "b",
                        json!({"limits.memory": "3G"}),
                        json!({"limits.memory": "50M"}),
                    ),
                ],
                Some(exceeded("b", "limits.memory", "2816Mi", "50M", "3G")),
            ),
            (
                // Spark's overhead counts: Scala 2 × (2048 + 384) = 4864 MiB ≤ 5 GiB = 5120
                "the memory overhead counts: Scala",
                json!({"driver": {"memory": "2g"}, "executor": {"memory": "2g"}}),
                vec![quota("mem", json!({"requests.memory": "5Gi"}), json!({}))],
                None,
            ),
            (
                // Python's factor 0.4: 2 × (2048 + 819.2, floored) = 2 × 2867 = 5734 MiB
                "the memory overhead counts: Python",
                json!({"type": "Python", "driver": {"memory": "2g"},
                       "executor": {"memory": "2g"}}),
                vec![quota("mem", json!({"requests.memory": "5Gi"}), json!({}))],
                Some(exceeded("mem", "requests.memory", "5734Mi", "0", "5Gi")),
            ),
            (
                // the request counts, not the cores: 0.5 + 0.5 ≤ 1
                "core requests",
                json!({"driver": {"coreRequest": "500m"}, "executor": {"coreRequest": "500m"}}),
                vec![quota("compute", json!({"cpu": "1"}), json!({}))],
                None,
            ),
            (
                // pods and object counts are the API server's to enforce
                "untracked resources",
                json!({}),
                vec![quota(
                    "objects",
                    json!({"pods": "1", "count/secrets": "0"}),
                    json!({"pods": "1", "count/secrets": "0"}),
                )],
                None,
            ),
            (
                // the first quota in the list order that is exceeded, and within it the
                // first resource by name (cpu before memory)
                "the first quota and resource",
                json!({}),
                vec![
                    quota("big", json!({"cpu": "100"}), json!({})),
                    quota("small-1", json!({"cpu": "1", "memory": "1Gi"}), json!({})),
                    quota("small-2", json!({"cpu": "1"}), json!({})),
                ],
                Some(exceeded("small-1", "cpu", "2", "0", "1")),
            ),
        ];
        for (name, extra, quotas, want) in cases {
            let got = check(&app(extra), &quotas).map_err(|e| e.to_string()).err();
            assert_eq!(got, want, "{name}");
        }
    }

    /// Skipped as kubeflow skips them: scoped quotas apply to some pods only.
    #[test]
    fn scoped_quotas_are_skipped() {
        let scoped: Vec<ResourceQuota> = [
            json!({"hard": {"cpu": "0"}, "scopes": ["NotBestEffort"]}),
            json!({"hard": {"cpu": "0"},
                   "scopeSelector": {"matchExpressions": [
                       {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}}),
        ]
        .into_iter()
        .map(|spec| {
            serde_json::from_value(json!({"metadata": {"name": "s"}, "spec": spec})).unwrap()
        })
        .collect();
        assert_eq!(check(&app(json!({})), &scoped), Ok(()));
        // Without the scope the same quota refuses.
        let plain = quota("s", json!({"cpu": "0"}), json!({}));
        assert!(check(&app(json!({})), &[plain]).is_err());
    }

    /// `spec.hard` decides, with nothing used until the quota controller says otherwise.
    #[test]
    fn spec_hard_counts_before_the_status_is_filled_in() {
        let fresh: ResourceQuota = serde_json::from_value(json!({
            "metadata": {"name": "fresh", "namespace": "default"},
            "spec": {"hard": {"requests.cpu": "1"}}}))
        .unwrap();
        assert_eq!(
            check(&app(json!({})), &[fresh]).map_err(|e| e.to_string()),
            Err(exceeded("fresh", "requests.cpu", "2", "0", "1"))
        );
        // A resource in status.hard only is no longer (or not yet) a limit.
        let stale: ResourceQuota = serde_json::from_value(json!({
            "metadata": {"name": "stale"},
            "spec": {"hard": {}},
            "status": {"hard": {"cpu": "1"}, "used": {"cpu": "1"}}}))
        .unwrap();
        assert_eq!(check(&app(json!({})), &[stale]), Ok(()));
        assert_eq!(check(&app(json!({})), &[]), Ok(()));
    }

    #[test]
    fn what_cannot_be_read_is_an_error_naming_it() {
        let broken = quota("broken", json!({"cpu": "lots"}), json!({}));
        match check(&app(json!({})), &[broken]) {
            Err(QuotaError::Unreadable { quota, field, .. }) => {
                assert_eq!(
                    (quota.as_str(), field.as_str()),
                    ("broken", "spec.hard[cpu]")
                );
            }
            other => panic!("{other:?}"),
        }
        let any = quota("q", json!({"cpu": "10"}), json!({}));
        match check(&app(json!({"driver": {"memory": "1Gi"}})), &[any]) {
            Err(QuotaError::Usage(e)) => assert_eq!(e.path, "spec.driver.memory"),
            other => panic!("{other:?}"),
        }
    }
}
