//! The operator's errors.

/// What can go wrong in the operator's shell.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// A Kubernetes API call failed.
    #[error("{action}: {source}")]
    Kube {
        /// What was being done.
        action: String,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
    /// The operator's own configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// The metrics and health server failed.
    #[error("metrics server: {0}")]
    Server(#[from] std::io::Error),
}

impl OperatorError {
    /// A failed API call, with what was being done.
    pub fn kube(action: impl Into<String>, source: kube::Error) -> Self {
        OperatorError::Kube {
            action: action.into(),
            source,
        }
    }

    /// A short name of the error's kind, for the metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            OperatorError::Kube { source, .. } => match source {
                kube::Error::Api(s) if s.code == 409 => "conflict",
                kube::Error::Api(s) if s.code == 429 => "throttled",
                kube::Error::Api(s) if s.code >= 500 => "server",
                kube::Error::Api(_) => "api",
                _ => "transport",
            },
            OperatorError::Config(_) => "config",
            OperatorError::Server(_) => "server",
        }
    }
}
