//! What kubeflow's PodGroups reserve (`GetDriverRequestResource`,
//! `GetExecutorRequestResource`, `GetInitialExecutorNumber` of `pkg/util`), computed the
//! way kubeflow computes it, on the spec its defaulting webhook (`defaults.go`) fills in.
//!
//! kubeflow reads `memory` and `memoryOverhead` here as Kubernetes quantities, not as
//! Spark sizes: `512m` is 0.512 bytes and `1g` is no quantity at all (left out). The
//! overhead is added only when set; no overhead factor applies. This is reproduced so that
//! a PodGroup is the one kubeflow would create; `batchSchedulerOptions.resources` is how an
//! application reserves real amounts.

use std::collections::BTreeMap;

use sparkplane_api::v1beta2::SparkApplicationSpec;

use super::quantity::Quantity;

/// Resource name → amount (Go's `corev1.ResourceList`).
pub type Resources = BTreeMap<String, Quantity>;

/// `spec` with kubeflow's defaults: one core and `1g` for the driver and executors unless
/// sparkConf sets them, and one executor unless sparkConf or dynamic allocation decide.
pub fn defaulted(spec: &SparkApplicationSpec) -> SparkApplicationSpec {
    let mut s = spec.clone();
    let conf = &spec.spark_conf;
    if s.driver.cores.is_none() && !conf.contains_key("spark.driver.cores") {
        s.driver.cores = Some(1);
    }
    if s.driver.memory.is_none() && !conf.contains_key("spark.driver.memory") {
        s.driver.memory = Some("1g".into());
    }
    if s.executor.cores.is_none() && !conf.contains_key("spark.executor.cores") {
        s.executor.cores = Some(1);
    }
    if s.executor.memory.is_none() && !conf.contains_key("spark.executor.memory") {
        s.executor.memory = Some("1g".into());
    }
    // defaults.go reads the conf key in lower case, so only the spec field counts there.
    let dynamic = match &s.dynamic_allocation {
        Some(d) => d.enabled,
        None => conf
            .get("spark.dynamicallocation.enabled")
            .is_some_and(|v| parse_go_bool(v)),
    };
    let conf_instances = conf
        .get("spark.executor.instances")
        .is_some_and(|v| !v.is_empty());
    if s.executor.instances.is_none() && !conf_instances && !dynamic {
        s.executor.instances = Some(1);
    }
    s
}

