//! What is stored about an application: the resolved submission (`app.json`) and its live
//! status (`status.json`, rewritten atomically by the runner).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sparkplane_api::restart::RetryPolicy;
use sparkplane_api::v1beta2::ApplicationStateType;
use sparkplane_plan::submit::SubmitCommand;

/// Files of one application.
#[derive(Debug, Clone)]
pub struct AppLayout {
    root: PathBuf,
}

impl AppLayout {
    /// The application whose files live in `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
    /// Its directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// The resolved submission.
    pub fn record_file(&self) -> PathBuf {
        self.root.join("app.json")
    }
    /// The live status.
    pub fn status_file(&self) -> PathBuf {
        self.root.join("status.json")
    }
    /// Everything the driver printed (stdout and stderr, interleaved as produced).
    pub fn driver_log(&self) -> PathBuf {
        self.root.join("driver.log")
    }
    /// Only the driver's standard output (the program's own results).
    pub fn driver_stdout(&self) -> PathBuf {
        self.root.join("driver.out")
    }
    /// Properties file with the cluster's RPC secret for the driver (0600, removed when the
    /// application ends).
    pub fn secret_properties(&self) -> PathBuf {
        self.root.join("secret.properties")
    }
    /// The runner's own log.
    pub fn runner_log(&self) -> PathBuf {
        self.root.join("runner.log")
    }
}

/// The resolved submission of one application.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRecord {
    /// Application name (`metadata.name`).
    pub name: String,
    /// Unique id of this submission (process marker).
    pub id: String,
    /// Manifest file.
    pub source: String,
    /// Local cluster it runs on, if any.
    pub cluster: Option<String>,
    /// Master URL (`spark://...` or `local[*]`).
    pub master: String,
    /// Spark release used.
    pub spark_version: String,
    /// The spark-submit command (no secrets).
    pub command: SubmitCommand,
    /// File holding the cluster's RPC secret, when the cluster authenticates.
    pub secret_file: Option<PathBuf>,
    /// Port of the driver's UI and REST API.
    pub ui_port: u16,
    /// Retry settings.
    pub retry: RetryPolicy,
    /// Delete the application's record this long after it terminated.
    pub time_to_live_seconds: Option<u64>,
    /// Recorded but not run (`spec.suspend`).
    pub suspend: bool,
    /// Submission time (RFC 3339).
    pub created: String,
}

/// Live state of one application, with the kubeflow operator's state names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// Current state.
    pub state: ApplicationStateType,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Runs started.
    pub execution_attempts: u32,
    /// Submissions tried.
    pub submission_attempts: u32,
    /// Spark's application id, once the driver reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_application_id: Option<String>,
    /// The driver process while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_pid: Option<u32>,
    /// The runner daemon.
    pub runner_pid: u32,
    /// Driver UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_ui_address: Option<String>,
    /// Exit code of the last driver run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Start of the last submission (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_submission_attempt_time: Option<String>,
    /// When the application terminated (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_time: Option<String>,
    /// True once the runner will not change the state any more.
    #[serde(default)]
    pub finished: bool,
}

impl AppStatus {
    /// A new status in state `state`.
    pub fn new(state: ApplicationStateType, runner_pid: u32) -> Self {
        Self {
            state,
            error_message: None,
            execution_attempts: 0,
            submission_attempts: 0,
            spark_application_id: None,
            driver_pid: None,
            runner_pid,
            web_ui_address: None,
            exit_code: None,
            last_submission_attempt_time: None,
            termination_time: None,
            finished: false,
        }
    }
}
