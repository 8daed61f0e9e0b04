//! What a worker offers Spark, derived from what Kubernetes grants its container, and the
//! container resources of a manifest that gives only Spark's numbers.
//!
//! A worker container holds the worker daemon (a JVM with heap `daemonMemory`) and the
//! executors it launches. Of the container's memory, the daemon's heap and a JVM overhead
//! (`max(384 MiB, 10 % of the container)`, Spark's own overhead rule for Kubernetes pods)
//! are kept back; the rest is what the worker offers executors (`SPARK_WORKER_MEMORY`). The
//! cores it offers (`SPARK_WORKER_CORES`) are the whole cores of the container's CPU. Both
//! come from one place, [`offered`], whether the manifest gives the container's resources or
//! only Spark's numbers, so Spark's master shows exactly what Kubernetes grants.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use sparkplane_api::quantity::{
    parse_cpu_quantity, parse_kubernetes_quantity, parse_spark_memory_mib,
};

use crate::Refusal;

/// Smallest JVM overhead kept back in a worker container, in MiB.
pub const MIN_OVERHEAD_MIB: u64 = 384;
/// Default heap of a worker daemon, in MiB (Spark's `512m`).
pub const DEFAULT_DAEMON_MIB: u64 = 512;

/// What one worker offers Spark and what its container is granted.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerSize {
    /// `SPARK_WORKER_CORES`.
    pub cores: u64,
    /// `SPARK_WORKER_MEMORY`, in MiB.
    pub memory_mib: u64,
    /// The worker daemon's heap (`SPARK_DAEMON_MEMORY`), in MiB.
    pub daemon_mib: u64,
    /// The container's resources.
    pub resources: ResourceRequirements,
}

/// The JVM overhead kept back in a container of `total` MiB.
pub fn overhead_mib(total: u64) -> u64 {
    (total / 10).max(MIN_OVERHEAD_MIB)
}

/// Cores and MiB a worker offers in a container of `millicores` CPU and `total_mib` memory
/// with a daemon heap of `daemon_mib`; `None` when nothing would be left.
pub fn offered(millicores: u64, total_mib: u64, daemon_mib: u64) -> Option<(u64, u64)> {
    let cores = millicores / 1000;
    let memory = total_mib.checked_sub(daemon_mib + overhead_mib(total_mib))?;
    (cores >= 1 && memory >= 1).then_some((cores, memory))
}

/// The smallest container memory, in MiB, in which a worker offers `memory_mib`.
pub fn container_mib(memory_mib: u64, daemon_mib: u64) -> u64 {
    let base = memory_mib + daemon_mib;
    // Start at the overhead's floor, then below the exact bound of the 10 % rule, and step
    // up to the first size that leaves enough.
    let mut total = (base + MIN_OVERHEAD_MIB).max(base * 10 / 9);
    while total - overhead_mib(total) < base {
        total += 1;
    }
    total
}

/// The size of each worker of a cluster: from `resources` when the manifest gives them (the
/// limit, else the request, of each of CPU and memory), else from `cores` and `memory`.
pub fn worker_size(
    resources: Option<&ResourceRequirements>,
    cores: i32,
    memory: &str,
    daemon_memory: Option<&str>,
) -> Result<WorkerSize, Vec<Refusal>> {
    let steps = Steps {
        resources,
        cores,
        memory,
        daemon_memory,
    };
    let daemon_mib = steps.daemon()?;
    let (millicores, cpu_path) = steps.cpu()?;
    let (total_mib, memory_path) = steps.memory(daemon_mib)?;
    let Some((cores, memory_mib)) = offered(millicores, total_mib, daemon_mib) else {
        let mut refusals = Vec::new();
        if millicores < 1000 {
            refusals.push(Refusal::new(
                cpu_path,
                format!("expected at least 1 whole core for a Spark worker, got {millicores}m"),
            ));
        }
        let need = daemon_mib + MIN_OVERHEAD_MIB + 1;
        if total_mib < container_mib(1, daemon_mib) {
            refusals.push(Refusal::new(
                memory_path,
                format!(
                    "expected more than {need}Mi (the worker daemon's heap of {daemon_mib}Mi \
                     and at least {MIN_OVERHEAD_MIB}Mi of JVM overhead), got {total_mib}Mi"
                ),
            ));
        }
        return Err(refusals);
    };
    let resources = match resources {
        Some(r) => r.clone(),
        None => granted(millicores, total_mib),
    };
    Ok(WorkerSize {
        cores,
        memory_mib,
        daemon_mib,
        resources,
    })
}