/// Go's `strconv.ParseBool` truth values.
fn parse_go_bool(v: &str) -> bool {
    matches!(v, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// The executors the driver asks for at start: with dynamic allocation the largest of
/// `instances`, `initialExecutors` and `minExecutors`; otherwise `instances`, or 2.
pub fn initial_executors(spec: &SparkApplicationSpec) -> i32 {
    match spec.dynamic_allocation.as_ref().filter(|d| d.enabled) {
        Some(d) => [
            spec.executor.instances,
            d.initial_executors,
            d.min_executors,
        ]
        .into_iter()
        .flatten()
        .fold(0, i32::max),
        None => spec.executor.instances.unwrap_or(2),
    }
}

/// Sums resource lists name by name.
pub fn sum<'a>(lists: impl IntoIterator<Item = &'a Resources>) -> Resources {
    let mut total = Resources::new();
    for list in lists {
        for (name, q) in list {
            total
                .entry(name.clone())
                .or_insert_with(|| Quantity::from_int(0))
                .add(*q);
        }
    }
    total
}

/// CPU from the first of `cpus` that is a quantity; memory plus, when both are
/// quantities, the overhead. What is not a quantity is left out, as kubeflow leaves it.
fn pod(cpus: &[Option<Quantity>], memory: Option<&String>, overhead: Option<&String>) -> Resources {
    let mut r = Resources::new();
    if let Some(cpu) = cpus.iter().flatten().next() {
        r.insert("cpu".into(), *cpu);
    }
    if let Some(mut m) = memory.and_then(|m| Quantity::parse(m).ok()) {
        if let Some(o) = overhead.and_then(|o| Quantity::parse(o).ok()) {
            m.add(o);
        }
        r.insert("memory".into(), m);
    }
    r
}

fn parsed(s: Option<&String>) -> Option<Quantity> {
    s.and_then(|s| Quantity::parse(s).ok())
}

/// The driver's request: `cores`, else `coreLimit` (kubeflow ignores `coreRequest` here).
pub fn driver(spec: &SparkApplicationSpec) -> Resources {
    let d = &spec.driver;
    pod(
        &[
            d.cores.map(|c| Quantity::from_int(c.into())),
            parsed(d.core_limit.as_ref()),
        ],
        d.memory.as_ref(),
        d.memory_overhead.as_ref(),
    )
}

/// All initial executors' requests: `coreRequest`, else `cores`, else `coreLimit`.
pub fn executors(spec: &SparkApplicationSpec) -> Resources {
    let e = &spec.executor;
    let one = pod(
        &[
            parsed(e.core_request.as_ref()),
            e.cores.map(|c| Quantity::from_int(c.into())),
            parsed(e.core_limit.as_ref()),
        ],
        e.memory.as_ref(),
        e.memory_overhead.as_ref(),
    );
    let n = usize::try_from(initial_executors(spec)).unwrap_or(0);
    sum(std::iter::repeat_n(&one, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(extra: serde_json::Value) -> SparkApplicationSpec {
        let mut v = json!({"type": "Scala", "sparkVersion": "4.0.0", "driver": {}, "executor": {}});
        sparkplane_kube_double::merge_patch(&mut v, &extra);
        serde_json::from_value(v).unwrap()
    }

    fn text(r: &Resources) -> BTreeMap<String, String> {
        r.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
    }

    type Case<'a> = (&'a str, serde_json::Value, &'a [(&'a str, &'a str)]);

    /// The sums kubeflow's PodGroups carry for the same specs (its kubescheduler test
    /// application, its volcano example, its defaults).
    #[test]
    fn driver_plus_executors_as_kubeflow_sums_them() {
        let cases: &[Case] = &[
            (
                "kubescheduler test app",
                json!({"driver": {"cores": 1, "memory": "1Gi", "memoryOverhead": "256Mi"},
                       "executor": {"instances": 2, "cores": 1, "memory": "2Gi", "memoryOverhead": "512Mi"}}),
                &[("cpu", "3"), ("memory", "6400Mi")],
            ),
            (
                "spark-pi-volcano: 512m is read as 0.512 bytes",
                json!({"driver": {"cores": 1, "memory": "512m"},
                       "executor": {"instances": 2, "cores": 1, "memory": "512m"}}),
                &[("cpu", "3"), ("memory", "1536m")],
            ),
            (
                "defaults: 1g is not a quantity, two cores",
                json!({}),
                &[("cpu", "2")],
            ),
            (
                "core request and limit",
                json!({"driver": {"coreLimit": "1200m", "coreRequest": "5"},
                       "sparkConf": {"spark.driver.cores": "2"},
                       "executor": {"instances": 3, "coreRequest": "500m", "coreLimit": "2"}}),
                &[("cpu", "2700m")],
            ),
            (
                "dynamic allocation starts at the largest",
                json!({"executor": {"instances": 1, "cores": 2},
                       "dynamicAllocation": {"enabled": true, "initialExecutors": 4, "minExecutors": 3}}),
                &[("cpu", "9")],
            ),
            (
                "no executors at start",
                json!({"executor": {"cores": 2},
                       "dynamicAllocation": {"enabled": true}}),
                &[("cpu", "1")],
            ),
            (
                "instances from sparkConf: kubeflow counts two",
                json!({"sparkConf": {"spark.executor.instances": "5"}}),
                &[("cpu", "3")],
            ),
        ];
        for (name, extra, want) in cases {
            let s = defaulted(&spec(extra.clone()));
            let got = text(&sum([&driver(&s), &executors(&s)]));
            let want: BTreeMap<String, String> = want
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }
}
