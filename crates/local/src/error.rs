//! Errors of the local runtime. Every message is one line and names what it is about.

use std::path::PathBuf;

/// What went wrong in the local runtime.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// A file or directory operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("cannot create", "cannot read", ...).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A state file could not be parsed.
    #[error("corrupt state file {}: {source}", path.display())]
    CorruptState {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// No cluster of that name.
    #[error("no cluster named {0:?} (see `sparkplane cluster list`)")]
    NoSuchCluster(String),
    /// The cluster is already running.
    #[error("cluster {0:?} is already up (`sparkplane cluster down {0}` first)")]
    ClusterAlreadyUp(String),
    /// The cluster exists but is not running.
    #[error("cluster {0:?} is not running (start it with `sparkplane cluster up -f FILE`)")]
    ClusterNotRunning(String),
    /// A port the manifest asks for is taken.
    #[error("{source_name}: {field}: port {port} on {host} is already in use")]
    PortTaken {
        /// The manifest file.
        source_name: String,
        /// The field path naming the port.
        field: String,
        /// The host.
        host: String,
        /// The port.
        port: u16,
    },
    /// No free port could be found.
    #[error("no free port found on {host} from {start}")]
    NoFreePort {
        /// The host.
        host: String,
        /// Where the search began.
        start: u16,
    },
    /// A process could not be started.
    #[error("cannot start {what} ({}): {source}", program.display())]
    Spawn {
        /// Which process.
        what: String,
        /// The program.
        program: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The supervisor did not answer on its control socket.
    #[error("the supervisor of {name:?} does not answer: {reason}")]
    Control {
        /// Cluster or application name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The cluster did not come up.
    #[error("cluster {name:?} did not start: {reason}")]
    StartFailed {
        /// The cluster.
        name: String,
        /// Why, with the relevant log line when known.
        reason: String,
    },
    /// A scale request is outside the manifest's bounds.
    #[error("cannot scale {name:?} to {wanted} workers: {reason}")]
    ScaleOutOfBounds {
        /// The cluster.
        name: String,
        /// Requested count.
        wanted: u32,
        /// The bound that refuses it.
        reason: String,
    },
    /// An HTTP call to Spark failed.
    #[error("{url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// No application of that name.
    #[error("no application named {0:?} (see `sparkplane app list`)")]
    NoSuchApp(String),
    /// An application of that name is still active.
    #[error("application {0:?} is still active (`sparkplane app kill {0}` first)")]
    AppActive(String),
    /// A Spark distribution or Java problem.
    #[error(transparent)]
    Distro(#[from] sparkplane_distro::DistroError),
    /// Input problems, each already a full one-line message.
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
    /// Anything else, already phrased for the user.
    #[error("{0}")]
    Other(String),
}

impl LocalError {
    /// Wraps an I/O error with the action and path.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| LocalError::Io {
            action,
            path,
            source,
        }
    }
}
