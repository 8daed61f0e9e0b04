//! The operator's Prometheus metrics.

use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Latency buckets from 50 ms to 6 h: start latencies at scale and retries run to hours
/// (kubeflow's 300 s top bucket hid exactly the cases worth seeing).
fn latency_buckets() -> impl Iterator<Item = f64> {
    [
        0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
        7200.0, 21600.0,
    ]
    .into_iter()
}

/// Labels of a state transition.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TransitionLabels {
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
}

/// Labels of an API call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// The verb.
    pub verb: String,
    /// The HTTP code, or `error`.
    pub code: String,
}

/// Labels of an error.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// The error's kind.
    pub kind: String,
}

/// Labels naming one object.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ObjectLabels {
    /// The object's kind.
    pub kind: String,
    /// Its namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Its name.
    pub name: String,
}

impl ObjectLabels {
    /// The labels of `kind` `namespace/name`.
    pub fn new(kind: &str, namespace: Option<String>, name: String) -> Self {
        ObjectLabels {
            kind: kind.to_string(),
            namespace: namespace.unwrap_or_default(),
            name,
        }
    }
}

/// Every metric, registered.
pub struct Metrics {
    registry: Registry,
    /// Creation of the SparkApplication → its driver objects created.
    pub submit_latency: Histogram,
    /// Creation → driver running.
    pub start_latency: Histogram,
    /// Time spent in a state before leaving it, by transition.
    pub transition_latency: Family<TransitionLabels, Histogram>,
    /// Transitions.
    pub transitions: Family<TransitionLabels, Counter>,
    /// Reconcile errors by kind.
    pub reconcile_errors: Family<KindLabels, Counter>,
    /// Consecutive failed reconciles of each object whose last reconcile failed. An object's
    /// series goes at its next successful reconcile, so only failing objects have one and
    /// the family stays as small as the set of objects in trouble.
    pub object_failures: Family<ObjectLabels, Gauge<i64, AtomicI64>>,
    /// Reconciles.
    pub reconciles: Counter,
    /// Kubernetes API calls by verb and code.
    pub api_calls: Family<CallLabels, Counter>,
    /// Submissions waiting for a submission worker.
    pub submit_queue_depth: Gauge<i64, AtomicI64>,
    /// Submissions being created.
    pub submissions_in_flight: Gauge<i64, AtomicI64>,
    /// Applications invalid at the API (a status names the field).
    pub invalid_applications: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sparkplane");
        let submit_latency = Histogram::new(latency_buckets());
        let start_latency = Histogram::new(latency_buckets());
        let transition_latency =
            Family::<TransitionLabels, Histogram>::new_with_constructor(|| {
                Histogram::new(latency_buckets())
            });
        let m = Metrics {
            submit_latency,
            start_latency,
            transition_latency,
            transitions: Family::default(),
            reconcile_errors: Family::default(),
            object_failures: Family::default(),
            reconciles: Counter::default(),
            api_calls: Family::default(),
            submit_queue_depth: Gauge::default(),
            submissions_in_flight: Gauge::default(),
            invalid_applications: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "application_submit_latency_seconds",
            "Time from a SparkApplication's creation to its driver objects being created",
            m.submit_latency.clone(),
        );
        registry.register(
            "application_start_latency_seconds",
            "Time from a SparkApplication's creation to its driver running",
            m.start_latency.clone(),
        );
        registry.register(
            "application_transition_latency_seconds",
            "Time spent in a state before a transition, by transition",
            m.transition_latency.clone(),
        );
        registry.register(
            "application_transitions",
            "State transitions of SparkApplications",
            m.transitions.clone(),
        );
        registry.register(
            "reconcile_errors",
            "Reconcile errors by kind",
            m.reconcile_errors.clone(),
        );
        registry.register(
            "object_reconcile_failures",
            "Consecutive failed reconciles of each object now failing",
            m.object_failures.clone(),
        );
        registry.register("reconciles", "Reconciles run", m.reconciles.clone());
        registry.register(
            "kube_api_calls",
            "Kubernetes API calls by verb and response code",
            m.api_calls.clone(),
        );
        registry.register(
            "submit_queue_depth",
            "Submissions waiting for a submission worker",
            m.submit_queue_depth.clone(),
        );
        registry.register(
            "submissions_in_flight",
            "Submissions whose objects are being created",
            m.submissions_in_flight.clone(),
        );
        registry.register(
            "invalid_applications",
            "SparkApplications found invalid (their status names the field)",
            m.invalid_applications.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Counts an API call.
    pub fn api_call(&self, verb: &str, code: &str) {
        self.api_calls
            .get_or_create(&CallLabels {
                verb: verb.into(),
                code: code.into(),
            })
            .inc();
    }

    /// Counts a reconcile error.
    pub fn error(&self, kind: &str) {
        self.reconcile_errors
            .get_or_create(&KindLabels { kind: kind.into() })
            .inc();
    }

    /// Counts a failed reconcile of `object`; returns how many failed in a row.
    pub fn object_failed(&self, object: &ObjectLabels) -> i64 {
        // `inc` returns the value before.
        self.object_failures.get_or_create(object).inc() + 1
    }

    /// Clears `object`'s failures after a successful reconcile.
    pub fn object_reconciled(&self, object: &ObjectLabels) {
        self.object_failures.remove(object);
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Failures count per object, in a row, and an object's series goes when it
    /// reconciles again.
    #[test]
    fn failures_are_counted_per_object_until_it_reconciles() {
        let m = Metrics::new();
        let a = ObjectLabels::new("SparkApplication", Some("jobs".into()), "a".into());
        let b = ObjectLabels::new("SparkApplication", Some("jobs".into()), "b".into());
        assert_eq!(m.object_failed(&a), 1);
        assert_eq!(m.object_failed(&a), 2);
        assert_eq!(m.object_failed(&b), 1);
        let text = m.encode();
        let series = |name: &str, n: i64| {
            format!(
                "sparkplane_object_reconcile_failures{{kind=\"SparkApplication\",namespace=\"jobs\",name=\"{name}\"}} {n}"
            )
        };
        assert!(text.contains(&series("a", 2)), "{text}");
        assert!(text.contains(&series("b", 1)), "{text}");
        m.object_reconciled(&a);
        let text = m.encode();
        assert!(!text.contains("name=\"a\""), "{text}");
        assert!(text.contains(&series("b", 1)), "{text}");
        // A new failure of `a` starts from one again.
        assert_eq!(m.object_failed(&a), 1);
    }
}
