//! Spark's CPU for its pods (`BasicDriverFeatureStep`, `BasicExecutorFeatureStep`): the
//! request is `spark.kubernetes.{driver,executor}.request.cores` as written, else the whole
//! `spark.{driver,executor}.cores`, else 1; the limit is
//! `spark.kubernetes.{driver,executor}.limit.cores` as written, else none. And the cores a
//! standalone application takes at most (`spark.cores.max`).

use crate::{read_integer, Invalid, Role, Settings};

/// A pod's CPU request as Spark writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpuRequest {
    /// The request cores, as written (a Kubernetes CPU quantity such as `500m`).
    Written(String),
    /// Whole cores: `spark.{driver,executor}.cores`, or 1.
    Cores(i32),
}

impl CpuRequest {
    /// The request as the pod carries it.
    pub fn text(&self) -> String {
        match self {
            CpuRequest::Written(s) => s.clone(),
            CpuRequest::Cores(n) => n.to_string(),
        }
    }
}

/// The CPU request of `role`'s pod.
pub fn cpu_request<S: Settings + ?Sized>(s: &S, role: Role) -> Result<CpuRequest, Invalid> {
    if let Some(r) = s.get(role.request_cores_key()) {
        return Ok(CpuRequest::Written(r.into_owned()));
    }
    Ok(CpuRequest::Cores(
        read_integer(s, role.cores_key())?.unwrap_or(1),
    ))
}

/// The CPU limit of `role`'s pod, as written, when set.
pub fn cpu_limit<S: Settings + ?Sized>(s: &S, role: Role) -> Option<String> {
    s.get(role.limit_cores_key()).map(|l| l.into_owned())
}

/// The cores a standalone application takes at most so that it gets `instances` executors
/// of `cores` cores each (1 when unset, and at least 1): Spark's standalone scheduler sizes
/// an application by cores, not by instance count.
pub fn standalone_max_cores(instances: i32, cores: Option<i32>) -> i64 {
    let per = cores.unwrap_or(1).max(1);
    i64::from(instances) * i64::from(per)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf;

    /// (settings, the executor's request, the executor's limit).
    type Case<'a> = (&'a [(&'a str, &'a str)], CpuRequest, Option<&'a str>);

    #[test]
    fn request_limit_and_standalone_cores() {
        let cases: &[Case] = &[
            (&[], CpuRequest::Cores(1), None),
            (
                &[("spark.executor.cores", " 3 ")],
                CpuRequest::Cores(3),
                None,
            ),
            (
                &[
                    ("spark.executor.cores", "3"),
                    ("spark.kubernetes.executor.request.cores", "500m"),
                    ("spark.kubernetes.executor.limit.cores", "2"),
                ],
                CpuRequest::Written("500m".into()),
                Some("2"),
            ),
            // The driver's keys are not the executor's.
            (&[("spark.driver.cores", "4")], CpuRequest::Cores(1), None),
        ];
        for (settings, request, limit) in cases {
            let c = conf(settings);
            assert_eq!(cpu_request(&c, Role::Executor).as_ref(), Ok(request));
            assert_eq!(cpu_limit(&c, Role::Executor).as_deref(), *limit);
        }
        let bad = conf(&[("spark.driver.cores", "1.5")]);
        assert_eq!(
            cpu_request(&bad, Role::Driver).map_err(|e| e.key),
            Err("spark.driver.cores".to_string())
        );
        assert_eq!(CpuRequest::Cores(2).text(), "2");
        assert_eq!(standalone_max_cores(3, None), 3);
        assert_eq!(standalone_max_cores(3, Some(4)), 12);
        assert_eq!(standalone_max_cores(3, Some(0)), 3);
    }
}
