//! What `cluster up` records about a cluster, for the supervisor and later commands.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sparkplane_api::{SparkCluster, SparkVersion};
use sparkplane_plan::{plan_cluster, ClusterInputs, ClusterLayout, ClusterPlan, ResolvedPorts};

use crate::LocalError;

/// The resolved description of a local cluster (`cluster.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterState {
    /// Cluster name.
    pub name: String,
    /// Unique id of this run (the process marker).
    pub id: String,
    /// The manifest file it came from.
    pub source: String,
    /// The manifest.
    pub manifest: SparkCluster,
    /// The Spark release running.
    pub version: String,
    /// Its SPARK_HOME.
    pub spark_home: PathBuf,
    /// JAVA_HOME, if one was found.
    pub java_home: Option<PathBuf>,
    /// Bind and advertise address.
    pub host: String,
    /// Ports of the fixed endpoints.
    pub ports: ResolvedPorts,
    /// When `cluster up` ran (RFC 3339).
    pub created: String,
}

impl ClusterState {
    /// Re-derives the plan; pure, so the supervisor and the CLI agree.
    pub fn plan(&self, layout: &ClusterLayout) -> Result<ClusterPlan, LocalError> {
        let version = self.spark_version(layout)?;
        Ok(plan_cluster(&ClusterInputs {
            cluster: &self.manifest,
            version,
            spark_home: &self.spark_home,
            java_home: self.java_home.as_deref(),
            layout,
            ports: self.ports,
            host: &self.host,
            cluster_id: &self.id,
        }))
    }

    /// The recorded Spark release.
    pub fn spark_version(&self, layout: &ClusterLayout) -> Result<SparkVersion, LocalError> {
        self.version
            .parse()
            .map_err(|e| LocalError::Other(format!("{}: {e}", layout.state_file().display())))
    }

    /// Reads `cluster.json`.
    pub fn load(path: &Path) -> Result<Self, LocalError> {
        read_json(path)
    }
}

/// Reads a JSON file into `T`.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, LocalError> {
    let text = std::fs::read_to_string(path).map_err(LocalError::io("cannot read", path))?;
    serde_json::from_str(&text).map_err(|source| LocalError::CorruptState {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `value` as JSON to `path` atomically (write to a temporary file, then rename), so a
/// reader never sees half a file.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), LocalError> {
    let text = serde_json::to_string_pretty(value).map_err(|source| LocalError::CorruptState {
        path: path.to_path_buf(),
        source,
    })?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(LocalError::io("cannot write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(LocalError::io("cannot write", path))
}