struct Steps<'a> {
    resources: Option<&'a ResourceRequirements>,
    cores: i32,
    memory: &'a str,
    daemon_memory: Option<&'a str>,
}

impl Steps<'_> {
    /// The limit, else the request, of `resource`, with its field path.
    fn given(&self, resource: &str) -> Option<(String, &Quantity)> {
        let r = self.resources?;
        for (kind, map) in [("limits", &r.limits), ("requests", &r.requests)] {
            if let Some(q) = map.as_ref().and_then(|m| m.get(resource)) {
                return Some((format!("spec.workers.resources.{kind}.{resource}"), q));
            }
        }
        None
    }

    fn daemon(&self) -> Result<u64, Vec<Refusal>> {
        match self.daemon_memory {
            None => Ok(DEFAULT_DAEMON_MIB),
            Some(d) => parse_spark_memory_mib(d)
                .map_err(|e| vec![Refusal::new("spec.workers.daemonMemory", e)]),
        }
    }

    fn cpu(&self) -> Result<(u64, String), Vec<Refusal>> {
        match self.given("cpu") {
            Some((path, q)) => parse_cpu_quantity(&q.0)
                .map(|m| (m, path.clone()))
                .map_err(|e| vec![Refusal::new(path, e)]),
            None => Ok((
                u64::try_from(self.cores).unwrap_or(0) * 1000,
                "spec.workers.cores".into(),
            )),
        }
    }

    fn memory(&self, daemon_mib: u64) -> Result<(u64, String), Vec<Refusal>> {
        match self.given("memory") {
            Some((path, q)) => parse_kubernetes_quantity(&q.0)
                .map(|bytes| ((bytes / f64::from(1u32 << 20)) as u64, path.clone()))
                .map_err(|e| vec![Refusal::new(path, e)]),
            None => {
                let offered = parse_spark_memory_mib(self.memory)
                    .map_err(|e| vec![Refusal::new("spec.workers.memory", e)])?;
                Ok((
                    container_mib(offered, daemon_mib),
                    "spec.workers.memory".into(),
                ))
            }
        }
    }
}

/// Requests equal to limits: a worker is granted exactly what it offers.
fn granted(millicores: u64, total_mib: u64) -> ResourceRequirements {
    let cpu = if millicores.is_multiple_of(1000) {
        (millicores / 1000).to_string()
    } else {
        format!("{millicores}m")
    };
    let both: BTreeMap<String, Quantity> = [
        ("cpu".to_string(), Quantity(cpu)),
        ("memory".to_string(), Quantity(format!("{total_mib}Mi"))),
    ]
    .into();
    ResourceRequirements {
        limits: Some(both.clone()),
        requests: Some(both),
        ..Default::default()
    }
}

