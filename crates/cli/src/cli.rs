//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run Apache Spark standalone clusters and Spark applications: locally on real Spark, from the
/// same manifests you apply to Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "sparkplane", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests offline and print every problem.
    Validate(ValidateArgs),
    /// Install and list Spark distributions.
    #[command(subcommand)]
    Spark(SparkCommand),
    /// Local Spark standalone clusters.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Spark applications on a local cluster or in local mode.
    #[command(subcommand)]
    App(AppCommand),
    /// (internal) Supervise a local cluster's processes.
    #[command(name = "__supervise", hide = true)]
    Supervise(SuperviseArgs),
    /// (internal) Run and supervise one local application.
    #[command(name = "__app-runner", hide = true)]
    AppRunner(AppRunnerArgs),
}

/// `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Manifest files (YAML or JSON, one or more documents each).
    #[arg(short = 'f', long = "file", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
}

/// `spark ...`.
#[derive(Debug, Subcommand)]
pub enum SparkCommand {
    /// Install an official Apache Spark release from its PyPI package.
    Install(SparkInstallArgs),
    /// List installed Spark distributions.
    List,
}

/// `spark install`.
#[derive(Debug, Args)]
pub struct SparkInstallArgs {
    /// `X.Y.Z`, or `X.Y` for the newest patch release of that line; default: the newest
    /// supported release.
    // Named `spark_version` because `version` is the id of clap's own `--version` flag.
    #[arg(value_name = "VERSION")]
    pub spark_version: Option<String>,
    /// Install from an already downloaded `pyspark-X.Y.Z.tar.gz` instead of downloading.
    #[arg(long)]
    pub from_file: Option<PathBuf>,
    /// Python package index (simple API).
    #[arg(long, env = "SPARKPLANE_PYPI_INDEX")]
    pub index_url: Option<String>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Output {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// `cluster ...`.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Start the clusters described in a manifest and wait until all workers registered.
    Up {
        /// Manifest file with one or more SparkCluster documents.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Seconds to wait for the workers.
        #[arg(long, default_value_t = 180)]
        timeout: u64,
    },
    /// Show the master URL, UI, workers, cores, memory and applications.
    Status {
        /// Cluster name; all clusters when omitted.
        name: Option<String>,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// List clusters.
    List,
    /// Change the number of workers; scale-down decommissions workers so running tasks
    /// finish first.
    Scale {
        /// Cluster name.
        name: String,
        /// Desired number of workers.
        #[arg(long)]
        workers: u32,
        /// Seconds to wait for the change to complete.
        #[arg(long, default_value_t = 900)]
        timeout: u64,
    },
    /// Print a cluster's logs.
    Logs {
        /// Cluster name.
        name: String,
        /// Only this component: master, worker-N, history or supervisor.
        #[arg(long)]
        component: Option<String>,
        /// Only the last N lines of each log.
        #[arg(long)]
        tail: Option<usize>,
    },
    /// Stop every process of a cluster.
    Down {
        /// Cluster name.
        name: String,
    },
}

/// `app ...`.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Run the SparkApplications of a manifest.
    Submit {
        /// Manifest file.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Local cluster to run on; `local[*]` when omitted.
        #[arg(long)]
        cluster: Option<String>,
        /// Follow progress and exit 0 only if the application completed.
        #[arg(long)]
        wait: bool,
    },
    /// List applications.
    List,
    /// Show one application's state.
    Status {
        /// Application name.
        name: String,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Print the driver's output.
    Logs {
        /// Application name.
        name: String,
    },
    /// Stop a running application.
    Kill {
        /// Application name.
        name: String,
    },
}

/// `__supervise`.
#[derive(Debug, Args)]
pub struct SuperviseArgs {
    /// The cluster's state directory.
    #[arg(long)]
    pub cluster_dir: PathBuf,
}

/// `__app-runner`.
#[derive(Debug, Args)]
pub struct AppRunnerArgs {
    /// The application's state directory.
    #[arg(long)]
    pub app_dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap checks argument ids only when a subcommand is first parsed, and only in debug
    /// builds; this checks every subcommand up front.
    #[test]
    fn command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
