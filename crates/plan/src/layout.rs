//! Where a local cluster keeps its files. Pure path arithmetic over the cluster's directory.

use std::path::{Path, PathBuf};

use crate::process::Role;

/// The files and directories of one local cluster, all below one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterLayout {
    root: PathBuf,
}

impl ClusterLayout {
    /// The layout of the cluster whose state lives in `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The cluster directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// The resolved cluster description written at `cluster up` (JSON).
    pub fn state_file(&self) -> PathBuf {
        self.root.join("cluster.json")
    }
    /// The manifest as given, kept for reference.
    pub fn manifest_file(&self) -> PathBuf {
        self.root.join("manifest.json")
    }
    /// The RPC authentication secret (mode 0600).
    pub fn secret_file(&self) -> PathBuf {
        self.root.join("secret")
    }
    /// The supervisor's control socket.
    pub fn control_socket(&self) -> PathBuf {
        self.root.join("control.sock")
    }
    /// The supervisor's pid file.
    pub fn supervisor_pid_file(&self) -> PathBuf {
        self.root.join("supervisor.pid")
    }
    /// The supervisor's own log.
    pub fn supervisor_log(&self) -> PathBuf {
        self.logs_dir().join("supervisor.log")
    }
    /// The supervisor's view of its processes, rewritten on every change (JSON).
    pub fn processes_file(&self) -> PathBuf {
        self.root.join("processes.json")
    }
    /// Directory of every component's log.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }
    /// The log of one component.
    pub fn log_file(&self, role: Role) -> PathBuf {
        self.logs_dir().join(format!("{}.log", role.name()))
    }
    /// Spark configuration directory given to every daemon (keeps a user's global
    /// `spark-defaults.conf` out of the cluster).
    pub fn conf_dir(&self) -> PathBuf {
        self.root.join("conf")
    }
    /// Properties file of one component.
    pub fn properties_file(&self, role: Role) -> PathBuf {
        self.conf_dir().join(format!("{}.properties", role.name()))
    }
    /// Work directory of a worker (executor sandboxes and their logs).
    pub fn worker_dir(&self, index: u32) -> PathBuf {
        self.root.join("work").join(format!("worker-{index}"))
    }
    /// Default master recovery directory.
    pub fn recovery_dir(&self) -> PathBuf {
        self.root.join("recovery")
    }
    /// Default event log directory for applications and the history server.
    pub fn events_dir(&self) -> PathBuf {
        self.root.join("events")
    }
    /// Directories the supervisor creates before starting anything.
    pub fn directories(&self) -> Vec<PathBuf> {
        vec![
            self.root.clone(),
            self.logs_dir(),
            self.conf_dir(),
            self.root.join("work"),
            // The history server refuses to start on a missing log directory.
            self.events_dir(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_root() {
        let l = ClusterLayout::new("/data/clusters/demo");
        for p in [
            l.state_file(),
            l.secret_file(),
            l.control_socket(),
            l.log_file(Role::Worker(3)),
            l.properties_file(Role::Master),
            l.worker_dir(1),
            l.recovery_dir(),
            l.events_dir(),
        ] {
            assert!(p.starts_with("/data/clusters/demo"), "{}", p.display());
        }
        assert_eq!(
            l.log_file(Role::Worker(3)),
            PathBuf::from("/data/clusters/demo/logs/worker-3.log")
        );
    }
}
