//! Loading manifests from YAML or JSON text (one or many documents). TO BE WRITTEN (api helper).

use crate::problem::Problem;
use crate::{ScheduledSparkApplication, SparkApplication, SparkCluster};

/// A manifest of one of the kinds sparkplane knows.
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    /// `sparkoperator.k8s.io/v1beta2` `SparkApplication`.
    SparkApplication(Box<SparkApplication>),
    /// `sparkoperator.k8s.io/v1beta2` `ScheduledSparkApplication`.
    ScheduledSparkApplication(Box<ScheduledSparkApplication>),
    /// `sparkplane.io/v1alpha1` `SparkCluster`.
    SparkCluster(Box<SparkCluster>),
}

/// One manifest with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedManifest {
    /// The source name given to [`parse_documents`] (normally the file path).
    pub source: String,
    /// Zero-based index of the document in the source.
    pub document: usize,
    /// The manifest.
    pub manifest: Manifest,
}

/// Parses every document of `text` and validates each manifest. Returns the manifests and
/// the warnings when there is no error; otherwise every problem found (errors and warnings).
pub fn parse_documents(
    source: &str,
    text: &str,
) -> Result<(Vec<LoadedManifest>, Vec<Problem>), Vec<Problem>> {
    let _ = (source, text);
    unimplemented!("api helper")
}
