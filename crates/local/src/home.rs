//! The per-user directory tree of the local runtime.

use std::path::{Path, PathBuf};

use sparkplane_plan::ClusterLayout;

use crate::LocalError;

/// Root of sparkplane's local state: `clusters/<name>/` and `apps/<name>/`.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// `$SPARKPLANE_HOME`, or the per-user data directory.
    pub fn from_env() -> Result<Self, LocalError> {
        Ok(Self {
            root: sparkplane_distro::data_dir()?,
        })
    }

    /// A home at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Directory holding one directory per cluster.
    pub fn clusters_dir(&self) -> PathBuf {
        self.root.join("clusters")
    }

    /// The layout of cluster `name`.
    pub fn cluster(&self, name: &str) -> ClusterLayout {
        ClusterLayout::new(self.clusters_dir().join(name))
    }

    /// Directory holding one directory per application.
    pub fn apps_dir(&self) -> PathBuf {
        self.root.join("apps")
    }

    /// Directory of application `name`.
    pub fn app_dir(&self, name: &str) -> PathBuf {
        self.apps_dir().join(name)
    }

    /// Names of the sub-directories of `dir`, sorted; empty if `dir` does not exist.
    pub fn list_names(dir: &Path) -> Result<Vec<String>, LocalError> {
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(LocalError::io("cannot list", dir)(e)),
        };
        let mut names = Vec::new();
        for entry in rd {
            let entry = entry.map_err(LocalError::io("cannot list", dir))?;
            if entry.path().is_dir() {
                if let Some(n) = entry.file_name().to_str() {
                    names.push(n.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }
}
