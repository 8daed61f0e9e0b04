//! sparkplane's manifest API: the kubeflow Spark Operator's `sparkoperator.k8s.io/v1beta2`
//! kinds (`SparkApplication`, `ScheduledSparkApplication`) and sparkplane's own
//! `sparkplane.io/v1alpha1` `SparkCluster`, with loading from YAML/JSON text and validation.
//!
//! Everything here is pure: text in, typed values or [`Problem`]s out. Reading files, talking
//! to Kubernetes or starting processes belongs to the shell crates.
//!
//! Modules: [`v1beta2`] and [`cluster`] hold the types; [`load`] turns text into them
//! ([`parse_documents`]), reporting every problem with its field path; [`validate`] holds
//! the semantic rules `parse_documents` runs; [`tenancy`] the sparkConf keys an operator
//! refuses; [`restart`] what `restartPolicy` means in both modes; [`names`], [`quantity`] and [`version`] are the pure helpers those rules use.

#![warn(missing_docs)]

pub mod cluster;
pub mod crd;
pub mod java_properties;
pub mod load;
pub mod names;
pub mod problem;
pub mod quantity;
pub mod restart;
pub mod tenancy;
pub mod v1beta2;
pub mod validate;
pub mod version;

pub use cluster::SparkCluster;
pub use load::{
    parse_documents, parse_documents_skipping_others, parse_documents_with, parse_value,
    parse_value_with, LoadOptions, LoadedManifest, Manifest,
};
pub use problem::{Problem, Severity};
pub use tenancy::SparkConfPolicy;
pub use v1beta2::{ScheduledSparkApplication, SparkApplication};
pub use version::SparkVersion;
