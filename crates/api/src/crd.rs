//! The CustomResourceDefinitions of every kind sparkplane serves, generated from the Rust
//! types (the checked-in copies in `deploy/crds/` must match; a test checks).

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

use crate::cluster::SparkCluster;
use crate::v1beta2::{ScheduledSparkApplication, SparkApplication};

/// Every CRD with the file name it is checked in under.
pub fn crds() -> Vec<(&'static str, CustomResourceDefinition)> {
    vec![
        (
            "sparkoperator.k8s.io_sparkapplications.yaml",
            SparkApplication::crd(),
        ),
        (
            "sparkoperator.k8s.io_scheduledsparkapplications.yaml",
            ScheduledSparkApplication::crd(),
        ),
        ("sparkplane.io_sparkclusters.yaml", SparkCluster::crd()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_groups_and_status_subresources() {
        let crds = crds();
        let names: Vec<String> = crds
            .iter()
            .map(|(_, c)| c.metadata.name.clone().unwrap_or_default())
            .collect();
        assert_eq!(
            names,
            [
                "sparkapplications.sparkoperator.k8s.io",
                "scheduledsparkapplications.sparkoperator.k8s.io",
                "sparkclusters.sparkplane.io"
            ]
        );
        for (file, crd) in &crds {
            let v = &crd.spec.versions[0];
            assert!(v.served && v.storage, "{file}");
            assert!(
                v.subresources
                    .as_ref()
                    .and_then(|s| s.status.as_ref())
                    .is_some(),
                "{file}: status subresource"
            );
        }
    }
}