/// The master container's resources when the manifest gives none: its heap plus the JVM
/// overhead, requested and limited; a quarter core requested, no CPU limit.
pub fn master_resources(heap_mib: u64) -> ResourceRequirements {
    let total = heap_mib + overhead_mib(heap_mib);
    let memory = Quantity(format!("{total}Mi"));
    ResourceRequirements {
        limits: Some([("memory".to_string(), memory.clone())].into()),
        requests: Some(
            [
                ("cpu".to_string(), Quantity("250m".into())),
                ("memory".to_string(), memory),
            ]
            .into(),
        ),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn res(limits: &[(&str, &str)], requests: &[(&str, &str)]) -> ResourceRequirements {
        let map = |pairs: &[(&str, &str)]| {
            (!pairs.is_empty()).then(|| {
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
                    .collect()
            })
        };
        ResourceRequirements {
            limits: map(limits),
            requests: map(requests),
            ..Default::default()
        }
    }

    #[test]
    fn container_memory_is_the_smallest_that_offers_enough() {
        for (offered_mib, daemon, want) in [
            (1024, 512, 1920),
            (128, 256, 768),
            (8192, 512, 9671),
            (1, 512, 897),
        ] {
            let total = container_mib(offered_mib, daemon);
            assert_eq!(total, want, "{offered_mib}m");
            let (_, got) = offered(1000, total, daemon).unwrap();
            assert!(got >= offered_mib, "{offered_mib}: {got}");
            assert!(offered(1000, total - 1, daemon).is_none_or(|(_, m)| m < offered_mib));
        }
    }

    /// name, resources, cores, memory, daemon memory → cores and MiB offered.
    type Case = (
        &'static str,
        Option<ResourceRequirements>,
        i32,
        &'static str,
        Option<&'static str>,
        u64,
        u64,
    );

    /// Table: manifest numbers → what Spark is told and what the container is granted.
    #[test]
    fn workers_offer_what_their_containers_are_granted() {
        let cases: Vec<Case> = vec![
            ("defaults", None, 1, "1g", None, 1, 1024),
            ("two cores", None, 2, "2g", Some("256m"), 2, 2048),
            (
                "limits win",
                Some(res(&[("cpu", "2"), ("memory", "3Gi")], &[("cpu", "250m")])),
                1,
                "1g",
                None,
                2,
                3072 - 512 - 384,
            ),
            (
                "requests when no limits",
                Some(res(&[], &[("cpu", "1500m"), ("memory", "1280Mi")])),
                1,
                "1g",
                Some("256m"),
                1,
                1280 - 256 - 384,
            ),
            (
                "10 % overhead on big containers",
                Some(res(&[("cpu", "4"), ("memory", "16Gi")], &[])),
                1,
                "1g",
                None,
                4,
                16384 - 512 - 1638,
            ),
        ];
        for (name, r, cores, memory, daemon, want_cores, want_mib) in cases {
            let s = worker_size(r.as_ref(), cores, memory, daemon).unwrap();
            assert_eq!((s.cores, s.memory_mib), (want_cores, want_mib), "{name}");
            if r.is_none() {
                let limits = s.resources.limits.as_ref().unwrap();
                assert_eq!(s.resources.requests.as_ref(), Some(limits), "{name}");
                let cpu = parse_cpu_quantity(&limits["cpu"].0).unwrap();
                let mem = parse_kubernetes_quantity(&limits["memory"].0).unwrap() as u64 >> 20;
                assert_eq!(
                    offered(cpu, mem, s.daemon_mib),
                    Some((s.cores, s.memory_mib)),
                    "{name}: the container gives back what Spark is told"
                );
            } else {
                assert_eq!(
                    Some(&s.resources),
                    r.as_ref(),
                    "{name}: given resources kept"
                );
            }
        }
    }

    #[test]
    fn too_small_containers_are_refused_naming_the_field() {
        let cases = [
            (
                res(&[("cpu", "500m"), ("memory", "2Gi")], &[]),
                vec!["spec.workers.resources.limits.cpu"],
            ),
            (
                res(&[("cpu", "1"), ("memory", "800Mi")], &[]),
                vec!["spec.workers.resources.limits.memory"],
            ),
            (
                res(&[], &[("cpu", "100m"), ("memory", "512Mi")]),
                vec![
                    "spec.workers.resources.requests.cpu",
                    "spec.workers.resources.requests.memory",
                ],
            ),
            (
                res(&[("cpu", "lots")], &[]),
                vec!["spec.workers.resources.limits.cpu"],
            ),
        ];
        for (r, want) in cases {
            let e = worker_size(Some(&r), 1, "1g", None).unwrap_err();
            let paths: Vec<&str> = e.iter().map(|r| r.path.as_str()).collect();
            assert_eq!(paths, want, "{r:?}");
        }
        let e = worker_size(None, 0, "1g", None).unwrap_err();
        assert_eq!(e[0].path, "spec.workers.cores");
        let e = worker_size(None, 1, "many", None).unwrap_err();
        assert_eq!(e[0].path, "spec.workers.memory");
    }
}
